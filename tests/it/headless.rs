//! The monitor without a terminal, in-process: [`Headless`] prints every alert stored after it
//! began exactly once, in order — including the alerts of the batch the pipeline stores while
//! it stops (the one that used to be missed) — and never the alerts that were there before.
//! And the live feed the monitor's screens follow: the writer's own publishing and the poll
//! together deliver each committed change exactly once.

use crate::common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::Severity;
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::live::{Change, ChangeFeed, spawn_poller};
use oddswatch::pipeline::writer::{RetryPolicy, spawn_publishing_writer};
use oddswatch::service::AlertService;
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord, Store};
use oddswatch::tui::Headless;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// A batch of one event with `alerts` price-change alerts on it.
fn batch(key: &str, alerts: usize) -> CycleBatch {
    let alert = AlertBuilder::new()
        .event_key(key)
        .severity(Severity::Elevated)
        .prices(2.0, 1.8)
        .detected_at(t0())
        .kickoff(t0() + Duration::days(400))
        .build();
    CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: t0(),
        events: vec![BatchEvent {
            record: EventRecord {
                sr_id: key.into(),
                home_team: "Enyimba".into(),
                away_team: "Rivers United".into(),
                tournament: None,
                country: None,
                kickoff: Some(t0() + Duration::days(400)),
            },
            books: vec![("betpawa".into(), format!("bp-{key}"))],
        }],
        odds: vec![],
        alerts: vec![alert; alerts],
        // These repeated detections were written as one alert each (before noise control
        // folded them, issue 15): dedup off keeps the fixture meaning what it did.
        noise: oddswatch::domain::NoisePolicy {
            dedup: false,
            ..Default::default()
        },
    }
}

/// What the printer wrote, shared with the test.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Printed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Printed {
    fn ids(&self) -> Vec<i64> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|line| {
                let alert: serde_json::Value = serde_json::from_str(line).unwrap();
                alert["id"].as_i64().unwrap()
            })
            .collect()
    }
}

async fn stored_ids(store: &Store) -> Vec<i64> {
    store
        .alerts_after(0, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect()
}

#[tokio::test]
async fn alerts_stored_while_the_pipeline_stops_are_printed_and_earlier_ones_are_not() {
    for db in common::all_dbs().await {
        let store = db.store.clone();
        store.write_cycle_batch(&batch("1001", 2)).await.unwrap();
        let before = stored_ids(&store).await;
        let service = AlertService::new(store.clone(), "t");
        let headless = Headless::begin(service).await.unwrap();
        let feed = ChangeFeed::default();
        let printed = Printed::default();

        // While it follows: a batch is stored and the feed says so. Then the stop signal; the
        // pipeline's last batch is stored while it stops, after the signal.
        let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
        let during = {
            let (store, feed) = (store.clone(), feed.clone());
            tokio::spawn(async move {
                let written = store.write_cycle_batch(&batch("1002", 3)).await.unwrap();
                let alerts = store.get_alerts(&written.alert_ids).await.unwrap();
                feed.publish(Change::Created(alerts.into()));
                signal_tx.send(()).unwrap();
            })
        };
        let stopping = {
            let store = store.clone();
            async move {
                store.write_cycle_batch(&batch("1003", 4)).await.unwrap();
                "stopped"
            }
        };
        let (stopped, result) = headless
            .run(
                &feed,
                printed.clone(),
                async move {
                    let _ = signal_rx.await;
                },
                stopping,
            )
            .await;
        during.await.unwrap();
        result.unwrap();
        assert_eq!(stopped, "stopped");

        let all = stored_ids(&store).await;
        let expected: Vec<i64> = all.into_iter().filter(|id| !before.contains(id)).collect();
        assert_eq!(expected.len(), 7);
        assert_eq!(
            printed.ids(),
            expected,
            "{}: every alert stored after the start, once, in order",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_lagging_feed_or_a_bulk_change_loses_nothing() {
    let db = common::sqlite_db().await;
    let store = db.store.clone();
    let headless = Headless::begin(AlertService::new(store.clone(), "t"))
        .await
        .unwrap();
    // A feed too small for the burst: the printer lags, and must still print every alert.
    let feed = ChangeFeed::new(1);
    let printed = Printed::default();
    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
    let burst = {
        let (store, feed, printed) = (store.clone(), feed.clone(), printed.clone());
        tokio::spawn(async move {
            for n in 0..5 {
                let written = store
                    .write_cycle_batch(&batch(&format!("20{n:02}"), 300))
                    .await
                    .unwrap();
                let alerts = store.get_alerts(&written.alert_ids).await.unwrap();
                feed.publish(Change::Created(alerts.into()));
            }
            feed.publish(Change::Reload);
            // Everything is printed while following, before any stop.
            while printed.ids().len() < 1500 {
                tokio::task::yield_now().await;
            }
            signal_tx.send(()).unwrap();
        })
    };
    let (_, result) = headless
        .run(
            &feed,
            printed.clone(),
            async move {
                let _ = signal_rx.await;
            },
            async {},
        )
        .await;
    burst.await.unwrap();
    result.unwrap();
    assert_eq!(printed.ids(), stored_ids(&store).await);
    db.finish().await;
}

/// Every change received until `until` holds for what was received (or 10 s pass), then
/// 300 ms more so that a duplicate would have arrived too.
async fn collect_changes(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    until: impl Fn(&[Change]) -> bool,
) -> Vec<Change> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !until(&got) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(change)) => got.push(change),
            Ok(Err(e)) => panic!("the feed failed: {e}"),
            Err(_) => break,
        }
    }
    let grace = tokio::time::Instant::now() + std::time::Duration::from_millis(300);
    while let Ok(Ok(change)) = tokio::time::timeout_at(grace, rx.recv()).await {
        got.push(change);
    }
    got
}

/// The ids of every `Created` and every `Updated` change, in arrival order.
fn ids_of(changes: &[Change]) -> (Vec<i64>, Vec<i64>) {
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for change in changes {
        match change {
            Change::Created(alerts) => created.extend(alerts.iter().map(|a| a.id)),
            Change::Updated(alerts) => updated.extend(alerts.iter().map(|a| a.id)),
            Change::Reload => panic!("no reload expected: {changes:?}"),
        }
    }
    (created, updated)
}

#[tokio::test]
async fn the_writers_publishing_and_the_poll_deliver_each_committed_change_exactly_once() {
    for db in common::all_dbs().await {
        let store = db.store.clone();
        let feed = ChangeFeed::default();
        let mut rx = feed.subscribe();
        // A fast poll, so that it often reads a batch's rows before the writer publishes them.
        let poller = spawn_poller(
            store.clone(),
            feed.clone(),
            std::time::Duration::from_millis(5),
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_publishing_writer(
            store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            4,
            &feed,
        );
        let mut written = Vec::new();
        for n in 0..20 {
            let outcome = queue
                .send_and_track(batch(&format!("30{n:02}"), 1 + n % 3))
                .await
                .unwrap()
                .await
                .unwrap();
            let oddswatch::pipeline::writer::WriteOutcome::Stored { written: w, .. } = outcome
            else {
                panic!("{}: not stored: {outcome:?}", db.name);
            };
            written.extend(w.alert_ids);
        }
        // An acknowledgement reaches this process only through the log.
        let service = AlertService::new(store.clone(), "ada");
        service.acknowledge(&written[..2], None).await.unwrap();

        let changes = collect_changes(&mut rx, |got| {
            let (created, updated) = ids_of(got);
            created.len() >= written.len() && updated.len() >= 2
        })
        .await;
        let (mut created, updated) = ids_of(&changes);
        created.sort_unstable();
        assert_eq!(created, written, "{}: every new alert once", db.name);
        assert_eq!(
            updated,
            written[..2],
            "{}: the acknowledgement once",
            db.name
        );
        let acknowledged = changes.iter().find_map(|c| match c {
            Change::Updated(alerts) => Some(alerts.clone()),
            _ => None,
        });
        assert!(
            acknowledged
                .unwrap()
                .iter()
                .all(|a| a.acknowledged_by.as_deref() == Some("ada")),
            "{}: updates carry the alert as it is now",
            db.name
        );
        drop(queue);
        writer.await.unwrap();
        poller.abort();
        db.finish().await;
    }
}

#[tokio::test]
async fn in_one_process_a_stored_batch_is_published_without_any_poll() {
    for db in common::all_dbs().await {
        let store = db.store.clone();
        let feed = ChangeFeed::default();
        let mut rx = feed.subscribe();
        // No poller follows the log: only the writer's own publishing can deliver.
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = spawn_publishing_writer(
            store.clone(),
            dir.path().into(),
            RetryPolicy::default(),
            4,
            &feed,
        );
        queue.send(batch("4001", 2)).await.unwrap();
        let change = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv())
            .await
            .expect("published within 2 s")
            .unwrap();
        let Change::Created(alerts) = change else {
            panic!("{}: unexpected {change:?}", db.name);
        };
        assert_eq!(alerts.len(), 2, "{}", db.name);
        assert!(alerts.iter().all(|a| a.sr_id == "4001"));
        drop(queue);
        writer.await.unwrap();
        db.finish().await;
    }
}
