//! The whole pipeline on an in-memory compose file: load, translate, render. Never panics;
//! whatever converts has valid names and parses back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn workdir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory")).path()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = ferry::compose::LoadOptions {
        files: vec!["-".into()],
        stdin: Some(text.to_string()),
        project_name: Some("fuzz".into()),
        working_dir: workdir().to_path_buf(),
        ..Default::default()
    };
    let Ok(conv) = ferry::convert(&opts, &Default::default(), &Default::default()) else { return };
    for path in conv.tree.files.keys() {
        assert!(!path.contains(".."), "{path}");
        assert!(!path.starts_with('/'), "{path}");
    }
    let again = ferry::convert(&opts, &Default::default(), &Default::default()).expect("converts twice");
    assert_eq!(again.tree, conv.tree, "not deterministic");
});
