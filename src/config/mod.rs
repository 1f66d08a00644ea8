//! Layered configuration: built-in defaults (the repo's `config.toml`, embedded) < config file <
//! `ODDSWATCH_*` environment < command-line flags. Every value is validated once, at start, with
//! a message naming the key, the value and what is allowed.

mod bindings;
mod layers;
mod log_format;
mod notify;
mod overrides;
mod secret;
mod ui;
mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use bindings::{BindingError, Bindings, Command, Key, KeyName, Palette, Theme};
pub use layers::{ConfigError, ConfigSources, DEFAULT_CONFIG_TOML};
pub use log_format::LogFormat;
pub use notify::{NotifyConfig, NotifyFormat, NotifyTarget, RuleProblem, redact_webhook_url};
pub use overrides::{OVERRIDABLE_KEYS, apply_overrides, current_value};
pub use secret::{Secret, redact_url};
pub use ui::UiConfig;

/// The whole effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name recorded on acknowledgements; empty means `$USER`.
    pub user: String,
    /// Where alerts live.
    pub database: DatabaseConfig,
    /// Log file and level.
    pub log: LogConfig,
    /// Cycle scheduling.
    pub scrape: ScrapeConfig,
    /// Risk rules.
    pub detection: DetectionConfig,
    /// How long things are kept.
    pub retention: RetentionConfig,
    /// Folding repeated detections (DESIGN §10).
    pub noise: NoiseConfig,
    /// The HTTP API.
    pub api: ApiConfig,
    /// Webhook notifications (DESIGN §12).
    #[serde(default)]
    pub notify: NotifyConfig,
    /// The simulated bookmakers.
    pub sim: SimConfig,
    /// Feeds, by book slug.
    pub books: BTreeMap<String, BookConfig>,
    /// The terminal UI.
    pub ui: UiConfig,
}

/// `[database]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty means the SQLite file in the data dir.
    pub url: Secret,
    /// Pool size of the one-shot commands (`alerts`, `export`, `demo-data`, …); the long-running
    /// roles have their own sizes in [`DatabaseConfig::pool`].
    pub max_connections: u32,
    /// Pool sizes per role (DESIGN §11's connection budget).
    #[serde(default)]
    pub pool: PoolConfig,
}

/// `[database.pool]`: connections each long-running role may hold. A desk of 40 traders, three
/// scrapers and one API fits PostgreSQL's default `max_connections = 100` with these defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// An attached terminal UI (`oddswatch tui`): its query pool. On PostgreSQL it holds one more
    /// connection for `LISTEN`, so the default UI uses two.
    pub ui: u32,
    /// A scraper daemon (`oddswatch scrape`, and the pipeline of the zero set-up `oddswatch`).
    pub scrape: u32,
    /// The HTTP API (`oddswatch serve`, or the API of `scrape` when `api.enabled`); its live stream
    /// holds one more connection for `LISTEN` on PostgreSQL.
    pub api: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            ui: 1,
            scrape: 4,
            api: 4,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Level or tracing filter directive.
    pub level: String,
    /// Folder of the log file; empty means `<data dir>/logs`.
    pub dir: String,
    /// `text` or `json` (one object per line); config files older than the key get text.
    #[serde(default)]
    pub format: LogFormat,
}

/// `[scrape]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    /// Seconds between cycle starts.
    pub interval_secs: u64,
    /// Run the simulator in-process and point every book at it.
    pub simulator: bool,
    /// Shards the events are split into by a stable hash of their SportRadar id (DESIGN §11).
    /// Every daemon on one database must use the same number.
    #[serde(default = "default_shards")]
    pub shards: u16,
    /// Seconds a shard's lease lasts without renewal; 0 means three intervals. A daemon renews
    /// its leases every cycle; when it dies, the others take its shards once they expire.
    #[serde(default)]
    pub lease_secs: u64,
    /// Where `oddswatch scrape` serves `/metrics` (Prometheus text); empty serves none. A
    /// non-loopback address requires `api.token`.
    #[serde(default = "default_metrics_bind")]
    pub metrics_bind: String,
}

fn default_shards() -> u16 {
    crate::domain::DEFAULT_SHARDS
}

fn default_metrics_bind() -> String {
    "127.0.0.1:9464".into()
}

impl ScrapeConfig {
    /// How long a lease lasts: `lease_secs`, or three intervals when it is 0.
    pub fn lease_duration(&self) -> std::time::Duration {
        let secs = if self.lease_secs == 0 {
            self.interval_secs.saturating_mul(3)
        } else {
            self.lease_secs
        };
        std::time::Duration::from_secs(secs)
    }
}

/// `[detection]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Raise alerts at all.
    pub enabled: bool,
    /// Warning threshold on |change %|.
    pub warning_pct: f64,
    /// Elevated threshold on |change %|.
    pub elevated_pct: f64,
    /// Critical threshold on |change %|.
    pub critical_pct: f64,
    /// Smallest move in decimal odds that counts for direction disagreement.
    pub direction_min_move: f64,
    /// Canonical market ids that raise alerts.
    pub primary_markets: Vec<String>,
    /// Only alert on home markets a competitor priced this cycle.
    pub require_competitor: bool,
    /// Percent (1–100) of its markets a book may lose in one cycle before that is treated as a
    /// feed problem (no availability alerts from it, a health warning); also the share of an
    /// event's markets above which their loss is one event-level alert.
    pub mass_vanish_pct: u32,
    /// Raise `price_change` and `availability` for competitor books too (DESIGN §9), on
    /// primary markets, without the matched-market filter.
    pub competitor_alerts: bool,
    /// Smallest |change %| (0.01–100) that counts as a competitor move for `market_move`, and
    /// as the home book following it.
    pub consensus_min_move_pct: f64,
    /// Competitors (1–50) that must move together for `market_move`, or price the complete
    /// market for `off_market`; lowered to the enabled competitors when fewer are enabled.
    pub consensus_min_books: u32,
    /// `off_market` warning band on the bettor's edge, in %.
    pub off_market_warning_pct: f64,
    /// `off_market` elevated band, in %.
    pub off_market_elevated_pct: f64,
    /// `off_market` critical band, in %.
    pub off_market_critical_pct: f64,
    /// The home book's margin on a complete market below this (0–100 %) is a `margin` warning;
    /// below 0 it is critical.
    pub margin_floor_pct: f64,
}

/// `[retention]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days past alerts are kept after kickoff.
    pub past_alert_days: u32,
    /// Days of price history kept.
    pub history_days: u32,
}

/// `[noise]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseConfig {
    /// One open alert per identity: further detections update it and are kept as occurrences.
    pub dedup: bool,
    /// Minutes (0–1440) after an acknowledgement during which detections of the same identity
    /// are recorded as occurrences of it instead of opening a new alert.
    pub cooldown_mins: u32,
}

impl NoiseConfig {
    /// The policy the store applies when it writes a cycle's alerts.
    pub fn policy(&self) -> crate::domain::NoisePolicy {
        crate::domain::NoisePolicy {
            dedup: self.dedup,
            cooldown: chrono::Duration::minutes(i64::from(self.cooldown_mins)),
        }
    }
}

/// `[api]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Serve the API alongside the pipeline.
    pub enabled: bool,
    /// Listen address.
    pub bind: String,
    /// Bearer token; empty means none (only allowed on loopback).
    pub token: Secret,
}

/// `[sim]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Port of `oddswatch sim`.
    pub port: u16,
    /// Seed of the market model.
    pub seed: u64,
    /// Number of simulated events.
    pub events: u32,
    /// Fraction of faulty responses.
    pub fault_rate: f64,
}

/// `[books.<slug>]`: one feed and its HTTP policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    /// Scrape this book.
    pub enabled: bool,
    /// This is the home book.
    pub home: bool,
    /// Scheme, host and optional port of the feed.
    pub base_url: String,
    /// Per-request timeout.
    pub timeout_secs: u64,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// Pause between two requests.
    pub delay_ms: u64,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Largest response body accepted.
    pub max_body_bytes: u64,
    /// The most one call may take, retries, waits and body included.
    pub deadline_secs: u64,
    /// How long one cycle may wait for this book alone.
    pub budget_secs: u64,
    /// Consecutive failed calls that open the book's circuit breaker.
    pub breaker_failures: u32,
    /// Body bytes of the book's responses held at once while reading.
    pub max_inflight_bytes: u64,
    /// API key (The Odds API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// Sport keys (The Odds API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sports: Option<Vec<String>>,
    /// Which bookmaker of a multi-book feed is the home book (The Odds API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_bookmaker: Option<String>,
    /// Stop polling below this many remaining requests (The Odds API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_quota_remaining: Option<u32>,
}

impl Config {
    /// Loads and validates the configuration from all layers.
    pub fn load(sources: &ConfigSources) -> Result<Config, ConfigError> {
        let (mut config, provenance) = layers::merge(sources)?;
        validate::validate(&config).map_err(|e| provenance.name_source(e))?;
        let is_user = |command: &str| provenance.is_set(&format!("ui.keys.{command}"));
        config.ui.bindings =
            ui::bindings(&config.ui, is_user).map_err(|e| provenance.name_source(e))?;
        Ok(config)
    }

    /// The built-in defaults alone (what `config.toml` says).
    pub fn defaults() -> Config {
        Config::load(&ConfigSources::defaults_only()).expect("the embedded config.toml is valid")
    }

    /// The acting user for acknowledgements: `user`, else `$USER` or `$LOGNAME`, else `"unknown"`.
    pub fn acting_user(&self) -> String {
        let configured = self.user.trim();
        if !configured.is_empty() {
            return configured.to_string();
        }
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|u| !u.trim().is_empty()))
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// The home book's slug: the book with `home = true` (an enabled one first; validation
    /// allows exactly one enabled), or `None` when no book is marked home.
    pub fn home_book(&self) -> Option<&str> {
        self.books
            .iter()
            .filter(|(_, b)| b.home)
            .min_by_key(|(_, b)| !b.enabled)
            .map(|(slug, _)| slug.as_str())
    }

    /// The book the pipeline treats as home, as it decides at start: the enabled book marked
    /// `home`, else the `home_bookmaker` of an enabled multi-book feed (The Odds API), else any
    /// book marked `home`. The market screen marks the same book home, so its edges are the
    /// alerts' edges.
    pub fn pipeline_home_book(&self) -> Option<String> {
        let enabled = || self.books.iter().filter(|(_, b)| b.enabled);
        enabled()
            .find(|(_, b)| b.home)
            .map(|(slug, _)| slug.clone())
            .or_else(|| {
                enabled().find_map(|(slug, b)| {
                    (crate::sources::FeedKind::from_slug(slug)
                        == Some(crate::sources::FeedKind::TheOddsApi))
                    .then(|| b.home_bookmaker.clone())
                    .flatten()
                })
            })
            .or_else(|| self.home_book().map(str::to_string))
    }

    /// The effective database URL: the configured one, or SQLite in the platform data dir.
    pub fn database_url(&self) -> String {
        let configured = self.database.url.expose().trim();
        if configured.is_empty() {
            format!("sqlite://{}", data_dir().join("oddswatch.db").display())
        } else {
            configured.to_string()
        }
    }

    /// The folder of the log file.
    pub fn log_dir(&self) -> PathBuf {
        if self.log.dir.trim().is_empty() {
            data_dir().join("logs")
        } else {
            PathBuf::from(self.log.dir.trim())
        }
    }

    /// The effective configuration as TOML with every secret redacted. The database URL keeps
    /// everything but its password, so an operator can still see where it points.
    pub fn to_redacted_toml(&self) -> String {
        // `Secret` serialises as "<redacted>"; only the URL is shown, minus its password.
        let mut value = toml::Value::try_from(self).expect("the config serialises to TOML");
        if let Some(url) = value.get_mut("database").and_then(|d| d.get_mut("url")) {
            *url = toml::Value::String(redact_url(self.database.url.expose()));
        }
        let targets = value
            .get_mut("notify")
            .and_then(|n| n.get_mut("targets"))
            .and_then(toml::Value::as_array_mut);
        for (shown, target) in targets.into_iter().flatten().zip(&self.notify.targets) {
            if let Some(url) = shown.get_mut("url") {
                *url = toml::Value::String(redact_webhook_url(target.url.expose()));
            }
        }
        toml::to_string_pretty(&value).expect("a TOML value prints")
    }
}

/// The platform data dir (`~/.local/share/oddswatch` on Linux), or `./.oddswatch` if the
/// platform has none.
pub fn data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "oddswatch")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".oddswatch"))
}

/// The platform config file (`~/.config/oddswatch/config.toml` on Linux), if the platform has one.
pub fn default_config_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "oddswatch").map(|d| d.config_dir().join("config.toml"))
}

#[cfg(test)]
pub(crate) mod tests;
