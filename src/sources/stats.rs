//! Per-book counters the pipeline turns into source health: requests, retries, failures by
//! kind, latency samples, bytes, skipped markets and events, and (for The Odds API) the quota.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::error::{FailureKind, FeedError};

/// How many latency samples are kept (the most recent ones).
const LATENCY_SAMPLES: usize = 4096;

/// The Odds API usage quota, from its `x-requests-*` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Quota {
    /// `x-requests-remaining`
    pub remaining: Option<u64>,
    /// `x-requests-used`
    pub used: Option<u64>,
    /// `x-requests-last`: the cost of the last request.
    pub last: Option<u64>,
}

/// Live counters of one book; shared (`Arc`) between its client and whoever reports health.
#[derive(Debug, Default)]
pub struct BookStats {
    requests: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
    failures: [AtomicU64; FailureKind::ALL.len()],
    markets_unmapped: AtomicU64,
    events_without_sportradar_id: AtomicU64,
    discovery_items_failed: AtomicU64,
    inflight_peak_bytes: AtomicU64,
    parse_nanos: AtomicU64,
    latencies: Mutex<VecDeque<Duration>>,
    quota: Mutex<Option<Quota>>,
}

/// A point-in-time copy of [`BookStats`], serialisable for `--json` and health views.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    /// HTTP attempts made (each retry is one more).
    pub requests: u64,
    /// Retries after a retryable failure.
    pub retries: u64,
    /// Response body bytes read (after gzip decoding).
    pub bytes: u64,
    /// Failed calls by kind (a call counts once, however many retries it took).
    pub failures: BTreeMap<FailureKind, u64>,
    /// Markets outside the mapping table, skipped.
    pub markets_unmapped: u64,
    /// Events skipped for lack of a SportRadar id.
    pub events_without_sportradar_id: u64,
    /// Discovery list items that could not be read (the rest of their list was kept); each is
    /// also counted in `failures` under its kind.
    pub discovery_items_failed: u64,
    /// Most body bytes (buffer capacity) held at once by responses being read.
    pub inflight_peak_bytes: u64,
    /// Time spent parsing and mapping event bodies (CPU, summed over concurrent fetches), ms.
    pub parse_ms: f64,
    /// Latency of successful requests.
    pub latency: LatencySummary,
    /// Last known quota (The Odds API only).
    pub quota: Option<Quota>,
}

/// Percentiles over the kept latency samples, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl BookStats {
    /// Counts one HTTP attempt.
    pub fn record_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one retry.
    pub fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a successful response: its latency and size.
    pub fn record_response(&self, latency: Duration, bytes: usize) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        let mut samples = self.latencies.lock().unwrap_or_else(|e| e.into_inner());
        if samples.len() == LATENCY_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(latency);
    }

    /// Adds the time one event body took to parse and map.
    pub fn record_parse(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.parse_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Time spent parsing and mapping event bodies so far.
    pub fn parse_time(&self) -> Duration {
        Duration::from_nanos(self.parse_nanos.load(Ordering::Relaxed))
    }

    /// Counts a failed call by its kind.
    pub fn record_failure(&self, error: &FeedError) {
        // An event without a SportRadar id is a skip, not a failure of the book.
        if error.kind() == FailureKind::NoSportRadarId {
            self.record_event_without_sportradar_id();
            return;
        }
        let index = FailureKind::ALL
            .iter()
            .position(|k| *k == error.kind())
            .unwrap_or(0);
        self.failures[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts markets skipped because the mapping table does not know them.
    pub fn record_unmapped_markets(&self, count: u64) {
        if count > 0 {
            self.markets_unmapped.fetch_add(count, Ordering::Relaxed);
        }
    }

    /// Counts an event skipped for lack of a SportRadar id.
    pub fn record_event_without_sportradar_id(&self) {
        self.events_without_sportradar_id
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a discovery list item that could not be read.
    pub fn record_discovery_item_failure(&self) {
        self.discovery_items_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes the body bytes held by responses being read right now (keeps the peak).
    pub fn record_inflight_bytes(&self, bytes: u64) {
        self.inflight_peak_bytes.fetch_max(bytes, Ordering::Relaxed);
    }

    /// Stores the quota read from the latest response.
    pub fn set_quota(&self, quota: Quota) {
        *self.quota.lock().unwrap_or_else(|e| e.into_inner()) = Some(quota);
    }

    /// The latest quota, if the feed reports one.
    pub fn quota(&self) -> Option<Quota> {
        *self.quota.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many calls failed with `kind`.
    pub fn failures(&self, kind: FailureKind) -> u64 {
        let index = FailureKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(0);
        self.failures[index].load(Ordering::Relaxed)
    }

    /// A consistent-enough copy of all counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let failures = FailureKind::ALL
            .iter()
            .zip(&self.failures)
            .map(|(kind, n)| (*kind, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let mut latencies: Vec<Duration> = self
            .latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        latencies.sort_unstable();
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            failures,
            markets_unmapped: self.markets_unmapped.load(Ordering::Relaxed),
            events_without_sportradar_id: self.events_without_sportradar_id.load(Ordering::Relaxed),
            discovery_items_failed: self.discovery_items_failed.load(Ordering::Relaxed),
            inflight_peak_bytes: self.inflight_peak_bytes.load(Ordering::Relaxed),
            parse_ms: self.parse_time().as_secs_f64() * 1000.0,
            latency: LatencySummary::of_sorted(&latencies),
            quota: self.quota(),
        }
    }
}

impl LatencySummary {
    fn of_sorted(sorted: &[Duration]) -> Self {
        let at = |q: f64| {
            if sorted.is_empty() {
                return 0.0;
            }
            let index = ((sorted.len() - 1) as f64 * q).round() as usize;
            sorted[index].as_secs_f64() * 1000.0
        };
        LatencySummary {
            samples: sorted.len(),
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_by_kind() {
        let stats = BookStats::default();
        let gone = FeedError::EventGone {
            book: "betpawa".into(),
            event: "1".into(),
        };
        stats.record_failure(&gone);
        stats.record_failure(&gone);
        assert_eq!(stats.failures(FailureKind::EventGone), 2);
        assert_eq!(stats.failures(FailureKind::Timeout), 0);
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.failures.get(&FailureKind::EventGone), Some(&2));
        assert_eq!(snapshot.failures.len(), 1);
    }

    #[test]
    fn events_without_sportradar_id_count_as_skips_not_failures() {
        let stats = BookStats::default();
        stats.record_failure(&FeedError::NoSportRadarId {
            book: "bet9ja".into(),
            event: "7".into(),
        });
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.events_without_sportradar_id, 1);
        assert!(snapshot.failures.is_empty());
    }

    #[test]
    fn latency_summary_reports_median_and_tail() {
        let stats = BookStats::default();
        for ms in 1..=100 {
            stats.record_response(Duration::from_millis(ms), 10);
        }
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.latency.samples, 100);
        assert_eq!(snapshot.latency.max_ms, 100.0);
        assert!((50.0..=51.0).contains(&snapshot.latency.p50_ms));
        assert!((95.0..=96.0).contains(&snapshot.latency.p95_ms));
        assert_eq!(snapshot.bytes, 1000);
    }
}
