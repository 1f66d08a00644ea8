//! Health while a cycle runs: every second, each book's counters since the cycle started are
//! compared with those at its start and published on the status channel, so a book that starts
//! failing mid-cycle shows it at once instead of keeping the last cycle's "ok" until the end.
//!
//! Choices: mid-cycle, a book only ever looks worse than at the cycle's start, never better (a
//! failure makes it degraded; the end of the cycle sets the real level, which may be better).
//! The counts shown mid-cycle are the cycle's so far. The Odds API's bookmakers share one feed's
//! counters, so they all show that feed's failures.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::health::{BookHealth, HealthLevel, PipelineStatus, saturate};
use crate::sources::{BookStats, FailureKind, StatsSnapshot};

/// How often health is published while a cycle runs.
pub(super) const LIVE_EVERY: Duration = Duration::from_secs(1);

/// Publishes live health until dropped (the cycle's end drops it).
pub(super) async fn publish(
    status: watch::Sender<PipelineStatus>,
    feeds: Vec<(String, Arc<BookStats>)>,
    previous: Vec<BookHealth>,
    home_book: String,
) -> Infallible {
    let before: Vec<StatsSnapshot> = feeds.iter().map(|(_, s)| s.snapshot()).collect();
    let mut tick = tokio::time::interval(LIVE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now: Vec<StatsSnapshot> = feeds.iter().map(|(_, s)| s.snapshot()).collect();
        let books = live_books(&feeds, &before, &now, &previous, &home_book);
        status.send_modify(|s| s.books = books);
    }
}

/// Failures of every kind in `after` not yet in `before`.
pub(super) fn new_failures(before: &StatsSnapshot, after: &StatsSnapshot) -> u64 {
    after
        .failures
        .values()
        .sum::<u64>()
        .saturating_sub(before.failures.values().sum::<u64>())
}

/// The books' health mid-cycle: the last cycle's, made worse by this cycle's failures so far.
pub(super) fn live_books(
    feeds: &[(String, Arc<BookStats>)],
    before: &[StatsSnapshot],
    now: &[StatsSnapshot],
    previous: &[BookHealth],
    home_book: &str,
) -> Vec<BookHealth> {
    let feed_of = |book: &str| {
        feeds
            .iter()
            .position(|(slug, _)| slug == book)
            // The Odds API names its bookmakers itself; they share its counters.
            .or_else(|| feeds.iter().position(|(slug, _)| slug == "theoddsapi"))
    };
    let mut books: Vec<BookHealth> = previous.to_vec();
    for (slug, _) in feeds {
        if !books
            .iter()
            .any(|b| feed_of(&b.book).is_some_and(|i| &feeds[i].0 == slug))
        {
            books.push(BookHealth::unknown(slug));
        }
    }
    for health in &mut books {
        let Some(index) = feed_of(&health.book) else {
            continue;
        };
        let (before, now) = (&before[index], &now[index]);
        let failures = new_failures(before, now);
        health.counts.requests = saturate(now.requests.saturating_sub(before.requests));
        health.counts.failures = saturate(failures);
        if failures > 0 {
            let breaker_open = now.failures.get(&FailureKind::CircuitOpen)
                > before.failures.get(&FailureKind::CircuitOpen);
            let worse = if breaker_open {
                HealthLevel::Down
            } else {
                HealthLevel::Degraded
            };
            health.level = match health.level {
                HealthLevel::Down => HealthLevel::Down,
                _ => worse,
            };
        }
    }
    books.sort_by_key(|b| (b.book != home_book, b.book.clone()));
    books
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::FeedError;

    fn ok(book: &str) -> BookHealth {
        BookHealth {
            book: book.into(),
            level: HealthLevel::Ok,
            ..BookHealth::default()
        }
    }

    #[test]
    fn a_failure_mid_cycle_degrades_only_that_book() {
        let feeds: Vec<(String, Arc<BookStats>)> = ["betpawa", "sportybet"]
            .into_iter()
            .map(|b| (b.to_string(), Arc::new(BookStats::default())))
            .collect();
        let before: Vec<_> = feeds.iter().map(|(_, s)| s.snapshot()).collect();
        feeds[1].1.record_failure(&FeedError::Timeout {
            book: "sportybet".into(),
            what: "GET /e".into(),
            after: Duration::from_secs(1),
        });
        let now: Vec<_> = feeds.iter().map(|(_, s)| s.snapshot()).collect();
        let books = live_books(
            &feeds,
            &before,
            &now,
            &[ok("sportybet"), ok("betpawa")],
            "betpawa",
        );
        assert_eq!(books[0].book, "betpawa");
        assert_eq!(books[0].level, HealthLevel::Ok);
        assert_eq!(books[1].level, HealthLevel::Degraded);
        assert_eq!(books[1].counts.failures, 1);
    }
}
