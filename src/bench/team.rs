//! `oddswatch bench --team` (issue 17): a desk on one PostgreSQL — N terminal UIs (the real update
//! and effects on a test backend), M scraper daemons sharing the shards, K API clients — against
//! one scraper alone: cycle time, UI action latency p99, connections in use, errors.

use color_eyre::eyre::Result;
use serde::Serialize;

/// What to run.
#[derive(Debug, Clone)]
pub struct TeamOptions {
    /// Simulated events per cycle.
    pub events: u32,
    /// Terminal UIs.
    pub uis: u32,
    /// Scraper daemons.
    pub scrapers: u32,
    /// API clients.
    pub api_clients: u32,
    /// Minutes of each phase.
    pub minutes: u32,
    /// PostgreSQL server where a scratch database may be created and dropped.
    pub postgres_admin_url: String,
}

/// The team bench's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TeamReport {}

/// Runs the team bench, reporting each step through `progress`.
pub async fn run(options: &TeamOptions, progress: impl Fn(&str)) -> Result<TeamReport> {
    let _ = (options, progress);
    todo!("issue 17: team bench")
}

/// The report as Markdown for the README.
pub fn markdown(report: &TeamReport) -> String {
    let _ = report;
    todo!("issue 17: team bench")
}
