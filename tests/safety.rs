//! Hostile and broken input: every case ends with a clear, located message (or works as docker
//! compose does), in bounded time and memory, and nothing is written.

use crate::support::ferry;
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ferry().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn project_bytes(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), bytes).unwrap();
    dir
}

fn fails(bytes: &[u8], expected: &str) {
    let dir = project_bytes(bytes);
    let (code, _, err) = run(dir.path(), &["convert"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(!dir.path().join("k8s").exists());
}

fn works(bytes: &[u8]) -> String {
    let dir = project_bytes(bytes);
    let (code, out, err) = run(dir.path(), &["convert", "--stdout"]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn non_utf8_input_is_located() {
    fails(
        b"services:\n  web:\n    image: \xff\xfe\n",
        "compose.yaml:3:12: the file is not valid UTF-8 text",
    );
}

#[test]
fn byte_order_mark_is_accepted() {
    assert!(works(b"\xef\xbb\xbfservices:\n  web:\n    image: nginx\n").contains("image: nginx"));
}

#[test]
fn crlf_line_endings_are_accepted() {
    let out =
        works(b"services:\r\n  web:\r\n    image: nginx\r\n    environment:\r\n      A: b\r\n");
    assert!(out.contains("value: b\n"), "{out}");
}

#[test]
fn tab_indentation_is_a_located_yaml_error() {
    fails(b"services:\n\tweb:\n\t\timage: nginx\n", "compose.yaml:2:");
}

#[test]
fn empty_file_is_an_error() {
    fails(b"", "the file is empty");
    fails(b"# only a comment\n", "the file is empty");
}

#[test]
fn list_instead_of_mapping_is_an_error() {
    fails(
        b"- services\n",
        "compose.yaml:1:1: a compose file must be a mapping",
    );
}

/// `services: null` is refused by compose's schema; a file without `services` is a project with
/// nothing to run (see `cli::project_without_services_has_nothing_to_run`).
#[test]
fn null_services_is_an_error() {
    fails(
        b"services:\n",
        "compose.yaml:1:9: services: expected a mapping, found null",
    );
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut src = String::from("x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        src.push_str(&format!("x-a{i}: &a{i} [{refs}]\n"));
    }
    src.push_str("services:\n  web:\n    image: nginx\n");
    let start = std::time::Instant::now();
    fails(src.as_bytes(), "expands to more than 1000000 nodes");
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn deep_nesting_is_refused() {
    let mut src = String::from("services:\n  web:\n    image: nginx\nx-deep:\n");
    for i in 0..300 {
        src.push_str(&" ".repeat(2 * i + 2));
        src.push_str("a:\n");
    }
    fails(src.as_bytes(), "nesting deeper than 200 levels");
}

#[test]
fn file_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("compose.yaml")).unwrap();
    // A sparse file: the size check must come before reading.
    f.set_len(ferry::compose::MAX_FILE_BYTES + 1).unwrap();
    let (code, _, err) = run(dir.path(), &["convert"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("ferry reads files of at most 67108864 bytes"),
        "{err}"
    );
}

#[test]
fn enormous_string_converts_or_fails_cleanly() {
    let big = "x".repeat(8 << 20);
    let src = format!("services:\n  web:\n    image: nginx\n    environment:\n      BIG: {big}\n");
    let out = works(src.as_bytes());
    assert!(out.len() > 8 << 20);
}

#[test]
fn exponential_dotenv_expansion_is_capped() {
    let dir = project_bytes(b"services:\n  web:\n    image: \"nginx:${A30}\"\n");
    let mut env = String::from("A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..=30 {
        env.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    std::fs::write(dir.path().join(".env"), env).unwrap();
    let start = std::time::Instant::now();
    let (code, _, err) = run(dir.path(), &["convert"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(".env:"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn hostile_names_never_leave_the_output_directory() {
    let src = "services:\n  ../../escape:\n    image: a\n    ports: ['80']\n  /abs:\n    image: b\n  x\u{202e}y:\n    image: c\nvolumes:\n  ../v: {}\n";
    let dir = project_bytes(src.as_bytes());
    let (code, _, err) = run(dir.path(), &["convert", "-o", "out"]);
    assert!(code == 0 || code == 1, "{err}");
    // Nothing appeared outside out/.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.iter().all(|n| n == "compose.yaml" || n == "out"),
        "{names:?}"
    );
    if code == 0 {
        for e in std::fs::read_dir(dir.path().join("out")).unwrap() {
            let n = e.unwrap().file_name().into_string().unwrap();
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
                "{n}"
            );
        }
    }
}

#[test]
fn names_differing_only_in_case_are_an_error() {
    fails(
        b"services:\n  Web:\n    image: a\n  web:\n    image: b\n",
        "both become `web` in Kubernetes",
    );
}

#[test]
fn reading_outside_the_project_needs_the_flag() {
    let root = tempfile::tempdir().unwrap();
    let proj = root.path().join("p");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(root.path().join("shared.env"), "A=1\n").unwrap();
    std::fs::write(
        proj.join("compose.yaml"),
        "services:\n  web:\n    image: a\n    env_file: ../shared.env\n",
    )
    .unwrap();
    let (code, _, err) = run(&proj, &["convert", "--stdout"]);
    assert_eq!(code, 1);
    assert!(err.contains("outside the project directory; ferry reads files outside it only with --allow-outside-project"), "{err}");
    let (code, out, err) = run(&proj, &["convert", "--stdout", "--allow-outside-project"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("A: \"1\""), "{out}");
}

#[cfg(unix)]
#[test]
fn symlink_escaping_the_project_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let proj = root.path().join("p");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(root.path().join("secret"), "TOKEN=x\n").unwrap();
    std::os::unix::fs::symlink(root.path().join("secret"), proj.join("innocent.env")).unwrap();
    std::fs::write(
        proj.join("compose.yaml"),
        "services:\n  web:\n    image: a\n    env_file: innocent.env\n",
    )
    .unwrap();
    let (code, _, err) = run(&proj, &["convert", "--stdout"]);
    assert_eq!(code, 1);
    assert!(err.contains("outside the project directory"), "{err}");
}

#[test]
fn runaway_template_stops_with_an_error() {
    let dir = project_bytes(b"services:\n  web:\n    image: a\n");
    std::fs::create_dir_all(dir.path().join("tpl/project")).unwrap();
    std::fs::write(
        dir.path().join("tpl/project/loop.yaml"),
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let (code, _, err) = run(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("template tpl/project/loop.yaml"), "{err}");
    assert!(err.contains("fuel"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn bind_mounted_file_over_a_configmap_is_reported() {
    let dir =
        project_bytes(b"services:\n  web:\n    image: a\n    volumes: ['./big.bin:/big.bin']\n");
    std::fs::write(dir.path().join("big.bin"), vec![b'x'; (1 << 20) + 1]).unwrap();
    let (code, out, err) = run(dir.path(), &["convert", "--stdout"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("more than a ConfigMap holds (1 MiB)"), "{err}");
    assert!(!out.contains("kind: ConfigMap"));
}

/// Found by the `convert` fuzz target: a link to a service that does not exist crashed translate.
#[test]
fn link_to_an_undefined_service_is_a_located_error() {
    fails(
        b"services:\n  api:\n    image: a\n    links:\n      - zache:redis\n",
        "compose.yaml:5:9: services.api.links: links to `zache`, which is not a service of this project",
    );
}

#[test]
fn dependency_on_an_undefined_service_is_a_located_error() {
    fails(
        b"services:\n  web:\n    image: a\n    depends_on:\n      nope:\n        condition: service_started\n",
        "compose.yaml:5:7: services.web.depends_on: `nope` is not a service of this project",
    );
}

/// Every input a fuzz target ever crashed on (`fuzz/regressions/`) now converts or fails with
/// an error, without panicking.
#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = crate::support::root().join("fuzz/regressions");
    let work = tempfile::tempdir().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let opts = ferry::compose::LoadOptions {
            files: vec!["-".into()],
            stdin: Some(text),
            project_name: Some("fuzz".into()),
            working_dir: work.path().to_path_buf(),
            ..Default::default()
        };
        let _ = ferry::convert(&opts, &Default::default(), &Default::default());
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}
