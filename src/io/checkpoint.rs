//! The checkpoint of a run: what a run killed at any moment has done, so that the same command
//! started again goes on from there and writes the output an uninterrupted run writes.
//!
//! While a run works, every document that leaves the workers goes, in input order and before
//! any dedup decision, into a records file of the shard format (`shard-records.bin`, see
//! `shard`) in the checkpoint folder beside the output folder (`.NAME.resume`, see
//! `OutputDir::checkpoint_dir`). Its dedup fingerprints are not kept: they are a function of the
//! record (the clean text and the segments) and are computed again when it is replayed, which
//! costs less than writing them (they are larger than the records). Now and then (every 250 ms
//! or 8 MiB) the run hands the buffered frames to the system and appends a *mark* to
//! `progress.bin`: how many items of work (text files, records of collections) are done, how
//! many documents they gave and how long the file was then. A mark is 32 bytes with its own check, written
//! after the frames it counts, so the last whole mark always describes whole frames; a torn
//! mark or frame after it is cut off. `checkpoint.json` holds the key of the run: the
//! configuration (what changes the output), the program version and the inputs (ids, paths,
//! sizes and modification times). A run whose key differs starts afresh.
//!
//! A run started again with the same key replays the checkpoint's documents through the dedup
//! decisions and the writer (as `merge` replays shards; nothing is processed again), then
//! processes the items after the mark. The dedup decisions are made in input order either way,
//! so the output is the same, byte for byte. After the commit the checkpoint is removed.
//!
//! Marks survive a killed process (the frames are in the system's page cache); they are not
//! synced to the disk, so a machine that loses power may lose the last seconds of a checkpoint
//! or, rarely, find a mark whose frames did not reach the disk: the replay then fails its
//! checksums and the run starts afresh.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::output::OutputError;
use super::shard::{encode_record, oerr, Enc, FrameFile, ShardDocs, RECORDS, RECORDS_MAGIC};
use crate::stages::ProcessedDoc;

/// The file holding the run's key.
const KEY_FILE: &str = "checkpoint.json";
/// The file of marks.
const MARKS: &str = "progress.bin";
/// Bytes of one mark: three counts and a check.
const MARK_BYTES: usize = 32;
/// A mark is written when this much time has passed since the last one…
const MARK_EVERY: Duration = Duration::from_millis(250);
/// …or when this many bytes of frames are unmarked.
const MARK_BYTES_EVERY: u64 = 8 << 20;

/// What the last mark says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    /// Items of work done (text inputs, records of collections, bad collections), in order.
    pub items: u64,
    /// Documents those items gave.
    pub documents: u64,
    records_len: u64,
}

impl Mark {
    fn bytes(&self) -> [u8; MARK_BYTES] {
        let mut b = [0u8; MARK_BYTES];
        for (k, v) in [self.items, self.documents, self.records_len]
            .into_iter()
            .enumerate()
        {
            b[8 * k..8 * k + 8].copy_from_slice(&v.to_le_bytes());
        }
        let check = xxhash_rust::xxh3::xxh3_64(&b[..24]);
        b[24..].copy_from_slice(&check.to_le_bytes());
        b
    }

    fn parse(b: &[u8]) -> Option<Mark> {
        let word = |k: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[8 * k..8 * k + 8]);
            u64::from_le_bytes(w)
        };
        (b.len() == MARK_BYTES && xxhash_rust::xxh3::xxh3_64(&b[..24]) == word(3)).then(|| Mark {
            items: word(0),
            documents: word(1),
            records_len: word(2),
        })
    }
}

/// The documents of a checkpoint, in input order, to replay; then the items to skip.
pub struct Replay {
    /// The mark the checkpoint resumes from.
    pub mark: Mark,
    docs: ShardDocs,
    left: u64,
}

impl Replay {
    /// The next document to replay, without its fingerprints; `None` after the last the mark
    /// counts.
    pub fn next_doc(&mut self) -> Result<Option<ProcessedDoc>, super::shard::ShardError> {
        if self.left == 0 {
            return Ok(None);
        }
        match self.docs.next_doc()? {
            Some(p) => {
                self.left -= 1;
                Ok(Some(p))
            }
            None => Err(super::shard::ShardError {
                path: RECORDS.into(),
                message: format!("the checkpoint ends {} documents early", self.left),
            }),
        }
    }
}

/// A checkpoint being written.
pub struct Checkpoint {
    dir: PathBuf,
    records: FrameFile,
    marks: File,
    enc: Enc,
    at: Mark,
    marked: Mark,
    last_mark: Instant,
    unmarked: u64,
}

impl Checkpoint {
    /// Opens the checkpoint folder `dir` for a run with `key`: the checkpoint there, if `resume`
    /// and it was written with the same key and has a whole mark, with what to replay; else a
    /// fresh one (whatever was there is removed).
    pub fn open(
        dir: &Path,
        key: &str,
        resume: bool,
    ) -> Result<(Checkpoint, Option<Replay>), OutputError> {
        match if resume {
            Self::resume(dir, key)
        } else {
            Ok(None)
        } {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => {
                eprintln!("scriptorium: the checkpoint cannot be used ({e}): starting afresh")
            }
        }
        Self::fresh(dir, key).map(|c| (c, None))
    }

    fn fresh(dir: &Path, key: &str) -> Result<Checkpoint, OutputError> {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(oerr(dir, e)),
        }
        std::fs::create_dir_all(dir).map_err(|e| oerr(dir, e))?;
        let records = FrameFile::create(dir, RECORDS, RECORDS_MAGIC)?;
        let marks_path = dir.join(MARKS);
        let marks = File::create(&marks_path).map_err(|e| oerr(&marks_path, e))?;
        // The key last: a folder without it is never resumed.
        let key_path = dir.join(KEY_FILE);
        let text = serde_json::json!({"format": "scriptorium-checkpoint", "key": key}).to_string();
        std::fs::write(&key_path, text + "\n").map_err(|e| oerr(&key_path, e))?;
        let start = Mark {
            records_len: 12,
            ..Mark::default()
        };
        Ok(Checkpoint {
            dir: dir.to_path_buf(),
            records,
            marks,
            enc: Enc::default(),
            at: start,
            marked: start,
            last_mark: Instant::now(),
            unmarked: 0,
        })
    }

    /// The checkpoint in `dir` if its key is `key` and it has a whole mark.
    fn resume(dir: &Path, key: &str) -> Result<Option<(Checkpoint, Option<Replay>)>, OutputError> {
        let key_path = dir.join(KEY_FILE);
        let Ok(text) = std::fs::read_to_string(&key_path) else {
            return Ok(None);
        };
        let same = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("key").and_then(|k| k.as_str()).map(|k| k == key))
            .unwrap_or(false);
        if !same {
            return Ok(None);
        }
        let marks_path = dir.join(MARKS);
        let mut marks = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&marks_path)
            .map_err(|e| oerr(&marks_path, e))?;
        let mut all = Vec::new();
        marks
            .read_to_end(&mut all)
            .map_err(|e| oerr(&marks_path, e))?;
        let Some((k, mark)) = all
            .chunks_exact(MARK_BYTES)
            .enumerate()
            .rev()
            .find_map(|(k, b)| Mark::parse(b).map(|m| (k, m)))
        else {
            return Ok(None);
        };
        if mark.items == 0 {
            return Ok(None);
        }
        // What follows the last whole mark (a torn mark) goes.
        marks
            .set_len(((k + 1) * MARK_BYTES) as u64)
            .map_err(|e| oerr(&marks_path, e))?;
        let records = FrameFile::append(dir, RECORDS, RECORDS_MAGIC, mark.records_len)?;
        let docs = ShardDocs::open_records(dir)
            .map_err(|e| oerr(dir, std::io::Error::other(e.to_string())))?;
        let replay = Replay {
            mark,
            docs,
            left: mark.documents,
        };
        Ok(Some((
            Checkpoint {
                dir: dir.to_path_buf(),
                records,
                marks,
                enc: Enc::default(),
                at: mark,
                marked: mark,
                last_mark: Instant::now(),
                unmarked: 0,
            },
            Some(replay),
        )))
    }

    /// Appends the next document in input order.
    pub fn document(&mut self, p: &ProcessedDoc) -> Result<(), OutputError> {
        self.enc.0.clear();
        encode_record(&mut self.enc, p);
        self.records.frame(&self.enc.0)?;
        self.unmarked += self.enc.0.len() as u64;
        self.at.documents += 1;
        Ok(())
    }

    /// Counts one item of work as done (its documents all given to `document`); marks it when
    /// the last mark is old enough.
    pub fn item_done(&mut self) -> Result<(), OutputError> {
        self.at.items += 1;
        if self.unmarked >= MARK_BYTES_EVERY || self.last_mark.elapsed() >= MARK_EVERY {
            self.mark()?;
        }
        Ok(())
    }

    /// Writes a mark of everything given so far.
    pub fn mark(&mut self) -> Result<(), OutputError> {
        if self.at == self.marked {
            return Ok(());
        }
        self.at.records_len = self.records.flush()?;
        let path = self.dir.join(MARKS);
        self.marks
            .write_all(&self.at.bytes())
            .map_err(|e| oerr(&path, e))?;
        self.marked = self.at;
        self.last_mark = Instant::now();
        self.unmarked = 0;
        Ok(())
    }

    /// Removes the checkpoint (the run has committed its output, or gives up).
    pub fn remove(self) {
        let dir = self.dir.clone();
        drop(self);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The key of a run over `inputs` with the configuration hash `config`: the inputs' ids and
/// paths, and for files their size and modification time (a file changed since the checkpoint
/// is processed again: the run starts afresh).
pub fn run_key(config: &str, inputs: &[crate::io::input::InputDoc]) -> String {
    use crate::io::input::Source;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(config.as_bytes());
    h.update(&(inputs.len() as u64).to_le_bytes());
    for d in inputs {
        for s in [&d.id, &d.source] {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        let (len, mtime) = match &d.origin {
            Source::File(p) => std::fs::metadata(p)
                .map(|m| {
                    let t = m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos());
                    (m.len(), t)
                })
                .unwrap_or((u64::MAX, 0)),
            _ => (0, 0),
        };
        h.update(&len.to_le_bytes());
        h.update(&mtime.to_le_bytes());
    }
    format!("{:032x}", h.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_mark_is_not_read_and_the_last_whole_one_is() {
        let a = Mark {
            items: 3,
            documents: 5,
            records_len: 100,
        };
        let b = Mark { items: 4, ..a };
        assert_eq!(Mark::parse(&a.bytes()), Some(a));
        let mut torn = b.bytes();
        torn[3] ^= 1;
        assert_eq!(Mark::parse(&torn), None);
        assert_eq!(Mark::parse(&b.bytes()[..20]), None);
    }
}
