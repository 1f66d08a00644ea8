//! The real binary, run as a user would: every subcommand and the bad-input paths.

use crate::common;
use crate::sandbox;

use predicates::prelude::*;
use sandbox::Sandbox;
use serde_json::Value;

#[test]
fn demo_data_then_list_as_json_uses_the_api_field_names() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "3000", "--seed", "11"])
        .assert()
        .success()
        .stdout(predicate::str::contains("loaded 3000 alerts"));
    let body = s.json(&["alerts", "list", "--json", "--limit", "5"]);
    assert_eq!(body["total"], 3000);
    let sum = body["newCount"].as_u64().unwrap()
        + body["acknowledgedCount"].as_u64().unwrap()
        + body["pastCount"].as_u64().unwrap();
    assert_eq!(sum, 3000);
    let alerts = body["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 5);
    for key in [
        "id",
        "eventId",
        "eventName",
        "homeTeam",
        "awayTeam",
        "bookmakerSlug",
        "marketId",
        "marketName",
        "line",
        "outcomeName",
        "alertType",
        "severity",
        "changePercent",
        "oldValue",
        "newValue",
        "competitorOldValue",
        "competitorNewValue",
        "competitorDirection",
        "detectedAt",
        "acknowledgedAt",
        "acknowledgedBy",
        "status",
        "eventKickoff",
    ] {
        assert!(
            alerts[0].get(key).is_some(),
            "missing {key} in {}",
            alerts[0]
        );
    }
    assert!(alerts[0]["detectedAt"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn list_filters_and_prints_a_readable_table() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "2000"])
        .assert()
        .success();
    let body = s.json(&[
        "alerts",
        "list",
        "--json",
        "--status",
        "new",
        "--severity",
        "critical,elevated",
        "--limit",
        "200",
    ]);
    for alert in body["alerts"].as_array().unwrap() {
        assert_eq!(alert["status"], "new");
        assert!(alert["severity"] == "critical" || alert["severity"] == "elevated");
    }
    assert_eq!(body["total"], body["newCount"]);
    s.db()
        .args(["alerts", "list", "--status", "new", "--limit", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("SEVERITY").and(predicate::str::contains("1–3 of")));
}

#[test]
fn ack_and_unack_change_status_and_show_prints_the_audit_trail() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "500"])
        .assert()
        .success();
    let body = s.json(&[
        "alerts", "list", "--json", "--status", "new", "--limit", "1",
    ]);
    let id = body["alerts"][0]["id"].as_i64().unwrap().to_string();
    s.db()
        .args(["alerts", "ack", &id, "--comment", "laid off"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "alert {id}: acknowledged by tester"
        )));
    let shown = s.json(&["alerts", "show", &id, "--json"]);
    assert_eq!(shown["status"], "acknowledged");
    assert_eq!(shown["acknowledgedBy"], "tester");
    assert_eq!(shown["audit"][0]["comment"], "laid off");
    s.db()
        .args(["alerts", "unack", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("unacknowledged"));
    s.db()
        .args(["alerts", "show", &id])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("status        new")
                .and(predicate::str::contains("unacknowledge")),
        );
}

#[test]
fn acknowledging_a_past_alert_exits_1_saying_the_event_has_started() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "500"])
        .assert()
        .success();
    let body = s.json(&[
        "alerts", "list", "--json", "--status", "past", "--limit", "1",
    ]);
    let id = body["alerts"][0]["id"].as_i64().unwrap().to_string();
    s.db()
        .args(["alerts", "ack", &id])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "alert {id}: refused — the event has started"
        )));
}

#[test]
fn a_missing_alert_exits_1_naming_it() {
    let s = Sandbox::new();
    s.db().args(["migrate"]).assert().success();
    s.db()
        .args(["alerts", "show", "424242"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("alert 424242 not found"));
    s.db()
        .args(["alerts", "ack", "424242"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("alert 424242: not found"));
}

#[test]
fn stats_on_an_empty_database_are_zero_filled() {
    let s = Sandbox::new();
    let stats = s.json(&["alerts", "stats", "--json"]);
    assert_eq!(stats["total"], 0);
    for key in ["new", "acknowledged", "past"] {
        assert_eq!(stats["byStatus"][key], 0);
    }
    for key in ["warning", "elevated", "critical"] {
        assert_eq!(stats["bySeverity"][key], 0);
    }
    for key in ["price_change", "direction_disagreement", "availability"] {
        assert_eq!(stats["byType"][key], 0);
    }
}

#[test]
fn bad_arguments_exit_2_listing_the_valid_values() {
    let s = Sandbox::new();
    s.db()
        .args(["alerts", "list", "--severity", "urgent"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("urgent")
                .and(predicate::str::contains("warning, elevated, critical")),
        );
    s.db()
        .args(["alerts", "list", "--limit", "500"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("500"));
    s.db()
        .args(["alerts", "list", "--sort", "random"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "detected, severity, kickoff, change",
        ));
    s.db().args(["alerts", "ack"]).assert().code(2);
    s.db().args(["alerts", "ack", "abc"]).assert().code(2);
    s.db().args(["no-such-command"]).assert().code(2);
}

#[test]
fn invalid_config_fails_at_start_naming_the_key_and_the_rule() {
    let s = Sandbox::new();
    s.db()
        .env("ODDSWATCH_DETECTION_WARNING_PCT", "12")
        .args(["alerts", "stats"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "0 < warning < elevated < critical <= 100",
        ));
    let file = s.home.path().join("bad.toml");
    std::fs::write(&file, "[retention]\npast_alert_dayz = 3\n").unwrap();
    s.db()
        .arg("--config")
        .arg(&file)
        .args(["alerts", "stats"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown config key `retention.past_alert_dayz`",
        ));
    s.cmd()
        .args(["--database-url", "mysql://localhost/x", "migrate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("database.url"));
}

#[test]
fn config_print_shows_the_effective_config_with_secrets_redacted() {
    let s = Sandbox::new();
    s.cmd()
        .args([
            "--database-url",
            "postgres://trader:hunter2@db.example:5432/odds",
            "config",
            "print",
        ])
        .env("ODDSWATCH_BOOKS_THEODDSAPI_API_KEY", "sekret-key")
        .env("ODDSWATCH_DETECTION_CRITICAL_PCT", "20")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("postgres://trader:<redacted>@db.example:5432/odds")
                .and(predicate::str::contains("critical_pct = 20.0"))
                .and(predicate::str::contains("hunter2").not())
                .and(predicate::str::contains("sekret-key").not()),
        );
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_folder() {
    let s = Sandbox::new();
    let path = s.home.path().join("deep/er/odds.db");
    s.cmd()
        .args([
            "--database-url",
            &format!("sqlite://{}", path.display()),
            "migrate",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("migrations applied"));
    assert!(path.is_file());
}

#[test]
fn the_default_database_lives_in_the_platform_data_dir() {
    let s = Sandbox::new();
    s.cmd().args(["migrate"]).assert().success();
    assert!(s.home.path().join("data/oddswatch/oddswatch.db").is_file());
    assert!(
        s.home.path().join("data/oddswatch/logs").is_dir(),
        "logs go to a file in the data dir"
    );
}

#[test]
fn unreachable_database_is_a_clear_error() {
    let s = Sandbox::new();
    s.cmd()
        .args([
            "--database-url",
            "postgres://nobody:pw@127.0.0.1:1/none",
            "alerts",
            "stats",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "opening the database postgres://nobody:<redacted>@127.0.0.1:1/none",
        ));
}

#[tokio::test]
async fn the_same_commands_work_against_postgresql() {
    let Some((admin, db, url)) = common::pg_empty_database().await else {
        return;
    };
    let s = Sandbox::new();
    let run = |args: &[&str]| {
        let mut cmd = s.cmd();
        cmd.arg("--database-url").arg(&url).args(args);
        cmd
    };
    run(&["demo-data", "--alerts", "1000"]).assert().success();
    let out = run(&[
        "alerts", "list", "--json", "--status", "past", "--limit", "1",
    ])
    .assert()
    .success()
    .get_output()
    .stdout
    .clone();
    let body: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(body["total"], body["pastCount"]);
    let id = body["alerts"][0]["id"].as_i64().unwrap().to_string();
    run(&["alerts", "ack", &id])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the event has started"));
    run(&["alerts", "stats"])
        .assert()
        .success()
        .stdout(predicate::str::contains("total: 1000"));
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[test]
fn bench_runs_every_phase_at_small_scale_and_writes_the_json_figures() {
    let sandbox = Sandbox::new();
    let json = sandbox.home.path().join("bench.json");
    let out = sandbox
        .cmd()
        .args([
            "bench",
            "--backend",
            "sqlite",
            "--events",
            "12",
            "--cycles",
            "1",
        ])
        .args(["--alerts", "3000", "--json"])
        .arg(&json)
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(out).unwrap();
    for row in [
        "first cycle (everything new)",
        "peak RSS of the pipeline process",
        "list text search p50/p99",
        "UI first frame",
        "UI last row (G)",
    ] {
        assert!(table.contains(row), "the table has {row:?}:\n{table}");
    }
    let figures: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let sqlite = &figures.as_array().expect("one object per backend")[0];
    assert_eq!(sqlite["backend"], "sqlite");
    assert_eq!(sqlite["events"], 12, "every simulated event was scraped");
    assert!(
        sqlite["peak_rss_mb"].as_f64().unwrap() > 1.0,
        "the pipeline child reported its memory: {sqlite}"
    );
    assert!(
        sqlite["steady_cycle"]["outcomes_compared"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(sqlite["ui"]["first_frame"]["p50_ms"].as_f64().unwrap() > 0.0);
    for key in [
        "first_cycle_s",
        "steady_cycle_s",
        "db_bytes_per_day",
        "persist_overhead_ratio",
        "parse_overhead_ratio",
        "list_p50_ms",
        "list_p99_ms",
        "stats_p50_ms",
    ] {
        assert!(sqlite[key].is_number(), "{key} in {sqlite}");
    }
}

#[test]
fn the_bench_pipeline_child_needs_one_backend() {
    Sandbox::new()
        .cmd()
        .args([
            "bench",
            "--backend",
            "both",
            "--pipeline-child",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs one --backend"));
}

/// The market-wide types (issue 14) through `alerts list`: the type and pattern filters, and a
/// change column that says what the number is for the types without a price change.
#[tokio::test]
async fn list_filters_the_market_types_and_labels_their_change_column() {
    use chrono::{Duration, Utc};
    use oddswatch::domain::Pattern;
    use oddswatch::domain::testing::AlertBuilder;
    use oddswatch::store::{BatchEvent, CycleBatch, EventRecord, Store};
    let s = Sandbox::new();
    let kickoff = Utc::now() + Duration::days(1);
    let store = Store::open(&s.url, 2).await.unwrap();
    let base = || AlertBuilder::new().event_key("8001").kickoff(kickoff);
    let batch = CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: Utc::now(),
        events: vec![BatchEvent {
            record: EventRecord {
                sr_id: "8001".into(),
                home_team: "Liverpool".into(),
                away_team: "Everton".into(),
                tournament: None,
                country: None,
                kickoff: Some(kickoff),
            },
            books: vec![],
        }],
        odds: vec![],
        alerts: vec![
            base()
                .prices(2.1, 2.1)
                .market_move(-8.81, &[("bet9ja", 2.1, 1.93), ("sportybet", 2.1, 1.9)])
                .build(),
            base()
                .prices(3.6, 4.0)
                .off_market(91.39, 2.09, Some(Pattern::Swapped))
                .build(),
            base().margin(-2.44, &[("1", 2.5)]).build(),
            base().build(),
        ],
        // These repeated detections were written as one alert each (before noise control
        // folded them, issue 15): dedup off keeps the fixture meaning what it did.
        noise: oddswatch::domain::NoisePolicy {
            dedup: false,
            ..Default::default()
        },
    };
    store.write_cycle_batch(&batch).await.unwrap();
    store.close().await;
    s.db()
        .args(["alerts", "list", "--type", "market_move,off_market,margin"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("median -8.81%")
                .and(predicate::str::contains("edge +91.39%"))
                .and(predicate::str::contains("4.00 (fair 2.09)"))
                .and(predicate::str::contains("margin -2.44%"))
                .and(predicate::str::contains("2.10 → 2.10"))
                .and(predicate::str::contains("1–3 of 3")),
        );
    let swapped = s.json(&["alerts", "list", "--json", "--pattern", "swapped"]);
    assert_eq!(swapped["total"], 1);
    assert_eq!(swapped["alerts"][0]["alertType"], "off_market");
    assert_eq!(swapped["alerts"][0]["edgePercent"], 91.39);
    let margin = s.json(&["alerts", "list", "--json", "--type", "margin"]);
    assert_eq!(margin["alerts"][0]["marginPercent"], -2.44);
    assert!(margin["alerts"][0].get("edgePercent").is_none());
}
