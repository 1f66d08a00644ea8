//! The market screen's chart: the selected outcome's price on every book over the stored
//! history, one line per book in the board's column order, up to now.
//!
//! Prices hold until they change, so each line is drawn as steps (flat, then the jump) and runs
//! on to now at the book's last price. In colour each book has its colour; in monochrome its
//! own marker, and the legend shows that marker before the book's name.

use chrono::{DateTime, Duration, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};

use crate::domain::{MarketBoard, PricePoint};
use crate::tui::market::{ChartPlace, MarketScreen};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Colours of the books' lines, home book first (as the detail pane's chart).
const SERIES: [Color; 5] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::Blue,
];
/// Markers of the books' lines in monochrome, with the glyph the legend shows for each.
const MONO: [(Marker, &str); 4] = [
    (Marker::Braille, "⣿"),
    (Marker::Dot, "•"),
    (Marker::Block, "█"),
    (Marker::Bar, "▄"),
];

/// What the chart is about.
pub struct Selection<'a> {
    /// The board.
    pub board: &'a MarketBoard,
    /// The selected market's index.
    pub market: usize,
    /// The selected outcome's index in it.
    pub outcome: usize,
    /// Where the chart sits (a chart beside the board has a border on its left).
    pub place: ChartPlace,
}

/// One book's line: (seconds before now, price) steps, oldest first.
struct Series {
    book: String,
    points: Vec<(f64, f64)>,
}

/// The books' lines of `outcome`, in the board's column order, each extended to now at its last
/// price while the book still prices the outcome.
fn series(
    history: &[PricePoint],
    selection: &Selection<'_>,
    outcome: &str,
    now: DateTime<Utc>,
) -> Vec<Series> {
    let board = selection.board;
    let row = &board.markets[selection.market].outcomes[selection.outcome];
    let mut out = Vec::new();
    for (b, book) in board.books.iter().enumerate() {
        let mut points: Vec<(f64, f64)> = Vec::new();
        for point in history.iter().filter(|p| p.bookmaker == book.slug) {
            let Some(price) = point.outcomes.iter().find(|o| o.name == outcome) else {
                continue;
            };
            let x = seconds(point.recorded_at - now);
            if let Some(&(_, before)) = points.last()
                && before != price.price
            {
                points.push((x, before));
            }
            points.push((x, price.price));
        }
        let priced_now = row.prices.get(b).copied().flatten().is_some();
        if let Some(&(x, last)) = points.last()
            && priced_now
            && x < 0.0
        {
            points.push((0.0, last));
        }
        if !points.is_empty() {
            out.push(Series {
                book: book.slug.clone(),
                points,
            });
        }
    }
    out
}

fn seconds(d: Duration) -> f64 {
    d.num_seconds().min(0) as f64
}

/// Draws the chart of the selected outcome in `area`.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    screen: &MarketScreen,
    selection: Selection<'_>,
    theme: &Theme,
) {
    let market = &selection.board.markets[selection.market];
    let outcome = &market.outcomes[selection.outcome].outcome;
    let market_name = market.market_name.split('|').next().unwrap_or("").trim();
    let line = market.line.map_or_else(String::new, |l| format!(" {l}"));
    let title = format!(" Price history · {market_name}{line} · {outcome} ");
    let borders = match selection.place {
        ChartPlace::Beside => Borders::LEFT | Borders::TOP,
        _ => Borders::TOP,
    };
    let block = Block::default()
        .borders(borders)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let say = |frame: &mut Frame, text: String, style: Style| {
        frame.render_widget(
            Paragraph::new(Span::styled(text, style))
                .wrap(Wrap { trim: true })
                .block(block.clone()),
            area,
        );
    };
    let history = match (&screen.history, &screen.history_error) {
        (_, Some(e)) => {
            return say(
                frame,
                format!("cannot load the price history: {e}"),
                theme.error,
            );
        }
        (None, None) => return say(frame, "loading the price history…".into(), theme.muted),
        (Some(history), None) => history,
    };
    let lines = series(history, &selection, outcome, state.now);
    if lines.is_empty() {
        return say(
            frame,
            "no price history recorded for this outcome".into(),
            theme.muted,
        );
    }
    if area.height < 6 {
        return say(frame, "too short for the chart".into(), theme.muted);
    }
    let (mut lo, mut hi, mut start) = (f64::MAX, f64::MIN, 0.0_f64);
    for s in &lines {
        for (x, y) in &s.points {
            lo = lo.min(*y);
            hi = hi.max(*y);
            start = start.min(*x);
        }
    }
    let pad = ((hi - lo) * 0.1).max(0.02);
    let (lo, hi) = (lo - pad, hi + pad);
    // Earlier than a minute ago, so a history of one moment still has a width.
    let start = start.min(-60.0);
    let datasets: Vec<Dataset> = lines
        .iter()
        .map(|s| {
            let column = selection
                .board
                .books
                .iter()
                .position(|b| b.slug == s.book)
                .unwrap_or(0);
            let (marker, style, name) = if theme.mono {
                let (marker, glyph) = MONO[column % MONO.len()];
                (marker, Style::new(), format!("{glyph} {}", s.book))
            } else {
                (
                    Marker::Braille,
                    Style::new().fg(SERIES[column % SERIES.len()]),
                    s.book.clone(),
                )
            };
            Dataset::default()
                .name(name)
                .marker(marker)
                .graph_type(GraphType::Line)
                .style(style)
                .data(&s.points)
        })
        .collect();
    let since = state.now + Duration::seconds(start as i64);
    // The y axis is as wide as the first x label: the day only when the history reaches
    // beyond the last day.
    let since = if -start > 20.0 * 3600.0 {
        since.format("%a %H:%M").to_string()
    } else {
        since.format("%H:%M").to_string()
    };
    let chart = Chart::new(datasets)
        // Always show which line is which book.
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)))
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([start, 0.0])
                .labels([since, "now".to_string()])
                .style(theme.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels([
                    format!("{lo:.2}"),
                    format!("{:.2}", (lo + hi) / 2.0),
                    format!("{hi:.2}"),
                ])
                .style(theme.muted),
        );
    frame.render_widget(chart, area);
}
