//! The byte scanner of the crate: where in a stretch of text the next byte of a given set is.
//!
//! Several hot loops skip long runs of ordinary text up to a few special bytes: the lead bytes
//! of sentence terminators (segment), of the characters a normalization rule changes
//! (normalize), of whitespace that rendering folds (render), the bytes JSON must escape
//! (output), the end of an ASCII run. `memchr` finds one to three given bytes; these need a set
//! of any size, so each is a [`ByteSet`], built at compile time from the bytes it names, and
//! all of them are scanned by the same code.
//!
//! On x86-64 CPUs with SSSE3 the scan tests sixteen bytes at a time with two table lookups
//! (`pshufb`) per chunk: the set is split by a byte's low four bits into a table of 16 bytes,
//! each holding one bit per value of the high bits. (This is the "truffle" matcher of
//! Hyperscan.) Elsewhere a plain loop looks each byte up in a 256-entry table; both are tested
//! against the one-line definition. Callers that want only some characters starting with those
//! bytes pass a check ([`ByteSet::find_by`]) that is asked at each byte found, in order.

#[cfg(target_arch = "x86_64")]
use crate::util::cpu::Ssse3;

/// A set of byte values, with the tables the scan needs.
#[derive(Clone, Copy, Debug)]
pub struct ByteSet {
    member: [bool; 256],
    /// For the bytes below 0x80, by their low four bits: bit `h` for the byte `h << 4 | low`.
    low_half: [u8; 16],
    /// The same for the bytes from 0x80 up: bit `h` for the byte `0x80 | h << 4 | low`.
    high_half: [u8; 16],
}

impl ByteSet {
    /// The set of no byte.
    pub const EMPTY: ByteSet = ByteSet {
        member: [false; 256],
        low_half: [0; 16],
        high_half: [0; 16],
    };

    /// The set of `bytes`.
    pub const fn of(bytes: &[u8]) -> ByteSet {
        let mut s = ByteSet::EMPTY;
        let mut k = 0;
        while k < bytes.len() {
            s = s.with(bytes[k]);
            k += 1;
        }
        s
    }

    /// This set and the byte `b`.
    pub const fn with(mut self, b: u8) -> ByteSet {
        self.member[b as usize] = true;
        let bit = 1 << ((b >> 4) & 7);
        if b < 0x80 {
            self.low_half[(b & 0xF) as usize] |= bit;
        } else {
            self.high_half[(b & 0xF) as usize] |= bit;
        }
        self
    }

    /// This set and the bytes `first..=last`.
    pub const fn with_range(mut self, first: u8, last: u8) -> ByteSet {
        let mut b = first as u32;
        while b <= last as u32 {
            self = self.with(b as u8);
            b += 1;
        }
        self
    }

    /// Whether `b` is in the set.
    #[inline(always)]
    pub fn contains(&self, b: u8) -> bool {
        self.member[b as usize]
    }

    /// The first index in `from..end` of a byte of the set; `end` if there is none (also when
    /// `from >= end`). `end` is clamped to `hay.len()`.
    #[inline]
    pub fn find(&self, hay: &[u8], from: usize, end: usize) -> usize {
        self.find_by(hay, from, end, |_| true)
    }

    /// The first index `k` in `from..end` of a byte of the set for which `accept(k)` is true;
    /// `end` if there is none. `accept` is called at each byte of the set in order, until it
    /// accepts one. The scan may read the bytes of `hay` after `end`, never `accept` them.
    #[inline]
    pub fn find_by(
        &self,
        hay: &[u8],
        from: usize,
        end: usize,
        accept: impl FnMut(usize) -> bool,
    ) -> usize {
        let end = end.min(hay.len());
        if from >= end {
            return end;
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(cpu) = Ssse3::detect() {
            // SAFETY: the token proves that this CPU has SSSE3, all that `find_ssse3` needs.
            return unsafe { find_ssse3(cpu, self, hay, from, end, accept) };
        }
        find_portable(self, hay, from, end, accept)
    }
}

/// [`ByteSet::find_by`] a byte at a time (`from < end <= hay.len()`).
#[inline(always)]
fn find_portable(
    set: &ByteSet,
    hay: &[u8],
    from: usize,
    end: usize,
    mut accept: impl FnMut(usize) -> bool,
) -> usize {
    (from..end)
        .find(|&k| set.contains(hay[k]) && accept(k))
        .unwrap_or(end)
}

/// [`ByteSet::find_by`] sixteen bytes at a time (`from < end <= hay.len()`); the last chunk may
/// read up to sixteen bytes past `end` when `hay` has them, with those bytes masked off, and the
/// bytes of a last chunk that `hay` does not fill are left to [`find_portable`].
///
/// # Safety
/// None beyond the token: every load reads sixteen bytes that `first_chunk` proved are in `hay`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn find_ssse3(
    _: Ssse3,
    set: &ByteSet,
    hay: &[u8],
    from: usize,
    end: usize,
    mut accept: impl FnMut(usize) -> bool,
) -> usize {
    use std::arch::x86_64::*;
    let low_half = _mm_loadu_si128(set.low_half.as_ptr().cast());
    let high_half = _mm_loadu_si128(set.high_half.as_ptr().cast());
    let bits = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    let top = _mm_set1_epi8(-128);
    let seven = _mm_set1_epi8(7);
    let mut i = from;
    while i < end {
        let Some(chunk) = hay[i..].first_chunk::<16>() else {
            break;
        };
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        // `pshufb` gives the table byte of the low four bits, or 0 where the index's top bit
        // is set: so each half's table answers only for its own bytes.
        let row = _mm_or_si128(
            _mm_shuffle_epi8(low_half, v),
            _mm_shuffle_epi8(high_half, _mm_xor_si128(v, top)),
        );
        let bit = _mm_shuffle_epi8(bits, _mm_and_si128(_mm_srli_epi16::<4>(v), seven));
        let hits = _mm_cmpeq_epi8(_mm_and_si128(row, bit), bit);
        let mut m = _mm_movemask_epi8(hits) as u32;
        if end - i < 16 {
            m &= (1 << (end - i)) - 1;
        }
        while m != 0 {
            let k = i + m.trailing_zeros() as usize;
            if accept(k) {
                return k;
            }
            m &= m - 1;
        }
        i += 16;
    }
    if i >= end {
        return end;
    }
    find_portable(set, hay, i, end, accept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: the first index in `from..end` whose byte is in `set` and accepted.
    fn definition(
        set: &[u8],
        hay: &[u8],
        from: usize,
        end: usize,
        accept: impl Fn(usize) -> bool,
    ) -> usize {
        let end = end.min(hay.len());
        (from..end)
            .find(|&k| set.contains(&hay[k]) && accept(k))
            .unwrap_or(end)
    }

    fn set_of(bytes: &[u8]) -> ByteSet {
        ByteSet::of(bytes)
    }

    #[test]
    fn every_byte_value_in_every_lane() {
        // Each byte value alone in a set, at each position of a chunk and of the tail.
        let text = "Toute personne a droit à l'éducation. 人人有受教育的权利。".as_bytes();
        for x in 0..=255u8 {
            let set = set_of(&[x]);
            for pos in 0..text.len() {
                let mut hay = text.to_vec();
                hay[pos] = x;
                for from in [0, 1, pos.saturating_sub(1), pos] {
                    for end in [pos, pos + 1, hay.len()] {
                        let want = definition(&[x], &hay, from, end, |_| true);
                        assert_eq!(set.find(&hay, from, end), want, "{x:#x} at {pos}");
                        let e = end.min(hay.len());
                        if from < e {
                            assert_eq!(find_portable(&set, &hay, from, e, |_| true), want);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ranges_and_empty_set() {
        let non_ascii = ByteSet::EMPTY.with_range(0x80, 0xFF);
        let s = "plain ascii, then é".as_bytes();
        assert_eq!(non_ascii.find(s, 0, s.len()), s.len() - 2);
        assert_eq!(ByteSet::EMPTY.find(s, 0, s.len()), s.len());
        assert_eq!(non_ascii.find(s, 5, 3), 3);
        assert_eq!(non_ascii.find(s, 0, 1000), s.len() - 2);
        let all = ByteSet::EMPTY.with_range(0, 255);
        assert!((0..=255u8).all(|b| all.contains(b)));
    }

    proptest! {
        /// Any set, any text, any window, any check: the scan finds what the definition finds,
        /// on the fast path (when the CPU has it) and on the portable path alike.
        #[test]
        fn scan_equals_its_definition(
            set in proptest::collection::vec(any::<u8>(), 0..12),
            hay in proptest::collection::vec(prop_oneof![any::<u8>(), 0x20u8..0x7F], 0..80),
            from in 0usize..90,
            len in 0usize..90,
            modulus in 1usize..4,
        ) {
            let s = set_of(&set);
            let end = from + len;
            let accept = |k: usize| k % modulus == 0;
            let want = definition(&set, &hay, from, end, accept);
            prop_assert_eq!(s.find_by(&hay, from, end, accept), want);
            let e = end.min(hay.len());
            if from < e {
                prop_assert_eq!(find_portable(&s, &hay, from, e, accept), want);
            }
        }
    }
}
