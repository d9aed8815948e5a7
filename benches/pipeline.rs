//! Each stage of the pipeline on synthetic projects of 10, 100, 1,000 and 5,000 services
//! (`examples/gen/project.rs`): load, translate, render, write (into an empty directory, and
//! over an unchanged one), the `--stdout` stream, diff, and the whole conversion.
//!
//! ```sh
//! cargo bench --bench pipeline              # everything
//! cargo bench --bench pipeline -- render    # one stage (divan filters by name)
//! ```
//!
//! `scripts/bench.sh` runs this and measures the release binary end to end (hyperfine, peak
//! RSS). `diff_unchanged` is `ferry diff` / `--check` on an unchanged output directory.

use divan::Bencher;
use ferry::compose::{self, LoadOptions};
use ferry::translate::{self, TranslateOptions};
use ferry::{output, render};
use std::path::PathBuf;

#[path = "../examples/gen/project.rs"]
mod gen;

const SIZES: &[usize] = &[10, 100, 1000, 5000];

fn main() {
    divan::Divan::default()
        .sample_count(20)
        .max_time(std::time::Duration::from_secs(10))
        .config_with_args()
        .main();
}

/// A generated project of `n` services under `target/bench-input/<n>`, and the options to load
/// it as a user in that directory would, with an empty environment (so only `.env` applies).
fn input(n: usize) -> LoadOptions {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-input")
        .join(n.to_string());
    gen::write_project(&dir, n).expect("write the generated project");
    LoadOptions {
        working_dir: dir,
        ..LoadOptions::default()
    }
}

fn loaded(n: usize) -> (compose::load::Loaded, compose::Project) {
    let (loaded, project, _) = compose::load_all(&input(n)).expect("the generated project loads");
    (loaded, project)
}

fn translated(project: &compose::Project) -> translate::Translation {
    translate::translate(project, &TranslateOptions::default()).expect("it translates")
}

fn rendered(n: usize) -> render::Tree {
    let (loaded, project) = loaded(n);
    let t = translated(&project);
    render::render(
        &project,
        &t.objects,
        &t.kustomize,
        &t.files,
        || compose::config::canonical(&loaded, &project),
        &render::RenderOptions::default(),
    )
    .unwrap()
}

#[divan::bench(args = SIZES)]
fn load(bencher: Bencher, n: usize) {
    let opts = input(n);
    bencher.bench_local(|| compose::load(&opts).unwrap());
}

#[divan::bench(args = SIZES)]
fn translate(bencher: Bencher, n: usize) {
    let (_, project) = loaded(n);
    let opts = TranslateOptions::default();
    bencher.bench_local(|| translate::translate(&project, &opts).unwrap());
}

#[divan::bench(args = SIZES)]
fn render(bencher: Bencher, n: usize) {
    let (loaded, project) = loaded(n);
    let t = translated(&project);
    let opts = render::RenderOptions::default();
    bencher.bench_local(|| {
        render::render(
            &project,
            &t.objects,
            &t.kustomize,
            &t.files,
            || compose::config::canonical(&loaded, &project),
            &opts,
        )
        .unwrap()
    });
}

#[divan::bench(args = SIZES)]
fn stream(bencher: Bencher, n: usize) {
    let tree = rendered(n);
    bencher.bench_local(|| tree.to_stream());
}

/// Writing into an empty directory: every file is new.
#[divan::bench(args = SIZES)]
fn write_fresh(bencher: Bencher, n: usize) {
    let tree = rendered(n);
    bencher
        .with_inputs(|| tempfile::tempdir().unwrap())
        .bench_local_refs(|dir| output::write_tree(&tree, dir.path()).unwrap());
}

/// The rendered tree of `n` services, written into a new directory.
fn written(n: usize) -> (render::Tree, tempfile::TempDir) {
    let tree = rendered(n);
    let dir = tempfile::tempdir().unwrap();
    output::write_tree(&tree, dir.path()).unwrap();
    (tree, dir)
}

/// Writing over the same output again (the pre-commit / CI case): every file is unchanged.
#[divan::bench(args = SIZES)]
fn write_unchanged(bencher: Bencher, n: usize) {
    let (tree, dir) = written(n);
    bencher.bench_local(|| {
        let summary = output::write_tree(&tree, dir.path()).unwrap();
        assert!(summary.written.is_empty());
        summary
    });
}

/// `ferry diff` / `--check` on an unchanged output directory: compare and print nothing.
#[divan::bench(args = SIZES)]
fn diff_unchanged(bencher: Bencher, n: usize) {
    let (tree, dir) = written(n);
    bencher.bench_local(|| {
        let plan = output::plan(&tree, dir.path()).unwrap();
        assert!(plan.is_up_to_date());
        output::diff::unified(&plan, false)
    });
}

/// Load, translate and render: `ferry::convert`, everything but the writing.
#[divan::bench(args = SIZES)]
fn convert(bencher: Bencher, n: usize) {
    let opts = input(n);
    bencher.bench_local(|| {
        ferry::convert(&opts, &TranslateOptions::default(), &Default::default()).unwrap()
    });
}
