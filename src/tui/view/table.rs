//! The alerts table (flat) and the grouped-by-event view. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::format;
use crate::domain::{Alert, AlertPayload, Status};
use crate::tui::keymap::Command;
use crate::tui::state::{GroupRow, State, Tab};
use crate::tui::theme::{Theme, severity_label};

/// Whether the table has room for the competitor and status columns.
fn wide(area: Rect) -> bool {
    area.width >= 110
}

/// Whether the line also gets its own column and the market its full name.
fn very_wide(area: Rect) -> bool {
    area.width >= 150
}

fn status_text(alert: &Alert, wide: bool) -> &'static str {
    if alert.silenced_by.is_some() {
        return if wide { "sil" } else { "S" };
    }
    match (alert.status, wide) {
        (Status::New, true) => "new",
        (Status::Acknowledged, true) => "ack",
        (Status::Past, true) => "past",
        (Status::New, false) => "N",
        (Status::Acknowledged, false) => "A",
        (Status::Past, false) => "P",
    }
}

fn empty_text(state: &State) -> String {
    if !state.list.loaded {
        return "Loading alerts…".into();
    }
    if state.is_filtered() {
        let esc = state.keymap.keys_for(Command::Back);
        return format!("No alerts match these filters ({esc} clears them).");
    }
    if state.list.counts.total_of(&[]) == 0 {
        return "No alerts yet. They appear here live as the pipeline detects them\n(fill a database for a demo with `oddswatch demo-data`).".into();
    }
    match state.tab {
        Tab::New => "No new alerts: everything is acknowledged.".into(),
        _ => format!("No {} alerts.", state.tab.label().to_lowercase()),
    }
}

/// The Δ% column's style: a move is coloured by its sign, as everywhere; an edge or a margin
/// is a risk to us whatever its sign, so it takes the alert's severity style.
fn figure_style(alert: &Alert, theme: &Theme) -> Style {
    match &alert.payload {
        AlertPayload::OffMarket(_) | AlertPayload::Margin(_) => theme.severity(alert.severity),
        AlertPayload::MarketMove(m) => theme.change(m.median_change_pct.as_f64()),
        _ => alert
            .change_pct()
            .map_or(theme.muted, |c| theme.change(c.as_f64())),
    }
}

/// What the visible rows share, so every cell of a column is formatted alike.
/// The narrow tables' market: its short name and line (`O/U 2.5`).
fn short_market(alert: &Alert) -> String {
    format!(
        "{} {}",
        format::market_short(alert),
        format::line(alert.line)
    )
    .trim()
    .to_string()
}

struct Columns {
    /// Decimals of the Old→New column (3 when any visible price needs them).
    old_new: usize,
    /// Decimals of the Competitor column.
    context: usize,
    /// Width of the Old→New column.
    old_new_width: u16,
    /// Width of the 80-column competitor compact (`sb 1.90↓`).
    versus_width: u16,
    /// Width of the repeat count: none when no row on screen repeats, so the event gets it.
    repeats_width: u16,
    /// Width of the 80-column market (`AH -1.25`): the widest on screen, so a line is never cut
    /// to a different line (`-1.2`).
    market_width: u16,
}

impl Columns {
    fn of(rows: &[&Alert]) -> Self {
        let old_new = format::decimals(rows.iter().flat_map(|a| format::old_new_prices(a)));
        let context = format::decimals(rows.iter().flat_map(|a| format::context_prices(a)));
        let width = |text: String| text.chars().count() as u16;
        let old_new_width = rows
            .iter()
            .map(|a| width(format::old_new_in(a, old_new)))
            .chain([7])
            .max()
            .unwrap_or(7)
            .min(12);
        let versus_width = rows
            .iter()
            .map(|a| width(format::competitor_compact(a, context)))
            .chain([2])
            .max()
            .unwrap_or(2)
            .min(10);
        let repeats_width = rows
            .iter()
            .map(|a| width(format::repeats(a.occurrences)))
            .max()
            .unwrap_or(0);
        let market_width = rows
            .iter()
            .map(|a| width(short_market(a)))
            .chain([6])
            .max()
            .unwrap_or(6)
            .min(12);
        Self {
            market_width,
            old_new,
            context,
            old_new_width,
            versus_width,
            repeats_width,
        }
    }
}

/// The type cell: the tag (`⇅D`), and at the widest layout its label too.
fn type_cell(alert: &Alert, theme: &Theme, full: bool) -> Cell<'static> {
    let tag = format::type_tag(alert);
    let text = if full {
        format!("{} {}", tag.tag(), tag.label)
    } else {
        tag.tag()
    };
    Cell::from(Span::styled(text, theme.severity(alert.severity)))
}

fn cells(
    alert: &Alert,
    state: &State,
    theme: &Theme,
    layout: (bool, bool),
    columns: &Columns,
) -> Vec<Cell<'static>> {
    let (wide, full) = layout;
    let marker = marker(alert, state);
    let severity = Line::from(vec![
        Span::styled(marker, theme.marked),
        Span::styled(
            severity_label(alert.severity),
            theme.severity(alert.severity),
        ),
    ]);
    let market = if full {
        format::market(alert).to_string()
    } else {
        short_market(alert)
    };
    let figure = format::figure(alert);
    // At 80 columns the header's `Δ%` says what the unit is: the cell keeps one more
    // character for the event name.
    let figure = if wide {
        figure
    } else {
        figure.trim_end_matches('%').to_string()
    };
    let change = Span::styled(figure, figure_style(alert, theme));
    let book = if wide {
        alert.bookmaker.clone()
    } else {
        format::short_book(&alert.bookmaker)
    };
    let mut out = vec![
        Cell::from(severity),
        type_cell(alert, theme, full),
        Cell::from(format::age(state.now, alert.last_detected_at)),
        Cell::from(format::repeats(alert.occurrences)),
        Cell::from(alert.event_name.clone()),
        Cell::from(format::countdown(state.now, alert.event_kickoff)),
        Cell::from(market),
    ];
    if full {
        out.push(Cell::from(format::line(alert.line)));
    }
    out.push(Cell::from(alert.outcome_name.clone().unwrap_or_default()));
    out.push(Cell::from(book));
    out.push(Cell::from(format::old_new_in(alert, columns.old_new)));
    out.push(Cell::from(Line::from(change).alignment(Alignment::Right)));
    if wide {
        // Cut with an ellipsis, so a long list of books does not end mid-word unnoticed.
        let context = format::context_in(alert, columns.context).unwrap_or_default();
        out.push(Cell::from(format::fit(&context, 24)));
    } else {
        out.push(Cell::from(format::competitor_compact(
            alert,
            columns.context,
        )));
    }
    out.push(Cell::from(status_text(alert, wide)));
    out
}

/// The mark before the severity: `●` marked, `↑` escalated or re-opened and still new.
fn marker(alert: &Alert, state: &State) -> &'static str {
    if state.marks.contains(&alert.id) {
        "●"
    } else if alert.escalated && alert.status == Status::New {
        "↑"
    } else {
        " "
    }
}

/// A row's style: just arrived or escalated (highlighted), silenced (dimmed).
fn row_style(alert: &Alert, state: &State, theme: &Theme) -> Style {
    if state.fresh.contains_key(&alert.id) {
        theme.fresh
    } else if alert.silenced_by.is_some() {
        theme.muted
    } else {
        Style::new()
    }
}

fn widths(wide: bool, full: bool, columns: &Columns) -> Vec<Constraint> {
    use Constraint::{Fill, Length};
    let old_new = Length(columns.old_new_width);
    if wide && !full {
        return vec![
            Length(5),
            Length(2),
            Length(4),
            Length(3),
            Fill(1),
            Length(5),
            Length(12),
            Length(8),
            Length(9),
            old_new,
            Length(8),
            Length(24),
            Length(4),
        ];
    }
    if wide {
        vec![
            Length(5),
            Length(11),
            Length(4),
            Length(3),
            Fill(1),
            Length(5),
            Length(14),
            Length(5),
            Length(8),
            Length(9),
            old_new,
            Length(8),
            Length(24),
            Length(4),
        ]
    } else {
        // 80 columns: the type and the competitor take their room from the book (its short
        // name), the Δ% sign (in the header) and the price columns, sized to the rows shown.
        vec![
            Length(5),
            Length(2),
            Length(4),
            Length(columns.repeats_width),
            Fill(1),
            Length(5),
            Length(columns.market_width),
            Length(5),
            Length(2),
            old_new,
            Length(6),
            Length(columns.versus_width),
            Length(1),
        ]
    }
}

fn headers(wide: bool, full: bool) -> Row<'static> {
    let mut names = vec!["Sev", "Ty", "Last", "×", "Event", "KO", "Market"];
    if full {
        names[1] = "Type";
        names.push("Line");
    }
    names.extend(["Outcome", "Book", "Old→New", "Δ%"]);
    names.push(if wide { "Competitor" } else { "vs" });
    names.push(if wide { "St" } else { "" });
    Row::new(names)
}

/// The flat alerts table.
pub fn flat(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let wide = wide(area);
    let full = very_wide(area);
    let rows = &state.list.rows;
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(empty_text(state))
                .alignment(Alignment::Center)
                .style(theme.muted),
            Rect::new(
                area.x,
                area.y + area.height / 3,
                area.width,
                area.height - area.height / 3,
            ),
        );
        return;
    }
    let height = usize::from(area.height.saturating_sub(1)).max(1);
    let selected = state.list.selected.min(rows.len() - 1);
    let offset = state
        .list
        .offset
        .min(selected)
        .max((selected + 1).saturating_sub(height));
    let shown: Vec<&Alert> = rows.iter().skip(offset).take(height).collect();
    let columns = Columns::of(&shown);
    let visible = shown.iter().map(|alert| {
        Row::new(cells(alert, state, theme, (wide, full), &columns))
            .style(row_style(alert, state, theme))
    });
    let table = Table::new(visible, widths(wide, full, &columns))
        .header(headers(wide, full).style(theme.muted))
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut table_state = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The grouped-by-event view: one row per event, the expanded one's alerts beneath it.
pub fn grouped(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let rows = state.group_rows();
    if rows.is_empty() {
        let text = if state.groups.loaded {
            empty_text(state)
        } else {
            "Grouping alerts by event…".into()
        };
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .style(theme.muted),
            Rect::new(
                area.x,
                area.y + area.height / 3,
                area.width,
                area.height - area.height / 3,
            ),
        );
        return;
    }
    let height = usize::from(area.height.saturating_sub(1)).max(1);
    let selected = state.groups.selected.min(rows.len() - 1);
    let offset = state
        .groups
        .offset
        .min(selected)
        .max((selected + 1).saturating_sub(height));
    let expanded = state.groups.expanded.as_ref();
    let visible = rows.iter().skip(offset).take(height).map(|row| match row {
        GroupRow::Group(i) => {
            let g = &state.groups.groups[*i];
            let open = expanded.is_some_and(|(e, _)| *e == g.event_id);
            Row::new(vec![
                Cell::from(Line::from(vec![
                    Span::raw(if open { "▾" } else { "▸" }),
                    Span::styled(severity_label(g.worst), theme.severity(g.worst)),
                ])),
                Cell::from(g.event_name.clone()),
                Cell::from(format::countdown(state.now, g.kickoff)),
                Cell::from(Line::from(format::count(g.alerts)).alignment(Alignment::Right)),
            ])
        }
        GroupRow::Alert(i) => {
            let a = &expanded.expect("alert rows exist only when expanded").1[*i];
            let marker = marker(a, state);
            let parts = [
                format::type_tag(a).tag(),
                format::age(state.now, a.last_detected_at),
                format::repeats(a.occurrences),
                format::market_short(a).to_string(),
                format::line(a.line),
                a.outcome_name.clone().unwrap_or_default(),
                a.bookmaker.clone(),
                format::old_new(a),
                format::figure(a),
                format::context(a).unwrap_or_default(),
            ];
            let what = parts
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            let what = format!("  └ {what}");
            let row = Row::new(vec![
                Cell::from(Line::from(vec![
                    Span::styled(marker, theme.marked),
                    Span::styled(severity_label(a.severity), theme.severity(a.severity)),
                ])),
                Cell::from(what),
                Cell::from(""),
                Cell::from(status_text(a, true)),
            ]);
            row.style(row_style(a, state, theme))
        }
    });
    let widths = [
        Constraint::Length(5),
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(8),
    ];
    let table = Table::new(visible, widths)
        .header(Row::new(vec!["Worst", "Event", "KO", "Alerts"]).style(theme.muted))
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut table_state = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}
