//! The `oddswatch` binary: parse arguments, install error reporting and logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use oddswatch::cli::{self, Cli};
use oddswatch::config::Config;

#[tokio::main]
async fn main() -> Result<ExitCode> {
    // Reports carry colour only on a terminal without NO_COLOR, and no "run with
    // RUST_BACKTRACE" footer: the errors a user meets here are expected ones (an unreachable
    // database, a port in use) and the message says what to do.
    let theme = if oddswatch::telemetry::stderr_colour() {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    color_eyre::config::HookBuilder::default()
        .theme(theme)
        .display_env_section(false)
        .install()?;
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
