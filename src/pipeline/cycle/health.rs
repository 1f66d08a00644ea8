//! Step 5 of a cycle: source health and the run record, from the cycle's tallies and each
//! feed's request counters. Health is kept across cycles (failure streak, last success).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::books::CycleBooks;
use super::{CycleTotals, ScrapeCycle};
use crate::health::{BookHealth, BookRun, BookStatus};
use crate::sources::Feed;
use crate::store::{RunStatus, RunSummary};

impl ScrapeCycle {
    /// Each book's run record for this cycle, taken into its health. `mass_vanish`: books that
    /// lost most of their markets at once (markets lost, of how many).
    pub(super) fn update_health(
        &mut self,
        now: DateTime<Utc>,
        books: &CycleBooks,
        mass_vanish: &BTreeMap<String, (u64, u64)>,
    ) -> Vec<BookRun> {
        let mut runs = Vec::new();
        for (index, feed) in self.feeds.iter().enumerate() {
            let after = feed.feed.stats().snapshot();
            let before = std::mem::replace(&mut self.stats_before[index], after.clone());
            crate::metrics::record_book_cycle(&feed.slug, &before, &after);
            // The Odds API reports several bookmakers; a run is kept per book slug seen.
            let mut slugs: Vec<&str> = books
                .slugs()
                .filter(|b| self.book_of_feed(b) == Some(index))
                .collect();
            if slugs.is_empty() {
                slugs.push(&feed.slug);
            }
            for slug in slugs {
                let vanish = mass_vanish.get(slug).copied();
                runs.push(books.get(slug).run(slug, &before, &after, vanish));
            }
        }
        for run in &runs {
            self.health
                .entry(run.bookmaker.clone())
                .or_insert_with(|| BookHealth::unknown(&run.bookmaker))
                .record(run, now);
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

/// How the run went: failed when every one of `feeds` (at least one) failed its discovery;
/// partial when some book was not ok; ok otherwise.
pub(super) fn run_status(feeds: usize, discoveries_failed: usize, runs: &[BookRun]) -> RunStatus {
    if feeds > 0 && discoveries_failed == feeds {
        RunStatus::Failed
    } else if runs.iter().any(|r| r.status != BookStatus::Ok) {
        RunStatus::Partial
    } else {
        RunStatus::Ok
    }
}

/// The run's summary: `totals` as its counts and stats, the failed discoveries as its error.
pub(super) fn run_summary(
    status: RunStatus,
    finished_at: DateTime<Utc>,
    totals: &CycleTotals,
    books: &CycleBooks,
    runs: Vec<BookRun>,
) -> RunSummary {
    RunSummary {
        status,
        finished_at,
        events_seen: totals.events as i64,
        rows_written: (totals.odds_rows + totals.history_rows) as i64,
        alerts_written: totals.alerts() as i64,
        stats: serde_json::to_value(totals).unwrap_or_default(),
        error: books.discovery_errors(),
        books: runs,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::health::BookCounts;

    fn run(book: &str, status: BookStatus) -> BookRun {
        BookRun {
            bookmaker: book.into(),
            status,
            counts: BookCounts::default(),
            error: None,
        }
    }

    #[test]
    fn a_run_fails_only_when_every_discovery_failed() {
        let down = [
            run("betpawa", BookStatus::Failed),
            run("sportybet", BookStatus::Failed),
        ];
        assert_eq!(run_status(2, 2, &down), RunStatus::Failed);
        assert_eq!(run_status(3, 2, &down), RunStatus::Partial);
        assert_eq!(
            run_status(2, 0, &[run("betpawa", BookStatus::Ok)]),
            RunStatus::Ok
        );
        assert_eq!(
            run_status(0, 0, &[]),
            RunStatus::Ok,
            "no feeds is no failure"
        );
    }

    #[test]
    fn one_degraded_book_makes_the_run_partial() {
        let runs = [
            run("betpawa", BookStatus::Ok),
            run("bet9ja", BookStatus::Degraded),
        ];
        assert_eq!(run_status(2, 0, &runs), RunStatus::Partial);
    }

    #[test]
    fn the_summary_counts_rows_and_alerts_and_names_failed_discoveries() {
        let mut totals = CycleTotals {
            events: 7,
            odds_rows: 10,
            history_rows: 4,
            ..CycleTotals::default()
        };
        totals.alerts_by_type.insert("price_change".into(), 3);
        totals.alerts_by_type.insert("availability".into(), 2);
        let mut books = CycleBooks::default();
        let error = crate::sources::FeedError::Timeout {
            book: "bet9ja".into(),
            what: "discovery".into(),
            after: std::time::Duration::from_secs(20),
        };
        books.discovery_failed("bet9ja", &error);
        let finished = Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap();
        let runs = vec![run("bet9ja", BookStatus::Failed)];
        let summary = run_summary(RunStatus::Partial, finished, &totals, &books, runs.clone());
        assert_eq!(summary.events_seen, 7);
        assert_eq!(summary.rows_written, 14);
        assert_eq!(summary.alerts_written, 5);
        assert_eq!(summary.error, Some(format!("bet9ja: {error}")));
        assert_eq!(summary.stats["events"], 7);
        assert_eq!(summary.books, runs);
        let no_failures = run_summary(
            RunStatus::Ok,
            finished,
            &totals,
            &CycleBooks::default(),
            Vec::new(),
        );
        assert_eq!(no_failures.error, None);
    }
}
