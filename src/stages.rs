//! The per-document chain: every stage built once from its own section of the config, run in
//! order on one document.
//!
//! [`Stages::process_bytes`] decodes, repairs, normalizes, recovers structure, segments (and
//! renders, in [`crate::render`]), tags script and language, filters and fingerprints one
//! document, keeping only its output text, ranges and fingerprints. It reads no setting itself:
//! each stage was built from its section and owns what it needs. The dedup decisions, which need
//! the documents in input order, are made later by the run ([`crate::run`]).

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::doc::Segment;
use crate::io::input::{read_doc, InputDoc};
use crate::io::output::{round4, DocumentLine};
use crate::io::report::StageTimes;
use crate::render;
use crate::stage::decode::Decoder;
use crate::stage::dedup::{Dedup, DocFingerprints};
use crate::stage::filter::Filter;
use crate::stage::lang::LangTagger;
use crate::stage::mojibake::Repairer;
use crate::stage::normalize::Normalizer;
use crate::stage::script::ScriptTagger;
use crate::stage::segment::Segmenter;
use crate::stage::structure::Structurer;
use crate::util::clock::{
    Clock, DECODE, DEDUP_FINGERPRINTS, FILTER, LANGUAGE, NORMALIZE, READ, SCRIPT, SEGMENT,
    STRUCTURE,
};

/// Every per-document stage, built once and shared read-only by the worker threads.
pub struct Stages {
    cfg: Config,
    max_file_bytes: u64,
    max_document_memory: u64,
    pub(crate) decoder: Decoder,
    pub(crate) repairer: Repairer,
    pub(crate) normalizer: Normalizer,
    pub(crate) structurer: Structurer,
    pub(crate) segmenter: Segmenter,
    pub(crate) script: ScriptTagger,
    pub(crate) lang: LangTagger,
    pub(crate) filter: Filter,
    pub(crate) dedup: Dedup,
}

/// One document after the per-document stages, before the dedup decisions.
pub struct ProcessedDoc {
    /// The document's line of `documents.jsonl` (its counts are filled in after the decisions).
    pub line: DocumentLine,
    /// The output texts of all segments, separated by `\n`.
    pub clean: String,
    /// The segments, in document order; each holds its range of [`ProcessedDoc::clean`].
    pub segments: Vec<Segment>,
    pub(crate) fingerprints: DocFingerprints,
    pub(crate) times: StageTimes,
    /// Messages for stderr (a skipped file, invalid bytes).
    pub warnings: Vec<String>,
}

impl ProcessedDoc {
    /// A document that stopped before its text: `line` carries its status and error.
    fn failed(line: DocumentLine, warning: String, times: StageTimes) -> ProcessedDoc {
        ProcessedDoc {
            line,
            clean: String::new(),
            segments: Vec::new(),
            fingerprints: DocFingerprints::default(),
            times,
            warnings: vec![warning],
        }
    }
}

impl Stages {
    /// Builds every stage from its section of `cfg`.
    pub fn new(cfg: &Config) -> Stages {
        Stages {
            cfg: cfg.clone(),
            max_file_bytes: cfg.input.max_file_bytes,
            max_document_memory: cfg.input.max_document_memory,
            decoder: Decoder::new(&cfg.decode),
            repairer: Repairer::new(&cfg.decode),
            normalizer: Normalizer::new(&cfg.normalize),
            structurer: Structurer::new(&cfg.structure),
            segmenter: Segmenter::new(&cfg.segment),
            script: ScriptTagger::new(&cfg.script),
            lang: LangTagger::new(&cfg.language),
            filter: Filter::new(&cfg.filter),
            dedup: Dedup::new(&cfg.dedup),
        }
    }

    /// The configuration the stages were built from.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Reads and processes one input document. Never fails: a bad file becomes a document line
    /// with its status and error.
    pub(crate) fn process(&self, input: &InputDoc, stdin: Option<&[u8]>) -> ProcessedDoc {
        let meter = crate::util::cputime::Meter::start();
        match read_doc(input, self.max_file_bytes, stdin) {
            Ok(raw) => {
                let mut p = self.process_bytes(&input.id, &input.source, &raw);
                let (wall, cpu_share) = meter.finish();
                p.times
                    .add(READ, wall.saturating_sub(p.times.0.iter().sum()));
                p.times.scale(cpu_share);
                p
            }
            Err(f) => {
                // What was read before the failure is counted and hashed; nothing read: no hash.
                let sha = if f.raw.is_empty() {
                    String::new()
                } else {
                    hex(&Sha256::digest(&f.raw))
                };
                let mut line = DocumentLine::new(&input.id, &input.source, f.raw.len() as u64, sha);
                let e = f.error;
                line.status = e.status();
                line.error = Some(e.to_string());
                let warning = format!("{}: {}", input.source, e);
                ProcessedDoc::failed(line, warning, StageTimes::default())
            }
        }
    }

    /// Runs the per-document stages on the raw bytes of the document `id` (its id selects any
    /// encoding override; `source` is the path reported in messages).
    pub fn process_bytes(&self, id: &str, source: &str, raw: &[u8]) -> ProcessedDoc {
        let mut clock = Clock::new();
        let sha = hex(&Sha256::digest(raw));
        clock.lap(READ);
        let mut warnings = Vec::new();
        let decoded = match self.decoder.decode_document(id, raw) {
            Ok(d) => d,
            Err(e) => {
                let mut line = DocumentLine::new(id, source, raw.len() as u64, sha);
                line.status = e.status();
                line.error = Some(e.to_string());
                clock.lap(DECODE);
                return ProcessedDoc::failed(line, format!("{source}: {e}; skipped"), clock.times);
            }
        };
        if let Some(off) = decoded.first_invalid {
            warnings.push(format!(
                "{source}: byte {off}: {} invalid {} sequence{} replaced with U+FFFD",
                decoded.invalid_sequences,
                decoded.encoding.name(),
                if decoded.invalid_sequences == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
        let dec_text: &str = &decoded.text;
        // A document that would need more working memory than the budget is skipped, not
        // allowed to abort the run.
        // Lines are counted only when even one line per byte could pass the budget.
        let most = crate::stage::structure::working_memory(dec_text.len(), dec_text.len() + 1).0;
        let n_lines = if most > self.max_document_memory {
            1 + memchr::memchr_iter(b'\n', dec_text.as_bytes()).count()
        } else {
            0
        };
        let (need, by_lines) = crate::stage::structure::working_memory(dec_text.len(), n_lines);
        if need > self.max_document_memory {
            let mut line = DocumentLine::new(id, source, raw.len() as u64, sha);
            line.status = if by_lines {
                "too_many_lines"
            } else {
                "too_large"
            };
            let e = format!(
                "{} bytes in {} lines would need about {} MB of working memory, more than \
                 input.max_document_memory ({} MB)",
                dec_text.len(),
                n_lines,
                need >> 20,
                self.max_document_memory >> 20
            );
            clock.lap(DECODE);
            let warning = format!("{source}: {e}; skipped");
            line.error = Some(e);
            return ProcessedDoc::failed(line, warning, clock.times);
        }
        let lines = render::line_starts(dec_text);
        clock.lap(DECODE);

        // Mojibake repair, then the normalization rules; the maps lead back to the decoded text.
        let repaired = self.repairer.repair(dec_text);
        let rep_text: &str = repaired.as_ref().map_or(dec_text, |r| r.text.as_str());
        let normalized = self.normalizer.normalize(rep_text);
        let text: &str = &normalized.text;
        clock.lap(NORMALIZE);

        // Right-to-left lines extracted in visual order, back in logical order (same length).
        let visual = if self.cfg.script.repair_bidi {
            crate::stage::script::visual::repair(text, crate::stage::script::garbled::model())
        } else {
            None
        };
        let text: &str = visual.as_ref().map_or(text, |v| v.text.as_str());
        let blocks = self.structurer.blocks(text);
        clock.lap(STRUCTURE);

        let (mut clean, mut segments) =
            render::segment_blocks(text, &blocks, &self.segmenter, &self.structurer);
        if let Some(v) = &visual {
            // Inside a reversed line, offsets are the line's.
            for seg in &mut segments {
                if v.touches(&seg.src) {
                    seg.src = v.snap(seg.src.clone());
                    seg.flags.insert(crate::doc::Flags::REPAIRED_BIDI);
                }
            }
        }
        render::map_back(
            &mut segments,
            &normalized.maps,
            repaired.as_ref(),
            &decoded.map,
            &lines,
        );
        clock.lap(SEGMENT);

        for seg in segments.iter_mut().filter(|s| s.dropped.is_none()) {
            let tagged = self.script.tag_segment(&mut clean, seg.text.clone());
            seg.script = tagged.info.script;
            seg.direction = tagged.info.direction;
            seg.rtl_runs = tagged.info.rtl_runs;
            seg.flags.insert(tagged.flags);
            seg.garbled_score = tagged.garbled_score;
        }
        clock.lap(SCRIPT);
        self.lang.tag_document(&clean, &mut segments);
        self.script.recheck_garbled(&clean, &mut segments);
        clock.lap(LANGUAGE);
        self.filter.apply(&clean, &mut segments);
        clock.lap(FILTER);
        let fingerprints = self.dedup.fingerprints(&clean, &segments);
        clock.lap(DEDUP_FINGERPRINTS);

        let mut line = DocumentLine::new(id, source, raw.len() as u64, sha);
        line.encoding = Some(decoded.encoding.name());
        line.encoding_confidence = round4(decoded.confidence);
        line.encoding_evidence = Some(decoded.evidence.name());
        line.bom = decoded.bom;
        line.invalid_sequences = decoded.invalid_sequences;
        line.replacement_chars = dec_text.matches('\u{FFFD}').count();
        line.mojibake_repairs = repaired.as_ref().map_or(0, |r| r.repaired.len());
        if let Some(r) = &repaired {
            line.mojibake_encodings = r.by_encoding.iter().copied().collect();
        }
        ProcessedDoc {
            line,
            clean,
            segments,
            fingerprints,
            times: clock.times,
            warnings,
        }
    }
}

/// Lower-case hexadecimal digits of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{folds_nothing, render_into};

    /// The blocks rendered as they are (nothing elided, lone spaces only) give every sentence the
    /// text the general rendering gives it, on the seeds and the UDHR translations.
    #[test]
    fn sentences_of_plain_blocks_render_as_themselves() {
        let cfg = Config::default();
        let stages = Stages::new(&cfg);
        let (mut plain, mut n) = (0, 0);
        for (_, t) in crate::testdata::real_texts() {
            let text = stages.normalizer.normalize(&t).text;
            for b in stages.structurer.blocks(&text) {
                if !b.elide.is_empty() || !folds_nothing(&text, b.range.clone()) {
                    continue;
                }
                plain += 1;
                let mut sents = Vec::new();
                stages
                    .segmenter
                    .sentences(&text, b.range.clone(), &mut sents);
                for r in sents {
                    let mut out = String::new();
                    render_into(&text, r.clone(), &b.elide, &mut out);
                    assert_eq!(out, &text[r]);
                }
            }
            n += 1;
        }
        assert!(n >= 10 && plain >= 10, "{n} texts, {plain} plain blocks");
    }
}
