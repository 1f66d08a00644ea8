//! Migration 0014 upgrades a database written before noise control without losing a row:
//! every alert keeps its id and fields, is its own identity (never folded into) with one
//! occurrence, its own; the audit trail keeps its ids and admits the new actions.

use oddswatch::domain::{AlertType, Severity, Status};
use oddswatch::store::Store;

use super::{at, detect, detection};
use crate::common::{self, count};

/// A database at migration 0013 with three alerts (one acknowledged with two audit rows, one
/// of a §9 type with its lists) written by plain SQL, and a fourth deleted.
async fn database_at_0013(store: &Store, backend: &str) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let older = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0014" {
            std::fs::copy(&path, older.path().join(name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(older.path()).await.unwrap();
    let t = "'2030-06-01T11:00:00+00:00'";
    let kickoff = "'2030-06-02T12:00:00+00:00'";
    let statements = [
        format!(
            "INSERT INTO events (sr_id, home_team, away_team, tournament, kickoff, search_text, \
             created_at, updated_at) VALUES ('7001', 'Arsenal', 'Chelsea', 'Premier League', \
             {kickoff}, 'arsenal chelsea premier league', {t}, {t})"
        ),
        // The same identity as the detections the test writes after the upgrade.
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, outcome_name, \
             alert_type, severity, severity_rank, change_pct, abs_change_pct, old_price, new_price, \
             detected_at, event_kickoff) VALUES \
             (1, 'betpawa', '3743', '1X2 | Full Time', '1', 'price_change', 'warning', 1, 15.0, \
             15.0, 2.0, 2.3, {t}, {kickoff})"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, outcome_name, \
             alert_type, severity, severity_rank, change_pct, abs_change_pct, old_price, new_price, \
             detected_at, event_kickoff, status, acknowledged_at, acknowledged_by) VALUES \
             (1, 'betpawa', '3743', '1X2 | Full Time', 'X', 'price_change', 'critical', 3, 30.0, \
             30.0, 3.0, 3.9, {t}, {kickoff}, 'acknowledged', {t}, 'ada')"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, alert_type, \
             severity, severity_rank, abs_change_pct, old_price, new_price, margin_pct, \
             payload_lists, detected_at, event_kickoff) VALUES (1, 'betpawa', '3743', \
             '1X2 | Full Time', 'margin', 'elevated', 2, 0, 2.0, 2.0, -2.81, \
             '{{\"prices\":[{{\"outcome\":\"1\",\"price\":2.5}},{{\"outcome\":\"X\",\"price\":3.4}},{{\"outcome\":\"2\",\"price\":3.6}}]}}', \
             {t}, {kickoff})"
        ),
        format!(
            "INSERT INTO alerts (event_id, bookmaker, market_id, market_name, alert_type, \
             severity, severity_rank, abs_change_pct, availability, detected_at, event_kickoff) \
             VALUES (1, 'bet9ja', '5000', 'Over/Under | Full Time', 'availability', 'warning', 1, \
             0, 'suspended', {t}, {kickoff})"
        ),
        format!(
            "INSERT INTO alert_audit (alert_id, action, actor, at, comment) VALUES \
             (2, 'acknowledge', 'ada', {t}, 'seen'), (2, 'unacknowledge', 'ada', {t}, NULL), \
             (2, 'acknowledge', 'bob', {t}, NULL)"
        ),
        "DELETE FROM alert_audit WHERE id = 2".to_string(),
        "DELETE FROM alerts WHERE id = 4".to_string(),
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

async fn the_upgrade_keeps_every_row(store: &Store, name: &str) {
    store.migrate(name).await.unwrap();
    let alerts = store.alerts_after(0, 100).await.unwrap();
    let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![1, 2, 3], "{name}");
    for a in &alerts {
        assert_eq!(
            (a.occurrences, a.escalated, a.silenced_by),
            (1, false, None),
            "{name}"
        );
        assert_eq!(
            a.last_detected_at, a.detected_at,
            "{name}: NULL reads as detectedAt"
        );
        let occurrences = store.occurrences(a.id).await.unwrap();
        assert_eq!(occurrences.len(), 1, "{name}: alert {}", a.id);
        assert_eq!(occurrences[0].payload, a.payload, "{name}: alert {}", a.id);
        assert_eq!(occurrences[0].severity, a.severity);
        assert_eq!(occurrences[0].detected_at, a.detected_at);
    }
    assert_eq!(alerts[1].status, Status::Acknowledged);
    assert_eq!(alerts[1].severity, Severity::Critical);
    assert_eq!(alerts[2].alert_type(), AlertType::Margin);
    assert_eq!(count(store, "alert_occurrences").await, 3, "{name}");
    let (identities,): (i64,) = match store {
        Store::Sqlite(p) => sqlx::query_as("SELECT COUNT(identity) FROM alerts")
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_as("SELECT COUNT(identity) FROM alerts")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert_eq!(
        identities, 0,
        "{name}: every older alert is its own identity"
    );
    let audit = store.alert_audit(2).await.unwrap();
    let audit: Vec<(i64, &str)> = audit.iter().map(|e| (e.id, e.action.as_str())).collect();
    assert_eq!(
        audit,
        vec![(1, "acknowledge"), (3, "acknowledge")],
        "{name}: ids kept"
    );

    // An older alert is never folded into: the same identity detected again opens a new one,
    // and the audit trail takes the new actions without reusing a deleted row's id.
    let written = detect(
        store,
        0,
        vec![detection("7001", 0, 2.3, 2.6, Severity::Warning)],
    )
    .await;
    assert_eq!(
        written.alert_ids,
        vec![5],
        "{name}: the deleted alert's id is not reused"
    );
    let escalated = detect(
        store,
        1,
        vec![detection("7001", 1, 2.6, 3.6, Severity::Critical)],
    )
    .await;
    assert_eq!(escalated.noise.escalated, 1, "{name}");
    let trail = store.alert_audit(5).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].id, trail[0].action.as_str()),
        (4, "escalate"),
        "{name}"
    );
    assert_eq!(
        store.get_alert(1).await.unwrap().unwrap().occurrences,
        1,
        "{name}"
    );
    let _ = at(0);
}

#[tokio::test]
async fn the_noise_migration_keeps_every_row_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = Store::connect(&url, 2).await.unwrap();
    database_at_0013(&store, "sqlite").await;
    the_upgrade_keeps_every_row(&store, "sqlite").await;
    store.close().await;
}

#[tokio::test]
async fn the_noise_migration_keeps_every_row_on_postgres() {
    let Some((admin, db, url)) = common::pg_empty_database().await else {
        return;
    };
    let store = Store::connect(&url, 2).await.unwrap();
    database_at_0013(&store, "postgres").await;
    the_upgrade_keeps_every_row(&store, "postgres").await;
    store.close().await;
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
