//! Render: objects to text through minijinja templates (built in, or a user's `--templates`
//! directory), parsed back before they leave so that a broken template is an error naming the
//! template, not a broken file.

pub mod helm;
pub mod helm_values;
pub mod json;
pub mod overlay;
pub mod templates;

use crate::compose::Project;
use crate::error::{Error, Result};
use crate::translate::{ExtraFile, Kustomize, Made, Object};
use crate::yaml;
use minijinja::Value as JValue;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The rendered output: relative path → bytes, in path order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Object files of the base in apply order (kind, then name) for `--stdout`.
    pub apply_order: Vec<String>,
    /// Files holding secret material (read by a kustomize secretGenerator): written as they are
    /// (no header), but never shown in terminal output, diffs or logs.
    pub sensitive: std::collections::BTreeSet<String>,
    /// Secret objects that `--stdout` prints first, since it cannot leave the generators' files
    /// beside the stream (sensitive environment). Not part of the directory output.
    pub stream_secrets: Vec<u8>,
    /// Files to be encrypted with SOPS (`--env-secrets sops`): not in `files` until
    /// `output::seal` has encrypted them against what the output directory holds.
    pub sealed: Vec<SealedFile>,
}

/// A file of the tree that holds a document to encrypt with SOPS.
#[derive(Clone)]
pub struct SealedFile {
    /// Relative to the output directory.
    pub path: String,
    /// ferry's header line, the file's first.
    pub header: String,
    /// What is encrypted, and which values are not known on this machine.
    pub plain: crate::sops::Plain,
    /// Under which keys values are encrypted (`data`, `stringData` for a Secret).
    pub encrypted_keys: &'static [&'static str],
    /// The age recipients given (empty: the file's `.sops.yaml` creation rule).
    pub recipients: Vec<String>,
    /// What it is, for messages (`Secret/app-env`).
    pub what: String,
    /// Where each value not known here was set, by key.
    pub unknown_at: Vec<(String, Option<crate::error::Location>)>,
    /// For a Secret: what its values are made from (`SecretGenerator::recipe`), and whether
    /// one comes from the environment. An environment's overlay decides by them.
    pub recipe: Vec<String>,
    pub from_environment: bool,
}

impl std::fmt::Debug for SealedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedFile")
            .field("path", &self.path)
            .field("plain", &self.plain)
            .finish()
    }
}

impl PartialEq for SealedFile {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.plain == other.plain
            && self.recipients == other.recipients
            && self.encrypted_keys == other.encrypted_keys
    }
}

impl Eq for SealedFile {}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("apply_order", &self.apply_order)
            .field("sensitive", &self.sensitive)
            .field("sealed", &self.sealed)
            .field(
                "stream_secrets",
                &format!("<{} bytes>", self.stream_secrets.len()),
            )
            .finish()
    }
}

/// Options that change how the output is rendered.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// `--templates DIR`.
    pub templates_dir: Option<PathBuf>,
    /// `--helm`: a Helm chart instead of a kustomize directory.
    pub helm: Option<helm::HelmOptions>,
    /// Environments asked for on the command line (`--overlay`, `--overlay-env-file`), besides
    /// those the project declares; each is written as an overlay over `base/`.
    pub environments: Vec<crate::environments::Requested>,
    /// `--environment NAME`: convert that environment by itself, as plain manifests (no base/
    /// and no overlays/).
    pub environment: Option<String>,
    /// `--no-environments`: the compose files as one project, without the environments they
    /// declare.
    pub no_environments: bool,
    /// Render objects with the built-in templates through minijinja even where their compiled
    /// form ([`compiled_builtin`]) gives the same text: for the test that holds the two to the
    /// same output.
    pub interpret_builtins: bool,
}

/// What a built-in object template (`templates/<kind>.yaml`, `object.yaml`) renders, written
/// directly: each is a header and `key:{{ object.key | yaml }}` lines, and going through
/// minijinja for that was a quarter of rendering. `None` (render the template) for any other
/// template, or an object without a key the template requires (the template then says so).
/// A user's `--templates` file of the same name is a different template and never comes here;
/// `tests/fixtures.rs` holds every fixture's output to the interpreted templates' byte for byte.
pub fn compiled_builtin(template: &str, header: &str, object: &J) -> Option<String> {
    const REQUIRED: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
    let map = object.as_object()?;
    let mut out = String::with_capacity(header.len() + 1024);
    out.push_str(header);
    let mut key = |k: &str, v: &J| {
        out.push('\n');
        out.push_str(k);
        out.push(':');
        yaml::emit::push_after_key(&mut out, v, 0);
    };
    match template {
        "object.yaml" => map.iter().for_each(|(k, v)| key(k, v)),
        "deployment.yaml" | "service.yaml" | "persistentvolumeclaim.yaml" | "job.yaml" => {
            for k in REQUIRED {
                key(k, map.get(*k)?);
            }
        }
        "configmap.yaml" => {
            for k in &REQUIRED[..3] {
                key(k, map.get(*k)?);
            }
            for k in ["data", "binaryData"] {
                if let Some(v) = map.get(k) {
                    key(k, v);
                }
            }
        }
        _ => return None,
    }
    out.push('\n');
    Some(out)
}

/// The canonical service `name` for templates (null when no template reads the canonical
/// project, or for an object of no service).
fn service_value(compose: &Arc<J>, name: Option<&str>) -> JValue {
    name.and_then(|n| json::Json::at(compose, &["services", n]))
        .unwrap_or_else(|| JValue::from(()))
}

/// Where the base goes when overlays are written.
pub const BASE_DIR: &str = "base";

/// The kustomization file's name.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ServiceAccount" => 1,
        "Secret" => 2,
        "ConfigMap" => 3,
        "PersistentVolumeClaim" => 4,
        "Service" => 5,
        "Deployment" | "StatefulSet" | "DaemonSet" => 6,
        "Job" | "CronJob" => 7,
        _ => 8,
    }
}

/// A generated file's name: `<name>-<kind>.yaml`.
pub fn file_name(obj: &Object) -> String {
    format!("{}-{}.yaml", obj.name, obj.kind.to_ascii_lowercase())
}

/// How every generated file begins: `ferry convert --prune` removes a file that is no longer
/// generated only when it starts with this, and never overwrites a file that does not.
pub const HEADER_PREFIX: &str = "# Generated by ferry";

/// True when `bytes` is a file ferry generated: it starts with [`HEADER_PREFIX`], or with the
/// header in the form a chart's `values.schema.json` or `NOTES.txt` can hold.
pub fn is_generated(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER_PREFIX.as_bytes())
        || bytes.starts_with(helm::JSON_HEADER_PREFIX.as_bytes())
        || bytes.starts_with(helm::NOTES_HEADER_PREFIX.as_bytes())
}

/// The compose files a project was read from, as the header names them.
pub fn header_source(project: &Project) -> String {
    project
        .files
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line of every generated file.
pub fn header(source: &str) -> String {
    format!("{HEADER_PREFIX} from {source}. Do not edit: change the compose file and run `ferry convert`.")
}

/// The objects in rendered text: (kind, name, line) of each document. Invalid YAML, a document
/// that is not an object, or one without apiVersion, kind or metadata.name is an error naming
/// the template.
pub(crate) fn check_rendered(
    template: &str,
    text: &str,
    want_object: bool,
) -> Result<Vec<(String, String, u32)>> {
    let err = |line: Option<usize>, message: String| Error::Template {
        template: template.to_string(),
        line,
        message,
    };
    let docs = yaml::parse_stream(text, Arc::from("output"), &yaml::Limits::default())
        .map_err(|e| err(None, format!("rendered invalid YAML: {e}")))?;
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| !d.is_null()) {
        let s = |n: Option<&yaml::Node>| n.and_then(|n| n.as_scalar()).map(|s| s.text.clone());
        let kind = s(d.get("kind"));
        let name = s(d.get("metadata").and_then(|m| m.get("name")));
        match (s(d.get("apiVersion")), kind, name) {
            (Some(_), Some(kind), Some(name)) => out.push((kind, name, d.loc.line)),
            _ if !want_object => {}
            _ => {
                return Err(err(
                    None,
                    format!(
                        "rendered a document without apiVersion, kind or metadata.name (at line {} of its output)",
                        d.loc.line
                    ),
                ))
            }
        }
    }
    if docs.is_empty() && !want_object {
        return Err(err(None, "rendered no YAML document".into()));
    }
    Ok(out)
}

#[derive(Default)]
struct Rendered {
    tree: Tree,
    /// (kind, name) → (template, output line) of the document that defined it.
    defined: BTreeMap<(String, String), (Arc<str>, u32)>,
    /// Each object's file with the rank of its kind, for the apply order.
    order: Vec<(u8, String)>,
    /// File → the compose key it was made from.
    origins: BTreeMap<String, String>,
    /// The template names, each kept once.
    templates: Vec<Arc<str>>,
}

impl Rendered {
    fn add(
        &mut self,
        path: String,
        template: &str,
        text: String,
        origin: String,
        objects: Vec<(String, String, u32)>,
    ) -> Result<()> {
        if let Some(first) = self.origins.get(&path) {
            return Err(Error::Usage(format!(
                "{path} is made both from {first} and from {origin}; rename one of them"
            )));
        }
        for (kind, name, line) in objects {
            self.order.push((kind_rank(&kind), path.clone()));
            let slot = match self.defined.entry((kind, name)) {
                std::collections::btree_map::Entry::Occupied(first) => {
                    let ((kind, name), (t, l)) = (first.key(), first.get());
                    return Err(Error::Template {
                        template: template.to_string(),
                        line: None,
                        message: format!(
                            "rendered {kind} `{name}` (line {line} of its output), which {t} already rendered (line {l} of its output); kind and name must be unique"
                        ),
                    });
                }
                std::collections::btree_map::Entry::Vacant(slot) => slot,
            };
            let known = self.templates.iter().find(|t| ***t == *template).cloned();
            let template = known.unwrap_or_else(|| {
                let new: Arc<str> = Arc::from(template);
                self.templates.push(new.clone());
                new
            });
            slot.insert((template, line));
        }
        self.origins.insert(path.clone(), origin);
        self.tree.files.insert(path, text.into_bytes());
        Ok(())
    }
}

/// Render one extra template into `<prefix><template stem>.yaml`; nothing when it renders only
/// blank lines and comments.
fn render_extra(
    set: &templates::TemplateSet,
    tname: &str,
    prefix: &str,
    ctx: JValue,
    out: &mut Rendered,
) -> Result<()> {
    let tmpl = set
        .env
        .get_template(tname)
        .map_err(|e| templates::render_error(tname, &e))?;
    let text = tmpl
        .render(ctx)
        .map_err(|e| templates::render_error(tname, &e))?;
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(());
    }
    let stem = std::path::Path::new(tname)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let docs = check_rendered(tname, &text, true)?;
    let path = format!("{prefix}{}.yaml", crate::names::dns_label(&stem));
    out.add(path, tname, text, tname.to_string(), docs)
}

/// Render every object, the extra templates and the kustomization.
/// `compose` makes the canonical project (`ferry config`) for templates; it is called only
/// when a template uses `compose` or `service` (the built-in ones do not).
pub fn render(
    project: &Project,
    objects: &[Object],
    kustomize: &Kustomize,
    extra: &[ExtraFile],
    compose: impl FnOnce() -> J,
    opts: &RenderOptions,
) -> Result<Tree> {
    let mut r = Renderer::new(project, compose, opts)?;
    for obj in objects {
        r.object(obj.clone())?;
    }
    Ok(r.finish(project, kustomize, extra, &[])?.0)
}

/// [`render`] one object at a time: [`Renderer::object`] renders an object as translate makes
/// it and keeps only its text (and its body only when an extra template reads `objects`), so
/// that a conversion never holds every object's body at once. [`Renderer::finish`] renders the
/// extra templates and the kustomization.
pub struct Renderer {
    set: templates::TemplateSet,
    header: String,
    compose: Arc<J>,
    project_v: JValue,
    out: Rendered,
    made: Vec<Made>,
    /// The objects' bodies, kept only for extra templates (service of each, body).
    kept: Vec<(Option<String>, Arc<J>)>,
    /// [`RenderOptions::interpret_builtins`].
    interpret_builtins: bool,
}

impl Renderer {
    /// Load the templates (`opts.templates_dir` or the built-in ones). `compose` makes the
    /// canonical project; it is called here, and only when a template uses `compose` or
    /// `service`, so that the caller can drop what it needs afterwards.
    pub fn new(
        project: &Project,
        compose: impl FnOnce() -> J,
        opts: &RenderOptions,
    ) -> Result<Self> {
        let set = templates::load(opts.templates_dir.as_deref())?;
        let source = header_source(project);
        // The canonical project costs about as much as loading; it is made only for templates
        // that read it.
        let compose = if set.uses_any(&["compose", "service"]) {
            Arc::new(compose())
        } else {
            Arc::default()
        };
        Ok(Renderer {
            set,
            header: header(&source),
            compose,
            project_v: minijinja::context! { name => project.name.clone() },
            out: Rendered::default(),
            made: Vec::new(),
            kept: Vec::new(),
            interpret_builtins: opts.interpret_builtins,
        })
    }

    /// Render one object into `<name>-<kind>.yaml`.
    pub fn object(&mut self, mut obj: Object) -> Result<()> {
        let set = &self.set;
        let tname = set.for_kind(&obj.kind);
        let builtin = templates::is_builtin(tname);
        let compiled = match builtin && !self.interpret_builtins {
            true => compiled_builtin(tname, &self.header, &obj.value),
            false => None,
        };
        let mut text = match compiled {
            Some(text) => text,
            None => {
                let tmpl = set
                    .env
                    .get_template(tname)
                    .map_err(|e| templates::render_error(tname, &e))?;
                let ctx = minijinja::context! {
                    header => self.header.clone(),
                    object => json::Json::value(obj.value.clone()),
                    project => self.project_v.clone(),
                    compose => json::Json::value(self.compose.clone()),
                    service => service_value(&self.compose, obj.service.as_deref()),
                    service_name => obj.service.clone(),
                };
                tmpl.render(ctx)
                    .map_err(|e| templates::render_error(tname, &e))?
            }
        };
        // Kept until the end: without the room the string grew into (up to half of it).
        text.shrink_to_fit();
        // A user's template is parsed back: it may render anything. A built-in one renders the
        // object through the YAML emitter, whose output every fixture test parses back and
        // schema-checks, so parsing it again on every run would only cost time (it was nearly
        // half the work at 1,000 services).
        let docs = if builtin {
            // The document starts on line 2, after the header.
            vec![(obj.kind.clone(), obj.name.clone(), 2)]
        } else {
            check_rendered(tname, &text, true)?
        };
        let origin = std::mem::take(&mut obj.origin);
        self.out.add(file_name(&obj), tname, text, origin, docs)?;
        self.made.push(obj.made());
        if !self.set.extras.per_service.is_empty() || !self.set.extras.per_project.is_empty() {
            self.kept.push((obj.service, obj.value));
        }
        Ok(())
    }

    /// Render the extra templates and the kustomization: the whole tree, and what was made of
    /// every object (for the report).
    pub fn finish(
        self,
        project: &Project,
        kustomize: &Kustomize,
        extra: &[ExtraFile],
        sealed: &[crate::translate::secretmode::Sealed],
    ) -> Result<(Tree, Vec<Made>)> {
        let Renderer {
            set,
            header,
            compose,
            project_v,
            mut out,
            made,
            kept,
            ..
        } = self;
        let compose_v = json::Json::value(compose.clone());
        // Extra templates: once per service, and once per project.
        // Each service's objects, grouped once (not one scan of every object per service).
        let mut by_service: std::collections::HashMap<&str, Vec<JValue>> =
            std::collections::HashMap::new();
        if !set.extras.per_service.is_empty() {
            for (service, value) in &kept {
                if let Some(s) = service.as_deref() {
                    by_service
                        .entry(s)
                        .or_default()
                        .push(json::Json::value(value.clone()));
                }
            }
        }
        for tname in &set.extras.per_service {
            for svc in project.services.values() {
                let svc_objects = by_service
                    .get(svc.name.as_str())
                    .cloned()
                    .unwrap_or_default();
                let ctx = minijinja::context! {
                    header => header.clone(),
                    project => project_v.clone(),
                    compose => compose_v.clone(),
                    service => service_value(&compose, Some(&svc.name)),
                    service_name => svc.name.clone(),
                    objects => JValue::from(svc_objects),
                };
                let prefix = format!("{}-", crate::names::dns_label(&svc.name));
                render_extra(&set, tname, &prefix, ctx, &mut out)?;
            }
        }
        for tname in &set.extras.per_project {
            let all: Vec<JValue> = kept
                .iter()
                .map(|(_, v)| json::Json::value(v.clone()))
                .collect();
            let ctx = minijinja::context! {
                header => header.clone(),
                project => project_v.clone(),
                compose => compose_v.clone(),
                objects => JValue::from(all),
            };
            render_extra(&set, tname, "", ctx, &mut out)?;
        }
        drop(kept);
        let mut tree = out.tree;
        out.order.sort();
        let mut seen = std::collections::BTreeSet::new();
        tree.apply_order = out
            .order
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| seen.insert(p.clone()))
            .collect();

        // Secrets encrypted with SOPS are resources like the objects, and Secrets in the
        // report's sense.
        let mut made = made;
        for s in sealed {
            let path = format!("{}-secret.yaml", s.name);
            if tree.files.contains_key(&path) || tree.sealed.iter().any(|f| f.path == path) {
                return Err(Error::Usage(format!(
                    "{path} is made both from {} and from another object; rename one of them",
                    s.origin
                )));
            }
            made.push(Made {
                kind: "Secret".into(),
                name: s.name.clone(),
                api_version: "v1".into(),
                service: s.service.clone(),
            });
            tree.sealed.push(SealedFile {
                path,
                header: header.clone(),
                plain: s.plain.clone(),
                encrypted_keys: crate::translate::secretmode::SECRET_DATA_KEYS,
                recipients: s.recipients.clone(),
                what: format!("Secret/{}", s.name),
                unknown_at: s.unknown_at.clone(),
                recipe: s.recipe.clone(),
                from_environment: s.from_environment,
            });
        }
        tree.sealed.sort_by(|a, b| a.path.cmp(&b.path));
        let mut resources: Vec<String> = tree.files.keys().cloned().collect();
        resources.extend(tree.sealed.iter().map(|f| f.path.clone()));
        resources.sort();
        let tname = set.builtin(KUSTOMIZATION);
        let tmpl = set
            .env
            .get_template(tname)
            .map_err(|e| templates::render_error(tname, &e))?;
        let generators: Vec<J> = kustomize
            .secret_generators
            .iter()
            .map(|g| {
                serde_json::json!({
                    "name": g.name,
                    "files": g.files.iter().map(|(k, p)| format!("{k}={p}")).collect::<Vec<_>>(),
                    "options": { "labels": g.labels },
                })
            })
            .collect();
        let text = tmpl
            .render(minijinja::context! {
                header => header.clone(),
                resources => resources,
                project => project_v.clone(),
                namespace => kustomize.namespace.clone(),
                secret_generators => JValue::from(minijinja::value::Serde(&generators)),
            })
            .map_err(|e| templates::render_error(tname, &e))?;
        // The built-in kustomization writes every value through the emitter (`quote`, `yaml`);
        // parsing back its list of every file cost more than all of finishing.
        if !templates::is_builtin(tname) {
            check_rendered(tname, &text, false)?;
        }
        tree.files
            .insert(KUSTOMIZATION.to_string(), text.into_bytes());
        tree.stream_secrets = stream_secrets(&header, kustomize, extra);
        for f in extra {
            if tree.files.contains_key(&f.path) {
                return Err(Error::Usage(format!(
                    "`{}` would be written twice; rename the object or secret that makes it",
                    f.path
                )));
            }
            tree.files.insert(f.path.clone(), f.bytes.clone());
            if f.sensitive {
                tree.sensitive.insert(f.path.clone());
            }
        }

        // Every generated file starts with the header, whatever a user's template does: it is how
        // `convert` tells its own files from the user's (see src/output).
        for (path, text) in tree.files.iter_mut() {
            // Secret files are kustomize inputs, kept byte for byte.
            if tree.sensitive.contains(path) {
                continue;
            }
            if !text.starts_with(HEADER_PREFIX.as_bytes()) {
                let mut with = format!("{header}\n").into_bytes();
                with.append(text);
                *text = with;
            }
        }
        Ok((tree, made))
    }
}

/// The Secret objects of the generators printed inline by `--stdout` (base64 `data`).
fn stream_secrets(header: &str, kustomize: &Kustomize, extra: &[ExtraFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for g in kustomize.secret_generators.iter().filter(|g| g.inline) {
        let mut data = serde_json::Map::new();
        for (k, path) in &g.files {
            let bytes = extra
                .iter()
                .find(|f| &f.path == path)
                .map(|f| f.bytes.as_slice())
                .unwrap_or_default();
            data.insert(
                k.clone(),
                J::String(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    bytes,
                )),
            );
        }
        let mut md = serde_json::Map::new();
        md.insert("name".into(), J::String(g.name.clone()));
        if let Some(ns) = &kustomize.namespace {
            md.insert("namespace".into(), J::String(ns.clone()));
        }
        md.insert("labels".into(), J::Object(g.labels.clone()));
        let doc = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": md,
            "type": "Opaque",
            "data": data,
        });
        out.extend_from_slice(b"---\n");
        out.extend_from_slice(header.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(crate::yaml::emit::to_document(&doc).as_bytes());
    }
    out
}

impl Tree {
    /// One multi-document stream for `kubectl apply -f -`, objects in apply order.
    pub fn to_stream(&self) -> String {
        let mut out = Vec::new();
        self.write_stream(&mut out)
            .expect("writing into memory does not fail");
        String::from_utf8(out).expect("rendered files are UTF-8")
    }

    /// Write [`Tree::to_stream`] to `w` without building it in memory first.
    pub fn write_stream(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        w.write_all(&self.stream_secrets)?;
        for path in &self.apply_order {
            if let Some(bytes) = self.files.get(path) {
                w.write_all(b"---\n")?;
                w.write_all(bytes)?;
            }
        }
        Ok(())
    }
}
