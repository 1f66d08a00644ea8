//! The real binary under hostile input: passwords in malformed URLs, arguments past their limits,
//! control characters, and what reaches stderr when it is not a terminal.

use crate::common;
use crate::sandbox;

use predicates::prelude::*;
use sandbox::Sandbox;

/// The password in every URL below; no output may contain any of its pieces.
const PASSWORD_PIECES: &[&str] = &["S3cr", "pw9"];

/// Database URLs of every shape the hostile pass tried, each carrying the password.
const URL_SHAPES: &[&str] = &[
    "postgres:trader:S3crpw9@127.0.0.1:1/odds",
    "postgres//trader:S3crpw9@127.0.0.1:1/odds",
    "postgres://trader:S3cr/pw9@127.0.0.1:1/odds",
    "postgres://trader:S3cr?pw9@127.0.0.1:1/odds",
    "postgres://trader:S3crpw9@127.0.0.1:1/odds",
    "postgres://127.0.0.1:1/odds?user=trader&password=S3crpw9",
];

fn assert_no_password(what: &str, output: &std::process::Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for piece in PASSWORD_PIECES {
        assert!(!text.contains(piece), "{what} shows the password: {text}");
    }
}

#[test]
fn database_passwords_never_appear_in_any_output() {
    let s = Sandbox::new();
    for url in URL_SHAPES {
        for args in [&["config", "print"][..], &["config", "path"], &["migrate"]] {
            let by_flag = s
                .cmd()
                .arg("--database-url")
                .arg(url)
                .args(args)
                .output()
                .unwrap();
            assert_no_password(&format!("--database-url {url} {args:?}"), &by_flag);
            let by_env = s
                .cmd()
                .env("ODDSWATCH_DATABASE_URL", url)
                .args(args)
                .output()
                .unwrap();
            assert_no_password(&format!("ODDSWATCH_DATABASE_URL={url} {args:?}"), &by_env);
        }
    }
}

#[test]
fn arguments_past_their_limits_exit_2_stating_the_limit() {
    let s = Sandbox::new();
    let long_text = "q".repeat(300);
    let long_comment = "c".repeat(1500);
    let cases: &[(&[&str], &str)] = &[
        (
            &["alerts", "list", "--offset", "18446744073709551615"],
            "9223372036854775807",
        ),
        (
            &["alerts", "list", "-q", &long_text],
            "at most 200 characters",
        ),
        (
            &["alerts", "list", "-q", "a\u{1}b"],
            "control character U+0001",
        ),
        (
            &["alerts", "list", "--book", "bet\u{1b}pawa"],
            "control character U+001B",
        ),
        (
            &["alerts", "ack", "1", "--comment", &long_comment],
            "at most 1000 characters",
        ),
        (
            &["alerts", "unack", "1", "--comment", "laid\u{7}off"],
            "control character U+0007",
        ),
        (
            &["alerts", "list", "--type", "arbitrage"],
            "price_change, direction_disagreement, availability, market_move, off_market, margin",
        ),
        (&["alerts", "list", "--pattern", "typo"], "swapped, factor"),
        (&["sim", "--events", "0"], "1..=20000"),
        (&["sim", "--events", "20001"], "1..=20000"),
        (&["serve", "--bind", "0.0.0.0:0"], "requires api.token"),
    ];
    for (args, limit) in cases {
        s.db()
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*limit));
    }
    // The same bind from the environment was already a configuration error (2).
    s.db()
        .env("ODDSWATCH_API_BIND", "0.0.0.0:0")
        .arg("serve")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("requires api.token"));
}

#[test]
fn scrape_with_every_book_disabled_exits_2_naming_the_key() {
    let s = Sandbox::new();
    let mut cmd = s.db();
    for book in ["BETPAWA", "SPORTYBET", "BET9JA", "THEODDSAPI"] {
        cmd.env(format!("ODDSWATCH_BOOKS_{book}_ENABLED"), "false");
    }
    cmd.arg("scrape")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("books.<name>.enabled = true"));
}

#[test]
fn an_unknown_log_level_exits_2_listing_the_levels() {
    let s = Sandbox::new();
    s.db()
        .env("ODDSWATCH_LOG_LEVEL", "verbose")
        .args(["alerts", "stats"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "off, error, warn, info, debug, trace",
        ));
}

/// stderr is a pipe here: no ANSI colour, no "Backtrace omitted" footer, for a configuration
/// error and for a runtime failure alike.
#[test]
fn errors_on_a_pipe_carry_no_colour_and_no_backtrace_footer() {
    let s = Sandbox::new();
    let config_error = s
        .db()
        .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "-5")
        .args(["alerts", "stats"])
        .output()
        .unwrap();
    let runtime_error = s
        .cmd()
        .args(["--database-url", "postgres://nobody@127.0.0.1:1/none"])
        .args(["alerts", "stats"])
        .output()
        .unwrap();
    for (what, output, code) in [("config", config_error, 2), ("runtime", runtime_error, 1)] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{what}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "{what}: colour codes in {stderr:?}"
        );
        assert!(!stderr.contains("Backtrace"), "{what}: footer in {stderr}");
        assert!(!stderr.trim().is_empty(), "{what}: no message");
    }
}

/// On PostgreSQL, with the default log level (info), the ordinary commands print nothing on
/// stderr: no "relation _sqlx_migrations already exists" notice, no slow-statement warnings.
#[tokio::test]
async fn commands_on_postgresql_keep_stderr_clean() {
    let Some((admin, db, url)) = common::pg_empty_database().await else {
        return;
    };
    let s = Sandbox::new();
    for args in [
        &["migrate"][..],
        &["demo-data", "--alerts", "2000"],
        &["migrate"],
        &["alerts", "stats"],
        &["alerts", "list", "--limit", "1"],
    ] {
        let output = s
            .cmd()
            .env_remove("RUST_LOG")
            .arg("--database-url")
            .arg(&url)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// Every field name in `value` (not the keys of `failures`, which are failure kinds).
fn field_names(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                out.push(key.clone());
                if key != "failures" {
                    field_names(value, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| field_names(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_json_uses_camel_case_like_every_other_json_output() {
    let options = oddswatch::sim::SimOptions {
        port: 0,
        events: 3,
        ..oddswatch::sim::SimOptions::default()
    };
    let (_, sim) = oddswatch::sim::start(options).await.unwrap();
    let base = sim.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Sandbox::new()
            .cmd()
            .args([
                "fetch",
                "--book",
                "sportybet",
                "--base-url",
                &base,
                "--json",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["events"][0]["eventKey"].is_string(), "{report}");
    assert!(report["elapsedMs"].is_number(), "{report}");
    let mut names = Vec::new();
    field_names(&report, &mut names);
    let snake: Vec<&String> = names.iter().filter(|n| n.contains('_')).collect();
    assert!(snake.is_empty(), "snake_case fields: {snake:?}");
    sim.shutdown().await;
}
