//! The one feed trait and the one place feeds are dispatched.
//!
//! A bookmaker's own site ([`BookFeed`]: BetPawa, SportyBet, Bet9ja) lists its events, then
//! answers one request per event. Each adapter implements only the raw parts — list the events,
//! say where an event lives, read an event body — and the trait provides, once, what every book
//! shares: building the client, counting each public call's failure exactly once, a 404 on an
//! event as [`FeedError::EventGone`], and the parse timing.
//!
//! The Odds API is the other kind, a **snapshot**: one poll answers every event of every
//! bookmaker, so there is nothing to fetch after discovery. [`Feed`] holds either kind and
//! [`Feed::discover`] says which answer it gave ([`Discovered::Refs`] or [`Discovered::Full`]);
//! only a book has a per-event fetch ([`Feed::book`]), so no caller can ask a snapshot for one.
//!
//! Choices: the trait is dyn-compatible (futures are boxed) so the pipeline holds any book as
//! one `Box<dyn BookFeed>`; a boxed future per event costs nothing next to its HTTP request.
//! Constructors are `where Self: Sized`, outside the dyn part.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;

use super::http::{BookClient, Fetched, HttpPolicy};
use super::theoddsapi::{OddsApiSettings, TheOddsApi};
use super::{Bet9ja, BetPawa, BookStats, Discovery, EventRef, FeedError, FeedKind, SportyBet};
use crate::config::BookConfig;
use crate::domain::EventOdds;

/// What a book's API is on the wire: its slug and the headers it wants on every request.
#[derive(Debug, Clone, Copy)]
pub struct BookWire {
    /// Book slug (errors, stats, config section).
    pub book: &'static str,
    /// Sent on every request besides a browser user-agent.
    pub headers: &'static [(&'static str, &'static str)],
}

/// A bookmaker's own site: discovery lists its events, then each event is fetched on its own.
///
/// Implement the raw parts ([`list_events`](BookFeed::list_events),
/// [`event_path`](BookFeed::event_path), [`read_event`](BookFeed::read_event)); call the
/// provided ones ([`discover`](BookFeed::discover), [`fetch_event`](BookFeed::fetch_event),
/// [`parse_event`](BookFeed::parse_event)), which count failures and map a 404 alike for every
/// book.
pub trait BookFeed: Send + Sync + Debug {
    /// The book's slug and headers.
    fn wire() -> BookWire
    where
        Self: Sized;

    /// The adapter around its HTTP client.
    fn from_client(client: BookClient) -> Self
    where
        Self: Sized;

    /// The book's HTTP client (policy, breaker, counters).
    fn client(&self) -> &BookClient;

    /// Raw discovery (failures not yet counted; [`BookFeed::discover`] counts them).
    fn list_events(&self) -> BoxFuture<'_, Result<Discovery, FeedError>>;

    /// Path and query of one event's endpoint; `event_id` is already canonical
    /// ([`BookFeed::canonical_event_id`]).
    fn event_path(&self, event_id: &str) -> String;

    /// Decodes and maps one event body. `what` names the request in errors; `event_id` is the
    /// canonical id (for [`FeedError::EventGone`] when the body says the event is over).
    fn read_event(&self, what: &str, body: &[u8], event_id: &str) -> Result<EventOdds, FeedError>;

    /// The id the event endpoint wants for a user-given `event_id` (as given, by default).
    fn canonical_event_id(&self, event_id: &str) -> String {
        event_id.to_string()
    }

    /// An adapter for the book's API at `base_url`.
    fn new(base_url: &str, policy: HttpPolicy) -> Result<Self, FeedError>
    where
        Self: Sized,
    {
        let wire = Self::wire();
        let client = BookClient::new(wire.book, base_url, policy, wire.headers)?;
        Ok(Self::from_client(client))
    }

    /// The book's counters.
    fn stats(&self) -> &Arc<BookStats> {
        self.client().stats()
    }

    /// Every upcoming football event with a SportRadar id, over all the book's lists. `Err`
    /// only when no list answered; a failure is counted once.
    fn discover(&self) -> BoxFuture<'_, Result<Discovery, FeedError>> {
        Box::pin(async move {
            let result = self.list_events().await;
            self.client().counted(result)
        })
    }

    /// One event's odds by the book's own event id; a failure is counted once.
    fn fetch_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<EventOdds, FeedError>> {
        Box::pin(async move {
            let result = async {
                let event_id = self.canonical_event_id(event_id);
                let fetched = self.fetch_event_body(&event_id).await?;
                self.client()
                    .timed_parse(|| self.read_event(&fetched.what, &fetched.body, &event_id))
            }
            .await;
            self.client().counted(result)
        })
    }

    /// One event's raw response, **not counted** (the caller counts): a 404 is
    /// [`FeedError::EventGone`], since books answer it for an event taken off.
    fn fetch_event_body<'a>(
        &'a self,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, FeedError>> {
        Box::pin(async move {
            match self.client().get(&self.event_path(event_id)).await {
                Err(FeedError::Status { status: 404, .. }) => Err(FeedError::EventGone {
                    book: self.client().book().to_string(),
                    event: event_id.to_string(),
                }),
                other => other,
            }
        })
    }

    /// Parses one event body as the event endpoint returns it (benchmarks, replays, fuzzing).
    fn parse_event(&self, body: &[u8]) -> Result<EventOdds, FeedError> {
        self.read_event("event body", body, "event body")
    }
}

/// One book's result of a cycle: the events it priced and the calls that failed. An event whose
/// fetch failed is absent from `events` and present in `failures`; the pipeline must not read
/// that absence as the event's markets disappearing.
#[derive(Debug, Clone, PartialEq)]
pub struct BookSnapshot {
    /// Book slug (for The Odds API: the bookmaker key, e.g. `pinnacle`).
    pub book: String,
    /// Events with their mapped markets, ordered by `event_key`.
    pub events: Vec<EventOdds>,
    /// Failed event fetches (skips for lack of a SportRadar id are only counted).
    pub failures: Vec<FeedError>,
}

/// What a feed's discovery answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Discovered {
    /// A book's events, to fetch one by one with [`BookFeed::fetch_event`] (and the lists that
    /// failed: their events are unknown this cycle, not gone).
    Refs(Discovery),
    /// A snapshot's complete odds, one [`BookSnapshot`] per bookmaker: nothing left to fetch.
    Full(Vec<BookSnapshot>),
}

/// Any feed, built from its config; the pipeline holds one per configured book.
#[derive(Debug)]
pub enum Feed {
    /// A bookmaker's own site (BetPawa, SportyBet, Bet9ja).
    Book(Box<dyn BookFeed>),
    /// The Odds API: every bookmaker's events in one poll (boxed like a book: it is large).
    Snapshot(Box<TheOddsApi>),
}

impl Feed {
    /// The feed `kind` with the HTTP policy and base URL of `config`.
    pub fn from_config(kind: FeedKind, config: &BookConfig) -> Result<Feed, FeedError> {
        Feed::with_policy(
            kind,
            config,
            &config.base_url,
            HttpPolicy::from_book(config),
        )
    }

    /// Like [`Feed::from_config`] with an explicit base URL and policy (tests, `--base-url`).
    pub fn with_policy(
        kind: FeedKind,
        config: &BookConfig,
        base_url: &str,
        policy: HttpPolicy,
    ) -> Result<Feed, FeedError> {
        Ok(match kind {
            FeedKind::BetPawa => Feed::Book(Box::new(BetPawa::new(base_url, policy)?)),
            FeedKind::SportyBet => Feed::Book(Box::new(SportyBet::new(base_url, policy)?)),
            FeedKind::Bet9ja => Feed::Book(Box::new(Bet9ja::new(base_url, policy)?)),
            FeedKind::TheOddsApi => Feed::Snapshot(Box::new(TheOddsApi::new(
                base_url,
                policy,
                OddsApiSettings::from_book(config),
            )?)),
        })
    }

    /// The feed's counters.
    pub fn stats(&self) -> &Arc<BookStats> {
        self.client().stats()
    }

    /// The feed's HTTP client (policy, breaker, counters).
    pub fn client(&self) -> &BookClient {
        match self {
            Feed::Book(book) => book.client(),
            Feed::Snapshot(api) => api.client(),
        }
    }

    /// The book, when the feed fetches events one by one; `None` for a snapshot, whose odds
    /// all came with its discovery.
    pub fn book(&self) -> Option<&dyn BookFeed> {
        match self {
            Feed::Book(book) => Some(book.as_ref()),
            Feed::Snapshot(_) => None,
        }
    }

    /// Discovery: a book's event references, or a snapshot's complete odds. `Err` only when
    /// nothing is known about the feed this cycle.
    pub async fn discover(&self) -> Result<Discovered, FeedError> {
        Ok(match self {
            Feed::Book(book) => Discovered::Refs(book.discover().await?),
            Feed::Snapshot(api) => Discovered::Full(api.fetch_all().await?.into_book_snapshots()),
        })
    }

    /// Discovery plus every event's odds. `Err` only when discovery itself failed (nothing is
    /// known about the book this cycle); failed lists and events are in
    /// [`BookSnapshot::failures`]. The Odds API yields one [`BookSnapshot`] per bookmaker, the
    /// others exactly one.
    pub async fn scrape(&self) -> Result<Vec<BookSnapshot>, FeedError> {
        match self {
            Feed::Book(book) => {
                let found = book.discover().await?;
                let fetch = |r: EventRef| async move { book.fetch_event(&r.book_event_id).await };
                Ok(vec![scrape_events(book.client(), found, fetch).await])
            }
            Feed::Snapshot(api) => Ok(api.fetch_all().await?.into_book_snapshots()),
        }
    }

    /// One event by the book's own id: fetched alone from a book; from a snapshot, the whole
    /// poll with every bookmaker's odds of that event kept (one request answers everything).
    pub async fn scrape_event(&self, event_id: &str) -> Result<Vec<BookSnapshot>, FeedError> {
        match self {
            Feed::Book(book) => Ok(vec![BookSnapshot {
                book: book.client().book().to_string(),
                events: vec![book.fetch_event(event_id).await?],
                failures: Vec::new(),
            }]),
            Feed::Snapshot(api) => Ok(api
                .fetch_all()
                .await?
                .into_book_snapshots()
                .into_iter()
                .map(|mut s| {
                    s.events.retain(|e| e.book_event_id == event_id);
                    s
                })
                .filter(|s| !s.events.is_empty())
                .collect()),
        }
    }
}

/// Fetches every discovered event with the book's concurrency; collects events and failures
/// (discovery's own failures first).
async fn scrape_events<F, Fut>(client: &BookClient, found: Discovery, fetch: F) -> BookSnapshot
where
    F: Fn(EventRef) -> Fut,
    Fut: Future<Output = Result<EventOdds, FeedError>>,
{
    // The client's semaphore bounds requests in flight; the stream keeps a few more futures
    // ready so a permit is never idle.
    let width = client.policy().concurrency * 2;
    let results: Vec<_> = futures::stream::iter(found.events)
        .map(fetch)
        .buffer_unordered(width.max(1))
        .collect()
        .await;
    let mut snapshot = BookSnapshot {
        book: client.book().to_string(),
        events: Vec::with_capacity(results.len()),
        failures: found.failures,
    };
    for result in results {
        match result {
            Ok(event) => snapshot.events.push(event),
            Err(FeedError::NoSportRadarId { .. }) => {}
            Err(e) => snapshot.failures.push(e),
        }
    }
    snapshot
        .events
        .sort_by(|a, b| a.event_key.cmp(&b.event_key));
    snapshot
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::sources::FailureKind;

    /// The smallest book: `/list` answering lists event `1`; events at `/event/<id>`, ids
    /// canonical with an `ev-` prefix; a body `{"gone": true}` means the event is over.
    #[derive(Debug)]
    struct TinyBook {
        client: BookClient,
    }

    impl BookFeed for TinyBook {
        fn wire() -> BookWire {
            BookWire {
                book: "tiny",
                headers: &[("accept", "application/json")],
            }
        }

        fn from_client(client: BookClient) -> Self {
            TinyBook { client }
        }

        fn client(&self) -> &BookClient {
            &self.client
        }

        fn list_events(&self) -> BoxFuture<'_, Result<Discovery, FeedError>> {
            Box::pin(async move {
                self.client.get("/list").await?;
                Ok(Discovery {
                    events: vec![listed_event()],
                    failures: Vec::new(),
                })
            })
        }

        fn canonical_event_id(&self, event_id: &str) -> String {
            format!("ev-{}", event_id.trim_start_matches("ev-"))
        }

        fn event_path(&self, event_id: &str) -> String {
            format!("/event/{event_id}")
        }

        fn read_event(
            &self,
            what: &str,
            body: &[u8],
            event_id: &str,
        ) -> Result<EventOdds, FeedError> {
            // Long enough to show up in the parse time, however fast the machine.
            std::thread::sleep(Duration::from_millis(2));
            let body: serde_json::Value = crate::sources::http::decode_json("tiny", what, body)?;
            if body["gone"] == true {
                return Err(FeedError::EventGone {
                    book: "tiny".into(),
                    event: event_id.to_string(),
                });
            }
            Ok(EventOdds {
                event_key: "1".into(),
                book_event_id: event_id.to_string(),
                home_team: "Home".into(),
                away_team: "Away".into(),
                tournament: None,
                country: None,
                kickoff: None,
                markets: Vec::new(),
            })
        }
    }

    fn listed_event() -> EventRef {
        EventRef {
            book_event_id: "1".into(),
            sportradar_id: "1".into(),
            kickoff: None,
            home_team: "Home".into(),
            away_team: "Away".into(),
            tournament: None,
            country: None,
        }
    }

    fn no_retries() -> HttpPolicy {
        HttpPolicy {
            retries: 0,
            delay: Duration::ZERO,
            ..HttpPolicy::default()
        }
    }

    async fn book_answering(route: &str, response: ResponseTemplate) -> (MockServer, TinyBook) {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(response)
            .mount(&server)
            .await;
        let book = TinyBook::new(&server.uri(), no_retries()).expect("client builds");
        (server, book)
    }

    fn total_failures(book: &TinyBook) -> u64 {
        book.stats().snapshot().failures.values().sum()
    }

    #[tokio::test]
    async fn an_event_answering_404_is_gone_under_its_canonical_id_and_counted_once() {
        let (_server, book) = book_answering("/event/ev-7", ResponseTemplate::new(404)).await;
        let error = book.fetch_event("7").await.unwrap_err();
        assert_eq!(
            error,
            FeedError::EventGone {
                book: "tiny".into(),
                event: "ev-7".into()
            }
        );
        assert_eq!(book.stats().failures(FailureKind::EventGone), 1);
        assert_eq!(total_failures(&book), 1);
    }

    #[tokio::test]
    async fn an_event_the_body_calls_over_is_gone_and_counted_once() {
        let body = ResponseTemplate::new(200).set_body_json(serde_json::json!({"gone": true}));
        let (_server, book) = book_answering("/event/ev-8", body).await;
        let error = book.fetch_event("ev-8").await.unwrap_err();
        assert!(matches!(error, FeedError::EventGone { ref event, .. } if event == "ev-8"));
        assert_eq!(total_failures(&book), 1);
    }

    #[tokio::test]
    async fn other_statuses_stay_status_errors_and_count_once() {
        let (_server, book) = book_answering("/event/ev-9", ResponseTemplate::new(403)).await;
        let error = book.fetch_event("9").await.unwrap_err();
        assert!(
            matches!(error, FeedError::Status { status: 403, .. }),
            "{error}"
        );
        assert_eq!(book.stats().failures(FailureKind::EventGone), 0);
        assert_eq!(total_failures(&book), 1);
    }

    #[tokio::test]
    async fn a_fetched_event_is_parsed_timed_and_counts_no_failure() {
        let body = ResponseTemplate::new(200).set_body_json(serde_json::json!({}));
        let (_server, book) = book_answering("/event/ev-1", body).await;
        let event = book.fetch_event("1").await.unwrap();
        assert_eq!(event.book_event_id, "ev-1");
        assert_eq!(total_failures(&book), 0);
        assert!(book.stats().parse_time() >= Duration::from_millis(2));
    }

    #[tokio::test]
    async fn a_failed_discovery_is_counted_once() {
        let (_server, book) = book_answering("/list", ResponseTemplate::new(403)).await;
        let error = book.discover().await.unwrap_err();
        assert!(
            matches!(error, FeedError::Status { status: 403, .. }),
            "{error}"
        );
        assert_eq!(total_failures(&book), 1);
    }

    #[tokio::test]
    async fn a_raw_event_body_is_not_counted_so_its_caller_can_count_it() {
        let (_server, book) = book_answering("/event/ev-3", ResponseTemplate::new(404)).await;
        let error = book.fetch_event_body("ev-3").await.unwrap_err();
        assert!(matches!(error, FeedError::EventGone { .. }));
        assert_eq!(total_failures(&book), 0);
    }

    #[test]
    fn a_replayed_body_is_read_without_the_network() {
        let book = TinyBook::new("http://127.0.0.1:9", no_retries()).unwrap();
        let event = book.parse_event(b"{}").unwrap();
        assert_eq!(event.book_event_id, "event body");
        assert!(matches!(
            book.parse_event(b"{").unwrap_err(),
            FeedError::Malformed { .. }
        ));
    }

    #[tokio::test]
    async fn a_book_feed_discovers_references_and_scrapes_each_listed_event() {
        let server = MockServer::start().await;
        for route in ["/list", "/event/ev-1"] {
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
                .mount(&server)
                .await;
        }
        let feed = Feed::Book(Box::new(
            TinyBook::new(&server.uri(), no_retries()).unwrap(),
        ));
        assert!(feed.book().is_some());
        assert_eq!(
            feed.discover().await.unwrap(),
            Discovered::Refs(Discovery {
                events: vec![listed_event()],
                failures: Vec::new()
            })
        );
        let snapshots = feed.scrape().await.unwrap();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].book, "tiny");
        assert_eq!(snapshots[0].events[0].book_event_id, "ev-1");
        assert!(snapshots[0].failures.is_empty());
        let one = feed.scrape_event("1").await.unwrap();
        assert_eq!(one, snapshots);
    }
}
