//! The `:` command line's keys, and applying a command; saved views.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{nav, on_command};
use crate::domain::{NewSilence, SavedView};
use crate::service::{
    MAX_REASON_CHARS, MAX_TEXT_FILTER_CHARS, ServiceError, check_text, check_view,
    check_view_name_form,
};
use crate::tui::action::Effect;
use crate::tui::command::{
    COMMANDS, Cmd, CommandLine, Context, MAX_COMMAND_CHARS, MAX_HISTORY, parse, spec_of, tab_of,
};
use crate::tui::keymap::Command;
use crate::tui::state::{Overlay, State};

/// Opens the command line.
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    state.overlay = Some(Overlay::CommandLine(CommandLine::default()));
    Vec::new()
}

/// The names completion offers: books of the config and of the loaded rows, the user's views,
/// and the teams and tournaments of the loaded rows.
struct Names {
    books: Vec<String>,
    views: Vec<String>,
    events: Vec<String>,
}

impl Names {
    fn of(state: &State) -> Names {
        let mut books = state.books.clone();
        let mut events = Vec::new();
        let expanded = state.groups.expanded.iter().flat_map(|(_, a)| a.iter());
        for alert in state.list.rows.iter().chain(expanded) {
            if !books.contains(&alert.bookmaker) {
                books.push(alert.bookmaker.clone());
            }
            let names = [Some(&alert.home_team), Some(&alert.away_team)];
            for name in names
                .into_iter()
                .chain([alert.tournament.as_ref()])
                .flatten()
            {
                if !name.is_empty() && !events.contains(name) {
                    events.push(name.clone());
                }
            }
        }
        // A group names its event "Home v Away"; the store matches teams, not that phrase.
        for group in &state.groups.groups {
            for team in group.event_name.split(" v ").map(str::trim) {
                if !team.is_empty() && !events.iter().any(|e| e == team) {
                    events.push(team.to_string());
                }
            }
        }
        events.sort();
        Names {
            books,
            views: state.views.iter().map(|v| v.name.clone()).collect(),
            events,
        }
    }

    fn context(&self) -> Context<'_> {
        Context {
            books: &self.books,
            views: &self.views,
            events: &self.events,
        }
    }
}

/// A key while the command line is open.
pub(super) fn on_key(state: &mut State, mut line: CommandLine, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Char('c') if ctrl => return Vec::new(),
        KeyCode::Enter => return run(state, line),
        KeyCode::Tab | KeyCode::BackTab => {
            let names = Names::of(state);
            line.error = None;
            line.tab(&names.context(), key.code == KeyCode::Tab);
        }
        KeyCode::Up | KeyCode::Down => {
            line.walk_history(&state.command_history, key.code == KeyCode::Up);
        }
        KeyCode::Backspace => {
            // Backspace on an empty line leaves it, as in vim.
            if line.text.is_empty() {
                return Vec::new();
            }
            line.text.pop();
            line.edited();
        }
        KeyCode::Char('u') if ctrl => {
            line.text.clear();
            line.edited();
        }
        KeyCode::Char('w') if ctrl => {
            // Cut after the last space before the last word; the space may be several bytes
            // long (U+00A0, U+3000), so the cut is after its last byte, not at `i + 1`.
            let kept = line
                .text
                .trim_end()
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8());
            line.text.truncate(kept);
            line.edited();
        }
        KeyCode::Char(c) if !ctrl => {
            if line.text.chars().count() < MAX_COMMAND_CHARS {
                line.text.push(c);
            }
            line.edited();
        }
        _ => state.dirty = false,
    }
    state.overlay = Some(Overlay::CommandLine(line));
    Vec::new()
}

/// Enter: runs the line, or keeps it open with the reason it was refused.
fn run(state: &mut State, mut line: CommandLine) -> Vec<Effect> {
    let text = line.text.trim().to_string();
    if text.is_empty() {
        return Vec::new();
    }
    let refused = match parse(&text) {
        Ok(cmd) => match apply(state, cmd) {
            Ok(effects) => {
                remember(state, text);
                return effects;
            }
            Err(why) => why,
        },
        Err(e) => e.to_string(),
    };
    line.completing = None;
    line.history_at = None;
    line.error = Some(refused);
    state.overlay = Some(Overlay::CommandLine(line));
    Vec::new()
}

/// Adds a run command to the session's history (not twice in a row).
fn remember(state: &mut State, text: String) {
    if state.command_history.last() != Some(&text) {
        state.command_history.push(text);
    }
    if state.command_history.len() > MAX_HISTORY {
        state.command_history.remove(0);
    }
}

/// Carries out a parsed command, or says why it cannot (the line stays open to fix it).
fn apply(state: &mut State, cmd: Cmd) -> Result<Vec<Effect>, String> {
    Ok(match cmd {
        Cmd::Type(t) => {
            state.alert_type = t;
            nav::restart(state)
        }
        Cmd::Book(b) => {
            state.book = b;
            nav::restart(state)
        }
        Cmd::Severity(s) => {
            state.severity = s;
            nav::restart(state)
        }
        Cmd::Event(text) => {
            if let Some(text) = &text {
                check_text("event filter", text, MAX_TEXT_FILTER_CHARS).map_err(refused)?;
            }
            state.event_text = text;
            nav::restart(state)
        }
        Cmd::Sort(sort) => {
            state.sort = sort;
            nav::restart(state)
        }
        Cmd::Tab(tab) => {
            state.tab = tab;
            nav::restart(state)
        }
        Cmd::Clear => {
            state.severity = None;
            state.alert_type = None;
            state.book = None;
            state.text.clear();
            state.event = None;
            state.event_text = None;
            nav::restart(state)
        }
        Cmd::Silence { scope, end, reason } => {
            let alert = match &state.detail {
                Some(detail) => Some(detail.alert.clone()),
                None => state.selected_alert().cloned(),
            };
            let Some(alert) = alert else {
                return Err(":silence acts on the selected alert: select a row first".into());
            };
            check_text("reason", &reason, MAX_REASON_CHARS).map_err(refused)?;
            vec![Effect::CreateSilence(NewSilence {
                matchers: scope.matchers(&alert),
                end,
                reason,
            })]
        }
        Cmd::View(name) => {
            let Some(view) = state.views.iter().find(|v| v.name == name).cloned() else {
                return Err(unknown_view(state, &name));
            };
            apply_view(state, &view)
        }
        Cmd::ViewSave(name) => {
            let spec = spec_of(state);
            check_view(&name, &spec).map_err(refused)?;
            vec![Effect::SaveView { name, spec }]
        }
        Cmd::ViewDelete(name) => {
            check_view_name_form(&name).map_err(refused)?;
            vec![Effect::DeleteView(name)]
        }
        Cmd::Views => {
            let text = if state.views.is_empty() {
                "no saved views: :view save NAME saves this screen's filters, sort and layout"
                    .to_string()
            } else {
                format!(
                    "views: {} ({}:view NAME applies)",
                    view_names(state),
                    next_view_hint(state, "next")
                )
            };
            state.say(text, false);
            Vec::new()
        }
        Cmd::Market => on_command(state, Command::Market),
        Cmd::Help => {
            state.say(format!("commands: {}", COMMANDS.join(" ")), false);
            on_command(state, Command::Help)
        }
        Cmd::Quit => on_command(state, Command::Quit),
    })
}

/// The service's refusal, as the prompt shows it. The service checks again when the command
/// reaches it; checking here first keeps the line open to fix instead of closing it and
/// reporting later in the footer.
fn refused(e: ServiceError) -> String {
    e.to_string()
}

/// `"V next, "`: the `next_view` key and what it does, or nothing when it is unbound.
fn next_view_hint(state: &State, what: &str) -> String {
    match state.keymap.first_key(Command::NextView) {
        key if key.is_empty() => String::new(),
        key => format!("{key} {what}, "),
    }
}

fn view_names(state: &State) -> String {
    state
        .views
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_view(state: &State, name: &str) -> String {
    if state.views.is_empty() {
        format!("unknown view {name}: no saved views yet (:view save NAME saves this screen)")
    } else {
        format!("unknown view {name}: one of {}", view_names(state))
    }
}

/// Shows a saved view: its tab, filters, sort and layout; a one-event filter is dropped.
fn apply_view(state: &mut State, view: &SavedView) -> Vec<Effect> {
    let spec = &view.spec;
    state.tab = tab_of(&spec.statuses);
    state.severity = spec.severity;
    state.alert_type = spec.alert_type;
    state.book = spec.book.clone();
    state.event_text = spec.event_text.clone();
    state.text = spec.text.clone().unwrap_or_default();
    state.event = None;
    state.sort = spec.sort;
    state.grouped = spec.grouped;
    state.show_silenced = spec.show_silenced;
    state.view = Some(view.name.clone());
    state.say(format!("view {}", view.name), false);
    nav::restart(state)
}

/// Switches to the next saved view (the `next_view` key).
pub(super) fn next_view(state: &mut State) -> Vec<Effect> {
    if state.views.is_empty() {
        state.say(
            "no saved views: :view save NAME saves this screen's filters, sort and layout",
            false,
        );
        return Vec::new();
    }
    let at = state
        .view
        .as_ref()
        .and_then(|name| state.views.iter().position(|v| &v.name == name));
    let next = at.map_or(0, |i| (i + 1) % state.views.len());
    let view = state.views[next].clone();
    apply_view(state, &view)
}

/// The user's views arrived.
pub(super) fn on_views(state: &mut State, result: Result<Vec<SavedView>, String>) -> Vec<Effect> {
    match result {
        Ok(views) => state.views = views,
        Err(e) => state.say(format!("cannot load saved views: {e}"), true),
    }
    Vec::new()
}

/// A view was saved.
pub(super) fn on_saved(state: &mut State, result: Result<SavedView, String>) -> Vec<Effect> {
    match result {
        Ok(view) => {
            let name = view.name.clone();
            match state.views.iter_mut().find(|v| v.name == name) {
                Some(old) => *old = view,
                None => {
                    state.views.push(view);
                    state.views.sort_by(|a, b| a.name.cmp(&b.name));
                }
            }
            state.say(
                format!(
                    "saved view {name} ({}:view {name} applies it)",
                    next_view_hint(state, "cycles views")
                ),
                false,
            );
            state.view = Some(name);
        }
        Err(e) => state.say(format!("cannot save the view: {e}"), true),
    }
    Vec::new()
}

/// A view was deleted.
pub(super) fn on_deleted(
    state: &mut State,
    name: String,
    result: Result<bool, String>,
) -> Vec<Effect> {
    match result {
        Ok(true) => {
            state.views.retain(|v| v.name != name);
            if state.view.as_deref() == Some(name.as_str()) {
                state.view = None;
            }
            state.say(format!("deleted view {name}"), false);
        }
        Ok(false) => {
            let text = unknown_view(state, &name);
            state.say(format!("nothing deleted: {text}"), true);
        }
        Err(e) => state.say(format!("cannot delete the view {name}: {e}"), true),
    }
    Vec::new()
}
