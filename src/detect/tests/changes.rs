//! The market changes handed to persistence, and the cycle counters.

use super::*;
use crate::detect::{MarketChange, PriceUpdate};
use crate::domain::AvailabilityChange;

/// (book, market id, line, prices, available, availability) of one change.
type Summary = (
    String,
    String,
    Option<Line>,
    PriceUpdate,
    bool,
    Option<AvailabilityChange>,
);

/// The summary of every change, in output order.
fn summary(input: &CycleInput, changes: &[MarketChange]) -> Vec<Summary> {
    changes
        .iter()
        .map(|c| {
            let resolved = input.resolve(c);
            (
                resolved.book.to_string(),
                resolved.market.market_id.clone(),
                resolved.market.line,
                c.prices,
                c.available,
                c.availability,
            )
        })
        .collect()
}

#[test]
fn every_market_of_a_successful_scrape_is_reported_first_seen_changed_or_unchanged() {
    let first = cycle(vec![fetched(
        HOME,
        vec![one_x_two("2.00"), over_under("2.5", "1.90")],
    )]);
    let second = cycle(vec![fetched(
        HOME,
        vec![
            over_under("2.5", "1.90"),
            one_x_two("2.10"),
            over_under("3.5", "2.20"),
        ],
    )]);
    let outputs = run_all(&[first, second.clone()]);
    let line = |l: i32| Some(Line::from_milli(l));
    assert_eq!(
        summary(&second, &outputs[1].market_changes),
        [
            (
                HOME.into(),
                ONE_X_TWO.into(),
                None,
                PriceUpdate::Changed,
                true,
                None
            ),
            (
                HOME.into(),
                OVER_UNDER.into(),
                line(2500),
                PriceUpdate::Unchanged,
                true,
                None
            ),
            (
                HOME.into(),
                OVER_UNDER.into(),
                line(3500),
                PriceUpdate::FirstSeen,
                true,
                None
            ),
        ]
    );
    let history: Vec<bool> = outputs[1]
        .market_changes
        .iter()
        .map(MarketChange::needs_history)
        .collect();
    assert_eq!(history, [true, false, true]);
    let counters = outputs[1].counters;
    assert_eq!(
        (
            counters.markets_changed,
            counters.markets_unchanged,
            counters.markets_first_seen
        ),
        (1, 1, 1)
    );
    assert_eq!(counters.markets_compared, 2);
    assert_eq!(counters.outcomes_compared, 5);
    assert_eq!(counters.outcomes_moved, 1);
}

#[test]
fn a_change_of_suspended_flag_alone_is_a_change_to_store() {
    let mut partly = one_x_two("2.00");
    partly.outcomes[2].active = false;
    let second = cycle(vec![fetched(HOME, vec![partly])]);
    let outputs = run_all(&[cycle(vec![fetched(HOME, vec![one_x_two("2.00")])]), second]);
    assert_eq!(outputs[1].market_changes[0].prices, PriceUpdate::Changed);
    assert_eq!(outputs[1].counters.outcomes_moved, 0);
}

#[test]
fn outcomes_in_another_order_are_unchanged() {
    let mut reordered = one_x_two("2.00");
    reordered.outcomes.reverse();
    let outputs = run_all(&[
        cycle(vec![fetched(HOME, vec![one_x_two("2.00")])]),
        cycle(vec![fetched(HOME, vec![reordered])]),
    ]);
    assert_eq!(outputs[1].market_changes[0].prices, PriceUpdate::Unchanged);
}

#[test]
fn a_vanished_market_is_reported_once_with_its_line_and_time() {
    let with = || {
        cycle(vec![fetched(
            SPORTY,
            vec![one_x_two("2.00"), over_under("2.5", "1.90")],
        )])
    };
    let without = || cycle(vec![fetched(SPORTY, vec![one_x_two("2.00")])]);
    let outputs = run_all(&[with(), without(), without()]);
    let vanished = &outputs[1].vanished;
    assert_eq!(vanished.len(), 1);
    assert_eq!(&*vanished[0].market_id, OVER_UNDER);
    assert_eq!(vanished[0].line, Some(Line::from_milli(2500)));
    assert_eq!(vanished[0].since, at(1));
    assert_eq!(
        vanished[0].last_outcomes,
        over_under("2.5", "1.90").outcomes
    );
    assert_eq!(without().resolve_vanished(&vanished[0]), (EVENT, SPORTY));
    assert_eq!(outputs[2].vanished, vec![]);
}

#[test]
fn suspension_and_return_are_reported_for_every_book_with_the_unavailable_time() {
    let step = |m: MarketOdds| cycle(vec![fetched(SPORTY, vec![m])]);
    let outputs = run_all(&[
        step(one_x_two("2.00")),
        step(suspended(one_x_two("2.00"))),
        step(suspended(one_x_two("2.00"))),
        step(one_x_two("2.00")),
    ]);
    let change = |n: usize| outputs[n].market_changes[0];
    assert_eq!(change(1).availability, Some(AvailabilityChange::Suspended));
    assert!(!change(1).available);
    assert_eq!(change(1).unavailable_since, Some(at(1)));
    assert_eq!(change(2).availability, None);
    assert_eq!(change(2).prices, PriceUpdate::Unchanged);
    assert_eq!(change(2).unavailable_since, Some(at(1)));
    assert_eq!(change(3).availability, Some(AvailabilityChange::Returned));
    assert!(change(3).available);
    assert_eq!(change(3).unavailable_since, None);
    assert_eq!(outputs[3].counters.markets_returned, 1);
}

#[test]
fn changes_point_at_the_first_of_duplicated_market_rows() {
    let input = cycle(vec![
        failed(BET9JA),
        fetched(
            HOME,
            vec![
                one_x_two("2.00"),
                one_x_two("9.00"),
                over_under("2.5", "1.90"),
            ],
        ),
    ]);
    let output = run_all(std::slice::from_ref(&input)).pop().unwrap();
    let markets: Vec<(u32, u32)> = output
        .market_changes
        .iter()
        .map(|c| (c.book, c.market))
        .collect();
    assert_eq!(markets, [(1, 0), (1, 2)]);
    assert_eq!(
        input.resolve(&output.market_changes[0]).market,
        &one_x_two("2.00")
    );
}

#[test]
fn counters_tally_events_books_and_alerts() {
    let step = |home: &str| {
        cycle_of(vec![
            event(
                EVENT,
                vec![
                    fetched(HOME, vec![one_x_two(home)]),
                    fetched(SPORTY, vec![one_x_two("2.00")]),
                    failed(BET9JA),
                ],
            ),
            event("no-kickoff", vec![]),
        ])
    };
    let mut second = step("3.00");
    second.events[1].kickoff = None;
    let output = run_all(&[step("2.00"), second]).pop().unwrap();
    let counters = output.counters;
    // At 3.00/3.40/3.80 the home 1X2 is also an arbitrage (DESIGN §9 `margin`).
    assert_eq!(counters.margin_alerts, 1);
    assert_eq!(counters.events, 2);
    assert_eq!(counters.events_without_kickoff, 1);
    assert_eq!(counters.books_fetched, 2);
    assert_eq!(counters.books_failed, 1);
    assert_eq!(counters.price_change_alerts, 1);
    assert_eq!(counters.direction_alerts, 0);
    assert_eq!(counters.availability_alerts, 0);
    assert_eq!(output.alerts.len(), 2);
}
