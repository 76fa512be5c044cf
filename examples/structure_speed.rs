//! Throughput of the structure stage alone, on one core: `Structurer::blocks` over the given
//! text files (each one document), repeated until about two seconds have passed.
//!
//!     cargo run --release --example structure_speed -- raw/*
//!
//! Prints MB/s for `reflow` and `blank_lines`.

use std::time::{Duration, Instant};

use scriptorium::config::{Config, StructureMode};
use scriptorium::internals::structure::Structurer;

fn main() {
    let docs: Vec<String> = std::env::args()
        .skip(1)
        .filter_map(|p| std::fs::read(&p).ok())
        .map(|b| String::from_utf8_lossy(&b).replace("\r\n", "\n"))
        .collect();
    let bytes: usize = docs.iter().map(String::len).sum();
    if bytes == 0 {
        eprintln!("usage: structure_speed FILE...");
        std::process::exit(2);
    }
    for mode in [StructureMode::Reflow, StructureMode::BlankLines] {
        let mut cfg = Config::default().structure;
        cfg.mode = mode;
        let s = Structurer::new(&cfg);
        let (mut rounds, mut blocks) = (0u64, 0usize);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            for d in &docs {
                blocks += s.blocks(d).len();
            }
            rounds += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{mode:?}: {} documents, {:.1} MB, {rounds} rounds, {:.1} MB/s ({} blocks/round)",
            docs.len(),
            bytes as f64 / 1e6,
            bytes as f64 * rounds as f64 / secs / 1e6,
            blocks / rounds as usize
        );
    }
}
