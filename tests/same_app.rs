//! The binary on the fixtures of what real projects lost on the way (issue 22): renamed hosts
//! rewritten by where they stand, image volumes, grouped pods' Services, bind-mounted files'
//! ConfigMaps, provider services.

use crate::support::{root, run};

/// `ferry convert --stdout` in a fixture: (exit code, stdout, stderr).
fn stdout_of(case: &str) -> (i32, String, String) {
    let r = run(
        &root().join("fixtures").join(case),
        &["convert", "--stdout"],
    );
    (r.code, r.stdout, r.stderr)
}

/// Every warning of the conversion report of a fixture (`--report-format json`), each once per
/// place, as the report holds them (the console folds identical ones).
fn warnings(case: &str) -> Vec<String> {
    let out = tempfile::tempdir().unwrap();
    let r = run(
        &root().join("fixtures").join(case),
        &[
            "convert",
            "-q",
            "-o",
            out.path().to_str().unwrap(),
            "--report-format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("warnings", serde_json::Value::Array(items)) => {
                            out.extend(items.iter().filter_map(|i| i.as_str().map(String::from)))
                        }
                        _ => collect(x, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    collect(&serde_json::from_str(&r.stdout).unwrap(), &mut found);
    found
}

/// The value of the variable `name` in the stream (the first `- name: NAME` entry).
fn env_value(stream: &str, name: &str) -> String {
    let mut lines = stream.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("- name: {name}") {
            let v = lines.next().unwrap().trim();
            return v.strip_prefix("value: ").unwrap_or(v).to_string();
        }
    }
    panic!("no variable {name} in\n{stream}")
}

#[test]
fn renamed_hosts_are_rewritten_where_they_stand_as_hosts_only() {
    let (code, out, err) = stdout_of("host-rewrite-by-place");
    assert_eq!(code, 0, "{err}");
    // Rewritten: host syntax, host variables, a node name and its node list.
    for (var, want) in [
        ("PAPERLESS_URL", "http://paperless:8000"),
        ("DB_HOST", "wiki-db"),
        (
            "DATABASE_URL",
            "postgres://wiki:pw@wiki-db:5432/wiki?sslmode=disable&d=wiki_db",
        ),
        ("node.name", "node1-search"),
        ("cluster.initial_master_nodes", "node1-search,node2-search"),
        ("discovery.seed_hosts", "node2-search"),
    ] {
        assert_eq!(env_value(&out, var), want, "{var}");
    }
    // Kept: a title, a sentence, a display name, a database name, a certificate subject.
    for (var, want) in [
        ("APP_NAME", "Paperless"),
        ("GREETING", "Demo site for Paperless Latest"),
        ("INSTANCE", "Paperless"),
        ("POSTGRES_DB", "wiki_db"),
        ("POSTGRES_USER", "wiki_db"),
        (
            "plugins.security.nodes_dn",
            "CN=node1.search,OU=search,O=example",
        ),
    ] {
        assert_eq!(env_value(&out, var), want, "{var}");
    }
    assert!(
        out.contains("echo Starting Paperless; until pg_isready -h wiki-db -d wiki_db;"),
        "{out}"
    );
    assert!(
        out.contains(
            "- -U\n                - wiki_db\n                - -d\n                - wiki_db\n"
        ),
        "{out}"
    );
    assert!(err.contains("host name rewritten"), "{err}");
    // One warning per rewritten value: none for what is kept, none for the env file's DB_HOST,
    // which `environment` sets again.
    let found = warnings("host-rewrite-by-place");
    let rewrites: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|w| w.contains("host name rewritten"))
        .collect();
    assert_eq!(rewrites.len(), 12, "{rewrites:#?}");
    for kept in [
        "APP_NAME",
        "GREETING",
        "INSTANCE",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "plugins.security.nodes_dn",
    ] {
        let prefix = format!("{kept}: host name");
        assert!(!rewrites.iter().any(|w| w.starts_with(&prefix)), "{kept}");
    }
    // DB_HOST once, from `environment`; the env file's one rewrite is CACHE_ADDR.
    assert_eq!(
        rewrites
            .iter()
            .filter(|w| w.starts_with("DB_HOST:"))
            .count(),
        1
    );
}

/// The documents of a `--stdout` stream with `kind: KIND`.
fn documents<'s>(stream: &'s str, kind: &str) -> Vec<&'s str> {
    stream
        .split("\n---\n")
        .filter(|d| d.contains(&format!("\nkind: {kind}\n")))
        .collect()
}

#[test]
fn bind_mounted_files_of_one_name_get_configmaps_of_their_own() {
    let (code, out, err) = stdout_of("bind-mount-configmap-names");
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("rename"), "{err}");
    let maps = documents(&out, "ConfigMap");
    let named = |name: &str| {
        maps.iter()
            .find(|d| d.contains(&format!("\n  name: {name}\n")))
            .unwrap_or_else(|| panic!("no ConfigMap/{name} in\n{out}"))
    };
    // Two files named cluster.yml, from two directories, each in its own ConfigMap.
    assert!(named("grafana-dashboards-cluster-yml").contains("folder: Cluster"));
    assert!(named("grafana-datasources-cluster-yml").contains("type: prometheus"));
    // The file mounted twice: one ConfigMap (the config's name is taken), one volume, two mounts.
    assert!(named("web-nginx-conf-2").contains("include /etc/nginx/conf.d/*.conf;"));
    assert!(named("web-nginx-conf").contains("listen 8080;"));
    assert_eq!(maps.len(), 4, "{out}");
    let web = documents(&out, "Deployment")
        .into_iter()
        .find(|d| d.contains("\n  name: web\n"))
        .unwrap();
    assert_eq!(
        web.matches("- name: web-nginx-conf-2\n").count(),
        3,
        "{web}"
    );
    assert_eq!(web.matches("configMap:").count(), 2, "{web}");
}

#[test]
fn image_volumes_mount_the_image_read_only_and_say_the_cluster_version() {
    let (code, out, err) = stdout_of("image-volumes");
    assert_eq!(code, 0, "{err}");
    let deployments = documents(&out, "Deployment");
    let llm = deployments
        .iter()
        .find(|d| d.contains("\n  name: llm\n"))
        .unwrap();
    assert!(
        llm.contains(
            "      volumes:\n        - name: image-model-weights\n          image:\n            reference: ghcr.io/acme/model-weights:smollm2\n            pullPolicy: Always\n"
        ),
        "{llm}"
    );
    assert!(
        llm.contains("- name: image-model-weights\n              mountPath: /models\n              subPath: gguf\n              readOnly: true\n"),
        "{llm}"
    );
    // One volume for one image mounted twice; no pullPolicy where compose sets none.
    let docs = deployments
        .iter()
        .find(|d| d.contains("\n  name: docs\n"))
        .unwrap();
    assert_eq!(docs.matches("reference:").count(), 1, "{docs}");
    assert!(!docs.contains("pullPolicy"), "{docs}");
    assert!(
        docs.contains("mountPath: /srv/assets\n              subPath: assets\n"),
        "{docs}"
    );
    assert!(
        err.contains("the `image` volume source needs Kubernetes 1.35 or later"),
        "{err}"
    );
    let needs = warnings("image-volumes")
        .into_iter()
        .filter(|w| w.starts_with("the `image` volume source needs Kubernetes 1.35 or later"))
        .count();
    assert_eq!(needs, 3);
    assert!(err.contains("0 keys not converted"), "{err}");
}

/// The Service named `name` in a stream: (its selector's `app.kubernetes.io/name`, its ports as
/// `port->targetPort`).
fn service(stream: &str, name: &str) -> (String, Vec<String>) {
    let doc = documents(stream, "Service")
        .into_iter()
        .find(|d| d.contains(&format!("\n  name: {name}\n")))
        .unwrap_or_else(|| panic!("no Service/{name} in\n{stream}"));
    let selector = doc
        .split("  selector:\n")
        .nth(1)
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.trim().strip_prefix("app.kubernetes.io/name: "))
        })
        .unwrap()
        .to_string();
    let mut ports = Vec::new();
    let mut lines = doc.lines();
    while let Some(l) = lines.next() {
        if let Some(p) = l.trim().strip_prefix("port: ") {
            let t = lines
                .next()
                .unwrap()
                .trim()
                .strip_prefix("targetPort: ")
                .unwrap();
            ports.push(format!("{p}->{t}"));
        }
    }
    (selector, ports)
}

#[test]
fn every_member_of_a_grouped_pod_answers_on_its_own_name_and_ports() {
    let (code, out, err) = stdout_of("grouped-pod-services");
    assert_eq!(code, 0, "{err}");
    assert_eq!(documents(&out, "Deployment").len(), 1, "{out}");
    let pod = "wordpress".to_string();
    assert_eq!(
        service(&out, "wordpress"),
        (pod.clone(), vec!["80->80".into(), "8080->80".into()])
    );
    assert_eq!(
        service(&out, "mysql"),
        (pod.clone(), vec!["3306->3306".into()])
    );
    assert_eq!(
        service(&out, "exporter"),
        (pod.clone(), vec!["9104->9104".into()])
    );
    assert_eq!(
        service(&out, "metrics"),
        (pod.clone(), vec!["9104->9104".into()])
    );
    // No ports: headless, the name resolves to the pod.
    assert_eq!(service(&out, "backup"), (pod, vec![]));
}

#[test]
fn a_port_two_members_of_one_pod_claim_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    labels: [kompose.service.group=front]\n  api:\n    image: api\n    expose: ['80']\n    x-ferry:\n      group: front\n",
    )
    .unwrap();
    let r = run(dir.path(), &["convert"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "error: compose.yaml:8:14: services.api: port 80/tcp is also a port of `web` (at compose.yaml:4:13), which runs in the same pod (group `front`)"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`web` listens on it"), "{}", r.stderr);
    assert!(!dir.path().join("k8s").exists());
}

#[test]
fn provider_services_say_what_they_need_and_the_variables_their_dependents_lack() {
    let (code, out, err) = stdout_of("provider-services");
    assert_eq!(code, 0, "{err}");
    assert_eq!(documents(&out, "Deployment").len(), 2, "{out}");
    for want in [
        "not converted: services.database: run by the provider `awesomecloud` (`awesomecloud compose --project-name=provider-services up --type=mysql --size=256 database`)",
        "then give app the variables it would have set (`DATABASE_…`)",
        "create a model server that serves `ai/smollm2` over an OpenAI-compatible API",
        "not converted: services.app.depends_on: `database` is run by the provider `awesomecloud`, which ferry does not convert; under compose it sets in this service the variables it reports, each named `DATABASE_<NAME>`",
        "not converted: services.chat.depends_on: `ai_runner` is run by the provider `model`, which ferry does not convert; under compose it sets `AI_RUNNER_URL` (the model runner's OpenAI-compatible endpoint) and `AI_RUNNER_MODEL` (the model's name, `ai/smollm2`); set `AI_RUNNER_MODEL` in `environment`",
    ] {
        assert!(err.contains(want), "{want}\nnot in\n{err}");
    }
}
