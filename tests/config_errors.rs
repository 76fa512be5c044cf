//! Configuration errors, through the binary: exit code 2, nothing written, and every problem on
//! stderr as `file:line: section.key: message` — each bad element of a list or table on its
//! own line, and cross-key problems at the line of one of the keys involved.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scriptorium run` with `config` (written as `bad.toml` in a temporary folder) on the
/// seed documents; returns (exit code, stderr, whether the output folder exists).
fn run_with(config: &str) -> (i32, String, bool) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = tmp.path().join("o");
    let o = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .current_dir(tmp.path())
        .arg("run")
        .arg("--config")
        .arg("bad.toml")
        .arg("--input")
        .arg(root().join("raw"))
        .arg("--output")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o.status.code().unwrap_or(-1), err, Path::new(&out).exists())
}

/// Asserts exit code 2, no output, and every `expected` line (`line: section.key: message
/// start`) in stderr, and as many problems as expected.
fn assert_problems(config: &str, expected: &[&str]) {
    let (code, err, wrote) = run_with(config);
    assert_eq!(code, 2, "{err}");
    assert!(!wrote, "nothing is written on a bad configuration");
    let n = expected.len();
    let count = format!(
        "bad.toml: {n} configuration error{}",
        if n == 1 { "" } else { "s" }
    );
    assert!(err.contains(&count), "expected {count:?} in:\n{err}");
    for e in expected {
        let want = format!("  bad.toml:{e}");
        assert!(err.contains(&want), "expected {want:?} in:\n{err}");
    }
}

#[test]
fn every_bad_language_code_of_a_list() {
    assert_problems(
        "[language]\nallow = [\"xx\", \"english\"]\n",
        &[
            "2: language.allow: `xx` is not an ISO 639-3 code",
            "2: language.allow: `english` is not an ISO 639-3 code",
        ],
    );
}

#[test]
fn elements_of_a_multiline_list_on_their_own_lines() {
    assert_problems(
        "[language]\ndeny = [\n  \"eng\",\n  \"FRA\",\n  42,\n  \"de\",\n]\n\n\
         [filter]\nkeep_languages = [\"eng\", \"x\"]\n\n[segment]\nabbreviations = [\"Dr\", true]\n",
        &[
            "4: language.deny: `FRA` is not an ISO 639-3 code",
            "5: language.deny: invalid value",
            "6: language.deny: `de` is not an ISO 639-3 code",
            "10: filter.keep_languages: `x` is not an ISO 639-3 code",
            "13: segment.abbreviations: invalid value",
        ],
    );
}

#[test]
fn every_bad_entry_of_a_table() {
    // Inline, and as a table of its own.
    assert_problems(
        "[decode]\nencodings = { \"a/*.txt\" = \"klingon\", \"b/[.txt\" = \"koi8-r\", \"c/*\" = \"utf-8\" }\n",
        &[
            "2: decode.encodings: unknown encoding `klingon` for `a/*.txt`",
            "2: decode.encodings: bad glob `b/[.txt`",
        ],
    );
    assert_problems(
        "[decode.encodings]\n\"a/*.txt\" = \"klingon\"\n\"c/*\" = \"utf-8\"\n\"b/[.txt\" = \"koi8-r\"\n\
         \"d/*\" = 3\n",
        &[
            "2: decode.encodings: unknown encoding `klingon` for `a/*.txt`",
            "4: decode.encodings: bad glob `b/[.txt`",
            "5: decode.encodings: invalid value",
        ],
    );
}

#[test]
fn bands_times_rows_has_a_line() {
    assert_problems(
        "[dedup]\nenabled = true\nnum_perm = 64\nbands = 32\nrows = 4\n",
        &["4: dedup.bands: bands × rows (32 × 4) must not exceed num_perm (64)"],
    );
    // Only num_perm set: the error is on its line.
    assert_problems(
        "# lsh\n[dedup]\nnum_perm = 32\n",
        &["3: dedup.num_perm: bands × rows (32 × 4) must not exceed num_perm (32)"],
    );
    // A key out of range is reported once, not again as a product.
    assert_problems(
        "[dedup]\nbands = 4096\n",
        &["2: dedup.bands: 4096 is out of range: expected 1 to 1024"],
    );
}

#[test]
fn all_problems_of_a_file_at_once() {
    assert_problems(
        "[input]\npaths = []\n\n[language]\nallow = [\"xx\", \"eng\", \"EN\"]\nbogus = 1\n\n\
         [dedup]\nrows = 64\n\n[colour]\n",
        &[
            "2: input.paths: must name at least one file or folder",
            "5: language.allow: `xx` is not an ISO 639-3 code",
            "5: language.allow: `EN` is not an ISO 639-3 code",
            "6: language.bogus: unknown key; valid keys are:",
            "9: dedup.rows: bands × rows (32 × 64) must not exceed num_perm (128)",
            "11: colour: unknown section",
        ],
    );
}

/// Not an error: a document over the memory budget is skipped with its status and a warning,
/// and the run goes on (exit 0).
#[test]
fn a_document_over_the_memory_budget_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // 1 MB of one-character lines: about 12 + 20 MB estimated, over a 16 MB budget.
    std::fs::write(input.join("lines.txt"), "a\n".repeat(500_000)).unwrap();
    std::fs::write(input.join("prose.txt"), "A short document that fits.\n").unwrap();
    let cfg = tmp.path().join("small.toml");
    std::fs::write(&cfg, "[input]\nmax_document_memory = 16777216\n").unwrap();
    let out = tmp.path().join("o");
    let o = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .arg("run")
        .arg("--config")
        .arg(&cfg)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("lines.txt: 1000000 bytes in 500001 lines would need about"),
        "{err}"
    );
    assert!(
        err.contains("input.max_document_memory (16 MB); skipped"),
        "{err}"
    );
    let docs = std::fs::read_to_string(out.join("documents.jsonl")).unwrap();
    let status: Vec<_> = docs
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["doc_id"].as_str().unwrap().to_string(),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        status.contains(&("lines.txt".into(), "too_many_lines".into())),
        "{docs}"
    );
    assert!(
        status.contains(&("prose.txt".into(), "ok".into())),
        "{docs}"
    );
}
