//! The live stream's `silenced` parameter, and the OpenAPI document of noise control.

use chrono::Duration;
use serde_json::{Value, json};

use super::{EVENT_A, EVENT_B, cycle, detection, seed, start};
use crate::common;

#[tokio::test]
async fn the_document_declares_the_silence_operations_and_the_silenced_parameter() {
    let doc = serde_json::to_value(<oddswatch::api::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    for (path, methods) in [
        ("/api/silences", &["get", "post"][..]),
        ("/api/silences/{id}", &["get", "patch", "delete"][..]),
        ("/api/alerts/{id}/occurrences", &["get"][..]),
    ] {
        for method in methods {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path}");
            assert!(
                op["responses"]["503"].is_object(),
                "{method} {path} declares 503"
            );
        }
    }
    for path in [
        "/api/alerts",
        "/api/events/{id}/alerts",
        "/api/alerts/stats",
        "/api/alerts/stream",
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let silenced = params
            .iter()
            .find(|p| p["name"] == "silenced")
            .unwrap_or_else(|| panic!("{path}"));
        assert_eq!(
            silenced["schema"]["enum"],
            json!(["hide", "include", "only"]),
            "{path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for field in [
        "occurrences",
        "firstDetectedAt",
        "lastDetectedAt",
        "escalated",
        "silencedBy",
    ] {
        assert!(schemas["Alert"]["properties"][field].is_object(), "{field}");
    }
    for field in [
        "id",
        "matchers",
        "startsAt",
        "endsAt",
        "reason",
        "createdBy",
        "createdAt",
        "expiredAt",
        "expiredBy",
        "active",
    ] {
        assert!(
            schemas["Silence"]["properties"][field].is_object(),
            "{field}"
        );
    }
    assert!(schemas["Occurrence"].is_object() && schemas["PayloadFields"].is_object());
}

#[tokio::test]
async fn the_stream_leaves_silenced_alerts_out_unless_asked() {
    use futures::StreamExt;
    for db in common::all_dbs().await {
        seed(&db.store).await;
        let service = oddswatch::service::AlertService::new(db.store.clone(), "desk");
        service
            .create_silence(oddswatch::domain::NewSilence {
                matchers: oddswatch::domain::SilenceMatchers {
                    tournament: Some("serie a".into()),
                    ..Default::default()
                },
                end: oddswatch::domain::SilenceEnd::For(Duration::hours(1)),
                reason: String::new(),
            })
            .await
            .unwrap();
        // Started after the silence, so its (bulk) change is behind the poller and the batch
        // below arrives as alert events rather than folded into one reload.
        let s = start(&db.store, None).await;
        let open = |query: &'static str| {
            let url = format!("{}/api/alerts/stream{query}", s.base);
            let client = s.client.clone();
            async move { client.get(url).send().await.unwrap().bytes_stream() }
        };
        let mut hidden = open("").await;
        let mut only = open("?silenced=only").await;
        // Both are subscribed once their answers' heads arrived; then a new alert opens on each
        // event: event B's is silenced by the Serie A silence as it is stored, event A's is not.
        // A server's poller may start following after the write when the machine is loaded, so
        // a write no event reports is made again with a fresh line (at most five times).
        async fn next_alert_of<B: AsRef<[u8]>>(
            stream: &mut (impl futures::Stream<Item = reqwest::Result<B>> + Unpin),
            ids: &[i64],
            text: &mut String,
        ) -> Option<i64> {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
            loop {
                let found = text
                    .split("\n\n")
                    .filter(|e| e.contains("event: update") || e.contains("event: alert"))
                    .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
                    .filter_map(|data| serde_json::from_str::<Value>(data).ok())
                    .filter_map(|alert| alert["id"].as_i64())
                    .find(|id| ids.contains(id));
                if found.is_some() {
                    return found;
                }
                let chunk = tokio::time::timeout_at(deadline, stream.next())
                    .await
                    .ok()??
                    .ok()?;
                text.push_str(&String::from_utf8_lossy(chunk.as_ref()));
            }
        }
        let (mut hidden_text, mut only_text) = (String::new(), String::new());
        let mut attempt = 0u32;
        let silenced = loop {
            attempt += 1;
            let now = oddswatch::service::now_millis();
            let kickoff = now + Duration::days(1);
            let under = |sr: &str| {
                detection(sr, now, kickoff)
                    .market("5000", "Over/Under | Full Time")
                    .line(3.5 + f64::from(attempt))
                    .outcome(Some("Under"))
                    .prices(1.8, 1.6)
                    .build()
            };
            let written = db
                .store
                .write_cycle_batch(&cycle(now, kickoff, vec![under(EVENT_B), under(EVENT_A)]))
                .await
                .unwrap();
            let [silenced, shown] = written.alert_ids[..] else {
                panic!("two alerts opened: {written:?}")
            };
            let ids = [silenced, shown];
            let seen_hidden = next_alert_of(&mut hidden, &ids, &mut hidden_text).await;
            let seen_only = next_alert_of(&mut only, &ids, &mut only_text).await;
            if seen_hidden.is_some() && seen_only.is_some() {
                assert_eq!(seen_hidden, Some(shown), "{}", db.name);
                assert_eq!(seen_only, Some(silenced), "{}", db.name);
                break silenced;
            }
            assert!(attempt < 5, "{}: no stream reported five writes", db.name);
        };
        let stored = db.store.get_alert(silenced).await.unwrap().unwrap();
        assert!(stored.silenced_by.is_some(), "stored silenced");
        drop(s);
        db.finish().await;
    }
}
