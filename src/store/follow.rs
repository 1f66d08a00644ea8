//! Following new alerts in the order they were stored, for printers that must not miss one.
//!
//! Alert ids grow in commit order here: one writer per database stores the pipeline's batches
//! one transaction after another, so "every alert with an id above the last one printed" is
//! exactly what was stored since — including alerts of replayed dead letters and bulk loads,
//! which the change log only reports as a reload.

use super::rows::{ALERT_COLUMNS, AlertRow, into_alerts};
use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::Alert;

impl Store {
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
