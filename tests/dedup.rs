//! Whole-pipeline tests of the dedup stage: determinism across thread counts, the repeated
//! passages of `raw/`, and 004's statement found as near duplicates of 000's.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str], config: Option<&str>, out: &Path) {
    let mut cmd = Command::cargo_bin("scriptorium").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.args(["run", "--quiet", "--output"]).arg(out).args(args);
    if let Some(c) = config {
        let p = out.with_extension("toml");
        std::fs::write(&p, c).unwrap();
        cmd.arg("--config").arg(&p);
    }
    cmd.assert().success();
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_thread_equals_two() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("t1"), tmp.path().join("t2"));
    run(&["--input", "raw", "--threads", "1"], None, &a);
    run(&["--input", "raw", "--threads", "2"], None, &b);
    for f in ["segments.jsonl", "duplicates.jsonl", "documents.jsonl"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --threads 1 and --threads 2");
    }
    let dups = lines(&a.join("duplicates.jsonl"));
    assert!(dups.iter().any(|d| d["kind"] == "near"));
}

/// The segments of raw/ with duplicates marked (kept, with `dup_of`) rather than dropped.
fn raw_segments_marked() -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(
        &["--input", "raw"],
        Some("[dedup]\naction = \"mark\"\n"),
        &out,
    );
    lines(&out.join("segments.jsonl"))
}

#[test]
fn raw_repeated_passages_survive_once() {
    let segs = raw_segments_marked();
    for start in [
        "Under the plan, religious confessions and organizations operating in the country will \
         hold commemorative ceremonies",
        "National flags of Azerbaijan will be lowered in the country that day as a sign of mourning.",
    ] {
        let hits: Vec<&Value> = segs
            .iter()
            .filter(|s| s["text"].as_str().unwrap().starts_with(start))
            .collect();
        assert_eq!(hits.len(), 5, "{start}");
        assert!(hits[0].get("dup_of").filter(|d| !d.is_null()).is_none());
        let first = hits[0]["id"].as_str().unwrap();
        for h in &hits[1..] {
            assert_eq!(h["dup_of"].as_str(), Some(first), "{h}");
        }
    }
    // Every pointer leads to a kept segment.
    let kept: std::collections::HashSet<&str> = segs
        .iter()
        .filter(|s| s.get("dup_of").filter(|d| !d.is_null()).is_none())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for s in &segs {
        if let Some(d) = s.get("dup_of").filter(|d| !d.is_null()) {
            assert!(kept.contains(d.as_str().unwrap()), "{s}");
        }
    }
}

/// The paragraphs of 004's English statement (joined as reflow will join them; see
/// tests/fixtures/dedup_004_joined/README.md) found as duplicates of 000's, by the paragraph
/// index in the fixture and its opening words.
const P004_IN_000: &[(u64, &str)] = &[
    (4, "This massive killing of human beings"),
    (
        5,
        "The international legal definition of the crime of genocide",
    ),
    (6, "Nagorno-Karabakh and adjacent seven regions"),
    (11, "The Organization of Islamic Conference (OIC)"),
];

/// Paragraph index → the documents its segments' `dup_of` point to (empty for a kept segment).
fn dup_paragraphs(segs: &[Value], doc: &str) -> BTreeMap<u64, Vec<String>> {
    let mut m: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for s in segs.iter().filter(|s| s["doc_id"] == doc) {
        let p = s["paragraph"].as_u64().unwrap();
        let e = m.entry(p).or_default();
        match s.get("dup_of").filter(|d| !d.is_null()) {
            Some(d) => e.push(d.as_str().unwrap().rsplit_once('#').unwrap().0.to_string()),
            None => e.push(String::new()),
        }
    }
    m
}

fn check_004(segs: &[Value], doc: &str) {
    let found = dup_paragraphs(segs, doc);
    for (p, start) in P004_IN_000 {
        let text = segs
            .iter()
            .find(|s| s["doc_id"] == doc && s["paragraph"] == *p)
            .map(|s| s["text"].as_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(text.starts_with(start), "paragraph {p}: {text}");
        let to = found
            .get(p)
            .unwrap_or_else(|| panic!("paragraph {p} not found: {found:?}"));
        assert!(to.iter().all(|d| d.starts_with("000_")), "{p}: {to:?}");
    }
}

#[test]
fn statement_004_joined_near_duplicates_000() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(
        &[
            "--input",
            "raw/000_c85cc93e78e72bc4.txt",
            "--input",
            "tests/fixtures/dedup_004_joined/004_joined.txt",
        ],
        Some("[structure]\nmode = \"blank_lines\"\n[dedup]\naction = \"mark\"\n"),
        &out,
    );
    let segs = lines(&out.join("segments.jsonl"));
    let doc = segs
        .iter()
        .map(|s| s["doc_id"].as_str().unwrap())
        .find(|d| d.contains("004_joined"))
        .unwrap()
        .to_string();
    check_004(&segs, &doc);
    let dups: Vec<&Value> = segs
        .iter()
        .filter(|s| {
            s["doc_id"] == doc.as_str() && s.get("dup_of").filter(|d| !d.is_null()).is_some()
        })
        .collect();
    assert!(!dups.is_empty());
}

/// The same on raw/ itself, where the structure stage's reflow turns 004's hard-wrapped lines
/// into paragraphs.
#[test]
fn raw_004_near_duplicates_000() {
    let segs = raw_segments_marked();
    let found = dup_paragraphs(&segs, "004_f87cfe8deb922ad8.txt");
    for (_, start) in P004_IN_000 {
        let p = segs
            .iter()
            .find(|s| {
                s["doc_id"] == "004_f87cfe8deb922ad8.txt"
                    && s["text"].as_str().unwrap().starts_with(start)
            })
            .unwrap_or_else(|| panic!("no paragraph starts with {start}"))["paragraph"]
            .as_u64()
            .unwrap();
        let to = found
            .get(&p)
            .unwrap_or_else(|| panic!("{start}: not a duplicate"));
        assert!(to.iter().all(|d| d.starts_with("000_")), "{start}: {to:?}");
    }
}
