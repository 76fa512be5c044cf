//! Faults around the output folder: runs killed at any moment, two runs into one folder, a disk
//! that fills up at commit. The promise under test: the output folder holds one run's whole
//! output (the previous one or the new one), never a mix, and nothing is left beside it.
//!
//! The inputs are real text: the UDHR translations in `tests/data/udhr`, copied into many files
//! (each copy numbered, so that dedup keeps them apart) to make runs last long enough to be
//! interrupted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_scriptorium"))
}

/// A corpus of about `mb` megabytes in `dir`: the UDHR texts, each copy with its number.
fn corpus(dir: &Path, mb: usize) {
    fs::create_dir_all(dir).unwrap();
    let mut texts = Vec::new();
    for e in fs::read_dir(root().join("tests/data/udhr")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            if let Ok(t) = fs::read_to_string(&p) {
                texts.push(t);
            }
        }
    }
    texts.sort();
    let mut written = 0;
    let mut k = 0;
    while written < mb << 20 {
        let t = &texts[k % texts.len()];
        let body = format!("Copy {k}.\n\n{t}\n\nEnd of copy {k}.\n");
        fs::write(dir.join(format!("{k:05}.txt")), &body).unwrap();
        written += body.len();
        k += 1;
    }
}

/// A temporary folder with a 1 MB corpus (`small`) and a 6 MB one (`big`).
fn two_corpora() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (small, big) = (tmp.path().join("small"), tmp.path().join("big"));
    corpus(&small, 1);
    corpus(&big, 6);
    (tmp, small, big)
}

fn run(input: &Path, out: &Path) -> std::process::Output {
    Command::new(bin())
        .args(["run", "-q", "--threads", "2", "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .output()
        .expect("run")
}

const FILES: [&str; 4] = [
    "segments.jsonl",
    "duplicates.jsonl",
    "documents.jsonl",
    "report.json",
];

/// The output files of a folder, the report without its timings.
fn snapshot(dir: &Path) -> Vec<Vec<u8>> {
    FILES
        .iter()
        .map(|f| {
            let b = fs::read(dir.join(f)).unwrap_or_default();
            if *f == "report.json" && !b.is_empty() {
                let mut v: serde_json::Value = serde_json::from_slice(&b).expect("report parses");
                v.as_object_mut().unwrap().remove("timing");
                v.to_string().into_bytes()
            } else {
                b
            }
        })
        .collect()
}

/// The names in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

/// Kills a run at many moments, the last ones during its commit or after it: every time the
/// folder holds the first or the second run's output whole, and the next run cleans up.
#[test]
fn a_run_killed_at_any_moment_leaves_one_whole_output() {
    let (tmp, small, big) = two_corpora();
    let out = tmp.path().join("out");
    assert!(run(&small, &out).status.success());
    let first = snapshot(&out);
    let want_big = tmp.path().join("want");
    assert!(run(&big, &want_big).status.success());
    let second = snapshot(&want_big);

    // How long a whole run takes here; kills are spread over it and a little past it.
    let t = Instant::now();
    assert!(run(&big, &tmp.path().join("timing")).status.success());
    let whole = t.elapsed();
    let mut seen_second = false;
    for step in 0..12u32 {
        let delay = whole.mul_f64(0.1 + 0.09 * step as f64);
        killed_run(&big, &out, delay);
        let now = snapshot(&out);
        assert!(
            now == first || now == second,
            "killed after {delay:?}: the folder mixes two runs"
        );
        seen_second |= now == second;
        if now == second {
            // Start again from the first output, for the next kill.
            assert!(run(&small, &out).status.success());
        }
    }
    // The next run cleans up whatever a killed one left beside the folder.
    assert!(run(&small, &out).status.success());
    assert_eq!(snapshot(&out), first);
    assert_eq!(
        others(tmp.path(), &["small", "big", "out", "want", "timing"]),
        Vec::<String>::new()
    );
    // Beside the four files a run writes its page and its timings.
    let written = [&FILES[..], &["report.html", "timing.json"]].concat();
    assert_eq!(others(&out, &written), Vec::<String>::new());
    // Not asserted (timing-dependent), only told: whether a kill landed after the commit.
    eprintln!("a kill landed after the commit: {seen_second}");
}

/// A second run into a folder that a first run is writing is refused with exit 1 and a clear
/// message; the first run's output is whole and the same as a run alone.
#[test]
fn two_runs_into_one_folder_the_second_is_refused() {
    let (tmp, small, big) = two_corpora();
    let alone = tmp.path().join("alone");
    assert!(run(&big, &alone).status.success());
    let out = tmp.path().join("out");
    let first = Command::new(bin())
        .args(["run", "-q", "--threads", "2", "--input"])
        .arg(&big)
        .arg("--output")
        .arg(&out)
        .spawn()
        .unwrap();
    // Wait until the first run holds the folder (its staging folder exists).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !others(tmp.path(), &[])
        .iter()
        .any(|n| n.starts_with(".out.staging-"))
    {
        assert!(Instant::now() < deadline, "the first run never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = run(&small, &out);
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another scriptorium run"), "{err}");
    assert_eq!(snapshot(&out), snapshot(&alone));
}

/// A disk that fills up while the output is written: the run fails with exit 1 naming the
/// file, and the previous output is whole. Needs a small tmpfs, so root; skipped otherwise.
#[test]
fn a_full_disk_fails_the_run_and_keeps_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (the test needs root)");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let out = mnt.join("out");
        let (code, err) = {
            let o = run(&root().join("raw"), &out);
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        };
        assert_eq!(code, Some(0), "{err}");
        let first = snapshot(&out);
        let big = tmp.path().join("big");
        corpus(&big, 8);
        let o = run(&big, &out);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("cannot write output"), "{err}");
        assert_eq!(snapshot(&out), first);
        assert_eq!(others(&mnt, &["out"]), Vec::<String>::new());
    });
    let _ = Command::new("umount").arg(&mnt).status();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// A document large enough for its language totals to pass 32 bits (about 40 MB of French):
/// the short segments labelled from their context keep the document's language. (Before the
/// totals were 64-bit they wrapped, and all 39,801 of them came out as Tagalog.)
#[test]
fn language_totals_of_a_large_document_do_not_wrap() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(root().join("tests/data/udhr/fra.txt")).unwrap();
    let para = text.trim();
    let short = "Oui, c'est ça.";
    let mut doc = String::with_capacity(41 << 20);
    while doc.len() < 40 << 20 {
        doc.push_str(para);
        doc.push_str("\n\n");
        doc.push_str(short);
        doc.push_str("\n\n");
    }
    let input = tmp.path().join("big.txt");
    fs::write(&input, &doc).unwrap();
    let out = tmp.path().join("out");
    let o = run(&input, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let segs = fs::read_to_string(out.join("segments.jsonl")).unwrap();
    let mut labels = std::collections::BTreeMap::new();
    for line in segs.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["text"] == short {
            *labels
                .entry(v["lang"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["fra"], "{labels:?}");
}

/// Runs `scriptorium run` on `input` into `out` and kills it (`kill -9`) after `delay`.
/// The same command as [`killed_run`], to the end: its stderr (the run must succeed).
fn run_again(input: &Path, out: &Path) -> String {
    let again = Command::new(bin())
        .args(["run", "--threads", "2", "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(again.status.success(), "{err}");
    err
}

fn killed_run(input: &Path, out: &Path, delay: Duration) {
    let mut child = Command::new(bin())
        .args(["run", "-q", "--threads", "2", "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// Kills a run at several moments and starts the same command again each time: the run goes
/// on from its checkpoint (the documents done are read back, not processed again) and writes
/// what an uninterrupted run writes, byte for byte; nothing is left beside the folder.
#[test]
fn a_killed_run_started_again_resumes_and_writes_the_same_output() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big");
    corpus(&big, 12);
    let want = tmp.path().join("want");
    let t = Instant::now();
    assert!(run(&big, &want).status.success());
    let whole = t.elapsed();
    let want = snapshot(&want);
    let mut resumed = 0;
    for step in 0..5u32 {
        let out = tmp.path().join(format!("out{step}"));
        killed_run(&big, &out, whole.mul_f64(0.3 + 0.15 * step as f64));
        if step == 4 {
            // A kill in the middle of a write leaves a torn tail; here one is made longer.
            let cp = tmp.path().join(format!(".out{step}.resume"));
            for f in ["progress.bin", "shard-records.bin"] {
                if let Ok(mut file) = fs::OpenOptions::new().append(true).open(cp.join(f)) {
                    std::io::Write::write_all(&mut file, b"torn tail: constructed bytes").unwrap();
                }
            }
        }
        let err = run_again(&big, &out);
        resumed += usize::from(err.contains("resuming a run that was stopped"));
        assert!(!err.contains("cannot be"), "{err}");
        assert_eq!(
            snapshot(&out),
            want,
            "killed at step {step}: the output differs"
        );
    }
    // Kills late in the run land after the first marks (every 250 ms) whatever the machine.
    assert!(resumed > 0, "no run resumed from its checkpoint");
    let mut left = others(tmp.path(), &["big", "want"]);
    left.retain(|n| !n.starts_with("out"));
    assert_eq!(left, Vec::<String>::new());
}

/// A checkpoint of other inputs (a file changed since) is not used: the run starts afresh and
/// writes the output of the inputs as they are now.
#[test]
fn a_checkpoint_of_changed_inputs_is_not_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big");
    corpus(&big, 12);
    let out = tmp.path().join("out");
    let t = Instant::now();
    assert!(run(&big, &tmp.path().join("timing")).status.success());
    killed_run(&big, &out, t.elapsed().mul_f64(0.8));
    // The first file changes (same length: the modification time tells).
    let first = big.join("00000.txt");
    let text = fs::read_to_string(&first).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    fs::write(&first, text.replacen("Copy 0.", "Copy 9.", 1)).unwrap();
    let err = run_again(&big, &out);
    assert!(!err.contains("resuming"), "{err}");
    let fresh = tmp.path().join("fresh");
    assert!(run(&big, &fresh).status.success());
    assert_eq!(snapshot(&out), snapshot(&fresh));
}
