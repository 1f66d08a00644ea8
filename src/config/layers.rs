//! Merging the layers: defaults < file < environment < flags, with unknown keys and wrong types
//! rejected before anything is deserialised, so every message names the key and its source.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::Config;

/// The repo's `config.toml`, which is the built-in default.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../config.toml");

/// Prefix of configuration environment variables.
const ENV_PREFIX: &str = "ODDSWATCH_";

/// What a value nobody overrode came from.
const DEFAULTS_SOURCE: &str = "built-in defaults";

/// The source name validation uses before [`Config::load`] names the real one.
pub(super) const EFFECTIVE: &str = "effective config";

/// Environment variables with the prefix that are not config keys.
const ENV_NOT_KEYS: &[&str] = &["ODDSWATCH_CONFIG"];

/// A configuration that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key that oddswatch does not know.
    #[error("unknown config key `{key}` (from {source_name}); valid keys here: {valid}")]
    UnknownKey {
        /// Dotted key path.
        key: String,
        /// File name, environment variable or flag.
        source_name: String,
        /// The keys that are valid at that level.
        valid: String,
    },
    /// A value of the wrong type or outside its range.
    #[error("invalid config value {key} = {value} (from {source_name}): {allowed}")]
    Invalid {
        /// Dotted key path.
        key: String,
        /// The offending value as written.
        value: String,
        /// Where it came from (file, environment variable, flag, or "effective config").
        source_name: String,
        /// What is allowed.
        allowed: String,
    },
}

/// Where the layers above the defaults come from.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// An explicit `--config FILE` (must exist).
    pub file: Option<PathBuf>,
    /// Read the platform config file when no explicit file is given (if it exists).
    pub use_platform_file: bool,
    /// `(name, value)` pairs of the environment; only `ODDSWATCH_*` ones are used.
    pub env: Vec<(String, String)>,
    /// Flag overrides as `(dotted key, value)`, applied last.
    pub overrides: Vec<(String, Value)>,
}

impl ConfigSources {
    /// Only the built-in defaults.
    pub fn defaults_only() -> Self {
        ConfigSources::default()
    }

    /// The usual sources of a process: its `--config`, the platform file, its environment.
    pub fn from_process(file: Option<PathBuf>) -> Self {
        ConfigSources {
            file,
            use_platform_file: true,
            env: std::env::vars().collect(),
            overrides: Vec::new(),
        }
    }
}

/// Where each value came from, by dotted key: the file, the environment variable or the flag that
/// set it last. Keys nobody set came from the built-in defaults.
#[derive(Debug, Default)]
pub(super) struct Provenance(BTreeMap<String, String>);

impl Provenance {
    fn record(&mut self, key: &str, source_name: &str) {
        self.0.insert(key.to_string(), source_name.to_string());
    }

    /// Whether a layer above the built-in defaults set `key`.
    pub(super) fn is_set(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The source of `key`; for a rule over several keys (`detection.a/b/c`), the sources of
    /// the ones that were set, else the defaults.
    pub(super) fn source_of(&self, key: &str) -> String {
        if let Some(source) = self.0.get(key) {
            return source.clone();
        }
        if let Some((first, rest)) = key.split_once('/') {
            let prefix = first.rsplit_once('.').map_or("", |(p, _)| p);
            let mut named: Vec<&str> = std::iter::once(first.to_string())
                .chain(rest.split('/').map(|k| format!("{prefix}.{k}")))
                .filter_map(|k| self.0.get(&k).map(String::as_str))
                .collect();
            named.dedup();
            if !named.is_empty() {
                return named.join(", ");
            }
        }
        DEFAULTS_SOURCE.to_string()
    }

    /// Fills in where the value of a validation error came from.
    pub(super) fn name_source(&self, error: ConfigError) -> ConfigError {
        match error {
            ConfigError::Invalid {
                key,
                value,
                source_name,
                allowed,
            } if source_name == EFFECTIVE => ConfigError::Invalid {
                source_name: self.source_of(&key),
                key,
                value,
                allowed,
            },
            other => other,
        }
    }
}

/// Merges every layer over the defaults and deserialises the result (not yet range-checked),
/// with where each value came from.
pub(super) fn merge(sources: &ConfigSources) -> Result<(Config, Provenance), ConfigError> {
    let mut provenance = Provenance::default();
    let defaults: Table = DEFAULT_CONFIG_TOML
        .parse()
        .expect("embedded config.toml parses");
    let mut merged = defaults.clone();

    let file = sources.file.clone().or_else(|| {
        sources
            .use_platform_file
            .then(super::default_config_file)
            .flatten()
            .filter(|p| p.is_file())
    });
    if let Some(path) = file {
        let table = read_file(&path)?;
        merge_table(
            &mut merged,
            &defaults,
            table,
            "",
            &path.display().to_string(),
            &mut provenance,
        )?;
    }

    for (name, raw) in &sources.env {
        let Some(suffix) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if ENV_NOT_KEYS.contains(&name.as_str()) || name.starts_with("ODDSWATCH_TEST_") {
            continue;
        }
        let Some(path) = env_key_path(&defaults, suffix) else {
            return Err(ConfigError::UnknownKey {
                key: name.clone(),
                source_name: "environment".into(),
                valid: leaf_paths(&defaults)
                    .iter()
                    .map(|p| format!("{ENV_PREFIX}{}", env_name(p)))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let default = lookup(&defaults, &path).expect("path comes from the defaults");
        let value = value_from_env(raw, default);
        set_checked(&mut merged, &defaults, &path, value, name)?;
        provenance.record(&path.join("."), &format!("environment variable {name}"));
    }

    for (key, value) in &sources.overrides {
        let path: Vec<String> = key.split('.').map(str::to_string).collect();
        let source_name = format!("flag for {key}");
        set_checked(&mut merged, &defaults, &path, value.clone(), &source_name)?;
        provenance.record(key, &source_name);
    }

    let config = Config::deserialize_table(merged, &provenance)?;
    Ok((config, provenance))
}

impl Config {
    /// Deserialises the merged table. The types were checked while merging, so what fails here
    /// is a number its field cannot hold (`interval_secs = -5`): the message names the key, the
    /// value, its source and the documented range.
    fn deserialize_table(table: Table, provenance: &Provenance) -> Result<Config, ConfigError> {
        serde_path_to_error::deserialize(Value::Table(table.clone())).map_err(|e| {
            let key = e.path().to_string();
            let path: Vec<String> = key.split('.').map(str::to_string).collect();
            let value = lookup(&table, &path)
                .map(Value::to_string)
                .unwrap_or_default();
            let inner = e.into_inner().to_string();
            // toml appends "in `key`" on a second line; the key is named already.
            let inner = inner.lines().next().unwrap_or_default().to_string();
            let allowed = super::validate::documented_range(&key)
                .map(|range| format!("must be {range}"))
                .or_else(|| type_range(&inner))
                .unwrap_or(inner);
            ConfigError::Invalid {
                source_name: provenance.source_of(&key),
                key,
                value,
                allowed,
            }
        })
    }
}

/// The range of the integer type serde named (`expected u16`), for keys without a documented one.
fn type_range(message: &str) -> Option<String> {
    let first_line = message.lines().next()?;
    let (_, expected) = first_line.rsplit_once("expected ")?;
    let max = match expected.trim() {
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" => i64::MAX as u64,
        _ => return None,
    };
    Some(format!("must be a whole number between 0 and {max}"))
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<Table>().map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Overlays `overlay` onto `target`, checking every key and type against `defaults`.
fn merge_table(
    target: &mut Table,
    defaults: &Table,
    overlay: Table,
    prefix: &str,
    source_name: &str,
    provenance: &mut Provenance,
) -> Result<(), ConfigError> {
    for (key, value) in overlay {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(default) = defaults.get(&key) else {
            return Err(ConfigError::UnknownKey {
                key: dotted,
                source_name: source_name.into(),
                valid: defaults.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        match (default, value) {
            (Value::Table(default_sub), Value::Table(sub)) => {
                let target_sub = target
                    .get_mut(&key)
                    .and_then(Value::as_table_mut)
                    .expect("target mirrors the defaults' tables");
                merge_table(
                    target_sub,
                    default_sub,
                    sub,
                    &dotted,
                    source_name,
                    provenance,
                )?;
            }
            (default, value) => {
                let value = coerce(&dotted, default, value, source_name)?;
                target.insert(key, value);
                provenance.record(&dotted, source_name);
            }
        }
    }
    Ok(())
}

fn set_checked(
    target: &mut Table,
    defaults: &Table,
    path: &[String],
    value: Value,
    source_name: &str,
) -> Result<(), ConfigError> {
    let dotted = path.join(".");
    let Some(default) = lookup(defaults, path) else {
        return Err(ConfigError::UnknownKey {
            key: dotted,
            source_name: source_name.into(),
            valid: leaf_paths(defaults)
                .iter()
                .map(|p| p.join("."))
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let value = coerce(&dotted, default, value, source_name)?;
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut table = target;
    for part in parents {
        table = table
            .get_mut(part)
            .and_then(Value::as_table_mut)
            .expect("target mirrors the defaults' tables");
    }
    table.insert(last.clone(), value);
    Ok(())
}

/// Checks that `value` has the type of `default`, widening integers to floats.
fn coerce(
    key: &str,
    default: &Value,
    value: Value,
    source_name: &str,
) -> Result<Value, ConfigError> {
    let mismatch = |value: &Value, expected: &str| ConfigError::Invalid {
        key: key.into(),
        value: value.to_string(),
        source_name: source_name.into(),
        allowed: match super::validate::documented_range(key) {
            Some(range) => format!("expected {expected} {range}"),
            None => format!("expected {expected}"),
        },
    };
    match (default, value) {
        (Value::Float(_), Value::Integer(i)) => Ok(Value::Float(i as f64)),
        (Value::Array(items), Value::Array(values)) => {
            let element = items.first();
            for v in &values {
                if let Some(e) = element
                    && std::mem::discriminant(e) != std::mem::discriminant(v)
                {
                    return Err(mismatch(
                        &Value::Array(values.clone()),
                        &format!("a list of {}", e.type_str()),
                    ));
                }
            }
            Ok(Value::Array(values))
        }
        (Value::Table(_), v) => Err(mismatch(&v, "a table")),
        (d, v) if std::mem::discriminant(d) == std::mem::discriminant(&v) => Ok(v),
        (d, v) => Err(mismatch(&v, d.type_str())),
    }
}

fn lookup<'a>(table: &'a Table, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let value = table.get(first)?;
    if rest.is_empty() {
        Some(value)
    } else {
        lookup(value.as_table()?, rest)
    }
}

/// Every leaf key path of a table, e.g. `["database", "url"]`.
fn leaf_paths(table: &Table) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (key, value) in table {
        match value {
            Value::Table(sub) => {
                for mut path in leaf_paths(sub) {
                    path.insert(0, key.clone());
                    out.push(path);
                }
            }
            _ => out.push(vec![key.clone()]),
        }
    }
    out
}

fn env_name(path: &[String]) -> String {
    path.join("_").to_ascii_uppercase()
}

/// Finds the key path whose environment name is `suffix` (e.g. `DATABASE_URL`).
fn env_key_path(defaults: &Table, suffix: &str) -> Option<Vec<String>> {
    leaf_paths(defaults)
        .into_iter()
        .find(|p| env_name(p) == suffix)
}

/// Reads an environment string as the default's type: strings stay strings, everything else is
/// parsed as a TOML value (`8`, `true`, `["3743","5000"]`), falling back to a string so the type
/// check reports it.
fn value_from_env(raw: &str, default: &Value) -> Value {
    if default.is_str() {
        return Value::String(raw.to_string());
    }
    format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}
