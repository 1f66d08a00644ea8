//! Keys while a popup is open: help and book health close on any key; the bulk confirmation,
//! the comment prompt, the live text filter and the settings form take their own keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::{acks, command, nav, silences};
use crate::tui::action::Effect;
use crate::tui::state::{Overlay, State};

pub(super) fn on_overlay_key(state: &mut State, overlay: Overlay, key: KeyEvent) -> Vec<Effect> {
    match overlay {
        Overlay::Help | Overlay::BookHealth => Vec::new(),
        Overlay::Silence(form) => silences::on_form_key(state, form, key),
        Overlay::Silences(screen) => silences::on_screen_key(state, screen, key),
        Overlay::CommandLine(line) => command::on_key(state, line, key),
        Overlay::ConfirmBulk { ids } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                acks::set_status(state, ids, true, None)
            }
            KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => Vec::new(),
            _ => {
                state.overlay = Some(Overlay::ConfirmBulk { ids });
                Vec::new()
            }
        },
        Overlay::Comment {
            ids,
            acknowledge,
            mut text,
        } => match key.code {
            KeyCode::Enter => acks::set_status(state, ids, acknowledge, Some(text)),
            KeyCode::Esc => Vec::new(),
            KeyCode::Backspace => {
                text.pop();
                state.overlay = Some(Overlay::Comment {
                    ids,
                    acknowledge,
                    text,
                });
                Vec::new()
            }
            KeyCode::Char(c) => {
                if text.chars().count() < 1000 {
                    text.push(c);
                }
                state.overlay = Some(Overlay::Comment {
                    ids,
                    acknowledge,
                    text,
                });
                Vec::new()
            }
            _ => {
                state.overlay = Some(Overlay::Comment {
                    ids,
                    acknowledge,
                    text,
                });
                Vec::new()
            }
        },
        Overlay::TextFilter => match key.code {
            KeyCode::Enter => Vec::new(),
            KeyCode::Esc => {
                state.text.clear();
                nav::restart(state)
            }
            KeyCode::Backspace => {
                state.text.pop();
                state.overlay = Some(Overlay::TextFilter);
                nav::restart(state)
            }
            KeyCode::Char(c) => {
                if state.text.chars().count() < crate::service::MAX_TEXT_FILTER_CHARS {
                    state.text.push(c);
                }
                state.overlay = Some(Overlay::TextFilter);
                nav::restart(state)
            }
            _ => {
                state.overlay = Some(Overlay::TextFilter);
                Vec::new()
            }
        },
        Overlay::Settings(mut form) => {
            let base = state.config.clone();
            let mut effects = Vec::new();
            let mut close = false;
            match (&mut form.editing, key.code) {
                (Some(_), KeyCode::Esc) => {
                    form.editing = None;
                    form.error = None;
                }
                (Some(_), KeyCode::Enter) => {
                    if let Some(values) = form.commit_edit(&base) {
                        effects.push(Effect::SaveSettings(values));
                    }
                }
                (Some(text), KeyCode::Backspace) => {
                    text.pop();
                }
                (Some(text), KeyCode::Char(c)) => text.push(c),
                (Some(_), _) => {}
                (None, KeyCode::Esc | KeyCode::Char('q')) => close = true,
                (None, KeyCode::Down | KeyCode::Char('j')) => {
                    form.selected = (form.selected + 1).min(form.fields.len().saturating_sub(1));
                }
                (None, KeyCode::Up | KeyCode::Char('k')) => {
                    form.selected = form.selected.saturating_sub(1);
                }
                (None, KeyCode::Enter | KeyCode::Char(' ')) => {
                    if let Some(values) = form.start_edit(&base) {
                        effects.push(Effect::SaveSettings(values));
                    }
                }
                (None, _) => {}
            }
            if !close {
                state.overlay = Some(Overlay::Settings(form));
            }
            effects
        }
    }
}
