//! DESIGN §9 through [`Detector::detect_cycle`]: every test vector (each checks the rule under
//! test's output, as §9 says), competitor alerts and properties over generated prices; the band
//! memory is in [`bands`](super::bands).

use proptest::prelude::*;

use super::*;
use crate::domain::{AlertPayload, Pattern, Severity};

/// 1X2 at `home` / `draw` / `away`.
pub(super) fn x12(home: &str, draw: &str, away: &str) -> MarketOdds {
    market(ONE_X_TWO, None, &[("1", home), ("X", draw), ("2", away)])
}

/// Over/under 2.5 at `over` / `under`.
pub(super) fn ou(over: &str, under: &str) -> MarketOdds {
    market(OVER_UNDER, Some("2.5"), &[("Over", over), ("Under", under)])
}

/// The competitors' 1X2 of most vectors.
pub(super) fn market_x12() -> MarketOdds {
    x12("2.00", "3.40", "4.00")
}

/// One cycle of the event on the three books.
pub(super) fn books3(home: MarketOdds, sporty: MarketOdds, bet9ja: MarketOdds) -> CycleInput {
    cycle(vec![
        fetched(HOME, vec![home]),
        fetched(SPORTY, vec![sporty]),
        fetched(BET9JA, vec![bet9ja]),
    ])
}

/// The alerts of a single (first-sight) cycle.
pub(super) fn first_sight(input: CycleInput) -> Vec<DetectedAlert> {
    last_alerts(&[input])
}

/// An `off_market` alert in short: outcome, edge (hundredths), fair odds, pattern, severity.
pub(super) type OffMarketRow = (String, i64, Price, Option<Pattern>, Severity);

pub(super) fn off_market(alerts: &[DetectedAlert]) -> Vec<OffMarketRow> {
    alerts
        .iter()
        .filter_map(|a| match &a.payload {
            AlertPayload::OffMarket(o) => {
                assert_eq!(a.bookmaker, HOME);
                Some((
                    a.outcome_name.clone().unwrap(),
                    o.edge_pct.hundredths(),
                    o.fair_odds,
                    o.pattern,
                    a.severity,
                ))
            }
            _ => None,
        })
        .collect()
}

/// The `margin` alerts: margin (hundredths) and severity; each is market-level.
pub(super) fn margins(alerts: &[DetectedAlert]) -> Vec<(i64, Severity)> {
    alerts
        .iter()
        .filter_map(|a| match &a.payload {
            AlertPayload::Margin(m) => {
                assert_eq!(a.outcome_name, None);
                assert_eq!(a.bookmaker, HOME);
                Some((m.margin_pct.hundredths(), a.severity))
            }
            _ => None,
        })
        .collect()
}

/// A `market_move` in short: outcome, direction, median (hundredths), severity, movers.
type MoveRow = (String, Direction, i64, Severity, Vec<(String, i64)>);

fn market_moves(alerts: &[DetectedAlert]) -> Vec<MoveRow> {
    alerts
        .iter()
        .filter_map(|a| match &a.payload {
            AlertPayload::MarketMove(m) => {
                assert_eq!(a.bookmaker, HOME);
                Some((
                    a.outcome_name.clone().unwrap(),
                    m.direction,
                    m.median_change_pct.hundredths(),
                    a.severity,
                    m.movers
                        .iter()
                        .map(|v| (v.bookmaker.clone(), v.change_pct.hundredths()))
                        .collect(),
                ))
            }
            _ => None,
        })
        .collect()
}

pub(super) fn row(
    outcome: &str,
    edge: i64,
    fair: &str,
    pattern: Option<Pattern>,
    s: Severity,
) -> OffMarketRow {
    (outcome.to_string(), edge, price(fair), pattern, s)
}

#[test]
fn home_2_30_against_the_market_is_off_market_critical_with_fair_odds_2_09_and_no_margin() {
    let alerts = first_sight(books3(
        x12("2.30", "3.40", "3.40"),
        market_x12(),
        market_x12(),
    ));
    assert_eq!(
        off_market(&alerts),
        [row("1", 1014, "2.09", None, Severity::Critical)]
    );
    assert_eq!(margins(&alerts), []);
    // The consensus shown: each counted competitor's own price and fair odds, by book.
    let AlertPayload::OffMarket(detail) = &of_type(&alerts, AlertType::OffMarket)[0].payload else {
        unreachable!()
    };
    assert_eq!(detail.price, price("2.30"));
    let books: Vec<(&str, Price, Price)> = detail
        .books
        .iter()
        .map(|b| (b.bookmaker.as_str(), b.price, b.fair_odds))
        .collect();
    assert_eq!(
        books,
        [
            (BET9JA, price("2.00"), price("2.09")),
            (SPORTY, price("2.00"), price("2.09"))
        ]
    );
    let alert = of_type(&alerts, AlertType::OffMarket)[0];
    assert_eq!(alert.market_name, "1X2 | Full Time");
    assert_eq!(alert.market_id, ONE_X_TWO);
}

#[test]
fn home_2_16_is_off_market_warning_3_44() {
    let alerts = first_sight(books3(
        x12("2.16", "3.40", "3.60"),
        market_x12(),
        market_x12(),
    ));
    assert_eq!(
        off_market(&alerts),
        [row("1", 344, "2.09", None, Severity::Warning)]
    );
    assert_eq!(margins(&alerts), []);
}

#[test]
fn home_2_25_is_off_market_elevated_7_75_and_a_margin_warning_of_1_63() {
    let alerts = first_sight(books3(
        x12("2.25", "3.40", "3.60"),
        market_x12(),
        market_x12(),
    ));
    assert_eq!(
        off_market(&alerts),
        [row("1", 775, "2.09", None, Severity::Elevated)]
    );
    assert_eq!(margins(&alerts), [(163, Severity::Warning)]);
    let AlertPayload::Margin(m) = &of_type(&alerts, AlertType::Margin)[0].payload else {
        unreachable!()
    };
    let prices: Vec<(&str, Price)> = m
        .prices
        .iter()
        .map(|q| (q.outcome.as_str(), q.price))
        .collect();
    assert_eq!(
        prices,
        [
            ("1", price("2.25")),
            ("X", price("3.40")),
            ("2", price("3.60"))
        ]
    );
}

#[test]
fn home_2_50_against_two_different_books_is_critical_18_08_and_an_arbitrage_of_minus_2_81() {
    let alerts = first_sight(books3(
        x12("2.50", "3.40", "3.60"),
        market_x12(),
        x12("2.05", "3.30", "3.90"),
    ));
    let rows = off_market(&alerts);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].1, rows[0].4), (1808, Severity::Critical));
    assert_eq!(margins(&alerts), [(-281, Severity::Critical)]);
}

#[test]
fn over_under_2_10_over_is_off_market_warning_5_00_and_an_arbitrage_of_minus_3_60() {
    let alerts = first_sight(books3(
        ou("2.10", "2.05"),
        ou("1.90", "1.90"),
        ou("1.90", "1.90"),
    ));
    assert_eq!(
        off_market(&alerts),
        [row("Over", 500, "2.00", None, Severity::Warning)]
    );
    assert_eq!(margins(&alerts), [(-360, Severity::Critical)]);
    assert_eq!(alerts[0].line, Some(Line::from_milli(2500)));
}

#[test]
fn home_1_and_2_swapped_is_critical_91_55_with_pattern_swapped_and_no_margin() {
    let alerts = first_sight(books3(
        x12("4.00", "3.40", "2.00"),
        market_x12(),
        market_x12(),
    ));
    assert_eq!(
        off_market(&alerts),
        [row(
            "1",
            9155,
            "2.09",
            Some(Pattern::Swapped),
            Severity::Critical
        )]
    );
    assert_eq!(margins(&alerts), []);
}

#[test]
fn home_20_00_is_critical_857_75_with_pattern_factor_and_an_arbitrage_of_minus_40_59() {
    let alerts = first_sight(books3(
        x12("20.00", "3.40", "4.00"),
        market_x12(),
        market_x12(),
    ));
    assert_eq!(
        off_market(&alerts),
        [row(
            "1",
            85775,
            "2.09",
            Some(Pattern::Factor),
            Severity::Critical
        )]
    );
    assert_eq!(margins(&alerts), [(-4059, Severity::Critical)]);
}

#[test]
fn one_complete_competitor_of_two_raises_nothing() {
    let without_draw = market(ONE_X_TWO, None, &[("1", "2.00"), ("2", "4.00")]);
    let alerts = first_sight(books3(
        x12("2.30", "3.40", "3.40"),
        market_x12(),
        without_draw,
    ));
    assert_eq!(alerts, vec![]);
}

/// Two cycles of 1X2 "1": every book at 2.00, then home / sportybet / bet9ja at the prices
/// given (`None`: the fetch failed).
fn moves(home: &str, sporty: &str, bet9ja: Option<&str>) -> Vec<DetectedAlert> {
    let quote = |p: &str| x12(p, "3.40", "4.00");
    let second = cycle(vec![
        fetched(HOME, vec![quote(home)]),
        fetched(SPORTY, vec![quote(sporty)]),
        match bet9ja {
            Some(p) => fetched(BET9JA, vec![quote(p)]),
            None => failed(BET9JA),
        },
    ]);
    last_alerts(&[books3(quote("2.00"), quote("2.00"), quote("2.00")), second])
}

fn movers(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(b, c)| (b.to_string(), *c)).collect()
}

#[test]
fn both_competitors_down_and_home_still_is_a_market_move_warning_with_median_minus_9() {
    let alerts = moves("2.00", "1.80", Some("1.84"));
    assert_eq!(
        market_moves(&alerts),
        [(
            "1".to_string(),
            Direction::Down,
            -900,
            Severity::Warning,
            movers(&[(BET9JA, -800), (SPORTY, -1000)])
        )]
    );
    let AlertPayload::MarketMove(m) = &of_type(&alerts, AlertType::MarketMove)[0].payload else {
        unreachable!()
    };
    assert_eq!((m.home.old, m.home.new), (price("2.00"), price("2.00")));
    // The competitors' own price changes (DESIGN §9 competitor alerts).
    let changes: Vec<(&str, i64, Severity)> = of_type(&alerts, AlertType::PriceChange)
        .iter()
        .map(|a| {
            (
                a.bookmaker.as_str(),
                a.payload.change_pct().unwrap().hundredths(),
                a.severity,
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (BET9JA, -800, Severity::Warning),
            (SPORTY, -1000, Severity::Elevated)
        ]
    );
}

#[test]
fn a_home_book_that_followed_raises_no_market_move() {
    assert_eq!(market_moves(&moves("1.90", "1.80", Some("1.84"))), []);
}

#[test]
fn a_home_book_moving_the_other_way_is_a_market_move_and_two_disagreements() {
    let alerts = moves("2.10", "1.80", Some("1.84"));
    let raised = market_moves(&alerts);
    assert_eq!(raised.len(), 1);
    assert_eq!((raised[0].2, raised[0].3), (-900, Severity::Warning));
    assert_eq!(of_type(&alerts, AlertType::DirectionDisagreement).len(), 2);
}

#[test]
fn one_mover_and_a_still_small_or_opposite_competitor_raise_no_market_move() {
    for bet9ja in ["2.00", "1.95", "2.08"] {
        let alerts = moves("2.00", "1.80", Some(bet9ja));
        assert_eq!(market_moves(&alerts), [], "bet9ja at {bet9ja}");
    }
}

#[test]
fn competitors_down_16_and_20_percent_are_a_critical_market_move_of_minus_18() {
    let raised = market_moves(&moves("2.00", "1.68", Some("1.60")));
    assert_eq!(
        raised,
        [(
            "1".to_string(),
            Direction::Down,
            -1800,
            Severity::Critical,
            movers(&[(BET9JA, -2000), (SPORTY, -1600)])
        )]
    );
}

#[test]
fn a_failed_competitor_does_not_lower_the_books_a_market_move_needs() {
    let alerts = moves("2.00", "1.80", None);
    assert_eq!(market_moves(&alerts), []);
    // Its own price change is still there; nothing about bet9ja.
    let changes: Vec<(&str, i64, Severity)> = of_type(&alerts, AlertType::PriceChange)
        .iter()
        .map(|a| {
            (
                a.bookmaker.as_str(),
                a.payload.change_pct().unwrap().hundredths(),
                a.severity,
            )
        })
        .collect();
    assert_eq!(changes, [(SPORTY, -1000, Severity::Elevated)]);
    assert!(alerts.iter().all(|a| a.bookmaker != BET9JA));
}

#[test]
fn a_competitor_12_percent_move_on_1x2_is_its_own_price_change_unless_switched_off() {
    let cycles = [
        cycle(vec![
            fetched(HOME, vec![market_x12()]),
            fetched(SPORTY, vec![market_x12()]),
        ]),
        cycle(vec![
            fetched(HOME, vec![market_x12()]),
            fetched(SPORTY, vec![x12("2.24", "3.40", "4.00")]),
        ]),
    ];
    let on = last_alerts(&cycles);
    let changes = of_type(&on, AlertType::PriceChange);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].bookmaker, SPORTY);
    assert_eq!(changes[0].outcome_name.as_deref(), Some("1"));
    assert_eq!(flat(changes[0]).change_pct, Some(12.0));
    assert_eq!(changes[0].severity, Severity::Elevated);
    let off = run_with(&mut Detector::new(), &home_only(), &cycles);
    assert_eq!(
        of_type(&off[1].alerts, AlertType::PriceChange),
        Vec::<&DetectedAlert>::new()
    );
}

#[test]
fn a_competitor_availability_flip_raises_both_halves_on_the_competitor() {
    let step = |sporty: Vec<MarketOdds>| {
        cycle(vec![
            fetched(HOME, vec![market_x12(), ou("1.90", "1.90")]),
            fetched(SPORTY, sporty),
        ])
    };
    let outputs = run_all(&[
        step(vec![market_x12(), ou("1.90", "1.90")]),
        step(vec![market_x12(), suspended(ou("1.90", "1.90"))]),
        step(vec![market_x12(), ou("1.90", "1.90")]),
    ]);
    for (n, change) in [
        (1, AvailabilityChange::Suspended),
        (2, AvailabilityChange::Returned),
    ] {
        let alerts = of_type(&outputs[n].alerts, AlertType::Availability);
        assert_eq!(alerts.len(), 1, "cycle {n}: {alerts:#?}");
        assert_eq!(alerts[0].bookmaker, SPORTY);
        assert_eq!(alerts[0].line, Some(Line::from_milli(2500)));
        assert_eq!(flat(alerts[0]).availability, Some(change));
    }
    assert_eq!(
        flat(of_type(&outputs[2].alerts, AlertType::Availability)[0]).unavailable_secs,
        Some(300)
    );
}

#[test]
fn a_competitor_pulling_an_event_is_one_event_level_alert() {
    let lines = ["0.5", "1.5", "2.5", "3.5"];
    let all = || {
        lines
            .iter()
            .map(|l| market(OVER_UNDER, Some(l), &[("Over", "1.90"), ("Under", "1.90")]))
            .collect::<Vec<_>>()
    };
    let outputs = run_all(&[
        cycle(vec![fetched(HOME, all()), fetched(SPORTY, all())]),
        cycle(vec![fetched(HOME, all()), fetched(SPORTY, vec![])]),
    ]);
    let alerts = of_type(&outputs[1].alerts, AlertType::Availability);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].bookmaker, SPORTY);
    assert_eq!(alerts[0].market_id, crate::domain::EVENT_MARKET_ID);
    assert_eq!(flat(alerts[0]).markets_affected, Some(4));
}

/// Three books' 1X2 from generated thousandths (1.10 to 12.00).
fn priced(p: &[u32]) -> MarketOdds {
    let s = |m: u32| Price::from_milli(m).to_string();
    x12(&s(p[0]), &s(p[1]), &s(p[2]))
}

fn prices() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(1_100u32..12_000, 3)
}

/// The severity of the `off_market` alert on "1" at first sight, if any.
fn off_market_severity(home: u32) -> Option<Severity> {
    let alerts = first_sight(books3(
        priced(&[home, 3_400, 3_400]),
        market_x12(),
        market_x12(),
    ));
    of_type(&alerts, AlertType::OffMarket)
        .iter()
        .find(|a| a.outcome_name.as_deref() == Some("1"))
        .map(|a| a.severity)
}

/// The severity of the `market_move` when both competitors move "1" from 2.00 to `to`.
fn market_move_severity(to: u32) -> Option<Severity> {
    let to = Price::from_milli(to).to_string();
    market_moves(&moves("2.00", &to, Some(&to)))
        .first()
        .map(|m| m.3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_order_of_the_books_changes_no_alert(
        home in prices(), sporty in prices(), bet9ja in prices(),
        home2 in prices(), sporty2 in prices(), bet9ja2 in prices(),
    ) {
        let forward = [
            books3(priced(&home), priced(&sporty), priced(&bet9ja)),
            books3(priced(&home2), priced(&sporty2), priced(&bet9ja2)),
        ];
        let reversed: Vec<CycleInput> = forward
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.events[0].books.reverse();
                c
            })
            .collect();
        let a = run_all(&forward);
        let b = run_all(&reversed);
        prop_assert_eq!(&a[0].alerts, &b[0].alerts);
        prop_assert_eq!(&a[1].alerts, &b[1].alerts);
    }

    #[test]
    fn an_identical_cycle_repeated_raises_nothing_new(
        home in prices(), sporty in prices(), bet9ja in prices(),
        home2 in prices(), sporty2 in prices(), bet9ja2 in prices(),
    ) {
        let second = books3(priced(&home2), priced(&sporty2), priced(&bet9ja2));
        let outputs = run_all(&[
            books3(priced(&home), priced(&sporty), priced(&bet9ja)),
            second.clone(),
            second,
        ]);
        prop_assert_eq!(&outputs[2].alerts, &vec![]);
    }

    #[test]
    fn off_market_severity_never_falls_as_the_edge_grows(a in 1_100u32..30_000, b in 1_100u32..30_000) {
        // The edge grows with the home price, the other prices fixed.
        let (low, high) = (a.min(b), a.max(b));
        prop_assert!(off_market_severity(low) <= off_market_severity(high));
    }

    #[test]
    fn market_move_severity_never_falls_as_the_median_move_grows(a in 1_000u32..1_940, b in 1_000u32..1_940) {
        // Both competitors down to the same price: the lower, the bigger the median move.
        let (small, big) = (a.max(b), a.min(b));
        let (s, g) = (market_move_severity(small), market_move_severity(big));
        prop_assert!(s.is_some() && g.is_some());
        prop_assert!(s <= g);
    }
}
