//! What a trader asks of the alert list: filters, sort order, and a page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AlertType, Pattern, Severity, Status};

/// The most alerts one page may hold (API, CLI and UI alike).
pub const MAX_PAGE_LIMIT: u32 = 200;

/// Which alerts to show. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Keep these statuses.
    pub statuses: Vec<Status>,
    /// Keep these severities.
    pub severities: Vec<Severity>,
    /// Keep these alert types.
    pub alert_types: Vec<AlertType>,
    /// Keep alerts about this book (slug).
    pub bookmaker: Option<String>,
    /// Keep alerts of this event (database id).
    pub event_id: Option<i64>,
    /// Case-insensitive substring of the event name, either team, the tournament or the market name.
    pub text: Option<String>,
    /// Keep `off_market` alerts of this palpable-error pattern (alerts without one never match).
    #[serde(default)]
    pub pattern: Option<Pattern>,
    /// Silenced alerts: hidden unless asked for (DESIGN §10).
    #[serde(default)]
    pub silenced: SilencedFilter,
    /// Case-insensitive substring of the event's name, teams, tournament or country only (the
    /// command line's `:event arsenal`; unlike `text`, never a market name).
    #[serde(default)]
    pub event_text: Option<String>,
}

wire_enum!(
    /// Whether silenced alerts are listed.
    #[derive(Default)]
    SilencedFilter, "silenced filter" {
        /// Only alerts no silence matched (the default everywhere).
        #[default]
        Hide = "hide",
        /// Silenced alerts too.
        Include = "include",
        /// Only silenced alerts.
        Only = "only",
    }
);

impl AlertFilter {
    /// The same filter without the status restriction (used for per-status counts).
    pub fn without_statuses(&self) -> AlertFilter {
        AlertFilter {
            statuses: Vec::new(),
            ..self.clone()
        }
    }

    /// The text filter, trimmed, or `None` when it is blank.
    pub fn text_term(&self) -> Option<&str> {
        self.text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// Sort orders of the alert list. Every order breaks ties by id, newest first, so pages are stable.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertSort {
    /// Newest detection first (default).
    #[default]
    Detected,
    /// Most severe first, then newest.
    Severity,
    /// Soonest kickoff first.
    Kickoff,
    /// Largest |change %| first.
    Change,
}

impl AlertSort {
    /// Every sort order, in the order the UI cycles through them.
    pub const ALL: &'static [AlertSort] = &[
        AlertSort::Detected,
        AlertSort::Severity,
        AlertSort::Kickoff,
        AlertSort::Change,
    ];

    /// The name used in the CLI and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertSort::Detected => "detected",
            AlertSort::Severity => "severity",
            AlertSort::Kickoff => "kickoff",
            AlertSort::Change => "change",
        }
    }
}

impl std::str::FromStr for AlertSort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AlertSort::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let valid: Vec<_> = AlertSort::ALL.iter().map(|v| v.as_str()).collect();
                format!("unknown sort {s:?}; valid values: {}", valid.join(", "))
            })
    }
}

impl std::fmt::Display for AlertSort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The position after the last row of a page, for keyset paging: the next page starts strictly
/// after this row in the current sort order. Only the field of the active sort is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageCursor {
    /// Id of the last row.
    pub id: i64,
    /// Its detection time.
    pub detected_at: DateTime<Utc>,
    /// Its severity.
    pub severity: Severity,
    /// Its event kickoff.
    pub event_kickoff: DateTime<Utc>,
    /// Its |change %| (0 when it has none).
    pub abs_change: f64,
}

/// Which slice of the filtered, sorted list to return.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many rows at most (1 ..= [`MAX_PAGE_LIMIT`]).
    pub limit: u32,
    /// Rows to skip (API style paging).
    pub offset: u64,
    /// Start after this row instead (UI style keyset paging); `offset` is then ignored.
    pub after: Option<PageCursor>,
    /// Read from the other end: the `limit` rows just before `after` (or the last `limit` rows
    /// of the list when `after` is `None`), still returned in sort order. How the UI jumps to
    /// the end of a million alerts and pages up from there without an OFFSET scan.
    pub backwards: bool,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            offset: 0,
            after: None,
            backwards: false,
        }
    }
}

impl Page {
    /// The last `limit` rows.
    pub fn last(limit: u32) -> Page {
        Page {
            limit,
            backwards: true,
            ..Page::default()
        }
    }

    /// The first `limit` rows.
    pub fn first(limit: u32) -> Page {
        Page {
            limit,
            ..Page::default()
        }
    }
}
