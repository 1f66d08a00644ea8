//! Prometheus metrics (DESIGN §12): the metric names in one place, their help texts, the
//! process-wide recorder and small typed recording functions the rest of the code calls.
//!
//! Choices:
//! - **One recorder per process**, installed on first use ([`install`]) and never replaced, so
//!   tests that start many pipelines in one process share it. Without it every recording
//!   function is a no-op (the `metrics` facade's default), which is what the benchmark and the
//!   one-shot commands get unless they start a pipeline.
//! - **Recorded per cycle or per request, never per outcome**: the cycle hands its totals over
//!   once ([`record_cycle`]), each book's request and error counts are the deltas of its own
//!   counters over the cycle ([`record_book_cycle`]); only the request latency is recorded per
//!   HTTP attempt (one histogram sample, beside a network round trip).
//! - **Bounded labels only**: book slugs, failure kinds, alert types and severities, cycle
//!   phases, notification target names. Never event ids.
//! - **Histograms with fixed buckets** ([`BUCKETS`], seconds), rendered as true Prometheus
//!   histograms so they aggregate across daemons. Samples are drained into the buckets at each
//!   render and at each cycle's end, so a process nobody scrapes keeps no growing buffer.
//! - `/metrics` is served by the API (`src/api`) and, for `oddswatch scrape`, on
//!   `scrape.metrics_bind` ([`server`]).

pub mod names;
pub mod server;

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::pipeline::cycle::CycleTotals;
use crate::sources::StatsSnapshot;
use crate::sources::error::FailureKind;
use crate::store::NoiseCounts;
pub use names::*;

/// Content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Histogram bucket upper bounds, in seconds: from a fast loopback request (5 ms) to a slow
/// cycle (10 minutes).
pub const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The builder every recorder of this crate is made with (the global one and the tests').
fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .expect("the bucket list is not empty")
}

/// Installs the process-wide Prometheus recorder and describes every metric; later calls do
/// nothing. Returns its handle, or `None` when another recorder was installed first (then
/// `/metrics` answers an empty page).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| match builder().install_recorder() {
            Ok(handle) => {
                describe();
                Some(handle)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the metrics recorder; /metrics stays empty");
                None
            }
        })
        .as_ref()
}

/// The current metrics in the Prometheus text format (installing the recorder if needed).
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

/// Moves buffered histogram samples into their buckets (bounds memory between scrapes).
fn upkeep() {
    if let Some(Some(handle)) = HANDLE.get() {
        handle.run_upkeep();
    }
}

/// Records a finished cycle: its phases' durations, its events and outcomes (gauges of the last
/// cycle, and running counters). Called once per cycle.
pub fn record_cycle(totals: &CycleTotals) {
    let phases = [
        (PHASE_DISCOVERY, totals.discovery_ms),
        (PHASE_FETCH, totals.fetch_ms),
        (PHASE_PARSE_MAP, totals.parse_map_ms),
        (PHASE_DETECT, totals.detect_ms),
        (PHASE_PERSIST, totals.persist_ms),
        (PHASE_PERSIST_WAIT, totals.persist_wait_ms),
        (PHASE_TOTAL, totals.total_ms),
    ];
    for (phase, ms) in phases {
        histogram!(CYCLE_DURATION_SECONDS, "phase" => phase).record(ms as f64 / 1000.0);
    }
    counter!(CYCLES_TOTAL).increment(1);
    gauge!(CYCLE_EVENTS).set(totals.events as f64);
    gauge!(CYCLE_MARKETS).set(totals.markets as f64);
    gauge!(CYCLE_OUTCOMES_COMPARED).set(totals.outcomes_compared as f64);
    gauge!(CYCLE_ALERTS).set(totals.alerts() as f64);
    counter!(EVENTS_TOTAL).increment(totals.events);
    counter!(OUTCOMES_COMPARED_TOTAL).increment(totals.outcomes_compared);
    upkeep();
}

/// Counts one batch's detections by alert type and severity. `detections` yields each
/// detection's (type, severity) wire names; they are summed first, so the counters are touched
/// once per pair and batch, not per detection.
pub fn record_detections<I>(detections: I)
where
    I: IntoIterator<Item = (&'static str, &'static str)>,
{
    let mut sums: Vec<((&'static str, &'static str), u64)> = Vec::new();
    for pair in detections {
        match sums.iter_mut().find(|(p, _)| *p == pair) {
            Some((_, n)) => *n += 1,
            None => sums.push((pair, 1)),
        }
    }
    for ((alert_type, severity), n) in sums {
        counter!(ALERTS_TOTAL, "type" => alert_type, "severity" => severity).increment(n);
    }
}

/// Counts what one stored batch's detections did to the alerts (DESIGN §10's noise control).
pub fn record_stored(noise: &NoiseCounts) {
    let results = [
        ("opened", noise.opened),
        ("updated", noise.updated),
        ("escalated", noise.escalated),
        ("recorded", noise.recorded),
        ("reopened", noise.reopened),
        ("silenced", noise.silenced),
    ];
    for (result, n) in results {
        if n > 0 {
            counter!(ALERT_OCCURRENCES_TOTAL, "result" => result).increment(n);
        }
    }
}

/// Records one book's requests, retries and failures (by kind) in a cycle: the deltas of its
/// counters from `before` to `after`. Called once per book and cycle.
pub fn record_book_cycle(book: &str, before: &StatsSnapshot, after: &StatsSnapshot) {
    let requests = after.requests.saturating_sub(before.requests);
    counter!(BOOK_REQUESTS_TOTAL, "book" => book.to_string()).increment(requests);
    let retries = after.retries.saturating_sub(before.retries);
    counter!(BOOK_RETRIES_TOTAL, "book" => book.to_string()).increment(retries);
    for (kind, n) in &after.failures {
        let new = n.saturating_sub(before.failures.get(kind).copied().unwrap_or(0));
        if new > 0 {
            record_book_errors(book, *kind, new);
        }
    }
}

/// Counts `n` failed calls of `book` of `kind`.
pub fn record_book_errors(book: &str, kind: FailureKind, n: u64) {
    counter!(BOOK_ERRORS_TOTAL, "book" => book.to_string(), "kind" => kind.as_str()).increment(n);
}

/// Records the latency of one successful HTTP request to `book`.
pub fn record_book_latency(book: &str, took: Duration) {
    histogram!(BOOK_REQUEST_SECONDS, "book" => book.to_string()).record(took.as_secs_f64());
}

/// Sets the write queue's depth: jobs waiting for the writer.
pub fn record_write_queue_depth(depth: usize) {
    gauge!(WRITE_QUEUE_DEPTH).set(depth as f64);
}

/// Counts `n` batches kept as dead letters.
pub fn record_dead_letters_written(n: u64) {
    counter!(DEAD_LETTERS_WRITTEN_TOTAL).increment(n);
}

/// Counts `n` dead letters stored after all.
pub fn record_dead_letters_replayed(n: u64) {
    counter!(DEAD_LETTERS_REPLAYED_TOTAL).increment(n);
}

/// Sets the dead letters waiting for replay.
pub fn record_dead_letters_waiting(n: usize) {
    gauge!(DEAD_LETTERS_WAITING).set(n as f64);
}

/// Sets the shard leases this daemon holds, and the shards there are.
pub fn record_shards(owned: usize, shards: u16) {
    gauge!(SHARDS_OWNED).set(owned as f64);
    gauge!(SHARDS).set(f64::from(shards));
}

/// Sets the deliveries waiting in the outbox for notification `target`.
pub fn record_outbox_depth(target: &str, pending: u64) {
    gauge!(NOTIFY_OUTBOX_PENDING, "target" => target.to_string()).set(pending as f64);
}

/// Records one delivery attempt to notification `target`: its result and how long it took.
pub fn record_delivery(target: &str, ok: bool, seconds: f64) {
    let result = if ok { "ok" } else { "failed" };
    counter!(NOTIFY_DELIVERIES_TOTAL, "target" => target.to_string(), "result" => result)
        .increment(1);
    histogram!(NOTIFY_DELIVERY_SECONDS, "target" => target.to_string()).record(seconds);
}

/// Sets whether notification `target` is paused (after failing too often in a row).
pub fn record_target_paused(target: &str, paused: bool) {
    gauge!(NOTIFY_TARGET_PAUSED, "target" => target.to_string()).set(if paused {
        1.0
    } else {
        0.0
    });
}

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod tests;
