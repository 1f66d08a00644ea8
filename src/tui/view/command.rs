//! The `:` command line and its completions, drawn over the footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::command::CommandLine;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Most rows of candidates drawn above the prompt; the rest are counted ("+12 more").
const MAX_CANDIDATE_ROWS: usize = 3;

/// Draws the command line (in the footer row of `area`) and its completions above it.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, line: &CommandLine, theme: &Theme) {
    let _ = state;
    if area.height < 2 {
        return;
    }
    let footer = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    let mut prompt = vec![
        Span::styled(":", theme.accent),
        Span::raw(line.text.clone()),
        Span::styled("▏", theme.accent),
    ];
    let hints = "  Tab complete · ↑↓ history · Enter run · Esc cancel";
    let used = 2 + line.text.chars().count();
    if used + hints.chars().count() <= usize::from(area.width) {
        prompt.push(Span::styled(hints, theme.muted));
    }
    frame.render_widget(Clear, footer);
    frame.render_widget(Paragraph::new(Line::from(prompt)), footer);

    let mut rows: Vec<Line> = Vec::new();
    if let Some(completing) = &line.completing {
        rows = candidate_rows(
            &completing.candidates,
            completing.index,
            usize::from(area.width),
            theme,
        );
    }
    if let Some(error) = &line.error {
        for text in wrap(error, usize::from(area.width).saturating_sub(2).max(10)) {
            rows.push(Line::from(Span::styled(format!(" {text}"), theme.error)));
        }
    }
    if rows.is_empty() {
        return;
    }
    // A top border sets the list apart from the table rows it covers.
    let height = (rows.len() as u16 + 1).min(area.height - 1);
    let above = Rect::new(area.x, footer.y - height, area.width, height);
    frame.render_widget(Clear, above);
    let title = if line.completing.is_some() {
        " completions · Tab next · Shift-Tab previous "
    } else {
        " command refused: fix it and press Enter "
    };
    frame.render_widget(
        Paragraph::new(rows).block(
            Block::new()
                .borders(Borders::TOP)
                .border_style(theme.border)
                .title(Span::styled(title, theme.muted)),
        ),
        above,
    );
}

/// The candidates laid out in rows of `width`, the current one bracketed (readable without
/// colour) and highlighted. At most [`MAX_CANDIDATE_ROWS`] rows show, those around the current
/// one; the others are counted.
fn candidate_rows<'a>(
    candidates: &'a [String],
    current: usize,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    // Room for the "+N more" count at the end of a row.
    let width = width.saturating_sub(10).max(12);
    let mut layout: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 1;
    for (i, candidate) in candidates.iter().enumerate() {
        let cell = candidate.chars().count() + 3;
        if used + cell > width && used > 1 {
            layout.push(Vec::new());
            used = 1;
        }
        layout.last_mut().expect("a row was pushed above").push(i);
        used += cell;
    }
    let row_of_current = layout
        .iter()
        .position(|r| r.contains(&current))
        .unwrap_or(0);
    let first = (row_of_current + 1).saturating_sub(MAX_CANDIDATE_ROWS);
    let shown = &layout[first..(first + MAX_CANDIDATE_ROWS).min(layout.len())];
    let before: usize = layout[..first].iter().map(Vec::len).sum();
    let after = candidates.len() - before - shown.iter().map(Vec::len).sum::<usize>();
    let mut rows: Vec<Line> = Vec::new();
    for (n, row) in shown.iter().enumerate() {
        let mut spans = vec![Span::raw(" ")];
        for &i in row {
            let candidate = &candidates[i];
            spans.push(if i == current {
                Span::styled(format!("[{candidate}]"), theme.selected.patch(theme.accent))
            } else {
                Span::raw(format!(" {candidate} "))
            });
            spans.push(Span::raw(" "));
        }
        if n == 0 && before > 0 {
            spans.push(Span::styled(format!("{before} before"), theme.muted));
        }
        if n + 1 == shown.len() && after > 0 {
            spans.push(Span::styled(format!("+{after} more"), theme.muted));
        }
        rows.push(Line::from(spans));
    }
    rows
}

/// `text` in lines of at most `width` characters, broken between words (a longer word is cut),
/// so a refusal listing every allowed value shows whole on a narrow screen.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let current = lines.last_mut().expect("one line at least");
        let used = current.chars().count();
        if used > 0 && used + 1 + word.chars().count() > width {
            lines.push(String::new());
        } else if used > 0 {
            current.push(' ');
        }
        let current = lines.last_mut().expect("one line at least");
        current.extend(word.chars().take(width));
    }
    lines
}
