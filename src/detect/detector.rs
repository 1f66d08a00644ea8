//! The detector: owns the last-seen state and runs one cycle of detection over it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::Rules;
use super::alert::output_order;
use super::bands::{RaisedBand, raised_by_event, warm_event_bands};
use super::cycle::{BookScrape, CycleCounters, CycleInput, CycleOutput, MassVanish};
use super::diff::{DiffSink, Move, Origin, Transition, diff_book};
use super::intern::FxHashMap;
use super::market::MarketRules;
use super::raise::{AlertContext, FetchedBook, raise_event_alerts};
use super::risk::{MarketInputs, raise_market_alerts};
use super::rules::{EVENT_VANISH_MIN_MARKETS, MASS_VANISH_MIN_MARKETS};
use super::state::{
    BookState, EventState, SeenMarket, Vocabulary, build_slot, events_heap_bytes, market_key,
    seen_market, to_ms, to_u32,
};
use crate::domain::{AvailabilityChange, EventOdds, MarketOdds};

/// Change and risk detection over consecutive scrape cycles. Holds the last-seen state of every
/// (event, book, market, line); see the [module docs](super) for the rules.
#[derive(Debug, Default)]
pub struct Detector {
    events: FxHashMap<Box<str>, EventState>,
    vocabulary: Vocabulary,
    scratch: Scratch,
    /// What the §9 rules last ran with; when it changes, `generation` moves on and every
    /// event's markets are evaluated again rather than only the changed ones.
    market_inputs: Option<MarketRuleInputs>,
    /// Counts the changes of `market_inputs`.
    generation: u64,
}

/// Everything besides prices that the §9 bands of a market depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MarketRuleInputs {
    rules: MarketRules,
    primary_markets: std::collections::BTreeSet<String>,
    enabled_competitors: usize,
    home: u32,
}

/// Buffers reused from event to event so a cycle allocates little beyond the new state.
#[derive(Debug, Default)]
struct Scratch {
    order: Vec<(u64, u32)>,
    sources: Vec<u32>,
    moves: Vec<Move>,
    transitions: Vec<Transition>,
    /// Replaced states of each book, whose buffers the next scrape of that book reuses: the
    /// state is rebuilt every cycle, and recycling saves a malloc/free and fresh pages per
    /// (event, book).
    spare: Vec<(u32, BookState)>,
}

impl Detector {
    /// An empty detector: every market of the first cycle is first seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Warms the state from a stored current-odds row (at start, from the database), so the
    /// first cycle compares against the last prices the previous run saw instead of treating
    /// everything as first seen. Replaces the (event, book, market, line) entry if present.
    ///
    /// `available = false` marks the market unavailable since `unavailable_since` (or
    /// `seen_at` when unknown); its return will raise `returned`.
    pub fn warm(
        &mut self,
        event_key: &str,
        book: &str,
        market: &MarketOdds,
        seen_at: DateTime<Utc>,
        available: bool,
        unavailable_since: Option<DateTime<Utc>>,
    ) {
        let book = self.vocabulary.books.intern(book);
        let market_id = self.vocabulary.market_id(&market.market_id);
        let state = event_state(&mut self.events, event_key).book_mut(book);
        let mut slot = build_slot(
            &mut self.vocabulary,
            market_id,
            market,
            &mut state.outcomes,
            to_ms(seen_at),
        );
        if !available || !slot.is_available() {
            slot.unavailable_since_ms = to_ms(unavailable_since.unwrap_or(seen_at));
            // A stored unavailable row was an observed transition of the previous run.
            slot.announced = !available;
        }
        match state.markets.binary_search_by(|m| m.key().cmp(&slot.key())) {
            // The replaced outcomes stay in the arena until the next successful scrape
            // rebuilds this book's state; warming happens once, so that is a few bytes.
            Ok(index) => state.markets[index] = slot,
            Err(index) => state.markets.insert(index, slot),
        }
    }

    /// Records an event's kickoff while warming, so [`Detector::prune_started`] can drop it
    /// before the first cycle reports it.
    pub fn warm_kickoff(&mut self, event_key: &str, kickoff: Option<DateTime<Utc>>) {
        if kickoff.is_some() {
            event_state(&mut self.events, event_key).kickoff = kickoff;
        }
    }

    /// Runs one cycle: compares every successful (event, book) scrape with the book's previous
    /// successful scrape, raises the alerts `rules` allow, and replaces the book's last-seen
    /// state with the scrape. Failed fetches and books that did not list an event leave the
    /// state as it was. `now` is the cycle's time (`detected_at`, availability durations).
    pub fn detect_cycle(
        &mut self,
        input: &CycleInput,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> CycleOutput {
        let mut output = CycleOutput::default();
        let market_rows: usize = input
            .events
            .iter()
            .flat_map(|e| &e.books)
            .map(|b| match &b.scrape {
                BookScrape::Fetched(odds) => odds.markets.len(),
                BookScrape::Failed => 0,
            })
            .sum();
        output.market_changes.reserve(market_rows);
        let home = self.vocabulary.books.intern(&input.home_book);
        let failed: Vec<u32> = input
            .failed_books
            .iter()
            .map(|b| self.vocabulary.books.intern(b))
            .collect();
        let vanishing = self.mass_vanish(input, rules, &mut output.mass_vanished);
        output.counters.mass_vanish_books = vanishing.len() as u64;
        let market_inputs = MarketInputs {
            enabled_competitors: input.enabled_competitors,
            generation: self.market_generation(rules, input.enabled_competitors, home),
        };
        let mut event_level: Vec<u32> = Vec::new();
        let mut seen_events: HashSet<&str> = HashSet::with_capacity(input.events.len());
        let mut fetched: Vec<FetchedBook> = Vec::new();
        let mut listed: Vec<u32> = Vec::new();
        for (event_index, event) in input.events.iter().enumerate() {
            output.counters.events += 1;
            if !seen_events.insert(event.event_key.as_str()) {
                output.counters.duplicate_events += 1;
                continue;
            }
            fetched.clear();
            listed.clear();
            self.scratch.moves.clear();
            self.scratch.transitions.clear();
            let state = event_state(&mut self.events, &event.event_key);
            if event.kickoff.is_some() {
                state.kickoff = event.kickoff;
            }
            diff_event_books(
                &mut self.vocabulary,
                &mut self.scratch,
                state,
                (event_index, event),
                &vanishing,
                now,
                (&mut listed, &mut fetched),
                &mut output,
            );
            output.counters.books_failed +=
                failed.iter().filter(|b| !listed.contains(b)).count() as u64;
            // The event-level rule holds per book: a competitor pulling an event is one alert
            // too, not one per market.
            event_level.clear();
            for book in fetched.iter_mut().filter(|b| !vanishing.contains(&b.book)) {
                let id = book.book;
                if mark_event_level_loss(state.book(id), book, &self.scratch.transitions, rules) {
                    event_level.push(id);
                }
            }

            match event.kickoff {
                Some(kickoff) if kickoff > now && rules.enabled => {
                    let ctx = AlertContext {
                        event_key: &event.event_key,
                        kickoff,
                        now,
                        home,
                        rules,
                        vocabulary: &self.vocabulary,
                        moves: &self.scratch.moves,
                        transitions: &self.scratch.transitions,
                        vanishing: &vanishing,
                        event_level_gone: &event_level,
                    };
                    raise_event_alerts(&ctx, &fetched, &mut output.alerts, &mut output.counters);
                    raise_market_alerts(
                        &ctx,
                        &state.books,
                        &fetched,
                        &mut state.memory,
                        market_inputs,
                        &mut output.alerts,
                        &mut output.counters,
                    );
                }
                kickoff => {
                    match kickoff {
                        None => output.counters.events_without_kickoff += 1,
                        Some(kickoff) if kickoff <= now => output.counters.events_started += 1,
                        Some(_) => {}
                    }
                    // Not evaluated this cycle: the next evaluation looks at every market.
                    state.memory.invalidate();
                }
            }
            for book in fetched.drain(..) {
                let replaced = state.set_book(book.book, book.state);
                self.scratch.spare.push((book.book, replaced));
            }
        }
        output.alerts.sort_by(output_order);
        output
    }

    /// The generation of the §9 inputs for this cycle: moves on whenever the rules, the primary
    /// markets, the enabled competitors or the home book differ from the last cycle's.
    fn market_generation(&mut self, rules: &Rules, enabled_competitors: usize, home: u32) -> u64 {
        let same = self.market_inputs.as_ref().is_some_and(|m| {
            m.rules == rules.market
                && m.primary_markets == rules.primary_markets
                && m.enabled_competitors == enabled_competitors
                && m.home == home
        });
        if !same {
            self.generation += 1;
            self.market_inputs = Some(MarketRuleInputs {
                rules: rules.market.clone(),
                primary_markets: rules.primary_markets.clone(),
                enabled_competitors,
                home,
            });
        }
        self.generation
    }

    /// Warms the §9 band memory of every warmed event from `raised`, the bands raised before
    /// the restart (the latest stored `off_market` / `margin` alert per key, not `past`),
    /// without raising anything: call it once after [`Detector::warm`] and
    /// [`Detector::warm_kickoff`]. A raised band is remembered unless the warmed prices
    /// evaluate its key below warning (a reset happened after it was raised); a key the warmed
    /// prices cannot evaluate keeps its band, and a key never raised remembers nothing, so the
    /// next cycle raises it. Events whose kickoff is not after `now` are skipped (they raise
    /// nothing); events without a known kickoff keep their raised bands unevaluated.
    /// `enabled_competitors` is [`CycleInput::enabled_competitors`].
    pub fn warm_bands(
        &mut self,
        home_book: &str,
        rules: &Rules,
        enabled_competitors: usize,
        raised: &[RaisedBand],
        now: DateTime<Utc>,
    ) {
        self.warm_bands_of(home_book, rules, enabled_competitors, raised, now, |_| true);
    }

    /// [`Detector::warm_bands`] for the events `include` accepts only (a daemon warming the
    /// shards it has just claimed): the band memory of every other event is left as it is.
    pub fn warm_bands_of(
        &mut self,
        home_book: &str,
        rules: &Rules,
        enabled_competitors: usize,
        raised: &[RaisedBand],
        now: DateTime<Utc>,
        include: impl Fn(&str) -> bool,
    ) {
        let home = self.vocabulary.books.intern(home_book);
        let events = &self.events;
        let mut raised = raised_by_event(
            &mut self.vocabulary,
            |e| include(e) && events.contains_key(e),
            raised,
        );
        for (event_key, state) in &mut self.events {
            if !include(event_key) {
                continue;
            }
            let stored = raised.remove(&**event_key).unwrap_or_default();
            let kickoff = match state.kickoff {
                Some(kickoff) if kickoff <= now => continue,
                kickoff => kickoff,
            };
            let ctx = kickoff.map(|kickoff| AlertContext {
                event_key,
                kickoff,
                now,
                home,
                rules,
                vocabulary: &self.vocabulary,
                moves: &[],
                transitions: &[],
                vanishing: &[],
                event_level_gone: &[],
            });
            warm_event_bands(
                ctx.as_ref(),
                &state.books,
                &mut state.memory,
                enabled_competitors,
                stored,
            );
        }
    }

    /// Bands remembered by the §9 rules for one event (`off_market` outcomes and `margin`
    /// markets), 0 for an unknown event.
    pub fn remembered_bands(&self, event_key: &str) -> usize {
        self.events
            .get(event_key)
            .map_or(0, |e| e.memory.remembered())
    }

    /// The books whose scrapes in `input` lose more than `rules.mass_vanish_pct` of the
    /// markets that were available in their previous scrapes of the same events (and at least
    /// [`MASS_VANISH_MIN_MARKETS`]); each is also reported in `report`. A pass over the input
    /// before anything is compared, because the verdict must hold for the book's first event
    /// as much as its last. Events and books listed twice count once, like in the cycle.
    fn mass_vanish(
        &mut self,
        input: &CycleInput,
        rules: &Rules,
        report: &mut Vec<MassVanish>,
    ) -> Vec<u32> {
        // (book, lost, of)
        let mut tally: Vec<(u32, u64, u64)> = Vec::new();
        let mut seen_events: HashSet<&str> = HashSet::with_capacity(input.events.len());
        let mut keys: Vec<(u64, bool)> = Vec::new();
        let mut listed: Vec<u32> = Vec::new();
        for event in &input.events {
            if !seen_events.insert(event.event_key.as_str()) {
                continue;
            }
            let Some(state) = self.events.get(event.event_key.as_str()) else {
                continue;
            };
            listed.clear();
            for entry in &event.books {
                let book = self.vocabulary.books.intern(&entry.book);
                if listed.contains(&book) {
                    continue;
                }
                listed.push(book);
                let (BookScrape::Fetched(odds), Some(old)) = (&entry.scrape, state.book(book))
                else {
                    continue;
                };
                keys.clear();
                for market in &odds.markets {
                    let id = self.vocabulary.market_id(&market.market_id);
                    let offered = market.outcomes.iter().any(|o| o.active);
                    keys.push((market_key(id, market.line), offered));
                }
                // Stable: of a (market, line) quoted twice the first row counts, as in the
                // state the cycle builds.
                keys.sort_by_key(|k| k.0);
                keys.dedup_by_key(|k| k.0);
                let (mut lost, mut of) = (0u64, 0u64);
                for slot in old.markets.iter().filter(|m| m.is_available()) {
                    of += 1;
                    let offered = keys
                        .binary_search_by_key(&slot.key(), |k| k.0)
                        .is_ok_and(|i| keys[i].1);
                    lost += u64::from(!offered);
                }
                match tally.iter_mut().find(|t| t.0 == book) {
                    Some(t) => {
                        t.1 += lost;
                        t.2 += of;
                    }
                    None => tally.push((book, lost, of)),
                }
            }
        }
        let mut vanishing = Vec::new();
        for (book, lost, of) in tally {
            if lost >= MASS_VANISH_MIN_MARKETS && rules.vanish_exceeds(lost, of) {
                vanishing.push(book);
                report.push(MassVanish {
                    book: self.vocabulary.books.name(book).to_string(),
                    lost,
                    of,
                });
            }
        }
        report.sort_by(|a, b| a.book.cmp(&b.book));
        vanishing
    }

    /// The last-seen state of one (event, book), as domain types, sorted by market id and line;
    /// `None` when the book was never seen for the event.
    pub fn last_seen(&self, event_key: &str, book: &str) -> Option<Vec<SeenMarket>> {
        let book = self.vocabulary.books.get(book)?;
        let state = self.events.get(event_key)?.book(book)?;
        let mut markets: Vec<SeenMarket> = state
            .markets
            .iter()
            .map(|slot| seen_market(&self.vocabulary, state, slot))
            .collect();
        markets.sort_by(|a, b| {
            (&a.market.market_id, a.market.line).cmp(&(&b.market.market_id, b.market.line))
        });
        Some(markets)
    }

    /// Drops an event's state (e.g. once it has kicked off). Returns whether it was known.
    pub fn forget_event(&mut self, event_key: &str) -> bool {
        self.events.remove(event_key).is_some()
    }

    /// Drops the state of every event `forget` accepts (a daemon's shards it lost or gave up);
    /// returns how many were dropped.
    pub fn forget_events_where(&mut self, forget: impl Fn(&str) -> bool) -> usize {
        let before = self.events.len();
        self.events.retain(|key, _| !forget(key));
        before - self.events.len()
    }

    /// Drops the state of every event whose last reported kickoff is at or before `now`;
    /// returns how many were dropped. Events never reported with a kickoff are kept.
    pub fn prune_started(&mut self, now: DateTime<Utc>) -> usize {
        let before = self.events.len();
        self.events.retain(|_, e| e.kickoff.is_none_or(|k| k > now));
        before - self.events.len()
    }

    /// Events in the state.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// (event, book, market, line) entries in the state, available or not.
    pub fn market_count(&self) -> usize {
        self.books().map(|b| b.markets.len()).sum()
    }

    /// Outcomes held in the state.
    pub fn outcome_count(&self) -> usize {
        self.books().map(|b| b.outcomes.len()).sum()
    }

    /// Approximate heap bytes of the state: every vector by capacity, the hash tables by bucket
    /// count, and the interned strings. Scratch buffers are included; allocator overhead is not.
    pub fn heap_bytes(&self) -> usize {
        let scratch = self.scratch.order.capacity() * size_of::<(u64, u32)>()
            + self.scratch.sources.capacity() * size_of::<u32>()
            + self.scratch.moves.capacity() * size_of::<Move>()
            + self.scratch.transitions.capacity() * size_of::<Transition>()
            + self
                .scratch
                .spare
                .iter()
                .map(|(_, b)| b.heap_bytes())
                .sum::<usize>();
        events_heap_bytes(&self.events) + self.vocabulary.heap_bytes() + scratch
    }

    fn books(&self) -> impl Iterator<Item = &BookState> {
        self.events
            .values()
            .flat_map(|e| e.books.iter().map(|(_, b)| b))
    }
}

/// Builds the sorted state of one scrape; `scratch.sources[i]` receives the input index of
/// market `i`. A (market, line) quoted twice keeps its first row.
fn build_book_state(
    vocabulary: &mut Vocabulary,
    scratch: &mut Scratch,
    book: u32,
    odds: &EventOdds,
    now: DateTime<Utc>,
    counters: &mut CycleCounters,
) -> BookState {
    scratch.order.clear();
    scratch.sources.clear();
    for (index, market) in odds.markets.iter().enumerate() {
        let id = vocabulary.market_id(&market.market_id);
        scratch
            .order
            .push((market_key(id, market.line), to_u32(index)));
    }
    // Markets usually arrive in the same order every cycle; sorting by the full triple keeps the
    // first of any duplicates.
    scratch.order.sort_unstable();
    let outcome_total: usize = odds.markets.iter().map(|m| m.outcomes.len()).sum();
    let mut state = match scratch.spare.iter().rposition(|(b, _)| *b == book) {
        Some(index) => scratch.spare.swap_remove(index).1,
        None => BookState::default(),
    };
    state.markets.clear();
    state.outcomes.clear();
    // Room for vanished markets carried over without another reallocation.
    state.markets.reserve(scratch.order.len() + 4);
    state.outcomes.reserve(outcome_total);
    let now_ms = to_ms(now);
    let mut previous = None;
    for &(key, index) in &scratch.order {
        if previous == Some(key) {
            counters.duplicate_markets += 1;
            continue;
        }
        previous = Some(key);
        let market = &odds.markets[index as usize];
        let id = (key >> 33) as u32;
        let slot = build_slot(vocabulary, id, market, &mut state.outcomes, now_ms);
        state.markets.push(slot);
        scratch.sources.push(index);
    }
    // A recycled buffer from a much bigger event would otherwise travel from event to event.
    if state.markets.capacity() > 2 * state.markets.len() + 16 {
        state.markets.shrink_to(state.markets.len() + 4);
    }
    if state.outcomes.capacity() > 2 * state.outcomes.len() + 16 {
        state.outcomes.shrink_to_fit();
    }
    state
}

/// Decides whether a book's loss of markets on this event is event-level: at least
/// [`EVENT_VANISH_MIN_MARKETS`] markets, and more than `mass_vanish_pct` of those available in
/// its previous scrape. If so, marks them in the new state so that their return is counted
/// into one event-level `returned` alert too, and returns true.
fn mark_event_level_loss(
    before: Option<&BookState>,
    home: &mut FetchedBook,
    transitions: &[super::diff::Transition],
    rules: &Rules,
) -> bool {
    let Some(before) = before else {
        return false;
    };
    let gone = || {
        transitions[home.transitions.clone()]
            .iter()
            .filter(|t| t.alertable && t.change == AvailabilityChange::Suspended)
    };
    let lost = gone().count() as u64;
    if lost < EVENT_VANISH_MIN_MARKETS {
        return false;
    }
    let offered = before.markets.iter().filter(|m| m.is_available()).count() as u64;
    if !rules.vanish_exceeds(lost, offered) {
        return false;
    }
    let keys: Vec<u64> = gone().map(|t| market_key(t.market, t.line)).collect();
    for key in keys {
        if let Ok(index) = home.state.markets.binary_search_by(|m| m.key().cmp(&key)) {
            home.state.markets[index].announced_for_event = true;
        }
    }
    true
}

/// Builds this cycle's state of every fetched book of one event and diffs it against the
/// book's last-seen state: moves and transitions go to `scratch`, market changes and counters
/// to `output`, and each fetched book (with its slices of the moves and transitions) to
/// `fetched`. `listed` collects the books named, so a book listed twice counts once.
#[allow(clippy::too_many_arguments)]
fn diff_event_books(
    vocabulary: &mut Vocabulary,
    scratch: &mut Scratch,
    state: &EventState,
    (event_index, event): (usize, &super::cycle::CycleEvent),
    vanishing: &[u32],
    now: DateTime<Utc>,
    (listed, fetched): (&mut Vec<u32>, &mut Vec<FetchedBook>),
    output: &mut CycleOutput,
) {
    for (book_index, entry) in event.books.iter().enumerate() {
        let book = vocabulary.books.intern(&entry.book);
        if listed.contains(&book) {
            output.counters.duplicate_books += 1;
            continue;
        }
        listed.push(book);
        let BookScrape::Fetched(odds) = &entry.scrape else {
            output.counters.books_failed += 1;
            continue;
        };
        output.counters.books_fetched += 1;
        let mut new_state =
            build_book_state(vocabulary, scratch, book, odds, now, &mut output.counters);
        let moves_start = scratch.moves.len();
        let transitions_start = scratch.transitions.len();
        diff_book(
            state.book(book),
            &mut new_state,
            &scratch.sources,
            Origin {
                event: to_u32(event_index),
                book: to_u32(book_index),
                announce: !vanishing.contains(&book),
            },
            now,
            vocabulary,
            &mut DiffSink {
                changes: &mut output.market_changes,
                vanished: &mut output.vanished,
                moves: &mut scratch.moves,
                transitions: &mut scratch.transitions,
                counters: &mut output.counters,
            },
        );
        fetched.push(FetchedBook {
            book,
            state: new_state,
            moves: moves_start..scratch.moves.len(),
            transitions: transitions_start..scratch.transitions.len(),
        });
    }
}

/// The state of an event, created empty when unknown (without allocating a key when known).
fn event_state<'a>(
    events: &'a mut FxHashMap<Box<str>, EventState>,
    event_key: &str,
) -> &'a mut EventState {
    if !events.contains_key(event_key) {
        events.insert(event_key.into(), EventState::default());
    }
    events.get_mut(event_key).expect("just inserted")
}
