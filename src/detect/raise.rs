//! The risk rules applied to one event's moves and availability flips.

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
    /// The home book's loss this cycle is a mass vanish: no availability alerts from it.
    pub suppress_availability: bool,
    /// The home book lost an event-level share of this event's markets: one alert for them.
    pub event_level_gone: bool,
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

/// Raises the event's alerts: `price_change` and `availability` on the home book's primary
/// markets that a competitor priced this cycle, `direction_disagreement` for each competitor
/// that moved a home-moved outcome the other way. Nothing without a successful home scrape.
pub(crate) fn raise_event_alerts(
    ctx: &AlertContext<'_>,
    fetched: &[FetchedBook],
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    let Some(home) = fetched.iter().find(|b| b.book == ctx.home) else {
        return;
    };
    let home_moves = &ctx.moves[home.moves.clone()];
    let home_transitions = &ctx.transitions[home.transitions.clone()];
    if home_moves.is_empty() && home_transitions.is_empty() {
        return;
    }
    let competitors = Competitors { ctx, fetched };
    raise_price_alerts(ctx, &competitors, home_moves, alerts, counters);
    raise_availability_alerts(ctx, &competitors, home_transitions, alerts, counters);
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

/// `availability` from the home book's flips: per market, or one event-level alert per
/// direction when the event lost (or regained) most of its markets at once.
fn raise_availability_alerts(
    ctx: &AlertContext<'_>,
    competitors: &Competitors<'_>,
    home_transitions: &[Transition],
    alerts: &mut Vec<DetectedAlert>,
    counters: &mut CycleCounters,
) {
    if ctx.suppress_availability {
        // A mass vanish left its suspensions unannounced (not alertable); returns are dropped
        // too, as the rule is no availability alert from the book this cycle.
        counters.availability_suppressed += home_transitions
            .iter()
            .filter(|t| t.alertable || t.change == AvailabilityChange::Suspended)
            .count() as u64;
        return;
    }
    let mut gone = EventFlips::default();
    let mut back = EventFlips::default();
    for flip in home_transitions.iter().filter(|t| t.alertable) {
        let primary = ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(flip.market));
        let priced = !ctx.rules.require_competitor || competitors.priced(flip.market, flip.line);
        let group = match flip.change {
            AvailabilityChange::Suspended if ctx.event_level_gone => Some(&mut gone),
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
        alerts.push(availability_alert(ctx, flip));
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
        alerts.push(event_availability_alert(ctx, &group, change));
    }
}

fn price(milli: u32) -> Price {
    Price::from_milli(milli)
}

/// The market an alert is about, as it is stored and shown.
struct AlertMarket {
    id: String,
    name: String,
    line: Option<Line>,
}

fn market_of(
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

/// An alert on one of the home book's outcomes.
fn outcome_alert(
    ctx: &AlertContext<'_>,
    home_move: &Move,
    severity: Severity,
    payload: AlertPayload,
) -> DetectedAlert {
    let outcome = ctx.vocabulary.outcomes.name(home_move.outcome).to_string();
    home_alert(
        ctx,
        market_of(ctx, home_move.market, home_move.market_name, home_move.line),
        Some(outcome),
        severity,
        payload,
    )
}

/// Availability is always a warning, about the market (no outcome).
fn availability_alert(ctx: &AlertContext<'_>, flip: &Transition) -> DetectedAlert {
    let unavailable_secs = match flip.change {
        AvailabilityChange::Returned => flip.unavailable_secs,
        AvailabilityChange::Suspended => None,
    };
    home_alert(
        ctx,
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
    home_alert(
        ctx,
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

/// An alert about the home book on the event being processed.
fn home_alert(
    ctx: &AlertContext<'_>,
    market: AlertMarket,
    outcome_name: Option<String>,
    severity: Severity,
    payload: AlertPayload,
) -> DetectedAlert {
    DetectedAlert {
        event_key: ctx.event_key.to_string(),
        bookmaker: ctx.vocabulary.books.name(ctx.home).to_string(),
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
