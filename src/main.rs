//! The `oddswatch` binary: parse arguments, install error reporting and logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use oddswatch::cli::{self, Cli};
use oddswatch::config::{Config, LogFormat};

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
    if let Some(done) = cli::run_without_config(&cli) {
        return done;
    }
    let config = match Config::load(&cli.config_sources()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let json_stderr = config.log.format == LogFormat::Json && cli.logs_to_stderr();
    let _log = oddswatch::telemetry::init(
        &config.log.level,
        &config.log_dir(),
        cli.logs_to_stderr(),
        config.log.format,
    );
    match cli::run(cli, config).await {
        // With JSON logs a log shipper reads stderr line by line: the error that ends the
        // command is one more JSON line (the same exit code as a returned error), not a
        // multi-line report.
        Err(report) if json_stderr => {
            tracing::error!(error = %one_line(&report), "command failed");
            Ok(ExitCode::FAILURE)
        }
        done => done,
    }
}

/// The report's causes on one line, `outer: inner`, skipping a cause the message before it
/// already ends with (many messages here quote their source).
fn one_line(report: &color_eyre::eyre::Report) -> String {
    let mut text = String::new();
    for cause in report.chain().map(ToString::to_string) {
        if text.ends_with(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}
