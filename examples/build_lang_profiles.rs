//! Builds the language scorer's n-gram profiles, `src/stage/lang/profiles.bin`, from the training text
//! in `eval/lang/train/<lang>.txt` or `<lang>_<Script>.txt` (one line of real text per line) and
//! the word lists beside them, `<stem>.words` (`word<TAB>weight`: the word's n-grams count
//! `weight` times); see `eval/lang/README.md` for where they come from and
//! `eval/lang/training.tsv` for how much.
//!
//!     cargo run --release --example build_lang_profiles [-- TRAIN_DIR OUT_FILE]
//!
//! Each profile joins the group of the dominant script of its training text (Han, kana and
//! Hangul aside: those are settled by script and get no table). Per group, a multinomial naive
//! Bayes model over hashed character n-grams (see `src/stage/lang/features.rs`) with additive
//! smoothing; every language's counts are scaled to the same total ([`REF_NGRAMS`]) first, so
//! that a language with little training text does not win unseen n-grams for being less sure
//! of them. Costs are quantized to bytes as `src/stage/lang/model.rs` describes.
//!
//! The fit of each language (how much a text costs per letter under its own profile, and how
//! much that varies) is measured on a tenth of its training lines (chosen by a hash of the
//! line, so repeated lines fall on one side) held out of a first model; the tables are then
//! built from all lines. Deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use scriptorium::internals::lang::features::{bucket, for_each_ngram};
use scriptorium::internals::lang::model::UNITS_PER_NAT;
use scriptorium::internals::script::dominant_script;

/// Additive smoothing of the (scaled) n-gram counts.
const ALPHA: f64 = 0.5;
/// The total every language's n-gram counts are scaled to.
const REF_NGRAMS: f64 = 400_000.0;

fn bits_for(script: &str, langs: usize) -> u8 {
    match (script, langs) {
        (_, 0 | 1) => 0,
        ("Latn", _) => 15,
        _ => 13,
    }
}

struct Profile {
    lang: String,
    lines: Vec<String>,
    /// Words and weights from `<stem>.words` (a word list of running text: each word counts
    /// as that many occurrences). Never held out: the fit is measured on running text.
    words: Vec<(String, f64)>,
}

/// Quantized rows of one group: `stride` bytes per row, the languages' relative costs then, in
/// lane `langs`, the row's smallest cost.
fn table(
    profiles: &[&Profile],
    script: &str,
    bits: u8,
    stride: usize,
    keep: impl Fn(&Profile, &str) -> bool,
) -> Vec<u8> {
    let rows = 1usize << bits;
    let n = profiles.len();
    let mut costs = vec![0f64; rows * n];
    for (li, p) in profiles.iter().enumerate() {
        let mut counts = vec![0f64; rows];
        let mut total = 0f64;
        for line in p.lines.iter().filter(|l| keep(p, l)) {
            for_each_ngram(line, script, |h| {
                counts[bucket(h, bits as u32)] += 1.0;
                total += 1.0;
            });
        }
        for (w, weight) in &p.words {
            for_each_ngram(w, script, |h| {
                counts[bucket(h, bits as u32)] += weight;
                total += weight;
            });
        }
        let scale = REF_NGRAMS / total.max(1.0);
        let denom = REF_NGRAMS + ALPHA * rows as f64;
        for (r, &c) in counts.iter().enumerate() {
            costs[r * n + li] = -((c * scale + ALPHA) / denom).ln();
        }
    }
    let mut out = Vec::with_capacity(rows * stride);
    for r in 0..rows {
        let row = &costs[r * n..(r + 1) * n];
        let min = row.iter().cloned().fold(f64::INFINITY, f64::min);
        for li in 0..stride {
            let q = match row.get(li) {
                Some(c) => ((c - min) * UNITS_PER_NAT as f64).round().min(255.0) as u8,
                None if li == n => (min * UNITS_PER_NAT as f64).round().min(255.0) as u8,
                None => 0,
            };
            out.push(q);
        }
    }
    out
}

/// Whether a line is held out of the first model (for the fit statistics): one in `every`.
fn held_out(line: &str, every: u64) -> bool {
    xxhash_rust::xxh3::xxh3_64(line.as_bytes()) % every == 0
}

/// One in how many lines of a profile are held out: a tenth, or a quarter of a small one.
fn every(p: &Profile) -> u64 {
    if p.lines.len() < 1000 {
        4
    } else {
        10
    }
}

/// The pieces of a line that the fit is measured on: runs of words of at least 60 bytes (a
/// long paragraph of the UDHR gives several samples, a short message one).
fn pieces(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in line.match_indices(' ') {
        if i - start >= 60 {
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out
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
    // script -> profiles
    let mut groups: BTreeMap<&'static str, Vec<Profile>> = BTreeMap::new();
    for f in &files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let lang = match stem.split_once('_') {
            Some((l, s)) if l.len() == 3 && s.len() == 4 => l,
            None if stem.len() == 3 => stem,
            _ => continue,
        };
        let text = std::fs::read_to_string(f)?;
        let script = match dominant_script(&text) {
            "Hani" | "Jpan" | "Kore" | "Hang" | "Zyyy" => continue,
            s => s,
        };
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect();
        let words = match std::fs::read_to_string(f.with_extension("words")) {
            Ok(list) => list
                .lines()
                .filter_map(|l| {
                    let (w, n) = l.split_once('\t')?;
                    Some((w.to_string(), n.parse::<f64>().ok()?))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        groups.entry(script).or_default().push(Profile {
            lang: lang.to_string(),
            lines,
            words,
        });
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(b"SLP2");
    blob.push(groups.len() as u8);
    for (script, profiles) in &groups {
        let profiles: Vec<&Profile> = profiles.iter().collect();
        let n = profiles.len();
        let bits = bits_for(script, n);
        // One lane past the languages holds the row's smallest cost.
        let stride = (n + 1).div_ceil(16) * 16;
        blob.extend_from_slice(script.as_bytes());
        blob.push(n as u8);
        for p in &profiles {
            blob.extend_from_slice(p.lang.as_bytes());
        }
        blob.push(bits);
        blob.extend_from_slice(&(stride as u16).to_le_bytes());
        eprintln!(
            "{script}: {n} languages, {} rows: {}",
            if bits == 0 { 0 } else { 1usize << bits },
            profiles
                .iter()
                .map(|p| p.lang.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        if bits == 0 {
            continue;
        }
        // The fit of each language: its held-out lines scored by a model without them.
        let first = table(&profiles, script, bits, stride, |p, l| {
            !held_out(l, every(p))
        });
        let mut fits = Vec::with_capacity(n);
        for (li, p) in profiles.iter().enumerate() {
            let (mut units, mut letters, mut lines) = (0f64, 0f64, Vec::new());
            let every = every(p);
            for line in p.lines.iter().filter(|l| held_out(l, every)) {
                for piece in pieces(line) {
                    let mut c = 0u64;
                    let k = for_each_ngram(piece, script, |h| {
                        let o = bucket(h, bits as u32) * stride;
                        c += first[o + li] as u64 + first[o + n] as u64;
                    });
                    if k >= 10 {
                        units += c as f64;
                        letters += k as f64;
                        lines.push((c as f64, k as f64));
                    }
                }
            }
            let mean = if letters > 0.0 { units / letters } else { 0.0 };
            // per-letter variance: a line of k letters has a mean cost per letter whose
            // variance is about var / k
            let var = if lines.is_empty() {
                0.0
            } else {
                lines
                    .iter()
                    .map(|(c, k)| k * (c / k - mean).powi(2))
                    .sum::<f64>()
                    / lines.len() as f64
            };
            eprintln!(
                "  {} fit: {:.1} units/letter, sd {:.1} ({} lines)",
                p.lang,
                mean,
                var.sqrt(),
                lines.len()
            );
            fits.push((mean as f32, var.sqrt() as f32));
        }
        blob.extend_from_slice(&table(&profiles, script, bits, stride, |_, _| true));
        for (m, s) in fits {
            blob.extend_from_slice(&m.to_le_bytes());
            blob.extend_from_slice(&s.to_le_bytes());
        }
    }
    std::fs::write(&out, &blob)?;
    eprintln!("{}: {} bytes", out.display(), blob.len());
    Ok(())
}
