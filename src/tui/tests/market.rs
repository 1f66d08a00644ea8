//! The market-aware alert types (DESIGN §9) on screen: each row of the table says what its type
//! measured, at 80x24 and 120x40, in colour and in monochrome, and each type's detail pane shows
//! what the alert carries.

use ratatui::style::Color;

use super::fixtures::*;
use crate::domain::{AlertType, Pattern};
use crate::service::AlertStats;
use crate::tui::action::{DetailData, StatsData};
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;

/// The screen's text, one string per row.
fn screen(state: &State, theme: &Theme, width: u16, height: u16) -> Vec<String> {
    let terminal = render(state, theme, width, height);
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The row of the screen that shows `needle`, or a failure listing the screen.
fn row_with<'a>(rows: &'a [String], needle: &str) -> &'a str {
    rows.iter()
        .find(|r| r.contains(needle))
        .unwrap_or_else(|| panic!("no row shows {needle:?}:\n{}", rows.join("\n")))
}

/// Every cell of `fragment` on the row that shows `needle` reads in order, spaces collapsed.
fn shows(rows: &[String], needle: &str, fragments: &[&str]) {
    let row = row_with(rows, needle);
    let squeezed = row.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = squeezed.as_str();
    for fragment in fragments {
        match rest.find(fragment) {
            Some(at) => rest = &rest[at + fragment.len()..],
            None => panic!("the row {row:?} does not show {fragment:?} (in order)"),
        }
    }
}

fn every_type_state() -> State {
    let mut s = loaded(every_type());
    let mut totals = AlertStats {
        total: 8,
        by_status: Default::default(),
        by_severity: Default::default(),
        by_type: Default::default(),
        silenced: 0,
    };
    totals
        .by_severity
        .extend([("critical", 4), ("elevated", 2), ("warning", 2)]);
    totals.by_type.extend([
        ("price_change", 1),
        ("direction_disagreement", 1),
        ("availability", 1),
        ("market_move", 1),
        ("off_market", 3),
        ("margin", 1),
    ]);
    s.stats = Some(StatsData {
        totals,
        per_minute: vec![0; 60],
        top_events: Vec::new(),
        took_ms: 3,
    });
    s
}

#[test]
fn the_table_says_what_each_type_measured_at_80x24() {
    let s = every_type_state();
    for theme in [Theme::color(), Theme::mono()] {
        let rows = screen(&s, &theme, 80, 24);
        // Our price and the bettor's edge against it, the palp's edge fits (the header carries the %).
        shows(
            &rows,
            "2.300 edge",
            &["Real Madr", "1", "bp", "2.300 edge", "+10.14"],
        );
        shows(&rows, "4.000 edge", &["4.000 edge", "+91.55"]);
        shows(&rows, "20.000 edge", &["20.000 edge", "+857.8"]);
        // Our price now, and the market's median move with its arrow (not our change).
        shows(
            &rows,
            "2.000 mkt",
            &["Arsenal", "1", "bp", "2.000 mkt", "↓9.00"],
        );
        // A market-level alert: no outcome, the margin.
        shows(&rows, "-2.81", &["1X2", "bp", "margin", "-2.81"]);
        // The older types read as before.
        shows(&rows, "suspended", &["suspended"]);
        shows(&rows, "2.000→2.150", &["2.000→2.150", "+7.50"]);
        shows(
            &rows,
            "2.000→1.775",
            &["O/U 2.5", "Over", "2.000→1.775", "-11.25"],
        );
        // No row of a new type shows the home move as a change of its own.
        assert!(!row_with(&rows, "2.000 mkt").contains("+0.00"));
    }
}

#[test]
fn the_wide_table_adds_what_each_alert_is_measured_against() {
    let s = every_type_state();
    let rows = screen(&s, &Theme::color(), 120, 40);
    shows(
        &rows,
        "2.300 edge",
        &["2.300 edge", "+10.14%", "fair 2.09 · 2 books"],
    );
    shows(
        &rows,
        "4.000 edge",
        &["+91.55%", "fair 2.09 · palp swapped"],
    );
    shows(
        &rows,
        "20.000 edge",
        &["+857.8%", "fair 2.09 · palp factor"],
    );
    shows(&rows, "2.000 mkt", &["↓9.00%", "moved: bet9ja, sportybet"]);
    shows(
        &rows,
        "-2.81%",
        &["margin", "-2.81%", "1 2.50 X 3.40 2 3.60"],
    );
    shows(
        &rows,
        "sportybet 2.00 → 1.90",
        &["-11.25%", "sportybet 2.00 → 1.90 ↓"],
    );
}

#[test]
fn the_stats_panel_counts_every_type() {
    let s = every_type_state();
    let rows = screen(&s, &Theme::color(), 120, 40);
    for t in AlertType::ALL {
        let expected = if *t == AlertType::OffMarket { "3" } else { "1" };
        shows(&rows, &format!("{t} "), &[t.as_str(), expected]);
    }
}

#[test]
fn the_filter_label_names_a_new_type() {
    let mut s = every_type_state();
    for _ in 0..5 {
        press(&mut s, 't');
    }
    idle(&mut s);
    assert_eq!(s.alert_type, Some(AlertType::OffMarket));
    let rows = screen(&s, &Theme::color(), 80, 24);
    row_with(&rows, "type:off_market");
}

fn detail_of(alert: crate::domain::Alert) -> State {
    let mut s = loaded(vec![alert.clone()]);
    s.detail = Some(Detail {
        alert,
        data: Some(DetailData::default()),
        error: None,
    });
    s
}

#[test]
fn an_off_market_detail_shows_each_book_the_consensus_edge_and_pattern() {
    let s = detail_of(off_market(6, 3, Some(Pattern::Swapped)));
    for (w, h) in [(80, 24), (120, 40)] {
        let rows = screen(&s, &Theme::color(), w, h);
        shows(&rows, "alert 6", &["CRIT", "alert 6 · off_market"]);
        shows(&rows, "Our price", &["Our price", "4.00 · edge +91.55%"]);
        shows(
            &rows,
            "Fair odds",
            &["Fair odds", "2.09 consensus of 2 books"],
        );
        shows(&rows, "Pattern", &["Pattern", "swapped: a palpable error"]);
        shows(&rows, "Books", &["Books", "bet9ja", "2.00 fair 2.09"]);
        shows(&rows, "sportybet", &["sportybet", "2.00 fair 2.09"]);
        // Still room for when and who.
        row_with(&rows, "Detected");
        row_with(&rows, "Status");
    }
    let plain = detail_of(off_market(5, 4, None));
    let rows = screen(&plain, &Theme::color(), 80, 24);
    shows(&rows, "Our price", &["2.30 · edge +10.14%"]);
    assert!(!rows.iter().any(|r| r.contains("Pattern")));
}

#[test]
fn a_market_move_detail_shows_the_direction_median_home_and_each_mover() {
    let s = detail_of(market_move(4, 5));
    for (w, h) in [(80, 24), (120, 40)] {
        let rows = screen(&s, &Theme::color(), w, h);
        shows(&rows, "alert 4", &["WARN", "alert 4 · market_move"]);
        shows(&rows, "Move", &["Move", "↓ down, median -9.00%"]);
        shows(&rows, "Home", &["Home", "2.00 → 2.00 +0.00%"]);
        shows(&rows, "Movers", &["Movers", "bet9ja", "2.00 → 1.84 -8.00%"]);
        shows(&rows, "sportybet", &["sportybet", "2.00 → 1.80 -10.00%"]);
        row_with(&rows, "Status");
    }
}

#[test]
fn a_margin_detail_shows_the_prices_and_the_margin() {
    let s = detail_of(margin(8, 1));
    for (w, h) in [(80, 24), (120, 40)] {
        let rows = screen(&s, &Theme::color(), w, h);
        shows(&rows, "alert 8", &["CRIT", "alert 8 · margin"]);
        shows(&rows, "Line/Outc.", &["- / -"]);
        shows(
            &rows,
            "Margin",
            &["Margin", "-2.81% (an arbitrage on our book)"],
        );
        shows(&rows, "1 2.50", &["Prices", "1 2.50 X 3.40 2 3.60"]);
        row_with(&rows, "Status");
    }
}

#[test]
fn the_new_types_in_monochrome_draw_no_colour() {
    let mut s = every_type_state();
    s.detail = Some(Detail {
        alert: off_market(7, 2, Some(Pattern::Factor)),
        data: Some(DetailData::default()),
        error: None,
    });
    for state in [every_type_state(), s] {
        let terminal = render(&state, &Theme::mono(), 120, 40);
        for cell in terminal.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset, "mono drew a foreground colour");
            assert_eq!(cell.bg, Color::Reset, "mono drew a background colour");
        }
    }
    // The severity of a palp reads without colour.
    let rows = screen(&every_type_state(), &Theme::mono(), 80, 24);
    shows(&rows, "20.000 edge", &["CRIT"]);
}

#[test]
fn the_grouped_view_says_what_each_new_alert_measured() {
    use crossterm::event::KeyCode;

    use crate::domain::EventGroup;
    use crate::tui::action::Action;
    use crate::tui::update::update;

    let mut s = every_type_state();
    press(&mut s, 'v');
    let seq = s.groups.seq;
    let group = EventGroup {
        event_id: 1,
        event_name: "Arsenal v Chelsea".into(),
        kickoff: now() + chrono::Duration::hours(2),
        alerts: 3,
        worst: crate::domain::Severity::Critical,
    };
    update(
        &mut s,
        Action::GroupsLoaded {
            seq,
            result: Ok(vec![group]),
        },
    );
    update(&mut s, key(KeyCode::Enter));
    let alerts = vec![margin(8, 1), off_market(5, 4, None), market_move(4, 5)];
    update(
        &mut s,
        Action::GroupAlertsLoaded {
            event_id: 1,
            result: Ok(alerts),
        },
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let rows = screen(&s, &Theme::color(), w, h);
        shows(
            &rows,
            "-2.81%",
            &["1X2", "betpawa", "margin", "-2.81%", "1 2.50"],
        );
        shows(
            &rows,
            "2.30 edge",
            &["1X2", "1", "betpawa", "2.30 edge", "+10.14%"],
        );
        shows(&rows, "2.00 mkt", &["2.00 mkt", "↓9.00%", "moved: bet9ja"]);
    }
}
