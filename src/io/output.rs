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

/// One output file being written in the staging folder.
struct StagedFile {
    path: PathBuf,
    w: BufWriter<File>,
}

impl StagedFile {
    fn create(dir: &Path, name: &str) -> Result<StagedFile, OutputError> {
        let path = dir.join(name);
        let f = File::create(&path).map_err(oerr(&path))?;
        Ok(StagedFile {
            path,
            w: BufWriter::with_capacity(1 << 20, f),
        })
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), OutputError> {
        serde_json::to_writer(&mut self.w, value)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(oerr(&self.path))?;
        self.w.write_all(b"\n").map_err(oerr(&self.path))
    }

    /// Writes bytes that already form whole lines.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        self.w.write_all(bytes).map_err(oerr(&self.path))
    }

    /// Flushes the file and makes sure it is on disk.
    fn finish(self) -> Result<(), OutputError> {
        let f = self.w.into_inner().map_err(|e| OutputError {
            path: self.path.display().to_string(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(oerr(&self.path))
    }
}

/// Appends the `segments.jsonl` line of `s` (with its newline) to `out`.
///
/// This is the one line of the run written without serde: it is written once per segment and
/// carries nearly all the output's bytes, and serde_json's string escaping looks at each byte
/// in turn. The fields, their order, the omitted ones and every byte of the values are those
/// serde_json gives the equivalent struct (`SegmentLine` in the tests, which check it on real
/// and arbitrary text); strings are escaped by [`json_str`], numbers formatted by serde_json.
fn segment_line(out: &mut Vec<u8>, id: &str, doc_id: &str, seq: usize, s: &Segment, clean: &str) {
    out.extend_from_slice(b"{\"id\":");
    json_str(out, id);
    out.extend_from_slice(b",\"doc_id\":");
    json_str(out, doc_id);
    out.extend_from_slice(b",\"seq\":");
    json_num(out, seq as u32);
    out.extend_from_slice(b",\"kind\":");
    json_str(out, s.kind.name());
    out.extend_from_slice(b",\"paragraph\":");
    json_num(out, s.block);
    out.extend_from_slice(b",\"text\":");
    json_str(out, &clean[s.text.clone()]);
    out.extend_from_slice(b",\"lang\":");
    json_str(out, s.lang);
    out.extend_from_slice(b",\"lang_confidence\":");
    json_num(out, round4(s.lang_confidence));
    out.extend_from_slice(b",\"lang_source\":");
    json_str(out, s.lang_source.name());
    out.extend_from_slice(b",\"script\":");
    json_str(out, s.script);
    out.extend_from_slice(b",\"direction\":");
    json_str(out, s.direction.name());
    if !s.rtl_runs.is_empty() {
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
        out.push(b']');
    }
    out.extend_from_slice(b",\"raw_span\":[");
    json_num(out, s.raw.start);
    out.push(b',');
    json_num(out, s.raw.end);
    out.extend_from_slice(b"],\"line\":");
    json_num(out, s.line);
    if let Some(d) = &s.dup_of {
        out.extend_from_slice(b",\"dup_of\":");
        json_str(out, &d.id);
    }
    out.extend_from_slice(b",\"flags\":[");
    for (k, name) in s.flags.names().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        json_str(out, name);
    }
    out.push(b']');
    if s.garbled_score > 0.0 {
        out.extend_from_slice(b",\"garbled_score\":");
        json_num(out, round4(s.garbled_score));
    }
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
    /// Segments written (not dropped).
    pub segments: usize,
    /// Dropped segments by reason.
    pub dropped: BTreeMap<&'static str, usize>,
    /// Written segments by language code.
    pub languages: BTreeMap<&'static str, usize>,
    /// Written segments by script code.
    pub scripts: BTreeMap<&'static str, usize>,
    /// `ok`, or why the document was skipped.
    pub status: &'static str,
    /// The error of a skipped document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A record's other fields (a JSON object); `null` for a document read from a text file.
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

/// The writer of one run's output folder.
pub struct Writer {
    segments: StagedFile,
    duplicates: StagedFile,
    documents: StagedFile,
    out: OutputDir,
    id_buf: String,
    buf: Vec<u8>,
}

impl Writer {
    /// Locks the output folder `dir` (made if missing) and opens the run's files in its
    /// staging folder ([`OutputDir`]).
    pub fn create(dir: &Path) -> Result<Writer, OutputError> {
        let out = OutputDir::open(dir)?;
        let staging = out.staging().to_path_buf();
        Ok(Writer {
            segments: StagedFile::create(&staging, "segments.jsonl")?,
            duplicates: StagedFile::create(&staging, "duplicates.jsonl")?,
            documents: StagedFile::create(&staging, "documents.jsonl")?,
            out,
            id_buf: String::new(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Whether the output folder is committed file by file rather than all at once.
    pub fn commits_in_place(&self) -> bool {
        self.out.is_in_place()
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
                    self.buf.clear();
                    duplicate_line(&mut self.buf, &self.id_buf, d);
                    self.duplicates.raw(&self.buf)?;
                }
                continue;
            }
            self.buf.clear();
            segment_line(&mut self.buf, &self.id_buf, &doc.doc_id, seq, s, clean);
            self.segments.raw(&self.buf)?;
        }
        self.documents.line(doc)
    }

    /// Writes the report and puts the whole set in place ([`OutputDir::commit`]).
    pub fn commit<T: Serialize>(self, report: &T) -> Result<(), OutputError> {
        self.segments.finish()?;
        self.duplicates.finish()?;
        self.documents.finish()?;
        let mut report_file = StagedFile::create(self.out.staging(), "report.json")?;
        let path = report_file.path.clone();
        let mut text = serde_json::to_string_pretty(report)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(oerr(&path))?;
        text.push('\n');
        report_file.raw(text.as_bytes())?;
        report_file.finish()?;
        self.out.commit()
    }

    /// Removes the staged files of a failed run; the previous output stays as it was.
    pub fn abandon(self) {
        drop(self.segments);
        drop(self.duplicates);
        drop(self.documents);
        self.out.abandon();
    }
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

    fn by_serde(id: &str, doc_id: &str, seq: usize, s: &Segment, clean: &str) -> String {
        let line = SegmentLine {
            id,
            doc_id,
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
        for (bit, f) in FLAGS.iter().enumerate() {
            if k >> bit & 1 == 1 {
                s.flags.insert(*f);
            }
        }
        s.lang = ["eng", "ara", "und"][(k % 3) as usize];
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
