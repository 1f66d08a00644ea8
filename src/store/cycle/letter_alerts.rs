//! The alerts of a dead letter as JSON: `{"event_key": …, "alert": {…}}`, the alert's fields
//! flat and camelCase with a placeholder `eventId` of 0 — the shape every letter has had, kept so
//! a letter outlives a change of the alert model (the store resolves the event by key anyway).

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{
    AlertType, AvailabilityChange, BookFairOdds, DetectedAlert, Direction, FlatPayload, Line,
    Mover, OutcomeQuote, Pattern, Percent, Price, Severity,
};

#[derive(Serialize, Deserialize)]
struct Keyed {
    event_key: String,
    alert: Flat,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Flat {
    event_id: i64,
    bookmaker: String,
    market_id: String,
    market_name: String,
    line: Option<f64>,
    outcome_name: Option<String>,
    alert_type: AlertType,
    severity: Severity,
    change_pct: Option<f64>,
    old_price: Option<f64>,
    new_price: Option<f64>,
    competitor_bookmaker: Option<String>,
    competitor_old_price: Option<f64>,
    competitor_new_price: Option<f64>,
    competitor_direction: Option<Direction>,
    gap_pct: Option<f64>,
    availability: Option<AvailabilityChange>,
    unavailable_secs: Option<i64>,
    #[serde(default)]
    markets_affected: Option<i64>,
    detected_at: DateTime<Utc>,
    event_kickoff: DateTime<Utc>,
    // The fields of the §9 types (issue 14), after the old ones and only when present: a
    // letter of the older types is written byte for byte as before, and one written before
    // they existed reads with them absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edge_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fair_odds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<Pattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    books: Option<Vec<BookFairOdds>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    margin_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prices: Option<Vec<OutcomeQuote>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    direction: Option<Direction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    median_change_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    movers: Option<Vec<Mover>>,
}

fn keyed(a: &DetectedAlert) -> Keyed {
    let flat = FlatPayload::from(&a.payload);
    let price = |p: Option<Price>| p.map(Price::as_f64);
    let pct = |p: Option<Percent>| p.map(Percent::as_f64);
    Keyed {
        event_key: a.event_key.clone(),
        alert: Flat {
            event_id: 0,
            bookmaker: a.bookmaker.clone(),
            market_id: a.market_id.clone(),
            market_name: a.market_name.clone(),
            line: a.line.map(Line::as_f64),
            outcome_name: a.outcome_name.clone(),
            alert_type: a.alert_type(),
            severity: a.severity,
            change_pct: pct(flat.change_pct),
            old_price: price(flat.old_price),
            new_price: price(flat.new_price),
            competitor_bookmaker: flat.competitor_bookmaker,
            competitor_old_price: price(flat.competitor_old_price),
            competitor_new_price: price(flat.competitor_new_price),
            competitor_direction: flat.competitor_direction,
            gap_pct: pct(flat.gap_pct),
            availability: flat.availability,
            unavailable_secs: flat.unavailable_secs,
            markets_affected: flat.markets_affected,
            detected_at: a.detected_at,
            event_kickoff: a.event_kickoff,
            edge_pct: pct(flat.edge_pct),
            fair_odds: price(flat.fair_odds),
            pattern: flat.pattern,
            books: flat.books,
            margin_pct: pct(flat.margin_pct),
            prices: flat.prices,
            direction: flat.direction,
            median_change_pct: pct(flat.median_change_pct),
            movers: flat.movers,
        },
    }
}

fn detected(k: Keyed) -> Result<DetectedAlert, String> {
    let a = k.alert;
    let price = |what: &str, v: Option<f64>| {
        v.map(|v| Price::from_f64(v).ok_or_else(|| format!("{what} {v} is no price")))
            .transpose()
    };
    let pct = |what: &str, v: Option<f64>| {
        v.map(|v| Percent::from_f64(v).ok_or_else(|| format!("{what} {v} is no percentage")))
            .transpose()
    };
    let flat = FlatPayload {
        change_pct: pct("changePct", a.change_pct)?,
        old_price: price("oldPrice", a.old_price)?,
        new_price: price("newPrice", a.new_price)?,
        competitor_bookmaker: a.competitor_bookmaker,
        competitor_old_price: price("competitorOldPrice", a.competitor_old_price)?,
        competitor_new_price: price("competitorNewPrice", a.competitor_new_price)?,
        competitor_direction: a.competitor_direction,
        gap_pct: pct("gapPct", a.gap_pct)?,
        availability: a.availability,
        unavailable_secs: a.unavailable_secs,
        markets_affected: a.markets_affected,
        edge_pct: pct("edgePct", a.edge_pct)?,
        fair_odds: price("fairOdds", a.fair_odds)?,
        pattern: a.pattern,
        books: a.books,
        margin_pct: pct("marginPct", a.margin_pct)?,
        prices: a.prices,
        direction: a.direction,
        median_change_pct: pct("medianChangePct", a.median_change_pct)?,
        movers: a.movers,
    };
    let line = a
        .line
        .map(|v| Line::from_f64(v).ok_or_else(|| format!("line {v} is no line")))
        .transpose()?;
    Ok(DetectedAlert {
        event_key: k.event_key,
        bookmaker: a.bookmaker,
        market_id: a.market_id,
        market_name: a.market_name,
        line,
        outcome_name: a.outcome_name,
        severity: a.severity,
        payload: flat.into_payload(a.alert_type)?,
        detected_at: a.detected_at,
        event_kickoff: a.event_kickoff,
    })
}

pub(super) fn serialize<S: Serializer>(alerts: &[DetectedAlert], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(alerts.iter().map(keyed))
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DetectedAlert>, D::Error> {
    Vec::<Keyed>::deserialize(d)?
        .into_iter()
        .map(|k| detected(k).map_err(D::Error::custom))
        .collect()
}
