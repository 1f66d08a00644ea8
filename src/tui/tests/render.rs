//! Rendered screens: insta snapshots on a `TestBackend` at 80x24 and 120x40, and buffer-level
//! checks of styles (selected row reversed, severities styled, mono without colour).

use chrono::Duration;
use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};

use super::fixtures::*;
use crate::domain::{AuditEntry, BookOdds, EventGroup, OutcomePrice, PricePoint};
use crate::domain::{Severity, Status};
use crate::health::{BookCounts, BookHealth, HealthLevel, PipelineState, PipelineStatus};
use crate::service::AlertStats;
use crate::tui::action::{Action, DetailData, StatsData};
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;
use crate::tui::update::update;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

pub(super) fn stats() -> StatsData {
    let mut totals = AlertStats {
        total: 1_234_567,
        by_status: Default::default(),
        by_severity: Default::default(),
        by_type: Default::default(),
        silenced: 0,
    };
    totals.by_severity.extend([
        ("critical", 234_567),
        ("elevated", 400_000),
        ("warning", 600_000),
    ]);
    totals.by_type.extend([
        ("price_change", 1_000_000),
        ("direction_disagreement", 200_000),
        ("availability", 34_567),
    ]);
    StatsData {
        totals,
        per_minute: (0..60).map(|m| (m * 7 % 13) as u64).collect(),
        top_events: vec![
            EventGroup {
                event_id: 1,
                event_name: "Arsenal v Chelsea".into(),
                kickoff: now() + Duration::hours(2),
                alerts: 42,
                worst: Severity::Critical,
            },
            EventGroup {
                event_id: 2,
                event_name: "Real Madrid v Sevilla".into(),
                kickoff: now() + Duration::hours(5),
                alerts: 17,
                worst: Severity::Elevated,
            },
        ],
        took_ms: 3,
    }
}

fn pipeline() -> PipelineStatus {
    PipelineStatus {
        state: PipelineState::Running,
        last_cycle_at: Some(now() - Duration::seconds(4)),
        last_cycle_ms: Some(1_830),
        next_cycle_at: Some(now() + Duration::seconds(6)),
        cycles: 12,
        books: vec![
            BookHealth {
                book: "betpawa".into(),
                level: HealthLevel::Ok,
                ..Default::default()
            },
            BookHealth {
                book: "sportybet".into(),
                level: HealthLevel::Degraded,
                last_error: Some("timeout after 20 s fetching event 4711".into()),
                counts: BookCounts {
                    failures: 3,
                    requests: 120,
                    ..BookCounts::default()
                },
                ..Default::default()
            },
            BookHealth {
                book: "bet9ja".into(),
                level: HealthLevel::Down,
                last_error: Some("HTTP 503 on the events list".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// The main screen: 30 alerts, one marked, one fresh, stats and a pipeline.
pub(super) fn main_state() -> State {
    let mut s = loaded(alerts(30));
    s.stats = Some(stats());
    s.pipeline = Some(pipeline());
    s.can_pause = true;
    press(&mut s, 'j');
    press(&mut s, ' ');
    s.fresh.insert(30, now() + Duration::seconds(3));
    s
}

fn snapshot_all(name: &str, state: &State) {
    for (w, h) in SIZES {
        let terminal = render(state, &Theme::color(), w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn main_screen() {
    snapshot_all("main", &main_state());
}

#[test]
fn empty_database() {
    let mut s = loaded(Vec::new());
    s.stats = Some(StatsData {
        totals: AlertStats {
            total: 0,
            by_status: Default::default(),
            by_severity: Default::default(),
            by_type: Default::default(),
            silenced: 0,
        },
        per_minute: vec![0; 60],
        top_events: Vec::new(),
        took_ms: 3,
    });
    snapshot_all("empty", &s);
}

#[test]
fn grouped_view_with_an_expanded_event() {
    let mut s = main_state();
    press(&mut s, 'v');
    let seq = s.groups.seq;
    let groups = stats().top_events;
    update(
        &mut s,
        Action::GroupsLoaded {
            seq,
            result: Ok(groups),
        },
    );
    update(&mut s, key(KeyCode::Enter));
    let event_alerts: Vec<_> = alerts(8).into_iter().filter(|a| a.event_id == 1).collect();
    update(
        &mut s,
        Action::GroupAlertsLoaded {
            event_id: 1,
            result: Ok(event_alerts),
        },
    );
    press(&mut s, 'j');
    snapshot_all("grouped", &s);
}

pub(super) fn detail_data() -> DetailData {
    let book = |bookmaker: &str, is_home: bool, prices: [f64; 2]| BookOdds {
        bookmaker: bookmaker.into(),
        is_home,
        available: true,
        outcomes: vec![
            OutcomePrice {
                name: "Over".into(),
                price: prices[0],
                active: true,
            },
            OutcomePrice {
                name: "Under".into(),
                price: prices[1],
                active: true,
            },
        ],
        last_changed: now() - Duration::minutes(3),
        last_seen: now() - Duration::minutes(1),
    };
    let history = (0..12)
        .flat_map(|i| {
            let at = now() - Duration::minutes(60 - i * 5);
            [
                ("betpawa", 2.0 + f64::from(i as i32) * 0.03),
                ("sportybet", 2.05 - f64::from(i as i32) * 0.01),
            ]
            .map(|(bookmaker, price)| PricePoint {
                bookmaker: bookmaker.into(),
                recorded_at: at,
                outcomes: vec![OutcomePrice {
                    name: "Over".into(),
                    price,
                    active: true,
                }],
            })
        })
        .collect();
    DetailData {
        audit: vec![
            AuditEntry {
                id: 1,
                alert_id: 29,
                action: "acknowledge".into(),
                actor: "alice".into(),
                at: now() - Duration::minutes(20),
                comment: None,
            },
            AuditEntry {
                id: 2,
                alert_id: 29,
                action: "unacknowledge".into(),
                actor: "bob".into(),
                at: now() - Duration::minutes(10),
                comment: Some("still moving".into()),
            },
        ],
        odds: vec![
            book("betpawa", true, [2.36, 1.58]),
            book("sportybet", false, [2.05, 1.74]),
        ],
        history,
        occurrences: Vec::new(),
    }
}

#[test]
fn detail_pane() {
    let mut s = main_state();
    // An over/under alert, the market the fixture's history is about.
    let alert = s.list.rows[1].clone();
    s.detail = Some(Detail {
        alert,
        data: Some(detail_data()),
        error: None,
    });
    snapshot_all("detail", &s);
}

#[test]
fn help_overlay_lists_the_live_keymap() {
    let mut s = main_state();
    press(&mut s, '?');
    snapshot_all("help", &s);
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(text.contains("acknowledge"), "{text}");
}

#[test]
fn settings_screen() {
    let mut s = main_state();
    press(&mut s, 'c');
    let rows = vec![crate::domain::SettingRow {
        key: "detection.warning_pct".into(),
        value: serde_json::json!(6.5),
        updated_at: now() - Duration::hours(1),
        updated_by: "lead".into(),
    }];
    update(&mut s, Action::SettingsLoaded(Ok(rows)));
    press(&mut s, 'j');
    snapshot_all("settings", &s);
}

#[test]
fn too_small_screen() {
    let terminal = render(&main_state(), &Theme::color(), 50, 12);
    insta::assert_snapshot!("too_small_50x12", terminal.backend());
}

/// The y of the selected table row on an 80x24 screen (header 2, tabs 1, stats 1, head 1).
fn selected_y(state: &State) -> u16 {
    5 + (state.list.selected - state.list.offset) as u16
}

#[test]
fn the_selected_row_is_reversed_and_severities_are_styled() {
    let s = main_state();
    let theme = Theme::color();
    let terminal = render(&s, &theme, 80, 24);
    let buffer = terminal.backend().buffer();
    let y = selected_y(&s);
    for x in 0..80 {
        assert!(
            buffer[(x, y)].modifier.contains(Modifier::REVERSED),
            "cell ({x}, {y}) of the selected row is not reversed"
        );
    }
    assert!(!buffer[(10, y + 1)].modifier.contains(Modifier::REVERSED));
    // The first row (id 30, severity Critical by the fixture's rule) shows CRIT in its style.
    let first = s.list.rows[0].severity;
    let cell = &buffer[(1, 5)];
    assert_eq!(cell.fg, theme.severity(first).fg.unwrap_or(Color::Reset));
}

#[test]
fn the_mono_theme_has_no_colour_and_keeps_severity_readable() {
    let mut s = main_state();
    s.detail = None;
    let terminal = render(&s, &Theme::mono(), 120, 40);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "mono drew a foreground colour");
        assert_eq!(cell.bg, Color::Reset, "mono drew a background colour");
    }
    let text = format!("{}", terminal.backend());
    assert!(text.contains("CRIT") && text.contains("ELEV") && text.contains("WARN"));
    insta::assert_snapshot!("main_mono_120x40", terminal.backend());
    // Critical is bold and underlined, not just coloured.
    let crit = Theme::mono().severity(Severity::Critical);
    assert!(
        crit.add_modifier
            .contains(Modifier::BOLD | Modifier::UNDERLINED)
    );
}

#[test]
fn detail_without_recorded_odds_says_so() {
    let mut s = loaded(vec![alert(3, 2, Severity::Critical, Status::New)]);
    let alert = s.list.rows[0].clone();
    s.detail = Some(Detail {
        alert,
        data: Some(DetailData::default()),
        error: None,
    });
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(text.contains("no prices recorded"), "{text}");
    assert!(text.contains("no price history recorded"), "{text}");
}
