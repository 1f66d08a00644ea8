//! The service's reads beyond one page of alerts: what the UI's list, groups, stats panel,
//! detail pane and settings screen show, and the headless printer's follow. Each checks its
//! input as [`AlertService::list`] does, so no face needs the store.

use chrono::Duration;
use serde_json::Value;

use super::{AlertService, ServiceError, check_filter, check_limit, check_page, next_cursor};
use crate::config::OVERRIDABLE_KEYS;
use crate::domain::{
    Alert, AlertFilter, AlertSort, BookOdds, EventGroup, Page, PageCursor, PricePoint, SettingRow,
    StatusCounts,
};

/// One window of the alert list without its counts: the rows read in the list's order through
/// one index range, so a window never waits for a count over every matching alert.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertWindow {
    /// The rows, in sort order.
    pub alerts: Vec<Alert>,
    /// Where the next window starts, if this one was full.
    pub next_cursor: Option<PageCursor>,
}

/// Most event groups or top events one request may ask for (a screen shows far fewer).
pub const MAX_GROUPS: u32 = 1_000;

/// Most price-history rows one request may ask for (a chart is a few hundred columns wide).
pub const MAX_HISTORY_ROWS: u32 = 10_000;

/// Most alerts one follow read may return.
pub const MAX_FOLLOW_BATCH: u32 = 1_000;

impl AlertService {
    /// One window of alerts (rows only; see [`AlertService::status_counts`] for the counts).
    pub async fn window(
        &self,
        filter: &AlertFilter,
        sort: AlertSort,
        page: &Page,
    ) -> Result<AlertWindow, ServiceError> {
        check_page(page)?;
        check_filter(filter)?;
        let alerts = self.store.list_alerts(filter, sort, page).await?;
        Ok(AlertWindow {
            next_cursor: next_cursor(page, &alerts),
            alerts,
        })
    }

    /// Alerts per status matching the filter's other criteria (its statuses are ignored).
    pub async fn status_counts(&self, filter: &AlertFilter) -> Result<StatusCounts, ServiceError> {
        check_filter(filter)?;
        Ok(self.store.status_counts(filter).await?)
    }

    /// Alerts matching `filter` grouped by event: most severe first, then most alerts, then
    /// soonest kickoff; at most `limit` groups.
    pub async fn event_groups(
        &self,
        filter: &AlertFilter,
        limit: u32,
    ) -> Result<Vec<EventGroup>, ServiceError> {
        check_filter(filter)?;
        check_limit("limit", limit, MAX_GROUPS)?;
        Ok(self.store.event_groups(filter, limit).await?)
    }

    /// The `limit` events with the most `new` alerts, most first.
    pub async fn top_open_events(&self, limit: u32) -> Result<Vec<EventGroup>, ServiceError> {
        check_limit("limit", limit, MAX_GROUPS)?;
        Ok(self.store.top_open_events(limit).await?)
    }

    /// Alerts detected in each of the last 60 minutes by the service's clock (oldest first; the
    /// last is the current minute).
    pub async fn alerts_per_minute(&self) -> Result<Vec<u64>, ServiceError> {
        Ok(self.store.alerts_per_minute(self.now()).await?)
    }

    /// The current prices of the alert's market (and line) on every book, home book first.
    pub async fn market_odds(&self, alert: &Alert) -> Result<Vec<BookOdds>, ServiceError> {
        Ok(self
            .store
            .market_odds(alert.event_id, &alert.market_id, alert.line)
            .await?)
    }

    /// The recorded prices of the alert's market over the last `window` by the service's clock,
    /// oldest first, at most `limit` rows (the newest ones when there are more).
    pub async fn price_history(
        &self,
        alert: &Alert,
        window: Duration,
        limit: u32,
    ) -> Result<Vec<PricePoint>, ServiceError> {
        check_limit("limit", limit, MAX_HISTORY_ROWS)?;
        let since = self.now() - window;
        Ok(self
            .store
            .price_history(alert.event_id, &alert.market_id, alert.line, since, limit)
            .await?)
    }

    /// Every stored settings override, by key.
    pub async fn settings(&self) -> Result<Vec<SettingRow>, ServiceError> {
        Ok(self.store.settings().await?)
    }

    /// Stores settings overrides as the service's user, in one transaction. Only the keys the
    /// app may override are accepted; their values are checked against the effective
    /// configuration by the caller (the settings screen), which alone knows it.
    pub async fn save_settings(&self, values: &[(String, Value)]) -> Result<(), ServiceError> {
        if let Some((key, _)) = values
            .iter()
            .find(|(key, _)| !OVERRIDABLE_KEYS.contains(&key.as_str()))
        {
            return Err(ServiceError::InvalidArgument {
                name: "setting",
                value: key.clone(),
                allowed: format!("one of {}", OVERRIDABLE_KEYS.join(", ")),
            });
        }
        Ok(self
            .store
            .save_settings(values, &self.user, self.now())
            .await?)
    }

    /// The id of the newest stored alert (0 when there is none): where a follower starts.
    pub async fn newest_alert_id(&self) -> Result<i64, ServiceError> {
        Ok(self.store.newest_alert_id().await?)
    }

    /// Up to `limit` alerts stored after the alert `after`, oldest first.
    pub async fn alerts_after(&self, after: i64, limit: u32) -> Result<Vec<Alert>, ServiceError> {
        check_limit("limit", limit, MAX_FOLLOW_BATCH)?;
        Ok(self.store.alerts_after(after, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::store::Store;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    /// A service on a fresh SQLite file, on a fixed clock, acting as `ada`.
    async fn service() -> (tempfile::TempDir, AlertService) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("reads.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        let service = AlertService::new(store, "ada").with_clock(Arc::new(at));
        (dir, service)
    }

    fn invalid_name(result: Result<impl std::fmt::Debug, ServiceError>) -> &'static str {
        match result {
            Err(ServiceError::InvalidArgument { name, .. }) => name,
            other => panic!("expected an invalid argument, got {other:?}"),
        }
    }

    fn with_text(text: &str) -> AlertFilter {
        AlertFilter {
            text: Some(text.to_string()),
            ..AlertFilter::default()
        }
    }

    #[tokio::test]
    async fn a_window_checks_its_page_and_filter_like_a_list() {
        let (_dir, service) = service().await;
        let empty = service
            .window(
                &AlertFilter::default(),
                AlertSort::Detected,
                &Page::first(50),
            )
            .await
            .unwrap();
        assert_eq!(empty, AlertWindow::default());
        let zero = service
            .window(
                &AlertFilter::default(),
                AlertSort::Detected,
                &Page::first(0),
            )
            .await;
        assert_eq!(invalid_name(zero), "limit");
        let nul = service
            .window(&with_text("a\0b"), AlertSort::Detected, &Page::first(50))
            .await;
        assert_eq!(invalid_name(nul), "text filter");
    }

    #[tokio::test]
    async fn counts_and_groups_refuse_a_filter_the_list_would_refuse() {
        let (_dir, service) = service().await;
        let esc = with_text("\u{1b}[31m");
        assert_eq!(
            invalid_name(service.status_counts(&esc).await),
            "text filter"
        );
        assert_eq!(
            invalid_name(service.event_groups(&esc, 10).await),
            "text filter"
        );
        let book = AlertFilter {
            bookmaker: Some("x".repeat(65)),
            ..AlertFilter::default()
        };
        assert_eq!(
            invalid_name(service.status_counts(&book).await),
            "bookmaker"
        );
        assert_eq!(
            service
                .status_counts(&AlertFilter::default())
                .await
                .unwrap(),
            StatusCounts::default()
        );
    }

    #[tokio::test]
    async fn group_history_and_follow_limits_are_bounded() {
        let (_dir, service) = service().await;
        let all = AlertFilter::default();
        assert_eq!(invalid_name(service.event_groups(&all, 0).await), "limit");
        assert_eq!(
            invalid_name(service.event_groups(&all, MAX_GROUPS + 1).await),
            "limit"
        );
        assert!(
            service
                .event_groups(&all, MAX_GROUPS)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(invalid_name(service.top_open_events(0).await), "limit");
        assert_eq!(
            invalid_name(service.alerts_after(0, MAX_FOLLOW_BATCH + 1).await),
            "limit"
        );
        assert!(service.alerts_after(0, 10).await.unwrap().is_empty());
        assert_eq!(service.newest_alert_id().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn the_stats_panel_counts_minutes_by_the_service_clock() {
        let (_dir, service) = service().await;
        let per_minute = service.alerts_per_minute().await.unwrap();
        assert_eq!(per_minute, vec![0; 60]);
    }

    #[tokio::test]
    async fn settings_are_saved_as_the_service_user_at_its_clock() {
        let (_dir, service) = service().await;
        service
            .save_settings(&[("detection.warning_pct".to_string(), json!(6.5))])
            .await
            .unwrap();
        let rows = service.settings().await.unwrap();
        assert_eq!(
            rows,
            vec![SettingRow {
                key: "detection.warning_pct".into(),
                value: json!(6.5),
                updated_at: at(),
                updated_by: "ada".into(),
            }]
        );
    }

    #[tokio::test]
    async fn a_setting_the_app_may_not_override_is_refused_and_nothing_is_saved() {
        let (_dir, service) = service().await;
        let result = service
            .save_settings(&[
                ("detection.warning_pct".to_string(), json!(6.5)),
                ("database.url".to_string(), json!("sqlite://elsewhere")),
            ])
            .await;
        let Err(ServiceError::InvalidArgument { name, value, .. }) = result else {
            panic!("expected a refusal, got {result:?}");
        };
        assert_eq!((name, value.as_str()), ("setting", "database.url"));
        assert!(service.settings().await.unwrap().is_empty());
    }
}
