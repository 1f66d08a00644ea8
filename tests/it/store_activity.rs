//! The UI's aggregates (alerts per minute over the last hour, events with most new alerts,
//! alerts grouped by event for a filter) on SQLite and PostgreSQL.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{AlertFilter, DetectedAlert, Severity, Status};
use oddswatch::store::{EventRecord, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 30).unwrap()
}

/// A 10 % price change on event `event_key` ("1" Arsenal, "2" Everton).
fn alert(event_key: &str, seconds_ago: i64, severity: Severity) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(event_key)
        .severity(severity)
        .prices(2.0, 2.2)
        .detected_at(now() - Duration::seconds(seconds_ago))
        .kickoff(now() + Duration::hours(2))
        .build()
}

async fn events(store: &Store) -> (i64, i64) {
    let record = |sr: &str, home: &str| EventRecord {
        sr_id: sr.into(),
        home_team: home.into(),
        away_team: "Chelsea".into(),
        tournament: None,
        country: None,
        kickoff: Some(now() + Duration::hours(2)),
    };
    let ids = store
        .upsert_events(&[record("1", "Arsenal"), record("2", "Everton")], now())
        .await
        .unwrap();
    (ids[0], ids[1])
}

#[tokio::test]
async fn alerts_per_minute_fill_sixty_buckets_ending_with_the_current_minute() {
    for db in common::all_dbs().await {
        let store = &db.store;
        events(store).await;
        store
            .insert_alerts(&[
                alert("1", 10, Severity::Warning), // this minute (12:00:20)
                alert("1", 25, Severity::Warning), // this minute (12:00:05)
                alert("1", 45, Severity::Warning), // 11:59:45
                alert("1", 59 * 60 + 20, Severity::Warning), // 11:01:10, the oldest bucket
                alert("1", 61 * 60, Severity::Warning), // 10:59:30, outside
            ])
            .await
            .unwrap();
        let buckets = store.alerts_per_minute(now()).await.unwrap();
        assert_eq!(buckets.len(), 60);
        assert_eq!(buckets[59], 2, "{}: {buckets:?}", db.name);
        assert_eq!(buckets[58], 1);
        assert_eq!(buckets[0], 1);
        assert_eq!(buckets.iter().sum::<u64>(), 4);
        db.finish().await;
    }
}

#[tokio::test]
async fn groups_count_what_the_filter_keeps_most_severe_first() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let (arsenal, everton) = events(store).await;
        let ids = store
            .insert_alerts(&[
                alert("1", 60, Severity::Warning),
                alert("1", 50, Severity::Warning),
                alert("1", 40, Severity::Warning),
                alert("2", 30, Severity::Critical),
                alert("2", 20, Severity::Warning),
            ])
            .await
            .unwrap();
        let groups = store
            .event_groups(&AlertFilter::default(), 10)
            .await
            .unwrap();
        assert_eq!(groups.len(), 2, "{}", db.name);
        assert_eq!(groups[0].event_id, everton);
        assert_eq!(groups[0].worst, Severity::Critical);
        assert_eq!(groups[0].alerts, 2);
        assert_eq!(groups[0].event_name, "Everton v Chelsea");
        assert_eq!(groups[1].alerts, 3);

        let filter = AlertFilter {
            severities: vec![Severity::Warning],
            text: Some("arsenal".into()),
            ..AlertFilter::default()
        };
        let groups = store.event_groups(&filter, 10).await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!((groups[0].event_id, groups[0].alerts), (arsenal, 3));

        // Top events count new alerts only.
        store
            .set_acknowledged(&ids[..2], Status::Acknowledged, "alice", None, now())
            .await
            .unwrap();
        let top = store.top_open_events(5).await.unwrap();
        assert_eq!(top[0].event_id, everton, "{}", db.name);
        assert_eq!(top[1].alerts, 1);
        db.finish().await;
    }
}
