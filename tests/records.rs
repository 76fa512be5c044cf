//! Document collections read by the binary: JSONL (plain, `.gz`, `.zst`) and Parquet files,
//! one document per record. The promise under test: a record is processed exactly like a text
//! file holding its text (same segments, `raw_span` into the record's text, same document
//! counts), whatever the container; record ids are unique; bad records are reported with file,
//! record number and byte offset and the run goes on; the output is the same for any thread
//! count.
//!
//! The texts are real: the UTF-8 UDHR translations in `tests/data/udhr/` and the seeds in
//! `raw/`. The collections are built from them in each test (the Parquet file with the parquet
//! crate's writer); the broken records and files are constructed, and marked so.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The UTF-8 UDHR translations, `(code, text)`, sorted by file name.
fn udhr() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in fs::read_dir(root().join("tests/data/udhr")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            // The legacy-encoded copies (`*_ENCODING.txt`) are other encodings of the same texts.
            let code = p.file_stem().unwrap().to_str().unwrap();
            if code.contains('_') {
                continue;
            }
            if let Ok(t) = fs::read_to_string(&p) {
                let code = p.file_stem().unwrap().to_str().unwrap().to_string();
                v.push((code, t));
            }
        }
    }
    v.sort();
    assert!(v.len() >= 15, "{} texts", v.len());
    v
}

struct Out {
    code: i32,
    stderr: String,
    segments: Vec<Value>,
    documents: Vec<Value>,
    dir: PathBuf,
}

fn lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("output line parses"))
        .collect()
}

/// Runs `scriptorium run` in `dir` with `args`, writing into `dir/OUT`.
fn run(dir: &Path, out: &str, args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .current_dir(dir)
        .arg("run")
        .args(args)
        .args(["--output", out])
        .output()
        .expect("run");
    let d = dir.join(out);
    Out {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        segments: lines(&d.join("segments.jsonl")),
        documents: lines(&d.join("documents.jsonl")),
        dir: d,
    }
}

/// One JSONL line per text: `{"id": code, "text": text, "lang": code}`.
fn jsonl(texts: &[(String, String)]) -> String {
    let mut s = String::new();
    for (code, text) in texts {
        s.push_str(
            &json!({"id": code, "text": text, "source": "udhr", "n": code.len()}).to_string(),
        );
        s.push('\n');
    }
    s
}

/// Writes `texts` as a Parquet file (columns `id`, `text`, `lang`; snappy-compressed, two row
/// groups).
fn write_parquet(path: &Path, texts: &[(String, String)]) {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(
            "message doc { REQUIRED BYTE_ARRAY id (UTF8); REQUIRED BYTE_ARRAY text (UTF8); \
             OPTIONAL BYTE_ARRAY lang (UTF8); }",
        )
        .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut w = SerializedFileWriter::new(fs::File::create(path).unwrap(), schema, props).unwrap();
    let half = texts.len() / 2;
    for group in [&texts[..half], &texts[half..]] {
        let mut rg = w.next_row_group().unwrap();
        let mut k = 0;
        while let Some(mut col) = rg.next_column().unwrap() {
            let values: Vec<ByteArray> = group
                .iter()
                .map(|(c, t)| ByteArray::from(if k == 1 { t.as_str() } else { c.as_str() }))
                .collect();
            let defs = vec![1i16; values.len()];
            col.typed::<ByteArrayType>()
                .write_batch(&values, if k == 2 { Some(&defs) } else { None }, None)
                .unwrap();
            col.close().unwrap();
            k += 1;
        }
        rg.close().unwrap();
    }
    w.close().unwrap();
}

/// A segment without its ids, and the record (or file stem) it came from.
fn keyed(segs: &[Value], doc_key: impl Fn(&str) -> String) -> Vec<(String, Value)> {
    segs.iter()
        .map(|s| {
            let mut s = s.clone();
            let o = s.as_object_mut().unwrap();
            let doc = o.remove("doc_id").unwrap();
            o.remove("id");
            if let Some(d) = o.get_mut("dup_of").filter(|d| !d.is_null()) {
                *d = Value::String(doc_key(d.as_str().unwrap()));
            }
            (doc_key(doc.as_str().unwrap()), s)
        })
        .collect()
}

fn file_key(id: &str) -> String {
    id.replace(".txt", "")
}

fn record_key(id: &str) -> String {
    id.split_once('#').map_or(id, |(_, r)| r).to_string()
}

/// The UDHR texts as files, and as a JSONL, `.jsonl.gz`, `.jsonl.zst` and Parquet collection,
/// give the same segments and document counts; `raw_span` slices each record's text.
#[test]
fn collections_give_the_segments_of_the_same_texts_as_files() {
    let texts = udhr();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir(d.join("files")).unwrap();
    for (code, t) in &texts {
        fs::write(d.join("files").join(format!("{code}.txt")), t).unwrap();
    }
    let body = jsonl(&texts);
    fs::write(d.join("udhr.jsonl"), &body).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    fs::write(d.join("udhr.jsonl.gz"), gz.finish().unwrap()).unwrap();
    fs::write(
        d.join("udhr.jsonl.zst"),
        zstd::encode_all(body.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    write_parquet(&d.join("udhr.parquet"), &texts);

    let files = run(d, "out-files", &["-q", "--input", "files"]);
    assert_eq!(files.code, 0, "{}", files.stderr);
    let want = keyed(&files.segments, file_key);
    assert!(want.len() > 80, "{} segments", want.len());
    let texts_by_code: std::collections::HashMap<&str, &str> = texts
        .iter()
        .map(|(c, t)| (c.as_str(), t.as_str()))
        .collect();

    for name in [
        "udhr.jsonl",
        "udhr.jsonl.gz",
        "udhr.jsonl.zst",
        "udhr.parquet",
    ] {
        let out = run(d, &format!("out-{name}"), &["-q", "--input", name]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(keyed(&out.segments, record_key), want, "{name}");
        // Document ids are FILE#ID, one per record, in order.
        let ids: Vec<&str> = out
            .documents
            .iter()
            .map(|l| l["doc_id"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = texts.iter().map(|(c, _)| format!("{name}#{c}")).collect();
        assert_eq!(ids, expected, "{name}");
        for (doc, file_doc) in out.documents.iter().zip(&files.documents) {
            for k in [
                "bytes",
                "sha256",
                "encoding",
                "segments",
                "languages",
                "scripts",
                "status",
            ] {
                assert_eq!(doc[k], file_doc[k], "{name}: {k} of {}", doc["doc_id"]);
            }
            assert_eq!(doc["source"], name);
            assert_eq!(file_doc["metadata"], Value::Null);
        }
        // The other fields of the record are carried as metadata.
        let ara = &out.documents[0];
        let meta = if name.ends_with("parquet") {
            json!({"id": "ara", "lang": "ara"})
        } else {
            json!({"id": "ara", "source": "udhr", "n": 3})
        };
        assert_eq!(ara["metadata"], meta, "{name}");
        // raw_span is in bytes of the record's text: it slices the segment's text back out.
        for s in &out.segments {
            let rec = record_key(s["doc_id"].as_str().unwrap());
            let text = texts_by_code[rec.as_str()];
            let (a, b) = (
                s["raw_span"][0].as_u64().unwrap() as usize,
                s["raw_span"][1].as_u64().unwrap() as usize,
            );
            let raw: String = text[a..b].split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(raw, s["text"].as_str().unwrap(), "{name}: {rec} {a}..{b}");
        }
    }
}

/// The seeds of `raw/` as records of one `.jsonl.zst` shard: the same segments as the files,
/// byte-identical output for one and two threads.
#[test]
fn seed_shard_matches_files_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut texts = Vec::new();
    let mut names: Vec<PathBuf> = fs::read_dir(root().join("raw"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in &names {
        let t = fs::read_to_string(p).expect("the seeds are UTF-8");
        texts.push((p.file_stem().unwrap().to_str().unwrap().to_string(), t));
    }
    fs::write(
        d.join("seeds.jsonl.zst"),
        zstd::encode_all(jsonl(&texts).as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let raw = root().join("raw");
    let files = run(d, "files", &["-q", "--input", raw.to_str().unwrap()]);
    assert_eq!(files.code, 0, "{}", files.stderr);
    let one = run(
        d,
        "one",
        &["-q", "--input", "seeds.jsonl.zst", "--threads", "1"],
    );
    let two = run(
        d,
        "two",
        &["-q", "--input", "seeds.jsonl.zst", "--threads", "2"],
    );
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(
        keyed(&one.segments, record_key),
        keyed(&files.segments, file_key)
    );
    for f in ["segments.jsonl", "duplicates.jsonl", "documents.jsonl"] {
        assert_eq!(
            fs::read(one.dir.join(f)).unwrap(),
            fs::read(two.dir.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Constructed bad records among real ones: each is reported with file, record number, line and
/// byte offset, counted with its status, and the records after it are still read.
#[test]
fn bad_records_are_reported_and_the_run_goes_on() {
    let texts = udhr();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = |i: usize| json!({"id": texts[i].0, "text": texts[i].1}).to_string();
    let body = [
        good(0),
        "{\"id\": \"broken\", \"text\": \"unterminated".to_string(),
        json!({"id": "no-text", "body": texts[1].1}).to_string(),
        json!({"id": "number", "text": 42}).to_string(),
        "[\"a list\"]".to_string(),
        good(0), // the same id again: disambiguated
        good(2),
    ]
    .join("\n");
    fs::write(d.join("mixed.jsonl"), &body).unwrap();
    // A Parquet file cut in half, and a gzip stream cut short: constructed corruption.
    write_parquet(&d.join("whole.parquet"), &texts);
    let pq = fs::read(d.join("whole.parquet")).unwrap();
    fs::write(d.join("cut.parquet"), &pq[..pq.len() / 2]).unwrap();
    fs::remove_file(d.join("whole.parquet")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(jsonl(&texts).as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    fs::write(d.join("short.jsonl.gz"), &gz[..gz.len() * 2 / 3]).unwrap();
    fs::create_dir(d.join("in")).unwrap();
    for f in ["mixed.jsonl", "cut.parquet", "short.jsonl.gz"] {
        fs::rename(d.join(f), d.join("in").join(f)).unwrap();
    }

    let out = run(d, "out", &["--input", "in"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let status: Vec<(&str, &str)> = out
        .documents
        .iter()
        .map(|l| (l["doc_id"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    let first = &texts[0].0;
    let third = &texts[2].0;
    let mixed: Vec<(String, &str)> = status
        .iter()
        .filter(|(id, _)| id.starts_with("mixed.jsonl"))
        .map(|(id, s)| (id.to_string(), *s))
        .collect();
    assert_eq!(
        mixed,
        [
            (format!("mixed.jsonl#{first}"), "ok"),
            ("mixed.jsonl#1".to_string(), "bad_record"),
            ("mixed.jsonl#no-text".to_string(), "no_text"),
            ("mixed.jsonl#number".to_string(), "no_text"),
            ("mixed.jsonl#4".to_string(), "bad_record"),
            (format!("mixed.jsonl#{first}#5"), "ok"),
            (format!("mixed.jsonl#{third}"), "ok"),
        ]
    );
    let line1 = body.lines().next().unwrap().len() + 1;
    let err = |id: &str| {
        out.documents
            .iter()
            .find(|l| l["doc_id"] == id)
            .map(|l| l["error"].as_str().unwrap().to_string())
            .unwrap()
    };
    let e = err("mixed.jsonl#1");
    assert!(
        e.starts_with("in/mixed.jsonl: record 1 (line 2, byte ")
            && e.contains("not valid JSON: control character"),
        "{e}"
    );
    let at: usize = e["in/mixed.jsonl: record 1 (line 2, byte ".len()..]
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        at > line1 && at <= line1 + body.lines().nth(1).unwrap().len(),
        "{e}"
    );
    assert!(
        err("mixed.jsonl#no-text").contains("record 2 (line 3, byte"),
        "{}",
        err("mixed.jsonl#no-text")
    );
    assert!(err("mixed.jsonl#number").contains("the text field `text` is a number, not a string"));
    assert!(err("mixed.jsonl#4").contains("a list, not a JSON object"));
    // The record without text keeps its other fields.
    let nt = out
        .documents
        .iter()
        .find(|l| l["doc_id"] == "mixed.jsonl#no-text")
        .unwrap();
    assert_eq!(nt["metadata"]["id"], "no-text");
    // A bad line's bytes and hash are its own.
    let broken = out
        .documents
        .iter()
        .find(|l| l["doc_id"] == "mixed.jsonl#1")
        .unwrap();
    assert_eq!(broken["bytes"], body.lines().nth(1).unwrap().len() + 1);
    assert_eq!(broken["sha256"].as_str().unwrap().len(), 64);

    // The cut Parquet file: one row under the file's id; the cut gzip stream: the records before
    // the cut, then the file's row.
    assert!(
        status.contains(&("cut.parquet", "bad_parquet")),
        "{status:?}"
    );
    let pe = err("cut.parquet");
    assert!(pe.starts_with("in/cut.parquet: "), "{pe}");
    let gz_rows: Vec<&(&str, &str)> = status
        .iter()
        .filter(|(id, _)| id.starts_with("short"))
        .collect();
    assert!(gz_rows.len() >= 2, "{gz_rows:?}");
    assert_eq!(
        *gz_rows.last().unwrap(),
        &("short.jsonl.gz", "decompress_error")
    );
    assert!(gz_rows[..gz_rows.len() - 1].iter().all(|(_, s)| *s == "ok"));
    assert!(err("short.jsonl.gz").contains("of the decompressed stream"));
    // Every failure is on stderr with its path.
    for id in ["mixed.jsonl#1", "cut.parquet", "short.jsonl.gz"] {
        let e = err(id);
        assert!(out.stderr.contains(&e), "{e} not in {}", out.stderr);
    }
    // And counted in the report.
    let report: Value =
        serde_json::from_slice(&fs::read(out.dir.join("report.json")).unwrap()).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("bad_record") && text.contains("bad_parquet"),
        "{text}"
    );
}

/// What `auto` decides: a `.txt` that starts with `{` but holds no records stays text, one that
/// holds records is read as records; `format = "text"` reads every file as text; text and id
/// fields are configurable; a record id with `#` is escaped.
#[test]
fn formats_fields_and_ids() {
    let texts = udhr();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir(d.join("in")).unwrap();
    // Constructed: a text file that starts with a brace.
    let brace = format!("{{not a record}}\n{}", texts[3].1);
    fs::write(d.join("in/brace.txt"), &brace).unwrap();
    fs::write(d.join("in/records.txt"), jsonl(&texts[..2])).unwrap();
    let custom: String = texts[..2]
        .iter()
        .map(|(c, t)| json!({"key": format!("{c}#1"), "body": t}).to_string() + "\n")
        .collect();
    fs::write(d.join("in/custom.ndjson"), &custom).unwrap();

    let out = run(d, "auto", &["-q", "--input", "in"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ids: Vec<&str> = out
        .documents
        .iter()
        .map(|l| l["doc_id"].as_str().unwrap())
        .collect();
    // custom.ndjson lacks `text`: its records are counted as `no_text`.
    assert_eq!(
        ids,
        [
            "brace.txt",
            "custom.ndjson#0",
            "custom.ndjson#1",
            &format!("records.txt#{}", texts[0].0),
            &format!("records.txt#{}", texts[1].0),
        ]
    );
    assert_eq!(out.documents[1]["status"], "no_text");

    fs::write(
        d.join("fields.toml"),
        "[input]\ntext_field = \"body\"\nid_field = \"key\"\n",
    )
    .unwrap();
    let out = run(
        d,
        "fields",
        &["-q", "-c", "fields.toml", "--input", "in/custom.ndjson"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ids: Vec<&str> = out
        .documents
        .iter()
        .map(|l| l["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            format!("custom.ndjson#{}%231", texts[0].0),
            format!("custom.ndjson#{}%231", texts[1].0)
        ]
    );
    assert_eq!(
        out.documents[0]["metadata"]["key"],
        format!("{}#1", texts[0].0)
    );
    assert!(out.segments.len() > 5);

    fs::write(d.join("text.toml"), "[input]\nformat = \"text\"\n").unwrap();
    let out = run(d, "text", &["-q", "-c", "text.toml", "--input", "in"]);
    let ids: Vec<&str> = out
        .documents
        .iter()
        .map(|l| l["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["brace.txt", "custom.ndjson", "records.txt"]);
    assert!(out.documents.iter().all(|l| l["metadata"].is_null()));

    // Standard input holding records.
    let o = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .current_dir(d)
        .args(["run", "-q", "--input", "-", "--output", "stdin"])
        .stdin(fs::File::open(d.join("in/records.txt")).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success());
    let docs = lines(&d.join("stdin/documents.jsonl"));
    assert_eq!(docs[0]["doc_id"], format!("-#{}", texts[0].0));
}

/// A collection `F` and another input with an id `F#…` would mix their documents' ids: refused
/// before anything is read, as for inputs given twice.
#[test]
fn collection_ids_cannot_clash_with_file_names() {
    let texts = udhr();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir(d.join("in")).unwrap();
    fs::write(d.join("in/a.jsonl"), jsonl(&texts[..2])).unwrap();
    fs::write(d.join("in/a.jsonl#ara"), &texts[0].1).unwrap();
    let out = run(d, "out", &["-q", "--input", "in"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("collection of records"),
        "{}",
        out.stderr
    );
}

/// Bad `[input]` settings are configuration errors with their line and the valid choices.
#[test]
fn input_settings_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("p.toml"),
        "[input]\nformat = \"csv\"\ntext_field = \"\"\n",
    )
    .unwrap();
    let out = run(tmp.path(), "out", &["-c", "p.toml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("p.toml:2: input.format"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("jsonl"), "{}", out.stderr);
    assert!(
        out.stderr.contains("p.toml:3: input.text_field"),
        "{}",
        out.stderr
    );
}
