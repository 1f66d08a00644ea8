//! Mass vanish and event-level availability (issue 11, point 2): a book that loses more than
//! `mass_vanish_pct` of its markets at once is a feed problem (no availability alerts from it);
//! an event that loses more than that share of its markets on the home book is one event-level
//! alert, and one when they return. Threshold edges: exactly the share is not more than it.

use super::*;
use crate::detect::{EVENT_VANISH_MIN_MARKETS, MASS_VANISH_MIN_MARKETS, MassVanish};
use crate::domain::{AvailabilityChange, EVENT_MARKET_ID, EVENT_MARKET_NAME};

fn event_key(n: usize) -> String {
    format!("{}", 70_000_000 + n)
}

/// `events` events with one 1X2 each on the home book and sportybet; the home book keeps the
/// market only on events at index `>= lose` (so it loses `lose` markets of `events`).
fn one_market_events(events: usize, lose: usize, home_price: &str) -> CycleInput {
    cycle_of(
        (0..events)
            .map(|n| {
                let key = event_key(n);
                let home = if n < lose {
                    vec![]
                } else {
                    vec![one_x_two(home_price)]
                };
                event(
                    &key,
                    vec![
                        fetched_for(&key, HOME, home),
                        fetched_for(&key, SPORTY, vec![one_x_two("2.00")]),
                    ],
                )
            })
            .collect(),
    )
}

fn availability(output: &CycleOutput) -> Vec<&DetectedAlert> {
    of_type(&output.alerts, AlertType::Availability)
}

#[test]
fn a_book_losing_exactly_the_threshold_share_alerts_per_market() {
    // 10 of 20 is 50 %: not more than 50 %.
    let outputs = run_all(&[
        one_market_events(20, 0, "2.00"),
        one_market_events(20, 10, "2.00"),
    ]);
    assert_eq!(outputs[1].mass_vanished, vec![]);
    assert_eq!(availability(&outputs[1]).len(), 10);
    assert_eq!(outputs[1].counters.availability_suppressed, 0);
}

#[test]
fn a_book_losing_more_than_the_threshold_share_raises_nothing_and_is_reported() {
    // 11 of 20 is 55 %: a feed problem.
    let outputs = run_all(&[
        one_market_events(20, 0, "2.00"),
        one_market_events(20, 11, "2.00"),
        one_market_events(20, 0, "2.00"),
    ]);
    assert_eq!(
        outputs[1].mass_vanished,
        vec![MassVanish {
            book: HOME.into(),
            lost: 11,
            of: 20
        }]
    );
    assert_eq!(outputs[1].counters.mass_vanish_books, 1);
    assert_eq!(availability(&outputs[1]), Vec::<&DetectedAlert>::new());
    assert_eq!(outputs[1].counters.availability_suppressed, 11);
    // The markets are still recorded as gone (the feed said so) …
    assert_eq!(outputs[1].vanished.len(), 11);
    // … but their going was never announced, so their return is no storm either.
    assert_eq!(availability(&outputs[2]), Vec::<&DetectedAlert>::new());
    assert_eq!(outputs[2].mass_vanished, vec![]);
    assert_eq!(outputs[2].counters.markets_returned, 11);
}

#[test]
fn the_threshold_follows_the_rule() {
    let rules = Rules {
        mass_vanish_pct: 75,
        ..Rules::default()
    };
    let mut detector = Detector::new();
    let outputs = run_with(
        &mut detector,
        &rules,
        &[
            one_market_events(20, 0, "2.00"),
            one_market_events(20, 15, "2.00"),
        ],
    );
    assert_eq!(outputs[1].mass_vanished, vec![], "15 of 20 is exactly 75 %");
    assert_eq!(availability(&outputs[1]).len(), 15);
    let outputs = run_with(
        &mut Detector::new(),
        &rules,
        &[
            one_market_events(20, 0, "2.00"),
            one_market_events(20, 16, "2.00"),
        ],
    );
    assert_eq!(outputs[1].mass_vanished.len(), 1, "16 of 20 is 80 %");
    assert_eq!(availability(&outputs[1]).len(), 0);
}

#[test]
fn a_small_loss_is_never_a_mass_vanish() {
    let lose = MASS_VANISH_MIN_MARKETS as usize - 1;
    let outputs = run_all(&[
        one_market_events(lose, 0, "2.00"),
        one_market_events(lose, lose, "2.00"),
    ]);
    assert_eq!(outputs[1].mass_vanished, vec![], "100 % of {lose} markets");
    assert_eq!(availability(&outputs[1]).len(), lose);
    let at_floor = MASS_VANISH_MIN_MARKETS as usize;
    let outputs = run_all(&[
        one_market_events(at_floor, 0, "2.00"),
        one_market_events(at_floor, at_floor, "2.00"),
    ]);
    assert_eq!(
        outputs[1].mass_vanished.len(),
        1,
        "{at_floor} markets is enough"
    );
}

#[test]
fn a_mass_vanish_keeps_price_alerts_on_what_is_still_offered() {
    let outputs = run_all(&[
        one_market_events(20, 0, "2.00"),
        one_market_events(20, 19, "2.30"),
    ]);
    assert_eq!(outputs[1].mass_vanished.len(), 1);
    let prices = of_type(&outputs[1].alerts, AlertType::PriceChange);
    assert_eq!(prices.len(), 1, "{:?}", outputs[1].alerts);
    assert_eq!(availability(&outputs[1]).len(), 0);
}

#[test]
fn a_competitor_mass_vanish_is_reported_and_does_not_touch_home_availability() {
    let both = |sporty_lose: usize, home_lose: usize| {
        cycle_of(
            (0..20)
                .map(|n| {
                    let key = event_key(n);
                    let keep = |lose: usize| {
                        if n < lose {
                            vec![]
                        } else {
                            vec![one_x_two("2.00"), over_under("2.5", "1.90")]
                        }
                    };
                    event(
                        &key,
                        vec![
                            fetched_for(
                                &key,
                                HOME,
                                if n < home_lose {
                                    vec![over_under("2.5", "1.90")]
                                } else {
                                    vec![one_x_two("2.00"), over_under("2.5", "1.90")]
                                },
                            ),
                            fetched_for(&key, SPORTY, keep(sporty_lose)),
                        ],
                    )
                })
                .collect(),
        )
    };
    // Sportybet loses every market of 15 events (30 of 40); the home book loses 1X2 on the
    // last 5 events only, where sportybet still prices it.
    let outputs = run_all(&[both(0, 0), both(15, 0), both(15, 0)]);
    assert_eq!(
        outputs[1].mass_vanished,
        vec![MassVanish {
            book: SPORTY.into(),
            lost: 30,
            of: 40
        }]
    );
    assert_eq!(availability(&outputs[1]).len(), 0, "home lost nothing");
    assert_eq!(
        outputs[2].mass_vanished,
        vec![],
        "already gone: nothing more lost"
    );
}

#[test]
fn failed_fetches_count_neither_as_lost_nor_as_held() {
    let with_failures = |lose: usize| {
        let mut input = one_market_events(20, lose, "2.00");
        // The first 8 events fail on the home book: out of the reckoning.
        for event in input.events.iter_mut().take(8) {
            event.books[0] = failed(HOME);
        }
        input
    };
    // Events 8..14 lose their market: 6 of the 12 compared (50 %): not more.
    let outputs = run_all(&[one_market_events(20, 0, "2.00"), with_failures(14)]);
    assert_eq!(outputs[1].mass_vanished, vec![]);
    assert_eq!(availability(&outputs[1]).len(), 6);
}

/// One event on the home book and sportybet with 1X2 and over/under on `lines`; the home book
/// keeps only the markets `keep` selects (by index: 0 is 1X2, then the lines).
fn many_markets(lines: &[&str], keep: impl Fn(usize) -> bool) -> CycleInput {
    let all = || {
        std::iter::once(one_x_two("2.00"))
            .chain(lines.iter().map(|l| over_under(l, "1.90")))
            .collect::<Vec<_>>()
    };
    let home = all()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, m)| m)
        .collect();
    cycle(vec![fetched(HOME, home), fetched(SPORTY, all())])
}

const LINES: [&str; 3] = ["1.5", "2.5", "3.5"];

#[test]
fn an_event_losing_exactly_the_threshold_share_alerts_per_market() {
    // 2 of 4 markets: 50 %, not more.
    let outputs = run_all(&[
        many_markets(&LINES, |_| true),
        many_markets(&LINES, |i| i < 2),
    ]);
    let alerts = availability(&outputs[1]);
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().all(|a| flat(a).markets_affected.is_none()));
    assert_eq!(outputs[1].counters.event_availability_alerts, 0);
}

#[test]
fn an_event_losing_more_than_the_threshold_share_is_one_alert_both_ways() {
    // 3 of 4 markets gone (75 %), back two cycles later.
    let outputs = run_all(&[
        many_markets(&LINES, |_| true),
        many_markets(&LINES, |i| i == 0),
        many_markets(&LINES, |i| i == 0),
        many_markets(&LINES, |_| true),
    ]);
    let gone = availability(&outputs[1]);
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0].market_id, EVENT_MARKET_ID);
    assert_eq!(gone[0].market_name, EVENT_MARKET_NAME);
    assert_eq!(flat(gone[0]).markets_affected, Some(3));
    assert_eq!(
        flat(gone[0]).availability,
        Some(AvailabilityChange::Suspended)
    );
    assert_eq!(gone[0].line, None);
    assert_eq!(flat(gone[0]).unavailable_secs, None);
    assert_eq!(gone[0].bookmaker, HOME);
    assert_eq!(outputs[1].counters.event_availability_alerts, 1);
    assert_eq!(outputs[1].counters.markets_suspended, 3);
    assert_eq!(
        outputs[1].vanished.len(),
        3,
        "each market still marked gone"
    );
    assert_eq!(availability(&outputs[2]), Vec::<&DetectedAlert>::new());
    let back = availability(&outputs[3]);
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].market_id, EVENT_MARKET_ID);
    assert_eq!(flat(back[0]).markets_affected, Some(3));
    assert_eq!(
        flat(back[0]).availability,
        Some(AvailabilityChange::Returned)
    );
    assert_eq!(flat(back[0]).unavailable_secs, Some(600));
}

#[test]
fn the_event_level_floor_is_two_markets() {
    assert_eq!(EVENT_VANISH_MIN_MARKETS, 2);
    // 2 of 2 gone: one event-level alert counting 2.
    let outputs = run_all(&[
        many_markets(&LINES[..1], |_| true),
        many_markets(&LINES[..1], |_| false),
    ]);
    let gone = availability(&outputs[1]);
    assert_eq!(gone.len(), 1);
    assert_eq!(flat(gone[0]).markets_affected, Some(2));
    // 1 of 1 gone: that market's own alert.
    let outputs = run_all(&[many_markets(&[], |_| true), many_markets(&[], |_| false)]);
    let gone = availability(&outputs[1]);
    assert_eq!(gone.len(), 1);
    assert_eq!(flat(gone[0]).markets_affected, None);
    assert_eq!(gone[0].market_id, ONE_X_TWO);
}

#[test]
fn suspended_markets_count_as_lost_for_the_event() {
    let all_suspended = cycle(vec![
        fetched(
            HOME,
            std::iter::once(one_x_two("2.00"))
                .chain(LINES.iter().map(|l| suspended(over_under(l, "1.90"))))
                .collect(),
        ),
        fetched(
            SPORTY,
            std::iter::once(one_x_two("2.00"))
                .chain(LINES.iter().map(|l| over_under(l, "1.90")))
                .collect(),
        ),
    ]);
    let outputs = run_all(&[many_markets(&LINES, |_| true), all_suspended]);
    let gone = availability(&outputs[1]);
    assert_eq!(gone.len(), 1);
    assert_eq!(flat(gone[0]).markets_affected, Some(3));
}

#[test]
fn a_partial_return_is_one_event_level_alert_with_the_count_back() {
    let outputs = run_all(&[
        many_markets(&LINES, |_| true),
        many_markets(&LINES, |i| i == 0),
        many_markets(&LINES, |i| i <= 1),
        many_markets(&LINES, |_| true),
    ]);
    let first = availability(&outputs[2]);
    assert_eq!(first.len(), 1);
    assert_eq!(flat(first[0]).markets_affected, Some(1));
    assert_eq!(first[0].market_id, EVENT_MARKET_ID);
    assert_eq!(flat(first[0]).unavailable_secs, Some(300));
    let rest = availability(&outputs[3]);
    assert_eq!(rest.len(), 1);
    assert_eq!(flat(rest[0]).markets_affected, Some(2));
    assert_eq!(flat(rest[0]).unavailable_secs, Some(600));
}

#[test]
fn an_event_level_loss_of_markets_no_rule_alerts_on_raises_nothing() {
    // Three non-primary markets and 1X2; the three non-primary ones go.
    let with = |keep_all: bool| {
        let mut home = vec![one_x_two("2.00")];
        if keep_all {
            home.extend(
                ["1.5", "2.5", "3.5"].map(|l| market(CORRECT_SCORE, Some(l), &[("1:0", "7.00")])),
            );
        }
        cycle(vec![
            fetched(HOME, home),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ])
    };
    let outputs = run_all(&[with(true), with(false)]);
    assert_eq!(availability(&outputs[1]), Vec::<&DetectedAlert>::new());
    assert_eq!(outputs[1].counters.filtered_not_primary, 1);
    assert_eq!(outputs[1].counters.markets_suspended, 3);
}

#[test]
fn a_book_level_mass_vanish_takes_precedence_over_event_level_alerts() {
    // 20 events of 4 markets; 15 events lose 3 each: 45 of 80 (56 %) on the book.
    let input = |lose: usize| {
        cycle_of(
            (0..20)
                .map(|n| {
                    let key = event_key(n);
                    let all = || {
                        std::iter::once(one_x_two("2.00"))
                            .chain(LINES.iter().map(|l| over_under(l, "1.90")))
                            .collect::<Vec<_>>()
                    };
                    let home = if n < lose {
                        vec![one_x_two("2.00")]
                    } else {
                        all()
                    };
                    event(
                        &key,
                        vec![
                            fetched_for(&key, HOME, home),
                            fetched_for(&key, SPORTY, all()),
                        ],
                    )
                })
                .collect(),
        )
    };
    let outputs = run_all(&[input(0), input(15), input(0)]);
    assert_eq!(outputs[1].mass_vanished.len(), 1);
    assert_eq!(availability(&outputs[1]).len(), 0);
    assert_eq!(
        availability(&outputs[2]).len(),
        0,
        "never announced, never returned"
    );
    // 13 events (39 of 80, 49 %): not a mass vanish, so one event-level alert per event.
    let outputs = run_all(&[input(0), input(13), input(0)]);
    assert_eq!(outputs[1].mass_vanished, vec![]);
    let gone = availability(&outputs[1]);
    assert_eq!(gone.len(), 13);
    assert!(gone.iter().all(|a| flat(a).markets_affected == Some(3)));
    let back = availability(&outputs[2]);
    assert_eq!(back.len(), 13);
    assert!(back.iter().all(|a| flat(a).markets_affected == Some(3)));
}

/// The reference's storm (issue 11): a home-book event body without `markets` read as an event
/// with none, and every market of every event raised `suspended`, then `returned` when the
/// body came back whole (9,645 and 9,644 alerts). The parsers now reject such a body; should a
/// feed still come back empty another way (renamed market ids, say), this guard holds.
#[test]
fn a_reshaped_home_feed_that_comes_back_empty_raises_no_storm() {
    let lines = ["0.5", "1.5", "2.5", "3.5", "4.5"];
    let feed = |empty: bool| {
        cycle_of(
            (0..100)
                .map(|n| {
                    let key = event_key(n);
                    let all = || {
                        std::iter::once(one_x_two("2.00"))
                            .chain(lines.iter().map(|l| over_under(l, "1.90")))
                            .collect::<Vec<_>>()
                    };
                    let home = if empty { vec![] } else { all() };
                    event(
                        &key,
                        vec![
                            fetched_for(&key, HOME, home),
                            fetched_for(&key, SPORTY, all()),
                        ],
                    )
                })
                .collect(),
        )
    };
    let outputs = run_all(&[feed(false), feed(true), feed(false)]);
    assert_eq!(
        outputs[1].alerts.len(),
        0,
        "600 markets gone at once: a feed problem"
    );
    assert_eq!(
        outputs[2].alerts.len(),
        0,
        "and their return is no news either"
    );
    assert_eq!(outputs[1].mass_vanished.len(), 1);
}
