//! Structure: a document's lines to blocks (paragraphs, headings, list items, boilerplate).
//!
//! Most text that reaches a corpus came out of a PDF or a web page, and its lines are not its
//! paragraphs. This stage owns the decision of where a block starts and ends, what kind it is,
//! and which bytes inside it are not text (markers, the hyphen of a rejoined word).
//!
//! `blank_lines` mode: blocks are separated by blank lines and every other line break stays
//! inside its block (where it is folded to a space in the output text).
//!
//! `reflow` mode (the default) works from measured line statistics, never from a file name:
//!
//! 1. **Boilerplate lines** are recognised one by one: separators (`* * *`, `__________`),
//!    page numbers alone on a line (`12`, `- 12 -`, `Page 3 of 10`, `iv`), table-of-contents
//!    entries (a title, then dot leaders, a tab or wide spaces, then a page number; the short
//!    title line right above such a run, e.g. `CONTENTS`, goes with it), and running headers and
//!    footers (a short line repeated at least three times, digits folded, that mostly sits next
//!    to a page number).
//! 2. **Wrap width per region**: for every text line, the width of the lines around it (nine
//!    lines) — the largest length that at least three of them, and 40 % of them, come within 20 %
//!    of. A region without such a width (one paragraph per line, short title lines) is not
//!    hard-wrapped.
//! 3. **Joining** two consecutive text lines: never into a list item, across boilerplate or
//!    into an indented first line; a line ending in `letter-` is joined to the next (rejoined
//!    or kept as a compound, see below); a line not ending a sentence is joined to a line that
//!    starts in lower case; in a document whose paragraphs are separated by blank lines, lines
//!    with no blank line between them stay together (as in `blank_lines`); in a hard-wrapped
//!    region, a line is joined to the next when the next line's first word would not have fit
//!    on it (strictly when it ends a sentence, loosely — beyond 80 % of the width — when it does not). A blank line after
//!    every line (PDF extraction) therefore means nothing in a wrapped region.
//! 4. **Dehyphenation** (`dehyphenate`): `inter-` + line break + `national` loses its hyphen
//!    when the document's own vocabulary says the joined form is a word (it occurs elsewhere in
//!    the document, or the hyphenated form never does); otherwise the hyphen stays and only the
//!    line break goes (`long-` / `lasting` → `long-lasting`). A capital or a digit after the
//!    hyphen always keeps it (`New-` / `Jersey`).
//! 5. **Kinds and markers**: a block opening with a list marker (`- `, `• `, `1. `, `a) `,
//!    `(iv) `) is a `list_item` and the marker is left out of its text; ALL-CAPS lines, short
//!    title lines and `# ` markdown headings are `heading`s; markdown emphasis markers
//!    (`*inter alia*`, `**bold**`, `_x_`) are left out of the text, the words kept
//!    (`strip_markdown`).

use std::cell::RefCell;
use std::collections::HashMap;

use std::ops::Range;
use xxhash_rust::xxh3::Xxh3Builder;

use crate::config::{StructureConfig, StructureMode};
use crate::doc::{Block, BlockKind, DropReason, Flags};

/// The structure stage, built once from the config.
#[derive(Debug, Clone)]
pub struct Structurer {
    mode: StructureMode,
    keep_boilerplate: bool,
    dehyphenate: bool,
    strip_markdown: bool,
}

impl Structurer {
    pub fn new(cfg: &StructureConfig) -> Structurer {
        Structurer {
            mode: cfg.mode,
            keep_boilerplate: cfg.keep_boilerplate,
            dehyphenate: cfg.dehyphenate,
            strip_markdown: cfg.strip_markdown,
        }
    }

    /// Why the segments of a block of `kind` are dropped: its boilerplate kind, unless
    /// `[structure] keep_boilerplate` keeps them.
    pub fn drop_reason(&self, kind: BlockKind) -> Option<DropReason> {
        DropReason::from_block(kind).filter(|_| !self.keep_boilerplate)
    }

    /// The blocks of `text`, in order, each trimmed of surrounding whitespace.
    pub fn blocks(&self, text: &str) -> Vec<Block> {
        match self.mode {
            StructureMode::BlankLines => blank_line_blocks(text),
            StructureMode::Reflow => self.reflow_blocks(text),
        }
    }
}

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

fn blank_line_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut cur: Option<std::ops::Range<usize>> = None;
    for line in lines(text) {
        if text[line.clone()].trim().is_empty() {
            if let Some(r) = cur.take() {
                blocks.push(Block::new(BlockKind::Paragraph, trim_range(text, r)));
            }
        } else {
            cur = Some(match cur {
                Some(r) => r.start..line.end,
                None => line,
            });
        }
    }
    if let Some(r) = cur {
        blocks.push(Block::new(BlockKind::Paragraph, trim_range(text, r)));
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// Reflow
// ---------------------------------------------------------------------------------------------

/// What a line is, before lines are joined into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Text,
    Toc,
    PageNumber,
    Separator,
    HeaderFooter,
}

impl LineKind {
    fn block_kind(self) -> Option<BlockKind> {
        match self {
            LineKind::Toc => Some(BlockKind::TocEntry),
            LineKind::PageNumber => Some(BlockKind::PageNumber),
            LineKind::Separator => Some(BlockKind::Separator),
            LineKind::HeaderFooter => Some(BlockKind::HeaderFooter),
            LineKind::Blank | LineKind::Text => None,
        }
    }
}

/// Measurements of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// The line without surrounding whitespace.
    content: Range<usize>,
    kind: LineKind,
    /// Leading whitespace, a tab counting 4.
    indent: u32,
    /// Characters of `content`.
    len: u32,
    /// Bytes of the list marker and the spaces after it at the start of `content` (0: none).
    marker: u32,
    /// Bytes of a markdown heading marker (`## `) at the start of `content` (0: none).
    hashes: u32,
    /// First character after the marker, and the last character.
    first: char,
    last: char,
    /// Characters of the first word (1 for a CJK character: those lines break anywhere).
    first_word: u32,
    /// The line ends a sentence (for a right-to-left line extracted in visual order, the
    /// sentence end may also be at its start).
    ends_sentence: bool,
    /// The wrap width of the region around the line; 0 when the region is not hard-wrapped.
    width: u32,
    /// The first letter is right-to-left.
    rtl: bool,
}

/// Sentence-ending punctuation.
fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '。' | '！' | '？' | '؟' | '۔' | '।' | '॥' | '։' | '።'
    )
}

/// Closing quotes and brackets (and emphasis markers) that may follow a sentence end.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '）' | '」' | '』' | '*' | '_'
    )
}

#[cfg(test)]
fn char_len(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.bytes().filter(|b| (b & 0xC0) != 0x80).count() as u32
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
        && !matches!(c as u32, 0xAC00..=0xD7AF)
}

fn is_rtl_letter(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Exactly `char::is_whitespace`, without a table search.
#[inline]
fn is_ws(c: char) -> bool {
    matches!(
        c as u32,
        0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    )
}

/// `char::is_whitespace` for an ASCII byte.
fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

impl Line {
    /// Measures a line. Only the characters at its two ends are looked at one by one (the
    /// whitespace around it, the markers and first word at its start, the closers and
    /// punctuation at its end, up to its first letter); the characters are counted eight bytes
    /// at a time, and only the lead bytes of non-ASCII whitespace are decoded to test for it.
    fn new(text: &str, range: Range<usize>) -> Line {
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
            content,
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

    fn blank(at: usize) -> Line {
        Line {
            content: at..at,
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

    fn is_text(&self) -> bool {
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
fn ends_sentence(s: &str) -> bool {
    s.trim_end_matches(is_closer).ends_with(is_terminal)
}

/// A line of rule characters only: `* * *`, `__________`, `-----`, `=====`.
fn is_separator(s: &str) -> bool {
    let mut n = 0;
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        if !matches!(
            c,
            '*' | '-' | '_' | '=' | '~' | '#' | '.' | '·' | '•' | '–' | '—' | '+' | '─' | '━' | '═'
        ) {
            return false;
        }
        n += 1;
    }
    n >= 3
}

fn is_roman_lower(t: &str) -> bool {
    !t.is_empty() && t.len() <= 7 && t.bytes().all(|b| b"ivxlc".contains(&b))
}

fn is_digits(t: &str, max: usize) -> bool {
    !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit())
}

/// A page number alone on a line: `12`, `- 12 -`, `(12)`, `12/30`, `Page 3`, `Page 3 of 10`, `iv`.
fn is_page_number(s: &str) -> bool {
    if s.len() > 40 {
        return false;
    }
    let t = s.trim_matches(|c: char| matches!(c, '-' | '–' | '—' | '(' | ')' | '[' | ']' | '|'));
    // The first word is a number, a lower-case roman numeral or a page word (below), so it
    // starts with one of these (only `P`, `S` and `С` lower-case to the first letters of the
    // page words, tested): most short lines are ruled out before they are split into words.
    if !t.trim_start().chars().next().is_some_and(|c| {
        matches!(
            c,
            '0'..='9' | 'i' | 'v' | 'x' | 'l' | 'c' | 'p' | 'P' | 's' | 'S' | 'с' | 'С'
        )
    }) {
        return false;
    }
    if !(s.len() <= 7 || s.bytes().any(|b| b.is_ascii_digit())) {
        return false;
    }
    let mut words = [""; 4];
    let mut n = 0;
    for w in t.split_whitespace() {
        if n == 4 {
            return false;
        }
        words[n] = w;
        n += 1;
    }
    let page_word = |w: &str| {
        let w = w.trim_end_matches('.');
        // Lowercased once, and only when ASCII case folding cannot tell.
        let lower = (!w.is_ascii()).then(|| w.to_lowercase());
        [
            "page",
            "p",
            "pg",
            "pag",
            "página",
            "pagina",
            "seite",
            "s",
            "стр",
            "страница",
        ]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(w) || lower.as_deref() == Some(*p))
    };
    let of_word = |w: &str| matches!(w, "/" | "of" | "de" | "von" | "sur" | "из" | "di");
    let num = |w: &str| is_digits(w, 4);
    let slash = |w: &str| {
        w.split_once('/')
            .is_some_and(|(a, b)| is_digits(a, 4) && is_digits(b, 4))
    };
    match &words[..n] {
        [w] => is_digits(w, 3) || is_roman_lower(w) || slash(w),
        [p, n] => page_word(p) && (num(n) || slash(n) || is_roman_lower(n)),
        [a, o, b] => num(a) && of_word(o) && num(b),
        [p, a, o, b] => page_word(p) && num(a) && of_word(o) && num(b),
        _ => false,
    }
}

/// Bytes of a list marker and the whitespace after it at the start of `s` (0: none).
fn list_marker(s: &str) -> usize {
    let b = s.as_bytes();
    let mut chars = s.char_indices();
    let Some((_, c0)) = chars.next() else {
        return 0;
    };
    // Any other ASCII character cannot start a bullet or a number token below.
    if c0.is_ascii() && !matches!(c0, '0'..='9' | 'a'..='z' | '(' | '-' | '*' | '+') {
        return 0;
    }
    let after = |i: usize| -> usize {
        // At least one space, then some text.
        let rest = &s[i..];
        let body = rest.trim_start();
        if body.len() == rest.len() || body.is_empty() {
            0
        } else {
            i + rest.len() - body.len()
        }
    };
    if matches!(
        c0,
        '-' | '–'
            | '•'
            | '·'
            | '▪'
            | '◦'
            | '‣'
            | '●'
            | '○'
            | '■'
            | '□'
            | '➢'
            | '►'
            | '✓'
            | '*'
            | '+'
            | '→'
    ) {
        return after(c0.len_utf8());
    }
    // (1) (a) (iv)
    let (open, from) = if c0 == '(' { (true, 1) } else { (false, 0) };
    // A token longer than four bytes is none of those below: the scan stops at five.
    let tok_len = b[from..]
        .iter()
        .take(5)
        .take_while(|x| x.is_ascii_alphanumeric())
        .count();
    if tok_len > 4 {
        return 0;
    }
    let end = from + tok_len;
    let tok = &s[from..end];
    let ok_tok = is_digits(tok, 3)
        || (tok.len() == 1 && tok.as_bytes()[0].is_ascii_lowercase())
        || is_roman_lower(tok) && tok.len() <= 4;
    if !ok_tok || end >= b.len() {
        return 0;
    }
    match (open, b[end]) {
        (true, b')') => after(end + 1),
        (false, b')') | (false, b'.') => after(end + 1),
        _ => 0,
    }
}

/// Bytes of a markdown heading marker (`# `…`###### `) at the start of `s` (0: none).
fn markdown_heading(s: &str) -> usize {
    let n = s.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&n) && s[n..].starts_with([' ', '\t']) && !s[n..].trim().is_empty() {
        n + s[n..].len() - s[n..].trim_start().len()
    } else {
        0
    }
}

/// A table-of-contents entry: `(strong, weak)` — a title, then dot leaders (strong) or a tab or
/// wide spaces (weak), then a page number.
fn toc_entry(s: &str) -> (bool, bool) {
    let t = s.trim_end();
    let num_start = t
        .rfind(|c: char| !c.is_ascii_alphanumeric())
        .map_or(0, |i| i + t[i..].chars().next().map_or(1, char::len_utf8));
    let num = &t[num_start..];
    let roman =
        !num.is_empty() && num.len() <= 7 && num.bytes().all(|b| b"ivxlcIVXLC".contains(&b));
    if !(is_digits(num, 4) || roman) || num_start == 0 {
        return (false, false);
    }
    let head = &t[..num_start];
    let title = head.trim_end_matches([' ', '\t', '.', '…', '·', '_']);
    let leader = &head[title.len()..];
    if title
        .chars()
        .filter(|c| crate::text::chars::is_letter(*c))
        .count()
        < 2
    {
        return (false, false);
    }
    let dots = leader.matches(['.', '·', '_']).count();
    let ell = leader.matches('…').count();
    let tab = leader.contains('\t');
    let spaces = leader.matches(' ').count();
    let strong = dots >= 4 || ell >= 2 || (dots >= 2 && tab) || (ell >= 1 && tab);
    let weak = tab || spaces >= 3;
    (strong, weak)
}

/// Marks table-of-contents lines: runs of entries (blank lines allowed between them) with at
/// least two strong entries or three entries in all; a line with no page number between two
/// entries of a run (a wrapped title); the short title line right above a run (`CONTENTS`).
fn mark_toc(text: &str, lines: &mut [Line], marks: &mut Vec<(bool, bool)>) {
    marks.clear();
    marks.extend(lines.iter().map(|l| {
        if l.is_text()
            && matches!(
                l.last,
                '0'..='9' | 'i' | 'v' | 'x' | 'l' | 'c' | 'I' | 'V' | 'X' | 'L' | 'C'
            )
        {
            toc_entry(&text[l.content.clone()])
        } else {
            (false, false)
        }
    }));
    if !marks.iter().any(|m| m.0) {
        return;
    }
    let mut i = 0;
    while i < lines.len() {
        if !(marks[i].0 || marks[i].1) {
            i += 1;
            continue;
        }
        // A run of entries, allowing up to two blank lines or one unnumbered line between them.
        let start = i;
        let mut end = i; // last entry
        let mut strong = 0;
        let mut count = 0;
        let mut j = i;
        while j < lines.len() {
            if marks[j].0 || marks[j].1 {
                strong += marks[j].0 as usize;
                count += 1;
                end = j;
                j += 1;
                continue;
            }
            let gap_ok = (j - end) <= 2
                && (lines[j].kind == LineKind::Blank
                    || (lines[j].is_text()
                        && j + 1 < lines.len()
                        && (marks[j + 1].0 || marks[j + 1].1)));
            if !gap_ok {
                break;
            }
            j += 1;
        }
        if strong >= 2 || (strong >= 1 && count >= 3) {
            for l in &mut lines[start..=end] {
                if l.is_text() {
                    l.kind = LineKind::Toc;
                }
            }
            // The TOC's own title right above it.
            let mut k = start;
            let mut blanks = 0;
            while k > 0 && blanks <= 1 {
                k -= 1;
                let l = &lines[k];
                if l.kind == LineKind::Blank {
                    blanks += 1;
                    continue;
                }
                let s = &text[l.content.clone()];
                if l.is_text()
                    && l.len <= 40
                    && s.split_whitespace().count() <= 4
                    && !l.ends_sentence
                    && l.marker == 0
                {
                    lines[k].kind = LineKind::Toc;
                }
                break;
            }
        }
        i = end + 1;
    }
}

/// Marks running headers and footers: short text lines that recur (digits folded) at least
/// three times, most often next to a page number. (Regular spacing alone is not enough: titles
/// of a series of articles recur that way too.)
fn mark_headers_footers(text: &str, lines: &mut [Line]) {
    if lines
        .iter()
        .filter(|l| l.kind == LineKind::PageNumber)
        .take(2)
        .count()
        < 2
    {
        return;
    }
    let nonblank: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].kind != LineKind::Blank)
        .collect();
    // Line `i` is near a page number when one is within two non-blank lines of it.
    let mut near = vec![false; lines.len()];
    for (q, &k) in nonblank.iter().enumerate() {
        if lines[k].kind == LineKind::PageNumber {
            for &i in &nonblank[q.saturating_sub(2)..(q + 3).min(nonblank.len())] {
                near[i] = true;
            }
        }
    }
    let candidate = |l: &Line| l.is_text() && (3..=100).contains(&l.len) && l.marker == 0;
    // A group is marked only if more than half of its (at least three) lines are near a page
    // number, so at least two of them: only keys seen twice near page numbers are grouped.
    let mut key = String::new();
    let mut seen: HashMap<String, u32, Xxh3Builder> = HashMap::default();
    for (i, l) in lines.iter().enumerate() {
        if near[i] && candidate(l) {
            footer_key(&text[l.content.clone()], &mut key);
            match seen.get_mut(key.as_str()) {
                Some(n) => *n += 1,
                None => {
                    seen.insert(key.clone(), 1);
                }
            }
        }
    }
    seen.retain(|_, n| *n >= 2);
    if seen.is_empty() {
        return;
    }
    let mut groups: HashMap<&str, Vec<usize>, Xxh3Builder> =
        seen.keys().map(|k| (k.as_str(), Vec::new())).collect();
    for (i, l) in lines.iter().enumerate() {
        if candidate(l) {
            footer_key(&text[l.content.clone()], &mut key);
            if let Some(v) = groups.get_mut(key.as_str()) {
                v.push(i);
            }
        }
    }
    let mut marked = Vec::new();
    for idx in groups.values() {
        if idx.len() < 3 {
            continue;
        }
        let n_near = idx.iter().filter(|&&i| near[i]).count();
        if n_near * 2 > idx.len() {
            marked.extend_from_slice(idx);
        }
    }
    for i in marked {
        lines[i].kind = LineKind::HeaderFooter;
    }
}

/// The line `s` as running headers and footers are compared: lowercased, without whitespace,
/// each run of digits folded to `#`.
fn footer_key(s: &str, key: &mut String) {
    key.clear();
    for c in s.chars() {
        if c.is_ascii() {
            // ASCII characters lower-case to one character, without the case tables.
            let x = c as u8;
            if x.is_ascii_digit() {
                if !key.ends_with('#') {
                    key.push('#');
                }
            } else if !is_ascii_ws(x) {
                key.push(x.to_ascii_lowercase() as char);
            }
        } else if !is_ws(c) {
            key.extend(c.to_lowercase());
        }
    }
}

/// The wrap width of the region around each text line (see the module doc).
fn measure_widths(lines: &mut [Line], text_lines: &mut Vec<usize>) {
    text_lines.clear();
    text_lines.extend((0..lines.len()).filter(|&i| lines[i].is_text()));
    let n = text_lines.len();
    // The lengths of the nine text lines around line `p` (fewer at the ends), kept sorted
    // from the longest as the window slides.
    let mut window = Window::default();
    for &k in &text_lines[..n.min(5)] {
        window.insert(lines[k].len);
    }
    for p in 0..n {
        if p > 4 {
            window.remove(lines[text_lines[p - 5]].len);
        }
        if p > 0 && p + 4 < n {
            window.insert(lines[text_lines[p + 4]].len);
        }
        lines[text_lines[p]].width = wrap_width(window.as_slice());
    }
}

/// Up to nine line lengths, sorted from the largest, in place.
#[derive(Default)]
struct Window {
    v: [u32; 9],
    n: usize,
}

impl Window {
    /// Inserts `x` (a full window keeps its nine largest lengths; `measure_widths` never
    /// inserts into a full one).
    fn insert(&mut self, x: u32) {
        let at = self.v[..self.n].partition_point(|&y| y > x);
        if at == self.v.len() {
            return;
        }
        let end = self.n.min(self.v.len() - 1);
        // Shifted one by one: a call to `memmove` costs more than nine moves.
        for k in (at..end).rev() {
            self.v[k + 1] = self.v[k];
        }
        self.v[at] = x;
        self.n = end + 1;
    }

    /// Removes one length equal to `x`, if any.
    fn remove(&mut self, x: u32) {
        if let Some(k) = self.v[..self.n].iter().position(|&y| y == x) {
            for m in k + 1..self.n {
                self.v[m - 1] = self.v[m];
            }
            self.n -= 1;
        }
    }

    fn as_slice(&self) -> &[u32] {
        &self.v[..self.n]
    }
}

/// The wrap width of a window of line lengths sorted from the longest: the largest length from
/// 30 to 200 that at least three lengths, and 40 % of them, come within 20 % below of (0: none).
fn wrap_width(window: &[u32]) -> u32 {
    let n = window.len();
    // Lengths within 20 % below `w` follow it (they are sorted); as `w` decreases, the last of
    // them can only move further on.
    let mut end = 0;
    for (k, &w) in window.iter().enumerate() {
        if w > 200 {
            continue;
        }
        if w < 30 {
            break;
        }
        end = end.max(k);
        while end < n && window[end] * 5 >= w * 4 {
            end += 1;
        }
        let near = end - k;
        if near >= 3 && near * 5 >= n * 2 {
            return w;
        }
    }
    0
}

/// How two consecutive text lines are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// Different blocks.
    Break,
    /// Same block; the line break becomes a space.
    Space,
    /// Same block, no space (CJK on both sides).
    Glue,
    /// The first line ends in `letter-`: rejoined or kept as a compound.
    Hyphen,
}

fn join(text: &str, a: &Line, b: &Line, gap: usize, blank_separated: bool) -> Join {
    if b.marker != 0 || b.hashes != 0 || a.hashes != 0 {
        return Join::Break;
    }
    let b_lower = b.first.is_lowercase();
    if a.rtl != b.rtl {
        return Join::Break;
    }
    if b.indent >= a.indent + 2 && !b_lower {
        return Join::Break;
    }
    let s = &text[a.content.clone()];
    let hyphen = s.len() >= 2
        && s.ends_with('-')
        && s[..s.len() - 1]
            .chars()
            .next_back()
            .is_some_and(crate::text::chars::is_letter)
        && b.first.is_alphanumeric();
    if hyphen && gap <= 1 {
        return Join::Hyphen;
    }
    let glue = if is_cjk(a.last) && is_cjk(b.first) {
        Join::Glue
    } else {
        Join::Space
    };
    if b_lower && !a.ends_sentence && gap <= 1 {
        return glue;
    }
    if gap == 0 && blank_separated {
        return glue;
    }
    if a.width > 0 && gap <= 1 {
        let needed = a.len + 1 + b.first_word;
        // A sentence end at the end of a full line is as likely a paragraph end (line lengths
        // of proportional fonts vary too much to tell): break there, never mid-sentence.
        if !a.ends_sentence && needed * 5 > a.width * 4 {
            return glue;
        }
    }
    Join::Break
}

/// A line break after a hyphen, to be decided against the document's vocabulary.
struct HyphenBreak {
    /// Byte offset of the hyphen.
    hyphen: usize,
    /// Where the next line's text starts.
    next: usize,
    /// The joined form and the hyphenated form, lowercased; `None`: keep the hyphen.
    forms: Option<(String, String)>,
}

/// Counts how often each candidate form occurs as a word of `text`.
///
/// A word is a run of letters, digits and hyphens, without its outer hyphens; it is compared
/// lowercased, and only when its length in bytes is that of a form. The scan goes byte by byte
/// through ASCII and classifies other characters with [`is_letter_or_digit`].
fn count_forms(text: &str, forms: &mut HashMap<String, u32>) {
    if forms.is_empty() {
        return;
    }
    let lens: Vec<usize> = {
        let mut v: Vec<usize> = forms.keys().map(String::len).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut lower = String::new();
    let mut check = |w: &str, forms: &mut HashMap<String, u32>| {
        let w = w.trim_matches('-');
        if lens.binary_search(&w.len()).is_err() {
            // Lowercasing may change the length, but not for the scripts that hyphenate
            // across lines in practice; a miss only means the hyphen is kept.
            return;
        }
        lower.clear();
        lower.extend(w.chars().flat_map(char::to_lowercase));
        if let Some(n) = forms.get_mut(lower.as_str()) {
            *n += 1;
        }
    };
    let b = text.as_bytes();
    let mut start = None;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        let (word_char, n) = if x < 0x80 {
            (x.is_ascii_alphanumeric() || x == b'-', 1)
        } else {
            let c = decode_at(b, i);
            (is_letter_or_digit(c), c.len_utf8())
        };
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                check(&text[s..i], forms);
                start = None;
            }
            _ => {}
        }
        i += n;
    }
    if let Some(s) = start {
        check(&text[s..], forms);
    }
}

/// The character that starts at byte `i` of valid UTF-8 `b` (`i` at a character boundary).
#[inline]
fn decode_at(b: &[u8], i: usize) -> char {
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

/// Character classes, as bits: [`LETTER`] (`char::is_alphabetic`), [`ALNUM`]
/// (`char::is_alphanumeric`), [`UPPER`] (`char::is_uppercase`), [`LOWER`]
/// (`char::is_lowercase`).
///
/// The standard library answers these with a table search per character, which is most of the
/// cost of the stage on scripts without a fast range in `chars` (Indic scripts, CJK
/// punctuation, `«`, `–`, `”`…). Below U+20000 the classes come from a [`LazyTable`] filled
/// one block of 128 characters at a time, the first time a character of the block is asked
/// about; the answers are exactly the standard library's.
///
/// [`LazyTable`]: crate::text::chars::LazyTable
#[inline]
fn class(c: char) -> u8 {
    static CLASSES: crate::text::chars::LazyTable = crate::text::chars::LazyTable::new(class_of);
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

const LETTER: u8 = 1;
const ALNUM: u8 = 2;
const UPPER: u8 = 4;
const LOWER: u8 = 8;
/// `char::is_whitespace`, in [`ASCII_CLASS`] only.
const WS: u8 = 16;

/// [`class`] of each ASCII character, and [`WS`].
const ASCII_CLASS: [u8; 128] = {
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

/// Exactly `chars::is_letter_or_digit` (`char::is_alphanumeric`).
#[inline]
fn is_letter_or_digit(c: char) -> bool {
    class(c) & ALNUM != 0
}

/// The word of `s` that ends at its end (letters only), and the word that starts `t`.
fn split_word(s: &str, t: &str) -> Option<(String, String)> {
    let head = s.strip_suffix('-')?;
    let a_start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !crate::text::chars::is_letter(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let a = &head[a_start..];
    let b_end = t
        .find(|c: char| !crate::text::chars::is_letter(c))
        .unwrap_or(t.len());
    let b = &t[..b_end];
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let joined: String = a
        .chars()
        .chain(b.chars())
        .flat_map(char::to_lowercase)
        .collect();
    let hyph: String = a
        .chars()
        .chain(std::iter::once('-'))
        .chain(b.chars())
        .flat_map(char::to_lowercase)
        .collect();
    Some((joined, hyph))
}

/// Byte ranges of matched markdown emphasis markers (`*x*`, `**x**`, `***x***`, `_x_`, `__x__`)
/// inside `range`.
fn emphasis_markers(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
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

/// Whether rendering ([`render_into`](crate::render::render_into)) folds `c`: whitespace except U+000B, which rendering
/// copies as text (the heading test then counts it as whitespace, as it did on the rendered
/// string).
#[inline]
fn folds(c: char) -> bool {
    c != '\u{b}' && is_ws(c)
}

/// The pieces of `range` that rendering keeps with `elide` left out, in order: exactly the
/// pieces [`render_into`](crate::render::render_into) copies (empty ones left out).
fn kept_pieces(range: Range<usize>, elide: &[Range<usize>], out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut pos = range.start;
    for e in elide {
        let (s, t) = (e.start.max(pos), e.end.min(range.end));
        if s >= t {
            continue;
        }
        if pos < s {
            out.push(pos..s);
        }
        pos = t;
    }
    if pos < range.end {
        out.push(pos..range.end);
    }
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

/// The character that ends at byte `end` of valid UTF-8 `b` (`end` at a character boundary,
/// above `start`), and where it starts (not before `start`).
#[inline]
fn decode_before(b: &[u8], start: usize, end: usize) -> (char, usize) {
    let mut i = end - 1;
    while i > start && b[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    (decode_at(b, i), i)
}

/// Whether the rendering of `pieces` ends a sentence or a clause: its last character after any
/// closers is sentence-ending punctuation or one of `,;:`.
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
fn is_heading_rendered(text: &str, pieces: &[Range<usize>], multi_line: bool) -> bool {
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
                    if k & WS != 0 && x != 0x0B {
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
    /// and none is a control character other than the folded whitespace (U+000B is whitespace
    /// that rendering keeps).
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
        let space = equal(b' ') | (at_least(0x09) & !at_least(0x0E) & !equal(0x0B));
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

/// The working vectors of [`Structurer::reflow_blocks`], kept by each thread from one document
/// to the next so that a document does not grow them anew.
#[derive(Default)]
struct Scratch {
    lines: Vec<Line>,
    marks: Vec<(bool, bool)>,
    nonblank: Vec<usize>,
    joins: Vec<Join>,
    groups: Vec<(usize, usize)>,
    pieces: Vec<Range<usize>>,
}

impl Scratch {
    /// Lets go of the vectors after a very long document, so that a thread does not hold on to
    /// its memory.
    fn bound(&mut self) {
        const MAX_LINES: usize = 1 << 16;
        if self.lines.capacity() > MAX_LINES {
            *self = Scratch::default();
        }
    }
}

impl Structurer {
    fn reflow_blocks(&self, text: &str) -> Vec<Block> {
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
        }
        SCRATCH
            .try_with(|s| match s.try_borrow_mut() {
                Ok(mut s) => {
                    let blocks = self.reflow_with(text, &mut s);
                    s.bound();
                    blocks
                }
                Err(_) => self.reflow_with(text, &mut Scratch::default()),
            })
            .unwrap_or_else(|_| self.reflow_with(text, &mut Scratch::default()))
    }

    fn reflow_with(&self, text: &str, scratch: &mut Scratch) -> Vec<Block> {
        let Scratch {
            lines,
            marks,
            nonblank,
            joins,
            groups,
            pieces,
        } = scratch;
        lines.clear();
        lines.extend(self::lines(text).map(|r| Line::new(text, r)));
        mark_toc(text, lines, marks);
        mark_headers_footers(text, lines);
        // The text lines' indices, for the widths (`nonblank` is filled again below).
        measure_widths(lines, nonblank);

        nonblank.clear();
        nonblank.extend((0..lines.len()).filter(|&i| lines[i].kind != LineKind::Blank));
        // Paragraphs separated by blank lines: most text lines followed by a text line have a
        // blank line between them.
        let (mut pairs, mut blank_pairs) = (0, 0);
        for w in nonblank.windows(2) {
            if lines[w[0]].is_text() && lines[w[1]].is_text() {
                pairs += 1;
                blank_pairs += (w[1] - w[0] > 1) as usize;
            }
        }
        let blank_separated = pairs > 0 && blank_pairs * 2 >= pairs;

        // Group lines into blocks: (first line, last line, joins between them).
        groups.clear();
        joins.clear();
        joins.resize(lines.len(), Join::Break);
        let mut hyphens: Vec<HyphenBreak> = Vec::new();
        for (k, &i) in nonblank.iter().enumerate() {
            let prev = k.checked_sub(1).map(|p| nonblank[p]);
            let j = match prev {
                Some(p) if lines[p].is_text() && lines[i].is_text() => {
                    join(text, &lines[p], &lines[i], i - p - 1, blank_separated)
                }
                _ => Join::Break,
            };
            joins[i] = j;
            match (j, groups.last_mut()) {
                (Join::Break, _) | (_, None) => groups.push((i, i)),
                (_, Some(g)) => g.1 = i,
            }
            if j == Join::Hyphen {
                let p = prev.unwrap_or(i);
                let a = &text[lines[p].content.clone()];
                let b = &text[lines[i].content.clone()];
                let forms = if self.dehyphenate && lines[i].first.is_lowercase() {
                    split_word(a, b)
                } else {
                    None
                };
                hyphens.push(HyphenBreak {
                    hyphen: lines[p].content.end - 1,
                    next: lines[i].content.start,
                    forms,
                });
            }
        }

        // The document's vocabulary decides each rejoin.
        let mut counts: HashMap<String, u32> = HashMap::new();
        for h in &hyphens {
            if let Some((j, y)) = &h.forms {
                counts.insert(j.clone(), 0);
                counts.insert(y.clone(), 0);
            }
        }
        count_forms(text, &mut counts);
        let mut hyphen_elides: Vec<Range<usize>> = hyphens
            .iter()
            .map(|h| {
                let rejoin = h.forms.as_ref().is_some_and(|(j, y)| {
                    let (nj, ny) = (counts[j], counts[y]);
                    nj >= ny || ny == 0
                });
                if rejoin {
                    h.hyphen..h.next
                } else {
                    h.hyphen + 1..h.next
                }
            })
            .collect();
        hyphen_elides.reverse(); // popped in document order

        let mut blocks = Vec::with_capacity(groups.len());
        // The first emphasis marker byte at or after `marks_from` is at `next_mark` (the end of
        // the text if none): one search serves all the blocks before it, which have no marker
        // to look for.
        let (mut marks_from, mut next_mark) = (usize::MAX, 0);
        for &(first, last) in groups.iter() {
            let l0 = &lines[first];
            let range = l0.content.start..lines[last].content.end;
            if let Some(kind) = l0.kind.block_kind() {
                blocks.push(Block::new(kind, range));
                continue;
            }
            let mut block = Block::new(BlockKind::Paragraph, range.clone());
            if l0.marker != 0 {
                block.kind = BlockKind::ListItem;
                block
                    .elide
                    .push(range.start..range.start + l0.marker as usize);
            }
            if l0.hashes != 0 {
                block.kind = BlockKind::Heading;
                if self.strip_markdown {
                    block
                        .elide
                        .push(range.start..range.start + l0.hashes as usize);
                }
            }
            let mut multi = false;
            for i in first + 1..=last {
                match joins[i] {
                    Join::Break => {}
                    Join::Space => multi = true,
                    Join::Glue => {
                        multi = true;
                        let p = (first..i)
                            .rev()
                            .find(|&p| lines[p].is_text())
                            .unwrap_or(first);
                        block
                            .elide
                            .push(lines[p].content.end..lines[i].content.start);
                    }
                    Join::Hyphen => {
                        multi = true;
                        if let Some(e) = hyphen_elides.pop() {
                            block.elide.push(e);
                        }
                    }
                }
            }
            if multi {
                block.flags.insert(Flags::REFLOWED);
            }
            if self.strip_markdown {
                if !(marks_from <= range.start && range.start <= next_mark) {
                    marks_from = range.start;
                    next_mark = memchr::memchr2(b'*', b'_', &text.as_bytes()[range.start..])
                        .map_or(text.len(), |k| range.start + k);
                }
                if next_mark < range.end {
                    emphasis_markers(text, range.clone(), &mut block.elide);
                }
            }
            block.elide.sort_by_key(|r| r.start);
            dedup_overlaps(&mut block.elide);
            if block.kind == BlockKind::Paragraph && range.len() <= 800 {
                kept_pieces(range, &block.elide, pieces);
                if is_heading_rendered(text, pieces, multi) {
                    block.kind = BlockKind::Heading;
                }
            }
            blocks.push(block);
        }
        blocks
    }
}

/// Drops ranges that overlap an earlier one (sorted by start).
fn dedup_overlaps(v: &mut Vec<Range<usize>>) {
    let mut end = 0;
    v.retain(|r| {
        if r.start < end {
            false
        } else {
            end = r.end;
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::render::render_into;

    impl Line {
        /// Measures a line of any characters, one predicate at a time: the definition of
        /// [`Line::new`].
        fn new_general(text: &str, range: Range<usize>) -> Line {
            let raw = &text[range.clone()];
            let content = trim_range(text, range);
            let s = &text[content.clone()];
            let mut line = Line::blank(content.start);
            line.content = content.clone();
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
                .find(|&c| class(c) & LETTER != 0)
                .is_some_and(is_rtl_letter);
            line.ends_sentence = ends_sentence(s)
                || (line.rtl && s.trim_start_matches(is_closer).starts_with(is_terminal));
            line
        }
    }

    fn reflow() -> Structurer {
        Structurer::new(&Config::default().structure)
    }

    /// (kind, output text) of every block.
    fn run(t: &str) -> Vec<(&'static str, String)> {
        reflow()
            .blocks(t)
            .into_iter()
            .map(|b| {
                let mut out = String::new();
                render_into(t, b.range.clone(), &b.elide, &mut out);
                (b.kind.name(), out)
            })
            .collect()
    }

    fn texts(t: &str) -> Vec<String> {
        run(t).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn blank_lines_separate_blocks() {
        let t = "\n  First line\nsecond line\n\n \nThird\n";
        let b = blank_line_blocks(t);
        assert_eq!(b.len(), 2);
        assert_eq!(&t[b[0].range.clone()], "First line\nsecond line");
        assert_eq!(&t[b[1].range.clone()], "Third");
    }

    const WRAPPED: &str = "\
The crime committed in Khojaly city at the night from 25 to 26 February, 1992, by the

Armenian armed forces together with the 366 moto-artillery regiment of the former Soviet

army was one of the unprecedented events due to its cruelty.

Khojaly genocide resulted with severe violation of international legal norms and principles

as well as of human rights and freedoms and as an integral part of the aggressive policy

against Azerbaijan, became another evidence of long-lasting ethnic cleansing and genocide

policy of Armenian extremists and their supporters against the Azerbaijani people.
";

    #[test]
    fn wrapped_lines_with_blank_lines_become_paragraphs() {
        let b = reflow().blocks(WRAPPED);
        assert_eq!(b.len(), 2, "{:?}", texts(WRAPPED));
        assert!(b.iter().all(|b| b.flags.contains(Flags::REFLOWED)));
        let t = texts(WRAPPED);
        assert!(t[0].starts_with("The crime") && t[0].ends_with("due to its cruelty."));
        assert!(t[0].contains("by the Armenian armed forces"));
        assert!(t[1].ends_with("the Azerbaijani people."));
    }

    #[test]
    fn one_paragraph_per_line_is_left_as_it_is() {
        let t = "Special intention is a prerequisite for an act to be qualified as genocide.\n\
                 The fact that those acts were aimed at the Azeri national group was also obvious.\n\
                 The analysis of the crime of genocide shows that there are three elements.\n";
        let b = reflow().blocks(t);
        assert_eq!(b.len(), 3);
        assert!(b.iter().all(|b| b.flags.is_empty()));
    }

    #[test]
    fn lower_case_continuation_joins_across_a_blank_line() {
        let t = "Major directions for settlement of problem in a peaceful manner were\n\n\
                 approved and confirmed by 53 states of the world in OSCE Lisbon Summit.\n";
        assert_eq!(texts(t).len(), 1);
    }

    #[test]
    fn dehyphenation_uses_the_documents_vocabulary() {
        // The joined form occurs elsewhere: rejoined, and the elided range is the hyphen and
        // the line break.
        let t = "The international community was told.\nIt reached the inter-\nnational press.\n";
        let b = reflow().blocks(t);
        let t2 = texts(t);
        assert_eq!(t2[1], "It reached the international press.");
        assert!(b[1]
            .elide
            .iter()
            .any(|e| t[e.clone()].starts_with('-') && t[e.clone()].contains('\n')));
        // The hyphenated form occurs elsewhere: the hyphen stays, no space.
        let t = "A long-lasting policy.\nIt became another evidence of long-\nlasting ethnic cleansing.\n";
        assert_eq!(
            texts(t)[1],
            "It became another evidence of long-lasting ethnic cleansing."
        );
        // Neither form occurs elsewhere: rejoined.
        let t = "It was an unprece-\ndented event.\n";
        assert_eq!(texts(t), vec!["It was an unprecedented event."]);
        // A capital after the hyphen: a compound.
        let t = "the States of Massachusetts, Texas, New-\nJersey, Maine.\n";
        assert_eq!(
            texts(t),
            vec!["the States of Massachusetts, Texas, New-Jersey, Maine."]
        );
    }

    #[test]
    fn dehyphenate_off_keeps_hyphens() {
        let mut cfg = Config::default().structure;
        cfg.dehyphenate = false;
        let t = "It was an unprece-\ndented event.\n";
        let b = Structurer::new(&cfg).blocks(t);
        let mut out = String::new();
        render_into(t, b[0].range.clone(), &b[0].elide, &mut out);
        assert_eq!(out, "It was an unprece-dented event.");
    }

    #[test]
    fn table_of_contents_is_boilerplate() {
        let t = "CHAPTER 2\n\nCONTENTS\n\n\
                 KHOJALY GENOCIDE AS AN INTERNATIONAL CRIME.....\t6\n\
                 KHOJALI GENOCIDE - THE TRAGEDY OF THE 20TH CENTURY.....\t10\n\
                 UNITED NATIONS RESOLUTION 853 (1993) REGARDING THE CONFLICT\t16\n\
                 UNITED NATIONS RESOLUTION 844 (1993).....\t19\n\n\
                 Khojaly genocide as an international crime\n";
        let r = run(t);
        let kinds: Vec<_> = r.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            vec![
                "heading",
                "toc_entry",
                "toc_entry",
                "toc_entry",
                "toc_entry",
                "toc_entry",
                "heading"
            ]
        );
        assert_eq!(toc_entry("Chapter one . . . 12"), (false, true));
        assert_eq!(toc_entry("It cost 12"), (false, false));
        assert_eq!(toc_entry("Introduction ........ iv"), (true, false));
    }

    #[test]
    fn separators_and_page_numbers() {
        for s in ["* * *", "__________", "-----", "==="] {
            assert!(is_separator(s), "{s}");
        }
        for s in ["**", "a * b", "..x"] {
            assert!(!is_separator(s), "{s}");
        }
        for s in [
            "12",
            "- 12 -",
            "(3)",
            "Page 4",
            "page 4 of 10",
            "4 / 10",
            "iv",
            "12/30",
        ] {
            assert!(is_page_number(s), "{s}");
        }
        for s in ["2021", "Page one", "12 apples", "I"] {
            assert!(!is_page_number(s), "{s}");
        }
        let t = "First paragraph ends here.\n\n12\n\n* * *\n\nSecond one.\n";
        let kinds: Vec<_> = run(t).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            vec!["paragraph", "page_number", "separator", "paragraph"]
        );
    }

    #[test]
    fn running_headers_next_to_page_numbers() {
        let mut t = String::new();
        let body = [
            "The crime committed in Khojaly city was one of the unprecedented events.",
            "Khojaly genocide resulted with severe violation of international norms.",
            "During Khojaly genocide, 613 people, whose names were known, were killed.",
            "This massive killing of human beings is an act of genocide.",
        ];
        for (p, para) in body.iter().enumerate() {
            t.push_str("A/HRC/31/NGO/112\n\n");
            t.push_str(&format!("{para}\n\n{}\n\n", p + 1));
        }
        let r = run(&t);
        assert_eq!(r.iter().filter(|(k, _)| *k == "header_footer").count(), 4);
        assert_eq!(r.iter().filter(|(k, _)| *k == "paragraph").count(), 4);
    }

    #[test]
    fn list_markers_are_elided() {
        let t = "- killing members of the group;\n1. Convention on the Prevention;\na) first\n(iv) fourth\n• bullet\n";
        let r = run(t);
        assert!(r.iter().all(|(k, _)| *k == "list_item"), "{r:?}");
        let t: Vec<_> = r.into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            t,
            vec![
                "killing members of the group;",
                "Convention on the Prevention;",
                "first",
                "fourth",
                "bullet"
            ]
        );
        assert_eq!(list_marker("1993. The year"), 0);
        assert_eq!(list_marker("-5 degrees"), 0);
    }

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

    /// The blocks keep every emphasis marker that [`emphasis_markers`] finds in them, though
    /// it is asked only of blocks at or after a marker byte.
    fn assert_emphasis_kept(t: &str) {
        for b in reflow().blocks(t) {
            let mut marks = Vec::new();
            emphasis_markers(t, b.range.clone(), &mut marks);
            for m in marks {
                assert!(
                    b.elide.iter().any(|e| e.start <= m.start && m.end <= e.end),
                    "{:?} {m:?} {:?}",
                    &t[b.range.clone()],
                    b.elide
                );
            }
        }
    }

    #[test]
    fn emphasis_markers_of_every_block_are_kept() {
        for t in sample_texts() {
            assert_emphasis_kept(&t);
        }
        // Constructed: blocks without markers before, between and after blocks with them.
        let t = "Plain first block.\n\nA *marked* one.\n\nPlain again,\nover two lines.\n\n\
                 __Two__ and _one_ and **three**\nand more.\n\n- item *x*\n- item y\n- _z_\n\n\
                 # Heading *h*\n\nLast plain block\n\nend *e*";
        assert_emphasis_kept(t);
        assert_emphasis_kept(&t.replace("\n\n", "\n"));
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

    #[test]
    fn cjk_lines_are_glued_without_space() {
        let t = "組み合わせで作成したオブジェクトを個々のオブジェクトに分解します。作成されるオブジェクトの線と\n塗りつぶしの属性は、分解前のオブジェクトと同じです。\n";
        // Not a wrapped region (two lines only), but blank-line separated? No: glued only when
        // joined; here the lines are joined because the first does not end a sentence and the
        // document has no blank lines, so they stay apart.
        let n = texts(t).len();
        assert!(n == 1 || n == 2);
        let t = "これは一行目で\n\nこれは二行目です。\n\nつぎの段落です。\n";
        for s in texts(t) {
            assert!(!s.contains(' '), "{s}");
        }
    }

    #[test]
    fn script_change_breaks() {
        let t = "ق ةما و ا وبالقغس التي قُدما بها\n Annex\n\n[English only]\n";
        assert_eq!(texts(t)[1], "Annex");
    }

    /// Checks the block invariants and returns the letters of the output (boilerplate left
    /// out) and the letters the input has outside boilerplate and list markers.
    fn letters(t: &str, blocks: &[Block]) -> (String, String) {
        let mut out = String::new();
        let mut expected = String::new();
        let mut prev_end = 0;
        for b in blocks {
            assert!(b.range.start >= prev_end && b.range.start <= b.range.end);
            assert!(t.is_char_boundary(b.range.start) && t.is_char_boundary(b.range.end));
            prev_end = b.range.end;
            let mut e_end = b.range.start;
            for e in &b.elide {
                assert!(
                    e.start >= e_end && e.end <= b.range.end,
                    "{:?} in {:?}",
                    e,
                    b
                );
                assert!(t.is_char_boundary(e.start) && t.is_char_boundary(e.end));
                e_end = e.end;
            }
            if b.kind.is_boilerplate() {
                continue;
            }
            let mut s = String::new();
            render_into(t, b.range.clone(), &b.elide, &mut s);
            out.extend(s.chars().filter(|c| crate::text::chars::is_letter(*c)));
            let mut skip: &[Range<usize>] = &[];
            if b.kind == BlockKind::ListItem {
                skip = &b.elide[..1];
            }
            for (i, c) in t[b.range.clone()].char_indices() {
                let at = b.range.start + i;
                if crate::text::chars::is_letter(c) && !skip.iter().any(|r| r.contains(&at)) {
                    expected.push(c);
                }
            }
        }
        (out, expected)
    }

    /// Letters outside every block must belong to no text at all (only whitespace is left out).
    fn uncovered_letters(t: &str, blocks: &[Block]) -> usize {
        let mut covered = vec![false; t.len()];
        for b in blocks {
            covered[b.range.clone()].iter_mut().for_each(|c| *c = true);
        }
        t.char_indices()
            .filter(|(i, c)| !c.is_whitespace() && !covered[*i])
            .count()
    }

    #[test]
    fn seeds_keep_their_letters() {
        for (name, t) in [
            ("wrapped", WRAPPED),
            ("toc", "CONTENTS\n\nA.....\t1\nB title.....\t2\n"),
        ] {
            let b = reflow().blocks(t);
            let (out, exp) = letters(t, &b);
            assert_eq!(out, exp, "{name}");
            assert_eq!(uncovered_letters(t, &b), 0);
        }
    }

    /// Texts of the sample corpus and the UDHR translations (valid UTF-8 only).
    fn sample_texts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["raw", "tests/data/udhr"] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            paths.sort();
            for p in paths {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    out.push(t);
                }
            }
        }
        assert!(out.len() >= 10);
        out
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
            // `is_heading` counts words on that.
            assert!(!(c.is_alphabetic() && c.is_whitespace()), "U+{u:04X}");
            if c.is_ascii() {
                assert_eq!(is_ascii_ws(u as u8), c.is_whitespace());
                assert_eq!(ASCII_CLASS[u as usize] & WS != 0, c.is_whitespace());
            }
            let mut buf = [0u8; 4];
            assert_eq!(decode_at(c.encode_utf8(&mut buf).as_bytes(), 0), c);
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

    /// `is_page_number` before the test of the first character, for comparison.
    fn is_page_number_reference(s: &str) -> bool {
        if s.len() > 40 || !(s.len() <= 7 || s.bytes().any(|b| b.is_ascii_digit())) {
            return false;
        }
        let t =
            s.trim_matches(|c: char| matches!(c, '-' | '–' | '—' | '(' | ')' | '[' | ']' | '|'));
        let mut words = [""; 4];
        let mut n = 0;
        for w in t.split_whitespace() {
            if n == 4 {
                return false;
            }
            words[n] = w;
            n += 1;
        }
        let page_word = |w: &str| {
            let w = w.trim_end_matches('.');
            // Lowercased once, and only when ASCII case folding cannot tell.
            let lower = (!w.is_ascii()).then(|| w.to_lowercase());
            [
                "page",
                "p",
                "pg",
                "pag",
                "página",
                "pagina",
                "seite",
                "s",
                "стр",
                "страница",
            ]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(w) || lower.as_deref() == Some(*p))
        };
        let of_word = |w: &str| matches!(w, "/" | "of" | "de" | "von" | "sur" | "из" | "di");
        let num = |w: &str| is_digits(w, 4);
        let slash = |w: &str| {
            w.split_once('/')
                .is_some_and(|(a, b)| is_digits(a, 4) && is_digits(b, 4))
        };
        match &words[..n] {
            [w] => is_digits(w, 3) || is_roman_lower(w) || slash(w),
            [p, n] => page_word(p) && (num(n) || slash(n) || is_roman_lower(n)),
            [a, o, b] => num(a) && of_word(o) && num(b),
            [p, a, o, b] => page_word(p) && num(a) && of_word(o) && num(b),
            _ => false,
        }
    }

    /// `list_marker` before the token scan stopped at five bytes, for comparison.
    fn list_marker_reference(s: &str) -> usize {
        let b = s.as_bytes();
        let mut chars = s.char_indices();
        let Some((_, c0)) = chars.next() else {
            return 0;
        };
        // Any other ASCII character cannot start a bullet or a number token below.
        if c0.is_ascii() && !matches!(c0, '0'..='9' | 'a'..='z' | '(' | '-' | '*' | '+') {
            return 0;
        }
        let after = |i: usize| -> usize {
            // At least one space, then some text.
            let rest = &s[i..];
            let body = rest.trim_start();
            if body.len() == rest.len() || body.is_empty() {
                0
            } else {
                i + rest.len() - body.len()
            }
        };
        if matches!(
            c0,
            '-' | '–'
                | '•'
                | '·'
                | '▪'
                | '◦'
                | '‣'
                | '●'
                | '○'
                | '■'
                | '□'
                | '➢'
                | '►'
                | '✓'
                | '*'
                | '+'
                | '→'
        ) {
            return after(c0.len_utf8());
        }
        // (1) (a) (iv)
        let (open, from) = if c0 == '(' { (true, 1) } else { (false, 0) };
        let end = s[from..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(s.len(), |i| from + i);
        let tok = &s[from..end];
        let ok_tok = is_digits(tok, 3)
            || (tok.len() == 1 && tok.as_bytes()[0].is_ascii_lowercase())
            || is_roman_lower(tok) && tok.len() <= 4;
        if !ok_tok || end >= b.len() {
            return 0;
        }
        match (open, b[end]) {
            (true, b')') => after(end + 1),
            (false, b')') | (false, b'.') => after(end + 1),
            _ => 0,
        }
    }

    /// `footer_key` before its ASCII path, for comparison.
    fn footer_key_reference(s: &str) -> String {
        let mut key = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !key.ends_with('#') {
                    key.push('#');
                }
            } else if !c.is_whitespace() {
                key.extend(c.to_lowercase());
            }
        }
        key
    }

    fn assert_line_tests_as_reference(s: &str) {
        let b = s.as_bytes();
        assert_eq!(is_page_number(s), is_page_number_reference(s), "{s:?}");
        assert_eq!(list_marker(s), list_marker_reference(s), "{s:?}");
        assert_eq!(count_chars(b), s.chars().count() as u32, "{s:?}");
        let word = s.split(char::is_whitespace).next().unwrap_or("");
        assert_eq!(word_chars(b), word.chars().count() as u32, "{s:?}");
        let mut key = String::from("stale");
        footer_key(s, &mut key);
        assert_eq!(key, footer_key_reference(s), "{s:?}");
    }

    #[test]
    fn line_tests_equal_their_references() {
        for t in sample_texts() {
            for l in t.lines() {
                assert_line_tests_as_reference(l.trim());
                assert_line_tests_as_reference(l);
            }
            assert_line_tests_as_reference(&t);
        }
        for s in [
            "12",
            "- 12 -",
            "(iv)",
            "Page 3 of 10",
            "PÁGINA 4",
            "Стр. 5",
            "С. 2",
            "p. 7",
            "S 9",
            "seite 3 von 9",
            "12/30",
            "3 of 4",
            "iv",
            "xlc",
            "1.",
            "a) b",
            "(iv) x",
            "abcd) x",
            "abcde) x",
            "123. x",
            "1234. x",
            "ii. x",
            "\u{2003}x",
            "x\u{85}y",
            "",
        ] {
            assert_line_tests_as_reference(s);
        }
    }

    /// The first characters `is_page_number` lets through cover every character that a page
    /// word can start with: those that lower-case to the first letter of a page word.
    #[test]
    fn page_word_first_letters() {
        for u in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(u) else { continue };
            let lower = c.to_lowercase().next();
            if matches!(lower, Some('p' | 's' | 'с')) || matches!(c.to_ascii_lowercase(), 'p' | 's')
            {
                assert!(matches!(c, 'p' | 'P' | 's' | 'S' | 'с' | 'С'), "U+{u:04X}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn line_tests_equal_their_references_on_any_text(
            s in "([ \t\u{b}\u{85}\u{a0}\u{2009}\u{3000}().\\-–/]|[0-9]{1,5}|[ivxlcpsPSсС]{1,4}|[a-zé]{1,9}|page|Стр|\\PC){0,40}",
        ) {
            assert_line_tests_as_reference(&s);
            assert_line_tests_as_reference(s.trim());
        }
    }

    /// `is_heading` as it was before the early exits, for comparison.
    fn is_heading_reference(s: &str, multi_line: bool) -> bool {
        let (mut letters, mut upper, mut lower, mut other, mut chars) = (0, 0, 0, 0, 0);
        for c in s.chars() {
            chars += 1;
            if chars > 200 {
                return false;
            }
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
        if letters < 2 || letters * 10 < (letters + other) * 6 {
            return false;
        }
        let words = s.split_whitespace().count();
        if lower == 0 && upper >= 3 && chars <= 200 && words <= 30 {
            return true;
        }
        if chars > 150 || words > 20 {
            return false;
        }
        if let Some((num, rest)) = s.split_once(". ") {
            if !num.is_empty()
                && num.bytes().all(|b| b"IVXLC".contains(&b))
                && rest.chars().next().is_some_and(char::is_uppercase)
            {
                return true;
            }
        }
        let closers: &[char] = &[
            '"', '\'', '”', '’', '»', '›', ')', ']', '）', '」', '』', '*', '_',
        ];
        let terminal: &[char] = &[
            '.', '!', '?', '…', '。', '！', '？', '؟', '۔', '।', '॥', '։', '።',
        ];
        let ends = s.trim_end_matches(closers);
        if ends.ends_with(terminal) || ends.ends_with([',', ';', ':']) {
            return false;
        }
        let first = s.chars().find(|c| c.is_alphanumeric());
        let cased_first =
            first.is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()));
        cased_first && (multi_line || chars <= 100)
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

    /// `wrap_width` as first written, counting the near lengths of each candidate anew.
    fn wrap_width_reference(window: &[u32]) -> u32 {
        let n = window.len();
        for (k, &w) in window.iter().enumerate() {
            if w > 200 {
                continue;
            }
            if w < 30 {
                break;
            }
            let near = window[k..].iter().take_while(|&&x| x * 5 >= w * 4).count();
            if near >= 3 && near * 5 >= n * 2 {
                return w;
            }
        }
        0
    }

    /// The lengths of the nine text lines around each one, sorted (without the sliding window).
    fn widths_reference(lens: &[u32]) -> Vec<u32> {
        (0..lens.len())
            .map(|p| {
                let mut w = lens[p.saturating_sub(4)..(p + 5).min(lens.len())].to_vec();
                w.sort_unstable_by(|a, b| b.cmp(a));
                let got = wrap_width(&w);
                assert_eq!(got, wrap_width_reference(&w), "{w:?}");
                got
            })
            .collect()
    }

    #[test]
    fn sliding_window_widths() {
        for t in sample_texts() {
            let mut ls: Vec<Line> = lines(&t).map(|r| Line::new(&t, r)).collect();
            let lens: Vec<u32> = ls.iter().filter(|l| l.is_text()).map(|l| l.len).collect();
            measure_widths(&mut ls, &mut Vec::new());
            let got: Vec<u32> = ls.iter().filter(|l| l.is_text()).map(|l| l.width).collect();
            assert_eq!(got, widths_reference(&lens));
        }
    }

    proptest::proptest! {
        /// Constructed line lengths (blank and boilerplate lines between them): the sliding
        /// window gives the widths of the window built anew for each line.
        #[test]
        fn sliding_window_widths_on_any_lengths(
            spec in proptest::collection::vec((0u32..260, 0u8..4), 0..80),
        ) {
            let mut ls: Vec<Line> = spec
                .iter()
                .map(|&(len, k)| {
                    let mut l = Line::blank(0);
                    l.len = len;
                    l.kind = [LineKind::Text, LineKind::Text, LineKind::Blank, LineKind::Toc]
                        [k as usize];
                    l
                })
                .collect();
            let lens: Vec<u32> = ls.iter().filter(|l| l.is_text()).map(|l| l.len).collect();
            measure_widths(&mut ls, &mut Vec::new());
            let got: Vec<u32> = ls.iter().filter(|l| l.is_text()).map(|l| l.width).collect();
            proptest::prop_assert_eq!(got, widths_reference(&lens));
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

    /// The heading count a character at a time, as it was before the eight-byte ASCII path of
    /// [`heading_counts`]: the reference for that path.
    fn heading_counts_reference(
        text: &str,
        pieces: &[Range<usize>],
        roman: bool,
        ends_clause: bool,
        first: Option<u8>,
        multi_line: bool,
    ) -> bool {
        let b = text.as_bytes();
        let cased_first =
            first.is_some_and(|k| k & UPPER != 0 || (k & LETTER != 0 && k & LOWER == 0));
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
                let x = b[i];
                let (k, ws) = if x < 0x80 {
                    i += 1;
                    let k = ASCII_CLASS[x as usize];
                    if k & WS != 0 && x != 0x0B {
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

    /// [`heading_counts`] equals its one-character-at-a-time reference for every start and end
    /// its callers can give.
    fn assert_heading_counts_as_reference(t: &str, pieces: &[Range<usize>]) {
        let firsts = [
            None,
            Some(0),
            Some(LETTER | ALNUM | UPPER),
            Some(LETTER | ALNUM | LOWER),
        ];
        for roman in [false, true] {
            for ends in [false, true] {
                for first in firsts {
                    for multi in [false, true] {
                        assert_eq!(
                            heading_counts(t, pieces, roman, ends, first, multi),
                            heading_counts_reference(t, pieces, roman, ends, first, multi),
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

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn line() -> impl Strategy<Value = String> {
            let word = prop_oneof![
                "[a-z]{1,9}",
                "[A-Z][a-z]{0,8}",
                "[A-Z]{2,6}",
                "[a-z]{2,6}-",
                "\\*[a-z]{1,6}\\*",
                "\\*\\*[a-z]{1,6}\\*\\*",
                "_[a-z]{1,5}_",
                "[0-9]{1,4}",
                "[a-z]{1,5}[.,;:!?]",
                "(مجلس|حقوق|الإنسان)",
                "(組み合わせ|オブジェクト|分解)",
                "(\\.{3,6}\t[0-9]{1,2})",
            ];
            let prefix = prop_oneof![
                Just(String::new()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                Just("a) ".to_string()),
                Just("  ".to_string()),
                Just("# ".to_string()),
                Just("* * *".to_string()),
                Just("12".to_string()),
            ];
            (prefix, prop::collection::vec(word, 0..16))
                .prop_map(|(p, w)| format!("{p}{}", w.join(" ")))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// Reflow never loses or duplicates a letter: the letters of the output are the
            /// letters of the input minus dropped boilerplate and list markers (rejoining hyphens
            /// and markers are not letters).
            #[test]
            fn reflow_keeps_every_letter(lines in prop::collection::vec(line(), 0..30),
                                         blanks in prop::collection::vec(0usize..3, 30)) {
                let mut t = String::new();
                for (i, l) in lines.iter().enumerate() {
                    t.push_str(l);
                    t.push('\n');
                    for _ in 0..blanks[i] { t.push('\n'); }
                }
                let b = reflow().blocks(&t);
                let (out, exp) = letters(&t, &b);
                prop_assert_eq!(out, exp);
                prop_assert_eq!(uncovered_letters(&t, &b), 0);
            }

            /// The fast paths (ASCII lines, heading test) agree with the general ones.
            #[test]
            fn fast_paths_agree(lines in prop::collection::vec(line(), 0..30)) {
                let t = lines.join("\n");
                assert_same_lines(&t);
                for l in &lines {
                    assert_heading_as_reference(l.trim());
                }
            }
        }
    }
}
