//! `ferry convert --helm`: the chart of every fixture, linted and rendered by Helm's own engine
//! (`scripts/helm-check.py`, the helm-python-sdk package), gives the objects of the kustomize
//! output; non-default values change what they say; the schema refuses bad values. Needs
//! `pip install helm-python-sdk`: without it the test says so and passes, unless
//! FERRY_REQUIRE_HELM is set (CI sets it, and installs the package).

use crate::support::root;

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
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/helm-check.py"))
        .arg("--values-tests")
        .args(&files)
        .env("FERRY", env!("CARGO_BIN_EXE_ferry"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "helm-check: {0} charts, {0} passed, 0 failed",
            files.len()
        )),
        "{text}"
    );
    // The routes' values: a host name set in values reaches the route; the schema refuses a
    // host name the Gateway API would and a misspelt key.
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/helm-check.py"))
        .arg("--values-tests")
        .arg(root().join("fixtures/gateway-written/compose.yaml"))
        .env("FERRY", env!("CARGO_BIN_EXE_ferry"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("helm-check: 1 charts, 1 passed, 0 failed"),
        "{text}"
    );
}
