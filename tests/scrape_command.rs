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
