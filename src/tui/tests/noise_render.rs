//! Noise control on screen at 80x24 (traders over SSH): repeat counts and marks in the table,
//! the silence form, the silences screen, the detail with its detections.

use chrono::Duration;
use crossterm::event::KeyCode;

use super::fixtures::*;
use super::noise::silence;
use super::render::{detail_data, main_state, stats};
use crate::domain::{Occurrence, Severity, Status};
use crate::tui::action::Action;
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;
use crate::tui::update::update;

fn snapshot_80x24(name: &str, state: &State) -> String {
    let terminal = render(state, &Theme::color(), 80, 24);
    insta::assert_snapshot!(format!("{name}_80x24"), terminal.backend());
    format!("{}", terminal.backend())
}

/// The main screen with repeated, escalated and silenced rows, silenced ones shown.
fn noisy_state() -> State {
    let mut rows = alerts(12);
    rows[0].occurrences = 3;
    rows[0].last_detected_at = now() - Duration::seconds(30);
    rows[1].occurrences = 12;
    rows[1].escalated = true;
    rows[2].occurrences = 250;
    rows[3].silenced_by = Some(4);
    rows[4].silenced_by = Some(4);
    let mut s = loaded(rows);
    s.stats = Some(stats());
    press(&mut s, 'S');
    let mut counts = counts_of(&s.list.rows);
    counts.new -= 2;
    counts.silenced = 2;
    let seq = s.list.counts_seq;
    update(
        &mut s,
        Action::CountsLoaded {
            seq,
            result: Ok(counts),
        },
    );
    s.message = None;
    s
}

#[test]
fn the_table_shows_repeat_counts_escalations_and_silenced_rows() {
    let text = snapshot_80x24("noise_table", &noisy_state());
    assert!(text.contains("×3") && text.contains("×12") && text.contains("99+"));
    assert!(text.contains("2 silenced shown"), "{text}");
    assert!(text.contains("↑"), "the escalated row is marked:\n{text}");
    assert!(text.contains(" S\""), "silenced rows say so:\n{text}");
}

#[test]
fn hidden_silenced_alerts_are_counted_on_the_tab_line() {
    let mut s = noisy_state();
    press(&mut s, 'S');
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(text.contains("2 silenced hidden"), "{text}");
}

#[test]
fn silenced_rows_are_dimmed() {
    let s = noisy_state();
    let terminal = render(&s, &Theme::color(), 80, 24);
    let buffer = terminal.backend().buffer();
    // Row 5 of the screen is the table's first row; the 4th and 5th alerts are silenced.
    let muted = Theme::color().muted.fg;
    assert_eq!(buffer[(20, 8)].fg, muted.unwrap());
    assert_ne!(buffer[(20, 6)].fg, muted.unwrap());
}

#[test]
fn the_silence_form() {
    let mut s = main_state();
    press(&mut s, 'z');
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Left));
    for c in "45m".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    update(&mut s, key(KeyCode::Down));
    for c in "sportybet feed stale".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    let text = snapshot_80x24("silence_form", &s);
    assert!(
        text.contains("[outcome]") && text.contains("[custom]"),
        "{text}"
    );
    assert!(
        text.contains("Hides    Arsenal v Chelsea · 1X2 · 1"),
        "{text}"
    );
    update(&mut s, key(KeyCode::Enter));
    update(
        &mut s,
        Action::SilenceCreated(Err(
            "silence reason: 500 characters at most (got 501)".into()
        )),
    );
    snapshot_80x24("silence_form_refused", &s);
}

#[test]
fn the_silences_screen() {
    let mut s = main_state();
    press(&mut s, 'Z');
    update(&mut s, key(KeyCode::Tab));
    let mut expired = silence(5, 90, 30);
    expired.expired_at = Some(now() - Duration::minutes(12));
    expired.expired_by = Some("bob".into());
    let seq = match &s.overlay {
        Some(crate::tui::state::Overlay::Silences(screen)) => screen.seq,
        _ => panic!("no screen"),
    };
    update(
        &mut s,
        Action::SilencesLoaded {
            seq,
            result: Ok(vec![
                silence(9, 2, 28),
                silence(8, 30, -5),
                expired,
                silence(6, 200, 24 * 60),
            ]),
        },
    );
    let text = snapshot_80x24("silences_screen", &s);
    assert!(text.contains("in 28m"), "{text}");
    assert!(text.contains("ended 5m ago"), "{text}");
    assert!(text.contains("expired 12m ago"), "{text}");
    update(&mut s, key(KeyCode::Char('e')));
    for c in "2h".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    snapshot_80x24("silences_screen_editing", &s);
}

#[test]
fn the_detail_lists_the_detections_and_marks_them_on_the_chart() {
    let mut s = main_state();
    let mut alert = s.list.rows[1].clone();
    alert.occurrences = 4;
    alert.escalated = true;
    alert.silenced_by = Some(3);
    alert.last_detected_at = now() - Duration::minutes(5);
    let mut data = detail_data();
    data.occurrences = (0..4)
        .map(|i| {
            let mut payload = alert.payload.clone();
            if let crate::domain::AlertPayload::PriceChange(m) = &mut payload {
                let new = format!("{:.2}", 2.09 + 0.09 * f64::from(i as i32))
                    .parse()
                    .unwrap();
                *m = crate::domain::PriceMove::between(m.old, new).unwrap();
            }
            Occurrence {
                id: i,
                alert_id: alert.id,
                detected_at: now() - Duration::minutes(50 - i * 15),
                severity: if i < 3 {
                    Severity::Elevated
                } else {
                    Severity::Critical
                },
                payload,
            }
        })
        .collect();
    assert_eq!(alert.status, Status::New);
    s.detail = Some(Detail {
        alert,
        data: Some(data),
        error: None,
    });
    let text = snapshot_80x24("detail_occurrences", &s);
    assert!(text.contains("Detections ×4"), "{text}");
    assert!(text.contains("escalated"), "{text}");
    assert!(text.contains("silence 3"), "{text}");
    assert!(
        text.contains("•"),
        "the detections are points on the chart:\n{text}"
    );
}
