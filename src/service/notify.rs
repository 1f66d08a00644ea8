//! The notification targets as the CLI, the API and the UI show them (DESIGN §12): the
//! configured targets with their stored delivery state, plus any target that has deliveries but
//! is no longer configured. URLs are shown as `scheme://host/…`, keys never.

use serde::Serialize;

use super::{AlertService, ServiceError};
use crate::config::{RuleProblem, redact_webhook_url};
use crate::store::TargetState;

/// One target's health.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

/// The configured targets of `config` with their `stored` state, in config order, then the
/// stored targets no longer configured.
pub fn target_statuses(
    config: &crate::config::NotifyConfig,
    mut stored: Vec<TargetState>,
) -> Vec<NotifyTargetStatus> {
    let mut rows: Vec<NotifyTargetStatus> = config
        .targets
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
    rows
}

impl AlertService {
    /// Every target: the configured ones in their order, then unconfigured ones with deliveries.
    pub async fn notify_status(&self) -> Result<Vec<NotifyTargetStatus>, ServiceError> {
        let stored = self.store.notify_states().await?;
        Ok(match &self.config {
            Some(config) => target_statuses(&config.notify, stored),
            None => target_statuses(&crate::config::NotifyConfig::default(), stored),
        })
    }

    /// Deletes deliveries made or given up more than `days` ago (housekeeping, with the past
    /// alerts' retention); pending ones are never deleted.
    pub async fn purge_deliveries(&self, days: u32) -> Result<u64, ServiceError> {
        let before = self.now() - chrono::Duration::days(i64::from(days));
        Ok(self.store.purge_deliveries(before).await?)
    }

    /// The configured targets' names, for messages.
    pub fn notify_target_names(&self) -> String {
        self.config.as_ref().map_or_else(
            || crate::config::NotifyConfig::default().target_names(),
            |c| c.notify.target_names(),
        )
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

/// A rule as listed: from the config (no id) or the database.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifyRuleRow {
    /// The stored rule's id; `None` for a configured rule.
    pub id: Option<i64>,
    /// `config` or `database`.
    pub source: &'static str,
    /// A target's name.
    pub target: String,
    /// The least severity sent.
    pub min_severity: crate::domain::Severity,
    /// Alert types sent; empty: all.
    pub types: Vec<crate::domain::AlertType>,
    /// Book slugs sent; empty: all.
    pub books: Vec<String>,
    /// Who added a stored rule.
    pub created_by: Option<String>,
    /// When.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl NotifyRuleRow {
    fn of(
        id: Option<i64>,
        source: &'static str,
        rule: crate::domain::NotifyRule,
        created: Option<(String, chrono::DateTime<chrono::Utc>)>,
    ) -> Self {
        let (created_by, created_at) = created.unzip();
        NotifyRuleRow {
            id,
            source,
            target: rule.target,
            min_severity: rule.min_severity,
            types: rule.types,
            books: rule.books,
            created_by,
            created_at,
        }
    }
}

impl AlertService {
    /// The rules in force: the configured ones, then the stored ones, oldest first.
    pub async fn notify_rules(&self) -> Result<Vec<NotifyRuleRow>, ServiceError> {
        let configured = self
            .config
            .as_ref()
            .map(|c| c.notify.rules.clone())
            .unwrap_or_default();
        let mut rows: Vec<NotifyRuleRow> = configured
            .into_iter()
            .map(|rule| NotifyRuleRow::of(None, "config", rule, None))
            .collect();
        rows.extend(self.store.notify_rules().await?.into_iter().map(|s| {
            NotifyRuleRow::of(
                Some(s.id),
                "database",
                s.rule,
                Some((s.created_by, s.created_at)),
            )
        }));
        Ok(rows)
    }

    /// Stores a rule, acting as this service's user. Refused unless it names a configured
    /// target and configured books (the messages list what is allowed).
    pub async fn add_notify_rule(
        &self,
        rule: crate::domain::NotifyRule,
    ) -> Result<NotifyRuleRow, ServiceError> {
        let config = self
            .config
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(crate::config::Config::defaults()));
        let books: Vec<&str> = config.books.keys().map(String::as_str).collect();
        match config.notify.check_rule(&rule, &books) {
            Ok(()) => {}
            Err(RuleProblem::UnknownTarget(target)) => {
                return Err(ServiceError::InvalidArgument {
                    name: "target",
                    value: format!("{target:?}"),
                    allowed: format!(
                        "a configured notify target: {}",
                        config.notify.target_names()
                    ),
                });
            }
            Err(RuleProblem::UnknownBook(book)) => {
                return Err(ServiceError::InvalidArgument {
                    name: "books",
                    value: format!("{book:?}"),
                    allowed: format!("configured books: {}", books.join(", ")),
                });
            }
        }
        let at = self.now();
        let id = self.store.add_notify_rule(&rule, &self.user, at).await?;
        Ok(NotifyRuleRow::of(
            Some(id),
            "database",
            rule,
            Some((self.user.clone(), at)),
        ))
    }

    /// Deletes stored rule `id`; `false` when there is none (configured rules are edited in
    /// the config).
    pub async fn delete_notify_rule(&self, id: i64) -> Result<bool, ServiceError> {
        Ok(self.store.delete_notify_rule(id).await?)
    }
}
