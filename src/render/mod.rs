//! Render: objects to text through minijinja templates (embedded in the binary), parsed back
//! before they leave so that a broken template is an error, not a broken file.

use crate::compose::Project;
use crate::error::{Error, Result};
use crate::translate::{ExtraFile, Kustomize, Object};
use crate::yaml::{self, emit};
use minijinja::{Environment, UndefinedBehavior, Value as JValue};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The built-in templates: (file name, text).
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "configmap.yaml",
        include_str!("../../templates/configmap.yaml"),
    ),
    (
        "deployment.yaml",
        include_str!("../../templates/deployment.yaml"),
    ),
    ("job.yaml", include_str!("../../templates/job.yaml")),
    (
        "kustomization.yaml",
        include_str!("../../templates/kustomization.yaml"),
    ),
    ("object.yaml", include_str!("../../templates/object.yaml")),
    (
        "persistentvolumeclaim.yaml",
        include_str!("../../templates/persistentvolumeclaim.yaml"),
    ),
    ("service.yaml", include_str!("../../templates/service.yaml")),
];

/// The rendered output: relative path → bytes, in path order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Object files in apply order (kind, then name) for `--stdout`.
    pub apply_order: Vec<String>,
    /// Files holding secret material (read by a kustomize secretGenerator): written, but never
    /// shown in terminal output, diffs or logs.
    pub sensitive: std::collections::BTreeSet<String>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("apply_order", &self.apply_order)
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

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
        "Ingress" => 8,
        "HorizontalPodAutoscaler" => 9,
        "NetworkPolicy" => 10,
        _ => 11,
    }
}

fn yaml_filter(
    value: JValue,
    indent: Option<usize>,
) -> std::result::Result<String, minijinja::Error> {
    let json: serde_json::Value = serde_json::to_value(&value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    Ok(emit::after_key(&json, indent.unwrap_or(0)))
}

fn quote_filter(value: String) -> String {
    emit::scalar(&value)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters are valid"),
    );
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("yaml", yaml_filter);
    env.add_filter("quote", quote_filter);
    env.add_filter("dns_label", |s: String| crate::names::dns_label(&s));
    for (name, text) in BUILTIN_TEMPLATES {
        env.add_template(name, text)
            .expect("built-in templates parse");
    }
    env
}

fn template_for(env: &Environment<'_>, kind: &str) -> String {
    let specific = format!("{}.yaml", kind.to_ascii_lowercase());
    if env.get_template(&specific).is_ok() {
        specific
    } else {
        "object.yaml".to_string()
    }
}

fn template_error(template: &str, e: &minijinja::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    Error::Template {
        template: template.to_string(),
        line: e.line(),
        message,
    }
}

/// Parse rendered text back: it must be YAML objects with apiVersion, kind and metadata.name.
fn check_rendered(template: &str, text: &str, want_object: bool) -> Result<()> {
    let docs =
        yaml::parse_stream(text, Arc::from(template), &yaml::Limits::default()).map_err(|e| {
            Error::Template {
                template: template.to_string(),
                line: None,
                message: format!("rendered invalid YAML: {e}"),
            }
        })?;
    if docs.is_empty() {
        return Err(Error::Template {
            template: template.to_string(),
            line: None,
            message: "rendered no YAML document".into(),
        });
    }
    if want_object {
        for d in &docs {
            let name = d.get("metadata").and_then(|m| m.get("name"));
            if d.get("apiVersion").is_none() || d.get("kind").is_none() || name.is_none() {
                return Err(Error::Template {
                    template: template.to_string(),
                    line: None,
                    message: format!(
                        "rendered a document without apiVersion, kind or metadata.name (at line {} of the output)",
                        d.loc.line
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A generated file's name: `<name>-<kind>.yaml`.
pub fn file_name(obj: &Object) -> String {
    format!("{}-{}.yaml", obj.name, obj.kind.to_ascii_lowercase())
}

/// The first line of every generated file.
pub fn header(source: &str) -> String {
    format!("# Generated by ferry from {source}. Do not edit: change the compose file and run `ferry convert`.")
}

pub fn render(project: &Project, objects: &[Object]) -> Result<Tree> {
    render_with(project, objects, &Kustomize::default(), &[])
}

/// Render objects, the kustomization (namespace, secret generators) and the extra files.
pub fn render_with(
    project: &Project,
    objects: &[Object],
    kustomize: &Kustomize,
    extra: &[ExtraFile],
) -> Result<Tree> {
    let env = environment();
    let source = project
        .files
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let header = header(&source);
    let mut tree = Tree::default();
    let mut origins: BTreeMap<String, &str> = BTreeMap::new();
    let mut order: Vec<(u8, &str, String)> = Vec::new();
    for obj in objects {
        let path = file_name(obj);
        if let Some(first) = origins.get(&path) {
            return Err(Error::Usage(format!(
                "{} `{}` is made both from {} and from {}; rename one of them",
                obj.kind, obj.name, first, obj.origin
            )));
        }
        origins.insert(path.clone(), &obj.origin);
        let tname = template_for(&env, &obj.kind);
        let tmpl = env
            .get_template(&tname)
            .map_err(|e| template_error(&tname, &e))?;
        let ctx = minijinja::context! {
            header => header.clone(),
            object => JValue::from(minijinja::value::Serde(&obj.value)),
            project => minijinja::context! { name => project.name.clone() },
            service => obj.service.clone(),
        };
        let text = tmpl.render(ctx).map_err(|e| template_error(&tname, &e))?;
        check_rendered(&tname, &text, true)?;
        order.push((kind_rank(&obj.kind), &obj.name, path.clone()));
        tree.files.insert(path, text.into_bytes());
    }
    order.sort();
    tree.apply_order = order.into_iter().map(|(_, _, p)| p).collect();
    let resources: Vec<String> = tree.files.keys().cloned().collect();
    let generators: Vec<serde_json::Value> = kustomize
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
    let tname = KUSTOMIZATION;
    let tmpl = env
        .get_template(tname)
        .map_err(|e| template_error(tname, &e))?;
    let text = tmpl
        .render(minijinja::context! {
            header => header,
            resources => resources,
            namespace => kustomize.namespace.clone(),
            secret_generators => JValue::from(minijinja::value::Serde(&generators)),
        })
        .map_err(|e| template_error(tname, &e))?;
    check_rendered(tname, &text, false)?;
    tree.files
        .insert(KUSTOMIZATION.to_string(), text.into_bytes());
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
    Ok(tree)
}

impl Tree {
    /// One multi-document stream for `kubectl apply -f -`, objects in apply order.
    pub fn to_stream(&self) -> String {
        let mut out = String::new();
        for path in &self.apply_order {
            if let Some(bytes) = self.files.get(path) {
                out.push_str("---\n");
                out.push_str(&String::from_utf8_lossy(bytes));
            }
        }
        out
    }
}
