//! Throughput of the script stage (script, direction, bracket repair, garbled score) on one core.
//!
//! Reads every file under the given folders (plain UTF-8; others are skipped), cuts it into
//! lines as stand-in segments, and times `ScriptTagger::tag_segment` over all of them, then
//! each part alone.
//!
//! `cargo run --release --example script_speed -- FOLDER...`

use std::path::{Path, PathBuf};
use std::time::Instant;

use scriptorium::config::ScriptConfig;
use scriptorium::internals::script::{direction, dominant_script, ScriptTagger};

/// The files under `dir`, in the order a run reads them.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(scriptorium::internals::input::files_under(dir));
}

fn main() {
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        walk(Path::new(&a), &mut files);
    }
    let mut text = String::new();
    for f in &files {
        if let Ok(s) = std::fs::read_to_string(f) {
            text.push_str(&s);
            text.push('\n');
        }
    }
    let mut ranges = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if !t.trim().is_empty() {
            ranges.push(pos..pos + t.len());
        }
        pos += line.len();
    }
    let bytes: usize = ranges.iter().map(|r| r.len()).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {} segments, {:.1} MB",
        files.len(),
        ranges.len(),
        mb
    );
    let tagger = ScriptTagger::new(&ScriptConfig {
        repair_bidi: true,
        garbled_threshold: 0.5,
    });
    let model = scriptorium::internals::script::garbled::model();
    for round in 0..2 {
        let t = Instant::now();
        let mut flagged = 0usize;
        for r in &ranges {
            flagged += !tagger.tag_segment(&mut text, r.clone()).flags.is_empty() as usize;
        }
        let all = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut n = 0usize;
        let mut scripts = Vec::with_capacity(ranges.len());
        for r in &ranges {
            let s = dominant_script(&text[r.clone()]);
            n += s.len();
            scripts.push(s);
        }
        let script = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for r in &ranges {
            n += direction(&text[r.clone()]).rtl_runs.len();
        }
        let dir = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut g = 0.0f32;
        for (r, s) in ranges.iter().zip(&scripts) {
            g += model.score(&text[r.clone()], s);
        }
        let garbled = t.elapsed().as_secs_f64();
        if round == 1 {
            println!(
                "whole stage (tag_segment): {:.0} MB/s ({flagged} segments flagged)",
                mb / all
            );
            println!("  dominant_script:         {:.0} MB/s", mb / script);
            println!("  direction (+ bidi scan): {:.0} MB/s", mb / dir);
            println!(
                "  garbled score:           {:.0} MB/s ({n} {g:.0})",
                mb / garbled
            );
        }
    }
}
