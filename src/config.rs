//! `pipeline.toml`: parsed once into a typed [`Config`].
//!
//! The file is read into spanned tables so that every problem — an unknown key, a value of the
//! wrong type, a choice that does not exist, a number out of range — is reported with its file,
//! line and key, and *all* of them are reported at once. Stages never see strings where an enum
//! belongs: each section is resolved here into plain typed values with their defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
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
    pub encoding: &'static encoding_rs::Encoding,
}

/// `[input]`: what to read.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// Files or folders; folders are walked recursively in sorted order.
    pub paths: Vec<PathBuf>,
    /// Files larger than this are skipped (reason `too_large`).
    pub max_file_bytes: u64,
}

/// `[output]`: where to write.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    /// The output folder.
    pub dir: PathBuf,
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
    /// C0/C1 controls removed (tab and newline kept; form feed → newline).
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
    /// `min_confidence` (default 0.5): below this confidence a segment's own label is not
    /// trusted, and a context below it is no context.
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

type Table = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// Reads keys of one `[section]`, remembering which keys exist and collecting problems.
struct Section<'a> {
    name: &'static str,
    table: Table,
    known: Vec<&'static str>,
    src: &'a str,
    issues: &'a mut Vec<ConfigIssue>,
}

fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    1 + memchr::memchr_iter(b'\n', &src.as_bytes()[..end]).count()
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
        self.known.push(key);
        let Some((_, value)) = self.table.remove_entry(key) else {
            return default;
        };
        let offset = value.span().start;
        match T::deserialize(value.into_inner()) {
            Ok(v) => match check(&v) {
                Ok(()) => v,
                Err(msg) => {
                    self.issue(Some(offset), key, msg);
                    default
                }
            },
            Err(e) => {
                let msg = e.to_string().trim().replace('\n', " ");
                self.issue(Some(offset), key, format!("invalid value: {msg}"));
                default
            }
        }
    }

    /// Reports every key that was not asked for.
    fn finish(mut self) {
        let leftovers: Vec<_> = std::mem::take(&mut self.table).into_iter().collect();
        let valid = self.known.join(", ");
        for (k, _) in leftovers {
            let offset = k.span().start;
            let key = k.into_inner();
            self.issue(
                Some(offset),
                &key,
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

fn valid_lang_code(list: &Vec<String>) -> Result<(), String> {
    for code in list {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!(
                "`{code}` is not an ISO 639-3 code (three lowercase letters, e.g. `eng`)"
            ));
        }
    }
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
        let top: BTreeMap<Spanned<String>, Spanned<toml::Value>> = match toml::from_str(src) {
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
        let mut all_tables = true;
        for (k, v) in &top {
            let offset = k.span().start;
            let key = k.get_ref();
            if !SECTIONS.contains(&key.as_str()) {
                issues.push(ConfigIssue {
                    line: Some(line_of(src, offset)),
                    key: key.clone(),
                    message: format!(
                        "unknown section; valid sections are: {}",
                        SECTIONS.join(", ")
                    ),
                });
            }
            if !v.get_ref().is_table() {
                all_tables = false;
                issues.push(ConfigIssue {
                    line: Some(line_of(src, offset)),
                    key: key.clone(),
                    message: "must be a table ([section])".into(),
                });
            }
        }
        if all_tables {
            // Read again with spans inside the tables, for the line of every key.
            match toml::from_str::<BTreeMap<String, Table>>(src) {
                Ok(spanned) => sections = spanned,
                Err(e) => issues.push(ConfigIssue {
                    line: e.span().map(|s| line_of(src, s.start)),
                    key: "-".into(),
                    message: e.message().trim().to_string(),
                }),
            }
        }
        macro_rules! sec {
            ($name:literal) => {
                Section {
                    name: $name,
                    table: sections.remove($name).unwrap_or_default(),
                    known: Vec::new(),
                    src,
                    issues: &mut issues,
                }
            };
        }

        let input = {
            let mut s = sec!("input");
            let paths: Vec<PathBuf> = s.get_checked("paths", vec![PathBuf::from("raw")], |v| {
                if v.is_empty() {
                    Err("must name at least one file or folder".into())
                } else {
                    Ok(())
                }
            });
            let max_file_bytes =
                s.get_checked("max_file_bytes", 1u64 << 30, in_range(1u64, u64::MAX / 2));
            s.finish();
            InputConfig {
                paths,
                max_file_bytes,
            }
        };
        let output = {
            let mut s = sec!("output");
            let dir: PathBuf = s.get("dir", PathBuf::from("processed"));
            s.finish();
            OutputConfig { dir }
        };
        let decode = {
            let mut s = sec!("decode");
            let raw: BTreeMap<String, String> = s.get_checked("encodings", BTreeMap::new(), |m| {
                for (glob, enc) in m {
                    if let Err(e) = globset::Glob::new(glob) {
                        return Err(format!("bad glob `{glob}`: {e}"));
                    }
                    if encoding_rs::Encoding::for_label(enc.as_bytes()).is_none() {
                        return Err(format!(
                            "unknown encoding `{enc}` for `{glob}` (use a WHATWG label such as \
                             `windows-1256`, `koi8-r`, `shift_jis`, `utf-16le`)"
                        ));
                    }
                }
                Ok(())
            });
            let mut overrides = Vec::new();
            for (glob, enc) in raw {
                if let (Ok(g), Some(e)) = (
                    globset::Glob::new(&glob),
                    encoding_rs::Encoding::for_label(enc.as_bytes()),
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
                abbreviations: s.get("abbreviations", Vec::new()),
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
                allow: s.get_checked("allow", Vec::new(), valid_lang_code),
                deny: s.get_checked("deny", Vec::new(), valid_lang_code),
                min_confidence: s.get_checked("min_confidence", 0.5f32, in_range(0.0, 1.0)),
                short_segment_letters: s.get("short_segment_letters", 10usize),
                switch_margin: s.get_checked("switch_margin", 10.0f32, in_range(0.0, 1000.0)),
                context_letters: s.get("context_letters", 20usize),
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
            if c.bands * c.rows > c.num_perm {
                let off = s.table.keys().next().map(|k| k.span().start);
                s.issue(
                    off,
                    "bands",
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
                keep_languages: s.get_checked("keep_languages", Vec::new(), valid_lang_code),
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
        assert_eq!(c.decode.overrides[0].encoding, encoding_rs::WINDOWS_1256);
        let bad = "[decode]\nencodings = { \"*.txt\" = \"klingon\" }\n";
        assert!(Config::from_toml_str(bad, "p").is_err());
    }

    #[test]
    fn syntax_error_has_line() {
        let e = Config::from_toml_str("[a]\nx = \n", "p").unwrap_err();
        assert_eq!(e.issues[0].line, Some(2), "{e}");
    }
}
