//! Scraper daemons and their shard leases (DESIGN §11), on both backends.
//!
//! PostgreSQL is the coordinator: each daemon heartbeats its row in `scrape_daemons` and, in
//! one transaction per cycle ([`Store::lease_round`]), renews the leases it keeps, releases what
//! is over its fair share and claims free or expired shards with `FOR UPDATE SKIP LOCKED`, every
//! time compared on the database's clock. A claim bumps the shard's epoch; each write batch
//! carries the epochs it was detected under ([`Fence`]) and is refused when one moved on, so a
//! daemon that lost a shard can never write over its new owner. On SQLite one daemon runs (the
//! command holds a file lock) and a round takes every shard.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::TeamStatus;

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
    /// This process's registration: host name, pid, version, and a random nonce in the id.
    pub fn this_process(shards: u16, lease: Duration) -> Self {
        let _ = (shards, lease);
        todo!("issue 17: leases-store")
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
        let _ = (me, held);
        todo!("issue 17: leases-store")
    }

    /// A clean stop: releases every lease of `daemon_id` (expired at once, so the others take
    /// them in their next round) and marks the daemon stopped. Returns the shards released.
    pub async fn release_leases(&self, daemon_id: &str) -> Result<u64, StoreError> {
        let _ = daemon_id;
        todo!("issue 17: leases-store")
    }

    /// Records a finished cycle of `daemon_id` over `leases`: `last_scraped_at = at` on each
    /// shard it still holds at that epoch, and the daemon's last-cycle figures.
    pub async fn record_daemon_cycle(
        &self,
        daemon_id: &str,
        leases: &[HeldLease],
        cycle: &DaemonCycle,
    ) -> Result<(), StoreError> {
        let _ = (daemon_id, leases, cycle);
        todo!("issue 17: leases-store")
    }

    /// Every daemon and lease, read on the database's clock.
    pub async fn team_status(&self) -> Result<TeamStatus, StoreError> {
        todo!("issue 17: leases-store")
    }
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
pub(crate) fn fence_query(store: &Store, fence: &Fence) -> super::sql::SqlQuery {
    let _ = (store, fence);
    todo!("issue 17: leases-store")
}

/// The fence's verdict from [`fence_query`]'s rows: `Ok` when every lease still holds, else
/// [`StoreError::Fenced`] naming the shards another daemon took.
pub(crate) fn fence_verdict(fence: &Fence, still_held: &[(i64,)]) -> Result<(), StoreError> {
    let _ = (fence, still_held);
    todo!("issue 17: leases-store")
}
