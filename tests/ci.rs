//! ferry in CI, run here: `ci/ferry-ci.sh` (what the GitHub Action and the GitLab template run)
//! against a fake release (a directory holding a binary and a SHA256SUMS), the Action's steps as
//! a runner runs them, the GitLab template's script, the release scripts, and the pull-request
//! comment against a fake GitHub and GitLab API.
//!
//! Needs sh, sha256sum (or shasum) and, for the comments and the GitLab template, curl and jq:
//! a test whose tools are missing is skipped with a note, unless FERRY_REQUIRE_CI_TOOLS is set
//! (as `.ci/run` sets it).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::support::root;

const VERSION: &str = env!("CARGO_PKG_VERSION");

const COMPOSE: &str = "services:
  web:
    image: nginx:1.27
    ports:
      - \"8080:80\"
";

/// Whether the tools are here; without them, a note and a skip (or a failure under CI).
fn have(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("FERRY_REQUIRE_CI_TOOLS").is_none(),
        "FERRY_REQUIRE_CI_TOOLS is set but {missing:?} are not installed"
    );
    eprintln!("skipped: {missing:?} not installed");
    false
}

/// The release target ferry-ci.sh picks on this machine.
fn host_target() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-musl"),
        "macos" => format!("{arch}-apple-darwin"),
        os => panic!("no release target for {os}"),
    }
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg("sha256sum \"$1\" 2>/dev/null || shasum -a 256 \"$1\"")
        .args(["sh", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// A fake release of `bytes` for this machine under `repo/releases/download/vVERSION/` (and the
/// same under `releases/latest/download/`), with SHA256SUMS lines as `sums` makes them from the
/// binary's real hash.
fn fake_release(repo: &Path, bytes: &[u8], sums: impl Fn(&str, &str) -> String) -> String {
    let asset = format!("ferry-{}", host_target());
    for dir in [
        repo.join(format!("releases/download/v{VERSION}")),
        repo.join("releases/latest/download"),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&asset), bytes).unwrap();
        let hash = sha256(&dir.join(&asset));
        std::fs::write(dir.join("SHA256SUMS"), sums(&hash, &asset)).unwrap();
    }
    asset
}

fn good_sums(hash: &str, asset: &str) -> String {
    format!(
        "{}  ferry-x86_64-pc-windows-msvc.exe\n{hash}  {asset}\n",
        "0".repeat(64)
    )
}

/// What a run of a script gave.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `sh SCRIPT ARGS` in `dir` with only these variables (and PATH, HOME, TMPDIR).
fn sh(dir: &Path, script: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new("sh")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TMPDIR", std::env::temp_dir())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn ferry_ci() -> PathBuf {
    root().join("ci/ferry-ci.sh")
}

/// The "binary" in the fake releases: a script that runs the ferry these tests built (the
/// debug binary is hundreds of megabytes; copying and hashing it in every test is slow).
fn ferry_bytes() -> Vec<u8> {
    format!("#!/bin/sh\nexec '{}' \"$@\"\n", env!("CARGO_BIN_EXE_ferry")).into_bytes()
}

/// A compose project in `dir`, converted, so `--check` finds it up to date.
fn converted_project(dir: &Path) {
    std::fs::write(dir.join("compose.yaml"), COMPOSE).unwrap();
    let run = crate::support::run(dir, &["convert", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn install_verifies_the_checksum_and_installs_the_binary() {
    if !have(&["sha256sum"]) && !have(&["shasum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fake_release(&repo, &ferry_bytes(), good_sums);
    let bin = tmp.path().join("bin");
    let out = sh(
        tmp.path(),
        &ferry_ci(),
        &["install"],
        &[
            ("FERRY_REPO", repo.to_str().unwrap()),
            ("FERRY_VERSION", VERSION),
            ("FERRY_BIN_DIR", bin.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The path on stdout, the version it reports on stderr.
    assert_eq!(out.stdout.trim_end(), bin.join("ferry").to_str().unwrap());
    assert!(
        out.stderr.contains(&format!("ferry {VERSION}")),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(bin.join("ferry")).unwrap(), ferry_bytes());
    // Nothing else left beside it.
    let names: Vec<_> = std::fs::read_dir(&bin)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ferry"]);
}

#[test]
fn install_refuses_a_bad_checksum_and_installs_nothing() {
    if !have(&["sha256sum"]) && !have(&["shasum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    // The release's SHA256SUMS names another file's hash (a tampered or truncated download).
    let asset = fake_release(&repo, &ferry_bytes(), |hash, asset| {
        let wrong: String = hash.chars().rev().collect();
        format!("{wrong}  {asset}\n")
    });
    let bin = tmp.path().join("bin");
    let env = [
        ("FERRY_REPO", repo.to_str().unwrap()),
        ("FERRY_VERSION", VERSION),
        ("FERRY_BIN_DIR", bin.to_str().unwrap()),
    ];
    let out = sh(tmp.path(), &ferry_ci(), &["install"], &env);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains(&format!("checksum mismatch for {asset}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("refusing to install it"));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 0);

    // A binary the checksum file does not list is refused too.
    fake_release(&repo, &ferry_bytes(), |hash, _| {
        format!("{hash}  ferry-some-other-target\n")
    });
    let out = sh(tmp.path(), &ferry_ci(), &["install"], &env);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not listed in"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 0);
}

/// In the Action the version and the repository default to its own Cargo.toml's.
#[test]
fn install_defaults_to_the_version_and_repository_beside_the_script() {
    if !have(&["sha256sum"]) && !have(&["shasum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fake_release(&repo, &ferry_bytes(), good_sums);
    let action = tmp.path().join("action");
    std::fs::create_dir_all(action.join("ci")).unwrap();
    std::fs::copy(ferry_ci(), action.join("ci/ferry-ci.sh")).unwrap();
    std::fs::write(
        action.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ferry\"\nversion = \"{VERSION}\"\nrepository = \"{}\"\n\n\
             [dependencies]\nclap = {{ version = \"4.5\" }}\nversion = \"9.9.9\"\n",
            repo.display()
        ),
    )
    .unwrap();
    let bin = tmp.path().join("bin");
    let out = sh(
        tmp.path(),
        &action.join("ci/ferry-ci.sh"),
        &["install"],
        &[("FERRY_BIN_DIR", bin.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("releases/download/v{VERSION}/ferry-")),
        "{}",
        out.stderr
    );
    // `latest` reads the release GitHub calls latest.
    let out = sh(
        tmp.path(),
        &action.join("ci/ferry-ci.sh"),
        &["install"],
        &[
            ("FERRY_BIN_DIR", bin.to_str().unwrap()),
            ("FERRY_VERSION", "latest"),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("releases/latest/download/ferry-"));
    // With neither a Cargo.toml nor FERRY_REPO, it says what to set.
    let out = sh(tmp.path(), &ferry_ci_copy(tmp.path()), &["install"], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("FERRY_REPO is not set"),
        "{}",
        out.stderr
    );
}

fn ferry_ci_copy(dir: &Path) -> PathBuf {
    let lone = dir.join("lone/ci");
    std::fs::create_dir_all(&lone).unwrap();
    std::fs::copy(ferry_ci(), lone.join("ferry-ci.sh")).unwrap();
    lone.join("ferry-ci.sh")
}

/// `check` in a project: ferry's exit code, the summary file, the outputs.
struct Check {
    out: Out,
    summary: String,
    outputs: String,
}

fn check(dir: &Path, env: &[(&str, &str)]) -> Check {
    let summary = dir.join(".summary.md");
    let outputs = dir.join(".outputs");
    let mut all = vec![
        ("FERRY", env!("CARGO_BIN_EXE_ferry")),
        ("FERRY_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
    ];
    all.extend_from_slice(env);
    let out = sh(dir, &ferry_ci(), &["check"], &all);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let c = Check {
        out,
        summary: read(&summary),
        outputs: read(&outputs),
    };
    let _ = std::fs::remove_file(summary);
    let _ = std::fs::remove_file(outputs);
    c
}

#[test]
fn check_up_to_date_exits_0_with_the_summary_written() {
    let tmp = tempfile::tempdir().unwrap();
    converted_project(tmp.path());
    let c = check(tmp.path(), &[]);
    assert_eq!(c.out.code, 0, "{}", c.out.stderr);
    assert!(c.summary.starts_with("<!-- ferry-ci "), "{}", c.summary);
    assert!(c
        .summary
        .contains("### ferry: the Kubernetes manifests are up to date\n"));
    assert!(
        c.summary.contains("> ferry: k8s is up to date ("),
        "{}",
        c.summary
    );
    assert_eq!(c.outputs, "exit-code=0\nup-to-date=true\n");
    // The job log has what the command printed.
    assert!(c.out.stderr.contains("ferry: k8s is up to date"));
}

#[test]
fn check_stale_exits_1_with_the_summary_and_diff_written() {
    let tmp = tempfile::tempdir().unwrap();
    converted_project(tmp.path());
    std::fs::write(
        tmp.path().join("compose.yaml"),
        COMPOSE.replace("nginx:1.27", "nginx:1.28"),
    )
    .unwrap();
    let c = check(tmp.path(), &[]);
    assert_eq!(c.out.code, 1, "{}", c.out.stderr);
    assert!(c
        .summary
        .contains("### ferry: the Kubernetes manifests are stale\n"));
    assert!(c.summary.contains("> ferry: 1 file in k8s would change"));
    // ferry's text output: what changes in the cluster, then the diff.
    assert!(
        c.summary.contains(
            "```diff\nDeployment/web  image  nginx:1.27 → nginx:1.28\n\n--- a/web-deployment.yaml\n"
        ),
        "{}",
        c.summary
    );
    assert!(c
        .summary
        .contains("\n-          image: nginx:1.27\n+          image: nginx:1.28\n"));
    assert!(
        c.summary.ends_with("```\n\n</details>\n\n"),
        "{:?}",
        c.summary
    );
    assert_eq!(c.outputs, "exit-code=1\nup-to-date=false\n");
    // The diff is in the job log too.
    assert!(c.out.stdout.contains("+          image: nginx:1.28"));
}

#[test]
fn check_error_exits_3_with_the_error_in_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    prots: [80]\n",
    )
    .unwrap();
    let c = check(tmp.path(), &[]);
    assert_eq!(c.out.code, 3, "{}", c.out.stderr);
    assert!(c
        .summary
        .contains("### ferry: the compose project does not convert (exit 3)\n"));
    assert!(
        c.summary
            .contains("```text\nerror: compose.yaml:4:5: services.web.prots: unknown key"),
        "{}",
        c.summary
    );
    assert!(c.summary.contains("did you mean `ports`?"));
    assert_eq!(c.outputs, "exit-code=3\nup-to-date=false\n");
}

#[test]
fn check_passes_files_output_and_flags_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(d.join("deploy/base.yaml"), COMPOSE).unwrap();
    std::fs::write(
        d.join("deploy/prod.yaml"),
        "services:\n  web:\n    image: nginx:1.28\n",
    )
    .unwrap();
    let run = crate::support::run(
        d,
        &[
            "convert",
            "-q",
            "-f",
            "deploy/base.yaml",
            "-f",
            "deploy/prod.yaml",
            "-o",
            "out",
            "--namespace",
            "shop",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let env = [
        ("FERRY_FILES", "deploy/base.yaml\n  deploy/prod.yaml\n"),
        ("FERRY_OUTPUT", "out"),
        ("FERRY_ARGS", "--namespace shop"),
    ];
    let c = check(d, &env);
    assert_eq!(c.out.code, 0, "{}\n{}", c.out.stderr, c.summary);
    assert!(c.out.stderr.contains(
        "convert --check -f deploy/base.yaml -f deploy/prod.yaml -o out --namespace shop\n"
    ));
    // Another namespace is another output: stale.
    let c = check(d, &[env[0], env[1], ("FERRY_ARGS", "--namespace other")]);
    assert_eq!(c.out.code, 1);
    // A glob character is passed as it is, never expanded (no such file: a usage error).
    let c = check(d, &[("FERRY_FILES", "deploy/*.yaml")]);
    assert_eq!(c.out.code, 2);
    assert!(c
        .summary
        .contains("### ferry: the command was wrong (exit 2)"));
    assert!(
        c.out.stderr.contains("-f deploy/*.yaml\n"),
        "{}",
        c.out.stderr
    );
}

/// With FERRY_FORMAT=markdown the summary is ferry's Markdown as it is (a stand-in ferry here:
/// the flag is issue 25's), and an error still shows stderr.
#[test]
fn markdown_format_passes_the_flag_and_keeps_the_markdown_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("fake-ferry");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"args: $*\" >&2\n\
         case \"$*\" in *broken*) echo 'error: compose.yaml:1:1: bad' >&2; exit 3 ;; esac\n\
         printf '### ferry: 1 file in `k8s` would change\\n\\n| object | field |\\n'\nexit 1\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let env = [
        ("FERRY", fake.to_str().unwrap()),
        ("FERRY_FORMAT", "markdown"),
    ];
    let c = check(tmp.path(), &env);
    assert_eq!(c.out.code, 1);
    assert!(c
        .out
        .stderr
        .contains("args: convert --check --format markdown\n"));
    let (marker, rest) = c.summary.split_once('\n').unwrap();
    assert!(marker.starts_with("<!-- ferry-ci "));
    assert_eq!(
        rest,
        "### ferry: 1 file in `k8s` would change\n\n| object | field |\n\n"
    );
    let c = check(tmp.path(), &[env[0], env[1], ("FERRY_ARGS", "--broken")]);
    assert_eq!(c.out.code, 3);
    assert!(c
        .summary
        .contains("```text\nargs: convert --check --broken --format markdown\n"));
    assert!(c.summary.contains("error: compose.yaml:1:1: bad\n```\n"));
}

#[test]
fn long_diffs_are_cut_at_a_line_with_the_fence_closed() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("compose.yaml"), COMPOSE).unwrap();
    // Nothing converted yet: every file is added.
    let c = check(tmp.path(), &[("FERRY_SUMMARY_LIMIT", "300")]);
    assert_eq!(c.out.code, 1);
    assert!(c
        .summary
        .contains("*Cut at 300 bytes: the job log has all of it.*"));
    let diff = c.summary.split("```diff\n").nth(1).unwrap();
    let (kept, rest) = diff.split_once("```\n").unwrap();
    assert!(kept.len() <= 300 && kept.ends_with('\n'), "{kept:?}");
    assert!(rest.starts_with("\n</details>\n"));
}

/// A fake forge API: answers the comment list with `existing` and records every request.
struct FakeApi {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

impl FakeApi {
    /// `existing`: the comments the list returns (a JSON array); `refuse`: methods answered 403.
    fn start(existing: &str, refuse: &'static [&'static str]) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let existing = existing.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let mut headers = BTreeMap::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    headers.insert(k.to_ascii_lowercase(), v.trim().to_string());
                }
                let len: usize = headers
                    .get("content-length")
                    .map_or(0, |v| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let (status, reply) = if refuse.contains(&method.as_str()) {
                    ("403 Forbidden", "{\"message\":\"no\"}".to_string())
                } else if method == "GET" && path.contains("page=1") {
                    ("200 OK", existing.clone())
                } else if method == "GET" {
                    ("200 OK", "[]".to_string())
                } else {
                    ("200 OK", "{\"id\":99}".to_string())
                };
                seen.lock().unwrap().push(Request {
                    method,
                    path,
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        FakeApi { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// The marker a check's summary starts with (it names the check).
fn marker_of(summary: &str) -> &str {
    summary.lines().next().unwrap()
}

#[test]
fn github_comment_posted_when_stale_then_updated() {
    if !have(&["curl", "jq"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    converted_project(tmp.path());
    let event = tmp.path().join(".event.json");
    std::fs::write(&event, "{\"pull_request\":{\"number\":42}}").unwrap();
    let github = |api: &FakeApi| {
        vec![
            ("FERRY_COMMENT", "github"),
            ("GITHUB_TOKEN", "t0ken"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            (
                "GITHUB_API_URL",
                Box::leak(api.url.clone().into_boxed_str()),
            ),
        ]
    };

    // Up to date and no earlier comment: nothing is posted.
    let api = FakeApi::start("[]", &[]);
    let c = check(tmp.path(), &github(&api));
    assert_eq!(c.out.code, 0, "{}", c.out.stderr);
    let reqs = api.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        "/repos/acme/shop/issues/42/comments?per_page=100&page=1"
    );
    assert_eq!(reqs[0].headers["authorization"], "Bearer t0ken");

    // Stale: one new comment, the summary as its body.
    std::fs::write(
        tmp.path().join("compose.yaml"),
        COMPOSE.replace("nginx:1.27", "nginx:1.28"),
    )
    .unwrap();
    let api = FakeApi::start("[{\"id\":5,\"body\":\"LGTM\"}]", &[]);
    let c = check(tmp.path(), &github(&api));
    assert_eq!(c.out.code, 1);
    let reqs = api.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(reqs[1].path, "/repos/acme/shop/issues/42/comments");
    let body: String = json_body(&reqs[1].body);
    assert_eq!(body, c.summary);
    assert!(c.out.stderr.contains("commented on pull request #42"));

    // Later runs update that comment (found by its marker), stale or not.
    let earlier = format!(
        "[{{\"id\":5,\"body\":\"LGTM\"}},{{\"id\":7,\"body\":{}}}]",
        serde_json::to_string(&c.summary).unwrap()
    );
    converted_project(tmp.path());
    let api = FakeApi::start(&earlier, &[]);
    let c = check(tmp.path(), &github(&api));
    assert_eq!(c.out.code, 0);
    let reqs = api.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[1].method, "PATCH");
    assert_eq!(reqs[1].path, "/repos/acme/shop/issues/comments/7");
    assert!(json_body(&reqs[1].body).contains("are up to date"));

    // Another check (other flags) has its own comment.
    let c2 = check(
        tmp.path(),
        &[github(&api), vec![("FERRY_ARGS", "--namespace x")]].concat(),
    );
    assert_ne!(marker_of(&c2.summary), marker_of(&c.summary));
    assert_eq!(api.requests().last().unwrap().method, "POST");
}

fn json_body(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["body"].as_str().unwrap().to_string()
}

#[test]
fn a_comment_that_cannot_be_posted_leaves_the_exit_code_alone() {
    if !have(&["curl", "jq"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("compose.yaml"), COMPOSE).unwrap();
    let api = FakeApi::start("[]", &["POST"]);
    let env = [
        ("FERRY_COMMENT", "github"),
        ("GITHUB_TOKEN", "t0ken"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("FERRY_PR", "3"),
        ("GITHUB_API_URL", api.url.as_str()),
        ("GITHUB_ACTIONS", "true"),
    ];
    let c = check(tmp.path(), &env);
    assert_eq!(c.out.code, 1);
    assert!(c
        .out
        .stderr
        .contains("::warning::ferry-ci: cannot comment on pull request #3"));
    // The token is never printed.
    assert!(!c.out.stderr.contains("t0ken") && !c.out.stdout.contains("t0ken"));

    // Not a pull request: no comment, no call.
    let api = FakeApi::start("[]", &[]);
    let c = check(
        tmp.path(),
        &[
            ("FERRY_COMMENT", "github"),
            ("GITHUB_TOKEN", "t0ken"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_API_URL", api.url.as_str()),
        ],
    );
    assert_eq!(c.out.code, 1);
    assert!(api.requests().is_empty());
    assert!(c.out.stderr.contains("not a pull request: no comment"));
}

#[test]
fn gitlab_note_posted_then_updated() {
    if !have(&["curl", "jq"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("compose.yaml"), COMPOSE).unwrap();
    let gitlab = |url: &str| {
        vec![
            ("FERRY_COMMENT", "gitlab"),
            ("FERRY_GITLAB_TOKEN", "glpat-x"),
            (
                "CI_API_V4_URL",
                Box::leak(format!("{url}/api/v4").into_boxed_str()) as &str,
            ),
            ("CI_PROJECT_ID", "12"),
            ("CI_MERGE_REQUEST_IID", "4"),
        ]
    };
    let api = FakeApi::start("[]", &[]);
    let c = check(tmp.path(), &gitlab(&api.url));
    assert_eq!(c.out.code, 1);
    let reqs = api.requests();
    assert_eq!(reqs[0].headers["private-token"], "glpat-x");
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("POST", "/api/v4/projects/12/merge_requests/4/notes")
    );
    let earlier = format!(
        "[{{\"id\":31,\"body\":{}}}]",
        serde_json::to_string(&c.summary).unwrap()
    );
    let api = FakeApi::start(&earlier, &[]);
    let c = check(tmp.path(), &gitlab(&api.url));
    assert_eq!(c.out.code, 1);
    let reqs = api.requests();
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("PUT", "/api/v4/projects/12/merge_requests/4/notes/31")
    );
    assert!(c.out.stderr.contains("comment on merge request !4 updated"));
}

/// The five release files ci/release-assets.sh expects, this machine's holding ferry.
fn release_dist(dist: &Path) {
    std::fs::create_dir_all(dist).unwrap();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc.exe",
    ] {
        std::fs::write(dist.join(format!("ferry-{t}")), format!("not ferry: {t}\n")).unwrap();
    }
    std::fs::write(dist.join(format!("ferry-{}", host_target())), ferry_bytes()).unwrap();
}

#[test]
fn release_assets_stamp_the_template_and_checksum_every_file() {
    if !have(&["sha256sum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    release_dist(&dist);
    let script = root().join("ci/release-assets.sh");
    let out = sh(
        tmp.path(),
        &script,
        &["dist", "1.2.3", "https://github.com/acme/ferry"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let names: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    assert_eq!(
        names,
        [
            "ferry-aarch64-apple-darwin",
            "ferry-aarch64-unknown-linux-musl",
            "ferry-ci.sh",
            "ferry-x86_64-apple-darwin",
            "ferry-x86_64-pc-windows-msvc.exe",
            "ferry-x86_64-unknown-linux-musl",
            "ferry.gitlab-ci.yml",
        ]
    );
    for line in sums.lines() {
        assert_eq!(&line[..64], sha256(&dist.join(&line[66..])));
    }
    let template = std::fs::read_to_string(dist.join("ferry.gitlab-ci.yml")).unwrap();
    assert!(template.contains("\n    FERRY_VERSION: \"1.2.3\"\n"));
    assert!(template.contains("\n    FERRY_REPO: \"https://github.com/acme/ferry\"\n"));
    assert_eq!(
        std::fs::read(dist.join("ferry-ci.sh")).unwrap(),
        std::fs::read(ferry_ci()).unwrap()
    );

    // A release that misses a platform is refused.
    std::fs::remove_file(dist.join("ferry-x86_64-apple-darwin")).unwrap();
    let out = sh(
        tmp.path(),
        &script,
        &["dist", "1.2.3", "https://github.com/acme/ferry"],
        &[],
    );
    assert_eq!(out.code, 1);
    assert!(out
        .stderr
        .contains("dist/ferry-x86_64-apple-darwin is missing"));
}

#[test]
fn release_check_refuses_a_tag_that_is_not_cargo_tomls_version() {
    if !have(&["cargo", "jq"]) {
        return;
    }
    let script = root().join("ci/release-check.sh");
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("sh")
            .arg(&script)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, _) = run(&[&format!("v{VERSION}")]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, format!("{VERSION}\n").as_str())
    );
    let (code, _, stderr) = run(&["v99.0.0"]);
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!(
        "tag v99.0.0 does not match Cargo.toml's version {VERSION}"
    )));
    let (code, _, _) = run(&[VERSION]); // no v
    assert_eq!(code, 1);
    // Cargo.toml's repository must be where the release is made.
    let repository = env!("CARGO_PKG_REPOSITORY");
    let (code, _, _) = run(&[&format!("v{VERSION}"), repository]);
    assert_eq!(code, 0);
    let (code, _, stderr) = run(&[&format!("v{VERSION}"), "https://github.com/someone/else"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("Cargo.toml's repository is"), "{stderr}");
}

/// The values of a YAML mapping's scalar entries (the test's own reading of the CI files).
fn yaml(path: &Path) -> yaml_rust2::Yaml {
    let text = std::fs::read_to_string(path).unwrap();
    yaml_rust2::YamlLoader::load_from_str(&text)
        .unwrap()
        .remove(0)
}

/// The GitLab template's job script, run as GitLab runs it: in the project directory, with the
/// job's variables, against a release made by ci/release-assets.sh.
#[test]
fn gitlab_template_installs_and_checks() {
    if !have(&["curl", "sha256sum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let dist = repo.join(format!("releases/download/v{VERSION}"));
    release_dist(&dist);
    let repo_url = format!("file://{}", repo.display());
    let out = sh(
        tmp.path(),
        &root().join("ci/release-assets.sh"),
        &[dist.to_str().unwrap(), VERSION, &repo_url],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The published template (stamped with this release).
    let job = &yaml(&dist.join("ferry.gitlab-ci.yml"))["ferry-check"];
    let script: Vec<&str> = job["script"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut vars: Vec<(String, String)> = job["variables"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect();
    assert!(vars.contains(&("FERRY_VERSION".into(), VERSION.into())));
    assert!(vars.contains(&("FERRY_REPO".into(), repo_url.clone())));
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    converted_project(&project);
    let job_script = project.join(".job.sh");
    std::fs::write(&job_script, script.join("\n")).unwrap();
    let project_dir = project.to_str().unwrap();
    let out = sh(&project, &job_script, &[], &job_env(&vars, project_dir));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&format!("ferry {VERSION}")));
    assert!(
        out.stderr.contains("ferry: k8s is up to date"),
        "{}",
        out.stderr
    );

    // Stale: the job fails with exit 1 and the diff in its log.
    std::fs::write(
        project.join("compose.yaml"),
        COMPOSE.replace("nginx:1.27", "nginx:1.28"),
    )
    .unwrap();
    let out = sh(&project, &job_script, &[], &job_env(&vars, project_dir));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("+          image: nginx:1.28"));

    // A tampered CI script in the release is refused before it runs.
    std::fs::write(dist.join("ferry-ci.sh"), "echo pwned\n").unwrap();
    let out = sh(&project, &job_script, &[], &job_env(&vars, project_dir));
    assert_ne!(out.code, 0);
    assert!(!out.stdout.contains("pwned"));

    // The repository's own copy names no repository: it says to set one.
    let job = &yaml(&root().join("ci/ferry.gitlab-ci.yml"))["ferry-check"];
    assert_eq!(job["variables"]["FERRY_REPO"].as_str(), Some(""));
    vars.retain(|(k, _)| k != "FERRY_REPO");
    vars.push(("FERRY_REPO".into(), String::new()));
    let out = sh(&project, &job_script, &[], &job_env(&vars, project_dir));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("set FERRY_REPO"));
}

/// The job's variables and GitLab's CI_PROJECT_DIR, as the job script sees them.
fn job_env<'a>(vars: &'a [(String, String)], project: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut e: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    e.push(("CI_PROJECT_DIR", project));
    e
}

/// A `${{ }}` expression of action.yml, for the few forms it uses.
fn eval(expr: &str, inputs: &BTreeMap<String, String>) -> String {
    let e = expr.trim();
    if let Some(name) = e.strip_prefix("inputs.") {
        if !name.contains(' ') {
            return inputs[name].clone();
        }
    }
    if e == "github.token" {
        return "gh-token".into();
    }
    // inputs.NAME == 'A' && 'B' || 'C'
    let quoted = |s: &str| s.trim().trim_matches('\'').to_string();
    if let Some((cond, rest)) = e.split_once("&&") {
        let (then, otherwise) = rest.split_once("||").unwrap();
        let (lhs, rhs) = cond.split_once("==").unwrap();
        let value = eval(lhs, inputs);
        return if value == quoted(rhs) {
            quoted(then)
        } else {
            quoted(otherwise)
        };
    }
    panic!("action.yml uses an expression this test does not evaluate: {expr}");
}

fn expand(text: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        out.push_str(&eval(&rest[start + 3..end], inputs));
        rest = &rest[end + 2..];
    }
    out + rest
}

/// action.yml's steps run as a runner runs them: each `run` in bash, with its `env` and
/// `working-directory`, GITHUB_ACTION_PATH at this checkout and the runner's files.
fn run_action(workspace: &Path, given: &[(&str, &str)], repo: &Path) -> (i32, String, String) {
    let action = yaml(&root().join("action.yml"));
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_hash().unwrap() {
        let default = spec["default"].as_str().unwrap_or_default();
        inputs.insert(name.as_str().unwrap().to_string(), default.to_string());
    }
    for (k, v) in given {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    for v in inputs.values_mut() {
        *v = expand(v, &BTreeMap::new());
    }
    let runner = workspace.join(".runner");
    std::fs::create_dir_all(&runner).unwrap();
    let summary = runner.join("summary.md");
    let path_file = runner.join("path");
    let output = runner.join("output");
    let mut path = std::env::var("PATH").unwrap();
    let mut code = 0;
    for step in action["runs"]["steps"].as_vec().unwrap() {
        assert_eq!(step["shell"].as_str(), Some("bash"));
        let dir = match step["working-directory"].as_str() {
            Some(d) => workspace.join(expand(d, &inputs)),
            None => workspace.to_path_buf(),
        };
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(expand(step["run"].as_str().unwrap(), &inputs))
            .current_dir(dir)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", workspace.join(".home"))
            .env("TMPDIR", std::env::temp_dir())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", workspace)
            .env("RUNNER_TEMP", &runner)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary);
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap(), &inputs));
            }
        }
        // The Action's default repository is its Cargo.toml's; here, the fake release.
        if inputs["repository"].is_empty() {
            cmd.env("FERRY_REPO", repo);
        }
        let out = cmd.output().unwrap();
        code = out.status.code().unwrap();
        if code != 0 {
            return (
                code,
                std::fs::read_to_string(&summary).unwrap_or_default(),
                String::from_utf8_lossy(&out.stderr).into(),
            );
        }
        // What a step adds to GITHUB_PATH is on PATH for the next ones.
        for dir in std::fs::read_to_string(&path_file)
            .unwrap_or_default()
            .lines()
        {
            path = format!("{dir}:{path}");
        }
    }
    (
        code,
        std::fs::read_to_string(&summary).unwrap_or_default(),
        std::fs::read_to_string(&output).unwrap_or_default(),
    )
}

#[test]
fn the_action_installs_checks_and_fails_exactly_when_check_fails() {
    if !have(&["bash", "sha256sum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fake_release(&repo, &ferry_bytes(), good_sums);
    let workspace = tmp.path().join("ws");
    std::fs::create_dir_all(workspace.join("deploy")).unwrap();
    converted_project(&workspace.join("deploy"));

    // (The assertions hold for the text summary and for `--format markdown`.)
    let given = [("working-directory", "deploy")];
    let (code, summary, outputs) = run_action(&workspace, &given, &repo);
    assert_eq!(code, 0, "{outputs}");
    assert!(summary.contains("up to date"), "{summary}");
    assert!(
        outputs.contains("exit-code=0\nup-to-date=true\n"),
        "{outputs}"
    );
    // The binary came from the release, into the runner's temporary directory.
    assert_eq!(
        std::fs::read(workspace.join(".runner/ferry-bin/ferry")).unwrap(),
        ferry_bytes()
    );

    std::fs::write(
        workspace.join("deploy/compose.yaml"),
        COMPOSE.replace("nginx:1.27", "nginx:1.28"),
    )
    .unwrap();
    let (code, summary, _) = run_action(&workspace, &given, &repo);
    assert_eq!(code, 1);
    assert!(summary.contains("would change"), "{summary}");
    assert!(
        summary.contains("+          image: nginx:1.28"),
        "{summary}"
    );

    // The inputs reach ferry: another output directory is missing, so stale.
    let (code, _, stderr) = run_action(
        &workspace,
        &[
            ("working-directory", "deploy"),
            ("output", "elsewhere"),
            ("args", "--strict"),
        ],
        &repo,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("convert --check -o elsewhere --strict"),
        "{stderr}"
    );
}

/// The README's CI examples use what exists: the Action's inputs, the template's variables, the
/// repository Cargo.toml names, and this version.
#[test]
fn readme_ci_examples_match_the_action_the_template_and_cargo_toml() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();

    let inputs = &yaml(&root().join("action.yml"))["inputs"];
    let action_example = blocks
        .iter()
        .find(|b| b.contains("uses: YOUR-ORG/ferry@"))
        .expect("a README example of the Action");
    let doc = yaml_rust2::YamlLoader::load_from_str(action_example).unwrap();
    let step = doc[0]["jobs"]["ferry-check"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().unwrap().starts_with("YOUR-ORG/ferry@"))
        .unwrap();
    assert_eq!(
        step["uses"].as_str(),
        Some(format!("YOUR-ORG/ferry@v{VERSION}").as_str())
    );
    for (k, _) in step["with"].as_hash().unwrap() {
        let k = k.as_str().unwrap();
        assert!(
            !inputs[k].is_badvalue(),
            "the README gives the Action an input {k} it lacks"
        );
    }

    let variables = &yaml(&root().join("ci/ferry.gitlab-ci.yml"))["ferry-check"]["variables"];
    let gitlab_example = blocks
        .iter()
        .find(|b| b.contains("ferry.gitlab-ci.yml"))
        .expect("a README example of the GitLab template");
    let doc = yaml_rust2::YamlLoader::load_from_str(gitlab_example).unwrap();
    assert_eq!(
        doc[0]["include"][0]["remote"].as_str().unwrap(),
        format!(
            "https://github.com/YOUR-ORG/ferry/releases/download/v{VERSION}/ferry.gitlab-ci.yml"
        )
    );
    for (k, _) in doc[0]["ferry-check"]["variables"].as_hash().unwrap() {
        let k = k.as_str().unwrap();
        assert!(
            !variables[k].is_badvalue(),
            "the README sets {k}, which the template lacks"
        );
    }

    // One place for where releases live, and every example at this version.
    let repository = env!("CARGO_PKG_REPOSITORY");
    assert!(readme.contains(&format!("\nFERRY_REPO={repository} ")));
    for line in readme
        .lines()
        .filter(|l| l.contains("YOUR-ORG") || l.contains("--tag v"))
    {
        let versions = line
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .filter(|t| t.split('.').count() == 3 && t.split('.').all(|n| !n.is_empty()));
        for v in versions {
            assert_eq!(v, VERSION, "{line}");
        }
    }
    assert!(readme.contains(&format!("\nversion={VERSION}\n")));
}
