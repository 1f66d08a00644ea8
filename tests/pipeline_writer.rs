//! The write queue against real databases: retries through an outage, dead letters, replay.

mod common;

use common::{count, exec};

use std::time::Duration;

use chrono::{TimeZone, Utc};
use oddswatch::domain::{OutcomeOdds, Price};
use oddswatch::pipeline::writer::{RetryPolicy, WriteOutcome, replay_dead_letters, spawn_writer};
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord, OddsWrite};

fn batch(n: u32) -> CycleBatch {
    let key = format!("7{n:07}");
    CycleBatch {
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
    }
}

fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
    }
}

#[tokio::test]
async fn batches_survive_a_table_outage_by_retrying_and_nothing_is_lost() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) =
            spawn_writer(db.store.clone(), dir.path().to_path_buf(), quick(30), 4);
        queue.send(batch(1)).await.unwrap();
        queue.flush().await.unwrap();
        // The database "goes away" for the history table for about a second.
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        let tracked = queue.send_and_track(batch(2)).await.unwrap();
        queue.send(batch(3)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        match tracked.await.unwrap() {
            WriteOutcome::Stored { attempts, .. } => {
                assert!(attempts > 1, "{}: it had to retry", db.name)
            }
            other => panic!("{}: {other:?}", db.name),
        }
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!(
            (totals.stored, totals.dead_lettered, totals.lost),
            (3, 0, 0),
            "{}",
            db.name
        );
        assert!(totals.retried >= 1);
        assert_eq!(
            count(&db.store, "price_history").await,
            3,
            "{}: every batch stored",
            db.name
        );
        assert_eq!(count(&db.store, "events").await, 3);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_batch_that_keeps_failing_becomes_a_dead_letter_and_is_replayed_later() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(db.store.clone(), dir.path().to_path_buf(), quick(2), 4);
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        let tracked = queue.send_and_track(batch(5)).await.unwrap();
        let path = match tracked.await.unwrap() {
            WriteOutcome::DeadLettered { path, error } => {
                assert!(error.contains("price_history"), "{error}");
                path
            }
            other => panic!("{}: {other:?}", db.name),
        };
        assert!(path.is_file());
        drop(queue);
        assert_eq!(writer.await.unwrap().dead_lettered, 1);
        assert_eq!(
            count(&db.store, "events").await,
            0,
            "{}: the failed transaction left nothing",
            db.name
        );

        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        let replay = replay_dead_letters(&db.store, dir.path()).await;
        assert_eq!((replay.replayed, replay.failed), (1, 0));
        assert!(!path.exists(), "a replayed letter is removed");
        assert_eq!(count(&db.store, "price_history").await, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn an_unreadable_dead_letter_is_kept_and_counted() {
    let db = common::sqlite_db().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("batch-broken.json"), b"{ not json").unwrap();
    let replay = replay_dead_letters(&db.store, dir.path()).await;
    assert_eq!((replay.replayed, replay.failed), (0, 1));
    assert!(dir.path().join("batch-broken.json").exists());
    db.finish().await;
}
