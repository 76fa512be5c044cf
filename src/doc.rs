//! The document model shared by the stages: one owned text per document, everything else ranges.
//!
//! A document's *source text* (`text`) is its decoded and normalized text. Blocks and segments are
//! byte ranges into it. A segment's output text may differ from its source range (a reflowed
//! paragraph has its line breaks folded, a rejoined word loses its hyphen, markdown markers go):
//! the rendered texts of all segments live in one more owned string, `clean`, and each segment
//! holds its range there. Later stages (script, language, dedup, filter) read `clean`.

use std::ops::Range;

/// The kind of a block, and of the segments cut from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// A heading: a short line that introduces what follows (numbered, markdown `#`, or set
    /// apart by blank lines and its shape).
    Heading,
    /// Running text: one or more lines joined into one paragraph.
    Paragraph,
    /// An item of a bulleted or numbered list (its marker elided from the output text).
    ListItem,
    /// A line of a table of contents. Boilerplate kinds, this and the three below, are dropped
    /// unless `[structure] keep_boilerplate`.
    TocEntry,
    /// A page number on a line of its own.
    PageNumber,
    /// A line of only punctuation or rules (`-----`, `* * *`).
    Separator,
    /// A running header or footer: a line repeated at page boundaries.
    HeaderFooter,
}

impl BlockKind {
    /// The name written in the output (`kind` of a segment).
    pub fn name(self) -> &'static str {
        match self {
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::ListItem => "list_item",
            BlockKind::TocEntry => "toc_entry",
            BlockKind::PageNumber => "page_number",
            BlockKind::Separator => "separator",
            BlockKind::HeaderFooter => "header_footer",
        }
    }

    /// Whether blocks of this kind are boilerplate (dropped unless kept by the config).
    pub fn is_boilerplate(self) -> bool {
        matches!(
            self,
            BlockKind::TocEntry
                | BlockKind::PageNumber
                | BlockKind::Separator
                | BlockKind::HeaderFooter
        )
    }
}

/// Quality flags of a segment, as a small bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u32);

impl Flags {
    /// The text reads as garbled (broken extraction, wrong decoding): `garbled`.
    pub const GARBLED: Flags = Flags(1);
    /// Mojibake (UTF-8 read as a legacy code page) was repaired: `repaired_mojibake`.
    pub const REPAIRED_MOJIBAKE: Flags = Flags(1 << 1);
    /// Hard-wrapped lines were joined: `reflowed`.
    pub const REFLOWED: Flags = Flags(1 << 2);
    /// A word hyphenated at a line end was rejoined: `dehyphenated`.
    pub const DEHYPHENATED: Flags = Flags(1 << 3);
    /// Right-to-left text in visual order was put back in logical order: `repaired_bidi`.
    pub const REPAIRED_BIDI: Flags = Flags(1 << 4);
    /// The text holds U+FFFD from bytes that could not be decoded: `replacement_chars`.
    pub const REPLACEMENT_CHARS: Flags = Flags(1 << 5);
    /// The segment was cut at the segment length limit: `split_long`.
    pub const TRUNCATED: Flags = Flags(1 << 6);

    const NAMES: [(Flags, &'static str); 7] = [
        (Flags::GARBLED, "garbled"),
        (Flags::REPAIRED_MOJIBAKE, "repaired_mojibake"),
        (Flags::REFLOWED, "reflowed"),
        (Flags::DEHYPHENATED, "dehyphenated"),
        (Flags::REPAIRED_BIDI, "repaired_bidi"),
        (Flags::REPLACEMENT_CHARS, "replacement_chars"),
        (Flags::TRUNCATED, "split_long"),
    ];

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
    /// Clears the flags of `other`.
    pub(crate) fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }
    /// The bits of the set, as stored in shard files.
    pub(crate) fn bits(self) -> u32 {
        self.0
    }
    /// The set of `bits`; `None` when a bit names no flag.
    pub(crate) fn from_bits(bits: u32) -> Option<Flags> {
        let all = Flags::NAMES.iter().fold(0, |a, (f, _)| a | f.0);
        (bits & !all == 0).then_some(Flags(bits))
    }
    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The names of the set flags, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// A block of a document: a paragraph, heading, list item or piece of boilerplate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// Range of the source text the block covers (line breaks inside it included).
    pub range: Range<usize>,
    /// Byte ranges inside `range` left out of the output text: list markers, markdown emphasis
    /// markers, the hyphen and line break of a rejoined word. Sorted, not overlapping.
    pub elide: Vec<Range<usize>>,
    pub flags: Flags,
}

impl Block {
    pub fn new(kind: BlockKind, range: Range<usize>) -> Block {
        Block {
            kind,
            range,
            elide: Vec::new(),
            flags: Flags::default(),
        }
    }
}

/// Text direction of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Left to right (also text with no strong direction, such as digits).
    #[default]
    Ltr,
    /// Right to left (Arabic, Hebrew, Syriac, Thaana, N'Ko, …).
    Rtl,
    /// Both: right-to-left runs in left-to-right text or the reverse (see `rtl_runs`).
    Mixed,
}

impl Direction {
    /// The name written in the output (`direction`).
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
            Direction::Mixed => "mixed",
        }
    }
}

/// Where a segment's language label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LangSource {
    /// The segment's own text decided.
    #[default]
    Segment,
    /// The segment was too short or unsure; the label is its document's or its neighbours'.
    Context,
}

impl LangSource {
    /// The name written in the output (`lang_source`).
    pub fn name(self) -> &'static str {
        match self {
            LangSource::Segment => "segment",
            LangSource::Context => "context",
        }
    }
}

/// Why a segment does not reach `segments.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// A boilerplate block (table of contents, page number, separator, header or footer).
    Boilerplate(BoilerKind),
    /// Nothing left after rendering.
    Empty,
    /// Shorter than `[filter] min_chars`.
    TooShort,
    /// Garbled, and `[filter] drop_garbled` is on.
    Garbled,
    /// Not in `[filter] keep_languages`.
    Language,
    /// An exact repeat of a kept segment (with `[dedup] action = "drop"`).
    ExactDuplicate,
    /// A near repeat of a kept segment (with `[dedup] action = "drop"`).
    NearDuplicate,
}

/// The boilerplate kinds, for counting drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoilerKind {
    /// See [`BlockKind::TocEntry`].
    TocEntry,
    /// See [`BlockKind::PageNumber`].
    PageNumber,
    /// See [`BlockKind::Separator`].
    Separator,
    /// See [`BlockKind::HeaderFooter`].
    HeaderFooter,
}

impl DropReason {
    /// The name written in the report's drop counts.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Boilerplate(BoilerKind::TocEntry) => "toc_entry",
            DropReason::Boilerplate(BoilerKind::PageNumber) => "page_number",
            DropReason::Boilerplate(BoilerKind::Separator) => "separator",
            DropReason::Boilerplate(BoilerKind::HeaderFooter) => "header_footer",
            DropReason::Empty => "empty",
            DropReason::TooShort => "too_short",
            DropReason::Garbled => "garbled",
            DropReason::Language => "language",
            DropReason::ExactDuplicate => "exact_duplicate",
            DropReason::NearDuplicate => "near_duplicate",
        }
    }

    /// The drop reason of a boilerplate block kind; `None` for the other kinds.
    pub fn from_block(kind: BlockKind) -> Option<DropReason> {
        Some(DropReason::Boilerplate(match kind {
            BlockKind::TocEntry => BoilerKind::TocEntry,
            BlockKind::PageNumber => BoilerKind::PageNumber,
            BlockKind::Separator => BoilerKind::Separator,
            BlockKind::HeaderFooter => BoilerKind::HeaderFooter,
            _ => return None,
        }))
    }
}

/// The segment kind as written: the block kind, or `sentence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegKind {
    /// A whole block (headings, list items, boilerplate; every block with `unit = "block"`).
    Block(BlockKind),
    /// A sentence of a paragraph.
    Sentence,
}

impl SegKind {
    /// The name written in the output (`kind`).
    pub fn name(self) -> &'static str {
        match self {
            SegKind::Block(k) => k.name(),
            SegKind::Sentence => "sentence",
        }
    }
}

/// Whether a segment is a duplicate, and of what.
#[derive(Debug, Clone, PartialEq)]
pub struct DupOf {
    /// The `id` of the kept copy.
    pub id: String,
    /// A near duplicate (else exact).
    pub near: bool,
    /// The estimated Jaccard similarity of the two segments' shingles (1 for exact).
    pub similarity: f32,
    /// The kept copy is in another document.
    pub cross_document: bool,
}

/// One segment of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Range of the document's source text.
    pub src: Range<usize>,
    /// Range of the document's `clean` text: the output text.
    pub text: Range<usize>,
    /// Index of the block.
    pub block: usize,
    /// Sentence or block kind.
    pub kind: SegKind,
    /// The kind of the block the segment belongs to, whatever the segment unit.
    pub block_kind: BlockKind,
    /// Quality flags.
    pub flags: Flags,
    /// The dominant script, an ISO 15924 code (`Latn`, `Arab`, `Zyyy` when none).
    pub script: &'static str,
    /// The text direction.
    pub direction: Direction,
    /// Right-to-left runs in code points of the output text (mixed segments only).
    pub rtl_runs: Vec<(u32, u32)>,
    /// How garbled the text reads, 0 (fluent) to 1; flagged above `[script] garbled_threshold`.
    pub garbled_score: f32,
    /// The language code, ISO 639-3 individual language (`und` when unknown).
    pub lang: &'static str,
    /// The language and script, FLORES-200 style (`arb_Arab`, `cmn_Hant`; `und_Zyyy` when the
    /// language is `und`).
    pub lang_script: &'static str,
    /// The confidence of the language label, 0 to 1.
    pub lang_confidence: f32,
    /// Where the language label came from.
    pub lang_source: LangSource,
    /// The kept copy, when this segment repeats one.
    pub dup_of: Option<DupOf>,
    /// Why the segment is not written, if it is not.
    pub dropped: Option<DropReason>,
    /// `[start, end)` byte offsets in the raw input file.
    pub raw: Range<usize>,
    /// 1-based line of the raw file where the segment starts.
    pub line: usize,
}

impl Segment {
    /// A segment of `kind` at `src` of the source text and `text` of the output text, in block
    /// `block`, with no tags yet.
    pub fn new(src: Range<usize>, text: Range<usize>, block: usize, kind: SegKind) -> Segment {
        Segment {
            src,
            text,
            block,
            kind,
            block_kind: match kind {
                SegKind::Block(k) => k,
                SegKind::Sentence => BlockKind::Paragraph,
            },
            flags: Flags::default(),
            script: "Zyyy",
            direction: Direction::Ltr,
            rtl_runs: Vec::new(),
            garbled_score: 0.0,
            lang: "und",
            lang_script: crate::stage::lang::codes::UND_TAG,
            lang_confidence: 0.0,
            lang_source: LangSource::Segment,
            dup_of: None,
            dropped: None,
            raw: 0..0,
            line: 0,
        }
    }
}

/// Lays out paragraphs of sentences as a document's output text and its segments (the shape the
/// pipeline produces: segments separated by `\n`, source ranges equal to output ranges). For
/// callers that have sentences already, and for tests of the later stages.
#[cfg(test)]
pub fn layout(paras: &[&[&str]]) -> (String, Vec<Segment>) {
    let mut clean = String::new();
    let mut segs = Vec::new();
    for (b, p) in paras.iter().enumerate() {
        for s in p.iter() {
            if !clean.is_empty() {
                clean.push('\n');
            }
            let t0 = clean.len();
            clean.push_str(s);
            segs.push(Segment::new(
                t0..clean.len(),
                t0..clean.len(),
                b,
                SegKind::Sentence,
            ));
        }
    }
    (clean, segs)
}
