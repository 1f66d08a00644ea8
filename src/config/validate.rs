//! Range checks that types alone cannot express.

use super::{Config, ConfigError};

fn invalid(key: &str, value: impl ToString, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        source_name: super::layers::EFFECTIVE.into(),
        allowed: allowed.to_string(),
    }
}

fn in_range<T: PartialOrd + ToString>(
    key: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        let allowed = format!(
            "must be between {} and {}",
            min.to_string(),
            max.to_string()
        );
        return Err(invalid(key, value, &allowed));
    }
    Ok(())
}

/// The range of a bounded whole-number key, as the range check below states it. Used for values
/// its type rejects before that check runs (`interval_secs = -5`, `"ten"`), so those messages
/// state the same range; a test keeps the two in step.
pub(super) fn documented_range(key: &str) -> Option<&'static str> {
    let book_key = key
        .strip_prefix("books.")
        .and_then(|k| k.split_once('.'))
        .map(|(_, k)| k);
    Some(match (key, book_key) {
        ("database.max_connections", _) => "between 1 and 64",
        ("scrape.interval_secs", _) => "between 1 and 86400",
        ("scrape.shards", _) => "between 1 and 1024",
        ("database.pool.ui" | "database.pool.scrape" | "database.pool.api", _) => {
            "between 1 and 64"
        }
        ("retention.past_alert_days" | "retention.history_days", _) => "between 1 and 3650",
        ("sim.events", _) => "between 1 and 20000",
        ("noise.cooldown_mins", _) => "between 0 and 1440",
        ("detection.mass_vanish_pct", _) => "between 1 and 100",
        ("detection.consensus_min_books", _) => "between 1 and 50",
        (_, Some("timeout_secs")) => "between 1 and 300",
        (_, Some("concurrency")) => "between 1 and 64",
        (_, Some("delay_ms")) => "between 0 and 60000",
        (_, Some("retries")) => "between 0 and 10",
        (_, Some("max_body_bytes")) => "between 1024 and 1073741824",
        (_, Some("deadline_secs")) => "between 1 and 3600",
        (_, Some("budget_secs")) => "between 1 and 86400",
        (_, Some("breaker_failures")) => "between 1 and 10000",
        _ => return None,
    })
}

/// The levels `log.level` accepts, alone or after `target=`.
const LOG_LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// `log.level` is a level or comma-separated `target=level` directives. A bare word that is not
/// a level would be read by tracing as a target name and silence everything else, so it is
/// refused.
fn valid_log_level(level: &str) -> bool {
    let is_level = |l: &str| LOG_LEVELS.iter().any(|v| v.eq_ignore_ascii_case(l.trim()));
    !level.trim().is_empty()
        && tracing_subscriber::EnvFilter::try_new(level.trim()).is_ok()
        && level
            .split(',')
            .all(|directive| match directive.rsplit_once('=') {
                Some((target, l)) => !target.trim().is_empty() && is_level(l),
                None => is_level(directive),
            })
}

/// Checks every range and cross-key rule; the first violation is returned.
pub(super) fn validate(c: &Config) -> Result<(), ConfigError> {
    let url = c.database.url.expose().trim();
    let supported = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|s| url.starts_with(s));
    if !url.is_empty() && !supported {
        return Err(invalid(
            "database.url",
            super::redact_url(url),
            "must start with sqlite:// (a file) or postgres:// (a server), or be empty for the default SQLite file",
        ));
    }
    in_range(
        "database.max_connections",
        c.database.max_connections,
        1,
        64,
    )?;
    if !valid_log_level(&c.log.level) {
        return Err(invalid(
            "log.level",
            format!("{:?}", c.log.level),
            &format!(
                "must be one of {} or comma-separated target=level directives such as \"oddswatch=debug,sqlx=warn\"",
                LOG_LEVELS.join(", ")
            ),
        ));
    }
    let books: Vec<&str> = c.books.keys().map(String::as_str).collect();
    c.notify.validate(&books)?;
    in_range("scrape.interval_secs", c.scrape.interval_secs, 1, 86_400)?;
    in_range("scrape.shards", c.scrape.shards, 1, 1024)?;
    if c.scrape.lease_secs != 0 && c.scrape.lease_secs <= c.scrape.interval_secs {
        return Err(invalid(
            "scrape.lease_secs",
            c.scrape.lease_secs.to_string(),
            &format!(
                "must be 0 (three intervals) or more than scrape.interval_secs ({}): a lease \
                 shorter than a cycle expires between two renewals",
                c.scrape.interval_secs
            ),
        ));
    }
    for (key, size) in [
        ("database.pool.ui", c.database.pool.ui),
        ("database.pool.scrape", c.database.pool.scrape),
        ("database.pool.api", c.database.pool.api),
    ] {
        in_range(key, size, 1, 64)?;
    }

    let d = &c.detection;
    let thresholds_ok = 0.0 < d.warning_pct
        && d.warning_pct < d.elevated_pct
        && d.elevated_pct < d.critical_pct
        && d.critical_pct <= 100.0;
    if !thresholds_ok {
        return Err(invalid(
            "detection.warning_pct/elevated_pct/critical_pct",
            format!("{}/{}/{}", d.warning_pct, d.elevated_pct, d.critical_pct),
            "thresholds must satisfy 0 < warning < elevated < critical <= 100",
        ));
    }
    in_range(
        "detection.direction_min_move",
        d.direction_min_move,
        0.001,
        1.0,
    )?;
    in_range("detection.mass_vanish_pct", d.mass_vanish_pct, 1, 100)?;
    in_range(
        "detection.consensus_min_move_pct",
        d.consensus_min_move_pct,
        0.01,
        100.0,
    )?;
    in_range(
        "detection.consensus_min_books",
        d.consensus_min_books,
        1,
        50,
    )?;
    let off_market_ok = 0.0 < d.off_market_warning_pct
        && d.off_market_warning_pct < d.off_market_elevated_pct
        && d.off_market_elevated_pct < d.off_market_critical_pct
        && d.off_market_critical_pct <= 1000.0;
    if !off_market_ok {
        return Err(invalid(
            "detection.off_market_warning_pct/off_market_elevated_pct/off_market_critical_pct",
            format!(
                "{}/{}/{}",
                d.off_market_warning_pct, d.off_market_elevated_pct, d.off_market_critical_pct
            ),
            "bands must satisfy 0 < warning < elevated < critical <= 1000",
        ));
    }
    in_range("detection.margin_floor_pct", d.margin_floor_pct, 0.0, 100.0)?;
    if d.primary_markets.is_empty() {
        return Err(invalid(
            "detection.primary_markets",
            "[]",
            "must list at least one market id",
        ));
    }
    if let Some(bad) = d
        .primary_markets
        .iter()
        .find(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid(
            "detection.primary_markets",
            format!("{bad:?}"),
            "market ids are the home book's numeric market-type ids, e.g. \"3743\"",
        ));
    }

    match c.api.bind.parse::<std::net::SocketAddr>() {
        Err(_) => {
            return Err(invalid(
                "api.bind",
                &c.api.bind,
                "must be an address with a port, e.g. 127.0.0.1:8080",
            ));
        }
        Ok(addr) if !addr.ip().is_loopback() && c.api.token.expose().trim().is_empty() => {
            return Err(invalid(
                "api.bind",
                &c.api.bind,
                "binding a non-loopback address requires api.token (clients then send Authorization: Bearer TOKEN)",
            ));
        }
        Ok(_) => {}
    }
    validate_metrics_bind(c)?;
    in_range(
        "retention.past_alert_days",
        c.retention.past_alert_days,
        1,
        3650,
    )?;
    in_range("retention.history_days", c.retention.history_days, 1, 3650)?;
    in_range("noise.cooldown_mins", c.noise.cooldown_mins, 0, 1440)?;
    in_range("sim.events", c.sim.events, 1, 20_000)?;
    in_range("sim.fault_rate", c.sim.fault_rate, 0.0, 1.0)?;

    for (slug, book) in &c.books {
        let key = |k: &str| format!("books.{slug}.{k}");
        if !(book.base_url.starts_with("http://") || book.base_url.starts_with("https://")) {
            return Err(invalid(
                &key("base_url"),
                &book.base_url,
                "must be an http:// or https:// URL",
            ));
        }
        in_range(&key("timeout_secs"), book.timeout_secs, 1, 300)?;
        in_range(&key("concurrency"), book.concurrency, 1, 64)?;
        in_range(&key("delay_ms"), book.delay_ms, 0, 60_000)?;
        in_range(&key("retries"), book.retries, 0, 10)?;
        in_range(&key("max_body_bytes"), book.max_body_bytes, 1024, 1 << 30)?;
        // An enabled feed that needs a key would fail every request; say so at start instead.
        if book.enabled
            && book
                .api_key
                .as_ref()
                .is_some_and(|k| k.expose().trim().is_empty())
        {
            return Err(invalid(
                &key("api_key"),
                "\"\"",
                &format!(
                    "must be set while books.{slug}.enabled = true (also ODDSWATCH_BOOKS_{}_API_KEY), or disable the book",
                    slug.to_ascii_uppercase()
                ),
            ));
        }
        in_range(&key("deadline_secs"), book.deadline_secs, 1, 3600)?;
        if book.deadline_secs < book.timeout_secs {
            return Err(invalid(
                &key("deadline_secs"),
                book.deadline_secs,
                &format!(
                    "must be at least books.{slug}.timeout_secs ({}) and at most 3600",
                    book.timeout_secs
                ),
            ));
        }
        in_range(&key("budget_secs"), book.budget_secs, 1, 86_400)?;
        in_range(&key("breaker_failures"), book.breaker_failures, 1, 10_000)?;
        in_range(
            &key("max_inflight_bytes"),
            book.max_inflight_bytes,
            book.max_body_bytes,
            1 << 32,
        )?;
    }
    let homes: Vec<&String> = c
        .books
        .iter()
        .filter(|(_, b)| b.enabled && b.home)
        .map(|(s, _)| s)
        .collect();
    let any_enabled = c.books.values().any(|b| b.enabled);
    if any_enabled && homes.len() != 1 {
        return Err(invalid(
            "books.*.home",
            format!("{homes:?}"),
            "exactly one enabled book must have home = true",
        ));
    }
    Ok(())
}

/// `scrape.metrics_bind`: empty (off) or an address with a port; non-loopback only with
/// `api.token`, as `api.bind`.
fn validate_metrics_bind(c: &Config) -> Result<(), ConfigError> {
    let bind = c.scrape.metrics_bind.trim();
    if bind.is_empty() {
        return Ok(());
    }
    match bind.parse::<std::net::SocketAddr>() {
        Err(_) => Err(invalid(
            "scrape.metrics_bind",
            &c.scrape.metrics_bind,
            "must be an address with a port, e.g. 127.0.0.1:9464, or \"\" to serve no metrics",
        )),
        Ok(addr) if !addr.ip().is_loopback() && c.api.token.expose().trim().is_empty() => {
            Err(invalid(
                "scrape.metrics_bind",
                &c.scrape.metrics_bind,
                "binding a non-loopback address requires api.token (clients then send Authorization: Bearer TOKEN)",
            ))
        }
        Ok(_) => Ok(()),
    }
}
