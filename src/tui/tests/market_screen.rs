//! The market screen (issue 16): opening it from the table and the detail pane, its keys, stale
//! answers dropped, the history following the selected market, and what it shows at 80x24,
//! 120x40 and in monochrome.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use super::fixtures::*;
use crate::domain::{
    Alert, BoardBook, BoardMarket, BoardOutcome, BoardPrice, Line, MarketBoard, OutcomePrice,
    Pattern, Percent, Price, PricePoint, Severity, Status,
};
use crate::live::Change;
use crate::tui::action::{Action, Effect};
use crate::tui::market::BoardRow;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;

const BOOKS: [&str; 3] = ["betpawa", "sportybet", "bet9ja"];

fn price(text: &str) -> Price {
    text.parse().expect("a price")
}

fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    now() - Duration::minutes(minutes)
}

/// When each book last changed its prices: the home book 5 minutes ago, sportybet 12, bet9ja
/// two hours and five minutes.
const AGES: [i64; 3] = [5, 12, 125];

/// One outcome row: each book's price (`"s2.30"` is a suspended 2.30, `""` unpriced), the fair
/// odds and the home edge in hundredths; the best active price is marked as the service does.
fn outcome(name: &str, prices: [&str; 3], fair: Option<&str>, edge: Option<i64>) -> BoardOutcome {
    let cells: Vec<Option<BoardPrice>> = prices
        .iter()
        .zip(AGES)
        .map(|(text, age)| {
            if text.is_empty() {
                return None;
            }
            let (active, digits) = match text.strip_prefix('s') {
                Some(rest) => (false, rest),
                None => (true, *text),
            };
            Some(BoardPrice {
                price: price(digits),
                active,
                last_changed: minutes_ago(age),
                best: false,
            })
        })
        .collect();
    let best = cells
        .iter()
        .flatten()
        .filter(|p| p.active)
        .map(|p| p.price)
        .max();
    let prices = cells
        .into_iter()
        .map(|c| {
            c.map(|p| BoardPrice {
                best: p.active && Some(p.price) == best,
                ..p
            })
        })
        .collect();
    BoardOutcome {
        outcome: name.into(),
        prices,
        fair_odds: fair.map(price),
        home_edge: edge.map(Percent::from_hundredths),
        pattern: None,
    }
}

fn market(
    id: &str,
    name: &str,
    line: Option<&str>,
    outcomes: Vec<BoardOutcome>,
    margins: [Option<i64>; 3],
    consensus_books: usize,
) -> BoardMarket {
    BoardMarket {
        market_id: id.into(),
        market_name: name.into(),
        line: line.map(|l| l.parse::<Line>().expect("a line")),
        outcomes,
        margins: margins
            .iter()
            .map(|m| m.map(Percent::from_hundredths))
            .collect(),
        consensus_books,
    }
}

/// Event 2's board (Real Madrid v Sevilla): §9's first vector on 1X2 (home "1" 2.30 against
/// 2.00 on both competitors: fair 2.09, edge +10.14 %), a suspended bet9ja "No" on BTTS (so no
/// bet9ja margin there), a swapped Asian handicap, a line bet9ja does not price, and enough
/// markets to scroll at 80x24.
fn board() -> MarketBoard {
    let mut swapped_home = outcome("1", ["2.600", "1.50", "1.52"], Some("1.53"), Some(6993));
    swapped_home.pattern = Some(Pattern::Swapped);
    let mut swapped_away = outcome("2", ["1.50", "2.60", "2.55"], Some("2.62"), Some(-4275));
    swapped_away.pattern = Some(Pattern::Swapped);
    MarketBoard {
        event_id: 2,
        books: BOOKS
            .iter()
            .map(|slug| BoardBook {
                slug: (*slug).into(),
                is_home: *slug == "betpawa",
            })
            .collect(),
        markets: vec![
            market(
                "3743",
                "1X2 | Full Time",
                None,
                vec![
                    outcome("1", ["2.30", "2.00", "2.00"], Some("2.09"), Some(1014)),
                    outcome("X", ["3.40", "3.40", "3.40"], Some("3.55"), Some(-422)),
                    outcome("2", ["3.40", "4.00", "4.00"], Some("4.18"), Some(-1858)),
                ],
                [Some(230), Some(441), Some(441)],
                2,
            ),
            market(
                "4693",
                "Double Chance | Full Time",
                None,
                vec![
                    outcome("1X", ["1.36", "1.33", "1.35"], Some("1.40"), Some(-286)),
                    outcome("X2", ["1.80", "1.85", "1.83"], Some("1.90"), Some(-526)),
                    outcome("12", ["1.33", "1.30", "1.31"], Some("1.37"), Some(-292)),
                ],
                [Some(1259), Some(1402), Some(1335)],
                2,
            ),
            market(
                "3795",
                "Both Teams To Score | Full Time",
                None,
                vec![
                    outcome("Yes", ["1.70", "1.72", "1.75"], None, None),
                    outcome("No", ["2.05", "2.00", "s2.10"], None, None),
                ],
                [Some(660), Some(814), None],
                1,
            ),
            market(
                "5000",
                "Over/Under | Full Time",
                Some("2.5"),
                vec![
                    outcome("Over", ["1.90", "1.88", "1.87"], Some("1.95"), Some(-256)),
                    outcome("Under", ["1.95", "1.92", "1.93"], Some("2.05"), Some(-488)),
                ],
                [Some(392), Some(528), Some(529)],
                2,
            ),
            market(
                "5000",
                "Over/Under | Full Time",
                Some("3.5"),
                vec![
                    outcome("Over", ["3.10", "3.00", ""], None, None),
                    outcome("Under", ["1.36", "1.38", ""], None, None),
                ],
                [Some(-127), Some(579), None],
                1,
            ),
            market(
                "3774",
                "Asian Handicap | Full Time",
                Some("-0.5"),
                vec![swapped_home, swapped_away],
                [Some(1133), Some(5128), Some(5004)],
                2,
            ),
        ],
    }
}

/// Prices of 1X2 recorded every 30 minutes over the last six hours: the home book drifts up on
/// "1", sportybet and bet9ja come in.
fn history() -> Vec<PricePoint> {
    let mut points = Vec::new();
    for step in 0..12_i32 {
        let at = now() - Duration::minutes(360 - i64::from(step) * 30);
        for (book, one) in [
            ("betpawa", 2.10 + f64::from(step.min(8)) * 0.025),
            ("sportybet", 2.20 - f64::from(step) * 0.02),
            ("bet9ja", 2.15 - f64::from(step / 3) * 0.05),
        ] {
            points.push(PricePoint {
                bookmaker: book.into(),
                recorded_at: at,
                outcomes: ["1", "X", "2"]
                    .iter()
                    .zip([one, 3.40, 4.00])
                    .map(|(name, price)| OutcomePrice {
                        name: (*name).into(),
                        price: (price * 100.0).round() / 100.0,
                        active: true,
                    })
                    .collect(),
            });
        }
    }
    points
}

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

fn board_seq(s: &State) -> u64 {
    s.market.as_ref().expect("the market screen is open").seq
}

fn history_seq(s: &State) -> u64 {
    s.market
        .as_ref()
        .expect("the market screen is open")
        .history_seq
}

/// Answers the open screen's board and history requests.
fn answered() -> State {
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
fn text(state: &State, theme: &Theme, width: u16, height: u16) -> String {
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
