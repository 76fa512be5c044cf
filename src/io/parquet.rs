//! `segments.parquet` (`[output] format = "parquet"`): the columns of `segments.jsonl`, with the
//! same names, order and values, in Apache Parquet.
//!
//! Written with the `parquet` crate's column writers (no Arrow: the crate is built without its
//! `arrow` feature, which would double the build time). Rows are buffered per column and written
//! as a row group every [`ROW_GROUP`] segments, so memory stays bounded whatever the corpus size.
//! Integers are `int64` and scores `double`, as Arrow's JSON reader infers them from
//! `segments.jsonl`; `dup_of` is the only optional column; lists are Parquet's three-level
//! `LIST`s, read by pyarrow as `list<…>`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression as Codec, GzipLevel, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::output::{round4, OutputError};
use crate::config::Compression;
use crate::doc::Segment;

/// Segments per row group.
const ROW_GROUP: usize = 65_536;

/// The schema: the fields of `segments.jsonl` in order.
const SCHEMA: &str = "message segment {
  required binary id (STRING);
  required binary doc_id (STRING);
  required int64 seq;
  required binary kind (STRING);
  required binary block (STRING);
  required int64 paragraph;
  required binary text (STRING);
  required binary lang (STRING);
  required binary lang_script (STRING);
  required double lang_confidence;
  required binary lang_source (STRING);
  required binary script (STRING);
  required binary direction (STRING);
  required group rtl_runs (LIST) {
    repeated group list {
      required group element (LIST) {
        repeated group list {
          required int64 element;
        }
      }
    }
  }
  required group raw_span (LIST) {
    repeated group list {
      required int64 element;
    }
  }
  required int64 line;
  optional binary dup_of (STRING);
  required group flags (LIST) {
    repeated group list {
      required binary element (STRING);
    }
  }
  required double garbled_score;
}";

/// A column of values with its definition and repetition levels (empty when the column has
/// none).
#[derive(Default)]
struct Col<T> {
    values: Vec<T>,
    def: Vec<i16>,
    rep: Vec<i16>,
}

impl<T> Col<T> {
    fn clear(&mut self) {
        self.values.clear();
        self.def.clear();
        self.rep.clear();
    }
}

/// The buffered row group.
#[derive(Default)]
struct Columns {
    strings: [Col<ByteArray>; 10],
    ints: [Col<i64>; 3],
    lang_confidence: Col<f64>,
    rtl_runs: Col<i64>,
    raw_span: Col<i64>,
    line: Col<i64>,
    dup_of: Col<ByteArray>,
    flags: Col<ByteArray>,
    garbled_score: Col<f64>,
    rows: usize,
}

// Indices into `Columns::strings` and `Columns::ints`.
const ID: usize = 0;
const DOC_ID: usize = 1;
const KIND: usize = 2;
const BLOCK: usize = 3;
const TEXT: usize = 4;
const LANG: usize = 5;
const LANG_SOURCE: usize = 6;
const SCRIPT: usize = 7;
const DIRECTION: usize = 8;
const LANG_SCRIPT: usize = 9;
const SEQ: usize = 0;
const PARAGRAPH: usize = 1;

fn bytes(s: &str) -> ByteArray {
    ByteArray::from(s.as_bytes().to_vec())
}

/// The segments file being written.
pub struct ParquetSegments {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
    cols: Columns,
}

fn perr(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> OutputError + '_ {
    move |e| OutputError {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

impl ParquetSegments {
    /// Creates `dir/segments.parquet`, its pages compressed with `compression`.
    pub fn create(dir: &Path, compression: Compression) -> Result<ParquetSegments, OutputError> {
        let path = dir.join("segments.parquet");
        let schema = Arc::new(parse_message_type(SCHEMA).map_err(perr(&path))?);
        let codec = match compression {
            Compression::None => Codec::UNCOMPRESSED,
            Compression::Zstd => Codec::ZSTD(ZstdLevel::try_new(3).map_err(perr(&path))?),
            Compression::Gzip => Codec::GZIP(GzipLevel::default()),
        };
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(codec)
                .set_created_by("scriptorium".into())
                .build(),
        );
        let file = File::create(&path).map_err(|source| OutputError {
            path: path.display().to_string(),
            source,
        })?;
        let writer = SerializedFileWriter::new(file, schema, props).map_err(perr(&path))?;
        Ok(ParquetSegments {
            path,
            writer,
            cols: Columns::default(),
        })
    }

    /// Adds one segment's row.
    pub fn push(
        &mut self,
        id: &str,
        doc_id: &str,
        seq: usize,
        s: &Segment,
        clean: &str,
    ) -> Result<(), OutputError> {
        let c = &mut self.cols;
        for (k, v) in [
            (ID, id),
            (DOC_ID, doc_id),
            (KIND, s.kind.name()),
            (BLOCK, s.block_kind.name()),
            (TEXT, &clean[s.text.clone()]),
            (LANG, s.lang),
            (LANG_SCRIPT, s.lang_script),
            (LANG_SOURCE, s.lang_source.name()),
            (SCRIPT, s.script),
            (DIRECTION, s.direction.name()),
        ] {
            c.strings[k].values.push(bytes(v));
        }
        c.ints[SEQ].values.push(seq as i64);
        c.ints[PARAGRAPH].values.push(s.block as i64);
        c.lang_confidence.values.push(round4(s.lang_confidence));
        if s.rtl_runs.is_empty() {
            c.rtl_runs.def.push(0);
            c.rtl_runs.rep.push(0);
        }
        for (k, &(a, b)) in s.rtl_runs.iter().enumerate() {
            c.rtl_runs.values.extend([a as i64, b as i64]);
            c.rtl_runs.def.extend([2, 2]);
            c.rtl_runs.rep.extend([if k == 0 { 0 } else { 1 }, 2]);
        }
        c.raw_span
            .values
            .extend([s.raw.start as i64, s.raw.end as i64]);
        c.raw_span.def.extend([1, 1]);
        c.raw_span.rep.extend([0, 1]);
        c.line.values.push(s.line as i64);
        match &s.dup_of {
            Some(d) => {
                c.dup_of.values.push(bytes(&d.id));
                c.dup_of.def.push(1);
            }
            None => c.dup_of.def.push(0),
        }
        let mut any = false;
        for (k, f) in s.flags.names().enumerate() {
            c.flags.values.push(bytes(f));
            c.flags.def.push(1);
            c.flags.rep.push(if k == 0 { 0 } else { 1 });
            any = true;
        }
        if !any {
            c.flags.def.push(0);
            c.flags.rep.push(0);
        }
        c.garbled_score.values.push(round4(s.garbled_score));
        c.rows += 1;
        if c.rows >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), OutputError> {
        if self.cols.rows == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let c = &mut self.cols;
        let mut rg = self.writer.next_row_group().map_err(perr(&path))?;
        // The leaf columns in schema order.
        enum Leaf<'a> {
            Str(&'a Col<ByteArray>),
            Int(&'a Col<i64>),
            Dbl(&'a Col<f64>),
        }
        let leaves = [
            Leaf::Str(&c.strings[ID]),
            Leaf::Str(&c.strings[DOC_ID]),
            Leaf::Int(&c.ints[SEQ]),
            Leaf::Str(&c.strings[KIND]),
            Leaf::Str(&c.strings[BLOCK]),
            Leaf::Int(&c.ints[PARAGRAPH]),
            Leaf::Str(&c.strings[TEXT]),
            Leaf::Str(&c.strings[LANG]),
            Leaf::Str(&c.strings[LANG_SCRIPT]),
            Leaf::Dbl(&c.lang_confidence),
            Leaf::Str(&c.strings[LANG_SOURCE]),
            Leaf::Str(&c.strings[SCRIPT]),
            Leaf::Str(&c.strings[DIRECTION]),
            Leaf::Int(&c.rtl_runs),
            Leaf::Int(&c.raw_span),
            Leaf::Int(&c.line),
            Leaf::Str(&c.dup_of),
            Leaf::Str(&c.flags),
            Leaf::Dbl(&c.garbled_score),
        ];
        fn levels(l: &[i16]) -> Option<&[i16]> {
            (!l.is_empty()).then_some(l)
        }
        for leaf in leaves {
            let Some(mut col) = rg.next_column().map_err(perr(&path))? else {
                break;
            };
            match leaf {
                Leaf::Str(x) => col.typed::<ByteArrayType>().write_batch(
                    &x.values,
                    levels(&x.def),
                    levels(&x.rep),
                ),
                Leaf::Int(x) => {
                    col.typed::<Int64Type>()
                        .write_batch(&x.values, levels(&x.def), levels(&x.rep))
                }
                Leaf::Dbl(x) => {
                    col.typed::<DoubleType>()
                        .write_batch(&x.values, levels(&x.def), levels(&x.rep))
                }
            }
            .map_err(perr(&path))?;
            col.close().map_err(perr(&path))?;
        }
        rg.close().map_err(perr(&path))?;
        for s in &mut c.strings {
            s.clear();
        }
        for i in &mut c.ints {
            i.clear();
        }
        c.lang_confidence.clear();
        c.rtl_runs.clear();
        c.raw_span.clear();
        c.line.clear();
        c.dup_of.clear();
        c.flags.clear();
        c.garbled_score.clear();
        c.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer, and syncs the file.
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.flush()?;
        let path = self.path.clone();
        let file = self.writer.into_inner().map_err(perr(&path))?;
        file.sync_all().map_err(|source| OutputError {
            path: path.display().to_string(),
            source,
        })
    }
}
