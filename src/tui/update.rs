//! `update`: the only place the UI state changes. No I/O, no await: whatever needs the outside
//! world is returned as an [`Effect`] and comes back later as an [`Action`].
//!
//! Split by concern: list movement and (re)loading in [`nav`], acknowledgements in [`acks`],
//! popups in [`overlays`], silences in [`silences`], the stats throttle in [`stats`], the market screen in [`market`], the `:`
//! command line and saved views in [`command`].

mod acks;
mod command;
mod market;
mod nav;
mod overlays;
mod silences;
pub(crate) mod stats;
mod team;

use chrono::Duration;
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

use super::action::{Action, Effect};
use super::keymap::Command;
use super::settings::SettingsForm;
use super::state::{Anchor, Detail, FRESH_SECS, GroupRow, Overlay, State, Tab};
use crate::domain::{Alert, AlertSort, AlertType, Severity, Status};
use crate::health::{PipelineCommand, PipelineState};
use crate::live::Change;
use stats::{request_stats, stats_if_due};

/// Of a batch of new alerts, the newest this many can ring the bell.
const BELL_NEWEST: usize = 20;

/// Applies one action to the state and returns the effects to carry out. Sets `state.dirty`
/// when the screen must be redrawn.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    if !matches!(action, Action::Tick(_)) {
        state.dirty = true;
    }
    match action {
        Action::Start => {
            let mut effects = nav::reload(state, Anchor::First);
            effects.extend(request_stats(state));
            effects.push(Effect::LoadViews);
            let now = state.now;
            effects.extend(team::team_if_due(state, now));
            effects
        }
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key),
        Action::Key(_) => Vec::new(),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            nav::clamp_offset(state);
            Vec::new()
        }
        Action::Tick(now) => on_tick(state, now),
        Action::Change(change) => on_change(state, change),
        Action::Pipeline(status) => {
            state.pipeline = Some(status);
            Vec::new()
        }
        Action::PageLoaded { seq, result } => {
            let next: Vec<Effect> = nav::page_answered(state).into_iter().collect();
            if seq != state.list.seq {
                state.dirty = false;
                return next;
            }
            match result {
                Ok(page) => nav::apply_page(state, page),
                Err(e) => state.say(format!("cannot load alerts: {e}"), true),
            }
            next
        }
        Action::CountsLoaded { seq, result } => match result {
            Ok(counts) => nav::apply_counts(state, seq, counts).into_iter().collect(),
            Err(e) => {
                state.list.counts_in_flight = false;
                state.say(format!("cannot count alerts: {e}"), true);
                Vec::new()
            }
        },
        Action::GroupsLoaded { seq, result } => {
            let next: Vec<Effect> = nav::groups_answered(state).into_iter().collect();
            if seq != state.groups.seq {
                state.dirty = false;
                return next;
            }
            match result {
                Ok(groups) => nav::apply_groups(state, groups),
                Err(e) => state.say(format!("cannot group alerts: {e}"), true),
            }
            next
        }
        Action::GroupAlertsLoaded { event_id, result } => {
            match result {
                Ok(alerts) => {
                    if state.groups.expanded.as_ref().map(|(e, _)| *e) == Some(event_id) {
                        state.groups.expanded = Some((event_id, alerts));
                    }
                }
                Err(e) => state.say(format!("cannot load the event's alerts: {e}"), true),
            }
            Vec::new()
        }
        Action::TeamLoaded(result) => {
            team::team_loaded(state, result);
            Vec::new()
        }
        Action::NotifyLoaded(result) => {
            state.notify = Some(result);
            Vec::new()
        }
        Action::StatsLoaded(result) => {
            state.stats_in_flight = false;
            match result {
                Ok(stats) => state.stats = Some(stats),
                Err(e) => state.say(format!("cannot load stats: {e}"), true),
            }
            // Changes that arrived during the load are followed now if it was cheap.
            stats_if_due(state).into_iter().collect()
        }
        Action::DetailLoaded { alert_id, result } => {
            if let Some(detail) = &mut state.detail
                && detail.alert.id == alert_id
            {
                match result {
                    Ok(data) => {
                        detail.data = Some(data);
                        detail.error = None;
                    }
                    Err(e) => detail.error = Some(e),
                }
            }
            Vec::new()
        }
        Action::AckDone { op, result } => acks::on_ack_done(state, op, result),
        Action::SettingsLoaded(result) => {
            let base = state.config.clone();
            if let Some(Overlay::Settings(form)) = &mut state.overlay {
                match result {
                    Ok(rows) => form.apply_stored(&base, &rows),
                    Err(e) => form.error = Some(format!("cannot read settings: {e}")),
                }
            }
            Vec::new()
        }
        Action::SilenceCreated(result) => silences::on_created(state, result),
        Action::SilencesLoaded { seq, result } => {
            silences::on_loaded(state, seq, result);
            Vec::new()
        }
        Action::SilenceChanged(result) => silences::on_changed(state, result),
        Action::BoardLoaded { seq, result } => market::on_board(state, seq, result),
        Action::MarketHistoryLoaded { seq, result } => market::on_history(state, seq, result),
        Action::ViewsLoaded(result) => command::on_views(state, result),
        Action::ViewSaved(result) => command::on_saved(state, result),
        Action::ViewDeleted { name, result } => command::on_deleted(state, name, result),
        Action::SettingsSaved(result) => {
            match result {
                Ok(()) => state.say("setting saved; the pipeline applies it next cycle", false),
                Err(e) => state.say(format!("cannot save the setting: {e}"), true),
            }
            // Show who saved what (and, after a failure, what is really stored).
            if matches!(state.overlay, Some(Overlay::Settings(_))) {
                vec![Effect::LoadSettings]
            } else {
                Vec::new()
            }
        }
    }
}

fn on_tick(state: &mut State, now: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    let before = state.now;
    state.now = now;
    // Ages and kickoff countdowns are shown to the minute; only the pipeline's next-cycle
    // countdown is shown to the second, and only when there is a pipeline.
    let minute_changed = before.timestamp().div_euclid(60) != now.timestamp().div_euclid(60);
    let countdown = state
        .pipeline
        .as_ref()
        .is_some_and(|p| p.next_cycle_at.is_some() && before.timestamp() != now.timestamp());
    let fresh_before = state.fresh.len();
    state.fresh.retain(|_, until| *until > now);
    let expired_message = state.message.as_ref().is_some_and(|m| m.until <= now);
    if expired_message {
        state.message = None;
    }
    if minute_changed || countdown || expired_message || state.fresh.len() != fresh_before {
        state.dirty = true;
    }
    let mut effects: Vec<Effect> = stats_if_due(state).into_iter().collect();
    effects.extend(nav::request_counts(state, false));
    effects.extend(market::on_tick(state));
    effects.extend(team::team_if_due(state, now));
    effects
}

fn on_change(state: &mut State, change: Change) -> Vec<Effect> {
    state.stats_stale = true;
    state.list.counts_stale = true;
    let mut effects: Vec<Effect> = stats_if_due(state).into_iter().collect();
    effects.extend(market::on_change(state, &change));
    match change {
        Change::Created(alerts) => {
            let until = state.now + Duration::seconds(FRESH_SECS);
            for alert in alerts.iter().rev().take(200) {
                state.fresh.insert(alert.id, until);
            }
            // A silenced alert never rings (DESIGN §10).
            let mut newest = alerts
                .iter()
                .rev()
                .filter(|a| a.silenced_by.is_none())
                .take(BELL_NEWEST);
            if state.bell && newest.any(|a| a.severity == Severity::Critical) {
                effects.push(Effect::Bell);
            }
            if state.frozen {
                state.frozen_arrivals += alerts.len() as u64;
            } else {
                effects.extend(nav::reload(state, Anchor::Keep));
            }
        }
        Change::Updated(alerts) => {
            let again = asking_again(state, &alerts);
            let until = state.now + Duration::seconds(FRESH_SECS);
            for alert in &again {
                state.fresh.insert(alert.id, until);
            }
            if state.bell && again.iter().any(|a| a.severity == Severity::Critical) {
                effects.push(Effect::Bell);
            }
            if let Some(detail) = &state.detail
                && let Some(now) = alerts.iter().find(|a| a.id == detail.alert.id)
            {
                effects.push(Effect::LoadDetail(Box::new(now.clone())));
            }
            if state.frozen {
                state.frozen_reload = true;
            } else {
                effects.extend(nav::reload(state, Anchor::Keep));
            }
        }
        Change::Reload => {
            // Silences change as bulk changes: the silences screen follows them.
            effects.extend(silences::reload_screen(state));
            if state.frozen {
                state.frozen_reload = true;
            } else {
                effects.extend(nav::reload(state, Anchor::Keep));
            }
        }
    }
    effects
}

/// Most escalations remembered; beyond it the memory starts again (an alert escalating again
/// after that rings once more, which is harmless).
const ESCALATIONS_REMEMBERED: usize = 10_000;

/// The updated alerts that ask for attention again: escalated or re-opened (DESIGN §10), `new`,
/// not silenced, and more severe than when they last asked (or than the row on screen, or no
/// longer acknowledged there). The change feed reports folds, escalations and re-openings all
/// as updates, so the alert's own `escalated` flag and what this UI saw before tell them apart.
fn asking_again(state: &mut State, alerts: &[Alert]) -> Vec<Alert> {
    let mut again = Vec::new();
    for alert in alerts {
        if !alert.escalated || alert.status != Status::New || alert.silenced_by.is_some() {
            continue;
        }
        let on_screen = state
            .alerts_mut()
            .find(|a| a.id == alert.id)
            .map(|a| (a.status, a.severity, a.escalated));
        let rose = match (on_screen, state.escalations.get(&alert.id)) {
            (_, Some(asked)) => alert.severity > *asked,
            (Some((status, severity, was_escalated)), None) => {
                status != Status::New || alert.severity > severity || !was_escalated
            }
            (None, None) => true,
        };
        if rose {
            again.push(alert.clone());
        }
    }
    if state.escalations.len() > ESCALATIONS_REMEMBERED {
        state.escalations.clear();
    }
    for alert in alerts.iter().filter(|a| a.escalated) {
        state.escalations.insert(alert.id, alert.severity);
    }
    again
}

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if state.overlay.is_some() {
        return Vec::new();
    }
    match mouse.kind {
        MouseEventKind::ScrollDown => nav::move_by(state, 3),
        MouseEventKind::ScrollUp => nav::move_by(state, -3),
        MouseEventKind::Down(MouseButton::Left) => {
            // The table starts below the header (2), tabs (1), stats and its own header (1).
            let stats = if state.size.1 >= 32 { 8 } else { 1 };
            let top = 2 + 1 + stats + 1;
            let Some(line) = usize::from(mouse.row).checked_sub(top) else {
                return Vec::new();
            };
            let (offset, selected) = if state.grouped {
                (state.groups.offset, state.groups.selected)
            } else {
                (state.list.offset, state.list.selected)
            };
            nav::move_by(state, (offset + line) as isize - selected as isize)
        }
        _ => {
            state.dirty = false;
            Vec::new()
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if let Some(overlay) = state.overlay.take() {
        return overlays::on_overlay_key(state, overlay, key);
    }
    if state.market.is_some()
        && let Some(effects) = market::on_key(state, key)
    {
        return effects;
    }
    let Some(command) = state.keymap.command_for(&key) else {
        state.dirty = false;
        return Vec::new();
    };
    on_command(state, command)
}

fn cycle<T: Copy + PartialEq>(current: Option<T>, all: &[T]) -> Option<T> {
    match current.and_then(|c| all.iter().position(|v| *v == c)) {
        None => all.first().copied(),
        Some(i) => all.get(i + 1).copied(),
    }
}

fn set_tab(state: &mut State, tab: Tab) -> Vec<Effect> {
    state.tab = tab;
    nav::restart(state)
}

/// Runs one bound command.
pub fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    let detail_follows = state.detail.is_some();
    let mut effects = match command {
        Command::Down => nav::move_by(state, 1),
        Command::Up => nav::move_by(state, -1),
        Command::PageDown => nav::move_by(state, state.table_rows() as isize),
        Command::PageUp => nav::move_by(state, -(state.table_rows() as isize)),
        Command::Top => nav::top(state),
        Command::Bottom => nav::bottom(state),
        Command::NextTab => {
            let i = Tab::ALL.iter().position(|t| *t == state.tab).unwrap_or(0);
            set_tab(state, Tab::ALL[(i + 1) % Tab::ALL.len()])
        }
        Command::TabNew => set_tab(state, Tab::New),
        Command::TabAcknowledged => set_tab(state, Tab::Acknowledged),
        Command::TabPast => set_tab(state, Tab::Past),
        Command::TabAll => set_tab(state, Tab::All),
        Command::SeverityFilter => {
            let order = [Severity::Critical, Severity::Elevated, Severity::Warning];
            state.severity = cycle(state.severity, &order);
            nav::restart(state)
        }
        Command::TypeFilter => {
            state.alert_type = cycle(state.alert_type, AlertType::ALL);
            nav::restart(state)
        }
        Command::BookFilter => {
            let i = state
                .book
                .as_ref()
                .and_then(|b| state.books.iter().position(|x| x == b));
            state.book = match i {
                None => state.books.first().cloned(),
                Some(i) => state.books.get(i + 1).cloned(),
            };
            nav::restart(state)
        }
        Command::TextFilter => {
            state.overlay = Some(Overlay::TextFilter);
            Vec::new()
        }
        Command::CommandLine => command::open(state),
        Command::NextView => command::next_view(state),
        Command::Market => market::open(state),
        Command::CopyLine => copy(state, false),
        Command::CopyJson => copy(state, true),
        Command::Back => back(state),
        Command::EventOnly => {
            if state.event.is_some() {
                state.event = None;
            } else if let Some(a) = state.selected_alert() {
                state.event = Some((a.event_id, a.event_name.clone()));
            } else if let Some(g) = state.selected_group() {
                state.event = Some((g.event_id, g.event_name.clone()));
            }
            nav::restart(state)
        }
        Command::Sort => {
            state.sort = cycle(Some(state.sort), AlertSort::ALL).unwrap_or_default();
            nav::restart(state)
        }
        Command::Group => {
            state.grouped = !state.grouped;
            state.groups.expanded = None;
            nav::reload(state, Anchor::Keep)
        }
        Command::Detail => return open_detail(state),
        Command::Acknowledge => acks::acknowledge_selected(state),
        Command::Unacknowledge => acks::unacknowledge_selected(state),
        Command::Mark => {
            if let Some(id) = state.selected_alert().map(|a| a.id) {
                if !state.marks.remove(&id) {
                    state.marks.insert(id);
                }
                nav::move_by(state, 1)
            } else {
                Vec::new()
            }
        }
        Command::AcknowledgeMarked => acks::acknowledge_marked(state),
        Command::Silence => silences::open_form(state),
        Command::ShowSilenced => silences::toggle_shown(state),
        Command::Silences => silences::open_screen(state),
        Command::Freeze => {
            state.frozen = !state.frozen;
            state.frozen_arrivals = 0;
            state.frozen_reload = false;
            if state.frozen {
                Vec::new()
            } else {
                nav::reload(state, Anchor::Keep)
            }
        }
        Command::Pause => pause(state),
        Command::Refresh => {
            state.list.counts_stale = true;
            let mut effects = nav::reload(state, Anchor::Keep);
            effects.extend(nav::request_counts(state, true));
            effects.extend(request_stats(state));
            effects
        }
        Command::Settings => {
            state.overlay = Some(Overlay::Settings(SettingsForm::new(&state.config)));
            vec![Effect::LoadSettings]
        }
        Command::BookHealth => {
            state.overlay = Some(Overlay::BookHealth);
            vec![Effect::LoadNotify]
        }
        Command::Help => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Command::Quit => {
            state.quitting = true;
            vec![Effect::Quit]
        }
    };
    // The detail pane follows the selection.
    if detail_follows
        && matches!(
            command,
            Command::Down
                | Command::Up
                | Command::PageDown
                | Command::PageUp
                | Command::Top
                | Command::Bottom
        )
        && let Some(alert) = state.selected_alert().cloned()
        && state
            .detail
            .as_ref()
            .is_some_and(|d| d.alert.id != alert.id)
    {
        state.detail = Some(Detail {
            alert: alert.clone(),
            data: None,
            error: None,
        });
        effects.push(Effect::LoadDetail(Box::new(alert)));
    }
    effects
}

fn back(state: &mut State) -> Vec<Effect> {
    if state.detail.take().is_some() {
        return Vec::new();
    }
    if state.grouped && state.groups.expanded.take().is_some() {
        nav::clamp_offset(state);
        return Vec::new();
    }
    if state.is_filtered() {
        state.severity = None;
        state.alert_type = None;
        state.book = None;
        state.text.clear();
        state.event = None;
        state.event_text = None;
        state.view = None;
        return nav::restart(state);
    }
    if !state.marks.is_empty() {
        state.marks.clear();
        return Vec::new();
    }
    state.dirty = false;
    Vec::new()
}

fn open_detail(state: &mut State) -> Vec<Effect> {
    if state.grouped
        && let Some(GroupRow::Group(i)) = state.group_rows().get(state.groups.selected).copied()
    {
        let event_id = state.groups.groups[i].event_id;
        if state.groups.expanded.as_ref().map(|(e, _)| *e) == Some(event_id) {
            state.groups.expanded = None;
            return Vec::new();
        }
        state.groups.expanded = Some((event_id, Vec::new()));
        return vec![nav::group_alerts(state, event_id)];
    }
    if state.detail.take().is_some() {
        return Vec::new();
    }
    let Some(alert) = state.selected_alert().cloned() else {
        state.say("no alert selected", false);
        return Vec::new();
    };
    state.detail = Some(Detail {
        alert: alert.clone(),
        data: None,
        error: None,
    });
    vec![Effect::LoadDetail(Box::new(alert))]
}

/// Copies the selected alert (the detail pane's, when open) to the terminal's clipboard.
fn copy(state: &mut State, json: bool) -> Vec<Effect> {
    let alert = match &state.detail {
        Some(detail) => Some(detail.alert.clone()),
        None => state.selected_alert().cloned(),
    };
    let Some(alert) = alert else {
        state.say("no alert selected: nothing to copy", false);
        return Vec::new();
    };
    let (text, what) = if json {
        (crate::tui::clip::json(&alert), "as JSON")
    } else {
        (crate::tui::clip::line(&alert), "as text")
    };
    state.say(
        format!(
            "copied alert {} {what} (OSC 52: the terminal must allow clipboard writes)",
            alert.id
        ),
        false,
    );
    vec![Effect::Copy(text)]
}

fn pause(state: &mut State) -> Vec<Effect> {
    if !state.can_pause {
        state.say(
            "scraping is not in this process (attached to the database): nothing to pause",
            true,
        );
        return Vec::new();
    }
    let paused = state
        .pipeline
        .as_ref()
        .is_some_and(|p| p.state == PipelineState::Paused);
    let command = if paused {
        PipelineCommand::Resume
    } else {
        PipelineCommand::Pause
    };
    state.say(
        if paused {
            "resuming scraping"
        } else {
            "pausing scraping after the cycle in flight"
        },
        false,
    );
    vec![Effect::Pipeline(command)]
}
