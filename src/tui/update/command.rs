//! The `:` command line's keys, and applying a command; saved views.

use crossterm::event::KeyEvent;

use crate::domain::SavedView;
use crate::tui::action::Effect;
use crate::tui::command::CommandLine;
use crate::tui::state::State;

/// Opens the command line.
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let _ = state;
    todo!("issue 16: command line open")
}

/// A key while the command line is open.
pub(super) fn on_key(state: &mut State, line: CommandLine, key: KeyEvent) -> Vec<Effect> {
    let _ = (state, line, key);
    todo!("issue 16: command line keys")
}

/// Switches to the next saved view (the `next_view` key).
pub(super) fn next_view(state: &mut State) -> Vec<Effect> {
    let _ = state;
    todo!("issue 16: next view")
}

/// The user's views arrived.
pub(super) fn on_views(state: &mut State, result: Result<Vec<SavedView>, String>) -> Vec<Effect> {
    let _ = (state, result);
    todo!("issue 16: views loaded")
}

/// A view was saved.
pub(super) fn on_saved(state: &mut State, result: Result<SavedView, String>) -> Vec<Effect> {
    let _ = (state, result);
    todo!("issue 16: view saved")
}

/// A view was deleted.
pub(super) fn on_deleted(
    state: &mut State,
    name: String,
    result: Result<bool, String>,
) -> Vec<Effect> {
    let _ = (state, name, result);
    todo!("issue 16: view deleted")
}
