//! The settings screen's form: the overridable keys, their effective values, and the editing of
//! one value at a time. Every accepted edit is validated with the config rules
//! ([`crate::config::apply_overrides`]) before it is saved to the database.

use serde_json::Value;

use crate::config::{Config, OVERRIDABLE_KEYS, apply_overrides, current_value};
use crate::domain::SettingRow;

/// One row of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingField {
    /// Dotted config key.
    pub key: &'static str,
    /// Effective value.
    pub value: Value,
    /// Who last saved an override of it, and when (`None`: the config file's value).
    pub saved_by: Option<String>,
}

/// The settings screen.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsForm {
    /// The fields, in [`OVERRIDABLE_KEYS`] order.
    pub fields: Vec<SettingField>,
    /// Selected field.
    pub selected: usize,
    /// The text being typed into the selected field.
    pub editing: Option<String>,
    /// Why the last edit was refused.
    pub error: Option<String>,
    /// The stored overrides have been read.
    pub loaded: bool,
}

/// The label shown for a key; at most 26 characters, the width of the form's label column.
pub fn label(key: &str) -> &'static str {
    match key {
        "detection.warning_pct" => "Warning threshold (%)",
        "detection.elevated_pct" => "Elevated threshold (%)",
        "detection.critical_pct" => "Critical threshold (%)",
        "detection.enabled" => "Detection enabled",
        "detection.primary_markets" => "Primary markets (ids)",
        "detection.competitor_alerts" => "Competitor alerts",
        "detection.consensus_min_move_pct" => "Market move: min move (%)",
        "detection.consensus_min_books" => "Consensus min books",
        "detection.off_market_warning_pct" => "Off-market warning edge %",
        "detection.off_market_elevated_pct" => "Off-market elevated edge %",
        "detection.off_market_critical_pct" => "Off-market critical edge %",
        "detection.margin_floor_pct" => "Margin floor (%)",
        "retention.past_alert_days" => "Keep past alerts (days)",
        "retention.history_days" => "Keep price history (days)",
        "noise.dedup" => "Fold repeats (dedup)",
        "noise.cooldown_mins" => "Cooldown after ack (min)",
        _ => "?",
    }
}

/// What a key accepts, as the editing hint and in every message refusing a typed value. The
/// ranges are the config rules' (`config::validate`); a test keeps the two in step.
pub fn allowed(key: &str) -> &'static str {
    match key {
        "detection.warning_pct" | "detection.elevated_pct" | "detection.critical_pct" => {
            "a number, 0 < warning < elevated < critical <= 100"
        }
        "detection.enabled" | "detection.competitor_alerts" | "noise.dedup" => "on or off",
        "detection.primary_markets" => "market ids separated by commas",
        "detection.consensus_min_move_pct" => "a number between 0.01 and 100",
        "detection.consensus_min_books" => "a whole number between 1 and 50",
        "detection.off_market_warning_pct"
        | "detection.off_market_elevated_pct"
        | "detection.off_market_critical_pct" => {
            "a number, 0 < warning < elevated < critical <= 1000"
        }
        "detection.margin_floor_pct" => "a number between 0 and 100",
        "retention.past_alert_days" | "retention.history_days" => {
            "a whole number of days between 1 and 3650"
        }
        "noise.cooldown_mins" => "a whole number of minutes between 0 and 1440",
        _ => "a value",
    }
}

/// A value as the form shows and edits it.
pub fn display(value: &Value) -> String {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(true) => "on".into(),
        Value::Bool(false) => "off".into(),
        other => other.to_string(),
    }
}

/// Reads typed text as the value of `key`; text that is not of the key's kind is refused with
/// what the key accepts.
pub fn parse_input(key: &str, text: &str) -> Result<Value, String> {
    let text = text.trim();
    let refused = || format!("{key}: {text:?} is not {}", allowed(key));
    match key {
        "detection.enabled" | "detection.competitor_alerts" | "noise.dedup" => {
            match text.to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" => Ok(Value::Bool(true)),
                "off" | "false" | "no" => Ok(Value::Bool(false)),
                _ => Err(refused()),
            }
        }
        "detection.primary_markets" => Ok(Value::from(
            text.split([',', ' '])
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )),
        "retention.past_alert_days"
        | "retention.history_days"
        | "detection.consensus_min_books"
        | "noise.cooldown_mins" => text.parse::<u32>().map(Value::from).map_err(|_| refused()),
        _ => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Value::from)
            .ok_or_else(refused),
    }
}

impl SettingsForm {
    /// The form showing `config`'s values, before the stored overrides are read.
    pub fn new(config: &Config) -> Self {
        SettingsForm {
            fields: OVERRIDABLE_KEYS
                .iter()
                .map(|key| SettingField {
                    key,
                    value: current_value(config, key).unwrap_or(Value::Null),
                    saved_by: None,
                })
                .collect(),
            selected: 0,
            editing: None,
            error: None,
            loaded: false,
        }
    }

    /// Shows the stored overrides laid over `base`.
    pub fn apply_stored(&mut self, base: &Config, rows: &[SettingRow]) {
        let pairs: Vec<(String, Value)> = rows
            .iter()
            .map(|r| (r.key.clone(), r.value.clone()))
            .collect();
        let effective = match apply_overrides(base, &pairs) {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(format!("stored settings are invalid: {e}"));
                base.clone()
            }
        };
        for field in &mut self.fields {
            field.value = current_value(&effective, field.key).unwrap_or(Value::Null);
            field.saved_by = rows
                .iter()
                .find(|r| r.key == field.key)
                .map(|r| format!("{} {}", r.updated_by, r.updated_at.format("%Y-%m-%d %H:%M")));
        }
        self.loaded = true;
    }

    /// Starts editing the selected field; a switch is flipped and returned for saving instead.
    pub fn start_edit(&mut self, base: &Config) -> Option<Vec<(String, Value)>> {
        let field = self.fields.get(self.selected)?;
        self.error = None;
        if let Value::Bool(on) = field.value {
            return self.accept(base, field.key, Value::Bool(!on));
        }
        self.editing = Some(display(&field.value));
        None
    }

    /// Accepts the typed text: parsed, validated against every other field, and returned for
    /// saving; on error the edit stays open with the reason.
    pub fn commit_edit(&mut self, base: &Config) -> Option<Vec<(String, Value)>> {
        let text = self.editing.clone()?;
        let key = self.fields.get(self.selected)?.key;
        match parse_input(key, &text) {
            Ok(value) => {
                let saved = self.accept(base, key, value);
                if saved.is_some() {
                    self.editing = None;
                }
                saved
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn accept(&mut self, base: &Config, key: &str, value: Value) -> Option<Vec<(String, Value)>> {
        let all: Vec<(String, Value)> = self
            .fields
            .iter()
            .map(|f| {
                let v = if f.key == key {
                    value.clone()
                } else {
                    f.value.clone()
                };
                (f.key.to_string(), v)
            })
            .collect();
        match apply_overrides(base, &all) {
            Ok(_) => {
                if let Some(field) = self.fields.iter_mut().find(|f| f.key == key) {
                    field.value = value.clone();
                }
                self.error = None;
                Some(vec![(key.to_string(), value)])
            }
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_that_breaks_the_threshold_order_is_refused_with_the_rule() {
        let base = Config::defaults();
        let mut form = SettingsForm::new(&base);
        assert!(form.start_edit(&base).is_none());
        form.editing = Some("11".into());
        assert!(form.commit_edit(&base).is_none());
        assert!(
            form.error
                .as_deref()
                .unwrap()
                .contains("warning < elevated")
        );
        form.editing = Some("6.5".into());
        let saved = form.commit_edit(&base).unwrap();
        assert_eq!(
            saved,
            vec![("detection.warning_pct".to_string(), Value::from(6.5))]
        );
        assert!(form.editing.is_none());
    }

    #[test]
    fn a_switch_flips_without_typing() {
        let base = Config::defaults();
        let mut form = SettingsForm::new(&base);
        form.selected = 3;
        let saved = form.start_edit(&base).unwrap();
        assert_eq!(
            saved,
            vec![("detection.enabled".to_string(), Value::Bool(false))]
        );
    }

    #[test]
    fn what_a_key_accepts_is_what_the_config_rules_allow() {
        let base = Config::defaults();
        let outside: [(&str, Value, &str); 9] = [
            (
                "detection.warning_pct",
                Value::from(0),
                "0 < warning < elevated < critical <= 100",
            ),
            (
                "detection.consensus_min_move_pct",
                Value::from(0),
                "between 0.01 and 100",
            ),
            (
                "detection.consensus_min_books",
                Value::from(51),
                "between 1 and 50",
            ),
            (
                "detection.off_market_warning_pct",
                Value::from(0),
                "0 < warning < elevated < critical <= 1000",
            ),
            (
                "detection.off_market_critical_pct",
                Value::from(1001),
                "0 < warning < elevated < critical <= 1000",
            ),
            (
                "detection.margin_floor_pct",
                Value::from(101),
                "between 0 and 100",
            ),
            (
                "retention.history_days",
                Value::from(0),
                "between 1 and 3650",
            ),
            (
                "retention.past_alert_days",
                Value::from(3651),
                "between 1 and 3650",
            ),
            (
                "noise.cooldown_mins",
                Value::from(1441),
                "between 0 and 1440",
            ),
        ];
        for (key, value, rule) in outside {
            let err = apply_overrides(&base, &[(key.to_string(), value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(rule), "the config rule of {key} is now: {err}");
            assert!(allowed(key).contains(rule), "{key}: {}", allowed(key));
        }
        for key in OVERRIDABLE_KEYS {
            assert_ne!(allowed(key), "a value", "{key} says what it accepts");
            assert_ne!(label(key), "?", "{key} has a label");
            assert!(
                label(key).chars().count() <= 26,
                "{key}'s label breaks the column"
            );
        }
    }

    #[test]
    fn markets_are_typed_as_a_comma_list() {
        assert_eq!(
            parse_input("detection.primary_markets", "3743, 5000").unwrap(),
            serde_json::json!(["3743", "5000"])
        );
        assert!(parse_input("retention.history_days", "-1").is_err());
    }
}
