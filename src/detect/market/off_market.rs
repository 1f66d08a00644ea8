//! `off_market`: the home book's price against the market's margin-free consensus (§9).

use serde::{Deserialize, Serialize};

use super::consensus::{BookQuotes, Quote, aligned, consensus, fair_price, is_complete};
use super::exact::{Nat, hundredths_above};
use super::{Band, MarketRules};
use crate::domain::Price;

/// An edge of at least 400.00 % is a digit error (`factor`): 20.00 posted for 2.00.
pub const FACTOR_EDGE_HUNDREDTHS: i64 = 40_000;

/// `swapped` tolerance: a home price within 1/20 (5 %) of the other outcome's fair odds.
const SWAP_TOLERANCE_DIVISOR: u128 = 20;

/// What kind of palpable error an outcome's price looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// No recognisable pattern: just off the market.
    #[default]
    None,
    /// Two outcomes' prices swapped: each home price sits within 5 % of the other outcome's
    /// fair odds, and those fair odds are more than 20 % apart.
    Swapped,
    /// An edge of at least [`FACTOR_EDGE_HUNDREDTHS`]: a price off by a factor (a digit).
    Factor,
}

/// One home outcome against the consensus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeEdge<'a> {
    /// The outcome's name.
    pub outcome: &'a str,
    /// The home book's price.
    pub home_price: Price,
    /// `home_price × p̄ − 1` in hundredths of a percent, rounded half away from zero: what a
    /// bettor expects to win per unit staked against us at the market's fair price.
    pub edge: i64,
    /// The consensus fair odds `1 / p̄`, rounded half away from zero to two decimals.
    pub fair_odds: Price,
    /// The palpable-error pattern, whatever the band.
    pub pattern: Pattern,
    /// The edge's band on `off_market`'s bounds, raised to critical when a pattern holds;
    /// [`Band::None`] below warning (nothing raised, pattern or not).
    pub band: Band,
}

/// `off_market` for one complete home market: the books counted and every outcome's edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffMarket<'a, B> {
    /// The competitors whose complete market made the consensus, sorted.
    pub books: Vec<B>,
    /// One entry per home outcome, in the home market's order.
    pub outcomes: Vec<OutcomeEdge<'a>>,
}

impl<B> OffMarket<'_, B> {
    /// The outcomes that reach a band (what the rule raises, before the band-entry memory).
    pub fn banded(&self) -> impl Iterator<Item = &OutcomeEdge<'_>> {
        self.outcomes.iter().filter(|o| o.band > Band::None)
    }
}

/// Evaluates `off_market` on one home market (market id and line) and the same market on the
/// competitors, for the current cycle.
///
/// `None` unless the home market is complete (every outcome offered) and at least
/// [`MarketRules::required_books`]`(enabled_competitors)` competitors price the same complete
/// market (every home outcome offered, no other outcome). A book listed twice counts once
/// (its first entry).
///
/// With `q_ji = (1/o_ji) / Σ_k (1/o_jk)` for each counted book `j` and `p̄_i` their mean:
/// `edge_i = home_i × p̄_i − 1` and `fair_i = 1 / p̄_i`, both exact until rounded, the band
/// on the rounded edge. The result does not depend on the order of the books or quotes.
pub fn off_market<'a, B: Ord + Clone>(
    home: &[Quote<'a>],
    competitors: &[BookQuotes<'_, B>],
    enabled_competitors: usize,
    rules: &MarketRules,
) -> Option<OffMarket<'a, B>> {
    if !is_complete(home) {
        return None;
    }
    let mut counted: Vec<(B, Vec<u32>)> = Vec::with_capacity(competitors.len());
    for competitor in competitors {
        if counted.iter().any(|(book, _)| *book == competitor.book) {
            continue;
        }
        if let Some(prices) = aligned(home, competitor.quotes) {
            counted.push((competitor.book.clone(), prices));
        }
    }
    if counted.len() < rules.required_books(enabled_competitors) {
        return None;
    }
    counted.sort_by(|a, b| a.0.cmp(&b.0));
    let (books, prices): (Vec<B>, Vec<Vec<u32>>) = counted.into_iter().unzip();
    let consensus = consensus(&prices)?;
    let home_milli: Vec<Nat> = home.iter().map(|q| Nat::from(q.price.milli())).collect();
    // p̄_i = numer_i / denom and home_i = H_i / 1000, so home_i × p̄_i = X_i / Y with
    // X_i = H_i × numer_i and Y = 1000 × denom.
    let one = consensus.denom.times(1000);
    let outcomes = home
        .iter()
        .enumerate()
        .map(|(i, quote)| {
            let numer = &consensus.numer[i];
            let edge = hundredths_above(&home_milli[i].mul(numer), &one);
            let pattern = if is_swapped(i, &home_milli, &consensus.numer, &one) {
                Pattern::Swapped
            } else if edge >= FACTOR_EDGE_HUNDREDTHS {
                Pattern::Factor
            } else {
                Pattern::None
            };
            let band = match rules.off_market.band(edge) {
                Band::None => Band::None,
                _ if pattern != Pattern::None => Band::Critical,
                band => band,
            };
            OutcomeEdge {
                outcome: quote.outcome,
                home_price: quote.price,
                edge,
                fair_odds: fair_price(numer, &consensus.denom),
                pattern,
                band,
            }
        })
        .collect();
    Some(OffMarket { books, outcomes })
}

/// True when outcome `a` and some other outcome `b` look swapped: `home_a` within 5 % of
/// `fair_b`, `home_b` within 5 % of `fair_a`, and the fair odds more than 20 % apart.
fn is_swapped(a: usize, home: &[Nat], numer: &[Nat], one: &Nat) -> bool {
    (0..numer.len()).any(|b| {
        b != a
            && near_fair(&home[a], &numer[b], one)
            && near_fair(&home[b], &numer[a], one)
            && fair_odds_apart(&numer[a], &numer[b])
    })
}

/// `|home − fair| ≤ fair / 20` with `home = H / 1000` and `fair = denom / numer`; multiplied
/// through by `1000 × numer` it is `20 × |H × numer − one| ≤ one` with `one = 1000 × denom`.
fn near_fair(home_milli: &Nat, numer: &Nat, one: &Nat) -> bool {
    let scaled = home_milli.mul(numer);
    let distance = if scaled >= *one {
        scaled.sub(one)
    } else {
        one.sub(&scaled)
    };
    distance.times(SWAP_TOLERANCE_DIVISOR) <= *one
}

/// The higher fair odds exceed the lower by more than 20 % of the lower. Fair odds are
/// `denom / numer`, so that is `max(numer) > 1.2 × min(numer)`, i.e. `5 × max > 6 × min`.
fn fair_odds_apart(a: &Nat, b: &Nat) -> bool {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    high.times(5) > low.times(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Books "a" and "b" both pricing `market`.
    fn two_books<'q, 'a>(market: &'q [Quote<'a>]) -> [BookQuotes<'q, &'static str>; 2] {
        [
            BookQuotes {
                book: "a",
                quotes: market,
            },
            BookQuotes {
                book: "b",
                quotes: market,
            },
        ]
    }

    fn quotes<'a>(names: &[&'a str], odds: &[&str]) -> Vec<Quote<'a>> {
        names
            .iter()
            .zip(odds)
            .map(|(n, o)| Quote {
                outcome: n,
                price: o.parse().unwrap(),
            })
            .collect()
    }

    const ONE_X_TWO: [&str; 3] = ["1", "X", "2"];

    #[test]
    fn an_incomplete_home_market_is_not_evaluated() {
        let home = quotes(&ONE_X_TWO, &["2.30", "0", "3.40"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = two_books(&market);
        assert_eq!(off_market(&home, &books, 2, &MarketRules::default()), None);
    }

    #[test]
    fn a_book_listed_twice_counts_once() {
        let home = quotes(&ONE_X_TWO, &["2.30", "3.40", "3.40"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = [
            BookQuotes {
                book: "a",
                quotes: &market,
            },
            BookQuotes {
                book: "a",
                quotes: &market,
            },
        ];
        assert_eq!(off_market(&home, &books, 2, &MarketRules::default()), None);
    }

    #[test]
    fn one_enabled_competitor_is_enough_when_only_one_is_enabled() {
        let home = quotes(&ONE_X_TWO, &["2.30", "3.40", "3.40"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = [BookQuotes {
            book: "a",
            quotes: &market,
        }];
        let result = off_market(&home, &books, 1, &MarketRules::default()).unwrap();
        assert_eq!(result.books, ["a"]);
        assert_eq!(result.outcomes[0].edge, 1014);
        assert_eq!(off_market(&home, &books, 2, &MarketRules::default()), None);
    }

    #[test]
    fn close_fair_odds_are_never_swapped() {
        // Over/Under at 1.90/2.10 against a 2.10/1.90 market: the fair odds are 10.5 % apart.
        let names = ["Over", "Under"];
        let home = quotes(&names, &["1.90", "2.10"]);
        let market = quotes(&names, &["2.10", "1.90"]);
        let books = two_books(&market);
        let result = off_market(&home, &books, 2, &MarketRules::default()).unwrap();
        assert!(result.outcomes.iter().all(|o| o.pattern == Pattern::None));
    }

    #[test]
    fn a_pattern_below_the_warning_band_raises_nothing() {
        // Swapped 1 and 2 with the draw: "2" is swapped but its edge is negative.
        let home = quotes(&ONE_X_TWO, &["4.00", "3.40", "2.00"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = two_books(&market);
        let result = off_market(&home, &books, 2, &MarketRules::default()).unwrap();
        let two = &result.outcomes[2];
        assert_eq!((two.pattern, two.band), (Pattern::Swapped, Band::None));
        assert_eq!(result.banded().count(), 1);
    }

    #[test]
    fn swapped_needs_both_prices_within_five_percent() {
        // Home "1" at 4.39 is 5.1 % above fair "2" (4.176…): not swapped, but still critical.
        let home = quotes(&ONE_X_TWO, &["4.39", "3.40", "2.00"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = two_books(&market);
        let one = &off_market(&home, &books, 2, &MarketRules::default())
            .unwrap()
            .outcomes[0];
        assert_eq!((one.pattern, one.band), (Pattern::None, Band::Critical));
        // 4.38 is 4.9 % above it: swapped.
        let home = quotes(&ONE_X_TWO, &["4.38", "3.40", "2.00"]);
        let one = &off_market(&home, &books, 2, &MarketRules::default())
            .unwrap()
            .outcomes[0];
        assert_eq!(one.pattern, Pattern::Swapped);
    }

    #[test]
    fn a_pattern_lifts_a_warning_to_critical() {
        // Fair odds 2.09 / 3.55 / 4.18; home "1" at 4.00 and "2" at 2.00 with lower bounds
        // raised so the edge is only a warning: the pattern makes it critical.
        let rules = MarketRules {
            off_market: super::super::Bands {
                warning: 300,
                elevated: 9_500,
                critical: 9_900,
            },
            ..MarketRules::default()
        };
        let home = quotes(&ONE_X_TWO, &["4.00", "3.40", "2.00"]);
        let market = quotes(&ONE_X_TWO, &["2.00", "3.40", "4.00"]);
        let books = two_books(&market);
        let one = &off_market(&home, &books, 2, &rules).unwrap().outcomes[0];
        assert_eq!(one.edge, 9155);
        assert_eq!((one.pattern, one.band), (Pattern::Swapped, Band::Critical));
    }
}
