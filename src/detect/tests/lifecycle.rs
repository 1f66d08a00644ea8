//! Availability over several cycles, failed and missing fetches, warming and pruning the state.

use std::collections::BTreeSet;

use super::*;
use crate::domain::{AvailabilityChange, Severity};

fn ou_pair(home: Vec<MarketOdds>) -> CycleInput {
    cycle(vec![
        fetched(HOME, home),
        fetched(SPORTY, vec![over_under("2.5", "1.90")]),
    ])
}

#[test]
fn every_outcome_suspended_is_availability_suspended_and_reopening_is_returned() {
    let outputs = run_all(&[
        ou_pair(vec![over_under("2.5", "1.90")]),
        ou_pair(vec![suspended(over_under("2.5", "1.90"))]),
        ou_pair(vec![suspended(over_under("2.5", "1.95"))]),
        ou_pair(vec![over_under("2.5", "2.50")]),
    ]);
    let suspended_alert = &outputs[1].alerts[0];
    assert_eq!(
        flat(suspended_alert).availability,
        Some(AvailabilityChange::Suspended)
    );
    assert_eq!(suspended_alert.line, Some(Line::from_milli(2500)));
    assert_eq!(outputs[2].alerts, vec![], "still suspended: nothing new");
    // Back at 2.50/1.90 the market is also an arbitrage (§9 `margin`, first evaluated now).
    let back = section3(&outputs[3].alerts);
    assert_eq!(
        back.len(),
        1,
        "back, and no price change against the suspended quote"
    );
    let returned = &back[0];
    assert_eq!(
        flat(returned).availability,
        Some(AvailabilityChange::Returned)
    );
    assert_eq!(returned.severity, Severity::Warning);
    assert_eq!(flat(returned).unavailable_secs, Some(600));
}

#[test]
fn one_suspended_outcome_is_not_an_availability_change() {
    let mut partly = over_under("2.5", "1.90");
    partly.outcomes[0].active = false;
    let outputs = run_all(&[
        ou_pair(vec![over_under("2.5", "1.90")]),
        ou_pair(vec![partly]),
    ]);
    assert_eq!(outputs[1].alerts, vec![]);
}

#[test]
fn a_market_missing_for_several_cycles_is_suspended_once_and_returns_with_the_whole_duration() {
    let outputs = run_all(&[
        ou_pair(vec![over_under("2.5", "1.90")]),
        ou_pair(vec![]),
        ou_pair(vec![]),
        ou_pair(vec![]),
        ou_pair(vec![over_under("2.5", "1.90")]),
    ]);
    assert_eq!(outputs[1].alerts.len(), 1);
    assert_eq!(outputs[2].alerts, vec![]);
    assert_eq!(outputs[3].alerts, vec![]);
    assert_eq!(flat(&outputs[4].alerts[0]).unavailable_secs, Some(900));
}

#[test]
fn a_market_that_vanishes_and_then_is_suspended_does_not_return() {
    let outputs = run_all(&[
        ou_pair(vec![over_under("2.5", "1.90")]),
        ou_pair(vec![]),
        ou_pair(vec![suspended(over_under("2.5", "1.90"))]),
        ou_pair(vec![over_under("2.5", "1.90")]),
    ]);
    assert_eq!(outputs[2].alerts, vec![]);
    assert_eq!(
        flat(&outputs[3].alerts[0]).availability,
        Some(AvailabilityChange::Returned)
    );
    assert_eq!(
        flat(&outputs[3].alerts[0]).unavailable_secs,
        Some(600),
        "unavailable since cycle 1"
    );
}

#[test]
fn a_market_first_seen_suspended_raises_nothing_when_it_opens() {
    let outputs = run_all(&[
        ou_pair(vec![suspended(over_under("2.5", "1.90"))]),
        ou_pair(vec![over_under("2.5", "1.90")]),
    ]);
    assert_eq!(outputs[0].alerts, vec![]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(
        outputs[1].market_changes[0].availability,
        Some(AvailabilityChange::Returned)
    );
}

#[test]
fn after_a_failed_fetch_prices_are_compared_with_the_last_successful_scrape() {
    let step = |home: Option<&str>| {
        let home = match home {
            Some(p) => fetched(HOME, vec![one_x_two(p)]),
            None => failed(HOME),
        };
        cycle(vec![home, fetched(SPORTY, vec![one_x_two("2.00")])])
    };
    let outputs = run_all(&[step(Some("3.00")), step(None), step(Some("2.70"))]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[2].alerts.len(), 1);
    assert_eq!(flat(&outputs[2].alerts[0]).old_price, Some(3.0));
}

#[test]
fn a_book_whose_discovery_failed_raises_nothing_and_counts_as_failed() {
    let mut without_home = cycle(vec![fetched(SPORTY, vec![one_x_two("2.00")])]);
    without_home.failed_books = BTreeSet::from([HOME.to_string()]);
    let mut detector = Detector::new();
    let outputs = run_with(
        &mut detector,
        &Rules::default(),
        &[
            cycle(vec![
                fetched(HOME, vec![one_x_two("3.00")]),
                fetched(SPORTY, vec![one_x_two("2.00")]),
            ]),
            without_home,
        ],
    );
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].vanished, vec![]);
    assert_eq!(outputs[1].counters.books_failed, 1);
    assert_eq!(
        detector.last_seen(EVENT, HOME).unwrap()[0].market,
        one_x_two("3.00")
    );
}

#[test]
fn an_event_a_book_did_not_list_keeps_its_state_and_raises_nothing() {
    let mut detector = Detector::new();
    let outputs = run_with(
        &mut detector,
        &Rules::default(),
        &[
            ou_pair(vec![over_under("2.5", "1.90")]),
            cycle(vec![fetched(SPORTY, vec![over_under("2.5", "1.90")])]),
        ],
    );
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].counters.books_failed, 0);
    assert!(detector.last_seen(EVENT, HOME).unwrap()[0].available);
}

#[test]
fn the_state_holds_the_last_successful_scrape_and_vanished_markets_without_outcomes() {
    let mut detector = Detector::new();
    run_with(
        &mut detector,
        &Rules::default(),
        &[
            ou_pair(vec![one_x_two("2.00"), over_under("2.5", "1.90")]),
            ou_pair(vec![one_x_two("2.10")]),
        ],
    );
    let seen = detector.last_seen(EVENT, HOME).unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].market, one_x_two("2.10"));
    assert!(seen[0].available);
    assert_eq!(seen[1].market.market_id, OVER_UNDER);
    assert_eq!(seen[1].market.line, Some(Line::from_milli(2500)));
    assert!(seen[1].market.outcomes.is_empty());
    assert!(!seen[1].available);
    assert_eq!(seen[1].unavailable_since, Some(at(1)));
    assert_eq!(detector.last_seen(EVENT, BET9JA), None);
    assert_eq!(detector.last_seen("other", HOME), None);
}

#[test]
fn warming_from_stored_rows_makes_the_first_cycle_compare_with_them() {
    let mut detector = Detector::new();
    detector.warm(EVENT, HOME, &one_x_two("3.00"), t0(), true, None);
    detector.warm(EVENT, SPORTY, &one_x_two("2.00"), t0(), true, None);
    let output = detector.detect_cycle(
        &cycle(vec![
            fetched(HOME, vec![one_x_two("2.70")]),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ]),
        &Rules::default(),
        at(1),
    );
    let alerts = section3(&output.alerts);
    assert_eq!(alerts.len(), 1);
    assert_eq!(flat(&alerts[0]).change_pct, Some(-10.0));
    assert_eq!(output.counters.markets_first_seen, 0);
}

#[test]
fn a_warmed_unavailable_market_returns_with_the_duration_since_it_went_missing() {
    let mut detector = Detector::new();
    detector.warm(
        EVENT,
        HOME,
        &over_under("2.5", "1.90"),
        at(1),
        false,
        Some(t0()),
    );
    detector.warm(EVENT, SPORTY, &over_under("2.5", "1.90"), at(1), true, None);
    let output = detector.detect_cycle(
        &ou_pair(vec![over_under("2.5", "1.90")]),
        &Rules::default(),
        at(2),
    );
    assert_eq!(output.alerts.len(), 1);
    assert_eq!(
        flat(&output.alerts[0]).availability,
        Some(AvailabilityChange::Returned)
    );
    assert_eq!(flat(&output.alerts[0]).unavailable_secs, Some(600));
}

#[test]
fn warming_the_same_market_twice_keeps_the_latest_row() {
    let mut detector = Detector::new();
    detector.warm(EVENT, HOME, &one_x_two("3.00"), t0(), true, None);
    detector.warm(EVENT, HOME, &over_under("2.5", "1.90"), t0(), true, None);
    detector.warm(EVENT, HOME, &one_x_two("3.30"), t0(), true, None);
    let seen = detector.last_seen(EVENT, HOME).unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].market, one_x_two("3.30"));
    assert_eq!(detector.market_count(), 2);
}

#[test]
fn pruning_drops_events_that_have_kicked_off_and_forgetting_drops_one() {
    let mut detector = Detector::new();
    let mut early = event(
        "early",
        vec![fetched_for("early", HOME, vec![one_x_two("2.00")])],
    );
    early.kickoff = Some(at(3));
    let late = event(
        "late",
        vec![fetched_for("late", HOME, vec![one_x_two("2.00")])],
    );
    detector.detect_cycle(&cycle_of(vec![early, late]), &Rules::default(), t0());
    assert_eq!(detector.event_count(), 2);
    assert_eq!(detector.prune_started(at(2)), 0);
    assert_eq!(detector.prune_started(at(3)), 1);
    assert!(detector.last_seen("early", HOME).is_none());
    assert!(detector.forget_event("late"));
    assert!(!detector.forget_event("late"));
    assert_eq!(detector.event_count(), 0);
}

#[test]
fn the_state_counts_markets_outcomes_and_its_bytes() {
    let mut detector = Detector::new();
    run_with(
        &mut detector,
        &Rules::default(),
        &[ou_pair(vec![one_x_two("2.00")])],
    );
    assert_eq!(detector.market_count(), 2);
    assert_eq!(detector.outcome_count(), 5);
    assert!(detector.heap_bytes() > 0);
}

#[test]
fn duplicates_in_the_input_keep_the_first_occurrence() {
    let twice = |home: &str| {
        let books = vec![
            fetched(HOME, vec![one_x_two(home), one_x_two("9.99")]),
            fetched(HOME, vec![one_x_two("5.55")]),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ];
        cycle_of(vec![event(EVENT, books.clone()), event(EVENT, books)])
    };
    let outputs = run_all(&[twice("3.00"), twice("2.70")]);
    let counters = outputs[1].counters;
    assert_eq!(counters.duplicate_events, 1);
    assert_eq!(counters.duplicate_books, 1);
    assert_eq!(counters.duplicate_markets, 1);
    assert_eq!(outputs[1].alerts.len(), 1);
    assert_eq!(flat(&outputs[1].alerts[0]).old_price, Some(3.0));
    assert_eq!(flat(&outputs[1].alerts[0]).new_price, Some(2.7));
}

#[test]
fn a_warmed_market_without_a_name_is_alerted_under_the_name_the_book_uses() {
    let mut detector = Detector::new();
    let mut nameless = over_under("2.5", "1.90");
    nameless.market_name = String::new();
    detector.warm(EVENT, HOME, &nameless, t0(), true, None);
    detector.warm(EVENT, SPORTY, &over_under("2.5", "1.90"), t0(), true, None);
    let output = detector.detect_cycle(
        &ou_pair(vec![over_under("3.5", "1.90")]),
        &Rules::default(),
        at(1),
    );
    assert_eq!(output.alerts.len(), 1);
    assert_eq!(
        flat(&output.alerts[0]).availability,
        Some(AvailabilityChange::Suspended)
    );
    assert_eq!(output.alerts[0].market_name, "Over/Under | Full Time");
}

#[test]
fn a_warmed_kickoff_lets_pruning_drop_the_event_before_any_cycle() {
    let mut detector = Detector::new();
    detector.warm(EVENT, HOME, &one_x_two("2.00"), t0(), true, None);
    detector.warm_kickoff(EVENT, Some(at(1)));
    detector.warm_kickoff("unknown", None);
    assert_eq!(detector.event_count(), 1);
    assert_eq!(detector.prune_started(at(1)), 1);
}
