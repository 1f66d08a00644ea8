//! Bulk loading of alerts (demo data, benchmarks): multi-row INSERTs on SQLite, COPY on
//! PostgreSQL. The pipeline uses [`Store::insert_alerts`] instead.

use chrono::{DateTime, SecondsFormat, Utc};

use super::insert::{ALERT_INSERT_COLUMNS, alert_params, occurrences_of_alerts_after};
use super::sql::{BindParams, Param};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{DetectedAlert, Status};

pub use super::events::EventRecord as BulkEvent;

/// An alert with its workflow state, for loading history.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkAlert {
    /// The event's database id: a bulk load knows it, so the alert's event key is not looked up.
    pub event_id: i64,
    /// The alert.
    pub alert: DetectedAlert,
    /// Its status.
    pub status: Status,
    /// When it was acknowledged (acknowledged alerts).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// By whom.
    pub acknowledged_by: Option<String>,
}

const BULK_COLUMNS: usize = super::insert::ALERT_INSERT_WIDTH + 2;

fn bulk_params(b: &BulkAlert) -> Vec<Param> {
    let mut params = alert_params(b.event_id, &b.alert, b.status).to_vec();
    params.push(b.acknowledged_at.map_or(Param::NullTime, Param::Time));
    params.push(b.acknowledged_by.clone().into());
    params
}

impl Store {
    /// Writes `alerts` in one transaction, as fast as the backend allows, each with its one
    /// occurrence (DESIGN §10: every stored detection is an occurrence). Each is its own
    /// identity: a bulk load folds nothing.
    pub async fn bulk_insert_alerts(&self, alerts: &[BulkAlert]) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await.context("starting a bulk load")?;
                let (before,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM alerts")
                    .fetch_one(&mut *tx)
                    .await
                    .context("reading the newest alert id")?;
                for chunk in alerts.chunks(30_000 / BULK_COLUMNS) {
                    let mut q = self.query("INSERT INTO alerts (");
                    q.push(ALERT_INSERT_COLUMNS)
                        .push(", acknowledged_at, acknowledged_by) VALUES ");
                    q.values(chunk.iter().map(bulk_params));
                    sqlx::query(q.sql())
                        .bind_params(q.params())
                        .execute(&mut *tx)
                        .await
                        .context("bulk inserting alerts")?;
                }
                let q = occurrences_of_alerts_after(self, before);
                sqlx::query(q.sql())
                    .bind_params(q.params())
                    .execute(&mut *tx)
                    .await
                    .context("writing the loaded alerts' occurrences")?;
                tx.commit().await.context("committing a bulk load")?;
            }
            Store::Postgres(pool) => {
                let mut conn = pool.acquire().await.context("starting a bulk load")?;
                let (before,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM alerts")
                    .fetch_one(&mut *conn)
                    .await
                    .context("reading the newest alert id")?;
                let statement = format!(
                    "COPY alerts ({ALERT_INSERT_COLUMNS}, acknowledged_at, acknowledged_by) FROM STDIN WITH (FORMAT csv)"
                );
                let mut copy = conn
                    .copy_in_raw(&statement)
                    .await
                    .context("starting COPY into alerts")?;
                let mut buf = String::with_capacity(alerts.len() * 200);
                for alert in alerts {
                    write_csv_row(&mut buf, &bulk_params(alert));
                }
                copy.send(buf.into_bytes())
                    .await
                    .context("sending COPY data")?;
                copy.finish().await.context("finishing COPY into alerts")?;
                let q = occurrences_of_alerts_after(self, before);
                sqlx::query(q.sql())
                    .bind_params(q.params())
                    .execute(&mut *conn)
                    .await
                    .context("writing the loaded alerts' occurrences")?;
            }
        }
        Ok(())
    }
}

/// One CSV line for `COPY … WITH (FORMAT csv)`; NULL is an unquoted empty field, text is
/// always quoted.
pub fn write_csv_row(buf: &mut String, params: &[Param]) {
    use std::fmt::Write;
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        match p {
            Param::Int(v) => write!(buf, "{v}").expect("write to String"),
            Param::Float(v) => write!(buf, "{v}").expect("write to String"),
            Param::Bool(v) => buf.push_str(if *v { "t" } else { "f" }),
            Param::Time(t) => buf.push_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            Param::Text(s) => {
                buf.push('"');
                buf.push_str(&s.replace('"', "\"\""));
                buf.push('"');
            }
            Param::NullText | Param::NullFloat | Param::NullInt | Param::NullTime => {}
        }
    }
    buf.push('\n');
}

impl Store {
    /// Drops the secondary indexes of the alerts table and returns the statements that
    /// recreate them. Loading a million rows and then building each index once is several
    /// times faster than maintaining eleven indexes row by row.
    pub async fn drop_alert_indexes(&self) -> Result<Vec<String>, StoreError> {
        let definitions: Vec<(String, String)> = match self {
            Store::Sqlite(pool) => sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL",
            )
            .fetch_all(pool)
            .await,
            Store::Postgres(pool) => sqlx::query_as(
                "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename = 'alerts' AND indexname <> 'alerts_pkey'",
            )
            .fetch_all(pool)
            .await,
        }
        .context("reading the alert indexes")?;
        for (name, _) in &definitions {
            // Names come from the catalogue, not from users; quoted all the same.
            let drop = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
            with_pool!(self, pool => sqlx::query(&drop).execute(pool).await.map(|_| ()))
                .context("dropping an alert index")?;
        }
        Ok(definitions.into_iter().map(|(_, sql)| sql).collect())
    }

    /// Runs index definitions returned by [`Store::drop_alert_indexes`].
    pub async fn create_indexes(&self, statements: &[String]) -> Result<(), StoreError> {
        for statement in statements {
            with_pool!(self, pool => sqlx::query(statement).execute(pool).await.map(|_| ()))
                .context("building an alert index")?;
        }
        Ok(())
    }
}

impl Store {
    /// Refreshes the planner's statistics (and on PostgreSQL the visibility map, so counts can
    /// be answered from indexes alone) after a bulk load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::query("ANALYZE").execute(pool).await.map(|_| ()),
            Store::Postgres(pool) => sqlx::query("VACUUM ANALYZE alerts")
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .context("analyzing the alerts table")
    }
}
