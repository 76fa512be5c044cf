//! Integration tests: the `scriptorium` binary run in temporary folders.
//!
//! Encoded inputs are made at test time from real text — the UDHR excerpts in
//! `tests/data/udhr/` (see its SOURCES.md) and the seed documents in `raw/` — re-encoded with
//! encoding_rs (UTF-32 by hand: it is not a WHATWG encoding).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn udhr(name: &str) -> String {
    fs::read_to_string(root().join("tests/data/udhr").join(name)).expect("udhr text")
}

fn bin() -> Command {
    Command::cargo_bin("scriptorium").expect("binary")
}

/// Runs `scriptorium run` on `input` into `out`, with an optional config text; returns
/// (status code, stderr).
fn run(
    dir: &Path,
    input: &Path,
    out: &Path,
    config: Option<&str>,
    extra: &[&str],
) -> (i32, String) {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .arg("run")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out);
    if let Some(c) = config {
        let p = dir.join("test-pipeline.toml");
        fs::write(&p, c).unwrap();
        cmd.arg("--config").arg(&p);
    }
    cmd.args(extra);
    let o = cmd.output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The count `field` of the record named `name` (by `key`) in a list of records of the report,
/// `null` when there is none.
fn entry(list: &Value, key: &str, name: &str, field: &str) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|r| r[key] == name))
        .map_or(Value::Null, |r| r[field].clone())
}

fn jsonl(p: &Path) -> Vec<Value> {
    fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn texts(out: &Path) -> Vec<String> {
    jsonl(&out.join("segments.jsonl"))
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if bom {
        v.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in text.encode_utf16() {
        v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    v
}

fn utf32(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    let conv = |c: u32| if le { c.to_le_bytes() } else { c.to_be_bytes() };
    if bom {
        v.extend_from_slice(&conv(0xFEFF));
    }
    for c in text.chars() {
        v.extend_from_slice(&conv(c as u32));
    }
    v
}

fn legacy(text: &str, enc: &'static encoding_rs::Encoding) -> Vec<u8> {
    let (b, _, unmappable) = enc.encode(text);
    assert!(!unmappable, "test text not representable in {}", enc.name());
    b.into_owned()
}

/// Whitespace-insensitive comparison.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Without any whitespace: CJK sentences are joined without spaces.
fn nows(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_encoding_decodes_back_to_the_original() {
    use encoding_rs::*;
    let cases: Vec<(&'static str, &'static str, Vec<u8>)> = {
        let mut v = Vec::new();
        let mut add =
            |file: &'static str, name: &'static str, bytes: Vec<u8>| v.push((file, name, bytes));
        let ara = udhr("ara.txt");
        let ara6 = udhr("ara_iso8859_6.txt");
        let heb = udhr("heb.txt");
        let rus = udhr("rus.txt");
        let jpn = udhr("jpn.txt");
        let cmn = udhr("cmn.txt");
        let hant = udhr("cmn_hant.txt");
        let kor = udhr("kor.txt");
        let fra = udhr("fra.txt");
        let deu = udhr("deu.txt");
        add("ara-1256.txt", "windows-1256", legacy(&ara, WINDOWS_1256));
        add("ara-8859-6.txt", "ISO-8859-6", legacy(&ara6, ISO_8859_6));
        add("heb-1255.txt", "windows-1255", legacy(&heb, WINDOWS_1255));
        add("rus-koi8r.txt", "KOI8-R", legacy(&rus, KOI8_R));
        add("rus-1251.txt", "windows-1251", legacy(&rus, WINDOWS_1251));
        add("jpn-sjis.txt", "Shift_JIS", legacy(&jpn, SHIFT_JIS));
        add("jpn-eucjp.txt", "EUC-JP", legacy(&jpn, EUC_JP));
        add("cmn-gb18030.txt", "gb18030", legacy(&cmn, GB18030));
        add("cmn-big5.txt", "Big5", legacy(&hant, BIG5));
        add("kor-euckr.txt", "EUC-KR", legacy(&kor, EUC_KR));
        add("fra-1252.txt", "windows-1252", legacy(&fra, WINDOWS_1252));
        add("deu-1252.txt", "windows-1252", legacy(&deu, WINDOWS_1252));
        add("jpn-utf16le-bom.txt", "UTF-16LE", utf16(&jpn, true, true));
        add("jpn-utf16be-bom.txt", "UTF-16BE", utf16(&jpn, false, true));
        add("rus-utf16le.txt", "UTF-16LE", utf16(&rus, true, false));
        add("cmn-utf16be.txt", "UTF-16BE", utf16(&cmn, false, false));
        add("kor-utf16le.txt", "UTF-16LE", utf16(&kor, true, false));
        add("ara-utf32le-bom.txt", "UTF-32LE", utf32(&ara, true, true));
        add("heb-utf32be-bom.txt", "UTF-32BE", utf32(&heb, false, true));
        add("fra-utf32le.txt", "UTF-32LE", utf32(&fra, true, false));
        add("jpn-utf32be.txt", "UTF-32BE", utf32(&jpn, false, false));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(heb.as_bytes());
        add("heb-utf8-bom.txt", "UTF-8", bom8);
        v
    };
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    for (name, _, bytes) in &cases {
        fs::write(raw.join(name), bytes).unwrap();
    }
    let out = tmp.path().join("out");
    // The same texts in several encodings: no dedup here.
    let cfg = "[dedup]\nenabled = false\n";
    let (code, err) = run(tmp.path(), &raw, &out, Some(cfg), &["--quiet"]);
    assert_eq!(code, 0, "{err}");
    let docs = jsonl(&out.join("documents.jsonl"));
    let segs = jsonl(&out.join("segments.jsonl"));
    // Names that decode these texts identically: chardetng says GBK for GB18030 (one decoder
    // in encoding_rs).
    let same = |found: &Value, expected: &str| {
        found == expected || matches!((found.as_str(), expected), (Some("GBK"), "gb18030"))
    };
    let mut failures = Vec::new();
    for (name, enc, bytes) in &cases {
        let d = docs
            .iter()
            .find(|d| d["doc_id"] == *name)
            .expect("document line");
        if !same(&d["encoding"], enc) {
            failures.push(format!(
                "{name}: detected {} (expected {enc})",
                d["encoding"]
            ));
            continue;
        }
        if d["invalid_sequences"] != 0 {
            failures.push(format!(
                "{name}: {} invalid sequences",
                d["invalid_sequences"]
            ));
        }
        // The decoded text equals the original, up to whitespace folded by segmentation.
        let original = fs::read_to_string(root().join("tests/data/udhr").join(match &name[..3] {
            "ara" if name.contains("8859") => "ara_iso8859_6.txt".to_string(),
            "cmn" if name.contains("big5") => "cmn_hant.txt".to_string(),
            p => format!("{p}.txt"),
        }))
        .unwrap();
        let mine: Vec<&str> = segs
            .iter()
            .filter(|s| s["doc_id"] == *name)
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        if nows(&mine.concat()) != nows(&original) {
            failures.push(format!("{name}: text differs from the original"));
        }
        // raw_span round-trips: the raw bytes of each segment decode to its text.
        for s in segs.iter().filter(|s| s["doc_id"] == *name) {
            let a = s["raw_span"][0].as_u64().unwrap() as usize;
            let b = s["raw_span"][1].as_u64().unwrap() as usize;
            let piece = &bytes[a..b];
            let decoded = match *enc {
                "UTF-32LE" | "UTF-32BE" => piece
                    .chunks_exact(4)
                    .map(|q| {
                        let q = [q[0], q[1], q[2], q[3]];
                        let v = if *enc == "UTF-32LE" {
                            u32::from_le_bytes(q)
                        } else {
                            u32::from_be_bytes(q)
                        };
                        char::from_u32(v).unwrap_or('\u{FFFD}')
                    })
                    .collect::<String>(),
                e => Encoding::for_label(e.as_bytes())
                    .unwrap()
                    .decode_without_bom_handling(piece)
                    .0
                    .into_owned(),
            };
            if squash(&decoded) != squash(s["text"].as_str().unwrap()) {
                failures.push(format!(
                    "{name}: raw_span {a}..{b} decodes to {decoded:?}, not {}",
                    s["text"]
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn forced_encoding_by_glob() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir_all(raw.join("legacy")).unwrap();
    // Short Arabic is easy to misdetect; the config settles it.
    let (b, _, _) = encoding_rs::ISO_8859_6.encode("حقوق الإنسان");
    fs::write(raw.join("legacy/a.txt"), &b).unwrap();
    let out = tmp.path().join("out");
    let cfg = "[decode]\nencodings = { \"legacy/*.txt\" = \"iso-8859-6\" }\n";
    let (code, err) = run(tmp.path(), &raw, &out, Some(cfg), &["-q"]);
    assert_eq!(code, 0, "{err}");
    let d = &jsonl(&out.join("documents.jsonl"))[0];
    assert_eq!(d["encoding"], "ISO-8859-6");
    assert_eq!(d["encoding_evidence"], "config");
    assert_eq!(texts(&out), vec!["حقوق الإنسان"]);
}

#[test]
fn bad_inputs_are_recorded_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    // Invalid bytes inside real UTF-8 text.
    let mut bad = udhr("fra.txt").into_bytes();
    let at = bad.iter().position(|&b| b == b' ').unwrap() + 1;
    bad.insert(at, 0xFF);
    fs::write(raw.join("a-invalid.txt"), &bad).unwrap();
    // A binary file (the start of a PNG), an empty file, and a good one.
    fs::write(
        raw.join("b-binary.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0",
    )
    .unwrap();
    fs::write(raw.join("c-empty.txt"), b"").unwrap();
    fs::write(raw.join("d-good.txt"), udhr("deu.txt")).unwrap();
    let out = tmp.path().join("out");
    let (code, err) = run(tmp.path(), &raw, &out, None, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("b-binary.png: byte 8: binary content (NUL byte); skipped"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "a-invalid.txt: byte {at}: 1 invalid UTF-8 sequence"
        )),
        "{err}"
    );
    let docs = jsonl(&out.join("documents.jsonl"));
    let by = |id: &str| docs.iter().find(|d| d["doc_id"] == id).unwrap().clone();
    assert_eq!(by("a-invalid.txt")["invalid_sequences"], 1);
    assert_eq!(by("a-invalid.txt")["status"], "ok");
    assert_eq!(by("b-binary.png")["status"], "binary");
    assert_eq!(by("b-binary.png")["segments"], 0);
    assert_eq!(by("c-empty.txt")["status"], "ok");
    assert_eq!(by("c-empty.txt")["segments"], 0);
    assert!(by("d-good.txt")["segments"].as_u64().unwrap() > 0);
    let segs = jsonl(&out.join("segments.jsonl"));
    let flagged: Vec<_> = segs
        .iter()
        .filter(|s| {
            s["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "replacement_chars")
        })
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(flagged[0]["text"].as_str().unwrap().contains('\u{FFFD}'));
    let report: Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["documents"]["total"], 4);
    assert_eq!(
        entry(
            &report["documents"]["skipped"],
            "status",
            "binary",
            "documents"
        ),
        1
    );
    assert_eq!(report["documents"]["with_invalid_bytes"], 1);
}

#[test]
fn mojibake_of_other_pages_is_repaired_and_reported_by_encoding() {
    // The Russian and Czech UDHR (real text), their UTF-8 read as windows-1251 and as
    // windows-1250 and saved again as UTF-8; the Ukrainian one left as it is.
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let rus = udhr("rus.txt")
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    let garble = |s: &str, e: &'static encoding_rs::Encoding| {
        e.decode_without_bom_handling(s.as_bytes()).0.into_owned()
    };
    fs::write(raw.join("rus.txt"), garble(&rus, encoding_rs::WINDOWS_1251)).unwrap();
    let ces = "Všichni lidé rodí se svobodní a sobě rovní co do důstojnosti a práv.";
    fs::write(raw.join("ces.txt"), garble(ces, encoding_rs::WINDOWS_1250)).unwrap();
    let ukr = udhr("ukr.txt")
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(raw.join("ukr.txt"), &ukr).unwrap();
    let out = tmp.path().join("out");
    let cfg = "[segment]\nunit = \"paragraph\"\n[dedup]\nenabled = false\n";
    let (code, err) = run(tmp.path(), &raw, &out, Some(cfg), &["-q"]);
    assert_eq!(code, 0, "{err}");
    let segs = jsonl(&out.join("segments.jsonl"));
    let text_of = |id: &str| {
        segs.iter()
            .filter(|s| s["doc_id"] == id)
            .map(|s| s["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(squash(&text_of("rus.txt")), squash(&rus));
    assert_eq!(text_of("ces.txt"), ces);
    assert_eq!(squash(&text_of("ukr.txt")), squash(&ukr));
    let docs = jsonl(&out.join("documents.jsonl"));
    let doc = |id: &str| docs.iter().find(|d| d["doc_id"] == id).unwrap().clone();
    assert_eq!(
        doc("rus.txt")["mojibake_encodings"][0]["encoding"],
        "windows-1251"
    );
    assert_eq!(
        doc("ces.txt")["mojibake_encodings"][0]["encoding"],
        "windows-1250"
    );
    assert_eq!(doc("ukr.txt")["mojibake_encodings"], serde_json::json!([]));
    assert_eq!(doc("ukr.txt")["mojibake_repairs"], 0);
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let names: Vec<&str> = report["mojibake"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["encoding"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"windows-1251") && names.contains(&"windows-1250"),
        "{names:?}"
    );
}

#[test]
fn nfd_input_becomes_nfc_and_mojibake_is_repaired() {
    use unicode_normalization::UnicodeNormalization;
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let fra = udhr("fra.txt");
    let first = fra.lines().next().unwrap().to_string();
    fs::write(raw.join("nfd.txt"), first.nfd().collect::<String>()).unwrap();
    // UTF-8 read as windows-1252 and saved again as UTF-8: classic mojibake.
    let garbled = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(first.as_bytes())
        .0
        .into_owned();
    assert_ne!(garbled, first);
    fs::write(raw.join("mojibake.txt"), &garbled).unwrap();
    let out = tmp.path().join("out");
    let cfg = "[segment]\nunit = \"paragraph\"\n[dedup]\nenabled = false\n";
    let (code, err) = run(tmp.path(), &raw, &out, Some(cfg), &["-q"]);
    assert_eq!(code, 0, "{err}");
    let segs = jsonl(&out.join("segments.jsonl"));
    let get = |id: &str| segs.iter().find(|s| s["doc_id"] == id).unwrap().clone();
    assert_eq!(get("nfd.txt")["text"].as_str().unwrap(), squash(&first));
    assert_eq!(
        get("mojibake.txt")["text"].as_str().unwrap(),
        squash(&first)
    );
    assert!(get("mojibake.txt")["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "repaired_mojibake"));
    // raw_span of the repaired segment covers the garbled bytes.
    assert_eq!(
        get("mojibake.txt")["raw_span"][1].as_u64().unwrap() as usize,
        garbled.trim_end().len()
    );

    // With the repair switched off, the text stays garbled.
    let out2 = tmp.path().join("out2");
    let cfg2 = format!("{cfg}[decode]\nrepair_mojibake = false\n");
    let (code, _) = run(
        tmp.path(),
        &raw.join("mojibake.txt"),
        &out2,
        Some(&cfg2),
        &["-q"],
    );
    assert_eq!(code, 0);
    assert_eq!(texts(&out2), vec![squash(&garbled)]);
}

#[test]
fn stdin_gzip_and_zstd_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let text = udhr("spa.txt");
    let gz = tmp.path().join("spa.txt.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = root().join("tests/fixtures/compressed/por.txt.zst");
    let out = tmp.path().join("out");
    let mut cmd = bin();
    cmd.current_dir(tmp.path())
        .args(["run", "-q", "--input", "-", "--input"])
        .arg(&gz)
        .arg("--input")
        .arg(&zst)
        .arg("--output")
        .arg(&out)
        .write_stdin(udhr("tur.txt"));
    cmd.assert().success();
    let docs = jsonl(&out.join("documents.jsonl"));
    let ids: Vec<_> = docs.iter().map(|d| d["doc_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["-", "spa.txt.gz", "por.txt.zst"]);
    let segs = jsonl(&out.join("segments.jsonl"));
    for (id, file) in [
        ("-", "tur.txt"),
        ("spa.txt.gz", "spa.txt"),
        ("por.txt.zst", "por.txt"),
    ] {
        let mine: Vec<&str> = segs
            .iter()
            .filter(|s| s["doc_id"] == id)
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        assert_eq!(squash(&mine.join(" ")), squash(&udhr(file)), "{id}");
    }
    // A corrupt .gz is recorded, not fatal.
    fs::write(tmp.path().join("bad.txt.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    let out2 = tmp.path().join("out2");
    let (code, err) = run(tmp.path(), &tmp.path().join("bad.txt.gz"), &out2, None, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("bad.txt.gz: byte 0 of the decompressed stream: cannot decompress"),
        "{err}"
    );
    assert_eq!(
        jsonl(&out2.join("documents.jsonl"))[0]["status"],
        "decompress_error"
    );
}

#[test]
fn configuration_errors_exit_2_with_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = "[segment]\nunit = \"words\"\n\n[dedup]\nthreshold = 2.0\nbogus = true\n[colour]\n";
    let (code, err) = run(
        tmp.path(),
        &root().join("raw"),
        &tmp.path().join("o"),
        Some(cfg),
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("test-pipeline.toml:2: segment.unit: invalid value"),
        "{err}"
    );
    assert!(err.contains("expected `sentence` or `paragraph`"), "{err}");
    assert!(
        err.contains("test-pipeline.toml:5: dedup.threshold: 2 is out of range"),
        "{err}"
    );
    assert!(
        err.contains("test-pipeline.toml:6: dedup.bogus: unknown key; valid keys are:"),
        "{err}"
    );
    assert!(
        err.contains("test-pipeline.toml:7: colour: unknown section"),
        "{err}"
    );
    assert!(
        !tmp.path().join("o").exists(),
        "nothing is written on a bad configuration"
    );
    // Bad usage is 2 as well.
    bin().args(["run", "--threads", "many"]).assert().code(2);
}

#[test]
fn fatal_errors_exit_1_and_leave_no_partial_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = run(
        tmp.path(),
        &tmp.path().join("missing"),
        &tmp.path().join("o"),
        None,
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("missing: cannot read input"), "{err}");
    // Output folder that is a file.
    let f = tmp.path().join("file");
    fs::write(&f, b"x").unwrap();
    let (code, err) = run(tmp.path(), &root().join("raw"), &f, None, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot write output"), "{err}");
}

/// The report without its timings (the only part that may differ between runs).
fn report_without_timing(dir: &Path) -> Value {
    let mut r: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    r.as_object_mut().unwrap().remove("timing");
    r
}

fn assert_same_output(a: &Path, b: &Path) {
    for f in ["segments.jsonl", "duplicates.jsonl", "documents.jsonl"] {
        let x = fs::read(a.join(f)).unwrap();
        let y = fs::read(b.join(f)).unwrap();
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert_eq!(report_without_timing(a), report_without_timing(b));
    // The report holds no timings (they are in timing.json): equal byte for byte, as is its page.
    for f in ["report.json", "report.html"] {
        assert!(
            fs::read(a.join(f)).unwrap() == fs::read(b.join(f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn one_thread_equals_two() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    for e in fs::read_dir(root().join("raw")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, raw.join(p.file_name().unwrap())).unwrap();
    }
    for e in fs::read_dir(root().join("tests/data/udhr")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            fs::copy(&p, raw.join(p.file_name().unwrap())).unwrap();
            // The same text again under another name: cross-document duplicates.
            fs::copy(
                &p,
                raw.join(format!("copy-{}", p.file_name().unwrap().to_string_lossy())),
            )
            .unwrap();
        }
    }
    let o1 = tmp.path().join("o1");
    let o2 = tmp.path().join("o2");
    assert_eq!(
        run(tmp.path(), &raw, &o1, None, &["-q", "--threads", "1"]).0,
        0
    );
    assert_eq!(
        run(tmp.path(), &raw, &o2, None, &["-q", "--threads", "2"]).0,
        0
    );
    assert_same_output(&o1, &o2);
    assert!(!jsonl(&o1.join("duplicates.jsonl")).is_empty());
}

#[test]
fn processed_is_what_a_fresh_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("processed");
    let mut cmd = bin();
    cmd.current_dir(root())
        .args(["run", "-q", "--config", "pipeline.toml", "--output"])
        .arg(&out);
    cmd.assert().success();
    assert_same_output(&root().join("processed"), &out);
}

#[test]
fn completions_and_man_page() {
    let o = bin().args(["completions", "bash"]).output().unwrap();
    assert!(o.status.success());
    let script = String::from_utf8_lossy(&o.stdout);
    assert!(
        script.contains("scriptorium") && script.contains("--threads"),
        "{script}"
    );
    let o = bin().args(["completions", "zsh"]).output().unwrap();
    assert!(o.status.success());
    let o = bin().arg("man").output().unwrap();
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains(".TH scriptorium"), "{page}");
    assert!(
        page.contains("completions") && page.contains("run"),
        "{page}"
    );
}

#[test]
fn help_documents_the_command() {
    let o = bin().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--config",
        "--input",
        "--output",
        "--threads",
        "--quiet",
        "Exit status",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}
