//! The §3 risk rules applied to one event's moves and availability flips, for the home book
//! and (DESIGN §9's competitor alerts) each competitor book.

use chrono::{DateTime, Utc};

use super::diff::{Move, Transition};
use super::state::{BookState, Vocabulary, market_key};
use super::{CycleCounters, Rules};
use crate::domain::{
    AlertPayload, AvailabilityChange, AvailabilityFlip, CompetitorMove, DetectedAlert, Direction,
    Disagreement, EVENT_MARKET_ID, EVENT_MARKET_NAME, Line, Price, PriceMove, Severity,
};

/// One book's successful scrape of the event being processed (the detector builds it, the
/// rules read it).
#[derive(Debug)]
pub(crate) struct FetchedBook {
    /// Interned book.
    pub book: u32,
    /// The new last-seen state.
    pub state: BookState,
    /// This book's moves (a range of the event's move list).
    pub moves: std::ops::Range<usize>,
    /// This book's availability flips.
    pub transitions: std::ops::Range<usize>,
}

/// What the rules need to know about the event being processed.
pub(crate) struct AlertContext<'a> {
    pub event_key: &'a str,
    pub kickoff: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Interned home book.
    pub home: u32,
    pub rules: &'a Rules,
    pub vocabulary: &'a Vocabulary,
    /// Every fetched book's moves; each [`FetchedBook`] owns a range.
    pub moves: &'a [Move],
    /// Every fetched book's availability flips, by range likewise.
    pub transitions: &'a [Transition],
    /// Books whose loss this cycle is a mass vanish: no availability alerts from them.
    pub vanishing: &'a [u32],
    /// Books that lost an event-level share of this event's markets: one alert for them.
    pub event_level_gone: &'a [u32],
}

/// Availability flips reported together as one event-level alert.
#[derive(Default)]
struct EventFlips {
    /// Markets in the group.
    count: i64,
    /// At least one of them passes the primary-market and competitor filters.
    passes: bool,
    /// At least one of them is a primary market (for the filter counters).
    primary: bool,
    /// Longest time away, for `returned`.
    longest_secs: Option<i64>,
}

/// A competitor's counted move, for matching against the home book's moves.
struct CountedMove {
    key: (u32, Option<Line>, u32),
    book: u32,
    old: u32,
    new: u32,
    direction: Direction,
}

/// Raises the event's §3 alerts: `price_change` and `availability` on the home book's primary
/// markets that a competitor priced this cycle, `direction_disagreement` for each competitor
/// that moved a home-moved outcome the other way, and with `competitor_alerts` the
/// competitors' own `price_change` and `availability` on primary markets (DESIGN §9, no
/// matched-market filter).
pub(crate) fn raise_event_alerts(
    ctx: &AlertContext<'_>,
    fetched: &[FetchedBook],
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let competitors = Competitors { ctx, fetched };
    if let Some(home) = fetched.iter().find(|b| b.book == ctx.home) {
        let home_moves = &ctx.moves[home.moves.clone()];
        if !home_moves.is_empty() {
            raise_price_alerts(ctx, &competitors, home_moves, alerts, counters);
        }
        raise_availability_alerts(ctx, Some(&competitors), home, alerts, counters);
    }
    if !ctx.rules.competitor_alerts {
        return;
    }
    for book in competitors.books() {
        let before = alerts.len();
        raise_competitor_price_alerts(ctx, book, alerts, counters);
        raise_availability_alerts(ctx, None, book, alerts, counters);
        counters.competitor_alerts += (alerts.len() - before) as u64;
    }
}

/// The competitors' side of one event: who priced what, and who moved what.
struct Competitors<'a> {
    ctx: &'a AlertContext<'a>,
    fetched: &'a [FetchedBook],
}

impl Competitors<'_> {
    fn books(&self) -> impl Iterator<Item = &FetchedBook> {
        self.fetched.iter().filter(|b| b.book != self.ctx.home)
    }

    /// A competitor priced the market (with its line) this cycle.
    fn priced(&self, market: u32, line: Option<Line>) -> bool {
        self.books()
            .any(|c| c.state.prices(market_key(market, line)))
    }

    /// Every competitor move big enough to count, sorted by (outcome key, book).
    fn counted_moves(&self) -> Vec<CountedMove> {
        let ctx = self.ctx;
        let mut moves: Vec<CountedMove> = self
            .books()
            .flat_map(|c| {
                ctx.moves[c.moves.clone()].iter().filter_map(|m| {
                    let direction = ctx.rules.counted_move(price(m.old), price(m.new))?;
                    Some(CountedMove {
                        key: m.key(),
                        book: c.book,
                        old: m.old,
                        new: m.new,
                        direction,
                    })
                })
            })
            .collect();
        moves.sort_unstable_by_key(|m| (m.key, m.book));
        moves
    }
}

/// `price_change` and `direction_disagreement` from the home book's moves.
fn raise_price_alerts(
    ctx: &AlertContext<'_>,
    competitors: &Competitors<'_>,
    home_moves: &[Move],
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let competitor_moves = competitors.counted_moves();
    for home_move in home_moves {
        let Some(home) = PriceMove::between(price(home_move.old), price(home_move.new)) else {
            continue;
        };
        let change = home.change_pct.hundredths();
        let severity = ctx.rules.severity_for(change);
        let home_direction = ctx.rules.counted_move(home.old, home.new);
        let same_outcome: &[CountedMove] = match home_direction {
            Some(_) => {
                let key = home_move.key();
                let start = competitor_moves.partition_point(|m| m.key < key);
                let end = competitor_moves.partition_point(|m| m.key <= key);
                &competitor_moves[start..end]
            }
            // A home move below the minimum is no move: nothing to disagree with.
            None => &[],
        };
        let disagreeing = || {
            same_outcome
                .iter()
                .filter(move |m| Some(m.direction) != home_direction)
        };
        if severity.is_none() && disagreeing().next().is_none() {
            continue;
        }
        if !ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(home_move.market))
        {
            counters.filtered_not_primary += 1;
            continue;
        }
        if let Some(severity) = severity {
            if ctx.rules.require_competitor && !competitors.priced(home_move.market, home_move.line)
            {
                counters.filtered_no_competitor += 1;
            } else {
                counters.price_change_alerts += 1;
                alerts.push(outcome_alert(
                    ctx,
                    ctx.home,
                    home_move,
                    severity,
                    AlertPayload::PriceChange(home),
                ));
            }
        }
        // The competitor priced this outcome (it moved it), so the competitor filter holds.
        for theirs in disagreeing() {
            let competitor = CompetitorMove {
                bookmaker: ctx.vocabulary.books.name(theirs.book).to_string(),
                old: price(theirs.old),
                new: price(theirs.new),
                direction: theirs.direction,
            };
            // A counted home move has a non-zero new price, so the gap always exists.
            let gap_pct = home.new.gap_to(competitor.new).unwrap_or_default();
            counters.direction_alerts += 1;
            alerts.push(outcome_alert(
                ctx,
                ctx.home,
                home_move,
                ctx.rules.direction_severity(change),
                AlertPayload::DirectionDisagreement(Disagreement {
                    home,
                    competitor,
                    gap_pct,
                }),
            ));
        }
    }
}

/// A competitor's own `price_change` alerts: every primary-market move of at least the warning
/// band, whether or not the home book prices the market.
fn raise_competitor_price_alerts(
    ctx: &AlertContext<'_>,
    book: &FetchedBook,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    for moved in &ctx.moves[book.moves.clone()] {
        let Some(change) = PriceMove::between(price(moved.old), price(moved.new)) else {
            continue;
        };
        let Some(severity) = ctx.rules.severity_for(change.change_pct.hundredths()) else {
            continue;
        };
        if !ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(moved.market))
        {
            counters.filtered_not_primary += 1;
            continue;
        }
        counters.price_change_alerts += 1;
        alerts.push(outcome_alert(
            ctx,
            book.book,
            moved,
            severity,
            AlertPayload::PriceChange(change),
        ));
    }
}

/// `availability` from one book's flips: per market, or one event-level alert per direction
/// when the event lost (or regained) most of its markets on that book at once. For the home
/// book `competitors` is given and, with `require_competitor`, a market must be priced by a
/// competitor; a competitor's own flips (`None`) only need a primary market.
fn raise_availability_alerts(
    ctx: &AlertContext<'_>,
    competitors: Option<&Competitors<'_>>,
    book: &FetchedBook,
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let transitions = &ctx.transitions[book.transitions.clone()];
    if transitions.is_empty() {
        return;
    }
    if ctx.vanishing.contains(&book.book) {
        // A mass vanish left its suspensions unannounced (not alertable); returns are dropped
        // too, as the rule is no availability alert from the book this cycle.
        counters.availability_suppressed += transitions
            .iter()
            .filter(|t| t.alertable || t.change == AvailabilityChange::Suspended)
            .count() as u64;
        return;
    }
    let event_level_gone = ctx.event_level_gone.contains(&book.book);
    let mut gone = EventFlips::default();
    let mut back = EventFlips::default();
    for flip in transitions.iter().filter(|t| t.alertable) {
        let primary = ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(flip.market));
        let priced = match competitors {
            Some(competitors) if ctx.rules.require_competitor => {
                competitors.priced(flip.market, flip.line)
            }
            _ => true,
        };
        let group = match flip.change {
            AvailabilityChange::Suspended if event_level_gone => Some(&mut gone),
            AvailabilityChange::Returned if flip.event_level => Some(&mut back),
            _ => None,
        };
        if let Some(group) = group {
            group.count += 1;
            group.passes |= primary && priced;
            group.primary |= primary;
            group.longest_secs = group.longest_secs.max(flip.unavailable_secs);
            continue;
        }
        if !primary {
            counters.filtered_not_primary += 1;
            continue;
        }
        if !priced {
            counters.filtered_no_competitor += 1;
            continue;
        }
        counters.availability_alerts += 1;
        alerts.push(availability_alert(ctx, book.book, flip));
    }
    for (group, change) in [
        (gone, AvailabilityChange::Suspended),
        (back, AvailabilityChange::Returned),
    ] {
        if group.count == 0 {
            continue;
        }
        if !group.passes {
            if group.primary {
                counters.filtered_no_competitor += 1;
            } else {
                counters.filtered_not_primary += 1;
            }
            continue;
        }
        counters.availability_alerts += 1;
        counters.event_availability_alerts += 1;
        alerts.push(event_availability_alert(ctx, book.book, &group, change));
    }
}

pub(crate) fn price(milli: u32) -> Price {
    Price::from_milli(milli)
}

/// The market an alert is about, as it is stored and shown.
pub(crate) struct AlertMarket {
    pub id: String,
    pub name: String,
    pub line: Option<Line>,
}

/// The market with this id, name and line as an alert shows it.
pub(crate) fn market_of(
    ctx: &AlertContext<'_>,
    market: u32,
    market_name: u32,
    line: Option<Line>,
) -> AlertMarket {
    AlertMarket {
        id: ctx.vocabulary.markets.name(market).to_string(),
        name: ctx.vocabulary.display_name(market, market_name).to_string(),
        line,
    }
}

/// An alert on one of `book`'s outcomes.
fn outcome_alert(
    ctx: &AlertContext<'_>,
    book: u32,
    moved: &Move,
    severity: Severity,
    payload: AlertPayload,
) -> DetectedAlert {
    let outcome = ctx.vocabulary.outcomes.name(moved.outcome).to_string();
    book_alert(
        ctx,
        book,
        market_of(ctx, moved.market, moved.market_name, moved.line),
        Some(outcome),
        severity,
        payload,
    )
}

/// Availability is always a warning, about the market (no outcome).
fn availability_alert(ctx: &AlertContext<'_>, book: u32, flip: &Transition) -> DetectedAlert {
    let unavailable_secs = match flip.change {
        AvailabilityChange::Returned => flip.unavailable_secs,
        AvailabilityChange::Suspended => None,
    };
    book_alert(
        ctx,
        book,
        market_of(ctx, flip.market, flip.market_name, flip.line),
        None,
        Severity::Warning,
        AlertPayload::Availability(AvailabilityFlip {
            change: flip.change,
            unavailable_secs,
            markets_affected: None,
        }),
    )
}

/// One alert for many markets of the event: market id [`EVENT_MARKET_ID`], no line, the
/// number of markets in `markets_affected` and, for `returned`, the longest time one was away.
fn event_availability_alert(
    ctx: &AlertContext<'_>,
    book: u32,
    group: &EventFlips,
    change: AvailabilityChange,
) -> DetectedAlert {
    let unavailable_secs = match change {
        AvailabilityChange::Returned => group.longest_secs,
        AvailabilityChange::Suspended => None,
    };
    let market = AlertMarket {
        id: EVENT_MARKET_ID.to_string(),
        name: EVENT_MARKET_NAME.to_string(),
        line: None,
    };
    book_alert(
        ctx,
        book,
        market,
        None,
        Severity::Warning,
        AlertPayload::Availability(AvailabilityFlip {
            change,
            unavailable_secs,
            markets_affected: Some(group.count),
        }),
    )
}

/// An alert about `book` on the event being processed.
pub(crate) fn book_alert(
    ctx: &AlertContext<'_>,
    book: u32,
    market: AlertMarket,
    outcome_name: Option<String>,
    severity: Severity,
    payload: AlertPayload,
) -> DetectedAlert {
    DetectedAlert {
        event_key: ctx.event_key.to_string(),
        bookmaker: ctx.vocabulary.books.name(book).to_string(),
        market_id: market.id,
        market_name: market.name,
        line: market.line,
        outcome_name,
        severity,
        payload,
        detected_at: ctx.now,
        event_kickoff: ctx.kickoff,
    }
}
