//! The HTTP API through a real server on an ephemeral port, with reqwest as the client, on both
//! backends.

use crate::common;
use crate::contract;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{Duration as Days, Utc};
use futures::StreamExt;
use oddswatch::api::bind;
use oddswatch::demo::{DemoOptions, load};
use oddswatch::domain::Severity;
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord};
use serde_json::{Value, json};

use crate::api_server::{TestServer as Server, start_plain as start};

impl Server {
    /// The answer's status and JSON body (`Null` when it has none), after checking it against
    /// the OpenAPI document: a test fails on any answer the document does not declare.
    async fn answer(&self, method: &str, path: &str, r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = r.bytes().await.unwrap();
        if let Err(e) = self
            .contract
            .check(method, path, status, content_type.as_deref(), &body)
        {
            panic!("contract: {e}");
        }
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        if path == "/api/openapi.json" {
            return (r.status().as_u16(), r.json().await.unwrap());
        }
        self.answer("GET", path, r).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
        user: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .json(&body);
        if let Some(user) = user {
            req = req.header("X-Oddswatch-User", user);
        }
        let r = req.send().await.unwrap();
        self.answer(method.as_str(), path, r).await
    }
}

async fn with_demo(db: &common::TestDb, alerts: u64) {
    load(
        &db.store,
        &DemoOptions {
            alerts,
            events: 40,
            seed: 3,
        },
        |_| {},
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn list_filters_pages_and_counts() {
    for db in common::all_dbs().await {
        with_demo(&db, 3000).await;
        let s = start(&db.store, None).await;
        let (code, all) = s.get("/api/alerts").await;
        assert_eq!(code, 200);
        assert_eq!(all["total"], 3000);
        assert_eq!(all["alerts"].as_array().unwrap().len(), 50, "default limit");
        let (_, page) = s
            .get("/api/alerts?status=new&severity=critical,elevated&limit=200")
            .await;
        assert_eq!(page["total"], page["newCount"]);
        for a in page["alerts"].as_array().unwrap() {
            assert_eq!(a["status"], "new");
            assert!(a["severity"] == "critical" || a["severity"] == "elevated");
            assert!(a["detectedAt"].as_str().unwrap().ends_with('Z'));
        }
        let (_, by_type) = s
            .get("/api/alerts?alertType=availability&bookmaker=bet9ja&limit=200")
            .await;
        for a in by_type["alerts"].as_array().unwrap() {
            assert_eq!(
                (a["alertType"].as_str(), a["bookmakerSlug"].as_str()),
                (Some("availability"), Some("bet9ja"))
            );
        }
        let (_, beyond) = s.get("/api/alerts?offset=3000").await;
        assert_eq!(beyond["alerts"].as_array().unwrap().len(), 0);
        assert_eq!(beyond["total"], 3000);
        let event_id = all["alerts"][0]["eventId"].as_i64().unwrap();
        let (code, event) = s
            .get(&format!("/api/events/{event_id}/alerts?limit=200"))
            .await;
        assert_eq!(code, 200);
        assert!(
            event["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["eventId"] == event_id)
        );
        assert!(event.get("newCount").is_some(), "camelCase like the list");
        let (_, by_event) = s
            .get(&format!("/api/alerts?eventId={event_id}&limit=1"))
            .await;
        assert_eq!(by_event["total"], event["total"]);
        db.finish().await;
    }
}

#[tokio::test]
async fn every_error_is_json_with_the_right_status() {
    for db in common::all_dbs().await {
        with_demo(&db, 200).await;
        let s = start(&db.store, None).await;
        for (path, needle) in [
            ("/api/alerts?severity=huge", "warning, elevated, critical"),
            ("/api/alerts?status=open", "new, acknowledged, past"),
            ("/api/alerts?alertType=x", "price_change"),
            (
                "/api/alerts?sort=random",
                "detected, severity, kickoff, change",
            ),
            ("/api/alerts?limit=0", "1 to 200"),
            ("/api/alerts?limit=201", "1 to 200"),
            ("/api/alerts?limit=ten", "1 to 200"),
            ("/api/alerts?offset=-1", ">= 0"),
            ("/api/alerts?eventId=x", "eventId"),
            ("/api/alerts?color=red", "valid parameters"),
            ("/api/alerts/abc", "invalid path parameter"),
        ] {
            let (code, body) = s.get(path).await;
            assert_eq!(code, 400, "{path}: {body}");
            assert!(
                body["error"].as_str().unwrap().contains(needle),
                "{path}: {body}"
            );
        }
        let (code, body) = s.get("/api/alerts/424242").await;
        assert_eq!(
            (code, body),
            (404, json!({"error": "alert 424242 not found"}))
        );
        let (code, body) = s.get("/api/nothing").await;
        assert_eq!(code, 404);
        assert!(body["error"].is_string());
        let (code, body) = s
            .send(reqwest::Method::DELETE, "/api/alerts/1", json!({}), None)
            .await;
        assert_eq!(code, 405);
        assert!(body["error"].as_str().unwrap().contains("DELETE"));
        let (code, body) = s
            .send(
                reqwest::Method::PATCH,
                "/api/alerts/1",
                json!({"acknowledged": "yes"}),
                None,
            )
            .await;
        assert_eq!(code, 422, "{body}");
        let (code, _) = s
            .send(
                reqwest::Method::PATCH,
                "/api/alerts/1",
                json!({"ack": true}),
                None,
            )
            .await;
        assert_eq!(code, 422);
        let r = s
            .client
            .patch(format!("{}/api/alerts/1", s.base))
            .body("{\"acknowledged\": true}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415, "JSON needs its content type");
        let big = json!({"ids": vec![1; 40_000]});
        let (code, _) = s
            .send(reqwest::Method::POST, "/api/alerts/acknowledge", big, None)
            .await;
        assert_eq!(code, 413);
        let (code, body) = s
            .send(
                reqwest::Method::PATCH,
                "/api/alerts/424242",
                json!({"acknowledged": true}),
                None,
            )
            .await;
        assert_eq!(
            (code, body["error"].as_str()),
            (404, Some("alert 424242 not found"))
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn patch_acknowledges_records_the_user_and_refuses_past_alerts() {
    for db in common::all_dbs().await {
        with_demo(&db, 500).await;
        let s = start(&db.store, None).await;
        let (_, new) = s.get("/api/alerts?status=new&limit=1").await;
        let id = new["alerts"][0]["id"].as_i64().unwrap();
        let (code, alert) = s
            .send(
                reqwest::Method::PATCH,
                &format!("/api/alerts/{id}"),
                json!({"acknowledged": true, "comment": "hedged"}),
                Some("ada"),
            )
            .await;
        assert_eq!(code, 200, "{alert}");
        assert_eq!(
            (alert["status"].as_str(), alert["acknowledgedBy"].as_str()),
            (Some("acknowledged"), Some("ada"))
        );
        let (code, alert) = s
            .send(
                reqwest::Method::PATCH,
                &format!("/api/alerts/{id}"),
                json!({"acknowledged": false}),
                None,
            )
            .await;
        assert_eq!((code, alert["status"].as_str()), (200, Some("new")));
        let (_, past) = s.get("/api/alerts?status=past&limit=1").await;
        let past_id = past["alerts"][0]["id"].as_i64().unwrap();
        let (code, body) = s
            .send(
                reqwest::Method::PATCH,
                &format!("/api/alerts/{past_id}"),
                json!({"acknowledged": true}),
                None,
            )
            .await;
        assert_eq!(code, 400);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("event has started"),
            "{body}"
        );
        let (code, _) = s
            .send(
                reqwest::Method::PATCH,
                &format!("/api/alerts/{id}"),
                json!({"acknowledged": true}),
                Some(""),
            )
            .await;
        assert_eq!(code, 400, "an empty user header is refused");
        db.finish().await;
    }
}

#[tokio::test]
async fn bulk_acknowledge_reports_each_id() {
    for db in common::all_dbs().await {
        with_demo(&db, 500).await;
        let s = start(&db.store, None).await;
        let (_, new) = s.get("/api/alerts?status=new&limit=2").await;
        let (_, past) = s.get("/api/alerts?status=past&limit=1").await;
        let a = new["alerts"][0]["id"].as_i64().unwrap();
        let b = new["alerts"][1]["id"].as_i64().unwrap();
        let p = past["alerts"][0]["id"].as_i64().unwrap();
        s.send(
            reqwest::Method::PATCH,
            &format!("/api/alerts/{b}"),
            json!({"acknowledged": true}),
            Some("bola"),
        )
        .await;
        let (code, body) = s
            .send(
                reqwest::Method::POST,
                "/api/alerts/acknowledge",
                json!({"ids": [a, b, p, 999999]}),
                Some("ada"),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(
            body,
            json!({"results": [
                {"id": a, "result": "changed", "by": null},
                {"id": b, "result": "unchanged", "by": "bola"},
                {"id": p, "result": "eventStarted", "by": null},
                {"id": 999999, "result": "notFound", "by": null},
            ], "changed": 1})
        );
        let (code, _) = s
            .send(
                reqwest::Method::POST,
                "/api/alerts/acknowledge",
                json!({"ids": []}),
                None,
            )
            .await;
        assert_eq!(code, 400);
        db.finish().await;
    }
}

#[tokio::test]
async fn stats_are_zero_filled_and_health_reports_the_backend() {
    for db in common::all_dbs().await {
        let s = start(&db.store, None).await;
        let (code, stats) = s.get("/api/alerts/stats").await;
        assert_eq!(code, 200);
        assert_eq!(
            stats,
            json!({"total": 0,
                "byStatus": {"acknowledged": 0, "new": 0, "past": 0},
                "bySeverity": {"critical": 0, "elevated": 0, "warning": 0},
                "byType": {"availability": 0, "direction_disagreement": 0, "margin": 0,
                    "market_move": 0, "off_market": 0, "price_change": 0},
                "silenced": 0})
        );
        let (code, health) = s.get("/api/health").await;
        assert_eq!(code, 200);
        assert_eq!(health["status"], "ok");
        assert_eq!(health["backend"], db.name);
        assert_eq!(health["pipeline"]["state"], "attached");
        db.finish().await;
    }
}

fn pipeline_batch(kickoff: chrono::DateTime<Utc>) -> CycleBatch {
    CycleBatch {
        fence: None,
        notify: Vec::new(),
        at: Utc::now(),
        events: vec![BatchEvent {
            record: EventRecord {
                sr_id: "61300947".into(),
                home_team: "Debreceni VSC".into(),
                away_team: "Ferencvaros".into(),
                tournament: Some("NB I".into()),
                country: Some("Hungary".into()),
                kickoff: Some(kickoff),
            },
            books: vec![("betpawa".into(), "1".into())],
        }],
        odds: vec![],
        alerts: vec![
            AlertBuilder::new()
                .event_key("61300947")
                .severity(Severity::Critical)
                .prices(4.0, 4.6)
                .detected_at(Utc::now())
                .kickoff(kickoff)
                .build(),
        ],
        // These repeated detections were written as one alert each (before noise control
        // folded them, issue 15): dedup off keeps the fixture meaning what it did.
        noise: oddswatch::domain::NoisePolicy {
            dedup: false,
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn the_stream_delivers_an_alert_stored_by_the_pipeline_writer() {
    for db in common::all_dbs().await {
        let s = start(&db.store, None).await;
        let response = s
            .client
            .get(format!("{}/api/alerts/stream", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut body = response.bytes_stream();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let dir = tempfile::tempdir().unwrap();
        let (queue, writer) = oddswatch::pipeline::writer::spawn_writer(
            db.store.clone(),
            dir.path().into(),
            Default::default(),
            4,
        );
        queue
            .send(pipeline_batch(Utc::now() + Days::hours(2)))
            .await
            .unwrap();
        drop(queue);
        writer.await.unwrap();
        let mut text = String::new();
        let found = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = body.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
                if text.contains("event: alert")
                    && text.contains("\n\n")
                    && text.contains("Debreceni VSC")
                {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        assert!(found, "{}: no alert event in {text:?}", db.name);
        let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        let alert: Value = serde_json::from_str(data).unwrap();
        assert_eq!(
            (alert["severity"].as_str(), alert["eventName"].as_str()),
            (Some("critical"), Some("Debreceni VSC v Ferencvaros"))
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_token_is_enforced_and_required_off_loopback() {
    let db = common::sqlite_db().await;
    let s = start(&db.store, Some("s3cret")).await;
    let url = format!("{}/api/alerts/stats", s.base);
    let r = s.client.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(
        s.client
            .get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        s.client
            .get(&url)
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let open: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let err = bind(open, false).await.unwrap_err();
    assert!(err.to_string().contains("without api.token"), "{err}");
    assert!(bind(open, true).await.is_ok());
    db.finish().await;
}

#[tokio::test]
async fn the_openapi_document_is_generated_and_lists_every_endpoint() {
    let db = common::sqlite_db().await;
    let s = start(&db.store, None).await;
    let (code, doc) = s.get("/api/openapi.json").await;
    assert_eq!(code, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/alerts",
        "/api/alerts/stats",
        "/api/alerts/{id}",
        "/api/alerts/acknowledge",
        "/api/events/{id}/alerts",
        "/api/alerts/stream",
        "/api/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(
        doc["components"]["schemas"]["Alert"]["properties"]
            .get("eventKickoff")
            .is_some()
    );
    db.finish().await;
}

#[test]
fn the_contract_check_refuses_what_the_document_does_not_declare() {
    contract::self_test();
}

/// The cases an independent contract tester (schemathesis) found where the document and the
/// server disagreed, and every status each operation can answer, each checked against the
/// document by `Server::answer`.
#[tokio::test]
async fn every_operation_answers_only_what_the_openapi_document_declares() {
    for db in common::all_dbs().await {
        with_demo(&db, 300).await;
        let s = start(&db.store, None).await;
        for path in [
            "/api/alerts?sort=",
            "/api/alerts?sort=severity&status=new&status=past&severity=critical",
            "/api/alerts?alertType=availability&limit=200&offset=9223372036854775807",
            "/api/alerts?limit=0",
            "/api/alerts?q=arsenal&bookmaker=betpawa&eventId=1",
            "/api/events/1/alerts?limit=0",
            "/api/events/1/alerts?limit=1&sort=change",
            "/api/events/-9223372036854775808/alerts",
            "/api/alerts/9223372036854775808",
            "/api/alerts/1",
            "/api/alerts/stats",
            "/api/health",
        ] {
            let (code, body) = s.get(path).await;
            assert!(
                code == 200 || code == 400 || code == 404,
                "{path}: {code} {body}"
            );
        }
        let r = s
            .client
            .patch(format!("{}/api/alerts/1", s.base))
            .body("{\"acknowledged\": true}")
            .send()
            .await
            .unwrap();
        assert_eq!(s.answer("PATCH", "/api/alerts/1", r).await.0, 415);
        let (code, _) = s
            .send(
                reqwest::Method::POST,
                "/api/alerts/acknowledge",
                json!({"ids": []}),
                None,
            )
            .await;
        assert_eq!(code, 400);
        for (ids, expected) in [
            (json!([1.0, 2]), 200),
            (json!([1.5]), 422),
            (json!([1e30]), 422),
        ] {
            let (code, body) = s
                .send(
                    reqwest::Method::POST,
                    "/api/alerts/acknowledge",
                    json!({"ids": ids}),
                    None,
                )
                .await;
            assert_eq!(code, expected, "ids {ids}: {body}");
        }
        let (_, past) = s.get("/api/alerts?status=past&limit=1").await;
        let past_id = past["alerts"][0]["id"]
            .as_i64()
            .expect("the demo has past alerts");
        let (code, _) = s
            .send(
                reqwest::Method::PATCH,
                &format!("/api/alerts/{past_id}"),
                json!({"acknowledged": true}),
                None,
            )
            .await;
        assert_eq!(code, 400, "a past alert is frozen");
        let r = s
            .client
            .get(format!("{}/api/alerts/stream", s.base))
            .send()
            .await
            .unwrap();
        let content_type = r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        s.contract
            .check(
                "GET",
                "/api/alerts/stream",
                r.status().as_u16(),
                Some(&content_type),
                b"",
            )
            .unwrap();
        let guarded = start(&db.store, Some("sesame")).await;
        assert_eq!(guarded.get("/api/alerts/stats").await.0, 401);
        assert_eq!(guarded.get("/api/alerts/stream").await.0, 401);
        // The database goes away. Closing the pool waits for every connection, the change
        // pollers' PostgreSQL listeners included, so they stop first.
        drop(guarded);
        s.poller.abort();
        db.store.close().await;
        for path in [
            "/api/alerts",
            "/api/alerts/stats",
            "/api/alerts/1",
            "/api/health",
        ] {
            assert_eq!(s.get(path).await.0, 503, "{path} with the database gone");
        }
        let (code, _) = s
            .send(
                reqwest::Method::PATCH,
                "/api/alerts/1",
                json!({"acknowledged": true}),
                None,
            )
            .await;
        assert_eq!(code, 503);
        db.finish().await;
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    fn query_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("new".to_string()),
            Just("critical,warning".to_string()),
            Just("price_change".to_string()),
            "-?[0-9]{1,25}",
            "[a-zA-Z%_,.;'\\-]{0,12}",
            Just("%00".to_string()),
            Just("%ZZ".to_string()),
        ]
    }

    fn request() -> impl Strategy<Value = (String, String, String, String)> {
        let key = prop_oneof![
            Just("status"),
            Just("severity"),
            Just("alertType"),
            Just("eventId"),
            Just("bookmaker"),
            Just("q"),
            Just("sort"),
            Just("limit"),
            Just("offset"),
            Just("junk")
        ];
        let path = prop_oneof![
            Just("/api/alerts".to_string()),
            Just("/api/alerts/stats".to_string()),
            "/api/alerts/-?[0-9a-z]{1,22}",
            "/api/events/-?[0-9a-z]{1,22}/alerts",
            Just("/api/alerts/acknowledge".to_string()),
            Just("/api/health".to_string()),
        ];
        let method = prop_oneof![Just("GET"), Just("PATCH"), Just("POST"), Just("PUT")];
        let body = prop_oneof![
            Just("{\"acknowledged\": true}".to_string()),
            Just("{\"ids\": [1, 2, -3]}".to_string()),
            Just("{\"ids\": [9223372036854775807]}".to_string()),
            "[ -~]{0,40}",
        ];
        (
            path,
            proptest::collection::vec((key, query_value()), 0..4),
            method,
            body,
        )
            .prop_map(|(path, params, method, body)| {
                let query: Vec<String> = params
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                (path, query.join("&"), method.to_string(), body)
            })
    }

    #[tokio::test]
    async fn random_valid_and_invalid_requests_never_produce_a_server_error() {
        let db = common::sqlite_db().await;
        with_demo(&db, 300).await;
        let s = start(&db.store, None).await;
        let mut runner = TestRunner::new(Config {
            cases: 300,
            ..Config::default()
        });
        let mut cases = Vec::new();
        for _ in 0..300 {
            cases.push(request().new_tree(&mut runner).unwrap().current());
        }
        for (path, query, method, body) in cases {
            let url = format!("{}{path}?{query}", s.base);
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let r = s
                .client
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let content_type = r
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = r.text().await.unwrap();
            assert!(status < 500, "{method} {url} {body:?} -> {status}: {text}");
            if let Err(e) = s.contract.check(
                method.as_str(),
                &format!("{path}?{query}"),
                status,
                content_type.as_deref(),
                text.as_bytes(),
            ) {
                panic!("contract, for body {body:?}: {e}");
            }
            assert!(
                serde_json::from_str::<Value>(&text).is_ok(),
                "{method} {url} -> non-JSON {text:?}"
            );
        }
        db.finish().await;
    }
}

/// The market-wide alert types of issue 14.
mod market_types;
