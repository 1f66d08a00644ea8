//! Noise control through `update` (DESIGN §10): the silence form, the silences screen, the
//! toggle that shows silenced alerts, and the bell and highlight of escalated and re-opened
//! alerts.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures::*;
use crate::domain::{
    Alert, NewSilence, Severity, Silence, SilenceEdit, SilenceEnd, SilenceMatchers, SilencedFilter,
    Status,
};
use crate::live::Change;
use crate::tui::action::{Action, Effect};
use crate::tui::silence::{FormField, Scope, parse_duration, short_duration};
use crate::tui::state::{Overlay, State};
use crate::tui::update::update;

/// A silence made `minutes_ago`, ending in `ends_in` minutes (negative: ended).
pub(super) fn silence(id: i64, minutes_ago: i64, ends_in: i64) -> Silence {
    Silence {
        id,
        matchers: SilenceMatchers {
            event_id: Some(2),
            market_id: Some("5000".into()),
            ..SilenceMatchers::default()
        },
        starts_at: now() - Duration::minutes(minutes_ago),
        ends_at: now() + Duration::minutes(ends_in),
        reason: format!("feed glitch {id}"),
        created_by: "lead".into(),
        created_at: now() - Duration::minutes(minutes_ago),
        expired_at: None,
        expired_by: None,
    }
}

fn form(s: &State) -> &crate::tui::silence::SilenceForm {
    match &s.overlay {
        Some(Overlay::Silence(form)) => form,
        other => panic!("no silence form: {other:?}"),
    }
}

fn screen(s: &State) -> &crate::tui::silence::SilencesScreen {
    match &s.overlay {
        Some(Overlay::Silences(screen)) => screen,
        other => panic!("no silences screen: {other:?}"),
    }
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        update(s, key(KeyCode::Char(c)));
    }
}

/// The state on the over/under row of event 2 (alert 29 of `alerts(30)`), form open.
fn form_on_over_under() -> State {
    let mut s = loaded(alerts(30));
    press(&mut s, 'j');
    assert_eq!(s.selected_alert().unwrap().id, 29);
    press(&mut s, 'z');
    s
}

#[test]
fn z_opens_the_form_and_enter_silences_this_outcome_for_30_minutes() {
    let mut s = form_on_over_under();
    assert_eq!(form(&s).scope, Scope::Outcome);
    type_text(&mut s, "");
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(form(&s).field, FormField::Reason);
    type_text(&mut s, "feed glitch");
    let effects = update(&mut s, key(KeyCode::Enter));
    let alert = &s.list.rows[1];
    assert_eq!(
        effects,
        vec![Effect::CreateSilence(NewSilence {
            matchers: SilenceMatchers {
                event_id: Some(alert.event_id),
                market_id: Some("5000".into()),
                line: alert.line,
                outcome: Some("Over".into()),
                ..SilenceMatchers::default()
            },
            end: SilenceEnd::For(Duration::minutes(30)),
            reason: "feed glitch".into(),
        })]
    );
    assert!(form(&s).sending, "the form waits for the answer");
}

#[test]
fn the_scopes_build_market_event_and_book_matchers_from_the_row() {
    let mut s = form_on_over_under();
    let alert = s.list.rows[1].clone();
    update(&mut s, key(KeyCode::Right));
    assert_eq!(
        form(&s).matchers(),
        SilenceMatchers {
            event_id: Some(alert.event_id),
            market_id: Some("5000".into()),
            ..SilenceMatchers::default()
        }
    );
    update(&mut s, key(KeyCode::Right));
    assert_eq!(
        form(&s).matchers(),
        SilenceMatchers {
            event_id: Some(alert.event_id),
            ..SilenceMatchers::default()
        }
    );
    update(&mut s, key(KeyCode::Right));
    assert_eq!(
        form(&s).matchers(),
        SilenceMatchers {
            bookmaker: Some("betpawa".into()),
            ..SilenceMatchers::default()
        }
    );
    update(&mut s, key(KeyCode::Right));
    assert_eq!(form(&s).scope, Scope::Outcome, "the choice wraps around");
}

#[test]
fn until_kickoff_and_a_typed_duration_are_asked_for_as_chosen() {
    let mut s = form_on_over_under();
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Right));
    update(&mut s, key(KeyCode::Right));
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(
        matches!(&effects[..], [Effect::CreateSilence(n)] if n.end == SilenceEnd::UntilKickoff),
        "{effects:?}"
    );

    let mut s = form_on_over_under();
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Left));
    type_text(&mut s, "1h30m");
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(
        matches!(&effects[..], [Effect::CreateSilence(n)]
            if n.end == SilenceEnd::For(Duration::minutes(90))),
        "{effects:?}"
    );
}

#[test]
fn a_duration_that_does_not_read_is_refused_in_the_form_without_asking_the_service() {
    let mut s = form_on_over_under();
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Left));
    type_text(&mut s, "45");
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(effects.is_empty(), "{effects:?}");
    let error = form(&s).error.clone().unwrap();
    assert!(error.contains("45m, 3h"), "{error}");
    assert!(!form(&s).sending);
}

#[test]
fn the_services_refusal_shows_in_the_form_and_esc_cancels() {
    let mut s = form_on_over_under();
    update(&mut s, key(KeyCode::Enter));
    update(
        &mut s,
        Action::SilenceCreated(Err("until kickoff needs an event".into())),
    );
    assert_eq!(
        form(&s).error.as_deref(),
        Some("until kickoff needs an event")
    );
    assert!(
        !form(&s).sending,
        "the trader can change the form and retry"
    );
    let effects = update(&mut s, key(KeyCode::Esc));
    assert!(effects.is_empty());
    assert!(s.overlay.is_none());
}

#[test]
fn a_made_silence_closes_the_form_says_so_and_reloads_the_list() {
    let mut s = form_on_over_under();
    update(&mut s, key(KeyCode::Enter));
    let effects = update(&mut s, Action::SilenceCreated(Ok(silence(7, 0, 30))));
    assert!(s.overlay.is_none());
    let text = s.message.as_ref().unwrap().text.clone();
    assert!(text.contains("silence 7") && text.contains("30m"), "{text}");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::LoadPage { .. })),
        "{effects:?}"
    );
}

#[test]
fn silenced_alerts_are_hidden_until_shown_and_never_counted_as_new() {
    let mut s = loaded(alerts(3));
    assert_eq!(s.filter().silenced, SilencedFilter::Hide);
    let effects = press(&mut s, 'S');
    assert!(s.show_silenced);
    let query = effects.iter().find_map(|e| match e {
        Effect::LoadPage { query, .. } => Some(query.clone()),
        _ => None,
    });
    assert_eq!(query.unwrap().filter.silenced, SilencedFilter::Include);
    assert_eq!(
        s.counts_filter().silenced,
        SilencedFilter::Hide,
        "the tab counts leave silenced alerts out while they are shown"
    );
    press(&mut s, 'S');
    assert_eq!(s.filter().silenced, SilencedFilter::Hide);
}

fn updated(alerts: Vec<Alert>) -> Action {
    Action::Change(Change::Updated(alerts.into()))
}

fn escalated(id: i64, severity: Severity) -> Alert {
    let mut a = alert(id, 5, severity, Status::New);
    a.escalated = true;
    a.occurrences = 3;
    a
}

#[test]
fn an_escalation_to_critical_rings_and_highlights_once_per_severity() {
    let mut s = loaded(vec![alert(4, 5, Severity::Warning, Status::New)]);
    let effects = update(&mut s, updated(vec![escalated(4, Severity::Critical)]));
    assert!(effects.contains(&Effect::Bell), "{effects:?}");
    assert!(s.fresh.contains_key(&4), "highlighted again");
    idle(&mut s);
    s.fresh.clear();
    let effects = update(&mut s, updated(vec![escalated(4, Severity::Critical)]));
    assert!(
        !effects.contains(&Effect::Bell),
        "a further detection at the same severity asks for nothing"
    );
    assert!(!s.fresh.contains_key(&4));
}

#[test]
fn a_reopened_alert_rings_and_a_silenced_one_never_does() {
    let mut s = loaded(vec![alert(4, 5, Severity::Elevated, Status::Acknowledged)]);
    let effects = update(&mut s, updated(vec![escalated(4, Severity::Critical)]));
    assert!(effects.contains(&Effect::Bell), "re-opened: {effects:?}");

    let mut s = loaded(alerts(1));
    let mut quiet = escalated(8, Severity::Critical);
    quiet.silenced_by = Some(3);
    let effects = update(&mut s, updated(vec![quiet.clone()]));
    assert!(!effects.contains(&Effect::Bell));
    let effects = update(&mut s, Action::Change(Change::Created(vec![quiet].into())));
    assert!(!effects.contains(&Effect::Bell), "a silenced new alert");
}

#[test]
fn a_plain_fold_into_an_alert_does_not_ring() {
    let mut s = loaded(vec![alert(4, 5, Severity::Critical, Status::New)]);
    let mut folded = alert(4, 5, Severity::Critical, Status::New);
    folded.occurrences = 2;
    let effects = update(&mut s, updated(vec![folded]));
    assert!(!effects.contains(&Effect::Bell));
    assert!(!s.fresh.contains_key(&4));
}

fn open_screen(silences: Vec<Silence>) -> State {
    let mut s = loaded(alerts(3));
    let effects = press(&mut s, 'Z');
    assert_eq!(
        effects,
        vec![Effect::LoadSilences {
            seq: 1,
            include_ended: false
        }]
    );
    update(
        &mut s,
        Action::SilencesLoaded {
            seq: 1,
            result: Ok(silences),
        },
    );
    s
}

#[test]
fn the_silences_screen_lists_active_silences_first() {
    let s = open_screen(vec![
        silence(9, 5, -1),
        silence(8, 10, 20),
        silence(7, 60, 90),
    ]);
    let ids: Vec<i64> = screen(&s).silences.iter().map(|x| x.id).collect();
    assert_eq!(ids, vec![8, 7, 9]);
}

#[test]
fn tab_lists_ended_silences_too_and_a_stale_list_is_dropped() {
    let mut s = open_screen(vec![silence(8, 10, 20)]);
    let effects = update(&mut s, key(KeyCode::Tab));
    assert_eq!(
        effects,
        vec![Effect::LoadSilences {
            seq: 2,
            include_ended: true
        }]
    );
    update(
        &mut s,
        Action::SilencesLoaded {
            seq: 1,
            result: Ok(Vec::new()),
        },
    );
    assert_eq!(
        screen(&s).silences.len(),
        1,
        "the answer to an older request"
    );
}

#[test]
fn x_then_y_expires_the_selected_silence() {
    let mut s = open_screen(vec![silence(8, 10, 20), silence(7, 60, 90)]);
    update(&mut s, key(KeyCode::Char('j')));
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    assert_eq!(screen(&s).confirm_expire, Some(7));
    let effects = update(&mut s, key(KeyCode::Char('y')));
    assert_eq!(effects, vec![Effect::ExpireSilence(7)]);
    let mut expired = silence(7, 60, 90);
    expired.expired_at = Some(now());
    let effects = update(&mut s, Action::SilenceChanged(Ok(expired)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSilences { .. })),
        "{effects:?}"
    );
    assert!(s.message.as_ref().unwrap().text.contains("expired"));
}

#[test]
fn any_other_key_keeps_the_silence() {
    let mut s = open_screen(vec![silence(8, 10, 20)]);
    update(&mut s, key(KeyCode::Char('x')));
    assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
    assert_eq!(screen(&s).confirm_expire, None);
}

#[test]
fn e_edits_the_end_and_the_reason() {
    let mut s = open_screen(vec![silence(8, 10, 20)]);
    update(&mut s, key(KeyCode::Char('e')));
    type_text(&mut s, "2h");
    update(&mut s, key(KeyCode::Tab));
    for _ in 0..30 {
        update(&mut s, key(KeyCode::Backspace));
    }
    type_text(&mut s, "still glitching");
    let effects = update(&mut s, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::EditSilence {
            id: 8,
            edit: SilenceEdit {
                end: Some(SilenceEnd::For(Duration::hours(2))),
                reason: Some("still glitching".into()),
            }
        }]
    );
    assert!(screen(&s).editing.is_none());
}

#[test]
fn an_edit_that_changes_nothing_is_not_sent() {
    let mut s = open_screen(vec![silence(8, 10, 20)]);
    update(&mut s, key(KeyCode::Char('e')));
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert_eq!(screen(&s).error.as_deref(), Some("nothing changed"));
}

#[test]
fn the_screen_follows_silence_changes_from_the_live_feed() {
    let mut s = open_screen(vec![silence(8, 10, 20)]);
    let effects = update(&mut s, Action::Change(Change::Reload));
    assert!(
        effects.contains(&Effect::LoadSilences {
            seq: 2,
            include_ended: false
        }),
        "{effects:?}"
    );
}

#[test]
fn silence_keys_do_nothing_without_a_row() {
    let mut s = loaded(Vec::new());
    press(&mut s, 'z');
    assert!(s.overlay.is_none());
    assert!(s.message.is_some());
    // Ctrl-less capital keys reach the keymap as typed.
    let big_z = KeyEvent::new(KeyCode::Char('Z'), KeyModifiers::SHIFT);
    update(&mut s, Action::Key(big_z));
    assert!(matches!(s.overlay, Some(Overlay::Silences(_))));
}

#[test]
fn durations_read_as_traders_type_them() {
    assert_eq!(parse_duration("45m"), Ok(Duration::minutes(45)));
    assert_eq!(parse_duration(" 3H "), Ok(Duration::hours(3)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
    assert_eq!(parse_duration("2d"), Ok(Duration::days(2)));
    for bad in ["", "45", "m", "3x", "0m", "1.5h", "99999999999h"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} was read");
    }
    assert_eq!(short_duration(Duration::minutes(28)), "28m");
    assert_eq!(short_duration(Duration::minutes(150)), "2h30m");
    assert_eq!(short_duration(Duration::minutes(120)), "2h");
    assert_eq!(short_duration(Duration::minutes(1440 + 240)), "1d4h");
}
