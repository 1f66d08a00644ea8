//! Scraper daemons and their shard leases (DESIGN §11), on both backends.
//!
//! PostgreSQL is the coordinator: each daemon heartbeats its row in `scrape_daemons` and, in
//! one transaction per cycle ([`Store::lease_round`]), renews the leases it keeps, releases what
//! is over its fair share and claims free or expired shards with `FOR UPDATE SKIP LOCKED`, every
//! time compared on the database's clock. A claim bumps the shard's epoch; each write batch
//! carries the epochs it was detected under ([`Fence`]) and is refused when one moved on, so a
//! daemon that lost a shard can never write over its new owner. On SQLite one daemon runs (the
//! command holds a file lock) and a round takes every shard.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, SqlitePool};

use super::sql::{BindParams, SqlQuery};
use super::{QueryContext, Store, StoreError, with_pool};
use crate::domain::{DaemonRow, ShardLease, TeamStatus, plan_round};

/// The advisory lock every PostgreSQL lease round holds (transaction-scoped, per database): the
/// rounds of the team run one at a time, so each sees every earlier heartbeat and claim, and a
/// change of `scrape.shards` cannot race another daemon's start. A round is a few statements.
mod round;

const LEASE_ROUND_LOCK: i64 = 0x6f64_6473_7761_7463; // "odswatc"

/// Who a daemon is, as it registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonRegistration {
    /// Unique per process: `host:pid:nonce`.
    pub id: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// oddswatch version.
    pub version: String,
    /// `scrape.shards`.
    pub shards: u16,
    /// `scrape.lease_duration()`.
    pub lease: Duration,
    /// When the process started.
    pub started_at: DateTime<Utc>,
}

impl DaemonRegistration {
    /// This machine's host name (`unknown` when it cannot be read).
    pub fn host_name() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::env::var("HOSTNAME")
                    .ok()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// This process's registration: host name, pid, version, and a random nonce in the id.
    pub fn this_process(shards: u16, lease: Duration) -> Self {
        // Two registrations in one process (tests) must differ even within one clock tick.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let host = Self::host_name();
        let pid = std::process::id();
        let started_at = Utc::now();
        let nanos = started_at.timestamp_nanos_opt().unwrap_or_default() as u64;
        let nonce = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_right(17);
        DaemonRegistration {
            id: format!("{host}:{pid}:{:08x}", nonce & 0xffff_ffff_ffff),
            host,
            pid,
            version: env!("CARGO_PKG_VERSION").to_string(),
            shards,
            lease,
            started_at,
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A shard held under a lease, with the epoch it was claimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeldLease {
    /// The shard.
    pub shard: u16,
    /// Its epoch when this daemon claimed it.
    pub epoch: i64,
}

/// What a lease round left the daemon with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseRound {
    /// Every shard it holds now, by shard.
    pub held: Vec<HeldLease>,
    /// Shards claimed in this round (new epochs): warm their events from the database before
    /// detecting on them.
    pub acquired: Vec<u16>,
    /// Shards released in this round (over its share).
    pub released: Vec<u16>,
    /// Shards it held before the round that another daemon took (its lease had expired).
    pub lost: Vec<u16>,
    /// Live daemons, this one included.
    pub live_daemons: usize,
}

/// The leases a write batch was detected under. A batch whose fence no longer holds (another
/// daemon claimed one of its shards since) is refused with [`StoreError::Fenced`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fence {
    /// The daemon that detected the batch.
    pub owner: String,
    /// The shards of the batch's events with the epochs they were held at.
    pub leases: Vec<HeldLease>,
}

impl Store {
    /// One lease round for `me` (DESIGN §11), in one transaction: heartbeat, then renew what it
    /// keeps, release what is over its fair share, claim free or expired shards (`FOR UPDATE
    /// SKIP LOCKED` on PostgreSQL); `held` is what it believes it holds (to report `lost`).
    /// Refuses with [`StoreError::Leases`] when the live daemons run with another
    /// `scrape.shards`. On SQLite it takes every shard.
    pub async fn lease_round(
        &self,
        me: &DaemonRegistration,
        held: &[HeldLease],
    ) -> Result<LeaseRound, StoreError> {
        if me.shards == 0 {
            return Err(StoreError::Leases(
                "scrape.shards is 0; it must be between 1 and 1024".to_string(),
            ));
        }
        match self {
            Store::Postgres(pool) => round::pg_round(pool, me, held).await,
            Store::Sqlite(pool) => round::sqlite_round(pool, me, held).await,
        }
    }

    /// A clean stop: releases every lease of `daemon_id` (expired at once, so the others take
    /// them in their next round) and marks the daemon stopped. Returns the shards released.
    pub async fn release_leases(&self, daemon_id: &str) -> Result<u64, StoreError> {
        let now = self.now_sql();
        let mut release = self.query("UPDATE scrape_leases SET owner = NULL, expires_at = ");
        now.push_into(&mut release);
        release.push(" WHERE owner = ").bind(daemon_id);
        let mut stop = self.query("UPDATE scrape_daemons SET stopped_at = ");
        now.push_into(&mut stop);
        stop.push(" WHERE id = ").bind(daemon_id);
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting to release shard leases")?;
            let released = sqlx::query(release.sql()).bind_params(release.params()).execute(&mut *tx).await
                .context("releasing shard leases")?.rows_affected();
            sqlx::query(stop.sql()).bind_params(stop.params()).execute(&mut *tx).await
                .context("marking the daemon stopped")?;
            tx.commit().await.context("committing the release of shard leases")?;
            Ok(released)
        })
    }

    /// Records a finished cycle of `daemon_id` over `leases`: `last_scraped_at = at` on each
    /// shard it still holds at that epoch, and the daemon's last-cycle figures.
    pub async fn record_daemon_cycle(
        &self,
        daemon_id: &str,
        leases: &[HeldLease],
        cycle: &DaemonCycle,
    ) -> Result<(), StoreError> {
        let leases = unique(leases);
        let mut scraped = self.query("UPDATE scrape_leases SET last_scraped_at = ");
        scraped
            .bind(cycle.at)
            .push(" WHERE owner = ")
            .bind(daemon_id);
        push_lease_match(&mut scraped, &leases);
        let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut figures = self.query("UPDATE scrape_daemons SET last_cycle_at = ");
        figures.bind(cycle.at);
        figures
            .push(", last_cycle_ms = ")
            .bind(count(cycle.took_ms));
        figures
            .push(", last_cycle_events = ")
            .bind(count(cycle.events));
        figures
            .push(", last_cycle_alerts = ")
            .bind(count(cycle.alerts));
        figures.push(" WHERE id = ").bind(daemon_id);
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting to record a daemon's cycle")?;
            sqlx::query(scraped.sql()).bind_params(scraped.params()).execute(&mut *tx).await
                .context("recording when shards were scraped")?;
            sqlx::query(figures.sql()).bind_params(figures.params()).execute(&mut *tx).await
                .context("recording a daemon's last cycle")?;
            tx.commit().await.context("committing a daemon's cycle")?;
            Ok(())
        })
    }

    /// Every daemon and lease, read on the database's clock.
    pub async fn team_status(&self) -> Result<TeamStatus, StoreError> {
        let (now, daemons, leases): (DateTime<Utc>, Vec<StoredDaemon>, Vec<LeaseRow>) = with_pool!(self, pool => {
            let mut tx = pool.begin().await.context("starting to read the team")?;
            let now = match self {
                // now() is the transaction's start: one instant for every row read.
                Store::Postgres(_) => sqlx::query_as::<_, (DateTime<Utc>,)>("SELECT now()").fetch_one(&mut *tx).await
                    .context("reading the database's clock")?.0,
                Store::Sqlite(_) => Utc::now(),
            };
            let daemons: Vec<StoredDaemon> = sqlx::query_as(DAEMON_COLUMNS).fetch_all(&mut *tx).await
                .context("reading the scraper daemons")?;
            let leases: Vec<LeaseRow> = sqlx::query_as("SELECT shard, owner, epoch, expires_at, last_scraped_at FROM scrape_leases ORDER BY shard")
                .fetch_all(&mut *tx).await.context("reading the shard leases")?;
            tx.commit().await.context("finishing the read of the team")?;
            Ok::<_, StoreError>((now, daemons, leases))
        })?;
        let mut daemons: Vec<DaemonRow> = daemons
            .into_iter()
            .map(|d| d.into_row(now))
            .collect::<Result<_, _>>()?;
        daemons.sort_by(|a, b| b.live.cmp(&a.live).then_with(|| a.id.cmp(&b.id)));
        let leases: Vec<ShardLease> = leases
            .into_iter()
            .map(|(shard, owner, epoch, expires_at, last_scraped_at)| {
                Ok(ShardLease {
                    shard: shard_u16(shard)?,
                    owner,
                    epoch,
                    expires_at,
                    last_scraped_at,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TeamStatus {
            now,
            shards: u16::try_from(leases.len()).unwrap_or(u16::MAX),
            daemons,
            leases,
        })
    }

    /// The database's current time as SQL: `now()` on PostgreSQL (the transaction's clock), a
    /// bound instant of this process's clock on SQLite (one machine, one daemon).
    fn now_sql(&self) -> NowSql {
        match self {
            Store::Postgres(_) => NowSql::Database,
            Store::Sqlite(_) => NowSql::Bound(Utc::now()),
        }
    }
}

/// See [`Store::now_sql`].
enum NowSql {
    Database,
    Bound(DateTime<Utc>),
}

impl NowSql {
    fn push_into(&self, q: &mut SqlQuery) {
        match self {
            NowSql::Database => {
                q.push("now()");
            }
            NowSql::Bound(at) => {
                q.bind(*at);
            }
        }
    }
}

type LeaseRow = (
    i64,
    Option<String>,
    i64,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

const DAEMON_COLUMNS: &str = "SELECT id, host, pid, version, shards, lease_ms, started_at, last_seen, stopped_at, \
     last_cycle_at, last_cycle_ms, last_cycle_events, last_cycle_alerts FROM scrape_daemons";

/// A `scrape_daemons` row as stored.
#[derive(sqlx::FromRow)]
struct StoredDaemon {
    id: String,
    host: String,
    pid: i64,
    version: String,
    shards: i64,
    lease_ms: i64,
    started_at: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    last_cycle_at: Option<DateTime<Utc>>,
    last_cycle_ms: Option<i64>,
    last_cycle_events: Option<i64>,
    last_cycle_alerts: Option<i64>,
}

impl StoredDaemon {
    /// Not stopped and seen within its lease, at `now`.
    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.stopped_at.is_none()
            && self.last_seen + chrono::Duration::milliseconds(self.lease_ms) > now
    }

    fn into_row(self, now: DateTime<Utc>) -> Result<DaemonRow, StoreError> {
        let live = self.is_live(now);
        let corrupt = |what: &str, v: i64| StoreError::Corrupt {
            table: "scrape_daemons",
            message: format!("{what} {v} of daemon {} is out of range", self.id),
        };
        let count = |v: Option<i64>| v.map(|v| u64::try_from(v).unwrap_or_default());
        Ok(DaemonRow {
            pid: u32::try_from(self.pid).map_err(|_| corrupt("pid", self.pid))?,
            shards: u16::try_from(self.shards).map_err(|_| corrupt("shards", self.shards))?,
            last_cycle_ms: count(self.last_cycle_ms),
            last_cycle_events: count(self.last_cycle_events),
            last_cycle_alerts: count(self.last_cycle_alerts),
            id: self.id,
            host: self.host,
            version: self.version,
            started_at: self.started_at,
            last_seen: self.last_seen,
            stopped_at: self.stopped_at,
            last_cycle_at: self.last_cycle_at,
            live,
        })
    }
}

fn shard_u16(shard: i64) -> Result<u16, StoreError> {
    u16::try_from(shard).map_err(|_| StoreError::Corrupt {
        table: "scrape_leases",
        message: format!("shard {shard} is out of range"),
    })
}

/// The leases once each, by shard.
fn unique(leases: &[HeldLease]) -> Vec<HeldLease> {
    leases
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Appends ` AND ((shard = ? AND epoch = ?) OR …)`; no leases match nothing.
fn push_lease_match(q: &mut SqlQuery, leases: &[HeldLease]) {
    q.push(" AND (");
    if leases.is_empty() {
        q.push("1 = 0");
    }
    for (i, lease) in leases.iter().enumerate() {
        q.push(if i == 0 { "(shard = " } else { " OR (shard = " });
        q.bind(i64::from(lease.shard))
            .push(" AND epoch = ")
            .bind(lease.epoch)
            .push(")");
    }
    q.push(")");
}

/// A daemon's finished cycle, for [`Store::record_daemon_cycle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonCycle {
    /// When the cycle started.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub took_ms: u64,
    /// Events of the daemon's shards it fetched.
    pub events: u64,
    /// Alerts it raised.
    pub alerts: u64,
}

/// The query a batch's fence is checked with, inside its write transaction: the shards of
/// `fence.leases` still owned by `fence.owner` at their epochs, one `(shard,)` row each, locked
/// `FOR SHARE` on PostgreSQL so no claim of them commits until the batch does.
///
/// `FOR KEY SHARE` rather than `FOR SHARE`: it blocks a claim (`FOR UPDATE`) just the same, but
/// not the owner's own renewals and releases, so a lease round never waits for a batch.
pub(crate) fn fence_query(store: &Store, fence: &Fence) -> SqlQuery {
    let mut q = store.query("SELECT shard FROM scrape_leases WHERE owner = ");
    q.bind(fence.owner.as_str());
    push_lease_match(&mut q, &unique(&fence.leases));
    q.push(" ORDER BY shard");
    if store.dialect() == super::sql::Dialect::Postgres {
        q.push(" FOR KEY SHARE");
    }
    q
}

/// The fence's verdict from [`fence_query`]'s rows: `Ok` when every lease still holds, else
/// [`StoreError::Fenced`] naming the shards another daemon took.
pub(crate) fn fence_verdict(fence: &Fence, still_held: &[(i64,)]) -> Result<(), StoreError> {
    let kept: BTreeSet<i64> = still_held.iter().map(|(s,)| *s).collect();
    let taken: BTreeSet<u16> = fence
        .leases
        .iter()
        .map(|l| l.shard)
        .filter(|s| !kept.contains(&i64::from(*s)))
        .collect();
    if taken.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Fenced {
            owner: fence.owner.clone(),
            shards: taken.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fence(leases: &[(u16, i64)]) -> Fence {
        Fence {
            owner: "a:1:1".to_string(),
            leases: leases
                .iter()
                .map(|&(shard, epoch)| HeldLease { shard, epoch })
                .collect(),
        }
    }

    #[test]
    fn the_fence_holds_when_every_shard_is_still_held() {
        assert!(fence_verdict(&fence(&[(3, 2), (5, 1), (3, 2)]), &[(3,), (5,)]).is_ok());
        assert!(fence_verdict(&fence(&[]), &[]).is_ok());
    }

    #[test]
    fn the_fence_names_the_shards_taken() {
        match fence_verdict(&fence(&[(7, 1), (3, 2), (5, 1)]), &[(5,)]) {
            Err(StoreError::Fenced { owner, shards }) => {
                assert_eq!(owner, "a:1:1");
                assert_eq!(shards, vec![3, 7]);
            }
            other => panic!("expected Fenced, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_fence_query_matches_owner_and_epochs_and_locks_on_postgres() {
        let pg = fence_query_text(
            super::super::sql::Dialect::Postgres,
            &fence(&[(3, 2), (5, 1)]),
        );
        assert_eq!(
            pg,
            "SELECT shard FROM scrape_leases WHERE owner = $1 AND ((shard = $2 AND epoch = $3) OR (shard = $4 AND epoch = $5)) ORDER BY shard FOR KEY SHARE"
        );
        let lite = fence_query_text(super::super::sql::Dialect::Sqlite, &fence(&[]));
        assert_eq!(
            lite,
            "SELECT shard FROM scrape_leases WHERE owner = ? AND (1 = 0) ORDER BY shard"
        );
    }

    fn fence_query_text(dialect: super::super::sql::Dialect, fence: &Fence) -> String {
        // The pools are never connected: only the dialect matters to the text.
        let store = match dialect {
            super::super::sql::Dialect::Postgres => Store::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .connect_lazy("postgres://x@127.0.0.1/x")
                    .unwrap(),
            ),
            super::super::sql::Dialect::Sqlite => Store::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .connect_lazy("sqlite::memory:")
                    .unwrap(),
            ),
        };
        fence_query(&store, fence).sql().to_string()
    }

    #[test]
    fn each_registration_is_unique_and_names_this_process() {
        let a = DaemonRegistration::this_process(16, Duration::from_secs(30));
        let b = DaemonRegistration::this_process(16, Duration::from_secs(30));
        assert_ne!(a.id, b.id);
        assert!(
            a.id.starts_with(&format!("{}:{}:", a.host, std::process::id())),
            "{}",
            a.id
        );
        assert!(!a.host.is_empty());
        assert_eq!(a.version, env!("CARGO_PKG_VERSION"));
        assert_eq!((a.shards, a.lease_ms()), (16, 30_000));
    }
}
