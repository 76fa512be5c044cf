//! The pipeline: stages built once, documents processed in parallel, decisions made in order.
//!
//! [`Stages`] holds every stage, built from the validated [`Config`] and shared read-only by the
//! worker threads. [`Stages::process_bytes`] runs the per-document stages (decode, normalize,
//! structure, segment, script, language, filter, dedup fingerprints) on one document and keeps
//! only its output text, ranges and fingerprints. [`run`] feeds batches of documents to a rayon
//! pool and then, in input order, makes the dedup decisions and writes the output — so the
//! output is byte-identical for any number of threads. This module holds no text logic.

use std::io::IsTerminal;
use std::ops::Range;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::config::{Config, SegmentUnit};
use crate::decode::Decoder;
use crate::dedup::{Dedup, DedupIndex, DocFingerprints};
use crate::doc::{folds_nothing, render_into, Block, DropReason, Flags, SegKind, Segment};
use crate::filter::Filter;
use crate::input::{list_inputs, read_doc, InputDoc, InputError};
use crate::lang::LangTagger;
use crate::mojibake::Repaired;
use crate::normalize::Normalizer;
use crate::output::{round4, DocumentLine, OutputError, Writer};
use crate::report::{Report, StageTimes};
use crate::script::ScriptTagger;
use crate::segment::Segmenter;
use crate::spanmap::SpanMap;
use crate::structure::Structurer;

/// Every stage, built once.
pub struct Stages {
    cfg: Config,
    decoder: Decoder,
    normalizer: Normalizer,
    structurer: Structurer,
    segmenter: Segmenter,
    script: ScriptTagger,
    lang: LangTagger,
    filter: Filter,
    dedup: Dedup,
}

/// One document after the per-document stages.
pub struct ProcessedDoc {
    pub line: DocumentLine,
    /// The output texts of all segments, separated by `\n`.
    pub clean: String,
    pub segments: Vec<Segment>,
    pub fingerprints: DocFingerprints,
    pub times: StageTimes,
    /// Messages for stderr (a skipped file, invalid bytes).
    pub warnings: Vec<String>,
}

const READ: usize = 0;
const DECODE: usize = 1;
const NORMALIZE: usize = 2;
const STRUCTURE: usize = 3;
const SEGMENT: usize = 4;
const SCRIPT: usize = 5;
const LANGUAGE: usize = 6;
const FILTER: usize = 7;
/// Keys, shingles, signatures and band keys, in the workers.
const DEDUP_FINGERPRINTS: usize = 8;
/// The keep-first decisions, in input order on the thread that writes.
const DEDUP_DECISIONS: usize = 9;
const WRITE: usize = 10;

/// Times consecutive stages of one document.
struct Clock {
    last: Instant,
    times: StageTimes,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: Instant::now(),
            times: StageTimes::default(),
        }
    }
    fn lap(&mut self, stage: usize) {
        let now = Instant::now();
        self.times.add(stage, now - self.last);
        self.last = now;
    }
}

/// Line starts of a decoded text, where `\n`, `\r\n` and a lone `\r` each end a line (as in the
/// raw file, before normalization folds them).
fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    let b = text.as_bytes();
    for i in memchr::memchr2_iter(b'\n', b'\r', b) {
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            continue;
        }
        v.push(i + 1);
    }
    v
}

impl Stages {
    pub fn new(cfg: &Config) -> Stages {
        Stages {
            cfg: cfg.clone(),
            decoder: Decoder::new(&cfg.decode),
            normalizer: Normalizer::new(&cfg.normalize),
            structurer: Structurer::new(&cfg.structure),
            segmenter: Segmenter::new(&cfg.segment),
            script: ScriptTagger::new(&cfg.script),
            lang: LangTagger::new(&cfg.language),
            filter: Filter::new(&cfg.filter),
            dedup: Dedup::new(&cfg.dedup),
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn forced_encoding(&self, id: &str) -> Option<&'static encoding_rs::Encoding> {
        self.cfg
            .decode
            .overrides
            .iter()
            .find(|o| o.matcher.is_match(id))
            .map(|o| o.encoding)
    }

    /// Reads and processes one input document. Never fails: a bad file becomes a document line
    /// with its status and error.
    pub fn process(&self, input: &InputDoc, stdin: Option<&[u8]>) -> ProcessedDoc {
        let meter = crate::cputime::Meter::start();
        match read_doc(input, self.cfg.input.max_file_bytes, stdin) {
            Ok(raw) => {
                let mut p = self.process_bytes(&input.id, &input.source, &raw);
                let (wall, cpu_share) = meter.finish();
                p.times
                    .add(READ, wall.saturating_sub(p.times.0.iter().sum()));
                p.times.scale(cpu_share);
                p
            }
            Err(e) => {
                let mut line = DocumentLine::new(&input.id, &input.source, 0, String::new());
                line.status = e.status();
                line.error = Some(e.to_string());
                ProcessedDoc {
                    warnings: vec![format!("{}: {}", input.source, e)],
                    line,
                    clean: String::new(),
                    segments: Vec::new(),
                    fingerprints: DocFingerprints::default(),
                    times: StageTimes::default(),
                }
            }
        }
    }

    /// Splits the blocks into segments and renders each into the output text (segments separated
    /// by `\n`). Kept out of line so profiles show the segment step on its own.
    #[inline(never)]
    fn segment_blocks(&self, text: &str, blocks: &[Block]) -> (String, Vec<Segment>) {
        // The segments' source ranges of every block first, so that the segments (large
        // values) are allocated once, at their number.
        let mut ranges: Vec<Range<usize>> = Vec::with_capacity(blocks.len() * 2);
        // Per block: where its ranges end, and whether they render as their own text.
        let mut plan: Vec<(usize, bool)> = Vec::with_capacity(blocks.len());
        for block in blocks {
            let sentence_unit = self.cfg.segment.unit == SegmentUnit::Sentence
                && DropReason::from_block(block.kind).is_none();
            // Sentences are trimmed ranges of the block: when nothing is elided and the block's
            // only whitespace is lone spaces, each renders to its own text.
            let as_is =
                sentence_unit && block.elide.is_empty() && folds_nothing(text, block.range.clone());
            if sentence_unit {
                self.segmenter
                    .sentences(text, block.range.clone(), &mut ranges);
            } else {
                ranges.push(block.range.clone());
            }
            plan.push((ranges.len(), as_is));
        }
        let mut segments = Vec::with_capacity(ranges.len());
        let mut clean = String::with_capacity(text.len());
        // Without U+FFFD in the text, no rendering has one.
        let has_replacement = replacement_finder().find(text.as_bytes()).is_some();
        let mut from = 0;
        for (bi, (block, &(to, as_is))) in blocks.iter().zip(&plan).enumerate() {
            let boiler = DropReason::from_block(block.kind);
            let sentence_unit = self.cfg.segment.unit == SegmentUnit::Sentence && boiler.is_none();
            let kind = if sentence_unit {
                SegKind::Sentence
            } else {
                SegKind::Block(block.kind)
            };
            for r in &ranges[from..to] {
                if !clean.is_empty() {
                    clean.push('\n');
                }
                let t0 = clean.len();
                if as_is {
                    clean.push_str(&text[r.clone()]);
                } else {
                    render_into(text, r.clone(), &block.elide, &mut clean);
                }
                let mut seg = Segment::new(r.clone(), t0..clean.len(), bi, kind);
                seg.flags = segment_flags(text, block, r, &clean[t0..], has_replacement);
                if let Some(reason) = boiler {
                    if !self.cfg.structure.keep_boilerplate {
                        seg.dropped = Some(reason);
                    }
                }
                segments.push(seg);
            }
            from = to;
        }
        (clean, segments)
    }

    /// Runs the per-document stages on raw bytes.
    pub fn process_bytes(&self, id: &str, source: &str, raw: &[u8]) -> ProcessedDoc {
        let mut clock = Clock::new();
        let sha = hex(&Sha256::digest(raw));
        clock.lap(READ);
        let mut warnings = Vec::new();
        let decoded = match self.decoder.decode(raw, self.forced_encoding(id)) {
            Ok(d) => d,
            Err(e) => {
                let mut line = DocumentLine::new(id, source, raw.len() as u64, sha);
                line.status = e.status();
                line.error = Some(e.to_string());
                warnings.push(format!("{source}: {e}; skipped"));
                clock.lap(DECODE);
                return ProcessedDoc {
                    line,
                    clean: String::new(),
                    segments: Vec::new(),
                    fingerprints: DocFingerprints::default(),
                    times: clock.times,
                    warnings,
                };
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
        let lines = line_starts(dec_text);
        clock.lap(DECODE);

        // Mojibake repair, then the normalization rules; `maps` leads back to the decoded text.
        let repaired = if self.cfg.decode.repair_mojibake {
            crate::mojibake::repair(dec_text)
        } else {
            None
        };
        let rep_text: &str = repaired.as_ref().map_or(dec_text, |r| r.text.as_str());
        let normalized = self.normalizer.normalize(rep_text);
        let text: &str = &normalized.text;
        clock.lap(NORMALIZE);

        let blocks = self.structurer.blocks(text);
        clock.lap(STRUCTURE);

        let (mut clean, mut segments) = self.segment_blocks(text, &blocks);
        map_back(
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

/// Maps the segments' source ranges back to the raw bytes and lines (through the normalization
/// maps, the mojibake repair and the decoding), and flags the segments that overlap a repair.
/// Kept out of line so profiles show it apart; part of the segment step.
#[inline(never)]
fn map_back(
    segments: &mut [Segment],
    norm_maps: &[SpanMap],
    repaired: Option<&Repaired>,
    decoded_map: &SpanMap,
    lines: &[usize],
) {
    let maps: Vec<&SpanMap> = norm_maps.iter().chain(repaired.map(|r| &r.map)).collect();
    // Valid UTF-8 is its own raw bytes: nothing to translate.
    let decoded_map = (!decoded_map.is_plain_identity()).then_some(decoded_map);
    // Segments come in text order, so their lines are found walking forward.
    let mut line = 0;
    for seg in segments {
        let mut r = seg.src.clone();
        for m in &maps {
            r = m.range(r);
        }
        if let Some(rep) = repaired {
            let mut rr = seg.src.clone();
            for m in norm_maps {
                rr = m.range(rr);
            }
            if rep
                .repaired
                .iter()
                .any(|x| x.start < rr.end && rr.start < x.end)
            {
                seg.flags.insert(Flags::REPAIRED_MOJIBAKE);
            }
        }
        // The number of line starts at or before `r.start`.
        if line > 0 && lines[line - 1] > r.start {
            line = lines.partition_point(|&s| s <= r.start);
        } else {
            while line < lines.len() && lines[line] <= r.start {
                line += 1;
            }
        }
        seg.line = line;
        seg.raw = match decoded_map {
            Some(m) => m.range(r),
            None => r,
        };
    }
}

/// A searcher for U+FFFD, built once (building one costs more than searching most documents).
fn replacement_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new("\u{FFFD}".as_bytes()))
}

fn segment_flags(
    text: &str,
    block: &Block,
    r: &Range<usize>,
    out: &str,
    has_replacement: bool,
) -> Flags {
    let mut f = Flags::default();
    let src = &text[r.clone()];
    if block.flags.contains(Flags::REFLOWED) && src.contains('\n') {
        f.insert(Flags::REFLOWED);
    }
    if block.elide.iter().any(|e| {
        e.start >= r.start
            && e.end <= r.end
            && text[e.clone()].starts_with('-')
            && text[e.clone()].contains('\n')
    }) {
        f.insert(Flags::DEHYPHENATED);
    }
    if has_replacement && out.contains('\u{FFFD}') {
        f.insert(Flags::REPLACEMENT_CHARS);
    }
    f
}

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// Knobs of one run that are not pipeline semantics.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// No progress bar and no summary.
    pub quiet: bool,
}

/// A fatal run error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
}

/// What a finished run says.
#[derive(Debug)]
pub struct RunSummary {
    pub documents: u64,
    pub skipped: u64,
    pub segments: u64,
    pub bytes: u64,
    pub wall: Duration,
}

/// Fills the per-document counts of a processed document after the dedup decisions.
fn finish_line(p: &mut ProcessedDoc) {
    let line = &mut p.line;
    for s in &p.segments {
        match s.dropped {
            Some(r) => *line.dropped.entry(r.name()).or_default() += 1,
            None => {
                line.segments += 1;
                *line.languages.entry(s.lang).or_default() += 1;
                *line.scripts.entry(s.script).or_default() += 1;
            }
        }
    }
}

/// Runs the whole pipeline over the configured inputs into the configured output folder.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let inputs = list_inputs(&cfg.input.paths)?;
    let stdin = if inputs.iter().any(|d| d.id == "-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
            .map_err(RunError::Stdin)?;
        Some(buf)
    } else {
        None
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let threads = pool.current_num_threads();
    let stages = Stages::new(cfg);
    let mut writer = Writer::create(&cfg.output.dir)?;
    let mut index = DedupIndex::new(&cfg.dedup);
    let mut report = Report::default();
    let mut times = StageTimes::default();
    let progress = if opts.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let pb = indicatif::ProgressBar::new(inputs.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} documents ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    };
    // At most `window` processed documents wait for the ordered pass at once (memory bound).
    let window = (threads * 64).max(128);
    // The ordered pass (dedup decisions, writing) runs on this thread while the workers go on
    // with the next documents, each taking the next unstarted one, so the serial part and
    // one long document do not leave workers idle.
    let result = crate::ordered::for_each_ordered(
        &pool,
        &inputs,
        window,
        |d| stages.process(d, stdin.as_deref()),
        |mut p: ProcessedDoc| -> Result<(), RunError> {
            let meter = crate::cputime::Meter::start();
            if !p.segments.is_empty() {
                let seqs: Vec<u32> = (0..p.segments.len() as u32).collect();
                index.decide(&p.line.doc_id, &p.fingerprints, &mut p.segments, &seqs);
            } else {
                index.decide(&p.line.doc_id, &p.fingerprints, &mut [], &[]);
            }
            let decided = meter.wall();
            finish_line(&mut p);
            for w in &p.warnings {
                progress.suspend(|| eprintln!("scriptorium: {w}"));
            }
            report.add_document(&p.line, &p.clean, &p.segments);
            writer.document(&p.line, &p.clean, &p.segments)?;
            times.merge(&p.times);
            let (wall, cpu_share) = meter.finish();
            times.add(DEDUP_DECISIONS, decided.mul_f64(cpu_share));
            times.add(WRITE, wall.saturating_sub(decided).mul_f64(cpu_share));
            progress.inc(1);
            Ok(())
        },
    )
    .map_err(|e| match e {
        crate::ordered::OrderedError::Consume(e) => e,
        crate::ordered::OrderedError::Worker => {
            RunError::Threads("a worker thread panicked".into())
        }
    });
    progress.finish_and_clear();
    if let Err(e) = result {
        writer.abandon();
        return Err(e);
    }
    report.set_duplicates(&index.counts);
    let wall = started.elapsed();
    report.set_timing(wall, threads, &times);
    let summary = RunSummary {
        documents: report.documents.total,
        skipped: report.documents.skipped.values().sum(),
        segments: report.segments.emitted,
        bytes: report.bytes,
        wall,
    };
    writer.commit(&report)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

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
