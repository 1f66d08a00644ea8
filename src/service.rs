//! The alert service: the one place every interface (CLI, UI, API) reads and acts on alerts.
//! It validates requests, supplies the acting user and the clock, and turns store results into
//! the answers a trader needs (totals, per-status counts, a cursor for the next page, and why an
//! action was refused).
//!
//! Choices (DESIGN.md is silent on these):
//! - Text from users (the text filter, the book filter, acknowledgement comments) is refused,
//!   not cleaned, when it holds a control character (Unicode `Cc`: NUL, ESC, tab, newline, …):
//!   silently changing what a trader typed would be worse than saying no. So a comment is one
//!   line, as the audit trail shows it. Printable Unicode (`Zoë`, `événement`) is fine.
//! - [`check_text`] is the one rule; the API and the CLI call it first so their errors name their
//!   own parameter (`q`, `--text`), and the service calls it again for every other caller.
//! - The faces (UI, API, CLI) reach the database only through this service, never through the
//!   store: every read checks its page, filter and limits here, once, for all of them. The
//!   command wiring builds the service from a store and hands the same store to the pipeline.

mod board;
mod notify;
mod reads;
mod silences;
mod views;

pub use notify::{NotifyRuleRow, NotifyTargetStatus, target_statuses};
pub use reads::{AlertWindow, MAX_FOLLOW_BATCH, MAX_GROUPS, MAX_HISTORY_ROWS};
pub use silences::{MAX_REASON_CHARS, MAX_SILENCE_DAYS};
pub use views::{RESERVED_VIEW_NAMES, check_view, check_view_name, check_view_name_form};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use crate::domain::{
    AckOutcome, Alert, AlertFilter, AlertJson, AlertSort, AlertType, AuditEntry, MAX_PAGE_LIMIT,
    Page, PageCursor, Severity, SilencedFilter, Status, StatusCounts, alerts_json,
};
use crate::store::{Store, StoreError};

/// Longest free-text filter accepted.
pub const MAX_TEXT_FILTER_CHARS: usize = 200;

/// Longest acknowledgement comment accepted.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// Longest book filter accepted (slugs are short words).
pub const MAX_BOOKMAKER_CHARS: usize = 64;

/// Checks a text input from a user: at most `max` characters and no control characters. NUL in
/// particular is refused by PostgreSQL and matched by every row on SQLite, so it must never
/// reach a query; the other control characters have no place in a name, a filter or a comment.
/// The error names the input as `name` (the API parameter or the CLI flag).
pub fn check_text(name: &'static str, text: &str, max: usize) -> Result<(), ServiceError> {
    if let Some((position, c)) = text.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(ServiceError::InvalidArgument {
            name,
            value: format!(
                "holding the control character U+{:04X} at character {}",
                u32::from(c),
                position + 1
            ),
            allowed: "control characters (U+0000–U+001F, U+007F–U+009F) are not allowed".into(),
        });
    }
    let count = text.chars().count();
    if count > max {
        return Err(ServiceError::InvalidArgument {
            name,
            value: format!("of {count} characters"),
            allowed: format!("at most {max} characters"),
        });
    }
    Ok(())
}

/// The time source; tests inject a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The current time truncated to milliseconds, so both backends store identical values.
pub fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now)
}

/// Why a request was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request parameter is out of its allowed range.
    #[error("invalid {name} {value}: {allowed}")]
    InvalidArgument {
        /// Parameter.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// No alert has this id.
    #[error("alert {0} not found")]
    NotFound(i64),
    /// No silence has this id.
    #[error("silence {0} not found")]
    SilenceNotFound(i64),
    /// The alert is past: its event has started.
    #[error("alert {0} cannot be changed: the event has started (past alerts are frozen)")]
    EventStarted(i64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// Whether the database could not be reached (try again later), as opposed to a request
    /// refused or a query the database rejected.
    pub fn database_unavailable(&self) -> bool {
        matches!(self, ServiceError::Store(e) if e.is_unreachable())
    }
}

/// One page of the alert list.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPage {
    /// The alerts of this page.
    pub alerts: Vec<Alert>,
    /// How many alerts match the filter in all.
    pub total: u64,
    /// Alerts per status matching the filter's other criteria (for tab counts).
    pub counts: StatusCounts,
    /// Where the next page starts (keyset), if this page was full.
    pub next_cursor: Option<PageCursor>,
}

/// The JSON shape of a list answer, shared by the CLI (`--json`) and the HTTP API:
/// `{alerts, total, newCount, acknowledgedCount, pastCount, silencedCount}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertListBody {
    /// The page.
    pub alerts: Vec<AlertJson>,
    /// Alerts matching the filter.
    pub total: u64,
    /// `new` alerts matching the filter's other criteria.
    pub new_count: u64,
    /// `acknowledged` ones.
    pub acknowledged_count: u64,
    /// `past` ones.
    pub past_count: u64,
    /// Silenced alerts matching the filter's other criteria, whatever their status and the
    /// `silenced` filter (DESIGN §10); the three counts above leave them out unless the filter
    /// lists them.
    pub silenced_count: u64,
}

impl AlertPage {
    /// The wire shape of this page.
    pub fn body(&self) -> AlertListBody {
        AlertListBody {
            alerts: alerts_json(&self.alerts),
            total: self.total,
            new_count: self.counts.new,
            acknowledged_count: self.counts.acknowledged,
            past_count: self.counts.past,
            silenced_count: self.counts.silenced,
        }
    }
}

/// Zero-filled counts over all alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertStats {
    /// All alerts.
    pub total: u64,
    /// Per status; every status present.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub by_status: BTreeMap<&'static str, u64>,
    /// Per severity; every severity present.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub by_severity: BTreeMap<&'static str, u64>,
    /// Per alert type; every type present.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub by_type: BTreeMap<&'static str, u64>,
    /// Silenced alerts, whatever the `silenced` filter (which says whether the counts above
    /// include them: by default they do not).
    pub silenced: u64,
}

/// The alert service. Cheap to clone.
#[derive(Clone)]
pub struct AlertService {
    store: Store,
    user: String,
    clock: Clock,
    /// The configuration the market board's rules come from (`None`: the defaults).
    config: Option<Arc<crate::config::Config>>,
}

impl std::fmt::Debug for AlertService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertService")
            .field("backend", &self.store.backend())
            .field("user", &self.user)
            .finish()
    }
}

impl AlertService {
    /// A service acting as `user`, on the real clock.
    pub fn new(store: Store, user: impl Into<String>) -> Self {
        AlertService {
            store,
            user: user.into(),
            clock: Arc::new(now_millis),
            config: None,
        }
    }

    /// The same service acting as another user (e.g. the API's caller).
    pub fn as_user(&self, user: impl Into<String>) -> Self {
        AlertService {
            user: user.into(),
            ..self.clone()
        }
    }

    /// The same service on another clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// `"sqlite"` or `"postgres"`: the backend underneath, for health reports.
    pub fn backend_name(&self) -> &'static str {
        self.store.backend().as_str()
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }

    /// The scraper team (DESIGN §11): daemons and shard leases, on the database's clock. One
    /// query's worth of work: the UI header refreshes it every few seconds.
    pub async fn team_status(&self) -> Result<crate::domain::TeamStatus, ServiceError> {
        Ok(self.store.team_status().await?)
    }

    /// Closes the database connections (waits for checked-out ones); for the end of a command.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Who acknowledgements are recorded as.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// One page of alerts, the filtered total, and per-status counts.
    pub async fn list(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
    ) -> Result<AlertPage, ServiceError> {
        let AlertWindow {
            alerts,
            next_cursor,
        } = self.window(filter, sort, page).await?;
        let counts = self.store.status_counts(filter).await?;
        Ok(AlertPage {
            total: counts.total_of(&filter.statuses),
            alerts,
            counts,
            next_cursor,
        })
    }

    /// Totals by status, severity and type, zeros included; silenced alerts left out.
    pub async fn stats(&self) -> Result<AlertStats, ServiceError> {
        self.stats_of(SilencedFilter::Hide).await
    }

    /// Totals by status, severity and type of the alerts `silenced` selects, zeros included,
    /// and how many alerts are silenced.
    pub async fn stats_of(&self, silenced: SilencedFilter) -> Result<AlertStats, ServiceError> {
        let rows = self.store.grouped_counts().await?;
        let mut stats = AlertStats {
            silenced: 0,
            total: 0,
            by_status: Status::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            by_severity: Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            by_type: AlertType::ALL.iter().map(|t| (t.as_str(), 0)).collect(),
        };
        for row in rows {
            let n = u64::try_from(row.count).unwrap_or(0);
            if row.silenced {
                stats.silenced += n;
            }
            let counted = match silenced {
                SilencedFilter::Hide => !row.silenced,
                SilencedFilter::Include => true,
                SilencedFilter::Only => row.silenced,
            };
            if !counted {
                continue;
            }
            let corrupt = |message: String| StoreError::Corrupt {
                table: "alerts",
                message,
            };
            let status: Status = row.status.parse().map_err(corrupt)?;
            let severity: Severity = row.severity.parse().map_err(corrupt)?;
            let alert_type: AlertType = row.alert_type.parse().map_err(corrupt)?;
            stats.total += n;
            *stats.by_status.entry(status.as_str()).or_default() += n;
            *stats.by_severity.entry(severity.as_str()).or_default() += n;
            *stats.by_type.entry(alert_type.as_str()).or_default() += n;
        }
        Ok(stats)
    }

    /// One alert, or [`ServiceError::NotFound`].
    pub async fn get(&self, id: i64) -> Result<Alert, ServiceError> {
        self.store
            .get_alert(id)
            .await?
            .ok_or(ServiceError::NotFound(id))
    }

    /// The audit trail of one alert (oldest first); [`ServiceError::NotFound`] if it does not exist.
    pub async fn audit(&self, id: i64) -> Result<Vec<AuditEntry>, ServiceError> {
        let trail = self.store.alert_audit(id).await?;
        if trail.is_empty() && self.store.get_alert(id).await?.is_none() {
            return Err(ServiceError::NotFound(id));
        }
        Ok(trail)
    }

    /// The alerts of one event, newest first.
    pub async fn event_alerts(
        &self,
        event_id: i64,
        page: &Page,
    ) -> Result<AlertPage, ServiceError> {
        let filter = AlertFilter {
            event_id: Some(event_id),
            ..AlertFilter::default()
        };
        self.list(&filter, AlertSort::Detected, page).await
    }

    /// Acknowledges alerts as the service's user; one outcome per id.
    pub async fn acknowledge(
        &self,
        ids: &[i64],
        comment: Option<&str>,
    ) -> Result<Vec<(i64, AckOutcome)>, ServiceError> {
        self.set_status(ids, Status::Acknowledged, comment).await
    }

    /// Returns acknowledged alerts to `new`; one outcome per id.
    pub async fn unacknowledge(
        &self,
        ids: &[i64],
        comment: Option<&str>,
    ) -> Result<Vec<(i64, AckOutcome)>, ServiceError> {
        self.set_status(ids, Status::New, comment).await
    }

    /// Acknowledges (`true`) or unacknowledges one alert and returns it as it now is; a past or
    /// missing alert is an error. Acknowledging an acknowledged alert is not an error.
    pub async fn set_acknowledged(
        &self,
        id: i64,
        acknowledged: bool,
        comment: Option<&str>,
    ) -> Result<Alert, ServiceError> {
        let to = if acknowledged {
            Status::Acknowledged
        } else {
            Status::New
        };
        let outcome = self.set_status(&[id], to, comment).await?;
        match outcome.first().map(|(_, o)| o) {
            Some(AckOutcome::NotFound) | None => Err(ServiceError::NotFound(id)),
            Some(AckOutcome::EventStarted) => Err(ServiceError::EventStarted(id)),
            Some(AckOutcome::Changed | AckOutcome::Unchanged { .. }) => self.get(id).await,
        }
    }

    async fn set_status(
        &self,
        ids: &[i64],
        to: Status,
        comment: Option<&str>,
    ) -> Result<Vec<(i64, AckOutcome)>, ServiceError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > 10_000 {
            return Err(ServiceError::InvalidArgument {
                name: "ids",
                value: format!("{} ids", ids.len()),
                allowed: "at most 10000 ids per request".into(),
            });
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            check_text("comment", c, MAX_COMMENT_CHARS)?;
        }
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let outcomes = self
            .store
            .set_acknowledged(&unique, to, &self.user, comment, self.now())
            .await?;
        let by_id: std::collections::HashMap<i64, AckOutcome> = outcomes.into_iter().collect();
        Ok(ids.iter().map(|id| (*id, by_id[id].clone())).collect())
    }

    /// Moves alerts of events that have kicked off to `past`; returns how many.
    pub async fn mark_past(&self) -> Result<u64, ServiceError> {
        Ok(self.store.mark_past(self.now()).await?)
    }

    /// Deletes past alerts whose event kicked off more than `retention_days` ago; returns how many.
    pub async fn purge(&self, retention_days: u32) -> Result<u64, ServiceError> {
        let cutoff = self.now() - Duration::days(i64::from(retention_days));
        Ok(self.store.purge_past(cutoff).await?)
    }

    /// Deletes price history recorded more than `history_days` ago; returns how many rows.
    pub async fn purge_history(&self, history_days: u32) -> Result<u64, ServiceError> {
        let cutoff = self.now() - Duration::days(i64::from(history_days));
        Ok(self.store.purge_history(cutoff).await?)
    }
}

/// The keyset cursor just after `alert`.
pub fn cursor_of(alert: &Alert) -> PageCursor {
    PageCursor {
        id: alert.id,
        detected_at: alert.detected_at,
        severity: alert.severity,
        event_kickoff: alert.event_kickoff,
        abs_change: alert.change_pct().map_or(0.0, |c| c.abs().as_f64()),
    }
}

/// Where the page after `alerts` (read for `page`) starts, if there may be one: a full page
/// read forwards may have more after it; a page read backwards before a cursor has at least the
/// cursor's row after it; the last page has nothing after it.
pub fn next_cursor(page: &Page, alerts: &[Alert]) -> Option<PageCursor> {
    let more = if page.backwards {
        page.after.is_some()
    } else {
        alerts.len() == page.limit as usize
    };
    more.then(|| alerts.last().map(cursor_of)).flatten()
}

/// Checks a count asked for against `1..=max`, naming it `name` in the error.
fn check_limit(name: &'static str, limit: u32, max: u32) -> Result<(), ServiceError> {
    if limit == 0 || limit > max {
        return Err(ServiceError::InvalidArgument {
            name,
            value: limit.to_string(),
            allowed: format!("must be between 1 and {max}"),
        });
    }
    Ok(())
}

fn check_page(page: &Page) -> Result<(), ServiceError> {
    check_limit("limit", page.limit, MAX_PAGE_LIMIT)?;
    if page.offset > i64::MAX as u64 {
        return Err(ServiceError::InvalidArgument {
            name: "offset",
            value: page.offset.to_string(),
            allowed: "must be a non-negative 64-bit integer".into(),
        });
    }
    Ok(())
}

fn check_filter(filter: &AlertFilter) -> Result<(), ServiceError> {
    if let Some(text) = &filter.text {
        check_text("text filter", text, MAX_TEXT_FILTER_CHARS)?;
    }
    if let Some(book) = &filter.bookmaker {
        check_text("bookmaker", book, MAX_BOOKMAKER_CHARS)?;
    }
    if let Some(text) = &filter.event_text {
        check_text("event filter", text, MAX_TEXT_FILTER_CHARS)?;
    }
    Ok(())
}
