//! Properties over generated cycles: a few events on three books, markets drawn from a small
//! pool (primary and not, with and without lines, duplicates allowed), prices from a set that
//! produces every severity and direction, some outcomes suspended, some fetches failed.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::detect::{MarketChange, PriceUpdate, SeenMarket, change_hundredths};
use crate::domain::Severity;

const BOOKS: [&str; 3] = [HOME, SPORTY, BET9JA];
/// (market id, line in thousandths).
const MARKETS: [(&str, Option<i32>); 5] = [
    (ONE_X_TWO, None),
    (OVER_UNDER, Some(2500)),
    (OVER_UNDER, Some(3500)),
    ("3774", Some(-500)),
    (CORRECT_SCORE, None),
];
const OUTCOMES: [&str; 3] = ["1", "X", "2"];
/// Prices in thousandths: no price, and moves of every size around 2.00.
const PRICES: [u32; 10] = [0, 1500, 1605, 1900, 1990, 2000, 2010, 2140, 2400, 3000];

/// (outcome index, price in thousandths, active).
type OutcomeSpec = (usize, u32, bool);
/// (market index, outcomes).
type MarketSpec = (usize, Vec<OutcomeSpec>);

/// What one book returned for one event.
#[derive(Debug, Clone)]
enum BookSpec {
    NotListed,
    Failed,
    Fetched(Vec<MarketSpec>),
}

#[derive(Debug, Clone)]
struct EventSpec {
    has_kickoff: bool,
    books: [BookSpec; 3],
}

fn book_spec() -> impl Strategy<Value = BookSpec> {
    let outcome = (
        0..OUTCOMES.len(),
        prop::sample::select(&PRICES[..]),
        prop::bool::weighted(0.9),
    );
    let market = (0..MARKETS.len(), prop::collection::vec(outcome, 0..4));
    prop_oneof![
        1 => Just(BookSpec::NotListed),
        1 => Just(BookSpec::Failed),
        6 => prop::collection::vec(market, 0..6).prop_map(BookSpec::Fetched),
    ]
}

fn cycle_spec() -> impl Strategy<Value = Vec<EventSpec>> {
    let event = (
        prop::bool::weighted(0.9),
        [book_spec(), book_spec(), book_spec()],
    )
        .prop_map(|(has_kickoff, books)| EventSpec { has_kickoff, books });
    prop::collection::vec(event, 1..4)
}

fn build(spec: &[EventSpec]) -> CycleInput {
    let events = spec
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let key = format!("e{n}");
            let books = e
                .books
                .iter()
                .zip(BOOKS)
                .filter_map(|(b, book)| match b {
                    BookSpec::NotListed => None,
                    BookSpec::Failed => Some(failed(book)),
                    BookSpec::Fetched(markets) => Some(fetched_for(
                        &key,
                        book,
                        markets.iter().map(build_market).collect(),
                    )),
                })
                .collect();
            CycleEvent {
                kickoff: e.has_kickoff.then(kickoff),
                ..event(&key, books)
            }
        })
        .collect();
    cycle_of(events)
}

fn build_market((index, outcomes): &MarketSpec) -> MarketOdds {
    let (id, line) = MARKETS[*index];
    MarketOdds {
        market_id: id.to_string(),
        market_name: format!("market {id}"),
        line: line.map(Line::from_milli),
        outcomes: outcomes
            .iter()
            .map(|&(name, price, active)| OutcomeOdds {
                name: OUTCOMES[name].to_string(),
                price: Price::from_milli(price),
                active,
            })
            .collect(),
    }
}

/// Shuffles events and the books within each event (a seeded Fisher–Yates).
fn shuffled(input: &CycleInput, seed: u64) -> CycleInput {
    let mut state = seed | 1;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut out = input.clone();
    for i in (1..out.events.len()).rev() {
        out.events.swap(i, next(i + 1));
    }
    for event in &mut out.events {
        for i in (1..event.books.len()).rev() {
            event.books.swap(i, next(i + 1));
        }
    }
    out
}

type ChangeKey = (String, String, String, Option<Line>, PriceUpdate, bool);

/// Market changes keyed by what they point at, sorted, so inputs in any order compare.
fn resolved_changes(input: &CycleInput, changes: &[MarketChange]) -> Vec<ChangeKey> {
    let mut keys: Vec<ChangeKey> = changes
        .iter()
        .map(|c| {
            let r = input.resolve(c);
            (
                r.event_key.to_string(),
                r.book.to_string(),
                r.market.market_id.clone(),
                r.market.line,
                c.prices,
                c.available,
            )
        })
        .collect();
    keys.sort();
    keys
}

/// What the state must hold for a fetched book: its markets, first of each (market, line),
/// outcomes deduplicated by name, available unless every outcome is suspended.
fn expected_state(markets: &[MarketOdds]) -> BTreeMap<(String, Option<Line>), (MarketOdds, bool)> {
    let mut expected = BTreeMap::new();
    for market in markets {
        let key = (market.market_id.clone(), market.line);
        if expected.contains_key(&key) {
            continue;
        }
        let mut deduped = market.clone();
        deduped.outcomes.clear();
        for outcome in &market.outcomes {
            if !deduped.outcomes.iter().any(|o| o.name == outcome.name) {
                deduped.outcomes.push(outcome.clone());
            }
        }
        let available = !deduped.is_suspended();
        expected.insert(key, (deduped, available));
    }
    expected
}

fn assert_state_matches(seen: &[SeenMarket], markets: &[MarketOdds]) {
    let expected = expected_state(markets);
    for market in seen {
        let key = (market.market.market_id.clone(), market.market.line);
        match expected.get(&key) {
            Some((odds, available)) => {
                assert_eq!(&market.market, odds);
                assert_eq!(market.available, *available);
            }
            // Remembered from an earlier scrape: vanished, so unavailable and without outcomes.
            None => assert!(
                !market.available && market.market.outcomes.is_empty(),
                "{market:?}"
            ),
        }
    }
    let present = seen
        .iter()
        .filter(|m| expected.contains_key(&(m.market.market_id.clone(), m.market.line)));
    assert_eq!(present.count(), expected.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_cycle_repeated_unchanged_raises_no_alert_and_changes_nothing(spec in cycle_spec()) {
        let input = build(&spec);
        let outputs = run_all(&[input.clone(), input]);
        prop_assert_eq!(&outputs[1].alerts, &vec![]);
        prop_assert_eq!(&outputs[1].vanished, &vec![]);
        for change in &outputs[1].market_changes {
            prop_assert_eq!(change.prices, PriceUpdate::Unchanged);
            prop_assert_eq!(change.availability, None);
        }
    }

    #[test]
    fn the_order_of_events_and_books_in_a_cycle_changes_nothing(
        first in cycle_spec(),
        second in cycle_spec(),
        seed in any::<u64>(),
    ) {
        let inputs = [build(&first), build(&second)];
        let shuffled_inputs = [shuffled(&inputs[0], seed), shuffled(&inputs[1], seed.rotate_left(17))];
        let plain = run_all(&inputs);
        let mixed = run_all(&shuffled_inputs);
        for n in 0..2 {
            prop_assert_eq!(&plain[n].alerts, &mixed[n].alerts);
            prop_assert_eq!(&plain[n].counters, &mixed[n].counters);
            prop_assert_eq!(
                resolved_changes(&inputs[n], &plain[n].market_changes),
                resolved_changes(&shuffled_inputs[n], &mixed[n].market_changes)
            );
            prop_assert_eq!(plain[n].vanished.len(), mixed[n].vanished.len());
        }
    }

    #[test]
    fn alert_counters_add_up_to_the_alerts(first in cycle_spec(), second in cycle_spec()) {
        let output = run_all(&[build(&first), build(&second)]).pop().unwrap();
        let c = output.counters;
        prop_assert_eq!(
            (c.price_change_alerts
                + c.direction_alerts
                + c.availability_alerts
                + c.market_move_alerts
                + c.off_market_alerts
                + c.margin_alerts) as usize,
            output.alerts.len()
        );
        let competitor = output.alerts.iter().filter(|a| a.bookmaker != HOME).count();
        prop_assert_eq!(c.competitor_alerts as usize, competitor);
        for alert in &output.alerts {
            if alert.bookmaker != HOME {
                // Competitors raise only their own price changes and availability.
                prop_assert!(matches!(
                    alert.alert_type(),
                    AlertType::PriceChange | AlertType::Availability
                ));
            }
            // An event-level availability alert stands for several markets, one of them
            // at least primary.
            prop_assert!(
                alert.market_id == crate::domain::EVENT_MARKET_ID
                    || Rules::default().is_primary(&alert.market_id)
            );
        }
    }

    #[test]
    fn a_failed_book_raises_no_alert_and_keeps_its_state(
        first in cycle_spec(),
        second in cycle_spec(),
        failing in prop::collection::vec(prop::bool::ANY, 12),
    ) {
        let before = build(&first);
        let mut after = build(&second);
        let mut failed_pairs = Vec::new();
        for (e, event) in after.events.iter_mut().enumerate() {
            for (b, entry) in event.books.iter_mut().enumerate() {
                if failing[(e * 3 + b) % failing.len()] {
                    entry.scrape = BookScrape::Failed;
                }
                if entry.scrape == BookScrape::Failed {
                    failed_pairs.push((event.event_key.clone(), entry.book.clone()));
                }
            }
        }
        let mut detector = Detector::new();
        detector.detect_cycle(&before, &Rules::default(), at(0));
        let state_before: Vec<_> = failed_pairs.iter().map(|(e, b)| detector.last_seen(e, b)).collect();
        let output = detector.detect_cycle(&after, &Rules::default(), at(1));
        for alert in &output.alerts {
            let pair = |book: &str| failed_pairs.contains(&(alert.event_key.clone(), book.to_string()));
            prop_assert!(!pair(&alert.bookmaker), "{:?}", alert);
            prop_assert!(!flat(alert).competitor_bookmaker.as_deref().is_some_and(pair), "{:?}", alert);
        }
        for vanished in &output.vanished {
            let (e, b) = after.resolve_vanished(vanished);
            prop_assert!(!failed_pairs.contains(&(e.to_string(), b.to_string())));
        }
        let state_after: Vec<_> = failed_pairs.iter().map(|(e, b)| detector.last_seen(e, b)).collect();
        prop_assert_eq!(state_before, state_after);
    }

    #[test]
    fn the_state_after_a_cycle_equals_its_successful_snapshots(
        first in cycle_spec(),
        second in cycle_spec(),
    ) {
        let mut detector = Detector::new();
        let inputs = [build(&first), build(&second)];
        for (n, input) in inputs.iter().enumerate() {
            detector.detect_cycle(input, &Rules::default(), at(n as i64));
            for event in &input.events {
                for entry in &event.books {
                    if let BookScrape::Fetched(odds) = &entry.scrape {
                        let seen = detector.last_seen(&event.event_key, &entry.book).unwrap();
                        assert_state_matches(&seen, &odds.markets);
                    }
                }
            }
        }
    }

    #[test]
    fn severity_is_monotone_in_the_size_of_the_change(
        old in 1u32..=50_000,
        a in 1u32..=100_000,
        b in 1u32..=100_000,
        warning in 1i64..=3_000,
        steps in (1i64..=3_000, 1i64..=3_000),
    ) {
        let rules = Rules {
            warning_hundredths: warning,
            elevated_hundredths: warning + steps.0,
            critical_hundredths: warning + steps.0 + steps.1,
            ..Rules::default()
        };
        let change = |new: u32| change_hundredths(Price::from_milli(old), Price::from_milli(new)).unwrap();
        let (small, large) = if change(a).abs() <= change(b).abs() { (a, b) } else { (b, a) };
        prop_assert!(rules.severity_for(change(small)) <= rules.severity_for(change(large)));
    }

    #[test]
    fn the_detected_price_change_severity_grows_with_the_move(
        old in prop::sample::select(&PRICES[1..]),
        smaller in 0u32..=800,
        extra in 0u32..=800,
        up in prop::bool::ANY,
    ) {
        let severity = |delta: u32| {
            let new = if up { old + delta } else { old.saturating_sub(delta).max(1) };
            let render = |p: u32| Price::from_milli(p).to_string();
            home_moves(&render(old), &render(new))
                .iter()
                .find(|a| a.alert_type() == AlertType::PriceChange)
                .map(|a| a.severity)
        };
        let low: Option<Severity> = severity(smaller);
        prop_assert!(low <= severity(smaller + extra));
    }
}
