//! `oddswatch status`: the scraper team (DESIGN §11) — daemons, their shards and lease expiries,
//! last cycle per daemon, book health — as a table, or as JSON with `--json`.

use std::process::ExitCode;

use color_eyre::eyre::Result;

use crate::config::Config;

/// `oddswatch status`
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oddswatch status`.
pub async fn run(config: &Config, args: StatusArgs) -> Result<ExitCode> {
    let _ = (config, args);
    todo!("issue 17: status")
}
