//! Line measurement: a document's lines as byte ranges ([`lines`], [`trim_range`]), and what the
//! reflow steps need to know of each line ([`Line`]): its kind before lines are joined, indent,
//! length in characters, list and markdown heading markers, first and last characters, first
//! word, sentence end and direction. The sentence-ending punctuation and closers that the line
//! end and the heading test look for are here too.

use std::ops::Range;

use super::patterns::{is_page_number, is_separator, list_marker, markdown_heading};
use crate::doc::BlockKind;
use crate::text::chars::{
    class, decode_at, decode_before, is_ascii_ws, is_ws, ASCII_CLASS, LETTER,
};

/// Lines of `text` as byte ranges without their `\n`.
pub fn lines(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    let bytes = text.as_bytes();
    std::iter::from_fn(move || {
        if start > bytes.len() || (start == bytes.len() && !bytes.is_empty()) {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let r = start..end;
        start = end + 1;
        Some(r)
    })
}

/// Trims whitespace from both ends of `text[range]`.
pub fn trim_range(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let s = &text[range.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead == s.len() {
        return range.start..range.start;
    }
    range.start + lead..range.end - trail
}

/// What a line is, before lines are joined into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineKind {
    Blank,
    Text,
    Toc,
    PageNumber,
    Separator,
    HeaderFooter,
}

impl LineKind {
    pub(super) fn block_kind(self) -> Option<BlockKind> {
        match self {
            LineKind::Toc => Some(BlockKind::TocEntry),
            LineKind::PageNumber => Some(BlockKind::PageNumber),
            LineKind::Separator => Some(BlockKind::Separator),
            LineKind::HeaderFooter => Some(BlockKind::HeaderFooter),
            LineKind::Blank | LineKind::Text => None,
        }
    }
}

/// Measurements of one line: 40 bytes, one for each line of a document, so kept small (byte
/// offsets as `u32`: the reflow driver takes only texts shorter than 4 GiB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// The line without surrounding whitespace: its start and end, see [`Line::content`].
    start: u32,
    end: u32,
    /// Leading whitespace, a tab counting 4.
    pub(super) indent: u32,
    /// Characters of `content`.
    pub(super) len: u32,
    /// Bytes of the list marker and the spaces after it at the start of `content` (0: none).
    pub(super) marker: u32,
    /// Bytes of a markdown heading marker (`## `) at the start of `content` (0: none).
    pub(super) hashes: u32,
    /// First character after the marker, and the last character.
    pub(super) first: char,
    pub(super) last: char,
    /// Characters of the first word (1 for a CJK character: those lines break anywhere).
    pub(super) first_word: u32,
    /// The line ends a sentence (for a right-to-left line extracted in visual order, the
    /// sentence end may also be at its start).
    pub(super) ends_sentence: bool,
    /// The wrap width of the region around the line (30 to 200); 0 when the region is not
    /// hard-wrapped.
    pub(super) width: u8,
    pub(super) kind: LineKind,
    /// The first letter is right-to-left.
    pub(super) rtl: bool,
}

const _: () = assert!(std::mem::size_of::<Line>() <= 40);

/// Sentence-ending punctuation.
pub(super) fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '。' | '！' | '？' | '؟' | '۔' | '।' | '॥' | '։' | '።'
    )
}

/// Closing quotes and brackets (and emphasis markers) that may follow a sentence end.
pub(super) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '）' | '」' | '』' | '*' | '_'
    )
}

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
        && !matches!(c as u32, 0xAC00..=0xD7AF)
}

pub(super) fn is_rtl_letter(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

impl Line {
    /// Measures a line. Only the characters at its two ends are looked at one by one (the
    /// whitespace around it, the markers and first word at its start, the closers and
    /// punctuation at its end, up to its first letter); the characters are counted eight bytes
    /// at a time, and only the lead bytes of non-ASCII whitespace are decoded to test for it.
    pub(super) fn new(text: &str, range: Range<usize>) -> Line {
        let b = text.as_bytes();
        // Leading whitespace, a tab counting 4.
        let mut i = range.start;
        let mut indent = 0;
        while i < range.end {
            let x = b[i];
            if x < 0x80 {
                if !is_ascii_ws(x) {
                    break;
                }
                indent += if x == b'\t' { 4 } else { 1 };
                i += 1;
            } else {
                if !matches!(x, 0xC2 | 0xE1 | 0xE2 | 0xE3) {
                    break;
                }
                let c = decode_at(b, i);
                if !is_ws(c) {
                    break;
                }
                indent += 1;
                i += c.len_utf8();
            }
        }
        if i == range.end {
            return Line::blank(range.start);
        }
        // Trailing whitespace, and the last character (there is one that is not whitespace at
        // `i`, so the loop stops there at the latest).
        let mut j = range.end;
        let last = loop {
            let x = b[j - 1];
            if x < 0x80 {
                if is_ascii_ws(x) {
                    j -= 1;
                    continue;
                }
                break x as char;
            }
            let (c, at) = decode_before(b, i, j);
            if is_ws(c) {
                j = at;
                continue;
            }
            break c;
        };
        let content = i..j;
        let s = &text[content.clone()];
        let kind = if is_separator(s) {
            LineKind::Separator
        } else if is_page_number(s) {
            LineKind::PageNumber
        } else {
            LineKind::Text
        };
        let marker = list_marker(s) as u32;
        let hashes = markdown_heading(s) as u32;
        let body = &s.as_bytes()[(marker + hashes) as usize..];
        let first = if body.is_empty() {
            ' '
        } else {
            decode_at(body, 0)
        };
        let first_word = if is_cjk(first) { 1 } else { word_chars(body) };
        // The first letter is right-to-left.
        let mut rtl = false;
        let mut k = i;
        while k < j {
            let x = b[k];
            if x < 0x80 {
                if ASCII_CLASS[x as usize] & LETTER != 0 {
                    break;
                }
                k += 1;
            } else {
                let c = decode_at(b, k);
                if class(c) & LETTER != 0 {
                    rtl = is_rtl_letter(c);
                    break;
                }
                k += c.len_utf8();
            }
        }
        // The last character before any closers ends a sentence.
        let mut e = j;
        let mut ends_sentence = false;
        while e > i {
            let (c, at) = decode_before(b, i, e);
            if !is_closer(c) {
                ends_sentence = is_terminal(c);
                break;
            }
            e = at;
        }
        Line {
            start: content.start as u32,
            end: content.end as u32,
            kind,
            indent,
            len: count_chars(s.as_bytes()),
            marker,
            hashes,
            first,
            last,
            first_word,
            ends_sentence: ends_sentence
                || (rtl && s.trim_start_matches(is_closer).starts_with(is_terminal)),
            width: 0,
            rtl,
        }
    }

    pub(super) fn blank(at: usize) -> Line {
        Line {
            start: at as u32,
            end: at as u32,
            kind: LineKind::Blank,
            indent: 0,
            len: 0,
            marker: 0,
            hashes: 0,
            first: ' ',
            last: ' ',
            first_word: 0,
            ends_sentence: false,
            width: 0,
            rtl: false,
        }
    }

    /// The line without surrounding whitespace.
    #[inline]
    pub(super) fn content(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub(super) fn is_text(&self) -> bool {
        self.kind == LineKind::Text
    }
}

/// Characters of the first word of `s` (valid UTF-8, up to the first whitespace). First words
/// are short: a byte at a time, decoding only the lead bytes of non-ASCII whitespace.
fn word_chars(s: &[u8]) -> u32 {
    let (mut k, mut n) = (0, 0);
    while k < s.len() {
        let x = s[k];
        if x < 0x80 {
            if is_ascii_ws(x) {
                break;
            }
            k += 1;
        } else {
            // Only these lead bytes start whitespace (see `is_ws`).
            if matches!(x, 0xC2 | 0xE1 | 0xE2 | 0xE3) && is_ws(decode_at(s, k)) {
                break;
            }
            k += match x {
                ..0xE0 => 2,
                0xE0..0xF0 => 3,
                _ => 4,
            };
        }
        n += 1;
    }
    n
}

/// Characters of valid UTF-8 `s`: its bytes that are not continuation bytes (`10xxxxxx`),
/// counted eight at a time.
fn count_chars(s: &[u8]) -> u32 {
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut cont = 0u64;
    let mut chunks = s.chunks_exact(8);
    loop {
        // Each byte of `sum` counts the continuation bytes at its place in up to 31 chunks, so
        // that the eight of them add up to at most 248 (one byte) below.
        let (mut sum, mut n) = (0u64, 0);
        for c in chunks.by_ref().take(31) {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            let v = u64::from_le_bytes(w);
            // Bit 7 set and bit 6 clear (`v << 1` brings each byte's bit 6 to its bit 7).
            sum += (v & !(v << 1) & HI) >> 7;
            n += 1;
        }
        cont += sum.wrapping_mul(0x0101_0101_0101_0101) >> 56;
        if n < 31 {
            break;
        }
    }
    let rest = chunks.remainder();
    let tail = rest.iter().filter(|&&x| x & 0xC0 == 0x80).count() as u64;
    (s.len() as u64 - cont - tail) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::structure::tests::props::line;
    use crate::stage::structure::tests::{sample_lines, sample_texts, LINE_TEXT};

    fn char_len(s: &str) -> u32 {
        if s.is_ascii() {
            s.len() as u32
        } else {
            s.bytes().filter(|b| (b & 0xC0) != 0x80).count() as u32
        }
    }

    fn ends_sentence(s: &str) -> bool {
        s.trim_end_matches(is_closer).ends_with(is_terminal)
    }

    impl Line {
        /// Measures a line of any characters, one predicate at a time: the definition of
        /// [`Line::new`].
        fn new_general(text: &str, range: Range<usize>) -> Line {
            let raw = &text[range.clone()];
            let content = trim_range(text, range);
            let s = &text[content.clone()];
            let mut line = Line::blank(content.start);
            (line.start, line.end) = (content.start as u32, content.end as u32);
            if s.is_empty() {
                return line;
            }
            line.indent = raw
                .chars()
                .take_while(|c| c.is_whitespace())
                .map(|c| if c == '\t' { 4 } else { 1 })
                .sum();
            line.len = char_len(s);
            line.kind = if is_separator(s) {
                LineKind::Separator
            } else if is_page_number(s) {
                LineKind::PageNumber
            } else {
                LineKind::Text
            };
            line.marker = list_marker(s) as u32;
            line.hashes = markdown_heading(s) as u32;
            let body = &s[(line.marker + line.hashes) as usize..];
            line.first = body.chars().next().unwrap_or(' ');
            line.last = s.chars().next_back().unwrap_or(' ');
            line.first_word = if is_cjk(line.first) {
                1
            } else {
                char_len(body.split(char::is_whitespace).next().unwrap_or(""))
            };
            line.rtl = s
                .chars()
                .find(|&c| c.is_alphabetic())
                .is_some_and(is_rtl_letter);
            line.ends_sentence = ends_sentence(s)
                || (line.rtl && s.trim_start_matches(is_closer).starts_with(is_terminal));
            line
        }
    }

    /// `Line::new` measures exactly what the general definition does.
    fn assert_same_lines(t: &str) {
        for r in lines(t) {
            assert_eq!(
                Line::new(t, r.clone()),
                Line::new_general(t, r.clone()),
                "{:?}",
                &t[r]
            );
        }
    }

    #[test]
    fn lines_measure_as_the_general_definition() {
        for t in sample_texts() {
            assert_same_lines(&t);
        }
        assert_same_lines(
            "\t  - item\n\x0b(iv) x\n  ## Head\r\n* * *\n12\nPage 3 of 10\n\"End.\")\n\n \n_x_\n\"",
        );
        // Constructed: non-ASCII whitespace around and inside, closers, right-to-left lines
        // ending at their start, CJK first words, bullets.
        assert_same_lines(
            "\u{3000}\u{a0} • élan vital\u{2003}\n\u{85}x\u{2009}\n«Fin.»\u{a0}\n.ةما و ا\n(ةما»\n\
             日本語 テキスト\n\u{1680}\n– ½ dé\n‘Quoted?’ ”\n\u{2028}\n Straße\u{205f}Ende ",
        );
    }

    /// [`count_chars`] and [`word_chars`] count what `str::chars` counts.
    fn assert_counts_as_reference(s: &str) {
        let b = s.as_bytes();
        assert_eq!(count_chars(b), s.chars().count() as u32, "{s:?}");
        let word = s.split(char::is_whitespace).next().unwrap_or("");
        assert_eq!(word_chars(b), word.chars().count() as u32, "{s:?}");
    }

    #[test]
    fn char_counts_equal_their_definitions() {
        for s in sample_lines() {
            assert_counts_as_reference(&s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// The measurement agrees with the general definition on generated documents.
        #[test]
        fn lines_measure_as_the_general_definition_on_generated_lines(
            lines in proptest::collection::vec(line(), 0..30),
        ) {
            assert_same_lines(&lines.join("\n"));
        }
    }

    proptest::proptest! {
        #[test]
        fn char_counts_equal_their_definitions_on_any_text(s in LINE_TEXT) {
            assert_counts_as_reference(&s);
            assert_counts_as_reference(s.trim());
        }
    }
}
