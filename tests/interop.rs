//! The outputs of two different runs — one with right-to-left text and `[dedup] action =
//! "mark"`, one of German only — loaded together with pyarrow and Hugging Face `datasets`
//! (`tests/interop.py`), in JSONL and in Parquet.
//!
//! Runs when `python3` (or `$SCRIPTORIUM_PYTHON`) can import pyarrow; otherwise it prints why
//! it is skipped and passes. `.ci/run` installs pyarrow so that CI runs it for real.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("SCRIPTORIUM_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(dir: &Path, inputs: &[PathBuf], out: &Path, config: &str) {
    let cfg = dir.join("interop.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scriptorium"));
    cmd.args(["run", "-q", "--config"]).arg(&cfg);
    for i in inputs {
        cmd.arg("--input").arg(i);
    }
    let o = cmd.arg("--output").arg(out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn two_runs_load_together_in_pyarrow_and_datasets() {
    let has_pyarrow = Command::new(python())
        .args(["-c", "import pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyarrow {
        println!(
            "skipped: {} cannot import pyarrow (pip install pyarrow datasets)",
            python()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let udhr = root().join("tests/data/udhr");
    let rtl = [
        root().join("raw"),
        udhr.join("heb.txt"),
        udhr.join("fas.txt"),
    ];
    let plain = [udhr.join("deu.txt")];
    for (format, extra) in [
        ("jsonl", ""),
        ("parquet", "[output]\nformat = \"parquet\"\n"),
    ] {
        let a = tmp.path().join(format!("{format}-a"));
        let b = tmp.path().join(format!("{format}-b"));
        run(
            tmp.path(),
            &rtl,
            &a,
            &format!("[dedup]\naction = \"mark\"\n{extra}"),
        );
        run(tmp.path(), &plain, &b, extra);
        let o = Command::new(python())
            .arg(root().join("tests/interop.py"))
            .arg(&a)
            .arg(&b)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        println!("{out}");
        assert!(
            o.status.success(),
            "{out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
