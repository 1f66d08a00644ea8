//! Silences (DESIGN §10) through the service on both backends: made, listed, edited, expired
//! by hand and by housekeeping, audited; what they hide now and what they let through later;
//! and the inputs the service refuses.

use chrono::Duration;
use oddswatch::domain::{
    AlertFilter, AlertSort, AlertType, NewSilence, Page, Severity, SilenceEdit, SilenceEnd,
    SilenceMatchers, SilencedFilter, Status,
};
use oddswatch::service::ServiceError;
use oddswatch::store::{ChangeKind, NoiseCounts};

use super::{all_alerts, at, batch, detect, detection, kickoff, service};
use crate::common::TestDb;
use oddswatch::domain::NoisePolicy;
use oddswatch::domain::testing::AlertBuilder;

/// Matches every alert of one event.
pub(super) fn of_event(event_id: i64) -> SilenceMatchers {
    SilenceMatchers {
        event_id: Some(event_id),
        ..SilenceMatchers::default()
    }
}

/// A silence of `matchers` for `minutes` from its start.
pub(super) fn for_minutes(matchers: SilenceMatchers, minutes: i64) -> NewSilence {
    NewSilence {
        matchers,
        end: SilenceEnd::For(Duration::minutes(minutes)),
        reason: "  team news  ".into(),
    }
}

fn with_silenced(silenced: SilencedFilter) -> AlertFilter {
    AlertFilter {
        silenced,
        ..AlertFilter::default()
    }
}

async fn listed(db: &TestDb, silenced: SilencedFilter) -> Vec<i64> {
    db.store
        .list_alerts(
            &with_silenced(silenced),
            AlertSort::Detected,
            &Page::first(100),
        )
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect()
}

fn invalid(result: Result<impl std::fmt::Debug, ServiceError>) -> (&'static str, String) {
    match result {
        Err(ServiceError::InvalidArgument { name, allowed, .. }) => (name, allowed),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_silence_hides_new_and_existing_alerts_until_it_ends(db: &TestDb) {
    let store = &db.store;
    let first = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await;
    let a = first.alert_ids[0];
    let event_id = store.get_alert(a).await.unwrap().unwrap().event_id;
    // An acknowledged alert of the event is left alone: only `new` ones are hidden.
    let other = AlertBuilder::new()
        .event_key("7001")
        .kickoff(kickoff())
        .outcome(Some("2"))
        .prices(3.0, 3.4)
        .detected_at(at(0))
        .build();
    let acked = detect(store, 0, vec![other]).await.alert_ids[0];
    store
        .set_acknowledged(&[acked], Status::Acknowledged, "ada", None, at(1))
        .await
        .unwrap();
    let cursor = store.change_cursor().await.unwrap();

    let silence = service(store, 2)
        .create_silence(for_minutes(of_event(event_id), 30))
        .await
        .unwrap();
    assert_eq!(
        (silence.created_by.as_str(), silence.reason.as_str()),
        ("ada", "team news")
    );
    assert_eq!(
        (silence.starts_at, silence.ends_at),
        (at(2), at(32)),
        "{}",
        db.name
    );
    let changes = store.changes_since(cursor, 10).await.unwrap();
    assert_eq!(changes.len(), 1, "{}", db.name);
    assert_eq!(
        (changes[0].kind, changes[0].alert_id),
        (Some(ChangeKind::Silenced), None)
    );

    let hidden = store.get_alert(a).await.unwrap().unwrap();
    assert_eq!(hidden.silenced_by, Some(silence.id), "{}", db.name);
    assert_eq!(
        store.get_alert(acked).await.unwrap().unwrap().silenced_by,
        None
    );
    assert_eq!(
        listed(db, SilencedFilter::Hide).await,
        vec![acked],
        "{}",
        db.name
    );
    assert_eq!(
        listed(db, SilencedFilter::Only).await,
        vec![a],
        "{}",
        db.name
    );
    assert_eq!(listed(db, SilencedFilter::Include).await.len(), 2);
    let counts = store.status_counts(&AlertFilter::default()).await.unwrap();
    assert_eq!(
        (counts.new, counts.acknowledged, counts.silenced),
        (0, 1, 1),
        "{}",
        db.name
    );
    let counts = store
        .status_counts(&with_silenced(SilencedFilter::Include))
        .await
        .unwrap();
    assert_eq!((counts.new, counts.silenced), (1, 1), "{}", db.name);
    let counts = store
        .status_counts(&with_silenced(SilencedFilter::Only))
        .await
        .unwrap();
    assert_eq!(
        (counts.new, counts.acknowledged, counts.silenced),
        (1, 0, 1),
        "{}",
        db.name
    );
    assert!(
        store.top_open_events(10).await.unwrap().is_empty(),
        "{}",
        db.name
    );
    let stats = service(store, 3).stats().await.unwrap();
    assert_eq!(
        stats.total, 1,
        "{}: stats leave silenced alerts out",
        db.name
    );

    // A new detection the silence matches is stored silenced and asks for nothing; one of
    // another event is not silenced.
    let market = |sr: &str, minute: i64| {
        AlertBuilder::new()
            .event_key(sr)
            .kickoff(kickoff())
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .outcome(Some("Over"))
            .prices(1.9, 2.2)
            .detected_at(at(minute))
            .build()
    };
    let written = store
        .write_cycle_batch(&batch(
            5,
            &["7001", "7002"],
            vec![market("7001", 5), market("7002", 5)],
            NoisePolicy::default(),
        ))
        .await
        .unwrap();
    let NoiseCounts {
        opened,
        silenced,
        attention,
        ..
    } = written.noise;
    assert_eq!((opened, silenced, attention), (2, 1, 1), "{}", db.name);
    let stored = store.get_alerts(&written.alert_ids).await.unwrap();
    assert_eq!(stored[0].silenced_by, Some(silence.id), "{}", db.name);
    assert_eq!(stored[1].silenced_by, None, "{}", db.name);

    // A further detection folding into the silenced alert while the silence applies keeps it
    // hidden.
    let again = detect(
        store,
        6,
        vec![detection("7001", 6, 2.3, 2.4, Severity::Warning)],
    )
    .await;
    assert_eq!(
        (
            again.noise.updated,
            again.noise.silenced,
            again.noise.attention
        ),
        (1, 1, 0)
    );
    assert_eq!(
        store.get_alert(a).await.unwrap().unwrap().silenced_by,
        Some(silence.id)
    );

    // Expired by hand: the new alerts it hid are shown again, and later detections get
    // through.
    let expired = service(store, 10)
        .as_user("bob")
        .expire_silence(silence.id)
        .await
        .unwrap();
    assert_eq!(
        (expired.expired_at, expired.expired_by.as_deref()),
        (Some(at(10)), Some("bob"))
    );
    assert_eq!(
        service(store, 11).expire_silence(silence.id).await.unwrap(),
        expired,
        "{}: idempotent",
        db.name
    );
    for id in [a, stored[0].id] {
        assert_eq!(
            store.get_alert(id).await.unwrap().unwrap().silenced_by,
            None,
            "{}: alert {id} shown again",
            db.name
        );
    }
    let after = detect(
        store,
        12,
        vec![detection("7001", 12, 2.4, 2.5, Severity::Warning)],
    )
    .await;
    assert_eq!(
        (after.noise.silenced, after.noise.updated),
        (0, 1),
        "{}",
        db.name
    );
    assert_eq!(
        store.get_alert(a).await.unwrap().unwrap().silenced_by,
        None,
        "{}: visible",
        db.name
    );
    assert_eq!(
        listed(db, SilencedFilter::Only).await,
        Vec::<i64>::new(),
        "{}",
        db.name
    );

    let audit = store.silence_audit(silence.id).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![("create", "ada"), ("expire", "bob")],
        "{}",
        db.name
    );
    assert_eq!(all_alerts(store).await.len(), 4);
}

async fn silences_are_listed_edited_and_expired_by_housekeeping(db: &TestDb) {
    let store = &db.store;
    detect(store, 0, Vec::new()).await;
    let svc = service(store, 0);
    let by_book = svc
        .create_silence(for_minutes(
            SilenceMatchers {
                bookmaker: Some("sportybet".into()),
                ..Default::default()
            },
            60,
        ))
        .await
        .unwrap();
    let by_type = svc
        .create_silence(NewSilence {
            matchers: SilenceMatchers {
                alert_type: Some(AlertType::Margin),
                max_severity: Some(Severity::Elevated),
                ..Default::default()
            },
            end: SilenceEnd::At(at(20)),
            reason: String::new(),
        })
        .await
        .unwrap();
    let ids = |list: Vec<oddswatch::domain::Silence>| list.iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(svc.silences(false).await.unwrap()),
        vec![by_type.id, by_book.id],
        "{}",
        db.name
    );

    let edited = service(store, 5)
        .edit_silence(
            by_book.id,
            SilenceEdit {
                end: Some(SilenceEnd::For(Duration::hours(2))),
                reason: Some("feed broken".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.ends_at, edited.reason.as_str()),
        (at(120), "feed broken"),
        "{}",
        db.name
    );
    let trail = store.silence_audit(by_book.id).await.unwrap();
    assert_eq!(trail.last().unwrap().action, "edit");
    assert!(
        trail
            .last()
            .unwrap()
            .comment
            .as_deref()
            .unwrap()
            .contains("feed broken"),
        "{trail:?}"
    );

    // At 12:30 the type silence has ended: housekeeping marks it, once.
    let later = service(store, 30);
    assert_eq!(
        ids(later.silences(false).await.unwrap()),
        vec![by_book.id],
        "{}",
        db.name
    );
    let done = oddswatch::pipeline::jobs::housekeeping(&later, 30, 30)
        .await
        .unwrap();
    assert_eq!(
        done.expired_silences, 1,
        "{}: housekeeping expires it",
        db.name
    );
    assert_eq!(
        later.expire_ended_silences().await.unwrap(),
        0,
        "{}",
        db.name
    );
    let ended = later.silence(by_type.id).await.unwrap();
    assert_eq!(ended.expired_by.as_deref(), Some("system"));
    assert_eq!(
        ids(later.silences(true).await.unwrap()),
        vec![by_type.id, by_book.id]
    );
    let (name, allowed) = invalid(
        later
            .edit_silence(
                by_type.id,
                SilenceEdit {
                    reason: Some("x".into()),
                    end: None,
                },
            )
            .await,
    );
    assert_eq!(name, "silence");
    assert!(allowed.contains("not ended"), "{allowed}");
    assert!(matches!(
        later.silence(999).await,
        Err(ServiceError::SilenceNotFound(999))
    ));
    assert!(matches!(
        later.expire_silence(999).await,
        Err(ServiceError::SilenceNotFound(999))
    ));
}

async fn until_kickoff_ends_at_the_event_kickoff_and_bad_inputs_are_refused(db: &TestDb) {
    let store = &db.store;
    let id = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await
    .alert_ids[0];
    let event_id = store.get_alert(id).await.unwrap().unwrap().event_id;
    let svc = service(store, 0);
    let until = svc
        .create_silence(NewSilence {
            matchers: of_event(event_id),
            end: SilenceEnd::UntilKickoff,
            reason: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(until.ends_at, kickoff(), "{}", db.name);

    let empty = svc
        .create_silence(for_minutes(SilenceMatchers::default(), 30))
        .await;
    assert_eq!(invalid(empty).0, "matchers");
    let no_event = svc
        .create_silence(NewSilence {
            matchers: SilenceMatchers {
                bookmaker: Some("bet9ja".into()),
                ..Default::default()
            },
            end: SilenceEnd::UntilKickoff,
            reason: String::new(),
        })
        .await;
    assert_eq!(invalid(no_event).0, "end");
    let unknown = svc.create_silence(for_minutes(of_event(424_242), 30)).await;
    assert_eq!(invalid(unknown).0, "event");
    let past = svc
        .create_silence(NewSilence {
            matchers: of_event(event_id),
            end: SilenceEnd::At(at(-1)),
            reason: String::new(),
        })
        .await;
    assert_eq!(invalid(past).0, "end");
    let too_long = svc
        .create_silence(for_minutes(of_event(event_id), 31 * 24 * 60))
        .await;
    assert!(invalid(too_long).1.contains("30 days"));
    let zero = svc.create_silence(for_minutes(of_event(event_id), 0)).await;
    assert_eq!(invalid(zero).0, "duration");
    let control = svc
        .create_silence(NewSilence {
            reason: "bad\u{1b}[31m".into(),
            ..for_minutes(of_event(event_id), 30)
        })
        .await;
    assert_eq!(invalid(control).0, "reason");
    let started = service(store, 25 * 60)
        .create_silence(NewSilence {
            matchers: of_event(event_id),
            end: SilenceEnd::UntilKickoff,
            reason: String::new(),
        })
        .await;
    assert!(invalid(started).1.contains("not started"), "{}", db.name);
    assert_eq!(
        svc.silences(true).await.unwrap().len(),
        1,
        "{}: nothing refused was stored",
        db.name
    );
}

async fn tournament_outcome_and_severity_matchers_apply(db: &TestDb) {
    let store = &db.store;
    detect(store, 0, Vec::new()).await;
    let svc = service(store, 0);
    svc.create_silence(for_minutes(
        SilenceMatchers {
            tournament: Some("serie a".into()),
            outcome: Some("1".into()),
            max_severity: Some(Severity::Elevated),
            ..Default::default()
        },
        60,
    ))
    .await
    .unwrap();
    let written = store
        .write_cycle_batch(&batch(
            1,
            &["9001", "7001"],
            vec![
                detection("9001", 1, 2.0, 2.3, Severity::Warning),
                detection("9001", 1, 2.0, 2.3, Severity::Warning),
                detection("7001", 1, 2.0, 2.3, Severity::Warning),
                {
                    let mut d = detection("9001", 1, 2.0, 3.0, Severity::Critical);
                    d.market_id = "3795".into();
                    d
                },
            ],
            NoisePolicy::default(),
        ))
        .await
        .unwrap();
    let stored = store.get_alerts(&written.alert_ids).await.unwrap();
    let silenced: Vec<bool> = stored.iter().map(|a| a.silenced_by.is_some()).collect();
    assert_eq!(
        silenced,
        vec![true, false, false],
        "{}: Serie A warning only",
        db.name
    );
    assert_eq!(stored[0].occurrences, 2);
    assert_eq!(
        (written.noise.silenced, written.noise.attention),
        (2, 2),
        "{}",
        db.name
    );
}

contract_cases!(
    a_silence_hides_new_and_existing_alerts_until_it_ends,
    silences_are_listed_edited_and_expired_by_housekeeping,
    until_kickoff_ends_at_the_event_kickoff_and_bad_inputs_are_refused,
    tournament_outcome_and_severity_matchers_apply,
);
