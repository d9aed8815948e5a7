//! The binary: exit codes, messages with locations, nothing written on error.

use crate::support::{ferry, read_tree, root, run as run_in};
use std::path::Path;

/// A project directory holding `compose.yaml` with `text`.
fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    dir
}

/// Convert must fail with exit 1, print `expected` on stderr, and write nothing.
fn fails_with(text: &str, expected: &str) {
    let dir = project(text);
    let r = run_in(dir.path(), &["convert"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains(expected),
        "expected {expected:?} in:\n{}",
        r.stderr
    );
    assert!(
        !dir.path().join("k8s").exists(),
        "an output directory was created on error"
    );
}

#[test]
fn converts_into_k8s_by_default_and_exits_0() {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n");
    let r = run_in(dir.path(), &["convert"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let files: Vec<String> = read_tree(&dir.path().join("k8s"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        files,
        [
            "kustomization.yaml",
            "web-deployment.yaml",
            "web-service.yaml"
        ]
    );
    assert!(
        r.stderr
            .contains("ferry: 2 objects in k8s (3 changed, 0 unchanged)"),
        "{}",
        r.stderr
    );
}

#[test]
fn second_run_changes_nothing() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    assert_eq!(run_in(dir.path(), &["convert"]).code, 0);
    let r = run_in(dir.path(), &["convert"]);
    assert!(
        r.stderr.contains("(0 changed, 3 unchanged)"),
        "{}",
        r.stderr
    );
}

#[test]
fn stdout_prints_one_stream_and_writes_nothing() {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n");
    let r = run_in(dir.path(), &["convert", "--stdout"]);
    assert_eq!(r.code, 0);
    assert!(!dir.path().join("k8s").exists());
    // Service before Deployment (apply order), no kustomization in the stream.
    let kinds: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("kind:"))
        .collect();
    assert_eq!(kinds, ["kind: Service", "kind: Deployment"]);
    assert_eq!(r.stdout.matches("---\n").count(), 2);
    assert!(crate::support::k8s_schema::validate_yaml(&r.stdout).is_empty());
}

#[test]
fn stdout_and_output_conflict_is_usage_error() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    let r = run_in(dir.path(), &["convert", "--stdout", "-o", "x"]);
    assert_eq!(r.code, 2);
}

#[test]
fn unknown_flag_is_usage_error() {
    let r = run_in(&root(), &["convert", "--no-such-flag"]);
    assert_eq!(r.code, 2);
}

#[test]
fn missing_compose_file_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), &["convert"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no compose file in"), "{}", r.stderr);
    assert!(r
        .stderr
        .contains("compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml"));
}

#[test]
fn discovers_docker_compose_yml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  a:\n    image: x\n",
    )
    .unwrap();
    assert_eq!(run_in(dir.path(), &["convert"]).code, 0);
    assert!(dir.path().join("k8s/a-deployment.yaml").is_file());
}

#[test]
fn help_documents_every_flag() {
    let r = run_in(&root(), &["convert", "--help"]);
    assert_eq!(r.code, 0);
    for flag in [
        "--file",
        "--project-name",
        "--output",
        "--stdout",
        "--report",
        "--report-format",
        "--strict",
        "--network-policies",
        "--volume-size",
        "--bind-mounts",
        "--namespace",
    ] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains(flag))
            .unwrap_or_else(|| panic!("{flag} missing"));
        assert!(
            line.trim().len() > flag.len() + 8 || r.stdout.contains(flag),
            "{flag} has no help"
        );
    }
}

#[test]
fn version_flag() {
    let r = run_in(&root(), &["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("ferry "));
}

#[test]
fn malformed_yaml_points_at_line_and_column() {
    fails_with(
        "services:\n  web:\n    image: [nginx\n",
        "compose.yaml:4:1: invalid YAML",
    );
}

#[test]
fn duplicate_key_is_error_with_both_places() {
    fails_with(
        "services:\n  web:\n    image: a\n    image: b\n",
        "compose.yaml:4:5: duplicate key `image` (first defined at line 3, column 5)",
    );
}

#[test]
fn ports_as_number_is_type_error() {
    fails_with(
        "services:\n  web:\n    image: a\n    ports: 80\n",
        "compose.yaml:4:12: services.web.ports: expected a list, found `80`",
    );
}

#[test]
fn replicas_as_word_is_type_error() {
    fails_with(
        "services:\n  web:\n    image: a\n    deploy:\n      replicas: two\n",
        "compose.yaml:5:17: services.web.deploy.replicas: expected a whole number (0 or more), found `two`",
    );
}

#[test]
fn invalid_port_string_is_error() {
    fails_with(
        "services:\n  web:\n    image: a\n    ports:\n      - \"80:eighty\"\n",
        "compose.yaml:5:9: services.web.ports[0]: `80:eighty` is not a port mapping",
    );
}

#[test]
fn missing_env_file_is_error() {
    fails_with(
        "services:\n  web:\n    image: a\n    env_file: missing.env\n",
        "compose.yaml:4:15: services.web.env_file: `missing.env` does not exist",
    );
}

#[test]
fn env_file_outside_project_is_refused() {
    fails_with(
        "services:\n  web:\n    image: a\n    env_file: ../../../../etc/passwd\n",
        "outside the project directory",
    );
}

#[test]
fn several_errors_are_all_reported() {
    let dir = project(
        "services:\n  a:\n    image: x\n    ports: 80\n  b:\n    image: y\n    scale: many\n",
    );
    let r = run_in(dir.path(), &["convert"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("compose.yaml:4:12"), "{}", r.stderr);
    assert!(r.stderr.contains("compose.yaml:7:12"), "{}", r.stderr);
}

#[test]
fn service_without_image_or_build_is_error() {
    fails_with(
        "services:\n  web:\n    ports: ['80']\n",
        "compose.yaml:2:3: services.web: has neither `image` nor `build`",
    );
}

#[test]
fn undeclared_volume_is_error() {
    fails_with(
        "services:\n  web:\n    image: a\n    volumes: ['data:/data']\n",
        "compose.yaml:4:15: services.web.volumes: refers to the volume `data`",
    );
}

#[test]
fn names_colliding_after_sanitising_is_error_naming_both() {
    fails_with(
        "services:\n  my_db:\n    image: a\n  my-db:\n    image: b\n",
        "services `my-db` and `my_db` (at compose.yaml:2:3) both become `my-db` in Kubernetes",
    );
}

#[test]
fn required_variable_missing_is_error_naming_it() {
    fails_with(
        "services:\n  web:\n    image: \"nginx:${TAG:?set TAG to the release}\"\n",
        "compose.yaml:3:12: required variable TAG is missing a value: set TAG to the release",
    );
}

#[test]
fn unknown_service_key_is_error_with_suggestion() {
    fails_with(
        "services:\n  web:\n    image: a\n    prots: ['80']\n    x-team: payments\n",
        "error: compose.yaml:4:5: services.web.prots: unknown key `prots`\n  |\n4 |     prots: ['80']\n  |     ^^^^^\n  |\n  = help: did you mean `ports`?\n",
    );
}

#[test]
fn unknown_nested_and_top_level_keys_are_errors() {
    fails_with(
        "services:\n  web:\n    image: a\n    logging:\n      drivre: json-file\n",
        "error: compose.yaml:5:7: services.web.logging.drivre: unknown key `drivre`\n  |\n5 |       drivre: json-file\n  |       ^^^^^^\n  |\n  = help: did you mean `driver`?\n",
    );
    fails_with(
        "services:\n  web:\n    image: a\nvolumse: {}\n",
        "error: compose.yaml:4:1: volumse: unknown key `volumse`\n  |\n4 | volumse: {}\n  | ^^^^^^^\n  |\n  = help: did you mean `volumes`?\n",
    );
}

#[test]
fn allow_unknown_keys_downgrades_them_to_warnings() {
    let dir = project("services:\n  web:\n    image: a\n    enviroment:\n      A: b\n");
    let r = run_in(dir.path(), &["convert", "--stdout", "--allow-unknown-keys"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml:4:5: warning: services.web.enviroment: unknown key `enviroment`\n  |\n4 |     enviroment:\n  |     ^^^^^^^^^^ help: did you mean `environment`?\n"),
        "{}",
        r.stderr
    );
}

/// A project with no service to run (only volumes and networks, or every service behind an
/// inactive profile) is valid, as under docker compose: convert says so and writes nothing;
/// config prints it.
#[test]
fn project_without_services_has_nothing_to_run() {
    for text in [
        "volumes:\n  data: {}\nnetworks:\n  back: {}\n",
        "services:\n  debug:\n    image: busybox\n    profiles: [debug]\n",
    ] {
        let dir = project(text);
        let r = run_in(dir.path(), &["convert"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("ferry: nothing to run: the project has no service to run (none is defined, or every one is behind an inactive profile); nothing was written"),
            "{}",
            r.stderr
        );
        assert!(!dir.path().join("k8s").exists());
        let r = run_in(dir.path(), &["convert", "--stdout"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    }
    // What docker compose prints: no services, and what no service uses left out.
    for text in [
        "volumes:\n  data: {}\nnetworks:\n  back: {}\n",
        "services:\n  debug:\n    image: busybox\n    profiles: [debug]\n",
    ] {
        let dir = project(text);
        let r = run_in(dir.path(), &["config", "-p", "demo"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "name: demo\nservices: {}\n");
    }
}

#[test]
fn empty_file_is_error() {
    fails_with("", "compose.yaml: the file is empty");
}

#[test]
fn list_at_top_is_error() {
    fails_with(
        "- a\n- b\n",
        "compose.yaml:1:1: a compose file must be a mapping",
    );
}

#[test]
fn error_leaves_existing_output_untouched() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    assert_eq!(run_in(dir.path(), &["convert"]).code, 0);
    let before = read_tree(&dir.path().join("k8s"));
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: 80\n  db:\n    image: x\n",
    )
    .unwrap();
    assert_eq!(run_in(dir.path(), &["convert"]).code, 1);
    assert_eq!(read_tree(&dir.path().join("k8s")), before);
}

#[test]
fn project_name_flag_and_top_level_name() {
    let dir = project("name: shop\nservices:\n  web:\n    image: nginx\n");
    let r = run_in(dir.path(), &["convert", "--stdout"]);
    assert!(r.stdout.contains("app.kubernetes.io/part-of: shop"));
    let r = run_in(dir.path(), &["convert", "--stdout", "-p", "other"]);
    assert!(r.stdout.contains("app.kubernetes.io/part-of: other"));
    let r = run_in(dir.path(), &["convert", "--stdout", "-p", "Bad Name"]);
    assert_eq!(r.code, 2);
}

#[test]
fn project_name_from_directory_is_normalised() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("My_Project.v2");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n",
    )
    .unwrap();
    let r = run_in(&dir, &["convert", "--stdout"]);
    assert!(
        r.stdout.contains("app.kubernetes.io/part-of: my-projectv2"),
        "{}",
        r.stdout
    );
}

#[test]
fn config_prints_canonical_project() {
    let dir = project(
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    environment: [A=1]\n",
    );
    let r = run_in(dir.path(), &["config", "-p", "demo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = "name: demo\nnetworks:\n  default:\n    name: demo_default\nservices:\n  web:\n    environment:\n      A: \"1\"\n    image: nginx\n    networks:\n      default: null\n    ports:\n      - mode: ingress\n        protocol: tcp\n        published: \"8080\"\n        target: 80\n";
    assert_eq!(r.stdout, expected);
}

#[test]
fn config_reads_stdin_with_dash() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ferry()
        .current_dir(dir.path())
        .args(["config", "-f", "-", "-p", "x"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"services:\n  a:\n    image: from-stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("image: from-stdin"));
}

#[test]
fn profile_and_env_file_flags() {
    let dir = project("services:\n  web:\n    image: \"nginx:${TAG}\"\n  dbg:\n    image: x\n    profiles: [debug]\n");
    std::fs::write(dir.path().join("vars.env"), "TAG=1.27\n").unwrap();
    let r = run_in(
        dir.path(),
        &[
            "convert",
            "--stdout",
            "--env-file",
            "vars.env",
            "--profile",
            "debug",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("image: nginx:1.27"));
    assert!(r.stdout.contains("name: dbg"));
    let r = run_in(
        dir.path(),
        &["convert", "--stdout", "--env-file", "vars.env"],
    );
    assert!(!r.stdout.contains("name: dbg"));
    assert!(
        r.stderr
            .contains("services.dbg: not converted: none of its profiles (debug) is active"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_env_file_flag_is_usage_error() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    let r = run_in(dir.path(), &["convert", "--env-file", "nope.env"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("env file nope.env not found"),
        "{}",
        r.stderr
    );
}

#[test]
fn schema_error_in_unconverted_key_is_located() {
    fails_with(
        "services:\n  web:\n    image: a\n    cap_add: NET_ADMIN\n",
        "compose.yaml:4:14: services.web.cap_add: expected a list, found `NET_ADMIN`",
    );
}

/// A project with a templates directory holding `files`; convert must fail with exit 1,
/// print every `expected` piece, and write nothing.
fn template_fails_with(files: &[(&str, &str)], expected: &[&str]) {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n");
    for (name, text) in files {
        let p = dir.path().join("tpl").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let r = run_in(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    for e in expected {
        assert!(r.stderr.contains(e), "expected {e:?} in:\n{}", r.stderr);
    }
    assert!(!dir.path().join("k8s").exists());
}

#[test]
fn template_syntax_error_names_file_and_line() {
    template_fails_with(
        &[(
            "deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\n{% if %}\n",
        )],
        &["template tpl/deployment.yaml:3:"],
    );
}

/// Objects are rendered while later services are still translated (on a second thread), but a
/// translation error is what the user sees, as when everything was translated first; a render
/// error with no translation error is reported as it is.
#[test]
fn translation_error_wins_over_a_render_error() {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n  api:\n    image: api\n    x-ferry:\n      autoscale: {min: 2}\n");
    let tpl = dir.path().join("tpl");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(tpl.join("service.yaml"), "{{ object.nope.nope }}\n").unwrap();
    let r = run_in(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("needs `max`"), "{}", r.stderr);
    assert!(!r.stderr.contains("tpl/service.yaml"), "{}", r.stderr);
    // A template that does not even load (found before translating) loses to it too.
    std::fs::write(tpl.join("service.yaml"), "{% if %}\n").unwrap();
    let r = run_in(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("needs `max`"), "{}", r.stderr);
    assert!(!r.stderr.contains("tpl/service.yaml"), "{}", r.stderr);
    std::fs::write(tpl.join("service.yaml"), "{{ object.nope.nope }}\n").unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    )
    .unwrap();
    let r = run_in(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("template tpl/service.yaml"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("k8s").exists());
}

#[test]
fn template_undefined_variable_is_error() {
    template_fails_with(
        &[("service.yaml", "{{ header }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ object.metadata.nmae }}\n")],
        &["template tpl/service.yaml:5:", "undefined"],
    );
}

#[test]
fn template_rendering_invalid_yaml_is_error() {
    template_fails_with(
        &[(
            "service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: [x\n",
        )],
        &["template tpl/service.yaml: rendered invalid YAML"],
    );
}

#[test]
fn template_rendering_document_without_name_is_error() {
    template_fails_with(
        &[("service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {}\n")],
        &["template tpl/service.yaml: rendered a document without apiVersion, kind or metadata.name"],
    );
}

#[test]
fn template_rendering_duplicate_kind_and_name_is_error() {
    template_fails_with(
        &[("project/extra.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n")],
        &["template tpl/project/extra.yaml: rendered Service `web` (line 1 of its output), which service.yaml already rendered (line 2 of its output)"],
    );
}

#[test]
fn unknown_template_file_is_usage_error() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    std::fs::create_dir(dir.path().join("tpl")).unwrap();
    std::fs::write(dir.path().join("tpl/deploymnet.yaml"), "x").unwrap();
    let r = run_in(dir.path(), &["convert", "--templates", "tpl"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("tpl/deploymnet.yaml: not a built-in template name"),
        "{}",
        r.stderr
    );
}

#[test]
fn templates_list_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), &["templates", "list"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("deployment.yaml"));
    assert!(r.stdout.contains("each Deployment"));
    let r = run_in(dir.path(), &["templates", "export", "tpl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("tpl/deployment.yaml").is_file());
    // Exporting again does not overwrite without --force.
    let r = run_in(dir.path(), &["templates", "export", "tpl"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--force"));
    assert_eq!(
        run_in(dir.path(), &["templates", "export", "tpl", "--force"]).code,
        0
    );
}

#[test]
fn exported_templates_render_identically() {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    env_file: a.env\n    restart: 'no'\n");
    std::fs::write(dir.path().join("a.env"), "A=1\n").unwrap();
    assert_eq!(run_in(dir.path(), &["templates", "export", "tpl"]).code, 0);
    let a = run_in(dir.path(), &["convert", "--stdout"]).stdout;
    let b = run_in(dir.path(), &["convert", "--stdout", "--templates", "tpl"]).stdout;
    assert_eq!(a, b);
}

/// `compose` (the canonical project, made only when a template reads it), `service` and
/// `objects` reach user templates with their values.
#[test]
fn templates_read_compose_service_and_objects() {
    let dir = project(
        "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n  db:\n    image: postgres\n",
    );
    std::fs::create_dir_all(dir.path().join("tpl/project")).unwrap();
    std::fs::write(
        dir.path().join("tpl/project/summary.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: summary\ndata:\n  project: {{ compose.name | quote }}\n  services: {{ compose.services | list | join(',') | quote }}\n  web-image: {{ compose.services.web.image | quote }}\n  kinds: {{ objects | map(attribute='kind') | join(',') | quote }}\n  first-port: {{ (objects | selectattr('kind', 'eq', 'Service') | first).spec.ports[0].port | string | quote }}\n",
    )
    .unwrap();
    let r = run_in(
        dir.path(),
        &["convert", "--stdout", "--templates", "tpl", "-q"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "project: shop\n",
        "services: db,web\n",
        "web-image: nginx:1.27\n",
        "kinds: Deployment,Service,Deployment,Service\n",
        "first-port: \"80\"\n",
    ] {
        assert!(r.stdout.contains(want), "{want:?} not in\n{}", r.stdout);
    }
}

/// A volume shared by many services is one warning that names ten of them.
#[test]
fn shared_volume_warning_lists_ten_services() {
    let mut compose = String::from("services:\n");
    for i in 0..12 {
        compose.push_str(&format!(
            "  s{i:02}:\n    image: a\n    volumes: ['data:/d']\n"
        ));
    }
    compose.push_str("volumes:\n  data: {}\n");
    let dir = project(&compose);
    let r = run_in(dir.path(), &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "mounted by s00, s01, s02, s03, s04, s05, s06, s07, s08, s09 and 2 more: the claim is ReadWriteOnce"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn overlay_setting_typo_is_error_with_suggestion() {
    fails_with_args(
        "services:\n  web:\n    image: a\n    x-ferry:\n      overlays:\n        prod:\n          replica: 3\n",
        &["convert", "--overlay", "prod"],
        "compose.yaml:7:11: services.web.x-ferry.overlays.prod: unknown overlay setting `replica`; did you mean `replicas`?",
    );
}

#[test]
fn invalid_overlay_name_is_usage_error() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    let r = run_in(dir.path(), &["convert", "--overlay", "../x"]);
    assert_eq!(r.code, 2);
}

fn fails_with_args(text: &str, args: &[&str], expected: &str) {
    let dir = project(text);
    let r = run_in(dir.path(), args);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains(expected),
        "expected {expected:?} in:\n{}",
        r.stderr
    );
    assert!(!dir.path().join("k8s").exists());
}

/// A project with a secret file, an unconverted key (`ulimits`) and an ignored one
/// (`depends_on`).
const REPORTED: &str = "services:
  web:
    image: nginx
    ports: ['80:80']
    depends_on: [db]
    ulimits:
      nofile: 1024
    secrets: [token]
  db:
    image: postgres
secrets:
  token:
    file: token.txt
";

/// The secret's content: it must never reach stdout or stderr.
const SECRET: &str = "hunter2-very-secret";

fn reported_project() -> tempfile::TempDir {
    let dir = project(REPORTED);
    std::fs::write(dir.path().join("token.txt"), SECRET).unwrap();
    dir
}

#[test]
fn report_lists_every_key_with_what_it_became() {
    let dir = reported_project();
    let r = run_in(dir.path(), &["convert", "--report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "services.web → Deployment/web, Service/web",
        "  image (compose.yaml:3:5): converted",
        "      → container image",
        "  ulimits (compose.yaml:6:5): not converted",
        "      - Kubernetes has no per-container ulimits",
        "  depends_on (compose.yaml:5:5): ignored",
        "  secrets (compose.yaml:8:5): converted",
        "  secrets.token (compose.yaml:12:3): converted",
        "summary: ",
    ] {
        assert!(
            r.stdout.contains(want),
            "{want:?} missing in:\n{}",
            r.stdout
        );
    }
    assert!(dir.path().join("k8s/web-deployment.yaml").is_file());
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
}

#[test]
fn report_format_json_is_machine_readable() {
    let dir = reported_project();
    let r = run_in(dir.path(), &["convert", "--report-format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let web = &v["services"][0];
    assert_eq!(web["name"], "web");
    let status = |key: &str| {
        web["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key"] == key)
            .map(|k| k["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("image").as_deref(), Some("converted"));
    assert_eq!(status("ulimits").as_deref(), Some("not-converted"));
    assert_eq!(status("depends_on").as_deref(), Some("ignored"));
    assert_eq!(v["counts"]["not_converted"], 1);
    assert!(!r.stdout.contains(SECRET));
}

#[test]
fn strict_fails_on_unconverted_keys_and_writes_nothing() {
    let dir = reported_project();
    let r = run_in(dir.path(), &["convert", "--strict"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "compose.yaml:6:5: not converted: services.web.ulimits: Kubernetes has no per-container ulimits"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("error: --strict: 1 compose key was not converted"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("k8s").exists());
}

#[test]
fn strict_passes_when_only_ignored_keys_remain() {
    let dir = project(
        "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n",
    );
    let r = run_in(dir.path(), &["convert", "--strict"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "ignored: 1 key that needs nothing on Kubernetes (depends_on); --report lists it"
        ),
        "{}",
        r.stderr
    );
    let r = run_in(dir.path(), &["convert", "--strict", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("ignored: services.web.depends_on"),
        "{}",
        r.stderr
    );
}

#[test]
fn report_and_stdout_conflict() {
    let dir = reported_project();
    assert_eq!(
        run_in(dir.path(), &["convert", "--report", "--stdout"]).code,
        2
    );
}

#[test]
fn stdout_never_prints_secret_material() {
    let dir = reported_project();
    let r = run_in(dir.path(), &["convert", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
    assert!(!r.stdout.contains("kind: Secret"));
    assert!(
        r.stderr
            .contains("warning: Secret `token` is not in the stream"),
        "{}",
        r.stderr
    );
}

#[test]
fn secret_files_stay_out_of_git() {
    let dir = reported_project();
    assert_eq!(run_in(dir.path(), &["convert"]).code, 0);
    let k8s = dir.path().join("k8s");
    assert_eq!(
        std::fs::read_to_string(k8s.join("secrets/token")).unwrap(),
        SECRET
    );
    assert!(std::fs::read_to_string(k8s.join(".gitignore"))
        .unwrap()
        .contains("/secrets/"));
    let kustomization = std::fs::read_to_string(k8s.join("kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("secretGenerator:"),
        "{kustomization}"
    );
    assert!(
        kustomization.contains("- token=secrets/token"),
        "{kustomization}"
    );
    assert!(!kustomization.contains(SECRET));
}

#[test]
fn unknown_x_ferry_key_is_an_error_with_a_suggestion() {
    fails_with(
        "services:\n  web:\n    image: nginx\n    x-ferry:\n      ingres:\n        host: a.example.com\n",
        "compose.yaml:5:7: services.web.x-ferry: unknown x-ferry key `ingres`\n  |\n5 |       ingres:\n  |       ^^^^^^\n  |\n  = help: did you mean `ingress`?\n",
    );
}

#[test]
fn ingress_without_a_chosen_port_is_an_error() {
    fails_with(
        "services:\n  web:\n    image: nginx\n    ports: ['80:80', '443:443']\n    x-ferry:\n      ingress: {host: a.example.com}\n",
        "the service has several ports (80, 443); choose the one the Ingress or route sends traffic to",
    );
}

#[test]
fn flags_are_validated() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    for args in [
        ["convert", "--namespace", "Bad_NS"],
        ["convert", "--volume-size", "lots"],
        ["convert", "--bind-mounts", "sometimes"],
        ["convert", "--report-format", "xml"],
    ] {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
}

#[test]
fn namespace_flag_sets_every_object() {
    let dir = project("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n");
    let r = run_in(dir.path(), &["convert", "--namespace", "shop", "--stdout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("---\n# Generated"));
    assert!(r.stdout.contains("kind: Namespace"));
    assert_eq!(
        r.stdout.matches("namespace: shop").count(),
        2,
        "{}",
        r.stdout
    );
}

/// Writing more files than a process may hold open: each temporary file is closed once
/// written (they are renamed into place only when all are written).
#[cfg(unix)]
#[test]
fn writes_more_files_than_the_open_file_limit() {
    let mut text = String::from("services:\n");
    for i in 0..40 {
        text.push_str(&format!(
            "  s{i}:\n    image: nginx\n    ports: ['{}:80']\n",
            8000 + i
        ));
    }
    let dir = project(&text);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 32 && exec \"$0\" convert -o k8s")
        .arg(env!("CARGO_BIN_EXE_ferry"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let files = std::fs::read_dir(dir.path().join("k8s")).unwrap().count();
    assert_eq!(files, 81, "{stderr}");
}

/// `convert --stdout` in `dir`, which must succeed: (stdout, stderr).
fn stdout_of(dir: &Path, extra: &[&str]) -> (String, String) {
    let mut args = vec!["convert", "--stdout"];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (r.stdout, r.stderr)
}

/// The document of `kind` named `name` in a `--stdout` stream.
fn document<'a>(stream: &'a str, kind: &str, name: &str) -> Option<&'a str> {
    stream.split("\n---\n").find(|d| {
        d.contains(&format!("kind: {kind}\n")) && d.contains(&format!("  name: {name}\n"))
    })
}

#[test]
fn every_long_running_service_gets_a_service_even_without_ports() {
    let dir = project(
        "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n  worker:\n    image: example/worker:1\n  once:\n    image: example/once:1\n    restart: 'no'\n  quiet:\n    image: example/quiet:1\n    x-ferry: {service: {enabled: false}}\n",
    );
    let (out, _) = stdout_of(dir.path(), &[]);
    let worker = document(&out, "Service", "worker").expect("worker has a Service");
    assert!(worker.contains("clusterIP: None"), "{worker}");
    assert!(!worker.contains("ports:"), "{worker}");
    assert!(
        document(&out, "Service", "once").is_none(),
        "a Job gets no Service"
    );
    assert!(document(&out, "Job", "once").is_some());
    assert!(document(&out, "Service", "quiet").is_none(), "opted out");
    assert!(document(&out, "Deployment", "quiet").is_some());
}

#[test]
fn a_published_alias_never_takes_over_another_container_port() {
    let dir = project(
        "services:\n  chat:\n    image: mattermost/mattermost-team-edition:9\n    ports: ['8065:8056', '8065']\n",
    );
    let (out, err) = stdout_of(dir.path(), &[]);
    let svc = document(&out, "Service", "chat").unwrap();
    assert!(
        svc.contains("port: 8065\n      targetPort: 8065\n"),
        "{svc}"
    );
    assert!(
        svc.contains("port: 8056\n      targetPort: 8056\n"),
        "{svc}"
    );
    assert!(!svc.contains("targetPort: 8056\n      protocol: TCP\n    - name: tcp-8065\n      port: 8065\n      targetPort: 8056"));
    assert!(
        err.contains("compose.yaml:4:")
            && err.contains("the published alias 8065 → 8056 is dropped"),
        "{err}"
    );
}

#[test]
fn references_to_a_renamed_service_are_rewritten_and_reported() {
    let dir = project(
        "services:\n  my_db:\n    image: postgres:16\n  app:\n    image: example/app:1\n    environment:\n      DB_HOST: my_db\n      DB_URL: postgres://u:p@my_db:5432/app\n      DATA: /var/lib/my_db\n    command: ['wait-for', 'my_db:5432']\n    volumes:\n      - ./app.conf:/etc/app.conf:ro\n",
    );
    std::fs::write(dir.path().join("app.conf"), "[db]\nhost = my_db\n").unwrap();
    let (out, err) = stdout_of(dir.path(), &[]);
    assert!(out.contains("value: my-db\n"), "{out}");
    assert!(
        out.contains("value: postgres://u:p@my-db:5432/app\n"),
        "{out}"
    );
    assert!(out.contains("value: /var/lib/my_db\n"), "{out}");
    assert!(out.contains("- my-db:5432\n"), "{out}");
    // The mounted file is copied as it is.
    assert!(out.contains("host = my_db"), "{out}");
    assert!(
        err.contains(
            "compose.yaml:7:7: warning: services.app.environment: DB_HOST: host name rewritten"
        ),
        "{err}"
    );
    assert!(err.contains("compose.yaml:10:"), "{err}");
    assert!(
        err.contains("app.conf:2:8: warning: services.app.volumes: app.conf:2: the mounted file names the host `my_db`"),
        "{err}"
    );
}

/// A project with one of each kind of bind mount.
fn bind_mount_project() -> tempfile::TempDir {
    let dir = project(
        "services:\n  app:\n    build: ./src\n    image: example/app:1\n    volumes:\n      - ./src/lib:/app/lib\n      - ./app.ini:/etc/app.ini:ro\n      - ./data:/var/lib/app\n      - ./empty:/var/cache/app\n      - /var/run/docker.sock:/var/run/docker.sock\n      - /etc/localtime:/etc/localtime:ro\n      - /srv/media:/media\n",
    );
    std::fs::create_dir_all(dir.path().join("src/lib")).unwrap();
    std::fs::write(dir.path().join("src/lib/code.py"), "x = 1\n").unwrap();
    std::fs::write(dir.path().join("app.ini"), "[app]\n").unwrap();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    dir
}

#[test]
fn bind_mounts_auto_mounts_every_kind() {
    let dir = bind_mount_project();
    let (out, err) = stdout_of(dir.path(), &[]);
    let deploy = document(&out, "Deployment", "app").unwrap();
    // A file in the project: a ConfigMap.
    assert!(
        document(&out, "ConfigMap", "app-app-ini").is_some(),
        "{out}"
    );
    // Code in the build context: left to the image.
    assert!(!deploy.contains("mountPath: /app/lib"), "{deploy}");
    let r = run_in(dir.path(), &["convert", "--report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("`./src/lib` lies in the build context `./src` of `app`"),
        "{}",
        r.stdout
    );
    // A missing and an empty data directory, and a host data path: claims named after the path.
    for (claim, path) in [
        ("data", "/var/lib/app"),
        ("empty", "/var/cache/app"),
        ("srv-media", "/media"),
    ] {
        assert!(
            document(&out, "PersistentVolumeClaim", claim).is_some(),
            "{claim}: {out}"
        );
        assert!(
            deploy.contains(&format!("claimName: {claim}\n")),
            "{deploy}"
        );
        assert!(deploy.contains(&format!("mountPath: {path}\n")), "{deploy}");
    }
    // Node paths: hostPath with their type, read-only as in compose.
    assert!(
        deploy.contains("path: /var/run/docker.sock\n            type: Socket\n"),
        "{deploy}"
    );
    assert!(
        deploy.contains("path: /etc/localtime\n            type: File\n"),
        "{deploy}"
    );
    assert!(
        deploy.contains("mountPath: /etc/localtime\n              readOnly: true\n"),
        "{deploy}"
    );
    assert!(
        err.contains("Pod Security \"baseline\" rejects hostPath"),
        "{err}"
    );
    assert!(
        err.contains("seed it once with `kubectl cp /srv/media/. <pod>:/media`"),
        "{err}"
    );
}

#[test]
fn bind_mounts_report_mounts_only_what_it_copies() {
    let dir = bind_mount_project();
    let (out, err) = stdout_of(dir.path(), &["--bind-mounts", "report"]);
    assert!(!out.contains("PersistentVolumeClaim"), "{out}");
    assert!(!out.contains("hostPath"), "{out}");
    assert!(document(&out, "ConfigMap", "app-app-ini").is_some());
    assert!(
        err.contains("bind mount `/var/run/docker.sock` is a path on the node; `--bind-mounts auto` would mount it with hostPath"),
        "{err}"
    );
    assert!(err.contains("; 5 keys not converted"), "{err}");
    // pvc: claims, never a hostPath.
    let (out, err) = stdout_of(dir.path(), &["--bind-mounts", "pvc"]);
    assert!(out.contains("claimName: data\n"), "{out}");
    assert!(!out.contains("hostPath"), "{out}");
    assert!(
        err.contains("`--bind-mounts pvc` makes no hostPath volume"),
        "{err}"
    );
}

#[test]
fn volumes_from_mounts_the_other_services_volumes() {
    let dir = project(
        "services:\n  app:\n    image: example/app:1\n    volumes:\n      - uploads:/srv/uploads\n      - ./data:/srv/data\n  web:\n    image: nginx\n    volumes_from:\n      - app:ro\nvolumes:\n  uploads:\n",
    );
    let (out, err) = stdout_of(dir.path(), &[]);
    let web = document(&out, "Deployment", "web").unwrap();
    assert!(
        web.contains("- name: uploads\n              mountPath: /srv/uploads\n              readOnly: true\n"),
        "{web}"
    );
    assert!(web.contains("claimName: data\n"), "{web}");
    assert!(!err.contains("volumes_from"), "{err}");
    // A service that is not in the project is an error with its location.
    fails_with(
        "services:\n  web:\n    image: nginx\n    volumes_from: [nothere]\n",
        "compose.yaml:4:20: services.web.volumes_from: `nothere` is not a service of this project",
    );
}

/// A project whose only sensitive value comes from `.env`.
fn dotenv_secret_project() -> tempfile::TempDir {
    let dir = project(
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n",
    );
    std::fs::write(dir.path().join(".env"), "DB_PASSWORD=s3cr3t-from-dotenv\n").unwrap();
    dir
}

#[test]
fn sensitive_environment_never_reaches_a_committed_file_or_the_terminal() {
    let dir = dotenv_secret_project();
    let r = run_in(dir.path(), &["convert"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("POSTGRES_PASSWORD (sensitive) come from Secret/db-env"),
        "{}",
        r.stderr
    );
    let k8s = dir.path().join("k8s");
    for (path, bytes) in read_tree(&k8s) {
        let text = String::from_utf8_lossy(&bytes);
        if path.starts_with("secrets/") {
            assert_eq!(text, "s3cr3t-from-dotenv", "{path}");
        } else {
            assert!(!text.contains("s3cr3t"), "{path}: {text}");
        }
    }
    assert!(std::fs::read_to_string(k8s.join(".gitignore"))
        .unwrap()
        .contains("/secrets/"));
    // A new value in .env: diff and --check show that something changed, never the values.
    std::fs::write(dir.path().join(".env"), "DB_PASSWORD=n3w-s3cr3t\n").unwrap();
    for args in [
        &["diff"][..],
        &["convert", "--check"],
        &["diff", "--format", "json"],
    ] {
        let r = run_in(dir.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("secrets/db-env.POSTGRES_PASSWORD"),
            "{args:?}: {}",
            r.stdout
        );
        for out in [&r.stdout, &r.stderr] {
            assert!(!out.contains("s3cr3t"), "{args:?}: {out}");
        }
    }
    // CI: a fresh checkout has neither the git-ignored .env nor secrets/, and is up to date.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    std::fs::remove_dir_all(k8s.join("secrets")).unwrap();
    let r = run_in(dir.path(), &["convert", "--check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn stdout_prints_sensitive_environment_as_inline_secrets() {
    let dir = dotenv_secret_project();
    let (out, err) = stdout_of(dir.path(), &[]);
    assert!(!out.contains("s3cr3t-from-dotenv"), "{out}");
    assert!(!err.contains("s3cr3t"), "{err}");
    let secret = document(&out, "Secret", "db-env").expect("an inline Secret");
    // base64 of "s3cr3t-from-dotenv"
    assert!(
        secret.contains("POSTGRES_PASSWORD: czNjcjN0LWZyb20tZG90ZW52"),
        "{secret}"
    );
    assert!(
        out.find("kind: Secret").unwrap() < out.find("kind: Deployment").unwrap(),
        "Secrets come first"
    );
    // --env-secrets none: today's behaviour, the value in the Deployment.
    let (out, _) = stdout_of(dir.path(), &["--env-secrets", "none"]);
    assert!(out.contains("value: s3cr3t-from-dotenv\n"), "{out}");
    assert!(document(&out, "Secret", "db-env").is_none());
}

#[test]
fn helm_chart_is_written_checked_and_pruned_like_a_kustomize_directory() {
    let dir = project(
        "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n  worker:\n    image: example/worker:1\n",
    );
    let r = run_in(dir.path(), &["convert", "--helm"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let chart = dir.path().join("chart");
    let first = read_tree(&chart);
    let names: Vec<&str> = first.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "templates/_helpers.tpl",
        "templates/NOTES.txt",
        "templates/web-deployment.yaml",
        "templates/web-service.yaml",
        "templates/web-ingress.yaml",
        "templates/worker-deployment.yaml",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    // The chart is named after the project, never after the output path.
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("\nname: shop\n"), "{chart_yaml}");
    assert!(
        chart_yaml.contains("\nappVersion: \"1.27\"\n")
            || chart_yaml.contains("\nversion: \"0.1.0\"\n")
    );
    // A second run changes nothing, and every file (values.schema.json and NOTES.txt too) is
    // ferry's own; --check agrees.
    let r = run_in(dir.path(), &["convert", "--helm"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("(0 changed,"), "{}", r.stderr);
    assert_eq!(read_tree(&chart), first, "byte for byte the same");
    assert_eq!(
        run_in(dir.path(), &["convert", "--helm", "--check"]).code,
        0
    );
    assert_eq!(run_in(dir.path(), &["diff", "--helm"]).code, 0);
    // A service removed: its templates are stale, --check fails, --prune removes them.
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n",
    )
    .unwrap();
    let r = run_in(dir.path(), &["convert", "--helm", "--check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("--- a/templates/worker-deployment.yaml"),
        "{}",
        r.stdout
    );
    assert_eq!(
        run_in(dir.path(), &["convert", "--helm", "--prune"]).code,
        0
    );
    assert!(!chart.join("templates/worker-deployment.yaml").exists());
    assert_eq!(
        run_in(dir.path(), &["convert", "--helm", "--check"]).code,
        0
    );
    // A hand-written file where ferry would write is never overwritten.
    std::fs::write(chart.join("values.yaml"), "mine: true\n").unwrap();
    let r = run_in(dir.path(), &["convert", "--helm"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(chart.join("values.yaml")).unwrap(),
        "mine: true\n"
    );
    // --helm makes files, not a stream.
    assert_eq!(
        run_in(dir.path(), &["convert", "--helm", "--stdout"]).code,
        2
    );
}

#[test]
fn chart_version_is_a_semantic_version() {
    let dir = project("services:\n  web:\n    image: nginx\n");
    let r = run_in(dir.path(), &["convert", "--helm", "--chart-version", "one"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("semantic version"), "{}", r.stderr);
    fails_with(
        "x-ferry:\n  chartVersion: latest\nservices:\n  web:\n    image: nginx\n",
        "compose.yaml:2:17: x-ferry.chartVersion: `latest` is not a semantic version",
    );
    let r = run_in(
        dir.path(),
        &["convert", "--helm", "--chart-version", "2.0.0-rc.1"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let chart = std::fs::read_to_string(dir.path().join("chart/Chart.yaml")).unwrap();
    assert!(chart.contains("version: 2.0.0-rc.1\n"), "{chart}");
}

#[test]
fn chart_templates_are_exported_and_used() {
    let dir =
        project("name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n");
    let r = run_in(dir.path(), &["templates", "export", "--helm", "tpl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let notes = dir.path().join("tpl/helm/NOTES.txt");
    let text = std::fs::read_to_string(&notes).unwrap();
    assert!(text.contains("__SERVICES__"), "{text}");
    std::fs::write(
        &notes,
        text.replace("Services keep", "Our team's note. Services keep"),
    )
    .unwrap();
    let r = run_in(dir.path(), &["convert", "--helm", "--templates", "tpl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = std::fs::read_to_string(dir.path().join("chart/templates/NOTES.txt")).unwrap();
    assert!(written.contains("Our team's note."), "{written}");
    assert!(written.contains("svc/web 80:80"), "{written}");
    assert!(!written.contains("__"), "{written}");
    let r = run_in(dir.path(), &["templates", "list"]);
    assert!(r.stdout.contains("helm/_helpers.tpl"), "{}", r.stdout);
    // A second export refuses to overwrite without --force.
    assert_eq!(
        run_in(dir.path(), &["templates", "export", "--helm", "tpl"]).code,
        2
    );
}
