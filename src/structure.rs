//! Structure: a document's lines to blocks (paragraphs, headings, list items, boilerplate).
//!
//! `blank_lines` mode: blocks are separated by blank lines and every other line break stays
//! inside its block (where it is folded to a space in the output text).

use crate::config::{StructureConfig, StructureMode};
use crate::doc::{Block, BlockKind};

/// The structure stage, built once from the config.
#[derive(Debug, Clone)]
pub struct Structurer {
    mode: StructureMode,
}

impl Structurer {
    pub fn new(cfg: &StructureConfig) -> Structurer {
        Structurer { mode: cfg.mode }
    }

    /// The blocks of `text`, in order, each trimmed of surrounding whitespace.
    pub fn blocks(&self, text: &str) -> Vec<Block> {
        match self.mode {
            StructureMode::BlankLines | StructureMode::Reflow => blank_line_blocks(text),
        }
    }
}

/// Lines of `text` as byte ranges without their `\n`.
pub fn lines(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    let bytes = text.as_bytes();
    std::iter::from_fn(move || {
        if start > bytes.len() || (start == bytes.len() && !bytes.is_empty()) {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let r = start..end;
        start = end + 1;
        Some(r)
    })
}

/// Trims whitespace from both ends of `text[range]`.
pub fn trim_range(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let s = &text[range.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead == s.len() {
        return range.start..range.start;
    }
    range.start + lead..range.end - trail
}

fn blank_line_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut cur: Option<std::ops::Range<usize>> = None;
    for line in lines(text) {
        if text[line.clone()].trim().is_empty() {
            if let Some(r) = cur.take() {
                blocks.push(Block::new(BlockKind::Paragraph, trim_range(text, r)));
            }
        } else {
            cur = Some(match cur {
                Some(r) => r.start..line.end,
                None => line,
            });
        }
    }
    if let Some(r) = cur {
        blocks.push(Block::new(BlockKind::Paragraph, trim_range(text, r)));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_separate_blocks() {
        let t = "\n  First line\nsecond line\n\n \nThird\n";
        let b = blank_line_blocks(t);
        assert_eq!(b.len(), 2);
        assert_eq!(&t[b[0].range.clone()], "First line\nsecond line");
        assert_eq!(&t[b[1].range.clone()], "Third");
    }
}
