//! Notifications from a real `oddswatch scrape` with its embedded simulator (issue 18): a
//! critical alert reaches a Slack-shaped receiver on loopback within a cycle, signed; and
//! `kill -9` of the daemon with deliveries pending loses none: they are delivered after the
//! restart, each once (a request in flight at the kill is sent again with the same
//! idempotency key, which is what the key is for).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oddswatch::domain::verify;
use oddswatch::store::Store;

use crate::notify::receiver::{Received, Receiver};

const SECRET: &str = "desk-signing-key";

fn write_config(dir: &Path, receiver: &Receiver, min_severity: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[scrape]
interval_secs = 2
[sim]
events = 40
[[notify.targets]]
name = "desk"
format = "slack"
url = "{}"
secret = "{SECRET}"
[[notify.rules]]
target = "desk"
min_severity = "{min_severity}"
"#,
            receiver.url("services/hook")
        ),
    )
    .unwrap();
    path
}

/// A daemon killed when dropped, so a failing test leaves no process behind.
struct Daemon(Option<Child>);

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(dir: &Path, config: &Path, url: &str) -> Daemon {
    Daemon(Some(
        Command::new(env!("CARGO_BIN_EXE_oddswatch"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "--database-url",
                url,
                "scrape",
            ])
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            // Tests run scrapes in parallel: no /metrics listener to compete for.
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", "")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    ))
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let Ok(store) = Store::connect(url, 1).await else {
        return 0;
    };
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap_or((0,));
    store.close().await;
    n
}

async fn ids(url: &str, sql: &str) -> Vec<i64> {
    let store = Store::connect(url, 1).await.unwrap();
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    let rows: Vec<(i64,)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
    store.close().await;
    rows.into_iter().map(|(id,)| id).collect()
}

async fn wait_for(what: &str, secs: u64, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(mut daemon: Daemon) {
    if let Some(mut child) = daemon.0.take() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
}

fn key_counts(got: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in got {
        *counts
            .entry(r.key.clone().expect("every delivery has a key"))
            .or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_critical_alert_from_the_simulator_reaches_a_slack_receiver_within_a_cycle_signed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let config = write_config(dir.path(), &receiver, "critical");
    let url = format!("sqlite://{}", dir.path().join("o.db").display());
    let child = spawn(dir.path(), &config, &url);

    wait_for("a critical alert queued", 120, async || {
        scalar(&url, "SELECT COUNT(*) FROM notify_outbox").await > 0
    })
    .await;
    let first = ids(&url, "SELECT MIN(id) FROM notify_outbox").await[0];
    let runs = scalar(
        &url,
        "SELECT COUNT(*) FROM scrape_runs WHERE finished_at IS NOT NULL",
    )
    .await;
    // Within a cycle: delivered by the time the cycle after the one that stored it has
    // finished (the storing cycle may still be running when the row is seen: two more).
    wait_for("the next cycle", 60, async || {
        scalar(
            &url,
            "SELECT COUNT(*) FROM scrape_runs WHERE finished_at IS NOT NULL",
        )
        .await
            >= runs + 2
    })
    .await;
    let key = oddswatch::notify::idempotency_key(first);
    let got = receiver.got();
    let request = got
        .iter()
        .find(|r| r.key.as_deref() == Some(key.as_str()))
        .unwrap_or_else(|| panic!("{key} not delivered within a cycle; got {}", got.len()));
    stop(child);
    let queued = {
        let store = Store::connect(&url, 1).await.unwrap();
        let Store::Sqlite(pool) = &store else {
            unreachable!()
        };
        let (at,): (chrono::DateTime<chrono::Utc>,) =
            sqlx::query_as("SELECT queued_at FROM notify_outbox WHERE id = ?")
                .bind(first)
                .fetch_one(pool)
                .await
                .unwrap();
        store.close().await;
        at
    };
    eprintln!(
        "critical alert delivered {} ms after it was stored (interval 2 s)",
        (request.at - queued).num_milliseconds()
    );

    assert_eq!(request.path, "services/hook");
    let header = request.signature.as_deref().expect("signed");
    let t: i64 = header[2..header.find(',').unwrap()].parse().unwrap();
    verify(SECRET.as_bytes(), header, &request.body, t, 0).expect("a valid signature");
    let body = request.json();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("New critical alert: CRITICAL "), "{text}");
    assert!(body["blocks"].as_array().is_some_and(|b| !b.is_empty()));
    for r in &got {
        let json = r.json();
        assert!(
            json["text"].as_str().unwrap().contains("critical"),
            "only critical alerts are routed: {json}"
        );
    }
}

#[tokio::test]
async fn kill_9_with_deliveries_pending_delivers_them_after_the_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.slow(150);
    let config = write_config(dir.path(), &receiver, "warning");
    let url = format!("sqlite://{}", dir.path().join("o.db").display());
    let mut child = spawn(dir.path(), &config, &url);

    wait_for("deliveries made and more pending", 120, async || {
        scalar(
            &url,
            "SELECT COUNT(*) FROM notify_outbox WHERE state = 'delivered'",
        )
        .await
            >= 3
            && scalar(
                &url,
                "SELECT COUNT(*) FROM notify_outbox WHERE state = 'pending'",
            )
            .await
                >= 5
    })
    .await;
    let mut child = child.0.take().unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let pending_at_kill = ids(
        &url,
        "SELECT id FROM notify_outbox WHERE state = 'pending' ORDER BY id",
    )
    .await;
    assert!(pending_at_kill.len() >= 5, "{pending_at_kill:?}");
    let received_before_restart = receiver.got().len();

    receiver.slow(0);
    let child = spawn(dir.path(), &config, &url);
    let last = *pending_at_kill.last().unwrap();
    wait_for(
        "the pending deliveries made after the restart",
        120,
        async || {
            scalar(
                &url,
                &format!(
                    "SELECT COUNT(*) FROM notify_outbox WHERE state = 'pending' AND id <= {last}"
                ),
            )
            .await
                == 0
        },
    )
    .await;
    stop(child);

    let got = receiver.got();
    assert!(got.len() > received_before_restart);
    let counts = key_counts(&got);
    for id in &pending_at_kill {
        let key = oddswatch::notify::idempotency_key(*id);
        assert!(
            counts.contains_key(&key),
            "{key} pending at the kill was never delivered"
        );
    }
    let delivered = ids(
        &url,
        "SELECT id FROM notify_outbox WHERE state = 'delivered'",
    )
    .await;
    assert_eq!(
        counts.len(),
        delivered.len(),
        "every request is a delivery the outbox made"
    );
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    eprintln!(
        "kill -9: {} pending at the kill, {} requests before the restart, {} after; {} deliveries, keys sent twice: {twice:?}",
        pending_at_kill.len(),
        received_before_restart,
        got.len() - received_before_restart,
        delivered.len()
    );
    // The one request in flight when the daemon died may arrive again, with the same key.
    assert!(
        twice.len() <= 1 && twice.iter().all(|(_, n)| **n == 2),
        "{twice:?}"
    );
}
