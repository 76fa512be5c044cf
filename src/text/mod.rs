//! Text primitives every stage shares: character properties, byte scans and offset maps.

pub mod chars;
pub mod scan;
pub mod spanmap;
