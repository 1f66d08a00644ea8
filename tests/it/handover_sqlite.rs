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
