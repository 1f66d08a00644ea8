//! How silences and folding meet (found in review): a re-opened alert honours the silence that
//! holds now, a silenced alert is not quietly un-hidden by a later detection, a silence lifted by
//! hand shows again what it hid, and a maximum severity alone cannot silence every event.

use oddswatch::domain::{Severity, SilenceMatchers, Status};
use oddswatch::service::ServiceError;
use oddswatch::store::ChangeKind;

use super::silences::{for_minutes, of_event};
use super::{at, detect, detection, service};
use crate::common::TestDb;

/// Acknowledged at 12:01, the event silenced at 12:02, a critical detection at 12:10: the alert
/// re-opens (audited, escalated) but stays hidden by the silence — no New, no bell.
async fn a_reopened_alert_stays_hidden_while_a_silence_holds(db: &TestDb) {
    let store = &db.store;
    let first = detection("7001", 0, 2.0, 2.3, Severity::Elevated);
    let id = detect(store, 0, vec![first]).await.alert_ids[0];
    let event_id = store.get_alert(id).await.unwrap().unwrap().event_id;
    store
        .set_acknowledged(&[id], Status::Acknowledged, "ada", None, at(1))
        .await
        .unwrap();
    let silence = service(store, 2)
        .create_silence(for_minutes(of_event(event_id), 120))
        .await
        .unwrap();
    let critical = detection("7001", 10, 2.3, 3.5, Severity::Critical);
    let written = detect(store, 10, vec![critical]).await;
    let alert = store.get_alert(id).await.unwrap().unwrap();
    assert_eq!(
        (alert.status, alert.escalated, alert.silenced_by),
        (Status::New, true, Some(silence.id)),
        "{}",
        db.name
    );
    assert_eq!(
        (
            written.noise.reopened,
            written.noise.silenced,
            written.noise.attention
        ),
        (1, 1, 0)
    );
}

/// A critical alert stored silenced; the silence runs out; a later critical detection that no
/// silence matches opens a new alert (created, asking for attention) instead of quietly
/// un-hiding the old one, which keeps its silence and its history.
async fn after_its_silence_a_silenced_alert_does_not_swallow_a_visible_detection(db: &TestDb) {
    let store = &db.store;
    let anchor = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await;
    let event_id = store
        .get_alert(anchor.alert_ids[0])
        .await
        .unwrap()
        .unwrap()
        .event_id;
    let silence = service(store, 1)
        .create_silence(for_minutes(of_event(event_id), 30))
        .await
        .unwrap();
    let mut hidden = detection("7001", 5, 2.0, 3.5, Severity::Critical);
    hidden.outcome_name = Some("2".into());
    let hidden_id = detect(store, 5, vec![hidden]).await.alert_ids[0];
    let mut later = detection("7001", 40, 3.5, 4.5, Severity::Critical);
    later.outcome_name = Some("2".into());
    let written = detect(store, 40, vec![later]).await;

    assert_eq!(
        written.alert_ids.len(),
        1,
        "{}: a new alert is opened",
        db.name
    );
    let opened = store
        .get_alert(written.alert_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_ne!(opened.id, hidden_id);
    assert_eq!((opened.status, opened.silenced_by), (Status::New, None));
    let kinds: Vec<_> = written.changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![Some(ChangeKind::Created)]);
    assert_eq!((written.noise.opened, written.noise.attention), (1, 1));
    let old = store.get_alert(hidden_id).await.unwrap().unwrap();
    assert_eq!((old.occurrences, old.silenced_by), (1, Some(silence.id)));
}

/// A silence made by mistake and lifted a minute later shows again the alerts it hid.
async fn a_silence_lifted_by_hand_shows_again_what_it_hid(db: &TestDb) {
    let store = &db.store;
    let id = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 3.5, Severity::Critical)],
    )
    .await
    .alert_ids[0];
    let book = SilenceMatchers {
        bookmaker: Some("betpawa".into()),
        ..SilenceMatchers::default()
    };
    let silence = service(store, 1)
        .create_silence(for_minutes(book, 120))
        .await
        .unwrap();
    assert_eq!(
        store.get_alert(id).await.unwrap().unwrap().silenced_by,
        Some(silence.id)
    );
    service(store, 2).expire_silence(silence.id).await.unwrap();
    assert_eq!(
        store.get_alert(id).await.unwrap().unwrap().silenced_by,
        None,
        "{}",
        db.name
    );
}

/// `maxSeverity` alone would silence every event and book: refused, naming what is needed.
async fn a_maximum_severity_alone_is_refused(db: &TestDb) {
    let store = &db.store;
    let all = SilenceMatchers {
        max_severity: Some(Severity::Critical),
        ..SilenceMatchers::default()
    };
    let err = service(store, 1)
        .create_silence(for_minutes(all, 60))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ServiceError::InvalidArgument {
                name: "matchers",
                ..
            }
        ),
        "{}: {err}",
        db.name
    );
    assert!(
        err.to_string().contains("maximum severity only narrows"),
        "{err}"
    );
}

/// A book matcher is a slug: `Betpawa` silences betpawa's alerts rather than nothing.
async fn a_book_matcher_is_matched_as_the_slug_whatever_its_case(db: &TestDb) {
    let store = &db.store;
    let id = detect(
        store,
        0,
        vec![detection("7001", 0, 2.0, 2.3, Severity::Warning)],
    )
    .await
    .alert_ids[0];
    let book = SilenceMatchers {
        bookmaker: Some(" Betpawa ".into()),
        ..SilenceMatchers::default()
    };
    let silence = service(store, 1)
        .create_silence(for_minutes(book, 60))
        .await
        .unwrap();
    assert_eq!(silence.matchers.bookmaker.as_deref(), Some("betpawa"));
    assert_eq!(
        store.get_alert(id).await.unwrap().unwrap().silenced_by,
        Some(silence.id),
        "{}",
        db.name
    );
}

contract_cases!(
    a_reopened_alert_stays_hidden_while_a_silence_holds,
    after_its_silence_a_silenced_alert_does_not_swallow_a_visible_detection,
    a_silence_lifted_by_hand_shows_again_what_it_hid,
    a_maximum_severity_alone_is_refused,
    a_book_matcher_is_matched_as_the_slug_whatever_its_case,
);
