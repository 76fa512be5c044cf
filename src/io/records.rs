//! Document collections: JSON Lines (plain, `.gz`, `.zst`) and Parquet files read one record at
//! a time, each record a document of its own.
//!
//! A collection is streamed: a JSONL file is read line by line through its decompressor, a
//! Parquet file row by row (a few rows of a row group decoded at a time), so a shard of any size
//! is read in bounded memory. The limits of `[input]` hold per record: a record whose text is
//! longer than `max_file_bytes` is `too_large`, and a JSONL line is never held beyond
//! [`max_line_bytes`] of it. Which files are collections is decided by [`classify`].
//!
//! A record's document id is `FILE#ID`: `FILE` is the file's id ([`crate::io::input`]) and `ID`
//! the record's id field (a string as it is, a number as its JSON text; the record number,
//! counted from 0, when the field is absent or `null`), escaped by [`escape_record_id`]: like
//! file names, and with `#` and control characters written `%XX` too, so the last `#` of a
//! document id always separates the file from the record. A record whose id was already used in
//! the same file gets `#N` appended, `N` its record number (`FILE#ID#N`), which no escaped id can
//! contain, so ids never collide.
//!
//! A record that is not valid JSON, not an object, lacks its text field or has a text that is
//! not a string is reported as a [`Bad`] item (file path, record number, line and byte offset)
//! and reading goes on with the next line; a file that cannot be opened, decompressed or parsed
//! as Parquet ends with one [`Bad`] item under the file's own id.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use crate::config::InputFormat;
use crate::io::input::{escape_bytes, InputDoc, Source};

/// How one input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One raw-text document.
    Text,
    /// JSON Lines, one document per record.
    Jsonl,
    /// Parquet, one document per row.
    Parquet,
    /// Not known from the name (`auto`): decided by [`sniff_bytes`] once the file is read.
    Sniff,
}

/// The fields of a record that hold its text and its id.
#[derive(Debug, Clone)]
pub struct Fields {
    pub text: String,
    pub id: String,
}

/// One record of a collection, read and ready to be processed as a document.
#[derive(Debug)]
pub struct Record {
    /// `FILE#ID` (see the module documentation).
    pub doc_id: String,
    /// The record's text (a JSON string after unescaping; `raw_span` counts its UTF-8 bytes).
    pub text: String,
    /// Every field of the record but the text field, as a JSON object.
    pub metadata: Value,
}

/// A record (or a whole file) that cannot be a document.
#[derive(Debug)]
pub struct Bad {
    /// `FILE#ID` for a record (`ID` is the record number when no id could be read); the file's
    /// own id when the file as a whole failed.
    pub doc_id: String,
    /// The `documents.jsonl` status.
    pub status: &'static str,
    /// What went wrong and where: record number, line and byte offset.
    pub error: String,
    /// The raw bytes of the record (a JSONL line), for `bytes` and `sha256`.
    pub raw: Vec<u8>,
    /// The record's other fields, when it was a JSON object.
    pub metadata: Option<Value>,
}

/// What a collection yields: a record, or a record (or file) that failed.
#[derive(Debug)]
pub enum Item {
    Record(Record),
    Bad(Bad),
}

/// The longest JSONL line held for a record whose text may have `max_text` bytes: a JSON string
/// takes at most six bytes per byte of text (`\u0001`), and the other fields up to 1 MiB more.
/// A longer line is skipped without being held and reported `too_large`.
pub fn max_line_bytes(max_text: u64) -> u64 {
    max_text.saturating_mul(6).saturating_add(1 << 20)
}

/// Writes a record id so that it is unique, reversible and holds no `#`: [`escape_bytes`]
/// (invalid bytes and `%XX` look-alikes), then `#` and ASCII control characters as `%XX`.
pub fn escape_record_id(id: &str) -> String {
    let escaped = escape_bytes(id.as_bytes());
    if !escaped.bytes().any(|b| b == b'#' || b.is_ascii_control()) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        if c == '#' || c.is_ascii_control() {
            let b = c as u8;
            const H: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(H[(b >> 4) as usize] as char);
            out.push(H[(b & 15) as usize] as char);
        } else {
            out.push(c);
        }
    }
    out
}

/// The record ids of one file handed out so far (128-bit hashes, 16 bytes a record).
struct Ids {
    file: String,
    seen: HashSet<u128>,
}

impl Ids {
    fn new(file: &str) -> Ids {
        Ids {
            file: file.to_string(),
            seen: HashSet::new(),
        }
    }

    /// The document id of record `number` whose id (unescaped) is `id`.
    fn doc_id(&mut self, id: &str, number: u64) -> String {
        let escaped = escape_record_id(id);
        let mut doc_id = String::with_capacity(self.file.len() + escaped.len() + 1);
        doc_id.push_str(&self.file);
        doc_id.push('#');
        doc_id.push_str(&escaped);
        if !self
            .seen
            .insert(xxhash_rust::xxh3::xxh3_128(escaped.as_bytes()))
        {
            doc_id.push('#');
            doc_id.push_str(&number.to_string());
        }
        doc_id
    }
}

/// A record's id: a string as it is, a number as its JSON text, the record number when absent
/// or `null`, anything else (`true`, a list, an object) as its compact JSON text.
fn id_text(v: Option<&Value>, number: u64) -> String {
    match v {
        None | Some(Value::Null) => number.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Turns a parsed record into a document, or says why it cannot be one.
fn record_from_object(
    mut obj: Map<String, Value>,
    fields: &Fields,
    max_text: u64,
    number: u64,
    ids: &mut Ids,
    at: &str,
    raw: &[u8],
) -> Item {
    let doc_id = ids.doc_id(&id_text(obj.get(&fields.id), number), number);
    let text = obj.remove(&fields.text);
    let bad = |status, error: String, obj: Map<String, Value>| {
        Item::Bad(Bad {
            doc_id: doc_id.clone(),
            status,
            error,
            raw: raw.to_vec(),
            metadata: Some(Value::Object(obj)),
        })
    };
    match text {
        Some(Value::String(text)) if text.len() as u64 > max_text => bad(
            "too_large",
            format!(
                "{at}: the text is {} bytes, more than input.max_file_bytes ({max_text} bytes)",
                text.len()
            ),
            obj,
        ),
        Some(Value::String(text)) => Item::Record(Record {
            doc_id,
            text,
            metadata: Value::Object(obj),
        }),
        None => bad(
            "no_text",
            format!("{at}: no text field `{}`", fields.text),
            obj,
        ),
        Some(v) => {
            let e = format!(
                "{at}: the text field `{}` is {}, not a string",
                fields.text,
                type_name(&v)
            );
            bad("no_text", e, obj)
        }
    }
}

/// A JSON Lines collection, read line by line from any reader (a file, its decompressor, the
/// bytes of standard input).
pub struct Jsonl<'a> {
    reader: Box<dyn BufRead + Send + 'a>,
    source: String,
    fields: Fields,
    max_text: u64,
    max_line: u64,
    ids: Ids,
    /// Bytes of the (decompressed) stream consumed so far.
    offset: u64,
    /// Lines read so far.
    lines: u64,
    /// Records (non-blank lines) read so far.
    records: u64,
    line: Vec<u8>,
    done: bool,
}

/// One line read by [`Jsonl::read_line`].
enum Line {
    /// The line is in `Jsonl::line` (with its `\n`, if any).
    Held,
    /// The line was longer than the limit: this many bytes were skipped.
    TooLong(u64),
    Eof,
}

impl<'a> Jsonl<'a> {
    /// A collection read from `reader`; `file_id` is the file's document id and `source` its path
    /// for messages.
    pub fn new(
        reader: Box<dyn BufRead + Send + 'a>,
        file_id: &str,
        source: &str,
        fields: &Fields,
        max_text: u64,
    ) -> Jsonl<'a> {
        Jsonl {
            reader,
            source: source.to_string(),
            fields: fields.clone(),
            max_text,
            max_line: max_line_bytes(max_text),
            ids: Ids::new(file_id),
            offset: 0,
            lines: 0,
            records: 0,
            line: Vec::new(),
            done: false,
        }
    }

    /// Reads the next line into `self.line`, holding at most `max_line` bytes of it.
    fn read_line(&mut self) -> std::io::Result<Line> {
        self.line.clear();
        let mut total = 0u64;
        let mut too_long = false;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            let (n, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if !too_long {
                if (self.line.len() + n) as u64 > self.max_line {
                    too_long = true;
                    self.line = Vec::new();
                } else {
                    self.line.extend_from_slice(&avail[..n]);
                }
            }
            self.reader.consume(n);
            total += n as u64;
            if found {
                break;
            }
        }
        Ok(if total == 0 {
            Line::Eof
        } else if too_long {
            Line::TooLong(total)
        } else {
            Line::Held
        })
    }
}

impl Iterator for Jsonl<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            let start = self.offset;
            let read = match self.read_line() {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    return Some(Item::Bad(Bad {
                        doc_id: self.ids.file.clone(),
                        status: "decompress_error",
                        error: format!(
                            "{}: byte {start} of the decompressed stream (after {} records): \
                             cannot read: {e}",
                            self.source, self.records
                        ),
                        raw: Vec::new(),
                        metadata: None,
                    }));
                }
            };
            let number = self.records;
            let line_no = self.lines + 1;
            let at = format!(
                "{}: record {number} (line {line_no}, byte {start})",
                self.source
            );
            match read {
                Line::Eof => {
                    self.done = true;
                    return None;
                }
                Line::TooLong(n) => {
                    self.offset += n;
                    self.lines += 1;
                    self.records += 1;
                    let doc_id = self.ids.doc_id(&number.to_string(), number);
                    return Some(Item::Bad(Bad {
                        doc_id,
                        status: "too_large",
                        error: format!(
                            "{at}: the line is longer than {} bytes (six times \
                             input.max_file_bytes, and 1 MiB); skipped unread",
                            self.max_line
                        ),
                        raw: Vec::new(),
                        metadata: None,
                    }));
                }
                Line::Held => {}
            }
            self.offset += self.line.len() as u64;
            self.lines += 1;
            if self.line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            self.records += 1;
            let line = std::mem::take(&mut self.line);
            // A byte order mark before the first record is not part of it.
            let json = match line.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) if start == 0 => rest,
                _ => &line[..],
            };
            let item = match serde_json::from_slice::<Value>(json) {
                Ok(Value::Object(obj)) => record_from_object(
                    obj,
                    &self.fields,
                    self.max_text,
                    number,
                    &mut self.ids,
                    &at,
                    &line,
                ),
                Ok(v) => Item::Bad(Bad {
                    doc_id: self.ids.doc_id(&number.to_string(), number),
                    status: "bad_record",
                    error: format!("{at}: {}, not a JSON object", type_name(&v)),
                    raw: line.clone(),
                    metadata: None,
                }),
                Err(e) => {
                    let col =
                        error_offset(json, e.line(), e.column()) + (line.len() - json.len()) as u64;
                    Item::Bad(Bad {
                        doc_id: self.ids.doc_id(&number.to_string(), number),
                        status: "bad_record",
                        error: format!(
                            "{}: record {number} (line {line_no}, byte {}): not valid JSON: {}",
                            self.source,
                            start + col,
                            strip_position(&e.to_string())
                        ),
                        raw: line.clone(),
                        metadata: None,
                    })
                }
            };
            self.line = line;
            return Some(item);
        }
    }
}

/// The byte of `json` at serde_json's 1-based `line` and `column` (column 0 of a later line:
/// the line break before it, where a string was cut by the end of the line).
fn error_offset(json: &[u8], line: usize, column: usize) -> u64 {
    if line <= 1 {
        return column.saturating_sub(1) as u64;
    }
    let brk = memchr::memchr_iter(b'\n', json)
        .nth(line - 2)
        .unwrap_or(json.len());
    (brk + column) as u64
}

/// serde_json's message without its ` at line L column C` (the byte offset says where).
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

/// A Parquet collection, read row by row.
pub struct Parquet {
    rows: Option<parquet::record::reader::RowIter<'static>>,
    source: String,
    file_id: String,
    fields: Fields,
    max_text: u64,
    ids: Ids,
    number: u64,
}

/// Rows decoded at a time: few, since one row may hold a long text.
const PARQUET_BATCH: usize = 16;

impl Parquet {
    /// Opens a Parquet file (its footer is read now); a file that is not Parquet or whose footer
    /// is corrupt is an error.
    pub fn open(
        path: &Path,
        file_id: &str,
        source: &str,
        fields: &Fields,
        max_text: u64,
    ) -> Result<Parquet, Bad> {
        let fail = |status, error: String| Bad {
            doc_id: file_id.to_string(),
            status,
            error,
            raw: Vec::new(),
            metadata: None,
        };
        let file = File::open(path)
            .map_err(|e| fail("unreadable", format!("{source}: cannot read: {e}")))?;
        Parquet::from_reader(
            parquet_guard(|| parquet::file::serialized_reader::SerializedFileReader::new(file)),
            file_id,
            source,
            fields,
            max_text,
        )
    }

    /// Reads a Parquet file held in memory (standard input).
    pub fn from_bytes(
        bytes: Vec<u8>,
        file_id: &str,
        source: &str,
        fields: &Fields,
        max_text: u64,
    ) -> Result<Parquet, Bad> {
        let bytes = bytes::Bytes::from(bytes);
        Parquet::from_reader(
            parquet_guard(|| parquet::file::serialized_reader::SerializedFileReader::new(bytes)),
            file_id,
            source,
            fields,
            max_text,
        )
    }

    fn from_reader<R: parquet::file::reader::ChunkReader + 'static>(
        reader: Result<parquet::file::serialized_reader::SerializedFileReader<R>, String>,
        file_id: &str,
        source: &str,
        fields: &Fields,
        max_text: u64,
    ) -> Result<Parquet, Bad> {
        let reader = reader.map_err(|e| Bad {
            doc_id: file_id.to_string(),
            status: "bad_parquet",
            error: format!("{source}: not a readable Parquet file: {e}"),
            raw: Vec::new(),
            metadata: None,
        })?;
        let rows = parquet::record::reader::RowIter::from_file_into(Box::new(reader))
            .with_batch_size(PARQUET_BATCH);
        Ok(Parquet {
            rows: Some(rows),
            source: source.to_string(),
            file_id: file_id.to_string(),
            fields: fields.clone(),
            max_text,
            ids: Ids::new(file_id),
            number: 0,
        })
    }
}

/// Runs a call into the Parquet reader, turning its errors — and a panic, which some corrupt
/// files cause deep inside the decoder — into a message.
fn parquet_guard<T>(f: impl FnOnce() -> parquet::errors::Result<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(match p.downcast_ref::<String>() {
            Some(s) => format!("corrupt data ({s})"),
            None => match p.downcast_ref::<&str>() {
                Some(s) => format!("corrupt data ({s})"),
                None => "corrupt data".to_string(),
            },
        }),
    }
}

impl Iterator for Parquet {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let rows = self.rows.as_mut()?;
        let number = self.number;
        let row = match parquet_guard(|| rows.next().transpose()) {
            Ok(Some(row)) => row,
            Ok(None) => {
                self.rows = None;
                return None;
            }
            Err(e) => {
                self.rows = None;
                return Some(Item::Bad(Bad {
                    doc_id: self.file_id.clone(),
                    status: "bad_parquet",
                    error: format!(
                        "{}: row {number}: cannot read the Parquet file further: {e}",
                        self.source
                    ),
                    raw: Vec::new(),
                    metadata: None,
                }));
            }
        };
        self.number += 1;
        let mut obj = Map::new();
        for (name, field) in row.get_column_iter() {
            let v = match field {
                parquet::record::Field::Str(s) if *name == self.fields.text => {
                    Value::String(s.clone())
                }
                f => f.to_json_value(),
            };
            obj.insert(name.clone(), v);
        }
        let at = format!("{}: row {number}", self.source);
        Some(record_from_object(
            obj,
            &self.fields,
            self.max_text,
            number,
            &mut self.ids,
            &at,
            &[],
        ))
    }
}

/// A collection being read: JSONL or Parquet.
pub enum Collection<'a> {
    Jsonl(Jsonl<'a>),
    Parquet(Parquet),
}

impl Iterator for Collection<'_> {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        match self {
            Collection::Jsonl(j) => j.next(),
            Collection::Parquet(p) => p.next(),
        }
    }
}

/// The name of an input, lower-cased, without a `.gz` or `.zst` ending, and which of those it
/// had.
fn base_name(id: &str) -> (String, Option<&'static str>) {
    let lower = id.to_ascii_lowercase();
    for ext in [".gz", ".zst"] {
        if let Some(b) = lower.strip_suffix(ext) {
            return (b.to_string(), Some(ext));
        }
    }
    (lower, None)
}

/// A reader of the decompressed bytes of `raw` (a file's reader), by the compression the name
/// says.
fn decompressed<'a>(
    raw: impl Read + Send + 'a,
    compression: Option<&'static str>,
) -> std::io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match compression {
        Some(".gz") => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Some(_) => Box::new(
            ruzstd::StreamingDecoder::new(raw)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
        ),
        None => Box::new(raw),
    })
}

/// Opens an input as a collection of the given format; a failure is one [`Bad`] item under the
/// file's id.
pub fn open<'a>(
    doc: &InputDoc,
    format: Format,
    stdin: Option<&'a [u8]>,
    fields: &Fields,
    max_text: u64,
) -> Result<Collection<'a>, Bad> {
    let fail = |status, error: String| Bad {
        doc_id: doc.id.clone(),
        status,
        error,
        raw: Vec::new(),
        metadata: None,
    };
    match (&doc.origin, format) {
        (Source::Stdin, Format::Parquet) => Parquet::from_bytes(
            stdin.unwrap_or_default().to_vec(),
            &doc.id,
            &doc.source,
            fields,
            max_text,
        )
        .map(Collection::Parquet),
        (Source::Stdin, _) => Ok(Collection::Jsonl(Jsonl::new(
            Box::new(stdin.unwrap_or_default()),
            &doc.id,
            &doc.source,
            fields,
            max_text,
        ))),
        (Source::File(p), Format::Parquet) => {
            Parquet::open(p, &doc.id, &doc.source, fields, max_text).map(Collection::Parquet)
        }
        (Source::File(p), _) => {
            let file = File::open(p)
                .map_err(|e| fail("unreadable", format!("{}: cannot read: {e}", doc.source)))?;
            let (_, compression) = base_name(&doc.id);
            let r = decompressed(BufReader::with_capacity(1 << 16, file), compression).map_err(
                |e| {
                    fail(
                        "decompress_error",
                        format!(
                            "{}: byte 0 of the decompressed stream: cannot decompress: {e}",
                            doc.source
                        ),
                    )
                },
            )?;
            Ok(Collection::Jsonl(Jsonl::new(
                Box::new(BufReader::with_capacity(1 << 16, r)),
                &doc.id,
                &doc.source,
                fields,
                max_text,
            )))
        }
        (Source::Skipped { status, reason }, _) => {
            Err(fail(status, format!("{}: {reason}", doc.source)))
        }
    }
}

/// Bytes of a file named like JSONL read to see whether it starts with `{`.
const SNIFF_HEAD: usize = 4096;

/// Whether `line` is a JSON object with a string `text_field`.
fn is_record_line(line: &[u8], text_field: &str) -> bool {
    matches!(
        serde_json::from_slice::<Value>(line),
        Ok(Value::Object(o)) if matches!(o.get(text_field), Some(Value::String(_)))
    )
}

/// The first non-blank byte of `b` (ASCII whitespace and a UTF-8 byte order mark skipped).
fn first_non_blank(b: &[u8]) -> Option<u8> {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    b.iter().copied().find(|c| !c.is_ascii_whitespace())
}

/// Decides an input's format from its name where the name says enough, without reading it:
/// [`InputFormat::Auto`] makes a `*.parquet` file Parquet, a `*.json`, `*.jsonl` or `*.ndjson`
/// file (before `.gz`/`.zst`) JSONL when its first non-blank byte is `{` (the only case that
/// reads: its first 4 KiB), standard input whatever [`sniff_bytes`] says, and leaves every other
/// file to [`Format::Sniff`]: the worker that reads it decides from its bytes. Any other setting
/// decides for every input.
pub fn classify(
    doc: &InputDoc,
    setting: InputFormat,
    stdin: Option<&[u8]>,
    text_field: &str,
) -> Format {
    match setting {
        InputFormat::Text => return Format::Text,
        InputFormat::Jsonl => return Format::Jsonl,
        InputFormat::Parquet => return Format::Parquet,
        InputFormat::Auto => {}
    }
    let (base, compression) = base_name(&doc.id);
    match &doc.origin {
        Source::Skipped { .. } => Format::Text,
        Source::Stdin => sniff_bytes(stdin.unwrap_or_default(), text_field),
        Source::File(_) if compression.is_none() && base.ends_with(".parquet") => Format::Parquet,
        Source::File(p)
            if [".json", ".jsonl", ".ndjson"]
                .iter()
                .any(|e| base.ends_with(e)) =>
        {
            let Ok(file) = File::open(p) else {
                return Format::Text;
            };
            let Ok(mut d) = decompressed(file, compression) else {
                return Format::Text;
            };
            let mut head = vec![0u8; SNIFF_HEAD];
            let n = read_full(&mut d, &mut head);
            if first_non_blank(&head[..n]) == Some(b'{') {
                Format::Jsonl
            } else {
                Format::Text
            }
        }
        Source::File(_) => Format::Sniff,
    }
}

/// The format of a document's bytes under `auto`, for an input whose name does not say:
/// Parquet when they start with `PAR1`; JSONL when their first non-blank line is a JSON object
/// whose `text_field` is a string; otherwise text (a text that merely starts with `{` stays
/// text).
pub fn sniff_bytes(raw: &[u8], text_field: &str) -> Format {
    if raw.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    if first_non_blank(&raw[..raw.len().min(SNIFF_HEAD)]) != Some(b'{') {
        return Format::Text;
    }
    let body = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    let first = body
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    if is_record_line(first, text_field) {
        Format::Jsonl
    } else {
        Format::Text
    }
}

/// Reads a collection held in memory (a file that [`sniff_bytes`] found to be one, read whole
/// as a document); `Text` is not a collection.
pub fn from_memory<'a>(
    raw: &'a [u8],
    format: Format,
    doc: &InputDoc,
    fields: &Fields,
    max_text: u64,
) -> Result<Collection<'a>, Bad> {
    match format {
        Format::Parquet => {
            Parquet::from_bytes(raw.to_vec(), &doc.id, &doc.source, fields, max_text)
                .map(Collection::Parquet)
        }
        _ => Ok(Collection::Jsonl(Jsonl::new(
            Box::new(raw),
            &doc.id,
            &doc.source,
            fields,
            max_text,
        ))),
    }
}

/// SHA-256 of `bytes` in lower-case hexadecimal (`sha256` of a bad record's line).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Reads into `buf` until it is full or the reader ends (or fails); the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            text: "text".into(),
            id: "id".into(),
        }
    }

    fn read_all(data: &[u8], max_text: u64) -> Vec<Item> {
        Jsonl::new(Box::new(data), "f.jsonl", "in/f.jsonl", &fields(), max_text).collect()
    }

    #[test]
    fn record_ids_escape_hash_and_controls() {
        assert_eq!(escape_record_id("b0054977"), "b0054977");
        assert_eq!(escape_record_id("a#b"), "a%23b");
        assert_eq!(escape_record_id("a\nb"), "a%0Ab");
        assert_eq!(escape_record_id("%23"), "%2523");
        assert_eq!(escape_record_id("حقوق"), "حقوق");
    }

    #[test]
    fn records_ids_metadata_and_duplicates() {
        let data = "{\"id\":\"a\",\"text\":\"Hello.\",\"lang\":\"eng\"}\n\n{\"id\":\"a\",\"text\":\"Again.\"}\r\n{\"text\":\"No id.\"}\n{\"id\":7,\"text\":\"x\"}";
        let items = read_all(data.as_bytes(), 1 << 20);
        let ids: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::Record(r) => r.doc_id.as_str(),
                Item::Bad(b) => b.doc_id.as_str(),
            })
            .collect();
        assert_eq!(ids, ["f.jsonl#a", "f.jsonl#a#1", "f.jsonl#2", "f.jsonl#7"]);
        let Item::Record(r) = &items[0] else { panic!() };
        assert_eq!(r.text, "Hello.");
        assert_eq!(r.metadata, serde_json::json!({"id": "a", "lang": "eng"}));
    }

    #[test]
    fn bad_records_are_reported_and_reading_goes_on() {
        let data = "{\"id\":1,\"text\":\"ok\"}\n{\"id\":2,\"text\":5}\n{not json}\n[1]\n{\"id\":3}\n{\"id\":4,\"text\":\"ok\"}\n";
        let items = read_all(data.as_bytes(), 1 << 20);
        let got: Vec<(&str, &str)> = items
            .iter()
            .map(|i| match i {
                Item::Record(r) => (r.doc_id.as_str(), "ok"),
                Item::Bad(b) => (b.doc_id.as_str(), b.status),
            })
            .collect();
        assert_eq!(
            got,
            [
                ("f.jsonl#1", "ok"),
                ("f.jsonl#2", "no_text"),
                ("f.jsonl#2#2", "bad_record"),
                ("f.jsonl#3", "bad_record"),
                ("f.jsonl#3#4", "no_text"),
                ("f.jsonl#4", "ok")
            ]
        );
        let Item::Bad(b) = &items[2] else { panic!() };
        // Line 3 starts at byte 39; the error is at its second byte.
        assert!(
            b.error.starts_with(
                "in/f.jsonl: record 2 (line 3, byte 40): not valid JSON: key must be a string"
            ),
            "{}",
            b.error
        );
        let Item::Bad(b) = &items[1] else { panic!() };
        assert!(b.error.contains("is a number, not a string"), "{}", b.error);
        assert_eq!(b.metadata, Some(serde_json::json!({"id": 2})));
    }

    #[test]
    fn long_lines_and_texts_are_too_large_not_held() {
        let long = "x".repeat(3000);
        let data = format!("{{\"text\":\"{long}\"}}\n{{\"text\":\"short\"}}\n");
        // Texts up to 100 bytes: the first text is too long.
        let items = read_all(data.as_bytes(), 100);
        assert!(matches!(&items[0], Item::Bad(b) if b.status == "too_large"));
        assert!(matches!(&items[1], Item::Record(r) if r.text == "short"));
        // A line over the limit (6 × 0 + 1 MiB) is skipped unread.
        let huge = format!("{{\"text\":\"{}\"}}\nnext\n", "y".repeat(1 << 21));
        let mut j = Jsonl::new(Box::new(huge.as_bytes()), "f", "f", &fields(), 0);
        let first = j.next();
        assert!(
            matches!(&first, Some(Item::Bad(b)) if b.status == "too_large" && b.raw.is_empty())
        );
        assert!(j.line.capacity() <= (1 << 20) + (1 << 16));
        assert!(matches!(j.next(), Some(Item::Bad(b)) if b.status == "bad_record"));
        assert!(j.next().is_none());
    }

    #[test]
    fn sniffing_stdin() {
        let doc = InputDoc {
            id: "-".into(),
            source: "-".into(),
            origin: Source::Stdin,
        };
        let c = |s: &[u8]| classify(&doc, InputFormat::Auto, Some(s), "text");
        assert_eq!(c(b"\n{\"text\":\"a\"}\n{"), Format::Jsonl);
        assert_eq!(c(b"\xEF\xBB\xBF{\"text\":\"a\"}"), Format::Jsonl);
        assert_eq!(c(b"{\"body\":\"a\"}\n"), Format::Text);
        assert_eq!(c(b"{ not json"), Format::Text);
        assert_eq!(c(b"Plain text."), Format::Text);
        assert_eq!(c(b"PAR1...."), Format::Parquet);
    }

    #[test]
    fn sniffing_bytes_of_a_file_read_whole() {
        let s = |b: &[u8]| sniff_bytes(b, "text");
        assert_eq!(s(b"  \n{\"id\":1,\"text\":\"a\"}\nrest"), Format::Jsonl);
        assert_eq!(s(b"{\"id\":1,\"body\":\"a\"}"), Format::Text);
        assert_eq!(s(b"{{template}} text"), Format::Text);
        assert_eq!(s(b"PAR1\x15\x04"), Format::Parquet);
        assert_eq!(s("Plain text { with a brace".as_bytes()), Format::Text);
        assert_eq!(s(b""), Format::Text);
        // A byte order mark before the first record is skipped by the reader too.
        let items = read_all(b"\xEF\xBB\xBF{\"text\":\"a\"}\n", 100);
        assert!(matches!(&items[0], Item::Record(r) if r.text == "a"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any bytes, and real records with bytes flipped (constructed damage), give items whose
        /// document ids are unique, start with the file's id, and whose texts keep the limit.
        #[test]
        fn any_bytes_give_unique_ids_within_the_limit(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            flips in proptest::collection::vec((0usize..4000, proptest::prelude::any::<u8>()), 0..8),
            max_text in 0u64..400,
        ) {
            let mut real: Vec<u8> = Vec::new();
            for (i, (_, t)) in crate::testdata::real_texts().into_iter().take(6).enumerate() {
                let t: String = t.chars().take(120).collect();
                let id = if i % 3 == 0 { Value::from("dup") } else { Value::from(i) };
                real.extend(serde_json::json!({"id": id, "text": t}).to_string().bytes());
                real.push(b'\n');
            }
            for (at, b) in flips {
                let n = real.len();
                real[at % n] = b;
            }
            for data in [&bytes, &real] {
                let mut seen = HashSet::new();
                for item in read_all(data, max_text) {
                    let id = match item {
                        Item::Record(r) => {
                            proptest::prop_assert!(r.text.len() as u64 <= max_text);
                            r.doc_id
                        }
                        Item::Bad(b) => b.doc_id,
                    };
                    proptest::prop_assert!(id.starts_with("f.jsonl#"));
                    proptest::prop_assert!(seen.insert(id));
                }
            }
        }
    }
}
