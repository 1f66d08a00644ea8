//! The filters and the documented choices: who is alerted, on what, and when nothing is.

use super::*;
use crate::domain::{Direction, Severity};

fn competitor_static() -> EventBook {
    fetched(SPORTY, vec![one_x_two("2.00")])
}

/// Updated for DESIGN §9 (competitor alerts): a competitor's own move raises its own
/// `price_change`, and nothing about the home book; with `competitor_alerts` off, nothing.
#[test]
fn a_competitor_price_change_alone_raises_only_the_competitors_price_change() {
    let cycles = [
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00")]),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00")]),
            fetched(SPORTY, vec![one_x_two("3.00")]),
        ]),
    ];
    let alerts = last_alerts(&cycles);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].alert_type(), AlertType::PriceChange);
    assert_eq!(alerts[0].bookmaker, SPORTY);
    assert_eq!(flat(&alerts[0]).change_pct, Some(50.0));
    assert_eq!(alerts[0].severity, Severity::Critical);
    let off = run_with(&mut Detector::new(), &home_only(), &cycles);
    assert_eq!(off[1].alerts, vec![]);
}

/// Updated for DESIGN §9 (competitor alerts): the competitor's market going is its own
/// `availability` alert; nothing about the home book.
#[test]
fn a_competitor_market_vanishing_raises_only_the_competitors_availability() {
    let outputs = run_all(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00"), over_under("2.5", "1.90")]),
            fetched(SPORTY, vec![one_x_two("2.00"), over_under("2.5", "1.90")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.00"), over_under("2.5", "1.90")]),
            fetched(SPORTY, vec![one_x_two("2.00")]),
        ]),
    ]);
    let alerts = &outputs[1].alerts;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].bookmaker, SPORTY);
    assert_eq!(alerts[0].line, Some(Line::from_milli(2500)));
    assert_eq!(
        flat(&alerts[0]).availability,
        Some(AvailabilityChange::Suspended)
    );
    assert_eq!(
        outputs[1].vanished.len(),
        1,
        "still persisted as unavailable"
    );
    assert_eq!(outputs[1].counters.markets_suspended, 1);
}

#[test]
fn disabled_rules_raise_nothing_but_still_update_the_state() {
    let mut detector = Detector::new();
    let off = Rules {
        enabled: false,
        ..Rules::default()
    };
    let step = |home: &str| {
        cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            competitor_static(),
        ])
    };
    let outputs = run_with(&mut detector, &off, &[step("2.00"), step("3.00")]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].counters.markets_changed, 1);
    // Re-enabled, the next cycle compares with 3.00 (the disabled cycle's price), not 2.00…
    let next = detector.detect_cycle(&step("3.00"), &Rules::default(), at(2));
    assert_eq!(section3(&next.alerts), vec![]);
    // …and §9 sees the 3.00/3.40/3.80 arbitrage for the first time: no band was raised for
    // it while alerts were off.
    assert_eq!(of_type(&next.alerts, AlertType::Margin).len(), 1);
}

#[test]
fn an_event_without_kickoff_raises_nothing_but_still_updates_the_state() {
    let step = |home: &str| {
        let mut input = cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            competitor_static(),
        ]);
        input.events[0].kickoff = None;
        input
    };
    let mut detector = Detector::new();
    let outputs = run_with(
        &mut detector,
        &Rules::default(),
        &[step("2.00"), step("3.00")],
    );
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].counters.events_without_kickoff, 1);
    let seen = detector.last_seen(EVENT, HOME).unwrap();
    assert_eq!(seen[0].market, one_x_two("3.00"));
}

#[test]
fn an_event_that_has_kicked_off_raises_nothing() {
    let step = |home: &str| {
        let mut input = cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            competitor_static(),
        ]);
        input.events[0].kickoff = Some(at(1));
        input
    };
    let outputs = run_all(&[step("2.00"), step("3.00")]);
    assert_eq!(outputs[1].alerts, vec![]);
    assert_eq!(outputs[1].counters.events_started, 1);
}

#[test]
fn without_require_competitor_a_home_move_alone_is_alerted() {
    let rules = Rules {
        require_competitor: false,
        ..Rules::default()
    };
    let outputs = run_with(
        &mut Detector::new(),
        &rules,
        &[
            cycle(vec![fetched(HOME, vec![one_x_two("3.00")])]),
            cycle(vec![fetched(HOME, vec![one_x_two("2.70")])]),
        ],
    );
    assert_eq!(outputs[1].alerts.len(), 1);
    assert_eq!(outputs[1].alerts[0].severity, Severity::Elevated);
}

#[test]
fn a_competitor_that_failed_this_cycle_does_not_count_as_pricing_the_market() {
    let alerts = last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two("3.00")]),
            competitor_static(),
        ]),
        cycle(vec![fetched(HOME, vec![one_x_two("2.70")]), failed(SPORTY)]),
    ]);
    assert_eq!(alerts, vec![]);
}

#[test]
fn a_competitor_market_with_every_outcome_suspended_does_not_count_as_pricing_it() {
    let alerts = last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two("3.00")]),
            competitor_static(),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two("2.70")]),
            fetched(SPORTY, vec![suspended(one_x_two("2.00"))]),
        ]),
    ]);
    // The competitor's own suspension is its availability alert (DESIGN §9); the home book's
    // move is filtered.
    let home: Vec<_> = alerts.iter().filter(|a| a.bookmaker == HOME).collect();
    assert_eq!(home, Vec::<&DetectedAlert>::new());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].bookmaker, SPORTY);
}

#[test]
fn custom_thresholds_change_the_severity() {
    let rules = Rules {
        warning_hundredths: 500,
        elevated_hundredths: 600,
        critical_hundredths: 650,
        ..Rules::default()
    };
    let step = |home: &str| {
        cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            competitor_static(),
        ])
    };
    let outputs = run_with(&mut Detector::new(), &rules, &[step("2.00"), step("2.13")]);
    assert_eq!(outputs[1].alerts[0].severity, Severity::Critical);
}

#[test]
fn a_primary_market_list_without_1x2_silences_1x2() {
    let rules = Rules {
        primary_markets: [OVER_UNDER.to_string()].into(),
        ..Rules::default()
    };
    let step = |home: &str| {
        cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            competitor_static(),
        ])
    };
    let outputs = run_with(&mut Detector::new(), &rules, &[step("2.00"), step("3.00")]);
    assert_eq!(outputs[1].alerts, vec![]);
}

#[test]
fn a_suspended_outcome_whose_price_changes_raises_no_price_alert() {
    let with_home = |p: &str, active: bool| {
        let mut m = one_x_two(p);
        m.outcomes[0].active = active;
        m
    };
    let alerts = last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![with_home("2.00", false)]),
            competitor_static(),
        ]),
        cycle(vec![
            fetched(HOME, vec![with_home("3.00", true)]),
            competitor_static(),
        ]),
    ]);
    assert_eq!(section3(&alerts), vec![]);
}

#[test]
fn moves_in_the_same_direction_are_no_disagreement() {
    let alerts = both_move(("2.00", "2.05"), ("2.00", "2.10"));
    assert_eq!(alerts, vec![]);
}

#[test]
fn a_competitor_move_below_the_minimum_is_no_disagreement() {
    assert_eq!(both_move(("2.00", "2.05"), ("2.00", "1.995")), vec![]);
}

#[test]
fn a_home_move_below_the_minimum_is_no_disagreement() {
    assert_eq!(both_move(("2.00", "2.005"), ("2.00", "1.90")), vec![]);
}

#[test]
fn a_larger_minimum_move_is_honoured() {
    let rules = Rules {
        direction_min_move_milli: 50,
        ..Rules::default()
    };
    let run = |comp_new: &str| {
        run_with(
            &mut Detector::new(),
            &rules,
            &[
                cycle(vec![
                    fetched(HOME, vec![one_x_two("2.00")]),
                    fetched(SPORTY, vec![one_x_two("2.00")]),
                ]),
                cycle(vec![
                    fetched(HOME, vec![one_x_two("2.05")]),
                    fetched(SPORTY, vec![one_x_two(comp_new)]),
                ]),
            ],
        )
        .pop()
        .unwrap()
        .alerts
    };
    assert_eq!(run("1.96"), vec![]);
    assert_eq!(run("1.95").len(), 1);
}

#[test]
fn each_disagreeing_competitor_raises_its_own_direction_alert() {
    let books = |home: &str, sporty: &str, bet9ja: &str| {
        cycle(vec![
            fetched(HOME, vec![one_x_two(home)]),
            fetched(SPORTY, vec![one_x_two(sporty)]),
            fetched(BET9JA, vec![one_x_two(bet9ja)]),
        ])
    };
    let alerts = last_alerts(&[books("2.00", "2.00", "2.00"), books("2.05", "1.95", "1.90")]);
    let competitors: Vec<_> = alerts
        .iter()
        .map(|a| {
            let c = &a.payload.disagreement().unwrap().competitor;
            (c.bookmaker.as_str(), c.direction)
        })
        .collect();
    assert_eq!(
        competitors,
        [(BET9JA, Direction::Down), (SPORTY, Direction::Down)]
    );
}

#[test]
fn a_competitor_moving_another_line_is_no_disagreement() {
    let alerts = last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![over_under("2.5", "2.00")]),
            fetched(
                SPORTY,
                vec![over_under("2.5", "2.00"), over_under("3.5", "2.00")],
            ),
        ]),
        cycle(vec![
            fetched(HOME, vec![over_under("2.5", "2.05")]),
            fetched(
                SPORTY,
                vec![over_under("2.5", "2.00"), over_under("3.5", "1.90")],
            ),
        ]),
    ]);
    assert_eq!(section3(&alerts), vec![]);
}

#[test]
fn direction_disagreement_is_only_raised_on_primary_markets() {
    let score = |p: &str| market(CORRECT_SCORE, None, &[("1:0", p)]);
    let alerts = last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![score("8.00")]),
            fetched(SPORTY, vec![score("8.00")]),
        ]),
        cycle(vec![
            fetched(HOME, vec![score("8.50")]),
            fetched(SPORTY, vec![score("7.50")]),
        ]),
    ]);
    assert_eq!(alerts, vec![]);
}

#[test]
fn alerts_carry_the_cycle_time_and_the_kickoff() {
    let alerts = home_moves("3.00", "2.70");
    assert_eq!(alerts[0].detected_at, at(1));
    assert_eq!(alerts[0].event_kickoff, kickoff());
    assert_eq!(alerts[0].market_name, "1X2 | Full Time");
    assert_eq!(alerts[0].event_key, EVENT);
    assert_eq!(flat(&alerts[0]).change_pct, Some(-10.0));
}

#[test]
fn alerts_are_sorted_by_event_then_market_line_and_outcome() {
    let books = |event_key: &str, home: &str| {
        event(
            event_key,
            vec![
                fetched_for(
                    event_key,
                    HOME,
                    vec![
                        over_under("3.5", home),
                        over_under("2.5", home),
                        one_x_two(home),
                    ],
                ),
                fetched_for(
                    event_key,
                    SPORTY,
                    vec![
                        one_x_two("2.00"),
                        over_under("2.5", "2.00"),
                        over_under("3.5", "2.00"),
                    ],
                ),
            ],
        )
    };
    let alerts = last_alerts(&[
        cycle_of(vec![books("2", "2.00"), books("1", "2.00")]),
        cycle_of(vec![books("2", "3.00"), books("1", "3.00")]),
    ]);
    let order: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.event_key.as_str(),
                a.market_id.as_str(),
                a.line,
                a.alert_type(),
            )
        })
        .collect();
    // At 3.00 every home market is also an arbitrage: its market-level `margin` (no outcome)
    // sorts before the outcome's `price_change`.
    let (margin, change) = (AlertType::Margin, AlertType::PriceChange);
    let (l25, l35) = (Some(Line::from_milli(2500)), Some(Line::from_milli(3500)));
    assert_eq!(
        order,
        [
            ("1", ONE_X_TWO, None, margin),
            ("1", ONE_X_TWO, None, change),
            ("1", OVER_UNDER, l25, margin),
            ("1", OVER_UNDER, l25, change),
            ("1", OVER_UNDER, l35, margin),
            ("1", OVER_UNDER, l35, change),
            ("2", ONE_X_TWO, None, margin),
            ("2", ONE_X_TWO, None, change),
            ("2", OVER_UNDER, l25, margin),
            ("2", OVER_UNDER, l25, change),
            ("2", OVER_UNDER, l35, margin),
            ("2", OVER_UNDER, l35, change),
        ]
    );
}
