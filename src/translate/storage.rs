//! Volumes: one PersistentVolumeClaim per named volume, shared by every service that mounts it;
//! emptyDir for anonymous volumes and tmpfs; a ConfigMap for a bind-mounted single file inside
//! the project. Anything else is reported, never guessed at.

use super::workload::PodParts;
use super::{metadata, Object};
use crate::compose::{Mount, MountKind, Project, Service};
use crate::error::{Error, Report, Result};
use crate::names;
use crate::paths::PathProblem;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The size a claim asks for when nothing says otherwise.
pub const DEFAULT_VOLUME_SIZE: &str = "1Gi";
/// Kubernetes refuses ConfigMaps over 1 MiB.
pub const MAX_CONFIGMAP_BYTES: u64 = 1024 * 1024;

/// One claim per named, non-external volume that some service mounts.
pub fn claims(project: &Project, report: &mut Report) -> Vec<Object> {
    let mut out = Vec::new();
    let mut users: Vec<Vec<&str>> = vec![Vec::new(); project.volumes.len()];
    for svc in project.services.values() {
        for m in &svc.volumes {
            if let (MountKind::Volume, Some(src)) = (&m.kind, &m.source) {
                if let Some(i) = project.volumes.get_index_of(src) {
                    if !users[i].contains(&svc.name.as_str()) {
                        users[i].push(&svc.name);
                    }
                }
            }
        }
    }
    for ((key, def), users) in project.volumes.iter().zip(users) {
        if def.external {
            report.warn(
                Some(&def.loc),
                format!("volumes.{key}.external"),
                format!(
                    "external volume: no claim is generated; the pods use the existing PersistentVolumeClaim `{}`",
                    claim_name(project, key)
                ),
            );
            continue;
        }
        if users.is_empty() {
            report.warn(
                Some(&def.loc),
                format!("volumes.{key}"),
                "no service mounts this volume; no claim is generated",
            );
            continue;
        }
        if users.len() > 1 {
            report.warn(
                Some(&def.loc),
                format!("volumes.{key}"),
                format!(
                    "mounted by {}: the claim is ReadWriteOnce, so their pods must run on one node (or use a ReadWriteMany storage class)",
                    users.join(", ")
                ),
            );
        }
        let name = names::dns_label(key);
        out.push(Object {
            kind: "PersistentVolumeClaim".into(),
            name: name.clone(),
            value: json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": metadata(project, &name, None),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": { "requests": { "storage": DEFAULT_VOLUME_SIZE } },
                },
            }),
            service: None,
            origin: format!("volumes.{key}"),
        });
    }
    out
}

fn claim_name(project: &Project, key: &str) -> String {
    match project.volumes.get(key) {
        Some(def) if def.external => names::dns_label(def.real_name.as_deref().unwrap_or(key)),
        _ => names::dns_label(key),
    }
}

/// A pod volume name not used yet in this pod.
fn unique(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = names::dns_label(base);
    let mut i = 2;
    while used.contains(&name) {
        name = names::derived(base, &i.to_string());
        i += 1;
    }
    used.insert(name.clone());
    name
}

fn mount_entry(name: &str, m: &Mount, sub_path: Option<&str>, read_only: bool) -> Value {
    let mut e = Map::new();
    e.insert("name".into(), json!(name));
    e.insert("mountPath".into(), json!(m.target));
    if let Some(sp) = sub_path {
        e.insert("subPath".into(), json!(sp));
    }
    if read_only {
        e.insert("readOnly".into(), json!(true));
    }
    Value::Object(e)
}

/// Fill the pod's volumes and mounts; return the ConfigMaps made for bind-mounted files.
pub fn mounts(
    project: &Project,
    svc: &Service,
    pod: &mut PodParts,
    report: &mut Report,
) -> Result<Vec<Object>> {
    let mut used = BTreeSet::new();
    let mut objects = Vec::new();
    let mut claimed: Vec<(String, String)> = Vec::new(); // (volume key, pod volume name)
    let key_path = format!("services.{}.volumes", svc.name);
    for (i, m) in svc.volumes.iter().enumerate() {
        match (&m.kind, &m.source) {
            (MountKind::Volume, Some(src)) => {
                let name = match claimed.iter().find(|(k, _)| k == src) {
                    Some((_, n)) => n.clone(),
                    None => {
                        let n = unique(&mut used, src);
                        pod.volumes.push(json!({
                            "name": n,
                            "persistentVolumeClaim": { "claimName": claim_name(project, src) },
                        }));
                        claimed.push((src.clone(), n.clone()));
                        n
                    }
                };
                pod.uses_claim = true;
                pod.mounts
                    .push(mount_entry(&name, m, m.subpath.as_deref(), m.read_only));
            }
            (MountKind::Volume, None) => {
                let name = unique(&mut used, &format!("anon-{i}"));
                pod.volumes.push(json!({ "name": name, "emptyDir": {} }));
                pod.mounts.push(mount_entry(&name, m, None, m.read_only));
            }
            (MountKind::Tmpfs, _) => {
                let name = unique(&mut used, &format!("tmpfs-{i}"));
                let mut ed = Map::new();
                ed.insert("medium".into(), json!("Memory"));
                if let Some(size) = &m.tmpfs_size {
                    ed.insert("sizeLimit".into(), json!(size));
                }
                pod.volumes.push(json!({ "name": name, "emptyDir": ed }));
                pod.mounts.push(mount_entry(&name, m, None, m.read_only));
            }
            (MountKind::Bind, Some(src)) => {
                if let Some(obj) = bind_file(project, svc, m, src, &mut used, pod, report)? {
                    objects.push(obj);
                }
            }
            (MountKind::Bind, None) => {
                report.not_converted(
                    Some(&m.loc),
                    key_path.clone(),
                    "a bind mount without `source` cannot be converted",
                );
            }
            (MountKind::Other(t), _) => {
                report.not_converted(
                    Some(&m.loc),
                    key_path.clone(),
                    format!("`type: {t}` mounts have no Kubernetes equivalent here; not converted"),
                );
            }
        }
    }
    Ok(objects)
}

/// A bind mount: a single file inside the project becomes a ConfigMap; anything else is reported.
fn bind_file(
    project: &Project,
    svc: &Service,
    m: &Mount,
    src: &str,
    used: &mut BTreeSet<String>,
    pod: &mut PodParts,
    report: &mut Report,
) -> Result<Option<Object>> {
    let key_path = format!("services.{}.volumes", svc.name);
    let path = match project.resolve(src) {
        Ok(p) => p,
        Err(problem) => {
            let why = match problem {
                PathProblem::Missing => format!("bind mount `{src}` does not exist in the project; not converted"),
                other => format!("bind mount `{src}` {other}; a host path is not portable to a cluster; not converted"),
            };
            report.not_converted(Some(&m.loc), key_path, why);
            return Ok(None);
        }
    };
    let meta = std::fs::metadata(&path)
        .map_err(|e| Error::io(&path, "cannot read a bind-mounted file", e))?;
    if meta.is_dir() {
        report.not_converted(
            Some(&m.loc),
            key_path,
            format!("bind mount `{src}` is a directory; directories are not converted (bake them into the image, or use a volume)"),
        );
        return Ok(None);
    }
    if !meta.is_file() {
        report.not_converted(
            Some(&m.loc),
            key_path,
            format!("bind mount `{src}` is not a regular file; not converted"),
        );
        return Ok(None);
    }
    if meta.len() > MAX_CONFIGMAP_BYTES {
        report.not_converted(
            Some(&m.loc),
            key_path,
            format!("bind mount `{src}` is {} bytes, more than a ConfigMap holds (1 MiB); not converted", meta.len()),
        );
        return Ok(None);
    }
    let bytes =
        std::fs::read(&path).map_err(|e| Error::io(&path, "cannot read a bind-mounted file", e))?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let data_key: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = names::derived(&svc.name, &file_name);
    let mut cm = Map::new();
    cm.insert("apiVersion".into(), json!("v1"));
    cm.insert("kind".into(), json!("ConfigMap"));
    cm.insert("metadata".into(), metadata(project, &name, Some(&svc.name)));
    match String::from_utf8(bytes) {
        Ok(text) => cm.insert("data".into(), json!({ data_key.clone(): text })),
        Err(e) => cm.insert(
            "binaryData".into(),
            json!({ data_key.clone(): base64::engine::general_purpose::STANDARD.encode(e.as_bytes()) }),
        ),
    };
    let vol = unique(used, &name);
    pod.volumes
        .push(json!({ "name": vol, "configMap": { "name": name } }));
    pod.mounts.push(mount_entry(&vol, m, Some(&data_key), true));
    if !m.read_only {
        report.warn(
            Some(&m.loc),
            key_path,
            format!("`{src}` is mounted from a ConfigMap, which is read-only in Kubernetes"),
        );
    }
    Ok(Some(Object {
        kind: "ConfigMap".into(),
        name,
        value: Value::Object(cm),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.volumes ({src})", svc.name),
    }))
}
