//! Same input, same bytes: whatever the working directory, and run after run.

use crate::support::{ferry, read_tree, root};

#[test]
fn two_runs_from_two_directories_give_identical_bytes() {
    let out = tempfile::tempdir().unwrap();
    let a = out.path().join("a");
    let b = out.path().join("b");
    let fixture = root().join("fixtures/nginx-api-mysql");
    // Run 1: from the fixture directory, discovering compose.yaml.
    let s = ferry()
        .current_dir(&fixture)
        .args(["convert", "-o"])
        .arg(&a)
        .status()
        .unwrap();
    assert!(s.success());
    // Run 2: from elsewhere, naming the file by a relative path.
    let rel = pathdiff(&fixture.join("compose.yaml"), out.path());
    let s = ferry()
        .current_dir(out.path())
        .args(["convert", "-f"])
        .arg(&rel)
        .args(["-o", "b"])
        .status()
        .unwrap();
    assert!(s.success());
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    assert!(!ta.is_empty());
    assert_eq!(ta, tb);
}

#[test]
fn stdout_stream_is_stable_across_runs() {
    let fixture = root().join("fixtures/volumes");
    let run = || {
        ferry()
            .current_dir(&fixture)
            .args(["convert", "--stdout"])
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    for _ in 0..3 {
        assert_eq!(run(), first);
    }
}

/// `to` relative to `from` (both absolute), with `..` as needed.
fn pathdiff(to: &std::path::Path, from: &std::path::Path) -> std::path::PathBuf {
    let to: Vec<_> = to.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut p = std::path::PathBuf::new();
    for _ in common..from.len() {
        p.push("..");
    }
    for c in &to[common..] {
        p.push(c);
    }
    p
}
