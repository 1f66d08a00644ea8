//! The pipeline's side of the store on both backends: cycle batches, scrape runs, warm-up and
//! retention.

use crate::common;

use common::count;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{AlertType, DetectedAlert, Line, OutcomeOdds, Price, Severity};
use oddswatch::health::{BookCounts, BookStatus};
use oddswatch::store::{
    BatchEvent, BookRun, CycleBatch, EventRecord, OddsWrite, RunStatus, RunSummary, StoreError,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn outcomes(prices: &[(&str, u32, bool)]) -> Vec<OutcomeOdds> {
    prices
        .iter()
        .map(|(n, p, a)| OutcomeOdds {
            name: n.to_string(),
            price: Price::from_milli(*p),
            active: *a,
        })
        .collect()
}

fn event(key: &str) -> BatchEvent {
    BatchEvent {
        record: EventRecord {
            sr_id: key.into(),
            home_team: "Enyimba".into(),
            away_team: "Rivers United".into(),
            tournament: Some("NPFL".into()),
            country: Some("Nigeria".into()),
            kickoff: Some(t0() + Duration::hours(3)),
        },
        books: vec![
            ("betpawa".into(), format!("bp-{key}")),
            ("theoddsapi:pinnacle".into(), format!("toa-{key}")),
        ],
    }
}

fn odds(key: &str, book: &str, prices: &[(&str, u32, bool)], history: bool) -> OddsWrite {
    OddsWrite {
        event_key: key.into(),
        bookmaker: book.into(),
        market_id: "5000".into(),
        line: "2.5".into(),
        outcomes: outcomes(prices),
        available: true,
        unavailable_since: None,
        record_history: history,
    }
}

fn alert(event_key: &str, kickoff: DateTime<Utc>) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(event_key)
        .market("5000", "Over/Under | Full Time")
        .line(2.5)
        .outcome(Some("Over"))
        .severity(Severity::Elevated)
        .prices(2.0, 1.8)
        .detected_at(t0())
        .kickoff(kickoff)
        .build()
}

#[tokio::test]
async fn a_cycle_batch_stores_events_odds_history_and_alerts_together() {
    for db in common::all_dbs().await {
        let s = &db.store;
        let first = CycleBatch {
            fence: None,
            notify: Vec::new(),
            at: t0(),
            events: vec![event("61300947"), event("61300947")],
            odds: vec![
                odds(
                    "61300947",
                    "betpawa",
                    &[("Over", 2000, true), ("Under", 1800, true)],
                    true,
                ),
                odds(
                    "61300947",
                    "sportybet",
                    &[("Over", 1950, true), ("Under", 1850, true)],
                    true,
                ),
            ],
            alerts: vec![],
            // These repeated detections were written as one alert each (before noise control
            // folded them, issue 15): dedup off keeps the fixture meaning what it did.
            noise: oddswatch::domain::NoisePolicy {
                dedup: false,
                ..Default::default()
            },
        };
        let written = s.write_cycle_batch(&first).await.unwrap();
        assert_eq!(
            (written.odds_rows, written.history_rows),
            (2, 2),
            "{}",
            db.name
        );
        assert_eq!(
            count(s, "events").await,
            1,
            "a duplicated event is written once"
        );
        assert_eq!(count(s, "event_books").await, 2);
        assert_eq!(
            count(s, "bookmakers").await,
            4,
            "unknown books are registered"
        );

        let mut second = CycleBatch {
            at: t0() + Duration::minutes(5),
            events: vec![event("61300947")],
            ..Default::default()
        };
        second.odds.push(odds(
            "61300947",
            "betpawa",
            &[("Over", 1800, true), ("Under", 2000, true)],
            true,
        ));
        let mut gone = odds(
            "61300947",
            "sportybet",
            &[("Over", 1950, true), ("Under", 1850, true)],
            false,
        );
        gone.available = false;
        gone.unavailable_since = Some(t0() + Duration::minutes(5));
        second.odds.push(gone);
        second
            .alerts
            .push(alert("61300947", t0() + Duration::hours(3)));
        let written = s.write_cycle_batch(&second).await.unwrap();
        assert_eq!(
            (
                written.odds_rows,
                written.history_rows,
                written.alert_ids.len()
            ),
            (2, 1, 1)
        );
        assert_eq!(count(s, "current_odds").await, 2);
        assert_eq!(
            count(s, "price_history").await,
            3,
            "history only for changed markets"
        );

        let stored = oddswatch::service::AlertService::new(s.clone(), "t")
            .get(written.alert_ids[0])
            .await
            .unwrap();
        assert_eq!(stored.event_name, "Enyimba v Rivers United");
        assert_eq!(stored.sr_id, "61300947");

        let warm = s.load_current_odds(t0()).await.unwrap();
        assert_eq!(warm.len(), 2);
        let home = warm.iter().find(|o| o.bookmaker == "betpawa").unwrap();
        assert_eq!(
            home.outcomes,
            outcomes(&[("Over", 1800, true), ("Under", 2000, true)])
        );
        assert_eq!(home.line, "2.5");
        let away = warm.iter().find(|o| o.bookmaker == "sportybet").unwrap();
        assert!(!away.available);
        assert_eq!(away.unavailable_since, Some(t0() + Duration::minutes(5)));
        assert!(
            s.load_current_odds(t0() + Duration::hours(3))
                .await
                .unwrap()
                .is_empty(),
            "kicked-off events are not warmed"
        );
        db.finish().await;
    }
}

/// A §9 band alert on the event of [`event`] (kickoff t0 + 3 h): an `off_market` of `outcome`,
/// or a `margin` when `outcome` is `None`, on over/under `line`.
fn band(outcome: Option<&str>, line: f64, severity: Severity, minute: i64) -> DetectedAlert {
    let builder = AlertBuilder::new()
        .event_key("61300947")
        .market("5000", "Over/Under | Full Time")
        .line(line)
        .outcome(outcome)
        .severity(severity)
        .detected_at(t0() + Duration::minutes(minute))
        .kickoff(t0() + Duration::hours(3));
    match outcome {
        Some(_) => builder.off_market(3.44, 2.09, None),
        None => builder.margin(1.5, &[("Over", 2.0), ("Under", 1.95)]),
    }
    .build()
}

#[tokio::test]
async fn the_latest_band_raised_per_key_is_read_back_past_ones_excluded() {
    for db in common::all_dbs().await {
        let s = &db.store;
        let batch = |alerts: Vec<DetectedAlert>| CycleBatch {
            at: t0(),
            events: vec![event("61300947")],
            alerts,
            ..Default::default()
        };
        let mut on_sporty = band(Some("Over"), 2.5, Severity::Critical, 3);
        on_sporty.bookmaker = "sportybet".into();
        // Its event's kickoff was moved later since: the past transition takes this one.
        let mut past = band(Some("Under"), 2.5, Severity::Elevated, 0);
        past.event_kickoff = t0() + Duration::minutes(30);
        s.write_cycle_batch(&batch(vec![
            band(Some("Over"), 2.5, Severity::Warning, 0),
            band(Some("Over"), 2.5, Severity::Critical, 1),
            band(Some("Over"), 3.5, Severity::Warning, 0),
            // The latest margin is stored first, the older one after it (a replayed dead
            // letter): latest is by detection time.
            band(None, 2.5, Severity::Critical, 2),
            on_sporty,
            past,
            alert("61300947", t0() + Duration::hours(3)),
        ]))
        .await
        .unwrap();
        s.write_cycle_batch(&batch(vec![band(None, 2.5, Severity::Warning, 1)]))
            .await
            .unwrap();
        // Regression: a band raised critical, reset below warning, then raised again at
        // warning while the alert is still new folds into that alert, which keeps its worst
        // severity (critical). The detector last raised warning, so warning is remembered: a
        // later rise to critical raises again, as it does without a restart.
        s.write_cycle_batch(&batch(vec![band(
            Some("Under"),
            3.5,
            Severity::Critical,
            0,
        )]))
        .await
        .unwrap();
        s.write_cycle_batch(&batch(vec![band(Some("Under"), 3.5, Severity::Warning, 4)]))
            .await
            .unwrap();
        assert_eq!(s.mark_past(t0() + Duration::hours(1)).await.unwrap(), 1);

        let mut bands: Vec<(AlertType, Option<i32>, Option<String>, Severity)> = s
            .load_raised_bands("betpawa", t0() + Duration::hours(1))
            .await
            .unwrap()
            .into_iter()
            .map(|b| {
                assert_eq!(
                    (b.event_key.as_str(), b.market_id.as_str()),
                    ("61300947", "5000")
                );
                (
                    b.alert_type,
                    b.line.map(Line::milli),
                    b.outcome_name,
                    b.severity,
                )
            })
            .collect();
        bands.sort_by_key(|b| (b.0.as_str(), b.1, b.2.clone()));
        assert_eq!(
            bands,
            [
                (AlertType::Margin, Some(2500), None, Severity::Critical),
                (
                    AlertType::OffMarket,
                    Some(2500),
                    Some("Over".to_string()),
                    Severity::Critical
                ),
                (
                    AlertType::OffMarket,
                    Some(3500),
                    Some("Over".to_string()),
                    Severity::Warning
                ),
                (
                    AlertType::OffMarket,
                    Some(3500),
                    Some("Under".to_string()),
                    Severity::Warning
                ),
            ],
            "{}",
            db.name
        );
        assert!(
            s.load_raised_bands("betpawa", t0() + Duration::hours(3))
                .await
                .unwrap()
                .is_empty(),
            "kicked-off events are not warmed"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_batch_that_fails_writes_nothing() {
    for db in common::all_dbs().await {
        let s = &db.store;
        let batch = CycleBatch {
            fence: None,
            notify: Vec::new(),
            at: t0(),
            events: vec![event("1")],
            odds: vec![odds("1", "betpawa", &[("Over", 2000, true)], true)],
            alerts: vec![alert("not-in-batch", t0())],
            // These repeated detections were written as one alert each (before noise control
            // folded them, issue 15): dedup off keeps the fixture meaning what it did.
            noise: oddswatch::domain::NoisePolicy {
                dedup: false,
                ..Default::default()
            },
        };
        let err = s.write_cycle_batch(&batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("not-in-batch"));
        assert_eq!(
            count(s, "events").await,
            0,
            "{}: rolled back whole",
            db.name
        );
        assert_eq!(count(s, "current_odds").await, 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn runs_are_recorded_and_stale_ones_closed_as_failed() {
    for db in common::all_dbs().await {
        let s = &db.store;
        let done = s.start_run(t0()).await.unwrap();
        let summary = RunSummary {
            status: RunStatus::Partial,
            finished_at: t0() + Duration::seconds(4),
            events_seen: 1300,
            rows_written: 40_000,
            alerts_written: 12,
            stats: serde_json::json!({"fetch_ms": 2100}),
            error: None,
            books: vec![
                BookRun {
                    bookmaker: "betpawa".into(),
                    status: BookStatus::Ok,
                    counts: BookCounts {
                        events_seen: 1300,
                        latency_p50_ms: Some(12),
                        ..BookCounts::default()
                    },
                    error: None,
                },
                BookRun {
                    bookmaker: "bet9ja".into(),
                    status: BookStatus::Failed,
                    counts: BookCounts::default(),
                    error: Some("HTTP 503".into()),
                },
            ],
        };
        s.finish_run(done, &summary).await.unwrap();
        let _crashed = s.start_run(t0() + Duration::minutes(5)).await.unwrap();
        assert_eq!(
            s.recover_stale_runs(t0() + Duration::minutes(6))
                .await
                .unwrap(),
            1,
            "{}",
            db.name
        );
        assert_eq!(
            s.recover_stale_runs(t0() + Duration::minutes(6))
                .await
                .unwrap(),
            0
        );
        assert_eq!(count(s, "scrape_run_books").await, 2);
        assert_eq!(
            count(
                s,
                "scrape_run_books WHERE bookmaker = 'bet9ja' AND status = 'failed' AND error = 'HTTP 503'"
            )
            .await,
            1,
            "a book that was down is stored as failed"
        );
        assert_eq!(
            count(
                s,
                "scrape_run_books WHERE bookmaker = 'betpawa' AND status = 'ok' AND events_seen = 1300 AND latency_p50_ms = 12 AND latency_p95_ms IS NULL"
            )
            .await,
            1
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn history_older_than_the_cutoff_is_purged() {
    for db in common::all_dbs().await {
        let s = &db.store;
        for minutes in [0, 10] {
            let batch = CycleBatch {
                fence: None,
                notify: Vec::new(),
                at: t0() + Duration::minutes(minutes),
                events: vec![event("9")],
                odds: vec![odds(
                    "9",
                    "betpawa",
                    &[("Over", 2000 + minutes as u32, true)],
                    true,
                )],
                alerts: vec![],
                // These repeated detections were written as one alert each (before noise control
                // folded them, issue 15): dedup off keeps the fixture meaning what it did.
                noise: oddswatch::domain::NoisePolicy {
                    dedup: false,
                    ..Default::default()
                },
            };
            s.write_cycle_batch(&batch).await.unwrap();
        }
        assert_eq!(
            s.purge_history(t0() + Duration::minutes(5)).await.unwrap(),
            1
        );
        assert_eq!(count(s, "price_history").await, 1);
        assert!(s.database_bytes().await.unwrap() > 0);
        db.finish().await;
    }
}
