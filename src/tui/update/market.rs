//! The market screen's keys and answers.
//!
//! Keys the screen takes (the footer says so): the movement commands of the live keymap (j/k,
//! PgDn/PgUp, g/G by default) move over the outcomes; Back, Quit and Market (Esc, q, m) close it
//! (Ctrl-C still quits); `h` shows or hides the price-history chart; Refresh (r) reloads the
//! board and the chart as well as the list. Detail, Mark and Group (Enter, Space, v) act on the
//! table hidden under the screen, so the screen swallows them rather than change what the trader
//! cannot see. Every other key (`?`, `y`, `:`, `a`, the tabs and filters) falls through to the
//! main keymap.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::domain::{MarketBoard, PricePoint};
use crate::live::Change;
use crate::tui::action::Effect;
use crate::tui::keymap::Command;
use crate::tui::market::{CHART_KEY, MarketScreen, RELOAD_SECS};
use crate::tui::state::State;

/// Opens the market screen for the selected alert (or the detail pane's alert); in the grouped
/// view, a group row opens its event without an alert to highlight.
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let alert = match &state.detail {
        Some(detail) => Some(detail.alert.clone()),
        None => state.selected_alert().cloned(),
    };
    let screen = match (
        alert,
        state.grouped.then(|| state.selected_group()).flatten(),
    ) {
        (Some(alert), _) => MarketScreen::of_alert(&alert),
        (None, Some(group)) => {
            MarketScreen::of_event(group.event_id, &group.event_name, group.kickoff)
        }
        (None, None) => {
            state.say(
                "no alert selected: select one to see its event's markets",
                false,
            );
            return Vec::new();
        }
    };
    state.market = Some(screen);
    let mut effects = load_board(state);
    // The alert's market is known before the board arrives: its history loads alongside.
    let market = state
        .market
        .as_ref()
        .and_then(|s| s.alert.as_ref())
        .filter(|a| !a.market_id.is_empty())
        .map(|a| (a.market_id.clone(), a.line));
    if let Some(market) = market {
        effects.extend(load_history(state, market));
    }
    effects
}

/// A fresh request number. Board and history requests draw from the state's one operation
/// counter, so a screen opened again never takes the answer meant for the one before it.
fn next_seq(state: &mut State) -> u64 {
    let seq = state.next_op;
    state.next_op += 1;
    seq
}

fn load_board(state: &mut State) -> Vec<Effect> {
    let seq = next_seq(state);
    let now = state.now;
    let Some(screen) = &mut state.market else {
        return Vec::new();
    };
    screen.seq = seq;
    screen.board_in_flight = true;
    screen.requested_at = Some(now);
    vec![Effect::LoadBoard {
        seq,
        event_id: screen.event_id,
    }]
}

fn load_history(
    state: &mut State,
    (market_id, line): (String, Option<crate::domain::Line>),
) -> Vec<Effect> {
    let seq = next_seq(state);
    let Some(screen) = &mut state.market else {
        return Vec::new();
    };
    if screen.history_for.as_ref() != Some(&(market_id.clone(), line)) {
        // Another market: its chart must not show the last market's lines meanwhile.
        screen.history = None;
        screen.history_error = None;
    }
    screen.history_seq = seq;
    screen.history_for = Some((market_id.clone(), line));
    vec![Effect::LoadMarketHistory {
        seq,
        event_id: screen.event_id,
        market_id,
        line,
    }]
}

/// The history of the selected market, when it is not the one loaded or loading.
fn history_if_moved(state: &mut State) -> Vec<Effect> {
    let Some(screen) = &state.market else {
        return Vec::new();
    };
    match screen.selected_market() {
        Some(market) if screen.history_for.as_ref() != Some(&market) => load_history(state, market),
        _ => Vec::new(),
    }
}

/// Board rows that fit on the screen now (the page of PgDn / PgUp).
fn page(state: &State) -> usize {
    let (width, height) = state.size;
    let body = crate::tui::view::areas(Rect::new(0, 0, width, height)).body;
    state.market.as_ref().map_or(1, |screen| {
        usize::from(screen.geometry(body).rows.height).max(1)
    })
}

/// Moves the selection to outcome row `to` (clamped), keeps it visible and asks for the history
/// of its market when that changed.
fn select(state: &mut State, to: isize) -> Vec<Effect> {
    let height = page(state);
    let Some(screen) = &mut state.market else {
        return Vec::new();
    };
    let count = screen.outcome_count();
    if count == 0 {
        state.dirty = false;
        return Vec::new();
    }
    screen.selected = to.clamp(0, count as isize - 1) as usize;
    screen.offset = screen.visible_offset(height);
    history_if_moved(state)
}

/// A key while the market screen is open: `None` when the screen does not use it (the main
/// keymap then runs it).
pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Char(CHART_KEY) && !ctrl {
        if let Some(screen) = &mut state.market {
            screen.chart_toggled = !screen.chart_toggled;
            let height = page(state);
            if let Some(screen) = &mut state.market {
                screen.offset = screen.visible_offset(height);
            }
        }
        return Some(Vec::new());
    }
    // Ctrl-C quits from every screen.
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return None;
    }
    let command = state.keymap.command_for(&key)?;
    let selected = state.market.as_ref().map_or(0, |s| s.selected) as isize;
    let page = page(state) as isize;
    let effects = match command {
        Command::Down => select(state, selected + 1),
        Command::Up => select(state, selected - 1),
        Command::PageDown => select(state, selected + page),
        Command::PageUp => select(state, selected - page),
        Command::Top => select(state, 0),
        Command::Bottom => select(state, isize::MAX / 2),
        Command::Back | Command::Quit | Command::Market => {
            state.market = None;
            Vec::new()
        }
        Command::Refresh => {
            let mut effects = reload(state);
            effects.extend(super::on_command(state, Command::Refresh));
            effects
        }
        Command::Detail | Command::Mark | Command::Group => {
            state.dirty = false;
            Vec::new()
        }
        _ => return None,
    };
    Some(effects)
}

/// Reloads the open screen's board and the history of its chart (the board on screen stays
/// until the new one arrives).
fn reload(state: &mut State) -> Vec<Effect> {
    let Some(market) = state.market.as_ref().map(|s| s.history_for.clone()) else {
        return Vec::new();
    };
    let mut effects = load_board(state);
    if let Some(market) = market {
        effects.extend(load_history(state, market));
    }
    effects
}

/// A clock tick: an open screen reloads its board and chart every [`RELOAD_SECS`] seconds, so
/// prices that moved without an alert show; never while a board request is still out.
pub(super) fn on_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let due = state.market.as_ref().is_some_and(|screen| {
        !screen.board_in_flight
            && screen
                .requested_at
                .is_none_or(|at| (now - at).num_seconds() >= RELOAD_SECS)
    });
    if due { reload(state) } else { Vec::new() }
}

/// Alerts changed: an open screen reloads when the change touches its event (a new or updated
/// alert there means its prices moved) or reloads everything.
pub(super) fn on_change(state: &mut State, change: &Change) -> Vec<Effect> {
    let Some(event_id) = state.market.as_ref().map(|s| s.event_id) else {
        return Vec::new();
    };
    let touches = match change {
        Change::Created(alerts) | Change::Updated(alerts) => {
            alerts.iter().any(|a| a.event_id == event_id)
        }
        Change::Reload => true,
    };
    if touches { reload(state) } else { Vec::new() }
}

/// The board arrived.
pub(super) fn on_board(
    state: &mut State,
    seq: u64,
    result: Result<MarketBoard, String>,
) -> Vec<Effect> {
    let height = page(state);
    let Some(screen) = &mut state.market else {
        state.dirty = false;
        return Vec::new();
    };
    if seq != screen.seq {
        state.dirty = false;
        return Vec::new();
    }
    screen.board_in_flight = false;
    let board = match result {
        Ok(board) => board,
        Err(e) if screen.board.is_some() => {
            // A refresh failed: the board on screen is still the last one known.
            state.say(format!("cannot reload the board: {e}"), true);
            return Vec::new();
        }
        Err(e) => {
            screen.error = Some(e);
            return Vec::new();
        }
    };
    // A reload keeps the selection on the same market, line and outcome when it is still
    // priced; the first board starts on the alert's row.
    let kept = screen.board.as_ref().and_then(|old| {
        let (m, o) = screen.selected_outcome()?;
        let market = &old.markets[m];
        let outcome = &market.outcomes[o].outcome;
        board.position(&market.market_id, market.line, Some(outcome))
    });
    let first = screen.board.is_none();
    screen.board = Some(board);
    screen.loaded_at = Some(state.now);
    screen.error = None;
    screen.selected = match kept {
        Some((m, Some(o))) => screen.outcome_index(m, o).unwrap_or(0),
        _ if first => screen.start_row(),
        _ => screen
            .selected
            .min(screen.outcome_count().saturating_sub(1)),
    };
    if first {
        // Open with the alert's row in the middle of the board, its neighbours around it.
        screen.offset = screen.drawn_row(screen.selected).saturating_sub(height / 2);
    }
    screen.offset = screen.visible_offset(height);
    history_if_moved(state)
}

/// A market's history arrived.
pub(super) fn on_history(
    state: &mut State,
    seq: u64,
    result: Result<Vec<PricePoint>, String>,
) -> Vec<Effect> {
    let Some(screen) = &mut state.market else {
        state.dirty = false;
        return Vec::new();
    };
    if seq != screen.history_seq {
        state.dirty = false;
        return Vec::new();
    }
    match result {
        Ok(points) => {
            screen.history = Some(points);
            screen.history_error = None;
        }
        Err(e) => screen.history_error = Some(e),
    }
    Vec::new()
}
