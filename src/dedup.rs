//! Deduplication of repeated segments across the corpus, keeping the first occurrence.
//!
//! Fingerprints are computed per document, in parallel ([`Dedup::fingerprints`]); decisions are
//! made in input order by one [`DedupIndex`] ([`DedupIndex::decide`]), so the output is the same
//! for any thread count. Only fingerprints are kept in memory, never texts.
//!
//! Exact duplicates: a 128-bit xxh3 of a folded key (NFKC, lower case, punctuation and symbols
//! dropped, whitespace folded, digits folded to `0` when `fold_digits`).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::Xxh3;

use crate::config::{DedupAction, DedupConfig};
use crate::doc::{DropReason, DupOf, Segment};

/// The dedup stage's per-document part, built once from the config.
#[derive(Debug, Clone)]
pub struct Dedup {
    cfg: DedupConfig,
}

/// Fingerprints of one document's segments.
#[derive(Debug, Clone, Default)]
pub struct DocFingerprints {
    /// Exact key per segment; `None` when too short or not considered.
    pub exact: Vec<Option<u128>>,
}

const SEED: u64 = 0x5C41_7054_0A1A_2026;

impl Dedup {
    pub fn new(cfg: &DedupConfig) -> Dedup {
        Dedup { cfg: cfg.clone() }
    }

    /// The folded-key hash of `text`, and the number of characters in the key.
    pub fn exact_key(&self, text: &str) -> (u128, usize) {
        let mut h = Xxh3::with_seed(SEED);
        let mut buf = [0u8; 4];
        let mut n = 0usize;
        let mut space = false;
        for c in text.nfkc() {
            for lc in c.to_lowercase() {
                let lc = if self.cfg.fold_digits && lc.is_numeric() {
                    '0'
                } else {
                    lc
                };
                if lc.is_alphanumeric() {
                    if space && n > 0 {
                        h.update(b" ");
                    }
                    space = false;
                    h.update(lc.encode_utf8(&mut buf).as_bytes());
                    n += 1;
                } else if lc.is_whitespace() {
                    space = true;
                }
                // Punctuation, symbols and marks are dropped from the key.
            }
        }
        (h.digest128(), n)
    }

    /// Fingerprints of the segments of one document (the parallel part).
    pub fn fingerprints(&self, clean: &str, segs: &[Segment]) -> DocFingerprints {
        if !self.cfg.enabled || !self.cfg.exact {
            return DocFingerprints {
                exact: vec![None; segs.len()],
            };
        }
        let exact = segs
            .iter()
            .map(|s| {
                if s.dropped.is_some() {
                    return None;
                }
                let (k, n) = self.exact_key(&clean[s.text.clone()]);
                (n >= self.cfg.min_chars.max(1)).then_some(k)
            })
            .collect();
        DocFingerprints { exact }
    }
}

/// Where a kept segment is: its document (index in input order) and sequence number.
#[derive(Debug, Clone, Copy)]
struct SegRef {
    doc: u32,
    seq: u32,
}

/// Counts of duplicates found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DupCounts {
    pub exact_within: u64,
    pub exact_across: u64,
    pub near_within: u64,
    pub near_across: u64,
}

/// The corpus-wide dedup state: fingerprints of kept segments, in input order.
#[derive(Debug)]
pub struct DedupIndex {
    action: DedupAction,
    enabled: bool,
    exact: HashMap<u128, SegRef>,
    doc_ids: Vec<String>,
    pub counts: DupCounts,
}

impl DedupIndex {
    pub fn new(cfg: &DedupConfig) -> DedupIndex {
        DedupIndex {
            action: cfg.action,
            enabled: cfg.enabled,
            exact: HashMap::new(),
            doc_ids: Vec::new(),
            counts: DupCounts::default(),
        }
    }

    /// Decides for the next document in input order: marks its duplicate segments.
    /// `seqs[i]` is the `seq` of `segs[i]`.
    pub fn decide(
        &mut self,
        doc_id: &str,
        fps: &DocFingerprints,
        segs: &mut [Segment],
        seqs: &[u32],
    ) {
        let doc = self.doc_ids.len() as u32;
        self.doc_ids.push(doc_id.to_string());
        if !self.enabled {
            return;
        }
        for (i, s) in segs.iter_mut().enumerate() {
            if s.dropped.is_some() {
                continue;
            }
            let Some(key) = fps.exact.get(i).copied().flatten() else {
                continue;
            };
            match self.exact.get(&key) {
                Some(first) => {
                    let across = first.doc != doc;
                    if across {
                        self.counts.exact_across += 1;
                    } else {
                        self.counts.exact_within += 1;
                    }
                    s.dup_of = Some(DupOf {
                        id: format!("{}#{}", self.doc_ids[first.doc as usize], first.seq),
                        near: false,
                        similarity: 1.0,
                        cross_document: across,
                    });
                    if self.action == DedupAction::Drop {
                        s.dropped = Some(DropReason::ExactDuplicate);
                    }
                }
                None => {
                    self.exact.insert(key, SegRef { doc, seq: seqs[i] });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn keys_fold_case_punctuation_space() {
        let d = Dedup::new(&Config::default().dedup);
        let (a, _) = d.exact_key("National flags of Azerbaijan will be lowered.");
        let (b, _) = d.exact_key("national  flags of AZERBAIJAN will be lowered");
        let (c, _) = d.exact_key("National flags of Armenia will be lowered.");
        assert_eq!(a, b);
        assert_ne!(a, c);
        // NFKC: full-width letters fold to ASCII.
        let (e, _) = d.exact_key("ＡＢＣ def");
        let (f, _) = d.exact_key("abc def");
        assert_eq!(e, f);
    }
}
