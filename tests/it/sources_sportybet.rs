//! SportyBet adapter against wiremock with payloads in the real shapes.

use crate::support;

use oddswatch::domain::{EventOdds, MarketOdds};
use oddswatch::sources::{FailureKind, FeedError, SportyBet};
use serde_json::{Value, json};
use support::fast_policy;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"bizCode": 10000, "message": "0#0", "data": data}))
}

fn outcomes(list: &[(&str, &str, u8)]) -> Vec<Value> {
    list.iter()
        .enumerate()
        .map(|(i, (desc, odds, active))| json!({"id": (i + 1).to_string(), "desc": desc, "odds": odds, "isActive": active}))
        .collect()
}

fn market(id: &str, specifier: Option<&str>, status: i32, list: &[(&str, &str, u8)]) -> Value {
    let mut m = json!({"id": id, "status": status, "outcomes": outcomes(list)});
    if let Some(s) = specifier {
        m["specifier"] = json!(s);
    }
    m
}

fn event(markets: Vec<Value>) -> Value {
    json!({
        "eventId": "sr:match:61300947",
        "gameId": "20931",
        "estimateStartTime": 1_796_146_200_000_i64,
        "homeTeamName": "Debreceni",
        "awayTeamName": "Ferencvaros",
        "sport": {"id": "sr:sport:1", "category": {"id": "sr:category:11", "name": "Hungary",
            "tournament": {"id": "sr:tournament:187", "name": "NB I"}}},
        "markets": markets
    })
}

fn every_market() -> Vec<Value> {
    vec![
        market(
            "1",
            None,
            0,
            &[
                ("Home", "1.85", 1),
                ("Draw", "3.40", 1),
                ("Away", "4.20", 1),
            ],
        ),
        market(
            "10",
            None,
            0,
            &[
                ("Home or Draw", "1.20", 1),
                ("Draw or Away", "1.90", 1),
                ("Home or Away", "1.30", 1),
            ],
        ),
        market("29", None, 0, &[("Yes", "1.70", 1), ("No", "2.05", 1)]),
        market(
            "18",
            Some("total=2.5"),
            0,
            &[("Over", "1.85", 1), ("Under", "1.95", 0)],
        ),
        market(
            "18",
            Some("total=3.5"),
            2,
            &[("Over", "2.60", 1), ("Under", "1.45", 1)],
        ),
        market(
            "16",
            Some("hcp=-0.5"),
            0,
            &[("Home", "1.95", 1), ("Away", "1.85", 1)],
        ),
        market(
            "14",
            Some("hcp=0:1"),
            0,
            &[
                ("Home", "3.10", 1),
                ("Draw", "3.50", 1),
                ("Away", "2.00", 1),
            ],
        ),
        market(
            "14",
            Some("hcp=2:0"),
            0,
            &[
                ("Home", "1.10", 1),
                ("Draw", "8.00", 1),
                ("Away", "15.00", 1),
            ],
        ),
        market("11", None, 0, &[("Home", "1.40", 1), ("Away", "2.90", 1)]),
        market("26", None, 0, &[("Odd", "1.90", 1), ("Even", "1.90", 1)]),
        market(
            "60",
            None,
            0,
            &[
                ("Home", "2.50", 1),
                ("Draw", "2.10", 1),
                ("Away", "4.80", 1),
            ],
        ),
        market(
            "68",
            Some("total=0.5"),
            0,
            &[("Over", "1.30", 1), ("Under", "3.30", 1)],
        ),
        market("45", Some("score=1:0"), 0, &[("1:0", "7.50", 1)]),
        market("18", None, 0, &[("Over", "1.10", 1)]),
    ]
}

fn find<'a>(event: &'a EventOdds, market: &str, line: Option<&str>) -> &'a MarketOdds {
    event
        .markets
        .iter()
        .find(|m| m.market_id == market && m.line.map(|l| l.to_string()).as_deref() == line)
        .unwrap_or_else(|| panic!("market {market} line {line:?} missing"))
}

/// SportyBet's GETs carry a `_t` cache-buster of epoch milliseconds.
struct HasCacheBuster;

impl Match for HasCacheBuster {
    fn matches(&self, request: &Request) -> bool {
        request
            .url
            .query_pairs()
            .any(|(k, v)| k == "_t" && v.len() >= 13 && v.bytes().all(|b| b.is_ascii_digit()))
    }
}

fn event_mock() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/api/ng/factsCenter/event"))
        .and(query_param("eventId", "sr:match:61300947"))
        .and(query_param("productId", "3"))
        .and(HasCacheBuster)
        .and(header("clientid", "web"))
        .and(header("operid", "2"))
        .and(header("platform", "web"))
}

#[tokio::test]
async fn sportybet_maps_every_market_with_string_odds_and_specifier_lines() {
    let server = MockServer::start().await;
    event_mock()
        .respond_with(ok(event(every_market())))
        .mount(&server)
        .await;
    let sportybet = SportyBet::new(&server.uri(), fast_policy(0)).unwrap();
    let event = sportybet.fetch_event("sr:match:61300947").await.unwrap();
    assert_eq!(
        event.event_key, "61300947",
        "the sr:match: prefix is stripped"
    );
    assert_eq!(event.book_event_id, "sr:match:61300947");
    assert_eq!(
        event.kickoff.unwrap().to_rfc3339(),
        "2026-12-01T17:30:00+00:00"
    );
    assert_eq!(event.tournament.as_deref(), Some("NB I"));
    assert_eq!(event.country.as_deref(), Some("Hungary"));
    assert_eq!(event.markets.len(), 12);
    let one_x_two: Vec<_> = find(&event, "3743", None)
        .outcomes
        .iter()
        .map(|o| (o.name.as_str(), o.price.milli()))
        .collect();
    assert_eq!(one_x_two, [("1", 1850), ("X", 3400), ("2", 4200)]);
    let dc: Vec<_> = find(&event, "4693", None)
        .outcomes
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(dc, ["1X", "X2", "12"]);
    let over_under = find(&event, "5000", Some("2.5"));
    assert!(
        over_under.outcomes[0].active && !over_under.outcomes[1].active,
        "isActive 0 is suspended"
    );
    assert!(
        find(&event, "5000", Some("3.5")).is_suspended(),
        "market status 2 suspends every outcome"
    );
    assert_eq!(
        find(&event, "3774", Some("-0.5")).outcomes[0].price.milli(),
        1950
    );
    // European hcp=0:1 is home −1; hcp=2:0 is home +2.
    assert_eq!(find(&event, "4724", Some("-1")).outcomes[1].name, "X");
    assert_eq!(
        find(&event, "4724", Some("2")).outcomes[2].price.milli(),
        15000
    );
    find(&event, "4958", Some("0.5"));
    for id in ["3795", "4703", "4833", "3668"] {
        find(&event, id, None);
    }
    // Market 45 is unknown; the over/under without a specifier has no line.
    assert_eq!(sportybet.stats().snapshot().markets_unmapped, 2);
}

#[tokio::test]
async fn sportybet_bizcode_error_is_a_typed_failure_even_on_http_200() {
    let server = MockServer::start().await;
    event_mock()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"bizCode": 19000, "message": "Too frequent", "data": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sportybet = SportyBet::new(&server.uri(), fast_policy(3)).unwrap();
    match sportybet.fetch_event("61300947").await {
        Err(FeedError::Business {
            code,
            message,
            book,
            ..
        }) => {
            assert_eq!(
                (code.as_str(), message.as_str(), book.as_str()),
                ("19000", "Too frequent", "sportybet")
            );
        }
        other => panic!("{other:?}"),
    }
    let stats = sportybet.stats().snapshot();
    assert_eq!((stats.requests, stats.retries), (1, 0));
    assert_eq!(stats.failures.get(&FailureKind::Business), Some(&1));
}

#[tokio::test]
async fn sportybet_bizcode_error_wins_over_a_data_shape_it_cannot_read() {
    let server = MockServer::start().await;
    event_mock()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"bizCode": 4000, "message": "bad", "data": "n/a"})),
        )
        .mount(&server)
        .await;
    let result = SportyBet::new(&server.uri(), fast_policy(0))
        .unwrap()
        .fetch_event("61300947")
        .await;
    assert!(
        matches!(result, Err(FeedError::Business { ref code, .. }) if code == "4000"),
        "{result:?}"
    );
}

#[tokio::test]
async fn sportybet_success_without_data_means_the_event_is_gone() {
    let server = MockServer::start().await;
    event_mock()
        .respond_with(ok(Value::Null))
        .mount(&server)
        .await;
    let result = SportyBet::new(&server.uri(), fast_policy(0))
        .unwrap()
        .fetch_event("61300947")
        .await;
    assert!(
        matches!(result, Err(FeedError::EventGone { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn sportybet_discovery_posts_each_tournament_and_skips_events_without_a_sportradar_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/ng/factsCenter/popularAndSportList"))
        .and(query_param("sportId", "sr:sport:1"))
        .and(query_param("productId", "3"))
        .and(HasCacheBuster)
        .respond_with(ok(json!({"sportList": [{"id": "sr:sport:1", "name": "Football", "categories": [
            {"id": "sr:category:1", "name": "England", "tournaments": [{"id": "sr:tournament:17", "name": "Premier League", "eventSize": 2}]},
            {"id": "sr:category:32", "name": "Spain", "tournaments": [{"id": "sr:tournament:8", "name": "LaLiga", "eventSize": 1}]}
        ]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let list_body = |t: &str| json!([{"sportId": "sr:sport:1", "marketId": "1,18,10,29,11,26,36,14", "tournamentId": [[t]]}]);
    Mock::given(method("POST"))
        .and(path("/api/ng/factsCenter/pcEvents"))
        .and(body_json(list_body("sr:tournament:17")))
        .respond_with(ok(json!([{"id": "sr:tournament:17", "events": [
            {"eventId": "sr:match:100", "estimateStartTime": 1_796_146_200_000_i64, "homeTeamName": "Arsenal", "awayTeamName": "Chelsea"},
            {"eventId": "sr:simple_match:5", "homeTeamName": "X", "awayTeamName": "Y"}
        ]}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/ng/factsCenter/pcEvents"))
        .and(body_json(list_body("sr:tournament:8")))
        .respond_with(ok(json!([{"id": "sr:tournament:8", "events": [
            {"eventId": "sr:match:200", "estimateStartTime": "1796146200000", "homeTeamName": "Betis", "awayTeamName": "Sevilla",
             "sport": {"category": {"name": "Spain", "tournament": {"name": "LaLiga"}}}}
        ]}])))
        .expect(1)
        .mount(&server)
        .await;
    let sportybet = SportyBet::new(&server.uri(), fast_policy(0)).unwrap();
    let events = sportybet.discover().await.unwrap().events;
    let ids: Vec<_> = events
        .iter()
        .map(|e| (e.sportradar_id.as_str(), e.book_event_id.as_str()))
        .collect();
    assert_eq!(ids, [("100", "sr:match:100"), ("200", "sr:match:200")]);
    assert_eq!(events[0].tournament.as_deref(), Some("Premier League"));
    assert_eq!(events[0].country.as_deref(), Some("England"));
    assert_eq!(
        events[1].kickoff, events[0].kickoff,
        "epoch ms as number or string"
    );
    assert_eq!(sportybet.stats().snapshot().events_without_sportradar_id, 1);
}

#[tokio::test]
async fn sportybet_discovery_fails_on_a_business_error_of_the_tournament_list() {
    let server = MockServer::start().await;
    Mock::given(path("/api/ng/factsCenter/popularAndSportList"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"bizCode": 10001, "message": "system busy"})),
        )
        .mount(&server)
        .await;
    let result = SportyBet::new(&server.uri(), fast_policy(0))
        .unwrap()
        .discover()
        .await;
    assert!(
        matches!(result, Err(FeedError::Business { ref code, .. }) if code == "10001"),
        "{result:?}"
    );
}

#[tokio::test]
async fn sportybet_discovery_keeps_a_tournament_with_one_undecodable_event() {
    let server = MockServer::start().await;
    Mock::given(path("/api/ng/factsCenter/popularAndSportList"))
        .respond_with(ok(json!({"sportList": [{"id": "sr:sport:1", "name": "Football", "categories": [
            {"id": "sr:category:1", "name": "England", "tournaments": [{"id": "sr:tournament:17", "name": "Premier League"}]},
            {"id": "sr:category:32", "name": "Spain", "tournaments": [{"id": "sr:tournament:8", "name": "LaLiga"}]}
        ]}]})))
        .mount(&server)
        .await;
    let list_body = |t: &str| json!([{"sportId": "sr:sport:1", "marketId": "1,18,10,29,11,26,36,14", "tournamentId": [[t]]}]);
    Mock::given(method("POST"))
        .and(path("/api/ng/factsCenter/pcEvents"))
        .and(body_json(list_body("sr:tournament:17")))
        .respond_with(ok(json!([{"id": "sr:tournament:17", "events": [
            {"eventId": "sr:match:100", "homeTeamName": "Arsenal", "awayTeamName": "Chelsea"},
            {"eventId": {"not": "an id"}, "homeTeamName": "X", "awayTeamName": "Y"},
            {"eventId": "sr:match:102", "homeTeamName": "Everton", "awayTeamName": "Fulham"}
        ]}])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/ng/factsCenter/pcEvents"))
        .and(body_json(list_body("sr:tournament:8")))
        .respond_with(ok(json!([{"id": "sr:tournament:8", "events": [
            {"eventId": "sr:match:200", "homeTeamName": "Betis", "awayTeamName": "Sevilla"}
        ]}])))
        .mount(&server)
        .await;
    let sportybet = SportyBet::new(&server.uri(), fast_policy(0)).unwrap();
    let found = sportybet.discover().await.unwrap();
    let ids: Vec<&str> = found
        .events
        .iter()
        .map(|e| e.sportradar_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["100", "102", "200"],
        "the tournament's other events stay"
    );
    assert!(
        matches!(&found.failures[..], [FeedError::Malformed { path, .. }] if path == "eventId"),
        "{:?}",
        found.failures
    );
    assert_eq!(
        sportybet
            .stats()
            .snapshot()
            .failures
            .get(&FailureKind::Malformed),
        Some(&1)
    );
}
