//! How one book is fetched: timeouts, the call deadline, concurrency, spacing, retries and their
//! backoff, size caps and the breaker threshold. [`super::http::BookClient`] applies it.

use std::time::Duration;

use rand::Rng;

use crate::config::BookConfig;

/// How one book is fetched. Built from [`BookConfig`]; the backoff knobs are not in the config
/// (sensible constants) but tests shorten them.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpPolicy {
    /// Whole-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Minimum spacing between the starts of two requests.
    pub delay: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Largest body accepted, checked while streaming.
    pub max_body_bytes: u64,
    /// First backoff; doubles with each retry.
    pub backoff_base: Duration,
    /// Backoff ceiling.
    pub backoff_max: Duration,
    /// Ceiling on a server's `Retry-After`, so one header cannot stall a cycle for hours.
    pub retry_after_max: Duration,
    /// The most one call may take: every attempt, backoff, `Retry-After` wait and body byte.
    pub deadline: Duration,
    /// Consecutive failed calls that open the book's circuit breaker.
    pub breaker_failures: u32,
    /// Body bytes of the book's responses held at once while reading.
    pub max_inflight_bytes: u64,
}

impl HttpPolicy {
    /// The policy a book's configuration asks for.
    pub fn from_book(config: &BookConfig) -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(config.timeout_secs),
            concurrency: config.concurrency.max(1) as usize,
            delay: Duration::from_millis(config.delay_ms),
            retries: config.retries,
            max_body_bytes: config.max_body_bytes,
            deadline: Duration::from_secs(config.deadline_secs),
            breaker_failures: config.breaker_failures,
            max_inflight_bytes: config.max_inflight_bytes,
            ..HttpPolicy::default()
        }
    }

    /// The wait before retry number `retry` (0-based): exponential with "equal jitter" (half
    /// fixed, half random) so that many clients do not retry in lockstep, and never shorter than
    /// the server's `Retry-After` (capped).
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry.min(16)))
            .min(self.backoff_max);
        let half = exp / 2;
        let jitter = rand::thread_rng().gen_range(0..=half.as_micros() as u64);
        let wait = half + Duration::from_micros(jitter);
        match retry_after {
            Some(server) => wait.max(server.min(self.retry_after_max)),
            None => wait,
        }
    }
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(20),
            concurrency: 8,
            delay: Duration::ZERO,
            retries: 3,
            max_body_bytes: 16 << 20,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            retry_after_max: Duration::from_secs(60),
            deadline: Duration::from_secs(45),
            breaker_failures: 10,
            max_inflight_bytes: 32 << 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds() {
        let policy = HttpPolicy {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            ..HttpPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(0, None);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first));
            let third = policy.backoff(2, None);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&third));
            let capped = policy.backoff(10, None);
            assert!((Duration::from_millis(500)..=Duration::from_secs(1)).contains(&capped));
        }
    }

    #[test]
    fn backoff_honours_retry_after_up_to_its_ceiling() {
        let policy = HttpPolicy {
            backoff_base: Duration::from_millis(1),
            retry_after_max: Duration::from_secs(30),
            ..HttpPolicy::default()
        };
        assert!(policy.backoff(0, Some(Duration::from_secs(5))) >= Duration::from_secs(5));
        assert_eq!(
            policy.backoff(0, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
    }
}
