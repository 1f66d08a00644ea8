//! Row types read back from the database and their conversion into domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{
    Alert, AlertEvent, AlertPayload, AlertType, BookFairOdds, DetectedAlert, FlatPayload, Line,
    Mover, Occurrence, OutcomeQuote, Percent, Price, Workflow,
};

/// The columns every alert query selects, with the event's names joined in.
pub(super) const ALERT_COLUMNS: &str = "a.id, a.event_id, e.sr_id, e.home_team, e.away_team, e.tournament, \
     a.bookmaker, a.market_id, a.market_name, a.line, a.outcome_name, a.alert_type, a.severity, \
     a.change_pct, a.old_price, a.new_price, a.competitor_bookmaker, a.competitor_old_price, \
     a.competitor_new_price, a.competitor_direction, a.gap_pct, a.availability, a.unavailable_secs, \
     a.markets_affected, a.edge_pct, a.fair_odds, a.pattern, a.margin_pct, a.direction, \
     a.median_change_pct, a.payload_lists, a.detected_at, a.event_kickoff, a.status, a.acknowledged_at, a.acknowledged_by, \
     a.occurrences, COALESCE(a.last_detected_at, a.detected_at) AS last_detected_at, a.escalated, a.silenced_by \
     FROM alerts a JOIN events e ON e.id = a.event_id";

/// The payload columns an occurrence is read from (the alerts' names; see [`PayloadColumns`]).
pub(super) const OCCURRENCE_COLUMNS: &str = "o.id, o.alert_id, a.alert_type, o.detected_at, o.severity, \
     o.change_pct, o.old_price, o.new_price, o.competitor_bookmaker, o.competitor_old_price, \
     o.competitor_new_price, o.competitor_direction, o.gap_pct, o.availability, o.unavailable_secs, \
     o.markets_affected, o.edge_pct, o.fair_odds, o.pattern, o.margin_pct, o.direction, \
     o.median_change_pct, o.payload_lists \
     FROM alert_occurrences o JOIN alerts a ON a.id = o.alert_id";

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
    #[sqlx(flatten)]
    payload: PayloadColumns,
    detected_at: DateTime<Utc>,
    event_kickoff: DateTime<Utc>,
    status: String,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
    occurrences: i64,
    last_detected_at: DateTime<Utc>,
    escalated: bool,
    silenced_by: Option<i64>,
}

/// The columns an alert's payload is spread over, in `alerts` and `alert_occurrences` alike.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct PayloadColumns {
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
}

/// One occurrence row as stored.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct OccurrenceRow {
    id: i64,
    alert_id: i64,
    alert_type: String,
    detected_at: DateTime<Utc>,
    severity: String,
    #[sqlx(flatten)]
    payload: PayloadColumns,
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

/// A stored float back to the exact value it was written from (prices, lines and percentages
/// are written as `thousandths / 1000` and `hundredths / 100`, so this is lossless).
fn exact<T>(
    column: &str,
    value: Option<f64>,
    from: fn(f64) -> Option<T>,
) -> Result<Option<T>, String> {
    value
        .map(|v| from(v).ok_or_else(|| format!("{column} {v} is out of range")))
        .transpose()
}

/// An optional enum column read back (the error names the value).
fn parse_text<T: std::str::FromStr<Err = String>>(
    raw: Option<String>,
) -> Result<Option<T>, String> {
    raw.as_deref().map(str::parse).transpose()
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
        let payload = r
            .payload
            .into_payload(alert_type)
            .map_err(|e| corrupt(format!("alert {}: {e}", r.id)))?;
        let detected = DetectedAlert {
            event_key: r.sr_id,
            bookmaker: r.bookmaker,
            market_id: r.market_id,
            market_name: r.market_name,
            line: exact("line", r.line, Line::from_f64).map_err(corrupt)?,
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
        let mut alert = Alert::from_detected(r.id, event, detected, workflow);
        alert.occurrences = u32::try_from(r.occurrences.max(1)).unwrap_or(u32::MAX);
        alert.last_detected_at = r.last_detected_at;
        alert.escalated = r.escalated;
        alert.silenced_by = r.silenced_by;
        Ok(alert)
    }
}

impl PayloadColumns {
    /// The payload of an alert of `alert_type` (the error says which column was wrong).
    fn into_payload(self, alert_type: AlertType) -> Result<AlertPayload, String> {
        let flat = FlatPayload {
            change_pct: exact("change_pct", self.change_pct, Percent::from_f64)?,
            old_price: exact("old_price", self.old_price, Price::from_f64)?,
            new_price: exact("new_price", self.new_price, Price::from_f64)?,
            competitor_bookmaker: self.competitor_bookmaker,
            competitor_old_price: exact(
                "competitor_old_price",
                self.competitor_old_price,
                Price::from_f64,
            )?,
            competitor_new_price: exact(
                "competitor_new_price",
                self.competitor_new_price,
                Price::from_f64,
            )?,
            competitor_direction: parse_text(self.competitor_direction)?,
            gap_pct: exact("gap_pct", self.gap_pct, Percent::from_f64)?,
            availability: parse_text(self.availability)?,
            unavailable_secs: self.unavailable_secs,
            markets_affected: self.markets_affected,
            edge_pct: exact("edge_pct", self.edge_pct, Percent::from_f64)?,
            fair_odds: exact("fair_odds", self.fair_odds, Price::from_f64)?,
            pattern: parse_text(self.pattern)?,
            margin_pct: exact("margin_pct", self.margin_pct, Percent::from_f64)?,
            direction: parse_text(self.direction)?,
            median_change_pct: exact(
                "median_change_pct",
                self.median_change_pct,
                Percent::from_f64,
            )?,
            ..FlatPayload::default()
        };
        let flat = PayloadLists::from_column(self.payload_lists.as_deref())
            .map_err(|e| format!("payload_lists: {e}"))?
            .into_flat(flat);
        flat.into_payload(alert_type)
    }
}

impl TryFrom<OccurrenceRow> for Occurrence {
    type Error = StoreError;

    fn try_from(r: OccurrenceRow) -> Result<Occurrence, StoreError> {
        let occurrence_corrupt = |message: String| StoreError::Corrupt {
            table: "alert_occurrences",
            message: format!("occurrence {}: {message}", r.id),
        };
        let alert_type: AlertType = r.alert_type.parse().map_err(occurrence_corrupt)?;
        let severity = r.severity.parse().map_err(occurrence_corrupt)?;
        let payload = r
            .payload
            .into_payload(alert_type)
            .map_err(occurrence_corrupt)?;
        Ok(Occurrence {
            id: r.id,
            alert_id: r.alert_id,
            detected_at: r.detected_at,
            severity,
            payload,
        })
    }
}

/// Converts fetched rows, failing on the first corrupt one.
pub(super) fn into_alerts(rows: Vec<AlertRow>) -> Result<Vec<Alert>, StoreError> {
    rows.into_iter().map(Alert::try_from).collect()
}
