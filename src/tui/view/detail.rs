//! The detail pane: every field of the alert, its audit trail, the market's prices on every
//! book now, and the price history as a chart (home book against each competitor).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::format;
use crate::domain::PricePoint;
use crate::domain::{Alert, AlertPayload, Occurrence, Percent, Price};
use crate::tui::state::{Detail, State};
use crate::tui::theme::{Theme, severity_label};

/// Colours of the chart's series, home book first (the mono theme uses markers instead).
const SERIES: [Color; 4] = [Color::Cyan, Color::Yellow, Color::Magenta, Color::Green];
const MARKERS: [Marker; 4] = [Marker::Braille, Marker::Dot, Marker::Block, Marker::Bar];

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<11}"), theme.muted),
        Span::raw(value),
    ])
}

fn fields<'a>(a: &'a Alert, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(severity_label(a.severity), theme.severity(a.severity)),
            Span::styled(format!(" alert {} · {}", a.id, a.alert_type()), theme.title),
        ]),
        field("Event", a.event_name.clone(), theme),
        field(
            "Tournament",
            a.tournament.clone().unwrap_or_else(|| "-".into()),
            theme,
        ),
        field(
            "Kickoff",
            format!(
                "{} ({})",
                a.event_kickoff.format("%a %d %b %H:%M"),
                format::countdown(state.now, a.event_kickoff)
            ),
            theme,
        ),
        field("Market", a.market_name.clone(), theme),
        field(
            "Line/Outc.",
            format!(
                "{} / {}",
                Some(format::line(a.line))
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| "-".into()),
                a.outcome_name.as_deref().unwrap_or("-")
            ),
            theme,
        ),
        field("Book", a.bookmaker.clone(), theme),
    ];
    lines.extend(payload_lines(
        a,
        theme,
        format::decimals(format::shown_prices(a)),
    ));
    if let Some(d) = a.payload.disagreement() {
        let detail =
            format::context_in(a, format::decimals(format::shown_prices(a))).unwrap_or_default();
        lines.push(field("Competitor", detail, theme));
        lines.push(field("Gap", format!("{:.2}%", d.gap_pct.as_f64()), theme));
    }
    if let Some(offered) = format::offered(a) {
        lines.push(field("Offered", offered, theme));
    }
    let ago = |at| format::ago(state.now, at);
    lines.push(field(
        "Detected",
        format!(
            "{} ({})",
            a.detected_at.format("%d %b %H:%M:%S"),
            ago(a.detected_at)
        ),
        theme,
    ));
    if a.occurrences > 1 || a.last_detected_at != a.detected_at {
        lines.push(field(
            "Last",
            format!(
                "{} ({}) ×{}",
                a.last_detected_at.format("%H:%M:%S"),
                ago(a.last_detected_at),
                a.occurrences
            ),
            theme,
        ));
    }
    let status = match (&a.acknowledged_by, a.acknowledged_at) {
        (Some(by), Some(at)) => format!("{} by {by} at {}", a.status, at.format("%H:%M")),
        _ => a.status.to_string(),
    };
    let mut status = vec![Span::raw(status)];
    if a.escalated {
        status.push(Span::styled(" · escalated", theme.badge));
    }
    lines.push(spans("Status", status, theme));
    if let Some(silence) = a.silenced_by {
        lines.push(spans(
            "Silenced",
            vec![Span::styled(format!("by silence {silence}"), theme.muted)],
            theme,
        ));
    }
    lines
}

/// One detection as a line: time, severity, prices and change.
fn occurrence_line<'a>(alert: &Alert, o: &Occurrence, decimals: usize, theme: &Theme) -> Line<'a> {
    // The table's formats read an alert; this one carries the detection's own prices.
    let shown = Alert {
        severity: o.severity,
        payload: o.payload.clone(),
        ..alert.clone()
    };
    let figure = format::figure(&shown);
    Line::from(vec![
        Span::raw(format!("{} ", o.detected_at.format("%H:%M:%S"))),
        Span::styled(severity_label(o.severity), theme.severity(o.severity)),
        Span::raw(format!(" {} ", format::old_new_in(&shown, decimals))),
        Span::styled(
            figure,
            shown
                .change_pct()
                .map_or(theme.severity(o.severity), |c| theme.change(c.as_f64())),
        ),
    ])
}

/// A move `2.00 → 1.84 -8.00%` at `decimals` decimals, the change coloured by its sign.
fn moved<'a>(
    (old, new): (Price, Price),
    change: Percent,
    decimals: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let p = |price| format::price_in(price, decimals);
    vec![
        Span::raw(format!("{} → {} ", p(old), p(new))),
        Span::styled(format::change(Some(change)), theme.change(change.as_f64())),
    ]
}

/// A field whose value is several spans; `label` empty continues the field above.
fn spans<'a>(label: &str, value: Vec<Span<'a>>, theme: &Theme) -> Line<'a> {
    let mut all = vec![Span::styled(format!("{label:<11}"), theme.muted)];
    all.extend(value);
    Line::from(all)
}

/// What the alert's type carries: the book's own move for a price move, and for the
/// market-aware types what the market did or what it is worth (DESIGN §9). Every price at
/// `decimals` decimals, so the pane's prices line up.
fn payload_lines<'a>(a: &Alert, theme: &Theme, decimals: usize) -> Vec<Line<'a>> {
    let severity = theme.severity(a.severity);
    let p = |price| format::price_in(price, decimals);
    match &a.payload {
        AlertPayload::MarketMove(m) => {
            let mut lines = vec![
                spans(
                    "Move",
                    vec![Span::styled(
                        format!(
                            "{} {}, median {}",
                            format::arrow(m.direction),
                            m.direction,
                            format::change(Some(m.median_change_pct))
                        ),
                        theme.change(m.median_change_pct.as_f64()),
                    )],
                    theme,
                ),
                spans(
                    "Home",
                    moved((m.home.old, m.home.new), m.home.change_pct, decimals, theme),
                    theme,
                ),
            ];
            for (i, mover) in m.movers.iter().enumerate() {
                let label = if i == 0 { "Movers" } else { "" };
                let mut value = vec![Span::styled(
                    format!("{:<10} ", mover.bookmaker),
                    theme.accent,
                )];
                value.extend(moved(
                    (mover.old, mover.new),
                    mover.change_pct,
                    decimals,
                    theme,
                ));
                lines.push(spans(label, value, theme));
            }
            lines
        }
        AlertPayload::OffMarket(o) => {
            let mut lines = vec![
                spans(
                    "Our price",
                    vec![
                        Span::raw(format!("{} · edge ", p(o.price))),
                        Span::styled(format::change(Some(o.edge_pct)), severity),
                    ],
                    theme,
                ),
                field(
                    "Fair odds",
                    format!("{} consensus of {} books", p(o.fair_odds), o.books.len()),
                    theme,
                ),
            ];
            if let Some(pattern) = o.pattern {
                lines.push(spans(
                    "Pattern",
                    vec![Span::styled(
                        format!("{pattern}: a palpable error"),
                        severity,
                    )],
                    theme,
                ));
            }
            for (i, book) in o.books.iter().enumerate() {
                let label = if i == 0 { "Books" } else { "" };
                lines.push(spans(
                    label,
                    vec![
                        Span::styled(format!("{:<10} ", book.bookmaker), theme.accent),
                        Span::raw(format!("{} fair {}", p(book.price), p(book.fair_odds))),
                    ],
                    theme,
                ));
            }
            lines
        }
        AlertPayload::Margin(m) => {
            let arbitrage = if m.margin_pct.hundredths() < 0 {
                " (an arbitrage on our book)"
            } else {
                ""
            };
            vec![
                spans(
                    "Margin",
                    vec![
                        Span::styled(format::change(Some(m.margin_pct)), severity),
                        Span::raw(arbitrage),
                    ],
                    theme,
                ),
                field("Prices", format::quotes_in(&m.prices, decimals), theme),
            ]
        }
        AlertPayload::PriceChange(_)
        | AlertPayload::DirectionDisagreement(_)
        | AlertPayload::Availability(_) => vec![Line::from(vec![
            Span::styled(format!("{:<11}", "Old → new"), theme.muted),
            Span::raw(format::old_new_in(a, decimals)),
            Span::raw(" "),
            Span::styled(
                format::change(a.change_pct()),
                a.change_pct()
                    .map_or(theme.muted, |c| theme.change(c.as_f64())),
            ),
        ])],
    }
}

fn block<'a>(title: impl Into<std::borrow::Cow<'a, str>>, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title))
}

/// Draws the pane over the body area.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, detail: &Detail, theme: &Theme) {
    let alert = &detail.alert;
    let [left, right] =
        Layout::horizontal([Constraint::Length(44), Constraint::Fill(1)]).areas(area);
    let field_lines = fields(alert, state, theme);
    let field_height = field_lines.len() as u16;
    let [info, below] =
        Layout::vertical([Constraint::Length(field_height), Constraint::Fill(1)]).areas(left);
    frame.render_widget(Paragraph::new(field_lines), info);

    let Some(data) = &detail.data else {
        let text = detail
            .error
            .as_ref()
            .map_or_else(|| "loading…".to_string(), |e| format!("cannot load: {e}"));
        let style = if detail.error.is_some() {
            theme.error
        } else {
            theme.muted
        };
        frame.render_widget(Paragraph::new(Span::styled(text, style)), right);
        return;
    };

    // Detections above the audit trail, the newest kept when they do not all fit.
    let occurrences = &data.occurrences;
    let room = below.height.saturating_sub(2).max(1);
    let wanted = occurrences.len() as u16 + 1;
    let occ_height = if occurrences.len() > 1 {
        wanted.min((room * 2 / 3).max(2))
    } else {
        0
    };
    let [occ_area, audit_area] =
        Layout::vertical([Constraint::Length(occ_height), Constraint::Fill(1)]).areas(below);
    if occ_height > 0 {
        let shown = usize::from(occ_height - 1);
        let visible = &occurrences[occurrences.len().saturating_sub(shown)..];
        let decimals = format::decimals(
            visible
                .iter()
                .flat_map(|o| format::payload_old_new_prices(&o.payload)),
        );
        let lines: Vec<Line> = visible
            .iter()
            .map(|o| occurrence_line(alert, o, decimals, theme))
            .collect();
        let title = if shown < occurrences.len() {
            format!(" Detections ×{} (newest {shown}) ", occurrences.len())
        } else {
            format!(" Detections ×{} ", occurrences.len())
        };
        frame.render_widget(Paragraph::new(lines).block(block(title, theme)), occ_area);
    }

    let audit: Vec<Line> = if data.audit.is_empty() {
        vec![Line::from(Span::styled("no actions yet", theme.muted))]
    } else {
        data.audit
            .iter()
            .map(|e| {
                let comment = e
                    .comment
                    .as_deref()
                    .map_or_else(String::new, |c| format!(" — {c}"));
                Line::from(format!(
                    "{} {} {}{comment}",
                    e.at.format("%d %b %H:%M"),
                    e.actor,
                    e.action
                ))
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(audit)
            .wrap(Wrap { trim: true })
            .block(block(" Audit trail ", theme)),
        audit_area,
    );

    let outcome = alert.outcome_name.clone().or_else(|| {
        data.odds
            .first()
            .and_then(|o| o.outcomes.first())
            .map(|o| o.name.clone())
    });
    let price_lines: Vec<Line> = if data.odds.is_empty() {
        vec![Line::from(Span::styled(
            "no prices recorded for this market yet",
            theme.muted,
        ))]
    } else {
        // One number of decimals for every price in the block (3 when any needs it).
        let decimals = format::decimals(
            data.odds
                .iter()
                .flat_map(|o| &o.outcomes)
                .filter_map(|p| Price::from_f64(p.price)),
        );
        data.odds
            .iter()
            .map(|o| {
                let prices = o
                    .outcomes
                    .iter()
                    .map(|p| {
                        let off = if p.active { "" } else { "(s)" };
                        let price = Price::from_f64(p.price)
                            .map_or_else(|| "-".into(), |v| format::price_in(v, decimals));
                        format!("{} {price}{off}", p.name)
                    })
                    .collect::<Vec<_>>()
                    .join("  ");
                let state_text = if o.available { "" } else { " suspended" };
                let home = if o.is_home { "*" } else { " " };
                Line::from(vec![
                    Span::styled(format!("{home}{:<10}", o.bookmaker), theme.accent),
                    Span::raw(prices),
                    Span::styled(state_text, theme.error),
                ])
            })
            .collect()
    };
    let prices_height = (price_lines.len() as u16 + 1).min(right.height / 2).max(2);
    let [prices_area, chart_area] =
        Layout::vertical([Constraint::Length(prices_height), Constraint::Fill(1)]).areas(right);
    frame.render_widget(
        Paragraph::new(price_lines).block(block(" Prices now (* home) ", theme)),
        prices_area,
    );
    chart(
        frame,
        chart_area,
        &data.history,
        Marks {
            outcome: outcome.as_deref(),
            book: &alert.bookmaker,
            occurrences,
        },
        theme,
    );
}

/// What the chart draws besides the prices: which outcome, and the alert's detections as
/// points on its book's line.
struct Marks<'a> {
    outcome: Option<&'a str>,
    book: &'a str,
    occurrences: &'a [Occurrence],
}

/// The detections as chart points: at their time, at the price they saw (the alerted book's
/// new price, or our price for an edge), else on the book's line as recorded then.
fn detection_points(
    series: &[(String, Vec<(f64, f64)>)],
    start: chrono::DateTime<chrono::Utc>,
    end: f64,
    marks: &Marks<'_>,
) -> Vec<(f64, f64)> {
    let line = series
        .iter()
        .find(|(book, _)| book == marks.book)
        .map(|(_, points)| points.as_slice())
        .unwrap_or_default();
    marks
        .occurrences
        .iter()
        .filter_map(|o| {
            let x = (o.detected_at - start).num_seconds() as f64;
            if !(0.0..=end).contains(&x) {
                return None;
            }
            let seen = match &o.payload {
                AlertPayload::OffMarket(off) => Some(off.price.as_f64()),
                payload => payload.price_move().map(|m| m.new.as_f64()),
            };
            let y = seen.or_else(|| {
                line.iter()
                    .take_while(|(px, _)| *px <= x)
                    .last()
                    .map(|(_, py)| *py)
            })?;
            Some((x, y))
        })
        .collect()
}

/// Series of (seconds since the first point, price) per book for one outcome.
fn series(history: &[PricePoint], outcome: Option<&str>) -> Vec<(String, Vec<(f64, f64)>)> {
    let Some(start) = history.first().map(|p| p.recorded_at) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for point in history {
        let price = point
            .outcomes
            .iter()
            .find(|o| outcome.is_none_or(|name| o.name == name))
            .map(|o| o.price);
        let Some(price) = price else { continue };
        let x = (point.recorded_at - start).num_seconds() as f64;
        match out.iter_mut().find(|(book, _)| *book == point.bookmaker) {
            Some((_, points)) => points.push((x, price)),
            None => out.push((point.bookmaker.clone(), vec![(x, price)])),
        }
    }
    out
}

fn chart(frame: &mut Frame, area: Rect, history: &[PricePoint], marks: Marks<'_>, theme: &Theme) {
    let outcome = marks.outcome;
    let title = format!(" Price history · {} ", outcome.unwrap_or("market"));
    let series = series(history, outcome);
    if series.is_empty() || area.height < 5 {
        frame.render_widget(
            Paragraph::new(Span::styled("no price history recorded", theme.muted))
                .block(block(" Price history ", theme)),
            area,
        );
        return;
    }
    let (mut lo, mut hi, mut end) = (f64::MAX, f64::MIN, 0.0_f64);
    for (_, points) in &series {
        for (x, y) in points {
            lo = lo.min(*y);
            hi = hi.max(*y);
            end = end.max(*x);
        }
    }
    let detections = history.first().map_or_else(Vec::new, |p| {
        detection_points(&series, p.recorded_at, end, &marks)
    });
    for (_, y) in &detections {
        lo = lo.min(*y);
        hi = hi.max(*y);
    }
    let pad = ((hi - lo) * 0.1).max(0.02);
    let (lo, hi) = (lo - pad, hi + pad);
    let mut datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(i, (book, points))| {
            let style = if theme.mono {
                Style::new()
            } else {
                Style::new().fg(SERIES[i % SERIES.len()])
            };
            Dataset::default()
                .name(book.clone())
                .marker(if theme.mono {
                    MARKERS[i % MARKERS.len()]
                } else {
                    Marker::Braille
                })
                .graph_type(GraphType::Line)
                .style(style)
                .data(points)
        })
        .collect();
    if !detections.is_empty() {
        datasets.push(
            Dataset::default()
                .name("detected")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(if theme.mono {
                    Style::new().add_modifier(ratatui::style::Modifier::BOLD)
                } else {
                    Style::new()
                        .fg(Color::Red)
                        .add_modifier(ratatui::style::Modifier::BOLD)
                })
                .data(&detections),
        );
    }
    let start = history.first().map(|p| p.recorded_at);
    let end_at = history.last().map(|p| p.recorded_at);
    let label = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(String::new, |t| t.format("%H:%M").to_string())
    };
    let chart = Chart::new(datasets)
        // Always show which line is which book.
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)))
        .block(block(title, theme))
        .x_axis(
            Axis::default()
                .bounds([0.0, end.max(1.0)])
                .labels([label(start), label(end_at)])
                .style(theme.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels([format!("{lo:.2}"), format!("{hi:.2}")])
                .style(theme.muted),
        );
    frame.render_widget(chart, area);
}
