//! Runs the `fetch` and `sim` commands before they are wired into the main binary:
//! `cargo run --release --example feeds -- sim --events 1300` and
//! `cargo run --release --example feeds -- fetch --book betpawa --base-url http://127.0.0.1:8700`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oddswatch::cli::{fetch, sim};
use oddswatch::config::{Config, ConfigSources};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scrape one book once and print the normalised events.
    Fetch(fetch::FetchArgs),
    /// Serve the simulated bookmakers until Ctrl-C.
    Sim(sim::SimArgs),
}

#[tokio::main]
async fn main() -> color_eyre::Result<ExitCode> {
    color_eyre::install()?;
    // Defaults < platform config file < ODDSWATCH_* environment, as the real binary will.
    let config = Config::load(&ConfigSources::from_process(None))?;
    match Cli::parse().command {
        Command::Fetch(args) => fetch::run(&config, args).await,
        Command::Sim(args) => sim::run(&config, args).await,
    }
}
