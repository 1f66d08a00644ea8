//! The risk rules applied to one event's moves and availability flips.

use chrono::{DateTime, Utc};

use super::detector::FetchedBook;
use super::diff::{Move, Transition};
use super::rules::{change_hundredths, gap_hundredths, hundredths_to_pct};
use super::state::{Vocabulary, market_key};
use super::{CycleCounters, DetectedAlert, Rules};
use crate::domain::{
    AlertType, AvailabilityChange, Direction, EVENT_MARKET_ID, EVENT_MARKET_NAME, Line, Price,
    Severity,
};

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
struct CompetitorMove {
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
    let competitors = || fetched.iter().filter(|b| b.book != ctx.home);
    let competitor_priced = |market: u32, line: Option<Line>| {
        competitors().any(|c| c.state.prices(market_key(market, line)))
    };
    let mut competitor_moves: Vec<CompetitorMove> = competitors()
        .flat_map(|c| {
            ctx.moves[c.moves.clone()].iter().filter_map(|m| {
                let direction = ctx.rules.counted_move(price(m.old), price(m.new))?;
                Some(CompetitorMove {
                    key: m.key(),
                    book: c.book,
                    old: m.old,
                    new: m.new,
                    direction,
                })
            })
        })
        .collect();
    competitor_moves.sort_unstable_by_key(|m| (m.key, m.book));

    for home_move in home_moves {
        let Some(change) = change_hundredths(price(home_move.old), price(home_move.new)) else {
            continue;
        };
        let severity = ctx.rules.severity_for(change);
        let home_direction = ctx
            .rules
            .counted_move(price(home_move.old), price(home_move.new));
        let same_outcome: &[CompetitorMove] = match home_direction {
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
            if ctx.rules.require_competitor && !competitor_priced(home_move.market, home_move.line)
            {
                counters.filtered_no_competitor += 1;
            } else {
                counters.price_change_alerts += 1;
                alerts.push(DetectedAlert {
                    severity,
                    ..outcome_alert(ctx, home_move, AlertType::PriceChange, change)
                });
            }
        }
        // The competitor priced this outcome (it moved it), so the competitor filter holds.
        for theirs in disagreeing() {
            counters.direction_alerts += 1;
            alerts.push(DetectedAlert {
                severity: ctx.rules.direction_severity(change),
                competitor_bookmaker: Some(ctx.vocabulary.books.name(theirs.book).to_string()),
                competitor_old_price: Some(price(theirs.old).as_f64()),
                competitor_new_price: Some(price(theirs.new).as_f64()),
                competitor_direction: Some(theirs.direction),
                gap_pct: gap_hundredths(price(home_move.new), price(theirs.new))
                    .map(hundredths_to_pct),
                ..outcome_alert(ctx, home_move, AlertType::DirectionDisagreement, change)
            });
        }
    }

    let mut gone = EventFlips::default();
    let mut back = EventFlips::default();
    if ctx.suppress_availability {
        // A mass vanish left its suspensions unannounced (not alertable); returns are dropped
        // too, as the rule is no availability alert from the book this cycle.
        counters.availability_suppressed += home_transitions
            .iter()
            .filter(|t| t.alertable || t.change == AvailabilityChange::Suspended)
            .count() as u64;
        return;
    }
    for flip in home_transitions.iter().filter(|t| t.alertable) {
        let primary = ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(flip.market));
        let priced = !ctx.rules.require_competitor || competitor_priced(flip.market, flip.line);
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

/// The fields shared by the home book's outcome alerts.
fn outcome_alert(
    ctx: &AlertContext<'_>,
    home_move: &Move,
    alert_type: AlertType,
    change: i64,
) -> DetectedAlert {
    DetectedAlert {
        outcome_name: Some(ctx.vocabulary.outcomes.name(home_move.outcome).to_string()),
        change_pct: Some(hundredths_to_pct(change)),
        old_price: Some(price(home_move.old).as_f64()),
        new_price: Some(price(home_move.new).as_f64()),
        ..base_alert(
            ctx,
            home_move.market,
            home_move.market_name,
            home_move.line,
            alert_type,
        )
    }
}

fn availability_alert(ctx: &AlertContext<'_>, flip: &Transition) -> DetectedAlert {
    DetectedAlert {
        availability: Some(flip.change),
        unavailable_secs: match flip.change {
            AvailabilityChange::Returned => flip.unavailable_secs,
            AvailabilityChange::Suspended => None,
        },
        ..base_alert(
            ctx,
            flip.market,
            flip.market_name,
            flip.line,
            AlertType::Availability,
        )
    }
}

/// One alert for many markets of the event: market id [`EVENT_MARKET_ID`], no line, the
/// number of markets in `markets_affected` and, for `returned`, the longest time one was away.
fn event_availability_alert(
    ctx: &AlertContext<'_>,
    group: &EventFlips,
    change: AvailabilityChange,
) -> DetectedAlert {
    DetectedAlert {
        market_id: EVENT_MARKET_ID.to_string(),
        market_name: EVENT_MARKET_NAME.to_string(),
        availability: Some(change),
        unavailable_secs: match change {
            AvailabilityChange::Returned => group.longest_secs,
            AvailabilityChange::Suspended => None,
        },
        markets_affected: Some(group.count),
        ..common_alert(ctx, AlertType::Availability)
    }
}

fn base_alert(
    ctx: &AlertContext<'_>,
    market: u32,
    market_name: u32,
    line: Option<Line>,
    alert_type: AlertType,
) -> DetectedAlert {
    DetectedAlert {
        market_id: ctx.vocabulary.markets.name(market).to_string(),
        market_name: ctx.vocabulary.display_name(market, market_name).to_string(),
        line: line.map(Line::as_f64),
        ..common_alert(ctx, alert_type)
    }
}

/// The fields every home-book alert of the event shares; market fields empty.
fn common_alert(ctx: &AlertContext<'_>, alert_type: AlertType) -> DetectedAlert {
    DetectedAlert {
        event_key: ctx.event_key.to_string(),
        bookmaker: ctx.vocabulary.books.name(ctx.home).to_string(),
        market_id: String::new(),
        market_name: String::new(),
        line: None,
        outcome_name: None,
        alert_type,
        severity: Severity::Warning,
        change_pct: None,
        old_price: None,
        new_price: None,
        competitor_bookmaker: None,
        competitor_old_price: None,
        competitor_new_price: None,
        competitor_direction: None,
        gap_pct: None,
        availability: None,
        unavailable_secs: None,
        markets_affected: None,
        detected_at: ctx.now,
        event_kickoff: ctx.kickoff,
    }
}
