//! `pipeline.toml`: parsed once into a typed [`Config`].
//!
//! The file is read into spanned tables so that every problem — an unknown key, a value of the
//! wrong type, a choice that does not exist, a number out of range — is reported with its file,
//! line and key, and *all* of them are reported at once. Stages never see strings where an enum
//! belongs: each section is resolved here into plain typed values with their defaults.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// `section.key`, or the section name alone.
    pub key: String,
    /// What is wrong, and the valid choices where there are some.
    pub message: String,
}

/// Every problem found in a configuration file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file, as given.
    pub file: String,
    /// Every problem, in the order of the file.
    pub issues: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        write!(
            f,
            "{}: {} configuration error{}",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            match issue.line {
                Some(line) => write!(
                    f,
                    "\n  {}:{}: {}: {}",
                    self.file, line, issue.key, issue.message
                )?,
                None => write!(f, "\n  {}: {}: {}", self.file, issue.key, issue.message)?,
            }
        }
        Ok(())
    }
}

/// Unicode normalization form applied to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormForm {
    /// Canonical composition (`nfc`).
    Nfc,
    /// Compatibility composition (`nfkc`): also folds width, ligatures, superscripts.
    Nfkc,
    /// No normalization form (`none`); the character rules still apply.
    None,
}

/// What a segment is: a sentence or a whole block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentUnit {
    /// Paragraphs are cut into sentences (`sentence`).
    Sentence,
    /// One segment per block (`paragraph`).
    Paragraph,
}

/// How blocks are found in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureMode {
    /// Blank lines separate blocks; every other line break is kept inside the block.
    BlankLines,
    /// Blocks are rebuilt from line statistics (hard-wrapped PDF text, headings, lists, TOCs).
    Reflow,
}

/// What dedup does with a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupAction {
    /// Duplicates go to `duplicates.jsonl`, not to `segments.jsonl` (`drop`).
    Drop,
    /// Duplicates stay in `segments.jsonl` with `dup_of` (`mark`).
    Mark,
}

/// A forced encoding for input files whose path matches a glob.
#[derive(Debug, Clone)]
pub struct EncodingOverride {
    /// The glob as written, matched against the document id.
    pub glob: String,
    /// The compiled glob.
    pub matcher: globset::GlobMatcher,
    /// The encoding forced on matching files.
    pub encoding: crate::stage::decode::DocEncoding,
}

/// How input files are read: as one document each, or as collections of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Decided per file by its name and first bytes (`auto`): Parquet by the `PAR1` magic or a
    /// `.parquet` name; JSONL when the first non-blank byte is `{` and the name ends in `.json`,
    /// `.jsonl` or `.ndjson` (before `.gz`/`.zst`), or the first line is a JSON object with a
    /// string text field; anything else is text.
    Auto,
    /// Every file is one raw-text document (`text`).
    Text,
    /// Every file is JSON Lines, one document per record (`jsonl`).
    Jsonl,
    /// Every file is Parquet, one document per row (`parquet`).
    Parquet,
}

/// `[input]`: what to read.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// Files or folders; folders are walked recursively in sorted order.
    pub paths: Vec<PathBuf>,
    /// Files larger than this are skipped (reason `too_large`).
    pub max_file_bytes: u64,
    /// Documents whose estimated working memory (from the byte length and line count of their
    /// text) exceeds this many bytes are skipped (reason `too_many_lines`, or `too_large` when
    /// the length alone is too much), rather than risk running out of memory.
    pub max_document_memory: u64,
    /// Whether files are text documents or collections of records.
    pub format: InputFormat,
    /// The field of a record that holds its text.
    pub text_field: String,
    /// The field of a record that holds its id (the record number when absent).
    pub id_field: String,
}

/// `[output]`: where and what to write.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    /// The output folder.
    pub dir: PathBuf,
    /// Compression of the JSONL and text files (`none`, `zstd`, `gzip`).
    pub compression: Compression,
    /// Format of the segments file (`jsonl`, `parquet`).
    pub format: OutputFormat,
    /// Also one segments file per language and script: `segments/<lang>_<script>.jsonl`.
    pub per_language: bool,
    /// Also plain text, one segment per line: `text/<lang>_<script>.txt`.
    pub text: bool,
    /// Also each kept document's clean text: `texts.jsonl`.
    pub documents: bool,
    /// Write `report.html` (charts of the report).
    pub html: bool,
    /// Put the stage timings into `report.html` too (it then differs from run to run).
    pub html_timings: bool,
    /// Keep a checkpoint beside the output folder, so that a killed run started again goes on
    /// where it stopped.
    pub resume: bool,
}

/// Compression of the output files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain files (`none`).
    None,
    /// Zstandard, level 3 (`zstd`): names end in `.zst`.
    Zstd,
    /// gzip, level 6 (`gzip`): names end in `.gz`.
    Gzip,
}

/// The format of the segments file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// One JSON object per line (`jsonl`).
    Jsonl,
    /// Apache Parquet (`parquet`): `segments.parquet`, the same columns.
    Parquet,
}

/// `[decode]`: bytes to text.
#[derive(Debug, Clone)]
pub struct DecodeConfig {
    /// `encodings`: forced encodings by glob, first match wins.
    pub overrides: Vec<EncodingOverride>,
    /// Recognise UTF-16/UTF-32 without a BOM from their byte patterns.
    pub detect_utf16_utf32: bool,
    /// Skip files that look binary (NUL bytes, mostly control bytes).
    pub skip_binary: bool,
    /// Repair text that was UTF-8 but got decoded as windows-1252 / latin-1.
    pub repair_mojibake: bool,
}

/// `[normalize]`: the Unicode form and the character rules. ZWJ and ZWNJ are always kept.
#[derive(Debug, Clone)]
pub struct NormalizeConfig {
    /// The normalization form.
    pub form: NormForm,
    /// CRLF, CR, NEL, LS, PS → LF.
    pub line_endings: bool,
    /// C0/C1 controls removed (tab, newline and form feed kept; vertical tab → newline).
    pub controls: bool,
    /// No-break and other Unicode spaces → U+0020.
    pub spaces: bool,
    /// U+00AD removed.
    pub soft_hyphens: bool,
    /// Stray U+FEFF removed.
    pub bom: bool,
    /// LRE/RLE/PDF/LRO/RLO and the isolates removed (LRM/RLM/ALM kept).
    pub bidi_controls: bool,
    /// Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFC) → standard letters.
    pub arabic_presentation_forms: bool,
    /// Latin and Armenian ligatures split, even under NFC.
    pub ligatures: bool,
    /// C1 controls that are windows-1252 characters mapped to them (U+0092 → `’`), before
    /// `controls` would drop them: what a decoder that read windows-1252 as latin-1 left.
    pub c1_as_windows_1252: bool,
    /// Terminal escape sequences (`ESC [ … m` colours and other CSI sequences) removed.
    pub terminal_escapes: bool,
    /// HTML character references (`&eacute;`, `&amp;`, `&#233;`) decoded in text without
    /// markup.
    pub html_entities: bool,
    /// Full-width Latin letters and digits → ASCII, half-width katakana and Hangul → their
    /// usual forms (full-width punctuation, which CJK text uses, is kept).
    pub width: bool,
}

/// `[structure]`: blocks from lines.
#[derive(Debug, Clone)]
pub struct StructureConfig {
    /// How blocks are found.
    pub mode: StructureMode,
    /// Emit the boilerplate blocks (`toc_entry`, `page_number`, `separator`, `header_footer`)
    /// instead of dropping them.
    pub keep_boilerplate: bool,
    /// Rejoin words hyphenated at line ends.
    pub dehyphenate: bool,
    /// Remove emphasis markers left by converters.
    pub strip_markdown: bool,
}

/// `[segment]`: sentences.
#[derive(Debug, Clone)]
pub struct SegmentConfig {
    /// Sentences or whole blocks.
    pub unit: SegmentUnit,
    /// Extra abbreviations (without the final dot) that do not end a sentence.
    pub abbreviations: Vec<String>,
    /// Sentences longer than this many bytes are cut at a space (0 = never).
    pub max_bytes: usize,
}

/// `[script]`: script, direction and garbled text.
#[derive(Debug, Clone)]
pub struct ScriptConfig {
    /// Repair mirrored brackets of right-to-left text extracted in visual order.
    pub repair_bidi: bool,
    /// Garbled score (0..1) at or above which a segment is flagged `garbled`.
    pub garbled_threshold: f32,
}

/// `[language]`: language labels.
#[derive(Debug, Clone)]
pub struct LanguageConfig {
    /// `allow`: ISO 639-3 codes the labels are chosen from; empty means all.
    pub allow: Vec<String>,
    /// `deny`: ISO 639-3 codes never given as labels (ignored when `allow` is set).
    pub deny: Vec<String>,
    /// `min_confidence` (default 0.1): below this confidence (the probability that the label
    /// is right, as measured) a segment's own label is not trusted, and a context below it is
    /// no context.
    pub min_confidence: f32,
    /// `short_segment_letters` (default 10): a segment with fewer letters than this never keeps
    /// a label of its own against its context, and without a context it is `und`.
    pub short_segment_letters: usize,
    /// `switch_margin` (default 10.0, in nats): how much better its own best language must fit
    /// a segment than the language of its context for the segment to keep its own label.
    pub switch_margin: f32,
    /// `context_letters` (default 20): the least number of letters (of the segment's script) the
    /// rest of a paragraph must have to serve as context; otherwise the document serves.
    pub context_letters: usize,
    /// `unknown_misfit` (default 6.0, in standard deviations): a text that fits even its best
    /// language worse than that language's own text by more than this is taken to be in a
    /// language the model does not have (`und`). Larger values label more text of unknown
    /// languages as the nearest known one.
    pub unknown_misfit: f32,
}

/// `[dedup]`: exact and near repeats, within and across documents.
#[derive(Debug, Clone)]
pub struct DedupConfig {
    /// Dedup on/off.
    pub enabled: bool,
    /// Drop duplicates or mark them.
    pub action: DedupAction,
    /// Exact duplicates of segments (folded key, 128-bit xxh3).
    pub exact: bool,
    /// Near duplicates of paragraphs and documents (MinHash + LSH).
    pub near: bool,
    /// Fold digits to 0 in the exact key.
    pub fold_digits: bool,
    /// Segments shorter than this many characters (after folding) are never deduplicated.
    pub min_chars: usize,
    /// MinHash signature length (one permutation hashing, densified by rotation).
    pub num_perm: usize,
    /// LSH bands; candidates share one band …
    pub bands: usize,
    /// … of this many values (`bands * rows <= num_perm`).
    pub rows: usize,
    /// Shingle length, in words (in characters for Han, kana, Thai, Lao, Khmer, …).
    pub ngram: usize,
    /// Estimated Jaccard similarity from which a paragraph is a near duplicate.
    pub threshold: f32,
    /// Estimated Jaccard similarity from which a whole document is a near duplicate.
    pub document_threshold: f32,
    /// Paragraphs with fewer shingles than this are left to exact dedup.
    pub min_shingles: usize,
    /// Also find whole documents that near-duplicate an earlier one.
    pub documents: bool,
}

/// `[filter]`: which segments are written.
#[derive(Debug, Clone)]
pub struct FilterConfig {
    /// Segments with fewer characters are dropped (`too_short`).
    pub min_chars: usize,
    /// Drop the segments flagged `garbled`.
    pub drop_garbled: bool,
    /// Languages (ISO 639-3) to keep; empty keeps all.
    pub keep_languages: Vec<String>,
}

/// The validated configuration of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[input]`.
    pub input: InputConfig,
    /// `[output]`.
    pub output: OutputConfig,
    /// `[decode]`.
    pub decode: DecodeConfig,
    /// `[normalize]`.
    pub normalize: NormalizeConfig,
    /// `[structure]`.
    pub structure: StructureConfig,
    /// `[segment]`.
    pub segment: SegmentConfig,
    /// `[script]`.
    pub script: ScriptConfig,
    /// `[language]`.
    pub language: LanguageConfig,
    /// `[dedup]`.
    pub dedup: DedupConfig,
    /// `[filter]`.
    pub filter: FilterConfig,
}

impl Default for Config {
    fn default() -> Self {
        // The empty document always parses: every key has a default.
        match Config::from_toml_str("", "<defaults>") {
            Ok(c) => c,
            Err(e) => unreachable!("defaults must be valid: {e}"),
        }
    }
}

/// The `deserialize_struct` name and fields by which `T` asks a deserializer for itself. The
/// toml deserializer recognises by them a request for a span (`Spanned`) and a datetime;
/// asking `T` for them keeps this file from spelling out another crate's private names.
fn struct_shape<T: DeserializeOwned>() -> (&'static str, &'static [&'static str]) {
    type Shape = (&'static str, &'static [&'static str]);
    struct Probe<'a>(&'a Cell<Shape>);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.set((name, fields));
            Err(serde::de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let cell = Cell::new(("", &[][..]));
    let _ = T::deserialize(Probe(&cell));
    cell.get()
}

/// How the toml deserializer hands over spans and datetimes.
struct Shapes {
    /// The struct name and the fields (start, end, value) of a span request.
    spanned: (&'static str, &'static [&'static str]),
    /// The one field of a datetime.
    datetime: &'static str,
}

fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| Shapes {
        spanned: struct_shape::<Spanned<String>>(),
        datetime: struct_shape::<toml::value::Datetime>()
            .1
            .first()
            .copied()
            .unwrap_or(""),
    })
}

/// A key, with the byte offset where it is written (none for the implicit tables of a dotted
/// header, such as `decode` in `[decode.encodings]`). Ordered and compared by name.
#[derive(Debug, Clone)]
struct Key {
    name: String,
    offset: Option<usize>,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.name == other.name
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}
impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.name
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key {
                    name: v.to_string(),
                    offset: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
                let fields = shapes().spanned.1;
                let mut key = Key {
                    name: String::new(),
                    offset: None,
                };
                while let Some(f) = map.next_key::<String>()? {
                    if Some(&f.as_str()) == fields.first() {
                        key.offset = Some(map.next_value()?);
                    } else if Some(&f.as_str()) == fields.get(2) {
                        key.name = map.next_value()?;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(key)
            }
        }
        let (name, fields) = shapes().spanned;
        d.deserialize_struct(name, fields, V)
    }
}

/// A TOML value that keeps the offset of every element of its arrays and every entry of its
/// tables, so that each bad element of a list or table is reported on its own line.
#[derive(Debug, Clone)]
enum Node {
    /// A string, number, boolean or datetime.
    Scalar(toml::Value),
    Array(Vec<Item>),
    Table(Vec<(Key, Item)>),
}

/// A value and the byte offset where it is written (none for an implicit table).
#[derive(Debug, Clone)]
struct Item {
    node: Node,
    offset: Option<usize>,
}

impl Node {
    fn into_value(self) -> toml::Value {
        match self {
            Node::Scalar(v) => v,
            Node::Array(a) => {
                toml::Value::Array(a.into_iter().map(|i| i.node.into_value()).collect())
            }
            Node::Table(t) => toml::Value::Table(
                t.into_iter()
                    .map(|(k, i)| (k.name, i.node.into_value()))
                    .collect(),
            ),
        }
    }
}

/// Reads a value of any kind: `Node` itself, or, for an [`Item`] whose span the deserializer
/// does not have, the value in place of its span.
struct NodeVisitor<T>(fn(Node) -> T);

impl<T> NodeVisitor<T> {
    fn scalar<E>(self, v: toml::Value) -> Result<T, E> {
        Ok((self.0)(Node::Scalar(v)))
    }
}

impl<'de, T> Visitor<'de> for NodeVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<T, E> {
        self.scalar(toml::Value::Boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<T, E> {
        self.scalar(toml::Value::Integer(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        let v = i64::try_from(v).map_err(|_| E::custom("integer out of range"))?;
        self.scalar(toml::Value::Integer(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<T, E> {
        self.scalar(toml::Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        self.scalar(toml::Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<T, E> {
        self.scalar(toml::Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut out = Vec::new();
        while let Some(i) = seq.next_element::<Item>()? {
            out.push(i);
        }
        Ok((self.0)(Node::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<Key>()? {
            if k.name == shapes().datetime {
                // A datetime comes as a one-entry map of its text.
                let text: String = map.next_value()?;
                let dt = text.parse().map_err(serde::de::Error::custom)?;
                return self.scalar(toml::Value::Datetime(dt));
            }
            out.push((k, map.next_value::<Item>()?));
        }
        Ok((self.0)(Node::Table(out)))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor(|n| n))
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        /// A span (a map of start, end and value), or the value itself when there is none.
        struct V;
        fn unplaced(node: Node) -> Item {
            Item { node, offset: None }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_bool(v)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_i64(v)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_u64(v)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_f64(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_str(v)
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Item, E> {
                NodeVisitor(unplaced).visit_string(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
                NodeVisitor(unplaced).visit_seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
                let fields = shapes().spanned.1;
                let first = map.next_key::<Key>()?;
                if first.as_ref().map(|k| k.name.as_str()) != fields.first().copied() {
                    // No span: a table (or a datetime) whose first key is read already.
                    return NodeVisitor(unplaced).visit_map(Prefixed { first, map });
                }
                let mut item = unplaced(Node::Table(Vec::new()));
                item.offset = Some(map.next_value()?);
                while let Some(f) = map.next_key::<String>()? {
                    if Some(&f.as_str()) == fields.get(2) {
                        item.node = map.next_value()?;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(item)
            }
        }
        let (name, fields) = shapes().spanned;
        d.deserialize_struct(name, fields, V)
    }
}

/// A map whose first key has been read already.
struct Prefixed<A> {
    first: Option<Key>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prefixed<A> {
    type Error = A::Error;
    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(k) => seed
                .deserialize(serde::de::value::StringDeserializer::new(k.name))
                .map(Some),
            None => self.map.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

type Table = BTreeMap<Key, Item>;

/// Reads keys of one `[section]`, remembering which keys exist and collecting problems.
struct Section<'a> {
    name: &'static str,
    /// Byte offset of the section's header (its first key for a dotted or inline section).
    header: Option<usize>,
    table: Table,
    known: Vec<&'static str>,
    /// Byte offset of the value of every key read so far that the file sets.
    offsets: Vec<(&'static str, Option<usize>)>,
    src: &'a str,
    issues: &'a mut Vec<ConfigIssue>,
}

fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    1 + memchr::memchr_iter(b'\n', &src.as_bytes()[..end]).count()
}

/// A value of type `T` from a TOML value, or the message of what is wrong with it.
fn from_value<T: DeserializeOwned>(value: toml::Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| {
        let msg = e.to_string().trim().replace('\n', " ");
        format!("invalid value: {msg}")
    })
}

impl Section<'_> {
    fn issue(&mut self, offset: Option<usize>, key: &str, message: String) {
        let line = offset.map(|o| line_of(self.src, o));
        let key = if key.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.name, key)
        };
        self.issues.push(ConfigIssue { line, key, message });
    }

    /// Takes the value of `key` out of the table, remembering that `key` exists and where it is.
    fn take(&mut self, key: &'static str) -> Option<Item> {
        self.known.push(key);
        let (k, mut value) = self.table.remove_entry(key)?;
        value.offset = value.offset.or(k.offset).or(self.header);
        self.offsets.push((key, value.offset));
        Some(value)
    }

    /// The first of `keys` that the file sets, with the offset of its value; else the first
    /// key, at the section header.
    fn located(&self, keys: &[&'static str]) -> (&'static str, Option<usize>) {
        keys.iter()
            .find_map(|k| {
                self.offsets
                    .iter()
                    .find(|(o, _)| o == k)
                    .map(|&(k, off)| (k, off))
            })
            .unwrap_or((keys[0], self.header))
    }

    /// Whether a problem with `key` has been reported.
    fn has_issue(&self, key: &str) -> bool {
        let full = format!("{}.{}", self.name, key);
        self.issues.iter().any(|i| i.key == full)
    }

    /// The value of `key`, or `default`; a value that does not fit `T` is reported.
    fn get<T: DeserializeOwned>(&mut self, key: &'static str, default: T) -> T {
        self.get_checked(key, default, |_| Ok(()))
    }

    /// Like [`Section::get`], with a check of the value (a range, a non-empty list…).
    fn get_checked<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        default: T,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> T {
        let Some(value) = self.take(key) else {
            return default;
        };
        let offset = value.offset;
        match from_value(value.node.into_value()).and_then(|v| check(&v).map(|()| v)) {
            Ok(v) => v,
            Err(msg) => {
                self.issue(offset, key, msg);
                default
            }
        }
    }

    /// A list-valued key: every element that does not fit `T` or fails `check` is reported
    /// on its own line, and `check_list` is asked of the list of the good ones. The good
    /// elements are returned (`default` when the key is not set or is not a list).
    fn get_list<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        default: Vec<T>,
        check: impl Fn(&T) -> Result<(), String>,
        check_list: impl Fn(&[T]) -> Result<(), String>,
    ) -> Vec<T> {
        let Some(value) = self.take(key) else {
            return default;
        };
        let offset = value.offset;
        let elements = match value.node {
            Node::Array(a) => a,
            other => {
                // Not a list: the type error, once.
                if let Err(msg) = from_value::<Vec<T>>(other.into_value()) {
                    self.issue(offset, key, msg);
                }
                return default;
            }
        };
        let mut out = Vec::with_capacity(elements.len());
        let mut bad = false;
        for e in elements {
            let at = e.offset.or(offset);
            match from_value::<T>(e.node.into_value()).and_then(|v| check(&v).map(|()| v)) {
                Ok(v) => out.push(v),
                Err(msg) => {
                    bad = true;
                    self.issue(at, key, msg);
                }
            }
        }
        if let Err(msg) = check_list(&out) {
            if !bad {
                self.issue(offset, key, msg);
            }
        }
        out
    }

    /// A table-valued key: every entry whose value does not fit `T` or fails `check` (given
    /// the entry's key and value) is reported on its own line. The good entries are returned.
    fn get_map<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        check: impl Fn(&str, &T) -> Result<(), String>,
    ) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        let Some(value) = self.take(key) else {
            return out;
        };
        let offset = value.offset;
        let entries = match value.node {
            Node::Table(t) => t,
            other => {
                if let Err(msg) = from_value::<BTreeMap<String, T>>(other.into_value()) {
                    self.issue(offset, key, msg);
                }
                return out;
            }
        };
        for (k, v) in entries {
            let at = v.offset.or(k.offset).or(offset);
            match from_value::<T>(v.node.into_value()).and_then(|v| check(&k.name, &v).map(|()| v))
            {
                Ok(v) => {
                    out.insert(k.name, v);
                }
                Err(msg) => self.issue(at, key, msg),
            }
        }
        out
    }

    /// Reports every key that was not asked for.
    fn finish(mut self) {
        let leftovers: Vec<_> = std::mem::take(&mut self.table).into_iter().collect();
        let valid = self.known.join(", ");
        for (k, v) in leftovers {
            let offset = k.offset.or(v.offset).or(self.header);
            self.issue(
                offset,
                &k.name,
                format!("unknown key; valid keys are: {valid}"),
            );
        }
    }
}

fn in_range<T: PartialOrd + fmt::Display + Copy>(
    lo: T,
    hi: T,
) -> impl Fn(&T) -> Result<(), String> {
    move |v| {
        if *v >= lo && *v <= hi {
            Ok(())
        } else {
            Err(format!("{v} is out of range: expected {lo} to {hi}"))
        }
    }
}

const SECTIONS: &[&str] = &[
    "input",
    "output",
    "decode",
    "normalize",
    "structure",
    "segment",
    "script",
    "language",
    "dedup",
    "filter",
];

/// A code of a language list: an individual language of the model, a macrolanguage with a
/// member in the model, a `lang_Script` tag, or `und` (`stage::lang::codes::check`).
#[allow(clippy::ptr_arg)] // `get_list` checks each `String` element by reference.
fn valid_lang_code(code: &String) -> Result<(), String> {
    crate::stage::lang::codes::check(code)
}

fn any_list<T>(_: &[T]) -> Result<(), String> {
    Ok(())
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: name.clone(),
            issues: vec![ConfigIssue {
                line: None,
                key: "-".into(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        Config::from_toml_str(&src, &name)
    }

    /// Parses configuration text; `file` names it in error messages.
    pub fn from_toml_str(src: &str, file: &str) -> Result<Config, ConfigError> {
        let mut issues = Vec::new();
        let top: BTreeMap<Key, Item> = match toml::from_str(src) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| line_of(src, s.start));
                return Err(ConfigError {
                    file: file.to_string(),
                    issues: vec![ConfigIssue {
                        line,
                        key: "-".into(),
                        message: e.message().trim().to_string(),
                    }],
                });
            }
        };
        let mut sections: BTreeMap<String, Table> = BTreeMap::new();
        let mut headers: BTreeMap<String, Option<usize>> = BTreeMap::new();
        for (k, v) in top {
            // A section's place: its header, or for an implicit one (`[decode.encodings]`
            // alone) its first key.
            let offset = k.offset.or(v.offset).or_else(|| match &v.node {
                Node::Table(t) => t.iter().find_map(|(k, i)| k.offset.or(i.offset)),
                _ => None,
            });
            let line = offset.map(|o| line_of(src, o));
            if !SECTIONS.contains(&k.name.as_str()) {
                issues.push(ConfigIssue {
                    line,
                    key: k.name.clone(),
                    message: format!(
                        "unknown section; valid sections are: {}",
                        SECTIONS.join(", ")
                    ),
                });
            }
            match v.node {
                Node::Table(t) => {
                    headers.insert(k.name.clone(), offset);
                    sections.insert(k.name, t.into_iter().collect());
                }
                _ => issues.push(ConfigIssue {
                    line,
                    key: k.name,
                    message: "must be a table ([section])".into(),
                }),
            }
        }
        macro_rules! sec {
            ($name:literal) => {
                Section {
                    name: $name,
                    header: headers.get($name).copied().flatten(),
                    table: sections.remove($name).unwrap_or_default(),
                    known: Vec::new(),
                    offsets: Vec::new(),
                    src,
                    issues: &mut issues,
                }
            };
        }

        let input = {
            let mut s = sec!("input");
            let paths: Vec<PathBuf> = s.get_list(
                "paths",
                vec![PathBuf::from("raw")],
                |_| Ok(()),
                |v| {
                    if v.is_empty() {
                        Err("must name at least one file or folder".into())
                    } else {
                        Ok(())
                    }
                },
            );
            let max_file_bytes =
                s.get_checked("max_file_bytes", 1u64 << 30, in_range(1u64, u64::MAX / 2));
            let max_document_memory = s.get_checked(
                "max_document_memory",
                4u64 << 30,
                in_range(1u64 << 20, u64::MAX / 2),
            );
            let format = s.get("format", InputFormat::Auto);
            let field_name = |v: &String| {
                if v.is_empty() {
                    Err("must not be empty".to_string())
                } else {
                    Ok(())
                }
            };
            let text_field = s.get_checked("text_field", "text".to_string(), field_name);
            let id_field = s.get_checked("id_field", "id".to_string(), field_name);
            s.finish();
            InputConfig {
                paths,
                max_file_bytes,
                max_document_memory,
                format,
                text_field,
                id_field,
            }
        };
        let output = {
            let mut s = sec!("output");
            let dir: PathBuf = s.get("dir", PathBuf::from("processed"));
            let compression = s.get("compression", Compression::None);
            let format = s.get("format", OutputFormat::Jsonl);
            let per_language = s.get("per_language", false);
            let text = s.get("text", false);
            let documents = s.get("documents", false);
            let html = s.get("html", true);
            let html_timings = s.get("html_timings", false);
            let resume = s.get("resume", true);
            s.finish();
            OutputConfig {
                dir,
                compression,
                format,
                per_language,
                text,
                documents,
                html,
                html_timings,
                resume,
            }
        };
        let decode = {
            let mut s = sec!("decode");
            let raw: BTreeMap<String, String> = s.get_map("encodings", |glob, enc: &String| {
                if let Err(e) = globset::Glob::new(glob) {
                    return Err(format!("bad glob `{glob}`: {e}"));
                }
                if crate::stage::decode::DocEncoding::for_label(enc).is_none() {
                    return Err(format!(
                        "unknown encoding `{enc}` for `{glob}` (use a WHATWG label such as \
                         `windows-1256`, `koi8-r`, `shift_jis`, `utf-16le`, a DOS or EBCDIC \
                         code page such as `cp437`, `cp850`, `cp037`, or `utf-32le`)"
                    ));
                }
                Ok(())
            });
            let mut overrides = Vec::new();
            for (glob, enc) in raw {
                if let (Ok(g), Some(e)) = (
                    globset::Glob::new(&glob),
                    crate::stage::decode::DocEncoding::for_label(&enc),
                ) {
                    overrides.push(EncodingOverride {
                        glob,
                        matcher: g.compile_matcher(),
                        encoding: e,
                    });
                }
            }
            let detect_utf16_utf32 = s.get("detect_utf16_utf32", true);
            let skip_binary = s.get("skip_binary", true);
            let repair_mojibake = s.get("repair_mojibake", true);
            s.finish();
            DecodeConfig {
                overrides,
                detect_utf16_utf32,
                skip_binary,
                repair_mojibake,
            }
        };
        let normalize = {
            let mut s = sec!("normalize");
            let c = NormalizeConfig {
                form: s.get("form", NormForm::Nfc),
                line_endings: s.get("line_endings", true),
                controls: s.get("controls", true),
                spaces: s.get("spaces", true),
                soft_hyphens: s.get("soft_hyphens", true),
                bom: s.get("bom", true),
                bidi_controls: s.get("bidi_controls", true),
                arabic_presentation_forms: s.get("arabic_presentation_forms", true),
                ligatures: s.get("ligatures", true),
                c1_as_windows_1252: s.get("c1_as_windows_1252", true),
                terminal_escapes: s.get("terminal_escapes", true),
                html_entities: s.get("html_entities", true),
                width: s.get("width", true),
            };
            s.finish();
            c
        };
        let structure = {
            let mut s = sec!("structure");
            let c = StructureConfig {
                mode: s.get("mode", StructureMode::Reflow),
                keep_boilerplate: s.get("keep_boilerplate", false),
                dehyphenate: s.get("dehyphenate", true),
                strip_markdown: s.get("strip_markdown", true),
            };
            s.finish();
            c
        };
        let segment = {
            let mut s = sec!("segment");
            let c = SegmentConfig {
                unit: s.get("unit", SegmentUnit::Sentence),
                abbreviations: s.get_list("abbreviations", Vec::new(), |_| Ok(()), any_list),
                max_bytes: s.get("max_bytes", 4096usize),
            };
            s.finish();
            c
        };
        let script = {
            let mut s = sec!("script");
            let c = ScriptConfig {
                repair_bidi: s.get("repair_bidi", true),
                garbled_threshold: s.get_checked("garbled_threshold", 0.5f32, in_range(0.0, 1.0)),
            };
            s.finish();
            c
        };
        let language = {
            let mut s = sec!("language");
            let c = LanguageConfig {
                allow: s.get_list("allow", Vec::new(), valid_lang_code, any_list),
                deny: s.get_list("deny", Vec::new(), valid_lang_code, any_list),
                min_confidence: s.get_checked("min_confidence", 0.1f32, in_range(0.0, 1.0)),
                short_segment_letters: s.get("short_segment_letters", 10usize),
                switch_margin: s.get_checked("switch_margin", 10.0f32, in_range(0.0, 1000.0)),
                context_letters: s.get("context_letters", 20usize),
                unknown_misfit: s.get_checked("unknown_misfit", 6.0f32, in_range(0.0, 1e6)),
            };
            s.finish();
            c
        };
        let dedup = {
            let mut s = sec!("dedup");
            let c = DedupConfig {
                enabled: s.get("enabled", true),
                action: s.get("action", DedupAction::Drop),
                exact: s.get("exact", true),
                near: s.get("near", true),
                fold_digits: s.get("fold_digits", false),
                min_chars: s.get("min_chars", 20usize),
                num_perm: s.get_checked("num_perm", 128usize, in_range(8, 1024)),
                bands: s.get_checked("bands", 32usize, in_range(1, 1024)),
                rows: s.get_checked("rows", 4usize, in_range(1, 1024)),
                ngram: s.get_checked("ngram", 3usize, in_range(1, 32)),
                threshold: s.get_checked("threshold", 0.6f32, in_range(0.0, 1.0)),
                document_threshold: s.get_checked("document_threshold", 0.8f32, in_range(0.0, 1.0)),
                min_shingles: s.get("min_shingles", 8usize),
                documents: s.get("documents", true),
            };
            // Cross-key checks: reported at the first of the keys involved that the file sets,
            // and only when each of them is valid on its own.
            let lsh = ["bands", "rows", "num_perm"];
            if c.bands * c.rows > c.num_perm && !lsh.iter().any(|k| s.has_issue(k)) {
                let (key, off) = s.located(&lsh);
                s.issue(
                    off,
                    key,
                    format!(
                        "bands × rows ({} × {}) must not exceed num_perm ({})",
                        c.bands, c.rows, c.num_perm
                    ),
                );
            }
            s.finish();
            c
        };
        let filter = {
            let mut s = sec!("filter");
            let c = FilterConfig {
                min_chars: s.get("min_chars", 1usize),
                drop_garbled: s.get("drop_garbled", false),
                keep_languages: s.get_list("keep_languages", Vec::new(), valid_lang_code, any_list),
            };
            s.finish();
            c
        };

        if issues.is_empty() {
            Ok(Config {
                input,
                output,
                decode,
                normalize,
                structure,
                segment,
                script,
                language,
                dedup,
                filter,
            })
        } else {
            issues.sort_by_key(|i| i.line.unwrap_or(0));
            Err(ConfigError {
                file: file.to_string(),
                issues,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_defaults() {
        let c = Config::from_toml_str("", "t").unwrap();
        assert_eq!(c.normalize.form, NormForm::Nfc);
        assert_eq!(c.segment.unit, SegmentUnit::Sentence);
        assert_eq!(c.input.paths, vec![PathBuf::from("raw")]);
    }

    #[test]
    fn all_errors_at_once_with_lines() {
        let src =
            "[normalize]\nform = \"nfd\"\nbogus = 1\n\n[segment]\nunit = \"word\"\n[nope]\nx=1\n";
        let e = Config::from_toml_str(src, "p.toml").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.issues.len(), 4, "{text}");
        assert!(text.contains("p.toml:2: normalize.form"), "{text}");
        assert!(text.contains("`nfc`"), "{text}");
        assert!(
            text.contains("p.toml:3: normalize.bogus: unknown key"),
            "{text}"
        );
        assert!(text.contains("p.toml:6: segment.unit"), "{text}");
        assert!(text.contains("p.toml:7: nope: unknown section"), "{text}");
    }

    #[test]
    fn ranges_and_types() {
        let src = "[dedup]\nthreshold = 1.5\nnum_perm = \"x\"\n";
        let e = Config::from_toml_str(src, "p").unwrap_err();
        assert_eq!(e.issues.len(), 2, "{e}");
        assert!(e.to_string().contains("out of range"));
    }

    #[test]
    fn encoding_overrides() {
        let src = "[decode]\nencodings = { \"legacy/*.txt\" = \"windows-1256\" }\n";
        let c = Config::from_toml_str(src, "p").unwrap();
        assert_eq!(c.decode.overrides.len(), 1);
        assert_eq!(
            c.decode.overrides[0].encoding,
            crate::stage::decode::DocEncoding::Whatwg(encoding_rs::WINDOWS_1256)
        );
        let bad = "[decode]\nencodings = { \"*.txt\" = \"klingon\" }\n";
        assert!(Config::from_toml_str(bad, "p").is_err());
    }

    /// (line, key, message) of every issue.
    fn issues(src: &str) -> Vec<(Option<usize>, String, String)> {
        Config::from_toml_str(src, "p")
            .unwrap_err()
            .issues
            .into_iter()
            .map(|i| (i.line, i.key, i.message))
            .collect()
    }

    #[test]
    fn every_bad_element_of_a_list_on_its_line() {
        let src = "[language]\nallow = [\"xx\", \"english\"]\ndeny = [\n  \"fra\",\n  \"FR\",\n  7,\n]\n\
                   [filter]\nkeep_languages = [\"eng\", \"e\"]\n[segment]\nabbreviations = [\"Dr\", 1]\n";
        let got = issues(src);
        let lines: Vec<_> = got
            .iter()
            .map(|(l, k, _)| (l.unwrap(), k.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (2, "language.allow"),
                (2, "language.allow"),
                (5, "language.deny"),
                (6, "language.deny"),
                (9, "filter.keep_languages"),
                (11, "segment.abbreviations"),
            ],
            "{got:?}"
        );
        assert!(
            got[0].2.contains("`xx` is not an ISO 639-3 code"),
            "{got:?}"
        );
        assert!(got[1].2.contains("`english` is not"), "{got:?}");
        assert!(got[3].2.starts_with("invalid value"), "{got:?}");
        // Good lists still parse.
        let c = Config::from_toml_str("[language]\nallow = [\"eng\", \"fra\"]\n", "p").unwrap();
        assert_eq!(c.language.allow, ["eng", "fra"]);
    }

    #[test]
    fn every_bad_entry_of_a_table_on_its_line() {
        for src in [
            "[decode]\nencodings = { \"a/*.txt\" = \"klingon\", \"b/[.txt\" = \"koi8-r\", \"c\" = \"utf-8\" }\n",
            "[decode.encodings]\n\"a/*.txt\" = \"klingon\"\n\"b/[.txt\" = \"koi8-r\"\n\"c\" = \"utf-8\"\n",
        ] {
            let got = issues(src);
            assert_eq!(got.len(), 2, "{got:?}");
            assert!(got.iter().any(|(_, _, m)| m.contains("unknown encoding `klingon`")), "{got:?}");
            assert!(got.iter().any(|(_, _, m)| m.contains("bad glob `b/[.txt`")), "{got:?}");
            if src.starts_with("[decode.encodings]") {
                let mut l: Vec<_> = got.iter().map(|(l, _, _)| l.unwrap()).collect();
                l.sort();
                assert_eq!(l, [2, 3], "{got:?}");
            }
        }
        let c = Config::from_toml_str("[decode.encodings]\n\"x/*\" = \"koi8-r\"\n", "p").unwrap();
        assert_eq!(
            c.decode.overrides[0].encoding,
            crate::stage::decode::DocEncoding::Whatwg(encoding_rs::KOI8_R)
        );
    }

    #[test]
    fn cross_key_errors_have_a_line() {
        let got = issues("[dedup]\nenabled = true\nnum_perm = 64\nbands = 32\nrows = 4\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, Some(4), "{got:?}");
        assert_eq!(got[0].1, "dedup.bands");
        assert!(got[0]
            .2
            .contains("bands × rows (32 × 4) must not exceed num_perm (64)"));
        // Only num_perm set: its line and key.
        let got = issues("\n[dedup]\nnum_perm = 16\n");
        assert_eq!(
            (got[0].0, got[0].1.as_str()),
            (Some(3), "dedup.num_perm"),
            "{got:?}"
        );
        // A key out of range is reported alone, not also against the others.
        let got = issues("[dedup]\nbands = 5000\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].2.contains("out of range"), "{got:?}");
    }

    #[test]
    fn empty_paths_and_odd_values() {
        let got = issues("[input]\npaths = []\n[script]\nrepair_bidi = 1979-05-27T07:32:00Z\n");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, Some(2));
        assert!(got[0].2.contains("at least one file or folder"));
        assert_eq!(got[1].0, Some(4));
        assert!(got[1].2.starts_with("invalid value"), "{got:?}");
        let got = issues("[language]\nallow = \"eng\"\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].2.starts_with("invalid value"), "{got:?}");
    }

    #[test]
    fn syntax_error_has_line() {
        let e = Config::from_toml_str("[a]\nx = \n", "p").unwrap_err();
        assert_eq!(e.issues[0].line, Some(2), "{e}");
    }
}
