//! The silence form (on a row) and the silences screen, as popups. Both fit 80x24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::format;
use super::popup::{centred, frame_block};
use crate::tui::silence::{
    DurationChoice, EditField, FormField, Scope, SilenceForm, SilencesScreen, describe_named,
    ends_text,
};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// A label column entry, with the cursor mark when the field has it.
fn label<'a>(text: &str, active: bool, theme: &Theme) -> Span<'a> {
    let marker = if active { "›" } else { " " };
    let style = if active { theme.accent } else { theme.muted };
    Span::styled(format!("{marker} {text:<8}"), style)
}

/// Choices in a row, the chosen one in brackets (readable without colour).
fn choices<'a>(labels: &[&str], chosen: usize, theme: &Theme) -> Vec<Span<'a>> {
    let mut out = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        if i == chosen {
            out.push(Span::styled(format!("[{l}]"), theme.selected));
        } else {
            out.push(Span::raw(format!(" {l} ")));
        }
        out.push(Span::raw(" "));
    }
    out
}

/// The form that makes a silence from a row.
pub fn form(frame: &mut Frame, area: Rect, form: &SilenceForm, theme: &Theme) {
    let rect = centred(area, 70, 12);
    frame.render_widget(Clear, rect);
    let a = &form.alert;
    let what = [
        a.event_name.clone(),
        format::market(a).to_string(),
        format::line(a.line),
        a.outcome_name.clone().unwrap_or_default(),
        a.bookmaker.clone(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    let scope_i = Scope::ALL
        .iter()
        .position(|s| *s == form.scope)
        .unwrap_or(0);
    let scope_labels: Vec<&str> = Scope::ALL.iter().map(|s| s.label()).collect();
    let dur_i = DurationChoice::ALL
        .iter()
        .position(|d| *d == form.duration)
        .unwrap_or(0);
    let dur_labels: Vec<&str> = DurationChoice::ALL.iter().map(|d| d.label()).collect();
    let mut scope = vec![label("Scope", form.field == FormField::Scope, theme)];
    scope.extend(choices(&scope_labels, scope_i, theme));
    let mut duration = vec![label("For", form.field == FormField::Duration, theme)];
    duration.extend(choices(&dur_labels, dur_i, theme));
    if form.duration == DurationChoice::Custom {
        let cursor = if form.field == FormField::Duration {
            "▏"
        } else {
            ""
        };
        duration.push(Span::styled(
            format!("{}{cursor}", form.custom),
            theme.accent,
        ));
        if form.custom.is_empty() && form.field != FormField::Duration {
            duration.push(Span::styled("45m, 3h…", theme.muted));
        }
    }
    let reason_cursor = if form.field == FormField::Reason {
        "▏"
    } else {
        ""
    };
    let mut lines = vec![
        Line::from(Span::styled(format::fit(&what, 66), theme.title)),
        Line::from(""),
        Line::from(scope),
        Line::from(duration),
        Line::from(vec![
            label("Reason", form.field == FormField::Reason, theme),
            Span::raw(format::fit(&form.reason, 54)),
            Span::styled(reason_cursor, theme.accent),
        ]),
        Line::from(vec![
            Span::styled("  Hides    ", theme.muted),
            Span::raw(format::fit(&form.hides(), 55)),
        ]),
        Line::from(""),
    ];
    match (&form.error, form.sending) {
        (_, true) => lines.push(Line::from(Span::styled("silencing…", theme.muted))),
        (Some(e), false) => lines.push(Line::from(Span::styled(e.clone(), theme.error))),
        (None, false) => lines.push(Line::from("")),
    }
    lines.push(Line::from(Span::styled(
        "Tab/↓ field · ←/→ choose · Enter silence · Esc cancel",
        theme.muted,
    )));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(frame_block(" Silence alerts ".into(), theme)),
        rect,
    );
}

/// The silences screen: active first, ends relative to now, who made each and why.
pub fn screen(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    screen: &SilencesScreen,
    theme: &Theme,
) {
    let rect = centred(area, 78, area.height.saturating_sub(2).max(8));
    frame.render_widget(Clear, rect);
    let inner_rows = usize::from(rect.height.saturating_sub(2));
    // Header, blank, message, hint; and two edit lines while editing.
    let reserved = 4 + if screen.editing.is_some() { 2 } else { 0 };
    let room = inner_rows.saturating_sub(reserved).max(1);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<4} {:<15} {:<29} {:<9} {}",
            "Id", "Ends", "Matches", "By", "Reason"
        ),
        theme.muted,
    ))];
    if !screen.loaded {
        lines.push(Line::from(Span::styled("  loading…", theme.muted)));
    } else if screen.silences.is_empty() {
        let none = if screen.include_ended {
            "  No silences yet."
        } else {
            "  No active silences. Silence a row from the list with its key (see help)."
        };
        lines.push(Line::from(Span::styled(none, theme.muted)));
    }
    // Silences name events by id; the rows on screen know the names of theirs.
    let event_name = |id: i64| {
        state
            .list
            .rows
            .iter()
            .chain(state.groups.expanded.iter().flat_map(|(_, a)| a.iter()))
            .find(|a| a.event_id == id)
            .map(|a| a.event_name.clone())
    };
    let offset = screen.selected.saturating_sub(room.saturating_sub(1));
    for (i, s) in screen.silences.iter().enumerate().skip(offset).take(room) {
        let selected = i == screen.selected;
        let active = s.is_active(state.now);
        let style = match (selected, active) {
            (true, _) => theme.selected,
            (false, true) => Style::new(),
            (false, false) => theme.muted,
        };
        let marker = if selected { "›" } else { " " };
        lines.push(Line::from(Span::styled(
            format!(
                "{marker} {:<4} {:<15} {:<29} {:<9} {}",
                s.id,
                format::fit(&ends_text(s, state.now), 15),
                format::fit(&describe_named(&s.matchers, event_name), 29),
                format::fit(&s.created_by, 9),
                format::fit(&s.reason, 14)
            ),
            style,
        )));
    }
    while lines.len() < room + 1 {
        lines.push(Line::from(""));
    }
    if let Some(editing) = &screen.editing {
        let cursor = |f: EditField| if editing.field == f { "▏" } else { "" };
        lines.push(Line::from(vec![
            label("New end", editing.field == EditField::End, theme),
            Span::styled(
                format!("{}{}", editing.end, cursor(EditField::End)),
                theme.accent,
            ),
            Span::styled(
                "  (45m / 3h from now, kickoff; empty keeps it)",
                theme.muted,
            ),
        ]));
        lines.push(Line::from(vec![
            label("Reason", editing.field == EditField::Reason, theme),
            Span::raw(format::fit(&editing.reason, 60)),
            Span::styled(cursor(EditField::Reason), theme.accent),
        ]));
    }
    lines.push(Line::from(""));
    match (&screen.confirm_expire, &screen.error) {
        (Some(id), _) => lines.push(Line::from(Span::styled(
            format!("Expire silence {id} now? y / Enter: expire · any other key: keep"),
            theme.badge,
        ))),
        (None, Some(e)) => lines.push(Line::from(Span::styled(e.clone(), theme.error))),
        (None, None) => lines.push(Line::from("")),
    }
    let hint = if screen.editing.is_some() {
        "Tab field · Enter save · Esc cancel"
    } else {
        "j/k move · e edit · x expire · Tab ended too · Esc close"
    };
    lines.push(Line::from(Span::styled(hint, theme.muted)));
    let title = if screen.include_ended {
        " Silences — all, active first ".to_string()
    } else {
        " Silences — active ".to_string()
    };
    frame.render_widget(Paragraph::new(lines).block(frame_block(title, theme)), rect);
}
