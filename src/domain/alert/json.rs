//! The alert's JSON: the edge shape of the HTTP API, its live stream and the CLI's `--json`.
//!
//! It keeps the flat field names, nulls and values the API has always sent (`tests/golden_api.rs`
//! holds them to the byte), so the domain's [`Alert`] can change shape without clients noticing.
//! Its OpenAPI schema is named `Alert`, as before.
//!
//! The payload's flat fields (prices, change, competitor, availability, the market-wide types'
//! figures) are computed once, in [`PayloadJson`]: an alert copies them into its own fields (so
//! its JSON keeps its historical field order byte for byte), and an occurrence (one detection of
//! an alert, DESIGN §10) carries them flattened under the same names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Alert, AlertPayload, AlertType, AvailabilityChange, BookFairOdds, Direction, FlatPayload,
    Mover, OutcomeQuote, Pattern, Severity, Status,
};
use crate::domain::Occurrence;
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
    // Noise control (DESIGN §10): always present, after the fields clients already read.
    /// Detections folded into this alert, the first included (1 when it never repeated); each
    /// is listed by `GET /api/alerts/{id}/occurrences`.
    pub occurrences: u32,
    /// The first detection: always equal to `detectedAt`, named for symmetry with
    /// `lastDetectedAt`.
    pub first_detected_at: DateTime<Utc>,
    /// The latest detection (equal to `detectedAt` until the alert repeats). The prices and the
    /// change above are the latest detection's.
    pub last_detected_at: DateTime<Utc>,
    /// The severity rose after the alert opened, or a more severe detection re-opened it
    /// after an acknowledgement.
    pub escalated: bool,
    /// The silence that hides this alert (its id), or null when none does. A silenced alert is
    /// not counted in `newCount` and is listed only with `silenced=include` or `only`.
    pub silenced_by: Option<i64>,
    // The fields of the market-wide types (DESIGN §9) come last and only when the alert has
    // them, so the JSON of the older types is byte for byte what it was.
    /// `off_market`: a bettor's edge against the home price (`price × consensus probability −
    /// 1`), in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_percent: Option<f64>,
    /// `off_market`: the consensus fair odds of the outcome (margin removed), to two decimals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fair_odds: Option<f64>,
    /// `off_market`: the palpable error the price looks like, when it looks like one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// `off_market`: the competitors of the consensus, sorted by book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub books: Option<Vec<BookJson>>,
    /// `margin`: the home book's margin on the market (`Σ 1/price − 1`), in percent; negative
    /// is an arbitrage on our own book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_percent: Option<f64>,
    /// `margin`: the market's prices, in the home book's outcome order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<QuoteJson>>,
    /// `market_move`: which way the competitors moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// `market_move`: the median of the movers' changes, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_change_percent: Option<f64>,
    /// `market_move`: each competitor that moved, sorted by book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub movers: Option<Vec<MoverJson>>,
}

/// One competitor's move in a `market_move`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoverJson {
    /// The competitor's slug.
    pub bookmaker: String,
    /// Its previous price.
    pub old_price: f64,
    /// Its price now.
    pub new_price: f64,
    /// Its signed change, in percent.
    pub change_percent: f64,
}

/// One competitor of an `off_market` consensus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookJson {
    /// The competitor's slug.
    pub bookmaker: String,
    /// Its price of the outcome.
    pub price: f64,
    /// Its margin-free fair odds of the outcome.
    pub fair_odds: f64,
}

/// One outcome's price in a `margin` alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
    /// Outcome name (home book's naming).
    pub outcome: String,
    /// Decimal odds.
    pub price: f64,
}

impl From<&Mover> for MoverJson {
    fn from(m: &Mover) -> Self {
        MoverJson {
            bookmaker: m.bookmaker.clone(),
            old_price: m.old.as_f64(),
            new_price: m.new.as_f64(),
            change_percent: m.change_pct.as_f64(),
        }
    }
}

impl From<&BookFairOdds> for BookJson {
    fn from(b: &BookFairOdds) -> Self {
        BookJson {
            bookmaker: b.bookmaker.clone(),
            price: b.price.as_f64(),
            fair_odds: b.fair_odds.as_f64(),
        }
    }
}

impl From<&OutcomeQuote> for QuoteJson {
    fn from(q: &OutcomeQuote) -> Self {
        QuoteJson {
            outcome: q.outcome.clone(),
            price: q.price.as_f64(),
        }
    }
}

impl From<&Alert> for AlertJson {
    fn from(a: &Alert) -> Self {
        let PayloadJson {
            change_percent,
            old_value,
            new_value,
            competitor_bookmaker,
            competitor_old_value,
            competitor_new_value,
            competitor_direction,
            gap_percent,
            availability,
            unavailable_secs,
            markets_affected,
            edge_percent,
            fair_odds,
            pattern,
            books,
            margin_percent,
            prices,
            direction,
            median_change_percent,
            movers,
        } = PayloadJson::from(&a.payload);
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
            change_percent,
            old_value,
            new_value,
            competitor_bookmaker,
            competitor_old_value,
            competitor_new_value,
            competitor_direction,
            gap_percent,
            availability,
            unavailable_secs,
            markets_affected,
            detected_at: a.detected_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by.clone(),
            status: a.status,
            event_kickoff: a.event_kickoff,
            occurrences: a.occurrences,
            first_detected_at: a.detected_at,
            last_detected_at: a.last_detected_at,
            escalated: a.escalated,
            silenced_by: a.silenced_by,
            edge_percent,
            fair_odds,
            pattern,
            books,
            margin_percent,
            prices,
            direction,
            median_change_percent,
            movers,
        }
    }
}

/// The flat payload fields of an alert or an occurrence, under the names the alert's JSON has
/// always used: the older types' fields always present (null when they do not apply), the
/// market-wide types' fields only when they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PayloadFields)]
pub struct PayloadJson {
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
    /// Event-level availability alerts only: how many of the event's markets went away or
    /// came back.
    #[serde(default)]
    pub markets_affected: Option<i64>,
    /// `off_market`: a bettor's edge against the home price, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_percent: Option<f64>,
    /// `off_market`: the consensus fair odds of the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fair_odds: Option<f64>,
    /// `off_market`: the palpable error the price looks like, when it looks like one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// `off_market`: the competitors of the consensus, sorted by book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub books: Option<Vec<BookJson>>,
    /// `margin`: the home book's margin on the market, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_percent: Option<f64>,
    /// `margin`: the market's prices, in the home book's outcome order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<QuoteJson>>,
    /// `market_move`: which way the competitors moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// `market_move`: the median of the movers' changes, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_change_percent: Option<f64>,
    /// `market_move`: each competitor that moved, sorted by book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub movers: Option<Vec<MoverJson>>,
}

impl From<&AlertPayload> for PayloadJson {
    fn from(payload: &AlertPayload) -> Self {
        let flat = FlatPayload::from(payload);
        let price = |p: Option<Price>| p.map(Price::as_f64);
        let pct = |p: Option<Percent>| p.map(Percent::as_f64);
        fn list<T, J: for<'a> From<&'a T>>(items: Option<&Vec<T>>) -> Option<Vec<J>> {
            items.map(|items| items.iter().map(J::from).collect())
        }
        PayloadJson {
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
            edge_percent: pct(flat.edge_pct),
            fair_odds: price(flat.fair_odds),
            pattern: flat.pattern,
            books: list(flat.books.as_ref()),
            margin_percent: pct(flat.margin_pct),
            prices: list(flat.prices.as_ref()),
            direction: flat.direction,
            median_change_percent: pct(flat.median_change_pct),
            movers: list(flat.movers.as_ref()),
        }
    }
}

/// One detection of an alert (DESIGN §10): its own time, severity and payload, in the payload
/// field names of the alert. The first occurrence is the detection that opened the alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Occurrence)]
pub struct OccurrenceJson {
    /// Database id of the occurrence.
    pub id: i64,
    /// The alert it was folded into.
    pub alert_id: i64,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// Its own severity (the alert's is the worst of its occurrences').
    pub severity: Severity,
    /// Its prices, change and figures.
    #[serde(flatten)]
    pub payload: PayloadJson,
}

impl From<&Occurrence> for OccurrenceJson {
    fn from(o: &Occurrence) -> Self {
        OccurrenceJson {
            id: o.id,
            alert_id: o.alert_id,
            detected_at: o.detected_at,
            severity: o.severity,
            payload: PayloadJson::from(&o.payload),
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
    fn the_market_types_add_their_fields_and_the_older_types_do_not_carry_them() {
        let moved = AlertBuilder::new()
            .prices(2.0, 2.0)
            .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
            .stored(1);
        let json = serde_json::to_value(AlertJson::from(&moved)).unwrap();
        assert_eq!(json["alertType"], "market_move");
        assert_eq!(json["direction"], "down");
        assert_eq!(json["medianChangePercent"], -9.0);
        assert_eq!(json["changePercent"], 0.0);
        assert_eq!(
            json["movers"][1],
            serde_json::json!({"bookmaker": "sportybet", "oldPrice": 2.0, "newPrice": 1.8, "changePercent": -10.0})
        );
        assert!(json.get("edgePercent").is_none());
        let off = AlertBuilder::new()
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("sportybet", 2.0, 2.09)])
            .stored(2);
        let json = serde_json::to_value(AlertJson::from(&off)).unwrap();
        assert_eq!(json["newValue"], 4.0);
        assert!(json["oldValue"].is_null());
        assert_eq!(json["edgePercent"], 91.55);
        assert_eq!(json["fairOdds"], 2.09);
        assert_eq!(json["pattern"], "swapped");
        assert_eq!(json["books"][0]["fairOdds"], 2.09);
        let margin = AlertBuilder::new()
            .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
            .stored(3);
        let json = serde_json::to_value(AlertJson::from(&margin)).unwrap();
        assert_eq!(json["marginPercent"], -2.81);
        assert_eq!(
            json["prices"][1],
            serde_json::json!({"outcome": "X", "price": 3.4})
        );
        assert!(json["outcomeName"].is_null());
        let old = serde_json::to_value(AlertJson::from(&AlertBuilder::new().stored(4))).unwrap();
        for field in [
            "edgePercent",
            "fairOdds",
            "pattern",
            "books",
            "marginPercent",
            "prices",
            "direction",
            "medianChangePercent",
            "movers",
        ] {
            assert!(old.get(field).is_none(), "{field}");
        }
    }

    #[test]
    fn the_noise_fields_follow_the_old_ones_and_first_detection_is_detected_at() {
        let mut alert = AlertBuilder::new().prices(2.0, 2.2).stored(5);
        let first = alert.detected_at;
        alert.occurrences = 3;
        alert.last_detected_at = first + chrono::Duration::minutes(4);
        alert.escalated = true;
        alert.silenced_by = Some(9);
        let text = serde_json::to_string(&AlertJson::from(&alert)).unwrap();
        assert!(
            text.contains(&format!(
                r#""eventKickoff":"{}","occurrences":3,"firstDetectedAt":"{}","lastDetectedAt":"{}","escalated":true,"silencedBy":9}}"#,
                alert.event_kickoff.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                first.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                alert.last_detected_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )),
            "{text}"
        );
        let plain = serde_json::to_value(AlertJson::from(&AlertBuilder::new().stored(6))).unwrap();
        assert_eq!(plain["occurrences"], 1);
        assert_eq!(plain["firstDetectedAt"], plain["detectedAt"]);
        assert_eq!(plain["lastDetectedAt"], plain["detectedAt"]);
        assert_eq!(plain["escalated"], false);
        assert!(plain["silencedBy"].is_null(), "present and null: {plain}");
    }

    #[test]
    fn an_occurrence_carries_the_payload_fields_of_its_alert_under_the_same_names() {
        let alert = AlertBuilder::new()
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("sportybet", 2.0, 2.09)])
            .severity(Severity::Critical)
            .stored(2);
        let occurrence = Occurrence {
            id: 11,
            alert_id: 2,
            detected_at: alert.detected_at,
            severity: Severity::Elevated,
            payload: alert.payload.clone(),
        };
        let o = serde_json::to_value(OccurrenceJson::from(&occurrence)).unwrap();
        let a = serde_json::to_value(AlertJson::from(&alert)).unwrap();
        assert_eq!(o["id"], 11);
        assert_eq!(o["alertId"], 2);
        assert_eq!(o["severity"], "elevated", "its own severity");
        assert_eq!(o["detectedAt"], a["detectedAt"]);
        let fields = o.as_object().unwrap();
        assert_eq!(fields.len(), 4 + 11 + 4, "{o}");
        for (key, value) in fields {
            if !["id", "alertId", "detectedAt", "severity"].contains(&key.as_str()) {
                assert_eq!(&a[key], value, "{key}");
            }
        }
        assert_eq!(o["edgePercent"], 91.55);
        assert!(o.get("movers").is_none(), "absent as on the alert");
        assert_eq!(
            serde_json::from_value::<OccurrenceJson>(o).unwrap(),
            OccurrenceJson::from(&occurrence)
        );
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
