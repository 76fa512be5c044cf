//! Inputs the run must survive and report: unreadable subfolders, FIFOs, broken and looping
//! links, linked folders, names that are not UTF-8, inputs given twice, a bounded standard
//! input, absurd thread counts, and the bytes and hash of files that fail after being read.
//!
//! Documents are real text: the UDHR excerpts in `tests/data/udhr/`.

#![cfg(unix)]

use std::ffi::{CString, OsStr};
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn udhr(name: &str) -> String {
    fs::read_to_string(root().join("tests/data/udhr").join(name)).expect("udhr text")
}

struct Run {
    code: i32,
    stderr: String,
    secs: f64,
}

/// Runs `scriptorium run ARGS`, with `stdin` (none: an open pipe that is never written or
/// closed, so a run that reads standard input when it should not hangs); killed after 120 s.
fn run(dir: &Path, args: &[&dyn AsRef<OsStr>], stdin: Option<Vec<u8>>) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .current_dir(dir)
        .arg("run")
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut pipe = pipe;
        match stdin {
            // Written in pieces; a reader that stops early closes the pipe: errors are expected.
            Some(data) => {
                for chunk in data.chunks(1 << 16) {
                    if pipe.write_all(chunk).is_err() {
                        break;
                    }
                }
            }
            None => std::thread::sleep(Duration::from_secs(130)),
        }
    });
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).ok();
        String::from_utf8_lossy(&s).into_owned()
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().ok();
            child.wait().ok();
            panic!("the run did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(writer);
    Run {
        code: status.code().unwrap_or(-1),
        stderr: reader.join().unwrap(),
        secs: started.elapsed().as_secs_f64(),
    }
}

fn jsonl(p: &Path) -> Vec<Value> {
    fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn report(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn timing(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("timing.json")).unwrap()).unwrap()
}

/// The count `field` of the record named `name` (by `key`) in a list of records of the report,
/// `null` when there is none.
fn entry(list: &Value, key: &str, name: &str, field: &str) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|r| r[key] == name))
        .map_or(Value::Null, |r| r[field].clone())
}

fn doc<'a>(docs: &'a [Value], id: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["doc_id"] == id)
        .unwrap_or_else(|| panic!("no document {id} in {docs:?}"))
}

fn sha_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `dir/deep/` followed by folders of 200-byte names until the path is longer than PATH_MAX,
/// with a text file at the bottom. Made with `mkdirat`/`openat` (a path that long cannot be
/// given to `mkdir`); unreadable by path for any user, root included.
fn too_deep(dir: &Path) {
    let name = CString::new("a".repeat(200)).unwrap();
    let top = CString::new(dir.join("deep").as_os_str().as_bytes()).unwrap();
    fs::create_dir(dir.join("deep")).unwrap();
    let levels = (libc::PATH_MAX as usize) / 201 + 2;
    // SAFETY: plain system calls on valid NUL-terminated names; every descriptor is closed.
    unsafe {
        let mut fd = libc::open(top.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
        assert!(fd >= 0);
        for _ in 0..levels {
            assert_eq!(libc::mkdirat(fd, name.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, name.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        let file = CString::new("bottom.txt").unwrap();
        let f = libc::openat(fd, file.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644);
        assert!(f >= 0);
        let text = udhr("spa.txt");
        assert_eq!(
            libc::write(f, text.as_ptr().cast(), text.len()),
            text.len() as isize
        );
        libc::close(f);
        libc::close(fd);
    }
}

#[test]
fn an_unreadable_subfolder_is_recorded_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("a.txt"), udhr("fra.txt")).unwrap();
    fs::write(input.join("z.txt"), udhr("deu.txt")).unwrap();
    too_deep(&input);
    let out = tmp.path().join("out");
    let r = run(tmp.path(), &[&"-i", &input, &"-o", &out], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    assert_eq!(doc(&docs, "a.txt")["status"], "ok");
    assert_eq!(doc(&docs, "z.txt")["status"], "ok");
    let bad: Vec<_> = docs
        .iter()
        .filter(|d| d["status"] == "unreadable")
        .collect();
    assert_eq!(bad.len(), 1, "{docs:?}");
    let id = bad[0]["doc_id"].as_str().unwrap();
    // The folder that could not be read, not the root; in its place in the sorted order.
    assert!(id.starts_with("deep/aaaa") && !id.ends_with(".txt"), "{id}");
    assert_eq!(docs[1]["doc_id"], id);
    assert!(bad[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot read folder:"));
    assert!(
        r.stderr.contains(&format!("/in/{id}: cannot read folder")),
        "{}",
        r.stderr
    );
    assert_eq!(
        entry(
            &report(&out)["documents"]["skipped"],
            "status",
            "unreadable",
            "documents"
        ),
        1
    );
    assert_eq!(report(&out)["documents"]["ok"], 2);
}

#[test]
fn a_subfolder_without_permissions_is_recorded_and_the_run_goes_on() {
    if is_root() {
        eprintln!("skipped: running as root, where mode 000 does not stop reading a folder");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir_all(input.join("locked")).unwrap();
    fs::write(input.join("locked/x.txt"), udhr("spa.txt")).unwrap();
    fs::write(input.join("b.txt"), udhr("fra.txt")).unwrap();
    fs::set_permissions(input.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let out = tmp.path().join("out");
    let r = run(tmp.path(), &[&"-i", &input, &"-o", &out], None);
    fs::set_permissions(input.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    assert_eq!(doc(&docs, "locked")["status"], "unreadable");
    assert_eq!(doc(&docs, "b.txt")["status"], "ok");
    assert!(
        r.stderr.contains("/in/locked: cannot read folder"),
        "{}",
        r.stderr
    );
}

#[test]
fn fifos_and_links_are_reported_and_linked_folders_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let other = tmp.path().join("other");
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::create_dir(&other).unwrap();
    fs::write(input.join("a.txt"), udhr("fra.txt")).unwrap();
    fs::write(other.join("b.txt"), udhr("deu.txt")).unwrap();
    let fifo = CString::new(input.join("fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("nowhere.txt", input.join("gone")).unwrap();
    std::os::unix::fs::symlink("self", input.join("self")).unwrap();
    std::os::unix::fs::symlink("..", input.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(&other, input.join("linked")).unwrap();
    std::os::unix::fs::symlink("a.txt", input.join("link.txt")).unwrap();
    let out = tmp.path().join("out");
    let r = run(tmp.path(), &[&"-i", &input, &"-o", &out], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    let ids: Vec<_> = docs.iter().map(|d| d["doc_id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "a.txt",
            "fifo",
            "gone",
            "link.txt",
            "linked/b.txt",
            "self",
            "sub/up"
        ]
    );
    let status = |id| doc(&docs, id)["status"].as_str().unwrap().to_string();
    assert_eq!(status("a.txt"), "ok");
    assert_eq!(status("fifo"), "not_a_file");
    assert_eq!(status("gone"), "broken_link");
    assert_eq!(status("self"), "link_loop");
    assert_eq!(status("sub/up"), "link_loop");
    assert_eq!(status("link.txt"), "ok");
    assert_eq!(status("linked/b.txt"), "ok");
    assert!(doc(&docs, "linked/b.txt")["segments"].as_u64().unwrap() > 0);
    for (id, msg) in [
        ("fifo", "not a regular file (a FIFO); not read"),
        ("gone", "symbolic link to `nowhere.txt` cannot be followed"),
        ("self", "symbolic link to `self` cannot be followed"),
        ("sub/up", "leads back to the folder"),
    ] {
        assert!(
            r.stderr.contains(&format!("/in/{id}: {msg}")),
            "{id}: {}",
            r.stderr
        );
        assert_eq!(doc(&docs, id)["bytes"], 0);
        assert_eq!(doc(&docs, id)["sha256"], "");
    }
    let skipped = &report(&out)["documents"]["skipped"];
    assert_eq!(entry(skipped, "status", "not_a_file", "documents"), 1);
    assert_eq!(entry(skipped, "status", "broken_link", "documents"), 1);
    assert_eq!(entry(skipped, "status", "link_loop", "documents"), 2);

    // A FIFO given directly is not opened either.
    let out2 = tmp.path().join("out2");
    let r = run(
        tmp.path(),
        &[&"-i", &input.join("fifo"), &"-o", &out2],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        jsonl(&out2.join("documents.jsonl"))[0]["status"],
        "not_a_file"
    );
}

#[test]
fn ids_come_from_the_raw_bytes_and_are_unique() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let names: [(&[u8], &str); 5] = [
        (b"x\xff.txt", "fra.txt"),
        (b"x\xfe.txt", "deu.txt"),
        (b"%41.txt", "spa.txt"),
        (b"100%.txt", "por.txt"),
        ("حقوق.txt".as_bytes(), "ara.txt"),
    ];
    for (name, text) in names {
        fs::write(input.join(OsStr::from_bytes(name)), udhr(text)).unwrap();
    }
    let out = tmp.path().join("out");
    let r = run(tmp.path(), &[&"-i", &input, &"-o", &out], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    let ids: Vec<_> = docs.iter().map(|d| d["doc_id"].as_str().unwrap()).collect();
    // Sorted by the names' bytes; valid UTF-8 names unchanged.
    assert_eq!(
        ids,
        ["%2541.txt", "100%.txt", "x%FE.txt", "x%FF.txt", "حقوق.txt"]
    );
    assert!(docs[3]["source"]
        .as_str()
        .unwrap()
        .ends_with("/in/x%FF.txt"));
    let segs = jsonl(&out.join("segments.jsonl"));
    let mut seg_ids: Vec<_> = segs.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let n = seg_ids.len();
    assert!(n > 10, "{n} segments");
    seg_ids.sort_unstable();
    seg_ids.dedup();
    assert_eq!(seg_ids.len(), n, "segment ids are not unique");
    // A file given directly: its escaped name.
    let out2 = tmp.path().join("out2");
    let r = run(
        tmp.path(),
        &[
            &"-i",
            &input.join(OsStr::from_bytes(b"x\xff.txt")),
            &"-o",
            &out2,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        jsonl(&out2.join("documents.jsonl"))[0]["doc_id"],
        "x%FF.txt"
    );
}

#[test]
fn inputs_that_would_share_an_id_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("a.txt"), udhr("fra.txt")).unwrap();
    let a = input.join("a.txt");
    let out = tmp.path().join("out");
    let cases: [(&[&dyn AsRef<OsStr>], &str); 3] = [
        (
            &[&"-i", &"-", &"-i", &"-", &"-o", &out],
            "standard input (`-`) is given more than once",
        ),
        (
            &[&"-i", &a, &"-i", &a, &"-o", &out],
            "a.txt` is given twice",
        ),
        (
            &[&"-i", &input, &"-i", &a, &"-o", &out],
            "would both have the document id `a.txt`",
        ),
    ];
    for (argv, msg) in cases {
        let r = run(tmp.path(), argv, Some(udhr("tur.txt").into_bytes()));
        assert_eq!(r.code, 2, "{msg}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{msg}: {}", r.stderr);
        assert!(!out.exists(), "nothing is written");
    }
    // A file named `-` inside a folder is a file: standard input is not read (it is never
    // closed here, so reading it would hang the run).
    fs::write(input.join("-"), udhr("deu.txt")).unwrap();
    let r = run(tmp.path(), &[&"-i", &input, &"-o", &out], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    assert_eq!(doc(&docs, "-")["status"], "ok");
    assert_eq!(doc(&docs, "-")["bytes"], udhr("deu.txt").len());
}

#[test]
fn standard_input_is_bounded_by_max_file_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("p.toml");
    fs::write(&cfg, "[input]\nmax_file_bytes = 1000\n").unwrap();
    // 64 MB of real text: read whole before, it took memory and time; now 1001 bytes are read.
    let text = udhr("rus.txt");
    let mut big = Vec::new();
    while big.len() < 64 << 20 {
        big.extend_from_slice(text.as_bytes());
    }
    let expect_sha = sha_hex(&big[..1001]);
    let out = tmp.path().join("out");
    let r = run(
        tmp.path(),
        &[&"-c", &cfg, &"-i", &"-", &"-o", &out],
        Some(big),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = &jsonl(&out.join("documents.jsonl"))[0];
    assert_eq!(d["doc_id"], "-");
    assert_eq!(d["status"], "too_large");
    assert_eq!(d["bytes"], 1001);
    assert_eq!(d["sha256"], expect_sha);
    assert!(
        r.stderr
            .contains("-: file is larger than input.max_file_bytes (1000 bytes)"),
        "{}",
        r.stderr
    );
    assert_eq!(
        entry(
            &report(&out)["documents"]["skipped"],
            "status",
            "too_large",
            "documents"
        ),
        1
    );
    // Within the limit it is read as before.
    let small = "Всеобщая декларация прав человека.\n".as_bytes().to_vec();
    let out2 = tmp.path().join("out2");
    let r = run(
        tmp.path(),
        &[&"-c", &cfg, &"-i", &"-", &"-o", &out2],
        Some(small.clone()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = &jsonl(&out2.join("documents.jsonl"))[0];
    assert_eq!(d["status"], "ok");
    assert_eq!(d["bytes"], small.len());
}

#[test]
fn thread_counts_are_capped_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("a.txt"), udhr("fra.txt")).unwrap();
    fs::write(input.join("b.txt"), udhr("heb.txt")).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = tmp.path().join("out");
    let r = run(
        tmp.path(),
        &[&"-i", &input, &"-o", &out, &"--threads", &"10000"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "10000 threads requested, more than 4 per available core ({cores}): using {}",
            4 * cores
        )),
        "{}",
        r.stderr
    );
    assert_eq!(timing(&out)["threads"], 4 * cores);
    assert!(r.secs < 60.0, "{} s", r.secs);
    // Within the cap, as asked, and no warning.
    let out2 = tmp.path().join("out2");
    let r = run(
        tmp.path(),
        &[&"-i", &input, &"-o", &out2, &"--threads", &"2"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("threads requested"), "{}", r.stderr);
    assert_eq!(timing(&out2)["threads"], 2);
}

#[test]
fn failed_files_have_the_size_and_hash_of_what_was_read() {
    use flate2::write::GzEncoder;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(udhr("vie.txt").as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    // A gzip file cut in the middle, and a .zst file that is not zstd.
    let cut = gz[..gz.len() / 2].to_vec();
    fs::write(input.join("cut.txt.gz"), &cut).unwrap();
    let not_zstd = udhr("hin.txt").into_bytes()[..1000].to_vec();
    fs::write(input.join("plain.txt.zst"), &not_zstd).unwrap();
    // A whole gzip file that expands beyond max_file_bytes.
    fs::write(input.join("whole.txt.gz"), &gz).unwrap();
    let cfg = tmp.path().join("p.toml");
    fs::write(
        &cfg,
        format!("[input]\nmax_file_bytes = {}\n", udhr("vie.txt").len() - 1),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let r = run(tmp.path(), &[&"-c", &cfg, &"-i", &input, &"-o", &out], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = jsonl(&out.join("documents.jsonl"));
    for (id, status, bytes) in [
        ("cut.txt.gz", "decompress_error", &cut),
        ("plain.txt.zst", "decompress_error", &not_zstd),
        ("whole.txt.gz", "too_large", &gz),
    ] {
        let d = doc(&docs, id);
        assert_eq!(d["status"], status, "{d}");
        assert_eq!(d["bytes"], bytes.len(), "{d}");
        assert_eq!(d["sha256"], sha_hex(bytes), "{d}");
    }
    assert!(r.stderr.contains("cut.txt.gz: byte "), "{}", r.stderr);
    let total: u64 = [&cut, &not_zstd, &gz].iter().map(|b| b.len() as u64).sum();
    assert_eq!(report(&out)["bytes"], total);
}
