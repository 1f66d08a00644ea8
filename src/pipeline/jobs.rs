//! Background jobs: the past transition (every minute, and after each cycle), retention
//! purges of past alerts and price history, and marking silences whose end passed as expired.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::service::{AlertService, ServiceError};

/// What one run of the housekeeping jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Housekeeping {
    /// Alerts moved to past.
    pub made_past: u64,
    /// Past alerts purged.
    pub purged_alerts: u64,
    /// Price-history rows purged.
    pub purged_history: u64,
    /// Silences whose end passed, marked expired.
    pub expired_silences: u64,
    /// Notification deliveries made or given up before the past alerts' retention, deleted.
    pub purged_deliveries: u64,
}

/// Runs the past transition, both purges and the expiry of ended silences once.
pub async fn housekeeping(
    service: &AlertService,
    past_alert_days: u32,
    history_days: u32,
) -> Result<Housekeeping, ServiceError> {
    let made_past = service.mark_past().await?;
    let purged_alerts = service.purge(past_alert_days).await?;
    let purged_history = service.purge_history(history_days).await?;
    let expired_silences = service.expire_ended_silences().await?;
    let purged_deliveries = service.purge_deliveries(past_alert_days).await?;
    Ok(Housekeeping {
        made_past,
        purged_alerts,
        purged_history,
        expired_silences,
        purged_deliveries,
    })
}

/// Runs [`housekeeping`] every `every` until aborted; failures are logged and retried next time.
pub fn spawn_housekeeping(
    service: AlertService,
    every: Duration,
    past_alert_days: u32,
    history_days: u32,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match housekeeping(&service, past_alert_days, history_days).await {
                Ok(done) => {
                    if done != Housekeeping::default() {
                        tracing::info!(?done, "housekeeping");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; retrying next minute"),
            }
        }
    })
}
