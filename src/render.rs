//! The one place text is rendered: a segment's output text from its source range (whitespace
//! folded, elided ranges left out), the segments of a document's blocks, their flags, and the
//! way back from the normalized text to the raw bytes.

use std::ops::Range;

use crate::doc::{Block, Flags, SegKind, Segment};
use crate::stage::mojibake::Repaired;
use crate::stage::segment::Segmenter;
use crate::stage::structure::Structurer;
use crate::text::scan::ByteSet;
use crate::text::spanmap::SpanMap;

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
/// text), or 0: the characters of `char::is_whitespace`, the crate's one definition of
/// whitespace ([`crate::text::chars::is_ws`]), told from their bytes: U+0009..U+000D, the space,
/// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
#[inline]
fn ws_len(b: &[u8], k: usize) -> usize {
    let at = |d: usize| b.get(k + d).copied().unwrap_or(0);
    match b[k] {
        b' ' | 0x09..=0x0D => 1,
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

/// The bytes whitespace can start with: the ASCII bytes below 0x21 and the lead bytes C2, E1,
/// E2 and E3 (every non-ASCII whitespace character starts with one of them).
static WS_LEADS: ByteSet = ByteSet::EMPTY
    .with_range(0, 0x20)
    .with(0xC2)
    .with_range(0xE1, 0xE3);

/// The first index in `i..end` (`i` a character boundary of the UTF-8 text `b`, `end` another)
/// where rendering folds whitespace: a whitespace character other than a space ([`ws_len`]), or
/// the second of two spaces in a row (both in `i..end`); `end` if there is none. Text with none
/// has only lone spaces.
///
/// The scan stops at the bytes of [`WS_LEADS`] and checks each, so it does not stop at every
/// kana (`E3 81`) or curly quote (`E2 80 99`).
#[inline]
fn find_fold(b: &[u8], i: usize, end: usize) -> usize {
    WS_LEADS.find_by(b, i, end, |k| {
        if b[k] == b' ' {
            k > i && b[k - 1] == b' '
        } else {
            ws_len(b, k) > 0
        }
    })
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

/// Cuts the blocks of `text` into segments and renders each into the document's output text
/// (segments separated by `\n`): the segmenter says where segments are, the structurer which
/// are dropped. Kept out of line so profiles show the segment step on its own.
#[inline(never)]
pub fn segment_blocks(
    text: &str,
    blocks: &[Block],
    segmenter: &Segmenter,
    structurer: &Structurer,
) -> (String, Vec<Segment>) {
    // The segments' source ranges of every block first, so that the segments (large values) are
    // allocated once, at their number.
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(blocks.len() * 2);
    // Per block: where its ranges end, what they are, and whether they render as their own text.
    let mut plan: Vec<(usize, SegKind, bool)> = Vec::with_capacity(blocks.len());
    // The indices in `ranges` of the pieces of sentences cut at the length limit.
    let mut split = Vec::new();
    for block in blocks {
        let kind = segmenter.cut(text, block, &mut ranges, &mut split);
        // Sentences are trimmed ranges of the block: when nothing is elided and the block's only
        // whitespace is lone spaces, each renders to its own text.
        let as_is = kind == SegKind::Sentence
            && block.elide.is_empty()
            && folds_nothing(text, block.range.clone());
        plan.push((ranges.len(), kind, as_is));
    }
    let mut segments = Vec::with_capacity(ranges.len());
    let mut clean = String::with_capacity(text.len());
    // Without U+FFFD in the text, no rendering has one.
    let has_replacement = replacement_finder().find(text.as_bytes()).is_some();
    let mut from = 0;
    let mut split = split.into_iter().peekable();
    for (bi, (block, &(to, kind, as_is))) in blocks.iter().zip(&plan).enumerate() {
        let dropped = structurer.drop_reason(block.kind);
        for (k, r) in ranges[from..to].iter().enumerate() {
            if !clean.is_empty() {
                clean.push('\n');
            }
            let t0 = clean.len();
            // The elided ranges that meet this segment: a binary search, not a walk of the
            // block's whole list per segment (quadratic on a long block full of markers).
            let elide = overlapping(&block.elide, r);
            if as_is {
                clean.push_str(&text[r.clone()]);
            } else {
                render_into(text, r.clone(), elide, &mut clean);
            }
            let mut seg = Segment::new(r.clone(), t0..clean.len(), bi, kind);
            seg.block_kind = block.kind;
            seg.flags = segment_flags(text, block, elide, r, &clean[t0..], has_replacement);
            if split.next_if_eq(&(from + k)).is_some() {
                seg.flags.insert(Flags::TRUNCATED);
            }
            seg.dropped = dropped;
            segments.push(seg);
        }
        from = to;
    }
    (clean, segments)
}

/// A searcher for U+FFFD, built once (building one costs more than searching most documents).
fn replacement_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new("\u{FFFD}".as_bytes()))
}

/// The ranges of `elide` (sorted, not overlapping) that overlap `r`.
fn overlapping<'a>(elide: &'a [Range<usize>], r: &Range<usize>) -> &'a [Range<usize>] {
    let lo = elide.partition_point(|e| e.end <= r.start);
    let n = elide[lo..].partition_point(|e| e.start < r.end);
    &elide[lo..lo + n]
}

/// The flags a segment's rendering gives it (`elide`: the block's elided ranges that overlap
/// the segment): reflowed lines, a rejoined hyphenated word, U+FFFD.
fn segment_flags(
    text: &str,
    block: &Block,
    elide: &[Range<usize>],
    r: &Range<usize>,
    out: &str,
    has_replacement: bool,
) -> Flags {
    let mut f = Flags::default();
    let src = &text[r.clone()];
    if block.flags.contains(Flags::REFLOWED) && src.contains('\n') {
        f.insert(Flags::REFLOWED);
    }
    if elide.iter().any(|e| {
        e.start >= r.start
            && e.end <= r.end
            && text[e.clone()].starts_with('-')
            && text[e.clone()].contains('\n')
    }) {
        f.insert(Flags::DEHYPHENATED);
    }
    if has_replacement && out.contains('\u{FFFD}') {
        f.insert(Flags::REPLACEMENT_CHARS);
    }
    f
}

/// Line starts of a decoded text, where `\n`, `\r\n` and a lone `\r` each end a line (as in the
/// raw file, before normalization folds them).
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    let b = text.as_bytes();
    for i in memchr::memchr2_iter(b'\n', b'\r', b) {
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            continue;
        }
        v.push(i + 1);
    }
    v
}

/// Maps the segments' source ranges back to the raw bytes and lines (through the normalization
/// maps, the mojibake repair and the decoding), and flags the segments that overlap a repair.
/// Kept out of line so profiles show it apart; part of the segment step.
#[inline(never)]
pub fn map_back(
    segments: &mut [Segment],
    norm_maps: &[SpanMap],
    repaired: Option<&Repaired>,
    decoded_map: &SpanMap,
    lines: &[usize],
) {
    let maps: Vec<&SpanMap> = norm_maps.iter().chain(repaired.map(|r| &r.map)).collect();
    // Valid UTF-8 is its own raw bytes: nothing to translate.
    let decoded_map = (!decoded_map.is_plain_identity()).then_some(decoded_map);
    // Segments come in text order, so their lines are found walking forward.
    let mut line = 0;
    for seg in segments {
        let mut r = seg.src.clone();
        for m in &maps {
            r = m.range(r);
        }
        if let Some(rep) = repaired {
            let mut rr = seg.src.clone();
            for m in norm_maps {
                rr = m.range(rr);
            }
            if rep
                .repaired
                .iter()
                .any(|x| x.start < rr.end && rr.start < x.end)
            {
                seg.flags.insert(Flags::REPAIRED_MOJIBAKE);
            }
        }
        // The number of line starts at or before `r.start`.
        if line > 0 && lines[line - 1] > r.start {
            line = lines.partition_point(|&s| s <= r.start);
        } else {
            while line < lines.len() && lines[line] <= r.start {
                line += 1;
            }
        }
        seg.line = line;
        seg.raw = match decoded_map {
            Some(m) => m.range(r),
            None => r,
        };
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

    /// U+000B (line tabulation, a word processor's manual line break) is whitespace like the
    /// others: it folds to a space (it reaches rendering only with `[normalize] controls = false`,
    /// which otherwise turns it into a line break).
    #[test]
    fn line_tabulation_folds_like_other_whitespace() {
        let src = "Все люди\u{b}рождаются\u{b}\u{b} свободными";
        let mut out = String::new();
        render_into(src, 0..src.len(), &[], &mut out);
        assert_eq!(out, "Все люди рождаются свободными");
        assert!(!folds_nothing(src, 0..src.len()));
    }

    /// [`overlapping`] finds exactly the ranges that end after the segment starts and start
    /// before it ends: the only ones rendering or the flags can use.
    #[test]
    fn overlapping_is_its_definition() {
        let elide = [0..0, 2..4, 4..5, 9..11, 11..11, 19..21];
        for a in 0..24 {
            for z in a..24 {
                let r = a..z;
                let want: Vec<_> = elide
                    .iter()
                    .filter(|e| e.end > r.start && e.start < r.end)
                    .cloned()
                    .collect();
                assert_eq!(overlapping(&elide, &r), want.as_slice(), "{r:?}");
            }
        }
    }

    /// The definition [`push_folded`] implements: whitespace runs to one space, none at the start.
    fn folded_reference(pieces: &[&str]) -> String {
        let is_ws = char::is_whitespace;
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
        let by_definition = !s.contains("  ") && s.chars().all(|c| c == ' ' || !c.is_whitespace());
        assert_eq!(plain, by_definition, "{s:?}");
        if !plain {
            return;
        }
        let cuts: Vec<usize> = (0..=s.len()).filter(|&k| s.is_char_boundary(k)).collect();
        for &a in &cuts {
            for &z in cuts.iter().filter(|&&z| z >= a) {
                let r = crate::stage::structure::trim_range(s, a..z);
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
            let ws = c.is_whitespace();
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
