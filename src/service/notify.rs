//! The notification targets as the CLI, the API and the UI show them (DESIGN §12): the
//! configured targets with their stored delivery state, plus any target that has deliveries but
//! is no longer configured. URLs are shown as `scheme://host/…`, keys never.

use serde::Serialize;

use super::{AlertService, ServiceError};
use crate::config::redact_webhook_url;
use crate::store::TargetState;

/// One target's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyTargetStatus {
    /// The target's name.
    pub name: String,
    /// generic | slack | telegram; `None` for a target no longer configured.
    pub format: Option<String>,
    /// `scheme://host/…`.
    pub url: Option<String>,
    /// In this process's configuration.
    pub configured: bool,
    /// Requests carry the signature header.
    pub signed: bool,
    /// `ok`, `retrying`, `paused` or `not configured`.
    pub state: &'static str,
    /// Stored state and counts.
    #[serde(flatten)]
    pub stored: TargetState,
}

impl NotifyTargetStatus {
    /// A configured target that is paused or failing: a health problem.
    pub fn is_unhealthy(&self) -> bool {
        self.configured && self.stored.is_unhealthy()
    }
}

fn state_of(configured: bool, s: &TargetState) -> &'static str {
    if !configured {
        "not configured"
    } else if s.paused_at.is_some() {
        "paused"
    } else if s.consecutive_failures > 0 {
        "retrying"
    } else {
        "ok"
    }
}

impl AlertService {
    /// Every target: the configured ones in their order, then unconfigured ones with deliveries.
    pub async fn notify_status(&self) -> Result<Vec<NotifyTargetStatus>, ServiceError> {
        let mut stored = self.store.notify_states().await?;
        let targets = self
            .config
            .as_ref()
            .map(|c| c.notify.targets.clone())
            .unwrap_or_default();
        let mut rows: Vec<NotifyTargetStatus> = targets
            .iter()
            .map(|t| {
                let state = match stored.iter().position(|s| s.name == t.name) {
                    Some(i) => stored.remove(i),
                    None => TargetState {
                        name: t.name.clone(),
                        ..TargetState::default()
                    },
                };
                NotifyTargetStatus {
                    name: t.name.clone(),
                    format: Some(t.format.to_string()),
                    url: Some(redact_webhook_url(t.url.expose())),
                    configured: true,
                    signed: !t.secret.expose().is_empty(),
                    state: state_of(true, &state),
                    stored: state,
                }
            })
            .collect();
        rows.extend(stored.into_iter().map(|s| NotifyTargetStatus {
            name: s.name.clone(),
            format: None,
            url: None,
            configured: false,
            signed: false,
            state: state_of(false, &s),
            stored: s,
        }));
        Ok(rows)
    }

    /// Clears a configured target's pause and backoff. `Ok(None)` when no target has that name
    /// (the error names the configured ones); `Ok(Some(false))` when it never had a delivery.
    pub async fn resume_notify_target(&self, name: &str) -> Result<Option<bool>, ServiceError> {
        let configured = self
            .config
            .as_ref()
            .is_some_and(|c| c.notify.target(name).is_some());
        if !configured {
            return Ok(None);
        }
        Ok(Some(self.store.resume_target(name).await?))
    }
}
