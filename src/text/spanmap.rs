//! Offset maps: where a byte range of a transformed text came from in the text before.
//!
//! Every text-changing step (decoding, mojibake repair, normalization) records a [`SpanMap`] from
//! its output back to its input, so that a segment's range in the final text maps back to exact
//! byte offsets of the raw file (`raw_span`). A map is a list of *runs*: `count` consecutive units,
//! each `new_unit` bytes long in the output and `old_unit` bytes long in the input. Identity
//! stretches are one run with 1/1 units; a UTF-16 stretch of ASCII is one run of 1/2 units; an
//! atomic replacement (a normalized word, a repaired mojibake word) is one run of count 1; a
//! deletion is a run whose `new_unit` is 0. Positions inside a unit map outwards: a start to the
//! unit's start, an end to the unit's end, so a mapped range always covers its source.

/// One run of equally sized units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    new: usize,
    old: usize,
    new_unit: usize,
    old_unit: usize,
    count: usize,
}

impl Run {
    fn old_end(&self) -> usize {
        self.old + self.old_unit * self.count
    }
}

/// A map from positions of an output text to positions of its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanMap {
    runs: Vec<Run>,
}

impl SpanMap {
    /// The identity map over `len` bytes, shifted by `offset` in the input (e.g. a BOM).
    pub fn identity(len: usize, offset: usize) -> SpanMap {
        let mut b = SpanMapBuilder::with_offset(offset);
        b.units(len, 1, 1);
        b.finish()
    }

    #[cfg(any(test, feature = "internals"))]
    /// Whether the map is an identity with no offset (nothing to translate).
    pub fn is_identity(&self) -> bool {
        self.runs
            .iter()
            .all(|r| r.new_unit == r.old_unit && r.new == r.old)
    }

    /// Whether the map sends every position of its output to the same position of its input:
    /// only single-byte units, with no offset (the map of valid UTF-8 without a BOM). Unlike
    /// [`SpanMap::is_identity`], which allows multi-byte units that map positions inside a unit
    /// outwards.
    pub fn is_plain_identity(&self) -> bool {
        self.runs
            .iter()
            .all(|r| r.new_unit == 1 && r.old_unit == 1 && r.new == r.old)
    }

    /// Maps a start position: to the start of the unit that contains it.
    pub fn start(&self, pos: usize) -> usize {
        if self.runs.is_empty() {
            return pos;
        }
        // The last run that starts at or before `pos` (after any deletion at `pos`).
        let i = self.runs.partition_point(|r| r.new <= pos);
        if i == 0 {
            return self.runs[0].old;
        }
        let r = &self.runs[i - 1];
        if r.new_unit == 0 {
            return r.old_end();
        }
        let k = ((pos - r.new) / r.new_unit).min(r.count);
        r.old + k * r.old_unit
    }

    /// Maps an end position: to the end of the unit that contains the byte before it.
    pub fn end(&self, pos: usize) -> usize {
        if self.runs.is_empty() {
            return pos;
        }
        // The last run that starts strictly before `pos`.
        let i = self.runs.partition_point(|r| r.new < pos);
        if i == 0 {
            return self.runs[0].old;
        }
        let r = &self.runs[i - 1];
        if r.new_unit == 0 {
            return r.old;
        }
        let d = pos - r.new;
        let k = d.div_ceil(r.new_unit).min(r.count);
        r.old + k * r.old_unit
    }

    /// Maps a range outwards.
    pub fn range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let s = self.start(range.start);
        let e = self.end(range.end).max(s);
        s..e
    }
}

/// Builds a [`SpanMap`] left to right.
#[derive(Debug, Default)]
pub struct SpanMapBuilder {
    runs: Vec<Run>,
    new: usize,
    old: usize,
}

impl SpanMapBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_offset(old: usize) -> Self {
        SpanMapBuilder {
            runs: Vec::new(),
            new: 0,
            old,
        }
    }

    /// Appends `count` units of `new_unit` output bytes from `old_unit` input bytes each.
    pub fn units(&mut self, count: usize, new_unit: usize, old_unit: usize) {
        if count == 0 || (new_unit == 0 && old_unit == 0) {
            return;
        }
        // Runs are appended contiguously, so units of the same shape always extend the last run.
        if let Some(last) = self.runs.last_mut() {
            if last.new_unit == new_unit && last.old_unit == old_unit && new_unit != 0 {
                last.count += count;
                self.new += new_unit * count;
                self.old += old_unit * count;
                return;
            }
        }
        self.runs.push(Run {
            new: self.new,
            old: self.old,
            new_unit,
            old_unit,
            count,
        });
        self.new += new_unit * count;
        self.old += old_unit * count;
    }

    /// `len` bytes copied unchanged.
    pub fn copy(&mut self, len: usize) {
        self.units(len, 1, 1);
    }

    /// `old_len` input bytes became `new_len` output bytes, as one indivisible unit.
    pub fn replace(&mut self, old_len: usize, new_len: usize) {
        if old_len == new_len {
            // Same length but not the same bytes: still indivisible.
            if old_len == 0 {
                return;
            }
            self.runs.push(Run {
                new: self.new,
                old: self.old,
                new_unit: new_len,
                old_unit: old_len,
                count: 1,
            });
            self.new += new_len;
            self.old += old_len;
            return;
        }
        self.units(1, new_len, old_len);
    }

    /// One output character of `new_len` bytes that came from `old_len` input bytes.
    /// Consecutive characters of the same shape share a run (UTF-16, legacy code pages).
    pub fn char_units(&mut self, new_len: usize, old_len: usize) {
        if new_len == old_len {
            self.copy(new_len);
        } else {
            self.units(1, new_len, old_len);
        }
    }

    /// `old_len` input bytes dropped.
    pub fn delete(&mut self, old_len: usize) {
        self.units(1, 0, old_len);
    }

    pub fn finish(self) -> SpanMap {
        SpanMap { runs: self.runs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_with_offset() {
        let m = SpanMap::identity(10, 3);
        assert_eq!(m.range(2..5), 5..8);
        assert_eq!(m.range(0..10), 3..13);
    }

    #[test]
    fn plain_identity() {
        let m = SpanMap::identity(10, 0);
        assert!(m.is_plain_identity());
        for a in 0..=10 {
            for z in a..=10 {
                assert_eq!(m.range(a..z), a..z);
            }
        }
        assert!(SpanMap::default().is_plain_identity());
        assert!(!SpanMap::identity(10, 3).is_plain_identity());
        // Two-byte units map positions inside a unit outwards: not plain.
        let mut b = SpanMapBuilder::new();
        b.units(4, 2, 2);
        assert!(!b.finish().is_plain_identity());
    }

    #[test]
    fn utf16_like_units() {
        // "ab" (1 byte each in UTF-8, 2 in UTF-16), then "é" (2 / 2), then "€" (3 / 2).
        let mut b = SpanMapBuilder::new();
        b.char_units(1, 2);
        b.char_units(1, 2);
        b.char_units(2, 2);
        b.char_units(3, 2);
        let m = b.finish();
        assert_eq!(m.range(0..1), 0..2);
        assert_eq!(m.range(1..2), 2..4);
        assert_eq!(m.range(2..4), 4..6);
        assert_eq!(m.range(4..7), 6..8);
        assert_eq!(m.range(0..7), 0..8);
    }

    #[test]
    fn deletion_and_replacement() {
        // "a\r\nb" -> "a\nb": copy a, delete \r, copy \n b.
        let mut b = SpanMapBuilder::new();
        b.copy(1);
        b.delete(1);
        b.copy(2);
        let m = b.finish();
        assert_eq!(m.range(0..1), 0..1);
        assert_eq!(m.range(2..3), 3..4);
        assert_eq!(m.range(1..3), 2..4);
        // A replaced word maps whole.
        let mut b = SpanMapBuilder::new();
        b.copy(2);
        b.replace(6, 2);
        b.copy(3);
        let m = b.finish();
        assert_eq!(m.range(3..4), 2..8);
        assert_eq!(m.range(4..7), 8..11);
        assert_eq!(m.range(0..2), 0..2);
    }
}
