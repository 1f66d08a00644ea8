//! Margin-free probabilities of one book and their consensus over books, as exact fractions.
//!
//! A book quoting decimal odds `o_1 … o_n` (thousandths `m_i`) implies the margin-free
//! probability `q_i = (1/o_i) / Σ_j (1/o_j)`. Multiplying through by `Π_k m_k` gives
//! `q_i = A_i / S` with `A_i = Π_{k≠i} m_k` and `S = Σ_j A_j`: integers only. The consensus
//! `p̄_i` is the mean of the books' `q_i`, kept as `numer_i / denom` over one common
//! denominator (the least common multiple of the books' `S`, times the number of books).

use super::exact::Nat;
use crate::domain::Price;

/// One outcome's price on one book. A zero price means the outcome is not offered (suspended
/// or missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote<'a> {
    /// Outcome name (`"1"`, `"X"`, `"Over"`, …), unique within the market.
    pub outcome: &'a str,
    /// The offered price, in thousandths.
    pub price: Price,
}

/// One competitor's quotes for the same market (market id and line) as the home market.
#[derive(Debug, Clone, Copy)]
pub struct BookQuotes<'a, B> {
    /// The book (a slug, an interned id, …).
    pub book: B,
    /// Its quotes, in any order.
    pub quotes: &'a [Quote<'a>],
}

/// The consensus probabilities `p̄_i = numer[i] / denom`, in the home market's outcome order.
/// `Σ numer = denom`: the mean of probability vectors is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consensus {
    /// Numerators, one per outcome of the home market.
    pub(crate) numer: Vec<Nat>,
    /// The common denominator.
    pub(crate) denom: Nat,
}

/// True when the market has outcomes and every one is offered.
pub(crate) fn is_complete(quotes: &[Quote<'_>]) -> bool {
    !quotes.is_empty() && quotes.iter().all(|q| q.price.milli() > 0)
}

/// A competitor's prices in the home market's outcome order, in thousandths, when it prices
/// the same complete market: every home outcome offered and no outcome the home market lacks.
pub(crate) fn aligned(home: &[Quote<'_>], book: &[Quote<'_>]) -> Option<Vec<u32>> {
    if book.len() != home.len() {
        return None;
    }
    home.iter()
        .map(|h| {
            book.iter()
                .find(|q| q.outcome == h.outcome)
                .map(|q| q.price.milli())
                .filter(|m| *m > 0)
        })
        .collect()
}

/// One book's margin-free probabilities `(A_i, S)`, reduced by the greatest common divisor of
/// the `A_i` (which also divides `S`) to keep the numbers small. Prices must be non-zero.
fn book_probabilities(prices: &[u32]) -> (Vec<Nat>, Nat) {
    let numer: Vec<Nat> = (0..prices.len())
        .map(|i| {
            prices
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i)
                .fold(Nat::from(1u32), |acc, (_, m)| acc.mul(&Nat::from(*m)))
        })
        .collect();
    let sum = numer.iter().fold(Nat::ZERO, |acc, a| acc.add(a));
    let common = numer.iter().fold(
        Nat::ZERO,
        |g, a| {
            if g.is_zero() { a.clone() } else { g.gcd(a) }
        },
    );
    if common <= Nat::from(1u32) {
        return (numer, sum);
    }
    let divide = |n: &Nat| n.div_rem(&common).0;
    (numer.iter().map(divide).collect(), divide(&sum))
}

/// The exact consensus of books already aligned to the home market (each a complete vector of
/// non-zero thousandths, all of the same length). `None` without books.
pub(crate) fn consensus(books: &[Vec<u32>]) -> Option<Consensus> {
    let (first, rest) = books.split_first()?;
    let (mut numer, mut denom) = book_probabilities(first);
    for prices in rest {
        // Σ over a common denominator: the lcm of the running denominator and this book's.
        let (a, s) = book_probabilities(prices);
        let g = denom.gcd(&s);
        let (s_part, d_part) = (s.div_rem(&g).0, denom.div_rem(&g).0);
        numer = numer
            .iter()
            .zip(&a)
            .map(|(n, a)| n.mul(&s_part).add(&a.mul(&d_part)))
            .collect();
        denom = denom.mul(&s_part);
    }
    Some(Consensus {
        numer,
        denom: denom.times(books.len() as u128),
    })
}

/// Fair odds `denom / numer` (the inverse of a probability `numer / denom`) rounded half away
/// from zero to two decimals, as a price (a multiple of ten thousandths). Saturates at the
/// largest price; `numer` must not be zero.
pub(crate) fn fair_price(numer: &Nat, denom: &Nat) -> Price {
    let hundredths = denom.times(100).div_round(numer).to_i64_saturating();
    let milli = u32::try_from(hundredths.saturating_mul(10)).unwrap_or(u32::MAX);
    Price::from_milli(milli)
}

/// One book's margin-free fair odds `1 / q_i` for each of its quotes (in their order), rounded
/// to two decimals as the consensus fair odds are: what the `off_market` detail shows next to
/// the book's own prices. `None` unless every quote is offered.
pub fn book_fair_odds(quotes: &[Quote<'_>]) -> Option<Vec<Price>> {
    if !is_complete(quotes) {
        return None;
    }
    let prices: Vec<u32> = quotes.iter().map(|q| q.price.milli()).collect();
    let (numer, sum) = book_probabilities(&prices);
    Some(numer.iter().map(|a| fair_price(a, &sum)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(odds: &[&str]) -> Vec<u32> {
        odds.iter()
            .map(|o| o.parse::<Price>().unwrap().milli())
            .collect()
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

    #[test]
    fn one_book_probabilities_are_its_inverse_odds_normalised() {
        // 1/2 : 1/3.4 : 1/4 = 34 : 20 : 17 over 71.
        let c = consensus(&[prices(&["2.00", "3.40", "4.00"])]).unwrap();
        let expected: Vec<Nat> = [34u32, 20, 17].map(Nat::from).to_vec();
        assert_eq!(c.numer, expected);
        assert_eq!(c.denom, Nat::from(71u32));
    }

    #[test]
    fn consensus_is_the_mean_and_sums_to_one() {
        let books = [
            prices(&["2.00", "3.40", "4.00"]),
            prices(&["2.05", "3.30", "3.90"]),
        ];
        let c = consensus(&books).unwrap();
        let sum = c.numer.iter().fold(Nat::ZERO, |acc, n| acc.add(n));
        assert_eq!(sum, c.denom);
        // Mean of 34/71 and bet9ja's q_1, compared by cross-multiplication.
        let single = |p: &Vec<u32>| consensus(std::slice::from_ref(p)).unwrap();
        let (a, b) = (single(&books[0]), single(&books[1]));
        let mean_numer = a.numer[0].mul(&b.denom).add(&b.numer[0].mul(&a.denom));
        let mean_denom = a.denom.mul(&b.denom).times(2);
        assert_eq!(c.numer[0].mul(&mean_denom), mean_numer.mul(&c.denom));
    }

    #[test]
    fn identical_books_give_that_books_probabilities() {
        let one = consensus(&[prices(&["1.90", "1.90"])]).unwrap();
        let two = consensus(&[prices(&["1.90", "1.90"]), prices(&["1.90", "1.90"])]).unwrap();
        assert_eq!(one.numer[0].mul(&two.denom), two.numer[0].mul(&one.denom));
    }

    #[test]
    fn a_competitor_counts_only_with_the_same_complete_outcomes() {
        let home = quotes(&["1", "X", "2"], &["2.30", "3.40", "3.40"]);
        let reordered = quotes(&["2", "1", "X"], &["4.00", "2.00", "3.40"]);
        assert_eq!(aligned(&home, &reordered), Some(vec![2000, 3400, 4000]));
        let missing = quotes(&["1", "2"], &["2.00", "4.00"]);
        assert_eq!(aligned(&home, &missing), None);
        let suspended = quotes(&["1", "X", "2"], &["2.00", "0", "4.00"]);
        assert_eq!(aligned(&home, &suspended), None);
        let other = quotes(&["1", "X", "3"], &["2.00", "3.40", "4.00"]);
        assert_eq!(aligned(&home, &other), None);
        let extra = quotes(&["1", "X", "2", "4"], &["2.00", "3.40", "4.00", "9.00"]);
        assert_eq!(aligned(&home, &extra), None);
    }

    #[test]
    fn fair_odds_of_one_book_drop_its_margin() {
        let q = quotes(&["1", "X", "2"], &["2.00", "3.40", "4.00"]);
        // 71/34 = 2.088…, 71/20 = 3.55, 71/17 = 4.176…
        let fair = book_fair_odds(&q).unwrap();
        let shown: Vec<String> = fair.iter().map(Price::to_string).collect();
        assert_eq!(shown, ["2.09", "3.55", "4.18"]);
        assert_eq!(book_fair_odds(&quotes(&["O", "U"], &["1.90", "0"])), None);
        assert_eq!(book_fair_odds(&[]), None);
    }

    #[test]
    fn many_books_with_awkward_prices_stay_exact_beyond_u128() {
        // Twenty books of co-prime-ish prices: the common denominator leaves u128.
        let books: Vec<Vec<u32>> = (0..20)
            .map(|i| vec![1_999 + 2 * i, 3_401 + 6 * i, 4_003 + 10 * i])
            .collect();
        let c = consensus(&books).unwrap();
        assert!(matches!(c.denom, Nat::Big(_)));
        let sum = c.numer.iter().fold(Nat::ZERO, |acc, n| acc.add(n));
        assert_eq!(sum, c.denom);
    }
}
