//! `log.format`: how log lines are written (plain text for people, JSON for log shippers).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `log.format`: the shape of every log line, on stderr and in the log file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default; what older config files get).
    #[default]
    Text,
    /// One JSON object per line, for journald, Loki, Elasticsearch and the like.
    Json,
}

impl LogFormat {
    /// Every choice, as written in the config.
    pub const ALL: [LogFormat; 2] = [LogFormat::Text, LogFormat::Json];

    /// The name used in `log.format`.
    pub const fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl Serialize for LogFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for LogFormat {
    /// Any string is read, and a name that is no format is refused with the message the config
    /// error shows after the key and value (`must be one of text, json`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LogFormat, D::Error> {
        let name = String::deserialize(deserializer)?;
        LogFormat::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = LogFormat::ALL.iter().map(|f| f.name()).collect();
                serde::de::Error::custom(format!("must be one of {}", names.join(", ")))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::tests::{env, load_file};

    #[test]
    fn a_config_file_without_the_key_keeps_text_logs() {
        let c = load_file("[log]\nlevel = \"warn\"\n").unwrap();
        assert_eq!(c.log.format, LogFormat::Text);
        assert!(c.to_redacted_toml().contains("format = \"text\""));
    }

    #[test]
    fn json_is_read_and_written_back() {
        let c = load_file("[log]\nformat = \"json\"\n").unwrap();
        assert_eq!(c.log.format, LogFormat::Json);
        assert!(c.to_redacted_toml().contains("format = \"json\""));
    }

    #[test]
    fn the_environment_sets_it_like_any_key() {
        let sources = env(&[("ODDSWATCH_LOG_FORMAT", "json")]);
        assert_eq!(Config::load(&sources).unwrap().log.format, LogFormat::Json);
    }

    #[test]
    fn an_unknown_format_names_the_key_and_the_choices() {
        let err = load_file("[log]\nformat = \"xml\"\n").unwrap_err();
        assert!(
            err.contains("log.format = \"xml\" (from ")
                && err.ends_with("): must be one of text, json"),
            "{err}"
        );
    }
}
