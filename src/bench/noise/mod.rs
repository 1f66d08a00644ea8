//! `oddswatch bench --noise` (issue 15, "Measured"): how many alerts ask for a trader's
//! attention on the 1,300-event simulator with `noise.dedup` off and on, and the proof, in the
//! same run, that folding loses nothing.
//!
//! Each run is the real pipeline ([`ScrapeCycle`]: HTTP fetch from the simulator on loopback,
//! adapters, detection, the write queue, the store's folding) on a scratch database, from a
//! fresh simulator of the same seed: a first cycle (everything first seen; not counted), then
//! `cycles` cycles each after one simulator tick — the moves a 10 s interval would see. The
//! runs: dedup off; dedup on; dedup on with a simulated trader who acknowledges every `new`
//! alert every 5 simulated minutes (30 cycles), so the cooldown decides what later detections
//! do.
//!
//! # Choices
//!
//! - **Attention** is what asks a trader to look: an alert opened, escalated (its severity rose
//!   while `new`) or re-opened (a more severe detection within the cooldown after its
//!   acknowledgement), not silenced — the store's own [`NoiseCounts::attention`]. Per hour at a
//!   10 s interval = the mean per measured cycle × 360.
//! - **Nothing lost**, checked on every run and fatal if it fails: the detections (what the
//!   detector handed the writer, [`CycleTotals::alerts`]) equal the occurrences the store
//!   reported, the occurrence rows added to the database and the growth of `SUM(occurrences)`
//!   over alerts; the alerts opened equal the alert rows added; the escalations and re-openings
//!   equal their audit rows. Across runs, the detections must be the same (same seed, same
//!   ticks): dedup changes what asks for attention, never what is detected.
//! - **The clock.** The pipeline takes its time from the wall clock (it cannot be driven), so
//!   simulated time runs faster than real time here. That changes no decision while a run is
//!   shorter than the cooldown in both: a detection after an acknowledgement is within the
//!   30-minute cooldown whether the acknowledgement was 10 real seconds or 10 simulated minutes
//!   ago. So the trader's run is made only when `cycles` × 10 s is at most the cooldown (180
//!   cycles); a longer one would need the pipeline's clock driven to see the cooldown end.

use std::collections::BTreeMap;
use std::time::Instant;

use color_eyre::eyre::{Result, WrapErr, ensure};
use serde::Serialize;
use tokio::sync::watch;

use super::{Scratch, bench_config};
use crate::pipeline::cycle::ScrapeCycle;
use crate::pipeline::run::build_feeds;
use crate::pipeline::writer::{QUEUE_BATCHES, RetryPolicy, spawn_writer};
use crate::service::AlertService;
use crate::sim::{SimOptions, TickMode};
use crate::store::{Backend, Store, with_pool};
use counts::{Stored, by_type, check_nothing_lost, last_ids, minus};

mod counts;

/// The interval the measured cycles stand for, seconds.
pub const INTERVAL_SECS: u32 = 10;

/// Cycles per hour at [`INTERVAL_SECS`].
const CYCLES_PER_HOUR: f64 = 3600.0 / INTERVAL_SECS as f64;

/// Simulated minutes between two rounds of the trader's acknowledgements.
pub const ACK_EVERY_MINS: u32 = 5;

/// What to measure.
#[derive(Debug, Clone)]
pub struct NoiseOptions {
    /// Backends, each measured on its own scratch database.
    pub backends: Vec<Backend>,
    /// Simulated events.
    pub events: u32,
    /// Measured cycles per run (after the first).
    pub cycles: u32,
    /// Seed of the simulator, the same for every run.
    pub seed: u64,
    /// A PostgreSQL server where a scratch database may be created and dropped.
    pub postgres_admin_url: String,
}

/// One run of the pipeline, counted over its measured cycles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NoiseRun {
    /// `noise.dedup`.
    pub dedup: bool,
    /// Simulated minutes between the trader's acknowledgements of every `new` alert; `None`:
    /// nobody acknowledges.
    pub trader_acks_every_mins: Option<u32>,
    /// Events the pipeline saw per cycle.
    pub events: u64,
    /// Alerts the detector raised (what the pipeline handed the store).
    pub detections: u64,
    /// Occurrences the store recorded (one per detection).
    pub occurrences: u64,
    /// New alerts stored.
    pub opened: u64,
    /// Detections folded into a `new` alert of their identity.
    pub updated: u64,
    /// Of those, the ones that raised its severity.
    pub escalated: u64,
    /// Detections recorded on an alert acknowledged within the cooldown.
    pub recorded: u64,
    /// Acknowledged alerts re-opened by a more severe detection.
    pub reopened: u64,
    /// Detections an active silence matched (none are made here: 0 unless something is wrong).
    pub silenced: u64,
    /// Opened + escalated + re-opened, not silenced: what asks for attention.
    pub attention: u64,
    /// `attention` / measured cycles.
    pub attention_per_cycle: f64,
    /// `attention_per_cycle` × 360: per hour at a 10 s interval.
    pub attention_per_hour: f64,
    /// Alerts the trader acknowledged.
    pub acknowledged: u64,
    /// Alerts raised by the first cycle (everything first seen), not counted above.
    pub first_cycle_detections: u64,
    /// Per alert type over the measured cycles: detections (occurrences) and alerts opened —
    /// where the noise comes from and how much of it folds.
    pub by_type: BTreeMap<String, TypeCounts>,
    /// Wall time of the run, seconds (the other builders' load included).
    pub seconds: f64,
}

/// One alert type's share of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TypeCounts {
    /// Detections of the type (occurrence rows).
    pub detections: u64,
    /// Alerts of the type opened.
    pub opened: u64,
}

/// Every run of one backend and how they compare.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NoiseReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Simulated events.
    pub events: u32,
    /// Seed of the simulator.
    pub seed: u64,
    /// Measured cycles per run.
    pub cycles: u32,
    /// The interval the cycles stand for, seconds.
    pub interval_secs: u32,
    /// Dedup off, dedup on, and (when the run is within the cooldown) dedup on with the
    /// trader's acknowledgements.
    pub runs: Vec<NoiseRun>,
    /// Attention with dedup off over attention with dedup on (target ≥ 5).
    pub ratio_off_on: f64,
    /// The same against the run with the trader's acknowledgements.
    pub ratio_off_on_with_acks: Option<f64>,
    /// Every nothing-lost check passed (the run fails otherwise; kept for the JSON reader).
    pub nothing_lost: bool,
}

/// Runs every backend; `say` reports progress.
pub async fn run(options: &NoiseOptions, say: impl Fn(&str)) -> Result<Vec<NoiseReport>> {
    let ack_cycles = ACK_EVERY_MINS * 60 / INTERVAL_SECS;
    let cooldown_cycles =
        crate::domain::NoisePolicy::default().cooldown.num_seconds() as u32 / INTERVAL_SECS;
    let mut reports = Vec::new();
    for backend in &options.backends {
        let mut report = NoiseReport {
            backend: backend.as_str().to_string(),
            events: options.events,
            seed: options.seed,
            cycles: options.cycles,
            interval_secs: INTERVAL_SECS,
            ..NoiseReport::default()
        };
        let mut variants = vec![(false, None), (true, None)];
        if options.cycles <= cooldown_cycles {
            variants.push((true, Some(ack_cycles)));
        } else {
            say(&format!(
                "[{}] no run with acknowledgements: {} cycles outlast the cooldown ({cooldown_cycles} cycles) and the pipeline's clock cannot be driven",
                backend.as_str(),
                options.cycles
            ));
        }
        for (dedup, acks) in variants {
            say(&format!(
                "[{}] noise: {} cycles, dedup {}{}",
                backend.as_str(),
                options.cycles,
                if dedup { "on" } else { "off" },
                if acks.is_some() {
                    ", a trader acknowledging every 5 simulated minutes"
                } else {
                    ""
                }
            ));
            let run = one_run(*backend, options, dedup, acks).await?;
            if let Some(first) = report.runs.first() {
                ensure!(
                    run.detections == first.detections
                        && run.first_cycle_detections == first.first_cycle_detections,
                    "NOTHING-LOST CHECK FAILED on {}: the same seed detected {} (+{} at first sight) with {}, {} (+{}) with dedup off — a detection depends on how alerts are folded",
                    backend.as_str(),
                    run.detections,
                    run.first_cycle_detections,
                    describe(&run),
                    first.detections,
                    first.first_cycle_detections
                );
            }
            report.runs.push(run);
        }
        let off = &report.runs[0];
        report.ratio_off_on = attention_ratio(off, &report.runs[1]);
        report.ratio_off_on_with_acks = report.runs.get(2).map(|on| attention_ratio(off, on));
        report.nothing_lost = true;
        reports.push(report);
    }
    Ok(reports)
}

/// Attention with dedup off over attention in `on` (at least 1, so a quiet run is finite).
fn attention_ratio(off: &NoiseRun, on: &NoiseRun) -> f64 {
    off.attention as f64 / (on.attention as f64).max(1.0)
}

fn describe(run: &NoiseRun) -> String {
    format!(
        "dedup {}{}",
        if run.dedup { "on" } else { "off" },
        run.trader_acks_every_mins
            .map(|m| format!(" with acknowledgements every {m} min"))
            .unwrap_or_default()
    )
}

/// One run: a fresh simulator and database, the first cycle, then the measured cycles; the
/// trader acknowledges after every `ack_cycles`-th one, if set.
async fn one_run(
    backend: Backend,
    options: &NoiseOptions,
    dedup: bool,
    ack_cycles: Option<u32>,
) -> Result<NoiseRun> {
    let started = Instant::now();
    let (_, sim) = crate::sim::start(SimOptions {
        events: options.events,
        seed: options.seed,
        tick: TickMode::Manual,
        ..SimOptions::default()
    })
    .await?;
    let scratch = Scratch::new(backend, &options.postgres_admin_url).await?;
    let store = scratch.store.clone();
    let mut config = bench_config(options.events);
    config.noise.dedup = dedup;
    let dir = tempfile::tempdir()?;
    let (queue, writer) = spawn_writer(
        store.clone(),
        dir.path().into(),
        RetryPolicy::default(),
        QUEUE_BATCHES,
    );
    let counts = queue.clone();
    let (feeds, home) = build_feeds(&config, Some(&sim.base_url()))?;
    let mut cycle = ScrapeCycle::new(config, store.clone(), queue, feeds, home);
    let stop = watch::channel(false).1;
    let trader = AlertService::new(store.clone(), "bench-trader");

    let first = cycle.run_cycle(&stop).await;
    let noise_before = counts.noise();
    let stored_before = Stored::read(&store).await?;
    let (last_alert, last_occurrence) = last_ids(&store).await?;
    let mut run = NoiseRun {
        dedup,
        trader_acks_every_mins: ack_cycles.map(|_| ACK_EVERY_MINS),
        events: first.events,
        first_cycle_detections: first.alerts(),
        ..NoiseRun::default()
    };
    for n in 1..=options.cycles {
        sim.tick();
        run.detections += cycle.run_cycle(&stop).await.alerts();
        if ack_cycles.is_some_and(|every| n % every == 0) {
            run.acknowledged += acknowledge_every_new(&store, &trader).await?;
        }
    }
    // `run_cycle` waits for the writer, so every batch of the last cycle is counted.
    let noise = minus(counts.noise(), noise_before);
    let stored = Stored::read(&store).await?.minus(&stored_before);
    run.by_type = by_type(&store, last_alert, last_occurrence).await?;
    drop((cycle, counts));
    let writer = writer.await?;
    sim.shutdown().await;
    scratch.finish().await;
    ensure!(
        writer.dead_lettered == 0 && writer.lost == 0,
        "{}: the writer dead-lettered {} and lost {} batches; the counts would be short",
        backend.as_str(),
        writer.dead_lettered,
        writer.lost
    );

    run.occurrences = noise.occurrences;
    run.opened = noise.opened;
    run.updated = noise.updated;
    run.escalated = noise.escalated;
    run.recorded = noise.recorded;
    run.reopened = noise.reopened;
    run.silenced = noise.silenced;
    run.attention = noise.attention;
    run.attention_per_cycle = noise.attention as f64 / f64::from(options.cycles.max(1));
    run.attention_per_hour = run.attention_per_cycle * CYCLES_PER_HOUR;
    run.seconds = started.elapsed().as_secs_f64();
    check_nothing_lost(backend, &run, &stored)?;
    Ok(run)
}

/// The trader's round: every `new` alert (oldest first) acknowledged through the alert service,
/// as the UI's "acknowledge all" does. Returns how many.
async fn acknowledge_every_new(store: &Store, trader: &AlertService) -> Result<u64> {
    let ids: Vec<i64> = with_pool!(store, pool => {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM alerts WHERE status = 'new' ORDER BY id")
            .fetch_all(pool)
            .await
            .wrap_err("listing the new alerts")?;
        Ok::<_, color_eyre::eyre::Report>(rows.into_iter().map(|(id,)| id).collect())
    })?;
    for chunk in ids.chunks(10_000) {
        trader
            .acknowledge(chunk, Some("noise bench: the simulated trader's round"))
            .await
            .wrap_err("acknowledging as the simulated trader")?;
    }
    Ok(ids.len() as u64)
}

/// One cell of the table: a figure of one run, as text.
type Cell = fn(&NoiseRun) -> String;

/// The noise figures as a markdown table per backend.
pub fn markdown(reports: &[NoiseReport]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "### noise on {} — {} events, seed {}, {} cycles after the first (one simulator tick each, standing for a {} s interval)\n",
            report.backend, report.events, report.seed, report.cycles, report.interval_secs
        );
        let heads: Vec<String> = report
            .runs
            .iter()
            .map(|r| match r.trader_acks_every_mins {
                Some(m) => format!("dedup on, acks every {m} min"),
                None => format!("dedup {}", if r.dedup { "on" } else { "off" }),
            })
            .collect();
        let _ = writeln!(out, "| figure | {} |", heads.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(heads.len()));
        let rows: [(&str, Cell); 16] = [
            ("events per cycle", |r| r.events.to_string()),
            ("detections (detector output)", |r| r.detections.to_string()),
            ("occurrences stored", |r| r.occurrences.to_string()),
            ("alerts opened", |r| r.opened.to_string()),
            ("updated in place", |r| r.updated.to_string()),
            ("  of which escalated", |r| r.escalated.to_string()),
            ("recorded within the cooldown", |r| r.recorded.to_string()),
            ("re-opened", |r| r.reopened.to_string()),
            ("silenced", |r| r.silenced.to_string()),
            (
                "asking for attention (opened + escalated + re-opened)",
                |r| r.attention.to_string(),
            ),
            ("attention per cycle (mean)", |r| {
                format!("{:.2}", r.attention_per_cycle)
            }),
            ("attention per hour at 10 s (per-cycle mean × 360)", |r| {
                format!("{:.0}", r.attention_per_hour)
            }),
            ("acknowledged by the trader", |r| r.acknowledged.to_string()),
            ("first cycle (not counted): detections", |r| {
                r.first_cycle_detections.to_string()
            }),
            ("run wall time", |r| format!("{:.0} s", r.seconds)),
            ("nothing lost (detections = occurrences)", |r| {
                if r.detections == r.occurrences {
                    "yes".into()
                } else {
                    "NO".into()
                }
            }),
        ];
        for (name, cell) in rows {
            let cells: Vec<String> = report.runs.iter().map(cell).collect();
            let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
        }
        let mut kinds: Vec<&String> = report.runs.iter().flat_map(|r| r.by_type.keys()).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            let cells: Vec<String> = report
                .runs
                .iter()
                .map(|r| {
                    let c = r.by_type.get(kind).copied().unwrap_or_default();
                    format!("{} → {}", c.detections, c.opened)
                })
                .collect();
            let _ = writeln!(
                out,
                "| {kind}: detections → alerts opened | {} |",
                cells.join(" | ")
            );
        }
        let _ = write!(
            out,
            "\nattention off / on: **{:.1}×** (target ≥ 5×)",
            report.ratio_off_on
        );
        if let Some(acks) = report.ratio_off_on_with_acks {
            let _ = write!(out, "; with the trader's acknowledgements: **{acks:.1}×**");
        }
        let _ = writeln!(out, "\n");
    }
    out
}
