//! Coherence of decoded text: how much a decoding reads like real language, the way
//! charset-normalizer chooses between candidate encodings.
//!
//! Byte statistics (chardetng) only know the WHATWG encodings, and a DOS, Mac or EBCDIC file
//! looks to them like some windows-125x page. Decoding the same bytes with each plausible
//! candidate and reading the results tells them apart: the right code page gives words of one
//! script whose letter sequences the project's letter models know (`stage::script::garbled`),
//! a wrong one gives box-drawing characters, symbols and controls inside words, capitals after
//! small letters, words that mix scripts, and letter sequences no language has.
//!
//! Only the words with non-ASCII characters are read: ASCII reads the same in every candidate
//! but EBCDIC, and would only dilute the difference.

use unicode_script::Script;

use crate::stage::script::garbled;
use crate::text::chars::{is_letter, letter_script};

/// What the reading of one decoding found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Non-ASCII characters in the words read.
    pub non_ascii: u32,
    /// Marks of a wrong decoding (controls, box drawing, symbols in words, odd case, mixed
    /// scripts, undefined bytes).
    pub mess: u32,
    /// Mean letter-transition cost above real text of the script, in bits (0 without a model).
    pub excess_bits: f32,
    /// Share of letter trigrams real text of the script never showed.
    pub unseen: f32,
    /// Letters of the script read by the model.
    pub letters: u32,
    /// The script of most letters of the words read.
    pub script: &'static str,
}

impl Reading {
    /// The cost of the reading: lower reads more like real text.
    ///
    /// The letter model's excess and unseen trigrams are totals over the words read (the ASCII
    /// letters are the same in every candidate, so the totals differ by what the non-ASCII
    /// characters make of the words), and each mark of a wrong decoding costs as much as a
    /// few very unlikely letters; all per non-ASCII character.
    pub fn cost(&self) -> f32 {
        let letters = self.letters as f32;
        let total = self.excess_bits * letters
            + UNSEEN_BITS * self.unseen * letters
            + MESS_BITS * self.mess as f32;
        total / self.non_ascii.max(1) as f32
    }
}

/// Bits a letter trigram real text never showed costs.
const UNSEEN_BITS: f32 = 6.0;
/// Bits a mark of a wrong decoding costs.
const MESS_BITS: f32 = 10.0;

/// Whether `c` inside a word is a mark of a wrong decoding.
fn is_mess(c: char) -> bool {
    let u = c as u32;
    matches!(u,
        0x00..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F..=0x9F  // controls (C1 included)
        | 0x2500..=0x25FF                               // box drawing, blocks, shapes
        | 0x2190..=0x21FF | 0x2200..=0x22FF | 0x2300..=0x23FF // arrows, math, technical
        | 0x2660..=0x266F | 0x263A..=0x263C             // ♠ ♥ ☺
        | 0x02B0..=0x02FF                               // spacing modifiers (ˆ ˜ ˇ)
        | 0xFB00..=0xFB06                               // Latin ligatures (ﬁ ﬂ)
        | 0xE000..=0xF8FF | 0xFFFD)
        || matches!(
            c,
            '¤' | '¦'
                | '¨'
                | '¯'
                | '´'
                | '¸'
                | '¬'
                | '±'
                | '×'
                | '÷'
                | '¶'
                | '§'
                | '¹'
                | '²'
                | '³'
                | '¼'
                | '½'
                | '¾'
                | 'ƒ'
                | '‡'
                | '†'
                | '‰'
                | '•'
                | '√'
                | 'ⁿ'
                | '∞'
                | '≈'
                | '≡'
                | '°'
                | '·'
                | '¢'
                | '£'
                | '¥'
                | '©'
                | '®'
                | 'ª'
                | 'º'
                | '¿'
                | '¡'
                | '«'
                | '»'
        )
}

/// Whether `c`, not ASCII, is out of place inside a word: anything but a letter, a mark, a
/// digit, the apostrophe `’`, the Catalan `·`, hyphens and the joiners.
fn odd_inside_word(c: char) -> bool {
    !(crate::text::chars::is_letter_or_digit(c)
        || matches!(
            c,
            '’' | '·' | '\u{2010}' | '\u{2011}' | '\u{AD}' | '\u{200C}' | '\u{200D}'
        )
        || unicode_normalization::char::is_combining_mark(c))
}

/// Reads `text`, a decoding of a sample that has `high` bytes of 0x80 or above (the same for
/// every candidate, so their costs compare).
pub fn read(text: &str, high: usize) -> Reading {
    let mut words = String::new();
    let mut mess = 0u32;
    let mut counts: Vec<(Script, u32)> = Vec::with_capacity(4);
    // Scripts of the non-ASCII letters, word by word, to count the off-script ones after.
    let mut letter_scripts: Vec<Script> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace()) {
        if word.is_ascii() {
            continue;
        }
        let mut prev_lower = false;
        let mut word_script: Option<Script> = None;
        let mut mixed = false;
        let n = word.chars().count();
        for (k, c) in word.chars().enumerate() {
            if !c.is_ascii() {
                // A symbol at the edge of a word is punctuation (`«mot»`, `5°`, `©`); inside
                // a word it is a wrong byte.
                let edge = k == 0 || k + 1 == n;
                // Low quotes open, never close: `dignit‚` is a wrong byte.
                let always = c.is_control()
                    || matches!(c as u32, 0x2500..=0x25FF | 0x02B0..=0x02FF | 0xFFFD | 0xA4)
                    || (k + 1 == n && k > 0 && matches!(c, '‚' | '„'));
                if (is_mess(c) || !edge && odd_inside_word(c)) && (always || !edge) {
                    mess += 1;
                }
                if is_letter(c) && c.is_uppercase() && prev_lower {
                    mess += 1;
                }
            }
            if let Some(s) = letter_script(c) {
                if !c.is_ascii() {
                    letter_scripts.push(s);
                }
                match word_script {
                    None => word_script = Some(s),
                    Some(w) if w != s => mixed = true,
                    _ => {}
                }
                match counts.iter_mut().find(|(k, _)| *k == s) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((s, 1)),
                }
            }
            prev_lower = is_letter(c) && c.is_lowercase();
        }
        if mixed {
            mess += 2;
        }
        words.push_str(word);
        words.push(' ');
    }
    let top = counts
        .iter()
        .max_by_key(|(s, n)| (*n, std::cmp::Reverse(s.short_name())))
        .map(|&(s, _)| s);
    // Letters of another script than the text's: Greek `Φ` in Italian read as IBM437.
    if let Some(top) = top {
        mess += letter_scripts.iter().filter(|&&s| s != top).count() as u32;
    }
    let script = top.map_or("Zyyy", |s| s.short_name());
    let chars = words.chars().filter(|c| !c.is_whitespace()).count() as u32;
    let ev = garbled::model().evidence_counted(&words, script, chars, 0, false);
    Reading {
        non_ascii: high as u32,
        mess,
        excess_bits: if ev.letters > 0 { ev.excess_bits } else { 0.0 },
        unseen: if ev.letters > 0 { ev.unseen } else { 0.0 },
        letters: ev.letters,
        script,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_code_page_reads_better() {
        // UDHR, article 1, in French: the windows-1252 bytes read as windows-1252 and as IBM437.
        let fr = "Tous les êtres humains naissent libres et égaux en dignité et en droits. \
                  Ils sont doués de raison et de conscience et doivent agir les uns envers les \
                  autres dans un esprit de fraternité.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(fr);
        let high = bytes.iter().filter(|&&b| b >= 0x80).count();
        let right = read(fr, high);
        let mut wrong = String::new();
        crate::stage::codepage::IBM437.decode_into(&bytes, &mut wrong);
        let wrong = read(&wrong, high);
        assert!(right.cost() < wrong.cost(), "{right:?} {wrong:?}");
        assert_eq!(right.mess, 0);
    }
}
