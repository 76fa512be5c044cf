//! The run report (`report.json`): totals, per-language, per-script and per-direction counts,
//! duplicates, and the time spent in each stage.
//!
//! Everything but the `timing` object is deterministic; tests that compare runs drop `timing`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::dedup::DupCounts;
use crate::doc::Segment;
use crate::output::DocumentLine;

/// Names of the timed stages, in pipeline order.
pub const STAGES: [&str; 10] = [
    "read",
    "decode",
    "normalize",
    "structure",
    "segment",
    "script",
    "language",
    "filter",
    "dedup",
    "write",
];

/// Time spent per stage (summed over threads for the per-document stages).
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes(pub [Duration; STAGES.len()]);

impl StageTimes {
    pub fn add(&mut self, stage: usize, d: Duration) {
        self.0[stage] += d;
    }
    pub fn merge(&mut self, other: &StageTimes) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += *b;
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Count {
    pub segments: u64,
    pub chars: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Documents {
    pub total: u64,
    pub ok: u64,
    pub skipped: BTreeMap<&'static str, u64>,
    pub with_invalid_bytes: u64,
    pub with_mojibake_repaired: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Segments {
    pub emitted: u64,
    pub dropped: BTreeMap<&'static str, u64>,
    pub kinds: BTreeMap<&'static str, u64>,
    pub flags: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Duplicates {
    pub exact_within_document: u64,
    pub exact_across_documents: u64,
    pub near_within_document: u64,
    pub near_across_documents: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct StageTiming {
    /// CPU seconds summed over threads.
    pub seconds: f64,
    /// Input megabytes (10^6 bytes) per CPU second.
    pub mb_per_s: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Timing {
    pub wall_seconds: f64,
    pub threads: usize,
    /// Input megabytes per wall-clock second, end to end.
    pub mb_per_s: f64,
    pub stages: BTreeMap<&'static str, StageTiming>,
}

/// The whole report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub documents: Documents,
    pub bytes: u64,
    pub segments: Segments,
    pub languages: BTreeMap<&'static str, Count>,
    pub scripts: BTreeMap<&'static str, Count>,
    pub directions: BTreeMap<&'static str, Count>,
    pub encodings: BTreeMap<&'static str, u64>,
    pub duplicates: Duplicates,
    pub timing: Timing,
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
        if let Some(e) = line.encoding {
            *self.encodings.entry(e).or_default() += 1;
        }
        for s in segs {
            if let Some(r) = s.dropped {
                *self.segments.dropped.entry(r.name()).or_default() += 1;
                continue;
            }
            self.segments.emitted += 1;
            let chars = clean[s.text.clone()].chars().count() as u64;
            *self.segments.kinds.entry(s.kind.name()).or_default() += 1;
            for f in s.flags.names() {
                *self.segments.flags.entry(f).or_default() += 1;
            }
            for (map, key) in [
                (&mut self.languages, s.lang),
                (&mut self.scripts, s.script),
                (&mut self.directions, s.direction.name()),
            ] {
                let c = map.entry(key).or_default();
                c.segments += 1;
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

    pub fn set_timing(&mut self, wall: Duration, threads: usize, stages: &StageTimes) {
        let mb = self.bytes as f64 / 1e6;
        let rate = |secs: f64| if secs > 0.0 { round2(mb / secs) } else { 0.0 };
        self.timing.wall_seconds = round4(wall.as_secs_f64());
        self.timing.threads = threads;
        self.timing.mb_per_s = rate(wall.as_secs_f64());
        for (name, d) in STAGES.iter().zip(stages.0.iter()) {
            let secs = d.as_secs_f64();
            self.timing.stages.insert(
                name,
                StageTiming {
                    seconds: round4(secs),
                    mb_per_s: rate(secs),
                },
            );
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
