//! The per-document part of dedup, run in parallel: [`Dedup`] folds each segment once and
//! derives its exact key, tokens, shingles, the MinHash sketches of its paragraphs and of the
//! whole document, and their LSH band keys ([`DocFingerprints`]). Also the word-level xxh3
//! helpers these hashes are computed with, and the per-thread scratch buffers.

use std::cell::RefCell;
use std::ops::Range;

use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64_with_seed};

use super::fold::Folder;
use super::{DocFingerprints, Sketch};
use crate::config::DedupConfig;
use crate::doc::Segment;

/// The dedup stage's per-document part, built once from the config.
#[derive(Debug, Clone)]
pub struct Dedup {
    cfg: DedupConfig,
}

const SEED: u64 = 0x5C41_7054_0A1A_2026;
const SHINGLE_SEED: u64 = 0x7368_696E_676C_6502;
const BAND_SEED: u64 = 0x6261_6E64_7321_0003;
const EMPTY: u32 = u32::MAX;

/// Densification by rotation: an empty bin takes the value of the next non-empty bin to its
/// right (circularly), offset by the distance, so equal sets stay equal. O(num_perm).
fn densify(sig: &mut [u32]) {
    let Some(first) = sig.iter().position(|&v| v != EMPTY) else {
        return;
    };
    // Walking leftwards from the end, the value for an empty bin is that of the next non-empty
    // bin to the right (circularly the first one, at `first + k`) plus the distance times the
    // step: one step more than its right neighbour's value, filled or not. So each bin only
    // needs the value written to its right, and the choice between the bin's own value and the
    // filled one is a select, not a branch (whether a bin is empty is as good as random).
    const STEP: u32 = 0x9E37_79B9;
    let mut fill = sig[first].wrapping_add(((first + 1) as u32).wrapping_mul(STEP));
    for s in sig.iter_mut().rev() {
        let v = if *s == EMPTY { fill } else { *s };
        *s = v;
        fill = v.wrapping_add(STEP);
    }
}

/// The bin of a shingle hash and the value that competes for its minimum: the top 32 bits
/// choose the bin (multiply-shift range reduction, always below `k`), the low 32 bits compete.
#[inline(always)]
fn bin_value(h: u64, k: usize) -> (usize, u32) {
    ((((h >> 32) * k as u64) >> 32) as usize, h as u32)
}

/// Lowers the bins of `sig` (not yet densified) to the shingles' values.
#[inline]
fn min_into(sig: &mut [u32], shingles: &[u64]) {
    let k = sig.len();
    for &h in shingles {
        let (bin, v) = bin_value(h, k);
        // A store either way: whether the value is lower is as good as random.
        if let Some(s) = sig.get_mut(bin) {
            *s = (*s).min(v);
        }
    }
}

/// [`min_into`] for two signatures of the same size at once (a paragraph's and its document's).
#[inline]
fn min_into2(a: &mut [u32], b: &mut [u32], shingles: &[u64]) {
    let k = a.len().min(b.len());
    let (a, b) = (&mut a[..k], &mut b[..k]);
    for &h in shingles {
        let (bin, v) = bin_value(h, k);
        if let (Some(x), Some(y)) = (a.get_mut(bin), b.get_mut(bin)) {
            *x = (*x).min(v);
            *y = (*y).min(v);
        }
    }
}

/// The first 56 bytes of xxh3's default secret, as little-endian words.
const SECRET: [u64; 7] = {
    const B: [u8; 56] = [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad,
        0x1c, 0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3,
        0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc,
        0xff, 0x72, 0x21, 0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
    ];
    let mut w = [0u64; 7];
    let mut i = 0;
    while i < 7 {
        let mut b = [0u8; 8];
        let mut j = 0;
        while j < 8 {
            b[j] = B[8 * i + j];
            j += 1;
        }
        w[i] = u64::from_le_bytes(b);
        i += 1;
    }
    w
};

fn fold64(a: u64, b: u64) -> u64 {
    let p = a as u128 * b as u128;
    p as u64 ^ (p >> 64) as u64
}

fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 37;
    h = h.wrapping_mul(0x1656_6791_9E37_79F9);
    h ^ (h >> 32)
}

/// `xxh3_64_with_seed` of the 24 little-endian bytes of three words, without writing them out.
#[inline]
fn xxh3_64_words3(t: [u64; 3], seed: u64) -> u64 {
    let mix = |a: u64, b: u64, s: usize| {
        fold64(
            a ^ SECRET[s].wrapping_add(seed),
            b ^ SECRET[s + 1].wrapping_sub(seed),
        )
    };
    let acc = 24u64
        .wrapping_mul(0x9E37_79B1_85EB_CA87)
        .wrapping_add(mix(t[0], t[1], 0))
        .wrapping_add(mix(t[1], t[2], 2));
    avalanche(acc)
}

/// `xxh3_64_with_seed` of the 16 little-endian bytes of four 32-bit words.
#[inline]
fn xxh3_64_words4(v: &[u32], seed: u64) -> u64 {
    let lo = v[0] as u64 | (v[1] as u64) << 32;
    let hi = v[2] as u64 | (v[3] as u64) << 32;
    let lo = lo ^ (SECRET[3] ^ SECRET[4]).wrapping_add(seed);
    let hi = hi ^ (SECRET[5] ^ SECRET[6]).wrapping_sub(seed);
    let acc = 16u64
        .wrapping_add(lo.swap_bytes())
        .wrapping_add(hi)
        .wrapping_add(fold64(lo, hi));
    avalanche(acc)
}

/// The working buffers of [`Dedup::fingerprints`], kept by each thread from one document to the
/// next so that their growth is paid once, not per document.
#[derive(Default)]
struct Scratch {
    folded: Vec<u8>,
    tokens: Vec<u64>,
    /// Token range of each segment.
    seg_tokens: Vec<Range<usize>>,
    shingles: Vec<u64>,
}

impl Scratch {
    /// Lets go of buffers grown by an unusually large document (more than 2²⁰ elements).
    fn trim(&mut self) {
        const MAX: usize = 1 << 20;
        if self.folded.capacity() > MAX {
            self.folded = Vec::new();
        }
        if self.tokens.capacity() > MAX {
            self.tokens = Vec::new();
        }
        if self.seg_tokens.capacity() > MAX {
            self.seg_tokens = Vec::new();
        }
        if self.shingles.capacity() > MAX {
            self.shingles = Vec::new();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Dedup {
    pub fn new(cfg: &DedupConfig) -> Dedup {
        Dedup { cfg: cfg.clone() }
    }

    #[cfg(any(test, feature = "internals"))]
    /// Appends the folded form of `text` to `out` (NFKC, lower case, only letters and digits,
    /// words separated by one space) and returns its number of characters.
    pub fn fold_into(&self, text: &str, out: &mut String) -> usize {
        let mut bytes = std::mem::take(out).into_bytes();
        let mut f = Folder::new(self.cfg.fold_digits, &mut bytes, None);
        f.fold(text);
        let n = f.n;
        // The folder writes whole characters only, so the bytes are UTF-8; never panic on it.
        *out = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        n
    }

    #[cfg(any(test, feature = "internals"))]
    /// The folded-key hash of `text`, and the number of characters in the key.
    pub fn exact_key(&self, text: &str) -> (u128, usize) {
        let mut buf = Vec::with_capacity(text.len());
        let mut f = Folder::new(self.cfg.fold_digits, &mut buf, None);
        f.fold(text);
        let n = f.n;
        (xxh3_128_with_seed(&buf, SEED), n)
    }

    #[cfg(any(test, feature = "internals"))]
    /// The one-permutation MinHash signature of a set of shingle hashes, densified; `None` when
    /// there are fewer than `min_shingles` of them.
    pub fn sketch(&self, shingles: &[u64], segs: Range<usize>) -> Option<Sketch> {
        if shingles.len() < self.cfg.min_shingles.max(1) {
            return None;
        }
        let mut sig = vec![EMPTY; self.cfg.num_perm].into_boxed_slice();
        min_into(&mut sig, shingles);
        Some(self.finish(sig, segs))
    }

    /// The sketch of a signature whose bins hold the minima of its shingles: densified, and
    /// its band keys.
    fn finish(&self, mut sig: Box<[u32]>, segs: Range<usize>) -> Sketch {
        densify(&mut sig);
        let r = self.cfg.rows;
        if r == 4 && sig.len() >= 4 * self.cfg.bands {
            // The default: four rows a band, hashed from the words.
            let bands = sig
                .chunks_exact(4)
                .take(self.cfg.bands)
                .enumerate()
                .map(|(b, rows)| xxh3_64_words4(rows, BAND_SEED ^ b as u64))
                .collect();
            return Sketch { segs, sig, bands };
        }
        let mut bytes = [0u8; 4 * 64];
        let bands = (0..self.cfg.bands)
            .map(|b| {
                let rows = &sig[b * r..(b + 1) * r];
                if r == 4 {
                    return xxh3_64_words4(rows, BAND_SEED ^ b as u64);
                }
                let n = rows.len().min(64);
                for (d, v) in bytes.chunks_exact_mut(4).zip(&rows[..n]) {
                    d.copy_from_slice(&v.to_le_bytes());
                }
                xxh3_64_with_seed(&bytes[..4 * n], BAND_SEED ^ b as u64)
            })
            .collect();
        Sketch { segs, sig, bands }
    }

    /// Fingerprints of the segments of one document (the parallel part).
    pub fn fingerprints(&self, clean: &str, segs: &[Segment]) -> DocFingerprints {
        let cfg = &self.cfg;
        if !cfg.enabled || (!cfg.exact && !cfg.near) {
            return DocFingerprints {
                exact: vec![None; segs.len()],
                ..DocFingerprints::default()
            };
        }
        SCRATCH.with(|sc| match sc.try_borrow_mut() {
            Ok(mut sc) => {
                let fps = self.fingerprints_in(clean, segs, &mut sc);
                sc.trim();
                fps
            }
            Err(_) => self.fingerprints_in(clean, segs, &mut Scratch::default()),
        })
    }

    fn fingerprints_in(&self, clean: &str, segs: &[Segment], sc: &mut Scratch) -> DocFingerprints {
        let cfg = &self.cfg;
        let Scratch {
            folded,
            tokens,
            seg_tokens,
            shingles,
        } = sc;
        tokens.clear();
        seg_tokens.clear();
        shingles.clear();
        let mut exact = Vec::with_capacity(segs.len());
        for s in segs {
            let t0 = tokens.len();
            if s.dropped.is_some() {
                exact.push(None);
                seg_tokens.push(t0..t0);
                continue;
            }
            folded.clear();
            let toks = cfg.near.then_some(&mut *tokens);
            let mut f = Folder::new(cfg.fold_digits, folded, toks);
            f.fold(&clean[s.text.clone()]);
            let n = f.n;
            exact.push(
                (cfg.exact && n >= cfg.min_chars.max(1)).then(|| xxh3_128_with_seed(folded, SEED)),
            );
            seg_tokens.push(t0..tokens.len());
        }
        let mut fps = DocFingerprints {
            exact,
            ..DocFingerprints::default()
        };
        let n = cfg.ngram.max(1);
        if !cfg.near || tokens.len() < n {
            return fps;
        }
        // Shingle `j` is the window of tokens `j..j + n`.
        let mut window = [0u8; 8 * 32];
        if n == 3 {
            shingles.extend(
                tokens
                    .windows(3)
                    .map(|w| xxh3_64_words3([w[0], w[1], w[2]], SHINGLE_SEED)),
            );
        } else {
            shingles.extend(tokens.windows(n).map(|w| {
                for (d, t) in window.chunks_exact_mut(8).zip(w) {
                    d.copy_from_slice(&t.to_le_bytes());
                }
                xxh3_64_with_seed(&window[..8 * n], SHINGLE_SEED)
            }));
        }
        // The paragraphs' sketches, and the document's in the same pass: its bins are the minima
        // over all shingles, which are those of the paragraphs (sketched or too short) and those
        // that cross from one paragraph into the next; each shingle lowers them once.
        let min_shingles = cfg.min_shingles.max(1);
        let mut doc = (cfg.documents && shingles.len() >= min_shingles)
            .then(|| vec![EMPTY; cfg.num_perm].into_boxed_slice());
        // Shingles before `done` have lowered the document's bins.
        let mut done = 0;
        let mut i = 0;
        while i < segs.len() {
            let block = segs[i].block;
            let mut e = i + 1;
            while e < segs.len() && segs[e].block == block {
                e += 1;
            }
            let (t0, t1) = (seg_tokens[i].start, seg_tokens[e - 1].end);
            if t1 >= t0 + n {
                // Shingles `t0..=t1 - n` lie within the paragraph; those from `done` to `t0`
                // cross into it from the one before. (A shingle that lowered the bins twice
                // leaves them as once: they are minima.)
                let s1 = t1 + 1 - n;
                let own = &shingles[t0..s1];
                if let Some(d) = doc.as_deref_mut() {
                    min_into(d, &shingles[done.min(t0)..t0]);
                }
                if own.len() >= min_shingles {
                    let mut sig = vec![EMPTY; cfg.num_perm].into_boxed_slice();
                    match doc.as_deref_mut() {
                        Some(d) => min_into2(&mut sig, d, own),
                        None => min_into(&mut sig, own),
                    }
                    fps.paragraphs.push(self.finish(sig, i..e));
                } else if let Some(d) = doc.as_deref_mut() {
                    min_into(d, own);
                }
                done = done.max(s1);
            }
            i = e;
        }
        if let Some(mut d) = doc {
            min_into(&mut d, &shingles[done..]);
            fps.document = Some(self.finish(d, 0..segs.len()));
        }
        fps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::doc::DropReason;
    use crate::stage::dedup::index::similarity;

    fn cfg() -> DedupConfig {
        Config::default().dedup
    }

    /// Segments of `paras` (each a list of sentences) laid out in one clean text.
    fn doc(paras: &[&[&str]]) -> (String, Vec<Segment>) {
        crate::doc::layout(paras)
    }

    #[test]
    fn keys_fold_case_punctuation_space() {
        let d = Dedup::new(&cfg());
        let (a, _) = d.exact_key("National flags of Azerbaijan will be lowered.");
        let (b, _) = d.exact_key("national  flags of AZERBAIJAN will be lowered");
        let (c, _) = d.exact_key("National flags of Armenia will be lowered.");
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Curly quotes, dashes and CJK punctuation are dropped like ASCII punctuation.
        let (q1, _) = d.exact_key("l\u{2019}homme \u{2014} libre\u{2026}");
        let (q2, _) = d.exact_key("l'homme - libre...");
        assert_eq!(q1, q2);
        let (j1, _) = d.exact_key("人人生而自由，在尊严和权利上一律平等。");
        let (j2, _) = d.exact_key("人人生而自由,在尊严和权利上一律平等.");
        assert_eq!(j1, j2);
        // NFKC: full-width letters fold to ASCII.
        let (e, _) = d.exact_key("ＡＢＣ def");
        let (f, _) = d.exact_key("abc def");
        assert_eq!(e, f);
        // NFD folds to the same key as NFC.
        let (g, _) = d.exact_key("Caf\u{e9} cr\u{e8}me");
        let (h, _) = d.exact_key("Cafe\u{301} cre\u{300}me");
        assert_eq!(g, h);
    }

    #[test]
    fn sketch_estimates_jaccard() {
        let d = Dedup::new(&cfg());
        let a: Vec<u64> = (0..400u64)
            .map(|x| xxh3_64_with_seed(&x.to_le_bytes(), 1))
            .collect();
        // 300 shared of 500 in the union: J = 0.6.
        let b: Vec<u64> = (100..500u64)
            .map(|x| xxh3_64_with_seed(&x.to_le_bytes(), 1))
            .collect();
        let sa = d.sketch(&a, 0..0).unwrap();
        let sb = d.sketch(&b, 0..0).unwrap();
        // Band keys: xxh3 of each band's rows as little-endian bytes.
        assert_eq!(sa.bands.len(), cfg().bands);
        for (b, key) in sa.bands.iter().enumerate() {
            let r = cfg().rows;
            let bytes: Vec<u8> = sa.sig[b * r..(b + 1) * r]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            assert_eq!(*key, xxh3_64_with_seed(&bytes, BAND_SEED ^ b as u64));
        }
        let sb16: Vec<u16> = sb.sig.iter().map(|&v| v as u16).collect();
        let j = similarity(&sa.sig, &sb16);
        assert!((j - 0.6).abs() < 0.12, "{j}");
        // Few shingles: densified, still equal for equal sets.
        let s1 = d.sketch(&a[..10], 0..0).unwrap();
        let s2 = d.sketch(&a[..10], 0..0).unwrap();
        assert!(!s1.sig.contains(&EMPTY));
        assert_eq!(s1.sig, s2.sig);
        assert!(d.sketch(&a[..2], 0..0).is_none());
    }

    #[test]
    fn sketches_of_one_pass_equal_sketches_of_their_shingles() {
        // Real text (tests/data/udhr): each line a paragraph of sentences, with short paragraphs
        // (a few words) between them, so that some paragraphs are too short for a sketch and
        // shingles cross from one paragraph into the next.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/udhr");
        let d = Dedup::new(&cfg());
        let mut checked = 0;
        for p in crate::io::input::files_under(&dir) {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            let mut paras: Vec<Vec<&str>> = Vec::new();
            for (k, line) in lines.iter().enumerate() {
                paras.push(line.split_inclusive(". ").collect());
                let short: Vec<&str> = line.split(' ').take(k % 5).collect();
                if !short.is_empty() {
                    let end = short.iter().map(|w| w.len() + 1).sum::<usize>() - 1;
                    paras.push(vec![&line[..end.min(line.len())]]);
                }
            }
            let refs: Vec<&[&str]> = paras.iter().map(|p| p.as_slice()).collect();
            let (clean, mut segs) = doc(&refs);
            if segs.len() > 3 {
                segs[3].dropped = Some(DropReason::ExactDuplicate);
            }
            let fps = d.fingerprints(&clean, &segs);
            let (shingles, seg_tokens) = SCRATCH.with(|sc| {
                let sc = sc.borrow();
                (sc.shingles.clone(), sc.seg_tokens.clone())
            });
            let want = d.sketch(&shingles, 0..segs.len());
            assert_eq!(
                fps.document.as_ref().map(|s| (&s.sig, &s.bands)),
                want.as_ref().map(|s| (&s.sig, &s.bands)),
                "{p:?}"
            );
            let n = cfg().ngram;
            let mut want = Vec::new();
            let mut i = 0;
            while i < segs.len() {
                let mut e = i + 1;
                while e < segs.len() && segs[e].block == segs[i].block {
                    e += 1;
                }
                let (t0, t1) = (seg_tokens[i].start, seg_tokens[e - 1].end);
                if t1 >= t0 + n {
                    want.extend(d.sketch(&shingles[t0..=t1 - n], i..e));
                }
                i = e;
            }
            assert_eq!(fps.paragraphs.len(), want.len(), "{p:?}");
            for (a, b) in fps.paragraphs.iter().zip(&want) {
                assert_eq!((&a.segs, &a.sig, &a.bands), (&b.segs, &b.sig, &b.bands));
            }
            checked += 1;
        }
        assert!(checked >= 10, "{checked}");
    }

    #[test]
    fn densify_equals_rotation_from_the_first_bin() {
        // The rotation as first written: leftwards from the first non-empty bin, circularly.
        fn reference(sig: &mut [u32]) {
            let k = sig.len();
            if let Some(first) = sig.iter().position(|&v| v != EMPTY) {
                let mut next = (first, sig[first]);
                for step in 1..k {
                    let i = (first + k - step) % k;
                    if sig[i] == EMPTY {
                        let d = ((next.0 + k - i) % k) as u32;
                        sig[i] = next.1.wrapping_add(d.wrapping_mul(0x9E37_79B9));
                    } else {
                        next = (i, sig[i]);
                    }
                }
            }
        }
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        for round in 0..5000 {
            let k = [8, 17, 128, 256][round % 4];
            let mut sig = vec![EMPTY; k];
            let fill = round % 40;
            for _ in 0..fill {
                x = xxh3_64_with_seed(&x.to_le_bytes(), 7);
                sig[(x % k as u64) as usize] = (x >> 32) as u32;
            }
            let mut want = sig.clone();
            reference(&mut want);
            densify(&mut sig);
            assert_eq!(sig, want);
        }
    }

    #[test]
    fn word_hashes_equal_xxh3_of_the_bytes() {
        let mut x = 0x0123_4567_89AB_CDEFu64;
        let mut next = || {
            x = xxh3_64_with_seed(&x.to_le_bytes(), 3);
            x
        };
        for _ in 0..20_000 {
            let t = [next(), next(), next()];
            let seed = if next() % 2 == 0 {
                SHINGLE_SEED
            } else {
                next()
            };
            let mut b = [0u8; 24];
            for (d, w) in b.chunks_exact_mut(8).zip(t) {
                d.copy_from_slice(&w.to_le_bytes());
            }
            assert_eq!(xxh3_64_words3(t, seed), xxh3_64_with_seed(&b, seed));
            let v = [next() as u32, next() as u32, next() as u32, next() as u32];
            let seed = BAND_SEED ^ (next() % 64);
            let mut b = [0u8; 16];
            for (d, w) in b.chunks_exact_mut(4).zip(v) {
                d.copy_from_slice(&w.to_le_bytes());
            }
            assert_eq!(xxh3_64_words4(&v, seed), xxh3_64_with_seed(&b, seed));
        }
    }
}
