//! Noise control in the store (issue 15, DESIGN §10), on a real SQLite file and a real
//! PostgreSQL database: repeated detections fold into one alert with every occurrence kept,
//! escalation and re-opening are audited, the cooldown after an acknowledgement, dedup off,
//! silences hiding alerts and letting later detections through once they end.

mod migration;
mod pipeline;
mod silenced_folds;
mod silences;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{Alert, DetectedAlert, NoisePolicy, Price, Severity, Status};
use oddswatch::service::AlertService;
use oddswatch::store::{BatchEvent, BatchWritten, ChangeKind, CycleBatch, EventRecord, Store};

use crate::common::{TestDb, count};

/// The first detection's time.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap()
}

/// Minutes after [`t0`].
pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

/// Kickoff of the test events: a day after [`t0`].
pub fn kickoff() -> DateTime<Utc> {
    t0() + Duration::days(1)
}

/// A price change on event `sr` (1X2 home) at `minutes`, `old` → `new`, of `severity`.
pub fn detection(sr: &str, minutes: i64, old: f64, new: f64, severity: Severity) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(sr)
        .kickoff(kickoff())
        .severity(severity)
        .prices(old, new)
        .detected_at(at(minutes))
        .build()
}

/// The batch of events `srs` (tournament "Premier League", except "Serie A" for `9xxx` keys)
/// observed at `minutes` with `alerts`.
pub fn batch(
    minutes: i64,
    srs: &[&str],
    alerts: Vec<DetectedAlert>,
    noise: NoisePolicy,
) -> CycleBatch {
    CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: at(minutes),
        events: srs
            .iter()
            .map(|sr| BatchEvent {
                record: EventRecord {
                    sr_id: (*sr).into(),
                    home_team: format!("Home {sr}"),
                    away_team: format!("Away {sr}"),
                    tournament: Some(
                        if sr.starts_with('9') {
                            "Serie A"
                        } else {
                            "Premier League"
                        }
                        .into(),
                    ),
                    country: None,
                    kickoff: Some(kickoff()),
                },
                books: vec![("betpawa".into(), format!("bp-{sr}"))],
            })
            .collect(),
        odds: Vec::new(),
        alerts,
        noise,
    }
}

/// Writes the detections of event "7001" at `minutes` with the default policy.
pub async fn detect(store: &Store, minutes: i64, alerts: Vec<DetectedAlert>) -> BatchWritten {
    store
        .write_cycle_batch(&batch(minutes, &["7001"], alerts, NoisePolicy::default()))
        .await
        .unwrap()
}

/// The service as `ada` with its clock at `minutes`.
pub fn service(store: &Store, minutes: i64) -> AlertService {
    let now = at(minutes);
    AlertService::new(store.clone(), "ada").with_clock(Arc::new(move || now))
}

/// Every alert, oldest first, silenced ones included.
pub async fn all_alerts(store: &Store) -> Vec<Alert> {
    store.alerts_after(0, 1000).await.unwrap()
}

fn kinds(written: &BatchWritten) -> Vec<Option<ChangeKind>> {
    written.changes.iter().map(|c| c.kind).collect()
}

fn price(v: f64) -> Price {
    Price::from_f64(v).unwrap()
}

async fn a_repeated_detection_is_one_alert_with_every_occurrence(db: &TestDb) {
    let store = &db.store;
    let first = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await;
    assert_eq!(first.alert_ids.len(), 1, "{}", db.name);
    assert_eq!(
        (
            first.noise.opened,
            first.noise.attention,
            first.noise.occurrences
        ),
        (1, 1, 1)
    );
    let id = first.alert_ids[0];

    let second = detect(
        store,
        1,
        vec![detection("7001", 1, 2.3, 2.6, Severity::Critical)],
    )
    .await;
    assert!(
        second.alert_ids.is_empty(),
        "{}: nothing new is stored",
        db.name
    );
    assert_eq!(
        (
            second.noise.updated,
            second.noise.escalated,
            second.noise.attention
        ),
        (1, 1, 1)
    );
    assert_eq!(
        kinds(&second),
        vec![Some(ChangeKind::Escalated)],
        "{}",
        db.name
    );
    assert_eq!(second.changes[0].alert_id, Some(id));

    let third = detect(
        store,
        2,
        vec![detection("7001", 2, 2.6, 2.2, Severity::Elevated)],
    )
    .await;
    assert_eq!(
        (
            third.noise.updated,
            third.noise.escalated,
            third.noise.attention
        ),
        (1, 0, 0)
    );
    assert_eq!(
        kinds(&third),
        vec![Some(ChangeKind::Updated)],
        "{}",
        db.name
    );

    let alerts = all_alerts(store).await;
    assert_eq!(alerts.len(), 1, "{}", db.name);
    let a = &alerts[0];
    assert_eq!(a.occurrences, 3, "{}", db.name);
    assert_eq!(
        a.detected_at,
        at(0),
        "{}: detectedAt stays the first",
        db.name
    );
    assert_eq!(a.last_detected_at, at(2), "{}", db.name);
    assert_eq!(
        a.severity,
        Severity::Critical,
        "{}: the worst severity",
        db.name
    );
    assert!(a.escalated, "{}", db.name);
    assert_eq!(a.status, Status::New);
    let latest = a.payload.price_move().unwrap();
    assert_eq!(
        (latest.old, latest.new),
        (price(2.6), price(2.2)),
        "{}: latest prices",
        db.name
    );

    let occurrences = store.occurrences(id).await.unwrap();
    let seen: Vec<(DateTime<Utc>, Severity, Price)> = occurrences
        .iter()
        .map(|o| {
            (
                o.detected_at,
                o.severity,
                o.payload.price_move().unwrap().new,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (at(0), Severity::Warning, price(2.3)),
            (at(1), Severity::Critical, price(2.6)),
            (at(2), Severity::Elevated, price(2.2)),
        ],
        "{}",
        db.name
    );
    assert_eq!(count(store, "alert_occurrences").await, 3);

    let audit = store.alert_audit(id).await.unwrap();
    assert_eq!(audit.len(), 1, "{}", db.name);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("escalate", "system")
    );
    assert_eq!(
        audit[0].comment.as_deref(),
        Some("severity rose from warning to critical")
    );
    let counts = store.status_counts(&Default::default()).await.unwrap();
    assert_eq!((counts.new, counts.silenced), (1, 0), "{}", db.name);
}

async fn two_detections_of_one_identity_in_one_batch_fold_into_each_other(db: &TestDb) {
    let store = &db.store;
    let other_market = AlertBuilder::new()
        .event_key("7001")
        .kickoff(kickoff())
        .market("5000", "Over/Under | Full Time")
        .line(2.5)
        .outcome(Some("Over"))
        .prices(1.9, 2.2)
        .detected_at(at(0))
        .build();
    let written = detect(
        store,
        0,
        vec![
            detection("7001", 0, 2.0, 2.3, Severity::Warning),
            other_market,
            detection("7001", 0, 2.3, 2.7, Severity::Elevated),
        ],
    )
    .await;
    assert_eq!(written.alert_ids.len(), 2, "{}", db.name);
    let n = written.noise;
    assert_eq!(
        (n.occurrences, n.opened, n.updated, n.escalated, n.attention),
        (3, 2, 1, 1, 3)
    );
    let alerts = store.get_alerts(&written.alert_ids).await.unwrap();
    let home = &alerts[0];
    assert_eq!(
        (home.occurrences, home.severity, home.escalated),
        (2, Severity::Elevated, true)
    );
    assert_eq!(
        home.payload.price_move().unwrap().new,
        price(2.7),
        "{}",
        db.name
    );
    assert_eq!(alerts[1].occurrences, 1);
    assert_eq!(
        store.occurrences(home.id).await.unwrap().len(),
        2,
        "{}",
        db.name
    );
    assert_eq!(
        store.alert_audit(home.id).await.unwrap()[0].action,
        "escalate"
    );
    assert_eq!(
        kinds(&written),
        vec![Some(ChangeKind::Created), Some(ChangeKind::Created)],
        "{}: an alert made in the batch is announced once, as it ends up",
        db.name
    );
}

async fn the_cooldown_after_an_acknowledgement_records_reopens_then_opens(db: &TestDb) {
    let store = &db.store;
    let id = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Elevated)],
    )
    .await
    .alert_ids[0];
    store
        .set_acknowledged(&[id], Status::Acknowledged, "ada", None, at(1))
        .await
        .unwrap();

    // Within the cooldown, no more severe: recorded, still acknowledged.
    let recorded = detect(
        store,
        10,
        vec![detection("7001", 10, 2.3, 2.5, Severity::Warning)],
    )
    .await;
    assert_eq!(
        (recorded.noise.recorded, recorded.noise.attention),
        (1, 0),
        "{}",
        db.name
    );
    let a = store.get_alert(id).await.unwrap().unwrap();
    assert_eq!(
        (a.status, a.occurrences, a.severity),
        (Status::Acknowledged, 2, Severity::Elevated)
    );
    assert_eq!(a.acknowledged_by.as_deref(), Some("ada"));
    assert_eq!(kinds(&recorded), vec![Some(ChangeKind::Updated)]);

    // Within the cooldown, more severe: re-opened with the reason.
    let reopened = detect(
        store,
        20,
        vec![detection("7001", 20, 2.5, 3.5, Severity::Critical)],
    )
    .await;
    assert_eq!(
        (reopened.noise.reopened, reopened.noise.attention),
        (1, 1),
        "{}",
        db.name
    );
    assert_eq!(kinds(&reopened), vec![Some(ChangeKind::Reopened)]);
    let a = store.get_alert(id).await.unwrap().unwrap();
    assert_eq!(
        (a.status, a.occurrences, a.severity),
        (Status::New, 3, Severity::Critical)
    );
    assert!(a.escalated && a.acknowledged_at.is_none() && a.acknowledged_by.is_none());
    let audit = store.alert_audit(id).await.unwrap();
    let last = audit.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("reopen", "system")
    );
    assert_eq!(
        last.comment.as_deref(),
        Some(
            "critical within the 30-minute cooldown after the acknowledgement at 12:01 (was elevated)"
        ),
        "{}",
        db.name
    );

    // Acknowledged again at 12:21; a detection after the cooldown opens a new alert.
    store
        .set_acknowledged(&[id], Status::Acknowledged, "bob", None, at(21))
        .await
        .unwrap();
    let later = detect(
        store,
        52,
        vec![detection("7001", 52, 3.5, 3.0, Severity::Warning)],
    )
    .await;
    assert_eq!(
        (later.noise.opened, later.alert_ids.len()),
        (1, 1),
        "{}",
        db.name
    );
    assert_ne!(later.alert_ids[0], id);
    assert_eq!(store.get_alert(id).await.unwrap().unwrap().occurrences, 3);
    assert_eq!(count(store, "alert_occurrences").await, 4, "{}", db.name);
}

async fn with_dedup_off_every_detection_is_its_own_alert(db: &TestDb) {
    let store = &db.store;
    let off = NoisePolicy {
        dedup: false,
        ..NoisePolicy::default()
    };
    let mut ids = Vec::new();
    for minute in 0..3 {
        let d = detection("7001", minute, 2.0, 2.3, Severity::Warning);
        let written = store
            .write_cycle_batch(&batch(minute, &["7001"], vec![d.clone(), d], off))
            .await
            .unwrap();
        assert_eq!(
            (written.noise.opened, written.noise.updated),
            (2, 0),
            "{}",
            db.name
        );
        ids.extend(written.alert_ids);
    }
    assert_eq!(ids.len(), 6, "{}", db.name);
    assert!(
        all_alerts(store)
            .await
            .iter()
            .all(|a| a.occurrences == 1 && !a.escalated)
    );
    assert_eq!(count(store, "alert_occurrences").await, 6, "{}", db.name);
}

async fn a_past_alert_is_never_folded_into(db: &TestDb) {
    let store = &db.store;
    let id = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await
    .alert_ids[0];
    assert_eq!(store.mark_past(kickoff()).await.unwrap(), 1);
    let late = detect(
        store,
        24 * 60 + 1,
        vec![detection("7001", 24 * 60 + 1, 2.3, 2.5, Severity::Warning)],
    )
    .await;
    assert_eq!(late.noise.opened, 1, "{}", db.name);
    assert_ne!(late.alert_ids[0], id);
    assert_eq!(
        store.get_alert(id).await.unwrap().unwrap().occurrences,
        1,
        "{}",
        db.name
    );
}

async fn insert_alerts_keeps_one_occurrence_per_alert_and_later_detections_fold_into_them(
    db: &TestDb,
) {
    let store = &db.store;
    detect(store, 0, Vec::new()).await;
    let ids = store
        .insert_alerts(&[detection("7001", 0, 2.0, 2.3, Severity::Warning)])
        .await
        .unwrap();
    assert_eq!(count(store, "alert_occurrences").await, 1, "{}", db.name);
    let folded = detect(
        store,
        1,
        vec![detection("7001", 1, 2.3, 2.4, Severity::Warning)],
    )
    .await;
    assert_eq!(folded.noise.updated, 1, "{}", db.name);
    assert_eq!(
        store.get_alert(ids[0]).await.unwrap().unwrap().occurrences,
        2
    );
}

contract_cases!(
    a_repeated_detection_is_one_alert_with_every_occurrence,
    two_detections_of_one_identity_in_one_batch_fold_into_each_other,
    the_cooldown_after_an_acknowledgement_records_reopens_then_opens,
    with_dedup_off_every_detection_is_its_own_alert,
    a_past_alert_is_never_folded_into,
    insert_alerts_keeps_one_occurrence_per_alert_and_later_detections_fold_into_them,
);
