//! Character properties shared by the stages, with fast paths for the common scripts: letters
//! and digits ([`is_letter`], [`is_letter_or_digit`]), whitespace ([`is_ws`], [`is_ascii_ws`]),
//! a lazily filled table of per-character classes ([`LazyTable`]) and the letter, digit and case
//! classes kept in one ([`class`]), and decoding a character at a byte offset of valid UTF-8
//! ([`decode_at`], [`decode_before`]).
//!
//! `char::is_alphabetic` looks non-ASCII characters up in a compressed table (a search per
//! character); in text-heavy stages that lookup is a measurable share of a run. The ranges below
//! are runs of letters in the common scripts, answered without the table; everything else falls
//! back to the standard library, so the result is always exactly `char::is_alphabetic`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use unicode_script::{Script, UnicodeScript};

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

/// The script of `c` by unicode-script, `None` for the Common, Inherited and Unknown scripts
/// (ASCII punctuation and digits, marks, symbols): the script a letter votes for. The common
/// letters of Latin, Greek, Cyrillic, Hebrew and Arabic are answered without the table search.
#[inline]
pub fn letter_script(c: char) -> Option<Script> {
    Some(match c as u32 {
        0x41..=0x5A | 0x61..=0x7A => Script::Latin,
        0..=0x7F => return None,
        // Fast paths for the common letters; everything else asks unicode-script.
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F => Script::Latin,
        0x391..=0x3A1 | 0x3A3..=0x3CE => Script::Greek,
        0x400..=0x481 | 0x48A..=0x52F => Script::Cyrillic,
        0x5D0..=0x5EA => Script::Hebrew,
        0x621..=0x63F | 0x641..=0x64A => Script::Arabic,
        _ => match c.script() {
            Script::Common | Script::Inherited | Script::Unknown => return None,
            s => s,
        },
    })
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

// Whitespace has one definition in the crate: `char::is_whitespace` (Unicode's White_Space),
// U+000B (line tabulation, the manual line break of word processors) included. [`is_ws`],
// [`is_ascii_ws`] and [`WS`] answer it; rendering (`render::ws_len`) folds exactly these
// characters, and the structure stage measures lines with them, so that a measured line is what
// `str::trim` leaves of it. (`u8::is_ascii_whitespace` of the standard library, the WHATWG set,
// leaves U+000B out; it is not used.)

/// Exactly `char::is_whitespace`, without a table search.
#[inline]
pub fn is_ws(c: char) -> bool {
    matches!(
        c as u32,
        0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    )
}

/// `char::is_whitespace` for an ASCII byte (U+000B included, unlike `u8::is_ascii_whitespace`).
#[inline]
pub fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// The character that starts at byte `i` of valid UTF-8 `b` (`i` at a character boundary).
#[inline]
pub fn decode_at(b: &[u8], i: usize) -> char {
    let x = b[i] as u32;
    let cont = |k: usize| (b.get(i + k).copied().unwrap_or(0x80) & 0x3F) as u32;
    let u = if x < 0x80 {
        x
    } else if x < 0xE0 {
        (x & 0x1F) << 6 | cont(1)
    } else if x < 0xF0 {
        (x & 0x0F) << 12 | cont(1) << 6 | cont(2)
    } else {
        (x & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3)
    };
    char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The character that ends at byte `end` of valid UTF-8 `b` (`end` at a character boundary,
/// above `start`), and where it starts (not before `start`).
#[inline]
pub fn decode_before(b: &[u8], start: usize, end: usize) -> (char, usize) {
    let mut i = end - 1;
    while i > start && b[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    (decode_at(b, i), i)
}

/// Character classes, as bits: [`LETTER`] (`char::is_alphabetic`), [`ALNUM`]
/// (`char::is_alphanumeric`), [`UPPER`] (`char::is_uppercase`), [`LOWER`]
/// (`char::is_lowercase`).
///
/// The standard library answers these with a table search per character, which is most of the
/// cost of the structure stage on scripts without a fast range in [`is_letter`] (Indic scripts,
/// CJK punctuation, `«`, `–`, `”`…). Below U+20000 the classes come from a [`LazyTable`] filled
/// one block of 128 characters at a time, the first time a character of the block is asked
/// about; the answers are exactly the standard library's.
///
/// `class(c) & LETTER != 0` is exactly [`is_letter`] and `class(c) & ALNUM != 0` exactly
/// [`is_letter_or_digit`]; only the cost differs. Those two answer the letters of the common
/// scripts with a few comparisons and any other non-ASCII character (punctuation, Indic letters)
/// with one or two table searches; `class` answers every character from one table read once its
/// block is filled, so a scan that classifies every character of a text asks `class`.
#[inline]
pub fn class(c: char) -> u8 {
    static CLASSES: LazyTable = LazyTable::new(class_of);
    let u = c as u32;
    if u < 0x80 {
        return ASCII_CLASS[u as usize] & !WS;
    }
    CLASSES.get(c) as u8
}

/// The classes of `c`, from the standard library.
fn class_of(c: char) -> u16 {
    let mut k = 0;
    if c.is_alphabetic() {
        k |= LETTER | ALNUM;
    } else if c.is_numeric() {
        k |= ALNUM;
    }
    if c.is_uppercase() {
        k |= UPPER;
    }
    if c.is_lowercase() {
        k |= LOWER;
    }
    k as u16
}

/// A [`class`]: `char::is_alphabetic`.
pub const LETTER: u8 = 1;
/// A [`class`]: `char::is_alphanumeric`.
pub const ALNUM: u8 = 2;
/// A [`class`]: `char::is_uppercase`.
pub const UPPER: u8 = 4;
/// A [`class`]: `char::is_lowercase`.
pub const LOWER: u8 = 8;
/// `char::is_whitespace`, in [`ASCII_CLASS`] only.
pub const WS: u8 = 16;

/// [`class`] of each ASCII character, and [`WS`].
pub const ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            LETTER | ALNUM | UPPER
        } else if b.is_ascii_lowercase() {
            LETTER | ALNUM | LOWER
        } else if b.is_ascii_digit() {
            ALNUM
        } else if matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            WS
        } else {
            0
        };
        i += 1;
    }
    t
};

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
    fn letter_script_is_unicode_script() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let want = match c.script() {
                Script::Common | Script::Inherited | Script::Unknown => None,
                s => Some(s),
            };
            assert_eq!(letter_script(c), want, "{c:?}");
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

    #[test]
    fn character_classes_equal_the_standard_library() {
        for u in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(u) else { continue };
            let k = class(c);
            assert_eq!(k & LETTER != 0, c.is_alphabetic(), "U+{u:04X}");
            assert_eq!(k & ALNUM != 0, c.is_alphanumeric(), "U+{u:04X}");
            assert_eq!(k & UPPER != 0, c.is_uppercase(), "U+{u:04X}");
            assert_eq!(k & LOWER != 0, c.is_lowercase(), "U+{u:04X}");
            assert_eq!(is_ws(c), c.is_whitespace(), "U+{u:04X}");
            // The structure stage's heading test counts words on that.
            assert!(!(c.is_alphabetic() && c.is_whitespace()), "U+{u:04X}");
            if c.is_ascii() {
                assert_eq!(is_ascii_ws(u as u8), c.is_whitespace());
                assert_eq!(ASCII_CLASS[u as usize] & WS != 0, c.is_whitespace());
            }
            let mut buf = [0u8; 4];
            assert_eq!(decode_at(c.encode_utf8(&mut buf).as_bytes(), 0), c);
        }
    }
}
