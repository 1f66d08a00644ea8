//! `scrape.metrics_bind` in the configuration: its default, an old file without it, and the
//! validation messages (which name the key).

use crate::config::Config;
use crate::config::tests::{env, load_file};

#[test]
fn metrics_bind_defaults_to_loopback_9464() {
    assert_eq!(Config::defaults().scrape.metrics_bind, "127.0.0.1:9464");
}

#[test]
fn a_config_file_without_metrics_bind_still_loads_with_the_default() {
    let config = load_file("[scrape]\ninterval_secs = 30\nsimulator = true\n").unwrap();
    assert_eq!(config.scrape.interval_secs, 30);
    assert_eq!(config.scrape.metrics_bind, "127.0.0.1:9464");
    // A `[scrape]` table deserialised without the key (as an old run summary or a test
    // fixture would) gets the same default.
    let table: crate::config::ScrapeConfig =
        toml::from_str("interval_secs = 5\nsimulator = false\n").unwrap();
    assert_eq!(table.metrics_bind, "127.0.0.1:9464");
}

#[test]
fn an_empty_metrics_bind_turns_the_server_off() {
    let config = Config::load(&env(&[("ODDSWATCH_SCRAPE_METRICS_BIND", "")])).unwrap();
    assert_eq!(config.scrape.metrics_bind, "");
}

#[test]
fn a_bad_metrics_bind_is_refused_naming_the_key_and_what_is_allowed() {
    let err = Config::load(&env(&[("ODDSWATCH_SCRAPE_METRICS_BIND", "localhost")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("scrape.metrics_bind"), "{err}");
    assert!(err.contains("localhost"), "{err}");
    assert!(err.contains("address with a port"), "{err}");
}

#[test]
fn a_non_loopback_metrics_bind_needs_the_api_token() {
    let err = Config::load(&env(&[("ODDSWATCH_SCRAPE_METRICS_BIND", "0.0.0.0:9464")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("scrape.metrics_bind") && err.contains("requires api.token"),
        "{err}"
    );
    let ok = Config::load(&env(&[
        ("ODDSWATCH_SCRAPE_METRICS_BIND", "0.0.0.0:9464"),
        ("ODDSWATCH_API_TOKEN", "s3cret"),
    ]))
    .unwrap();
    assert_eq!(ok.scrape.metrics_bind, "0.0.0.0:9464");
}
