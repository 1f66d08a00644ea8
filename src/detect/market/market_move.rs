//! `market_move`: the competitors moved an outcome together and the home book stayed behind
//! (§9).

use super::exact::{change_hundredths, mean_of_two};
use super::{Band, MarketRules};
use crate::domain::{Direction, Price};

/// One book's price of the outcome in its previous and current successful scrapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceMove {
    /// The price in the previous successful scrape (zero: not offered then).
    pub old: Price,
    /// The price now (zero: not offered now).
    pub new: Price,
}

/// A competitor's [`PriceMove`] of the same outcome (market, line and outcome name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookMove<B> {
    /// The competitor.
    pub book: B,
    /// Its previous price (zero: not offered then).
    pub old: Price,
    /// Its price now (zero: not offered now).
    pub new: Price,
}

/// A competitor that moved the outcome by at least the consensus move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mover<B> {
    /// The competitor.
    pub book: B,
    /// Its previous price.
    pub old: Price,
    /// Its price now.
    pub new: Price,
    /// `(new − old) / old` in hundredths of a percent, rounded half away from zero (§3).
    pub change: i64,
}

/// A `market_move` on one home outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketMove<B> {
    /// Which way the competitors moved.
    pub direction: Direction,
    /// The median of the movers' changes (signed, hundredths of a percent); for an even count
    /// the mean of the middle two, rounded half away from zero.
    pub median_change: i64,
    /// §3's band of `|median_change|`, at least [`Band::Warning`].
    pub band: Band,
    /// The home book's price, old and new.
    pub home: PriceMove,
    /// The home book's own change (signed hundredths of a percent).
    pub home_change: i64,
    /// The movers, sorted by book.
    pub movers: Vec<Mover<B>>,
}

/// Evaluates `market_move` on one outcome of a market the home book prices, in one cycle.
///
/// `competitors` holds each competitor fetched successfully this cycle that priced the
/// outcome (a book listed twice counts once, its first entry); `enabled_competitors` is the
/// number of enabled competitor books, so a failed fetch does not lower the number required
/// ([`MarketRules::required_books`]).
///
/// A competitor moved when its §3 change reaches `consensus_min_move` in magnitude (a zero
/// change never counts, even with a zero threshold). Raised when at least the required number
/// moved the same way, none moved the other way, the home outcome was offered in both scrapes
/// and its own change did not reach `consensus_min_move` in the movers' direction. The result
/// does not depend on the order of the competitors.
pub fn market_move<B: Ord + Clone>(
    home: PriceMove,
    competitors: &[BookMove<B>],
    enabled_competitors: usize,
    rules: &MarketRules,
) -> Option<MarketMove<B>> {
    let home_change = change_hundredths(home.old, home.new)?;
    let threshold = rules.consensus_min_move.max(1);
    let mut movers: Vec<Mover<B>> = Vec::new();
    let mut seen: Vec<&B> = Vec::with_capacity(competitors.len());
    for competitor in competitors {
        if seen.contains(&&competitor.book) {
            continue;
        }
        seen.push(&competitor.book);
        let Some(change) = change_hundredths(competitor.old, competitor.new) else {
            continue;
        };
        if change.abs() >= threshold {
            movers.push(Mover {
                book: competitor.book.clone(),
                old: competitor.old,
                new: competitor.new,
                change,
            });
        }
    }
    let up = movers.iter().filter(|m| m.change > 0).count();
    let direction = match (up, movers.len() - up) {
        (0, 0) => return None,
        (_, 0) => Direction::Up,
        (0, _) => Direction::Down,
        _ => return None,
    };
    if movers.len() < rules.required_books(enabled_competitors) {
        return None;
    }
    let followed = match direction {
        Direction::Up => home_change >= threshold,
        Direction::Down => home_change <= -threshold,
    };
    if followed {
        return None;
    }
    movers.sort_by(|a, b| a.book.cmp(&b.book));
    let median_change = median(movers.iter().map(|m| m.change).collect());
    let band = rules
        .move_bands
        .band(median_change.abs())
        .max(Band::Warning);
    Some(MarketMove {
        direction,
        median_change,
        band,
        home,
        home_change,
        movers,
    })
}

/// The median of a non-empty list; for an even count the mean of the middle two, rounded half
/// away from zero.
fn median(mut changes: Vec<i64>) -> i64 {
    changes.sort_unstable();
    let mid = changes.len() / 2;
    if changes.len() % 2 == 1 {
        changes[mid]
    } else {
        mean_of_two(changes[mid - 1], changes[mid])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn book(book: &'static str, old: &str, new: &str) -> BookMove<&'static str> {
        BookMove {
            book,
            old: p(old),
            new: p(new),
        }
    }

    fn still(price: &str) -> PriceMove {
        PriceMove {
            old: p(price),
            new: p(price),
        }
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_one() {
        assert_eq!(median(vec![-1000, -300, -800]), -800);
        assert_eq!(median(vec![500]), 500);
        assert_eq!(median(vec![301, 300]), 301);
        assert_eq!(median(vec![-301, -300]), -301);
    }

    #[test]
    fn a_move_exactly_at_the_threshold_counts() {
        // 2.00 → 1.94 is −3.00 %.
        let books = [book("a", "2.00", "1.94"), book("b", "2.00", "2.06")];
        assert_eq!(
            market_move(still("2.00"), &books, 2, &MarketRules::default()),
            None
        );
        let books = [book("a", "2.00", "1.94"), book("b", "3.00", "2.91")];
        let raised = market_move(still("2.00"), &books, 2, &MarketRules::default()).unwrap();
        assert_eq!(raised.median_change, -300);
        assert_eq!(raised.band, Band::Warning);
        // 2.00 → 1.941 is −2.95 %: no move.
        let books = [book("a", "2.00", "1.941"), book("b", "3.00", "2.91")];
        assert_eq!(
            market_move(still("2.00"), &books, 2, &MarketRules::default()),
            None
        );
    }

    #[test]
    fn an_unoffered_home_outcome_raises_nothing() {
        let books = [book("a", "2.00", "1.80"), book("b", "2.00", "1.84")];
        let home = PriceMove {
            old: p("0"),
            new: p("2.00"),
        };
        assert_eq!(market_move(home, &books, 2, &MarketRules::default()), None);
    }

    #[test]
    fn a_competitor_without_a_previous_price_is_not_a_mover() {
        let books = [book("a", "0", "1.80"), book("b", "2.00", "1.84")];
        assert_eq!(
            market_move(still("2.00"), &books, 2, &MarketRules::default()),
            None
        );
    }

    #[test]
    fn a_book_listed_twice_counts_once() {
        let books = [book("a", "2.00", "1.80"), book("a", "2.00", "1.80")];
        assert_eq!(
            market_move(still("2.00"), &books, 2, &MarketRules::default()),
            None
        );
    }

    #[test]
    fn one_enabled_competitor_can_move_the_market_alone() {
        let books = [book("a", "2.00", "2.20")];
        let raised = market_move(still("2.00"), &books, 1, &MarketRules::default()).unwrap();
        assert_eq!(raised.direction, Direction::Up);
        assert_eq!((raised.median_change, raised.band), (1000, Band::Elevated));
    }

    #[test]
    fn a_home_move_short_of_the_threshold_did_not_follow() {
        // Home 2.00 → 1.95 is −2.50 %: not following a −9 % market.
        let books = [book("a", "2.00", "1.80"), book("b", "2.00", "1.84")];
        let home = PriceMove {
            old: p("2.00"),
            new: p("1.95"),
        };
        let raised = market_move(home, &books, 2, &MarketRules::default()).unwrap();
        assert_eq!(raised.home_change, -250);
    }
}
