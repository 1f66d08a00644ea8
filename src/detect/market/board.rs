//! The market screen's board (issue 16) from an event's stored current odds, with the rules'
//! own exact arithmetic: the margins of `margin`, the consensus fair odds and edges of
//! `off_market`. Pure.
//!
//! Choices (where DESIGN.md is silent):
//! - **A cell is active** when the book's market is available and the outcome is active with a
//!   non-zero price; the rules see an inactive cell as "not offered" (price zero), exactly as
//!   the detector's state does, so a suspended outcome makes a market incomplete.
//! - **Outcome rows** follow the market's canonical order (the mapping table); an outcome a
//!   book lists that the table does not know is appended after them, in the order the books
//!   (home first) list it. A market the table does not know keeps the books' order.
//! - **Fair odds without the home book.** The consensus does not depend on the home prices,
//!   only on its outcome set: when the home market is incomplete or missing, the fair odds are
//!   still shown (computed by `off_market` itself over the home book's outcome names, or the
//!   canonical ones), but there is no edge and no pattern — and the detector raises nothing.
//! - **A book's margin** is `margin` on its own quotes, and only when it lists every canonical
//!   outcome of the market: a book lacking "X" has no margin on a 1X2 market (a sum over two
//!   of three outcomes is no overround). For the home book that is the detector's own margin.
//! - **Stored rows, not this cycle's fetches**: the board shows the stored current odds of
//!   every book; a book whose last fetch failed still shows (and counts) its last prices,
//!   where the detector, which only counts books fetched this cycle, would not count it.

use super::{Band, BookQuotes, MarketRules, Quote, margin, off_market};
use crate::domain::{
    BoardBook, BoardMarket, BoardOutcome, BoardPrice, EventMarketOdds, Line, MarketBoard, Pattern,
    Percent, Price, Severity,
};
use crate::sources::mapping;

/// The price the rules see for a stand-in home quote when only the consensus is wanted: any
/// non-zero price makes the stand-in market complete, and the fair odds do not depend on it.
const STAND_IN_PRICE: Price = Price::from_milli(1000);

/// Builds the board of one event: the `primary_markets` (canonical ids, in that order; lines
/// ascending) that any book prices, one column per book (the home book first), the best active
/// price of each outcome marked, each book's margin, and — where at least
/// [`MarketRules::required_books`]`(enabled_competitors)` competitors price the complete market —
/// the consensus fair odds and the home book's edge per outcome.
pub fn build(
    event_id: i64,
    odds: Vec<EventMarketOdds>,
    primary_markets: &[String],
    enabled_competitors: usize,
    rules: &MarketRules,
) -> MarketBoard {
    let books = columns(&odds);
    let mut order: Vec<&str> = Vec::with_capacity(primary_markets.len());
    for id in primary_markets.iter().map(|m| m.trim()) {
        if !order.contains(&id) {
            order.push(id);
        }
    }
    // (market rank, line) of every row that belongs on the board, then each distinct key once.
    let mut keys: Vec<(usize, Option<Line>)> = odds
        .iter()
        .filter_map(|row| {
            let rank = order.iter().position(|id| *id == row.market_id)?;
            Some((rank, row.line))
        })
        .collect();
    // Markets in the configured order; within one, no line first, then lines ascending.
    keys.sort_unstable();
    keys.dedup();
    let markets = keys
        .into_iter()
        .map(|(rank, line)| {
            let market_id = order[rank];
            // One row per column: the first stored row of each book for this market and line.
            let rows: Vec<Option<&EventMarketOdds>> = books
                .iter()
                .map(|book| {
                    odds.iter().find(|r| {
                        r.market_id == market_id && r.line == line && r.odds.bookmaker == book.slug
                    })
                })
                .collect();
            market(market_id, line, &books, &rows, enabled_competitors, rules)
        })
        .collect();
    MarketBoard {
        event_id,
        books,
        markets,
    }
}

/// The columns: every book with a row, the home book(s) first, then by slug.
fn columns(odds: &[EventMarketOdds]) -> Vec<BoardBook> {
    let mut books: Vec<BoardBook> = Vec::new();
    for row in odds {
        if !books.iter().any(|b| b.slug == row.odds.bookmaker) {
            books.push(BoardBook {
                slug: row.odds.bookmaker.clone(),
                is_home: row.odds.is_home,
            });
        }
    }
    books.sort_by(|a, b| b.is_home.cmp(&a.is_home).then_with(|| a.slug.cmp(&b.slug)));
    books
}

/// One book's quotes of a market as the rules see them: its own outcomes in its order, a
/// suspended outcome or an unavailable market at price zero.
fn quotes_of(row: &EventMarketOdds) -> Vec<Quote<'_>> {
    row.odds
        .outcomes
        .iter()
        .map(|o| Quote {
            outcome: o.name.as_str(),
            price: offered(row, o.active, o.price),
        })
        .collect()
}

/// The price of an outcome when it can be bet on now, zero otherwise.
fn offered(row: &EventMarketOdds, active: bool, price: f64) -> Price {
    match Price::from_f64(price) {
        Some(p) if row.odds.available && active => p,
        _ => Price::default(),
    }
}

fn market(
    market_id: &str,
    line: Option<Line>,
    books: &[BoardBook],
    rows: &[Option<&EventMarketOdds>],
    enabled_competitors: usize,
    rules: &MarketRules,
) -> BoardMarket {
    let mapping = mapping::by_betpawa_id(market_id);
    let canonical: Vec<&str> =
        mapping.map_or_else(Vec::new, |m| m.outcomes.iter().map(|o| o.betpawa).collect());
    let mut names: Vec<&str> = canonical.clone();
    for row in rows.iter().flatten() {
        for o in &row.odds.outcomes {
            if !names.contains(&o.name.as_str()) {
                names.push(o.name.as_str());
            }
        }
    }
    let quotes: Vec<Option<Vec<Quote<'_>>>> = rows.iter().map(|r| r.map(quotes_of)).collect();
    let home = books.iter().position(|b| b.is_home);
    let home_quotes = home.and_then(|h| quotes[h].as_deref());
    let competitors: Vec<BookQuotes<'_, &str>> = books
        .iter()
        .zip(&quotes)
        .filter(|(book, _)| !book.is_home)
        .filter_map(|(book, q)| {
            Some(BookQuotes {
                book: book.slug.as_str(),
                quotes: q.as_deref()?,
            })
        })
        .collect();

    // The rules' own evaluation on the home market; when the home market cannot be evaluated,
    // the consensus alone over a stand-in home market with the same outcome names.
    let evaluated =
        home_quotes.and_then(|home| off_market(home, &competitors, enabled_competitors, rules));
    let stand_in: Vec<Quote<'_>> = match home_quotes {
        Some(home) => home
            .iter()
            .map(|q| Quote {
                outcome: q.outcome,
                price: STAND_IN_PRICE,
            })
            .collect(),
        None if !canonical.is_empty() => canonical
            .iter()
            .map(|name| Quote {
                outcome: name,
                price: STAND_IN_PRICE,
            })
            .collect(),
        None => competitors
            .first()
            .map(|c| {
                c.quotes
                    .iter()
                    .map(|q| Quote {
                        outcome: q.outcome,
                        price: STAND_IN_PRICE,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let consensus = match &evaluated {
        Some(_) => None,
        None => off_market(&stand_in, &competitors, enabled_competitors, rules),
    };
    let consensus_books = evaluated
        .as_ref()
        .map(|r| r.books.len())
        .or_else(|| consensus.as_ref().map(|r| r.books.len()))
        .unwrap_or(0);

    let outcomes = names
        .iter()
        .map(|name| {
            let mut prices: Vec<Option<BoardPrice>> = rows
                .iter()
                .map(|row| {
                    let row = (*row)?;
                    let o = row.odds.outcomes.iter().find(|o| o.name == *name)?;
                    let price = Price::from_f64(o.price)?;
                    Some(BoardPrice {
                        price,
                        active: row.odds.available && o.active && price.milli() > 0,
                        last_changed: row.odds.last_changed,
                        best: false,
                    })
                })
                .collect();
            mark_best(&mut prices);
            let edge = evaluated
                .as_ref()
                .and_then(|r| r.outcomes.iter().find(|o| o.outcome == *name));
            let fair_odds = edge.map(|e| e.fair_odds).or_else(|| {
                consensus
                    .as_ref()
                    .and_then(|r| r.outcomes.iter().find(|o| o.outcome == *name))
                    .map(|o| o.fair_odds)
            });
            BoardOutcome {
                outcome: (*name).to_string(),
                prices,
                fair_odds,
                home_edge: edge.map(|e| Percent::from_hundredths(e.edge)),
                pattern: edge.and_then(|e| match e.pattern {
                    super::Pattern::None => None,
                    super::Pattern::Swapped => Some(Pattern::Swapped),
                    super::Pattern::Factor => Some(Pattern::Factor),
                }),
                edge_severity: edge.and_then(|e| severity_of(e.band)),
            }
        })
        .collect();

    let evaluated_margins: Vec<Option<super::Margin>> = quotes
        .iter()
        .map(|q| {
            let q = q.as_deref()?;
            let lists_every_outcome = canonical
                .iter()
                .all(|name| q.iter().any(|o| o.outcome == *name));
            if !lists_every_outcome {
                return None;
            }
            margin(q, rules)
        })
        .collect();
    let margins = evaluated_margins
        .iter()
        .map(|m| m.map(|m| Percent::from_hundredths(m.margin)))
        .collect();
    let margin_severity = evaluated_margins
        .iter()
        .map(|m| m.and_then(|m| severity_of(m.band)))
        .collect();

    BoardMarket {
        market_id: market_id.to_string(),
        market_name: mapping.map_or_else(|| format!("Market {market_id}"), |m| m.name.to_string()),
        line,
        outcomes,
        margins,
        margin_severity,
        consensus_books,
    }
}

/// A band as the alert severity it raises (`None` raises nothing), as the detector maps it.
fn severity_of(band: Band) -> Option<Severity> {
    match band {
        Band::None => None,
        Band::Warning => Some(Severity::Warning),
        Band::Elevated => Some(Severity::Elevated),
        Band::Critical => Some(Severity::Critical),
    }
}

/// Marks the highest active price of an outcome across books; ties are all marked.
fn mark_best(prices: &mut [Option<BoardPrice>]) {
    let best = prices
        .iter()
        .flatten()
        .filter(|p| p.active)
        .map(|p| p.price)
        .max();
    if let Some(best) = best {
        for p in prices.iter_mut().flatten() {
            p.best = p.active && p.price == best;
        }
    }
}

#[cfg(test)]
mod tests;
