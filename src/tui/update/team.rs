//! The header's team line: read the scraper team every [`TEAM_EVERY_SECS`] (every
//! [`TEAM_RETRY_SECS`] while it shows a problem), one read at a time.

use chrono::{DateTime, Duration, Utc};

use crate::domain::TeamSummary;
use crate::health::PipelineState;
use crate::tui::action::Effect;
use crate::tui::state::{State, TEAM_EVERY_SECS, TEAM_RETRY_SECS};

/// A team read when none is running and the last was asked for [`TEAM_EVERY_SECS`] ago or more
/// ([`TEAM_RETRY_SECS`] after a failed or unhealthy answer, so a gap that heals clears soon),
/// or never. A read that never answers holds the next one back: the header keeps its last line.
///
/// With a pipeline in this process (zero set-up `oddswatch`), the first read waits for its first
/// cycle to end: that cycle's lease round registers this process as the scraper, and a read
/// before it would say "no scraper running" about the very process showing it.
pub fn team_if_due(state: &mut State, now: DateTime<Utc>) -> Option<Effect> {
    let local_pipeline_starting = state
        .pipeline
        .as_ref()
        .is_some_and(|p| p.state != PipelineState::Attached && p.cycles == 0);
    let team = &mut state.team;
    let every = if team.failed || team.summary.as_ref().is_some_and(|s| !s.is_healthy()) {
        TEAM_RETRY_SECS
    } else {
        TEAM_EVERY_SECS
    };
    let due = team
        .requested_at
        .is_none_or(|at| now - at >= Duration::seconds(every));
    if team.in_flight || !due || local_pipeline_starting {
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
