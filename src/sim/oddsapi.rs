//! The Odds API v4 over the model: every simulated book as a bookmaker, main lines only
//! (h2h, totals 2.5, spreads −0.5), quota headers on every response.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;

use super::model::{Availability, Model, SimBook, SimEvent};
use super::{BodyKind, SimState, json_body, respond, upcoming};
use crate::domain::Line;

/// The quota a fresh simulator grants.
pub(super) const QUOTA: u64 = 500;
/// What one request costs (markets × regions).
const COST: u64 = 3;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/v4/sports/{sport}/odds", get(odds))
}

#[derive(Serialize)]
struct EventJson<'a> {
    id: String,
    sport_key: &'a str,
    sport_title: &'a str,
    commence_time: String,
    home_team: &'a str,
    away_team: &'a str,
    bookmakers: Vec<BookmakerJson<'a>>,
}

#[derive(Serialize)]
struct BookmakerJson<'a> {
    key: &'static str,
    title: &'static str,
    last_update: &'a str,
    markets: Vec<MarketJson<'a>>,
}

#[derive(Serialize)]
struct MarketJson<'a> {
    key: &'static str,
    last_update: &'a str,
    outcomes: Vec<OutcomeJson<'a>>,
}

#[derive(Serialize)]
struct OutcomeJson<'a> {
    name: &'a str,
    price: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<f64>,
}

async fn odds(
    State(state): State<Arc<SimState>>,
    Path(sport): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if params.get("apiKey").is_none_or(|k| k.is_empty()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "API key is missing", "error_code": "MISSING_KEY"})),
        )
            .into_response();
    }
    let used = state.odds_api_used.fetch_add(COST, Ordering::Relaxed) + COST;
    let body = {
        let model = state.read();
        let now = Utc::now();
        let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let events: Vec<EventJson> = model
            .events
            .iter()
            .filter(|e| upcoming(e.kickoff, now))
            .map(|e| event_json(&model, e, &sport, &stamp))
            .collect();
        json_body(&events)
    };
    let mut response = respond(&state, "theoddsapi", BodyKind::Event, StatusCode::OK, body).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-requests-remaining", QUOTA.saturating_sub(used)),
        ("x-requests-used", used),
        ("x-requests-last", COST),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    }
    response
}

fn event_json<'a>(
    model: &'a Model,
    e: &'a SimEvent,
    sport: &'a str,
    stamp: &'a str,
) -> EventJson<'a> {
    let bookmakers = SimBook::ALL
        .into_iter()
        .filter(|b| e.listed[b.index()])
        .map(|book| BookmakerJson {
            key: book.slug(),
            title: book.slug(),
            last_update: stamp,
            markets: markets_json(model, e, book, stamp),
        })
        .collect();
    EventJson {
        id: format!("{:032x}", e.sportradar_id),
        sport_key: sport,
        sport_title: &model.competitions[e.competition].name,
        commence_time: e.kickoff.to_rfc3339_opts(SecondsFormat::Secs, true),
        home_team: &e.home,
        away_team: &e.away,
        bookmakers,
    }
}

fn markets_json<'a>(
    model: &'a Model,
    e: &'a SimEvent,
    book: SimBook,
    stamp: &'a str,
) -> Vec<MarketJson<'a>> {
    let b = book.index();
    let find = |market_id: &str, line: Option<Line>| {
        e.markets.iter().find(|m| {
            m.line == line
                && m.state[b] == Availability::Open
                && model.defs[m.def as usize].market_id == market_id
        })
    };
    let price = |milli: u32| f64::from(milli) / 1000.0;
    let mut markets = Vec::new();
    if let Some(m) = find("3743", None) {
        let names = [e.home.as_str(), "Draw", e.away.as_str()];
        markets.push(MarketJson {
            key: "h2h",
            last_update: stamp,
            outcomes: names
                .iter()
                .zip(&m.prices)
                .map(|(name, p)| OutcomeJson {
                    name,
                    price: price(p[b]),
                    point: None,
                })
                .collect(),
        });
    }
    if let Some(m) = find("5000", Some(Line::from_milli(2500))) {
        markets.push(MarketJson {
            key: "totals",
            last_update: stamp,
            outcomes: ["Over", "Under"]
                .iter()
                .zip(&m.prices)
                .map(|(name, p)| OutcomeJson {
                    name,
                    price: price(p[b]),
                    point: Some(2.5),
                })
                .collect(),
        });
    }
    if let Some(m) = find("3774", Some(Line::from_milli(-500))) {
        let sides = [(e.home.as_str(), -0.5), (e.away.as_str(), 0.5)];
        markets.push(MarketJson {
            key: "spreads",
            last_update: stamp,
            outcomes: sides
                .iter()
                .zip(&m.prices)
                .map(|((name, point), p)| OutcomeJson {
                    name,
                    price: price(p[b]),
                    point: Some(*point),
                })
                .collect(),
        });
    }
    markets
}
