//! Typed feed failures. Every error names the book and what was being fetched, so a trader (or
//! the source-health view) can tell a throttled book from a broken parser.

use std::time::Duration;

use serde::Serialize;

/// Why fetching from a book failed. Secrets (API keys) never appear in any field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedError {
    /// Connection refused/reset, DNS failure, body read cut short.
    #[error("{book}: {what}: network error: {message}")]
    Network {
        /// Book slug.
        book: String,
        /// Request (method and path, never the query's secrets).
        what: String,
        /// The transport's description, with any URL removed.
        message: String,
    },
    /// No complete response within the book's timeout.
    #[error("{book}: {what}: timed out after {after:?}")]
    Timeout {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// The configured timeout.
        after: Duration,
    },
    /// A non-success HTTP status (after retries, where the status is retryable).
    #[error("{book}: {what}: HTTP {status}")]
    Status {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// HTTP status code.
        status: u16,
    },
    /// The book answered but its envelope reports an error (SportyBet `bizCode`, Bet9ja `R`).
    #[error("{book}: {what}: business error {code}: {message}")]
    Business {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// The book's error code, as text.
        code: String,
        /// The book's message, if any.
        message: String,
    },
    /// The body is not the JSON shape expected; `path` is where decoding failed.
    #[error("{book}: {what}: malformed body at `{path}`: {message}")]
    Malformed {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// JSON path of the failing value (`data.markets[3].outcomes[0].odds`).
        path: String,
        /// What was wrong there.
        message: String,
    },
    /// The event no longer exists on the book (404, Bet9ja `R: "E"`).
    #[error("{book}: event {event} is gone")]
    EventGone {
        /// Book slug.
        book: String,
        /// The book's event id.
        event: String,
    },
    /// The body exceeded the book's `max_body_bytes`; reading stopped there.
    #[error("{book}: {what}: body larger than {limit} bytes")]
    BodyTooLarge {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// The configured cap.
        limit: u64,
    },
    /// The Odds API quota is (nearly) used up: polling stops until it is replenished.
    #[error("{book}: quota exhausted: {remaining} requests left, minimum kept is {minimum}")]
    QuotaExhausted {
        /// Book slug.
        book: String,
        /// Requests left according to the last response.
        remaining: u64,
        /// Configured `min_quota_remaining`.
        minimum: u64,
    },
    /// The event carries no SportRadar id, so it cannot be matched across books: skipped.
    #[error("{book}: event {event} has no SportRadar id")]
    NoSportRadarId {
        /// Book slug.
        book: String,
        /// The book's event id.
        event: String,
    },
    /// The book's circuit breaker is open (too many consecutive failures): the request was not
    /// sent. A probe is let through next cycle.
    #[error("{book}: {what}: not sent: circuit breaker open after {failures} consecutive failures")]
    CircuitOpen {
        /// Book slug.
        book: String,
        /// Request.
        what: String,
        /// The configured threshold (`scrape.breaker_failures`).
        failures: u32,
    },
    /// The book's time budget for this cycle (`scrape.book_budget_secs`) ran out before this
    /// call finished: it counts as a failed fetch.
    #[error("{book}: {what}: cycle budget of {budget:?} spent")]
    BudgetSpent {
        /// Book slug.
        book: String,
        /// What was left undone.
        what: String,
        /// The configured budget.
        budget: Duration,
    },
}

/// The kind of a [`FeedError`], for counters and source health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// [`FeedError::Network`]
    Network,
    /// [`FeedError::Timeout`]
    Timeout,
    /// [`FeedError::Status`]
    Status,
    /// [`FeedError::Business`]
    Business,
    /// [`FeedError::Malformed`]
    Malformed,
    /// [`FeedError::EventGone`]
    EventGone,
    /// [`FeedError::BodyTooLarge`]
    BodyTooLarge,
    /// [`FeedError::QuotaExhausted`]
    QuotaExhausted,
    /// [`FeedError::NoSportRadarId`]
    NoSportRadarId,
    /// [`FeedError::CircuitOpen`]
    CircuitOpen,
    /// [`FeedError::BudgetSpent`]
    BudgetSpent,
}

impl FailureKind {
    /// Every kind, in counter order.
    pub const ALL: [FailureKind; 11] = [
        FailureKind::Network,
        FailureKind::Timeout,
        FailureKind::Status,
        FailureKind::Business,
        FailureKind::Malformed,
        FailureKind::EventGone,
        FailureKind::BodyTooLarge,
        FailureKind::QuotaExhausted,
        FailureKind::NoSportRadarId,
        FailureKind::CircuitOpen,
        FailureKind::BudgetSpent,
    ];

    /// Snake-case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Network => "network",
            FailureKind::Timeout => "timeout",
            FailureKind::Status => "status",
            FailureKind::Business => "business",
            FailureKind::Malformed => "malformed",
            FailureKind::EventGone => "event_gone",
            FailureKind::BodyTooLarge => "body_too_large",
            FailureKind::QuotaExhausted => "quota_exhausted",
            FailureKind::NoSportRadarId => "no_sportradar_id",
            FailureKind::CircuitOpen => "circuit_open",
            FailureKind::BudgetSpent => "budget_spent",
        }
    }
}

impl FeedError {
    /// The kind, for counting.
    pub fn kind(&self) -> FailureKind {
        match self {
            FeedError::Network { .. } => FailureKind::Network,
            FeedError::Timeout { .. } => FailureKind::Timeout,
            FeedError::Status { .. } => FailureKind::Status,
            FeedError::Business { .. } => FailureKind::Business,
            FeedError::Malformed { .. } => FailureKind::Malformed,
            FeedError::EventGone { .. } => FailureKind::EventGone,
            FeedError::BodyTooLarge { .. } => FailureKind::BodyTooLarge,
            FeedError::QuotaExhausted { .. } => FailureKind::QuotaExhausted,
            FeedError::NoSportRadarId { .. } => FailureKind::NoSportRadarId,
            FeedError::CircuitOpen { .. } => FailureKind::CircuitOpen,
            FeedError::BudgetSpent { .. } => FailureKind::BudgetSpent,
        }
    }

    /// The book the error is about.
    pub fn book(&self) -> &str {
        match self {
            FeedError::Network { book, .. }
            | FeedError::Timeout { book, .. }
            | FeedError::Status { book, .. }
            | FeedError::Business { book, .. }
            | FeedError::Malformed { book, .. }
            | FeedError::EventGone { book, .. }
            | FeedError::BodyTooLarge { book, .. }
            | FeedError::QuotaExhausted { book, .. }
            | FeedError::NoSportRadarId { book, .. }
            | FeedError::CircuitOpen { book, .. }
            | FeedError::BudgetSpent { book, .. } => book,
        }
    }
}
