//! `oddswatch status` on real databases: the table and `--json` from the scraper team the
//! lease rounds recorded, and the exit codes monitoring scripts rely on (0 healthy, 1 a shard
//! without a live owner or no daemon, 2 the team cannot be read).

use std::time::Duration;

use oddswatch::store::{DaemonRegistration, Store};
use serde_json::Value;

use crate::common::pg_empty_database;
use crate::sandbox::Sandbox;

fn registration(id: &str, lease_secs: u64) -> DaemonRegistration {
    let mut me = DaemonRegistration::this_process(16, Duration::from_secs(lease_secs));
    me.id = id.to_string();
    me.host = format!("host-{id}");
    me
}

/// Runs `oddswatch status [--json]` on `url`: exit code and stdout.
fn status(sandbox: &Sandbox, url: &str, json: bool) -> (i32, String) {
    let mut cmd = sandbox.cmd();
    cmd.arg("--database-url")
        .arg(url)
        .arg("status")
        .env("NO_COLOR", "1");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    (out.status.code().unwrap(), text)
}

#[tokio::test]
async fn sqlite_no_daemon_then_one_daemon_holding_every_shard() {
    let sandbox = Sandbox::new();
    let store = Store::open(&sandbox.url, 2).await.unwrap();
    let (code, text) = status(&sandbox, &sandbox.url, false);
    assert_eq!(code, 1, "no daemon is unhealthy: {text}");
    assert!(
        text.starts_with("team:     no scraper running — UNHEALTHY"),
        "{text}"
    );
    assert!(text.contains("none has run on this database"));
    let (code, json) = status(&sandbox, &sandbox.url, true);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["summary"]["text"], "no scraper running");

    let me = registration("solo", 30);
    let round = store.lease_round(&me, &[]).await.unwrap();
    assert_eq!(round.held.len(), 16);
    let (code, text) = status(&sandbox, &sandbox.url, false);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("team:     1 scraper · 16/16 shards — healthy"),
        "{text}"
    );
    let row = text.lines().find(|l| l.contains("host-solo")).unwrap();
    assert!(row.starts_with(" live") && row.contains("0-15"), "{row}");
    assert!(!text.contains('\x1b'), "NO_COLOR and a pipe: no escapes");
    let doc: Value = serde_json::from_str(&status(&sandbox, &sandbox.url, true).1).unwrap();
    assert_eq!(doc["healthy"], true);
    assert_eq!(doc["daemons"][0]["shard_ranges"], "0-15");
    assert_eq!(doc["leases"].as_array().unwrap().len(), 16);
    store.close().await;
}

#[tokio::test]
async fn postgres_a_stopped_daemon_leaves_unowned_shards_until_taken() {
    let Some((admin, db, url)) = pg_empty_database().await else {
        return;
    };
    let store = Store::open(&url, 4).await.unwrap();
    let sandbox = Sandbox::new();
    let (a, b) = (registration("a", 30), registration("b", 30));
    store.lease_round(&a, &[]).await.unwrap();
    let held_b = store.lease_round(&b, &[]).await.unwrap().held;
    // a keeps its fair share (8) after seeing b; b claims the rest.
    let held_a = store.lease_round(&a, &[]).await.unwrap().held;
    let held_b = store.lease_round(&b, &held_b).await.unwrap().held;
    assert_eq!(held_a.len() + held_b.len(), 16);
    let (code, text) = status(&sandbox, &url, false);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("2 scrapers · 16/16 shards — healthy"),
        "{text}"
    );

    // a stops cleanly: its shards are free until b's next round takes them.
    store.release_leases("a").await.unwrap();
    let (code, text) = status(&sandbox, &url, false);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("1 scraper · 8/16 shards · 8 unowned — UNHEALTHY"),
        "{text}"
    );
    assert!(text.contains("UNOWNED shards"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(" stopped") && l.contains("host-a")),
        "{text}"
    );
    let doc: Value = serde_json::from_str(&status(&sandbox, &url, true).1).unwrap();
    assert_eq!(doc["summary"]["unowned"].as_array().unwrap().len(), 8);
    assert_eq!(doc["daemons"].as_array().unwrap().len(), 2);

    let held_b = store.lease_round(&b, &held_b).await.unwrap().held;
    assert_eq!(held_b.len(), 16);
    let (code, text) = status(&sandbox, &url, false);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("1 scraper · 16/16 shards — healthy"),
        "{text}"
    );
    store.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
        .execute(
            &mut <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap(),
        )
        .await;
}

#[test]
fn an_unreachable_database_exits_2_naming_it_without_the_password() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .cmd()
        .args([
            "--database-url",
            "postgres://watcher:hunter2@127.0.0.1:1/nowhere",
            "status",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read the scraper team from postgres://watcher:"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
