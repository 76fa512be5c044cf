//! scriptorium: raw multilingual documents to clean, segmented, language-tagged, deduplicated
//! JSONL.
//!
//! The library behind the `scriptorium` binary. One module per stage — [`decode`],
//! [`mojibake`], [`normalize`], [`structure`], [`segment`], [`script`], [`lang`], [`dedup`],
//! [`filter`] — plus [`config`], [`input`], [`output`], [`report`], [`cli`] and the orchestration
//! in [`pipeline`]. Stages take `&[u8]` or `&str` and return values; none opens a file.
//!
//! ```
//! use scriptorium::{config::Config, pipeline::Stages};
//! let stages = Stages::new(&Config::default());
//! let doc = stages.process_bytes("a.txt", "a.txt", "Hello there. How are you?".as_bytes());
//! assert_eq!(doc.segments.len(), 2);
//! assert_eq!(&doc.clean[doc.segments[1].text.clone()], "How are you?");
//! ```

pub mod bytescan;
pub mod chars;
pub mod cli;
pub mod config;
pub mod cputime;
pub mod decode;
pub mod dedup;
pub mod doc;
pub mod filter;
pub mod garbled;
pub mod hugepages;
pub mod input;
pub mod lang;
pub mod mojibake;
pub mod normalize;
pub mod ordered;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod script;
pub mod segment;
pub mod spanmap;
pub mod structure;
#[cfg(test)]
mod testdata;
