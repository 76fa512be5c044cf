//! Output: the JSONL files and the report, written atomically.
//!
//! Each file is written to a hidden temporary name in the output folder and renamed over the
//! final name only when the whole run has succeeded, so an interrupted run never leaves a
//! truncated file that looks finished. Lines are serialized from borrowed slices of the
//! documents' texts; field order is fixed, so the output is byte-for-byte deterministic.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::doc::Segment;

/// A failure to write the output: fatal for the run.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write output: {source}")]
pub struct OutputError {
    pub path: String,
    pub source: std::io::Error,
}

fn oerr(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError {
        path: path.display().to_string(),
        source,
    }
}

/// One output file being written under a temporary name.
struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    w: BufWriter<File>,
}

impl AtomicFile {
    fn create(dir: &Path, name: &str) -> Result<AtomicFile, OutputError> {
        let dest = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let f = File::create(&tmp).map_err(oerr(&tmp))?;
        Ok(AtomicFile {
            tmp,
            dest,
            w: BufWriter::with_capacity(1 << 20, f),
        })
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), OutputError> {
        serde_json::to_writer(&mut self.w, value)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(oerr(&self.tmp))?;
        self.w.write_all(b"\n").map_err(oerr(&self.tmp))
    }

    fn commit(self) -> Result<(), OutputError> {
        let f = self.w.into_inner().map_err(|e| OutputError {
            path: self.tmp.display().to_string(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(oerr(&self.tmp))?;
        std::fs::rename(&self.tmp, &self.dest).map_err(oerr(&self.dest))
    }

    fn abandon(self) {
        drop(self.w);
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// A segment line of `segments.jsonl`, borrowed from its document.
#[derive(Serialize)]
struct SegmentLine<'a> {
    id: &'a str,
    doc_id: &'a str,
    seq: u32,
    kind: &'static str,
    paragraph: usize,
    text: &'a str,
    lang: &'static str,
    lang_confidence: f64,
    lang_source: &'static str,
    script: &'static str,
    direction: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    rtl_runs: &'a [(u32, u32)],
    raw_span: [usize; 2],
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    dup_of: Option<&'a str>,
    flags: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    garbled_score: Option<f64>,
}

#[derive(Serialize)]
struct DuplicateLine<'a> {
    id: &'a str,
    dup_of: &'a str,
    kind: &'static str,
    similarity: f64,
    cross_document: bool,
}

/// Rounds a score for output, so that printed values are short and stable.
pub fn round4(x: f32) -> f64 {
    ((x as f64) * 10_000.0).round() / 10_000.0
}

/// What a document contributes to `documents.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentLine {
    pub doc_id: String,
    pub source: String,
    pub bytes: u64,
    pub sha256: String,
    pub encoding: Option<&'static str>,
    pub encoding_confidence: f64,
    pub encoding_evidence: Option<&'static str>,
    pub bom: bool,
    pub invalid_sequences: usize,
    pub replacement_chars: usize,
    pub mojibake_repairs: usize,
    pub segments: usize,
    pub dropped: BTreeMap<&'static str, usize>,
    pub languages: BTreeMap<&'static str, usize>,
    pub scripts: BTreeMap<&'static str, usize>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The writer of one run's output folder.
pub struct Writer {
    segments: AtomicFile,
    duplicates: AtomicFile,
    documents: AtomicFile,
    dir: PathBuf,
    id_buf: String,
}

impl Writer {
    pub fn create(dir: &Path) -> Result<Writer, OutputError> {
        std::fs::create_dir_all(dir).map_err(oerr(dir))?;
        Ok(Writer {
            segments: AtomicFile::create(dir, "segments.jsonl")?,
            duplicates: AtomicFile::create(dir, "duplicates.jsonl")?,
            documents: AtomicFile::create(dir, "documents.jsonl")?,
            dir: dir.to_path_buf(),
            id_buf: String::new(),
        })
    }

    /// Writes one document's segments (those not dropped), its dropped duplicates, and its line.
    pub fn document(
        &mut self,
        doc: &DocumentLine,
        clean: &str,
        segs: &[Segment],
    ) -> Result<(), OutputError> {
        for (seq, s) in segs.iter().enumerate() {
            let dup_dropped = matches!(
                s.dropped,
                Some(
                    crate::doc::DropReason::ExactDuplicate | crate::doc::DropReason::NearDuplicate
                )
            );
            if s.dropped.is_some() && !dup_dropped {
                continue;
            }
            self.id_buf.clear();
            self.id_buf.push_str(&doc.doc_id);
            self.id_buf.push('#');
            self.id_buf.push_str(itoa(seq).as_str());
            if dup_dropped {
                if let Some(d) = &s.dup_of {
                    self.duplicates.line(&DuplicateLine {
                        id: &self.id_buf,
                        dup_of: &d.id,
                        kind: if d.near { "near" } else { "exact" },
                        similarity: round4(d.similarity),
                        cross_document: d.cross_document,
                    })?;
                }
                continue;
            }
            let line = SegmentLine {
                id: &self.id_buf,
                doc_id: &doc.doc_id,
                seq: seq as u32,
                kind: s.kind.name(),
                paragraph: s.block,
                text: &clean[s.text.clone()],
                lang: s.lang,
                lang_confidence: round4(s.lang_confidence),
                lang_source: s.lang_source.name(),
                script: s.script,
                direction: s.direction.name(),
                rtl_runs: &s.rtl_runs,
                raw_span: [s.raw.start, s.raw.end],
                line: s.line,
                dup_of: s.dup_of.as_ref().map(|d| d.id.as_str()),
                flags: s.flags.names().collect(),
                garbled_score: (s.garbled_score > 0.0).then(|| round4(s.garbled_score)),
            };
            self.segments.line(&line)?;
        }
        self.documents.line(doc)
    }

    /// Writes the report and renames every file into place.
    pub fn commit<T: Serialize>(self, report: &T) -> Result<(), OutputError> {
        let path = self.dir.join(".report.json.tmp");
        let mut text = serde_json::to_string_pretty(report)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(oerr(&path))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(oerr(&path))?;
        self.segments.commit()?;
        self.duplicates.commit()?;
        self.documents.commit()?;
        let dest = self.dir.join("report.json");
        std::fs::rename(&path, &dest).map_err(oerr(&dest))
    }

    /// Removes the temporary files of a failed run.
    pub fn abandon(self) {
        self.segments.abandon();
        self.duplicates.abandon();
        self.documents.abandon();
    }
}

fn itoa(n: usize) -> String {
    n.to_string()
}
