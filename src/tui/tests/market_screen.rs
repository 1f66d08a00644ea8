//! The market screen (issue 16): opening it from the table and the detail pane, its keys, stale
//! answers dropped, the history following the selected market, and what it shows at 80x24,
//! 120x40 and in monochrome.

mod board;
mod refresh;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use super::fixtures::*;
use crate::domain::{Alert, Line, MarketBoard, Severity, Status};
use crate::live::Change;
use crate::tui::action::{Action, Effect};
use crate::tui::market::BoardRow;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use board::{board, history, price};

/// The `off_market` alert on event 2's 1X2 "1" (§9's first vector), with other alerts around it.
fn the_alert() -> Alert {
    off_market(5, 4, None)
}

fn table() -> State {
    loaded(vec![
        alert(8, 1, Severity::Warning, Status::New),
        the_alert(),
        alert(4, 9, Severity::Elevated, Status::New),
    ])
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The table with the alert selected and the market screen opened on it: its effects.
fn opened() -> (State, Vec<Effect>) {
    let mut s = table();
    press(&mut s, 'j');
    let effects = press(&mut s, 'm');
    (s, effects)
}

pub(super) fn board_seq(s: &State) -> u64 {
    s.market.as_ref().expect("the market screen is open").seq
}

fn history_seq(s: &State) -> u64 {
    s.market
        .as_ref()
        .expect("the market screen is open")
        .history_seq
}

/// Answers the open screen's board and history requests.
pub(super) fn answered() -> State {
    let (mut s, _) = opened();
    let seq = board_seq(&s);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(board()),
        },
    );
    let seq = history_seq(&s);
    update(
        &mut s,
        Action::MarketHistoryLoaded {
            seq,
            result: Ok(history()),
        },
    );
    s
}

fn history_requests(effects: &[Effect]) -> Vec<(String, Option<Line>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::LoadMarketHistory {
                market_id, line, ..
            } => Some((market_id.clone(), *line)),
            _ => None,
        })
        .collect()
}

#[test]
fn m_on_the_table_opens_the_selected_alerts_event_and_loads_its_board_and_history() {
    let (s, effects) = opened();
    let screen = s.market.as_ref().expect("the market screen is open");
    assert_eq!(screen.event_id, 2);
    assert_eq!(screen.event_name, "Real Madrid v Sevilla");
    assert_eq!(screen.alert.as_ref().map(|a| a.id), Some(5));
    assert!(effects.contains(&Effect::LoadBoard {
        seq: screen.seq,
        event_id: 2
    }));
    assert_eq!(history_requests(&effects), vec![("3743".to_string(), None)]);
}

#[test]
fn m_on_the_detail_pane_opens_its_alert_and_closing_returns_to_the_detail() {
    let mut s = table();
    press(&mut s, 'j');
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.detail.as_ref().map(|d| d.alert.id), Some(5));
    press(&mut s, 'm');
    assert_eq!(
        s.market
            .as_ref()
            .and_then(|m| m.alert.as_ref())
            .map(|a| a.id),
        Some(5)
    );
    update(&mut s, key(KeyCode::Esc));
    assert!(s.market.is_none());
    assert_eq!(
        s.detail.as_ref().map(|d| d.alert.id),
        Some(5),
        "Esc closes the market screen only"
    );
}

#[test]
fn m_with_nothing_selected_says_so_and_opens_nothing() {
    let mut s = loaded(Vec::new());
    let effects = press(&mut s, 'm');
    assert!(s.market.is_none());
    assert!(effects.is_empty());
    let message = s
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(message.contains("no alert selected"), "{message}");
}

#[test]
fn the_board_opens_on_the_alerts_row() {
    let s = answered();
    let screen = s.market.as_ref().unwrap();
    assert_eq!(screen.alert_position(), Some((0, Some(0))));
    assert_eq!(screen.selected_outcome(), Some((0, 0)));
    // An alert on a later market starts there: over 2.5's "Under" is outcome row 9 (after
    // 1X2's three, double chance's three, BTTS's two and over 2.5's "Over").
    let mut under = alert(7, 3, Severity::Warning, Status::New);
    under.event_id = 2;
    under.outcome_name = Some("Under".into());
    let mut s = loaded(vec![under]);
    press(&mut s, 'm');
    let seq = board_seq(&s);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(board()),
        },
    );
    let screen = s.market.as_ref().unwrap();
    assert_eq!(screen.selected_outcome(), Some((3, 1)));
    assert_eq!(screen.selected, 9);
}

#[test]
fn a_margin_alert_highlights_its_market_and_starts_on_its_first_outcome() {
    let mut s = loaded(vec![margin(6, 1)]);
    press(&mut s, 'm');
    let seq = board_seq(&s);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(board()),
        },
    );
    let screen = s.market.as_ref().unwrap();
    assert_eq!(screen.alert_position(), Some((0, None)));
    assert_eq!(screen.selected_outcome(), Some((0, 0)));
}

#[test]
fn an_answer_for_an_earlier_opening_is_dropped() {
    let (mut s, _) = opened();
    let first = board_seq(&s);
    let first_history = history_seq(&s);
    update(&mut s, key(KeyCode::Esc));
    press(&mut s, 'm');
    assert_ne!(board_seq(&s), first);
    update(
        &mut s,
        Action::BoardLoaded {
            seq: first,
            result: Ok(board()),
        },
    );
    update(
        &mut s,
        Action::MarketHistoryLoaded {
            seq: first_history,
            result: Ok(history()),
        },
    );
    let screen = s.market.as_ref().unwrap();
    assert!(screen.board.is_none(), "a stale board was taken");
    assert!(screen.history.is_none(), "a stale history was taken");
    assert!(!s.dirty, "a dropped answer redraws nothing");
}

#[test]
fn moving_to_another_market_requests_its_history_and_within_a_market_does_not() {
    let mut s = answered();
    let within = update(&mut s, key(KeyCode::Char('j')));
    assert!(history_requests(&within).is_empty(), "{within:?}");
    update(&mut s, key(KeyCode::Char('j')));
    let next = update(&mut s, key(KeyCode::Char('j')));
    assert_eq!(history_requests(&next), vec![("4693".to_string(), None)]);
    let screen = s.market.as_ref().unwrap();
    assert!(
        screen.history.is_none(),
        "the last market's lines stay on screen"
    );
    // The answer for 1X2, arriving late, is not drawn as double chance's.
    let stale = screen.history_seq - 1;
    update(
        &mut s,
        Action::MarketHistoryLoaded {
            seq: stale,
            result: Ok(history()),
        },
    );
    assert!(s.market.as_ref().unwrap().history.is_none());
    let bottom = update(&mut s, key(KeyCode::Char('G')));
    assert_eq!(
        history_requests(&bottom),
        vec![("3774".to_string(), Some("-0.5".parse().unwrap()))]
    );
}

#[test]
fn the_selection_stays_visible_while_scrolling_at_80x24() {
    let mut s = answered();
    let rows = s.market.as_ref().unwrap().rows().len();
    let height = 19 - 2; // the body less the title and the column headers
    assert!(rows > height, "the fixture must scroll at 80x24");
    let visible = |s: &State| {
        let screen = s.market.as_ref().unwrap();
        let row = screen.drawn_row(screen.selected);
        (screen.offset..screen.offset + height).contains(&row)
    };
    for _ in 0..20 {
        update(&mut s, key(KeyCode::Char('j')));
        assert!(visible(&s));
    }
    let screen = s.market.as_ref().unwrap();
    assert_eq!(
        screen.selected,
        screen.outcome_count() - 1,
        "j stops at the end"
    );
    update(&mut s, key(KeyCode::Char('g')));
    assert_eq!(s.market.as_ref().unwrap().selected, 0);
    assert_eq!(
        s.market.as_ref().unwrap().offset,
        0,
        "the first market's header shows"
    );
    update(&mut s, key(KeyCode::PageDown));
    assert!(visible(&s));
    assert!(s.market.as_ref().unwrap().selected >= height - 6);
    update(&mut s, key(KeyCode::PageUp));
    assert_eq!(s.market.as_ref().unwrap().selected, 0);
}

#[test]
fn q_closes_the_screen_but_ctrl_c_still_quits() {
    let mut s = answered();
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.market.is_none());
    assert!(!s.quitting, "q on the market screen closes it");
    let mut s = answered();
    let effects = update(&mut s, ctrl('c'));
    assert!(s.quitting);
    assert_eq!(effects, vec![Effect::Quit]);
    let mut s = answered();
    update(&mut s, key(KeyCode::Char('m')));
    assert!(s.market.is_none(), "m again closes it");
}

#[test]
fn keys_the_screen_does_not_use_fall_through_to_the_main_keymap() {
    let mut s = answered();
    update(&mut s, key(KeyCode::Char('?')));
    assert!(matches!(s.overlay, Some(crate::tui::state::Overlay::Help)));
    // `a` acknowledges the alert the screen was opened from (the table's selection).
    let mut s = answered();
    let effects = update(&mut s, key(KeyCode::Char('a')));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::SetStatus { ids, acknowledge: true, .. } if ids == &vec![5])
        ),
        "{effects:?}"
    );
    // Enter would open the detail of a row hidden under the screen: the screen swallows it.
    let mut s = answered();
    update(&mut s, key(KeyCode::Enter));
    assert!(s.detail.is_none());
    assert!(s.market.is_some());
}

#[test]
fn h_shows_the_chart_at_80x24_and_hides_it_on_a_large_screen() {
    use crate::tui::market::ChartPlace;
    let mut s = answered();
    let body = |s: &State| {
        let (w, h) = s.size;
        crate::tui::view::areas(ratatui::layout::Rect::new(0, 0, w, h)).body
    };
    let place = |s: &State| s.market.as_ref().unwrap().geometry(body(s)).place;
    assert_eq!(place(&s), ChartPlace::Hidden);
    update(&mut s, key(KeyCode::Char('h')));
    assert_eq!(place(&s), ChartPlace::Below);
    update(&mut s, Action::Resize(120, 40));
    assert_eq!(
        place(&s),
        ChartPlace::Hidden,
        "h hides where shown by default"
    );
    update(&mut s, key(KeyCode::Char('h')));
    assert_eq!(place(&s), ChartPlace::Beside);
}

#[test]
fn a_change_on_the_event_reloads_the_board_and_keeps_the_selection() {
    let mut s = answered();
    update(&mut s, key(KeyCode::Char('j')));
    let before = board_seq(&s);
    let elsewhere = update(
        &mut s,
        Action::Change(Change::Created(
            vec![alert(8, 0, Severity::Warning, Status::New)].into(),
        )),
    );
    assert!(
        !elsewhere
            .iter()
            .any(|e| matches!(e, Effect::LoadBoard { .. }))
    );
    let mut here = the_alert();
    here.id = 99;
    let effects = update(&mut s, Action::Change(Change::Created(vec![here].into())));
    let seq = board_seq(&s);
    assert_ne!(seq, before);
    assert!(effects.contains(&Effect::LoadBoard { seq, event_id: 2 }));
    assert_eq!(history_requests(&effects), vec![("3743".to_string(), None)]);
    // The new board has a market more at the top: the selection follows "X" of 1X2.
    let mut moved = board();
    let extra = moved.markets[3].clone();
    moved.markets.insert(0, extra);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(moved),
        },
    );
    let screen = s.market.as_ref().unwrap();
    assert_eq!(screen.selected_outcome(), Some((1, 1)));
    assert!(screen.history.is_some(), "the chart stays while it reloads");
}

#[test]
fn a_failed_reload_keeps_the_board_and_says_why() {
    let mut s = answered();
    let effects = update(&mut s, Action::Change(Change::Reload));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadBoard { .. }))
    );
    let seq = board_seq(&s);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Err("database is locked".into()),
        },
    );
    assert!(s.market.as_ref().unwrap().board.is_some());
    let message = s
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(message.contains("database is locked"), "{message}");
}

/// The screen's text, one string per row.
pub(super) fn text(state: &State, theme: &Theme, width: u16, height: u16) -> String {
    format!("{}", render(state, theme, width, height).backend())
}

#[test]
fn loading_error_and_empty_boards_say_what_is_going_on() {
    let (mut s, _) = opened();
    assert!(text(&s, &Theme::color(), 80, 24).contains("Loading the board…"));
    let seq = board_seq(&s);
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Err("no such table: current_odds".into()),
        },
    );
    let screen = text(&s, &Theme::color(), 80, 24);
    assert!(
        screen.contains("cannot load the board: no such table: current_odds"),
        "{screen}"
    );
    let (mut s, _) = opened();
    let seq = board_seq(&s);
    let empty = MarketBoard {
        markets: Vec::new(),
        ..board()
    };
    update(
        &mut s,
        Action::BoardLoaded {
            seq,
            result: Ok(empty),
        },
    );
    let screen = text(&s, &Theme::color(), 80, 24);
    assert!(
        screen.contains("no prices stored for this event yet"),
        "{screen}"
    );
}

/// The board with its chart at 80x24 (after `h`), the selection on the alert's row.
fn with_chart() -> State {
    let mut s = answered();
    update(&mut s, key(KeyCode::Char('h')));
    s
}

#[test]
fn market_screen_snapshots() {
    let s = answered();
    insta::assert_snapshot!(
        "market_80x24",
        render(&s, &Theme::color(), 80, 24).backend()
    );
    insta::assert_snapshot!(
        "market_120x40",
        render(&s, &Theme::color(), 120, 40).backend()
    );
    insta::assert_snapshot!(
        "market_mono_120x40",
        render(&s, &Theme::mono(), 120, 40).backend()
    );
    insta::assert_snapshot!(
        "market_chart_80x24",
        render(&with_chart(), &Theme::mono(), 80, 24).backend()
    );
    let mut bottom = answered();
    update(&mut bottom, key(KeyCode::Char('G')));
    let seq = history_seq(&bottom);
    update(
        &mut bottom,
        Action::MarketHistoryLoaded {
            seq,
            result: Ok(Vec::new()),
        },
    );
    insta::assert_snapshot!(
        "market_scrolled_80x24",
        render(&bottom, &Theme::mono(), 80, 24).backend()
    );
}

#[test]
fn best_prices_are_bold_the_alert_row_is_marked_and_the_selection_reversed() {
    let s = answered();
    for theme in [Theme::color(), Theme::mono()] {
        let terminal = render(&s, &theme, 80, 24);
        let buffer = terminal.backend().buffer();
        let rows: Vec<String> = (0..24)
            .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect())
            .collect();
        let y = rows
            .iter()
            .position(|r| r.starts_with("!  1 "))
            .unwrap_or_else(|| panic!("no alert row:\n{}", rows.join("\n")));
        // The selected row (the alert's) is reversed end to end.
        assert!(buffer[(79, y as u16)].modifier.contains(Modifier::REVERSED));
        // The home price 2.30 is the best of "1": bold, and followed by its `*`.
        let x = rows[y].find("2.30*").expect("2.30 marked best") as u16;
        assert!(buffer[(x, y as u16)].modifier.contains(Modifier::BOLD));
        // bet9ja's suspended "No" reads `s` and is dimmed.
        let no = rows
            .iter()
            .position(|r| r.contains("  No "))
            .expect("the No row");
        let x = rows[no].find("2.10s").expect("a suspended mark") as u16;
        assert!(buffer[(x, no as u16)].modifier.contains(Modifier::DIM));
    }
    if let Some(screen) = &s.market {
        assert_eq!(screen.rows()[0], BoardRow::Market(0));
    }
}

#[test]
fn a_column_with_one_three_decimal_price_shows_every_price_with_three() {
    let mut s = answered();
    let mut board = board();
    // sportybet's "X" of 1X2 at 3.405: its whole column reads in thousandths, the others not.
    if let Some(cell) = &mut board.markets[0].outcomes[1].prices[1] {
        cell.price = price("3.405");
    }
    if let Some(screen) = &mut s.market {
        screen.board = Some(board);
    }
    let screen = text(&s, &Theme::color(), 120, 40);
    let one = screen
        .lines()
        .find(|l| l.starts_with("\"!  1 "))
        .unwrap_or_else(|| panic!("no alert row:\n{screen}"));
    let squeezed = one.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squeezed.contains("2.30* 5m 2.000 12m 2.00 2h05"),
        "{squeezed}"
    );
}
