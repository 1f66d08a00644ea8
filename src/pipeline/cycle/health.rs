//! Source health after a cycle: per book, from the cycle's fetch results and the feed's
//! request counters, kept across cycles (consecutive failures, last success).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::ScrapeCycle;
use crate::health::{BookHealth, HealthLevel};
use crate::sources::Feed;
use crate::store::BookRun;

impl ScrapeCycle {
    /// Updates each book's health from this cycle and returns the run's per-book records.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn update_health(
        &mut self,
        now: DateTime<Utc>,
        failed_books: &BTreeSet<String>,
        discovery_errors: &BTreeMap<String, String>,
        fetched_ok: &BTreeMap<String, u64>,
        fetch_failed: &BTreeMap<String, (u64, String)>,
        markets_seen: &BTreeMap<String, u64>,
        mass_vanish: &BTreeMap<String, (u64, u64)>,
    ) -> Vec<BookRun> {
        let mut runs = Vec::new();
        for (index, feed) in self.feeds.iter().enumerate() {
            let after = feed.feed.stats().snapshot();
            let before = std::mem::replace(&mut self.stats_before[index], after.clone());
            let requests = after.requests.saturating_sub(before.requests);
            let failures = after
                .failures
                .values()
                .sum::<u64>()
                .saturating_sub(before.failures.values().sum::<u64>());
            // The Odds API reports several bookmakers; health is kept per book slug seen.
            let slugs: Vec<String> = if failed_books.contains(&feed.slug) {
                vec![feed.slug.clone()]
            } else {
                let mut s: Vec<String> = fetched_ok
                    .keys()
                    .chain(fetch_failed.keys())
                    .filter(|b| self.book_of_feed(b) == Some(index))
                    .cloned()
                    .collect();
                s.sort();
                s.dedup();
                if s.is_empty() {
                    vec![feed.slug.clone()]
                } else {
                    s
                }
            };
            for slug in slugs {
                let ok = fetched_ok.get(&slug).copied().unwrap_or(0);
                let (failed, last_error) = fetch_failed
                    .get(&slug)
                    .cloned()
                    .unwrap_or((0, String::new()));
                let discovery_error = discovery_errors.get(&slug);
                // A book that lost most of its markets at once answered, but not with its feed.
                let vanish_error = mass_vanish.get(&slug).map(|(lost, of)| {
                    format!(
                        "mass vanish: lost {lost} of {of} markets in one cycle (over \
                         detection.mass_vanish_pct); no availability alerts from this book"
                    )
                });
                let level = if discovery_error.is_some() || (ok == 0 && failed > 0) {
                    HealthLevel::Down
                } else if failed > 0 || vanish_error.is_some() {
                    HealthLevel::Degraded
                } else {
                    HealthLevel::Ok
                };
                let health = self
                    .health
                    .entry(slug.clone())
                    .or_insert_with(|| BookHealth {
                        book: slug.clone(),
                        ..BookHealth::default()
                    });
                health.level = level;
                if level == HealthLevel::Ok {
                    health.consecutive_failures = 0;
                } else {
                    health.consecutive_failures += 1;
                }
                if level != HealthLevel::Down {
                    health.last_success = Some(now);
                }
                let error = discovery_error
                    .cloned()
                    .or(vanish_error)
                    .or_else(|| (!last_error.is_empty()).then_some(last_error));
                if error.is_some() {
                    health.last_error = error.clone();
                }
                health.events_seen = ok as u32;
                health.markets_seen = markets_seen.get(&slug).copied().unwrap_or(0) as u32;
                health.requests = requests as u32;
                health.failures = failures as u32;
                health.latency_p50_ms =
                    (after.latency.samples > 0).then_some(after.latency.p50_ms as u32);
                health.latency_p95_ms =
                    (after.latency.samples > 0).then_some(after.latency.p95_ms as u32);
                health.quota_remaining = after
                    .quota
                    .as_ref()
                    .and_then(|q| q.remaining)
                    .map(|r| r as u32);
                runs.push(BookRun {
                    bookmaker: slug.clone(),
                    status: match level {
                        HealthLevel::Ok | HealthLevel::Unknown => "ok",
                        HealthLevel::Degraded => "degraded",
                        HealthLevel::Down => "failed",
                    }
                    .into(),
                    events_seen: ok as i64,
                    markets_seen: health.markets_seen as i64,
                    requests: requests as i64,
                    failures: failures as i64,
                    latency_p50_ms: health.latency_p50_ms.map(i64::from),
                    latency_p95_ms: health.latency_p95_ms.map(i64::from),
                    quota_remaining: health.quota_remaining.map(i64::from),
                    error,
                });
            }
        }
        runs
    }

    /// Which feed a book slug came from (the Odds API names its bookmakers itself).
    fn book_of_feed(&self, book: &str) -> Option<usize> {
        self.feeds.iter().position(|f| f.slug == book).or_else(|| {
            self.feeds
                .iter()
                .position(|f| matches!(f.feed, Feed::Snapshot(_)))
        })
    }
}
