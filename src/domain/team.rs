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
    ///
    /// A shard counts as owned only when its lease names a live daemon and has not expired at
    /// [`TeamStatus::now`]: an expired lease, a released one and one whose owner stopped or went
    /// silent all leave the shard unowned, because nobody scrapes it until another daemon claims it.
    pub fn summary(&self) -> TeamSummary {
        let live: Vec<&str> = self
            .daemons
            .iter()
            .filter(|d| d.live)
            .map(|d| d.id.as_str())
            .collect();
        let owned_by_live = |shard: u16| {
            self.leases.iter().any(|l| {
                l.shard == shard
                    && l.expires_at.is_some_and(|at| at > self.now)
                    && l.owner.as_deref().is_some_and(|o| live.contains(&o))
            })
        };
        let unowned: Vec<u16> = (0..self.shards).filter(|&s| !owned_by_live(s)).collect();
        TeamSummary {
            scrapers: live.len(),
            owned: self.shards - unowned.len() as u16,
            shards: self.shards,
            unowned,
        }
    }

    /// The live daemon holding `shard` under an unexpired lease, if any.
    pub fn live_owner(&self, shard: u16) -> Option<&DaemonRow> {
        let lease = self
            .leases
            .iter()
            .find(|l| l.shard == shard && l.expires_at.is_some_and(|at| at > self.now))?;
        let owner = lease.owner.as_deref()?;
        self.daemons.iter().find(|d| d.live && d.id == owner)
    }

    /// The shards `daemon_id` holds under unexpired leases, ascending.
    pub fn shards_of(&self, daemon_id: &str) -> Vec<u16> {
        let mut shards: Vec<u16> = self
            .leases
            .iter()
            .filter(|l| {
                l.owner.as_deref() == Some(daemon_id)
                    && l.expires_at.is_some_and(|at| at > self.now)
            })
            .map(|l| l.shard)
            .collect();
        shards.sort_unstable();
        shards
    }
}

impl TeamSummary {
    /// `3 scrapers · 16/16 shards`, or what is missing: `2 scrapers · 11/16 shards · 5 unowned`,
    /// `no scraper running`.
    pub fn text(&self) -> String {
        if self.scrapers == 0 || self.shards == 0 {
            return "no scraper running".to_string();
        }
        let plural = if self.scrapers == 1 { "" } else { "s" };
        let mut text = format!(
            "{} scraper{plural} · {}/{} shards",
            self.scrapers, self.owned, self.shards
        );
        if !self.unowned.is_empty() {
            text.push_str(&format!(" · {} unowned", self.unowned.len()));
        }
        text
    }

    /// Every shard is owned by a live daemon (and there is at least one).
    pub fn is_healthy(&self) -> bool {
        self.scrapers > 0 && self.shards > 0 && self.unowned.is_empty()
    }
}

impl TeamStatus {
    /// Shards as compact ranges: `[0, 1, 2, 3, 7, 9, 10]` → `0-3,7,9-10`; empty → `-`.
    pub fn compact_ranges(shards: &[u16]) -> String {
        let mut sorted = shards.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < sorted.len() {
            let start = sorted[i];
            let mut end = start;
            while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
                i += 1;
                end = sorted[i];
            }
            parts.push(if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
            i += 1;
        }
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(",")
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn daemon(id: &str, live: bool) -> DaemonRow {
        DaemonRow {
            id: id.to_string(),
            host: "h".into(),
            pid: 1,
            version: "0.1.0".into(),
            shards: 16,
            started_at: at(-600),
            last_seen: at(-1),
            stopped_at: None,
            last_cycle_at: None,
            last_cycle_ms: None,
            last_cycle_events: None,
            last_cycle_alerts: None,
            live,
        }
    }

    fn lease(shard: u16, owner: Option<&str>, expires_in: i64) -> ShardLease {
        ShardLease {
            shard,
            owner: owner.map(str::to_string),
            epoch: 1,
            expires_at: Some(at(0) + Duration::seconds(expires_in)),
            last_scraped_at: None,
        }
    }

    /// `shards` leases; shard `s` goes to `owners[s % owners.len()]` for 30 s.
    fn team(daemons: Vec<DaemonRow>, shards: u16, owners: &[&str]) -> TeamStatus {
        TeamStatus {
            now: at(0),
            shards,
            daemons,
            leases: (0..shards)
                .map(|s| lease(s, Some(owners[usize::from(s) % owners.len()]), 30))
                .collect(),
        }
    }

    #[test]
    fn three_daemons_holding_every_shard_are_healthy() {
        let t = team(
            vec![daemon("a", true), daemon("b", true), daemon("c", true)],
            16,
            &["a", "b", "c"],
        );
        let s = t.summary();
        assert_eq!(s.text(), "3 scrapers · 16/16 shards");
        assert!(s.is_healthy());
        assert!(s.unowned.is_empty());
        assert_eq!(t.shards_of("a"), vec![0, 3, 6, 9, 12, 15]);
    }

    #[test]
    fn one_daemon_is_singular() {
        let s = team(vec![daemon("a", true)], 16, &["a"]).summary();
        assert_eq!(s.text(), "1 scraper · 16/16 shards");
        assert!(s.is_healthy());
    }

    #[test]
    fn a_dead_owners_shards_are_unowned_even_before_their_leases_expire() {
        // c holds 5 shards (2, 5, 8, 11, 14) but is no longer live.
        let t = team(
            vec![daemon("a", true), daemon("b", true), daemon("c", false)],
            16,
            &["a", "b", "c"],
        );
        let s = t.summary();
        assert_eq!(s.text(), "2 scrapers · 11/16 shards · 5 unowned");
        assert_eq!(s.unowned, vec![2, 5, 8, 11, 14]);
        assert!(!s.is_healthy());
        assert!(t.live_owner(2).is_none());
        assert_eq!(t.live_owner(0).map(|d| d.id.as_str()), Some("a"));
    }

    #[test]
    fn expired_released_and_missing_leases_count_as_unowned() {
        let mut t = team(vec![daemon("a", true)], 4, &["a"]);
        t.leases[1].expires_at = Some(at(-1)); // expired
        t.leases[2].owner = None; // released
        t.leases.pop(); // shard 3 never claimed
        let s = t.summary();
        assert_eq!(s.unowned, vec![1, 2, 3]);
        assert_eq!(s.text(), "1 scraper · 1/4 shards · 3 unowned");
        assert!(!s.is_healthy());
        // Expiring exactly now is expired: the database claims it on `expires_at <= now`.
        t.leases[0].expires_at = Some(at(0));
        assert_eq!(t.summary().owned, 0);
    }

    #[test]
    fn no_live_daemon_or_no_shards_means_no_scraper_running() {
        let dead = team(vec![daemon("a", false)], 16, &["a"]).summary();
        assert_eq!(dead.text(), "no scraper running");
        assert_eq!(dead.unowned.len(), 16);
        assert!(!dead.is_healthy());
        let empty = TeamStatus {
            now: at(0),
            shards: 0,
            daemons: vec![],
            leases: vec![],
        }
        .summary();
        assert_eq!(empty.text(), "no scraper running");
        assert!(!empty.is_healthy());
    }

    #[test]
    fn shards_print_as_compact_ranges() {
        assert_eq!(TeamStatus::compact_ranges(&[0, 1, 2, 3, 4, 5]), "0-5");
        assert_eq!(
            TeamStatus::compact_ranges(&[9, 7, 0, 1, 2, 3, 10]),
            "0-3,7,9-10"
        );
        assert_eq!(TeamStatus::compact_ranges(&[4]), "4");
        assert_eq!(TeamStatus::compact_ranges(&[]), "-");
    }
}
