//! The structure stage end to end: the binary on golden fixtures and on the sample corpus.
//!
//! Golden fixtures compare the fields the structure stage decides (`id`, `kind`, `paragraph`,
//! `text`, `raw_span`, `line`, `flags`); language and script labels belong to other stages'
//! tests. Set `UPDATE_GOLDEN=1` to rewrite `expected/segments.jsonl` after a deliberate change.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// Runs the binary in a copy of `case` and returns the text of `out/segments.jsonl`.
fn run_case(case: &Path, extra_toml: &str) -> String {
    let mut toml = std::fs::read_to_string(case.join("pipeline.toml")).unwrap();
    toml.push_str(extra_toml);
    run_on(&case.join("raw"), &toml)
}

/// Runs the binary on a copy of `raw` with `toml` as `pipeline.toml`; returns segments.jsonl.
fn run_on(raw: &Path, toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(raw, &dir.path().join("raw"));
    std::fs::write(dir.path().join("pipeline.toml"), toml).unwrap();
    Command::cargo_bin("scriptorium")
        .unwrap()
        .current_dir(dir.path())
        .args(["run", "--quiet"])
        .assert()
        .success();
    std::fs::read_to_string(dir.path().join("out/segments.jsonl")).unwrap()
}

fn parse(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn structural(v: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for k in [
        "id",
        "kind",
        "paragraph",
        "text",
        "raw_span",
        "line",
        "flags",
    ] {
        m.insert(k.into(), v[k].clone());
    }
    Value::Object(m)
}

fn golden(name: &str) {
    let case = manifest().join("tests/fixtures").join(name);
    let got = run_case(&case, "");
    let expected_path = case.join("expected/segments.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    let (g, e) = (parse(&got), parse(&expected));
    assert_eq!(g.len(), e.len(), "{name}: number of segments");
    for (g, e) in g.iter().zip(&e) {
        assert_eq!(structural(g), structural(e), "{name}");
    }
}

#[test]
fn golden_seed_excerpts() {
    golden("structure-seeds");
}

#[test]
fn golden_hard_wrapped() {
    golden("structure-wrapped");
}

fn text(v: &Value) -> &str {
    v["text"].as_str().unwrap()
}

fn of_doc<'a>(segs: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    segs.iter()
        .filter(|s| s["doc_id"].as_str().unwrap().starts_with(prefix))
        .collect()
}

fn ends_sentence(s: &str) -> bool {
    s.trim_end_matches(['"', '”', ')', '’'])
        .ends_with(['.', '!', '?', ';'])
}

/// The sample corpus, by blocks, with the structure stage's claims on it.
#[test]
fn sample_corpus_structure() {
    let root = manifest();
    let segs = parse(&run_on(
        &root.join("raw"),
        "[output]\ndir = \"out\"\n[segment]\nunit = \"paragraph\"\n[dedup]\nenabled = false\n",
    ));

    // 004: the English body comes out as the paragraphs a reader sees, none cut mid-sentence.
    let d4 = of_doc(&segs, "004_");
    let start = d4
        .iter()
        .position(|s| text(s) == "The 24th anniversary of the Khojaly Genocide")
        .expect("004's title");
    assert_eq!(d4[start]["kind"], "heading");
    let body: Vec<_> = d4[start + 1..]
        .iter()
        .filter(|s| s["script"] == "Latn")
        .collect();
    assert_eq!(
        body.len(),
        15,
        "{:#?}",
        body.iter().map(|s| text(s)).collect::<Vec<_>>()
    );
    for s in &body {
        assert_eq!(s["kind"], "paragraph");
        assert!(ends_sentence(text(s)), "ends mid-sentence: {}", text(s));
        assert!(s["flags"].as_array().unwrap().contains(&"reflowed".into()));
    }
    // raw_span covers every raw line of a reflowed paragraph.
    let raw4 = std::fs::read(root.join("raw/004_f87cfe8deb922ad8.txt")).unwrap();
    let span = &body[0]["raw_span"];
    let (a, b) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    let raw = String::from_utf8_lossy(&raw4[a..b]);
    assert!(raw.starts_with("The crime committed") && raw.ends_with("due to its cruelty."));
    assert_eq!(raw.matches('\n').count(), 4);
    let english_lines = d4.iter().filter(|s| s["script"] == "Latn").count();
    assert!((18..=24).contains(&english_lines), "{english_lines}");

    // No table-of-contents line of 000 (lines 7–66) or 003 (lines 3–15) is emitted.
    for (doc, lines) in [("000_", 7..=66), ("003_", 3..=15)] {
        for s in of_doc(&segs, doc) {
            let l = s["line"].as_u64().unwrap();
            assert!(!lines.contains(&l), "{doc} line {l}: {}", text(s));
            assert!(!text(s).contains("....."), "{}", text(s));
        }
    }
    // Separators are not emitted.
    for s in &segs {
        assert!(!["* * *", "__________"].contains(&text(s)), "{}", text(s));
    }
    // 000's headings are headings; its list items are list items without their markers.
    let d0 = of_doc(&segs, "000_");
    let kind_of = |t: &str| {
        d0.iter()
            .find(|s| text(s) == t)
            .unwrap_or_else(|| panic!("missing: {t}"))["kind"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for h in [
        "CHAPTER 2",
        "KHOJALY– OFFICIAL PAPERS",
        "Khojaly genocide as an international crime",
        "II. Legal basis for qualification of Khojaly massacre as an international crime.",
        "Khojali genocide - the tragedy of the 20th century",
        "United Nations Resolution 822 (1993)",
        "United Nations Resolution 853 (1993) Regarding the Armenian / Azerbaijani Conflict",
    ] {
        assert_eq!(kind_of(h), "heading", "{h}");
    }
    assert_eq!(kind_of("killing members of the group;"), "list_item");
    // Emphasis markers go, the words stay.
    assert!(d0
        .iter()
        .any(|s| text(s).contains(", inter alia, from the fact")));
    assert!(!segs.iter().any(|s| text(s).contains("*inter alia*")));
}

/// With `keep_boilerplate`, the boilerplate is emitted with its kind.
#[test]
fn keep_boilerplate_emits_kinds() {
    let case = manifest().join("tests/fixtures/structure-seeds");
    let segs = parse(&run_case(&case, "\n[structure]\nkeep_boilerplate = true\n"));
    for k in ["toc_entry", "separator"] {
        assert!(segs.iter().any(|s| s["kind"] == k), "{k}");
    }
    let toc = segs
        .iter()
        .find(|s| text(s).starts_with("KHOJALY GENOCIDE AS AN INTERNATIONAL CRIME"))
        .unwrap();
    assert_eq!(toc["kind"], "toc_entry");
}

/// Hard-wrapped text: paragraphs rebuilt, words split across lines rejoined and flagged,
/// compounds kept. The `12` that ends `blank_after_every_line` (one page of an extraction, no
/// form feed, no other page number) shows no pages, so it stays text.
#[test]
fn hard_wrapped_paragraphs() {
    let case = manifest().join("tests/fixtures/structure-wrapped");
    let segs = parse(&run_case(&case, ""));
    for doc in ["blank_after_every_line", "paragraphs_separated"] {
        let d = of_doc(&segs, doc);
        let paras: Vec<_> = d
            .iter()
            .filter(|s| s["kind"] == "paragraph" && text(s) != "12")
            .collect();
        // Four source paragraphs; a full line that ends a sentence may end a paragraph too.
        assert!((4..=6).contains(&paras.len()), "{doc}: {}", paras.len());
        assert_eq!(d[0]["kind"], "heading", "{doc}");
        for p in &paras {
            assert!(ends_sentence(text(p)), "{doc}: {}", text(p));
        }
        let all: String = d.iter().map(|s| text(s)).collect::<Vec<_>>().join("\n");
        assert!(
            all.contains("the Armenian politicians and their patrons"),
            "{doc}"
        );
        assert!(!all.contains("politici-"), "{doc}");
        assert!(d.iter().any(|s| s["flags"]
            .as_array()
            .unwrap()
            .contains(&"dehyphenated".into())));
        let lone = d.iter().any(|s| text(s) == "12");
        assert_eq!(lone, doc == "blank_after_every_line", "{doc}: lone number");
    }
}
