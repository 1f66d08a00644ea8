//! The risk rules applied to one event's moves and availability flips.

use chrono::{DateTime, Utc};

use super::detector::FetchedBook;
use super::diff::{Move, Transition};
use super::rules::{change_hundredths, gap_hundredths, hundredths_to_pct};
use super::state::{Vocabulary, market_key};
use super::{CycleCounters, DetectedAlert, Rules};
use crate::domain::{AlertType, AvailabilityChange, Direction, Line, Price, Severity};

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

    for flip in home_transitions.iter().filter(|t| t.alertable) {
        if !ctx
            .rules
            .is_primary(ctx.vocabulary.markets.name(flip.market))
        {
            counters.filtered_not_primary += 1;
            continue;
        }
        if ctx.rules.require_competitor && !competitor_priced(flip.market, flip.line) {
            counters.filtered_no_competitor += 1;
            continue;
        }
        counters.availability_alerts += 1;
        alerts.push(availability_alert(ctx, flip));
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

fn base_alert(
    ctx: &AlertContext<'_>,
    market: u32,
    market_name: u32,
    line: Option<Line>,
    alert_type: AlertType,
) -> DetectedAlert {
    DetectedAlert {
        event_key: ctx.event_key.to_string(),
        bookmaker: ctx.vocabulary.books.name(ctx.home).to_string(),
        market_id: ctx.vocabulary.markets.name(market).to_string(),
        market_name: ctx.vocabulary.display_name(market, market_name).to_string(),
        line: line.map(Line::as_f64),
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
        detected_at: ctx.now,
        event_kickoff: ctx.kickoff,
    }
}
