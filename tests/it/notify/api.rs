//! `/api/notify/…` on a real server, answers checked against the OpenAPI document: targets'
//! health (URLs without their path), resume, and rules listed, added (refused with what is
//! allowed), removed; stored rules then route alerts as configured ones do.

use std::sync::Arc;

use oddswatch::config::{Config, NotifyFormat};
use oddswatch::domain::{NotifyRule, Severity};
use oddswatch::service::AlertService;
use serde_json::json;

use super::{routed, rule, target, write};
use crate::api_server::{Options, start};
use crate::common::TestDb;
use crate::store_noise::detection;

pub(super) async fn the_api_shows_targets_resumes_and_edits_rules(db: &TestDb) {
    let store = &db.store;
    let mut config = Config::defaults();
    config.notify.targets = vec![target(
        "desk",
        NotifyFormat::Slack,
        "http://127.0.0.1:9/services/T0KEN".into(),
    )];
    config.notify.rules = vec![rule("desk", Severity::Critical)];
    let service = AlertService::new(store.clone(), "desk").with_config(Arc::new(config.clone()));
    let server = start(
        store,
        Options {
            service: Some(service),
            ..Options::default()
        },
    )
    .await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let delete = reqwest::Method::DELETE;

    let (status, targets) = server
        .call(get.clone(), "/api/notify/targets", None, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(targets[0]["name"], "desk");
    assert_eq!(targets[0]["state"], "ok");
    assert_eq!(targets[0]["url"], "http://127.0.0.1:9/…");
    assert!(!targets.to_string().contains("T0KEN") && !targets.to_string().contains("key-of-desk"));

    let (status, health) = server.call(get.clone(), "/api/health", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(health["notify"][0]["name"], "desk", "{health}");
    assert_eq!(health["notify"][0]["state"], "ok");

    let (status, body) = server
        .call(post.clone(), "/api/notify/targets/nope/resume", None, None)
        .await;
    assert_eq!(status, 404);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("configured targets: desk"),
        "{body}"
    );
    let (status, body) = server
        .call(post.clone(), "/api/notify/targets/desk/resume", None, None)
        .await;
    assert_eq!((status, &body["resumed"]), (200, &json!(false)));

    let (status, body) = server
        .call(
            post.clone(),
            "/api/notify/rules",
            Some(json!({"target": "pager", "min_severity": "critical"})),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("desk"), "{body}");
    let (status, body) = server
        .call(
            post.clone(),
            "/api/notify/rules",
            Some(json!({"target": "desk", "minSeverity": "urgent"})),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, added) = server.call(post.clone(),
        "/api/notify/rules",
        Some(json!({"target": "desk", "min_severity": "warning", "types": ["price_change"], "books": ["betpawa"]})), None).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["source"], "database");
    assert_eq!(added["createdBy"], "desk");
    let id = added["id"].as_i64().unwrap();

    let (status, rules) = server
        .call(get.clone(), "/api/notify/rules", None, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(rules.as_array().unwrap().len(), 2);
    assert_eq!(rules[0]["source"], "config");
    assert_eq!(rules[1]["id"], id);

    // The stored rule routes a warning the configured one (critical) would not.
    let stored: Vec<NotifyRule> = store
        .notify_rules()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.rule)
        .chain(config.notify.rules.clone())
        .collect();
    let written = write(
        store,
        &routed(
            0,
            &["7001"],
            vec![detection("7001", 0, 2.0, 2.15, Severity::Warning)],
            &stored,
        ),
    )
    .await;
    assert_eq!(written.deliveries_queued, 1);

    let (status, _) = server
        .call(
            delete.clone(),
            &format!("/api/notify/rules/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .call(delete, &format!("/api/notify/rules/{id}"), None, None)
        .await;
    assert_eq!(status, 404);
    let (_, rules) = server.call(get, "/api/notify/rules", None, None).await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
}
