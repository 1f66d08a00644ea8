//! Bet9ja's endpoints over the model: `{R, D}` envelopes and flat `S_…` odds keys.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::model::{Availability, Model, SimBook, SimEvent};
use super::{BodyKind, SimState, json_body, respond, upcoming};
use crate::domain::Price;
use crate::sources::bet9ja::CACHE_VERSION;

const BOOK: usize = SimBook::Bet9ja.index();
const API: &str = "/desktop/feapi/PalimpsestAjax";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(&format!("{API}/GetSports"), get(sports))
        .route(&format!("{API}/GetEventsInGroupV2"), get(group_events))
        .route(&format!("{API}/GetEvent"), get(event))
}

type Params = Query<HashMap<String, String>>;

/// The web client always sends its cache version; the sim insists, to catch adapters that don't.
fn refuse_without_cache_version(params: &HashMap<String, String>) -> Option<Response> {
    (params.get("v_cache_version").map(String::as_str) != Some(CACHE_VERSION))
        .then(|| (StatusCode::BAD_REQUEST, "missing v_cache_version").into_response())
}

#[derive(Serialize)]
struct EventJson<'a> {
    #[serde(rename = "ID")]
    id: u64,
    #[serde(rename = "EXTID", skip_serializing_if = "Option::is_none")]
    ext_id: Option<String>,
    #[serde(rename = "DS")]
    name: String,
    #[serde(rename = "STARTDATE")]
    start_date: String,
    #[serde(rename = "GN", skip_serializing_if = "Option::is_none")]
    league: Option<&'a str>,
    #[serde(rename = "SG", skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(rename = "O", skip_serializing_if = "Option::is_none")]
    odds: Option<BTreeMap<String, String>>,
}

async fn sports(State(state): State<Arc<SimState>>, Query(params): Params) -> Response {
    if let Some(refused) = refuse_without_cache_version(&params) {
        return refused;
    }
    let body = {
        let model = state.read();
        let mut countries: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for c in &model.competitions {
            let country = countries
                .entry(c.country_id.to_string())
                .or_insert_with(|| json!({"SG_DESC": c.country, "G": {}}));
            country["G"][c.id.to_string()] = json!({"G_DESC": c.name});
        }
        json_body(&json!({"R": "OK", "D": {"PAL": {"1": {"S_DESC": "Soccer", "SG": countries}}}}))
    };
    respond(&state, "bet9ja", BodyKind::Listing, StatusCode::OK, body).await
}

async fn group_events(State(state): State<Arc<SimState>>, Query(params): Params) -> Response {
    if let Some(refused) = refuse_without_cache_version(&params) {
        return refused;
    }
    let body = {
        let model = state.read();
        let now = Utc::now();
        let group: Option<u64> = params.get("GROUPID").and_then(|g| g.parse().ok());
        let competition = group.and_then(|g| model.competitions.iter().position(|c| c.id == g));
        match competition {
            None => json_body(&json!({"R": "E", "D": null})),
            Some(competition) => {
                let mut events: Vec<&SimEvent> = model
                    .events
                    .iter()
                    .filter(|e| {
                        e.competition == competition && e.listed[BOOK] && upcoming(e.kickoff, now)
                    })
                    .collect();
                events.sort_by_key(|e| (e.kickoff, e.bet9ja_id));
                let events: Vec<EventJson> = events
                    .into_iter()
                    .map(|e| event_json(&model, e, false))
                    .collect();
                json_body(&json!({"R": "OK", "D": {"E": events}}))
            }
        }
    };
    respond(&state, "bet9ja", BodyKind::Listing, StatusCode::OK, body).await
}

async fn event(State(state): State<Arc<SimState>>, Query(params): Params) -> Response {
    if let Some(refused) = refuse_without_cache_version(&params) {
        return refused;
    }
    let body = {
        let model = state.read();
        let event = params
            .get("EVENTID")
            .and_then(|id| id.parse().ok())
            .and_then(|id| model.by_bet9ja(id))
            .filter(|e| e.listed[BOOK] && upcoming(e.kickoff, Utc::now()));
        match event {
            Some(e) => json_body(&json!({"R": "OK", "D": event_json(&model, e, true)})),
            None => json_body(&json!({"R": "E", "D": null})),
        }
    };
    respond(&state, "bet9ja", BodyKind::Event, StatusCode::OK, body).await
}

/// Bet9ja abbreviates where others spell out: names differ between books, ids do not.
fn bet9ja_name(team: &str) -> String {
    team.replace("United", "Utd")
}

fn start_date(kickoff: DateTime<Utc>) -> String {
    kickoff.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn event_json<'a>(model: &'a Model, e: &'a SimEvent, full: bool) -> EventJson<'a> {
    let competition = &model.competitions[e.competition];
    EventJson {
        id: e.bet9ja_id,
        ext_id: e.bet9ja_extid.then(|| e.sportradar_id.to_string()),
        name: format!("{} - {}", bet9ja_name(&e.home), bet9ja_name(&e.away)),
        start_date: start_date(e.kickoff),
        league: full.then_some(competition.name.as_str()),
        country: full.then_some(competition.country.as_str()),
        odds: full.then(|| odds(model, e)),
    }
}

/// Flat odds: suspended and removed markets are simply absent (Bet9ja has no suspended flag).
fn odds(model: &Model, e: &SimEvent) -> BTreeMap<String, String> {
    let mut odds = BTreeMap::new();
    for m in e
        .markets
        .iter()
        .filter(|m| m.state[BOOK] == Availability::Open)
    {
        let Some(mapping) = model.defs[m.def as usize].mapping else {
            continue;
        };
        let mut market = mapping.bet9ja_key.to_string();
        if let Some(line) = m.line {
            let _ = write!(market, "@{line}");
        }
        for (outcome, prices) in mapping.outcomes.iter().zip(&m.prices) {
            odds.insert(
                format!("{market}_{}", outcome.bet9ja),
                Price::from_milli(prices[BOOK]).to_string(),
            );
        }
    }
    // A market outside the mapping table.
    odds.insert("S_CS_1-0".into(), "7.50".into());
    odds
}
