//! Wrap width and joins (steps 2 and 3 of the `structure` module doc): the width a region's lines
//! were hard-wrapped at ([`measure_widths`]: for every text line, the largest length that at
//! least three of the nine text lines around it, and 40 % of them, come within 20 % of; 0 when
//! there is none), and how two consecutive text lines are joined ([`join`]).
//!
//! Both, and the helpers of the window, are `#[inline]`: the driver in `structure` had them
//! inlined when they shared a module (see `patterns`).

use super::lines::{is_cjk, Line};

/// The wrap width of the region around each text line (see the module doc). `text_lines` is
/// scratch for the text lines' indices (`u32`: the reflow driver takes only texts shorter than
/// 4 GiB).
#[inline]
pub(super) fn measure_widths(lines: &mut [Line], text_lines: &mut Vec<u32>) {
    text_lines.clear();
    text_lines.extend((0..lines.len() as u32).filter(|&i| lines[i as usize].is_text()));
    let n = text_lines.len();
    let len = |lines: &[Line], p: usize| lines[text_lines[p] as usize].len;
    // The lengths of the nine text lines around line `p` (fewer at the ends), kept sorted
    // from the longest as the window slides.
    let mut window = Window::default();
    for p in 0..n.min(5) {
        window.insert(len(lines, p));
    }
    for p in 0..n {
        if p > 4 {
            window.remove(len(lines, p - 5));
        }
        if p > 0 && p + 4 < n {
            window.insert(len(lines, p + 4));
        }
        // At most 200 (see `wrap_width`).
        lines[text_lines[p] as usize].width = wrap_width(window.as_slice()) as u8;
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
    #[inline]
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
    #[inline]
    fn remove(&mut self, x: u32) {
        if let Some(k) = self.v[..self.n].iter().position(|&y| y == x) {
            for m in k + 1..self.n {
                self.v[m - 1] = self.v[m];
            }
            self.n -= 1;
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u32] {
        &self.v[..self.n]
    }
}

/// The wrap width of a window of line lengths sorted from the longest: the largest length from
/// 30 to 200 that at least three lengths, and 40 % of them, come within 20 % below of (0: none).
#[inline]
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
pub(super) enum Join {
    /// Different blocks.
    Break,
    /// Same block; the line break becomes a space.
    Space,
    /// Same block, no space (CJK on both sides).
    Glue,
    /// The first line ends in `letter-`: rejoined or kept as a compound.
    Hyphen,
}

/// The byte length of the hyphen that ends `s`: `-`, U+2010 HYPHEN (what typesetting
/// hyphenation often emits) or U+00AD SOFT HYPHEN (when normalization keeps it).
#[inline]
pub(super) fn line_end_hyphen(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b {
        [.., b'-'] => Some(1),
        [.., 0xE2, 0x80, 0x90] => Some(3),
        [.., 0xC2, 0xAD] => Some(2),
        _ => None,
    }
}

#[inline]
pub(super) fn join(text: &str, a: &Line, b: &Line, gap: usize, blank_separated: bool) -> Join {
    // A line holding only its list marker (`a.first` is after the marker) stays alone: its
    // item is found among the next blocks (`lone_markers`).
    if b.marker != 0 || b.hashes != 0 || a.hashes != 0 || (a.marker != 0 && a.first == ' ') {
        return Join::Break;
    }
    let b_lower = b.first.is_lowercase();
    if a.rtl != b.rtl {
        return Join::Break;
    }
    if b.indent >= a.indent + 2 && !b_lower {
        return Join::Break;
    }
    let s = &text[a.content()];
    let hyphen = line_end_hyphen(s).is_some_and(|h| {
        s[..s.len() - h]
            .chars()
            .next_back()
            .is_some_and(crate::text::chars::is_letter)
    }) && b.first.is_alphanumeric();
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
        // Paragraphs are set apart by blank lines, so lines without one between them belong
        // together — unless the first ends a sentence well short of the wrap width and the
        // next starts with a capital: the end of one list item or paragraph and the start of
        // the next, which an extractor did not separate.
        let short_end = a.ends_sentence
            && b.first.is_uppercase()
            && a.width > 0
            && (a.len + 1 + b.first_word) * 5 <= u32::from(a.width) * 4;
        if !short_end {
            return glue;
        }
    }
    if a.width > 0 && gap <= 1 {
        let needed = a.len + 1 + b.first_word;
        // A sentence end at the end of a full line is as likely a paragraph end (line lengths
        // of proportional fonts vary too much to tell): break there, never mid-sentence.
        if !a.ends_sentence && needed * 5 > u32::from(a.width) * 4 {
            return glue;
        }
    }
    Join::Break
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Flags;
    use crate::stage::structure::lines::{lines, LineKind};
    use crate::stage::structure::tests::{reflow, sample_texts, texts, WRAPPED};

    /// Two list items of UDHR article 11 (Afrikaans) without a blank line between them, in a
    /// text whose paragraphs are set apart by blank lines (as pdfminer extracts it): the short
    /// line that ends the first item ends its block.
    #[test]
    fn a_short_sentence_end_ends_the_block_in_blank_separated_text() {
        let t = "Artikel 11\n\n\
                 Elkeen beskuldig van 'n strafbare oortreding het die reg om as onskuldig beskou te\n\
                 word tot skuldig bevind volgens die wet, in 'n openbare saak waarin hy verseker is\n\
                 van die nodige verdediging.\n\
                 Niemand sal beskuldig word van 'n strafbare oortreding as gevolg van enige daad of\n\
                 nalatigheid wat volgens nasionale of internasionale wet nie 'n misdaad was nie.\n\n\
                 Artikel 12\n\n\
                 Niemand sal onderworpe wees aan arbitrêre inmenging met sy privaatheid, familie,\n\
                 woning of korrespondensie nie, of aan aanvalle op sy eer en reputasie nie.\n\n\
                 Artikel 13\n\nArtikel 14\n\nArtikel 15\n";
        let out = texts(t);
        let first = out.iter().position(|s| s.starts_with("Elkeen")).unwrap();
        assert!(
            out[first].ends_with("verdediging.")
                && out[first + 1].starts_with("Niemand sal beskuldig"),
            "{out:?}"
        );
    }

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
            let got: Vec<u32> = ls
                .iter()
                .filter(|l| l.is_text())
                .map(|l| u32::from(l.width))
                .collect();
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
            let got: Vec<u32> = ls.iter().filter(|l| l.is_text()).map(|l| u32::from(l.width)).collect();
            proptest::prop_assert_eq!(got, widths_reference(&lens));
        }
    }
}
