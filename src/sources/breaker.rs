//! Per-book guards every request of a [`BookClient`](super::BookClient) passes: a circuit
//! breaker, so a dead book costs one request per cycle instead of hundreds of timeouts, and a
//! `Retry-After` gate, so a throttled book is left alone for as long as it asks, by every request
//! at once instead of each request separately.
//!
//! **Breaker.** Closed: requests go; `threshold` failed requests in a row (attempts: timeouts,
//! connection errors, 5xx, 429, 403, oversized bodies) open it. Open: requests, retries
//! included, are refused without being sent ([`FeedError::CircuitOpen`](super::FeedError)).
//! [`Breaker::next_cycle`] (called at the start of each cycle) turns open into half-open: the
//! first request of that cycle is a probe, the others are refused while it runs; its success
//! closes the breaker, its failure opens it again.
//!
//! Choices: the breaker counts attempts, not calls, so that retries of many concurrent calls
//! cannot multiply the requests sent to a failing book before it opens; answers that prove the
//! book is alive (404 "gone", 400, bodies that fail to parse) count as successes; a request
//! dropped before it finished (its call's deadline, its cycle's budget, shutdown) counts as a
//! failure, so the breaker never stays half-open with nobody probing.

use std::sync::Mutex;

use tokio::time::{Duration, Instant};

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Requests go.
    Closed,
    /// Requests are refused until the next cycle's probe.
    Open,
    /// The next request is a probe.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open,
    HalfOpen { probing: bool },
}

/// One book's circuit breaker.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    state: Mutex<State>,
}

/// A request let through; report its outcome with [`Pass::succeeded`] or [`Pass::failed`].
/// Dropping it unreported counts as a failure.
#[derive(Debug)]
pub struct Pass<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` consecutive failures (at least 1).
    pub fn new(threshold: u32) -> Self {
        Breaker {
            threshold: threshold.max(1),
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// The configured threshold.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the breaker stands.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Lets a request through, or refuses it (`None`) while open or while a probe runs.
    pub fn admit(&self) -> Option<Pass<'_>> {
        let mut state = self.lock();
        let probe = match &mut *state {
            State::Closed { .. } => false,
            State::Open | State::HalfOpen { probing: true } => return None,
            State::HalfOpen { probing } => {
                *probing = true;
                true
            }
        };
        Some(Pass {
            breaker: self,
            probe,
            reported: false,
        })
    }

    /// A new cycle: an open breaker lets one probe through.
    pub fn next_cycle(&self) {
        let mut state = self.lock();
        if matches!(*state, State::Open) {
            *state = State::HalfOpen { probing: false };
        }
    }

    fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    /// Returns whether this failure opened the breaker.
    fn failure(&self, probe: bool) -> bool {
        let mut state = self.lock();
        match &mut *state {
            State::Closed { failures } => {
                *failures += 1;
                if *failures >= self.threshold {
                    *state = State::Open;
                    return true;
                }
                false
            }
            State::HalfOpen { .. } if probe => {
                *state = State::Open;
                true
            }
            // A request admitted before the breaker opened: already open, nothing to add.
            _ => false,
        }
    }
}

impl Pass<'_> {
    /// The book answered.
    pub fn succeeded(mut self) {
        self.reported = true;
        self.breaker.success();
    }

    /// The book failed this request; returns whether the breaker opened because of it.
    pub fn failed(mut self) -> bool {
        self.reported = true;
        self.breaker.failure(self.probe)
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.failure(self.probe);
        }
    }
}

/// The `Retry-After` gate: no request of the book starts before the latest time a server
/// asked for.
#[derive(Debug, Default)]
pub struct RetryAfterGate {
    not_before: Mutex<Option<Instant>>,
}

impl RetryAfterGate {
    /// The server asked for `wait`: hold every request of the book until then.
    pub fn hold_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut not_before = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        *not_before = Some(not_before.map_or(until, |n| n.max(until)));
    }

    /// When requests may start again, if the book asked to be left alone.
    pub fn not_before(&self) -> Option<Instant> {
        let not_before = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        not_before.filter(|n| *n > Instant::now())
    }

    /// Waits until the book's `Retry-After` has passed.
    pub async fn wait(&self) {
        if let Some(until) = self.not_before() {
            tokio::time::sleep_until(until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_of_consecutive_failures_only() {
        let breaker = Breaker::new(3);
        assert!(!breaker.admit().unwrap().failed());
        assert!(!breaker.admit().unwrap().failed());
        breaker.admit().unwrap().succeeded();
        assert!(!breaker.admit().unwrap().failed());
        assert!(!breaker.admit().unwrap().failed());
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(
            breaker.admit().unwrap().failed(),
            "the third in a row opens it"
        );
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.admit().is_none());
    }

    #[test]
    fn half_open_lets_one_probe_through_next_cycle() {
        let breaker = Breaker::new(1);
        assert!(breaker.admit().unwrap().failed());
        breaker.next_cycle();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let probe = breaker.admit().unwrap();
        assert!(breaker.admit().is_none(), "one probe at a time");
        assert!(probe.failed());
        assert_eq!(breaker.state(), BreakerState::Open);
        breaker.next_cycle();
        breaker.admit().unwrap().succeeded();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.admit().is_some());
    }

    #[test]
    fn a_dropped_probe_reopens_the_breaker() {
        let breaker = Breaker::new(1);
        assert!(breaker.admit().unwrap().failed());
        breaker.next_cycle();
        drop(breaker.admit().unwrap());
        assert_eq!(breaker.state(), BreakerState::Open);
        breaker.next_cycle();
        assert!(breaker.admit().is_some(), "the next cycle probes again");
    }

    #[tokio::test(start_paused = true)]
    async fn the_gate_holds_until_the_latest_retry_after() {
        let gate = RetryAfterGate::default();
        assert_eq!(gate.not_before(), None);
        let start = Instant::now();
        gate.hold_for(Duration::from_secs(5));
        gate.hold_for(Duration::from_secs(2));
        gate.wait().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(gate.not_before(), None);
    }
}
