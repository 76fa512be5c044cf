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
//! "SLP1"  u8 groups
//! per group: [u8; 4] script (ISO 15924)  u8 languages  [u8; 3] code per language (ISO 639-3)
//!            u8 bits  u16 stride  (1 << bits) * stride bytes of costs (none when bits = 0)
//! ```

use super::features::{bucket, for_each_ngram, for_each_word, word_ngrams};

/// Scale of the costs in the tables.
pub const UNITS_PER_NAT: f32 = 16.0;

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
}

/// A copy of [`PROFILES`] that starts on a 2 MB boundary, made once and asked to be backed by
/// 2 MB pages: the rows of the tables are read at random, one 4 KB page after another
/// otherwise.
fn profiles() -> &'static [u8] {
    static COPY: std::sync::OnceLock<(Vec<u8>, usize)> = std::sync::OnceLock::new();
    let (v, at) = COPY.get_or_init(|| {
        const HUGE: usize = 2 << 20;
        let mut v = Vec::with_capacity(PROFILES.len() + HUGE);
        crate::hugepages::advise(&v);
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
        if r.take(4)? != b"SLP1" {
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
            if bits > 24 || stride < nl || stride % 16 != 0 {
                return Err(BadProfiles(r.pos));
            }
            let table = if bits == 0 {
                &[][..]
            } else {
                r.take((1usize << bits) * stride)?
            };
            groups.push(Group {
                script,
                langs,
                bits,
                stride,
                table,
            });
        }
        Ok(Model { groups })
    }

    pub fn group(&self, script: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.script == script)
    }
}

/// Lanes of a cached word's totals: a group with more languages is scored without the cache.
const LANES: usize = 48;
/// Longest word, in bytes, that the cache keeps.
const KEY_BYTES: usize = 30;
/// The cache of one thread and group has `1 << CACHE_BITS` entries.
const CACHE_BITS: u32 = 14;
/// Byte 31 of a key (the bound of the word's totals) is not part of the word.
const KEY_MASK: [u64; 4] = [!0, !0, !0, !(0xFF << 56)];

/// The totals of one word of a group: the sum of the rows of its n-grams. A word's n-grams do
/// not depend on its neighbours (`features::word_ngrams`), so its totals can be reused
/// wherever the same word occurs again.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Entry {
    /// Bytes 0..30: the word as written (zero-padded); byte 30: its length (0: an empty entry);
    /// byte 31: its largest total divided by 256, rounded up.
    key: [u64; 4],
    sums: [u16; LANES],
}

const EMPTY: Entry = Entry {
    key: [0; 4],
    sums: [0; LANES],
};

/// Direct-mapped cache of word totals, per thread and group. It only saves work: a word's
/// totals are the same whether they come from the cache or from the table.
struct WordCache {
    /// The group's table (its address tells the groups apart).
    table: usize,
    /// The entries are `store[at..]`.
    store: Vec<Entry>,
    at: usize,
    /// Scratch: the table rows of the words of a batch not in the cache, then room for one
    /// more word's.
    rows: Box<[u32]>,
    /// Scratch: the words of a batch.
    batch: Box<[Pending; BATCH]>,
}

thread_local! {
    static WORD_CACHES: std::cell::RefCell<Vec<WordCache>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The key of a word and its slot in a cache, if it is short enough to be cached.
#[inline(always)]
fn key_of(word: &[u8]) -> Option<([u64; 4], usize)> {
    if word.len() > KEY_BYTES {
        return None;
    }
    let mut b = [0u8; 32];
    b[..word.len()].copy_from_slice(word);
    b[30] = word.len() as u8;
    let k = [0, 8, 16, 24].map(|i| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    });
    Some((k, slot_of(&k)))
}

/// [`key_of`] the word of `len` bytes at `start` in `text`: the same key and slot, read as four
/// whole words of the text (masked to the word's length) when 32 bytes follow its start, without
/// copying the word byte by byte.
#[inline(always)]
fn key_in(text: &[u8], start: usize, len: usize) -> Option<([u64; 4], usize)> {
    if len > KEY_BYTES {
        return None;
    }
    let Some(b) = text.get(start..).and_then(|r| r.first_chunk::<32>()) else {
        return key_of(text.get(start..start + len)?);
    };
    let mut k = [0, 1, 2, 3].map(|i| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[8 * i..8 * i + 8]);
        let n = len.saturating_sub(8 * i).min(8);
        let mask = if n == 8 { !0 } else { (1u64 << (8 * n)) - 1 };
        u64::from_le_bytes(w) & mask
    });
    k[3] |= (len as u64) << 48;
    Some((k, slot_of(&k)))
}

/// The slot of a key in a cache.
#[inline(always)]
fn slot_of(k: &[u64; 4]) -> usize {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = k[0].wrapping_mul(K);
    h = (h.rotate_left(26) ^ k[1]).wrapping_mul(K);
    h = (h.rotate_left(26) ^ k[2]).wrapping_mul(K);
    h = (h.rotate_left(26) ^ k[3]).wrapping_mul(K);
    (h >> (64 - CACHE_BITS)) as usize
}

/// The entries of a new cache: `1 << CACHE_BITS` empty ones from `.1` on in `.0`, placed to
/// start on a 2 MB boundary and asked to be backed by 2 MB pages (every word looked up lands on
/// another 4 KB page otherwise, and address translation misses cost as much as the lookup).
fn new_entries() -> (Vec<Entry>, usize) {
    const N: usize = 1 << CACHE_BITS;
    const HUGE: usize = 2 << 20;
    let size = std::mem::size_of::<Entry>();
    let mut v: Vec<Entry> = Vec::with_capacity(N + HUGE / size);
    crate::hugepages::advise(&v);
    let addr = v.as_ptr() as usize;
    let at = (addr.next_multiple_of(HUGE) - addr) / size;
    v.resize(at + N, EMPTY);
    (v, at)
}

/// Whether `e` holds the word of `key`.
#[inline(always)]
fn same_word(e: &Entry, key: &[u64; 4]) -> bool {
    (0..4).all(|i| e.key[i] & KEY_MASK[i] == key[i])
}

/// Asks the CPU to bring the part of `e` that a group of `stride` languages uses into the cache.
#[inline(always)]
fn prefetch_entry(e: &Entry, stride: usize) {
    let p = e as *const Entry as *const u8;
    prefetch_ptr(p);
    if stride > 16 {
        prefetch_ptr(p.wrapping_add(64));
    }
}

/// Totals of up to `LANES` languages in 16 bits, moved to the 32-bit totals before they could
/// overflow.
struct Small {
    sums: [u16; LANES],
    /// An upper bound of every total in `sums`.
    bound: u32,
}

impl Small {
    #[inline(always)]
    fn make_room(&mut self, more: u32, acc: &mut [u32]) {
        if self.bound + more > u16::MAX as u32 {
            self.flush(acc);
        }
        self.bound += more;
    }

    fn flush(&mut self, acc: &mut [u32]) {
        acc.iter_mut()
            .zip(&self.sums)
            .for_each(|(a, &s)| *a += s as u32);
        self.sums = [0; LANES];
        self.bound = 0;
    }
}

/// Adds `n` lanes of `src` to `dst`.
#[inline(always)]
fn add_lanes<const N: usize>(dst: &mut [u16; LANES], src: &[u16; LANES]) {
    for k in 0..N {
        dst[k] = dst[k].wrapping_add(src[k]);
    }
}

/// Words looked up together: their cache entries, then the table rows of those not cached,
/// are fetched ahead of their use, so that the misses of a batch overlap.
const BATCH: usize = 32;
/// Most n-grams of a word that fits in a key.
const WORD_ROWS: usize = 4 * (KEY_BYTES + 1);

/// A word of a batch: where it is in the text, its key and its slot in the cache.
#[derive(Clone, Copy)]
struct Pending {
    start: u32,
    end: u32,
    slot: u32,
    key: [u64; 4],
}

const NO_WORD: Pending = Pending {
    start: 0,
    end: 0,
    slot: 0,
    key: [0; 4],
};

impl Group {
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
            rows[n] = (bucket(h, bits) * stride) as u32;
            n += 1;
        });
        n
    }

    /// Makes `e` the entry of the word `key` whose rows are at `rows`; `N` is the stride.
    #[inline(always)]
    fn fill<const N: usize>(&self, key: [u64; 4], rows: &[u32], e: &mut Entry) {
        let mut sums = [0u16; N];
        for &o in rows {
            // Every offset is a row's start (`bucket(..) * stride`), so the row is in the table.
            if let Some(row) = self
                .table
                .get(o as usize..)
                .and_then(|r| r.first_chunk::<N>())
            {
                for k in 0..N {
                    sums[k] += row[k] as u16;
                }
            }
        }
        let max = sums.iter().copied().max().unwrap_or(0);
        let mut key = key;
        key[3] |= (max.div_ceil(256) as u64) << 56;
        e.key = key;
        e.sums[..N].copy_from_slice(&sums);
    }

    /// Adds the costs of the n-grams of `text` (words of this group's script only) to `acc`
    /// (`stride` totals); returns the number of letters scored.
    pub fn score(&self, text: &str, acc: &mut [u32]) -> usize {
        debug_assert_eq!(acc.len(), self.stride);
        if !self.has_table() {
            return 0;
        }
        match self.stride {
            16 => self.score_cached::<16>(text, acc),
            32 => self.score_cached::<32>(text, acc),
            48 => self.score_cached::<48>(text, acc),
            _ => self.score_uncached(text, acc),
        }
    }

    /// [`Group::score`] through the word cache, for a stride of `N` (at most [`LANES`]).
    fn score_cached<const N: usize>(&self, text: &str, acc: &mut [u32]) -> usize {
        WORD_CACHES.with_borrow_mut(|caches| {
            let id = self.table.as_ptr() as usize;
            let at = match caches.iter().position(|c| c.table == id) {
                Some(at) => at,
                None => {
                    let (store, at) = new_entries();
                    caches.push(WordCache {
                        table: id,
                        store,
                        at,
                        rows: vec![0; (BATCH + 1) * WORD_ROWS].into_boxed_slice(),
                        batch: Box::new([NO_WORD; BATCH]),
                    });
                    caches.len() - 1
                }
            };
            let WordCache {
                store,
                at: first,
                rows,
                batch,
                ..
            } = &mut caches[at];
            let entries = &mut store[*first..];
            let mut small = Small {
                sums: [0; LANES],
                bound: 0,
            };
            let mut n = 0;
            let base = text.as_ptr() as usize;
            let letters = for_each_word(text, self.script, |w| {
                let start = w.as_ptr() as usize - base;
                let Some((key, slot)) = key_in(text.as_bytes(), start, w.len()) else {
                    self.add_word(w, &mut small, acc);
                    return;
                };
                let e = &entries[slot];
                prefetch_entry(e, N);
                batch[n] = Pending {
                    start: start as u32,
                    end: (start + w.len()) as u32,
                    slot: slot as u32,
                    key,
                };
                n += 1;
                if n == BATCH {
                    self.run_batch::<N>(text, &batch[..], entries, rows, &mut small, acc);
                    n = 0;
                }
            });
            self.run_batch::<N>(text, &batch[..n], entries, rows, &mut small, acc);
            small.flush(acc);
            letters
        })
    }

    /// Adds the totals of the words of a batch, filling the cache entries of those missing.
    #[inline(always)]
    fn run_batch<const N: usize>(
        &self,
        text: &str,
        batch: &[Pending],
        entries: &mut [Entry],
        rows: &mut [u32],
        small: &mut Small,
        acc: &mut [u32],
    ) {
        // The rows of the words not in the cache, fetched ahead.
        let mut spans = [(0u32, 0u32); BATCH];
        let mut used = 0usize;
        for (p, span) in batch.iter().zip(spans.iter_mut()) {
            if !same_word(&entries[p.slot as usize], &p.key) {
                let w = &text[p.start as usize..p.end as usize];
                let k = self.word_rows(w, &mut rows[used..used + WORD_ROWS]);
                for &o in &rows[used..used + k] {
                    prefetch(&self.table[o as usize..]);
                }
                *span = (used as u32, (used + k) as u32);
                used += k;
            }
        }
        for (p, &(from, to)) in batch.iter().zip(&spans) {
            let e = &mut entries[p.slot as usize];
            if !same_word(e, &p.key) {
                if from < to {
                    self.fill::<N>(p.key, &rows[from as usize..to as usize], e);
                } else {
                    // Found above, then replaced by an earlier word of this batch.
                    let w = &text[p.start as usize..p.end as usize];
                    let fresh = &mut rows[BATCH * WORD_ROWS..];
                    let k = self.word_rows(w, fresh);
                    self.fill::<N>(p.key, &fresh[..k], e);
                }
            }
            small.make_room((e.key[3] >> 56) as u32 * 256, acc);
            add_lanes::<N>(&mut small.sums, &e.sums);
        }
    }

    /// Adds the rows of one word to `small`, row by row (a word too long for the cache).
    fn add_word(&self, word: &str, small: &mut Small, acc: &mut [u32]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The word cache only saves work: totals from it equal the table's, row by row.
    #[test]
    fn cached_totals_equal_the_table() {
        let m = Model::embedded().expect("profiles.bin is well formed");
        let texts = [
            ("Latn", "The the THE committee met, and the Committee met again: Überprüfungsausschussvorsitzende!"),
            ("Latn", "Le comité s'est réuni mardi ; le comité a examiné le rapport annuel."),
            ("Cyrl", "Комитет собрался во вторник, чтобы обсудить годовой отчёт; комитет"),
            ("Arab", "اجتمعت اللجنة يوم الثلاثاء لمناقشة التقرير السنوي"),
            ("Latn", "a bb Abcdefghijklmnopqrstuvwxyzabcd abcdefghijklmnopqrstuvwxyzabc"),
        ];
        for _ in 0..2 {
            for (script, text) in texts {
                let g = m.group(script).expect("group");
                let mut cached = vec![0u32; g.stride];
                let mut direct = vec![0u32; g.stride];
                let a = g.score(text, &mut cached);
                let b = g.score_uncached(text, &mut direct);
                assert_eq!((a, &cached), (b, &direct), "{text}");
            }
        }
    }

    #[test]
    fn profiles_copy_equals_the_embedded_file() {
        assert_eq!(profiles(), PROFILES);
    }

    /// A key read from whole words of the text equals the key of the word copied out, for every
    /// length and for words near the end of the text.
    #[test]
    fn keys_in_text_equal_keys_of_words() {
        let text = "abcdefghijklmnopqrstuvwxyzÄÖÜäöü0123456789 Комитет собрался xyz".as_bytes();
        for start in 0..text.len() {
            for len in 0..=(text.len() - start).min(KEY_BYTES + 2) {
                let word = &text[start..start + len];
                assert_eq!(key_in(text, start, len), key_of(word), "{start} {len}");
            }
        }
        assert_eq!(key_in(text, text.len() + 1, 0), None);
    }
}
