//! BetPawa adapter against wiremock with payloads in the real shapes.

use crate::support;

use oddswatch::domain::EventOdds;
use oddswatch::sources::BetPawa;
use serde_json::{Value, json};
use support::fast_policy;
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

fn price(id: u64, name: &str, price: f64, suspended: bool) -> Value {
    json!({"id": id, "name": name, "price": price, "suspended": suspended, "handicap": 0})
}

fn row(handicap: &str, prices: Vec<Value>) -> Value {
    json!({"id": 1, "handicap": handicap.parse::<f64>().unwrap_or(0.0), "formattedHandicap": handicap, "prices": prices})
}

fn market(id: &str, display: &str, rows: Vec<Value>) -> Value {
    json!({"marketType": {"id": id, "name": display, "displayName": display, "handicapType": "NONE"}, "row": rows})
}

fn event_json(id: &str, sportradar: Option<&str>, markets: Vec<Value>) -> Value {
    let mut widgets = vec![json!({"id": "x1", "type": "STATS"})];
    if let Some(sr) = sportradar {
        widgets.push(json!({"id": sr, "type": "SPORTRADAR"}));
    }
    json!({
        "id": id,
        "name": "Debreceni - Ferencvaros",
        "startTime": "2026-12-01T17:30:00Z",
        "participants": [
            {"id": 1, "name": "Debreceni VSC", "position": 1},
            {"id": 2, "name": "Ferencvarosi TC", "position": 2}
        ],
        "competition": {"id": "11965", "name": "NB I"},
        "region": {"id": "7", "name": "Hungary"},
        "widgets": widgets,
        "markets": markets
    })
}

fn every_market() -> Vec<Value> {
    vec![
        market(
            "3743",
            "1X2 | Full Time",
            vec![row(
                "",
                vec![
                    price(1, "1", 1.85, false),
                    price(2, "X", 3.4, false),
                    price(3, "2", 4.2, false),
                ],
            )],
        ),
        market(
            "4693",
            "Double Chance | Full Time",
            vec![row(
                "",
                vec![
                    price(4, "1X", 1.2, false),
                    price(5, "X2", 1.9, false),
                    price(6, "12", 1.3, false),
                ],
            )],
        ),
        market(
            "3795",
            "Both Teams To Score | Full Time",
            vec![row(
                "",
                vec![price(7, "Yes", 1.7, false), price(8, "No", 2.05, false)],
            )],
        ),
        market(
            "5000",
            "Over/Under | Full Time",
            vec![
                row(
                    "2.5",
                    vec![
                        price(9, "Over", 1.85, false),
                        price(10, "Under", 1.95, false),
                    ],
                ),
                row(
                    "3.5",
                    vec![
                        price(11, "Over", 2.6, true),
                        price(12, "Under", 1.45, false),
                    ],
                ),
                row(
                    "",
                    vec![
                        price(13, "Over", 1.1, false),
                        price(14, "Under", 6.0, false),
                    ],
                ),
            ],
        ),
        market(
            "3774",
            "Asian Handicap | Full Time",
            vec![
                row(
                    "-0.5",
                    vec![price(15, "1", 1.95, false), price(16, "2", 1.85, false)],
                ),
                row(
                    "0.25",
                    vec![price(17, "1", 1.6, true), price(18, "2", 2.3, true)],
                ),
            ],
        ),
        market(
            "4724",
            "3-Way Handicap | Full Time",
            vec![row(
                "-1",
                vec![
                    price(19, "1", 3.1, false),
                    price(20, "X", 3.5, false),
                    price(21, "2", 2.0, false),
                ],
            )],
        ),
        market(
            "4703",
            "Draw No Bet | Full Time",
            vec![row(
                "",
                vec![price(22, "1", 1.4, false), price(23, "2", 2.9, false)],
            )],
        ),
        market(
            "4833",
            "Odd/Even | Full Time",
            vec![row(
                "",
                vec![price(24, "Odd", 1.9, false), price(25, "Even", 1.9, false)],
            )],
        ),
        market(
            "3668",
            "1X2 | 1st Half",
            vec![row(
                "",
                vec![
                    price(26, "1", 2.5, false),
                    price(27, "X", 2.1, false),
                    price(28, "2", 4.8, false),
                ],
            )],
        ),
        market(
            "4958",
            "Over/Under | 1st Half",
            vec![row(
                "1.5",
                vec![
                    price(29, "Over", 2.75, false),
                    price(30, "Under", 1.42, false),
                ],
            )],
        ),
        market(
            "1001",
            "Correct Score | Full Time",
            vec![
                row("", vec![price(31, "1-0", 7.5, false)]),
                row("", vec![price(32, "0-0", 9.0, false)]),
            ],
        ),
    ]
}

fn find<'a>(
    event: &'a EventOdds,
    market: &str,
    line: Option<&str>,
) -> &'a oddswatch::domain::MarketOdds {
    event
        .markets
        .iter()
        .find(|m| m.market_id == market && m.line.map(|l| l.to_string()).as_deref() == line)
        .unwrap_or_else(|| panic!("market {market} line {line:?} missing"))
}

fn prices(market: &oddswatch::domain::MarketOdds) -> Vec<(String, u32, bool)> {
    market
        .outcomes
        .iter()
        .map(|o| (o.name.clone(), o.price.milli(), o.active))
        .collect()
}

/// Every request must carry BetPawa's headers, or the mocks do not answer.
fn betpawa_mock(route: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(route))
        .and(header("x-pawa-brand", "betpawa-nigeria"))
        .and(header("devicetype", "web"))
        .and(header("accept", "*/*"))
}

#[tokio::test]
async fn betpawa_maps_every_market_of_the_table_with_lines_and_suspended_outcomes() {
    let server = MockServer::start().await;
    betpawa_mock("/api/sportsbook/v3/events/7001")
        .respond_with(ResponseTemplate::new(200).set_body_json(event_json(
            "7001",
            Some("61300947"),
            every_market(),
        )))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    let event = betpawa.fetch_event("7001").await.unwrap();
    assert_eq!(event.event_key, "61300947");
    assert_eq!(event.book_event_id, "7001");
    assert_eq!(
        (event.home_team.as_str(), event.away_team.as_str()),
        ("Debreceni VSC", "Ferencvarosi TC")
    );
    assert_eq!(event.tournament.as_deref(), Some("NB I"));
    assert_eq!(event.country.as_deref(), Some("Hungary"));
    assert_eq!(
        event.kickoff.unwrap().to_rfc3339(),
        "2026-12-01T17:30:00+00:00"
    );
    assert_eq!(event.markets.len(), 12);
    assert_eq!(
        prices(find(&event, "3743", None)),
        [
            ("1".into(), 1850, true),
            ("X".into(), 3400, true),
            ("2".into(), 4200, true)
        ]
    );
    assert_eq!(find(&event, "3743", None).market_name, "1X2 | Full Time");
    assert_eq!(
        prices(find(&event, "5000", Some("3.5")))[0],
        ("Over".into(), 2600, false)
    );
    assert!(
        !find(&event, "5000", Some("3.5")).is_suspended(),
        "one outcome open"
    );
    assert!(find(&event, "3774", Some("0.25")).is_suspended());
    assert_eq!(
        prices(find(&event, "3774", Some("-0.5"))),
        [("1".into(), 1950, true), ("2".into(), 1850, true)]
    );
    assert_eq!(find(&event, "4724", Some("-1")).outcomes.len(), 3);
    for (id, line) in [
        ("4693", None),
        ("3795", None),
        ("4703", None),
        ("4833", None),
        ("3668", None),
        ("4958", Some("1.5")),
    ] {
        find(&event, id, line);
    }
    // Two correct-score rows plus the over/under row without a line.
    assert_eq!(betpawa.stats().snapshot().markets_unmapped, 3);
}

#[tokio::test]
async fn betpawa_tolerates_missing_optional_fields() {
    let server = MockServer::start().await;
    let body = json!({
        "id": 7002,
        "name": "Alpha - Beta",
        "widgets": [{"id": "61300948", "type": "SPORTRADAR"}],
        "markets": [{"marketType": {"id": "3743"}, "row": [{"prices": [{"name": "1", "price": 2.0}, {"name": "2"}]}]}]
    });
    betpawa_mock("/api/sportsbook/v3/events/7002")
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let event = BetPawa::new(&server.uri(), fast_policy(0))
        .unwrap()
        .fetch_event("7002")
        .await
        .unwrap();
    assert_eq!(
        (event.home_team.as_str(), event.away_team.as_str()),
        ("Alpha", "Beta")
    );
    assert_eq!(event.kickoff, None);
    assert_eq!(event.tournament, None);
    assert_eq!(
        prices(&event.markets[0]),
        [("1".into(), 2000, true)],
        "the outcome without a price is dropped"
    );
}

#[tokio::test]
async fn betpawa_event_without_a_sportradar_widget_is_skipped_and_counted() {
    let server = MockServer::start().await;
    betpawa_mock("/api/sportsbook/v3/events/7003")
        .respond_with(ResponseTemplate::new(200).set_body_json(event_json(
            "7003",
            None,
            every_market(),
        )))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    let result = betpawa.fetch_event("7003").await;
    assert!(
        matches!(
            result,
            Err(oddswatch::sources::FeedError::NoSportRadarId { .. })
        ),
        "{result:?}"
    );
    let stats = betpawa.stats().snapshot();
    assert_eq!(stats.events_without_sportradar_id, 1);
    assert!(stats.failures.is_empty());
}

/// Matches a `by-queries` list request for one competition and page.
struct ListQuery {
    competition: &'static str,
    skip: u64,
}

impl Match for ListQuery {
    fn matches(&self, request: &Request) -> bool {
        let Some((_, q)) = request.url.query_pairs().find(|(k, _)| k == "q") else {
            return false;
        };
        let value: Value = serde_json::from_str(&q).unwrap_or_default();
        let query = &value["queries"][0];
        query["query"]["zones"]["competitions"][0] == self.competition
            && query["query"]["eventType"] == "UPCOMING"
            && query["query"]["categories"][0] == "2"
            && query["skip"] == self.skip
            && query["take"] == 100
    }
}

fn list_item(id: u64, widgets: Option<Vec<Value>>) -> Value {
    let mut item = json!({
        "id": id.to_string(),
        "name": format!("Home {id} - Away {id}"),
        "startTime": "2026-12-02T12:00:00Z",
        "participants": [{"name": format!("Home {id}"), "position": 1}, {"name": format!("Away {id}"), "position": 2}],
        "competition": {"id": "11965", "name": "Premier League"},
        "region": {"id": "1", "name": "England"}
    });
    if let Some(widgets) = widgets {
        item["widgets"] = Value::Array(widgets);
    }
    item
}

fn page(items: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"responses": [{"responses": items}]}))
}

#[tokio::test]
async fn betpawa_discovery_pages_until_a_short_page_and_resolves_items_without_widgets() {
    let server = MockServer::start().await;
    betpawa_mock("/api/sportsbook/v3/categories/list/2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"withRegions": [{"regions": [
            {"region": {"id": "1", "name": "England"}, "competitions": [{"competition": {"id": "11965", "name": "Premier League"}}]},
            {"region": {"id": "2", "name": "Spain"}, "competitions": [{"competition": {"id": 22, "name": "LaLiga"}}]}
        ]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let with_sr = |id: u64| {
        Some(vec![
            json!({"id": (60_000_000 + id).to_string(), "type": "SPORTRADAR"}),
        ])
    };
    for (skip, range) in [(0u64, 0..100u64), (100, 100..200), (200, 200..203)] {
        betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
            .and(ListQuery {
                competition: "11965",
                skip,
            })
            .respond_with(page(range.map(|i| list_item(i, with_sr(i))).collect()))
            .expect(1)
            .mount(&server)
            .await;
    }
    // LaLiga: one item without widgets (its event says its id), one with no SportRadar widget.
    betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
        .and(ListQuery {
            competition: "22",
            skip: 0,
        })
        .respond_with(page(vec![
            list_item(900, None),
            list_item(901, Some(vec![json!({"id": "s", "type": "STATS"})])),
        ]))
        .mount(&server)
        .await;
    betpawa_mock("/api/sportsbook/v3/events/900")
        .respond_with(ResponseTemplate::new(200).set_body_json(event_json(
            "900",
            Some("61300900"),
            vec![],
        )))
        .expect(1)
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    let events = betpawa.discover().await.unwrap().events;
    assert_eq!(
        events.len(),
        204,
        "203 paged events plus the one resolved by its event"
    );
    assert!(
        events
            .iter()
            .any(|e| e.sportradar_id == "61300900" && e.book_event_id == "900")
    );
    let first = events.iter().find(|e| e.book_event_id == "0").unwrap();
    assert_eq!(first.sportradar_id, "60000000");
    assert_eq!(first.home_team, "Home 0");
    assert_eq!(first.tournament.as_deref(), Some("Premier League"));
    assert_eq!(first.country.as_deref(), Some("England"));
    assert_eq!(betpawa.stats().snapshot().events_without_sportradar_id, 1);
}

#[tokio::test]
async fn betpawa_discovery_fails_with_the_json_path_of_a_malformed_page() {
    let server = MockServer::start().await;
    betpawa_mock("/api/sportsbook/v3/categories/list/2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"withRegions": [{"regions": [
            {"region": {"id": "1", "name": "England"}, "competitions": [{"competition": {"id": "11965", "name": "PL"}}]}
        ]}]})))
        .mount(&server)
        .await;
    betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": "nope"})))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    match betpawa.discover().await {
        Err(oddswatch::sources::FeedError::Malformed { path, .. }) => assert_eq!(path, "responses"),
        other => panic!("{other:?}"),
    }
}

/// Categories with two competitions: `11965` (England) and `22` (Spain).
async fn two_competitions(server: &MockServer) {
    betpawa_mock("/api/sportsbook/v3/categories/list/2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"withRegions": [{"regions": [
            {"region": {"id": "1", "name": "England"}, "competitions": [{"competition": {"id": "11965", "name": "Premier League"}}]},
            {"region": {"id": "2", "name": "Spain"}, "competitions": [{"competition": {"id": 22, "name": "LaLiga"}}]}
        ]}]})))
        .mount(server)
        .await;
    betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
        .and(ListQuery {
            competition: "22",
            skip: 0,
        })
        .respond_with(page(vec![list_item(
            500,
            Some(vec![json!({"id": "61300500", "type": "SPORTRADAR"})]),
        )]))
        .mount(server)
        .await;
}

fn with_sportradar(id: u64) -> Option<Vec<Value>> {
    Some(vec![
        json!({"id": (61_300_000 + id).to_string(), "type": "SPORTRADAR"}),
    ])
}

#[tokio::test]
async fn betpawa_discovery_keeps_a_competition_whose_widgetless_item_fails_to_resolve() {
    let server = MockServer::start().await;
    two_competitions(&server).await;
    betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
        .and(ListQuery {
            competition: "11965",
            skip: 0,
        })
        .respond_with(page(vec![
            list_item(1, with_sportradar(1)),
            list_item(2, None),
            list_item(3, with_sportradar(3)),
        ]))
        .mount(&server)
        .await;
    // The item without widgets cannot be resolved: its event answers 503 every time.
    betpawa_mock("/api/sportsbook/v3/events/2")
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(1)).unwrap();
    let found = betpawa.discover().await.unwrap();
    let ids: Vec<&str> = found
        .events
        .iter()
        .map(|e| e.book_event_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["1", "3", "500"],
        "the competition's other events stay"
    );
    assert_eq!(found.failures.len(), 1, "{:?}", found.failures);
    assert!(
        matches!(
            found.failures[0],
            oddswatch::sources::FeedError::Status { status: 503, .. }
        ),
        "{:?}",
        found.failures
    );
    let stats = betpawa.stats().snapshot();
    assert_eq!(
        stats.failures.get(&oddswatch::sources::FailureKind::Status),
        Some(&1),
        "the failed item is counted"
    );
    assert_eq!(
        serde_json::to_value(&stats).unwrap()["discovery_items_failed"],
        1
    );
}

#[tokio::test]
async fn betpawa_discovery_keeps_a_competition_with_one_undecodable_item() {
    let server = MockServer::start().await;
    two_competitions(&server).await;
    let mut broken = list_item(2, with_sportradar(2));
    broken["participants"] = json!("oops");
    betpawa_mock("/api/sportsbook/v3/events/lists/by-queries")
        .and(ListQuery {
            competition: "11965",
            skip: 0,
        })
        .respond_with(page(vec![
            list_item(1, with_sportradar(1)),
            broken,
            list_item(3, with_sportradar(3)),
        ]))
        .mount(&server)
        .await;
    let betpawa = BetPawa::new(&server.uri(), fast_policy(0)).unwrap();
    let found = betpawa.discover().await.unwrap();
    let ids: Vec<&str> = found
        .events
        .iter()
        .map(|e| e.book_event_id.as_str())
        .collect();
    assert_eq!(ids, ["1", "3", "500"]);
    match &found.failures[..] {
        [oddswatch::sources::FeedError::Malformed { path, what, .. }] => {
            assert_eq!(path, "participants");
            assert!(what.contains("list item 1"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        betpawa
            .stats()
            .snapshot()
            .failures
            .get(&oddswatch::sources::FailureKind::Malformed),
        Some(&1)
    );
}
