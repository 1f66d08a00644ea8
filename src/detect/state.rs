//! The last-seen state: per (event, book), the markets of the book's previous successful scrape
//! with their outcome prices and suspended flags, plus the markets that went unavailable and
//! since when.
//!
//! Layout, for a real cycle (≈ 405k market rows, ≈ 960k outcomes): one [`BookState`] per
//! (event, book) holds its markets in a `Vec` sorted by (market id, line) and all their outcomes
//! in one flat `Vec`, so a cycle compares two sorted lists with a merge instead of hashing every
//! market. Market ids, market names, outcome names and books are interned `u32`s; prices are
//! `u32` thousandths. That is 40 bytes per market and 12 per outcome, ≈ 28 MB in all.

use chrono::{DateTime, Utc};

use super::intern::{FxHashMap, Interner, same_name};
use super::risk::EventMemory;
use crate::domain::{Line, MarketOdds, OutcomeOdds, Price};

/// `unavailable_since_ms` of a market that is available.
pub(crate) const AVAILABLE: i64 = i64::MIN;

/// (market id, line) as one `u64` that sorts like the pair (the id is `key >> 33`): the market id in the high bits, then
/// "no line" below every line, then the line offset to be non-negative. One integer comparison
/// instead of a tuple with an `Option` in the sorts and merges of every cycle.
#[inline]
pub(crate) fn market_key(market: u32, line: Option<Line>) -> u64 {
    let line = match line {
        None => 0,
        Some(line) => (i64::from(line.milli()) - i64::from(i32::MIN) + 1) as u64,
    };
    (u64::from(market) << 33) | line
}

/// One outcome as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutcomeSlot {
    /// Interned outcome name.
    pub name: u32,
    /// Price in thousandths (0 = no price).
    pub price: u32,
    /// Not suspended.
    pub active: bool,
}

impl OutcomeSlot {
    /// A price a customer could bet on: active and non-zero. The one definition both price
    /// moves (§3) and the market rules' complete markets (§9) use.
    #[inline]
    pub(crate) fn is_offered(&self) -> bool {
        self.active && self.price > 0
    }
}

/// One market (with its line) of one (event, book) as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MarketSlot {
    /// Interned canonical market id.
    pub market: u32,
    /// Interned market name (needed to alert on a market that vanished).
    pub name: u32,
    /// The line.
    pub line: Option<Line>,
    /// First outcome in [`BookState::outcomes`].
    pub first: u32,
    /// Number of outcomes (zero for a market that vanished).
    pub len: u32,
    /// Unix milliseconds since the market is unavailable, or [`AVAILABLE`].
    pub unavailable_since_ms: i64,
    /// Whether its going unavailable was an observed transition. A market first seen already
    /// suspended never "returns": it just opens.
    pub announced: bool,
    /// Whether it went away as part of an event-level alert: its return is then counted into
    /// one event-level `returned` alert rather than alerted on its own.
    pub announced_for_event: bool,
    /// Its prices, outcomes or availability differ from the book's previous successful scrape
    /// (or it is first seen, or it went away, this cycle): the §9 rules re-evaluate a home
    /// market only when it or a competitor's same market changed (see `risk`).
    pub changed: bool,
}

impl MarketSlot {
    /// The sort and match key: (market id, line) packed in one integer.
    #[inline]
    pub(crate) fn key(&self) -> u64 {
        market_key(self.market, self.line)
    }

    /// Offered in the last scrape.
    #[inline]
    pub(crate) fn is_available(&self) -> bool {
        self.unavailable_since_ms == AVAILABLE
    }
}

/// One book's last successful view of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BookState {
    /// Sorted by [`MarketSlot::key`], no duplicate keys.
    pub markets: Vec<MarketSlot>,
    /// The outcomes of all markets, addressed by `first`/`len`.
    pub outcomes: Vec<OutcomeSlot>,
}

impl BookState {
    /// The outcomes of one market.
    #[inline]
    pub(crate) fn outcomes_of(&self, slot: &MarketSlot) -> &[OutcomeSlot] {
        &self.outcomes[slot.first as usize..(slot.first + slot.len) as usize]
    }

    /// The market with this key, by binary search.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<&MarketSlot> {
        self.markets
            .binary_search_by(|m| m.key().cmp(&key))
            .ok()
            .map(|i| &self.markets[i])
    }

    /// True when the market with this key is in the state and offered.
    #[inline]
    pub(crate) fn prices(&self, key: u64) -> bool {
        self.find(key).is_some_and(MarketSlot::is_available)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.markets.capacity() * size_of::<MarketSlot>()
            + self.outcomes.capacity() * size_of::<OutcomeSlot>()
    }
}

/// One event's last-seen state on every book.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventState {
    /// Kickoff as last reported in a cycle (for pruning).
    pub kickoff: Option<DateTime<Utc>>,
    /// By interned book id; a handful of books, so a `Vec` beats a map.
    pub books: Vec<(u32, BookState)>,
    /// The §9 band memory of the event's markets and outcomes: dropped with the event.
    pub memory: EventMemory,
}

impl EventState {
    pub(crate) fn book(&self, book: u32) -> Option<&BookState> {
        self.books.iter().find(|(b, _)| *b == book).map(|(_, s)| s)
    }

    pub(crate) fn book_mut(&mut self, book: u32) -> &mut BookState {
        let index = match self.books.iter().position(|(b, _)| *b == book) {
            Some(index) => index,
            None => {
                self.books.push((book, BookState::default()));
                self.books.len() - 1
            }
        };
        &mut self.books[index].1
    }

    /// Replaces (or adds) a book's state; returns the replaced one, for its buffers.
    pub(crate) fn set_book(&mut self, book: u32, state: BookState) -> BookState {
        std::mem::replace(self.book_mut(book), state)
    }
}

/// The interned vocabularies shared by the whole state.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    pub books: Interner,
    pub markets: Interner,
    pub market_names: Interner,
    pub outcomes: Interner,
    /// Per market id: the non-empty market name last seen with it. Books name a market the same
    /// way every time, so comparing with this beats hashing the name; it also names markets
    /// warmed from stored rows that carry no name.
    name_of_market: Vec<Option<u32>>,
    /// Per market id: the outcome name ids by position as last seen, for the same reason.
    outcomes_of_market: Vec<Vec<u32>>,
    /// Canonical market ids are numeric ("3743"): their value finds the id with one integer
    /// hash instead of a string hash and compare.
    numeric_markets: FxHashMap<u32, u32>,
}

impl Vocabulary {
    pub(crate) fn heap_bytes(&self) -> usize {
        self.books.heap_bytes()
            + self.markets.heap_bytes()
            + self.market_names.heap_bytes()
            + self.outcomes.heap_bytes()
            + self.name_of_market.capacity() * size_of::<Option<u32>>()
            + self.numeric_markets.capacity() * (size_of::<(u32, u32)>() + 1)
            + self
                .outcomes_of_market
                .iter()
                .map(|o| o.capacity() * size_of::<u32>() + size_of::<Vec<u32>>())
                .sum::<usize>()
    }

    /// The interned id of a canonical market id.
    #[inline]
    pub(crate) fn market_id(&mut self, market_id: &str) -> u32 {
        let Some(value) = plain_number(market_id) else {
            return self.markets.intern(market_id);
        };
        if let Some(&id) = self.numeric_markets.get(&value) {
            return id;
        }
        let id = self.markets.intern(market_id);
        self.numeric_markets.insert(value, id);
        id
    }

    /// The id of a market's name, usually found by one string comparison.
    #[inline]
    pub(crate) fn market_name(&mut self, market: u32, name: &str) -> u32 {
        let index = market as usize;
        if let Some(Some(id)) = self.name_of_market.get(index)
            && same_name(self.market_names.name(*id), name)
        {
            return *id;
        }
        let id = self.market_names.intern(name);
        if !name.is_empty() {
            if self.name_of_market.len() <= index {
                self.name_of_market.resize(index + 1, None);
            }
            self.name_of_market[index] = Some(id);
        }
        id
    }

    /// The id of the name of the outcome at `position` of a market, usually found by one string
    /// comparison.
    #[inline]
    pub(crate) fn outcome_name(&mut self, market: u32, position: usize, name: &str) -> u32 {
        let index = market as usize;
        if let Some(&id) = self
            .outcomes_of_market
            .get(index)
            .and_then(|o| o.get(position))
            && same_name(self.outcomes.name(id), name)
        {
            return id;
        }
        let id = self.outcomes.intern(name);
        if self.outcomes_of_market.len() <= index {
            self.outcomes_of_market.resize_with(index + 1, Vec::new);
        }
        let cache = &mut self.outcomes_of_market[index];
        if cache.len() <= position {
            cache.resize(position + 1, id);
        }
        cache[position] = id;
        id
    }

    /// An outcome of the state as domain odds.
    pub(crate) fn outcome_odds(&self, outcome: &OutcomeSlot) -> OutcomeOdds {
        OutcomeOdds {
            name: self.outcomes.name(outcome.name).to_string(),
            price: Price::from_milli(outcome.price),
            active: outcome.active,
        }
    }

    /// The name to show for a market: its own, or when that is empty (a row warmed from the
    /// database without one) the last name seen for the market id.
    pub(crate) fn display_name(&self, market: u32, name: u32) -> &str {
        let own = self.market_names.name(name);
        if !own.is_empty() {
            return own;
        }
        match self.name_of_market.get(market as usize) {
            Some(Some(id)) => self.market_names.name(*id),
            _ => own,
        }
    }
}

/// The value of a canonical decimal number without sign or leading zero ("3743"), so that
/// distinct strings never share a value; `None` for anything else.
#[inline]
fn plain_number(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 9 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    bytes.iter().try_fold(0u32, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

/// A market of the last-seen state, read back as domain types (for tests, debugging and tools).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenMarket {
    /// The market with the outcomes last seen (none when it vanished from the feed).
    pub market: MarketOdds,
    /// Offered in the last successful scrape.
    pub available: bool,
    /// Since when it is unavailable, when it is.
    pub unavailable_since: Option<DateTime<Utc>>,
}

/// Builds the state of one market and appends its outcomes; duplicate outcome names keep the
/// first quote. Returns the slot (available unless every outcome is suspended) whose
/// `unavailable_since_ms`, when unavailable, is `now_ms` and not yet announced.
pub(crate) fn build_slot(
    vocabulary: &mut Vocabulary,
    market_id: u32,
    market: &MarketOdds,
    outcomes: &mut Vec<OutcomeSlot>,
    now_ms: i64,
) -> MarketSlot {
    let first = outcomes.len();
    let mut any_active = false;
    for (position, outcome) in market.outcomes.iter().enumerate() {
        let name = vocabulary.outcome_name(market_id, position, &outcome.name);
        if outcomes[first..].iter().any(|o| o.name == name) {
            continue;
        }
        any_active |= outcome.active;
        outcomes.push(OutcomeSlot {
            name,
            price: outcome.price.milli(),
            active: outcome.active,
        });
    }
    MarketSlot {
        market: market_id,
        name: vocabulary.market_name(market_id, &market.market_name),
        line: market.line,
        first: to_u32(first),
        len: to_u32(outcomes.len() - first),
        unavailable_since_ms: if any_active { AVAILABLE } else { now_ms },
        announced: false,
        announced_for_event: false,
        changed: true,
    }
}

/// Reads one slot back into domain types.
pub(crate) fn seen_market(
    vocabulary: &Vocabulary,
    book: &BookState,
    slot: &MarketSlot,
) -> SeenMarket {
    let outcomes = book
        .outcomes_of(slot)
        .iter()
        .map(|o| vocabulary.outcome_odds(o))
        .collect();
    SeenMarket {
        market: MarketOdds {
            market_id: vocabulary.markets.name(slot.market).to_string(),
            market_name: vocabulary.market_names.name(slot.name).to_string(),
            line: slot.line,
            outcomes,
        },
        available: slot.is_available(),
        unavailable_since: (!slot.is_available())
            .then(|| DateTime::from_timestamp_millis(slot.unavailable_since_ms))
            .flatten(),
    }
}

/// Approximate heap bytes of the per-event state: the slot vectors by capacity, the event keys,
/// and the hash table's buckets.
pub(crate) fn events_heap_bytes(events: &FxHashMap<Box<str>, EventState>) -> usize {
    let table = events.capacity() * (size_of::<(Box<str>, EventState)>() + 1);
    let contents: usize = events
        .iter()
        .map(|(key, event)| {
            key.len()
                + event.books.capacity() * size_of::<(u32, BookState)>()
                + event
                    .books
                    .iter()
                    .map(|(_, b)| b.heap_bytes())
                    .sum::<usize>()
                + event.memory.heap_bytes()
        })
        .sum();
    table + contents
}

/// Milliseconds since the epoch of a time (saturating far outside any real kickoff).
pub(crate) fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 4 billion markets or outcomes per event")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_keys_sort_like_market_then_line_with_no_line_first() {
        let line = |milli| Some(Line::from_milli(milli));
        let mut keys = vec![
            market_key(2, None),
            market_key(1, line(2500)),
            market_key(1, line(i32::MAX)),
            market_key(1, None),
            market_key(1, line(i32::MIN)),
            market_key(1, line(-500)),
        ];
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                market_key(1, None),
                market_key(1, line(i32::MIN)),
                market_key(1, line(-500)),
                market_key(1, line(2500)),
                market_key(1, line(i32::MAX)),
                market_key(2, None),
            ]
        );
        assert_ne!(market_key(1, None), market_key(1, line(i32::MIN)));
    }

    #[test]
    fn numeric_and_other_market_ids_intern_to_distinct_stable_ids() {
        let mut vocabulary = Vocabulary::default();
        let one_x_two = vocabulary.market_id("3743");
        let padded = vocabulary.market_id("03743");
        let named = vocabulary.market_id("h2h");
        assert_eq!(vocabulary.market_id("3743"), one_x_two);
        assert_ne!(padded, one_x_two);
        assert_ne!(named, one_x_two);
        assert_eq!(&**vocabulary.markets.name(padded), "03743");
        assert_eq!(plain_number("4294967295"), None, "more than nine digits");
        assert_eq!(plain_number("0"), Some(0));
        assert_eq!(plain_number(""), None);
    }
}
