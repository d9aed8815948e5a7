//! Port, expose and volume short syntax: never panics; what parses is within its bounds.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ports) = ferry::compose::ports::parse_short(text) {
            assert!(!ports.is_empty() && ports.len() <= ferry::compose::ports::MAX_RANGE as usize);
            assert!(ports.iter().all(|p| p.target > 0));
        }
        let _ = ferry::compose::ports::parse_expose(text);
        if let Ok(m) = ferry::compose::volumes::parse_short(text) {
            assert!(m.target.starts_with('/'));
        }
    }
});
