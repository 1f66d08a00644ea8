//! When the stats panel reloads: after every change while a load is cheap, throttled in
//! proportion to its measured cost when not, never two loads at once.

use chrono::Duration;

use crate::tui::action::Effect;
use crate::tui::state::State;

/// A stats load measured under this many milliseconds follows every change: on a small store
/// the strip then never lags the tabs.
const STATS_CHEAP_MS: u64 = 100;
/// An expensive load is repeated at most once per this many times its measured cost, so stats
/// take at most a tenth of the database's time however big the store grows.
const STATS_COST_FACTOR: u64 = 10;
/// The longest the strip waits to follow changes, however slow the load.
const STATS_MAX_EVERY_SECS: i64 = 30;
/// How long after one stats load the next may start, from the last load's measured cost:
/// none under [`STATS_CHEAP_MS`] (or before any load), else [`STATS_COST_FACTOR`] times the
/// cost, capped at [`STATS_MAX_EVERY_SECS`].
pub(crate) fn stats_every(took_ms: Option<u64>) -> Duration {
    match took_ms {
        Some(ms) if ms >= STATS_CHEAP_MS => {
            let ms = ms.saturating_mul(STATS_COST_FACTOR);
            Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
                .min(Duration::seconds(STATS_MAX_EVERY_SECS))
        }
        _ => Duration::zero(),
    }
}

/// Stats wanted now (start, refresh): requested unless one is already running, in which case
/// they are marked stale and follow when it answers.
pub(super) fn request_stats(state: &mut State) -> Option<Effect> {
    state.stats_stale = true;
    if state.stats_in_flight {
        return None;
    }
    state.stats_requested = Some(state.now);
    state.stats_stale = false;
    state.stats_in_flight = true;
    Some(Effect::LoadStats)
}

/// Stale stats reloaded when the throttle allows: one load at a time, and not sooner after
/// the last than [`stats_every`] of its cost.
pub(super) fn stats_if_due(state: &mut State) -> Option<Effect> {
    let every = stats_every(state.stats.as_ref().map(|s| s.took_ms));
    let due = state
        .stats_requested
        .is_none_or(|at| state.now - at >= every);
    if state.stats_stale && due {
        request_stats(state)
    } else {
        None
    }
}
