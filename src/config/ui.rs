//! `[ui]`: the terminal UI's switches and its key bindings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Colour themes the UI offers.
pub const THEMES: &[&str] = &["auto", "color", "mono"];

/// `[ui]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// Ring the terminal bell when a new critical alert arrives.
    pub bell: bool,
    /// Capture the mouse (wheel and click); off keeps the terminal's text selection working.
    pub mouse: bool,
    /// `auto` (colour unless `NO_COLOR` is set), `color` or `mono`.
    pub theme: String,
    /// Command name → keys (`[ui.keys]`).
    pub keys: BTreeMap<String, Vec<String>>,
}

impl UiConfig {
    /// Whether the monochrome theme applies, given the `NO_COLOR` environment variable.
    pub fn monochrome(&self, no_color_env: Option<&str>) -> bool {
        match self.theme.as_str() {
            "mono" => true,
            "color" => false,
            // https://no-color.org: set and not empty.
            _ => no_color_env.is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Checks the theme name and that the key bindings form a usable keymap.
pub(super) fn validate(ui: &UiConfig) -> Result<(), ConfigError> {
    if !THEMES.contains(&ui.theme.as_str()) {
        return Err(ConfigError::Invalid {
            key: "ui.theme".into(),
            value: format!("{:?}", ui.theme),
            source_name: "effective config".into(),
            allowed: format!("must be one of {}", THEMES.join(", ")),
        });
    }
    crate::tui::keymap::Keymap::from_config(&ui.keys).map_err(|e| ConfigError::Invalid {
        key: "ui.keys".into(),
        value: String::new(),
        source_name: "effective config".into(),
        allowed: e.to_string(),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use crate::config::{Config, ConfigSources};

    fn load_file(contents: &str) -> Result<Config, String> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        let sources = ConfigSources {
            file: Some(file.path().to_path_buf()),
            ..ConfigSources::default()
        };
        Config::load(&sources).map_err(|e| e.to_string())
    }

    #[test]
    fn ui_defaults_ring_the_bell_leave_the_mouse_alone_and_follow_no_color() {
        let ui = Config::defaults().ui;
        assert!(ui.bell);
        assert!(!ui.mouse);
        assert_eq!(ui.theme, "auto");
        assert!(ui.monochrome(Some("1")));
        assert!(!ui.monochrome(Some("")));
        assert!(!ui.monochrome(None));
    }

    #[test]
    fn config_toml_lists_every_command_so_users_can_override_by_name() {
        let keys = Config::defaults().ui.keys;
        for command in crate::tui::keymap::Command::ALL {
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
    }

    #[test]
    fn a_duplicate_binding_is_rejected_at_start_with_a_message() {
        let err = load_file("[ui.keys]\nquit = [\"j\"]\n").unwrap_err();
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
    }
}
