//! `${VAR}` interpolation: never panics, output bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lookup = |k: &str| match k {
            "A" => Some("a${B}".to_string()),
            "B" => Some(String::new()),
            "LONG" => Some("x".repeat(1000)),
            _ => None,
        };
        if let Ok(out) = ferry::compose::interpolate::interpolate(text, &lookup) {
            assert!(out.value.len() <= ferry::compose::interpolate::MAX_OUTPUT);
        }
    }
});
