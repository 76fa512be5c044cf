//! Filter: drops segments by length, garbled score and language, with the reason recorded.

use crate::config::FilterConfig;
use crate::doc::{DropReason, Flags, Segment};
use crate::stage::lang::codes::LangSet;

/// The filter stage, built once from the config.
#[derive(Debug, Clone)]
pub struct Filter {
    cfg: FilterConfig,
    /// `keep_languages`, macrolanguages expanded.
    keep: LangSet,
}

impl Filter {
    pub fn new(cfg: &FilterConfig) -> Filter {
        Filter {
            cfg: cfg.clone(),
            keep: LangSet::new(&cfg.keep_languages),
        }
    }

    /// Sets `dropped` on the segments that do not pass; already dropped ones are left as they are.
    pub fn apply(&self, clean: &str, segs: &mut [Segment]) {
        for s in segs.iter_mut().filter(|s| s.dropped.is_none()) {
            let text = &clean[s.text.clone()];
            let reason = if text.trim().is_empty() {
                Some(DropReason::Empty)
            } else if self.cfg.min_chars > 1 && text.chars().count() < self.cfg.min_chars {
                Some(DropReason::TooShort)
            } else if self.cfg.drop_garbled && s.flags.contains(Flags::GARBLED) {
                Some(DropReason::Garbled)
            } else if !self.keep.is_empty() && !self.keep.contains(s.lang, s.lang_script) {
                Some(DropReason::Language)
            } else {
                None
            };
            s.dropped = reason;
        }
    }
}
