//! Inputs: which files a run reads, and their bytes (decompressed when `.gz` or `.zst`).
//!
//! Folders are walked recursively in sorted order (names compared byte by byte), so the input
//! order — which decides which copy of a duplicate is kept — does not depend on the file system.
//! A document's id is its path relative to the input root it was found under (`/` separated); a
//! file given directly is its own root, so its id is its file name; standard input is `-`. Names
//! are taken from their raw bytes and escaped reversibly ([`escape_bytes`]), so ids are unique;
//! two inputs that would share an id are refused before anything is read.
//!
//! Every entry of a walked folder that is not read is still listed, with the status that says
//! why ([`Source::Skipped`]): a folder or entry that cannot be read (`unreadable`), a FIFO,
//! socket or device (`not_a_file`; never opened, so a FIFO cannot block the run), a symbolic
//! link that does not resolve (`broken_link`) or that leads into a loop (`link_loop`).
//! Symbolic links to folders are followed; a folder that is one of its own ancestors (by device
//! and inode) is not walked again. Hidden entries (names starting with `.`) are skipped.

use std::collections::HashMap;
use std::fs::{self, DirEntry, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a document's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Stdin,
    /// An entry listed but not read: its `documents.jsonl` status and the reason.
    Skipped {
        status: &'static str,
        reason: String,
    },
}

/// One input document, before it is read.
#[derive(Debug, Clone)]
pub struct InputDoc {
    pub id: String,
    /// The path as given (joined with the root), for messages and `source`; escaped like ids.
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
    /// Two inputs would have the same document id (the same file given twice, `-` given twice,
    /// or files with the same relative path under two roots).
    #[error("{message}")]
    DuplicateId { message: String },
}

impl InputError {
    /// Whether the error is a mistake in the command line or configuration (exit status 2)
    /// rather than a failure of the run.
    pub fn is_usage(&self) -> bool {
        matches!(self, InputError::DuplicateId { .. })
    }
}

/// Escapes a name's raw bytes into an id: valid UTF-8 is kept as it is, each byte that is not
/// part of valid UTF-8 becomes `%XX` (two upper-case hexadecimal digits), and a `%` that is
/// followed by two hexadecimal digits becomes `%25`. Reversible: in the result, `%` followed by
/// two hexadecimal digits is that byte, any other `%` is itself. Names that are valid UTF-8 and
/// have no `%` followed by two hexadecimal digits are unchanged.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                push_escaped_text(&mut out, s);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // `valid` is valid UTF-8 by construction.
                push_escaped_text(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len()).max(1);
                for b in &after[..bad] {
                    push_hex_byte(&mut out, *b);
                }
                rest = &after[bad..];
            }
        }
    }
}

/// Text with each `%` that is followed by two hexadecimal digits written as `%25`. (A `%` at the
/// end of a valid run is followed by an invalid byte or nothing, neither a digit.)
fn push_escaped_text(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut from = 0;
    for i in memchr::memchr_iter(b'%', b) {
        if b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
            out.push_str(&s[from..i]);
            out.push_str("%25");
            from = i + 1;
        }
    }
    out.push_str(&s[from..]);
}

fn push_hex_byte(out: &mut String, b: u8) {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(H[(b >> 4) as usize] as char);
    out.push(H[(b & 15) as usize] as char);
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(s.as_bytes())
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Owned(s.to_string_lossy().into_owned().into_bytes())
}

/// A path for `source` and messages, escaped like ids.
fn escape_path(p: &Path) -> String {
    escape_bytes(&os_bytes(p.as_os_str()))
}

/// The identity of a folder, for loop detection.
#[cfg(unix)]
fn dir_key(m: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn dir_key(_: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// What an entry that is neither a file nor a folder is, for messages.
fn kind_name(ft: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_char_device() {
            return "a character device";
        }
    }
    let _ = ft;
    "not a regular file"
}

fn not_a_file(ft: fs::FileType) -> Source {
    let kind = kind_name(ft);
    let reason = if kind.starts_with("not") {
        format!("{kind}; not read")
    } else {
        format!("not a regular file ({kind}); not read")
    };
    Source::Skipped {
        status: "not_a_file",
        reason,
    }
}

/// Lists the documents under `roots`, in order: roots in the order given, entries sorted by path.
/// Hidden files and folders (starting with `.`) are skipped when walking a folder; every other
/// entry that cannot be read is listed with its status. Fails when a root cannot be read or two
/// inputs would have the same id.
pub fn list_inputs(roots: &[PathBuf]) -> Result<Vec<InputDoc>, InputError> {
    let mut docs = Vec::new();
    // The root each document was found under, for messages about duplicate ids.
    let mut root_of = Vec::new();
    for (ri, root) in roots.iter().enumerate() {
        if root.as_os_str() == "-" {
            docs.push(InputDoc {
                id: "-".into(),
                source: "-".into(),
                origin: Source::Stdin,
            });
            root_of.push(ri);
            continue;
        }
        let source = escape_path(root);
        let meta = fs::metadata(root).map_err(|e| InputError::Root {
            path: source.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            let entries = sorted_entries(root).map_err(|e| InputError::Root {
                path: source.clone(),
                source: e,
            })?;
            let mut ancestors = vec![(dir_key(&meta), source)];
            walk(entries, "", &mut ancestors, &mut docs);
        } else {
            let id = root
                .file_name()
                .map(|n| escape_bytes(&os_bytes(n)))
                .unwrap_or_else(|| source.clone());
            let origin = if meta.is_file() {
                Source::File(root.clone())
            } else {
                not_a_file(meta.file_type())
            };
            docs.push(InputDoc { id, source, origin });
        }
        root_of.resize(docs.len(), ri);
    }
    check_unique(&docs, &root_of, roots)?;
    Ok(docs)
}

/// Refuses inputs that share an id: the output could not tell them apart.
fn check_unique(docs: &[InputDoc], root_of: &[usize], roots: &[PathBuf]) -> Result<(), InputError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(docs.len());
    let mut clashes = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if let Some(first) = seen.insert(&d.id, i) {
            seen.insert(&d.id, first);
            clashes.push((first, i));
        }
    }
    let Some(&(a, b)) = clashes.first() else {
        return Ok(());
    };
    let more = match clashes.len() - 1 {
        0 => String::new(),
        n => format!(
            " ({n} more document id{} given twice)",
            if n == 1 { "" } else { "s" }
        ),
    };
    let message =
        if matches!(docs[a].origin, Source::Stdin) && matches!(docs[b].origin, Source::Stdin) {
            format!("standard input (`-`) is given more than once as an input{more}")
        } else {
            let (ra, rb) = (
                escape_path(&roots[root_of[a]]),
                escape_path(&roots[root_of[b]]),
            );
            let inputs = if ra == rb {
                format!("the input `{ra}` is given twice")
            } else {
                format!("the inputs `{ra}` and `{rb}` overlap or have files of the same name")
            };
            format!(
                "{inputs}: `{}` and `{}` would both have the document id `{}` (a document's id is \
             its path relative to the input it was found under); give each file once, or their \
             common folder{more}",
                docs[a].source, docs[b].source, docs[a].id
            )
        };
    Err(InputError::DuplicateId { message })
}

/// The entries of a folder, sorted by name (bytes).
fn sorted_entries(dir: &Path) -> std::io::Result<Vec<(std::ffi::OsString, DirEntry)>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        v.push((e.file_name(), e));
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(v)
}

/// Lists the entries of one folder (already read, sorted) and walks its subfolders.
/// `ancestors` are the folders from the root down to this one: identity and source.
fn walk(
    entries: Vec<(std::ffi::OsString, DirEntry)>,
    rel: &str,
    ancestors: &mut Vec<((u64, u64), String)>,
    out: &mut Vec<InputDoc>,
) {
    for (name, entry) in entries {
        let name_bytes = os_bytes(&name);
        if name_bytes.first() == Some(&b'.') {
            continue;
        }
        let id = if rel.is_empty() {
            escape_bytes(&name_bytes)
        } else {
            format!("{rel}/{}", escape_bytes(&name_bytes))
        };
        let path = entry.path();
        let source = escape_path(&path);
        let skipped = |status, reason: String| InputDoc {
            id: id.clone(),
            source: source.clone(),
            origin: Source::Skipped { status, reason },
        };
        let ft = match entry.file_type() {
            Ok(ft) => ft,
            Err(e) => {
                out.push(skipped("unreadable", format!("cannot read: {e}")));
                continue;
            }
        };
        // A folder's metadata (for its identity); a link's target's.
        let meta = if ft.is_symlink() {
            match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let target = fs::read_link(&path)
                        .map(|t| escape_path(&t))
                        .unwrap_or_else(|_| "?".into());
                    let status = match e.raw_os_error() {
                        #[cfg(unix)]
                        Some(libc::ELOOP) => "link_loop",
                        #[cfg(unix)]
                        Some(libc::ENOENT) | Some(libc::ENOTDIR) => "broken_link",
                        _ if e.kind() == std::io::ErrorKind::NotFound => "broken_link",
                        _ => "unreadable",
                    };
                    out.push(skipped(
                        status,
                        format!("symbolic link to `{target}` cannot be followed: {e}"),
                    ));
                    continue;
                }
            }
        } else if ft.is_dir() {
            match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    out.push(skipped("unreadable", format!("cannot read folder: {e}")));
                    continue;
                }
            }
        } else if ft.is_file() {
            out.push(InputDoc {
                id,
                source,
                origin: Source::File(path),
            });
            continue;
        } else {
            out.push(InputDoc {
                id,
                source,
                origin: not_a_file(ft),
            });
            continue;
        };
        if meta.is_file() {
            out.push(InputDoc {
                id,
                source,
                origin: Source::File(path),
            });
        } else if meta.is_dir() {
            let key = dir_key(&meta);
            if cfg!(unix) {
                if let Some((_, anc)) = ancestors.iter().find(|a| a.0 == key) {
                    let reason = format!(
                        "leads back to the folder `{anc}`, which contains it; not walked again"
                    );
                    out.push(skipped("link_loop", reason));
                    continue;
                }
            }
            match sorted_entries(&path) {
                Ok(entries) => {
                    ancestors.push((key, source));
                    walk(entries, &id, ancestors, out);
                    ancestors.pop();
                }
                Err(e) => out.push(skipped("unreadable", format!("cannot read folder: {e}"))),
            }
        } else {
            out.push(InputDoc {
                id,
                source,
                origin: not_a_file(meta.file_type()),
            });
        }
    }
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
                    Source::Stdin | Source::Skipped { .. } => None,
                })
                .collect()
        })
        .unwrap_or_default()
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
    /// An entry of a folder that was listed but is not read (see [`Source::Skipped`]).
    #[error("{reason}")]
    Skipped {
        status: &'static str,
        reason: String,
    },
}

impl ReadError {
    pub fn status(&self) -> &'static str {
        match self {
            ReadError::Io(_) => "unreadable",
            ReadError::TooLarge(_) => "too_large",
            ReadError::Decompress { .. } => "decompress_error",
            ReadError::Skipped { status, .. } => status,
        }
    }
}

/// A document that could not be had, with the raw bytes that were read before the failure (for
/// a compressed file: the compressed bytes; nothing for an entry that is not read).
#[derive(Debug)]
pub struct ReadFailure {
    pub error: ReadError,
    pub raw: Vec<u8>,
}

fn fail(error: ReadError, raw: Vec<u8>) -> ReadFailure {
    ReadFailure { error, raw }
}

/// Reads a regular file, at most `max_bytes + 1` bytes. Opened without blocking and checked to
/// be a regular file through the open handle, so a FIFO put in its place is never read.
fn read_file(p: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadFailure> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts
        .open(p)
        .map_err(|e| fail(ReadError::Io(e), Vec::new()))?;
    let meta = f
        .metadata()
        .map_err(|e| fail(ReadError::Io(e), Vec::new()))?;
    if !meta.is_file() {
        let reason = match not_a_file(meta.file_type()) {
            Source::Skipped { reason, .. } => reason,
            _ => String::new(),
        };
        return Err(fail(
            ReadError::Skipped {
                status: "not_a_file",
                reason,
            },
            Vec::new(),
        ));
    }
    if meta.len() > max_bytes {
        return Err(fail(ReadError::TooLarge(max_bytes), Vec::new()));
    }
    let mut raw = Vec::with_capacity(meta.len() as usize);
    match (&f).take(max_bytes.saturating_add(1)).read_to_end(&mut raw) {
        Err(e) => Err(fail(ReadError::Io(e), raw)),
        Ok(_) if raw.len() as u64 > max_bytes => Err(fail(ReadError::TooLarge(max_bytes), raw)),
        Ok(_) => Ok(raw),
    }
}

/// Decompresses `raw` with `d`, at most `max_bytes` of output.
fn decompress(d: impl Read, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    match d.take(max_bytes.saturating_add(1)).read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > max_bytes => Err(ReadError::TooLarge(max_bytes)),
        Ok(_) => Ok(out),
        Err(e) => Err(ReadError::Decompress {
            offset: out.len(),
            message: e.to_string(),
        }),
    }
}

/// Reads a document's bytes; `.gz` and `.zst` files are decompressed. `stdin` is what was read
/// of standard input (at most `max_bytes + 1` bytes).
pub fn read_doc(
    doc: &InputDoc,
    max_bytes: u64,
    stdin: Option<&[u8]>,
) -> Result<Vec<u8>, ReadFailure> {
    let raw = match &doc.origin {
        Source::Stdin => {
            let s = stdin.unwrap_or_default();
            if s.len() as u64 > max_bytes {
                return Err(fail(ReadError::TooLarge(max_bytes), s.to_vec()));
            }
            s.to_vec()
        }
        Source::Skipped { status, reason } => {
            return Err(fail(
                ReadError::Skipped {
                    status,
                    reason: reason.clone(),
                },
                Vec::new(),
            ))
        }
        Source::File(p) => read_file(p, max_bytes)?,
    };
    if matches!(doc.origin, Source::Stdin) {
        return Ok(raw);
    }
    let name = doc.id.to_ascii_lowercase();
    let result = if name.ends_with(".gz") {
        decompress(flate2::read::MultiGzDecoder::new(&raw[..]), max_bytes)
    } else if name.ends_with(".zst") {
        match ruzstd::StreamingDecoder::new(&raw[..]) {
            Ok(d) => decompress(d, max_bytes),
            Err(e) => Err(ReadError::Decompress {
                offset: 0,
                message: e.to_string(),
            }),
        }
    } else {
        return Ok(raw);
    };
    result.map_err(|error| fail(error, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes an id component back to its bytes.
    fn unescape(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit()
            {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 3;
                continue;
            }
            out.push(b[i]);
            i += 1;
        }
        out
    }

    #[test]
    fn escaping_keeps_valid_names_and_is_reversible() {
        for name in [
            "a.txt",
            "حقوق.txt",
            "100%.txt",
            "a%b",
            "%",
            "%4",
            "日本語/x",
        ] {
            assert_eq!(escape_bytes(name.as_bytes()), name);
        }
        let cases: &[(&[u8], &str)] = &[
            (b"x\xff.txt", "x%FF.txt"),
            (b"x\xfe.txt", "x%FE.txt"),
            (b"%41", "%2541"),
            (b"%\xff", "%%FF"),
            (b"a\xe2\x82", "a%E2%82"),
            (b"\xe2\x82\xac%ff", "\u{20ac}%25ff"),
        ];
        for (bytes, id) in cases {
            assert_eq!(escape_bytes(bytes), *id);
        }
        // Every short byte string over a small alphabet round-trips, so ids are unique.
        let alphabet = [b'%', b'4', b'1', b'f', 0xff, 0xc3, 0xa9, b'a'];
        let mut seen = std::collections::HashSet::new();
        for n in 0..=4u32 {
            for k in 0..alphabet.len().pow(n) {
                let mut v = Vec::new();
                let mut x = k;
                for _ in 0..n {
                    v.push(alphabet[x % alphabet.len()]);
                    x /= alphabet.len();
                }
                let e = escape_bytes(&v);
                assert_eq!(unescape(&e), v, "{e}");
                assert!(seen.insert(e));
            }
        }
    }
}
