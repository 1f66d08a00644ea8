//! Small integer ids for the strings that repeat millions of times per cycle.
//!
//! A real cycle has ≈ 960k outcomes but only ≈ 50 market ids, ≈ 30 outcome names and three
//! books. Storing each as a `u32` keeps the last-seen state compact, and comparing ids instead
//! of strings keeps the hot path free of allocation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// The multiply-rotate hash used by rustc (`FxHash`). The keys here are short, trusted strings
/// and integers from our own feeds, so SipHash's DoS resistance buys nothing and costs most of
/// the interning time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // The length first, so zero padding of the last word cannot make "1" and "1\0" collide.
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Byte by byte: a variable-length copy would be a `memcpy` call per short string.
            let word = rest
                .iter()
                .rev()
                .fold(0u64, |word, &byte| (word << 8) | u64::from(byte));
            self.add(word);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Equality of two short strings without a `bcmp` call: names here are a few bytes long, and
/// the call costs more than the comparison.
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// Maps strings to dense `u32` ids and back. Ids are never reused, so an id stored in the
/// state stays valid for the detector's lifetime.
#[derive(Default, Debug)]
pub(crate) struct Interner {
    ids: FxHashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Interner {
    /// The id of `name`, allocating one the first time it is seen.
    #[inline]
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 4 billion distinct names");
        let shared: Arc<str> = Arc::from(name);
        self.names.push(Arc::clone(&shared));
        self.ids.insert(shared, id);
        id
    }

    /// The id of `name` if it was ever interned.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The string behind an id.
    #[inline]
    pub(crate) fn name(&self, id: u32) -> &Arc<str> {
        &self.names[id as usize]
    }

    /// How many distinct strings are interned.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Approximate heap bytes: the strings, the id vector and the hash table.
    pub(crate) fn heap_bytes(&self) -> usize {
        let strings: usize = self.names.iter().map(|n| n.len() + 16).sum();
        let table = self.ids.capacity() * (std::mem::size_of::<(Arc<str>, u32)>() + 1);
        strings + self.names.capacity() * std::mem::size_of::<Arc<str>>() + table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_string_always_gets_the_same_id() {
        let mut interner = Interner::default();
        let over = interner.intern("Over");
        let under = interner.intern("Under");
        assert_ne!(over, under);
        assert_eq!(interner.intern("Over"), over);
        assert_eq!(interner.get("Under"), Some(under));
        assert_eq!(interner.get("Draw"), None);
        assert_eq!(&**interner.name(under), "Under");
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn fx_hash_distinguishes_short_strings_of_different_length() {
        use std::hash::Hash;
        let hash = |s: &str| {
            let mut h = FxHasher::default();
            s.hash(&mut h);
            h.finish()
        };
        assert_ne!(hash("1"), hash("1\0"));
        assert_ne!(hash("X"), hash("2"));
        assert_ne!(hash("12"), hash("21"));
    }

    #[test]
    fn same_name_compares_short_and_long_strings() {
        assert!(same_name("Over", "Over"));
        assert!(!same_name("Over", "Under"));
        assert!(!same_name("1X", "X1"));
        assert!(same_name("", ""));
        let long = "Over/Under | Full Time";
        assert!(same_name(long, &String::from(long)));
        assert!(!same_name(long, "Over/Under | First Half"));
    }
}
