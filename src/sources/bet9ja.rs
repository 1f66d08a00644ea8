//! Bet9ja: GetSports → GetEventsInGroupV2 → GetEvent. Envelope `{R, D}`; odds are a flat map
//! of `S_<MARKET>[@<PARAM>]_<OUTCOME>` keys.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::http::{BookClient, decode_json};
use super::json::{Decimal, Text};
use super::mapping;
use super::{
    BookFeed, BookWire, Discovery, EventRef, FeedError, Listed, encode_query, read_lists,
    split_teams,
};
use crate::domain::{EventOdds, Line, MarketOdds, OutcomeOdds};

/// Book slug.
pub const BOOK: &str = "bet9ja";
/// Sent on every request, as the web client does.
pub const CACHE_VERSION: &str = "1.301.2.225";
const API: &str = "/desktop/feapi/PalimpsestAjax";
/// Soccer in `D.PAL`.
const SOCCER: &str = "1";
const HEADERS: &[(&str, &str)] = &[("accept", "application/json, text/plain, */*")];

/// The Bet9ja adapter.
#[derive(Debug)]
pub struct Bet9ja {
    client: BookClient,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "R")]
    result: String,
    #[serde(rename = "D")]
    data: Option<T>,
}

#[derive(Deserialize)]
struct Sports {
    #[serde(rename = "PAL", default)]
    pal: HashMap<String, Sport>,
}

#[derive(Deserialize)]
struct Sport {
    #[serde(rename = "SG", default)]
    countries: BTreeMap<String, Country>,
}

#[derive(Deserialize)]
struct Country {
    #[serde(rename = "SG_DESC", default)]
    name: Option<String>,
    #[serde(rename = "G", default)]
    groups: BTreeMap<String, Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "G_DESC", default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct GroupEvents {
    /// Items decoded one by one ([`Listed::decode_items`](super::Listed::decode_items)): a
    /// broken item must not fail its list.
    #[serde(rename = "E", default)]
    events: Vec<serde_json::Value>,
}

/// List items and the full event share this shape; only the full event has `O`.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "ID")]
    id: Text,
    #[serde(rename = "EXTID", default)]
    ext_id: Option<Text>,
    #[serde(rename = "DS", default)]
    name: String,
    #[serde(rename = "STARTDATE", default)]
    start_date: Option<String>,
    #[serde(rename = "GN", default)]
    league: Option<String>,
    #[serde(rename = "SG", default)]
    country: Option<String>,
    /// Required in an event body (checked in `normalise`); list items lack it. Not
    /// defaulted: a body without it would otherwise read as "every market vanished".
    #[serde(rename = "O", default)]
    odds: Option<HashMap<String, Decimal>>,
}

impl BookFeed for Bet9ja {
    fn wire() -> BookWire {
        BookWire {
            book: BOOK,
            headers: HEADERS,
        }
    }

    fn from_client(client: BookClient) -> Self {
        Bet9ja { client }
    }

    fn client(&self) -> &BookClient {
        &self.client
    }

    /// Every soccer event with a SportRadar id (`EXTID`), over all leagues.
    fn list_events(&self) -> BoxFuture<'_, Result<Discovery, FeedError>> {
        self.discover_inner().boxed()
    }

    fn event_path(&self, event_id: &str) -> String {
        format!(
            "{API}/GetEvent?{}&v_cache_version={CACHE_VERSION}",
            encode_query(&[("EVENTID", event_id)])
        )
    }

    /// `R == "E"` on an event is Bet9ja's "not found": the event is gone.
    fn read_event(&self, what: &str, body: &[u8], event_id: &str) -> Result<EventOdds, FeedError> {
        let event = match self.open::<Event>(what, body, &["OK", "D"]) {
            Err(FeedError::Business { code, .. }) if code == "E" => {
                return Err(FeedError::EventGone {
                    book: BOOK.into(),
                    event: event_id.to_string(),
                });
            }
            other => other?.1,
        };
        self.normalise(event)
    }
}

impl Bet9ja {
    async fn discover_inner(&self) -> Result<Discovery, FeedError> {
        let path = format!("{API}/GetSports?DISP=0&v_cache_version={CACHE_VERSION}");
        let fetched = self.client.get(&path).await?;
        let (_, sports) = self.open::<Sports>(&fetched.what, &fetched.body, &["OK"])?;
        let groups: Vec<(String, Option<String>, Option<String>)> = sports
            .pal
            .into_iter()
            .filter(|(id, _)| id == SOCCER)
            .flat_map(|(_, sport)| sport.countries.into_values())
            .flat_map(|country| {
                let country_name = country.name;
                country
                    .groups
                    .into_iter()
                    .map(move |(id, group)| (id, group.name, country_name.clone()))
            })
            .collect();
        read_lists(&self.client, groups, |(id, league, country)| {
            self.discover_group(id, league, country)
        })
        .await
    }

    async fn discover_group(
        &self,
        group_id: String,
        league: Option<String>,
        country: Option<String>,
    ) -> Result<Listed, FeedError> {
        let path = format!(
            "{API}/GetEventsInGroupV2?{}&DISP=0&GROUPMARKETID=1&v_cache_version={CACHE_VERSION}",
            encode_query(&[("GROUPID", &group_id)])
        );
        let fetched = self.client.get(&path).await?;
        let (_, list) = self.open::<GroupEvents>(&fetched.what, &fetched.body, &["OK"])?;
        let mut listed = Listed::default();
        for event in listed.decode_items::<Event>(BOOK, &fetched.what, 0, list.events) {
            let Some(sportradar_id) = sportradar_id(&event) else {
                self.client.stats().record_event_without_sportradar_id();
                continue;
            };
            let (home_team, away_team) = split_teams(&event.name);
            listed.events.push(EventRef {
                book_event_id: event.id.as_str().to_string(),
                sportradar_id,
                kickoff: parse_start_date(event.start_date.as_deref()),
                home_team,
                away_team,
                tournament: league.clone(),
                country: country.clone(),
            });
        }
        Ok(listed)
    }

    /// Opens the `{R, D}` envelope: `R` must be one of `ok`; anything else (`"E"`: not found)
    /// is a business error, even when `D` does not parse.
    fn open<T: DeserializeOwned>(
        &self,
        what: &str,
        body: &[u8],
        ok: &[&str],
    ) -> Result<(String, T), FeedError> {
        let business = |code: String| FeedError::Business {
            book: BOOK.into(),
            what: what.to_string(),
            code,
            message: String::new(),
        };
        match decode_json::<Envelope<T>>(BOOK, what, body) {
            Ok(envelope) if !ok.contains(&envelope.result.as_str()) => {
                Err(business(envelope.result))
            }
            Ok(Envelope {
                result,
                data: Some(data),
            }) => Ok((result, data)),
            Ok(_) => Err(FeedError::Malformed {
                book: BOOK.into(),
                what: what.to_string(),
                path: "D".into(),
                message: "missing or null".into(),
            }),
            Err(malformed) => match decode_json::<Envelope<IgnoredAny>>(BOOK, what, body) {
                Ok(header) if !ok.contains(&header.result.as_str()) => Err(business(header.result)),
                _ => Err(malformed),
            },
        }
    }

    fn normalise(&self, event: Event) -> Result<EventOdds, FeedError> {
        let Some(event_key) = sportradar_id(&event) else {
            return Err(FeedError::NoSportRadarId {
                book: BOOK.into(),
                event: event.id.0,
            });
        };
        let Some(odds) = event.odds.as_ref() else {
            return Err(FeedError::Malformed {
                book: BOOK.into(),
                what: format!("event {}", event.id.as_str()),
                path: "D.O".into(),
                message: "missing field `O`: an event body must carry its flat odds object `O` \
                          (possibly empty)"
                    .into(),
            });
        };
        let (markets, unmapped) = normalise_odds(odds);
        self.client.stats().record_unmapped_markets(unmapped);
        let (home_team, away_team) = split_teams(&event.name);
        Ok(EventOdds {
            event_key,
            book_event_id: event.id.as_str().to_string(),
            home_team,
            away_team,
            tournament: event.league.filter(|l| !l.is_empty()),
            country: event.country.filter(|c| !c.is_empty()),
            kickoff: parse_start_date(event.start_date.as_deref()),
            markets,
        })
    }
}

/// A flat odds key split into its parts: `S_OU@2.5_O` → (`S_OU`, `Some("2.5")`, `O`).
pub fn split_odds_key(key: &str) -> Option<(&str, Option<&str>, &str)> {
    let (market, outcome) = key.rsplit_once('_')?;
    if !market.starts_with("S_") || outcome.is_empty() {
        return None;
    }
    Some(match market.split_once('@') {
        Some((market, param)) => (market, Some(param), outcome),
        None => (market, None, outcome),
    })
}

/// Groups the flat keys into markets (one per market key and line), in a stable order. Returns
/// the markets and how many distinct unmapped market keys (with their params) were skipped.
fn normalise_odds(odds: &HashMap<String, Decimal>) -> (Vec<MarketOdds>, u64) {
    let mut grouped: BTreeMap<(&'static str, Option<Line>), MarketOdds> = BTreeMap::new();
    let mut unmapped: Vec<&str> = Vec::new();
    for (key, value) in odds {
        let Some((market_key, param, outcome)) = split_odds_key(key) else {
            unmapped.push(key);
            continue;
        };
        let Some(mapping) = mapping::by_bet9ja_key(market_key) else {
            unmapped.push(key.rsplit_once('_').map_or(key.as_str(), |(m, _)| m));
            continue;
        };
        let line = match (mapping.has_line(), param.map(str::parse::<Line>)) {
            (true, Some(Ok(line))) => Some(line),
            // A line market without a readable line cannot be compared: skipped like unmapped.
            (true, _) => {
                unmapped.push(key.rsplit_once('_').map_or(key.as_str(), |(m, _)| m));
                continue;
            }
            (false, _) => None,
        };
        let (Some(name), Some(price)) = (mapping.outcome_from_bet9ja(outcome), value.price())
        else {
            continue;
        };
        let market = grouped
            .entry((mapping.market_id, line))
            .or_insert_with(|| MarketOdds {
                market_id: mapping.market_id.to_string(),
                market_name: mapping.name.to_string(),
                line,
                outcomes: Vec::with_capacity(mapping.outcomes.len()),
            });
        market.outcomes.push(OutcomeOdds {
            name: name.to_string(),
            price,
            // Bet9ja has no suspended flag: a missing key is a missing price.
            active: true,
        });
    }
    let mut markets: Vec<MarketOdds> = grouped.into_values().collect();
    for market in &mut markets {
        // Outcomes in the table's order, so every book lists them alike.
        if let Some(mapping) = mapping::by_betpawa_id(&market.market_id) {
            market
                .outcomes
                .sort_by_key(|o| mapping.outcomes.iter().position(|m| m.betpawa == o.name));
        }
    }
    unmapped.sort_unstable();
    unmapped.dedup();
    (markets, unmapped.len() as u64)
}

fn sportradar_id(event: &Event) -> Option<String> {
    let id = event.ext_id.as_ref()?.as_str();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// `STARTDATE` is UTC as `YYYY-MM-DD HH:MM:SS`.
fn parse_start_date(raw: Option<&str>) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(raw?.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odds_keys_split_into_market_param_and_outcome() {
        assert_eq!(split_odds_key("S_1X2_1"), Some(("S_1X2", None, "1")));
        assert_eq!(
            split_odds_key("S_OU@2.5_O"),
            Some(("S_OU", Some("2.5"), "O"))
        );
        assert_eq!(
            split_odds_key("S_AH@-0.5_1"),
            Some(("S_AH", Some("-0.5"), "1"))
        );
        assert_eq!(
            split_odds_key("S_1X2HND@-1_XH"),
            Some(("S_1X2HND", Some("-1"), "XH"))
        );
        assert_eq!(split_odds_key("nonsense"), None);
        assert_eq!(split_odds_key("X_1X2_1"), None);
    }

    #[test]
    fn start_date_is_read_as_utc() {
        let t = parse_start_date(Some("2026-11-28 15:30:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-28T15:30:00+00:00");
        assert_eq!(parse_start_date(Some("28/11/2026 15:30")), None);
    }

    #[test]
    fn flat_odds_group_into_markets_per_line_and_unknown_keys_are_counted() {
        let odds: HashMap<String, Decimal> = [
            ("S_1X2_1", "1.50"),
            ("S_1X2_X", "4.00"),
            ("S_1X2_2", "6.00"),
            ("S_OU@2.5_O", "1.90"),
            ("S_OU@2.5_U", "1.95"),
            ("S_OU@3.5_U", "1.40"),
            ("S_CS_1-0", "7.00"),
            ("S_CS_2-0", "9.00"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Decimal(v.to_string())))
        .collect();
        let (markets, unmapped) = normalise_odds(&odds);
        assert_eq!(unmapped, 1, "one unknown market key, however many outcomes");
        let keys: Vec<_> = markets
            .iter()
            .map(|m| {
                (
                    m.market_id.as_str(),
                    m.line.map(|l| l.to_string()),
                    m.outcomes.len(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("3743", None, 3),
                ("5000", Some("2.5".to_string()), 2),
                ("5000", Some("3.5".to_string()), 1)
            ]
        );
        let names: Vec<_> = markets[0]
            .outcomes
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(names, ["1", "X", "2"]);
    }
}
