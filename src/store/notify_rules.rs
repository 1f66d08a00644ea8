//! Notification rules added at run time (DESIGN §12), beside the configured ones: a trader or
//! an operator routes alerts without editing the config on every daemon. Targets, which hold
//! secrets, stay in the config.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{AlertType, NotifyRule};

/// A rule stored in the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredRule {
    /// Its id (what `notify rules remove` takes).
    pub id: i64,
    /// The rule.
    #[serde(flatten)]
    pub rule: NotifyRule,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

type RuleRow = (i64, String, String, String, String, String, DateTime<Utc>);

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt {
        table: "notify_rules",
        message,
    }
}

impl Store {
    /// The stored rules, oldest first.
    pub async fn notify_rules(&self) -> Result<Vec<StoredRule>, StoreError> {
        let q = self.query(
            "SELECT id, target, min_severity, types, books, created_by, created_at FROM notify_rules ORDER BY id",
        );
        let rows: Vec<RuleRow> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading notification rules")?;
        rows.into_iter()
            .map(|(id, target, min, types, books, created_by, created_at)| {
                let types: Vec<AlertType> =
                    serde_json::from_str(&types).map_err(|e| corrupt(e.to_string()))?;
                let books: Vec<String> =
                    serde_json::from_str(&books).map_err(|e| corrupt(e.to_string()))?;
                Ok(StoredRule {
                    id,
                    rule: NotifyRule {
                        target,
                        min_severity: min.parse().map_err(corrupt)?,
                        types,
                        books,
                    },
                    created_by,
                    created_at,
                })
            })
            .collect()
    }

    /// Stores a rule (checked by the caller); returns its id.
    pub async fn add_notify_rule(
        &self,
        rule: &NotifyRule,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut q = self.query(
            "INSERT INTO notify_rules (target, min_severity, types, books, created_by, created_at) VALUES (",
        );
        q.bind(rule.target.as_str())
            .push(", ")
            .bind(rule.min_severity.as_str())
            .push(", ")
            .bind(serde_json::to_string(&rule.types).expect("types serialise"))
            .push(", ")
            .bind(serde_json::to_string(&rule.books).expect("books serialise"))
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(at)
            .push(") RETURNING id");
        let (id,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_one(pool).await
        })
        .context("storing a notification rule")?;
        Ok(id)
    }

    /// Deletes stored rule `id`; `false` when there is none.
    pub async fn delete_notify_rule(&self, id: i64) -> Result<bool, StoreError> {
        let mut q = self.query("DELETE FROM notify_rules WHERE id = ");
        q.bind(id);
        let done = with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected())
        })
        .context("deleting a notification rule")?;
        Ok(done == 1)
    }
}
