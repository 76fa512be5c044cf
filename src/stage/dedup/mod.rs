//! Deduplication of repeated passages across the corpus, exact and near, keeping the first
//! occurrence in input order.
//!
//! The work is split in two so that the output does not depend on the thread count:
//!
//! * [`Dedup::fingerprints`] runs per document, in parallel. It folds each live segment's text
//!   once (NFKC, lower case, punctuation and symbols dropped, whitespace folded to one space,
//!   digits folded to `0` when `fold_digits`) and derives from the folded text
//!   - the **exact key**: a 128-bit xxh3 of it;
//!   - **tokens**: the words of scripts written with spaces, and single characters of scripts
//!     written without them (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan), each an xxh3;
//!   - **shingles**: every window of `ngram` consecutive tokens, one 64-bit xxh3 each;
//!   - a **MinHash signature** of each paragraph (a block: consecutive segments with the same
//!     `block` index) and of the whole document, by *one permutation hashing*: the top bits of a
//!     shingle's hash choose one of `num_perm` bins, the low 32 bits compete for the bin's
//!     minimum, and empty bins are filled by densification by rotation (each takes the value of
//!     the next non-empty bin to its right, offset by the distance). One hash per shingle,
//!     whatever `num_perm` is;
//!   - **band keys**: for LSH, `bands` xxh3s of `rows` consecutive signature values.
//! * [`DedupIndex::decide`] runs in input order. Per document: exact duplicates of segments
//!   first; then, if `documents`, the whole document against earlier documents; then, if the
//!   document is not itself a near duplicate, each paragraph against earlier paragraphs.
//!   A paragraph or document is a candidate when it shares a band key with an earlier one, and a
//!   near duplicate when the estimated Jaccard similarity (the share of equal signature values)
//!   is at least `threshold` (`document_threshold` for documents: stricter, since a whole
//!   document's segments go at once). Near duplicates join their match's cluster (union-find; the
//!   root is the earliest member, the one kept), and their segments not already exact
//!   duplicates get `dup_of` the *aligned* segment of the kept unit: the one at the same
//!   position when both have the same number of segments, else the one at the same relative
//!   position (segment `i` of `n` points to segment `⌊(2i+1)·m / 2n⌋` of `m`). Pointers always
//!   lead to a kept segment (or to the copy an exact duplicate points to).
//!
//! Memory: the index keeps fingerprints only, never texts — per unique segment its 128-bit key
//! and location; per paragraph and document with a signature its signature truncated to 16 bits
//! per bin, its band keys (only in buckets still empty) and the locations of its segments. The
//! README states the bytes per segment and per paragraph measured on the benchmark corpus.

//! The stage's code is in four parts: [`fingerprint`] (the per-document, parallel part: `Dedup`
//! and its MinHash sketches), [`fold`] (folding a segment into its key and tokens), [`index`]
//! (the in-order part: `DedupIndex` and its exact and near-duplicate tables) and [`buckets`]
//! (the LSH band-key table the near-duplicate index probes). This module holds the two types
//! that pass from the first part to the second.

mod buckets;
mod fingerprint;
mod fold;
mod index;

use std::ops::Range;

pub use fingerprint::Dedup;
pub use index::{DedupIndex, DupCounts};

/// Fingerprints of one document's segments, paragraphs and of the document itself.
#[derive(Debug, Clone, Default)]
pub struct DocFingerprints {
    /// Exact key per segment; `None` when too short or not considered.
    pub exact: Vec<Option<u128>>,
    /// Near-duplicate sketches of the paragraphs with at least `min_shingles` shingles.
    pub paragraphs: Vec<Sketch>,
    /// The sketch of the whole document, when `documents` and long enough.
    pub document: Option<Sketch>,
}

/// The MinHash sketch of a paragraph or a document.
#[derive(Debug, Clone)]
pub struct Sketch {
    /// The unit's segments: a range of indices into the document's segments.
    pub segs: Range<usize>,
    /// One value per bin (`num_perm`).
    pub sig: Box<[u32]>,
    /// One LSH key per band.
    pub bands: Box<[u64]>,
}
