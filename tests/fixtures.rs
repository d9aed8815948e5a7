//! Every `fixtures/<case>/` project: the whole rendered tree and the report are snapshot-tested,
//! and every rendered object is validated strictly against the Kubernetes API schema.

use crate::support::{k8s_schema::validate_yaml, root};
use ferry::compose::LoadOptions;
use ferry::render::RenderOptions;
use ferry::translate::TranslateOptions;

/// The `convert` flags a fixture asks for in `fixtures/<case>/args` (whitespace-separated, as on
/// the command line): `--overlay NAME`, `--templates DIR`, `--network-policies`,
/// `--namespace NS`, `--volume-size SIZE`, `--bind-mounts MODE`.
fn args(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn render_options(dir: &std::path::Path) -> RenderOptions {
    let mut opts = RenderOptions::default();
    let words = args(dir);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--overlay" => opts.environments.push(
                ferry::environments::parse_overlay_flag(it.next().expect("--overlay NAME"))
                    .unwrap(),
            ),
            "--templates" => opts.templates_dir = it.next().map(|v| dir.join(v)),
            "--namespace" | "--volume-size" | "--bind-mounts" | "--env-secrets"
            | "--age-recipient" | "--secret-store" | "--remote-key" | "--remote-property"
            | "--expose" | "--gateway" | "--gateway-class" | "--domain" => {
                it.next();
            }
            "--network-policies" => {}
            other => panic!("{}/args: unknown flag {other}", dir.display()),
        }
    }
    opts
}

fn translate_options(dir: &std::path::Path) -> TranslateOptions {
    let mut opts = TranslateOptions::default();
    let words = args(dir);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--network-policies" => opts.network_policies = true,
            "--namespace" => opts.namespace = it.next().cloned(),
            "--volume-size" => opts.volume_size = it.next().cloned(),
            "--env-secrets" => {
                use ferry::translate::envsecrets::EnvSecrets;
                let name = it.next().map(String::as_str).unwrap_or_default();
                opts.env_secrets =
                    Some(EnvSecrets::from_name(name).unwrap_or_else(|| {
                        panic!("{}/args: --env-secrets {name:?}", dir.display())
                    }));
            }
            "--expose" => {
                let v = it.next().map(String::as_str).unwrap_or_default();
                opts.expose.expose = Some(
                    ferry::compose::xferry::Expose::parse(v)
                        .unwrap_or_else(|| panic!("{}/args: --expose {v}", dir.display())),
                );
            }
            "--gateway" => {
                let v = it.next().map(String::as_str).unwrap_or_default();
                opts.expose.gateway = Some(ferry::compose::xferry::GatewayRef::parse(v).unwrap());
            }
            "--gateway-class" => opts.expose.gateway_class = it.next().cloned(),
            "--domain" => opts.expose.domain = it.next().cloned(),
            "--age-recipient" => opts.secrets.age_recipients.extend(it.next().cloned()),
            "--secret-store" => opts.secrets.secret_store = it.next().cloned(),
            "--remote-key" => opts.secrets.remote_key = it.next().cloned(),
            "--remote-property" => opts.secrets.remote_property = it.next().cloned(),
            "--bind-mounts" => {
                use ferry::translate::BindMounts;
                opts.bind_mounts = match it.next().map(String::as_str) {
                    Some("auto") => BindMounts::Auto,
                    Some("pvc") => BindMounts::Pvc,
                    Some("hostPath") => BindMounts::HostPath,
                    Some("report") => BindMounts::Report,
                    other => panic!("{}/args: --bind-mounts {other:?}", dir.display()),
                };
            }
            _ => {}
        }
    }
    opts
}

/// Convert a fixture as a user in its directory would, with a fixed, empty environment.
fn convert(case: &str) -> ferry::Conversion {
    convert_with(case, false)
}

/// [`convert`], with the built-in templates interpreted by minijinja when `interpret` (not
/// written by their compiled form, `ferry::render::compiled_builtin`).
fn convert_with(case: &str, interpret: bool) -> ferry::Conversion {
    let dir = root().join("fixtures").join(case);
    let mut render = render_options(&dir);
    render.interpret_builtins = interpret;
    let opts = LoadOptions {
        working_dir: dir.clone(),
        ..LoadOptions::default()
    };
    ferry::convert(&opts, &translate_options(&dir), &render)
        .unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// `ferry config` for the fixture, with the machine's project path replaced by `<project>`.
fn config_text(case: &str) -> String {
    let dir = root().join("fixtures").join(case);
    let opts = LoadOptions {
        working_dir: dir.clone(),
        ..LoadOptions::default()
    };
    let (loaded, project, _) = ferry::compose::load_all(&opts).unwrap();
    let text =
        ferry::yaml::emit::to_document(&ferry::compose::config::canonical(&loaded, &project));
    text.replace(&project.dir.display().to_string(), "<project>")
}

/// `ferry config` output, loaded again, gives the same output (the canonical form is a fixed
/// point). The printed file is written into the fixture directory (as a temporary file) so that
/// its project directory, `.env` and relative files are the same.
fn config_round_trips(case: &str) {
    let dir = root().join("fixtures").join(case);
    let load = |files: Vec<std::path::PathBuf>| {
        let opts = LoadOptions {
            working_dir: dir.clone(),
            files,
            ..LoadOptions::default()
        };
        let (loaded, project, _) =
            ferry::compose::load_all(&opts).unwrap_or_else(|e| panic!("{case}: {e}"));
        ferry::yaml::emit::to_document(&ferry::compose::config::canonical(&loaded, &project))
    };
    let first = load(Vec::new());
    let tmp = tempfile::Builder::new()
        .prefix(".roundtrip-")
        .suffix(".yaml")
        .tempfile_in(&dir)
        .unwrap();
    std::fs::write(tmp.path(), &first).unwrap();
    let second = load(vec![tmp.path().to_path_buf()]);
    assert_eq!(
        second, first,
        "{case}: ferry config output does not load back to itself"
    );
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
    for f in &conv.tree.sealed {
        // Encrypted when written (against the output directory): its clear parts, never a value.
        let mut doc = serde_json::Value::Object(f.plain.doc.clone());
        for k in f.encrypted_keys {
            if let Some(data) = doc.get_mut(*k).and_then(|d| d.as_object_mut()) {
                for v in data.values_mut() {
                    *v = serde_json::json!("<encrypted with SOPS when written>");
                }
            }
        }
        out.push_str(&format!(
            "=== {} (SOPS, age recipients {:?})\n{}\n{}",
            f.path,
            f.recipients,
            f.header,
            ferry::yaml::emit::to_document(&doc)
        ));
    }
    out.push_str("=== report\n");
    out.push_str(&conv.summary().to_text());
    out
}

/// A custom resource (an ExternalSecret): validated against its CRD by `.ci/run`
/// (`scripts/secret-modes.sh`, ../shared/tools/validate-crs), not by the Kubernetes schema here.
fn custom_resource(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("apiVersion: ") && l.contains(".io/") && !l.contains("k8s.io/"))
}

fn check(case: &str) {
    let conv = convert(case);
    // The built-in templates' compiled form writes what the templates do, byte for byte.
    let interpreted = convert_with(case, true);
    for (path, bytes) in &interpreted.tree.files {
        assert_eq!(
            conv.tree
                .files
                .get(path)
                .map(|b| String::from_utf8_lossy(b)),
            Some(String::from_utf8_lossy(bytes)),
            "{case}/{path}: the compiled built-in template differs from the template"
        );
    }
    assert_eq!(conv.tree, interpreted.tree, "{case}");
    let text = conv.summary().to_text();
    assert!(
        !text.contains(ferry::translate::report::NOTHING),
        "{case}: a key has no report entry:\n{text}"
    );
    for (path, bytes) in &conv.tree.files {
        // An overlay's patches are not objects: tests/environments.rs validates what the
        // overlays build to. Custom resources are validated against their CRDs in CI.
        if !path.ends_with(".yaml")
            || path.contains("/patches/")
            || custom_resource(std::str::from_utf8(bytes).unwrap())
        {
            continue;
        }
        let problems = validate_yaml(std::str::from_utf8(bytes).unwrap());
        assert!(
            problems.is_empty(),
            "{case}/{path} is not valid Kubernetes:\n{}",
            problems.join("\n")
        );
    }
    let stream = conv.tree.to_stream();
    let core: Vec<&str> = stream
        .split("---\n")
        .filter(|d| !custom_resource(d))
        .collect();
    let problems = validate_yaml(&core.join("---\n"));
    assert!(
        problems.is_empty(),
        "{case} --stdout stream:\n{}",
        problems.join("\n")
    );
    config_round_trips(case);
    let text = format!(
        "{}=== ferry config\n{}",
        snapshot_text(&conv),
        config_text(case)
    );
    insta::assert_snapshot!(case, text);
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
    yaml_go_leniency => "yaml-go-leniency",
    autoscale => "autoscale",
    bind_mount_configmap_names => "bind-mount-configmap-names",
    bind_mount_directories => "bind-mount-directories",
    bind_mounts_host_path => "bind-mounts-host-path",
    bind_mounts_auto => "bind-mounts-auto",
    bind_mounts_pvc => "bind-mounts-pvc",
    bind_mounts_report => "bind-mounts-report",
    env_secrets => "env-secrets",
    secrets_sops => "secrets-sops",
    secrets_external_secrets => "secrets-external-secrets",
    environments => "environments",
    env_secrets_none => "env-secrets-none",
    helm_odd_names => "helm-odd-names",
    host_rename => "host-rename",
    host_rewrite_by_place => "host-rewrite-by-place",
    port_collision => "port-collision",
    service_for_every_service => "service-for-every-service",
    volumes_from => "volumes-from",
    build_no_image => "build-no-image",
    dotenv_forms => "dotenv-forms",
    expose_choices => "expose-choices",
    gateway_existing => "gateway-existing",
    gateway_overlays => "gateway-overlays",
    gateway_same_port => "gateway-same-port",
    gateway_written => "gateway-written",
    extends_files => "extends-files",
    include => "include",
    include_env_scope => "include-env-scope",
    merge_override => "merge-override",
    models => "models",
    profiles => "profiles",
    provider_services => "provider-services",
    command_entrypoint => "command-entrypoint",
    compose_sets => "compose-sets",
    config_canonical => "config-canonical",
    container_settings => "container-settings",
    depends_on_wait_for => "depends-on-wait-for",
    environment => "environment",
    env_file_raw => "env-file-raw",
    gpus => "gpus",
    grouped_pod_services => "grouped-pod-services",
    healthcheck => "healthcheck",
    hosts_dns => "hosts-dns",
    image_volumes => "image-volumes",
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
    overlays => "overlays",
    no_equivalent_keys => "no-equivalent-keys",
    placement => "placement",
    pod_security => "pod-security",
    pod_settings => "pod-settings",
    ports => "ports",
    ports_host_range => "ports-host-range",
    probes_http_tcp => "probes-http-tcp",
    replicas_resources => "replicas-resources",
    restart_jobs => "restart-jobs",
    restart_policy_condition => "restart-policy-condition",
    templates_override => "templates-override",
    rollout_update_config => "rollout-update-config",
    secrets_configs => "secrets-configs",
    service_types_ingress => "service-types-ingress",
    unconverted_keys => "unconverted-keys",
    unset_variables => "unset-variables",
    volume_settings => "volume-settings",
    volumes => "volumes",
    wordpress_mysql => "wordpress-mysql",
    workload_kinds => "workload-kinds",
    x_ferry_project_defaults => "x-ferry-project-defaults",
    yaml_quoting => "yaml-quoting",
}

/// The values that must never be in a committed output file (`.gitignore` keeps `secrets/` out of
/// git): those from `.env`, the environment and env files, for every fixture about secrets; and no
/// password at all in a Deployment.
#[test]
fn no_secret_value_in_committed_output() {
    let cases: [(&str, &[&str], &[&str]); 4] = [
        ("environments", &["dev-s3cr3t", "prod-s3cr3t"], &[]),
        (
            "env-secrets",
            &[
                "s3cr3t-from-dotenv",
                "smtp-s3cr3t",
                "tok-s3cr3t-from-envfile",
                "ABCD-1234-EFGH",
            ],
            &["literal-db-pass"],
        ),
        ("wordpress-mysql", &[], &["rootpass"]),
        ("nginx-api-mysql", &[], &["value: root\n"]),
    ];
    for (case, never, not_in_workloads) in cases {
        let conv = convert(case);
        let mut secret_files = 0;
        for (path, bytes) in &conv.tree.files {
            // `secrets/` beside its kustomization (the base's, or an environment's overlay's),
            // kept out of git by the `.gitignore` there.
            if let Some((dir, _)) = path
                .rsplit_once("secrets/")
                .filter(|(dir, _)| dir.is_empty() || dir.ends_with('/'))
            {
                let ignored = conv
                    .tree
                    .files
                    .get(&format!("{dir}.gitignore"))
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                assert!(
                    ignored.contains("/secrets/"),
                    "{case}: {path} is not git-ignored"
                );
                secret_files += 1;
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            for v in never {
                assert!(!text.contains(v), "{case}/{path} holds `{v}`");
            }
            if !path.ends_with("-secret.yaml") {
                for v in not_in_workloads {
                    assert!(!text.contains(v), "{case}/{path} holds `{v}`");
                }
            }
        }
        assert_eq!(secret_files > 0, !never.is_empty(), "{case}");
    }
}

/// The Helm chart of a fixture, snapshot-tested like the kustomize output: names with `-`, `_`,
/// `.` and upper case, an Ingress, a claim, `{{ }}` content, release-independent names.
#[test]
fn helm_chart_of_odd_names() {
    let dir = root().join("fixtures").join("helm-odd-names");
    let render = RenderOptions {
        helm: Some(ferry::render::helm::HelmOptions::default()),
        ..RenderOptions::default()
    };
    let opts = LoadOptions {
        working_dir: dir.clone(),
        ..LoadOptions::default()
    };
    let conv = ferry::convert(&opts, &TranslateOptions::default(), &render).unwrap();
    // Byte for byte the same on a second run.
    let again = ferry::convert(&opts, &TranslateOptions::default(), &render).unwrap();
    assert_eq!(conv.tree, again.tree);
    insta::assert_snapshot!("helm-odd-names-chart", snapshot_text(&conv));
}
