//! Character classes shared by the stages, with fast paths for the common scripts.
//!
//! `char::is_alphabetic` looks non-ASCII characters up in a compressed table (a search per
//! character); in text-heavy stages that lookup is a measurable share of a run. The ranges below
//! are runs of letters in the common scripts, answered without the table; everything else falls
//! back to the standard library, so the result is always exactly `char::is_alphabetic`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Exactly `c.is_alphabetic()`, faster for Latin, Cyrillic, Greek, Hebrew, Arabic, Devanagari,
/// Thai, kana, CJK and Hangul letters.
#[inline]
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    match c as u32 {
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F => true,
        0x391..=0x3A1 | 0x3A3..=0x3CE => true,
        0x400..=0x481 | 0x48A..=0x52F => true,
        0x5D0..=0x5EA | 0x620..=0x64A => true,
        0x904..=0x939 | 0xE01..=0xE30 => true,
        0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 => true,
        _ => c.is_alphabetic(),
    }
}

/// Exactly `c.is_alphanumeric()`, with the fast paths of [`is_letter`].
#[inline]
pub fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_letter(c) || c.is_numeric()
}

/// A class of 16 bits for every character, computed by a classifying function and kept in a
/// table below U+20000 (the Basic and Supplementary Multilingual Planes), filled one block of 128
/// characters at a time the first time a character of the block is asked about. Above U+20000
/// the function is called each time. The answers are exactly the function's.
///
/// For per-character properties that the standard library or a Unicode crate answers with a
/// table search (script, bidi class), asked for every character of the text.
pub struct LazyTable {
    classify: fn(char) -> u16,
    /// Whether a block's classes are filled in.
    ready: [AtomicBool; LazyTable::END as usize / 128],
    /// Four classes per word.
    words: [AtomicU64; LazyTable::END as usize / 4],
}

impl LazyTable {
    /// First code point not in the table.
    const END: u32 = 0x2_0000;

    pub const fn new(classify: fn(char) -> u16) -> LazyTable {
        LazyTable {
            classify,
            ready: [const { AtomicBool::new(false) }; LazyTable::END as usize / 128],
            words: [const { AtomicU64::new(0) }; LazyTable::END as usize / 4],
        }
    }

    /// The class of `c`.
    #[inline]
    pub fn get(&self, c: char) -> u16 {
        let u = c as u32;
        if u >= Self::END {
            return (self.classify)(c);
        }
        let block = (u >> 7) as usize;
        if !self.ready[block].load(Ordering::Acquire) {
            self.fill(block);
        }
        let word = self.words[(u >> 2) as usize].load(Ordering::Relaxed);
        (word >> ((u & 3) * 16)) as u16
    }

    /// Fills the classes of `block`. Threads that race here store the same values.
    #[cold]
    #[inline(never)]
    fn fill(&self, block: usize) {
        for (w, word) in self.words[block * 32..block * 32 + 32].iter().enumerate() {
            let first = ((block * 32 + w) * 4) as u32;
            let mut bits = 0u64;
            for k in 0..4 {
                if let Some(c) = char::from_u32(first + k) {
                    bits |= ((self.classify)(c) as u64) << (k * 16);
                }
            }
            word.store(bits, Ordering::Relaxed);
        }
        self.ready[block].store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_to_the_standard_library_everywhere() {
        for u in 0..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(is_letter(c), c.is_alphabetic(), "U+{u:04X}");
                assert_eq!(is_letter_or_digit(c), c.is_alphanumeric(), "U+{u:04X}");
            }
        }
    }

    #[test]
    fn lazy_table_equals_its_function() {
        fn f(c: char) -> u16 {
            (c as u32 % 65521) as u16 ^ 0x5A5A
        }
        static T: LazyTable = LazyTable::new(f);
        for u in (0..=0x10FFFFu32).rev().step_by(7).chain(0..0x300) {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(T.get(c), f(c), "U+{u:04X}");
            }
        }
    }
}
