//! Change and risk detection: pure, synchronous, no I/O.
//!
//! The pipeline builds a [`CycleInput`] per scrape cycle (per event: its SportRadar key, its
//! kickoff, and per book either the book's [`EventOdds`](crate::domain::EventOdds) or a failed
//! fetch), rebuilds [`Rules`] from the config and the settings overrides, and calls
//! [`Detector::detect_cycle`]. It gets back a [`CycleOutput`]: the alerts
//! ([`DetectedAlert`](crate::domain::DetectedAlert)s keyed by the event's SportRadar key, which
//! the store resolves to the event's database id when it writes the batch), one
//! [`MarketChange`] per fetched market ([`CycleInput::resolve`] gives its event, book and
//! outcomes; write history only where [`MarketChange::needs_history`]), the
//! [`VanishedMarket`]s to mark unavailable (with their last outcomes), and [`CycleCounters`].
//! [`CycleInput::enabled_competitors`] is the number of competitor books enabled in the
//! configuration (§9's `consensus_min_books` is lowered to it, never to the number fetched).
//! At start the pipeline warms the state from the stored current odds with [`Detector::warm`]
//! (one call per stored row) and [`Detector::warm_kickoff`], then the §9 band memory from the
//! stored `off_market` / `margin` alerts ([`RaisedBand`]s) with [`Detector::warm_bands`], and
//! drops events that kicked off with [`Detector::prune_started`] (or [`Detector::forget_event`]).
//!
//! # Rules (DESIGN.md §3)
//!
//! Prices and lines are integer thousandths; percentages are integer hundredths of a percent,
//! so no comparison ever touches a raw float.
//!
//! - **`price_change`**: an outcome's offered price moved between two consecutive successful
//!   scrapes of the same book. `change% = (new − old) / old × 100`, rounded half away from zero
//!   to two decimals ([`Price::change_pct_to`](crate::domain::Price::change_pct_to)); severity
//!   from `|change%|` with inclusive lower bounds (default warning 7, elevated 10, critical 15).
//! - **`direction_disagreement`**: in the same cycle the home book moved an outcome one way and a
//!   competitor moved the same outcome (same market id, line and outcome name) the other way,
//!   each against its own previous price and each by at least `direction_min_move`. One alert
//!   per (outcome, competitor); elevated, critical when the home move alone is critical. The
//!   alert's own old/new prices and change are the home book's; the competitor's book, old/new
//!   prices and direction ride along, with `gap% = |comp_new − home_new| / home_new × 100`
//!   (two decimals, integer arithmetic: 2.14 vs 1.90 is 11.21 %). A home move that is also a
//!   price change raises both alerts.
//! - **`availability`**: a market (with its line) available in the book's previous successful
//!   scrape is absent from this one, or all its outcomes are suspended → `suspended`; when it is
//!   offered again → `returned` with `unavailable_secs`. Severity warning. **A failed fetch is
//!   never an availability change**, and neither is an event a book did not list this cycle:
//!   both leave the book's state for that event untouched, so the next successful scrape is
//!   compared with the last successful one.
//!
//! - **Mass vanish** (issue 11): when one book loses more than `mass_vanish_pct` (default
//!   50 %) of its markets at once, that is a feed problem, not markets going away: no
//!   availability alerts from that book this cycle, the book named in
//!   [`CycleOutput::mass_vanished`] (the pipeline logs it, degrades the book's health with the
//!   counts and records it in the scrape run).
//! - **Event-level availability** (issue 11): when one event loses more than that share of its
//!   markets on one book, **one** availability alert stands for them (market id
//!   [`EVENT_MARKET_ID`](crate::domain::EVENT_MARKET_ID), `markets_affected` = markets gone),
//!   and one `returned` alert when they come back (`markets_affected` = markets back,
//!   `unavailable_secs` = the longest absence). A book pulling an event is a real signal.
//!
//! # Rules (DESIGN.md §9)
//!
//! - **Competitor alerts** ([`Rules::competitor_alerts`], default on): `price_change` and
//!   `availability` are raised for every competitor book too (`bookmaker` = the competitor),
//!   on primary markets, **without** the matched-market filter, as the reference system did.
//!   Mass vanish and the event-level grouping apply per book exactly as for the home book.
//! - **`market_move`**, **`off_market`**, **`margin`** ([`Rules::market`], the arithmetic in
//!   [`market`]): `market_move` on an outcome that at least `consensus_min_books` competitors
//!   moved the same way by `consensus_min_move_pct` while the home book did not follow;
//!   `off_market` on a home outcome whose price gives a bettor an edge against the
//!   competitors' margin-free consensus (pattern `swapped` / `factor` makes it critical);
//!   `margin` on a home market whose own overround is under the floor (critical below 0).
//!   Evaluated on every complete primary home market each cycle, first-seen ones included for
//!   `off_market` and `margin`, which raise on **band entry** only: per event, a
//!   [`BandMemory`](market::BandMemory) keyed by (market, line, outcome) for `off_market` and
//!   (market, line) for `margin`, reset only by an evaluated fall below warning, dropped with
//!   the event, and warmed at start from the stored alerts ([`Detector::warm_bands`]) so a
//!   restart raises nothing twice and misses nothing. Severity is the band; the alert names the home book and its market name.
//!
//! Filters: alerts only on the primary markets ([`Rules::primary_markets`]); home-book
//! `price_change`, `direction_disagreement` and `availability` only on markets that at least
//! one competitor priced (market **and** line present with an active outcome) for the same
//! event in the same cycle ([`Rules::require_competitor`]; `off_market` needs complete
//! competitors of its own, `margin` none); a first-seen market raises no §3 alert; events
//! without a known kickoff raise nothing; `enabled = false` raises nothing. In every one of
//! these cases the state and the market changes are still produced, so persistence and the
//! next cycle are unaffected.
//!
//! # Choices (where DESIGN.md is silent)
//!
//! - **Competitors get the per-book rules only.** A competitor raises its own `price_change`
//!   and `availability` (DESIGN §9); `direction_disagreement`, `market_move`, `off_market` and
//!   `margin` are about the home book against the market. A competitor pulling most of an
//!   event's markets is one event-level alert, like the home book, not fifty.
//! - **§9 evaluation is skipped when nothing it reads changed.** A home market is re-evaluated
//!   only when it, or a competitor's same market, changed since the event's last evaluation, or
//!   when that evaluation used other books (a fetch failed then or now) or other rules: same
//!   inputs give the same bands and so raise nothing. First-seen markets are always evaluated.
//!   Where nothing is remembered, an exact integer bound
//!   ([`market::below_warning`]) spares the exact consensus of markets far below the warning
//!   band. Neither shortcut changes a result; together they keep the reference cycle pair
//!   within the §8 budget.
//! - **A market that cannot be evaluated keeps its band.** Home incomplete (an outcome
//!   suspended), fewer complete competitors than required, the home fetch failed, the event
//!   not alertable this cycle: the memory is left as it is; only an evaluated fall below
//!   warning resets it.
//! - **`market_move` needs the home outcome offered in both of its scrapes**, like §3's moves;
//!   it is not subject to the band memory (each raise is about this cycle's moves).
//! - **Warming the bands starts from the alerts raised before the restart.** The pipeline reads
//!   the latest stored `off_market` alert per (event, market, line, outcome) and `margin` alert
//!   per (event, market, line) on the home book, status not `past`
//!   ([`Store::load_raised_bands`](crate::store::Store::load_raised_bands)), and
//!   [`Detector::warm_bands`] remembers each one's severity as its band unless the warmed
//!   prices evaluate the key below warning (a reset happened after it was raised: nothing is
//!   remembered). A key the warmed prices cannot evaluate keeps its raised band, as a market
//!   that cannot be evaluated does in a cycle; a key never raised remembers nothing, whatever
//!   its warmed band, so the next cycle raises it; a warmed band above the one raised was never
//!   raised, so the next cycle raises it too. The one imprecision left: the warmed prices are
//!   each book's last successful scrape, which after a failed fetch is not what the last cycle
//!   evaluated, so a reset or a re-entry seen only through such a mix can be judged otherwise
//!   than the run before the restart would have.
//! - **Only offered prices move.** A price is compared only when the outcome is active and
//!   non-zero on both sides and the market was available in the previous scrape. A suspended
//!   outcome's price is not an offer; a market that returns raises `returned`, not a price
//!   change against the quote from before it went away.
//! - **A market first seen suspended** is stored as unavailable but does not raise `returned`
//!   when it opens: it never went away.
//! - **Vanished markets are remembered** (without outcomes) until they return or the event is
//!   pruned, so their return is recognised and timed; a market that stays missing is reported
//!   once, in the cycle it vanished.
//! - **Events whose kickoff has passed** (`kickoff <= now`) update the state but raise nothing:
//!   any alert would be `past` at birth.
//! - **Duplicates in the input** (an event listed twice, a book twice for one event, a
//!   (market, line) twice in one scrape, an outcome name twice in one market) keep the first
//!   occurrence and are counted, so a flaky feed cannot make the state flip-flop within a cycle.
//! - **Mass vanish is judged per detection call.** The pipeline detects batch by batch (100
//!   events) as fetches arrive, so "one cycle" is the batch: lost = markets available in the
//!   book's previous scrapes of the batch's successfully fetched events that are missing or
//!   suspended now; the share is of those previously available markets. Failed fetches and
//!   unlisted events count on neither side. "More than" is strict and exact (`lost × 100 >
//!   pct × of`): at 50 %, 5 of 10 is not a mass vanish, 6 of 10 is; at 100 % nothing is.
//! - **A mass vanish needs at least [`MASS_VANISH_MIN_MARKETS`] (10) lost markets**, and an
//!   event-level alert at least [`EVENT_VANISH_MIN_MARKETS`] (2): a small book losing its last
//!   few markets, or one market of an event going, is still worth one alert per market and is
//!   no storm.
//! - **A mass-vanished book is still stored as the feed says.** Its markets are marked
//!   unavailable and its history and price alerts continue, so nothing is lost and the book is
//!   never stuck on a stale state; only its availability alerts are dropped (counted in
//!   [`CycleCounters::availability_suppressed`]). Its markets' going is recorded as **not
//!   announced**, so their return raises nothing either (the reference's 9,644 `returned`).
//!   Returns of that book in the same cycle are dropped too.
//! - **Event-level over per-market.** For the event rule the share is of the home book's
//!   markets available in its previous scrape of the event, all markets counted (primary or
//!   not). The single alert is raised when at least one of the markets it stands for would pass
//!   the filters (primary, and priced by a competitor when required); otherwise it is counted
//!   as filtered. Markets that went at event level are remembered as such, so their return is
//!   also one event-level alert per cycle, even when they come back in parts (each part is one
//!   alert with its own count). Severity stays warning, like every availability alert. The
//!   event-level alert has market name [`EVENT_MARKET_NAME`](crate::domain::EVENT_MARKET_NAME),
//!   no line and no outcome. After a restart the state is warmed from stored rows, which do not
//!   say how a market went; such markets return per market.
//! - **Output order** of alerts is canonical (event, market, line, outcome, type, competitor),
//!   so the same cycle in any event or book order gives the same alerts.
//!
//! # Cost
//!
//! State: 40 bytes per (event, book, market, line) and 12 per outcome, with market ids,
//! market names, outcome names and books interned as `u32`s and prices as `u32` thousandths
//! (≈ 30 MiB for the reference cycle's 405k market rows and 960k outcomes). A cycle builds each
//! fetched book's new state sorted by (market, line), in buffers recycled from the state it
//! replaces, and merges it with the old one: no per-outcome allocation, and names are matched
//! by comparing with the name last seen at the same place rather than by hashing.
//! `examples/refcycle_detect.rs` replays the reference cycle pair ([`refcycle`]) and reports
//! time, memory and alerts per type and severity.

mod alert;
mod bands;
mod cycle;
mod detector;
mod diff;
mod intern;
pub mod market;
mod raise;
pub mod refcycle;
mod risk;
mod rules;
mod state;

#[cfg(test)]
mod tests;

pub use bands::RaisedBand;
pub use cycle::{
    BookScrape, CycleCounters, CycleEvent, CycleInput, CycleOutput, EventBook, MarketChange,
    MassVanish, PriceUpdate, ResolvedMarket, VanishedMarket,
};
pub use detector::Detector;
pub use rules::{
    DEFAULT_PRIMARY_MARKETS, EVENT_VANISH_MIN_MARKETS, MASS_VANISH_MIN_MARKETS, Rules,
    change_hundredths, gap_hundredths,
};
pub use state::SeenMarket;
