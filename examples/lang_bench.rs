//! Throughput of the language stage alone, per core, on a folder of real text files.
//!
//!     cargo run --release --example lang_bench -- DIR [whatlang]
//!
//! Every file runs through the per-document stages once (untimed); then the language stage
//! (`LangTagger::tag_document`) runs again over every document on one thread, three times, and
//! the best pass is reported in MB/s of input bytes and of segment text. With `whatlang`, the
//! same segments are given to whatlang one by one instead, for comparison.

use std::time::Instant;

use scriptorium::config::Config;
use scriptorium::lang::LangTagger;
use scriptorium::pipeline::Stages;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or("raw".into());
    let whatlang = args.next().is_some_and(|a| a == "whatlang");
    let cfg = Config::default();
    let stages = Stages::new(&cfg);
    let mut paths = Vec::new();
    let mut todo = vec![std::path::PathBuf::from(&dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let mut docs = Vec::new();
    let mut input_bytes = 0usize;
    for p in &paths {
        let raw = std::fs::read(p)?;
        input_bytes += raw.len();
        let name = p.display().to_string();
        docs.push(stages.process_bytes(&name, &name, &raw));
    }
    let text_bytes: usize = docs
        .iter()
        .flat_map(|d| d.segments.iter().filter(|s| s.dropped.is_none()))
        .map(|s| s.text.len())
        .sum();
    let tagger = LangTagger::new(&cfg.language);
    let detector = whatlang::Detector::new();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let mut segs: Vec<_> = docs.iter().map(|d| d.segments.clone()).collect();
        let t = Instant::now();
        for (d, s) in docs.iter().zip(segs.iter_mut()) {
            if whatlang {
                for seg in s.iter().filter(|x| x.dropped.is_none()) {
                    std::hint::black_box(detector.detect(&d.clean[seg.text.clone()]));
                }
            } else {
                tagger.tag_document(&d.clean, s);
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&segs);
    }
    println!(
        "{} files, {:.1} MB input, {:.1} MB segment text: {:.3} s, {:.1} MB/s of input, {:.1} MB/s of text ({})",
        docs.len(),
        input_bytes as f64 / 1e6,
        text_bytes as f64 / 1e6,
        best,
        input_bytes as f64 / 1e6 / best,
        text_bytes as f64 / 1e6 / best,
        if whatlang { "whatlang per segment" } else { "language stage" }
    );
    Ok(())
}
