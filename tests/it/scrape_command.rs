//! `oddswatch scrape` as an operator runs it: the shipped default config (embedded simulator),
//! a fresh SQLite file, SIGTERM to stop.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn scalar(url: &str, sql: &str) -> i64 {
    let store = oddswatch::store::Store::connect(url, 1).await.unwrap();
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap_or((0,));
    store.close().await;
    n
}

use oddswatch::store::Store;

#[tokio::test]
async fn scrape_stores_cycles_and_sigterm_flushes_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("fresh.db").display());
    let child = Command::new(env!("CARGO_BIN_EXE_oddswatch"))
        .args(["--database-url", &url, "scrape"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("ODDSWATCH_SIM_EVENTS", "30")
        .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
        .env("ODDSWATCH_SCRAPE_METRICS_BIND", "")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for two finished cycles.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(Instant::now() < deadline, "no finished cycle within 90 s");
        if home.path().join("fresh.db").exists()
            && scalar(
                &url,
                "SELECT COUNT(*) FROM scrape_runs WHERE status IN ('ok', 'partial')",
            )
            .await
                >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        !stderr.contains("\u{1b}["),
        "no colour codes when stderr is not a terminal"
    );
    assert_eq!(
        scalar(
            &url,
            "SELECT COUNT(*) FROM scrape_runs WHERE status = 'running'"
        )
        .await,
        0,
        "every run was closed"
    );
    let events = scalar(&url, "SELECT COUNT(*) FROM events").await;
    let linked = scalar(&url, "SELECT COUNT(DISTINCT event_id) FROM current_odds").await;
    assert!(events >= 30, "{events} events stored");
    assert_eq!(
        linked, events,
        "every stored event has its odds: nothing was left in the queue"
    );
}

#[tokio::test]
async fn a_kill_during_a_run_leaves_the_database_consistent_and_the_next_start_closes_the_run() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("killed.db").display());
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_oddswatch"))
            .args(["--database-url", &url, "scrape"])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("ODDSWATCH_SIM_EVENTS", "120")
            .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", "")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    let deadline = Instant::now() + Duration::from_secs(90);
    // Kill it while a later cycle is running (a run is recorded as `running` while it writes).
    loop {
        assert!(
            Instant::now() < deadline,
            "no cycle in progress within 90 s"
        );
        if home.path().join("killed.db").exists()
            && scalar(&url, "SELECT COUNT(*) FROM scrape_runs WHERE status = 'ok'").await >= 1
            && scalar(
                &url,
                "SELECT COUNT(*) FROM scrape_runs WHERE status = 'running'",
            )
            .await
                == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::connect(&url, 1).await.unwrap();
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let (orphans,): (i64,) = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_optional(pool)
        .await
        .unwrap()
        .map_or((0,), |_: (String,)| (1,));
    assert_eq!(orphans, 0, "no dangling rows");
    store.close().await;

    // The next start closes the interrupted run as failed.
    let mut again = spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while scalar(
        &url,
        "SELECT COUNT(*) FROM scrape_runs WHERE status = 'failed' AND error LIKE 'interrupted%'",
    )
    .await
        != 1
    {
        assert!(
            Instant::now() < deadline,
            "the interrupted run was not closed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    again.kill().unwrap();
    again.wait().unwrap();
}
