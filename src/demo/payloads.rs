//! Payloads of the types that carry more than one book's move, built as the detector builds
//! them (src/detect/raise.rs and src/detect/market): severities from the same bands, figures
//! computed from the prices they are shown with, so the detail pane's arithmetic adds up.

use rand::Rng;
use rand::rngs::SmallRng;

use super::{BOOKS, random_move, severity_of};
use crate::domain::{
    AlertPayload, BookFairOdds, CompetitorMove, Direction, Disagreement, MarginBreach,
    MarketLeftBehind, Mover, OffMarketPrice, OutcomeQuote, Percent, Price, PriceMove, Severity,
};

/// A competitor other than the home book.
fn competitor(rng: &mut SmallRng) -> &'static str {
    BOOKS[rng.gen_range(1..BOOKS.len())]
}

/// A `direction_disagreement` against the home book's `home` move: elevated, critical when the
/// home move alone is critical (DESIGN §3).
pub(super) fn disagreement(rng: &mut SmallRng, home: PriceMove) -> (Severity, AlertPayload) {
    let home_up = home.new > home.old;
    let comp_old = Price::from_milli(home.old.milli() + rng.gen_range(0..200));
    let step = rng.gen_range(20..300);
    let comp_new = if home_up {
        Price::from_milli(comp_old.milli().saturating_sub(step).max(1_010))
    } else {
        Price::from_milli(comp_old.milli() + step)
    };
    let severity = if severity_of(home.change_pct.as_f64()) == Some(Severity::Critical) {
        Severity::Critical
    } else {
        Severity::Elevated
    };
    let disagreement = Disagreement {
        home,
        competitor: CompetitorMove {
            bookmaker: competitor(rng).into(),
            old: comp_old,
            new: comp_new,
            direction: if home_up {
                Direction::Down
            } else {
                Direction::Up
            },
        },
        gap_pct: home.new.gap_to(comp_new).unwrap_or_default(),
    };
    (severity, AlertPayload::DirectionDisagreement(disagreement))
}

/// A `market_move`: both competitors moved the outcome the same way by 7–30 % while the home
/// book stood still; severity from the median move, on the price-change bands.
pub(super) fn market_move(rng: &mut SmallRng) -> (Severity, AlertPayload) {
    let first = random_move(rng, 7.0, 30.0);
    let down = first.new < first.old;
    let mut movers: Vec<Mover> = BOOKS[1..]
        .iter()
        .map(|book| {
            let moved = loop {
                let m = random_move(rng, 7.0, 30.0);
                if (m.new < m.old) == down {
                    break m;
                }
            };
            // Every book starts from the same price, as the market's did.
            let new = Price::from_f64(first.old.as_f64() * moved.new.as_f64() / moved.old.as_f64())
                .unwrap_or(first.old);
            let change_pct = first.old.change_to(new).unwrap_or_default();
            Mover {
                bookmaker: (*book).into(),
                old: first.old,
                new,
                change_pct,
            }
        })
        .collect();
    movers.sort_by(|a, b| a.bookmaker.cmp(&b.bookmaker));
    let mut changes: Vec<i64> = movers.iter().map(|m| m.change_pct.hundredths()).collect();
    changes.sort_unstable();
    // Two movers: the median is their mean, rounded half away from zero.
    let sum = changes.iter().sum::<i64>();
    let median = (sum + sum.signum()) / 2;
    let median_change_pct = Percent::from_hundredths(median);
    let severity = severity_of(median_change_pct.as_f64()).unwrap_or(Severity::Warning);
    let payload = MarketLeftBehind {
        direction: if down { Direction::Down } else { Direction::Up },
        median_change_pct,
        home: PriceMove::between(first.old, first.old).expect("demo prices are above 1.1"),
        movers,
    };
    (severity, AlertPayload::MarketMove(payload))
}

/// An `off_market`: our price 3–14 % above the competitors' fair odds (bands 3 / 6 / 10 %).
pub(super) fn off_market(rng: &mut SmallRng) -> (Severity, AlertPayload) {
    let fair = Price::from_milli(rng.gen_range(150..600) * 10);
    let edge_target = rng.gen_range(3.0..14.0);
    let price = Price::from_f64(fair.as_f64() * (1.0 + edge_target / 100.0)).unwrap_or(fair);
    let edge = (price.as_f64() / fair.as_f64() - 1.0) * 100.0;
    let edge_pct = Percent::from_f64(edge).unwrap_or_default();
    let severity = match edge_pct.hundredths() {
        e if e >= 1000 => Severity::Critical,
        e if e >= 600 => Severity::Elevated,
        _ => Severity::Warning,
    };
    let books = BOOKS[1..]
        .iter()
        .map(|book| BookFairOdds {
            bookmaker: (*book).into(),
            // A competitor's offer is its fair odds less its own margin of ~5 %.
            price: Price::from_f64(fair.as_f64() / 1.05).unwrap_or(fair),
            fair_odds: fair,
        })
        .collect();
    let payload = OffMarketPrice {
        price,
        edge_pct,
        fair_odds: fair,
        pattern: None,
        books,
    };
    (severity, AlertPayload::OffMarket(payload))
}

/// A `margin`: the home book's prices on the market with an overround under the 2 % floor,
/// warning, or below zero (an arbitrage on our own book), critical. The margin is computed from
/// the prices shown.
pub(super) fn margin(rng: &mut SmallRng, outcomes: &[&str]) -> (Severity, AlertPayload) {
    loop {
        let weights: Vec<f64> = outcomes.iter().map(|_| rng.gen_range(1.0..4.0)).collect();
        let total: f64 = weights.iter().sum();
        let target = rng.gen_range(-3.0..1.9) / 100.0;
        let prices: Vec<Price> = weights
            .iter()
            .map(|w| Price::from_milli(((total / w / (1.0 + target)) * 100.0).round() as u32 * 10))
            .collect();
        let overround: f64 = prices.iter().map(|p| 1.0 / p.as_f64()).sum::<f64>() - 1.0;
        let Some(margin_pct) = Percent::from_f64(overround * 100.0) else {
            continue;
        };
        let severity = match margin_pct.hundredths() {
            m if m < 0 => Severity::Critical,
            m if m < 200 => Severity::Warning,
            _ => continue,
        };
        let prices = outcomes
            .iter()
            .zip(prices)
            .map(|(outcome, price)| OutcomeQuote {
                outcome: (*outcome).into(),
                price,
            })
            .collect();
        return (
            severity,
            AlertPayload::Margin(MarginBreach { margin_pct, prices }),
        );
    }
}
