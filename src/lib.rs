//! scriptorium: raw multilingual documents to clean, segmented, language-tagged, deduplicated
//! JSONL.
//!
//! The library behind the `scriptorium` binary. Its public face is small:
//!
//! - [`Config`] (and the section types in [`config`]): what `pipeline.toml` says;
//! - [`run`]: the whole pipeline over the configured inputs into the output folder, as
//!   `scriptorium run` does;
//! - [`Stages`]: every per-document stage built once, for callers that hold documents in memory;
//!   [`Stages::process_bytes`] gives a [`ProcessedDoc`] with its [`Segment`]s;
//! - the output record types: [`Segment`], [`Flags`], [`DocumentLine`].
//!
//! ```
//! use scriptorium::{Config, Stages};
//! let stages = Stages::new(&Config::default());
//! let doc = stages.process_bytes("a.txt", "a.txt", "Hello there. How are you?".as_bytes());
//! assert_eq!(doc.segments.len(), 2);
//! assert_eq!(&doc.clean[doc.segments[1].text.clone()], "How are you?");
//! ```
//!
//! The code map (what each module owns) is in the README and in `docs/`.

#![cfg_attr(not(feature = "internals"), warn(missing_docs))]

mod app;
pub mod config;
mod doc;
mod io;
mod render;
mod stage;
mod stages;
mod text;
mod util;

#[cfg(test)]
mod testdata;

pub use app::{
    config_hash, merge, run, run_shard, RunError, RunOptions, RunSummary, ShardOutcome, ShardSpec,
    ShardSummary,
};
pub use config::Config;
pub use doc::{BlockKind, Direction, DropReason, DupOf, Flags, LangSource, SegKind, Segment};
pub use io::output::DocumentLine;
pub use io::shard::{Manifest, ShardError};
pub use stages::{ProcessedDoc, Stages};

/// The stages one by one, for the project's own benchmarks, examples and fuzz targets. Not a
/// stable API: names and signatures change without notice. Enabled by the `internals` feature.
#[cfg(feature = "internals")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod internals {
    pub use crate::io::input;
    pub use crate::io::records;
    pub use crate::stage::{
        decode, dedup, filter, lang, mojibake, normalize, script, segment, structure,
    };
}
