//! The Odds API v4 adapter against wiremock: per-bookmaker split, lines, quota, secrecy.

use crate::support;

use oddswatch::config::Secret;
use oddswatch::sources::{FailureKind, Feed, FeedError, FeedKind, OddsApiSettings, TheOddsApi};
use serde_json::{Value, json};
use support::{book_config, fast_policy};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "s3cr3t-key-0042";

fn settings(min_quota_remaining: u64) -> OddsApiSettings {
    OddsApiSettings {
        api_key: Secret::new(KEY),
        sports: vec!["soccer_epl".into()],
        min_quota_remaining,
    }
}

fn events() -> Value {
    json!([{
        "id": "e912304de2b2ce35b473ce2ecd3d1502",
        "sport_key": "soccer_epl",
        "sport_title": "EPL",
        "commence_time": "2026-12-01T15:00:00Z",
        "home_team": "Arsenal",
        "away_team": "Chelsea",
        "bookmakers": [
            {"key": "pinnacle", "title": "Pinnacle", "last_update": "2026-11-27T10:00:00Z", "markets": [
                {"key": "h2h", "outcomes": [
                    {"name": "Arsenal", "price": 1.95}, {"name": "Chelsea", "price": 4.1}, {"name": "Draw", "price": 3.6}]},
                {"key": "totals", "outcomes": [
                    {"name": "Over", "price": 1.9, "point": 2.5}, {"name": "Under", "price": 1.95, "point": 2.5}]},
                {"key": "spreads", "outcomes": [
                    {"name": "Arsenal", "price": 2.02, "point": -0.75}, {"name": "Chelsea", "price": 1.88, "point": 0.75}]},
                {"key": "btts", "outcomes": [{"name": "Yes", "price": 1.7}]}
            ]},
            {"key": "betfair_ex_eu", "title": "Betfair", "markets": [
                {"key": "h2h", "outcomes": [
                    {"name": "Arsenal", "price": 1.97}, {"name": "Chelsea", "price": 4.2}, {"name": "Draw", "price": 3.65}]}
            ]}
        ]
    }])
}

/// Market id, line and (outcome, price in thousandths) pairs.
type MarketSummary = (String, Option<String>, Vec<(String, u32)>);

fn with_quota(template: ResponseTemplate, remaining: &str) -> ResponseTemplate {
    template
        .insert_header("x-requests-remaining", remaining)
        .insert_header("x-requests-used", "40")
        .insert_header("x-requests-last", "3")
}

fn odds_mock() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/v4/sports/soccer_epl/odds"))
        .and(query_param("apiKey", KEY))
        .and(query_param("regions", "eu"))
        .and(query_param("markets", "h2h,totals,spreads"))
        .and(query_param("oddsFormat", "decimal"))
}

#[tokio::test]
async fn theoddsapi_splits_one_response_into_one_book_per_bookmaker() {
    let server = MockServer::start().await;
    odds_mock()
        .respond_with(with_quota(
            ResponseTemplate::new(200).set_body_json(events()),
            "460",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = book_config(&server.uri());
    config.api_key = Some(Secret::new(KEY));
    let feed =
        Feed::with_policy(FeedKind::TheOddsApi, &config, &server.uri(), fast_policy(0)).unwrap();
    let scrapes = feed.scrape().await.unwrap();
    let books: Vec<&str> = scrapes.iter().map(|s| s.book.as_str()).collect();
    assert_eq!(books, ["betfair_ex_eu", "pinnacle"]);
    let pinnacle = &scrapes[1].events[0];
    assert_eq!(pinnacle.event_key, "e912304de2b2ce35b473ce2ecd3d1502");
    assert_eq!(
        pinnacle.kickoff.unwrap().to_rfc3339(),
        "2026-12-01T15:00:00+00:00"
    );
    assert_eq!(pinnacle.tournament.as_deref(), Some("EPL"));
    let summary: Vec<MarketSummary> = pinnacle
        .markets
        .iter()
        .map(|m| {
            let outcomes = m
                .outcomes
                .iter()
                .map(|o| (o.name.clone(), o.price.milli()))
                .collect();
            (m.market_id.clone(), m.line.map(|l| l.to_string()), outcomes)
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "3743".into(),
                None,
                vec![("1".into(), 1950), ("2".into(), 4100), ("X".into(), 3600)]
            ),
            // Spreads: the line is the home point; the away outcome's +0.75 is home −0.75.
            (
                "3774".into(),
                Some("-0.75".into()),
                vec![("1".into(), 2020), ("2".into(), 1880)]
            ),
            (
                "5000".into(),
                Some("2.5".into()),
                vec![("Over".into(), 1900), ("Under".into(), 1950)]
            ),
        ]
    );
    assert_eq!(scrapes[0].events[0].markets.len(), 1);
    let stats = feed.stats().snapshot();
    assert_eq!(stats.markets_unmapped, 1, "btts is not in the table");
    let quota = stats.quota.unwrap();
    assert_eq!(
        (quota.remaining, quota.used, quota.last),
        (Some(460), Some(40), Some(3))
    );
}

#[tokio::test]
async fn theoddsapi_stops_polling_once_the_quota_falls_below_the_minimum() {
    let server = MockServer::start().await;
    odds_mock()
        .respond_with(with_quota(
            ResponseTemplate::new(200).set_body_json(events()),
            "9",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let api = TheOddsApi::new(&server.uri(), fast_policy(0), settings(10)).unwrap();
    api.fetch_all().await.unwrap();
    match api.fetch_all().await {
        Err(FeedError::QuotaExhausted {
            remaining, minimum, ..
        }) => assert_eq!((remaining, minimum), (9, 10)),
        other => panic!("{other:?}"),
    }
    let stats = api.stats().snapshot();
    assert_eq!(
        stats.requests, 1,
        "no request is spent once the quota is low"
    );
    assert_eq!(stats.failures.get(&FailureKind::QuotaExhausted), Some(&1));
}

#[tokio::test]
async fn theoddsapi_key_never_appears_in_errors_or_debug_output() {
    let server = MockServer::start().await;
    odds_mock()
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let api = TheOddsApi::new(&server.uri(), fast_policy(1), settings(10)).unwrap();
    let error = api.fetch_all().await.unwrap_err();
    assert!(matches!(error, FeedError::Status { status: 500, .. }));
    assert_eq!(api.stats().snapshot().retries, 1);
    for text in [error.to_string(), format!("{error:?}"), format!("{api:?}")] {
        assert!(!text.contains(KEY), "key leaked: {text}");
    }
    // A transport error carries no URL either.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let api = TheOddsApi::new(&dead, fast_policy(0), settings(10)).unwrap();
    let error = api.fetch_all().await.unwrap_err();
    assert!(matches!(error, FeedError::Network { .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains(KEY));
}

#[tokio::test]
async fn theoddsapi_rejected_key_is_a_status_error_without_retries() {
    let server = MockServer::start().await;
    odds_mock()
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "API key is not valid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let api = TheOddsApi::new(&server.uri(), fast_policy(3), settings(10)).unwrap();
    assert!(matches!(
        api.fetch_all().await,
        Err(FeedError::Status { status: 401, .. })
    ));
}
