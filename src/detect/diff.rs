//! Comparing one book's successful scrape of an event with its last-seen state.
//!
//! Both sides are sorted by (market id, line), so one merge pass finds the markets that are
//! new, compared, or gone, and produces the moves and availability transitions the rules work on.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::cycle::{CycleCounters, MarketChange, PriceUpdate, VanishedMarket};
use super::state::{AVAILABLE, BookState, MarketSlot, Vocabulary};
use crate::domain::{AvailabilityChange, Line};

/// An offered price that moved between two consecutive successful scrapes of one book: both
/// quotes active and non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Move {
    /// Interned market id.
    pub market: u32,
    /// Line.
    pub line: Option<Line>,
    /// Interned outcome name.
    pub outcome: u32,
    /// Interned market name (as this book names it).
    pub market_name: u32,
    /// Previous price, thousandths.
    pub old: u32,
    /// New price, thousandths.
    pub new: u32,
}

impl Move {
    /// The key a home move and a competitor move must share: market, line and outcome.
    #[inline]
    pub(crate) fn key(&self) -> (u32, Option<Line>, u32) {
        (self.market, self.line, self.outcome)
    }
}

/// A market whose availability flipped this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// Interned market id.
    pub market: u32,
    /// Line.
    pub line: Option<Line>,
    /// Interned market name.
    pub market_name: u32,
    /// Gone or back.
    pub change: AvailabilityChange,
    /// For `returned`: whole seconds it was unavailable.
    pub unavailable_secs: Option<i64>,
    /// False for a market first seen suspended that now opens, and for any flip of a book
    /// whose loss this cycle is a mass vanish: a change to store, not an alert.
    pub alertable: bool,
    /// For `returned`: it went away as part of an event-level alert.
    pub event_level: bool,
}

/// Where the diff writes: the cycle's output lists plus per-book scratch lists.
pub(crate) struct DiffSink<'a> {
    pub changes: &'a mut Vec<MarketChange>,
    pub vanished: &'a mut Vec<VanishedMarket>,
    pub moves: &'a mut Vec<Move>,
    pub transitions: &'a mut Vec<Transition>,
    pub counters: &'a mut CycleCounters,
}

/// Which input the diffed scrape came from, for the market changes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub event: u32,
    pub book: u32,
    /// False when this book's loss this cycle is a mass vanish (a feed problem): markets that
    /// go away are recorded as unavailable but not announced, so neither their going nor their
    /// return raises an alert.
    pub announce: bool,
}

/// Compares `new` (built from this cycle's scrape, sorted; `sources[i]` is the input index of
/// `new.markets[i]`) with `old`, reports everything to `sink`, and completes `new` into the
/// book's next last-seen state: markets that vanished are kept, without outcomes, as
/// unavailable so their return can be recognised.
#[allow(clippy::too_many_arguments)]
pub(crate) fn diff_book(
    old: Option<&BookState>,
    new: &mut BookState,
    sources: &[u32],
    origin: Origin,
    now: DateTime<Utc>,
    vocabulary: &Vocabulary,
    sink: &mut DiffSink<'_>,
) {
    let empty = BookState::default();
    let old = old.unwrap_or(&empty);
    let now_ms = now.timestamp_millis();
    let mut carried: Vec<MarketSlot> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.markets.len() || j < new.markets.len() {
        let order = match (old.markets.get(i), new.markets.get(j)) {
            (Some(o), Some(n)) => o.key().cmp(&n.key()),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                let gone = &old.markets[i];
                i += 1;
                let mut kept = MarketSlot {
                    first: 0,
                    len: 0,
                    ..*gone
                };
                // A market that just went changes what the §9 rules see; one long gone does not.
                kept.changed = gone.is_available();
                if gone.is_available() {
                    kept.unavailable_since_ms = now_ms;
                    kept.announced = origin.announce;
                    kept.announced_for_event = false;
                    sink.counters.markets_suspended += 1;
                    sink.vanished.push(VanishedMarket {
                        event: origin.event,
                        book: origin.book,
                        market_id: vocabulary.markets.name(gone.market).clone(),
                        line: gone.line,
                        last_outcomes: old
                            .outcomes_of(gone)
                            .iter()
                            .map(|o| vocabulary.outcome_odds(o))
                            .collect(),
                        since: now,
                    });
                    sink.transitions.push(Transition {
                        market: gone.market,
                        line: gone.line,
                        market_name: gone.name,
                        change: AvailabilityChange::Suspended,
                        unavailable_secs: None,
                        alertable: origin.announce,
                        event_level: false,
                    });
                }
                carried.push(kept);
            }
            Ordering::Greater => {
                let slot = &new.markets[j];
                sink.counters.markets_first_seen += 1;
                sink.changes.push(change_of(
                    origin,
                    sources[j],
                    slot,
                    PriceUpdate::FirstSeen,
                    None,
                ));
                j += 1;
            }
            Ordering::Equal => {
                let previous = old.markets[i];
                let prices = compare_market(old, &previous, new, j, sink);
                let availability = carry_availability(
                    &previous,
                    &mut new.markets[j],
                    now_ms,
                    origin.announce,
                    sink,
                );
                new.markets[j].changed = prices != PriceUpdate::Unchanged || availability.is_some();
                sink.changes.push(change_of(
                    origin,
                    sources[j],
                    &new.markets[j],
                    prices,
                    availability,
                ));
                i += 1;
                j += 1;
            }
        }
    }
    if !carried.is_empty() {
        new.markets.extend(carried);
        new.markets.sort_unstable_by_key(MarketSlot::key);
    }
}

/// Compares the outcomes of a market present in both scrapes; records the moves of offered
/// prices when the market was available last time (a vanished or suspended market has no
/// offered price to move from).
fn compare_market(
    old: &BookState,
    previous: &MarketSlot,
    new: &BookState,
    j: usize,
    sink: &mut DiffSink<'_>,
) -> PriceUpdate {
    sink.counters.markets_compared += 1;
    let current = &new.markets[j];
    let before = old.outcomes_of(previous);
    let after = new.outcomes_of(current);
    let mut changed = before.len() != after.len();
    let compare_prices = previous.is_available();
    for (position, outcome) in after.iter().enumerate() {
        // Books keep their outcome order, so the same position is almost always the match.
        let matched = match before.get(position) {
            Some(o) if o.name == outcome.name => Some(o),
            _ => before.iter().find(|o| o.name == outcome.name),
        };
        let Some(was) = matched else {
            changed = true;
            continue;
        };
        if was.price != outcome.price || was.active != outcome.active {
            changed = true;
        }
        if compare_prices {
            sink.counters.outcomes_compared += 1;
            if was.is_offered() && outcome.is_offered() && was.price != outcome.price {
                sink.counters.outcomes_moved += 1;
                sink.moves.push(Move {
                    market: current.market,
                    line: current.line,
                    outcome: outcome.name,
                    market_name: current.name,
                    old: was.price,
                    new: outcome.price,
                });
            }
        }
    }
    if changed {
        sink.counters.markets_changed += 1;
        PriceUpdate::Changed
    } else {
        sink.counters.markets_unchanged += 1;
        PriceUpdate::Unchanged
    }
}

/// Settles the availability of a market present in both scrapes and reports a flip.
fn carry_availability(
    previous: &MarketSlot,
    current: &mut MarketSlot,
    now_ms: i64,
    announce: bool,
    sink: &mut DiffSink<'_>,
) -> Option<AvailabilityChange> {
    match (previous.is_available(), current.is_available()) {
        (true, true) => None,
        (true, false) => {
            current.unavailable_since_ms = now_ms;
            current.announced = announce;
            sink.counters.markets_suspended += 1;
            sink.transitions.push(Transition {
                market: current.market,
                line: current.line,
                market_name: current.name,
                change: AvailabilityChange::Suspended,
                unavailable_secs: None,
                alertable: announce,
                event_level: false,
            });
            Some(AvailabilityChange::Suspended)
        }
        (false, true) => {
            sink.counters.markets_returned += 1;
            let gone_ms = now_ms.saturating_sub(previous.unavailable_since_ms).max(0);
            sink.transitions.push(Transition {
                market: current.market,
                line: current.line,
                market_name: current.name,
                change: AvailabilityChange::Returned,
                unavailable_secs: Some(gone_ms / 1000),
                alertable: previous.announced,
                event_level: previous.announced && previous.announced_for_event,
            });
            Some(AvailabilityChange::Returned)
        }
        (false, false) => {
            current.unavailable_since_ms = previous.unavailable_since_ms;
            current.announced = previous.announced;
            current.announced_for_event = previous.announced_for_event;
            None
        }
    }
}

fn change_of(
    origin: Origin,
    source: u32,
    slot: &MarketSlot,
    prices: PriceUpdate,
    availability: Option<AvailabilityChange>,
) -> MarketChange {
    MarketChange {
        event: origin.event,
        book: origin.book,
        market: source,
        prices,
        available: slot.is_available(),
        unavailable_since: (slot.unavailable_since_ms != AVAILABLE)
            .then(|| DateTime::from_timestamp_millis(slot.unavailable_since_ms))
            .flatten(),
        availability,
    }
}
