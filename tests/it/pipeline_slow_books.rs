//! One slow book must not hold a cycle: the per-book budget, a prompt stop during a dripping
//! fetch, and health that changes while the cycle runs. The simulator's `drip` fault over real
//! HTTP, the real adapters and a real SQLite database.

use crate::common;

use std::time::Duration;

use oddswatch::config::Config;
use oddswatch::domain::{AlertFilter, AlertSort, AlertType, Page};
use oddswatch::health::{HealthLevel, PipelineStatus};
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::scheduler::CycleRunner;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::service::AlertService;
use oddswatch::sim::{FaultKind, Script, SimHandle, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::sync::watch;

/// A simulator whose sportybet event bodies drip (4 bytes every 200 ms: minutes per body) at
/// `rate`; discovery answers cleanly.
async fn dripping_sportybet(events: u32, rate: f64) -> SimHandle {
    let options = SimOptions {
        events,
        tick: TickMode::Manual,
        seed: 5,
        fault_rate: rate,
        fault_kinds: vec![FaultKind::Drip],
        fault_book: Some("sportybet".into()),
        fault_events_only: true,
        drip_chunk_bytes: 4,
        drip_every: Duration::from_millis(200),
        ..SimOptions::default()
    };
    oddswatch::sim::start(options).await.unwrap().1
}

/// The three simulated books; `sportybet` with `deadline_secs` and `budget_secs`.
fn config(deadline_secs: u64, budget_secs: u64) -> Config {
    let mut config = Config::defaults();
    for book in config.books.values_mut() {
        book.timeout_secs = 5;
        book.retries = 0;
    }
    let sportybet = config.books.get_mut("sportybet").unwrap();
    sportybet.timeout_secs = deadline_secs.min(300);
    sportybet.deadline_secs = deadline_secs;
    sportybet.budget_secs = budget_secs;
    sportybet.breaker_failures = 10_000;
    config
}

async fn pipeline(store: &Store, config: &Config, base_url: &str) -> ScrapeCycle {
    let dir = tempfile::tempdir().unwrap();
    let (queue, _writer) = spawn_writer(store.clone(), dir.keep(), RetryPolicy::default(), 8);
    let (feeds, home) = build_feeds(config, Some(base_url)).unwrap();
    ScrapeCycle::new(config.clone(), store.clone(), queue, feeds, home)
}

fn level_of(books: &[oddswatch::health::BookHealth], book: &str) -> HealthLevel {
    books
        .iter()
        .find(|b| b.book == book)
        .map_or(HealthLevel::Unknown, |b| b.level)
}

#[tokio::test]
async fn a_dripping_book_is_cut_at_its_budget_without_availability_alerts() {
    let db = common::sqlite_db().await;
    let sim = dripping_sportybet(20, 0.0).await;
    // Each sportybet call may take 10 minutes; its budget is 4 s of the cycle. The healthy
    // books get 2 s: they must not be charged for the 4 s the cycle waits on sportybet.
    let mut config = config(600, 4);
    for slug in ["betpawa", "bet9ja"] {
        config.books.get_mut(slug).unwrap().budget_secs = 2;
    }
    let mut cycle = pipeline(&db.store, &config, &sim.base_url()).await;
    // Several batches: the healthy books must not pay for the time spent waiting on sportybet.
    cycle.batch_events = 4;
    let stop = watch::channel(false).1;
    let first = cycle.run_cycle(&stop).await;
    assert!(first.budget_spent.is_empty());
    assert_eq!(level_of(&cycle.health(), "sportybet"), HealthLevel::Ok);

    // Every sportybet body now drips for minutes.
    sim.apply(Script::SetFaultRate { rate: 1.0 }).unwrap();
    let second = tokio::time::timeout(Duration::from_secs(60), cycle.run_cycle(&stop))
        .await
        .expect("the cycle ends when the slow book's budget is spent");
    let cut = second.budget_spent.get("sportybet").copied().unwrap_or(0);
    let listed = sim
        .events()
        .iter()
        .filter(|e| e.books.contains(&oddswatch::sim::SimBook::Sportybet))
        .count() as u64;
    assert!(listed > 10);
    assert_eq!(
        cut, listed,
        "every sportybet event counts as a failed fetch"
    );
    assert!(
        !second.budget_spent.contains_key("betpawa") && !second.budget_spent.contains_key("bet9ja"),
        "{:?}",
        second.budget_spent
    );
    let health = cycle.health();
    assert_ne!(level_of(&health, "sportybet"), HealthLevel::Ok);
    assert_eq!(level_of(&health, "betpawa"), HealthLevel::Ok);
    assert_eq!(level_of(&health, "bet9ja"), HealthLevel::Ok);
    let sportybet = health.iter().find(|b| b.book == "sportybet").unwrap();
    assert!(
        sportybet
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("budget")),
        "{:?}",
        sportybet.last_error
    );
    let alerts = AlertService::new(db.store.clone(), "t")
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(200),
        )
        .await
        .unwrap()
        .alerts;
    assert!(
        !alerts
            .iter()
            .any(|a| a.alert_type() == AlertType::Availability && a.bookmaker == "sportybet"),
        "a cut-off fetch is not a vanished market"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_stop_during_dripping_fetches_ends_the_cycle_within_five_seconds() {
    let db = common::sqlite_db().await;
    let sim = dripping_sportybet(20, 1.0).await;
    let config = config(600, 600);
    let mut cycle = pipeline(&db.store, &config, &sim.base_url()).await;
    let (status_tx, mut status) = watch::channel(PipelineStatus::default());
    cycle.attach_status(status_tx);
    let (stop_tx, stop) = watch::channel(false);
    let task = tokio::spawn(async move { cycle.run_cycle(&stop).await });
    // Live health shows sportybet's requests once its event bodies are dripping.
    let dripping = async {
        loop {
            status.changed().await.unwrap();
            let dripping = status
                .borrow()
                .books
                .iter()
                .any(|b| b.book == "sportybet" && b.counts.requests > 0);
            if dripping {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), dripping)
        .await
        .expect("sportybet's fetches started");
    stop_tx.send(true).unwrap();
    let totals = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stopped within 5 s of the stop request")
        .unwrap();
    assert!(totals.budget_spent.is_empty());
    db.finish().await;
}

#[tokio::test]
async fn health_shows_a_failing_book_while_the_cycle_still_runs() {
    let db = common::sqlite_db().await;
    let sim = dripping_sportybet(80, 1.0).await;
    // Each sportybet call fails after 1 s; 70-odd events at 8 at a time take several seconds.
    let config = config(1, 600);
    let mut cycle = pipeline(&db.store, &config, &sim.base_url()).await;
    let (status_tx, mut status) = watch::channel(PipelineStatus::default());
    cycle.attach_status(status_tx);
    let stop = watch::channel(false).1;
    let mut task = tokio::spawn(async move {
        let totals = cycle.run_cycle(&stop).await;
        (totals, cycle)
    });
    loop {
        tokio::select! {
            changed = status.changed() => changed.unwrap(),
            _ = &mut task => panic!("the cycle ended before health showed sportybet failing"),
        }
        if level_of(&status.borrow().books, "sportybet") == HealthLevel::Degraded {
            break;
        }
    }
    assert!(!task.is_finished(), "seen while the cycle runs");
    let (_, cycle) = task.await.unwrap();
    assert_ne!(level_of(&cycle.health(), "sportybet"), HealthLevel::Ok);
    db.finish().await;
}
