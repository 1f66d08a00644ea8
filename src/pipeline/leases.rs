//! The pipeline's side of shard leases (DESIGN §11): a daemon's registration, the leases it
//! holds, and what each round changes for the detector.
//!
//! # Choices
//!
//! - **A round at the start of every cycle.** It heartbeats, renews, releases and claims in one
//!   transaction ([`Store::lease_round`]). When the database does not answer, the daemon keeps
//!   believing it holds what it held and goes on: its writes carry a [`Fence`], so whatever it
//!   detects on a shard another daemon has claimed since is refused, never written twice.
//! - **State follows the leases.** Shards lost or released have their events' detector state
//!   dropped (a later claim warms them again from the database, which the new owner kept up to
//!   date); shards acquired are dropped and then warmed from the database after the claim
//!   committed, before anything is detected on them.
//! - **A refused round** ([`StoreError::Leases`], e.g. another `scrape.shards` among the live
//!   daemons) leaves the daemon holding nothing, so it scrapes nothing rather than fight.

use std::collections::BTreeSet;

use crate::domain::shard_of;
use crate::store::{DaemonRegistration, Fence, HeldLease, LeaseRound, Store, StoreError};

/// What a lease round means for the detector: shards whose events' state is dropped, and those
/// then warmed from the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardChanges {
    /// Shards lost, released or acquired: their events' state is dropped first.
    pub forget: Vec<u16>,
    /// Shards acquired: their events are warmed from the database after the drop.
    pub warm: Vec<u16>,
}

impl ShardChanges {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.forget.is_empty() && self.warm.is_empty()
    }
}

/// The epoch a fence gives a shard its daemon does not hold: epochs start at 0 and only grow,
/// so no lease matches it and the batch is refused.
pub const NOT_HELD_EPOCH: i64 = -1;

/// One daemon's leases: who it is and what it holds now.
#[derive(Debug, Clone)]
pub struct LeaseKeeper {
    me: DaemonRegistration,
    held: Vec<HeldLease>,
    /// Live daemons at the last round that answered (this one included).
    live_daemons: usize,
}

impl LeaseKeeper {
    /// A keeper for `me`, holding nothing yet.
    pub fn new(me: DaemonRegistration) -> Self {
        LeaseKeeper {
            me,
            held: Vec::new(),
            live_daemons: 0,
        }
    }

    /// The daemon's id.
    pub fn id(&self) -> &str {
        &self.me.id
    }

    /// The shards held now, with their epochs.
    pub fn held(&self) -> &[HeldLease] {
        &self.held
    }

    /// Live daemons at the last round that answered.
    pub fn live_daemons(&self) -> usize {
        self.live_daemons
    }

    /// `scrape.shards`: how many shards the events are split into.
    pub fn shards(&self) -> u16 {
        self.me.shards
    }

    /// Stops scraping `shards` without releasing them in the database (their state could not
    /// be warmed): the next round that still finds them held warms them again.
    pub fn drop_shards(&mut self, shards: &BTreeSet<u16>) {
        self.held.retain(|l| !shards.contains(&l.shard));
    }

    /// Whether the event `event_key` is in a held shard.
    pub fn holds_event(&self, event_key: &str) -> bool {
        let shard = shard_of(event_key, self.me.shards);
        self.held.iter().any(|l| l.shard == shard)
    }

    /// The fence of a batch of `event_keys`: this daemon and the held leases of their shards. A
    /// shard of the batch this daemon does not hold is fenced at [`NOT_HELD_EPOCH`], which no
    /// lease row ever has, so the batch is refused naming it rather than written unfenced.
    pub fn fence_for<'a>(&self, event_keys: impl IntoIterator<Item = &'a str>) -> Fence {
        let shards: BTreeSet<u16> = event_keys
            .into_iter()
            .map(|k| shard_of(k, self.me.shards))
            .collect();
        Fence {
            owner: self.me.id.clone(),
            leases: shards
                .into_iter()
                .map(|shard| {
                    self.held
                        .iter()
                        .find(|l| l.shard == shard)
                        .copied()
                        .unwrap_or(HeldLease {
                            shard,
                            epoch: NOT_HELD_EPOCH,
                        })
                })
                .collect(),
        }
    }

    /// Runs one lease round on `store` and returns what it changes for the detector. When the
    /// database does not answer, the held shards are kept (see the module docs).
    pub async fn round(&mut self, store: &Store) -> ShardChanges {
        match store.lease_round(&self.me, &self.held).await {
            Ok(round) => {
                let changes = self.apply(&round);
                if !changes.is_empty() {
                    tracing::info!(
                        daemon = %self.me.id,
                        held = ?self.held.iter().map(|l| l.shard).collect::<Vec<_>>(),
                        acquired = ?round.acquired,
                        released = ?round.released,
                        lost = ?round.lost,
                        live_daemons = round.live_daemons,
                        "shard leases changed"
                    );
                }
                changes
            }
            Err(StoreError::Leases(message)) => {
                tracing::error!(daemon = %self.me.id, %message, "the lease table refuses this daemon; it scrapes nothing until that is fixed");
                self.give_up_all()
            }
            Err(e) => {
                tracing::warn!(daemon = %self.me.id, error = %e, held = self.held.len(), "lease round failed; keeping the shards held (their writes are fenced)");
                ShardChanges::default()
            }
        }
    }

    /// Takes a round's answer: holds what it says and reports what changed.
    pub fn apply(&mut self, round: &LeaseRound) -> ShardChanges {
        self.live_daemons = round.live_daemons;
        let before: BTreeSet<u16> = self.held.iter().map(|l| l.shard).collect();
        let now: BTreeSet<u16> = round.held.iter().map(|l| l.shard).collect();
        let mut forget: BTreeSet<u16> = round.lost.iter().copied().collect();
        forget.extend(round.released.iter().copied());
        forget.extend(round.acquired.iter().copied());
        // Whatever else vanished from the held set (reported or not) is not ours any more.
        forget.extend(before.difference(&now).copied());
        let mut warm: BTreeSet<u16> = round.acquired.iter().copied().collect();
        // Held now but not before (e.g. dropped after a failed warm, kept by the database):
        // its state is gone, so it is warmed like a claim.
        warm.extend(now.difference(&before).copied());
        forget.extend(now.difference(&before).copied());
        // A held shard whose epoch moved was claimed anew (by us): warm it like a new one.
        for lease in &round.held {
            if let Some(old) = self.held.iter().find(|l| l.shard == lease.shard)
                && old.epoch != lease.epoch
            {
                forget.insert(lease.shard);
                warm.insert(lease.shard);
            }
        }
        warm.retain(|s| now.contains(s));
        let mut held = round.held.clone();
        held.sort();
        self.held = held;
        ShardChanges {
            forget: forget.into_iter().collect(),
            warm: warm.into_iter().collect(),
        }
    }

    /// Holds nothing any more; returns the shards to forget.
    fn give_up_all(&mut self) -> ShardChanges {
        let forget = self.held.iter().map(|l| l.shard).collect();
        self.held.clear();
        ShardChanges {
            forget,
            warm: Vec::new(),
        }
    }

    /// A clean stop: every lease released at once so the others take the shards in their next
    /// round. Failures are logged (the leases then expire on their own).
    pub async fn release(&mut self, store: &Store) {
        match store.release_leases(&self.me.id).await {
            Ok(released) => {
                tracing::info!(daemon = %self.me.id, released, "shard leases released")
            }
            Err(e) => {
                tracing::warn!(daemon = %self.me.id, error = %e, "could not release the shard leases; they expire on their own")
            }
        }
        self.held.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;

    use super::*;

    fn keeper(shards: u16) -> LeaseKeeper {
        LeaseKeeper::new(DaemonRegistration {
            id: "host:1:abc".into(),
            host: "host".into(),
            pid: 1,
            version: "test".into(),
            shards,
            lease: Duration::from_secs(3),
            started_at: Utc::now(),
        })
    }

    fn lease(shard: u16, epoch: i64) -> HeldLease {
        HeldLease { shard, epoch }
    }

    #[test]
    fn the_first_round_warms_everything_it_acquires() {
        let mut k = keeper(4);
        let changes = k.apply(&LeaseRound {
            held: vec![lease(1, 1), lease(0, 1)],
            acquired: vec![0, 1],
            live_daemons: 2,
            ..LeaseRound::default()
        });
        assert_eq!(changes.warm, vec![0, 1]);
        assert_eq!(changes.forget, vec![0, 1]);
        assert_eq!(k.held(), &[lease(0, 1), lease(1, 1)], "sorted by shard");
        assert_eq!(k.live_daemons(), 2);
    }

    #[test]
    fn lost_and_released_shards_are_forgotten_not_warmed() {
        let mut k = keeper(4);
        k.apply(&LeaseRound {
            held: vec![lease(0, 1), lease(1, 1), lease(2, 1)],
            acquired: vec![0, 1, 2],
            ..LeaseRound::default()
        });
        let changes = k.apply(&LeaseRound {
            held: vec![lease(0, 1)],
            released: vec![2],
            lost: vec![1],
            ..LeaseRound::default()
        });
        assert_eq!(changes.forget, vec![1, 2]);
        assert!(changes.warm.is_empty());
        assert_eq!(k.held(), &[lease(0, 1)]);
    }

    #[test]
    fn a_kept_shard_changes_nothing() {
        let mut k = keeper(4);
        k.apply(&LeaseRound {
            held: vec![lease(3, 7)],
            acquired: vec![3],
            ..LeaseRound::default()
        });
        let changes = k.apply(&LeaseRound {
            held: vec![lease(3, 7)],
            ..LeaseRound::default()
        });
        assert!(changes.is_empty());
    }

    #[test]
    fn a_held_shard_reclaimed_at_a_new_epoch_is_warmed_again() {
        let mut k = keeper(4);
        k.apply(&LeaseRound {
            held: vec![lease(3, 7)],
            acquired: vec![3],
            ..LeaseRound::default()
        });
        let changes = k.apply(&LeaseRound {
            held: vec![lease(3, 9)],
            ..LeaseRound::default()
        });
        assert_eq!(changes.forget, vec![3]);
        assert_eq!(changes.warm, vec![3]);
    }

    #[test]
    fn a_shard_missing_from_the_answer_is_forgotten_even_unreported() {
        let mut k = keeper(4);
        k.apply(&LeaseRound {
            held: vec![lease(0, 1), lease(1, 1)],
            acquired: vec![0, 1],
            ..LeaseRound::default()
        });
        let changes = k.apply(&LeaseRound {
            held: vec![lease(0, 1)],
            ..LeaseRound::default()
        });
        assert_eq!(changes.forget, vec![1]);
    }

    #[test]
    fn a_fence_names_the_held_leases_of_the_batch_events_only() {
        let mut k = keeper(16);
        let a = "sr:match:1";
        let b = "sr:match:2";
        let (sa, sb) = (shard_of(a, 16), shard_of(b, 16));
        assert_ne!(sa, sb, "pick two events of different shards");
        k.apply(&LeaseRound {
            held: vec![lease(sa, 4), lease(sb, 5)],
            acquired: vec![sa, sb],
            ..LeaseRound::default()
        });
        let fence = k.fence_for([a, a]);
        assert_eq!(fence.owner, "host:1:abc");
        assert_eq!(fence.leases, vec![lease(sa, 4)]);
        assert!(k.holds_event(a) && k.holds_event(b));
        let other = (0..100)
            .map(|i| format!("sr:match:{i}"))
            .find(|e| ![sa, sb].contains(&shard_of(e, 16)))
            .unwrap();
        assert!(!k.holds_event(&other));
        // Regression: an event of a shard not held was left out of the fence, so its rows
        // would have been written unfenced; it is fenced at an epoch no lease has.
        let fence = k.fence_for([a, other.as_str()]);
        let mut expected = vec![lease(sa, 4), lease(shard_of(&other, 16), NOT_HELD_EPOCH)];
        expected.sort_by_key(|l| l.shard);
        assert_eq!(fence.leases, expected);
    }

    #[test]
    fn giving_up_forgets_every_held_shard() {
        let mut k = keeper(4);
        k.apply(&LeaseRound {
            held: vec![lease(0, 1), lease(2, 1)],
            acquired: vec![0, 2],
            ..LeaseRound::default()
        });
        let changes = k.give_up_all();
        assert_eq!(changes.forget, vec![0, 2]);
        assert!(k.held().is_empty());
    }
}
