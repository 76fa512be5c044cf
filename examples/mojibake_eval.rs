//! The mojibake repair alone on the items of `eval/mojibake/eval.py`: one JSON line in
//! (`{"text": …}`), one out (`{"fixed": …, "encodings": [[name, runs], …]}`), in order.
//!
//!     cargo run --release --features internals --example mojibake_eval < items.jsonl > fixed.jsonl

use std::io::{BufRead, BufWriter, Write};

use scriptorium::internals::mojibake::repair;
use serde_json::{json, Value};

fn main() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)?;
        let text = v["text"].as_str().unwrap_or_default();
        let (fixed, encodings) = match repair(text) {
            Some(r) => (r.text, r.by_encoding),
            None => (text.to_string(), Vec::new()),
        };
        writeln!(out, "{}", json!({"fixed": fixed, "encodings": encodings}))?;
    }
    out.flush()?;
    Ok(())
}
