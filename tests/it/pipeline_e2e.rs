//! The pipeline end to end: the simulated bookmakers over real HTTP, the real adapters and
//! mapping, detection, the write queue and a real database — on SQLite and PostgreSQL.

use crate::common;

use chrono::{Duration, Utc};
use oddswatch::config::Config;
use oddswatch::domain::{
    AlertFilter, AlertJson, AlertSort, AlertType, AvailabilityChange, Line, Page, Price, Severity,
};
use oddswatch::health::HealthLevel;
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::service::AlertService;
use oddswatch::sim::{Availability, SimBook, SimHandle, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::sync::watch;

fn config(events: u32) -> Config {
    let mut config = Config::defaults();
    config.sim.events = events;
    for book in config.books.values_mut() {
        book.timeout_secs = 5;
        book.retries = 1;
    }
    config
}

async fn sim(events: u32) -> SimHandle {
    let options = SimOptions {
        events,
        tick: TickMode::Manual,
        seed: 9,
        ..SimOptions::default()
    };
    oddswatch::sim::start(options).await.unwrap().1
}

/// A pipeline cycle over `config`'s books (all pointed at `base_url` unless the config says
/// otherwise), warmed from the database as at start.
async fn pipeline(
    store: &Store,
    config: &Config,
    base_url: Option<&str>,
) -> (
    ScrapeCycle,
    tokio::task::JoinHandle<oddswatch::pipeline::writer::WriterTotals>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(store.clone(), dir.path().into(), RetryPolicy::default(), 8);
    let (feeds, home) = build_feeds(config, base_url).unwrap();
    let mut cycle = ScrapeCycle::new(config.clone(), store.clone(), queue, feeds, home);
    cycle.warm().await.unwrap();
    (cycle, writer, dir)
}

/// The stored alerts as the API sends them: flat fields, prices as floats.
async fn alerts_of(store: &Store) -> Vec<AlertJson> {
    let service = AlertService::new(store.clone(), "t");
    let page = service
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(200),
        )
        .await
        .unwrap();
    page.alerts.iter().map(AlertJson::from).collect()
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

#[tokio::test]
async fn scripted_moves_raise_the_expected_alerts_and_a_restart_raises_none_twice() {
    for db in common::all_dbs().await {
        let sim = sim(12).await;
        let config = config(12);
        let url = sim.base_url();
        let soon = Utc::now() + Duration::hours(1);
        let events: Vec<_> = sim
            .events()
            .into_iter()
            .filter(|e| e.kickoff > soon && e.books.len() == 3)
            .collect();
        assert!(
            events.len() >= 2,
            "the simulator offers matches on all three books"
        );
        let (a, b) = (
            events[0].sportradar_id.clone(),
            events[1].sportradar_id.clone(),
        );
        let ou = Some(Line::from_milli(2500));
        // Known starting prices, so the moves are exactly the design's test vectors.
        sim.set_price(SimBook::Betpawa, &a, "3743", None, "1", p("3.00"))
            .unwrap();
        sim.set_price(SimBook::Betpawa, &b, "3743", None, "2", p("2.00"))
            .unwrap();
        sim.set_price(SimBook::Sportybet, &b, "3743", None, "2", p("2.00"))
            .unwrap();

        let stop = watch::channel(false).1;
        let (mut cycle, writer, _dir) = pipeline(&db.store, &config, Some(&url)).await;
        let first = cycle.run_cycle(&stop).await;
        assert_eq!(
            first.alerts(),
            0,
            "{}: a first-seen market raises nothing",
            db.name
        );
        assert!(first.events >= 12);

        sim.set_price(SimBook::Betpawa, &a, "3743", None, "1", p("2.70"))
            .unwrap(); // −10 %, elevated
        sim.set_price(SimBook::Betpawa, &b, "3743", None, "2", p("2.14"))
            .unwrap(); // +7 %, warning
        sim.set_price(SimBook::Sportybet, &b, "3743", None, "2", p("1.90"))
            .unwrap(); // against the home move
        sim.set_availability(SimBook::Betpawa, &a, "5000", ou, Availability::Suspended)
            .unwrap();
        sim.set_price(SimBook::Betpawa, &a, "4703", None, "1", p("9.00"))
            .unwrap(); // not primary
        let second = cycle.run_cycle(&stop).await;
        let alerts = alerts_of(&db.store).await;
        let of = |key: &str, t: AlertType| {
            alerts
                .iter()
                .filter(|x| x.sr_id == key && x.alert_type == t)
                .collect::<Vec<_>>()
        };

        let price_a = of(&a, AlertType::PriceChange);
        assert_eq!(price_a.len(), 1, "{}: {alerts:#?}", db.name);
        assert_eq!(
            (price_a[0].change_percent, price_a[0].severity),
            (Some(-10.0), Severity::Elevated)
        );
        assert_eq!(
            (price_a[0].old_value, price_a[0].new_value),
            (Some(3.0), Some(2.7))
        );
        assert_eq!(price_a[0].market_id, "3743");

        let suspended = of(&a, AlertType::Availability);
        assert_eq!(suspended.len(), 1);
        assert_eq!(
            (suspended[0].availability, suspended[0].line),
            (Some(AvailabilityChange::Suspended), Some(2.5))
        );

        let direction = of(&b, AlertType::DirectionDisagreement);
        assert_eq!(direction.len(), 1, "{alerts:#?}");
        assert_eq!(direction[0].severity, Severity::Elevated);
        assert_eq!(direction[0].gap_percent, Some(11.21));
        assert_eq!(
            direction[0].competitor_bookmaker.as_deref(),
            Some("sportybet")
        );
        assert_eq!(
            (
                direction[0].competitor_old_value,
                direction[0].competitor_new_value
            ),
            (Some(2.0), Some(1.9))
        );
        let price_b = of(&b, AlertType::PriceChange);
        assert_eq!(
            (
                price_b.len(),
                price_b[0].change_percent,
                price_b[0].severity
            ),
            (1, Some(7.0), Severity::Warning)
        );
        assert!(
            alerts.iter().all(|x| x.market_id != "4703"),
            "a non-primary market raises nothing"
        );
        assert_eq!(second.alerts() as usize, alerts.len());

        sim.set_availability(SimBook::Betpawa, &a, "5000", ou, Availability::Open)
            .unwrap();
        cycle.run_cycle(&stop).await;
        let returned: Vec<_> = alerts_of(&db.store)
            .await
            .into_iter()
            .filter(|x| x.availability == Some(AvailabilityChange::Returned))
            .collect();
        assert_eq!(returned.len(), 1, "{}", db.name);
        assert_eq!(returned[0].line, Some(2.5));
        assert!(returned[0].unavailable_secs.is_some());

        // Restart: a new pipeline warmed from the database sees nothing new.
        let before = alerts_of(&db.store).await.len();
        drop(cycle);
        writer.await.unwrap();
        let (mut restarted, writer, _dir2) = pipeline(&db.store, &config, Some(&url)).await;
        let again = restarted.run_cycle(&stop).await;
        assert_eq!(
            again.alerts(),
            0,
            "{}: no alert is raised twice after a restart",
            db.name
        );
        assert_eq!(alerts_of(&db.store).await.len(), before);
        drop(restarted);
        assert_eq!(writer.await.unwrap().dead_lettered, 0);
        sim.shutdown().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn a_book_that_fails_raises_no_availability_alerts_and_shows_in_health() {
    for db in common::all_dbs().await {
        let sim = sim(8).await;
        let url = sim.base_url();
        let healthy = config(8);
        let stop = watch::channel(false).1;
        let (mut cycle, writer, _dir) = pipeline(&db.store, &healthy, Some(&url)).await;
        cycle.run_cycle(&stop).await;
        drop(cycle);
        writer.await.unwrap();

        // Next start: SportyBet does not answer at all (nothing listens on its port).
        let mut broken = healthy.clone();
        for (slug, book) in broken.books.iter_mut() {
            book.base_url = if slug == "sportybet" {
                "http://127.0.0.1:9".into()
            } else {
                url.clone()
            };
        }
        let (mut cycle, writer, _dir) = pipeline(&db.store, &broken, None).await;
        let totals = cycle.run_cycle(&stop).await;
        assert_eq!(
            totals.alerts_by_type.get("availability"),
            None,
            "{}: a failed fetch is never an availability change",
            db.name
        );
        let health = cycle.health();
        let sporty = health.iter().find(|h| h.book == "sportybet").unwrap();
        assert_eq!(sporty.level, HealthLevel::Down);
        assert!(sporty.last_error.is_some());
        assert_eq!(
            health.iter().find(|h| h.book == "betpawa").unwrap().level,
            HealthLevel::Ok
        );
        assert_eq!(health[0].book, "betpawa", "home book first");
        drop(cycle);
        writer.await.unwrap();
        sim.shutdown().await;
        db.finish().await;
    }
}
