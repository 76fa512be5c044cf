//! Inputs: which files a run reads, and their bytes (decompressed when `.gz` or `.zst`).
//!
//! Folders are walked recursively in sorted order, so the input order — which decides which copy
//! of a duplicate is kept — does not depend on the file system. A document's id is its path
//! relative to the input root it was found under (`/` separated); a file given directly is its own
//! root, so its id is its file name; standard input is `-`.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a document's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Stdin,
}

/// One input document, before it is read.
#[derive(Debug, Clone)]
pub struct InputDoc {
    pub id: String,
    /// The path as given (joined with the root), for messages and `source`.
    pub source: String,
    pub origin: Source,
}

/// A failure to list the inputs: fatal for the run.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read input: {source}")]
    Root {
        path: String,
        source: std::io::Error,
    },
}

/// Lists the documents under `roots`, in order: roots in the order given, files sorted by path.
/// Hidden files and folders (starting with `.`) are skipped when walking a folder.
pub fn list_inputs(roots: &[PathBuf]) -> Result<Vec<InputDoc>, InputError> {
    let mut docs = Vec::new();
    for root in roots {
        if root.as_os_str() == "-" {
            docs.push(InputDoc {
                id: "-".into(),
                source: "-".into(),
                origin: Source::Stdin,
            });
            continue;
        }
        let meta = std::fs::metadata(root).map_err(|e| InputError::Root {
            path: root.display().to_string(),
            source: e,
        })?;
        if meta.is_file() {
            let id = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.display().to_string());
            docs.push(InputDoc {
                id,
                source: root.display().to_string(),
                origin: Source::File(root.clone()),
            });
            continue;
        }
        let mut files = Vec::new();
        walk(root, &mut files).map_err(|e| InputError::Root {
            path: root.display().to_string(),
            source: e,
        })?;
        files.sort();
        for f in files {
            let rel = f.strip_prefix(root).unwrap_or(&f);
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            docs.push(InputDoc {
                id,
                source: f.display().to_string(),
                origin: Source::File(f),
            });
        }
    }
    Ok(docs)
}

#[cfg(any(test, feature = "internals"))]
/// The files under `dir` (or `dir` itself when it is a file), in the order a run reads them; for
/// benchmarks and tools. Unreadable folders give an empty list.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    list_inputs(&[dir.to_path_buf()])
        .map(|docs| {
            docs.into_iter()
                .filter_map(|d| match d.origin {
                    Source::File(p) => Some(p),
                    Source::Stdin => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

/// Why a document's bytes could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(std::io::Error),
    #[error("file is larger than input.max_file_bytes ({0} bytes)")]
    TooLarge(u64),
    #[error("byte {offset} of the decompressed stream: cannot decompress: {message}")]
    Decompress { offset: usize, message: String },
}

impl ReadError {
    pub fn status(&self) -> &'static str {
        match self {
            ReadError::Io(_) => "unreadable",
            ReadError::TooLarge(_) => "too_large",
            ReadError::Decompress { .. } => "decompress_error",
        }
    }
}

/// Reads a document's bytes; `.gz` and `.zst` files are decompressed.
pub fn read_doc(
    doc: &InputDoc,
    max_bytes: u64,
    stdin: Option<&[u8]>,
) -> Result<Vec<u8>, ReadError> {
    let raw = match &doc.origin {
        Source::Stdin => stdin.unwrap_or_default().to_vec(),
        Source::File(p) => {
            let len = std::fs::metadata(p).map_err(ReadError::Io)?.len();
            if len > max_bytes {
                return Err(ReadError::TooLarge(max_bytes));
            }
            std::fs::read(p).map_err(ReadError::Io)?
        }
    };
    let name = doc.id.to_ascii_lowercase();
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        let mut d = flate2::read::MultiGzDecoder::new(&raw[..]);
        return match (&mut d).take(max_bytes + 1).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 > max_bytes => Err(ReadError::TooLarge(max_bytes)),
            Ok(_) => Ok(out),
            Err(e) => Err(ReadError::Decompress {
                offset: out.len(),
                message: e.to_string(),
            }),
        };
    }
    if name.ends_with(".zst") {
        let mut out = Vec::new();
        let mut d = match ruzstd::StreamingDecoder::new(&raw[..]) {
            Ok(d) => d,
            Err(e) => {
                return Err(ReadError::Decompress {
                    offset: 0,
                    message: e.to_string(),
                })
            }
        };
        return match (&mut d).take(max_bytes + 1).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 > max_bytes => Err(ReadError::TooLarge(max_bytes)),
            Ok(_) => Ok(out),
            Err(e) => Err(ReadError::Decompress {
                offset: out.len(),
                message: e.to_string(),
            }),
        };
    }
    Ok(raw)
}
