//! The market screen's reads (issue 16): an event's board and any of its markets' history.
//!
//! The board must agree with the alerts, so it is built with the detector's own rules: the
//! configuration the service was given ([`AlertService::with_config`]; the built-in defaults
//! otherwise) with the settings overrides stored in the database applied on every read, as the
//! pipeline applies them every cycle — a threshold a trader edits shows on the next board.
//! Unreadable or invalid overrides are reported in the log and the configured rules used, as
//! the pipeline does.

use std::sync::{Arc, LazyLock};

use chrono::Duration;

use super::reads::MAX_HISTORY_ROWS;
use super::{AlertService, ServiceError, check_limit, check_text};
use crate::config::Config;
use crate::detect::Rules;
use crate::detect::market::board::build;
use crate::domain::{Line, MarketBoard, PricePoint};

/// The configuration of a service built without one: `config.toml`'s defaults, read once.
static DEFAULTS: LazyLock<Arc<Config>> = LazyLock::new(|| Arc::new(Config::defaults()));

/// Longest market id accepted (canonical ids are a few digits).
const MAX_MARKET_ID_CHARS: usize = 64;

impl AlertService {
    /// The same service reading the market board with `config`'s detection rules and books
    /// (the primary markets, the §9 thresholds, the enabled competitors).
    pub fn with_config(mut self, config: Arc<Config>) -> Self {
        self.config = Some(config);
        self
    }

    /// The configuration in effect now: the given one (or the defaults) with the stored
    /// settings overrides applied.
    async fn effective_config(&self) -> Arc<Config> {
        let base = self.config.clone().unwrap_or_else(|| DEFAULTS.clone());
        let overrides = match self.store.setting_overrides().await {
            Ok(overrides) if overrides.is_empty() => return base,
            Ok(overrides) => overrides,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read settings overrides; the market board uses the configured rules");
                return base;
            }
        };
        match crate::config::apply_overrides(&base, &overrides) {
            Ok(config) => Arc::new(config),
            Err(e) => {
                tracing::warn!(error = %e, "invalid settings override; the market board uses the configured rules");
                base
            }
        }
    }

    /// The board of an event: its primary markets × line × outcome on every book, with margins,
    /// consensus fair odds and the home book's edge (DESIGN §9), by the stored current odds.
    pub async fn market_board(&self, event_id: i64) -> Result<MarketBoard, ServiceError> {
        check_event_id(event_id)?;
        let config = self.effective_config().await;
        let mut primary: Vec<String> = Vec::new();
        for id in config.detection.primary_markets.iter().map(|m| m.trim()) {
            if !id.is_empty() && !primary.iter().any(|p| p == id) {
                primary.push(id.to_string());
            }
        }
        let rules = Rules::from_config(&config.detection).market;
        let mut odds = self.store.event_odds(event_id, &primary).await?;
        // Home is the book the pipeline scrapes as home (the config's), not the `bookmakers`
        // table's flag, which only ever names betpawa: with another home book the board would
        // count our own prices as a competitor's and show edges the alerts never raise.
        if let Some(home) = config.pipeline_home_book() {
            for row in &mut odds {
                row.odds.is_home = row.odds.bookmaker == home;
            }
        }
        Ok(build(
            event_id,
            odds,
            &primary,
            enabled_competitors(&config),
            &rules,
        ))
    }

    /// The recorded prices of one market (and line) of an event over the last `window`, on every
    /// book, oldest first, at most `limit` rows (the newest ones when there are more).
    pub async fn market_history(
        &self,
        event_id: i64,
        market_id: &str,
        line: Option<Line>,
        window: Duration,
        limit: u32,
    ) -> Result<Vec<PricePoint>, ServiceError> {
        check_event_id(event_id)?;
        check_text("market", market_id, MAX_MARKET_ID_CHARS)?;
        check_limit("limit", limit, MAX_HISTORY_ROWS)?;
        if window <= Duration::zero() {
            return Err(ServiceError::InvalidArgument {
                name: "window",
                value: format!("{}s", window.num_seconds()),
                allowed: "a positive duration".into(),
            });
        }
        let since = self.now() - window;
        Ok(self
            .store
            .price_history(event_id, market_id, line, since, limit)
            .await?)
    }
}

/// Event ids are positive database ids.
fn check_event_id(event_id: i64) -> Result<(), ServiceError> {
    if event_id < 1 {
        return Err(ServiceError::InvalidArgument {
            name: "event",
            value: event_id.to_string(),
            allowed: "an event id (a positive whole number)".into(),
        });
    }
    Ok(())
}

/// The competitors the detector counts as enabled (DESIGN §9's `consensus_min_books` bar), by
/// the pipeline's own rule: every enabled book but the home book, or no lowering at all when a
/// multi-book feed is enabled.
fn enabled_competitors(config: &Config) -> usize {
    crate::pipeline::cycle::competitors_enabled(
        config
            .books
            .iter()
            .filter(|(_, b)| b.enabled)
            .map(|(slug, _)| slug.as_str()),
        config.home_book().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_books_enable_two_competitors() {
        assert_eq!(enabled_competitors(&Config::defaults()), 2);
        let mut config = Config::defaults();
        if let Some(b) = config.books.get_mut("bet9ja") {
            b.enabled = false;
        }
        assert_eq!(enabled_competitors(&config), 1);
    }

    #[test]
    fn event_ids_must_be_positive() {
        assert!(check_event_id(1).is_ok());
        let e = check_event_id(0).unwrap_err().to_string();
        assert!(
            e.contains("invalid event 0") && e.contains("positive"),
            "{e}"
        );
    }
}
