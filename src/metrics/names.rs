//! Every metric's name (prefix `oddswatch_`) and help text, and the cycle phase label values.
//! The README's metric table lists the same names; a unit test keeps every name described.

use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Histogram: cycle duration per `phase`, seconds.
pub const CYCLE_DURATION_SECONDS: &str = "oddswatch_cycle_duration_seconds";
/// Counter: cycles finished.
pub const CYCLES_TOTAL: &str = "oddswatch_cycles_total";
/// Gauge: events (pre-match, merged) of the last cycle.
pub const CYCLE_EVENTS: &str = "oddswatch_cycle_events";
/// Gauge: market rows fetched across books in the last cycle.
pub const CYCLE_MARKETS: &str = "oddswatch_cycle_markets";
/// Gauge: outcomes compared with the last-seen state in the last cycle.
pub const CYCLE_OUTCOMES_COMPARED: &str = "oddswatch_cycle_outcomes_compared";
/// Gauge: detections of the last cycle.
pub const CYCLE_ALERTS: &str = "oddswatch_cycle_alerts";
/// Counter: events handled, summed over cycles.
pub const EVENTS_TOTAL: &str = "oddswatch_events_total";
/// Counter: outcomes compared, summed over cycles.
pub const OUTCOMES_COMPARED_TOTAL: &str = "oddswatch_outcomes_compared_total";
/// Counter: detections by `type` and `severity`.
pub const ALERTS_TOTAL: &str = "oddswatch_alerts_total";
/// Counter: stored detections by what they did to the alerts (`result`).
pub const ALERT_OCCURRENCES_TOTAL: &str = "oddswatch_alert_occurrences_total";
/// Counter: HTTP attempts per `book`.
pub const BOOK_REQUESTS_TOTAL: &str = "oddswatch_book_requests_total";
/// Counter: retries per `book`.
pub const BOOK_RETRIES_TOTAL: &str = "oddswatch_book_retries_total";
/// Counter: failed calls per `book` and `kind`.
pub const BOOK_ERRORS_TOTAL: &str = "oddswatch_book_errors_total";
/// Histogram: latency of successful requests per `book`, seconds.
pub const BOOK_REQUEST_SECONDS: &str = "oddswatch_book_request_seconds";
/// Gauge: jobs waiting in the write queue.
pub const WRITE_QUEUE_DEPTH: &str = "oddswatch_write_queue_depth";
/// Counter: batches kept as dead letters.
pub const DEAD_LETTERS_WRITTEN_TOTAL: &str = "oddswatch_dead_letters_written_total";
/// Counter: dead-letter batches stored after all.
pub const DEAD_LETTERS_REPLAYED_TOTAL: &str = "oddswatch_dead_letters_replayed_total";
/// Gauge: dead letters waiting for replay.
pub const DEAD_LETTERS_WAITING: &str = "oddswatch_dead_letters_waiting";
/// Gauge: shard leases held by this daemon.
pub const SHARDS_OWNED: &str = "oddswatch_shards_owned";
/// Gauge: shards the events are split into (`scrape.shards`).
pub const SHARDS: &str = "oddswatch_shards";
/// Gauge: deliveries waiting in the outbox per notification `target`.
pub const NOTIFY_OUTBOX_PENDING: &str = "oddswatch_notify_outbox_pending";
/// Counter: delivery attempts per `target` and `result` (`ok`, `failed`).
pub const NOTIFY_DELIVERIES_TOTAL: &str = "oddswatch_notify_deliveries_total";
/// Histogram: delivery duration per `target`, seconds.
pub const NOTIFY_DELIVERY_SECONDS: &str = "oddswatch_notify_delivery_seconds";
/// Gauge: 1 while notification `target` is paused, else 0.
pub const NOTIFY_TARGET_PAUSED: &str = "oddswatch_notify_target_paused";

/// Phase: discovery on every book.
pub const PHASE_DISCOVERY: &str = "discovery";
/// Phase: fetching events (parsing and mapping included, as they arrive).
pub const PHASE_FETCH: &str = "fetch";
/// Phase: parsing and mapping bodies, CPU summed over concurrent fetches.
pub const PHASE_PARSE_MAP: &str = "parse_map";
/// Phase: detection.
pub const PHASE_DETECT: &str = "detect";
/// Phase: the writer storing the cycle's batches (overlaps the fetching).
pub const PHASE_PERSIST: &str = "persist";
/// Phase: waiting for the writer at the end of the cycle.
pub const PHASE_PERSIST_WAIT: &str = "persist_wait";
/// Phase: the whole cycle.
pub const PHASE_TOTAL: &str = "total";

/// Every metric with its kind and help text, in README order.
pub const ALL: &[(&str, Kind, &str)] = &[
    (
        CYCLE_DURATION_SECONDS,
        Kind::Histogram,
        "Scrape cycle duration per phase (discovery, fetch, parse_map, detect, persist, \
         persist_wait, total); phases overlap, total is the whole cycle",
    ),
    (CYCLES_TOTAL, Kind::Counter, "Scrape cycles finished"),
    (
        CYCLE_EVENTS,
        Kind::Gauge,
        "Pre-match events handled by the last cycle",
    ),
    (
        CYCLE_MARKETS,
        Kind::Gauge,
        "Market rows fetched across books by the last cycle",
    ),
    (
        CYCLE_OUTCOMES_COMPARED,
        Kind::Gauge,
        "Outcomes compared with their last-seen price by the last cycle",
    ),
    (CYCLE_ALERTS, Kind::Gauge, "Detections of the last cycle"),
    (
        EVENTS_TOTAL,
        Kind::Counter,
        "Events handled, over all cycles",
    ),
    (
        OUTCOMES_COMPARED_TOTAL,
        Kind::Counter,
        "Outcomes compared, over all cycles",
    ),
    (
        ALERTS_TOTAL,
        Kind::Counter,
        "Detections by alert type and severity (each is stored as one occurrence)",
    ),
    (
        ALERT_OCCURRENCES_TOTAL,
        Kind::Counter,
        "Stored detections by what they did: opened a new alert, updated or escalated a new one, \
         recorded on an acknowledged one, reopened one; silenced counts those a silence matched",
    ),
    (
        BOOK_REQUESTS_TOTAL,
        Kind::Counter,
        "HTTP attempts per book (each retry is one more)",
    ),
    (BOOK_RETRIES_TOTAL, Kind::Counter, "Retries per book"),
    (
        BOOK_ERRORS_TOTAL,
        Kind::Counter,
        "Failed calls per book and failure kind (a call counts once, however many retries)",
    ),
    (
        BOOK_REQUEST_SECONDS,
        Kind::Histogram,
        "Latency of successful HTTP requests per book",
    ),
    (
        WRITE_QUEUE_DEPTH,
        Kind::Gauge,
        "Jobs waiting in the write queue for the writer",
    ),
    (
        DEAD_LETTERS_WRITTEN_TOTAL,
        Kind::Counter,
        "Batches the database did not take within the retry window, kept as dead letters",
    ),
    (
        DEAD_LETTERS_REPLAYED_TOTAL,
        Kind::Counter,
        "Dead-letter batches stored after all",
    ),
    (
        DEAD_LETTERS_WAITING,
        Kind::Gauge,
        "Dead letters waiting for replay",
    ),
    (SHARDS_OWNED, Kind::Gauge, "Shard leases this daemon holds"),
    (
        SHARDS,
        Kind::Gauge,
        "Shards the events are split into (scrape.shards)",
    ),
    (
        NOTIFY_OUTBOX_PENDING,
        Kind::Gauge,
        "Notification deliveries waiting in the outbox per target",
    ),
    (
        NOTIFY_DELIVERIES_TOTAL,
        Kind::Counter,
        "Notification delivery attempts per target and result (ok, failed)",
    ),
    (
        NOTIFY_DELIVERY_SECONDS,
        Kind::Histogram,
        "Notification delivery duration per target",
    ),
    (
        NOTIFY_TARGET_PAUSED,
        Kind::Gauge,
        "1 while a notification target is paused after failing in a row, else 0",
    ),
];

/// A metric's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Distribution in [`super::BUCKETS`].
    Histogram,
}

/// Describes every metric to the installed recorder (help texts, units).
pub fn describe() {
    for &(name, kind, help) in ALL {
        let seconds = name.ends_with("_seconds");
        match (kind, seconds) {
            (Kind::Counter, _) => describe_counter!(name, help),
            (Kind::Gauge, _) => describe_gauge!(name, help),
            (Kind::Histogram, true) => describe_histogram!(name, Unit::Seconds, help),
            (Kind::Histogram, false) => describe_histogram!(name, help),
        }
    }
}
