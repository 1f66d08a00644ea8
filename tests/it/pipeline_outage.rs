//! Outages seen from the write queue: every cycle gets its run record (with the counts of its
//! dead-lettered and replayed batches) once the database answers, the retry window is a minute
//! against refused connections, and a stop during an outage takes seconds.

use crate::common;
use crate::writer_support;

use common::{count, exec};
use writer_support::*;

use std::time::Duration;

use oddswatch::config::Config;
use oddswatch::pipeline::cycle::ScrapeCycle;
use oddswatch::pipeline::run::build_feeds;
use oddswatch::pipeline::writer::{RetryPolicy, WriteOutcome, letters_waiting, spawn_writer};
use oddswatch::sim::{SimOptions, TickMode};
use oddswatch::store::{RunRecord, RunStatus, Store};

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
