//! Bet9ja adapter against wiremock with payloads in the real shapes.

use crate::support;

use oddswatch::domain::{EventOdds, MarketOdds};
use oddswatch::sources::{Bet9ja, FailureKind, FeedError};
use serde_json::{Value, json};
use support::fast_policy;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API: &str = "/desktop/feapi/PalimpsestAjax";

/// Every Bet9ja request must carry the cache version, or the mocks do not answer.
fn bet9ja_mock(endpoint: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(format!("{API}/{endpoint}")))
        .and(query_param("v_cache_version", "1.301.2.225"))
}

fn reply(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn every_market() -> Value {
    json!({
        "S_1X2_1": "1.85", "S_1X2_X": "3.40", "S_1X2_2": "4.20",
        "S_DC_1X": "1.20", "S_DC_X2": "1.90", "S_DC_12": "1.30",
        "S_GGNG_Y": "1.70", "S_GGNG_N": "2.05",
        "S_OU@2.5_O": "1.90", "S_OU@2.5_U": "1.95", "S_OU@3.5_O": "2.60",
        "S_AH@-0.5_1": "1.95", "S_AH@-0.5_2": "1.85", "S_AH@0.25_1": "1.60", "S_AH@0.25_2": "2.30",
        "S_1X2HND@-1_1H": "3.10", "S_1X2HND@-1_XH": "3.50", "S_1X2HND@-1_2H": "2.00",
        "S_DNB_1": "1.40", "S_DNB_2": "2.90",
        "S_OE_OD": "1.90", "S_OE_EV": "1.90",
        "S_1X21T_1": "2.50", "S_1X21T_X": "2.10", "S_1X21T_2": "4.80",
        "S_OU1T@1.5_O": "2.75", "S_OU1T@1.5_U": 1.42,
        "S_CS_1-0": "7.50", "S_CS_0-0": "9.00", "S_HTFT_11": "3.00",
        "S_OU@abc_O": "1.50"
    })
}

fn find<'a>(event: &'a EventOdds, market: &str, line: Option<&str>) -> &'a MarketOdds {
    event
        .markets
        .iter()
        .find(|m| m.market_id == market && m.line.map(|l| l.to_string()).as_deref() == line)
        .unwrap_or_else(|| panic!("market {market} line {line:?} missing"))
}

fn outcomes(market: &MarketOdds) -> Vec<(&str, u32)> {
    market
        .outcomes
        .iter()
        .map(|o| (o.name.as_str(), o.price.milli()))
        .collect()
}

#[tokio::test]
async fn bet9ja_flat_odds_keys_map_to_markets_lines_and_betpawa_outcome_names() {
    let server = MockServer::start().await;
    bet9ja_mock("GetEvent")
        .and(query_param("EVENTID", "583961"))
        .respond_with(reply(json!({"R": "D", "D": {
            "ID": 583961, "EXTID": "61300947", "DS": "Debreceni VSC - Ferencvarosi TC",
            "STARTDATE": "2026-12-01 17:30:00", "GN": "NB I", "SG": "Hungary", "O": every_market()
        }})))
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(0)).unwrap();
    let event = bet9ja.fetch_event("583961").await.unwrap();
    assert_eq!(event.event_key, "61300947");
    assert_eq!(event.book_event_id, "583961");
    assert_eq!(
        (event.home_team.as_str(), event.away_team.as_str()),
        ("Debreceni VSC", "Ferencvarosi TC")
    );
    assert_eq!(
        event.kickoff.unwrap().to_rfc3339(),
        "2026-12-01T17:30:00+00:00",
        "STARTDATE is UTC"
    );
    assert_eq!(
        (event.tournament.as_deref(), event.country.as_deref()),
        (Some("NB I"), Some("Hungary"))
    );
    assert_eq!(event.markets.len(), 12);
    assert_eq!(
        outcomes(find(&event, "3743", None)),
        [("1", 1850), ("X", 3400), ("2", 4200)]
    );
    assert_eq!(
        outcomes(find(&event, "4693", None)),
        [("1X", 1200), ("X2", 1900), ("12", 1300)]
    );
    assert_eq!(
        outcomes(find(&event, "3795", None)),
        [("Yes", 1700), ("No", 2050)]
    );
    assert_eq!(
        outcomes(find(&event, "5000", Some("2.5"))),
        [("Over", 1900), ("Under", 1950)]
    );
    assert_eq!(
        outcomes(find(&event, "5000", Some("3.5"))),
        [("Over", 2600)],
        "a missing key is a missing price"
    );
    assert_eq!(
        outcomes(find(&event, "3774", Some("-0.5"))),
        [("1", 1950), ("2", 1850)]
    );
    assert_eq!(
        outcomes(find(&event, "3774", Some("0.25"))),
        [("1", 1600), ("2", 2300)]
    );
    assert_eq!(
        outcomes(find(&event, "4724", Some("-1"))),
        [("1", 3100), ("X", 3500), ("2", 2000)]
    );
    assert_eq!(
        outcomes(find(&event, "4703", None)),
        [("1", 1400), ("2", 2900)]
    );
    assert_eq!(
        outcomes(find(&event, "4833", None)),
        [("Odd", 1900), ("Even", 1900)]
    );
    assert_eq!(outcomes(find(&event, "3668", None)).len(), 3);
    assert_eq!(
        outcomes(find(&event, "4958", Some("1.5"))),
        [("Over", 2750), ("Under", 1420)],
        "odds as number or string"
    );
    assert!(
        event
            .markets
            .iter()
            .all(|m| m.outcomes.iter().all(|o| o.active))
    );
    // Correct score and half-time/full-time are unknown; over/under "@abc" has no readable line.
    assert_eq!(bet9ja.stats().snapshot().markets_unmapped, 3);
}

#[tokio::test]
async fn bet9ja_not_found_envelope_is_event_gone_without_retries() {
    let server = MockServer::start().await;
    bet9ja_mock("GetEvent")
        .respond_with(reply(json!({"R": "E", "D": "Event not found"})))
        .expect(1)
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(3)).unwrap();
    let result = bet9ja.fetch_event("1").await;
    assert!(
        matches!(result, Err(FeedError::EventGone { ref event, .. }) if event == "1"),
        "{result:?}"
    );
    let stats = bet9ja.stats().snapshot();
    assert_eq!((stats.requests, stats.retries), (1, 0));
    assert_eq!(stats.failures.get(&FailureKind::EventGone), Some(&1));
}

#[tokio::test]
async fn bet9ja_unknown_result_code_is_a_business_error() {
    let server = MockServer::start().await;
    bet9ja_mock("GetSports")
        .respond_with(reply(json!({"R": "KO", "D": null})))
        .mount(&server)
        .await;
    let result = Bet9ja::new(&server.uri(), fast_policy(0))
        .unwrap()
        .discover()
        .await;
    assert!(
        matches!(result, Err(FeedError::Business { ref code, .. }) if code == "KO"),
        "{result:?}"
    );
}

#[tokio::test]
async fn bet9ja_event_without_extid_is_skipped_and_counted() {
    let server = MockServer::start().await;
    bet9ja_mock("GetEvent")
        .respond_with(reply(
            json!({"R": "OK", "D": {"ID": 5, "DS": "A - B", "O": {"S_1X2_1": "2.00"}}}),
        ))
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(0)).unwrap();
    assert!(matches!(
        bet9ja.fetch_event("5").await,
        Err(FeedError::NoSportRadarId { .. })
    ));
    let stats = bet9ja.stats().snapshot();
    assert_eq!(stats.events_without_sportradar_id, 1);
    assert!(stats.failures.is_empty());
}

#[tokio::test]
async fn bet9ja_discovery_walks_soccer_leagues_and_skips_events_without_extid() {
    let server = MockServer::start().await;
    bet9ja_mock("GetSports")
        .and(query_param("DISP", "0"))
        .respond_with(reply(json!({"R": "OK", "D": {"PAL": {
            "1": {"S_DESC": "Soccer", "SG": {
                "170": {"SG_DESC": "England", "G": {"1001": {"G_DESC": "Premier League"}}},
                "180": {"SG_DESC": "Spain", "G": {"1002": {"G_DESC": "LaLiga"}}}
            }},
            "2": {"S_DESC": "Basketball", "SG": {"1": {"SG_DESC": "USA", "G": {"9": {"G_DESC": "NBA"}}}}}
        }}})))
        .expect(1)
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1001"))
        .and(query_param("GROUPMARKETID", "1"))
        .respond_with(reply(json!({"R": "OK", "D": {"E": [
            {"ID": 11, "EXTID": "61300011", "DS": "Arsenal - Chelsea", "STARTDATE": "2026-12-01 15:00:00"},
            {"ID": 12, "DS": "Reserves A - Reserves B", "STARTDATE": "2026-12-01 15:00:00"},
            {"ID": 13, "EXTID": "", "DS": "C - D", "STARTDATE": "2026-12-01 15:00:00"}
        ]}})))
        .expect(1)
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1002"))
        .respond_with(reply(json!({"R": "OK", "D": {"E": [
            {"ID": 21, "EXTID": 61300021, "DS": "Betis - Sevilla", "STARTDATE": "2026-12-02 20:00:00"}
        ]}})))
        .expect(1)
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(0)).unwrap();
    let events = bet9ja.discover().await.unwrap().events;
    let ids: Vec<_> = events
        .iter()
        .map(|e| (e.sportradar_id.as_str(), e.book_event_id.as_str()))
        .collect();
    assert_eq!(ids, [("61300011", "11"), ("61300021", "21")]);
    assert_eq!(events[0].home_team, "Arsenal");
    assert_eq!(events[0].tournament.as_deref(), Some("Premier League"));
    assert_eq!(events[1].country.as_deref(), Some("Spain"));
    assert_eq!(
        events[1].kickoff.unwrap().to_rfc3339(),
        "2026-12-02T20:00:00+00:00"
    );
    assert_eq!(bet9ja.stats().snapshot().events_without_sportradar_id, 2);
}

#[tokio::test]
async fn bet9ja_a_failed_league_is_reported_without_losing_the_other_leagues() {
    let server = MockServer::start().await;
    bet9ja_mock("GetSports")
        .respond_with(reply(json!({"R": "OK", "D": {"PAL": {"1": {"SG": {
            "170": {"SG_DESC": "England", "G": {"1001": {"G_DESC": "Premier League"}, "1003": {"G_DESC": "Championship"}}}
        }}}}})))
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1001"))
        .respond_with(reply(json!({"R": "OK", "D": {"E": [
            {"ID": 11, "EXTID": "61300011", "DS": "Arsenal - Chelsea", "STARTDATE": "2026-12-01 15:00:00"}
        ]}})))
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1003"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(1)).unwrap();
    let found = bet9ja.discover().await.unwrap();
    assert_eq!(found.events.len(), 1);
    assert!(
        matches!(
            found.failures.as_slice(),
            [FeedError::Status { status: 502, .. }]
        ),
        "{:?}",
        found.failures
    );
    let stats = bet9ja.stats().snapshot();
    assert_eq!(stats.failures.get(&FailureKind::Status), Some(&1));
    assert_eq!(stats.retries, 1);
}

#[tokio::test]
async fn bet9ja_discovery_keeps_a_league_with_one_undecodable_event() {
    let server = MockServer::start().await;
    bet9ja_mock("GetSports")
        .respond_with(reply(json!({"R": "OK", "D": {"PAL": {
            "1": {"S_DESC": "Soccer", "SG": {
                "170": {"SG_DESC": "England", "G": {"1001": {"G_DESC": "Premier League"}}},
                "180": {"SG_DESC": "Spain", "G": {"1002": {"G_DESC": "LaLiga"}}}
            }}
        }}})))
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1001"))
        .respond_with(reply(json!({"R": "OK", "D": {"E": [
            {"ID": 11, "EXTID": "61300011", "DS": "Arsenal - Chelsea", "STARTDATE": "2026-12-01 15:00:00"},
            {"ID": [12], "EXTID": "61300012", "DS": "Broken - Item", "STARTDATE": "2026-12-01 15:00:00"},
            {"ID": 13, "EXTID": "61300013", "DS": "Everton - Fulham", "STARTDATE": "2026-12-01 15:00:00"}
        ]}})))
        .mount(&server)
        .await;
    bet9ja_mock("GetEventsInGroupV2")
        .and(query_param("GROUPID", "1002"))
        .respond_with(reply(json!({"R": "OK", "D": {"E": [
            {"ID": 21, "EXTID": "61300021", "DS": "Betis - Sevilla", "STARTDATE": "2026-12-02 20:00:00"}
        ]}})))
        .mount(&server)
        .await;
    let bet9ja = Bet9ja::new(&server.uri(), fast_policy(0)).unwrap();
    let found = bet9ja.discover().await.unwrap();
    let ids: Vec<&str> = found
        .events
        .iter()
        .map(|e| e.book_event_id.as_str())
        .collect();
    assert_eq!(ids, ["11", "13", "21"], "the league's other events stay");
    assert!(
        matches!(&found.failures[..], [FeedError::Malformed { path, .. }] if path == "ID"),
        "{:?}",
        found.failures
    );
    assert_eq!(
        bet9ja
            .stats()
            .snapshot()
            .failures
            .get(&FailureKind::Malformed),
        Some(&1)
    );
}
