//! `oddswatch bench`: its arguments and the run that prints the figures.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr};

/// Which backends `oddswatch bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchBackend {
    /// SQLite (a temporary file).
    Sqlite,
    /// PostgreSQL (a scratch database on --postgres-url's server).
    Postgres,
    /// Both.
    Both,
}

/// `oddswatch bench`
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Backends to measure.
    #[arg(long, value_enum, default_value_t = BenchBackend::Both)]
    pub backend: BenchBackend,
    /// Simulated events per cycle (1300 is a real cycle).
    #[arg(long, default_value_t = 1300, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub events: u32,
    /// Steady-state cycles for the growth figure.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub cycles: u32,
    /// Alerts stored for the read side.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
    pub alerts: u64,
    /// Folder with the reference cycle pair (cycle_prev.jsonl.gz, cycle_next.jsonl.gz).
    #[arg(long, value_name = "DIR")]
    pub refcycle: Option<PathBuf>,
    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// PostgreSQL server where a scratch database may be created and dropped.
    #[arg(
        long,
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Internal: run only the pipeline cycles against the simulator at URL and print their
    /// figures as JSON (the benchmark runs itself this way to measure the pipeline's memory).
    #[arg(long, value_name = "URL", hide = true)]
    pub pipeline_child: Option<String>,
    /// Measure noise instead (DESIGN §10): the pipeline with `noise.dedup` off and on from the
    /// same seed, alerts asking for attention per hour, and every detection accounted for.
    #[arg(long)]
    pub noise: bool,
    /// Measure the market screen instead (issue 16): odds seeded for the events of an
    /// `--alerts` demo database, then the screen opened for random events (board, history,
    /// render at 80x24), p50 / p95 / p99.
    #[arg(long, conflicts_with = "noise")]
    pub board: bool,
    /// Measure a team on one PostgreSQL instead (issue 17): `--uis` terminal UIs (the real
    /// update and effects on a test backend), `--scrapers` scraper daemons sharing the shards,
    /// `--api-clients` API clients, for `--minutes`; cycle time against one scraper alone, UI
    /// action latency p99, connections in use, errors.
    #[arg(long, conflicts_with_all = ["noise", "board"])]
    pub team: bool,
    /// Terminal UIs of the team bench.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub uis: u32,
    /// Scraper daemons of the team bench.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub scrapers: u32,
    /// API clients of the team bench.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=200))]
    pub api_clients: u32,
    /// Minutes the team bench runs (after a single-scraper baseline of the same length).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub minutes: u32,
    /// Cycles per noise run after the first, one simulator tick each (a 10 s interval).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub noise_cycles: u32,
    /// Seed of the simulator for the noise runs (the same for every run).
    #[arg(long, default_value_t = 42)]
    pub noise_seed: u64,
}

/// Runs `oddswatch bench`.
pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    use crate::store::Backend;
    if let Some(dir) = &args.refcycle {
        for file in ["cycle_prev.jsonl.gz", "cycle_next.jsonl.gz"] {
            if !dir.join(file).is_file() {
                eprintln!("error: --refcycle {}: {file} is missing", dir.display());
                return Ok(ExitCode::from(2));
            }
        }
    }
    let backends = match args.backend {
        BenchBackend::Sqlite => vec![Backend::Sqlite],
        BenchBackend::Postgres => vec![Backend::Postgres],
        BenchBackend::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let options = crate::bench::BenchOptions {
        backends,
        events: args.events,
        cycles: args.cycles,
        alerts: args.alerts,
        refcycle: args.refcycle,
        postgres_admin_url: args.postgres_url,
    };
    if let Some(sim_url) = &args.pipeline_child {
        let [backend] = options.backends[..] else {
            eprintln!("error: --pipeline-child needs one --backend (sqlite or postgres)");
            return Ok(ExitCode::from(2));
        };
        let figures = crate::bench::pipeline::run_child(backend, &options, sim_url).await?;
        println!("{}", serde_json::to_string(&figures)?);
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    if args.noise {
        let noise = crate::bench::noise::NoiseOptions {
            backends: options.backends,
            events: options.events,
            cycles: args.noise_cycles,
            seed: args.noise_seed,
            postgres_admin_url: options.postgres_admin_url,
        };
        let reports = crate::bench::noise::run(&noise, |step| eprintln!("{step}")).await?;
        println!("{}\n", bench_machine(started));
        print!("{}", crate::bench::noise::markdown(&reports));
        if let Some(path) = args.json {
            std::fs::write(&path, serde_json::to_vec_pretty(&reports)?)
                .wrap_err_with(|| format!("writing {}", path.display()))?;
            eprintln!("figures written to {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.team {
        let team = crate::bench::team::TeamOptions {
            events: options.events,
            uis: args.uis,
            scrapers: args.scrapers,
            api_clients: args.api_clients,
            minutes: args.minutes,
            postgres_admin_url: options.postgres_admin_url,
        };
        let report = crate::bench::team::run(&team, |step| eprintln!("{step}")).await?;
        println!("{}\n", bench_machine(started));
        print!("{}", crate::bench::team::markdown(&report));
        if let Some(path) = args.json {
            std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
                .wrap_err_with(|| format!("writing {}", path.display()))?;
            eprintln!("figures written to {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.board {
        let reports = crate::bench::run_board(&options, |step| eprintln!("{step}")).await?;
        println!("{}\n", bench_machine(started));
        print!("{}", crate::bench::board::markdown(&reports));
        if let Some(path) = args.json {
            std::fs::write(&path, serde_json::to_vec_pretty(&reports)?)
                .wrap_err_with(|| format!("writing {}", path.display()))?;
            eprintln!("figures written to {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let reports = crate::bench::run(&options, |step| eprintln!("{step}")).await?;
    println!("{}\n", bench_machine(started));
    print!("{}", crate::bench::markdown(&reports));
    if let Some(path) = args.json {
        std::fs::write(&path, serde_json::to_vec_pretty(&reports)?)
            .wrap_err_with(|| format!("writing {}", path.display()))?;
        eprintln!("figures written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The bench report's first line: the machine, the build, the load and how long the run took.
fn bench_machine(started: std::time::Instant) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "?".to_string(),
            |kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0),
        );
    let build = if cfg!(debug_assertions) {
        "debug build (use --release for real figures)"
    } else {
        "release build"
    };
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string());
    format!(
        "oddswatch bench on {cores} cores, {memory} RAM, {build}; load average {load} at the end; took {:.0} s",
        started.elapsed().as_secs_f64()
    )
}
