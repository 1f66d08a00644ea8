//! `oddswatch bench`: the whole product measured on this machine — full cycles at real volume
//! against the in-process simulator, growth per cycle, the limits we compare against (plainest
//! writes, raw JSON parse), the reference cycle replayed through detection and persistence, and
//! the read side at a million alerts, and the live path's commit → visible latency. Numbers come
//! from this run, never from a test.

pub mod board;
mod copy_floor;
mod limits;
pub mod live;
pub mod noise;
pub mod odds_seed;
pub mod pipeline;
mod read;
mod report;
pub mod team;
mod ui;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;
use sqlx::Connection;

pub use live::LiveReport;
pub use read::{Latency, ReadReport};
pub use report::markdown;
pub use ui::UiReport;

use crate::config::Config;
use crate::detect::{BookScrape, CycleEvent, CycleInput, Detector, EventBook, Rules};
use crate::pipeline::cycle::{BATCH_EVENTS, CycleTotals, write_batch};
use crate::service::{AlertService, now_millis};
use crate::sim::{SimOptions, TickMode};
use crate::sources::BookFeed;
use crate::store::{CycleBatch, EventRecord, OddsWrite, Store};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// `sqlite`, `postgres`, or both.
    pub backends: Vec<crate::store::Backend>,
    /// Simulated events per cycle.
    pub events: u32,
    /// Steady-state cycles for the growth figure.
    pub cycles: u32,
    /// Alerts for the read side.
    pub alerts: u64,
    /// The reference cycle pair, if given.
    pub refcycle: Option<PathBuf>,
    /// A PostgreSQL server where a scratch database may be created and dropped.
    pub postgres_admin_url: String,
}

/// Every figure of one backend.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BackendReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Events per cycle.
    pub events: u64,
    /// First cycle (everything new), seconds.
    pub first_cycle_s: f64,
    /// A steady-state cycle, seconds.
    pub steady_cycle_s: f64,
    /// PostgreSQL: `COPY` of the rows the first cycle wrote into an empty database, seconds.
    pub first_cycle_copy_s: Option<f64>,
    /// Phases of the first cycle.
    pub first_cycle: CycleTotals,
    /// Phases of the steady cycle.
    pub steady_cycle: CycleTotals,
    /// Events per second in the steady cycle.
    pub events_per_s: f64,
    /// Outcomes compared per second in the steady cycle.
    pub outcomes_per_s: f64,
    /// Peak resident memory of the pipeline process over all its cycles (the simulator serves
    /// from another process), MB.
    pub peak_rss_mb: f64,
    /// Database bytes added per steady cycle (mean).
    pub db_bytes_per_cycle: f64,
    /// Projection per day at a 5-minute interval.
    pub db_bytes_per_day: f64,
    /// Alerts per steady cycle (mean).
    pub alerts_per_cycle: f64,
    /// Our persistence time of the first cycle's home-book rows over the plainest loop's.
    pub persist_overhead_ratio: f64,
    /// Our persistence of those rows, seconds.
    pub persist_s: f64,
    /// The plainest loop (one prepared INSERT per row), seconds.
    pub plain_insert_s: f64,
    /// PostgreSQL COPY of the same rows, seconds.
    pub copy_s: Option<f64>,
    /// Our parse and map of the home book's event bodies over a raw `serde_json::Value` parse.
    pub parse_overhead_ratio: f64,
    /// Bytes parsed per second by our adapter, MB/s.
    pub parse_mb_per_s: f64,
    /// Reference cycle: detection of `cycle_next` alone, seconds.
    pub refcycle_detect_s: Option<f64>,
    /// Reference cycle: detection + persistence of `cycle_next`, seconds.
    pub refcycle_detect_persist_s: Option<f64>,
    /// Reference cycle: memory of the last-seen state, MB.
    pub refcycle_state_mb: Option<f64>,
    /// Reference cycle: our alerts per type.
    pub refcycle_alerts: BTreeMap<&'static str, u64>,
    /// Reference cycle: detection of `cycle_prev` on an empty state (everything first seen),
    /// seconds; with `refcycle_detect_s` the cold+steady replay.
    pub refcycle_cold_detect_s: Option<f64>,
    /// Reference cycle: alerts per type and per severity (and competitor), of the cold
    /// `cycle_prev` (`"cold"`: the §9 rules at first sight) and of `cycle_next` (`"steady"`).
    pub refcycle_alert_counts: BTreeMap<&'static str, BTreeMap<String, BTreeMap<String, u64>>>,
    /// Read side figures.
    pub read: ReadReport,
    /// Terminal UI figures on the same database.
    pub ui: UiReport,
    /// `list` p50, ms.
    pub list_p50_ms: f64,
    /// `list` p99, ms.
    pub list_p99_ms: f64,
    /// `stats` p50, ms.
    pub stats_p50_ms: f64,
    /// Alerts loaded for the read side.
    pub read_alerts: u64,
    /// Commit → visible latency of new alerts, in one process and across processes.
    pub live: LiveReport,
}

/// Alerts timed per path of the live figures.
const LIVE_SAMPLES: usize = 60;

/// The reference system's published cost on this machine type (refcycle README).
pub const REFERENCE_DETECT_STEADY_S: f64 = 7.74;

/// Peak resident memory of this process so far, MB (Linux; 0 elsewhere).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A scratch database of one backend, dropped afterwards.
struct Scratch {
    store: Store,
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Scratch {
    async fn new(backend: crate::store::Backend, admin: &str) -> Result<Scratch> {
        match backend {
            crate::store::Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Ok(Scratch {
                    store: Store::open(&url, 8).await?,
                    url,
                    _dir: Some(dir),
                    pg: None,
                })
            }
            crate::store::Backend::Postgres => {
                static SCRATCH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let name = format!("oddswatch_bench_{}_{n}", std::process::id());
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .wrap_err("connecting to PostgreSQL for the benchmark")?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await?;
                let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
                let url = format!("{base}/{name}");
                Ok(Scratch {
                    store: Store::open(&url, 8).await?,
                    url,
                    _dir: None,
                    pg: Some((admin.to_string(), name)),
                })
            }
        }
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Runs everything on every requested backend; `say` reports progress.
pub async fn run(options: &BenchOptions, say: impl Fn(&str)) -> Result<Vec<BackendReport>> {
    let exe = std::env::current_exe().wrap_err("finding this executable for the pipeline child")?;
    let mut reports = Vec::new();
    for backend in &options.backends {
        say(&format!(
            "[{}] cycles against the simulator ({} events)",
            backend.as_str(),
            options.events
        ));
        let mut report = BackendReport {
            backend: backend.as_str().to_string(),
            ..Default::default()
        };
        let figures = pipeline::measure(&exe, *backend, options).await?;
        report.events = figures.events;
        report.first_cycle_s = figures.first_cycle.total_ms as f64 / 1000.0;
        report.steady_cycle_s = figures.steady_cycle.total_ms as f64 / 1000.0;
        report.events_per_s = figures.steady_cycle.events as f64 / report.steady_cycle_s.max(0.001);
        report.outcomes_per_s =
            figures.steady_cycle.outcomes_compared as f64 / report.steady_cycle_s.max(0.001);
        report.first_cycle_copy_s = figures.first_cycle_copy_s;
        report.first_cycle = figures.first_cycle;
        report.steady_cycle = figures.steady_cycle;
        report.db_bytes_per_cycle = figures.db_bytes_per_cycle;
        report.db_bytes_per_day = figures.db_bytes_per_cycle * 288.0;
        report.alerts_per_cycle = figures.alerts_per_cycle;
        report.peak_rss_mb = figures.peak_rss_mb;
        say(&format!(
            "[{}] limits: plainest insert and raw JSON parse",
            backend.as_str()
        ));
        limits_of(options, *backend, &mut report).await?;
        if let Some(dir) = &options.refcycle {
            say(&format!(
                "[{}] reference cycle replay from {}",
                backend.as_str(),
                dir.display()
            ));
            refcycle(dir, *backend, options, &mut report).await?;
        }
        say(&format!(
            "[{}] read side at {} alerts",
            backend.as_str(),
            options.alerts
        ));
        let scratch = demo_scratch(*backend, options).await?;
        let service = AlertService::new(scratch.store.clone(), "bench");
        report.read = read::measure(&service, 30).await?;
        report.read_alerts = options.alerts;
        report.list_p50_ms = report.read.list.p50_ms;
        report.list_p99_ms = report.read.list.p99_ms;
        report.stats_p50_ms = report.read.stats.p50_ms;
        say(&format!(
            "[{}] terminal UI at {} alerts",
            backend.as_str(),
            options.alerts
        ));
        report.ui = ui::measure(&scratch.url, 10).await?;
        scratch.finish().await;
        say(&format!(
            "[{}] live path: commit → visible, in one process and across processes",
            backend.as_str()
        ));
        report.live = live::measure(&exe, *backend, options, LIVE_SAMPLES).await?;
        reports.push(report);
    }
    Ok(reports)
}

/// A scratch database on `backend` filled with `options.alerts` demo alerts (one event per 200,
/// at least 40), the read side's and the market screen's starting point.
async fn demo_scratch(backend: crate::store::Backend, options: &BenchOptions) -> Result<Scratch> {
    let scratch = Scratch::new(backend, &options.postgres_admin_url).await?;
    crate::demo::load(
        &scratch.store,
        &crate::demo::DemoOptions {
            alerts: options.alerts,
            events: (options.alerts / 200).max(40),
            seed: 1,
        },
        |_| {},
    )
    .await?;
    Ok(scratch)
}

/// The market screen on every requested backend (`oddswatch bench --board`): the demo
/// database of `options.alerts` alerts, odds seeded for its events, screens opened at random.
pub async fn run_board(
    options: &BenchOptions,
    say: impl Fn(&str),
) -> Result<Vec<board::BoardReport>> {
    let mut reports = Vec::new();
    for backend in &options.backends {
        say(&format!(
            "[{}] market screen at {} alerts",
            backend.as_str(),
            options.alerts
        ));
        let scratch = demo_scratch(*backend, options).await?;
        let report = board::measure(&scratch.store, &scratch.url, options.alerts, &say).await;
        scratch.finish().await;
        reports.push(report?);
    }
    Ok(reports)
}

fn bench_config(events: u32) -> Config {
    let mut config = Config::defaults();
    config.sim.events = events;
    config
}

/// The home book's events of a fresh simulator as raw bodies, parsed by our adapter.
async fn limits_of(
    options: &BenchOptions,
    backend: crate::store::Backend,
    report: &mut BackendReport,
) -> Result<()> {
    let (_, sim) = crate::sim::start(SimOptions {
        events: options.events,
        tick: TickMode::Manual,
        ..SimOptions::default()
    })
    .await?;
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for event in sim.events() {
        let body = client
            .get(format!(
                "{}/api/sportsbook/v3/events/{}",
                sim.base_url(),
                event.betpawa_id
            ))
            .header("x-pawa-brand", "betpawa-nigeria")
            .send()
            .await?
            .bytes()
            .await?;
        bodies.push(body);
    }
    sim.shutdown().await;
    let config = bench_config(options.events);
    let adapter = crate::sources::BetPawa::new(
        "http://127.0.0.1:9",
        crate::sources::HttpPolicy::from_book(&config.books["betpawa"]),
    )?;
    let bytes: usize = bodies.iter().map(|b| b.len()).sum();
    let t = Instant::now();
    let mut events = Vec::with_capacity(bodies.len());
    for body in &bodies {
        if let Ok(event) = adapter.parse_event(body) {
            events.push(event);
        }
    }
    let ours = t.elapsed();
    let t = Instant::now();
    for body in &bodies {
        let value: serde_json::Value = serde_json::from_slice(body)?;
        std::hint::black_box(value);
    }
    let raw = t.elapsed();
    report.parse_overhead_ratio = ours.as_secs_f64() / raw.as_secs_f64().max(1e-9);
    report.parse_mb_per_s = bytes as f64 / 1e6 / ours.as_secs_f64().max(1e-9);

    // The same rows three ways, each into a fresh database: our batches (built by the cycle's own
    // steps from a first sight of every event), the plainest loop, COPY.
    let batches = first_sight_batches(events, now_millis());
    let ours = Scratch::new(backend, &options.postgres_admin_url).await?;
    let t = Instant::now();
    for batch in &batches {
        ours.store.write_cycle_batch(batch).await?;
    }
    report.persist_s = t.elapsed().as_secs_f64();
    ours.finish().await;

    let plain = Scratch::new(backend, &options.postgres_admin_url).await?;
    let records: Vec<EventRecord> = batches
        .iter()
        .flat_map(|b| b.events.iter().map(|e| e.record.clone()))
        .collect();
    let ids = plain.store.upsert_events(&records, now_millis()).await?;
    let rows: Vec<OddsWrite> = batches.iter().flat_map(|b| b.odds.clone()).collect();
    let by_key: std::collections::HashMap<&str, i64> =
        records.iter().map(|r| r.sr_id.as_str()).zip(ids).collect();
    let keyed: Vec<(i64, &OddsWrite)> = rows
        .iter()
        .map(|r| (by_key[r.event_key.as_str()], r))
        .collect();
    report.plain_insert_s = limits::plain_insert(&plain.store, &keyed)
        .await?
        .as_secs_f64();
    plain.finish().await;
    if backend == crate::store::Backend::Postgres {
        let copy = Scratch::new(backend, &options.postgres_admin_url).await?;
        let ids = copy.store.upsert_events(&records, now_millis()).await?;
        let by_key: std::collections::HashMap<&str, i64> =
            records.iter().map(|r| r.sr_id.as_str()).zip(ids).collect();
        let keyed: Vec<(i64, &OddsWrite)> = rows
            .iter()
            .map(|r| (by_key[r.event_key.as_str()], r))
            .collect();
        report.copy_s = limits::copy_insert(&copy.store, &keyed)
            .await?
            .map(|d| d.as_secs_f64());
        copy.finish().await;
    }
    report.persist_overhead_ratio = report.persist_s / report.plain_insert_s.max(1e-9);
    Ok(())
}

/// The home book's first sight of `events`, in the cycle's batches, built by the cycle's own
/// steps (a first sight raises no §3 alert: there is nothing to compare with; a home market
/// under the margin floor raises its §9 `margin` at first sight).
fn first_sight_batches(
    events: Vec<crate::domain::EventOdds>,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<CycleBatch> {
    let home = crate::detect::refcycle::REFCYCLE_HOME;
    let input = CycleInput {
        home_book: home.to_string(),
        failed_books: Default::default(),
        enabled_competitors: crate::detect::refcycle::REFCYCLE_COMPETITORS,
        events: events
            .into_iter()
            .map(|odds| CycleEvent {
                event_key: odds.event_key.clone(),
                kickoff: odds.kickoff,
                books: vec![EventBook {
                    book: home.to_string(),
                    scrape: BookScrape::Fetched(odds),
                }],
            })
            .collect(),
    };
    let mut detector = Detector::new();
    in_batches(input)
        .into_iter()
        .map(|input| {
            let output = detector.detect_cycle(&input, &Rules::default(), at);
            write_batch(at, &input, output)
        })
        .collect()
}

/// A cycle's input cut into the inputs of its batches, as a cycle detects them.
fn in_batches(input: CycleInput) -> Vec<CycleInput> {
    let CycleInput {
        home_book,
        failed_books,
        enabled_competitors,
        events,
    } = input;
    crate::pipeline::cycle::in_batches(events, BATCH_EVENTS)
        .into_iter()
        .map(|events| CycleInput {
            home_book: home_book.clone(),
            failed_books: failed_books.clone(),
            enabled_competitors,
            events,
        })
        .collect()
}

async fn refcycle(
    dir: &std::path::Path,
    backend: crate::store::Backend,
    options: &BenchOptions,
    report: &mut BackendReport,
) -> Result<()> {
    let prev = crate::detect::refcycle::load_cycle(&dir.join("cycle_prev.jsonl.gz"))
        .wrap_err("reading cycle_prev")?;
    let next = crate::detect::refcycle::load_cycle(&dir.join("cycle_next.jsonl.gz"))
        .wrap_err("reading cycle_next")?;
    let rules = Rules::default();
    let now = now_millis();

    // Detection alone.
    let mut detector = Detector::new();
    let t = Instant::now();
    let cold = detector.detect_cycle(&prev, &rules, now);
    report.refcycle_cold_detect_s = Some(t.elapsed().as_secs_f64());
    let t = Instant::now();
    let output = detector.detect_cycle(&next, &rules, now + chrono::Duration::minutes(5));
    report.refcycle_detect_s = Some(t.elapsed().as_secs_f64());
    let home = crate::detect::refcycle::REFCYCLE_HOME;
    report.refcycle_alert_counts.insert(
        "cold",
        crate::detect::refcycle::alert_counts(&cold.alerts, home),
    );
    report.refcycle_alert_counts.insert(
        "steady",
        crate::detect::refcycle::alert_counts(&output.alerts, home),
    );
    drop(cold);
    report.refcycle_state_mb = Some(detector.heap_bytes() as f64 / (1024.0 * 1024.0));
    for alert in &output.alerts {
        *report
            .refcycle_alerts
            .entry(alert.alert_type().as_str())
            .or_default() += 1;
    }

    // Detection + persistence as a cycle does it, batch by batch with the cycle's own steps:
    // prev first (stored), then next timed.
    let scratch = Scratch::new(backend, &options.postgres_admin_url).await?;
    let mut detector = Detector::new();
    for input in in_batches(prev) {
        let output = detector.detect_cycle(&input, &rules, now);
        scratch
            .store
            .write_cycle_batch(&write_batch(now, &input, output))
            .await?;
    }
    let later = now + chrono::Duration::minutes(5);
    let next = in_batches(next);
    let t = Instant::now();
    for input in next {
        let output = detector.detect_cycle(&input, &rules, later);
        scratch
            .store
            .write_cycle_batch(&write_batch(later, &input, output))
            .await?;
    }
    report.refcycle_detect_persist_s = Some(t.elapsed().as_secs_f64());
    scratch.finish().await;
    Ok(())
}
