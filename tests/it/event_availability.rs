//! Event-level availability alerts end to end (issue 11, point 2c), on SQLite and PostgreSQL:
//! the simulator pulls most of one event's markets from the home book, the pipeline raises ONE
//! availability alert counting them (market id `*`), the store keeps the count in the new
//! `markets_affected` column, and the API serves it as `marketsAffected`; when they come back,
//! one `returned` alert with the count back and how long they were gone. Per-market alerts
//! keep every field as before, with `marketsAffected` null.

use crate::common;

use std::time::Duration;

use chrono::{Duration as Span, TimeZone, Utc};
use oddswatch::api::{ApiState, bind, serve};
use oddswatch::config::Config;
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{
    AlertFilter, AlertSort, AlertType, AvailabilityChange, EVENT_MARKET_ID, Page, Status,
};
use oddswatch::live::ChangeFeed;
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, spawn_writer};
use oddswatch::service::AlertService;
use oddswatch::sim::{Availability, SimBook, SimOptions, TickMode};
use oddswatch::store::{BulkAlert, EventRecord, Store};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

async fn api_get(store: &Store, path: &str) -> Value {
    let state = ApiState {
        service: AlertService::new(store.clone(), "desk"),
        feed: ChangeFeed::default(),
        status: None,
        token: None,
    };
    let (listener, addr) = bind("127.0.0.1:0".parse().unwrap(), false).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    let body: Value = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = stop.send(());
    let _ = server.await;
    body
}

async fn availability_alerts(store: &Store) -> Vec<oddswatch::domain::Alert> {
    AlertService::new(store.clone(), "t")
        .list(
            &AlertFilter {
                alert_types: vec![AlertType::Availability],
                ..AlertFilter::default()
            },
            AlertSort::Detected,
            &Page::first(200),
        )
        .await
        .unwrap()
        .alerts
}

#[tokio::test]
async fn a_pulled_event_is_one_alert_each_way_through_pipeline_store_and_api() {
    for db in common::all_dbs().await {
        let (_, sim) = oddswatch::sim::start(SimOptions {
            events: 8,
            tick: TickMode::Manual,
            seed: 11,
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let mut config = Config::defaults();
        config.sim.events = 8;
        for book in config.books.values_mut() {
            book.timeout_secs = 5;
            book.retries = 1;
        }
        let url = sim.base_url();
        let soon = Utc::now() + Span::hours(1);
        let target = sim
            .events()
            .into_iter()
            .find(|e| e.kickoff > soon && e.books.len() == 3)
            .expect("a match on all three books")
            .sportradar_id;
        // The home book's mapped, open markets of the event; all but the first will go.
        let markets: Vec<(String, Option<oddswatch::domain::Line>)> = sim.with_model(|m| {
            let event = m
                .events
                .iter()
                .find(|e| e.sportradar_id.to_string() == target)
                .unwrap();
            event
                .markets
                .iter()
                .filter(|row| {
                    let def = &m.defs[row.def as usize];
                    def.mapping.is_some()
                        && row.state[SimBook::Betpawa.index()] == Availability::Open
                })
                .map(|row| (m.defs[row.def as usize].market_id.clone(), row.line))
                .collect()
        });
        assert!(markets.len() >= 4, "{markets:?}");

        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            8,
        );
        let (feeds, home) = build_feeds(&config, Some(&url)).unwrap();
        let mut cycle = ScrapeCycle::new(config.clone(), db.store.clone(), queue, feeds, home);
        cycle.warm().await.unwrap();
        let stop = watch::channel(false).1;
        cycle.run_cycle(&stop).await;

        let gone = &markets[1..];
        for (market, line) in gone {
            sim.set_availability(
                SimBook::Betpawa,
                &target,
                market,
                *line,
                Availability::Removed,
            )
            .unwrap();
        }
        let totals = cycle.run_cycle(&stop).await;
        assert_eq!(
            totals.mass_vanish,
            Default::default(),
            "{}: one event is no feed problem",
            db.name
        );
        let alerts = availability_alerts(&db.store).await;
        assert_eq!(alerts.len(), 1, "{}: {alerts:#?}", db.name);
        let suspended = &alerts[0];
        assert_eq!(suspended.sr_id, target);
        assert_eq!(suspended.market_id, EVENT_MARKET_ID);
        let flip = suspended.payload.availability().unwrap();
        assert_eq!(flip.markets_affected, Some(gone.len() as i64));
        assert_eq!(flip.change, AvailabilityChange::Suspended);
        assert_eq!(suspended.bookmaker, "betpawa");
        assert!(suspended.is_event_level());

        let json = api_get(&db.store, &format!("/api/alerts/{}", suspended.id)).await;
        assert_eq!(json["marketsAffected"], gone.len() as i64, "{json}");
        assert_eq!(json["marketId"], EVENT_MARKET_ID);
        assert_eq!(json["availability"], "suspended");

        for (market, line) in gone {
            sim.set_availability(SimBook::Betpawa, &target, market, *line, Availability::Open)
                .unwrap();
        }
        cycle.run_cycle(&stop).await;
        let alerts = availability_alerts(&db.store).await;
        assert_eq!(alerts.len(), 2, "{}: {alerts:#?}", db.name);
        let returned = alerts
            .iter()
            .find(|a| a.payload.flat().availability == Some(AvailabilityChange::Returned))
            .unwrap();
        assert_eq!(returned.market_id, EVENT_MARKET_ID);
        let flip = returned.payload.availability().unwrap();
        assert_eq!(flip.markets_affected, Some(gone.len() as i64));
        assert!(flip.unavailable_secs.is_some());
        let json = api_get(&db.store, "/api/alerts?alertType=availability").await;
        let listed = json["alerts"].as_array().expect("a list of alerts");
        assert!(
            listed
                .iter()
                .all(|a| a["marketsAffected"] == gone.len() as i64),
            "{json}"
        );

        drop(cycle);
        assert_eq!(writer.await.unwrap().dead_lettered, 0);
        sim.shutdown().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn markets_affected_round_trips_single_and_bulk_inserts_and_is_null_per_market() {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    for db in common::all_dbs().await {
        let ids = db
            .store
            .upsert_events(
                &[EventRecord {
                    sr_id: "3001".into(),
                    home_team: "Kano".into(),
                    away_team: "Jos".into(),
                    tournament: None,
                    country: None,
                    kickoff: Some(now + Span::days(1)),
                }],
                now,
            )
            .await
            .unwrap();
        let per_market = AlertBuilder::new()
            .event_key("3001")
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .suspended()
            .detected_at(now)
            .kickoff(now + Span::days(1));
        let event_level = per_market.clone().returned(Some(900)).event_level(37);
        db.store
            .insert_alerts(&[per_market.build(), event_level.clone().build()])
            .await
            .unwrap();
        db.store
            .bulk_insert_alerts(&[BulkAlert {
                event_id: ids[0],
                alert: event_level.event_level(412).build(),
                status: Status::New,
                acknowledged_at: None,
                acknowledged_by: None,
            }])
            .await
            .unwrap();
        let mut counts: Vec<Option<i64>> = availability_alerts(&db.store)
            .await
            .iter()
            .map(|a| a.payload.flat().markets_affected)
            .collect();
        counts.sort();
        assert_eq!(counts, vec![None, Some(37), Some(412)], "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_openapi_schema_documents_markets_affected() {
    let db = common::sqlite_db().await;
    let doc = api_get(&db.store, "/api/openapi.json").await;
    let property = &doc["components"]["schemas"]["Alert"]["properties"]["marketsAffected"];
    assert!(property.is_object(), "{property}");
    assert!(
        property["description"]
            .as_str()
            .is_some_and(|d| d.contains("Event-level")),
        "{property}"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_home_feed_that_loses_most_markets_is_a_health_warning_not_an_alert_storm() {
    for db in common::all_dbs().await {
        let (_, sim) = oddswatch::sim::start(SimOptions {
            events: 8,
            tick: TickMode::Manual,
            seed: 5,
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let mut config = Config::defaults();
        config.sim.events = 8;
        for book in config.books.values_mut() {
            book.timeout_secs = 5;
            book.retries = 1;
        }
        let url = sim.base_url();
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            8,
        );
        let (feeds, home) = build_feeds(&config, Some(&url)).unwrap();
        let mut cycle = ScrapeCycle::new(config.clone(), db.store.clone(), queue, feeds, home);
        cycle.warm().await.unwrap();
        let stop = watch::channel(false).1;
        cycle.run_cycle(&stop).await;

        // Every home market of every event goes, except each event's first.
        let rows: Vec<(String, String, Option<oddswatch::domain::Line>)> = sim.with_model(|m| {
            m.events
                .iter()
                .flat_map(|e| {
                    e.markets.iter().skip(1).map(move |row| {
                        (
                            e.sportradar_id.to_string(),
                            m.defs[row.def as usize].market_id.clone(),
                            row.line,
                        )
                    })
                })
                .collect()
        });
        for (event, market, line) in &rows {
            let _ = sim.set_availability(
                SimBook::Betpawa,
                event,
                market,
                *line,
                Availability::Removed,
            );
        }
        let totals = cycle.run_cycle(&stop).await;
        assert!(
            totals.mass_vanish.contains_key("betpawa"),
            "{}: {:?}",
            db.name,
            totals.mass_vanish
        );
        assert_eq!(
            totals.alerts_by_type.get("availability"),
            None,
            "{}",
            db.name
        );
        assert!(totals.availability_suppressed > 0);
        assert!(availability_alerts(&db.store).await.is_empty());
        let health = cycle.health();
        let betpawa = health.iter().find(|h| h.book == "betpawa").unwrap();
        assert_eq!(betpawa.level, oddswatch::health::HealthLevel::Degraded);
        let error = betpawa.last_error.clone().unwrap_or_default();
        assert!(error.contains("mass vanish"), "{error}");
        let sql = "SELECT stats FROM scrape_runs ORDER BY id DESC LIMIT 1";
        let stats: Option<String> = match &db.store {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        };
        let stats = stats.unwrap_or_default();
        assert!(stats.contains("\"mass_vanish\":{\"betpawa\""), "{stats}");

        // Back whole: nothing was announced, so nothing returns.
        for (event, market, line) in &rows {
            let _ =
                sim.set_availability(SimBook::Betpawa, event, market, *line, Availability::Open);
        }
        let totals = cycle.run_cycle(&stop).await;
        assert_eq!(
            totals.alerts_by_type.get("availability"),
            None,
            "{}",
            db.name
        );
        assert!(totals.mass_vanish.is_empty());
        drop(cycle);
        assert_eq!(writer.await.unwrap().dead_lettered, 0);
        sim.shutdown().await;
        db.finish().await;
    }
}

/// Issue 11's storm, end to end: the home book's event bodies come back without `markets` (the
/// simulator's `reshaped` fault, on every BetPawa response for one cycle). Before, each such
/// body read as an event whose markets had all vanished (9,645 `suspended`, then 9,644
/// `returned` in the reference pass). Now each is a malformed-body failure: BetPawa is down in
/// health, and no availability alert is raised either way.
#[tokio::test]
async fn reshaped_home_bodies_are_fetch_failures_not_an_alert_storm() {
    for db in common::all_dbs().await {
        let (_, sim) = oddswatch::sim::start(SimOptions {
            events: 8,
            tick: TickMode::Manual,
            seed: 13,
            fault_kinds: vec![oddswatch::sim::FaultKind::Reshaped],
            fault_book: Some("betpawa".into()),
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let mut config = Config::defaults();
        config.sim.events = 8;
        for book in config.books.values_mut() {
            book.timeout_secs = 5;
            book.retries = 0;
        }
        let url = sim.base_url();
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            8,
        );
        let (feeds, home) = build_feeds(&config, Some(&url)).unwrap();
        let mut cycle = ScrapeCycle::new(config.clone(), db.store.clone(), queue, feeds, home);
        cycle.warm().await.unwrap();
        let stop = watch::channel(false).1;
        cycle.run_cycle(&stop).await;

        sim.apply(oddswatch::sim::Script::SetFaultRate { rate: 1.0 })
            .unwrap();
        let reshaped = cycle.run_cycle(&stop).await;
        let health = cycle.health();
        let betpawa = health.iter().find(|h| h.book == "betpawa").unwrap();
        assert_eq!(
            betpawa.level,
            oddswatch::health::HealthLevel::Down,
            "{}",
            db.name
        );
        let error = betpawa.last_error.clone().unwrap_or_default();
        assert!(error.contains("markets"), "{error}");
        sim.apply(oddswatch::sim::Script::SetFaultRate { rate: 0.0 })
            .unwrap();
        let whole = cycle.run_cycle(&stop).await;

        assert_eq!(
            reshaped.alerts_by_type.get("availability"),
            None,
            "{}",
            db.name
        );
        assert_eq!(
            whole.alerts_by_type.get("availability"),
            None,
            "{}",
            db.name
        );
        assert!(availability_alerts(&db.store).await.is_empty());
        drop(cycle);
        assert_eq!(writer.await.unwrap().dead_lettered, 0);
        sim.shutdown().await;
        db.finish().await;
    }
}
