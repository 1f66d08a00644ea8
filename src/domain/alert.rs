//! Risk alerts: their vocabulary (below) and one alert model from detection to the edge.
//!
//! - [`DetectedAlert`] (detected.rs): what detection raises, keyed by the event's SportRadar id;
//!   the pipeline batches it and the store resolves the event's database id when it writes.
//! - [`AlertPayload`] (payload.rs): the per-type part, one variant per [`AlertType`], with exact
//!   [`Price`](super::Price)s and [`Percent`](super::Percent)s.
//! - [`Alert`] (stored.rs): the same alert read back, with its id, its event's names and its
//!   workflow state.
//! - [`AlertJson`] (json.rs): the flat JSON shape of the API and the CLI, unchanged for clients.
//! - [`testing::AlertBuilder`]: alerts for tests.

mod detected;
mod json;
mod payload;
mod stored;
pub mod testing;

pub use detected::DetectedAlert;
pub use json::{AlertJson, OccurrenceJson, PayloadJson, alerts_json};
pub use payload::{
    AlertPayload, AvailabilityFlip, BookFairOdds, CompetitorMove, Disagreement, FlatPayload,
    MarginBreach, MarketLeftBehind, Mover, OffMarketPrice, OutcomeQuote, PriceMove,
};
pub use stored::{Alert, AlertEvent, Workflow};

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
        /// Enough competitors moved an outcome the same way and the home book did not follow
        /// (DESIGN §9).
        MarketMove = "market_move",
        /// The home book's price is off the competitors' margin-free consensus (DESIGN §9).
        OffMarket = "off_market",
        /// The home book's own margin on a market is under the floor, or negative (DESIGN §9).
        Margin = "margin",
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

wire_enum!(
    /// What kind of palpable error an off-market price looks like (DESIGN §9).
    Pattern, "pattern" {
        /// Two outcomes' prices swapped: each home price within 5 % of the other outcome's fair
        /// odds, and those fair odds more than 20 % apart.
        Swapped = "swapped",
        /// An edge of at least 400 %: a price off by a factor (a digit error).
        Factor = "factor",
    }
);

/// Market id of an event-level availability alert: the book pulled (or restored) most of an
/// event's markets at once, reported as one alert instead of one per market.
pub const EVENT_MARKET_ID: &str = "*";

/// Market name of an event-level availability alert.
pub const EVENT_MARKET_NAME: &str = "All markets";

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
