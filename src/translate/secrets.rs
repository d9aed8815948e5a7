//! Top-level `secrets` and `configs`, and the services that use them.
//!
//! A secret's material never enters a manifest, the report or any message: ferry copies it to
//! `secrets/<name>` beside `kustomization.yaml` (a file the generated `.gitignore` keeps out of
//! git) and lists it in a kustomize `secretGenerator`, which reads it when the kustomization is
//! built (`kubectl apply -k`). Configs are not secret: their content goes into a ConfigMap.
//! `external: true` ones are referenced by name and must exist.

use super::pod::{ContainerParts, PodParts};
use super::storage::data_key;
use super::{labels, Ctx, ExtraFile, Object, SecretGenerator};
use crate::compose::{FileObjectDef, FileRef, FileSource, Service};
use crate::error::{Error, Report, Result};
use crate::names;
use crate::paths::PathProblem;
use serde_json::{json, Map, Value};

/// Where secret files are written, relative to the output directory.
pub const SECRETS_DIR: &str = "secrets";

/// What the project's secrets and configs produce.
#[derive(Debug, Default)]
pub struct Made {
    pub objects: Vec<Object>,
    pub generators: Vec<SecretGenerator>,
    pub files: Vec<ExtraFile>,
    /// Secrets delivered by `--env-secrets sops` or `external-secrets`.
    pub delivered: super::Delivered,
}

fn used_by(ctx: &Ctx<'_>, name: &str, secrets: bool) -> Vec<String> {
    ctx.project
        .services
        .values()
        .filter(|s| {
            let refs = if secrets { &s.secrets } else { &s.configs };
            refs.iter().any(|r| r.source == name)
        })
        .map(|s| s.name.clone())
        .collect()
}

/// Read a `file:` source inside the project, or say why not.
fn read_file(ctx: &Ctx<'_>, path: &str) -> std::result::Result<Vec<u8>, String> {
    let p = match ctx.project.resolve(path) {
        Ok(p) => p,
        Err(PathProblem::Missing) => return Err(format!("the file `{path}` does not exist")),
        Err(other) => return Err(format!("the file `{path}` {other}")),
    };
    let meta = std::fs::metadata(&p).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{path}` is not a regular file"));
    }
    if meta.len() > super::storage::MAX_CONFIGMAP_BYTES {
        return Err(format!(
            "`{path}` is {} bytes; Kubernetes holds at most 1 MiB in one object",
            meta.len()
        ));
    }
    std::fs::read(&p).map_err(|e| format!("cannot read `{path}`: {e}"))
}

/// The Kubernetes name of a secret or config: its key, or the real name of an external one.
pub fn object_name(def: &FileObjectDef) -> String {
    match (&def.source, &def.real_name) {
        (FileSource::External, Some(n)) => names::dns_label(n),
        _ => names::dns_label(&def.name),
    }
}

/// Secrets and ConfigMaps for the project's top-level `secrets:` and `configs:`.
pub fn objects(ctx: &Ctx<'_>, report: &mut Report) -> Result<Made> {
    let mut made = Made::default();
    for (secrets, section) in [
        (true, &ctx.project.top.secrets),
        (false, &ctx.project.top.configs),
    ] {
        let what = if secrets { "secrets" } else { "configs" };
        for (key, def) in section.iter() {
            let k = format!("{what}.{key}");
            for s in &def.skipped {
                let why = match s.key.as_str() {
                    "labels" => "docker metadata; the object carries ferry's labels",
                    "driver" | "driver_opts" => "secret drivers are a Swarm feature; Kubernetes keeps Secrets itself (or through an external secrets operator)",
                    _ => "templating of secrets and configs is a Swarm feature; the content is used as is",
                };
                let sev = if s.key == "labels" {
                    crate::error::Severity::Ignored
                } else {
                    crate::error::Severity::NotConverted
                };
                report.push(sev, Some(&s.loc), format!("{k}.{}", s.key), why);
            }
            let users = used_by(ctx, key, secrets);
            let name = object_name(def);
            let kind = if secrets { "Secret" } else { "ConfigMap" };
            if users.is_empty() {
                report.ignored(
                    Some(&def.loc),
                    k,
                    "no service uses it; nothing is generated",
                );
                continue;
            }
            let content: std::result::Result<Vec<u8>, String> = match &def.source {
                FileSource::External => {
                    report.warn(
                        Some(&def.loc),
                        k,
                        format!("external: no {kind} is generated; the pods use the existing {kind} `{name}`"),
                    );
                    continue;
                }
                FileSource::Missing => Err(if secrets {
                    "it has no `file`, `environment` or `external`".to_string()
                } else {
                    "it has no `file`, `content`, `environment` or `external`".to_string()
                }),
                FileSource::File(f) => read_file(ctx, &f.value),
                FileSource::Content(c) => Ok(c.value.0.clone().into_bytes()),
                FileSource::Environment(var, value) => match value {
                    Some(v) => Ok(v.0.clone().into_bytes()),
                    None => Err(format!("the variable `{}` is not set", var.value)),
                },
            };
            let data_k = data_key(key);
            if secrets
                && ctx.secret_settings().delivers()
                && !matches!(def.source, FileSource::Missing)
            {
                // The value is what the pods read; where it comes from is the mode's. A file or
                // variable missing on this machine is an unknown value (see `secretmode`).
                let (recipe, from_environment) = recipe(def);
                let spec = super::secretmode::SecretSpec {
                    name: name.clone(),
                    labels: labels(ctx.project, None),
                    service: None,
                    origin: k.clone(),
                    entries: vec![super::secretmode::SecretEntry {
                        key: data_k.clone(),
                        value: content.ok(),
                        loc: Some(def.loc.clone()),
                    }],
                    recipe: vec![recipe],
                    from_environment,
                };
                let d = super::secretmode::deliver(ctx, &spec, Some(&def.loc), report)?;
                made.delivered.add(d, &mut made.objects);
                continue;
            }
            let bytes = match content {
                Ok(b) => b,
                Err(why) => {
                    let fix = if secrets {
                        format!("create it before applying: `kubectl create secret generic {name} --from-file={data_k}=<file>`")
                    } else {
                        format!("create it before applying: `kubectl create configmap {name} --from-file={data_k}=<file>`")
                    };
                    report.not_converted(
                        Some(&def.loc),
                        k,
                        format!("{why}; no {kind} is generated, the pods refer to `{name}`; {fix}"),
                    );
                    continue;
                }
            };
            if secrets {
                let path = format!("{SECRETS_DIR}/{name}");
                let (recipe, from_environment) = recipe(def);
                made.files.push(ExtraFile {
                    path: path.clone(),
                    bytes,
                    sensitive: true,
                });
                made.generators.push(SecretGenerator {
                    name: name.clone(),
                    files: vec![(data_k.clone(), path.clone())],
                    labels: labels(ctx.project, None),
                    inline: false,
                    recipe: vec![recipe],
                    from_environment,
                });
                let from = match &def.source {
                    FileSource::File(f) => format!("`{}`", f.value),
                    FileSource::Environment(v, _) => format!("the variable `{}`", v.value),
                    _ => "its value".into(),
                };
                report.converted(
                    Some(&def.loc),
                    k,
                    format!("Secret/{name}: kustomize's secretGenerator reads {path} (copied from {from}; kept out of git by .gitignore)"),
                );
            } else {
                let mut cm = Map::new();
                cm.insert("apiVersion".into(), json!("v1"));
                cm.insert("kind".into(), json!("ConfigMap"));
                cm.insert("metadata".into(), ctx.metadata(&name, None));
                match String::from_utf8(bytes) {
                    Ok(text) => cm.insert("data".into(), json!({ data_k.clone(): text })),
                    Err(e) => cm.insert(
                        "binaryData".into(),
                        json!({ data_k.clone(): base64::Engine::encode(&base64::engine::general_purpose::STANDARD, e.as_bytes()) }),
                    ),
                };
                report.converted(Some(&def.loc), k.clone(), format!("ConfigMap/{name}"));
                made.objects.push(Object {
                    kind: "ConfigMap".into(),
                    name: name.clone(),
                    value: std::sync::Arc::new(Value::Object(cm)),
                    service: None,
                    origin: k,
                });
            }
        }
    }
    if !made.files.is_empty() {
        made.files.push(gitignore());
    }
    Ok(made)
}

/// What a top-level secret's value is made from, never the value (see
/// [`SecretGenerator::recipe`]), and whether it comes from the environment.
fn recipe(def: &FileObjectDef) -> (String, bool) {
    match &def.source {
        FileSource::File(f) => (format!("file {}", f.value), false),
        FileSource::Environment(v, _) => (format!("environment {}", v.value), true),
        _ => (format!("{}", def.loc), false),
    }
}

/// The `.gitignore` that keeps the secrets directory out of git.
pub fn gitignore() -> ExtraFile {
    ExtraFile {
        path: ".gitignore".into(),
        bytes: format!(
            "# Written by ferry: secret material stays out of git. Provide these files where you\n# build the kustomization (see the README, \"Secrets\").\n/{SECRETS_DIR}/\n"
        )
        .into_bytes(),
        sensitive: false,
    }
}

/// Mount a service's secrets and configs: each file at its target, read-only.
pub fn mounts(
    ctx: &Ctx<'_>,
    svc: &Service,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
    errors: &mut Vec<Error>,
) {
    for (secrets, refs) in [(true, &svc.secrets), (false, &svc.configs)] {
        let what = if secrets { "secrets" } else { "configs" };
        let k = format!("services.{}.{what}", svc.name);
        let section = if secrets {
            &ctx.project.top.secrets
        } else {
            &ctx.project.top.configs
        };
        for r in refs {
            let Some(def) = section.get(&r.source) else {
                errors.push(Error::invalid(
                    &r.loc,
                    format!(
                        "{k}: refers to `{}`, which is not declared under the top-level `{what}:`",
                        r.source
                    ),
                ));
                continue;
            };
            mount_one(svc, secrets, r, def, pod, parts, report, &k);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn mount_one(
    svc: &Service,
    secret: bool,
    r: &FileRef,
    def: &FileObjectDef,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
    k: &str,
) {
    let name = object_name(def);
    let data_k = data_key(&r.source);
    let target = match (&r.target, secret) {
        (Some(t), _) if t.starts_with('/') => t.clone(),
        (Some(t), true) => format!("/run/secrets/{t}"),
        (Some(t), false) => format!("/{t}"),
        (None, true) => format!("/run/secrets/{}", r.source),
        (None, false) => format!("/{}", r.source),
    };
    let vol = pod.unique(&format!(
        "{}-{}",
        if secret { "secret" } else { "config" },
        r.source
    ));
    let mut item = Map::new();
    item.insert("key".into(), json!(data_k));
    item.insert("path".into(), json!(data_k));
    if let Some(m) = &r.mode {
        item.insert("mode".into(), json!(m.value));
    }
    let source = if secret {
        json!({ "secretName": name, "items": [item] })
    } else {
        json!({ "name": name, "items": [item] })
    };
    let field = if secret { "secret" } else { "configMap" };
    pod.volumes.push(json!({ "name": vol, field: source }));
    parts.mounts.push(json!({
        "name": vol,
        "mountPath": target,
        "subPath": data_k,
        "readOnly": true,
    }));
    let kind = if secret { "Secret" } else { "ConfigMap" };
    report.converted(
        Some(&r.loc),
        k.to_string(),
        format!(
            "{kind}/{name} mounted at {target}{}",
            r.mode
                .as_ref()
                .map(|m| format!(" (mode {:04o})", m.value))
                .unwrap_or_default()
        ),
    );
    for (field, v) in [("uid", &r.uid), ("gid", &r.gid)] {
        if let Some(v) = v {
            if v.value == "0" {
                report.converted(
                    Some(&v.loc),
                    k.to_string(),
                    format!("{field} 0: files from a {kind} belong to root"),
                );
            } else {
                report.not_converted(
                    Some(&v.loc),
                    k.to_string(),
                    format!(
                        "files from a {kind} belong to root (their group is the pod's fsGroup, `kompose.security-context.fsgroup`); `{field}: {}` cannot be set per file",
                        v.value
                    ),
                );
            }
        }
    }
    let _ = svc;
}
