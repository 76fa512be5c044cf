//! The LSH buckets of the near-duplicate index: band key → the first unit that had it.
//!
//! The table is the index's largest part (on the benchmark corpus about 27 band keys per
//! paragraph, most of them unique) and it is probed at random, so a probe is a cache miss. It is
//! an open-addressing table of cache lines of five slots (the key's two halves and the unit),
//! a key's home line chosen by its low bits — band keys are xxh3 hashes already — and a full
//! line continued in the next one. Against a general hash map: "look up, else insert" is one
//! probe, nothing is hashed again, a key almost always lies in its home line, and the home lines
//! of a unit's keys can be loaded all at once ([`Buckets::touch`]) so that their cache misses
//! overlap instead of following one another. Doubling keeps a line's keys in two lines, `i` and
//! `i + n`, so the move is two sequential streams.

/// The unit of a vacant slot (no unit has this number: there are never 2³² − 1 of them).
const VACANT: u32 = u32::MAX;
/// Slots per line.
const WAYS: usize = 5;

/// Five slots in one cache line; slots fill from the first.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Line {
    lo: [u32; WAYS],
    hi: [u32; WAYS],
    unit: [u32; WAYS],
}

const EMPTY_LINE: Line = Line {
    lo: [0; WAYS],
    hi: [0; WAYS],
    unit: [VACANT; WAYS],
};

#[derive(Debug, Default)]
pub(super) struct Buckets {
    /// A power of two of them, or none.
    lines: Vec<Line>,
    len: usize,
}

impl Buckets {
    /// Number of keys stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[cfg(any(test, feature = "internals"))]
    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<Line>()
    }

    /// Reads the home line of each key, so that the probes that follow find them in the cache:
    /// the loads are independent, and the processor runs them at the same time. Returns a value
    /// made of them, for the caller to keep the loads from being optimized away.
    pub fn touch(&self, keys: &[u64]) -> u32 {
        let mask = self.lines.len().wrapping_sub(1);
        keys.iter().fold(0, |acc, &k| {
            acc ^ self.lines.get(k as usize & mask).map_or(0, |l| l.unit[0])
        })
    }

    /// The unit stored under `key`; if there is none, stores `unit` under it and returns `None`.
    pub fn get_or_insert(&mut self, key: u64, unit: u32) -> Option<u32> {
        // At most 3/4 full.
        if (self.len + 1) * 4 > self.lines.len() * WAYS * 3 {
            self.grow();
        }
        let mask = self.lines.len() - 1;
        let (lo, hi) = (key as u32, (key >> 32) as u32);
        let mut i = key as usize & mask;
        loop {
            let l = &mut self.lines[i];
            for j in 0..WAYS {
                if l.unit[j] == VACANT {
                    l.lo[j] = lo;
                    l.hi[j] = hi;
                    l.unit[j] = unit;
                    self.len += 1;
                    return None;
                }
                if l.lo[j] == lo && l.hi[j] == hi {
                    return Some(l.unit[j]);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the lines (at least 256) and places the keys again.
    fn grow(&mut self) {
        let n = (self.lines.len() * 2).max(256);
        let mut lines = Vec::with_capacity(n);
        crate::util::hugepages::advise(&lines);
        lines.resize(n, EMPTY_LINE);
        let old = std::mem::replace(&mut self.lines, lines);
        let mask = n - 1;
        for l in &old {
            for j in (0..WAYS).take_while(|&j| l.unit[j] != VACANT) {
                let mut i = (l.lo[j] as usize | (l.hi[j] as usize) << 32) & mask;
                loop {
                    let d = &mut self.lines[i];
                    if let Some(k) = d.unit.iter().position(|&u| u == VACANT) {
                        d.lo[k] = l.lo[j];
                        d.hi[k] = l.hi[j];
                        d.unit[k] = l.unit[j];
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn equal_to_a_map_of_the_first_unit() {
        let mut b = Buckets::default();
        let mut want: HashMap<u64, u32> = HashMap::new();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for unit in 0..20_000u32 {
            for _ in 0..8 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Few distinct keys (many repeats), and keys equal in their low bits.
                let key = match unit % 3 {
                    0 => x >> 50,
                    1 => (x >> 50) << 40,
                    _ => x,
                };
                let got = b.get_or_insert(key, unit);
                let prev = want.get(&key).copied();
                if prev.is_none() {
                    want.insert(key, unit);
                }
                assert_eq!(got, prev);
            }
            let keys = [x, x >> 50, 0];
            let _ = b.touch(&keys);
        }
        assert_eq!(b.len(), want.len());
        assert_eq!(Buckets::default().touch(&[1, 2, 3]), 0);
    }
}
