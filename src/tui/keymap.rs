//! The bindable commands and the keymap that maps keys to them.
//!
//! The default bindings live in `config.toml` (`[ui.keys]`), so the file documents them and a
//! user overrides one command by name. Help and the footer are generated from the live keymap,
//! so remapped keys show up where the trader looks for them.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A command a key can be bound to in the main screen (list and detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// Move the selection down one row.
    Down,
    /// Move the selection up one row.
    Up,
    /// One screen down.
    PageDown,
    /// One screen up.
    PageUp,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Next status tab.
    NextTab,
    /// The New tab.
    TabNew,
    /// The Acknowledged tab.
    TabAcknowledged,
    /// The Past tab.
    TabPast,
    /// The All tab.
    TabAll,
    /// Cycle the severity filter.
    SeverityFilter,
    /// Cycle the alert type filter.
    TypeFilter,
    /// Cycle the book filter.
    BookFilter,
    /// Edit the free-text filter.
    TextFilter,
    /// Close what is open, else clear the filters.
    Back,
    /// Only the selected alert's event (toggle).
    EventOnly,
    /// Cycle the sort key.
    Sort,
    /// Flat list ⇄ grouped by event.
    Group,
    /// Open the detail of the selected alert (or expand a group).
    Detail,
    /// Acknowledge the selected alert.
    Acknowledge,
    /// Unacknowledge the selected alert (asks for an optional comment).
    Unacknowledge,
    /// Mark or unmark the selected alert.
    Mark,
    /// Acknowledge the marked alerts, or every visible one after a confirmation.
    AcknowledgeMarked,
    /// Freeze the list (rows stop moving) or thaw it.
    Freeze,
    /// Pause or resume scraping (only with a pipeline in this process).
    Pause,
    /// Reload everything.
    Refresh,
    /// Open the settings screen.
    Settings,
    /// Show every book's health in full (last errors).
    BookHealth,
    /// Show the help overlay.
    Help,
    /// Quit.
    Quit,
}

impl Command {
    /// Every command, in help order.
    pub const ALL: &'static [Command] = &[
        Command::Down,
        Command::Up,
        Command::PageDown,
        Command::PageUp,
        Command::Top,
        Command::Bottom,
        Command::NextTab,
        Command::TabNew,
        Command::TabAcknowledged,
        Command::TabPast,
        Command::TabAll,
        Command::SeverityFilter,
        Command::TypeFilter,
        Command::BookFilter,
        Command::TextFilter,
        Command::Back,
        Command::EventOnly,
        Command::Sort,
        Command::Group,
        Command::Detail,
        Command::Acknowledge,
        Command::Unacknowledge,
        Command::Mark,
        Command::AcknowledgeMarked,
        Command::Freeze,
        Command::Pause,
        Command::Refresh,
        Command::Settings,
        Command::BookHealth,
        Command::Help,
        Command::Quit,
    ];

    /// The name used in `[ui.keys]`.
    pub const fn name(self) -> &'static str {
        match self {
            Command::Down => "down",
            Command::Up => "up",
            Command::PageDown => "page_down",
            Command::PageUp => "page_up",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::NextTab => "next_tab",
            Command::TabNew => "tab_new",
            Command::TabAcknowledged => "tab_acknowledged",
            Command::TabPast => "tab_past",
            Command::TabAll => "tab_all",
            Command::SeverityFilter => "severity_filter",
            Command::TypeFilter => "type_filter",
            Command::BookFilter => "book_filter",
            Command::TextFilter => "text_filter",
            Command::Back => "back",
            Command::EventOnly => "event_only",
            Command::Sort => "sort",
            Command::Group => "group",
            Command::Detail => "detail",
            Command::Acknowledge => "acknowledge",
            Command::Unacknowledge => "unacknowledge",
            Command::Mark => "mark",
            Command::AcknowledgeMarked => "acknowledge_marked",
            Command::Freeze => "freeze",
            Command::Pause => "pause",
            Command::Refresh => "refresh",
            Command::Settings => "settings",
            Command::BookHealth => "book_health",
            Command::Help => "help",
            Command::Quit => "quit",
        }
    }

    /// What it does, for the help overlay.
    pub const fn description(self) -> &'static str {
        match self {
            Command::Down => "next alert",
            Command::Up => "previous alert",
            Command::PageDown => "page down",
            Command::PageUp => "page up",
            Command::Top => "first alert",
            Command::Bottom => "last alert",
            Command::NextTab => "next status tab",
            Command::TabNew => "New tab",
            Command::TabAcknowledged => "Acknowledged tab",
            Command::TabPast => "Past tab",
            Command::TabAll => "All tab",
            Command::SeverityFilter => "cycle severity filter",
            Command::TypeFilter => "cycle type filter",
            Command::BookFilter => "cycle book filter",
            Command::TextFilter => "text filter (live)",
            Command::Back => "close / clear filters",
            Command::EventOnly => "this event only",
            Command::Sort => "cycle sort key",
            Command::Group => "flat / grouped by event",
            Command::Detail => "detail / expand group",
            Command::Acknowledge => "acknowledge",
            Command::Unacknowledge => "unacknowledge (comment)",
            Command::Mark => "mark / unmark",
            Command::AcknowledgeMarked => "acknowledge marked / all",
            Command::Freeze => "freeze rows",
            Command::Pause => "pause / resume scraping",
            Command::Refresh => "refresh",
            Command::Settings => "settings",
            Command::BookHealth => "book health (errors)",
            Command::Help => "help",
            Command::Quit => "quit",
        }
    }

    /// The command named `name` in `[ui.keys]`.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// One key with its modifiers, as written in the config (`"j"`, `"G"`, `"ctrl-r"`, `"pgdn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift is part of the character for printable keys).
    pub modifiers: KeyModifiers,
}

/// Named keys accepted in the config, with their display form.
const NAMED_KEYS: &[(&str, KeyCode, &str)] = &[
    ("up", KeyCode::Up, "↑"),
    ("down", KeyCode::Down, "↓"),
    ("left", KeyCode::Left, "←"),
    ("right", KeyCode::Right, "→"),
    ("pgup", KeyCode::PageUp, "PgUp"),
    ("pgdn", KeyCode::PageDown, "PgDn"),
    ("home", KeyCode::Home, "Home"),
    ("end", KeyCode::End, "End"),
    ("enter", KeyCode::Enter, "Enter"),
    ("esc", KeyCode::Esc, "Esc"),
    ("tab", KeyCode::Tab, "Tab"),
    ("backtab", KeyCode::BackTab, "S-Tab"),
    ("space", KeyCode::Char(' '), "Space"),
    ("backspace", KeyCode::Backspace, "Bksp"),
    ("delete", KeyCode::Delete, "Del"),
    ("f1", KeyCode::F(1), "F1"),
];

impl Key {
    /// Parses a key as written in `[ui.keys]`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 2 && lower.starts_with("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 2 && lower.starts_with("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && c != ' ' => KeyCode::Char(c),
            _ => NAMED_KEYS
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(rest))
                .map(|(_, code, _)| *code)
                .ok_or_else(|| {
                    let names: Vec<&str> = NAMED_KEYS.iter().map(|(n, _, _)| *n).collect();
                    format!(
                        "unknown key {text:?}: use one character (\"j\", \"G\", \"?\"), a named key ({}), optionally prefixed by ctrl- or alt-",
                        names.join(", ")
                    )
                })?,
        };
        Ok(Key { code, modifiers })
    }

    /// The key of a terminal key event (Shift folded into printable characters).
    pub fn from_event(event: &KeyEvent) -> Key {
        let mut modifiers = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) if event.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        if matches!(code, KeyCode::BackTab) {
            modifiers = KeyModifiers::NONE;
        }
        Key { code, modifiers }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("C-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("M-")?;
        }
        if let Some((_, _, shown)) = NAMED_KEYS.iter().find(|(_, code, _)| *code == self.code) {
            return f.write_str(shown);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Why a keymap cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    /// `[ui.keys]` names a command that does not exist.
    #[error("ui.keys.{name}: unknown action; valid actions: {valid}")]
    UnknownCommand {
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// A key string that cannot be read.
    #[error("ui.keys.{command}: {message}")]
    BadKey {
        /// The command it was bound to.
        command: String,
        /// What is wrong.
        message: String,
    },
    /// One key bound to two commands.
    #[error("ui.keys: key {key:?} is bound to both {first} and {second}")]
    Conflict {
        /// The key as written.
        key: String,
        /// One command.
        first: String,
        /// The other.
        second: String,
    },
    /// A command left without any key.
    #[error("ui.keys.{command}: needs at least one key")]
    Unbound {
        /// The command.
        command: String,
    },
}

/// Keys to commands, for the main screen. Ctrl-C always quits, whatever the map says.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Command)>,
}

impl Keymap {
    /// Builds the keymap from `[ui.keys]` (command name → keys). Unknown commands, unreadable
    /// keys, a key bound twice and a command without keys are rejected.
    pub fn from_config(keys: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeymapError> {
        let mut bindings: Vec<(Key, Command)> = Vec::new();
        let mut written: Vec<(Key, String)> = Vec::new();
        for (name, keys) in keys {
            let command = Command::from_name(name).ok_or_else(|| KeymapError::UnknownCommand {
                name: name.clone(),
                valid: Command::ALL
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            if keys.is_empty() {
                return Err(KeymapError::Unbound {
                    command: name.clone(),
                });
            }
            for text in keys {
                let key = Key::parse(text).map_err(|message| KeymapError::BadKey {
                    command: name.clone(),
                    message,
                })?;
                if let Some((_, other)) = bindings.iter().find(|(k, _)| *k == key) {
                    let shown = written
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map_or_else(|| text.clone(), |(_, t)| t.clone());
                    return Err(KeymapError::Conflict {
                        key: shown,
                        first: other.name().to_string(),
                        second: name.clone(),
                    });
                }
                bindings.push((key, command));
                written.push((key, text.clone()));
            }
        }
        bindings.sort_by_key(|(_, c)| *c);
        Ok(Keymap { bindings })
    }

    /// The built-in bindings (those of the embedded `config.toml`).
    pub fn defaults() -> Keymap {
        Keymap::from_config(&crate::config::Config::defaults().ui.keys)
            .expect("the embedded [ui.keys] are valid")
    }

    /// The command bound to a key event, if any.
    pub fn command_for(&self, event: &KeyEvent) -> Option<Command> {
        let key = Key::from_event(event);
        if key.code == KeyCode::Char('c') && key.modifiers == KeyModifiers::CONTROL {
            return Some(Command::Quit);
        }
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| *c)
    }

    /// The keys bound to a command, for display (`"j/↓"`).
    pub fn keys_for(&self, command: Command) -> String {
        self.bindings
            .iter()
            .filter(|(_, c)| *c == command)
            .map(|(k, _)| k.to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key bound to a command, for short hints.
    pub fn first_key(&self, command: Command) -> String {
        self.bindings
            .iter()
            .find(|(_, c)| *c == command)
            .map_or_else(String::new, |(k, _)| k.to_string())
    }

    /// Every binding, by command in help order.
    pub fn commands(&self) -> impl Iterator<Item = (Command, String)> + '_ {
        Command::ALL.iter().map(|c| (*c, self.keys_for(*c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(c, ks)| (c.to_string(), ks.iter().map(|k| k.to_string()).collect()))
            .collect()
    }

    #[test]
    fn default_bindings_parse_and_cover_every_command() {
        let map = Keymap::defaults();
        for command in Command::ALL {
            assert!(
                !map.keys_for(*command).is_empty(),
                "{} has no key",
                command.name()
            );
        }
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(map.command_for(&j), Some(Command::Down));
        let big_a = KeyEvent::new(KeyCode::Char('A'), KeyModifiers::SHIFT);
        assert_eq!(map.command_for(&big_a), Some(Command::AcknowledgeMarked));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.command_for(&ctrl_c), Some(Command::Quit));
        assert_eq!(map.keys_for(Command::Down), "j/↓");
    }

    #[test]
    fn a_key_bound_twice_is_rejected_with_both_commands_named() {
        let err = Keymap::from_config(&keys(&[("down", &["j"]), ("quit", &["j"])])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ui.keys: key \"j\" is bound to both down and quit"
        );
    }

    #[test]
    fn unknown_commands_and_keys_are_rejected_with_a_message() {
        let err = Keymap::from_config(&keys(&[("explode", &["x"])])).unwrap_err();
        assert!(err.to_string().contains("unknown action"), "{err}");
        let err = Keymap::from_config(&keys(&[("down", &["hyper-j"])])).unwrap_err();
        assert!(err.to_string().contains("unknown key \"hyper-j\""), "{err}");
        let err = Keymap::from_config(&keys(&[("down", &[])])).unwrap_err();
        assert!(err.to_string().contains("needs at least one key"), "{err}");
    }

    #[test]
    fn keys_parse_named_and_modified_forms() {
        assert_eq!(Key::parse("pgdn").unwrap().code, KeyCode::PageDown);
        let ctrl_r = Key::parse("ctrl-r").unwrap();
        assert_eq!(ctrl_r.code, KeyCode::Char('r'));
        assert_eq!(ctrl_r.modifiers, KeyModifiers::CONTROL);
        assert_eq!(Key::parse("G").unwrap().code, KeyCode::Char('G'));
        assert_eq!(Key::parse("space").unwrap().to_string(), "Space");
    }
}
