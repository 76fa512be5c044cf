//! Running a job: the inputs listed, a worker pool processing documents in parallel, the progress
//! bar, the ordered pass (dedup decisions and writing, in input order) and the report.
//!
//! The per-document work is [`Stages`]; this module holds no text logic. The output is
//! byte-identical for any number of threads because the ordered pass sees the documents in
//! input order whatever order the workers finish in.

pub(crate) mod ordered;
pub(crate) mod progress;
pub(crate) mod work;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::io::input::{list_inputs, InputError, Source};
use crate::io::input::{read_doc, InputDoc};
use crate::io::output::DocumentLine;
use crate::io::output::{OutputError, Writer};
use crate::io::records::{self, classify, Format, Item};
use crate::io::report::{Report, StageTimes, Timing};
use crate::stage::dedup::{DedupIndex, DocFingerprints};
use crate::stages::{ProcessedDoc, Stages};
use crate::util::clock::{DEDUP_DECISIONS, READ, WRITE};
use work::{Work, WorkItems};

/// Worker threads allowed per available core; more requested are capped, with a warning.
const MAX_THREADS_PER_CORE: usize = 4;

/// Knobs of one run that are not pipeline semantics.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; 0 = one per core; more than 4 per available core are capped to that.
    pub threads: usize,
    /// No progress bar and no summary.
    pub quiet: bool,
}

/// A fatal run error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An input path could not be listed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The output folder could not be prepared, written or committed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The worker pool could not start, or a worker panicked.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// `-` was given as an input and standard input could not be read.
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
}

/// What a finished run says.
#[derive(Debug)]
pub struct RunSummary {
    /// Documents seen, skipped ones included.
    pub documents: u64,
    /// Documents skipped (unreadable, binary, too large, undecodable).
    pub skipped: u64,
    /// Segments written (not dropped).
    pub segments: u64,
    /// Raw input bytes read.
    pub bytes: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// Segments dropped, by reason (duplicates included), most first.
    pub dropped: Vec<(&'static str, u64)>,
    /// Duplicates found (dropped or marked).
    pub duplicates: u64,
    /// Written segments by language, most first.
    pub languages: Vec<(&'static str, u64)>,
    /// The output folder.
    pub output: std::path::PathBuf,
}

impl RunSummary {
    /// The closing summary, as the binary prints it: totals, drops by reason, the top
    /// languages and where the output went.
    pub fn lines(&self) -> Vec<String> {
        use progress::{megabytes, thousands};
        let secs = self.wall.as_secs_f64();
        let mut out = vec![format!(
            "{} documents ({} skipped), {} in {:.1} s ({}/s)",
            thousands(self.documents),
            thousands(self.skipped),
            megabytes(self.bytes),
            secs,
            megabytes(if secs > 0.0 {
                (self.bytes as f64 / secs) as u64
            } else {
                0
            }),
        )];
        let dropped: u64 = self.dropped.iter().map(|d| d.1).sum();
        let mut kept = format!(
            "{} segments kept, {} dropped",
            thousands(self.segments),
            thousands(dropped)
        );
        if !self.dropped.is_empty() {
            let reasons: Vec<String> = self
                .dropped
                .iter()
                .map(|(r, n)| format!("{} {r}", thousands(*n)))
                .collect();
            kept.push_str(&format!(" ({})", reasons.join(", ")));
        }
        kept.push_str(&format!(", {} duplicates", thousands(self.duplicates)));
        out.push(kept);
        if !self.languages.is_empty() && self.segments > 0 {
            let top: Vec<String> = self
                .languages
                .iter()
                .take(8)
                .map(|(l, n)| format!("{l} {:.1}%", 100.0 * *n as f64 / self.segments as f64))
                .collect();
            let more = self.languages.len().saturating_sub(8);
            let mut line = format!("languages: {}", top.join(", "));
            if more > 0 {
                line.push_str(&format!(" and {more} more"));
            }
            out.push(line);
        }
        out.push(format!("output: {}", self.output.display()));
        out
    }
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

/// What a worker hands to the ordered pass: one document, or the records of a collection that
/// was found in a file read whole ([`Work::Sniff`]).
// `One` is every text file's path: kept unboxed, so a document costs no extra allocation.
#[allow(clippy::large_enum_variant)]
enum Done {
    One(ProcessedDoc),
    Many(Vec<ProcessedDoc>),
}

/// Processes one item of work: a text input is read and processed, a record processed, a bad
/// record becomes its line of `documents.jsonl`.
fn process(stages: &Stages, item: Work<'_>, stdin: Option<&[u8]>) -> Done {
    match item {
        Work::File(d) => Done::One(stages.process(d, stdin)),
        Work::Sniff(d) => sniff_and_process(stages, d, stdin),
        Work::Record {
            input,
            record,
            read,
        } => Done::One(process_record(stages, input, record, read)),
        Work::Bad { input, bad } => Done::One(bad_document(input, bad)),
    }
}

/// A file whose name does not say what it holds: read, then processed as text or, when its bytes
/// are a collection, record by record on this worker.
fn sniff_and_process(stages: &Stages, d: &InputDoc, stdin: Option<&[u8]>) -> Done {
    let cfg = &stages.config().input;
    let meter = crate::util::cputime::Meter::start();
    let Ok(raw) = read_doc(d, cfg.max_file_bytes, stdin) else {
        // Reading again gives the failure its line, as for any text file.
        return Done::One(stages.process(d, stdin));
    };
    match records::sniff_bytes(&raw, &cfg.text_field) {
        Format::Text | Format::Sniff => {
            // As `Stages::process` accounts a file: what is not a stage's is reading.
            let mut p = stages.process_bytes(&d.id, &d.source, &raw);
            let (wall, cpu_share) = meter.finish();
            p.times
                .add(READ, wall.saturating_sub(p.times.0.iter().sum()));
            p.times.scale(cpu_share);
            Done::One(p)
        }
        format => {
            let fields = records::Fields {
                text: cfg.text_field.clone(),
                id: cfg.id_field.clone(),
            };
            let docs = match records::from_memory(&raw, format, d, &fields, cfg.max_file_bytes) {
                Ok(c) => c
                    .map(|item| match item {
                        Item::Record(r) => process_record(stages, d, r, Duration::ZERO),
                        Item::Bad(b) => bad_document(d, b),
                    })
                    .collect(),
                Err(b) => vec![bad_document(d, b)],
            };
            Done::Many(docs)
        }
    }
}

/// Processes a record's text as a document's raw bytes; its other fields become `metadata`.
fn process_record(
    stages: &Stages,
    input: &InputDoc,
    record: records::Record,
    read: Duration,
) -> ProcessedDoc {
    let meter = crate::util::cputime::Meter::start();
    let mut p = stages.process_bytes(&record.doc_id, &input.source, record.text.as_bytes());
    let (_, cpu_share) = meter.finish();
    p.times.add(READ, read);
    p.times.scale(cpu_share);
    p.line.metadata = Some(record.metadata);
    p
}

/// The `documents.jsonl` line of a record (or collection) that cannot be a document.
fn bad_document(input: &InputDoc, bad: records::Bad) -> ProcessedDoc {
    let sha = if bad.raw.is_empty() {
        String::new()
    } else {
        records::sha256_hex(&bad.raw)
    };
    let mut line = DocumentLine::new(&bad.doc_id, &input.source, bad.raw.len() as u64, sha);
    line.status = bad.status;
    line.metadata = bad.metadata;
    let warning = bad.error.clone();
    line.error = Some(bad.error);
    ProcessedDoc {
        line,
        clean: String::new(),
        segments: Vec::new(),
        fingerprints: DocFingerprints::default(),
        times: StageTimes::default(),
        warnings: vec![warning],
    }
}

/// Runs the whole pipeline over the configured inputs into the configured output folder.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let inputs = list_inputs(&cfg.input.paths)?;
    // Standard input is read like a file: at most `max_file_bytes + 1` bytes, so a larger one is
    // recorded as `too_large` and an endless one does not hold the run.
    let stdin = if inputs.iter().any(|d| matches!(d.origin, Source::Stdin)) {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::io::stdin().lock(),
                cfg.input.max_file_bytes.saturating_add(1),
            ),
            &mut buf,
        )
        .map_err(RunError::Stdin)?;
        Some(buf)
    } else {
        None
    };
    // More threads than this only add start-up time and memory (the window grows with them).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_threads = MAX_THREADS_PER_CORE * cores;
    let requested = opts.threads;
    let num_threads = if requested > max_threads {
        if !opts.quiet {
            eprintln!(
                "scriptorium: {requested} threads requested, more than {MAX_THREADS_PER_CORE} \
                 per available core ({cores}): using {max_threads}"
            );
        }
        max_threads
    } else {
        requested
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(num_threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let threads = pool.current_num_threads();
    // Which inputs are collections of records (decided in parallel: a look at each file's
    // first bytes).
    let formats: Vec<Format> = {
        use rayon::prelude::*;
        let (setting, text_field) = (cfg.input.format, cfg.input.text_field.as_str());
        let stdin = stdin.as_deref();
        pool.install(|| {
            inputs
                .par_iter()
                .map(|d| classify(d, setting, stdin, text_field))
                .collect()
        })
    };
    work::check_record_ids(&inputs, &formats)?;
    // Files left to sniffing are counted as one document each by the progress bar.
    let all_text = formats
        .iter()
        .all(|f| matches!(f, Format::Text | Format::Sniff));
    let stages = Stages::new(cfg);
    let mut writer = Writer::create(&cfg.output)?;
    if writer.commits_in_place() && !opts.quiet {
        eprintln!(
            "scriptorium: {}: a mount point, or its parent folder cannot be written: the output \
             files will be replaced one by one at the end, not all at once",
            cfg.output.dir.display()
        );
    }
    let mut index = DedupIndex::new(&cfg.dedup);
    let mut report = Report::default();
    let mut times = StageTimes::default();
    let mut progress = progress::Progress::new(
        all_text.then_some(inputs.len() as u64),
        !opts.quiet && std::io::stderr().is_terminal(),
    );
    // At most `window` processed documents wait for the ordered pass at once (memory bound).
    let window = (threads * 64).max(128);
    // The ordered pass (dedup decisions, writing) runs on this thread while the workers go on
    // with the next documents, each taking the next unstarted one, so the serial part and
    // one long document do not leave workers idle.
    // One document in input order: its dedup decisions, counts and lines.
    let mut consume = |mut p: ProcessedDoc| -> Result<(), RunError> {
        let meter = crate::util::cputime::Meter::start();
        if !p.segments.is_empty() {
            let seqs: Vec<u32> = (0..p.segments.len() as u32).collect();
            index.decide(&p.line.doc_id, &p.fingerprints, &mut p.segments, &seqs);
        } else {
            index.decide(&p.line.doc_id, &p.fingerprints, &mut [], &[]);
        }
        let decided = meter.wall();
        finish_line(&mut p);
        for w in &p.warnings {
            progress.println(&format!("scriptorium: {w}"));
        }
        report.add_document(&p.line, &p.clean, &p.segments);
        writer.document(&p.line, &p.clean, &p.segments)?;
        times.merge(&p.times);
        let (wall, cpu_share) = meter.finish();
        times.add(DEDUP_DECISIONS, decided.mul_f64(cpu_share));
        times.add(WRITE, wall.saturating_sub(decided).mul_f64(cpu_share));
        progress.document(
            p.line.bytes,
            p.line.segments as u64,
            p.segments.iter().filter(|s| s.dup_of.is_some()).count() as u64,
        );
        Ok(())
    };
    let result = ordered::for_each_ordered(
        &pool,
        WorkItems::new(&inputs, formats, stdin.as_deref(), &cfg.input),
        window,
        |item| process(&stages, item, stdin.as_deref()),
        |done: Done| -> Result<(), RunError> {
            match done {
                Done::One(p) => consume(p),
                Done::Many(docs) => docs.into_iter().try_for_each(&mut consume),
            }
        },
    )
    .map_err(|e| match e {
        ordered::OrderedError::Consume(e) => e,
        ordered::OrderedError::Worker => RunError::Threads("a worker thread panicked".into()),
    });
    progress.finish();
    if let Err(e) = result {
        writer.abandon();
        return Err(e);
    }
    report.set_duplicates(&index.counts);
    let wall = started.elapsed();
    let timing = Timing::new(report.bytes, wall, threads, &times);
    let by_count = |m: &std::collections::BTreeMap<&'static str, u64>| {
        let mut v: Vec<(&'static str, u64)> = m.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    };
    let d = &report.duplicates;
    let summary = RunSummary {
        documents: report.documents.total,
        skipped: report.documents.skipped.values().sum(),
        segments: report.segments.emitted,
        bytes: report.bytes,
        wall,
        dropped: by_count(&report.segments.dropped),
        duplicates: d.exact_within_document
            + d.exact_across_documents
            + d.near_within_document
            + d.near_across_documents,
        languages: by_count(
            &report
                .languages
                .iter()
                .map(|(k, c)| (*k, c.segments))
                .collect(),
        ),
        output: cfg.output.dir.clone(),
    };
    writer.commit(&report, &timing)?;
    Ok(summary)
}
