//! The UI's aggregates (alerts per minute over the last hour, events with most new alerts,
//! alerts grouped by event for a filter) on SQLite and PostgreSQL.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::{AlertFilter, AlertType, NewAlert, Severity, Status};
use oddswatch::store::{EventRecord, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 30).unwrap()
}

fn alert(event_id: i64, seconds_ago: i64, severity: Severity) -> NewAlert {
    NewAlert {
        event_id,
        bookmaker: "betpawa".into(),
        market_id: "3743".into(),
        market_name: "1X2 | Full Time".into(),
        line: None,
        outcome_name: Some("1".into()),
        alert_type: AlertType::PriceChange,
        severity,
        change_pct: Some(10.0),
        old_price: Some(2.0),
        new_price: Some(2.2),
        competitor_bookmaker: None,
        competitor_old_price: None,
        competitor_new_price: None,
        competitor_direction: None,
        gap_pct: None,
        availability: None,
        unavailable_secs: None,
        markets_affected: None,
        detected_at: now() - Duration::seconds(seconds_ago),
        event_kickoff: now() + Duration::hours(2),
    }
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
        let (a, _) = events(store).await;
        store
            .insert_alerts(&[
                alert(a, 10, Severity::Warning),           // this minute (12:00:20)
                alert(a, 25, Severity::Warning),           // this minute (12:00:05)
                alert(a, 45, Severity::Warning),           // 11:59:45
                alert(a, 59 * 60 + 20, Severity::Warning), // 11:01:10, the oldest bucket
                alert(a, 61 * 60, Severity::Warning),      // 10:59:30, outside
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
                alert(arsenal, 60, Severity::Warning),
                alert(arsenal, 50, Severity::Warning),
                alert(arsenal, 40, Severity::Warning),
                alert(everton, 30, Severity::Critical),
                alert(everton, 20, Severity::Warning),
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
