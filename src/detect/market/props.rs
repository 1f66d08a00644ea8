//! Properties of the market rules over generated markets: book and quote order are
//! irrelevant, bands are monotone in the edge and the median move, a fair book has no margin,
//! an identical cycle repeated raises nothing new, and the exact arithmetic agrees with §3 and
//! with itself.

use proptest::prelude::*;

use super::consensus::consensus;
use super::exact::Nat;
use super::*;
use crate::domain::Price;

const NAMES: [&str; 3] = ["1", "X", "2"];
const BOOKS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// Prices from 1.01 to 30.00, mostly two decimals, sometimes three.
fn price() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => (101u32..3000).prop_map(|h| h * 10),
        1 => 1010u32..30_000,
    ]
}

/// A 2- or 3-outcome home market and 1–6 competitors pricing it.
fn market() -> impl Strategy<Value = (Vec<u32>, Vec<Vec<u32>>)> {
    (2usize..=3).prop_flat_map(|n| {
        (
            prop::collection::vec(price(), n),
            prop::collection::vec(prop::collection::vec(price(), n), 1..=6),
        )
    })
}

fn quotes(prices: &[u32]) -> Vec<Quote<'static>> {
    prices
        .iter()
        .zip(NAMES)
        .map(|(m, n)| Quote {
            outcome: n,
            price: Price::from_milli(*m),
        })
        .collect()
}

fn evaluate(
    home: &[u32],
    books: &[(&'static str, Vec<Quote<'static>>)],
) -> Option<OffMarket<'static, &'static str>> {
    let home = quotes(home);
    let books: Vec<BookQuotes<'_, &'static str>> = books
        .iter()
        .map(|(book, quotes)| BookQuotes {
            book: *book,
            quotes,
        })
        .collect();
    off_market(&home, &books, books.len(), &MarketRules::default())
}

/// A fair book (Σ 1/o = 1) with integer odds, grown by splitting one outcome's probability:
/// `1/p = 1/2p + 1/2p` or `1/p = 1/(p+1) + 1/(p(p+1))`.
fn fair_book() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 1..6).prop_map(|splits| {
        let mut odds: Vec<u64> = vec![1];
        for (at, halve) in splits {
            let i = at.index(odds.len());
            let p = odds[i];
            let (a, b) = if halve {
                (2 * p, 2 * p)
            } else {
                (p + 1, p * (p + 1))
            };
            if b > 1000 {
                continue;
            }
            odds[i] = a;
            odds.push(b);
        }
        odds.into_iter().map(|o| (o * 1000) as u32).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn off_market_does_not_depend_on_book_or_quote_order(
        (home, competitors) in market(),
        seed in any::<u64>(),
    ) {
        let books: Vec<(&'static str, Vec<Quote<'static>>)> = competitors
            .iter()
            .zip(BOOKS)
            .map(|(prices, book)| (book, quotes(prices)))
            .collect();
        let mut shuffled = books.clone();
        // A deterministic shuffle of the books, and of each book's quotes.
        shuffled.rotate_left((seed % books.len() as u64) as usize);
        if seed & 1 == 1 {
            shuffled.reverse();
        }
        for (_, quotes) in &mut shuffled {
            let by = ((seed >> 8) % quotes.len() as u64) as usize;
            quotes.rotate_left(by);
        }
        prop_assert_eq!(evaluate(&home, &books), evaluate(&home, &shuffled));
    }

    #[test]
    fn the_consensus_is_a_probability_distribution((_, competitors) in market()) {
        let c = consensus(&competitors).unwrap();
        let sum = c.numer.iter().fold(Nat::ZERO, |acc, n| acc.add(n));
        prop_assert_eq!(sum, c.denom);
    }

    #[test]
    fn the_edge_rises_with_the_home_price_and_so_does_the_band_without_a_pattern(
        (home, competitors) in market(),
        outcome in 0usize..3,
        raise in 1u32..5000,
    ) {
        let i = outcome % home.len();
        let books: Vec<(&'static str, Vec<Quote<'static>>)> =
            competitors.iter().zip(BOOKS).map(|(p, b)| (b, quotes(p))).collect();
        let mut higher = home.clone();
        higher[i] += raise;
        let low = evaluate(&home, &books).unwrap();
        let high = evaluate(&higher, &books).unwrap();
        let (low, high) = (&low.outcomes[i], &high.outcomes[i]);
        prop_assert!(low.edge <= high.edge);
        prop_assert_eq!(low.fair_odds, high.fair_odds);
        if low.pattern == Pattern::None && high.pattern == Pattern::None {
            prop_assert!(low.band <= high.band);
        }
        for o in [low, high] {
            if o.pattern == Pattern::None {
                prop_assert_eq!(o.band, Bands::OFF_MARKET.band(o.edge));
            } else if o.band != Band::None {
                prop_assert_eq!(o.band, Band::Critical);
            }
        }
    }

    #[test]
    fn bands_are_monotone(a in -100_000i64..100_000, b in -100_000i64..100_000) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        for bands in [Bands::OFF_MARKET, Bands::PRICE_CHANGE] {
            prop_assert!(bands.band(low) <= bands.band(high));
        }
    }

    #[test]
    fn market_move_severity_rises_with_the_median_move(
        old in 1500u32..5000,
        small in 1u32..1500,
        extra in 0u32..1500,
        up in any::<bool>(),
    ) {
        let big = small + extra;
        let moved = |by: u32| {
            let new = if up { old + by } else { old.saturating_sub(by).max(1) };
            let books = [
                BookMove { book: "a", old: Price::from_milli(old), new: Price::from_milli(new) },
                BookMove { book: "b", old: Price::from_milli(old), new: Price::from_milli(new) },
            ];
            let home = PriceMove { old: Price::from_milli(old), new: Price::from_milli(old) };
            market_move(home, &books, 2, &MarketRules::default())
        };
        if let (Some(s), Some(b)) = (moved(small), moved(big)) {
            prop_assert!(s.median_change.abs() <= b.median_change.abs());
            prop_assert!(s.band <= b.band);
        }
        if let Some(s) = moved(small) {
            prop_assert!(moved(big).is_some(), "a bigger move by the same books still raises {:?}", s);
        }
    }

    #[test]
    fn market_move_does_not_depend_on_competitor_order(
        moves in prop::collection::vec((1500u32..3000, 1000u32..4000), 1..6),
        home_new in 1000u32..4000,
        rotate in 0usize..6,
    ) {
        let books: Vec<BookMove<&str>> = moves
            .iter()
            .zip(BOOKS)
            .map(|((old, new), book)| BookMove {
                book,
                old: Price::from_milli(*old),
                new: Price::from_milli(*new),
            })
            .collect();
        let mut shuffled = books.clone();
        shuffled.rotate_left(rotate % books.len());
        shuffled.reverse();
        let home = PriceMove { old: Price::from_milli(2000), new: Price::from_milli(home_new) };
        let rules = MarketRules::default();
        prop_assert_eq!(
            market_move(home, &books, books.len(), &rules),
            market_move(home, &shuffled, books.len(), &rules)
        );
    }

    #[test]
    fn a_fair_book_has_no_margin_and_its_fair_odds_are_its_prices(book in fair_book()) {
        let quotes: Vec<Quote<'static>> = book
            .iter()
            .map(|m| Quote { outcome: "o", price: Price::from_milli(*m) })
            .collect();
        let margin = margin(&quotes, &MarketRules::default()).unwrap();
        prop_assert_eq!(margin.margin, 0);
        prop_assert_eq!(margin.band, Band::Warning);
        let fair = book_fair_odds(&quotes).unwrap();
        let prices: Vec<Price> = quotes.iter().map(|q| q.price).collect();
        prop_assert_eq!(fair, prices);
    }

    #[test]
    fn an_identical_cycle_repeated_raises_nothing_new((home, competitors) in market()) {
        let books: Vec<(&'static str, Vec<Quote<'static>>)> =
            competitors.iter().zip(BOOKS).map(|(p, b)| (b, quotes(p))).collect();
        let home_quotes = quotes(&home);
        let mut memory = BandMemory::new();
        let raised = |memory: &mut BandMemory<(&str, &str)>| {
            let result = evaluate(&home, &books).unwrap();
            let margin = margin(&home_quotes, &MarketRules::default()).unwrap();
            let mut count = usize::from(memory.should_raise(("margin", ""), margin.band));
            for o in &result.outcomes {
                count += usize::from(memory.should_raise(("off_market", o.outcome), o.band));
            }
            count
        };
        raised(&mut memory);
        prop_assert_eq!(raised(&mut memory), 0);
    }

    #[test]
    fn big_naturals_divide_back_exactly(a in any::<u128>(), b in 1u128.., c in 1u128.., r in any::<u64>()) {
        let divisor = Nat::from(b).mul(&Nat::from(c));
        let rest = Nat::from(u128::from(r)).div_rem(&divisor).1;
        let value = Nat::from(a).mul(&divisor).add(&rest);
        let (quotient, remainder) = value.div_rem(&divisor);
        prop_assert_eq!(quotient, Nat::from(a));
        prop_assert_eq!(remainder, rest);
    }
}
