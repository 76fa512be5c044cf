//! Throughput of the dedup stage on real text: fingerprints (fold, exact keys, shingles, MinHash
//! signatures, band keys) per core, and the in-order decisions.
//!
//! The corpus is a folder of UTF-8 text files named by `SCRIPTORIUM_DEDUP_CORPUS` (e.g. the
//! benchmark corpus's `slice5/files`); `raw/` when unset. The per-document stages before dedup run
//! once, outside the measurement.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scriptorium::config::Config;
use scriptorium::internals::dedup::{Dedup, DedupIndex};
use scriptorium::{ProcessedDoc, Stages};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn bench(c: &mut Criterion) {
    let root = std::env::var_os("SCRIPTORIUM_DEDUP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("raw"));
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let cfg = Config::default();
    let stages = Stages::new(&cfg);
    let docs: Vec<ProcessedDoc> = paths
        .iter()
        .map(|p| {
            let raw = std::fs::read(p).unwrap();
            let id = p.to_string_lossy();
            stages.process_bytes(&id, &id, &raw)
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.clean.len()).sum();
    let dedup = Dedup::new(&cfg.dedup);
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("fingerprints", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| dedup.fingerprints(&d.clean, &d.segments).paragraphs.len())
                .sum::<usize>()
        })
    });
    let fps: Vec<_> = docs
        .iter()
        .map(|d| dedup.fingerprints(&d.clean, &d.segments))
        .collect();
    g.bench_function("decide", |b| {
        b.iter(|| {
            let mut index = DedupIndex::new(&cfg.dedup);
            for (d, f) in docs.iter().zip(&fps) {
                let mut segs = d.segments.clone();
                let seqs: Vec<u32> = (0..segs.len() as u32).collect();
                index.decide(&d.line.doc_id, f, &mut segs, &seqs);
            }
            index.counts
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
