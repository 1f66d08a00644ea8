//! Issue 11, point 2(a): a reshaped feed whose event body lacks a required array is a parse
//! error (a source-health failure), never an event with no markets, which detection would read
//! as every market vanishing (the reference raised 9,645 `suspended` and then 9,644 `returned`
//! alerts from a BetPawa body without `markets`). Required per BOOKMAKERS.md: BetPawa's event
//! `markets`, market `row` and row `prices`; SportyBet's `data.markets`; Bet9ja's `D.O`; The
//! Odds API's `bookmakers`, `markets` and `outcomes`. An empty array is still fine.

use crate::support;

use oddswatch::sources::theoddsapi::parse_odds;
use oddswatch::sources::{Bet9ja, BetPawa, FailureKind, FeedError, SportyBet};
use serde_json::{Value, json};
use support::fast_policy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BASE: &str = "http://127.0.0.1:9";

fn betpawa_event(markets: Option<Value>) -> Value {
    let mut event = json!({
        "id": "7001",
        "name": "Debreceni - Ferencvaros",
        "startTime": "2026-12-01T17:30:00Z",
        "widgets": [{"id": "61300947", "type": "SPORTRADAR"}],
    });
    if let Some(markets) = markets {
        event["markets"] = markets;
    }
    event
}

fn one_x_two_row() -> Value {
    json!({"formattedHandicap": "", "prices": [{"name": "1", "price": 1.85, "suspended": false}]})
}

/// The error is `Malformed` and names the missing field and its path.
fn assert_missing(result: Result<impl std::fmt::Debug, FeedError>, field: &str, at: &str) {
    let err = result.expect_err("a body without a required field must not parse");
    assert_eq!(err.kind(), FailureKind::Malformed, "{err}");
    let FeedError::Malformed { path, message, .. } = &err else {
        unreachable!()
    };
    assert!(path.contains(at), "path {path:?} should point at {at:?}");
    assert!(
        message.contains(field),
        "message {message:?} should name {field:?}"
    );
}

#[test]
fn betpawa_event_without_markets_is_a_parse_error() {
    let betpawa = BetPawa::new(BASE, fast_policy(0)).unwrap();
    let body = serde_json::to_vec(&betpawa_event(None)).unwrap();
    assert_missing(betpawa.parse_event(&body), "markets", "markets");
    // An event with an empty `markets` array is a real (empty) event.
    let body = serde_json::to_vec(&betpawa_event(Some(json!([])))).unwrap();
    assert_eq!(betpawa.parse_event(&body).unwrap().markets, vec![]);
}

#[test]
fn betpawa_market_without_rows_or_row_without_prices_is_a_parse_error() {
    let betpawa = BetPawa::new(BASE, fast_policy(0)).unwrap();
    let no_rows = betpawa_event(Some(json!([{"marketType": {"id": "3743"}}])));
    assert_missing(
        betpawa.parse_event(&serde_json::to_vec(&no_rows).unwrap()),
        "row",
        "markets[0]",
    );
    let no_prices = betpawa_event(Some(
        json!([{"marketType": {"id": "3743"}, "row": [{"formattedHandicap": ""}]}]),
    ));
    assert_missing(
        betpawa.parse_event(&serde_json::to_vec(&no_prices).unwrap()),
        "prices",
        "markets[0].row[0]",
    );
    let fine = betpawa_event(Some(
        json!([{"marketType": {"id": "3743"}, "row": [one_x_two_row()]}]),
    ));
    let event = betpawa
        .parse_event(&serde_json::to_vec(&fine).unwrap())
        .unwrap();
    assert_eq!(event.markets.len(), 1);
}

#[tokio::test]
async fn betpawa_fetch_of_a_reshaped_body_counts_a_malformed_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/sportsbook/v3/events/7001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(betpawa_event(None)))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    let err = betpawa.fetch_event("7001").await.unwrap_err();
    assert_eq!(err.kind(), FailureKind::Malformed, "{err}");
    let stats = betpawa.stats().snapshot();
    assert_eq!(stats.failures.get(&FailureKind::Malformed), Some(&1));
}

#[test]
fn sportybet_event_without_markets_is_a_parse_error() {
    let sporty = SportyBet::new(BASE, fast_policy(0)).unwrap();
    let data = json!({"eventId": "sr:match:61300947", "homeTeamName": "A", "awayTeamName": "B"});
    let body = json!({"bizCode": 10000, "message": "0#0", "data": data});
    assert_missing(
        sporty.parse_event(serde_json::to_vec(&body).unwrap()),
        "markets",
        "data.markets",
    );
    let mut with_empty = body.clone();
    with_empty["data"]["markets"] = json!([]);
    let event = sporty
        .parse_event(serde_json::to_vec(&with_empty).unwrap())
        .unwrap();
    assert_eq!(event.markets, vec![]);
}

#[test]
fn bet9ja_event_without_its_odds_object_is_a_parse_error() {
    let bet9ja = Bet9ja::new(BASE, fast_policy(0)).unwrap();
    let data =
        json!({"ID": 900, "EXTID": "61300947", "DS": "A - B", "STARTDATE": "2026-12-01 17:30:00"});
    let body = json!({"R": "OK", "D": data});
    assert_missing(
        bet9ja.parse_event(serde_json::to_vec(&body).unwrap()),
        "`O`",
        "D.O",
    );
    let mut with_empty = body.clone();
    with_empty["D"]["O"] = json!({});
    let event = bet9ja
        .parse_event(serde_json::to_vec(&with_empty).unwrap())
        .unwrap();
    assert_eq!(event.markets, vec![]);
}

#[test]
fn odds_api_response_missing_bookmakers_markets_or_outcomes_is_a_parse_error() {
    let event = |bookmakers: Option<Value>| {
        let mut e = json!({"id": "e1", "commence_time": "2026-12-01T15:00:00Z",
            "home_team": "Arsenal", "away_team": "Chelsea"});
        if let Some(b) = bookmakers {
            e["bookmakers"] = b;
        }
        serde_json::to_vec(&json!([e])).unwrap()
    };
    assert_missing(parse_odds("odds", &event(None)), "bookmakers", "[0]");
    assert_missing(
        parse_odds("odds", &event(Some(json!([{"key": "pinnacle"}])))),
        "markets",
        "[0].bookmakers[0]",
    );
    assert_missing(
        parse_odds(
            "odds",
            &event(Some(
                json!([{"key": "pinnacle", "markets": [{"key": "h2h"}]}]),
            )),
        ),
        "outcomes",
        "[0].bookmakers[0].markets[0]",
    );
    let (books, unmapped) = parse_odds(
        "odds",
        &event(Some(json!([{"key": "pinnacle", "markets": []}]))),
    )
    .unwrap();
    assert_eq!(books["pinnacle"][0].markets, vec![]);
    assert_eq!(unmapped, 0);
}
