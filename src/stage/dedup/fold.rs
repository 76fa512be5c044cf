//! The folding of a segment into its dedup key, and its tokens, in one pass over the text.
//!
//! The folded key is defined word by word (words between ASCII whitespace, a boundary NFKC never
//! crosses), by one of three paths chosen by the word's characters:
//!
//! * an ASCII word: its letters and digits, lower-cased;
//! * a word made only of characters NFKC leaves alone whatever surrounds them, and of inert
//!   punctuation ([`nfkc_stable`], [`inert_punctuation`]): each character folded on its own;
//! * any other word: its NFKC form, lower-cased, letters and digits kept, whitespace a break.
//!
//! This module computes exactly that, faster: ASCII text is folded byte by byte, speculatively
//! (a word that turns out not to be ASCII is rolled back and folded again by the general path);
//! the per-character facts (lower case, letter or digit, NFKC quick check, combining class) of
//! the Basic Multilingual Plane come from a table built once; a word whose NFKC quick check says
//! *yes* is already NFKC and skips normalization. The tokens (words of scripts written with
//! spaces, single characters of scripts written without) are cut and hashed as the folded
//! characters are written, without a second scan.

use std::sync::OnceLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The seed of the tokens' xxh3.
const TOKEN_SEED: u64 = 0x746F_6B65_6E21_0001;

/// Characters that NFKC leaves alone whatever surrounds them: base letters with combining class
/// 0, quick-check Yes, no compatibility decomposition, and never the second of a composition.
/// A text made only of these is NFKC already; anything else goes to the full quick check.
fn nfkc_stable(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x9F | 0xC0..=0x131 | 0x134..=0x13E | 0x141..=0x148 | 0x14A..=0x17E
        | 0x180..=0x1C3 | 0x1CD..=0x1F0 | 0x1F4..=0x2AF | 0x388..=0x3CE | 0x400..=0x482
        | 0x48A..=0x52F | 0x531..=0x556 | 0x561..=0x586 | 0x5D0..=0x5EA | 0x620..=0x64A
        | 0x671..=0x674 | 0x679..=0x6D3 | 0x905..=0x939 | 0xE01..=0xE30 | 0x3041..=0x3096
        | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3)
}

/// General and CJK punctuation, spaces and format characters: never composed with a neighbour,
/// and folded by NFKC to a space or to punctuation that the key drops. `Some(true)` for spaces.
fn inert_punctuation(c: char) -> Option<bool> {
    match c as u32 {
        0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000 => Some(true),
        0x200B..=0x2027 | 0x202A..=0x202E | 0x2030..=0x205E | 0x2060..=0x206F => Some(false),
        0x3001..=0x3004 | 0x3008..=0x3020 | 0x3030 | 0x303D..=0x303F => Some(false),
        0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 => Some(false),
        _ => None,
    }
}

/// Lower case of a character in the stable ranges: table-free for Latin-1, Greek and Cyrillic
/// capitals, itself for scripts without case, the standard mapping otherwise.
fn fast_lower(c: char) -> char {
    let u = c as u32;
    let l = match u {
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        0x391..=0x3A9 if u != 0x3A2 => u + 0x20,
        0x410..=0x42F => u + 0x20,
        0x400..=0x40F => u + 0x50,
        _ if caseless_letter(c) || c.is_lowercase() => u,
        _ => return c.to_lowercase().next().unwrap_or(c),
    };
    char::from_u32(l).unwrap_or(c)
}

/// Letters of scripts without case: alphanumeric, and their own lower case.
fn caseless_letter(c: char) -> bool {
    matches!(c as u32,
        0x5D0..=0x5EA | 0x620..=0x64A | 0x671..=0x6D3 | 0x905..=0x939 | 0xE01..=0xE30
        | 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3)
}

/// Whether `c` belongs to a script written without spaces between words, where shingles are
/// made of characters rather than words.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x0F00..=0x0FFF   // Tibetan
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x19E0..=0x19FF   // Khmer symbols
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x31F0..=0x31FF   // Katakana extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

// One entry per character of the Basic Multilingual Plane: its lower case `lc` (when it is one
// character) in the low 16 bits, as an offset from the character (a 16-bit two's complement), and
// these flags.
/// Written as itself, a letter or digit that continues the token, by every path the word can
/// take (stable: [`SAME`]; either way not numeric, not of a script written without spaces). The
/// NFKC quick check and the combining class still count for the word.
const COPY: u32 = 1 << 16;
/// Written as `lc` (not itself), a letter or digit, by every path the word can take, on the same
/// conditions as [`COPY`].
const LOWER: u32 = 1 << 17;
/// Written as nothing, and no break, by every path the word can take.
const DROP: u32 = 1 << 18;
/// A letter of a script written without spaces, written as `lc` and a token of its own, by every
/// path the word can take.
const UNSP: u32 = 1 << 19;
/// `to_lowercase` is not exactly one character, or that character is too far for the offset.
const MULTI: u32 = 1 << 21;
/// `lc` is a letter or a digit.
const ALNUM: u32 = 1 << 22;
/// `lc` is whitespace.
const WS: u32 = 1 << 23;
/// NFKC quick check Maybe (alone).
const QC_MAYBE: u32 = 1 << 24;
/// NFKC quick check No.
const QC_NO: u32 = 1 << 25;
/// Stable or inert: the character allows the second path.
const STABLE: u32 = 1 << 26;
/// Inert punctuation.
const INERT: u32 = 1 << 27;
/// Inert space.
const INERT_WS: u32 = 1 << 28;
/// Stable, but its lower case on the second path is not `lc`.
const OWN_LOWER: u32 = 1 << 29;
/// Stable, and folded the same by the second path and by the NFKC path (when the word is NFKC).
const SAME: u32 = 1 << 30;
/// A letter that every path writes as itself, on its own, whatever surrounds it: stable, its own
/// lower case on both paths, a letter or digit on both, NFKC (quick check Yes, combining class
/// 0), not numeric (so `fold_digits` leaves it alone) and not of a script written without
/// spaces (so it does not end a token). A run of them is copied as it is.
const IDENTITY: u32 = 1 << 31;
const LC: u32 = 0xFFFF;

/// The one-character lower case of `c` held by its entry `e` (when not [`MULTI`]).
#[inline(always)]
fn lc_of(c: char, e: u32) -> char {
    let offset = (e & LC) as u16 as i16 as i32;
    char::from_u32((c as u32).wrapping_add(offset as u32)).unwrap_or(c)
}

struct Table {
    info: Box<[u32]>,
    ccc: Box<[u8]>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut info = vec![0u32; 0x10000].into_boxed_slice();
        let mut ccc = vec![0u8; 0x10000].into_boxed_slice();
        for (u, (e, cc)) in info.iter_mut().zip(ccc.iter_mut()).enumerate() {
            let Some(c) = char::from_u32(u as u32) else {
                continue;
            };
            *e = entry(c);
            *cc = canonical_combining_class(c);
        }
        Table { info, ccc }
    })
}

/// The table entry of `c`, for any character (the table holds those of the BMP).
fn entry(c: char) -> u32 {
    let mut e = 0;
    let lc = if c.to_lowercase().count() == 1 {
        c.to_lowercase().next().unwrap_or(c)
    } else {
        e |= MULTI;
        c
    };
    match i16::try_from(lc as i64 - c as i64) {
        Ok(offset) => e |= offset as u16 as u32,
        // Left to the paths that ask `to_lowercase` again.
        Err(_) => e |= MULTI,
    }
    if crate::text::chars::is_letter_or_digit(lc) {
        e |= ALNUM;
    }
    if lc.is_whitespace() {
        e |= WS;
    }
    match is_nfkc_quick(std::iter::once(c)) {
        IsNormalized::Yes => {}
        IsNormalized::Maybe => e |= QC_MAYBE,
        IsNormalized::No => e |= QC_NO,
    }
    if let Some(ws) = inert_punctuation(c) {
        e |= STABLE | INERT;
        if ws {
            e |= INERT_WS;
        }
    } else if nfkc_stable(c) {
        e |= STABLE;
        if e & MULTI != 0 || fast_lower(c) != lc {
            e |= OWN_LOWER;
        }
    }
    if e & STABLE != 0 && e & MULTI == 0 {
        // What each path writes: (letter or digit, the character or whether a break).
        let second = match inert_punctuation(c) {
            Some(ws) => (false, None, ws),
            None if matches!(c, '×' | '÷' | '\u{482}') => (false, None, false),
            None => (true, Some(fast_lower(c)), false),
        };
        let alnum = e & ALNUM != 0;
        let nfkc = (alnum, alnum.then_some(lc), !alnum && e & WS != 0);
        if second == nfkc {
            e |= SAME;
        }
    }
    if e & (STABLE | INERT | SAME | OWN_LOWER | QC_NO | QC_MAYBE | ALNUM) == STABLE | SAME | ALNUM
        && lc == c
        && canonical_combining_class(c) == 0
        && !unspaced(c)
        && !c.is_numeric()
        && !matches!(c, '×' | '÷' | '\u{482}')
    {
        e |= IDENTITY;
    }
    // What the character writes on its own: the second path's form for a stable character (when
    // the NFKC path's is the same), the NFKC path's for the others.
    let written = if e & MULTI != 0 || (e & STABLE != 0 && e & SAME == 0) {
        None
    } else if e & STABLE != 0 {
        match inert_punctuation(c) {
            Some(ws) => Some((' ', false, ws)),
            None => Some((fast_lower(c), !matches!(c, '×' | '÷' | '\u{482}'), false)),
        }
    } else {
        Some((lc, e & ALNUM != 0, e & WS != 0))
    };
    match written {
        Some((_, false, false)) => e |= DROP,
        Some((w, true, _)) if !w.is_numeric() && w == lc => {
            if unspaced(w) && !w.is_ascii() {
                e |= UNSP;
            } else if w == c {
                e |= COPY;
            } else {
                e |= LOWER;
            }
        }
        _ => {}
    }
    e
}

/// Each ASCII byte folded: lower case for letters, itself for digits, 0 for anything else.
const fn ascii_fold(fold_digits: bool) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_digit() {
            t[b] = if fold_digits { b'0' } else { c };
        } else if c.is_ascii_alphabetic() {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
}

static ASCII_FOLD: [[u8; 256]; 2] = [ascii_fold(false), ascii_fold(true)];

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight bytes (little-endian) folded as [`ASCII_FOLD`] does, and the number of leading ones that
/// are ASCII letters or digits: bytes past those are to be dropped.
#[inline]
fn fold8(w: u64, fold_digits: bool) -> (u64, usize) {
    // Per byte, with the high bit cleared so that no sum carries into the next byte: bit 7 of
    // `v + (0x80 - lo)` is set when `v >= lo`, bit 7 of `v + (0x7F - hi)` when `v > hi`.
    let x = w & !HIGH;
    let lower = x | (0x20 * ONES);
    let letter =
        lower.wrapping_add((0x80 - 0x61) * ONES) & !lower.wrapping_add((0x7F - 0x7A) * ONES);
    let digit = x.wrapping_add((0x80 - 0x30) * ONES) & !x.wrapping_add((0x7F - 0x39) * ONES);
    let alnum = (letter | digit) & !w & HIGH;
    let run = ((!alnum & HIGH).trailing_zeros() / 8) as usize;
    // Letters and digits both have bit 5 set in lower case.
    let folded = if fold_digits {
        let d = (digit & !w & HIGH) >> 7;
        let dm = d * 0xFF;
        (lower & !dm) | (b'0' as u64 * d)
    } else {
        lower
    };
    (folded, run)
}

/// Facts of `c`: its entry and its combining class.
#[inline]
fn lookup(t: &Table, c: char) -> (u32, u8) {
    let u = c as usize;
    if u < 0x10000 {
        (t.info[u], t.ccc[u])
    } else {
        (entry(c), canonical_combining_class(c))
    }
}

/// The folding state of one segment: the folded bytes, the tokens cut so far.
pub(super) struct Folder<'a> {
    fold_digits: bool,
    /// The folded key (UTF-8).
    out: &'a mut Vec<u8>,
    /// Token hashes, when wanted.
    tokens: Option<&'a mut Vec<u64>>,
    /// Characters in the key.
    pub n: usize,
    /// A break is pending before the next letter or digit.
    space: bool,
    /// Start in `out` of the token being written.
    tok: Option<usize>,
}

/// What to restore to fold a word again.
#[derive(Clone, Copy)]
struct Mark {
    out: usize,
    tokens: usize,
    n: usize,
    space: bool,
    tok: Option<usize>,
}

impl<'a> Folder<'a> {
    pub fn new(
        fold_digits: bool,
        out: &'a mut Vec<u8>,
        tokens: Option<&'a mut Vec<u64>>,
    ) -> Folder<'a> {
        Folder {
            fold_digits,
            out,
            tokens,
            n: 0,
            space: false,
            tok: None,
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            out: self.out.len(),
            tokens: self.tokens.as_ref().map_or(0, |t| t.len()),
            n: self.n,
            space: self.space,
            tok: self.tok,
        }
    }

    fn restore(&mut self, m: Mark) {
        self.out.truncate(m.out);
        if let Some(t) = self.tokens.as_mut() {
            t.truncate(m.tokens);
        }
        self.n = m.n;
        self.space = m.space;
        self.tok = m.tok;
    }

    /// Ends the token being written, if any, at the end of `out`.
    #[inline]
    fn close_token(&mut self) {
        if let Some(s) = self.tok.take() {
            if let Some(t) = self.tokens.as_mut() {
                t.push(xxh3_64_with_seed(&self.out[s..], TOKEN_SEED));
            }
        }
    }

    /// Writes the pending break, if any, before a letter or digit.
    #[inline]
    fn before_alnum(&mut self) {
        if self.space && self.n > 0 {
            self.close_token();
            self.out.push(b' ');
        }
        self.space = false;
        self.n += 1;
    }

    /// An ASCII letter or digit, already lower case.
    #[inline]
    fn ascii(&mut self, b: u8) {
        let b = if self.fold_digits && b.is_ascii_digit() {
            b'0'
        } else {
            b
        };
        self.before_alnum();
        if self.tok.is_none() {
            self.tok = Some(self.out.len());
        }
        self.out.push(b);
    }

    /// A character, with whether it is a letter or digit and whether it is whitespace.
    #[inline(always)]
    fn push(&mut self, c: char, alnum: bool, ws: bool) {
        let (c, alnum) = if self.fold_digits && c.is_numeric() {
            ('0', true)
        } else {
            (c, alnum)
        };
        if !alnum {
            if ws {
                self.space = true;
            }
            return;
        }
        if c.is_ascii() {
            self.ascii(c as u8);
            return;
        }
        self.before_alnum();
        let at = self.out.len();
        // Four bytes at once (no copy of a variable length), then the ones not needed dropped.
        let mut buf = [0u8; 4];
        let len = c.encode_utf8(&mut buf).len();
        self.out.extend_from_slice(&buf);
        self.out.truncate(at + len);
        if (c as u32) >= 0x0E00 && unspaced(c) {
            if let Some(s) = self.tok.take() {
                if let Some(t) = self.tokens.as_mut() {
                    t.push(xxh3_64_with_seed(&self.out[s..at], TOKEN_SEED));
                }
            }
            if let Some(t) = self.tokens.as_mut() {
                t.push(xxh3_64_with_seed(&self.out[at..], TOKEN_SEED));
            }
        } else if self.tok.is_none() {
            self.tok = Some(at);
        }
    }

    /// `s`, a run of `chars` characters that fold to themselves (see [`IDENTITY`]), copied as
    /// it is: what pushing them one by one writes.
    #[inline]
    fn copy(&mut self, s: &str, chars: usize) {
        self.before_alnum();
        self.n += chars - 1;
        if self.tok.is_none() {
            self.tok = Some(self.out.len());
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    /// A character on the NFKC path (after normalization).
    #[inline]
    fn push_general(&mut self, c: char, e: u32) {
        if e & MULTI == 0 {
            let lc = lc_of(c, e);
            self.push(lc, e & ALNUM != 0, e & WS != 0);
        } else {
            for l in c.to_lowercase() {
                self.push(
                    l,
                    crate::text::chars::is_letter_or_digit(l),
                    l.is_whitespace(),
                );
            }
        }
    }

    /// Folds `text` (appends to the key and the tokens).
    pub fn fold(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let fold = &ASCII_FOLD[self.fold_digits as usize];
        // The character table, fetched once, at the first word that needs it.
        let mut chars: Option<&'static Table> = None;
        let mut i = 0;
        // Where the current word starts, and the state to restore to fold it again.
        let mut word = 0;
        let mut at_word = self.mark();
        while i < bytes.len() {
            let b = bytes[i];
            if b >= 0x80 {
                // Not ASCII: fold the whole word again by the general path.
                self.restore(at_word);
                let t = *chars.get_or_insert_with(table);
                // The word's ASCII start has no whitespace: it ends at the first one after `i`.
                i = word + self.word(t, &text[word..]);
            } else if fold[b as usize] != 0 {
                // A run of ASCII letters and digits, eight bytes at a time.
                self.before_alnum();
                if self.tok.is_none() {
                    self.tok = Some(self.out.len());
                }
                let start = i;
                while let Some(chunk) = bytes.get(i..i + 8) {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(chunk);
                    let (folded, run) = fold8(u64::from_le_bytes(w), self.fold_digits);
                    let at = self.out.len();
                    self.out.extend_from_slice(&folded.to_le_bytes());
                    self.out.truncate(at + run);
                    i += run;
                    if run < 8 {
                        break;
                    }
                }
                if bytes.len() - i < 8 {
                    while let Some(&f) = bytes.get(i).map(|&b| &fold[b as usize]) {
                        if f == 0 {
                            break;
                        }
                        self.out.push(f);
                        i += 1;
                    }
                }
                self.n += i - start - 1;
            } else {
                if crate::text::chars::is_ascii_ws(b) {
                    self.space = true;
                    word = i + 1;
                    at_word = self.mark();
                }
                i += 1;
            }
        }
        self.close_token();
    }

    /// A word with a character outside ASCII: the start of `rest` up to its first ASCII
    /// whitespace; returns the word's length. One pass writes it as the second path would for
    /// its stable characters and as the NFKC path would for the others (taking it for NFKC); when
    /// that is not what the word's path writes, the word is folded again by its path.
    fn word(&mut self, t: &Table, rest: &str) -> usize {
        let fold = &ASCII_FOLD[self.fold_digits as usize];
        let at = self.mark();
        let mut stable = true;
        // A stable character that the NFKC path writes differently.
        let mut differs = false;
        let mut last_cc = 0u8;
        let mut nfkc = true;
        // The pending run of characters that fold to themselves: its start, its length.
        let (mut run, mut run_chars) = (0usize, 0usize);
        // The word's end, found by the loop unless it stops early (the word is then folded
        // again, from `again`).
        let mut end = rest.len();
        let mut again = None;
        for (pos, c) in rest.char_indices() {
            let (e, cc) = if c.is_ascii() {
                let b = fold[c as usize];
                (if b == c as u8 && b != 0 { IDENTITY } else { 0 }, 0)
            } else {
                lookup(t, c)
            };
            if e & IDENTITY != 0 {
                // Stable, the same on both paths, NFKC, combining class 0: only `last_cc`
                // changes.
                if run_chars == 0 {
                    run = pos;
                }
                run_chars += 1;
                last_cc = 0;
                continue;
            }
            if c.is_ascii() {
                if crate::text::chars::is_ascii_ws(c as u8) {
                    end = pos;
                    break;
                }
                if run_chars > 0 {
                    self.copy(&rest[run..pos], run_chars);
                    run_chars = 0;
                }
                last_cc = 0;
                let b = fold[c as usize];
                if b != 0 {
                    self.ascii(b);
                }
                continue;
            }
            if (last_cc > cc && cc != 0) || e & (QC_NO | QC_MAYBE) != 0 {
                nfkc = false;
            }
            last_cc = cc;
            if e & (COPY | LOWER | UNSP | DROP) != 0 {
                // Written the same by every path the word can take: a character that is not
                // stable only decides that the word is not.
                if e & STABLE == 0 {
                    stable = false;
                    if !nfkc || differs {
                        again = Some(pos);
                        break;
                    }
                }
                if e & COPY != 0 {
                    if run_chars == 0 {
                        run = pos;
                    }
                    run_chars += 1;
                    continue;
                }
                if run_chars > 0 {
                    self.copy(&rest[run..pos], run_chars);
                    run_chars = 0;
                }
                if e & DROP == 0 {
                    self.push(lc_of(c, e), true, false);
                }
                continue;
            }
            if run_chars > 0 {
                self.copy(&rest[run..pos], run_chars);
                run_chars = 0;
            }
            if e & STABLE != 0 {
                differs |= e & SAME == 0;
                self.push_stable(c, e);
            } else {
                stable = false;
                if !nfkc || differs {
                    again = Some(pos);
                    break;
                }
                self.push_general(c, e);
            }
        }
        if let Some(pos) = again {
            end = rest.as_bytes()[pos..]
                .iter()
                .position(|&b| crate::text::chars::is_ascii_ws(b))
                .map_or(rest.len(), |p| pos + p);
        } else {
            if run_chars > 0 {
                self.copy(&rest[run..end], run_chars);
            }
            if stable || (nfkc && !differs) {
                return end;
            }
        }
        self.restore(at);
        self.word_by_path(t, &rest[..end]);
        end
    }

    /// Folds a stable character `c` with table entry `e`: inert ones (marks, format characters,
    /// punctuation) are dropped, whitespace among them separates words, the rest is written in
    /// lower case.
    #[inline]
    fn push_stable(&mut self, c: char, e: u32) {
        if e & INERT != 0 {
            if e & INERT_WS != 0 {
                self.space = true;
            }
            return;
        }
        let l = if e & OWN_LOWER != 0 {
            fast_lower(c)
        } else {
            lc_of(c, e)
        };
        let alnum = !matches!(c, '×' | '÷' | '\u{482}');
        self.push(l, alnum, false);
    }

    /// A word with a character outside ASCII, by its path (see the module's doc).
    fn word_by_path(&mut self, t: &Table, word: &str) {
        // Stable throughout (second path)? Else the NFKC quick check of the word.
        let mut stable = true;
        let mut last_cc = 0u8;
        let mut qc = IsNormalized::Yes;
        for c in word.chars() {
            if c.is_ascii() {
                last_cc = 0;
                continue;
            }
            let (e, cc) = lookup(t, c);
            stable &= e & STABLE != 0;
            if qc == IsNormalized::No {
                if !stable {
                    break;
                }
                continue;
            }
            if (last_cc > cc && cc != 0) || e & QC_NO != 0 {
                qc = IsNormalized::No;
            } else if e & QC_MAYBE != 0 {
                qc = IsNormalized::Maybe;
            }
            last_cc = cc;
        }
        if stable {
            for c in word.chars() {
                if c.is_ascii() {
                    if c.is_ascii_alphanumeric() {
                        self.ascii(c.to_ascii_lowercase() as u8);
                    }
                    continue;
                }
                let (e, _) = lookup(t, c);
                self.push_stable(c, e);
            }
        } else if qc == IsNormalized::Yes {
            for c in word.chars() {
                let (e, _) = lookup(t, c);
                self.push_general(c, e);
            }
        } else {
            for c in word.nfkc() {
                let (e, _) = lookup(t, c);
                self.push_general(c, e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, word by word, as written before the one-pass folder.
    fn reference_fold(text: &str, fold_digits: bool, out: &mut String) -> usize {
        let mut n = 0usize;
        let mut space = false;
        let mut push = |c: char, alnum: bool, ws: bool, out: &mut String| {
            let (c, alnum) = if fold_digits && c.is_numeric() {
                ('0', true)
            } else {
                (c, alnum)
            };
            if alnum {
                if space && n > 0 {
                    out.push(' ');
                }
                space = false;
                out.push(c);
                n += 1;
            } else if ws {
                space = true;
            }
        };
        // Words between ASCII whitespace (the crate's definition: U+000B included).
        let words = text
            .split(|c: char| c.is_ascii() && c.is_whitespace())
            .filter(|w| !w.is_empty());
        for (k, word) in words.enumerate() {
            if k > 0 {
                push(' ', false, true, out);
            }
            if word.is_ascii() {
                for b in word.bytes() {
                    let c = b.to_ascii_lowercase() as char;
                    push(c, b.is_ascii_alphanumeric(), false, out);
                }
            } else if word
                .chars()
                .all(|c| nfkc_stable(c) || inert_punctuation(c).is_some())
            {
                for c in word.chars() {
                    if c.is_ascii() {
                        let l = c.to_ascii_lowercase();
                        push(l, c.is_ascii_alphanumeric(), false, out);
                    } else if let Some(ws) = inert_punctuation(c) {
                        push(' ', false, ws, out);
                    } else {
                        let alnum = !matches!(c, '×' | '÷' | '\u{482}');
                        push(fast_lower(c), alnum, false, out);
                    }
                }
            } else {
                for c in word.nfkc() {
                    for l in c.to_lowercase() {
                        let alnum = crate::text::chars::is_letter_or_digit(l);
                        push(l, alnum, l.is_whitespace(), out);
                    }
                }
            }
        }
        n
    }

    /// The token hashes of a folded text, as cut before the one-pass folder.
    fn reference_tokens(folded: &str) -> Vec<u64> {
        let mut out = Vec::new();
        for word in folded.split(' ').filter(|w| !w.is_empty()) {
            let mut start = None;
            for (i, c) in word.char_indices() {
                if unspaced(c) {
                    if let Some(s) = start.take() {
                        out.push(xxh3_64_with_seed(&word.as_bytes()[s..i], TOKEN_SEED));
                    }
                    let one = &word.as_bytes()[i..i + c.len_utf8()];
                    out.push(xxh3_64_with_seed(one, TOKEN_SEED));
                } else if start.is_none() {
                    start = Some(i);
                }
            }
            if let Some(s) = start {
                out.push(xxh3_64_with_seed(&word.as_bytes()[s..], TOKEN_SEED));
            }
        }
        out
    }

    fn assert_same(text: &str) {
        for fold_digits in [false, true] {
            let mut want = String::new();
            let want_n = reference_fold(text, fold_digits, &mut want);
            let (mut got, mut tokens) = (Vec::new(), Vec::new());
            let mut f = Folder::new(fold_digits, &mut got, Some(&mut tokens));
            f.fold(text);
            let n = f.n;
            assert_eq!(String::from_utf8_lossy(&got), want, "{text:?}");
            assert_eq!(n, want_n, "{text:?}");
            assert_eq!(tokens, reference_tokens(&want), "{text:?}");
        }
    }

    #[test]
    fn equal_to_the_definition_on_hard_cases() {
        for t in [
            "",
            "   ",
            " Hello,  World! 2024 ",
            "Caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e",
            "Cafe\u{301} cre\u{300}me",
            "e\u{301}",
            "ＡＢＣ def ½ ² ﬁ",
            "İstanbul IJssel ǅ ß ẞ",
            "\u{85}x\u{9c}y \u{a0}z",
            "l\u{2019}homme \u{2014} libre\u{2026} a\u{2003}b",
            "人人生而自由，在尊严和权利上一律平等。abc中文字x",
            "ภาษาไทย ไม่มีช่องว่าง",
            "हिन्दी क़ ड़ नमस्ते",
            "العربية مُحَمَّد ٣٤٥",
            "한국어 가 가",
            "Ελληνικά ΆΈ ς Σ",
            "Русский ЁЖ ѐ",
            "x\u{301}\u{316} a\u{316}\u{301}",
            "😀 𠀀𠀁 a𝐀b",
            "tab\there\nnew\rline\u{c}ff\u{b}vt",
        ] {
            assert_same(t);
        }
    }

    #[test]
    fn equal_to_the_definition_on_the_sample_corpus() {
        // `raw/`, or the folder named by SCRIPTORIUM_DEDUP_CORPUS (as the dedup bench).
        let dir = std::env::var_os("SCRIPTORIUM_DEDUP_CORPUS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("raw"));
        for p in crate::io::input::files_under(&dir) {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            for line in text.lines() {
                assert_same(line);
            }
            assert_same(&text);
        }
    }

    #[test]
    fn table_agrees_with_the_character_functions() {
        let t = table();
        for u in 0..0x10000u32 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(lookup(t, c), (entry(c), canonical_combining_class(c)));
            }
        }
    }

    #[test]
    fn eight_bytes_at_once_equal_the_byte_table() {
        let mut x = 0x0123_4567_89AB_CDEFu64;
        for round in 0..200_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly letters and digits, some bytes anywhere in 0..=255.
            let mut b = [0u8; 8];
            for (k, d) in b.iter_mut().enumerate() {
                let r = (x >> (8 * k)) as u8;
                *d = if round % 4 == 0 || r % 8 == 0 {
                    r.rotate_left(round % 8)
                } else {
                    b"aZ09mQzA"[(r % 8) as usize].wrapping_add(r % 26 / 13)
                };
            }
            for fold_digits in [false, true] {
                let table = &ASCII_FOLD[fold_digits as usize];
                let (folded, run) = fold8(u64::from_le_bytes(b), fold_digits);
                let want = b.iter().position(|&c| table[c as usize] == 0).unwrap_or(8);
                assert_eq!(run, want, "{b:?}");
                let got = folded.to_le_bytes();
                for k in 0..run {
                    assert_eq!(got[k], table[b[k] as usize], "{b:?}");
                }
            }
        }
        for c in 0..=255u8 {
            for fold_digits in [false, true] {
                let (folded, run) = fold8(u64::from_le_bytes([c; 8]), fold_digits);
                let table = &ASCII_FOLD[fold_digits as usize];
                assert_eq!(run, if table[c as usize] == 0 { 0 } else { 8 }, "{c}");
                if run == 8 {
                    assert_eq!(folded.to_le_bytes(), [table[c as usize]; 8]);
                }
            }
        }
    }

    #[test]
    fn characters_copied_as_they_are_fold_to_themselves() {
        // Every character of the BMP flagged as copied as it is, alone and among others that
        // are folded one by one, in a word that goes the stable path and one that does not.
        let t = table();
        let mut n = 0;
        for u in 0x80..0x10000u32 {
            let Some(c) = char::from_u32(u) else {
                continue;
            };
            if t.info[u as usize] & IDENTITY == 0 {
                continue;
            }
            n += 1;
            assert_same(&format!(
                "{c} A{c}b {c}{c}\u{300} É{c}\u{2019}x ｱ{c} {c}ﬁ {c}中"
            ));
        }
        assert!(n > 10_000, "{n}");
    }

    #[test]
    fn characters_of_the_one_pass_classes_fold_as_defined() {
        // Every character of the BMP that the one pass writes by its class (itself, its lower
        // case, nothing, a token of its own) without asking which path its word takes: alone,
        // after a combining mark, among stable and NFKC-only characters, before and after one
        // that is not NFKC, so that each word path and each refold is taken.
        let t = table();
        let mut n = [0usize; 4];
        for u in 0x80..0x10000u32 {
            let Some(c) = char::from_u32(u) else {
                continue;
            };
            let e = t.info[u as usize];
            for (k, class) in [COPY, LOWER, DROP, UNSP].into_iter().enumerate() {
                if e & class != 0 {
                    n[k] += 1;
                }
            }
            if e & (COPY | LOWER | DROP | UNSP) == 0 || e & IDENTITY != 0 {
                continue;
            }
            assert_same(&format!(
                "{c} A{c}b {c}{c}\u{300} É{c}\u{2019}x ｱ{c} {c}ﬁ {c}中 ক{c}া a\u{301}{c}\u{316}"
            ));
        }
        assert!(n.iter().all(|&k| k > 100), "{n:?}");
    }

    /// Characters that exercise every path: ASCII, stable letters, inert punctuation,
    /// combining marks, compatibility forms, unspaced scripts, astral characters.
    const POOL: &[char] = &[
        'a', 'Z', '0', '9', ' ', '\t', '\n', '.', '-', '\'', 'é', 'É', 'İ', 'ı', 'ß', '×',
        '\u{85}', '\u{a0}', '\u{300}', '\u{301}', '\u{316}', '\u{327}', 'ｱ', 'Ａ', '１', '½', 'ﬁ',
        '²', '\u{2019}', '\u{2003}', '\u{200b}', '、', '。', '中', '文', 'か', 'ガ', '\u{3099}',
        'ก', 'ไ', '\u{e31}', 'ह', '\u{93c}', '\u{94d}', 'ि', 'ع', '\u{64e}', '٣', 'Ω', 'Ά', 'Ж',
        '가', '\u{1100}', '\u{1161}', '😀', '𠀀', '𝐀', 'Ⅻ', 'ক', 'া', '\u{9cd}', 'Ạ', 'ạ', 'ა', 'Ω',
        'K',
    ];

    proptest! {
        #[test]
        fn equal_to_the_definition_on_random_text(
            idx in proptest::collection::vec(0..POOL.len(), 0..40)
        ) {
            let text: String = idx.iter().map(|&i| POOL[i]).collect();
            assert_same(&text);
        }
    }

    #[test]
    fn tokens_are_words_or_unspaced_characters() {
        let tokenize = |text: &str| {
            let (mut folded, mut tokens) = (Vec::new(), Vec::new());
            Folder::new(false, &mut folded, Some(&mut tokens)).fold(text);
            tokens
        };
        let t = tokenize("abc 中文字 x ไทย");
        assert_eq!(t.len(), 1 + 3 + 1 + 3);
        let u = tokenize("abc中文字");
        assert_eq!(u.len(), 4);
        assert_eq!(u[0], t[0]);
    }
}
