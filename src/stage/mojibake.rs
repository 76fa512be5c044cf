//! Mojibake repair: text that was UTF-8 but was decoded with a single-byte encoding — as
//! windows-1252 or latin-1 (`â€™`, `Ã©`, `Ð¿Ñ€Ð¸Ð²ÐµÑ‚`), windows-1250 or ISO-8859-2
//! (`SlovenÄŤina`), windows-1251 (`РџСЂРёРІРµС‚`), windows-1253, windows-1254, windows-1257,
//! MacRoman, IBM437 or IBM850 — including text mis-decoded twice, decoders that kept undefined
//! bytes as C1 controls, and lossy ones that turned them into U+FFFD.
//!
//! A run of non-ASCII characters is read back into the bytes each candidate encoding (a
//! *misreading*) would have made them from; each valid UTF-8 multi-byte sequence in them is a
//! candidate repair. The measure of "clearly better" is evidence that real text does not
//! produce by chance:
//!
//! - the run is made *entirely* of two or more valid sequences (`Ð¿Ñ€Ð¸Ð²ÐµÑ‚`, `Ã©tÃ©`), or
//! - every sequence in it is *strong*: it decodes to what text in that encoding's languages is
//!   made of — for windows-1252 a Latin letter, general punctuation, a currency or letter-like
//!   symbol (`Ã©` → `é`, `â€™` → `’`); for the other Latin pages only the letters of European
//!   alphabets and common punctuation. A lone sequence decoding to another script is chance:
//!   the French `é` + no-break space + `»` is a valid UTF-8 sequence of `頻`. For the Cyrillic
//!   and Greek pages no lone sequence is evidence: their letters pair into valid sequences of
//!   their own script too often (Ukrainian `Рі` would read as `г`).
//!
//! So correct text is left alone: `NÃO` has no continuation character at all, the Czech `ÚŠ`
//! would be one lone Arabic letter, `«Ó»` one lone Cyrillic letter. The misreadings are tried in
//! a fixed order and the first that repairs a run wins; each run is repaired up to a fixed
//! point (three passes), for text mis-decoded twice.
//!
//! A U+FFFD inside a sequence stands for one of the bytes the misreading leaves undefined (a
//! lossy decoder replaced it): when exactly one of them makes a letter, a mark or punctuation
//! there, that is the repair; otherwise the sequence becomes one U+FFFD, as ftfy leaves it
//! (`SlovenÄ�ina` → `Sloven�ina`: `ā`, `č`, `ď`, `Đ` and `ĝ` all fit). Guessing by the
//! letter model was measured and rejected: it restored 6–11 % more items exactly but put a
//! wrong letter into 2–9 % of them (`eval/mojibake/`), and a wrong letter is silent where a
//! U+FFFD is flagged.
//!
//! One pass over the text looks each non-ASCII character up in a table of what it could have
//! been under every misreading (lead of a two-, three- or four-byte sequence, continuation);
//! only runs where a lead is followed by enough continuations under the same misreading are
//! read further, so correct text costs a table lookup per non-ASCII character.

use std::ops::Range;
use std::sync::OnceLock;

use crate::config::DecodeConfig;
use crate::text::spanmap::{SpanMap, SpanMapBuilder};

/// windows-1252 bytes 0x80..=0x9F; the five undefined ones decode to the C1 control itself.
pub(crate) const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Which lone sequences count as evidence under a misreading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lone {
    /// Latin letters, general punctuation, currency and letter-like symbols (windows-1252).
    Wide,
    /// The letters of European Latin alphabets and common punctuation.
    Latin,
    /// Punctuation only (the Cyrillic and Greek pages): their letters pair into valid
    /// sequences of their own script too often.
    Never,
}

/// One encoding UTF-8 may have been misread as.
struct Misreading {
    /// Its name, as `documents.jsonl` reports it.
    name: &'static str,
    /// Characters back to bytes, sorted by character (binary search).
    rev: Vec<(char, u8)>,
    /// Bytes the encoding leaves undefined (what a lossy decoder turned into U+FFFD).
    undefined: Vec<u8>,
    lone: Lone,
}

/// What a character could have been under every misreading: one bit per misreading.
#[derive(Debug, Clone, Copy, Default)]
struct Masks {
    lead2: u16,
    lead3: u16,
    lead4: u16,
    cont: u16,
    has: u16,
}

/// The misreadings and the character tables, built once.
struct Tables {
    readings: Vec<Misreading>,
    /// Masks of U+0080..U+07FF.
    low: Vec<Masks>,
    /// Masks of U+2000..U+26FF.
    mid: Vec<Masks>,
    /// Masks of the few characters above those ranges (sorted).
    rare: Vec<(char, Masks)>,
}

const MID: u32 = 0x2000;
const MID_END: u32 = 0x2700;

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

fn build_tables() -> Tables {
    use crate::stage::codepage;
    use encoding_rs::*;
    let whatwg = |e: &'static Encoding| {
        let mut high = ['\u{FFFD}'; 128];
        for (i, h) in high.iter_mut().enumerate() {
            let b = [0x80 + i as u8];
            let (s, _) = e.decode_without_bom_handling(&b);
            *h = s.chars().next().unwrap_or('\u{FFFD}');
        }
        high
    };
    let page = |cp: &codepage::CodePage| {
        let mut high = ['\u{FFFD}'; 128];
        for (i, h) in high.iter_mut().enumerate() {
            *h = cp.char_of(0x80 + i as u8);
        }
        high
    };
    let mut w1252 = whatwg(WINDOWS_1252);
    w1252[..32].copy_from_slice(&CP1252_HIGH);
    let list: Vec<(&'static str, [char; 128], Lone)> = vec![
        ("windows-1252", w1252, Lone::Wide),
        ("windows-1250", whatwg(WINDOWS_1250), Lone::Latin),
        ("ISO-8859-2", whatwg(ISO_8859_2), Lone::Latin),
        ("windows-1251", whatwg(WINDOWS_1251), Lone::Never),
        ("windows-1253", whatwg(WINDOWS_1253), Lone::Never),
        ("windows-1254", whatwg(WINDOWS_1254), Lone::Latin),
        ("windows-1257", whatwg(WINDOWS_1257), Lone::Latin),
        ("macintosh", whatwg(MACINTOSH), Lone::Latin),
        ("IBM437", page(&codepage::IBM437), Lone::Latin),
        ("IBM850", page(&codepage::IBM850), Lone::Latin),
    ];
    let readings: Vec<Misreading> = list
        .into_iter()
        .map(|(name, high, lone)| {
            let mut rev: Vec<(char, u8)> = Vec::new();
            let mut undefined = Vec::new();
            for (i, &c) in high.iter().enumerate() {
                let b = 0x80 + i as u8;
                // WHATWG decoders give the C1 control for an undefined byte of windows-125x.
                if c == '\u{FFFD}' || (c as u32 == b as u32 && (0x80..0xA0).contains(&b)) {
                    undefined.push(b);
                }
                if c != '\u{FFFD}' {
                    rev.push((c, b));
                }
            }
            if name == "windows-1252" {
                // latin-1: every U+0080..U+00FF is its own byte (C1 controls included).
                for b in 0x80..=0xFFu8 {
                    let c = char::from(b);
                    if !rev.iter().any(|&(d, _)| d == c) {
                        rev.push((c, b));
                    }
                }
            }
            rev.sort_unstable();
            rev.dedup_by_key(|x| x.0);
            Misreading {
                name,
                rev,
                undefined,
                lone,
            }
        })
        .collect();
    let mut low = vec![Masks::default(); 0x800 - 0x80];
    let mut mid = vec![Masks::default(); (MID_END - MID) as usize];
    let mut rare: Vec<(char, Masks)> = Vec::new();
    for (r, m) in readings.iter().enumerate() {
        let bit = 1u16 << r;
        for &(c, b) in &m.rev {
            let u = c as u32;
            let slot = if (0x80..0x800).contains(&u) {
                &mut low[(u - 0x80) as usize]
            } else if (MID..MID_END).contains(&u) {
                &mut mid[(u - MID) as usize]
            } else {
                match rare.iter().position(|&(d, _)| d == c) {
                    Some(i) => &mut rare[i].1,
                    None => {
                        rare.push((c, Masks::default()));
                        let last = rare.len() - 1;
                        &mut rare[last].1
                    }
                }
            };
            slot.has |= bit;
            match b {
                0x80..=0xBF => slot.cont |= bit,
                0xC2..=0xDF => slot.lead2 |= bit,
                0xE0..=0xEF => slot.lead3 |= bit,
                0xF0..=0xF4 => slot.lead4 |= bit,
                _ => {}
            }
        }
    }
    // U+FFFD stands for an undefined byte (a continuation) under the misreadings that have one.
    let lossy = readings
        .iter()
        .enumerate()
        .filter(|(_, m)| m.undefined.iter().any(|&b| b < 0xC0))
        .fold(0u16, |acc, (r, _)| acc | 1 << r);
    match rare.iter().position(|&(d, _)| d == '\u{FFFD}') {
        Some(i) => {
            rare[i].1.cont |= lossy;
            rare[i].1.has |= lossy;
        }
        None => rare.push((
            '\u{FFFD}',
            Masks {
                cont: lossy,
                has: lossy,
                ..Masks::default()
            },
        )),
    }
    rare.sort_unstable_by_key(|x| x.0);
    Tables {
        readings,
        low,
        mid,
        rare,
    }
}

impl Tables {
    /// The masks of a non-ASCII character.
    #[inline]
    fn masks(&self, c: char) -> Masks {
        self.masks_of(c as u32)
    }

    /// [`Self::masks`] of a code point.
    #[inline]
    fn masks_of(&self, u: u32) -> Masks {
        if u < 0x80 {
            return Masks::default();
        }
        if u < 0x800 {
            return self.low[(u - 0x80) as usize];
        }
        if (MID..MID_END).contains(&u) {
            return self.mid[(u - MID) as usize];
        }
        if u < self.rare.first().map_or(u32::MAX, |r| r.0 as u32) {
            return Masks::default();
        }
        self.rare
            .binary_search_by_key(&u, |r| r.0 as u32)
            .map_or(Masks::default(), |i| self.rare[i].1)
    }

    /// The byte `c` came from under misreading `r` (`None` for U+FFFD: see [`Byte::Lost`]).
    fn byte_of(&self, r: usize, c: char) -> Option<u8> {
        if c.is_ascii() {
            return Some(c as u8);
        }
        let m = &self.readings[r];
        m.rev
            .binary_search_by_key(&c, |x| x.0)
            .ok()
            .map(|i| m.rev[i].1)
    }
}

/// A byte read back from a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    Known(u8),
    /// A U+FFFD: one of the misreading's undefined bytes, lost.
    Lost,
}

/// The misreadings under which the text `b` (UTF-8) has a lead followed by as many
/// continuations as it needs: the only ones worth reading it with. One table look-up per
/// non-ASCII character, ASCII skipped eight bytes at a time: run over the whole text first, it
/// decides whether there is anything to read at all.
fn suspects(t: &Tables, b: &[u8]) -> u16 {
    let (mut p1, mut p2, mut p3) = (Masks::default(), Masks::default(), Masks::default());
    let mut sus = 0u16;
    let mut i = 0usize;
    let n = b.len();
    while i < n {
        let b0 = b[i];
        if b0 < 0x80 {
            // ASCII ends every pattern.
            p1 = Masks::default();
            p2 = Masks::default();
            p3 = Masks::default();
            i += 1;
            while i + 8 <= n {
                let mut w = [0u8; 8];
                w.copy_from_slice(&b[i..i + 8]);
                if u64::from_le_bytes(w) & 0x8080_8080_8080_8080 != 0 {
                    break;
                }
                i += 8;
            }
            continue;
        }
        // `b` is valid UTF-8: the length follows from the first byte.
        let (u, len) = if b0 < 0xE0 {
            (
                ((b0 as u32 & 0x1F) << 6) | (b.get(i + 1).map_or(0, |&x| x as u32) & 0x3F),
                2,
            )
        } else if b0 < 0xF0 {
            let b1 = b.get(i + 1).map_or(0, |&x| x as u32) & 0x3F;
            let b2 = b.get(i + 2).map_or(0, |&x| x as u32) & 0x3F;
            (((b0 as u32 & 0x0F) << 12) | (b1 << 6) | b2, 3)
        } else {
            (0x10000, 4)
        };
        let m = t.masks_of(u);
        sus |= p1.lead2 & m.cont;
        sus |= p2.lead3 & p1.cont & m.cont;
        sus |= p3.lead4 & p2.cont & p1.cont & m.cont;
        p3 = p2;
        p2 = p1;
        p1 = m;
        i += len;
    }
    sus
}

/// What a repair pass found.
#[derive(Debug)]
pub struct Repaired {
    pub text: String,
    /// From `text` back to the input of [`repair`].
    pub map: SpanMap,
    /// Ranges of `text` that were repaired.
    pub repaired: Vec<Range<usize>>,
    /// Repaired runs by the encoding the UTF-8 had been misread as, in a fixed order.
    pub by_encoding: Vec<(&'static str, usize)>,
}

/// The mojibake repair step, built once from the config (`[decode] repair_mojibake`).
#[derive(Debug, Clone)]
pub struct Repairer {
    enabled: bool,
}

impl Repairer {
    /// The step as `[decode]` configures it.
    pub fn new(cfg: &DecodeConfig) -> Repairer {
        if cfg.repair_mojibake {
            tables();
        }
        Repairer {
            enabled: cfg.repair_mojibake,
        }
    }

    /// [`repair`], when the step is enabled; `None` when it is not or there is nothing to repair.
    pub fn repair(&self, text: &str) -> Option<Repaired> {
        if self.enabled {
            repair(text)
        } else {
            None
        }
    }
}

/// Repairs mojibake in `text`; `None` when there is nothing to repair.
pub fn repair(text: &str) -> Option<Repaired> {
    if text.is_ascii() {
        return None;
    }
    let t = tables();
    if suspects(t, text.as_bytes()) == 0 {
        return None;
    }
    let first = repair_pass(t, text, &Relaxed::default());
    let scripts: Vec<Option<unicode_script::Script>> = first
        .whole
        .iter()
        .map(|w| w.filter(|&(n, _)| n >= RELAX_AFTER).map(|(_, sc)| sc))
        .collect();
    let proven = first.votes.iter().any(|&v| v >= RELAX_AFTER);
    if scripts.iter().all(Option::is_none) && !first.ambiguous && !proven {
        return first.repaired;
    }
    let votes = first.votes;
    repair_pass(t, text, &Relaxed { scripts, votes }).repaired
}

/// What one pass found.
struct Pass {
    repaired: Option<Repaired>,
    whole: WholeRuns,
    votes: Vec<usize>,
    /// Whether misreadings disagreed on some run.
    ambiguous: bool,
}

/// Per misreading: how many runs made entirely of sequences were repaired, and the script of
/// most of their letters.
type WholeRuns = Vec<Option<(usize, unicode_script::Script)>>;

/// One repair pass over `text` with the document's evidence `relaxed`.
fn repair_pass(t: &Tables, text: &str, relaxed: &Relaxed) -> Pass {
    let mut votes = vec![0usize; t.readings.len()];
    let mut ambiguous = false;
    let mut whole_runs: Vec<(usize, Vec<(unicode_script::Script, u32)>)> =
        vec![(0, Vec::new()); t.readings.len()];
    let mut out = String::new();
    let mut b = SpanMapBuilder::new();
    let mut repaired = Vec::new();
    let mut counts = vec![0usize; t.readings.len()];
    let mut copied = 0usize; // input bytes already written
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i += 1;
            continue;
        }
        // A maximal run of non-ASCII characters that have a byte under some misreading.
        let start = i;
        let mut end = i;
        for (k, c) in text[i..].char_indices() {
            if c.is_ascii() || t.masks(c).has == 0 {
                break;
            }
            end = i + k + c.len_utf8();
        }
        if end == start {
            // A non-ASCII character no misreading makes: step over it.
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        i = end;
        let run = &text[start..end];
        let sus = suspects(t, run.as_bytes());
        if sus == 0 {
            continue;
        }
        let context = word_around(text, start, end);
        let Some((mut fixed, mut pieces, r)) = fix_any(
            t,
            run,
            sus,
            context,
            relaxed,
            Some(&mut votes),
            Some(&mut ambiguous),
        ) else {
            continue;
        };
        counts[r] += 1;
        let whole_run = pieces.iter().all(|p| p.2) && pieces.len() >= 2;
        // Text mis-decoded twice (or three times) is still a run of mojibake after one repair.
        // Each layer's pieces are composed with the last ones, so the map stays exact to the
        // piece (a segment boundary inside the run still maps in order).
        for _ in 0..2 {
            let sus = suspects(t, fixed.as_bytes());
            match fix_any(t, &fixed, sus, context, relaxed, None, None) {
                Some((again, more, _)) if sus != 0 && again != fixed => {
                    fixed = again;
                    pieces = compose(&pieces, &more);
                }
                _ => break,
            }
        }
        if whole_run {
            // The script of the final repair (after every layer).
            let w = &mut whole_runs[r];
            w.0 += 1;
            count_letters(&fixed, &mut w.1);
        }
        if out.capacity() == 0 {
            out.reserve(text.len());
        }
        out.push_str(&text[copied..start]);
        b.copy(start - copied);
        let rep_start = out.len();
        out.push_str(&fixed);
        // Each repaired sequence maps to its own bytes, the rest is copied, so a segment
        // boundary inside the run (at a no-break space) still maps exactly.
        for (old_len, new_len, repaired_piece) in pieces {
            if repaired_piece {
                b.replace(old_len, new_len);
            } else {
                b.copy(old_len);
            }
        }
        repaired.push(rep_start..out.len());
        copied = end;
    }
    let whole: WholeRuns = whole_runs
        .into_iter()
        .map(|(n, scripts)| {
            let top = scripts.iter().max_by_key(|x| x.1).map(|x| x.0);
            top.filter(|_| n > 0).map(|sc| (n, sc))
        })
        .collect();
    if repaired.is_empty() {
        return Pass {
            repaired: None,
            whole,
            votes,
            ambiguous,
        };
    }
    out.push_str(&text[copied..]);
    b.copy(text.len() - copied);
    let by_encoding = t
        .readings
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(m, n)| (m.name, n))
        .collect();
    Pass {
        repaired: Some(Repaired {
            text: out,
            map: b.finish(),
            repaired,
            by_encoding,
        }),
        whole,
        votes,
        ambiguous,
    }
}

/// The word around `text[start..end]` (up to the whitespace on each side, at most 64 bytes
/// each way), for the letter model's choice of a lost byte.
fn word_around(text: &str, start: usize, end: usize) -> (&str, &str) {
    let before = &text[..start];
    let mut from = start;
    for (k, c) in before.char_indices().rev() {
        if c.is_whitespace() || start - k > 64 {
            break;
        }
        from = k;
    }
    let after = &text[end..];
    let mut to = end;
    for (k, c) in after.char_indices() {
        if c.is_whitespace() || k > 64 {
            break;
        }
        to = end + k + c.len_utf8();
    }
    (&text[from..start], &text[end..to])
}

/// A piece of a repaired run: input bytes, output bytes, and whether it was repaired (or copied).
type Piece = (usize, usize, bool);

/// Copied characters, one piece each: a later layer's repair may start at any of them, and
/// pieces that meet at every character compose without merging neighbours.
fn copy_each(cs: &[char], pieces: &mut Vec<Piece>) {
    for c in cs {
        let n = c.len_utf8();
        pieces.push((n, n, false));
    }
}

/// The pieces of two repairs one after the other: `first` maps the run to an intermediate
/// text, `second` maps that to the result. A piece of the result covers whole pieces of both
/// (pieces are merged until their boundaries meet), so nothing maps out of order.
fn compose(first: &[Piece], second: &[Piece]) -> Vec<Piece> {
    let mut out = Vec::with_capacity(second.len());
    let (mut i, mut j) = (0usize, 0usize);
    while i < first.len() || j < second.len() {
        // Grow a group from both sides until the intermediate bytes they cover are equal.
        let (mut mid_a, mut mid_b) = (0usize, 0usize);
        let (mut old, mut new, mut rep) = (0usize, 0usize, false);
        loop {
            if mid_a <= mid_b && i < first.len() {
                old += first[i].0;
                mid_a += first[i].1;
                rep |= first[i].2;
                i += 1;
            } else if j < second.len() {
                mid_b += second[j].0;
                new += second[j].1;
                rep |= second[j].2;
                j += 1;
            } else if i < first.len() {
                old += first[i].0;
                mid_a += first[i].1;
                rep |= first[i].2;
                i += 1;
            } else {
                break;
            }
            if mid_a == mid_b && mid_a > 0 {
                break;
            }
        }
        // Copied on both sides: input and output bytes are the same.
        out.push((old, new, rep));
    }
    out
}

/// The first misreading (of those in `sus`) that repairs `run`: the text, its pieces, and the
/// misreading's index.
fn fix_any(
    t: &Tables,
    run: &str,
    sus: u16,
    context: (&str, &str),
    relaxed: &Relaxed,
    votes: Option<&mut Vec<usize>>,
    ambiguous: Option<&mut bool>,
) -> Option<(String, Vec<Piece>, usize)> {
    let mut found: Vec<(String, Vec<Piece>, usize)> = (0..t.readings.len())
        .filter(|r| sus & (1 << r) != 0)
        .filter_map(|r| fix_run(t, r, run, context, relaxed).map(|(s, p)| (s, p, r)))
        .collect();
    if let Some(v) = votes {
        for f in &found {
            v[f.2] += 1;
        }
    }
    found.dedup_by(|a, b| a.0 == b.0);
    if found.len() <= 1 {
        return found.pop();
    }
    if let Some(a) = ambiguous {
        *a = true;
    }
    // Before all, the repairs that leave the fewest bytes of the run as they were
    // (windows-1252 repairs all of `â€™Ä�`, windows-1257 only its `Ä�`).
    let left = |f: &(String, Vec<Piece>, usize)| -> usize {
        f.1.iter().filter(|p| !p.2).map(|p| p.0).sum()
    };
    let fewest = found.iter().map(left).min().unwrap_or(0);
    found.retain(|f| left(f) == fewest);
    if found.len() == 1 {
        return found.pop();
    }
    if !relaxed.votes.is_empty() {
        let top = found.iter().map(|f| relaxed.votes[f.2]).max().unwrap_or(0);
        found.retain(|f| relaxed.votes[f.2] == top);
        if found.len() == 1 {
            return found.pop();
        }
    }
    // Misreadings that disagree (windows-1250 and ISO-8859-2 give `ť` and `š` for the same
    // `Ĺ„`): the repair whose word the letter model reads best, the first of equals.
    // First the share of repaired letters the misreading's own page has (its languages'
    // text), then the letter model.
    let foreign = |f: &(String, Vec<Piece>, usize)| {
        f.0.chars()
            .filter(|&c| !c.is_ascii() && t.byte_of(f.2, c).is_none())
            .count() as f32
    };
    let best = found
        .iter()
        .enumerate()
        .map(|(i, f)| (foreign(f) * 100.0 + word_cost(&f.0, context), i))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map_or(0, |x| x.1);
    Some(found.swap_remove(best))
}

/// Adds the letters of `text` to `counts`, by script (a short list: a repair has one or two).
fn count_letters(text: &str, counts: &mut Vec<(unicode_script::Script, u32)>) {
    for c in text.chars() {
        if let Some(sc) = crate::text::chars::letter_script(c) {
            match counts.iter_mut().find(|x| x.0 == sc) {
                Some(x) => x.1 += 1,
                None => counts.push((sc, 1)),
            }
        }
    }
}

/// The letter model's cost of `fixed` in its word (bits: excess transitions plus unseen
/// trigrams), in the script of most of its letters.
fn word_cost(fixed: &str, context: (&str, &str)) -> f32 {
    use crate::stage::script::garbled;
    let mut word = String::with_capacity(fixed.len() + context.0.len() + context.1.len());
    word.push_str(context.0);
    word.push_str(fixed);
    word.push_str(context.1);
    let mut counts = Vec::new();
    count_letters(fixed, &mut counts);
    let Some(script) = counts.iter().max_by_key(|x| x.1).map(|x| x.0) else {
        return f32::INFINITY;
    };
    let n = word.chars().count() as u32;
    let ev = garbled::model().evidence_counted(&word, script.short_name(), n, 0, false);
    let letters = ev.letters as f32;
    // Letters of another script than the word's cost as unseen trigrams.
    let off: u32 = counts.iter().filter(|x| x.0 != script).map(|x| x.1).sum();
    ev.excess_bits * letters + 6.0 * ev.unseen * letters + 6.0 * off as f32
}

/// The second pass's evidence from the document: for each misreading, the script that runs
/// made entirely of sequences decoded to, when the first pass repaired at least
/// [`RELAX_AFTER`] such runs. A part of a run that is one whole sequence decoding to a letter
/// of that script is then repaired too (`Ð¸`, the Russian `и`, among repaired Russian words).
#[derive(Debug, Default)]
struct Relaxed {
    scripts: Vec<Option<unicode_script::Script>>,
    /// Per misreading, the runs of the first pass it could repair: where misreadings
    /// disagree on a run, the document's most frequent one wins.
    votes: Vec<usize>,
}

/// Whole-run repairs of one misreading after which its lone sequences are repaired too.
const RELAX_AFTER: usize = 2;

/// Repairs one run of characters under misreading `r`, or `None` when the evidence is not
/// clear. Also returns the pieces of the run in order: (input bytes, output bytes, repaired or
/// copied). Characters the misreading has no byte for split the run into parts, each read on
/// its own.
fn fix_run(
    t: &Tables,
    r: usize,
    run: &str,
    context: (&str, &str),
    relaxed: &Relaxed,
) -> Option<(String, Vec<Piece>)> {
    let m = &t.readings[r];
    let chars: Vec<char> = run.chars().collect();
    let read: Vec<Option<Byte>> = chars
        .iter()
        .map(|&c| match t.byte_of(r, c) {
            Some(b) => Some(Byte::Known(b)),
            None if c == '\u{FFFD}' && !m.undefined.is_empty() => Some(Byte::Lost),
            None => None,
        })
        .collect();
    let utf8_len = |cs: &[char]| cs.iter().map(|c| c.len_utf8()).sum::<usize>();
    let mut out = String::with_capacity(run.len());
    let mut pieces: Vec<Piece> = Vec::new();
    let mut any = false;
    let mut k = 0usize;
    while k < chars.len() {
        let part_start = k;
        while k < chars.len() && read[k].is_some() {
            k += 1;
        }
        let part = &read[part_start..k];
        let seqs = if part.is_empty() {
            Vec::new()
        } else {
            let bytes: Vec<Byte> = part.iter().flatten().copied().collect();
            find_sequences(t, r, &bytes)
        };
        let covered: usize = seqs.iter().map(|s| s.end - s.start).sum();
        // A run made entirely of sequences is evidence only when they decode to text: letters
        // and punctuation, not marks or modifiers (Ukrainian `ЦІЛІ` read as windows-1251 would
        // be a Hebrew point and a modifier letter).
        // A combining mark is text after a repaired letter (decomposed Vietnamese `ơ` + acute).
        // Punctuation and spaces at the edges of a run (`\u{a0}РџСЂРёРІРµС‚`, `Ã©tÃ©»`) are
        // not part of it.
        let inner = match (seqs.first(), seqs.last()) {
            (Some(a), Some(z)) => {
                let cs = &chars[part_start..k];
                cs[..a.start]
                    .iter()
                    .chain(&cs[z.end..])
                    .all(|c| !c.is_alphanumeric())
                    && covered == z.end - a.start
            }
            _ => false,
        };
        let whole = inner
            && seqs.len() >= 2
            && seqs.iter().enumerate().all(|(i, s)| {
                plausible(t, r, s.ch)
                    || s.ch == '\u{FFFD}'
                    || (matches!(s.ch as u32, 0x300..=0x36F)
                        && i > 0
                        && seqs[i - 1].end == s.start
                        && seqs[i - 1].ch.is_alphabetic())
            });
        // A repaired letter of another case than the ASCII letters around it is chance
        // (`MĂŞTI` is no `MêTI`).
        // Under a Latin page other than windows-1252 the text was in that page's languages:
        // a lone repair gives a letter the page has (ISO-8859-2's `Ĺˇ` is no `ŷ`).
        // In a document where this misreading repaired runs before, any letter will do.
        let proven = relaxed.votes.get(r).is_some_and(|&v| v >= RELAX_AFTER);
        let case_ok = |ch: char| {
            m.lone == Lone::Wide
                || (case_agrees(ch, context)
                    && (proven || !ch.is_alphabetic() || t.byte_of(r, ch).is_some()))
        };
        // A combining mark right after an ASCII letter is decomposed text (`coÌ\u{81}` is
        // `có`); anywhere else it is chance (`ÍŠ` is no U+034A).
        let after_letter =
            part_start == 0 && context.0.ends_with(|c: char| c.is_ascii_alphabetic());
        let nfd_mark = |s: &Seq| {
            m.lone == Lone::Wide
                && s.start == 0
                && after_letter
                && matches!(s.ch as u32, 0x300..=0x328)
        };
        // Under the other Latin pages, a letter and the punctuation after it at the end of a
        // word are text (Romanian `COMANDĂ”` is no `COMANDÔ`).
        let word_ends = k == chars.len() && !context.1.starts_with(|c: char| c.is_alphanumeric());
        let edge_punct = |s: &Seq| {
            m.lone == Lone::Latin
                && s.end == part.len()
                && word_ends
                && s.end - s.start == 2
                && chars[part_start + s.start].is_alphabetic()
                && is_closing(chars[part_start + s.end - 1])
        };
        let lone_ok = seqs
            .iter()
            .all(|s| (s.strong && case_ok(s.ch) && !edge_punct(s)) || nfd_mark(s));
        let relaxed_ok = covered == part.len()
            && seqs.len() == 1
            && relaxed.scripts.get(r).copied().flatten().is_some_and(|sc| {
                seqs[0].ch.is_alphabetic()
                    && crate::text::chars::letter_script(seqs[0].ch) == Some(sc)
            });
        let evident = !seqs.is_empty() && (whole || lone_ok || relaxed_ok);
        let cs = &chars[part_start..k];
        if evident {
            any = true;
            let mut j = 0usize;
            for s in &seqs {
                if s.start > j {
                    out.extend(&cs[j..s.start]);
                    copy_each(&cs[j..s.start], &mut pieces);
                }
                out.push(s.ch);
                pieces.push((utf8_len(&cs[s.start..s.end]), s.ch.len_utf8(), true));
                j = s.end;
            }
            if j < cs.len() {
                out.extend(&cs[j..]);
                copy_each(&cs[j..], &mut pieces);
            }
        } else if !cs.is_empty() {
            out.extend(cs);
            copy_each(cs, &mut pieces);
        }
        // The character without a byte under this misreading is copied.
        if k < chars.len() {
            out.push(chars[k]);
            let n = chars[k].len_utf8();
            pieces.push((n, n, false));
            k += 1;
        }
    }
    any.then_some((out, pieces))
}

struct Seq {
    start: usize,
    end: usize,
    ch: char,
    strong: bool,
}

/// Whether `ch`, decoded from a lone sequence, is evidence under `lone`.
fn is_strong(lone: Lone, ch: char) -> bool {
    let u = ch as u32;
    match lone {
        // What Western mojibake decodes to: Latin letters, general punctuation, currency and
        // letter-like symbols (’ “ ” — … € ™).
        Lone::Wide => matches!(u,
            0xA0..=0x24F | 0x1E00..=0x1EFF | 0x2000..=0x206F | 0x20A0..=0x20CF | 0x2100..=0x214F),
        Lone::Latin => {
            matches!(u, 0xA0..=0x17F | 0x218..=0x21B | 0x1E00..=0x1EFF | 0x2000..=0x205E
                | 0x20AC | 0x2122)
                && u != 0xD7
                && u != 0xF7
        }
        // Punctuation only: a Cyrillic or Greek letter before `Ђ”` or `«` is no text.
        Lone::Never => matches!(u, 0x2010..=0x205E | 0xA0 | 0xAB | 0xBB | 0x20AC | 0x2116),
    }
}

/// Whether the case of `ch` agrees with the ASCII letters of its word: a lower-case letter
/// between upper-case ones (or the reverse, but at the start of the word) is no repair.
fn case_agrees(ch: char, context: (&str, &str)) -> bool {
    let letters = context
        .0
        .chars()
        .rev()
        .take(2)
        .chain(context.1.chars().take(2))
        .filter(|c| c.is_ascii_alphabetic());
    let (mut upper, mut lower) = (0, 0);
    for c in letters {
        if c.is_ascii_uppercase() {
            upper += 1;
        } else {
            lower += 1;
        }
    }
    if ch.is_lowercase() {
        !(upper > 0 && lower == 0)
    } else if ch.is_uppercase() {
        // A capital is fine at the start of a word (`Ďábel`), not after small letters.
        !context
            .0
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_lowercase())
    } else {
        true
    }
}

/// Punctuation that closes a word: what follows a real final letter.
fn is_closing(c: char) -> bool {
    matches!(c, '”' | '’' | '»' | '›' | '…' | '–' | '—' | '"' | '\'')
}

/// Whether a decoded character is text: a letter, a digit, a mark of a script written with
/// marks (Devanagari vowel signs, Thai, Arabic harakat), punctuation or a common symbol, or a
/// C1 control (a lower layer of sloppy mojibake); not a Latin combining mark, a spacing
/// modifier or a Hebrew point, which a pair of real letters decodes to by chance.
fn plausible(t: &Tables, r: usize, ch: char) -> bool {
    let u = ch as u32;
    if matches!(u, 0x300..=0x36F | 0x591..=0x5C7) {
        return false;
    }
    // Spacing modifiers (`ˆ`, `˜`) only as a lower layer: when the page has them.
    if (0x2C2..=0x2FF).contains(&u) {
        return t.byte_of(r, ch).is_some();
    }
    ch.is_alphanumeric()
        || unicode_normalization::char::is_combining_mark(ch)
        || matches!(u, 0x80..=0xBF | 0xD7 | 0xF7 | 0x2000..=0x206F | 0x20A0..=0x20CF
            | 0x2100..=0x214F | 0x2190..=0x21FF | 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

/// Whether `ch` is a letter an alphabet of the misreading's languages has (the candidates for
/// a lost byte).
fn is_alphabet_letter(ch: char) -> bool {
    let u = ch as u32;
    matches!(u, 0xC0..=0x17F | 0x218..=0x21B | 0x370..=0x3FF | 0x400..=0x45F | 0x490..=0x4FF
        | 0x1E00..=0x1EFF)
        && ch.is_alphabetic()
}

/// Valid UTF-8 multi-byte sequences in `bytes` (all non-ASCII), `chars` being the characters
/// they were read from.
fn find_sequences(t: &Tables, r: usize, bytes: &[Byte]) -> Vec<Seq> {
    let m = &t.readings[r];
    let mut seqs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Byte::Known(lead) = bytes[i] else {
            i += 1;
            continue;
        };
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        if len > 0 && i + len <= bytes.len() {
            let lost = bytes[i..i + len]
                .iter()
                .filter(|&&b| b == Byte::Lost)
                .count();
            let decoded = match lost {
                0 => {
                    let raw: Vec<u8> = bytes[i..i + len]
                        .iter()
                        .map(|b| match b {
                            Byte::Known(x) => *x,
                            Byte::Lost => 0,
                        })
                        .collect();
                    // A C1 control is what a lower layer of sloppy mojibake kept of an
                    // undefined byte (`ÑÂ\u{81}` is `Ñ\u{81}` is `с`): a sequence, though
                    // never a strong one.
                    decode_one(&raw).filter(|&ch| {
                        (!ch.is_control() || ('\u{80}'..='\u{9F}').contains(&ch))
                            && ch != '\u{FFFD}'
                    })
                }
                1 => {
                    let mut options = lost_byte(m, &bytes[i..i + len]);
                    match options.len() {
                        0 => None,
                        1 => options.pop(),
                        _ => Some('\u{FFFD}'),
                    }
                }
                _ => None,
            };
            if let Some(ch) = decoded {
                let strong = is_strong(m.lone, ch) || (ch == '\u{FFFD}' && m.lone != Lone::Never);
                seqs.push(Seq {
                    start: i,
                    end: i + len,
                    ch,
                    strong,
                });
                i += len;
                continue;
            }
        }
        i += 1;
    }
    seqs
}

/// The one character of a valid UTF-8 sequence.
fn decode_one(raw: &[u8]) -> Option<char> {
    let s = std::str::from_utf8(raw).ok()?;
    let mut it = s.chars();
    let ch = it.next()?;
    it.next().is_none().then_some(ch)
}

/// The letters a sequence with one lost byte can be: the misreading's undefined bytes that
/// make a letter of an alphabet there.
fn lost_byte(m: &Misreading, seq: &[Byte]) -> Vec<char> {
    let mut options: Vec<char> = Vec::new();
    for &u in &m.undefined {
        let raw: Vec<u8> = seq
            .iter()
            .map(|b| match b {
                Byte::Known(x) => *x,
                Byte::Lost => u,
            })
            .collect();
        if let Some(ch) = decode_one(&raw) {
            let punct = matches!(ch as u32, 0x2010..=0x2027 | 0x2030..=0x205E);
            let mark = unicode_normalization::char::is_combining_mark(ch);
            if (is_alphabet_letter(ch) || punct || mark) && !options.contains(&ch) {
                options.push(ch);
            }
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        repair(s).map(|r| r.text).unwrap_or_else(|| s.to_string())
    }

    /// UTF-8 bytes of `s` read as windows-1252 (what a wrong decoder produces).
    fn garble(s: &str) -> String {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(s.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn repairs_common_mojibake() {
        assert_eq!(fix("donâ€™t stop"), "don’t stop");
        assert_eq!(fix(&garble("été à Paris")), "été à Paris");
        assert_eq!(fix("Ã©tÃ©"), "été");
        let ru = "Всеобщая декларация прав человека";
        assert_eq!(fix(&garble(ru)), ru);
        let ja = "すべての人間は、生まれながらにして自由";
        assert_eq!(fix(&garble(ja)), ja);
    }

    #[test]
    fn repairs_double_mojibake() {
        let once = garble("l’homme — naïve");
        let twice = garble(&once);
        assert_eq!(fix(&twice), "l’homme — naïve");
        let r = repair(&twice).unwrap();
        assert!(!r.repaired.is_empty());
        // The map still covers the whole input, and each character maps in order.
        assert_eq!(r.map.range(0..r.text.len()), 0..twice.len());
        let mut last = 0;
        for (i, c) in r.text.char_indices() {
            let m = r.map.range(i..i + c.len_utf8());
            assert!(m.start >= last, "{c:?} at {i} maps to {m:?}, before {last}");
            last = m.end;
        }
        // A boundary between layers' pieces still maps exactly (each letter to its bytes).
        let r = repair(&garble(&garble("été"))).unwrap();
        assert_eq!(r.text, "été");
        assert_eq!(r.map.range(0..2), 0..8);
    }

    #[test]
    fn leaves_correct_text_alone() {
        for s in [
            "NÃO, IRMÃOS, São Paulo, ação",
            "ÚŠTĚ nad Labem",
            "Ça coûte 5 € — « très » cher ; voilà…",
            "Grüße aus Köln, Straße",
            "Ωραία μέρα",
            "مرحبا بالعالم",
            "«Ó»",
            "le « mode dégradé\u{a0}» et « Sécurité\u{a0}»",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }

    /// UTF-8 bytes of `s` read as `enc` (WHATWG decoders give the C1 control for an undefined
    /// byte, as sloppy decoders do).
    fn garble_as(s: &str, enc: &'static encoding_rs::Encoding) -> String {
        enc.decode_without_bom_handling(s.as_bytes()).0.into_owned()
    }

    /// The same, undefined bytes lost as U+FFFD (a lossy decoder).
    fn garble_lossy(s: &str, enc: &'static encoding_rs::Encoding) -> String {
        garble_as(s, enc)
            .chars()
            .map(|c| {
                if ('\u{80}'..='\u{9F}').contains(&c) {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect()
    }

    /// UDHR article 1 (real text, from tests/data/udhr) in languages of every misreading.
    const ARTICLE_1: &[(&str, &str)] = &[
        (
            "ces",
            "Všichni lidé rodí se svobodní a sobě rovní co do důstojnosti a práv.",
        ),
        (
            "pol",
            "Wszyscy ludzie rodzą się wolni i równi pod względem swej godności i swych praw.",
        ),
        (
            "rus",
            "Все люди рождаются свободными и равными в своем достоинстве и правах.",
        ),
        (
            "ukr",
            "Всі люди народжуються вільними і рівними у своїй гідності та правах.",
        ),
        (
            "ell",
            "Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι στην αξιοπρέπεια και τα δικαιώματα.",
        ),
        (
            "tur",
            "Bütün insanlar hür, haysiyet ve haklar bakımından eşit doğarlar.",
        ),
        (
            "lit",
            "Visi žmonės gimsta laisvi ir lygūs savo orumu ir teisėmis.",
        ),
        (
            "fra",
            "Tous les êtres humains naissent libres et égaux en dignité et en droits.",
        ),
    ];

    /// Every language misread as windows-1252 (the common case), and as the pages of its own
    /// region (what a reader with that locale's default makes of it).
    #[test]
    fn repairs_every_misreading() {
        use encoding_rs::*;
        let regional: &[(&str, &[&'static Encoding])] = &[
            ("ces", &[WINDOWS_1250, ISO_8859_2]),
            ("pol", &[WINDOWS_1250, ISO_8859_2]),
            ("rus", &[WINDOWS_1251]),
            ("ukr", &[WINDOWS_1251]),
            ("ell", &[WINDOWS_1253]),
            ("tur", &[WINDOWS_1254]),
            ("lit", &[WINDOWS_1257]),
            ("fra", &[MACINTOSH]),
        ];
        for (lang, s) in ARTICLE_1 {
            let own = regional
                .iter()
                .find(|r| r.0 == *lang)
                .map_or(&[][..], |r| r.1);
            for &enc in std::iter::once(&WINDOWS_1252).chain(own) {
                let g = garble_as(s, enc);
                assert_eq!(fix(&g), *s, "{lang} read as {}: {g}", enc.name());
            }
        }
        for cp in [
            &crate::stage::codepage::IBM437,
            &crate::stage::codepage::IBM850,
        ] {
            let s = ARTICLE_1[7].1;
            let mut g = String::new();
            cp.decode_into(s.as_bytes(), &mut g);
            assert_eq!(fix(&g), s, "fra read as {}: {g}", cp.name);
        }
    }

    #[test]
    fn repairs_lossy_decoding() {
        // A lost 0x8D (č, but ā, ď, Đ and ĝ fit too) and a lost 0x81 (с, or э, я): the byte
        // stays lost, the rest is repaired.
        assert_eq!(fix("SlovenÄ\u{FFFD}ina"), "Sloven\u{FFFD}ina");
        assert_eq!(
            fix("Ð±ÑŠÐ»Ð³Ð°Ñ€Ñ\u{FFFD}ÐºÐ¸ ÐµÐ·Ð¸Ðº"),
            "българ\u{FFFD}ки език"
        );
        // windows-1251 leaves one byte undefined (0x98): a lost byte there is exactly known.
        let ru = "Исполнительный комитет";
        let lossy = garble_lossy(ru, encoding_rs::WINDOWS_1251);
        assert!(lossy.contains('\u{FFFD}'), "{lossy}");
        assert_eq!(fix(&lossy), ru);
        let ru = "Все люди рождаются свободными и равными в своем достоинстве и правах.";
        let lossy = garble_lossy(ru, encoding_rs::WINDOWS_1252);
        assert!(lossy.contains('\u{FFFD}'));
        let fixed = fix(&lossy);
        // Every lost byte is either chosen right or left as U+FFFD, never a wrong letter.
        assert_eq!(fixed.chars().count(), ru.chars().count(), "{fixed}");
        for (a, b) in fixed.chars().zip(ru.chars()) {
            assert!(a == b || a == '\u{FFFD}', "{fixed}");
        }
    }

    #[test]
    fn leaves_real_text_of_every_alphabet_alone() {
        for (_, s) in ARTICLE_1 {
            assert_eq!(fix(s), *s);
        }
        for s in [
            "Різдво, Січень, Сільський, Ні, її, ґанок, Рік, Рівне",
            "Її, Єва, Ґрунт, РІК, ЇЖАК, СІЧЕНЬ",
            "Љубав, Њива, Ђак, Ћерка, Џеп, ОЈ, ЈУГ",
            "Её всё ещё, ЁЛКА",
            "Își, ÎŞI, Ăsta, MĂŞTI, ÎNVĂŢĂMÂNT",
            "ŘÍŠE, ČŠ, ÚŠTĚ, Ďábel, Šťastný, pół, ŁĄKA",
            "ΆΈΉΊΌΎΏ, Άλλα",
        ] {
            assert_eq!(fix(s), s, "{s}");
        }
    }

    #[test]
    fn reports_repairs_by_encoding() {
        let text = format!(
            "{} {}",
            garble_as("Všichni lidé", encoding_rs::WINDOWS_1250),
            garble_as("Все люди", encoding_rs::WINDOWS_1251)
        );
        let r = repair(&text).unwrap();
        assert_eq!(r.text, "Všichni lidé Все люди");
        assert_eq!(
            r.by_encoding,
            vec![("windows-1250", 2), ("windows-1251", 2)]
        );
    }

    /// [`suspects`] decodes the bytes itself; the same scan one `char` at a time is its
    /// definition.
    #[test]
    fn suspects_equals_its_definition() {
        let t = tables();
        let by_chars = |text: &str| {
            let (mut p1, mut p2, mut p3) = (Masks::default(), Masks::default(), Masks::default());
            let mut sus = 0u16;
            for c in text.chars() {
                let m = t.masks(c);
                sus |= p1.lead2 & m.cont;
                sus |= p2.lead3 & p1.cont & m.cont;
                sus |= p3.lead4 & p2.cont & p1.cont & m.cont;
                (p3, p2, p1) = (p2, p1, m);
            }
            sus
        };
        for (_, s) in ARTICLE_1 {
            for enc in [
                encoding_rs::WINDOWS_1252,
                encoding_rs::WINDOWS_1250,
                encoding_rs::WINDOWS_1251,
            ] {
                let g = garble_as(s, enc);
                assert_ne!(suspects(t, g.as_bytes()), 0, "{g}");
                assert_eq!(suspects(t, g.as_bytes()), by_chars(&g), "{g}");
            }
            assert_eq!(suspects(t, s.as_bytes()), by_chars(s), "{s}");
        }
    }

    #[test]
    fn map_and_ranges() {
        let s = "a Ã© b";
        let r = repair(s).unwrap();
        assert_eq!(r.text, "a é b");
        assert_eq!(r.repaired, vec![2..4]);
        assert_eq!(r.map.range(2..4), 2..6);
        assert_eq!(r.map.range(5..6), 7..8);
    }
}
