//! `/metrics` (DESIGN §12) over real HTTP: `oddswatch scrape` with its embedded simulator and a
//! fresh SQLite file serving it on `scrape.metrics_bind`, the API serving it behind its token,
//! and the scrape refusing an address it cannot bind.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::api_server;
use crate::common::sqlite_db;

/// A loopback port free right now (the OS picked it; it is released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The sum of the values of every sample line of `name` (any labels) whose labels contain
/// every one of `labels`.
fn sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let rest = series.strip_prefix(name)?;
            // `name` exactly, not a longer name that starts with it.
            (rest.is_empty() || rest.starts_with('{')).then_some(())?;
            labels
                .iter()
                .all(|l| rest.contains(l))
                .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// Kills the scrape when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn scrape_serves_cycle_phases_book_requests_and_alerts_on_metrics_bind() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("metrics.db").display());
    let addr = format!("127.0.0.1:{}", free_port());
    let _child = Running(
        Command::new(env!("CARGO_BIN_EXE_oddswatch"))
            .args(["--database-url", &url, "scrape"])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("ODDSWATCH_SIM_EVENTS", "30")
            .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", &addr)
            .env("ODDSWATCH_API_ENABLED", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let metrics_url = format!("http://{addr}/metrics");
    // Alerts come from the simulator's moves after the first (warm-up) cycle.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (content_type, text) = loop {
        assert!(
            Instant::now() < deadline,
            "no cycle with alerts on /metrics within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(response) = client.get(&metrics_url).send().await else {
            continue;
        };
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let text = response.text().await.unwrap();
        if sum(&text, "oddswatch_cycles_total", &[]) >= 1.0
            && sum(&text, "oddswatch_alerts_total", &[]) > 0.0
        {
            break (content_type, text);
        }
    };
    assert_eq!(content_type, "text/plain; version=0.0.4");
    for phase in ["discovery", "fetch", "detect", "persist", "total"] {
        let label = format!("phase=\"{phase}\"");
        assert!(
            sum(&text, "oddswatch_cycle_duration_seconds_count", &[&label]) >= 1.0,
            "{phase}: {text}"
        );
    }
    assert!(
        sum(
            &text,
            "oddswatch_cycle_duration_seconds_sum",
            &["phase=\"total\""]
        ) > 0.0,
        "{text}"
    );
    for book in ["betpawa", "sportybet", "bet9ja"] {
        let label = format!("book=\"{book}\"");
        assert!(
            sum(&text, "oddswatch_book_requests_total", &[&label]) > 0.0,
            "{book}: {text}"
        );
        assert!(
            sum(&text, "oddswatch_book_request_seconds_count", &[&label]) > 0.0,
            "{book}: {text}"
        );
    }
    // Alerts carry both labels, with the wire names.
    let alert_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("oddswatch_alerts_total{"))
        .collect();
    assert!(!alert_lines.is_empty(), "{text}");
    for line in &alert_lines {
        assert!(
            line.contains("type=\"") && line.contains("severity=\""),
            "{line}"
        );
    }
    assert!(sum(&text, "oddswatch_cycle_events", &[]) > 0.0, "{text}");
    assert!(sum(&text, "oddswatch_shards_owned", &[]) > 0.0, "{text}");
    assert!(
        text.contains("# HELP oddswatch_book_requests_total"),
        "{text}"
    );
    // Only /metrics is served there.
    let other = client
        .get(format!("http://{addr}/api/alerts"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn scrape_exits_2_naming_metrics_bind_when_it_cannot_bind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("taken.db").display());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_oddswatch"))
            .args(["--database-url", &url, "scrape"])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", &addr)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("scrape.metrics_bind"), "{stderr}");
    let addr = taken.local_addr().unwrap().to_string();
    assert!(stderr.contains(&addr), "{stderr}");
}

#[tokio::test]
async fn scrape_refuses_a_bad_metrics_bind_naming_the_key() {
    let sandbox = crate::sandbox::Sandbox::new();
    let output = sandbox
        .db()
        .env("ODDSWATCH_SCRAPE_METRICS_BIND", "metrics.local")
        .arg("scrape")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("scrape.metrics_bind") && stderr.contains("metrics.local"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_api_serves_metrics_only_with_its_bearer_token() {
    let db = sqlite_db().await;
    let server = api_server::start_plain(&db.store, Some("s3cret")).await;
    let url = format!("{}/metrics", server.base);
    let refused = server.client.get(&url).send().await.unwrap();
    // Something to render, whatever else this process recorded; the server has installed the
    // recorder by now (it answered).
    oddswatch::metrics::record_target_paused("metrics-api-test", true);
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let wrong = server
        .client
        .get(&url)
        .bearer_auth("s3cre")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let served = server
        .client
        .get(&url)
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    let text = served.text().await.unwrap();
    assert_eq!(
        sum(
            &text,
            "oddswatch_notify_target_paused",
            &["target=\"metrics-api-test\""]
        ),
        1.0,
        "{text}"
    );
    assert!(
        text.contains("# TYPE oddswatch_notify_target_paused gauge"),
        "{text}"
    );
    drop(server);
    db.finish().await;
}
