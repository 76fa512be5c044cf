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
use crate::io::checkpoint::{self, Checkpoint};
use crate::io::input::{list_inputs, InputError, Source};
use crate::io::input::{read_doc, InputDoc};
use crate::io::output::DocumentLine;
use crate::io::output::{OutputError, Writer};
use crate::io::records::{self, classify, Format, Item};
use crate::io::report::{Report, StageTimes, Timing};
use crate::io::shard::{Manifest, ShardDocs, ShardError, ShardWriter};
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
    /// A shard file cannot be read or is damaged.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// Bad usage: shard folders that do not belong together, standard input split into
    /// shards.
    #[error("{0}")]
    Usage(String),
}

impl RunError {
    /// Whether the error is bad usage (exit status 2) rather than a failed run (1).
    pub fn is_usage(&self) -> bool {
        match self {
            RunError::Input(e) => e.is_usage(),
            RunError::Usage(_) => true,
            _ => false,
        }
    }
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

/// The ordered pass of a run or a merge: the dedup decisions, the counts and the output files,
/// fed one document at a time in input order.
struct Finish {
    index: DedupIndex,
    report: Report,
    times: StageTimes,
    writer: Writer,
}

impl Finish {
    /// Locks and stages the output folder of `cfg`.
    fn new(cfg: &Config, quiet: bool) -> Result<Finish, RunError> {
        let writer = Writer::create(&cfg.output)?;
        if writer.commits_in_place() && !quiet {
            eprintln!(
                "scriptorium: {}: a mount point, or its parent folder cannot be written: the \
                 output files will be replaced one by one at the end, not all at once",
                cfg.output.dir.display()
            );
        }
        Ok(Finish {
            index: DedupIndex::new(&cfg.dedup),
            report: Report::default(),
            times: StageTimes::default(),
            writer,
        })
    }

    /// One document in input order: its dedup decisions, counts and lines. Returns its bytes,
    /// written segments and duplicates, for the progress line.
    fn document(&mut self, mut p: ProcessedDoc) -> Result<(u64, u64, u64), RunError> {
        let meter = crate::util::cputime::Meter::start();
        if !p.segments.is_empty() {
            let seqs: Vec<u32> = (0..p.segments.len() as u32).collect();
            self.index
                .decide(&p.line.doc_id, &p.fingerprints, &mut p.segments, &seqs);
        } else {
            self.index
                .decide(&p.line.doc_id, &p.fingerprints, &mut [], &[]);
        }
        let decided = meter.wall();
        finish_line(&mut p);
        self.report.add_document(&p.line, &p.clean, &p.segments);
        self.writer.document(&p.line, &p.clean, &p.segments)?;
        self.times.merge(&p.times);
        let (wall, cpu_share) = meter.finish();
        self.times.add(DEDUP_DECISIONS, decided.mul_f64(cpu_share));
        self.times
            .add(WRITE, wall.saturating_sub(decided).mul_f64(cpu_share));
        Ok((
            p.line.bytes,
            p.line.segments as u64,
            p.segments.iter().filter(|s| s.dup_of.is_some()).count() as u64,
        ))
    }

    /// Writes the report and timings and commits the output set.
    fn commit(
        mut self,
        output: &std::path::Path,
        started: Instant,
        threads: usize,
    ) -> Result<RunSummary, RunError> {
        let report = &mut self.report;
        report.set_duplicates(&self.index.counts);
        let wall = started.elapsed();
        let timing = Timing::new(report.bytes, wall, threads, &self.times);
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
            output: output.to_path_buf(),
        };
        self.writer.commit(&self.report, &timing)?;
        Ok(summary)
    }
}

/// Where the documents of a run go in input order: through the dedup decisions to the output
/// files, or, for one shard, as they are into the shard files.
// One sink per run, on the stack: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Sink {
    Final(Finish),
    Shard {
        writer: ShardWriter,
        times: StageTimes,
        bytes: u64,
        documents: u64,
        skipped: u64,
    },
}

/// What a shard run did.
#[derive(Debug)]
pub enum ShardOutcome {
    /// The shard was processed and its folder committed.
    Written(ShardSummary),
    /// The output folder already held this shard, complete, for the same configuration and
    /// inputs: nothing was done.
    AlreadyComplete,
}

/// What a finished shard run says.
#[derive(Debug)]
pub struct ShardSummary {
    /// The shard.
    pub shard: ShardSpec,
    /// Documents of the shard, skipped ones included.
    pub documents: u64,
    /// Documents skipped.
    pub skipped: u64,
    /// Segments before the dedup decisions.
    pub segments: u64,
    /// Raw input bytes read.
    pub bytes: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// Bytes of the fingerprint file.
    pub fingerprint_bytes: u64,
    /// The shard folder.
    pub output: std::path::PathBuf,
}

impl ShardSummary {
    /// The closing summary, as the binary prints it.
    pub fn lines(&self) -> Vec<String> {
        use progress::{megabytes, thousands};
        let secs = self.wall.as_secs_f64();
        vec![
            format!(
                "shard {}: {} documents ({} skipped), {} in {:.1} s, {} segments before dedup",
                self.shard,
                thousands(self.documents),
                thousands(self.skipped),
                megabytes(self.bytes),
                secs,
                thousands(self.segments),
            ),
            format!("output: {}", self.output.display()),
        ]
    }
}

/// Shard `index` of `count` (`--shard K/N`, `K` counted from 0: `0/4` … `3/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// `K`, from 0 to `count - 1`.
    pub index: u32,
    /// `N`, at least 1.
    pub count: u32,
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardSpec, String> {
        let bad = || format!("`{s}`: expected K/N with 0 <= K < N (shards are counted from 0)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

impl ShardSpec {
    /// This shard's inputs among `total`: the `index`-th of `count` contiguous ranges of the
    /// sorted walk, as equal in number as can be (the first ones one longer).
    pub fn inputs(&self, total: usize) -> std::ops::Range<usize> {
        let (n, k) = (self.count as usize, self.index as usize);
        let (base, extra) = (total / n, total % n);
        let start = k * base + k.min(extra);
        start..start + base + usize::from(k < extra)
    }
}

/// The hash that shards and their merge must share: the whole configuration but the input paths
/// and the output folder (the inputs are checked by their own hash), and the program version.
pub fn config_hash(cfg: &Config) -> String {
    let mut c = cfg.clone();
    c.input.paths.clear();
    c.output.dir = std::path::PathBuf::new();
    // Whether a run keeps a checkpoint does not change what it writes.
    c.output.resume = true;
    let text = format!("scriptorium {} {:?}", env!("CARGO_PKG_VERSION"), c);
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// The hash of the input list: every input's document id and path, in walk order.
fn input_hash(inputs: &[crate::io::input::InputDoc]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(inputs.len() as u64).to_le_bytes());
    for d in inputs {
        for s in [&d.id, &d.source] {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
    format!("{:032x}", h.digest128())
}

/// Runs the whole pipeline over the configured inputs into the configured output folder.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunSummary, RunError> {
    match run_inner(cfg, opts, None, true)? {
        Ran::Run(s) => Ok(s),
        // `run_inner` without a shard always runs the whole pipeline.
        Ran::Shard(_) => Err(RunError::Threads(
            "internal: a shard result from a run".into(),
        )),
    }
}

/// Runs shard `shard` of the configured inputs: processes its documents and writes them, with
/// their fingerprints and before any dedup decision, into the output folder as a shard folder
/// (see `merge`). A folder that already holds this shard, complete, for the same configuration
/// and inputs, is left as it is.
pub fn run_shard(
    cfg: &Config,
    opts: &RunOptions,
    shard: ShardSpec,
) -> Result<ShardOutcome, RunError> {
    match run_inner(cfg, opts, Some(shard), true)? {
        Ran::Shard(o) => Ok(o),
        Ran::Run(_) => Err(RunError::Threads(
            "internal: a run result from a shard".into(),
        )),
    }
}

enum Ran {
    Run(RunSummary),
    Shard(ShardOutcome),
}

/// `replay`: whether a checkpoint left by a killed run may be resumed (not after a replay of it
/// failed).
fn run_inner(
    cfg: &Config,
    opts: &RunOptions,
    shard: Option<ShardSpec>,
    replay: bool,
) -> Result<Ran, RunError> {
    let started = Instant::now();
    let all_inputs = list_inputs(&cfg.input.paths)?;
    let (range, hashes) = match shard {
        None => (0..all_inputs.len(), None),
        Some(spec) => {
            if all_inputs.iter().any(|d| matches!(d.origin, Source::Stdin)) {
                return Err(RunError::Usage(
                    "standard input (`-`) cannot be split into shards; give files or folders"
                        .into(),
                ));
            }
            let hashes = (config_hash(cfg), input_hash(&all_inputs));
            if let Ok(m) = Manifest::read(&cfg.output.dir) {
                if m.shard == spec.index
                    && m.shards == spec.count
                    && m.config_hash == hashes.0
                    && m.input_hash == hashes.1
                    && m.files_complete(&cfg.output.dir)
                {
                    return Ok(Ran::Shard(ShardOutcome::AlreadyComplete));
                }
            }
            (spec.inputs(all_inputs.len()), Some(hashes))
        }
    };
    // Standard input is read like a file: at most `max_file_bytes + 1` bytes, so a larger one is
    // recorded as `too_large` and an endless one does not hold the run.
    let stdin = if all_inputs.iter().any(|d| matches!(d.origin, Source::Stdin)) {
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
    // first bytes). A shard looks at every input too, so that the check of record ids refuses
    // what a single run refuses.
    let formats: Vec<Format> = {
        use rayon::prelude::*;
        let (setting, text_field) = (cfg.input.format, cfg.input.text_field.as_str());
        let stdin = stdin.as_deref();
        pool.install(|| {
            all_inputs
                .par_iter()
                .map(|d| classify(d, setting, stdin, text_field))
                .collect()
        })
    };
    work::check_record_ids(&all_inputs, &formats)?;
    let inputs = &all_inputs[range.clone()];
    let formats: Vec<Format> = formats[range.clone()].to_vec();
    // Files left to sniffing are counted as one document each by the progress bar.
    let all_text = formats
        .iter()
        .all(|f| matches!(f, Format::Text | Format::Sniff));
    let stages = Stages::new(cfg);
    let mut sink = match shard {
        None => Sink::Final(Finish::new(cfg, opts.quiet)?),
        Some(_) => {
            let writer = ShardWriter::create(&cfg.output.dir)?;
            if writer.commits_in_place() && !opts.quiet {
                eprintln!(
                    "scriptorium: {}: a mount point, or its parent folder cannot be written: \
                     the shard files will be replaced one by one at the end",
                    cfg.output.dir.display()
                );
            }
            Sink::Shard {
                writer,
                times: StageTimes::default(),
                bytes: 0,
                documents: 0,
                skipped: 0,
            }
        }
    };
    let mut progress = progress::Progress::new(
        all_text.then_some(inputs.len() as u64),
        !opts.quiet && std::io::stderr().is_terminal(),
    );
    // A whole run from files keeps a checkpoint; one resumed replays it (see `checkpoint`).
    let mut checkpoint = None;
    let mut unusable = false;
    let mut skip = 0u64;
    if let Sink::Final(f) = &mut sink {
        let from_files = !all_inputs.iter().any(|d| matches!(d.origin, Source::Stdin));
        if cfg.output.resume && from_files {
            let key = checkpoint::run_key(&config_hash(cfg), &all_inputs);
            let (c, found) = Checkpoint::open(&f.writer.checkpoint_dir(), &key, replay)?;
            if let Some(mut r) = found {
                let replayed = replay_checkpoint(f, &stages, &mut r, &mut progress);
                match replayed {
                    Ok(()) => {
                        skip = r.mark.items;
                        if !opts.quiet {
                            progress.println(&format!(
                                "scriptorium: resuming a run that was stopped: {} documents read \
                             back from its checkpoint, not processed again",
                                progress::thousands(r.mark.documents)
                            ));
                        }
                    }
                    Err(e) => {
                        progress.println(&format!(
                            "scriptorium: the checkpoint cannot be replayed ({e}): starting \
                             afresh"
                        ));
                        unusable = true;
                    }
                }
            }
            checkpoint = Some(c);
        }
    }
    if unusable {
        progress.finish();
        if let Sink::Final(f) = sink {
            f.writer.abandon();
        }
        if let Some(c) = checkpoint {
            c.remove();
        }
        return run_inner(cfg, opts, shard, false);
    }
    let checkpoint = std::cell::RefCell::new(checkpoint);
    // At most `window` processed documents wait for the ordered pass at once (memory bound).
    let window = (threads * 64).max(128);
    // The ordered pass (dedup decisions, writing) runs on this thread while the workers go on
    // with the next documents, each taking the next unstarted one, so the serial part and
    // one long document do not leave workers idle.
    // One document in input order: its dedup decisions, counts and lines (for a shard: the
    // document as it is, into the shard files).
    let mut consume = |p: ProcessedDoc| -> Result<(), RunError> {
        for w in &p.warnings {
            progress.println(&format!("scriptorium: {w}"));
        }
        let (bytes, segments, dups) = match &mut sink {
            Sink::Final(f) => {
                if let Some(c) = checkpoint.borrow_mut().as_mut() {
                    c.document(&p)?;
                }
                f.document(p)?
            }
            Sink::Shard {
                writer,
                times,
                bytes,
                documents,
                skipped,
            } => {
                let meter = crate::util::cputime::Meter::start();
                writer.document(&p)?;
                times.merge(&p.times);
                let (wall, cpu_share) = meter.finish();
                times.add(WRITE, wall.mul_f64(cpu_share));
                *bytes += p.line.bytes;
                *documents += 1;
                *skipped += u64::from(p.line.status != "ok");
                (p.line.bytes, p.segments.len() as u64, 0)
            }
        };
        progress.document(bytes, segments, dups);
        Ok(())
    };
    let result = ordered::for_each_ordered(
        &pool,
        WorkItems::new(inputs, formats, stdin.as_deref(), &cfg.input)
            .skip(usize::try_from(skip).unwrap_or(usize::MAX)),
        window,
        |item| process(&stages, item, stdin.as_deref()),
        |done: Done| -> Result<(), RunError> {
            match done {
                Done::One(p) => consume(p)?,
                Done::Many(docs) => docs.into_iter().try_for_each(&mut consume)?,
            }
            if let Some(c) = checkpoint.borrow_mut().as_mut() {
                c.item_done()?;
            }
            Ok(())
        },
    )
    .map_err(|e| match e {
        ordered::OrderedError::Consume(e) => e,
        ordered::OrderedError::Worker => RunError::Threads("a worker thread panicked".into()),
    });
    progress.finish();
    if let Err(e) = result {
        // A run that stops on an error (not a killed one) leaves no checkpoint: the error
        // may be a full disk, which the checkpoint fills too.
        if let Some(c) = checkpoint.into_inner() {
            c.remove();
        }
        match sink {
            Sink::Final(f) => f.writer.abandon(),
            Sink::Shard { writer, .. } => writer.abandon(),
        }
        return Err(e);
    }
    match sink {
        Sink::Final(f) => {
            let mut checkpoint = checkpoint.into_inner();
            if let Some(c) = &mut checkpoint {
                c.mark()?;
            }
            let summary = f.commit(&cfg.output.dir, started, threads)?;
            if let Some(c) = checkpoint {
                c.remove();
            }
            Ok(Ran::Run(summary))
        }
        Sink::Shard {
            writer,
            times,
            bytes,
            documents,
            skipped,
        } => {
            let (config_hash, input_hash) = hashes.unwrap_or_default();
            let spec = shard.unwrap_or(ShardSpec { index: 0, count: 1 });
            let mut m = Manifest::new(spec.index, spec.count, config_hash, input_hash);
            m.inputs_total = all_inputs.len() as u64;
            m.first_input = range.start as u64;
            m.inputs = range.len() as u64;
            m.stage_nanos = times
                .0
                .iter()
                .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                .collect();
            let m = writer.commit(m)?;
            Ok(Ran::Shard(ShardOutcome::Written(ShardSummary {
                shard: spec,
                documents,
                skipped,
                segments: m.segments,
                bytes,
                wall: started.elapsed(),
                fingerprint_bytes: m.fingerprints_bytes,
                output: cfg.output.dir.clone(),
            })))
        }
    }
}

/// Feeds the documents of a checkpoint to the ordered pass, as `merge` feeds a shard's, with
/// their fingerprints computed again (the checkpoint does not keep them).
fn replay_checkpoint(
    f: &mut Finish,
    stages: &Stages,
    r: &mut checkpoint::Replay,
    progress: &mut progress::Progress,
) -> Result<(), RunError> {
    while let Some(mut p) = r.next_doc().map_err(RunError::Shard)? {
        p.fingerprints = stages.dedup.fingerprints(&p.clean, &p.segments);
        let (b, s, d) = f.document(p)?;
        progress.document(b, s, d);
    }
    Ok(())
}

/// Merges the shard folders `dirs` of one sharded run into the output folder of `cfg`: checks
/// that they are all the shards of one run of this configuration, then makes the dedup
/// decisions over all their documents in input order and writes the output set a single run
/// writes, byte for byte (`timing.json` aside). Reads one document at a time.
pub fn merge(
    cfg: &Config,
    dirs: &[std::path::PathBuf],
    opts: &RunOptions,
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let shards = check_shards(cfg, dirs)?;
    let mut finish = Finish::new(cfg, opts.quiet)?;
    let mut progress = progress::Progress::new(
        Some(shards.iter().map(|(_, m)| m.documents).sum()),
        !opts.quiet && std::io::stderr().is_terminal(),
    );
    let mut result = Ok(());
    'shards: for (dir, m) in &shards {
        finish.times.merge(&m.stage_times());
        let mut docs = match ShardDocs::open(dir) {
            Ok(d) => d,
            Err(e) => {
                result = Err(RunError::Shard(e));
                break;
            }
        };
        let mut n = 0u64;
        loop {
            match docs.next_doc() {
                Ok(Some(p)) => {
                    n += 1;
                    match finish.document(p) {
                        Ok((b, s, d)) => progress.document(b, s, d),
                        Err(e) => {
                            result = Err(e);
                            break 'shards;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    result = Err(RunError::Shard(e));
                    break 'shards;
                }
            }
        }
        if n != m.documents {
            result = Err(RunError::Shard(ShardError {
                path: dir.join(crate::io::shard::RECORDS).display().to_string(),
                message: format!("{n} documents, its manifest says {}", m.documents),
            }));
            break;
        }
    }
    progress.finish();
    if let Err(e) = result {
        finish.writer.abandon();
        return Err(e);
    }
    finish.commit(&cfg.output.dir, started, 1)
}

/// Reads the manifests of `dirs` and checks that they are the shards `0..N` of one run, with
/// the configuration `cfg`; returns them in shard order.
fn check_shards(
    cfg: &Config,
    dirs: &[std::path::PathBuf],
) -> Result<Vec<(std::path::PathBuf, Manifest)>, RunError> {
    let mut problems = Vec::new();
    let mut shards = Vec::new();
    for d in dirs {
        match Manifest::read(d) {
            Ok(m) if m.files_complete(d) => shards.push((d.clone(), m)),
            Ok(_) => problems.push(format!(
                "{}: the shard files are missing or do not have the sizes in {}",
                d.display(),
                crate::io::shard::MANIFEST
            )),
            Err(e) => problems.push(format!("{e} (not a complete shard folder)")),
        }
    }
    if shards.is_empty() && problems.is_empty() {
        problems.push("no shard folders given".into());
    }
    let hash = config_hash(cfg);
    if let Some((_, first)) = shards.first() {
        let first = first.clone();
        for (d, m) in &shards {
            if m.shards != first.shards {
                problems.push(format!(
                    "{}: shard {}/{}, but {} is of {} shards",
                    d.display(),
                    m.shard,
                    m.shards,
                    shards[0].0.display(),
                    first.shards
                ));
            }
            if m.input_hash != first.input_hash || m.inputs_total != first.inputs_total {
                problems.push(format!(
                    "{}: made from other inputs than {}",
                    d.display(),
                    shards[0].0.display()
                ));
            }
            if m.config_hash != hash {
                problems.push(format!(
                    "{}: made with another configuration (or program version) than the one \
                     given to merge",
                    d.display()
                ));
            }
        }
        if problems.is_empty() {
            let n = first.shards;
            let mut seen: Vec<Vec<&std::path::PathBuf>> = vec![Vec::new(); n as usize];
            for (d, m) in &shards {
                if let Some(s) = seen.get_mut(m.shard as usize) {
                    s.push(d);
                }
            }
            for (k, s) in seen.iter().enumerate() {
                match s.len() {
                    0 => problems.push(format!("shard {k}/{n} is missing")),
                    1 => {}
                    _ => problems.push(format!(
                        "shard {k}/{n} is given twice: {}",
                        s.iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
        }
    }
    if problems.is_empty() {
        shards.sort_by_key(|(_, m)| m.shard);
        // Contiguous ranges that cover the inputs.
        let mut next = 0u64;
        for (d, m) in &shards {
            if m.first_input != next {
                problems.push(format!(
                    "{}: its inputs start at {}, where {next} was expected",
                    d.display(),
                    m.first_input
                ));
            }
            next = m.first_input + m.inputs;
        }
        if let Some((_, m)) = shards.first() {
            if next != m.inputs_total {
                problems.push(format!(
                    "the shards cover {next} of {} inputs",
                    m.inputs_total
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(shards)
    } else {
        Err(RunError::Usage(problems.join("\n")))
    }
}
