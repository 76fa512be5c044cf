//! Decoding never panics, and its offset map stays inside the input, for any bytes and any
//! forced encoding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scriptorium::config::Config;
use scriptorium::internals::decode::Decoder;

fuzz_target!(|data: &[u8]| {
    let cfg = Config::default();
    let dec = Decoder::new(&cfg.decode);
    let forced = data.first().and_then(|b| {
        [
            encoding_rs::SHIFT_JIS,
            encoding_rs::UTF_16LE,
            encoding_rs::GB18030,
            encoding_rs::WINDOWS_1256,
            encoding_rs::ISO_2022_JP,
        ]
        .get((b % 10) as usize)
        .copied()
    });
    if let Ok(d) = dec.decode(data, forced) {
        let r = d.map.range(0..d.text.len());
        assert!(r.end <= data.len());
        let _ = scriptorium::internals::mojibake::repair(&d.text);
    }
});

