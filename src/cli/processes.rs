//! The long-running commands: the zero set-up monitor (pipeline + UI), `oddswatch tui`
//! attached to a database, `serve` (the API) and `scrape` (the headless pipeline), with what
//! they share: starting the pipeline beside the simulator and the API beside a pipeline.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr};

use super::{ServeArgs, monitor_pool_size, open_role_store, open_store_as, sim};
use crate::config::{Config, redact_url};
use crate::service::AlertService;
use crate::store::{DbRole, Store};

/// The monitor: the pipeline and the terminal UI in one process — or, without a terminal, the
/// pipeline printing new alerts as JSON lines. The API joins when `api.enabled`.
pub(super) async fn monitor(config: &Config) -> Result<ExitCode> {
    let terminal = std::io::stdout().is_terminal();
    // Without a terminal, listen from the start: a SIGHUP during start-up must not kill the
    // process outright. (With one, the UI's event loop listens; until then Ctrl-C still works.)
    let stop = (!terminal).then(crate::shutdown::listen);
    let store = open_store_as(config, monitor_pool_size(config), DbRole::General).await?;
    let service = AlertService::new(store.clone(), config.acting_user())
        .with_config(std::sync::Arc::new(config.clone()));
    // Without a terminal every alert stored from now on is printed, the pipeline's first too.
    let headless = match stop {
        Some(stop) => Some((crate::tui::Headless::begin(service.clone()).await?, stop)),
        None => None,
    };
    let Some((running, sim)) = start_pipeline(config, &store).await? else {
        return Ok(ExitCode::from(2));
    };
    let feed = running.changes.clone();
    let poller = crate::live::spawn_poller(store.clone(), feed.clone(), crate::live::POLL_EVERY);
    let api = spawn_api(config, &service, &feed, Some(running.status.clone())).await?;
    let (result, stopped) = match headless {
        None => {
            let result = crate::tui::run(crate::tui::TuiOptions {
                service: service.clone(),
                feed,
                pipeline_status: Some(running.status.clone()),
                pipeline_commands: Some(running.commands.clone()),
                config: config.clone(),
                log_path: todays_log(config),
                mouse: false,
            })
            .await;
            (result, running.stop().await)
        }
        // SIGINT, SIGTERM or SIGHUP stop it; the alerts stored while the pipeline stops are
        // printed before the exit.
        Some((headless, stop)) => {
            let (stopped, printed) = headless
                .run(&feed, std::io::stdout(), stop, running.stop())
                .await;
            (printed, stopped)
        }
    };
    poller.abort();
    if let Some(api) = api {
        api.abort();
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    tracing::info!(
        cycles = stopped.cycles,
        batches = stopped.writes.stored,
        dead_lettered = stopped.writes.dead_lettered,
        replayed = stopped.writes.replayed,
        letters_waiting = stopped.writes.letters_waiting,
        lost = stopped.writes.lost,
        "monitor stopped"
    );
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

/// Today's log file.
fn todays_log(config: &Config) -> PathBuf {
    config.log_dir().join(format!(
        "{}.{}",
        crate::telemetry::LOG_FILE_PREFIX,
        chrono::Utc::now().format("%Y-%m-%d")
    ))
}

/// Starts the API beside a pipeline when `api.enabled`.
async fn spawn_api(
    config: &Config,
    service: &AlertService,
    feed: &crate::live::ChangeFeed,
    status: Option<tokio::sync::watch::Receiver<crate::health::PipelineStatus>>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    if !config.api.enabled {
        return Ok(None);
    }
    let addr: std::net::SocketAddr = config
        .api
        .bind
        .parse()
        .wrap_err("api.bind is not an address")?;
    let token = Some(config.api.token.expose().trim().to_string()).filter(|t| !t.is_empty());
    let (listener, local) = crate::api::bind(addr, token.is_some()).await?;
    tracing::info!(%local, "API listening");
    let state = crate::api::ApiState {
        service: service.clone(),
        feed: feed.clone(),
        status,
        token,
    };
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = crate::api::serve(listener, state, std::future::pending()).await {
            tracing::error!(error = %e, "the API stopped");
        }
    })))
}

/// The terminal UI on the configured database, following other processes' changes.
pub(super) async fn attach_ui(config: &Config, mouse: bool) -> Result<ExitCode> {
    let store = open_role_store(config, DbRole::Ui).await?;
    let service = AlertService::new(store.clone(), config.acting_user())
        .with_config(std::sync::Arc::new(config.clone()));
    let feed = crate::live::ChangeFeed::default();
    let poller = crate::live::spawn_poller(store, feed.clone(), crate::live::POLL_EVERY);
    let result = crate::tui::run(crate::tui::TuiOptions {
        service: service.clone(),
        feed,
        pipeline_status: None,
        pipeline_commands: None,
        config: config.clone(),
        log_path: todays_log(config),
        mouse,
    })
    .await;
    poller.abort();
    service.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

pub(super) async fn serve(config: &Config, args: ServeArgs) -> Result<ExitCode> {
    let addr = match args.bind {
        Some(addr) => addr,
        None => config
            .api
            .bind
            .parse()
            .wrap_err("api.bind is not an address")?,
    };
    let token = Some(config.api.token.expose().trim().to_string()).filter(|t| !t.is_empty());
    // The same rule as api.bind in the configuration, and the same exit code (2: bad arguments).
    if !addr.ip().is_loopback() && token.is_none() {
        eprintln!(
            "error: --bind {addr}: binding a non-loopback address requires api.token \
             (ODDSWATCH_API_TOKEN); clients then send Authorization: Bearer TOKEN. \
             Without a token only loopback addresses (127.0.0.1, ::1) are allowed"
        );
        return Ok(ExitCode::from(2));
    }
    let (listener, local) = crate::api::bind(addr, token.is_some()).await?;
    let store = open_role_store(config, DbRole::Api).await?;
    let service = AlertService::new(store.clone(), config.acting_user())
        .with_config(std::sync::Arc::new(config.clone()));
    let feed = crate::live::ChangeFeed::default();
    let poller = crate::live::spawn_poller(store, feed.clone(), crate::live::POLL_EVERY);
    let state = crate::api::ApiState {
        service: service.clone(),
        feed,
        status: None,
        token,
    };
    println!("serving the oddswatch API on http://{local}/api (Ctrl-C stops)");
    tracing::info!(%local, "API listening");
    crate::api::serve(listener, state, crate::shutdown::signal())
        .await
        .wrap_err("serving the API")?;
    poller.abort();
    service.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A configuration the pipeline cannot start with (no enabled book, no home book, an unknown
/// book section) is a bad configuration: exit 2 with the pipeline's message, which names the key.
fn pipeline_config_error(e: &crate::pipeline::run::StartError) -> Option<ExitCode> {
    use crate::pipeline::run::StartError;
    matches!(
        e,
        StartError::NoBooks | StartError::NoHome | StartError::Feed { .. }
    )
    .then(|| {
        eprintln!("error: invalid configuration: {e}");
        ExitCode::from(2)
    })
}

/// Starts the embedded simulator when `scrape.simulator` is on, then the pipeline on `store`
/// with the books pointed at it. `None` when the configuration is bad (the message is printed;
/// exit 2); on any failure the store is closed and the simulator stopped.
async fn start_pipeline(
    config: &Config,
    store: &Store,
) -> Result<
    Option<(
        crate::pipeline::run::RunningPipeline,
        Option<crate::sim::SimHandle>,
    )>,
> {
    let (pipeline_config, sim) = match sim::start_embedded(config).await {
        Ok(started) => started,
        Err(e) => {
            store.close().await;
            return Err(e).wrap_err("starting the pipeline");
        }
    };
    let started =
        crate::pipeline::run::start(&pipeline_config, store.clone(), &crate::config::data_dir())
            .await;
    match started {
        Ok(running) => Ok(Some((running, sim))),
        Err(e) => {
            if let Some(sim) = sim {
                sim.shutdown().await;
            }
            store.close().await;
            match pipeline_config_error(&e) {
                Some(_) => Ok(None),
                None => Err(e).wrap_err("starting the pipeline"),
            }
        }
    }
}

pub(super) async fn scrape(config: &Config) -> Result<ExitCode> {
    if !config.books.values().any(|b| b.enabled) {
        eprintln!(
            "error: invalid configuration: no book is enabled; set books.<name>.enabled = true \
             for at least the home book (books: {})",
            config.books.keys().cloned().collect::<Vec<_>>().join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    // `/metrics` on scrape.metrics_bind, held (and served) until this returns.
    let _metrics = match crate::metrics::server::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = open_role_store(config, DbRole::Scrape).await?;
    // The API beside a scraper (`api.enabled`) has its own pool (`pool.api`, named
    // `oddswatch-api`, + 1 for its LISTEN): its readers never take the writer's connections,
    // and operators see both budgets apart in pg_stat_activity.
    let api_store = if config.api.enabled {
        match open_role_store(config, DbRole::Api).await {
            Ok(api_store) => Some(api_store),
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        }
    } else {
        None
    };
    let Some((running, sim)) = start_pipeline(config, &store).await? else {
        return Ok(ExitCode::from(2));
    };
    let feed = running.changes.clone();
    let service = AlertService::new(
        api_store.clone().unwrap_or_else(|| store.clone()),
        config.acting_user(),
    )
    .with_config(std::sync::Arc::new(config.clone()));
    let poller = api_store.clone().map(|api_store| {
        crate::live::spawn_poller(api_store, feed.clone(), crate::live::POLL_EVERY)
    });
    let api = spawn_api(config, &service, &feed, Some(running.status.clone())).await?;
    tracing::info!(
        interval_secs = config.scrape.interval_secs,
        database = %redact_url(&config.database_url()),
        simulator = sim.as_ref().map(|s| s.base_url()),
        "scraping; SIGINT or SIGTERM stops after the batch in flight"
    );
    crate::shutdown::signal().await;
    tracing::info!("stopping: finishing the batch in flight and flushing the write queue");
    if let Some(api) = api {
        api.abort();
    }
    if let Some(poller) = poller {
        poller.abort();
    }
    let stopped = running.stop().await;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    tracing::info!(
        cycles = stopped.cycles,
        batches_stored = stopped.writes.stored,
        dead_lettered = stopped.writes.dead_lettered,
        replayed = stopped.writes.replayed,
        letters_waiting = stopped.writes.letters_waiting,
        lost = stopped.writes.lost,
        "stopped"
    );
    if let Some(api_store) = api_store {
        api_store.close().await;
    }
    store.close().await;
    Ok(if stopped.writes.lost > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
