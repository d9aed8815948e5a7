//! The binary reads compose files as docker compose does, where ferry used to differ: YAML that
//! go-yaml accepts, the environment an `include` gives its project, models, the variables compose
//! sets, string commands split as compose splits them, unknown mount options. Each expectation
//! was checked against `docker compose config` (v2.40.3).

use crate::support::{root, run as run_in};

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
