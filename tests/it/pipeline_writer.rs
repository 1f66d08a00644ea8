//! The write queue against real databases: retries through an outage, dead letters (one per
//! batch, replayed at start, after a stored batch and in the background).

use crate::common;
use crate::writer_support;

use common::{count, exec};
use writer_support::*;

use std::time::Duration;

use oddswatch::pipeline::writer::{
    RetryPolicy, WriteOutcome, letters_waiting, replay_dead_letters, spawn_writer,
};
use oddswatch::store::{RunRecord, RunStatus};

#[tokio::test]
async fn batches_survive_a_table_outage_by_retrying_and_nothing_is_lost() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::from_secs(10)),
            4,
        );
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
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
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

#[tokio::test]
async fn three_failing_batches_of_one_cycle_are_three_dead_letters_and_all_three_are_replayed() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        let mut paths = Vec::new();
        for batch in cycle_batches(1..=3) {
            paths.push(dead_letter_of(&queue, batch).await);
        }
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 3, "{}: one file per batch: {paths:?}", db.name);
        assert!(paths.iter().all(|p| p.is_file()));
        assert_eq!(letters_waiting(dir.path()), 3);
        assert!(
            std::fs::read_dir(dir.path()).unwrap().all(|e| !e
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with(".tmp")),
            "no temporary file is left behind"
        );
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!((totals.dead_lettered, totals.lost), (3, 0), "{}", db.name);
        assert_eq!(totals.letters_waiting, 3);

        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        let replay = replay_dead_letters(&db.store, dir.path()).await;
        assert_eq!((replay.replayed, replay.failed), (3, 0), "{}", db.name);
        assert_eq!(count(&db.store, "price_history").await, 3, "{}", db.name);
        assert_eq!(count(&db.store, "events").await, 3);
        assert_eq!(letters_waiting(dir.path()), 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn dead_letters_are_stored_in_the_background_once_the_database_answers_again() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let policy = RetryPolicy {
            replay_every: Duration::from_millis(50),
            ..quick(Duration::ZERO)
        };
        let (queue, writer) = spawn_writer(db.store.clone(), dir.path().to_path_buf(), policy, 4);
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        for batch in cycle_batches(1..=2) {
            dead_letter_of(&queue, batch).await;
        }
        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        // Nothing else is queued: only the writer's own retry can store the letters.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while letters_waiting(dir.path()) > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the dead letters were not retried while the process ran",
                db.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(count(&db.store, "price_history").await, 2, "{}", db.name);
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!(
            (
                totals.dead_lettered,
                totals.replayed,
                totals.letters_waiting
            ),
            (2, 2, 0),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_stored_batch_brings_the_waiting_dead_letters_in_with_it() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        dead_letter_of(&queue, batch(1)).await;
        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        queue.send(batch(2)).await.unwrap();
        queue.flush().await.unwrap();
        assert_eq!(count(&db.store, "price_history").await, 2, "{}", db.name);
        assert_eq!(letters_waiting(dir.path()), 0);
        drop(queue);
        assert_eq!(writer.await.unwrap().replayed, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn letters_of_an_earlier_run_are_stored_before_the_first_job_and_counted_in_the_first_run() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        // An earlier process kept two batches of a cycle.
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        for batch in cycle_batches(1..=2) {
            dead_letter_of(&queue, batch).await;
        }
        drop(queue);
        writer.await.unwrap();
        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;

        // The next start: one flush and they are in, before anything is warmed from the table.
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
        queue.flush().await.unwrap();
        assert_eq!(count(&db.store, "price_history").await, 2, "{}", db.name);
        queue
            .record_run(RunRecord::new(None, batch(0).at, summary(RunStatus::Ok)))
            .await
            .unwrap();
        assert_eq!(
            scalar(&db.store, "SELECT batches_replayed FROM scrape_runs").await,
            2,
            "{}",
            db.name
        );
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!((totals.replayed, totals.letters_waiting), (2, 0));
        db.finish().await;
    }
}

/// A dead letter as the code before the one-alert-model change wrote it: a price change with a
/// line, a direction disagreement and an event-level availability alert, each flat with a
/// placeholder `eventId` of 0.
const LETTER_BEFORE_THE_ALERT_MODEL: &str = concat!(
    r#"{"at":"2030-06-01T12:00:00Z","events":[{"record":{"sr_id":"61300947","home_team":"Arsenal","away_team":"Chelsea","tournament":"Premier League","country":"England","kickoff":"2030-06-02T18:00:00Z"},"books":[["betpawa","bp-61300947"]]}],"#,
    r#""odds":[{"event_key":"61300947","bookmaker":"betpawa","market_id":"5000","line":"2.5","outcomes":[{"name":"Over","price":1.8,"active":true}],"available":true,"unavailable_since":null,"record_history":true}],"#,
    r#""alerts":["#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"5000","marketName":"Over/Under | Full Time","line":2.5,"outcomeName":"Over","alertType":"price_change","severity":"warning","changePct":-5.26,"oldPrice":1.9,"newPrice":1.8,"competitorBookmaker":null,"competitorOldPrice":null,"competitorNewPrice":null,"competitorDirection":null,"gapPct":null,"availability":null,"unavailableSecs":null,"marketsAffected":null,"detectedAt":"2030-06-01T12:01:00Z","eventKickoff":"2030-06-02T18:00:00Z"}},"#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"3743","marketName":"1X2 | Full Time","line":null,"outcomeName":"2","alertType":"direction_disagreement","severity":"elevated","changePct":3.33,"oldPrice":3.0,"newPrice":3.1,"competitorBookmaker":"sportybet","competitorOldPrice":3.05,"competitorNewPrice":2.9,"competitorDirection":"down","gapPct":6.45,"availability":null,"unavailableSecs":null,"marketsAffected":null,"detectedAt":"2030-06-01T12:02:00Z","eventKickoff":"2030-06-02T18:00:00Z"}},"#,
    r#"{"event_key":"61300947","alert":{"eventId":0,"bookmaker":"betpawa","marketId":"*","marketName":"All markets","line":null,"outcomeName":null,"alertType":"availability","severity":"warning","changePct":null,"oldPrice":null,"newPrice":null,"competitorBookmaker":null,"competitorOldPrice":null,"competitorNewPrice":null,"competitorDirection":null,"gapPct":null,"availability":"returned","unavailableSecs":300,"marketsAffected":12,"detectedAt":"2030-06-01T12:03:00Z","eventKickoff":"2030-06-02T18:00:00Z"}}"#,
    r#"]}"#
);

#[tokio::test]
async fn a_dead_letter_written_before_the_alert_model_changed_is_replayed_whole() {
    use oddswatch::domain::{AlertFilter, AlertJson, AlertSort, Page};
    use oddswatch::service::AlertService;
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch-20300601T120000Z-1-0.json");
        std::fs::write(&path, LETTER_BEFORE_THE_ALERT_MODEL).unwrap();
        let replay = replay_dead_letters(&db.store, dir.path()).await;
        assert_eq!((replay.replayed, replay.failed), (1, 0), "{}", db.name);
        assert!(!path.exists());
        let page = AlertService::new(db.store.clone(), "t")
            .list(
                &AlertFilter::default(),
                AlertSort::Detected,
                &Page::first(10),
            )
            .await
            .unwrap();
        // Newest first: every value as the letter carried it.
        let alerts: Vec<AlertJson> = page.alerts.iter().map(AlertJson::from).collect();
        let shape: Vec<_> = alerts
            .iter()
            .map(|a| {
                (
                    a.alert_type.as_str(),
                    a.market_id.as_str(),
                    a.line,
                    a.change_percent,
                    (a.old_value, a.new_value),
                    a.competitor_bookmaker.as_deref(),
                    (a.competitor_old_value, a.competitor_new_value),
                    a.gap_percent,
                    (a.unavailable_secs, a.markets_affected),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "availability",
                    "*",
                    None,
                    None,
                    (None, None),
                    None,
                    (None, None),
                    None,
                    (Some(300), Some(12))
                ),
                (
                    "direction_disagreement",
                    "3743",
                    None,
                    Some(3.33),
                    (Some(3.0), Some(3.1)),
                    Some("sportybet"),
                    (Some(3.05), Some(2.9)),
                    Some(6.45),
                    (None, None)
                ),
                (
                    "price_change",
                    "5000",
                    Some(2.5),
                    Some(-5.26),
                    (Some(1.9), Some(1.8)),
                    None,
                    (None, None),
                    None,
                    (None, None)
                ),
            ],
            "{}",
            db.name
        );
        assert!(
            alerts
                .iter()
                .all(|a| a.sr_id == "61300947" && a.event_name == "Arsenal v Chelsea")
        );
        db.finish().await;
    }
}
