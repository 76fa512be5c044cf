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

use std::ops::Range;

use crate::config::{SegmentConfig, SegmentUnit};
use crate::doc::{Block, DropReason, SegKind};
use crate::text::scan::ByteSet;

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

/// The abbreviation lists of 26 languages (lower case, one per line, without the final
/// period) of the sentencex segmenter (MIT licence, `src/stage/abbreviations/LICENSE`). Their
/// union, whatever the language of the text, holds common words of other languages (`it`, `in`,
/// `so` in the Italian and Dutch lists): it only keeps a period followed by a lower-case word
/// from ending a sentence, never one followed by a capital.
const ABBREVIATION_LISTS: &[&str] = &[
    include_str!("abbreviations/am.txt"),
    include_str!("abbreviations/ar.txt"),
    include_str!("abbreviations/bg.txt"),
    include_str!("abbreviations/bn.txt"),
    include_str!("abbreviations/da.txt"),
    include_str!("abbreviations/de.txt"),
    include_str!("abbreviations/el.txt"),
    include_str!("abbreviations/en.txt"),
    include_str!("abbreviations/es.txt"),
    include_str!("abbreviations/fi.txt"),
    include_str!("abbreviations/fr.txt"),
    include_str!("abbreviations/gu.txt"),
    include_str!("abbreviations/hi.txt"),
    include_str!("abbreviations/it.txt"),
    include_str!("abbreviations/kk.txt"),
    include_str!("abbreviations/kn.txt"),
    include_str!("abbreviations/ml.txt"),
    include_str!("abbreviations/nl.txt"),
    include_str!("abbreviations/pa.txt"),
    include_str!("abbreviations/pl.txt"),
    include_str!("abbreviations/pt.txt"),
    include_str!("abbreviations/ru.txt"),
    include_str!("abbreviations/sk.txt"),
    include_str!("abbreviations/ta.txt"),
    include_str!("abbreviations/te.txt"),
    include_str!("abbreviations/uk.txt"),
];

/// The sentence splitter, built once from the config.
#[derive(Debug, Clone)]
pub struct Segmenter {
    unit: SegmentUnit,
    abbreviations: WordSet,
    /// [`ABBREVIATIONS`], the configured ones and [`ABBREVIATION_LISTS`].
    lower_abbreviations: WordSet,
    max_bytes: usize,
}

/// A set of short words, looked up by their bytes without allocating: open addressing over
/// xxh3 hashes (a period is followed by a lookup of the word before it, so this is on the
/// scanner's path once per sentence).
#[derive(Debug, Clone)]
struct WordSet {
    slots: Box<[Option<Box<str>>]>,
    /// The longest word, in bytes: longer ones are not looked up.
    max_len: usize,
}

impl WordSet {
    fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> WordSet {
        let mut words: Vec<&str> = words.into_iter().collect();
        words.sort_unstable();
        words.dedup();
        // At most a quarter full, so probes are short.
        let n = (words.len() * 4).next_power_of_two().max(16);
        let mut slots: Vec<Option<Box<str>>> = vec![None; n];
        for w in &words {
            let mut k = Self::home(w, n);
            while slots[k].is_some() {
                k = (k + 1) & (n - 1);
            }
            slots[k] = Some((*w).into());
        }
        WordSet {
            slots: slots.into_boxed_slice(),
            max_len: words.iter().map(|w| w.len()).max().unwrap_or(0),
        }
    }

    #[inline]
    fn home(w: &str, n: usize) -> usize {
        xxhash_rust::xxh3::xxh3_64(w.as_bytes()) as usize & (n - 1)
    }

    fn contains(&self, w: &str) -> bool {
        if w.len() > self.max_len {
            return false;
        }
        let n = self.slots.len();
        let mut k = Self::home(w, n);
        while let Some(s) = &self.slots[k] {
            if **s == *w {
                return true;
            }
            k = (k + 1) & (n - 1);
        }
        false
    }

    /// Whether `w` or its lowercase form (`str::to_lowercase`) is in the set, without
    /// allocating: an ASCII word is lowercased byte by byte, another one a character at a time
    /// (`str::to_lowercase` differs from that only for `Σ`, which takes the allocating way).
    fn contains_as_is_or_lowercase(&self, w: &str) -> bool {
        if self.contains(w) {
            return true;
        }
        const CAP: usize = 64;
        let mut buf = [0u8; CAP];
        if self.max_len > CAP {
            return self.contains(&w.to_lowercase());
        }
        if w.is_ascii() {
            // Lowercasing keeps the length; a word without capitals was looked up already.
            if w.len() > self.max_len || !w.bytes().any(|x| x.is_ascii_uppercase()) {
                return false;
            }
            let l = &mut buf[..w.len()];
            l.copy_from_slice(w.as_bytes());
            l.make_ascii_lowercase();
            return std::str::from_utf8(l).is_ok_and(|l| self.contains(l));
        }
        let mut n = 0;
        for c in w.chars() {
            if c == 'Σ' {
                return self.contains(&w.to_lowercase());
            }
            for l in c.to_lowercase() {
                let k = l.len_utf8();
                if n + k > self.max_len {
                    // Longer than every word of the set.
                    return false;
                }
                l.encode_utf8(&mut buf[n..n + k]);
                n += k;
            }
        }
        // Whole characters were written, so the bytes are UTF-8.
        std::str::from_utf8(&buf[..n]).is_ok_and(|l| self.contains(l))
    }
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

/// The terminators other than `.`, `!` and `?`; [`terminator`] gives their kinds. Only their
/// first two bytes matter here: the scanner stops where a character starts with one of these
/// pairs, and decodes it.
const NON_ASCII_TERMINATORS: [char; 24] = [
    '‼', '⁇', '⁈', '⁉', '؟', '۔', '।', '॥', '։', '።', '፧', '။', '།', '។', '܀', '߹', '᙮', '꓿', '。',
    '！', '？', '｡', '．', '…',
];

/// The first two bytes of the UTF-8 form of `c` (not ASCII).
const fn lead_pair(c: char) -> (u8, u8) {
    let u = c as u32;
    if u < 0x800 {
        ((0xC0 | (u >> 6)) as u8, (0x80 | (u & 0x3F)) as u8)
    } else if u < 0x10000 {
        ((0xE0 | (u >> 12)) as u8, (0x80 | ((u >> 6) & 0x3F)) as u8)
    } else {
        ((0xF0 | (u >> 18)) as u8, (0x80 | ((u >> 12) & 0x3F)) as u8)
    }
}

/// For every lead byte, a bit per second byte (its low six bits) with which a non-ASCII
/// terminator starts.
static PAIRS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut k = 0;
    while k < NON_ASCII_TERMINATORS.len() {
        let (lead, second) = lead_pair(NON_ASCII_TERMINATORS[k]);
        t[lead as usize] |= 1 << (second & 0x3F);
        k += 1;
    }
    t
};

/// Whether the character at `b[k]` (a character boundary) may be a terminator: `.`, `!`, `?`,
/// or a character that starts with the first two bytes of another terminator.
#[inline(always)]
fn may_terminate(b: &[u8], k: usize) -> bool {
    let x = b[k];
    if x < 0x80 {
        return matches!(x, b'.' | b'!' | b'?')
            || (x == b':' && armenian_before(b, k))
            || (x == b';' && greek_before(b, k));
    }
    let pairs = PAIRS[x as usize];
    pairs != 0 && b.get(k + 1).is_some_and(|&y| pairs >> (y & 0x3F) & 1 == 1)
}

/// Whether an Armenian letter (U+0531–U+0587) ends `b[..k]`: Armenian typed on a Latin
/// keyboard ends its sentences with an ASCII `:` for the full stop `։`.
#[inline]
fn armenian_before(b: &[u8], k: usize) -> bool {
    k >= 2 && {
        let cp = (u32::from(b[k - 2]) & 0x1F) << 6 | (u32::from(b[k - 1]) & 0x3F);
        matches!(b[k - 2], 0xD4..=0xD6) && b[k - 1] & 0xC0 == 0x80 && (0x531..=0x587).contains(&cp)
    }
}

/// Whether a Greek letter (U+0370–U+03FF, U+1F00–U+1FFF) ends `b[..k]`: in Greek `;` is the
/// question mark (U+037E, which NFC turns into `;`), the semicolon being `·`.
#[inline]
fn greek_before(b: &[u8], k: usize) -> bool {
    (k >= 2 && matches!(b[k - 2], 0xCD..=0xCF) && b[k - 1] & 0xC0 == 0x80)
        || (k >= 3
            && b[k - 3] == 0xE1
            && matches!(b[k - 2], 0xBC..=0xBF)
            && b[k - 1] & 0xC0 == 0x80)
}

/// Whether every `(` and `[` of `s` is closed.
fn balanced(s: &str) -> bool {
    let (mut round, mut square) = (0i32, 0i32);
    for b in s.bytes() {
        match b {
            b'(' => round += 1,
            b')' => round -= 1,
            b'[' => square += 1,
            b']' => square -= 1,
            _ => {}
        }
    }
    round <= 0 && square <= 0
}

/// The bytes a terminator can start with: `.`, `!`, `?` and the lead bytes of the others.
/// None is a continuation byte, so every byte found is a character boundary.
static TERMINATOR_LEADS: ByteSet = {
    let mut s = ByteSet::of(b".!?:;");
    let mut k = 0;
    while k < NON_ASCII_TERMINATORS.len() {
        s = s.with(lead_pair(NON_ASCII_TERMINATORS[k]).0);
        k += 1;
    }
    s
};

/// The first index in `i..end` (`i` a character boundary) of a character that may be a
/// terminator ([`may_terminate`]); `end` if there is none. The scan stops at the bytes of
/// [`TERMINATOR_LEADS`] and checks the pair of bytes there, so Devanagari letters (`E0 A4`) or
/// kana (`E3 81`) do not stop it.
#[inline]
fn find_terminator(b: &[u8], i: usize, end: usize) -> usize {
    TERMINATOR_LEADS.find_by(b, i, end, |k| may_terminate(b, k))
}

impl Segmenter {
    pub fn new(cfg: &SegmentConfig) -> Segmenter {
        let extra = cfg.abbreviations.iter().map(|a| a.trim_end_matches('.'));
        Segmenter {
            unit: cfg.unit,
            abbreviations: WordSet::new(ABBREVIATIONS.iter().copied().chain(extra.clone())),
            lower_abbreviations: WordSet::new(
                ABBREVIATIONS.iter().copied().chain(extra).chain(
                    ABBREVIATION_LISTS
                        .iter()
                        .flat_map(|l| l.lines())
                        .map(|w| w.trim().trim_end_matches('.'))
                        .filter(|w| !w.is_empty() && !w.starts_with('#')),
                ),
            ),
            max_bytes: cfg.max_bytes,
        }
    }

    /// Cuts `block` of `text` into segment ranges, appended to `out`, and says what they are:
    /// sentences when the unit is `sentence` and the block is not boilerplate, otherwise the
    /// block's own range.
    ///
    /// The indices in `out` of the pieces of sentences cut at `max_bytes` are appended to
    /// `split`, in order.
    pub fn cut(
        &self,
        text: &str,
        block: &Block,
        out: &mut Vec<Range<usize>>,
        split: &mut Vec<usize>,
    ) -> SegKind {
        if self.unit == SegmentUnit::Sentence && DropReason::from_block(block.kind).is_none() {
            self.scan::<true>(text, block.range.clone(), &block.elide, out, Some(split));
            SegKind::Sentence
        } else {
            out.push(block.range.clone());
            SegKind::Block(block.kind)
        }
    }

    /// Splits `text[range]` into sentences: trimmed, non-empty, in order, not overlapping.
    #[cfg(any(test, feature = "internals"))]
    pub fn sentences(&self, text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
        self.scan::<true>(text, range, &[], out, None);
    }

    /// [`Segmenter::sentences`]; `FAST` jumps from one possible terminator to the next
    /// ([`find_terminator`]), otherwise every character is decoded and asked (the reference the
    /// tests compare with). `elide` are the block's elided ranges (sorted): a cut of a long
    /// sentence never falls inside one.
    fn scan<const FAST: bool>(
        &self,
        text: &str,
        range: Range<usize>,
        elide: &[Range<usize>],
        out: &mut Vec<Range<usize>>,
        mut split: Option<&mut Vec<usize>>,
    ) {
        let bytes = text.as_bytes();
        let end = range.end;
        let mut start = range.start;
        let mut i = range.start;
        while i < end {
            if FAST {
                i = find_terminator(bytes, i, end);
                if i >= end {
                    break;
                }
            } else if !text.is_char_boundary(i) {
                i += 1;
                continue;
            }
            let Some(c) = text[i..end].chars().next() else {
                break;
            };
            let term = match terminator(c) {
                Some(t) => t,
                // The Armenian full stop typed as `:` (see [`armenian_before`]).
                None if c == ':' && armenian_before(bytes, i) => Term::Strong,
                // The Greek question mark (see [`greek_before`]), outside brackets: inside
                // them `;` separates arguments (`CHOOSE(Ευρετήριο; Τιμή1)`).
                None if c == ';' && greek_before(bytes, i) && balanced(&text[start..i]) => {
                    Term::Strong
                }
                None => {
                    i += c.len_utf8();
                    continue;
                }
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
                self.push(text, start..j, elide, out, &mut split);
                start = j;
            }
            i = j.max(i + 1);
        }
        self.push(text, start..end, elide, out, &mut split);
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
            return only_periods
                && periods == 1
                && self.ends_before_lower_case(text, start, term_at);
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
        if self.abbreviations.contains_as_is_or_lowercase(word) {
            return false;
        }
        // Initials: "J. Smith", "A. B. Sharma" (one character, an upper-case letter).
        let mut chars = word.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_alphabetic() && c.is_uppercase() {
                return false;
            }
        }
        // Dotted abbreviations: "U.S", "e.g", "i.e", "U.N" (the final period is this one).
        if word.contains('.') && word.split('.').all(|p| p.chars().count() <= 2) {
            return false;
        }
        true
    }

    /// Whether a single period after `text[start..term_at]`, followed by a lower-case word,
    /// ends a sentence: informal and web text starts sentences in lower case (`I loved it. we
    /// will come back`). Only after a word of four letters or more (no digits, dots or
    /// hyphens: not `1992. gada`, `proc.`, `e.g.`) that is in no abbreviation list, of a script
    /// that ends sentences with `.` (not Armenian, whose full stop is `։`).
    fn ends_before_lower_case(&self, text: &str, start: usize, term_at: usize) -> bool {
        let word = last_word(&text[start..term_at]);
        let mut letters = 0;
        for c in word.chars() {
            if !c.is_alphabetic() || ('\u{0530}'..='\u{058F}').contains(&c) {
                return false;
            }
            letters += 1;
        }
        letters >= 4 && !self.lower_abbreviations.contains_as_is_or_lowercase(word)
    }

    /// Pushes a trimmed, non-empty sentence, cutting ones longer than `max_bytes` at the last
    /// space before the limit (in its second half), else at the last grapheme boundary before
    /// it, so that a cut never separates a base from its marks; the pieces' indices go to
    /// `split`. A space or limit inside an elided range (the line break of a rejoined
    /// `adipis-⏎cing`, an emphasis marker) is never a cut: the word would be cut in two.
    fn push(
        &self,
        text: &str,
        range: Range<usize>,
        elide: &[Range<usize>],
        out: &mut Vec<Range<usize>>,
        split: &mut Option<&mut Vec<usize>>,
    ) {
        let r = trim(text, range);
        if r.is_empty() {
            return;
        }
        if self.max_bytes == 0 || r.len() <= self.max_bytes {
            out.push(r);
            return;
        }
        let mut s = r.start;
        let mut piece_of = |piece: Range<usize>, out: &mut Vec<Range<usize>>| {
            out.push(piece);
            if let Some(v) = split.as_deref_mut() {
                v.push(out.len() - 1);
            }
        };
        // The elided range that holds byte `k`, if any (binary search: linear segmentation).
        let elided_at = |k: usize| {
            let i = elide.partition_point(|e| e.end <= k);
            elide.get(i).filter(|e| e.start <= k).cloned()
        };
        while r.end - s > self.max_bytes {
            let mut cut = grapheme_floor(text, s, s + self.max_bytes);
            if let Some(e) = elided_at(cut) {
                if e.start > s && e.start < cut {
                    cut = e.start;
                }
            }
            // Prefer the last space before the limit (in the second half, outside elided
            // ranges).
            let at = text[s..cut]
                .char_indices()
                .rev()
                .take_while(|&(k, _)| k > self.max_bytes / 2)
                .find(|&(k, c)| c.is_whitespace() && elided_at(s + k).is_none())
                .map_or(cut, |(k, _)| s + k);
            let piece = trim(text, s..at);
            if !piece.is_empty() {
                piece_of(piece, out);
            }
            s = at;
        }
        let piece = trim(text, s..r.end);
        if !piece.is_empty() {
            piece_of(piece, out);
        }
    }
}

/// The last grapheme cluster boundary of `text` in `s + 1..=cut` (`s` a character boundary),
/// or, when a single cluster spans all of it, the last character boundary there.
fn grapheme_floor(text: &str, s: usize, cut: usize) -> usize {
    let mut c = cut.min(text.len());
    while !text.is_char_boundary(c) {
        c -= 1;
    }
    if c <= s {
        // A limit below one character: the piece is the character (progress is made).
        c = s + 1;
        while !text.is_char_boundary(c) {
            c += 1;
        }
        return c;
    }
    let mut cursor = unicode_segmentation::GraphemeCursor::new(c, text.len(), true);
    match cursor.is_boundary(text, 0) {
        Ok(true) => c,
        _ => match cursor.prev_boundary(text, 0) {
            Ok(Some(b)) if b > s => b,
            _ => c,
        },
    }
}

/// `text[range]` without the whitespace (`char::is_whitespace`) at its ends, as
/// [`crate::stage::structure::trim_range`] gives it; ASCII characters are tested from their byte, and
/// only a non-ASCII character at an end is decoded.
#[inline(always)]
fn trim(text: &str, range: Range<usize>) -> Range<usize> {
    let b = text.as_bytes();
    let ascii_space = crate::text::chars::is_ascii_ws;
    let (mut s, mut e) = (range.start, range.end);
    while s < e {
        let x = b[s];
        if x < 0x80 {
            if !ascii_space(x) {
                break;
            }
            s += 1;
        } else {
            match text[s..e].chars().next() {
                Some(c) if c.is_whitespace() => s += c.len_utf8(),
                _ => break,
            }
        }
    }
    if s == e {
        return range.start..range.start;
    }
    while e > s {
        let x = b[e - 1];
        if x < 0x80 {
            if !ascii_space(x) {
                break;
            }
            e -= 1;
        } else {
            match text[s..e].chars().next_back() {
                Some(c) if c.is_whitespace() => e -= c.len_utf8(),
                _ => break,
            }
        }
    }
    s..e
}

/// An arabic number, a roman numeral or a single letter: what enumerates list items and sections.
fn is_enumerator(s: &str) -> bool {
    // More than 24 bytes are more than six characters: not counted.
    if s.len() > 24 {
        return false;
    }
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

    #[test]
    fn armenian_full_stop_typed_as_a_colon_and_the_greek_question_mark() {
        // UDHR article 1 in Armenian, its full stops typed as ASCII `:` (as in the Armenian
        // Universal Dependencies treebank), and a Latin colon that stays inside its sentence.
        let t = "Բոլոր մարդիկ ծնվում են ազատ ու հավասար իրենց արժանապատվությամբ և \
                 իրավունքներով: Նրանք ունեն բանականություն և խիղճ:";
        assert_eq!(split(t).len(), 2, "{:?}", split(t));
        assert_eq!(split("Note: The system starts.").len(), 1);
        // Greek (constructed from the words of the Greek UDHR): a question, then the next
        // sentence; a `;` after Latin letters stays inside its sentence.
        let g = "Ποιος έχει το δικαίωμα; Κάθε άνθρωπος έχει το δικαίωμα.";
        assert_eq!(split(g).len(), 2, "{:?}", split(g));
        assert_eq!(split("one; Two.").len(), 1);
        assert_eq!(
            split("CHOOSE(Ευρετήριο; Τιμή1; Τιμή2) επιστρέφει μια τιμή.").len(),
            1
        );
        let seg = Segmenter::new(&Config::default().segment);
        check_steps(&seg, t, 0..t.len());
        check_steps(&seg, g, 0..g.len());
    }

    /// The texts of the seeds and the UDHR translations (real text in many scripts).
    fn real_texts() -> Vec<String> {
        crate::testdata::real_texts()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Jumping from one possible terminator to the next finds the same sentences as asking
    /// every character, for `range` of `s`.
    fn check_steps(seg: &Segmenter, s: &str, range: Range<usize>) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        seg.scan::<true>(s, range.clone(), &[], &mut a, None);
        seg.scan::<false>(s, range.clone(), &[], &mut b, None);
        assert_eq!(a, b, "{:?}", &s[range]);
    }

    #[test]
    fn terminator_jumps_equal_character_steps() {
        let seg = Segmenter::new(&Config::default().segment);
        for t in real_texts() {
            check_steps(&seg, &t, 0..t.len());
            // Each line as a range of the whole text: the scan's last chunk reads past its end.
            let mut at = 0;
            for line in t.split_inclusive('\n') {
                check_steps(&seg, &t, at..at + line.len());
                check_steps(&seg, line, 0..line.len());
                at += line.len();
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn terminator_jumps_equal_character_steps_on_any_text(
            s in proptest::string::string_regex("([ .!?\n]|[a-zA-Zé]|[。！？؟۔।॥…」”’]|[\u{900}-\u{97F}\u{3040}-\u{30FF}\u{2000}-\u{206F}\u{FF00}-\u{FF6F}]|\\PC){0,60}").unwrap(),
            cut in 0usize..240,
        ) {
            let seg = Segmenter::new(&Config::default().segment);
            check_steps(&seg, &s, 0..s.len());
            let mut cut = cut.min(s.len());
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            check_steps(&seg, &s, 0..cut);
            check_steps(&seg, &s, cut..s.len());
        }
    }

    /// The terminators the scanner jumps to are exactly the characters [`terminator`] knows.
    #[test]
    fn pair_table_covers_every_terminator() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let listed = matches!(c, '.' | '!' | '?') || NON_ASCII_TERMINATORS.contains(&c);
            // `:` is one only after an Armenian letter (tested below).
            assert_eq!(terminator(c).is_some(), listed, "{c:?}");
            if listed {
                assert!(may_terminate(bytes, 0), "{c:?}");
            }
        }
    }

    /// Every start, end and byte value in a window of constructed text, against the byte-at-a-time
    /// definition of [`find_terminator`] (which is exact only at character boundaries, so the
    /// definition is the same test at every byte).
    #[test]
    fn find_terminator_equals_its_definition() {
        let mut buf = "Toute personne a droit. Vraiment? नमस्ते। すべての人間は、自由である。 Oui! ¿Qué? — «fin»… ok"
            .as_bytes()
            .to_vec();
        for pos in (0..buf.len()).step_by(3) {
            let keep = buf[pos];
            for x in 0..=255u8 {
                buf[pos] = x;
                for i in (0..buf.len()).step_by(5) {
                    for end in [i, i + 1, i + 15, i + 16, i + 17, i + 40, buf.len()] {
                        let end = end.min(buf.len());
                        let want = (i..end).find(|&k| may_terminate(&buf, k)).unwrap_or(end);
                        assert_eq!(find_terminator(&buf, i, end), want, "{pos} {x} {i} {end}");
                    }
                }
            }
            buf[pos] = keep;
        }
    }

    /// The set answers what a `HashSet` of the words answers for a word or its lowercase.
    #[test]
    fn word_set_equals_a_hash_set() {
        let mut cfg = Config::default().segment;
        cfg.abbreviations = vec!["Σελ.".into(), "İst".into(), "KELVIN".into()];
        let seg = Segmenter::new(&cfg);
        let reference: std::collections::HashSet<String> = ABBREVIATIONS
            .iter()
            .map(|s| s.to_string())
            .chain(
                cfg.abbreviations
                    .iter()
                    .map(|a| a.trim_end_matches('.').to_string()),
            )
            .collect();
        let mut words: Vec<String> = reference.iter().cloned().collect();
        for w in reference.iter() {
            words.push(w.to_uppercase());
            words.push(w.to_lowercase());
            words.push(format!("{w}x"));
            words.push(w.chars().skip(1).collect());
        }
        // Case mappings that change length, final sigma, the Kelvin sign.
        for w in [
            "ΣΕΛ",
            "σελ",
            "İST",
            "i\u{307}st",
            "\u{212A}ELVIN",
            "kelvin",
            "ẞ",
            "MR",
            "mR",
            "",
        ] {
            words.push(w.to_string());
        }
        for t in real_texts() {
            words.extend(
                t.split_whitespace()
                    .take(300)
                    .map(last_word)
                    .map(String::from),
            );
        }
        for w in &words {
            let want = reference.contains(w.as_str()) || reference.contains(&w.to_lowercase());
            assert_eq!(
                seg.abbreviations.contains_as_is_or_lowercase(w),
                want,
                "{w:?}"
            );
        }
    }

    /// [`trim`] gives what [`crate::stage::structure::trim_range`] gives, for every range between
    /// character boundaries of constructed text with every kind of whitespace at the ends, and
    /// for the sentences of real text.
    #[test]
    fn trim_equals_trim_range() {
        let s = " \u{3000}\tA b\u{a0} \n\u{2003}é x\u{b} \u{85}\u{1c} ";
        let cuts: Vec<usize> = (0..=s.len()).filter(|&k| s.is_char_boundary(k)).collect();
        for &a in &cuts {
            for &z in cuts.iter().filter(|&&z| z >= a) {
                assert_eq!(
                    trim(s, a..z),
                    crate::stage::structure::trim_range(s, a..z),
                    "{a}..{z}"
                );
            }
        }
        for t in real_texts() {
            let mut at = 0;
            for piece in t.split_inclusive(['.', '\n', '。']) {
                let r = at..at + piece.len();
                assert_eq!(
                    trim(&t, r.clone()),
                    crate::stage::structure::trim_range(&t, r)
                );
                at += piece.len();
            }
        }
    }

    /// CONSTRUCTED sentences, after the shapes of the Universal Dependencies web and news text.
    #[test]
    fn a_lower_case_start_after_a_word_and_a_period() {
        assert_eq!(
            split("we loved the food. we will come back. thanks again"),
            vec!["we loved the food.", "we will come back.", "thanks again"]
        );
        // Abbreviations of the lists (Finnish esim., Polish proc.), ordinals, short words.
        for s in [
            "ihania kääryleitä esim. liha- ja sienitäytteellä",
            "uważa 57 proc. społeczeństwa",
            "1992. gada rudenī",
            "see fig. below",
            "in Armenian text. lowercase after Armenian letters: Հայաստան. այն",
        ] {
            let expected = if s.starts_with("in Armenian") { 2 } else { 1 };
            assert_eq!(split(s).len(), expected, "{s}");
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

    /// A hard-wrapped sentence longer than the limit, each line ending in a hyphen the
    /// structure stage rejoined (the `-` and line break elided): no cut falls inside an elided
    /// range, so no word is cut in two at its join (constructed text, the shape of
    /// `benches/shapes.sh`'s hyphen-wrapped input).
    #[test]
    fn long_sentences_are_not_cut_inside_elided_ranges() {
        let line =
            "Lorem ipsum dolor sit amet consectetur adipis-\ncing elit sed do eiusmod tempor ";
        let text = format!("{}.", line.repeat(40));
        let mut block = Block::new(crate::doc::BlockKind::Paragraph, 0..text.len());
        block.elide = text
            .match_indices("-\n")
            .map(|(i, m)| i..i + m.len())
            .collect();
        for max in 30..=100 {
            let mut cfg = Config::default().segment;
            cfg.max_bytes = max;
            let seg = Segmenter::new(&cfg);
            let (mut out, mut split) = (Vec::new(), Vec::new());
            seg.cut(&text, &block, &mut out, &mut split);
            assert!(out.len() > 2, "{max}");
            for r in &out {
                for e in &block.elide {
                    let overlaps = r.start < e.end && e.start < r.end;
                    let inside = r.start <= e.start && e.end <= r.end;
                    assert!(!overlaps || inside, "{max}: piece {r:?} cuts elided {e:?}");
                }
                let piece = &text[r.clone()];
                assert!(
                    !piece.ends_with("adipis-") && !piece.ends_with("adipis"),
                    "{max}: {r:?}"
                );
                assert!(!piece.starts_with("cing"), "{max}: {r:?}");
            }
        }
    }

    /// Text without spaces (the UDHR in Hindi, its spaces taken out) is cut at grapheme
    /// boundaries: no piece starts inside a cluster (a vowel sign or a virama sequence), and
    /// the pieces are reported as split.
    #[test]
    fn long_sentences_without_spaces_are_cut_at_grapheme_boundaries() {
        use unicode_segmentation::UnicodeSegmentation;
        let hin = crate::testdata::real_texts()
            .into_iter()
            .find(|(name, _)| name.contains("hin"))
            .map(|(_, t)| t)
            .expect("the Hindi UDHR");
        let text: String = hin
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '।')
            .collect();
        let boundaries: std::collections::HashSet<usize> =
            text.grapheme_indices(true).map(|(i, _)| i).collect();
        for max in [17, 50, 101] {
            let mut cfg = Config::default().segment;
            cfg.max_bytes = max;
            let seg = Segmenter::new(&cfg);
            let block = Block::new(crate::doc::BlockKind::Paragraph, 0..text.len());
            let (mut out, mut split) = (Vec::new(), Vec::new());
            seg.cut(&text, &block, &mut out, &mut split);
            assert!(out.len() > 2, "{max}");
            assert_eq!(split, (0..out.len()).collect::<Vec<_>>(), "{max}");
            for r in &out {
                assert!(
                    boundaries.contains(&r.start),
                    "{max}: piece at {} splits a cluster",
                    r.start
                );
                assert!(r.len() <= max, "{max}: {r:?}");
            }
            assert_eq!(out.last().map(|r| r.end), Some(text.len()));
        }
    }
}
