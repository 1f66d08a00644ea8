//! `[ui]`: the terminal UI's switches and its key bindings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::bindings::{Bindings, Palette, Theme};

/// `[ui]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// Ring the terminal bell when a new critical alert arrives.
    pub bell: bool,
    /// Capture the mouse (wheel and click); off keeps the terminal's text selection working.
    pub mouse: bool,
    /// `auto` (colour unless `NO_COLOR` is set), `color` or `mono`.
    pub theme: Theme,
    /// Command name → keys (`[ui.keys]`), as written.
    pub keys: BTreeMap<String, Vec<String>>,
    /// `keys` read and checked: filled by [`super::Config::load`], so the keys are parsed once.
    #[serde(skip)]
    pub bindings: Bindings,
}

impl UiConfig {
    /// The palette the UI uses, given the `NO_COLOR` environment variable.
    pub fn palette(&self, no_color_env: Option<&str>) -> Palette {
        self.theme.palette(no_color_env)
    }
}

/// Reads `[ui.keys]` into checked bindings; `is_user(command)` says which entries a layer above
/// the defaults wrote (their keys win over the defaults'). (`ui.theme` is checked as it is
/// read: its type accepts only a theme's name.)
pub(super) fn bindings(
    ui: &UiConfig,
    is_user: impl Fn(&str) -> bool,
) -> Result<Bindings, ConfigError> {
    Bindings::from_layers(&ui.keys, is_user).map_err(|e| ConfigError::Invalid {
        key: "ui.keys".into(),
        value: String::new(),
        source_name: super::layers::EFFECTIVE.into(),
        allowed: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::tests::load_file;
    use crate::config::{Command, Config, Palette, Theme};

    #[test]
    fn ui_defaults_ring_the_bell_leave_the_mouse_alone_and_follow_no_color() {
        let ui = Config::defaults().ui;
        assert!(ui.bell);
        assert!(!ui.mouse);
        assert_eq!(ui.theme, Theme::Auto);
        assert_eq!(ui.palette(Some("1")), Palette::Mono);
        assert_eq!(ui.palette(Some("")), Palette::Color);
        assert_eq!(ui.palette(None), Palette::Color);
    }

    #[test]
    fn config_toml_lists_every_command_so_users_can_override_by_name() {
        let keys = Config::defaults().ui.keys;
        for command in Command::ALL {
            assert!(
                keys.contains_key(command.name()),
                "{} missing",
                command.name()
            );
        }
    }

    #[test]
    fn a_rebinding_in_the_config_file_is_used() {
        let c = load_file("[ui.keys]\nquit = [\"x\"]\n").unwrap();
        assert_eq!(c.ui.keys["quit"], ["x"]);
        let quit: Vec<String> =
            c.ui.bindings
                .iter()
                .filter(|(_, command)| *command == Command::Quit)
                .map(|(key, _)| key.to_string())
                .collect();
        assert_eq!(quit, ["x"]);
    }

    #[test]
    fn the_loaded_config_carries_every_command_bound() {
        let bindings = Config::defaults().ui.bindings;
        for command in Command::ALL {
            assert!(
                bindings.iter().any(|(_, c)| c == *command),
                "{} has no key",
                command.name()
            );
        }
    }

    #[test]
    fn a_theme_name_is_read_and_written_back_as_written() {
        let c = load_file("[ui]\ntheme = \"mono\"\n").unwrap();
        assert_eq!(c.ui.theme, Theme::Mono);
        assert!(c.to_redacted_toml().contains("theme = \"mono\""));
    }

    #[test]
    fn a_duplicate_binding_is_rejected_at_start_with_a_message() {
        // Two of the user's own entries; a user key over a default one is not a conflict.
        let err = load_file("[ui.keys]\nquit = [\"j\"]\ndown = [\"j\"]\n").unwrap_err();
        assert!(err.contains("key \"j\" is bound to both"), "{err}");
    }

    #[test]
    fn an_unknown_action_or_key_is_rejected_at_start_with_a_message() {
        let err = load_file("[ui.keys]\nexplode = [\"x\"]\n").unwrap_err();
        assert!(
            err.contains("unknown config key `ui.keys.explode`"),
            "{err}"
        );
        let err = load_file("[ui.keys]\nquit = [\"hyper-q\"]\n").unwrap_err();
        assert!(err.contains("unknown key \"hyper-q\""), "{err}");
        let err = load_file("[ui]\ntheme = \"neon\"\n").unwrap_err();
        assert!(err.contains("ui.theme"), "{err}");
        assert!(
            err.contains("ui.theme = \"neon\" (from ")
                && err.ends_with("): must be one of auto, color, mono"),
            "{err}"
        );
    }
}
