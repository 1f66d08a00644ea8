//! What can happen to the UI (actions, fed to `update`) and what `update` asks the outside world
//! to do (effects, carried out by the effects task, whose results come back as actions).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use serde_json::Value;

use crate::domain::{
    AckOutcome, Alert, AlertFilter, AlertSort, AuditEntry, BookOdds, EventGroup, Line, MarketBoard,
    NewSilence, Occurrence, Page, PricePoint, SavedView, SettingRow, Silence, SilenceEdit,
    StatusCounts, ViewSpec,
};
use crate::health::{PipelineCommand, PipelineStatus};
use crate::live::Change;
use crate::service::AlertStats;

/// Everything the detail pane shows beyond the alert itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DetailData {
    /// The alert's audit trail, oldest first.
    pub audit: Vec<AuditEntry>,
    /// The market's current prices on every book.
    pub odds: Vec<BookOdds>,
    /// The market's recorded prices, oldest first.
    pub history: Vec<PricePoint>,
    /// Every detection folded into the alert, oldest first (DESIGN §10).
    pub occurrences: Vec<Occurrence>,
}

/// One window of the alert list, without counts (those come separately, see
/// [`Action::CountsLoaded`], so a window never waits for a count over every alert).
pub type PageRows = crate::service::AlertWindow;

/// The stats panel's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsData {
    /// Totals by status, severity and type.
    pub totals: AlertStats,
    /// Alerts per minute over the last hour, oldest first.
    pub per_minute: Vec<u64>,
    /// Events with the most new alerts.
    pub top_events: Vec<EventGroup>,
    /// How long the load took, in milliseconds: it sets how often stats follow changes
    /// (every change when cheap, throttled in proportion when not; see `update::stats::stats_every`).
    pub took_ms: u64,
}

/// An input to [`super::update::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The UI starts: load everything.
    Start,
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse was used (only with mouse capture on).
    Mouse(MouseEvent),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
    /// A second passed.
    Tick(DateTime<Utc>),
    /// The database changed.
    Change(Change),
    /// The pipeline in this process reported.
    Pipeline(PipelineStatus),
    /// A page of the alert list arrived (for the request numbered `seq`).
    PageLoaded {
        /// Request number; stale answers are dropped.
        seq: u64,
        /// The window, or the error text.
        result: Result<PageRows, String>,
    },
    /// Per-status counts for the tabs arrived (for the request numbered `seq`).
    CountsLoaded {
        /// Request number; stale answers are dropped.
        seq: u64,
        /// The counts, or the error text.
        result: Result<StatusCounts, String>,
    },
    /// Event groups arrived.
    GroupsLoaded {
        /// Request number.
        seq: u64,
        /// The groups, or the error text.
        result: Result<Vec<EventGroup>, String>,
    },
    /// The alerts of an expanded group arrived.
    GroupAlertsLoaded {
        /// The event.
        event_id: i64,
        /// Its alerts, or the error text.
        result: Result<Vec<Alert>, String>,
    },
    /// Stats arrived.
    StatsLoaded(Result<StatsData, String>),
    /// The scraper team's summary arrived (the header's team line), or the error text.
    TeamLoaded(Result<crate::domain::TeamSummary, String>),
    /// The notification targets' health arrived (the book-health screen), or the error text.
    NotifyLoaded(Result<Vec<crate::service::NotifyTargetStatus>, String>),
    /// The detail of an alert arrived.
    DetailLoaded {
        /// The alert.
        alert_id: i64,
        /// Its data, or the error text.
        result: Result<DetailData, String>,
    },
    /// An acknowledge / unacknowledge request finished.
    AckDone {
        /// The operation number given in [`Effect::SetStatus`].
        op: u64,
        /// Per-id outcomes, or the error text (nothing was written).
        result: Result<Vec<(i64, AckOutcome)>, String>,
    },
    /// The stored settings overrides arrived.
    SettingsLoaded(Result<Vec<SettingRow>, String>),
    /// A settings write finished.
    SettingsSaved(Result<(), String>),
    /// The silence asked for in the form was made (or refused: the service's reason).
    SilenceCreated(Result<Silence, String>),
    /// The silences screen's list arrived (for the request numbered `seq`).
    SilencesLoaded {
        /// Request number; stale answers are dropped.
        seq: u64,
        /// Silences, newest first, or the error text.
        result: Result<Vec<Silence>, String>,
    },
    /// An edit or expiry of a silence finished.
    SilenceChanged(Result<Silence, String>),
    /// The market screen's board arrived (for the request numbered `seq`).
    BoardLoaded {
        /// Request number; stale answers are dropped.
        seq: u64,
        /// The board, or the error text.
        result: Result<MarketBoard, String>,
    },
    /// The price history of one market of the market screen arrived.
    MarketHistoryLoaded {
        /// Request number; stale answers are dropped.
        seq: u64,
        /// Its recorded prices on every book, oldest first, or the error text.
        result: Result<Vec<PricePoint>, String>,
    },
    /// The user's saved views arrived.
    ViewsLoaded(Result<Vec<SavedView>, String>),
    /// A view was saved (created or replaced).
    ViewSaved(Result<SavedView, String>),
    /// A view was deleted (`Ok(false)`: there was none by that name).
    ViewDeleted {
        /// Its name.
        name: String,
        /// Whether one was deleted, or the error text.
        result: Result<bool, String>,
    },
}

/// What the query for the alert list is.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Filter.
    pub filter: AlertFilter,
    /// Sort.
    pub sort: AlertSort,
    /// Window.
    pub page: Page,
}

/// An outside-world request made by `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Load one window of the alert list.
    LoadPage {
        /// Request number.
        seq: u64,
        /// The query.
        query: ListQuery,
    },
    /// Count the alerts per status for a filter (its status restriction ignored).
    LoadCounts {
        /// Request number.
        seq: u64,
        /// The filter.
        filter: AlertFilter,
    },
    /// Load the event groups for a filter.
    LoadGroups {
        /// Request number.
        seq: u64,
        /// The filter.
        filter: AlertFilter,
    },
    /// Load the alerts of one event (an expanded group).
    LoadGroupAlerts {
        /// The filter (with the event set).
        filter: AlertFilter,
        /// The sort.
        sort: AlertSort,
    },
    /// Load the stats panel.
    LoadStats,
    /// Read the scraper team for the header (at most one at a time, every
    /// [`crate::tui::state::TEAM_EVERY_SECS`]).
    LoadTeam,
    /// Read the notification targets' health for the book-health screen.
    LoadNotify,
    /// Load the detail of an alert.
    LoadDetail(Box<Alert>),
    /// Acknowledge (`acknowledge = true`) or unacknowledge alerts.
    SetStatus {
        /// Operation number, echoed in [`Action::AckDone`].
        op: u64,
        /// The alerts.
        ids: Vec<i64>,
        /// Acknowledge or unacknowledge.
        acknowledge: bool,
        /// Optional comment for the audit trail.
        comment: Option<String>,
    },
    /// Load the settings overrides.
    LoadSettings,
    /// Save settings overrides.
    SaveSettings(Vec<(String, Value)>),
    /// Make a silence (the form's Enter).
    CreateSilence(NewSilence),
    /// Load the silences screen's list.
    LoadSilences {
        /// Request number.
        seq: u64,
        /// Ended and expired silences too.
        include_ended: bool,
    },
    /// Change a silence's end or reason.
    EditSilence {
        /// The silence.
        id: i64,
        /// What changes.
        edit: SilenceEdit,
    },
    /// End a silence now.
    ExpireSilence(i64),
    /// Load the market screen's board of an event.
    LoadBoard {
        /// Request number.
        seq: u64,
        /// The event.
        event_id: i64,
    },
    /// Load the price history of one market (and line) of an event on every book.
    LoadMarketHistory {
        /// Request number.
        seq: u64,
        /// The event.
        event_id: i64,
        /// Canonical market id.
        market_id: String,
        /// The line.
        line: Option<Line>,
    },
    /// Load the user's saved views.
    LoadViews,
    /// Save a view under a name (replacing the user's view of that name).
    SaveView {
        /// The name.
        name: String,
        /// What it shows.
        spec: ViewSpec,
    },
    /// Delete the user's view of that name.
    DeleteView(String),
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Tell the pipeline in this process something.
    Pipeline(PipelineCommand),
    /// Ring the terminal bell.
    Bell,
    /// Leave the UI.
    Quit,
}
