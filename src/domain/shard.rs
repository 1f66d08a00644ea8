//! Shards and their leases (DESIGN §11): which shard an event belongs to, and how a daemon
//! balances its leases against the other live daemons. Pure: the store runs the plan in one
//! transaction ([`crate::store::Store::lease_round`]).

/// Shards when `scrape.shards` is not set.
pub const DEFAULT_SHARDS: u16 = 16;

/// The shard of an event: FNV-1a (64-bit) of its SportRadar id's bytes, modulo `shards`.
///
/// Stable by contract: every daemon, every version and every platform puts an event in the same
/// shard, so the hash must never change (a test pins known values). `shards` of 0 counts as 1.
pub fn shard_of(event_key: &str, shards: u16) -> u16 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = event_key
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    (hash % u64::from(shards.max(1))) as u16
}

/// What one daemon does with its leases in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeasePlan {
    /// Held shards it keeps and renews.
    pub renew: Vec<u16>,
    /// Held shards it gives up (it holds more than its share), highest first.
    pub release: Vec<u16>,
    /// How many more shards it should claim (expired or free ones, lowest first).
    pub claim: u16,
}

/// The number of shards daemon `me` should hold when `live` (every live daemon's id, `me`
/// included, in any order) share `shards`: `shards / live` each, and one more for the first
/// `shards % live` daemons in id order, so the shares add up to `shards` and every daemon works
/// out the same split on its own. `me` not among `live` counts as live.
pub fn fair_share(shards: u16, live: &[String], me: &str) -> u16 {
    let mut ids: Vec<&str> = live.iter().map(String::as_str).collect();
    ids.push(me);
    ids.sort_unstable();
    ids.dedup();
    // `ids` holds `me`, so the position is always found and the count is at least 1.
    let rank = ids.binary_search(&me).unwrap_or_default();
    let daemons = ids.len();
    let base = usize::from(shards) / daemons;
    let extra = usize::from(shards) % daemons;
    // base + 1 <= shards: base is below shards whenever extra is non-zero.
    (base + usize::from(rank < extra)) as u16
}

/// Plans one lease round for daemon `me`, holding `held`, with `live` daemons: keep up to its
/// fair share (lowest shards kept), release the rest, and claim what it lacks.
pub fn plan_round(shards: u16, held: &[u16], live: &[String], me: &str) -> LeasePlan {
    let share = usize::from(fair_share(shards, live, me));
    let mut held: Vec<u16> = held.to_vec();
    held.sort_unstable();
    held.dedup();
    // A shard outside `0..shards` (the count changed under it) is given up first.
    let (mut renew, mut release): (Vec<u16>, Vec<u16>) = held.iter().partition(|&&s| s < shards);
    if renew.len() > share {
        release.extend(renew.split_off(share));
    }
    release.sort_unstable_by(|a, b| b.cmp(a));
    let claim = (share - renew.len()) as u16;
    LeasePlan {
        renew,
        release,
        claim,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_of_is_pinned_and_in_range() {
        // FNV-1a 64 of "" is the offset basis; pinned so the hash never changes unnoticed.
        assert_eq!(shard_of("", 16), (0xcbf2_9ce4_8422_2325u64 % 16) as u16);
        for key in ["61000007", "sr:match:1", "x"] {
            assert!(shard_of(key, 16) < 16);
            assert_eq!(shard_of(key, 16), shard_of(key, 16));
        }
        assert_eq!(shard_of("61000007", 1), 0);
        assert_eq!(shard_of("61000007", 0), 0);
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("host:{}:{i:02}", 100 + i)).collect()
    }

    #[test]
    fn the_shares_add_up_and_differ_by_at_most_one() {
        for daemons in [1, 2, 3, 5, 16, 17] {
            let live = ids(daemons);
            let shares: Vec<u16> = live.iter().map(|me| fair_share(16, &live, me)).collect();
            assert_eq!(
                shares.iter().sum::<u16>(),
                16,
                "{daemons} daemons: {shares:?}"
            );
            let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
            assert!(hi - lo <= 1, "{daemons} daemons: {shares:?}");
        }
        let live = ids(3);
        let shares: Vec<u16> = live.iter().map(|me| fair_share(16, &live, me)).collect();
        assert_eq!(
            shares,
            vec![6, 5, 5],
            "the first id in order takes the extra shard"
        );
        let live = ids(17);
        let shares: Vec<u16> = live.iter().map(|me| fair_share(16, &live, me)).collect();
        assert_eq!(shares[..16], [1; 16]);
        assert_eq!(shares[16], 0, "the 17th daemon idles");
    }

    #[test]
    fn every_daemon_works_out_the_same_split_alone() {
        let live = ids(5);
        let expected: Vec<u16> = live.iter().map(|me| fair_share(16, &live, me)).collect();
        assert_eq!(expected, vec![4, 3, 3, 3, 3]);
        // Each daemon sees the list in its own order (as its query returned it).
        for (i, me) in live.iter().enumerate() {
            let mut seen = live.clone();
            seen.rotate_left(i);
            seen.reverse();
            assert_eq!(fair_share(16, &seen, me), expected[i], "{me}");
            // Duplicates do not count twice.
            seen.push(me.clone());
            assert_eq!(fair_share(16, &seen, me), expected[i], "{me}");
        }
    }

    #[test]
    fn a_daemon_missing_from_live_counts_as_live() {
        let others = ids(2);
        // "host:102:02" sorts after both, so it is third of three: 16 = 6 + 5 + 5.
        assert_eq!(fair_share(16, &others, "host:102:02"), 5);
        assert_eq!(fair_share(16, &others, "a-first"), 6);
        assert_eq!(fair_share(16, &[], "alone"), 16);
        assert_eq!(fair_share(0, &others, "alone"), 0);
    }

    #[test]
    fn over_its_share_it_keeps_the_lowest_and_releases_the_highest_first() {
        let live = ids(3);
        let all: Vec<u16> = (0..16).rev().collect();
        let plan = plan_round(16, &all, &live, &live[1]);
        assert_eq!(plan.renew, vec![0, 1, 2, 3, 4]);
        assert_eq!(plan.release, (5..16).rev().collect::<Vec<u16>>());
        assert_eq!(plan.claim, 0);
        let plan = plan_round(16, &[9, 2, 14, 7, 2], &ids(4), &live[0]);
        assert_eq!(plan.renew, vec![2, 7, 9, 14], "a share of 4 keeps all four");
        assert!(plan.release.is_empty());
        assert_eq!(plan.claim, 0);
    }

    #[test]
    fn under_its_share_it_claims_what_it_lacks() {
        let live = ids(3);
        assert_eq!(
            plan_round(16, &[], &live, &live[0]),
            LeasePlan {
                renew: vec![],
                release: vec![],
                claim: 6
            }
        );
        let plan = plan_round(16, &[3, 12], &live, &live[2]);
        assert_eq!(
            (plan.renew, plan.release, plan.claim),
            (vec![3, 12], vec![], 3)
        );
        let plan = plan_round(16, &[], &[], "alone");
        assert_eq!(plan.claim, 16);
    }

    #[test]
    fn shards_beyond_the_count_are_released() {
        let plan = plan_round(8, &[1, 9, 12], &[], "alone");
        assert_eq!(plan.renew, vec![1]);
        assert_eq!(plan.release, vec![12, 9]);
        assert_eq!(plan.claim, 7);
    }

    #[test]
    fn rounds_of_every_daemon_converge_on_the_split() {
        // Simulates the table: each daemon in turn keeps, releases and claims the lowest free.
        for daemons in [1, 2, 3, 5, 16, 17] {
            let live = ids(daemons);
            let mut owner: Vec<Option<usize>> = vec![None; 16];
            for _ in 0..2 {
                for (d, me) in live.iter().enumerate() {
                    let held: Vec<u16> = (0..16u16)
                        .filter(|&s| owner[s as usize] == Some(d))
                        .collect();
                    let plan = plan_round(16, &held, &live, me);
                    for s in &plan.release {
                        owner[*s as usize] = None;
                    }
                    let free: Vec<usize> = (0..16).filter(|&s| owner[s].is_none()).collect();
                    for s in free.into_iter().take(plan.claim.into()) {
                        owner[s] = Some(d);
                    }
                }
            }
            for (d, me) in live.iter().enumerate() {
                let held = owner.iter().filter(|o| **o == Some(d)).count();
                assert_eq!(
                    held,
                    usize::from(fair_share(16, &live, me)),
                    "{daemons} daemons"
                );
            }
            assert!(
                owner.iter().all(Option::is_some),
                "{daemons} daemons: {owner:?}"
            );
        }
    }
}
