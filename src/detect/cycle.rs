//! What the pipeline hands to detection for one cycle, and what it gets back.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{AvailabilityChange, DetectedAlert, EventOdds, Line, MarketOdds, OutcomeOdds};

/// One scrape cycle across all books, in normalised form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleInput {
    /// Slug of the home book (e.g. `"betpawa"`); every other book is a competitor.
    pub home_book: String,
    /// Books whose event discovery failed entirely this cycle: an event they are missing from
    /// counts as a failed fetch for them (source health), never as an availability change.
    pub failed_books: BTreeSet<String>,
    /// Competitor books **enabled** in the configuration (not those fetched this cycle): when
    /// fewer than `detection.consensus_min_books` are enabled, `market_move` and `off_market`
    /// need only this many (DESIGN §9), and a failed fetch never lowers it. Zero is taken as
    /// one (see [`MarketRules::required_books`](super::market::MarketRules::required_books)).
    pub enabled_competitors: usize,
    /// The events of the cycle, matched across books by event key.
    pub events: Vec<CycleEvent>,
}

/// One event of the cycle and what each book returned for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleEvent {
    /// Cross-book identity: the SportRadar match id.
    pub event_key: String,
    /// Kickoff in UTC; without one the event raises no alerts (its state is still updated).
    pub kickoff: Option<DateTime<Utc>>,
    /// One entry per book that listed the event or whose fetch of it failed. A book that is
    /// simply absent did not list the event: its last-seen state is kept and nothing is raised.
    pub books: Vec<EventBook>,
}

/// One book's result for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBook {
    /// Book slug, e.g. `"sportybet"`.
    pub book: String,
    /// The odds, or the fact that fetching them failed.
    pub scrape: BookScrape,
}

/// The outcome of fetching one event from one book.
#[derive(Debug, Clone, PartialEq)]
pub enum BookScrape {
    /// A successful fetch: the book's complete view of the event.
    Fetched(EventOdds),
    /// The fetch failed (timeout, HTTP error, unparsable body): a source-health problem. The
    /// book's last-seen state for the event is kept for the next successful fetch.
    Failed,
}

impl CycleInput {
    /// The event, book slug and market a [`MarketChange`] points at.
    ///
    /// # Panics
    /// When the change does not come from detecting this very input.
    pub fn resolve(&self, change: &MarketChange) -> ResolvedMarket<'_> {
        let event = &self.events[change.event as usize];
        let book = &event.books[change.book as usize];
        let BookScrape::Fetched(odds) = &book.scrape else {
            panic!("a market change always points at a fetched book");
        };
        ResolvedMarket {
            event_key: &event.event_key,
            book: &book.book,
            market: &odds.markets[change.market as usize],
        }
    }

    /// The event key and book slug a [`VanishedMarket`] belongs to.
    pub fn resolve_vanished(&self, vanished: &VanishedMarket) -> (&str, &str) {
        let event = &self.events[vanished.event as usize];
        (&event.event_key, &event.books[vanished.book as usize].book)
    }
}

/// A market change resolved against its cycle input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedMarket<'a> {
    /// SportRadar id of the event.
    pub event_key: &'a str,
    /// Book slug.
    pub book: &'a str,
    /// The market as fetched this cycle (its outcomes are what to store).
    pub market: &'a MarketOdds,
}

/// How a fetched market's prices compare with the book's previous successful scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriceUpdate {
    /// Not in the last-seen state: insert the current row and start its history.
    FirstSeen,
    /// An outcome's price or suspended flag changed, or outcomes came or went: update the
    /// current row and write a history row.
    Changed,
    /// Identical to last time: only `last_seen` moves on; no history row.
    Unchanged,
}

/// One market (with its line) of one successfully fetched (event, book) this cycle: what the
/// pipeline writes to the current-odds table, and whether it needs a history row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketChange {
    /// Index into [`CycleInput::events`].
    pub event: u32,
    /// Index into that event's [`CycleEvent::books`].
    pub book: u32,
    /// Index into that book's [`EventOdds::markets`] (duplicated markets keep their first row).
    pub market: u32,
    /// How the prices compare with the previous successful scrape.
    pub prices: PriceUpdate,
    /// Offered now (at least one outcome active).
    pub available: bool,
    /// Since when it has been unavailable, when it is.
    pub unavailable_since: Option<DateTime<Utc>>,
    /// Set when availability flipped this cycle (for every book, alerted or not).
    pub availability: Option<AvailabilityChange>,
}

impl MarketChange {
    /// True when the pipeline should write a price-history row for this market.
    pub fn needs_history(&self) -> bool {
        self.prices != PriceUpdate::Unchanged
    }
}

/// A market present and available in a book's previous successful scrape that the book's
/// successful scrape of the event this cycle no longer contains: mark the current row
/// unavailable since `since`. (Markets already unavailable and still missing are not repeated.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VanishedMarket {
    /// Index into [`CycleInput::events`].
    pub event: u32,
    /// Index into that event's [`CycleEvent::books`].
    pub book: u32,
    /// Canonical market id.
    pub market_id: Arc<str>,
    /// Its line.
    pub line: Option<Line>,
    /// The outcomes as last quoted (the current-odds row keeps them while unavailable).
    pub last_outcomes: Vec<OutcomeOdds>,
    /// When detection noticed it gone (the cycle's `now`).
    pub since: DateTime<Utc>,
}

/// Everything one cycle of detection produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleOutput {
    /// Alerts, sorted by event, market, line, outcome, type and competitor.
    pub alerts: Vec<DetectedAlert>,
    /// One entry per market of every successful (event, book) fetch, in input order.
    pub market_changes: Vec<MarketChange>,
    /// Markets that vanished this cycle.
    pub vanished: Vec<VanishedMarket>,
    /// Books that lost more than `mass_vanish_pct` of their markets this cycle (a feed
    /// problem: their availability alerts were not raised), by book slug.
    pub mass_vanished: Vec<MassVanish>,
    /// What happened, for logs and the source-health view.
    pub counters: CycleCounters,
}

/// A book that lost more than [`Rules::mass_vanish_pct`](super::Rules::mass_vanish_pct) of
/// its markets in one cycle: treated as a feed problem, not as markets going away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassVanish {
    /// Book slug.
    pub book: String,
    /// Markets available in the book's previous scrapes of this cycle's fetched events that
    /// are missing or suspended now.
    pub lost: u64,
    /// Markets available in those previous scrapes.
    pub of: u64,
}

/// Counts of one detection cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleCounters {
    /// Events in the input.
    pub events: u64,
    /// Events listed twice in the input (the repeat is ignored).
    pub duplicate_events: u64,
    /// Events without a known kickoff: state updated, no alerts.
    pub events_without_kickoff: u64,
    /// Events whose kickoff is not after `now`: state updated, no alerts (they would be past).
    pub events_started: u64,
    /// (event, book) pairs fetched successfully.
    pub books_fetched: u64,
    /// (event, book) pairs whose fetch failed, including books whose discovery failed.
    pub books_failed: u64,
    /// (event, book) entries ignored because the book appeared twice for the event.
    pub duplicate_books: u64,
    /// Market rows dropped because the same (market, line) appeared twice in one scrape.
    pub duplicate_markets: u64,
    /// Markets compared with a previous scrape (present on both sides).
    pub markets_compared: u64,
    /// Markets not in the last-seen state.
    pub markets_first_seen: u64,
    /// Markets whose prices or suspended flags changed.
    pub markets_changed: u64,
    /// Markets identical to last time.
    pub markets_unchanged: u64,
    /// Markets that went unavailable (vanished or all outcomes suspended).
    pub markets_suspended: u64,
    /// Markets that came back.
    pub markets_returned: u64,
    /// Outcomes compared with the previous price of the same book.
    pub outcomes_compared: u64,
    /// Outcomes whose offered price moved.
    pub outcomes_moved: u64,
    /// Alert candidates dropped because the market is not primary.
    pub filtered_not_primary: u64,
    /// Home alert candidates dropped because no competitor priced the market and line.
    pub filtered_no_competitor: u64,
    /// `price_change` alerts raised.
    pub price_change_alerts: u64,
    /// `direction_disagreement` alerts raised.
    pub direction_alerts: u64,
    /// `availability` alerts raised (per market and event-level, home and competitors).
    pub availability_alerts: u64,
    /// Of `price_change_alerts` and `availability_alerts`, those about a competitor book.
    pub competitor_alerts: u64,
    /// `market_move` alerts raised.
    pub market_move_alerts: u64,
    /// `off_market` alerts raised.
    pub off_market_alerts: u64,
    /// `margin` alerts raised.
    pub margin_alerts: u64,
    /// Complete primary home markets the §9 rules looked at this cycle.
    pub markets_evaluated: u64,
    /// Of those, markets whose `off_market` an exact integer bound showed below the warning
    /// band with nothing remembered, so the exact consensus was not computed.
    pub markets_screened: u64,
    /// Primary home markets not re-evaluated because neither they nor a competitor's same
    /// market changed since their last evaluation (same inputs, same bands).
    pub markets_unchanged_skipped: u64,
    /// Event-level `availability` alerts raised (each stands for several markets).
    pub event_availability_alerts: u64,
    /// Books whose loss of markets this cycle was over `mass_vanish_pct` (see
    /// [`CycleOutput::mass_vanished`]).
    pub mass_vanish_books: u64,
    /// Home availability flips not alerted because the home book's loss was a mass vanish.
    pub availability_suppressed: u64,
}
