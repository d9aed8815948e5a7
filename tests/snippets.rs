//! Errors and report lines show the source line they point at (snapshots of stderr): the plain
//! `file:line:col: message` line first, then the line with a caret, a second label for
//! two-place errors, and a "did you mean" as a help line. Never a line of a file that may hold
//! secrets.

use crate::support::{ferry, run_env as run, Run};

/// A project of these files; `convert --stdout` in it.
fn convert(files: &[(&str, &str)]) -> Run {
    convert_with(files, &[])
}

/// A project of these files; `convert --stdout` with more flags in it.
fn convert_with(files: &[(&str, &str)], flags: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut args = vec!["convert", "--stdout"];
    args.extend(flags);
    run(dir.path(), &args, &[])
}

/// stderr of a conversion that fails.
fn error(files: &[(&str, &str)]) -> String {
    let r = convert(files);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    r.stderr
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: [80\n"
    )]));
}

#[test]
fn duplicate_key_shows_both_places() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    command: echo one\n    environment:\n      A: b\n    command: echo two\n"
    )]));
}

#[test]
fn unknown_x_ferry_key_with_a_suggestion() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    x-ferry:\n      ingres:\n        host: a.example.com\n"
    )]));
}

#[test]
fn unknown_service_key_with_a_suggestion() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    prots: ['80']\n"
    )]));
}

/// A warning is compact: the report line, the source line, the caret (with the suggestion).
#[test]
fn unknown_service_key_warning_is_compact() {
    let r = convert_with(
        &[(
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    enviroment:\n      A: b\n    ulimits:\n      nofile: 1024\n",
        )],
        &["--allow-unknown-keys"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn interpolation_errors() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG:?TAG must be set}  # pinned\n    environment:\n      A: ${B:-x\n"
    )]));
}

/// An error in an extended file shows that file's line.
#[test]
fn error_in_an_extended_file_shows_its_line() {
    insta::assert_snapshot!(error(&[
        (
            "compose.yaml",
            "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: base\n"
        ),
        (
            "common/base.yaml",
            "services:\n  base:\n    image: nginx\n    ports:\n      - \"80:80:80:80\"\n"
        ),
    ]));
}

/// An error in an included file shows that file's line; a name defined by both files shows
/// both.
#[test]
fn errors_in_an_included_file_show_its_lines() {
    insta::assert_snapshot!(
        "included_syntax_error",
        error(&[
            (
                "compose.yaml",
                "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx\n"
            ),
            (
                "db/compose.yaml",
                "services:\n  db:\n    image: postgres\n   restart: always\n"
            ),
        ])
    );
    insta::assert_snapshot!(
        "included_name_twice",
        error(&[
            ("compose.yaml", "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx\n  db:\n    image: mysql\n"),
            ("db/compose.yaml", "services:\n  db:\n    image: postgres\n"),
        ])
    );
}

#[test]
fn names_that_collide_show_both() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  Web:\n    image: a\n  web:\n    image: b\n"
    )]));
}

/// A dependency on a service of an inactive profile points at both.
#[test]
fn dependency_on_an_inactive_profile_shows_both() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    depends_on: [debug]\n  debug:\n    image: busybox\n    profiles: [debug]\n"
    )]));
}

/// Several errors: each with its line, one after the other.
#[test]
fn several_errors_each_show_their_line() {
    insta::assert_snapshot!(error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: ['1:2:3:4']\n  api:\n    image: api\n    ports: ['5:6:7:8']\n"
    )]));
}

/// A file read from standard input is shown too.
#[test]
fn stdin_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry()
        .current_dir(dir.path())
        .args(["convert", "--stdout", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"services:\n  web:\n    image: nginx\n    image: httpd\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}

/// Lines of `.env` and env files may hold secret values: an error there is located but its
/// line is never shown, nor the value in the message.
#[test]
fn env_file_lines_are_never_shown() {
    let stderr = error(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx:${TAG}\n",
        ),
        (".env", "TAG=1\nDB_PASSWORD='hunter2\n"),
    ]);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: .env:2:"), "{stderr}");

    let stderr = error(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    env_file: web.env\n",
        ),
        ("web.env", "API_TOKEN=\"s3cr3t\n"),
    ]);
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: web.env:1:"), "{stderr}");
}

/// A compose line shows what is written there, never an interpolated value.
#[test]
fn interpolated_values_are_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: ['${SECRET_PORT}']\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET_PORT=hunter2:1:2:3\n").unwrap();
    let r = run(dir.path(), &["convert", "--stdout"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("    ports: ['${SECRET_PORT}']\n"),
        "{}",
        r.stderr
    );
    // The message itself names the value, as it did before snippets; the snippet adds only the
    // line as written.
    assert_eq!(r.stderr.matches("hunter2").count(), 1, "{}", r.stderr);
}

/// Colour as for diffs: `--color always` colours stderr, `never` and NO_COLOR do not, and auto
/// does not colour a stderr that is not a terminal.
#[test]
fn colour_follows_the_color_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: a\n    image: b\n",
    )
    .unwrap();
    let plain = run(dir.path(), &["convert"], &[]).stderr;
    assert!(!plain.contains('\x1b'), "{plain}");
    let coloured = run(dir.path(), &["--color", "always", "convert"], &[]).stderr;
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(coloured.contains("compose.yaml:4:5: duplicate key `image`"));
    let never = run(
        dir.path(),
        &["--color", "never", "convert"],
        &[("NO_COLOR", "")],
    )
    .stderr;
    assert_eq!(never, plain);
    let no_color = run(dir.path(), &["convert"], &[("NO_COLOR", "1")]).stderr;
    assert_eq!(no_color, plain);
}

/// The JSON report keeps the location as a field and no source line.
#[test]
fn json_report_keeps_locations_as_fields() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ulimits:\n      nofile: 1024\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &["--quiet", "convert", "--report-format", "json"],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let keys = &json["services"][0]["keys"];
    let ulimits = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "ulimits")
        .unwrap();
    assert_eq!(ulimits["location"], "compose.yaml:4:5");
    assert!(!r.stdout.contains("^^^"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
}

/// Every error example in the README (a `<!-- readme-example -->` marker, a yaml block whose
/// first line names the file, then a block of `$ ferry ARGS` and what it prints on stderr) is
/// what ferry prints.
#[test]
fn readme_examples_are_what_ferry_prints() {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    let blocks = |s: &str| -> Vec<String> {
        s.split("```")
            .skip(1)
            .step_by(2)
            .take(2)
            .map(|b| b.split_once('\n').map_or("", |(_, body)| body).to_string())
            .collect()
    };
    let mut seen = 0;
    for example in readme.split("<!-- readme-example -->").skip(1) {
        let [input, output] = &blocks(example)[..] else {
            panic!("an example needs a yaml block and an output block:\n{example}");
        };
        let (name, compose) = input.split_once('\n').unwrap();
        let name = name.strip_prefix("# ").unwrap();
        let (command, expected) = output.split_once('\n').unwrap();
        let args: Vec<&str> = command
            .strip_prefix("$ ferry ")
            .unwrap()
            .split(' ')
            .collect();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), compose).unwrap();
        let r = run(dir.path(), &args, &[]);
        assert_eq!(r.stderr.trim_end(), expected.trim_end(), "{command}");
        seen += 1;
    }
    assert_eq!(seen, 3, "the README's examples");
}

/// On a real terminal (util-linux `script` gives one), `auto` colours errors, unless NO_COLOR is
/// set; it asks whether stderr is a terminal, not stdout.
#[test]
fn colour_on_a_terminal_follows_stderr() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: a\n    image: b\n",
    )
    .unwrap();
    let on_tty = |command: &str, no_color: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.current_dir(dir.path())
            .args(["-qec"])
            .arg(format!("{} {command}", env!("CARGO_BIN_EXE_ferry")))
            .arg("/dev/null")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let coloured = on_tty("convert", None);
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    assert!(coloured.contains("duplicate key `image`"), "{coloured:?}");
    assert!(!on_tty("convert", Some("1")).contains('\x1b'));
    // stdout on the terminal, stderr into a file: no colour in the file.
    on_tty("convert 2>err.txt", None);
    let err = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert!(
        err.starts_with("error: compose.yaml:4:5: duplicate key"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
}

/// A compose line that may hold a secret written there (a sensitive variable, a URL with a
/// password) keeps its plain line alone; the lines around it are still shown.
#[test]
fn compose_lines_that_may_hold_a_secret_are_not_shown() {
    let r = convert(&[(
        "compose.yaml",
        "services:\n  my_db:\n    image: postgres\n  web:\n    image: app\n    environment:\n      DATABASE_URL: postgres://app:hunter2@my_db/app\n      DB_HOST: my_db\n",
    )]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml:7:7: warning: services.web.environment: DATABASE_URL: host name rewritten to the Service's name: `my_db` → `my-db` (not a valid Service name in Kubernetes)\ncompose.yaml:8:7: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("8 |       DB_HOST: my_db\n"),
        "{}",
        r.stderr
    );
    // An error on a line with a sensitive name: located, not shown.
    let stderr = error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: app\n    environment:\n      API_TOKEN: [s3cr3t]\n",
    )]);
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert!(stderr.starts_with("error: compose.yaml:5:18: "), "{stderr}");
}
