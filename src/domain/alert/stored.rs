//! The alert as stored and read back: the detected alert plus its id, its event's names and its
//! place in the trader's workflow.

use chrono::{DateTime, Utc};

use super::{AlertPayload, AlertType, DetectedAlert, Severity, Status};
use crate::domain::{Line, Percent};

/// A stored alert with its workflow state and the event's names joined in. The fields of a
/// [`DetectedAlert`] keep their names here (`sr_id` is its `event_key`); the faces show it
/// through its payload, and the JSON edge is [`super::AlertJson`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Database id.
    pub id: i64,
    /// Event database id.
    pub event_id: i64,
    /// SportRadar match id of the event.
    pub sr_id: String,
    /// "Home v Away".
    pub event_name: String,
    /// Home team (home book's naming).
    pub home_team: String,
    /// Away team.
    pub away_team: String,
    /// Tournament name, when known.
    pub tournament: Option<String>,
    /// The book the alert is about.
    pub bookmaker: String,
    /// Canonical market id.
    pub market_id: String,
    /// Market name.
    pub market_name: String,
    /// Line, if the market has lines.
    pub line: Option<Line>,
    /// Outcome, if the alert is about one outcome.
    pub outcome_name: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// What the alert's type carries.
    pub payload: AlertPayload,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// When it was acknowledged, if it is.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Workflow state.
    pub status: Status,
    /// Kickoff of the event.
    pub event_kickoff: DateTime<Utc>,
    /// Detections folded into it, the first included (DESIGN §10); 1 when it was never
    /// repeated. `detected_at` is the first detection.
    pub occurrences: u32,
    /// When it was last detected (`detected_at` until it is repeated).
    pub last_detected_at: DateTime<Utc>,
    /// Its severity rose after it was opened (or it was re-opened by a more severe detection
    /// within the cooldown after an acknowledgement).
    pub escalated: bool,
    /// The silence that matched it when it was stored, or its latest detection; a silenced alert
    /// does not count in New, ring the bell or notify.
    pub silenced_by: Option<i64>,
}

/// The event an alert is about, as the store joins it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// Event database id.
    pub id: i64,
    /// Home team.
    pub home_team: String,
    /// Away team.
    pub away_team: String,
    /// Tournament, when known.
    pub tournament: Option<String>,
}

/// Where a stored alert is in the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// Workflow state.
    pub status: Status,
    /// When it was acknowledged, if it is.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}

impl Alert {
    /// The stored form of `detected`: the store's id, the event's names and the workflow state.
    pub fn from_detected(
        id: i64,
        event: AlertEvent,
        detected: DetectedAlert,
        workflow: Workflow,
    ) -> Self {
        Alert {
            id,
            event_id: event.id,
            sr_id: detected.event_key,
            event_name: format!("{} v {}", event.home_team, event.away_team),
            home_team: event.home_team,
            away_team: event.away_team,
            tournament: event.tournament,
            bookmaker: detected.bookmaker,
            market_id: detected.market_id,
            market_name: detected.market_name,
            line: detected.line,
            outcome_name: detected.outcome_name,
            severity: detected.severity,
            payload: detected.payload,
            detected_at: detected.detected_at,
            acknowledged_at: workflow.acknowledged_at,
            acknowledged_by: workflow.acknowledged_by,
            status: workflow.status,
            event_kickoff: detected.event_kickoff,
            occurrences: 1,
            last_detected_at: detected.detected_at,
            escalated: false,
            silenced_by: None,
        }
    }

    /// The alert's type: its payload's variant.
    pub const fn alert_type(&self) -> AlertType {
        self.payload.alert_type()
    }

    /// The signed change of the alerted book's price, for the types that have one.
    pub fn change_pct(&self) -> Option<Percent> {
        self.payload.change_pct()
    }

    /// True for an event-level availability alert (many markets of the event at once).
    pub fn is_event_level(&self) -> bool {
        self.payload.is_event_level()
    }

    /// A short description of the competitor side, e.g. `"sportybet 2.00 → 1.90 ↓"`.
    pub fn competitor_detail(&self) -> Option<String> {
        self.payload.competitor_detail()
    }
}
