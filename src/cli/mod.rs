//! Command-line interface: argument parsing and dispatch. Each command is a thin layer over the
//! library (the alert service, the store, the demo generator), so tests reach the logic directly.

mod alerts;
mod bench;
mod completions;
mod export;
pub mod fetch;
mod man;
mod notify;
mod processes;
mod show;
mod silence;
pub mod sim;
mod status;
mod table;
mod terminal_safe;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr};

use crate::config::{Config, ConfigSources, redact_url};
use crate::service::AlertService;
use crate::store::{DbRole, Store};

pub use alerts::AlertsCommand;
pub use bench::{BenchArgs, BenchBackend};
pub use silence::SilenceCommand;

/// oddswatch: a terminal risk monitor for sportsbook traders.
#[derive(Debug, Parser)]
#[command(name = "oddswatch", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: the platform config dir's config.toml, if present).
    #[arg(long, global = true, env = "ODDSWATCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL for every command: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "ODDSWATCH_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// What to do; without a command oddswatch runs the monitor.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, inspect and acknowledge alerts.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Hide alerts for a while: add, list, edit and expire silences (shared by every UI).
    #[command(subcommand)]
    Silence(SilenceCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with realistic synthetic events and alerts.
    DemoData(DemoDataArgs),
    /// Show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Serve the HTTP JSON API (127.0.0.1:8080 by default).
    Serve(ServeArgs),
    /// Measure the product on this machine (cycles, growth, limits, reference cycle, read side).
    Bench(BenchArgs),
    /// Run the pipeline headless: scrape, detect, store (servers; logs to stderr and the log file).
    Scrape,
    /// Check one feed: run discovery (or fetch one event) and print the normalised result.
    Fetch(fetch::FetchArgs),
    /// Serve the simulated bookmakers on 127.0.0.1 in the real feed formats.
    Sim(sim::SimArgs),
    /// The terminal UI attached to a database (no scraping in this process).
    Tui(TuiArgs),
    /// The scraper team: daemons, their shards and leases, last cycles and book health.
    Status(status::StatusArgs),
    /// Webhook notifications: the targets' state, a test message, resuming a paused target.
    #[command(subcommand)]
    Notify(notify::NotifyCommand),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) on stdout, or write every command's page into a folder.
    Man(man::ManArgs),
}

/// `oddswatch serve`
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default: api.bind). Non-loopback addresses need api.token.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::SocketAddr>,
}

/// `oddswatch tui`
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// Capture the mouse: the wheel scrolls, a click selects (turns off the terminal's own text
    /// selection while the UI runs).
    #[arg(long)]
    pub mouse: bool,
}

/// `oddswatch demo-data`
#[derive(Debug, clap::Args)]
pub struct DemoDataArgs {
    /// Number of alerts to create.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
    pub alerts: u64,
    /// Number of events (default: one per 200 alerts, at least 40).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub events: Option<u64>,
    /// Seed of the generator (same seed, same data).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Do not store current odds and price history for the events (the market screen `m` then
    /// shows no prices). The odds are realistic but not the prices the demo alerts name.
    #[arg(long)]
    pub no_odds: bool,
}

/// `oddswatch config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (all layers merged), secrets redacted.
    Print,
    /// Print where the config file and the data are looked for.
    Path,
}

impl Cli {
    /// Whether this command may log to stderr (the interactive UI must not).
    pub fn logs_to_stderr(&self) -> bool {
        !matches!(self.command, None | Some(Command::Tui(_)))
    }

    /// The configuration sources this invocation names.
    pub fn config_sources(&self) -> ConfigSources {
        let mut sources = ConfigSources::from_process(self.config.clone());
        if let Some(url) = &self.database_url {
            sources
                .overrides
                .push(("database.url".into(), toml::Value::String(url.clone())));
        }
        sources
    }
}

/// Runs the commands generated from the CLI alone (`completions`, `man`), before any
/// configuration is loaded: a broken config file must not stop a package build or a shell's
/// start-up. `None` for every other command.
pub fn run_without_config(cli: &Cli) -> Option<Result<ExitCode>> {
    match &cli.command {
        Some(Command::Completions(args)) => Some(completions::run(args)),
        Some(Command::Man(args)) => Some(man::run(args)),
        _ => None,
    }
}

/// Runs the parsed command with a loaded configuration.
pub async fn run(cli: Cli, config: Config) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Alerts(cmd)) => {
            let service = open_service(&config).await?;
            let code = alerts::run(&service, cmd).await;
            service.close().await;
            code
        }
        Some(Command::Silence(cmd)) => {
            let service = open_service(&config).await?;
            let code = silence::run(&service, cmd).await;
            service.close().await;
            code
        }
        Some(Command::Migrate) => {
            let url = config.database_url();
            Store::open(&url, config.database.max_connections)
                .await?
                .close()
                .await;
            println!("migrations applied to {}", redact_url(&url));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::DemoData(args)) => {
            let store = open_store(&config).await?;
            let options = crate::demo::DemoOptions {
                alerts: args.alerts,
                events: args.events.unwrap_or_else(|| (args.alerts / 200).max(40)),
                seed: args.seed,
            };
            let started = std::time::Instant::now();
            let show_progress = std::io::stderr().is_terminal();
            let summary = crate::demo::load(&store, &options, |done| {
                if show_progress {
                    eprint!("\r{done} / {} alerts", options.alerts);
                }
            })
            .await
            .wrap_err("loading demo data")?;
            if show_progress {
                eprintln!();
            }
            let odds = if args.no_odds {
                String::new()
            } else {
                if show_progress {
                    eprintln!("storing odds for the {} events…", summary.events);
                }
                let events = crate::bench::board::stored_events(&store).await?;
                let records: Vec<_> = events.into_iter().map(|(_, record)| record).collect();
                let seeded = crate::bench::odds_seed::seed_odds(
                    &store,
                    &records,
                    crate::service::now_millis(),
                    args.seed,
                )
                .await
                .wrap_err("storing demo odds")?;
                format!(
                    " and {} current odds rows with {} price-history rows",
                    seeded.odds_rows, seeded.history_rows
                )
            };
            println!(
                "loaded {} alerts on {} events{odds} into {} in {:.1} s",
                summary.alerts,
                summary.events,
                redact_url(&config.database_url()),
                started.elapsed().as_secs_f64()
            );
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Serve(args)) => processes::serve(&config, args).await,
        Some(Command::Scrape) => processes::scrape(&config).await,
        Some(Command::Status(args)) => status::run(&config, args).await,
        Some(Command::Notify(cmd)) => notify::run(&config, cmd).await,
        Some(Command::Completions(args)) => completions::run(&args),
        Some(Command::Man(args)) => man::run(&args),
        Some(Command::Bench(args)) => bench::run(args).await,
        Some(Command::Fetch(args)) => fetch::run(&config, args).await,
        Some(Command::Sim(args)) => sim::run(&config, args).await,
        Some(Command::Config(ConfigCommand::Print)) => {
            print!("{}", config.to_redacted_toml());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Path)) => {
            match crate::config::default_config_file() {
                Some(path) => println!("config file: {}", path.display()),
                None => println!("config file: (this platform has no config dir)"),
            }
            println!("database:    {}", redact_url(&config.database_url()));
            println!("log folder:  {}", config.log_dir().display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Tui(args)) => {
            if !std::io::stdout().is_terminal() {
                eprintln!(
                    "error: `oddswatch tui` needs a terminal; without one, `oddswatch` prints new alerts as JSON lines"
                );
                return Ok(ExitCode::from(2));
            }
            processes::attach_ui(&config, args.mouse).await
        }
        None => processes::monitor(&config).await,
    }
}

/// A one-shot command's store: `database.max_connections`, named `oddswatch`.
async fn open_store(config: &Config) -> Result<Store> {
    open_role_store(config, DbRole::General).await
}

/// A store of `size` connections for `role` (DESIGN §11's connection budget; on PostgreSQL a
/// `LISTEN` adds one connection of the same name, see [`crate::live::spawn_poller`]).
async fn open_store_as(config: &Config, size: u32, role: DbRole) -> Result<Store> {
    let url = config.database_url();
    Store::open_as(&url, size, role)
        .await
        .wrap_err_with(|| format!("opening the database {}", redact_url(&url)))
}

/// Connections in `role`'s pool (DESIGN §11's connection budget): `database.pool.ui`, `.scrape`
/// or `.api`, and `database.max_connections` for one-shot commands. On PostgreSQL a UI and an
/// API hold one more, for `LISTEN` (see [`crate::live::spawn_poller`]).
pub fn role_pool_size(config: &Config, role: DbRole) -> u32 {
    let pool = &config.database.pool;
    match role {
        DbRole::Ui => pool.ui,
        DbRole::Scrape => pool.scrape,
        DbRole::Api => pool.api,
        DbRole::General => config.database.max_connections,
    }
}

/// Opens (and migrates) the configured database for `role`, with its pool size and name: what
/// `oddswatch tui`, `serve` and `scrape` do at start.
pub async fn open_role_store(config: &Config, role: DbRole) -> Result<Store> {
    open_store_as(config, role_pool_size(config, role), role).await
}

/// The zero set-up `oddswatch` runs the pipeline and the UI (and the API when `api.enabled`) in
/// one process, usually on SQLite: one pool shared by all of them, as large as their roles'
/// pools together, so the UI's reads never wait behind the pipeline's writes longer than they
/// would as separate processes. Named `oddswatch` on PostgreSQL.
pub fn monitor_pool_size(config: &Config) -> u32 {
    let pool = &config.database.pool;
    pool.scrape + pool.ui + if config.api.enabled { pool.api } else { 0 }
}

async fn open_service(config: &Config) -> Result<AlertService> {
    Ok(
        AlertService::new(open_store(config).await?, config.acting_user())
            .with_config(std::sync::Arc::new(config.clone())),
    )
}
