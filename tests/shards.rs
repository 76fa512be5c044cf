//! Sharded runs: `run --shard K/N` for every K, then `merge`, give the same files as one `run`,
//! byte for byte (`timing.json` aside), for N = 1, 2, 3, 5; on the seeds in `raw/` and on a
//! second corpus of real text (UDHR excerpts, right-to-left and mixed-direction text, a JSONL
//! collection, and near and exact duplicates of documents that fall in other shards). Also:
//! bad `--shard` values and mismatched shard folders are usage errors (exit 2), a damaged
//! shard file is an error naming the file and byte offset (exit 1), a complete shard is not run
//! again, and a shard run killed midway leaves nothing behind and is simply run again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scriptorium"));
    c.current_dir(root());
    c
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `run` of `input` with `config` into `out`, with extra arguments.
fn run(config: &Path, input: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("run")
        .arg("-q")
        .arg("-c")
        .arg(config)
        .arg("-i")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn merge(config: &Path, shards: &[PathBuf], out: &Path) -> Output {
    bin()
        .arg("merge")
        .arg("-q")
        .arg("-c")
        .arg(config)
        .args(shards)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Every file under `dir` (relative paths, sorted), `timing.json` left out.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.file_name().unwrap() != "timing.json" {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// Asserts that `a` and `b` hold the same files with the same bytes (`timing.json` aside).
fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa,
        fb,
        "{} and {} hold other files",
        a.display(),
        b.display()
    );
    assert!(fa.len() >= 4, "{}: too few files: {fa:?}", a.display());
    for f in &fa {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(
            x == y,
            "{} differs between {} and {}",
            f.display(),
            a.display(),
            b.display()
        );
    }
}

/// Runs all N shards and the merge; returns the merged folder.
fn sharded(tmp: &Path, config: &Path, input: &Path, n: u32) -> PathBuf {
    let mut dirs = Vec::new();
    // Shards in reverse order, given to merge in reverse: neither order matters.
    for k in (0..n).rev() {
        let d = tmp.join(format!("shard-{n}-{k}"));
        ok(run(config, input, &d, &["--shard", &format!("{k}/{n}")]));
        dirs.push(d);
    }
    let out = tmp.join(format!("merged-{n}"));
    ok(merge(config, &dirs, &out));
    out
}

fn check_corpus(tmp: &Path, config: &Path, input: &Path) {
    let full = tmp.join("full");
    ok(run(config, input, &full, &[]));
    for n in [1, 2, 3, 5] {
        let merged = sharded(tmp, config, input, n);
        assert_same(&full, &merged);
    }
}

#[test]
fn shards_of_raw_merge_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    check_corpus(
        tmp.path(),
        &root().join("pipeline.toml"),
        &root().join("raw"),
    );
}

/// The second corpus: the UDHR excerpts, the Persian handbook page, the right-to-left
/// fixture, the files of the cross-file duplicates fixture, a JSONL collection of records, and
/// edited copies (near duplicates) and exact copies of documents placed so that the sorted walk
/// puts them in other shards than their originals.
fn second_corpus(dir: &Path) -> PathBuf {
    let raw = dir.join("corpus");
    fs::create_dir_all(&raw).unwrap();
    let copy_txt = |src: &str, prefix: &str| {
        for e in fs::read_dir(root().join(src)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt") {
                let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
                fs::copy(&p, raw.join(name)).unwrap();
            }
        }
    };
    copy_txt("tests/data/udhr", "b-");
    copy_txt("tests/data/mixed", "c-");
    copy_txt("tests/fixtures/rtl-mixed/raw", "d-");
    copy_txt("tests/fixtures/duplicates-across-files/raw", "e-");
    // Near duplicates at the far end of the walk: a few words changed in each paragraph.
    for lang in ["fra", "ara", "heb", "deu"] {
        let text = fs::read_to_string(root().join(format!("tests/data/udhr/{lang}.txt"))).unwrap();
        let edited: String = text
            .lines()
            .map(|l| match l.find(' ') {
                Some(i) if l.len() > 80 => format!("{} ajout {}\n", &l[..i], &l[i + 1..]),
                _ => format!("{l}\n"),
            })
            .collect();
        fs::write(raw.join(format!("z-near-{lang}.txt")), edited).unwrap();
    }
    // Exact copies, first in the walk: the later originals become their duplicates.
    fs::copy(
        root().join("tests/data/udhr/rus.txt"),
        raw.join("a-copy-rus.txt"),
    )
    .unwrap();
    fs::copy(
        root().join("tests/data/mixed/fas-debian-handbook.txt"),
        raw.join("a-copy-fas.txt"),
    )
    .unwrap();
    // A collection of records in the middle: paragraphs of the Hebrew and Urdu texts, one
    // repeated, with metadata.
    let mut jsonl = String::new();
    for (i, lang) in ["heb", "urd", "heb"].iter().enumerate() {
        let text = fs::read_to_string(root().join(format!("tests/data/udhr/{lang}.txt"))).unwrap();
        let rec = serde_json::json!({"id": format!("r{i}"), "text": text, "lang": lang});
        jsonl.push_str(&rec.to_string());
        jsonl.push('\n');
    }
    fs::write(raw.join("m-records.jsonl"), jsonl).unwrap();
    raw
}

#[test]
fn shards_of_a_multilingual_corpus_merge_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = second_corpus(tmp.path());
    // Every optional output, duplicates marked rather than dropped, compressed.
    let config = tmp.path().join("mark.toml");
    fs::write(
        &config,
        "[output]\nper_language = true\ntext = true\ndocuments = true\ncompression = \"zstd\"\n\
         [dedup]\naction = \"mark\"\n",
    )
    .unwrap();
    check_corpus(&tmp.path().join("mark"), &config, &input);
    // The defaults (dropping duplicates), Parquet segments.
    let config = tmp.path().join("parquet.toml");
    fs::write(&config, "[output]\nformat = \"parquet\"\n").unwrap();
    check_corpus(&tmp.path().join("parquet"), &config, &input);
}

#[test]
fn bad_shards_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let config = root().join("pipeline.toml");
    let raw = root().join("raw");
    for bad in ["2/2", "0/0", "1", "a/b", "-1/3", "1/2/3"] {
        let o = run(&config, &raw, &tmp.path().join("x"), &["--shard", bad]);
        assert_eq!(o.status.code(), Some(2), "--shard {bad}: {}", stderr(&o));
    }
    let s: Vec<PathBuf> = (0..3).map(|k| tmp.path().join(format!("s{k}"))).collect();
    for (k, d) in s.iter().enumerate() {
        ok(run(&config, &raw, d, &["--shard", &format!("{k}/3")]));
    }
    let out = tmp.path().join("out");
    // A shard missing, a shard twice, a folder that is no shard.
    let o = merge(&config, &s[..2], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("shard 2/3 is missing"),
        "{}",
        stderr(&o)
    );
    let o = merge(&config, &[s[0].clone(), s[1].clone(), s[1].clone()], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    let o = merge(&config, &[s[0].clone(), s[1].clone(), raw.clone()], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("shard.json"), "{}", stderr(&o));
    // Another configuration.
    let other = tmp.path().join("other.toml");
    fs::write(&other, "[dedup]\nthreshold = 0.7\n").unwrap();
    let o = merge(&other, &s, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("another configuration"),
        "{}",
        stderr(&o)
    );
    // Shards of another shard count, and of other inputs.
    let t = tmp.path().join("t1");
    ok(run(&config, &raw, &t, &["--shard", "1/2"]));
    let o = merge(&config, &[s[0].clone(), t.clone(), s[2].clone()], &out);
    assert_eq!(o.status.code(), Some(2));
    let u = tmp.path().join("u1");
    let udhr = root().join("tests/data/udhr");
    ok(run(&config, &udhr, &u, &["--shard", "1/3"]));
    let o = merge(&config, &[s[0].clone(), u, s[2].clone()], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("other inputs"), "{}", stderr(&o));
    assert!(!out.join("segments.jsonl").exists());
}

#[test]
fn damaged_shard_files_are_errors_with_path_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let config = root().join("pipeline.toml");
    let raw = root().join("raw");
    let s: Vec<PathBuf> = (0..2).map(|k| tmp.path().join(format!("s{k}"))).collect();
    for (k, d) in s.iter().enumerate() {
        ok(run(&config, &raw, d, &["--shard", &format!("{k}/2")]));
    }
    let fp = s[1].join("shard-fingerprints.bin");
    let good = fs::read(&fp).unwrap();
    // A flipped byte inside a record, a bad magic, a truncated file (its size no longer that of
    // the manifest: refused as incomplete).
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x55;
    fs::write(&fp, &flipped).unwrap();
    let out = tmp.path().join("out");
    let o = merge(&config, &s, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("shard-fingerprints.bin: byte ") && e.contains("damaged"),
        "{e}"
    );
    let mut magic = good.clone();
    magic[0] = b'X';
    fs::write(&fp, &magic).unwrap();
    let o = merge(&config, &s, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad magic"), "{}", stderr(&o));
    fs::write(&fp, &good[..good.len() - 3]).unwrap();
    let o = merge(&config, &s, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.join("segments.jsonl").exists());
    // Put back, the merge works.
    fs::write(&fp, &good).unwrap();
    ok(merge(&config, &s, &out));
}

#[test]
fn a_complete_shard_is_not_run_again() {
    let tmp = tempfile::tempdir().unwrap();
    let config = root().join("pipeline.toml");
    let raw = root().join("raw");
    let d = tmp.path().join("s0");
    ok(run(&config, &raw, &d, &["--shard", "0/2"]));
    let before = fs::metadata(d.join("shard-records.bin"))
        .unwrap()
        .modified()
        .unwrap();
    let o = ok(bin()
        .args(["run", "-c"])
        .arg(&config)
        .arg("-i")
        .arg(&raw)
        .arg("-o")
        .arg(&d)
        .args(["--shard", "0/2"])
        .output()
        .unwrap());
    assert!(
        stderr(&o).contains("shard 0/2 already complete"),
        "{}",
        stderr(&o)
    );
    let after = fs::metadata(d.join("shard-records.bin"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    // Another configuration: run again, into the same folder.
    let other = tmp.path().join("other.toml");
    fs::write(&other, "[dedup]\nthreshold = 0.7\n").unwrap();
    let o = ok(run(&other, &raw, &d, &["--shard", "0/2"]));
    assert!(!stderr(&o).contains("already complete"));
}
