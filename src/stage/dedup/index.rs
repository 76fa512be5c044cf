//! The in-order part of dedup: [`DedupIndex`] decides, document by document in input order,
//! which segments are exact or near duplicates of earlier ones, from their fingerprints alone.
//! It owns the exact-key table, the two LSH indexes of signatures (paragraphs and documents)
//! with their union-find clusters, the alignment of a near duplicate's segments to the kept
//! unit's, and the duplicate counts.

use std::collections::HashMap;
use std::ops::Range;

use super::buckets::Buckets;
use super::{DocFingerprints, Sketch};
use crate::config::{DedupAction, DedupConfig};
use crate::doc::{DropReason, DupOf, Segment};

/// Where a segment is: its document (index in input order) and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The keys of dedup's tables are xxh3 hashes already: hashing them again (SipHash) is wasted
/// work, so the table takes their low 64 bits as they are.
#[derive(Debug, Clone, Copy, Default)]
struct KeyHash;

#[derive(Debug, Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by u64/u128 keys; fold anything else in.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }
}

impl std::hash::BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher::default()
    }
}

/// Estimated Jaccard similarity of two signatures: the share of equal values.
pub(super) fn similarity(a: &[u32], b: &[u16]) -> f32 {
    let same = a.iter().zip(b).filter(|(x, y)| **x as u16 == **y).count();
    same as f32 / a.len().max(1) as f32
}

/// The LSH index of paragraph or document signatures, with union-find clusters.
#[derive(Debug, Default)]
struct NearIndex {
    k: usize,
    threshold: f32,
    /// Band key → the first unit that had it.
    buckets: Buckets,
    /// `k` values per unit, truncated to 16 bits (equal values stay equal; unequal ones collide
    /// with probability 2⁻¹⁶).
    sigs: Vec<u16>,
    /// Union-find parents; a root is the earliest member of its cluster.
    parent: Vec<u32>,
    /// Unit `u`'s live segments, resolved to kept ones: `refs[starts[u]..starts[u + 1]]`.
    starts: Vec<usize>,
    refs: Vec<SegRef>,
    /// Scratch of [`NearIndex::query`], kept from one query to the next: the candidates and
    /// the cluster roots that matched.
    cands: Vec<u32>,
    roots: Vec<u32>,
}

impl NearIndex {
    fn new(cfg: &DedupConfig, threshold: f32) -> NearIndex {
        NearIndex {
            k: cfg.num_perm,
            threshold,
            starts: vec![0],
            ..NearIndex::default()
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[x as usize] != root {
            let next = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = next;
        }
        root
    }

    fn unit_refs(&self, u: u32) -> &[SegRef] {
        &self.refs[self.starts[u as usize]..self.starts[u as usize + 1]]
    }

    /// The cluster root (the kept unit) that `sk` near-duplicates, with the estimated
    /// similarity to the member that matched; merges the clusters it matches. Stores the band
    /// keys of `sk` in the buckets still empty, for the unit that [`NearIndex::insert`] adds next:
    /// the two go in pairs.
    fn query(&mut self, sk: &Sketch) -> Option<(u32, f32)> {
        // Past 2^32 - 1 units the index takes no more (ids are 32-bit): later units are kept.
        let id = u32::try_from(self.parent.len())
            .ok()
            .filter(|&i| i < u32::MAX)?;
        std::hint::black_box(self.buckets.touch(&sk.bands));
        let mut cands = std::mem::take(&mut self.cands);
        let mut roots = std::mem::take(&mut self.roots);
        cands.clear();
        roots.clear();
        for &b in sk.bands.iter() {
            // A unit's own id comes back only for a band key repeated within its bands.
            if let Some(u) = self.buckets.get_or_insert(b, id) {
                if u != id && !cands.contains(&u) {
                    cands.push(u);
                }
            }
        }
        let mut best: Option<(u32, f32)> = None;
        for &u in &cands {
            let k = self.k;
            let sim = similarity(&sk.sig, &self.sigs[u as usize * k..(u as usize + 1) * k]);
            if sim < self.threshold {
                continue;
            }
            let r = self.find(u);
            roots.push(r);
            best = match best {
                Some((br, bs)) if br < r || (br == r && bs >= sim) => Some((br, bs)),
                _ => Some((r, sim)),
            };
        }
        if let Some((root, _)) = best {
            for &r in &roots {
                self.parent[r as usize] = root;
            }
        }
        self.cands = cands;
        self.roots = roots;
        best
    }

    /// Adds the unit just queried: its signature, its cluster, its segments.
    fn insert(&mut self, sk: &Sketch, root: Option<u32>, refs: &[SegRef]) {
        let Some(id) = u32::try_from(self.parent.len())
            .ok()
            .filter(|&i| i < u32::MAX)
        else {
            return;
        };
        if self.sigs.capacity() - self.sigs.len() < sk.sig.len() {
            // Grown the way `extend` would grow it, and advised while the new part is untouched.
            self.sigs
                .reserve((self.sigs.capacity()).max(sk.sig.len() * 64));
            crate::util::hugepages::advise(&self.sigs);
        }
        self.sigs.extend(sk.sig.iter().map(|&v| v as u16));
        self.parent.push(root.unwrap_or(id));
        self.refs.extend_from_slice(refs);
        self.starts.push(self.refs.len());
    }

    #[cfg(any(test, feature = "internals"))]
    /// Approximate heap bytes held.
    fn heap_bytes(&self) -> usize {
        self.buckets.heap_bytes()
            + self.sigs.capacity() * 2
            + self.parent.capacity() * 4
            + self.starts.capacity() * 8
            + self.refs.capacity() * 8
    }
}

/// Segment `i` of `n` aligned to one of `m` segments: the same position when `n == m`, else the
/// same relative position.
fn align(i: usize, n: usize, m: usize) -> usize {
    if n == m {
        i
    } else {
        ((2 * i + 1) * m / (2 * n.max(1))).min(m.saturating_sub(1))
    }
}

/// The corpus-wide dedup state: fingerprints of kept segments, in input order.
#[derive(Debug)]
pub struct DedupIndex {
    action: DedupAction,
    enabled: bool,
    exact: HashMap<u128, SegRef, KeyHash>,
    paragraphs: NearIndex,
    documents: NearIndex,
    doc_ids: Vec<String>,
    /// Scratch: exact copies of earlier segments of the current document (index, seq).
    copies: Vec<(usize, u32)>,
    /// Scratch: a paragraph's live segments, and where they resolve.
    live: Vec<usize>,
    refs: Vec<SegRef>,
    pub counts: DupCounts,
}

impl DedupIndex {
    pub fn new(cfg: &DedupConfig) -> DedupIndex {
        DedupIndex {
            action: cfg.action,
            enabled: cfg.enabled,
            exact: HashMap::default(),
            paragraphs: NearIndex::new(cfg, cfg.threshold),
            documents: NearIndex::new(cfg, cfg.document_threshold),
            doc_ids: Vec::new(),
            copies: Vec::new(),
            live: Vec::new(),
            refs: Vec::new(),
            counts: DupCounts::default(),
        }
    }

    #[cfg(any(test, feature = "internals"))]
    /// Approximate heap bytes of the index (document ids included).
    pub fn heap_bytes(&self) -> usize {
        self.exact.capacity() * (16 + 8 + 1)
            + self.paragraphs.heap_bytes()
            + self.documents.heap_bytes()
            + self
                .doc_ids
                .iter()
                .map(|s| s.capacity() + 24)
                .sum::<usize>()
    }

    /// Marks segment `s` a duplicate of `first`.
    fn mark(&mut self, s: &mut Segment, doc: u32, first: SegRef, near: bool, similarity: f32) {
        let across = first.doc != doc;
        let c = &mut self.counts;
        *match (near, across) {
            (false, false) => &mut c.exact_within,
            (false, true) => &mut c.exact_across,
            (true, false) => &mut c.near_within,
            (true, true) => &mut c.near_across,
        } += 1;
        s.dup_of = Some(DupOf {
            id: format!("{}#{}", self.doc_ids[first.doc as usize], first.seq),
            near,
            similarity,
            cross_document: across,
        });
        if self.action == DedupAction::Drop {
            s.dropped = Some(if near {
                DropReason::NearDuplicate
            } else {
                DropReason::ExactDuplicate
            });
        }
    }

    /// Marks the live segments of a near-duplicate unit that are not yet duplicates, aligned to
    /// the kept unit `target`, and records where they now resolve.
    #[allow(clippy::too_many_arguments)]
    fn mark_near(
        &mut self,
        doc: u32,
        exact: &[Option<u128>],
        live: &[usize],
        resolved: &mut [Option<SegRef>],
        segs: &mut [Segment],
        target: &[SegRef],
        similarity: f32,
    ) {
        if target.is_empty() {
            return;
        }
        for (i, &si) in live.iter().enumerate() {
            if segs[si].dup_of.is_some() {
                continue;
            }
            let first = target[align(i, live.len(), target.len())];
            self.mark(&mut segs[si], doc, first, true, similarity);
            // Its exact copies to come point to the kept segment too, not to this one.
            if let Some(key) = exact.get(si).copied().flatten() {
                if let Some(r) = self.exact.get_mut(&key) {
                    if *r == resolved[si].unwrap_or(first) {
                        *r = first;
                    }
                }
            }
            let own = resolved[si];
            resolved[si] = Some(first);
            // Exact copies of it earlier in this document's decisions follow it, as near
            // duplicates of the same kept segment: pointers always lead to a kept segment.
            for k in 0..self.copies.len() {
                let (ci, seq) = self.copies[k];
                if own != Some(SegRef { doc, seq }) {
                    continue;
                }
                let d = segs[si].dup_of.clone();
                self.counts.exact_within -= 1;
                if first.doc == doc {
                    self.counts.near_within += 1;
                } else {
                    self.counts.near_across += 1;
                }
                if self.action == DedupAction::Drop {
                    segs[ci].dropped = Some(DropReason::NearDuplicate);
                }
                segs[ci].dup_of = d;
                resolved[ci] = Some(first);
            }
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
        // Documents past the 2^32nd are not deduplicated: their references would not fit.
        let doc = u32::try_from(self.doc_ids.len()).ok();
        self.doc_ids.push(doc_id.to_string());
        let Some(doc) = doc.filter(|_| self.enabled) else {
            return;
        };
        // Live segments (not dropped by an earlier stage), resolved to the kept copy.
        let mut resolved: Vec<Option<SegRef>> = segs
            .iter()
            .zip(seqs)
            .map(|(s, &seq)| s.dropped.is_none().then_some(SegRef { doc, seq }))
            .collect();
        let mut fresh = 0usize;
        // Exact copies of earlier segments of this document: (index, seq of the first).
        let mut copies = std::mem::take(&mut self.copies);
        copies.clear();
        for (i, s) in segs.iter_mut().enumerate() {
            if resolved[i].is_none() {
                continue;
            }
            let Some(key) = fps.exact.get(i).copied().flatten() else {
                fresh += 1;
                continue;
            };
            match self.exact.get(&key) {
                Some(&first) => {
                    self.mark(s, doc, first, false, 1.0);
                    resolved[i] = Some(first);
                    if first.doc == doc {
                        copies.push((i, first.seq));
                    }
                }
                None => {
                    fresh += 1;
                    self.exact.insert(key, SegRef { doc, seq: seqs[i] });
                }
            }
        }
        self.copies = copies;
        if fresh == 0 {
            // Nothing new: every live segment already points to a kept copy.
            return;
        }
        let live_in = |r: &Range<usize>, resolved: &[Option<SegRef>]| -> Vec<usize> {
            r.clone()
                .filter(|&i| i < resolved.len() && resolved[i].is_some())
                .collect()
        };
        if let Some(sk) = &fps.document {
            let live = live_in(&sk.segs, &resolved);
            let found = self.documents.query(sk);
            if let Some((root, sim)) = found {
                let target = self.documents.unit_refs(root).to_vec();
                self.mark_near(doc, &fps.exact, &live, &mut resolved, segs, &target, sim);
            }
            let refs: Vec<SegRef> = live.iter().filter_map(|&i| resolved[i]).collect();
            self.documents.insert(sk, found.map(|f| f.0), &refs);
            if found.is_some() {
                return;
            }
        }
        // The paragraphs' buffers are kept from one paragraph (and document) to the next.
        let (mut live, mut refs) = (
            std::mem::take(&mut self.live),
            std::mem::take(&mut self.refs),
        );
        for sk in &fps.paragraphs {
            live.clear();
            live.extend(
                sk.segs
                    .clone()
                    .filter(|&i| i < resolved.len() && resolved[i].is_some()),
            );
            if live.iter().all(|&i| segs[i].dup_of.is_some()) {
                continue;
            }
            let found = self.paragraphs.query(sk);
            if let Some((root, sim)) = found {
                let target = self.paragraphs.unit_refs(root).to_vec();
                self.mark_near(doc, &fps.exact, &live, &mut resolved, segs, &target, sim);
            }
            refs.clear();
            refs.extend(live.iter().filter_map(|&i| resolved[i]));
            self.paragraphs.insert(sk, found.map(|f| f.0), &refs);
        }
        self.live = live;
        self.refs = refs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::stage::dedup::Dedup;

    fn cfg() -> DedupConfig {
        Config::default().dedup
    }

    /// Segments of `paras` (each a list of sentences) laid out in one clean text.
    fn doc(paras: &[&[&str]]) -> (String, Vec<Segment>) {
        crate::doc::layout(paras)
    }

    fn run(cfg: &DedupConfig, docs: &[(&str, &[&[&str]])]) -> Vec<Vec<Segment>> {
        let d = Dedup::new(cfg);
        let mut index = DedupIndex::new(cfg);
        docs.iter()
            .map(|(id, paras)| {
                let (clean, mut segs) = doc(paras);
                let fps = d.fingerprints(&clean, &segs);
                let seqs: Vec<u32> = (0..segs.len() as u32).collect();
                index.decide(id, &fps, &mut segs, &seqs);
                segs
            })
            .collect()
    }

    const P1: &[&str] = &[
        "The crime committed in Khojaly city at the night from 25 to 26 February 1992 by the \
         Armenian armed forces was one of the unprecedented events due to its cruelty.",
        "During the genocide 613 people were killed and over 1000 civilians became disabled \
         as a result of severe injuries while 1275 people were taken hostages.",
    ];
    const P1_NEAR: &[&str] = &[
        "The crime committed in Khojaly city in the night from 25 to 26 February 1992 by the \
         Armenian armed forces was one of the unprecedented events due to its cruelty!",
        "During the genocide 613 people were killed and over 1000 civilians became disabled \
         as a result of severe injuries while 1275 persons were taken hostages.",
    ];
    const OTHER: &[&str] = &[
        "Flags will be lowered across the country as a sign of mourning, and concerts and \
         entertainment programmes on television and radio will be cancelled for the day.",
    ];

    #[test]
    fn exact_duplicates_point_to_the_first() {
        let out = run(&cfg(), &[("a", &[P1]), ("b", &[OTHER, P1])]);
        assert!(out[0].iter().all(|s| s.dup_of.is_none()));
        let d = out[1][1].dup_of.as_ref().unwrap();
        assert_eq!((d.id.as_str(), d.near), ("a#0", false));
        assert_eq!(out[1][2].dup_of.as_ref().unwrap().id, "a#1");
        assert!(out[1][0].dup_of.is_none());
    }

    #[test]
    fn near_paragraph_aligned_to_the_kept_one() {
        let mut c = cfg();
        c.documents = false;
        let out = run(&c, &[("a", &[P1, OTHER]), ("b", &[OTHER, P1_NEAR])]);
        let b = &out[1];
        assert_eq!(b[0].dup_of.as_ref().unwrap().id, "a#2");
        for (i, want) in [(1, "a#0"), (2, "a#1")] {
            let d = b[i].dup_of.as_ref().expect("near duplicate");
            assert!(d.near && d.cross_document, "{d:?}");
            assert_eq!(d.id, want);
            assert!(d.similarity >= c.threshold);
            assert_eq!(b[i].dropped, Some(DropReason::NearDuplicate));
        }
    }

    #[test]
    fn near_document_and_mark_mode() {
        let mut c = cfg();
        c.action = DedupAction::Mark;
        let out = run(&c, &[("a", &[P1, OTHER]), ("b", &[P1_NEAR, OTHER])]);
        let b = &out[1];
        assert!(b.iter().all(|s| s.dropped.is_none()));
        let ids: Vec<_> = b
            .iter()
            .map(|s| s.dup_of.as_ref().unwrap().id.as_str())
            .collect();
        assert_eq!(ids, ["a#0", "a#1", "a#2"]);
        assert!(b[0].dup_of.as_ref().unwrap().near);
        assert!(!b[2].dup_of.as_ref().unwrap().near);
    }

    #[test]
    fn unrelated_text_is_kept() {
        let out = run(&cfg(), &[("a", &[P1]), ("b", &[OTHER])]);
        assert!(out[1].iter().all(|s| s.dup_of.is_none()));
    }

    #[test]
    fn chains_point_to_the_earliest_member() {
        let mut c = cfg();
        c.documents = false;
        let out = run(&c, &[("a", &[P1]), ("b", &[P1_NEAR]), ("c", &[P1_NEAR])]);
        // c's sentences are exact duplicates of b's, which point to a's: c points to b's kept
        // copies only where b kept them; here b kept none, so c's pointers lead to a.
        for s in &out[2] {
            assert!(s.dup_of.as_ref().unwrap().id.starts_with("a#"), "{s:?}");
        }
    }

    #[test]
    fn cjk_near_duplicates_by_characters() {
        let mut c = cfg();
        c.documents = false;
        let a: &[&str] = &["自由软件基金会是一个致力于推广自由软件的非营利组织，它成立于一九八五年，总部设在美国马萨诸塞州波士顿，并为自由软件运动提供法律和组织上的支持。"];
        let b: &[&str] = &["自由软件基金会是一个致力于推广自由软件的非营利组织，它成立于一九八五年，总部设在美国马萨诸塞州波士顿，并为自由软件运动提供法律与组织上的支持。"];
        let out = run(&c, &[("a", &[a]), ("b", &[b])]);
        let d = out[1][0].dup_of.as_ref().expect("near duplicate");
        assert!(d.near);
    }
}
