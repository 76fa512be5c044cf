//! Mojibake repair: text that was UTF-8 but was decoded as windows-1252 or latin-1 (`â€™`, `Ã©`,
//! `Ð¿Ñ€Ð¸Ð²ÐµÑ‚`), including text mis-decoded twice.
//!
//! A run of non-ASCII characters that all have a windows-1252/latin-1 byte is turned back into
//! those bytes; each valid UTF-8 multi-byte sequence in them is a candidate. The measure of
//! "clearly better" is evidence that real text does not produce by chance:
//!
//! - the run is made *entirely* of two or more valid sequences (`Ð¿Ñ€Ð¸Ð²ÐµÑ‚`, `Ã©tÃ©`), or
//! - every sequence in it is *strong*: it decodes to a Latin letter, general punctuation, a
//!   currency or letter-like symbol — what Western text turns into (`Ã©` → `é`, `â€™` → `’`).
//!   A lone sequence decoding to another script is chance: the French `é` + no-break space + `»`
//!   is a valid UTF-8 sequence of `頻`.
//!
//! So correct text is left alone: `NÃO` has no continuation character at all, the Czech `ÚŠ`
//! would be one lone Arabic letter, `«Ó»` one lone Cyrillic letter. Each run is repaired up to a
//! fixed point (three passes), for text mis-decoded twice.

use std::ops::Range;

use crate::config::DecodeConfig;
use crate::text::spanmap::{SpanMap, SpanMapBuilder};

/// windows-1252 bytes 0x80..=0x9F; the five undefined ones decode to the C1 control itself.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// The byte a character came from when UTF-8 was misread as windows-1252 or latin-1.
fn byte_of(c: char) -> Option<u8> {
    let u = c as u32;
    if u < 0x80 {
        return Some(u as u8);
    }
    if (0x80..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    if !(0x152..=0x2122).contains(&u) {
        return None;
    }
    CP1252_HIGH
        .iter()
        .position(|&h| h == c)
        .map(|i| 0x80 + i as u8)
}

fn is_continuation(b: u8) -> bool {
    (0x80..=0xBF).contains(&b)
}

/// What a repair pass found.
#[derive(Debug)]
pub struct Repaired {
    pub text: String,
    /// From `text` back to the input of [`repair`].
    pub map: SpanMap,
    /// Ranges of `text` that were repaired.
    pub repaired: Vec<Range<usize>>,
}

/// Quick test: is there a lead character (`Â`..`ô`, encoded C3 82..C3 B4) followed by a
/// character that has a continuation byte (U+0080..U+00BF, or a windows-1252 symbol)?
fn suspicious(text: &str) -> bool {
    let bytes = text.as_bytes();
    for i in memchr::memchr_iter(0xC3, bytes) {
        if !matches!(bytes.get(i + 1), Some(0x82..=0xB4)) {
            continue;
        }
        if let Some(c) = text.get(i + 2..).and_then(|r| r.chars().next()) {
            if !c.is_ascii() && byte_of(c).is_some_and(is_continuation) {
                return true;
            }
        }
    }
    false
}

/// The mojibake repair step, built once from the config (`[decode] repair_mojibake`).
#[derive(Debug, Clone)]
pub struct Repairer {
    enabled: bool,
}

impl Repairer {
    /// The step as `[decode]` configures it.
    pub fn new(cfg: &DecodeConfig) -> Repairer {
        Repairer {
            enabled: cfg.repair_mojibake,
        }
    }

    /// [`repair`], when the step is enabled; `None` when it is not or there is nothing to repair.
    pub fn repair(&self, text: &str) -> Option<Repaired> {
        if self.enabled {
            repair(text)
        } else {
            None
        }
    }
}

/// Repairs mojibake in `text`; `None` when there is nothing to repair.
pub fn repair(text: &str) -> Option<Repaired> {
    if text.is_ascii() || !suspicious(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut b = SpanMapBuilder::new();
    let mut repaired = Vec::new();
    let mut copied = 0usize; // input bytes already written
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if c.is_ascii() || byte_of(c).is_none() {
            continue;
        }
        // A maximal run of non-ASCII characters that have a windows-1252/latin-1 byte.
        let mut end = start + c.len_utf8();
        while let Some(&(i, d)) = iter.peek() {
            if d.is_ascii() || byte_of(d).is_none() {
                break;
            }
            end = i + d.len_utf8();
            iter.next();
        }
        let Some((mut fixed, pieces)) = fix_run(&text[start..end]) else {
            continue;
        };
        // Text mis-decoded twice (or three times) is still a run of mojibake after one repair.
        let mut passes = 1;
        for _ in 0..2 {
            match fix_run(&fixed) {
                Some((again, _)) => {
                    fixed = again;
                    passes += 1;
                }
                None => break,
            }
        }
        out.push_str(&text[copied..start]);
        b.copy(start - copied);
        let rep_start = out.len();
        out.push_str(&fixed);
        if passes == 1 {
            // One pass: each repaired sequence maps to its own bytes, the rest is copied, so a
            // segment boundary inside the run (at a no-break space) still maps exactly.
            for (old_len, new_len, repaired_piece) in pieces {
                if repaired_piece {
                    b.replace(old_len, new_len);
                } else {
                    b.copy(old_len);
                }
            }
        } else {
            b.replace(end - start, fixed.len());
        }
        repaired.push(rep_start..out.len());
        copied = end;
    }
    if repaired.is_empty() {
        return None;
    }
    out.push_str(&text[copied..]);
    b.copy(text.len() - copied);
    Some(Repaired {
        text: out,
        map: b.finish(),
        repaired,
    })
}

/// A piece of a repaired run: input bytes, output bytes, and whether it was repaired (or copied).
type Piece = (usize, usize, bool);

/// Repairs one run of characters, or `None` when the evidence is not clear. Also returns the
/// pieces of the run in order: (input bytes, output bytes, repaired or copied).
fn fix_run(run: &str) -> Option<(String, Vec<Piece>)> {
    let mut bytes = Vec::with_capacity(run.len());
    let mut chars = Vec::with_capacity(run.len());
    for c in run.chars() {
        bytes.push(byte_of(c)?);
        chars.push(c);
    }
    let seqs = find_sequences(&bytes);
    if seqs.is_empty() {
        return None;
    }
    let covered: usize = seqs.iter().map(|s| s.end - s.start).sum();
    let whole = covered == bytes.len() && seqs.len() >= 2;
    if !whole && !seqs.iter().all(|s| s.strong) {
        return None;
    }
    let utf8_len = |cs: &[char]| cs.iter().map(|c| c.len_utf8()).sum::<usize>();
    let mut out = String::with_capacity(run.len());
    let mut pieces = Vec::new();
    let mut k = 0usize;
    for s in &seqs {
        if s.start > k {
            out.extend(&chars[k..s.start]);
            let n = utf8_len(&chars[k..s.start]);
            pieces.push((n, n, false));
        }
        out.push(s.ch);
        pieces.push((utf8_len(&chars[s.start..s.end]), s.ch.len_utf8(), true));
        k = s.end;
    }
    if k < chars.len() {
        out.extend(&chars[k..]);
        let n = utf8_len(&chars[k..]);
        pieces.push((n, n, false));
    }
    Some((out, pieces))
}

struct Seq {
    start: usize,
    end: usize,
    ch: char,
    strong: bool,
}

/// Valid UTF-8 multi-byte sequences in `bytes` (which are all >= 0x80).
fn find_sequences(bytes: &[u8]) -> Vec<Seq> {
    let mut seqs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        if len > 0 && i + len <= bytes.len() {
            if let Ok(s) = std::str::from_utf8(&bytes[i..i + len]) {
                if let Some(ch) = s.chars().next() {
                    if !ch.is_control() && ch != '\u{FFFD}' {
                        // What Western mojibake decodes to: Latin letters, general punctuation,
                        // currency and letter-like symbols (’ “ ” — … € ™). A lone sequence that
                        // decodes to another script is chance: French `é` + no-break space + `»`
                        // is the valid sequence of `頻`.
                        let strong = matches!(ch as u32,
                            0xA0..=0x24F | 0x1E00..=0x1EFF | 0x2000..=0x206F | 0x20A0..=0x20CF
                            | 0x2100..=0x214F);
                        seqs.push(Seq {
                            start: i,
                            end: i + len,
                            ch,
                            strong,
                        });
                        i += len;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    seqs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        repair(s).map(|r| r.text).unwrap_or_else(|| s.to_string())
    }

    /// UTF-8 bytes of `s` read as windows-1252 (what a wrong decoder produces).
    fn garble(s: &str) -> String {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(s.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn repairs_common_mojibake() {
        assert_eq!(fix("donâ€™t stop"), "don’t stop");
        assert_eq!(fix(&garble("été à Paris")), "été à Paris");
        assert_eq!(fix("Ã©tÃ©"), "été");
        let ru = "Всеобщая декларация прав человека";
        assert_eq!(fix(&garble(ru)), ru);
        let ja = "すべての人間は、生まれながらにして自由";
        assert_eq!(fix(&garble(ja)), ja);
    }

    #[test]
    fn repairs_double_mojibake() {
        let once = garble("l’homme — naïve");
        let twice = garble(&once);
        assert_eq!(fix(&twice), "l’homme — naïve");
        let r = repair(&twice).unwrap();
        assert!(!r.repaired.is_empty());
        // The map still covers the whole input.
        assert_eq!(r.map.range(0..r.text.len()), 0..twice.len());
    }

    #[test]
    fn leaves_correct_text_alone() {
        for s in [
            "NÃO, IRMÃOS, São Paulo, ação",
            "ÚŠTĚ nad Labem",
            "Ça coûte 5 € — « très » cher ; voilà…",
            "Grüße aus Köln, Straße",
            "Ωραία μέρα",
            "مرحبا بالعالم",
            "«Ó»",
            "le « mode dégradé\u{a0}» et « Sécurité\u{a0}»",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }

    #[test]
    fn map_and_ranges() {
        let s = "a Ã© b";
        let r = repair(s).unwrap();
        assert_eq!(r.text, "a é b");
        assert_eq!(r.repaired, vec![2..4]);
        assert_eq!(r.map.range(2..4), 2..6);
        assert_eq!(r.map.range(5..6), 7..8);
    }
}
