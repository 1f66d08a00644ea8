//! BetPawa (the home book): categories → competitions → paged event lists → full events.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::http::{BookClient, decode_json};
use super::json::{Decimal, Text};
use super::mapping::{self, MarketMapping};
use super::{
    BookFeed, BookWire, Discovery, EventRef, FeedError, Listed, encode_query, read_lists,
    split_teams,
};
use crate::domain::{EventOdds, MarketOdds, OutcomeOdds};

/// Book slug.
pub const BOOK: &str = "betpawa";
/// Events per list page; the feed returns fewer on the last page.
pub const PAGE_SIZE: usize = 100;
/// Safety stop for a server that ignores `skip` (100 × 100 events per competition).
const MAX_PAGES: usize = 100;
/// BetPawa answers only with its brand header.
const HEADERS: &[(&str, &str)] = &[
    ("x-pawa-brand", "betpawa-nigeria"),
    ("devicetype", "web"),
    ("accept", "*/*"),
];

/// The BetPawa adapter.
#[derive(Debug)]
pub struct BetPawa {
    client: BookClient,
}

#[derive(Deserialize)]
struct Categories {
    #[serde(rename = "withRegions")]
    with_regions: Vec<WithRegions>,
}

#[derive(Deserialize)]
struct WithRegions {
    #[serde(default)]
    regions: Vec<RegionEntry>,
}

#[derive(Deserialize)]
struct RegionEntry {
    region: Named,
    #[serde(default)]
    competitions: Vec<CompetitionEntry>,
}

#[derive(Deserialize)]
struct CompetitionEntry {
    competition: Named,
}

#[derive(Deserialize, Clone, Default)]
struct Named {
    id: Text,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct ListResponse {
    responses: Vec<ListPage>,
}

#[derive(Deserialize)]
struct ListPage {
    /// Items decoded one by one ([`Listed::decode_items`](super::Listed::decode_items)): a
    /// broken item must not fail its list.
    #[serde(default)]
    responses: Vec<serde_json::Value>,
}

/// A list item and a full event share this shape; list items lack `markets` and may lack
/// `widgets`.
#[derive(Deserialize)]
struct Event {
    id: Text,
    #[serde(default)]
    name: String,
    #[serde(rename = "startTime", default)]
    start_time: Option<String>,
    #[serde(default)]
    participants: Vec<Participant>,
    #[serde(default)]
    competition: Option<Named>,
    #[serde(default)]
    region: Option<Named>,
    #[serde(default)]
    widgets: Option<Vec<Widget>>,
    /// Required in an event body (checked in `normalise`); list items lack it. Not defaulted:
    /// a body without it would otherwise read as "every market vanished" (issue 11).
    #[serde(default)]
    markets: Option<Vec<Market>>,
}

#[derive(Deserialize)]
struct Participant {
    #[serde(default)]
    name: String,
    #[serde(default)]
    position: Option<u32>,
}

#[derive(Deserialize)]
struct Widget {
    #[serde(default)]
    id: Option<Text>,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct Market {
    #[serde(rename = "marketType")]
    market_type: MarketType,
    /// Required: a market is its rows.
    row: Vec<Row>,
}

#[derive(Deserialize)]
struct MarketType {
    id: Text,
}

#[derive(Deserialize)]
struct Row {
    #[serde(rename = "formattedHandicap", default)]
    formatted_handicap: Option<String>,
    /// Required: a row is its prices.
    prices: Vec<RowPrice>,
}

#[derive(Deserialize)]
struct RowPrice {
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: Option<Decimal>,
    #[serde(default)]
    suspended: bool,
}

impl BookFeed for BetPawa {
    fn wire() -> BookWire {
        BookWire {
            book: BOOK,
            headers: HEADERS,
        }
    }

    fn from_client(client: BookClient) -> Self {
        BetPawa { client }
    }

    fn client(&self) -> &BookClient {
        &self.client
    }

    /// Every upcoming football event with a SportRadar id, over all competitions and pages.
    fn list_events(&self) -> BoxFuture<'_, Result<Discovery, FeedError>> {
        self.discover_inner().boxed()
    }

    fn event_path(&self, event_id: &str) -> String {
        format!("/api/sportsbook/v3/events/{}", encode_path(event_id))
    }

    fn read_event(&self, what: &str, body: &[u8], _event_id: &str) -> Result<EventOdds, FeedError> {
        self.normalise(decode_json(BOOK, what, body)?)
    }
}

impl BetPawa {
    async fn discover_inner(&self) -> Result<Discovery, FeedError> {
        let fetched = self
            .client
            .get("/api/sportsbook/v3/categories/list/2")
            .await?;
        let categories: Categories = self.client.decode(&fetched)?;
        let competitions: Vec<(Named, Named)> = categories
            .with_regions
            .into_iter()
            .take(1)
            .flat_map(|w| w.regions)
            .flat_map(|entry| {
                let region = entry.region;
                entry
                    .competitions
                    .into_iter()
                    .map(move |c| (region.clone(), c.competition))
            })
            .collect();
        read_lists(&self.client, competitions, |(region, competition)| {
            self.discover_competition(region, competition)
        })
        .await
    }

    async fn discover_competition(
        &self,
        region: Named,
        competition: Named,
    ) -> Result<Listed, FeedError> {
        let mut listed = Listed::default();
        for page in 0..MAX_PAGES {
            let skip = page * PAGE_SIZE;
            let query = serde_json::json!({"queries": [{
                "query": {
                    "eventType": "UPCOMING",
                    "categories": ["2"],
                    "zones": {"competitions": [competition.id.as_str()]},
                    "hasOdds": true
                },
                "view": {},
                "skip": skip,
                "take": PAGE_SIZE
            }]});
            let path = format!(
                "/api/sportsbook/v3/events/lists/by-queries?{}",
                encode_query(&[("q", &query.to_string())])
            );
            let fetched = self.client.get(&path).await?;
            let list: ListResponse = self.client.decode(&fetched)?;
            let items = list
                .responses
                .into_iter()
                .next()
                .map(|p| p.responses)
                .unwrap_or_default();
            let short_page = items.len() < PAGE_SIZE;
            for item in listed.decode_items::<Event>(BOOK, &fetched.what, skip, items) {
                let sportradar_id = match &item.widgets {
                    Some(widgets) => sportradar_id(widgets),
                    // A list item without widgets: only the full event tells its SportRadar id.
                    // If that fetch fails, only this item is lost (counted), not the list.
                    None => match self.fetch_raw_event(item.id.as_str()).await {
                        Ok(full) => full.widgets.as_deref().and_then(sportradar_id),
                        Err(FeedError::EventGone { .. }) => continue,
                        Err(e) => {
                            listed.failures.push(e);
                            continue;
                        }
                    },
                };
                let Some(sportradar_id) = sportradar_id else {
                    self.client.stats().record_event_without_sportradar_id();
                    continue;
                };
                let (home_team, away_team) = teams(&item);
                listed.events.push(EventRef {
                    book_event_id: item.id.as_str().to_string(),
                    sportradar_id,
                    kickoff: parse_start_time(item.start_time.as_deref()),
                    home_team,
                    away_team,
                    tournament: non_empty(item.competition.map(|c| c.name))
                        .or_else(|| non_empty(Some(competition.name.clone()))),
                    country: non_empty(item.region.map(|r| r.name))
                        .or_else(|| non_empty(Some(region.name.clone()))),
                });
            }
            if short_page {
                break;
            }
        }
        Ok(listed)
    }

    /// The full event (uncounted: discovery counts its failures with its list's).
    async fn fetch_raw_event(&self, event_id: &str) -> Result<Event, FeedError> {
        let fetched = self.fetch_event_body(event_id).await?;
        self.client.timed_parse(|| self.client.decode(&fetched))
    }

    fn normalise(&self, event: Event) -> Result<EventOdds, FeedError> {
        let Some(event_key) = event.widgets.as_deref().and_then(sportradar_id) else {
            return Err(FeedError::NoSportRadarId {
                book: BOOK.into(),
                event: event.id.0,
            });
        };
        let Some(event_markets) = event.markets.as_deref() else {
            return Err(FeedError::Malformed {
                book: BOOK.into(),
                what: format!("event {}", event.id.as_str()),
                path: "markets".into(),
                message: "missing field `markets`: an event body must carry a `markets` array \
                          (possibly empty)"
                    .into(),
            });
        };
        let (home_team, away_team) = teams(&event);
        let mut unmapped = 0;
        let mut markets = Vec::new();
        for market in event_markets {
            let Some(mapping) = mapping::by_betpawa_id(market.market_type.id.as_str()) else {
                unmapped += market.row.len() as u64;
                continue;
            };
            for row in &market.row {
                match normalise_row(mapping, row) {
                    Some(m) => markets.push(m),
                    None => unmapped += 1,
                }
            }
        }
        self.client.stats().record_unmapped_markets(unmapped);
        Ok(EventOdds {
            event_key,
            book_event_id: event.id.0,
            home_team,
            away_team,
            tournament: non_empty(event.competition.map(|c| c.name)),
            country: non_empty(event.region.map(|r| r.name)),
            kickoff: parse_start_time(event.start_time.as_deref()),
            markets,
        })
    }
}

/// One row is one market (with its line). `None` when the row cannot be used: a line market
/// without a readable line, or no known outcome with a price.
fn normalise_row(mapping: &MarketMapping, row: &Row) -> Option<MarketOdds> {
    let line = if mapping.has_line() {
        Some(row.formatted_handicap.as_deref()?.trim().parse().ok()?)
    } else {
        None
    };
    let outcomes: Vec<OutcomeOdds> = row
        .prices
        .iter()
        .filter_map(|p| {
            Some(OutcomeOdds {
                name: mapping.outcome_from_betpawa(p.name.trim())?.to_string(),
                price: p.price.as_ref()?.price()?,
                active: !p.suspended,
            })
        })
        .collect();
    if outcomes.is_empty() {
        return None;
    }
    Some(MarketOdds {
        market_id: mapping.market_id.to_string(),
        market_name: mapping.name.to_string(),
        line,
        outcomes,
    })
}

fn sportradar_id(widgets: &[Widget]) -> Option<String> {
    widgets
        .iter()
        .filter(|w| w.kind == "SPORTRADAR")
        .filter_map(|w| w.id.as_ref())
        .map(|id| id.as_str().to_string())
        .find(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn teams(event: &Event) -> (String, String) {
    let by_position = |position| {
        event
            .participants
            .iter()
            .find(|p| p.position == Some(position))
            .map(|p| p.name.trim().to_string())
            .filter(|n| !n.is_empty())
    };
    match (by_position(1), by_position(2)) {
        (Some(home), Some(away)) => (home, away),
        _ => split_teams(&event.name),
    }
}

fn parse_start_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Event ids are numeric; anything else is percent-encoded rather than trusted into the path.
fn encode_path(segment: &str) -> String {
    if segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        segment.to_string()
    } else {
        encode_query(&[("", segment)])
            .trim_start_matches('=')
            .to_string()
    }
}
