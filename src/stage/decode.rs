//! Decoding: raw bytes of one file to text, with the encoding found and how sure we are.
//!
//! Order of evidence: a forced encoding from the config; a byte-order mark (UTF-8, UTF-16LE/BE,
//! UTF-32LE/BE); valid UTF-8 (borrowed, no copy); UTF-32 and UTF-16 without a BOM, recognised
//! from their byte patterns; binary content (NUL bytes, mostly control bytes), which is skipped;
//! UTF-8 with a few invalid sequences; otherwise chardetng's guess decoded by encoding_rs.
//! Invalid sequences become U+FFFD and are counted, never dropped silently.
//!
//! Every decoding also yields a [`SpanMap`] from the text back to the raw bytes, exact to the
//! character, so that segments can point at their raw bytes (`raw_span`). encoding_rs has no
//! UTF-32 (it is not a WHATWG encoding); that decoder is the small one here.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::config::{DecodeConfig, EncodingOverride};
use crate::stage::codepage::{self, CodePage, Family};
use crate::stage::coherence;
use crate::text::spanmap::{SpanMap, SpanMapBuilder};

/// The encodings that encoding_rs lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf32 {
    Le,
    Be,
}

/// The encoding a document was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocEncoding {
    Whatwg(&'static Encoding),
    Utf32(Utf32),
    /// A DOS or EBCDIC code page (`stage::codepage`).
    CodePage(&'static CodePage),
}

impl DocEncoding {
    /// The WHATWG name as encoding_rs spells it (`UTF-8`, `windows-1256`, `Shift_JIS`…), or
    /// `UTF-32LE` / `UTF-32BE`.
    pub fn name(&self) -> &'static str {
        match self {
            DocEncoding::Whatwg(e) => e.name(),
            DocEncoding::Utf32(Utf32::Le) => "UTF-32LE",
            DocEncoding::Utf32(Utf32::Be) => "UTF-32BE",
            DocEncoding::CodePage(cp) => cp.name,
        }
    }

    /// The encoding a label names: a WHATWG label (`windows-1256`, `latin1`, `sjis`), a DOS or
    /// EBCDIC code page (`cp437`, `ibm850`, `cp037`, `ibm1140`), or `utf-32le` / `utf-32be`.
    pub fn for_label(label: &str) -> Option<DocEncoding> {
        if let Some(e) = Encoding::for_label(label.as_bytes()) {
            return Some(DocEncoding::Whatwg(e));
        }
        if let Some(cp) = CodePage::for_label(label) {
            return Some(DocEncoding::CodePage(cp));
        }
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-32le" | "utf32le" => Some(DocEncoding::Utf32(Utf32::Le)),
            "utf-32be" | "utf32be" => Some(DocEncoding::Utf32(Utf32::Be)),
            _ => None,
        }
    }
}

/// How the encoding was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Forced,
    Bom,
    ValidUtf8,
    Sniffed,
    MostlyUtf8,
    Detector,
    /// Chosen among candidate encodings by how well the decoded text reads (`stage::coherence`).
    Coherence,
}

impl Evidence {
    pub fn name(&self) -> &'static str {
        match self {
            Evidence::Forced => "config",
            Evidence::Bom => "bom",
            Evidence::ValidUtf8 => "valid_utf8",
            Evidence::Sniffed => "byte_pattern",
            Evidence::MostlyUtf8 => "mostly_utf8",
            Evidence::Detector => "detector",
            Evidence::Coherence => "coherence",
        }
    }
}

/// A decoded document.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: DocEncoding,
    pub evidence: Evidence,
    /// 0..1: 1 for a BOM, a forced encoding or valid UTF-8; lower for guesses.
    pub confidence: f32,
    pub bom: bool,
    /// Invalid byte sequences replaced with U+FFFD.
    pub invalid_sequences: usize,
    /// Raw byte offset of the first invalid sequence.
    pub first_invalid: Option<usize>,
    /// From `text` back to the raw bytes.
    pub map: SpanMap,
}

/// Why a file was not decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("byte {offset}: binary content ({why})")]
    Binary { offset: usize, why: &'static str },
}

impl DecodeError {
    /// The short reason recorded as a document's `status`.
    pub fn status(&self) -> &'static str {
        match self {
            DecodeError::Binary { .. } => "binary",
        }
    }
}

/// The decode stage, built once from the config.
#[derive(Debug, Clone)]
pub struct Decoder {
    detect_utf16_utf32: bool,
    skip_binary: bool,
    /// Encodings forced for input ids that match a glob (`[decode] overrides`).
    overrides: Vec<EncodingOverride>,
}

const SNIFF_BYTES: usize = 64 * 1024;

impl Decoder {
    pub fn new(cfg: &DecodeConfig) -> Decoder {
        Decoder {
            detect_utf16_utf32: cfg.detect_utf16_utf32,
            skip_binary: cfg.skip_binary,
            overrides: cfg.overrides.clone(),
        }
    }

    /// Decodes the input document `id`: with the encoding its configured override forces, if
    /// one matches, otherwise detected.
    pub fn decode_document<'a>(&self, id: &str, raw: &'a [u8]) -> Result<Decoded<'a>, DecodeError> {
        let forced = self
            .overrides
            .iter()
            .find(|o| o.matcher.is_match(id))
            .map(|o| o.encoding);
        self.decode_as(raw, forced)
    }

    /// Decodes `raw`, with `forced` (a WHATWG encoding) taking precedence over any detection
    /// but a BOM of the same encoding family.
    #[cfg(any(test, feature = "internals"))]
    pub fn decode<'a>(
        &self,
        raw: &'a [u8],
        forced: Option<&'static Encoding>,
    ) -> Result<Decoded<'a>, DecodeError> {
        self.decode_as(raw, forced.map(DocEncoding::Whatwg))
    }

    /// [`Self::decode`] with any encoding forced, code pages and UTF-32 included.
    pub fn decode_as<'a>(
        &self,
        raw: &'a [u8],
        forced: Option<DocEncoding>,
    ) -> Result<Decoded<'a>, DecodeError> {
        if let Some(forced) = forced {
            let mut d = match forced {
                DocEncoding::Whatwg(enc) => {
                    let (bom_len, bom) = match Encoding::for_bom(raw) {
                        Some((e, n)) if e == enc => (n, true),
                        _ => (0, false),
                    };
                    let mut d = decode_with(enc, raw, bom_len);
                    d.bom = bom;
                    d
                }
                DocEncoding::Utf32(kind) => {
                    let bom: &[u8] = match kind {
                        Utf32::Le => &[0xFF, 0xFE, 0, 0],
                        Utf32::Be => &[0, 0, 0xFE, 0xFF],
                    };
                    let has_bom = raw.starts_with(bom);
                    let mut d = decode_utf32(raw, if has_bom { 4 } else { 0 }, kind);
                    d.bom = has_bom;
                    d
                }
                DocEncoding::CodePage(cp) => decode_code_page(cp, raw),
            };
            d.evidence = Evidence::Forced;
            d.confidence = 1.0;
            return Ok(d);
        }
        // UTF-32 BOMs first: FF FE 00 00 also starts like a UTF-16LE BOM.
        if raw.starts_with(&[0xFF, 0xFE, 0, 0]) {
            return Ok(with_bom(decode_utf32(raw, 4, Utf32::Le)));
        }
        if raw.starts_with(&[0, 0, 0xFE, 0xFF]) {
            return Ok(with_bom(decode_utf32(raw, 4, Utf32::Be)));
        }
        if let Some((enc, n)) = Encoding::for_bom(raw) {
            return Ok(with_bom(decode_with(enc, raw, n)));
        }
        // NUL bytes are valid UTF-8 but no text file has them, unless it is UTF-16 or UTF-32.
        let has_nul = memchr::memchr(0, raw).is_some();
        if !has_nul {
            // simdutf8 validates 16 or 32 bytes per step where the CPU allows (same answer as std).
            if let Ok(text) = simdutf8::basic::from_utf8(raw) {
                // ISO-2022-JP is 7-bit, hence valid UTF-8: its escape sequences tell it.
                if memchr::memchr(0x1B, raw).is_some() && is_iso_2022_jp(raw) {
                    let mut d = decode_with(encoding_rs::ISO_2022_JP, raw, 0);
                    d.evidence = Evidence::Sniffed;
                    d.confidence = 0.99;
                    return Ok(d);
                }
                if self.skip_binary {
                    // `raw` has no NUL byte (`has_nul` above).
                    if let Some(err) = control_evidence(raw) {
                        return Err(err);
                    }
                }
                return Ok(Decoded {
                    text: Cow::Borrowed(text),
                    encoding: DocEncoding::Whatwg(UTF_8),
                    evidence: Evidence::ValidUtf8,
                    confidence: 1.0,
                    bom: false,
                    invalid_sequences: 0,
                    first_invalid: None,
                    map: SpanMap::identity(raw.len(), 0),
                });
            }
        }
        // UTF-16 of a script with no ASCII at all has no NUL byte, and its code units have many
        // low bytes below 0x20: sniff before the control-byte test. But bytes that are valid
        // UTF-8 with multi-byte characters are UTF-8 with stray NULs: real UTF-16 text is
        // practically never valid UTF-8 unless it is all ASCII.
        let utf8_with_nul = has_nul && !raw.is_ascii() && simdutf8::basic::from_utf8(raw).is_ok();
        if self.detect_utf16_utf32 && !utf8_with_nul {
            if let Some(d) = sniff_wide(raw) {
                return Ok(d);
            }
        }
        if self.skip_binary {
            if let Some(err) = binary_evidence(raw) {
                return Err(err);
            }
        }
        if let Some(conf) = mostly_utf8(raw) {
            let mut d = decode_with(UTF_8, raw, 0);
            d.evidence = Evidence::MostlyUtf8;
            d.confidence = conf;
            return Ok(d);
        }
        let mut det = chardetng::EncodingDetector::new();
        det.feed(raw, true);
        let (mut enc, sure) = det.guess_assess(None, false);
        // KOI8-U differs from KOI8-R in eight byte values only (Ukrainian letters); without them
        // the text is KOI8-R, the name Russian text is known by.
        if enc == encoding_rs::KOI8_U
            && !raw
                .iter()
                .any(|b| matches!(b, 0xA4 | 0xA6 | 0xA7 | 0xAD | 0xB4 | 0xB6 | 0xB7 | 0xBD))
        {
            enc = encoding_rs::KOI8_R;
        }
        if let Some((choice, conf)) = choose_by_coherence(raw, enc, sure) {
            let mut d = match choice {
                DocEncoding::Whatwg(e) => decode_with(e, raw, 0),
                DocEncoding::CodePage(cp) => decode_code_page(cp, raw),
                DocEncoding::Utf32(k) => decode_utf32(raw, 0, k),
            };
            d.evidence = Evidence::Coherence;
            d.confidence = conf;
            return Ok(d);
        }
        let mut d = decode_with(enc, raw, 0);
        d.evidence = Evidence::Detector;
        let base = if sure { 0.9 } else { 0.5 };
        // Invalid sequences under the guessed encoding make the guess less likely.
        let chars = d.text.len().max(1) as f32;
        d.confidence = base * (1.0 - (d.invalid_sequences as f32 * 20.0 / chars).min(0.9));
        Ok(d)
    }
}

/// ISO-2022-JP: 7-bit bytes with its escape sequences into JIS X 0208 (`ESC $ B`, `ESC $ @`)
/// and back, and no error when decoded as such.
fn is_iso_2022_jp(raw: &[u8]) -> bool {
    if !raw.is_ascii() {
        return false;
    }
    let into_jis = memchr::memmem::find(raw, b"\x1B$B").is_some()
        || memchr::memmem::find(raw, b"\x1B$@").is_some();
    into_jis && {
        let (_, had_errors) = encoding_rs::ISO_2022_JP.decode_without_bom_handling(raw);
        !had_errors
    }
}

/// Whether a sample looks like EBCDIC text: many 0x40 (its space) and few 0x20, most other
/// bytes in EBCDIC's letter and digit ranges.
fn looks_ebcdic(sample: &[u8]) -> bool {
    if sample.len() < 16 {
        return false;
    }
    let n = sample.len();
    let spaces = sample.iter().filter(|&&b| b == 0x40).count();
    let ascii_spaces = sample.iter().filter(|&&b| b == 0x20).count();
    let letters = sample
        .iter()
        .filter(|&&b| matches!(b, 0x81..=0x89 | 0x91..=0x99 | 0xA2..=0xA9 | 0xC1..=0xC9 | 0xD1..=0xD9 | 0xE2..=0xE9 | 0xF0..=0xF9))
        .count();
    spaces * 25 >= n && ascii_spaces * 4 < spaces && letters * 2 >= n
}

/// The candidates read against chardetng's guess: the code pages its statistics cannot name
/// (DOS, Mac), and the WHATWG siblings of its guess that differ from it in a few letters or
/// quotes.
fn candidates(guess: &'static Encoding, ebcdic: bool) -> Vec<DocEncoding> {
    use encoding_rs::*;
    let mut v = vec![DocEncoding::Whatwg(guess)];
    if ebcdic {
        v.extend([
            DocEncoding::CodePage(&codepage::IBM037),
            DocEncoding::CodePage(&codepage::IBM500),
            DocEncoding::CodePage(&codepage::IBM01140),
        ]);
        return v;
    }
    v.extend(
        codepage::ALL
            .iter()
            .filter(|cp| cp.family == Family::Dos)
            .map(|&cp| DocEncoding::CodePage(cp)),
    );
    for e in [IBM866, MACINTOSH, X_MAC_CYRILLIC] {
        v.push(DocEncoding::Whatwg(e));
    }
    let siblings: &[&'static Encoding] = if guess == WINDOWS_1257 {
        &[ISO_8859_13, ISO_8859_4]
    } else if guess == WINDOWS_1250 || guess == ISO_8859_2 {
        &[ISO_8859_2, ISO_8859_16, WINDOWS_1250]
    } else if guess == KOI8_R {
        &[KOI8_U]
    } else {
        &[]
    };
    v.extend(siblings.iter().map(|&e| DocEncoding::Whatwg(e)));
    v.dedup();
    let mut seen = Vec::new();
    v.retain(|e| {
        let fresh = !seen.contains(e);
        seen.push(*e);
        fresh
    });
    v
}

/// Decodes a sample with a candidate, for reading only (no map).
fn decode_sample(enc: DocEncoding, sample: &[u8]) -> String {
    match enc {
        DocEncoding::Whatwg(e) => e.decode_without_bom_handling(sample).0.into_owned(),
        DocEncoding::CodePage(cp) => {
            let mut s = String::new();
            cp.decode_into(sample, &mut s);
            s
        }
        DocEncoding::Utf32(_) => String::new(),
    }
}

/// Cost of a reading, with EBCDIC's punctuation that only a wrong EBCDIC page gives (`¢`, `¬`,
/// `|` where the other page has `[`, `!`, `]`).
fn ebcdic_odd(text: &str) -> f32 {
    let odd = text
        .chars()
        .filter(|c| matches!(c, '¢' | '¬' | '|' | '¤'))
        .count();
    let n = text.chars().count().max(1);
    50.0 * odd as f32 / n as f32
}

/// How much better a candidate must read than chardetng's guess to replace it (cost units of
/// [`coherence::Reading::cost`]); more when chardetng says it is sure.
const SWITCH_MARGIN: f32 = 0.15;
const SWITCH_MARGIN_SURE: f32 = 0.3;

/// Reads the decodings of the sample with each candidate and returns the one that reads as
/// real language, with its confidence, when it is not chardetng's guess (or the file is EBCDIC,
/// which chardetng cannot name).
fn choose_by_coherence(
    raw: &[u8],
    guess: &'static Encoding,
    sure: bool,
) -> Option<(DocEncoding, f32)> {
    let sample = &raw[..raw.len().min(SNIFF_BYTES)];
    let ebcdic = looks_ebcdic(sample);
    if !ebcdic && !guess.is_single_byte() {
        return None;
    }
    let high = if ebcdic {
        sample.len()
    } else {
        sample.iter().filter(|&&b| b >= 0x80).count()
    };
    let readings: Vec<(DocEncoding, coherence::Reading, f32)> = candidates(guess, ebcdic)
        .into_iter()
        .map(|e| {
            let text = decode_sample(e, sample);
            let odd = if ebcdic { ebcdic_odd(&text) } else { 0.0 };
            (e, coherence::read(&text, high), odd)
        })
        .collect();
    let mut costs: Vec<(DocEncoding, f32)> = readings
        .iter()
        .map(|(e, r, odd)| (*e, r.cost() + odd))
        .collect();
    let guess_cost = costs[0].1;
    if ebcdic {
        // chardetng's guess is no candidate for EBCDIC bytes, only the measure of how wrong an
        // ASCII-based reading is.
        costs[0].1 = f32::INFINITY;
    }
    // The first of equal costs wins: chardetng's guess, then the list order.
    let (best, best_cost) = costs
        .iter()
        .copied()
        .enumerate()
        .min_by(|(i, a), (j, b)| a.1.total_cmp(&b.1).then(i.cmp(j)))
        .map(|(_, x)| x)?;
    if best == DocEncoding::Whatwg(guess) {
        return None;
    }
    let margin = if sure {
        SWITCH_MARGIN_SURE
    } else {
        SWITCH_MARGIN
    };
    if !ebcdic && best_cost + margin > guess_cost {
        return None;
    }
    // Confidence from the gap to the next best reading.
    let second = costs
        .iter()
        .filter(|(e, _)| *e != best)
        .map(|&(_, c)| c)
        .fold(f32::INFINITY, f32::min)
        .min(guess_cost);
    let gap = (second - best_cost).max(0.0);
    let conf = 0.5 + 0.49 * (1.0 - (-gap / 0.5).exp());
    Some((best, conf))
}

/// Decodes `raw` with a DOS or EBCDIC code page: byte `i` is character `i`.
fn decode_code_page(cp: &'static CodePage, raw: &[u8]) -> Decoded<'static> {
    let mut text = String::new();
    let (invalid, first) = cp.decode_into(raw, &mut text);
    let mut b = SpanMapBuilder::with_offset(0);
    for c in text.chars() {
        b.char_units(c.len_utf8(), 1);
    }
    Decoded {
        text: Cow::Owned(text),
        encoding: DocEncoding::CodePage(cp),
        evidence: Evidence::Detector,
        confidence: 1.0,
        bom: false,
        invalid_sequences: invalid,
        first_invalid: first,
        map: b.finish(),
    }
}

/// UTF-32 or UTF-16 recognised from byte patterns.
fn sniff_wide(raw: &[u8]) -> Option<Decoded<'static>> {
    if let Some((kind, conf)) = sniff_utf32(raw) {
        let mut d = decode_utf32(raw, 0, kind);
        d.evidence = Evidence::Sniffed;
        d.confidence = conf;
        return Some(d);
    }
    let (enc, conf) = sniff_utf16(raw)?;
    let mut d = decode_with(enc, raw, 0);
    d.evidence = Evidence::Sniffed;
    d.confidence = conf;
    Some(d)
}

fn with_bom(mut d: Decoded<'_>) -> Decoded<'_> {
    d.evidence = Evidence::Bom;
    d.confidence = 1.0;
    d.bom = true;
    d
}

/// Decodes `raw[skip..]` with an encoding_rs encoding, building the exact offset map.
fn decode_with(enc: &'static Encoding, raw: &[u8], skip: usize) -> Decoded<'static> {
    let body = &raw[skip.min(raw.len())..];
    let (text, map, invalid, first_invalid) = if enc == UTF_8 {
        decode_utf8_lossy(body, skip)
    } else if enc.is_single_byte() {
        decode_single_byte(enc, body, skip)
    } else if enc == UTF_16LE || enc == UTF_16BE {
        decode_utf16(enc, body, skip)
    } else {
        decode_incremental(enc, body, skip)
    };
    Decoded {
        text: Cow::Owned(text),
        encoding: DocEncoding::Whatwg(enc),
        evidence: Evidence::Detector,
        confidence: 1.0,
        bom: false,
        invalid_sequences: invalid,
        first_invalid,
        map,
    }
}

type Out = (String, SpanMap, usize, Option<usize>);

fn decode_utf8_lossy(body: &[u8], skip: usize) -> Out {
    let mut text = String::with_capacity(body.len());
    let mut b = SpanMapBuilder::with_offset(skip);
    let mut invalid = 0;
    let mut first = None;
    let mut pos = skip;
    for chunk in body.utf8_chunks() {
        let v = chunk.valid();
        text.push_str(v);
        b.copy(v.len());
        pos += v.len();
        let bad = chunk.invalid();
        if !bad.is_empty() {
            invalid += 1;
            first.get_or_insert(pos);
            text.push('\u{FFFD}');
            b.replace(bad.len(), 3);
            pos += bad.len();
        }
    }
    (text, b.finish(), invalid, first)
}

fn decode_single_byte(enc: &'static Encoding, body: &[u8], skip: usize) -> Out {
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    let mut b = SpanMapBuilder::with_offset(skip);
    let mut invalid = 0;
    let mut first = None;
    // One byte, one character, in every single-byte encoding of encoding_rs.
    for (i, c) in text.chars().enumerate() {
        if had_errors && c == '\u{FFFD}' {
            invalid += 1;
            first.get_or_insert(skip + i);
        }
        b.char_units(c.len_utf8(), 1);
    }
    (text.into_owned(), b.finish(), invalid, first)
}

fn decode_utf16(enc: &'static Encoding, body: &[u8], skip: usize) -> Out {
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    let mut b = SpanMapBuilder::with_offset(skip);
    let mut invalid = 0;
    let mut first = None;
    let mut raw_pos = 0usize;
    let n = text.chars().count();
    for (i, c) in text.chars().enumerate() {
        // The last character takes what is left: an odd trailing byte, possibly after an
        // unpaired surrogate, becomes one U+FFFD.
        let raw_len = if i + 1 == n {
            body.len().saturating_sub(raw_pos).max(1)
        } else if c as u32 >= 0x10000 {
            4
        } else {
            2
        };
        if had_errors && c == '\u{FFFD}' {
            invalid += 1;
            first.get_or_insert(skip + raw_pos);
        }
        b.char_units(c.len_utf8(), raw_len);
        raw_pos += raw_len;
    }
    (text.into_owned(), b.finish(), invalid, first)
}

/// Multi-byte legacy encodings (Shift_JIS, EUC-JP, GB18030, Big5, EUC-KR, ISO-2022-JP): the
/// decoder is fed one byte at a time, so that each character's raw bytes are known exactly.
fn decode_incremental(enc: &'static Encoding, body: &[u8], skip: usize) -> Out {
    let mut dec = enc.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(body.len() * 3 / 2 + 16);
    let mut b = SpanMapBuilder::with_offset(skip);
    let mut invalid = 0;
    let mut first = None;
    let mut pending = 0usize;
    let last_i = body.len().saturating_sub(1);
    for i in 0..body.len() {
        let before = text.len();
        text.reserve(32);
        let (_, _, had_errors) = dec.decode_to_string(&body[i..=i], &mut text, i == last_i);
        if text.len() > before {
            let emitted = &text[before..];
            if had_errors {
                invalid += emitted.matches('\u{FFFD}').count();
                first.get_or_insert(skip + pending);
            }
            let mut chars = emitted.chars();
            match (chars.next(), chars.next()) {
                (Some(_), None) => b.char_units(emitted.len(), i + 1 - pending),
                _ => b.replace(i + 1 - pending, emitted.len()),
            }
            pending = i + 1;
        }
    }
    if body.len() > pending {
        b.delete(body.len() - pending);
    }
    (text, b.finish(), invalid, first)
}

fn decode_utf32(raw: &[u8], skip: usize, kind: Utf32) -> Decoded<'static> {
    let body = &raw[skip.min(raw.len())..];
    let mut text = String::with_capacity(body.len() / 2);
    let mut b = SpanMapBuilder::with_offset(skip);
    let mut invalid = 0;
    let mut first = None;
    let chunks = body.chunks_exact(4);
    let rest = chunks.remainder().len();
    for (i, q) in chunks.enumerate() {
        let q = [q[0], q[1], q[2], q[3]];
        let v = match kind {
            Utf32::Le => u32::from_le_bytes(q),
            Utf32::Be => u32::from_be_bytes(q),
        };
        let c = char::from_u32(v).unwrap_or_else(|| {
            invalid += 1;
            first.get_or_insert(skip + i * 4);
            '\u{FFFD}'
        });
        text.push(c);
        b.char_units(c.len_utf8(), 4);
    }
    if rest > 0 {
        invalid += 1;
        first.get_or_insert(raw.len() - rest);
        text.push('\u{FFFD}');
        b.replace(rest, 3);
    }
    Decoded {
        text: Cow::Owned(text),
        encoding: DocEncoding::Utf32(kind),
        evidence: Evidence::Bom,
        confidence: 1.0,
        bom: false,
        invalid_sequences: invalid,
        first_invalid: first,
        map: b.finish(),
    }
}

/// Whether a code point is something a text file plausibly holds.
fn plausible(c: u32) -> bool {
    matches!(c,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0xA0..=0x024F | 0x0250..=0x058F | 0x0590..=0x06FF
        | 0x0700..=0x08FF | 0x0900..=0x0DFF | 0x0E00..=0x0FFF | 0x1000..=0x10FF | 0x1100..=0x11FF
        | 0x1E00..=0x1FFF | 0x2000..=0x206F | 0x2070..=0x27BF | 0x2E80..=0x2FDF
        | 0x3000..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFB00..=0xFDFF | 0xFE30..=0xFE4F
        | 0xFE70..=0xFEFF | 0xFF00..=0xFFEF | 0x1F300..=0x1FAFF | 0x20000..=0x2FA1F)
}

/// Code units that 8-bit text cannot produce when misread as UTF-16 (they need a zero byte),
/// and the commonest CJK punctuation: real UTF-16 text is full of them.
fn utf16_anchor(u: u16) -> bool {
    (u != 0 && u < 0x100) || matches!(u, 0x3001 | 0x3002 | 0xFF0C | 0xFF01 | 0xFF1F | 0xFF1A)
}

/// UTF-16 without a BOM: most code units plausible, no broken surrogates, and enough units that
/// only UTF-16 produces (ASCII with a zero byte, CJK punctuation).
fn sniff_utf16(raw: &[u8]) -> Option<(&'static Encoding, f32)> {
    // Fewer than eight code units are too little evidence.
    if raw.len() < 16 {
        return None;
    }
    let n = raw.len().min(SNIFF_BYTES) & !1;
    let sample = &raw[..n];
    // Zero bytes of UTF-16 text (high bytes of ASCII) sit on one parity only.
    let zeros_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let zeros_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let mut best: Option<(&'static Encoding, f32)> = None;
    for (enc, le) in [(UTF_16LE, true), (UTF_16BE, false)] {
        let (high_zeros, low_zeros) = if le {
            (zeros_odd, zeros_even)
        } else {
            (zeros_even, zeros_odd)
        };
        if low_zeros > high_zeros {
            continue;
        }
        let units = sample.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        // 8-bit text read as UTF-16 gives code units whose two bytes are both printable ASCII
        // (`ll` → U+6C6C); real UTF-16 CJK has low bytes all over 0x00..=0xFF.
        let printable = |b: u8| (0x20..0x7F).contains(&b) || b == b'\n' || b == b'\r';
        let pairs = sample.chunks_exact(2);
        let n_pairs = pairs.len().max(1);
        let ascii_pairs = pairs.filter(|p| printable(p[0]) && printable(p[1])).count();
        if ascii_pairs * 10 >= n_pairs * 6 {
            continue;
        }
        let (mut ok, mut anchors, mut bad, mut total) = (0usize, 0usize, 0usize, 0usize);
        let mut high: Option<u16> = None;
        for u in units {
            total += 1;
            if let Some(h) = high.take() {
                if (0xDC00..0xE000).contains(&u) {
                    let c = 0x10000 + (((h as u32) - 0xD800) << 10) + (u as u32 - 0xDC00);
                    if plausible(c) {
                        ok += 2;
                    }
                    continue;
                }
                bad += 1;
            }
            if (0xD800..0xDC00).contains(&u) {
                high = Some(u);
                continue;
            }
            if (0xDC00..0xE000).contains(&u) {
                bad += 1;
                continue;
            }
            if plausible(u as u32) {
                ok += 1;
            }
            if utf16_anchor(u) {
                anchors += 1;
            }
        }
        let total = total.max(1) as f32;
        let ratio = ok as f32 / total;
        if ratio >= 0.95 && anchors as f32 / total >= 0.02 && (bad as f32 / total) < 0.002 {
            let conf = ratio.min(0.99);
            if best.is_none_or(|(_, c)| conf > c) {
                best = Some((enc, conf));
            }
        }
    }
    best
}

/// UTF-32 without a BOM: every unit a plausible scalar value.
fn sniff_utf32(raw: &[u8]) -> Option<(Utf32, f32)> {
    if raw.len() < 16 || raw.len() % 4 != 0 {
        return None;
    }
    let n = raw.len().min(SNIFF_BYTES) & !3;
    for kind in [Utf32::Le, Utf32::Be] {
        let mut ok = 0usize;
        let mut total = 0usize;
        for q in raw[..n].chunks_exact(4) {
            let q = [q[0], q[1], q[2], q[3]];
            let v = match kind {
                Utf32::Le => u32::from_le_bytes(q),
                Utf32::Be => u32::from_be_bytes(q),
            };
            total += 1;
            if v > 0x10FFFF {
                ok = 0;
                break;
            }
            if plausible(v) {
                ok += 1;
            }
        }
        let ratio = ok as f32 / total.max(1) as f32;
        if ratio >= 0.95 {
            return Some((kind, ratio.min(0.99)));
        }
    }
    None
}

/// NUL bytes, or a large share of control bytes, mean this is not a text file.
/// Whether `b` is a control byte that text does not have: below 0x20 but tab, line feed,
/// carriage return, form feed and escape; or DEL.
#[inline(always)]
fn is_binary_control(b: u8) -> bool {
    // Without branches, so that the count below is vectorized: bit `b` of the mask is set for
    // the allowed controls (tab 9, line feed 10, form feed 12, carriage return 13, escape 27).
    const ALLOWED: u32 = 1 << 9 | 1 << 10 | 1 << 12 | 1 << 13 | 1 << 27;
    ((b < 0x20) & ((ALLOWED >> (b & 31)) & 1 == 0)) | (b == 0x7F)
}

/// The number of bytes of `s` that [`is_binary_control`] flags (at most [`SNIFF_BYTES`] of a
/// file are counted).
fn count_controls(s: &[u8]) -> usize {
    // Counted in bytes per chunk of 255 (they cannot overflow): the compiler vectorizes that.
    s.chunks(255)
        .map(|c| c.iter().fold(0u8, |n, &b| n + is_binary_control(b) as u8) as usize)
        .sum()
}

fn binary_evidence(raw: &[u8]) -> Option<DecodeError> {
    if let Some(offset) = memchr::memchr(0, raw) {
        return Some(DecodeError::Binary {
            offset,
            why: "NUL byte",
        });
    }
    control_evidence(raw)
}

/// The second half of [`binary_evidence`], for bytes known to have no NUL.
fn control_evidence(raw: &[u8]) -> Option<DecodeError> {
    let sample = &raw[..raw.len().min(SNIFF_BYTES)];
    let controls = count_controls(sample);
    if sample.len() >= 32 && controls * 10 > sample.len() {
        let offset = sample
            .iter()
            .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
            .unwrap_or(0);
        return Some(DecodeError::Binary {
            offset,
            why: "mostly control bytes",
        });
    }
    None
}

/// UTF-8 damaged in a few places: many valid multi-byte sequences for each invalid one.
/// Returns the confidence when it is.
fn mostly_utf8(raw: &[u8]) -> Option<f32> {
    let mut multi = 0usize;
    let mut invalid = 0usize;
    for chunk in raw.utf8_chunks() {
        multi += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    // Legacy 8-bit text almost never forms valid multi-byte sequences; damaged UTF-8 is mostly
    // valid ones.
    if multi >= 3 && multi >= invalid * 2 {
        Some((multi as f32 / (multi + invalid) as f32 * 0.95).min(0.95))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn dec() -> Decoder {
        Decoder::new(&Config::default().decode)
    }

    #[test]
    fn utf8_borrows() {
        let d = dec().decode("héllo".as_bytes(), None).unwrap();
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!(d.encoding.name(), "UTF-8");
        assert_eq!(d.confidence, 1.0);
    }

    #[test]
    fn boms() {
        let mut v = vec![0xEF, 0xBB, 0xBF];
        v.extend_from_slice("abc".as_bytes());
        let d = dec().decode(&v, None).unwrap();
        assert_eq!(d.text, "abc");
        assert!(d.bom);
        assert_eq!(d.map.range(0..3), 3..6);

        let mut v = vec![0xFF, 0xFE];
        for u in "añ€".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        let d = dec().decode(&v, None).unwrap();
        assert_eq!(d.text, "añ€");
        assert_eq!(d.encoding.name(), "UTF-16LE");
        assert_eq!(d.map.range(1..3), 4..6);

        let mut v = vec![0, 0, 0xFE, 0xFF];
        for c in "a😀".chars() {
            v.extend_from_slice(&(c as u32).to_be_bytes());
        }
        let d = dec().decode(&v, None).unwrap();
        assert_eq!(d.text, "a😀");
        assert_eq!(d.encoding.name(), "UTF-32BE");
        assert_eq!(d.map.range(1..5), 8..12);
    }

    #[test]
    fn invalid_utf8_counted() {
        let mut v = "ça va très bien, merci beaucoup, à bientôt, élève, où, déjà "
            .as_bytes()
            .to_vec();
        v.push(0xFF);
        v.extend_from_slice(b" end");
        let d = dec().decode(&v, None).unwrap();
        assert_eq!(d.encoding.name(), "UTF-8");
        assert_eq!(d.invalid_sequences, 1);
        assert!(d.text.contains('\u{FFFD}'));
        assert_eq!(d.first_invalid, Some(v.len() - 5));
    }

    /// The branch-free test is the rule, and the count is the count of it.
    #[test]
    fn binary_controls_are_the_rule() {
        for b in 0..=255u8 {
            let rule = (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || b == 0x7F;
            assert_eq!(is_binary_control(b), rule, "{b:#x}");
        }
        let all: Vec<u8> = (0..2000u32).map(|k| (k * 7 % 256) as u8).collect();
        let want = all.iter().filter(|&&b| is_binary_control(b)).count();
        assert_eq!(count_controls(&all), want);
    }

    #[test]
    fn binary_skipped() {
        let v = [
            0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3E, 0,
        ];
        let e = dec().decode(&v, None).unwrap_err();
        assert_eq!(e.status(), "binary");
    }

    #[test]
    fn ascii_as_utf16_not_sniffed() {
        // Plain ASCII is valid UTF-8 and never reaches the sniffer; but even 8-bit text with
        // no zero bytes must not look like UTF-16.
        let (koi, _, _) = encoding_rs::KOI8_R.encode("Привет, как дела? Всё хорошо, спасибо.");
        assert!(sniff_utf16(&koi).is_none());
    }

    /// UDHR article 1 in French, German and Russian (real text), encoded by each code page.
    const FR: &str = "Tous les êtres humains naissent libres et égaux en dignité et en droits. \
        Ils sont doués de raison et de conscience et doivent agir les uns envers les autres \
        dans un esprit de fraternité.";
    const DE: &str = "Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind \
        mit Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit \
        begegnen. Größe, Straße, Bühne, Übung, Äpfel, Öl.";

    fn encode(cp: &CodePage, s: &str) -> Vec<u8> {
        s.chars().map(|c| cp.byte_of(c).unwrap()).collect()
    }

    #[test]
    fn code_pages_detected_and_mapped() {
        for (cp, text) in [
            (&codepage::IBM850, FR),
            (&codepage::IBM437, DE),
            (&codepage::IBM037, DE),
            (&codepage::IBM500, FR),
        ] {
            let raw = encode(cp, text);
            let d = dec().decode(&raw, None).unwrap();
            assert_eq!(d.text, text, "{}", cp.name);
            // IBM437 and IBM850 agree on these letters: either is right.
            assert!(
                matches!(d.encoding, DocEncoding::CodePage(_)),
                "{}",
                cp.name
            );
            assert_eq!(d.evidence, Evidence::Coherence);
            // One byte, one character.
            let k = text.char_indices().nth(20).unwrap().0;
            assert_eq!(
                d.map
                    .range(k..k + text[k..].chars().next().unwrap().len_utf8()),
                20..21
            );
        }
    }

    #[test]
    fn forced_code_page_and_utf32() {
        let raw = encode(&codepage::IBM852, "Všichni lidé rodí se svobodní");
        let forced = DocEncoding::for_label("cp852").unwrap();
        let d = dec().decode_as(&raw, Some(forced)).unwrap();
        assert_eq!(d.text, "Všichni lidé rodí se svobodní");
        assert_eq!(d.evidence, Evidence::Forced);
        let forced = DocEncoding::for_label("UTF-32LE").unwrap();
        let raw: Vec<u8> = "añ"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(dec().decode_as(&raw, Some(forced)).unwrap().text, "añ");
    }

    #[test]
    fn iso_2022_jp_recognised() {
        let text =
            "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。";
        let (raw, _, _) = encoding_rs::ISO_2022_JP.encode(text);
        let d = dec().decode(&raw, None).unwrap();
        assert_eq!(d.encoding.name(), "ISO-2022-JP");
        assert_eq!(d.text, text);
        // Plain ASCII with an escape character stays UTF-8.
        let d = dec()
            .decode(b"colour \x1B[1mbold\x1B[0m text", None)
            .unwrap();
        assert_eq!(d.encoding.name(), "UTF-8");
    }

    #[test]
    fn legacy_whatwg_text_keeps_its_encoding() {
        for (enc, text) in [
            (encoding_rs::WINDOWS_1252, FR),
            (encoding_rs::WINDOWS_1252, DE),
            (
                encoding_rs::WINDOWS_1251,
                "Все люди рождаются свободными и равными в своем достоинстве и правах.",
            ),
        ] {
            let (raw, _, _) = enc.encode(text);
            let d = dec().decode(&raw, None).unwrap();
            assert_eq!(d.text, text, "{}", enc.name());
        }
    }
}
