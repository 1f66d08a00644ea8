//! `[ui.keys]` and `ui.theme` read into types: the bindable commands, keys as the config writes
//! them, the bindings with their conflict checks, and the theme choice. Parsed once, when the
//! configuration loads; the terminal UI converts them to its own keymap with `From`, so the
//! configuration knows nothing of the terminal.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    /// Open the `:` command line.
    CommandLine,
    /// Close what is open, else clear the filters.
    Back,
    /// Only the selected alert's event (toggle).
    EventOnly,
    /// Cycle the sort key.
    Sort,
    /// Flat list ⇄ grouped by event.
    Group,
    /// Switch to the next saved view.
    NextView,
    /// Open the detail of the selected alert (or expand a group).
    Detail,
    /// Open the market screen of the selected alert's event.
    Market,
    /// Acknowledge the selected alert.
    Acknowledge,
    /// Unacknowledge the selected alert (asks for an optional comment).
    Unacknowledge,
    /// Mark or unmark the selected alert.
    Mark,
    /// Acknowledge the marked alerts, or every visible one after a confirmation.
    AcknowledgeMarked,
    /// Open the silence form for the selected alert (DESIGN §10).
    Silence,
    /// Show or hide silenced alerts.
    ShowSilenced,
    /// Open the silences screen (list, edit, expire).
    Silences,
    /// Copy the selected alert as one line of text (OSC 52).
    CopyLine,
    /// Copy the selected alert as JSON (OSC 52).
    CopyJson,
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
        Command::CommandLine,
        Command::Back,
        Command::EventOnly,
        Command::Sort,
        Command::Group,
        Command::NextView,
        Command::Detail,
        Command::Market,
        Command::Acknowledge,
        Command::Unacknowledge,
        Command::Mark,
        Command::AcknowledgeMarked,
        Command::Silence,
        Command::ShowSilenced,
        Command::Silences,
        Command::CopyLine,
        Command::CopyJson,
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
            Command::CommandLine => "command_line",
            Command::Back => "back",
            Command::EventOnly => "event_only",
            Command::Sort => "sort",
            Command::Group => "group",
            Command::NextView => "next_view",
            Command::Market => "market",
            Command::Detail => "detail",
            Command::Acknowledge => "acknowledge",
            Command::Unacknowledge => "unacknowledge",
            Command::Mark => "mark",
            Command::AcknowledgeMarked => "acknowledge_marked",
            Command::Silence => "silence",
            Command::ShowSilenced => "show_silenced",
            Command::Silences => "silences",
            Command::CopyLine => "copy_line",
            Command::CopyJson => "copy_json",
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
            Command::CommandLine => "command line, views",
            Command::Back => "close / clear filters",
            Command::EventOnly => "this event only",
            Command::Sort => "cycle sort key",
            Command::Group => "flat / grouped by event",
            Command::NextView => "next saved view",
            Command::Market => "market screen (all books)",
            Command::Detail => "detail / expand group",
            Command::Acknowledge => "acknowledge",
            Command::Unacknowledge => "unacknowledge (comment)",
            Command::Mark => "mark / unmark",
            Command::AcknowledgeMarked => "acknowledge marked / all",
            Command::Silence => "silence (snooze) alert…",
            Command::ShowSilenced => "show / hide silenced",
            Command::Silences => "silences: list, expire",
            Command::CopyLine => "copy alert as text",
            Command::CopyJson => "copy alert as JSON",
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

/// A key without modifiers, as the config names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyName {
    /// A printable character (Shift is part of it: `G`).
    Char(char),
    /// ↑
    Up,
    /// ↓
    Down,
    /// ←
    Left,
    /// →
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// A function key.
    F(u8),
}

/// Named keys accepted in the config, with their display form.
const NAMED_KEYS: &[(&str, KeyName, &str)] = &[
    ("up", KeyName::Up, "↑"),
    ("down", KeyName::Down, "↓"),
    ("left", KeyName::Left, "←"),
    ("right", KeyName::Right, "→"),
    ("pgup", KeyName::PageUp, "PgUp"),
    ("pgdn", KeyName::PageDown, "PgDn"),
    ("home", KeyName::Home, "Home"),
    ("end", KeyName::End, "End"),
    ("enter", KeyName::Enter, "Enter"),
    ("esc", KeyName::Esc, "Esc"),
    ("tab", KeyName::Tab, "Tab"),
    ("backtab", KeyName::BackTab, "S-Tab"),
    ("space", KeyName::Char(' '), "Space"),
    ("backspace", KeyName::Backspace, "Bksp"),
    ("delete", KeyName::Delete, "Del"),
    ("f1", KeyName::F(1), "F1"),
];

/// One key with its modifiers, as written in the config (`"j"`, `"G"`, `"ctrl-r"`, `"pgdn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub name: KeyName,
    /// Held with Ctrl.
    pub ctrl: bool,
    /// Held with Alt.
    pub alt: bool,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(name: KeyName) -> Key {
        Key {
            name,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses a key as written in `[ui.keys]`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let (mut ctrl, mut alt) = (false, false);
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 2 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 2 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let name = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && c != ' ' => KeyName::Char(c),
            _ => NAMED_KEYS
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(rest))
                .map(|(_, key, _)| *key)
                .ok_or_else(|| {
                    let names: Vec<&str> = NAMED_KEYS.iter().map(|(n, _, _)| *n).collect();
                    format!(
                        "unknown key {text:?}: use one character (\"j\", \"G\", \"?\"), a named key ({}), optionally prefixed by ctrl- or alt-",
                        names.join(", ")
                    )
                })?,
        };
        Ok(Key { name, ctrl, alt })
    }
}

impl fmt::Display for Key {
    /// The short form help and the footer show (`C-r`, `PgDn`, `↓`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("C-")?;
        }
        if self.alt {
            f.write_str("M-")?;
        }
        if let Some((_, _, shown)) = NAMED_KEYS.iter().find(|(_, key, _)| *key == self.name) {
            return f.write_str(shown);
        }
        match self.name {
            KeyName::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Why `[ui.keys]` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
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

/// Keys to commands for the main screen, read from `[ui.keys]`: every key bound once, every
/// named command known. A command the user wrote has at least one key; a default whose keys
/// the user took for other commands may have none. Sorted by command, in help order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    bindings: Vec<(Key, Command)>,
}

impl Bindings {
    /// Reads `[ui.keys]` (command name → keys), every entry written by the user. Unknown
    /// commands, unreadable keys, a key bound twice and a command without keys are rejected.
    pub fn from_config(keys: &BTreeMap<String, Vec<String>>) -> Result<Bindings, BindingError> {
        Bindings::from_layers(keys, |_| true)
    }

    /// Reads the effective `[ui.keys]`, the built-in defaults with the user's entries merged
    /// over them command by command; `is_user(name)` says which entries the user wrote. A key
    /// the user binds is taken from the *default* bindings of other commands: a release that
    /// adds a default key (`m` for `market`) must not break a config that was valid before
    /// (`mark = ["m"]`). A default left with no key is unbound (the help overlay says so). Two
    /// of the user's own entries binding one key stay an error, as do unknown commands,
    /// unreadable keys and an empty list.
    pub fn from_layers(
        keys: &BTreeMap<String, Vec<String>>,
        is_user: impl Fn(&str) -> bool,
    ) -> Result<Bindings, BindingError> {
        let mut user: Vec<(Key, Command, &str)> = Vec::new();
        let mut defaults: Vec<(Key, Command, &str)> = Vec::new();
        for (name, texts) in keys {
            let command = Command::from_name(name).ok_or_else(|| BindingError::UnknownCommand {
                name: name.clone(),
                valid: Command::ALL
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            if texts.is_empty() {
                return Err(BindingError::Unbound {
                    command: name.clone(),
                });
            }
            let layer = if is_user(name) {
                &mut user
            } else {
                &mut defaults
            };
            for text in texts {
                let key = Key::parse(text).map_err(|message| BindingError::BadKey {
                    command: name.clone(),
                    message,
                })?;
                layer.push((key, command, text));
            }
        }
        defaults.retain(|(key, _, _)| !user.iter().any(|(k, _, _)| k == key));
        let mut bindings: Vec<(Key, Command)> = Vec::new();
        let mut written: Vec<(Key, &str)> = Vec::new();
        // The user's entries first, so a conflict among them names them as written, in order.
        for (key, command, text) in user.into_iter().chain(defaults) {
            if let Some((_, other)) = bindings.iter().find(|(k, _)| *k == key) {
                let shown = written
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(text, |(_, t)| t);
                return Err(BindingError::Conflict {
                    key: shown.to_string(),
                    first: other.name().to_string(),
                    second: command.name().to_string(),
                });
            }
            bindings.push((key, command));
            written.push((key, text));
        }
        bindings.sort_by_key(|(_, c)| *c);
        Ok(Bindings { bindings })
    }

    /// Every `(key, command)` pair, by command in help order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, Command)> + '_ {
        self.bindings.iter().copied()
    }
}

/// `ui.theme`: how the UI uses colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    /// Colour unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Color,
    /// Never colour: text and modifiers only.
    Mono,
}

/// The palette a theme choice comes to in a given environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// Colours.
    Color,
    /// Modifiers only.
    Mono,
}

impl Theme {
    /// Every choice, as written in the config.
    pub const ALL: [Theme; 3] = [Theme::Auto, Theme::Color, Theme::Mono];

    /// The name used in `ui.theme`.
    pub const fn name(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Color => "color",
            Theme::Mono => "mono",
        }
    }

    /// The palette, given the `NO_COLOR` environment variable (<https://no-color.org>: set and
    /// not empty means no colour).
    pub fn palette(self, no_color_env: Option<&str>) -> Palette {
        let no_color = no_color_env.is_some_and(|v| !v.is_empty());
        match self {
            Theme::Mono => Palette::Mono,
            Theme::Auto if no_color => Palette::Mono,
            Theme::Auto | Theme::Color => Palette::Color,
        }
    }
}

impl Serialize for Theme {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Theme {
    /// Any string is read, and a name that is no theme is refused with the message the config
    /// error shows after the key and value (`must be one of auto, color, mono`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Theme, D::Error> {
        let name = String::deserialize(deserializer)?;
        Theme::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Theme::ALL.iter().map(|t| t.name()).collect();
                serde::de::Error::custom(format!("must be one of {}", names.join(", ")))
            })
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
    fn bindings_are_sorted_by_command_in_help_order() {
        let bindings =
            Bindings::from_config(&keys(&[("quit", &["q"]), ("down", &["j", "down"])])).unwrap();
        let pairs: Vec<(Key, Command)> = bindings.iter().collect();
        assert_eq!(
            pairs,
            vec![
                (Key::plain(KeyName::Char('j')), Command::Down),
                (Key::plain(KeyName::Down), Command::Down),
                (Key::plain(KeyName::Char('q')), Command::Quit),
            ]
        );
    }

    #[test]
    fn a_key_bound_twice_is_rejected_with_both_commands_named() {
        let err = Bindings::from_config(&keys(&[("down", &["j"]), ("quit", &["j"])])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ui.keys: key \"j\" is bound to both down and quit"
        );
    }

    #[test]
    fn a_conflict_names_the_key_as_first_written() {
        let err = Bindings::from_config(&keys(&[("down", &["ctrl-r"]), ("quit", &["CTRL-r"])]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ui.keys: key \"ctrl-r\" is bound to both down and quit"
        );
    }

    #[test]
    fn unknown_commands_and_keys_are_rejected_with_a_message() {
        let err = Bindings::from_config(&keys(&[("explode", &["x"])])).unwrap_err();
        assert!(err.to_string().contains("unknown action"), "{err}");
        let err = Bindings::from_config(&keys(&[("down", &["hyper-j"])])).unwrap_err();
        assert!(err.to_string().contains("unknown key \"hyper-j\""), "{err}");
        let err = Bindings::from_config(&keys(&[("down", &[])])).unwrap_err();
        assert!(err.to_string().contains("needs at least one key"), "{err}");
    }

    #[test]
    fn keys_parse_named_and_modified_forms() {
        assert_eq!(Key::parse("pgdn").unwrap().name, KeyName::PageDown);
        let ctrl_r = Key::parse("ctrl-r").unwrap();
        assert_eq!(ctrl_r.name, KeyName::Char('r'));
        assert!(ctrl_r.ctrl && !ctrl_r.alt);
        assert_eq!(ctrl_r.to_string(), "C-r");
        assert_eq!(Key::parse("G").unwrap().name, KeyName::Char('G'));
        assert_eq!(Key::parse("space").unwrap().to_string(), "Space");
        assert_eq!(Key::parse("alt-ENTER").unwrap().to_string(), "M-Enter");
        assert!(Key::parse(" ").is_err());
    }

    #[test]
    fn every_command_round_trips_through_its_name() {
        for command in Command::ALL {
            assert_eq!(Command::from_name(command.name()), Some(*command));
        }
        assert_eq!(Command::from_name("explode"), None);
    }

    #[test]
    fn auto_follows_no_color_and_the_others_ignore_it() {
        assert_eq!(Theme::Auto.palette(Some("1")), Palette::Mono);
        assert_eq!(Theme::Auto.palette(Some("")), Palette::Color);
        assert_eq!(Theme::Auto.palette(None), Palette::Color);
        assert_eq!(Theme::Color.palette(Some("1")), Palette::Color);
        assert_eq!(Theme::Mono.palette(None), Palette::Mono);
    }
}
