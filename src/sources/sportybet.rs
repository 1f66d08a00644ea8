//! SportyBet: tournaments → `pcEvents` (POST) → event. Every response is a
//! `{bizCode, message, data}` envelope; only `bizCode == 10000` is success, whatever the HTTP
//! status says.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::http::{BookClient, decode_json};
use super::json::{Decimal, Text};
use super::mapping::{self, MarketMapping};
use super::{BookFeed, BookWire, Discovery, EventRef, FeedError, Listed, encode_query, read_lists};
use crate::domain::{EventOdds, Line, MarketOdds, OutcomeOdds};

/// Book slug.
pub const BOOK: &str = "sportybet";
/// The success code of the envelope.
pub const BIZ_CODE_OK: i64 = 10000;
/// Prefix of SportRadar match ids in SportyBet event ids.
const SR_MATCH: &str = "sr:match:";
/// The markets `pcEvents` is asked to include (the list's own odds are not used).
const LIST_MARKETS: &str = "1,18,10,29,11,26,36,14";
const HEADERS: &[(&str, &str)] = &[
    ("clientid", "web"),
    ("operid", "2"),
    ("platform", "web"),
    ("accept", "application/json"),
];

/// The SportyBet adapter.
#[derive(Debug)]
pub struct SportyBet {
    client: BookClient,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "bizCode")]
    biz_code: i64,
    #[serde(default)]
    message: Option<String>,
    data: Option<T>,
}

#[derive(Deserialize)]
struct SportList {
    #[serde(rename = "sportList", default)]
    sport_list: Vec<Sport>,
}

#[derive(Deserialize)]
struct Sport {
    #[serde(default)]
    id: Option<Text>,
    #[serde(default)]
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct Category {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tournaments: Vec<Tournament>,
}

#[derive(Deserialize)]
struct Tournament {
    id: Text,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct TournamentEvents {
    /// Items decoded one by one ([`Listed::decode_items`](super::Listed::decode_items)): a
    /// broken item must not fail its list.
    #[serde(default)]
    events: Vec<serde_json::Value>,
}

/// List items and the full event share this shape; list items carry fewer markets.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "eventId")]
    event_id: Text,
    #[serde(rename = "estimateStartTime", default)]
    estimate_start_time: Option<Text>,
    #[serde(rename = "homeTeamName", default)]
    home_team_name: String,
    #[serde(rename = "awayTeamName", default)]
    away_team_name: String,
    #[serde(default)]
    sport: Option<EventSport>,
    /// Required in an event body (checked in `normalise`); list items may lack it. Not
    /// defaulted: a body without it would otherwise read as "every market vanished".
    #[serde(default)]
    markets: Option<Vec<Market>>,
}

#[derive(Deserialize)]
struct EventSport {
    #[serde(default)]
    category: Option<EventCategory>,
}

#[derive(Deserialize)]
struct EventCategory {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tournament: Option<EventTournament>,
}

#[derive(Deserialize)]
struct EventTournament {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Market {
    id: Text,
    #[serde(default)]
    specifier: Option<String>,
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    outcomes: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    desc: String,
    #[serde(default)]
    odds: Option<Decimal>,
    #[serde(rename = "isActive", default)]
    is_active: Option<i64>,
}

impl BookFeed for SportyBet {
    fn wire() -> BookWire {
        BookWire {
            book: BOOK,
            headers: HEADERS,
        }
    }

    fn from_client(client: BookClient) -> Self {
        SportyBet { client }
    }

    fn client(&self) -> &BookClient {
        &self.client
    }

    /// Every football event of every tournament.
    fn list_events(&self) -> BoxFuture<'_, Result<Discovery, FeedError>> {
        self.discover_inner().boxed()
    }

    /// Event ids are `sr:match:NNN`; a bare `NNN` is accepted.
    fn canonical_event_id(&self, event_id: &str) -> String {
        if event_id.starts_with("sr:") {
            event_id.to_string()
        } else {
            format!("{SR_MATCH}{event_id}")
        }
    }

    fn event_path(&self, event_id: &str) -> String {
        format!(
            "/api/ng/factsCenter/event?{}",
            encode_query(&[
                ("eventId", event_id),
                ("productId", "3"),
                ("_t", &cache_buster().to_string()),
            ])
        )
    }

    fn read_event(&self, what: &str, body: &[u8], event_id: &str) -> Result<EventOdds, FeedError> {
        // A finished event answers with success and no data.
        let event =
            self.open_optional::<Event>(what, body)?
                .ok_or_else(|| FeedError::EventGone {
                    book: BOOK.into(),
                    event: event_id.to_string(),
                })?;
        self.normalise(event)
    }
}

impl SportyBet {
    async fn discover_inner(&self) -> Result<Discovery, FeedError> {
        let path = format!(
            "/api/ng/factsCenter/popularAndSportList?sportId=sr%3Asport%3A1&timeline=&productId=3&_t={}",
            cache_buster()
        );
        let fetched = self.client.get(&path).await?;
        let list: SportList = self.open(&fetched.what, &fetched.body)?;
        let tournaments: Vec<(Option<String>, Tournament)> = list
            .sport_list
            .into_iter()
            .filter(|s| s.id.as_ref().is_none_or(|id| id.as_str() == "sr:sport:1"))
            .flat_map(|s| s.categories)
            .flat_map(|c| {
                let country = c.name;
                c.tournaments.into_iter().map(move |t| (country.clone(), t))
            })
            .collect();
        read_lists(&self.client, tournaments, |(country, tournament)| {
            self.discover_tournament(country, tournament)
        })
        .await
    }

    async fn discover_tournament(
        &self,
        country: Option<String>,
        tournament: Tournament,
    ) -> Result<Listed, FeedError> {
        let body = serde_json::to_vec(&serde_json::json!([{
            "sportId": "sr:sport:1",
            "marketId": LIST_MARKETS,
            "tournamentId": [[tournament.id.as_str()]]
        }]))
        .map_err(|e| FeedError::Malformed {
            book: BOOK.into(),
            what: "pcEvents request body".into(),
            path: ".".into(),
            message: e.to_string(),
        })?;
        let fetched = self
            .client
            .post_json("/api/ng/factsCenter/pcEvents", body)
            .await?;
        let data: Vec<TournamentEvents> = self.open(&fetched.what, &fetched.body)?;
        let mut listed = Listed::default();
        let items = data.into_iter().flat_map(|t| t.events).collect();
        for event in listed.decode_items::<Event>(BOOK, &fetched.what, 0, items) {
            let Some(sportradar_id) = strip_sr_match(event.event_id.as_str()) else {
                self.client.stats().record_event_without_sportradar_id();
                continue;
            };
            listed.events.push(EventRef {
                sportradar_id: sportradar_id.to_string(),
                book_event_id: event.event_id.as_str().to_string(),
                kickoff: parse_epoch_ms(event.estimate_start_time.as_ref()),
                home_team: event.home_team_name.trim().to_string(),
                away_team: event.away_team_name.trim().to_string(),
                tournament: tournament_name(&event).or_else(|| tournament.name.clone()),
                country: country_name(&event).or_else(|| country.clone()),
            });
        }
        Ok(listed)
    }

    /// Opens the envelope: a `bizCode` other than 10000 is a business error even when the body
    /// otherwise parses, and takes precedence over a `data` that does not.
    fn open<T: DeserializeOwned>(&self, what: &str, body: &[u8]) -> Result<T, FeedError> {
        self.open_optional(what, body)?
            .ok_or_else(|| FeedError::Malformed {
                book: BOOK.into(),
                what: what.to_string(),
                path: "data".into(),
                message: "missing or null".into(),
            })
    }

    /// Like [`SportyBet::open`], with a null or missing `data` as `None`.
    fn open_optional<T: DeserializeOwned>(
        &self,
        what: &str,
        body: &[u8],
    ) -> Result<Option<T>, FeedError> {
        let business = |code: i64, message: Option<String>| FeedError::Business {
            book: BOOK.into(),
            what: what.to_string(),
            code: code.to_string(),
            message: message.unwrap_or_default(),
        };
        match decode_json::<Envelope<T>>(BOOK, what, body) {
            Ok(envelope) if envelope.biz_code != BIZ_CODE_OK => {
                Err(business(envelope.biz_code, envelope.message))
            }
            Ok(envelope) => Ok(envelope.data),
            Err(malformed) => match decode_json::<Envelope<IgnoredAny>>(BOOK, what, body) {
                Ok(header) if header.biz_code != BIZ_CODE_OK => {
                    Err(business(header.biz_code, header.message))
                }
                _ => Err(malformed),
            },
        }
    }

    fn normalise(&self, event: Event) -> Result<EventOdds, FeedError> {
        let Some(event_key) = strip_sr_match(event.event_id.as_str()).map(str::to_string) else {
            return Err(FeedError::NoSportRadarId {
                book: BOOK.into(),
                event: event.event_id.0,
            });
        };
        let Some(event_markets) = event.markets.as_deref() else {
            return Err(FeedError::Malformed {
                book: BOOK.into(),
                what: format!("event {}", event.event_id.as_str()),
                path: "data.markets".into(),
                message: "missing field `markets`: an event body must carry a `markets` array \
                          (possibly empty)"
                    .into(),
            });
        };
        let mut unmapped = 0;
        let mut markets = Vec::new();
        // A market without `outcomes` (the feed omits fields freely) yields no market and is
        // counted as unmapped by `normalise_market` returning `None`.
        for market in event_markets {
            match mapping::by_sportybet_id(market.id.as_str())
                .and_then(|mapping| normalise_market(mapping, market))
            {
                Some(m) => markets.push(m),
                None => unmapped += 1,
            }
        }
        self.client.stats().record_unmapped_markets(unmapped);
        Ok(EventOdds {
            event_key,
            book_event_id: event.event_id.as_str().to_string(),
            home_team: event.home_team_name.trim().to_string(),
            away_team: event.away_team_name.trim().to_string(),
            tournament: tournament_name(&event),
            country: country_name(&event),
            kickoff: parse_epoch_ms(event.estimate_start_time.as_ref()),
            markets,
        })
    }
}

/// A market whose `status` is not 0 (active) is suspended as a whole, whatever its outcomes say.
fn normalise_market(mapping: &MarketMapping, market: &Market) -> Option<MarketOdds> {
    let line = if mapping.has_line() {
        Some(specifier_line(market.specifier.as_deref()?)?)
    } else {
        None
    };
    let market_active = market.status.unwrap_or(0) == 0;
    let outcomes: Vec<OutcomeOdds> = market
        .outcomes
        .iter()
        .filter_map(|o| {
            Some(OutcomeOdds {
                name: mapping.outcome_from_sportybet(&o.desc)?.to_string(),
                price: o.odds.as_ref()?.price()?,
                active: market_active && o.is_active.unwrap_or(1) != 0,
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

/// The line of a specifier: `total=2.5` → 2.5; Asian `hcp=-0.5` → −0.5; European `hcp=0:1`
/// (goals head start home:away) → home handicap 0 − 1 = −1. Other keys (`|variant=…`) are
/// ignored.
pub fn specifier_line(specifier: &str) -> Option<Line> {
    specifier.split('|').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        match key.trim() {
            "total" => value.trim().parse().ok(),
            "hcp" => match value.split_once(':') {
                Some((home, away)) => {
                    let home: Line = home.trim().parse().ok()?;
                    let away: Line = away.trim().parse().ok()?;
                    Some(Line::from_milli(home.milli() - away.milli()))
                }
                None => value.trim().parse().ok(),
            },
            _ => None,
        }
    })
}

/// `sr:match:61300947` → `61300947`; `None` for anything that is not a SportRadar match id.
fn strip_sr_match(event_id: &str) -> Option<&str> {
    event_id
        .strip_prefix(SR_MATCH)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn tournament_name(event: &Event) -> Option<String> {
    let category = event.sport.as_ref()?.category.as_ref()?;
    category
        .tournament
        .as_ref()?
        .name
        .clone()
        .filter(|n| !n.is_empty())
}

fn country_name(event: &Event) -> Option<String> {
    let category = event.sport.as_ref()?.category.as_ref()?;
    category.name.clone().filter(|n| !n.is_empty())
}

fn parse_epoch_ms(raw: Option<&Text>) -> Option<DateTime<Utc>> {
    let ms: i64 = raw?.as_str().parse().ok()?;
    DateTime::from_timestamp_millis(ms)
}

/// The `_t` cache-buster: the current time in epoch milliseconds.
fn cache_buster() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Option<i32> {
        specifier_line(s).map(Line::milli)
    }

    #[test]
    fn european_handicap_specifier_gives_the_home_handicap() {
        assert_eq!(line("hcp=0:1"), Some(-1000));
        assert_eq!(line("hcp=2:0"), Some(2000));
        assert_eq!(line("hcp=1:1"), Some(0));
    }

    #[test]
    fn asian_handicap_and_total_specifiers_are_read_as_numbers() {
        assert_eq!(line("hcp=-0.5"), Some(-500));
        assert_eq!(line("hcp=0.25"), Some(250));
        assert_eq!(line("total=2.5"), Some(2500));
        assert_eq!(line("total=2.5|variant=x"), Some(2500));
    }

    #[test]
    fn unreadable_specifiers_give_no_line() {
        assert_eq!(line(""), None);
        assert_eq!(line("total=abc"), None);
        assert_eq!(line("goalnr=1"), None);
        assert_eq!(line("hcp=a:1"), None);
    }

    #[test]
    fn only_sportradar_match_ids_are_stripped() {
        assert_eq!(strip_sr_match("sr:match:61300947"), Some("61300947"));
        assert_eq!(strip_sr_match("sr:simple_match:1"), None);
        assert_eq!(strip_sr_match("61300947"), None);
        assert_eq!(strip_sr_match("sr:match:"), None);
    }
}
