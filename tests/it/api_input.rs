//! The HTTP API under hostile input, through a real server on an ephemeral port: control
//! characters in text, requests hyper cannot parse, slow and too many clients, token parsing,
//! Unicode user names. Raw TCP where the client must be able to send what reqwest refuses to.

use crate::common;

use std::time::Duration;

use oddswatch::api::{ConnectionLimits, HEADER_READ_TIMEOUT};
use oddswatch::demo::{DemoOptions, load};
use oddswatch::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api_server::{self, Options, TestServer as Server};

async fn start_with(store: &Store, token: Option<&str>, limits: ConnectionLimits) -> Server {
    let options = Options {
        token: token.map(str::to_string),
        limits,
        service: None,
    };
    api_server::start(store, options).await
}

async fn start(store: &Store) -> Server {
    api_server::start_plain(store, None).await
}

async fn with_demo(store: &Store) {
    let options = DemoOptions {
        alerts: 200,
        events: 20,
        seed: 5,
    };
    load(store, &options, |_| {}).await.unwrap();
}

/// Sends raw bytes on a fresh connection and returns the status and the body of the answer
/// (the server closes the connection after these answers).
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before reading everything; a reset while writing is fine.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    // Every request here ends the connection (an error, or `Connection: close`); a server that
    // keeps it open fails the test instead of hanging it.
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server kept the connection open: {answer:?}"
    );
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn error_of(body: &str) -> String {
    let json: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"));
    json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {body}"))
        .to_string()
}

#[tokio::test]
async fn control_characters_in_text_inputs_are_a_400_naming_the_parameter() {
    for db in common::all_dbs().await {
        with_demo(&db.store).await;
        let s = start(&db.store).await;
        for (query, name) in [
            ("q=%00", "q"),
            ("q=Arse%00nal", "q"),
            ("q=%1B%5B31m", "q"),
            ("bookmaker=%00", "bookmaker"),
            ("bookmaker=bet%0Apawa", "bookmaker"),
        ] {
            let r = s
                .client
                .get(format!("{}/api/alerts?{query}", s.base))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_eq!(status, 400, "{} {query}: {:.300}", db.name, body);
            assert!(
                error_of(&body).starts_with(&format!("invalid {name} holding the control")),
                "{} {query}: {body}",
                db.name
            );
        }
        for body in [
            json!({"acknowledged": true, "comment": "laid\u{0}off"}),
            json!({"acknowledged": true, "comment": "\u{1b}[2J"}),
        ] {
            let r = s
                .client
                .patch(format!("{}/api/alerts/1", s.base))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert_eq!(status, 400, "{}: {text}", db.name);
            assert!(error_of(&text).contains("invalid comment"), "{text}");
        }
        let r = s
            .client
            .post(format!("{}/api/alerts/acknowledge", s.base))
            .json(&json!({"ids": [1, 2], "comment": "x\u{0}"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{}", db.name);
        let r = s
            .client
            .get(format!("{}/api/alerts?q=%C3%A9v%C3%A9nement", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "printable Unicode is fine");
        db.finish().await;
    }
}

#[tokio::test]
async fn requests_hyper_cannot_parse_get_json_errors() {
    let db = common::sqlite_db().await;
    let s = start(&db.store).await;
    let long_uri = format!(
        "GET /api/alerts?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let many_headers = format!(
        "GET /api/alerts HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..150)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    // Well past twice the 400 KiB limit: hyper's reads grow up to the limit, so a head only a
    // little longer than the limit can arrive whole in one read on a loaded machine and parse.
    let huge_header = format!(
        "GET /api/alerts HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(1_000_000)
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "garbage",
            b"\x16\x03\x01garbage\r\n\r\n".to_vec(),
            400,
            "malformed",
        ),
        (
            "negative Content-Length",
            b"POST /api/alerts/acknowledge HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
                .to_vec(),
            400,
            "Content-Length",
        ),
        (
            "bad header name",
            b"GET /api/alerts HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n".to_vec(),
            400,
            "header",
        ),
        (
            "bad request line",
            b"GET /api/alerts HTTP/9.9\r\n\r\n".to_vec(),
            400,
            "request line",
        ),
        ("URI too long", long_uri.into_bytes(), 414, "65534 bytes"),
        (
            "too many headers",
            many_headers.into_bytes(),
            431,
            "100 headers",
        ),
        ("header too large", huge_header.into_bytes(), 431, "400 KiB"),
    ];
    for (what, request, status, needle) in cases {
        let (code, body) = raw(s.addr, &request).await;
        assert_eq!(code, status, "{what}: {body:?}");
        let error = error_of(&body);
        assert!(error.contains(needle), "{what}: {error}");
    }
    let r = s
        .client
        .post(format!("{}/api/alerts/acknowledge", s.base))
        .json(&json!({"ids": vec![1; 40_000]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let error = error_of(&r.text().await.unwrap());
    assert!(error.contains("at most 64 KiB (65536 bytes)"), "{error}");
    db.finish().await;
}

#[tokio::test]
async fn a_client_that_sends_half_a_request_is_closed_after_the_header_timeout() {
    let db = common::sqlite_db().await;
    let s = start(&db.store).await;
    let started = tokio::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(s.addr).await.unwrap();
        stream
            .write_all(b"GET /api/alerts HTTP/1.1\r\nHost: x\r\nX-Half: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // The server's deadline runs on tokio's clock: paused, it jumps to the next timer as soon as
    // everything waits, so the test takes no real time.
    tokio::time::pause();
    for stream in &mut slow {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf)).await;
        let n = read
            .expect("the connection is still open a minute later")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer: {:?}", &buf[..n]);
    }
    assert!(started.elapsed() >= HEADER_READ_TIMEOUT);
    tokio::time::resume();
    let r = s
        .client
        .get(format!("{}/api/alerts/stats", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the server still serves");
    db.finish().await;
}

#[tokio::test]
async fn connections_over_the_limit_get_a_json_503() {
    let db = common::sqlite_db().await;
    let limits = ConnectionLimits {
        max_connections: 2,
        ..ConnectionLimits::default()
    };
    let s = start_with(&db.store, None, limits).await;
    let first = TcpStream::connect(s.addr).await.unwrap();
    let second = TcpStream::connect(s.addr).await.unwrap();
    let stats = b"GET /api/alerts/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (code, body) = raw(s.addr, stats).await;
    assert_eq!(code, 503, "{body}");
    assert!(error_of(&body).contains("the limit is 2"), "{body}");
    drop((first, second));
    // The server frees the two places once it notices the closes.
    let mut code = 0;
    for _ in 0..200 {
        code = raw(s.addr, stats).await.0;
        if code == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(code, 200);
    db.finish().await;
}

#[tokio::test]
async fn the_token_is_compared_exactly_and_the_scheme_in_any_case() {
    let db = common::sqlite_db().await;
    let s = start_with(&db.store, Some("s3cret"), ConnectionLimits::default()).await;
    for (header, status) in [
        ("Bearer s3cret", 200),
        ("bearer s3cret", 200),
        ("BEARER s3cret", 200),
        ("Bearer  s3cret", 401),
        ("Bearer s3cre", 401),
        ("Bearer s3cretx", 401),
        ("Basic s3cret", 401),
    ] {
        // Raw, so the header is sent exactly as written. (Trailing whitespace is not part of a
        // header value — RFC 9110 §5.5 — and the HTTP parser drops it before any check.)
        let request = format!(
            "GET /api/alerts/stats HTTP/1.1\r\nHost: x\r\nAuthorization: {header}\r\nConnection: close\r\n\r\n"
        );
        let (code, body) = raw(s.addr, request.as_bytes()).await;
        assert_eq!(code, status, "{header:?}: {body}");
        if status == 401 {
            assert!(error_of(&body).contains("bearer token"), "{body}");
        }
    }
    db.finish().await;
}

#[tokio::test]
async fn a_unicode_user_name_is_recorded_and_control_characters_are_refused() {
    let db = common::sqlite_db().await;
    with_demo(&db.store).await;
    let s = start(&db.store).await;
    let (_, list) = {
        let r = s
            .client
            .get(format!("{}/api/alerts?status=new&limit=1", s.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let id = list["alerts"][0]["id"].as_i64().unwrap();
    let zoe = reqwest::header::HeaderValue::from_bytes("Zoë".as_bytes()).unwrap();
    let r = s
        .client
        .patch(format!("{}/api/alerts/{id}", s.base))
        .header("X-Oddswatch-User", zoe)
        .json(&json!({"acknowledged": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["acknowledgedBy"], "Zoë");
    let tab = reqwest::header::HeaderValue::from_bytes(b"ada\tlovelace").unwrap();
    let r = s
        .client
        .patch(format!("{}/api/alerts/{id}", s.base))
        .header("X-Oddswatch-User", tab)
        .json(&json!({"acknowledged": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let error = error_of(&r.text().await.unwrap());
    assert!(error.contains("no control characters"), "{error}");
    db.finish().await;
}
