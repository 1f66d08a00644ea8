//! `oddswatch sim`: serve the simulated bookmakers on 127.0.0.1 until Ctrl-C; and the simulator
//! the monitor and `oddswatch scrape` start in-process when `scrape.simulator` is on.
//!
//! Choices: the embedded simulator is started here, by the command wiring, and the pipeline is
//! handed a configuration whose enabled books point at it: the pipeline sees base URLs only and
//! never knows a simulator is there (DESIGN.md §2).

use std::process::ExitCode;

use crate::config::Config;
use crate::sim::{self, FAULT_BOOKS, FaultKind, SimHandle, SimOptions, TickMode};

/// The embedded simulator could not listen.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the simulated bookmakers: {0}")]
pub struct EmbeddedSimError(#[source] pub std::io::Error);

/// Starts the simulated bookmakers in-process when `scrape.simulator` is on (on a free port,
/// ticking once per home-book discovery), and returns the configuration the pipeline should
/// run with: `config` itself, or a copy whose enabled books point at the simulator.
pub async fn start_embedded(
    config: &Config,
) -> Result<(Config, Option<SimHandle>), EmbeddedSimError> {
    if !config.scrape.simulator {
        return Ok((config.clone(), None));
    }
    let options = SimOptions {
        port: 0,
        tick: TickMode::OnHomeDiscovery,
        ..SimOptions::from(&config.sim)
    };
    let (_, handle) = sim::start(options).await.map_err(EmbeddedSimError)?;
    tracing::info!(url = %handle.base_url(), "simulated bookmakers started");
    Ok((pointed_at(config, &handle.base_url()), Some(handle)))
}

/// `config` with every enabled book's base URL set to `base_url`.
pub fn pointed_at(config: &Config, base_url: &str) -> Config {
    let mut pointed = config.clone();
    for book in pointed.books.values_mut().filter(|b| b.enabled) {
        book.base_url = base_url.to_string();
    }
    pointed
}

/// `oddswatch sim [--port P] [--seed S] [--events N] [--fault-rate F] [--fault MODE]…
/// [--fault-book SLUG]`; unset flags come from the `[sim]` section of the configuration.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Seed of the market model.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of simulated events, 1–20000 like `sim.events` (1300 is a real cycle).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub events: Option<u32>,
    /// Fraction (0–1) of responses that are slow, 5xx, 429, truncated or malformed.
    #[arg(long, value_parser = parse_fraction)]
    pub fault_rate: Option<f64>,
    /// Roll only these faults (repeatable or comma-separated): slow, server-error,
    /// too-many-requests, truncated, malformed, drip, retry-after, reshaped, oversize.
    #[arg(long = "fault", value_name = "MODE", value_delimiter = ',', value_parser = parse_fault)]
    pub faults: Vec<FaultKind>,
    /// Only this book's responses are faulty: betpawa, sportybet, bet9ja or theoddsapi.
    #[arg(long, value_name = "SLUG", value_parser = parse_fault_book)]
    pub fault_book: Option<String>,
}

fn parse_fault(raw: &str) -> Result<FaultKind, String> {
    raw.parse()
}

fn parse_fault_book(raw: &str) -> Result<String, String> {
    FAULT_BOOKS
        .iter()
        .find(|b| **b == raw)
        .map(|b| b.to_string())
        .ok_or_else(|| format!("unknown book {raw:?}; allowed: {}", FAULT_BOOKS.join(", ")))
}

fn parse_fraction(raw: &str) -> Result<f64, String> {
    let value: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside 0–1"))
    }
}

impl SimArgs {
    /// The simulator options: the flags over the configuration.
    pub fn options(&self, config: &Config) -> SimOptions {
        let mut options = SimOptions::from(&config.sim);
        options.port = self.port.unwrap_or(options.port);
        options.seed = self.seed.unwrap_or(options.seed);
        options.events = self.events.unwrap_or(options.events);
        options.fault_rate = self.fault_rate.unwrap_or(options.fault_rate);
        options.fault_kinds = self.faults.clone();
        options.fault_book = self.fault_book.clone();
        options
    }
}

/// Serves until Ctrl-C; the model ticks once per home-book discovery.
pub async fn run(config: &Config, args: SimArgs) -> color_eyre::Result<ExitCode> {
    let options = args.options(config);
    let (events, seed, fault_rate) = (options.events, options.seed, options.fault_rate);
    let kinds = if options.fault_kinds.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = options.fault_kinds.iter().map(|k| k.name()).collect();
        format!(", faults {}", names.join(","))
    };
    let only = options
        .fault_book
        .as_deref()
        .map(|b| format!(" on {b} only"))
        .unwrap_or_default();
    if !options.fault_kinds.is_empty() && fault_rate <= 0.0 {
        eprintln!("note: --fault is given but the fault rate is 0; add --fault-rate to see faults");
    }
    let (_, handle) = sim::start(options).await?;
    let base = handle.base_url();
    println!(
        "simulated bookmakers at {base} ({events} events, seed {seed}, fault rate {fault_rate}{kinds}{only})"
    );
    println!("  try: oddswatch fetch --book sportybet --base-url {base}");
    println!("  control: POST {base}/sim/tick, POST {base}/sim/script, GET {base}/sim/events");
    println!("Ctrl-C stops.");
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_configured_simulator() {
        let config = Config::defaults();
        let args = SimArgs {
            events: Some(1300),
            fault_rate: Some(0.1),
            ..SimArgs::default()
        };
        let options = args.options(&config);
        assert_eq!((options.events, options.fault_rate), (1300, 0.1));
        assert_eq!(
            (options.port, options.seed),
            (config.sim.port, config.sim.seed)
        );
    }

    #[test]
    fn fault_modes_are_repeatable_or_comma_separated_and_limited_to_one_book() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            sim: SimArgs,
        }
        let cli = Cli::try_parse_from([
            "sim",
            "--fault",
            "drip,retry-after",
            "--fault",
            "oversize",
            "--fault-book",
            "sportybet",
            "--fault-rate",
            "0.5",
        ])
        .unwrap();
        let options = cli.sim.options(&Config::defaults());
        assert_eq!(
            options.fault_kinds,
            vec![FaultKind::Drip, FaultKind::RetryAfter, FaultKind::Oversize]
        );
        assert_eq!(options.fault_book.as_deref(), Some("sportybet"));
        assert_eq!(options.fault_rate, 0.5);
        let error = Cli::try_parse_from(["sim", "--fault", "slowish"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("slowish") && error.contains("reshaped"),
            "{error}"
        );
        assert!(Cli::try_parse_from(["sim", "--fault-book", "pinnacle"]).is_err());
        // Without --fault the historical dice are used.
        let plain = Cli::try_parse_from(["sim", "--fault-rate", "0.1"]).unwrap();
        assert!(
            plain
                .sim
                .options(&Config::defaults())
                .fault_kinds
                .is_empty()
        );
    }

    #[test]
    fn the_pipeline_config_points_only_the_enabled_books_at_the_simulator() {
        let mut config = Config::defaults();
        config.books.get_mut("theoddsapi").unwrap().enabled = false;
        let before = config.books["theoddsapi"].base_url.clone();
        let pointed = pointed_at(&config, "http://127.0.0.1:4242");
        for slug in ["betpawa", "sportybet", "bet9ja"] {
            assert_eq!(
                pointed.books[slug].base_url, "http://127.0.0.1:4242",
                "{slug}"
            );
        }
        assert_eq!(pointed.books["theoddsapi"].base_url, before);
        assert_eq!(pointed.sim, config.sim);
    }

    #[tokio::test]
    async fn without_scrape_simulator_nothing_starts_and_the_config_is_unchanged() {
        let mut config = Config::defaults();
        config.scrape.simulator = false;
        let (pointed, sim) = start_embedded(&config).await.unwrap();
        assert!(sim.is_none());
        assert_eq!(pointed, config);
    }

    #[tokio::test]
    async fn with_scrape_simulator_the_books_point_at_a_running_simulator() {
        let mut config = Config::defaults();
        config.scrape.simulator = true;
        config.sim.events = 2;
        let (pointed, sim) = start_embedded(&config).await.unwrap();
        let sim = sim.expect("started");
        assert_eq!(pointed.books["betpawa"].base_url, sim.base_url());
        let events = reqwest::get(format!("{}/sim/events", sim.base_url()))
            .await
            .unwrap();
        assert!(events.status().is_success());
        sim.shutdown().await;
    }

    #[test]
    fn fault_rate_must_be_a_fraction() {
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("lots").is_err());
    }
}
