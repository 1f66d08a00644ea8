//! Tests of detection: the DESIGN.md §3 test vectors one per test (`vectors`), the filters and
//! choices (`filters`), availability and the state's lifecycle (`lifecycle`), the market
//! changes handed to persistence (`changes`), properties over generated cycles (`props`), and
//! the §9 rules with their vectors, competitor alerts and band memory (`market_rules`).
//!
//! Fixtures: cycles five minutes apart from [`t0`], kickoff a day later, the home book
//! `betpawa` against `sportybet` and `bet9ja`, built with the small helpers below.

mod bands;
mod changes;
mod filters;
mod lifecycle;
mod market_rules;
mod props;
mod vanish;
mod vectors;

use chrono::{DateTime, Duration, Utc};

use super::{BookScrape, CycleEvent, CycleInput, CycleOutput, Detector, EventBook, Rules};
use crate::domain::{
    AlertType, AvailabilityChange, DetectedAlert, Direction, EventOdds, FlatPayload, Line,
    MarketOdds, OutcomeOdds, Percent, Price,
};

pub(super) const HOME: &str = "betpawa";
pub(super) const SPORTY: &str = "sportybet";
pub(super) const BET9JA: &str = "bet9ja";
pub(super) const EVENT: &str = "61300947";
pub(super) const ONE_X_TWO: &str = "3743";
pub(super) const OVER_UNDER: &str = "5000";
/// Not a primary market (BetPawa's correct score is not among the five).
pub(super) const CORRECT_SCORE: &str = "3800";

/// The time of the first cycle.
pub(super) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The time of cycle `n` (0-based), five minutes apart.
pub(super) fn at(n: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(5 * n)
}

pub(super) fn kickoff() -> DateTime<Utc> {
    t0() + Duration::days(1)
}

pub(super) fn price(s: &str) -> Price {
    s.parse().unwrap()
}

/// A market whose outcomes are all active.
pub(super) fn market(id: &str, line: Option<&str>, outcomes: &[(&str, &str)]) -> MarketOdds {
    MarketOdds {
        market_id: id.to_string(),
        market_name: market_name(id).to_string(),
        line: line.map(|l| l.parse::<Line>().unwrap()),
        outcomes: outcomes
            .iter()
            .map(|(name, p)| OutcomeOdds {
                name: (*name).to_string(),
                price: price(p),
                active: true,
            })
            .collect(),
    }
}

fn market_name(id: &str) -> &'static str {
    match id {
        ONE_X_TWO => "1X2 | Full Time",
        OVER_UNDER => "Over/Under | Full Time",
        CORRECT_SCORE => "Correct Score | Full Time",
        _ => "Other",
    }
}

/// 1X2 with the home price `home` and fixed draw/away prices.
pub(super) fn one_x_two(home: &str) -> MarketOdds {
    market(
        ONE_X_TWO,
        None,
        &[("1", home), ("X", "3.40"), ("2", "3.80")],
    )
}

/// Over/under on `line` with the over price `over`.
pub(super) fn over_under(line: &str, over: &str) -> MarketOdds {
    market(OVER_UNDER, Some(line), &[("Over", over), ("Under", "1.90")])
}

/// The same market with every outcome suspended.
pub(super) fn suspended(mut market: MarketOdds) -> MarketOdds {
    for outcome in &mut market.outcomes {
        outcome.active = false;
    }
    market
}

pub(super) fn fetched(book: &str, markets: Vec<MarketOdds>) -> EventBook {
    fetched_for(EVENT, book, markets)
}

pub(super) fn fetched_for(event_key: &str, book: &str, markets: Vec<MarketOdds>) -> EventBook {
    EventBook {
        book: book.to_string(),
        scrape: BookScrape::Fetched(EventOdds {
            event_key: event_key.to_string(),
            book_event_id: format!("{book}-{event_key}"),
            home_team: "Debreceni".to_string(),
            away_team: "Ferencvaros".to_string(),
            tournament: None,
            country: None,
            kickoff: Some(kickoff()),
            markets,
        }),
    }
}

pub(super) fn failed(book: &str) -> EventBook {
    EventBook {
        book: book.to_string(),
        scrape: BookScrape::Failed,
    }
}

/// A cycle of one event ([`EVENT`], kicking off at [`kickoff`]).
pub(super) fn cycle(books: Vec<EventBook>) -> CycleInput {
    cycle_of(vec![event(EVENT, books)])
}

pub(super) fn event(event_key: &str, books: Vec<EventBook>) -> CycleEvent {
    CycleEvent {
        event_key: event_key.to_string(),
        kickoff: Some(kickoff()),
        books,
    }
}

pub(super) fn cycle_of(events: Vec<CycleEvent>) -> CycleInput {
    CycleInput {
        home_book: HOME.to_string(),
        failed_books: Default::default(),
        enabled_competitors: 2,
        events,
    }
}

/// Runs the cycles with the default rules, cycle `n` at [`at`]`(n)`; returns every output.
pub(super) fn run_all(cycles: &[CycleInput]) -> Vec<CycleOutput> {
    run_with(&mut Detector::new(), &Rules::default(), cycles)
}

pub(super) fn run_with(
    detector: &mut Detector,
    rules: &Rules,
    cycles: &[CycleInput],
) -> Vec<CycleOutput> {
    cycles
        .iter()
        .enumerate()
        .map(|(n, c)| detector.detect_cycle(c, rules, at(n as i64)))
        .collect()
}

/// The alerts of the last of the cycles.
pub(super) fn last_alerts(cycles: &[CycleInput]) -> Vec<DetectedAlert> {
    run_all(cycles).pop().unwrap().alerts
}

/// Two cycles in which the home book's 1X2 home price moves `old → new` while sportybet quotes
/// an unchanged 1X2; the alerts of the second cycle.
pub(super) fn home_moves(old: &str, new: &str) -> Vec<DetectedAlert> {
    let competitor = || fetched(SPORTY, vec![one_x_two("2.00")]);
    last_alerts(&[
        cycle(vec![fetched(HOME, vec![one_x_two(old)]), competitor()]),
        cycle(vec![fetched(HOME, vec![one_x_two(new)]), competitor()]),
    ])
}

/// Two cycles in which the home book moves the 1X2 home price `home_old → home_new` and
/// sportybet moves it `comp_old → comp_new`; the alerts of the second cycle.
pub(super) fn both_move(
    (home_old, home_new): (&str, &str),
    (comp_old, comp_new): (&str, &str),
) -> Vec<DetectedAlert> {
    last_alerts(&[
        cycle(vec![
            fetched(HOME, vec![one_x_two(home_old)]),
            fetched(SPORTY, vec![one_x_two(comp_old)]),
        ]),
        cycle(vec![
            fetched(HOME, vec![one_x_two(home_new)]),
            fetched(SPORTY, vec![one_x_two(comp_new)]),
        ]),
    ])
}

/// An alert's payload in the flat columns it is stored in, prices and percentages as the
/// floats stored, so expectations read like the design's vectors (`Some(-10.0)`).
#[derive(Debug)]
pub(super) struct Flat {
    pub change_pct: Option<f64>,
    pub old_price: Option<f64>,
    pub new_price: Option<f64>,
    pub competitor_bookmaker: Option<String>,
    pub competitor_old_price: Option<f64>,
    pub competitor_new_price: Option<f64>,
    pub competitor_direction: Option<Direction>,
    pub gap_pct: Option<f64>,
    pub availability: Option<AvailabilityChange>,
    pub unavailable_secs: Option<i64>,
    pub markets_affected: Option<i64>,
}

/// [`Flat`] of an alert.
pub(super) fn flat(alert: &DetectedAlert) -> Flat {
    let f = FlatPayload::from(&alert.payload);
    let price = |p: Option<Price>| p.map(Price::as_f64);
    let pct = |p: Option<Percent>| p.map(Percent::as_f64);
    Flat {
        change_pct: pct(f.change_pct),
        old_price: price(f.old_price),
        new_price: price(f.new_price),
        competitor_bookmaker: f.competitor_bookmaker,
        competitor_old_price: price(f.competitor_old_price),
        competitor_new_price: price(f.competitor_new_price),
        competitor_direction: f.competitor_direction,
        gap_pct: pct(f.gap_pct),
        availability: f.availability,
        unavailable_secs: f.unavailable_secs,
        markets_affected: f.markets_affected,
    }
}

/// The §3 alerts of `alerts` (`price_change`, `direction_disagreement`, `availability`). The
/// §9 rules see the same prices and may add alerts of their own (a home price far from a
/// fixture's competitor is off the market, a fixture's 1X2 at 3.00/3.40/3.80 is an
/// arbitrage); DESIGN §9 has a unit test of one rule check that rule's output.
pub(super) fn section3(alerts: &[DetectedAlert]) -> Vec<DetectedAlert> {
    alerts
        .iter()
        .filter(|a| {
            matches!(
                a.alert_type(),
                AlertType::PriceChange | AlertType::DirectionDisagreement | AlertType::Availability
            )
        })
        .cloned()
        .collect()
}

/// The default rules with `competitor_alerts` off: alerts about the home book only, for the
/// tests of the home book's filters.
pub(super) fn home_only() -> Rules {
    Rules {
        competitor_alerts: false,
        ..Rules::default()
    }
}

/// The alerts of one type.
pub(super) fn of_type(alerts: &[DetectedAlert], alert_type: AlertType) -> Vec<&DetectedAlert> {
    alerts
        .iter()
        .filter(|a| a.alert_type() == alert_type)
        .collect()
}
