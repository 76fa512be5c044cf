//! Invariants, tested on generated inputs (proptest).
//!
//! Strings are drawn from pieces of real text in several scripts plus the characters the stages
//! treat specially (combining marks, CR/LF, controls, no-break spaces, presentation forms,
//! ligatures, bidi controls, mojibake), so that the rules are exercised, not just ASCII.

use proptest::prelude::*;
use scriptorium::config::{Config, NormForm};
use scriptorium::internals::decode::Decoder;
use scriptorium::internals::normalize::Normalizer;
use scriptorium::Stages;
use unicode_normalization::UnicodeNormalization;

const PIECES: &[&str] = &[
    "All human beings are born free. ",
    "Tous les êtres humains naissent libres. ",
    "Alle Menschen sind frei geboren. ",
    "Все люди рождаются свободными. ",
    "يولد جميع الناس أحرارًا. ",
    "כל בני האדם נולדו בני חורין. ",
    "すべての人間は、生まれながらにして自由である。",
    "人人生而自由。",
    "모든 인간은 태어날 때부터 자유롭다. ",
    "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है। ",
    "Dr. J. Smith, e.g. No. 5... ",
    "e\u{301}",
    "\u{301}",
    "\u{327}\u{301}",
    "\r\n",
    "\r",
    "\n\n",
    "\t",
    "\u{0}",
    "\u{7}",
    "\u{9c}",
    "\u{a0}",
    "\u{ad}",
    "\u{feff}",
    "\u{202b}",
    "\u{2069}",
    "\u{200c}",
    "\u{200d}",
    "\u{fb01}",
    "\u{feb3}\u{fee0}",
    "\u{fdf2}",
    "Ã©",
    "â€™",
    "РџСЂРёРІРµС‚ ",
    "SlovenÄŤina ",
    "Ä\u{fffd}",
    "Ã\u{90}Â¿",
    "ЦІЛІ ",
    "Ã",
    "\u{fffd}",
    "\u{1f600}",
    "ﬁ",
    "①",
    "  ",
    "- item\n",
    "**bold** ",
    "Page 3\n",
    "* * *\n",
];

/// 256 cases per property, or `PROPTEST_CASES` for a deeper search.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![text(), any::<String>()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn normalization_is_idempotent(s in any_text()) {
        for form in [NormForm::Nfc, NormForm::Nfkc] {
            let mut cfg = Config::default().normalize;
            cfg.form = form;
            let n = Normalizer::new(&cfg);
            let once = n.normalize(&s).text.into_owned();
            let twice = n.normalize(&once).text.into_owned();
            prop_assert_eq!(&once, &twice);
        }
    }

    #[test]
    fn unit_by_unit_nfc_equals_whole_text_nfc(s in any_text()) {
        let mut cfg = Config::default().normalize;
        cfg.line_endings = false;
        cfg.controls = false;
        cfg.spaces = false;
        cfg.soft_hyphens = false;
        cfg.bom = false;
        cfg.bidi_controls = false;
        cfg.arabic_presentation_forms = false;
        cfg.ligatures = false;
        cfg.c1_as_windows_1252 = false;
        cfg.terminal_escapes = false;
        cfg.width = false;
        let n = Normalizer::new(&cfg);
        let mine = n.normalize(&s).text.into_owned();
        let whole: String = s.nfc().collect();
        prop_assert_eq!(mine, whole);
    }

    #[test]
    fn normalize_maps_cover_the_input(s in any_text()) {
        let n = Normalizer::new(&Config::default().normalize);
        let r = n.normalize(&s);
        let mut range = 0..r.text.len();
        for m in &r.maps {
            range = m.range(range);
        }
        // Everything maps inside the input; a non-empty output covers it from the first kept
        // byte to the last.
        prop_assert!(range.end <= s.len());
        if !r.text.is_empty() {
            let first_kept = s.len() - s.trim_start_matches(['\u{0}', '\u{7}', '\u{9c}', '\u{ad}', '\u{feff}', '\u{202b}', '\u{2069}', '\r']).len();
            prop_assert!(range.start <= first_kept, "{:?} starts after {}", range, first_kept);
        }
    }

    #[test]
    fn segments_are_ordered_on_char_boundaries_and_raw_spans_round_trip(s in text()) {
        let stages = Stages::new(&Config::default());
        let normalizer = Normalizer::new(&Config::default().normalize);
        let doc = stages.process_bytes("p.txt", "p.txt", s.as_bytes());
        let mut last_src = 0;
        let mut last_raw = 0;
        for seg in &doc.segments {
            prop_assert!(doc.clean.is_char_boundary(seg.text.start));
            prop_assert!(doc.clean.is_char_boundary(seg.text.end));
            prop_assert!(seg.src.start >= last_src, "overlap or disorder");
            prop_assert!(seg.raw.start >= last_raw);
            prop_assert!(s.is_char_boundary(seg.raw.start) && s.is_char_boundary(seg.raw.end));
            last_src = seg.src.end;
            last_raw = seg.raw.end;
            // The raw bytes of a segment, normalized, hold its text (up to whitespace).
            let raw_piece = &s[seg.raw.clone()];
            let repaired = scriptorium::internals::mojibake::repair(raw_piece);
            let piece = repaired.as_ref().map_or(raw_piece, |r| r.text.as_str());
            let renorm = normalizer.normalize(piece);
            let squash = |t: &str| {
                t.chars().filter(|c| !c.is_whitespace() && !matches!(c, '*' | '_' | '-' | '•')).collect::<String>()
            };
            // A repair can rest on the rest of the document (single-sequence words repaired
            // once the document showed the misreading): for such segments the piece alone is
            // compared by what no repair changes, its ASCII.
            let repaired_seg = seg.flags.contains(scriptorium::Flags::REPAIRED_MOJIBAKE);
            let ascii = |t: String| if repaired_seg { t.chars().filter(char::is_ascii).collect() } else { t };
            let want = ascii(squash(&doc.clean[seg.text.clone()]));
            let got = ascii(squash(&renorm.text));
            prop_assert!(got.contains(&want) || want.is_empty(), "{:?} not in {:?}", want, got);
        }
    }

    #[test]
    fn incremental_decoding_equals_whole_decoding(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        // The byte-at-a-time decoder that builds exact offsets must decode like encoding_rs does
        // in one call, for every multi-byte legacy encoding.
        let mut cfg = Config::default().decode;
        for enc in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP, encoding_rs::GB18030,
                    encoding_rs::BIG5, encoding_rs::EUC_KR, encoding_rs::ISO_2022_JP,
                    encoding_rs::UTF_16LE, encoding_rs::WINDOWS_1256] {
            cfg.overrides.clear();
            let d = Decoder::new(&cfg).decode(&bytes, Some(enc)).unwrap();
            let (whole, _) = enc.decode_without_bom_handling(&bytes);
            let bom = usize::from(d.bom) * if enc == encoding_rs::UTF_16LE { 2 } else { 0 };
            let (expected, _) = if bom > 0 { enc.decode_without_bom_handling(&bytes[bom..]) } else { (whole, false) };
            prop_assert_eq!(d.text.as_ref(), expected.as_ref(), "{}", enc.name());
            // The map covers the input from the first byte; bytes after the last character
            // that produced output (e.g. an ISO-2022-JP escape) map nowhere.
            let r = d.map.range(0..d.text.len());
            prop_assert!(r.start == bom && r.end <= bytes.len(), "{} {:?}", enc.name(), r);
            if !d.text.is_empty() && enc != encoding_rs::ISO_2022_JP {
                prop_assert_eq!(r.end, bytes.len(), "{}", enc.name());
            }
        }
    }

    #[test]
    fn no_panic_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let stages = Stages::new(&Config::default());
        let doc = stages.process_bytes("f", "f", &bytes);
        for seg in &doc.segments {
            prop_assert!(seg.raw.end <= bytes.len());
        }
    }

    #[test]
    fn no_panic_on_utf16_of_any_text(s in any_text(), le in any::<bool>()) {
        let mut bytes = Vec::new();
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        let stages = Stages::new(&Config::default());
        let doc = stages.process_bytes("f", "f", &bytes);
        for seg in &doc.segments {
            prop_assert!(seg.raw.end <= bytes.len());
        }
    }
}
