//! The scraper team as the database records it (DESIGN §11): daemons, their shard leases, and
//! the one-line summary the UI's header and `oddswatch status` show.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One scraper daemon's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaemonRow {
    /// Unique per process: `host:pid:nonce`.
    pub id: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// oddswatch version.
    pub version: String,
    /// `scrape.shards` it runs with.
    pub shards: u16,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat (each lease round).
    pub last_seen: DateTime<Utc>,
    /// Set when it stopped cleanly (its leases released).
    pub stopped_at: Option<DateTime<Utc>>,
    /// Its last finished cycle: when it started, how long it took, events and alerts.
    pub last_cycle_at: Option<DateTime<Utc>>,
    /// Milliseconds of its last cycle.
    pub last_cycle_ms: Option<u64>,
    /// Events of its shards in its last cycle.
    pub last_cycle_events: Option<u64>,
    /// Alerts its last cycle raised.
    pub last_cycle_alerts: Option<u64>,
    /// Seen within its lease time and not stopped (worked out on the database's clock).
    pub live: bool,
}

/// One shard's lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardLease {
    /// The shard, `0..shards`.
    pub shard: u16,
    /// The daemon holding it; `None` when free (never claimed, or released).
    pub owner: Option<String>,
    /// Bumped by every claim: a write fenced with an older epoch is refused.
    pub epoch: i64,
    /// When the lease ends unless renewed.
    pub expires_at: Option<DateTime<Utc>>,
    /// When its owner last finished a cycle over it.
    pub last_scraped_at: Option<DateTime<Utc>>,
}

/// The team: every daemon row and every shard's lease, read at `now` (the database's clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamStatus {
    /// The database's time of the read.
    pub now: DateTime<Utc>,
    /// Shards in the lease table (the daemons' `scrape.shards`); 0 before any daemon ran.
    pub shards: u16,
    /// Daemons, live first, then by id.
    pub daemons: Vec<DaemonRow>,
    /// Leases by shard.
    pub leases: Vec<ShardLease>,
}

/// What the UI header says about the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamSummary {
    /// Live scraper daemons.
    pub scrapers: usize,
    /// Shards held by a live daemon under an unexpired lease.
    pub owned: u16,
    /// Shards in all.
    pub shards: u16,
    /// Shards nobody scrapes now (a health problem).
    pub unowned: Vec<u16>,
}

impl TeamStatus {
    /// The summary: live daemons and the shards they hold.
    pub fn summary(&self) -> TeamSummary {
        todo!("issue 17: status")
    }
}

impl TeamSummary {
    /// `3 scrapers · 16/16 shards`, or what is missing: `2 scrapers · 11/16 shards · 5 unowned`,
    /// `no scraper running`.
    pub fn text(&self) -> String {
        todo!("issue 17: status")
    }

    /// Every shard is owned by a live daemon (and there is at least one).
    pub fn is_healthy(&self) -> bool {
        todo!("issue 17: status")
    }
}
