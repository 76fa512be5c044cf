//! The n-gram profiles of the language scorer and the scoring itself.
//!
//! One table per script: row `bucket(hash)` holds, for every language written in that script, the
//! cost of the n-gram (its negative log-probability under a multinomial naive Bayes model, in
//! units of 1/[`UNITS_PER_NAT`] nat, minus the row's smallest cost, clipped to 255). Scoring a
//! text adds one row per n-gram to a vector of totals — all candidate languages in one pass
//! over the text — and the language with the smallest total wins.
//!
//! A word's n-grams do not depend on its neighbours, so the sum of a word's rows is kept in a
//! small per-thread cache and reused when the word comes again; the words of a segment are
//! looked up in batches so that their cache and table misses overlap. The totals are exactly
//! those of adding every row.
//!
//! The tables are built from real translated text by `examples/build_lang_profiles.rs` into
//! `src/lang/profiles.bin`, embedded in the binary. Format (all integers little-endian):
//!
//! ```text
//! "SLP2"  u8 groups
//! per group: [u8; 4] script (ISO 15924)  u8 languages  [u8; 3] code per language (ISO 639-3)
//!            u8 bits  u16 stride  (1 << bits) * stride bytes of costs (none when bits = 0)
//!            then, when bits > 0, per language: f32 mean and f32 sd of its fit
//! ```
//!
//! Lane `languages` of every row (the stride always has one lane past the languages) holds
//! the row's smallest cost, clipped to 255, so that the totals of that lane plus a language's
//! are the text's absolute cost under that language: how well the text fits it at all, which
//! tells a language the model does not have from the nearest one it has ([`Group::fit`]).

use super::features::{bucket, for_each_ngram, for_each_word, word_ngrams};
#[cfg(target_arch = "x86_64")]
use crate::util::cpu::Avx2;

/// Scale of the costs in the tables.
pub const UNITS_PER_NAT: f32 = 16.0;

/// The most letters whose mean cost [`Group::misfit`] trusts more than a single letter's.
const MISFIT_LETTERS: f32 = 200.0;

/// The profiles embedded in the binary.
static PROFILES: &[u8] = include_bytes!("profiles.bin");

/// The languages of one script and their table.
#[derive(Debug)]
pub struct Group {
    pub script: &'static str,
    pub langs: Vec<&'static str>,
    bits: u32,
    /// Row length: the number of languages rounded up to a multiple of 16.
    pub stride: usize,
    table: &'static [u8],
    /// Per language: the mean cost per letter of held-out text of the language under its own
    /// profile, in units, and the standard deviation of one letter's cost about it.
    fit: Vec<(f32, f32)>,
}

/// A copy of [`PROFILES`] that starts on a 2 MB boundary, made once and asked to be backed by
/// 2 MB pages: the rows of the tables are read at random, one 4 KB page after another
/// otherwise.
fn profiles() -> &'static [u8] {
    static COPY: std::sync::OnceLock<(Vec<u8>, usize)> = std::sync::OnceLock::new();
    let (v, at) = COPY.get_or_init(|| {
        const HUGE: usize = 2 << 20;
        let mut v = Vec::with_capacity(PROFILES.len() + HUGE);
        crate::util::hugepages::advise(&v);
        let addr = v.as_ptr() as usize;
        let at = addr.next_multiple_of(HUGE) - addr;
        v.resize(at, 0);
        v.extend_from_slice(PROFILES);
        (v, at)
    });
    v.get(*at..).unwrap_or(PROFILES)
}

/// All groups.
#[derive(Debug)]
pub struct Model {
    pub groups: Vec<Group>,
}

/// A malformed profile file (only possible if `profiles.bin` was corrupted).
#[derive(Debug, thiserror::Error)]
#[error("language profiles: malformed at byte {0}")]
pub struct BadProfiles(usize);

struct Reader {
    data: &'static [u8],
    pos: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<&'static [u8], BadProfiles> {
        let end = self.pos.checked_add(n).ok_or(BadProfiles(self.pos))?;
        let s = self.data.get(self.pos..end).ok_or(BadProfiles(self.pos))?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, BadProfiles> {
        Ok(self.take(1)?[0])
    }
    fn str(&mut self, n: usize) -> Result<&'static str, BadProfiles> {
        let pos = self.pos;
        std::str::from_utf8(self.take(n)?).map_err(|_| BadProfiles(pos))
    }
}

impl Model {
    /// The embedded profiles.
    pub fn embedded() -> Result<Model, BadProfiles> {
        Model::parse(profiles())
    }

    pub fn parse(data: &'static [u8]) -> Result<Model, BadProfiles> {
        let mut r = Reader { data, pos: 0 };
        if r.take(4)? != b"SLP2" {
            return Err(BadProfiles(0));
        }
        let n = r.u8()?;
        let mut groups = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let script = r.str(4)?;
            let nl = r.u8()? as usize;
            let langs = (0..nl).map(|_| r.str(3)).collect::<Result<Vec<_>, _>>()?;
            let bits = r.u8()? as u32;
            let lo = r.u8()? as usize;
            let stride = lo | (r.u8()? as usize) << 8;
            if bits > 24 || stride <= nl || stride % 16 != 0 {
                return Err(BadProfiles(r.pos));
            }
            let (table, fit) = if bits == 0 {
                (&[][..], Vec::new())
            } else {
                let table = r.take((1usize << bits) * stride)?;
                let fit = (0..nl)
                    .map(|_| {
                        let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                        let b = r.take(8)?;
                        Ok((f(&b[..4]), f(&b[4..])))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (table, fit)
            };
            groups.push(Group {
                script,
                langs,
                bits,
                stride,
                table,
                fit,
            });
        }
        Ok(Model { groups })
    }

    #[cfg(any(test, feature = "internals"))]
    pub fn group(&self, script: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.script == script)
    }
}

/// The most lanes of a group's rows (255 languages and the lane of the rows' smallest costs).
const LANES: usize = 256;
/// Longest word, in bytes, that the cache keeps.
const KEY_BYTES: usize = 30;
/// The cache of one thread and group has twice as many entries as the group's table has rows
/// (a word sums one row per n-gram, so a table of more rows is a larger vocabulary), within
/// these bounds.
const CACHE_BITS: std::ops::RangeInclusive<u32> = 12..=16;
/// The most bytes of one cache.
const CACHE_BYTES: usize = 16 << 20;

/// `by_stride!(stride, N => expr, _ => fallback)`: `expr` with the const `N` equal to
/// `stride` (a multiple of 16 up to [`LANES`]), else `fallback`.
macro_rules! by_stride {
    ($s:expr, $n:ident => $e:expr, _ => $f:expr) => {
        match $s {
            16 => { const $n: usize = 16; $e }
            32 => { const $n: usize = 32; $e }
            48 => { const $n: usize = 48; $e }
            64 => { const $n: usize = 64; $e }
            80 => { const $n: usize = 80; $e }
            96 => { const $n: usize = 96; $e }
            112 => { const $n: usize = 112; $e }
            128 => { const $n: usize = 128; $e }
            144 => { const $n: usize = 144; $e }
            160 => { const $n: usize = 160; $e }
            176 => { const $n: usize = 176; $e }
            192 => { const $n: usize = 192; $e }
            208 => { const $n: usize = 208; $e }
            224 => { const $n: usize = 224; $e }
            240 => { const $n: usize = 240; $e }
            256 => { const $n: usize = 256; $e }
            _ => $f,
        }
    };
}
pub(crate) use by_stride;
/// Byte 31 of a key (the bound of the word's totals) is not part of the word.
const KEY_MASK: [u64; 4] = [!0, !0, !0, !(0xFF << 56)];

/// The key of a word in the cache, as four little-endian words: bytes 0..30 are the word with
/// its ASCII capitals lowercased (zero-padded), byte 30 its length in bytes.
///
/// Words are lowercased before their n-grams are taken, so "The" and "the" have the same totals
/// and may share an entry. Only ASCII capitals are folded: a byte map that leaves every byte of
/// a multi-byte character alone, so two words with the same key are the same word but for the
/// case of ASCII letters, and have the same n-grams.
type Key = [u64; 4];

/// The totals of one word of a group: the sum of the rows of its n-grams. A word's n-grams do
/// not depend on its neighbours (`features::word_ngrams`), so its totals can be reused
/// wherever the same word occurs again.
/// `N` is the group's stride.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Entry<const N: usize> {
    /// The word's [`Key`] (an empty entry has length 0, which no word has), with its largest
    /// total divided by 256, rounded up, in byte 31.
    key: Key,
    sums: [u16; N],
}

impl<const N: usize> Entry<N> {
    const EMPTY: Entry<N> = Entry {
        key: [0; 4],
        sums: [0; N],
    };
}

/// Direct-mapped cache of word totals, per thread and group (of stride `N`). It only saves
/// work: a word's totals are the same whether they come from the cache or from the table.
struct WordCache<const N: usize> {
    /// The entries are `store[at..at + (1 << bits)]`.
    store: Vec<Entry<N>>,
    at: usize,
    bits: u32,
    /// Scratch: the table rows of the words of a batch not in the cache.
    rows: Box<[u32]>,
    /// Scratch: the words of a batch.
    batch: Box<[Pending; BATCH]>,
}

thread_local! {
    /// The caches of a thread: the address of a group's table (which tells the groups apart)
    /// and its `WordCache<N>` for the group's stride.
    static WORD_CACHES: std::cell::RefCell<Vec<(usize, Box<dyn std::any::Any>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `PREFIX[n]`: the first `n` bytes of a key.
static PREFIX: [[u8; 32]; KEY_BYTES + 1] = {
    let mut m = [[0u8; 32]; KEY_BYTES + 1];
    let mut n = 0;
    while n <= KEY_BYTES {
        let mut i = 0;
        while i < n {
            m[n][i] = 0xFF;
            i += 1;
        }
        n += 1;
    }
    m
};

/// The key of the word of `len` bytes (at most [`KEY_BYTES`]) at the start of `b`, whatever
/// follows it in `b`.
#[inline(always)]
fn key_from(b: &[u8; 32], len: usize) -> Key {
    let m = &PREFIX[len.min(KEY_BYTES)];
    let mut k = [0u8; 32];
    for i in 0..32 {
        let x = b[i] & m[i];
        k[i] = x | (((x.wrapping_sub(b'A') < 26) as u8) << 5);
    }
    k[30] = len as u8;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&k[8 * i..8 * i + 8]);
        u64::from_le_bytes(w)
    };
    [word(0), word(1), word(2), word(3)]
}

/// The key of the word of `len` bytes at `start` in `text`, if it is short enough to be cached:
/// read as 32 bytes of the text from the word's start when there are that many, copied out
/// otherwise.
#[inline(always)]
fn key_in(text: &[u8], start: usize, len: usize) -> Option<Key> {
    if len > KEY_BYTES {
        return None;
    }
    match text.get(start..).and_then(|r| r.first_chunk::<32>()) {
        Some(b) => Some(key_from(b, len)),
        None => {
            let mut b = [0u8; 32];
            b[..len].copy_from_slice(text.get(start..start + len)?);
            Some(key_from(&b, len))
        }
    }
}

/// The slot of a key in a cache of `1 << bits` entries.
#[inline(always)]
fn slot_of(k: &Key, bits: u32) -> usize {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let h = (k[0] ^ k[2]).wrapping_mul(K1) ^ (k[1] ^ k[3]).wrapping_mul(K2);
    (h >> (64 - bits)) as usize
}

/// The entries of a new cache: `slots` empty ones from `.1` on in `.0`, placed to start
/// on a 2 MB boundary and asked to be backed by 2 MB pages (every word looked up lands on
/// another 4 KB page otherwise, and address translation misses cost as much as the lookup).
fn new_entries<const N: usize>(slots: usize) -> (Vec<Entry<N>>, usize) {
    const HUGE: usize = 2 << 20;
    let size = std::mem::size_of::<Entry<N>>();
    let mut v: Vec<Entry<N>> = Vec::with_capacity(slots + HUGE / size);
    crate::util::hugepages::advise(&v);
    let addr = v.as_ptr() as usize;
    // `size` is a multiple of 64 and so divides 2 MB only for some strides: the entries then
    // start at the first entry boundary past the 2 MB boundary.
    let at = (addr.next_multiple_of(HUGE) - addr).div_ceil(size);
    v.resize(at + slots, Entry::EMPTY);
    (v, at)
}

/// Whether `e` holds the word of `key`.
#[inline(always)]
fn same_word<const N: usize>(e: &Entry<N>, key: &Key) -> bool {
    let d = (e.key[0] ^ key[0])
        | (e.key[1] ^ key[1])
        | (e.key[2] ^ key[2])
        | ((e.key[3] & KEY_MASK[3]) ^ key[3]);
    d == 0
}

/// Asks the CPU to bring `e` into the cache (its key and the first lanes, up to four lines).
#[inline(always)]
fn prefetch_entry<const N: usize>(e: &Entry<N>) {
    let p = e as *const Entry<N> as *const u8;
    let lines = std::mem::size_of::<Entry<N>>().div_ceil(64).min(4);
    for l in 0..lines {
        prefetch_ptr(p.wrapping_add(64 * l));
    }
}

/// Totals of the `N` lanes of a group in 16 bits, moved to the 32-bit totals before they could
/// overflow.
struct Small<const N: usize> {
    sums: [u16; N],
    /// An upper bound of every total in `sums`.
    bound: u32,
}

impl<const N: usize> Small<N> {
    #[inline(always)]
    fn make_room(&mut self, more: u32, acc: &mut [u32]) {
        if self.bound + more > u16::MAX as u32 {
            self.flush(acc);
        }
        self.bound += more;
    }

    /// Adds the totals of `e`.
    #[inline(always)]
    fn add_entry(&mut self, e: &Entry<N>, acc: &mut [u32]) {
        self.make_room((e.key[3] >> 56) as u32 * 256, acc);
        for k in 0..N {
            self.sums[k] = self.sums[k].wrapping_add(e.sums[k]);
        }
    }

    fn flush(&mut self, acc: &mut [u32]) {
        acc.iter_mut()
            .zip(&self.sums)
            .for_each(|(a, &s)| *a += s as u32);
        self.sums = [0; N];
        self.bound = 0;
    }
}

/// How the sums of table rows are computed: with the baseline instructions of the target (SSE2
/// on x86-64, plain loops elsewhere), or with AVX2 when the caller holds the token that proves
/// the CPU has it.
trait RowSums: Copy {
    /// The sums of the table rows of `N` bytes at the offsets `rows`, lane by lane. Every
    /// offset is a row's start (`bucket(..) * stride`), so every row is in the table.
    fn sum<const N: usize>(self, table: &[u8], rows: &[u32]) -> [u16; N];
}

/// The baseline instructions of the target.
#[derive(Clone, Copy)]
struct Baseline;

impl RowSums for Baseline {
    #[inline(always)]
    fn sum<const N: usize>(self, table: &[u8], rows: &[u32]) -> [u16; N] {
        sum_rows_baseline::<N>(table, rows)
    }
}

#[cfg(target_arch = "x86_64")]
impl RowSums for Avx2 {
    #[inline(always)]
    fn sum<const N: usize>(self, table: &[u8], rows: &[u32]) -> [u16; N] {
        if N % 16 == 0 && N <= LANES {
            // SAFETY: the token proves that this CPU has AVX2, all that the function needs.
            unsafe { sum_rows_avx2::<N>(self, table, rows) }
        } else {
            sum_rows_plain::<N>(table, rows)
        }
    }
}

/// [`RowSums::sum`] with AVX2, 16 lanes at a time (`N` a multiple of 16, at most [`LANES`]).
///
/// # Safety
/// None beyond the token: each load reads 16 bytes of a row of `N` bytes at `16 * c` with
/// `16 * c + 16 <= N`, each store writes 16 `u16`s into a chunk of 16; unaligned loads and
/// stores have no alignment requirement.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn sum_rows_avx2<const N: usize>(_: Avx2, table: &[u8], rows: &[u32]) -> [u16; N] {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi16, _mm256_cvtepu8_epi16, _mm256_setzero_si256,
        _mm256_storeu_si256, _mm_loadu_si128,
    };
    let mut acc = [_mm256_setzero_si256(); LANES / 16];
    for &o in rows {
        let Some(row) = table.get(o as usize..).and_then(|r| r.first_chunk::<N>()) else {
            continue;
        };
        for (c, a) in acc.iter_mut().enumerate().take(N / 16) {
            let v = _mm_loadu_si128(row.as_ptr().add(16 * c) as *const __m128i);
            *a = _mm256_add_epi16(*a, _mm256_cvtepu8_epi16(v));
        }
    }
    let mut sums = [0u16; N];
    for (c, chunk) in sums.chunks_exact_mut(16).enumerate() {
        _mm256_storeu_si256(chunk.as_mut_ptr() as *mut __m256i, acc[c]);
    }
    sums
}

/// [`RowSums::sum`] with the baseline instructions: SSE2 on x86-64 (every x86-64 CPU has it;
/// as plain loops over arrays the sums are vectorized or not depending on what the compiler
/// inlines around them), [`sum_rows_plain`] elsewhere.
#[inline(always)]
fn sum_rows_baseline<const N: usize>(table: &[u8], rows: &[u32]) -> [u16; N] {
    #[cfg(target_arch = "x86_64")]
    if N % 16 == 0 && N <= LANES {
        use std::arch::x86_64::{
            __m128i, _mm_add_epi16, _mm_loadu_si128, _mm_setzero_si128, _mm_storeu_si128,
            _mm_unpackhi_epi8, _mm_unpacklo_epi8,
        };
        // SAFETY: SSE2 is part of every x86_64 CPU. `row` is N bytes long and
        // 16 * c + 16 <= N, so the 16 bytes loaded are in it, and `chunk` is 8 u16 = 16 bytes;
        // unaligned loads and stores have no alignment requirement.
        unsafe {
            let zero = _mm_setzero_si128();
            let mut acc = [zero; LANES / 8];
            for &o in rows {
                let Some(row) = table.get(o as usize..).and_then(|r| r.first_chunk::<N>()) else {
                    continue;
                };
                for c in 0..N / 16 {
                    let v = _mm_loadu_si128(row.as_ptr().add(16 * c) as *const __m128i);
                    acc[2 * c] = _mm_add_epi16(acc[2 * c], _mm_unpacklo_epi8(v, zero));
                    acc[2 * c + 1] = _mm_add_epi16(acc[2 * c + 1], _mm_unpackhi_epi8(v, zero));
                }
            }
            let mut sums = [0u16; N];
            for (c, chunk) in sums.chunks_exact_mut(8).enumerate() {
                _mm_storeu_si128(chunk.as_mut_ptr() as *mut __m128i, acc[c]);
            }
            return sums;
        }
    }
    sum_rows_plain::<N>(table, rows)
}

/// [`RowSums::sum`] as plain loops: the definition, and the code on targets without SSE2.
#[inline(always)]
fn sum_rows_plain<const N: usize>(table: &[u8], rows: &[u32]) -> [u16; N] {
    let mut sums = [0u16; N];
    for &o in rows {
        if let Some(row) = table.get(o as usize..).and_then(|r| r.first_chunk::<N>()) {
            for k in 0..N {
                sums[k] += row[k] as u16;
            }
        }
    }
    sums
}

/// Words looked up together: their cache entries, then the table rows of those not cached,
/// are fetched ahead of their use, so that the misses of a batch overlap.
const BATCH: usize = 32;
/// Most n-grams of a word that fits in a key.
const WORD_ROWS: usize = 4 * (KEY_BYTES + 1);

/// A word of a batch: where it is in the text, its key and its slot in the cache.
#[derive(Clone, Copy)]
struct Pending {
    key: Key,
    start: usize,
    len: u32,
    slot: u32,
}

const NO_WORD: Pending = Pending {
    key: [0; 4],
    start: 0,
    len: 0,
    slot: 0,
};

impl Group {
    /// How much worse a text fits language `i` than the language's own text does: by how many
    /// standard deviations its mean cost per letter under the language is above the mean of
    /// held-out text of the language (negative when it fits better). `own` is the text's total
    /// in the language's lane, `floor` its total in the lane of the rows' smallest costs, and
    /// `letters` the letters scored. Text of a language the model does not have fits even the
    /// nearest language it has far worse than that language's own text.
    pub fn misfit(&self, i: usize, own: u64, floor: u64, letters: usize) -> f32 {
        let Some(&(mean, sd)) = self.fit.get(i) else {
            return 0.0;
        };
        let n = letters.max(1) as f32;
        let per_letter = (own + floor) as f32 / n;
        // The spread of a mean shrinks with the letters, but text of a known language in
        // another domain than its training text fits it a little worse per letter however
        // long it is: past `MISFIT_LETTERS` a text counts as that many letters.
        let k = n.min(MISFIT_LETTERS);
        (per_letter - mean) / (sd / k.sqrt()).max(1e-3)
    }

    /// The fit of language `i` ([`Group::misfit`]): mean cost per letter and its deviation.
    #[cfg(any(test, feature = "internals"))]
    pub fn fit(&self, i: usize) -> (f32, f32) {
        self.fit.get(i).copied().unwrap_or((0.0, 0.0))
    }

    /// Whether this group's languages can be told apart by scoring.
    pub fn has_table(&self) -> bool {
        self.bits > 0 && self.langs.len() > 1
    }

    /// Puts the table offsets of the rows of a word's n-grams in `rows` (at least
    /// [`WORD_ROWS`] long for a word of at most [`KEY_BYTES`] bytes); returns how many.
    #[inline(always)]
    fn word_rows(&self, word: &str, rows: &mut [u32]) -> usize {
        let (bits, stride) = (self.bits, self.stride);
        let mut n = 0;
        word_ngrams(word, |h| {
            if let Some(r) = rows.get_mut(n) {
                *r = (bucket(h, bits) * stride) as u32;
            }
            n += 1;
        });
        n.min(rows.len())
    }

    /// Makes `e` the entry of the word `key` whose rows are at `rows`; `N` is the stride.
    #[inline(always)]
    fn fill<const N: usize, R: RowSums>(&self, k: R, key: Key, rows: &[u32], e: &mut Entry<N>) {
        let sums = k.sum::<N>(self.table, rows);
        let max = sums.iter().copied().max().unwrap_or(0);
        let mut key = key;
        key[3] |= (max.div_ceil(256) as u64) << 56;
        e.key = key;
        e.sums = sums;
    }

    #[cfg(any(test, feature = "internals"))]
    /// Adds the costs of the n-grams of `text` (words of this group's script only) to `acc`
    /// (`stride` totals); returns the number of letters scored.
    pub fn score(&self, text: &str, acc: &mut [u32]) -> usize {
        self.score_in(text, 0..text.len(), acc)
    }

    /// [`Group::score`] of `doc[range]`. The text after the range may be read (never scored):
    /// the words of a segment are read whole from the document's text.
    pub fn score_in(&self, doc: &str, range: std::ops::Range<usize>, acc: &mut [u32]) -> usize {
        debug_assert_eq!(acc.len(), self.stride);
        if !self.has_table() || doc.get(range.clone()).is_none() {
            return 0;
        }
        by_stride!(self.stride, N => self.score_cached::<N>(doc, range, acc), _ => self.score_uncached(&doc[range], acc))
    }

    /// [`Group::score_in`] through the word cache, for a stride of `N` (at most [`LANES`]).
    fn score_cached<const N: usize>(
        &self,
        doc: &str,
        range: std::ops::Range<usize>,
        acc: &mut [u32],
    ) -> usize {
        WORD_CACHES.with_borrow_mut(|caches| {
            let id = self.table.as_ptr() as usize;
            let at = match caches.iter().position(|c| c.0 == id) {
                Some(at) => at,
                None => {
                    caches.push((id, Box::new(self.new_cache::<N>())));
                    caches.len() - 1
                }
            };
            // The cache of a table is made for the table's stride, which never changes.
            let Some(cache) = caches[at].1.downcast_mut::<WordCache<N>>() else {
                return self.score_uncached(&doc[range], acc);
            };
            #[cfg(target_arch = "x86_64")]
            if let Some(cpu) = Avx2::detect() {
                // SAFETY: the token proves that this CPU has AVX2, all that the function needs.
                return unsafe { self.score_words_avx2::<N>(cpu, cache, doc, range, acc) };
            }
            self.score_words::<N, _>(Baseline, cache, doc, range, acc)
        })
    }

    /// An empty word cache for this group.
    fn new_cache<const N: usize>(&self) -> WordCache<N> {
        let bits = (self.bits + 1).clamp(*CACHE_BITS.start(), *CACHE_BITS.end());
        // At most `CACHE_BYTES` per group and thread (a group of many languages has large
        // entries).
        let fit = (CACHE_BYTES / std::mem::size_of::<Entry<N>>()).ilog2();
        let bits = bits.min(fit.max(*CACHE_BITS.start()));
        let (store, at) = new_entries::<N>(1 << bits);
        WordCache {
            store,
            at,
            bits,
            rows: vec![0; BATCH * WORD_ROWS].into_boxed_slice(),
            batch: Box::new([NO_WORD; BATCH]),
        }
    }

    /// [`Group::score_words`] compiled for CPUs with AVX2 (the row sums 16 lanes at a time).
    ///
    /// # Safety
    /// None beyond the token, which proves that the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn score_words_avx2<const N: usize>(
        &self,
        cpu: Avx2,
        cache: &mut WordCache<N>,
        doc: &str,
        range: std::ops::Range<usize>,
        acc: &mut [u32],
    ) -> usize {
        self.score_words::<N, _>(cpu, cache, doc, range, acc)
    }

    /// The scoring loop of [`Group::score_cached`], its row sums computed by `k`.
    #[inline(always)]
    fn score_words<const N: usize, R: RowSums>(
        &self,
        k: R,
        cache: &mut WordCache<N>,
        doc: &str,
        range: std::ops::Range<usize>,
        acc: &mut [u32],
    ) -> usize {
        let WordCache {
            store,
            at: first,
            bits,
            rows,
            batch,
        } = cache;
        let Some(entries) = store
            .get_mut(*first..)
            .and_then(|s| s.get_mut(..1 << *bits))
        else {
            return 0;
        };
        let Some(text) = doc.get(range) else {
            return 0;
        };
        let mut small = Small {
            sums: [0; N],
            bound: 0,
        };
        let mut n = 0;
        let base = doc.as_ptr() as usize;
        let letters = for_each_word(text, self.script, |w| {
            let start = w.as_ptr() as usize - base;
            let Some(key) = key_in(doc.as_bytes(), start, w.len()) else {
                self.add_word(w, &mut small, acc);
                return;
            };
            let slot = slot_of(&key, *bits);
            prefetch_entry(&entries[slot]);
            batch[n] = Pending {
                key,
                start,
                len: w.len() as u32,
                slot: slot as u32,
            };
            n += 1;
            if n == BATCH {
                self.run_batch::<N, R>(k, doc, &batch[..], entries, rows, &mut small, acc);
                n = 0;
            }
        });
        self.run_batch::<N, R>(k, doc, &batch[..n], entries, rows, &mut small, acc);
        small.flush(acc);
        letters
    }

    /// Adds the totals of the words of a batch: those in the cache at once, then the others
    /// once their table rows, fetched ahead, are summed into their entries.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn run_batch<const N: usize, R: RowSums>(
        &self,
        k: R,
        doc: &str,
        batch: &[Pending],
        entries: &mut [Entry<N>],
        rows: &mut [u32],
        small: &mut Small<N>,
        acc: &mut [u32],
    ) {
        // The words not in the cache: their place in the batch and the span of their rows.
        let mut missed = [(0u32, 0u32, 0u32); BATCH];
        let mut misses = 0;
        let mut used = 0usize;
        for (i, p) in batch.iter().enumerate() {
            // Every slot is below the number of entries (`slot_of` with the cache's bits).
            let e = &entries[p.slot as usize];
            if same_word(e, &p.key) {
                small.add_entry(e, acc);
                continue;
            }
            let start = p.start;
            let w = doc.get(start..start + p.len as usize).unwrap_or("");
            let k = self.word_rows(w, rows.get_mut(used..).unwrap_or_default());
            for &o in &rows[used..used + k] {
                prefetch(self.table.get(o as usize..).unwrap_or_default());
            }
            missed[misses] = (i as u32, used as u32, (used + k) as u32);
            misses += 1;
            used += k;
        }
        for &(i, from, to) in &missed[..misses] {
            let p = &batch[i as usize];
            let e = &mut entries[p.slot as usize];
            // An earlier word of this batch may have been the same word.
            if !same_word(e, &p.key) {
                self.fill::<N, R>(k, p.key, &rows[from as usize..to as usize], e);
            }
            small.add_entry(e, acc);
        }
    }

    /// Adds the rows of one word to `small`, row by row (a word too long for the cache).
    fn add_word<const N: usize>(&self, word: &str, small: &mut Small<N>, acc: &mut [u32]) {
        let stride = self.stride;
        let (bits, table) = (self.bits, self.table);
        word_ngrams(word, |h| {
            let o = bucket(h, bits) * stride;
            small.make_room(255, acc);
            small
                .sums
                .iter_mut()
                .zip(&table[o..o + stride])
                .for_each(|(a, &w)| *a += w as u16);
        });
    }

    /// Scoring without the cache, for groups of more than `LANES` languages.
    fn score_uncached(&self, text: &str, acc: &mut [u32]) -> usize {
        let (bits, stride, table) = (self.bits, self.stride, self.table);
        for_each_ngram(text, self.script, |h| {
            let o = bucket(h, bits) * stride;
            acc.iter_mut()
                .zip(&table[o..o + stride])
                .for_each(|(a, &w)| *a += w as u32);
        })
    }
}

/// Asks the CPU to bring the start of `data` into the cache.
#[inline(always)]
fn prefetch(data: &[u8]) {
    prefetch_ptr(data.as_ptr());
}

/// Asks the CPU to bring the line at `p` into the cache.
#[inline(always)]
fn prefetch_ptr(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The best and second-best language among the `allowed` slots (in increasing order), whose
/// totals `total` gives: (slot of the best, its margin over the second in nats). `None` when
/// no language is allowed.
#[inline]
pub fn best(allowed: &[usize], total: impl Fn(usize) -> u32) -> Option<(usize, f32)> {
    let (&first, rest) = allowed.split_first()?;
    let (mut b, mut bv) = (first, total(first));
    let mut second = u32::MAX;
    for &i in rest {
        let v = total(i);
        if v < bv {
            second = bv;
            (b, bv) = (i, v);
        } else {
            second = second.min(v);
        }
    }
    let margin = if second == u32::MAX {
        f32::INFINITY
    } else {
        (second - bv) as f32 / UNITS_PER_NAT
    };
    Some((b, margin))
}

/// [`best`] when every language of a group is allowed: the slots `0..n` of `totals` (less
/// `minus`, wrapping, when given), several lanes at a time without a branch per language.
/// The same answer: the first slot of the smallest total, and the smallest of the other
/// totals.
#[inline]
pub fn best_of_all<const N: usize>(
    totals: &[u32],
    minus: Option<&[u32]>,
    n: usize,
) -> Option<(usize, f32)> {
    let t = totals.first_chunk::<N>()?;
    if n == 0 || n > N || N > LANES {
        return None;
    }
    let mut x = *t;
    if let Some(m) = minus {
        let m = m.first_chunk::<N>()?;
        for i in 0..N {
            x[i] = x[i].wrapping_sub(m[i]);
        }
    }
    // The lanes past the languages hold the largest value: never the first smallest (a
    // language's lane comes before them), and the largest is where `best` starts the second.
    let pad = PAD.get(LANES - n..LANES - n + N)?;
    for i in 0..N {
        x[i] |= pad[i];
    }
    let (b, low, second) = lowest_two(&x);
    let margin = if second == u32::MAX {
        f32::INFINITY
    } else {
        (second - low) as f32 / UNITS_PER_NAT
    };
    Some((b, margin))
}

/// `LANES` zeros, then `LANES` times the largest value.
static PAD: [u32; 2 * LANES] = {
    let mut p = [0; 2 * LANES];
    let mut i = LANES;
    while i < 2 * LANES {
        p[i] = u32::MAX;
        i += 1;
    }
    p
};

/// The first lane of the smallest value of `x`, that value, and the smallest of the other
/// lanes' values.
#[inline(always)]
fn lowest_two<const N: usize>(x: &[u32; N]) -> (usize, u32, u32) {
    #[cfg(target_arch = "x86_64")]
    if N % 4 == 0 && N <= LANES {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_andnot_si128, _mm_castsi128_ps, _mm_cmpeq_epi32,
            _mm_cmpgt_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_movemask_ps, _mm_or_si128,
            _mm_set1_epi32, _mm_shuffle_epi32, _mm_xor_si128,
        };
        // SSE2 only compares signed lanes: values are compared with their top bit flipped.
        // SAFETY: SSE2 is part of every x86_64 CPU; each load reads the 16 bytes of lanes
        // 4c..4c + 4 of `x`, which has N >= 4c + 4 lanes; unaligned loads need no alignment.
        unsafe {
            let min = |a: __m128i, b: __m128i| {
                let gt = _mm_cmpgt_epi32(a, b);
                _mm_or_si128(_mm_and_si128(gt, b), _mm_andnot_si128(gt, a))
            };
            let all_min = |m: __m128i| {
                let m = min(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
                min(m, _mm_shuffle_epi32::<0b10_11_00_01>(m))
            };
            let flip = _mm_set1_epi32(i32::MIN);
            let mut lanes = [flip; LANES / 4];
            for (c, l) in lanes.iter_mut().enumerate().take(N / 4) {
                let p = x.as_ptr().add(4 * c) as *const __m128i;
                *l = _mm_xor_si128(_mm_loadu_si128(p), flip);
            }
            let v = &lanes[..N / 4];
            let m = all_min(v.iter().fold(v[0], |m, &l| min(m, l)));
            let low = (_mm_cvtsi128_si32(m) as u32) ^ 0x8000_0000;
            // The first lane holding the smallest value, and how many hold it.
            let (mut b, mut ties) = (usize::MAX, 0);
            for (c, &l) in v.iter().enumerate() {
                let eq = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(l, m))) as u32;
                if eq != 0 && b == usize::MAX {
                    b = 4 * c + eq.trailing_zeros() as usize;
                }
                ties += eq.count_ones();
            }
            if ties > 1 {
                return (b, low, low);
            }
            // One lane holds the smallest value: the second is the smallest of the others.
            let top = _mm_set1_epi32(i32::MAX);
            let s = v.iter().fold(top, |s, &l| {
                let eq = _mm_cmpeq_epi32(l, m);
                min(
                    s,
                    _mm_or_si128(_mm_andnot_si128(eq, l), _mm_and_si128(eq, top)),
                )
            });
            let second = (_mm_cvtsi128_si32(all_min(s)) as u32) ^ 0x8000_0000;
            return (b, low, second);
        }
    }
    lowest_two_scalar(x)
}

/// [`lowest_two`], one lane at a time.
fn lowest_two_scalar(x: &[u32]) -> (usize, u32, u32) {
    let Some(&first) = x.first() else {
        return (0, u32::MAX, u32::MAX);
    };
    let (mut b, mut low, mut second) = (0, first, u32::MAX);
    for (i, &v) in x.iter().enumerate().skip(1) {
        if v < low {
            (b, low, second) = (i, v, low);
        } else {
            second = second.min(v);
        }
    }
    (b, low, second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::lang::features::for_each_word;

    /// The definition of a word's key: its bytes with ASCII capitals lowercased, zero-padded,
    /// and its length in byte 30.
    fn key_of(word: &[u8]) -> Option<Key> {
        if word.len() > KEY_BYTES {
            return None;
        }
        let mut b = [0u8; 32];
        for (k, c) in b.iter_mut().zip(word) {
            *k = c.to_ascii_lowercase();
        }
        b[30] = word.len() as u8;
        Some([0, 8, 16, 24].map(|i| u64::from_le_bytes(b[i..i + 8].try_into().expect("8"))))
    }

    fn ngrams_of(word: &str) -> Vec<u32> {
        let mut v = Vec::new();
        word_ngrams(word, |h| v.push(h));
        v
    }

    /// Segments of real text scored through the cache (twice, so that words come from it) and
    /// without it: the same totals. Each line is scored as a range of its whole file, as a
    /// document's segments are.
    #[test]
    fn cached_totals_equal_the_table() {
        let m = Model::embedded().expect("profiles.bin is well formed");
        let mut texts: Vec<String> = crate::stage::lang::tests::real_texts()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        texts.push(
            "The the THE committee met, and the Committee met again: \
             Überprüfungsausschussvorsitzende! a bb Abcdefghijklmnopqrstuvwxyzabcd \
             abcdefghijklmnopqrstuvwxyzabc AbCdEfGhIjKlMnOpQrStUvWxYzAbCd"
                .to_string(),
        );
        let mut scored = 0;
        for _ in 0..2 {
            for text in &texts {
                let mut at = 0;
                for line in text.split_inclusive('\n') {
                    let range = at..at + line.len();
                    at += line.len();
                    for g in m.groups.iter().filter(|g| g.has_table()) {
                        let mut cached = vec![0u32; g.stride];
                        let mut direct = vec![0u32; g.stride];
                        let a = g.score_in(text, range.clone(), &mut cached);
                        let b = g.score_uncached(line, &mut direct);
                        assert_eq!((a, &cached), (b, &direct), "{}: {line}", g.script);
                        scored += a;
                    }
                }
            }
        }
        assert!(scored > 100_000, "{scored} letters");
    }

    /// Both builds of the scoring loop (with and without AVX2, whichever this CPU runs) give
    /// the table's totals.
    #[test]
    fn both_scoring_loops_equal_the_table() {
        let m = Model::embedded().expect("profiles.bin is well formed");
        let texts = crate::stage::lang::tests::real_texts();
        for g in m.groups.iter().filter(|g| g.has_table() && g.stride == 48) {
            let mut narrow = g.new_cache();
            let mut wide = g.new_cache();
            for _ in 0..2 {
                for (_, text) in &texts {
                    let mut at = 0;
                    for line in text.split_inclusive('\n') {
                        let range = at..at + line.len();
                        at += line.len();
                        let mut direct = vec![0u32; g.stride];
                        let want = (g.score_uncached(line, &mut direct), direct);
                        let mut a = vec![0u32; g.stride];
                        let n = g.score_words::<48, _>(
                            Baseline,
                            &mut narrow,
                            text,
                            range.clone(),
                            &mut a,
                        );
                        assert_eq!((n, a), want, "{line}");
                        #[cfg(target_arch = "x86_64")]
                        if let Some(cpu) = Avx2::detect() {
                            let mut b = vec![0u32; g.stride];
                            // SAFETY: the token proves that this CPU has AVX2.
                            let n = unsafe {
                                g.score_words_avx2::<48>(cpu, &mut wide, text, range, &mut b)
                            };
                            assert_eq!((n, b), want, "{line}");
                        }
                    }
                }
            }
        }
    }

    /// The row sums of every build (plain loops, the baseline, AVX2 when the CPU has it) on
    /// rows of the real table, for every stride: the plain loops are the definition.
    #[test]
    fn row_sums_of_every_build_agree() {
        fn check<const N: usize>(table: &[u8]) {
            let rows_in_table = (table.len() / N) as u32;
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            for len in [0usize, 1, 2, 7, 16, 40] {
                let rows: Vec<u32> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state % rows_in_table as u64) as u32 * N as u32
                    })
                    .collect();
                let want = sum_rows_plain::<N>(table, &rows);
                assert_eq!(Baseline.sum::<N>(table, &rows), want);
                #[cfg(target_arch = "x86_64")]
                if let Some(cpu) = Avx2::detect() {
                    assert_eq!(cpu.sum::<N>(table, &rows), want);
                }
            }
        }
        let m = Model::embedded().expect("profiles.bin is well formed");
        let mut strides = Vec::new();
        for g in m.groups.iter().filter(|g| g.has_table()) {
            by_stride!(g.stride, N => check::<N>(g.table), _ => continue);
            strides.push(g.stride);
        }
        assert!(
            strides.contains(&16) && strides.iter().any(|&s| s > 48),
            "{strides:?}"
        );
    }

    #[test]
    fn profiles_copy_equals_the_embedded_file() {
        assert_eq!(profiles(), PROFILES);
    }

    /// A key read from the text equals the key of the word copied out, for every length and
    /// for words near the end of the text.
    #[test]
    fn keys_in_text_equal_keys_of_words() {
        let text = "abcdefghijklmnopqrstuvwxyzÄÖÜäöü0123456789 Комитет собрался xyz \
                    ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{ \u{7f}\u{c0}\u{de}"
            .as_bytes();
        for start in 0..text.len() {
            for len in 0..=(text.len() - start).min(KEY_BYTES + 2) {
                let word = &text[start..start + len];
                assert_eq!(key_in(text, start, len), key_of(word), "{start} {len}");
            }
        }
        assert_eq!(key_in(text, text.len() + 1, 0), None);
    }

    /// What makes folding keys sound: words with the same key have the same n-grams. Checked
    /// on the words of real text, with their ASCII letters in both cases as well.
    #[test]
    fn same_key_same_ngrams() {
        let mut by_key: std::collections::HashMap<Key, Vec<u32>> = Default::default();
        let mut check = |w: &str| {
            if let Some(k) = key_of(w.as_bytes()) {
                let n = ngrams_of(w);
                let first = by_key.entry(k).or_insert_with(|| n.clone());
                assert_eq!(*first, n, "{w}");
            }
        };
        for (_, text) in crate::stage::lang::tests::real_texts() {
            for script in ["Latn", "Cyrl", "Arab", "Deva", "Hebr"] {
                for_each_word(&text, script, |w| {
                    check(w);
                    check(&w.to_ascii_uppercase());
                    check(&w.to_ascii_lowercase());
                });
            }
        }
        assert!(by_key.len() > 3_000, "{} keys", by_key.len());
    }

    /// The best language over all slots, the fast way and the general way, on totals of real
    /// segments (alone and as a context less a segment) and on constructed ones with ties and
    /// extreme values.
    #[test]
    fn best_of_all_equals_best() {
        fn check<const N: usize>(t: &[u32], minus: Option<&[u32]>) {
            for n in 1..=N {
                let all: Vec<usize> = (0..n).collect();
                let want = match minus {
                    Some(m) => best(&all, |i| t[i].wrapping_sub(m[i])),
                    None => best(&all, |i| t[i]),
                };
                assert_eq!(best_of_all::<N>(t, minus, n), want, "{n} {t:?} {minus:?}");
            }
            assert_eq!(best_of_all::<N>(t, minus, 0), None);
        }
        fn both(t: &[u32], minus: Option<&[u32]>) {
            by_stride!(t.len(), N => check::<N>(t, minus), _ => panic!("{} lanes", t.len()))
        }
        let m = Model::embedded().expect("profiles.bin is well formed");
        let mut tried = 0;
        for (_, text) in crate::stage::lang::tests::real_texts().iter().take(12) {
            for g in m.groups.iter().filter(|g| g.has_table()) {
                let mut whole = vec![0u32; g.stride];
                g.score(text, &mut whole);
                for line in text.lines().take(40) {
                    let mut v = vec![0u32; g.stride];
                    if g.score(line, &mut v) > 0 {
                        both(&v, None);
                        both(&whole, Some(&v));
                        tried += 1;
                    }
                }
            }
        }
        assert!(tried > 100, "{tried}");
        for lanes in [16, 32, 48] {
            let patterns: [&dyn Fn(usize) -> u32; 6] = [
                &|_| 7,
                &|i| (i % 3) as u32,
                &|i| (lanes - i) as u32 % 5,
                &|i| {
                    if i % 7 == 3 {
                        u32::MAX
                    } else {
                        1000 + (i as u32 % 4)
                    }
                },
                &|_| u32::MAX,
                &|i| u32::MAX - (i as u32 & 1),
            ];
            for p in patterns {
                let t: Vec<u32> = (0..lanes).map(p).collect();
                both(&t, None);
                let ones = vec![1u32; lanes];
                both(&t, Some(&ones));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn lowest_two_equals_the_scalar_loop(
            x in proptest::collection::vec(
                proptest::prop_oneof![0u32..4, proptest::prelude::any::<u32>(), u32::MAX - 2..=u32::MAX],
                48,
            ),
        ) {
            let x: [u32; 48] = x.try_into().expect("48 lanes");
            proptest::prop_assert_eq!(lowest_two(&x), lowest_two_scalar(&x));
            let y: &[u32; 16] = x.first_chunk().expect("16 lanes");
            proptest::prop_assert_eq!(lowest_two(y), lowest_two_scalar(y));
        }

        #[test]
        fn best_of_all_equals_best_on_any_totals(
            t in proptest::collection::vec(0u32..6, 48),
            m in proptest::collection::vec(proptest::prelude::any::<u32>(), 48),
        ) {
            for n in 1..=48 {
                let all: Vec<usize> = (0..n).collect();
                proptest::prop_assert_eq!(best_of_all::<48>(&t, None, n), best(&all, |i| t[i]));
                proptest::prop_assert_eq!(
                    best_of_all::<48>(&t, Some(&m), n),
                    best(&all, |i| t[i].wrapping_sub(m[i]))
                );
            }
        }
    }
}
