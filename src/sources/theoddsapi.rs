//! The Odds API v4: one request per sport returns every bookmaker's odds. The adapter splits the
//! response per bookmaker key so the pipeline can treat each as a book. Its quota is read from
//! the `x-requests-*` headers; polling stops (a typed error) below `min_quota_remaining`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::http::{BookClient, HttpPolicy};
use super::json::{Decimal, Text};
use super::mapping::{self, LineKind, MarketMapping};
use super::stats::{BookStats, Quota};
use super::{BookSnapshot, FeedError, encode_query};
use crate::config::{BookConfig, Secret};
use crate::domain::{EventOdds, Line, MarketOdds, OutcomeOdds};

/// Feed slug.
pub const BOOK: &str = "theoddsapi";

/// What The Odds API needs beyond the HTTP policy.
#[derive(Debug, Clone, PartialEq)]
pub struct OddsApiSettings {
    /// API key (a secret: never logged).
    pub api_key: Secret,
    /// Sport keys, one request each.
    pub sports: Vec<String>,
    /// Stop polling below this many remaining requests.
    pub min_quota_remaining: u64,
}

impl OddsApiSettings {
    /// The settings of a `[books.theoddsapi]` section (defaults: `soccer_epl`, keep 10).
    pub fn from_book(config: &BookConfig) -> Self {
        OddsApiSettings {
            api_key: config.api_key.clone().unwrap_or_default(),
            sports: config
                .sports
                .clone()
                .unwrap_or_else(|| vec!["soccer_epl".to_string()]),
            min_quota_remaining: config.min_quota_remaining.unwrap_or(10).into(),
        }
    }
}

/// The Odds API adapter.
#[derive(Debug)]
pub struct TheOddsApi {
    client: BookClient,
    settings: OddsApiSettings,
}

/// One poll of every configured sport, split per bookmaker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OddsApiSnapshot {
    /// Events per bookmaker key, ordered by event id.
    pub bookmakers: BTreeMap<String, Vec<EventOdds>>,
    /// Sports whose request failed (their events are unknown this cycle for every bookmaker).
    pub failures: Vec<FeedError>,
    /// The quota after the last response.
    pub quota: Option<Quota>,
}

impl OddsApiSnapshot {
    /// One [`BookSnapshot`] per bookmaker; sport failures are attached to each, since every
    /// bookmaker lacks those events.
    pub fn into_book_snapshots(self) -> Vec<BookSnapshot> {
        let failures = self.failures;
        self.bookmakers
            .into_iter()
            .map(|(book, events)| BookSnapshot {
                book,
                events,
                failures: failures.clone(),
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct Event {
    id: Text,
    #[serde(default)]
    sport_title: Option<String>,
    #[serde(default)]
    commence_time: Option<String>,
    #[serde(default)]
    home_team: String,
    #[serde(default)]
    away_team: String,
    /// Required, like `markets` and `outcomes` below: a missing array is a malformed body (a
    /// source-health failure), never an empty one that would read as "everything vanished".
    bookmakers: Vec<Bookmaker>,
}

#[derive(Deserialize)]
struct Bookmaker {
    key: String,
    markets: Vec<Market>,
}

#[derive(Deserialize)]
struct Market {
    key: String,
    outcomes: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    name: String,
    price: Decimal,
    #[serde(default)]
    point: Option<Decimal>,
}

impl TheOddsApi {
    /// An adapter for The Odds API at `base_url`.
    pub fn new(
        base_url: &str,
        policy: HttpPolicy,
        settings: OddsApiSettings,
    ) -> Result<Self, FeedError> {
        Ok(TheOddsApi {
            client: BookClient::new(BOOK, base_url, policy, &[("accept", "application/json")])?,
            settings,
        })
    }

    /// The feed's counters (its quota included).
    pub fn stats(&self) -> &Arc<BookStats> {
        self.client.stats()
    }

    pub(crate) fn client(&self) -> &BookClient {
        &self.client
    }

    /// The quota after the last response, if any was received.
    pub fn quota(&self) -> Option<Quota> {
        self.client.stats().quota()
    }

    /// Polls every configured sport. `Err` when the quota is exhausted or every sport failed.
    pub async fn fetch_all(&self) -> Result<OddsApiSnapshot, FeedError> {
        let mut snapshot = OddsApiSnapshot::default();
        let mut any_ok = false;
        for sport in &self.settings.sports {
            match self.fetch_sport(sport).await {
                Ok(by_book) => {
                    any_ok = true;
                    for (book, events) in by_book {
                        snapshot.bookmakers.entry(book).or_default().extend(events);
                    }
                }
                Err(e @ FeedError::QuotaExhausted { .. }) => return Err(e),
                Err(e) => snapshot.failures.push(e),
            }
        }
        if !any_ok && let Some(first) = snapshot.failures.first() {
            return Err(first.clone());
        }
        for events in snapshot.bookmakers.values_mut() {
            events.sort_by(|a, b| a.event_key.cmp(&b.event_key));
        }
        snapshot.quota = self.quota();
        Ok(snapshot)
    }

    /// One sport's events, per bookmaker key.
    pub async fn fetch_sport(
        &self,
        sport: &str,
    ) -> Result<BTreeMap<String, Vec<EventOdds>>, FeedError> {
        let result = self.fetch_sport_inner(sport).await;
        self.client.counted(result)
    }

    async fn fetch_sport_inner(
        &self,
        sport: &str,
    ) -> Result<BTreeMap<String, Vec<EventOdds>>, FeedError> {
        self.check_quota()?;
        let sport_segment = encode_query(&[("", sport)]);
        let path = format!(
            "/v4/sports/{}/odds?regions=eu&markets=h2h%2Ctotals%2Cspreads&oddsFormat=decimal",
            sport_segment.trim_start_matches('=')
        );
        let fetched = self
            .client
            .get_with_secret(&path, ("apiKey", &self.settings.api_key))
            .await?;
        if let Some(quota) = read_quota(&fetched.headers) {
            self.client.stats().set_quota(quota);
        }
        let (by_book, unmapped) = self
            .client
            .timed_parse(|| parse_odds(&fetched.what, &fetched.body))?;
        self.client.stats().record_unmapped_markets(unmapped);
        Ok(by_book)
    }

    fn check_quota(&self) -> Result<(), FeedError> {
        let minimum = self.settings.min_quota_remaining;
        match self.quota().and_then(|q| q.remaining) {
            Some(remaining) if remaining < minimum => Err(FeedError::QuotaExhausted {
                book: BOOK.into(),
                remaining,
                minimum,
            }),
            _ => Ok(()),
        }
    }
}

/// Header values may be fractional (`"499.0"`); counts are whole requests.
fn read_quota(headers: &HeaderMap) -> Option<Quota> {
    let read = |name: &str| -> Option<u64> {
        let value: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
        (value.is_finite() && value >= 0.0).then_some(value as u64)
    };
    let quota = Quota {
        remaining: read("x-requests-remaining"),
        used: read("x-requests-used"),
        last: read("x-requests-last"),
    };
    (quota != Quota::default()).then_some(quota)
}

/// Parses one odds response (a JSON array of events) into each bookmaker's events, and counts
/// the markets that could not be mapped. `what` names the request in errors. Pure: benchmarks,
/// replays and the fuzz tests call it on raw bytes.
pub fn parse_odds(
    what: &str,
    body: &[u8],
) -> Result<(BTreeMap<String, Vec<EventOdds>>, u64), FeedError> {
    let events: Vec<Event> = super::http::decode_json(BOOK, what, body)?;
    let mut unmapped = 0;
    let mut by_book: BTreeMap<String, Vec<EventOdds>> = BTreeMap::new();
    for event in &events {
        for bookmaker in &event.bookmakers {
            let (markets, skipped) = normalise_markets(event, bookmaker);
            unmapped += skipped;
            by_book
                .entry(bookmaker.key.clone())
                .or_default()
                .push(EventOdds {
                    // No SportRadar id in this feed: its own id matches books within a response.
                    event_key: event.id.as_str().to_string(),
                    book_event_id: event.id.as_str().to_string(),
                    home_team: event.home_team.clone(),
                    away_team: event.away_team.clone(),
                    tournament: event.sport_title.clone(),
                    country: None,
                    kickoff: event
                        .commence_time
                        .as_deref()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&Utc)),
                    markets,
                });
        }
    }
    Ok((by_book, unmapped))
}

/// One bookmaker's markets of one event; markets split per line (home point for spreads).
fn normalise_markets(event: &Event, bookmaker: &Bookmaker) -> (Vec<MarketOdds>, u64) {
    let mut unmapped = 0;
    let mut grouped: BTreeMap<(&'static str, Option<Line>), MarketOdds> = BTreeMap::new();
    for market in &bookmaker.markets {
        let Some(mapping) = mapping::by_odds_api_key(&market.key) else {
            unmapped += 1;
            continue;
        };
        for outcome in &market.outcomes {
            let Some((name, line)) = outcome_and_line(mapping, event, outcome) else {
                continue;
            };
            let Some(price) = outcome.price.price() else {
                continue;
            };
            grouped
                .entry((mapping.market_id, line))
                .or_insert_with(|| MarketOdds {
                    market_id: mapping.market_id.to_string(),
                    market_name: mapping.name.to_string(),
                    line,
                    outcomes: Vec::new(),
                })
                .outcomes
                .push(OutcomeOdds {
                    name: name.to_string(),
                    price,
                    // No status field: what is quoted is available.
                    active: true,
                });
        }
    }
    (grouped.into_values().collect(), unmapped)
}

/// Canonical outcome name and line. h2h names are team names (plus `Draw`); totals are
/// `Over`/`Under` at `point`; spreads name teams and the line is the **home** point (the away
/// outcome's point negated).
fn outcome_and_line(
    mapping: &MarketMapping,
    event: &Event,
    outcome: &Outcome,
) -> Option<(&'static str, Option<Line>)> {
    let side = if outcome.name == event.home_team {
        Some("1")
    } else if outcome.name == event.away_team {
        Some("2")
    } else {
        None
    };
    let point = outcome.point.as_ref().and_then(Decimal::line);
    match mapping.line {
        LineKind::None => {
            let name = match side {
                Some(side) => side,
                None if outcome.name.eq_ignore_ascii_case("draw") => "X",
                None => return None,
            };
            mapping.outcome_from_betpawa(name).map(|n| (n, None))
        }
        LineKind::Total => {
            let name = mapping.outcome_from_betpawa(outcome.name.trim())?;
            Some((name, Some(point?)))
        }
        LineKind::Handicap => {
            let side = side?;
            let point = point?;
            let home_line = if side == "1" {
                point
            } else {
                Line::from_milli(-point.milli())
            };
            Some((mapping.outcome_from_betpawa(side)?, Some(home_line)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn quota_headers_are_read_including_fractional_values() {
        let mut headers = HeaderMap::new();
        headers.insert("x-requests-remaining", HeaderValue::from_static("499.0"));
        headers.insert("x-requests-used", HeaderValue::from_static("1"));
        headers.insert("x-requests-last", HeaderValue::from_static("3"));
        assert_eq!(
            read_quota(&headers),
            Some(Quota {
                remaining: Some(499),
                used: Some(1),
                last: Some(3)
            })
        );
        assert_eq!(read_quota(&HeaderMap::new()), None);
    }
}
