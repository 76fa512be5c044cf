//! Throughput of each stage and of a whole document, in bytes of input per second.
//!
//! The text is real: the documents of `raw/` and the UDHR excerpts of `tests/data/udhr/`, or, when
//! `SCRIPTORIUM_BENCH_DIR` names a folder, up to `SCRIPTORIUM_BENCH_MB` (default 8) megabytes of
//! the files under it (e.g. the multilingual corpus that `make-corpus.sh` builds).
//!
//!     cargo bench --bench pipeline
//!     SCRIPTORIUM_BENCH_DIR=bench-data/slice50/files cargo bench --bench pipeline

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scriptorium::config::Config;
use scriptorium::internals::decode::Decoder;
use scriptorium::internals::dedup::Dedup;
use scriptorium::internals::lang::LangTagger;
use scriptorium::internals::normalize::Normalizer;
use scriptorium::internals::script::ScriptTagger;
use scriptorium::internals::segment::Segmenter;
use scriptorium::internals::structure::Structurer;
use scriptorium::Segment;
use scriptorium::Stages;

/// The files under `dir`, in the order a run reads them.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(scriptorium::internals::input::files_under(dir));
}

/// The benchmark documents: (name, bytes).
fn documents() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let limit: usize = std::env::var("SCRIPTORIUM_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
        * 1_000_000;
    match std::env::var_os("SCRIPTORIUM_BENCH_DIR") {
        Some(d) => walk(Path::new(&d), &mut files),
        None => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            walk(&root.join("raw"), &mut files);
            walk(&root.join("tests/data/udhr"), &mut files);
        }
    }
    let mut docs = Vec::new();
    let mut total = 0;
    for f in files {
        if total >= limit {
            break;
        }
        if let Ok(b) = std::fs::read(&f) {
            if std::str::from_utf8(&b).is_ok() {
                total += b.len();
                docs.push(b);
            }
        }
    }
    docs
}

fn stages(c: &mut Criterion) {
    let cfg = Config::default();
    let docs = documents();
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let texts: Vec<&str> = docs
        .iter()
        .map(|d| std::str::from_utf8(d).unwrap_or(""))
        .collect();
    let decoder = Decoder::new(&cfg.decode);
    let normalizer = Normalizer::new(&cfg.normalize);
    let structurer = Structurer::new(&cfg.structure);
    let segmenter = Segmenter::new(&cfg.segment);
    let script = ScriptTagger::new(&cfg.script);
    let lang = LangTagger::new(&cfg.language);
    let dedup = Dedup::new(&cfg.dedup);
    let whole = Stages::new(&cfg);

    // Pre-computed inputs of the later stages.
    let processed: Vec<_> = docs
        .iter()
        .map(|d| whole.process_bytes("b", "b", d))
        .collect();

    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("decode", |b| {
        b.iter(|| {
            for d in &docs {
                std::hint::black_box(decoder.decode(d, None).ok());
            }
        })
    });
    g.bench_function("mojibake+normalize", |b| {
        b.iter(|| {
            for t in &texts {
                let r = scriptorium::internals::mojibake::repair(t);
                std::hint::black_box(normalizer.normalize(r.as_ref().map_or(t, |r| &r.text)));
            }
        })
    });
    g.bench_function("structure", |b| {
        b.iter(|| {
            for t in &texts {
                std::hint::black_box(structurer.blocks(t));
            }
        })
    });
    g.bench_function("segment", |b| {
        let blocks: Vec<_> = texts.iter().map(|t| structurer.blocks(t)).collect();
        let mut out = Vec::new();
        b.iter(|| {
            for (t, bl) in texts.iter().zip(&blocks) {
                for block in bl {
                    out.clear();
                    segmenter.sentences(t, block.range.clone(), &mut out);
                    std::hint::black_box(&out);
                }
            }
        })
    });
    g.bench_function("script", |b| {
        b.iter(|| {
            for p in &processed {
                for s in &p.segments {
                    std::hint::black_box(script.tag(&p.clean[s.text.clone()]));
                }
            }
        })
    });
    g.bench_function("language", |b| {
        let mut segs: Vec<Vec<Segment>> = processed.iter().map(|p| p.segments.clone()).collect();
        b.iter(|| {
            for (p, s) in processed.iter().zip(segs.iter_mut()) {
                lang.tag_document(&p.clean, s);
            }
        })
    });
    g.bench_function("dedup_fingerprints", |b| {
        b.iter(|| {
            for p in &processed {
                std::hint::black_box(dedup.fingerprints(&p.clean, &p.segments));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("document");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_with_input(
        BenchmarkId::new("process_bytes", docs.len()),
        &docs,
        |b, docs| {
            b.iter(|| {
                for d in docs {
                    std::hint::black_box(whole.process_bytes("b", "b", d));
                }
            })
        },
    );
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
