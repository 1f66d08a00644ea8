//! The `oddswatch` binary: parse arguments, install error reporting and logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use oddswatch::cli::{self, Cli};
use oddswatch::config::Config;

#[tokio::main]
async fn main() -> Result<ExitCode> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let config = match Config::load(&cli.config_sources()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let _log =
        oddswatch::telemetry::init(&config.log.level, &config.log_dir(), cli.logs_to_stderr());
    cli::run(cli, config).await
}
