//! Garbled text: a score from 0 to 1 of how unlikely a segment is to be real text.
//!
//! PDF text extracted through a broken font map, or text decoded with the wrong code page, is
//! made of real letters of a real script in sequences no real text has. The evidence comes from
//! the text itself:
//!
//! - a letter-bigram model of the segment's script, built from real text: the mean cost in bits
//!   of each letter transition, against the mean of the training text;
//! - the share of letter trigrams the training text never showed (three times or more);
//! - runs of three or more of the same letter (outside Latin: `ааа`, `ллл`);
//! - U+FFFD, private-use code points and mojibake residue (`Ã©`, `Ø§`, `â€`).
//!
//! The model is `src/garbled_model.bin`, built by `eval/garbled/build_model.py` from real text
//! of each script (see that script for the format and the sources); scripts it has no model for
//! (Han, kana, Hangul, …) are scored on U+FFFD, private use and mojibake only.

use std::sync::OnceLock;

use unicode_script::{Script, UnicodeScript};

#[cfg(any(test, feature = "internals"))]
use super::classes::count_bad;
use super::classes::{char_class, OWN_LOWER, PLAIN_BOUNDARY};

static MODEL_BYTES: &[u8] = include_bytes!("garbled_model.bin");

/// Symbol of anything that is not a letter of the script.
const NONE: u8 = u8::MAX;

/// The letter model of one script.
#[derive(Debug)]
struct ScriptModel {
    /// The script's ISO 15924 code (the pipeline looks scripts up by `key`).
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    code: &'static str,
    /// `code` as a little-endian number, for the lookup by code.
    key: u32,
    /// [`margins`] of the script.
    margins: (f32, f32),
    script: Script,
    /// Number of symbols: the alphabet, OTHER, BOUNDARY.
    n: usize,
    other: u8,
    boundary: u8,
    /// Mean cost of a transition in the training text, in bits.
    mean: f32,
    /// Symbol of each ASCII byte (`boundary` for non-letters).
    ascii: [u8; 128],
    /// Symbol of code points `lo..lo + direct.len()`, `NONE` when not in the alphabet.
    lo: u32,
    direct: Vec<u8>,
    /// Costs in eighths of a bit, `n * n`, row = previous symbol.
    costs: &'static [u8],
    /// Trigrams seen in the training text, hashed to `bits` bits.
    bits: u32,
    seen: &'static [u8],
}

/// Every script model, parsed once from the embedded table, and the models of single
/// languages (ISO 639-3) of a script that had enough text of their own.
#[derive(Debug)]
pub struct GarbledModel {
    scripts: Vec<ScriptModel>,
    langs: Vec<(&'static str, ScriptModel)>,
}

fn parse(bytes: &'static [u8]) -> Option<GarbledModel> {
    let take = |pos: &mut usize, n: usize| -> Option<&'static [u8]> {
        let s = bytes.get(*pos..*pos + n)?;
        *pos += n;
        Some(s)
    };
    let u16_at = |s: &[u8]| u16::from_le_bytes([s[0], s[1]]);
    let mut pos = 0;
    if take(&mut pos, 4)? != b"SGM3" {
        return None;
    }
    let count = u32::from_le_bytes(take(&mut pos, 4)?.try_into().ok()?);
    let mut scripts = Vec::new();
    let mut langs = Vec::new();
    for _ in 0..count {
        let code = std::str::from_utf8(take(&mut pos, 4)?).ok()?;
        let script = Script::from_short_name(code)?;
        let lang = take(&mut pos, 3)?;
        let lang = match lang {
            [0, 0, 0] => None,
            l => Some(std::str::from_utf8(l).ok()?),
        };
        let a = u16_at(take(&mut pos, 2)?) as usize;
        let mean = u16_at(take(&mut pos, 2)?) as f32 / 8.0;
        let mut alphabet = Vec::with_capacity(a);
        for _ in 0..a {
            let cp = u32::from_le_bytes(take(&mut pos, 4)?.try_into().ok()?);
            alphabet.push(char::from_u32(cp)?);
        }
        let n = a + 2;
        let costs = take(&mut pos, n * n)?;
        let k = *take(&mut pos, 1)?.first()? as u32;
        if !(3..=30).contains(&k) {
            return None;
        }
        let seen = take(&mut pos, 1 << (k - 3))?;
        let mut ascii = [NONE; 128];
        let non_ascii: Vec<(u32, u8)> = alphabet
            .iter()
            .enumerate()
            .flat_map(|(i, &c)| {
                // Upper case looks up through lower case: put both in the table.
                std::iter::once(c)
                    .chain(c.to_uppercase().filter(move |u| u.to_lowercase().eq([c])))
                    .map(move |c| (c as u32, i as u8))
            })
            .filter(|&(cp, i)| {
                if cp < 128 {
                    ascii[cp as usize] = i;
                    false
                } else {
                    true
                }
            })
            .collect();
        let lo = non_ascii.iter().map(|x| x.0).min().unwrap_or(0);
        let hi = non_ascii.iter().map(|x| x.0 + 1).max().unwrap_or(0);
        let mut direct = vec![NONE; (hi.saturating_sub(lo)) as usize];
        for (cp, i) in non_ascii {
            direct[(cp - lo) as usize] = i;
        }
        for s in ascii.iter_mut().filter(|s| **s == NONE) {
            *s = a as u8 + 1;
        }
        let code = Script::from_short_name(code)?.short_name();
        let model = ScriptModel {
            code,
            key: code_key(code)?,
            margins: margins(code),
            script,
            n,
            other: a as u8,
            boundary: a as u8 + 1,
            mean,
            ascii,
            lo,
            direct,
            costs,
            bits: k,
            seen,
        };
        match lang {
            None => scripts.push(model),
            Some(l) => langs.push((l, model)),
        }
    }
    Some(GarbledModel { scripts, langs })
}

/// The embedded model, parsed on first use.
pub fn model() -> &'static GarbledModel {
    static MODEL: OnceLock<GarbledModel> = OnceLock::new();
    // The table is generated by eval/garbled/build_model.py and embedded at compile time;
    // the unit test `model_parses` checks it, so a failure here is a build error, not input.
    MODEL.get_or_init(|| parse(MODEL_BYTES).expect("src/garbled_model.bin is well-formed"))
}

/// A four-letter script code as a number.
#[inline]
fn code_key(code: &str) -> Option<u32> {
    Some(u32::from_le_bytes(code.as_bytes().try_into().ok()?))
}

/// Same hash as `trigram_hash` in eval/garbled/build_model.py (the walk computes it inline).
#[cfg(test)]
fn trigram_hash(x: u8, y: u8, z: u8, k: u32) -> u32 {
    let v = ((x as u32) << 16) | ((y as u32) << 8) | z as u32;
    v.wrapping_mul(TRIGRAM_MUL) >> (32 - k)
}

const TRIGRAM_MUL: u32 = 0x9E37_79B1;

/// What the scan of one segment found.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Letters of the modelled script.
    pub letters: u32,
    /// Mean transition cost above the training mean, in bits.
    pub excess_bits: f32,
    /// Share of letter trigrams never seen in training.
    pub unseen: f32,
    /// Runs of three or more of the same letter.
    pub runs: u32,
    /// U+FFFD, private-use code points and mojibake pairs.
    pub bad: u32,
    /// Characters that are not whitespace.
    pub chars: u32,
    /// Excess bits and unseen share that real text of the script reaches by itself.
    pub margins: (f32, f32),
}

/// How far real text of a script strays from its model before it counts as evidence. The Latin
/// model mixes 135 languages and Thai writes no spaces between words: both stray further.
fn margins(script: &str) -> (f32, f32) {
    match script {
        "Latn" | "Thai" => (0.6, 0.15),
        _ => (0.3, 0.08),
    }
}

impl Evidence {
    /// The garbled score, 0 to 1.
    pub fn score(&self) -> f32 {
        let special = if self.bad == 0 {
            0.0
        } else {
            (self.bad as f32 * 10.0 / self.chars.max(1) as f32).min(1.0)
        };
        let model = if self.letters == 0 {
            0.0
        } else {
            let (excess0, unseen0) = self.margins;
            let z = (self.excess_bits - excess0).max(0.0) / 0.6
                + (self.unseen - unseen0).max(0.0) / 0.2
                + 0.5 * self.runs as f32;
            let confidence = (self.letters as f32 / 25.0).min(1.0);
            (z / 2.0).min(1.0) * confidence
        };
        special.max(model)
    }
}

impl ScriptModel {
    #[inline]
    fn symbol(&self, c: char) -> u8 {
        let cp = c as u32;
        if cp < 128 {
            return self.ascii[cp as usize];
        }
        if let Some(&s) = self.direct.get(cp.wrapping_sub(self.lo) as usize) {
            if s != NONE {
                return s;
            }
        }
        self.symbol_outside_alphabet(c)
    }

    /// [`Self::symbol`] of a non-ASCII character not in the alphabet as written.
    #[inline(never)]
    fn symbol_outside_alphabet(&self, c: char) -> u8 {
        // Its own lower case and no letter of a script (`Common`, `Inherited`, `Unknown` are
        // never a model's script): what follows would say boundary, without the case and
        // script table searches.
        //
        // Its own lower case: no lower-case lookup, and the class holds its script (the
        // `Script` discriminant, or none for `Common`, `Inherited`, `Unknown`).
        let k = char_class(c);
        if !matches!(
            self.script,
            Script::Common | Script::Inherited | Script::Unknown
        ) {
            if k & PLAIN_BOUNDARY != 0 {
                return self.boundary;
            }
            if k & OWN_LOWER != 0 {
                let same_script = k as u8 == self.script as u8;
                return if same_script
                    && crate::text::chars::is_letter(c)
                    && !is_presentation_form(c)
                {
                    self.other
                } else {
                    self.boundary
                };
            }
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        if lower != c {
            if let Some(&s) = self
                .direct
                .get((lower as u32).wrapping_sub(self.lo) as usize)
            {
                if s != NONE {
                    return s;
                }
            }
        }
        if crate::text::chars::is_letter(c) && c.script() == self.script && !is_presentation_form(c)
        {
            self.other
        } else {
            self.boundary
        }
    }

    /// The letter transitions of a text given as its symbols: the walk of
    /// [`GarbledModel::evidence`] (boundaries collapse, the text ends with one). `RUNS`: whether
    /// runs of one letter count (every script but Latin).
    ///
    /// The two previous symbols are kept together as `p2 << 8 | p1`, so the trigram to look up
    /// is one shift away. Both previous symbols are boundaries only before the first letter (a
    /// boundary after a boundary is skipped): the first letter is taken apart, and every later
    /// step is a trigram.
    #[inline(always)]
    fn walk<const RUNS: bool>(&self, mut symbols: impl Iterator<Item = u8>) -> Walk {
        let b = self.boundary as u32;
        let (costs, n, seen, shift) = (self.costs, self.n, self.seen, 32 - self.bits);
        let mut w = Walk::default();
        // Leading boundaries are skipped; no letter at all walks nothing.
        let Some(first) = symbols.by_ref().map(u32::from).find(|&s| s != b) else {
            return w;
        };
        w.cost = costs[b as usize * n + first as usize] as u32;
        w.transitions = 1;
        w.letters = 1;
        let mut prev = b << 8 | first;
        let mut run = 0u32;
        for s in symbols.map(u32::from).chain(std::iter::once(b)) {
            let p1 = prev & 0xFF;
            if s == b && p1 == b {
                continue;
            }
            w.cost += costs[p1 as usize * n + s as usize] as u32;
            w.transitions += 1;
            // `trigram_hash(p2, p1, s, bits)`.
            let h = ((prev << 8) | s).wrapping_mul(TRIGRAM_MUL) >> shift;
            w.unseen += (seen[(h >> 3) as usize] >> (h & 7)) as u32 & 1 ^ 1;
            if s != b {
                w.letters += 1;
                if RUNS {
                    if s == p1 {
                        run += 1;
                        if run == 2 {
                            w.runs += 1;
                        }
                    } else {
                        run = 0;
                    }
                }
            } else if RUNS {
                run = 0;
            }
            prev = ((prev << 8) | s) & 0xFFFF;
        }
        w.trigrams = w.transitions - 1;
        w
    }

    /// [`Self::walk`] over `text`; ASCII text is read as bytes.
    fn walk_text(&self, text: &str, ascii: bool) -> Walk {
        // Every byte of ASCII text is below 128: the mask changes nothing and spares the bounds
        // check.
        let ascii_symbols = text.bytes().map(|x| self.ascii[(x & 0x7F) as usize]);
        let symbols = text.chars().map(|c| self.symbol(c));
        match (ascii, self.script != Script::Latin) {
            (true, true) => self.walk::<true>(ascii_symbols),
            (true, false) => self.walk::<false>(ascii_symbols),
            (false, true) => self.walk::<true>(symbols),
            (false, false) => self.walk::<false>(symbols),
        }
    }

    #[cfg(test)]
    fn cost(&self, x: u8, y: u8) -> u32 {
        self.costs[x as usize * self.n + y as usize] as u32
    }

    #[cfg(test)]
    fn seen(&self, x: u8, y: u8, z: u8) -> bool {
        let h = trigram_hash(x, y, z, self.bits);
        self.seen[(h >> 3) as usize] & (1 << (h & 7)) != 0
    }
}

/// Whether the UTF-8 bytes may hold U+FFFD, a private-use code point or a mojibake lead
/// (`Ã Â Ø Ù Ð Ñ Ú Û × â Î Ï` are C3 82/83/98/99/90/91/9A/9B/97/A2/8E/8F).
fn may_have_bad(b: &[u8]) -> bool {
    b.windows(2).any(|w| match w[0] {
        0xEE | 0xEF | 0xF3 | 0xF4 => true,
        0xC3 => matches!(
            w[1],
            0x82 | 0x83 | 0x8E | 0x8F | 0x90 | 0x91 | 0x97 | 0x98 | 0x99 | 0x9A | 0x9B | 0xA2
        ),
        _ => false,
    })
}

fn is_presentation_form(c: char) -> bool {
    matches!(c as u32, 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Sums of one walk over a text's symbols.
#[derive(Debug, Clone, Copy, Default)]
struct Walk {
    cost: u32,
    transitions: u32,
    trigrams: u32,
    unseen: u32,
    letters: u32,
    runs: u32,
}

impl Evidence {
    /// The evidence of `walk` under model `m`, with the counts `chars` and `bad`.
    fn of_walk(m: &ScriptModel, w: Walk, chars: u32, bad: u32) -> Evidence {
        let mut ev = Evidence {
            letters: w.letters,
            runs: w.runs,
            chars,
            bad,
            margins: m.margins,
            ..Evidence::default()
        };
        if w.transitions > 0 {
            ev.excess_bits = w.cost as f32 / 8.0 / w.transitions as f32 - m.mean;
        }
        if w.trigrams > 0 {
            ev.unseen = w.unseen as f32 / w.trigrams as f32;
        }
        ev
    }
}

impl GarbledModel {
    fn get(&self, script: &str) -> Option<&ScriptModel> {
        let key = code_key(script)?;
        self.scripts.iter().find(|m| m.key == key)
    }

    #[cfg(any(test, feature = "internals"))]
    /// The ISO 15924 codes of the scripts with a letter model.
    pub fn scripts(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.scripts.iter().map(|m| m.code)
    }

    #[cfg(any(test, feature = "internals"))]
    /// Scans `text`, whose dominant script is `script` (ISO 15924).
    pub fn evidence(&self, text: &str, script: &str) -> Evidence {
        let chars = text
            .bytes()
            .filter(|&b| b & 0xC0 != 0x80 && !crate::text::chars::is_ascii_ws(b))
            .count() as u32;
        let bad = if may_have_bad(text.as_bytes()) {
            count_bad(text)
        } else {
            0
        };
        self.evidence_counted(text, script, chars, bad, text.is_ascii())
    }

    /// [`Self::evidence`] when the caller has counted already: `chars` (characters other than
    /// ASCII whitespace) and `bad` (what [`count_bad`] counts), and knows whether `text` is
    /// ASCII.
    pub(crate) fn evidence_counted(
        &self,
        text: &str,
        script: &str,
        chars: u32,
        bad: u32,
        ascii: bool,
    ) -> Evidence {
        match self.get(script) {
            Some(m) => Evidence::of_walk(m, m.walk_text(text, ascii), chars, bad),
            None => Evidence {
                chars,
                bad,
                ..Evidence::default()
            },
        }
    }

    /// The garbled score of `text` (dominant script `script`) under the letter model of the
    /// language `lang` alone, when there is one: a segment that the script's model, a mix of
    /// all the script's languages, reads as garbled may be ordinary text of a language whose
    /// letters are rare in that mix (Polish, Vietnamese, Hungarian in Latin letters).
    pub fn score_in_language(&self, text: &str, script: &str, lang: &str) -> Option<f32> {
        let key = code_key(script)?;
        let (_, m) = self
            .langs
            .iter()
            .find(|(l, m)| *l == lang && m.key == key)?;
        let chars = text
            .bytes()
            .filter(|&b| b & 0xC0 != 0x80 && !crate::text::chars::is_ascii_ws(b))
            .count() as u32;
        let bad = if may_have_bad(text.as_bytes()) {
            super::classes::count_bad(text)
        } else {
            0
        };
        Some(Evidence::of_walk(m, m.walk_text(text, text.is_ascii()), chars, bad).score())
    }

    #[cfg(any(test, feature = "internals"))]
    /// The languages with a letter model of their own, with their script.
    pub fn languages(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.langs.iter().map(|(l, m)| (*l, m.code))
    }

    #[cfg(any(test, feature = "internals"))]
    /// The garbled score of `text`, whose dominant script is `script`.
    pub fn score(&self, text: &str, script: &str) -> f32 {
        self.evidence(text, script).score()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stage::script::classes::{is_mojibake_lead, is_mojibake_tail, is_private_use};

    /// The scan of [`GarbledModel::evidence`] as first written: one character at a time, the
    /// counts in their own passes. The faster paths must give exactly its evidence.
    pub(crate) fn evidence_reference(model: &GarbledModel, text: &str, script: &str) -> Evidence {
        let mut ev = Evidence {
            chars: text
                .bytes()
                .filter(|&b| b & 0xC0 != 0x80 && !crate::text::chars::is_ascii_ws(b))
                .count() as u32,
            bad: count_bad_reference(text),
            ..Evidence::default()
        };
        let Some(m) = model.scripts.iter().find(|m| m.code == script) else {
            return ev;
        };
        ev.margins = margins(m.code);
        let count_runs = m.script != Script::Latin;
        let b = m.boundary;
        let (mut p1, mut p2) = (b, b);
        let mut cost = 0u32;
        let mut transitions = 0u32;
        let mut trigrams = 0u32;
        let mut unseen = 0u32;
        let mut run = 0u32;
        for s in text
            .chars()
            .map(|c| symbol_reference(m, c))
            .chain(std::iter::once(b))
        {
            if s == b && p1 == b {
                continue;
            }
            cost += m.cost(p1, s);
            transitions += 1;
            if p2 != b || p1 != b {
                trigrams += 1;
                unseen += !m.seen(p2, p1, s) as u32;
            }
            if s != b {
                ev.letters += 1;
                if s == p1 {
                    run += 1;
                    if run == 2 && count_runs {
                        ev.runs += 1;
                    }
                } else {
                    run = 0;
                }
            } else {
                run = 0;
            }
            p2 = p1;
            p1 = s;
        }
        if transitions > 0 {
            ev.excess_bits = cost as f32 / 8.0 / transitions as f32 - m.mean;
        }
        if trigrams > 0 {
            ev.unseen = unseen as f32 / trigrams as f32;
        }
        ev
    }

    /// [`count_bad`] as first written, from the predicates rather than the class table: the
    /// reference the table's count is checked against.
    fn count_bad_reference(text: &str) -> u32 {
        let mut bad = 0;
        let mut prev = ' ';
        for c in text.chars() {
            if c == '\u{FFFD}'
                || is_private_use(c)
                || (is_mojibake_tail(c) && is_mojibake_lead(prev))
            {
                bad += 1;
            }
            prev = c;
        }
        bad
    }

    /// `ScriptModel::symbol` as first written.
    fn symbol_reference(m: &ScriptModel, c: char) -> u8 {
        let cp = c as u32;
        if cp < 128 {
            return m.ascii[cp as usize];
        }
        if let Some(&s) = m.direct.get(cp.wrapping_sub(m.lo) as usize) {
            if s != NONE {
                return s;
            }
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        if lower != c {
            if let Some(&s) = m.direct.get((lower as u32).wrapping_sub(m.lo) as usize) {
                if s != NONE {
                    return s;
                }
            }
        }
        if crate::text::chars::is_letter(c) && c.script() == m.script && !is_presentation_form(c) {
            m.other
        } else {
            m.boundary
        }
    }

    #[test]
    fn symbols_of_every_character_in_every_model() {
        for m in &model().scripts {
            for u in 0..=0x10FFFFu32 {
                if let Some(c) = char::from_u32(u) {
                    assert_eq!(m.symbol(c), symbol_reference(m, c), "{} U+{u:04X}", m.code);
                }
            }
        }
    }

    #[test]
    fn ascii_table_is_the_symbol_of_each_byte() {
        for m in &model().scripts {
            for b in 0..128u8 {
                let s = m.ascii[b as usize];
                assert!(s == m.boundary || (s as usize) < m.n - 2, "{} {b}", m.code);
            }
            assert_eq!(m.key, code_key(m.code).expect("four letters"));
        }
    }

    #[test]
    fn model_parses() {
        let m = parse(MODEL_BYTES).expect("model");
        let codes: Vec<_> = m.scripts().collect();
        for s in ["Arab", "Hebr", "Cyrl", "Grek", "Latn", "Deva"] {
            assert!(codes.contains(&s), "{s} missing from {codes:?}");
        }
    }

    /// Raw lines 11, 14 and 21 of raw/004_f87cfe8deb922ad8.txt: Arabic through a broken PDF
    /// font map (whatlang still calls them Arabic).
    const GARBLED_004: [&str; 3] = [
        "لإنللن مفللن   اا:اذ بيجلل تحيللأ اما للس حقلل  لإنللن  اه اللاا ةيللو الة للالس الللنا    مللن",
        "ق قةا  المجق   مشلا ةس المس الاا النةنيلس قنلن  اه الاا تالنند أا نضل  بلالتي تو ، 5/1في مةً",
        "لنعزيلز واايلس لإنلن  اه الاا مس اس وةنيس قنن  اه ااا اعنمدتها ننس الننايق الدوليس لقمس ااا النةنيس  *",
    ];

    /// Legible real text: the header of raw/004 and UDHR Article 1 in several scripts.
    const LEGIBLE: [(&str, &str); 8] = [
        ("Arab", "المدنية والسياسية والاقتصادية ،وحماية جميع حقوق الإنسانتعزيز"),
        ("Arab", "والاجتماعية والثقافية، بما في ذلك الحق في التنمية"),
        ("Arab", "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا وعليهم أن يعامل بعضهم بعضًا بروح الإخاء."),
        ("Arab", "تمام انسان آزاد اور حقوق و عزت کے اعتبار سے برابر پیدا ہوئے ہیں۔ انہیں ضمیر اور عقل ودیعت ہوئی ہے۔"),
        ("Hebr", "כל בני אדם נולדו בני חורין ושווים בערכם ובזכויותיהם. כולם חוננו בתבונה ובמצפון, לפיכך חובה עליהם לנהוג איש ברעהו ברוח של אחוה."),
        ("Cyrl", "Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены разумом и совестью и должны поступать в отношении друг друга в духе братства."),
        ("Grek", "Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι στην αξιοπρέπεια και τα δικαιώματα."),
        ("Latn", "The crime committed in Khojaly city at the night from 25 to 26 February, 1992, by the Armenian armed forces"),
    ];

    #[test]
    fn garbled_004_against_legible_text() {
        let m = model();
        for g in GARBLED_004 {
            let s = m.score(g, "Arab");
            assert!(s >= 0.5, "{s} {:?}: {g}", m.evidence(g, "Arab"));
        }
        for (script, t) in LEGIBLE {
            let s = m.score(t, script);
            assert!(s < 0.5, "{s} {:?}: {t}", m.evidence(t, script));
        }
    }

    #[test]
    fn replacement_private_use_and_mojibake() {
        let m = model();
        assert!(m.score("\u{FFFD}\u{FFFD}\u{FFFD} \u{FFFD}\u{FFFD}", "Zyyy") >= 0.5);
        assert!(m.score("\u{E000}\u{E001}\u{E002}\u{E003}", "Zyyy") >= 0.5);
        // UTF-8 Arabic read as windows-1252.
        assert!(m.score("Ø§Ù„Ø¥Ù†Ø³Ø§Ù†", "Latn") >= 0.5);
        assert!(m.score("Ã©tÃ© Ã  la plage", "Latn") >= 0.5);
        assert_eq!(m.evidence("été à la plage", "Latn").bad, 0);
        assert!(m.score("人人生而自由，在尊严和权利上一律平等。", "Hani") < 0.5);
    }

    #[test]
    fn runs_of_one_letter() {
        let e = model().evidence("النللللللةا واًنللللللا عقي لللللا", "Arab");
        assert!(e.runs >= 3, "{e:?}");
    }
}

#[cfg(test)]
mod language_tests {
    use super::*;

    /// Real clean lines of Debian packages (Polish and Hungarian message catalogs, the Czech and
    /// Vietnamese coreutils manual pages) that the Latin model, a mix of all the languages
    /// written in Latin letters, reads as less fluent than they are.
    const CLEAN: [(&str, &str); 4] = [
        ("pol", "Zezwalaj na szybką edycję"),
        ("hun", "Az egérmutató mozgási sebességének módosítása."),
        ("ces", "Skončí s návratovou hodnotou podle výsledku VÝRAZu."),
        (
            "vie",
            "không in ra gì cả, mã trạng thái cho biết thành công",
        ),
    ];

    #[test]
    fn language_models_accept_their_languages() {
        let m = model();
        let langs: Vec<_> = m.languages().collect();
        for (lang, text) in CLEAN {
            assert!(langs.contains(&(lang, "Latn")), "{lang} missing");
            let s = m.score_in_language(text, "Latn", lang).expect("model");
            assert!(s < 0.5, "{lang} {s}: {text}");
        }
        assert!(m.score_in_language("x", "Latn", "xyz").is_none());
    }

    #[test]
    fn language_model_still_sees_a_broken_font_map() {
        let m = model();
        for g in tests_garbled() {
            let s = m.score_in_language(g, "Arab", "arb").expect("arb model");
            assert!(s >= 0.5, "{s}: {g}");
        }
    }

    fn tests_garbled() -> [&'static str; 2] {
        [
            "لإنللن مفللن   اا:اذ بيجلل تحيللأ اما للس حقلل  لإنللن  اه اللاا ةيللو الة للالس الللنا    مللن",
            "لنعزيلز واايلس لإنلن  اه الاا مس اس وةنيس قنن  اه ااا اعنمدتها ننس الننايق الدوليس لقمس ااا النةنيس  *",
        ]
    }
}
