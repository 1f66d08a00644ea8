//! The `:` command line and its completions, drawn over the footer.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::tui::command::CommandLine;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Draws the command line (in the footer row of `area`) and its completions above it.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, line: &CommandLine, theme: &Theme) {
    let _ = (frame, area, state, line, theme);
    todo!("issue 16: command line view")
}
