//! Output: the JSONL files and the report, written atomically.
//!
//! The files are written into the run's staging folder and put in place all at once when the
//! whole run has succeeded ([`super::outdir`]), so an interrupted or failed run never leaves a
//! truncated file, or a new file beside an old one, that looks finished. Lines are serialized from borrowed slices of the
//! documents' texts; field order is fixed, so the output is byte-for-byte deterministic.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::outdir::OutputDir;
use super::parquet::ParquetSegments;
use super::report::{Report, Timing};
use crate::config::{Compression, OutputConfig, OutputFormat};
use crate::doc::Segment;
use crate::text::scan::ByteSet;

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

/// Where the bytes of one output file go: straight to the file or through a compressor.
enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Zstd(w) => w,
            Sink::Gzip(w) => w,
        }
    }

    /// Ends the compressed stream and flushes: the file as written.
    fn finish(self) -> std::io::Result<File> {
        let w = match self {
            Sink::Plain(w) => w,
            Sink::Zstd(w) => w.finish()?,
            Sink::Gzip(w) => w.finish()?,
        };
        w.into_inner().map_err(|e| e.into_error())
    }
}

/// One output file being written in the staging folder.
struct StagedFile {
    path: PathBuf,
    w: Sink,
}

/// The zstd level: the library's default, fast and a good ratio on text.
const ZSTD_LEVEL: i32 = 3;

impl StagedFile {
    /// Creates `dir/name` (plus the extension of `compression`), with a write buffer of `buf`
    /// bytes.
    fn create(
        dir: &Path,
        name: &str,
        compression: Compression,
        buf: usize,
    ) -> Result<StagedFile, OutputError> {
        let path = dir.join(format!("{name}{}", compression_ext(compression)));
        let f = File::create(&path).map_err(oerr(&path))?;
        let w = BufWriter::with_capacity(buf, f);
        let w = match compression {
            Compression::None => Sink::Plain(w),
            Compression::Zstd => {
                Sink::Zstd(zstd::stream::write::Encoder::new(w, ZSTD_LEVEL).map_err(oerr(&path))?)
            }
            Compression::Gzip => Sink::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::default(),
            )),
        };
        Ok(StagedFile { path, w })
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), OutputError> {
        let w = self.w.writer();
        serde_json::to_writer(&mut *w, value)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|()| w.write_all(b"\n"))
            .map_err(oerr(&self.path))
    }

    /// Writes bytes that already form whole lines.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        self.w.writer().write_all(bytes).map_err(oerr(&self.path))
    }

    /// Flushes the file and makes sure it is on disk.
    fn finish(self) -> Result<(), OutputError> {
        let f = self.w.finish().map_err(oerr(&self.path))?;
        f.sync_all().map_err(oerr(&self.path))
    }
}

/// The file name extension of a compression.
pub fn compression_ext(c: Compression) -> &'static str {
    match c {
        Compression::None => "",
        Compression::Zstd => ".zst",
        Compression::Gzip => ".gz",
    }
}

/// Appends the `segments.jsonl` line of `s` (with its newline) to `out`.
///
/// This is the one line of the run written without serde: it is written once per segment and
/// carries nearly all the output's bytes, and serde_json's string escaping looks at each byte
/// in turn. The fields, their order and every byte of the values are those serde_json gives
/// the equivalent struct (`SegmentLine` in the tests, which check it on real and arbitrary
/// text); strings are escaped by [`json_str`], numbers formatted by serde_json. Every field is
/// always written (`[]` or `null` when it has no value), as `schema/segments.schema.json` says.
fn segment_line(out: &mut Vec<u8>, id: &str, doc_id: &str, seq: usize, s: &Segment, clean: &str) {
    out.extend_from_slice(b"{\"id\":");
    json_str(out, id);
    out.extend_from_slice(b",\"doc_id\":");
    json_str(out, doc_id);
    out.extend_from_slice(b",\"seq\":");
    json_num(out, seq as u32);
    out.extend_from_slice(b",\"kind\":");
    json_str(out, s.kind.name());
    out.extend_from_slice(b",\"block\":");
    json_str(out, s.block_kind.name());
    out.extend_from_slice(b",\"paragraph\":");
    json_num(out, s.block);
    out.extend_from_slice(b",\"text\":");
    json_str(out, &clean[s.text.clone()]);
    out.extend_from_slice(b",\"lang\":");
    json_str(out, s.lang);
    out.extend_from_slice(b",\"lang_script\":");
    json_str(out, s.lang_script);
    out.extend_from_slice(b",\"lang_confidence\":");
    json_num(out, round4(s.lang_confidence));
    out.extend_from_slice(b",\"lang_source\":");
    json_str(out, s.lang_source.name());
    out.extend_from_slice(b",\"script\":");
    json_str(out, s.script);
    out.extend_from_slice(b",\"direction\":");
    json_str(out, s.direction.name());
    out.extend_from_slice(b",\"rtl_runs\":[");
    for (k, &(a, b)) in s.rtl_runs.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_num(out, a);
        out.push(b',');
        json_num(out, b);
        out.push(b']');
    }
    out.extend_from_slice(b"],\"raw_span\":[");
    json_num(out, s.raw.start);
    out.push(b',');
    json_num(out, s.raw.end);
    out.extend_from_slice(b"],\"line\":");
    json_num(out, s.line);
    match &s.dup_of {
        Some(d) => {
            out.extend_from_slice(b",\"dup_of\":");
            json_str(out, &d.id);
        }
        None => out.extend_from_slice(b",\"dup_of\":null"),
    }
    out.extend_from_slice(b",\"flags\":[");
    for (k, name) in s.flags.names().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        json_str(out, name);
    }
    out.extend_from_slice(b"],\"garbled_score\":");
    json_num(out, round4(s.garbled_score));
    out.extend_from_slice(b"}\n");
}

/// The bytes a JSON string must escape: the controls below 0x20, `"` and backslash.
static JSON_ESCAPES: ByteSet = ByteSet::EMPTY.with_range(0, 0x1F).with(b'"').with(b'\\');

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it: `"` and backslash
/// with a backslash, the controls that have one by their short escape (`\b \t \n \f \r`), the
/// other controls below U+0020 as `\u00xx` (lower-case hex), everything else as is. Stretches
/// without such a byte are found by the byte scanner and copied whole.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.push(b'"');
    let mut i = 0;
    loop {
        let j = JSON_ESCAPES.find(b, i, b.len());
        out.extend_from_slice(&b[i..j]);
        let Some(&x) = b.get(j) else { break };
        match x {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0A => out.extend_from_slice(b"\\n"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x0D => out.extend_from_slice(b"\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(x >> 4) as usize]);
                out.push(HEX[(x & 0xF) as usize]);
            }
        }
        i = j + 1;
    }
    out.push(b'"');
}

/// Appends a number as serde_json writes it.
fn json_num<T: Serialize>(out: &mut Vec<u8>, n: T) {
    // Writing a number into a Vec cannot fail; if it ever did, the line would show it.
    let _ = serde_json::to_writer(&mut *out, &n);
}

/// Appends the `duplicates.jsonl` line of a dropped duplicate (with its newline) to `out`,
/// byte for byte as serde_json writes `DuplicateLine` of the tests.
fn duplicate_line(out: &mut Vec<u8>, id: &str, d: &crate::doc::DupOf) {
    out.extend_from_slice(b"{\"id\":");
    json_str(out, id);
    out.extend_from_slice(b",\"dup_of\":");
    json_str(out, &d.id);
    out.extend_from_slice(if d.near {
        b",\"kind\":\"near\",\"similarity\":"
    } else {
        b",\"kind\":\"exact\",\"similarity\":"
    });
    json_num(out, round4(d.similarity));
    out.extend_from_slice(if d.cross_document {
        b",\"cross_document\":true}\n"
    } else {
        b",\"cross_document\":false}\n"
    });
}

/// Rounds a score for output, so that printed values are short and stable.
pub fn round4(x: f32) -> f64 {
    ((x as f64) * 10_000.0).round() / 10_000.0
}

/// What a document contributes to `documents.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentLine {
    /// The document's id: its path relative to the input folder it was found in (a file given
    /// directly: its name; standard input: `-`).
    pub doc_id: String,
    /// The path it was read from, as given.
    pub source: String,
    /// Raw size in bytes.
    pub bytes: u64,
    /// SHA-256 of the raw bytes, in lower-case hexadecimal.
    pub sha256: String,
    /// The encoding it was decoded with (WHATWG name); none when it was not decoded.
    pub encoding: Option<&'static str>,
    /// How sure the decoder is of the encoding, 0 to 1.
    pub encoding_confidence: f64,
    /// What decided the encoding (`bom`, `valid_utf8`, `byte_pattern`, `mostly_utf8`, `detector`,
    /// `config`).
    pub encoding_evidence: Option<&'static str>,
    /// Whether the file began with a byte order mark.
    pub bom: bool,
    /// Byte sequences invalid in the encoding, each replaced with U+FFFD.
    pub invalid_sequences: usize,
    /// U+FFFD characters in the decoded text.
    pub replacement_chars: usize,
    /// Mojibake runs repaired.
    pub mojibake_repairs: usize,
    /// The same by the encoding the UTF-8 had been misread as (written as
    /// `[{"encoding": …, "runs": n}]`).
    #[serde(serialize_with = "crate::io::report::encoding_runs")]
    pub mojibake_encodings: BTreeMap<&'static str, usize>,
    /// Segments written (not dropped).
    pub segments: usize,
    /// Dropped segments by reason (written as `[{"reason": …, "segments": n}]`, most first).
    #[serde(serialize_with = "crate::io::report::reason_segments")]
    pub dropped: BTreeMap<&'static str, usize>,
    /// Written segments by language code (written as `[{"lang": …, "segments": n}]`).
    #[serde(serialize_with = "crate::io::report::lang_segments")]
    pub languages: BTreeMap<&'static str, usize>,
    /// Written segments by script code (written as `[{"script": …, "segments": n}]`).
    #[serde(serialize_with = "crate::io::report::script_segments")]
    pub scripts: BTreeMap<&'static str, usize>,
    /// `ok`, or why the document was skipped.
    pub status: &'static str,
    /// The error of a skipped document (`null` for the others).
    pub error: Option<String>,
    /// The other fields of the input record, for documents read from a collection (`null`
    /// for files).
    pub metadata: Option<serde_json::Value>,
}

impl DocumentLine {
    /// The line of a document with nothing decoded yet: status `ok`, every count zero.
    pub fn new(id: &str, source: &str, bytes: u64, sha256: String) -> DocumentLine {
        DocumentLine {
            doc_id: id.to_string(),
            source: source.to_string(),
            bytes,
            sha256,
            encoding: None,
            encoding_confidence: 0.0,
            encoding_evidence: None,
            bom: false,
            invalid_sequences: 0,
            replacement_chars: 0,
            mojibake_repairs: 0,
            mojibake_encodings: BTreeMap::new(),
            segments: 0,
            dropped: BTreeMap::new(),
            languages: BTreeMap::new(),
            scripts: BTreeMap::new(),
            status: "ok",
            error: None,
            metadata: None,
        }
    }
}

/// Scripts written without spaces between sentences: a document's text joins their segments
/// with nothing between them.
const UNSPACED_SCRIPTS: [&str; 9] = [
    "Hani", "Jpan", "Hira", "Kana", "Thai", "Khmr", "Laoo", "Mymr", "Tibt",
];

/// The files of one language and script (`segments/<lang>_<script>.jsonl`,
/// `text/<lang>_<script>.txt`).
struct LangFiles {
    lang: &'static str,
    script: &'static str,
    segments: Option<StagedFile>,
    text: Option<StagedFile>,
}

/// The write buffer of the per-language files (there may be hundreds of them open).
const LANG_BUF: usize = 64 << 10;

/// `<lang>_<script>`, from the tables' codes; a byte that is not an ASCII letter or digit
/// (none today) becomes `-`, so the name is always a plain file name.
fn lang_file_stem(lang: &str, script: &str) -> String {
    let mut stem = String::with_capacity(lang.len() + script.len() + 1);
    for (k, part) in [lang, script].into_iter().enumerate() {
        if k > 0 {
            stem.push('_');
        }
        stem.extend(
            part.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
        );
    }
    stem
}

/// A document's line of `texts.jsonl`.
#[derive(Serialize)]
struct TextLine<'a> {
    doc_id: &'a str,
    /// The language with most written segments (`und` when none has any).
    lang: &'a str,
    segments: usize,
    text: &'a str,
}

/// The writer of one run's output folder.
pub struct Writer {
    segments: Option<StagedFile>,
    parquet: Option<ParquetSegments>,
    duplicates: StagedFile,
    documents: StagedFile,
    texts: Option<StagedFile>,
    langs: Vec<LangFiles>,
    cfg: OutputConfig,
    out: OutputDir,
    id_buf: String,
    buf: Vec<u8>,
    text_buf: String,
}

impl Writer {
    /// Locks the output folder `cfg.dir` (made if missing) and opens the run's files in its
    /// staging folder ([`OutputDir`]).
    pub fn create(cfg: &OutputConfig) -> Result<Writer, OutputError> {
        let out = OutputDir::open(&cfg.dir)?;
        let staging = out.staging().to_path_buf();
        let c = cfg.compression;
        if cfg.per_language {
            std::fs::create_dir(staging.join("segments")).map_err(oerr(&staging))?;
        }
        if cfg.text {
            std::fs::create_dir(staging.join("text")).map_err(oerr(&staging))?;
        }
        let (segments, parquet) = match cfg.format {
            OutputFormat::Jsonl => (
                Some(StagedFile::create(&staging, "segments.jsonl", c, 1 << 20)?),
                None,
            ),
            OutputFormat::Parquet => (None, Some(ParquetSegments::create(&staging, c)?)),
        };
        Ok(Writer {
            segments,
            parquet,
            duplicates: StagedFile::create(&staging, "duplicates.jsonl", c, 1 << 16)?,
            documents: StagedFile::create(&staging, "documents.jsonl", c, 1 << 16)?,
            texts: if cfg.documents {
                Some(StagedFile::create(&staging, "texts.jsonl", c, 1 << 20)?)
            } else {
                None
            },
            langs: Vec::new(),
            cfg: cfg.clone(),
            out,
            id_buf: String::new(),
            buf: Vec::with_capacity(4096),
            text_buf: String::new(),
        })
    }

    /// Whether the output folder is committed file by file rather than all at once.
    pub fn commits_in_place(&self) -> bool {
        self.out.is_in_place()
    }

    /// Where the run keeps its checkpoint (see `checkpoint`).
    pub fn checkpoint_dir(&self) -> std::path::PathBuf {
        self.out.checkpoint_dir()
    }

    /// The per-language files of `lang` and `script`, opened at their first segment.
    fn lang_files(
        &mut self,
        lang: &'static str,
        script: &'static str,
    ) -> Result<usize, OutputError> {
        // A document has few distinct pairs and the names come from fixed tables: compare
        // addresses first, then the text (equal names at two addresses are one file).
        if let Some(k) = self
            .langs
            .iter()
            .position(|f| std::ptr::eq(f.lang, lang) && std::ptr::eq(f.script, script))
            .or_else(|| {
                self.langs
                    .iter()
                    .position(|f| f.lang == lang && f.script == script)
            })
        {
            return Ok(k);
        }
        let stem = lang_file_stem(lang, script);
        let staging = self.out.staging();
        let c = self.cfg.compression;
        let segments = if self.cfg.per_language {
            Some(StagedFile::create(
                &staging.join("segments"),
                &format!("{stem}.jsonl"),
                c,
                LANG_BUF,
            )?)
        } else {
            None
        };
        let text = if self.cfg.text {
            Some(StagedFile::create(
                &staging.join("text"),
                &format!("{stem}.txt"),
                c,
                LANG_BUF,
            )?)
        } else {
            None
        };
        self.langs.push(LangFiles {
            lang,
            script,
            segments,
            text,
        });
        Ok(self.langs.len() - 1)
    }

    /// Writes one document's segments (those not dropped), its dropped duplicates, and its line.
    pub fn document(
        &mut self,
        doc: &DocumentLine,
        clean: &str,
        segs: &[Segment],
    ) -> Result<(), OutputError> {
        let by_lang = self.cfg.per_language || self.cfg.text;
        self.text_buf.clear();
        let mut prev: Option<&Segment> = None;
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
                    self.buf.clear();
                    duplicate_line(&mut self.buf, &self.id_buf, d);
                    self.duplicates.raw(&self.buf)?;
                }
                continue;
            }
            let text = &clean[s.text.clone()];
            if self.texts.is_some() {
                if let Some(p) = prev {
                    self.text_buf.push_str(if p.block != s.block {
                        "\n"
                    } else if UNSPACED_SCRIPTS.contains(&p.script) {
                        ""
                    } else {
                        " "
                    });
                }
                self.text_buf.push_str(text);
                prev = Some(s);
            }
            if let Some(pq) = &mut self.parquet {
                pq.push(&self.id_buf, &doc.doc_id, seq, s, clean)?;
                if !by_lang {
                    continue;
                }
            }
            self.buf.clear();
            segment_line(&mut self.buf, &self.id_buf, &doc.doc_id, seq, s, clean);
            if let Some(f) = &mut self.segments {
                f.raw(&self.buf)?;
            }
            if by_lang {
                let k = self.lang_files(s.lang, s.script)?;
                let files = &mut self.langs[k];
                if let Some(f) = &mut files.segments {
                    f.raw(&self.buf)?;
                }
                if let Some(f) = &mut files.text {
                    one_line(&mut self.buf, text);
                    f.raw(&self.buf)?;
                }
            }
        }
        if let Some(f) = &mut self.texts {
            if !self.text_buf.is_empty() {
                let lang = doc
                    .languages
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map_or("und", |(l, _)| l);
                f.line(&TextLine {
                    doc_id: &doc.doc_id,
                    lang,
                    segments: doc.segments,
                    text: &self.text_buf,
                })?;
            }
        }
        self.documents.line(doc)
    }

    /// Writes the report (`report.json`, `report.html`) and the timings (`timing.json`), and
    /// puts the whole set in place ([`OutputDir::commit`]).
    pub fn commit(self, report: &Report, timing: &Timing) -> Result<(), OutputError> {
        if let Some(f) = self.segments {
            f.finish()?;
        }
        if let Some(p) = self.parquet {
            p.finish()?;
        }
        self.duplicates.finish()?;
        self.documents.finish()?;
        if let Some(f) = self.texts {
            f.finish()?;
        }
        for l in self.langs {
            for f in [l.segments, l.text].into_iter().flatten() {
                f.finish()?;
            }
        }
        let staging = self.out.staging();
        let json = |name: &str, value: &dyn erased::Json| -> Result<(), OutputError> {
            let mut f = StagedFile::create(staging, name, Compression::None, 1 << 16)?;
            let mut text = value.pretty().map_err(oerr(&f.path))?;
            text.push('\n');
            f.raw(text.as_bytes())?;
            f.finish()
        };
        json("timing.json", timing)?;
        if self.cfg.html {
            let mut f = StagedFile::create(staging, "report.html", Compression::None, 1 << 16)?;
            let page = super::html::page(report, self.cfg.html_timings.then_some(timing));
            f.raw(page.as_bytes())?;
            f.finish()?;
        }
        json("report.json", report)?;
        self.out.commit()
    }

    /// Removes the staged files of a failed run; the previous output stays as it was.
    pub fn abandon(self) {
        drop(self.segments);
        drop(self.parquet);
        drop(self.duplicates);
        drop(self.documents);
        drop(self.texts);
        drop(self.langs);
        self.out.abandon();
    }
}

/// Serializing the report and the timings through one closure.
mod erased {
    pub trait Json {
        fn pretty(&self) -> std::io::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn pretty(&self) -> std::io::Result<String> {
            serde_json::to_string_pretty(self).map_err(|e| std::io::Error::other(e.to_string()))
        }
    }
}

/// Puts `text` into `out` as one line of plain text: line breaks that survived (there are none
/// under the default normalization) become spaces.
fn one_line(out: &mut Vec<u8>, text: &str) {
    out.clear();
    out.extend_from_slice(text.as_bytes());
    for b in out.iter_mut() {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    out.push(b'\n');
}

fn itoa(n: usize) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{BlockKind, Direction, DupOf, Flags, LangSource, SegKind};
    use proptest::prelude::*;

    /// The line as serde_json writes it: the definition `segment_line` must equal.
    #[derive(Serialize)]
    struct SegmentLine<'a> {
        id: &'a str,
        doc_id: &'a str,
        seq: u32,
        kind: &'static str,
        block: &'static str,
        paragraph: usize,
        text: &'a str,
        lang: &'static str,
        lang_script: &'static str,
        lang_confidence: f64,
        lang_source: &'static str,
        script: &'static str,
        direction: &'static str,
        rtl_runs: &'a [(u32, u32)],
        raw_span: [usize; 2],
        line: usize,
        dup_of: Option<&'a str>,
        flags: Vec<&'static str>,
        garbled_score: f64,
    }

    fn by_serde(id: &str, doc_id: &str, seq: usize, s: &Segment, clean: &str) -> String {
        let line = SegmentLine {
            id,
            doc_id,
            seq: seq as u32,
            kind: s.kind.name(),
            block: s.block_kind.name(),
            paragraph: s.block,
            text: &clean[s.text.clone()],
            lang: s.lang,
            lang_script: s.lang_script,
            lang_confidence: round4(s.lang_confidence),
            lang_source: s.lang_source.name(),
            script: s.script,
            direction: s.direction.name(),
            rtl_runs: &s.rtl_runs,
            raw_span: [s.raw.start, s.raw.end],
            line: s.line,
            dup_of: s.dup_of.as_ref().map(|d| d.id.as_str()),
            flags: s.flags.names().collect(),
            garbled_score: round4(s.garbled_score),
        };
        let mut text = serde_json::to_string(&line).unwrap();
        text.push('\n');
        text
    }

    const FLAGS: [Flags; 7] = [
        Flags::GARBLED,
        Flags::REPAIRED_MOJIBAKE,
        Flags::REFLOWED,
        Flags::DEHYPHENATED,
        Flags::REPAIRED_BIDI,
        Flags::REPLACEMENT_CHARS,
        Flags::TRUNCATED,
    ];

    /// A segment covering all of `clean`, its other fields drawn from `k`.
    fn segment(clean: &str, k: u64, dup: Option<&str>) -> Segment {
        let kinds = [
            SegKind::Sentence,
            SegKind::Block(BlockKind::Heading),
            SegKind::Block(BlockKind::ListItem),
            SegKind::Block(BlockKind::TocEntry),
        ];
        let mut s = Segment::new(
            0..0,
            0..clean.len(),
            (k % 1000) as usize,
            kinds[(k % 4) as usize],
        );
        if k % 7 == 1 {
            s.block_kind = BlockKind::ListItem;
        }
        for (bit, f) in FLAGS.iter().enumerate() {
            if k >> bit & 1 == 1 {
                s.flags.insert(*f);
            }
        }
        s.lang = ["eng", "arb", "und"][(k % 3) as usize];
        s.lang_script = ["eng_Latn", "arb_Arab", "und_Zyyy"][(k % 3) as usize];
        s.lang_confidence = (k % 10_007) as f32 / 10_007.0;
        s.lang_source = if k & 8 == 0 {
            LangSource::Segment
        } else {
            LangSource::Context
        };
        s.script = ["Latn", "Arab", "Zyyy"][(k % 3) as usize];
        s.direction = [Direction::Ltr, Direction::Rtl, Direction::Mixed][(k % 3) as usize];
        if k % 5 == 0 {
            s.rtl_runs = vec![(0, (k % 77) as u32), (80, 93)];
        }
        s.garbled_score = if k % 2 == 0 {
            0.0
        } else {
            (k % 997) as f32 / 991.0
        };
        s.raw = (k as usize % 5000)..(k as usize % 5000 + clean.len());
        s.line = 1 + (k % 400) as usize;
        s.dup_of = dup.map(|id| DupOf {
            id: id.to_string(),
            near: k & 1 == 1,
            similarity: 0.9,
            cross_document: false,
        });
        s
    }

    #[derive(Serialize)]
    struct DuplicateLine<'a> {
        id: &'a str,
        dup_of: &'a str,
        kind: &'static str,
        similarity: f64,
        cross_document: bool,
    }

    proptest! {
        #[test]
        fn duplicate_lines_equal_serde(id in any::<String>(), of in any::<String>(), sim in 0f32..=1.0, k in 0u8..4) {
            let d = DupOf { id: of.clone(), near: k & 1 == 1, similarity: sim, cross_document: k & 2 == 2 };
            let mut want = serde_json::to_string(&DuplicateLine {
                id: &id,
                dup_of: &of,
                kind: if d.near { "near" } else { "exact" },
                similarity: round4(d.similarity),
                cross_document: d.cross_document,
            }).unwrap();
            want.push('\n');
            let mut out = Vec::new();
            duplicate_line(&mut out, &id, &d);
            prop_assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    fn by_hand(id: &str, doc_id: &str, seq: usize, s: &Segment, clean: &str) -> String {
        let mut out = Vec::new();
        segment_line(&mut out, id, doc_id, seq, s, clean);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn segment_lines_equal_serde_on_the_seeds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("raw");
        let mut n = 0u64;
        for entry in std::fs::read_dir(dir).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&raw);
            for line in text.split_inclusive('\n') {
                n += 1;
                let s = segment(line, n, (n % 7 == 0).then_some("x.txt#3"));
                assert_eq!(
                    by_hand("doc \"1\".txt#5", "doc \"1\".txt", n as usize, &s, line),
                    by_serde("doc \"1\".txt#5", "doc \"1\".txt", n as usize, &s, line)
                );
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn every_byte_that_needs_escaping() {
        let all: String = (0u8..0x80)
            .map(char::from)
            .chain("é\u{7f}\u{2028}𝒜".chars())
            .collect();
        for k in 0..64 {
            let s = segment(&all, k, Some("a\\b\u{1}"));
            assert_eq!(
                by_hand("i", "d", 0, &s, &all),
                by_serde("i", "d", 0, &s, &all)
            );
        }
    }

    proptest! {
        #[test]
        fn segment_lines_equal_serde(text in any::<String>(), id in any::<String>(), k in any::<u64>()) {
            let s = segment(&text, k, (k % 3 == 0).then_some(id.as_str()));
            prop_assert_eq!(
                by_hand(&id, &id, k as usize % 100_000, &s, &text),
                by_serde(&id, &id, k as usize % 100_000, &s, &text)
            );
        }
    }
}
