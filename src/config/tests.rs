use std::io::Write;

use super::*;

/// Sources of the environment `pairs` only.
pub(crate) fn env(pairs: &[(&str, &str)]) -> ConfigSources {
    ConfigSources {
        env: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ConfigSources::default()
    }
}

/// Loads `contents` as the config file over the defaults: the config, or the error's text.
pub(crate) fn load_file(contents: &str) -> Result<Config, String> {
    let (_file, sources) = with_file(contents);
    Config::load(&sources).map_err(|e| e.to_string())
}

fn with_file(contents: &str) -> (tempfile::NamedTempFile, ConfigSources) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    let sources = ConfigSources {
        file: Some(file.path().to_path_buf()),
        ..ConfigSources::default()
    };
    (file, sources)
}

fn error_of(sources: &ConfigSources) -> String {
    Config::load(sources).unwrap_err().to_string()
}

#[test]
fn embedded_defaults_are_the_documented_ones() {
    let c = Config::defaults();
    assert_eq!(c.detection.warning_pct, 7.0);
    assert_eq!(c.detection.elevated_pct, 10.0);
    assert_eq!(c.detection.critical_pct, 15.0);
    assert_eq!(c.retention.past_alert_days, 7);
    assert_eq!(c.scrape.interval_secs, 10);
    assert!(c.scrape.simulator);
    assert!(c.books["betpawa"].home);
    assert_eq!(
        c.detection.primary_markets,
        ["3743", "4693", "3795", "5000", "3774"]
    );
}

#[test]
fn file_overrides_defaults_and_env_overrides_file_and_flags_override_env() {
    let (_f, mut sources) = with_file("[detection]\nwarning_pct = 5\nelevated_pct = 9.5\n");
    let c = Config::load(&sources).unwrap();
    assert_eq!(c.detection.warning_pct, 5.0);
    assert_eq!(c.detection.elevated_pct, 9.5);

    sources.env = vec![("ODDSWATCH_DETECTION_WARNING_PCT".into(), "6".into())];
    assert_eq!(Config::load(&sources).unwrap().detection.warning_pct, 6.0);

    sources.overrides = vec![("detection.warning_pct".into(), toml::Value::Float(4.0))];
    assert_eq!(Config::load(&sources).unwrap().detection.warning_pct, 4.0);
}

#[test]
fn database_url_comes_from_the_environment() {
    let c = Config::load(&env(&[(
        "ODDSWATCH_DATABASE_URL",
        "postgres://u:pw@localhost/odds",
    )]))
    .unwrap();
    assert_eq!(c.database_url(), "postgres://u:pw@localhost/odds");
}

#[test]
fn empty_database_url_means_sqlite_in_the_data_dir() {
    let url = Config::defaults().database_url();
    assert!(
        url.starts_with("sqlite://") && url.ends_with("oddswatch.db"),
        "{url}"
    );
}

#[test]
fn thresholds_out_of_order_are_rejected_naming_the_rule() {
    let err = error_of(&env(&[("ODDSWATCH_DETECTION_ELEVATED_PCT", "20")]));
    assert!(
        err.contains("0 < warning < elevated < critical <= 100"),
        "{err}"
    );
    assert!(err.contains("7/20/15"), "{err}");
}

#[test]
fn unknown_file_key_is_an_error_naming_it_and_the_valid_keys() {
    let (_f, sources) = with_file("[detection]\nwarnng_pct = 5\n");
    let err = error_of(&sources);
    assert!(err.contains("detection.warnng_pct"), "{err}");
    assert!(err.contains("warning_pct"), "{err}");
}

#[test]
fn unknown_section_is_an_error() {
    let (_f, sources) = with_file("[detektion]\nenabled = true\n");
    assert!(error_of(&sources).contains("unknown config key `detektion`"));
}

#[test]
fn unknown_environment_variable_is_an_error() {
    let err = error_of(&env(&[("ODDSWATCH_DATABSE_URL", "sqlite://x.db")]));
    assert!(err.contains("ODDSWATCH_DATABSE_URL"), "{err}");
    assert!(err.contains("ODDSWATCH_DATABASE_URL"), "{err}");
}

#[test]
fn wrong_type_names_key_value_and_expected_type() {
    let (_f, sources) = with_file("[retention]\npast_alert_days = \"a week\"\n");
    let err = error_of(&sources);
    assert!(err.contains("retention.past_alert_days"), "{err}");
    assert!(err.contains("a week"), "{err}");
    assert!(err.contains("expected integer"), "{err}");
}

#[test]
fn out_of_range_values_say_what_is_allowed() {
    let err = error_of(&env(&[("ODDSWATCH_RETENTION_PAST_ALERT_DAYS", "0")]));
    assert!(err.contains("retention.past_alert_days = 0"), "{err}");
    assert!(err.contains("between 1 and 3650"), "{err}");
    let err = error_of(&env(&[("ODDSWATCH_DATABASE_URL", "mysql://localhost/x")]));
    assert!(
        err.contains("database.url") && err.contains("sqlite://"),
        "{err}"
    );
}

#[test]
fn bad_toml_syntax_reports_the_file() {
    let (f, sources) = with_file("[detection\nwarning_pct = 5\n");
    let err = error_of(&sources);
    assert!(err.contains(&f.path().display().to_string()), "{err}");
}

#[test]
fn missing_explicit_config_file_is_an_error() {
    let sources = ConfigSources {
        file: Some("/nonexistent/oddswatch.toml".into()),
        ..Default::default()
    };
    assert!(error_of(&sources).contains("cannot read config file /nonexistent/oddswatch.toml"));
}

#[test]
fn secrets_never_show_in_debug_or_print() {
    let sources = env(&[
        (
            "ODDSWATCH_DATABASE_URL",
            "postgres://trader:hunter2@db:5432/odds",
        ),
        ("ODDSWATCH_BOOKS_THEODDSAPI_API_KEY", "abcdef123456"),
    ]);
    let c = Config::load(&sources).unwrap();
    let debug = format!("{c:?}");
    let printed = c.to_redacted_toml();
    for shown in [&debug, &printed] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("abcdef123456"), "{shown}");
    }
    assert!(
        printed.contains("postgres://trader:<redacted>@db:5432/odds"),
        "{printed}"
    );
    assert_eq!(
        c.database.url.expose(),
        "postgres://trader:hunter2@db:5432/odds"
    );
}

#[test]
fn printed_config_parses_back_to_the_same_values() {
    let c = Config::defaults();
    let printed = c.to_redacted_toml();
    let (_f, sources) = with_file(&printed);
    assert_eq!(Config::load(&sources).unwrap(), c);
}

#[test]
fn redact_url_handles_users_without_password_and_query_passwords() {
    assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    assert_eq!(
        redact_url("postgres://h/db?user=u&password=p"),
        "postgres://h/db?user=u&password=<redacted>"
    );
}

#[test]
fn exactly_one_enabled_home_book_is_required() {
    let err = error_of(&env(&[("ODDSWATCH_BOOKS_SPORTYBET_HOME", "true")]));
    assert!(err.contains("exactly one enabled book"), "{err}");
}

#[test]
fn the_api_binds_loopback_by_default_and_needs_a_token_elsewhere() {
    assert_eq!(Config::defaults().api.bind, "127.0.0.1:8080");
    let err = error_of(&env(&[("ODDSWATCH_API_BIND", "0.0.0.0:8080")]));
    assert!(
        err.contains("api.bind") && err.contains("requires api.token"),
        "{err}"
    );
    let ok = Config::load(&env(&[
        ("ODDSWATCH_API_BIND", "0.0.0.0:8080"),
        ("ODDSWATCH_API_TOKEN", "s3cret"),
    ]))
    .unwrap();
    assert!(!format!("{ok:?}").contains("s3cret"));
    assert!(error_of(&env(&[("ODDSWATCH_API_BIND", "localhost")])).contains("with a port"));
}

#[test]
fn a_negative_count_names_key_value_file_and_range() {
    let (f, sources) = with_file("[scrape]\ninterval_secs = -5\n");
    let err = error_of(&sources);
    assert_eq!(
        err,
        format!(
            "invalid config value scrape.interval_secs = -5 (from {}): must be between 1 and 86400",
            f.path().display()
        )
    );
    let err = error_of(&env(&[("ODDSWATCH_SIM_PORT", "-1")]));
    assert_eq!(
        err,
        "invalid config value sim.port = -1 (from environment variable ODDSWATCH_SIM_PORT): \
         must be a whole number between 0 and 65535"
    );
}

#[test]
fn range_errors_name_the_file_or_variable_the_value_came_from() {
    let err = error_of(&env(&[("ODDSWATCH_RETENTION_PAST_ALERT_DAYS", "0")]));
    assert!(
        err.contains("(from environment variable ODDSWATCH_RETENTION_PAST_ALERT_DAYS)"),
        "{err}"
    );
    let (f, sources) = with_file("[books.sportybet]\ntimeout_secs = 301\n");
    let err = error_of(&sources);
    assert!(
        err.contains(&format!(
            "books.sportybet.timeout_secs = 301 (from {})",
            f.path().display()
        )),
        "{err}"
    );
    let (f, mut sources) = with_file("[detection]\nwarning_pct = 12\n");
    sources.overrides = vec![(
        "database.url".into(),
        toml::Value::String("sqlite://x.db".into()),
    )];
    let err = error_of(&sources);
    assert!(
        err.contains(&format!("(from {})", f.path().display())),
        "{err}"
    );
    let (_f, sources) = with_file("[scrape]\ninterval_secs = \"ten\"\n");
    assert!(
        error_of(&sources).contains("expected integer between 1 and 86400"),
        "{}",
        error_of(&sources)
    );
}

#[test]
fn documented_ranges_agree_with_the_range_checks() {
    for (key, too_big) in [
        ("database.max_connections", "65"),
        ("scrape.interval_secs", "86401"),
        ("retention.past_alert_days", "3651"),
        ("retention.history_days", "3651"),
        ("sim.events", "20001"),
        ("books.betpawa.timeout_secs", "301"),
        ("books.betpawa.concurrency", "65"),
        ("books.betpawa.delay_ms", "60001"),
        ("books.betpawa.retries", "11"),
        ("books.betpawa.max_body_bytes", "1073741825"),
        ("books.betpawa.deadline_secs", "3601"),
        ("books.betpawa.budget_secs", "86401"),
        ("books.betpawa.breaker_failures", "10001"),
        ("detection.mass_vanish_pct", "101"),
    ] {
        let var = format!("ODDSWATCH_{}", key.replace('.', "_").to_ascii_uppercase());
        let err = error_of(&env(&[(&var, too_big)]));
        let range = validate::documented_range(key).unwrap();
        assert!(err.contains(range), "{key}: {err} vs {range}");
        let err = error_of(&env(&[(&var, "-1")]));
        assert!(err.contains(range), "{key}: {err} vs {range}");
    }
}

#[test]
fn an_unknown_log_level_is_refused_listing_the_valid_ones() {
    for bad in ["verbose", "oddswatch=loud", "info,chatty", "=debug"] {
        let err = error_of(&env(&[("ODDSWATCH_LOG_LEVEL", bad)]));
        assert!(
            err.contains("log.level") && err.contains("off, error, warn, info, debug, trace"),
            "{bad}: {err}"
        );
    }
    for good in [
        "warn",
        "DEBUG",
        "oddswatch=debug,sqlx=warn",
        "info,hyper=off",
    ] {
        let c = Config::load(&env(&[("ODDSWATCH_LOG_LEVEL", good)]));
        assert!(c.is_ok(), "{good}: {c:?}");
    }
}

#[test]
fn the_odds_api_enabled_without_a_key_is_refused() {
    let err = error_of(&env(&[("ODDSWATCH_BOOKS_THEODDSAPI_ENABLED", "true")]));
    assert!(
        err.contains("books.theoddsapi.api_key")
            && err.contains("ODDSWATCH_BOOKS_THEODDSAPI_API_KEY"),
        "{err}"
    );
    assert!(
        Config::load(&env(&[
            ("ODDSWATCH_BOOKS_THEODDSAPI_ENABLED", "true"),
            ("ODDSWATCH_BOOKS_THEODDSAPI_API_KEY", "k3y"),
        ]))
        .is_ok()
    );
}

#[test]
fn a_malformed_database_url_is_refused_without_showing_its_password() {
    for url in [
        "postgres:trader:hunter2@db/odds",
        "postgres//trader:hunter2@db/odds",
        "mysql://trader:hunter2@db/odds",
    ] {
        let err = error_of(&env(&[("ODDSWATCH_DATABASE_URL", url)]));
        assert!(err.contains("database.url"), "{err}");
        assert!(!err.contains("hunter2"), "{url}: {err}");
    }
    for url in [
        "postgres://trader:hun/ter2@db/odds",
        "postgres://trader:hun?ter2@db/odds",
    ] {
        let c = Config::load(&env(&[("ODDSWATCH_DATABASE_URL", url)])).unwrap();
        let printed = c.to_redacted_toml();
        assert!(
            !printed.contains("hun") && !printed.contains("ter2"),
            "{printed}"
        );
    }
}

#[test]
fn slow_book_limits_have_defaults_and_their_ranges_are_checked() {
    let c = Config::defaults();
    let betpawa = &c.books["betpawa"];
    assert_eq!(
        (
            betpawa.deadline_secs,
            betpawa.budget_secs,
            betpawa.breaker_failures,
            betpawa.max_inflight_bytes
        ),
        (45, 120, 10, 32 << 20)
    );
    let (_f, sources) = with_file("[books.sportybet]\ndeadline_secs = 5\n");
    let message = error_of(&sources);
    assert!(
        message.contains("books.sportybet.deadline_secs")
            && message.contains('5')
            && message.contains("timeout_secs (20)"),
        "{message}"
    );
    let (_f, sources) = with_file("[books.bet9ja]\nbreaker_failures = 0\n");
    let message = error_of(&sources);
    assert!(
        message.contains("books.bet9ja.breaker_failures")
            && message.contains("between 1 and 10000"),
        "{message}"
    );
    let (_f, sources) = with_file("[books.betpawa]\nmax_inflight_bytes = 1024\n");
    let message = error_of(&sources);
    assert!(
        message.contains("books.betpawa.max_inflight_bytes") && message.contains("16777216"),
        "{message}"
    );
}

#[test]
fn mass_vanish_pct_defaults_to_50_and_out_of_range_names_key_value_and_range() {
    assert_eq!(Config::defaults().detection.mass_vanish_pct, 50);
    for bad in ["0", "101"] {
        let (_f, sources) = with_file(&format!("[detection]\nmass_vanish_pct = {bad}\n"));
        let err = error_of(&sources);
        assert!(err.contains("detection.mass_vanish_pct"), "{err}");
        assert!(err.contains(bad), "{err}");
        assert!(err.contains("between 1 and 100"), "{err}");
    }
    let (_f, sources) = with_file("[detection]\nmass_vanish_pct = 100\n");
    assert_eq!(
        Config::load(&sources).unwrap().detection.mass_vanish_pct,
        100
    );
}

/// The keys of `command` in the loaded bindings, as help shows them.
fn keys_of(config: &Config, command: Command) -> Vec<String> {
    config
        .ui
        .bindings
        .iter()
        .filter(|(_, c)| *c == command)
        .map(|(k, _)| k.to_string())
        .collect()
}

#[test]
fn a_users_key_wins_over_a_default_added_by_a_later_release() {
    // `m` became market's default key; a config that bound it to mark before stays valid.
    let (_file, sources) = with_file("[ui.keys]\nmark = [\"m\"]\n");
    let c = Config::load(&sources).unwrap();
    assert_eq!(keys_of(&c, Command::Mark), ["m"]);
    assert!(
        keys_of(&c, Command::Market).is_empty(),
        "market left unbound"
    );

    let (_file, sources) = with_file("[ui.keys]\nquit = [\"y\"]\n");
    let c = Config::load(&sources).unwrap();
    assert_eq!(keys_of(&c, Command::Quit), ["y"]);
    assert!(keys_of(&c, Command::CopyLine).is_empty());
    assert_eq!(keys_of(&c, Command::CopyJson), ["Y"], "other defaults stay");

    // Only the taken key goes: help keeps its other key.
    let (_file, sources) = with_file("[ui.keys]\nmark = [\"f1\"]\n");
    let c = Config::load(&sources).unwrap();
    assert_eq!(keys_of(&c, Command::Help), ["?"]);

    // The environment is a user layer too.
    let c = Config::load(&env(&[("ODDSWATCH_UI_KEYS_MARK", "[\"m\"]")])).unwrap();
    assert_eq!(keys_of(&c, Command::Mark), ["m"]);
    assert!(keys_of(&c, Command::Market).is_empty());
}

#[test]
fn two_of_the_users_own_bindings_of_one_key_stay_an_error() {
    let (_file, sources) = with_file("[ui.keys]\nmark = [\"m\"]\nquit = [\"m\"]\n");
    let err = error_of(&sources);
    assert!(
        err.contains("key \"m\" is bound to both mark and quit"),
        "{err}"
    );
}
