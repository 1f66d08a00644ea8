//! SQLite runs one scraping daemon per file (DESIGN §11): a second pipeline started on the
//! same file is refused with a message naming the file and the pid holding it, and the lock is
//! released when the first stops.

use crate::common;

use oddswatch::config::Config;
use oddswatch::pipeline::run::{StartError, start};
use oddswatch::sim::{SimOptions, TickMode};

#[tokio::test]
async fn a_second_pipeline_on_one_sqlite_file_is_refused_until_the_first_stops() {
    let db = common::sqlite_db().await;
    let sim = oddswatch::sim::start(SimOptions {
        events: 4,
        tick: TickMode::Manual,
        ..SimOptions::default()
    })
    .await
    .unwrap()
    .1;
    let mut config = Config::defaults();
    for book in config.books.values_mut() {
        book.base_url = sim.base_url();
    }
    let data = tempfile::tempdir().unwrap();

    let first = start(&config, db.store.clone(), data.path()).await.unwrap();
    let lock = first
        .scrape_lock()
        .expect("an SQLite pipeline holds the lock")
        .to_path_buf();
    assert!(
        lock.to_string_lossy().ends_with("oddswatch.db.scrape.lock"),
        "{}",
        lock.display()
    );

    let Err(refused) = start(&config, db.store.clone(), data.path()).await else {
        panic!("a second pipeline on the same file must be refused");
    };
    assert!(matches!(refused, StartError::Locked(_)), "{refused:?}");
    let message = refused.to_string();
    assert!(
        message.contains("another oddswatch is scraping into")
            && message.contains("oddswatch.db")
            && message.contains(&format!("(pid {})", std::process::id()))
            && message.contains("use PostgreSQL for several scrapers"),
        "{message}"
    );

    first.stop().await;
    let again = start(&config, db.store.clone(), data.path())
        .await
        .expect("the lock is released when the pipeline stops");
    again.stop().await;
    sim.shutdown().await;
    db.finish().await;
}

/// A batch fenced under daemon A's leases after daemon B took every shard (an SQLite round
/// takes them all, bumping the epochs).
async fn fenced_batch(store: &oddswatch::store::Store) -> oddswatch::store::CycleBatch {
    use oddswatch::store::{DaemonRegistration, Fence};
    let a = DaemonRegistration::this_process(4, std::time::Duration::from_secs(3));
    let b = DaemonRegistration::this_process(4, std::time::Duration::from_secs(3));
    let held = store.lease_round(&a, &[]).await.unwrap().held;
    assert_eq!(held.len(), 4);
    store.lease_round(&b, &[]).await.unwrap();
    let mut batch = crate::writer_support::batch(1);
    batch.fence = Some(Fence {
        owner: a.id.clone(),
        leases: held,
    });
    batch
}

#[tokio::test]
async fn a_fenced_batch_is_kept_aside_never_retried_nor_stored() {
    use oddswatch::pipeline::fenced::fenced_letters;
    use oddswatch::pipeline::writer::{RetryPolicy, WriteOutcome, letters_waiting, spawn_writer};
    let db = common::sqlite_db().await;
    let batch = fenced_batch(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let letters = dir.path().join("dead-letters");
    let (queue, writer) =
        spawn_writer(db.store.clone(), letters.clone(), RetryPolicy::default(), 2);
    let started = std::time::Instant::now();
    let outcome = queue.send_and_track(batch).await.unwrap().await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "a fenced batch is not retried for the window"
    );
    let WriteOutcome::Fenced { shards, path } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(!shards.is_empty());
    assert_eq!(fenced_letters(&letters), vec![path.unwrap()]);
    assert_eq!(
        letters_waiting(&letters),
        0,
        "not a dead letter: never replayed"
    );
    drop(queue);
    let totals = writer.await.unwrap();
    assert_eq!(
        (totals.fenced, totals.stored, totals.dead_lettered),
        (1, 0, 0)
    );
    assert_eq!(
        common::count(&db.store, "events").await,
        0,
        "nothing of it stored"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_dead_letter_replayed_with_a_stale_fence_is_moved_aside() {
    use oddswatch::pipeline::dead_letters::{Letter, keep};
    use oddswatch::pipeline::fenced::fenced_letters;
    use oddswatch::pipeline::writer::{RetryPolicy, letters_waiting, spawn_writer};
    let db = common::sqlite_db().await;
    let batch = fenced_batch(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let letters = dir.path().join("dead-letters");
    keep(&letters, &Letter::Batch(batch)).unwrap();
    let (queue, writer) =
        spawn_writer(db.store.clone(), letters.clone(), RetryPolicy::default(), 2);
    queue.flush().await.unwrap();
    drop(queue);
    let totals = writer.await.unwrap();
    assert_eq!((totals.fenced, totals.replayed), (1, 0));
    assert_eq!(letters_waiting(&letters), 0);
    assert_eq!(fenced_letters(&letters).len(), 1);
    assert_eq!(common::count(&db.store, "events").await, 0);
    db.finish().await;
}
