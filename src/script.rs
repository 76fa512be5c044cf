//! Script and direction of each segment.
//!
//! `script` is the ISO 15924 code of the script with most letters (unicode-script).
//! `direction` comes from unicode-bidi's resolved levels, run only when a byte scan finds a
//! possible right-to-left character: most text has none, and the scan is far cheaper than the
//! bidi algorithm. `rtl_runs` are the maximal runs at odd (right-to-left) levels, in code points.

use unicode_bidi::{BidiClass, BidiInfo};
use unicode_script::{Script, UnicodeScript};

use crate::config::ScriptConfig;
use crate::doc::Direction;

/// The script stage, built once from the config.
#[derive(Debug, Clone)]
pub struct ScriptTagger {
    #[allow(dead_code)]
    cfg: ScriptConfig,
}

/// What the script stage says of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptInfo {
    pub script: &'static str,
    pub direction: Direction,
    pub rtl_runs: Vec<(u32, u32)>,
}

/// Whether `text` may hold a right-to-left character: any byte that can start one (Hebrew,
/// Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic: U+0590–U+08FF; presentation forms;
/// the right-to-left planes).
pub fn may_have_rtl(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, 0xD6..=0xDF | 0xE0 | 0xEF | 0xF0))
}

fn is_strong_rtl(c: char) -> bool {
    matches!(unicode_bidi::bidi_class(c), BidiClass::R | BidiClass::AL)
}

impl ScriptTagger {
    pub fn new(cfg: &ScriptConfig) -> ScriptTagger {
        ScriptTagger { cfg: cfg.clone() }
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
        let s = if c.is_ascii_alphabetic() {
            Script::Latin
        } else if c.is_ascii() {
            continue;
        } else {
            match c.script() {
                Script::Common | Script::Inherited | Script::Unknown => continue,
                s => s,
            }
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
pub fn direction(text: &str) -> ScriptInfo {
    let ltr = ScriptInfo {
        script: "Zyyy",
        direction: Direction::Ltr,
        rtl_runs: Vec::new(),
    };
    if !may_have_rtl(text) || !text.chars().any(is_strong_rtl) {
        return ltr;
    }
    let info = BidiInfo::new(text, None);
    let mut odd = 0usize;
    let mut even = 0usize;
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut run_start: Option<u32> = None;
    let mut last_odd_end = 0u32;
    for (cp, (i, c)) in text.char_indices().enumerate() {
        let cp = cp as u32;
        let level = info.levels[i];
        let is_odd = level.is_rtl();
        if !c.is_whitespace() {
            if is_odd {
                odd += 1;
            } else {
                even += 1;
            }
        }
        if is_odd {
            if run_start.is_none() {
                run_start = Some(cp);
            }
            if !c.is_whitespace() {
                last_odd_end = cp + 1;
            }
        } else if let Some(s) = run_start.take() {
            if last_odd_end > s {
                runs.push((s, last_odd_end));
            }
        }
    }
    if let Some(s) = run_start {
        if last_odd_end > s {
            runs.push((s, last_odd_end));
        }
    }
    let direction = match (odd > 0, even > 0) {
        (true, false) => Direction::Rtl,
        (true, true) => Direction::Mixed,
        _ => Direction::Ltr,
    };
    ScriptInfo {
        script: "Zyyy",
        direction,
        rtl_runs: if direction == Direction::Mixed {
            runs
        } else {
            Vec::new()
        },
    }
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

    #[test]
    fn directions() {
        assert_eq!(direction("Hello").direction, Direction::Ltr);
        assert_eq!(direction("مجلس حقوق الإنسان").direction, Direction::Rtl);
        let m = direction("The council (مجلس حقوق الإنسان) met.");
        assert_eq!(m.direction, Direction::Mixed);
        assert_eq!(m.rtl_runs, vec![(13, 30)]);
        let d = direction("البند 3 من جدول الأعمال");
        assert_eq!(d.direction, Direction::Mixed);
        assert_eq!(d.rtl_runs.len(), 2);
    }
}
