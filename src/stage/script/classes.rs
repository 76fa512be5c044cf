//! The character class table of the script stage, a leaf the other parts of the stage share:
//! per character, the script it counts for and flags (bidi strength, possibly right-to-left,
//! U+FFFD or private use, mojibake lead and tail, its own lower case, a boundary for the garbled
//! model), built lazily from the per-character definitions that are here too
//! ([`letter_script`], [`may_have_rtl`], the mojibake and private-use predicates); and the count
//! of bad characters that both the tagger's scan and the garbled model use. It imports nothing
//! from the rest of the stage.

use unicode_bidi::BidiClass;
#[cfg(test)]
use unicode_script::{Script, UnicodeScript};

pub(super) use crate::text::chars::letter_script;
use crate::text::chars::LazyTable;

// The class of a character for the one-pass scan: the low byte is the script it counts for in
// `dominant_script` (the `Script` discriminant, `NO_SCRIPT` for none), the bits above are flags.
pub(super) const NO_SCRIPT: u8 = 0xFF;
/// Bidi class L.
pub(super) const STRONG_LTR: u16 = 1 << 8;
/// Bidi class R or AL.
pub(super) const STRONG_RTL: u16 = 1 << 9;
/// In the ranges of [`may_have_rtl`].
pub(super) const MAY_RTL: u16 = 1 << 10;
/// U+FFFD or private use.
pub(super) const BAD: u16 = 1 << 11;
pub(super) const MOJIBAKE_LEAD: u16 = 1 << 12;
pub(super) const MOJIBAKE_TAIL: u16 = 1 << 13;
/// Its own lower case (the first character of `char::to_lowercase`).
pub(super) const OWN_LOWER: u16 = 1 << 14;
/// Its own lower case, and not a letter of a script: outside a model's alphabet, the garbled
/// model reads it as a boundary (see `garbled::ScriptModel::symbol`).
pub(super) const PLAIN_BOUNDARY: u16 = 1 << 15;

/// The class of `c`, from the per-character definitions the general paths use.
fn class_of(c: char) -> u16 {
    let mut k = letter_script(c).map_or(NO_SCRIPT as u16, |s| s as u8 as u16);
    match unicode_bidi::bidi_class(c) {
        BidiClass::L => k |= STRONG_LTR,
        BidiClass::R | BidiClass::AL => k |= STRONG_RTL,
        _ => {}
    }
    if may_have_rtl(c.encode_utf8(&mut [0; 4])) {
        k |= MAY_RTL;
    }
    if c == '\u{FFFD}' || is_private_use(c) {
        k |= BAD;
    }
    if is_mojibake_lead(c) {
        k |= MOJIBAKE_LEAD;
    }
    if is_mojibake_tail(c) {
        k |= MOJIBAKE_TAIL;
    }
    let own_lower = c.to_lowercase().next().unwrap_or(c) == c;
    if own_lower {
        k |= OWN_LOWER;
    }
    if own_lower && !(crate::text::chars::is_letter(c) && letter_script(c).is_some()) {
        k |= PLAIN_BOUNDARY;
    }
    k
}

/// [`class_of`] of every character, filled in as characters are met.
pub(super) static CLASSES: LazyTable = LazyTable::new(class_of);

/// [`class_of`] `c`, from the table.
#[inline]
pub(super) fn char_class(c: char) -> u16 {
    CLASSES.get(c)
}

/// Whether `text` may hold a right-to-left character, from its UTF-8 bytes alone: Hebrew,
/// Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic (U+0590–U+08FF), the presentation forms
/// (U+FB1D–U+FDFF, U+FE70–U+FEFF) and the right-to-left ranges of the supplementary planes
/// (U+10800–U+10FFF, U+1E800–U+1EFFF). Other scripts of the three-byte range (Devanagari, Thai,
/// CJK and its full-width punctuation) do not trigger it.
pub fn may_have_rtl(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x < 0xD6 {
            i += 1;
            continue;
        }
        let y = b.get(i + 1).copied().unwrap_or(0);
        let hit = match x {
            0xD6..=0xDF => true,
            0xE0 => (0xA0..=0xA3).contains(&y),
            0xEF => (0xAC..=0xB7).contains(&y) || (0xB9..=0xBB).contains(&y),
            0xF0 => {
                let z = b.get(i + 2).copied().unwrap_or(0);
                (y == 0x90 || y == 0x9E) && z >= 0xA0
            }
            _ => false,
        };
        if hit {
            return true;
        }
        i += 1;
    }
    false
}

pub(super) fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// Lead characters of UTF-8 read as Latin-1 or windows-1252 (Ã Â Ø Ù Ð Ñ × â Î Ï).
pub(super) fn is_mojibake_lead(c: char) -> bool {
    matches!(
        c,
        'Ã' | 'Â' | 'Ø' | 'Ù' | 'Ð' | 'Ñ' | 'Ú' | 'Û' | '×' | 'â' | 'Î' | 'Ï'
    )
}

/// Continuation bytes of UTF-8 read as Latin-1 or windows-1252.
pub(super) fn is_mojibake_tail(c: char) -> bool {
    matches!(c as u32, 0x80..=0xBF)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// U+FFFD, private-use characters and mojibake pairs (a lead, then a tail) in `text`.
pub(super) fn count_bad(text: &str) -> u32 {
    let mut bad = 0u32;
    // MOJIBAKE_LEAD of the previous character, moved to the place of MOJIBAKE_TAIL.
    let mut after_lead = 0u16;
    for c in text.chars() {
        let k = CLASSES.get(c);
        bad += (k & (BAD | (MOJIBAKE_TAIL & after_lead)) != 0) as u32;
        after_lead = (k & MOJIBAKE_LEAD) << 1;
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::script::tests::{ARA, HEB, URD};

    #[test]
    fn class_table_is_its_definition() {
        for u in 0..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(u) {
                let k = CLASSES.get(c);
                assert_eq!(k, class_of(c), "U+{u:04X}");
                let id = match c.script() {
                    Script::Common | Script::Inherited | Script::Unknown => NO_SCRIPT,
                    s => s as u8,
                };
                // The fast ranges of `letter_script` agree with unicode-script.
                assert_eq!(k as u8, id, "U+{u:04X}");
            }
        }
    }

    #[test]
    fn may_have_rtl_scan() {
        assert!(may_have_rtl(ARA) && may_have_rtl(HEB) && may_have_rtl(URD));
        assert!(may_have_rtl("\u{FB50}") && may_have_rtl("\u{FEFC}") && may_have_rtl("\u{10900}"));
        for ltr in [
            "Hello",
            "Привет",
            "नमस्ते दुनिया",
            "สวัสดี",
            "你好，世界。",
            "😀",
            "Ελληνικά",
        ] {
            assert!(!may_have_rtl(ltr), "{ltr}");
        }
    }
}
