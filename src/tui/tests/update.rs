//! `update` behaviour: filters, tabs, sort, paging, live arrivals, freeze, marks and
//! acknowledgements (optimistic, refused, failed).

use chrono::Duration;
use crossterm::event::KeyCode;

use super::fixtures::*;
use crate::domain::AckOutcome;
use crate::domain::{AlertSort, Severity, Status};
use crate::live::Change;
use crate::tui::action::{Action, Effect};
use crate::tui::state::{Overlay, PageStart, Tab};
use crate::tui::update::update;

/// A live change of new alerts with these ids (newest last, as the feed sends them).
fn created(ids: &[i64]) -> Change {
    Change::Created(
        ids.iter()
            .map(|id| alert(*id, 0, Severity::Warning, Status::New))
            .collect(),
    )
}

fn list_query(effects: &[Effect]) -> Option<&crate::tui::action::ListQuery> {
    effects.iter().find_map(|e| match e {
        Effect::LoadPage { query, .. } => Some(query),
        _ => None,
    })
}

#[test]
fn starting_loads_the_first_window_of_new_alerts_and_the_stats() {
    let mut s = state();
    let effects = update(&mut s, Action::Start);
    let query = list_query(&effects).unwrap();
    assert_eq!(query.filter.statuses, vec![Status::New]);
    assert_eq!(query.page.after, None);
    assert!(query.page.limit <= crate::domain::MAX_PAGE_LIMIT);
    assert!(effects.contains(&Effect::LoadStats));
}

#[test]
fn number_keys_and_tab_switch_status_tabs_and_requery_from_the_top() {
    let mut s = loaded(alerts(5));
    press(&mut s, 'j');
    let effects = press(&mut s, '2');
    assert_eq!(s.tab, Tab::Acknowledged);
    assert_eq!(
        list_query(&effects).unwrap().filter.statuses,
        vec![Status::Acknowledged]
    );
    assert_eq!(s.list.selected, 0);
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.tab, Tab::Past);
    let effects = press(&mut s, '4');
    assert!(list_query(&effects).unwrap().filter.statuses.is_empty());
}

#[test]
fn filters_cycle_and_escape_clears_them() {
    let mut s = loaded(alerts(5));
    let effects = press(&mut s, 's');
    assert_eq!(
        list_query(&effects).unwrap().filter.severities,
        vec![Severity::Critical]
    );
    press(&mut s, 's');
    assert_eq!(s.severity, Some(Severity::Elevated));
    let effects = press(&mut s, 'b');
    assert_eq!(
        list_query(&effects).unwrap().filter.bookmaker.as_deref(),
        Some("bet9ja")
    );
    press(&mut s, 't');
    assert!(s.alert_type.is_some());
    idle(&mut s);
    let effects = update(&mut s, key(KeyCode::Esc));
    let filter = &list_query(&effects).unwrap().filter;
    assert!(
        filter.severities.is_empty() && filter.bookmaker.is_none() && filter.alert_types.is_empty()
    );
}

#[test]
fn the_text_filter_queries_on_every_keystroke_and_escape_clears_it() {
    let mut s = loaded(alerts(5));
    press(&mut s, '/');
    assert_eq!(s.overlay, Some(Overlay::TextFilter));
    press(&mut s, 'a');
    let effects = press(&mut s, 'r');
    assert_eq!(
        list_query(&effects).unwrap().filter.text.as_deref(),
        Some("ar")
    );
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.overlay, None);
    assert_eq!(s.text, "ar");
    press(&mut s, '/');
    let effects = update(&mut s, key(KeyCode::Esc));
    assert_eq!(list_query(&effects).unwrap().filter.text, None);
    assert_eq!(s.overlay, None);
}

#[test]
fn event_only_restricts_to_the_selected_alerts_event_and_toggles_off() {
    let mut s = loaded(alerts(5));
    let event = s.list.rows[0].event_id;
    let effects = press(&mut s, 'e');
    assert_eq!(list_query(&effects).unwrap().filter.event_id, Some(event));
    let effects = press(&mut s, 'e');
    assert_eq!(list_query(&effects).unwrap().filter.event_id, None);
}

#[test]
fn the_sort_key_cycles_through_every_order() {
    let mut s = loaded(alerts(3));
    let mut seen = vec![s.sort];
    for _ in 0..AlertSort::ALL.len() {
        let effects = press(&mut s, 'o');
        assert_eq!(list_query(&effects).unwrap().sort, s.sort);
        seen.push(s.sort);
    }
    assert_eq!(seen.first(), seen.last());
    assert_eq!(&seen[..4], AlertSort::ALL);
}

#[test]
fn new_alerts_arriving_above_appear_at_the_top_and_the_same_alert_stays_selected() {
    let mut s = loaded(alerts(5));
    press(&mut s, 'j');
    press(&mut s, 'j');
    let chosen = s.selected_alert().unwrap().id;
    let effects = update(&mut s, Action::Change(created(&[6, 7])));
    assert!(
        list_query(&effects).is_some(),
        "a live arrival reloads the window"
    );
    let mut rows = vec![
        alert(7, 0, Severity::Critical, Status::New),
        alert(6, 0, Severity::Warning, Status::New),
    ];
    rows.extend(alerts(5));
    answer(&mut s, rows, false);
    assert_eq!(s.selected_alert().unwrap().id, chosen);
    assert_eq!(s.list.offset, 0, "the arrivals are on screen, at the top");
    assert!(s.fresh.contains_key(&7) && s.fresh.contains_key(&6));
    // The highlight fades after a few seconds, with one redraw.
    s.dirty = false;
    update(&mut s, Action::Tick(now() + Duration::seconds(10)));
    assert!(s.fresh.is_empty());
    assert!(s.dirty);
}

#[test]
fn new_alerts_arriving_above_a_scrolled_window_keep_the_selected_row_on_its_line() {
    // A window longer than the screen, scrolled (a window shorter than the screen is never
    // scrolled: the screen stays full).
    let mut s = loaded(alerts(40));
    s.list.offset = 10;
    s.list.selected = 12;
    let chosen = s.selected_alert().unwrap().id;
    let line = s.list.selected - s.list.offset;
    update(&mut s, Action::Change(created(&[41, 42])));
    let mut rows = vec![
        alert(42, 0, Severity::Critical, Status::New),
        alert(41, 0, Severity::Warning, Status::New),
    ];
    rows.extend(alerts(40));
    answer(&mut s, rows, false);
    assert_eq!(s.selected_alert().unwrap().id, chosen);
    assert_eq!(
        s.list.selected - s.list.offset,
        line,
        "the row did not move on screen"
    );
}

#[test]
fn an_acknowledged_row_leaving_the_new_tab_leaves_the_selection_in_place() {
    let mut s = loaded(alerts(5));
    press(&mut s, 'j');
    let mut rows = alerts(5);
    rows.remove(1);
    update(
        &mut s,
        Action::Change(Change::Updated(
            vec![alert(4, 0, Severity::Warning, Status::Acknowledged)].into(),
        )),
    );
    answer(&mut s, rows, false);
    assert_eq!(s.list.selected, 1);
    assert_eq!(s.selected_alert().unwrap().id, 3);
}

#[test]
fn freezing_stops_rows_moving_and_counts_what_arrived() {
    let mut s = loaded(alerts(3));
    press(&mut s, 'f');
    assert!(s.frozen);
    let effects = update(&mut s, Action::Change(created(&[10, 11])));
    assert!(
        list_query(&effects).is_none(),
        "frozen rows are not reloaded"
    );
    update(
        &mut s,
        Action::Change(Change::Updated(
            vec![alert(1, 0, Severity::Warning, Status::Acknowledged)].into(),
        )),
    );
    assert_eq!(s.frozen_arrivals, 2);
    assert_eq!(ids(&s), vec![3, 2, 1]);
    let effects = press(&mut s, 'f');
    assert!(!s.frozen);
    assert_eq!(s.frozen_arrivals, 0);
    assert!(list_query(&effects).is_some(), "thawing catches up");
}

#[test]
fn moving_past_the_window_pages_by_keyset_and_back() {
    let mut s = state();
    update(&mut s, Action::Start);
    answer(&mut s, alerts(3), true);
    press(&mut s, 'j');
    press(&mut s, 'j');
    let effects = press(&mut s, 'j');
    let query = list_query(&effects).unwrap();
    assert_eq!(
        query.page.after.as_ref().unwrap().id,
        1,
        "next window starts after the last row"
    );
    answer(
        &mut s,
        vec![alert(0, 99, Severity::Warning, Status::New)],
        false,
    );
    assert_eq!(s.list.first_row, 3);
    assert_eq!(s.list.selected, 0);
    let effects = press(&mut s, 'k');
    assert_eq!(list_query(&effects).unwrap().page.after, None);
    answer(&mut s, alerts(3), true);
    assert_eq!(
        s.list.selected, 2,
        "back on the last row of the window above"
    );
}

#[test]
fn bottom_reads_the_end_backwards_and_pages_up_by_keyset() {
    let mut s = state();
    update(&mut s, Action::Start);
    answer(&mut s, alerts(3), true);
    s.list.counts.new = 1_000_000;
    let effects = press(&mut s, 'G');
    let query = list_query(&effects).unwrap();
    assert!(query.page.backwards, "the end is read backwards");
    assert_eq!(query.page.after, None);
    assert_eq!(query.page.offset, 0, "no OFFSET scan");
    assert_eq!(
        s.list.first_row,
        1_000_000 - u64::from(crate::tui::state::PAGE_LIMIT)
    );
    answer(&mut s, alerts(3), false);
    assert_eq!(s.list.selected, 2, "on the last row");
    press(&mut s, 'k');
    press(&mut s, 'k');
    let effects = press(&mut s, 'k');
    let query = list_query(&effects).expect("the window above is loaded");
    assert!(query.page.backwards);
    assert_eq!(
        query.page.after.as_ref().map(|c| c.id),
        Some(3),
        "it ends just before the first row shown"
    );
    assert!(matches!(
        s.list.pages.last(),
        Some(PageStart::Before(Some(_)))
    ));
}

#[test]
fn keystrokes_while_a_query_runs_wait_for_it_and_stale_answers_are_dropped() {
    let mut s = loaded(alerts(3));
    let effects = press(&mut s, 's');
    let running = s.list.seq;
    assert!(list_query(&effects).is_some());
    // Two more keys while the query runs: no new window query yet.
    assert!(list_query(&update(&mut s, key(KeyCode::Char('s')))).is_none());
    assert!(list_query(&update(&mut s, key(KeyCode::Char('s')))).is_none());
    let effects = update(
        &mut s,
        Action::PageLoaded {
            seq: running,
            result: Ok(page(alerts(9), false)),
        },
    );
    assert_eq!(ids(&s), vec![3, 2, 1], "the stale answer is dropped");
    let query = list_query(&effects).expect("the newest request goes out");
    assert_eq!(query.filter.severities, vec![Severity::Warning]);
}

#[test]
fn tab_counts_come_from_a_separate_count_and_are_not_recounted_on_tab_switch() {
    let mut s = state();
    let effects = update(&mut s, Action::Start);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadCounts { .. }))
    );
    answer(&mut s, alerts(3), false);
    assert_eq!(s.list.counts.new, 3);
    let effects = press(&mut s, '2');
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::LoadCounts { .. }))
    );
    let effects = press(&mut s, 's');
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadCounts { .. })),
        "a filter change recounts"
    );
}

#[test]
fn marking_then_bulk_acknowledging_sends_the_marked_ids_and_updates_rows_at_once() {
    let mut s = loaded(alerts(4));
    press(&mut s, ' ');
    press(&mut s, ' ');
    assert_eq!(s.marks.iter().copied().collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(s.list.selected, 2, "marking moves down");
    let effects = press(&mut s, 'A');
    let Some(Effect::SetStatus {
        ids,
        acknowledge: true,
        ..
    }) = effects.first()
    else {
        panic!("expected an acknowledgement, got {effects:?}");
    };
    assert_eq!(ids, &vec![3, 4]);
    assert_eq!(s.list.rows[0].status, Status::Acknowledged);
    assert_eq!(s.list.rows[2].status, Status::New);
}

#[test]
fn bulk_acknowledge_without_marks_asks_first_showing_how_many() {
    let mut s = loaded(alerts(4));
    let effects = press(&mut s, 'A');
    assert!(effects.is_empty());
    assert_eq!(
        s.overlay,
        Some(Overlay::ConfirmBulk {
            ids: vec![4, 3, 2, 1]
        })
    );
    let effects = update(&mut s, key(KeyCode::Esc));
    assert!(effects.is_empty() && s.overlay.is_none());
    press(&mut s, 'A');
    let effects = press(&mut s, 'y');
    assert!(matches!(&effects[0], Effect::SetStatus { ids, .. } if ids.len() == 4));
}

#[test]
fn a_refused_acknowledgement_rolls_the_row_back_and_says_why() {
    let mut s = loaded(alerts(3));
    let effects = press(&mut s, 'a');
    let Some(Effect::SetStatus { op, .. }) = effects.first() else {
        panic!("expected an acknowledgement");
    };
    assert_eq!(s.list.rows[0].status, Status::Acknowledged);
    update(
        &mut s,
        Action::AckDone {
            op: *op,
            result: Ok(vec![(3, AckOutcome::EventStarted)]),
        },
    );
    assert_eq!(s.list.rows[0].status, Status::New);
    let message = s.message.as_ref().unwrap();
    assert!(message.error);
    assert!(
        message.text.contains("its event has started"),
        "{}",
        message.text
    );
}

#[test]
fn a_failed_write_rolls_every_row_back_and_shows_the_error() {
    let mut s = loaded(alerts(3));
    press(&mut s, ' ');
    press(&mut s, ' ');
    let effects = press(&mut s, 'A');
    let Some(Effect::SetStatus { op, .. }) = effects.first() else {
        panic!("expected an acknowledgement");
    };
    assert_eq!(s.list.rows[1].status, Status::Acknowledged);
    update(
        &mut s,
        Action::AckDone {
            op: *op,
            result: Err("database is locked".into()),
        },
    );
    assert!(s.list.rows.iter().all(|a| a.status == Status::New));
    assert_eq!(s.marks.len(), 2, "marks stay so the trader can retry");
    let message = s.message.as_ref().unwrap();
    assert!(
        message.error && message.text.contains("database is locked"),
        "{}",
        message.text
    );
}

#[test]
fn acknowledging_a_past_alert_is_refused_on_the_spot_with_the_reason() {
    let mut s = loaded(vec![alert(9, 5, Severity::Critical, Status::Past)]);
    let effects = press(&mut s, 'a');
    assert!(effects.is_empty());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("cannot be acknowledged: its event has started")
    );
    let effects = press(&mut s, 'u');
    assert!(effects.is_empty());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("cannot be unacknowledged")
    );
}

#[test]
fn unacknowledging_asks_for_an_optional_comment() {
    let mut s = loaded(vec![alert(9, 5, Severity::Critical, Status::Acknowledged)]);
    press(&mut s, 'u');
    assert!(matches!(
        s.overlay,
        Some(Overlay::Comment {
            acknowledge: false,
            ..
        })
    ));
    for c in "oops".chars() {
        press(&mut s, c);
    }
    let effects = update(&mut s, key(KeyCode::Enter));
    assert_eq!(
        effects.first(),
        Some(&Effect::SetStatus {
            op: 1,
            ids: vec![9],
            acknowledge: false,
            comment: Some("oops".into())
        })
    );
    assert_eq!(s.list.rows[0].status, Status::New);
}

#[test]
fn the_bell_rings_for_a_new_critical_alert_unless_turned_off() {
    let mut s = loaded(alerts(1));
    let critical = || alert(5, 0, Severity::Critical, Status::New);
    let effects = update(
        &mut s,
        Action::Change(Change::Created(vec![critical()].into())),
    );
    assert!(effects.contains(&Effect::Bell));
    assert!(
        !update(&mut s, Action::Change(created(&[6]))).contains(&Effect::Bell),
        "a warning does not ring"
    );
    s.bell = false;
    assert!(
        !update(
            &mut s,
            Action::Change(Change::Created(vec![critical()].into()))
        )
        .contains(&Effect::Bell)
    );
}

#[test]
fn an_idle_tick_redraws_only_when_the_minute_changes() {
    let mut s = loaded(alerts(2));
    s.dirty = false;
    update(&mut s, Action::Tick(now() + Duration::seconds(20)));
    assert!(
        !s.dirty,
        "ages are shown to the minute: nothing visible changed"
    );
    update(&mut s, Action::Tick(now() + Duration::seconds(61)));
    assert!(s.dirty);
}

#[test]
fn pausing_without_a_pipeline_in_this_process_says_so() {
    let mut s = loaded(alerts(1));
    assert!(press(&mut s, 'p').is_empty());
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .contains("nothing to pause")
    );
    s.can_pause = true;
    s.pipeline = Some(crate::health::PipelineStatus {
        state: crate::health::PipelineState::Running,
        ..Default::default()
    });
    assert_eq!(
        press(&mut s, 'p'),
        vec![Effect::Pipeline(crate::health::PipelineCommand::Pause)]
    );
}

#[test]
fn the_detail_opens_on_enter_and_follows_the_selection() {
    let mut s = loaded(alerts(3));
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(matches!(&effects[0], Effect::LoadDetail(a) if a.id == 3));
    let effects = press(&mut s, 'j');
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail(a) if a.id == 2))
    );
    update(&mut s, key(KeyCode::Esc));
    assert!(s.detail.is_none());
}

#[test]
fn quitting_asks_the_loop_to_leave() {
    let mut s = loaded(alerts(1));
    assert_eq!(press(&mut s, 'q'), vec![Effect::Quit]);
}

#[test]
fn the_type_filter_reaches_every_type_then_all() {
    let mut s = loaded(alerts(5));
    for expected in crate::domain::AlertType::ALL {
        let effects = press(&mut s, 't');
        assert_eq!(s.alert_type, Some(*expected));
        assert_eq!(
            list_query(&effects).unwrap().filter.alert_types,
            vec![*expected]
        );
    }
    let effects = press(&mut s, 't');
    assert_eq!(s.alert_type, None);
    assert!(list_query(&effects).unwrap().filter.alert_types.is_empty());
}
