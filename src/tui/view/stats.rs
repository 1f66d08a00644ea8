//! The stats panel: counts by severity and type, alerts per minute over the last hour, and the
//! events with most open alerts. On short screens it collapses to one line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::format;
use crate::domain::{AlertType, Severity};
use crate::tui::state::State;
use crate::tui::theme::{Theme, severity_label};

/// The sparkline's title, shortened on purpose to fit `width` columns: whole phrases are
/// dropped from the end (never a word cut mid-way, which read "· pea").
fn spark_title(last_hour: u64, peak: u64, width: usize) -> String {
    let hour = format::count(last_hour);
    let peak = format::count(peak);
    [
        format!(" Alerts/min · 1h: {hour} · peak {peak} "),
        format!(" Alerts/min · 1h: {hour} "),
        format!(" 1h: {hour} · peak {peak} "),
        format!(" 1h: {hour} "),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= width)
    .unwrap_or_default()
}

/// Draws the panel (8 rows) or the strip (1 row).
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(stats) = &state.stats else {
        frame.render_widget(
            Paragraph::new(Span::styled(" stats loading…", theme.muted)),
            area,
        );
        return;
    };
    let by_severity = |s: Severity| {
        stats
            .totals
            .by_severity
            .get(s.as_str())
            .copied()
            .unwrap_or(0)
    };
    let last_hour: u64 = stats.per_minute.iter().sum();
    // The strip agrees with the tabs by construction: both count rows of the same `alerts`
    // table and both leave silenced alerts out (`AlertService::stats` is `SilencedFilter::Hide`;
    // `State::counts_filter` forces `Hide` even while `S` shows them dimmed), so on an
    // unfiltered screen the severities sum to the All tab and `by_status` is each tab. A filter
    // narrows the tabs only: the strip is the whole book. They show the same moment because a
    // change reloads both (stats at once when cheap, see `update::stats::stats_every`); tested in
    // `tui::tests::screen`.
    if area.height < 3 {
        let mut spans = vec![Span::raw(" ")];
        // Under a filter the tabs count its alerts and the strip still the whole book: say so,
        // or "All 50,529" beside "CRIT 460,785" reads as a disagreement.
        if state.is_filtered() {
            spans.push(Span::styled("all alerts: ", theme.muted));
        }
        for s in [Severity::Critical, Severity::Elevated, Severity::Warning] {
            spans.push(Span::styled(severity_label(s), theme.severity(s)));
            spans.push(Span::raw(format!(" {}  ", format::count(by_severity(s)))));
        }
        spans.push(Span::styled(
            format!("│ {}/h ", format::count(last_hour)),
            theme.muted,
        ));
        let used = (spans.iter().map(|s| s.width()).sum::<usize>() as u16).min(area.width);
        // Laid out by hand: the text keeps its full width, the sparkline and the top event
        // share what is left.
        let text = Rect {
            width: used,
            ..area
        };
        let spark_width = (area.width - used).min(30);
        let spark = Rect {
            x: area.x + used,
            width: spark_width,
            ..area
        };
        let rest = Rect {
            x: spark.x + spark_width,
            width: area.width - used - spark_width,
            ..area
        };
        frame.render_widget(Paragraph::new(Line::from(spans)), text);
        frame.render_widget(
            Sparkline::default()
                .data(&stats.per_minute[stats.per_minute.len().saturating_sub(30)..])
                .style(theme.accent),
            spark,
        );
        if let Some(top) = stats.top_events.first() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!(" top: {} ({})", top.event_name, top.alerts),
                    theme.muted,
                )),
                rest,
            );
        }
        return;
    }
    let [left, middle, spark, right] = Layout::horizontal([
        Constraint::Length(18),
        Constraint::Length(33),
        Constraint::Fill(1),
        Constraint::Length(40),
    ])
    .areas(area);
    let severity_title = if state.is_filtered() {
        // The whole panel is the book's; the left title says so in its 18 columns.
        " All alerts "
    } else {
        " Severity "
    };
    let block = |title: &'static str| {
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title))
    };
    let severity_lines: Vec<Line> = [Severity::Critical, Severity::Elevated, Severity::Warning]
        .into_iter()
        .map(|s| {
            Line::from(vec![
                Span::styled(severity_label(s), theme.severity(s)),
                Span::raw(format!(" {:>10}", format::count(by_severity(s)))),
            ])
        })
        .chain(std::iter::once(Line::from(Span::styled(
            format!("all  {:>10}", format::count(stats.totals.total)),
            theme.muted,
        ))))
        .collect();
    frame.render_widget(
        Paragraph::new(severity_lines).block(block(severity_title)),
        left,
    );
    let type_lines: Vec<Line> = AlertType::ALL
        .iter()
        .map(|t| {
            let n = stats.totals.by_type.get(t.as_str()).copied().unwrap_or(0);
            Line::from(format!("{:<22} {:>9}", t.as_str(), format::count(n)))
        })
        .collect();
    frame.render_widget(Paragraph::new(type_lines).block(block(" Type ")), middle);
    let peak = stats.per_minute.iter().copied().max().unwrap_or(0);
    let title = spark_title(last_hour, peak, usize::from(spark.width));
    let spark_block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = spark_block.inner(spark);
    frame.render_widget(spark_block, spark);
    let shown = usize::from(inner.width).min(stats.per_minute.len());
    frame.render_widget(
        Sparkline::default()
            .data(&stats.per_minute[stats.per_minute.len() - shown..])
            .style(theme.accent),
        inner,
    );
    let top_lines: Vec<Line> = stats
        .top_events
        .iter()
        .map(|g| {
            Line::from(vec![
                Span::styled(severity_label(g.worst), theme.severity(g.worst)),
                Span::raw(format!(
                    " {:<28} {:>5}",
                    format::fit(&g.event_name, 28),
                    g.alerts
                )),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(top_lines).block(block(" Top events (new alerts) ")),
        right,
    );
}

#[cfg(test)]
mod tests {
    use super::spark_title;

    #[test]
    fn the_sparkline_title_drops_whole_phrases_to_fit() {
        assert_eq!(spark_title(352, 9, 40), " Alerts/min · 1h: 352 · peak 9 ");
        // 29 columns, the width of the panel at 120x40: today's title was cut to "· peak ".
        assert_eq!(spark_title(352, 9, 29), " Alerts/min · 1h: 352 ");
        assert_eq!(spark_title(1_234_567, 9, 20), " 1h: 1,234,567 ");
        assert_eq!(spark_title(352, 9, 3), "");
        for width in 0..60 {
            let title = spark_title(352, 12, width);
            assert!(title.chars().count() <= width, "{title:?} in {width}");
            assert!(!title.contains("pea ") && !title.ends_with("pea"));
        }
    }
}
