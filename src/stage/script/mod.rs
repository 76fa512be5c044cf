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
//! (flag `garbled`, see [`garbled`]).
//!
//! The stage is in four parts: this module (the tagger, its one-pass scan and the script
//! counts), `bidi` (direction, right-to-left runs, bracket repair), [`garbled`] (the garbled
//! score) and `classes`, the character class table the other three read. `classes` is a leaf:
//! `bidi` and `garbled` use the stage's shared definitions only through it, never through this
//! module.

use std::ops::Range;

use unicode_script::Script;

pub mod bidi;
mod classes;
pub mod garbled;
pub mod visual;

use crate::config::ScriptConfig;
use crate::doc::{Direction, Flags};
use bidi::mixed_direction;
pub use bidi::{direction, repair_brackets, ScriptInfo};
use classes::{
    count_bad, letter_script, BAD, CLASSES, MAY_RTL, MOJIBAKE_LEAD, NO_SCRIPT, STRONG_LTR,
    STRONG_RTL,
};
use garbled::GarbledModel;

/// The script stage, built once from the config.
#[derive(Debug, Clone)]
pub struct ScriptTagger {
    cfg: ScriptConfig,
    garbled: &'static GarbledModel,
}

/// What the script stage says of one segment, after repairing it in place.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentScript {
    pub info: ScriptInfo,
    /// `repaired_bidi` and `garbled`, when they apply.
    pub flags: Flags,
    pub garbled_score: f32,
}

impl ScriptTagger {
    pub fn new(cfg: &ScriptConfig) -> ScriptTagger {
        ScriptTagger {
            cfg: cfg.clone(),
            garbled: garbled::model(),
        }
    }

    /// A second look at the segments flagged `garbled`, once their language is known: each is
    /// scored again with the letter model of its language alone, where there is one, and is
    /// garbled only if it still reads so (its `garbled_score` becomes that score). The script's
    /// model mixes all the script's languages, so ordinary text of a language whose letters are
    /// rare in the mix reads as garbage to it; text through a broken font map reads as garbage
    /// to its language's model too.
    pub fn recheck_garbled(&self, clean: &str, segs: &mut [crate::doc::Segment]) {
        for s in segs
            .iter_mut()
            .filter(|s| s.dropped.is_none() && s.flags.contains(Flags::GARBLED) && s.lang != "und")
        {
            let Some(text) = clean.get(s.text.clone()) else {
                continue;
            };
            if let Some(score) = self.garbled.score_in_language(text, s.script, s.lang) {
                s.garbled_score = score;
                if !(score > 0.0 && score >= self.cfg.garbled_threshold) {
                    s.flags.remove(Flags::GARBLED);
                }
            }
        }
    }

    /// Tags the segment `text[range]`: script, direction, runs, garbled score; with
    /// `repair_bidi`, swaps back the mirrored brackets of right-to-left text in place (same
    /// bytes length, so every range stays valid).
    pub fn tag_segment(&self, text: &mut String, range: Range<usize>) -> SegmentScript {
        let mut flags = Flags::default();
        let seg = &text[range.clone()];
        let scan = Scan::of(seg);
        let script = scan.script;
        let mut dir = scan.direction(seg);
        if self.cfg.repair_bidi
            && dir.direction != Direction::Ltr
            && repair_brackets(text, range.clone()) > 0
        {
            flags.insert(Flags::REPAIRED_BIDI);
            dir = direction(&text[range.clone()]);
        }
        // The repair swaps ASCII brackets: the characters counted by the scan (all but ASCII
        // whitespace), the bad ones and ASCII-ness are those of the repaired text too.
        let garbled_score = self
            .garbled
            .evidence_counted(&text[range], script, scan.chars, scan.bad, scan.ascii)
            .score();
        if garbled_score > 0.0 && garbled_score >= self.cfg.garbled_threshold {
            flags.insert(Flags::GARBLED);
        }
        SegmentScript {
            info: ScriptInfo { script, ..dir },
            flags,
            garbled_score,
        }
    }

    #[cfg(any(test, feature = "internals"))]
    pub fn tag(&self, text: &str) -> ScriptInfo {
        let scan = Scan::of(text);
        ScriptInfo {
            script: scan.script,
            ..scan.direction(text)
        }
    }
}

/// What one pass over a text finds: everything the stage needs but the garbled model's walk.
///
/// The general paths ([`dominant_script_by_chars`], [`direction`], the counts of
/// [`GarbledModel::evidence`]) each read the text once and look every character up in
/// unicode-script's and unicode-bidi's tables; the scan reads it once and looks each character
/// up in [`CLASSES`]. Pure ASCII text is answered from its bytes.
struct Scan {
    script: &'static str,
    ascii: bool,
    /// The union of the characters' flags.
    flags: u16,
    /// Characters other than ASCII whitespace.
    chars: u32,
    /// U+FFFD, private-use characters and mojibake pairs.
    bad: u32,
}

impl Scan {
    fn of(text: &str) -> Scan {
        let b = text.as_bytes();
        if b.is_ascii() {
            return Scan {
                script: if b.iter().any(u8::is_ascii_alphabetic) {
                    "Latn"
                } else {
                    "Zyyy"
                },
                ascii: true,
                flags: 0,
                chars: non_space_chars(b),
                bad: 0,
            };
        }
        let mut counts = ScriptCounts::new();
        let mut flags = 0u16;
        for c in text.chars() {
            let k = CLASSES.get(c);
            flags |= k;
            counts.add(k as u8, c);
        }
        let chars = non_space_chars(b);
        // Without U+FFFD, private use or a mojibake lead there is nothing bad to count.
        let bad = if flags & (BAD | MOJIBAKE_LEAD) == 0 {
            0
        } else {
            count_bad(text)
        };
        Scan {
            script: counts
                .dominant()
                .unwrap_or_else(|| dominant_script_by_chars(text)),
            ascii: false,
            flags,
            chars,
            bad,
        }
    }

    /// [`direction`] of the scanned `text`: only text with both right-to-left and
    /// left-to-right letters runs the bidi algorithm.
    fn direction(&self, text: &str) -> ScriptInfo {
        if self.flags & MAY_RTL == 0 || self.flags & STRONG_RTL == 0 {
            ScriptInfo {
                script: "Zyyy",
                direction: Direction::Ltr,
                rtl_runs: Vec::new(),
            }
        } else if self.flags & STRONG_LTR == 0 {
            ScriptInfo {
                script: "Zyyy",
                direction: Direction::Rtl,
                rtl_runs: Vec::new(),
            }
        } else {
            mixed_direction(text)
        }
    }
}

/// The characters of UTF-8 `b` that are not ASCII whitespace: its lead bytes (not
/// `0x80..=0xBF`) that are not `\t \n \x0C \r` or space. Written without branches, so that it
/// runs on whole vectors of bytes.
fn non_space_chars(b: &[u8]) -> u32 {
    let mut n = 0u32;
    for chunk in b.chunks(128) {
        let mut k = 0u8;
        for &x in chunk {
            let continuation = (x as i8) < -0x40;
            let space = (x == b' ') | (x.wrapping_sub(b'\t') < 5);
            k += !(continuation | space) as u8;
        }
        // Modulo 2^32, as the count it replaces (`count() as u32`).
        n = n.wrapping_add(k as u32);
    }
    n
}

/// Letters per script in order of first appearance, for up to [`ScriptCounts::MAX`] scripts.
struct ScriptCounts {
    ids: [u8; ScriptCounts::MAX],
    counts: [u32; ScriptCounts::MAX],
    /// The first character of each script, to name it.
    first: [char; ScriptCounts::MAX],
    len: usize,
    /// The slot of the last script counted.
    last: usize,
    overflow: bool,
}

impl ScriptCounts {
    const MAX: usize = 8;

    fn new() -> ScriptCounts {
        ScriptCounts {
            ids: [NO_SCRIPT; Self::MAX],
            counts: [0; Self::MAX],
            first: ['\0'; Self::MAX],
            len: 0,
            last: 0,
            overflow: false,
        }
    }

    #[inline]
    fn add(&mut self, id: u8, c: char) {
        if id == NO_SCRIPT {
            return;
        }
        // Unfilled slots hold NO_SCRIPT, so this never matches one.
        if self.ids[self.last] == id {
            self.counts[self.last] += 1;
            return;
        }
        match self.ids[..self.len].iter().position(|&x| x == id) {
            Some(i) => {
                self.counts[i] += 1;
                self.last = i;
            }
            None if self.len < Self::MAX => {
                let i = self.len;
                self.ids[i] = id;
                self.counts[i] = 1;
                self.first[i] = c;
                self.len += 1;
                self.last = i;
            }
            None => self.overflow = true,
        }
    }

    /// What [`dominant_script_by_chars`] says of the text; `None` past [`Self::MAX`] scripts.
    fn dominant(&self) -> Option<&'static str> {
        if self.overflow {
            return None;
        }
        let mut list = [(Script::Common, 0u32); Self::MAX];
        let filled = self.first.iter().zip(&self.counts).take(self.len);
        for (slot, (&c, &n)) in list.iter_mut().zip(filled) {
            *slot = (letter_script(c)?, n);
        }
        Some(pick_script(&list[..self.len]))
    }
}

#[cfg(any(test, feature = "internals"))]
/// The ISO 15924 code of the script with most letters, `Zyyy` when there are none.
pub fn dominant_script(text: &str) -> &'static str {
    Scan::of(text).script
}

/// [`dominant_script`] one character at a time, without the class table: the definition, and
/// the answer for text with more scripts than the scan keeps apart.
fn dominant_script_by_chars(text: &str) -> &'static str {
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
        let Some(s) = letter_script(c) else {
            continue;
        };
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    pick_script(&counts)
}

/// The dominant script of letter counts per script (in order of first appearance): the script
/// with the most letters, where Han letters count with the writing system they are part of —
/// with kana as `Jpan` when any kana is present (Japanese), else with Hangul as `Kore` when any
/// Hangul is present (Korean; Hangul alone is `Hang`). So `環境変数の設定のために lesskey` is
/// `Jpan`: 11 letters of Han and kana against 7 Latin ones. Ties go to the code first in
/// alphabetical order.
fn pick_script(counts: &[(Script, u32)]) -> &'static str {
    let count = |k: Script| counts.iter().find(|(s, _)| *s == k).map_or(0, |x| x.1);
    let is_kana = |s: Script| matches!(s, Script::Hiragana | Script::Katakana);
    let han = count(Script::Han);
    let kana: u32 = counts
        .iter()
        .filter(|(s, _)| is_kana(*s))
        .map(|x| x.1)
        .sum();
    let hangul = count(Script::Hangul);
    // The writing system that takes the Han letters, with its letters and its members.
    let (system, letters): (Option<&'static str>, u32) = if kana > 0 && kana + han >= hangul {
        (Some("Jpan"), kana + han)
    } else if hangul > 0 {
        (Some(if han > 0 { "Kore" } else { "Hang" }), hangul + han)
    } else {
        (None, 0)
    };
    let member = |s: Script| match system {
        Some("Jpan") => s == Script::Han || is_kana(s),
        Some(_) => s == Script::Han || s == Script::Hangul,
        None => false,
    };
    let other = counts
        .iter()
        .filter(|(s, _)| !member(*s))
        .map(|(s, n)| (*n, s.short_name()))
        .max_by_key(|&(n, name)| (n, std::cmp::Reverse(name)));
    let candidates = system.map(|name| (letters, name)).into_iter().chain(other);
    candidates
        .max_by_key(|&(n, name)| (n, std::cmp::Reverse(name)))
        .map_or("Zyyy", |(_, name)| name)
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
        // Han and kana count together, against the Latin of a command name.
        assert_eq!(dominant_script("環境変数の設定のために lesskey"), "Jpan");
        assert_eq!(
            dominant_script("キー割り当て lesskey ファイルを生成する lesskey"),
            "Jpan"
        );
        // Kana alone is Japanese; Han alone is Hani; Han with Hangul is Kore.
        assert_eq!(dominant_script("ファイル"), "Jpan");
        assert_eq!(dominant_script("人間"), "Hani");
        assert_eq!(dominant_script("大韓民國 국민"), "Kore");
        // More Latin letters than Han and kana together: Latin.
        assert_eq!(dominant_script("lesskey configuration の"), "Latn");
        assert_eq!(dominant_script("人人生而自由"), "Hani");
        assert_eq!(dominant_script("모든 인간은"), "Hang");
        assert_eq!(dominant_script("123 ..."), "Zyyy");
    }

    // Real sentences: Article 1 of the Universal Declaration of Human Rights in each language
    // ("UDHR in Unicode" translations), and the legible header of raw/004_f87cfe8deb922ad8.txt.
    pub(super) const ARA: &str = "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا وعليهم أن يعامل بعضهم بعضًا بروح الإخاء.";
    pub(super) const HEB: &str = "כל בני אדם נולדו בני חורין ושווים בערכם ובזכויותיהם. כולם חוננו בתבונה ובמצפון, לפיכך חובה עליהם לנהוג איש ברעהו ברוח של אחוה.";
    pub(super) const FAS: &str = "هر کس میتواند بدون هیچگونه تمایز مخصوصا از حیث نژاد، رنگ، جنس، زبان، مذهب، عقیدهٔ سیاسی یا هر عقیده دیگر و همچنین ملیت، وضع اجتماعی، ثروت، ولادت یا هر موقعیت دیگر، از تمام حقوق و کلیهٔ آزادی\u{200c}هائیکه در اعلامیه ذکر حاضر شده است، بهره\u{200c}مند گردد";
    pub(super) const URD: &str = "تمام انسان آزاد اور حقوق و عزت کے اعتبار سے برابر پیدا ہوئے ہیں۔ انہیں ضمیر اور عقل ودیعت ہوئی ہے۔ اس لئے انہیں ایک دوسرے کے ساتھ بھائی چارے کا سلوک کرنا چاہیئے۔";

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
        assert!(crate::stage::script::garbled::model().score(FAS, "Arab") < 0.5);
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

    /// `tag_segment` as first written: the general paths one after the other.
    fn tag_segment_reference(
        t: &ScriptTagger,
        text: &mut String,
        range: Range<usize>,
    ) -> SegmentScript {
        let mut flags = Flags::default();
        let seg = &text[range.clone()];
        let script = dominant_script_by_chars(seg);
        let mut dir = direction(seg);
        if t.cfg.repair_bidi
            && dir.direction != Direction::Ltr
            && repair_brackets(text, range.clone()) > 0
        {
            flags.insert(Flags::REPAIRED_BIDI);
            dir = direction(&text[range.clone()]);
        }
        let garbled_score = crate::stage::script::garbled::tests::evidence_reference(
            t.garbled,
            &text[range],
            script,
        )
        .score();
        if garbled_score > 0.0 && garbled_score >= t.cfg.garbled_threshold {
            flags.insert(Flags::GARBLED);
        }
        SegmentScript {
            info: ScriptInfo { script, ..dir },
            flags,
            garbled_score,
        }
    }

    /// The one-pass stage says exactly what the general paths say of `text`.
    fn assert_same_as_general(text: &str) {
        let scan = Scan::of(text);
        let script = dominant_script_by_chars(text);
        assert_eq!(scan.script, script, "{text:?}");
        assert_eq!(dominant_script(text), script, "{text:?}");
        assert_eq!(scan.ascii, text.is_ascii());
        let general = ScriptInfo {
            script,
            ..direction(text)
        };
        assert_eq!(tagger().tag(text), general, "{text:?}");
        let m = crate::stage::script::garbled::model();
        let reference = crate::stage::script::garbled::tests::evidence_reference(m, text, script);
        assert_eq!(m.evidence(text, script), reference, "{text:?}");
        assert_eq!(
            m.evidence_counted(text, script, scan.chars, scan.bad, scan.ascii),
            reference,
            "{text:?}"
        );
        let (mut a, mut b) = (text.to_string(), text.to_string());
        let fast = tagger().tag_segment(&mut a, 0..text.len());
        let slow = tag_segment_reference(&tagger(), &mut b, 0..text.len());
        assert_eq!(fast, slow, "{text:?}");
        assert_eq!(
            fast.garbled_score.to_bits(),
            slow.garbled_score.to_bits(),
            "{text:?}"
        );
        assert_eq!(a, b);
    }

    #[test]
    fn non_space_chars_counts_like_the_garbled_model() {
        for t in [
            "",
            " ",
            "a\tb\nc\u{B}d\u{C}e\rf g",
            ARA,
            "x\u{A0}y\u{2003}z😀",
        ] {
            let b = t.as_bytes();
            let expected = b
                .iter()
                .filter(|&&x| x & 0xC0 != 0x80 && !crate::text::chars::is_ascii_ws(x))
                .count() as u32;
            assert_eq!(non_space_chars(b), expected, "{t:?}");
            let long = t.repeat(100);
            assert_eq!(non_space_chars(long.as_bytes()), expected * 100, "{t:?}");
        }
    }

    /// Real text: the UDHR translations and the raw seeds, line by line, in pairs of lines and
    /// whole.
    #[test]
    fn fast_paths_agree_on_real_text() {
        let mut n = 0;
        for (_, text) in crate::testdata::real_texts() {
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                assert_same_as_general(l);
                assert_same_as_general(l.trim());
                if let Some(next) = lines.get(i + 1) {
                    assert_same_as_general(&format!("{l}\n{next}"));
                }
                n += 1;
            }
            assert_same_as_general(&text);
        }
        assert!(n > 1000, "{n} lines");
        for t in [
            ARA,
            HEB,
            FAS,
            URD,
            "",
            " ",
            "123 ...",
            "See البند 3 من جدول الأعمال",
        ] {
            assert_same_as_general(t);
        }
    }

    /// More scripts than the scan keeps apart.
    #[test]
    fn many_scripts_fall_back() {
        let t = "a б γ ש ع क ก あ ア 中 한 ა Ա ᚠ ⴰ";
        const { assert!(ScriptCounts::MAX < 15) };
        assert_same_as_general(t);
        assert_same_as_general(&t.repeat(3));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const PIECES: &[&str] = &[
            "All human beings are born free. ",
            "Tous les êtres humains naissent libres. ",
            "Все люди рождаются свободными. ",
            "Όλοι οι άνθρωποι γεννιούνται ελεύθεροι. ",
            "يولد جميع الناس أحرارًا. ",
            "لإنللن مفللن   اا:اذ بيجلل",
            "النللللللةا واًنللللللا",
            "כל בני האדם נולדו בני חורין. ",
            "هر کس میتواند\u{200c}هائیکه ",
            "すべての人間は、",
            "人人生而自由。",
            "모든 인간은 ",
            "सभी मनुष्यों को ",
            "สวัสดี",
            "ﻻ ﷲ ﺍﻟ",
            "Ø§Ù„Ø¥Ù†",
            "Ã©tÃ© Ã  ",
            "â€™ â€œ",
            "\u{FFFD}",
            "\u{E000}\u{F8FF}",
            "\u{F0000}",
            "\u{200F}",
            "\u{200E}",
            "\u{202B}",
            "\u{10900}\u{10800}",
            "\u{1E900}",
            "( ) [ ] { } ",
            ")أمين المظالم( ",
            "3 12 ٣٤ ",
            "\t\n\r\u{B}\u{C} \u{A0}",
            "ааа ллл",
            "Firefox 115 ",
            "𝐀𝐁 😀 𠀀",
            "\u{301}\u{64B}",
        ];

        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    3 => prop::sample::select(PIECES).prop_map(str::to_string),
                    1 => any::<char>().prop_map(|c| c.to_string()),
                    1 => "[a-z ]{0,8}",
                ],
                0..12,
            )
            .prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn fast_paths_agree_on_pieces(t in text()) {
                assert_same_as_general(&t);
            }

            #[test]
            fn fast_paths_agree_on_any_string(t in any::<String>()) {
                assert_same_as_general(&t);
            }
        }
    }
}
