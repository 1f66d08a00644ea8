//! The market screen: the event's board and the selected outcome's price history across books.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::tui::market::MarketScreen;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Draws the market screen in `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, screen: &MarketScreen, theme: &Theme) {
    let _ = (frame, area, state, screen, theme);
    todo!("issue 16: market view")
}
