//! Feed adapters: one per bookmaker format, each turning the book's JSON into
//! [`EventOdds`](crate::domain::EventOdds) in canonical (home book) market ids.
//!
//! Every adapter offers **discovery** (which events the book has: [`EventRef`]s) and **one
//! event's odds**; [`Feed::scrape`] does both for a whole book and is what the pipeline calls
//! once per cycle. HTTP policy (timeouts, retries, limits) lives in [`http`]; counters in
//! [`stats`]; the market-mapping table in [`mapping`]. Nothing here writes to the database.

pub mod bet9ja;
pub mod betpawa;
pub mod breaker;
pub mod error;
pub mod http;
mod json;
pub mod mapping;
mod policy;
pub mod sportybet;
pub mod stats;
pub mod theoddsapi;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

pub use bet9ja::Bet9ja;
pub use betpawa::BetPawa;
pub use breaker::BreakerState;
pub use error::{FailureKind, FeedError};
pub use http::{BookClient, HttpPolicy};
pub use sportybet::SportyBet;
pub use stats::{BookStats, Quota, StatsSnapshot};
pub use theoddsapi::{OddsApiSettings, OddsApiSnapshot, TheOddsApi};

use crate::config::BookConfig;
use crate::domain::EventOdds;

/// The feed formats oddswatch speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedKind {
    /// BetPawa (the home book of the reference system).
    BetPawa,
    /// SportyBet.
    SportyBet,
    /// Bet9ja.
    Bet9ja,
    /// The Odds API v4 (many bookmakers in one response).
    TheOddsApi,
}

impl FeedKind {
    /// Every feed.
    pub const ALL: [FeedKind; 4] = [
        FeedKind::BetPawa,
        FeedKind::SportyBet,
        FeedKind::Bet9ja,
        FeedKind::TheOddsApi,
    ];

    /// The slug used in config (`[books.<slug>]`) and on the command line.
    pub fn slug(self) -> &'static str {
        match self {
            FeedKind::BetPawa => "betpawa",
            FeedKind::SportyBet => "sportybet",
            FeedKind::Bet9ja => "bet9ja",
            FeedKind::TheOddsApi => "theoddsapi",
        }
    }

    /// The feed of a config slug.
    pub fn from_slug(slug: &str) -> Option<FeedKind> {
        FeedKind::ALL.into_iter().find(|k| k.slug() == slug)
    }
}

/// One event as discovery reports it: enough to fetch it and to match it across books.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRef {
    /// The book's own id, as its event endpoint wants it.
    pub book_event_id: String,
    /// SportRadar match id (plain numeric string).
    pub sportradar_id: String,
    /// Kickoff, when the list gives it.
    pub kickoff: Option<DateTime<Utc>>,
    /// Home team as the book names it.
    pub home_team: String,
    /// Away team as the book names it.
    pub away_team: String,
    /// Competition / tournament / league.
    pub tournament: Option<String>,
    /// Country or region.
    pub country: Option<String>,
}

/// What discovery found: the events, and the sub-lists (competitions, tournaments, leagues)
/// that failed — their events are unknown this cycle, not gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// Events with a SportRadar id, ordered by it.
    pub events: Vec<EventRef>,
    /// Failed sub-lists (already counted in the book's stats).
    pub failures: Vec<FeedError>,
}

/// One discovery list (a competition, tournament or league) that answered: its events, and the
/// items of it that could not be read. A broken item costs that item only, never its list.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    /// Events read from the list.
    pub events: Vec<EventRef>,
    /// Items that failed (undecodable, or their follow-up fetch failed).
    pub failures: Vec<FeedError>,
}

/// Decodes one list item on its own, so that one malformed item does not fail its whole list.
/// The error names the item's index in the list and the JSON path inside it.
pub(crate) fn decode_item<T: serde::de::DeserializeOwned>(
    book: &str,
    what: &str,
    index: usize,
    item: serde_json::Value,
) -> Result<T, FeedError> {
    serde_path_to_error::deserialize(item).map_err(|e| FeedError::Malformed {
        book: book.to_string(),
        what: format!("{what} (list item {index})"),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Merges per-list discovery results. A failed list does not sink the others; only when every
/// list failed is discovery itself an error (the book is unreadable this cycle). Failed items of
/// lists that answered are counted (as failures of their kind and as
/// `discovery_items_failed`), logged, and reported in [`Discovery::failures`].
pub(crate) fn merge_lists(
    client: &BookClient,
    lists: Vec<Result<Listed, FeedError>>,
) -> Result<Discovery, FeedError> {
    let total = lists.len();
    let mut events = Vec::new();
    let mut failures = Vec::new();
    let mut item_failures = Vec::new();
    for list in lists {
        match list {
            Ok(list) => {
                events.extend(list.events);
                item_failures.extend(list.failures);
            }
            Err(e) => failures.push(e),
        }
    }
    for e in &item_failures {
        tracing::warn!(book = %client.book(), error = %e, "discovery: one list item failed; the rest of its list is kept");
        client.stats().record_discovery_item_failure();
        client.stats().record_failure(e);
    }
    if total > 0 && failures.len() == total {
        // The caller counts the error it returns; count the others here.
        for e in &failures[1..] {
            client.stats().record_failure(e);
        }
        return Err(failures.swap_remove(0));
    }
    for e in &failures {
        client.stats().record_failure(e);
    }
    failures.extend(item_failures);
    events.sort_by(|a, b| a.sportradar_id.cmp(&b.sportradar_id));
    events.dedup_by(|a, b| a.book_event_id == b.book_event_id);
    Ok(Discovery { events, failures })
}

/// One book's result of a cycle: the events it priced and the calls that failed. An event whose
/// fetch failed is absent from `events` and present in `failures`; the pipeline must not read
/// that absence as the event's markets disappearing.
#[derive(Debug, Clone, PartialEq)]
pub struct BookScrape {
    /// Book slug (for The Odds API: the bookmaker key, e.g. `pinnacle`).
    pub book: String,
    /// Events with their mapped markets, ordered by `event_key`.
    pub events: Vec<EventOdds>,
    /// Failed event fetches (skips for lack of a SportRadar id are only counted).
    pub failures: Vec<FeedError>,
}

/// Any feed, built from its config; the pipeline holds one per configured book.
#[derive(Debug)]
pub enum Feed {
    /// BetPawa.
    BetPawa(BetPawa),
    /// SportyBet.
    SportyBet(SportyBet),
    /// Bet9ja.
    Bet9ja(Bet9ja),
    /// The Odds API.
    TheOddsApi(TheOddsApi),
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
            FeedKind::BetPawa => Feed::BetPawa(BetPawa::new(base_url, policy)?),
            FeedKind::SportyBet => Feed::SportyBet(SportyBet::new(base_url, policy)?),
            FeedKind::Bet9ja => Feed::Bet9ja(Bet9ja::new(base_url, policy)?),
            FeedKind::TheOddsApi => Feed::TheOddsApi(TheOddsApi::new(
                base_url,
                policy,
                OddsApiSettings::from_book(config),
            )?),
        })
    }

    /// The feed's counters.
    pub fn stats(&self) -> &Arc<BookStats> {
        self.client().stats()
    }

    /// The feed's HTTP client (policy, breaker, counters).
    pub fn client(&self) -> &BookClient {
        match self {
            Feed::BetPawa(f) => f.client(),
            Feed::SportyBet(f) => f.client(),
            Feed::Bet9ja(f) => f.client(),
            Feed::TheOddsApi(f) => f.client(),
        }
    }

    /// Discovery plus every event's odds. `Err` only when discovery itself failed (nothing is
    /// known about the book this cycle); failed lists and events are in
    /// [`BookScrape::failures`].
    /// The Odds API yields one [`BookScrape`] per bookmaker, the others exactly one.
    pub async fn scrape(&self) -> Result<Vec<BookScrape>, FeedError> {
        match self {
            Feed::BetPawa(f) => {
                let found = f.discover().await?;
                Ok(vec![
                    scrape_events(f.client(), found, |r| f.fetch_event_ref(r)).await,
                ])
            }
            Feed::SportyBet(f) => {
                let found = f.discover().await?;
                Ok(vec![
                    scrape_events(f.client(), found, |r| f.fetch_event_ref(r)).await,
                ])
            }
            Feed::Bet9ja(f) => {
                let found = f.discover().await?;
                Ok(vec![
                    scrape_events(f.client(), found, |r| f.fetch_event_ref(r)).await,
                ])
            }
            Feed::TheOddsApi(f) => Ok(f.fetch_all().await?.into_book_scrapes()),
        }
    }
}

/// Fetches every discovered event with the book's concurrency; collects events and failures
/// (discovery's own failures first).
async fn scrape_events<'a, F, Fut>(client: &BookClient, found: Discovery, fetch: F) -> BookScrape
where
    F: Fn(EventRef) -> Fut,
    Fut: Future<Output = Result<EventOdds, FeedError>> + 'a,
{
    // The client's semaphore bounds requests in flight; the stream keeps a few more futures
    // ready so a permit is never idle.
    let width = client.policy().concurrency * 2;
    let results: Vec<_> = futures::stream::iter(found.events)
        .map(fetch)
        .buffer_unordered(width.max(1))
        .collect()
        .await;
    let mut scrape = BookScrape {
        book: client.book().to_string(),
        events: Vec::with_capacity(results.len()),
        failures: found.failures,
    };
    for result in results {
        match result {
            Ok(event) => scrape.events.push(event),
            Err(FeedError::NoSportRadarId { .. }) => {}
            Err(e) => scrape.failures.push(e),
        }
    }
    scrape.events.sort_by(|a, b| a.event_key.cmp(&b.event_key));
    scrape
}

/// Splits `"Home - Away"` into the two team names.
pub(crate) fn split_teams(name: &str) -> (String, String) {
    match name.split_once(" - ") {
        Some((home, away)) => (home.trim().to_string(), away.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// Percent-encodes query pairs (`a=b&c=d`).
pub(crate) fn encode_query(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://query.invalid/").expect("a constant URL parses");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_split_on_the_spaced_dash_only() {
        assert_eq!(
            split_teams("Saint-Etienne - Paris SG"),
            ("Saint-Etienne".into(), "Paris SG".into())
        );
        assert_eq!(split_teams("Solo"), ("Solo".into(), String::new()));
    }

    #[test]
    fn feed_slugs_round_trip() {
        for kind in FeedKind::ALL {
            assert_eq!(FeedKind::from_slug(kind.slug()), Some(kind));
        }
        assert_eq!(FeedKind::from_slug("pinnacle"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query(&[("q", "{\"a\": [1]}")]),
            "q=%7B%22a%22%3A+%5B1%5D%7D"
        );
    }
}
