//! `[notify]`: where alerts are sent when no one is watching (DESIGN §12). Targets are webhooks
//! (their URLs may carry tokens and their signing keys are secrets: neither is ever logged or
//! printed); rules route alerts to them.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};
use crate::domain::{DEFAULT_PAUSE_AFTER, NotifyRule};

/// `[notify]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Webhooks, by name.
    pub targets: Vec<NotifyTarget>,
    /// Which alerts go to which target.
    pub rules: Vec<NotifyRule>,
    /// Failed attempts in a row after which a target is paused until `oddswatch notify resume`;
    /// 0 never pauses (the target keeps retrying hourly until a delivery is a day old).
    pub pause_after: u32,
    /// Seconds one delivery may take (connect, send, answer) before it counts as failed.
    pub timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            targets: Vec::new(),
            rules: Vec::new(),
            pause_after: DEFAULT_PAUSE_AFTER,
            timeout_secs: 10,
        }
    }
}

crate::domain::wire_enum!(
    /// The body a target expects.
    NotifyFormat, "notify format" {
        /// The API's alert JSON plus `event: new|escalated|reopened`.
        Generic = "generic",
        /// Slack-compatible incoming webhook: `text` and `blocks`.
        Slack = "slack",
        /// Telegram bot API `sendMessage`: `chat_id` and `text`.
        Telegram = "telegram",
    }
);

/// `[[notify.targets]]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyTarget {
    /// Name the rules, `notify test` and `notify resume` use.
    pub name: String,
    /// Body format.
    pub format: NotifyFormat,
    /// Where to POST (secret: webhook URLs carry tokens). Shown as `scheme://host/…`.
    pub url: Secret,
    /// HMAC-SHA256 key of the `X-Oddswatch-Signature` header (secret). Empty: unsigned.
    #[serde(default)]
    pub secret: Secret,
    /// Telegram only: the chat the bot writes to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chat_id: String,
}

/// A webhook URL safe to print: its scheme, host and port only (paths and queries carry tokens:
/// Slack's `/services/…`, Telegram's `/bot<token>/…`).
pub fn redact_webhook_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            )
        }
        _ => super::secret::REDACTED.to_string(),
    }
}

fn invalid(key: String, value: impl ToString, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: value.to_string(),
        source_name: super::layers::EFFECTIVE.into(),
        allowed: allowed.to_string(),
    }
}

/// What makes a rule unusable: the first thing [`NotifyConfig::check_rule`] finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleProblem {
    /// The rule names no configured target.
    UnknownTarget(String),
    /// The rule lists a book that is not among `books`.
    UnknownBook(String),
}

impl NotifyConfig {
    /// Whether `rule` can route: its target is configured and its books are among `books`.
    /// The config's rules are checked with it at load, and rules added at run time when added;
    /// each caller words the refusal for its own interface.
    pub fn check_rule(&self, rule: &NotifyRule, books: &[&str]) -> Result<(), RuleProblem> {
        if self.target(&rule.target).is_none() {
            return Err(RuleProblem::UnknownTarget(rule.target.clone()));
        }
        match rule.books.iter().find(|b| !books.contains(&b.as_str())) {
            Some(book) => Err(RuleProblem::UnknownBook(book.clone())),
            None => Ok(()),
        }
    }

    /// The target named `name`.
    pub fn target(&self, name: &str) -> Option<&NotifyTarget> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// The names of the targets, comma separated, for messages.
    pub fn target_names(&self) -> String {
        if self.targets.is_empty() {
            return "(none configured: add a [[notify.targets]] section)".into();
        }
        self.targets
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks what types cannot: names unique and plain, URLs http(s), Telegram targets with a
    /// chat, rules naming a target and known books. Messages never hold a URL or a key.
    pub(super) fn validate(&self, books: &[&str]) -> Result<(), ConfigError> {
        if !(1..=300).contains(&self.timeout_secs) {
            return Err(invalid(
                "notify.timeout_secs".into(),
                self.timeout_secs,
                "must be between 1 and 300",
            ));
        }
        if self.pause_after > 1000 {
            return Err(invalid(
                "notify.pause_after".into(),
                self.pause_after,
                "must be between 0 (never pause) and 1000",
            ));
        }
        for (i, target) in self.targets.iter().enumerate() {
            let key = |field: &str| format!("notify.targets[{i}].{field}");
            let plain = !target.name.is_empty()
                && target.name.len() <= 64
                && target
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !plain {
                return Err(invalid(
                    key("name"),
                    format!("{:?}", target.name),
                    "must be 1–64 letters, digits, '-' or '_'",
                ));
            }
            if self.targets[..i].iter().any(|t| t.name == target.name) {
                return Err(invalid(
                    key("name"),
                    format!("{:?}", target.name),
                    "must be unique among notify.targets",
                ));
            }
            let url_ok = url::Url::parse(target.url.expose().trim())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !url_ok {
                return Err(invalid(
                    key("url"),
                    redact_webhook_url(target.url.expose()),
                    "must be an http:// or https:// URL with a host",
                ));
            }
            if target.format == NotifyFormat::Telegram && target.chat_id.trim().is_empty() {
                return Err(invalid(
                    key("chat_id"),
                    "\"\"",
                    "a telegram target needs the chat_id its bot writes to",
                ));
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let key = |field: &str| format!("notify.rules[{i}].{field}");
            match self.check_rule(rule, books) {
                Ok(()) => {}
                Err(RuleProblem::UnknownTarget(target)) => {
                    return Err(invalid(
                        key("target"),
                        format!("{target:?}"),
                        &format!("must name a notify target: {}", self.target_names()),
                    ));
                }
                Err(RuleProblem::UnknownBook(book)) => {
                    return Err(invalid(
                        key("books"),
                        format!("{book:?}"),
                        &format!("must list configured books: {}", books.join(", ")),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_is_shown_without_its_path_or_query() {
        assert_eq!(
            redact_webhook_url("https://api.telegram.org/bot123:SECRET/sendMessage"),
            "https://api.telegram.org/…"
        );
        assert_eq!(
            redact_webhook_url("http://127.0.0.1:9000/hook?token=abc"),
            "http://127.0.0.1:9000/…"
        );
        assert_eq!(redact_webhook_url("not a url SECRET"), "<redacted>");
    }
}

#[cfg(test)]
mod config_tests {
    use crate::config::tests::load_file as load;
    use crate::domain::{AlertType, Severity};

    const DESK: &str = r#"
[[notify.targets]]
name = "desk"
format = "slack"
url = "http://127.0.0.1:9000/hook/T0KEN-IN-PATH"
secret = "hmac-KEY-123"
[[notify.rules]]
target = "desk"
min_severity = "critical"
types = []
books = []
"#;

    #[test]
    fn the_issue_s_config_shape_loads() {
        let c = load(DESK).unwrap();
        let target = c.notify.target("desk").unwrap();
        assert_eq!(target.format, super::NotifyFormat::Slack);
        assert_eq!(target.secret.expose(), "hmac-KEY-123");
        assert_eq!(c.notify.rules[0].min_severity, Severity::Critical);
        assert_eq!(c.notify.pause_after, 5);
        assert_eq!(c.notify.timeout_secs, 10);
    }

    #[test]
    fn secrets_of_targets_never_reach_the_printed_config_or_debug() {
        let c = load(DESK).unwrap();
        let printed = c.to_redacted_toml();
        let debug = format!("{c:?}");
        for shown in [&printed, &debug] {
            assert!(!shown.contains("T0KEN-IN-PATH"), "{shown}");
            assert!(!shown.contains("hmac-KEY-123"), "{shown}");
        }
        assert!(printed.contains("http://127.0.0.1:9000/…"), "{printed}");
    }

    #[test]
    fn a_rule_naming_no_target_is_refused_with_the_targets_allowed() {
        let text = DESK.replace("target = \"desk\"", "target = \"dsk\"");
        let e = load(&text).unwrap_err();
        assert!(e.contains("notify.rules[0].target"), "{e}");
        assert!(e.contains("must name a notify target: desk"), "{e}");
    }

    #[test]
    fn a_bad_format_severity_type_or_book_is_refused_naming_what_is_allowed() {
        let e = load(&DESK.replace("\"slack\"", "\"teams\"")).unwrap_err();
        assert!(e.contains("generic") && e.contains("telegram"), "{e}");
        let e = load(&DESK.replace("\"critical\"", "\"urgent\"")).unwrap_err();
        assert!(e.contains("critical"), "{e}");
        let e = load(&DESK.replace("types = []", "types = [\"price_chnage\"]")).unwrap_err();
        assert!(e.contains("price_change"), "{e}");
        let e = load(&DESK.replace("books = []", "books = [\"nobook\"]")).unwrap_err();
        assert!(
            e.contains("notify.rules[0].books") && e.contains("betpawa"),
            "{e}"
        );
        let typed = load(&DESK.replace("types = []", "types = [\"off_market\"]")).unwrap();
        assert_eq!(typed.notify.rules[0].types, vec![AlertType::OffMarket]);
    }

    #[test]
    fn a_bad_url_is_refused_without_printing_it() {
        let e = load(&DESK.replace("http://127.0.0.1:9000/hook/T0KEN-IN-PATH", "ftp://h/T0KEN"))
            .unwrap_err();
        assert!(e.contains("notify.targets[0].url"), "{e}");
        assert!(!e.contains("T0KEN"), "{e}");
        let e = load(&DESK.replace("\"slack\"", "\"telegram\"")).unwrap_err();
        assert!(e.contains("chat_id"), "{e}");
    }

    #[test]
    fn duplicate_target_names_are_refused() {
        let twice = format!(
            "{DESK}\n{}",
            &DESK[..DESK.find("[[notify.rules]]").unwrap()]
        );
        let e = load(&twice).unwrap_err();
        assert!(e.contains("must be unique"), "{e}");
    }
}
