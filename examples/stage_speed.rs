//! Runs one stage over the files of a folder, for profiling and instruction counts:
//!
//!     cargo run --release --example stage_speed -- STAGE DIR [MB]
//!
//! STAGE is one of decode, normalize, structure, segment, script, language, dedup (the
//! fingerprints), decide (the in-order dedup decisions, fingerprints computed beforehand),
//! document.
//! Prints the bytes processed and the wall time; use `perf stat` for instruction counts when the
//! machine is busy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use scriptorium::config::Config;
use scriptorium::Stages;

/// The files under `dir`, in the order a run reads them.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(scriptorium::internals::input::files_under(dir));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: stage_speed STAGE DIR [MB]");
        std::process::exit(2);
    }
    let stage = args[1].as_str();
    let limit = args
        .get(3)
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(20)
        * 1_000_000;
    let mut files = Vec::new();
    walk(Path::new(&args[2]), &mut files);
    let mut docs = Vec::new();
    let mut total = 0;
    for f in files {
        if total >= limit {
            break;
        }
        if let Ok(b) = std::fs::read(&f) {
            total += b.len();
            docs.push(b);
        }
    }
    let cfg = Config::default();
    let stages = Stages::new(&cfg);
    let dec = scriptorium::internals::decode::Decoder::new(&cfg.decode);
    let norm = scriptorium::internals::normalize::Normalizer::new(&cfg.normalize);
    let st = scriptorium::internals::structure::Structurer::new(&cfg.structure);
    let seg = scriptorium::internals::segment::Segmenter::new(&cfg.segment);
    let texts: Vec<String> = docs
        .iter()
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .collect();
    let needs_processed = matches!(stage, "script" | "language" | "dedup" | "decide");
    let processed: Vec<_> = if needs_processed {
        docs.iter()
            .map(|d| stages.process_bytes("x", "x", d))
            .collect()
    } else {
        Vec::new()
    };
    let mut cleans: Vec<String> = processed.iter().map(|p| p.clean.clone()).collect();
    let script = scriptorium::internals::script::ScriptTagger::new(&cfg.script);
    let lang = scriptorium::internals::lang::LangTagger::new(&cfg.language);
    let dedup = scriptorium::internals::dedup::Dedup::new(&cfg.dedup);
    let fingerprints: Vec<_> = if stage == "decide" {
        processed
            .iter()
            .map(|p| dedup.fingerprints(&p.clean, &p.segments))
            .collect()
    } else {
        Vec::new()
    };
    let t = Instant::now();
    let mut sink = 0usize;
    match stage {
        "decode" => {
            for d in &docs {
                sink += dec.decode(d, None).map_or(0, |x| x.text.len());
            }
        }
        "normalize" => {
            for t in &texts {
                let r = scriptorium::internals::mojibake::repair(t);
                sink += norm.normalize(r.as_ref().map_or(t, |r| &r.text)).text.len();
            }
        }
        "structure" => {
            for t in &texts {
                sink += st.blocks(t).len();
            }
        }
        "segment" => {
            let mut out = Vec::new();
            for t in &texts {
                for b in st.blocks(t) {
                    out.clear();
                    seg.sentences(t, b.range.clone(), &mut out);
                    sink += out.len();
                }
            }
        }
        "script" => {
            // The whole stage, as a run calls it: script, direction, bracket repair, garbled score
            // (on copies of the clean texts, made before the clock started).
            for (p, clean) in processed.iter().zip(cleans.iter_mut()) {
                for s in p.segments.iter().filter(|s| s.dropped.is_none()) {
                    let t = script.tag_segment(clean, s.text.clone());
                    sink += t.info.rtl_runs.len() + !t.flags.is_empty() as usize;
                }
            }
        }
        "language" => {
            for p in &processed {
                let mut segs = p.segments.clone();
                lang.tag_document(&p.clean, &mut segs);
                sink += segs.len();
            }
        }
        "dedup" => {
            for p in &processed {
                sink += dedup.fingerprints(&p.clean, &p.segments).exact.len();
            }
        }
        "decide" => {
            let mut index = scriptorium::internals::dedup::DedupIndex::new(&cfg.dedup);
            for (k, (p, f)) in processed.iter().zip(&fingerprints).enumerate() {
                let mut segs = p.segments.clone();
                let seqs: Vec<u32> = (0..segs.len() as u32).collect();
                index.decide(&format!("d{k}"), f, &mut segs, &seqs);
                sink += segs.iter().filter(|s| s.dup_of.is_some()).count();
            }
            eprintln!("dedup index: {} bytes", index.heap_bytes());
        }
        "document" => {
            for d in &docs {
                sink += stages.process_bytes("x", "x", d).segments.len();
            }
        }
        other => {
            eprintln!("unknown stage {other}");
            std::process::exit(2);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{stage}: {:.1} MB in {:.3} s = {:.1} MB/s ({sink})",
        total as f64 / 1e6,
        secs,
        total as f64 / 1e6 / secs
    );
}
