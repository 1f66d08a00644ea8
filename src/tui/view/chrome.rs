//! Header, status tabs and footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use crate::health::{HealthLevel, PipelineState};
use crate::tui::keymap::Command;
use crate::tui::state::{Overlay, State, Tab};
use crate::tui::theme::{Theme, severity_label};

/// Two lines: where the data comes from and what the pipeline does; per-book health.
pub fn header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    // The pipeline's state comes before the database URL, which is the first thing to be cut
    // on a narrow screen.
    let mut first = vec![Span::styled(" oddswatch ", theme.title)];
    let mut books = vec![Span::styled(" books: ", theme.muted)];
    match &state.pipeline {
        None => {
            first.push(Span::styled("attached", theme.accent));
            books.push(Span::styled(
                "health is shown where the pipeline runs",
                theme.muted,
            ));
        }
        Some(p) => {
            let state_style = match p.state {
                PipelineState::Running => theme.info,
                PipelineState::Paused => theme.badge,
                _ => theme.accent,
            };
            first.push(Span::styled(p.state.as_str(), state_style));
            if let Some(at) = p.last_cycle_at {
                let took = p
                    .last_cycle_ms
                    .map_or_else(String::new, |ms| format!(" in {:.1}s", ms as f64 / 1000.0));
                first.push(Span::styled(
                    format!("  cycle {}{took}", at.format("%H:%M:%S")),
                    theme.muted,
                ));
            }
            if let Some(next) = p.next_cycle_at
                && p.state == PipelineState::Running
            {
                first.push(Span::styled(
                    format!("  next {}", format::seconds_until(state.now, next)),
                    theme.muted,
                ));
            }
            if p.overran {
                first.push(Span::styled(" overran ", theme.badge));
            }
            if p.books.is_empty() {
                books.push(Span::styled("no cycle yet", theme.muted));
            }
            for (i, b) in p.books.iter().enumerate() {
                if i > 0 {
                    books.push(Span::styled(" · ", theme.muted));
                }
                books.push(Span::raw(format!("{} ", b.book)));
                books.push(Span::styled(b.level.as_str(), theme.health(b.level)));
            }
            if p.books.iter().any(|b| b.last_error.is_some()) {
                let key = state.keymap.keys_for(Command::BookHealth);
                books.push(Span::styled(format!("  ({key}: errors)"), theme.muted));
            }
        }
    }
    let used: usize = first.iter().map(Span::width).sum();
    // The team line comes before the source too: at 80 columns with a pipeline in the process
    // it takes its short form rather than be cut.
    if let Some((text, style)) = team_line(
        state,
        theme,
        usize::from(area.width).saturating_sub(used + 1),
    ) {
        first.push(Span::raw("  "));
        first.push(Span::styled(text, style));
    }
    let used: usize = first.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used + 2);
    let source = if state.source.chars().count() > room {
        // Keep the backend and the file name; the folder is the first thing to go.
        match state.source.rsplit_once('/') {
            Some((scheme_and_dir, file)) if scheme_and_dir.starts_with("sqlite:") => {
                format!("sqlite:…/{file}")
            }
            _ => state.source.clone(),
        }
    } else {
        state.source.clone()
    };
    first.push(Span::styled(format!("  {source}"), theme.muted));
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(books)]),
        area,
    );
}

/// The team line and its style: `3 scrapers · 16/16 shards`, marked `⚠` and in the down
/// colour when a shard has no live owner or no scraper runs, `team: ?` when the last read
/// failed. When the full text does not fit in `room` columns (its two leading spaces included),
/// the short form: `16/16 shards`, `⚠ 11/16 shards`, `⚠ no scraper`. `None` before the first
/// answer.
fn team_line(state: &State, theme: &Theme, room: usize) -> Option<(String, Style)> {
    let team = &state.team;
    if team.failed {
        return Some(("team: ?".into(), theme.health(HealthLevel::Degraded)));
    }
    let summary = team.summary.as_ref()?;
    let healthy = summary.is_healthy();
    let mark = if healthy { "" } else { "⚠ " };
    let full = format!("{mark}{}", summary.text());
    let text = if full.chars().count() + 2 <= room {
        full
    } else if summary.scrapers == 0 || summary.shards == 0 {
        format!("{mark}no scraper")
    } else {
        format!("{mark}{}/{} shards", summary.owned, summary.shards)
    };
    let style = if healthy {
        theme.muted
    } else {
        theme.health(HealthLevel::Down)
    };
    Some((text, style))
}

/// Status tabs with live counts, then badges (frozen, marks), then the active filters.
pub fn tabs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let narrow = area.width < 100;
    let mut spans = Vec::new();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let count = format::count(tab.count(&state.list.counts));
        let label = match (tab, narrow) {
            (Tab::Acknowledged, true) => "Ack",
            _ => tab.label(),
        };
        let text = format!(" {} {label} {count} ", i + 1);
        let style = if *tab == state.tab {
            theme.selected.patch(theme.accent)
        } else {
            theme.tab
        };
        spans.push(Span::styled(text, style));
    }
    if state.frozen {
        spans.push(Span::raw(" "));
        let waiting = if state.frozen_arrivals == 0 && state.frozen_reload {
            " FROZEN · changes waiting ".to_string()
        } else {
            format!(" FROZEN +{} ", state.frozen_arrivals)
        };
        spans.push(Span::styled(waiting, theme.badge));
    }
    if !state.marks.is_empty() {
        spans.push(Span::styled(
            format!(" ●{} marked", state.marks.len()),
            theme.marked,
        ));
    }
    let silenced = state.list.counts.silenced;
    if silenced > 0 || state.show_silenced {
        let what = if state.show_silenced {
            "shown"
        } else {
            "hidden"
        };
        spans.push(Span::styled(
            format!(" {} silenced {what}", format::count(silenced)),
            theme.muted,
        ));
    }
    if let Some(name) = crate::tui::command::shown_view(state) {
        spans.push(Span::styled(format!(" view:{name}"), theme.accent));
    }
    spans.push(Span::styled(" │", theme.muted));
    let mut filters = vec![format!("sort:{}", state.sort)];
    if let Some(s) = state.severity {
        filters.push(format!("sev:{}", severity_label(s).to_lowercase()));
    }
    if let Some(t) = state.alert_type {
        filters.push(format!("type:{t}"));
    }
    if let Some(b) = &state.book {
        filters.push(format!("book:{b}"));
    }
    if !state.text.is_empty() {
        filters.push(format!("/{}", state.text));
    }
    if let Some((_, name)) = &state.event {
        filters.push(format!("event:{}", format::fit(name, 18)));
    }
    if let Some(text) = &state.event_text {
        filters.push(format!("event~{}", format::fit(text, 18)));
    }
    if state.grouped {
        filters.push("grouped".into());
    }
    spans.push(Span::styled(format!(" {}", filters.join(" ")), theme.muted));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn hint(hints: &mut Vec<(String, &'static str)>, keys: String, what: &'static str) {
    hints.push((keys, what));
}

/// The message of the moment, or the keys that matter in the current mode.
pub fn footer(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(Overlay::TextFilter) = &state.overlay {
        let line = Line::from(vec![
            Span::styled(" filter /", theme.accent),
            Span::raw(state.text.clone()),
            Span::styled("▏", theme.accent),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if let Some(message) = &state.message {
        let style = if message.error {
            theme.error
        } else {
            theme.info
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {}", message.text), style)),
            area,
        );
        return;
    }
    if let Some(screen) = &state.market {
        return super::market::footer(frame, area, state, screen, theme);
    }
    let keys = |c| state.keymap.keys_for(c);
    let mut spans: Vec<(String, &'static str)> = Vec::new();
    // One key per command keeps the footer short; help lists them all.
    let first = |c| state.keymap.first_key(c);
    let move_keys = format!("{}/{}", first(Command::Down), first(Command::Up));
    if state.detail.is_some() {
        hint(&mut spans, move_keys, "next/prev");
        hint(&mut spans, keys(Command::Back), "close");
        hint(&mut spans, keys(Command::Acknowledge), "ack");
        hint(&mut spans, keys(Command::Unacknowledge), "unack");
    } else if state.grouped {
        hint(&mut spans, move_keys, "move");
        hint(&mut spans, keys(Command::Detail), "expand/detail");
        hint(&mut spans, keys(Command::Group), "flat");
        hint(&mut spans, keys(Command::Acknowledge), "ack");
    } else {
        hint(&mut spans, move_keys, "move");
        hint(&mut spans, keys(Command::Detail), "detail");
        hint(&mut spans, keys(Command::Acknowledge), "ack");
        hint(&mut spans, keys(Command::Mark), "mark");
        if !state.marks.is_empty() {
            hint(&mut spans, keys(Command::AcknowledgeMarked), "ack marked");
        }
        hint(&mut spans, keys(Command::Silence), "silence");
        hint(&mut spans, keys(Command::TextFilter), "filter");
    }
    // Help and quit always show; the mode's hints fill what room is left, in order.
    let last = [
        (first(Command::Help), "help"),
        (first(Command::Quit), "quit"),
    ];
    let width = |(k, w): &(String, &str)| k.chars().count() + w.chars().count() + 3;
    let mut room =
        usize::from(area.width).saturating_sub(1 + last.iter().map(width).sum::<usize>());
    let mut shown = Vec::new();
    for h in spans {
        if width(&h) > room {
            break;
        }
        room -= width(&h);
        shown.push(h);
    }
    shown.extend(last);
    let mut line = vec![Span::raw(" ")];
    for (keys, what) in shown {
        line.push(Span::styled(keys, theme.accent));
        line.push(Span::styled(format!(" {what}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(line)).style(Style::new()), area);
}
