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
//! 1. **Boilerplate lines**: separators (`* * *`, `__________`), table-of-contents entries (a
//!    title, then dot leaders, a tab or wide spaces, then a page number; the short title line
//!    right above such a run, e.g. `CONTENTS`, goes with it), and — only where the text shows
//!    pages (form feeds, page numbers in a sequence spaced as pages, the title repeated at
//!    page-like intervals) — page numbers alone on a line (`12`, `- 12 -`, `Page 3 of 10`, `iv`)
//!    and running headers and footers (a short line at two page edges; the document's title
//!    stays). Text that was never a page keeps its lone `2` and its repeated lines.
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
//!
//! Where each part lives:
//!
//! - this file: [`Structurer`], the `blank_lines` mode and the `reflow` driver that runs the
//!   steps over a document's lines and builds its blocks (with the ranges they elide);
//! - `lines`: line ranges ([`lines()`], [`trim_range`]) and the measurements of a line
//!   (`Line`: kind, indent, length, markers, first word, sentence end, direction);
//! - `patterns`: what one line is by its own text (separator, page number, table-of-contents
//!   entry) and the list and markdown heading markers it starts with;
//! - `boilerplate`: the boilerplate told by the lines around a line (tables of contents, running
//!   headers and footers), step 1;
//! - `wrap`: the wrap width of a region and the join between two lines, steps 2 and 3;
//! - `hyphen`: dehyphenation against the document's vocabulary, step 4;
//! - `headings`: the heading test on a block's rendered characters and the markdown emphasis
//!   markers, step 5.
//!
//! The character classes, whitespace tests and UTF-8 decoding they share are in
//! [`crate::text::chars`].

mod boilerplate;
mod headings;
mod hyphen;
mod lines;
mod patterns;
mod wrap;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use crate::config::{StructureConfig, StructureMode};
use crate::doc::{Block, BlockKind, DropReason, Flags};

use boilerplate::{mark_pages, mark_toc};
use headings::{context_headings, emphasis_markers, is_heading_rendered};
use hyphen::{count_forms, split_word, HyphenBreak};
pub use lines::{lines, trim_range};
use lines::{Line, LineKind};
use wrap::{join, measure_widths, Join};

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

/// Bytes of working memory per byte of a document's text, and per line, through the
/// per-document stages (the text's copies, the structure stage's line records, the blocks,
/// segments and their texts), measured as the peak resident memory of runs on one-character
/// lines and on running text, with a margin.
const MEMORY_PER_BYTE: u64 = 12;
const MEMORY_PER_LINE: u64 = 40;

/// The estimated peak working memory of one document whose text has `bytes` bytes in `lines`
/// lines, and whether the lines are the larger part of it.
pub fn working_memory(bytes: usize, lines: usize) -> (u64, bool) {
    let by_bytes = MEMORY_PER_BYTE.saturating_mul(bytes as u64);
    let by_lines = MEMORY_PER_LINE.saturating_mul(lines as u64);
    (by_bytes.saturating_add(by_lines), by_lines >= by_bytes)
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

/// The pieces of `range` that rendering keeps with `elide` left out, in order: exactly the
/// pieces [`render_into`](crate::render::render_into) copies (empty ones left out).
pub(super) fn kept_pieces(
    range: Range<usize>,
    elide: &[Range<usize>],
    out: &mut Vec<Range<usize>>,
) {
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

/// The working vectors of [`Structurer::reflow_blocks`], kept by each thread from one document
/// to the next so that a document does not grow them anew.
#[derive(Default)]
struct Scratch {
    lines: Vec<Line>,
    marks: Vec<(bool, bool)>,
    nonblank: Vec<u32>,
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
        if text.len() > u32::MAX as usize {
            // Line offsets are `u32`: a text of 4 GiB or more (which the run's memory budget
            // keeps out by default) is cut at its blank lines only.
            return blank_line_blocks(text);
        }
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
        mark_pages(text, lines);
        // The text lines' indices, for the widths (`nonblank` is filled again below; `u32`, as
        // the line offsets).
        measure_widths(lines, nonblank);

        nonblank.clear();
        nonblank
            .extend((0..lines.len() as u32).filter(|&i| lines[i as usize].kind != LineKind::Blank));
        // Paragraphs separated by blank lines: most text lines followed by a text line have a
        // blank line between them.
        let (mut pairs, mut blank_pairs) = (0, 0);
        for w in nonblank.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if lines[a].is_text() && lines[b].is_text() {
                pairs += 1;
                blank_pairs += (b - a > 1) as usize;
            }
        }
        let blank_separated = pairs > 0 && blank_pairs * 2 >= pairs;

        // Lines that the document's numbered pattern shows to be headings (`دفعہ ۱۰`,
        // `Article 12.`: see `context_headings`) stand alone, even where the extractor put no
        // blank line around them. A candidate starts a block by its place: after a sentence end,
        // a blank or a line that is not text.
        let pattern_lines = heading_pattern_lines(text, lines, nonblank);
        // A title on two lines that a running header holds on one: one block.
        let wrapped = boilerplate::wrapped_title(text, lines, nonblank);

        // Group lines into blocks: (first line, last line, joins between them).
        groups.clear();
        joins.clear();
        joins.resize(lines.len(), Join::Break);
        let mut hyphens: Vec<HyphenBreak> = Vec::new();
        for (k, &i) in nonblank.iter().enumerate() {
            let i = i as usize;
            let prev = k.checked_sub(1).map(|p| nonblank[p] as usize);
            let j = match prev {
                Some(_) if wrapped == Some(i) => Join::Space,
                Some(p)
                    if lines[p].is_text()
                        && lines[i].is_text()
                        && pattern_lines.binary_search(&p).is_err()
                        && pattern_lines.binary_search(&i).is_err() =>
                {
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
                let a = &text[lines[p].content()];
                let b = &text[lines[i].content()];
                let len = wrap::line_end_hyphen(a).unwrap_or(1);
                // A soft hyphen marks a break inside a word: always rejoined.
                let soft = len == 2;
                let forms = if self.dehyphenate && lines[i].first.is_lowercase() {
                    split_word(a, b, len)
                } else {
                    None
                };
                hyphens.push(HyphenBreak {
                    hyphen: lines[p].content().end - len,
                    len,
                    soft,
                    next: lines[i].content().start,
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
                if h.soft {
                    // Kept by normalization (`soft_hyphens = false`): it stays, invisible,
                    // inside the rejoined word.
                    h.hyphen + h.len..h.next
                } else if rejoin {
                    h.hyphen..h.next
                } else {
                    h.hyphen + h.len..h.next
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
            let range = l0.content().start..lines[last].content().end;
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
                            .push(lines[p].content().end..lines[i].content().start);
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
        lone_markers(&mut blocks);
        context_headings(text, &mut blocks);
        blocks
    }
}

/// The indices of the text lines (of `nonblank`, in order) whose numbered pattern
/// ([`headings::pattern`]) two or more candidate lines share: short lines that follow a sentence
/// end, a blank line or a line that is not text, and do not end in `,` or `;`.
fn heading_pattern_lines(text: &str, lines: &[Line], nonblank: &[u32]) -> Vec<usize> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for (k, &i) in nonblank.iter().enumerate() {
        let i = i as usize;
        let l = &lines[i];
        if !l.is_text() || l.len > 60 || matches!(l.last, ',' | ';' | '،' | '؛') {
            continue;
        }
        let after_break = match k.checked_sub(1).map(|p| nonblank[p] as usize) {
            None => true,
            Some(p) => p + 1 < i || !lines[p].is_text() || lines[p].ends_sentence,
        };
        if !after_break {
            continue;
        }
        let s = &text[l.content()];
        if !headings::may_hold_number(s) {
            continue;
        }
        if let Some(p) = headings::pattern(s) {
            found.push((i, p));
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, p) in &found {
        *counts.entry(p.as_str()).or_default() += 1;
    }
    found
        .iter()
        .filter(|(_, p)| counts[p.as_str()] >= 2)
        .map(|(i, _)| *i)
        .collect()
}

/// Lists whose markers the extractor put on lines of their own (pdfminer puts a list's
/// markers, `a.` `b.` `c.`, one per line, before its items): a run of `k` blocks that are only a
/// marker makes the next `k` text blocks (paragraphs, or headings by their shape) list items.
/// The marker blocks stay, with nothing to render.
fn lone_markers(blocks: &mut [Block]) {
    let lone =
        |b: &Block| b.kind == BlockKind::ListItem && b.elide.first().is_some_and(|e| *e == b.range);
    let mut k = 0;
    while k < blocks.len() {
        if !lone(&blocks[k]) {
            k += 1;
            continue;
        }
        let mut end = k + 1;
        while end < blocks.len() && lone(&blocks[end]) {
            end += 1;
        }
        let mut want = end - k;
        let mut i = end;
        while want > 0
            && i < blocks.len()
            && matches!(blocks[i].kind, BlockKind::Paragraph | BlockKind::Heading)
        {
            blocks[i].kind = BlockKind::ListItem;
            want -= 1;
            i += 1;
        }
        k = i;
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

    pub(super) fn reflow() -> Structurer {
        Structurer::new(&Config::default().structure)
    }

    /// (kind, output text) of every block.
    pub(super) fn run(t: &str) -> Vec<(&'static str, String)> {
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

    pub(super) fn texts(t: &str) -> Vec<String> {
        run(t).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn markers_on_lines_of_their_own_make_the_next_blocks_list_items() {
        // UDHR article 11 (Slovenian) as pdfminer extracts a list: the markers, each on a line
        // of its own, before the items.
        let t = "11. člen\n\na. \n\nb. \n\nVsakdo, ki je obtožen kaznivega dejanja, ima \
                 pravico, da velja za nedolžnega.\n\nNihče ne sme biti spoznan za krivega \
                 kateregakoli kaznivega dejanja.\n\n12. člen\n\nNikogar se ne sme nadlegovati.\n";
        let r: Vec<_> = run(t).into_iter().filter(|(_, s)| !s.is_empty()).collect();
        let kinds: Vec<_> = r.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            ["heading", "list_item", "list_item", "heading", "paragraph"],
            "{r:?}"
        );
        assert!(r[1].1.starts_with("Vsakdo") && r[2].1.starts_with("Nihče"));
        assert_eq!(r[0].1, "11. člen");
    }

    #[test]
    fn numbered_patterns_and_section_numbers_make_headings() {
        // UDHR (Irish, Kazakh) and Debian Reference headings: short blocks that end in `.` or
        // start with a number, shown to be headings by the document's own pattern.
        for (a, b) in [
            ("Airteagal 23.", "Airteagal 24."),
            ("7‐статья", "8‐статья"),
            ("10 бап", "11 бап"),
        ] {
            let t = format!(
                "{a}\n\nTá sé de cheart ag gach duine obair a bheith aige.\n\n{b}\n\n\
                 Tá sé de cheart ag gach duine scíth agus fóillíocht a bheith aige.\n"
            );
            let kinds: Vec<_> = run(&t).into_iter().map(|(k, _)| k).collect();
            assert_eq!(
                kinds,
                ["heading", "paragraph", "heading", "paragraph"],
                "{t}"
            );
        }
        let t = "12.2.2.3. Setting Up the System\n\nThe system is set up once.\n";
        assert_eq!(run(t)[0].0, "heading");
        // A quantity is no section title; one such block is no pattern.
        let t = "2.5 GB\n\nThe disk holds the system.\n";
        assert_eq!(run(t)[0].0, "paragraph");
        let t = "Article 5.\n\nNo one shall be held in slavery.\n";
        assert_eq!(run(t)[0].0, "paragraph");
    }

    #[test]
    fn working_memory_grows_with_bytes_and_lines() {
        // 200 MB of one-character lines: some 6 GB, the lines the larger part.
        let (need, by_lines) = working_memory(200_000_000, 100_000_000);
        assert!(need > 6_000_000_000 && by_lines, "{need}");
        // 20 MB of running text in 150 000 lines: the bytes.
        let (need, by_lines) = working_memory(20_000_000, 150_000);
        assert!(need < 300_000_000 && !by_lines, "{need}");
    }

    #[test]
    fn blank_lines_separate_blocks() {
        let t = "\n  First line\nsecond line\n\n \nThird\n";
        let b = blank_line_blocks(t);
        assert_eq!(b.len(), 2);
        assert_eq!(&t[b[0].range.clone()], "First line\nsecond line");
        assert_eq!(&t[b[1].range.clone()], "Third");
    }

    pub(super) const WRAPPED: &str = "\
The crime committed in Khojaly city at the night from 25 to 26 February, 1992, by the

Armenian armed forces together with the 366 moto-artillery regiment of the former Soviet

army was one of the unprecedented events due to its cruelty.

Khojaly genocide resulted with severe violation of international legal norms and principles

as well as of human rights and freedoms and as an integral part of the aggressive policy

against Azerbaijan, became another evidence of long-lasting ethnic cleansing and genocide

policy of Armenian extremists and their supporters against the Azerbaijani people.
";

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
                // Its marker, unless the marker was on a line of its own (`lone_markers`).
                if let Some(e) = b.elide.first().filter(|e| e.start == b.range.start) {
                    skip = std::slice::from_ref(e);
                }
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
    pub(super) fn sample_texts() -> Vec<String> {
        crate::testdata::real_texts()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// What the line predicates are compared with their definitions on: every line of the
    /// sample texts, trimmed and as it is, each whole text, and constructed lines (page numbers
    /// and list markers of every form, non-ASCII whitespace).
    pub(super) fn sample_lines() -> Vec<String> {
        let mut out = Vec::new();
        for t in sample_texts() {
            for l in t.lines() {
                out.push(l.trim().to_string());
                out.push(l.to_string());
            }
            out.push(t);
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
            out.push(s.to_string());
        }
        out
    }

    /// Lines for the property tests of the line predicates: whitespace of every kind, page
    /// number frames and words, numbers, roman numerals, words, any character.
    pub(super) const LINE_TEXT: &str = "([ \t\u{b}\u{85}\u{a0}\u{2009}\u{3000}().\\-–/]|[0-9]{1,5}|[ivxlcpsPSсС]{1,4}|[a-zé]{1,9}|page|Стр|\\PC){0,40}";

    pub(super) mod props {
        use super::*;
        use proptest::prelude::*;

        /// A generated line: words of several scripts and kinds (hyphenated, emphasised, numbers,
        /// dot leaders) after an optional marker, indent or boilerplate prefix.
        pub(in crate::stage::structure) fn line() -> impl Strategy<Value = String> {
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
        }
    }
}
