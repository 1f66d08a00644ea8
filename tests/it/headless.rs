//! The monitor without a terminal, in-process: [`Headless`] prints every alert stored after it
//! began exactly once, in order — including the alerts of the batch the pipeline stores while
//! it stops (the one that used to be missed) — and never the alerts that were there before.

use crate::common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::Severity;
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::live::{Change, ChangeFeed};
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
                feed.publish(Change::Created(written.alert_ids));
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
                feed.publish(Change::Created(written.alert_ids));
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
