//! DESIGN.md §3 test vectors (thresholds 7 / 10 / 15), one test per row.
//!
//! The row "event kickoff passes → its new/acknowledged alerts become past; acknowledge refused"
//! is about stored alerts and belongs to the store and the alert service, not to detection.

use super::*;
use crate::domain::{AvailabilityChange, Direction, Severity};

/// The single price-change alert of `alerts`, asserting there is nothing else.
fn only_price_change(alerts: &[DetectedAlert]) -> &DetectedAlert {
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.alert_type(), AlertType::PriceChange);
    assert_eq!(alert.bookmaker, HOME);
    assert_eq!(alert.event_key, EVENT);
    assert_eq!(alert.market_id, ONE_X_TWO);
    assert_eq!(alert.outcome_name.as_deref(), Some("1"));
    assert_eq!(flat(alert).competitor_bookmaker, None);
    alert
}

#[test]
fn home_3_00_to_2_70_is_elevated_price_change_of_minus_10_percent() {
    let alerts = home_moves("3.00", "2.70");
    let alert = only_price_change(&alerts);
    assert_eq!(flat(alert).change_pct, Some(-10.0));
    assert_eq!(alert.severity, Severity::Elevated);
    assert_eq!(flat(alert).old_price, Some(3.0));
    assert_eq!(flat(alert).new_price, Some(2.7));
}

#[test]
fn home_4_00_to_4_60_is_critical_price_change_of_plus_15_percent() {
    let alerts = home_moves("4.00", "4.60");
    let alert = only_price_change(&alerts);
    assert_eq!(flat(alert).change_pct, Some(15.0));
    assert_eq!(alert.severity, Severity::Critical);
}

#[test]
fn home_1_50_to_1_605_is_warning_price_change_of_plus_7_percent() {
    let alerts = home_moves("1.50", "1.605");
    let alert = only_price_change(&alerts);
    assert_eq!(flat(alert).change_pct, Some(7.0));
    assert_eq!(alert.severity, Severity::Warning);
    assert_eq!(flat(alert).new_price, Some(1.605));
}

#[test]
fn home_2_00_to_2_13_is_plus_6_50_percent_and_raises_no_alert() {
    assert_eq!(price("2.00").change_pct_to(price("2.13")), Some(6.5));
    assert_eq!(home_moves("2.00", "2.13"), vec![]);
}

#[test]
fn home_2_00_to_2_14_is_warning_price_change_of_plus_7_percent() {
    let alerts = home_moves("2.00", "2.14");
    let alert = only_price_change(&alerts);
    assert_eq!(flat(alert).change_pct, Some(7.0));
    assert_eq!(alert.severity, Severity::Warning);
}

#[test]
fn old_price_zero_raises_no_price_alert() {
    assert_eq!(home_moves("0", "2.00"), vec![]);
}

#[test]
fn an_outcome_missing_before_raises_no_price_alert() {
    let competitor = || fetched(SPORTY, vec![one_x_two("2.00")]);
    let before = market(ONE_X_TWO, None, &[("X", "3.40"), ("2", "3.80")]);
    let alerts = last_alerts(&[
        cycle(vec![fetched(HOME, vec![before]), competitor()]),
        cycle(vec![fetched(HOME, vec![one_x_two("9.00")]), competitor()]),
    ]);
    assert_eq!(alerts, vec![]);
}

#[test]
fn an_outcome_missing_now_raises_no_price_alert() {
    let competitor = || fetched(SPORTY, vec![one_x_two("2.00")]);
    let after = market(ONE_X_TWO, None, &[("X", "3.40"), ("2", "3.80")]);
    let alerts = last_alerts(&[
        cycle(vec![fetched(HOME, vec![one_x_two("9.00")]), competitor()]),
        cycle(vec![fetched(HOME, vec![after]), competitor()]),
    ]);
    assert_eq!(alerts, vec![]);
}

#[test]
fn home_2_00_to_2_01_against_competitor_2_00_to_1_99_is_elevated_direction_disagreement() {
    let alerts = both_move(("2.00", "2.01"), ("2.00", "1.99"));
    assert_eq!(
        alerts.len(),
        1,
        "a +0.5 % move is no price change: {alerts:#?}"
    );
    let alert = &alerts[0];
    assert_eq!(alert.alert_type(), AlertType::DirectionDisagreement);
    assert_eq!(alert.severity, Severity::Elevated);
    assert_eq!(alert.bookmaker, HOME);
    assert_eq!(alert.outcome_name.as_deref(), Some("1"));
    assert_eq!(
        (flat(alert).old_price, flat(alert).new_price),
        (Some(2.0), Some(2.01))
    );
    assert_eq!(flat(alert).change_pct, Some(0.5));
    assert_eq!(flat(alert).competitor_bookmaker.as_deref(), Some(SPORTY));
    assert_eq!(flat(alert).competitor_old_price, Some(2.0));
    assert_eq!(flat(alert).competitor_new_price, Some(1.99));
    assert_eq!(flat(alert).competitor_direction, Some(Direction::Down));
    assert_eq!(flat(alert).gap_pct, Some(1.0));
}

#[test]
fn home_2_00_to_2_14_against_sportybet_2_00_to_1_90_is_elevated_direction_with_gap_11_21_plus_warning_price_change()
 {
    let alerts = both_move(("2.00", "2.14"), ("2.00", "1.90"));
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let direction = of_type(&alerts, AlertType::DirectionDisagreement)[0];
    assert_eq!(direction.severity, Severity::Elevated);
    assert_eq!(flat(direction).gap_pct, Some(11.21));
    assert_eq!(
        (flat(direction).old_price, flat(direction).new_price),
        (Some(2.0), Some(2.14))
    );
    assert_eq!(
        flat(direction).competitor_bookmaker.as_deref(),
        Some(SPORTY)
    );
    assert_eq!(
        (
            flat(direction).competitor_old_price,
            flat(direction).competitor_new_price
        ),
        (Some(2.0), Some(1.9))
    );
    assert_eq!(flat(direction).competitor_direction, Some(Direction::Down));
    let change = of_type(&alerts, AlertType::PriceChange)[0];
    assert_eq!(flat(change).change_pct, Some(7.0));
    assert_eq!(change.severity, Severity::Warning);
    assert_eq!(flat(change).competitor_bookmaker, None);
}

#[test]
fn home_2_00_to_2_40_against_a_falling_competitor_is_critical_direction_and_critical_price_change()
{
    let alerts = section3(&both_move(("2.00", "2.40"), ("2.00", "1.95")));
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let direction = of_type(&alerts, AlertType::DirectionDisagreement)[0];
    assert_eq!(direction.severity, Severity::Critical);
    assert_eq!(flat(direction).change_pct, Some(20.0));
    let change = of_type(&alerts, AlertType::PriceChange)[0];
    assert_eq!(flat(change).change_pct, Some(20.0));
    assert_eq!(change.severity, Severity::Critical);
}

/// Cycles where the home book quotes O/U 2.5 (or not) and sportybet always does.
fn over_under_cycles(home_has_it: &[bool]) -> Vec<CycleInput> {
    home_has_it
        .iter()
        .map(|&has| {
            let home = if has {
                vec![one_x_two("2.00"), over_under("2.5", "1.90")]
            } else {
                vec![one_x_two("2.00")]
            };
            cycle(vec![
                fetched(HOME, home),
                fetched(SPORTY, vec![one_x_two("2.00"), over_under("2.5", "1.92")]),
            ])
        })
        .collect()
}

#[test]
fn home_over_under_2_5_missing_from_the_next_successful_scrape_is_availability_suspended_on_line_2_5()
 {
    let alerts = last_alerts(&over_under_cycles(&[true, false]));
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.alert_type(), AlertType::Availability);
    assert_eq!(
        flat(alert).availability,
        Some(AvailabilityChange::Suspended)
    );
    assert_eq!(alert.severity, Severity::Warning);
    assert_eq!(alert.market_id, OVER_UNDER);
    assert_eq!(alert.market_name, "Over/Under | Full Time");
    assert_eq!(alert.line, Some(Line::from_milli(2500)));
    assert_eq!(alert.outcome_name, None);
    assert_eq!(alert.bookmaker, HOME);
    assert_eq!(flat(alert).unavailable_secs, None);
}

#[test]
fn home_over_under_2_5_back_in_the_scrape_after_is_availability_returned_on_line_2_5_with_its_duration()
 {
    let outputs = run_all(&over_under_cycles(&[true, false, true]));
    let alerts = &outputs[2].alerts;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.alert_type(), AlertType::Availability);
    assert_eq!(flat(alert).availability, Some(AvailabilityChange::Returned));
    assert_eq!(alert.severity, Severity::Warning);
    assert_eq!(alert.line, Some(Line::from_milli(2500)));
    // Gone at cycle 1, back at cycle 2: five minutes.
    assert_eq!(flat(alert).unavailable_secs, Some(300));
}

#[test]
fn a_failed_fetch_of_the_book_raises_no_availability_alert() {
    let both = || vec![one_x_two("2.00"), over_under("2.5", "1.90")];
    let outputs = run_all(&[
        cycle(vec![fetched(HOME, both()), fetched(SPORTY, both())]),
        cycle(vec![failed(HOME), fetched(SPORTY, both())]),
        cycle(vec![fetched(HOME, both()), fetched(SPORTY, both())]),
    ]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(
        outputs[1].counters.books_failed, 1,
        "source health sees the failure"
    );
    assert_eq!(outputs[1].vanished, vec![]);
    assert_eq!(outputs[2].alerts, vec![], "nothing returns that never left");
}

#[test]
fn a_home_price_move_on_a_market_no_competitor_priced_this_cycle_raises_no_alert() {
    let outputs = run_all(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00"), over_under("2.5", "2.00")]),
            fetched(SPORTY, vec![one_x_two("2.00"), over_under("2.5", "2.00")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00"), over_under("2.5", "3.00")]),
            // The competitor prices over/under, but not the 2.5 line, this cycle.
            fetched(SPORTY, vec![one_x_two("2.00"), over_under("3.5", "2.00")]),
        ]),
    ]);
    // The competitor's own 2.5 line going is its availability alert (DESIGN §9), and the home
    // O/U at 3.00/1.90 is an arbitrage (`margin`); the home move itself raises nothing.
    let home: Vec<_> = section3(&outputs[1].alerts)
        .into_iter()
        .filter(|a| a.bookmaker == HOME)
        .collect();
    assert_eq!(home, vec![]);
    assert_eq!(outputs[1].counters.filtered_no_competitor, 1);
}

#[test]
fn a_correct_score_market_moving_50_percent_raises_no_alert() {
    let score = |p: &str| market(CORRECT_SCORE, None, &[("1:0", p), ("0:0", "9.00")]);
    let outputs = run_all(&[
        cycle(vec![
            fetched(HOME, vec![score("8.00")]),
            fetched(SPORTY, vec![score("8.00")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![score("12.00")]),
            fetched(SPORTY, vec![score("8.00")]),
        ]),
    ]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].counters.filtered_not_primary, 1);
}

#[test]
fn a_market_seen_for_the_first_time_raises_no_alert() {
    let outputs = run_all(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00")]),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00"), over_under("2.5", "9.00")]),
            fetched(SPORTY, vec![one_x_two("2.00"), over_under("2.5", "1.50")]),
        ]),
    ]);
    assert_eq!(
        outputs[0].alerts,
        vec![],
        "the first cycle is all first seen"
    );
    // §3 raises nothing on a first-seen market; §9's `margin` and `off_market` are evaluated
    // at first sight by design, and the O/U at 9.00/1.90 is an arbitrage.
    assert_eq!(section3(&outputs[1].alerts), vec![]);
    assert_eq!(outputs[1].counters.markets_first_seen, 2);
}
