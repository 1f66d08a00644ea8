//! Row types read back from the database and their conversion into domain types.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::Alert;

/// The columns every alert query selects, with the event's names joined in.
pub(super) const ALERT_COLUMNS: &str = "a.id, a.event_id, e.sr_id, e.home_team, e.away_team, e.tournament, \
     a.bookmaker, a.market_id, a.market_name, a.line, a.outcome_name, a.alert_type, a.severity, \
     a.change_pct, a.old_price, a.new_price, a.competitor_bookmaker, a.competitor_old_price, \
     a.competitor_new_price, a.competitor_direction, a.gap_pct, a.availability, a.unavailable_secs, \
     a.markets_affected, a.detected_at, a.event_kickoff, a.status, a.acknowledged_at, a.acknowledged_by \
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
    detected_at: DateTime<Utc>,
    event_kickoff: DateTime<Utc>,
    status: String,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
}

fn parse<T: std::str::FromStr<Err = String>>(raw: &str) -> Result<T, StoreError> {
    raw.parse().map_err(|message| StoreError::Corrupt {
        table: "alerts",
        message,
    })
}

fn parse_opt<T: std::str::FromStr<Err = String>>(
    raw: Option<String>,
) -> Result<Option<T>, StoreError> {
    raw.as_deref().map(parse).transpose()
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(r: AlertRow) -> Result<Alert, StoreError> {
        Ok(Alert {
            id: r.id,
            event_id: r.event_id,
            sr_id: r.sr_id,
            event_name: format!("{} v {}", r.home_team, r.away_team),
            home_team: r.home_team,
            away_team: r.away_team,
            tournament: r.tournament,
            bookmaker_slug: r.bookmaker,
            market_id: r.market_id,
            market_name: r.market_name,
            line: r.line,
            outcome_name: r.outcome_name,
            alert_type: parse(&r.alert_type)?,
            severity: parse(&r.severity)?,
            change_percent: r.change_pct,
            old_value: r.old_price,
            new_value: r.new_price,
            competitor_bookmaker: r.competitor_bookmaker,
            competitor_old_value: r.competitor_old_price,
            competitor_new_value: r.competitor_new_price,
            competitor_direction: parse_opt(r.competitor_direction)?,
            gap_percent: r.gap_pct,
            availability: parse_opt(r.availability)?,
            unavailable_secs: r.unavailable_secs,
            markets_affected: r.markets_affected,
            detected_at: r.detected_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
            status: parse(&r.status)?,
            event_kickoff: r.event_kickoff,
        })
    }
}

/// Converts fetched rows, failing on the first corrupt one.
pub(super) fn into_alerts(rows: Vec<AlertRow>) -> Result<Vec<Alert>, StoreError> {
    rows.into_iter().map(Alert::try_from).collect()
}
