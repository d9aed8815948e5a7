//! Every `fixtures/<case>/` project: the whole rendered tree and the report are snapshot-tested,
//! and every rendered object is validated strictly against the Kubernetes API schema.

use crate::support::{k8s_schema::validate_yaml, root};
use ferry::compose::LoadOptions;
use ferry::render::RenderOptions;
use ferry::translate::TranslateOptions;

/// Render options a fixture asks for in its `ferry-args` file (`--overlay NAME`,
/// `--templates DIR`, one flag and value per line), as on the command line.
fn render_options(dir: &std::path::Path) -> RenderOptions {
    let mut opts = RenderOptions::default();
    let Ok(text) = std::fs::read_to_string(dir.join("ferry-args")) else {
        return opts;
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once(' ') {
            Some(("--overlay", v)) => opts.overlays.push(v.trim().to_string()),
            Some(("--templates", v)) => opts.templates_dir = Some(dir.join(v.trim())),
            _ => panic!("{}: unknown line {line:?}", dir.display()),
        }
    }
    opts
}

/// Convert a fixture as a user in its directory would, with a fixed, empty environment.
fn convert(case: &str) -> ferry::Conversion {
    let dir = root().join("fixtures").join(case);
    let render = render_options(&dir);
    let opts = LoadOptions {
        working_dir: dir,
        ..LoadOptions::default()
    };
    ferry::convert(&opts, &TranslateOptions::default(), &render)
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
        out.push_str(std::str::from_utf8(bytes).unwrap());
    }
    out.push_str("=== report\n");
    for d in &conv.report.entries {
        out.push_str(&format!("{d}\n"));
    }
    out
}

fn check(case: &str) {
    let conv = convert(case);
    for (path, bytes) in &conv.tree.files {
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
    build_no_image => "build-no-image",
    dotenv_forms => "dotenv-forms",
    extends_files => "extends-files",
    include => "include",
    merge_override => "merge-override",
    profiles => "profiles",
    command_entrypoint => "command-entrypoint",
    environment => "environment",
    healthcheck => "healthcheck",
    interpolation => "interpolation",
    names => "names",
    nginx_api_mysql => "nginx-api-mysql",
    overlays => "overlays",
    pod_settings => "pod-settings",
    ports => "ports",
    replicas_resources => "replicas-resources",
    restart_jobs => "restart-jobs",
    templates_override => "templates-override",
    unconverted_keys => "unconverted-keys",
    volumes => "volumes",
    wordpress_mysql => "wordpress-mysql",
    yaml_quoting => "yaml-quoting",
}
