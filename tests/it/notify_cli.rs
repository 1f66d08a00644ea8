//! `oddswatch notify …` as an operator runs it: a test message to a real receiver (signed,
//! the URL's token never printed), an unknown target refused with the configured ones, a
//! receiver that refuses, `status --json`, and rules added and refused.

use std::process::Command;

use oddswatch::domain::verify;

use crate::notify::receiver::Receiver;

#[derive(Clone)]
struct Setup {
    dir: std::sync::Arc<tempfile::TempDir>,
    config: std::path::PathBuf,
    url: String,
}

fn setup(receiver: &Receiver) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[notify.targets]]
name = "desk"
format = "telegram"
url = "{}"
secret = "cli-key"
chat_id = "-42"
[[notify.rules]]
target = "desk"
min_severity = "critical"
"#,
            receiver.url("botT0KEN/sendMessage")
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}", dir.path().join("o.db").display());
    Setup {
        dir: std::sync::Arc::new(dir),
        config,
        url,
    }
}

fn run(s: &Setup, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_oddswatch"))
        .args([
            "--config",
            s.config.to_str().unwrap(),
            "--database-url",
            &s.url,
        ])
        .args(args)
        .env("HOME", s.dir.path())
        .env("XDG_DATA_HOME", s.dir.path().join("data"))
        .env("XDG_CONFIG_HOME", s.dir.path().join("config"))
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

/// [`run`] off the test's runtime, which serves the receiver meanwhile.
async fn run_off(s: &Setup, args: &'static [&'static str]) -> (i32, String, String) {
    let s = s.clone();
    tokio::task::spawn_blocking(move || run(&s, args))
        .await
        .unwrap()
}

#[tokio::test]
async fn notify_test_sends_a_signed_message_and_never_prints_the_token() {
    let mut receiver = Receiver::start().await;
    let s = setup(&receiver);
    let (code, out, err) = run_off(&s, &["notify", "test", "desk"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("HTTP 200") && out.contains("signed"), "{out}");
    assert!(
        !out.contains("T0KEN") && !err.contains("T0KEN"),
        "{out}{err}"
    );
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["chat_id"], "-42");
    assert!(body["text"].as_str().unwrap().contains("\"desk\""));
    let header = got[0].signature.clone().unwrap();
    let t: i64 = header[2..header.find(',').unwrap()].parse().unwrap();
    verify(b"cli-key", &header, &got[0].body, t, 0).unwrap();

    let (code, _, err) = run(&s, &["notify", "test", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no notify target \"nope\"; configured targets: desk"),
        "{err}"
    );

    receiver.stop().await;
    let (code, out, err) = run_off(&s, &["notify", "test", "desk"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("did not take the test message: could not connect"),
        "{err}"
    );
    assert!(!err.contains("T0KEN"), "{err}");
}

#[test]
fn notify_status_and_rules_on_a_fresh_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let receiver = rt.block_on(Receiver::start());
    let s = setup(&receiver);
    let (code, out, err) = run(&s, &["notify", "status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["name"], "desk");
    assert_eq!(rows[0]["state"], "ok");
    assert_eq!(rows[0]["signed"], true);
    assert!(!out.contains("T0KEN"), "{out}");

    let (code, _, err) = run(&s, &["notify", "rules", "add", "--target", "pager"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--target \"pager\"") && err.contains("desk"),
        "{err}"
    );
    let (code, _, err) = run(
        &s,
        &[
            "notify", "rules", "add", "--target", "desk", "--type", "nope",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("price_change"), "{err}");
    let (code, out, err) = run(
        &s,
        &[
            "notify",
            "rules",
            "add",
            "--target",
            "desk",
            "--min-severity",
            "elevated",
            "--type",
            "off_market,margin",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added rule 1 → desk"), "{out}");
    let (_, out, _) = run(&s, &["notify", "rules", "list"]);
    assert!(out.contains("config") && out.contains("database"), "{out}");
    assert!(
        out.contains("elevated+") && out.contains("off_market,margin"),
        "{out}"
    );
    let (code, out, _) = run(&s, &["notify", "rules", "remove", "1"]);
    assert_eq!((code, out.trim()), (0, "removed rule 1"));
    let (code, _, err) = run(&s, &["notify", "rules", "remove", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("no stored rule 1"), "{err}");
    let (code, out, _) = run(&s, &["notify", "resume", "desk"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to resume"), "{out}");
}

#[test]
fn a_paused_target_makes_oddswatch_status_unhealthy_and_says_how_to_resume() {
    use oddswatch::config::Config;
    use oddswatch::notify::Sender;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let receiver = rt.block_on(Receiver::start());
    receiver.answer(503);
    let s = setup(&receiver);
    // Five failed attempts by the schedule pause the target.
    let config = Config::load(&oddswatch::config::ConfigSources {
        file: Some(s.config.clone()),
        ..Default::default()
    })
    .unwrap();
    rt.block_on(async {
        let store = oddswatch::store::Store::open(&s.url, 1).await.unwrap();
        let rules = config.notify.rules.clone();
        let mut batch = crate::store_noise::batch(
            0,
            &["7001"],
            vec![crate::store_noise::detection(
                "7001",
                0,
                2.0,
                2.4,
                oddswatch::domain::Severity::Critical,
            )],
            oddswatch::domain::NoisePolicy::default(),
        );
        batch.notify = rules;
        store.write_cycle_batch(&batch).await.unwrap();
        let sender = Sender::new(store.clone(), config.notify.clone());
        let t0 = crate::store_noise::at(0);
        for secs in [0, 1, 31, 331, 3931] {
            sender
                .pass(t0 + chrono::Duration::seconds(secs))
                .await
                .unwrap();
        }
        store.close().await;
    });
    let (code, out, err) = run(&s, &["status"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("notifications:"), "{out}");
    assert!(out.contains("desk") && out.contains("paused"), "{out}");
    assert!(
        out.contains("5 failures in a row: answered HTTP 503"),
        "{out}"
    );
    assert!(out.contains("`oddswatch notify resume desk`"), "{out}");
    let (code, out, _) = run(&s, &["status", "--json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["notify"][0]["state"], "paused");
    assert!(!out.contains("T0KEN"));
    let (code, out, _) = run(&s, &["notify", "resume", "desk"]);
    assert_eq!(code, 0);
    assert!(out.contains("resumed desk: 1 waiting"), "{out}");
    let (_, out, _) = run(&s, &["notify", "status", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["state"], "ok");
}
