//! A whole document through every per-document stage never panics, and every segment points
//! inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scriptorium::config::Config;
use scriptorium::Stages;
use std::sync::OnceLock;

static STAGES: OnceLock<Stages> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let stages = STAGES.get_or_init(|| Stages::new(&Config::default()));
    let doc = stages.process_bytes("fuzz", "fuzz", data);
    for s in &doc.segments {
        assert!(s.raw.start <= s.raw.end && s.raw.end <= data.len());
        assert!(doc.clean.get(s.text.clone()).is_some());
    }
});
