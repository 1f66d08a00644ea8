//! Step 3 of a cycle, per batch of events once fetched: the detection input, then the
//! writer's batch from the detection's result. Pure, so the benchmark runs these very steps.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::BookFetch;
use super::books::CycleBooks;
use super::merge::MergedEvent;
use super::writes::odds_writes;
use crate::detect::{BookScrape, CycleEvent, CycleInput, CycleOutput, EventBook};
use crate::store::{BatchEvent, CycleBatch, EventRecord};

/// The detection input of one batch: every event with each book's answer (odds complete from
/// discovery first, then the fetches in the order of the event's references), each answer
/// tallied on `books`. An event no book answered is left out: there is nothing to detect on or
/// store for it.
pub(super) fn detection_input(
    (home_book, enabled_competitors): (&str, usize),
    failed_books: &BTreeSet<String>,
    fetched: Vec<(MergedEvent, Vec<BookFetch>)>,
    books: &mut CycleBooks,
) -> CycleInput {
    let mut events = Vec::with_capacity(fetched.len());
    for (event, answers) in fetched {
        let full = event.full.into_iter().map(|(b, o)| (b, Ok(o)));
        let event_books: Vec<EventBook> = full
            .chain(answers)
            .map(|(book, answer)| {
                let scrape = match answer {
                    Ok(odds) => {
                        books.answered(&book, &odds);
                        BookScrape::Fetched(odds)
                    }
                    Err(e) => {
                        books.fetch_failed(&book, &e);
                        BookScrape::Failed
                    }
                };
                EventBook { book, scrape }
            })
            .collect();
        if event_books
            .iter()
            .any(|b| matches!(b.scrape, BookScrape::Fetched(_)))
        {
            events.push(CycleEvent {
                event_key: event.key,
                kickoff: event.kickoff,
                books: event_books,
            });
        }
    }
    CycleInput {
        home_book: home_book.to_string(),
        failed_books: failed_books.clone(),
        enabled_competitors,
        events,
    }
}

/// The writer's batch for one detected batch of events: the events' records, the odds rows
/// the detection asks to write, and its alerts, moved as they are.
pub fn write_batch(at: DateTime<Utc>, input: &CycleInput, output: CycleOutput) -> CycleBatch {
    let odds = odds_writes(input, &output);
    CycleBatch {
        at,
        events: event_records(input),
        odds,
        alerts: output.alerts,
        noise: crate::domain::NoisePolicy::default(),
        fence: None,
        notify: Vec::new(),
    }
}

/// Each event's record and its ids on the books that answered. Names come from the home
/// book's answer, else the first answer; the kickoff is the merged one, else that answer's.
pub fn event_records(input: &CycleInput) -> Vec<BatchEvent> {
    input
        .events
        .iter()
        .filter_map(|event| {
            let mut names = None;
            let mut links = Vec::new();
            for book in &event.books {
                let BookScrape::Fetched(odds) = &book.scrape else {
                    continue;
                };
                if names.is_none() || book.book == input.home_book {
                    names = Some(odds);
                }
                links.push((book.book.clone(), odds.book_event_id.clone()));
            }
            let odds = names?;
            Some(BatchEvent {
                record: EventRecord {
                    sr_id: event.event_key.clone(),
                    home_team: odds.home_team.clone(),
                    away_team: odds.away_team.clone(),
                    tournament: odds.tournament.clone(),
                    country: odds.country.clone(),
                    kickoff: event.kickoff.or(odds.kickoff),
                },
                books: links,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::detect::{Detector, Rules};
    use crate::domain::{EventOdds, MarketOdds, OutcomeOdds};
    use crate::sources::FeedError;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 10, 0, 0).unwrap()
    }

    fn kickoff() -> DateTime<Utc> {
        now() + chrono::Duration::days(1)
    }

    /// `book`'s odds of event `key`: 1X2 with the home-win price `home_win`.
    fn odds(key: &str, book: &str, home_win: &str) -> EventOdds {
        let outcome = |name: &str, price: &str| OutcomeOdds {
            name: name.into(),
            price: price.parse().unwrap(),
            active: true,
        };
        EventOdds {
            event_key: key.into(),
            book_event_id: format!("{book}-{key}"),
            home_team: format!("{book} home"),
            away_team: format!("{book} away"),
            tournament: Some(format!("{book} league")),
            country: None,
            kickoff: Some(kickoff() + chrono::Duration::hours(1)),
            markets: vec![MarketOdds {
                market_id: "3743".into(),
                market_name: "1X2 | Full Time".into(),
                line: None,
                outcomes: vec![
                    outcome("1", home_win),
                    outcome("X", "3.40"),
                    outcome("2", "3.60"),
                ],
            }],
        }
    }

    fn event(key: &str, kickoff: Option<DateTime<Utc>>) -> MergedEvent {
        MergedEvent {
            key: key.into(),
            kickoff,
            refs: Vec::new(),
            full: Vec::new(),
        }
    }

    fn timeout(book: &str) -> FeedError {
        FeedError::Timeout {
            book: book.into(),
            what: "event".into(),
            after: Duration::from_secs(20),
        }
    }

    fn answered(book: &str, odds: EventOdds) -> BookFetch {
        (book.into(), Ok(odds))
    }

    /// One cycle's input for events `keys`, priced by betpawa and sportybet.
    fn cycle(keys: &[&str], home_win: &str) -> CycleInput {
        let fetched = keys
            .iter()
            .map(|k| {
                (
                    event(k, Some(kickoff())),
                    vec![
                        answered("sportybet", odds(k, "sportybet", "2.00")),
                        answered("betpawa", odds(k, "betpawa", home_win)),
                    ],
                )
            })
            .collect();
        detection_input(
            ("betpawa", 2),
            &BTreeSet::new(),
            fetched,
            &mut CycleBooks::default(),
        )
    }

    #[test]
    fn the_input_puts_complete_odds_first_then_fetches_in_reference_order() {
        let mut merged = event("1", Some(kickoff()));
        merged
            .full
            .push(("pinnacle".into(), odds("1", "pinnacle", "2.10")));
        let failed: BTreeSet<String> = ["bet9ja".to_string()].into();
        let mut books = CycleBooks::default();
        let input = detection_input(
            ("betpawa", 2),
            &failed,
            vec![(
                merged,
                vec![
                    answered("betpawa", odds("1", "betpawa", "2.00")),
                    ("sportybet".into(), Err(timeout("sportybet"))),
                ],
            )],
            &mut books,
        );
        assert_eq!(input.home_book, "betpawa");
        assert_eq!(input.failed_books, failed);
        let order: Vec<(&str, bool)> = input.events[0]
            .books
            .iter()
            .map(|b| (b.book.as_str(), matches!(b.scrape, BookScrape::Fetched(_))))
            .collect();
        assert_eq!(
            order,
            [("pinnacle", true), ("betpawa", true), ("sportybet", false)]
        );
        assert_eq!(
            input.events[0].kickoff,
            Some(kickoff()),
            "the merged kickoff"
        );
        assert_eq!(books.get("pinnacle").counts.markets_seen, 1);
        assert_eq!(books.get("sportybet").calls_failed, 1);
    }

    #[test]
    fn an_event_no_book_answered_is_left_out_but_its_failures_are_tallied() {
        let mut books = CycleBooks::default();
        let input = detection_input(
            ("betpawa", 2),
            &BTreeSet::new(),
            vec![
                (
                    event("1", None),
                    vec![("betpawa".into(), Err(timeout("betpawa")))],
                ),
                (
                    event("2", None),
                    vec![answered("betpawa", odds("2", "betpawa", "2.00"))],
                ),
            ],
            &mut books,
        );
        let keys: Vec<&str> = input.events.iter().map(|e| e.event_key.as_str()).collect();
        assert_eq!(keys, ["2"]);
        let tally = books.get("betpawa");
        assert_eq!((tally.counts.events_seen, tally.calls_failed), (1, 1));
    }

    #[test]
    fn records_take_the_home_books_names_and_link_every_book_that_answered() {
        let mut merged = event("1", None);
        merged
            .full
            .push(("pinnacle".into(), odds("1", "pinnacle", "2.10")));
        let input = detection_input(
            ("betpawa", 2),
            &BTreeSet::new(),
            vec![(
                merged,
                vec![
                    ("bet9ja".into(), Err(timeout("bet9ja"))),
                    answered("sportybet", odds("1", "sportybet", "2.00")),
                    answered("betpawa", odds("1", "betpawa", "2.00")),
                ],
            )],
            &mut CycleBooks::default(),
        );
        let records = event_records(&input);
        assert_eq!(records.len(), 1);
        let record = &records[0].record;
        assert_eq!(record.sr_id, "1");
        assert_eq!(record.home_team, "betpawa home");
        assert_eq!(record.tournament.as_deref(), Some("betpawa league"));
        assert_eq!(
            record.kickoff,
            Some(kickoff() + chrono::Duration::hours(1)),
            "no merged kickoff: the answer's"
        );
        let links: Vec<(&str, &str)> = records[0]
            .books
            .iter()
            .map(|(b, id)| (b.as_str(), id.as_str()))
            .collect();
        assert_eq!(
            links,
            [
                ("pinnacle", "pinnacle-1"),
                ("sportybet", "sportybet-1"),
                ("betpawa", "betpawa-1")
            ]
        );
    }

    #[test]
    fn without_the_home_book_the_first_answer_names_the_event() {
        let input = detection_input(
            ("betpawa", 2),
            &BTreeSet::new(),
            vec![(
                event("1", Some(kickoff())),
                vec![
                    answered("sportybet", odds("1", "sportybet", "2.00")),
                    answered("bet9ja", odds("1", "bet9ja", "2.00")),
                ],
            )],
            &mut CycleBooks::default(),
        );
        let record = &event_records(&input)[0].record;
        assert_eq!(record.home_team, "sportybet home");
        assert_eq!(record.kickoff, Some(kickoff()), "the merged kickoff wins");
    }

    #[test]
    fn a_first_cycle_batch_writes_every_market_with_its_history_and_no_alert() {
        let input = cycle(&["1", "2", "3"], "2.00");
        let output = Detector::new().detect_cycle(&input, &Rules::default(), now());
        let batch = write_batch(now(), &input, output);
        assert_eq!(batch.at, now());
        assert_eq!(batch.events.len(), 3);
        assert_eq!(batch.odds.len(), 6, "one 1X2 row per event and book");
        assert!(batch.odds.iter().all(|o| o.record_history && o.available));
        assert!(batch.alerts.is_empty());
    }

    #[test]
    fn a_batch_holds_its_own_events_rows_and_alerts_only() {
        let mut detector = Detector::new();
        let rules = Rules::default();
        let first = cycle(&["1", "2"], "2.00");
        detector.detect_cycle(&first, &rules, now());
        let later = now() + chrono::Duration::minutes(5);
        let input = cycle(&["2"], "2.50");
        let output = detector.detect_cycle(&input, &rules, later);
        let batch = write_batch(later, &input, output);
        let keys: Vec<&str> = batch
            .events
            .iter()
            .map(|e| e.record.sr_id.as_str())
            .collect();
        assert_eq!(keys, ["2"]);
        assert_eq!(batch.odds.len(), 1, "only the moved market is written");
        assert_eq!(
            (
                batch.odds[0].event_key.as_str(),
                batch.odds[0].bookmaker.as_str()
            ),
            ("2", "betpawa")
        );
        assert!(!batch.alerts.is_empty(), "a 25 % move raises an alert");
        assert!(batch.alerts.iter().all(|a| a.event_key == "2"));
    }
}
