//! What `ferry convert` prints on the terminal: what a user must act on first. Warnings and
//! keys not converted are itemised with their source lines (those that say the same thing
//! grouped), ignored keys are one line; `-v` itemises everything.

use crate::support::run;

/// A self-hosting project of four services: many keys with nothing to do on Kubernetes
/// (`container_name`, `depends_on`, `networks`), three variables that are not set and one key
/// that is not converted.
const SELF_HOSTED: &str = "\
name: selfhost
services:
  app:
    image: example/app:${APP_TAG}
    container_name: app
    depends_on: [db, cache]
    networks: [front, back]
    environment:
      DB_HOST: db
      SMTP_HOST: ${SMTP_HOST}
      SMTP_USER: ${SMTP_USER}
    ports: [\"8080:80\"]
  db:
    image: postgres:16
    container_name: db
    networks: [back]
    ulimits:
      nofile: 65536
  cache:
    image: redis:7
    container_name: cache
    networks: [back]
  proxy:
    image: nginx:1.27
    container_name: proxy
    depends_on: [app]
    networks: [front]
    ports: [\"80:80\"]
networks:
  front: {}
  back: {}
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), SELF_HOSTED).unwrap();
    dir
}

#[test]
fn default_output_says_what_to_act_on() {
    let dir = project();
    let r = run(dir.path(), &["convert"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("console_default", r.stderr);
    // The ignored keys are one line; the warnings one item with every place.
    assert_eq!(r.stderr.matches("ignored").count(), 2, "{}", r.stderr);
    assert!(!r
        .stderr
        .contains("container_name: Kubernetes names pods itself"));
    for place in [
        "compose.yaml:4:12",
        "compose.yaml:10:18",
        "compose.yaml:11:18",
    ] {
        assert!(r.stderr.contains(place), "{place}: {}", r.stderr);
    }
}

#[test]
fn verbose_itemises_everything() {
    let dir = project();
    let r = run(dir.path(), &["convert", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(
        "console_verbose",
        r.stderr.replace(&*dir.path().to_string_lossy(), "[dir]")
    );
    // Every ignored key with its line, every warning with its own.
    assert_eq!(r.stderr.matches(": ignored: ").count(), 14, "{}", r.stderr);
    assert_eq!(r.stderr.matches(": warning: ${").count(), 3, "{}", r.stderr);
    assert!(!r.stderr.contains("--report lists them"));
}

/// `--report` is not changed by the quieter console: it lists every key.
#[test]
fn report_still_lists_every_key() {
    let dir = project();
    let r = run(dir.path(), &["convert", "--report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches(": ignored").count(), 12, "{}", r.stdout);
}
