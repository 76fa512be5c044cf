//! Language of each segment (ISO 639-3), with its confidence and where the label came from.
//!
//! whatlang's `Detector` (built once, with the allow-list or deny-list of `[language]`) labels
//! each segment. A segment whose own label is unreliable or that is too short to identify takes
//! the language of its paragraph, or else of its document, when that context is reliable and
//! written in the same script (`lang_source = "context"`). Otherwise it is `und`.

use whatlang::{Detector, Lang};

use crate::config::LanguageConfig;
use crate::doc::{LangSource, Segment};

/// The language stage, built once from the config.
pub struct LangTagger {
    detector: Detector,
    min_confidence: f32,
    short_letters: usize,
}

/// A language label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    pub lang: &'static str,
    pub confidence: f32,
    pub script: &'static str,
}

fn lang_list(codes: &[String]) -> Vec<Lang> {
    codes
        .iter()
        .filter_map(|c| Lang::from_code(c.as_str()))
        .collect()
}

impl LangTagger {
    pub fn new(cfg: &LanguageConfig) -> LangTagger {
        let detector = if !cfg.allow.is_empty() {
            Detector::with_allowlist(lang_list(&cfg.allow))
        } else if !cfg.deny.is_empty() {
            Detector::with_denylist(lang_list(&cfg.deny))
        } else {
            Detector::new()
        };
        LangTagger {
            detector,
            min_confidence: cfg.min_confidence,
            short_letters: cfg.short_segment_letters,
        }
    }

    /// The label of `text` alone, if whatlang finds one.
    pub fn detect(&self, text: &str, script: &'static str) -> Option<Label> {
        let info = self.detector.detect(text)?;
        Some(Label {
            lang: info.lang().code(),
            confidence: info.confidence() as f32,
            script,
        })
    }

    fn trusted(&self, l: &Label, letters: usize) -> bool {
        l.confidence >= self.min_confidence && letters >= self.short_letters / 4
    }

    /// Labels the segments of one document. `clean` is the document's output text; segments of a
    /// block are contiguous in it; `script` of each segment must be set.
    pub fn tag_document(&self, clean: &str, segs: &mut [Segment]) {
        // Paragraph labels, from the whole block's text.
        let mut block_labels: Vec<(usize, Option<Label>)> = Vec::new();
        let mut i = 0;
        while i < segs.len() {
            let b = segs[i].block;
            let mut j = i;
            while j < segs.len() && segs[j].block == b {
                j += 1;
            }
            let text = &clean[segs[i].text.start..segs[j - 1].text.end];
            let label = if j - i > 1 {
                self.detect(text, crate::script::dominant_script(text))
            } else {
                None
            };
            block_labels.push((b, label));
            i = j;
        }
        // Each segment alone.
        let mut own: Vec<Option<Label>> = Vec::with_capacity(segs.len());
        let mut votes: Vec<(&'static str, &'static str, usize)> = Vec::new();
        for s in segs.iter() {
            let text = &clean[s.text.clone()];
            let letters = text.chars().filter(|c| c.is_alphabetic()).count();
            let label = self
                .detect(text, s.script)
                .filter(|l| self.trusted(l, letters) && letters >= self.short_letters);
            if let Some(l) = label {
                match votes
                    .iter_mut()
                    .find(|(lang, sc, _)| *lang == l.lang && *sc == l.script)
                {
                    Some(v) => v.2 += letters,
                    None => votes.push((l.lang, l.script, letters)),
                }
            }
            own.push(label.or_else(|| {
                self.detect(text, s.script).filter(|l| {
                    self.trusted(l, letters)
                        && letters >= self.short_letters / 2
                        && l.confidence >= 0.9
                })
            }));
        }
        for (k, s) in segs.iter_mut().enumerate() {
            if let Some(l) = own[k] {
                s.lang = l.lang;
                s.lang_confidence = l.confidence;
                s.lang_source = LangSource::Segment;
                continue;
            }
            let block = block_labels
                .iter()
                .find(|(b, _)| *b == s.block)
                .and_then(|(_, l)| *l)
                .filter(|l| l.confidence >= self.min_confidence && l.script == s.script);
            let doc = votes
                .iter()
                .filter(|(_, sc, _)| *sc == s.script)
                .max_by_key(|v| (v.2, v.0))
                .map(|v| Label {
                    lang: v.0,
                    confidence: 0.5,
                    script: v.1,
                });
            match block.or(doc) {
                Some(l) => {
                    s.lang = l.lang;
                    s.lang_confidence = l.confidence;
                    s.lang_source = LangSource::Context;
                }
                None => {
                    s.lang = "und";
                    s.lang_confidence = 0.0;
                    s.lang_source = LangSource::Segment;
                }
            }
        }
    }
}
