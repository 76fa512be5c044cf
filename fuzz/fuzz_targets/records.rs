//! The JSONL record reader never panics on any bytes, holds no text over its limit, and gives
//! every record (good or bad) a document id of its file that no other record of the file has.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scriptorium::internals::records::{Fields, Item, Jsonl};

fuzz_target!(|data: &[u8]| {
    let Some((&limit, body)) = data.split_first() else {
        return;
    };
    let max_text = u64::from(limit) * 4;
    let fields = Fields {
        text: "text".into(),
        id: "id".into(),
    };
    let mut seen = std::collections::HashSet::new();
    for item in Jsonl::new(Box::new(body), "f.jsonl", "f.jsonl", &fields, max_text) {
        let id = match item {
            Item::Record(r) => {
                assert!(r.text.len() as u64 <= max_text);
                assert!(r.metadata.is_object());
                r.doc_id
            }
            Item::Bad(b) => {
                assert!(!b.error.is_empty());
                b.doc_id
            }
        };
        assert!(id.starts_with("f.jsonl#"), "{id}");
        assert!(seen.insert(id));
    }
});
