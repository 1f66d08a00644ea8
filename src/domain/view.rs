//! Saved views (issue 16): a named filter + sort + layout of the alert screen, saved per user in
//! the database so a trader's views follow them to any terminal attached to the desk's store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AlertSort, AlertType, Severity, Status};

/// Longest view name, in characters.
pub const MAX_VIEW_NAME_CHARS: usize = 40;

/// What a view selects and how it shows it. Stored as JSON, so fields are added with
/// `#[serde(default)]` and a view saved by an older version still loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewSpec {
    /// The status tab's statuses (empty: every status, the All tab).
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// Severity filter.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Alert type filter.
    #[serde(default)]
    pub alert_type: Option<AlertType>,
    /// Book filter (slug).
    #[serde(default)]
    pub book: Option<String>,
    /// Event-name filter (`:event arsenal`).
    #[serde(default)]
    pub event_text: Option<String>,
    /// Free-text filter.
    #[serde(default)]
    pub text: Option<String>,
    /// Sort order.
    #[serde(default)]
    pub sort: AlertSort,
    /// Grouped by event instead of the flat table.
    #[serde(default)]
    pub grouped: bool,
    /// Silenced alerts listed (marked) instead of hidden.
    #[serde(default)]
    pub show_silenced: bool,
}

/// One saved view of one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedView {
    /// The user it belongs to.
    pub user: String,
    /// Its name, unique per user (1–40 characters, no whitespace).
    pub name: String,
    /// What it shows.
    pub spec: ViewSpec,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}
