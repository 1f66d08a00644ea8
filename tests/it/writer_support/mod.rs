//! Helpers shared by the write-queue tests: batches, policies, dead letters, run summaries.
#![allow(dead_code)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use oddswatch::domain::{OutcomeOdds, Price};
use oddswatch::health::{BookCounts, BookStatus};
use oddswatch::pipeline::writer::{RetryPolicy, WriteOutcome, WriteQueue};
use oddswatch::store::{
    BatchEvent, BookRun, CycleBatch, EventRecord, OddsWrite, RunStatus, RunSummary, Store,
};

/// A batch of one event (`7000000n`) with one market on BetPawa, observed `n` seconds after
/// noon on 2026-06-01.
pub fn batch(n: u32) -> CycleBatch {
    let key = format!("7{n:07}");
    CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
            + chrono::Duration::seconds(i64::from(n)),
        events: vec![BatchEvent {
            record: EventRecord {
                sr_id: key.clone(),
                home_team: "Porto".into(),
                away_team: "Benfica".into(),
                tournament: None,
                country: None,
                kickoff: None,
            },
            books: vec![("betpawa".into(), n.to_string())],
        }],
        odds: vec![OddsWrite {
            event_key: key,
            bookmaker: "betpawa".into(),
            market_id: "3743".into(),
            line: String::new(),
            outcomes: vec![OutcomeOdds {
                name: "1".into(),
                price: Price::from_milli(1500 + n),
                active: true,
            }],
            available: true,
            unavailable_since: None,
            record_history: true,
        }],
        alerts: vec![],
        // These repeated detections were written as one alert each (before noise control
        // folded them, issue 15): dedup off keeps the fixture meaning what it did.
        noise: oddswatch::domain::NoisePolicy {
            dedup: false,
            ..Default::default()
        },
    }
}

/// Retries for `window`; dead letters are retried in the background only when a test asks.
pub fn quick(window: Duration) -> RetryPolicy {
    RetryPolicy {
        window,
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        replay_every: Duration::from_secs(3600),
        probe_timeout: Duration::from_secs(2),
    }
}

/// The batches of one cycle: they share the cycle's start time.
pub fn cycle_batches(ns: std::ops::RangeInclusive<u32>) -> Vec<CycleBatch> {
    let at = batch(0).at;
    ns.map(|n| CycleBatch { at, ..batch(n) }).collect()
}

/// Queues `batch` and returns the dead letter it became (panics if it was stored).
pub async fn dead_letter_of(queue: &WriteQueue, batch: CycleBatch) -> std::path::PathBuf {
    match queue.send_and_track(batch).await.unwrap().await.unwrap() {
        WriteOutcome::DeadLettered { path, .. } => path,
        other => panic!("expected a dead letter: {other:?}"),
    }
}

/// The single integer `sql` selects.
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = match store {
        Store::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
    };
    n
}

/// A run summary of one book and three events, ending with `status`.
pub fn summary(status: RunStatus) -> RunSummary {
    RunSummary {
        status,
        finished_at: batch(0).at + chrono::Duration::seconds(30),
        events_seen: 3,
        rows_written: 6,
        alerts_written: 0,
        stats: serde_json::json!({}),
        error: None,
        books: vec![BookRun {
            bookmaker: "betpawa".into(),
            status: BookStatus::Ok,
            counts: BookCounts {
                events_seen: 3,
                ..BookCounts::default()
            },
            error: None,
        }],
    }
}

/// A port on loopback where nothing listens: connections are refused.
pub fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
