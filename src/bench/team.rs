//! `oddswatch bench --team` (issue 17): a desk on one PostgreSQL — N terminal UIs (the real update
//! and effects on a test backend), M scraper daemons sharing the shards, K API clients — against
//! one scraper alone: cycle time, UI action latency p99, connections in use, errors.
//!
//! On a scratch database: a simulator ticking every interval (so every daemon sees the same
//! market), then one scraper alone for `minutes` (the baseline cycle time), then the team for
//! `minutes`: the first scraper and M − 1 more, N UIs keying a script, the API served in-process
//! with K clients. Connections are sampled every second; every error is counted where it shows
//! (UI effect answers, API answers, fetches, the writers, and every warning or error the code
//! under test logs — the run has its own runtime whose threads log through a counter).
//!
//! Each role opens its store as its command does, with its `database.pool` size: a UI with
//! `Store::connect_as(url, pool.ui, DbRole::Ui)` and a change poller (its `LISTEN` connection) as `oddswatch
//! tui` attaches, the API as `oddswatch serve` does, each scraper with `pool.scrape` and a data
//! dir of its own.

mod api;
mod connections;
mod report;
mod scrapers;
pub(crate) mod tally;
mod trader;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::watch;
use tracing::Level;

pub use report::{ErrorCounts, PoolSizes, ShardsAtEnd, TeamReport, Timings, markdown};

use super::Scratch;
use connections::{Pools, Sampler};
use scrapers::{CycleSample, Cycles, Scraper};

/// What to run.
#[derive(Debug, Clone)]
pub struct TeamOptions {
    /// Simulated events per cycle.
    pub events: u32,
    /// Terminal UIs.
    pub uis: u32,
    /// Scraper daemons.
    pub scrapers: u32,
    /// API clients.
    pub api_clients: u32,
    /// Minutes of each phase.
    pub minutes: u32,
    /// PostgreSQL server where a scratch database may be created and dropped.
    pub postgres_admin_url: String,
}

/// The logged text of a cycle that overran its interval: a load figure, counted apart.
const OVERRAN: &str = "cycle overran its interval";

/// Runs the team bench, reporting each step through `progress`.
pub async fn run(options: &TeamOptions, progress: impl Fn(&str)) -> Result<TeamReport> {
    let options = options.clone();
    let (report, logged) = tally::run_counted(
        move |say, so_far| async move {
            let say = move |line: String| {
                let _ = say.send(line);
            };
            let scratch =
                Scratch::new(crate::store::Backend::Postgres, &options.postgres_admin_url).await?;
            // The scratch pool only migrated: closed, so it is not among the connections counted.
            scratch.store.close().await;
            let result = run_on(&options, &scratch, &say, &so_far).await;
            say("dropping the scratch database".into());
            scratch.finish().await;
            result
        },
        progress,
    )
    .await;
    let (mut report, seen, window) = report?;
    // What the measured window logged counts; the teardown's (stops cutting work short) is
    // reported apart.
    report.errors.logged_errors = window.count(Level::ERROR, None);
    report.errors.cycle_overruns = window.count(Level::WARN, Some(OVERRAN));
    report.errors.logged_warnings = window.count(Level::WARN, None) - report.errors.cycle_overruns;
    report.errors.logged_after_window = (logged.count(Level::ERROR, None)
        + logged.count(Level::WARN, None))
    .saturating_sub(window.count(Level::ERROR, None) + window.count(Level::WARN, None));
    let logged_texts = window
        .by_message
        .iter()
        .filter(|((_, text), _)| !text.contains(OVERRAN))
        .map(|((level, text), n)| (*n, format!("{level} {text}")));
    let mut texts: Vec<(u64, String)> = seen.into_iter().map(|(t, n)| (n, t)).collect();
    texts.extend(logged_texts);
    // Most frequent first.
    texts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    report.errors.texts = texts
        .into_iter()
        .map(|(n, text)| format!("{n}× {text}"))
        .collect();
    Ok(report)
}

/// Both phases on the scratch database.
async fn run_on(
    options: &TeamOptions,
    scratch: &Scratch,
    say: &impl Fn(String),
    so_far: &tally::SoFar,
) -> Result<(TeamReport, BTreeMap<String, u64>, tally::Logged)> {
    let database = scratch
        .pg
        .as_ref()
        .map(|(_, name)| name.clone())
        .unwrap_or_default();
    let mut config = crate::config::Config::defaults();
    config.sim.events = options.events;
    config.database.url = crate::config::Secret::new(scratch.url.clone());
    let interval = Duration::from_secs(config.scrape.interval_secs);
    let (_, sim) = crate::sim::start(crate::sim::SimOptions {
        port: 0,
        events: options.events,
        tick: crate::sim::TickMode::Every(interval),
        ..crate::sim::SimOptions::from(&config.sim)
    })
    .await
    .wrap_err("starting the simulator")?;
    let config = crate::cli::sim::pointed_at(&config, &sim.base_url());
    let pool = config.database.pool;
    let phase = Duration::from_secs(u64::from(options.minutes) * 60);
    let pools = Pools::default();
    let sampler = Sampler::start(&options.postgres_admin_url, &database, pools.clone()).await?;
    let cycles: Cycles = Arc::new(Mutex::new(Vec::new()));
    let mut report = TeamReport {
        events: options.events,
        uis: options.uis,
        scrapers: options.scrapers,
        api_clients: options.api_clients,
        minutes: options.minutes,
        interval_secs: config.scrape.interval_secs,
        pools: PoolSizes {
            ui: pool.ui,
            scrape: pool.scrape,
            api: pool.api,
        },
        connection_budget: u64::from(options.uis) * u64::from(pool.ui + 1)
            + u64::from(options.scrapers) * u64::from(pool.scrape)
            + u64::from(pool.api + 1),
        ..TeamReport::default()
    };

    say(format!(
        "one scraper alone for {} min ({} events, a cycle every {} s)",
        options.minutes,
        options.events,
        interval.as_secs()
    ));
    let mut daemons: Vec<Scraper> =
        vec![scrapers::start(&config, 0, &pools, cycles.clone()).await?];
    tokio::time::sleep(phase).await;
    let team_from = Utc::now();

    say(format!(
        "the team for {} min: {} scrapers, {} UIs, {} API clients",
        options.minutes, options.scrapers, options.uis, options.api_clients
    ));
    for index in 1..options.scrapers as usize {
        daemons.push(scrapers::start(&config, index, &pools, cycles.clone()).await?);
    }
    let served = api::serve(&scratch.url, pool.api, &pools).await?;
    let (stop, stopping) = watch::channel(false);
    let clients: Vec<_> = (0..options.api_clients as usize)
        .map(|n| api::spawn_client(served.base.clone(), n, stopping.clone()))
        .collect();
    let traders: Vec<_> = (0..options.uis)
        .map(|n| {
            trader::spawn(
                n,
                scratch.url.clone(),
                pool.ui,
                pools.clone(),
                stopping.clone(),
            )
        })
        .collect();
    tokio::time::sleep(phase).await;
    let _ = stop.send(true);
    let window = so_far.now();
    // Connections are the window's too: the bench's own reads after it are not the desk's.
    report.connections = sampler.finish();
    report.errors.failed_samples = report.connections.failed_samples;

    say("collecting the figures".into());
    let mut texts: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_action: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for trader in traders {
        let figures = trader.await.wrap_err("a trader panicked")??;
        for (what, mut samples) in figures.actions {
            by_action.entry(what).or_default().append(&mut samples);
        }
        report.errors.ui_effects += figures.errors.len() as u64;
        for e in figures.errors {
            *texts.entry(format!("UI effect: {e}")).or_default() += 1;
        }
    }
    let mut api_ok = Vec::new();
    for client in clients {
        let figures = client.await.wrap_err("an API client panicked")?;
        api_ok.extend(figures.ok);
        report.errors.api += figures.errors.len() as u64;
        for e in figures.errors {
            *texts.entry(format!("API: {e}")).or_default() += 1;
        }
    }
    report.api_requests = Timings::of(&mut api_ok);
    let mut all_actions: Vec<Duration> = by_action
        .iter()
        .filter(|(what, _)| **what != "first frame")
        .flat_map(|(_, samples)| samples.iter().copied())
        .collect();
    report.ui_actions = Timings::of(&mut all_actions);
    report.ui_by_action = by_action
        .into_iter()
        .map(|(what, mut samples)| (what.to_string(), Timings::of(&mut samples)))
        .collect();

    say("reading the shard leases".into());
    match shards_at_end(&scratch.url).await {
        Ok(shards) => report.shards_at_end = Some(shards),
        Err(why) => report.shards_note = Some(why),
    }
    served.stop().await;
    say("stopping the scrapers".into());
    for daemon in daemons {
        let stopped = daemon.stop().await;
        report.errors.batches_retried += stopped.writes.retried;
        report.errors.batches_not_stored += stopped.writes.dead_lettered + stopped.writes.lost;
    }
    sim.shutdown().await;

    let cycles = cycles.lock().map(|c| c.clone()).unwrap_or_default();
    report.errors.fetch_failures = cycles.iter().map(|c| c.failed_fetches).sum();
    let (alone, team) = split_phases(&cycles, team_from);
    report.cycle_alone = scrapers::cycle_figures(&alone);
    report.cycle_team = scrapers::cycle_figures(&team);
    report.cycle_ratio_p50 = report.cycle_team.p50_ms / report.cycle_alone.p50_ms.max(1.0);
    report.cycle_ratio_p95 = report.cycle_team.p95_ms / report.cycle_alone.p95_ms.max(1.0);
    report.alerts_stored = alerts_stored(&scratch.url).await?;
    Ok((report, texts, window))
}

/// The cycles of the baseline (the first daemon's, started before `team_from`) and of the team
/// (every daemon's, started from `team_from`). Each daemon's first cycle is left out of both:
/// it warms its state and claims its shards, and the very first one stores every event new.
fn split_phases(
    cycles: &[CycleSample],
    team_from: DateTime<Utc>,
) -> (Vec<CycleSample>, Vec<CycleSample>) {
    let steady = cycles.iter().filter(|c| c.cycle > 1);
    let alone = steady
        .clone()
        .filter(|c| c.scraper == 0 && c.at < team_from)
        .copied()
        .collect();
    let team = steady.filter(|c| c.at >= team_from).copied().collect();
    (alone, team)
}

/// The lease table's summary, read through a pool of its own; the reason when it cannot be
/// read. Read in a task of its own, so a failure of any kind is a figure, not the end of the
/// run.
async fn shards_at_end(url: &str) -> Result<ShardsAtEnd, String> {
    let url = url.to_string();
    let read = tokio::spawn(async move {
        let store = crate::store::Store::connect(&url, 1)
            .await
            .map_err(|e| e.to_string())?;
        let status = store.team_status().await.map_err(|e| e.to_string());
        store.close().await;
        let summary = status?.summary();
        Ok::<_, String>(ShardsAtEnd {
            owned: summary.owned,
            shards: summary.shards,
            live_scrapers: summary.scrapers,
        })
    });
    match read.await {
        Ok(result) => result,
        Err(e) => Err(format!("reading the lease table failed: {e}")),
    }
}

/// Alerts in the database.
async fn alerts_stored(url: &str) -> Result<u64> {
    let store = crate::store::Store::connect(url, 1).await?;
    let stats = crate::service::AlertService::new(store.clone(), "bench")
        .stats()
        .await;
    store.close().await;
    Ok(stats?.total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(scraper: usize, cycle: u64, at: DateTime<Utc>) -> CycleSample {
        CycleSample {
            scraper,
            cycle,
            at,
            ms: 1000,
            failed_fetches: 0,
        }
    }

    #[test]
    fn phases_split_at_the_team_start_without_first_cycles() {
        let t0 = Utc::now();
        let team_from = t0 + chrono::Duration::seconds(60);
        let s = chrono::Duration::seconds;
        let cycles = [
            cycle(0, 1, t0),
            cycle(0, 2, t0 + s(10)),
            cycle(0, 3, t0 + s(55)),
            cycle(0, 4, t0 + s(65)),
            cycle(1, 1, t0 + s(61)),
            cycle(1, 2, t0 + s(71)),
            cycle(2, 2, t0 + s(30)),
        ];
        let (alone, team) = split_phases(&cycles, team_from);
        let ids = |v: &[CycleSample]| v.iter().map(|c| (c.scraper, c.cycle)).collect::<Vec<_>>();
        assert_eq!(ids(&alone), [(0, 2), (0, 3)]);
        assert_eq!(ids(&team), [(0, 4), (1, 2)]);
    }
}
