//! The UI's one state. Only [`super::update::update`] changes it; views read it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::action::{DetailData, StatsData};
use super::command::CommandLine;
use super::keymap::Keymap;
use super::market::MarketScreen;
use super::settings::SettingsForm;
use super::silence::{SilenceForm, SilencesScreen};
use crate::config::Config;
use crate::domain::{
    AckOutcome, Alert, AlertFilter, AlertSort, AlertType, EventGroup, PageCursor, SavedView,
    Severity, SilencedFilter, Status, StatusCounts,
};
use crate::health::PipelineStatus;

/// Rows fetched per window of the alert list (the service's page limit caps it).
pub const PAGE_LIMIT: u32 = 100;
/// How long a newly arrived alert stays highlighted, in seconds.
pub const FRESH_SECS: i64 = 5;
/// How long a message stays in the footer, in seconds.
pub const MESSAGE_SECS: i64 = 8;
/// Smallest screen the UI draws on.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// The status tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// `new` alerts.
    New,
    /// `acknowledged` alerts.
    Acknowledged,
    /// `past` alerts.
    Past,
    /// Every alert.
    All,
}

impl Tab {
    /// The tabs in order.
    pub const ALL: [Tab; 4] = [Tab::New, Tab::Acknowledged, Tab::Past, Tab::All];

    /// Label.
    pub const fn label(self) -> &'static str {
        match self {
            Tab::New => "New",
            Tab::Acknowledged => "Acknowledged",
            Tab::Past => "Past",
            Tab::All => "All",
        }
    }

    /// The statuses the tab shows.
    pub fn statuses(self) -> Vec<Status> {
        match self {
            Tab::New => vec![Status::New],
            Tab::Acknowledged => vec![Status::Acknowledged],
            Tab::Past => vec![Status::Past],
            Tab::All => Vec::new(),
        }
    }

    /// Its count among per-status counts.
    pub fn count(self, counts: &StatusCounts) -> u64 {
        counts.total_of(&self.statuses())
    }
}

/// Where a window of the list starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PageStart {
    /// After this keyset cursor (`None`: the top).
    After(Option<PageCursor>),
    /// The window ending just before this row, read backwards (`None`: the end of the list).
    /// Jumping to the end and paging up from there read an index backwards, never an OFFSET.
    Before(Option<PageCursor>),
}

/// Where the selection goes when a requested window arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Stay on the same alert (or the same position if it left the window).
    Keep,
    /// The first row.
    First,
    /// The last row.
    Last,
}

/// The loaded window of the flat alert list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListState {
    /// Rows of the window, in sort order.
    pub rows: Vec<Alert>,
    /// Selected row index in `rows`.
    pub selected: usize,
    /// First row drawn (scroll position).
    pub offset: usize,
    /// Starts of the windows above and including this one (keyset paging back).
    pub pages: Vec<PageStart>,
    /// Row number of the window's first row in the whole list.
    pub first_row: u64,
    /// Where the next window starts, when there is one.
    pub next_cursor: Option<PageCursor>,
    /// Per-status counts for the tabs.
    pub counts: StatusCounts,
    /// Number of the latest request; older answers are dropped.
    pub seq: u64,
    /// Selection rule for the answer to `seq`.
    pub anchor: Anchor,
    /// A window query is running; newer requests wait for it (at most one in flight).
    pub in_flight: bool,
    /// A newer window is wanted once the running query answers.
    pub queued: bool,
    /// Number of the latest counts request.
    pub counts_seq: u64,
    /// A counts query is running.
    pub counts_in_flight: bool,
    /// Counts are out of date (a filter or the data changed).
    pub counts_stale: bool,
    /// The filter the counts on screen (or in flight) are for.
    pub counted: Option<AlertFilter>,
    /// When counts were last requested.
    pub counts_requested: Option<DateTime<Utc>>,
    /// A first answer has arrived.
    pub loaded: bool,
}

/// The grouped-by-event view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupState {
    /// Groups, most severe first.
    pub groups: Vec<EventGroup>,
    /// Selected row in the flattened rows (groups plus the expanded group's alerts).
    pub selected: usize,
    /// First row drawn.
    pub offset: usize,
    /// Expanded event and its alerts.
    pub expanded: Option<(i64, Vec<Alert>)>,
    /// Latest request.
    pub seq: u64,
    /// A groups query is running.
    pub in_flight: bool,
    /// A newer groups query is wanted once it answers.
    pub queued: bool,
    /// A first answer has arrived.
    pub loaded: bool,
}

/// One row of the grouped view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRow {
    /// The group at this index.
    Group(usize),
    /// The expanded group's alert at this index.
    Alert(usize),
}

/// The detail pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// The alert shown.
    pub alert: Alert,
    /// Its data, once loaded.
    pub data: Option<DetailData>,
    /// Why it could not be loaded.
    pub error: Option<String>,
}

/// A popup over the main screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The keymap.
    Help,
    /// Each book's health in full.
    BookHealth,
    /// "Acknowledge N alerts?"
    ConfirmBulk {
        /// The alerts.
        ids: Vec<i64>,
    },
    /// An optional comment before (un)acknowledging.
    Comment {
        /// The alerts.
        ids: Vec<i64>,
        /// Acknowledge or unacknowledge.
        acknowledge: bool,
        /// The comment so far.
        text: String,
    },
    /// The text filter being typed (the list follows live).
    TextFilter,
    /// The settings screen.
    Settings(SettingsForm),
    /// The silence form on a row.
    Silence(SilenceForm),
    /// The silences screen.
    Silences(SilencesScreen),
    /// The `:` command line with completion.
    CommandLine(CommandLine),
}

/// A line in the footer for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// An error (shown in the error colour).
    pub error: bool,
    /// When it goes away.
    pub until: DateTime<Utc>,
}

/// An acknowledgement in flight: what to put back if it fails.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAck {
    /// The rows as they were before the optimistic change.
    pub before: Vec<Alert>,
    /// Acknowledge or unacknowledge.
    pub acknowledge: bool,
}

/// Seconds between two reads of the scraper team for the header.
pub const TEAM_EVERY_SECS: i64 = 5;

/// Seconds between two reads of the scraper team while the last answer was a problem (a failed
/// read, a shard without a live owner, no scraper): the line clears soon once it heals.
pub const TEAM_RETRY_SECS: i64 = 2;

/// The header's team line ("3 scrapers · 16/16 shards"), refreshed every [`TEAM_EVERY_SECS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamLine {
    /// The last summary read; `None` before the first answer.
    pub summary: Option<crate::domain::TeamSummary>,
    /// The last read failed (the header shows `team: ?`; the reason is in the log).
    pub failed: bool,
    /// When the last read was asked for.
    pub requested_at: Option<DateTime<Utc>>,
    /// A read is running (never two at once).
    pub in_flight: bool,
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct State {
    /// The time the screen is drawn at (injected, so snapshots are stable).
    pub now: DateTime<Utc>,
    /// "sqlite /path/oddswatch.db" (password redacted).
    pub source: String,
    /// The pipeline's last report; `None` when attached to a database another process fills.
    pub pipeline: Option<PipelineStatus>,
    /// A pipeline in this process takes commands (pause / resume).
    pub can_pause: bool,
    /// Key bindings.
    pub keymap: Arc<Keymap>,
    /// Ring the bell on new critical alerts.
    pub bell: bool,
    /// Effective configuration (base of the settings screen).
    pub config: Arc<Config>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Status tab.
    pub tab: Tab,
    /// Severity filter.
    pub severity: Option<Severity>,
    /// Alert type filter.
    pub alert_type: Option<AlertType>,
    /// Book filter.
    pub book: Option<String>,
    /// Books the book filter cycles through.
    pub books: Vec<String>,
    /// Free-text filter.
    pub text: String,
    /// This event only: (id, "Home v Away").
    pub event: Option<(i64, String)>,
    /// Events whose name (teams, tournament, country) contains this (`:event arsenal`).
    pub event_text: Option<String>,
    /// Sort order.
    pub sort: AlertSort,
    /// Grouped-by-event view.
    pub grouped: bool,
    /// The flat list.
    pub list: ListState,
    /// The grouped view.
    pub groups: GroupState,
    /// The stats panel.
    pub stats: Option<StatsData>,
    /// When stats were last requested, and whether a newer load is wanted.
    pub stats_requested: Option<DateTime<Utc>>,
    /// Stats are out of date.
    pub stats_stale: bool,
    /// A stats load is running (at most one at a time).
    pub stats_in_flight: bool,
    /// The header's team line: the scraper team's summary and its refresh.
    pub team: TeamLine,
    /// The notification targets' health, read when the book-health screen opens (`None`
    /// until the first read answers).
    pub notify: Option<Result<Vec<crate::service::NotifyTargetStatus>, String>>,
    /// The detail pane, when open.
    pub detail: Option<Detail>,
    /// The market screen, when open (over the table or the detail pane).
    pub market: Option<MarketScreen>,
    /// The user's saved views, by name.
    pub views: Vec<SavedView>,
    /// The saved view last applied, while the screen still shows it.
    pub view: Option<String>,
    /// Command lines run this session, oldest first (Up/Down on the `:` line walk them).
    pub command_history: Vec<String>,
    /// Marked alert ids.
    pub marks: BTreeSet<i64>,
    /// Rows stop moving.
    pub frozen: bool,
    /// Alerts that arrived while frozen.
    pub frozen_arrivals: u64,
    /// Other changes (status changes, bulk loads) arrived while frozen.
    pub frozen_reload: bool,
    /// Newly arrived alerts and when their highlight ends.
    pub fresh: HashMap<i64, DateTime<Utc>>,
    /// Silenced alerts are listed (marked) instead of hidden.
    pub show_silenced: bool,
    /// The severity each escalated alert last asked for attention at (highlight, bell), so a
    /// further detection at the same severity does not ask again.
    pub escalations: HashMap<i64, Severity>,
    /// Popup.
    pub overlay: Option<Overlay>,
    /// Footer message.
    pub message: Option<Message>,
    /// Acknowledgements in flight by operation number.
    pub pending: HashMap<u64, PendingAck>,
    /// Next operation number.
    pub next_op: u64,
    /// A redraw is due.
    pub dirty: bool,
    /// The UI is leaving.
    pub quitting: bool,
}

impl State {
    /// A fresh state (nothing loaded yet).
    pub fn new(
        now: DateTime<Utc>,
        source: String,
        config: Arc<Config>,
        keymap: Arc<Keymap>,
    ) -> Self {
        let books = config
            .books
            .iter()
            .filter(|(_, b)| b.enabled && b.base_url.starts_with("http"))
            .map(|(slug, _)| slug.clone())
            .collect();
        State {
            now,
            source,
            pipeline: None,
            can_pause: false,
            keymap,
            bell: config.ui.bell,
            config,
            size: (80, 24),
            tab: Tab::New,
            severity: None,
            alert_type: None,
            book: None,
            books,
            text: String::new(),
            event: None,
            event_text: None,
            sort: AlertSort::Detected,
            grouped: false,
            list: ListState {
                rows: Vec::new(),
                selected: 0,
                offset: 0,
                pages: vec![PageStart::After(None)],
                first_row: 0,
                next_cursor: None,
                counts: StatusCounts::default(),
                seq: 0,
                anchor: Anchor::First,
                in_flight: false,
                queued: false,
                counts_seq: 0,
                counts_in_flight: false,
                counts_stale: false,
                counted: None,
                counts_requested: None,
                loaded: false,
            },
            groups: GroupState::default(),
            stats: None,
            stats_requested: None,
            stats_stale: false,
            stats_in_flight: false,
            team: TeamLine::default(),
            notify: None,
            detail: None,
            market: None,
            views: Vec::new(),
            view: None,
            command_history: Vec::new(),
            marks: BTreeSet::new(),
            frozen: false,
            frozen_arrivals: 0,
            frozen_reload: false,
            fresh: HashMap::new(),
            show_silenced: false,
            escalations: HashMap::new(),
            overlay: None,
            message: None,
            pending: HashMap::new(),
            next_op: 1,
            dirty: true,
            quitting: false,
        }
    }

    /// The filter the screen shows.
    pub fn filter(&self) -> AlertFilter {
        AlertFilter {
            statuses: self.tab.statuses(),
            severities: self.severity.into_iter().collect(),
            alert_types: self.alert_type.into_iter().collect(),
            bookmaker: self.book.clone(),
            event_id: self.event.as_ref().map(|(id, _)| *id),
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
            pattern: None,
            silenced: if self.show_silenced {
                SilencedFilter::Include
            } else {
                SilencedFilter::Hide
            },
            event_text: self.event_text.clone(),
        }
    }

    /// The filter the tab counts are for: the screen's, with silenced alerts left out of the
    /// status counts even while they are shown (New never counts them; `silenced` does).
    pub fn counts_filter(&self) -> AlertFilter {
        AlertFilter {
            silenced: SilencedFilter::Hide,
            ..self.filter()
        }
    }

    /// Whether a filter narrows the list beyond its status tab (severity, type, book, text,
    /// event or event text): the tabs then count fewer alerts than the stats, which are the
    /// whole book's.
    pub fn is_filtered(&self) -> bool {
        self.severity.is_some()
            || self.alert_type.is_some()
            || self.book.is_some()
            || !self.text.is_empty()
            || self.event.is_some()
            || self.event_text.is_some()
    }

    /// The rows of the grouped view, flattened.
    pub fn group_rows(&self) -> Vec<GroupRow> {
        let mut rows = Vec::new();
        for (i, g) in self.groups.groups.iter().enumerate() {
            rows.push(GroupRow::Group(i));
            if let Some((event, alerts)) = &self.groups.expanded
                && *event == g.event_id
            {
                rows.extend((0..alerts.len()).map(GroupRow::Alert));
            }
        }
        rows
    }

    /// The alert under the cursor, in either view.
    pub fn selected_alert(&self) -> Option<&Alert> {
        if self.grouped {
            match self.group_rows().get(self.groups.selected)? {
                GroupRow::Alert(i) => self.groups.expanded.as_ref()?.1.get(*i),
                GroupRow::Group(_) => None,
            }
        } else {
            self.list.rows.get(self.list.selected)
        }
    }

    /// The group under the cursor in the grouped view.
    pub fn selected_group(&self) -> Option<&EventGroup> {
        match self.group_rows().get(self.groups.selected)? {
            GroupRow::Group(i) => self.groups.groups.get(*i),
            GroupRow::Alert(_) => {
                let event = self.groups.expanded.as_ref()?.0;
                self.groups.groups.iter().find(|g| g.event_id == event)
            }
        }
    }

    /// Rows of the alert table that fit on screen (the layout's table height less its header).
    pub fn table_rows(&self) -> usize {
        let (_, height) = self.size;
        // header 2, tabs 1, stats strip or panel, table header 1, footer 1.
        let stats = if height >= 32 { 8 } else { 1 };
        usize::from(height)
            .saturating_sub(2 + 1 + stats + 1 + 1)
            .max(1)
    }

    /// Finds an alert among every loaded row (flat list, expanded group, detail).
    pub fn alerts_mut(&mut self) -> impl Iterator<Item = &mut Alert> {
        let expanded = self
            .groups
            .expanded
            .as_mut()
            .map(|(_, alerts)| alerts.iter_mut());
        self.list
            .rows
            .iter_mut()
            .chain(expanded.into_iter().flatten())
            .chain(self.detail.as_mut().map(|d| &mut d.alert))
    }

    /// Shows a message in the footer.
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some(Message {
            text: text.into(),
            error,
            until: self.now + chrono::Duration::seconds(MESSAGE_SECS),
        });
    }
}

/// Why an acknowledgement of one alert did not change it, for the footer.
pub fn refusal_text(id: i64, outcome: &AckOutcome, acknowledge: bool) -> Option<String> {
    let verb = if acknowledge {
        "acknowledged"
    } else {
        "unacknowledged"
    };
    match outcome {
        AckOutcome::Changed => None,
        AckOutcome::EventStarted => Some(format!(
            "alert {id} cannot be {verb}: its event has started"
        )),
        AckOutcome::NotFound => Some(format!("alert {id} no longer exists")),
        AckOutcome::Unchanged { by: Some(by) } if acknowledge => {
            Some(format!("alert {id} was already acknowledged by {by}"))
        }
        AckOutcome::Unchanged { .. } => Some(format!("alert {id} was already {verb}")),
    }
}
