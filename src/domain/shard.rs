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
    let _ = (shards, live, me);
    todo!("issue 17: leases-store")
}

/// Plans one lease round for daemon `me`, holding `held`, with `live` daemons: keep up to its
/// fair share (lowest shards kept), release the rest, and claim what it lacks.
pub fn plan_round(shards: u16, held: &[u16], live: &[String], me: &str) -> LeasePlan {
    let _ = (shards, held, live, me);
    todo!("issue 17: leases-store")
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
}
