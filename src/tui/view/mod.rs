//! Drawing: pure functions of the state and the theme. Nothing here changes the state or does
//! I/O, so every screen is snapshot-tested on a `TestBackend`.

mod chrome;
mod command;
mod detail;
pub mod format;
mod market;
mod popup;
mod silences;
mod stats;
mod table;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use super::state::{MIN_SIZE, State};
use super::theme::Theme;

/// The screen's areas for a size.
pub struct Areas {
    /// Backend, pipeline, books.
    pub header: Rect,
    /// Status tabs and active filters.
    pub tabs: Rect,
    /// Stats panel (8 rows on tall screens) or strip (1 row).
    pub stats: Rect,
    /// Table or detail.
    pub body: Rect,
    /// Key hints or message.
    pub footer: Rect,
}

/// Splits the screen. The stats panel collapses to one line below 32 rows.
pub fn areas(area: Rect) -> Areas {
    let stats = if area.height >= 32 { 8 } else { 1 };
    let [header, tabs, stats, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(stats),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        tabs,
        stats,
        body,
        footer,
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "Terminal too small: {}x{}.\noddswatch needs at least {}x{}.\nEnlarge the window, or press q to quit.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        let y = area.height.saturating_sub(3) / 2;
        let centred = Rect::new(
            area.x,
            area.y + y,
            area.width,
            area.height.saturating_sub(y),
        );
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true })
                .style(theme.error),
            centred,
        );
        return;
    }
    let areas = areas(area);
    chrome::header(frame, areas.header, state, theme);
    chrome::tabs(frame, areas.tabs, state, theme);
    stats::draw(frame, areas.stats, state, theme);
    if let Some(screen) = &state.market {
        market::draw(frame, areas.body, state, screen, theme);
    } else if let Some(detail) = &state.detail {
        detail::draw(frame, areas.body, state, detail, theme);
    } else if state.grouped {
        table::grouped(frame, areas.body, state, theme);
    } else {
        table::flat(frame, areas.body, state, theme);
    }
    chrome::footer(frame, areas.footer, state, theme);
    popup::draw(frame, area, state, theme);
    if let Some(super::state::Overlay::CommandLine(line)) = &state.overlay {
        command::draw(frame, area, state, line, theme);
    }
}
