//! The features of the language scorer: hashed character n-grams of words, one script at a time.
//!
//! Shared by the scorer and by the program that builds its profiles
//! (`examples/build_lang_profiles.rs`), so that both see exactly the same features.
//!
//! A *word* is a maximal run of letters (alphabetic characters and combining marks), lowercased
//! character by character. A word belongs to the script of its first letter that is not a mark;
//! only the words of one script are scored at a time, so a quoted word in another script (a
//! Russian name in an English sentence) changes nothing. Each word is padded with a space on
//! both sides and yields its n-grams of 1 to [`MAX_ORDER`] characters (the single pad spaces
//! aside), each hashed to 32 bits.

use unicode_normalization::char::is_combining_mark;
use unicode_script::Script;

/// Longest n-gram, in characters.
pub const MAX_ORDER: usize = 4;

const FNV_PRIME: u32 = 0x0100_0193;
const FNV_SEED: u32 = 0x811c_9dc5;

#[inline]
fn step(h: u32, c: u32) -> u32 {
    (h ^ c).wrapping_mul(FNV_PRIME)
}

/// Mixes a 32-bit n-gram hash down to a bucket of a table of `1 << bits` rows.
#[inline]
pub fn bucket(h: u32, bits: u32) -> usize {
    let h = h ^ (h >> 16);
    let h = h.wrapping_mul(0x7feb_352d);
    let h = h ^ (h >> 15);
    (h & ((1u32 << bits) - 1)) as usize
}

#[inline]
fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphabetic(),
        // Latin-1 and Latin Extended-A/B: letters but for × and ÷ (and a few signs below).
        0xC0..=0x24F => !matches!(c, '\u{D7}' | '\u{F7}'),
        // Cyrillic letters.
        0x400..=0x481 | 0x48A..=0x52F => true,
        u @ 0..=0xFFFF => {
            let bits = bmp_letters();
            bits[(u >> 6) as usize] >> (u & 63) & 1 != 0
        }
        _ => is_letter_slow(c),
    }
}

/// What [`is_letter`] says, from the Unicode tables.
fn is_letter_slow(c: char) -> bool {
    crate::text::chars::is_letter(c) || is_combining_mark(c)
}

/// [`is_letter_slow`] of every character of the Basic Multilingual Plane, one bit each (words
/// in Indic scripts are full of vowel signs, which the tables are slow to look up).
fn bmp_letters() -> &'static [u64; 1024] {
    static BITS: std::sync::OnceLock<Box<[u64; 1024]>> = std::sync::OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = Box::new([0u64; 1024]);
        for u in 0..0x10000u32 {
            if char::from_u32(u).is_some_and(is_letter_slow) {
                bits[(u >> 6) as usize] |= 1 << (u & 63);
            }
        }
        bits
    })
}

#[inline]
fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// The ISO 15924 code of a letter's script (`None` for marks and common characters). Words are
/// scored under it; Han and kana need no scoring, their segments are settled by script.
#[inline]
pub fn letter_script(c: char) -> Option<&'static str> {
    crate::text::chars::letter_script(c).map(Script::short_name)
}

/// Calls `f(hash)` for every n-gram of the words of `text` written in `script`; returns the
/// number of letters in those words.
#[inline(always)]
pub fn for_each_ngram(text: &str, script: &str, mut f: impl FnMut(u32)) -> usize {
    for_each_word(text, script, |w| word_ngrams(w, &mut f))
}

/// The character at byte `i` of `text` (a char boundary) and its length in bytes.
#[inline(always)]
fn char_at(text: &str, i: usize) -> (char, usize) {
    match text.as_bytes().get(i) {
        Some(&b) if b < 0x80 => (b as char, 1),
        _ => text
            .get(i..)
            .and_then(|t| t.chars().next())
            .map_or((' ', 1), |c| (c, c.len_utf8())),
    }
}

/// Calls `f(word)` for every word of `text` written in `script` (as it stands in `text`, not
/// lowercased); returns the number of characters in those words.
#[inline(always)]
pub fn for_each_word(text: &str, script: &str, mut f: impl FnMut(&str)) -> usize {
    let bytes = text.as_bytes();
    // The two scripts whose letters `letter_script` knows without the tables.
    let (latn, cyrl) = (script == "Latn", script == "Cyrl");
    let mut letters = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        // Up to the next letter; ASCII without decoding.
        let b = bytes[i];
        let start = i;
        let keep = if b < 0x80 {
            i += 1;
            if !b.is_ascii_alphabetic() {
                continue;
            }
            latn
        } else {
            let (c, n) = char_at(text, i);
            i += n;
            if !is_letter(c) {
                continue;
            }
            match script_is(c, script, latn, cyrl) {
                Some(k) => k,
                // A word starting with a mark: the script of the next character decides.
                None => {
                    i < bytes.len()
                        && letter_script(char_at(text, i).0).is_some_and(|s| s == script)
                }
            }
        };
        let mut chars = 1;
        loop {
            // ASCII letters eight at a time, while there are eight bytes.
            if let Some(chunk) = bytes.get(i..).and_then(|r| r.first_chunk::<8>()) {
                let run = ascii_letters(u64::from_le_bytes(*chunk));
                i += run;
                chars += run;
                if run == 8 {
                    continue;
                }
            }
            let Some(&b) = bytes.get(i) else {
                break;
            };
            if b < 0x80 {
                if !b.is_ascii_alphabetic() {
                    break;
                }
                i += 1;
            } else {
                let (c, n) = char_at(text, i);
                if !is_letter(c) {
                    break;
                }
                i += n;
            }
            chars += 1;
        }
        if keep {
            letters += chars;
            f(&text[start..i]);
        }
    }
    letters
}

/// Whether the letter or mark `c` is of `script` (`None`: it has no script, as
/// [`letter_script`] says); `latn` and `cyrl` tell whether `script` is Latin or Cyrillic.
#[inline(always)]
fn script_is(c: char, script: &str, latn: bool, cyrl: bool) -> Option<bool> {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphabetic().then_some(latn),
        0xC0..=0x24F if !matches!(c, '\u{D7}' | '\u{F7}') => Some(latn),
        0x400..=0x481 | 0x48A..=0x52F => Some(cyrl),
        _ => letter_script(c).map(|s| s == script),
    }
}

/// How many of the eight bytes of `x` (in memory order: little-endian) are ASCII letters
/// before the first that is not.
#[inline(always)]
fn ascii_letters(x: u64) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Each byte's low seven bits, lowercased: a letter is then in b'a'..=b'z'. Adding to a
    // value below 0x80 never carries into the next byte.
    let low = (x | (0x20 * ONES)) & !HIGH;
    let from_a = low + (0x80 - b'a' as u64) * ONES;
    let past_z = low + (0x80 - b'z' as u64 - 1) * ONES;
    let letter = from_a & !past_z & !x & HIGH;
    ((!letter & HIGH).trailing_zeros() / 8) as usize
}

/// Calls `f(hash)` for every n-gram of one word (a run of letters, as [`for_each_word`] gives
/// it): the word is lowercased and padded with a space on both sides. A word's n-grams do not
/// depend on its neighbours.
#[inline(always)]
pub fn word_ngrams(word: &str, mut f: impl FnMut(u32)) {
    let space = ' ' as u32;
    let mut prev = [0u32; MAX_ORDER];
    prev[0] = step(FNV_SEED, space);
    let mut len = 1usize;
    for c in word.chars() {
        push(&mut prev, &mut len, lower(c) as u32, &mut f);
    }
    push(&mut prev, &mut len, space, &mut f);
}

/// Extends the n-grams ending at the previous character by `c` and emits them. `prev[k]` is the
/// hash of the (k+1)-gram ending at the previous character; `len` characters are in the word so
/// far (the leading pad included).
#[inline(always)]
fn push(prev: &mut [u32; MAX_ORDER], len: &mut usize, c: u32, f: &mut impl FnMut(u32)) {
    let n = (*len + 1).min(MAX_ORDER);
    let mut next = [0u32; MAX_ORDER];
    next[0] = step(FNV_SEED, c);
    for k in 1..n {
        next[k] = step(prev[k - 1], c);
    }
    // The lone pad space is not a feature; everything else is.
    if c != ' ' as u32 {
        f(next[0]);
    }
    for &h in &next[1..n] {
        f(h);
    }
    *prev = next;
    *len += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition of [`for_each_word`]: calls `f(word)` for every word of `text` written in `script` (as it stands in `text`, not
    /// lowercased); returns the number of characters in those words.
    fn for_each_word_general(text: &str, script: &str, mut f: impl FnMut(&str)) -> usize {
        let bytes = text.as_bytes();
        let mut letters = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            // Up to the next letter; ASCII without decoding.
            let b = bytes[i];
            if b < 0x80 && !b.is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let (c, n) = char_at(text, i);
            if !is_letter(c) {
                i += n;
                continue;
            }
            let start = i;
            i += n;
            let keep = match letter_script(c) {
                Some(s) => s == script,
                // A word starting with a mark: the script of the next character decides.
                None => {
                    i < bytes.len()
                        && letter_script(char_at(text, i).0).is_some_and(|s| s == script)
                }
            };
            let mut chars = 1;
            while let Some(&b) = bytes.get(i) {
                if b < 0x80 {
                    if !b.is_ascii_alphabetic() {
                        break;
                    }
                    i += 1;
                } else {
                    let (c, n) = char_at(text, i);
                    if !is_letter(c) {
                        break;
                    }
                    i += n;
                }
                chars += 1;
            }
            if keep {
                letters += chars;
                f(&text[start..i]);
            }
        }
        letters
    }

    fn ngrams(text: &str, script: &str) -> (usize, usize) {
        let mut n = 0;
        let letters = for_each_ngram(text, script, |_| n += 1);
        (letters, n)
    }

    #[test]
    fn counts_ngrams_of_one_script() {
        // " ab ": a, b, " a", "ab", "b ", " ab", "ab ", " ab " = 8
        assert_eq!(ngrams("ab", "Latn"), (2, 8));
        assert_eq!(ngrams("ab, 12 Мир", "Latn"), (2, 8));
        assert_eq!(ngrams("ab, 12 Мир", "Cyrl"), (3, ngrams("мир", "Cyrl").1));
        assert_eq!(ngrams("12 ...", "Latn"), (0, 0));
    }

    #[test]
    fn letter_fast_paths_equal_the_tables() {
        for u in 0..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(is_letter(c), is_letter_slow(c), "U+{u:04X}");
            }
        }
    }

    /// A word walker: [`for_each_word`] or its definition.
    type Walk = fn(&str, &str, &mut dyn FnMut(&str)) -> usize;

    /// The words (as ranges of `text`) and the letter count of `text` in `script`, as `each`
    /// gives them.
    fn words_by(each: Walk, text: &str, script: &str) -> (usize, Vec<std::ops::Range<usize>>) {
        let mut words = Vec::new();
        let base = text.as_ptr() as usize;
        let letters = each(text, script, &mut |w| {
            let at = w.as_ptr() as usize - base;
            words.push(at..at + w.len());
        });
        (letters, words)
    }

    fn assert_words_agree(text: &str) {
        for script in [
            "Latn", "Cyrl", "Arab", "Deva", "Hebr", "Grek", "Hani", "Zyyy",
        ] {
            assert_eq!(
                words_by(|t, s, f| for_each_word(t, s, f), text, script),
                words_by(|t, s, f| for_each_word_general(t, s, f), text, script),
                "{script}: {text:?}"
            );
        }
    }

    #[test]
    fn words_equal_the_definition_on_real_text() {
        for (_, text) in crate::stage::lang::tests::real_texts() {
            assert_words_agree(&text);
            for line in text.lines() {
                assert_words_agree(line);
            }
        }
    }

    /// Constructed text: words of every length around the eight-byte steps, next to every kind
    /// of byte and character that may end or start a word.
    #[test]
    fn words_equal_the_definition_on_constructed_text() {
        let pieces = [
            "a",
            "Z",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "ABCDEFGHIJKLMNOPQ",
            "é",
            "É",
            "ß",
            "Ω",
            "мир",
            "Мир",
            "\u{301}",
            "\u{301}a",
            "@",
            "[",
            "`",
            "{",
            "~",
            "\u{7f}",
            " ",
            "\n",
            "1",
            "_",
            "×",
            "÷",
            "ª",
            "\u{10400}",
            "日本",
            "\u{5d0}",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    assert_words_agree(&format!("{a}{b}{c}"));
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn words_equal_the_definition(
            s in proptest::string::string_regex("([a-zA-Z]{1,10}|[ .,'@\\[`{]|[éÉßмиΩ]|\\PC){0,30}").unwrap(),
        ) {
            assert_words_agree(&s);
        }

        #[test]
        fn ascii_letters_of_any_bytes(x: u64) {
            let b = x.to_le_bytes();
            let want = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            proptest::prop_assert_eq!(ascii_letters(x), want);
        }
    }

    #[test]
    fn ascii_letters_counts_the_leading_letters() {
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut x = *b"abcdEFGH";
                x[pos] = b;
                let want = x.iter().take_while(|c| c.is_ascii_alphabetic()).count();
                assert_eq!(ascii_letters(u64::from_le_bytes(x)), want, "{x:?}");
            }
        }
    }

    #[test]
    fn case_does_not_matter() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for_each_ngram("Hello WORLD", "Latn", |h| a.push(h));
        for_each_ngram("hello world", "Latn", |h| b.push(h));
        assert_eq!(a, b);
    }
}
