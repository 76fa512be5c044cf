//! The run report (`report.json`): totals, per-language, per-script and per-direction counts,
//! duplicates, and the time spent in each stage.
//!
//! Everything but the `timing` object is deterministic; tests that compare runs drop `timing`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

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
    /// What `stages` measures: `thread_cpu` (each thread's CPU time, user + system, shared out
    /// among a document's stages by their wall-clock laps) or `wall` (where the platform has no
    /// per-thread CPU clock).
    pub stage_clock: &'static str,
    pub stages: BTreeMap<&'static str, StageTiming>,
}

/// Counts of one document by name: `(name, segments, chars)`.
#[derive(Default)]
struct Tally {
    dropped: Vec<(&'static str, u64, u64)>,
    kinds: Vec<(&'static str, u64, u64)>,
    flags: Vec<(&'static str, u64, u64)>,
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
            Tally::bump(&mut tally.kinds, s.kind.name(), 1, 0);
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

    pub fn set_timing(&mut self, wall: Duration, threads: usize, stages: &StageTimes) {
        let mb = self.bytes as f64 / 1e6;
        let rate = |secs: f64| if secs > 0.0 { round2(mb / secs) } else { 0.0 };
        self.timing.wall_seconds = round4(wall.as_secs_f64());
        self.timing.threads = threads;
        self.timing.mb_per_s = rate(wall.as_secs_f64());
        self.timing.stage_clock = crate::util::cputime::clock_name();
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
