//! Real text for the unit tests that compare fast paths with their definitions: the UDHR
//! translations in `tests/data/udhr/` and the seeds in `raw/`.

/// (file path, text) of every readable file of `raw/` and `tests/data/udhr/`, sorted by path.
pub(crate) fn real_texts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/data/udhr", "raw"] {
        for e in std::fs::read_dir(root.join(dir)).expect("test data") {
            files.push(e.expect("entry").path());
        }
    }
    files.sort();
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| Some((f.display().to_string(), std::fs::read_to_string(f).ok()?)))
        .collect();
    assert!(texts.len() > 20, "{} test texts", texts.len());
    texts
}
