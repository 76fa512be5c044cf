//! The run report (`report.json`): totals, per-language, per-script and per-direction counts,
//! duplicates and segment lengths; and the run's timings (`timing.json`).
//!
//! The report is deterministic: the same input and configuration give the same bytes, whatever
//! the thread count or the machine. What depends on the machine (wall and CPU time, threads,
//! throughput) is [`Timing`], written to its own file so that a committed output folder stays
//! clean. Counts keyed by a name are written as lists of records (`[{"lang": "eng",
//! "segments": 3, "chars": 80}]`), most frequent first (ties by name), so that every run has the
//! same columns for Arrow-based tools.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::doc::Segment;
use crate::io::output::DocumentLine;
use crate::stage::dedup::DupCounts;

/// Names of the timed stages, in pipeline order.
pub const STAGES: [&str; 11] = [
    "read",
    "decode",
    "normalize",
    "structure",
    "segment",
    "script",
    "language",
    "filter",
    "dedup_fingerprints",
    "dedup_decisions",
    "write",
];

/// Time spent per stage (summed over threads for the per-document stages).
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes(pub [Duration; STAGES.len()]);

impl StageTimes {
    pub fn add(&mut self, stage: usize, d: Duration) {
        self.0[stage] += d;
    }
    /// Multiplies every time by `factor` (wall-clock laps to CPU time).
    pub fn scale(&mut self, factor: f64) {
        for d in &mut self.0 {
            *d = d.mul_f64(factor);
        }
    }
    pub fn merge(&mut self, other: &StageTimes) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += *b;
        }
    }
}

/// Segments and characters of one language, script or direction.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub segments: u64,
    pub chars: u64,
}

/// Writes a map of counts as a list of records `{KEY: name, VALUE: n}`, largest first, ties by
/// name: a fixed order and the same fields in every run.
fn records<S: Serializer, V: Copy + Ord + Serialize>(
    map: &BTreeMap<&'static str, V>,
    key: &'static str,
    value: &'static str,
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Record<V>(&'static str, &'static str, &'static str, V);
    impl<V: Serialize> Serialize for Record<V> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry(self.0, self.1)?;
            m.serialize_entry(self.2, &self.3)?;
            m.end()
        }
    }
    let mut list: Vec<(&'static str, V)> = map.iter().map(|(k, v)| (*k, *v)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut seq = s.serialize_seq(Some(list.len()))?;
    for (name, n) in list {
        seq.serialize_element(&Record(key, name, value, n))?;
    }
    seq.end()
}

/// Writes a map of [`Count`]s as a list of records `{KEY: name, "segments": n, "chars": n}`,
/// most segments first, ties by name.
fn count_records<S: Serializer>(
    map: &BTreeMap<&'static str, Count>,
    key: &'static str,
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Record(&'static str, &'static str, Count);
    impl Serialize for Record {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(3))?;
            m.serialize_entry(self.0, self.1)?;
            m.serialize_entry("segments", &self.2.segments)?;
            m.serialize_entry("chars", &self.2.chars)?;
            m.end()
        }
    }
    let mut list: Vec<(&'static str, Count)> = map.iter().map(|(k, v)| (*k, *v)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut seq = s.serialize_seq(Some(list.len()))?;
    for (name, c) in list {
        seq.serialize_element(&Record(key, name, c))?;
    }
    seq.end()
}

/// The `serialize_with` functions of the keyed counts, one per key name.
macro_rules! keyed {
    ($($f:ident: $key:literal => $value:literal;)*) => {$(
        pub(crate) fn $f<S: Serializer, V: Copy + Ord + Serialize>(
            map: &BTreeMap<&'static str, V>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            records(map, $key, $value, s)
        }
    )*};
}

keyed! {
    status_documents: "status" => "documents";
    reason_segments: "reason" => "segments";
    kind_segments: "kind" => "segments";
    block_segments: "block" => "segments";
    flag_segments: "flag" => "segments";
    encoding_documents: "encoding" => "documents";
    encoding_runs: "encoding" => "runs";
    lang_segments: "lang" => "segments";
    script_segments: "script" => "segments";
}

fn lang_counts<S: Serializer>(m: &BTreeMap<&'static str, Count>, s: S) -> Result<S::Ok, S::Error> {
    count_records(m, "lang", s)
}
fn script_counts<S: Serializer>(
    m: &BTreeMap<&'static str, Count>,
    s: S,
) -> Result<S::Ok, S::Error> {
    count_records(m, "script", s)
}
fn direction_counts<S: Serializer>(
    m: &BTreeMap<&'static str, Count>,
    s: S,
) -> Result<S::Ok, S::Error> {
    count_records(m, "direction", s)
}

#[derive(Debug, Default, Serialize)]
pub struct Documents {
    pub total: u64,
    pub ok: u64,
    #[serde(serialize_with = "status_documents")]
    pub skipped: BTreeMap<&'static str, u64>,
    pub with_invalid_bytes: u64,
    pub with_mojibake_repaired: u64,
}

/// Upper bounds (in characters, inclusive) of the segment length classes; the last class has
/// no bound.
pub const LENGTH_BOUNDS: [u64; 8] = [9, 19, 49, 99, 199, 499, 999, 4999];

/// Written segments of one length class.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LengthClass {
    /// Fewest characters of the class.
    pub min_chars: u64,
    /// Most characters of the class (`null`: no bound).
    pub max_chars: Option<u64>,
    pub segments: u64,
}

fn length_classes() -> Vec<LengthClass> {
    let mut lo = 0;
    let mut out = Vec::new();
    for &hi in &LENGTH_BOUNDS {
        out.push(LengthClass {
            min_chars: lo,
            max_chars: Some(hi),
            segments: 0,
        });
        lo = hi + 1;
    }
    out.push(LengthClass {
        min_chars: lo,
        max_chars: None,
        segments: 0,
    });
    out
}

#[derive(Debug, Serialize)]
pub struct Segments {
    pub emitted: u64,
    #[serde(serialize_with = "reason_segments")]
    pub dropped: BTreeMap<&'static str, u64>,
    #[serde(serialize_with = "kind_segments")]
    pub kinds: BTreeMap<&'static str, u64>,
    #[serde(serialize_with = "block_segments")]
    pub blocks: BTreeMap<&'static str, u64>,
    #[serde(serialize_with = "flag_segments")]
    pub flags: BTreeMap<&'static str, u64>,
    /// Written segments by length in characters, every class listed.
    pub lengths: Vec<LengthClass>,
}

impl Default for Segments {
    fn default() -> Self {
        Segments {
            emitted: 0,
            dropped: BTreeMap::new(),
            kinds: BTreeMap::new(),
            blocks: BTreeMap::new(),
            flags: BTreeMap::new(),
            lengths: length_classes(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Duplicates {
    pub exact_within_document: u64,
    pub exact_across_documents: u64,
    pub near_within_document: u64,
    pub near_across_documents: u64,
}

/// The time of one stage.
#[derive(Debug, Default, Serialize)]
pub struct StageTiming {
    pub stage: &'static str,
    /// CPU seconds summed over threads.
    pub seconds: f64,
    /// Input megabytes (10^6 bytes) per CPU second.
    pub mb_per_s: f64,
}

/// The run's timings (`timing.json`): differ from run to run, so not part of the report.
#[derive(Debug, Default, Serialize)]
pub struct Timing {
    pub wall_seconds: f64,
    pub threads: usize,
    /// Input bytes.
    pub bytes: u64,
    /// Input megabytes per wall-clock second, end to end.
    pub mb_per_s: f64,
    /// What `stages` measures: `thread_cpu` (each thread's CPU time, user + system, shared out
    /// among a document's stages by their wall-clock laps) or `wall` (where the platform has no
    /// per-thread CPU clock).
    pub stage_clock: &'static str,
    /// CPU seconds of all stages, summed.
    pub cpu_seconds: f64,
    /// Input megabytes per CPU second of all stages.
    pub mb_per_cpu_s: f64,
    /// Every stage, in pipeline order.
    pub stages: Vec<StageTiming>,
}

impl Timing {
    /// The timings of a run of `bytes` input bytes that took `wall` on `threads` threads.
    pub fn new(bytes: u64, wall: Duration, threads: usize, stages: &StageTimes) -> Timing {
        let mb = bytes as f64 / 1e6;
        let rate = |secs: f64| if secs > 0.0 { round2(mb / secs) } else { 0.0 };
        let cpu: f64 = stages.0.iter().map(|d| d.as_secs_f64()).sum();
        Timing {
            wall_seconds: round4(wall.as_secs_f64()),
            threads,
            bytes,
            mb_per_s: rate(wall.as_secs_f64()),
            stage_clock: crate::util::cputime::clock_name(),
            cpu_seconds: round4(cpu),
            mb_per_cpu_s: rate(cpu),
            stages: STAGES
                .iter()
                .zip(stages.0.iter())
                .map(|(name, d)| StageTiming {
                    stage: name,
                    seconds: round4(d.as_secs_f64()),
                    mb_per_s: rate(d.as_secs_f64()),
                })
                .collect(),
        }
    }
}

/// Counts of one document by name: `(name, segments, chars)`.
#[derive(Default)]
struct Tally {
    dropped: Vec<(&'static str, u64, u64)>,
    kinds: Vec<(&'static str, u64, u64)>,
    flags: Vec<(&'static str, u64, u64)>,
    blocks: Vec<(&'static str, u64, u64)>,
    languages: Vec<(&'static str, u64, u64)>,
    scripts: Vec<(&'static str, u64, u64)>,
    directions: Vec<(&'static str, u64, u64)>,
}

impl Tally {
    fn bump(list: &mut Vec<(&'static str, u64, u64)>, name: &'static str, n: u64, chars: u64) {
        match list.iter_mut().find(|e| std::ptr::eq(e.0, name)) {
            Some(e) => {
                e.1 += n;
                e.2 += chars;
            }
            None => list.push((name, n, chars)),
        }
    }
}

/// The whole report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub documents: Documents,
    pub bytes: u64,
    pub segments: Segments,
    #[serde(serialize_with = "lang_counts")]
    pub languages: BTreeMap<&'static str, Count>,
    #[serde(serialize_with = "script_counts")]
    pub scripts: BTreeMap<&'static str, Count>,
    #[serde(serialize_with = "direction_counts")]
    pub directions: BTreeMap<&'static str, Count>,
    #[serde(serialize_with = "encoding_documents")]
    pub encodings: BTreeMap<&'static str, u64>,
    /// Mojibake runs repaired, by the encoding the UTF-8 had been misread as.
    #[serde(serialize_with = "encoding_runs")]
    pub mojibake: BTreeMap<&'static str, u64>,
    pub duplicates: Duplicates,
}

impl Report {
    /// Adds one document (after dedup): its line and its segments.
    pub fn add_document(&mut self, line: &DocumentLine, clean: &str, segs: &[Segment]) {
        self.documents.total += 1;
        self.bytes += line.bytes;
        if line.status == "ok" {
            self.documents.ok += 1;
        } else {
            *self.documents.skipped.entry(line.status).or_default() += 1;
        }
        if line.invalid_sequences > 0 {
            self.documents.with_invalid_bytes += 1;
        }
        if line.mojibake_repairs > 0 {
            self.documents.with_mojibake_repaired += 1;
        }
        for (e, n) in &line.mojibake_encodings {
            *self.mojibake.entry(e).or_default() += *n as u64;
        }
        if let Some(e) = line.encoding {
            *self.encodings.entry(e).or_default() += 1;
        }
        // Counted per document first, in short lists keyed by the names' addresses (they are
        // `'static` names from fixed tables, so a document has only a few distinct ones), then
        // added to the sorted maps once per name: far fewer string comparisons than one map
        // lookup per segment and field. Two equal names at different addresses just make two
        // entries of the list, which add up in the map, so the totals never depend on it.
        let mut tally = Tally::default();
        for s in segs {
            if let Some(r) = s.dropped {
                Tally::bump(&mut tally.dropped, r.name(), 1, 0);
                continue;
            }
            self.segments.emitted += 1;
            let chars = clean[s.text.clone()].chars().count() as u64;
            let class = LENGTH_BOUNDS
                .iter()
                .position(|&hi| chars <= hi)
                .unwrap_or(LENGTH_BOUNDS.len());
            self.segments.lengths[class].segments += 1;
            Tally::bump(&mut tally.kinds, s.kind.name(), 1, 0);
            Tally::bump(&mut tally.blocks, s.block_kind.name(), 1, 0);
            for f in s.flags.names() {
                Tally::bump(&mut tally.flags, f, 1, 0);
            }
            Tally::bump(&mut tally.languages, s.lang, 1, chars);
            Tally::bump(&mut tally.scripts, s.script, 1, chars);
            Tally::bump(&mut tally.directions, s.direction.name(), 1, chars);
        }
        for (name, n, _) in tally.dropped {
            *self.segments.dropped.entry(name).or_default() += n;
        }
        for (name, n, _) in tally.kinds {
            *self.segments.kinds.entry(name).or_default() += n;
        }
        for (name, n, _) in tally.blocks {
            *self.segments.blocks.entry(name).or_default() += n;
        }
        for (name, n, _) in tally.flags {
            *self.segments.flags.entry(name).or_default() += n;
        }
        for (map, list) in [
            (&mut self.languages, tally.languages),
            (&mut self.scripts, tally.scripts),
            (&mut self.directions, tally.directions),
        ] {
            for (name, segments, chars) in list {
                let c = map.entry(name).or_default();
                c.segments += segments;
                c.chars += chars;
            }
        }
    }

    pub fn set_duplicates(&mut self, c: &DupCounts) {
        self.duplicates = Duplicates {
            exact_within_document: c.exact_within,
            exact_across_documents: c.exact_across,
            near_within_document: c.near_within,
            near_across_documents: c.near_across,
        };
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{BlockKind, BoilerKind, DropReason, Flags, SegKind};

    fn line() -> DocumentLine {
        let mut l = DocumentLine::new("d", "d", 10, String::new());
        l.encoding = Some("UTF-8");
        l
    }

    /// Equal names at different addresses are one key of the report, with summed counts.
    #[test]
    fn counts_by_name_not_by_address() {
        let clean = "Toute personne a droit à l'éducation. كل شخص";
        let other_eng: &'static str = Box::leak(String::from("eng").into_boxed_str());
        let mut segs = Vec::new();
        for (k, lang) in ["eng", other_eng, "fra", "eng"].into_iter().enumerate() {
            let mut s = Segment::new(0..0, 0..(6 + k), k, SegKind::Sentence);
            s.lang = lang;
            s.script = "Latn";
            if k == 1 {
                s.flags.insert(Flags::REFLOWED);
            }
            segs.push(s);
        }
        let mut dropped = Segment::new(0..0, 0..3, 4, SegKind::Block(BlockKind::TocEntry));
        dropped.dropped = Some(DropReason::Boilerplate(BoilerKind::TocEntry));
        segs.push(dropped);
        let mut r = Report::default();
        r.add_document(&line(), clean, &segs);
        r.add_document(&line(), clean, &segs);
        assert_eq!(r.languages.len(), 2);
        assert_eq!(r.languages["eng"].segments, 6);
        assert_eq!(r.languages["eng"].chars, 2 * (6 + 7 + 9));
        assert_eq!(r.languages["fra"].segments, 2);
        assert_eq!(r.scripts["Latn"].segments, 8);
        assert_eq!(r.segments.emitted, 8);
        assert_eq!(r.segments.flags["reflowed"], 2);
        assert_eq!(r.segments.dropped["toc_entry"], 2);
        assert_eq!(r.segments.kinds["sentence"], 8);
        assert_eq!(r.directions["ltr"].segments, 8);
    }
}
