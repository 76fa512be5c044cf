//! Builds the language scorer's n-gram profiles, `src/stage/lang/profiles.bin`, from the training text
//! in `eval/lang/train/<lang>.txt` (one line of real translated text per line; see
//! `eval/lang/README.md` for where it comes from).
//!
//!     cargo run --release --example build_lang_profiles [-- TRAIN_DIR OUT_FILE]
//!
//! Each language joins the group of the dominant script of its training text (Han and kana
//! aside: those are settled by script and get no table). Per group, a multinomial naive Bayes
//! model over hashed character n-grams (see `src/lang/features.rs`) with additive smoothing;
//! costs are quantized to bytes as `src/lang/model.rs` describes. Deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use scriptorium::internals::lang::features::{bucket, for_each_ngram};
use scriptorium::internals::lang::model::UNITS_PER_NAT;
use scriptorium::internals::script::dominant_script;

/// Additive smoothing of the n-gram counts.
const ALPHA: f64 = 0.5;

fn bits_for(script: &str, langs: usize) -> u8 {
    match (script, langs) {
        (_, 0 | 1) => 0,
        ("Latn", _) => 14,
        _ => 13,
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("eval/lang/train", |s| s.as_str()));
    let out = PathBuf::from(
        args.get(1)
            .map_or("src/stage/lang/profiles.bin", |s| s.as_str()),
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    // script -> [(lang, text)]
    let mut groups: BTreeMap<&'static str, Vec<(String, String)>> = BTreeMap::new();
    for f in &files {
        let lang = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if lang.len() != 3 {
            continue;
        }
        let text = std::fs::read_to_string(f)?;
        let script = match dominant_script(&text) {
            "Hani" | "Jpan" | "Kore" | "Hang" | "Zyyy" => continue,
            s => s,
        };
        groups.entry(script).or_default().push((lang, text));
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(b"SLP1");
    blob.push(groups.len() as u8);
    for (script, langs) in &groups {
        let bits = bits_for(script, langs.len());
        let stride = langs.len().div_ceil(16) * 16;
        blob.extend_from_slice(script.as_bytes());
        blob.push(langs.len() as u8);
        for (l, _) in langs {
            blob.extend_from_slice(l.as_bytes());
        }
        blob.push(bits);
        blob.extend_from_slice(&(stride as u16).to_le_bytes());
        eprintln!(
            "{script}: {} languages, {} rows: {}",
            langs.len(),
            if bits == 0 { 0 } else { 1usize << bits },
            langs
                .iter()
                .map(|l| l.0.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        if bits == 0 {
            continue;
        }
        let rows = 1usize << bits;
        let mut costs = vec![0f64; rows * langs.len()];
        for (li, (_, text)) in langs.iter().enumerate() {
            let mut counts = vec![0u32; rows];
            let mut total = 0u64;
            for line in text.lines() {
                for_each_ngram(line, script, |h| {
                    counts[bucket(h, bits as u32)] += 1;
                    total += 1;
                });
            }
            let denom = total as f64 + ALPHA * rows as f64;
            for (r, &c) in counts.iter().enumerate() {
                costs[r * langs.len() + li] = -((c as f64 + ALPHA) / denom).ln();
            }
        }
        for r in 0..rows {
            let row = &costs[r * langs.len()..(r + 1) * langs.len()];
            let min = row.iter().cloned().fold(f64::INFINITY, f64::min);
            for li in 0..stride {
                let q = match row.get(li) {
                    Some(c) => ((c - min) * UNITS_PER_NAT as f64).round().min(255.0) as u8,
                    None => 0,
                };
                blob.push(q);
            }
        }
    }
    std::fs::write(&out, &blob)?;
    eprintln!("{}: {} bytes", out.display(), blob.len());
    Ok(())
}
