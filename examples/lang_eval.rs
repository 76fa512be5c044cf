//! Per-item predictions of the language stage on the labelled evaluation data of `eval/lang/`
//! (see `eval/lang/README.md`).
//!
//!     cargo run --release --features internals --example lang_eval [-- EVAL_DIR [KEY=VALUE ...]] \
//!         > target/lang_eval.jsonl
//!
//! One JSON line per item: `set` (`udhr`, `l10n`, `help`, `unknown` or `documents`), `item`
//! (line of the input file), `seg` (segment of a document, else -1), `gold`, `tag`, `lang`,
//! `lang_script`, `conf` and `source`. Isolated sentences are tagged alone (no context); each
//! document of `documents.jsonl` is tagged as one paragraph of sentence segments, as the pipeline
//! would. A summary goes to stderr; `eval/lang/compare.py` puts these predictions beside the
//! peers' on the same items.

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
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or("eval/lang".into()));
    let mut cfg = Config::default().language;
    // Further arguments `key=value` set `[language]` keys, to measure their effect.
    for kv in args {
        match kv.split_once('=') {
            Some(("unknown_misfit", v)) => cfg.unknown_misfit = v.parse()?,
            Some(("min_confidence", v)) => cfg.min_confidence = v.parse()?,
            Some(("short_segment_letters", v)) => cfg.short_segment_letters = v.parse()?,
            _ => anyhow::bail!("unknown setting {kv}"),
        }
    }
    let tagger = LangTagger::new(&cfg);
    let model = scriptorium::internals::lang::model::Model::embedded()?;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for (set, file) in [
        ("udhr", "sentences.jsonl"),
        ("l10n", "sentences_l10n.jsonl"),
        ("help", "sentences_help.jsonl"),
        ("unknown", "sentences_unknown.jsonl"),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let (mut n, mut ok, mut und) = (0, 0, 0);
        for (i, r) in read(&path)?.iter().enumerate() {
            let gold = r["lang"].as_str().unwrap_or_default();
            let text = r["text"].as_str().unwrap_or_default();
            let script = dominant_script(text);
            let l = tagger.detect(text, script);
            // How well the text fits its best language: cost per letter above the language's
            // own mean, and the letters scored.
            let (mut excess, mut letters) = (Value::Null, 0);
            if let Some(g) = model
                .groups
                .iter()
                .find(|g| g.script == script && g.has_table())
            {
                let mut v = vec![0u32; g.stride];
                letters = g.score(text, &mut v);
                let nl = g.langs.len();
                if let Some(b) = (0..nl).min_by_key(|&i| v[i]) {
                    if letters > 0 {
                        let per = (v[b] + v[nl]) as f32 / letters as f32;
                        let second = (0..nl).filter(|&i| i != b).map(|i| v[i]).min();
                        let margin = second.map_or(f32::INFINITY, |s| (s - v[b]) as f32 / 16.0);
                        let misfit = g.misfit(b, v[b] as u64, v[nl] as u64, letters);
                        excess = json!([
                            (per - g.fit(b).0).round(),
                            g.fit(b).1.round(),
                            margin.min(1e6),
                            misfit
                        ]);
                    }
                }
            }
            n += 1;
            ok += (l.lang == gold) as usize;
            und += (l.lang == "und") as usize;
            let line = json!({"set": set, "item": i, "seg": -1, "gold": gold, "tag": r["tag"],
                              "lang": l.lang, "lang_script": l.tag, "conf": l.confidence,
                              "source": l.source.name(), "excess": excess,
                              "letters": letters});
            writeln!(out, "{line}")?;
        }
        eprintln!(
            "{set}: {n} sentences, right {:.4}, und {:.4}",
            ok as f64 / n as f64,
            und as f64 / n as f64
        );
    }
    let path = dir.join("documents.jsonl");
    let (mut n, mut ok) = (0, 0);
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
            n += 1;
            ok += (seg.lang == gold) as usize;
            let line = json!({"set": "documents", "item": i, "seg": k, "gold": gold,
                              "tag": Value::Null, "lang": seg.lang,
                              "lang_script": seg.lang_script, "conf": seg.lang_confidence,
                              "source": seg.lang_source.name()});
            writeln!(out, "{line}")?;
        }
    }
    eprintln!("documents: {n} segments, right {:.4}", ok as f64 / n as f64);
    out.flush()?;
    Ok(())
}
