//! Saved views (issue 16, `saved_views` table): each user's named filter + sort + layout of the
//! alert screen, stored as JSON so fields added to [`ViewSpec`] later still read old rows.

use chrono::{DateTime, Utc};

use super::sql::BindParams;
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{SavedView, ViewSpec};

impl Store {
    /// The views of `user`, by name. Sorted here rather than by `ORDER BY`, so both backends
    /// give the same order whatever PostgreSQL's collation is.
    pub async fn saved_views(&self, user: &str) -> Result<Vec<SavedView>, StoreError> {
        let mut q = self.query("SELECT name, spec, updated_at FROM saved_views WHERE user_name = ");
        q.bind(user);
        let rows: Vec<(String, String, DateTime<Utc>)> = with_pool!(self, pool => {
            sqlx::query_as(q.sql()).bind_params(q.params()).fetch_all(pool).await
        })
        .context("reading saved views")?;
        let mut views = rows
            .into_iter()
            .map(|(name, raw, updated_at)| {
                let spec = serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt {
                    table: "saved_views",
                    message: format!("view {name:?} of {user:?}: {e}"),
                })?;
                Ok(SavedView {
                    user: user.to_string(),
                    name,
                    spec,
                    updated_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        views.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(views)
    }

    /// Saves `spec` as `user`'s view `name`, replacing the one of that name.
    pub async fn save_view(
        &self,
        user: &str,
        name: &str,
        spec: &ViewSpec,
        now: DateTime<Utc>,
    ) -> Result<SavedView, StoreError> {
        let json = serde_json::to_string(spec).map_err(|e| StoreError::Corrupt {
            table: "saved_views",
            message: format!("view {name:?} cannot be written as JSON: {e}"),
        })?;
        let mut q =
            self.query("INSERT INTO saved_views (user_name, name, spec, updated_at) VALUES (");
        q.bind(user).push(", ").bind(name).push(", ").bind(json);
        q.push(", ").bind(now).push(")");
        q.push(
            " ON CONFLICT (user_name, name) DO UPDATE SET spec = excluded.spec, \
             updated_at = excluded.updated_at",
        );
        with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|_| ())
        })
        .context("saving a view")?;
        Ok(SavedView {
            user: user.to_string(),
            name: name.to_string(),
            spec: spec.clone(),
            updated_at: now,
        })
    }

    /// Deletes `user`'s view `name`; `false` when there was none.
    pub async fn delete_view(&self, user: &str, name: &str) -> Result<bool, StoreError> {
        let mut q = self.query("DELETE FROM saved_views WHERE user_name = ");
        q.bind(user).push(" AND name = ").bind(name);
        let deleted = with_pool!(self, pool => {
            sqlx::query(q.sql()).bind_params(q.params()).execute(pool).await.map(|r| r.rows_affected())
        })
        .context("deleting a view")?;
        Ok(deleted > 0)
    }
}
