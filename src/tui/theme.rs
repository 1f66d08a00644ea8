//! Semantic colour roles. Views ask for a meaning (critical, price up, selected row), never for
//! a colour, so the monochrome theme is a second table of the same roles. In monochrome,
//! severity stays readable through its text and modifiers (bold, underline), never colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::config::Palette;
use crate::domain::Severity;
use crate::health::HealthLevel;

/// Styles by meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// No colour at all (`NO_COLOR`, `ui.theme = "mono"`).
    pub mono: bool,
    /// Titles, the app name.
    pub title: Style,
    /// Secondary text: labels, hints.
    pub muted: Style,
    /// Emphasis: active tab, keys in hints.
    pub accent: Style,
    /// Inactive tabs.
    pub tab: Style,
    /// The selected row.
    pub selected: Style,
    /// A row that just arrived.
    pub fresh: Style,
    /// A marked row's marker.
    pub marked: Style,
    /// Error messages.
    pub error: Style,
    /// Informational messages.
    pub info: Style,
    /// Prices that went up.
    pub up: Style,
    /// Prices that went down.
    pub down: Style,
    /// Frozen badge and other warnings to the trader.
    pub badge: Style,
    /// Panel borders.
    pub border: Style,
    /// Severity styles: warning, elevated, critical.
    severities: [Style; 3],
    /// Health styles: unknown, ok, degraded, down.
    health: [Style; 4],
}

impl Theme {
    /// The colour theme.
    pub fn color() -> Theme {
        Theme {
            mono: false,
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            muted: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            tab: Style::new(),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            fresh: Style::new()
                .bg(Color::Indexed(22))
                .add_modifier(Modifier::BOLD),
            marked: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            info: Style::new().fg(Color::Green),
            up: Style::new().fg(Color::Green),
            down: Style::new().fg(Color::Red),
            badge: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            severities: [
                Style::new().fg(Color::Yellow),
                Style::new()
                    .fg(Color::LightRed)
                    .add_modifier(Modifier::BOLD),
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
            ],
            health: [
                Style::new().fg(Color::DarkGray),
                Style::new().fg(Color::Green),
                Style::new().fg(Color::Yellow),
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ],
        }
    }

    /// The monochrome theme: modifiers only.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            mono: true,
            title: bold,
            muted: plain,
            accent: bold,
            tab: plain,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            fresh: Style::new().add_modifier(Modifier::ITALIC),
            marked: bold,
            error: bold,
            info: plain,
            up: plain,
            down: plain,
            badge: Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            border: plain,
            severities: [
                plain,
                bold,
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ],
            health: [
                plain,
                plain,
                bold,
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ],
        }
    }

    /// The theme for a monochrome flag.
    pub fn new(mono: bool) -> Theme {
        if mono { Theme::mono() } else { Theme::color() }
    }
}

impl From<Palette> for Theme {
    /// The styles of the palette `ui.theme` comes to.
    fn from(palette: Palette) -> Theme {
        Theme::new(palette == Palette::Mono)
    }
}

impl Theme {
    /// The style of a severity.
    pub fn severity(&self, severity: Severity) -> Style {
        self.severities[usize::from(severity.rank().clamp(1, 3) as u8) - 1]
    }

    /// The style of a book's health.
    pub fn health(&self, level: HealthLevel) -> Style {
        self.health[match level {
            HealthLevel::Unknown => 0,
            HealthLevel::Ok => 1,
            HealthLevel::Degraded => 2,
            HealthLevel::Down => 3,
        }]
    }

    /// The style of a signed change.
    pub fn change(&self, change: f64) -> Style {
        if change > 0.0 {
            self.up
        } else if change < 0.0 {
            self.down
        } else {
            self.muted
        }
    }
}

/// The short text of a severity, always shown beside its colour.
pub const fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "WARN",
        Severity::Elevated => "ELEV",
        Severity::Critical => "CRIT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_palette_picks_the_matching_styles() {
        assert_eq!(Theme::from(Palette::Mono), Theme::mono());
        assert_eq!(Theme::from(Palette::Color), Theme::color());
        assert!(Theme::from(Palette::Mono).mono);
    }
}
