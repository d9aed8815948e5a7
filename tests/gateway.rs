//! `--expose none|ingress|gateway`: the choice, its errors, and the Gateway API output.
//!
//! The Gateway API objects are validated against the CRDs (`validate-crs`) and their CEL rules
//! evaluated (`scripts/gateway-check.py`) by `scripts/expose-check.py`, which converts fixtures
//! under all three choices. It needs python3 with pyyaml, jsonschema, cel-python and
//! kubernetes-validate, kubectl, and ../shared: without them that test says so and passes,
//! unless FERRY_REQUIRE_GATEWAY is set (CI sets it, and installs the packages).

use crate::support::{outcome, read_tree, root, run, script};
use std::path::Path;

fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    dir
}

/// The one file of `dir` that holds `kind: KIND`, named `NAME`.
fn object(dir: &Path, kind: &str, name: &str) -> String {
    let path = dir.join(format!("{name}-{}.yaml", kind.to_ascii_lowercase()));
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        let files: Vec<String> = read_tree(dir).into_iter().map(|(p, _)| p).collect();
        panic!("no {kind}/{name} in {files:?}")
    })
}

const SHOP: &str = "services:
  web:
    image: nginx:1.27
    ports: [\"8080:80\"]
    x-ferry:
      ingress: {host: shop.example.com, path: /, tls: shop-tls}
  db:
    image: postgres:16
    ports: [\"5432:5432\"]
";

/// One word switches from an Ingress to routes: the same host, path, port and TLS Secret.
#[test]
fn one_word_switches_the_ingress_to_routes() {
    let dir = project(SHOP);
    let r = run(dir.path(), &["convert", "-o", "ing"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ing = object(&dir.path().join("ing"), "Ingress", "web");
    for want in [
        "host: shop.example.com",
        "number: 8080",
        "secretName: shop-tls",
    ] {
        assert!(ing.contains(want), "{want} not in\n{ing}");
    }
    assert!(!dir.path().join("ing/db-tcproute.yaml").exists());
    let r = run(
        dir.path(),
        &[
            "convert",
            "-o",
            "gw",
            "--expose",
            "gateway",
            "--gateway-class",
            "eg",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gw = dir.path().join("gw");
    assert!(!gw.join("web-ingress.yaml").exists());
    let route = object(&gw, "HTTPRoute", "web");
    for want in [
        "apiVersion: gateway.networking.k8s.io/v1",
        "- shop.example.com",
        "type: PathPrefix",
        "value: /",
        "port: 8080",
        "sectionName: http-80",
        "sectionName: https-shop-example-com",
    ] {
        assert!(route.contains(want), "{want} not in\n{route}");
    }
    let gateway = object(&gw, "Gateway", &dir_name(dir.path()));
    for want in [
        "gatewayClassName: eg",
        "name: https-shop-example-com",
        "hostname: shop.example.com",
        "- name: shop-tls",
        "name: tcp-5432",
    ] {
        assert!(gateway.contains(want), "{want} not in\n{gateway}");
    }
    let tcp = object(&gw, "TCPRoute", "db");
    assert!(tcp.contains("sectionName: tcp-5432") && tcp.contains("port: 5432"));
    // `none`: Services only, whatever the settings say; the report says why.
    let r = run(
        dir.path(),
        &["convert", "-o", "none", "--expose", "none", "--report"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let kinds: Vec<String> = read_tree(&dir.path().join("none"))
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.contains("ingress") || p.contains("route") || p.contains("gateway"))
        .collect();
    assert!(kinds.is_empty(), "{kinds:?}");
    assert!(
        r.stdout
            .contains("inside the cluster only: --expose is `none`"),
        "{}",
        r.stdout
    );
}

/// A member of a group answers on a Service of its own (issue 22), so its published ports get
/// an Ingress or routes of their own too; a service sharing another's network does not.
#[test]
fn grouped_services_are_exposed_on_their_own_services() {
    let dir = project(
        "services:
  web:
    image: nginx:1.27
    ports: [\"8080:80\"]
    x-ferry: {group: shop, ingress: {host: shop.example.com}}
  metrics:
    image: prom/node-exporter:v1.8.2
    ports: [\"9100:9100\"]
    x-ferry: {group: shop, ingress: {host: metrics.example.com}}
  sidecar:
    image: busybox:1.36
    network_mode: service:web
",
    );
    let r = run(dir.path(), &["convert", "-o", "ing"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let member = object(&dir.path().join("ing"), "Ingress", "metrics");
    assert!(member.contains("host: metrics.example.com"), "{member}");
    assert!(member.contains("name: metrics"), "{member}");
    let r = run(
        dir.path(),
        &[
            "convert",
            "-o",
            "gw",
            "--expose",
            "gateway",
            "--gateway-class",
            "eg",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gw = dir.path().join("gw");
    let route = object(&gw, "HTTPRoute", "metrics");
    assert!(route.contains("- metrics.example.com"), "{route}");
    assert!(route.contains("port: 9100"), "{route}");
    object(&gw, "HTTPRoute", "web");
    assert!(!gw.join("sidecar-httproute.yaml").exists());
}

fn dir_name(dir: &Path) -> String {
    ferry::names::dns_label(&dir.file_name().unwrap().to_string_lossy())
}

#[test]
fn gateway_without_a_gateway_is_an_error_naming_the_flags() {
    let dir = project(SHOP);
    let r = run(dir.path(), &["convert", "--expose", "gateway"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--gateway [NAMESPACE/]NAME") && r.stderr.contains("--gateway-class"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("k8s").exists());
    // Asked for in the compose file: located at the key.
    let dir = project(&format!("x-ferry:\n  expose: gateway\n{SHOP}"));
    let r = run(dir.path(), &["convert"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml:2:11: `x-ferry.expose`"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_service_choice_wins_over_the_flag() {
    let dir = project(
        "services:
  web:
    image: nginx
    ports: [\"80:80\"]
    x-ferry: {expose: none}
  api:
    image: example/api
    ports: [\"3000:3000\"]
",
    );
    let r = run(
        dir.path(),
        &["convert", "--expose", "gateway", "--gateway", "edge/main"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let k8s = dir.path().join("k8s");
    assert!(!k8s.join("web-httproute.yaml").exists());
    let api = object(&k8s, "HTTPRoute", "api");
    // An existing Gateway in another namespace: no sectionName, no Gateway written.
    assert!(api.contains("name: main") && api.contains("namespace: edge"));
    assert!(!api.contains("sectionName"));
    assert!(!k8s.join("main-gateway.yaml").exists());
}

#[test]
fn bad_gateway_flags_are_usage_errors() {
    let dir = project(SHOP);
    for args in [
        &["convert", "--expose", "gate"][..],
        &["convert", "--gateway", "Edge/Main"],
        &["convert", "--gateway-class", "Not A Class"],
        &["convert", "--domain", "{svc}.example.com"],
        &["convert", "--domain", "*.example.com"],
    ] {
        let r = run(dir.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
    let dir = project("x-ferry:\n  domain: \"{service}.Example.com\"\nservices: {}\n");
    let r = run(dir.path(), &["convert"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("compose.yaml:2:11"), "{}", r.stderr);
}

#[test]
fn a_gateway_written_elsewhere_cannot_join_a_namespaced_output() {
    let dir = project(SHOP);
    let r = run(
        dir.path(),
        &[
            "convert",
            "--expose",
            "gateway",
            "--gateway",
            "infra/edge",
            "--gateway-class",
            "eg",
            "--namespace",
            "shop",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("namespace `infra`"), "{}", r.stderr);
    // Without --namespace: written into `infra`, its listeners admit the routes' namespace.
    let r = run(
        dir.path(),
        &[
            "convert",
            "--expose",
            "gateway",
            "--gateway",
            "infra/edge",
            "--gateway-class",
            "eg",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g = object(&dir.path().join("k8s"), "Gateway", "edge");
    assert!(
        g.contains("namespace: infra") && g.contains("from: All"),
        "{g}"
    );
}

#[test]
fn a_path_no_route_can_hold_is_a_located_error() {
    let dir = project(
        "services:
  web:
    image: nginx
    ports: [\"80:80\"]
    x-ferry:
      ingress: {path: /a//b}
",
    );
    let r = run(
        dir.path(),
        &["convert", "--expose", "gateway", "--gateway", "edge"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("compose.yaml:6:16"), "{}", r.stderr);
    // The same path is an Ingress path: the Ingress keeps it.
    assert_eq!(run(dir.path(), &["convert"]).code, 0);
}

#[test]
fn gateway_flags_without_gateway_exposure_are_warned() {
    let dir = project(SHOP);
    let r = run(dir.path(), &["convert", "--gateway-class", "eg"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no service is exposed through the Gateway API"),
        "{}",
        r.stderr
    );
}

fn tools() -> Result<(), String> {
    let py = std::process::Command::new("python3")
        .args(["-c", "import yaml, jsonschema, celpy, kubernetes_validate"])
        .output()
        .map_err(|e| e.to_string())?;
    if !py.status.success() {
        return Err(String::from_utf8_lossy(&py.stderr).into_owned());
    }
    let shared = root().join("../shared");
    for p in [
        "tools/validate-k8s",
        "tools/validate-crs",
        "crds/gateway-api-v1.6.1",
    ] {
        if !shared.join(p).exists() {
            return Err(format!("../shared/{p} is missing"));
        }
    }
    Ok(())
}

/// The exposure fixtures under all three choices: valid Kubernetes, valid custom resources
/// whose CEL rules hold, routes that attach and reach their Services, and a report line for
/// every published port. (`.ci/run` runs the same over every fixture and the corpus.)
#[test]
fn every_choice_converts_to_valid_output() {
    if let Err(why) = tools() {
        assert!(
            std::env::var_os("FERRY_REQUIRE_GATEWAY").is_none(),
            "FERRY_REQUIRE_GATEWAY is set but the checks cannot run: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let files: Vec<String> = [
        "gateway-written",
        "gateway-existing",
        "gateway-same-port",
        "expose-choices",
        "service-types-ingress",
        "kompose-labels-service",
        "ports",
    ]
    .iter()
    .map(|f| root().join("fixtures").join(f).join("compose.yaml"))
    .map(|p| p.display().to_string())
    .collect();
    let (ok, text) = outcome(script("expose-check.py").args(&files));
    assert!(ok, "{text}");
    let n = files.len();
    assert!(
        text.contains(&format!(
            "expose-check: {n} projects, {0} conversions, {0} passed, 0 failed",
            n * 3
        )),
        "{text}"
    );
    assert!(text.contains(" 0 invalid"), "{text}");
}
