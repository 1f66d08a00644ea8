//! Range checks that types alone cannot express.

use super::{Config, ConfigError};

fn invalid(key: &str, value: impl ToString, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        source_name: "effective config".into(),
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
    if c.log.level.trim().is_empty()
        || tracing_subscriber::EnvFilter::try_new(c.log.level.trim()).is_err()
    {
        return Err(invalid(
            "log.level",
            &c.log.level,
            "must be error, warn, info, debug, trace or a tracing filter such as \"oddswatch=debug\"",
        ));
    }
    in_range("scrape.interval_secs", c.scrape.interval_secs, 1, 86_400)?;

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
    in_range(
        "retention.past_alert_days",
        c.retention.past_alert_days,
        1,
        3650,
    )?;
    in_range("retention.history_days", c.retention.history_days, 1, 3650)?;
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
    super::ui::validate(&c.ui)?;
    Ok(())
}
