//! Book health read back from the stored runs, for processes without a pipeline of their own
//! (`oddswatch status`): the per-book results of the latest finished runs, oldest first, which
//! [`crate::health::book_health_from_runs`] folds exactly as a pipeline folds its cycles.

use chrono::{DateTime, Utc};

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::health::{BookCounts, BookRun, BookStatus};

/// One stored row of `scrape_run_books` with the end of its run.
type BookRunRow = (
    DateTime<Utc>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl Store {
    /// The per-book results of the latest `runs` finished runs, oldest first, each with the
    /// time its run finished. Books the run skipped are left out (they did not answer or fail).
    pub async fn recent_book_runs(
        &self,
        runs: u32,
    ) -> Result<Vec<(DateTime<Utc>, BookRun)>, StoreError> {
        let mut q = self.query(
            "SELECT r.finished_at, b.bookmaker, b.status, b.events_seen, b.markets_seen, b.requests, \
             b.failures, b.latency_p50_ms, b.latency_p95_ms, b.quota_remaining, b.error \
             FROM scrape_run_books b JOIN (SELECT id, finished_at FROM scrape_runs \
             WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT ",
        );
        q.bind(i64::from(runs))
            .push(") r ON r.id = b.run_id ORDER BY r.finished_at, r.id, b.bookmaker");
        let rows: Vec<BookRunRow> = with_pool!(self, pool => sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await)
            .context("reading the latest runs' book results")?;
        let count = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        Ok(rows
            .into_iter()
            .filter_map(
                |(
                    at,
                    bookmaker,
                    status,
                    events,
                    markets,
                    requests,
                    failures,
                    p50,
                    p95,
                    quota,
                    error,
                )| {
                    // `skipped` (a book left out of a run) says nothing of its health.
                    let status: BookStatus = status.parse().ok()?;
                    let counts = BookCounts {
                        events_seen: count(events),
                        markets_seen: count(markets),
                        requests: count(requests),
                        failures: count(failures),
                        latency_p50_ms: p50.map(count),
                        latency_p95_ms: p95.map(count),
                        quota_remaining: quota.map(count),
                    };
                    Some((
                        at,
                        BookRun {
                            bookmaker,
                            status,
                            counts,
                            error,
                        },
                    ))
                },
            )
            .collect())
    }
}
