//! Migrations: each backend's are applied at start by every command ([`Store::open`]). They are
//! additive, so daemons of the previous version keep running on an upgraded database.

use super::{Store, StoreError};

impl Store {
    /// Applies the backend's pending migrations (idempotent).
    pub async fn migrate(&self, shown_url: &str) -> Result<(), StoreError> {
        let result = match self {
            Store::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Store::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        };
        result.map_err(|source| StoreError::Migrate {
            url: shown_url.to_string(),
            source,
        })
    }
}
