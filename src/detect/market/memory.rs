//! The band-entry rule of §9: raise when the band rises above the band last raised.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Band;

/// For each key (an outcome for `off_market`, a market for `margin`; the detector chooses the
/// key type), the band last raised. `off_market` and `margin` are evaluated on every cycle,
/// so without it a price left off the market would raise every five minutes.
///
/// [`BandMemory::should_raise`] is the whole rule: raise only when the current band rises above
/// the one remembered; keep the highest band raised while the figure stays at or above
/// warning; forget the key silently when it falls below warning, so a later return raises
/// again. It serialises as a list of `[key, band]` pairs (sorted by key), so it can be stored,
/// or warmed from stored alerts with [`BandMemory::remember`] at start: a restart raises
/// nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "Vec<(K, Band)>",
    into = "Vec<(K, Band)>",
    bound(
        serialize = "K: Ord + Clone + Serialize",
        deserialize = "K: Ord + Deserialize<'de>"
    )
)]
pub struct BandMemory<K: Ord> {
    raised: BTreeMap<K, Band>,
}

impl<K: Ord> Default for BandMemory<K> {
    fn default() -> Self {
        BandMemory {
            raised: BTreeMap::new(),
        }
    }
}

impl<K: Ord> BandMemory<K> {
    /// An empty memory: everything at or above warning raises once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the key's band this cycle and says whether to raise; updates the memory.
    /// [`Band::None`] forgets the key and never raises.
    pub fn should_raise(&mut self, key: K, band: Band) -> bool {
        if band == Band::None {
            self.raised.remove(&key);
            return false;
        }
        match self.raised.get_mut(&key) {
            Some(last) if *last >= band => false,
            Some(last) => {
                *last = band;
                true
            }
            None => {
                self.raised.insert(key, band);
                true
            }
        }
    }

    /// Records that `band` was raised for `key` (warming from stored alerts): keeps the higher
    /// of it and what is already remembered. [`Band::None`] is ignored.
    pub fn remember(&mut self, key: K, band: Band) {
        if band == Band::None {
            return;
        }
        let last = self.raised.entry(key).or_insert(band);
        *last = (*last).max(band);
    }

    /// The band last raised for `key`, [`Band::None`] when nothing is remembered.
    pub fn band(&self, key: &K) -> Band {
        self.raised.get(key).copied().unwrap_or(Band::None)
    }

    /// True when a band is remembered for some key in `range` (e.g. any outcome of one market).
    pub fn any_in(&self, range: impl std::ops::RangeBounds<K>) -> bool {
        self.raised.range(range).next().is_some()
    }

    /// Keeps only the keys for which `keep` is true (drop the events that kicked off).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.raised.retain(|key, _| keep(key));
    }

    /// Number of keys remembered.
    pub fn len(&self) -> usize {
        self.raised.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.raised.is_empty()
    }
}

impl<K: Ord> From<Vec<(K, Band)>> for BandMemory<K> {
    /// Builds a memory from `(key, band)` pairs as [`BandMemory::remember`] would.
    fn from(entries: Vec<(K, Band)>) -> Self {
        let mut memory = BandMemory::new();
        for (key, band) in entries {
            memory.remember(key, band);
        }
        memory
    }
}

impl<K: Ord> From<BandMemory<K>> for Vec<(K, Band)> {
    fn from(memory: BandMemory<K>) -> Self {
        memory.raised.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_raises_once_and_again_only_when_it_rises() {
        let mut memory = BandMemory::new();
        assert!(memory.should_raise("1", Band::Warning));
        assert!(!memory.should_raise("1", Band::Warning));
        assert!(memory.should_raise("1", Band::Critical));
        assert!(!memory.should_raise("1", Band::Elevated));
        assert!(!memory.should_raise("1", Band::Critical));
        assert_eq!(memory.band(&"1"), Band::Critical);
    }

    #[test]
    fn falling_below_warning_resets_silently() {
        let mut memory = BandMemory::new();
        assert!(memory.should_raise("1", Band::Critical));
        assert!(!memory.should_raise("1", Band::None));
        assert!(memory.is_empty());
        assert!(memory.should_raise("1", Band::Warning));
    }

    #[test]
    fn keys_are_independent() {
        let mut memory = BandMemory::new();
        assert!(memory.should_raise(("e1", "1"), Band::Warning));
        assert!(memory.should_raise(("e1", "2"), Band::Warning));
        assert!(!memory.should_raise(("e1", "1"), Band::None));
        assert_eq!(memory.band(&("e1", "2")), Band::Warning);
        assert_eq!(memory.len(), 1);
    }

    #[test]
    fn a_warmed_memory_raises_nothing_twice() {
        let mut memory = BandMemory::new();
        memory.remember(7u32, Band::Elevated);
        memory.remember(7u32, Band::Warning);
        memory.remember(8u32, Band::None);
        assert_eq!(memory.len(), 1);
        assert!(!memory.should_raise(7, Band::Elevated));
        assert!(memory.should_raise(7, Band::Critical));
    }

    #[test]
    fn the_memory_round_trips_through_json_as_pairs() {
        let mut memory = BandMemory::new();
        memory.should_raise((String::from("61300947"), 3743u32), Band::Critical);
        memory.should_raise((String::from("61300947"), 5000u32), Band::Warning);
        let json = serde_json::to_string(&memory).unwrap();
        assert_eq!(
            json,
            r#"[[["61300947",3743],"critical"],[["61300947",5000],"warning"]]"#
        );
        let back: BandMemory<(String, u32)> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, memory);
    }

    #[test]
    fn any_in_finds_a_remembered_key_in_a_range() {
        let mut memory = BandMemory::new();
        memory.should_raise((5u64, 2u32), Band::Warning);
        assert!(memory.any_in((5, 0)..=(5, u32::MAX)));
        assert!(!memory.any_in((4, 0)..=(4, u32::MAX)));
        assert!(!memory.any_in((6, 0)..=(6, u32::MAX)));
    }

    #[test]
    fn retain_drops_keys() {
        let mut memory = BandMemory::new();
        memory.should_raise(1u32, Band::Warning);
        memory.should_raise(2u32, Band::Warning);
        memory.retain(|k| *k != 1);
        assert_eq!(memory.band(&1), Band::None);
        assert_eq!(memory.band(&2), Band::Warning);
    }
}
