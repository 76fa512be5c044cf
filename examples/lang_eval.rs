//! Per-item predictions of the language stage, and of whatlang per segment, on the labelled
//! evaluation data of `eval/lang/` (see `eval/lang/README.md`).
//!
//!     cargo run --release --example lang_eval [-- EVAL_DIR] > predictions.jsonl
//!
//! One JSON line per item: `set` (`udhr`, `l10n` or `documents`), `item` (line of the input
//! file), `seg` (segment of a document), `gold`, `scriptorium`, `whatlang`. Isolated sentences are
//! tagged alone (no context); each document of `documents.jsonl` is tagged as one paragraph of
//! sentence segments, as the pipeline would. A summary goes to stderr;
//! `eval/lang/compare.py` puts these predictions beside py3langid's and lingua's.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use scriptorium::config::Config;
use scriptorium::internals::lang::LangTagger;
use scriptorium::internals::script::dominant_script;
use scriptorium::{SegKind, Segment};
use serde_json::{json, Value};

fn read(path: &PathBuf) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Ok(serde_json::from_str(l)?))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or("eval/lang".into()));
    let tagger = LangTagger::new(&Config::default().language);
    let wl = whatlang::Detector::new();
    // whatlang gives some macrolanguages (`ara`, `aze`, …): their member in the model.
    let codes = scriptorium::internals::lang::codes::Codes::get();
    let whatlang = |t: &str| {
        let c = wl.detect(t).map_or("und", |i| i.lang().code());
        match codes.members(c)[..] {
            [one] => one,
            _ => c,
        }
    };
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for (set, file) in [
        ("udhr", "sentences.jsonl"),
        ("l10n", "sentences_l10n.jsonl"),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let (mut n, mut ok, mut wok) = (0, 0, 0);
        for (i, r) in read(&path)?.iter().enumerate() {
            let gold = r["lang"].as_str().unwrap_or_default();
            let text = r["text"].as_str().unwrap_or_default();
            let mine = tagger.detect(text, dominant_script(text)).lang;
            let theirs = whatlang(text);
            n += 1;
            ok += (mine == gold) as usize;
            wok += (theirs == gold) as usize;
            let line = json!({"set": set, "item": i, "gold": gold,
                              "scriptorium": mine, "whatlang": theirs});
            writeln!(out, "{line}")?;
        }
        eprintln!(
            "{set}: {n} sentences, scriptorium {:.4}, whatlang {:.4} (all languages)",
            ok as f64 / n as f64,
            wok as f64 / n as f64
        );
    }
    let path = dir.join("documents.jsonl");
    let (mut n, mut ok, mut wok) = (0, 0, 0);
    for (i, d) in read(&path)?.iter().enumerate() {
        let items = d["segments"].as_array().cloned().unwrap_or_default();
        let mut clean = String::new();
        let mut segs = Vec::new();
        for s in &items {
            if !clean.is_empty() {
                clean.push('\n');
            }
            let start = clean.len();
            clean.push_str(s["text"].as_str().unwrap_or_default());
            let mut seg =
                Segment::new(start..clean.len(), start..clean.len(), 0, SegKind::Sentence);
            seg.script = dominant_script(&clean[start..]);
            segs.push(seg);
        }
        tagger.tag_document(&clean, &mut segs);
        for (k, (s, seg)) in items.iter().zip(&segs).enumerate() {
            let gold = s["lang"].as_str().unwrap_or_default();
            let theirs = whatlang(&clean[seg.text.clone()]);
            n += 1;
            ok += (seg.lang == gold) as usize;
            wok += (theirs == gold) as usize;
            let line = json!({"set": "documents", "item": i, "seg": k, "gold": gold,
                              "scriptorium": seg.lang, "source": seg.lang_source.name(),
                              "whatlang": theirs});
            writeln!(out, "{line}")?;
        }
    }
    eprintln!(
        "documents: {n} segments, scriptorium {:.4}, whatlang {:.4} (all languages)",
        ok as f64 / n as f64,
        wok as f64 / n as f64
    );
    out.flush()?;
    Ok(())
}
