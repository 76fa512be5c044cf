//! Script and direction of each segment.
//!
//! `script` is the ISO 15924 code of the script with most letters (unicode-script).
//! `direction` comes from unicode-bidi's resolved levels, run only when a byte scan finds a
//! possible right-to-left character: most text has none, and the scan is far cheaper than the
//! bidi algorithm. `rtl_runs` are the maximal runs at odd (right-to-left) levels, with the numbers
//! embedded in them, in code points.
//!
//! The stage also repairs the brackets of right-to-left text extracted from PDFs in visual order
//! (`)أمين المظالم(` becomes `(أمين المظالم)`, flag `repaired_bidi`) and scores garbled text
//! (flag `garbled`, see [`crate::garbled`]).

use unicode_bidi::{BidiClass, BidiInfo};
use unicode_script::{Script, UnicodeScript};

use std::ops::Range;

use crate::config::ScriptConfig;
use crate::doc::{Direction, Flags};
use crate::garbled::GarbledModel;

/// The script stage, built once from the config.
#[derive(Debug, Clone)]
pub struct ScriptTagger {
    cfg: ScriptConfig,
    garbled: &'static GarbledModel,
}

/// What the script stage says of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptInfo {
    pub script: &'static str,
    pub direction: Direction,
    pub rtl_runs: Vec<(u32, u32)>,
}

/// What the script stage says of one segment, after repairing it in place.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentScript {
    pub info: ScriptInfo,
    /// `repaired_bidi` and `garbled`, when they apply.
    pub flags: Flags,
    pub garbled_score: f32,
}

/// Whether `text` may hold a right-to-left character, from its UTF-8 bytes alone: Hebrew,
/// Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic (U+0590–U+08FF), the presentation forms
/// (U+FB1D–U+FDFF, U+FE70–U+FEFF) and the right-to-left ranges of the supplementary planes
/// (U+10800–U+10FFF, U+1E800–U+1EFFF). Other scripts of the three-byte range (Devanagari, Thai,
/// CJK and its full-width punctuation) do not trigger it.
pub fn may_have_rtl(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x < 0xD6 {
            i += 1;
            continue;
        }
        let y = b.get(i + 1).copied().unwrap_or(0);
        let hit = match x {
            0xD6..=0xDF => true,
            0xE0 => (0xA0..=0xA3).contains(&y),
            0xEF => (0xAC..=0xB7).contains(&y) || (0xB9..=0xBB).contains(&y),
            0xF0 => {
                let z = b.get(i + 2).copied().unwrap_or(0);
                (y == 0x90 || y == 0x9E) && z >= 0xA0
            }
            _ => false,
        };
        if hit {
            return true;
        }
        i += 1;
    }
    false
}

fn is_strong_rtl(c: char) -> bool {
    matches!(unicode_bidi::bidi_class(c), BidiClass::R | BidiClass::AL)
}

impl ScriptTagger {
    pub fn new(cfg: &ScriptConfig) -> ScriptTagger {
        ScriptTagger {
            cfg: cfg.clone(),
            garbled: crate::garbled::model(),
        }
    }

    /// Tags the segment `text[range]`: script, direction, runs, garbled score; with
    /// `repair_bidi`, swaps back the mirrored brackets of right-to-left text in place (same
    /// bytes length, so every range stays valid).
    pub fn tag_segment(&self, text: &mut String, range: Range<usize>) -> SegmentScript {
        let mut flags = Flags::default();
        let seg = &text[range.clone()];
        let script = dominant_script(seg);
        let mut dir = direction(seg);
        if self.cfg.repair_bidi
            && dir.direction != Direction::Ltr
            && repair_brackets(text, range.clone()) > 0
        {
            flags.insert(Flags::REPAIRED_BIDI);
            dir = direction(&text[range.clone()]);
        }
        let garbled_score = self.garbled.score(&text[range], script);
        if garbled_score > 0.0 && garbled_score >= self.cfg.garbled_threshold {
            flags.insert(Flags::GARBLED);
        }
        SegmentScript {
            info: ScriptInfo { script, ..dir },
            flags,
            garbled_score,
        }
    }

    pub fn tag(&self, text: &str) -> ScriptInfo {
        ScriptInfo {
            script: dominant_script(text),
            ..direction(text)
        }
    }
}

/// The ISO 15924 code of the script with most letters, `Zyyy` when there are none.
pub fn dominant_script(text: &str) -> &'static str {
    if text.is_ascii() {
        return if text.bytes().any(|b| b.is_ascii_alphabetic()) {
            "Latn"
        } else {
            "Zyyy"
        };
    }
    // Small linear table: a segment rarely has more than two or three scripts.
    let mut counts: Vec<(Script, u32)> = Vec::with_capacity(4);
    for c in text.chars() {
        let s = match c as u32 {
            0x41..=0x5A | 0x61..=0x7A => Script::Latin,
            0..=0x7F => continue,
            // Fast paths for the common letters; everything else asks unicode-script.
            0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F => Script::Latin,
            0x391..=0x3A1 | 0x3A3..=0x3CE => Script::Greek,
            0x400..=0x481 | 0x48A..=0x52F => Script::Cyrillic,
            0x5D0..=0x5EA => Script::Hebrew,
            0x621..=0x63F | 0x641..=0x64A => Script::Arabic,
            _ => match c.script() {
                Script::Common | Script::Inherited | Script::Unknown => continue,
                s => s,
            },
        };
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    // Japanese: kana and kanji together are one writing system.
    let han = counts
        .iter()
        .find(|(s, _)| *s == Script::Han)
        .map_or(0, |x| x.1);
    let kana: u32 = counts
        .iter()
        .filter(|(s, _)| matches!(s, Script::Hiragana | Script::Katakana))
        .map(|x| x.1)
        .sum();
    let hangul = counts
        .iter()
        .find(|(s, _)| *s == Script::Hangul)
        .map_or(0, |x| x.1);
    let best = counts
        .iter()
        .max_by_key(|(s, n)| (*n, std::cmp::Reverse(s.short_name())));
    match best {
        None => "Zyyy",
        Some((Script::Han | Script::Hiragana | Script::Katakana, _))
            if kana > 0 && kana + han >= hangul =>
        {
            "Jpan"
        }
        Some((Script::Han, _)) if hangul > 0 => "Kore",
        Some((s, _)) => s.short_name(),
    }
}

/// Direction and right-to-left runs of `text`.
///
/// `rtl` when the text has strong right-to-left letters and no strong left-to-right ones (digits
/// and punctuation are weak: Arabic with numbers is still `rtl`), `mixed` when it has both, `ltr`
/// otherwise. The runs of a mixed text are the maximal stretches at odd resolved levels, joined
/// with the numbers embedded in them (level 2 without any strong left-to-right letter), trimmed
/// of whitespace at both ends, in code points.
pub fn direction(text: &str) -> ScriptInfo {
    let ltr = ScriptInfo {
        script: "Zyyy",
        direction: Direction::Ltr,
        rtl_runs: Vec::new(),
    };
    if !may_have_rtl(text) || !text.chars().any(is_strong_rtl) {
        return ltr;
    }
    let has_ltr = text
        .chars()
        .any(|c| unicode_bidi::bidi_class(c) == BidiClass::L);
    if !has_ltr {
        return ScriptInfo {
            direction: Direction::Rtl,
            ..ltr
        };
    }
    let info = BidiInfo::new(text, None);
    // Per code point: resolved level, strong left-to-right, whitespace.
    let chars: Vec<(u8, bool, bool)> = text
        .char_indices()
        .map(|(i, c)| {
            (
                info.levels[i].number(),
                unicode_bidi::bidi_class(c) == BidiClass::L,
                c.is_whitespace(),
            )
        })
        .collect();
    let mut in_rtl: Vec<bool> = chars.iter().map(|&(l, _, _)| l % 2 == 1).collect();
    // Numbers inside right-to-left text sit one level up (even): a stretch of such levels with
    // no strong left-to-right letter belongs to the right-to-left run around it.
    let mut i = 0;
    while i < chars.len() {
        let (l, _, _) = chars[i];
        if l % 2 == 0 && l >= 2 {
            let start = i;
            while i < chars.len() && chars[i].0 % 2 == 0 && chars[i].0 >= 2 {
                i += 1;
            }
            if !chars[start..i].iter().any(|x| x.1) {
                in_rtl[start..i].iter_mut().for_each(|x| *x = true);
            }
        } else {
            i += 1;
        }
    }
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !in_rtl[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && in_rtl[i] {
            i += 1;
        }
        let (mut s, mut e) = (start, i);
        while s < e && chars[s].2 {
            s += 1;
        }
        while e > s && chars[e - 1].2 {
            e -= 1;
        }
        if s < e {
            runs.push((s as u32, e as u32));
        }
    }
    ScriptInfo {
        direction: Direction::Mixed,
        rtl_runs: runs,
        ..ltr
    }
}

/// Brackets of right-to-left text extracted in visual order: the byte offsets of pairs written
/// mirrored, `)…(` around right-to-left letters, to swap back into `(…)`.
///
/// A pair is repaired only when the evidence is clear: the closing bracket opens nothing (no
/// bracket of its kind is open before it), it follows the start, a space or punctuation and is
/// followed by a right-to-left letter; the opening bracket comes right after a right-to-left
/// letter or digit and is followed by the end, a space or punctuation; there is no bracket of
/// that kind between them, and at least one strong right-to-left letter.
pub fn mirrored_brackets(text: &str) -> Vec<(usize, usize)> {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    if !PAIRS
        .iter()
        .any(|&(_, c)| memchr::memchr(c, bytes).is_some())
    {
        return out;
    }
    let char_before = |i: usize| text[..i].chars().next_back();
    let char_after = |i: usize| text[i + 1..].chars().next();
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    for (open, close) in PAIRS {
        let mut depth = 0i32;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == open {
                depth += 1;
            } else if b == close && depth > 0 {
                depth -= 1;
            } else if b == close
                && !is_word(char_before(i))
                && char_after(i).is_some_and(is_strong_rtl)
            {
                // A closer that closes nothing: look for its mirrored opener.
                let rest = &bytes[i + 1..];
                let j = rest.iter().position(|&x| x == open || x == close);
                if let Some(j) = j.map(|j| i + 1 + j) {
                    let inner = &text[i + 1..j];
                    if bytes[j] == open
                        && char_before(j).is_some_and(|c| is_strong_rtl(c) || c.is_numeric())
                        && !is_word(char_after(j))
                        && inner.chars().any(is_strong_rtl)
                    {
                        out.push((i, j));
                        i = j + 1;
                        continue;
                    }
                }
            }
            i += 1;
        }
    }
    out.sort_unstable();
    out
}

/// Swaps the mirrored brackets found by [`mirrored_brackets`] in `text[range]`; returns how
/// many pairs were swapped. Brackets are ASCII, so lengths and offsets do not change.
pub fn repair_brackets(text: &mut String, range: std::ops::Range<usize>) -> usize {
    let pairs = mirrored_brackets(&text[range.clone()]);
    for &(c, o) in &pairs {
        let (c, o) = (range.start + c, range.start + o);
        let (cb, ob) = (text.as_bytes()[c], text.as_bytes()[o]);
        // Both are ASCII brackets found in this text: replacing one ASCII byte by another keeps
        // the string valid UTF-8.
        text.replace_range(c..c + 1, (ob as char).encode_utf8(&mut [0; 4]));
        text.replace_range(o..o + 1, (cb as char).encode_utf8(&mut [0; 4]));
    }
    pairs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(dominant_script("Hello, world"), "Latn");
        assert_eq!(dominant_script("مجلس حقوق الإنسان"), "Arab");
        assert_eq!(dominant_script("שלום עולם"), "Hebr");
        assert_eq!(dominant_script("Привет, мир"), "Cyrl");
        assert_eq!(dominant_script("すべての人間は"), "Jpan");
        assert_eq!(dominant_script("人人生而自由"), "Hani");
        assert_eq!(dominant_script("모든 인간은"), "Hang");
        assert_eq!(dominant_script("123 ..."), "Zyyy");
    }

    // Real sentences: Article 1 of the Universal Declaration of Human Rights in each language
    // ("UDHR in Unicode" translations), and the legible header of raw/004_f87cfe8deb922ad8.txt.
    const ARA: &str = "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا وعليهم أن يعامل بعضهم بعضًا بروح الإخاء.";
    const HEB: &str = "כל בני אדם נולדו בני חורין ושווים בערכם ובזכויותיהם. כולם חוננו בתבונה ובמצפון, לפיכך חובה עליהם לנהוג איש ברעהו ברוח של אחוה.";
    const FAS: &str = "هر کس میتواند بدون هیچگونه تمایز مخصوصا از حیث نژاد، رنگ، جنس، زبان، مذهب، عقیدهٔ سیاسی یا هر عقیده دیگر و همچنین ملیت، وضع اجتماعی، ثروت، ولادت یا هر موقعیت دیگر، از تمام حقوق و کلیهٔ آزادی\u{200c}هائیکه در اعلامیه ذکر حاضر شده است، بهره\u{200c}مند گردد";
    const URD: &str = "تمام انسان آزاد اور حقوق و عزت کے اعتبار سے برابر پیدا ہوئے ہیں۔ انہیں ضمیر اور عقل ودیعت ہوئی ہے۔ اس لئے انہیں ایک دوسرے کے ساتھ بھائی چارے کا سلوک کرنا چاہیئے۔";

    fn tagger() -> ScriptTagger {
        ScriptTagger::new(&ScriptConfig {
            repair_bidi: true,
            garbled_threshold: 0.5,
        })
    }

    fn tag(text: &str) -> (String, SegmentScript) {
        let mut s = text.to_string();
        let r = tagger().tag_segment(&mut s, 0..text.len());
        (s, r)
    }

    /// Code point offset of `needle` in `hay`.
    fn cp(hay: &str, needle: &str) -> u32 {
        hay[..hay.find(needle).expect("needle")].chars().count() as u32
    }

    #[test]
    fn right_to_left_languages() {
        for (text, script) in [(ARA, "Arab"), (HEB, "Hebr"), (FAS, "Arab"), (URD, "Arab")] {
            let (out, t) = tag(text);
            assert_eq!(out, text, "nothing to repair");
            assert_eq!(t.info.script, script);
            assert_eq!(t.info.direction, Direction::Rtl, "{text}");
            assert!(t.info.rtl_runs.is_empty());
            assert!(
                t.flags.is_empty(),
                "{text}: {:?} {}",
                t.flags,
                t.garbled_score
            );
        }
    }

    #[test]
    fn persian_zwnj_stays_rtl_and_legible() {
        assert!(FAS.contains('\u{200c}'));
        let d = direction(FAS);
        assert_eq!(d.direction, Direction::Rtl);
        assert!(crate::garbled::model().score(FAS, "Arab") < 0.5);
    }

    #[test]
    fn may_have_rtl_scan() {
        assert!(may_have_rtl(ARA) && may_have_rtl(HEB) && may_have_rtl(URD));
        assert!(may_have_rtl("\u{FB50}") && may_have_rtl("\u{FEFC}") && may_have_rtl("\u{10900}"));
        for ltr in [
            "Hello",
            "Привет",
            "नमस्ते दुनिया",
            "สวัสดี",
            "你好，世界。",
            "😀",
            "Ελληνικά",
        ] {
            assert!(!may_have_rtl(ltr), "{ltr}");
        }
    }

    #[test]
    fn arabic_with_digits_is_rtl() {
        // raw/004 line 3: digits are weak, the segment stays right-to-left.
        assert_eq!(
            direction(" من جدول الأعمال 3البند").direction,
            Direction::Rtl
        );
        assert_eq!(
            direction("البند 3 من جدول الأعمال").direction,
            Direction::Rtl
        );
    }

    #[test]
    fn mixed_runs_are_code_points_with_numbers_inside() {
        let t = "The council (مجلس حقوق الإنسان) met.";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(13, 30)]);
        assert_eq!(cp(t, "مجلس"), 13);

        // Arabic paragraph with a Latin name, a number and a bracketed year.
        let t = "اجتمع John Smith في 3 مايو (2020) مع المجلس";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        let end = t.chars().count() as u32;
        assert_eq!(m.rtl_runs, vec![(0, 5), (cp(t, "في"), end)]);

        // English sentence quoting Arabic with a number inside.
        let t = "See البند 3 من جدول الأعمال for details.";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(4, cp(t, " for"))]);

        // Hebrew with a Latin product name.
        let t = "התקנת Firefox 115 הושלמה";
        let m = direction(t);
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(
            m.rtl_runs,
            vec![(0, 5), (cp(t, "הושלמה"), t.chars().count() as u32)]
        );
    }

    #[test]
    fn visual_order_brackets_arabic() {
        // raw/004 line 8.
        let (out, t) = tag("*بيان كتابي مقدم من أذربيجان: مفوض حقوق الإنسان )أمين المظالم(");
        assert_eq!(
            out,
            "*بيان كتابي مقدم من أذربيجان: مفوض حقوق الإنسان (أمين المظالم)"
        );
        assert!(t.flags.contains(Flags::REPAIRED_BIDI));
        assert_eq!(t.info.direction, Direction::Rtl);
    }

    #[test]
    fn visual_order_brackets_hebrew() {
        let (out, t) = tag("נציב תלונות הציבור ]אומבודסמן[ הגיש דוח )שנתי( לכנסת");
        assert_eq!(out, "נציב תלונות הציבור [אומבודסמן] הגיש דוח (שנתי) לכנסת");
        assert!(t.flags.contains(Flags::REPAIRED_BIDI));
    }

    #[test]
    fn logical_order_brackets_left_alone() {
        for text in [
            "مفوض حقوق الإنسان (أمين المظالم)",
            "נציב תלונות הציבור (אומבודסמן)",
            "1) البند الأول (انظر المرفق",
            "The council (مجلس حقوق الإنسان) met.",
            "a) first item, b) second (see below",
            ":) مرحبا",
        ] {
            let (out, t) = tag(text);
            assert_eq!(out, text);
            assert!(!t.flags.contains(Flags::REPAIRED_BIDI), "{text}");
        }
        // Switched off: nothing changes.
        let cfg = ScriptConfig {
            repair_bidi: false,
            garbled_threshold: 0.5,
        };
        let mut s = "مفوض حقوق الإنسان )أمين المظالم(".to_string();
        let len = s.len();
        let r = ScriptTagger::new(&cfg).tag_segment(&mut s, 0..len);
        assert!(s.contains(")أمين"));
        assert!(!r.flags.contains(Flags::REPAIRED_BIDI));
    }

    #[test]
    fn repair_inside_a_larger_text() {
        let mut s = "English first\nمفوض حقوق الإنسان )أمين المظالم(".to_string();
        let start = s.find('\n').unwrap() + 1;
        let end = s.len();
        assert_eq!(repair_brackets(&mut s, start..end), 1);
        assert_eq!(s, "English first\nمفوض حقوق الإنسان (أمين المظالم)");
    }

    #[test]
    fn directions() {
        assert_eq!(direction("Hello").direction, Direction::Ltr);
        assert_eq!(direction("مجلس حقوق الإنسان").direction, Direction::Rtl);
        let m = direction("The council (مجلس حقوق الإنسان) met.");
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(13, 30)]);
    }
}
