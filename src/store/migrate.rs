//! Migrations: each backend's are applied at start by every command ([`Store::open`]) and by
//! `oddswatch migrate`. They are additive (new tables, nullable or defaulted columns, indexes),
//! so processes of the previous version that are already running keep working on an upgraded
//! database.
//!
//! # An older binary meeting a newer database
//!
//! sqlx refuses a database holding migrations it does not know with "migration 16 was previously
//! applied but is missing in the resolved migrations", which reads like a damaged install. This
//! module turns that case into [`NewerDatabase`]: which version this binary is, how far it knows
//! the schema, how far the database is, and what to do (install the newer version).
//!
//! Every command refuses, read-only ones included: sqlx's `ignore_missing` is not used. Reasons:
//! - [`Store::open`] is the one door for every command and cannot tell a reader from a writer;
//!   and most "readers" write: the UI and the API acknowledge, silence, save views and settings.
//! - An older binary cannot know whether what a newer migration added is safe to ignore. The
//!   shard leases of DESIGN §11 are the case in point: a scraper that ignores them fetches and
//!   detects every event beside the team's daemons. A later outbox written in the alert's
//!   transaction (§12) would make an older writer skip notifications without a word.
//! - The cost of refusing is one clear message at start; migrations are checked only at start,
//!   so processes already running are not stopped by an upgrade.
//!
//! A failed run closes its connection instead of returning it to the pool: on PostgreSQL sqlx
//! holds a session advisory lock while migrating and does not release it on error, so a pooled
//! connection would keep every later migration of that database (any process) waiting.

use sqlx::migrate::{MigrateError, Migrator};

use super::{Store, StoreError, with_pool};

/// The SQLite migrations compiled into this binary.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations compiled into this binary.
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database was migrated by a newer oddswatch than this one: every command of this binary
/// refuses it (see the module documentation for why read-only commands do too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this oddswatch (version {binary_version}) knows database migrations up to {known_up_to}, \
     but {url} was migrated to {database_at} ({description}) by a newer oddswatch: install that \
     newer version here. An older oddswatch refuses a newer database for every command, as it \
     cannot tell what it would be wrong to ignore; oddswatch never downgrades a database"
)]
pub struct NewerDatabase {
    /// The database URL, password redacted.
    pub url: String,
    /// This binary's version (`CARGO_PKG_VERSION`).
    pub binary_version: &'static str,
    /// The newest migration this binary knows for the backend.
    pub known_up_to: i64,
    /// The newest migration applied to the database.
    pub database_at: i64,
    /// That migration's description, as sqlx recorded it (from its file name).
    pub description: String,
}

impl Store {
    /// Applies the backend's pending migrations (idempotent). A database migrated further than
    /// this binary knows is refused with [`StoreError::NewerDatabase`].
    pub async fn migrate(&self, shown_url: &str) -> Result<(), StoreError> {
        let migrator = self.migrator();
        let result = with_pool!(self, pool => match pool.acquire().await {
            Ok(mut conn) => {
                let result = migrator.run(&mut *conn).await;
                if result.is_err() {
                    // Drop the session (and any advisory lock sqlx left held), not just the
                    // checkout; the error below is the one worth reporting.
                    let _ = conn.close().await;
                }
                result
            }
            Err(e) => Err(MigrateError::Execute(e)),
        });
        let source = match result {
            Ok(()) => return Ok(()),
            Err(source @ MigrateError::VersionMissing(_)) => {
                match self.newer_database(shown_url).await {
                    Some(newer) => return Err(StoreError::NewerDatabase(newer)),
                    None => source,
                }
            }
            Err(source) => source,
        };
        Err(StoreError::Migrate {
            url: shown_url.to_string(),
            source,
        })
    }

    /// The newest migration this binary knows for the store's backend.
    pub fn known_migration(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The migrations compiled in for this store's backend.
    fn migrator(&self) -> &'static Migrator {
        match self {
            Store::Sqlite(_) => &SQLITE_MIGRATIONS,
            Store::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Explains a `VersionMissing` refusal: `Some` when every applied migration this binary does
    /// not know is newer than all it knows (a newer oddswatch migrated the database). `None` when
    /// one is older (another lineage of migrations, not an upgrade) or the table cannot be read:
    /// sqlx's own message is then the truthful one.
    async fn newer_database(&self, shown_url: &str) -> Option<NewerDatabase> {
        let sql = "SELECT version, description FROM _sqlx_migrations ORDER BY version";
        let applied: Vec<(i64, String)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await).ok()?;
        let migrator = self.migrator();
        let known_up_to = self.known_migration();
        let unknown: Vec<&(i64, String)> = applied
            .iter()
            .filter(|(version, _)| !migrator.version_exists(*version))
            .collect();
        if unknown.is_empty() || unknown.iter().any(|(version, _)| *version < known_up_to) {
            return None;
        }
        let (database_at, description) = unknown.last().map(|(v, d)| (*v, d.clone()))?;
        Some(NewerDatabase {
            url: shown_url.to_string(),
            binary_version: env!("CARGO_PKG_VERSION"),
            known_up_to,
            database_at,
            description,
        })
    }
}
