//! The review summary of `ferry diff` and `convert --check`: what changes in the cluster, as
//! text, JSON and Markdown; overlays; Secrets; and Markdown that stays safe to paste whatever
//! the compose file holds (checked by rendering it with a CommonMark parser).

use crate::support::{run, run_env};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::path::Path;

fn project(compose: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    dir
}

fn convert(dir: &Path, args: &[&str]) {
    let mut all = vec!["convert"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn edit(dir: &Path, compose: &str) {
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
}

/// The text summary: the lines before the unified diff.
fn summary_of(stdout: &str) -> &str {
    stdout.split("\n\n--- ").next().unwrap_or("")
}

const SHOP: &str = "\
name: shop
services:
  web:
    image: example/web:1.4
    ports: ['8080:80', '9000:9000']
    environment:
      LOG_LEVEL: info
      TZ: UTC
";

#[test]
fn text_summary_comes_before_the_diff_and_the_diff_still_applies() {
    let dir = project(SHOP);
    convert(dir.path(), &[]);
    edit(
        dir.path(),
        &SHOP
            .replace("1.4", "1.5")
            .replace(", '9000:9000'", "")
            .replace(
                "      LOG_LEVEL: info\n      TZ: UTC\n",
                "      TZ: UTC\n      LOG_LEVEL: info\n      FEATURE_X: 'on'\n",
            ),
    );
    std::fs::write(dir.path().join("nginx.conf"), "events {}\n").unwrap();
    let compose = std::fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    edit(
        dir.path(),
        &compose.replace(
            "    environment:",
            "    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro']\n    environment:",
        ),
    );
    let r = run(dir.path(), &["diff"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // LOG_LEVEL moved: no change. The ports are named by number, the new mount and volume by
    // their own keys.
    assert_eq!(
        summary_of(&r.stdout),
        "\
Deployment/web            image         example/web:1.4 → example/web:1.5
                          ports         − 9000/TCP
                          env           + FEATURE_X=on
                          volumeMounts  + /etc/nginx/nginx.conf
                          volumes       + web-nginx-conf
ConfigMap/web-nginx-conf  new
Service/web               ports         − 9000/TCP"
    );
    // `patch` skips the summary, as it skips any text before a diff.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir.path().join("k8s")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, copy.path().join(p.file_name().unwrap())).unwrap();
    }
    let mut patch = std::process::Command::new("patch")
        .args(["-p1", "-s", "-d"])
        .arg(copy.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("patch(1) is installed");
    std::io::Write::write_all(patch.stdin.as_mut().unwrap(), r.stdout.as_bytes()).unwrap();
    assert!(patch.wait().unwrap().success());
    convert(dir.path(), &[]);
    for entry in std::fs::read_dir(dir.path().join("k8s")).unwrap() {
        let p = entry.unwrap().path();
        let patched = std::fs::read(copy.path().join(p.file_name().unwrap())).unwrap();
        assert_eq!(patched, std::fs::read(&p).unwrap(), "{}", p.display());
    }
    // Up to date: nothing on stdout.
    let r = run(dir.path(), &["diff"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
}

#[test]
fn json_gives_each_object_and_field_path() {
    let dir = project(SHOP);
    convert(dir.path(), &[]);
    edit(
        dir.path(),
        &SHOP.replace("LOG_LEVEL: info", "LOG_LEVEL: warn"),
    );
    let r = run(dir.path(), &["convert", "--check", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["objects"],
        serde_json::json!([{
            "environment": null,
            "object": "Deployment/web",
            "kind": "Deployment",
            "name": "web",
            "change": "changed",
            "fields": [{
                "path": "spec.template.spec.containers[web].env[LOG_LEVEL].value",
                "field": "env[LOG_LEVEL]",
                "change": "changed",
                "old": "info",
                "new": "warn"
            }]
        }])
    );
}

const OVERLAYS: &str = "\
services:
  api:
    image: example/api:1.4
    x-ferry:
      overlays:
        dev:
          env: {LOG_LEVEL: debug}
        prod:
          replicas: 4
          image: registry.example.com/api:1.4.2
";

/// Each overlay's objects are compared as kustomize builds them: a change of the base shows
/// where it reaches (dev), not where the overlay sets the field itself (prod), and a change of
/// one overlay shows in that overlay only.
#[test]
fn overlays_are_compared_as_built() {
    let dir = project(OVERLAYS);
    let both = ["--overlay", "dev", "--overlay", "prod"];
    convert(dir.path(), &both);
    edit(
        dir.path(),
        &OVERLAYS
            .replace("image: example/api:1.4", "image: example/api:1.5")
            .replace("replicas: 4", "replicas: 5"),
    );
    let r = run(
        dir.path(),
        &["diff", "--overlay", "dev", "--overlay", "prod"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        summary_of(&r.stdout),
        "\
base, dev  Deployment/api  image     example/api:1.4 → example/api:1.5
prod       Deployment/api  replicas  4 → 5"
    );
    let json = run(
        dir.path(),
        &[
            "diff",
            "--overlay",
            "dev",
            "--overlay",
            "prod",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let got: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o["environment"],
                o["object"].as_str().unwrap(),
                o["fields"][0]["field"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "null Deployment/api image",
            "\"dev\" Deployment/api image",
            "\"prod\" Deployment/api replicas"
        ]
    );
    // An overlay no longer asked for is removed as a whole.
    let r = run(dir.path(), &["diff", "--overlay", "dev"]);
    assert!(
        summary_of(&r.stdout).ends_with("prod: removed (2 objects)"),
        "{}",
        r.stdout
    );
}

/// Secret values never show: not a literal Secret's data, not the data of a Secret kustomize
/// generates from git-ignored files, in no format.
#[test]
fn secret_values_are_never_shown() {
    let compose = "\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: literal-one
  app:
    image: example/app:1
    environment:
      API_TOKEN: ${API_TOKEN}
";
    let dir = project(compose);
    std::fs::write(dir.path().join(".env"), "API_TOKEN=envtoken-one\n").unwrap();
    convert(dir.path(), &[]);
    edit(dir.path(), &compose.replace("literal-one", "literal-two"));
    std::fs::write(dir.path().join(".env"), "API_TOKEN=envtoken-two\n").unwrap();
    for format in ["text", "json", "markdown"] {
        let r = run(dir.path(), &["diff", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        for secret in [
            "literal-one",
            "literal-two",
            "envtoken-one",
            "envtoken-two",
            "bGl0ZXJhbC1vbmU",
            "bGl0ZXJhbC10d28",
        ] {
            assert!(
                !r.stdout.contains(secret),
                "{format}: {secret} shown:\n{}",
                r.stdout
            );
            assert!(
                !r.stderr.contains(secret),
                "{format}: {secret} shown:\n{}",
                r.stderr
            );
        }
        if format == "text" {
            assert_eq!(
                summary_of(&r.stdout),
                "\
Secret/db-env   data.POSTGRES_PASSWORD  changed
Secret/app-env  data.API_TOKEN          changed"
            );
        }
    }
    // A fresh checkout has no secret files: they are no change, as in the diff.
    std::fs::remove_dir_all(dir.path().join("k8s/secrets")).unwrap();
    let r = run(dir.path(), &["diff"]);
    assert_eq!(
        summary_of(&r.stdout),
        "Secret/db-env  data.POSTGRES_PASSWORD  changed"
    );
}

/// Values that try to break out of the Markdown: an HTML end tag, a script, backtick fences, a
/// table pipe, a mention, a file name with markup.
const HOSTILE: &str = r#"
name: shop
services:
  web:
    image: example/web:1.4
    environment:
      NOTE: "</details><script>alert(1)</script>"
      FENCE: "``` `` ````"
      PIPE: "a | b | <img src=x onerror=alert(1)>"
      MENTION: "@everyone [link](javascript:alert(1)) *bold*"
    volumes: ['./page.md:/srv/page.md:ro']
"#;

const HOSTILE_FILE: &str = "# notes\n````\n</details>\n<script>alert(2)</script>\n```\n| a | b |\n";

fn hostile_project() -> tempfile::TempDir {
    let dir = project("name: shop\nservices:\n  web:\n    image: example/web:1.3\n");
    convert(dir.path(), &[]);
    edit(dir.path(), HOSTILE);
    std::fs::write(dir.path().join("page.md"), HOSTILE_FILE).unwrap();
    // A stale generated file whose very name is markup.
    std::fs::write(
        dir.path()
            .join("k8s/x<b>y<img src=z onerror=alert(3)>.yaml"),
        "# Generated by ferry from compose.yaml.\nkind: ConfigMap\n",
    )
    .unwrap();
    dir
}

/// What the Markdown renders to: the HTML, how many `<details>`, the raw HTML it holds, and its
/// diff code blocks.
struct Rendered {
    html: String,
    raw_html: Vec<String>,
    diff_blocks: usize,
    table_rows: usize,
}

fn render(markdown: &str) -> Rendered {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES);
    let events: Vec<Event<'_>> = parser.collect();
    let mut raw_html = Vec::new();
    let mut diff_blocks = 0;
    let mut table_rows = 0;
    for e in &events {
        match e {
            Event::Html(h) | Event::InlineHtml(h) => raw_html.push(h.to_string()),
            Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(lang)))
                if lang.as_ref() == "diff" =>
            {
                diff_blocks += 1
            }
            Event::End(TagEnd::TableRow) => table_rows += 1,
            _ => {}
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html,
        raw_html,
        diff_blocks,
        table_rows,
    }
}

#[test]
fn markdown_is_safe_whatever_the_compose_file_holds() {
    let dir = hostile_project();
    let r = run(dir.path(), &["diff", "--format", "markdown"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("markdown_hostile", r.stdout);
    let files = r.stdout.matches("\n<details>\n").count()
        + usize::from(r.stdout.starts_with("<details>\n"));
    let changed = run(dir.path(), &["diff", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&changed.stdout).unwrap();
    let n = ["added", "changed", "removed"]
        .iter()
        .map(|k| v[k].as_array().unwrap().len())
        .sum::<usize>();
    assert_eq!(files, n);
    let out = render(&r.stdout);
    // One <details> per changed file, each holding its diff in a `diff` code block.
    assert_eq!(out.html.matches("<details>").count(), n, "{}", out.html);
    assert_eq!(out.html.matches("</details>").count(), n, "{}", out.html);
    assert_eq!(out.diff_blocks, n);
    // The only raw HTML is ferry's own: <details>, </details>, and a <summary> line whose path
    // is escaped text.
    for h in &out.raw_html {
        let h = h.trim_end();
        let ours = h == "<details>"
            || h == "</details>"
            || (h.starts_with("<summary><code>")
                && h.ends_with("</summary>")
                && h.matches('<').count() == 4
                && h.matches('>').count() == 4);
        assert!(ours, "raw HTML from the content: {h:?}");
    }
    for bad in ["<script", "<img", "<b>", "</details><"] {
        assert!(!out.html.contains(bad), "{bad} in:\n{}", out.html);
    }
    // The table: header row and one row per change, each value in code.
    assert_eq!(out.table_rows, 9, "{}", out.html);
    assert!(
        out.html
            .contains("<code>NOTE=&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code>"),
        "{}",
        out.html
    );
    assert!(
        out.html
            .contains("<code>PIPE=a | b | &lt;img src=x onerror=alert(1)&gt;</code>"),
        "{}",
        out.html
    );
    assert!(
        out.html.contains("<code>FENCE=``` `` ````</code>"),
        "{}",
        out.html
    );
    assert!(
        out.html
            .contains("<code>MENTION=@everyone [link](javascript:alert(1)) *bold*</code>"),
        "{}",
        out.html
    );
}

#[test]
fn markdown_caps_what_it_inlines_and_says_so() {
    let mut compose = String::from("services:\n");
    for i in 0..150 {
        compose.push_str(&format!("  s{i:03}:\n    image: example/s:1\n"));
    }
    let dir = project("services:\n  s000:\n    image: example/s:0\n");
    convert(dir.path(), &[]);
    edit(dir.path(), &compose);
    let r = run(dir.path(), &["diff", "--format", "markdown"]);
    assert_eq!(r.code, 1);
    let out = render(&r.stdout);
    // 150 Deployments and 149 Services change; the table shows 100 rows and says how many
    // more there are.
    assert_eq!(out.table_rows, 100);
    assert!(
        r.stdout
            .contains("_199 more changes not shown; `ferry diff` lists them all._"),
        "{}",
        r.stdout
    );
    // 300 files change; 100 get a section, and the diffs stop at the size limit.
    assert_eq!(out.html.matches("<details>").count(), 100);
    assert!(r
        .stdout
        .contains("_200 more files not shown; `ferry diff` shows them._"));
    assert!(r
        .stdout
        .contains("_Diff not inlined: the others used the room; `ferry diff` shows it._"));
    assert!(r.stdout.len() < 65_536, "{} bytes", r.stdout.len());
    // Up to date: one line.
    convert(dir.path(), &[]);
    let r = run(dir.path(), &["diff", "--format", "markdown"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "### ferry: `k8s` is up to date (301 files)\n");
}

/// The contract of the CI templates: Markdown on stdout, and `--check`'s exit codes (0 up to
/// date, 1 stale, 3 conversion error).
#[test]
fn markdown_keeps_the_exit_codes_of_check() {
    let dir = project(SHOP);
    let md = ["convert", "--check", "--format", "markdown"];
    assert_eq!(run(dir.path(), &md).code, 1);
    convert(dir.path(), &[]);
    let r = run(dir.path(), &md);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("### ferry: `k8s` is up to date"));
    edit(dir.path(), "services:\n  web:\n    image: [\n");
    let r = run_env(dir.path(), &md, &[]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout, "");
}

/// The README's review section shows what ferry prints: its two compose files, converted and
/// changed, give its text summary (and the start of the diff) and its Markdown, exactly.
#[test]
fn readme_review_examples_are_what_ferry_prints() {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    let section = readme
        .split("### Review in the pull request")
        .nth(1)
        .unwrap()
        .split("\n### JSON for bots")
        .next()
        .unwrap();
    let yaml_block = |first_line: &str| {
        let at = section.find(first_line).unwrap() + first_line.len() + 1;
        section[at..].split("```").next().unwrap().to_string()
    };
    let before = yaml_block("# compose.yaml, committed with k8s/");
    let after = yaml_block("# compose.yaml, changed");
    let block = |marker: &str, fence: &str| {
        let rest = section.split(marker).nth(1).unwrap();
        let body = rest.split_once(fence).unwrap().1;
        let body = body.split_once('\n').unwrap().1;
        body.split(&format!("\n{fence}\n"))
            .next()
            .unwrap()
            .to_string()
            + "\n"
    };
    let text = block("<!-- readme-review-example: text -->", "```");
    let markdown = block("<!-- readme-review-example: markdown -->", "````");

    let dir = project(&before);
    convert(dir.path(), &[]);
    edit(dir.path(), &after);
    let r = run(dir.path(), &["diff"]);
    let (command, shown) = text.split_once('\n').unwrap();
    assert_eq!(command, "$ ferry diff");
    let shown = shown.strip_suffix("...\n").unwrap();
    assert!(
        r.stdout.starts_with(shown),
        "README:\n{shown}\nferry:\n{}",
        r.stdout
    );
    let r = run(dir.path(), &["diff", "--format", "markdown"]);
    assert_eq!(r.stdout, markdown);
}

/// Environments made from compose override files (`x-ferry: {environments}`): each overlay's
/// objects are built and compared, so a change of the base file alone shows in the
/// environments it reaches ("prod: replicas 3 → 4"), and not in one that sets the field itself.
#[test]
fn environments_show_what_a_change_of_the_base_does_to_each() {
    let base = "\
name: shop
services:
  web:
    image: example/web:1.4
    deploy:
      replicas: 3
x-ferry:
  environments:
    prod: compose.prod.yaml
    staging: compose.staging.yaml
";
    let dir = project(base);
    std::fs::write(
        dir.path().join("compose.prod.yaml"),
        "services:\n  web:\n    image: example/web:1.4.2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compose.staging.yaml"),
        "services:\n  web:\n    deploy:\n      replicas: 1\n",
    )
    .unwrap();
    convert(dir.path(), &[]);
    // Only the base file changes.
    edit(dir.path(), &base.replace("replicas: 3", "replicas: 4"));
    let r = run(dir.path(), &["diff"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        summary_of(&r.stdout),
        "base, prod  Deployment/web  replicas  3 → 4"
    );
    // The diff itself is of base/ alone.
    assert!(r.stdout.contains("--- a/base/web-deployment.yaml"));
    assert!(!r.stdout.contains("--- a/overlays/"));
    // An environment's own file changes that environment only.
    convert(dir.path(), &[]);
    std::fs::write(
        dir.path().join("compose.prod.yaml"),
        "services:\n  web:\n    image: example/web:1.5.0\n",
    )
    .unwrap();
    let r = run(dir.path(), &["diff", "--format", "markdown"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "| in | object | field | change |\n| --- | --- | --- | --- |\n\
             | `prod` | `Deployment/web` | `image` | `example/web:1.4.2` → `example/web:1.5.0` |\n"
        ),
        "{}",
        r.stdout
    );
}
