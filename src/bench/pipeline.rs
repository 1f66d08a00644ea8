//! The pipeline at real volume: a first cycle, a steady cycle and the growth cycles, run in a
//! process of their own (`oddswatch bench --pipeline-child URL`) so that the peak RSS reported
//! is the pipeline's alone, as a deployed `oddswatch scrape` would use. The simulator serves
//! from the parent process and the child ticks it between cycles over HTTP.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{BenchOptions, Scratch, bench_config, peak_rss_mb};
use crate::pipeline::cycle::{CycleTotals, ScrapeCycle};
use crate::pipeline::run::build_feeds;
use crate::pipeline::writer::{QUEUE_BATCHES, RetryPolicy, spawn_writer};
use crate::sim::{SimOptions, TickMode};
use crate::store::Backend;

/// What the pipeline child reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineFigures {
    /// Events per cycle.
    pub events: u64,
    /// The first cycle (everything new).
    pub first_cycle: CycleTotals,
    /// The cycle after one simulator tick.
    pub steady_cycle: CycleTotals,
    /// Mean database bytes added per growth cycle.
    pub db_bytes_per_cycle: f64,
    /// Mean alerts per growth cycle.
    pub alerts_per_cycle: f64,
    /// Peak resident memory of the child process, MB.
    pub peak_rss_mb: f64,
    /// PostgreSQL: `COPY` of the rows the first cycle wrote (events, their links, current odds,
    /// price history) into an empty database, seconds: the floor the first cycle is held to.
    #[serde(default)]
    pub first_cycle_copy_s: Option<f64>,
}

/// In the parent: serves the simulator, runs the child for `backend`, reads its figures.
pub async fn measure(
    exe: &Path,
    backend: Backend,
    options: &BenchOptions,
) -> Result<PipelineFigures> {
    let (_, sim) = crate::sim::start(SimOptions {
        events: options.events,
        tick: TickMode::Manual,
        ..SimOptions::default()
    })
    .await?;
    let output = tokio::process::Command::new(exe)
        .args(["bench", "--backend", backend.as_str()])
        .args(["--events", &options.events.to_string()])
        .args(["--cycles", &options.cycles.to_string()])
        .args(["--postgres-url", &options.postgres_admin_url])
        .args(["--pipeline-child", &sim.base_url()])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .wrap_err_with(|| format!("starting the pipeline child {}", exe.display()))?;
    sim.shutdown().await;
    if !output.status.success() {
        bail!(
            "the pipeline child for {} failed ({})",
            backend.as_str(),
            output.status
        );
    }
    serde_json::from_slice(&output.stdout).wrap_err("reading the pipeline child's figures")
}

/// In the child: the cycles against the simulator at `sim_url` on a scratch database.
pub async fn run_child(
    backend: Backend,
    options: &BenchOptions,
    sim_url: &str,
) -> Result<PipelineFigures> {
    let scratch = Scratch::new(backend, &options.postgres_admin_url).await?;
    let store = scratch.store.clone();
    let config = bench_config(options.events);
    let dir = tempfile::tempdir()?;
    let (queue, writer) = spawn_writer(
        store.clone(),
        dir.path().into(),
        RetryPolicy::default(),
        QUEUE_BATCHES,
    );
    let (feeds, home) = build_feeds(&config, Some(sim_url))?;
    let mut cycle = ScrapeCycle::new(config, store.clone(), queue, feeds, home);
    let stop = watch::channel(false).1;
    let client = reqwest::Client::new();
    let tick = async || -> Result<()> {
        client
            .post(format!("{sim_url}/sim/tick"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .wrap_err("ticking the simulator")?;
        Ok(())
    };

    let first_cycle = cycle.run_cycle(&stop).await;
    // The first cycle's rows as COPY data, to time COPY of the same rows at the end (after
    // the peak RSS is read: the copy is not the pipeline's memory).
    let dump_dir = tempfile::tempdir()?;
    let first_rows = super::copy_floor::dump_rows(&store, dump_dir.path()).await?;
    tick().await?;
    let steady_cycle = cycle.run_cycle(&stop).await;
    let before = store.database_bytes().await?;
    let mut alerts = 0;
    for _ in 0..options.cycles {
        tick().await?;
        alerts += cycle.run_cycle(&stop).await.alerts();
    }
    let after = store.database_bytes().await?;
    drop(cycle);
    writer.await?;
    let n = f64::from(options.cycles.max(1));
    let mut figures = PipelineFigures {
        events: steady_cycle.events,
        first_cycle,
        steady_cycle,
        db_bytes_per_cycle: (after - before).max(0) as f64 / n,
        alerts_per_cycle: alerts as f64 / n,
        peak_rss_mb: peak_rss_mb(),
        first_cycle_copy_s: None,
    };
    scratch.finish().await;
    if let Some(rows) = first_rows {
        let floor = Scratch::new(backend, &options.postgres_admin_url).await?;
        let took = super::copy_floor::copy_rows(&floor.store, &rows).await;
        floor.finish().await;
        figures.first_cycle_copy_s = Some(took?.as_secs_f64());
    }
    Ok(figures)
}
