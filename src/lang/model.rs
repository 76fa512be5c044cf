//! The n-gram profiles of the language scorer and the scoring itself.
//!
//! One table per script: row `bucket(hash)` holds, for every language written in that script, the
//! cost of the n-gram (its negative log-probability under a multinomial naive Bayes model, in
//! units of 1/[`UNITS_PER_NAT`] nat, minus the row's smallest cost, clipped to 255). Scoring a
//! text adds one row per n-gram to a vector of totals — all candidate languages in one pass
//! over the text — and the language with the smallest total wins.
//!
//! The tables are built from real translated text by `examples/build_lang_profiles.rs` into
//! `src/lang/profiles.bin`, embedded in the binary. Format (all integers little-endian):
//!
//! ```text
//! "SLP1"  u8 groups
//! per group: [u8; 4] script (ISO 15924)  u8 languages  [u8; 3] code per language (ISO 639-3)
//!            u8 bits  u16 stride  (1 << bits) * stride bytes of costs (none when bits = 0)
//! ```

use super::features::{bucket, for_each_ngram};

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
        Model::parse(PROFILES)
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

/// N-grams gathered before their rows are added (at most 256, so that 16-bit totals of
/// byte costs cannot overflow).
const CHUNK: usize = 256;
/// How many rows ahead a row is prefetched.
const AHEAD: usize = 8;

impl Group {
    /// Adds the rows at `offsets` to `acc`, through 16-bit totals.
    fn add_rows(&self, offsets: &[u32], small: &mut [u16; 256], acc: &mut [u32]) {
        let stride = self.stride;
        let table = self.table;
        if stride > small.len() {
            for &o in offsets {
                let row = &table[o as usize..o as usize + stride];
                acc.iter_mut().zip(row).for_each(|(a, &w)| *a += w as u32);
            }
            return;
        }
        let small = &mut small[..stride];
        small.fill(0);
        for (i, &o) in offsets.iter().enumerate() {
            if let Some(&next) = offsets.get(i + AHEAD) {
                prefetch(&table[next as usize..]);
            }
            let row = &table[o as usize..o as usize + stride];
            small.iter_mut().zip(row).for_each(|(a, &w)| *a += w as u16);
        }
        acc.iter_mut()
            .zip(small.iter())
            .for_each(|(a, &s)| *a += s as u32);
    }

    /// Whether this group's languages can be told apart by scoring.
    pub fn has_table(&self) -> bool {
        self.bits > 0 && self.langs.len() > 1
    }

    /// Adds the costs of the n-grams of `text` (words of this group's script only) to `acc`
    /// (`stride` totals); returns the number of letters scored.
    pub fn score(&self, text: &str, acc: &mut [u32]) -> usize {
        debug_assert_eq!(acc.len(), self.stride);
        if !self.has_table() {
            return 0;
        }
        let stride = self.stride;
        let bits = self.bits;
        // Rows are gathered in chunks: first the row offsets of a chunk of n-grams (hashing,
        // no memory traffic), then the additions, each row fetched ahead of its use — the
        // table does not fit in the core's cache, and independent loads overlap their misses.
        let mut rows = [0u32; CHUNK];
        let mut n = 0usize;
        let mut small = [0u16; 256];
        let letters = for_each_ngram(text, self.script, |h| {
            rows[n] = (bucket(h, bits) * stride) as u32;
            n += 1;
            if n == CHUNK {
                self.add_rows(&rows, &mut small, acc);
                n = 0;
            }
        });
        self.add_rows(&rows[..n], &mut small, acc);
        letters
    }
}

/// Asks the CPU to bring the start of `data` into the cache.
#[inline(always)]
fn prefetch(data: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults, and the pointer comes from a valid
    // slice anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch(data.as_ptr() as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// The best and second-best language of a vector of totals among the allowed ones: (index of
/// the best, its margin over the second in nats). `None` when no language is allowed.
pub fn best(acc: &[u32], allowed: &[bool]) -> Option<(usize, f32)> {
    let mut b: Option<(usize, u32)> = None;
    let mut second = u32::MAX;
    for (i, (&v, &ok)) in acc.iter().zip(allowed).enumerate() {
        if !ok {
            continue;
        }
        match b {
            Some((_, bv)) if v >= bv => second = second.min(v),
            Some((_, bv)) => {
                second = bv;
                b = Some((i, v));
            }
            None => b = Some((i, v)),
        }
    }
    b.map(|(i, v)| {
        let margin = if second == u32::MAX {
            f32::INFINITY
        } else {
            (second - v) as f32 / UNITS_PER_NAT
        };
        (i, margin)
    })
}
