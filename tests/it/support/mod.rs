//! Helpers shared by the feed integration tests.
#![allow(dead_code)]

use std::time::Duration;

use oddswatch::config::{BookConfig, Secret};
use oddswatch::sources::HttpPolicy;

/// A fast policy: short timeout, millisecond backoffs, `retries` retries.
pub fn fast_policy(retries: u32) -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_secs(5),
        concurrency: 4,
        delay: Duration::ZERO,
        retries,
        max_body_bytes: 16 << 20,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        retry_after_max: Duration::from_millis(50),
        ..HttpPolicy::default()
    }
}

/// A book section pointing at `base_url`.
pub fn book_config(base_url: &str) -> BookConfig {
    BookConfig {
        enabled: true,
        home: false,
        base_url: base_url.to_string(),
        timeout_secs: 5,
        concurrency: 4,
        delay_ms: 0,
        retries: 2,
        max_body_bytes: 16 << 20,
        deadline_secs: 30,
        budget_secs: 120,
        breaker_failures: 10,
        max_inflight_bytes: 32 << 20,
        api_key: Some(Secret::new("test-key-123")),
        sports: Some(vec!["soccer_epl".into()]),
        home_bookmaker: Some("betpawa".into()),
        min_quota_remaining: Some(10),
    }
}
