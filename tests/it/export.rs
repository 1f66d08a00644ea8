//! `oddswatch alerts export` as a user runs it: the real binary on a real SQLite file (and
//! PostgreSQL when configured), its output read back and compared with `alerts list --json`.

use std::io::Read;
use std::process::Stdio;

use predicates::prelude::*;
use serde_json::Value;

use crate::common;
use crate::sandbox::Sandbox;

/// Every alert `alerts list --json` gives for `filter`, page by page, in its order, and the total.
fn listed(run: &dyn Fn(&[&str]) -> Value, filter: &[&str]) -> (Vec<Value>, u64) {
    let mut alerts = Vec::new();
    loop {
        let offset = alerts.len().to_string();
        let mut args = vec![
            "alerts", "list", "--json", "--limit", "200", "--offset", &offset,
        ];
        args.extend_from_slice(filter);
        let body = run(&args);
        let page = body["alerts"].as_array().unwrap().clone();
        let total = body["total"].as_u64().unwrap();
        let done = page.is_empty();
        alerts.extend(page);
        if done || alerts.len() as u64 >= total {
            return (alerts, total);
        }
    }
}

/// The checks shared by both backends: `cmd()` is the binary on the database under test.
fn exports_match_the_list(cmd: &dyn Fn() -> assert_cmd::Command, dir: &std::path::Path) {
    let run_json = |args: &[&str]| -> Value {
        let out = cmd()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    // CSV with a filter: the list's total, every row matching it.
    let filter = ["--status", "new", "--severity", "critical,elevated"];
    let (_, total) = listed(&run_json, &filter);
    assert!(
        total > 0,
        "the demo data has new critical or elevated alerts"
    );
    let file = dir.join("alerts.csv");
    cmd()
        .args(["alerts", "export", "--format", "csv", "--output"])
        .arg(&file)
        .args(filter)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "exported {total} alerts to"
        )));
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (status, severity, id) = (column("status"), column("severity"), column("id"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, total);
    for row in &rows {
        assert_eq!(&row[status], "new");
        assert!(
            ["critical", "elevated"].contains(&&row[severity]),
            "{row:?}"
        );
    }
    let newest_first: Vec<i64> = rows.iter().map(|r| r[id].parse().unwrap()).collect();
    assert!(
        newest_first.windows(2).all(|w| w[0] != w[1]),
        "no alert twice"
    );

    // JSON to stdout: the API's objects, in the list's order, for a sort other than the default
    // and more than one window (the demo data has thousands of alerts).
    for (sort, filter) in [
        (
            "change",
            vec!["--type", "price_change,market_move,off_market"],
        ),
        ("kickoff", vec![]),
    ] {
        let mut filter: Vec<&str> = filter;
        filter.extend(["--sort", sort]);
        let (expected, total) = listed(&run_json, &filter);
        let out = cmd()
            .args(["alerts", "export", "--format", "json"])
            .args(&filter)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let exported: Vec<Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(exported.len() as u64, total, "sort {sort}");
        assert!(exported.len() > 200, "more than one window for sort {sort}");
        assert!(
            exported == expected,
            "sort {sort}: the export differs from the list"
        );
        if sort == "kickoff" {
            let kickoffs: Vec<&str> = exported
                .iter()
                .map(|a| a["eventKickoff"].as_str().unwrap())
                .collect();
            assert!(kickoffs.windows(2).all(|w| w[0] <= w[1]), "soonest first");
        }
    }

    // JSON lines: one API object per line, every alert.
    let (all, total) = listed(&run_json, &[]);
    let out = cmd()
        .args(["alerts", "export", "--format", "ndjson"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total);
    assert!(lines == all, "ndjson is the list's objects in its order");
}

#[test]
fn the_export_parses_back_to_the_lists_alerts_on_sqlite() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "3000", "--seed", "5"])
        .assert()
        .success();
    exports_match_the_list(&|| s.db(), s.home.path());
}

#[tokio::test]
async fn the_export_parses_back_to_the_lists_alerts_on_postgresql() {
    let Some((admin, db, url)) = common::pg_empty_database().await else {
        return;
    };
    let s = Sandbox::new();
    let cmd = || {
        let mut cmd = s.cmd();
        cmd.arg("--database-url").arg(&url);
        cmd
    };
    cmd()
        .args(["demo-data", "--alerts", "3000", "--seed", "5"])
        .assert()
        .success();
    exports_match_the_list(&cmd, s.home.path());
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[test]
fn a_bad_format_or_filter_names_what_is_allowed_and_writes_nothing() {
    let s = Sandbox::new();
    let file = s.home.path().join("out.csv");
    s.db()
        .args(["alerts", "export", "--format", "xml", "--output"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("invalid value 'xml' for '--format")
                .and(predicate::str::contains("csv, json, ndjson")),
        );
    s.db()
        .args(["alerts", "export", "--severity", "urgent", "--output"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("warning, elevated, critical"));
    assert!(!file.exists(), "no file for a refused command");
}

#[test]
fn an_unwritable_output_or_a_full_disk_fails_and_says_the_file_is_incomplete() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "2000"])
        .assert()
        .success();
    s.db()
        .args(["alerts", "export", "--output"])
        .arg(s.home.path().join("no/such/dir/out.csv"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("error: cannot write --output")
                .and(predicate::str::contains("no/such/dir/out.csv")),
        );
    if std::path::Path::new("/dev/full").exists() {
        s.db()
            .args([
                "alerts",
                "export",
                "--format",
                "json",
                "--output",
                "/dev/full",
            ])
            .assert()
            .code(1)
            .stderr(
                predicate::str::contains("error: writing /dev/full failed: No space left")
                    .and(predicate::str::contains(
                        "error: /dev/full is incomplete: the export stopped after",
                    ))
                    .and(predicate::str::contains("its JSON array is not closed")),
            );
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_export_quietly() {
    let s = Sandbox::new();
    s.db()
        .args(["demo-data", "--alerts", "3000"])
        .assert()
        .success();
    // `alerts export | head -c 100`: the reader closes the pipe after far less than the export
    // (about a megabyte, more than a pipe holds).
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("oddswatch"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", s.home.path())
        .env("XDG_CONFIG_HOME", s.home.path().join("config"))
        .env("XDG_DATA_HOME", s.home.path().join("data"))
        .env("RUST_LOG", "warn")
        .args([
            "--database-url",
            &s.url,
            "alerts",
            "export",
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The read end is dropped here.
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&head).starts_with("id,eventId,srId,"));
    assert!(out.status.success(), "exit {:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no message");
}
