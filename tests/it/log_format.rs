//! `log.format = "json"`: a real `oddswatch scrape` writes one JSON object per line on stderr
//! and in the log file, with the database password and the API token nowhere in them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use crate::common;
use crate::sandbox::Sandbox;

const PASSWORD: &str = "pw-never-logged-7Q";
const TOKEN: &str = "token-never-logged-9Z";

/// Each line of `text` parsed as a JSON object (the test fails naming the first that is not).
fn json_lines(what: &str, text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {line}"));
            assert!(value.is_object(), "{what}: not an object: {line}");
            value
        })
        .collect()
}

/// Runs `scrape` with JSON logs until its first finished cycle, stops it with SIGTERM and
/// returns its stderr and the log folder's text.
fn scrape_until_a_cycle(s: &Sandbox, url: &str) -> (String, String) {
    let log_dir = s.home.path().join("logs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oddswatch"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ODDSWATCH_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args(["--database-url", url, "scrape"])
        .env("HOME", s.home.path())
        .env("XDG_CONFIG_HOME", s.home.path().join("config"))
        .env("XDG_DATA_HOME", s.home.path().join("data"))
        .env("ODDSWATCH_LOG_FORMAT", "json")
        .env("ODDSWATCH_SCRAPE_METRICS_BIND", "")
        .env("ODDSWATCH_LOG_DIR", &log_dir)
        .env("ODDSWATCH_API_TOKEN", TOKEN)
        .env("ODDSWATCH_SIM_EVENTS", "20")
        .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(90)) {
        let done = line.contains("cycle done");
        seen.push(line);
        if done {
            break;
        }
    }
    assert!(
        seen.last().is_some_and(|l| l.contains("cycle done")),
        "no finished cycle within 90 s: {seen:?}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    seen.extend(lines_rx.try_iter());
    assert!(status.success(), "exit {status:?}: {seen:?}");
    let mut file_text = String::new();
    for entry in std::fs::read_dir(&log_dir).unwrap() {
        file_text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    (seen.join("\n"), file_text)
}

fn check(what: &str, text: &str, database: &str) {
    assert!(!text.contains(PASSWORD), "{what} shows the password");
    assert!(!text.contains(TOKEN), "{what} shows the API token");
    assert!(!text.contains("\u{1b}["), "{what} has colour codes");
    let lines = json_lines(what, text);
    for line in &lines {
        for key in ["timestamp", "level", "target"] {
            assert!(line[key].is_string(), "{what}: no {key}: {line}");
        }
    }
    let start = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("scraping;"))
        })
        .unwrap_or_else(|| panic!("{what}: no start line"));
    assert_eq!(start["level"], "INFO");
    assert_eq!(start["database"], database, "{what}: {start}");
    let cycle = lines
        .iter()
        .find(|l| l["message"] == "cycle done")
        .unwrap_or_else(|| panic!("{what}: no cycle line"));
    assert_eq!(cycle["events"], 20, "fields are JSON values: {cycle}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_on_stderr_and_in_the_file_without_secrets() {
    let s = Sandbox::new();
    // PostgreSQL with a password in the URL (trust authentication ignores it) when available;
    // otherwise SQLite, where the token is the secret checked.
    let pg = common::pg_empty_database().await;
    let (url, shown) = match &pg {
        Some((_, _, url)) => {
            let mut with_password = url::Url::parse(url).unwrap();
            with_password.set_password(Some(PASSWORD)).unwrap();
            let shown = oddswatch::config::redact_url(with_password.as_str());
            (with_password.to_string(), shown)
        }
        None => (s.url.clone(), s.url.clone()),
    };
    let (stderr, file) = tokio::task::spawn_blocking(move || scrape_until_a_cycle(&s, &url))
        .await
        .unwrap();
    if let Some((admin, db, _)) = pg {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    check("stderr", &stderr, &shown);
    check("log file", &file, &shown);
}

#[test]
fn a_failing_command_ends_with_a_json_error_line() {
    let s = Sandbox::new();
    // A database folder that cannot be created: the command fails at once.
    let blocker = s.home.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let url = format!("sqlite://{}", blocker.join("x.db").display());
    let out = s
        .cmd()
        .env_remove("RUST_LOG")
        .env("ODDSWATCH_LOG_FORMAT", "json")
        .args(["--database-url", &url, "migrate"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let lines = json_lines("stderr", &String::from_utf8(out).unwrap());
    let last = lines.last().expect("an error line");
    assert_eq!(last["level"], "ERROR", "{last}");
    assert_eq!(last["message"], "command failed", "{last}");
    let error = last["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(&format!(
            "cannot create the database folder {}",
            blocker.display()
        )),
        "{last}"
    );
}

#[test]
fn an_unknown_log_format_is_refused_naming_the_key_and_the_choices() {
    let s = Sandbox::new();
    s.db()
        .env("ODDSWATCH_LOG_FORMAT", "xml")
        .args(["config", "print"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("log.format = \"xml\"")
                .and(predicate::str::contains("must be one of text, json")),
        );
    let file = s.home.path().join("old.toml");
    std::fs::write(&file, "[log]\nlevel = \"warn\"\n").unwrap();
    s.db()
        .arg("--config")
        .arg(&file)
        .args(["config", "print"])
        .assert()
        .success()
        .stdout(predicate::str::contains("format = \"text\""));
}
