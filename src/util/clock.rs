//! Per-stage timing of one document: the stage indices of [`StageTimes`] and a lap clock.

use std::time::Instant;

use crate::io::report::StageTimes;

pub(crate) const READ: usize = 0;
pub(crate) const DECODE: usize = 1;
pub(crate) const NORMALIZE: usize = 2;
pub(crate) const STRUCTURE: usize = 3;
pub(crate) const SEGMENT: usize = 4;
pub(crate) const SCRIPT: usize = 5;
pub(crate) const LANGUAGE: usize = 6;
pub(crate) const FILTER: usize = 7;
/// Keys, shingles, signatures and band keys, in the workers.
pub(crate) const DEDUP_FINGERPRINTS: usize = 8;
/// The keep-first decisions, in input order on the thread that writes.
pub(crate) const DEDUP_DECISIONS: usize = 9;
pub(crate) const WRITE: usize = 10;

/// Times consecutive stages of one document.
pub(crate) struct Clock {
    last: Instant,
    pub(crate) times: StageTimes,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            last: Instant::now(),
            times: StageTimes::default(),
        }
    }

    /// Charges the time since the last lap to `stage`.
    pub(crate) fn lap(&mut self, stage: usize) {
        let now = Instant::now();
        self.times.add(stage, now - self.last);
        self.last = now;
    }
}
