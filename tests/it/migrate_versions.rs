//! Two versions on one database: an older binary meeting a database migrated by a newer one
//! refuses every command with a message naming both versions and what to do, on both backends;
//! a migration of another lineage keeps sqlx's own message; and on PostgreSQL a refused migration
//! leaves no advisory lock behind in the pool (it used to block every later migration).

use std::time::Duration;

use oddswatch::store::Store;

use crate::common::{self, TestDb};
use crate::sandbox::Sandbox;

/// Records a migration this binary does not have in `_sqlx_migrations`, as a newer (or another)
/// oddswatch would have.
async fn record_foreign_migration(store: &Store, version: i64, description: &str) {
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
               execution_time) VALUES ($1, $2, $3, $4, $5)";
    let checksum = vec![0u8; 48];
    match store {
        Store::Sqlite(pool) => sqlx::query(&sql.replace('$', "?"))
            .bind(version)
            .bind(description)
            .bind(true)
            .bind(checksum)
            .bind(0i64)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql)
            .bind(version)
            .bind(description)
            .bind(true)
            .bind(checksum)
            .bind(0i64)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .expect("record a foreign migration");
}

/// The whole error chain as one string (what a user reads).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(" | ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The error `Store::open` gives on `url`; panics if it opens.
async fn open_error(url: &str) -> String {
    match Store::open(url, 2).await {
        Ok(_) => panic!("{url} opened, but the database holds a migration this binary lacks"),
        Err(e) => chain(&e),
    }
}

/// Checks the refusal of a database migrated one step past what this binary knows.
async fn assert_newer_database_refused(db: TestDb, open_url: &str, secret: Option<&str>) {
    let known = db.store.known_migration();
    assert!(known >= 15, "{}: this binary knows up to {known}", db.name);
    let future = known + 1;
    record_foreign_migration(&db.store, future, "scrape fleet").await;
    let message = open_error(open_url).await;
    let name = db.name;
    for expected in [
        format!("this oddswatch (version {})", env!("CARGO_PKG_VERSION")),
        format!("knows database migrations up to {known}"),
        format!("was migrated to {future} (scrape fleet) by a newer oddswatch"),
        "install that newer version here".to_string(),
        "never downgrades a database".to_string(),
    ] {
        assert!(
            message.contains(&expected),
            "{name}: {expected:?} not in {message}"
        );
    }
    assert!(
        !message.contains("missing in the resolved migrations"),
        "{name}: sqlx's message leaked: {message}"
    );
    if let Some(secret) = secret {
        assert!(
            !message.contains(secret),
            "{name}: password shown: {message}"
        );
    }
    // The refusal changed nothing: the database still holds the newer migration, and a store
    // already open keeps working on it (processes already running are not stopped).
    let at: (i64,) = match &db.store {
        Store::Sqlite(p) => sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert_eq!(at.0, future, "{name}");
    db.store.ping().await.expect("the open store still answers");
    db.finish().await;
}

#[tokio::test]
async fn an_older_binary_refuses_a_newer_sqlite_database_clearly() {
    let db = common::sqlite_db().await;
    let url = db.url.clone();
    assert_newer_database_refused(db, &url, None).await;
}

#[tokio::test]
async fn an_older_binary_refuses_a_newer_postgres_database_clearly() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    // Trust authentication ignores the password; the message must not show it.
    let with_password = db
        .url
        .replacen("://postgres@", "://postgres:hunter2-secret@", 1);
    assert_ne!(
        with_password, db.url,
        "the test URL names the postgres user"
    );
    assert_newer_database_refused(db, &with_password, Some("hunter2-secret")).await;
}

/// A migration this binary lacks that is older than its newest (another branch's numbering) is
/// not "a newer oddswatch": sqlx's own message stays.
#[tokio::test]
async fn a_migration_of_another_lineage_keeps_sqlx_s_message() {
    for db in common::all_dbs().await {
        let name = db.name;
        let migrator = match &db.store {
            Store::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Store::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
        };
        let missing = (1..db.store.known_migration())
            .find(|v| !migrator.version_exists(*v))
            .expect("a gap in the numbering (it jumps from 4 to 12)");
        record_foreign_migration(&db.store, missing, "side branch").await;
        let message = open_error(&db.url).await;
        assert!(
            message.contains(&format!(
                "migration {missing} was previously applied but is missing"
            )),
            "{name}: {message}"
        );
        assert!(!message.contains("newer oddswatch"), "{name}: {message}");
        db.finish().await;
    }
}

/// sqlx migrates under a session advisory lock on PostgreSQL and returns without unlocking on
/// error. The connection that failed must not go back to the pool holding it: a store kept open
/// after a refused migration blocked every later migration of the database, in any process.
#[tokio::test]
async fn a_refused_migration_leaves_no_lock_behind_on_postgres() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    let future = db.store.known_migration() + 1;
    record_foreign_migration(&db.store, future, "scrape fleet").await;
    let kept = Store::connect(&db.url, 2).await.expect("connect");
    kept.migrate("the test database")
        .await
        .expect_err("a newer database is refused");
    // The newer binary goes away again (a rollback of its migration, for the test's sake).
    common::exec(
        &db.store,
        &format!("DELETE FROM _sqlx_migrations WHERE version = {future}"),
    )
    .await;
    let reopened = tokio::time::timeout(Duration::from_secs(20), Store::open(&db.url, 1)).await;
    let reopened = reopened
        .expect("migrating again waited on the lock the refused migration left")
        .expect("open");
    reopened.close().await;
    kept.close().await;
    db.finish().await;
}

/// What an operator sees: the real binary exits 1 with the message, for `migrate` and for a
/// read-only command alike.
#[test]
fn the_binary_says_so_and_exits_1_for_every_command() {
    let sandbox = Sandbox::new();
    sandbox.db().arg("migrate").assert().success();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let known = runtime.block_on(async {
        let store = Store::connect(&sandbox.url, 1).await.unwrap();
        let known = store.known_migration();
        record_foreign_migration(&store, known + 1, "scrape fleet").await;
        store.close().await;
        known
    });
    for args in [&["migrate"][..], &["alerts", "list"], &["scrape"]] {
        let output = sandbox
            .db()
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let expected = format!(
            "knows database migrations up to {known}, but {} was migrated to {} (scrape fleet) \
             by a newer oddswatch",
            sandbox.url,
            known + 1
        );
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
    }
}
