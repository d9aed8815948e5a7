//! The YAML loader: any text parses or fails with an error, within the limits, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let limits = ferry::yaml::Limits::default();
        if let Ok(docs) = ferry::yaml::parse_stream(text, Arc::from("fuzz.yaml"), &limits) {
            for d in docs {
                let _ = d.to_json();
            }
        }
    }
});
