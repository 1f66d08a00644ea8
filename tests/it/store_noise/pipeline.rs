//! Nothing is lost (DESIGN §10): over a multi-cycle pipeline run on the simulator, every
//! detection is one occurrence — `SUM(alerts.occurrences) == COUNT(alert_occurrences) ==` the
//! detections the cycles counted — with dedup on (fewer alerts than detections) and off (one
//! alert per detection), on SQLite and PostgreSQL.

use oddswatch::config::Config;
use oddswatch::domain::Price;
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::sim::{SimBook, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::sync::watch;

use crate::common::{self, count};

async fn sum_of_occurrences(store: &Store) -> i64 {
    let sql = "SELECT CAST(COALESCE(SUM(occurrences), 0) AS BIGINT) FROM alerts";
    let (n,): (i64,) = match store {
        Store::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
    };
    n
}

/// Runs six cycles (a first one, then five after random ticks and a price of one outcome
/// flipped between 3.00 and 2.70, so one identity is detected every cycle); returns the
/// detections counted.
async fn run(store: &Store, dedup: bool) -> u64 {
    let options = SimOptions {
        events: 12,
        tick: TickMode::Manual,
        seed: 15,
        ..SimOptions::default()
    };
    let sim = oddswatch::sim::start(options).await.unwrap().1;
    let mut config = Config::defaults();
    config.sim.events = 12;
    config.noise.dedup = dedup;
    for book in config.books.values_mut() {
        book.timeout_secs = 5;
        book.retries = 1;
    }
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let flipped = sim
        .events()
        .into_iter()
        .find(|e| e.kickoff > soon && e.books.len() == 3)
        .expect("a match on all three books")
        .sportradar_id;
    let price = |s: &str| s.parse::<Price>().unwrap();
    sim.set_price(SimBook::Betpawa, &flipped, "3743", None, "1", price("3.00"))
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(store.clone(), dir.path().into(), RetryPolicy::default(), 8);
    let (feeds, home) = build_feeds(&config, Some(&sim.base_url())).unwrap();
    let mut cycle = ScrapeCycle::new(config.clone(), store.clone(), queue, feeds, home);
    cycle.warm().await.unwrap();
    let stop = watch::channel(false).1;
    let mut detections = cycle.run_cycle(&stop).await.alerts();
    for round in 0..5 {
        sim.tick();
        let to = if round % 2 == 0 { "2.70" } else { "3.00" };
        sim.set_price(SimBook::Betpawa, &flipped, "3743", None, "1", price(to))
            .unwrap();
        detections += cycle.run_cycle(&stop).await.alerts();
    }
    drop(cycle);
    writer.await.unwrap();
    detections
}

#[tokio::test]
async fn every_detection_of_a_pipeline_run_is_one_occurrence() {
    for dedup in [true, false] {
        for db in common::all_dbs().await {
            let detections = run(&db.store, dedup).await;
            let (name, store) = (db.name, &db.store);
            assert!(
                detections >= 5,
                "{name}: the flipped price alone raises five"
            );
            let detections = i64::try_from(detections).unwrap();
            assert_eq!(
                count(store, "alert_occurrences").await,
                detections,
                "{name} dedup={dedup}"
            );
            assert_eq!(
                sum_of_occurrences(store).await,
                detections,
                "{name} dedup={dedup}"
            );
            let alerts = count(store, "alerts").await;
            if dedup {
                assert!(
                    alerts < detections,
                    "{name}: {alerts} alerts for {detections} detections"
                );
            } else {
                assert_eq!(alerts, detections, "{name}: one alert per detection");
            }
            db.finish().await;
        }
    }
}
