//! The binary reads compose files as docker compose does, where ferry used to differ: YAML that
//! go-yaml accepts, the environment an `include` gives its project, models, the variables compose
//! sets, string commands split as compose splits them, unknown mount options. Each expectation
//! was checked against `docker compose config` (v2.40.3).

use crate::support::{root, run as run_in, run_env};

/// `ferry config` in `dir`, which must succeed.
fn config(dir: &std::path::Path) -> String {
    let r = run_in(dir, &["config"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

/// Flow collections whose closing bracket stands at the key's column, tabs in flow
/// collections and after a `:`, quoted scalars continued at a lower column, comments right
/// after a token, `-` and `c:` in flow collections (`fixtures/yaml-go-leniency`): read as
/// docker compose reads them, not refused.
#[test]
fn yaml_that_go_yaml_reads_is_read() {
    let out = config(&root().join("fixtures/yaml-go-leniency"));
    for expected in [
        "    command:\n      - start\n      - --uri\n      - file:./etc/flagd/demo.flagd.json\n",
        "      com.example.team: platform\n      com.example.tier: backend\n",
        "        published: \"8016\"\n",
        "      FLAGD_OTEL_COLLECTOR_URI: otel-collector:4317\n",
        "      - echo starting && exec sleep infinity\n",
        "      \"com.example.draft:\": \"\"\n      com.example.owner: \"-\"\n",
    ] {
        assert!(out.contains(expected), "{expected:?} not in:\n{out}");
    }
}

/// An `include` entry's env_file is the included project's environment: for interpolation, a
/// bare name in a service's `environment` list, and secrets and configs with an `environment:`
/// source (`fixtures/include-env-scope`). The Secret the pod mounts is made, the ConfigMap
/// holds the value, and a variable the including project sets keeps its value.
#[test]
fn include_env_file_is_the_included_projects_environment() {
    let dir = root().join("fixtures/include-env-scope");
    let r = run_in(&dir, &["config"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("    environment:\n      BILLING_CURRENCY: EUR\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("image: example/billing:2.3.1\n"));
    assert!(!r.stderr.contains("BILLING"), "{}", r.stderr);
    let r = run_env(&dir, &["config"], &[("BILLING_TAG", "9.9")]);
    assert!(
        r.stdout.contains("image: example/billing:9.9\n"),
        "{}",
        r.stdout
    );

    let out = tempfile::tempdir().unwrap();
    let r = run_in(&dir, &["convert", "-o", out.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
    let kustomization = read("kustomization.yaml");
    assert!(
        kustomization.contains("  - name: billing-db-password\n    files:\n      - billing_db_password=secrets/billing-db-password\n"),
        "{kustomization}"
    );
    assert!(read("billing-deployment.yaml").contains("secretName: billing-db-password\n"));
    // The value from billing.env, not an empty file (compared without printing it).
    assert!(read("secrets/billing-db-password") == "fixture-only-password");
    assert!(read("billing-settings-configmap.yaml").contains("  billing_settings: currency=EUR\n"));
}

/// `${COMPOSE_PROJECT_NAME}` is the project name as docker compose sets it: `name:`, `-p`, or
/// the directory's name.
#[test]
fn compose_project_name_is_the_project_name() {
    let dir = root().join("fixtures/compose-sets");
    let out = config(&dir);
    assert!(
        out.contains("      PD_CLUSTER: tidb-pd\n      PD_NETWORK: tidb_default\n"),
        "{out}"
    );
    let r = run_in(&dir, &["config", "-p", "other"]);
    assert!(
        r.stdout.contains("      PD_NETWORK: other_default\n"),
        "{}",
        r.stdout
    );
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("My_Shop");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(
        proj.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    environment:\n      PROJECT: ${COMPOSE_PROJECT_NAME}\n",
    )
    .unwrap();
    assert!(config(&proj).contains("      PROJECT: my_shop\n"));
    // A `name:` that reads a variable, and one written with capitals, normalised as compose does.
    std::fs::write(
        proj.join("compose.yaml"),
        "name: Shop-${STAGE}\nservices:\n  web:\n    image: nginx\n    environment:\n      PROJECT: ${COMPOSE_PROJECT_NAME}\n",
    )
    .unwrap();
    let r = run_env(&proj, &["config"], &[("STAGE", "Prod")]);
    assert!(r.stdout.starts_with("name: shop-prod\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains("      PROJECT: shop-prod\n"),
        "{}",
        r.stdout
    );
}

/// `${PWD}` is the `PWD` of the environment, else the directory ferry runs in, as under docker
/// compose; not the project directory.
#[test]
fn pwd_is_the_callers_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        tmp.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    environment:\n      HERE: ${PWD}\n",
    )
    .unwrap();
    let r = run_in(&sub, &["config", "-f", "../compose.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("      HERE: {}\n", sub.display())),
        "{}",
        r.stdout
    );
    let r = run_env(
        &sub,
        &["config", "-f", "../compose.yaml"],
        &[("PWD", "/srv/app")],
    );
    assert!(r.stdout.contains("      HERE: /srv/app\n"), "{}", r.stdout);
}

/// A command string is split as docker compose splits it: the split stops at the first shell
/// operator, and ferry warns that the rest is dropped (`fixtures/compose-sets`).
#[test]
fn command_string_stops_at_the_first_shell_operator() {
    let r = run_in(&root().join("fixtures/compose-sets"), &["config"]);
    assert!(
        r.stdout.contains("    command:\n      - pd-server\n      - --name=pd\n      - --data-dir=/data/pd\n      - --lease\n      - 0s\n    environment:"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(
            "compose.yaml:9:14: warning: services.pd.command: `> /data/pd.log 2>&1 &` is dropped"
        ),
        "{}",
        r.stderr
    );
    // What compose cannot split, ferry refuses too, at the place.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    entrypoint: run (now)\n",
    )
    .unwrap();
    let r = run_in(tmp.path(), &["config"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("compose.yaml:4:17: services.web.entrypoint: cannot split `run (now)` into words as docker compose does"),
        "{}",
        r.stderr
    );
}

/// A mount option docker compose does not know (`:roz`) is ignored as compose ignores it, with
/// a warning: the mount is read-write (`fixtures/compose-sets`).
#[test]
fn unknown_mount_option_is_ignored_as_compose_ignores_it() {
    let r = run_in(&root().join("fixtures/compose-sets"), &["config"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml:17:9: warning: services.pd.volumes[0]: docker compose ignores the unknown mount option `roz` (did you mean `ro,z`?), so the mount is read-write"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("        source: ")
            && r.stdout
                .contains("        target: /etc/pd\n        type: bind\n"),
        "{}",
        r.stdout
    );
    let pd = r.stdout.split("target: /etc/pd\n").next().unwrap();
    assert!(
        !pd.rsplit("- bind:").next().unwrap().contains("read_only"),
        "{}",
        r.stdout
    );
}

/// Models: `ferry config` prints the top-level models the services use and each service's
/// models as a mapping, as docker compose does; the conversion reports each model and each
/// service that uses one, with the variables compose would set (`fixtures/models`).
#[test]
fn models_are_printed_and_reported() {
    let dir = root().join("fixtures/models");
    let out = config(&dir);
    assert!(
        out.starts_with("models:\n  embedding-model:\n    model: ai/all-minilm\n    name: embeddings\n  llm:\n    context_size: 4096\n    model: ai/smollm2\n    runtime_flags:\n      - --no-prefill-assistant\nname: models\n"),
        "{out}"
    );
    assert!(
        out.contains("    models:\n      embedding-model: null\n      llm: null\n"),
        "{out}"
    );
    assert!(
        !out.contains("ai/gemma3"),
        "an unused model is left out, as compose does:\n{out}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let r = run_in(
        &dir,
        &["convert", "--report", "-o", tmp.path().to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for expected in [
        "  models (compose.yaml:8:5): not converted\n      - llm: docker compose sets `LLM_URL` to the model runner's endpoint and `LLM_MODEL` to `ai/smollm2`",
        "      - embedding-model: docker compose sets `EMBEDDING_MODEL_URL` to the model runner's endpoint and `EMBEDDING_MODEL_MODEL` to `ai/all-minilm`",
        "      - llm: docker compose sets `AI_RUNNER_URL` to the model runner's endpoint and `AI_MODEL_NAME` to `ai/smollm2`",
        "  models.unused (compose.yaml:27:3): not converted\n",
    ] {
        assert!(r.stdout.contains(expected), "{expected:?} not in:\n{}", r.stdout);
    }
    // Not silently dropped: --strict fails on them.
    let r = run_in(
        &dir,
        &[
            "convert",
            "--strict",
            "-o",
            tmp.path().join("strict").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
}
