//! SportyBet's endpoints over the model: mapped markets only, odds as strings, envelopes with
//! `bizCode`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Availability, Model, SimBook, SimEvent};
use super::{BodyKind, SimState, json_body, respond, upcoming};
use crate::domain::Price;
use crate::sources::mapping::LineKind;

const BOOK: usize = SimBook::Sportybet.index();

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/api/ng/factsCenter/popularAndSportList", get(sport_list))
        .route("/api/ng/factsCenter/pcEvents", post(pc_events))
        .route("/api/ng/factsCenter/event", get(event))
}

#[derive(Serialize)]
struct Envelope<T> {
    #[serde(rename = "bizCode")]
    biz_code: i64,
    message: &'static str,
    data: T,
}

fn ok<T: Serialize>(data: T) -> Vec<u8> {
    json_body(&Envelope {
        biz_code: 10000,
        message: "0#0",
        data,
    })
}

fn business_error(code: i64, message: &'static str) -> Vec<u8> {
    json_body(&Envelope {
        biz_code: code,
        message,
        data: serde_json::Value::Null,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventJson<'a> {
    event_id: String,
    game_id: String,
    estimate_start_time: i64,
    status: i32,
    home_team_name: &'a str,
    away_team_name: &'a str,
    sport: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    markets: Option<Vec<MarketJson<'a>>>,
}

#[derive(Serialize)]
struct MarketJson<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    specifier: Option<String>,
    status: i32,
    outcomes: Vec<OutcomeJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeJson<'a> {
    id: String,
    desc: &'a str,
    odds: String,
    is_active: u8,
}

async fn sport_list(State(state): State<Arc<SimState>>) -> Response {
    let body = {
        let model = state.read();
        let mut categories: BTreeMap<u64, (String, Vec<serde_json::Value>)> = BTreeMap::new();
        let now = Utc::now();
        for (index, c) in model.competitions.iter().enumerate() {
            let size = model
                .events
                .iter()
                .filter(|e| e.competition == index && e.listed[BOOK] && upcoming(e.kickoff, now))
                .count();
            categories
                .entry(c.country_id)
                .or_insert_with(|| (c.country.clone(), Vec::new()))
                .1
                .push(json!({"id": format!("sr:tournament:{}", c.id), "name": c.name, "eventSize": size}));
        }
        let categories: Vec<_> = categories
            .into_iter()
            .map(|(id, (name, tournaments))| {
                json!({"id": format!("sr:category:{id}"), "name": name, "tournaments": tournaments})
            })
            .collect();
        ok(
            json!({"sportList": [{"id": "sr:sport:1", "name": "Football", "categories": categories}]}),
        )
    };
    respond(&state, "sportybet", BodyKind::Listing, StatusCode::OK, body).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PcEventsQuery {
    #[serde(default)]
    tournament_id: Vec<Vec<String>>,
}

async fn pc_events(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    let Ok(queries) = serde_json::from_slice::<Vec<PcEventsQuery>>(&body) else {
        let body = business_error(4000, "Invalid request parameters");
        return respond(&state, "sportybet", BodyKind::Listing, StatusCode::OK, body).await;
    };
    let body = {
        let model = state.read();
        let now = Utc::now();
        let tournaments: Vec<String> = queries
            .into_iter()
            .flat_map(|q| q.tournament_id.into_iter().flatten())
            .collect();
        let data: Vec<serde_json::Value> = tournaments
            .iter()
            .filter_map(|t| {
                let id: u64 = t.strip_prefix("sr:tournament:")?.parse().ok()?;
                let competition = model.competitions.iter().position(|c| c.id == id)?;
                let mut events: Vec<&SimEvent> = model
                    .events
                    .iter()
                    .filter(|e| e.competition == competition && e.listed[BOOK] && upcoming(e.kickoff, now))
                    .collect();
                events.sort_by_key(|e| (e.kickoff, e.sportradar_id));
                let events: Vec<EventJson> = events.into_iter().map(|e| event_json(&model, e, false)).collect();
                Some(json!({"id": t, "name": model.competitions[competition].name, "events": events}))
            })
            .collect();
        ok(data)
    };
    respond(&state, "sportybet", BodyKind::Listing, StatusCode::OK, body).await
}

async fn event(
    State(state): State<Arc<SimState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let body = {
        let model = state.read();
        let event = params
            .get("eventId")
            .and_then(|id| id.strip_prefix("sr:match:"))
            .and_then(|id| id.parse().ok())
            .and_then(|id| model.by_sportradar(id))
            .filter(|e| e.listed[BOOK] && upcoming(e.kickoff, Utc::now()));
        match event {
            Some(e) => ok(event_json(&model, e, true)),
            // A finished or unknown event: success envelope without data.
            None => ok(serde_json::Value::Null),
        }
    };
    respond(&state, "sportybet", BodyKind::Event, StatusCode::OK, body).await
}

fn event_json<'a>(model: &'a Model, e: &'a SimEvent, full: bool) -> EventJson<'a> {
    let competition = &model.competitions[e.competition];
    EventJson {
        event_id: format!("sr:match:{}", e.sportradar_id),
        game_id: (e.sportradar_id % 100_000).to_string(),
        estimate_start_time: e.kickoff.timestamp_millis(),
        status: 0,
        home_team_name: &e.home,
        away_team_name: &e.away,
        sport: json!({"id": "sr:sport:1", "name": "Football", "category": {
            "id": format!("sr:category:{}", competition.country_id),
            "name": competition.country,
            "tournament": {"id": format!("sr:tournament:{}", competition.id), "name": competition.name}
        }}),
        markets: full.then(|| markets_json(model, e)),
    }
}

fn markets_json<'a>(model: &'a Model, e: &'a SimEvent) -> Vec<MarketJson<'a>> {
    let mut markets: Vec<MarketJson<'a>> = e
        .markets
        .iter()
        .filter(|m| m.state[BOOK] != Availability::Removed)
        .filter_map(|m| {
            let mapping = model.defs[m.def as usize].mapping?;
            let specifier = m.line.map(|line| match mapping.line {
                LineKind::Total => format!("total={line}"),
                // SportyBet's 3-way handicap is European: goals head start `home:away`.
                LineKind::Handicap if mapping.market_id == "4724" => {
                    let goals = line.milli() / 1000;
                    if goals >= 0 {
                        format!("hcp={goals}:0")
                    } else {
                        format!("hcp=0:{}", -goals)
                    }
                }
                _ => format!("hcp={line}"),
            });
            let active = u8::from(m.state[BOOK] == Availability::Open);
            Some(MarketJson {
                id: mapping.sportybet_id,
                specifier,
                status: if active == 1 { 0 } else { 2 },
                outcomes: mapping
                    .outcomes
                    .iter()
                    .zip(&m.prices)
                    .enumerate()
                    .map(|(i, (o, prices))| OutcomeJson {
                        id: (i + 1).to_string(),
                        desc: o.sportybet,
                        odds: Price::from_milli(prices[BOOK]).to_string(),
                        is_active: active,
                    })
                    .collect(),
            })
        })
        .collect();
    // A market outside the mapping table, as the real feed has dozens of.
    markets.push(MarketJson {
        id: "45",
        specifier: None,
        status: 0,
        outcomes: vec![OutcomeJson {
            id: "1".into(),
            desc: "1:0",
            odds: "7.50".into(),
            is_active: 1,
        }],
    });
    markets
}
