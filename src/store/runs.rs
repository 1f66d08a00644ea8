//! Scrape runs (one per cycle, with per-book results), stale-run recovery, history retention,
//! and reading current odds back to warm the detector after a restart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sql::{BindParams, Param};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{AlertType, Line, OutcomeOdds, Severity, Status, wire_enum};
pub use crate::health::BookRun;

wire_enum!(
    /// How a run ended.
    RunStatus, "run status" {
        /// Every book answered.
        Ok = "ok",
        /// Some books or requests failed; the rest was stored.
        Partial = "partial",
        /// Nothing usable (or the process died mid-run).
        Failed = "failed",
    }
);

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// How it ended.
    pub status: RunStatus,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Events seen across books.
    pub events_seen: i64,
    /// Odds and history rows written.
    pub rows_written: i64,
    /// Alerts written.
    pub alerts_written: i64,
    /// Timings and counts per type and severity, as JSON.
    pub stats: serde_json::Value,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Per-book results.
    pub books: Vec<BookRun>,
}

/// A whole run as the writer stores it at the end of a cycle: the summary, the row `start_run`
/// created (if the database answered then) and the cycle's dead-letter counts. Serialisable so a
/// run record that cannot be stored is kept as a dead letter like a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The `running` row of this cycle, or `None` when the database did not answer at its start
    /// (then the whole row is inserted).
    pub id: Option<i64>,
    /// When the cycle started.
    pub started_at: DateTime<Utc>,
    /// How it ended.
    pub summary: RunSummary,
    /// Batches of this cycle the writer could not store and kept as dead letters.
    pub batches_dead_lettered: i64,
    /// Dead letters (of this or earlier cycles) stored while this cycle ran.
    pub batches_replayed: i64,
    /// The daemon that ran the cycle (DESIGN §11), stored when the whole row is inserted; `None`
    /// for runs of no daemon and letters written before leases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_id: Option<String>,
}

impl RunRecord {
    /// A record without dead-letter counts (the writer fills them in).
    pub fn new(id: Option<i64>, started_at: DateTime<Utc>, summary: RunSummary) -> Self {
        RunRecord {
            id,
            started_at,
            summary,
            batches_dead_lettered: 0,
            batches_replayed: 0,
            daemon_id: None,
        }
    }

    /// The same record, run by daemon `daemon_id`.
    pub fn by_daemon(mut self, daemon_id: impl Into<String>) -> Self {
        self.daemon_id = Some(daemon_id.into());
        self
    }
}

/// A stored current-odds row, for warming the detector.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOdds {
    /// SportRadar id of the event.
    pub event_key: String,
    /// Kickoff of the event.
    pub kickoff: Option<DateTime<Utc>>,
    /// Book slug.
    pub bookmaker: String,
    /// Canonical market id.
    pub market_id: String,
    /// Canonical line text (`""` for none).
    pub line: String,
    /// Outcomes as last quoted.
    pub outcomes: Vec<OutcomeOdds>,
    /// Offered at the last successful scrape.
    pub available: bool,
    /// Since when it has been unavailable.
    pub unavailable_since: Option<DateTime<Utc>>,
}

/// The latest stored §9 band alert of one key, for warming the detector's band memory: an
/// `off_market` alert of one (event, market, line, outcome) or a `margin` alert of one (event,
/// market, line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBand {
    /// SportRadar id of the event.
    pub event_key: String,
    /// `off_market` or `margin`.
    pub alert_type: AlertType,
    /// Canonical market id.
    pub market_id: String,
    /// The market's line, `None` for markets without lines.
    pub line: Option<Line>,
    /// The outcome (`off_market`); `None` for `margin`.
    pub outcome_name: Option<String>,
    /// The alert's severity: the band it raised.
    pub severity: Severity,
}

type BandRow = (String, String, String, Option<f64>, Option<String>, String);

type OddsRow = (
    String,
    Option<DateTime<Utc>>,
    String,
    String,
    String,
    String,
    bool,
    Option<DateTime<Utc>>,
);

impl Store {
    /// Records the start of a cycle of no daemon; returns its id.
    pub async fn start_run(&self, at: DateTime<Utc>) -> Result<i64, StoreError> {
        self.insert_running(at, None).await
    }

    /// Records the start of a cycle of daemon `daemon_id` (DESIGN §11); returns its id. While
    /// that daemon is live, [`Store::recover_stale_runs`] leaves the run alone.
    pub async fn start_run_by(
        &self,
        at: DateTime<Utc>,
        daemon_id: &str,
    ) -> Result<i64, StoreError> {
        self.insert_running(at, Some(daemon_id)).await
    }

    async fn insert_running(
        &self,
        at: DateTime<Utc>,
        daemon_id: Option<&str>,
    ) -> Result<i64, StoreError> {
        let mut q = self.query("INSERT INTO scrape_runs (started_at, status, daemon_id) VALUES (");
        q.bind(at)
            .push(", 'running', ")
            .bind(daemon_id.map(str::to_string))
            .push(") RETURNING id");
        let (id,): (i64,) = with_pool!(self, pool => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_one(pool).await)
            .context("recording the start of a scrape run")?;
        Ok(id)
    }

    /// Records the end of a cycle with its per-book results.
    pub async fn finish_run(&self, run_id: i64, summary: &RunSummary) -> Result<(), StoreError> {
        let record = RunRecord::new(Some(run_id), summary.finished_at, summary.clone());
        self.record_run(&record).await.map(|_| ())
    }

    /// Stores a whole run in one transaction and returns its id: updates the `running` row when
    /// there is one, inserts the run otherwise (its start was not recorded, or the row is gone).
    /// Idempotent: the per-book rows are replaced, so a dead letter replayed twice stores once.
    pub async fn record_run(&self, record: &RunRecord) -> Result<i64, StoreError> {
        let summary = &record.summary;
        let update = record.id.map(|id| {
            let mut q = self.query("UPDATE scrape_runs SET finished_at = ");
            q.bind(summary.finished_at)
                .push(", status = ")
                .bind(summary.status.as_str());
            q.push(", events_seen = ").bind(summary.events_seen);
            q.push(", rows_written = ").bind(summary.rows_written);
            q.push(", alerts_written = ").bind(summary.alerts_written);
            q.push(", stats = ").bind(summary.stats.to_string());
            q.push(", error = ").bind(summary.error.clone());
            q.push(", batches_dead_lettered = ")
                .bind(record.batches_dead_lettered);
            q.push(", batches_replayed = ")
                .bind(record.batches_replayed);
            q.push(" WHERE id = ").bind(id).push(" RETURNING id");
            q
        });
        let mut insert = self.query(
            "INSERT INTO scrape_runs (started_at, finished_at, status, events_seen, rows_written, alerts_written, stats, error, batches_dead_lettered, batches_replayed, daemon_id) VALUES (",
        );
        insert
            .bind(record.started_at)
            .push(", ")
            .bind(summary.finished_at)
            .push(", ")
            .bind(summary.status.as_str());
        insert.push(", ").bind(summary.events_seen);
        insert.push(", ").bind(summary.rows_written);
        insert.push(", ").bind(summary.alerts_written);
        insert.push(", ").bind(summary.stats.to_string());
        insert.push(", ").bind(summary.error.clone());
        insert.push(", ").bind(record.batches_dead_lettered);
        insert.push(", ").bind(record.batches_replayed);
        insert.push(", ").bind(record.daemon_id.clone());
        insert.push(") RETURNING id");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting to record a scrape run")?;
            let updated: Option<(i64,)> = match &update {
                Some(q) => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_optional(&mut *tx).await
                    .context("recording the end of a scrape run")?,
                None => None,
            };
            let run_id = match updated {
                Some((id,)) => id,
                None => {
                    let (id,): (i64,) = sqlx::query_as(insert.sql()).bind_params(insert.params()).fetch_one(&mut *tx).await
                        .context("recording a scrape run")?;
                    id
                }
            };
            let mut clear = self.query("DELETE FROM scrape_run_books WHERE run_id = ");
            clear.bind(run_id);
            sqlx::query(clear.sql()).bind_params(clear.params()).execute(&mut *tx).await
                .context("replacing per-book results")?;
            if !summary.books.is_empty() {
                let books = self.run_books_insert(run_id, &summary.books);
                sqlx::query(books.sql()).bind_params(books.params()).execute(&mut *tx).await
                    .context("recording per-book results")?;
            }
            tx.commit().await.context("committing a scrape run")?;
            Ok(run_id)
        })
    }

    fn run_books_insert(&self, run_id: i64, books: &[BookRun]) -> super::sql::SqlQuery {
        let int = |v: Option<u32>| v.map_or(Param::NullInt, |v| Param::Int(v.into()));
        let mut q = self.query(
            "INSERT INTO scrape_run_books (run_id, bookmaker, status, events_seen, markets_seen, requests, failures, latency_p50_ms, latency_p95_ms, quota_remaining, error) VALUES ",
        );
        q.values(books.iter().map(|b| {
            let counts = &b.counts;
            [
                Param::Int(run_id),
                Param::from(b.bookmaker.as_str()),
                Param::from(b.status.as_str()),
                Param::Int(counts.events_seen.into()),
                Param::Int(counts.markets_seen.into()),
                Param::Int(counts.requests.into()),
                Param::Int(counts.failures.into()),
                int(counts.latency_p50_ms),
                int(counts.latency_p95_ms),
                int(counts.quota_remaining),
                Param::from(b.error.clone()),
            ]
        }));
        q
    }

    /// Closes runs left `running` by a process that died, as failed. Returns how many.
    ///
    /// A run of a live daemon (not stopped, seen within its lease) is another daemon's cycle in
    /// progress and is left alone; runs of no daemon or of a dead one are closed. Liveness is
    /// judged on the database's clock on PostgreSQL (as leases are), in one statement so a run
    /// started meanwhile is seen with its daemon's heartbeat; at `now` on SQLite.
    pub async fn recover_stale_runs(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut q = self.query("UPDATE scrape_runs SET status = 'failed', finished_at = ");
        q.bind(now).push(
            ", error = 'interrupted: the process stopped during this run' WHERE status = 'running' \
             AND (daemon_id IS NULL OR NOT EXISTS (SELECT 1 FROM scrape_daemons d \
             WHERE d.id = scrape_runs.daemon_id AND d.stopped_at IS NULL AND ",
        );
        match self {
            Store::Postgres(_) => {
                q.push("d.last_seen > now() - d.lease_ms * interval '1 millisecond'");
            }
            Store::Sqlite(_) => {
                // Stored times are RFC 3339 text, which julianday reads (fractions included).
                q.push("julianday(d.last_seen) + d.lease_ms / 86400000.0 > julianday(")
                    .bind(now)
                    .push(")");
            }
        }
        q.push("))");
        with_pool!(self, pool => sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected()))
            .context("recovering stale scrape runs")
    }

    /// Deletes price history recorded before `cutoff`. Returns how many rows.
    pub async fn purge_history(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut q = self.query("DELETE FROM price_history WHERE recorded_at < ");
        q.bind(cutoff);
        with_pool!(self, pool => sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected()))
            .context("purging old price history")
    }

    /// Every current-odds row of events that have not kicked off by `now` (or whose kickoff is
    /// unknown): the detector's last-seen state after a restart.
    pub async fn load_current_odds(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredOdds>, StoreError> {
        let mut q = self.query(
            "SELECT e.sr_id, e.kickoff, o.bookmaker, o.market_id, o.line, o.outcomes, o.available, o.unavailable_since \
             FROM current_odds o JOIN events e ON e.id = o.event_id WHERE e.kickoff IS NULL OR e.kickoff > ",
        );
        q.bind(now);
        let rows: Vec<OddsRow> = with_pool!(self, pool => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await)
            .context("loading current odds")?;
        rows.into_iter()
            .map(
                |(
                    event_key,
                    kickoff,
                    bookmaker,
                    market_id,
                    line,
                    outcomes,
                    available,
                    unavailable_since,
                )| {
                    let outcomes =
                        serde_json::from_str(&outcomes).map_err(|e| StoreError::Corrupt {
                            table: "current_odds",
                            message: format!(
                                "outcomes of event {event_key} market {market_id}: {e}"
                            ),
                        })?;
                    Ok(StoredOdds {
                        event_key,
                        kickoff,
                        bookmaker,
                        market_id,
                        line,
                        outcomes,
                        available,
                        unavailable_since,
                    })
                },
            )
            .collect()
    }

    /// The band last raised per `off_market` key (event, market, line, outcome) and per `margin`
    /// key (event, market, line) on `bookmaker` (the home book), among alerts whose status is
    /// not `past`, of events that have not kicked off by `now` (or whose kickoff is unknown), as
    /// [`Store::load_current_odds`] reads them: the §9 band memory after a restart.
    ///
    /// The band is the severity of the key's latest detection (its occurrence), not the alert's:
    /// an alert keeps the worst severity of the detections folded into it (DESIGN §10), while
    /// the detector remembers the band it raised last (a band reset below warning and raised
    /// again lower folds into the same open alert). "Latest" is by detection time, then by id
    /// (a replayed dead letter is stored after newer alerts).
    pub async fn load_raised_bands(
        &self,
        bookmaker: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredBand>, StoreError> {
        let mut q = self.query(
            "SELECT e.sr_id, b.alert_type, b.market_id, b.line, b.outcome_name, b.severity FROM (\
             SELECT a.event_id, a.alert_type, a.market_id, a.line, a.outcome_name, \
             COALESCE(o.severity, a.severity) AS severity, ROW_NUMBER() OVER (\
             PARTITION BY a.event_id, a.alert_type, a.market_id, a.line, a.outcome_name \
             ORDER BY COALESCE(o.detected_at, a.detected_at) DESC, a.id DESC, COALESCE(o.id, 0) DESC\
             ) AS recency \
             FROM alerts a LEFT JOIN alert_occurrences o ON o.alert_id = a.id \
             WHERE a.alert_type IN (",
        );
        q.bind(AlertType::OffMarket.as_str())
            .push(", ")
            .bind(AlertType::Margin.as_str())
            .push(") AND a.status <> ")
            .bind(Status::Past.as_str())
            .push(" AND a.bookmaker = ")
            .bind(bookmaker.to_string())
            .push(
                ") b JOIN events e ON e.id = b.event_id \
                 WHERE b.recency = 1 AND (e.kickoff IS NULL OR e.kickoff > ",
            )
            .bind(now)
            .push(")");
        let rows: Vec<BandRow> = with_pool!(self, pool => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await)
            .context("loading the raised off-market and margin bands")?;
        let corrupt = |message: String| StoreError::Corrupt {
            table: "alerts",
            message,
        };
        rows.into_iter()
            .map(
                |(event_key, alert_type, market_id, line, outcome_name, severity)| {
                    let line = line
                        .map(|l| {
                            Line::from_f64(l)
                                .ok_or_else(|| corrupt(format!("line {l} is out of range")))
                        })
                        .transpose()?;
                    Ok(StoredBand {
                        event_key,
                        alert_type: alert_type.parse().map_err(corrupt)?,
                        market_id,
                        line,
                        outcome_name,
                        severity: severity.parse().map_err(corrupt)?,
                    })
                },
            )
            .collect()
    }

    /// Bytes the database occupies (SQLite: file pages; PostgreSQL: the current database).
    pub async fn database_bytes(&self) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
                    .fetch_one(pool)
                    .await
                    .context("reading the page count")?;
                let (size,): (i64,) = sqlx::query_as("PRAGMA page_size")
                    .fetch_one(pool)
                    .await
                    .context("reading the page size")?;
                Ok(pages * size)
            }
            Store::Postgres(pool) => {
                let (bytes,): (i64,) =
                    sqlx::query_as("SELECT pg_database_size(current_database())")
                        .fetch_one(pool)
                        .await
                        .context("reading the database size")?;
                Ok(bytes)
            }
        }
    }
}
