//! `margin`: the home book's own overround on one market (§9).

use super::consensus::{Quote, is_complete};
use super::exact::{Nat, hundredths_above};
use super::{Band, MarketRules};

/// A complete home market's margin and its band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Margin {
    /// `Σ 1/o_i − 1` in hundredths of a percent, rounded half away from zero. Negative is an
    /// arbitrage: backing every outcome wins whatever happens.
    pub margin: i64,
    /// Critical below 0, warning below the floor, [`Band::None`] otherwise (never elevated).
    pub band: Band,
}

/// The margin of a complete home market (every outcome offered), `None` otherwise. It needs no
/// competitor.
///
/// With prices `m_i` in thousandths, `Σ 1/o_i = 1000 × Σ_i Π_{k≠i} m_k / Π_k m_k`, so the
/// margin is `(1000 × S − P) / P` with `S` that sum of products and `P` the product: exact in
/// integers, rounded only at the end. The band is decided on the rounded margin.
pub fn margin(home: &[Quote<'_>], rules: &MarketRules) -> Option<Margin> {
    if !is_complete(home) {
        return None;
    }
    let prices: Vec<Nat> = home.iter().map(|q| Nat::from(q.price.milli())).collect();
    let product = prices.iter().fold(Nat::from(1u32), |acc, m| acc.mul(m));
    let sum = (0..prices.len()).fold(Nat::ZERO, |acc, i| {
        let others = prices
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != i)
            .fold(Nat::from(1u32), |p, (_, m)| p.mul(m));
        acc.add(&others)
    });
    let margin = hundredths_above(&sum.times(1000), &product);
    let band = if margin < 0 {
        Band::Critical
    } else if margin < rules.margin_floor {
        Band::Warning
    } else {
        Band::None
    };
    Some(Margin { margin, band })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(odds: &[&str]) -> Vec<Quote<'static>> {
        const NAMES: [&str; 4] = ["a", "b", "c", "d"];
        odds.iter()
            .zip(NAMES)
            .map(|(o, n)| Quote {
                outcome: n,
                price: o.parse().unwrap(),
            })
            .collect()
    }

    #[test]
    fn the_floor_is_strict_and_exactly_two_percent_is_fine() {
        // 2 / 1.96 − 1 = 2.0408… % → 2.04 %: not below a 2.04 % floor, below a 2.05 % one.
        let rules = MarketRules {
            margin_floor: 204,
            ..MarketRules::default()
        };
        let at_floor = margin(&quotes(&["1.96", "1.96"]), &rules).unwrap();
        assert_eq!((at_floor.margin, at_floor.band), (204, Band::None));
        let rules = MarketRules {
            margin_floor: 205,
            ..MarketRules::default()
        };
        assert_eq!(
            margin(&quotes(&["1.96", "1.96"]), &rules).unwrap().band,
            Band::Warning
        );
    }

    #[test]
    fn zero_margin_is_a_warning_not_an_arbitrage() {
        let fair = margin(&quotes(&["2.00", "2.00"]), &MarketRules::default()).unwrap();
        assert_eq!((fair.margin, fair.band), (0, Band::Warning));
    }

    #[test]
    fn an_incomplete_market_has_no_margin() {
        assert_eq!(
            margin(&quotes(&["2.00", "0"]), &MarketRules::default()),
            None
        );
        assert_eq!(margin(&[], &MarketRules::default()), None);
    }
}
