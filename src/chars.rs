//! Character classes shared by the stages, with fast paths for the common scripts.
//!
//! `char::is_alphabetic` looks non-ASCII characters up in a compressed table (a search per
//! character); in text-heavy stages that lookup is a measurable share of a run. The ranges below
//! are runs of letters in the common scripts, answered without the table; everything else falls
//! back to the standard library, so the result is always exactly `char::is_alphabetic`.

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
}
