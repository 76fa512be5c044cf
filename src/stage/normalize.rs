//! Normalization: one clean text per document, with a map back to the decoded text.
//!
//! Two phases, each skipped when it has nothing to do (clean text is borrowed, never copied):
//!
//! 1. **Character rules**, each with a switch in `[normalize]`: CRLF and CR to LF (and NEL, LS,
//!    PS); C0/C1 controls removed except tab, newline and form feed (which PDF extractors put
//!    between pages: the structure stage reads it as a page break; vertical tab becomes a
//!    newline); no-break and other spaces to a plain space; soft hyphens,
//!    stray BOMs and explicit bidi embedding/override/isolate controls removed; Arabic
//!    presentation forms mapped to the standard letters and Latin/Armenian ligatures split even
//!    under NFC, because PDF extractors emit them. ZWJ and ZWNJ are kept (Persian and Indic words
//!    need them), and so are LRM/RLM/ALM.
//! 2. **NFC** (default) or **NFKC**, after the quick check. The text is cut into *stable units*
//!    (a character with canonical combining class 0 and quick-check `Yes` starts a new unit), so
//!    normalizing unit by unit equals normalizing the whole text, and the offset map stays exact
//!    to the character.

use std::borrow::Cow;
use std::sync::OnceLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::config::{NormForm, NormalizeConfig};
use crate::text::scan::ByteSet;
use crate::text::spanmap::{SpanMap, SpanMapBuilder};

/// The normalize stage, built once from the config.
#[derive(Debug, Clone)]
pub struct Normalizer {
    cfg: NormalizeConfig,
    any_rule: bool,
    /// The stable characters of the Basic Multilingual Plane under `cfg.form`.
    stable: Option<&'static StableSet>,
}

/// One bit per code point of the Basic Multilingual Plane: set when the character is *stable*
/// under a normalization form — canonical combining class 0 and quick check `Yes`.
///
/// The quick check of unicode-normalization looks up two tables per non-ASCII character (a
/// perfect hash for the combining class, a binary search for the quick-check property); this
/// set answers both with one bit. A text of stable characters passes the quick check, so the
/// set is a fast path that never changes a result: anything else asks the library.
struct StableSet {
    /// Bit `u & 63` of word `u >> 6` for code point `u`.
    bits: Box<[u64; 0x10000 / 64]>,
}

impl std::fmt::Debug for StableSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StableSet")
    }
}

impl StableSet {
    fn build(form: NormForm) -> StableSet {
        let mut bits = Box::new([0u64; 0x10000 / 64]);
        for u in 0..0x10000u32 {
            if let Some(c) = char::from_u32(u) {
                if stable_slow(form, c) {
                    bits[(u >> 6) as usize] |= 1 << (u & 63);
                }
            }
        }
        StableSet { bits }
    }

    fn get(form: NormForm) -> Option<&'static StableSet> {
        static NFC: OnceLock<StableSet> = OnceLock::new();
        static NFKC: OnceLock<StableSet> = OnceLock::new();
        match form {
            NormForm::Nfc => Some(NFC.get_or_init(|| StableSet::build(NormForm::Nfc))),
            NormForm::Nfkc => Some(NFKC.get_or_init(|| StableSet::build(NormForm::Nfkc))),
            NormForm::None => None,
        }
    }

    /// `Some(stable)` for a character of the Basic Multilingual Plane, `None` above it.
    #[inline]
    fn contains(&self, c: char) -> Option<bool> {
        let u = c as u32;
        (u < 0x10000).then(|| self.has(u))
    }

    /// Whether code point `u` (below U+10000) is stable.
    #[inline(always)]
    fn has(&self, u: u32) -> bool {
        self.bits[(u >> 6) as usize & 0x3FF] >> (u & 63) & 1 == 1
    }
}

/// The quick check of `form` over `s`, by the library.
fn quick_slow(form: NormForm, s: &str) -> IsNormalized {
    match form {
        NormForm::Nfc => is_nfc_quick(s.chars()),
        NormForm::Nfkc => is_nfkc_quick(s.chars()),
        NormForm::None => IsNormalized::Yes,
    }
}

/// The bytes that are not ASCII.
static NON_ASCII: ByteSet = ByteSet::EMPTY.with_range(0x80, 0xFF);

/// The quick check of `form` over `s`: the library's algorithm (UAX #15) step for step, asking
/// the library only about the characters that are not in `set`.
fn quick_check(set: &StableSet, form: NormForm, s: &str) -> IsNormalized {
    let mut last_cc = 0u8;
    let mut result = IsNormalized::Yes;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] < 0x80 {
            // ASCII is stable: skip to the next byte that is not.
            i = NON_ASCII.find(b, i, b.len());
            last_cc = 0;
            continue;
        }
        // A run of non-ASCII characters, decoded in one pass up to the next ASCII byte.
        let mut next = b.len();
        for (k, c) in s[i..].char_indices() {
            if c.is_ascii() {
                next = i + k;
                break;
            }
            if set.contains(c) == Some(true) {
                last_cc = 0;
                continue;
            }
            let cc = canonical_combining_class(c);
            if last_cc > cc && cc != 0 {
                return IsNormalized::No;
            }
            match quick_slow(form, c.encode_utf8(&mut [0; 4])) {
                IsNormalized::Yes => {}
                IsNormalized::No => return IsNormalized::No,
                IsNormalized::Maybe => result = IsNormalized::Maybe,
            }
            last_cc = cc;
        }
        i = next;
    }
    result
}

/// Whether `c` is stable under `form`, by the library: combining class 0 and quick check `Yes`.
/// (Not every character below U+0300 is: `¨ ª ² ½ Ĳ ſ` have compatibility decompositions, so
/// NFKC changes them.)
fn stable_slow(form: NormForm, c: char) -> bool {
    canonical_combining_class(c) == 0
        && quick_slow(form, c.encode_utf8(&mut [0; 4])) == IsNormalized::Yes
}

/// Whether the character at byte `i` of `b` (UTF-8, `i` a character boundary) may be one that a
/// character rule changes, told from its first bytes: C0 controls but tab and line feed, DEL,
/// U+0080..U+00A0, U+00AD, U+1680, U+2000..U+200A, U+2028..U+202F, U+205F, U+2066..U+2069,
/// U+3000, U+FB00..U+FDFF and U+FE40..U+FEFF. Every character [`Normalizer::action`] does not
/// keep is one of them (tested); the rest are kept.
#[inline(always)]
fn may_change(b: &[u8], i: usize) -> bool {
    let at = |d: usize| b.get(i + d).copied().unwrap_or(0);
    match b[i] {
        0x00..=0x08 | 0x0B..=0x1F | 0x7F | b'&' => true,
        0xC2 => matches!(at(1), 0x80..=0xA0 | 0xAD),
        0xE1 => at(1) == 0x9A && at(2) == 0x80,
        0xE2 => match at(1) {
            0x80 => matches!(at(2), 0x80..=0x8A | 0xA8..=0xAF),
            0x81 => matches!(at(2), 0x9F | 0xA6..=0xA9),
            _ => false,
        },
        0xE3 => at(1) == 0x80 && at(2) == 0x80,
        0xEF => matches!(at(1), 0xAC..=0xB7 | 0xB9..=0xBF),
        _ => false,
    }
}

/// The bytes that start the characters [`may_change`] stops at: the C0 controls but tab and
/// line feed, DEL, `&` (an HTML character reference may start there), and the lead bytes C2,
/// E1, E2, E3 and EF. None is a continuation byte.
static RULE_LEADS: ByteSet = ByteSet::EMPTY
    .with_range(0x00, 0x08)
    .with_range(0x0B, 0x1F)
    .with(0x7F)
    .with(b'&')
    .with(0xC2)
    .with_range(0xE1, 0xE3)
    .with(0xEF);

/// The first index at or after `i` (a character boundary) of a character that may change
/// ([`may_change`]); `b.len()` if there is none. The scan stops at the bytes of [`RULE_LEADS`]
/// and checks each, so curly quotes (`E2 80 99`) and kana (`E3 81`) do not stop it.
#[inline]
fn find_rule(b: &[u8], i: usize) -> usize {
    RULE_LEADS.find_by(b, i, b.len(), |k| may_change(b, k))
}

/// The windows-1252 character of a C1 control (`None` for the five bytes windows-1252 leaves
/// undefined: 0x81, 0x8D, 0x8F, 0x90, 0x9D, which the table keeps as the control itself).
fn cp1252_c1(c: char) -> Option<char> {
    let i = (c as u32).checked_sub(0x80)? as usize;
    crate::stage::mojibake::CP1252_HIGH
        .get(i)
        .copied()
        .filter(|&h| h != c)
}

/// The length of the terminal escape sequence at the start of `b` (which starts with ESC): a
/// CSI sequence (`ESC [`, parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, a final
/// byte 0x40–0x7E) or a two-byte escape (`ESC` and 0x40–0x5F but `[`); `None` when it is not
/// one (the lone ESC is then a control like any other).
fn escape_len(b: &[u8]) -> Option<usize> {
    match b.get(1)? {
        b'[' => {
            let mut i = 2;
            while let Some(&x) = b.get(i) {
                match x {
                    0x20..=0x3F if i < 64 => i += 1,
                    0x40..=0x7E => return Some(i + 1),
                    _ => return None,
                }
            }
            None
        }
        0x40..=0x5F => Some(2),
        _ => None,
    }
}

/// A normalized text and the maps back to its input (empty when nothing changed).
#[derive(Debug)]
pub struct Normalized<'a> {
    pub text: Cow<'a, str>,
    /// Maps from the output back to the input, last step first.
    pub maps: Vec<SpanMap>,
}

enum Action {
    Keep,
    Drop,
    Char(char),
    Compat,
    /// The text of an HTML character reference.
    Text(std::borrow::Cow<'static, str>),
}

impl Normalizer {
    pub fn new(cfg: &NormalizeConfig) -> Normalizer {
        let any_rule = cfg.line_endings
            || cfg.controls
            || cfg.spaces
            || cfg.soft_hyphens
            || cfg.html_entities
            || cfg.bom
            || cfg.bidi_controls
            || cfg.arabic_presentation_forms
            || cfg.ligatures
            || cfg.c1_as_windows_1252
            || cfg.terminal_escapes
            || cfg.width;
        Normalizer {
            cfg: cfg.clone(),
            any_rule,
            stable: StableSet::get(cfg.form),
        }
    }

    /// Normalizes `text`.
    pub fn normalize<'a>(&self, text: &'a str) -> Normalized<'a> {
        let mut maps = Vec::new();
        let text = match self.apply_rules(text) {
            Some((t, m)) => {
                maps.push(m);
                Cow::Owned(t)
            }
            None => Cow::Borrowed(text),
        };
        let text = match self.compose(&text) {
            Some((t, m)) => {
                maps.insert(0, m);
                Cow::Owned(t)
            }
            None => text,
        };
        Normalized { text, maps }
    }

    fn action(&self, c: char, next: Option<char>) -> Action {
        let cfg = &self.cfg;
        match c {
            '\t' | '\n' => Action::Keep,
            '\r' if cfg.line_endings => {
                if next == Some('\n') {
                    Action::Drop
                } else {
                    Action::Char('\n')
                }
            }
            '\u{85}' | '\u{2028}' | '\u{2029}' if cfg.line_endings => Action::Char('\n'),
            // A form feed (a page break) is whitespace that the structure stage reads.
            '\u{0C}' => Action::Keep,
            '\u{0B}' if cfg.controls => Action::Char('\n'),
            '\u{80}'..='\u{9F}' if cfg.c1_as_windows_1252 && cp1252_c1(c).is_some() => {
                Action::Char(cp1252_c1(c).unwrap_or(c))
            }
            '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' if cfg.controls && c != '\r' => Action::Drop,
            '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
                if cfg.spaces =>
            {
                Action::Char(' ')
            }
            '\u{AD}' if cfg.soft_hyphens => Action::Drop,
            '\u{FEFF}' if cfg.bom => Action::Drop,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' if cfg.bidi_controls => Action::Drop,
            '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFC}' if cfg.arabic_presentation_forms => {
                Action::Compat
            }
            '\u{FB00}'..='\u{FB06}' | '\u{FB13}'..='\u{FB17}' if cfg.ligatures => Action::Compat,
            '\u{FF10}'..='\u{FF19}'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}'
            | '\u{FF66}'..='\u{FF9F}'
            | '\u{FFA0}'..='\u{FFDC}'
                if cfg.width =>
            {
                Action::Compat
            }
            _ => Action::Keep,
        }
    }

    /// Phase 1: the character rules. `None` when no rule applies anywhere.
    fn apply_rules(&self, text: &str) -> Option<(String, SpanMap)> {
        if !self.any_rule {
            return None;
        }
        let bytes = text.as_bytes();
        let find = |from: usize| {
            let i = find_rule(bytes, from);
            (i < bytes.len()).then_some(i)
        };
        let mut pos = find(0)?;
        // Character references are decoded in text that holds no markup (as ftfy does): in
        // HTML left as it is they belong to the markup.
        let entities =
            self.cfg.html_entities && memchr::memchr(b'&', bytes).is_some() && !has_markup(bytes);
        let mut out: Option<(String, SpanMapBuilder)> = None;
        let mut copied = 0usize;
        while pos < bytes.len() {
            let rest = &text[pos..];
            let mut it = rest.chars();
            let Some(c) = it.next() else { break };
            let next = it.next();
            let mut len = c.len_utf8();
            let mut act = self.action(c, next);
            if c == '\u{AD}' && self.cfg.soft_hyphens {
                // At a line end, the soft hyphen marks where a word was broken: the line break
                // goes with it and the word is whole again.
                if let Some(n) = soft_hyphen_break(text, pos) {
                    len = n;
                }
            }
            if c == '&' && entities {
                if let Some((n, t)) = html_entity(rest) {
                    len = n;
                    act = Action::Text(t);
                }
            }
            if c == '\u{1B}' && self.cfg.terminal_escapes {
                if let Some(n) = escape_len(rest.as_bytes()) {
                    len = n;
                    act = Action::Drop;
                }
            }
            if !matches!(act, Action::Keep) {
                let (o, b) = out.get_or_insert_with(|| {
                    (String::with_capacity(text.len()), SpanMapBuilder::new())
                });
                o.push_str(&text[copied..pos]);
                b.copy(pos - copied);
                let before = o.len();
                match act {
                    Action::Drop => b.delete(len),
                    Action::Char(r) => {
                        o.push(r);
                        b.replace(len, o.len() - before);
                    }
                    Action::Compat => {
                        let mut s = String::new();
                        unicode_normalization::char::decompose_compatible(c, |d| s.push(d));
                        // Presentation forms decompose to letters that compose again under NFC.
                        o.extend(s.nfc());
                        b.replace(len, o.len() - before);
                    }
                    Action::Text(t) => {
                        o.push_str(&t);
                        b.replace(len, o.len() - before);
                    }
                    Action::Keep => {}
                }
                copied = pos + len;
            }
            pos += len;
            match find(pos) {
                Some(k) => pos = k,
                None => break,
            }
        }
        let (mut o, mut b) = out?;
        o.push_str(&text[copied..]);
        b.copy(text.len() - copied);
        Some((o, b.finish()))
    }

    /// Phase 2: NFC or NFKC by stable units. `None` when the text is already normalized.
    fn compose(&self, text: &str) -> Option<(String, SpanMap)> {
        let form = self.cfg.form;
        let set = self.stable?;
        // Equal to the library's quick check and stability test, with the set as a fast path.
        let stable = |c: char| set.contains(c).unwrap_or_else(|| stable_slow(form, c));
        let quick = |s: &str| quick_check(set, form, s);
        if text.is_ascii() || quick(text) == IsNormalized::Yes {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut b = SpanMapBuilder::new();
        let mut scratch = String::new();
        // A unit of one stable character is normalized already; a longer one (a base and its
        // marks) is normalized when the quick check does not say Yes.
        let mut flush = |unit: &str, single: bool, out: &mut String, b: &mut SpanMapBuilder| {
            if unit.is_empty() {
                return;
            }
            if single || quick(unit) == IsNormalized::Yes {
                out.push_str(unit);
                b.copy(unit.len());
                return;
            }
            scratch.clear();
            match form {
                NormForm::Nfc => scratch.extend(unit.nfc()),
                NormForm::Nfkc => scratch.extend(unit.nfkc()),
                NormForm::None => scratch.push_str(unit),
            }
            if scratch == unit {
                out.push_str(unit);
                b.copy(unit.len());
            } else {
                out.push_str(&scratch);
                b.replace(unit.len(), scratch.len());
            }
        };
        // Chunks between ASCII spaces and line breaks (which are stable) that pass the quick
        // check are copied whole; only the others are cut into units.
        let bytes = text.as_bytes();
        let mut chunk_start = 0usize;
        while chunk_start < bytes.len() {
            let chunk_end = memchr::memchr3(b' ', b'\n', b'\t', &bytes[chunk_start..])
                .map_or(bytes.len(), |k| chunk_start + k + 1);
            let chunk = &text[chunk_start..chunk_end];
            if chunk.is_ascii() || quick(chunk) == IsNormalized::Yes {
                out.push_str(chunk);
                b.copy(chunk.len());
                chunk_start = chunk_end;
                continue;
            }
            let mut unit_start = 0usize;
            let mut single = true;
            for (i, c) in chunk.char_indices() {
                if i == 0 {
                    single = stable(c);
                } else if stable(c) {
                    flush(&chunk[unit_start..i], single, &mut out, &mut b);
                    unit_start = i;
                    single = true;
                } else {
                    single = false;
                }
            }
            flush(&chunk[unit_start..], single, &mut out, &mut b);
            chunk_start = chunk_end;
        }
        Some((out, b.finish()))
    }
}

/// Whether `b` holds markup: a `<` before a letter, `/` or `!` (`<p>`, `</a>`, `<!--`).
fn has_markup(b: &[u8]) -> bool {
    memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'/' || c == b'!')
    })
}

/// The HTML character reference at the start of `s` (which starts with `&`): its length in
/// bytes and its text. Named references need their `;` (`&eacute;`, `&amp;`: the HTML5 list,
/// from the `entities` crate); numeric ones are decimal or hexadecimal (`&#233;`, `&#xE9;`),
/// and the C1 range reads as windows-1252, as browsers read it (`&#146;` → `’`). `AT&T`,
/// `&nbsp` without `;` and unknown names are left as they are.
fn html_entity(s: &str) -> Option<(usize, std::borrow::Cow<'static, str>)> {
    use std::borrow::Cow;
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static NAMED: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        let start = if hex { 3 } else { 2 };
        let digits = b[start..]
            .iter()
            .take(8)
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 || b.get(start + digits) != Some(&b';') {
            return None;
        }
        let v = u32::from_str_radix(&s[start..start + digits], if hex { 16 } else { 10 }).ok()?;
        let c = char::from_u32(v).filter(|&c| c != '\0')?;
        let c = cp1252_c1(c).unwrap_or(c);
        return Some((start + digits + 1, Cow::Owned(c.to_string())));
    }
    let n = b[1..]
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if n == 0 || b.get(1 + n) != Some(&b';') {
        return None;
    }
    let named = NAMED.get_or_init(|| {
        entities::ENTITIES
            .iter()
            .filter(|e| e.entity.ends_with(';'))
            .map(|e| (e.entity, e.characters))
            .collect()
    });
    named.get(&s[..n + 2]).map(|&t| (n + 2, Cow::Borrowed(t)))
}

/// The byte length of a soft hyphen at `pos` that ends a line between two letters, with the
/// spaces and the line break after it and the next line's indentation: the bytes to drop to
/// rejoin the word (`inter\u{AD}` / `national` → `international`). `None` elsewhere.
fn soft_hyphen_break(text: &str, pos: usize) -> Option<usize> {
    let before = text[..pos].chars().next_back()?;
    if !crate::text::chars::is_letter(before) {
        return None;
    }
    let b = text.as_bytes();
    let mut i = pos + '\u{AD}'.len_utf8();
    let blank = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    blank(&mut i);
    match b.get(i..i + 2) {
        Some(b"\r\n") => i += 2,
        _ => match b.get(i) {
            Some(b'\n' | b'\r') => i += 1,
            _ => return None,
        },
    }
    blank(&mut i);
    let after = text[i..].chars().next()?;
    crate::text::chars::is_letter(after).then_some(i - pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn norm(s: &str) -> String {
        Normalizer::new(&Config::default().normalize)
            .normalize(s)
            .text
            .into_owned()
    }

    /// The set is the library's answer for every character of the plane, in both forms.
    #[test]
    fn stable_set_equals_the_library() {
        for form in [NormForm::Nfc, NormForm::Nfkc] {
            let set = StableSet::get(form).expect("a set for a form");
            for u in 0..0x10000u32 {
                if let Some(c) = char::from_u32(u) {
                    assert_eq!(set.contains(c), Some(stable_slow(form, c)), "U+{u:04X}");
                }
            }
            assert_eq!(set.contains('\u{1D400}'), None);
        }
    }

    /// Every character some rule changes (all rules on) is one [`may_change`] stops at.
    #[test]
    fn may_change_covers_every_rule() {
        let mut cfg = Config::default().normalize;
        cfg.line_endings = true;
        cfg.controls = true;
        cfg.spaces = true;
        cfg.soft_hyphens = true;
        cfg.bom = true;
        cfg.bidi_controls = true;
        cfg.arabic_presentation_forms = true;
        cfg.ligatures = true;
        cfg.c1_as_windows_1252 = true;
        cfg.width = true;
        let n = Normalizer::new(&cfg);
        let mut changed = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            for next in [None, Some('\n'), Some('a')] {
                if !matches!(n.action(c, next), Action::Keep) {
                    changed += 1;
                    assert!(may_change(b, 0), "{c:?}");
                }
            }
        }
        assert!(changed > 1000);
    }

    /// ftfy's other fixers: C1 controls through windows-1252, terminal escapes, width.
    #[test]
    fn c1_escapes_and_width() {
        let n = Normalizer::new(&Config::default().normalize);
        let norm = |s: &str| n.normalize(s).text.into_owned();
        assert_eq!(
            norm("don\u{92}t \u{93}quoted\u{94} \u{80}5"),
            "don’t “quoted” €5"
        );
        // The five undefined bytes stay controls and are dropped.
        assert_eq!(norm("a\u{81}b\u{9D}c"), "abc");
        assert_eq!(
            norm("\u{1b}[1;31mError:\u{1b}[0m file \u{1b}[Knot found"),
            "Error: file not found"
        );
        // A lone ESC is a control; the rest stays.
        assert_eq!(norm("a\u{1b}"), "a");
        assert_eq!(norm("ＡＢＣ１２３ ｶﾞｷﾞ"), "ABC123 ガギ");
        // Full-width punctuation of CJK text is kept.
        assert_eq!(norm("你好，世界！（测试）"), "你好，世界！（测试）");
        let mut cfg = Config::default().normalize;
        cfg.c1_as_windows_1252 = false;
        cfg.terminal_escapes = false;
        cfg.width = false;
        let off = Normalizer::new(&cfg);
        assert_eq!(off.normalize("don\u{92}t ＡＢ").text, "dont ＡＢ");
        assert_eq!(off.normalize("\u{1b}[0mx").text, "[0mx");
        // Maps of an escape point back to it.
        let r = n.normalize("ab\u{1b}[31mcd");
        assert_eq!(r.text, "abcd");
        let mut range = 2..4;
        for m in &r.maps {
            range = m.range(range);
        }
        assert_eq!(range, 7..9);
    }

    /// [`find_rule`] against its byte-at-a-time definition, at every start and with every byte
    /// value in a window of constructed text.
    #[test]
    fn find_rule_equals_its_definition() {
        let mut buf =
            "Toute personne a droit\u{a0}à l’éducation.\r\n人人生而自由\u{3000}“x” ﬁn \u{ad}\t fin"
                .as_bytes()
                .to_vec();
        for pos in 0..buf.len() {
            let keep = buf[pos];
            for x in 0..=255u8 {
                buf[pos] = x;
                for i in (0..buf.len()).step_by(3) {
                    let want = (i..buf.len())
                        .find(|&k| may_change(&buf, k))
                        .unwrap_or(buf.len());
                    assert_eq!(find_rule(&buf, i), want, "{pos} {x} {i}");
                }
            }
            buf[pos] = keep;
        }
    }

    /// The fast quick check answers what the library answers, on real text of many scripts in
    /// every form (UDHR article 1 and the seeds' Arabic) and on mark sequences out of order.
    #[test]
    fn quick_check_equals_the_library() {
        let samples = [
            "Tous les êtres humains naissent libres et égaux en dignité et en droits.",
            "Tất cả mọi người sinh ra đều được tự do và bình đẳng về nhân phẩm và quyền.",
            "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।",
            "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.",
            "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.",
            "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
            "Ὅλοι οἱ ἄνθρωποι γεννιοῦνται ἐλεύθεροι 𝐀 ﬁ ｶ ½",
            "e\u{301}\u{323} e\u{323}\u{301} a\u{30A} A\u{30A}\u{300}\u{316} \u{1100}\u{1161}",
        ];
        for form in [NormForm::Nfc, NormForm::Nfkc] {
            let set = StableSet::get(form).expect("a set for a form");
            for text in samples {
                for form_of_text in [
                    text.nfc().collect::<String>(),
                    text.nfd().collect(),
                    text.nfkd().collect(),
                ] {
                    assert_eq!(
                        quick_check(set, form, &form_of_text),
                        quick_slow(form, &form_of_text),
                        "{form:?} {form_of_text:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// On arbitrary text, mixed with ASCII, combining marks and compatibility characters,
        /// the fast quick check answers what the library answers.
        #[test]
        fn quick_check_equals_the_library_on_any_text(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z .]{0,9}").unwrap(),
                    proptest::string::string_regex("[\u{300}-\u{36F}\u{591}-\u{5C7}\u{1100}-\u{11FF}]{1,4}").unwrap(),
                    proptest::string::string_regex("[\u{C0}-\u{24F}\u{F900}-\u{FB4F}\u{FF00}-\u{FFEF}]{1,4}").unwrap(),
                    proptest::prelude::any::<String>(),
                ],
                0..8,
            )
        ) {
            let text = parts.concat();
            for form in [NormForm::Nfc, NormForm::Nfkc] {
                let set = StableSet::get(form).expect("a set for a form");
                proptest::prop_assert_eq!(quick_check(set, form, &text), quick_slow(form, &text));
            }
        }
    }

    #[test]
    fn clean_text_is_borrowed() {
        let n = Normalizer::new(&Config::default().normalize);
        let r = n.normalize("plain text\nwith lines, é and ة");
        assert!(matches!(r.text, Cow::Borrowed(_)));
        assert!(r.maps.is_empty());
    }

    #[test]
    fn line_endings_and_controls() {
        assert_eq!(norm("a\r\nb\rc\u{85}d"), "a\nb\nc\nd");
        // U+009C is windows-1252's `œ` (`c1_as_windows_1252`); U+009D is undefined there.
        assert_eq!(norm("a\u{0}b\u{7}c\u{9D}d\u{0B}e\u{0C}f"), "abcd\ne\u{0C}f");
        assert_eq!(norm("c\u{9C}ur"), "cœur");
        assert_eq!(norm("tab\tkept"), "tab\tkept");
    }

    #[test]
    fn spaces_hyphens_bom_bidi() {
        assert_eq!(norm("a\u{A0}b\u{2009}c\u{3000}d"), "a b c d");
        assert_eq!(norm("inter\u{AD}national"), "international");
        // HTML character references in text without markup (what a converter left behind).
        assert_eq!(
            norm("Caf&eacute; &amp; th&#233; &#x1F600; &#146;s &euro;5"),
            "Café & thé 😀 ’s €5"
        );
        assert_eq!(
            norm("AT&T &nbsp &unknownname; & &#;"),
            "AT&T &nbsp &unknownname; & &#;"
        );
        // In markup they belong to it.
        assert_eq!(norm("<p>Caf&eacute;</p>"), "<p>Caf&eacute;</p>");
        // At a line end the line break goes too: the word is whole again.
        assert_eq!(norm("inter\u{AD}\nnational"), "international");
        assert_eq!(norm("inter\u{AD} \r\n  national law"), "international law");
        // Not between two letters: only the soft hyphen goes.
        assert_eq!(norm("page\u{AD}\n2"), "page\n2");
        assert_eq!(norm("\u{AD}\nnational"), "\nnational");
        assert_eq!(norm("\u{FEFF}x\u{FEFF}y"), "xy");
        assert_eq!(norm("\u{202B}عربي\u{202C} \u{2067}x\u{2069}"), "عربي x");
    }

    #[test]
    fn joiners_kept() {
        // Persian "mi-khaham" with ZWNJ, and a Devanagari conjunct with ZWJ.
        let fa = "می\u{200C}خواهم";
        assert_eq!(norm(fa), fa);
        let hi = "क्\u{200D}ष";
        assert_eq!(norm(hi), hi);
    }

    #[test]
    fn presentation_forms_and_ligatures() {
        // "سلام" in presentation forms, as PDF extractors emit it.
        assert_eq!(norm("\u{FEB3}\u{FEE0}\u{FE8E}\u{FEE1}"), "سلام");
        assert_eq!(norm("\u{FEFB}"), "لا");
        assert_eq!(norm("ﬁnancial ﬂow"), "financial flow");
    }

    #[test]
    fn nfc_and_nfkc() {
        assert_eq!(norm("e\u{301}te\u{301}"), "été");
        let mut cfg = Config::default().normalize;
        cfg.form = NormForm::Nfkc;
        let n = Normalizer::new(&cfg);
        assert_eq!(n.normalize("①２").text, "12");
        // Latin-1 characters with compatibility decompositions, in otherwise stable text.
        assert_eq!(n.normalize("x² ½ nº 5").text, "x2 1\u{2044}2 no 5");
    }

    #[test]
    fn maps_point_back() {
        let n = Normalizer::new(&Config::default().normalize);
        let src = "Cafe\u{301}\r\nﬁn";
        let r = n.normalize(src);
        assert_eq!(r.text, "Café\nfin");
        let back = |range: std::ops::Range<usize>| {
            let mut r2 = range;
            for m in &r.maps {
                r2 = m.range(r2);
            }
            r2
        };
        assert_eq!(&src[back(0..5)], "Cafe\u{301}");
        assert_eq!(&src[back(6..9)], "ﬁn");
    }
}
