//! Settings overrides edited in the app (`settings` table): JSON values by dotted config key,
//! shared by every process on the database. [`crate::config::apply_overrides`] lays them over the
//! loaded configuration.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::SettingRow;

impl Store {
    /// Every stored override, by key.
    pub async fn settings(&self) -> Result<Vec<SettingRow>, StoreError> {
        let sql = "SELECT key, value, updated_at, updated_by FROM settings ORDER BY key";
        let rows: Vec<(String, String, DateTime<Utc>, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)
                .context("reading settings")?;
        rows.into_iter()
            .map(|(key, raw, updated_at, updated_by)| {
                let value = serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt {
                    table: "settings",
                    message: format!("{key}: {e}"),
                })?;
                Ok(SettingRow {
                    key,
                    value,
                    updated_at,
                    updated_by,
                })
            })
            .collect()
    }

    /// The overrides as `(key, value)` pairs, what [`crate::config::apply_overrides`] takes.
    pub async fn setting_overrides(&self) -> Result<Vec<(String, Value)>, StoreError> {
        Ok(self
            .settings()
            .await?
            .into_iter()
            .map(|r| (r.key, r.value))
            .collect())
    }

    /// Writes overrides in one transaction (insert or replace each key).
    pub async fn save_settings(
        &self,
        values: &[(String, Value)],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting a settings write")?;
            for (key, value) in values {
                let mut q = self.query("INSERT INTO settings (key, value, updated_at, updated_by) VALUES (");
                q.bind(key.as_str()).push(", ").bind(value.to_string()).push(", ");
                q.bind(now).push(", ").bind(by).push(")");
                q.push(" ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                         updated_at = excluded.updated_at, updated_by = excluded.updated_by");
                sqlx::query(q.sql()).bind_params(q.params()).execute(&mut *tx).await
                    .context("writing a setting")?;
            }
            tx.commit().await.context("committing settings")?;
            Ok::<_, StoreError>(())
        })
    }

    /// Removes overrides, so those keys fall back to the configuration.
    pub async fn reset_settings(&self, keys: &[String]) -> Result<u64, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut q = self.query("DELETE FROM settings WHERE key IN ");
        q.bind_list(keys);
        with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected())
        })
        .context("resetting settings")
    }
}
