//! The write queue against real databases: retries through an outage, dead letters (one per
//! batch, replayed at start and in the background), run records through the queue, the retry
//! window.

mod common;

use common::{count, exec};

use std::time::Duration;

use chrono::{TimeZone, Utc};
use oddswatch::config::Config;
use oddswatch::domain::{OutcomeOdds, Price};
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{
    RetryPolicy, WriteOutcome, WriteQueue, letters_waiting, replay_dead_letters, spawn_writer,
};
use oddswatch::sim::{SimOptions, TickMode};
use oddswatch::store::{
    BatchEvent, BookRun, CycleBatch, EventRecord, OddsWrite, RunRecord, RunStatus, RunSummary,
    Store,
};

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

/// Retries for `window`; dead letters are retried in the background only when a test asks.
fn quick(window: Duration) -> RetryPolicy {
    RetryPolicy {
        window,
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        replay_every: Duration::from_secs(3600),
        probe_timeout: Duration::from_secs(2),
    }
}

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

/// The batches of one cycle: they share the cycle's start time.
fn cycle_batches(ns: std::ops::RangeInclusive<u32>) -> Vec<CycleBatch> {
    let at = batch(0).at;
    ns.map(|n| CycleBatch { at, ..batch(n) }).collect()
}

async fn dead_letter_of(queue: &WriteQueue, batch: CycleBatch) -> std::path::PathBuf {
    match queue.send_and_track(batch).await.unwrap().await.unwrap() {
        WriteOutcome::DeadLettered { path, .. } => path,
        other => panic!("expected a dead letter: {other:?}"),
    }
}

async fn scalar(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = match store {
        Store::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
    };
    n
}

fn summary(status: RunStatus) -> RunSummary {
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
            status: "ok".into(),
            events_seen: 3,
            ..BookRun::default()
        }],
    }
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
async fn the_run_record_counts_the_batches_dead_lettered_and_replayed_during_its_cycle() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            quick(Duration::ZERO),
            4,
        );
        let at = batch(0).at;
        let first = db.store.start_run(at).await.unwrap();
        exec(
            &db.store,
            "ALTER TABLE price_history RENAME TO price_history_away",
        )
        .await;
        for batch in cycle_batches(1..=3) {
            dead_letter_of(&queue, batch).await;
        }
        queue
            .record_run(RunRecord::new(Some(first), at, summary(RunStatus::Ok)))
            .await
            .unwrap();
        let row = |id: i64| {
            format!(
                "SELECT batches_dead_lettered * 100 + batches_replayed FROM scrape_runs WHERE id = {id}"
            )
        };
        assert_eq!(scalar(&db.store, &row(first)).await, 300, "{}", db.name);
        let (status, error): (String, Option<String>) = {
            let sql = format!("SELECT status, error FROM scrape_runs WHERE id = {first}");
            match &db.store {
                Store::Sqlite(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
                Store::Postgres(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
            }
        };
        assert_eq!(status, "partial", "{}: not ok while batches wait", db.name);
        assert!(error.unwrap_or_default().contains("3 batches"));

        // The database is back: the next cycle's first batch brings the three letters in.
        exec(
            &db.store,
            "ALTER TABLE price_history_away RENAME TO price_history",
        )
        .await;
        queue.send(batch(4)).await.unwrap();
        let later = at + chrono::Duration::minutes(1);
        queue
            .record_run(RunRecord::new(None, later, summary(RunStatus::Ok)))
            .await
            .unwrap();
        let second = scalar(&db.store, "SELECT MAX(id) FROM scrape_runs").await;
        assert_ne!(second, first);
        assert_eq!(scalar(&db.store, &row(second)).await, 3, "{}", db.name);
        assert_eq!(count(&db.store, "price_history").await, 4);
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!((totals.dead_lettered, totals.replayed), (3, 3));
        db.finish().await;
    }
}

/// Makes the database refuse writes to `scrape_runs` (all of them, or only the `running` rows
/// a cycle starts with) — an outage that spares the other tables. Undo with [`allow_runs`].
async fn refuse_runs(store: &Store, only_starts: bool) {
    let when = if only_starts {
        "NEW.status = 'running'"
    } else {
        "1 = 1"
    };
    match store {
        Store::Sqlite(_) => {
            for op in ["INSERT", "UPDATE"] {
                exec(
                    store,
                    &format!(
                        "CREATE TRIGGER refuse_runs_{op} BEFORE {op} ON scrape_runs WHEN {when} \
                         BEGIN SELECT RAISE(ABORT, 'scrape_runs refused (test outage)'); END"
                    ),
                )
                .await;
            }
        }
        Store::Postgres(_) => {
            exec(
                store,
                "CREATE FUNCTION refuse_runs() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'scrape_runs refused (test outage)'; END $$",
            )
            .await;
            exec(
                store,
                &format!(
                    "CREATE TRIGGER refuse_runs BEFORE INSERT OR UPDATE ON scrape_runs \
                     FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION refuse_runs()"
                ),
            )
            .await;
        }
    }
}

async fn allow_runs(store: &Store) {
    match store {
        Store::Sqlite(_) => {
            exec(store, "DROP TRIGGER refuse_runs_INSERT").await;
            exec(store, "DROP TRIGGER refuse_runs_UPDATE").await;
        }
        Store::Postgres(_) => exec(store, "DROP TRIGGER refuse_runs ON scrape_runs").await,
    }
}

#[tokio::test]
async fn a_cycle_whose_start_could_not_be_recorded_gets_its_run_row_at_the_end() {
    for db in common::all_dbs().await {
        let options = SimOptions {
            events: 6,
            tick: TickMode::Manual,
            seed: 9,
            ..SimOptions::default()
        };
        let sim = oddswatch::sim::start(options).await.unwrap().1;
        let mut config = Config::defaults();
        config.sim.events = 6;
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_writer(
            db.store.clone(),
            dir.path().to_path_buf(),
            RetryPolicy::default(),
            4,
        );
        let (feeds, home) = build_feeds(&config, Some(&sim.base_url())).unwrap();
        let books = feeds.len() as i64;
        let mut cycle = ScrapeCycle::new(config.clone(), db.store.clone(), queue, feeds, home);
        // The database refuses the run's start, then answers again by the cycle's end.
        refuse_runs(&db.store, true).await;
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let totals = cycle.run_cycle(&stop_rx).await;
        assert_eq!(totals.events, 6);
        assert_eq!(
            count(&db.store, "scrape_runs").await,
            1,
            "{}: the cycle has its run row",
            db.name
        );
        assert_eq!(
            scalar(
                &db.store,
                "SELECT COUNT(*) FROM scrape_runs WHERE status IN ('ok', 'partial') AND events_seen = 6 AND finished_at > started_at"
            )
            .await,
            1,
            "{}",
            db.name
        );
        assert_eq!(count(&db.store, "scrape_run_books").await, books);
        allow_runs(&db.store).await;
        drop(cycle);
        writer.await.unwrap();
        sim.shutdown().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn a_run_record_the_database_refuses_is_kept_and_stored_once_it_answers() {
    for db in common::all_dbs().await {
        let dir = tempfile::tempdir().unwrap();
        let policy = RetryPolicy {
            replay_every: Duration::from_millis(50),
            ..quick(Duration::ZERO)
        };
        let (queue, writer) = spawn_writer(db.store.clone(), dir.path().to_path_buf(), policy, 4);
        refuse_runs(&db.store, false).await;
        queue
            .record_run(RunRecord::new(None, batch(0).at, summary(RunStatus::Ok)))
            .await
            .unwrap();
        assert_eq!(count(&db.store, "scrape_runs").await, 0);
        assert_eq!(letters_waiting(dir.path()), 1, "{}: kept", db.name);
        allow_runs(&db.store).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while count(&db.store, "scrape_runs").await == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the run record was not retried",
                db.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(count(&db.store, "scrape_run_books").await, 1);
        drop(queue);
        let totals = writer.await.unwrap();
        assert_eq!((totals.runs_dead_lettered, totals.letters_waiting), (1, 0));
        db.finish().await;
    }
}

/// A port on loopback where nothing listens: connections are refused.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(start_paused = true)]
async fn against_a_database_refusing_connections_a_batch_is_retried_for_about_a_minute() {
    // Each attempt against a refused connection waits the pool's whole acquire timeout; the
    // window must still be the minute the README promises (the clock is paused: virtual time).
    let url = format!("postgres://postgres@127.0.0.1:{}/oddswatch", refused_port());
    let store = Store::connect_lazy(&url, 2).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(
        store,
        dir.path().to_path_buf(),
        RetryPolicy {
            // Only the batch's own retries are measured here.
            replay_every: Duration::from_secs(3600),
            ..RetryPolicy::default()
        },
        2,
    );
    let started = tokio::time::Instant::now();
    dead_letter_of(&queue, batch(1)).await;
    let window = started.elapsed();
    assert!(
        window >= Duration::from_secs(55) && window <= Duration::from_secs(62),
        "retried for {window:?}, not about a minute"
    );
    drop(queue);
    assert_eq!(writer.await.unwrap().dead_lettered, 1);
}

#[tokio::test(start_paused = true)]
async fn at_shutdown_during_an_outage_the_writer_keeps_what_is_left_as_dead_letters_within_seconds()
{
    let url = format!("postgres://postgres@127.0.0.1:{}/oddswatch", refused_port());
    let store = Store::connect_lazy(&url, 2).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (queue, writer) = spawn_writer(
        store,
        dir.path().to_path_buf(),
        RetryPolicy {
            replay_every: Duration::from_secs(3600),
            ..RetryPolicy::default()
        },
        4,
    );
    let stop = queue.stop_handle();
    let first = queue.send_and_track(batch(1)).await.unwrap();
    // Virtual time: the first batch is well into its retries when the process is told to stop.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let asked = tokio::time::Instant::now();
    stop.stop_retrying();
    queue.send(batch(2)).await.unwrap();
    queue.send(batch(3)).await.unwrap();
    assert!(matches!(
        first.await.unwrap(),
        WriteOutcome::DeadLettered { .. }
    ));
    drop(queue);
    let totals = writer.await.unwrap();
    let took = asked.elapsed();
    assert!(
        took <= Duration::from_secs(5),
        "stopping took {took:?} of retries"
    );
    assert_eq!((totals.dead_lettered, totals.lost), (3, 0), "nothing lost");
    assert_eq!(letters_waiting(dir.path()), 3);
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
