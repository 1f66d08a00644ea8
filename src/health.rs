//! What the pipeline reports about itself and its sources, for the UI header and `/api/health`.
//! The pipeline publishes [`PipelineStatus`] snapshots on a `tokio::sync::watch` channel and
//! takes [`PipelineCommand`]s on an mpsc channel; a UI attached to a database without a local
//! pipeline shows [`PipelineState::Attached`].

use chrono::{DateTime, Utc};
use serde::Serialize;

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

/// How a book's feed is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    /// No cycle has finished yet.
    #[default]
    Unknown,
    /// The last cycle fetched everything.
    Ok,
    /// The last cycle had some failed requests.
    Degraded,
    /// The last cycle's discovery failed, or every fetch did.
    Down,
}

impl HealthLevel {
    /// Lower-case name for display.
    pub const fn as_str(self) -> &'static str {
        match self {
            HealthLevel::Unknown => "unknown",
            HealthLevel::Ok => "ok",
            HealthLevel::Degraded => "degraded",
            HealthLevel::Down => "down",
        }
    }
}

/// Health of one book's feed.
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
    /// Events seen in the last cycle.
    pub events_seen: u32,
    /// Market rows seen in the last cycle.
    pub markets_seen: u32,
    /// Requests in the last cycle.
    pub requests: u32,
    /// Failed requests in the last cycle.
    pub failures: u32,
    /// Median request latency in the last cycle.
    pub latency_p50_ms: Option<u32>,
    /// 95th percentile request latency in the last cycle.
    pub latency_p95_ms: Option<u32>,
    /// Requests left in the feed's quota, where it has one.
    pub quota_remaining: Option<u32>,
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
