//! Writing alerts: the columns an alert is spread over, and the multi-row INSERTs the pipeline,
//! [`Store::insert_alerts`] and the bulk load share.

use super::Store;
use super::rows::PayloadLists;
use super::sql::{Param, SqlQuery};
use crate::domain::{DetectedAlert, FlatPayload, Line, Percent, Price, Status};

/// Most placeholders one statement gets (SQLite allows 32,766).
pub(super) const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// The alert columns written on insert, in order.
pub(super) const ALERT_INSERT_COLUMNS: &str = "event_id, bookmaker, market_id, market_name, line, \
    outcome_name, alert_type, severity, severity_rank, change_pct, abs_change_pct, old_price, new_price, \
    competitor_bookmaker, competitor_old_price, competitor_new_price, competitor_direction, gap_pct, \
    availability, unavailable_secs, detected_at, event_kickoff, status, markets_affected, edge_pct, \
    fair_odds, pattern, margin_pct, direction, median_change_pct, payload_lists";

/// Number of [`ALERT_INSERT_COLUMNS`].
pub(super) const ALERT_INSERT_WIDTH: usize = 31;

/// Binds one alert's values in [`ALERT_INSERT_COLUMNS`] order: the event's database id, the
/// alert's own fields, and its payload spread over the nullable columns ([`FlatPayload`]).
pub(super) fn alert_params(
    event_id: i64,
    a: &DetectedAlert,
    status: Status,
) -> [Param; ALERT_INSERT_WIDTH] {
    let flat = FlatPayload::from(&a.payload);
    let lists = PayloadLists::of(&flat).to_column();
    let price = |v: Option<Price>| v.map_or(Param::NullFloat, |p| Param::Float(p.as_f64()));
    let pct = |v: Option<Percent>| v.map_or(Param::NullFloat, |p| Param::Float(p.as_f64()));
    [
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
        pct(flat.change_pct),
        // The sort key of "largest change first": 0 for the types without a change.
        Param::Float(flat.change_pct.map_or(0.0, |c| c.abs().as_f64())),
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
        Param::Time(a.detected_at),
        Param::Time(a.event_kickoff),
        Param::Text(status.as_str().into()),
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

/// Multi-row INSERTs of `(event id, alert)`s (status new), each returning the new ids in order.
pub(super) fn alert_insert_chunks(
    store: &Store,
    alerts: &[(i64, &DetectedAlert)],
) -> Vec<SqlQuery> {
    const COLUMNS: usize = ALERT_INSERT_WIDTH;
    alerts
        .chunks(MAX_PARAMS_PER_STATEMENT / COLUMNS)
        .map(|chunk| {
            let mut q = store.query("INSERT INTO alerts (");
            q.push(ALERT_INSERT_COLUMNS).push(") VALUES ");
            q.values(
                chunk
                    .iter()
                    .map(|(event_id, alert)| alert_params(*event_id, alert, Status::New)),
            );
            q.push(" RETURNING id");
            q
        })
        .collect()
}

/// RETURNING makes no promise about row order, but ids are allocated ascending within one
/// statement on both backends, so ascending id order is insertion order.
pub(super) fn ids_in_insert_order(rows: Vec<(i64,)>) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
    ids.sort_unstable();
    ids
}
