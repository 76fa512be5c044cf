//! The single-byte code pages encoding_rs does not have: DOS (IBM437, IBM850, IBM852, IBM855,
//! IBM857, IBM862) and EBCDIC (IBM037, IBM500, IBM01140).
//!
//! No maintained crate covers both families (`oem_cp` has the DOS pages only, and neither it
//! nor `codepage-437` has EBCDIC), and the decoder needs the whole byte → character table
//! anyway, for the exact offset map and for the coherence test of the detector; so the tables
//! are generated from the Unicode mapping files (`eval/encoding/gen_codepages.py`, into
//! `codepage_tables.rs`). One byte is one character: byte `i` of the input is character `i`
//! of the text.

pub use super::codepage_tables::*;

/// The family of a code page: what its bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// ASCII below 0x80, letters and box drawing above.
    Dos,
    /// EBCDIC: space is 0x40, letters 0x81–0xE9, digits 0xF0–0xF9.
    Ebcdic,
}

/// One code page: its name, the labels `[decode] encodings` accepts, and its table.
#[derive(Debug)]
pub struct CodePage {
    /// The IANA name (`IBM437`, `IBM037`, …), as written in `documents.jsonl`.
    pub name: &'static str,
    /// Lower-case labels it is known by (`cp437`, `437`, …).
    pub labels: &'static [&'static str],
    pub family: Family,
    /// The character of each byte; U+FFFD for a byte the code page leaves undefined.
    pub table: [char; 256],
}

impl PartialEq for CodePage {
    fn eq(&self, other: &CodePage) -> bool {
        self.name == other.name
    }
}

impl Eq for CodePage {}

impl CodePage {
    /// The code page a label names (ASCII case and surrounding whitespace ignored).
    pub fn for_label(label: &str) -> Option<&'static CodePage> {
        let l = label.trim().to_ascii_lowercase();
        ALL.iter()
            .copied()
            .find(|cp| cp.labels.iter().any(|&x| x == l))
    }

    /// The character of byte `b`.
    #[inline]
    pub fn char_of(&self, b: u8) -> char {
        self.table[b as usize]
    }

    /// Decodes `bytes` into `out` (one character per byte); returns the number of undefined
    /// bytes (each a U+FFFD) and the index of the first.
    pub fn decode_into(&self, bytes: &[u8], out: &mut String) -> (usize, Option<usize>) {
        out.reserve(bytes.len() * 2);
        let mut invalid = 0;
        let mut first = None;
        for (i, &b) in bytes.iter().enumerate() {
            let c = self.table[b as usize];
            if c == '\u{FFFD}' {
                invalid += 1;
                first.get_or_insert(i);
            }
            out.push(c);
        }
        (invalid, first)
    }

    /// The byte of `c` in this code page, if it has one (a linear search: for tests and the
    /// evaluation, not for the pipeline).
    pub fn byte_of(&self, c: char) -> Option<u8> {
        if c == '\u{FFFD}' {
            return None;
        }
        self.table.iter().position(|&t| t == c).map(|i| i as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_tables() {
        assert_eq!(CodePage::for_label("CP437"), Some(&IBM437));
        assert_eq!(CodePage::for_label(" ebcdic-cp-us "), Some(&IBM037));
        assert_eq!(CodePage::for_label("windows-1252"), None);
        // Known bytes of each page (from the mapping files).
        assert_eq!(IBM437.char_of(0x82), 'é');
        assert_eq!(IBM437.char_of(0xC9), '╔');
        assert_eq!(IBM850.char_of(0xD5), 'ı');
        assert_eq!(IBM852.char_of(0x85), 'ů');
        assert_eq!(IBM855.char_of(0xDE), 'я');
        assert_eq!(IBM857.char_of(0x8D), 'ı');
        assert_eq!(IBM862.char_of(0x80), 'א');
        assert_eq!(IBM037.char_of(0x40), ' ');
        assert_eq!(IBM037.char_of(0xC1), 'A');
        assert_eq!(IBM037.char_of(0x5A), '!');
        assert_eq!(IBM500.char_of(0x4F), '!');
        assert_eq!(IBM01140.char_of(0x9F), '€');
        assert_eq!(IBM037.char_of(0x9F), '¤');
        for cp in ALL {
            assert_eq!(cp.labels[0], cp.name.to_ascii_lowercase(), "{}", cp.name);
            // Every defined character has exactly one byte (the tables are one-to-one).
            for b in 0..=255u8 {
                let c = cp.char_of(b);
                if c != '\u{FFFD}' {
                    assert_eq!(cp.byte_of(c), Some(b), "{} {b:#x}", cp.name);
                }
            }
        }
    }

    #[test]
    fn decodes_one_char_per_byte() {
        let mut s = String::new();
        let (bad, first) = IBM857.decode_into(&[0x41, 0xD5, 0x80], &mut s);
        assert_eq!(s, "A\u{FFFD}Ç");
        assert_eq!((bad, first), (1, Some(1)));
    }
}
