//! Right-to-left lines extracted in visual order, put back into logical order.
//!
//! Some PDF extractors (pdfminer.six among them) write the characters of a line in the order the
//! glyphs stand on the page, left to right. For an Arabic or Hebrew line that is the reverse of
//! the order it was written in: `.ןעמ טאָר םענײק` for `קײנעם טאָר מען.`, with numbers and Latin
//! words (left to right on the page too) left in their own order. Reversed Arabic or Hebrew is
//! made of real letters in sequences the language does not write, so the letter model of the
//! script (`garbled`, built from real text) tells: it is asked about each right-to-left line as
//! extracted and reversed, and when the document reads clearly better reversed, every line with
//! right-to-left letters is reversed — one extractor reverses a whole document, and a single
//! line is too short to be sure of.
//!
//! A reversed line is repaired within its bytes (it keeps its length and its place), so block
//! and segment offsets stay valid; `raw_span`s of segments that begin or end inside a repaired
//! line widen to the whole line (see [`Repaired::snap`]).
//!
//! Reversing a line keeps the runs that read left to right on the page (letters of a
//! left-to-right script, digits, and what stands between them: `Linux, Apache`, `14.6.1`) in
//! their order. A line mostly in a left-to-right script has only its right-to-left runs reversed.
//! Combining marks follow their base again (extractors put them before it).

use std::ops::Range;

use unicode_bidi::{bidi_class, BidiClass};

use super::garbled::GarbledModel;

/// A document needs this many right-to-left letters in lines that can be judged.
const MIN_LETTERS: u32 = 40;
/// A line is judged when it has this many right-to-left letters.
const MIN_LINE_LETTERS: u32 = 6;
/// Reversed must read better by this many bits per letter transition, over the document.
const MIN_GAIN_BITS: f32 = 0.35;

/// A text with its visual-order lines reversed.
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The text, as long as the input.
    pub text: String,
    /// Byte ranges of the lines that were reversed, in order.
    pub lines: Vec<Range<usize>>,
}

impl Repaired {
    /// `r` widened to the bounds of the repaired lines it begins or ends inside.
    pub fn snap(&self, mut r: Range<usize>) -> Range<usize> {
        let k = self.lines.partition_point(|l| l.end <= r.start);
        if let Some(l) = self.lines.get(k) {
            if l.start < r.start {
                r.start = l.start;
            }
        }
        let k = self.lines.partition_point(|l| l.end < r.end);
        if let Some(l) = self.lines.get(k) {
            if l.start < r.end && r.end < l.end {
                r.end = l.end;
            }
        }
        r
    }

    /// Whether `r` overlaps a repaired line.
    pub fn touches(&self, r: &Range<usize>) -> bool {
        let k = self.lines.partition_point(|l| l.end <= r.start);
        self.lines.get(k).is_some_and(|l| l.start < r.end)
    }
}

fn is_rtl(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::R | BidiClass::AL)
}

/// Reads left to right on the page: strong left-to-right letters and numbers.
fn is_ltr_run(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::L | BidiClass::EN | BidiClass::AN)
}

fn is_hebrew(c: char) -> bool {
    ('\u{0590}'..='\u{05FF}').contains(&c) || ('\u{FB1D}'..='\u{FB4F}').contains(&c)
}

/// Whether the text may hold right-to-left letters: a lead byte of U+0580–U+07FF (Hebrew,
/// Arabic, Syriac, Thaana, N'Ko; Armenian's last letters too). Arabic Extended-A alone, or
/// presentation forms (which normalization maps to letters by default), are not looked for.
/// Sixty-four bytes at a time, without a branch inside (the loop vectorizes).
fn may_have_rtl(b: &[u8]) -> bool {
    b.chunks(64).any(|c| {
        c.iter()
            .fold(0u8, |a, &x| a | u8::from(x.wrapping_sub(0xD6) < 10))
            != 0
    })
}

/// Turns around, in place, each run of `chars` that starts and ends with a character `member`
/// accepts and holds no character `stop` accepts (what stands between two members goes with
/// them). With `marks`, combining marks just before a run are part of it (they stood before
/// their letter).
fn turn_runs(chars: &mut [char], member: fn(char) -> bool, stop: fn(char) -> bool, marks: bool) {
    let mut i = 0;
    while i < chars.len() {
        if !member(chars[i]) {
            i += 1;
            continue;
        }
        let mut last = i;
        let mut j = i + 1;
        while j < chars.len() && !stop(chars[j]) {
            if member(chars[j]) {
                last = j;
            }
            j += 1;
        }
        let mut start = i;
        while marks && start > 0 && bidi_class(chars[start - 1]) == BidiClass::NSM {
            start -= 1;
        }
        chars[start..=last].reverse();
        i = last + 1;
    }
}

/// Reverses `chars`, keeping runs of left-to-right characters (and the neutrals between them)
/// in their order.
fn reverse_keeping_ltr(chars: &mut [char]) {
    chars.reverse();
    turn_runs(chars, is_ltr_run, is_rtl, false);
}

/// Reverses the runs of right-to-left characters (with the neutrals and marks inside them).
fn reverse_rtl_runs(chars: &mut [char]) {
    turn_runs(chars, is_rtl, is_ltr_run, true);
}

/// The logical order of a visual-order line (its content, without surrounding whitespace).
fn logical(line: &str) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    let (rtl, ltr) = chars.iter().fold((0, 0), |(r, l), &c| match bidi_class(c) {
        BidiClass::R | BidiClass::AL => (r + 1, l),
        BidiClass::L => (r, l + 1),
        _ => (r, l),
    });
    if rtl >= ltr {
        reverse_keeping_ltr(&mut chars);
    } else {
        reverse_rtl_runs(&mut chars);
    }
    chars.into_iter().collect()
}

/// The trimmed content of each line of `text` with right-to-left letters: (range, letters,
/// Hebrew letters).
fn rtl_lines(text: &str) -> Vec<(Range<usize>, u32, u32)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let lead = body.len() - body.trim_start().len();
        let content = body.trim();
        if may_have_rtl(content.as_bytes()) {
            let (mut n, mut heb) = (0, 0);
            for c in content.chars().filter(|&c| is_rtl(c)) {
                n += 1;
                heb += u32::from(is_hebrew(c));
            }
            if n > 0 {
                let a = start + lead;
                out.push((a..a + content.len(), n, heb));
            }
        }
        start = end;
    }
    out
}

/// The text with its right-to-left lines in logical order, when the document reads clearly
/// better so (see the module doc); `None` otherwise.
pub fn repair(text: &str, model: &GarbledModel) -> Option<Repaired> {
    if !may_have_rtl(text.as_bytes()) {
        return None;
    }
    let lines = rtl_lines(text);
    let (mut letters, mut gain) = (0u32, 0f32);
    for (r, n, heb) in &lines {
        if *n < MIN_LINE_LETTERS {
            continue;
        }
        let script = if heb * 2 > *n { "Hebr" } else { "Arab" };
        let s = &text[r.clone()];
        let as_is = model.evidence_counted(s, script, 0, 0, false);
        let rev = model.evidence_counted(&logical(s), script, 0, 0, false);
        if as_is.letters == 0 {
            continue;
        }
        letters += as_is.letters;
        gain += (as_is.excess_bits - rev.excess_bits) * as_is.letters as f32;
    }
    if letters < MIN_LETTERS || gain < MIN_GAIN_BITS * letters as f32 {
        return None;
    }
    let mut out = text.to_string();
    let mut done = Vec::with_capacity(lines.len());
    for (r, _, _) in lines {
        let fixed = logical(&text[r.clone()]);
        debug_assert_eq!(fixed.len(), r.len());
        out.replace_range(r.clone(), &fixed);
        done.push(r);
    }
    Some(Repaired {
        text: out,
        lines: done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::script::garbled::model;

    fn visual(line: &str) -> String {
        // What a visual-order extractor writes: the logical line's mirror (the same operation).
        logical(line)
    }

    #[test]
    fn reversal_keeps_numbers_and_latin_words_in_their_order() {
        // A pure right-to-left line: its characters in reverse (marks before their letters).
        let heb = "קײנעם טאָר מען.";
        assert_eq!(logical(&heb.chars().rev().collect::<String>()), heb);
        // Latin words and numbers keep their order: on the page they read left to right.
        let ara = "تعتمد معظم هذه التطبيقات على Linux, Apache في القسم 14.6.1";
        let page = logical(ara);
        assert!(page.starts_with("14.6.1 مسقلا"), "{page}");
        assert!(page.contains("Linux, Apache"), "{page}");
        assert_eq!(logical(&page), ara);
        // A left-to-right line: only its right-to-left run turns.
        assert_eq!(
            logical("the word םולש in Hebrew"),
            "the word שלום in Hebrew"
        );
        // Both are their own inverse on text without neutrals at run edges.
        let s = "יעדער האָט אַ רעכט אױף 12 פֿרײַהײט";
        assert_eq!(logical(&logical(s)), s);
    }

    /// The UDHR texts of `tests/data/udhr` in Arabic, Hebrew, Persian and Urdu: left alone as
    /// they are, repaired back when every line is reversed.
    #[test]
    fn udhr_lines_are_repaired_only_when_reversed() {
        let m = model();
        for lang in ["ara", "heb", "fas", "urd"] {
            let path = format!("{}/tests/data/udhr/{lang}.txt", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            assert!(repair(&text, m).is_none(), "{lang}: logical text reversed");
            let reversed: String = text
                .split_inclusive('\n')
                .map(|l| {
                    let body = l.trim_end_matches('\n');
                    format!("{}{}", visual(body), &l[body.len()..])
                })
                .collect();
            let back = repair(&reversed, m).expect(lang);
            assert_eq!(back.text, text, "{lang}");
        }
    }

    #[test]
    fn snapping_widens_to_repaired_lines() {
        let r = Repaired {
            text: String::new(),
            lines: vec![10..20, 30..40],
        };
        assert_eq!(r.snap(12..15), 10..20);
        assert_eq!(r.snap(0..25), 0..25);
        assert_eq!(r.snap(15..35), 10..40);
        assert_eq!(r.snap(20..30), 20..30);
        assert!(r.touches(&(15..16)) && !r.touches(&(20..30)));
    }
}
