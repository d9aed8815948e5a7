//! ferry: Docker Compose projects to kustomize-ready Kubernetes manifests.
//!
//! The flow is load ([`compose`]) → translate ([`translate`]) → render ([`render`]) → write
//! ([`output`]). The library never prints; the binary (`src/main.rs`, `src/cli.rs`) does.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod beside;
pub mod compose;
pub mod console;
pub mod environments;
pub mod error;
pub mod names;
pub mod output;
pub mod patch;
pub mod paths;
pub mod render;
pub mod review;
pub mod sops;
pub mod sources;
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
    /// The remote keys ExternalSecrets read (`--env-secrets external-secrets`), for the report.
    pub remote_keys: Vec<translate::secretmode::RemoteKey>,
    /// The kustomization's `namespace`.
    pub namespace: Option<String>,
    /// The environments written as overlays beside the base, in the order declared, with what
    /// each changes.
    pub environments: Vec<environments::Written>,
    /// With `--helm`: what the chart is made from, for the environments' values files.
    pub chart: Option<render::helm::Chart>,
}

impl Conversion {
    /// Why there is nothing to write, when the conversion made no Kubernetes object: the project
    /// has no service to run (none defined, every one behind an inactive profile, or every one
    /// run by a provider plugin) and nothing else that becomes an object.
    pub fn nothing_to_run(&self) -> Option<String> {
        if self.objects > 0 {
            return None;
        }
        let why = if !self.project.services.is_empty() {
            "the project makes no Kubernetes object"
        } else if !self.project.providers.is_empty() {
            "every service of the project is run by a provider plugin"
        } else {
            "the project has no service to run (none is defined, or every one is behind an inactive profile)"
        };
        Some(format!("nothing to run: {why}"))
    }

    /// The report grouped per compose key (`ferry convert --report`), made on demand: it costs
    /// about as much as translating.
    pub fn summary(&self) -> translate::report::Summary {
        translate::report::build(&self.project, &self.report, &self.made, &self.remote_keys)
    }
}

/// Load, translate and render a project, and each of its environments as an overlay over the
/// base (`base/`, `overlays/<name>/`; see [`environments`]). Nothing is written.
pub fn convert(
    load: &compose::LoadOptions,
    opts: &translate::TranslateOptions,
    render_opts: &render::RenderOptions,
) -> Result<Conversion> {
    environments::convert(load, opts, render_opts)
}

/// Load, translate and render one project: the base files, or with `environment`, an
/// environment's files and its services' `x-ferry: {overlays}` settings. Nothing is written.
pub(crate) fn convert_one(
    load: &compose::LoadOptions,
    opts: &translate::TranslateOptions,
    render_opts: &render::RenderOptions,
    environment: Option<&str>,
) -> Result<Conversion> {
    let opts = &translate::TranslateOptions {
        environment: environment.map(str::to_string),
        ..opts.clone()
    };
    if let Some(helm) = &render_opts.helm {
        return convert_helm(load, opts, helm, environment);
    }
    let (loaded, mut project, mut report) = compose::load_all(load)?;
    if let Some(env) = environment {
        environments::settings::apply(&mut project, env)?;
    }
    let renderer = match render::Renderer::new(
        &project,
        || compose::config::canonical(&loaded, &project),
        render_opts,
    ) {
        Ok(renderer) => renderer,
        Err(e) => {
            // A translation error wins over a templates error, as when translation came first.
            translate::translate_each(&project, opts, &mut |_| {})?;
            return Err(e);
        }
    };
    // The located YAML is read only for the canonical project, which the renderer has made by
    // now if a template reads it.
    drop(loaded);
    // Each service's objects are rendered as they are made, and only their text is kept: every
    // object's body at once was most of the memory at thousands of services.
    let (translation, objects, renderer) = translate_and_render(&project, opts, renderer)?;
    report.extend(translation.report);
    let (tree, made) = renderer.finish(
        &project,
        &translation.kustomize,
        &translation.files,
        &translation.secrets.sealed,
    )?;
    report.sort();
    Ok(Conversion {
        objects,
        made,
        project,
        tree,
        report,
        secret_generators: translation.kustomize.secret_generators,
        remote_keys: translation.secrets.remote_keys,
        namespace: translation.kustomize.namespace,
        environments: Vec::new(),
        chart: None,
    })
}

/// [`convert`] to a Helm chart (`--helm`): the same objects, as chart templates.
fn convert_helm(
    load: &compose::LoadOptions,
    opts: &translate::TranslateOptions,
    helm: &render::helm::HelmOptions,
    environment: Option<&str>,
) -> Result<Conversion> {
    let (_, mut project, mut report) = compose::load_all(load)?;
    if let Some(env) = environment {
        environments::settings::apply(&mut project, env)?;
    }
    let translation = translate::translate(&project, opts)?;
    report.extend(translation.report);
    let (tree, chart) = render::helm::chart(
        &project,
        &translation.objects,
        &translation.kustomize.secret_generators,
        &translation.files,
        &translation.secrets,
        helm,
        &mut report,
    )?;
    report.sort();
    Ok(Conversion {
        objects: translation.objects.len(),
        made: translation
            .objects
            .iter()
            .map(translate::Object::made)
            .collect(),
        project,
        tree,
        report,
        secret_generators: translation.kustomize.secret_generators,
        remote_keys: translation.secrets.remote_keys,
        namespace: translation.kustomize.namespace,
        environments: Vec::new(),
        chart: Some(chart),
    })
}

/// How many objects go to the render thread at a time.
const BATCH: usize = 32;

/// Translate `project`, rendering each object as it is made: translation runs on a second
/// thread when one can be started (translating and rendering each take about a third of a
/// conversion, and neither waits for the other), else in turn. Rendering stays on this thread,
/// whose allocator has the memory of the tree just dropped to lend to the rendered text. The
/// objects are rendered in the order they are made either way, so the output is the same. A
/// translation error wins over a render error, as it would if all were translated first.
fn translate_and_render(
    project: &compose::Project,
    opts: &translate::TranslateOptions,
    mut renderer: render::Renderer,
) -> Result<(translate::Translated, usize, render::Renderer)> {
    let mut objects = 0;
    let mut error = None;
    let mut render = |obj| {
        objects += 1;
        if error.is_none() {
            error = renderer.object(obj).err();
        }
    };
    let translation = std::thread::scope(|scope| {
        // A few batches in flight bound the memory if rendering falls behind.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<translate::Object>>(4);
        let worker = std::thread::Builder::new()
            .name("ferry-translate".into())
            .spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(BATCH);
                let translation = translate::translate_each(project, opts, &mut |obj| {
                    batch.push(obj);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // Fails only when this thread's receiver is gone, which it is not
                        // before the loop below ends (it reads until this sender is dropped).
                        let _ = tx.send(full);
                    }
                });
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                translation
            });
        match worker {
            Ok(worker) => {
                rx.into_iter().flatten().for_each(&mut render);
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
            Err(_) => translate::translate_each(project, opts, &mut render),
        }
    });
    let translation = translation?;
    match error {
        Some(e) => Err(e),
        None => Ok((translation, objects, renderer)),
    }
}
