//! Line patterns: what a single line is by its own text — a separator, a page number, a
//! table-of-contents entry — and the list and markdown heading markers it may start with.
//!
//! Each rule is written once; the tests compare the fast forms below (which rule most lines out
//! from their first character or bytes) with the rule stated plainly, sharing the word lists.
//!
//! The four line tests are `#[inline]`: their one caller, `Line::new` in `lines`, had them
//! inlined when they shared a module (a codegen unit holds whole modules, and only an
//! `#[inline]` function is copied into the units that call it). The other files of the stage
//! mark the functions the driver calls for the same reason.

/// A line of rule characters only: `* * *`, `__________`, `-----`, `=====`.
#[inline]
pub(super) fn is_separator(s: &str) -> bool {
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

/// Words that name a page before its number (`Page 3`, `S. 12`, `стр. 5`), lower-case; a word
/// of the line matches when, without its trailing dots and lower-cased, it is one of them.
const PAGE_WORDS: [&str; 10] = [
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
];

/// Words between a page number and the page count (`3 of 10`, `3 / 10`).
const OF_WORDS: [&str; 7] = ["/", "of", "de", "von", "sur", "из", "di"];

/// The dashes, brackets and bars a page number may stand between (`- 12 -`, `(12)`, `| 12 |`).
#[inline]
fn is_page_frame(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '(' | ')' | '[' | ']' | '|')
}

/// A page number alone on a line: `12`, `- 12 -`, `(12)`, `12/30`, `Page 3`, `Page 3 of 10`, `iv`.
///
/// The line is at most 40 bytes, and without a digit at most 7 (`iv`, `Page iv`). Without the
/// [`is_page_frame`] characters at its ends it is one to four words: a number of up to three
/// digits, a lower-case roman numeral ([`is_roman_lower`]) or `a/b`; a page word
/// ([`PAGE_WORDS`]) and a number of up to four digits, `a/b` or a roman numeral; `a of b`
/// ([`OF_WORDS`]); or a page word and `a of b` (`a`, `b`: up to four digits).
#[inline]
pub(super) fn is_page_number(s: &str) -> bool {
    if s.len() > 40 {
        return false;
    }
    let t = s.trim_matches(is_page_frame);
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
        PAGE_WORDS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(w) || lower.as_deref() == Some(*p))
    };
    let of_word = |w: &str| OF_WORDS.contains(&w);
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

/// The value of a lower-case roman numeral (`iv` → 4), if it is one written the usual way.
fn roman_value(t: &str) -> Option<u32> {
    let v = |b: u8| match b {
        b'i' => 1,
        b'v' => 5,
        b'x' => 10,
        b'l' => 50,
        b'c' => 100,
        _ => 0,
    };
    let b = t.as_bytes();
    let mut total = 0i32;
    for (k, &x) in b.iter().enumerate() {
        let a = v(x);
        if a == 0 {
            return None;
        }
        if b.get(k + 1).is_some_and(|&y| v(y) > a) {
            total -= a;
        } else {
            total += a;
        }
    }
    (total > 0).then_some(total as u32)
}

/// What a page number line says: the number of its page, and whether the line names its page
/// by itself (`Page 3 of 10`, `3 of 10`, `3 / 10` with the first number at most the second),
/// which a lone `12` or `iv` does not. `None` for a line that is not [`is_page_number`], and for
/// one framed on one side only (`-1`, `(3`).
pub(super) fn page_value(s: &str) -> Option<(u32, Option<u32>)> {
    if !is_page_number(s) {
        return None;
    }
    // A frame on one side only is not one: `-1` is a number, `- 1 -` a page's.
    if s.starts_with(is_page_frame) != s.ends_with(is_page_frame) {
        return None;
    }
    let words: Vec<&str> = s.trim_matches(is_page_frame).split_whitespace().collect();
    let num = |w: &str| w.parse::<u32>().ok();
    let named = |a: u32, b: u32| (1 <= a && a <= b).then_some(b);
    let one = |w: &str| -> Option<(u32, Option<u32>)> {
        if let Some((a, b)) = w.split_once('/') {
            let (a, b) = (num(a)?, num(b)?);
            return Some((a, named(a, b)));
        }
        num(w).or_else(|| roman_value(w)).map(|v| (v, None))
    };
    match words[..] {
        [w] | [_, w] => one(w),
        [a, _, b] | [_, a, _, b] => {
            let (a, b) = (num(a)?, num(b)?);
            Some((a, named(a, b)))
        }
        _ => None,
    }
}

/// The characters that mark a list item by themselves (`- `, `• `, `* `, `→ `).
#[inline]
fn is_bullet(c: char) -> bool {
    matches!(
        c,
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
    )
}

/// Bytes of a list marker and the whitespace after it at the start of `s` (0: none).
///
/// A marker is a bullet ([`is_bullet`]), or an enumerator followed by `)` or `.` — or between
/// `(` and `)` — where an enumerator is up to three digits, one lower-case ASCII letter or a
/// lower-case roman numeral of up to four letters (`1.`, `a)`, `(iv)`). At least one whitespace
/// character follows the marker, and then some text — or the marker is the whole of `s` (a line
/// holding only its marker, as pdfminer extracts lists: the whole length).
#[inline]
pub(super) fn list_marker(s: &str) -> usize {
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
        // At least one space, then some text; or nothing: a marker alone on its line.
        let rest = &s[i..];
        if rest.is_empty() {
            return i;
        }
        let body = rest.trim_start();
        if body.len() == rest.len() || body.is_empty() {
            0
        } else {
            i + rest.len() - body.len()
        }
    };
    if is_bullet(c0) {
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
#[inline]
pub(super) fn markdown_heading(s: &str) -> usize {
    let n = s.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&n) && s[n..].starts_with([' ', '\t']) && !s[n..].trim().is_empty() {
        n + s[n..].len() - s[n..].trim_start().len()
    } else {
        0
    }
}

/// A table-of-contents entry: `(strong, weak)` — a title, then dot leaders (strong) or a tab or
/// wide spaces (weak), then a page number.
pub(super) fn toc_entry(s: &str) -> (bool, bool) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::structure::tests::{run, sample_lines, LINE_TEXT};

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
        // A page number only where the text shows pages (here a form feed after it).
        let t = "First paragraph ends here.\n\n12\n\u{c}* * *\n\nSecond one.\n";
        let kinds: Vec<_> = run(t).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            vec!["paragraph", "page_number", "separator", "paragraph"]
        );
        let kinds: Vec<_> = run(&t.replace('\u{c}', "\n"))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds,
            vec!["paragraph", "paragraph", "separator", "paragraph"]
        );
        assert_eq!(page_value("- 12 -"), Some((12, None)));
        assert_eq!(page_value("-12"), None);
        assert_eq!(page_value("Page 3 of 10"), Some((3, Some(10))));
        assert_eq!(page_value("4 / 10"), Some((4, Some(10))));
        assert_eq!(page_value("11 / 10"), Some((11, None)));
        assert_eq!(page_value("xiv"), Some((14, None)));
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
    fn table_of_contents_entries() {
        assert_eq!(toc_entry("Chapter one . . . 12"), (false, true));
        assert_eq!(toc_entry("It cost 12"), (false, false));
        assert_eq!(toc_entry("Introduction ........ iv"), (true, false));
    }

    /// Up to `max` ASCII digits, at least one.
    fn digits(w: &str, max: usize) -> bool {
        (1..=max).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit())
    }

    /// Up to `max` letters of `ivxlc`, at least one.
    fn roman(w: &str, max: usize) -> bool {
        (1..=max).contains(&w.len()) && w.chars().all(|c| "ivxlc".contains(c))
    }

    /// The rule of [`is_page_number`] as its doc states it, word by word, without the tests that
    /// rule most lines out early.
    fn is_page_number_reference(s: &str) -> bool {
        if s.len() > 40 || (s.len() > 7 && !s.chars().any(|c| c.is_ascii_digit())) {
            return false;
        }
        let number = |w: &str| digits(w, 4);
        let fraction = |w: &str| {
            w.split_once('/')
                .is_some_and(|(a, b)| number(a) && number(b))
        };
        let page = |w: &str| PAGE_WORDS.contains(&w.trim_end_matches('.').to_lowercase().as_str());
        let of = |w: &str| OF_WORDS.contains(&w);
        let words: Vec<&str> = s.trim_matches(is_page_frame).split_whitespace().collect();
        match words[..] {
            [w] => digits(w, 3) || roman(w, 7) || fraction(w),
            [p, n] => page(p) && (number(n) || fraction(n) || roman(n, 7)),
            [a, o, b] => number(a) && of(o) && number(b),
            [p, a, o, b] => page(p) && number(a) && of(o) && number(b),
            _ => false,
        }
    }

    /// The rule of [`list_marker`] as its doc states it, without the tests that rule most lines
    /// out from their first byte.
    fn list_marker_reference(s: &str) -> usize {
        // The bytes of `s` up to the whitespace after byte `at`, if there is some and then text.
        let spaced = |at: usize| {
            if at == s.len() {
                return s.len();
            }
            let body = s[at..].trim_start();
            if body.len() < s.len() - at && !body.is_empty() {
                s.len() - body.len()
            } else {
                0
            }
        };
        let Some(c0) = s.chars().next() else {
            return 0;
        };
        if is_bullet(c0) {
            return spaced(c0.len_utf8());
        }
        let (open, rest) = match s.strip_prefix('(') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let tok = &rest[..rest.bytes().take_while(u8::is_ascii_alphanumeric).count()];
        let enumerator = digits(tok, 3)
            || (tok.len() == 1 && tok.chars().all(|c| c.is_ascii_lowercase()))
            || roman(tok, 4);
        let close = rest[tok.len()..].chars().next();
        let closed = if open {
            close == Some(')')
        } else {
            matches!(close, Some(')' | '.'))
        };
        if enumerator && closed {
            spaced(s.len() - rest.len() + tok.len() + 1)
        } else {
            0
        }
    }

    fn assert_patterns_as_reference(s: &str) {
        assert_eq!(is_page_number(s), is_page_number_reference(s), "{s:?}");
        assert_eq!(list_marker(s), list_marker_reference(s), "{s:?}");
    }

    #[test]
    fn patterns_equal_their_references() {
        for s in sample_lines() {
            assert_patterns_as_reference(&s);
        }
    }

    /// The first characters that [`is_page_number`] lets through before it splits a line into
    /// words cover every character that a page word can start with: each character that
    /// lower-cases to the first letter of a page word, followed by the rest of that word and a
    /// number, is a page number exactly when the rule says so.
    #[test]
    fn page_word_first_letters() {
        for u in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(u) else { continue };
            for p in PAGE_WORDS {
                let mut rest = p.chars();
                let first = rest.next();
                if c.to_lowercase().next() == first || Some(c.to_ascii_lowercase()) == first {
                    for s in [
                        format!("{c}{} 3", rest.as_str()),
                        format!("{c}{}. iv", rest.as_str()),
                    ] {
                        assert_patterns_as_reference(&s);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn patterns_equal_their_references_on_any_text(s in LINE_TEXT) {
            assert_patterns_as_reference(&s);
            assert_patterns_as_reference(s.trim());
        }
    }
}
