//! Direction of text: left-to-right, right-to-left or mixed, with the right-to-left runs of
//! mixed text (unicode-bidi's resolved levels); and the repair of brackets mirrored by
//! right-to-left text extracted in visual order. [`may_have_rtl`], the byte scan that decides
//! whether the bidi algorithm runs at all, defines a bit of the class table and so lives in the
//! `classes` leaf; it is re-exported here.

use unicode_bidi::{BidiClass, BidiInfo};

pub use super::classes::may_have_rtl;
use super::classes::{char_class, STRONG_LTR};
use crate::doc::Direction;

/// What the script stage says of one text: its script and direction, and the right-to-left
/// runs of mixed text. [`direction`] leaves `script` at `Zyyy`; the tagger fills it in.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptInfo {
    pub script: &'static str,
    pub direction: Direction,
    pub rtl_runs: Vec<(u32, u32)>,
}

fn is_strong_rtl(c: char) -> bool {
    matches!(unicode_bidi::bidi_class(c), BidiClass::R | BidiClass::AL)
}

/// Direction and right-to-left runs of `text`.
///
/// `rtl` when the text has strong right-to-left letters and no strong left-to-right ones (digits
/// and punctuation are weak: Arabic with numbers is still `rtl`), `mixed` when it has both, `ltr`
/// otherwise. The runs of a mixed text are the maximal stretches at odd resolved levels, joined
/// with the numbers embedded in them (level 2 without any strong left-to-right letter), trimmed
/// of whitespace at both ends, in code points.
pub fn direction(text: &str) -> ScriptInfo {
    let ltr = ScriptInfo {
        script: "Zyyy",
        direction: Direction::Ltr,
        rtl_runs: Vec::new(),
    };
    if !may_have_rtl(text) || !text.chars().any(is_strong_rtl) {
        return ltr;
    }
    let has_ltr = text
        .chars()
        .any(|c| unicode_bidi::bidi_class(c) == BidiClass::L);
    if !has_ltr {
        return ScriptInfo {
            direction: Direction::Rtl,
            ..ltr
        };
    }
    mixed_direction(text)
}

/// [`direction`] of a text with strong letters of both directions.
pub(super) fn mixed_direction(text: &str) -> ScriptInfo {
    let info = BidiInfo::new(text, None);
    // Per code point: resolved level, strong left-to-right, whitespace.
    let chars: Vec<(u8, bool, bool)> = text
        .char_indices()
        .map(|(i, c)| {
            (
                info.levels[i].number(),
                // Bidi class L, from the class table.
                char_class(c) & STRONG_LTR != 0,
                c.is_whitespace(),
            )
        })
        .collect();
    let mut in_rtl: Vec<bool> = chars.iter().map(|&(l, _, _)| l % 2 == 1).collect();
    // Numbers inside right-to-left text sit one level up (even): a stretch of such levels with
    // no strong left-to-right letter belongs to the right-to-left run around it.
    let mut i = 0;
    while i < chars.len() {
        let (l, _, _) = chars[i];
        if l % 2 == 0 && l >= 2 {
            let start = i;
            while i < chars.len() && chars[i].0 % 2 == 0 && chars[i].0 >= 2 {
                i += 1;
            }
            if !chars[start..i].iter().any(|x| x.1) {
                in_rtl[start..i].iter_mut().for_each(|x| *x = true);
            }
        } else {
            i += 1;
        }
    }
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !in_rtl[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && in_rtl[i] {
            i += 1;
        }
        let (mut s, mut e) = (start, i);
        while s < e && chars[s].2 {
            s += 1;
        }
        while e > s && chars[e - 1].2 {
            e -= 1;
        }
        if s < e {
            runs.push((s as u32, e as u32));
        }
    }
    ScriptInfo {
        script: "Zyyy",
        direction: Direction::Mixed,
        rtl_runs: runs,
    }
}

/// Brackets of right-to-left text extracted in visual order: the byte offsets of pairs written
/// mirrored, `)…(` around right-to-left letters, to swap back into `(…)`.
///
/// A pair is repaired only when the evidence is clear: the closing bracket opens nothing (no
/// bracket of its kind is open before it), it follows the start, a space or punctuation and is
/// followed by a right-to-left letter; the opening bracket comes right after a right-to-left
/// letter or digit and is followed by the end, a space or punctuation; there is no bracket of
/// that kind between them, and at least one strong right-to-left letter.
pub fn mirrored_brackets(text: &str) -> Vec<(usize, usize)> {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    if !PAIRS
        .iter()
        .any(|&(_, c)| memchr::memchr(c, bytes).is_some())
    {
        return out;
    }
    let char_before = |i: usize| text[..i].chars().next_back();
    let char_after = |i: usize| text[i + 1..].chars().next();
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    for (open, close) in PAIRS {
        let mut depth = 0i32;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == open {
                depth += 1;
            } else if b == close && depth > 0 {
                depth -= 1;
            } else if b == close
                && !is_word(char_before(i))
                && char_after(i).is_some_and(is_strong_rtl)
            {
                // A closer that closes nothing: look for its mirrored opener.
                let rest = &bytes[i + 1..];
                let j = rest.iter().position(|&x| x == open || x == close);
                if let Some(j) = j.map(|j| i + 1 + j) {
                    let inner = &text[i + 1..j];
                    if bytes[j] == open
                        && char_before(j).is_some_and(|c| is_strong_rtl(c) || c.is_numeric())
                        && !is_word(char_after(j))
                        && inner.chars().any(is_strong_rtl)
                    {
                        out.push((i, j));
                        i = j + 1;
                        continue;
                    }
                }
            }
            i += 1;
        }
    }
    out.sort_unstable();
    out
}

/// Swaps the mirrored brackets found by [`mirrored_brackets`] in `text[range]`; returns how
/// many pairs were swapped. Brackets are ASCII, so lengths and offsets do not change.
pub fn repair_brackets(text: &mut String, range: std::ops::Range<usize>) -> usize {
    let pairs = mirrored_brackets(&text[range.clone()]);
    for &(c, o) in &pairs {
        let (c, o) = (range.start + c, range.start + o);
        let (cb, ob) = (text.as_bytes()[c], text.as_bytes()[o]);
        // Both are ASCII brackets found in this text: replacing one ASCII byte by another keeps
        // the string valid UTF-8.
        text.replace_range(c..c + 1, (ob as char).encode_utf8(&mut [0; 4]));
        text.replace_range(o..o + 1, (cb as char).encode_utf8(&mut [0; 4]));
    }
    pairs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Code point offset of `needle` in `hay`.
    fn cp(hay: &str, needle: &str) -> u32 {
        hay[..hay.find(needle).expect("needle")].chars().count() as u32
    }

    #[test]
    fn arabic_with_digits_is_rtl() {
        // raw/004 line 3: digits are weak, the segment stays right-to-left.
        assert_eq!(
            direction(" من جدول الأعمال 3البند").direction,
            Direction::Rtl
        );
        assert_eq!(
            direction("البند 3 من جدول الأعمال").direction,
            Direction::Rtl
        );
    }

    #[test]
    fn mixed_runs_are_code_points_with_numbers_inside() {
        let t = "The council (مجلس حقوق الإنسان) met.";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(13, 30)]);
        assert_eq!(cp(t, "مجلس"), 13);

        // Arabic paragraph with a Latin name, a number and a bracketed year.
        let t = "اجتمع John Smith في 3 مايو (2020) مع المجلس";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        let end = t.chars().count() as u32;
        assert_eq!(m.rtl_runs, vec![(0, 5), (cp(t, "في"), end)]);

        // English sentence quoting Arabic with a number inside.
        let t = "See البند 3 من جدول الأعمال for details.";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(4, cp(t, " for"))]);

        // Hebrew with a Latin product name.
        let t = "התקנת Firefox 115 הושלמה";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(
            m.rtl_runs,
            vec![(0, 5), (cp(t, "הושלמה"), t.chars().count() as u32)]
        );
    }

    #[test]
    fn repair_inside_a_larger_text() {
        let mut s = "English first\nمفوض حقوق الإنسان )أمين المظالم(".to_string();
        let start = s.find('\n').unwrap() + 1;
        let end = s.len();
        assert_eq!(repair_brackets(&mut s, start..end), 1);
        assert_eq!(s, "English first\nمفوض حقوق الإنسان (أمين المظالم)");
    }

    #[test]
    fn directions() {
        assert_eq!(direction("Hello").direction, Direction::Ltr);
        assert_eq!(direction("مجلس حقوق الإنسان").direction, Direction::Rtl);
        let m = direction("The council (مجلس حقوق الإنسان) met.");
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(13, 30)]);
    }
}
