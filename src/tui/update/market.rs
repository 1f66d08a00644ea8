//! The market screen's keys and answers.

use crossterm::event::KeyEvent;

use crate::domain::{MarketBoard, PricePoint};
use crate::tui::action::Effect;
use crate::tui::state::State;

/// Opens the market screen for the selected alert (or the detail pane's alert).
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let _ = state;
    todo!("issue 16: market open")
}

/// A key while the market screen is open: `None` when the screen does not use it (the main
/// keymap then runs it).
pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let _ = (state, key);
    todo!("issue 16: market keys")
}

/// The board arrived.
pub(super) fn on_board(
    state: &mut State,
    seq: u64,
    result: Result<MarketBoard, String>,
) -> Vec<Effect> {
    let _ = (state, seq, result);
    todo!("issue 16: market board")
}

/// A market's history arrived.
pub(super) fn on_history(
    state: &mut State,
    seq: u64,
    result: Result<Vec<PricePoint>, String>,
) -> Vec<Effect> {
    let _ = (state, seq, result);
    todo!("issue 16: market history")
}
