//! A `convert` killed while it writes (SIGKILL, as a CI timeout or the OOM killer does; Ctrl-C;
//! SIGTERM): every output file is the old or the new version, and temporary files do not stay.

use crate::support::{ferry, read_tree};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// A project of `n` services whose every file changes with `tag` (in its name, and in `.env`).
fn project(dir: &Path, n: usize, tag: &str) {
    let mut compose = format!("name: big-{tag}\nservices:\n");
    for i in 0..n {
        compose.push_str(&format!(
            "  s{i:04}:\n    image: registry.example/s{i:04}:${{TAG}}\n    ports: [\"80{:02}:80\"]\n    environment:\n      N: \"{i}\"\n",
            i % 100
        ));
    }
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join(".env"), format!("TAG={tag}\n")).unwrap();
}

fn temp_files(dir: &Path) -> Vec<String> {
    read_tree(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            let name = p.rsplit('/').next().unwrap();
            name.starts_with(".ferry-") && name.ends_with(".tmp")
        })
        .collect()
}

fn convert(dir: &Path, out: &str) -> std::process::Output {
    ferry()
        .current_dir(dir)
        .args(["-q", "convert", "-o", out])
        .output()
        .unwrap()
}

/// When to stop the run.
#[derive(Clone, Copy, Debug)]
enum When {
    /// As soon as its first temporary file is seen (no file renamed yet).
    Writing,
    /// Once fewer temporary files are seen than before: the renames have begun.
    Renaming,
}

/// Start `convert -o k8s` and send it `signal` at `when`. `None` when the run ended before
/// that moment was seen (the caller tries again).
fn interrupt(dir: &Path, signal: i32, when: When) -> Option<ExitStatus> {
    let mut child: Child = ferry()
        .current_dir(dir)
        .args(["-q", "convert", "-o", "k8s"])
        .spawn()
        .unwrap();
    let k8s = dir.join("k8s");
    let start = Instant::now();
    let mut most = 0;
    loop {
        if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            child.wait().unwrap();
            return None;
        }
        let temps = std::fs::read_dir(&k8s)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".ferry-"))
                })
                .count()
            })
            .unwrap_or(0);
        let now = match when {
            When::Writing => temps > 0,
            When::Renaming => temps > 0 && temps + 20 < most,
        };
        most = most.max(temps);
        if now {
            // SAFETY: kill(2) on our own child's pid; it is not reaped yet, so the pid is its.
            assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
            return Some(child.wait().unwrap());
        }
    }
}

/// Each file in `k8s` is its old or its new version.
fn old_or_new(
    dir: &Path,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
) -> usize {
    let mut renamed = 0;
    let temps = temp_files(&dir.join("k8s"));
    for (path, bytes) in read_tree(&dir.join("k8s")) {
        if temps.contains(&path) {
            continue;
        }
        let was_old = old.get(&path) == Some(&bytes);
        let is_new = new.get(&path) == Some(&bytes);
        assert!(
            was_old || is_new,
            "{path} is neither the old nor the new file"
        );
        renamed += usize::from(is_new && !was_old);
    }
    renamed
}

/// Old and new outputs of the project, and `k8s` holding the old one; `.env` then says new.
fn setup(dir: &Path) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    project(dir, 400, "new");
    assert!(convert(dir, "expect-new").status.success());
    project(dir, 400, "old");
    assert!(convert(dir, "k8s").status.success());
    let old: BTreeMap<_, _> = read_tree(&dir.join("k8s")).into_iter().collect();
    let new: BTreeMap<_, _> = read_tree(&dir.join("expect-new")).into_iter().collect();
    assert_eq!(old.len(), new.len());
    assert!(
        old.iter()
            .all(|(p, b)| new[p] != *b || p == "kustomization.yaml"),
        "every object's file changes"
    );
    project(dir, 400, "new");
    (old, new)
}

/// Puts `k8s` back to the old output for another try.
fn restore(dir: &Path, old: &BTreeMap<String, Vec<u8>>) {
    std::fs::remove_dir_all(dir.join("k8s")).unwrap();
    for (path, bytes) in old {
        let p = dir.join("k8s").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// SIGKILL while writing temporary files and while renaming: every file old or new; `diff`
/// and `--check` count the leftover temporary files as changes; the next `convert` removes
/// them and writes the new output.
#[test]
fn killed_conversion_leaves_old_or_new_files_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (old, new) = setup(dir);
    for when in [When::Writing, When::Renaming] {
        let mut tries = 0;
        let status = loop {
            tries += 1;
            if let Some(status) = interrupt(dir, libc::SIGKILL, when) {
                break status;
            }
            assert!(tries < 10, "{when:?}: the run always ended before the kill");
            restore(dir, &old);
        };
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{when:?}");
        let renamed = old_or_new(dir, &old, &new);
        match when {
            When::Writing => assert_eq!(
                renamed, 0,
                "nothing is renamed before every file is written"
            ),
            When::Renaming => assert!(renamed > 0, "killed after the renames began"),
        }
        let left = temp_files(&dir.join("k8s"));
        assert!(
            !left.is_empty(),
            "{when:?}: a SIGKILL leaves its temporary files"
        );

        for args in [&["diff"][..], &["convert", "--check"][..]] {
            let r = ferry()
                .current_dir(dir)
                .args(args)
                .args(["-o", "k8s"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "{}: a temporary file left by an interrupted run; `ferry convert` removes it",
                    Path::new("k8s").join(&left[0]).display()
                )),
                "{args:?}: {stderr}"
            );
        }

        let r = ferry()
            .current_dir(dir)
            .args(["convert", "-o", "k8s"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(r.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "ferry: removed {} temporary file{} left in k8s by an interrupted run",
                left.len(),
                if left.len() == 1 { "" } else { "s" }
            )),
            "{stderr}"
        );
        assert_eq!(temp_files(&dir.join("k8s")), Vec::<String>::new());
        let now: BTreeMap<_, _> = read_tree(&dir.join("k8s")).into_iter().collect();
        assert!(now == new, "{when:?}: the next run writes the new output");
        let r = ferry()
            .current_dir(dir)
            .args(["convert", "--check", "-o", "k8s"])
            .output()
            .unwrap();
        assert!(r.status.success());
        restore(dir, &old);
    }
}

/// Ctrl-C and SIGTERM while writing: the run removes its own temporary files and ends by the
/// signal; every file is old or new.
#[test]
fn interrupted_conversion_removes_its_temporary_files() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (old, new) = setup(dir);
    for signal in [libc::SIGINT, libc::SIGTERM] {
        for when in [When::Writing, When::Renaming] {
            let mut tries = 0;
            let status = loop {
                tries += 1;
                if let Some(status) = interrupt(dir, signal, when) {
                    break status;
                }
                assert!(
                    tries < 10,
                    "{when:?}: the run always ended before the signal"
                );
                restore(dir, &old);
            };
            assert_eq!(status.signal(), Some(signal), "{signal} {when:?}");
            assert_eq!(
                temp_files(&dir.join("k8s")),
                Vec::<String>::new(),
                "{signal} {when:?}"
            );
            old_or_new(dir, &old, &new);
            restore(dir, &old);
        }
    }
}

/// `--fsync` and `FERRY_FSYNC=1` (durable writes) write the same files as the default; with
/// `--stdout` the flag is a usage error.
#[test]
fn fsync_flag_and_variable_write_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    project(dir, 3, "x");
    assert!(convert(dir, "plain").status.success());
    let r = ferry()
        .current_dir(dir)
        .args(["-q", "convert", "--fsync", "-o", "flag"])
        .output()
        .unwrap();
    assert!(r.status.success());
    let r = ferry()
        .current_dir(dir)
        .env("FERRY_FSYNC", "1")
        .args(["-q", "convert", "-o", "var"])
        .output()
        .unwrap();
    assert!(r.status.success());
    let plain = read_tree(&dir.join("plain"));
    assert_eq!(plain.len(), 7);
    assert_eq!(read_tree(&dir.join("flag")), plain);
    assert_eq!(read_tree(&dir.join("var")), plain);
    let r = ferry()
        .current_dir(dir)
        .args(["convert", "--fsync", "--stdout"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
}
