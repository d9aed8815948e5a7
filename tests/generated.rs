//! The benchmark input stays valid: the synthetic project generator's output (`cargo run
//! --example gen`, used by `benches/pipeline.rs`) converts without errors, and every object it
//! produces passes the strict Kubernetes schema check.

use crate::support::k8s_schema::validate_yaml;
use ferry::compose::LoadOptions;
use ferry::error::Severity;
use ferry::translate::TranslateOptions;

#[path = "../examples/gen/project.rs"]
mod gen;

#[test]
fn generated_100_service_project_converts_and_is_schema_valid() {
    let dir = tempfile::tempdir().unwrap();
    gen::write_project(dir.path(), 100).unwrap();
    let opts = LoadOptions {
        working_dir: dir.path().to_path_buf(),
        ..LoadOptions::default()
    };
    let conv = ferry::convert(&opts, &TranslateOptions::default(), &Default::default()).unwrap();

    // Per service a Deployment, a Service and a claim; a ConfigMap for each of the 9 services
    // with an env_file; one more claim for the shared cache volume.
    assert_eq!(conv.objects, 100 * 3 + 9 + 1);
    assert_eq!(conv.tree.files.len(), conv.objects + 1); // + kustomization.yaml
    for (path, bytes) in &conv.tree.files {
        let problems = validate_yaml(std::str::from_utf8(bytes).unwrap());
        assert!(problems.is_empty(), "{path}:\n{}", problems.join("\n"));
    }

    // Interpolation from .env happened, and the values reached the manifests.
    let deploy = std::str::from_utf8(&conv.tree.files["svc-00007-deployment.yaml"]).unwrap();
    assert!(
        deploy.contains("image: registry.example.com/platform/svc-00007:2.4.1"),
        "{deploy}"
    );
    assert!(deploy.contains("cpu: 500m"), "{deploy}");
    let env = std::str::from_utf8(&conv.tree.files["svc-00000-env-configmap.yaml"]).unwrap();
    assert!(env.contains("TZ: UTC"), "{env}");

    // Nothing unconverted; the only warnings are about the shared (ReadWriteOnce) volume.
    assert_eq!(conv.report.count(Severity::NotConverted), 0);
    let warnings: Vec<String> = conv
        .report
        .entries
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("volumes.shared-cache"),
        "{warnings:#?}"
    );
}

#[test]
fn generator_is_deterministic() {
    assert_eq!(gen::compose_yaml(50), gen::compose_yaml(50));
    assert!(gen::compose_yaml(1).contains("svc-00000"));
}
