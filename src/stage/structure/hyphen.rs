//! Dehyphenation (step 4 of the `structure` module doc): a line break after `letter-` is
//! rejoined (`inter-` / `national` → `international`) when the document's own vocabulary says
//! the joined form is a word, and otherwise keeps its hyphen (`long-` / `lasting` →
//! `long-lasting`). The driver finds the breaks; here are the forms of a break ([`split_word`])
//! and their counts in the document ([`count_forms`]). [`split_word`] is `#[inline]`: the driver
//! had it inlined when they shared a module (see `patterns`); for `count_forms`, called once a
//! document, the attribute made no difference.

use std::collections::HashMap;

use crate::text::chars::{class, decode_at, ALNUM};

/// A line break after a hyphen, to be decided against the document's vocabulary.
pub(super) struct HyphenBreak {
    /// Byte offset of the hyphen.
    pub(super) hyphen: usize,
    /// Its length in bytes (`-` 1, U+2010 3, U+00AD 2).
    pub(super) len: usize,
    /// A soft hyphen: the break is inside a word, always rejoined.
    pub(super) soft: bool,
    /// Where the next line's text starts.
    pub(super) next: usize,
    /// The joined form and the hyphenated form, lowercased; `None`: keep the hyphen.
    pub(super) forms: Option<(String, String)>,
}

/// Counts how often each candidate form occurs as a word of `text`.
///
/// A word is a run of letters, digits and hyphens (`-`, U+2010), without its outer hyphens; it
/// is compared
/// lowercased, and only when its length in bytes is that of a form. The scan goes byte by byte
/// through ASCII and classifies other characters with [`class`] (its [`ALNUM`] is exactly
/// `chars::is_letter_or_digit`, from one table read per character: see [`class`]).
pub(super) fn count_forms(text: &str, forms: &mut HashMap<String, u32>) {
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
    let mut dashed = String::new();
    let mut check = |w: &str, forms: &mut HashMap<String, u32>| {
        let mut w = w.trim_matches(['-', '\u{2010}']);
        if w.contains('\u{2010}') {
            // U+2010 inside a word is its hyphen, as `-`.
            dashed.clear();
            dashed.extend(w.chars().map(|c| if c == '\u{2010}' { '-' } else { c }));
            w = &dashed;
        }
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
            (class(c) & ALNUM != 0 || c == '\u{2010}', c.len_utf8())
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

/// The word of `s` that ends at its end (letters only) before its hyphen of `len` bytes, and
/// the word that starts `t`.
#[inline]
pub(super) fn split_word(s: &str, t: &str, len: usize) -> Option<(String, String)> {
    let head = s.get(..s.len().checked_sub(len)?)?;
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::render::render_into;
    use crate::stage::structure::tests::{reflow, texts};
    use crate::stage::structure::Structurer;

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
    fn u2010_at_a_line_end_is_a_hyphen_like_the_ascii_one() {
        // Typesetting hyphenation that extracts as U+2010: rejoined.
        let t = "It was an unprece\u{2010}\ndented event.\n";
        assert_eq!(texts(t), vec!["It was an unprecedented event."]);
        // The hyphenated form occurs elsewhere (with either hyphen): kept, as it was typed.
        let t = "A long\u{2010}lasting policy.\nIt became another evidence of long\u{2010}\nlasting ethnic cleansing.\n";
        assert_eq!(
            texts(t)[1],
            "It became another evidence of long\u{2010}lasting ethnic cleansing."
        );
        let t = "A long-lasting policy.\nIt became another evidence of long\u{2010}\nlasting ethnic cleansing.\n";
        assert_eq!(
            texts(t)[1],
            "It became another evidence of long\u{2010}lasting ethnic cleansing."
        );
    }

    #[test]
    fn a_kept_soft_hyphen_at_a_line_end_rejoins_the_word() {
        // With `soft_hyphens = false` normalization leaves U+00AD: the word is rejoined and
        // the soft hyphen stays inside it.
        let t = "It was an unprece\u{AD}\ndented event.\n";
        assert_eq!(texts(t), vec!["It was an unprece\u{AD}dented event."]);
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
}
