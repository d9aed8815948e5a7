//! Every `fixtures/<case>/` project: the whole rendered tree and the report are snapshot-tested,
//! and every rendered object is validated strictly against the Kubernetes API schema.

use crate::support::{k8s_schema::validate_yaml, root};
use ferry::compose::LoadOptions;
use ferry::translate::TranslateOptions;

/// Convert a fixture as a user in its directory would, with a fixed, empty environment.
fn convert(case: &str) -> ferry::Conversion {
    let dir = root().join("fixtures").join(case);
    let opts = LoadOptions {
        working_dir: dir,
        ..LoadOptions::default()
    };
    ferry::convert(&opts, &options(case)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// `fixtures/<case>/args`, when present, holds `convert` flags for the case (one line:
/// `--network-policies --namespace shop --volume-size 5Gi --bind-mounts hostPath`).
fn options(case: &str) -> TranslateOptions {
    let mut opts = TranslateOptions::default();
    let path = root().join("fixtures").join(case).join("args");
    let Ok(text) = std::fs::read_to_string(path) else {
        return opts;
    };
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "--network-policies" => opts.network_policies = true,
            "--namespace" => opts.namespace = words.next().map(str::to_string),
            "--volume-size" => opts.volume_size = words.next().map(str::to_string),
            "--bind-mounts" => {
                if words.next() == Some("hostPath") {
                    opts.bind_mounts = ferry::translate::BindMounts::HostPath;
                }
            }
            other => panic!("{case}/args: unknown flag {other}"),
        }
    }
    opts
}

/// The tree and the report as one text to snapshot.
fn snapshot_text(conv: &ferry::Conversion) -> String {
    let mut out = String::new();
    for (path, bytes) in &conv.tree.files {
        out.push_str(&format!("=== {path}\n"));
        if conv.tree.sensitive.contains(path) {
            // Secret material is never shown, not even in a snapshot.
            out.push_str(&format!("<secret material, {} bytes>\n", bytes.len()));
        } else {
            out.push_str(std::str::from_utf8(bytes).unwrap());
        }
    }
    out.push_str("=== report\n");
    out.push_str(&conv.summary.to_text());
    out
}

fn check(case: &str) {
    let conv = convert(case);
    let text = conv.summary.to_text();
    assert!(
        !text.contains(ferry::translate::report::NOTHING),
        "{case}: a key has no report entry:\n{text}"
    );
    for (path, bytes) in &conv.tree.files {
        if !path.ends_with(".yaml") {
            continue;
        }
        let problems = validate_yaml(std::str::from_utf8(bytes).unwrap());
        assert!(
            problems.is_empty(),
            "{case}/{path} is not valid Kubernetes:\n{}",
            problems.join("\n")
        );
    }
    let problems = validate_yaml(&conv.tree.to_stream());
    assert!(
        problems.is_empty(),
        "{case} --stdout stream:\n{}",
        problems.join("\n")
    );
    insta::assert_snapshot!(case, snapshot_text(&conv));
}

macro_rules! fixtures {
    ($($name:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check($dir);
            }
        )*

        /// Every folder under fixtures/ has a test above.
        #[test]
        fn every_fixture_is_tested() {
            let listed = [$($dir),*];
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(root().join("fixtures")).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if !listed.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "fixtures without a test: {missing:?}");
        }
    };
}

fixtures! {
    anchors_merge => "anchors-merge",
    autoscale => "autoscale",
    bind_mount_directories => "bind-mount-directories",
    bind_mounts_host_path => "bind-mounts-host-path",
    build_no_image => "build-no-image",
    command_entrypoint => "command-entrypoint",
    container_settings => "container-settings",
    depends_on_wait_for => "depends-on-wait-for",
    environment => "environment",
    gpus => "gpus",
    healthcheck => "healthcheck",
    hosts_dns => "hosts-dns",
    interpolation => "interpolation",
    kompose_labels_probes_volumes => "kompose-labels-probes-volumes",
    kompose_labels_service => "kompose-labels-service",
    kompose_labels_workload => "kompose-labels-workload",
    lifecycle_hooks => "lifecycle-hooks",
    names => "names",
    namespace => "namespace",
    network_mode_service => "network-mode-service",
    network_policies => "network-policies",
    nginx_api_mysql => "nginx-api-mysql",
    no_equivalent_keys => "no-equivalent-keys",
    placement => "placement",
    pod_security => "pod-security",
    pod_settings => "pod-settings",
    ports => "ports",
    probes_http_tcp => "probes-http-tcp",
    replicas_resources => "replicas-resources",
    restart_jobs => "restart-jobs",
    rollout_update_config => "rollout-update-config",
    secrets_configs => "secrets-configs",
    service_types_ingress => "service-types-ingress",
    unconverted_keys => "unconverted-keys",
    volume_settings => "volume-settings",
    volumes => "volumes",
    wordpress_mysql => "wordpress-mysql",
    workload_kinds => "workload-kinds",
    x_ferry_project_defaults => "x-ferry-project-defaults",
    yaml_quoting => "yaml-quoting",
}
