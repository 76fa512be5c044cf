//! Running a job: the inputs listed, a worker pool processing documents in parallel, the progress
//! bar, the ordered pass (dedup decisions and writing, in input order) and the report.
//!
//! The per-document work is [`Stages`]; this module holds no text logic. The output is
//! byte-identical for any number of threads because the ordered pass sees the documents in
//! input order whatever order the workers finish in.

pub(crate) mod ordered;
pub(crate) mod progress;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::io::input::{list_inputs, InputError, Source};
use crate::io::output::{OutputError, Writer};
use crate::io::report::{Report, StageTimes, Timing};
use crate::stage::dedup::DedupIndex;
use crate::stages::{ProcessedDoc, Stages};
use crate::util::clock::{DEDUP_DECISIONS, WRITE};

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
        inputs.len() as u64,
        !opts.quiet && std::io::stderr().is_terminal(),
    );
    // At most `window` processed documents wait for the ordered pass at once (memory bound).
    let window = (threads * 64).max(128);
    // The ordered pass (dedup decisions, writing) runs on this thread while the workers go on
    // with the next documents, each taking the next unstarted one, so the serial part and
    // one long document do not leave workers idle.
    let result = ordered::for_each_ordered(
        &pool,
        &inputs,
        window,
        |d| stages.process(d, stdin.as_deref()),
        |mut p: ProcessedDoc| -> Result<(), RunError> {
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
