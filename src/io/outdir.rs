//! The output folder of a run: locked against other runs, filled in a staging folder beside it,
//! and swapped in whole when the run has succeeded.
//!
//! A run writes its files into `.NAME.staging-PID`, a hidden sibling of the output folder `NAME`
//! (same parent, so the same file system). On success the two folders are exchanged in one
//! `renameat2(RENAME_EXCHANGE)` call, so a reader, a full disk or a `kill -9` sees either the
//! whole previous output or the whole new one, never a mix. The previous folder, now under the
//! staging name, is then removed. Where the exchange is not available (not Linux, or a file
//! system without it) the folder is renamed aside and the new one renamed in; a crash between
//! the two renames leaves the previous output under `.NAME.old-PID`, which the next run puts
//! back before it starts. Where the parent folder cannot be written, the files are staged inside
//! the output folder and renamed one by one, with a warning that the commit is not atomic.
//!
//! Entries of the output folder that the run does not write (a `.gitkeep`, a user's notes) are
//! carried into the new folder: files by hard link, folders by a rename just before the swap.
//!
//! Two runs never write into one folder: each holds an exclusive `flock` on the output folder
//! and on its staging folder for its whole life. The kernel drops the locks of a process that
//! dies, so the folder of a killed run is free at once; the next run recognizes the staging
//! folders whose lock is free as leftovers, puts back what is not output, and removes them.

use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::output::OutputError;

/// The files every run writes, the report last.
pub const OUTPUT_FILES: [&str; 4] = [
    "segments.jsonl",
    "duplicates.jsonl",
    "documents.jsonl",
    "report.json",
];

/// Output files (some compressed: `.zst`, `.gz`) that a run may write beside [`OUTPUT_FILES`]
/// depending on `[output]`, and the folders it may write (`segments/`, `text/`).
const OPTIONAL_FILES: [&str; 7] = [
    "texts.jsonl",
    "segments.parquet",
    "report.html",
    "timing.json",
    // The files of a shard folder (`run --shard`).
    super::shard::MANIFEST,
    super::shard::RECORDS,
    super::shard::FINGERPRINTS,
];
const OUTPUT_FOLDERS: [&str; 2] = ["segments", "text"];

/// Whether `name` is an entry some run writes (with any `[output]` options): it belongs to the
/// output set, is replaced by each run and never carried over.
pub fn is_output(name: &std::ffi::OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let base = name
        .strip_suffix(".zst")
        .or_else(|| name.strip_suffix(".gz"))
        .unwrap_or(name);
    OUTPUT_FILES.contains(&base) || OPTIONAL_FILES.contains(&base) || OUTPUT_FOLDERS.contains(&name)
}

/// Removes a file or a whole folder.
fn remove_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// The output folder of one run, locked, with the folder its files are staged in.
#[derive(Debug)]
pub struct OutputDir {
    dest: PathBuf,
    staging: PathBuf,
    /// Files are staged inside `dest` and renamed one by one (the parent is not writable).
    in_place: bool,
    /// The lock on `dest` and the one on `staging`; released when dropped.
    _locks: Vec<File>,
}

fn oerr(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError {
        path: path.display().to_string(),
        source,
    }
}

/// How taking a lock went.
enum Lock {
    Held(File),
    /// Another process holds it.
    Busy,
}

/// Takes an exclusive lock on the folder `dir` without waiting. File systems without `flock`
/// (some network mounts) answer with an error other than "would block": the run then goes on
/// unlocked, which is what it did before locks existed.
fn lock_dir(dir: &Path) -> std::io::Result<Lock> {
    let f = File::open(dir)?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `flock` on a file descriptor this function owns; no memory is passed.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::WouldBlock {
                return Ok(Lock::Busy);
            }
        }
    }
    Ok(Lock::Held(f))
}

/// Whether `f` (an open folder) is still the folder at `path`: another run may have swapped a
/// new folder in between the open and the lock.
fn same_folder(f: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (f.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (f, path);
        true
    }
}

/// Exchanges the folders `a` and `b` in one step; `Ok(false)` when the system cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes())?;
        let cb = CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two NUL-terminated paths that live across the call; the call reads them only.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Makes sure a folder's entries and its own entry are on disk.
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

impl OutputDir {
    /// Creates the output folder `dest` if needed, locks it, cleans up after killed runs and
    /// makes a fresh staging folder. Fails when another run holds the folder.
    pub fn open(dest: &Path) -> Result<OutputDir, OutputError> {
        // A symlinked output folder: the folder it points to is the one swapped.
        let resolved;
        let dest = match std::fs::symlink_metadata(dest) {
            Ok(m) if m.file_type().is_symlink() => {
                resolved = std::fs::canonicalize(dest).map_err(oerr(dest))?;
                resolved.as_path()
            }
            _ => dest,
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| OutputError {
                path: dest.display().to_string(),
                source: std::io::Error::new(ErrorKind::InvalidInput, "not a folder name"),
            })?;
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // A run killed between the two renames of the fallback left no `dest`: put it back.
        if !dest.exists() {
            if let Some(old) = leftovers(&parent, &name, "old").into_iter().next() {
                let _ = std::fs::rename(&old, dest);
            }
        }
        std::fs::create_dir_all(dest).map_err(oerr(dest))?;
        let mut locks = Vec::new();
        for attempt in 0.. {
            match lock_dir(dest).map_err(oerr(dest))? {
                Lock::Busy => return Err(busy(dest)),
                Lock::Held(f) if same_folder(&f, dest) => {
                    locks.push(f);
                    break;
                }
                Lock::Held(_) if attempt < 8 => continue,
                Lock::Held(_) => return Err(busy(dest)),
            }
        }
        for dead in leftovers(&parent, &name, "staging") {
            recover(&dead, dest);
        }
        for old in leftovers(&parent, &name, "old") {
            let _ = std::fs::remove_dir_all(&old);
        }
        // Temporary files of earlier versions, which staged inside the folder.
        for f in OUTPUT_FILES {
            let _ = std::fs::remove_file(dest.join(format!(".{f}.tmp")));
        }
        // Staging folders of an earlier version's in-place fallback, inside the folder.
        for dead in leftovers(dest, "", "staging") {
            recover(&dead, dest);
        }
        // The staging folder: beside `dest`, unless `dest` is a mount point (another file
        // system) or the parent cannot be written; then inside `dest`.
        let own_fs = same_device(dest, &parent);
        let pid = std::process::id();
        let (staging, in_place) = match fresh_dir(&parent, &format!(".{name}.staging-{pid}")) {
            Ok(p) if own_fs => (p, false),
            Ok(p) => {
                let _ = std::fs::remove_dir(&p);
                (
                    fresh_dir(dest, &format!("..staging-{pid}")).map_err(oerr(dest))?,
                    true,
                )
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                (
                    fresh_dir(dest, &format!("..staging-{pid}")).map_err(oerr(dest))?,
                    true,
                )
            }
            Err(e) => return Err(oerr(&parent)(e)),
        };
        if let Ok(Lock::Held(f)) = lock_dir(&staging) {
            locks.push(f);
        }
        Ok(OutputDir {
            dest: dest.to_path_buf(),
            staging,
            in_place,
            _locks: locks,
        })
    }

    /// Where a run into this folder keeps its checkpoint (see `checkpoint`): the hidden sibling
    /// `.NAME.resume`, or `..resume` inside the folder when files are staged there. The folder's
    /// lock covers it.
    pub fn checkpoint_dir(&self) -> PathBuf {
        let name = self
            .dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match self.dest.parent() {
            Some(p) if !self.in_place && !name.is_empty() => p.join(format!(".{name}.resume")),
            _ => self.dest.join("..resume"),
        }
    }

    /// The folder the run writes its files into.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Whether the commit will rename files one by one (the parent folder is not writable).
    pub fn is_in_place(&self) -> bool {
        self.in_place
    }

    /// Puts the staged files in place, all at once where the system allows. The staged files
    /// must be complete and synced.
    pub fn commit(self) -> Result<(), OutputError> {
        sync_dir(&self.staging);
        if self.in_place {
            // Output of an earlier run that this one does not write (other options) goes.
            if let Ok(entries) = std::fs::read_dir(&self.dest) {
                for e in entries.flatten() {
                    let name = e.file_name();
                    if is_output(&name) && !self.staging.join(&name).exists() {
                        let _ = remove_entry(&e.path());
                    }
                }
            }
            let mut staged: Vec<_> = std::fs::read_dir(&self.staging)
                .map_err(oerr(&self.staging))?
                .flatten()
                .map(|e| e.file_name())
                .collect();
            // The report last, as in the staging folder.
            staged.sort_by_key(|n| n == "report.json");
            for name in staged {
                let from = self.staging.join(&name);
                let to = self.dest.join(&name);
                if from.is_dir() && to.is_dir() {
                    std::fs::remove_dir_all(&to).map_err(oerr(&to))?;
                }
                std::fs::rename(&from, &to).map_err(oerr(&to))?;
            }
            let _ = std::fs::remove_dir_all(&self.staging);
            sync_dir(&self.dest);
            return Ok(());
        }
        self.carry_over()?;
        sync_dir(&self.staging);
        if exchange(&self.staging, &self.dest).map_err(oerr(&self.dest))? {
            // The previous output is now under the staging name.
            let _ = std::fs::remove_dir_all(&self.staging);
        } else {
            let name = self.dest.file_name().unwrap_or_default().to_string_lossy();
            let old = self
                .staging
                .with_file_name(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(&self.dest, &old).map_err(oerr(&self.dest))?;
            std::fs::rename(&self.staging, &self.dest).map_err(oerr(&self.dest))?;
            let _ = std::fs::remove_dir_all(&old);
        }
        if let Some(parent) = self.dest.parent() {
            sync_dir(if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            });
        }
        Ok(())
    }

    /// Brings the entries of the output folder that are not output into the staging folder:
    /// files by hard link (the originals stay until the swap), the rest by rename.
    fn carry_over(&self) -> Result<(), OutputError> {
        let Ok(entries) = std::fs::read_dir(&self.dest) else {
            return Ok(());
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if is_output(&name) || self.staging.join(&name).exists() {
                continue;
            }
            let to = self.staging.join(&name);
            let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
            if !(is_file && std::fs::hard_link(e.path(), &to).is_ok()) {
                std::fs::rename(e.path(), &to).map_err(oerr(&e.path()))?;
            }
        }
        Ok(())
    }

    /// Removes the staging folder of a failed run, putting back what is not output. The
    /// previous output is left as it was.
    pub fn abandon(self) {
        recover(&self.staging, &self.dest);
    }
}

/// A new, empty folder `dir/NAME` (or `NAME.1`, `NAME.2`, … when one is left over).
fn fresh_dir(dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    let mut k = 0;
    loop {
        let p = match k {
            0 => dir.join(name),
            _ => dir.join(format!("{name}.{k}")),
        };
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && k < 100 => k += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Whether the folders `a` and `b` are on the same file system (a rename between them works).
fn same_device(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev(),
            _ => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

fn busy(dest: &Path) -> OutputError {
    OutputError {
        path: dest.display().to_string(),
        source: std::io::Error::new(
            ErrorKind::WouldBlock,
            "another scriptorium run is writing to this folder (it holds the folder's lock)",
        ),
    }
}

/// The folders `.NAME.KIND-*` in `parent` whose lock no live process holds, in name order.
fn leftovers(parent: &Path, name: &str, kind: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.{kind}-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| matches!(lock_dir(p), Ok(Lock::Held(_))))
        .collect();
    found.sort();
    found
}

/// Empties the staging folder `staging` of a run that did not commit: its output files go, any
/// other entry (carried over from `dest` before the run stopped) goes back to `dest`.
fn recover(staging: &Path, dest: &Path) {
    if let Ok(entries) = std::fs::read_dir(staging) {
        for e in entries.flatten() {
            let name = e.file_name();
            let ours = is_output(&name) || name.to_string_lossy().ends_with(".tmp");
            let back = dest.join(&name);
            if ours {
                let _ = remove_entry(&e.path());
            } else if back.exists() {
                // A hard link of a file still in `dest`, or a copy already put back.
                let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
                if is_file {
                    let _ = std::fs::remove_file(e.path());
                }
            } else {
                let _ = std::fs::rename(e.path(), &back);
            }
        }
    }
    // Left in place if something could not be put back: nothing of the user's is deleted.
    let _ = std::fs::remove_dir(staging);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_set(dir: &Path, tag: &str) {
        for f in OUTPUT_FILES {
            std::fs::write(dir.join(f), format!("{tag} {f}\n")).unwrap();
        }
    }

    fn read(dir: &Path, f: &str) -> String {
        std::fs::read_to_string(dir.join(f)).unwrap_or_default()
    }

    #[test]
    fn commit_swaps_the_whole_set_and_keeps_foreign_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("processed");
        let out = OutputDir::open(&dest).unwrap();
        write_set(out.staging(), "first");
        out.commit().unwrap();
        assert_eq!(read(&dest, "report.json"), "first report.json\n");
        std::fs::write(dest.join(".gitkeep"), "").unwrap();
        std::fs::create_dir(dest.join("notes")).unwrap();
        std::fs::write(dest.join("notes/a.txt"), "mine").unwrap();

        let out = OutputDir::open(&dest).unwrap();
        write_set(out.staging(), "second");
        // Before the commit the previous set is whole.
        for f in OUTPUT_FILES {
            assert_eq!(read(&dest, f), format!("first {f}\n"));
        }
        out.commit().unwrap();
        for f in OUTPUT_FILES {
            assert_eq!(read(&dest, f), format!("second {f}\n"));
        }
        assert!(dest.join(".gitkeep").exists());
        assert_eq!(read(&dest, "notes/a.txt"), "mine");
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["processed"], "no staging folder left");
    }

    #[test]
    fn abandon_leaves_the_previous_set() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        let out = OutputDir::open(&dest).unwrap();
        write_set(out.staging(), "first");
        out.commit().unwrap();
        let out = OutputDir::open(&dest).unwrap();
        std::fs::write(out.staging().join("segments.jsonl"), "half").unwrap();
        out.abandon();
        for f in OUTPUT_FILES {
            assert_eq!(read(&dest, f), format!("first {f}\n"));
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        let first = OutputDir::open(&dest).unwrap();
        let e = OutputDir::open(&dest).unwrap_err();
        assert_eq!(e.source.kind(), ErrorKind::WouldBlock, "{e}");
        drop(first);
        // Released with the first run (as by a kill): the folder is free again.
        OutputDir::open(&dest).unwrap().abandon();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_cleaned_and_foreign_entries_put_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        write_set(&dest, "first");
        // A killed run: staging folder with half its files and a folder carried over.
        let dead = tmp.path().join(".out.staging-999999");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("segments.jsonl"), "half").unwrap();
        std::fs::create_dir(dead.join("notes")).unwrap();
        let out = OutputDir::open(&dest).unwrap();
        assert!(!dead.exists());
        assert!(dest.join("notes").is_dir());
        assert_eq!(read(&dest, "segments.jsonl"), "first segments.jsonl\n");
        out.abandon();
    }

    #[test]
    fn a_missing_folder_is_put_back_from_the_fallback_rename() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        let old = tmp.path().join(".out.old-999999");
        std::fs::create_dir(&old).unwrap();
        write_set(&old, "first");
        let out = OutputDir::open(&dest).unwrap();
        assert_eq!(read(&dest, "report.json"), "first report.json\n");
        assert!(!old.exists());
        out.abandon();
    }
}
