//! The alert's JSON: the edge shape of the HTTP API, its live stream and the CLI's `--json`.
//!
//! It keeps the flat field names, nulls and values the API has always sent (`tests/golden_api.rs`
//! holds them to the byte), so the domain's [`Alert`] can change shape without clients noticing.
//! Its OpenAPI schema is named `Alert`, as before.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Alert, AlertType, AvailabilityChange, Direction, FlatPayload, Severity, Status};
use crate::domain::{Line, Percent, Price};

/// A stored alert with its workflow state and the event's names joined in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Alert)]
pub struct AlertJson {
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

impl From<&Alert> for AlertJson {
    fn from(a: &Alert) -> Self {
        let flat = FlatPayload::from(&a.payload);
        let price = |p: Option<Price>| p.map(Price::as_f64);
        let pct = |p: Option<Percent>| p.map(Percent::as_f64);
        AlertJson {
            id: a.id,
            event_id: a.event_id,
            sr_id: a.sr_id.clone(),
            event_name: a.event_name.clone(),
            home_team: a.home_team.clone(),
            away_team: a.away_team.clone(),
            tournament: a.tournament.clone(),
            bookmaker_slug: a.bookmaker.clone(),
            market_id: a.market_id.clone(),
            market_name: a.market_name.clone(),
            line: a.line.map(Line::as_f64),
            outcome_name: a.outcome_name.clone(),
            alert_type: a.alert_type(),
            severity: a.severity,
            change_percent: pct(flat.change_pct),
            old_value: price(flat.old_price),
            new_value: price(flat.new_price),
            competitor_bookmaker: flat.competitor_bookmaker,
            competitor_old_value: price(flat.competitor_old_price),
            competitor_new_value: price(flat.competitor_new_price),
            competitor_direction: flat.competitor_direction,
            gap_percent: pct(flat.gap_pct),
            availability: flat.availability,
            unavailable_secs: flat.unavailable_secs,
            markets_affected: flat.markets_affected,
            detected_at: a.detected_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by.clone(),
            status: a.status,
            event_kickoff: a.event_kickoff,
        }
    }
}

/// The JSON of many alerts, in order.
pub fn alerts_json(alerts: &[Alert]) -> Vec<AlertJson> {
    alerts.iter().map(AlertJson::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::AlertBuilder;

    #[test]
    fn a_disagreement_is_sent_in_the_flat_fields_clients_know() {
        let alert = AlertBuilder::new()
            .prices(2.0, 2.14)
            .disagreement("sportybet", 2.0, 1.9)
            .severity(Severity::Elevated)
            .stored(7);
        let json = serde_json::to_value(AlertJson::from(&alert)).unwrap();
        assert_eq!(json["alertType"], "direction_disagreement");
        assert_eq!(json["bookmakerSlug"], "betpawa");
        assert_eq!(json["changePercent"], 7.0);
        assert_eq!(json["oldValue"], 2.0);
        assert_eq!(json["newValue"], 2.14);
        assert_eq!(json["competitorBookmaker"], "sportybet");
        assert_eq!(json["competitorOldValue"], 2.0);
        assert_eq!(json["competitorNewValue"], 1.9);
        assert_eq!(json["competitorDirection"], "down");
        assert_eq!(json["gapPercent"], 11.21);
        assert!(json["availability"].is_null());
        assert!(json["marketsAffected"].is_null());
        assert!(json["line"].is_null());
    }

    #[test]
    fn an_availability_alert_has_null_prices_and_its_line_as_a_number() {
        let alert = AlertBuilder::new()
            .market("5000", "Over/Under | Full Time")
            .line(-1.5)
            .returned(Some(300))
            .stored(8);
        let json = serde_json::to_value(AlertJson::from(&alert)).unwrap();
        assert_eq!(json["alertType"], "availability");
        assert_eq!(json["availability"], "returned");
        assert_eq!(json["unavailableSecs"], 300);
        assert_eq!(json["line"], -1.5);
        assert!(json["outcomeName"].is_null());
        for field in ["changePercent", "oldValue", "newValue", "gapPercent"] {
            assert!(json[field].is_null(), "{field}");
        }
    }
}
