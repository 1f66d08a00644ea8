//! Settings overrides in the database (`settings` table) on SQLite and PostgreSQL, and their
//! application over the configuration with the config rules.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use oddswatch::config::{Config, apply_overrides};
use serde_json::json;

#[tokio::test]
async fn saved_settings_read_back_replace_earlier_values_and_apply_over_the_config() {
    for db in common::all_dbs().await {
        let store = &db.store;
        let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        assert!(store.settings().await.unwrap().is_empty(), "{}", db.name);

        store
            .save_settings(
                &[
                    ("detection.warning_pct".into(), json!(6.5)),
                    ("detection.primary_markets".into(), json!(["3743", "5000"])),
                ],
                "alice",
                t0,
            )
            .await
            .unwrap();
        store
            .save_settings(
                &[("detection.warning_pct".into(), json!(5))],
                "bob",
                t0 + Duration::minutes(1),
            )
            .await
            .unwrap();

        let rows = store.settings().await.unwrap();
        assert_eq!(rows.len(), 2, "{}", db.name);
        let warning = rows
            .iter()
            .find(|r| r.key == "detection.warning_pct")
            .unwrap();
        assert_eq!(warning.value, json!(5));
        assert_eq!(warning.updated_by, "bob");
        assert_eq!(warning.updated_at, t0 + Duration::minutes(1));

        let config = apply_overrides(
            &Config::defaults(),
            &store.setting_overrides().await.unwrap(),
        )
        .unwrap();
        assert_eq!(config.detection.warning_pct, 5.0);
        assert_eq!(config.detection.primary_markets, ["3743", "5000"]);

        assert_eq!(
            store
                .reset_settings(&["detection.warning_pct".into()])
                .await
                .unwrap(),
            1
        );
        let config = apply_overrides(
            &Config::defaults(),
            &store.setting_overrides().await.unwrap(),
        )
        .unwrap();
        assert_eq!(
            config.detection.warning_pct, 7.0,
            "{}: back to the config value",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn stored_overrides_that_break_a_rule_are_reported_not_applied() {
    for db in common::all_dbs().await {
        let store = &db.store;
        store
            .save_settings(
                &[("detection.critical_pct".into(), json!(3))],
                "mallory",
                Utc::now(),
            )
            .await
            .unwrap();
        let err = apply_overrides(
            &Config::defaults(),
            &store.setting_overrides().await.unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("warning < elevated < critical"),
            "{}: {err}",
            db.name
        );
        db.finish().await;
    }
}
