//! Test support: real databases on both backends.
//!
//! SQLite runs on a temp file. PostgreSQL runs on a fresh database per test, created on the
//! server named by `ODDSWATCH_TEST_POSTGRES_URL`; without it (or if the server does not answer)
//! the PostgreSQL half is skipped with a notice — except under `CI=true`, where it must run.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use oddswatch::store::Store;
use sqlx::Connection;

/// Environment variable naming the PostgreSQL server for tests (an admin URL, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`).
pub const PG_ENV: &str = "ODDSWATCH_TEST_POSTGRES_URL";

/// A database a test runs against; dropped by [`TestDb::finish`].
pub struct TestDb {
    /// Which backend.
    pub name: &'static str,
    /// Its URL.
    pub url: String,
    /// The open store.
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// Closes the store and removes the database.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, db)) = self.pg_admin
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A fresh SQLite file database, migrated.
pub async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("oddswatch.db").display());
    let store = Store::open(&url, 4).await.expect("open sqlite");
    TestDb {
        name: "sqlite",
        url,
        store,
        _dir: Some(dir),
        pg_admin: None,
    }
}

/// An empty PostgreSQL database URL (not migrated), or `None` when PostgreSQL is not configured.
pub async fn pg_empty_database() -> Option<(String, String, String)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let admin = match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                !in_ci,
                "{PG_ENV} must be set under CI=true: the PostgreSQL half of the tests must run"
            );
            eprintln!("notice: {PG_ENV} is not set; skipping the PostgreSQL half of this test");
            return None;
        }
    };
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(conn) => conn,
        Err(e) => {
            assert!(
                !in_ci,
                "PostgreSQL at {PG_ENV} is unreachable under CI=true: {e}"
            );
            eprintln!(
                "notice: PostgreSQL at {PG_ENV} is unreachable ({e}); skipping the PostgreSQL half"
            );
            return None;
        }
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let db = format!("oddswatch_test_{}_{n}_{nanos}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE \"{db}\""))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .expect("admin URL has a database part");
    let base = base.split('?').next().unwrap().to_string();
    Some((admin, db.clone(), format!("{base}/{db}")))
}

/// A fresh PostgreSQL database, migrated; `None` when skipped.
pub async fn pg_db() -> Option<TestDb> {
    let (admin, db, url) = pg_empty_database().await?;
    let store = Store::open(&url, 4).await.expect("open postgres");
    Some(TestDb {
        name: "postgres",
        url,
        store,
        _dir: None,
        pg_admin: Some((admin, db)),
    })
}

/// SQLite, and PostgreSQL when available.
pub async fn all_dbs() -> Vec<TestDb> {
    let mut dbs = vec![sqlite_db().await];
    if let Some(pg) = pg_db().await {
        dbs.push(pg);
    }
    dbs
}

/// Runs a statement on either backend (fault injection in tests).
pub async fn exec(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Store::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

/// Rows in `table`.
pub async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let (n,): (i64,) = match store {
        Store::Sqlite(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
    };
    n
}

/// Cases that run on one database each, in a table: every case `async fn CASE(db: &TestDb)` of
/// the calling module becomes one test per backend (`MODULE::sqlite::CASE`,
/// `MODULE::postgres::CASE`), on a fresh SQLite file and a fresh PostgreSQL database, so a
/// failure names both the case and the backend, and the cases run in parallel.
macro_rules! contract_cases {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = crate::common::sqlite_db().await;
                    super::$case(&db).await;
                    db.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    // Skipped with a notice without PostgreSQL, except under CI=true.
                    let Some(db) = crate::common::pg_db().await else { return };
                    super::$case(&db).await;
                    db.finish().await;
                }
            )+
        }
    };
}
