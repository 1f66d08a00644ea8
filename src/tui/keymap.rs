//! The keymap: terminal key events to the bindable commands of `[ui.keys]`.
//!
//! The configuration reads and checks the bindings ([`crate::config::Bindings`]); the UI only
//! converts them (`From`) and matches key events against them. The default bindings live in
//! `config.toml` (`[ui.keys]`), so the file documents them and a user overrides one command by
//! name. Help and the footer are generated from the live keymap, so remapped keys show up where
//! the trader looks for them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{Bindings, Key, KeyName};

pub use crate::config::Command;

/// The config key a terminal key event is (Shift folded into printable characters), or `None`
/// for a key the config cannot name.
pub fn key_of(event: &KeyEvent) -> Option<Key> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let name = match event.code {
        KeyCode::Char(c) if ctrl => KeyName::Char(c.to_ascii_lowercase()),
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        // Shift-Tab is its own key: the Shift that terminals report with it is not a modifier.
        KeyCode::BackTab => return Some(Key::plain(KeyName::BackTab)),
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::F(n) => KeyName::F(n),
        _ => return None,
    };
    Some(Key {
        name,
        ctrl,
        alt: event.modifiers.contains(KeyModifiers::ALT),
    })
}

/// Keys to commands, for the main screen. Ctrl-C always quits, whatever the map says.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Command)>,
}

impl From<&Bindings> for Keymap {
    fn from(bindings: &Bindings) -> Keymap {
        Keymap {
            bindings: bindings.iter().collect(),
        }
    }
}

impl Keymap {
    /// The built-in bindings (those of the embedded `config.toml`).
    pub fn defaults() -> Keymap {
        Keymap::from(&crate::config::Config::defaults().ui.bindings)
    }

    /// The command bound to a key event, if any.
    pub fn command_for(&self, event: &KeyEvent) -> Option<Command> {
        let key = key_of(event)?;
        if key.name == KeyName::Char('c') && key.ctrl && !key.alt {
            return Some(Command::Quit);
        }
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| *c)
    }

    /// The keys bound to a command, for display (`"j/↓"`); empty when the command is unbound
    /// (a default whose key the user took for another command).
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

    /// Every command with its keys, in help order; `unbound` for a command without a key.
    pub fn commands(&self) -> impl Iterator<Item = (Command, String)> + '_ {
        Command::ALL.iter().map(|c| {
            let keys = self.keys_for(*c);
            let keys = if keys.is_empty() {
                "unbound".to_string()
            } else {
                keys
            };
            (*c, keys)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
        let ctrl_shift_c = KeyEvent::new(
            KeyCode::Char('C'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(map.command_for(&ctrl_shift_c), Some(Command::Quit));
        assert_eq!(map.keys_for(Command::Down), "j/↓");
    }

    #[test]
    fn ctrl_keys_match_whatever_case_the_terminal_reports() {
        let keys: BTreeMap<String, Vec<String>> = [
            ("refresh".to_string(), vec!["ctrl-r".to_string()]),
            ("next_tab".to_string(), vec!["backtab".to_string()]),
        ]
        .into();
        let map = Keymap::from(&Bindings::from_config(&keys).unwrap());
        let ctrl_big_r = KeyEvent::new(KeyCode::Char('R'), KeyModifiers::CONTROL);
        assert_eq!(map.command_for(&ctrl_big_r), Some(Command::Refresh));
        let shift_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.command_for(&shift_tab), Some(Command::NextTab));
        assert_eq!(map.keys_for(Command::Refresh), "C-r");
    }

    #[test]
    fn keys_the_config_cannot_name_match_nothing() {
        let insert = KeyEvent::new(KeyCode::Insert, KeyModifiers::NONE);
        assert_eq!(key_of(&insert), None);
        assert_eq!(Keymap::defaults().command_for(&insert), None);
    }
}
