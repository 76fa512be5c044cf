//! Document boilerplate that only the lines around a line tell apart from text: tables of
//! contents ([`mark_toc`]) and running headers and footers ([`mark_headers_footers`]). (The
//! boilerplate a line is by itself — separators, page numbers — is in `patterns`.)
//!
//! Both markers and [`line_key`] are `#[inline]`: the driver in `structure` had them inlined
//! when they shared a module (see `patterns`).

use std::collections::HashMap;

use xxhash_rust::xxh3::Xxh3Builder;

use super::lines::{Line, LineKind};
use super::patterns::{page_value, toc_entry};
use crate::text::chars::{is_ascii_ws, is_letter, is_ws};

/// Marks table-of-contents lines: runs of entries (blank lines allowed between them) with at
/// least two strong entries or three entries in all; a line with no page number between two
/// entries of a run (a wrapped title); the short title line right above a run (`CONTENTS`).
#[inline]
pub(super) fn mark_toc(text: &str, lines: &mut [Line], marks: &mut Vec<(bool, bool)>) {
    mark_split_toc(text, lines);
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

/// A table of contents extracted column by column (as pdfminer does): first the `k` titles,
/// then `k` lines of dot leaders alone, then `k` page numbers. A run of three or more
/// leader-only lines (blank lines between allowed) makes the `k` text lines before it (short,
/// blank lines between allowed) and the `k` numbers after it table-of-contents lines; nothing is
/// marked unless both are there.
fn mark_split_toc(text: &str, lines: &mut [Line]) {
    let leader = |l: &Line| {
        l.kind == LineKind::Separator
            && l.len >= 5
            && text[l.content()]
                .chars()
                .all(|c| matches!(c, '.' | '·' | '…' | ' ' | '_'))
    };
    if !lines.iter().any(&leader) {
        return;
    }
    let mut i = 0;
    while i < lines.len() {
        if !leader(&lines[i]) {
            i += 1;
            continue;
        }
        // The run of leaders: [i, end).
        let (start, mut end, mut k) = (i, i, 0);
        while end < lines.len() && (leader(&lines[end]) || lines[end].kind == LineKind::Blank) {
            k += usize::from(leader(&lines[end]));
            end += 1;
        }
        i = end;
        if k < 3 {
            continue;
        }
        let titles: Vec<usize> = (0..start)
            .rev()
            .filter(|&j| lines[j].kind != LineKind::Blank)
            .take(k)
            .take_while(|&j| lines[j].is_text() && lines[j].len <= 100)
            .collect();
        let numbers: Vec<usize> = (end..lines.len())
            .filter(|&j| lines[j].kind != LineKind::Blank)
            .take(k)
            .take_while(|&j| {
                let s = &text[lines[j].content()];
                !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        if titles.len() == k && numbers.len() == k {
            let first = titles[k - 1];
            for j in titles.into_iter().chain(numbers).chain(start..end) {
                if lines[j].kind != LineKind::Blank {
                    lines[j].kind = LineKind::Toc;
                }
            }
            // Its own title right above it (`Contents`): a short line that ends no sentence.
            if let Some(j) = (0..first).rev().find(|&j| lines[j].kind != LineKind::Blank) {
                let l = &lines[j];
                let words = text[l.content()].split_whitespace().count();
                if l.is_text() && l.len <= 40 && words <= 4 && !l.ends_sentence && l.marker == 0 {
                    lines[j].kind = LineKind::Toc;
                }
            }
        }
    }
}

/// Non-blank lines at the top and at the bottom of a page that may hold its running header or
/// footer.
const EDGE_LINES: u32 = 2;
/// Non-blank lines from a page break within which a lone number is the page's number.
const NUMBER_EDGE_LINES: u32 = 3;
/// Fewest non-blank lines from one page number to the next one of a sequence: a page holds
/// more than a few lines, a numbered list or a table column of numbers does not space them so.
const MIN_PAGE_LINES: u32 = 8;
/// Fewest non-blank lines from the title to its repetition as a running title, and between two
/// of those. Only a full page lies before a running title (a page number may end a short last
/// page), and a web page or help text repeats its title as a heading a few lines down.
const MIN_TITLE_PAGE_LINES: u32 = 15;

/// Marks page numbers and running headers and footers, only where the text shows pages.
///
/// A line that looks like a page number ([`super::patterns::is_page_number`]) stays one when
/// it names its page by itself (`Page 3 of 10`, `3 / 10`, where the text is long enough for
/// that many pages), when it is one of a sequence of
/// numbers that starts at `1` (or at `2`, with no `1` before it), each one above the previous one at least
/// [`MIN_PAGE_LINES`] non-blank lines before it (or on the last line), spaced as pages are
/// ([`page_like`]: `1` … `2` … `3`, not the `(3)` … `(4)` of a numbered list), none of them
/// alone on more than two lines of the text, the first of them within [`NUMBER_EDGE_LINES`]
/// non-blank lines of the text's start or the last of them as close to its end, when it stands within [`NUMBER_EDGE_LINES`] non-blank lines of a
/// form feed (a page break) or of the text's start or end in a text that has form feeds, or
/// when it stands that close to a running title (below). Every other one is text: a `2` or an
/// `x` alone on a line of a manual page is content. In a text with form feeds, a line next to a
/// page break whose first or last part, set off by three spaces or more, is a page number
/// (`Title          2`, as `pdftotext -layout` writes a running header) is boilerplate as a
/// whole.
///
/// A *running title* is the document's first line (its title) repeated as a line of its own, or
/// with a number before or after it (`Title 2`), at least [`MIN_TITLE_PAGE_LINES`] non-blank lines
/// after the previous one: the title at the top of each page, which is how text extracted
/// without form feeds or page numbers still shows its pages.
///
/// Where there are pages (form feeds, page numbers kept, running titles), the page edges are
/// the form feeds, the text's start and end, the page numbers and the running titles. A short
/// line within [`EDGE_LINES`] non-blank lines of an edge is a running header or footer when the
/// same line stands at another edge; with its digits folded (`Chapter 3`, `Chapter 4`), when
/// it stands at edges at least three times and on at least half of the pages. Of two such lines
/// one right after the other (the running header and the document's title under it on the first
/// page), the second is text; the document's first line is its title, not a header, unless the
/// same line comes again on the first page. Lines repeated away from the edges are text.
#[inline]
pub(super) fn mark_pages(text: &str, lines: &mut [Line]) {
    let has_ff = memchr::memchr(0x0c, text.as_bytes()).is_some();
    // `u32`: the reflow driver takes only texts shorter than 4 GiB.
    let nonblank: Vec<u32> = (0..lines.len() as u32)
        .filter(|&i| lines[i as usize].kind != LineKind::Blank)
        .collect();
    let n = nonblank.len() as u32;
    let mut titles = running_titles(text, lines, &nonblank);
    let numbered = lines.iter().any(|l| l.kind == LineKind::PageNumber);
    // One repetition of the title alone is no evidence of pages: help pages and web pages
    // repeat their title as a heading. Two, or one with form feeds or page numbers, are.
    if titles.len() < 2 && !has_ff && !numbered {
        titles.clear();
    }
    if !has_ff && titles.is_empty() && !numbered {
        return;
    }
    // Page breaks: the ordinal among the non-blank lines of the first line of each page after
    // the first.
    let mut breaks: Vec<u32> = Vec::new();
    if has_ff {
        for p in memchr::memchr_iter(0x0c, text.as_bytes()) {
            let idx = lines.partition_point(|l| l.content().end < p);
            let first = if idx < lines.len() && p <= lines[idx].content().start {
                idx
            } else {
                idx + 1
            };
            let ord = nonblank.partition_point(|&i| (i as usize) < first) as u32;
            if 0 < ord && ord < n && breaks.last() != Some(&ord) {
                breaks.push(ord);
            }
        }
    }
    // Non-blank lines from the nearest page break, the text's start or its end (1: the first
    // or last line of a page).
    let break_distance = |o: u32| -> u32 {
        let k = breaks.partition_point(|&b| b <= o);
        let after = match k {
            0 => o + 1,
            _ => o - breaks[k - 1] + 1,
        };
        let before = breaks.get(k).copied().unwrap_or(n) - o;
        after.min(before)
    };
    let near_title = |o: u32| {
        let k = titles.partition_point(|&t| t <= o);
        let after = k > 0 && o - titles[k - 1] <= NUMBER_EDGE_LINES;
        let before = titles.get(k).is_some_and(|&t| t - o <= NUMBER_EDGE_LINES);
        after || before
    };

    // Page number candidates: (ordinal, value, names its page, shares its line with a header).
    let mut cands: Vec<(u32, u32, bool, bool)> = Vec::new();
    for (o, &i) in nonblank.iter().enumerate() {
        let l = &lines[i as usize];
        if l.kind == LineKind::PageNumber {
            if let Some((v, total)) = page_value(&text[l.content()]) {
                // `N / M` names its page only where the text could hold `M` pages (each page a
                // number and a line at least): `10/2013` in a table of dates is a date.
                let named = total.is_some_and(|m| u64::from(m) * 2 <= u64::from(n));
                cands.push((o as u32, v, named, false));
            } else {
                lines[i as usize].kind = LineKind::Text;
            }
        } else if has_ff && l.is_text() && break_distance(o as u32) <= NUMBER_EDGE_LINES {
            if let Some(v) = set_off_page_number(&text[l.content()]) {
                cands.push((o as u32, v, false, true));
            }
        }
    }
    let mut keep: Vec<bool> = cands
        .iter()
        .map(|&(o, _, named, _)| {
            named || (has_ff && break_distance(o) <= NUMBER_EDGE_LINES) || near_title(o)
        })
        .collect();
    // Sequences: from each `1` or `2`, the next number one above it at least
    // `MIN_PAGE_LINES` later or on the last line (a few candidates on at most), and so on,
    // kept when they are spaced as pages are.
    let mut chain: Vec<usize> = Vec::new();
    let mut at: Vec<u32> = Vec::new();
    for start in 0..cands.len() {
        // A sequence from `2` is one whose first page has no number: no `1` before it.
        let v0 = cands[start].1;
        if !(v0 == 1 || (v0 == 2 && !cands[..start].iter().any(|c| c.1 == 1))) || keep[start] {
            continue;
        }
        chain.clear();
        chain.push(start);
        let mut i = start;
        while let Some(j) = (i + 1..cands.len().min(i + 17)).find(|&j| {
            (cands[j].0 - cands[i].0 >= MIN_PAGE_LINES || cands[j].0 + 1 == n)
                && cands[j].1 == cands[i].1 + 1
        }) {
            chain.push(j);
            i = j;
        }
        at.clear();
        at.extend(chain.iter().map(|&c| cands[c].0));
        // Each page has one number: a value that stands alone on more lines than two (a
        // list's `3` on every item) is no page's.
        let unique = chain.iter().all(|&c| {
            let v = cands[c].1;
            cands.iter().filter(|x| x.1 == v).take(3).count() <= 2
        });
        // The first page's number is at the text's start or the last page's at its end.
        let anchored = at[0] < NUMBER_EDGE_LINES || n - at[at.len() - 1] <= NUMBER_EDGE_LINES;
        if chain.len() >= 2 && unique && anchored && page_like(&at, n) {
            chain.iter().for_each(|&c| keep[c] = true);
        }
    }
    let mut numbers: Vec<u32> = Vec::new();
    for (&(o, _, _, shared), &k) in cands.iter().zip(&keep) {
        let i = nonblank[o as usize] as usize;
        if k {
            numbers.push(o);
            if shared {
                lines[i].kind = LineKind::HeaderFooter;
            }
        } else if !shared {
            lines[i].kind = LineKind::Text;
        }
    }
    if !has_ff && numbers.is_empty() && titles.is_empty() {
        return;
    }
    let pages = breaks.len().max(numbers.len()).max(titles.len()) + 1;

    // Lines at a page edge: within `EDGE_LINES` of a break, the start, the end, a page number
    // or a running title.
    let mut edge = vec![false; nonblank.len()];
    for (o, e) in edge.iter_mut().enumerate() {
        *e = break_distance(o as u32) <= EDGE_LINES;
    }
    for &p in numbers.iter().chain(&titles) {
        let (a, b) = (p.saturating_sub(EDGE_LINES), (p + EDGE_LINES + 1).min(n));
        edge[a as usize..b as usize]
            .iter_mut()
            .for_each(|e| *e = true);
    }
    let candidate = |l: &Line| l.is_text() && (3..=100).contains(&l.len) && l.marker == 0;
    let mut key = String::new();
    let mut exact: HashMap<String, Vec<u32>, Xxh3Builder> = HashMap::default();
    let mut folded: HashMap<String, Vec<u32>, Xxh3Builder> = HashMap::default();
    for (o, &i) in nonblank.iter().enumerate() {
        let l = &lines[i as usize];
        if edge[o] && candidate(l) {
            let s = &text[l.content()];
            line_key(s, false, &mut key);
            exact.entry(key.clone()).or_default().push(o as u32);
            line_key(s, true, &mut key);
            folded.entry(key.clone()).or_default().push(o as u32);
        }
    }
    // The first line is the page's running header when the same line comes again on the
    // first page (the title under it, perhaps wrapped on two lines, or after a table of
    // contents); otherwise the title.
    let first_page_end = match breaks.first() {
        Some(&b) => b,
        None => numbers
            .iter()
            .chain(&titles)
            .copied()
            .filter(|&o| o > NUMBER_EDGE_LINES)
            .min()
            .unwrap_or(n),
    };
    let first_is_header = n > 0 && {
        let mut first = String::new();
        line_key(
            &text[lines[nonblank[0] as usize].content()],
            false,
            &mut first,
        );
        let mut prev = String::new();
        (1..first_page_end as usize).any(|o| {
            let l = &lines[nonblank[o] as usize];
            if !l.is_text() {
                prev.clear();
                return false;
            }
            line_key(&text[l.content()], false, &mut key);
            let wrapped = !prev.is_empty()
                && first.len() == prev.len() + key.len()
                && first.starts_with(prev.as_str())
                && first.ends_with(key.as_str());
            std::mem::swap(&mut prev, &mut key);
            prev == first || wrapped
        })
    };
    let mut marked: Vec<u32> = titles.clone();
    let mut mark = |group: &[u32]| {
        let mut prev = None;
        for &o in group {
            if o == 0 && !first_is_header {
                // The document's title, not a running header above it.
                continue;
            }
            // The title under the running header (with the page's number between them,
            // perhaps).
            let under = prev.is_some_and(|p: u32| {
                p + 1 == o
                    || (p + 2 == o
                        && lines[nonblank[p as usize + 1] as usize].kind == LineKind::PageNumber)
            });
            if under {
                prev = None;
                continue;
            }
            marked.push(o);
            prev = Some(o);
        }
    };
    for g in exact.values().filter(|g| g.len() >= 2) {
        mark(g);
    }
    for g in folded.values() {
        if g.len() >= 3 && g.len() * 2 >= pages {
            mark(g);
        }
    }
    for o in marked {
        let i = nonblank[o as usize] as usize;
        if lines[i].is_text() {
            lines[i].kind = LineKind::HeaderFooter;
        }
    }
}

/// The running titles of a document (ordinals among its non-blank lines `nonblank`): its first
/// line, of 3 to 100 characters, repeated as a line of its own or with a number of up to four
/// digits before or after it, each at least [`MIN_TITLE_PAGE_LINES`] non-blank lines after the
/// previous one (the first line itself is the title, not a running one).
fn running_titles(text: &str, lines: &[Line], nonblank: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let Some(&first) = nonblank.first() else {
        return out;
    };
    let t = &lines[first as usize];
    if !(t.is_text() && (3..=100).contains(&t.len) && t.marker == 0) {
        return out;
    }
    let mut title = String::new();
    line_key(&text[t.content()], false, &mut title);
    let (mut key, mut prev) = (String::new(), 0u32);
    for (o, &i) in nonblank
        .iter()
        .enumerate()
        .skip(MIN_TITLE_PAGE_LINES as usize)
    {
        let o = o as u32;
        let l = &lines[i as usize];
        if o - prev < MIN_TITLE_PAGE_LINES || l.len < t.len || l.len > t.len + 6 {
            continue;
        }
        let s = &text[l.content()];
        let s = match s.split_once(is_ws) {
            Some((a, rest)) if is_number(a) => rest.trim_start(),
            _ => s,
        };
        let s = match s.rsplit_once(is_ws) {
            Some((rest, b)) if is_number(b) => rest.trim_end(),
            _ => s,
        };
        line_key(s, false, &mut key);
        if key == title {
            out.push(o);
            prev = o;
        }
    }
    let words = text[t.content()].split_whitespace().count();
    let letters = title.chars().filter(|&c| is_letter(c)).count();
    if !(words >= 2 && letters >= 6 && page_like(&out, nonblank.len() as u32)) {
        out.clear();
    }
    out
}

/// Whether page edges found at the non-blank line ordinals `at` (in order, at least one) of a
/// text of `n` non-blank lines are spaced as pages are: with `p` the longest gap between two of
/// them or the first one's distance from the start, whichever is longer, every gap but the last
/// (the last page may be short) is at least 35 % of `p` (pages of headings and lists hold fewer
/// lines than pages of paragraphs), and neither the first one's distance from the start nor
/// the last one's from the end is more than 130 % of `p`.
fn page_like(at: &[u32], n: u32) -> bool {
    let (Some(&first), Some(&last)) = (at.first(), at.last()) else {
        return false;
    };
    let gaps = || at.windows(2).map(|w| w[1] - w[0]);
    let p = gaps().max().unwrap_or(0).max(first).max(1) as u64;
    let within = |d: u32| (d as u64) * 10 <= p * 13;
    let k = at.len().saturating_sub(1);
    gaps()
        .take(k.saturating_sub(1))
        .all(|g| (g as u64) * 20 >= p * 7)
        && within(first)
        && within(n - last)
}

fn is_number(w: &str) -> bool {
    (1..=4).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit())
}

/// The page number that is the first or the last part of `s`, set off from the rest by three
/// spaces or more (`Title          2`).
fn set_off_page_number(s: &str) -> Option<u32> {
    const GAP: &str = "   ";
    let a = s.find(GAP)?;
    let b = s.rfind(GAP)? + GAP.len();
    [&s[..a], &s[b..]]
        .into_iter()
        .find_map(|part| page_value(part.trim()).map(|(v, _)| v))
}

/// The line `s` as running headers and footers are compared: lowercased, without whitespace,
/// each run of digits folded to `#`.
#[inline]
#[cfg(test)]
fn footer_key(s: &str, key: &mut String) {
    line_key(s, true, key)
}

/// The line `s` as running headers and footers are compared: lowercased, without whitespace,
/// each run of digits folded to `#` when `fold` says so.
#[inline]
/// The title set on two lines at the top of the document (`DEN INTERNASJONALE FRÅSEGNA OM` /
/// `MENNESKERETTANE`), known because a running header or the first line holds it on one line:
/// the index of its second line (the first is the text line before it), among the first
/// [`TITLE_LINES`] non-blank lines.
pub(super) fn wrapped_title(text: &str, lines: &[Line], nonblank: &[u32]) -> Option<usize> {
    let mut whole: Vec<String> = Vec::new();
    let mut key = String::new();
    let first = nonblank
        .first()
        .map(|&i| &lines[i as usize])
        .filter(|l| l.is_text());
    let headers = lines.iter().filter(|l| l.kind == LineKind::HeaderFooter);
    for l in first.into_iter().chain(headers) {
        line_key(&text[l.content()], false, &mut key);
        if !key.is_empty() && !whole.contains(&key) {
            whole.push(key.clone());
            if whole.len() == 8 {
                break;
            }
        }
    }
    if whole.is_empty() {
        return None;
    }
    let (mut a, mut b) = (String::new(), String::new());
    let top = &nonblank[..nonblank.len().min(TITLE_LINES)];
    for w in top.windows(2) {
        let (p, i) = (w[0] as usize, w[1] as usize);
        let (lp, li) = (&lines[p], &lines[i]);
        if p + 1 != i || !lp.is_text() || !li.is_text() || lp.ends_sentence {
            continue;
        }
        line_key(&text[lp.content()], false, &mut a);
        line_key(&text[li.content()], false, &mut b);
        if whole
            .iter()
            .any(|t| t.len() == a.len() + b.len() && t.starts_with(&a) && t.ends_with(&b))
        {
            return Some(i);
        }
    }
    None
}

/// Non-blank lines at the top of a document where its title may be.
const TITLE_LINES: usize = 8;

fn line_key(s: &str, fold: bool, key: &mut String) {
    key.clear();
    for c in s.chars() {
        if c.is_ascii() {
            // ASCII characters lower-case to one character, without the case tables.
            let x = c as u8;
            if fold && x.is_ascii_digit() {
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

    /// The sentences of the seed `raw/004_f87cfe8deb922ad8.txt`'s English paragraphs, one a
    /// line.
    const BODY: [&str; 4] = [
        "The crime committed in Khojaly city was one of the unprecedented events.",
        "Khojaly genocide resulted with severe violation of international norms.",
        "During Khojaly genocide, 613 people, whose names were known, were killed.",
        "This massive killing of human beings is an act of genocide.",
    ];

    /// The German, French, Spanish and Portuguese UDHR in lines of six words (about 100): the
    /// body of the constructed pages, no line repeated.
    fn udhr_lines() -> Vec<String> {
        let text = [
            include_str!("../../../tests/data/udhr/deu.txt"),
            include_str!("../../../tests/data/udhr/fra.txt"),
            include_str!("../../../tests/data/udhr/spa.txt"),
            include_str!("../../../tests/data/udhr/por.txt"),
        ]
        .concat();
        let words: Vec<&str> = text.split_whitespace().collect();
        words.chunks(6).map(|c| c.join(" ")).collect()
    }

    /// Constructed pages: `pages` pages of 16 lines of [`udhr_lines`] each (paragraphs
    /// separated by blank lines), under the header `header` (none when empty), with the page
    /// number `number(page)` at the bottom (none when empty), each page ending with `end` (a
    /// form feed or nothing).
    fn pages(pages: usize, header: &str, number: fn(usize) -> String, end: &str) -> String {
        let body = udhr_lines();
        let mut t = String::new();
        for p in 1..=pages {
            if !header.is_empty() {
                t.push_str(header);
                t.push_str("\n\n");
            }
            for k in 0..16 {
                t.push_str(&body[((p - 1) * 16 + k) % body.len()]);
                t.push_str("\n\n");
            }
            let n = number(p);
            if !n.is_empty() {
                t.push_str(&n);
                t.push('\n');
            }
            t.push_str(end);
        }
        t
    }

    /// A title set on two lines under its running header (UDHR in Norwegian Nynorsk, as
    /// pdftotext extracts it), and a title under the running header with the page number
    /// between them: the title is one heading, the headers are boilerplate.
    #[test]
    fn a_title_under_its_running_header_stays_whole() {
        let title = "DEN INTERNASJONALE FRÅSEGNA OM MENNESKERETTANE";
        let t = pages(3, title, |p| p.to_string(), "\u{c}").replacen(
            &format!("{title}\n\n"),
            &format!("{title}\n\nDEN INTERNASJONALE FRÅSEGNA OM\nMENNESKERETTANE\n\n"),
            1,
        );
        let r = run(&t);
        assert!(r.contains(&("heading", title.to_string())), "{r:?}");
        assert_eq!(count(&t, "header_footer"), 3, "{r:?}");
        let title = "Applying Digital Signatures";
        let t = pages(3, title, |p| p.to_string(), "\u{c}").replacen(
            &format!("{title}\n\n"),
            &format!("{title}\n\n1\n\n{title}\n"),
            1,
        );
        let r = run(&t);
        assert!(
            r.iter()
                .any(|(k, s)| *k != "header_footer" && s.starts_with(title)),
            "{r:?}"
        );
    }

    /// A table of contents as pdfminer extracts it (UDHR in Afrikaans): the titles, then as
    /// many dot leaders, then as many page numbers; the same headings in the text stay.
    #[test]
    fn a_table_of_contents_extracted_column_by_column() {
        let leaders = ".".repeat(60);
        let t = format!(
            "Contents\n\nArtikel 1\nArtikel 2\nArtikel 3\n\n{leaders}\n{leaders}\n{leaders}\n\n\
             1\n1\n2\n\nArtikel 1\n\nAlle menslike wesens word vry, met gelyke waardigheid en \
             regte, gebore.\n\nArtikel 2\n\nElkeen is geregtig op al die regte en vryhede.\n"
        );
        let r = run(&t);
        let toc = r.iter().filter(|(k, _)| *k == "toc_entry").count();
        assert_eq!(toc, 10, "{r:?}");
        assert!(r.contains(&("heading", "Artikel 1".to_string())), "{r:?}");
        // Leaders without their titles and numbers are left to the other rules.
        let t = format!("Artikel 1\n\n{leaders}\n{leaders}\n{leaders}\n\nAlle menslike wesens.\n");
        assert!(!run(&t).iter().any(|(k, _)| *k == "toc_entry"));
    }

    fn count(t: &str, kind: &str) -> usize {
        run(t).iter().filter(|(k, _)| *k == kind).count()
    }

    #[test]
    fn running_headers_next_to_page_numbers() {
        // Numbers without form feeds (as pypdf joins pages), and with them (pdftotext).
        for end in ["", "\u{c}"] {
            let t = pages(4, "A/HRC/31/NGO/112", |p| p.to_string(), end);
            // The first line is the document's title.
            assert_eq!(count(&t, "header_footer"), 3, "{end:?}");
            assert_eq!(count(&t, "page_number"), 4, "{end:?}");
        }
        // `Page N of M` names its page by itself.
        let t = pages(2, "", |p| format!("Page {p} of 2"), "");
        assert_eq!(count(&t, "page_number"), 2);
    }

    #[test]
    fn form_feeds_show_pages_without_numbers() {
        let t = pages(3, "Khojaly genocide", |_| String::new(), "\u{c}");
        assert_eq!(count(&t, "header_footer"), 2);
        // Two pages are enough, and the title under the first page's header stays.
        let t = format!(
            "Khojaly genocide\n{}",
            pages(2, "Khojaly genocide", |_| String::new(), "\u{c}")
        );
        let r = run(&t);
        assert_eq!(count(&t, "header_footer"), 2, "{r:?}");
        assert_eq!(r[1], ("heading", "Khojaly genocide".to_string()), "{r:?}");
    }

    #[test]
    fn running_titles_show_pages() {
        // The title at the top of every page but the first, alone or with its number.
        let title = "Khojaly genocide as an international crime";
        let t = pages(3, title, |_| String::new(), "");
        let r = run(&t);
        // The title stays text (whether the reflow joins it to the lines under it is not
        // this rule's business).
        assert!(
            r[0].0 != "header_footer" && r[0].1.starts_with(title),
            "{r:?}"
        );
        assert_eq!(count(&t, "header_footer"), 2, "{r:?}");
        let t = t.replacen(&format!("\n{title}\n"), &format!("\n{title} 2\n"), 1);
        assert_eq!(count(&t, "header_footer"), 2, "{:?}", run(&t));
        // One repetition alone, without page numbers or form feeds, is a heading repeated
        // (help and web pages do it), not a page's header.
        let t = pages(2, title, |_| String::new(), "");
        assert_eq!(count(&t, "header_footer"), 0, "{:?}", run(&t));
        // With page numbers it is one.
        let t = pages(2, title, |p| p.to_string(), "");
        assert_eq!(count(&t, "header_footer"), 1, "{:?}", run(&t));
    }

    #[test]
    fn lines_of_text_without_pages_stay_text() {
        // Manual page and message catalog lines (from the corpus the README measures on) that
        // look like page numbers and repeat: no form feed, no sequence spaced as pages.
        let mut t = String::new();
        for (i, l) in [
            "2",
            "x",
            "$ echo $?",
            "10 минут",
            "-1",
            "(3)",
            "1",
            "2",
            "3",
        ]
        .iter()
        .enumerate()
        {
            t.push_str(l);
            t.push('\n');
            t.push_str(BODY[i % BODY.len()]);
            t.push('\n');
            t.push_str(l);
            t.push_str("\n\n");
        }
        let r = run(&t);
        assert!(
            r.iter()
                .all(|(k, _)| !matches!(*k, "page_number" | "header_footer")),
            "{r:?}"
        );
        // A list numbered `1` … `3`, items spaced as pages but not anchored at the text's end.
        let mut t = String::new();
        for n in 1..=3 {
            t.push_str(&format!("{n}\n"));
            for b in BODY.iter().chain(&BODY).chain(&BODY) {
                t.push_str(b);
                t.push('\n');
            }
        }
        t.push_str(&BODY.join("\n").repeat(3));
        assert_eq!(count(&t, "page_number"), 0, "{:?}", run(&t));
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
