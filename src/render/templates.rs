//! The template set: the built-in templates (embedded in the binary) and a user's `--templates`
//! directory, which replaces built-ins by name and adds templates of its own.

use crate::error::{Error, Result};
use crate::yaml::emit;
use base64::Engine;
use minijinja::{Environment, UndefinedBehavior, Value as JValue};
use std::path::{Path, PathBuf};

/// A built-in template: its file name, what it renders, and its text.
pub struct Builtin {
    pub name: &'static str,
    pub renders: &'static str,
    pub text: &'static str,
}

macro_rules! builtin {
    ($name:literal, $renders:literal) => {
        Builtin {
            name: $name,
            renders: $renders,
            text: include_str!(concat!("../../templates/", $name)),
        }
    };
}

/// The built-in templates, by file name.
pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "configmap.yaml",
        "each ConfigMap (env files, bind-mounted files)"
    ),
    builtin!(
        "deployment.yaml",
        "each Deployment (one per long-running service)"
    ),
    builtin!(
        "job.yaml",
        "each Job (services with restart: \"no\" or on-failure)"
    ),
    builtin!(
        "kustomization.yaml",
        "kustomization.yaml, listing every generated file"
    ),
    builtin!("object.yaml", "any kind without a template of its own"),
    builtin!(
        "overlay.yaml",
        "overlays/<name>/kustomization.yaml for each environment"
    ),
    builtin!(
        "persistentvolumeclaim.yaml",
        "each PersistentVolumeClaim (one per named volume)"
    ),
    builtin!(
        "service.yaml",
        "each Service (services with ports or expose)"
    ),
];

/// True when `name` is a built-in template (a user's template is named by its path).
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|b| b.name == name)
}

/// Extra templates from a user's directory: rendered once per compose service
/// (`service/NAME.yaml` → `<service>-NAME.yaml`) or once per project (`project/NAME.yaml` →
/// `NAME.yaml`).
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub per_service: Vec<String>,
    pub per_project: Vec<String>,
}

/// The environment with every template loaded, and the names to render each kind with.
pub struct TemplateSet {
    pub env: Environment<'static>,
    pub extras: Extras,
    /// Template name for a built-in file name (the user's file when it replaces one).
    names: std::collections::BTreeMap<&'static str, String>,
}

impl TemplateSet {
    /// The template that renders objects of `kind`.
    pub fn for_kind(&self, kind: &str) -> &str {
        let file = format!("{}.yaml", kind.to_ascii_lowercase());
        BUILTINS
            .iter()
            .find(|b| b.name == file)
            .and_then(|b| self.names.get(b.name))
            .or_else(|| self.names.get("object.yaml"))
            .map_or("object.yaml", String::as_str)
    }

    /// The template for a built-in file name.
    pub fn builtin<'a>(&'a self, name: &'a str) -> &'a str {
        self.names.get(name).map_or(name, String::as_str)
    }

    /// True when any template reads one of the top-level variables `names`.
    pub fn uses_any(&self, names: &[&str]) -> bool {
        self.env.templates().any(|(_, t)| {
            let used = t.undeclared_variables(false);
            names.iter().any(|n| used.contains(*n))
        })
    }
}

/// The JSON behind a template value: an object's own JSON (the usual case) as it is, anything
/// else (values a template made itself) converted.
fn with_json<T>(
    value: &JValue,
    f: impl FnOnce(&serde_json::Value) -> T,
) -> std::result::Result<T, minijinja::Error> {
    if let Some(json) = value.downcast_object_ref::<super::json::Json>() {
        return Ok(f(json.get()));
    }
    let json: serde_json::Value = serde_json::to_value(value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    Ok(f(&json))
}

fn yaml_filter(
    value: JValue,
    indent: Option<usize>,
) -> std::result::Result<String, minijinja::Error> {
    with_json(&value, |json| emit::after_key(json, indent.unwrap_or(0)))
}

fn to_yaml_filter(value: JValue) -> std::result::Result<String, minijinja::Error> {
    with_json(&value, emit::to_document)
}

fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters are valid"),
    );
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // A runaway user template (an endless loop) stops instead of hanging the run.
    env.set_fuel(Some(5_000_000));
    env.add_filter("yaml", yaml_filter);
    env.add_filter("to_yaml", to_yaml_filter);
    env.add_filter("quote", |s: String| emit::scalar(&s));
    env.add_filter("dns_label", |s: String| crate::names::dns_label(&s));
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    });
    env
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

pub fn render_error(template: &str, e: &minijinja::Error) -> Error {
    template_error(template, e)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "cannot read the templates directory", e))?
    {
        let entry = entry.map_err(|e| Error::io(dir, "cannot read the templates directory", e))?;
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

/// Load the built-ins, then the user's directory over them.
pub fn load(user_dir: Option<&Path>) -> Result<TemplateSet> {
    let mut env = base_environment();
    let mut names = std::collections::BTreeMap::new();
    for b in BUILTINS {
        env.add_template(b.name, b.text)
            .map_err(|e| template_error(b.name, &e))?;
        names.insert(b.name, b.name.to_string());
    }
    let mut extras = Extras::default();
    if let Some(dir) = user_dir {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "templates directory {} not found",
                dir.display()
            )));
        }
        for path in read_dir_sorted(dir)? {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() && (file == "service" || file == "project") {
                for t in read_dir_sorted(&path)? {
                    if t.extension().is_some_and(|e| e == "yaml" || e == "yml") && t.is_file() {
                        let name = t.display().to_string();
                        let text = crate::compose::read_text(&t, &name)?;
                        env.add_template_owned(name.clone(), text)
                            .map_err(|e| template_error(&name, &e))?;
                        if file == "service" {
                            extras.per_service.push(name);
                        } else {
                            extras.per_project.push(name);
                        }
                    }
                }
                continue;
            }
            if !path.is_file() {
                continue;
            }
            let Some(b) = BUILTINS.iter().find(|b| b.name == file) else {
                return Err(Error::Usage(format!(
                    "{}: not a built-in template name (see `ferry templates list`); put extra templates in {}/service/ or {}/project/",
                    path.display(),
                    dir.display(),
                    dir.display()
                )));
            };
            let name = path.display().to_string();
            let text = crate::compose::read_text(&path, &name)?;
            env.add_template_owned(name.clone(), text)
                .map_err(|e| template_error(&name, &e))?;
            names.insert(b.name, name);
        }
    }
    Ok(TemplateSet { env, extras, names })
}

/// Write the built-in templates into `dir` (created if missing); existing files are kept unless
/// `force`. Returns the files written.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create the directory", e))?;
    let existing: Vec<String> = BUILTINS
        .iter()
        .filter(|b| dir.join(b.name).exists())
        .map(|b| b.name.to_string())
        .collect();
    if !existing.is_empty() && !force {
        return Err(Error::Usage(format!(
            "{} already holds {}; use --force to overwrite",
            dir.display(),
            existing.join(", ")
        )));
    }
    let mut written = Vec::new();
    for b in BUILTINS {
        let p = dir.join(b.name);
        std::fs::write(&p, b.text).map_err(|e| Error::io(&p, "cannot write", e))?;
        written.push(p);
    }
    Ok(written)
}
