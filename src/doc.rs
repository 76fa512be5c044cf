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
    Heading,
    Paragraph,
    ListItem,
    /// Boilerplate kinds: dropped unless `[structure] keep_boilerplate`.
    TocEntry,
    PageNumber,
    Separator,
    HeaderFooter,
}

impl BlockKind {
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
    pub const GARBLED: Flags = Flags(1);
    pub const REPAIRED_MOJIBAKE: Flags = Flags(1 << 1);
    pub const REFLOWED: Flags = Flags(1 << 2);
    pub const DEHYPHENATED: Flags = Flags(1 << 3);
    pub const REPAIRED_BIDI: Flags = Flags(1 << 4);
    pub const REPLACEMENT_CHARS: Flags = Flags(1 << 5);
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

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
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
    #[default]
    Ltr,
    Rtl,
    Mixed,
}

impl Direction {
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
    #[default]
    Segment,
    Context,
}

impl LangSource {
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
    Boilerplate(BoilerKind),
    Empty,
    TooShort,
    Garbled,
    Language,
    ExactDuplicate,
    NearDuplicate,
}

/// The boilerplate kinds, for counting drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoilerKind {
    TocEntry,
    PageNumber,
    Separator,
    HeaderFooter,
}

impl DropReason {
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
    Block(BlockKind),
    Sentence,
}

impl SegKind {
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
    pub near: bool,
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
    pub kind: SegKind,
    pub flags: Flags,
    pub script: &'static str,
    pub direction: Direction,
    /// Right-to-left runs in code points of the output text (mixed segments only).
    pub rtl_runs: Vec<(u32, u32)>,
    pub garbled_score: f32,
    pub lang: &'static str,
    pub lang_confidence: f32,
    pub lang_source: LangSource,
    pub dup_of: Option<DupOf>,
    pub dropped: Option<DropReason>,
    /// `[start, end)` byte offsets in the raw input file.
    pub raw: Range<usize>,
    /// 1-based line of the raw file where the segment starts.
    pub line: usize,
}

impl Segment {
    pub fn new(src: Range<usize>, text: Range<usize>, block: usize, kind: SegKind) -> Segment {
        Segment {
            src,
            text,
            block,
            kind,
            flags: Flags::default(),
            script: "Zyyy",
            direction: Direction::Ltr,
            rtl_runs: Vec::new(),
            garbled_score: 0.0,
            lang: "und",
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

/// Renders `src[range]` into `out` as output text: the ranges in `elide` are left out, every run
/// of whitespace (line breaks included) becomes one space, and the ends are trimmed.
pub fn render_into(src: &str, range: Range<usize>, elide: &[Range<usize>], out: &mut String) {
    let start_len = out.len();
    let mut pending_space = false;
    let mut pos = range.start;
    for e in elide {
        let (s, t) = (e.start.max(pos), e.end.min(range.end));
        if s >= t {
            continue;
        }
        push_folded(&src[pos..s], out, &mut pending_space, start_len);
        pos = t;
    }
    if pos < range.end {
        push_folded(&src[pos..range.end], out, &mut pending_space, start_len);
    }
}

/// What a byte can start, for [`push_folded`]: 0 text, 1 ASCII whitespace, 2 a lead byte of
/// non-ASCII whitespace (U+0085, U+00A0, U+1680, U+2000..U+205F and U+3000 start with C2, E1, E2
/// or E3; most characters with those leads are not whitespace).
static WS_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = 1;
    t[b'\t' as usize] = 1;
    t[b'\n' as usize] = 1;
    t[0x0C] = 1;
    t[b'\r' as usize] = 1;
    t[0xC2] = 2;
    t[0xE1] = 2;
    t[0xE2] = 2;
    t[0xE3] = 2;
    t
};

/// The length of the whitespace character at byte `i` of `piece` (a character boundary), or 0.
#[inline]
fn ws_len(piece: &str, i: usize) -> usize {
    match WS_CLASS[piece.as_bytes()[i] as usize] {
        0 => 0,
        1 => 1,
        _ => piece[i..]
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
    }
}

/// Appends `piece` with whitespace runs folded to one space (none at the start of the output).
///
/// Text is copied in stretches that run over single spaces between words, so ordinary prose is
/// copied a line at a time; the scan tests eight bytes at a time and decodes a character only at
/// the few lead bytes that can start non-ASCII whitespace.
fn push_folded(piece: &str, out: &mut String, pending_space: &mut bool, start_len: usize) {
    let b = piece.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        let w = ws_len(piece, i);
        if w > 0 {
            *pending_space = true;
            i += w;
            continue;
        }
        // `i` starts a stretch of text: extend it over text bytes (continuation bytes are text)
        // and over single ASCII spaces that text follows.
        let mut j = i;
        loop {
            j = crate::bytescan::find_space_candidate(b, j, n);
            if j < n && ws_len(piece, j) == 0 {
                // A control byte or a lead byte of a character that is not whitespace.
                j += 1;
                continue;
            }
            if j + 1 < n && b[j] == b' ' && ws_len(piece, j + 1) == 0 {
                j += 1;
                continue;
            }
            break;
        }
        if *pending_space && out.len() > start_len {
            out.push(' ');
        }
        *pending_space = false;
        out.push_str(&piece[i..j]);
        i = j;
    }
}

/// Whether the only whitespace of `piece` is lone ASCII spaces, so that rendering any trimmed range
/// of it with nothing elided ([`render_into`]) gives that range's text unchanged.
///
/// Tests eight bytes at a time for two spaces in a row and for the bytes that can start other
/// whitespace, decoding a character only at the lead bytes of non-ASCII whitespace.
pub fn folds_nothing(piece: &str) -> bool {
    let b = piece.as_bytes();
    let mut i = 0;
    loop {
        i = crate::bytescan::find_fold_candidate(b, i, b.len());
        let Some(&x) = b.get(i) else {
            return true;
        };
        // A space here is the second of a pair.
        if x == b' ' || ws_len(piece, i) > 0 {
            return false;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_folds_and_elides() {
        let src = "  **Hello**\n  world-\nwide  web ";
        let mut out = String::new();
        let elide = [2..4, 9..11, 19..21];
        render_into(src, 0..src.len(), &elide, &mut out);
        assert_eq!(out, "Hello worldwide web");
    }

    /// The definition [`push_folded`] implements: whitespace runs to one space, none at the start.
    fn folded_reference(pieces: &[&str]) -> String {
        let is_ws = |c: char| {
            if c.is_ascii() {
                c.is_ascii_whitespace()
            } else {
                c.is_whitespace()
            }
        };
        let joined: String = pieces.concat();
        let mut out = String::new();
        let mut pending = false;
        for c in joined.chars() {
            if is_ws(c) {
                pending = true;
            } else {
                if pending && !out.is_empty() {
                    out.push(' ');
                }
                pending = false;
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn push_folded_matches_its_definition() {
        // Real text from the seeds and UDHR translations, with the whitespace PDF extractors and
        // editors leave: line breaks, tabs, no-break and ideographic spaces, U+000B (not folded).
        let texts = [
            "The legal definition of genocide was provided for by the Convention",
            "  Under the plan,\n religious confessions\t\tand organizations  ",
            "Toute personne a droit\u{a0}\u{a0}à l'éducation.\u{2028}L'éducation doit être",
            "人人生而自由\u{3000}在尊严和权利上一律平等。 ",
            "Все люди рождаются свободными\u{0B}и равными",
            "\u{85}كل الناس\u{2003}يولدون أحراراً ",
            "— “quoted” … ‘text’ \u{1680}",
            " ",
            "",
        ];
        for a in texts {
            for split in (0..=a.len()).filter(|&k| a.is_char_boundary(k)) {
                let (x, y) = a.split_at(split);
                let mut out = String::new();
                let mut pending = false;
                push_folded(x, &mut out, &mut pending, 0);
                push_folded(y, &mut out, &mut pending, 0);
                assert_eq!(out, folded_reference(&[x, y]), "{a:?} split at {split}");
            }
        }
    }

    proptest::proptest! {
        /// Arbitrary text, with every kind of whitespace and control, split anywhere.
        #[test]
        fn push_folded_matches_its_definition_on_any_text(
            a in proptest::string::string_regex("([ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{1680}\u{2000}-\u{200d}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]|[a-zé.]|\\PC){0,40}").unwrap(),
            split in 0usize..200,
        ) {
            let mut split = split.min(a.len());
            while !a.is_char_boundary(split) {
                split -= 1;
            }
            let (x, y) = a.split_at(split);
            let mut out = String::new();
            let mut pending = false;
            push_folded(x, &mut out, &mut pending, 0);
            push_folded(y, &mut out, &mut pending, 0);
            proptest::prop_assert_eq!(out, folded_reference(&[x, y]));
        }
    }

    /// Every trimmed range of `s` (between character boundaries), rendered, is its text when
    /// [`folds_nothing`] says so; and `folds_nothing` holds for text with lone spaces only.
    fn check_folds_nothing(s: &str) {
        let plain = folds_nothing(s);
        let by_definition = !s.contains("  ")
            && s.chars()
                .all(|c| c == ' ' || c == '\u{b}' || !c.is_whitespace());
        assert_eq!(plain, by_definition, "{s:?}");
        if !plain {
            return;
        }
        let cuts: Vec<usize> = (0..=s.len()).filter(|&k| s.is_char_boundary(k)).collect();
        for &a in &cuts {
            for &z in cuts.iter().filter(|&&z| z >= a) {
                let r = crate::structure::trim_range(s, a..z);
                let mut out = String::new();
                render_into(s, r.clone(), &[], &mut out);
                assert_eq!(out, s[r], "{s:?} {a}..{z}");
            }
        }
    }

    #[test]
    fn folds_nothing_matches_rendering() {
        for s in [
            "The legal definition of genocide. It was provided.",
            "Toute personne a droit à l'éducation. « Oui » — non…",
            "人人生而自由，在尊严和权利上一律平等。他们赋有理性。",
            "すべての人間は、生まれながらにして自由である。",
            "Все люди\u{b}рождаются свободными",
            "two  spaces",
            "a\tb",
            "line\nbreak",
            "no-break\u{a0}space",
            "ideographic\u{3000}space",
            " lead and trail ",
            "",
        ] {
            check_folds_nothing(s);
        }
    }

    proptest::proptest! {
        #[test]
        fn folds_nothing_matches_rendering_on_any_text(
            s in proptest::string::string_regex("([ \t\n\r\u{b}\u{c}\u{1c}\u{85}\u{a0}\u{1680}\u{2000}-\u{200d}\u{2028}\u{202f}\u{3000}]|[a-zé.]|\\PC){0,24}").unwrap(),
        ) {
            check_folds_nothing(&s);
        }
    }

    #[test]
    fn flags_names() {
        let f = Flags::REFLOWED | Flags::GARBLED;
        assert_eq!(f.names().collect::<Vec<_>>(), vec!["garbled", "reflowed"]);
    }
}
