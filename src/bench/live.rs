//! The live path: how long after the writer commits a batch its alert is visible to a
//! subscriber. In one process (the monitor: the writer publishes onto the feed its UI and API
//! follow, with the poller running beside it as it does there) and across processes (the
//! writer here, an `oddswatch serve` child on the same database streaming `/api/alerts/stream`;
//! it polls the change log every [`POLL_EVERY`], and on PostgreSQL a NOTIFY wakes it).
//!
//! "Committed" is the moment the writer reports the batch stored (it reports right after the
//! commit); "visible" is the moment the subscriber holds the alert (the feed's change, or the
//! stream's `alert` event). Each write waits a random part of a poll interval first, so the
//! cross-process figure samples every phase of the poll instead of the same one each time.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use futures::StreamExt;
use rand::Rng;
use serde::Serialize;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use super::read::{Latency, latency};
use super::{BenchOptions, Scratch};
use crate::live::{Change, ChangeFeed, POLL_EVERY, spawn_poller};
use crate::pipeline::writer::{
    QUEUE_BATCHES, RetryPolicy, WriteOutcome, WriteQueue, spawn_publishing_writer, spawn_writer,
};
use crate::store::{Backend, CycleBatch};

/// Commit → visible latencies of one backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveReport {
    /// Alerts timed per path.
    pub samples: u64,
    /// Writer and subscriber in one process.
    pub in_process: Latency,
    /// Writer in this process, subscriber the API stream of another process.
    pub cross_process: Latency,
}

/// Longest wait for one alert to become visible before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(10);

/// Times `samples` alerts on each path on a scratch database of `backend`.
pub async fn measure(
    exe: &Path,
    backend: Backend,
    options: &BenchOptions,
    samples: usize,
) -> Result<LiveReport> {
    let scratch = Scratch::new(backend, &options.postgres_admin_url).await?;
    let in_process = in_process(&scratch, samples).await;
    let cross_process = match &in_process {
        Ok(_) => cross_process(exe, &scratch, samples).await,
        Err(_) => Ok(Latency::default()),
    };
    scratch.finish().await;
    Ok(LiveReport {
        samples: samples as u64,
        in_process: in_process?,
        cross_process: cross_process?,
    })
}

/// The monitor's wiring: a publishing writer and a poller on one feed, a subscriber on it.
async fn in_process(scratch: &Scratch, samples: usize) -> Result<Latency> {
    let store = scratch.store.clone();
    let feed = ChangeFeed::default();
    let poller = spawn_poller(store.clone(), feed.clone(), POLL_EVERY);
    let dir = tempfile::tempdir()?;
    let (queue, writer) = spawn_publishing_writer(
        store,
        dir.path().into(),
        RetryPolicy::default(),
        QUEUE_BATCHES,
        &feed,
    );
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let mut changes = feed.subscribe();
    let listener = tokio::spawn(async move {
        while let Ok(change) = changes.recv().await {
            let at = Instant::now();
            if let Change::Created(alerts) = change {
                for alert in alerts.iter() {
                    let _ = seen_tx.send((alert.id, at));
                }
            }
        }
    });
    // Let the poller read its cursor first, as it has long done in a running monitor.
    tokio::time::sleep(POLL_EVERY).await;
    let result = time_alerts(&queue, seen, samples, "in-process").await;
    listener.abort();
    poller.abort();
    drop(queue);
    writer.await?;
    result
}

/// The writer here; `oddswatch serve` on the same database in a child process, followed
/// through its event stream.
async fn cross_process(exe: &Path, scratch: &Scratch, samples: usize) -> Result<Latency> {
    let home = tempfile::tempdir()?;
    let config = home.path().join("config.toml");
    std::fs::write(&config, "")?;
    let mut command = tokio::process::Command::new(exe);
    for (key, _) in std::env::vars() {
        if key.starts_with("ODDSWATCH_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .env("ODDSWATCH_CONFIG", &config)
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("RUST_LOG", "warn")
        .args([
            "--database-url",
            &scratch.url,
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .wrap_err_with(|| format!("starting `{} serve`", exe.display()))?;
    let result = async {
        let stdout = child.stdout.take().ok_or_else(|| eyre!("no stdout"))?;
        let base = served_at(stdout).await?;
        let response = reqwest::Client::new()
            .get(format!("{base}/api/alerts/stream"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .wrap_err("opening the child's event stream")?;
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let listener = tokio::spawn(async move {
            let mut body = response.bytes_stream();
            let mut text = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                let at = Instant::now();
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = text.find("\n\n") {
                    if let Some(id) = alert_event_id(&text[..end]) {
                        let _ = seen_tx.send((id, at));
                    }
                    text.drain(..end + 2);
                }
            }
        });
        // The child's poller reads its cursor as it starts: give it a poll interval.
        tokio::time::sleep(2 * POLL_EVERY).await;
        let dir = tempfile::tempdir()?;
        let (queue, writer) = spawn_writer(
            scratch.store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            QUEUE_BATCHES,
        );
        let result = time_alerts(&queue, seen, samples, "cross-process").await;
        listener.abort();
        drop(queue);
        writer.await?;
        result
    }
    .await;
    let _ = child.start_kill();
    let _ = child.wait().await;
    result
}

/// Reads the child's "serving … on http://ADDR/api" line; returns `http://ADDR`.
async fn served_at(stdout: tokio::process::ChildStdout) -> Result<String> {
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .wrap_err("the serve child did not start in time")??
        .ok_or_else(|| eyre!("the serve child exited before listening"))?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| eyre!("unexpected first line of the serve child: {line:?}"))?;
    Ok(url.trim_end_matches("/api").to_string())
}

/// The alert id of one Server-Sent Event block, if it is an `alert` event.
fn alert_event_id(block: &str) -> Option<i64> {
    let mut event = None;
    let mut id = None;
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            event = Some(name.trim());
        } else if let Some(value) = line.strip_prefix("id:") {
            id = value.trim().parse().ok();
        }
    }
    (event == Some("alert")).then_some(id).flatten()
}

/// Writes one alert at a time through `queue` and times commit → the moment `seen` reports it.
async fn time_alerts(
    queue: &WriteQueue,
    mut seen: mpsc::UnboundedReceiver<(i64, Instant)>,
    samples: usize,
    path: &str,
) -> Result<Latency> {
    let mut timings = Vec::with_capacity(samples);
    // One more write than timed: the first warms the connections and the stream.
    for n in 0..=samples {
        let pause = rand::thread_rng().gen_range(Duration::ZERO..POLL_EVERY);
        tokio::time::sleep(pause).await;
        let outcome = queue
            .send_and_track(sample_batch(n, Utc::now()))
            .await?
            .await
            .wrap_err("the writer stopped")?;
        let committed = Instant::now();
        let WriteOutcome::Stored { written, .. } = outcome else {
            bail!("{path}: a benchmark batch was not stored: {outcome:?}");
        };
        let [id] = written.alert_ids[..] else {
            bail!("{path}: a benchmark batch stored {:?}", written.alert_ids);
        };
        let visible = tokio::time::timeout(PATIENCE, async {
            while let Some((seen_id, at)) = seen.recv().await {
                if seen_id == id {
                    return Some(at);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| eyre!("{path}: alert {id} was not visible within {PATIENCE:?}"))?;
        if n > 0 {
            timings.push(visible.saturating_duration_since(committed));
        }
    }
    Ok(latency(&mut timings))
}

/// One event with one critical price-change alert, as a batch. Written in the batch's
/// serialised (dead-letter) shape, which stays readable across versions of the alert type.
/// Dedup is off: both paths write the same events, and each write must store a new alert.
fn sample_batch(n: usize, at: DateTime<Utc>) -> CycleBatch {
    let key = format!("live-{n}");
    let kickoff = at + chrono::Duration::days(30);
    serde_json::from_value(serde_json::json!({
        "at": at,
        "events": [{
            "record": {
                "sr_id": key,
                "home_team": "Enyimba",
                "away_team": "Rivers United",
                "tournament": "NPFL",
                "country": "Nigeria",
                "kickoff": kickoff,
            },
            "books": [["betpawa", format!("bp-{key}")]],
        }],
        "odds": [],
        "noise": {"dedup": false, "cooldown": 30},
        "alerts": [{
            "event_key": key,
            "alert": {
                "eventId": 0,
                "bookmaker": "betpawa",
                "marketId": "3743",
                "marketName": "1X2 | Full Time",
                "line": null,
                "outcomeName": "1",
                "alertType": "price_change",
                "severity": "critical",
                "changePct": -25.0,
                "oldPrice": 2.0,
                "newPrice": 1.5,
                "competitorBookmaker": null,
                "competitorOldPrice": null,
                "competitorNewPrice": null,
                "competitorDirection": null,
                "gapPct": null,
                "availability": null,
                "unavailableSecs": null,
                "marketsAffected": null,
                "detectedAt": at,
                "eventKickoff": kickoff,
            },
        }],
    }))
    .expect("the benchmark batch matches the batch's serialised shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_batch_is_one_event_with_one_alert_on_it() {
        let batch = sample_batch(3, Utc::now());
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.alerts.len(), 1);
        assert_eq!(batch.alerts[0].event_key, "live-3");
        assert_eq!(batch.events[0].record.sr_id, "live-3");
    }

    #[test]
    fn only_alert_events_of_the_stream_name_an_alert() {
        assert_eq!(alert_event_id("event: alert\nid: 42\ndata: {}"), Some(42));
        assert_eq!(alert_event_id("event: update\nid: 42\ndata: {}"), None);
        assert_eq!(alert_event_id("event: reload\ndata: {}"), None);
        assert_eq!(alert_event_id(": keep-alive"), None);
    }
}
