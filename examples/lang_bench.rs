//! Throughput of the language stage alone, per core, on a folder of real text files.
//!
//!     cargo run --release --example lang_bench -- DIR [whatlang]
//!
//! Every file runs through the per-document stages once (untimed); then the language stage
//! (`LangTagger::tag_document`) runs again over every document on one thread, five times, and
//! the best pass is reported in MB/s of input bytes and of segment text, by wall time and by the
//! CPU time of the thread (Linux; less sensitive to other work on a shared machine). With
//! `whatlang`, the same segments are given to whatlang one by one instead, for comparison.

use std::time::Instant;

use scriptorium::config::Config;
use scriptorium::internals::lang::LangTagger;
use scriptorium::Stages;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or("raw".into());
    let whatlang = args.next().is_some_and(|a| a == "whatlang");
    let cfg = Config::default();
    let stages = Stages::new(&cfg);
    let paths = scriptorium::internals::input::files_under(std::path::Path::new(&dir));
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
    let mut best_cpu = f64::INFINITY;
    for _ in 0..5 {
        let mut segs: Vec<_> = docs.iter().map(|d| d.segments.clone()).collect();
        let cpu = thread_cpu_seconds();
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
        if let (Some(a), Some(b)) = (cpu, thread_cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
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
    if best_cpu.is_finite() {
        println!(
            "CPU time of the thread: {:.3} s, {:.1} MB/s of input",
            best_cpu,
            input_bytes as f64 / 1e6 / best_cpu
        );
    }
    Ok(())
}

/// User and system time of the calling thread, from `/proc/thread-self/stat` (Linux only; in
/// clock ticks, assumed to be the usual 100 per second).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
