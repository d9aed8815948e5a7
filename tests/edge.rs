//! Which paths ferry reads: paths on the command line are the user's own and trusted; paths
//! inside compose files stay inside the project's edge (its git work tree, else its directory)
//! unless `--allow-outside-project`.

use crate::support::{ferry, read_tree, run};
use std::path::Path;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The sequence, word for word: export the templates beside the project, then convert
/// with them. Neither needs --allow-outside-project: both paths are on the command line.
#[test]
fn templates_exported_beside_the_project_are_used_as_told() {
    let root = tempfile::tempdir().unwrap();
    let myproject = root.path().join("myproject");
    write(
        &myproject.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    );
    let r = run(&myproject, &["templates", "export", "../team-templates"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "ferry: wrote 8 templates to ../team-templates; use them with --templates ../team-templates\n"
    );
    // A team's change to a shared template shows in the output.
    let deployment = root.path().join("team-templates/deployment.yaml");
    let text = std::fs::read_to_string(&deployment).unwrap();
    let text = text.replacen(
        "spec:{{ object.spec | yaml }}",
        "spec:{{ object.spec | yaml }}\n# example.com/team: payments",
        1,
    );
    assert!(text.contains("example.com/team"), "{text}");
    std::fs::write(&deployment, text).unwrap();

    let r = run(&myproject, &["convert", "--templates", "../team-templates"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tree = read_tree(&myproject.join("k8s"));
    let (_, deployment) = tree
        .iter()
        .find(|(p, _)| p == "web-deployment.yaml")
        .unwrap();
    assert!(
        String::from_utf8_lossy(deployment).contains("example.com/team: payments"),
        "{}",
        String::from_utf8_lossy(deployment)
    );
    // diff takes the same flag.
    let r = run(&myproject, &["diff", "--templates", "../team-templates"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Every path flag may point outside the project: -f, --project-directory, --env-file,
/// --templates and -o.
#[test]
fn paths_on_the_command_line_are_trusted() {
    let root = tempfile::tempdir().unwrap();
    let here = root.path().join("here");
    std::fs::create_dir_all(&here).unwrap();
    write(
        &root.path().join("elsewhere/compose.yaml"),
        "services:\n  web:\n    image: nginx:${TAG}\n",
    );
    write(&root.path().join("vars/prod.env"), "TAG=1.27\n");
    ferry()
        .current_dir(&here)
        .args(["templates", "export", "../tpl"])
        .output()
        .unwrap();
    let r = run(
        &here,
        &[
            "convert",
            "-f",
            "../elsewhere/compose.yaml",
            "--project-directory",
            "../elsewhere",
            "--env-file",
            "../vars/prod.env",
            "--templates",
            "../tpl",
            "-o",
            "../out",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tree = read_tree(&root.path().join("out"));
    let (_, d) = tree
        .iter()
        .find(|(p, _)| p == "web-deployment.yaml")
        .unwrap();
    assert!(String::from_utf8_lossy(d).contains("image: nginx:1.27"));
}

/// A repository as the issue describes it: a shared fragment in `libs/`, the project in
/// `apps/web/` extending it, and a secret above the repository.
fn repository(git: bool) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    if git {
        std::fs::create_dir_all(repo.join(".git")).unwrap();
    }
    write(
        &repo.join("libs/proxy/compose.yml"),
        "services:\n  proxy:\n    image: socket-proxy\n    env_file: proxy.env\n    volumes:\n      - ./proxy.conf:/etc/proxy.conf:ro\n",
    );
    write(&repo.join("libs/proxy/proxy.env"), "LOG=info\n");
    write(&repo.join("libs/proxy/proxy.conf"), "listen 2375\n");
    write(&repo.join("shared/common.env"), "REGION=eu\n");
    write(&root.path().join("secret.env"), "TOKEN=do-not-read\n");
    write(
        &repo.join("apps/web/compose.yaml"),
        "services:\n  web:\n    image: nginx\n    env_file: ../../shared/common.env\n  web-proxy:\n    extends:\n      file: ../../libs/proxy/compose.yml\n      service: proxy\n",
    );
    root
}

/// In a git work tree, files elsewhere in the same work tree are the user's own: an extended
/// fragment in a parent folder, an env file beside it, and the files the fragment names
/// (relative to the fragment, as docker compose reads them).
#[test]
fn in_a_git_work_tree_the_project_reaches_the_whole_work_tree() {
    let root = repository(true);
    let web = root.path().join("repo/apps/web");
    let r = run(&web, &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("REGION: eu"), "{}", r.stdout);
    assert!(r.stdout.contains("LOG: info"), "{}", r.stdout);
    assert!(r.stdout.contains("listen 2375"), "{}", r.stdout);
    // The work tree is the edge, not more: a file above it is refused.
    let compose = web.join("compose.yaml");
    let text = std::fs::read_to_string(&compose).unwrap();
    std::fs::write(
        &compose,
        text.replace("../../shared/common.env", "../../../secret.env"),
    )
    .unwrap();
    let r = run(&web, &["convert", "--stdout"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let repo = root.path().join("repo").canonicalize().unwrap();
    assert!(
        r.stderr.contains(&format!(
            "compose.yaml:4:15: services.web.env_file: `../../../secret.env` resolves to {}, outside the git work tree {} that holds the project; ferry reads files outside it only with --allow-outside-project",
            repo.parent().unwrap().join("secret.env").display(),
            repo.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("do-not-read"), "{}", r.stderr);
    // Absolute paths out of the work tree, too.
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: nginx\n    env_file: /etc/passwd\n",
    )
    .unwrap();
    let r = run(&web, &["convert", "--stdout"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("outside the git work tree"),
        "{}",
        r.stderr
    );
}

/// `.git` as a file (a linked work tree or a submodule) marks a work tree's root as well.
#[test]
fn a_git_file_marks_a_work_tree_too() {
    let root = repository(false);
    write(
        &root.path().join("repo/.git"),
        "gitdir: ../elsewhere/.git\n",
    );
    let r = run(&root.path().join("repo/apps/web"), &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Outside git the project directory is the edge, as before: the same project is refused
/// until --allow-outside-project.
#[test]
fn outside_git_the_project_directory_is_the_edge() {
    let root = repository(false);
    let web = root.path().join("repo/apps/web");
    let r = run(&web, &["convert", "--stdout"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "compose.yaml:7:13: services.web-proxy.extends.file: `../../libs/proxy/compose.yml` resolves to"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(", outside the project directory; ferry reads files outside it only with --allow-outside-project"),
        "{}",
        r.stderr
    );
    let r = run(&web, &["convert", "--stdout", "--allow-outside-project"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("listen 2375"), "{}", r.stdout);
}

/// A bind-mounted file elsewhere in the work tree becomes a ConfigMap; a missing directory
/// there is named by its relative path, so the claim is the same on every machine.
#[test]
fn bind_mounts_elsewhere_in_the_work_tree_are_read() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo.join("conf/nginx.conf"), "worker_processes 1;\n");
    write(
        &repo.join("app/compose.yaml"),
        "services:\n  web:\n    image: nginx\n    volumes:\n      - ../conf/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ../data:/data\n",
    );
    let r = run(&repo.join("app"), &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("worker_processes 1;"), "{}", r.stdout);
    assert!(
        !r.stdout.contains(root.path().to_str().unwrap()),
        "{}",
        r.stdout
    );
}

/// An included project beside this one in the work tree keeps its relative paths (rebased onto
/// the project directory with `..`).
#[test]
fn include_from_elsewhere_in_the_work_tree() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(
        &repo.join("shared/db/compose.yaml"),
        "services:\n  db:\n    image: postgres\n    env_file: db.env\n    volumes:\n      - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro\n",
    );
    write(&repo.join("shared/db/db.env"), "POSTGRES_DB=shop\n");
    write(&repo.join("shared/db/init.sql"), "create table t ();\n");
    write(
        &repo.join("apps/shop/compose.yaml"),
        "include:\n  - ../../shared/db/compose.yaml\nservices:\n  web:\n    image: nginx\n",
    );
    let r = run(&repo.join("apps/shop"), &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("POSTGRES_DB: shop"), "{}", r.stdout);
    assert!(r.stdout.contains("create table t ();"), "{}", r.stdout);
}

/// `.git` may hold credentials (CI checkouts keep a token in `.git/config`): no compose file
/// reads it, as an env file, a bind mount, or inside a bind-mounted directory.
#[test]
fn the_git_directory_is_never_read() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    write(
        &repo.join(".git/config"),
        "[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n",
    );
    write(
        &repo.join("app/compose.yaml"),
        "services:\n  web:\n    image: nginx\n    env_file: ../.git/config\n",
    );
    let app = repo.join("app");
    let r = run(&app, &["convert", "--stdout"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("services.web.env_file: `../.git/config` is inside a .git directory, which ferry never reads for a compose file (it may hold credentials)"),
        "{}",
        r.stderr
    );
    for mount in ["../.git/config:/c", "../.git:/g", "..:/repo"] {
        write(
            &app.join("compose.yaml"),
            &format!("services:\n  web:\n    image: nginx\n    volumes: ['{mount}']\n"),
        );
        let r = run(&app, &["convert", "--stdout"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains("c2VjcmV0"), "{mount}: {}", r.stdout);
        assert!(!r.stdout.contains("extraheader"), "{mount}: {}", r.stdout);
    }
}

/// A home directory kept in git (dotfiles) is not the edge: `~/.ssh` stays out of reach of a
/// project inside it.
#[test]
fn a_work_tree_holding_home_is_not_the_edge() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    std::fs::create_dir_all(home.join(".git")).unwrap();
    write(&home.join(".ssh/id_ed25519"), "PRIVATE KEY\n");
    write(
        &home.join("src/app/compose.yaml"),
        "services:\n  web:\n    image: nginx\n    volumes: ['../../.ssh/id_ed25519:/key']\n    env_file: ../../.ssh/id_ed25519\n",
    );
    let out = ferry()
        .current_dir(home.join("src/app"))
        .env("HOME", &home)
        .args(["convert", "--stdout"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(", outside the project directory; ferry reads files outside it only with --allow-outside-project"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("PRIVATE KEY"));
}

/// The measure: `../shared/corpus/raeffs-docker-host` keeps shared fragments in `libs/`
/// that its apps extend (`file: ../../libs/...`). Inside a git work tree (the corpus copied and
/// given a `.git`) 53 of its 54 compose files convert, its one broken file aside; outside git the
/// five that extend a fragment are refused, as before. Skipped when the shared corpus is absent.
#[test]
fn raeffs_corpus_converts_inside_a_git_work_tree() {
    let corpus = crate::support::root().join("../shared/corpus/raeffs-docker-host");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    fn copy(from: &Path, to: &Path, files: &mut Vec<std::path::PathBuf>) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let (src, dst) = (e.path(), to.join(e.file_name()));
            if e.file_type().unwrap().is_dir() {
                copy(&src, &dst, files);
            } else if e.file_type().unwrap().is_file() {
                std::fs::copy(&src, &dst).unwrap();
                let name = e.file_name().to_string_lossy().to_lowercase();
                if (name.starts_with("compose") || name.starts_with("docker-compose"))
                    && (name.ends_with(".yml") || name.ends_with(".yaml"))
                {
                    files.push(dst);
                }
            }
        }
    }
    let converted = |git: bool| {
        let root = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        copy(&corpus, root.path(), &mut files);
        if git {
            std::fs::create_dir(root.path().join(".git")).unwrap();
        }
        files.sort();
        let mut failed = Vec::new();
        for f in &files {
            let out = root.path().join("out");
            let r = run(
                root.path(),
                &[
                    "-q",
                    "convert",
                    "-f",
                    f.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                ],
            );
            if r.code != 0 {
                failed.push(f.strip_prefix(root.path()).unwrap().display().to_string());
            }
            let _ = std::fs::remove_dir_all(&out);
        }
        (files.len(), failed)
    };
    let (n, failed) = converted(true);
    assert_eq!(n, 54);
    assert_eq!(failed, ["archive/openproject/docker-compose.base.yml"]);
    let (_, failed) = converted(false);
    assert_eq!(failed.len(), 6, "{failed:?}");
}
