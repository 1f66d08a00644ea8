//! Small builders of alerts, pages and states at a fixed time.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::config::Config;
use crate::domain::testing::AlertBuilder;
use crate::domain::{Alert, Severity, Status};
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
    let mut alert = AlertBuilder::new()
        .event_key(format!("sr:{}", 1000 + id % 4))
        .event_id((id % TEAMS.len() as i64) + 1)
        .teams(home, away, Some("Premier League"))
        .severity(severity)
        .prices(2.0, 2.0 * (1.0 + change / 100.0))
        .detected_at(now() - Duration::minutes(minutes_ago))
        .kickoff(if status == Status::Past {
            now() - Duration::minutes(30)
        } else {
            now() + Duration::minutes(95 + id)
        })
        .status(status);
    alert = if id % 2 == 0 {
        alert.market("3743", "1X2 | Full Time").outcome(Some("1"))
    } else {
        alert
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .outcome(Some("Over"))
    };
    if id % 3 == 0 {
        alert = alert.disagreement("sportybet", 2.0, 1.9).gap_pct(11.21);
    }
    if status == Status::Acknowledged {
        alert = alert.acknowledged("alice", now() - Duration::minutes(1));
    }
    alert.stored(id)
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
