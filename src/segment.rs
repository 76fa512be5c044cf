//! Sentence segmentation: a fast scanner over a block's text.
//!
//! UAX #29 (unicode-segmentation) runs at about 60 MB/s here and splits where real text does not
//! end a sentence ("Feb. 26", "U.S. Senate", "No. 5", "J. Smith", "e.g. this") and misses
//! boundaries in scripts it handles poorly. This scanner only looks at candidate bytes (`.`, `!`,
//! `?` and the lead bytes of other scripts' full stops), and decides with rules that follow
//! UAX #29's shape — terminator, then closing quotes and brackets, then space, then a sentence
//! start — corrected for: abbreviations and initials, numbers (`5.45`), ellipses, Arabic / Persian
//! / Urdu (`؟`, `۔`; `،` is a comma), CJK (`。！？` end a sentence with no space after), Devanagari
//! and Bengali (`।`, `॥`), Armenian, Ethiopic, Myanmar, Tibetan and Khmer full stops. A line break
//! inside a block is whitespace, not a boundary: blocks come from the structure stage.

use std::collections::HashSet;
use std::ops::Range;

use crate::config::SegmentConfig;

/// Abbreviations (compared case-sensitively as written, and lowercased) that a `.` after them does
/// not end a sentence. Titles, months, references, Latin, and common ones of a few languages.
const ABBREVIATIONS: &[&str] = &[
    // English titles and references
    "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Rev", "Hon", "Gen", "Col",
    "Lt", "Capt", "Sgt", "Gov", "Sen", "Rep", "Amb", "Pres", "No", "Nos", "Art", "Arts", "para",
    "paras", "p", "pp", "vol", "vols", "ch", "chap", "sec", "fig", "figs", "eq", "ed", "eds", "cf",
    "vs", "viz", "al", "approx", "ca", "est", "dept", "Dept", "Univ", "Assn", "Bros", "Op", "op",
    "cit", "ibid", "Ibid", "resp", "Fr", "Sr", "Mme", "Mlle", "MM", "Mgr", // months
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
    // Latin (e.g. and i.e. are handled as dotted words)
    "e.g", "i.e", "et al", "a.m", "p.m",
    // German, French, Spanish, Italian, Portuguese, Dutch
    "z.B", "bzw", "Nr", "ggf", "vgl", "inkl", "evtl", "Hr", "Fr", "Abs", "Bd", "Hrsg", "Sra",
    "Srta", "Dra", "Ud", "Uds", "Av", "Avda", "núm", "pág", "Sig", "Dott", "Ing", "Avv", "dhr",
    "mevr", // Russian and Ukrainian
    "г", "гг", "т", "им", "ул", "стр", "см", "рис", "тыс", "млн", "млрд", "руб", "проф", "акад",
];

/// The sentence splitter, built once from the config.
#[derive(Debug, Clone)]
pub struct Segmenter {
    abbreviations: HashSet<String>,
    max_bytes: usize,
}

/// How a terminator ends a sentence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Term {
    /// `.`: ambiguous (abbreviations, initials, numbers).
    Period,
    /// `!`, `?`, `؟`, `۔`, `।` and the like: a boundary when followed by space.
    Strong,
    /// `。！？` and the like: a boundary even without a following space.
    Cjk,
    /// `…`: a boundary only before an upper-case start.
    Ellipsis,
}

fn terminator(c: char) -> Option<Term> {
    Some(match c {
        '.' => Term::Period,
        '!' | '?' | '‼' | '⁇' | '⁈' | '⁉' | '؟' | '۔' | '।' | '॥' | '։' | '።' | '፧' | '။' | '།'
        | '។' | '܀' | '߹' | '᙮' | '꓿' => Term::Strong,
        '。' | '！' | '？' | '｡' | '．' => Term::Cjk,
        '…' => Term::Ellipsis,
        _ => return None,
    })
}

/// Characters that close a sentence after its terminator: quotes, brackets, emphasis markers.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '’'
            | '”'
            | '»'
            | '›'
            | ')'
            | ']'
            | '}'
            | '」'
            | '』'
            | '）'
            | '】'
            | '〉'
            | '》'
            | '*'
            | '_'
            | '`'
    )
}

/// Characters that may open a sentence before its first letter.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '‘'
            | '“'
            | '«'
            | '‹'
            | '('
            | '['
            | '{'
            | '「'
            | '『'
            | '（'
            | '【'
            | '¿'
            | '¡'
            | '*'
            | '_'
            | '-'
            | '–'
            | '—'
            | '•'
    )
}

/// Lead bytes of every terminator (the ASCII ones and those of other scripts), as a table.
static CANDIDATE: [bool; 256] = {
    let mut t = [false; 256];
    let leads = [
        b'.', b'!', b'?', 0xD6, 0xD8, 0xDB, 0xDC, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3, 0xEA, 0xEF,
    ];
    let mut k = 0;
    while k < leads.len() {
        t[leads[k] as usize] = true;
        k += 1;
    }
    t
};

#[inline]
fn candidate_byte(b: u8) -> bool {
    CANDIDATE[b as usize]
}

/// The length of the UTF-8 character that lead byte `x` starts (1 for anything else).
#[inline]
fn utf8_len(x: u8) -> usize {
    match x {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xFF => 4,
        _ => 1,
    }
}

impl Segmenter {
    pub fn new(cfg: &SegmentConfig) -> Segmenter {
        let mut abbreviations: HashSet<String> =
            ABBREVIATIONS.iter().map(|s| s.to_string()).collect();
        for a in &cfg.abbreviations {
            abbreviations.insert(a.trim_end_matches('.').to_string());
        }
        Segmenter {
            abbreviations,
            max_bytes: cfg.max_bytes,
        }
    }

    /// Splits `text[range]` into sentences: trimmed, non-empty, in order, not overlapping.
    pub fn sentences(&self, text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
        self.scan::<true>(text, range, out);
    }

    /// [`Segmenter::sentences`]; `WHOLE` steps over a non-ASCII character that cannot end a
    /// sentence at once, otherwise a byte at a time (the reference the tests compare with).
    fn scan<const WHOLE: bool>(
        &self,
        text: &str,
        range: Range<usize>,
        out: &mut Vec<Range<usize>>,
    ) {
        let bytes = text.as_bytes();
        let end = range.end;
        let mut start = range.start;
        let mut i = range.start;
        while i < end {
            let x = bytes[i];
            if x < 0x80 && !matches!(x, b'.' | b'!' | b'?') {
                // ASCII: skip eight bytes at a time to the next terminator or non-ASCII byte.
                i = crate::bytescan::find_set_or_non_ascii(bytes, i, end, b".!?");
                continue;
            }
            if !candidate_byte(x) {
                // `i` is a character boundary: step over the whole character.
                i += if WHOLE { utf8_len(x) } else { 1 };
                continue;
            }
            let Some(c) = text[i..end].chars().next() else {
                break;
            };
            let Some(term) = terminator(c) else {
                i += c.len_utf8();
                continue;
            };
            // Consume further terminators ("?!", "...", "!!") and closers.
            let mut j = i + c.len_utf8();
            let mut only_periods = term == Term::Period;
            let mut periods = usize::from(term == Term::Period);
            let mut last_term = term;
            while j < end {
                let Some(d) = text[j..end].chars().next() else {
                    break;
                };
                if let Some(t) = terminator(d) {
                    if t != Term::Period {
                        only_periods = false;
                    } else {
                        periods += 1;
                    }
                    last_term = t;
                    j += d.len_utf8();
                } else {
                    break;
                }
            }
            let closers_at = j;
            while j < end {
                let Some(d) = text[j..end].chars().next() else {
                    break;
                };
                if is_closer(d) {
                    j += d.len_utf8();
                } else {
                    break;
                }
            }
            let quoted = j > closers_at;
            // A boundary never separates a character from its combining marks.
            while j < end {
                let Some(d) = text[j..end].chars().next() else {
                    break;
                };
                if unicode_normalization::char::is_combining_mark(d) {
                    j += d.len_utf8();
                } else {
                    break;
                }
            }
            let boundary = self.is_boundary(
                text,
                start,
                i,
                j,
                end,
                [term, last_term],
                only_periods,
                periods,
                quoted,
            );
            if boundary {
                self.push(text, start..j, out);
                start = j;
            }
            i = j.max(i + 1);
        }
        self.push(text, start..end, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn is_boundary(
        &self,
        text: &str,
        start: usize,
        term_at: usize,
        after: usize,
        end: usize,
        [first, last]: [Term; 2],
        only_periods: bool,
        periods: usize,
        quoted: bool,
    ) -> bool {
        let rest = &text[after..end];
        if rest.is_empty() {
            return true;
        }
        let next = rest.chars().next().unwrap_or(' ');
        if last == Term::Cjk || first == Term::Cjk {
            // 「自由だ。」と言った: a quoted sentence followed by more of the sentence.
            return !(quoted && next.is_alphanumeric());
        }
        if !next.is_whitespace() {
            // "5.45", "e.g.", "U.S.", "example.com", "?!" glued to a word: no boundary.
            return false;
        }
        // The first letter of what follows, past spaces and opening punctuation.
        let following = rest
            .trim_start()
            .chars()
            .find(|c| !is_opener(*c) && !c.is_whitespace());
        let Some(nc) = following else {
            return true;
        };
        if nc.is_lowercase() {
            return false;
        }
        let ellipsis = last == Term::Ellipsis || first == Term::Ellipsis || periods >= 3;
        if ellipsis {
            // "and so on… Then" splits; "wait… what" was kept by the lower-case rule.
            return nc.is_uppercase() || !nc.is_alphabetic() && !nc.is_numeric();
        }
        if !only_periods || periods != 1 {
            return true;
        }
        // A single period: look at the word before it.
        let so_far = text[start..term_at].trim();
        if is_enumerator(so_far) {
            // "7. The Convention…", "II. History", "a. first": an enumerator, not a sentence.
            return false;
        }
        let word = last_word(&text[start..term_at]);
        if word.is_empty() {
            return true;
        }
        if self.abbreviations.contains(word) || self.abbreviations.contains(&word.to_lowercase()) {
            return false;
        }
        let mut letters = word.chars().filter(|c| c.is_alphabetic());
        let n_letters = word.chars().filter(|c| c.is_alphabetic()).count();
        // Initials: "J. Smith", "A. B. Sharma".
        if n_letters == 1
            && word.chars().count() == 1
            && letters.next().is_some_and(|c| c.is_uppercase())
        {
            return false;
        }
        // Dotted abbreviations: "U.S", "e.g", "i.e", "U.N" (the final period is this one).
        if word.contains('.') && word.split('.').all(|p| p.chars().count() <= 2) {
            return false;
        }
        true
    }

    /// Pushes a trimmed, non-empty sentence, cutting ones longer than `max_bytes` at spaces.
    fn push(&self, text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
        let r = crate::structure::trim_range(text, range);
        if r.is_empty() {
            return;
        }
        if self.max_bytes == 0 || r.len() <= self.max_bytes {
            out.push(r);
            return;
        }
        let mut s = r.start;
        while r.end - s > self.max_bytes {
            let mut cut = s + self.max_bytes;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            // Prefer the last space before the limit.
            let window = &text[s..cut];
            let at = window
                .rfind(char::is_whitespace)
                .filter(|&k| k > self.max_bytes / 2)
                .map_or(cut, |k| s + k);
            let piece = crate::structure::trim_range(text, s..at);
            if !piece.is_empty() {
                out.push(piece);
            }
            s = at;
        }
        let piece = crate::structure::trim_range(text, s..r.end);
        if !piece.is_empty() {
            out.push(piece);
        }
    }
}

/// An arabic number, a roman numeral or a single letter: what enumerates list items and sections.
fn is_enumerator(s: &str) -> bool {
    let n = s.chars().count();
    if n == 0 || n > 6 {
        return false;
    }
    s.chars().all(|c| c.is_ascii_digit() || c == '.')
        || s.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C'))
        || s.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
        || (n == 1 && s.chars().all(char::is_alphabetic))
}

/// The last whitespace-separated word of `s`, without opening punctuation.
fn last_word(s: &str) -> &str {
    let w = s.rsplit(char::is_whitespace).next().unwrap_or("");
    w.trim_start_matches(|c: char| is_opener(c) || c == '(')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn split(s: &str) -> Vec<&str> {
        let seg = Segmenter::new(&Config::default().segment);
        let mut out = Vec::new();
        seg.sentences(s, 0..s.len(), &mut out);
        out.into_iter().map(|r| &s[r]).collect()
    }

    /// Stepping over whole characters finds the same sentences as stepping byte by byte.
    fn check_steps(seg: &Segmenter, s: &str) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        seg.scan::<true>(s, 0..s.len(), &mut a);
        seg.scan::<false>(s, 0..s.len(), &mut b);
        assert_eq!(a, b, "{s:?}");
    }

    #[test]
    fn whole_character_steps_equal_byte_steps() {
        let seg = Segmenter::new(&Config::default().segment);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for dir in ["raw", "tests/data/udhr"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                if let Ok(t) = std::fs::read_to_string(e.unwrap().path()) {
                    check_steps(&seg, &t);
                    for line in t.lines() {
                        check_steps(&seg, line);
                    }
                    n += 1;
                }
            }
        }
        assert!(n >= 10);
    }

    proptest::proptest! {
        #[test]
        fn whole_character_steps_equal_byte_steps_on_any_text(
            s in proptest::string::string_regex("([ .!?\n]|[a-zA-Zé]|[。！？؟۔।॥…」”’]|\\PC){0,40}").unwrap(),
        ) {
            let seg = Segmenter::new(&Config::default().segment);
            check_steps(&seg, &s);
        }
    }

    #[test]
    fn english_rules() {
        assert_eq!(
            split("On the night of Feb. 26, 1992, 613 people died. The U.S. Senate noted it. Dr. J. Smith agreed, e.g. in No. 5 of the report."),
            vec![
                "On the night of Feb. 26, 1992, 613 people died.",
                "The U.S. Senate noted it.",
                "Dr. J. Smith agreed, e.g. in No. 5 of the report."
            ]
        );
        assert_eq!(
            split("It cost 5.45 dollars. Then more."),
            vec!["It cost 5.45 dollars.", "Then more."]
        );
        assert_eq!(
            split("He said: \"Stop.\" Then he left (quietly.) And?! Yes…"),
            vec![
                "He said: \"Stop.\"",
                "Then he left (quietly.)",
                "And?!",
                "Yes…"
            ]
        );
        assert_eq!(
            split("Wait... what? No... Later."),
            vec!["Wait... what?", "No...", "Later."]
        );
    }

    #[test]
    fn combining_marks_stay_with_their_base() {
        let s = "自由である。\u{301}\u{327} 次。";
        assert_eq!(split(s), vec!["自由である。\u{301}\u{327}", "次。"]);
    }

    #[test]
    fn enumerators_stay_with_their_item() {
        assert_eq!(
            split("7. The Convention applies. II. History of it. 3.2. Scope"),
            vec![
                "7. The Convention applies.",
                "II. History of it.",
                "3.2. Scope"
            ]
        );
    }

    #[test]
    fn line_breaks_are_spaces() {
        assert_eq!(
            split("a sentence that\nwraps. Next one"),
            vec!["a sentence that\nwraps.", "Next one"]
        );
    }

    #[test]
    fn arabic_persian_urdu() {
        assert_eq!(
            split("هل أنت بخير؟ نعم، أنا بخير. شكرا"),
            vec!["هل أنت بخير؟", "نعم، أنا بخير.", "شكرا"]
        );
        assert_eq!(
            split("یہ ایک جملہ ہے۔ یہ دوسرا ہے۔"),
            vec!["یہ ایک جملہ ہے۔", "یہ دوسرا ہے۔"]
        );
    }

    #[test]
    fn cjk_and_devanagari() {
        assert_eq!(
            split("すべての人間は、生まれながらにして自由である。人間は理性と良心とを授けられている！"),
            vec!["すべての人間は、生まれながらにして自由である。", "人間は理性と良心とを授けられている！"]
        );
        assert_eq!(
            split("人人生而自由。他们赋有理性。"),
            vec!["人人生而自由。", "他们赋有理性。"]
        );
        assert_eq!(
            split("सभी मनुष्य स्वतंत्र हैं। वे समान हैं।"),
            vec!["सभी मनुष्य स्वतंत्र हैं।", "वे समान हैं।"]
        );
        assert_eq!(
            split("「自由だ。」と彼は言った。"),
            vec!["「自由だ。」と彼は言った。"]
        );
    }

    #[test]
    fn long_sentences_are_cut_at_spaces() {
        let mut cfg = Config::default().segment;
        cfg.max_bytes = 20;
        let seg = Segmenter::new(&cfg);
        let s = "aaaa bbbb cccc dddd eeee ffff gggg";
        let mut out = Vec::new();
        seg.sentences(s, 0..s.len(), &mut out);
        assert!(out.iter().all(|r| r.len() <= 20));
        let joined: Vec<&str> = out.iter().map(|r| &s[r.clone()]).collect();
        assert_eq!(joined.join(" "), s);
    }
}
