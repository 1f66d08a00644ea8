//! Settings a trader edits in the app, stored in the database's `settings` table and laid over
//! the loaded configuration. The pipeline applies them every cycle, so a threshold changed in one
//! UI takes effect for every process on the same database.

use serde_json::Value;

use super::{Config, ConfigError};

/// Where override errors say the value came from.
const SOURCE: &str = "database settings";

/// The keys that may be overridden from the app, in the order the settings screen shows them.
pub const OVERRIDABLE_KEYS: &[&str] = &[
    "detection.warning_pct",
    "detection.elevated_pct",
    "detection.critical_pct",
    "detection.enabled",
    "detection.primary_markets",
    "detection.competitor_alerts",
    "detection.consensus_min_move_pct",
    "detection.consensus_min_books",
    "detection.off_market_warning_pct",
    "detection.off_market_elevated_pct",
    "detection.off_market_critical_pct",
    "detection.margin_floor_pct",
    "retention.past_alert_days",
    "retention.history_days",
    "noise.dedup",
    "noise.cooldown_mins",
];

fn invalid(key: &str, value: &Value, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        source_name: SOURCE.into(),
        allowed: allowed.to_string(),
    }
}

fn float(key: &str, value: &Value) -> Result<f64, ConfigError> {
    value
        .as_f64()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(key, value, "expected a number"))
}

fn boolean(key: &str, value: &Value) -> Result<bool, ConfigError> {
    value
        .as_bool()
        .ok_or_else(|| invalid(key, value, "expected true or false"))
}

fn count(key: &str, value: &Value) -> Result<u32, ConfigError> {
    value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| invalid(key, value, "expected a whole number"))
}

fn days(key: &str, value: &Value) -> Result<u32, ConfigError> {
    value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| invalid(key, value, "expected a whole number of days"))
}

/// The configuration with the stored overrides applied, validated by the same rules as the
/// config file. A key that cannot be overridden, a value of the wrong type, or a result that
/// breaks a rule (e.g. warning ≥ elevated) is an error naming the key; `base` is not changed.
pub fn apply_overrides(
    base: &Config,
    overrides: &[(String, Value)],
) -> Result<Config, ConfigError> {
    let mut config = base.clone();
    for (key, value) in overrides {
        match key.as_str() {
            "detection.warning_pct" => config.detection.warning_pct = float(key, value)?,
            "detection.elevated_pct" => config.detection.elevated_pct = float(key, value)?,
            "detection.critical_pct" => config.detection.critical_pct = float(key, value)?,
            "detection.enabled" => config.detection.enabled = boolean(key, value)?,
            "detection.competitor_alerts" => {
                config.detection.competitor_alerts = boolean(key, value)?;
            }
            "detection.consensus_min_move_pct" => {
                config.detection.consensus_min_move_pct = float(key, value)?;
            }
            "detection.consensus_min_books" => {
                config.detection.consensus_min_books = count(key, value)?;
            }
            "detection.off_market_warning_pct" => {
                config.detection.off_market_warning_pct = float(key, value)?;
            }
            "detection.off_market_elevated_pct" => {
                config.detection.off_market_elevated_pct = float(key, value)?;
            }
            "detection.off_market_critical_pct" => {
                config.detection.off_market_critical_pct = float(key, value)?;
            }
            "detection.margin_floor_pct" => {
                config.detection.margin_floor_pct = float(key, value)?;
            }
            "detection.primary_markets" => {
                config.detection.primary_markets = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|i| i.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| invalid(key, value, "expected a list of market ids"))?;
            }
            "retention.past_alert_days" => config.retention.past_alert_days = days(key, value)?,
            "retention.history_days" => config.retention.history_days = days(key, value)?,
            "noise.dedup" => config.noise.dedup = boolean(key, value)?,
            "noise.cooldown_mins" => config.noise.cooldown_mins = count(key, value)?,
            _ => {
                return Err(ConfigError::UnknownKey {
                    key: key.clone(),
                    source_name: SOURCE.into(),
                    valid: OVERRIDABLE_KEYS.join(", "),
                });
            }
        }
    }
    super::validate::validate(&config)?;
    Ok(config)
}

/// The current value of an overridable key in `config`, as stored in the `settings` table.
pub fn current_value(config: &Config, key: &str) -> Option<Value> {
    Some(match key {
        "detection.warning_pct" => Value::from(config.detection.warning_pct),
        "detection.elevated_pct" => Value::from(config.detection.elevated_pct),
        "detection.critical_pct" => Value::from(config.detection.critical_pct),
        "detection.enabled" => Value::from(config.detection.enabled),
        "detection.primary_markets" => Value::from(config.detection.primary_markets.clone()),
        "detection.competitor_alerts" => Value::from(config.detection.competitor_alerts),
        "detection.consensus_min_move_pct" => Value::from(config.detection.consensus_min_move_pct),
        "detection.consensus_min_books" => Value::from(config.detection.consensus_min_books),
        "detection.off_market_warning_pct" => Value::from(config.detection.off_market_warning_pct),
        "detection.off_market_elevated_pct" => {
            Value::from(config.detection.off_market_elevated_pct)
        }
        "detection.off_market_critical_pct" => {
            Value::from(config.detection.off_market_critical_pct)
        }
        "detection.margin_floor_pct" => Value::from(config.detection.margin_floor_pct),
        "retention.past_alert_days" => Value::from(config.retention.past_alert_days),
        "retention.history_days" => Value::from(config.retention.history_days),
        "noise.dedup" => Value::from(config.noise.dedup),
        "noise.cooldown_mins" => Value::from(config.noise.cooldown_mins),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(items: &[(&str, Value)]) -> Vec<(String, Value)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn overrides_replace_thresholds_switch_markets_and_retention() {
        let base = Config::defaults();
        let c = apply_overrides(
            &base,
            &pairs(&[
                ("detection.warning_pct", json!(5)),
                ("detection.elevated_pct", json!(8.5)),
                ("detection.enabled", json!(false)),
                ("detection.primary_markets", json!(["3743"])),
                ("retention.past_alert_days", json!(3)),
            ]),
        )
        .unwrap();
        assert_eq!(c.detection.warning_pct, 5.0);
        assert_eq!(c.detection.elevated_pct, 8.5);
        assert!(!c.detection.enabled);
        assert_eq!(c.detection.primary_markets, ["3743"]);
        assert_eq!(c.retention.past_alert_days, 3);
        assert_eq!(base, Config::defaults(), "the base is untouched");
    }

    #[test]
    fn no_overrides_is_the_base() {
        let base = Config::defaults();
        assert_eq!(apply_overrides(&base, &[]).unwrap(), base);
    }

    #[test]
    fn overrides_that_break_a_config_rule_are_rejected_naming_the_rule() {
        let err = apply_overrides(
            &Config::defaults(),
            &pairs(&[("detection.warning_pct", json!(12))]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("0 < warning < elevated < critical"), "{err}");
        let err = apply_overrides(
            &Config::defaults(),
            &pairs(&[("retention.history_days", json!(0))]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("retention.history_days"), "{err}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_rejected() {
        let err = apply_overrides(&Config::defaults(), &pairs(&[("database.url", json!("x"))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown config key `database.url`"), "{err}");
        let err = apply_overrides(
            &Config::defaults(),
            &pairs(&[("detection.enabled", json!("yes"))]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected true or false"), "{err}");
    }

    #[test]
    fn current_values_round_trip_through_apply() {
        let base = Config::defaults();
        let all: Vec<(String, Value)> = OVERRIDABLE_KEYS
            .iter()
            .map(|k| (k.to_string(), current_value(&base, k).unwrap()))
            .collect();
        assert_eq!(apply_overrides(&base, &all).unwrap(), base);
    }
}
