//! Alerts as detection produces them: keyed by the event's SportRadar id, because detection
//! knows nothing of database ids.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::domain::{AlertType, AvailabilityChange, Direction, NewAlert, Severity};

/// A detected alert: every [`NewAlert`] field except the database event id, plus the event key
/// the pipeline resolves to that id.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedAlert {
    /// SportRadar id of the event.
    pub event_key: String,
    /// The book whose price or market the alert is about (the home book).
    pub bookmaker: String,
    /// Canonical market id.
    pub market_id: String,
    /// Human name of the market (as the alerted book names it).
    pub market_name: String,
    /// Over/under total or home handicap.
    pub line: Option<f64>,
    /// Outcome name; `None` for availability alerts.
    pub outcome_name: Option<String>,
    /// Kind of alert.
    pub alert_type: AlertType,
    /// Severity.
    pub severity: Severity,
    /// Signed change of the alerted book's price in percent (two decimals).
    pub change_pct: Option<f64>,
    /// Previous price of the alerted book.
    pub old_price: Option<f64>,
    /// New price of the alerted book.
    pub new_price: Option<f64>,
    /// Competitor of a direction disagreement.
    pub competitor_bookmaker: Option<String>,
    /// Competitor's previous price.
    pub competitor_old_price: Option<f64>,
    /// Competitor's new price.
    pub competitor_new_price: Option<f64>,
    /// Which way the competitor moved.
    pub competitor_direction: Option<Direction>,
    /// `|comp_new − home_new| / home_new × 100`, two decimals.
    pub gap_pct: Option<f64>,
    /// Gone or back, for availability alerts.
    pub availability: Option<AvailabilityChange>,
    /// Seconds the market was unavailable, for `returned` alerts.
    pub unavailable_secs: Option<i64>,
    /// Markets gone or back, for event-level availability alerts only.
    pub markets_affected: Option<i64>,
    /// The cycle's `now`.
    pub detected_at: DateTime<Utc>,
    /// Kickoff of the event.
    pub event_kickoff: DateTime<Utc>,
}

impl DetectedAlert {
    /// The alert to store, once the pipeline knows the event's database id.
    pub fn into_new_alert(self, event_id: i64) -> NewAlert {
        NewAlert {
            event_id,
            bookmaker: self.bookmaker,
            market_id: self.market_id,
            market_name: self.market_name,
            line: self.line,
            outcome_name: self.outcome_name,
            alert_type: self.alert_type,
            severity: self.severity,
            change_pct: self.change_pct,
            old_price: self.old_price,
            new_price: self.new_price,
            competitor_bookmaker: self.competitor_bookmaker,
            competitor_old_price: self.competitor_old_price,
            competitor_new_price: self.competitor_new_price,
            competitor_direction: self.competitor_direction,
            gap_pct: self.gap_pct,
            availability: self.availability,
            unavailable_secs: self.unavailable_secs,
            markets_affected: self.markets_affected,
            detected_at: self.detected_at,
            event_kickoff: self.event_kickoff,
        }
    }

    /// The order of [`super::CycleOutput::alerts`]: event, market, line, outcome, type,
    /// competitor. Independent of the order of events and books in the input.
    pub(crate) fn output_order(a: &Self, b: &Self) -> Ordering {
        let line = |l: Option<f64>| l.unwrap_or(f64::NEG_INFINITY);
        a.event_key
            .cmp(&b.event_key)
            .then_with(|| a.market_id.cmp(&b.market_id))
            .then_with(|| line(a.line).total_cmp(&line(b.line)))
            .then_with(|| a.outcome_name.cmp(&b.outcome_name))
            .then_with(|| a.alert_type.cmp(&b.alert_type))
            .then_with(|| a.competitor_bookmaker.cmp(&b.competitor_bookmaker))
            .then_with(|| a.bookmaker.cmp(&b.bookmaker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_new_alert_keeps_every_field_and_adds_the_event_id() {
        let at = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let alert = DetectedAlert {
            event_key: "61300947".into(),
            bookmaker: "betpawa".into(),
            market_id: "3743".into(),
            market_name: "1X2 | Full Time".into(),
            line: None,
            outcome_name: Some("1".into()),
            alert_type: AlertType::DirectionDisagreement,
            severity: Severity::Elevated,
            change_pct: Some(7.0),
            old_price: Some(2.0),
            new_price: Some(2.14),
            competitor_bookmaker: Some("sportybet".into()),
            competitor_old_price: Some(2.0),
            competitor_new_price: Some(1.9),
            competitor_direction: Some(Direction::Down),
            gap_pct: Some(11.21),
            availability: None,
            unavailable_secs: None,
            markets_affected: None,
            detected_at: at,
            event_kickoff: at,
        };
        let stored = alert.clone().into_new_alert(42);
        assert_eq!(stored.event_id, 42);
        assert_eq!(stored.bookmaker, alert.bookmaker);
        assert_eq!(stored.competitor_bookmaker, alert.competitor_bookmaker);
        assert_eq!(stored.gap_pct, Some(11.21));
        assert_eq!(stored.competitor_direction, Some(Direction::Down));
        assert_eq!(stored.outcome_name.as_deref(), Some("1"));
        assert_eq!(stored.detected_at, at);
    }
}
