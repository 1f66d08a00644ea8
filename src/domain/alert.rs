//! Risk alerts and their vocabulary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

wire_enum!(
    /// How urgent an alert is. Ordered: `Warning < Elevated < Critical`.
    Severity, "severity" {
        /// |change| at or above the warning threshold.
        Warning = "warning",
        /// |change| at or above the elevated threshold, or any direction disagreement.
        Elevated = "elevated",
        /// |change| at or above the critical threshold.
        Critical = "critical",
    }
);

impl Severity {
    /// A number that sorts like the severity (1 = warning … 3 = critical); stored beside the
    /// text so the database can order by it.
    pub const fn rank(self) -> i16 {
        match self {
            Severity::Warning => 1,
            Severity::Elevated => 2,
            Severity::Critical => 3,
        }
    }
}

wire_enum!(
    /// Where an alert is in the trader's workflow.
    Status, "status" {
        /// Not yet looked at.
        New = "new",
        /// A trader has acknowledged it (reversible until kickoff).
        Acknowledged = "acknowledged",
        /// The event has kicked off; the alert is frozen.
        Past = "past",
    }
);

wire_enum!(
    /// What kind of risk an alert reports.
    AlertType, "alert type" {
        /// One outcome's price moved between two consecutive scrapes of one book.
        PriceChange = "price_change",
        /// The home book and a competitor moved the same outcome in opposite directions.
        DirectionDisagreement = "direction_disagreement",
        /// A market went missing or suspended, or came back.
        Availability = "availability",
    }
);

wire_enum!(
    /// Which way a price moved.
    Direction, "direction" {
        /// The price went up.
        Up = "up",
        /// The price went down.
        Down = "down",
    }
);

wire_enum!(
    /// The two halves of an availability alert.
    AvailabilityChange, "availability change" {
        /// The market disappeared or all its outcomes were suspended.
        Suspended = "suspended",
        /// The market is offered again.
        Returned = "returned",
    }
);

/// Market id of an event-level availability alert: the book pulled (or restored) most of an
/// event's markets at once, reported as one alert instead of one per market.
pub const EVENT_MARKET_ID: &str = "*";

/// Market name of an event-level availability alert.
pub const EVENT_MARKET_NAME: &str = "All markets";

/// An alert as detected, before it has an id. Prices are floats here because they are stored
/// and shown; detection itself compares exact [`super::Price`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAlert {
    /// The event (database id).
    pub event_id: i64,
    /// The book whose price or market the alert is about.
    pub bookmaker: String,
    /// Canonical (home book) market id, e.g. `"3743"`.
    pub market_id: String,
    /// Human name of the market, e.g. `"1X2 | Full Time"`.
    pub market_name: String,
    /// Over/under total or home handicap; `None` for markets without lines.
    pub line: Option<f64>,
    /// Outcome name (home book's naming); `None` for market-level (availability) alerts.
    pub outcome_name: Option<String>,
    /// Kind of alert.
    pub alert_type: AlertType,
    /// Severity from the configured thresholds.
    pub severity: Severity,
    /// Signed change of the alerted book's price in percent (two decimals).
    pub change_pct: Option<f64>,
    /// Previous price of the alerted book.
    pub old_price: Option<f64>,
    /// New price of the alerted book.
    pub new_price: Option<f64>,
    /// Competitor involved in a direction disagreement.
    pub competitor_bookmaker: Option<String>,
    /// Competitor's previous price.
    pub competitor_old_price: Option<f64>,
    /// Competitor's new price.
    pub competitor_new_price: Option<f64>,
    /// Which way the competitor moved.
    pub competitor_direction: Option<Direction>,
    /// `|comp_new − home_new| / home_new × 100`, two decimals.
    pub gap_pct: Option<f64>,
    /// For availability alerts: gone or back.
    pub availability: Option<AvailabilityChange>,
    /// For `returned` alerts: how long the market was gone, in seconds.
    pub unavailable_secs: Option<i64>,
    /// For event-level availability alerts (market id [`EVENT_MARKET_ID`]): how many of the
    /// event's markets went away (`suspended`) or came back (`returned`) on the book at once.
    /// `None` for every per-market alert.
    #[serde(default)]
    pub markets_affected: Option<i64>,
    /// When the pipeline saw it.
    pub detected_at: DateTime<Utc>,
    /// Kickoff of the event (alerts are never raised without one).
    pub event_kickoff: DateTime<Utc>,
}

/// A stored alert with its workflow state and the event's names joined in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
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
    pub bookmaker_slug: String,
    /// Canonical market id.
    pub market_id: String,
    /// Market name.
    pub market_name: String,
    /// Line, if the market has lines.
    pub line: Option<f64>,
    /// Outcome, if the alert is about one outcome.
    pub outcome_name: Option<String>,
    /// Kind of alert.
    pub alert_type: AlertType,
    /// Severity.
    pub severity: Severity,
    /// Signed change in percent.
    pub change_percent: Option<f64>,
    /// Previous price.
    pub old_value: Option<f64>,
    /// New price.
    pub new_value: Option<f64>,
    /// Competitor in a direction disagreement.
    pub competitor_bookmaker: Option<String>,
    /// Competitor's previous price.
    pub competitor_old_value: Option<f64>,
    /// Competitor's new price.
    pub competitor_new_value: Option<f64>,
    /// Which way the competitor moved.
    pub competitor_direction: Option<Direction>,
    /// Price gap between competitor and home after the move, in percent.
    pub gap_percent: Option<f64>,
    /// Availability change, for availability alerts.
    pub availability: Option<AvailabilityChange>,
    /// Seconds the market was unavailable, for `returned` alerts.
    pub unavailable_secs: Option<i64>,
    /// Event-level availability alerts only (market id `"*"`): how many of the event's markets
    /// went away at once (`suspended`) or came back (`returned`). Absent for per-market alerts.
    #[serde(default)]
    pub markets_affected: Option<i64>,
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
}

impl Alert {
    /// True for an event-level availability alert (many markets of the event at once).
    pub fn is_event_level(&self) -> bool {
        self.markets_affected.is_some()
    }

    /// A short description of the competitor side, e.g. `"sportybet 2.00 → 1.90 ↓"`.
    pub fn competitor_detail(&self) -> Option<String> {
        let book = self.competitor_bookmaker.as_deref()?;
        let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
        let arrow = match self.competitor_direction {
            Some(Direction::Up) => " ↑",
            Some(Direction::Down) => " ↓",
            None => "",
        };
        Some(format!(
            "{book} {} → {}{arrow}",
            fmt(self.competitor_old_value),
            fmt(self.competitor_new_value)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_by_urgency() {
        assert!(Severity::Warning < Severity::Elevated);
        assert!(Severity::Elevated < Severity::Critical);
        assert!(Severity::Warning.rank() < Severity::Critical.rank());
    }

    #[test]
    fn parsing_an_unknown_value_lists_the_valid_ones() {
        let err = "urgent".parse::<Severity>().unwrap_err();
        assert!(err.contains("warning, elevated, critical"), "{err}");
        assert_eq!("CRITICAL".parse::<Severity>().unwrap(), Severity::Critical);
        assert_eq!(
            "direction_disagreement".parse::<AlertType>().unwrap(),
            AlertType::DirectionDisagreement
        );
    }

    #[test]
    fn wire_names_round_trip_through_serde() {
        for status in Status::ALL {
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
