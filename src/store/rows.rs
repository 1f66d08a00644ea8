//! Row types read back from the database and their conversion into domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{
    Alert, AlertEvent, AlertType, BookFairOdds, DetectedAlert, FlatPayload, Line, Mover,
    OutcomeQuote, Percent, Price, Workflow,
};

/// The columns every alert query selects, with the event's names joined in.
pub(super) const ALERT_COLUMNS: &str = "a.id, a.event_id, e.sr_id, e.home_team, e.away_team, e.tournament, \
     a.bookmaker, a.market_id, a.market_name, a.line, a.outcome_name, a.alert_type, a.severity, \
     a.change_pct, a.old_price, a.new_price, a.competitor_bookmaker, a.competitor_old_price, \
     a.competitor_new_price, a.competitor_direction, a.gap_pct, a.availability, a.unavailable_secs, \
     a.markets_affected, a.edge_pct, a.fair_odds, a.pattern, a.margin_pct, a.direction, \
     a.median_change_pct, a.payload_lists, a.detected_at, a.event_kickoff, a.status, a.acknowledged_at, a.acknowledged_by \
     FROM alerts a JOIN events e ON e.id = a.event_id";

/// One alert row as stored (enums still text).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct AlertRow {
    id: i64,
    event_id: i64,
    sr_id: String,
    home_team: String,
    away_team: String,
    tournament: Option<String>,
    bookmaker: String,
    market_id: String,
    market_name: String,
    line: Option<f64>,
    outcome_name: Option<String>,
    alert_type: String,
    severity: String,
    change_pct: Option<f64>,
    old_price: Option<f64>,
    new_price: Option<f64>,
    competitor_bookmaker: Option<String>,
    competitor_old_price: Option<f64>,
    competitor_new_price: Option<f64>,
    competitor_direction: Option<String>,
    gap_pct: Option<f64>,
    availability: Option<String>,
    unavailable_secs: Option<i64>,
    markets_affected: Option<i64>,
    edge_pct: Option<f64>,
    fair_odds: Option<f64>,
    pattern: Option<String>,
    margin_pct: Option<f64>,
    direction: Option<String>,
    median_change_pct: Option<f64>,
    payload_lists: Option<String>,
    detected_at: DateTime<Utc>,
    event_kickoff: DateTime<Utc>,
    status: String,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
}

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt {
        table: "alerts",
        message,
    }
}

fn parse<T: std::str::FromStr<Err = String>>(raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(corrupt)
}

fn parse_opt<T: std::str::FromStr<Err = String>>(
    raw: Option<String>,
) -> Result<Option<T>, StoreError> {
    raw.as_deref().map(parse).transpose()
}

/// A stored float back to the exact value it was written from (prices, lines and percentages
/// are written as `thousandths / 1000` and `hundredths / 100`, so this is lossless).
fn exact<T>(
    column: &str,
    value: Option<f64>,
    from: fn(f64) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    value
        .map(|v| from(v).ok_or_else(|| corrupt(format!("{column} {v} is out of range"))))
        .transpose()
}

/// The per-type lists of a payload (a market move's movers, an off-market price's consensus
/// books, a margin alert's prices) as the one JSON text column `payload_lists` holds them:
/// `{"movers": [...]}`, `{"books": [...]}` or `{"prices": [...]}`; NULL for the types without
/// lists. The items keep the camelCase names of their API shape (`oldPrice`, `fairOdds`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PayloadLists {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    movers: Option<Vec<Mover>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    books: Option<Vec<BookFairOdds>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prices: Option<Vec<OutcomeQuote>>,
}

impl PayloadLists {
    /// The lists of a flattened payload.
    pub(super) fn of(flat: &FlatPayload) -> Self {
        PayloadLists {
            movers: flat.movers.clone(),
            books: flat.books.clone(),
            prices: flat.prices.clone(),
        }
    }

    /// The column's value: `None` (NULL) when the payload has no lists.
    pub(super) fn to_column(&self) -> Option<String> {
        if *self == PayloadLists::default() {
            return None;
        }
        Some(serde_json::to_string(self).expect("lists of plain values serialize"))
    }

    /// Reads the column back (NULL: no lists).
    pub(super) fn from_column(raw: Option<&str>) -> Result<Self, serde_json::Error> {
        raw.map_or(Ok(PayloadLists::default()), serde_json::from_str)
    }

    /// `flat` with these lists.
    pub(super) fn into_flat(self, flat: FlatPayload) -> FlatPayload {
        FlatPayload {
            movers: self.movers,
            books: self.books,
            prices: self.prices,
            ..flat
        }
    }
}

/// The one place database columns become an alert: the columns that held the payload since
/// the first schema are rebuilt into the payload of the row's type ([`FlatPayload`]).
impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(r: AlertRow) -> Result<Alert, StoreError> {
        let alert_type: AlertType = parse(&r.alert_type)?;
        let flat = FlatPayload {
            change_pct: exact("change_pct", r.change_pct, Percent::from_f64)?,
            old_price: exact("old_price", r.old_price, Price::from_f64)?,
            new_price: exact("new_price", r.new_price, Price::from_f64)?,
            competitor_bookmaker: r.competitor_bookmaker,
            competitor_old_price: exact(
                "competitor_old_price",
                r.competitor_old_price,
                Price::from_f64,
            )?,
            competitor_new_price: exact(
                "competitor_new_price",
                r.competitor_new_price,
                Price::from_f64,
            )?,
            competitor_direction: parse_opt(r.competitor_direction)?,
            gap_pct: exact("gap_pct", r.gap_pct, Percent::from_f64)?,
            availability: parse_opt(r.availability)?,
            unavailable_secs: r.unavailable_secs,
            markets_affected: r.markets_affected,
            edge_pct: exact("edge_pct", r.edge_pct, Percent::from_f64)?,
            fair_odds: exact("fair_odds", r.fair_odds, Price::from_f64)?,
            pattern: parse_opt(r.pattern)?,
            margin_pct: exact("margin_pct", r.margin_pct, Percent::from_f64)?,
            direction: parse_opt(r.direction)?,
            median_change_pct: exact("median_change_pct", r.median_change_pct, Percent::from_f64)?,
            ..FlatPayload::default()
        };
        let flat = PayloadLists::from_column(r.payload_lists.as_deref())
            .map_err(|e| corrupt(format!("alert {}: payload_lists: {e}", r.id)))?
            .into_flat(flat);
        let payload = flat
            .into_payload(alert_type)
            .map_err(|e| corrupt(format!("alert {}: {e}", r.id)))?;
        let detected = DetectedAlert {
            event_key: r.sr_id,
            bookmaker: r.bookmaker,
            market_id: r.market_id,
            market_name: r.market_name,
            line: exact("line", r.line, Line::from_f64)?,
            outcome_name: r.outcome_name,
            severity: parse(&r.severity)?,
            payload,
            detected_at: r.detected_at,
            event_kickoff: r.event_kickoff,
        };
        let event = AlertEvent {
            id: r.event_id,
            home_team: r.home_team,
            away_team: r.away_team,
            tournament: r.tournament,
        };
        let workflow = Workflow {
            status: parse(&r.status)?,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
        };
        Ok(Alert::from_detected(r.id, event, detected, workflow))
    }
}

/// Converts fetched rows, failing on the first corrupt one.
pub(super) fn into_alerts(rows: Vec<AlertRow>) -> Result<Vec<Alert>, StoreError> {
    rows.into_iter().map(Alert::try_from).collect()
}
