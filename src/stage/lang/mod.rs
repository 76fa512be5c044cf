//! Language of each segment (ISO 639-3), with its confidence and where the label came from.
//!
//! Three steps, one pass over the text:
//!
//! 1. **Script.** A segment whose script is written in one language only (Hangul, Greek,
//!    Georgian, Armenian, Thai, Japanese kana, …: [`SCRIPT_LANGUAGES`]) is settled without
//!    scoring. `Zyyy` (no letters) is `und`. Han without kana or Hangul is Mandarin, in
//!    Simplified or Traditional characters by [`codes::han_variant`].
//! 2. **Scoring.** Otherwise the words of the segment's script are scored against every language
//!    of that script at once ([`model`]: hashed character n-grams, naive Bayes profiles built
//!    from real translated text). Words of other scripts — a quoted Russian name in an English
//!    sentence — are not scored.
//! 3. **Context.** The totals of a paragraph are the sums of its segments' totals, and so are
//!    the document's, per script: no text is scored twice. A segment keeps its own best language
//!    only when it beats the language of its context (the other segments of its paragraph, or
//!    else of its document, in the same script) by `[language] switch_margin` nats and has at
//!    least `short_segment_letters` letters; otherwise it takes the context's language
//!    (`lang_source = "context"` unless it agreed on its own). Segments flagged `garbled` do not
//!    count towards any context. Without a reliable context, an unsure segment is `und`.

pub mod codes;
pub mod features;
pub mod model;

use crate::config::LanguageConfig;
use crate::doc::{Flags, LangSource, Segment};
pub use codes::SCRIPT_LANGUAGES;
use codes::{han_variant, Codes, LangSet, CMN_HANT, UND_TAG};
use model::{best, best_of_all, Model, UNITS_PER_NAT};
use std::ops::Range;

/// A confidence in 0..1 from a margin in nats between the best and the second language.
/// Naive Bayes counts overlapping n-grams as independent evidence, so margins run large; the
/// scale brings them back to something like a probability of being right.
fn confidence(margin_nats: f32) -> f32 {
    // From `SURE_NATS` on, e^(-margin/scale) < 2^-25 (half the spacing of f32 below 1), so the
    // result rounds to exactly 1; most margins are that large, and `exp` there goes through
    // its underflow path.
    if margin_nats >= SURE_NATS {
        return 1.0;
    }
    1.0 - (-margin_nats / CONFIDENCE_SCALE).exp()
}

const CONFIDENCE_SCALE: f32 = 4.0;
/// A margin from which [`confidence`] is 1: e^-18 = 1.5e-8 < 2^-25 = 3.0e-8.
const SURE_NATS: f32 = 18.0 * CONFIDENCE_SCALE;

/// The language stage, built once from the config.
pub struct LangTagger {
    model: Model,
    /// Per group of the model: the slots of its rows whose language is allowed, in order.
    allowed: Vec<Vec<usize>>,
    /// Per group of the model: the tag (`lang_script`) of each of its languages.
    tags: Vec<Vec<&'static str>>,
    allow: LangSet,
    deny: LangSet,
    min_confidence: f32,
    short_letters: usize,
    switch_nats: f32,
    context_letters: usize,
}

/// A language label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// ISO 639-3 individual language, or `und`.
    pub lang: &'static str,
    /// The language and its script, FLORES-200 style (`arb_Arab`), or `und_Zyyy`.
    pub tag: &'static str,
    /// 0 to 1.
    pub confidence: f32,
    /// Where the label came from.
    pub source: LangSource,
}

const UND: Label = Label {
    lang: "und",
    tag: UND_TAG,
    confidence: 0.0,
    source: LangSource::Segment,
};

/// How the segments of a script get their language.
#[derive(Clone, Copy)]
enum ByScript {
    /// No letters (`Zyyy`) or no language of the script is known and allowed.
    Nothing,
    /// Written in one language only, with its tag (for `Hani`, the Simplified one).
    Settled(&'static str, &'static str),
    /// Scored in group `g`.
    Scored(usize),
}

/// What a segment's own text says.
#[derive(Clone, Copy)]
enum Own {
    /// Not tagged (dropped) or no letters to go by.
    Nothing,
    /// Settled by its script: language and tag.
    Settled(&'static str, &'static str),
    /// Scored in group `g`; its totals are at `off` in the arena.
    Scored {
        g: usize,
        off: usize,
        letters: usize,
    },
}

impl LangTagger {
    pub fn new(cfg: &LanguageConfig) -> LangTagger {
        // The embedded profiles are checked by a unit test; a corrupt file would be a build bug.
        let model = Model::embedded().unwrap_or(Model { groups: Vec::new() });
        let mut t = LangTagger {
            allowed: Vec::new(),
            tags: Vec::new(),
            allow: LangSet::new(&cfg.allow),
            deny: LangSet::new(&cfg.deny),
            min_confidence: cfg.min_confidence,
            short_letters: cfg.short_segment_letters,
            switch_nats: cfg.switch_margin,
            context_letters: cfg.context_letters,
            model,
        };
        let codes = Codes::get();
        t.tags = t
            .model
            .groups
            .iter()
            .map(|g| g.langs.iter().map(|l| codes.tag(l, g.script)).collect())
            .collect();
        t.allowed = t
            .model
            .groups
            .iter()
            .zip(&t.tags)
            .map(|(g, tags)| {
                (0..g.langs.len())
                    .filter(|&i| t.is_allowed(g.langs[i], tags[i]))
                    .collect()
            })
            .collect();
        t
    }

    /// Whether `lang` written as `tag` may be given: `allow` names it, or else `deny` does not.
    fn is_allowed(&self, lang: &str, tag: &str) -> bool {
        if !self.allow.is_empty() {
            return self.allow.contains(lang, tag);
        }
        !self.deny.contains(lang, tag)
    }

    #[cfg(any(test, feature = "internals"))]
    /// The language of `text` alone, written mostly in `script`, without any context.
    pub fn detect(&self, text: &str, script: &'static str) -> Label {
        let mut segs = [crate::doc::Segment::new(
            0..text.len(),
            0..text.len(),
            0,
            crate::doc::SegKind::Sentence,
        )];
        segs[0].script = script;
        self.tag_document(text, &mut segs);
        Label {
            lang: segs[0].lang,
            tag: segs[0].lang_script,
            confidence: segs[0].lang_confidence,
            source: segs[0].lang_source,
        }
    }

    /// How the segments of `script` get their language.
    fn by_script(&self, script: &'static str) -> ByScript {
        if script == "Zyyy" {
            return ByScript::Nothing;
        }
        if let Some(g) = self
            .model
            .groups
            .iter()
            .position(|gr| gr.script == script && gr.has_table())
        {
            return ByScript::Scored(g);
        }
        let single = SCRIPT_LANGUAGES
            .iter()
            .find(|(s, _, _)| *s == script)
            .map(|(_, l, t)| (*l, *t))
            .or_else(|| {
                self.model
                    .groups
                    .iter()
                    .find(|gr| gr.script == script && gr.langs.len() == 1)
                    .map(|gr| (gr.langs[0], Codes::get().tag(gr.langs[0], script)))
            });
        match single {
            // Han may be either Simplified or Traditional: allowed when either is.
            Some((l, t))
                if self.is_allowed(l, t) || (script == "Hani" && self.is_allowed(l, CMN_HANT)) =>
            {
                ByScript::Settled(l, t)
            }
            _ => ByScript::Nothing,
        }
    }

    /// What the segment `doc[range]` says, its totals appended to `arena` if it is scored.
    fn own(&self, by: ByScript, doc: &str, range: Range<usize>, arena: &mut Vec<u32>) -> Own {
        match by {
            ByScript::Nothing => Own::Nothing,
            ByScript::Settled(l, t) if t == "cmn_Hans" => {
                let t = match han_variant(&doc[range]) {
                    "Hant" => CMN_HANT,
                    _ => t,
                };
                if self.is_allowed(l, t) {
                    Own::Settled(l, t)
                } else {
                    Own::Nothing
                }
            }
            ByScript::Settled(l, t) => Own::Settled(l, t),
            ByScript::Scored(g) => {
                let group = &self.model.groups[g];
                let off = arena.len();
                arena.resize(off + group.stride, 0);
                // Only the first `SCORED_BYTES` of a segment are scored: its totals then fit in
                // 32 bits, and a longer segment's language is told by far less.
                let mut end = range.end.min(range.start.saturating_add(SCORED_BYTES));
                while !doc.is_char_boundary(end) {
                    end -= 1;
                }
                let letters = group.score_in(doc, range.start..end, &mut arena[off..]);
                if letters == 0 {
                    arena.truncate(off);
                    return Own::Nothing;
                }
                Own::Scored { g, off, letters }
            }
        }
    }

    /// Labels the segments of one document. `clean` is the document's output text; segments of a
    /// block are contiguous in it; `script` of each segment must be set. Dropped segments are
    /// left alone.
    pub fn tag_document(&self, clean: &str, segs: &mut [Segment]) {
        let ng = self.model.groups.len();
        let mut arena: Vec<u32> = Vec::new();
        // The segments of a document are mostly of one script: its resolution is kept.
        let mut last: Option<(&'static str, ByScript)> = None;
        let own: Vec<Own> = segs
            .iter()
            .map(|s| {
                if s.dropped.is_some() {
                    return Own::Nothing;
                }
                let by = match last {
                    Some((script, by)) if std::ptr::eq(script, s.script) => by,
                    _ => {
                        let by = self.by_script(s.script);
                        last = Some((s.script, by));
                        by
                    }
                };
                self.own(by, clean, s.text.clone(), &mut arena)
            })
            .collect();
        let counts = |s: &Segment| !s.flags.contains(Flags::GARBLED);
        // Document totals per group (letters, totals); only groups with a table are scored.
        // Document and paragraph totals in 64 bits: a segment's totals fit in 32 (its scored
        // text is bounded, `SCORED_BYTES`), a document's need not.
        let mut doc: Vec<(usize, Vec<u64>)> = (0..ng)
            .map(|g| {
                let group = &self.model.groups[g];
                let len = if group.has_table() { group.stride } else { 0 };
                (0, vec![0u64; len])
            })
            .collect();
        for (s, o) in segs.iter().zip(&own) {
            if let Own::Scored { g, off, letters } = *o {
                if counts(s) {
                    let (n, v) = &mut doc[g];
                    *n += letters;
                    let len = v.len();
                    add(v, &arena[off..off + len]);
                }
            }
        }
        let mut para: Vec<(usize, Vec<u64>)> =
            doc.iter().map(|(_, v)| (0, vec![0u64; v.len()])).collect();
        let mut ctx_buf: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < segs.len() {
            let block = segs[i].block;
            let mut j = i;
            while j < segs.len() && segs[j].block == block {
                j += 1;
            }
            // Totals are only ever added with letters, so a group without letters is all zeros.
            for (n, v) in para.iter_mut().filter(|(n, _)| *n > 0) {
                *n = 0;
                v.iter_mut().for_each(|x| *x = 0);
            }
            for k in i..j {
                if let Own::Scored { g, off, letters } = own[k] {
                    if counts(&segs[k]) {
                        let (n, v) = &mut para[g];
                        *n += letters;
                        let len = v.len();
                        add(v, &arena[off..off + len]);
                    }
                }
            }
            for k in i..j {
                let label = match own[k] {
                    Own::Nothing if segs[k].dropped.is_some() => continue,
                    Own::Nothing => UND,
                    Own::Settled(l, t) => Label {
                        lang: l,
                        tag: t,
                        confidence: 1.0,
                        source: LangSource::Segment,
                    },
                    Own::Scored { g, off, letters } => {
                        let stride = self.model.groups[g].stride;
                        let v = &arena[off..off + stride];
                        let mine = counts(&segs[k]);
                        // The context: the rest of the paragraph, or else of the document.
                        let (pn, pv) = &para[g];
                        let (dn, dv) = &doc[g];
                        let others = |n: usize| if mine { n - letters } else { n };
                        let ctx = if others(*pn) >= self.context_letters {
                            Some(&pv[..])
                        } else if others(*dn) >= self.context_letters {
                            Some(&dv[..])
                        } else {
                            None
                        };
                        let ctx = ctx.map(|c| {
                            let n = self.model.groups[g].langs.len();
                            context_totals(c, mine.then_some(v), n, &mut ctx_buf);
                            &ctx_buf[..]
                        });
                        self.decide(g, v, letters, ctx)
                    }
                };
                let s = &mut segs[k];
                s.lang = label.lang;
                s.lang_script = label.tag;
                s.lang_confidence = label.confidence;
                s.lang_source = label.source;
            }
            i = j;
        }
    }

    /// A scored segment's label from its totals `v` and its context's: `ctx` is `None` when it
    /// has none, else the totals of the rest of the paragraph or document ([`context_totals`]).
    fn decide(&self, g: usize, v: &[u32], letters: usize, ctx: Option<&[u32]>) -> Label {
        let group = &self.model.groups[g];
        let tags = &self.tags[g];
        let Some((o, m)) = self.best(g, v, None) else {
            return UND;
        };
        let own_conf = confidence(m);
        let own_ok = letters >= self.short_letters && own_conf >= self.min_confidence;
        let context = ctx
            .and_then(|c| self.best(g, c, None))
            .filter(|&(_, mc)| confidence(mc) >= self.min_confidence);
        match context {
            Some((c, mc)) => {
                let d = v[c].saturating_sub(v[o]) as f32 / UNITS_PER_NAT;
                if o != c && own_ok && d >= self.switch_nats {
                    Label {
                        lang: group.langs[o],
                        tag: tags[o],
                        confidence: own_conf,
                        source: LangSource::Segment,
                    }
                } else if o == c && own_ok {
                    Label {
                        lang: group.langs[c],
                        tag: tags[c],
                        confidence: own_conf,
                        source: LangSource::Segment,
                    }
                } else {
                    Label {
                        lang: group.langs[c],
                        tag: tags[c],
                        confidence: confidence(mc),
                        source: LangSource::Context,
                    }
                }
            }
            None if own_ok => Label {
                lang: group.langs[o],
                tag: tags[o],
                confidence: own_conf,
                source: LangSource::Segment,
            },
            None => UND,
        }
    }

    /// The best allowed language of group `g` by `totals` (less `minus`, wrapping, when given)
    /// and its margin over the second, as [`best`] says.
    fn best(&self, g: usize, totals: &[u32], minus: Option<&[u32]>) -> Option<(usize, f32)> {
        let allowed = &self.allowed[g];
        // `allowed` is a subsequence of the group's slots: all of them when as long.
        if allowed.len() == self.model.groups[g].langs.len() {
            let n = allowed.len();
            let fast = match totals.len() {
                16 => best_of_all::<16>(totals, minus, n),
                32 => best_of_all::<32>(totals, minus, n),
                48 => best_of_all::<48>(totals, minus, n),
                _ => None,
            };
            if fast.is_some() {
                return fast;
            }
        }
        match minus {
            Some(v) => best(allowed, |i| totals[i].wrapping_sub(v[i])),
            None => best(allowed, |i| totals[i]),
        }
    }
}

/// The most bytes of a segment that are scored. Each byte adds at most four n-grams of at most
/// 255 units to a language's total, so a segment's totals stay below 2^30, far from the 32 bits
/// they are kept in.
const SCORED_BYTES: usize = 1 << 20;

fn add(acc: &mut [u64], v: &[u32]) {
    acc.iter_mut().zip(v).for_each(|(a, &x)| *a += x as u64);
}

/// The context totals `c` less `minus` (the segment's own, when `c` includes them), shifted
/// down by the smallest of the first `langs` lanes (the group's languages; the rest are padding)
/// into `out`, saturating at `u32::MAX`: the best language and the margins over it, all that the
/// context is asked, are those of the 64-bit totals (exactly, below a margin of `u32::MAX`,
/// which is far past certainty).
fn context_totals(c: &[u64], minus: Option<&[u32]>, langs: usize, out: &mut Vec<u32>) {
    let less = |i: usize| c[i].saturating_sub(minus.map_or(0, |m| m[i] as u64));
    let low = (0..langs.min(c.len())).map(less).min().unwrap_or(0);
    out.clear();
    out.extend((0..c.len()).map(|i| less(i).saturating_sub(low).min(u32::MAX as u64) as u32));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Config;

    pub(crate) use crate::testdata::real_texts;

    /// Context totals past 32 bits keep their order and margins; padding lanes do not shift
    /// them; the segment's own totals are taken out first.
    #[test]
    fn context_totals_keep_order_and_margins_past_32_bits() {
        let big = 5_000_000_000u64;
        let c = [big + 700, big + 100, big + 400, 0];
        let mut out = Vec::new();
        context_totals(&c, None, 3, &mut out);
        assert_eq!(out[..3], [600, 0, 300]);
        let minus = [10u32, 90, 0, 0];
        context_totals(&c, Some(&minus), 3, &mut out);
        assert_eq!(out[..3], [680, 0, 390]);
        // Margins past `u32::MAX` saturate (far past certainty).
        context_totals(&[0, 2 * big], None, 2, &mut out);
        assert_eq!(out, [0, u32::MAX]);
    }

    fn tagger() -> LangTagger {
        LangTagger::new(&Config::default().language)
    }

    /// One paragraph per inner slice; returns (lang, source) per segment.
    fn tag(t: &LangTagger, paras: &[&[&str]]) -> Vec<(&'static str, &'static str)> {
        let (clean, mut segs) = crate::doc::layout(paras);
        for seg in &mut segs {
            seg.script = crate::stage::script::dominant_script(&clean[seg.text.clone()]);
        }
        t.tag_document(&clean, &mut segs);
        segs.iter()
            .map(|s| (s.lang, s.lang_source.name()))
            .collect()
    }

    /// Margins are multiples of 1/16 nat: from `SURE_NATS` on, the formula gives exactly 1.
    #[test]
    fn sure_margins_have_confidence_one() {
        let formula = |m: f32| 1.0 - (-m / CONFIDENCE_SCALE).exp();
        for k in (SURE_NATS * UNITS_PER_NAT) as u32..2_000_000 {
            let m = k as f32 / UNITS_PER_NAT;
            assert_eq!(formula(m), 1.0, "{m}");
            assert_eq!(confidence(m), 1.0, "{m}");
        }
        for m in [f32::INFINITY, f32::MAX, 1e9, SURE_NATS] {
            assert_eq!(confidence(m), 1.0);
        }
        let below = SURE_NATS - 1.0 / UNITS_PER_NAT;
        assert_eq!(confidence(below), formula(below));
    }

    #[test]
    fn embedded_profiles_parse() {
        let m = Model::embedded().expect("profiles.bin is well formed");
        assert!(m.group("Latn").is_some_and(|g| g.langs.contains(&"eng")));
    }

    #[test]
    fn sentences_alone() {
        let t = tagger();
        let cases = [
            (
                "The committee met on Tuesday to discuss the annual report.",
                "eng",
            ),
            (
                "Le comité s'est réuni mardi pour examiner le rapport annuel.",
                "fra",
            ),
            (
                "Der Ausschuss trat am Dienstag zusammen, um den Bericht zu erörtern.",
                "deu",
            ),
            (
                "Комитет собрался во вторник, чтобы обсудить годовой отчёт.",
                "rus",
            ),
            ("اجتمعت اللجنة يوم الثلاثاء لمناقشة التقرير السنوي.", "arb"),
        ];
        for (text, lang) in cases {
            assert_eq!(
                t.detect(text, crate::stage::script::dominant_script(text))
                    .lang,
                lang,
                "{text}"
            );
        }
    }

    #[test]
    fn scripts_settle_alone() {
        let t = tagger();
        for (text, lang) in [
            ("모든 인간은 태어날 때부터", "kor"),
            ("Όλοι οι άνθρωποι", "ell"),
            ("ყველა ადამიანი", "kat"),
            ("Բոլոր մարդիկ", "hye"),
            ("มนุษย์ทั้งหลาย", "tha"),
            ("すべての人間は", "jpn"),
            ("ሁሉም ሰዎች", "amh"),
        ] {
            let l = t.detect(text, crate::stage::script::dominant_script(text));
            assert_eq!((l.lang, l.confidence), (lang, 1.0), "{text}");
        }
    }

    #[test]
    fn short_segments_take_their_context() {
        let t = tagger();
        let english = "The Human Rights Council considered the report of the Special Rapporteur \
                       on the situation of human rights defenders at its thirty-first session.";
        let got = tag(
            &t,
            &[&["Annex"], &["[English only]"], &[english, "Thus, human"]],
        );
        assert_eq!(got[0], ("eng", "context"));
        assert_eq!(got[1].0, "eng");
        assert_eq!(got[2], ("eng", "segment"));
        assert_eq!(got[3].0, "eng");
    }

    #[test]
    fn quoted_foreign_word_does_not_switch() {
        let t = tagger();
        let s = "According to the Russian remedial centre \"Мемориал\", 200 corpses had been \
                 brought from Khojali to Agdam for 4 days.";
        assert_eq!(tag(&t, &[&[s]])[0].0, "eng");
    }

    #[test]
    fn foreign_sentence_in_a_paragraph_keeps_its_language() {
        let t = tagger();
        let got = tag(
            &t,
            &[&[
                "Everyone has the right to education, which shall be free in the elementary stages.",
                "Technical and professional education shall be made generally available to all.",
                "Toute personne a droit à l'éducation, qui doit être gratuite.",
                "Parents have a prior right to choose the kind of education for their children.",
            ]],
        );
        assert_eq!(got[2], ("fra", "segment"));
        assert_eq!(got[0].0, "eng");
        assert_eq!(got[3].0, "eng");
    }

    #[test]
    fn no_letters_or_no_context_is_und() {
        let t = tagger();
        assert_eq!(tag(&t, &[&["1."], &["2015"]]), vec![("und", "segment"); 2]);
        assert_eq!(t.detect("ok", "Latn").lang, "und");
    }

    #[test]
    fn allow_list_restricts() {
        let mut cfg = Config::default().language;
        cfg.allow = vec!["eng".into(), "deu".into()];
        let t = LangTagger::new(&cfg);
        let l = t.detect(
            "Le comité s'est réuni mardi pour examiner le rapport annuel.",
            "Latn",
        );
        assert!(matches!(l.lang, "eng" | "deu" | "und"));
        assert_eq!(t.detect("Όλοι οι άνθρωποι", "Grek").lang, "und");
    }
}
