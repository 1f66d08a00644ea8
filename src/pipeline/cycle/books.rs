//! What each book did in this cycle, tallied as the cycle goes: its discovery, the events it
//! answered and the calls that failed. The cycle's end turns each book's tally into its run
//! record ([`BookRun`]), which its health then takes in.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::EventOdds;
use crate::health::{BookCounts, BookRun, BookStatus};
use crate::sources::{FeedError, StatsSnapshot};

/// One book's tally in this cycle.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct BookTally {
    /// Events answered and their markets; the request counters are set from the feed's stats
    /// at the end ([`BookTally::run`]).
    pub(super) counts: BookCounts,
    /// Calls of this cycle that failed: discovery lists and event fetches.
    pub(super) calls_failed: u64,
    /// The last of those failures, readable.
    pub(super) last_call_error: Option<String>,
    /// Why the whole discovery failed, when it did: then the book is down this cycle.
    pub(super) discovery_error: Option<String>,
    /// Calls cut off because the book's cycle budget was spent.
    pub(super) budget_spent: u64,
}

impl BookTally {
    /// How the book did: down when its discovery failed or it answered no event but some
    /// failed; degraded when some call failed or it lost most of its markets at once
    /// (`mass_vanish`: markets lost, of how many).
    pub(super) fn status(&self, mass_vanish: Option<(u64, u64)>) -> BookStatus {
        if self.discovery_error.is_some() || (self.counts.events_seen == 0 && self.calls_failed > 0)
        {
            BookStatus::Failed
        } else if self.calls_failed > 0 || mass_vanish.is_some() {
            BookStatus::Degraded
        } else {
            BookStatus::Ok
        }
    }

    /// The book's run record: its status, its counts with the feed's request counters over
    /// the cycle (`before` → `after`), and the cycle's error (a failed discovery, else a mass
    /// vanish, else the last failed call).
    pub(super) fn run(
        &self,
        book: &str,
        before: &StatsSnapshot,
        after: &StatsSnapshot,
        mass_vanish: Option<(u64, u64)>,
    ) -> BookRun {
        let mut counts = self.counts;
        counts.set_requests(
            after.requests.saturating_sub(before.requests),
            super::live::new_failures(before, after),
            (after.latency.samples > 0).then_some((after.latency.p50_ms, after.latency.p95_ms)),
            after.quota.and_then(|q| q.remaining),
        );
        // A book that lost most of its markets at once answered, but not with its feed.
        let vanish_error = mass_vanish.map(|(lost, of)| {
            format!(
                "mass vanish: lost {lost} of {of} markets in one cycle (over \
                 detection.mass_vanish_pct); no availability alerts from this book"
            )
        });
        BookRun {
            bookmaker: book.to_string(),
            status: self.status(mass_vanish),
            counts,
            error: self
                .discovery_error
                .clone()
                .or(vanish_error)
                .or_else(|| self.last_call_error.clone()),
        }
    }
}

/// Every book's tally in this cycle, by slug. A book has one once anything happened to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct CycleBooks {
    books: BTreeMap<String, BookTally>,
}

impl CycleBooks {
    fn book(&mut self, book: &str) -> &mut BookTally {
        self.books.entry(book.to_string()).or_default()
    }

    /// The book's whole discovery failed.
    pub(super) fn discovery_failed(&mut self, book: &str, error: &FeedError) {
        let tally = self.book(book);
        tally.budget_spent += u64::from(is_budget_spent(error));
        tally.discovery_error = Some(error.to_string());
    }

    /// Some of the book's discovery lists failed (their events are unknown this cycle).
    pub(super) fn lists_failed(&mut self, book: &str, failures: &[FeedError]) {
        if let Some(last) = failures.last() {
            let tally = self.book(book);
            tally.calls_failed += failures.len() as u64;
            tally.last_call_error = Some(last.to_string());
        }
    }

    /// The book answered one event.
    pub(super) fn answered(&mut self, book: &str, odds: &EventOdds) {
        self.book(book).counts.add_event(odds.markets.len());
    }

    /// The book's fetch of one event failed.
    pub(super) fn fetch_failed(&mut self, book: &str, error: &FeedError) {
        let tally = self.book(book);
        tally.budget_spent += u64::from(is_budget_spent(error));
        tally.calls_failed += 1;
        tally.last_call_error = Some(error.to_string());
    }

    /// The book's tally (empty when nothing happened to it).
    pub(super) fn get(&self, book: &str) -> BookTally {
        self.books.get(book).cloned().unwrap_or_default()
    }

    /// Slugs of the books with a tally, in order.
    pub(super) fn slugs(&self) -> impl Iterator<Item = &str> {
        self.books.keys().map(String::as_str)
    }

    /// Books whose discovery failed: an event they are missing from is not gone.
    pub(super) fn failed_books(&self) -> BTreeSet<String> {
        self.books
            .iter()
            .filter(|(_, t)| t.discovery_error.is_some())
            .map(|(b, _)| b.clone())
            .collect()
    }

    /// The failed discoveries, `book: error` joined by `; ` (the run's error), if any.
    pub(super) fn discovery_errors(&self) -> Option<String> {
        let errors: Vec<String> = self
            .books
            .iter()
            .filter_map(|(b, t)| Some(format!("{b}: {}", t.discovery_error.as_ref()?)))
            .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }

    /// Calls cut off by a spent budget, per book that had any.
    pub(super) fn budget_spent(&self) -> BTreeMap<String, u64> {
        self.books
            .iter()
            .filter(|(_, t)| t.budget_spent > 0)
            .map(|(b, t)| (b.clone(), t.budget_spent))
            .collect()
    }
}

fn is_budget_spent(error: &FeedError) -> bool {
    matches!(error, FeedError::BudgetSpent { .. })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sources::Quota;
    use crate::sources::stats::LatencySummary;

    fn timeout(book: &str) -> FeedError {
        FeedError::Timeout {
            book: book.into(),
            what: "event 7".into(),
            after: Duration::from_secs(20),
        }
    }

    fn spent(book: &str) -> FeedError {
        FeedError::BudgetSpent {
            book: book.into(),
            what: "discovery".into(),
            budget: Duration::from_secs(60),
        }
    }

    fn odds(markets: usize) -> EventOdds {
        EventOdds {
            event_key: "1".into(),
            book_event_id: "b1".into(),
            home_team: "A".into(),
            away_team: "B".into(),
            tournament: None,
            country: None,
            kickoff: None,
            markets: (0..markets)
                .map(|i| crate::domain::MarketOdds {
                    market_id: i.to_string(),
                    market_name: "m".into(),
                    line: None,
                    outcomes: Vec::new(),
                })
                .collect(),
        }
    }

    fn stats(requests: u64, failures: u64) -> StatsSnapshot {
        StatsSnapshot {
            requests,
            failures: [(crate::sources::FailureKind::Timeout, failures)]
                .into_iter()
                .collect(),
            ..StatsSnapshot::default()
        }
    }

    #[test]
    fn a_book_that_answered_everything_is_ok() {
        let mut books = CycleBooks::default();
        books.answered("betpawa", &odds(3));
        books.answered("betpawa", &odds(2));
        let tally = books.get("betpawa");
        assert_eq!(tally.status(None), BookStatus::Ok);
        assert_eq!(
            (tally.counts.events_seen, tally.counts.markets_seen),
            (2, 5)
        );
    }

    #[test]
    fn some_failed_fetches_degrade_a_book_and_all_failed_take_it_down() {
        let mut books = CycleBooks::default();
        books.answered("sportybet", &odds(1));
        books.fetch_failed("sportybet", &timeout("sportybet"));
        books.fetch_failed("bet9ja", &timeout("bet9ja"));
        assert_eq!(books.get("sportybet").status(None), BookStatus::Degraded);
        assert_eq!(books.get("bet9ja").status(None), BookStatus::Failed);
        assert_eq!(books.get("nobody").status(None), BookStatus::Ok);
    }

    #[test]
    fn a_failed_discovery_takes_the_book_down_and_names_it_in_the_run_error() {
        let mut books = CycleBooks::default();
        books.discovery_failed("bet9ja", &timeout("bet9ja"));
        books.discovery_failed("sportybet", &spent("sportybet"));
        books.answered("betpawa", &odds(1));
        assert_eq!(books.get("bet9ja").status(None), BookStatus::Failed);
        assert_eq!(
            books.failed_books().into_iter().collect::<Vec<_>>(),
            ["bet9ja", "sportybet"]
        );
        let error = books.discovery_errors().unwrap();
        assert!(error.starts_with("bet9ja: "), "{error}");
        assert!(error.contains("; sportybet: "), "{error}");
        assert_eq!(
            books.budget_spent().into_iter().collect::<Vec<_>>(),
            [("sportybet".to_string(), 1)]
        );
    }

    #[test]
    fn failed_discovery_lists_count_as_failed_calls_with_the_last_error() {
        let mut books = CycleBooks::default();
        books.lists_failed("betpawa", &[]);
        assert_eq!(books.slugs().count(), 0, "nothing failed, nothing tallied");
        books.lists_failed("betpawa", &[spent("betpawa"), timeout("betpawa")]);
        let tally = books.get("betpawa");
        assert_eq!(tally.calls_failed, 2);
        assert_eq!(tally.last_call_error, Some(timeout("betpawa").to_string()));
        assert_eq!(tally.budget_spent, 0, "a list's failure is not a cut-off");
    }

    #[test]
    fn a_mass_vanish_degrades_the_book_and_explains_itself() {
        let mut books = CycleBooks::default();
        books.answered("sportybet", &odds(1));
        let run = books.get("sportybet").run(
            "sportybet",
            &StatsSnapshot::default(),
            &StatsSnapshot::default(),
            Some((40, 50)),
        );
        assert_eq!(run.status, BookStatus::Degraded);
        assert!(
            run.error
                .unwrap()
                .starts_with("mass vanish: lost 40 of 50 markets"),
            "the vanish is the error"
        );
    }

    #[test]
    fn the_run_takes_the_feeds_request_counters_over_the_cycle() {
        let mut books = CycleBooks::default();
        books.answered("theoddsapi", &odds(4));
        books.fetch_failed("theoddsapi", &timeout("theoddsapi"));
        let mut after = stats(30, 5);
        after.latency = LatencySummary {
            samples: 3,
            p50_ms: 11.7,
            p95_ms: 40.2,
            max_ms: 41.0,
        };
        after.quota = Some(Quota {
            remaining: Some(480),
            used: Some(20),
            last: Some(1),
        });
        let run = books
            .get("theoddsapi")
            .run("theoddsapi", &stats(10, 2), &after, None);
        assert_eq!(run.bookmaker, "theoddsapi");
        assert_eq!(run.status, BookStatus::Degraded);
        assert_eq!(
            run.counts,
            BookCounts {
                events_seen: 1,
                markets_seen: 4,
                requests: 20,
                failures: 3,
                latency_p50_ms: Some(11),
                latency_p95_ms: Some(40),
                quota_remaining: Some(480),
            }
        );
        assert_eq!(run.error, Some(timeout("theoddsapi").to_string()));
    }

    #[test]
    fn a_failed_discovery_is_the_error_even_over_a_mass_vanish() {
        let mut books = CycleBooks::default();
        books.discovery_failed("bet9ja", &timeout("bet9ja"));
        let run = books.get("bet9ja").run(
            "bet9ja",
            &StatsSnapshot::default(),
            &StatsSnapshot::default(),
            Some((1, 2)),
        );
        assert_eq!(run.status, BookStatus::Failed);
        assert_eq!(run.error, Some(timeout("bet9ja").to_string()));
    }
}
