//! The canonical order of a cycle's alerts.

use std::cmp::Ordering;

use crate::domain::DetectedAlert;

/// The order of [`super::CycleOutput::alerts`]: event, market, line (none first), outcome, type,
/// competitor, book. Independent of the order of events and books in the input.
pub(crate) fn output_order(a: &DetectedAlert, b: &DetectedAlert) -> Ordering {
    fn competitor(x: &DetectedAlert) -> Option<&str> {
        x.payload
            .disagreement()
            .map(|d| d.competitor.bookmaker.as_str())
    }
    a.event_key
        .cmp(&b.event_key)
        .then_with(|| a.market_id.cmp(&b.market_id))
        .then_with(|| a.line.cmp(&b.line))
        .then_with(|| a.outcome_name.cmp(&b.outcome_name))
        .then_with(|| a.alert_type().cmp(&b.alert_type()))
        .then_with(|| competitor(a).cmp(&competitor(b)))
        .then_with(|| a.bookmaker.cmp(&b.bookmaker))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::AlertBuilder;

    #[test]
    fn alerts_order_by_event_market_line_outcome_type_and_competitor() {
        let base = || {
            AlertBuilder::new()
                .event_key("2")
                .market("5000", "Over/Under")
        };
        let expected = vec![
            AlertBuilder::new().event_key("1").build(),
            base().build(),
            base().line(-0.5).build(),
            base().line(2.5).outcome(Some("Over")).build(),
            base().line(2.5).outcome(Some("Under")).build(),
            base()
                .line(2.5)
                .outcome(Some("Under"))
                .disagreement("bet9ja", 2.0, 1.8)
                .build(),
            base()
                .line(2.5)
                .outcome(Some("Under"))
                .disagreement("sportybet", 2.0, 1.8)
                .build(),
        ];
        let mut alerts = expected.clone();
        alerts.reverse();
        alerts.sort_by(output_order);
        assert_eq!(alerts, expected);
    }
}
