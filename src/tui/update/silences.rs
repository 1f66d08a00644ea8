//! Silences from the keyboard: the form on a row (make one), the silences screen (list, edit,
//! expire), the toggle that shows silenced alerts, and the answers of the service.

use crossterm::event::{KeyCode, KeyEvent};

use super::nav;
use crate::domain::Silence;
use crate::tui::action::Effect;
use crate::tui::silence::{
    EditField, SilenceEditing, SilenceForm, SilencesScreen, describe, short_duration,
};
use crate::tui::state::{Anchor, Overlay, State};

/// Longest reason typed in the form (the service's limit).
const MAX_REASON: usize = crate::service::MAX_REASON_CHARS;
/// Longest custom duration typed.
const MAX_DURATION_TEXT: usize = 12;

/// Opens the silence form on the selected alert.
pub(super) fn open_form(state: &mut State) -> Vec<Effect> {
    let Some(alert) = state.selected_alert().cloned() else {
        state.say("no alert selected: move to a row to silence it", false);
        return Vec::new();
    };
    state.overlay = Some(Overlay::Silence(SilenceForm::new(alert)));
    Vec::new()
}

/// Shows or hides silenced alerts.
pub(super) fn toggle_shown(state: &mut State) -> Vec<Effect> {
    state.show_silenced = !state.show_silenced;
    state.say(
        if state.show_silenced {
            "showing silenced alerts (marked S)"
        } else {
            "hiding silenced alerts"
        },
        false,
    );
    nav::reload(state, Anchor::Keep)
}

/// Opens the silences screen and loads its list.
pub(super) fn open_screen(state: &mut State) -> Vec<Effect> {
    let mut screen = SilencesScreen::new();
    let effect = load(&mut screen);
    state.overlay = Some(Overlay::Silences(screen));
    vec![effect]
}

fn load(screen: &mut SilencesScreen) -> Effect {
    screen.seq += 1;
    Effect::LoadSilences {
        seq: screen.seq,
        include_ended: screen.include_ended,
    }
}

/// The silences screen's list again, if it is open (silences changed somewhere).
pub(super) fn reload_screen(state: &mut State) -> Option<Effect> {
    match &mut state.overlay {
        Some(Overlay::Silences(screen)) => Some(load(screen)),
        _ => None,
    }
}

pub(super) fn on_form_key(state: &mut State, mut form: SilenceForm, key: KeyEvent) -> Vec<Effect> {
    if form.sending {
        // Waiting for the service; Esc still closes (the answer then shows in the footer).
        if key.code != KeyCode::Esc {
            state.overlay = Some(Overlay::Silence(form));
        }
        return Vec::new();
    }
    let mut effects = Vec::new();
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => match form.to_new_silence() {
            Ok(silence) => {
                form.error = None;
                form.sending = true;
                effects.push(Effect::CreateSilence(silence));
            }
            Err(e) => form.error = Some(e),
        },
        KeyCode::Tab | KeyCode::Down => form.next_field(true),
        KeyCode::BackTab | KeyCode::Up => form.next_field(false),
        KeyCode::Left => form.cycle_choice(false),
        KeyCode::Right => form.cycle_choice(true),
        KeyCode::Backspace => {
            if let Some(text) = form.text_mut() {
                text.pop();
            }
        }
        KeyCode::Char(c) => {
            let limit = if form.field == crate::tui::silence::FormField::Reason {
                MAX_REASON
            } else {
                MAX_DURATION_TEXT
            };
            match form.text_mut() {
                Some(text) if text.chars().count() < limit => text.push(c),
                Some(_) => {}
                // On a choice, Space and the vim keys step through it too.
                None if matches!(c, ' ' | 'l') => form.cycle_choice(true),
                None if c == 'h' => form.cycle_choice(false),
                None => {}
            }
        }
        _ => {}
    }
    state.overlay = Some(Overlay::Silence(form));
    effects
}

/// The service answered the form.
pub(super) fn on_created(state: &mut State, result: Result<Silence, String>) -> Vec<Effect> {
    match result {
        Ok(silence) => {
            // The form's words for what is hidden ("Arsenal v Chelsea, every market"); the
            // matchers' ids when the form was closed meanwhile.
            let what = match state.overlay.take() {
                Some(Overlay::Silence(form)) => form.hides(),
                other => {
                    state.overlay = other;
                    describe(&silence.matchers)
                }
            };
            let left = short_duration(silence.ends_at - state.now + chrono::Duration::seconds(59));
            state.say(
                format!(
                    "silenced {what} for {left} (silence {}; {} lists them)",
                    silence.id,
                    state
                        .keymap
                        .first_key(crate::tui::keymap::Command::Silences)
                ),
                false,
            );
            state.list.counts_stale = true;
            let mut effects = nav::reload(state, Anchor::Keep);
            effects.extend(nav::request_counts(state, true));
            effects.extend(reload_screen(state));
            effects
        }
        Err(e) => {
            match &mut state.overlay {
                Some(Overlay::Silence(form)) => {
                    form.sending = false;
                    form.error = Some(e);
                }
                _ => state.say(format!("cannot silence: {e}"), true),
            }
            Vec::new()
        }
    }
}

pub(super) fn on_loaded(state: &mut State, seq: u64, result: Result<Vec<Silence>, String>) {
    let now = state.now;
    if let Some(Overlay::Silences(screen)) = &mut state.overlay
        && screen.seq == seq
    {
        match result {
            Ok(silences) => screen.apply(silences, now),
            Err(e) => screen.error = Some(format!("cannot list silences: {e}")),
        }
    }
}

/// An edit or expiry answered.
pub(super) fn on_changed(state: &mut State, result: Result<Silence, String>) -> Vec<Effect> {
    match result {
        Ok(silence) => {
            let what = if silence.expired_at.is_some_and(|at| at <= state.now) {
                "expired"
            } else {
                "changed"
            };
            state.say(format!("silence {} {what}", silence.id), false);
            state.list.counts_stale = true;
            let mut effects = nav::reload(state, Anchor::Keep);
            effects.extend(nav::request_counts(state, true));
            effects.extend(reload_screen(state));
            effects
        }
        Err(e) => {
            match &mut state.overlay {
                Some(Overlay::Silences(screen)) => screen.error = Some(e),
                _ => state.say(format!("cannot change the silence: {e}"), true),
            }
            Vec::new()
        }
    }
}

pub(super) fn on_screen_key(
    state: &mut State,
    mut screen: SilencesScreen,
    key: KeyEvent,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(id) = screen.confirm_expire.take() {
        if matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter) {
            effects.push(Effect::ExpireSilence(id));
        }
        state.overlay = Some(Overlay::Silences(screen));
        return effects;
    }
    if let Some(mut editing) = screen.editing.take() {
        match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                let current = screen
                    .silences
                    .iter()
                    .find(|s| s.id == editing.id)
                    .map_or("", |s| s.reason.as_str());
                match editing.to_edit(current) {
                    Ok(Some(edit)) => {
                        screen.error = None;
                        effects.push(Effect::EditSilence {
                            id: editing.id,
                            edit,
                        });
                    }
                    Ok(None) => screen.error = Some("nothing changed".into()),
                    Err(e) => {
                        screen.error = Some(e);
                        screen.editing = Some(editing);
                    }
                }
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                editing.field = match editing.field {
                    EditField::End => EditField::Reason,
                    EditField::Reason => EditField::End,
                };
                screen.editing = Some(editing);
            }
            KeyCode::Backspace => {
                field_text(&mut editing).pop();
                screen.editing = Some(editing);
            }
            KeyCode::Char(c) => {
                let limit = match editing.field {
                    EditField::End => MAX_DURATION_TEXT,
                    EditField::Reason => MAX_REASON,
                };
                let text = field_text(&mut editing);
                if text.chars().count() < limit {
                    text.push(c);
                }
                screen.editing = Some(editing);
            }
            _ => screen.editing = Some(editing),
        }
        state.overlay = Some(Overlay::Silences(screen));
        return effects;
    }
    let now = state.now;
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
        KeyCode::Down | KeyCode::Char('j') => {
            screen.selected = (screen.selected + 1).min(screen.silences.len().saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => screen.selected = screen.selected.saturating_sub(1),
        KeyCode::Tab => {
            screen.include_ended = !screen.include_ended;
            effects.push(load(&mut screen));
        }
        KeyCode::Char('x') | KeyCode::Delete => match screen.selected() {
            Some(s) if s.is_active(now) => screen.confirm_expire = Some(s.id),
            Some(s) => screen.error = Some(format!("silence {} has already ended", s.id)),
            None => {}
        },
        KeyCode::Char('e') => match screen.selected() {
            Some(s) if s.is_active(now) => {
                let editing = SilenceEditing {
                    id: s.id,
                    end: String::new(),
                    reason: s.reason.clone(),
                    field: EditField::End,
                };
                screen.error = None;
                screen.editing = Some(editing);
            }
            Some(s) => {
                screen.error = Some(format!("silence {} has ended: make a new one", s.id));
            }
            None => {}
        },
        _ => {}
    }
    state.overlay = Some(Overlay::Silences(screen));
    effects
}

fn field_text(editing: &mut SilenceEditing) -> &mut String {
    match editing.field {
        EditField::End => &mut editing.end,
        EditField::Reason => &mut editing.reason,
    }
}
