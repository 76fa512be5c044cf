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
        push_folded(src, pos..s, out, &mut pending_space, start_len);
        pos = t;
    }
    if pos < range.end {
        push_folded(src, pos..range.end, out, &mut pending_space, start_len);
    }
}

/// The length of the whitespace character at byte `k` of `b` (a character boundary of UTF-8
/// text), or 0: ASCII whitespace (space, tab, line feed, form feed, carriage return; not U+000B)
/// and the non-ASCII characters of `char::is_whitespace` (U+0085, U+00A0, U+1680, U+2000..U+200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000), told from their bytes.
#[inline]
fn ws_len(b: &[u8], k: usize) -> usize {
    let at = |d: usize| b.get(k + d).copied().unwrap_or(0);
    match b[k] {
        b' ' | b'\t' | b'\n' | 0x0C | b'\r' => 1,
        0xC2 if matches!(at(1), 0x85 | 0xA0) => 2,
        0xE1 if at(1) == 0x9A && at(2) == 0x80 => 3,
        0xE2 => match (at(1), at(2)) {
            (0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) | (0x81, 0x9F) => 3,
            _ => 0,
        },
        0xE3 if at(1) == 0x80 && at(2) == 0x80 => 3,
        _ => 0,
    }
}

/// The first index in `i..end` (`i` a character boundary of the UTF-8 text `b`, `end` another)
/// where rendering folds whitespace: a whitespace character other than a space ([`ws_len`]), or
/// the second of two spaces in a row (both in `i..end`); `end` if there is none. Text with none
/// has only lone spaces.
///
/// Such a character starts with a byte below 0x20, a space, or one of the lead bytes C2, E1, E2,
/// E3; SSE2 (part of x86-64) flags those sixteen bytes at a time, and each flagged byte is then
/// checked, so the scan does not stop at every kana (`E3 81`) or curly quote (`E2 80 99`). The
/// last chunk may read past `end` (not past `b`), with the bytes there masked off.
#[inline]
fn find_fold(b: &[u8], i: usize, end: usize) -> usize {
    let from = i;
    #[cfg(target_arch = "x86_64")]
    let i = {
        use std::arch::x86_64::*;
        let mut i = i;
        // Bit 0 set when the byte before the chunk is a space of `i..end`.
        let mut carry = 0u32;
        while i < end && i + 16 <= b.len() {
            // SAFETY: `i + 16 <= b.len()`, so the sixteen bytes read are in `b`; the intrinsics
            // are SSE2, which every x86-64 processor has.
            let (spaces, other) = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast());
                let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
                let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
                let leads = _mm_or_si128(
                    _mm_or_si128(eq(0xC2), eq(0xE1)),
                    _mm_or_si128(eq(0xE2), eq(0xE3)),
                );
                (
                    _mm_movemask_epi8(eq(b' ')) as u32,
                    _mm_movemask_epi8(_mm_or_si128(control, leads)) as u32,
                )
            };
            // Only the bytes before `end`.
            let valid = if end - i < 16 {
                (1u32 << (end - i)) - 1
            } else {
                0xFFFF
            };
            let (spaces, other) = (spaces & valid, other & valid);
            let pairs = spaces & ((spaces << 1) | carry);
            carry = spaces >> 15;
            // The first pair, or the first other byte before it that is whitespace.
            let first_pair = if pairs != 0 {
                pairs.trailing_zeros()
            } else {
                16
            };
            let mut m = other;
            while m != 0 {
                let k = m.trailing_zeros();
                if k > first_pair {
                    break;
                }
                if ws_len(b, i + k as usize) > 0 {
                    return i + k as usize;
                }
                m &= m - 1;
            }
            if pairs != 0 {
                return i + first_pair as usize;
            }
            i += 16;
        }
        i.min(end)
    };
    (i..end)
        .find(|&k| {
            let x = b[k];
            (x == b' ' && k > from && b[k - 1] == b' ') || (x != b' ' && ws_len(b, k) > 0)
        })
        .unwrap_or(end)
}

/// Appends `src[range]` with whitespace runs folded to one space (none at the start of the
/// output, that is before `out[start_len..]` has text).
///
/// Text is copied in stretches up to the next place where whitespace folds ([`find_fold`]), so
/// ordinary prose, with its lone spaces between words, is copied a line at a time.
fn push_folded(
    src: &str,
    range: Range<usize>,
    out: &mut String,
    pending_space: &mut bool,
    start_len: usize,
) {
    let b = src.as_bytes();
    let n = range.end;
    let mut i = range.start;
    while i < n {
        let w = ws_len(b, i);
        if w > 0 {
            *pending_space = true;
            i += w;
            continue;
        }
        // `i` starts a stretch of text; it ends where whitespace folds, less the space that
        // starts that run of whitespace (or ends the range).
        let mut j = find_fold(b, i, n);
        if b[j - 1] == b' ' {
            j -= 1;
        }
        if *pending_space && out.len() > start_len {
            out.push(' ');
        }
        *pending_space = false;
        out.push_str(&src[i..j]);
        i = j;
    }
}

/// Whether the only whitespace of `text[range]` is lone ASCII spaces, so that rendering any
/// trimmed range of it with nothing elided ([`render_into`]) gives that range's text unchanged.
pub fn folds_nothing(text: &str, range: Range<usize>) -> bool {
    find_fold(text.as_bytes(), range.start, range.end) == range.end
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
                push_folded(a, 0..split, &mut out, &mut pending, 0);
                push_folded(a, split..a.len(), &mut out, &mut pending, 0);
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
            push_folded(&a, 0..split, &mut out, &mut pending, 0);
            push_folded(&a, split..a.len(), &mut out, &mut pending, 0);
            proptest::prop_assert_eq!(out, folded_reference(&[x, y]));
        }
    }

    /// Every trimmed range of `s` (between character boundaries), rendered, is its text when
    /// [`folds_nothing`] says so; and `folds_nothing` holds for text with lone spaces only.
    fn check_folds_nothing(s: &str) {
        let plain = folds_nothing(s, 0..s.len());
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

    /// [`ws_len`] from the bytes equals the definition from the character, for every character.
    #[test]
    fn ws_len_equals_its_definition() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            let ws = if c.is_ascii() {
                c.is_ascii_whitespace()
            } else {
                c.is_whitespace()
            };
            assert_eq!(ws_len(b, 0), if ws { b.len() } else { 0 }, "{c:?}");
        }
    }

    /// The definition of [`find_fold`], a byte at a time.
    fn find_fold_reference(b: &[u8], i: usize, end: usize) -> usize {
        (i..end)
            .find(|&k| {
                (b[k] == b' ' && k > i && b[k - 1] == b' ') || (b[k] != b' ' && ws_len(b, k) > 0)
            })
            .unwrap_or(end)
    }

    /// Every start, end and byte value in a window of constructed text, against the definition;
    /// ends inside the buffer make the last chunk read past them.
    #[test]
    fn find_fold_equals_its_definition() {
        let mut buf = "Toute personne a droit  à l\u{a0}éducation.\n人人生而自由\u{3000}“quoted” — x \t fin  "
            .as_bytes()
            .to_vec();
        for pos in (0..buf.len()).step_by(2) {
            let keep = buf[pos];
            for x in 0..=255u8 {
                buf[pos] = x;
                for i in (0..buf.len()).step_by(3) {
                    for end in [i, i + 1, i + 2, i + 15, i + 16, i + 17, i + 33, buf.len()] {
                        let end = end.min(buf.len());
                        assert_eq!(
                            find_fold(&buf, i, end),
                            find_fold_reference(&buf, i, end),
                            "{pos} {x} {i} {end}"
                        );
                    }
                }
            }
            buf[pos] = keep;
        }
    }

    /// On real text in many scripts, every line (as a range of the whole text) and every stretch
    /// between line breaks.
    #[test]
    fn find_fold_on_real_text() {
        let mut n = 0;
        for (_, t) in crate::testdata::real_texts() {
            let b = t.as_bytes();
            let mut at = 0;
            while at < b.len() {
                assert_eq!(
                    find_fold(b, at, b.len()),
                    find_fold_reference(b, at, b.len())
                );
                let end = t[at..].find('\n').map_or(t.len(), |k| at + k);
                assert_eq!(find_fold(b, at, end), find_fold_reference(b, at, end));
                at = end + 1;
            }
            n += 1;
        }
        assert!(n >= 10);
    }

    proptest::proptest! {
        /// A range of a longer text folds nothing exactly when its own text does.
        #[test]
        fn folds_nothing_of_a_range_is_that_of_its_text(
            s in proptest::string::string_regex("([ \t\n\u{b}\u{a0}\u{2003}\u{3000}]|[a-zé.]|\\PC){0,60}").unwrap(),
            a in 0usize..300,
            z in 0usize..300,
        ) {
            let fix = |mut k: usize| {
                k = k.min(s.len());
                while !s.is_char_boundary(k) {
                    k -= 1;
                }
                k
            };
            let (a, z) = (fix(a.min(z)), fix(a.max(z)));
            let piece = &s[a..z];
            proptest::prop_assert_eq!(
                folds_nothing(&s, a..z),
                folds_nothing(piece, 0..piece.len())
            );
        }
    }

    #[test]
    fn flags_names() {
        let f = Flags::REFLOWED | Flags::GARBLED;
        assert_eq!(f.names().collect::<Vec<_>>(), vec!["garbled", "reflowed"]);
    }
}
