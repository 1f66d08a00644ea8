//! The header's team line: read the scraper team every [`TEAM_EVERY_SECS`], one read at a time.

use chrono::{DateTime, Duration, Utc};

use crate::domain::TeamSummary;
use crate::tui::action::Effect;
use crate::tui::state::{State, TEAM_EVERY_SECS};

/// A team read when none is running and the last was asked for [`TEAM_EVERY_SECS`] ago or more
/// (or never). A read that never answers holds the next one back: the header keeps its last line.
pub fn team_if_due(state: &mut State, now: DateTime<Utc>) -> Option<Effect> {
    let team = &mut state.team;
    let due = team
        .requested_at
        .is_none_or(|at| now - at >= Duration::seconds(TEAM_EVERY_SECS));
    if team.in_flight || !due {
        return None;
    }
    team.in_flight = true;
    team.requested_at = Some(now);
    Some(Effect::LoadTeam)
}

/// The read's answer: the new summary, or `team: ?` until the next read succeeds (the effects
/// task has logged the reason).
pub fn team_loaded(state: &mut State, result: Result<TeamSummary, String>) {
    let team = &mut state.team;
    team.in_flight = false;
    match result {
        Ok(summary) => {
            team.summary = Some(summary);
            team.failed = false;
        }
        Err(_) => team.failed = true,
    }
}
