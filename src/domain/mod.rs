//! Plain types of the trading domain: odds, events, alerts and the filters over them.
//!
//! Nothing here does I/O; everything is cheap to construct in tests.

// First: `wire_enum!` is used by the modules below.
#[macro_use]
mod wire;

mod alert;
mod board;
mod duration;
mod filter;
mod noise;
mod notify;
mod odds;
mod read;
mod shard;
mod snapshot;
mod team;
mod view;

pub use alert::{
    Alert, AlertEvent, AlertJson, AlertPayload, AlertType, AvailabilityChange, AvailabilityFlip,
    BookFairOdds, CompetitorMove, DetectedAlert, Direction, Disagreement, EVENT_MARKET_ID,
    EVENT_MARKET_NAME, FlatPayload, MarginBreach, MarketLeftBehind, Mover, OccurrenceJson,
    OffMarketPrice, OutcomeQuote, Pattern, PayloadJson, PriceMove, Severity, Status, Workflow,
    alerts_json, testing,
};
pub use board::{BoardBook, BoardMarket, BoardOutcome, BoardPrice, EventMarketOdds, MarketBoard};
pub use duration::{DURATION_FORMS, DurationError, format_duration, parse_duration};
pub use filter::{AlertFilter, AlertSort, MAX_PAGE_LIMIT, Page, PageCursor, SilencedFilter};
pub use noise::{
    AlertIdentity, Fold, NewSilence, NoisePolicy, Occurrence, OpenAlert, Silence, SilenceEdit,
    SilenceEnd, SilenceMatchers, SilenceTarget, fold,
};
pub use notify::{
    DEFAULT_PAUSE_AFTER, Delivery, GIVE_UP_AFTER, IDEMPOTENCY_HEADER, Notice, NoticeKind,
    NotifyRule, SIGNATURE_HEADER, SignatureError, pauses, retry_delay, route, signature, verify,
};
pub use odds::{Line, ParseOddsError, Percent, Price};
pub use read::{
    AckOutcome, AuditEntry, BookOdds, EventGroup, OutcomePrice, PricePoint, SettingRow,
    StatusCounts,
};
pub use shard::{DEFAULT_SHARDS, LeasePlan, fair_share, plan_round, shard_of};
pub use snapshot::{EventOdds, MarketOdds, OutcomeOdds};
pub use team::{DaemonRow, ShardLease, TeamStatus, TeamSummary};
pub use view::{MAX_VIEW_NAME_CHARS, SavedView, ViewSpec};
pub(crate) use wire::wire_enum;
