//! Small builders of alerts, pages and states at a fixed time.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::config::Config;
use crate::domain::testing::AlertBuilder;
use crate::domain::{
    Alert, AlertPayload, BookFairOdds, Direction, MarginBreach, MarketLeftBehind, Mover,
    OffMarketPrice, OutcomeQuote, Pattern, Percent, Price, PriceMove, Severity, Status,
};
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

fn price(text: &str) -> Price {
    text.parse().expect("a price")
}

/// An alert of event `id % 4` on 1X2 of betpawa, detected `minutes_ago`, carrying `payload`.
fn market_aware(
    id: i64,
    minutes_ago: i64,
    severity: Severity,
    outcome: Option<&str>,
    payload: AlertPayload,
) -> Alert {
    let (home, away) = TEAMS[(id as usize) % TEAMS.len()];
    let mut detected = AlertBuilder::new()
        .event_key(format!("sr:{}", 1000 + id % 4))
        .market("3743", "1X2 | Full Time")
        .outcome(outcome)
        .severity(severity)
        .detected_at(now() - Duration::minutes(minutes_ago))
        .kickoff(now() + Duration::minutes(95 + id))
        .build();
    detected.payload = payload;
    AlertBuilder::from(detected)
        .event_id((id % TEAMS.len() as i64) + 1)
        .teams(home, away, Some("Premier League"))
        .stored(id)
}

/// §9's `market_move` vector: sportybet 2.00 → 1.80 and bet9ja 2.00 → 1.84, the home book stayed
/// at 2.00; median −9.00 %, warning.
pub fn market_move(id: i64, minutes_ago: i64) -> Alert {
    let mover = |book: &str, new: &str, change: i64| Mover {
        bookmaker: book.into(),
        old: price("2.00"),
        new: price(new),
        change_pct: Percent::from_hundredths(change),
    };
    let payload = AlertPayload::MarketMove(MarketLeftBehind {
        direction: Direction::Down,
        median_change_pct: Percent::from_hundredths(-900),
        home: PriceMove::between(price("2.00"), price("2.00")).expect("a price"),
        movers: vec![
            mover("bet9ja", "1.84", -800),
            mover("sportybet", "1.80", -1000),
        ],
    });
    market_aware(id, minutes_ago, Severity::Warning, Some("1"), payload)
}

/// §9's `off_market` vectors on "1" against sportybet and bet9ja both at 2.00/3.40/4.00 (fair
/// odds 2.09): home 2.30 (edge 10.14 %), or with `pattern` the swapped 4.00 (91.55 %) or the
/// factor 20.00 (857.75 %); all critical.
pub fn off_market(id: i64, minutes_ago: i64, pattern: Option<Pattern>) -> Alert {
    let (home, edge) = match pattern {
        None => ("2.30", 1014),
        Some(Pattern::Swapped) => ("4.00", 9155),
        Some(Pattern::Factor) => ("20.00", 85775),
    };
    let book = |bookmaker: &str| BookFairOdds {
        bookmaker: bookmaker.into(),
        price: price("2.00"),
        fair_odds: price("2.09"),
    };
    let payload = AlertPayload::OffMarket(OffMarketPrice {
        price: price(home),
        edge_pct: Percent::from_hundredths(edge),
        fair_odds: price("2.09"),
        pattern,
        books: vec![book("bet9ja"), book("sportybet")],
    });
    market_aware(id, minutes_ago, Severity::Critical, Some("1"), payload)
}

/// §9's `margin` vector: home 2.50/3.40/3.60, margin −2.81 % (an arbitrage), critical; no
/// outcome.
pub fn margin(id: i64, minutes_ago: i64) -> Alert {
    let payload = AlertPayload::Margin(MarginBreach {
        margin_pct: Percent::from_hundredths(-281),
        prices: [("1", "2.50"), ("X", "3.40"), ("2", "3.60")]
            .map(|(outcome, p)| OutcomeQuote {
                outcome: outcome.into(),
                price: price(p),
            })
            .to_vec(),
    });
    market_aware(id, minutes_ago, Severity::Critical, None, payload)
}

/// One alert of every type, newest first: margin (8), off_market factor (7), swapped (6) and
/// plain (5), market_move (4), direction disagreement (3), availability (2), price change (1).
pub fn every_type() -> Vec<Alert> {
    let suspended = AlertBuilder::new()
        .event_key("sr:1003")
        .event_id(4)
        .teams("Ajax", "Feyenoord", Some("Eredivisie"))
        .severity(Severity::Elevated)
        .suspended()
        .detected_at(now() - Duration::minutes(30))
        .kickoff(now() + Duration::minutes(100))
        .stored(2);
    vec![
        margin(8, 1),
        off_market(7, 2, Some(Pattern::Factor)),
        off_market(6, 3, Some(Pattern::Swapped)),
        off_market(5, 4, None),
        market_move(4, 5),
        alert(3, 20, Severity::Elevated, Status::New),
        suspended,
        alert(1, 50, Severity::Warning, Status::New),
    ]
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
        silenced: 0,
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
