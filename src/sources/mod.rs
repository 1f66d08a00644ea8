//! Feed adapters: one per bookmaker format, each turning the book's JSON into
//! [`EventOdds`](crate::domain::EventOdds) in canonical (home book) market ids.
//!
//! A book's adapter offers **discovery** (which events the book has: [`EventRef`]s) and **one
//! event's odds** through the one trait [`BookFeed`]; The Odds API is a snapshot answering
//! everything at once. [`Feed`] holds either kind and is the one place they are told apart
//! ([`feed`]). HTTP policy (timeouts, retries, limits) lives in [`http`]; counters in
//! [`stats`]; the market-mapping table in [`mapping`]. Nothing here writes to the database.

pub mod bet9ja;
pub mod betpawa;
pub mod breaker;
pub mod error;
pub mod feed;
pub mod http;
mod json;
pub mod mapping;
mod policy;
pub mod sportybet;
pub mod stats;
pub mod theoddsapi;

use std::future::Future;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use bet9ja::Bet9ja;
pub use betpawa::BetPawa;
pub use breaker::BreakerState;
pub use error::{FailureKind, FeedError};
pub use feed::{BookFeed, BookSnapshot, BookWire, Discovered, Feed};
pub use http::{BookClient, HttpPolicy};
pub use sportybet::SportyBet;
pub use stats::{BookStats, Quota, StatsSnapshot};
pub use theoddsapi::{OddsApiSettings, OddsApiSnapshot, TheOddsApi};

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

impl Listed {
    /// Decodes a list's items one by one, so that one malformed item does not fail its whole
    /// list: the broken ones are kept in [`Listed::failures`], named by their index in the list
    /// (counting from `first`, for paged lists) and the JSON path inside them.
    pub(crate) fn decode_items<T: DeserializeOwned>(
        &mut self,
        book: &str,
        what: &str,
        first: usize,
        items: Vec<serde_json::Value>,
    ) -> Vec<T> {
        let mut decoded = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            match serde_path_to_error::deserialize(item) {
                Ok(item) => decoded.push(item),
                Err(e) => self.failures.push(FeedError::Malformed {
                    book: book.to_string(),
                    what: format!("{what} (list item {})", first + index),
                    path: e.path().to_string(),
                    message: e.inner().to_string(),
                }),
            }
        }
        decoded
    }
}

/// Reads every discovery list of a book with its concurrency and merges the answers
/// ([`merge_lists`]).
pub(crate) async fn read_lists<L, F, Fut>(
    client: &BookClient,
    lists: Vec<L>,
    read: F,
) -> Result<Discovery, FeedError>
where
    F: FnMut(L) -> Fut,
    Fut: Future<Output = Result<Listed, FeedError>>,
{
    let width = client.policy().concurrency.max(1);
    let answers: Vec<Result<Listed, FeedError>> = futures::stream::iter(lists)
        .map(read)
        .buffer_unordered(width)
        .collect()
        .await;
    merge_lists(client, answers)
}

/// Merges per-list discovery results. A failed list does not sink the others; only when every
/// list failed is discovery itself an error (the book is unreadable this cycle). Failed items of
/// lists that answered are counted (as failures of their kind and as
/// `discovery_items_failed`), logged, and reported in [`Discovery::failures`].
fn merge_lists(
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
