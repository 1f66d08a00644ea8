//! The shared HTTP policy, exercised through every adapter's event endpoint on a real loopback
//! server (wiremock): retries and their counts, timeouts, throttling, size caps, gzip, limits.

use crate::support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oddswatch::domain::EventOdds;
use oddswatch::sources::{
    Bet9ja, BetPawa, BookClient, FailureKind, FeedError, HttpPolicy, SportyBet, StatsSnapshot,
};
use support::fast_policy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Clone, Copy)]
enum Adapter {
    BetPawa,
    SportyBet,
    Bet9ja,
}

const ADAPTERS: [Adapter; 3] = [Adapter::BetPawa, Adapter::SportyBet, Adapter::Bet9ja];

impl Adapter {
    fn event_path(self) -> &'static str {
        match self {
            Adapter::BetPawa => "/api/sportsbook/v3/events/123",
            Adapter::SportyBet => "/api/ng/factsCenter/event",
            Adapter::Bet9ja => "/desktop/feapi/PalimpsestAjax/GetEvent",
        }
    }

    fn valid_body(self) -> String {
        match self {
            Adapter::BetPawa => r#"{"id":"123","name":"A - B","startTime":"2026-12-01T15:00:00Z",
                "widgets":[{"id":"61300947","type":"SPORTRADAR"}],
                "markets":[{"marketType":{"id":"3743","name":"1X2"},"row":[{"id":1,"handicap":0,
                "formattedHandicap":"","prices":[{"id":1,"name":"1","price":1.5,"suspended":false},
                {"id":2,"name":"X","price":4.0,"suspended":false},{"id":3,"name":"2","price":6.0,"suspended":false}]}]}]}"#
            .to_string(),
            Adapter::SportyBet => r#"{"bizCode":10000,"message":"0#0","data":{"eventId":"sr:match:61300947",
                "estimateStartTime":1796137200000,"homeTeamName":"A","awayTeamName":"B",
                "markets":[{"id":"1","status":0,"outcomes":[{"id":"1","desc":"Home","odds":"1.50","isActive":1},
                {"id":"2","desc":"Draw","odds":"4.00","isActive":1},{"id":"3","desc":"Away","odds":"6.00","isActive":1}]}]}}"#
                .to_string(),
            Adapter::Bet9ja => r#"{"R":"OK","D":{"ID":123,"EXTID":"61300947","DS":"A - B",
                "STARTDATE":"2026-12-01 15:00:00","O":{"S_1X2_1":"1.50","S_1X2_X":"4.00","S_1X2_2":"6.00"}}}"#
                .to_string(),
        }
    }

    /// A body whose value at the returned JSON path has the wrong type.
    fn body_with_bad_type(self) -> (String, &'static str) {
        match self {
            Adapter::BetPawa => (
                r#"{"id":"123","markets":[{"marketType":{"id":"3743"},"row":"oops"}]}"#.to_string(),
                "markets[0].row",
            ),
            Adapter::SportyBet => (
                r#"{"bizCode":10000,"data":{"eventId":"sr:match:1","markets":[{"id":"1","outcomes":[{"desc":"Home","odds":{"x":1}}]}]}}"#
                    .to_string(),
                "data.markets[0].outcomes[0].odds",
            ),
            Adapter::Bet9ja => (r#"{"R":"OK","D":{"ID":123,"O":[1,2]}}"#.to_string(), "D.O"),
        }
    }

    async fn fetch(
        self,
        base: &str,
        policy: HttpPolicy,
    ) -> (Result<EventOdds, FeedError>, StatsSnapshot) {
        match self {
            Adapter::BetPawa => {
                let a = BetPawa::new(base, policy).unwrap();
                (a.fetch_event("123").await, a.stats().snapshot())
            }
            Adapter::SportyBet => {
                let a = SportyBet::new(base, policy).unwrap();
                (
                    a.fetch_event("sr:match:61300947").await,
                    a.stats().snapshot(),
                )
            }
            Adapter::Bet9ja => {
                let a = Bet9ja::new(base, policy).unwrap();
                (a.fetch_event("123").await, a.stats().snapshot())
            }
        }
    }
}

fn json(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

#[tokio::test]
async fn every_adapter_parses_its_valid_event() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, adapter.valid_body()))
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(2)).await;
        let event = event.unwrap_or_else(|e| panic!("{adapter:?}: {e}"));
        assert_eq!(event.event_key, "61300947");
        assert_eq!(event.markets[0].market_id, "3743");
        assert_eq!((stats.requests, stats.retries), (1, 0));
    }
}

#[tokio::test]
async fn server_errors_then_success_are_retried_and_counted_by_every_adapter() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, adapter.valid_body()))
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(3)).await;
        assert!(event.is_ok(), "{adapter:?}: {event:?}");
        assert_eq!((stats.requests, stats.retries), (3, 2), "{adapter:?}");
        assert!(stats.failures.is_empty());
    }
}

#[tokio::test]
async fn persistent_server_errors_fail_with_the_status_after_the_configured_retries() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(503))
            .expect(3)
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(2)).await;
        assert!(
            matches!(event, Err(FeedError::Status { status: 503, .. })),
            "{adapter:?}: {event:?}"
        );
        assert_eq!((stats.requests, stats.retries), (3, 2));
        assert_eq!(stats.failures.get(&FailureKind::Status), Some(&1));
    }
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after_then_succeeds() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, adapter.valid_body()))
            .mount(&server)
            .await;
        let started = Instant::now();
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(2)).await;
        assert!(event.is_ok(), "{adapter:?}: {event:?}");
        assert_eq!((stats.requests, stats.retries), (2, 1));
        // Retry-After (1 s) capped by the test policy's 50 ms, far above its 1–5 ms backoff.
        assert!(
            started.elapsed() >= Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn forbidden_is_read_as_throttling_and_retried() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(403))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, adapter.valid_body()))
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(2)).await;
        assert!(event.is_ok(), "{adapter:?}: {event:?}");
        assert_eq!(stats.retries, 1);
    }
}

#[tokio::test]
async fn not_found_is_event_gone_at_once_without_retries() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(404))
            .expect(1)
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(3)).await;
        assert!(
            matches!(event, Err(FeedError::EventGone { .. })),
            "{adapter:?}: {event:?}"
        );
        assert_eq!((stats.requests, stats.retries), (1, 0));
        assert_eq!(stats.failures.get(&FailureKind::EventGone), Some(&1));
    }
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_retried_then_a_timeout() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, adapter.valid_body()).set_delay(Duration::from_millis(400)))
            .mount(&server)
            .await;
        let policy = HttpPolicy {
            timeout: Duration::from_millis(100),
            ..fast_policy(1)
        };
        let (event, stats) = adapter.fetch(&server.uri(), policy).await;
        assert!(
            matches!(event, Err(FeedError::Timeout { .. })),
            "{adapter:?}: {event:?}"
        );
        assert_eq!((stats.requests, stats.retries), (2, 1));
        assert_eq!(stats.failures.get(&FailureKind::Timeout), Some(&1));
    }
}

#[tokio::test]
async fn truncated_json_is_malformed_and_not_retried() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        let body = adapter.valid_body();
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, body[..body.len() / 2].to_string()))
            .expect(1)
            .mount(&server)
            .await;
        let (event, stats) = adapter.fetch(&server.uri(), fast_policy(3)).await;
        assert!(
            matches!(event, Err(FeedError::Malformed { .. })),
            "{adapter:?}: {event:?}"
        );
        assert_eq!((stats.requests, stats.retries), (1, 0));
        assert_eq!(stats.failures.get(&FailureKind::Malformed), Some(&1));
    }
}

#[tokio::test]
async fn malformed_json_names_the_json_path_that_failed() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        let (body, expected) = adapter.body_with_bad_type();
        Mock::given(path(adapter.event_path()))
            .respond_with(json(200, body))
            .mount(&server)
            .await;
        let (event, _) = adapter.fetch(&server.uri(), fast_policy(0)).await;
        match event {
            Err(FeedError::Malformed { path, book, .. }) => {
                assert_eq!(path, expected, "{adapter:?}");
                assert!(!book.is_empty());
            }
            other => panic!("{adapter:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_html_error_page_is_malformed() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>502</html>"))
            .mount(&server)
            .await;
        let (event, _) = adapter.fetch(&server.uri(), fast_policy(0)).await;
        assert!(
            matches!(event, Err(FeedError::Malformed { .. })),
            "{adapter:?}: {event:?}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_retries() {
    for adapter in ADAPTERS {
        let server = MockServer::start().await;
        Mock::given(path(adapter.event_path()))
            .respond_with(json(
                200,
                format!("{}{}", adapter.valid_body(), " ".repeat(4096)),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let policy = HttpPolicy {
            max_body_bytes: 1024,
            ..fast_policy(3)
        };
        let (event, stats) = adapter.fetch(&server.uri(), policy).await;
        assert!(
            matches!(event, Err(FeedError::BodyTooLarge { limit: 1024, .. })),
            "{adapter:?}: {event:?}"
        );
        assert_eq!(stats.requests, 1);
    }
}

/// A server that streams an endless chunked body without a length.
async fn endless_body_server() -> String {
    use axum::body::Body;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/endless",
        get(|| async {
            let chunks = futures::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![b' '; 8192]));
            Body::from_stream(chunks)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_size_cap_is_enforced_while_streaming_an_endless_body() {
    let base = endless_body_server().await;
    let policy = HttpPolicy {
        max_body_bytes: 64 * 1024,
        timeout: Duration::from_secs(10),
        ..fast_policy(0)
    };
    let client = BookClient::new("betpawa", &base, policy, &[]).unwrap();
    let started = Instant::now();
    let result = client.get("/endless").await;
    assert!(
        matches!(result, Err(FeedError::BodyTooLarge { .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped reading at the cap, not at the timeout"
    );
}

#[tokio::test]
async fn gzip_bodies_are_decompressed() {
    let server = MockServer::start().await;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(Adapter::Bet9ja.valid_body().as_bytes())
        .unwrap();
    let gzipped = encoder.finish().unwrap();
    Mock::given(path(Adapter::Bet9ja.event_path()))
        .and(wiremock::matchers::header_regex("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(gzipped, "application/json"),
        )
        .mount(&server)
        .await;
    let (event, _) = Adapter::Bet9ja.fetch(&server.uri(), fast_policy(0)).await;
    assert_eq!(event.unwrap().markets.len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (event, stats) = Adapter::BetPawa.fetch(&base, fast_policy(2)).await;
    assert!(matches!(event, Err(FeedError::Network { .. })), "{event:?}");
    assert_eq!((stats.requests, stats.retries), (3, 2));
    assert_eq!(stats.failures.get(&FailureKind::Network), Some(&1));
}

/// A server counting requests in flight; each takes 30 ms.
async fn in_flight_server() -> (String, Arc<AtomicUsize>) {
    use axum::routing::get;
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n, p) = (now.clone(), peak.clone());
    let app = axum::Router::new().route(
        "/slow",
        get(move || {
            let (n, p) = (n.clone(), p.clone());
            async move {
                let current = n.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                n.fetch_sub(1, Ordering::SeqCst);
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), peak)
}

#[tokio::test]
async fn requests_in_flight_never_exceed_the_book_concurrency() {
    let (base, peak) = in_flight_server().await;
    let policy = HttpPolicy {
        concurrency: 2,
        ..fast_policy(0)
    };
    let client = BookClient::new("sportybet", &base, policy, &[]).unwrap();
    let results = futures::future::join_all((0..8).map(|_| client.get("/slow"))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_delay_spaces_request_starts() {
    let (base, _) = in_flight_server().await;
    let policy = HttpPolicy {
        concurrency: 8,
        delay: Duration::from_millis(40),
        ..fast_policy(0)
    };
    let client = BookClient::new("bet9ja", &base, policy, &[]).unwrap();
    let started = Instant::now();
    let results = futures::future::join_all((0..4).map(|_| client.get("/slow"))).await;
    assert!(results.iter().all(Result::is_ok));
    // Starts at 0, 40, 80 and 120 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(120),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_browser_user_agent_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::header_regex(
            "user-agent",
            "^Mozilla/5.0 .*Chrome/",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let client = BookClient::new("betpawa", &server.uri(), fast_policy(0), &[]).unwrap();
    client.get("/anything").await.unwrap();
}
