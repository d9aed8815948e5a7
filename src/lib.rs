//! ferry: Docker Compose projects to kustomize-ready Kubernetes manifests.
//!
//! The flow is load ([`compose`]) → translate ([`translate`]) → render ([`render`]) → write
//! ([`output`]). The library never prints; the binary (`src/main.rs`, `src/cli.rs`) does.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod compose;
pub mod error;
pub mod names;
pub mod output;
pub mod paths;
pub mod render;
pub mod translate;
pub mod yaml;

pub use error::{Error, Report, Result};

/// A finished conversion: the rendered tree and the report of everything not converted.
#[derive(Debug)]
pub struct Conversion {
    pub project: compose::Project,
    pub tree: render::Tree,
    pub report: Report,
    /// How many Kubernetes objects the tree holds.
    pub objects: usize,
    /// What was made of each object, for [`Conversion::summary`].
    made: Vec<translate::Made>,
    /// Secrets kustomize makes from files (not in the `--stdout` stream).
    pub secret_generators: Vec<translate::SecretGenerator>,
}

impl Conversion {
    /// The report grouped per compose key (`ferry convert --report`), made on demand: it costs
    /// about as much as translating.
    pub fn summary(&self) -> translate::report::Summary {
        translate::report::build(&self.project, &self.report, &self.made)
    }
}

/// Load, translate and render a project. Nothing is written.
pub fn convert(
    load: &compose::LoadOptions,
    opts: &translate::TranslateOptions,
    render_opts: &render::RenderOptions,
) -> Result<Conversion> {
    let (loaded, project, mut report) = compose::load_all(load)?;
    let mut renderer = render::Renderer::new(
        &project,
        || compose::config::canonical(&loaded, &project),
        render_opts,
    )?;
    // The located YAML is read only for the canonical project, which the renderer has made by
    // now if a template reads it.
    drop(loaded);
    // Each service's objects are rendered as they are made, and only their text is kept: every
    // object's body at once was most of the memory at thousands of services.
    let mut render_error = None;
    let mut objects = 0;
    let translation = translate::translate_each(&project, opts, &mut |obj| {
        objects += 1;
        if render_error.is_none() {
            if let Err(e) = renderer.object(obj) {
                render_error = Some(e);
            }
        }
    })?;
    if let Some(e) = render_error {
        return Err(e);
    }
    report.extend(translation.report);
    let (tree, made) = renderer.finish(
        &project,
        &translation.kustomize,
        &translation.files,
        &mut report,
    )?;
    report.sort();
    Ok(Conversion {
        objects,
        made,
        project,
        tree,
        report,
        secret_generators: translation.kustomize.secret_generators,
    })
}
