//! BetPawa's endpoints over the model (the home book: every market row, home-only ones too).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;

use super::model::{Availability, Model, SimBook, SimEvent};
use super::{BodyKind, SimState, TickMode, json_body, respond, upcoming};

const HOME: usize = SimBook::Betpawa.index();

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/api/sportsbook/v3/categories/list/2", get(categories))
        .route("/api/sportsbook/v3/events/lists/by-queries", get(list))
        .route("/api/sportsbook/v3/events/{id}", get(event))
}

#[derive(Serialize)]
struct EventJson<'a> {
    id: String,
    name: String,
    #[serde(rename = "startTime")]
    start_time: String,
    participants: [ParticipantJson<'a>; 2],
    competition: IdName<'a>,
    region: IdName<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    widgets: Option<Vec<WidgetJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    markets: Option<Vec<MarketJson<'a>>>,
}

#[derive(Serialize)]
struct IdName<'a> {
    id: String,
    name: &'a str,
}

#[derive(Serialize)]
struct ParticipantJson<'a> {
    id: u64,
    name: &'a str,
    position: u8,
}

#[derive(Serialize)]
struct WidgetJson {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct MarketJson<'a> {
    #[serde(rename = "marketType")]
    market_type: MarketTypeJson<'a>,
    row: Vec<RowJson<'a>>,
}

#[derive(Serialize)]
struct MarketTypeJson<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "displayName")]
    display_name: &'a str,
    #[serde(rename = "handicapType")]
    handicap_type: &'static str,
}

#[derive(Serialize)]
struct RowJson<'a> {
    id: u64,
    handicap: f64,
    #[serde(rename = "formattedHandicap")]
    formatted_handicap: String,
    prices: Vec<PriceJson<'a>>,
}

#[derive(Serialize)]
struct PriceJson<'a> {
    id: u64,
    name: &'a str,
    price: f64,
    suspended: bool,
    handicap: f64,
}

/// Requests without the brand header are refused, as the real site does.
fn refuse_without_brand(headers: &HeaderMap) -> Option<Response> {
    (headers.get("x-pawa-brand").and_then(|v| v.to_str().ok()) != Some("betpawa-nigeria"))
        .then(|| (StatusCode::BAD_REQUEST, "missing x-pawa-brand").into_response())
}

async fn categories(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse_without_brand(&headers) {
        return refused;
    }
    if state.tick == TickMode::OnHomeDiscovery {
        state.write().tick();
    }
    let body = {
        let model = state.read();
        let mut regions: Vec<serde_json::Value> = Vec::new();
        let mut by_country: HashMap<u64, usize> = HashMap::new();
        for c in &model.competitions {
            let index = *by_country.entry(c.country_id).or_insert_with(|| {
                regions.push(json!({
                    "region": {"id": c.country_id.to_string(), "name": c.country},
                    "competitions": []
                }));
                regions.len() - 1
            });
            if let Some(list) = regions[index]["competitions"].as_array_mut() {
                list.push(json!({"competition": {"id": c.id.to_string(), "name": c.name}}));
            }
        }
        json_body(
            &json!({"withRegions": [{"category": {"id": "2", "name": "Football"}, "regions": regions}]}),
        )
    };
    respond(&state, "betpawa", BodyKind::Listing, StatusCode::OK, body).await
}

/// The competition, skip and take of a `by-queries` request.
fn read_query(q: &str) -> Option<(String, usize, usize)> {
    let value: serde_json::Value = serde_json::from_str(q).ok()?;
    let query = value.get("queries")?.get(0)?;
    let competition = match query.pointer("/query/zones/competitions/0")? {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let skip = query.get("skip").and_then(|v| v.as_u64()).unwrap_or(0) as usize;
    let take = query
        .get("take")
        .and_then(|v| v.as_u64())
        .unwrap_or(20)
        .min(100) as usize;
    Some((competition, skip, take))
}

async fn list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = refuse_without_brand(&headers) {
        return refused;
    }
    let Some((competition, skip, take)) = params.get("q").and_then(|q| read_query(q)) else {
        return (StatusCode::BAD_REQUEST, "bad q").into_response();
    };
    let body = {
        let model = state.read();
        let now = Utc::now();
        let mut events: Vec<&SimEvent> = model
            .events
            .iter()
            .filter(|e| e.listed[HOME] && upcoming(e.kickoff, now))
            .filter(|e| model.competitions[e.competition].id.to_string() == competition)
            .collect();
        events.sort_by_key(|e| (e.kickoff, e.betpawa_id));
        let items: Vec<EventJson> = events
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|e| event_json(&model, e, false))
            .collect();
        json_body(&json!({"responses": [{"responses": items}]}))
    };
    respond(&state, "betpawa", BodyKind::Listing, StatusCode::OK, body).await
}

async fn event(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refuse_without_brand(&headers) {
        return refused;
    }
    let (status, body) = {
        let model = state.read();
        match id.parse().ok().and_then(|id| model.by_betpawa(id)) {
            Some(e) if e.listed[HOME] && upcoming(e.kickoff, Utc::now()) => {
                (StatusCode::OK, json_body(&event_json(&model, e, true)))
            }
            _ => (
                StatusCode::NOT_FOUND,
                json_body(&json!({"message": "event not found"})),
            ),
        }
    };
    respond(&state, "betpawa", BodyKind::Event, status, body).await
}

fn event_json<'a>(model: &'a Model, e: &'a SimEvent, full: bool) -> EventJson<'a> {
    let competition = &model.competitions[e.competition];
    let widgets = (full || e.betpawa_list_widgets).then(|| {
        let mut widgets = vec![WidgetJson {
            id: format!("{}", e.betpawa_id),
            kind: "STATS",
        }];
        if e.betpawa_widget {
            widgets.push(WidgetJson {
                id: e.sportradar_id.to_string(),
                kind: "SPORTRADAR",
            });
        }
        widgets
    });
    EventJson {
        id: e.betpawa_id.to_string(),
        name: format!("{} - {}", e.home, e.away),
        start_time: e.kickoff.to_rfc3339_opts(SecondsFormat::Secs, true),
        participants: [
            ParticipantJson {
                id: e.betpawa_id * 10 + 1,
                name: &e.home,
                position: 1,
            },
            ParticipantJson {
                id: e.betpawa_id * 10 + 2,
                name: &e.away,
                position: 2,
            },
        ],
        competition: IdName {
            id: competition.id.to_string(),
            name: &competition.name,
        },
        region: IdName {
            id: competition.country_id.to_string(),
            name: &competition.country,
        },
        widgets,
        markets: full.then(|| markets_json(model, e)),
    }
}

/// Rows of one market type are grouped into one market, as BetPawa does.
fn markets_json<'a>(model: &'a Model, e: &'a SimEvent) -> Vec<MarketJson<'a>> {
    let mut markets: Vec<MarketJson<'a>> = Vec::new();
    let mut last_def = None;
    for (index, market) in e.markets.iter().enumerate() {
        if market.state[HOME] == Availability::Removed {
            continue;
        }
        let def = &model.defs[market.def as usize];
        if last_def != Some(market.def) {
            last_def = Some(market.def);
            markets.push(MarketJson {
                market_type: MarketTypeJson {
                    id: &def.market_id,
                    name: def.name.split(" | ").next().unwrap_or(&def.name),
                    display_name: &def.name,
                    handicap_type: if market.line.is_some() {
                        "HANDICAP"
                    } else {
                        "NONE"
                    },
                },
                row: Vec::new(),
            });
        }
        let row_id = e.betpawa_id * 1000 + index as u64;
        let handicap = market.line.map_or(0.0, |l| l.as_f64());
        let suspended = market.state[HOME] == Availability::Suspended;
        let row = RowJson {
            id: row_id,
            handicap,
            formatted_handicap: market.line.map(|l| l.to_string()).unwrap_or_default(),
            prices: def
                .outcomes
                .iter()
                .zip(&market.prices)
                .enumerate()
                .map(|(o, (name, prices))| PriceJson {
                    id: row_id * 100 + o as u64,
                    name,
                    price: f64::from(prices[HOME]) / 1000.0,
                    suspended,
                    handicap,
                })
                .collect(),
        };
        if let Some(m) = markets.last_mut() {
            m.row.push(row);
        }
    }
    markets
}
