//! DESIGN §10 end to end: nothing is lost. The simulator on loopback (random ticks, plus one
//! home outcome shortened by script every cycle), the real pipeline (HTTP fetch, adapters,
//! detection, write queue, the store's folding) and a real database — SQLite and PostgreSQL.
//! What the detector handed the store is counted and must equal the occurrence rows and the
//! sum of `occurrences` over alerts, with `noise.dedup` on and off; on, the repeated move is
//! one alert with a growing count; off, every detection is its own alert.

use crate::common;

use chrono::{Duration, Utc};
use oddswatch::config::Config;
use oddswatch::domain::{Alert, AlertPayload, Price, Severity};
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::service::AlertService;
use oddswatch::sim::{SimBook, SimHandle, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::sync::watch;

const EVENTS: u32 = 40;

/// The home price of the staged outcome ("1" of 1X2) at each cycle after the first: −8.0 %,
/// −7.8 %, −8.0 % (warnings), then −12.8 % (elevated: an escalation).
const SHORTENING: [&str; 4] = ["2.30", "2.12", "1.95", "1.70"];

fn config(dedup: bool) -> Config {
    let mut config = Config::defaults();
    config.sim.events = EVENTS;
    config.noise.dedup = dedup;
    for book in config.books.values_mut() {
        book.timeout_secs = 5;
        book.retries = 1;
    }
    config
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

/// A simulator of [`EVENTS`] events ticked by hand, and the SportRadar id of a match on all
/// three books, with its 1X2 set to the same ordinary prices everywhere (margin 4.8 %).
async fn staged_sim() -> (SimHandle, String) {
    let sim = oddswatch::sim::start(SimOptions {
        events: EVENTS,
        tick: TickMode::Manual,
        seed: 9,
        ..SimOptions::default()
    })
    .await
    .unwrap()
    .1;
    let soon = Utc::now() + Duration::hours(2);
    let event = sim
        .events()
        .into_iter()
        .find(|e| e.kickoff > soon && e.books.len() == 3)
        .expect("a match on all three books")
        .sportradar_id;
    for book in [SimBook::Betpawa, SimBook::Sportybet, SimBook::Bet9ja] {
        sim.set_market(
            book,
            &event,
            "3743",
            None,
            &[("1", p("2.50")), ("X", p("3.30")), ("2", p("2.90"))],
        )
        .unwrap();
    }
    (sim, event)
}

/// Every stored alert, oldest first, through the alert service.
async fn every_alert(service: &AlertService) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = Vec::new();
    loop {
        let after = alerts.last().map_or(0, |a| a.id);
        let page = service.alerts_after(after, 1000).await.unwrap();
        if page.is_empty() {
            return alerts;
        }
        alerts.extend(page);
    }
}

/// What one run of the pipeline detected and what the database holds afterwards.
struct Outcome {
    /// Alerts the detector raised over every cycle.
    detections: u64,
    /// Rows of `alert_occurrences`.
    occurrence_rows: i64,
    /// Every stored alert.
    alerts: Vec<Alert>,
    /// The staged outcome's `price_change` alerts on the home book.
    staged: Vec<Alert>,
    /// The new prices of the occurrences of the first of them, oldest first.
    staged_prices: Vec<Price>,
}

/// Six cycles: the first sight, then one simulator tick and the staged outcome's next price
/// before each of the next five (the fifth leaves it where it is).
async fn run(store: &Store, dedup: bool) -> Outcome {
    let (sim, event) = staged_sim().await;
    let config = config(dedup);
    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(store.clone(), dir.path().into(), RetryPolicy::default(), 8);
    let (feeds, home) = build_feeds(&config, Some(&sim.base_url())).unwrap();
    let mut cycle = ScrapeCycle::new(config, store.clone(), queue, feeds, home);
    let stop = watch::channel(false).1;

    let mut detections = cycle.run_cycle(&stop).await.alerts();
    for n in 0..5 {
        sim.tick();
        if let Some(price) = SHORTENING.get(n) {
            sim.set_price(SimBook::Betpawa, &event, "3743", None, "1", p(price))
                .unwrap();
        }
        detections += cycle.run_cycle(&stop).await.alerts();
    }
    drop(cycle);
    let totals = writer.await.unwrap();
    assert_eq!((totals.dead_lettered, totals.lost), (0, 0));
    sim.shutdown().await;

    let service = AlertService::new(store.clone(), "t");
    let alerts = every_alert(&service).await;
    let staged: Vec<Alert> = alerts
        .iter()
        .filter(|a| {
            a.sr_id == event
                && a.bookmaker == "betpawa"
                && a.market_id == "3743"
                && a.outcome_name.as_deref() == Some("1")
                && matches!(a.payload, AlertPayload::PriceChange(_))
        })
        .cloned()
        .collect();
    let staged_prices = match staged.first() {
        Some(first) => service
            .occurrences(first.id)
            .await
            .unwrap()
            .iter()
            .map(|o| match &o.payload {
                AlertPayload::PriceChange(m) => m.new,
                other => panic!("an occurrence of a price change carries {other:?}"),
            })
            .collect(),
        None => Vec::new(),
    };
    Outcome {
        detections,
        occurrence_rows: common::count(store, "alert_occurrences").await,
        alerts,
        staged,
        staged_prices,
    }
}

/// Checks nothing was lost: every detection is one occurrence row and one unit of some
/// alert's `occurrences`.
fn assert_every_detection_kept(db: &str, dedup: bool, outcome: &Outcome) {
    let sum: u64 = outcome
        .alerts
        .iter()
        .map(|a| u64::from(a.occurrences))
        .sum();
    assert!(
        outcome.detections > SHORTENING.len() as u64,
        "{db}: the ticks raise alerts too"
    );
    assert_eq!(
        (outcome.occurrence_rows as u64, sum),
        (outcome.detections, outcome.detections),
        "{db}, dedup {dedup}: occurrence rows and SUM(occurrences) against the detections"
    );
}

#[tokio::test]
async fn with_dedup_on_a_repeated_move_is_one_alert_and_every_detection_is_an_occurrence() {
    for db in common::all_dbs().await {
        let outcome = run(&db.store, true).await;
        assert_every_detection_kept(db.name, true, &outcome);
        assert!(
            (outcome.alerts.len() as u64) < outcome.detections,
            "{}: {} alerts for {} detections",
            db.name,
            outcome.alerts.len(),
            outcome.detections
        );
        assert!(outcome.alerts.iter().any(|a| a.occurrences > 1));

        let [staged] = &outcome.staged[..] else {
            panic!("{}: {} staged alerts", db.name, outcome.staged.len());
        };
        assert_eq!(staged.occurrences, 4, "{}", db.name);
        assert!(staged.escalated, "{}: −12.8 % after warnings", db.name);
        assert_eq!(staged.severity, Severity::Elevated, "{}", db.name);
        assert!(staged.last_detected_at > staged.detected_at, "{}", db.name);
        let AlertPayload::PriceChange(latest) = &staged.payload else {
            panic!("{:?}", staged.payload);
        };
        assert_eq!(
            (latest.old, latest.new),
            (p("1.95"), p("1.70")),
            "latest prices"
        );
        let expected: Vec<Price> = SHORTENING.iter().map(|s| p(s)).collect();
        assert_eq!(outcome.staged_prices, expected, "{}: occurrences", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn with_dedup_off_every_detection_is_its_own_alert_and_the_same_detections_are_made() {
    for db in common::all_dbs().await {
        let name = db.name;
        let off = run(&db.store, false).await;
        assert_every_detection_kept(db.name, false, &off);
        assert_eq!(off.alerts.len() as u64, off.detections, "{}", db.name);
        assert!(
            off.alerts
                .iter()
                .all(|a| a.occurrences == 1 && !a.escalated)
        );
        assert_eq!(off.staged.len(), 4, "{}: one alert per move", db.name);
        let news: Vec<Price> = off
            .staged
            .iter()
            .map(|a| match &a.payload {
                AlertPayload::PriceChange(m) => m.new,
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<Price> = SHORTENING.iter().map(|s| p(s)).collect();
        assert_eq!(news, expected, "{}", db.name);
        db.finish().await;

        // The same seed and script with dedup on, on a database of its own: the same
        // detections, fewer alerts.
        let other = if name == "sqlite" {
            common::sqlite_db().await
        } else {
            common::pg_db()
                .await
                .expect("PostgreSQL answered a moment ago")
        };
        let on = run(&other.store, true).await;
        assert_eq!(
            on.detections, off.detections,
            "{name}: dedup changes no detection"
        );
        assert!(on.alerts.len() < off.alerts.len(), "{name}");
        other.finish().await;
    }
}

/// `oddswatch bench --noise` as a user runs it, at small scale: every run in the table and the
/// JSON, the same detections in each, and each detection stored as an occurrence.
#[test]
fn bench_noise_reports_each_run_and_that_nothing_was_lost() {
    use serde_json::Value;
    let sandbox = crate::sandbox::Sandbox::new();
    let json = sandbox.home.path().join("noise.json");
    let out = sandbox
        .cmd()
        .args(["bench", "--noise", "--backend", "sqlite", "--events", "60"])
        .args(["--noise-cycles", "6", "--json"])
        .arg(&json)
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(out).unwrap();
    for row in [
        "| figure | dedup off | dedup on | dedup on, acks every 5 min |",
        "attention per hour at 10 s (per-cycle mean × 360)",
        "| nothing lost (detections = occurrences) | yes | yes | yes |",
        "attention off / on:",
    ] {
        assert!(table.contains(row), "the table has {row:?}:\n{table}");
    }
    let reports: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let sqlite = &reports.as_array().expect("one report per backend")[0];
    assert_eq!(sqlite["backend"], "sqlite");
    assert_eq!(sqlite["nothing_lost"], true);
    assert!(sqlite["ratio_off_on"].as_f64().unwrap() >= 1.0, "{sqlite}");
    let runs = sqlite["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{sqlite}");
    let detections = runs[0]["detections"].as_u64().unwrap();
    assert!(detections > 0, "the ticks raise alerts: {sqlite}");
    for run in runs {
        assert_eq!(run["detections"], detections, "{run}");
        assert_eq!(run["occurrences"], detections, "{run}");
        assert_eq!(run["events"], 60, "{run}");
    }
    assert_eq!(runs[0]["opened"], detections, "dedup off: one alert each");
    assert_eq!(runs[2]["trader_acks_every_mins"], 5);
}
