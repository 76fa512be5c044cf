//! Word-at-a-time byte scans for the hot loops that look for a few special bytes in long runs of
//! ordinary text (whitespace, bytes JSON must escape, the end of an ASCII run).
//!
//! memchr finds one to three given bytes; these loops need a class of bytes (any byte below
//! 0x21, any byte that starts a multi-byte character, a handful of lead bytes), so they test
//! eight bytes at a time with the classic "has a zero byte" arithmetic on a `u64`. Each mask
//! flags the matching bytes with their high bit; a borrow can also flag bytes *after* a real
//! match, never before one, so the lowest flag is always exact — which is all a "find the first"
//! scan uses.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit of every byte of `v` equal to `c` (exact up to the first match).
#[inline(always)]
fn eq(v: u64, c: u8) -> u64 {
    let x = v ^ (LO * c as u64);
    x.wrapping_sub(LO) & !x & HI
}

/// High bit of every ASCII byte of `v` below `c` (`c` ≤ 0x80; exact up to the first match).
#[inline(always)]
fn lt(v: u64, c: u8) -> u64 {
    v.wrapping_sub(LO * c as u64) & !v & HI
}

/// The first index in `i..end` whose byte `stops`; `mask` is the same test eight bytes at a
/// time (flagging at least the first such byte, exactly).
#[inline(always)]
fn find_first(
    b: &[u8],
    i: usize,
    end: usize,
    mask: impl Fn(u64) -> u64,
    stops: impl Fn(u8) -> bool,
) -> usize {
    let mut chunks = b[i..end].chunks_exact(8);
    let mut at = i;
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let m = mask(u64::from_le_bytes(w));
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = chunks.remainder();
    at + rest.iter().position(|&x| stops(x)).unwrap_or(rest.len())
}

/// The first index in `i..end` of a byte of `set` (ASCII bytes) or of any byte ≥ 0x80; `end`
/// if there is none.
#[inline]
pub fn find_set_or_non_ascii(b: &[u8], i: usize, end: usize, set: &[u8]) -> usize {
    find_first(
        b,
        i,
        end,
        |v| set.iter().fold(v & HI, |m, &c| m | eq(v, c)),
        |x| x >= 0x80 || set.contains(&x),
    )
}

/// The first index in `i..end` of a byte that may start whitespace: an ASCII byte below 0x21
/// or one of the lead bytes C2, E1, E2, E3 (every non-ASCII whitespace character starts with
/// one of them); `end` if there is none. Callers check the character found.
#[cfg(test)]
#[inline]
pub fn find_space_candidate(b: &[u8], i: usize, end: usize) -> usize {
    find_first(
        b,
        i,
        end,
        |v| lt(v, 0x21) | eq(v, 0xC2) | eq(v, 0xE1) | eq(v, 0xE2) | eq(v, 0xE3),
        is_space_candidate,
    )
}

/// Whether `x` is a byte [`find_space_candidate`] stops at.
#[cfg(test)]
#[inline]
pub fn is_space_candidate(x: u8) -> bool {
    x < 0x21 || matches!(x, 0xC2 | 0xE1 | 0xE2 | 0xE3)
}

/// The first index in `i..end` of a byte a JSON string must escape: an ASCII control (below
/// 0x20), `"` or a backslash; `end` if there is none.
#[inline]
pub fn find_json_escape(b: &[u8], i: usize, end: usize) -> usize {
    find_first(
        b,
        i,
        end,
        |v| lt(v, 0x20) | eq(v, b'"') | eq(v, b'\\'),
        is_json_escape,
    )
}

/// Whether `x` is a byte [`find_json_escape`] stops at.
#[inline]
pub fn is_json_escape(x: u8) -> bool {
    x < 0x20 || x == b'"' || x == b'\\'
}

/// The length of the run of ASCII bytes at the start of `b`.
#[inline]
pub fn ascii_prefix(b: &[u8]) -> usize {
    find_set_or_non_ascii(b, 0, b.len(), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every start, every end and every byte value at every position of a window, against the
    /// byte-at-a-time definition.
    #[test]
    fn scans_equal_their_definitions() {
        let set = [b'.', b'!', b'?'];
        let mut buf = *b"Toute personne a droit. Vraiment? Oui!  \t\n fin";
        for pos in 0..20 {
            let keep = buf[pos];
            for x in 0..=255u8 {
                buf[pos] = x;
                for i in 0..buf.len() {
                    for end in i..=buf.len().min(i + 20) {
                        let want = (i..end)
                            .find(|&k| buf[k] >= 0x80 || set.contains(&buf[k]))
                            .unwrap_or(end);
                        assert_eq!(find_set_or_non_ascii(&buf, i, end, &set), want);
                        let want = (i..end)
                            .find(|&k| is_space_candidate(buf[k]))
                            .unwrap_or(end);
                        assert_eq!(find_space_candidate(&buf, i, end), want);
                        let want = (i..end).find(|&k| is_json_escape(buf[k])).unwrap_or(end);
                        assert_eq!(find_json_escape(&buf, i, end), want);
                    }
                }
            }
            buf[pos] = keep;
        }
    }
}
