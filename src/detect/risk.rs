//! The market-aware rules of DESIGN §9 on one event: `market_move`, `off_market` and `margin`
//! from the pure arithmetic of [`market`](super::market), with the band-entry memory that
//! decides when `off_market` and `margin` raise.
//!
//! - **`market_move`** is about this cycle's moves: for every outcome a competitor moved by at
//!   least `consensus_min_move` on a primary market the home book prices, with the home outcome
//!   offered in both of its scrapes.
//! - **`off_market` and `margin`** look at every complete primary home market (every outcome
//!   offered), first-seen ones included, against the competitors fetched this cycle. A market
//!   that cannot be evaluated (home incomplete, too few complete competitors, the home fetch
//!   failed) leaves its memory untouched; only an evaluated fall below warning resets it.
//! - **Same inputs, same bands.** Evaluating every market each cycle costs exact rationals per
//!   market, so a market is re-evaluated only when it or a competitor's same market changed
//!   since its last evaluation, or when the event's last evaluation used other books or other
//!   rules ([`EventMemory`] records both). And when nothing is remembered for a market,
//!   [`below_warning`] (an exact integer bound) spares the exact consensus of a market far
//!   below the warning band: both shortcuts give exactly what the full evaluation would.

use std::ops::RangeInclusive;

use super::CycleCounters;
use super::market::{
    self, Band, BandMemory, BookMove, BookQuotes, Quote, below_warning, book_fair_odds,
};
use super::raise::{AlertContext, FetchedBook, book_alert, market_of, price};
use super::state::{BookState, MarketSlot, OutcomeSlot, market_key};
use crate::domain::{
    AlertPayload, BookFairOdds, DetectedAlert, MarginBreach, MarketLeftBehind, Mover,
    OffMarketPrice, OutcomeQuote, Pattern, Percent, PriceMove, Severity,
};

/// The §9 memory of one event: the band last raised per outcome (`off_market`) and per market
/// (`margin`), keyed by the state's interned ids (market and line packed as in
/// [`market_key`]), and what the event's last evaluation saw. It lives in the event's state,
/// so it goes when the event is forgotten or pruned.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventMemory {
    /// Per (market key, outcome name): the `off_market` band last raised.
    pub(super) off_market: BandMemory<(u64, u32)>,
    /// Per market key: the `margin` band last raised.
    pub(super) margin: BandMemory<u64>,
    /// The inputs every market of the event was last evaluated with; `None` when the event's
    /// last cycle did not evaluate it (no home scrape, no kickoff, started, alerts disabled) or
    /// after warming, so the next evaluation looks at every market.
    evaluated: Option<Evaluated>,
}

/// What one evaluation of an event depended on besides the prices.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Evaluated {
    /// The detector's generation of the §9 inputs (rules, primary markets, enabled
    /// competitors, home book): a change re-evaluates every market.
    generation: u64,
    /// The books fetched, sorted: a book fetched now and not then (or the reverse) changes the
    /// consensus without changing any of the books' own markets.
    books: Vec<u32>,
}

impl EventMemory {
    /// The next cycle evaluates every market of the event again.
    pub(crate) fn invalidate(&mut self) {
        self.evaluated = None;
    }

    /// Approximate heap bytes (a B-tree entry is about its key and value plus a pointer).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.off_market.len() * (size_of::<(u64, u32)>() + 2 * size_of::<usize>())
            + self.margin.len() * (size_of::<u64>() + 2 * size_of::<usize>())
            + self
                .evaluated
                .as_ref()
                .map_or(0, |e| e.books.capacity() * size_of::<u32>())
    }

    /// Bands remembered, `off_market` and `margin` together (for tests and tools).
    pub(crate) fn remembered(&self) -> usize {
        self.off_market.len() + self.margin.len()
    }
}

/// What the §9 rules of one cycle need beyond the alert context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarketInputs {
    /// Competitor books enabled in the configuration.
    pub enabled_competitors: usize,
    /// The detector's generation of the rules and books (see [`Evaluated::generation`]).
    pub generation: u64,
}

/// Raises the §9 alerts of one event whose home book was fetched this cycle; without a home
/// scrape nothing is evaluated and the memory is left as it is.
pub(crate) fn raise_market_alerts(
    ctx: &AlertContext<'_>,
    before: &[(u32, BookState)],
    fetched: &[FetchedBook],
    memory: &mut EventMemory,
    inputs: MarketInputs,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let Some(home) = fetched.iter().find(|b| b.book == ctx.home) else {
        memory.invalidate();
        return;
    };
    let home_before = before
        .iter()
        .find(|(b, _)| *b == ctx.home)
        .map(|(_, state)| state);
    let competitors: Vec<(u32, &BookState)> = fetched
        .iter()
        .filter(|b| b.book != ctx.home)
        .map(|b| (b.book, &b.state))
        .collect();
    raise_market_moves(
        ctx,
        (home_before, &home.state),
        fetched,
        inputs.enabled_competitors,
        alerts,
        counters,
    );
    let mut books: Vec<u32> = fetched.iter().map(|b| b.book).collect();
    books.sort_unstable();
    let stamp = Evaluated {
        generation: inputs.generation,
        books,
    };
    let every_market = memory.evaluated.as_ref() != Some(&stamp);
    evaluate_markets(
        ctx,
        &home.state,
        &competitors,
        memory,
        (inputs.enabled_competitors, every_market),
        alerts,
        counters,
    );
    memory.evaluated = Some(stamp);
}

/// `off_market` and `margin` on every complete primary market of `home` (or, unless
/// `every_market`, on those that changed or whose competitors' same market changed).
pub(super) fn evaluate_markets(
    ctx: &AlertContext<'_>,
    home: &BookState,
    competitors: &[(u32, &BookState)],
    memory: &mut EventMemory,
    (enabled_competitors, every_market): (usize, bool),
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let mut aligned = Vec::new();
    let mut counted = Vec::new();
    // The markets are sorted by market id, so the primary filter (a string lookup) is asked
    // once per id rather than once per line.
    let mut last_primary: Option<(u32, bool)> = None;
    for slot in home.markets.iter().filter(|m| m.is_available()) {
        let primary = match last_primary {
            Some((id, primary)) if id == slot.market => primary,
            _ => {
                let primary = ctx
                    .rules
                    .is_primary(ctx.vocabulary.markets.name(slot.market));
                last_primary = Some((slot.market, primary));
                primary
            }
        };
        if !primary {
            continue;
        }
        let key = slot.key();
        let unchanged = || {
            !slot.changed
                && competitors
                    .iter()
                    .all(|(_, c)| c.find(key).is_none_or(|m| !m.changed))
        };
        if !every_market && unchanged() {
            counters.markets_unchanged_skipped += 1;
            continue;
        }
        let outcomes = home.outcomes_of(slot);
        if !outcomes.iter().all(OutcomeSlot::is_offered) {
            continue;
        }
        counters.markets_evaluated += 1;
        let market = HomeMarket {
            slot,
            outcomes,
            key,
        };
        evaluate_margin(ctx, &market, memory, alerts, counters);
        aligned.clear();
        counted.clear();
        for &(book, state) in competitors {
            if let Some(theirs) = state.find(key).filter(|m| m.is_available())
                && align(outcomes, state.outcomes_of(theirs), &mut aligned)
            {
                counted.push(book);
            }
        }
        if counted.len() < ctx.rules.market.required_books(enabled_competitors) {
            continue;
        }
        let outcomes_of_market: RangeInclusive<(u64, u32)> = (key, 0)..=(key, u32::MAX);
        if !memory.off_market.any_in(outcomes_of_market) && outcomes.len() <= SCREENED_OUTCOMES {
            let mut home_prices = [0u32; SCREENED_OUTCOMES];
            for (price, outcome) in home_prices.iter_mut().zip(outcomes) {
                *price = outcome.price;
            }
            let home_prices = &home_prices[..outcomes.len()];
            if below_warning(home_prices, &aligned, ctx.rules.market.off_market.warning) {
                counters.markets_screened += 1;
                continue;
            }
        }
        let consensus = Consensus {
            books: &counted,
            prices: &aligned,
            enabled_competitors,
        };
        evaluate_off_market(ctx, &market, &consensus, memory, alerts, counters);
    }
}

/// Markets with more outcomes skip the screen (the primary markets have two or three).
const SCREENED_OUTCOMES: usize = 8;

/// A complete home market being evaluated.
struct HomeMarket<'a> {
    slot: &'a MarketSlot,
    outcomes: &'a [OutcomeSlot],
    key: u64,
}

/// The competitors counted for a market: their books and their prices in the home market's
/// outcome order, one book after the other.
struct Consensus<'a> {
    books: &'a [u32],
    prices: &'a [u32],
    enabled_competitors: usize,
}

/// Appends a competitor's prices in the home market's outcome order when it prices the same
/// complete market: the same number of outcomes, every home outcome offered (and so no other
/// outcome). Leaves `aligned` as it was otherwise.
fn align(home: &[OutcomeSlot], theirs: &[OutcomeSlot], aligned: &mut Vec<u32>) -> bool {
    if theirs.len() != home.len() {
        return false;
    }
    let start = aligned.len();
    for (position, outcome) in home.iter().enumerate() {
        // Books keep the canonical outcome order, so the same position is almost always it.
        let matched = match theirs.get(position) {
            Some(t) if t.name == outcome.name => Some(t),
            _ => theirs.iter().find(|t| t.name == outcome.name),
        };
        match matched.filter(|t| t.is_offered()) {
            Some(t) => aligned.push(t.price),
            None => {
                aligned.truncate(start);
                return false;
            }
        }
    }
    true
}

/// A band as the alert severity it raises (`None` raises nothing).
fn severity_of(band: Band) -> Option<Severity> {
    match band {
        Band::None => None,
        Band::Warning => Some(Severity::Warning),
        Band::Elevated => Some(Severity::Elevated),
        Band::Critical => Some(Severity::Critical),
    }
}

/// The home market's quotes with their names, for the pure rules.
fn home_quotes<'a>(ctx: &AlertContext<'a>, outcomes: &[OutcomeSlot]) -> Vec<Quote<'a>> {
    outcomes
        .iter()
        .map(|o| Quote {
            outcome: ctx.vocabulary.outcomes.name(o.name),
            price: price(o.price),
        })
        .collect()
}

/// `margin` on a complete home market, raised on band entry; market-level (no outcome).
fn evaluate_margin(
    ctx: &AlertContext<'_>,
    market: &HomeMarket<'_>,
    memory: &mut EventMemory,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let quotes = home_quotes(ctx, market.outcomes);
    let Some(result) = market::margin(&quotes, &ctx.rules.market) else {
        return;
    };
    if !memory.margin.should_raise(market.key, result.band) {
        return;
    }
    let Some(severity) = severity_of(result.band) else {
        return;
    };
    counters.margin_alerts += 1;
    let slot = market.slot;
    alerts.push(book_alert(
        ctx,
        ctx.home,
        market_of(ctx, slot.market, slot.name, slot.line),
        None,
        severity,
        AlertPayload::Margin(MarginBreach {
            margin_pct: Percent::from_hundredths(result.margin),
            prices: quotes
                .iter()
                .map(|q| OutcomeQuote {
                    outcome: q.outcome.to_string(),
                    price: q.price,
                })
                .collect(),
        }),
    ));
}

/// `off_market` on a complete home market with enough complete competitors, each outcome
/// raised on band entry.
fn evaluate_off_market(
    ctx: &AlertContext<'_>,
    market: &HomeMarket<'_>,
    consensus: &Consensus<'_>,
    memory: &mut EventMemory,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let home = home_quotes(ctx, market.outcomes);
    let n = home.len();
    // Each counted book's quotes in the home market's order and naming.
    let their_quotes: Vec<Vec<Quote<'_>>> = consensus
        .prices
        .chunks_exact(n)
        .map(|prices| {
            home.iter()
                .zip(prices)
                .map(|(h, &m)| Quote {
                    outcome: h.outcome,
                    price: price(m),
                })
                .collect()
        })
        .collect();
    let books: Vec<BookQuotes<'_, &str>> = consensus
        .books
        .iter()
        .zip(&their_quotes)
        .map(|(&book, quotes)| BookQuotes {
            book: &**ctx.vocabulary.books.name(book),
            quotes,
        })
        .collect();
    let Some(result) = market::off_market(
        &home,
        &books,
        consensus.enabled_competitors,
        &ctx.rules.market,
    ) else {
        return;
    };
    for (edge, outcome) in result.outcomes.iter().zip(market.outcomes) {
        if !memory
            .off_market
            .should_raise((market.key, outcome.name), edge.band)
        {
            continue;
        }
        let Some(severity) = severity_of(edge.band) else {
            continue;
        };
        let index = home
            .iter()
            .position(|q| q.outcome == edge.outcome)
            .unwrap_or_default();
        // `result.books` is sorted by book name; each counted book is complete, so its own
        // fair odds exist.
        let detail: Vec<BookFairOdds> = result
            .books
            .iter()
            .filter_map(|name| {
                let quotes = books.iter().find(|b| b.book == *name)?.quotes;
                let fair = book_fair_odds(quotes)?;
                Some(BookFairOdds {
                    bookmaker: (*name).to_string(),
                    price: quotes[index].price,
                    fair_odds: fair[index],
                })
            })
            .collect();
        counters.off_market_alerts += 1;
        let slot = market.slot;
        alerts.push(book_alert(
            ctx,
            ctx.home,
            market_of(ctx, slot.market, slot.name, slot.line),
            Some(edge.outcome.to_string()),
            severity,
            AlertPayload::OffMarket(OffMarketPrice {
                price: edge.home_price,
                edge_pct: Percent::from_hundredths(edge.edge),
                fair_odds: edge.fair_odds,
                pattern: match edge.pattern {
                    market::Pattern::None => None,
                    market::Pattern::Swapped => Some(Pattern::Swapped),
                    market::Pattern::Factor => Some(Pattern::Factor),
                },
                books: detail,
            }),
        ));
    }
}

/// A competitor's move for `market_move`: (market, line, outcome), book, old and new price.
type CompetitorMove = ((u32, Option<crate::domain::Line>, u32), u32, u32, u32);

/// The market with key `key` when available, and the price of its outcome `outcome` when
/// offered.
fn offered_in(state: &BookState, key: u64, outcome: u32) -> Option<(&MarketSlot, u32)> {
    let slot = state.find(key).filter(|m| m.is_available())?;
    let quote = state
        .outcomes_of(slot)
        .iter()
        .find(|o| o.name == outcome)
        .filter(|o| o.is_offered())?;
    Some((slot, quote.price))
}

/// `market_move` on every outcome of a primary home market that a competitor moved this cycle
/// by at least `consensus_min_move`, the home outcome offered in both of its scrapes.
fn raise_market_moves(
    ctx: &AlertContext<'_>,
    (home_before, home_now): (Option<&BookState>, &BookState),
    fetched: &[FetchedBook],
    enabled_competitors: usize,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let Some(home_before) = home_before else {
        return;
    };
    let rules = &ctx.rules.market;
    let threshold = rules.consensus_min_move.max(1);
    // Every competitor move, sorted by outcome then book.
    let mut moves: Vec<CompetitorMove> = fetched
        .iter()
        .filter(|b| b.book != ctx.home)
        .flat_map(|b| {
            ctx.moves[b.moves.clone()]
                .iter()
                .map(move |m| (m.key(), b.book, m.old, m.new))
        })
        .collect();
    if moves.is_empty() {
        return;
    }
    moves.sort_unstable();
    let mut start = 0;
    while start < moves.len() {
        let key = moves[start].0;
        let end = start + moves[start..].partition_point(|m| m.0 == key);
        let group = &moves[start..end];
        start = end;
        let counts = group.iter().any(|&(_, _, old, new)| {
            market::change_hundredths(price(old), price(new)).is_some_and(|c| c.abs() >= threshold)
        });
        if !counts || !ctx.rules.is_primary(ctx.vocabulary.markets.name(key.0)) {
            continue;
        }
        let (market_id, line, outcome) = key;
        let mkey = market_key(market_id, line);
        let (Some((slot, new)), Some((_, old))) = (
            offered_in(home_now, mkey, outcome),
            offered_in(home_before, mkey, outcome),
        ) else {
            continue;
        };
        let book_moves: Vec<BookMove<&str>> = group
            .iter()
            .map(|&(_, book, old, new)| BookMove {
                book: &**ctx.vocabulary.books.name(book),
                old: price(old),
                new: price(new),
            })
            .collect();
        let home = market::PriceMove {
            old: price(old),
            new: price(new),
        };
        let Some(moved) = market::market_move(home, &book_moves, enabled_competitors, rules) else {
            continue;
        };
        let (Some(severity), Some(home_move)) = (
            severity_of(moved.band),
            PriceMove::between(home.old, home.new),
        ) else {
            continue;
        };
        counters.market_move_alerts += 1;
        alerts.push(book_alert(
            ctx,
            ctx.home,
            market_of(ctx, slot.market, slot.name, slot.line),
            Some(ctx.vocabulary.outcomes.name(outcome).to_string()),
            severity,
            AlertPayload::MarketMove(MarketLeftBehind {
                direction: moved.direction,
                median_change_pct: Percent::from_hundredths(moved.median_change),
                home: home_move,
                movers: moved
                    .movers
                    .iter()
                    .map(|m| Mover {
                        bookmaker: m.book.to_string(),
                        old: m.old,
                        new: m.new,
                        change_pct: Percent::from_hundredths(m.change),
                    })
                    .collect(),
            }),
        ));
    }
}
