//! Notifications (issue 18, DESIGN §12) on a real SQLite file and a real PostgreSQL database,
//! delivered to a real webhook receiver on loopback: deliveries queued with their alerts (never
//! for a silenced one), all three formats signed, a receiver down for ten (simulated) minutes
//! losing and doubling nothing, the pause after five failures in a row and `resume`, day-old
//! deliveries given up, and two senders on one database sending each delivery once.
//!
//! The sender's passes take their clock from the test, so hours of retry schedule run in
//! moments; the HTTP is real.

mod api;
use api::the_api_shows_targets_resumes_and_edits_rules;
pub mod receiver;

use chrono::{DateTime, Duration, Utc};
use oddswatch::config::{NotifyConfig, NotifyFormat, NotifyTarget, Secret};
use oddswatch::domain::{NoisePolicy, NotifyRule, Severity, verify};
use oddswatch::notify::{Sender, idempotency_key};
use oddswatch::store::{BatchWritten, CycleBatch, Store};

use crate::common::TestDb;
use crate::store_noise::{at, batch, detection, service};
use receiver::Receiver;

contract_cases!(
    deliveries_are_queued_with_their_alerts_and_never_for_a_silenced_one,
    all_three_formats_arrive_signed_with_their_idempotency_key,
    a_ten_minute_outage_loses_nothing_and_doubles_nothing,
    five_failures_in_a_row_pause_the_target_until_it_is_resumed,
    a_delivery_not_made_within_a_day_is_given_up,
    two_senders_on_one_database_send_each_delivery_once,
    an_idle_sender_reads_and_writes_nothing_else,
    the_api_shows_targets_resumes_and_edits_rules,
);

fn target(name: &str, format: NotifyFormat, url: String) -> NotifyTarget {
    NotifyTarget {
        name: name.into(),
        format,
        url: Secret::new(url),
        secret: Secret::new(format!("key-of-{name}")),
        chat_id: "-1001".into(),
    }
}

fn rule(target: &str, min: Severity) -> NotifyRule {
    NotifyRule {
        target: target.into(),
        min_severity: min,
        types: vec![],
        books: vec![],
    }
}

fn config(targets: Vec<NotifyTarget>, rules: Vec<NotifyRule>) -> NotifyConfig {
    NotifyConfig {
        targets,
        rules,
        ..NotifyConfig::default()
    }
}

/// A batch of `srs` at `minutes` with `alerts`, routed by `rules`.
fn routed(
    minutes: i64,
    srs: &[&str],
    alerts: Vec<oddswatch::domain::DetectedAlert>,
    rules: &[NotifyRule],
) -> CycleBatch {
    let mut b = batch(minutes, srs, alerts, NoisePolicy::default());
    b.notify = rules.to_vec();
    b
}

async fn write(store: &Store, b: &CycleBatch) -> BatchWritten {
    store.write_cycle_batch(b).await.unwrap()
}

/// Writes one detection on event `sr` (its 1X2 home price `prices.0` → `prices.1`) at
/// `minute`, routed by `rules`.
async fn detect_one(
    store: &Store,
    minute: i64,
    sr: &str,
    prices: (f64, f64),
    severity: Severity,
    rules: &[NotifyRule],
) -> BatchWritten {
    let alert = detection(sr, minute, prices.0, prices.1, severity);
    write(store, &routed(minute, &[sr], vec![alert], rules)).await
}

/// `(alert id, kind)` of every delivery of `target`, by outbox id.
async fn queued(store: &Store, target: &str) -> Vec<(i64, String)> {
    store
        .deliveries_of(target)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, alert, kind, _, _)| (alert, kind))
        .collect()
}

fn secs(at: DateTime<Utc>, s: i64) -> DateTime<Utc> {
    at + Duration::seconds(s)
}

async fn deliveries_are_queued_with_their_alerts_and_never_for_a_silenced_one(db: &TestDb) {
    let store = &db.store;
    let rules = [
        rule("desk", Severity::Warning),
        rule("pager", Severity::Critical),
    ];
    let first = write(
        store,
        &routed(
            0,
            &["7001", "7002"],
            vec![
                detection("7001", 0, 2.0, 2.4, Severity::Critical),
                detection("7002", 0, 2.0, 2.15, Severity::Warning),
            ],
            &rules,
        ),
    )
    .await;
    assert_eq!(first.deliveries_queued, 3);
    let (a7001, a7002) = (first.alert_ids[0], first.alert_ids[1]);
    assert_eq!(
        queued(store, "desk").await,
        vec![(a7001, "new".into()), (a7002, "new".into())]
    );
    assert_eq!(queued(store, "pager").await, vec![(a7001, "new".into())]);

    // A repeat of the same severity is folded in without asking for attention: nothing sent.
    let repeat = detect_one(store, 1, "7001", (2.4, 2.9), Severity::Critical, &rules).await;
    assert_eq!(repeat.deliveries_queued, 0);

    // An escalation is sent as such, to each target whose rule its new severity passes.
    let escalated = detect_one(store, 2, "7002", (2.15, 2.5), Severity::Critical, &rules).await;
    assert_eq!(escalated.deliveries_queued, 2);
    assert_eq!(
        queued(store, "pager").await,
        vec![(a7001, "new".into()), (a7002, "escalated".into())]
    );

    // A silenced event's alerts are stored but never sent.
    let third = detect_one(store, 3, "7003", (2.0, 2.15), Severity::Warning, &rules).await;
    assert_eq!(third.deliveries_queued, 1);
    let event_7003 = store
        .get_alert(third.alert_ids[0])
        .await
        .unwrap()
        .unwrap()
        .event_id;
    service(store, 4)
        .create_silence(oddswatch::domain::NewSilence {
            matchers: oddswatch::domain::SilenceMatchers {
                event_id: Some(event_7003),
                ..Default::default()
            },
            end: oddswatch::domain::SilenceEnd::For(Duration::minutes(30)),
            reason: "team news".into(),
        })
        .await
        .unwrap();
    let silenced = detect_one(store, 5, "7003", (2.15, 2.6), Severity::Critical, &rules).await;
    assert_eq!(silenced.noise.silenced, 1);
    assert_eq!(
        silenced.deliveries_queued, 0,
        "a silenced escalation is not sent"
    );

    // Without rules a batch queues nothing.
    let unrouted = detect_one(store, 6, "7004", (2.0, 3.0), Severity::Critical, &[]).await;
    assert_eq!(unrouted.deliveries_queued, 0);
    assert_eq!(crate::common::count(store, "notify_outbox").await, 6);
}

async fn all_three_formats_arrive_signed_with_their_idempotency_key(db: &TestDb) {
    let store = &db.store;
    let receiver = Receiver::start().await;
    let targets = vec![
        target("generic", NotifyFormat::Generic, receiver.url("generic")),
        target("slack", NotifyFormat::Slack, receiver.url("slack")),
        target("telegram", NotifyFormat::Telegram, receiver.url("telegram")),
    ];
    let rules: Vec<NotifyRule> = ["generic", "slack", "telegram"]
        .iter()
        .map(|t| rule(t, Severity::Critical))
        .collect();
    let written = detect_one(store, 0, "7001", (2.0, 2.4), Severity::Critical, &rules).await;
    let alert_id = written.alert_ids[0];
    let sender = Sender::new(store.clone(), config(targets.clone(), rules));
    let now = at(0);
    let report = sender.pass(now).await.unwrap();
    assert_eq!(report.delivered, 3);

    let got = receiver.got();
    assert_eq!(got.len(), 3);
    for request in &got {
        let target = targets.iter().find(|t| t.name == request.path).unwrap();
        let header = request.signature.as_deref().expect("signed");
        verify(
            target.secret.expose().as_bytes(),
            header,
            &request.body,
            now.timestamp(),
            300,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", target.name));
        assert!(
            verify(b"another key", header, &request.body, now.timestamp(), 300).is_err(),
            "the signature is the target's own"
        );
        let rows = store.deliveries_of(&target.name).await.unwrap();
        assert_eq!(
            request.key.as_deref(),
            Some(idempotency_key(rows[0].0).as_str())
        );
        assert_eq!(rows[0].3, "delivered");
        let body = request.json();
        match target.format {
            NotifyFormat::Generic => {
                assert_eq!(body["event"], "new");
                assert_eq!(body["id"], alert_id);
                assert_eq!(body["severity"], "critical");
                assert_eq!(body["srId"], "7001");
            }
            NotifyFormat::Slack => {
                assert!(
                    body["text"]
                        .as_str()
                        .unwrap()
                        .starts_with("New critical alert")
                );
                assert_eq!(body["blocks"][0]["type"], "section");
            }
            NotifyFormat::Telegram => {
                assert_eq!(body["chat_id"], "-1001");
                assert!(
                    body["text"]
                        .as_str()
                        .unwrap()
                        .contains("Home 7001 v Away 7001")
                );
            }
        }
    }
    // Delivered once: a second pass sends nothing.
    assert_eq!(sender.pass(secs(now, 1)).await.unwrap().delivered, 0);
    assert_eq!(receiver.got().len(), 3);
}

async fn a_ten_minute_outage_loses_nothing_and_doubles_nothing(db: &TestDb) {
    let store = &db.store;
    let mut receiver = Receiver::start().await;
    let targets = vec![target("desk", NotifyFormat::Slack, receiver.url("hook"))];
    let rules = vec![rule("desk", Severity::Warning)];
    let sender = Sender::new(store.clone(), config(targets, rules.clone()));
    receiver.stop().await;

    // Alerts keep coming during the outage; the sender passes every 5 simulated seconds.
    let t0 = at(0);
    let mut alerts = 0;
    for s in (0..600).step_by(5) {
        if s % 120 == 0 {
            let minute = s / 60;
            let sr = format!("71{minute:02}");
            detect_one(store, minute, &sr, (2.0, 2.4), Severity::Critical, &rules).await;
            alerts += 1;
        }
        let report = sender.pass(secs(t0, s)).await.unwrap();
        assert_eq!(report.delivered, 0);
        assert!(
            report.paused.is_empty(),
            "a ten-minute outage must not pause the target"
        );
    }
    assert_eq!(alerts, 5);
    let state = &store.notify_states().await.unwrap()[0];
    assert_eq!(state.pending, 5);
    assert_eq!(
        state.consecutive_failures, 4,
        "attempts at 0 s, at once, 30 s and 5 min"
    );
    assert!(state.paused_at.is_none());

    // Back after ten minutes: the next attempt (an hour after the fourth failure) sends all.
    receiver.restart().await;
    let mut delivered = 0;
    for s in (600..=2 * 3600).step_by(60) {
        delivered += sender.pass(secs(t0, s)).await.unwrap().delivered;
    }
    assert_eq!(delivered, 5);
    let got = receiver.got();
    let mut keys: Vec<String> = got.iter().map(|r| r.key.clone().unwrap()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(got.len(), 5, "each delivery arrived once");
    assert_eq!(keys.len(), 5);
    let rows = store.deliveries_of("desk").await.unwrap();
    assert!(rows.iter().all(|r| r.3 == "delivered"), "{rows:?}");
    let state = &store.notify_states().await.unwrap()[0];
    assert_eq!(
        (state.consecutive_failures, state.pending, state.delivered),
        (0, 0, 5)
    );
}

async fn five_failures_in_a_row_pause_the_target_until_it_is_resumed(db: &TestDb) {
    let store = &db.store;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let rules = vec![rule("desk", Severity::Warning)];
    let sender = Sender::new(
        store.clone(),
        config(
            vec![target("desk", NotifyFormat::Generic, receiver.url("hook"))],
            rules.clone(),
        ),
    );
    detect_one(store, 0, "7001", (2.0, 2.4), Severity::Critical, &rules).await;
    let t0 = at(0);
    // Attempts by the schedule: 0 s, at once, +30 s, +5 min, +1 h: the fifth pauses.
    let mut paused = Vec::new();
    for s in [0, 1, 2, 31, 32, 331, 332, 3931, 3932, 7000, 20_000] {
        paused.extend(sender.pass(secs(t0, s)).await.unwrap().paused);
    }
    assert_eq!(paused, vec!["desk".to_string()]);
    assert_eq!(receiver.got().len(), 5, "no attempt while paused");
    let state = &store.notify_states().await.unwrap()[0];
    assert!(state.paused_at.is_some());
    assert_eq!(
        state.last_error.as_deref(),
        Some("answered HTTP 500 Internal Server Error")
    );

    receiver.answer(200);
    assert!(store.resume_target("desk").await.unwrap());
    let report = sender.pass(secs(t0, 20_001)).await.unwrap();
    assert_eq!(report.delivered, 1);
    let state = &store.notify_states().await.unwrap()[0];
    assert!(state.paused_at.is_none() && state.consecutive_failures == 0);
    assert_eq!(state.delivered, 1);
}

async fn a_delivery_not_made_within_a_day_is_given_up(db: &TestDb) {
    let store = &db.store;
    let mut receiver = Receiver::start().await;
    receiver.stop().await;
    let rules = vec![rule("desk", Severity::Warning)];
    let mut notify = config(
        vec![target("desk", NotifyFormat::Generic, receiver.url("hook"))],
        rules.clone(),
    );
    notify.pause_after = 0;
    let sender = Sender::new(store.clone(), notify);
    detect_one(store, 0, "7001", (2.0, 2.4), Severity::Critical, &rules).await;
    let t0 = at(0);
    let mut failed = 0;
    for hour in 0..24 {
        failed += sender.pass(secs(t0, hour * 3600)).await.unwrap().failed;
    }
    assert!(
        failed >= 20,
        "pause_after = 0 keeps retrying hourly: {failed}"
    );
    let report = sender.pass(secs(t0, 24 * 3600 + 1)).await.unwrap();
    assert_eq!(report.given_up, 1);
    let state = &store.notify_states().await.unwrap()[0];
    assert_eq!((state.pending, state.expired), (0, 1));
    assert!(state.paused_at.is_none());

    // Housekeeping deletes finished deliveries past the retention, never a pending one.
    detect_one(
        store,
        60 * 30,
        "7002",
        (2.0, 2.4),
        Severity::Critical,
        &rules,
    )
    .await;
    assert_eq!(
        store.purge_deliveries(secs(t0, 40 * 3600)).await.unwrap(),
        1
    );
    let left = store.deliveries_of("desk").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].3, "pending");
}

async fn two_senders_on_one_database_send_each_delivery_once(db: &TestDb) {
    let store = &db.store;
    let receiver = Receiver::start().await;
    let rules = vec![rule("desk", Severity::Warning)];
    let notify = config(
        vec![target("desk", NotifyFormat::Generic, receiver.url("hook"))],
        rules.clone(),
    );
    let srs: Vec<String> = (0..20).map(|i| format!("72{i:02}")).collect();
    let refs: Vec<&str> = srs.iter().map(String::as_str).collect();
    write(
        store,
        &routed(
            0,
            &refs,
            srs.iter()
                .map(|sr| detection(sr, 0, 2.0, 2.4, Severity::Critical))
                .collect(),
            &rules,
        ),
    )
    .await;
    let a = Sender::new(store.clone(), notify.clone());
    let b = Sender::new(store.clone(), notify);
    let t0 = at(0);
    for s in 0..5 {
        let (x, y) = tokio::join!(a.pass(secs(t0, s)), b.pass(secs(t0, s)));
        x.unwrap();
        y.unwrap();
    }
    let got = receiver.got();
    let mut keys: Vec<String> = got.iter().map(|r| r.key.clone().unwrap()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!((got.len(), keys.len()), (20, 20));
}

async fn an_idle_sender_reads_and_writes_nothing_else(db: &TestDb) {
    let store = &db.store;
    let receiver = Receiver::start().await;
    let sender = Sender::new(
        store.clone(),
        config(
            vec![target("desk", NotifyFormat::Generic, receiver.url("hook"))],
            vec![rule("desk", Severity::Warning)],
        ),
    );
    // Nothing waiting: no claim, so no target row is even created (a team of daemons passing
    // every second must not churn the table).
    for s in 0..3 {
        assert_eq!(
            sender.pass(secs(at(0), s)).await.unwrap(),
            Default::default()
        );
    }
    assert!(store.notify_states().await.unwrap().is_empty());
    assert!(receiver.got().is_empty());
}
