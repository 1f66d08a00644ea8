//! A cheap exact bound that shows most markets far below `off_market`'s warning band, so the
//! detector need not compute their exact consensus (a few big-integer divisions and greatest
//! common divisors per market, on every complete market of every cycle).
//!
//! It never decides a band: it only answers "certainly below warning" or "maybe not", and the
//! detector computes the exact edge whenever the answer is "maybe not" or the market has a band
//! remembered (a fall below warning must reset it). Integer arithmetic with directed rounding
//! throughout, so the bound is a true upper bound, never an estimate.

/// Fixed-point scale of the inverse odds `K / m` (`m` in thousandths).
const K: u64 = 1 << 40;
/// Fixed-point scale of each book's probability bound.
const R: u64 = 1 << 20;
/// Markets with more outcomes are not screened (none of the primary markets has more than 3).
const MAX_OUTCOMES: usize = 8;

/// True when no outcome of the home market can reach `warning` (hundredths of a percent) on
/// `off_market`'s rounded edge against the books' consensus, whatever its pattern.
///
/// `home` holds the home prices in thousandths; `books` each counted competitor's prices in
/// the home market's outcome order, one after the other (`books.len()` a multiple of
/// `home.len()`); every price is non-zero. `false` ("maybe") for anything unusual: no book,
/// a non-positive warning bound, more than eight outcomes, a zero price.
///
/// Why it is an upper bound: with `a_i = ⌈K/m_i⌉` and `d = Σ ⌊K/m_k⌋`, a book's margin-free
/// probability `q_i = (K/m_i) / Σ (K/m_k) ≤ a_i / d ≤ ⌈R·a_i/d⌉ / R`. Summing those over the
/// `B` books gives `S_i` with `p̄_i ≤ S_i / (B·R)`, so the edge `h_i/1000 × p̄_i − 1` is at most
/// `h_i·S_i / (1000·B·R) − 1`. When `h_i·S_i·10 000 < 1000·B·R·(10 000 + W − 1)` the exact
/// edge is below `W − 1` hundredths, so rounded half away from zero it is below `W`: no band,
/// and a pattern only ever lifts a banded outcome.
pub fn below_warning(home: &[u32], books: &[u32], warning: i64) -> bool {
    let n = home.len();
    if warning < 1
        || n == 0
        || n > MAX_OUTCOMES
        || books.is_empty()
        || !books.len().is_multiple_of(n)
    {
        return false;
    }
    if home.contains(&0) || books.contains(&0) {
        return false;
    }
    let mut sums = [0u64; MAX_OUTCOMES];
    for book in books.chunks_exact(n) {
        // Each term is at least 256 (m < 2^32), so d > 0; at most 8 × 2^40 in all.
        let d: u64 = book.iter().map(|&m| K / u64::from(m)).sum();
        for (sum, &m) in sums.iter_mut().zip(book) {
            let a = K.div_ceil(u64::from(m));
            // a ≤ 2^40, so R·a ≤ 2^60.
            *sum += (R * a).div_ceil(d);
        }
    }
    let count = (books.len() / n) as u128;
    let Ok(bound) = u128::try_from(10_000 + warning - 1) else {
        return false;
    };
    let limit = 1000 * count * u128::from(R) * bound;
    home.iter()
        .zip(sums)
        .all(|(&h, sum)| u128::from(h) * u128::from(sum) * 10_000 < limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::market::{BookQuotes, MarketRules, Quote, off_market};
    use crate::domain::Price;
    use proptest::prelude::*;

    fn quotes<'a>(names: &[&'a str], prices: &[u32]) -> Vec<Quote<'a>> {
        names
            .iter()
            .zip(prices)
            .map(|(n, m)| Quote {
                outcome: n,
                price: Price::from_milli(*m),
            })
            .collect()
    }

    #[test]
    fn the_first_vector_is_not_screened_and_a_fair_home_price_is() {
        let market = [2000, 3400, 4000, 2000, 3400, 4000];
        // 2.30 is a 10.14 % edge: maybe.
        assert!(!below_warning(&[2300, 3400, 3400], &market, 300));
        // 1.95 / 3.30 / 3.80 sits under the consensus everywhere.
        assert!(below_warning(&[1950, 3300, 3800], &market, 300));
    }

    #[test]
    fn just_under_the_band_is_not_screened() {
        let market = [2000, 3400, 4000, 2000, 3400, 4000];
        // 2.14 against fair odds 2.088…: edge 2.48 %, well under 3 %: screened.
        assert!(below_warning(&[2140, 3400, 3400], &market, 300));
        // 2.15: edge 2.9577 %, rounded 2.96 %: exactly at a 2.96 % warning, never screened…
        assert!(!below_warning(&[2150, 3400, 3400], &market, 296));
        // …and screened one hundredth higher, where it is certainly below.
        assert!(below_warning(&[2150, 3400, 3400], &market, 297));
    }

    #[test]
    fn unusual_inputs_are_never_screened() {
        assert!(!below_warning(&[2000, 2000], &[], 300));
        assert!(!below_warning(&[2000, 2000], &[2000, 2000, 2000], 300));
        assert!(!below_warning(&[2000, 0], &[2000, 2000], 300));
        assert!(!below_warning(&[1500, 1500], &[2000, 2000], 0));
    }

    proptest! {
        /// Whenever the screen says "below warning", the exact rule agrees: no outcome banded.
        #[test]
        fn a_screened_market_never_has_a_band(
            home in proptest::collection::vec(1_010u32..20_000, 3),
            a in proptest::collection::vec(1_010u32..20_000, 3),
            b in proptest::collection::vec(1_010u32..20_000, 3),
            warning in 1i64..2_000,
        ) {
            let names = ["1", "X", "2"];
            let rules = MarketRules {
                off_market: crate::detect::market::Bands {
                    warning,
                    elevated: warning + 1,
                    critical: warning + 2,
                },
                ..MarketRules::default()
            };
            let (qa, qb) = (quotes(&names, &a), quotes(&names, &b));
            let books = [BookQuotes { book: "a", quotes: &qa }, BookQuotes { book: "b", quotes: &qb }];
            let exact = off_market(&quotes(&names, &home), &books, 2, &rules).unwrap();
            let flat: Vec<u32> = a.iter().chain(&b).copied().collect();
            if below_warning(&home, &flat, warning) {
                prop_assert_eq!(exact.banded().count(), 0);
                prop_assert!(exact.outcomes.iter().all(|o| o.edge < warning));
            }
        }
    }
}
