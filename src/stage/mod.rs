//! The stages, one room each, in pipeline order. Each is built once from its own section of the
//! config and owns its settings; none opens a file.
//!
//! | stage | reads | gives |
//! |---|---|---|
//! | [`decode`] | raw bytes | text, encoding, confidence, map to the raw bytes |
//! | [`mojibake`] | decoded text | repaired text and the repaired ranges |
//! | [`normalize`] | text | normalized text and its maps |
//! | [`structure`] | normalized text | blocks (paragraphs, headings, lists, boilerplate) |
//! | [`segment`] | a block | sentence ranges |
//! | [`script`] | a segment's output text | script, direction, right-to-left runs, garbled score |
//! | [`lang`] | a document's segments | language and confidence per segment |
//! | [`filter`] | segments | drop reasons |
//! | [`dedup`] | segments | fingerprints (workers), keep-first decisions (ordered) |

pub mod codepage;
mod codepage_tables;
pub mod coherence;
pub mod decode;
pub mod dedup;
pub mod filter;
pub mod lang;
pub mod mojibake;
pub mod normalize;
pub mod script;
pub mod segment;
pub mod structure;
