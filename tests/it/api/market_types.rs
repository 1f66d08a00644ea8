//! The market-wide alert types of issue 14 (`market_move`, `off_market`, `margin`) through the
//! API: served, filtered, documented.

use chrono::{Duration as Days, Utc};
use oddswatch::domain::Severity;
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord};
use serde_json::Value;

use super::start;
use crate::common;

/// The market-wide types (issue 14): served, filtered by type and pattern, every field they add
/// declared in the document (and only their own fields present), a bad value's error naming
/// every type.
#[tokio::test]
async fn the_market_types_are_served_filtered_and_documented() {
    use oddswatch::domain::Pattern;
    for db in common::all_dbs().await {
        let base = || {
            AlertBuilder::new()
                .event_key("7001")
                .kickoff(Utc::now() + Days::days(1))
        };
        let batch = CycleBatch {
            fence: None,
            notify: Vec::new(),
            at: Utc::now(),
            events: vec![BatchEvent {
                record: EventRecord {
                    sr_id: "7001".into(),
                    home_team: "Liverpool".into(),
                    away_team: "Everton".into(),
                    tournament: None,
                    country: None,
                    kickoff: Some(Utc::now() + Days::days(1)),
                },
                books: vec![],
            }],
            odds: vec![],
            alerts: vec![
                base()
                    .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
                    .build(),
                base()
                    .severity(Severity::Critical)
                    .off_market(880.0, 1.53, Some(Pattern::Factor))
                    .books(&[("sportybet", 1.5, 1.53)])
                    .build(),
                base()
                    .off_market(6.2, 2.0, None)
                    .books(&[("sportybet", 1.97, 2.01)])
                    .build(),
                base()
                    .margin(-2.44, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
                    .build(),
            ],
            // These repeated detections were written as one alert each (before noise control
            // folded them, issue 15): dedup off keeps the fixture meaning what it did.
            noise: oddswatch::domain::NoisePolicy {
                dedup: false,
                ..Default::default()
            },
        };
        db.store.write_cycle_batch(&batch).await.unwrap();
        let s = start(&db.store, None).await;
        let (_, doc) = s.get("/api/openapi.json").await;
        let schema = &doc["components"]["schemas"]["Alert"];
        let declared = schema["properties"].as_object().unwrap();
        let (code, all) = s.get("/api/alerts").await;
        assert_eq!(code, 200);
        let alerts = all["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 4, "{}", db.name);
        let own: [(&str, &[&str]); 3] = [
            (
                "market_move",
                &["direction", "medianChangePercent", "movers"],
            ),
            ("off_market", &["edgePercent", "fairOdds", "books"]),
            ("margin", &["marginPercent", "prices"]),
        ];
        let new_fields = [
            "edgePercent",
            "fairOdds",
            "pattern",
            "books",
            "marginPercent",
            "prices",
            "direction",
            "medianChangePercent",
            "movers",
        ];
        for field in new_fields {
            assert!(declared.contains_key(field), "{field} is not documented");
            assert!(
                !schema["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == field),
                "{field} is omitted when absent, so it is not required"
            );
        }
        for a in alerts {
            let fields = a.as_object().unwrap();
            for key in fields.keys() {
                assert!(
                    declared.contains_key(key),
                    "{key} is served but not documented"
                );
            }
            let (_, expected) = own.iter().find(|(t, _)| a["alertType"] == *t).unwrap();
            for field in new_fields {
                let present = fields.contains_key(field);
                let pattern = field == "pattern" && a["pattern"].is_string();
                assert_eq!(
                    present,
                    expected.contains(&field) || pattern,
                    "{}: {field} in {a}",
                    a["alertType"]
                );
            }
        }
        let (_, factor) = s
            .get("/api/alerts?alertType=off_market&pattern=factor")
            .await;
        assert_eq!(factor["total"], 1);
        assert_eq!(factor["alerts"][0]["pattern"], "factor");
        assert_eq!(factor["alerts"][0]["edgePercent"], 880.0);
        assert_eq!(factor["alerts"][0]["books"][0]["fairOdds"], 1.53);
        let (_, margins) = s.get("/api/alerts?alertType=margin").await;
        assert_eq!(margins["alerts"][0]["marginPercent"], -2.44);
        assert_eq!(margins["alerts"][0]["prices"][1]["outcome"], "X");
        let (code, err) = s.get("/api/alerts?alertType=arbitrage").await;
        assert_eq!(code, 400);
        let message = err["error"].as_str().unwrap();
        assert!(
            message.contains(
                "price_change, direction_disagreement, availability, market_move, off_market, margin"
            ),
            "{message}"
        );
        let (code, err) = s.get("/api/alerts?pattern=typo").await;
        assert_eq!(code, 400);
        assert!(err["error"].as_str().unwrap().contains("swapped, factor"));
        let types: Vec<&str> = doc["components"]["schemas"]["AlertType"]["enum"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            types,
            [
                "price_change",
                "direction_disagreement",
                "availability",
                "market_move",
                "off_market",
                "margin"
            ],
            "{}",
            schema["properties"]["alertType"]
        );
        drop(s);
        db.finish().await;
    }
}
