//! Writing alerts: the columns an alert is spread over, and the multi-row INSERTs the pipeline,
//! [`Store::insert_alerts`] and the bulk load share.

use super::Store;
use super::rows::PayloadLists;
use super::sql::{Param, SqlQuery};
use chrono::{DateTime, Utc};

use crate::domain::{AlertPayload, DetectedAlert, FlatPayload, Line, Percent, Price, Status};

/// Most placeholders one statement gets (SQLite allows 32,766).
pub(super) const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// The alert columns written on insert, in order: the alert's own fields, then its payload in
/// [`PAYLOAD_COLUMNS`] order (a test keeps the two in step).
pub(super) const ALERT_INSERT_COLUMNS: &str = "event_id, bookmaker, market_id, market_name, line, \
    outcome_name, alert_type, severity, severity_rank, abs_change_pct, detected_at, event_kickoff, \
    status, change_pct, old_price, new_price, competitor_bookmaker, competitor_old_price, \
    competitor_new_price, competitor_direction, gap_pct, availability, unavailable_secs, \
    markets_affected, edge_pct, fair_odds, pattern, margin_pct, direction, median_change_pct, \
    payload_lists";

/// Number of [`ALERT_INSERT_COLUMNS`].
pub(super) const ALERT_INSERT_WIDTH: usize = 31;

/// Binds one alert's values in [`ALERT_INSERT_COLUMNS`] order: the event's database id, the
/// alert's own fields, and its payload spread over the nullable columns ([`payload_params`]).
pub(super) fn alert_params(
    event_id: i64,
    a: &DetectedAlert,
    status: Status,
) -> [Param; ALERT_INSERT_WIDTH] {
    let own = [
        Param::Int(event_id),
        Param::Text(a.bookmaker.clone()),
        Param::Text(a.market_id.clone()),
        Param::Text(a.market_name.clone()),
        a.line
            .map_or(Param::NullFloat, |l| Param::Float(Line::as_f64(l))),
        a.outcome_name.clone().into(),
        Param::Text(a.alert_type().as_str().into()),
        Param::Text(a.severity.as_str().into()),
        Param::Int(i64::from(a.severity.rank())),
        abs_change_param(&a.payload),
        Param::Time(a.detected_at),
        Param::Time(a.event_kickoff),
        Param::Text(status.as_str().into()),
    ];
    let mut params = own.into_iter().chain(payload_params(&a.payload));
    std::array::from_fn(|_| params.next().expect("ALERT_INSERT_WIDTH values"))
}

/// The payload columns of `alerts` and `alert_occurrences` alike, in order.
pub(super) const PAYLOAD_COLUMNS: [&str; 18] = [
    "change_pct",
    "old_price",
    "new_price",
    "competitor_bookmaker",
    "competitor_old_price",
    "competitor_new_price",
    "competitor_direction",
    "gap_pct",
    "availability",
    "unavailable_secs",
    "markets_affected",
    "edge_pct",
    "fair_odds",
    "pattern",
    "margin_pct",
    "direction",
    "median_change_pct",
    "payload_lists",
];

/// Binds a payload in [`PAYLOAD_COLUMNS`] order.
pub(super) fn payload_params(payload: &AlertPayload) -> [Param; 18] {
    let flat = FlatPayload::from(payload);
    let lists = PayloadLists::of(&flat).to_column();
    let price = |v: Option<Price>| v.map_or(Param::NullFloat, |p| Param::Float(p.as_f64()));
    let pct = |v: Option<Percent>| v.map_or(Param::NullFloat, |p| Param::Float(p.as_f64()));
    [
        pct(flat.change_pct),
        price(flat.old_price),
        price(flat.new_price),
        flat.competitor_bookmaker.into(),
        price(flat.competitor_old_price),
        price(flat.competitor_new_price),
        flat.competitor_direction
            .map(|d| d.as_str().to_string())
            .into(),
        pct(flat.gap_pct),
        flat.availability.map(|d| d.as_str().to_string()).into(),
        flat.unavailable_secs.map_or(Param::NullInt, Param::Int),
        flat.markets_affected.map_or(Param::NullInt, Param::Int),
        pct(flat.edge_pct),
        price(flat.fair_odds),
        flat.pattern.map(|p| p.as_str().to_string()).into(),
        pct(flat.margin_pct),
        flat.direction.map(|d| d.as_str().to_string()).into(),
        pct(flat.median_change_pct),
        lists.into(),
    ]
}

/// The sort key of "largest change first": 0 for the types without a change.
pub(super) fn abs_change_param(payload: &AlertPayload) -> Param {
    Param::Float(payload.change_pct().map_or(0.0, |c| c.abs().as_f64()))
}

/// An alert about to be inserted with its noise-control state (DESIGN §10): the first
/// detection's identity fields and time, the latest detection's payload, the worst severity.
#[derive(Debug, Clone)]
pub(super) struct AlertInsert<'a> {
    /// The event's database id.
    pub event_id: i64,
    /// The alert as stored: its first detection, with the latest payload and worst severity.
    pub alert: std::borrow::Cow<'a, DetectedAlert>,
    /// `alerts.identity` (NULL: never folded into).
    pub identity: Option<String>,
    /// Detections it holds.
    pub occurrences: i64,
    /// The latest detection's time.
    pub last_detected_at: DateTime<Utc>,
    /// Its severity rose.
    pub escalated: bool,
    /// The silence that matched it.
    pub silenced_by: Option<i64>,
}

impl<'a> AlertInsert<'a> {
    /// One detection stored as it is.
    pub(super) fn single(
        event_id: i64,
        alert: &'a DetectedAlert,
        identity: Option<String>,
    ) -> Self {
        AlertInsert {
            event_id,
            alert: std::borrow::Cow::Borrowed(alert),
            identity,
            occurrences: 1,
            last_detected_at: alert.detected_at,
            escalated: false,
            silenced_by: None,
        }
    }
}

/// Multi-row INSERTs of new alerts (status new), each returning the new ids in order.
pub(super) fn alert_insert_chunks(store: &Store, alerts: &[AlertInsert<'_>]) -> Vec<SqlQuery> {
    const COLUMNS: usize = ALERT_INSERT_WIDTH + 5;
    alerts
        .chunks(MAX_PARAMS_PER_STATEMENT / COLUMNS)
        .map(|chunk| {
            let mut q = store.query("INSERT INTO alerts (");
            q.push(ALERT_INSERT_COLUMNS)
                .push(", identity, occurrences, last_detected_at, escalated, silenced_by) VALUES ");
            q.values(chunk.iter().map(|row| {
                let mut params = alert_params(row.event_id, &row.alert, Status::New).to_vec();
                params.extend([
                    row.identity.clone().into(),
                    Param::Int(row.occurrences),
                    Param::Time(row.last_detected_at),
                    Param::Bool(row.escalated),
                    row.silenced_by.map_or(Param::NullInt, Param::Int),
                ]);
                params
            }));
            q.push(" RETURNING id");
            q
        })
        .collect()
}

/// Multi-row INSERTs into `alert_occurrences` of `(alert id, detection)`s.
pub(super) fn occurrence_insert_chunks(
    store: &Store,
    rows: &[(i64, &DetectedAlert)],
) -> Vec<SqlQuery> {
    const COLUMNS: usize = 4 + PAYLOAD_COLUMNS.len();
    rows.chunks(MAX_PARAMS_PER_STATEMENT / COLUMNS)
        .map(|chunk| {
            let mut q = store.query(
                "INSERT INTO alert_occurrences (alert_id, detected_at, severity, severity_rank, ",
            );
            q.push(&PAYLOAD_COLUMNS.join(", ")).push(") VALUES ");
            q.values(chunk.iter().map(|(alert_id, d)| {
                let mut params = vec![
                    Param::Int(*alert_id),
                    Param::Time(d.detected_at),
                    Param::Text(d.severity.as_str().into()),
                    Param::Int(i64::from(d.severity.rank())),
                ];
                params.extend(payload_params(&d.payload));
                params
            }));
            q
        })
        .collect()
}

/// The statement that gives every alert with an id above `after` its one occurrence, from its
/// own columns (the bulk load; migration 0014 does the same for every existing alert).
pub(super) fn occurrences_of_alerts_after(store: &Store, after: i64) -> SqlQuery {
    let payload = PAYLOAD_COLUMNS.join(", ");
    let mut q = store
        .query("INSERT INTO alert_occurrences (alert_id, detected_at, severity, severity_rank, ");
    q.push(&payload)
        .push(") SELECT id, detected_at, severity, severity_rank, ")
        .push(&payload)
        .push(" FROM alerts WHERE id > ")
        .bind(after)
        .push(" ORDER BY id");
    q
}
/// RETURNING makes no promise about row order, but ids are allocated ascending within one
/// statement on both backends, so ascending id order is insertion order.
pub(super) fn ids_in_insert_order(rows: Vec<(i64,)>) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_columns_end_with_the_payload_columns_and_match_the_values_bound() {
        let columns: Vec<&str> = ALERT_INSERT_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(columns.len(), ALERT_INSERT_WIDTH);
        assert_eq!(
            columns[ALERT_INSERT_WIDTH - PAYLOAD_COLUMNS.len()..],
            PAYLOAD_COLUMNS
        );
    }
}
