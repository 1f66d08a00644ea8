//! Following the store: the change log (`alert_changes`) every writer appends to in the same
//! transaction as its change, which [`crate::live`] follows; the alerts a change names, read in
//! one query; and new alerts in the order they were stored, for printers that must not miss one.
//!
//! Alert ids grow in commit order here: one writer per database stores the pipeline's batches
//! one transaction after another, so "every alert with an id above the last one printed" is
//! exactly what was stored since — including alerts of replayed dead letters and bulk loads,
//! which the change log only reports as a reload.

use chrono::{DateTime, Utc};

use super::rows::{ALERT_COLUMNS, AlertRow, into_alerts};
use super::sql::{BindParams, Param, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{Alert, wire_enum};

wire_enum!(
    /// What one change-log row says happened. Stored as its wire name in `alert_changes.kind`.
    ChangeKind, "change kind" {
        /// A new alert was stored.
        Created = "created",
        /// An alert was acknowledged.
        Acknowledged = "acknowledged",
        /// An acknowledgement was taken back.
        Unacknowledged = "unacknowledged",
        /// The alert's event kicked off.
        Past = "past",
        /// Many alerts were loaded at once (demo data, imports); the row names no alert.
        Reloaded = "reloaded",
        /// Past alerts were deleted; the row names no alert.
        Purged = "purged",
        /// A further detection was folded into the alert (occurrences, latest prices), without
        /// asking for attention again (DESIGN §10).
        Updated = "updated",
        /// A further detection raised the alert's severity: highlight and bell again.
        Escalated = "escalated",
        /// A more severe detection within the cooldown re-opened an acknowledged alert.
        Reopened = "reopened",
        /// Silences changed (made, edited, expired): which alerts are hidden may have changed;
        /// the row names no alert.
        Silenced = "silenced",
    }
);

impl ChangeKind {
    /// True for kinds that name many alerts at once (the row's `alert_id` is NULL): followers
    /// reload instead of reading single alerts.
    pub const fn is_bulk(self) -> bool {
        matches!(
            self,
            ChangeKind::Reloaded | ChangeKind::Purged | ChangeKind::Silenced
        )
    }
}

/// One change-log row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeRow {
    /// Position in the log; grows with every row written.
    pub seq: i64,
    /// The alert it concerns; `None` for bulk changes.
    pub alert_id: Option<i64>,
    /// What happened; `None` for a kind this version does not know (written by a newer one),
    /// which followers treat as a bulk change.
    pub kind: Option<ChangeKind>,
}

impl ChangeRow {
    fn from_stored((seq, alert_id, kind): (i64, Option<i64>, String)) -> ChangeRow {
        ChangeRow {
            seq,
            alert_id,
            kind: kind.parse().ok(),
        }
    }
}

/// Alert ids per `IN (…)` list: far below both backends' bind limits (SQLite 32,766,
/// PostgreSQL 65,535) while keeping a poll's read to one statement in practice.
const IDS_PER_STATEMENT: usize = 1_000;

/// Change rows per INSERT (3 parameters each; SQLite allows 32,766).
const CHANGES_PER_STATEMENT: usize = 10_000;

impl Store {
    /// The latest change-log sequence number (0 when empty): followers start after it.
    pub async fn change_cursor(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM alert_changes";
        let (seq,): (i64,) = with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await)
            .context("reading the change cursor")?;
        Ok(seq)
    }

    /// Change-log rows after `seq`, oldest first, at most `limit`.
    pub async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<ChangeRow>, StoreError> {
        let mut q = self.query("SELECT seq, alert_id, kind FROM alert_changes WHERE seq > ");
        q.bind(seq)
            .push(" ORDER BY seq LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<(i64, Option<i64>, String)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading the change feed")?;
        Ok(rows.into_iter().map(ChangeRow::from_stored).collect())
    }

    /// Records that many alerts changed at once (bulk load, purge), so followers reload.
    pub(crate) async fn record_bulk_change(
        &self,
        kind: ChangeKind,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        debug_assert!(kind.is_bulk(), "{kind} names single alerts");
        let mut q = self.query("INSERT INTO alert_changes (alert_id, kind, at) VALUES (NULL, ");
        q.bind(kind.as_str()).push(", ").bind(now).push(")");
        with_pool!(self, pool => sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|_| ()))
            .context("writing the change feed")?;
        Ok(())
    }

    /// The alerts with these ids, ascending by id, in one query per 1,000 ids: what the live
    /// feed reads once per poll (or per stored batch) for every subscriber. Ids that name no
    /// alert (purged in between) are left out.
    pub async fn get_alerts(&self, ids: &[i64]) -> Result<Vec<Alert>, StoreError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut alerts = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut q = self.query("SELECT ");
            q.push(ALERT_COLUMNS)
                .push(" WHERE a.id IN ")
                .bind_list(chunk)
                .push(" ORDER BY a.id");
            let rows: Vec<AlertRow> = with_pool!(self, pool => {
                sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
            })
            .context("reading changed alerts")?;
            alerts.extend(into_alerts(rows)?);
        }
        Ok(alerts)
    }

    /// The id of the newest stored alert (0 when there is none).
    pub async fn newest_alert_id(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(id), 0) FROM alerts";
        let (id,): (i64,) = with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await)
            .context("reading the newest alert id")?;
        Ok(id)
    }

    /// Up to `limit` alerts with an id above `after`, oldest first.
    pub async fn alerts_after(&self, after: i64, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let mut q = self.query("SELECT ");
        q.push(ALERT_COLUMNS)
            .push(" WHERE a.id > ")
            .bind(after)
            .push(" ORDER BY a.id LIMIT ")
            .bind(i64::from(limit));
        let rows: Vec<AlertRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading new alerts")?;
        into_alerts(rows)
    }
}

/// Multi-row INSERTs into `alert_changes`, one row per id, each returning `(seq, alert_id)` of
/// its rows so a writer knows which log rows it committed (see [`changes_written`]).
pub(super) fn change_inserts(
    store: &Store,
    ids: &[i64],
    kind: ChangeKind,
    now: DateTime<Utc>,
) -> Vec<SqlQuery> {
    ids.chunks(CHANGES_PER_STATEMENT)
        .map(|chunk| {
            let mut q = store.query("INSERT INTO alert_changes (alert_id, kind, at) VALUES ");
            q.values(chunk.iter().map(|id| {
                [
                    Param::Int(*id),
                    Param::from(kind.as_str()),
                    Param::Time(now),
                ]
            }));
            q.push(" RETURNING seq, alert_id");
            q
        })
        .collect()
}

/// The rows a [`change_inserts`] statement returned, as change rows of `kind`, in log order.
pub(super) fn changes_written(returned: Vec<(i64, i64)>, kind: ChangeKind) -> Vec<ChangeRow> {
    let mut rows: Vec<ChangeRow> = returned
        .into_iter()
        .map(|(seq, alert_id)| ChangeRow {
            seq,
            alert_id: Some(alert_id),
            kind: Some(kind),
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.seq);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_kinds_keep_their_stored_names_and_unknown_ones_read_as_none() {
        let names: Vec<&str> = ChangeKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "created",
                "acknowledged",
                "unacknowledged",
                "past",
                "reloaded",
                "purged",
                "updated",
                "escalated",
                "reopened",
                "silenced"
            ]
        );
        let row = ChangeRow::from_stored((7, Some(3), "acknowledged".into()));
        assert_eq!(row.kind, Some(ChangeKind::Acknowledged));
        assert_eq!(
            ChangeRow::from_stored((8, None, "merged".into())).kind,
            None
        );
        assert!(ChangeKind::Purged.is_bulk() && !ChangeKind::Past.is_bulk());
        assert!(ChangeKind::Silenced.is_bulk() && !ChangeKind::Escalated.is_bulk());
    }

    #[test]
    fn written_changes_come_back_in_log_order() {
        let rows = changes_written(vec![(12, 5), (10, 3), (11, 4)], ChangeKind::Created);
        let seqs: Vec<(i64, Option<i64>)> = rows.iter().map(|r| (r.seq, r.alert_id)).collect();
        assert_eq!(seqs, [(10, Some(3)), (11, Some(4)), (12, Some(5))]);
        assert!(rows.iter().all(|r| r.kind == Some(ChangeKind::Created)));
    }
}
