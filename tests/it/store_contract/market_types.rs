//! The store contract for the market-wide alert types of issue 14 (`market_move`, `off_market`,
//! `margin`, DESIGN §9): each written and read back equal through every write path, filtered by
//! type and by pattern, on SQLite and PostgreSQL; and the migration that added them keeps every
//! row of a database written before it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{
    Alert, AlertFilter, AlertSort, AlertType, DetectedAlert, Page, Pattern, Severity, Status,
};
use oddswatch::store::{BatchEvent, BulkAlert, CycleBatch, EventRecord, Store};

use crate::common::{self, TestDb};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn kickoff() -> DateTime<Utc> {
    now() + Duration::days(1)
}

/// One alert of each new type (an off-market price twice, with each pattern), plus a price
/// change so a filter that leaks shows.
pub fn market_alerts(event_key: &str) -> Vec<DetectedAlert> {
    let base = || {
        AlertBuilder::new()
            .event_key(event_key)
            .kickoff(kickoff())
            .detected_at(now() - Duration::minutes(5))
    };
    vec![
        base()
            .severity(Severity::Elevated)
            .prices(2.0, 2.0)
            .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
            .build(),
        base()
            .severity(Severity::Critical)
            .outcome(Some("2"))
            .prices(3.6, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("bet9ja", 2.05, 2.12), ("sportybet", 2.0, 2.09)])
            .detected_at(now() - Duration::minutes(4))
            .build(),
        base()
            .severity(Severity::Critical)
            .prices(1.5, 15.0)
            .off_market(880.0, 1.53, Some(Pattern::Factor))
            .books(&[("sportybet", 1.5, 1.53)])
            .detected_at(now() - Duration::minutes(3))
            .build(),
        base()
            .severity(Severity::Warning)
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .prices(2.0, 2.12)
            .off_market(6.2, 2.0, None)
            .books(&[("bet9ja", 1.95, 2.0), ("sportybet", 1.97, 2.01)])
            .detected_at(now() - Duration::minutes(2))
            .build(),
        base()
            .severity(Severity::Elevated)
            .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
            .detected_at(now() - Duration::minutes(1))
            .build(),
        base().build(),
    ]
}

fn event_record(sr: &str) -> EventRecord {
    EventRecord {
        sr_id: sr.into(),
        home_team: "Arsenal".into(),
        away_team: "Chelsea".into(),
        tournament: Some("Premier League".into()),
        country: Some("England".into()),
        kickoff: Some(kickoff()),
    }
}

async fn stored_event(store: &Store, sr: &str) -> i64 {
    let ids = store
        .upsert_events(&[event_record(sr)], now())
        .await
        .unwrap();
    ids[0]
}

/// What was written, as read back: the detected part of each alert.
fn detected(alerts: &[Alert], event_key: &str) -> Vec<DetectedAlert> {
    alerts
        .iter()
        .map(|a| {
            let mut b = AlertBuilder::new()
                .event_key(event_key)
                .book(a.bookmaker.clone())
                .market(a.market_id.clone(), a.market_name.clone())
                .outcome(a.outcome_name.as_deref())
                .severity(a.severity)
                .detected_at(a.detected_at)
                .kickoff(a.event_kickoff)
                .build();
            b.line = a.line;
            b.payload = a.payload.clone();
            b
        })
        .collect()
}

async fn list(store: &Store, filter: AlertFilter) -> Vec<Alert> {
    store
        .list_alerts(&filter, AlertSort::Detected, &Page::first(200))
        .await
        .unwrap()
}

async fn each_market_type_is_written_and_read_back_equal_and_filters_by_type_and_pattern(
    db: &TestDb,
) {
    // The pipeline's path (one insert per cycle batch) and the service's path.
    stored_event(&db.store, "5001").await;
    let written = market_alerts("5001");
    let ids = db.store.insert_alerts(&written).await.unwrap();
    let back = db.store.get_alerts(&ids).await.unwrap();
    assert_eq!(detected(&back, "5001"), written, "{}", db.name);
    assert!(back.iter().all(|a| a.status == Status::New));

    for (alert_type, expected) in [
        (AlertType::MarketMove, vec![ids[0]]),
        (AlertType::OffMarket, vec![ids[3], ids[2], ids[1]]),
        (AlertType::Margin, vec![ids[4]]),
    ] {
        let found = list(
            &db.store,
            AlertFilter {
                alert_types: vec![alert_type],
                ..AlertFilter::default()
            },
        )
        .await;
        let found: Vec<i64> = found.iter().map(|a| a.id).collect();
        assert_eq!(found, expected, "{}: {alert_type}", db.name);
    }
    for (pattern, expected) in [(Pattern::Swapped, ids[1]), (Pattern::Factor, ids[2])] {
        let filter = AlertFilter {
            pattern: Some(pattern),
            ..AlertFilter::default()
        };
        let found: Vec<i64> = list(&db.store, filter.clone())
            .await
            .iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(found, vec![expected], "{}: {pattern}", db.name);
        // Counted as listed.
        assert_eq!(db.store.status_counts(&filter).await.unwrap().new, 1);
    }
    // The pattern with another type's filter selects nothing: only off_market has one.
    let none = list(
        &db.store,
        AlertFilter {
            alert_types: vec![AlertType::Margin],
            pattern: Some(Pattern::Swapped),
            ..AlertFilter::default()
        },
    )
    .await;
    assert!(none.is_empty(), "{}: {none:?}", db.name);
}

async fn each_market_type_survives_the_bulk_load_and_the_cycle_batch(db: &TestDb) {
    let event_id = stored_event(&db.store, "5002").await;
    let written = market_alerts("5002");
    let bulk: Vec<BulkAlert> = written
        .iter()
        .map(|alert| BulkAlert {
            event_id,
            alert: alert.clone(),
            status: Status::New,
            acknowledged_at: None,
            acknowledged_by: None,
        })
        .collect();
    // COPY on PostgreSQL: the lists' JSON travels through CSV quoting.
    db.store.bulk_insert_alerts(&bulk).await.unwrap();
    let mut ids: Vec<i64> = list(&db.store, AlertFilter::default())
        .await
        .iter()
        .map(|a| a.id)
        .collect();
    ids.sort_unstable(); // written in order, so ids ascend with it
    let back = db.store.get_alerts(&ids).await.unwrap();
    assert_eq!(detected(&back, "5002"), written, "{}: bulk", db.name);

    // The pipeline's batch, through its dead-letter JSON first (a letter replays as written).
    let batch = CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: now(),
        events: vec![BatchEvent {
            record: event_record("5002"),
            books: Vec::new(),
        }],
        odds: Vec::new(),
        alerts: written.clone(),
        // These repeated detections were written as one alert each (before noise control
        // folded them, issue 15): dedup off keeps the fixture meaning what it did.
        noise: oddswatch::domain::NoisePolicy {
            dedup: false,
            ..Default::default()
        },
    };
    let replayed: CycleBatch =
        serde_json::from_str(&serde_json::to_string(&batch).unwrap()).unwrap();
    let stored = db.store.write_cycle_batch(&replayed).await.unwrap();
    let back = db.store.get_alerts(&stored.alert_ids).await.unwrap();
    assert_eq!(detected(&back, "5002"), written, "{}: batch", db.name);
}

contract_cases!(
    each_market_type_is_written_and_read_back_equal_and_filters_by_type_and_pattern,
    each_market_type_survives_the_bulk_load_and_the_cycle_batch,
);

/// A database at the schema before the market types (every migration up to 0012), with three
/// old alerts (one acknowledged with an audit row, one later deleted) written by plain SQL.
async fn old_database(store: &Store, backend: &str) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let older = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0013" {
            std::fs::copy(&path, older.path().join(name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(older.path()).await.unwrap();
    let at = "'2026-06-01T11:00:00+00:00'";
    let kickoff = "'2026-06-02T12:00:00+00:00'";
    let statements = [
        format!(
            "INSERT INTO events (sr_id, home_team, away_team, tournament, kickoff, search_text, \
             created_at, updated_at) VALUES ('6001', 'Arsenal', 'Chelsea', 'Premier League', \
             {kickoff}, 'arsenal chelsea premier league', {at}, {at})"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, outcome_name, \
             alert_type, severity, severity_rank, change_pct, abs_change_pct, old_price, new_price, \
             detected_at, event_kickoff, status, acknowledged_at, acknowledged_by) VALUES \
             (1, 'betpawa', '3743', '1X2 | Full Time', '1', 'price_change', 'warning', 1, 15.0, \
             15.0, 2.0, 2.3, {at}, {kickoff}, 'acknowledged', {at}, 'ada')"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, line, alert_type, \
             severity, severity_rank, abs_change_pct, availability, unavailable_secs, detected_at, \
             event_kickoff, markets_affected) VALUES (1, 'bet9ja', '5000', \
             'Over/Under | Full Time', 2.5, 'availability', 'warning', 1, 0, 'returned', 240, \
             {at}, {kickoff}, NULL)"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, alert_type, \
             severity, severity_rank, abs_change_pct, availability, detected_at, event_kickoff) \
             VALUES (1, 'bet9ja', '5000', 'Over/Under | Full Time', 'availability', 'warning', 1, \
             0, 'suspended', {at}, {kickoff})"
        ),
        format!(
            "INSERT INTO alert_audit (alert_id, action, actor, at, comment) VALUES \
             (1, 'acknowledge', 'ada', {at}, 'seen')"
        ),
        "DELETE FROM alerts WHERE id = 3".to_string(),
    ];
    match store {
        Store::Sqlite(pool) => {
            migrator.run(pool).await.unwrap();
            for sql in &statements {
                sqlx::query(sql).execute(pool).await.unwrap();
            }
        }
        Store::Postgres(pool) => {
            migrator.run(pool).await.unwrap();
            for sql in &statements {
                sqlx::query(sql).execute(pool).await.unwrap();
            }
        }
    }
}

async fn the_migration_keeps_every_older_alert_its_audit_and_its_ids(store: &Store, name: &str) {
    store.migrate(name).await.unwrap();
    let back = store.get_alerts(&[1, 2]).await.unwrap();
    assert_eq!(back.len(), 2, "{name}");
    let acked = &back[0];
    assert_eq!(acked.alert_type(), AlertType::PriceChange);
    assert_eq!(acked.status, Status::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("ada"));
    assert_eq!(
        acked.change_pct(),
        Some(oddswatch::domain::Percent::from_hundredths(1500))
    );
    assert_eq!(
        back[1].payload.availability().unwrap().unavailable_secs,
        Some(240)
    );
    let audit = store.alert_audit(1).await.unwrap();
    assert_eq!(
        audit.len(),
        1,
        "{name}: the audit trail survives the rebuild"
    );
    assert_eq!(audit[0].comment.as_deref(), Some("seen"));
    // A new alert of a new type is accepted, and never reuses the deleted alert's id. Its market
    // name is one no older row has, so only the recreated trigger can make it searchable.
    let mut new = market_alerts("6001")[4].clone();
    new.market_id = "4693".into();
    new.market_name = "Double Chance | Full Time".into();
    let ids = store
        .insert_alerts(std::slice::from_ref(&new))
        .await
        .unwrap();
    assert_eq!(ids, vec![4], "{name}");
    assert_eq!(
        store.get_alerts(&ids).await.unwrap()[0].alert_type(),
        AlertType::Margin
    );
    // The text search's trigger came back with the table: the new alert's market name was
    // recorded by it.
    let found = list(
        store,
        AlertFilter {
            text: Some("double chance".into()),
            ..AlertFilter::default()
        },
    )
    .await;
    assert_eq!(found.len(), 1, "{name}");
    assert_eq!(found[0].id, 4, "{name}");
}

#[tokio::test]
async fn the_market_types_migration_keeps_every_row_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = Store::connect(&url, 2).await.unwrap();
    old_database(&store, "sqlite").await;
    the_migration_keeps_every_older_alert_its_audit_and_its_ids(&store, "sqlite").await;
    store.close().await;
}

#[tokio::test]
async fn the_market_types_migration_keeps_every_row_on_postgres() {
    let Some((admin, db, url)) = common::pg_empty_database().await else {
        return;
    };
    let store = Store::connect(&url, 2).await.unwrap();
    old_database(&store, "postgres").await;
    the_migration_keeps_every_older_alert_its_audit_and_its_ids(&store, "postgres").await;
    store.close().await;
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
