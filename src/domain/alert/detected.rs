//! The alert as detection raises it and the pipeline hands it to the store.

use chrono::{DateTime, Utc};

use super::{AlertPayload, AlertType, Severity};
use crate::domain::Line;

/// One alert, from detection to the write batch. It names its event by SportRadar key, because
/// detection knows nothing of database ids; the store resolves the key when it writes the batch.
/// The stored and read form is [`super::Alert`], which carries the same fields and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedAlert {
    /// SportRadar id of the event.
    pub event_key: String,
    /// The book whose price or market the alert is about.
    pub bookmaker: String,
    /// Canonical (home book) market id, e.g. `"3743"`.
    pub market_id: String,
    /// Human name of the market as the alerted book names it, e.g. `"1X2 | Full Time"`.
    pub market_name: String,
    /// Over/under total or home handicap; `None` for markets without lines.
    pub line: Option<Line>,
    /// Outcome name (home book's naming); `None` for market-level (availability) alerts.
    pub outcome_name: Option<String>,
    /// Severity from the configured thresholds.
    pub severity: Severity,
    /// What the alert's type carries (prices, competitor, availability).
    pub payload: AlertPayload,
    /// When the pipeline saw it (the cycle's `now`).
    pub detected_at: DateTime<Utc>,
    /// Kickoff of the event (alerts are never raised without one).
    pub event_kickoff: DateTime<Utc>,
}

impl DetectedAlert {
    /// The alert's type: its payload's variant.
    pub const fn alert_type(&self) -> AlertType {
        self.payload.alert_type()
    }
}
