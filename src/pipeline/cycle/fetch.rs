//! The cycle's network steps: discovery on every feed at once, then each batch's events fetched
//! on all their books, each book with its own concurrency and time budget ([`super::limits`]).

use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::sync::watch;

use super::limits::{Budget, DEFAULT_BUDGET, Share, run_phase, stopped_error, until_stopped};
use super::merge::MergedEvent;
use super::{BookFetch, ScrapeCycle};
use crate::domain::EventOdds;
use crate::sources::Discovered;
use crate::sources::{BreakerState, FeedError};

/// One fetch of a book's share of a batch: (event position, reference position, result).
type ShareFetch = (usize, usize, Result<EventOdds, FeedError>);

impl ScrapeCycle {
    /// Each book's time budget for a cycle starting now (an open breaker lets one probe
    /// through from here).
    pub(super) fn budgets(&self) -> Vec<Budget> {
        let cycle_start = tokio::time::Instant::now();
        let book_budgets: Vec<(String, Duration)> = self
            .feeds
            .iter()
            .map(|f| {
                f.feed.client().begin_cycle();
                let budget = self
                    .config
                    .books
                    .get(&f.slug)
                    .map_or(DEFAULT_BUDGET, |b| Duration::from_secs(b.budget_secs));
                (f.slug.clone(), budget)
            })
            .collect();
        let all_budgets = book_budgets.iter().map(|(_, b)| *b).sum();
        book_budgets
            .into_iter()
            .map(|(book, budget)| Budget::new(book, budget, cycle_start, all_budgets))
            .collect()
    }

    /// Every feed's discovery, in feed order; a stop request drops them all (each then
    /// counts as failed).
    pub(super) async fn discover_all(
        &self,
        budgets: &[Budget],
        stop: &watch::Receiver<bool>,
    ) -> Vec<Result<Discovered, FeedError>> {
        let shares = self
            .feeds
            .iter()
            .zip(budgets)
            .enumerate()
            .map(|(i, (f, b))| {
                let work =
                    async move { (i, b.within(&f.feed, "discovery", f.feed.discover()).await) };
                (i, true, work.boxed())
            })
            .collect();
        match until_stopped(stop, run_phase(budgets, shares)).await {
            Some(mut discovered) => {
                discovered.sort_by_key(|(i, _)| *i);
                discovered.into_iter().map(|(_, d)| d).collect()
            }
            None => {
                tracing::info!("stopping: discovery in flight dropped; nothing fetched this cycle");
                self.feeds
                    .iter()
                    .map(|f| Err(stopped_error(&f.slug)))
                    .collect()
            }
        }
    }

    /// Fetches a batch's events on all their books: each book fetches its share with its own
    /// concurrency, so a slow book holds no other book's requests; the batch is ready when every
    /// share is. `None` when a stop request dropped the fetches in flight.
    pub(super) async fn fetch_batch(
        &self,
        batch: Vec<MergedEvent>,
        budgets: &[Budget],
        stop: &watch::Receiver<bool>,
    ) -> Option<Vec<(MergedEvent, Vec<BookFetch>)>> {
        let feeds = &self.feeds;
        let events = &batch;
        let shares: Vec<Share<'_, Vec<ShareFetch>>> = shares_of(events, feeds.len())
            .into_iter()
            .enumerate()
            .filter(|(_, share)| !share.is_empty())
            // Only a book lists events to fetch; a snapshot's odds came with its discovery.
            .filter_map(|(index, share)| Some((index, share, feeds[index].feed.book()?)))
            .map(|(index, share, book)| {
                let feed = &feeds[index].feed;
                let width = feed.client().policy().concurrency.max(1) * 2;
                let works = !budgets[index].remaining().is_zero()
                    && feed.client().breaker_state() != BreakerState::Open;
                let work = futures::stream::iter(share)
                    .map(move |(e, k)| async move {
                        let (_, _, r) = &events[e].refs[k];
                        let what = format!("event {}", r.book_event_id);
                        let fetch = book.fetch_event(&r.book_event_id);
                        let result = budgets[index].within(feed, &what, fetch).await;
                        (e, k, result)
                    })
                    .buffer_unordered(width)
                    .collect::<Vec<ShareFetch>>();
                (index, works, work.boxed())
            })
            .collect();
        let outputs = until_stopped(stop, run_phase(budgets, shares)).await?;
        Some(answers_by_event(batch, outputs.into_iter().flatten()))
    }
}

/// The events in batches of `size` (at least one event each), in order.
pub fn in_batches<T>(events: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut events = events.into_iter().peekable();
    let mut batches = Vec::new();
    while events.peek().is_some() {
        batches.push(events.by_ref().take(size.max(1)).collect());
    }
    batches
}

/// What each of `feeds` feeds fetches of a batch: per feed, (event position, reference
/// position) of its references, in event order.
fn shares_of(events: &[MergedEvent], feeds: usize) -> Vec<Vec<(usize, usize)>> {
    let mut shares = vec![Vec::new(); feeds];
    for (e, event) in events.iter().enumerate() {
        for (k, (_, index, _)) in event.refs.iter().enumerate() {
            shares[*index].push((e, k));
        }
    }
    shares
}

/// Each event with its books' answers, in the order of its references (the shares answer in
/// any order).
fn answers_by_event(
    events: Vec<MergedEvent>,
    answers: impl IntoIterator<Item = ShareFetch>,
) -> Vec<(MergedEvent, Vec<BookFetch>)> {
    let mut per_event: Vec<Vec<(usize, BookFetch)>> = events.iter().map(|_| Vec::new()).collect();
    for (e, k, result) in answers {
        per_event[e].push((k, (events[e].refs[k].0.clone(), result)));
    }
    events
        .into_iter()
        .zip(per_event)
        .map(|(event, mut answers)| {
            answers.sort_by_key(|(k, _)| *k);
            (event, answers.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::EventRef;

    fn listed(book: &str, feed: usize, key: &str) -> (String, usize, EventRef) {
        let r = EventRef {
            book_event_id: format!("{book}-{key}"),
            sportradar_id: key.into(),
            kickoff: None,
            home_team: "A".into(),
            away_team: "B".into(),
            tournament: None,
            country: None,
        };
        (book.into(), feed, r)
    }

    fn event(key: &str, books: &[(&str, usize)]) -> MergedEvent {
        MergedEvent {
            key: key.into(),
            kickoff: None,
            refs: books.iter().map(|(b, i)| listed(b, *i, key)).collect(),
            full: Vec::new(),
        }
    }

    fn odds(book: &str) -> EventOdds {
        EventOdds {
            event_key: "1".into(),
            book_event_id: book.into(),
            home_team: "A".into(),
            away_team: "B".into(),
            tournament: None,
            country: None,
            kickoff: None,
            markets: Vec::new(),
        }
    }

    #[test]
    fn events_go_in_batches_of_the_configured_size_in_order() {
        let events = (0..250).map(|i| event(&i.to_string(), &[])).collect();
        let batches = in_batches(events, 100);
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(batches[1][0].key, "100");
        assert_eq!(batches[2][49].key, "249");
    }

    #[test]
    fn a_batch_size_of_zero_still_makes_progress() {
        let events = vec![event("1", &[]), event("2", &[])];
        assert_eq!(in_batches(events, 0).len(), 2);
        assert!(in_batches(Vec::<MergedEvent>::new(), 100).is_empty());
    }

    #[test]
    fn each_feed_fetches_its_own_references_of_the_batch() {
        let events = [
            event("1", &[("betpawa", 0), ("bet9ja", 2)]),
            event("2", &[("bet9ja", 2)]),
        ];
        assert_eq!(
            shares_of(&events, 3),
            [vec![(0, 0)], vec![], vec![(0, 1), (1, 0)]]
        );
    }

    #[test]
    fn answers_come_back_in_reference_order_whatever_order_they_arrived_in() {
        let events = vec![
            event("1", &[("betpawa", 0), ("sportybet", 1)]),
            event("2", &[("sportybet", 1)]),
        ];
        let arrived = vec![
            (0, 1, Ok(odds("sportybet-1"))),
            (1, 0, Ok(odds("sportybet-2"))),
            (0, 0, Ok(odds("betpawa-1"))),
        ];
        let answers = answers_by_event(events, arrived);
        let got: Vec<(&str, Vec<(&str, &str)>)> = answers
            .iter()
            .map(|(e, a)| {
                let books = a
                    .iter()
                    .map(|(b, r)| (b.as_str(), r.as_ref().unwrap().book_event_id.as_str()))
                    .collect();
                (e.key.as_str(), books)
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "1",
                    vec![("betpawa", "betpawa-1"), ("sportybet", "sportybet-1")]
                ),
                ("2", vec![("sportybet", "sportybet-2")]),
            ]
        );
    }
}
