//! `oddswatch sim`: serve the simulated bookmakers on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;

use crate::config::Config;
use crate::sim::{self, SimOptions};

/// `oddswatch sim [--port P] [--seed S] [--events N] [--fault-rate F]`; unset flags come from
/// the `[sim]` section of the configuration.
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
        options
    }
}

/// Serves until Ctrl-C; the model ticks once per home-book discovery.
pub async fn run(config: &Config, args: SimArgs) -> color_eyre::Result<ExitCode> {
    let options = args.options(config);
    let (events, seed, fault_rate) = (options.events, options.seed, options.fault_rate);
    let (_, handle) = sim::start(options).await?;
    let base = handle.base_url();
    println!(
        "simulated bookmakers at {base} ({events} events, seed {seed}, fault rate {fault_rate})"
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
    fn fault_rate_must_be_a_fraction() {
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("lots").is_err());
    }
}
