//! The output of one shard of a run (`run --shard K/N`): every document of the shard as it
//! stands before the cross-document dedup decisions, enough for `merge` to replay those
//! decisions over all shards in input order and write what a single run writes.
//!
//! A shard folder holds three files, committed together by the same staged, atomic commit as a
//! run's output ([`OutputDir`]):
//!
//! * `shard-records.bin`: per document, its `documents.jsonl` line, its output text and its
//!   segments (tags, ranges, flags; no dedup decision yet);
//! * `shard-fingerprints.bin`: per document, what [`crate::stage::dedup::DedupIndex::decide`]
//!   consumes: the exact key of each segment and the MinHash sketches (signature values
//!   truncated to the 16 bits the index compares, and the LSH band keys) of its paragraphs and
//!   of the document;
//! * `shard.json`: the [`Manifest`] (shard `K` of `N`, the configuration and input-list hashes,
//!   the counts), written last.
//!
//! Both binary files start with an 8-byte magic and a little-endian `u32` version, then hold one
//! frame per document in input order: a `u32` payload length, the payload, and the low 32 bits
//! of the payload's xxh3, so a damaged file is an error naming the file and byte offset, never a
//! wrong output. Integers in payloads are LEB128 varints unless said otherwise.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use super::outdir::OutputDir;
use super::output::{DocumentLine, OutputError};
use crate::doc::{
    BlockKind, BoilerKind, Direction, DropReason, DupOf, Flags, LangSource, SegKind, Segment,
};
use crate::io::report::StageTimes;
use crate::stage::dedup::{DocFingerprints, Sketch};
use crate::stages::ProcessedDoc;

/// The manifest's file name.
pub const MANIFEST: &str = "shard.json";
/// The per-document records' file name.
pub const RECORDS: &str = "shard-records.bin";
/// The per-document fingerprints' file name.
pub const FINGERPRINTS: &str = "shard-fingerprints.bin";
/// The version of the binary files and of the manifest.
pub const VERSION: u32 = 1;
/// What the manifest's `format` field says.
const FORMAT: &str = "scriptorium-shard";
pub(super) const RECORDS_MAGIC: &[u8; 8] = b"SCRPREC\0";
pub(super) const FINGERPRINTS_MAGIC: &[u8; 8] = b"SCRPFPS\0";
/// Frames larger than this are refused as corrupt (a document's frame is far smaller).
const MAX_FRAME: u32 = 1 << 31;

/// What a shard folder says about itself (`shard.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `scriptorium-shard`.
    pub format: String,
    /// The version of the shard files ([`VERSION`]).
    pub version: u32,
    /// This shard's index `K`, from 0.
    pub shard: u32,
    /// The number of shards `N`.
    pub shards: u32,
    /// Hash of the configuration (all of it but the input paths and the output folder) and of
    /// the program version.
    pub config_hash: String,
    /// Hash of the whole input list (every input's document id and path, in walk order).
    pub input_hash: String,
    /// Inputs of the whole run (all shards).
    pub inputs_total: u64,
    /// Index in the sorted walk of this shard's first input.
    pub first_input: u64,
    /// Inputs of this shard (a contiguous range of the walk from `first_input`).
    pub inputs: u64,
    /// Documents of this shard (a collection's records each count).
    pub documents: u64,
    /// Segments of this shard before the dedup decisions.
    pub segments: u64,
    /// Size of `shard-records.bin` in bytes.
    pub records_bytes: u64,
    /// Size of `shard-fingerprints.bin` in bytes.
    pub fingerprints_bytes: u64,
    /// CPU time of each per-document stage, in nanoseconds (the order of `timing.json`).
    pub stage_nanos: Vec<u64>,
}

impl Manifest {
    /// A manifest for shard `shard` of `shards`, its counts still zero.
    pub fn new(shard: u32, shards: u32, config_hash: String, input_hash: String) -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            shard,
            shards,
            config_hash,
            input_hash,
            inputs_total: 0,
            first_input: 0,
            inputs: 0,
            documents: 0,
            segments: 0,
            records_bytes: 0,
            fingerprints_bytes: 0,
            stage_nanos: Vec::new(),
        }
    }

    /// Reads `dir/shard.json`.
    pub fn read(dir: &Path) -> Result<Manifest, ShardError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| ShardError::at(&path, e))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| ShardError {
            path: path.display().to_string(),
            message: format!("not a shard manifest: {e}"),
        })?;
        if m.format != FORMAT || m.version != VERSION {
            return Err(ShardError {
                path: path.display().to_string(),
                message: format!(
                    "a shard manifest of format `{}` version {}, this program reads `{FORMAT}` \
                     version {VERSION}",
                    m.format, m.version
                ),
            });
        }
        Ok(m)
    }

    /// Whether the two binary files of `dir` are there with the sizes this manifest records:
    /// the folder holds this complete shard.
    pub fn files_complete(&self, dir: &Path) -> bool {
        let size = |name: &str| std::fs::metadata(dir.join(name)).map(|m| m.len()).ok();
        size(RECORDS) == Some(self.records_bytes)
            && size(FINGERPRINTS) == Some(self.fingerprints_bytes)
    }

    /// The stage times recorded.
    pub fn stage_times(&self) -> StageTimes {
        let mut t = StageTimes::default();
        for (d, &n) in t.0.iter_mut().zip(&self.stage_nanos) {
            *d = std::time::Duration::from_nanos(n);
        }
        t
    }
}

/// A shard file that cannot be read, or is not what it should be.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ShardError {
    /// The file.
    pub path: String,
    /// What is wrong (with the byte offset, for a damaged file).
    pub message: String,
}

impl ShardError {
    fn at(path: &Path, e: std::io::Error) -> ShardError {
        ShardError {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// The `&'static str` of a name read back from a shard file (a language, script, encoding or
/// status code). The names come from fixed tables of the program, so each distinct name is
/// allocated once per process; names longer than 64 bytes, or more than 4096 distinct ones,
/// are refused as corrupt.
fn intern(s: &str) -> Option<&'static str> {
    static POOL: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if s.len() > 64 {
        return None;
    }
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = pool.get(s) {
        return Some(known);
    }
    if pool.len() >= 4096 {
        return None;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    pool.insert(leaked);
    Some(leaked)
}

/// Appends the encoding of values to a payload.
#[derive(Default)]
pub(super) struct Enc(pub(super) Vec<u8>);

impl Enc {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn usize(&mut self, v: usize) {
        self.var(v as u64);
    }
    fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn counts(&mut self, m: &BTreeMap<&'static str, usize>) {
        self.usize(m.len());
        for (k, n) in m {
            self.str(k);
            self.usize(*n);
        }
    }
    fn sketch(&mut self, sk: &Sketch) {
        self.usize(sk.segs.start);
        self.usize(sk.segs.end);
        self.usize(sk.sig.len());
        for &v in sk.sig.iter() {
            // The index compares and keeps the low 16 bits only.
            self.0.extend_from_slice(&(v as u16).to_le_bytes());
        }
        self.usize(sk.bands.len());
        for &b in sk.bands.iter() {
            self.0.extend_from_slice(&b.to_le_bytes());
        }
    }
}

/// Reads values back from a payload; every error names the file and the byte offset.
struct Dec<'a> {
    b: &'a [u8],
    pos: usize,
    base: u64,
    path: &'a str,
}

impl<'a> Dec<'a> {
    fn err(&self, what: &str) -> ShardError {
        ShardError {
            path: self.path.to_string(),
            message: format!("byte {}: {what}", self.base + self.pos as u64),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ShardError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err("record ends early"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const K: usize>(&mut self) -> Result<[u8; K], ShardError> {
        let mut a = [0u8; K];
        a.copy_from_slice(self.take(K)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ShardError> {
        Ok(self.take(1)?[0])
    }
    fn bool(&mut self) -> Result<bool, ShardError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err("bad boolean")),
        }
    }
    fn var(&mut self) -> Result<u64, ShardError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("bad integer"))
    }
    fn usize(&mut self) -> Result<usize, ShardError> {
        let v = self.var()?;
        usize::try_from(v).map_err(|_| self.err("integer too large"))
    }
    /// A count of items each at least `min_bytes` long: bounded by the bytes left.
    fn len(&mut self, min_bytes: usize) -> Result<usize, ShardError> {
        let n = self.usize()?;
        if n.saturating_mul(min_bytes.max(1)) > self.b.len() - self.pos {
            return Err(self.err("count larger than the record"));
        }
        Ok(n)
    }
    fn u32(&mut self) -> Result<u32, ShardError> {
        let v = self.var()?;
        u32::try_from(v).map_err(|_| self.err("integer too large"))
    }
    fn f32(&mut self) -> Result<f32, ShardError> {
        Ok(f32::from_bits(u32::from_le_bytes(self.array()?)))
    }
    fn f64(&mut self) -> Result<f64, ShardError> {
        Ok(f64::from_bits(u64::from_le_bytes(self.array()?)))
    }
    fn str(&mut self) -> Result<&'a str, ShardError> {
        let n = self.len(1)?;
        let at = self.pos;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| {
            self.pos = at;
            self.err("text is not UTF-8")
        })
    }
    fn string(&mut self) -> Result<String, ShardError> {
        Ok(self.str()?.to_string())
    }
    fn opt_string(&mut self) -> Result<Option<String>, ShardError> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn name(&mut self) -> Result<&'static str, ShardError> {
        let s = self.str()?;
        intern(s).ok_or_else(|| self.err("bad name"))
    }
    fn opt_name(&mut self) -> Result<Option<&'static str>, ShardError> {
        Ok(if self.bool()? {
            Some(self.name()?)
        } else {
            None
        })
    }
    fn counts(&mut self) -> Result<BTreeMap<&'static str, usize>, ShardError> {
        let n = self.len(2)?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let k = self.name()?;
            let v = self.usize()?;
            m.insert(k, v);
        }
        Ok(m)
    }
    fn range(&mut self) -> Result<std::ops::Range<usize>, ShardError> {
        let start = self.usize()?;
        let end = self.usize()?;
        if end < start {
            return Err(self.err("bad range"));
        }
        Ok(start..end)
    }
    fn sketch(&mut self) -> Result<Sketch, ShardError> {
        let segs = self.range()?;
        let k = self.len(2)?;
        let mut sig = Vec::with_capacity(k);
        for _ in 0..k {
            sig.push(u32::from(u16::from_le_bytes(self.array()?)));
        }
        let b = self.len(8)?;
        let mut bands = Vec::with_capacity(b);
        for _ in 0..b {
            bands.push(u64::from_le_bytes(self.array()?));
        }
        Ok(Sketch {
            segs,
            sig: sig.into_boxed_slice(),
            bands: bands.into_boxed_slice(),
        })
    }
    fn end(&self) -> Result<(), ShardError> {
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(self.err("bytes left over at the end of the record"))
        }
    }
}

const BLOCK_KINDS: [BlockKind; 7] = [
    BlockKind::Heading,
    BlockKind::Paragraph,
    BlockKind::ListItem,
    BlockKind::TocEntry,
    BlockKind::PageNumber,
    BlockKind::Separator,
    BlockKind::HeaderFooter,
];

const DROP_REASONS: [DropReason; 10] = [
    DropReason::Boilerplate(BoilerKind::TocEntry),
    DropReason::Boilerplate(BoilerKind::PageNumber),
    DropReason::Boilerplate(BoilerKind::Separator),
    DropReason::Boilerplate(BoilerKind::HeaderFooter),
    DropReason::Empty,
    DropReason::TooShort,
    DropReason::Garbled,
    DropReason::Language,
    DropReason::ExactDuplicate,
    DropReason::NearDuplicate,
];

const DIRECTIONS: [Direction; 3] = [Direction::Ltr, Direction::Rtl, Direction::Mixed];

fn code<T: PartialEq>(table: &[T], v: &T) -> u8 {
    table
        .iter()
        .position(|t| t == v)
        .map_or(u8::MAX, |i| i as u8)
}

fn block_code(k: BlockKind) -> u8 {
    code(&BLOCK_KINDS, &k)
}

impl Dec<'_> {
    fn pick<T: Copy>(&mut self, table: &[T], what: &str) -> Result<T, ShardError> {
        let c = self.u8()?;
        table.get(c as usize).copied().ok_or_else(|| {
            self.pos -= 1;
            self.err(&format!("bad {what}"))
        })
    }
}

/// The record payload of one document.
pub(super) fn encode_record(e: &mut Enc, p: &ProcessedDoc) {
    let l = &p.line;
    e.str(&l.doc_id);
    e.str(&l.source);
    e.var(l.bytes);
    e.str(&l.sha256);
    e.opt_str(l.encoding);
    e.f64(l.encoding_confidence);
    e.opt_str(l.encoding_evidence);
    e.u8(l.bom as u8);
    e.usize(l.invalid_sequences);
    e.usize(l.replacement_chars);
    e.usize(l.mojibake_repairs);
    e.counts(&l.mojibake_encodings);
    e.usize(l.segments);
    e.counts(&l.dropped);
    e.counts(&l.languages);
    e.counts(&l.scripts);
    e.str(l.status);
    e.opt_str(l.error.as_deref());
    e.opt_str(l.metadata.as_ref().map(|m| m.to_string()).as_deref());
    e.str(&p.clean);
    e.usize(p.segments.len());
    for s in &p.segments {
        e.usize(s.src.start);
        e.usize(s.src.end);
        e.usize(s.text.start);
        e.usize(s.text.end);
        e.usize(s.block);
        e.u8(match s.kind {
            SegKind::Sentence => 0,
            SegKind::Block(k) => 1 + block_code(k),
        });
        e.u8(block_code(s.block_kind));
        e.var(u64::from(s.flags.bits()));
        e.str(s.script);
        e.u8(code(&DIRECTIONS, &s.direction));
        e.usize(s.rtl_runs.len());
        for &(a, b) in &s.rtl_runs {
            e.var(u64::from(a));
            e.var(u64::from(b));
        }
        e.f32(s.garbled_score);
        e.str(s.lang);
        e.str(s.lang_script);
        e.f32(s.lang_confidence);
        e.u8(match s.lang_source {
            LangSource::Segment => 0,
            LangSource::Context => 1,
        });
        match &s.dup_of {
            None => e.u8(0),
            Some(d) => {
                e.u8(1);
                e.str(&d.id);
                e.u8(d.near as u8);
                e.f32(d.similarity);
                e.u8(d.cross_document as u8);
            }
        }
        match s.dropped {
            None => e.u8(0),
            Some(r) => e.u8(1 + code(&DROP_REASONS, &r)),
        }
        e.usize(s.raw.start);
        e.usize(s.raw.end);
        e.usize(s.line);
    }
}

fn decode_record(d: &mut Dec<'_>) -> Result<ProcessedDoc, ShardError> {
    let doc_id = d.string()?;
    let source = d.string()?;
    let bytes = d.var()?;
    let sha256 = d.string()?;
    let mut line = DocumentLine::new(&doc_id, &source, bytes, sha256);
    line.encoding = d.opt_name()?;
    line.encoding_confidence = d.f64()?;
    line.encoding_evidence = d.opt_name()?;
    line.bom = d.bool()?;
    line.invalid_sequences = d.usize()?;
    line.replacement_chars = d.usize()?;
    line.mojibake_repairs = d.usize()?;
    line.mojibake_encodings = d.counts()?;
    line.segments = d.usize()?;
    line.dropped = d.counts()?;
    line.languages = d.counts()?;
    line.scripts = d.counts()?;
    line.status = d.name()?;
    line.error = d.opt_string()?;
    line.metadata = match d.opt_string()? {
        None => None,
        Some(json) => {
            Some(serde_json::from_str(&json).map_err(|e| d.err(&format!("bad metadata: {e}")))?)
        }
    };
    let clean = d.string()?;
    let n = d.len(24)?;
    let mut segments = Vec::with_capacity(n);
    for _ in 0..n {
        let src = d.range()?;
        let text = d.range()?;
        if text.end > clean.len() || !clean.is_char_boundary(text.start) {
            return Err(d.err("segment range outside the text"));
        }
        if !clean.is_char_boundary(text.end) {
            return Err(d.err("segment range outside the text"));
        }
        let block = d.usize()?;
        let kind = match d.u8()? {
            0 => SegKind::Sentence,
            c => SegKind::Block(
                *BLOCK_KINDS
                    .get(c as usize - 1)
                    .ok_or_else(|| d.err("bad segment kind"))?,
            ),
        };
        let mut s = Segment::new(src, text, block, kind);
        s.block_kind = d.pick(&BLOCK_KINDS, "block kind")?;
        s.flags = Flags::from_bits(d.u32()?).ok_or_else(|| d.err("bad flags"))?;
        s.script = d.name()?;
        s.direction = d.pick(&DIRECTIONS, "direction")?;
        let runs = d.len(2)?;
        for _ in 0..runs {
            let a = d.u32()?;
            let b = d.u32()?;
            s.rtl_runs.push((a, b));
        }
        s.garbled_score = d.f32()?;
        s.lang = d.name()?;
        s.lang_script = d.name()?;
        s.lang_confidence = d.f32()?;
        s.lang_source = d.pick(&[LangSource::Segment, LangSource::Context], "source")?;
        s.dup_of = if d.bool()? {
            Some(DupOf {
                id: d.string()?,
                near: d.bool()?,
                similarity: d.f32()?,
                cross_document: d.bool()?,
            })
        } else {
            None
        };
        s.dropped = match d.u8()? {
            0 => None,
            c => Some(
                *DROP_REASONS
                    .get(c as usize - 1)
                    .ok_or_else(|| d.err("bad drop reason"))?,
            ),
        };
        s.raw = d.range()?;
        s.line = d.usize()?;
        segments.push(s);
    }
    d.end()?;
    Ok(ProcessedDoc {
        line,
        clean,
        segments,
        fingerprints: DocFingerprints::default(),
        times: StageTimes::default(),
        warnings: Vec::new(),
    })
}

/// The fingerprint payload of one document.
pub(super) fn encode_fingerprints(e: &mut Enc, f: &DocFingerprints) {
    e.usize(f.exact.len());
    for chunk in f.exact.chunks(8) {
        let mut bits = 0u8;
        for (i, k) in chunk.iter().enumerate() {
            bits |= (k.is_some() as u8) << i;
        }
        e.u8(bits);
    }
    for k in f.exact.iter().flatten() {
        e.0.extend_from_slice(&k.to_le_bytes());
    }
    e.usize(f.paragraphs.len());
    for sk in &f.paragraphs {
        e.sketch(sk);
    }
    match &f.document {
        None => e.u8(0),
        Some(sk) => {
            e.u8(1);
            e.sketch(sk);
        }
    }
}

fn decode_fingerprints(d: &mut Dec<'_>) -> Result<DocFingerprints, ShardError> {
    let n = d.usize()?;
    let bitmap = d.take(n.div_ceil(8))?;
    let mut exact = Vec::with_capacity(n);
    for i in 0..n {
        exact.push(if bitmap[i / 8] >> (i % 8) & 1 == 1 {
            Some(u128::from_le_bytes(d.array()?))
        } else {
            None
        });
    }
    let p = d.len(4)?;
    let mut paragraphs = Vec::with_capacity(p);
    for _ in 0..p {
        paragraphs.push(d.sketch()?);
    }
    let document = if d.bool()? { Some(d.sketch()?) } else { None };
    d.end()?;
    Ok(DocFingerprints {
        exact,
        paragraphs,
        document,
    })
}

/// One of the two binary files being written.
pub(super) struct FrameFile {
    path: PathBuf,
    w: BufWriter<File>,
    bytes: u64,
}

impl FrameFile {
    pub(super) fn create(
        dir: &Path,
        name: &str,
        magic: &[u8; 8],
    ) -> Result<FrameFile, OutputError> {
        let path = dir.join(name);
        let f = File::create(&path).map_err(|e| oerr(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        w.write_all(magic)
            .and_then(|()| w.write_all(&VERSION.to_le_bytes()))
            .map_err(|e| oerr(&path, e))?;
        Ok(FrameFile { path, w, bytes: 12 })
    }

    pub(super) fn frame(&mut self, payload: &[u8]) -> Result<(), OutputError> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&n| n < MAX_FRAME)
            .ok_or_else(|| {
                oerr(
                    &self.path,
                    std::io::Error::other("a document's record is larger than 2 GiB"),
                )
            })?;
        let check = xxhash_rust::xxh3::xxh3_64(payload) as u32;
        self.w
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.w.write_all(payload))
            .and_then(|()| self.w.write_all(&check.to_le_bytes()))
            .map_err(|e| oerr(&self.path, e))?;
        self.bytes += 8 + u64::from(len);
        Ok(())
    }

    pub(super) fn finish(self) -> Result<u64, OutputError> {
        let f = self
            .w
            .into_inner()
            .map_err(|e| oerr(&self.path, e.into_error()))?;
        f.sync_all().map_err(|e| oerr(&self.path, e))?;
        Ok(self.bytes)
    }

    /// Opens the file `dir/name`, written before with `magic`, to append frames after its first
    /// `len` bytes (what follows them, a frame cut short by a kill, is cut off).
    pub(super) fn append(
        dir: &Path,
        name: &str,
        magic: &[u8; 8],
        len: u64,
    ) -> Result<FrameFile, OutputError> {
        use std::io::{Seek, SeekFrom};
        let path = dir.join(name);
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| oerr(&path, e))?;
        let mut head = [0u8; 12];
        f.read_exact(&mut head).map_err(|e| oerr(&path, e))?;
        if &head[..8] != magic || head[8..] != VERSION.to_le_bytes() || len < 12 {
            return Err(oerr(
                &path,
                std::io::Error::other("not a file of this kind and version"),
            ));
        }
        f.set_len(len).map_err(|e| oerr(&path, e))?;
        f.seek(SeekFrom::Start(len)).map_err(|e| oerr(&path, e))?;
        Ok(FrameFile {
            path,
            w: BufWriter::with_capacity(1 << 20, f),
            bytes: len,
        })
    }

    /// Hands the buffered frames to the system (they then outlive a killed process); returns
    /// the file's length.
    pub(super) fn flush(&mut self) -> Result<u64, OutputError> {
        self.w.flush().map_err(|e| oerr(&self.path, e))?;
        Ok(self.bytes)
    }
}

pub(super) fn oerr(path: &Path, source: std::io::Error) -> OutputError {
    OutputError {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a shard folder: the documents in input order, then the manifest, then the commit.
pub struct ShardWriter {
    out: OutputDir,
    records: FrameFile,
    fingerprints: FrameFile,
    enc: Enc,
    documents: u64,
    segments: u64,
}

impl ShardWriter {
    /// Locks the shard folder `dir` (made if missing) and opens the shard files in its staging
    /// folder.
    pub fn create(dir: &Path) -> Result<ShardWriter, OutputError> {
        let out = OutputDir::open(dir)?;
        let staging = out.staging().to_path_buf();
        Ok(ShardWriter {
            records: FrameFile::create(&staging, RECORDS, RECORDS_MAGIC)?,
            fingerprints: FrameFile::create(&staging, FINGERPRINTS, FINGERPRINTS_MAGIC)?,
            out,
            enc: Enc::default(),
            documents: 0,
            segments: 0,
        })
    }

    /// Whether the folder is committed file by file rather than all at once.
    pub fn commits_in_place(&self) -> bool {
        self.out.is_in_place()
    }

    /// Appends the next document in input order.
    pub fn document(&mut self, p: &ProcessedDoc) -> Result<(), OutputError> {
        self.enc.0.clear();
        encode_record(&mut self.enc, p);
        self.records.frame(&self.enc.0)?;
        self.enc.0.clear();
        encode_fingerprints(&mut self.enc, &p.fingerprints);
        self.fingerprints.frame(&self.enc.0)?;
        self.documents += 1;
        self.segments += p.segments.len() as u64;
        Ok(())
    }

    /// Finishes the files, writes the manifest (its counts and sizes filled in) and puts the
    /// folder in place; returns the manifest written.
    pub fn commit(self, mut manifest: Manifest) -> Result<Manifest, OutputError> {
        manifest.documents = self.documents;
        manifest.segments = self.segments;
        manifest.records_bytes = self.records.finish()?;
        manifest.fingerprints_bytes = self.fingerprints.finish()?;
        let path = self.out.staging().join(MANIFEST);
        let mut text =
            serde_json::to_string_pretty(&manifest).map_err(|e| oerr(&path, e.into()))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| oerr(&path, e))?;
        self.out.commit()?;
        Ok(manifest)
    }

    /// Removes the staged files of a failed shard run; the folder stays as it was.
    pub fn abandon(self) {
        drop(self.records);
        drop(self.fingerprints);
        self.out.abandon();
    }
}

/// Reads the frames of one binary file in order.
struct FrameReader {
    path: String,
    r: BufReader<File>,
    offset: u64,
    buf: Vec<u8>,
}

impl FrameReader {
    fn open(path: &Path, magic: &[u8; 8]) -> Result<FrameReader, ShardError> {
        let f = File::open(path).map_err(|e| ShardError::at(path, e))?;
        let mut r = FrameReader {
            path: path.display().to_string(),
            r: BufReader::with_capacity(1 << 20, f),
            offset: 0,
            buf: Vec::new(),
        };
        let mut head = [0u8; 12];
        if !r.read_full(&mut head)? || &head[..8] != magic {
            return Err(r.err(0, "not a shard file of this kind (bad magic)"));
        }
        let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if version != VERSION {
            return Err(r.err(
                8,
                &format!("shard file version {version}, this program reads version {VERSION}"),
            ));
        }
        r.offset = 12;
        Ok(r)
    }

    fn err(&self, at: u64, what: &str) -> ShardError {
        ShardError {
            path: self.path.clone(),
            message: format!("byte {at}: {what}"),
        }
    }

    /// Fills `buf` whole: `false` at a clean end of file before any byte, an error when the
    /// file ends inside it.
    fn read_full(&mut self, buf: &mut [u8]) -> Result<bool, ShardError> {
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(self.err(self.offset + got as u64, "file ends early")),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.err(self.offset + got as u64, &e.to_string())),
            }
        }
        Ok(true)
    }

    /// The next frame's payload and its offset in the file; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, Vec<u8>)>, ShardError> {
        let at = self.offset;
        let mut len = [0u8; 4];
        if !self.read_full(&mut len)? {
            return Ok(None);
        }
        let len = u32::from_le_bytes(len);
        if len >= MAX_FRAME {
            return Err(self.err(at, "bad record length"));
        }
        self.offset += 4;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(len as usize, 0);
        if !self.read_full(&mut buf)? && len > 0 {
            return Err(self.err(self.offset, "file ends early"));
        }
        self.offset += u64::from(len);
        let mut check = [0u8; 4];
        if !self.read_full(&mut check)? {
            return Err(self.err(self.offset, "file ends early"));
        }
        if u32::from_le_bytes(check) != xxhash_rust::xxh3::xxh3_64(&buf) as u32 {
            return Err(self.err(at, "record damaged (checksum mismatch)"));
        }
        self.offset += 4;
        Ok(Some((at + 4, buf)))
    }
}

/// The documents of one shard folder, in input order, as the ordered pass takes them: each with
/// its fingerprints, no dedup decision made. Read one at a time (the whole shard is never held).
pub struct ShardDocs {
    records: FrameReader,
    /// `None` for a checkpoint, which keeps no fingerprints (they are computed again).
    fingerprints: Option<FrameReader>,
}

impl ShardDocs {
    /// Opens the binary files of the shard folder `dir`.
    pub fn open(dir: &Path) -> Result<ShardDocs, ShardError> {
        Ok(ShardDocs {
            records: FrameReader::open(&dir.join(RECORDS), RECORDS_MAGIC)?,
            fingerprints: Some(FrameReader::open(
                &dir.join(FINGERPRINTS),
                FINGERPRINTS_MAGIC,
            )?),
        })
    }

    /// Opens the records file of the folder `dir` alone: the documents come without their
    /// fingerprints.
    pub fn open_records(dir: &Path) -> Result<ShardDocs, ShardError> {
        Ok(ShardDocs {
            records: FrameReader::open(&dir.join(RECORDS), RECORDS_MAGIC)?,
            fingerprints: None,
        })
    }

    /// The next document; `None` after the last.
    pub fn next_doc(&mut self) -> Result<Option<ProcessedDoc>, ShardError> {
        let rec = self.records.next()?;
        let Some(fingerprints) = self.fingerprints.as_mut() else {
            let Some((ra, rb)) = rec else {
                return Ok(None);
            };
            let mut d = Dec {
                b: &rb,
                pos: 0,
                base: ra,
                path: &self.records.path,
            };
            let p = decode_record(&mut d)?;
            self.records.buf = rb;
            return Ok(Some(p));
        };
        let fps = fingerprints.next()?;
        let ((ra, rb), (fa, fb)) = match (rec, fps) {
            (None, None) => return Ok(None),
            (Some(r), Some(f)) => (r, f),
            _ => {
                return Err(ShardError {
                    path: self.records.path.clone(),
                    message: format!(
                        "this file (up to byte {}) and {} (up to byte {}) hold different \
                         numbers of documents",
                        self.records.offset, fingerprints.path, fingerprints.offset
                    ),
                })
            }
        };
        let mut d = Dec {
            b: &rb,
            pos: 0,
            base: ra,
            path: &self.records.path,
        };
        let mut p = decode_record(&mut d)?;
        let mut d = Dec {
            b: &fb,
            pos: 0,
            base: fa,
            path: &fingerprints.path,
        };
        p.fingerprints = decode_fingerprints(&mut d)?;
        let n = p.segments.len();
        let f = &p.fingerprints;
        let bad_sketch = |sk: &Sketch| sk.segs.end > n;
        if f.exact.len() > n
            || f.paragraphs.iter().any(bad_sketch)
            || f.document.iter().any(bad_sketch)
        {
            return Err(ShardError {
                path: fingerprints.path.clone(),
                message: format!("byte {fa}: fingerprints of more segments than the document has"),
            });
        }
        self.records.buf = rb;
        fingerprints.buf = fb;
        Ok(Some(p))
    }
}
