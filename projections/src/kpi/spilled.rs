//! The keys of the facts a rebuild has written and forgotten, as a Bloom
//! filter of fixed size. Most facts a batch names are new (a completion
//! is recorded once), and without it each would be looked up in the table
//! to find nothing: a third of a full-scale rebuild. A key the filter has
//! never seen is certainly not in the table; one it may have seen is
//! looked up. Its size is fixed, so a longer log only makes the second
//! answer wrong a little more often, never the memory larger.

use std::hash::{DefaultHasher, Hash, Hasher};

/// 2^27 bits (16 MiB): about one lookup in a million is needless at ten
/// million facts.
const BITS: u64 = 1 << 27;

/// Bits set for each key.
const PROBES: u64 = 4;

pub(super) struct Spilled {
    bits: Vec<u64>,
}

impl Spilled {
    pub fn new() -> Self {
        Spilled {
            bits: vec![0; (BITS / 64) as usize],
        }
    }

    pub fn insert(&mut self, key: &str) {
        for bit in bits_of(key) {
            self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// False only for a key never inserted.
    pub fn may_contain(&self, key: &str) -> bool {
        bits_of(key).all(|bit| self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }
}

/// The key's bits, by double hashing (Kirsch and Mitzenmacher).
fn bits_of(key: &str) -> impl Iterator<Item = u64> {
    let hash = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    let (a, b) = (hash(0), hash(1) | 1);
    (0..PROBES).map(move |i| a.wrapping_add(i.wrapping_mul(b)) % BITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_inserted_is_always_found_and_most_others_are_not() {
        let mut spilled = Spilled::new();
        for i in 0..100_000 {
            spilled.insert(&format!("cmp:{i}"));
        }
        assert!((0..100_000).all(|i| spilled.may_contain(&format!("cmp:{i}"))));
        let wrong = (0..100_000)
            .filter(|i| spilled.may_contain(&format!("att:{i}")))
            .count();
        assert!(
            wrong < 10,
            "{wrong} of 100 000 keys never inserted were reported as seen"
        );
    }
}
