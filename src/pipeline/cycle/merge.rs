//! Steps 1–2 of a cycle: every feed's discovery merged into one list of events by SportRadar
//! id, then the pre-match ones, most urgent first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::books::CycleBooks;
use crate::domain::EventOdds;
use crate::sources::Discovered;
use crate::sources::{EventRef, FeedError};

/// One event of the cycle, merged across books.
#[derive(Debug)]
pub(super) struct MergedEvent {
    /// SportRadar id.
    pub(super) key: String,
    /// The home book's kickoff, else the first one a book gave.
    pub(super) kickoff: Option<DateTime<Utc>>,
    /// (book slug, feed index, reference) to fetch.
    pub(super) refs: Vec<(String, usize, EventRef)>,
    /// Odds already complete from discovery.
    pub(super) full: Vec<(String, EventOdds)>,
}

impl MergedEvent {
    fn new(key: &str) -> Self {
        MergedEvent {
            key: key.to_string(),
            kickoff: None,
            refs: Vec::new(),
            full: Vec::new(),
        }
    }

    /// Takes `book`'s kickoff: the home book's wins; otherwise the first known.
    fn offer_kickoff(&mut self, book: &str, home_book: &str, kickoff: Option<DateTime<Utc>>) {
        if book == home_book || self.kickoff.is_none() {
            self.kickoff = kickoff.or(self.kickoff);
        }
    }
}

/// Merges the feeds' discoveries (`discovered[i]` is feed `i`'s, named `slugs[i]`) by event
/// key, in key order, and tallies on `books` what failed: a whole discovery (the book is down
/// this cycle) or some of its lists.
pub(super) fn merge_discoveries(
    slugs: &[String],
    home_book: &str,
    discovered: Vec<Result<Discovered, FeedError>>,
    books: &mut CycleBooks,
) -> Vec<MergedEvent> {
    let mut merged: BTreeMap<String, MergedEvent> = BTreeMap::new();
    for (index, (slug, result)) in slugs.iter().zip(discovered).enumerate() {
        match result {
            Ok(Discovered::Refs(discovery)) => {
                books.lists_failed(slug, &discovery.failures);
                for r in discovery.events {
                    let event = merged
                        .entry(r.sportradar_id.clone())
                        .or_insert_with(|| MergedEvent::new(&r.sportradar_id));
                    event.offer_kickoff(slug, home_book, r.kickoff);
                    event.refs.push((slug.clone(), index, r));
                }
            }
            Ok(Discovered::Full(scrapes)) => {
                for scrape in scrapes {
                    for odds in scrape.events {
                        let event = merged
                            .entry(odds.event_key.clone())
                            .or_insert_with(|| MergedEvent::new(&odds.event_key));
                        event.offer_kickoff(&scrape.book, home_book, odds.kickoff);
                        event.full.push((scrape.book.clone(), odds));
                    }
                }
            }
            Err(e) => {
                // A discovery the stop dropped is no book's failure: the stop is logged once.
                if !super::limits::is_stopped_error(&e) {
                    tracing::warn!(book = %slug, error = %e, "discovery failed; no availability changes from this book this cycle");
                }
                books.discovery_failed(slug, &e);
            }
        }
    }
    merged.into_values().collect()
}

/// The events to fetch: pre-match only (kickoff after `now`, or unknown), soonest first,
/// unknown kickoffs last, ties by key.
pub(super) fn pre_match_in_order(events: Vec<MergedEvent>, now: DateTime<Utc>) -> Vec<MergedEvent> {
    let mut events: Vec<MergedEvent> = events
        .into_iter()
        .filter(|e| e.kickoff.is_none_or(|k| k > now))
        .collect();
    events.sort_by(|a, b| {
        (a.kickoff.is_none(), a.kickoff, &a.key).cmp(&(b.kickoff.is_none(), b.kickoff, &b.key))
    });
    events
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::sources::{BookSnapshot, Discovery};

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap()
    }

    fn listed(key: &str, kickoff: Option<DateTime<Utc>>) -> EventRef {
        EventRef {
            book_event_id: format!("b{key}"),
            sportradar_id: key.into(),
            kickoff,
            home_team: "A".into(),
            away_team: "B".into(),
            tournament: None,
            country: None,
        }
    }

    fn refs(events: Vec<EventRef>) -> Result<Discovered, FeedError> {
        Ok(Discovered::Refs(Discovery {
            events,
            failures: Vec::new(),
        }))
    }

    fn odds(key: &str, kickoff: Option<DateTime<Utc>>) -> EventOdds {
        EventOdds {
            event_key: key.into(),
            book_event_id: format!("o{key}"),
            home_team: "A".into(),
            away_team: "B".into(),
            tournament: None,
            country: None,
            kickoff,
            markets: Vec::new(),
        }
    }

    fn slugs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn merged(key: &str, kickoff: Option<DateTime<Utc>>) -> MergedEvent {
        MergedEvent {
            kickoff,
            ..MergedEvent::new(key)
        }
    }

    #[test]
    fn the_home_books_kickoff_wins_whichever_feed_lists_the_event_first() {
        let mut books = CycleBooks::default();
        let events = merge_discoveries(
            &slugs(&["sportybet", "betpawa", "bet9ja"]),
            "betpawa",
            vec![
                refs(vec![listed("1", Some(at(14))), listed("2", Some(at(15)))]),
                refs(vec![listed("1", Some(at(13))), listed("2", None)]),
                refs(vec![listed("1", Some(at(16)))]),
            ],
            &mut books,
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kickoff, Some(at(13)), "the home book's");
        assert_eq!(
            events[1].kickoff,
            Some(at(15)),
            "the home book giving none keeps the first known"
        );
        let listed_by: Vec<(&str, usize)> = events[0]
            .refs
            .iter()
            .map(|(b, i, _)| (b.as_str(), *i))
            .collect();
        assert_eq!(listed_by, [("sportybet", 0), ("betpawa", 1), ("bet9ja", 2)]);
    }

    #[test]
    fn without_the_home_book_the_first_known_kickoff_stays() {
        let mut books = CycleBooks::default();
        let events = merge_discoveries(
            &slugs(&["sportybet", "bet9ja"]),
            "betpawa",
            vec![
                refs(vec![listed("1", None)]),
                refs(vec![listed("1", Some(at(14)))]),
            ],
            &mut books,
        );
        assert_eq!(events[0].kickoff, Some(at(14)));
    }

    #[test]
    fn complete_odds_from_discovery_merge_with_references_by_event_key() {
        let mut books = CycleBooks::default();
        let scrapes = vec![
            BookSnapshot {
                book: "pinnacle".into(),
                events: vec![odds("1", Some(at(18))), odds("3", Some(at(20)))],
                failures: Vec::new(),
            },
            BookSnapshot {
                book: "betpawa".into(),
                events: vec![odds("1", Some(at(17)))],
                failures: Vec::new(),
            },
        ];
        let events = merge_discoveries(
            &slugs(&["sportybet", "theoddsapi"]),
            "betpawa",
            vec![
                refs(vec![listed("1", Some(at(19)))]),
                Ok(Discovered::Full(scrapes)),
            ],
            &mut books,
        );
        let keys: Vec<&str> = events.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["1", "3"]);
        assert_eq!(events[0].refs.len(), 1);
        let full: Vec<&str> = events[0].full.iter().map(|(b, _)| b.as_str()).collect();
        assert_eq!(full, ["pinnacle", "betpawa"]);
        assert_eq!(
            events[0].kickoff,
            Some(at(17)),
            "the home book's, though last"
        );
    }

    #[test]
    fn a_failed_discovery_is_tallied_and_the_other_feeds_still_merge() {
        let mut books = CycleBooks::default();
        let error = FeedError::Timeout {
            book: "bet9ja".into(),
            what: "discovery".into(),
            after: Duration::from_secs(20),
        };
        let partial = Discovery {
            events: vec![listed("1", None)],
            failures: vec![error.clone()],
        };
        let events = merge_discoveries(
            &slugs(&["betpawa", "bet9ja"]),
            "betpawa",
            vec![Ok(Discovered::Refs(partial)), Err(error)],
            &mut books,
        );
        assert_eq!(events.len(), 1);
        assert_eq!(
            books.failed_books().into_iter().collect::<Vec<_>>(),
            ["bet9ja"]
        );
        assert_eq!(books.get("betpawa").calls_failed, 1, "the failed list");
    }

    /// Regression: a clean stop during discovery logged one warning per book ("discovery
    /// failed … interrupted: shutting down"), so every stop looked like three failing books.
    #[test]
    fn a_discovery_dropped_by_the_stop_warns_of_no_book() {
        use crate::bench::team::tally::Tally;
        let (tally, logged) = Tally::new(tracing::Dispatch::none());
        let dispatch = tracing::Dispatch::new(tally);
        tracing::dispatcher::with_default(&dispatch, || {
            let mut books = CycleBooks::default();
            let timeout = FeedError::Timeout {
                book: "bet9ja".into(),
                what: "discovery".into(),
                after: Duration::from_secs(20),
            };
            merge_discoveries(
                &slugs(&["betpawa", "bet9ja"]),
                "betpawa",
                vec![
                    Err(super::super::limits::stopped_error("betpawa")),
                    Err(timeout),
                ],
                &mut books,
            );
        });
        let logged = logged.lock().unwrap().clone();
        assert_eq!(logged.count(tracing::Level::WARN, None), 1, "{logged:?}");
        assert_eq!(
            logged.count(tracing::Level::WARN, Some("shutting down")),
            0,
            "{logged:?}"
        );
    }

    #[test]
    fn only_pre_match_events_are_kept_soonest_first_unknown_kickoffs_last() {
        let now = at(12);
        let events = vec![
            merged("5", None),
            merged("4", Some(at(15))),
            merged("3", Some(at(12))),
            merged("2", Some(at(11))),
            merged("1", Some(at(14))),
            merged("0", None),
            merged("6", Some(at(14))),
        ];
        let order: Vec<String> = pre_match_in_order(events, now)
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(
            order,
            ["1", "6", "4", "0", "5"],
            "kickoff at `now` or before is past; ties by key"
        );
    }
}
