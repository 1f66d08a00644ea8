//! All SQL lives here: both backends, their migrations, and the queries of the alert service.
//!
//! The backend is chosen from the URL scheme at run time; both are always compiled in. Queries
//! whose text is the same apart from placeholders are written once with [`sql::SqlQuery`];
//! dialect-specific work (connection set-up, bulk loading with COPY on PostgreSQL, database
//! size) is matched on the backend where it happens.

mod activity;
mod alerts;
mod board;
mod book_health;
mod bulk;
mod cycle;
mod events;
mod follow;
mod history;
mod insert;
mod leases;
mod migrate;
mod noise;
mod notify_rules;
mod outbox;
mod rows;
mod runs;
mod settings;
mod silences;
pub mod sql;
mod views;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use alerts::{GroupedCount, TextPlan};
pub use bulk::{BulkAlert, BulkEvent, write_csv_row};
pub use cycle::{BatchEvent, BatchWritten, CycleBatch, NoiseCounts, OddsWrite};
pub use events::EventRecord;
pub use follow::{ChangeKind, ChangeRow};
pub use history::line_key;
pub use leases::{DaemonCycle, DaemonRegistration, Fence, HeldLease, LeaseRound};
pub use migrate::NewerDatabase;
pub use notify_rules::StoredRule;
pub use outbox::{CLAIM_FOR, Failure, PendingDelivery, TargetState};
pub use runs::{BookRun, RunRecord, RunStatus, RunSummary, StoredBand, StoredOdds};
pub use silences::SilenceAuditEntry;
// The read models the store fills live in `domain`; re-exported so store callers need one path.
pub use crate::domain::{
    AckOutcome, AuditEntry, BookOdds, EventGroup, OutcomePrice, PricePoint, SettingRow,
    StatusCounts,
};

use crate::config::redact_url;
use sql::Dialect;

/// Runs the same block against whichever pool the store holds. The block is compiled once per
/// backend, so it may use backend-specific sqlx types through [`sql::BindParams`].
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one oddswatch can use.
    #[error("unsupported database URL {url}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl {
        /// The URL, password redacted.
        url: String,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The SQLite file's folder could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Applying migrations failed.
    #[error("cannot apply migrations to {url}: {source}")]
    Migrate {
        /// The URL, password redacted.
        url: String,
        /// Why.
        source: sqlx::migrate::MigrateError,
    },
    /// The database was migrated by a newer oddswatch than this binary (see `store::migrate`).
    #[error(transparent)]
    NewerDatabase(#[from] migrate::NewerDatabase),
    /// A query failed.
    #[error("database error while {context}: {source}")]
    Query {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A write batch detected under shard leases another daemon has claimed since (DESIGN
    /// §11): refused, never retried; its new owner detects those events from the stored state.
    #[error(
        "batch refused: shards {shards:?} are no longer leased to daemon {owner}; another daemon took them over"
    )]
    Fenced {
        /// The daemon that detected the batch.
        owner: String,
        /// Its shards another daemon holds now.
        shards: Vec<u16>,
    },
    /// The lease table refuses this daemon, e.g. the live daemons run with another
    /// `scrape.shards`.
    #[error("shard leases: {0}")]
    Leases(String),
    /// Stored data that cannot be read back (e.g. an unknown enum value).
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl StoreError {
    /// Whether this error means the database cannot be reached (the API answers 503: try
    /// again) rather than a query it refused (500: a bug, or input that should have been
    /// validated).
    pub fn is_unreachable(&self) -> bool {
        let source = match self {
            StoreError::Connect { .. } => return true,
            StoreError::Query { source, .. } => source,
            _ => return false,
        };
        match source {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL: connection exceptions, insufficient resources, operator intervention
                // (shutting down). SQLite: busy or locked beyond the busy timeout.
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    || code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            }
            _ => false,
        }
    }
}

/// Adds context to sqlx results.
pub(crate) trait QueryContext<T> {
    /// Names what was being done when the query failed.
    fn context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { context, source })
    }
}

/// The database, on either backend. Cheap to clone (pools are shared).
#[derive(Clone, Debug)]
pub enum Store {
    /// An SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// Which process role a pool serves (DESIGN §11's connection budget). On PostgreSQL every
/// connection carries the role's `application_name`, so operators count each role's connections
/// in `pg_stat_activity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    /// An attached terminal UI (`oddswatch tui`): `database.pool.ui`.
    Ui,
    /// A scraper daemon (`oddswatch scrape`): `database.pool.scrape`.
    Scrape,
    /// The HTTP API (`oddswatch serve`): `database.pool.api`.
    Api,
    /// One-shot commands and the zero set-up `oddswatch`: `database.max_connections`.
    General,
}

impl DbRole {
    /// The PostgreSQL `application_name` of the role's connections.
    pub const fn application_name(self) -> &'static str {
        match self {
            DbRole::Ui => "oddswatch-ui",
            DbRole::Scrape => "oddswatch-scrape",
            DbRole::Api => "oddswatch-api",
            DbRole::General => "oddswatch",
        }
    }
}

/// Which backend a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`), creating an SQLite file and its
    /// folder if needed. Does not migrate; see [`Store::open`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        Store::build(url, max_connections, DbRole::General, false).await
    }

    /// Like [`Store::connect`], for `role`: its connections are named after it on PostgreSQL.
    pub async fn connect_as(
        url: &str,
        max_connections: u32,
        role: DbRole,
    ) -> Result<Store, StoreError> {
        Store::build(url, max_connections, role, false).await
    }

    /// Like [`Store::connect`], but opens connections only when first used: the pool exists
    /// even while the database is down (outage tests; queries fail until it answers).
    pub async fn connect_lazy(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        Store::build(url, max_connections, DbRole::General, true).await
    }

    async fn build(
        url: &str,
        max_connections: u32,
        role: DbRole,
        lazy: bool,
    ) -> Result<Store, StoreError> {
        let shown = redact_url(url);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|source| StoreError::Connect {
                    url: shown.clone(),
                    source,
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000");
            let file = options.get_filename();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(30));
            let pool = if lazy {
                pool.connect_lazy_with(options)
            } else {
                pool.connect_with(options)
                    .await
                    .map_err(|source| StoreError::Connect { url: shown, source })?
            };
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|source| StoreError::Connect {
                    url: shown.clone(),
                    source,
                })?
                .application_name(role.application_name())
                // The server's NOTICEs ("relation … already exists, skipping" on every start)
                // are not for users; warnings and errors still arrive.
                .options([("client_min_messages", "warning")]);
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10));
            let pool = if lazy {
                pool.connect_lazy_with(options)
            } else {
                pool.connect_with(options)
                    .await
                    .map_err(|source| StoreError::Connect { url: shown, source })?
            };
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl { url: shown })
        }
    }

    /// Connects and applies pending migrations: what every command does at start.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        Store::open_as(url, max_connections, DbRole::General).await
    }

    /// Like [`Store::open`], for `role` (see [`DbRole`]).
    pub async fn open_as(
        url: &str,
        max_connections: u32,
        role: DbRole,
    ) -> Result<Store, StoreError> {
        let store = Store::connect_as(url, max_connections, role).await?;
        store.migrate(&redact_url(url)).await?;
        Ok(store)
    }

    /// A pool of one connection beside this store's pool, with the same connection options (and
    /// so the same `application_name`), for PostgreSQL's `LISTEN`: a listener holds its
    /// connection for good, so taking it from the query pool would leave a UI with a pool of one
    /// no connection for its queries. Lazy: it connects when the listener first needs it. `None`
    /// on SQLite, which has no `LISTEN`.
    pub fn listen_pool(&self) -> Option<PgPool> {
        let Store::Postgres(pool) = self else {
            return None;
        };
        let options = (*pool.connect_options()).clone();
        Some(
            PgPoolOptions::new()
                .max_connections(1)
                .min_connections(0)
                // A listener keeps its connection as long as it listens; never recycle it.
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_lazy_with(options),
        )
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a query in this store's dialect.
    pub(crate) fn query(&self, sql: &str) -> sql::SqlQuery {
        sql::SqlQuery::new(self.dialect(), sql)
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
            .context("checking the database answers")
    }

    /// Closes every connection (waits for checked-out ones).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}
