//! Read models: what the faces (UI, API, CLI) show besides alerts — counts per status, alerts
//! grouped by event, an alert's audit trail, a market's prices on every book and their history,
//! the settings overrides, and the outcome of an acknowledgement. The store fills them and the
//! service hands them out, so no face needs a store type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Severity, Status};

/// Alerts per status for one filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    /// `new`
    pub new: u64,
    /// `acknowledged`
    pub acknowledged: u64,
    /// `past`
    pub past: u64,
    /// Silenced alerts of the filter's other criteria, whatever their status; they are not in
    /// the three counts above unless the filter asks for silenced alerts.
    pub silenced: u64,
}

impl StatusCounts {
    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::New => self.new,
            Status::Acknowledged => self.acknowledged,
            Status::Past => self.past,
        }
    }

    /// Adds `n` alerts of `status` (the store sums its grouped rows with it).
    pub fn add(&mut self, status: Status, n: u64) {
        match status {
            Status::New => self.new += n,
            Status::Acknowledged => self.acknowledged += n,
            Status::Past => self.past += n,
        }
    }

    /// The sum over `statuses` (all of them when empty).
    pub fn total_of(&self, statuses: &[Status]) -> u64 {
        if statuses.is_empty() {
            self.new + self.acknowledged + self.past
        } else {
            statuses.iter().map(|s| self.get(*s)).sum()
        }
    }
}

/// What happened to one id of an acknowledge / unacknowledge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum AckOutcome {
    /// The status changed.
    Changed,
    /// It already had the requested status (by `by`, if acknowledged).
    Unchanged {
        /// Who acknowledged it, when it is acknowledged.
        by: Option<String>,
    },
    /// The event has kicked off: past alerts are frozen.
    EventStarted,
    /// No alert has this id.
    NotFound,
}

/// One entry of an alert's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// The alert.
    pub alert_id: i64,
    /// `acknowledge`, `unacknowledge` or `past`.
    pub action: String,
    /// Who did it (`system` for the past transition).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Optional comment.
    pub comment: Option<String>,
}

/// An event and how many alerts it has.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGroup {
    /// Event database id.
    pub event_id: i64,
    /// "Home v Away".
    pub event_name: String,
    /// Kickoff.
    pub kickoff: DateTime<Utc>,
    /// Alerts (matching the filter, for groups; open ones, for top events).
    pub alerts: u64,
    /// The most severe of them.
    pub worst: Severity,
}

/// One outcome's price as stored in the `outcomes` JSON of `current_odds` / `price_history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomePrice {
    /// Outcome name (home book's naming).
    pub name: String,
    /// Decimal odds.
    pub price: f64,
    /// Whether it can be bet on (false: suspended).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The current prices of one market (with line) on one book.
#[derive(Debug, Clone, PartialEq)]
pub struct BookOdds {
    /// Book slug.
    pub bookmaker: String,
    /// Whether this is the home book.
    pub is_home: bool,
    /// Whether the market is offered now.
    pub available: bool,
    /// Its outcomes.
    pub outcomes: Vec<OutcomePrice>,
    /// When a price last changed.
    pub last_changed: DateTime<Utc>,
    /// When the book was last seen pricing it.
    pub last_seen: DateTime<Utc>,
}

/// The prices of one market on one book at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct PricePoint {
    /// Book slug.
    pub bookmaker: String,
    /// When these prices were recorded.
    pub recorded_at: DateTime<Utc>,
    /// Its outcomes.
    pub outcomes: Vec<OutcomePrice>,
}

/// One stored settings override.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingRow {
    /// Dotted config key, e.g. `detection.warning_pct`.
    pub key: String,
    /// The value.
    pub value: Value,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
    /// Who wrote it.
    pub updated_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_counts_sum_the_statuses_asked_for_or_all_when_none() {
        let mut counts = StatusCounts::default();
        counts.add(Status::New, 3);
        counts.add(Status::Acknowledged, 2);
        counts.add(Status::Past, 5);
        counts.add(Status::New, 1);
        assert_eq!(counts.get(Status::New), 4);
        assert_eq!(counts.total_of(&[]), 11);
        assert_eq!(counts.total_of(&[Status::New, Status::Past]), 9);
    }

    #[test]
    fn stored_outcome_prices_are_active_unless_the_json_says_otherwise() {
        let price: OutcomePrice = serde_json::from_str(r#"{"name":"1","price":2.5}"#).unwrap();
        assert!(price.active);
        let price: OutcomePrice =
            serde_json::from_str(r#"{"name":"1","price":2.5,"active":false}"#).unwrap();
        assert!(!price.active);
    }
}
