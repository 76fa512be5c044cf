//! Headings and emphasis (step 5 of the `structure` module doc): which paragraphs are headings,
//! decided on the characters rendering keeps of a block ([`is_heading_rendered`]), and the
//! markdown emphasis markers left out of a block's text ([`emphasis_markers`]).
//!
//! The heading test asks about the rendered text (`render::render_into`) without building it:
//! [`Rendered`] produces its characters one at a time from the kept pieces of the block, and
//! [`heading_counts`] counts them eight bytes at a time where the text is ASCII.
//!
//! The functions the driver calls here, and the ones they call, are `#[inline]`: the driver in
//! `structure` had them inlined when they shared a module (see `patterns`).

use std::ops::Range;

use super::lines::{is_closer, is_terminal};
use crate::text::chars::{
    class, decode_at, decode_before, is_ws, ALNUM, ASCII_CLASS, LETTER, LOWER, UPPER, WS,
};

/// Byte ranges of matched markdown emphasis markers (`*x*`, `**x**`, `***x***`, `_x_`, `__x__`)
/// inside `range`.
#[inline]
pub(super) fn emphasis_markers(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[range.clone()];
    if memchr::memchr2(b'*', b'_', s.as_bytes()).is_none() {
        return;
    }
    let b = s.as_bytes();
    // (start, len, byte) of open runs.
    let mut stack: Vec<(usize, usize, u8)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch != b'*' && ch != b'_' {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j] == ch {
            j += 1;
        }
        let n = j - i;
        let prev = s[..i].chars().next_back();
        let next = s[j..].chars().next();
        let ws = |c: Option<char>| c.is_none_or(char::is_whitespace);
        let alnum = |c: Option<char>| c.is_some_and(crate::text::chars::is_letter_or_digit);
        let (can_open, can_close) = if ch == b'*' {
            (!ws(next), !ws(prev))
        } else {
            (!ws(next) && !alnum(prev), !ws(prev) && !alnum(next))
        };
        let mut done = false;
        if can_close && n <= 3 {
            if let Some(k) = stack.iter().rposition(|&(_, m, c)| c == ch && m == n) {
                let (os, on, _) = stack[k];
                stack.truncate(k);
                out.push(range.start + os..range.start + os + on);
                out.push(range.start + i..range.start + j);
                done = true;
            }
        }
        if !done && can_open && n <= 3 {
            stack.push((i, n, ch));
        }
        i = j;
    }
}

/// No heading is longer (characters of the rendered text).
const HEADING_MAX_CHARS: usize = 200;

/// Whether rendering ([`render_into`](crate::render::render_into)) folds `c`: whitespace, the
/// crate's one definition ([`crate::text::chars::is_ws`]).
#[inline]
fn folds(c: char) -> bool {
    is_ws(c)
}

/// The characters of a rendering ([`render_into`](crate::render::render_into)) of `pieces` of a text, produced one at a
/// time without building the string: each run of folded whitespace (across pieces too) is one
/// `' '`, none at the start or the end.
///
/// The heading test mostly decides within the first few dozen characters of a block, so
/// rendering the whole block first (as the output text does) would be most of its cost.
#[derive(Clone)]
struct Rendered<'a> {
    b: &'a [u8],
    pieces: &'a [Range<usize>],
    pos: usize,
    end: usize,
    /// Folded whitespace was seen since the last character produced.
    pending: bool,
    /// A character was produced.
    started: bool,
    /// The character to produce after the `' '` of a folded run.
    held: Option<char>,
}

impl<'a> Rendered<'a> {
    /// `pieces` are ranges of `text` at character boundaries.
    #[inline]
    fn new(text: &'a str, pieces: &'a [Range<usize>]) -> Rendered<'a> {
        Rendered {
            b: text.as_bytes(),
            pieces,
            pos: 0,
            end: 0,
            pending: false,
            started: false,
            held: None,
        }
    }
}

impl Iterator for Rendered<'_> {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.held.take() {
            return Some(c);
        }
        loop {
            while self.pos >= self.end {
                let (first, rest) = self.pieces.split_first()?;
                (self.pos, self.end) = (first.start, first.end);
                self.pieces = rest;
            }
            let x = self.b[self.pos];
            let c = if x < 0x80 {
                self.pos += 1;
                x as char
            } else {
                let c = decode_at(self.b, self.pos);
                self.pos += c.len_utf8();
                c
            };
            if folds(c) {
                self.pending = true;
                continue;
            }
            if self.pending && self.started {
                self.pending = false;
                self.held = Some(c);
                return Some(' ');
            }
            self.pending = false;
            self.started = true;
            return Some(c);
        }
    }
}

/// Whether the rendering of `pieces` ends a sentence or a clause: its last character after any
/// closers is sentence-ending punctuation or one of `,;:`.
#[inline]
fn rendered_ends_clause(text: &str, pieces: &[Range<usize>]) -> bool {
    let b = text.as_bytes();
    // Trailing folded whitespace is not rendered; after the closers, folded whitespace is a
    // space of the rendering (no clause end).
    let mut trailing = true;
    for p in pieces.iter().rev() {
        let mut end = p.end;
        while end > p.start {
            let (c, at) = decode_before(b, p.start, end);
            end = at;
            if trailing && folds(c) {
                continue;
            }
            trailing = false;
            if is_closer(c) {
                continue;
            }
            return is_terminal(c) || matches!(c, ',' | ';' | ':');
        }
    }
    false
}

/// Whether the rendering of `pieces` of `text` is a heading (see [`heading_counts`]), asked
/// of the rendered characters as they come (see [`Rendered`]), stopping as soon as the answer
/// is known.
#[inline]
pub(super) fn is_heading_rendered(text: &str, pieces: &[Range<usize>], multi_line: bool) -> bool {
    let chars = Rendered::new(text, pieces);
    // "II. Legal basis…": a section number in upper-case roman numerals.
    let mut it = chars.clone();
    let mut num = 0;
    let mut c = it.next();
    while let Some('I' | 'V' | 'X' | 'L' | 'C') = c {
        num += 1;
        c = it.next();
    }
    let roman = num > 0
        && c == Some('.')
        && it.next() == Some(' ')
        && it.next().is_some_and(char::is_uppercase);
    let ends_clause = rendered_ends_clause(text, pieces);
    let first = chars.map(class).find(|k| k & ALNUM != 0);
    heading_counts(text, pieces, roman, ends_clause, first, multi_line)
}

/// The heading test on the characters of a rendering, given what its start (`roman`, the
/// classes of its `first` letter or digit) and its end (`ends_clause`) say: counts letters,
/// upper-case letters, lower-case letters, words and characters over the kept `pieces` of
/// `text` as [`Rendered`] produces them, folding whitespace on the way.
#[inline]
fn heading_counts(
    text: &str,
    pieces: &[Range<usize>],
    roman: bool,
    ends_clause: bool,
    first: Option<u8>,
    multi_line: bool,
) -> bool {
    let b = text.as_bytes();
    let cased_first = first.is_some_and(|k| k & UPPER != 0 || (k & LETTER != 0 && k & LOWER == 0));
    // A text with a lower-case letter is a heading only up to this many characters (below:
    // ALL-CAPS headings may be longer), so the count can stop there.
    let mixed_max = if roman {
        150
    } else if !ends_clause && cased_first {
        if multi_line {
            150
        } else {
            100
        }
    } else {
        0
    };

    let (mut letters, mut upper, mut lower, mut other, mut chars) = (0, 0, 0, 0, 0);
    // Words as `split_whitespace` counts them (a letter is never whitespace).
    let mut words = 0;
    let mut in_word = false;
    // Folded whitespace seen since the last character; a character seen.
    let (mut pending, mut started) = (false, false);
    for p in pieces {
        let mut i = p.start;
        while i < p.end {
            // Eight bytes of ASCII text at a time (see [`AsciiChunk`]); anything else (other
            // bytes, the end of a piece) a character at a time, up to the next eight bytes.
            if let Some(ch) = AsciiChunk::of(&b[..p.end], i) {
                // Folded whitespace (here or before) renders to a space before a character
                // after it, unless nothing was rendered yet.
                let after_space = (ch.space << 8) | (pending as u64 * 0x80);
                let spaced = ch.text & after_space;
                let first = ch.text & ch.text.wrapping_neg();
                let n = ch.text.count_ones() as usize;
                chars +=
                    n + spaced.count_ones() as usize - (!started && first & spaced != 0) as usize;
                // A word starts at a character after a space, or at the first one unless it
                // continues a word.
                let word_start = (ch.space << 8) | ((pending || !in_word) as u64 * 0x80);
                words += (ch.text & word_start).count_ones() as usize;
                let (u, l) = (
                    ch.upper.count_ones() as usize,
                    ch.lower.count_ones() as usize,
                );
                letters += u + l;
                upper += u;
                lower += l;
                other += n - u - l;
                if n > 0 {
                    in_word = true;
                    started = true;
                }
                pending = ch.space >> 63 != 0;
                i += 8;
                // Both conditions only grow with the counts, so asking once per eight bytes
                // answers as asking at each character does.
                if chars > HEADING_MAX_CHARS || (lower > 0 && chars > mixed_max) {
                    return false;
                }
                continue;
            }
            let stop = (i + 8).min(p.end);
            while i < stop {
                let x = b[i];
                let (k, ws) = if x < 0x80 {
                    i += 1;
                    let k = ASCII_CLASS[x as usize];
                    if k & WS != 0 {
                        pending = true;
                        continue;
                    }
                    (k, k & WS != 0)
                } else {
                    let c = decode_at(b, i);
                    i += c.len_utf8();
                    let k = class(c);
                    if k & LETTER == 0 && is_ws(c) {
                        pending = true;
                        continue;
                    }
                    (k, false)
                };
                if pending && started {
                    // The space a run of whitespace renders to.
                    chars += 1;
                    if chars > HEADING_MAX_CHARS || (lower > 0 && chars > mixed_max) {
                        return false;
                    }
                    in_word = false;
                }
                pending = false;
                started = true;
                chars += 1;
                if chars > HEADING_MAX_CHARS || (lower > 0 && chars > mixed_max) {
                    // Longer than any heading of its kind below: no need to look further.
                    return false;
                }
                if k & LETTER != 0 {
                    letters += 1;
                    upper += (k & UPPER != 0) as usize;
                    lower += (k & (UPPER | LOWER) == LOWER) as usize;
                } else if !ws {
                    other += 1;
                }
                words += (!ws && !in_word) as usize;
                in_word = !ws;
            }
        }
    }
    if letters < 2 || letters * 10 < (letters + other) * 6 {
        return false;
    }
    if lower == 0 && upper >= 3 && chars <= 200 && words <= 30 {
        return true;
    }
    if chars > 150 || words > 20 {
        return false;
    }
    if roman {
        return true;
    }
    if ends_clause {
        return false;
    }
    cased_first && (multi_line || chars <= 100)
}

/// Blocks that a pattern of the document shows to be headings, though their shape alone does
/// not: short blocks that share a numbered pattern with other blocks (`Airteagal 23.`,
/// `Airteagal 24.`; `12. člen`, `13. člen`; `7‐статья`; `10 бап`), and multi-level numbered
/// section titles (`12.2.2.3. Setting Up the System`). A heading's pattern is its text with each
/// number (a run of digits of any script, a word of upper-case roman numerals) read as one
/// sign, lower-cased; it must hold a letter word besides the number, and a run of three or more
/// blocks of one pattern with nothing between them is a list (or a table of contents), not
/// headings. A list item made a heading gets its marker back (`12.` is the heading's number).
pub(super) fn context_headings(text: &str, blocks: &mut [crate::doc::Block]) {
    use crate::doc::{BlockKind, Flags};
    use std::collections::HashMap;
    let mut out = String::new();
    let mut patterns: Vec<Option<String>> = Vec::with_capacity(blocks.len());
    for b in blocks.iter_mut() {
        if !matches!(
            b.kind,
            BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Heading
        ) {
            patterns.push(None);
            continue;
        }
        // What can hold a pattern or a section number, told without rendering the block:
        // most blocks are not rendered here.
        let raw = &text[b.range.clone()];
        let single = !b.flags.contains(Flags::REFLOWED);
        let may_pattern = single
            && raw.len() <= 240
            && raw.split_ascii_whitespace().nth(4).is_none()
            && may_hold_number(raw);
        let may_title = b.kind == BlockKind::Paragraph
            && raw.len() <= 600
            && raw.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if !may_pattern && !may_title {
            patterns.push(None);
            continue;
        }
        out.clear();
        let marker = usize::from(
            b.kind == BlockKind::ListItem
                && b.elide.first().is_some_and(|e| e.start == b.range.start),
        );
        crate::render::render_into(text, b.range.clone(), &b.elide[marker..], &mut out);
        if may_title && numbered_title(&out) {
            b.kind = BlockKind::Heading;
        }
        patterns.push(may_pattern.then(|| pattern(&out)).flatten());
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in patterns.iter().flatten() {
        *counts.entry(p.as_str()).or_default() += 1;
    }
    let mut k = 0;
    while k < patterns.len() {
        let Some(p) = patterns[k].as_deref() else {
            k += 1;
            continue;
        };
        // The run of blocks of this pattern starting here.
        let mut end = k + 1;
        while end < patterns.len() && patterns[end].as_deref() == Some(p) {
            end += 1;
        }
        if counts[p] >= 2 && end - k < 3 {
            for b in &mut blocks[k..end] {
                if b.kind == BlockKind::ListItem
                    && b.elide.first().is_some_and(|e| e.start == b.range.start)
                {
                    b.elide.remove(0);
                }
                b.kind = BlockKind::Heading;
            }
        }
        k = end;
    }
}

/// Whether `s` may hold what [`pattern`] reads as a number: a digit of any script, or `I`, `V`
/// or `X` (the roman numerals headings use); a cheap test before it.
pub(super) fn may_hold_number(s: &str) -> bool {
    s.bytes()
        .any(|x| x.is_ascii_digit() || matches!(x, b'I' | b'V' | b'X'))
        || (!s.is_ascii() && s.chars().any(|c| !c.is_ascii() && c.is_numeric()))
}

/// The numbered pattern of a short text (see [`context_headings`]): at most four words and 60
/// characters, with a number and a word of two or more letters.
pub(super) fn pattern(s: &str) -> Option<String> {
    let mut key = String::with_capacity(s.len());
    let (mut words, mut chars, mut number, mut word) = (0, 0, false, false);
    for w in s.split_whitespace() {
        words += 1;
        if words > 4 {
            return None;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        let core = w.trim_end_matches(['.', ':', ')']);
        if core.len() > 1 && core.bytes().all(|c| b"IVXLC".contains(&c)) {
            key.push('#');
            key.push_str(&w[core.len()..]);
            number = true;
            continue;
        }
        let mut letters = 0;
        let mut in_number = false;
        for c in w.chars() {
            chars += 1;
            if c.is_numeric() {
                if !in_number {
                    key.push('#');
                }
                in_number = true;
                number = true;
                continue;
            }
            in_number = false;
            letters += usize::from(c.is_alphabetic());
            key.extend(c.to_lowercase());
        }
        word |= letters >= 2;
    }
    (number && word && chars <= 60).then_some(key)
}

/// Whether `s` is a multi-level numbered section title: `6.7.2.` or `6.7.2` and a space, then
/// a capital (or a letter of a script without case), at most 120 characters and 15 words, and
/// no sentence or clause punctuation at its end; `6.7 X` (two levels, no dot) needs two words
/// after the number.
fn numbered_title(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut levels = 0;
    let mut dot = false;
    loop {
        let d = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if d == 0 || d > 3 {
            return false;
        }
        i += d;
        levels += 1;
        match b.get(i) {
            Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
            Some(b'.') if b.get(i + 1) == Some(&b' ') => {
                i += 2;
                dot = true;
                break;
            }
            Some(b' ') => {
                i += 1;
                break;
            }
            _ => return false,
        }
    }
    let Some(first) = s[i..].chars().next() else {
        return false;
    };
    let cased = first.is_uppercase() || (first.is_alphabetic() && !first.is_lowercase());
    let last = s.chars().next_back().unwrap_or(' ');
    // `2.5 GB` is a quantity: a number without its dot and of two levels needs two words.
    let words = s[i..].split_whitespace().count();
    levels >= 2
        && (dot || levels >= 3 || words >= 2)
        && cased
        && s.chars().count() <= 120
        && s.split_whitespace().count() <= 15
        && !(is_terminal(last) || matches!(last, ',' | ';' | ':'))
}

/// Eight bytes of ASCII text, as masks of the high bit of each byte (byte `j` of the
/// little-endian word at bit `8 * j + 7`): `space` the whitespace that rendering folds (tab,
/// line feed, form feed, carriage return, space), `text` the other bytes, `upper` and `lower`
/// the ASCII letters.
struct AsciiChunk {
    space: u64,
    text: u64,
    upper: u64,
    lower: u64,
}

impl AsciiChunk {
    /// The masks of the eight bytes of `b` from `start`, if there are eight, every one is ASCII
    /// and none is a control character other than whitespace.
    #[inline]
    fn of(b: &[u8], start: usize) -> Option<AsciiChunk> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        let w: [u8; 8] = b.get(start..start.checked_add(8)?)?.try_into().ok()?;
        let x = u64::from_le_bytes(w);
        if x & HI != 0 {
            return None;
        }
        // With every byte below 0x80, adding at most 0x7F to each byte carries into no other
        // byte: the high bit of `x + (0x80 - n)` says the byte is at least `n`.
        let at_least = |n: u8| x.wrapping_add((0x80 - n as u64) * ONES) & HI;
        // The high bit of `(y & 0x7F) + 0x7F` or of `y` says the byte `y` is not zero.
        let equal = |n: u8| {
            let y = x ^ (n as u64 * ONES);
            !((y & !HI).wrapping_add(!HI) | y) & HI
        };
        let space = equal(b' ') | (at_least(0x09) & !at_least(0x0E));
        if !at_least(0x21) & HI & !space != 0 {
            return None;
        }
        Some(AsciiChunk {
            space,
            text: HI & !space,
            upper: at_least(b'A') & !at_least(b'Z' + 1),
            lower: at_least(b'a') & !at_least(b'z' + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::render::render_into;
    use crate::stage::structure::kept_pieces;
    use crate::stage::structure::tests::props::line;
    use crate::stage::structure::tests::{reflow, run, sample_texts, texts};
    use crate::stage::structure::trim_range;
    use crate::stage::structure::Structurer;

    #[test]
    fn emphasis_markers_are_elided() {
        let t = "In Khojaly case, the intent can be inferred, *inter alia*, from **bold** facts.\n\
                 \n**United Nations Resolution 853 (1993)\nRegarding the Conflict**\n\
                 \nThen snake_case_name and 2 * 3 * 4 stay; a *footnote marker too.\n";
        let t2 = texts(t);
        assert_eq!(
            t2[0],
            "In Khojaly case, the intent can be inferred, inter alia, from bold facts."
        );
        assert_eq!(
            t2[1],
            "United Nations Resolution 853 (1993) Regarding the Conflict"
        );
        assert_eq!(
            t2[2],
            "Then snake_case_name and 2 * 3 * 4 stay; a *footnote marker too."
        );
        let mut cfg = Config::default().structure;
        cfg.strip_markdown = false;
        let b = Structurer::new(&cfg).blocks("*inter alia*\n");
        assert!(b[0].elide.is_empty());
    }

    #[test]
    fn headings() {
        let t = "KHOJALY– OFFICIAL PAPERS\n\nKhojaly genocide as an international crime\n\n\
                 II. Legal basis for qualification of Khojaly massacre as an international crime.\n\n\
                 ## Markdown heading\n\n\
                 This is an ordinary sentence that ends with a full stop.\n\nText:\n";
        let kinds: Vec<_> = run(t).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            vec![
                "heading",
                "heading",
                "heading",
                "heading",
                "paragraph",
                "paragraph"
            ]
        );
        assert_eq!(texts(t)[3], "Markdown heading");
    }

    /// The heading rule on a rendered text `s`, counted over all of it (no early exit), given what
    /// its start says (`roman`: it opens with a section number in upper-case roman numerals,
    /// `II. Title`; `first`: its first letter or digit) and its end (`ends_clause`): at least two
    /// letters, 60 % of its characters other than whitespace; then an ALL-CAPS text of at least
    /// three letters, up to 200 characters and 30 words, is a heading; any other one of up to 150
    /// characters and 20 words is when it opens with a roman section number, or when it does not
    /// end a clause and its first letter or digit is an upper-case letter or a letter without case,
    /// up to 100 characters on one line.
    fn heading_rule(
        s: &str,
        roman: bool,
        ends_clause: bool,
        first: Option<char>,
        multi_line: bool,
    ) -> bool {
        let (mut letters, mut upper, mut lower, mut other, mut chars) = (0, 0, 0, 0, 0);
        for c in s.chars() {
            chars += 1;
            if c.is_alphabetic() {
                letters += 1;
                if c.is_uppercase() {
                    upper += 1;
                } else if c.is_lowercase() {
                    lower += 1;
                }
            } else if !c.is_whitespace() {
                other += 1;
            }
        }
        let words = s.split_whitespace().count();
        if letters < 2 || letters * 10 < (letters + other) * 6 {
            return false;
        }
        if lower == 0 && upper >= 3 && chars <= HEADING_MAX_CHARS && words <= 30 {
            return true;
        }
        if chars > 150 || words > 20 {
            return false;
        }
        if roman {
            return true;
        }
        if ends_clause {
            return false;
        }
        let cased_first =
            first.is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()));
        cased_first && (multi_line || chars <= 100)
    }

    /// The heading test on a rendered text: [`heading_rule`], with its start and end read from
    /// the text.
    fn is_heading_reference(s: &str, multi_line: bool) -> bool {
        let roman = s.split_once(". ").is_some_and(|(num, rest)| {
            !num.is_empty()
                && num.chars().all(|c| "IVXLC".contains(c))
                && rest.chars().next().is_some_and(char::is_uppercase)
        });
        let end = s.trim_end_matches(is_closer);
        let ends_clause = end.ends_with(is_terminal) || end.ends_with([',', ';', ':']);
        let first = s.chars().find(|c| c.is_alphanumeric());
        heading_rule(s, roman, ends_clause, first, multi_line)
    }

    fn assert_heading_as_reference(s: &str) {
        assert_rendered_heading_as_reference(s, 0..s.len(), &[]);
    }

    #[test]
    fn heading_test_equals_the_reference() {
        for t in sample_texts() {
            for l in t.lines() {
                assert_heading_as_reference(l.trim());
            }
            for p in t.split("\n\n") {
                assert_heading_as_reference(p.trim());
            }
        }
        for s in [
            "IV. The Title",
            "IV.. x",
            "ALL CAPS TITLE.",
            "Title with words",
            "A",
            "XII. résumé",
            "\u{2003}Ünïcödé Title",
        ] {
            assert_heading_as_reference(s);
        }
    }

    /// The heading test on the rendered characters as they come equals the test on the
    /// rendered string.
    fn assert_rendered_heading_as_reference(t: &str, range: Range<usize>, elide: &[Range<usize>]) {
        let mut out = String::new();
        render_into(t, range.clone(), elide, &mut out);
        let mut pieces = Vec::new();
        kept_pieces(range, elide, &mut pieces);
        let chars: String = Rendered::new(t, &pieces).collect();
        assert_eq!(chars, out);
        let ends = out.trim_end_matches(is_closer);
        assert_eq!(
            rendered_ends_clause(t, &pieces),
            ends.ends_with(is_terminal) || ends.ends_with([',', ';', ':']),
            "{out:?}"
        );
        for multi in [false, true] {
            assert_eq!(
                is_heading_rendered(t, &pieces, multi),
                is_heading_reference(&out, multi),
                "{out:?} {multi}"
            );
        }
    }

    #[test]
    fn rendered_heading_test_equals_the_reference() {
        for t in sample_texts() {
            for b in reflow().blocks(&t) {
                assert_rendered_heading_as_reference(&t, b.range.clone(), &b.elide);
                assert_rendered_heading_as_reference(&t, b.range.clone(), &[]);
            }
        }
    }

    /// The text that rendering makes of `pieces` of `text` (sorted, not overlapping): the range
    /// from the first to the last, with the gaps between them elided.
    fn render_pieces(text: &str, pieces: &[Range<usize>]) -> String {
        let mut out = String::new();
        if let (Some(a), Some(z)) = (pieces.first(), pieces.last()) {
            let gaps: Vec<Range<usize>> = pieces.windows(2).map(|w| w[0].end..w[1].start).collect();
            render_into(text, a.start..z.end, &gaps, &mut out);
        }
        out
    }

    /// [`heading_counts`] equals [`heading_rule`] on the rendered pieces for every start and end
    /// its callers can give (the first letter or digit: none, a digit, an upper-case, a
    /// lower-case letter, a letter without case).
    fn assert_heading_counts_as_reference(t: &str, pieces: &[Range<usize>]) {
        let rendered = render_pieces(t, pieces);
        let firsts = [None, Some('1'), Some('A'), Some('a'), Some('ا')];
        for roman in [false, true] {
            for ends in [false, true] {
                for first in firsts {
                    for multi in [false, true] {
                        assert_eq!(
                            heading_counts(t, pieces, roman, ends, first.map(class), multi),
                            heading_rule(&rendered, roman, ends, first, multi),
                            "{:?} {roman} {ends} {first:?} {multi}",
                            pieces.iter().map(|p| &t[p.clone()]).collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn heading_counts_equal_the_reference() {
        let mut pieces = Vec::new();
        for t in sample_texts() {
            for b in reflow().blocks(&t) {
                kept_pieces(b.range.clone(), &b.elide, &mut pieces);
                assert_heading_counts_as_reference(&t, &pieces);
                assert_heading_counts_as_reference(&t, std::slice::from_ref(&b.range));
            }
        }
        // Constructed: folded whitespace of every kind, U+000B and other controls, runs at the
        // edges of the eight-byte words, pieces cut inside words and inside runs of spaces.
        for t in [
            "CHAPTER ONE  THE\tBEGINNING\r\n",
            "  Leading spaces and a Title Case line of some length, longer than eight",
            "A\u{b}B\u{b}C THE END OF\u{c}IT\x01ALL",
            "ABCDEFG HIJKLMNO   PQRSTUVW\n\n\nXYZ abcdefgh 12345678 !!??..,,",
            "        \t\t\t\t        Heading        ",
            "Mixed ÉTAT and ASCII: ünïcödé between WORDS OF EIGHT",
            "\x7f\x7f\x7f\x7fDEL\x7f and 0123456789 digits 0123456789",
        ] {
            let n = t.len();
            assert_heading_counts_as_reference(t, std::slice::from_ref(&(0..n)));
            for cut in (0..=n).filter(|&c| t.is_char_boundary(c)) {
                assert_heading_counts_as_reference(t, &[0..cut, cut..n]);
                assert_heading_counts_as_reference(t, std::slice::from_ref(&(cut..n)));
                assert_heading_counts_as_reference(t, std::slice::from_ref(&(0..cut)));
            }
        }
    }

    /// Constructed: texts of every length around the limits of the heading test (100, 150 and
    /// 200 characters, 20 and 30 words), so that a count one off changes the answer.
    #[test]
    fn heading_counts_equal_the_reference_at_the_limits() {
        for lead in ["", "  ", "\t\n ", "\u{b}"] {
            for word in ["A", "Ab", "ABC", "abcd", "Abcdefg", "ABCDEFGHI", "a1b2c3d"] {
                for gap in [" ", "  ", "\n", " \u{b} "] {
                    let mut t = String::from(lead);
                    while t.len() < 230 {
                        t.push_str(word);
                        t.push_str(gap);
                    }
                    for n in (80..=t.len()).filter(|&n| t.is_char_boundary(n)) {
                        assert_heading_counts_as_reference(&t, std::slice::from_ref(&(0..n)));
                        assert_heading_counts_as_reference(&t, &[0..1, 1..n]);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn heading_counts_equal_the_reference_on_any_text(
            t in "([ \t\n\r\u{b}\u{c}\u{1}\u{7f}\u{85}\u{a0}.,;:)*_0-9]|[a-z]{1,12}|[A-Z]{1,12}|[é É]{1,3}|\\PC){0,60}",
            cuts in proptest::collection::vec(0usize..400, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts
                .into_iter()
                .map(|c| c.min(t.len()))
                .filter(|&c| t.is_char_boundary(c))
                .collect();
            cuts.sort_unstable();
            let elide: Vec<Range<usize>> = cuts.chunks_exact(2).map(|p| p[0]..p[1]).collect();
            let mut pieces = Vec::new();
            kept_pieces(0..t.len(), &elide, &mut pieces);
            assert_heading_counts_as_reference(&t, &pieces);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// The heading test agrees with its reference on generated lines.
        #[test]
        fn heading_test_equals_the_reference_on_generated_lines(
            lines in proptest::collection::vec(line(), 0..30),
        ) {
            for l in &lines {
                assert_heading_as_reference(l.trim());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn rendered_heading_equals_its_reference(
            t in "([ \t\n\u{b}\u{85}\u{a0}\u{2009}\u{3000}.,;:)»*_]|[a-zé]{1,30}|[A-ZÉ]{1,30}|IV\\. |\\PC){0,60}",
            cuts in proptest::collection::vec(0usize..400, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts
                .into_iter()
                .map(|c| c.min(t.len()))
                .filter(|&c| t.is_char_boundary(c))
                .collect();
            cuts.sort_unstable();
            let elide: Vec<Range<usize>> = cuts.chunks_exact(2).map(|p| p[0]..p[1]).collect();
            for e in [&elide[..], &[]] {
                assert_rendered_heading_as_reference(&t, 0..t.len(), e);
                let trimmed = trim_range(&t, 0..t.len());
                assert_rendered_heading_as_reference(&t, trimmed, e);
            }
        }
    }
}
