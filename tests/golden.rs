//! Golden cases: `tests/fixtures/<case>/{pipeline.toml, raw/, expected/}` for hard inputs.
//!
//! Only the fields that these cases are about are compared — segment `id`, `kind`, `text`,
//! `raw_span`, `line`, `direction`, `dup_of`; document `doc_id`, `encoding`, `bom`,
//! `invalid_sequences`, `status` — so that improving an unrelated stage does not churn them.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites `expected/`; review the diff.

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};

const SEGMENT_FIELDS: &[&str] = &[
    "id",
    "kind",
    "text",
    "raw_span",
    "line",
    "direction",
    "dup_of",
];
const DOCUMENT_FIELDS: &[&str] = &["doc_id", "encoding", "bom", "invalid_sequences", "status"];

fn pick(path: &Path, fields: &[&str]) -> String {
    let mut out = String::new();
    for line in fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let mut m = Map::new();
        for f in fields {
            // Fields without a value (`null`) are left out, as they were before every field
            // was always written, so the expected files do not change.
            if let Some(x) = v.get(*f).filter(|x| !x.is_null()) {
                m.insert(f.to_string(), x.clone());
            }
        }
        out.push_str(&serde_json::to_string(&Value::Object(m)).unwrap());
        out.push('\n');
    }
    out
}

#[test]
fn golden_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for case in dirs {
        let expected = case.join("expected");
        if !case.join("pipeline.toml").is_file()
            || !(expected.join("segments.golden.jsonl").is_file() || update)
        {
            continue;
        }
        cases += 1;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        assert_cmd::Command::cargo_bin("scriptorium")
            .unwrap()
            .current_dir(&case)
            .args([
                "run",
                "-q",
                "--config",
                "pipeline.toml",
                "--input",
                "raw",
                "--output",
            ])
            .arg(&out)
            .assert()
            .success();
        let segs = pick(&out.join("segments.jsonl"), SEGMENT_FIELDS);
        let docs = pick(&out.join("documents.jsonl"), DOCUMENT_FIELDS);
        if update {
            fs::create_dir_all(&expected).unwrap();
            fs::write(expected.join("segments.golden.jsonl"), &segs).unwrap();
            fs::write(expected.join("documents.golden.jsonl"), &docs).unwrap();
            continue;
        }
        let want_segs = fs::read_to_string(expected.join("segments.golden.jsonl")).unwrap();
        let want_docs = fs::read_to_string(expected.join("documents.golden.jsonl")).unwrap();
        if segs != want_segs {
            let first = segs.lines().zip(want_segs.lines()).find(|(a, b)| a != b);
            failures.push(format!(
                "{}: segments differ; first difference:\n  got  {:?}\n  want {:?}",
                case.display(),
                first.map(|x| x.0),
                first.map(|x| x.1)
            ));
        }
        if docs != want_docs {
            failures.push(format!("{}: documents differ", case.display()));
        }
    }
    assert!(cases > 0 || update, "no golden cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
