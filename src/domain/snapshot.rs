//! The normalised shape every feed adapter produces: one book's view of events and their odds,
//! in canonical (home book) market ids, with exact prices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Line, Price};

/// One outcome of a market as a book quotes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeOdds {
    /// Outcome name in the home book's naming (`"1"`, `"X"`, `"Over"`, …).
    pub name: String,
    /// Decimal price, exact to thousandths.
    pub price: Price,
    /// `false` when the book shows the outcome suspended.
    pub active: bool,
}

/// One market (with its line) of one event on one book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketOdds {
    /// Canonical market id (the home book's market-type id, e.g. `"3743"` for 1X2).
    pub market_id: String,
    /// Human name, e.g. `"1X2 | Full Time"`.
    pub market_name: String,
    /// Total for over/under, **home** handicap for handicaps; `None` for markets without lines.
    pub line: Option<Line>,
    /// The outcomes quoted.
    pub outcomes: Vec<OutcomeOdds>,
}

impl MarketOdds {
    /// True when every outcome is suspended (or there are none): the market counts as unavailable.
    pub fn is_suspended(&self) -> bool {
        self.outcomes.iter().all(|o| !o.active)
    }
}

/// One event as one book reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventOdds {
    /// Cross-book identity: the SportRadar match id (plain numeric string), or for feeds without
    /// one (The Odds API) the feed's own event id.
    pub event_key: String,
    /// The book's own id of the event.
    pub book_event_id: String,
    /// Home team as this book names it.
    pub home_team: String,
    /// Away team as this book names it.
    pub away_team: String,
    /// Tournament / competition / league.
    pub tournament: Option<String>,
    /// Country or region of the tournament.
    pub country: Option<String>,
    /// Kickoff in UTC; `None` when the book did not give a usable one.
    pub kickoff: Option<DateTime<Utc>>,
    /// Markets mapped to canonical ids (unmapped markets are dropped and counted by the adapter).
    pub markets: Vec<MarketOdds>,
}
