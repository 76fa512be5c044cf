//! Document boilerplate that only the lines around a line tell apart from text: tables of
//! contents ([`mark_toc`]) and running headers and footers ([`mark_headers_footers`]). (The
//! boilerplate a line is by itself — separators, page numbers — is in `patterns`.)
//!
//! Both markers and [`footer_key`] are `#[inline]`: the driver in `structure` had them inlined
//! when they shared a module (see `patterns`).

use std::collections::HashMap;

use xxhash_rust::xxh3::Xxh3Builder;

use super::lines::{Line, LineKind};
use super::patterns::toc_entry;
use crate::text::chars::{is_ascii_ws, is_ws};

/// Marks table-of-contents lines: runs of entries (blank lines allowed between them) with at
/// least two strong entries or three entries in all; a line with no page number between two
/// entries of a run (a wrapped title); the short title line right above a run (`CONTENTS`).
#[inline]
pub(super) fn mark_toc(text: &str, lines: &mut [Line], marks: &mut Vec<(bool, bool)>) {
    marks.clear();
    marks.extend(lines.iter().map(|l| {
        if l.is_text()
            && matches!(
                l.last,
                '0'..='9' | 'i' | 'v' | 'x' | 'l' | 'c' | 'I' | 'V' | 'X' | 'L' | 'C'
            )
        {
            toc_entry(&text[l.content()])
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
                let s = &text[l.content()];
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
#[inline]
pub(super) fn mark_headers_footers(text: &str, lines: &mut [Line]) {
    if lines
        .iter()
        .filter(|l| l.kind == LineKind::PageNumber)
        .take(2)
        .count()
        < 2
    {
        return;
    }
    // `u32`: the reflow driver takes only texts shorter than 4 GiB.
    let nonblank: Vec<u32> = (0..lines.len() as u32)
        .filter(|&i| lines[i as usize].kind != LineKind::Blank)
        .collect();
    // Line `i` is near a page number when one is within two non-blank lines of it.
    let mut near = vec![false; lines.len()];
    for (q, &k) in nonblank.iter().enumerate() {
        if lines[k as usize].kind == LineKind::PageNumber {
            for &i in &nonblank[q.saturating_sub(2)..(q + 3).min(nonblank.len())] {
                near[i as usize] = true;
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
            footer_key(&text[l.content()], &mut key);
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
            footer_key(&text[l.content()], &mut key);
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
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::structure::tests::{run, sample_lines, LINE_TEXT};

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

    /// `footer_key` as its doc states it, a character at a time (without the ASCII path).
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

    fn assert_footer_key_as_reference(s: &str) {
        let mut key = String::from("stale");
        footer_key(s, &mut key);
        assert_eq!(key, footer_key_reference(s), "{s:?}");
    }

    #[test]
    fn footer_key_equals_its_reference() {
        for s in sample_lines() {
            assert_footer_key_as_reference(&s);
        }
    }

    proptest::proptest! {
        #[test]
        fn footer_key_equals_its_reference_on_any_text(s in LINE_TEXT) {
            assert_footer_key_as_reference(&s);
            assert_footer_key_as_reference(s.trim());
        }
    }
}
