//! Environments written as kustomize overlays: every fixture's overlays are exact (built with
//! `kubectl kustomize`, they give the plain conversion of the environment's files, field for
//! field: `scripts/overlay-check.py`), and the command line declares, selects and checks them.

use crate::support::{outcome, project, read_tree, root, run, script, Run};
use std::path::Path;

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
}

fn tools() -> bool {
    let python = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    let kubectl = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    python && kubectl
}

/// Every fixture with environments (declared in x-ferry, or `--overlay` in its args file):
/// `kubectl kustomize overlays/<name>` gives the plain conversion of the environment.
#[test]
fn every_fixture_overlay_is_exact() {
    if !tools() {
        assert!(
            std::env::var_os("FERRY_REQUIRE_KUBECTL").is_none(),
            "FERRY_REQUIRE_KUBECTL is set but kubectl or python3 with PyYAML is missing"
        );
        eprintln!("skipped: kubectl and python3 with PyYAML build and compare the overlays");
        return;
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        let compose = dir.join("compose.yaml");
        let text = std::fs::read_to_string(&compose).unwrap_or_default();
        let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
        if text.contains("environments:") || args.contains("--overlay") {
            files.push(compose.display().to_string());
        }
    }
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let (ok, text) = outcome(script("overlay-check.py").args(&files));
    assert!(ok, "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
}

const BASE: &str = "services:\n  web:\n    image: example/web:1.4\n    ports: [\"80:80\"]\n";

/// A project that declares one environment, prod, which changes web's image.
fn with_prod() -> tempfile::TempDir {
    project(&[
        (
            "compose.yaml",
            &format!("{BASE}x-ferry:\n  environments:\n    prod: compose.prod.yaml\n"),
        ),
        (
            "compose.prod.yaml",
            "services:\n  web:\n    image: example/web:1.5\n",
        ),
    ])
}

#[test]
fn an_override_file_on_the_command_line_becomes_an_overlay() {
    let p = project(&[
        ("compose.yaml", BASE),
        (
            "compose.prod.yaml",
            "services:\n  web:\n    image: example/web:1.5\n    deploy: {replicas: 3}\n",
        ),
    ]);
    let r = run(
        p.path(),
        &["convert", "--overlay", "prod=compose.prod.yaml"],
    );
    ok(&r);
    let k = p.path().join("k8s");
    assert!(read(&k, "base/web-deployment.yaml").contains("image: example/web:1.4"));
    let patch = read(&k, "overlays/prod/patches/web-deployment.yaml");
    assert!(
        patch.contains("path: /spec/replicas\n  value: 3"),
        "{patch}"
    );
    assert!(patch.contains("value: example/web:1.5"), "{patch}");
    let kust = read(&k, "overlays/prod/kustomization.yaml");
    assert!(kust.contains("  - ../../base\n"), "{kust}");
    assert!(kust.contains("path: patches/web-deployment.yaml"), "{kust}");
}

#[test]
fn declared_environments_are_written_by_a_bare_convert_and_checked() {
    let p = with_prod();
    ok(&run(p.path(), &["convert"]));
    assert!(p
        .path()
        .join("k8s/overlays/prod/kustomization.yaml")
        .exists());
    ok(&run(p.path(), &["convert", "--check"]));
    // The override changes: the check fails on the overlay, naming its file.
    std::fs::write(
        p.path().join("compose.prod.yaml"),
        "services:\n  web:\n    image: example/web:1.6\n",
    )
    .unwrap();
    let r = run(p.path(), &["convert", "--check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("+++ b/overlays/prod/patches/web-deployment.yaml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+  value: example/web:1.6"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_override_file_an_environment_names_leaves_the_base() {
    let override_ = "services:\n  web:\n    environment: {DEBUG: \"1\"}\n";
    // Not named: docker compose merges it into the base, and so does ferry.
    let p = project(&[("compose.yaml", BASE), ("compose.override.yaml", override_)]);
    ok(&run(p.path(), &["convert"]));
    assert!(read(&p.path().join("k8s"), "web-deployment.yaml").contains("DEBUG"));
    // Named by the environment `dev`: the base is compose.yaml alone, dev adds DEBUG.
    let p = project(&[
        (
            "compose.yaml",
            &format!("{BASE}x-ferry:\n  environments:\n    dev: compose.override.yaml\n"),
        ),
        ("compose.override.yaml", override_),
    ]);
    ok(&run(p.path(), &["convert"]));
    let k = p.path().join("k8s");
    assert!(!read(&k, "base/web-deployment.yaml").contains("DEBUG"));
    assert!(read(&k, "overlays/dev/patches/web-deployment.yaml").contains("name: DEBUG"));
}

#[test]
fn an_environments_env_file_gives_its_secrets_to_the_overlay_only() {
    let p = project(&[
        (
            "compose.yaml",
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\nx-ferry:\n  environments:\n    prod: {envFile: .env.prod}\n",
        ),
        (".env", "DB_PASSWORD=dev-pass\n"),
        (".env.prod", "DB_PASSWORD=prod-pass\n"),
    ]);
    ok(&run(p.path(), &["convert"]));
    let k = p.path().join("k8s");
    assert_eq!(
        read(&k, "base/secrets/db-env.POSTGRES_PASSWORD"),
        "dev-pass"
    );
    assert_eq!(
        read(&k, "overlays/prod/secrets/db-env.POSTGRES_PASSWORD"),
        "prod-pass"
    );
    assert_eq!(
        read(&k, "overlays/prod/.gitignore").lines().last(),
        Some("/secrets/")
    );
    let kust = read(&k, "overlays/prod/kustomization.yaml");
    assert!(kust.contains("behavior: replace"), "{kust}");
    for (path, bytes) in read_tree(&k) {
        if !path.contains("secrets/") {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("prod-pass") && !text.contains("dev-pass"),
                "{path}"
            );
        }
    }
    // A fresh checkout: no .env, no .env.prod, no secret files. The check passes (the
    // overlay does not depend on the values), with a warning for the missing env file.
    std::fs::remove_file(p.path().join(".env")).unwrap();
    std::fs::remove_file(p.path().join(".env.prod")).unwrap();
    std::fs::remove_dir_all(k.join("base/secrets")).unwrap();
    std::fs::remove_dir_all(k.join("overlays/prod/secrets")).unwrap();
    let r = run(p.path(), &["convert", "--check", "-v"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`.env.prod` is not here"), "{}", r.stderr);
}

#[test]
fn overlay_env_file_on_the_command_line() {
    let p = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: example/web:${TAG}\n",
        ),
        (".env", "TAG=1.4\n"),
        ("prod.env", "TAG=1.5\n"),
    ]);
    ok(&run(
        p.path(),
        &["convert", "--overlay-env-file", "prod=prod.env"],
    ));
    let patch = read(
        &p.path().join("k8s"),
        "overlays/prod/patches/web-deployment.yaml",
    );
    assert!(patch.contains("value: example/web:1.5"), "{patch}");
}

#[test]
fn one_environment_by_itself_and_the_plain_merge() {
    let p = with_prod();
    let r = run(p.path(), &["convert", "--environment", "prod", "--stdout"]);
    ok(&r);
    assert!(r.stdout.contains("image: example/web:1.5"), "{}", r.stdout);
    let r = run(
        p.path(),
        &[
            "convert",
            "-f",
            "compose.yaml",
            "-f",
            "compose.prod.yaml",
            "--no-environments",
            "-o",
            "flat",
        ],
    );
    ok(&r);
    assert!(p.path().join("flat/web-deployment.yaml").exists());
    assert!(!p.path().join("flat/overlays").exists());
    let r = run(p.path(), &["convert", "--environment", "qa", "--stdout"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--environment qa: the project has no environment `qa` (it has prod)"),
        "{}",
        r.stderr
    );
}

#[test]
fn environment_declarations_are_checked_where_they_are_written() {
    let p = project(&[(
        "compose.yaml",
        &format!("{BASE}x-ferry:\n  environments:\n    Prod: compose.prod.yaml\n    qa: missing.yaml\n    dev: {{file: x}}\n"),
    )]);
    let r = run(p.path(), &["convert"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for want in [
        "compose.yaml:7:5: x-ferry.environments.Prod: `Prod` is not a valid environment name",
        "compose.yaml:9:11: x-ferry.environments.dev: unknown x-ferry key `file`",
        "help: did you mean `files`?",
    ] {
        assert!(r.stderr.contains(want), "{want}\n{}", r.stderr);
    }
    let p = project(&[(
        "compose.yaml",
        &format!("{BASE}x-ferry:\n  environments:\n    qa: missing.yaml\n"),
    )]);
    let r = run(p.path(), &["convert"]);
    assert!(
        r.stderr.contains(
            "compose.yaml:7:9: x-ferry.environments.qa: the compose file `missing.yaml` does not exist"
        ),
        "{}",
        r.stderr
    );
    assert!(!p.path().join("k8s").exists(), "written on error");
}

#[test]
fn overlay_flags_are_checked() {
    let p = project(&[("compose.yaml", BASE)]);
    for (args, want) in [
        (
            &["convert", "--overlay", "Prod=x.yaml"][..],
            "`Prod` is not a valid environment name",
        ),
        (
            &["convert", "--overlay", "prod="],
            "name the compose files after `=`",
        ),
        (
            &["convert", "--overlay-env-file", "prod"],
            "expected NAME=FILE",
        ),
        (
            &["convert", "--overlay", "prod=nope.yaml"],
            "compose file nope.yaml not found",
        ),
        (
            &["convert", "--overlay", "prod", "--no-environments"],
            "cannot be used with",
        ),
    ] {
        let r = run(p.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn a_patch_no_longer_made_is_stale_and_pruned() {
    let p = with_prod();
    ok(&run(p.path(), &["convert"]));
    let patch = p
        .path()
        .join("k8s/overlays/prod/patches/web-deployment.yaml");
    assert!(patch.exists());
    // prod now changes only the Service: the Deployment's patch is stale.
    std::fs::write(
        p.path().join("compose.prod.yaml"),
        "services:\n  web:\n    ports: !override [\"8080:80\"]\n",
    )
    .unwrap();
    let r = run(p.path(), &["convert", "--check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("--- a/overlays/prod/patches/web-deployment.yaml\n+++ /dev/null"),
        "{}",
        r.stdout
    );
    ok(&run(p.path(), &["convert", "--prune"]));
    assert!(!patch.exists());
    assert!(p
        .path()
        .join("k8s/overlays/prod/patches/web-service.yaml")
        .exists());
    ok(&run(p.path(), &["convert", "--check"]));
}

#[test]
fn the_stream_is_the_base_and_says_how_to_print_an_environment() {
    let p = with_prod();
    let r = run(p.path(), &["convert", "--stdout"]);
    ok(&r);
    assert!(r.stdout.contains("image: example/web:1.4"), "{}", r.stdout);
    assert!(!r.stdout.contains("1.5"), "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "the environments (prod) are overlays: print one with --environment NAME --stdout"
        ),
        "{}",
        r.stderr
    );
}
