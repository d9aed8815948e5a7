//! The `.env` parser (both formats): never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lookup = |k: &str| (k == "HOME").then(|| "/home/x".to_string());
        let _ = ferry::compose::dotenv::parse(text, &lookup);
        let _ = ferry::compose::dotenv::parse_raw(text);
    }
});
