//! The script stage end to end: raw/004_f87cfe8deb922ad8.txt (Arabic extracted from a PDF, with
//! a legible header, a visual-order bracket pair and lines from a broken font map, then English).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn run_004(dir: &Path, extra_config: &str) -> Vec<Value> {
    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let name = "004_f87cfe8deb922ad8.txt";
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("raw").join(name),
        raw.join(name),
    )
    .unwrap();
    std::fs::write(
        dir.join("pipeline.toml"),
        format!("[input]\npaths = [\"raw\"]\n\n[output]\ndir = \"out\"\n{extra_config}"),
    )
    .unwrap();
    run_in(dir, "out")
}

fn flags(s: &Value) -> Vec<&str> {
    s["flags"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn text(s: &Value) -> &str {
    s["text"].as_str().unwrap()
}

fn line(s: &Value) -> u64 {
    s["line"].as_u64().unwrap()
}

#[test]
fn arabic_header_brackets_garbled_and_english() {
    let dir = tempfile::tempdir().unwrap();
    let segs = run_004(dir.path(), "");

    // The legible header (raw lines 1–9): Arabic, right to left, not garbled.
    let header: Vec<&Value> = segs.iter().filter(|s| line(s) <= 9).collect();
    assert!(header.len() >= 2, "{header:?}");
    for s in &header {
        assert_eq!(s["script"], "Arab", "{s}");
        assert_eq!(s["direction"], "rtl", "{s}");
        assert!(!flags(s).contains(&"garbled"), "{s}");
    }

    // Raw line 8: `)أمين المظالم(` is repaired to `(أمين المظالم)` and flagged.
    let ombudsman = header
        .iter()
        .find(|s| text(s).contains("أمين المظالم"))
        .expect("the ombudsman segment");
    assert!(text(ombudsman).contains("(أمين المظالم)"), "{ombudsman}");
    assert!(flags(ombudsman).contains(&"repaired_bidi"), "{ombudsman}");

    // Raw lines 11–24: a broken font map. The long segments are all flagged, with a score.
    let garbled: Vec<&Value> = segs
        .iter()
        .filter(|s| (11..=24).contains(&line(s)) && s["script"] == "Arab")
        .collect();
    let long: Vec<&&Value> = garbled
        .iter()
        .filter(|s| text(s).chars().count() > 60)
        .collect();
    // Reflow joins the garbled lines into a few paragraphs; each long one must be flagged.
    assert!(long.len() >= 2, "{garbled:?}");
    for s in &long {
        assert!(flags(s).contains(&"garbled"), "{s}");
        assert!(s["garbled_score"].as_f64().unwrap() >= 0.5, "{s}");
    }

    // The English annex: not garbled, left to right.
    let english: Vec<&Value> = segs.iter().filter(|s| s["script"] == "Latn").collect();
    assert!(english.len() > 10);
    for s in &english {
        assert!(!flags(s).contains(&"garbled"), "{s}");
        assert_ne!(s["direction"], "rtl", "{s}");
    }
}

#[test]
fn drop_garbled_and_no_bidi_repair() {
    let dir = tempfile::tempdir().unwrap();
    let segs = run_004(
        dir.path(),
        "\n[script]\nrepair_bidi = false\n\n[filter]\ndrop_garbled = true\n",
    );
    assert!(segs.iter().all(|s| !flags(s).contains(&"garbled")));
    assert!(segs.iter().any(|s| text(s).contains(")أمين المظالم(")));
    assert!(segs.iter().all(|s| !flags(s).contains(&"repaired_bidi")));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert!(
        report["segments"]["dropped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reason"] == "garbled")
            .unwrap()["segments"]
            .as_u64()
            .unwrap()
            >= 3,
        "{report}"
    );
}

/// Japanese UI messages that name a command in Latin letters (from the Japanese translation of
/// less's documentation): Han and kana together outnumber the Latin letters, so the segment is
/// `Jpan` and Japanese.
#[test]
fn japanese_with_latin_command_names_is_jpan() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let lines = [
        "環境変数の設定のために lesskey",
        "キー割り当て lesskey ファイルを生成する lesskey",
    ];
    std::fs::write(
        raw.join("ja.txt"),
        format!("{}\n\n{}\n", lines[0], lines[1]),
    )
    .unwrap();
    let segs = run_default(dir.path());
    for l in lines {
        let s = segs
            .iter()
            .find(|s| text(s) == l)
            .unwrap_or_else(|| panic!("no segment {l:?} in {segs:?}"));
        assert_eq!(s["script"], "Jpan", "{s}");
        assert_eq!(s["lang"], "jpn", "{s}");
        assert_eq!(s["lang_script"], "jpn_Jpan", "{s}");
    }
}

/// The UDHR in Hebrew and Persian (`tests/data/udhr`) as a visual-order extractor writes it:
/// constructed by reversing every line's characters (numbers and Latin words keep their order,
/// as on the page). The run gives back the logical text, flags it `repaired_bidi`, and every
/// segment's `raw_span` holds the bytes of the text it came from (whole lines).
#[test]
fn visual_order_lines_come_back_in_logical_order() {
    fn visual(line: &str) -> String {
        // Reverse, then turn runs of digits and Latin letters (with what stands between
        // them) back: the page order of a right-to-left line.
        let mut c: Vec<char> = line.chars().rev().collect();
        let ltr = |x: char| x.is_ascii_alphanumeric();
        let rtl = |x: char| ('\u{0590}'..='\u{08FF}').contains(&x) && x.is_alphabetic();
        let mut i = 0;
        while i < c.len() {
            if !ltr(c[i]) {
                i += 1;
                continue;
            }
            let mut last = i;
            let mut j = i + 1;
            while j < c.len() && !rtl(c[j]) {
                if ltr(c[j]) {
                    last = j;
                }
                j += 1;
            }
            c[i..=last].reverse();
            i = last + 1;
        }
        c.into_iter().collect()
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut originals = Vec::new();
    for lang in ["heb", "fas"] {
        let text =
            std::fs::read_to_string(root.join(format!("tests/data/udhr/{lang}.txt"))).unwrap();
        let page: String = text.lines().map(|l| visual(l) + "\n").collect();
        std::fs::write(raw.join(format!("{lang}.txt")), &page).unwrap();
        originals.push((lang, text, page));
    }
    let segs = run_default(dir.path());
    for (lang, text, page) in &originals {
        let mine: Vec<&Value> = segs
            .iter()
            .filter(|s| s["doc_id"] == format!("{lang}.txt"))
            .collect();
        assert!(!mine.is_empty(), "{lang}");
        let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for s in &mine {
            assert!(flags(s).contains(&"repaired_bidi"), "{lang}: {s}");
            // The text is the logical one.
            assert!(folded.contains(text_of(s)), "{lang}: {}", text_of(s));
            // The raw span covers the whole visual-order lines the text came from.
            let span = s["raw_span"].as_array().unwrap();
            let (a, b) = (
                span[0].as_u64().unwrap() as usize,
                span[1].as_u64().unwrap() as usize,
            );
            let bytes = &page[a..b];
            let first_word = text_of(s).split_whitespace().next().unwrap();
            let reversed_word: String = first_word.chars().rev().collect();
            assert!(
                bytes.contains(&reversed_word) || bytes.contains(first_word),
                "{lang}: {bytes:?} does not hold {first_word:?}"
            );
        }
    }
}

fn text_of(s: &Value) -> &str {
    s["text"].as_str().unwrap()
}

/// Runs `scriptorium run --quiet` in `dir` (its `raw/` into `processed/`) and reads the segments.
fn run_default(dir: &Path) -> Vec<Value> {
    run_in(dir, "processed")
}

/// Runs `scriptorium run --quiet` in `dir` and reads the segments it wrote into `dir/out`.
fn run_in(dir: &Path, out: &str) -> Vec<Value> {
    Command::cargo_bin("scriptorium")
        .unwrap()
        .current_dir(dir)
        .args(["run", "--quiet"])
        .assert()
        .success();
    std::fs::read_to_string(dir.join(out).join("segments.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
