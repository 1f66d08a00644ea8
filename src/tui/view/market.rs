//! The market screen: the event's board and the selected outcome's price history across books.
//!
//! A title line (event, kickoff, books), the column headers, then each market's header row (its
//! name and line, each book's margin, how many books the fair odds come from) and its outcome
//! rows (each book's price and how long ago it changed, the fair odds, the home book's edge).
//! What colour says is always said in text too, for `NO_COLOR`: `*` after the best price, `s`
//! after a suspended one, `!` before the alert's row, the sign of every edge and margin.

mod chart;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use crate::domain::{BoardMarket, BoardOutcome, BoardPrice, MarketBoard, Percent, Price, Severity};
use crate::tui::keymap::Command;
use crate::tui::market::{BoardRow, CHART_KEY, ChartPlace, Geometry, LABEL_WIDTH, MarketScreen};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Draws the market screen in `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, screen: &MarketScreen, theme: &Theme) {
    let geometry = screen.geometry(area);
    title(frame, geometry.title, state, screen, &geometry, theme);
    let below = Rect {
        y: geometry.title.bottom(),
        height: area.height.saturating_sub(geometry.title.height),
        ..area
    };
    let Some(board) = &screen.board else {
        let (text, style) = match &screen.error {
            Some(e) => (format!(" cannot load the board: {e}"), theme.error),
            None => (" Loading the board…".to_string(), theme.muted),
        };
        frame.render_widget(Paragraph::new(Span::styled(text, style)), below);
        return;
    };
    if board.markets.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " no prices stored for this event yet (the board fills after the next scrape \
                 of its books)",
                theme.muted,
            )),
            below,
        );
        return;
    }
    let columns = Columns::of(board, &geometry, state);
    header(frame, geometry.header, board, screen, &columns, theme);
    let rows = screen.rows();
    let height = usize::from(geometry.rows.height);
    let offset = screen.visible_offset(height);
    let selected = screen.selected_outcome();
    let alert = screen.alert_position();
    for (i, row) in rows.iter().skip(offset).take(height).enumerate() {
        let area = Rect {
            y: geometry.rows.y + i as u16,
            height: 1,
            ..geometry.rows
        };
        let (line, is_selected) = match *row {
            BoardRow::Market(m) => (
                market_line(
                    &board.markets[m],
                    alert == Some((m, None)),
                    screen,
                    &columns,
                    theme,
                ),
                false,
            ),
            BoardRow::Outcome(m, o) => {
                let is_alert = alert == Some((m, Some(o)));
                (
                    outcome_line(board, m, o, is_alert, screen, &columns, theme),
                    selected == Some((m, o)),
                )
            }
        };
        let mut paragraph = Paragraph::new(line);
        if is_selected {
            paragraph = paragraph.style(theme.selected);
        }
        frame.render_widget(paragraph, area);
    }
    if let (Some(chart_area), Some((m, o))) = (geometry.chart, selected) {
        chart::draw(
            frame,
            chart_area,
            state,
            screen,
            chart::Selection {
                board,
                market: m,
                outcome: o,
                place: geometry.place,
            },
            theme,
        );
    }
}

/// The title line: event, tournament, kickoff countdown, the books (home first).
fn title(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    screen: &MarketScreen,
    geometry: &Geometry,
    theme: &Theme,
) {
    let mut spans = vec![Span::styled(format!(" {}", screen.event_name), theme.title)];
    let tournament_at = spans.len();
    if let Some(tournament) = &screen.tournament {
        spans.push(Span::styled(format!(" · {tournament}"), theme.muted));
    }
    let countdown = format::countdown(state.now, screen.kickoff);
    let kickoff = if countdown == "live" {
        " · started".to_string()
    } else {
        format!(" · kickoff in {countdown}")
    };
    spans.push(Span::raw(kickoff));
    if let Some(board) = &screen.board {
        spans.push(Span::styled(" · ", theme.muted));
        for (i, book) in board.books.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(", ", theme.muted));
            }
            if book.is_home {
                spans.push(Span::styled(book.slug.clone(), theme.accent));
                spans.push(Span::styled(" (home)", theme.muted));
            } else {
                spans.push(Span::raw(book.slug.clone()));
            }
        }
        let hidden = board.books.len() - geometry.books;
        if hidden > 0 {
            let plural = if hidden == 1 { "" } else { "s" };
            spans.push(Span::styled(
                format!(" · {hidden} book{plural} off screen: widen the terminal"),
                theme.badge,
            ));
        }
    }
    // The tournament is the first thing to go on a narrow screen: the books matter more.
    let width: usize = spans.iter().map(Span::width).sum();
    if width > usize::from(area.width) && screen.tournament.is_some() {
        spans.remove(tournament_at);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The board's column widths and one price format per column.
struct Columns {
    /// Books drawn.
    books: usize,
    /// Cell width of a book.
    cell: usize,
    /// Cells say the age of their price.
    ages: bool,
    /// Per book column: its prices need three decimals.
    three: Vec<bool>,
    /// The fair odds column needs three decimals.
    fair_three: bool,
    /// Note column width.
    note: usize,
    now: chrono::DateTime<chrono::Utc>,
}

impl Columns {
    fn of(board: &MarketBoard, geometry: &Geometry, state: &State) -> Columns {
        let needs_three = |p: Price| !p.milli().is_multiple_of(10);
        let outcomes = || board.markets.iter().flat_map(|m| m.outcomes.iter());
        let three = (0..board.books.len())
            .map(|b| {
                outcomes().any(|o| {
                    o.prices
                        .get(b)
                        .copied()
                        .flatten()
                        .is_some_and(|p| needs_three(p.price))
                })
            })
            .collect();
        let fair_three = outcomes().any(|o| o.fair_odds.is_some_and(needs_three));
        Columns {
            books: geometry.books,
            cell: usize::from(geometry.cell),
            ages: geometry.ages,
            three,
            fair_three,
            note: usize::from(geometry.note),
            now: state.now,
        }
    }
}

/// The style and the text mark of a home edge: the severity the detector gives it (built with
/// the rules in force, saved settings included, so colour and alerts never disagree); an edge
/// the detector raises nothing on is plain when a bettor has one, muted otherwise. The mark
/// (`W`, `E`, `C`) says the band without colour.
fn edge_look(edge: Percent, outcome: &BoardOutcome, theme: &Theme) -> (Style, &'static str) {
    match outcome.edge_severity {
        Some(severity) => (theme.severity(severity), severity_mark(severity)),
        None if edge.hundredths() > 0 => (Style::new(), " "),
        None => (theme.muted, " "),
    }
}

/// One letter for a severity, beside a figure whose colour says it.
fn severity_mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "W",
        Severity::Elevated => "E",
        Severity::Critical => "C",
    }
}

/// The style of a book's margin and the label that says its band without colour: the band
/// `margin` gives it (critical below zero, an arbitrage: `arb`; warning below the floor:
/// `low`), muted `mgn` otherwise.
fn margin_look(severity: Option<Severity>, theme: &Theme) -> (Style, &'static str) {
    match severity {
        Some(Severity::Critical) => (theme.severity(Severity::Critical), "arb"),
        Some(s) => (theme.severity(s), "low"),
        None => (theme.muted, "mgn"),
    }
}

/// Widest price text a cell holds (`20.000`, `151.00`, `1000.0`).
const PRICE_CHARS: usize = 6;

/// A price with the column's number of decimals, or fewer (rounded half up) when that would
/// not fit the cell: `151.000` in a three-decimal column is `151.00`, never cut.
fn price_text(price: Price, three: bool) -> String {
    let milli = price.milli();
    let mut decimals: u32 = if three { 3 } else { 2 };
    loop {
        let unit = 10_i64.pow(3 - decimals);
        let rounded = (i64::from(milli) + unit / 2) / unit;
        let scale = 10_i64.pow(decimals);
        let (whole, frac) = (rounded / scale, rounded % scale);
        let text = if decimals == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{frac:0w$}", w = decimals as usize)
        };
        if text.chars().count() <= PRICE_CHARS || decimals == 0 {
            return text;
        }
        decimals -= 1;
    }
}

/// A signed percentage with two decimals: `+4.41%`, `-2.81%`.
fn signed(pct: Percent) -> String {
    let sign = if pct.hundredths() < 0 { "" } else { "+" };
    format!("{sign}{pct}%")
}

/// `"1X2 | Full Time"` → `"1X2"`, abbreviated as the narrow alert table does.
fn market_label(market: &BoardMarket) -> String {
    let name = market.market_name.split('|').next().unwrap_or("").trim();
    let short = match name {
        "Over/Under" => "O/U",
        "Asian Handicap" => "AH",
        "Double Chance" => "DC",
        "Both Teams To Score" => "BTTS",
        "3-Way Handicap" => "3W HC",
        "Draw No Bet" => "DNB",
        other => other,
    };
    match market.line {
        Some(line) => format!("{short} {line}"),
        None => short.to_string(),
    }
}

fn pad_right(text: &str, width: usize) -> String {
    format!("{:<width$}", format::fit(text, width))
}

fn pad_left(text: &str, width: usize) -> String {
    format!("{:>width$}", format::fit(text, width))
}

/// The column headers; in the note column, when the prices were loaded (`at 12:03:05`, UTC as
/// every clock of the screen), since the board reloads every few seconds.
fn header(
    frame: &mut Frame,
    area: Rect,
    board: &MarketBoard,
    screen: &MarketScreen,
    columns: &Columns,
    theme: &Theme,
) {
    let label = usize::from(LABEL_WIDTH);
    let mut spans = vec![Span::styled(
        format!(" {}", pad_right("market", label)),
        theme.muted,
    )];
    for book in board.books.iter().take(columns.books) {
        let style = if book.is_home {
            theme.accent.add_modifier(Modifier::UNDERLINED)
        } else {
            theme.accent
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(pad_right(&book.slug, columns.cell), style));
    }
    spans.push(Span::styled(
        format!(" {} {} ", pad_left("fair", 6), pad_left("edge", 7)),
        theme.muted,
    ));
    if let Some(at) = screen.loaded_at
        && columns.note > 0
    {
        let text = format!("at {}", at.format("%H:%M:%S"));
        spans.push(Span::styled(
            format!(" {}", format::fit(&text, columns.note)),
            theme.muted,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The alert marker column: `!` in the alert's severity style on its row.
fn marker<'a>(is_alert: bool, screen: &MarketScreen, theme: &Theme) -> Span<'a> {
    match (&screen.alert, is_alert) {
        (Some(alert), true) => Span::styled("!", theme.severity(alert.severity)),
        _ => Span::raw(" "),
    }
}

/// The alert's type in `width` columns: its wire name when it fits, else the table's tag with
/// its label (`⇅D disagree`), else the tag — never a name cut to `direction_d…`.
fn alert_type_text(alert: &crate::domain::Alert, width: usize) -> String {
    let name = alert.alert_type().to_string();
    if name.chars().count() <= width {
        return name;
    }
    let tag = format::type_tag(alert);
    let labelled = format!("{} {}", tag.tag(), tag.label);
    if labelled.chars().count() <= width {
        labelled
    } else {
        tag.tag()
    }
}

/// The note column of the alert's row: its type, in its severity's style.
fn alert_note<'a>(screen: &MarketScreen, columns: &Columns, theme: &Theme) -> Vec<Span<'a>> {
    match &screen.alert {
        Some(alert) if columns.note > 0 => vec![
            Span::raw(" "),
            Span::styled(
                format::fit(&alert_type_text(alert, columns.note), columns.note),
                theme.severity(alert.severity),
            ),
        ],
        _ => Vec::new(),
    }
}

/// A market's header row: name and line, each book's margin, the books behind the fair odds.
fn market_line<'a>(
    market: &BoardMarket,
    is_alert: bool,
    screen: &MarketScreen,
    columns: &Columns,
    theme: &Theme,
) -> Line<'a> {
    let mut label_style = theme.title;
    if is_alert {
        label_style = label_style.add_modifier(Modifier::UNDERLINED);
    }
    let mut spans = vec![
        marker(is_alert, screen, theme),
        Span::styled(
            pad_right(&market_label(market), usize::from(LABEL_WIDTH)),
            label_style,
        ),
    ];
    for b in 0..columns.books {
        let margin = market.margins.get(b).copied().flatten();
        let priced = market
            .outcomes
            .iter()
            .any(|o| o.prices.get(b).copied().flatten().is_some());
        // The margin's figure sits where the prices sit (decimal points in line), its label
        // where their ages are.
        let (style, band) = margin_look(market.margin_severity.get(b).copied().flatten(), theme);
        let (text, style, label) = match margin {
            Some(m) => (signed(m), style, band),
            None if priced => ("-".to_string(), theme.muted, "mgn"),
            None => (String::new(), theme.muted, ""),
        };
        spans.push(Span::styled(format!(" {}", pad_left(&text, 7)), style));
        if columns.ages {
            // A band's label takes the margin's colour, so it reads as part of the figure.
            let label_style = if label == "mgn" { theme.muted } else { style };
            spans.push(Span::styled(format!(" {label:<4}"), label_style));
        }
    }
    let consensus = match market.consensus_books {
        0 => "no consensus".to_string(),
        1 => "fair: 1 book".to_string(),
        n => format!("fair: {n} books"),
    };
    spans.push(Span::styled(
        format!(" {}", pad_left(&consensus, 14)),
        theme.muted,
    ));
    if is_alert {
        spans.extend(alert_note(screen, columns, theme));
    }
    Line::from(spans)
}

/// One book's cell: the price (its marker `*` best, `s` suspended) and the age of its change.
fn cell<'a>(
    price: Option<BoardPrice>,
    three: bool,
    alerted: bool,
    columns: &Columns,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let Some(p) = price else {
        return vec![Span::raw(format!(" {:<w$}", "", w = columns.cell))];
    };
    let (mark, mut style) = if !p.active {
        ("s", theme.muted.add_modifier(Modifier::DIM))
    } else if p.best {
        ("*", theme.up.add_modifier(Modifier::BOLD))
    } else {
        (" ", Style::new())
    };
    if alerted {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(pad_left(&price_text(p.price, three), 6), style),
        Span::styled(mark, style),
    ];
    if columns.ages {
        spans.push(Span::styled(
            format!(" {:<4}", format::age(columns.now, p.last_changed)),
            theme.muted,
        ));
    }
    spans
}

/// An outcome's row: each book's price, the fair odds, the home book's edge, a note.
fn outcome_line<'a>(
    board: &MarketBoard,
    m: usize,
    o: usize,
    is_alert: bool,
    screen: &MarketScreen,
    columns: &Columns,
    theme: &Theme,
) -> Line<'a> {
    let outcome = &board.markets[m].outcomes[o];
    let label_style = if is_alert {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let mut spans = vec![
        marker(is_alert, screen, theme),
        Span::styled(
            pad_right(&format!("  {}", outcome.outcome), usize::from(LABEL_WIDTH)),
            label_style,
        ),
    ];
    let alerted_book = screen.alert.as_ref().map(|a| a.bookmaker.as_str());
    for (b, book) in board.books.iter().enumerate().take(columns.books) {
        let price = outcome.prices.get(b).copied().flatten();
        let alerted = is_alert && alerted_book == Some(book.slug.as_str());
        spans.extend(cell(price, columns.three[b], alerted, columns, theme));
    }
    let fair = outcome
        .fair_odds
        .map_or_else(|| "-".to_string(), |f| price_text(f, columns.fair_three));
    spans.push(Span::raw(format!(" {}", pad_left(&fair, 6))));
    let (edge, (edge_style, mark)) = match outcome.home_edge {
        Some(edge) => (format::compact_pct(edge), edge_look(edge, outcome, theme)),
        None => ("-".to_string(), (theme.muted, " ")),
    };
    spans.push(Span::raw(" "));
    spans.push(Span::styled(pad_left(&edge, 7), edge_style));
    spans.push(Span::styled(mark, edge_style));
    match outcome.pattern {
        Some(pattern) if columns.note > 0 => {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                format::fit(&pattern.to_string(), columns.note),
                // Critical only when the detector raises it (a pattern below warning raises
                // nothing): the same severity as the edge beside it.
                outcome
                    .edge_severity
                    .map_or(theme.muted, |s| theme.severity(s)),
            ));
        }
        _ if is_alert => spans.extend(alert_note(screen, columns, theme)),
        _ => {}
    }
    Line::from(spans)
}

/// The footer while the market screen is open: the keys it takes, then what its marks mean,
/// as many as fit (the most needed first).
pub fn footer(frame: &mut Frame, area: Rect, state: &State, screen: &MarketScreen, theme: &Theme) {
    let first = |c| state.keymap.first_key(c);
    let shown = screen.geometry(super::areas(frame.area()).body).place != ChartPlace::Hidden;
    let chart = if shown { "hide chart" } else { "chart" };
    // (priority, keys, what): keys in display order, dropped by priority when short of room.
    let hints: Vec<(u8, String, &str)> = vec![
        (
            0,
            format!("{}/{}", first(Command::Down), first(Command::Up)),
            "move",
        ),
        (
            5,
            format!("{}/{}", first(Command::PageDown), first(Command::PageUp)),
            "page",
        ),
        (
            6,
            format!("{}/{}", first(Command::Top), first(Command::Bottom)),
            "ends",
        ),
        (1, CHART_KEY.to_string(), chart),
        (
            0,
            format!("{}/{}", first(Command::Back), first(Command::Quit)),
            "close",
        ),
        (2, first(Command::Help), "help"),
        (3, "*".into(), "best"),
        (3, "s".into(), "suspended"),
        (4, "!".into(), "alert"),
    ];
    let width = |(_, k, w): &(u8, String, &str)| k.chars().count() + w.chars().count() + 3;
    let mut room = usize::from(area.width).saturating_sub(1);
    let mut keep = vec![false; hints.len()];
    for priority in 0..=6 {
        for (i, hint) in hints.iter().enumerate() {
            if hint.0 == priority && width(hint) <= room {
                room -= width(hint);
                keep[i] = true;
            }
        }
    }
    let mut line = vec![Span::raw(" ")];
    for (hint, _) in hints.iter().zip(&keep).filter(|(_, k)| **k) {
        let key_style = if hint.0 >= 3 && hint.0 <= 4 {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            theme.accent
        };
        line.push(Span::styled(hint.1.clone(), key_style));
        line.push(Span::styled(format!(" {}  ", hint.2), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(line)), area);
}

#[cfg(test)]
mod note_tests {
    use super::*;
    use crate::domain::testing::AlertBuilder;

    /// Regression: the alert's row ended `direction_d…` in a 12-column note.
    #[test]
    fn the_alert_type_is_never_cut_mid_word() {
        let alert = AlertBuilder::new()
            .disagreement("sportybet", 2.0, 1.9)
            .stored(1);
        assert_eq!(alert_type_text(&alert, 30), "direction_disagreement");
        assert_eq!(alert_type_text(&alert, 12), "⇅D disagree");
        assert_eq!(alert_type_text(&alert, 4), "⇅D");
    }
}
