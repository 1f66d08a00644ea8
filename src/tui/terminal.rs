//! The terminal: raw mode and the alternate screen in, and always back out — on quit, on error,
//! on panic (the hook restores before color-eyre's report is printed) and on SIGINT, SIGHUP and
//! SIGTERM (the event loop quits through the normal path).

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal the UI draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is in UI mode (so restoring twice is harmless).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether mouse capture was turned on.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Raw mode, alternate screen, hidden cursor, and mouse capture when asked.
pub fn enter(mouse: bool) -> io::Result<Tui> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut stdout = io::stdout();
    execute!(stdout, EnterAlternateScreen, Hide)?;
    if mouse {
        execute!(stdout, EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Puts the terminal back as it was. Safe to call more than once and from the panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(stdout, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

/// Chains a panic hook that restores the terminal before the previous hook (color-eyre's,
/// installed first in `main`) prints the report on a usable screen.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Rings the terminal bell.
pub fn bell() {
    let mut stdout = io::stdout();
    let _ = stdout.write_all(b"\x07");
    let _ = stdout.flush();
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal (and, through it, of
/// the desktop): it travels in the output stream, so it works over SSH, and inside tmux with
/// `set -g set-clipboard on`.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Puts `text` on the terminal's clipboard (OSC 52).
pub fn copy(text: &str) {
    let mut stdout = io::stdout();
    let _ = stdout.write_all(osc52(text).as_bytes());
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_base64_encoded_to_the_clipboard_selection() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        // Any byte, escapes included, is inside the base64 and cannot end the sequence early.
        let hostile = osc52("a\x07b\x1b]0;pwned\x07");
        assert_eq!(hostile.matches('\x07').count(), 1);
        assert!(hostile.ends_with('\x07'));
    }
}
