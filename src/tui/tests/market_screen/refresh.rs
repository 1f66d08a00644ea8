//! The market screen's review fixes: colours by the detector's own bands, whole prices of 100
//! and more, and the periodic reload of an open screen.

use chrono::Duration;
use crossterm::event::KeyCode;

use super::super::fixtures::*;
use super::board::{board, price};
use super::{answered, board_seq, text};
use crate::domain::{Percent, Severity};
use crate::tui::action::{Action, Effect};
use crate::tui::market::RELOAD_SECS;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;

fn board_requests(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::LoadBoard { .. }))
        .count()
}

fn tick(s: &mut State, seconds: i64) -> Vec<Effect> {
    let at = s.now + Duration::seconds(seconds);
    update(s, Action::Tick(at))
}

#[test]
fn a_tick_past_the_interval_reloads_the_board_and_its_chart_once() {
    let mut s = answered();
    assert_eq!(board_requests(&tick(&mut s, 1)), 0, "not due yet");
    let effects = tick(&mut s, RELOAD_SECS);
    assert_eq!(board_requests(&effects), 1, "{effects:?}");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadMarketHistory { .. })),
        "the chart's history reloads too: {effects:?}"
    );
    // In flight: no second request however long the answer takes.
    assert_eq!(board_requests(&tick(&mut s, RELOAD_SECS * 3)), 0);
    let seq = board_seq(&s);
    let mut moved = board();
    if let Some(cell) = &mut moved.markets[0].outcomes[0].prices[1] {
        cell.price = price("2.10");
    }
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(moved),
        },
    );
    let screen = text(&s, &Theme::color(), 120, 40);
    assert!(screen.contains(" 2.10 "), "the new price shows:\n{screen}");
    let at = s.now.format("%H:%M:%S").to_string();
    assert!(
        screen.contains(&format!("at {at}")),
        "the header says when the prices were loaded:\n{screen}"
    );
    // Answered: the next reload is due an interval after the last request (long past here).
    assert_eq!(board_requests(&tick(&mut s, 1)), 1);
}

#[test]
fn a_closed_screen_never_reloads() {
    let mut s = answered();
    update(&mut s, key(KeyCode::Esc));
    assert!(s.market.is_none());
    assert_eq!(board_requests(&tick(&mut s, RELOAD_SECS * 2)), 0);
}

/// The row of the screen's text starting with `start`, squeezed to single spaces.
fn row(screen: &str, start: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no row {start}:\n{screen}"));
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn edges_and_margins_show_the_detectors_band_not_the_config_files() {
    let mut s = answered();
    let mut b = board();
    // The config file's bands say +4.00 % is a warning; the board was built with a saved
    // 5 % warning, so the detector raises nothing: no colour, no letter.
    b.markets[0].outcomes[0].home_edge = Some(Percent::from_hundredths(400));
    b.markets[0].outcomes[0].edge_severity = None;
    // A saved 3 % floor: the home 2.30 % margin is a warning though the file says 2 %.
    b.markets[0].margin_severity[0] = Some(Severity::Warning);
    if let Some(screen) = &mut s.market {
        screen.board = Some(b);
    }
    let theme = Theme::color();
    let terminal = render(&s, &theme, 120, 40);
    let buffer = terminal.backend().buffer();
    let rows: Vec<String> = (0..40)
        .map(|y| (0..120).map(|x| buffer[(x, y)].symbol()).collect())
        .collect();
    let one = rows.iter().position(|r| r.starts_with("!  1 ")).unwrap();
    let x = rows[one].find("+4.00%").expect("the edge") as u16;
    assert_ne!(
        buffer[(x, one as u16)].fg,
        theme.severity(Severity::Warning).fg.unwrap(),
        "{}",
        rows[one]
    );
    assert!(
        rows[one].contains("+4.00%  "),
        "no band letter: {}",
        rows[one]
    );
    let header = rows.iter().position(|r| r.starts_with(" 1X2 ")).unwrap();
    let x = rows[header].find("+2.30%").expect("the margin") as u16;
    assert_eq!(
        buffer[(x, header as u16)].fg,
        theme.severity(Severity::Warning).fg.unwrap()
    );
    assert!(rows[header].contains("+2.30% low"), "{}", rows[header]);
    // Monochrome still says the bands in text: the fixture's critical +69.93 % and the
    // arbitrage margin; the swapped "2" below warning has no letter and is not critical.
    let mono = text(&answered(), &Theme::mono(), 120, 40);
    assert!(
        row(&mono, "\"   1  ").contains("+69.93%C swapped"),
        "{mono}"
    );
    assert!(mono.contains("-42.75%  swapped"), "{mono}");
    assert!(row(&mono, "\" O/U 3.5").contains("-1.27% arb"), "{mono}");
    assert!(row(&mono, "\"!  1 ").contains("+10.14%C"), "{mono}");
}

#[test]
fn a_pattern_below_warning_is_not_coloured_critical() {
    let s = answered();
    let theme = Theme::color();
    let terminal = render(&s, &theme, 120, 40);
    let buffer = terminal.backend().buffer();
    let rows: Vec<String> = (0..40)
        .map(|y| (0..120).map(|x| buffer[(x, y)].symbol()).collect())
        .collect();
    let two = rows
        .iter()
        .position(|r| r.starts_with("   2 ") && r.contains("swapped"))
        .expect("the swapped 2 row");
    let x = rows[two].find("swapped").unwrap() as u16;
    assert_ne!(
        buffer[(x, two as u16)].fg,
        theme.severity(Severity::Critical).fg.unwrap()
    );
}

#[test]
fn prices_of_100_and_more_are_whole_in_a_three_decimal_column() {
    let mut s = answered();
    let mut b = board();
    // sportybet's column needs thousandths (3.405) and has 151.000 and 1000.000 too.
    let cells = &mut b.markets[0].outcomes;
    for (o, p) in [(0, "151.000"), (1, "3.405"), (2, "1000.000")] {
        if let Some(cell) = &mut cells[o].prices[1] {
            cell.price = price(p);
        }
    }
    if let Some(screen) = &mut s.market {
        screen.board = Some(b);
    }
    let screen = text(&s, &Theme::color(), 120, 40);
    assert!(row(&screen, "\"!  1 ").contains(" 151.00 "), "{screen}");
    assert!(row(&screen, "\"   X ").contains(" 3.405* "), "{screen}");
    assert!(row(&screen, "\"   2 ").contains(" 1000.0* "), "{screen}");
    assert!(
        !row(&screen, "\"!  1 ").contains('…'),
        "nothing cut:\n{screen}"
    );
}
