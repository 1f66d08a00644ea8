//! What the pipeline reports about itself and its sources, for the UI header and `/api/health`.
//! The pipeline publishes [`PipelineStatus`] snapshots on a `tokio::sync::watch` channel and
//! takes [`PipelineCommand`]s on an mpsc channel; a UI attached to a database without a local
//! pipeline shows [`PipelineState::Attached`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::wire_enum;

/// What the scraping side is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PipelineState {
    /// Not started yet.
    #[default]
    Starting,
    /// Cycles run on schedule.
    Running,
    /// A trader paused scraping.
    Paused,
    /// No pipeline in this process: the UI is attached to a database another process fills.
    Attached,
    /// Shut down.
    Stopped,
}

impl PipelineState {
    /// Lower-case name for display.
    pub const fn as_str(self) -> &'static str {
        match self {
            PipelineState::Starting => "starting",
            PipelineState::Running => "running",
            PipelineState::Paused => "paused",
            PipelineState::Attached => "attached",
            PipelineState::Stopped => "stopped",
        }
    }
}

wire_enum!(
    /// How a book's feed is doing.
    #[derive(Default)]
    HealthLevel, "health level" {
        /// No cycle has finished yet.
        #[default]
        Unknown = "unknown",
        /// The last cycle fetched everything.
        Ok = "ok",
        /// The last cycle had some failed requests.
        Degraded = "degraded",
        /// The last cycle's discovery failed, or every fetch did.
        Down = "down",
    }
);

wire_enum!(
    /// How one book did in one cycle, as its run record stores it. The health view shows
    /// [`BookStatus::Failed`] as [`HealthLevel::Down`]; the stored name stays `failed`.
    BookStatus, "book status" {
        /// Every request answered.
        Ok = "ok",
        /// Some requests failed, or the book lost most of its markets at once.
        Degraded = "degraded",
        /// Discovery failed, or every event fetch did.
        Failed = "failed",
    }
);

impl From<BookStatus> for HealthLevel {
    fn from(status: BookStatus) -> Self {
        match status {
            BookStatus::Ok => HealthLevel::Ok,
            BookStatus::Degraded => HealthLevel::Degraded,
            BookStatus::Failed => HealthLevel::Down,
        }
    }
}

/// One book's counters over one cycle: what its health shows and its run record stores.
// One integer type for all: `u32`, the width the health API has always declared; a count beyond
// it saturates. The camel-case names are the health API's; the snake-case aliases read run
// records kept as dead letters before the counters had their own type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookCounts {
    /// Events fetched from the book.
    #[serde(alias = "events_seen")]
    pub events_seen: u32,
    /// Market rows in those events.
    #[serde(alias = "markets_seen")]
    pub markets_seen: u32,
    /// HTTP requests made (retries included).
    pub requests: u32,
    /// Failed calls.
    pub failures: u32,
    /// Median request latency.
    #[serde(alias = "latency_p50_ms")]
    pub latency_p50_ms: Option<u32>,
    /// 95th percentile request latency.
    #[serde(alias = "latency_p95_ms")]
    pub latency_p95_ms: Option<u32>,
    /// Requests left in the feed's quota, where it has one.
    #[serde(alias = "quota_remaining")]
    pub quota_remaining: Option<u32>,
}

impl BookCounts {
    /// Counts one event fetched with `markets` market rows.
    pub fn add_event(&mut self, markets: usize) {
        self.events_seen = self.events_seen.saturating_add(1);
        self.markets_seen = self.markets_seen.saturating_add(saturate(markets as u64));
    }

    /// Sets the request counters: `requests` and `failures` made in the cycle; the latency
    /// percentiles (`None` without samples) and the quota as of its end.
    pub fn set_requests(
        &mut self,
        requests: u64,
        failures: u64,
        latency_ms: Option<(f64, f64)>,
        quota_remaining: Option<u64>,
    ) {
        self.requests = saturate(requests);
        self.failures = saturate(failures);
        // Whole milliseconds, truncated as the health view has always shown them.
        self.latency_p50_ms = latency_ms.map(|(p50, _)| p50 as u32);
        self.latency_p95_ms = latency_ms.map(|(_, p95)| p95 as u32);
        self.quota_remaining = quota_remaining.map(saturate);
    }
}

/// `n` as a counter: `u32::MAX` when it does not fit.
pub fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One book's result in one cycle: stored with the run, and what its health takes in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookRun {
    /// Book slug.
    pub bookmaker: String,
    /// How the book did.
    pub status: BookStatus,
    /// Its counters.
    #[serde(flatten)]
    pub counts: BookCounts,
    /// This cycle's error, readable: the failed discovery, a mass vanish, or the last failed
    /// request.
    pub error: Option<String>,
}

/// Health of one book's feed: its last cycle's result, and what is kept across cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookHealth {
    /// Book slug.
    pub book: String,
    /// Overall level.
    pub level: HealthLevel,
    /// End of the last cycle in which this book answered.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, typed and readable (no secrets).
    pub last_error: Option<String>,
    /// Cycles in a row with a failure.
    pub consecutive_failures: u32,
    /// The last cycle's counters.
    #[serde(flatten)]
    pub counts: BookCounts,
}

impl BookHealth {
    /// A book no cycle has reported on yet.
    pub fn unknown(book: &str) -> Self {
        BookHealth {
            book: book.to_string(),
            ..BookHealth::default()
        }
    }

    /// Takes in the book's result of a cycle that ended at `now`: its level and counters
    /// replace the last cycle's; the last error is kept until a newer one; a cycle in which the
    /// book answered at all is a success, one that was not all ok extends the failure streak.
    pub fn record(&mut self, run: &BookRun, now: DateTime<Utc>) {
        self.level = run.status.into();
        if run.status == BookStatus::Ok {
            self.consecutive_failures = 0;
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        }
        if run.status != BookStatus::Failed {
            self.last_success = Some(now);
        }
        if run.error.is_some() {
            self.last_error.clone_from(&run.error);
        }
        self.counts = run.counts;
    }
}

/// Book health from stored runs (oldest first, each with the time its run ended), folded with
/// [`BookHealth::record`] exactly as a running pipeline folds its cycles: what `oddswatch
/// status` shows for a team whose pipelines run elsewhere. Books by name.
pub fn book_health_from_runs(runs: &[(DateTime<Utc>, BookRun)]) -> Vec<BookHealth> {
    let mut books: std::collections::BTreeMap<&str, BookHealth> = Default::default();
    for (at, run) in runs {
        books
            .entry(run.bookmaker.as_str())
            .or_insert_with(|| BookHealth::unknown(&run.bookmaker))
            .record(run, *at);
    }
    books.into_values().collect()
}

/// A snapshot of the pipeline for screens.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStatus {
    /// What it is doing.
    pub state: PipelineState,
    /// Start of the last finished cycle.
    pub last_cycle_at: Option<DateTime<Utc>>,
    /// How long the last finished cycle took, in milliseconds.
    pub last_cycle_ms: Option<u64>,
    /// When the next cycle is due.
    pub next_cycle_at: Option<DateTime<Utc>>,
    /// The last cycle took longer than the interval (the next one was delayed).
    pub overran: bool,
    /// Cycles completed since start.
    pub cycles: u64,
    /// Alerts raised in the last cycle.
    pub last_cycle_alerts: u64,
    /// Per-book health, home book first.
    pub books: Vec<BookHealth>,
}

/// What a UI may ask of a pipeline running in the same process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineCommand {
    /// Stop starting cycles (the one in flight finishes).
    Pause,
    /// Start cycles again.
    Resume,
    /// Start a cycle now.
    RunNow,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, minute, 0).unwrap()
    }

    fn run(status: BookStatus, error: Option<&str>) -> BookRun {
        BookRun {
            bookmaker: "sportybet".into(),
            status,
            counts: BookCounts {
                events_seen: 4,
                ..BookCounts::default()
            },
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn counts_add_each_event_and_its_markets() {
        let mut counts = BookCounts::default();
        counts.add_event(12);
        counts.add_event(0);
        assert_eq!((counts.events_seen, counts.markets_seen), (2, 12));
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let mut counts = BookCounts {
            markets_seen: u32::MAX - 1,
            ..BookCounts::default()
        };
        counts.add_event(5);
        assert_eq!(counts.markets_seen, u32::MAX);
        counts.set_requests(u64::from(u32::MAX) + 7, 3, None, Some(1 << 40));
        assert_eq!(counts.requests, u32::MAX);
        assert_eq!(counts.failures, 3);
        assert_eq!(counts.quota_remaining, Some(u32::MAX));
    }

    #[test]
    fn latency_is_in_whole_milliseconds_and_absent_without_samples() {
        let mut counts = BookCounts::default();
        counts.set_requests(10, 0, Some((12.9, 80.2)), None);
        assert_eq!(
            (counts.latency_p50_ms, counts.latency_p95_ms),
            (Some(12), Some(80))
        );
        counts.set_requests(0, 0, None, None);
        assert_eq!((counts.latency_p50_ms, counts.latency_p95_ms), (None, None));
    }

    #[test]
    fn a_failed_book_is_stored_as_failed_and_shown_as_down() {
        assert_eq!(BookStatus::Failed.as_str(), "failed");
        assert_eq!(HealthLevel::from(BookStatus::Failed), HealthLevel::Down);
        assert_eq!(HealthLevel::Down.as_str(), "down");
        assert_eq!(
            serde_json::to_string(&HealthLevel::Down).unwrap(),
            "\"down\""
        );
        assert_eq!("failed".parse::<BookStatus>(), Ok(BookStatus::Failed));
        assert!("down".parse::<BookStatus>().is_err());
    }

    #[test]
    fn an_ok_cycle_resets_the_failure_streak_and_keeps_the_last_error() {
        let mut health = BookHealth::unknown("sportybet");
        health.record(&run(BookStatus::Degraded, Some("timeout")), at(0));
        health.record(&run(BookStatus::Failed, Some("HTTP 503")), at(1));
        assert_eq!(health.level, HealthLevel::Down);
        assert_eq!(health.consecutive_failures, 2);
        assert_eq!(
            health.last_success,
            Some(at(0)),
            "a failed cycle is no success"
        );
        health.record(&run(BookStatus::Ok, None), at(2));
        assert_eq!(health.level, HealthLevel::Ok);
        assert_eq!(health.consecutive_failures, 0);
        assert_eq!(health.last_success, Some(at(2)));
        assert_eq!(health.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(health.counts.events_seen, 4);
    }

    #[test]
    fn health_json_keeps_its_flat_camel_case_fields_in_order() {
        let health = BookHealth {
            book: "bet9ja".into(),
            level: HealthLevel::Down,
            last_success: None,
            last_error: Some("HTTP 503".into()),
            consecutive_failures: 2,
            counts: BookCounts {
                events_seen: 1,
                markets_seen: 2,
                requests: 3,
                failures: 4,
                latency_p50_ms: Some(5),
                latency_p95_ms: None,
                quota_remaining: Some(7),
            },
        };
        assert_eq!(
            serde_json::to_string(&health).unwrap(),
            r#"{"book":"bet9ja","level":"down","lastSuccess":null,"lastError":"HTTP 503","consecutiveFailures":2,"eventsSeen":1,"marketsSeen":2,"requests":3,"failures":4,"latencyP50Ms":5,"latencyP95Ms":null,"quotaRemaining":7}"#
        );
    }

    #[test]
    fn a_run_record_written_before_the_counts_type_still_reads() {
        let old = r#"{"bookmaker":"bet9ja","status":"failed","events_seen":0,"markets_seen":0,"requests":6,"failures":6,"latency_p50_ms":null,"latency_p95_ms":null,"quota_remaining":null,"error":"HTTP 503"}"#;
        let run: BookRun = serde_json::from_str(old).unwrap();
        assert_eq!(run.status, BookStatus::Failed);
        assert_eq!((run.counts.requests, run.counts.failures), (6, 6));
        let again: BookRun = serde_json::from_str(&serde_json::to_string(&run).unwrap()).unwrap();
        assert_eq!(again, run);
    }
}
