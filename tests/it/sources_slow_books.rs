//! Slow, throttling, dead and oversized books against the HTTP policy, on real loopback servers
//! (the simulator's fault modes and wiremock): the call deadline, `Retry-After` shared by the
//! book's requests, the circuit breaker, and the cap on body bytes in flight.

use crate::support;

use std::time::Duration;

use oddswatch::sim::{self, FaultKind, SimHandle, SimOptions, TickMode};
use oddswatch::sources::{BetPawa, BookClient, BreakerState, FailureKind, FeedError, HttpPolicy};
use support::fast_policy;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A simulator whose every response of `book` has one of `faults`.
async fn faulty_sim(faults: Vec<FaultKind>, book: &str) -> SimHandle {
    let options = SimOptions {
        events: 20,
        tick: TickMode::Manual,
        fault_rate: 1.0,
        fault_kinds: faults,
        fault_book: Some(book.to_string()),
        drip_chunk_bytes: 4,
        drip_every: Duration::from_millis(50),
        ..SimOptions::default()
    };
    sim::start(options).await.unwrap().1
}

#[tokio::test]
async fn a_dripping_body_fails_at_the_call_deadline_whatever_the_timeout_and_retries() {
    let sim = faulty_sim(vec![FaultKind::Drip], "betpawa").await;
    let event = sim.events()[0].betpawa_id.clone();
    // Each attempt alone may take 20 s and there are 3 retries: without a deadline over the
    // whole call, a body dripping for minutes holds it for over a minute.
    let policy = HttpPolicy {
        timeout: Duration::from_secs(20),
        deadline: Duration::from_millis(600),
        ..fast_policy(3)
    };
    let betpawa = BetPawa::new(&sim.base_url(), policy).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), betpawa.fetch_event(&event))
        .await
        .expect("the call ends at its deadline");
    match result {
        Err(FeedError::Timeout { after, .. }) => assert_eq!(after, Duration::from_millis(600)),
        other => panic!("{other:?}"),
    }
    let stats = betpawa.stats().snapshot();
    assert_eq!(stats.requests, 1, "the deadline cut the first attempt");
    assert_eq!(stats.failures.get(&FailureKind::Timeout), Some(&1));
}

#[tokio::test]
async fn retry_after_holds_the_whole_book_and_the_breaker_stops_the_storm() {
    let server = MockServer::start().await;
    Mock::given(path("/throttled"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "5"))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        concurrency: 4,
        breaker_failures: 3,
        // Retry-After: 5 capped to 100 ms so the test is quick; the gate is what is tested.
        retry_after_max: Duration::from_millis(100),
        ..fast_policy(3)
    };
    let client = BookClient::new("sportybet", &server.uri(), policy, &[]).unwrap();
    let results = futures::future::join_all((0..20).map(|_| client.get("/throttled"))).await;
    assert!(results.iter().all(Result::is_err));
    let sent = server.received_requests().await.unwrap().len();
    // Without the breaker every call makes 1 + 3 attempts: 80 requests. With it, only the
    // requests in flight when it opened (the concurrency, 4) are answered; nothing is retried.
    assert!(sent <= 8, "{sent} requests sent to a throttling book");
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(FeedError::CircuitOpen { .. })))
        .count();
    assert!(refused >= 16, "{refused} calls refused unsent");
    assert_eq!(client.breaker_state(), BreakerState::Open);
    let stats = client.stats().snapshot();
    assert_eq!(stats.requests as usize, sent);
}

#[tokio::test]
async fn a_retry_after_holds_the_books_other_requests_too() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "5"))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        retry_after_max: Duration::from_secs(30),
        ..fast_policy(0)
    };
    let client = BookClient::new("bet9ja", &server.uri(), policy, &[]).unwrap();
    assert!(client.held_until().is_none());
    assert!(client.get("/a").await.is_err());
    let held = client
        .held_until()
        .expect("the book asked to be left alone");
    let left = held.saturating_duration_since(tokio::time::Instant::now());
    assert!(
        left > Duration::from_secs(3) && left <= Duration::from_secs(5),
        "{left:?}"
    );
}

#[tokio::test]
async fn an_open_breaker_sends_nothing_until_the_next_cycles_probe() {
    let server = MockServer::start().await;
    Mock::given(path("/e"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(path("/e"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        breaker_failures: 2,
        ..fast_policy(0)
    };
    let client = BookClient::new("betpawa", &server.uri(), policy, &[]).unwrap();
    let sent = || async { server.received_requests().await.unwrap().len() };
    assert!(matches!(
        client.get("/e").await,
        Err(FeedError::Status { .. })
    ));
    assert!(matches!(
        client.get("/e").await,
        Err(FeedError::Status { .. })
    ));
    assert_eq!(client.breaker_state(), BreakerState::Open);
    for _ in 0..5 {
        assert!(matches!(
            client.get("/e").await,
            Err(FeedError::CircuitOpen { failures: 2, .. })
        ));
    }
    assert_eq!(sent().await, 2, "nothing sent while open");
    assert_eq!(
        client
            .stats()
            .snapshot()
            .failures
            .get(&FailureKind::CircuitOpen),
        None,
        "refusals are counted by the adapter's `counted`, not here"
    );
    // Next cycle: one probe; it fails (the third 503), so the breaker opens again.
    client.begin_cycle();
    assert_eq!(client.breaker_state(), BreakerState::HalfOpen);
    assert!(matches!(
        client.get("/e").await,
        Err(FeedError::Status { .. })
    ));
    assert_eq!(client.breaker_state(), BreakerState::Open);
    assert!(matches!(
        client.get("/e").await,
        Err(FeedError::CircuitOpen { .. })
    ));
    assert_eq!(sent().await, 3);
    // The cycle after: the probe succeeds and requests flow again.
    client.begin_cycle();
    client.get("/e").await.unwrap();
    assert_eq!(client.breaker_state(), BreakerState::Closed);
    client.get("/e").await.unwrap();
    assert_eq!(sent().await, 5);
}

#[tokio::test]
async fn eight_oversized_chunked_bodies_never_hold_more_than_the_books_inflight_cap() {
    let options = SimOptions {
        events: 20,
        tick: TickMode::Manual,
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::Oversize],
        oversize_bytes: 50_000_000,
        ..SimOptions::default()
    };
    let sim = sim::start(options).await.unwrap().1;
    let ids: Vec<String> = sim
        .events()
        .into_iter()
        .take(8)
        .map(|e| e.betpawa_id)
        .collect();
    let cap: u64 = 24 << 20;
    let policy = HttpPolicy {
        concurrency: 8,
        max_body_bytes: 16 << 20,
        max_inflight_bytes: cap,
        ..fast_policy(0)
    };
    let betpawa = BetPawa::new(&sim.base_url(), policy).unwrap();
    let results = futures::future::join_all(ids.iter().map(|id| betpawa.fetch_event(id))).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(FeedError::BodyTooLarge { .. }))),
        "{results:?}"
    );
    let stats = betpawa.stats().snapshot();
    // Each body alone may reach 16 MiB (8 × 16 MiB = 128 MiB without the cap).
    assert!(
        stats.inflight_peak_bytes <= cap,
        "{} bytes held at once",
        stats.inflight_peak_bytes
    );
    assert!(
        stats.inflight_peak_bytes > 16 << 20,
        "the cap, not one body, was the limit"
    );
}

#[tokio::test]
async fn reshaped_home_book_bodies_come_without_markets() {
    let sim = faulty_sim(vec![FaultKind::Reshaped], "betpawa").await;
    let event = sim.events()[0].betpawa_id.clone();
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/sportsbook/v3/events/{event}",
            sim.base_url()
        ))
        .header("x-pawa-brand", "betpawa-nigeria")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["id"], event.as_str());
    assert!(body.get("markets").is_none(), "{body}");
    assert!(
        body.get("widgets").is_some(),
        "the rest of the body is kept"
    );
}

#[tokio::test]
async fn retry_after_and_oversize_modes_answer_as_documented() {
    let sim = faulty_sim(vec![FaultKind::RetryAfter], "sportybet").await;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", sim.base_url());
    let throttled = client
        .get(url("/api/ng/factsCenter/popularAndSportList"))
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "5");
    // Other books are spared by --fault-book.
    let spared = client
        .get(url("/api/sportsbook/v3/categories/list/2"))
        .header("x-pawa-brand", "betpawa-nigeria")
        .send()
        .await
        .unwrap();
    assert_eq!(spared.status(), 200);

    let options = SimOptions {
        events: 5,
        tick: TickMode::Manual,
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::Oversize],
        oversize_bytes: 3_000_000,
        ..SimOptions::default()
    };
    let big = sim::start(options).await.unwrap().1;
    let response = client
        .get(format!(
            "{}/api/sportsbook/v3/categories/list/2",
            big.base_url()
        ))
        .header("x-pawa-brand", "betpawa-nigeria")
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), None, "chunked, no length");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.len() >= 3_000_000, "{}", bytes.len());
    assert!(bytes.starts_with(b"{\"padding\":\""));
}
