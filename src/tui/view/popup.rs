//! Popups over the main screen: help (from the live keymap), book health, the bulk
//! confirmation, the comment prompt and the settings screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::format;
use crate::tui::keymap::Command;
use crate::tui::settings::{self, SettingsForm};
use crate::tui::state::{Overlay, State};
use crate::tui::theme::Theme;

/// A centred rectangle of at most `width` x `height` inside `area`.
pub(super) fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

pub(super) fn frame_block<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.accent)
        .title(Span::styled(title, theme.title))
}

/// Draws the open popup, if any.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    match &state.overlay {
        // The command line draws itself over the footer (`view::command`).
        None | Some(Overlay::TextFilter) | Some(Overlay::CommandLine(_)) => {}
        Some(Overlay::Help) => help(frame, area, state, theme),
        Some(Overlay::BookHealth) => book_health(frame, area, state, theme),
        Some(Overlay::ConfirmBulk { ids }) => {
            let rect = centred(area, 52, 5);
            frame.render_widget(Clear, rect);
            let text = vec![
                Line::from(format!("Acknowledge {} visible alert(s)?", ids.len())),
                Line::from(vec![
                    Span::styled("y", theme.accent),
                    Span::raw(" / Enter: acknowledge   "),
                    Span::styled("n", theme.accent),
                    Span::raw(" / Esc: cancel"),
                ]),
            ];
            frame.render_widget(
                Paragraph::new(text).block(frame_block(" Confirm ".into(), theme)),
                rect,
            );
        }
        Some(Overlay::Comment {
            ids,
            acknowledge,
            text,
        }) => {
            let rect = centred(area, 64, 6);
            frame.render_widget(Clear, rect);
            let verb = if *acknowledge {
                "Acknowledge"
            } else {
                "Unacknowledge"
            };
            let what = match ids.as_slice() {
                [one] => format!("alert {one}"),
                many => format!("{} alerts", many.len()),
            };
            let lines = vec![
                Line::from(format!("{verb} {what}. Comment (optional):")),
                Line::from(vec![
                    Span::raw(text.clone()),
                    Span::styled("▏", theme.accent),
                ]),
                Line::from(Span::styled("Enter: confirm   Esc: cancel", theme.muted)),
            ];
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(frame_block(format!(" {verb} "), theme)),
                rect,
            );
        }
        Some(Overlay::Settings(form)) => settings_screen(frame, area, form, theme),
        Some(Overlay::Silence(form)) => super::silences::form(frame, area, form, theme),
        Some(Overlay::Silences(screen)) => {
            super::silences::screen(frame, area, state, screen, theme);
        }
    }
}

fn help(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let entries: Vec<(String, &str)> = state
        .keymap
        .commands()
        .map(|(c, keys)| (keys, c.description()))
        .collect();
    let two_columns = area.width >= 70;
    let rows_needed = if two_columns {
        entries.len().div_ceil(2)
    } else {
        entries.len()
    };
    let width = if two_columns { 78 } else { 50 };
    let note_rows = u16::from(!state.can_pause);
    let rect = centred(area, width, rows_needed as u16 + 2 + note_rows);
    frame.render_widget(Clear, rect);
    let line = |(keys, what): &(String, &str)| {
        Line::from(vec![
            Span::styled(format!("{:>9} ", format::fit(keys, 9)), theme.accent),
            Span::raw(format::fit(what, 27)),
        ])
    };
    // The type legend rides on the bottom border, so it costs no row at 80x24 where the keys
    // fill the overlay; it is generated from `format::TYPE_TAGS`, as the table's column is.
    let block = frame_block(" Keys — from your keymap; any key closes ".into(), theme)
        .title_bottom(Line::from(format!(" {} ", format::type_legend())).centered());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut note = Vec::new();
    if !state.can_pause {
        note.push(Line::from(Span::styled(
            format!(
                "{} works only with the pipeline in this process",
                state.keymap.keys_for(Command::Pause)
            ),
            theme.muted,
        )));
    }
    let [body, foot] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(note.len() as u16)]).areas(inner);
    if two_columns {
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
        let (first, second) = entries.split_at(rows_needed);
        frame.render_widget(
            Paragraph::new(first.iter().map(line).collect::<Vec<_>>()),
            a,
        );
        frame.render_widget(
            Paragraph::new(second.iter().map(line).collect::<Vec<_>>()),
            b,
        );
    } else {
        frame.render_widget(
            Paragraph::new(entries.iter().map(line).collect::<Vec<_>>()),
            body,
        );
    }
    frame.render_widget(Paragraph::new(note), foot);
}

fn book_health(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    match &state.pipeline {
        None => lines.push(Line::from(Span::styled(
            "Attached to a database: book health is known where the pipeline runs.",
            theme.muted,
        ))),
        Some(p) if p.books.is_empty() => {
            lines.push(Line::from(Span::styled(
                "No cycle has finished yet.",
                theme.muted,
            )));
        }
        Some(p) => {
            for b in &p.books {
                // "ok just now", "ok 5m ago", "ok never": never "now ago".
                let last_ok = b
                    .last_success
                    .map_or_else(|| "never".into(), |t| format::ago(state.now, t));
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<12}", b.book), theme.accent),
                    Span::styled(format!("{:<9}", b.level.as_str()), theme.health(b.level)),
                    Span::raw(format!(
                        "ok {last_ok} · {}/{} failed · {} events",
                        b.counts.failures, b.counts.requests, b.counts.events_seen
                    )),
                ]));
                if let Some(e) = &b.last_error {
                    lines.push(Line::from(Span::styled(
                        format!("  last error: {e}"),
                        theme.error,
                    )));
                }
            }
        }
    }
    lines.push(Line::raw(""));
    lines.extend(notify_lines(state, theme));
    // Long lines (errors) wrap: the popup is as tall as the wrapped text.
    let inner = usize::from(area.width.min(90).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let rect = centred(
        area,
        90,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_block(" Book health — any key closes ".into(), theme)),
        rect,
    );
}

/// The notification targets under the books (DESIGN §12): a paused target is shown in the
/// error colour with the command that resumes it.
fn notify_lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled("Notifications", theme.accent))];
    match &state.notify {
        None => lines.push(Line::from(Span::styled("  reading…", theme.muted))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            format!("  cannot read the targets: {e}"),
            theme.error,
        ))),
        Some(Ok(targets)) if targets.is_empty() => lines.push(Line::from(Span::styled(
            "  none configured ([[notify.targets]] in the config)",
            theme.muted,
        ))),
        Some(Ok(targets)) => {
            for t in targets {
                let s = &t.stored;
                let style = match t.state {
                    "paused" => theme.error,
                    "retrying" => theme.health(crate::health::HealthLevel::Degraded),
                    "ok" => theme.health(crate::health::HealthLevel::Ok),
                    _ => theme.muted,
                };
                let delivered = s.last_success_at.map_or_else(
                    || "nothing delivered yet".to_string(),
                    |at| format!("delivered {}", format::ago(state.now, at)),
                );
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<12}", format::fit(&t.name, 12)), theme.accent),
                    Span::styled(format!("{:<9}", t.state), style),
                    Span::raw(format!(
                        "{} waiting · {} sent · {} given up · {delivered}",
                        s.pending, s.delivered, s.expired
                    )),
                ]));
                // Why it is not healthy, and what happens next, on a line of its own.
                let next = match (s.paused_at, s.next_attempt_at) {
                    (Some(_), _) => Some(format!("paused: `oddswatch notify resume {}`", t.name)),
                    (None, Some(n)) if t.stored.consecutive_failures > 0 => {
                        Some(format!("next try at {}", n.format("%H:%M:%S UTC")))
                    }
                    _ => None,
                };
                if let (true, Some(e)) = (t.stored.is_unhealthy(), &s.last_error) {
                    let mut text = format!("    {} failures in a row: {e}", s.consecutive_failures);
                    if let Some(next) = next {
                        text.push_str(&format!(" · {next}"));
                    }
                    lines.push(Line::from(Span::styled(text, style)));
                }
            }
        }
    }
    lines
}

fn settings_screen(frame: &mut Frame, area: Rect, form: &SettingsForm, theme: &Theme) {
    // Room for a validation message of up to four lines (a band rule names three keys) and
    // an editing hint of two.
    let rect = centred(area, 76, form.fields.len() as u16 + 9);
    frame.render_widget(Clear, rect);
    // On a short screen the blank line goes first, then the fields scroll with the selection;
    // the message and hint always keep their room.
    let roomy = usize::from(rect.height) >= form.fields.len() + 9;
    let field_rows = if roomy {
        form.fields.len()
    } else {
        usize::from(rect.height.saturating_sub(8)).max(1)
    };
    let first = (form.selected + 1).saturating_sub(field_rows);
    let mut lines: Vec<Line> = Vec::new();
    for (i, field) in form.fields.iter().enumerate().skip(first).take(field_rows) {
        let selected = i == form.selected;
        let value = match (&form.editing, selected) {
            (Some(text), true) => format!("{text}▏"),
            _ => settings::display(&field.value),
        };
        let marker = if selected { "›" } else { " " };
        let style = if selected {
            theme.selected
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{marker} {:<26}", settings::label(field.key)),
                style,
            ),
            Span::styled(
                format!(" {:<22}", format::fit(&value, 22)),
                style.patch(theme.accent),
            ),
            Span::styled(
                field
                    .saved_by
                    .as_deref()
                    .map_or_else(|| " (config)".to_string(), |by| format!(" {by}")),
                theme.muted,
            ),
        ]));
    }
    if roomy {
        lines.push(Line::from(""));
    }
    match &form.error {
        Some(e) => lines.push(Line::from(Span::styled(e.clone(), theme.error))),
        None if !form.loaded => lines.push(Line::from(Span::styled(
            "reading saved settings…",
            theme.muted,
        ))),
        None => lines.push(Line::from(Span::styled(
            "Saved in the database: every UI and pipeline on it uses them.",
            theme.muted,
        ))),
    }
    // While typing, the hint says what the key accepts, so a refusal is no surprise.
    let hints = match (&form.editing, form.fields.get(form.selected)) {
        (Some(_), Some(field)) => {
            format!("{} · Enter save · Esc cancel", settings::allowed(field.key))
        }
        _ => "j/k move · Enter edit (switches flip) · Esc close".to_string(),
    };
    lines.push(Line::from(Span::styled(hints, theme.muted)));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_block(" Settings ".into(), theme)),
        rect,
    );
}
