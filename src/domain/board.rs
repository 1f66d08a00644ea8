//! The market screen's read model (issue 16): one event's primary markets × line × outcome with
//! every book's current price, the best price marked, each book's margin, the consensus fair
//! odds and the home book's edge per outcome (DESIGN §9). Built from the stored current odds by
//! [`crate::detect::market::board::build`] with the detector's own exact arithmetic, so the screen
//! and the alerts always agree.

use chrono::{DateTime, Utc};

use super::{BookOdds, Line, Pattern, Percent, Price, Severity};

/// One market (with line) of an event on one book, as stored in `current_odds`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMarketOdds {
    /// Canonical market id.
    pub market_id: String,
    /// The market's line, `None` for markets without one.
    pub line: Option<Line>,
    /// The book's current prices of it.
    pub odds: BookOdds,
}

/// A book on the board, in column order: the home book first, then competitors by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBook {
    /// Book slug.
    pub slug: String,
    /// Whether this is the home book.
    pub is_home: bool,
}

/// One book's price of one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardPrice {
    /// The price (exact thousandths).
    pub price: Price,
    /// Whether it can be bet on now (false: suspended or the market is unavailable).
    pub active: bool,
    /// When this book's prices of the market last changed.
    pub last_changed: DateTime<Utc>,
    /// The best (highest) active price of the outcome across books; ties all marked.
    pub best: bool,
}

/// One outcome of a market across books.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardOutcome {
    /// Outcome name, home book's naming (`"1"`, `"X"`, `"Over"`, …), in the market's order.
    pub outcome: String,
    /// One cell per [`MarketBoard::books`] column; `None` when the book does not price it.
    pub prices: Vec<Option<BoardPrice>>,
    /// Consensus fair odds `1 / p̄` (§9), when enough competitors price the complete market.
    pub fair_odds: Option<Price>,
    /// The edge a bettor has against the home price at the fair odds (§9 `off_market`), when
    /// the fair odds exist and the home book prices the complete market.
    pub home_edge: Option<Percent>,
    /// The palpable-error pattern §9 sees on this outcome, if any.
    pub pattern: Option<Pattern>,
    /// The severity `off_market` gives the home edge with the rules the board was built with
    /// (the database's settings included; critical with a pattern, `None` below warning even
    /// with one): the screen colours by it so it never disagrees with the alerts raised.
    pub edge_severity: Option<Severity>,
}

/// One market (with line) of the event.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardMarket {
    /// Canonical market id.
    pub market_id: String,
    /// Display name (`"1X2 | Full Time"`).
    pub market_name: String,
    /// Its line, if any.
    pub line: Option<Line>,
    /// Its outcomes in the market's canonical order.
    pub outcomes: Vec<BoardOutcome>,
    /// Each book's margin `Σ 1/o − 1` on this market, per column; `None` unless the book prices
    /// every outcome actively.
    pub margins: Vec<Option<Percent>>,
    /// The band `margin` gives each book's margin with the board's rules, per column (critical
    /// below zero, warning below the floor); `None` where there is no margin or no band.
    pub margin_severity: Vec<Option<Severity>>,
    /// Competitors counted in the consensus (0 when there is none).
    pub consensus_books: usize,
}

/// The market screen's content for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketBoard {
    /// Event database id.
    pub event_id: i64,
    /// The columns, home book first.
    pub books: Vec<BoardBook>,
    /// Primary markets in the configured order, lines ascending.
    pub markets: Vec<BoardMarket>,
}

impl MarketBoard {
    /// The index of the market (and line) and outcome of the board, for highlighting an
    /// alert's row: `(market index, outcome index)`; the outcome index is `None` for an alert
    /// about the whole market or event.
    pub fn position(
        &self,
        market_id: &str,
        line: Option<Line>,
        outcome: Option<&str>,
    ) -> Option<(usize, Option<usize>)> {
        let m = self
            .markets
            .iter()
            .position(|m| m.market_id == market_id && m.line == line)?;
        let o = outcome.and_then(|name| {
            self.markets[m]
                .outcomes
                .iter()
                .position(|o| o.outcome == name)
        });
        Some((m, o))
    }
}
