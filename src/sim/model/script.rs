//! Scripted edits of the model (`POST /sim/script`, the setters of
//! [`SimHandle`](crate::sim::SimHandle), tests staging a scenario): set a price, a whole market, an availability or a kickoff. Each names
//! what it could not find.

use chrono::{DateTime, Utc};

use super::{Availability, Model, SimBook, SimMarket};
use crate::domain::{Line, Price};

/// A scripted change failed: the target does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// No event with this SportRadar id.
    #[error("no simulated event with SportRadar id {0}")]
    UnknownEvent(String),
    /// The event has no such market (and line) on that book.
    #[error("event {event} has no market {market} (line {line:?}) on {book}")]
    UnknownMarket {
        /// SportRadar id.
        event: String,
        /// Market id.
        market: String,
        /// Line.
        line: Option<String>,
        /// Book slug.
        book: &'static str,
    },
    /// The market has no such outcome.
    #[error("market {market} has no outcome {outcome}")]
    UnknownOutcome {
        /// Market id.
        market: String,
        /// Outcome name.
        outcome: String,
    },
    /// A price must be above 1.00.
    #[error("price {0} is not above 1.00")]
    BadPrice(String),
}

impl Model {
    fn locate(
        &mut self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
    ) -> Result<&mut SimMarket, ScriptError> {
        let index = event
            .parse::<u64>()
            .ok()
            .and_then(|id| self.by_sportradar.get(&id).copied())
            .ok_or_else(|| ScriptError::UnknownEvent(event.to_string()))?;
        let defs = &self.defs;
        let ev = &mut self.events[index];
        let on_book = ev.listed[book.index()];
        ev.markets
            .iter_mut()
            .find(|m| {
                let def = &defs[m.def as usize];
                def.market_id == market
                    && m.line == line
                    && on_book
                    && (book == SimBook::Betpawa || def.mapping.is_some())
            })
            .ok_or_else(|| ScriptError::UnknownMarket {
                event: event.to_string(),
                market: market.to_string(),
                line: line.map(|l| l.to_string()),
                book: book.slug(),
            })
    }

    /// Sets one outcome's price on one book (and opens the market there).
    pub fn set_price(
        &mut self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        outcome: &str,
        price: Price,
    ) -> Result<(), ScriptError> {
        if price.milli() <= 1000 {
            return Err(ScriptError::BadPrice(price.to_string()));
        }
        let outcome_index = {
            let m = self.locate(book, event, market, line)?;
            let def = m.def as usize;
            self.defs[def].outcomes.iter().position(|o| o == outcome)
        };
        let Some(o) = outcome_index else {
            return Err(ScriptError::UnknownOutcome {
                market: market.to_string(),
                outcome: outcome.to_string(),
            });
        };
        let m = self.locate(book, event, market, line)?;
        m.prices[o][book.index()] = price.milli();
        m.state[book.index()] = Availability::Open;
        Ok(())
    }

    /// Sets several outcomes' prices of one market on one book at once (and opens the market
    /// there): a test stages a whole market in one call. Every name is checked before any price
    /// changes, so a bad outcome leaves the market as it was.
    pub fn set_market(
        &mut self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        prices: &[(&str, Price)],
    ) -> Result<(), ScriptError> {
        if let Some((_, bad)) = prices.iter().find(|(_, p)| p.milli() <= 1000) {
            return Err(ScriptError::BadPrice(bad.to_string()));
        }
        let def = self.locate(book, event, market, line)?.def as usize;
        let indices = prices
            .iter()
            .map(|(outcome, _)| {
                self.defs[def]
                    .outcomes
                    .iter()
                    .position(|o| o == outcome)
                    .ok_or_else(|| ScriptError::UnknownOutcome {
                        market: market.to_string(),
                        outcome: outcome.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let m = self.locate(book, event, market, line)?;
        for (o, (_, price)) in indices.into_iter().zip(prices) {
            m.prices[o][book.index()] = price.milli();
        }
        m.state[book.index()] = Availability::Open;
        Ok(())
    }

    /// Sets a market's availability on one book (scripted suspensions do not return by
    /// themselves; restore them with [`Availability::Open`]).
    pub fn set_availability(
        &mut self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        availability: Availability,
    ) -> Result<(), ScriptError> {
        self.locate(book, event, market, line)?.state[book.index()] = availability;
        Ok(())
    }

    /// Moves an event's kickoff to `at` (e.g. into the past, to end it).
    pub fn set_kickoff(&mut self, event: &str, at: DateTime<Utc>) -> Result<(), ScriptError> {
        let index = event
            .parse::<u64>()
            .ok()
            .and_then(|id| self.by_sportradar.get(&id).copied())
            .ok_or_else(|| ScriptError::UnknownEvent(event.to_string()))?;
        self.events[index].kickoff = at;
        Ok(())
    }
}
