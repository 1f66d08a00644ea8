//! Small builders of alerts, pages and states at a fixed time.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::config::Config;
use crate::domain::{Alert, AlertType, Direction, Severity, Status};
use crate::service::cursor_of;
use crate::store::StatusCounts;
use crate::tui::action::{Action, Effect, PageRows};
use crate::tui::keymap::Keymap;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use crate::tui::view;

/// The fixed "now" of every UI test.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

const TEAMS: &[(&str, &str)] = &[
    ("Arsenal", "Chelsea"),
    ("Real Madrid", "Sevilla"),
    ("Enyimba", "Kano Pillars"),
    ("Ajax", "Feyenoord"),
];

/// A price-change alert; id decides the event, severity and shape so rows differ.
pub fn alert(id: i64, minutes_ago: i64, severity: Severity, status: Status) -> Alert {
    let (home, away) = TEAMS[(id as usize) % TEAMS.len()];
    let change = match severity {
        Severity::Warning => 7.5,
        Severity::Elevated => -11.25,
        Severity::Critical => 18.0,
    };
    let direction = id % 3 == 0;
    Alert {
        id,
        event_id: (id % TEAMS.len() as i64) + 1,
        sr_id: format!("sr:{}", 1000 + id % 4),
        event_name: format!("{home} v {away}"),
        home_team: home.into(),
        away_team: away.into(),
        tournament: Some("Premier League".into()),
        bookmaker_slug: "betpawa".into(),
        market_id: if id % 2 == 0 { "3743" } else { "5000" }.into(),
        market_name: if id % 2 == 0 {
            "1X2 | Full Time"
        } else {
            "Over/Under | Full Time"
        }
        .into(),
        line: (id % 2 == 1).then_some(2.5),
        outcome_name: Some(if id % 2 == 0 { "1" } else { "Over" }.into()),
        alert_type: if direction {
            AlertType::DirectionDisagreement
        } else {
            AlertType::PriceChange
        },
        severity,
        change_percent: Some(change),
        old_value: Some(2.0),
        new_value: Some(2.0 * (1.0 + change / 100.0)),
        competitor_bookmaker: direction.then(|| "sportybet".into()),
        competitor_old_value: direction.then_some(2.0),
        competitor_new_value: direction.then_some(1.9),
        competitor_direction: direction.then_some(Direction::Down),
        gap_percent: direction.then_some(11.21),
        availability: None,
        unavailable_secs: None,
        markets_affected: None,
        detected_at: now() - Duration::minutes(minutes_ago),
        acknowledged_at: (status == Status::Acknowledged).then(|| now() - Duration::minutes(1)),
        acknowledged_by: (status == Status::Acknowledged).then(|| "alice".into()),
        status,
        event_kickoff: if status == Status::Past {
            now() - Duration::minutes(30)
        } else {
            now() + Duration::minutes(95 + id)
        },
    }
}

/// `n` alerts, newest first, ids `n..=1`, mixed severities, all new.
pub fn alerts(n: i64) -> Vec<Alert> {
    (1..=n)
        .rev()
        .map(|id| {
            let severity = Severity::ALL[(id as usize) % 3];
            alert(id, (n - id) * 7 + 1, severity, Status::New)
        })
        .collect()
}

/// A window holding `alerts` (no next window unless `more`).
pub fn page(alerts: Vec<Alert>, more: bool) -> PageRows {
    let next_cursor = more.then(|| alerts.last().map(cursor_of)).flatten();
    PageRows {
        alerts,
        next_cursor,
    }
}

/// Per-status counts of `alerts`.
pub fn counts_of(alerts: &[Alert]) -> StatusCounts {
    StatusCounts {
        new: alerts.iter().filter(|a| a.status == Status::New).count() as u64,
        acknowledged: alerts
            .iter()
            .filter(|a| a.status == Status::Acknowledged)
            .count() as u64,
        past: alerts.iter().filter(|a| a.status == Status::Past).count() as u64,
    }
}

/// A fresh state at [`now`] with the default config and keymap.
pub fn state() -> State {
    State::new(
        now(),
        "sqlite:///var/lib/oddswatch/oddswatch.db".into(),
        Arc::new(Config::defaults()),
        Arc::new(Keymap::defaults()),
    )
}

/// A state started and showing `rows`.
pub fn loaded(rows: Vec<Alert>) -> State {
    let mut s = state();
    update(&mut s, Action::Start);
    answer(&mut s, rows, false);
    s
}

/// Answers the running window query with `rows`, and a running count with their counts.
pub fn answer(state: &mut State, rows: Vec<Alert>, more: bool) -> Vec<Effect> {
    let seq = state.list.seq;
    let counts = counts_of(&rows);
    let mut effects = update(
        state,
        Action::PageLoaded {
            seq,
            result: Ok(page(rows, more)),
        },
    );
    if state.list.counts_in_flight {
        let seq = state.list.counts_seq;
        effects.extend(update(
            state,
            Action::CountsLoaded {
                seq,
                result: Ok(counts),
            },
        ));
    }
    effects
}

/// A key press.
pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Answers whatever queries are running with what is on screen, as a quick database would.
pub fn idle(state: &mut State) {
    for _ in 0..10 {
        if state.list.in_flight {
            let rows = state.list.rows.clone();
            let more = state.list.next_cursor.is_some();
            let seq = state.list.seq;
            update(
                state,
                Action::PageLoaded {
                    seq,
                    result: Ok(page(rows, more)),
                },
            );
        } else if state.list.counts_in_flight {
            let (seq, counts) = (state.list.counts_seq, state.list.counts);
            update(
                state,
                Action::CountsLoaded {
                    seq,
                    result: Ok(counts),
                },
            );
        } else if state.groups.in_flight {
            let (seq, groups) = (state.groups.seq, state.groups.groups.clone());
            update(
                state,
                Action::GroupsLoaded {
                    seq,
                    result: Ok(groups),
                },
            );
        } else {
            return;
        }
    }
}

/// Presses a character key once running queries have answered.
pub fn press(state: &mut State, c: char) -> Vec<Effect> {
    idle(state);
    update(state, key(KeyCode::Char(c)))
}

/// The ids of the rows on screen.
pub fn ids(state: &State) -> Vec<i64> {
    state.list.rows.iter().map(|a| a.id).collect()
}

/// Renders the state on a test terminal.
pub fn render(state: &State, theme: &Theme, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut state = state.clone();
    state.size = (width, height);
    terminal
        .draw(|frame| view::draw(frame, &state, theme))
        .unwrap();
    terminal
}
