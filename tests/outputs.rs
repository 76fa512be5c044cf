//! The output files: their schema (`schema/*.schema.json`, validated with the `jsonschema`
//! crate), every field of every record present, and the `[output]` options — compression,
//! Parquet (read back with the `parquet` crate), per-language segments and text, document texts,
//! `report.html` and `timing.json` — each checked against the plain JSONL of the same run.
//!
//! Inputs are real text: the seed documents in `raw/`, the UDHR excerpts in `tests/data/udhr/`
//! (Arabic, Hebrew, Persian, Urdu: right-to-left segments) and a page of the Persian Debian
//! handbook in `tests/data/mixed/` (Persian with Latin terms: mixed segments with runs).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of inputs: the seeds and the UDHR texts (with one copy, for cross-document
/// duplicates).
fn corpus(dir: &Path) -> PathBuf {
    let raw = dir.join("raw");
    fs::create_dir_all(&raw).unwrap();
    for src in ["raw", "tests/data/udhr", "tests/data/mixed"] {
        for e in fs::read_dir(root().join(src)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt") {
                fs::copy(&p, raw.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    fs::copy(
        root().join("tests/data/udhr/fra.txt"),
        raw.join("copy-fra.txt"),
    )
    .unwrap();
    raw
}

/// Runs the binary on `input` into `out` with the configuration text `config`.
fn run(dir: &Path, input: &Path, out: &Path, config: &str) -> String {
    let cfg = dir.join(format!(
        "{}.toml",
        out.file_name().unwrap().to_string_lossy()
    ));
    fs::write(&cfg, config).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .current_dir(dir)
        .args(["run", "-q", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn jsonl(p: &Path) -> Vec<Value> {
    lines(&fs::read_to_string(p).unwrap())
}

fn schema(name: &str) -> Value {
    let p = root().join("schema").join(format!("{name}.schema.json"));
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// The keys of a JSON object, in the order they are written.
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    m.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// Every record (a line of a JSONL file, or a whole JSON file) validates against the schema,
/// and has exactly the schema's fields in the schema's order (`required` lists them in the
/// order the writer writes them).
fn check_text(name: &str, records: &[&str]) {
    let s = schema(name);
    let validator = jsonschema::validator_for(&s).expect("a valid schema");
    let mut fields: Vec<&str> = s["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let mut sorted = required.clone();
    sorted.sort();
    fields.sort();
    assert_eq!(fields, sorted, "{name}: every field is required");
    for (k, text) in records.iter().enumerate() {
        let r: Value = serde_json::from_str(text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&r)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name} record {k}: {errors:?}\n{r}");
        let keys: Keys = serde_json::from_str(text).unwrap();
        assert_eq!(
            keys.0, required,
            "{name} record {k}: fields and their order"
        );
    }
}

/// [`check_text`] on every line of a JSONL file, or on a whole JSON file.
fn check_file(name: &str, path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|x| x == "json") {
        check_text(name, &[&text]);
    } else {
        check_text(name, &text.lines().collect::<Vec<_>>());
    }
}

/// A run with right-to-left text and `action = "mark"`, and one without either, validate
/// against the schemas field for field; the first has what makes the optional values show
/// (mixed segments with runs, marked duplicates, dropped segments), the second has none.
#[test]
fn every_record_of_two_different_runs_fits_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = corpus(tmp.path());
    let a = tmp.path().join("a");
    run(tmp.path(), &raw, &a, "[dedup]\naction = \"mark\"\n");
    let b = tmp.path().join("b");
    run(tmp.path(), &root().join("tests/data/udhr/deu.txt"), &b, "");
    for dir in [&a, &b] {
        assert!(!jsonl(&dir.join("segments.jsonl")).is_empty());
        for name in ["segments", "duplicates", "documents"] {
            check_file(name, &dir.join(format!("{name}.jsonl")));
        }
        check_file("report", &dir.join("report.json"));
        check_file("timing", &dir.join("timing.json"));
    }
    let segs = jsonl(&a.join("segments.jsonl"));
    assert!(segs
        .iter()
        .any(|s| !s["rtl_runs"].as_array().unwrap().is_empty()));
    assert!(segs.iter().any(|s| s["dup_of"].is_string()));
    assert!(segs
        .iter()
        .any(|s| s["block"] == "heading" && s["kind"] == "sentence"));
    let segs = jsonl(&b.join("segments.jsonl"));
    assert!(segs.iter().all(|s| s["rtl_runs"] == Value::Array(vec![])));
    assert!(segs.iter().all(|s| s["dup_of"].is_null()));
}

/// The block kind is given whatever the unit: with `unit = "paragraph"` it equals `kind`.
#[test]
fn block_is_the_kind_with_paragraph_units() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    run(
        tmp.path(),
        &root().join("raw"),
        &out,
        "[segment]\nunit = \"paragraph\"\n",
    );
    let segs = jsonl(&out.join("segments.jsonl"));
    assert!(segs.iter().all(|s| s["block"] == s["kind"]));
    assert!(segs.iter().any(|s| s["block"] == "heading"));
}

fn decompress(path: &Path) -> String {
    let raw = fs::read(path).unwrap();
    let mut out = String::new();
    match path.extension().and_then(|x| x.to_str()) {
        Some("zst") => {
            zstd::stream::read::Decoder::new(&raw[..])
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
        }
        Some("gz") => {
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_string(&mut out)
                .unwrap();
        }
        _ => out = String::from_utf8(raw).unwrap(),
    }
    out
}

/// The files of a folder (recursively), by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, p);
            }
        }
    }
    out
}

const ALL: &str = "[output]\nper_language = true\ntext = true\ndocuments = true\n";

/// zstd and gzip give the same files, compressed and named `.zst`/`.gz`; the report is not
/// compressed.
#[test]
fn compressed_outputs_equal_the_plain_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = corpus(tmp.path());
    let plain = tmp.path().join("plain");
    run(tmp.path(), &raw, &plain, ALL);
    let want = files(&plain);
    for (c, ext) in [("zstd", ".zst"), ("gzip", ".gz")] {
        let out = tmp.path().join(c);
        run(
            tmp.path(),
            &raw,
            &out,
            &format!("{ALL}compression = \"{c}\"\n"),
        );
        let got = files(&out);
        assert_eq!(got.len(), want.len(), "{c}: {:?}", got.keys());
        for (name, p) in &want {
            let uncompressed = name.ends_with(".json") || name.ends_with(".html");
            let q = if uncompressed {
                got.get(name).cloned()
            } else {
                got.get(&format!("{name}{ext}")).cloned()
            };
            let q = q.unwrap_or_else(|| panic!("{c}: no {name}{ext}"));
            if name == "timing.json" {
                continue;
            }
            assert!(
                decompress(&q) == fs::read_to_string(p).unwrap(),
                "{c}: {name} differs"
            );
        }
    }
}

/// Per-language segments are the lines of `segments.jsonl`, split by `<lang>_<script>`, in
/// order; the text files their texts, one per line; `texts.jsonl` every document with
/// segments, holding each of its segments' texts in order.
#[test]
fn per_language_files_and_document_texts() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = corpus(tmp.path());
    let out = tmp.path().join("o");
    run(tmp.path(), &raw, &out, ALL);
    let all = fs::read_to_string(out.join("segments.jsonl")).unwrap();
    let mut by: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in all.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let key = format!(
            "{}_{}",
            v["lang"].as_str().unwrap(),
            v["script"].as_str().unwrap()
        );
        let e = by.entry(key).or_default();
        e.0.push_str(line);
        e.0.push('\n');
        e.1.push_str(v["text"].as_str().unwrap());
        e.1.push('\n');
    }
    assert!(by.len() > 10, "{:?}", by.keys());
    assert!(
        by.contains_key("arb_Arab") || by.contains_key("ara_Arab"),
        "{:?}",
        by.keys()
    );
    let seg_files = fs::read_dir(out.join("segments")).unwrap().count();
    let text_files = fs::read_dir(out.join("text")).unwrap().count();
    assert_eq!((seg_files, text_files), (by.len(), by.len()));
    for (key, (segs, text)) in &by {
        let got = fs::read_to_string(out.join(format!("segments/{key}.jsonl"))).unwrap();
        assert!(got == *segs, "segments/{key}.jsonl");
        let got = fs::read_to_string(out.join(format!("text/{key}.txt"))).unwrap();
        assert!(got == *text, "text/{key}.txt");
    }
    let texts = jsonl(&out.join("texts.jsonl"));
    check_file("texts", &out.join("texts.jsonl"));
    let docs = jsonl(&out.join("documents.jsonl"));
    let with_segments: Vec<&Value> = docs.iter().filter(|d| d["segments"] != 0).collect();
    assert_eq!(texts.len(), with_segments.len());
    let segs = lines(&all);
    for (t, d) in texts.iter().zip(&with_segments) {
        assert_eq!(t["doc_id"], d["doc_id"]);
        assert_eq!(t["segments"], d["segments"]);
        assert_eq!(t["lang"], d["languages"][0]["lang"]);
        let text = t["text"].as_str().unwrap();
        let mut at = 0;
        for s in segs.iter().filter(|s| s["doc_id"] == t["doc_id"]) {
            let piece = s["text"].as_str().unwrap();
            let found = text[at..]
                .find(piece)
                .expect("segment text in the document text");
            at += found + piece.len();
        }
    }
}

/// A Parquet value as JSON: the types `segments.parquet` uses.
fn field_json(f: &parquet::record::Field) -> Value {
    use parquet::record::Field;
    match f {
        Field::Null => Value::Null,
        Field::Long(n) => Value::from(*n),
        Field::Double(x) => Value::from(*x),
        Field::Str(s) => Value::from(s.as_str()),
        Field::ListInternal(l) => Value::Array(l.elements().iter().map(field_json).collect()),
        other => panic!("unexpected Parquet value {other:?}"),
    }
}

/// `segments.parquet` holds the rows of `segments.jsonl`, value for value.
#[test]
fn parquet_reads_back_as_the_jsonl() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let tmp = tempfile::tempdir().unwrap();
    let raw = corpus(tmp.path());
    let plain = tmp.path().join("plain");
    run(tmp.path(), &raw, &plain, "[dedup]\naction = \"mark\"\n");
    let want = jsonl(&plain.join("segments.jsonl"));
    for c in ["none", "zstd"] {
        let out = tmp.path().join(format!("pq-{c}"));
        run(
            tmp.path(),
            &raw,
            &out,
            &format!(
                "[dedup]\naction = \"mark\"\n[output]\nformat = \"parquet\"\ncompression = \"{c}\"\n"
            ),
        );
        assert!(!out.join("segments.jsonl").exists());
        let reader =
            SerializedFileReader::new(fs::File::open(out.join("segments.parquet")).unwrap())
                .unwrap();
        let got: Vec<Value> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| {
                let r = r.unwrap();
                Value::Object(
                    r.get_column_iter()
                        .map(|(k, f)| (k.clone(), field_json(f)))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w);
        }
    }
}

/// Two runs into one folder write the same `report.json` and `report.html`, byte for byte
/// (the timings are in `timing.json`); a run with fewer options leaves no file of the
/// previous one behind, and keeps what is not output.
#[test]
fn reports_are_deterministic_and_old_outputs_go() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = corpus(tmp.path());
    let out = tmp.path().join("o");
    run(
        tmp.path(),
        &raw,
        &out,
        &format!("{ALL}compression = \"zstd\"\n"),
    );
    fs::write(out.join(".gitignore"), "timing.json\n").unwrap();
    let report = fs::read(out.join("report.json")).unwrap();
    let html = fs::read(out.join("report.html")).unwrap();
    run(tmp.path(), &raw, &out, "");
    assert_eq!(fs::read(out.join("report.json")).unwrap(), report);
    assert_eq!(fs::read(out.join("report.html")).unwrap(), html);
    let names: Vec<String> = files(&out).into_keys().collect();
    assert_eq!(
        names,
        [
            ".gitignore",
            "documents.jsonl",
            "duplicates.jsonl",
            "report.html",
            "report.json",
            "segments.jsonl",
            "timing.json"
        ]
    );
    let page = String::from_utf8(html).unwrap();
    assert!(!page.contains("<script"), "no script");
    assert!(!page.contains("src=\"http"), "nothing fetched");
    assert!(page.contains("<svg"));
}
