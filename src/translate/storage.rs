//! Volumes: one PersistentVolumeClaim per named volume, shared by every service that mounts it
//! (claim templates for a StatefulSet that mounts it alone); emptyDir for anonymous volumes and
//! tmpfs; a ConfigMap for bind-mounted files and small directories inside the project;
//! `--bind-mounts hostPath` for the bind mounts that cannot be copied. Anything else is
//! reported, never guessed at.

use super::pod::{ContainerParts, PodParts};
use super::{metadata, Ctx, Object};
use crate::compose::xferry::WorkloadKind;
use crate::compose::{Mount, MountKind, Service, VolumeDef};
use crate::error::{Error, Report, Result};
use crate::names;
use crate::paths::PathProblem;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The size a claim asks for when nothing says otherwise.
pub const DEFAULT_VOLUME_SIZE: &str = "1Gi";
/// Kubernetes refuses ConfigMaps over 1 MiB (data, base64 binaryData and keys together).
pub const MAX_CONFIGMAP_BYTES: u64 = 1024 * 1024;
/// A bind-mounted directory becomes a ConfigMap only when it is this small.
pub const MAX_DIR_FILES: usize = 64;
pub const MAX_DIR_BYTES: u64 = 512 * 1024;

/// How bind mounts that cannot be copied into a ConfigMap are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BindMounts {
    /// Reported, not converted.
    #[default]
    Report,
    /// A hostPath volume: the pod sees the directory of the node it runs on.
    HostPath,
}

/// How a named volume's claim is made.
struct ClaimSpec {
    size: String,
    size_from: String,
    class: Option<String>,
    modes: Vec<String>,
}

fn label<'a>(def: &'a VolumeDef, key: &str) -> Option<&'a crate::compose::KeyValue> {
    def.labels.iter().find(|kv| kv.key == key)
}

fn claim_spec(
    ctx: &Ctx<'_>,
    key: &str,
    def: &VolumeDef,
    users: &[&str],
    report: &mut Report,
) -> ClaimSpec {
    let project = ctx.project;
    let vk = format!("volumes.{key}");
    // Size: the volume's x-ferry, its label, a service label, --volume-size, x-ferry volumeSize.
    let mut size = None;
    if let Some(s) = &def.ferry.size {
        size = Some((s.value.clone(), format!("{vk}.x-ferry.size")));
        report.converted(
            Some(&s.loc),
            format!("{vk}.x-ferry.size"),
            "claim storage request",
        );
    }
    if let Some(kv) = label(def, "kompose.volume.size") {
        match crate::compose::xferry::storage_quantity(&kv.value) {
            Ok(q) if size.is_none() => {
                size = Some((q, format!("{vk}.labels.kompose.volume.size")));
                report.converted(
                    Some(&kv.loc),
                    format!("{vk}.labels.kompose.volume.size"),
                    "claim storage request",
                );
            }
            Ok(_) => report.warn(
                Some(&kv.loc),
                format!("{vk}.labels.kompose.volume.size"),
                "x-ferry size wins over this label",
            ),
            Err(why) => report.not_converted(
                Some(&kv.loc),
                format!("{vk}.labels.kompose.volume.size"),
                why,
            ),
        }
    }
    let mut class = def.ferry.storage_class.as_ref().map(|c| {
        report.converted(
            Some(&c.loc),
            format!("{vk}.x-ferry.storageClass"),
            "claim storageClassName",
        );
        c.value.clone()
    });
    if let Some(kv) = label(def, "kompose.volume.storage-class-name") {
        let k = format!("{vk}.labels.kompose.volume.storage-class-name");
        if class.is_none() {
            class = Some(kv.value.trim().to_string());
            report.converted(Some(&kv.loc), k, "claim storageClassName");
        } else {
            report.warn(
                Some(&kv.loc),
                k,
                "x-ferry storageClass wins over this label",
            );
        }
    }
    // Kompose puts volume settings on the services that mount the volume.
    for u in users {
        let st = ctx.settings(u);
        let svc = &project.services[*u];
        if let Some(s) = &st.volume_size {
            let k = super::settings::label_key(svc, "kompose.volume.size");
            if size.is_none() {
                size = Some((s.value.clone(), k.clone()));
                report.converted(
                    Some(&s.loc),
                    k,
                    format!(
                        "PersistentVolumeClaim/{} storage request",
                        names::dns_label(key)
                    ),
                );
            } else {
                report.converted(
                    Some(&s.loc),
                    k,
                    format!("not used for `{key}`, whose size is set elsewhere"),
                );
            }
        }
        if let Some(c) = &st.storage_class {
            let k = super::settings::label_key(svc, "kompose.volume.storage-class-name");
            if class.is_none() {
                class = Some(c.value.clone());
                report.converted(
                    Some(&c.loc),
                    k,
                    format!(
                        "PersistentVolumeClaim/{} storageClassName",
                        names::dns_label(key)
                    ),
                );
            } else {
                report.converted(
                    Some(&c.loc),
                    k,
                    format!("not used for `{key}`, whose storage class is set elsewhere"),
                );
            }
        }
    }
    let (size, size_from) = size
        .or_else(|| {
            ctx.opts
                .volume_size
                .clone()
                .map(|s| (s, "--volume-size".to_string()))
        })
        .or_else(|| {
            project
                .top
                .ferry
                .volume_size
                .as_ref()
                .map(|s| (s.value.clone(), "x-ferry.volumeSize".to_string()))
        })
        .unwrap_or_else(|| (DEFAULT_VOLUME_SIZE.to_string(), "the default".to_string()));
    if class.is_none() {
        class = project
            .top
            .ferry
            .storage_class
            .as_ref()
            .map(|c| c.value.clone());
    }
    let modes: Vec<String> = if def.ferry.access_modes.is_empty() {
        vec!["ReadWriteOnce".into()]
    } else {
        report.converted(
            def.ferry.access_modes.first().map(|m| &m.loc),
            format!("{vk}.x-ferry.accessModes"),
            "claim accessModes",
        );
        def.ferry
            .access_modes
            .iter()
            .map(|m| m.value.clone())
            .collect()
    };
    ClaimSpec {
        size,
        size_from,
        class,
        modes,
    }
}

fn claim_body(spec: &ClaimSpec) -> Value {
    let mut s = Map::new();
    s.insert("accessModes".into(), json!(spec.modes));
    if let Some(c) = &spec.class {
        s.insert("storageClassName".into(), json!(c));
    }
    s.insert(
        "resources".into(),
        json!({ "requests": { "storage": spec.size } }),
    );
    Value::Object(s)
}

/// Pod owners that mount each named volume, in compose order.
fn users<'c, 'a>(ctx: &'c Ctx<'a>) -> &'c [Vec<&'a str>] {
    ctx.volume_users.get_or_init(|| {
        let project = ctx.project;
        let mut users: Vec<Vec<&str>> = vec![Vec::new(); project.volumes.len()];
        let mut seen: Vec<std::collections::BTreeSet<&str>> =
            vec![std::collections::BTreeSet::new(); project.volumes.len()];
        for svc in project.services.values() {
            let owner = ctx.pod_owner(&svc.name).name.as_str();
            for m in &svc.volumes {
                if let (MountKind::Volume, Some(src)) = (&m.kind, &m.source) {
                    if let Some(i) = project.volumes.get_index_of(src) {
                        if seen[i].insert(owner) {
                            users[i].push(owner);
                        }
                    }
                }
            }
        }
        users
    })
}

/// True when the volume becomes claim templates of the StatefulSet that alone mounts it.
fn templated(ctx: &Ctx<'_>, def: &VolumeDef, users: &[&str]) -> bool {
    !def.external
        && users.len() == 1
        && ctx.plan(users[0]).kind == WorkloadKind::StatefulSet
        && !ctx.settings(users[0]).volumes_empty_dir
}

/// Volumes every service of a pod mounts as `emptyDir` (`kompose.volume.type: emptyDir`).
fn empty_dir_users(ctx: &Ctx<'_>, users: &[&str]) -> bool {
    !users.is_empty() && users.iter().all(|u| ctx.settings(u).volumes_empty_dir)
}

/// One claim per named, non-external volume that some service mounts.
pub fn claims(ctx: &Ctx<'_>, report: &mut Report) -> Vec<Object> {
    let project = ctx.project;
    let mut out = Vec::new();
    let all_users = users(ctx);
    for ((key, def), users) in project.volumes.iter().zip(all_users) {
        let vk = format!("volumes.{key}");
        for s in &def.skipped {
            let (sev, why) = match s.key.as_str() {
                "driver" | "driver_opts" => (
                    crate::error::Severity::NotConverted,
                    "the cluster's storage class decides how volumes are provisioned; choose one with `x-ferry: {storageClass: …}`".to_string(),
                ),
                _ => (crate::error::Severity::Ignored, format!("`{}` has no meaning for a claim", s.key)),
            };
            report.push(sev, Some(&s.loc), format!("{vk}.{}", s.key), why);
        }
        for kv in &def.labels {
            if !kv.key.starts_with("kompose.volume.") {
                report.ignored(
                    Some(&kv.loc),
                    format!("{vk}.labels.{}", kv.key),
                    "volume labels are docker metadata; the claim carries ferry's labels",
                );
            } else if !["kompose.volume.size", "kompose.volume.storage-class-name"]
                .contains(&kv.key.as_str())
            {
                report.not_converted(
                    Some(&kv.loc),
                    format!("{vk}.labels.{}", kv.key),
                    "ferry reads kompose.volume.size and kompose.volume.storage-class-name on volumes",
                );
            }
        }
        if def.external {
            report.warn(
                Some(&def.loc),
                format!("{vk}.external"),
                format!(
                    "no claim is generated; the pods use the existing PersistentVolumeClaim `{}`",
                    claim_name(ctx, key)
                ),
            );
            continue;
        }
        if let Some(n) = &def.real_name {
            report.ignored(
                def.keys.iter().find(|(k, _)| k == "name").map(|(_, l)| l),
                format!("{vk}.name"),
                format!(
                    "the claim is named `{}` after the volume's key; `{n}` names docker's volume",
                    names::dns_label(key)
                ),
            );
        }
        if users.is_empty() {
            report.ignored(
                Some(&def.loc),
                vk.clone(),
                "no service mounts this volume; no claim is generated",
            );
            continue;
        }
        if empty_dir_users(ctx, users) {
            report.converted(
                Some(&def.loc),
                vk.clone(),
                "emptyDir in the pods (kompose.volume.type: emptyDir)",
            );
            continue;
        }
        let spec = claim_spec(ctx, key, def, users, report);
        if templated(ctx, def, users) {
            report.converted(
                Some(&def.loc),
                vk.clone(),
                format!(
                    "volumeClaimTemplates of StatefulSet/{}: one claim per replica ({}, {})",
                    names::dns_label(users[0]),
                    spec.size,
                    spec.modes.join(", ")
                ),
            );
            continue;
        }
        if users.len() > 1
            && spec
                .modes
                .iter()
                .all(|m| m == "ReadWriteOnce" || m == "ReadWriteOncePod")
        {
            report.warn(
                Some(&def.loc),
                vk.clone(),
                format!(
                    "mounted by {}: the claim is ReadWriteOnce, so their pods must run on one node (or use a ReadWriteMany storage class: `x-ferry: {{accessModes: [ReadWriteMany]}}`)",
                    names::some_of(users, 10)
                ),
            );
        }
        let name = names::dns_label(key);
        report.converted(
            Some(&def.loc),
            vk.clone(),
            format!(
                "PersistentVolumeClaim/{name} ({} from {}, {}{})",
                spec.size,
                spec.size_from,
                spec.modes.join(", "),
                spec.class
                    .as_ref()
                    .map(|c| format!(", class {c}"))
                    .unwrap_or_default()
            ),
        );
        let mut md = metadata(project, &name, None);
        if let Some(m) = md.as_object_mut() {
            ctx.namespace_into(m);
        }
        out.push(Object {
            kind: "PersistentVolumeClaim".into(),
            name: name.clone(),
            value: std::sync::Arc::new(json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": md,
                "spec": claim_body(&spec),
            })),
            service: None,
            origin: vk,
        });
    }
    out
}

fn claim_name(ctx: &Ctx<'_>, key: &str) -> String {
    match ctx.project.volumes.get(key) {
        Some(def) if def.external => names::dns_label(def.real_name.as_deref().unwrap_or(key)),
        _ => names::dns_label(key),
    }
}

fn mount_entry(name: &str, target: &str, sub_path: Option<&str>, read_only: bool) -> Value {
    let mut e = Map::new();
    e.insert("name".into(), json!(name));
    e.insert("mountPath".into(), json!(target));
    if let Some(sp) = sub_path {
        e.insert("subPath".into(), json!(sp));
    }
    if read_only {
        e.insert("readOnly".into(), json!(true));
    }
    Value::Object(e)
}

/// Fill a pod's volumes and one container's mounts; return the ConfigMaps made for
/// bind-mounted files.
pub fn mounts(
    ctx: &Ctx<'_>,
    svc: &Service,
    owner: &Service,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) -> Result<Vec<Object>> {
    let project = ctx.project;
    let mut objects = Vec::new();
    let key_path = format!("services.{}.volumes", svc.name);
    let settings = ctx.settings(&owner.name);
    let all_users = users(ctx);
    let subpath_label = ctx.settings(&svc.name).volume_subpath.clone();
    let mut subpath_used = false;
    for (i, m) in svc.volumes.iter().enumerate() {
        let k = if m.from_tmpfs_key {
            format!("services.{}.tmpfs", svc.name)
        } else {
            key_path.clone()
        };
        match (&m.kind, &m.source) {
            (MountKind::Volume, Some(src)) => {
                let vi = project.volumes.get_index_of(src).unwrap_or(0);
                let def = &project.volumes[src.as_str()];
                let users = &all_users[vi];
                let existing = pod
                    .volumes
                    .iter()
                    .chain(&pod.claim_templates)
                    .find(|v| v.get("x-ferry-source").and_then(Value::as_str) == Some(src.as_str()))
                    .and_then(|v| v.get("name").and_then(Value::as_str))
                    .map(str::to_string);
                let name = match existing {
                    Some(n) => n,
                    None if empty_dir_users(ctx, users)
                        || (settings.volumes_empty_dir && !def.external) =>
                    {
                        let n = pod.unique(src);
                        pod.volumes
                            .push(json!({ "name": n, "emptyDir": {}, "x-ferry-source": src }));
                        n
                    }
                    None if templated(ctx, def, users) => {
                        let n = names::dns_label(src);
                        pod.used.insert(n.clone());
                        let spec = claim_spec(ctx, src, def, users, &mut Report::default());
                        let mut md = Map::new();
                        md.insert("name".into(), json!(n));
                        md.insert("labels".into(), Value::Object(super::labels(project, None)));
                        pod.claim_templates.push(json!({
                            "metadata": md,
                            "spec": claim_body(&spec),
                            "x-ferry-source": src,
                        }));
                        n
                    }
                    None => {
                        let n = pod.unique(src);
                        pod.volumes.push(json!({
                            "name": n,
                            "persistentVolumeClaim": { "claimName": claim_name(ctx, src) },
                            "x-ferry-source": src,
                        }));
                        pod.uses_claim = true;
                        n
                    }
                };
                let sub = m.subpath.clone().or_else(|| {
                    subpath_label.as_ref().map(|s| {
                        subpath_used = true;
                        s.value.clone()
                    })
                });
                parts
                    .mounts
                    .push(mount_entry(&name, &m.target, sub.as_deref(), m.read_only));
                let mut what = format!("volume `{src}` at {}", m.target);
                if let Some(sp) = &m.subpath {
                    what.push_str(&format!(" (subPath {sp})"));
                }
                if m.read_only {
                    what.push_str(" read-only");
                }
                report.converted(Some(&m.loc), k, what);
            }
            (MountKind::Volume, None) => {
                let name = pod.unique(&format!("anon-{i}"));
                pod.volumes.push(json!({ "name": name, "emptyDir": {} }));
                parts
                    .mounts
                    .push(mount_entry(&name, &m.target, None, m.read_only));
                report.converted(
                    Some(&m.loc),
                    k,
                    format!(
                        "emptyDir at {} (an anonymous volume lives as long as the pod)",
                        m.target
                    ),
                );
            }
            (MountKind::Tmpfs, _) => {
                let name = pod.unique(&format!("tmpfs-{i}"));
                let mut ed = Map::new();
                ed.insert("medium".into(), json!("Memory"));
                if let Some(size) = &m.tmpfs_size {
                    ed.insert("sizeLimit".into(), json!(size));
                }
                pod.volumes.push(json!({ "name": name, "emptyDir": ed }));
                parts
                    .mounts
                    .push(mount_entry(&name, &m.target, None, m.read_only));
                report.converted(
                    Some(&m.loc),
                    k,
                    format!("emptyDir (medium: Memory) at {}", m.target),
                );
            }
            (MountKind::Bind, Some(src)) => {
                if let Some(obj) = bind(ctx, svc, m, src, pod, parts, report)? {
                    objects.push(obj);
                }
            }
            (MountKind::Bind, None) => {
                report.not_converted(
                    Some(&m.loc),
                    k,
                    "a bind mount without `source` cannot be converted",
                );
            }
            (MountKind::Other(t), _) => {
                report.not_converted(
                    Some(&m.loc),
                    k,
                    format!("`type: {t}` mounts have no Kubernetes equivalent here; not converted"),
                );
            }
        }
    }
    if let Some(sp) = &subpath_label {
        let k = super::settings::label_key(svc, "kompose.volume.subpath");
        if subpath_used {
            report.converted(Some(&sp.loc), k, "subPath of the service's volume mounts");
        } else {
            report.ignored(
                Some(&sp.loc),
                k,
                "the service mounts no named volume without its own subpath",
            );
        }
    }
    if let Some(shm) = &svc.shm_size {
        let name = pod.unique("dshm");
        pod.volumes.push(
            json!({ "name": name, "emptyDir": { "medium": "Memory", "sizeLimit": shm.value } }),
        );
        parts
            .mounts
            .push(mount_entry(&name, "/dev/shm", None, false));
        report.converted(
            Some(&shm.loc),
            format!("services.{}.shm_size", svc.name),
            "emptyDir (medium: Memory) at /dev/shm",
        );
    }
    Ok(objects)
}

/// Remove ferry's bookkeeping from pod volumes before they are written.
pub fn finish_volumes(pod: &mut PodParts) {
    for v in pod.volumes.iter_mut().chain(pod.claim_templates.iter_mut()) {
        if let Some(m) = v.as_object_mut() {
            m.remove("x-ferry-source");
        }
    }
}

/// A ConfigMap key made from a file name or relative path (`[-._a-zA-Z0-9]+`).
pub fn data_key(rel: &str) -> String {
    rel.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

enum Bound {
    File(PathBuf),
    Dir(PathBuf),
    Unusable(String),
}

fn classify(project: &crate::compose::Project, src: &str) -> Bound {
    match project.resolve(src) {
        Ok(p) => match std::fs::metadata(&p) {
            Ok(meta) if meta.is_dir() => Bound::Dir(p),
            Ok(meta) if meta.is_file() => Bound::File(p),
            Ok(_) => Bound::Unusable(format!(
                "bind mount `{src}` is not a regular file or directory"
            )),
            Err(e) => Bound::Unusable(format!("bind mount `{src}` cannot be read: {e}")),
        },
        Err(PathProblem::Missing) => {
            Bound::Unusable(format!("bind mount `{src}` does not exist in the project"))
        }
        Err(other) => Bound::Unusable(format!(
            "bind mount `{src}` {other}; a host path is not portable to a cluster"
        )),
    }
}

/// The files of a bind-mounted directory, relative paths in sorted order, or why not.
fn dir_files(
    project: &crate::compose::Project,
    dir: &Path,
) -> std::result::Result<Vec<(String, PathBuf, u64)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| format!("cannot read the directory: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let real = p
                .canonicalize()
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            if project.reach == crate::paths::Reach::Project && !real.starts_with(&project.dir) {
                return Err(format!(
                    "{} links outside the project directory",
                    p.strip_prefix(dir).unwrap_or(&p).display()
                ));
            }
            let meta = std::fs::metadata(&real).map_err(|e| e.to_string())?;
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, real, meta.len()));
                if out.len() > MAX_DIR_FILES {
                    return Err(format!("it holds more than {MAX_DIR_FILES} files"));
                }
            }
        }
    }
    out.sort();
    let total: u64 = out.iter().map(|(_, _, n)| n).sum();
    if total > MAX_DIR_BYTES {
        return Err(format!(
            "its files hold {total} bytes, more than the {MAX_DIR_BYTES} ferry copies into a ConfigMap"
        ));
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, "cannot read a bind-mounted file", e))
}

/// A bind mount: files and small directories inside the project become a ConfigMap; the rest is
/// reported, or becomes a hostPath volume with `--bind-mounts hostPath`.
fn bind(
    ctx: &Ctx<'_>,
    svc: &Service,
    m: &Mount,
    src: &str,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) -> Result<Option<Object>> {
    let project = ctx.project;
    let key_path = format!("services.{}.volumes", svc.name);
    let unusable =
        |why: String, pod: &mut PodParts, parts: &mut ContainerParts, report: &mut Report| {
            host_path(ctx, m, src, why, &key_path, pod, parts, report);
        };
    let (files, dir) = match classify(project, src) {
        Bound::Unusable(why) => {
            unusable(why, pod, parts, report);
            return Ok(None);
        }
        Bound::File(p) => {
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            if len > MAX_CONFIGMAP_BYTES {
                unusable(
                    format!(
                        "bind mount `{src}` is {len} bytes, more than a ConfigMap holds (1 MiB)"
                    ),
                    pod,
                    parts,
                    report,
                );
                return Ok(None);
            }
            let file_name = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            (vec![(file_name, p, len)], false)
        }
        Bound::Dir(d) => match dir_files(project, &d) {
            Ok(files) if files.is_empty() => {
                let name = pod.unique(&format!("{}-dir", svc.name));
                pod.volumes.push(json!({ "name": name, "emptyDir": {} }));
                parts
                    .mounts
                    .push(mount_entry(&name, &m.target, None, m.read_only));
                report.warn(
                    Some(&m.loc),
                    key_path,
                    format!(
                        "bind mount `{src}` is an empty directory: an emptyDir at {}",
                        m.target
                    ),
                );
                return Ok(None);
            }
            Ok(files) => (files, true),
            Err(why) => {
                unusable(
                    format!("bind mount `{src}` is a directory, and {why}"),
                    pod,
                    parts,
                    report,
                );
                return Ok(None);
            }
        },
    };
    let base = if dir {
        Path::new(src)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .filter(|f| f != ".")
            .unwrap_or_else(|| "project".into())
    } else {
        files[0].0.clone()
    };
    let name = names::derived(&svc.name, &base);
    let mut data = Map::new();
    let mut binary = Map::new();
    let mut items = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    for (rel, path, _) in &files {
        let mut k = data_key(rel);
        let mut n = 2;
        while keys.contains(&k) {
            k = format!("{}.{n}", data_key(rel));
            n += 1;
        }
        keys.insert(k.clone());
        match String::from_utf8(read(path)?) {
            Ok(text) => data.insert(k.clone(), json!(text)),
            Err(e) => binary.insert(
                k.clone(),
                json!(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
            ),
        };
        items.push(json!({ "key": k, "path": rel }));
    }
    let mut cm = Map::new();
    cm.insert("apiVersion".into(), json!("v1"));
    cm.insert("kind".into(), json!("ConfigMap"));
    let mut md = metadata(project, &name, Some(&svc.name));
    if let Some(mm) = md.as_object_mut() {
        ctx.namespace_into(mm);
    }
    cm.insert("metadata".into(), md);
    if !data.is_empty() {
        cm.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        cm.insert("binaryData".into(), Value::Object(binary));
    }
    let vol = pod.unique(&name);
    if dir {
        pod.volumes
            .push(json!({ "name": vol, "configMap": { "name": name, "items": items } }));
        parts.mounts.push(mount_entry(&vol, &m.target, None, true));
        report.converted(
            Some(&m.loc),
            key_path.clone(),
            format!("ConfigMap/{name} mounted at {}", m.target),
        );
        report.warn(
            Some(&m.loc),
            key_path.clone(),
            format!(
                "directory `{src}` ({} file{}) is copied into ConfigMap/{name} now and mounted read-only at {}: later changes to the files need another `ferry convert`",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                m.target
            ),
        );
    } else {
        let k = keys.into_iter().next().unwrap_or_default();
        pod.volumes
            .push(json!({ "name": vol, "configMap": { "name": name } }));
        parts
            .mounts
            .push(mount_entry(&vol, &m.target, Some(&k), true));
        report.converted(
            Some(&m.loc),
            key_path.clone(),
            format!("ConfigMap/{name} mounted at {}", m.target),
        );
    }
    if !m.read_only && !dir {
        report.warn(
            Some(&m.loc),
            key_path,
            format!("`{src}` is mounted from a ConfigMap, which is read-only in Kubernetes"),
        );
    }
    Ok(Some(Object {
        kind: "ConfigMap".into(),
        name,
        value: std::sync::Arc::new(Value::Object(cm)),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.volumes ({src})", svc.name),
    }))
}

/// A bind mount ferry cannot copy: reported, or a hostPath volume when asked for.
#[allow(clippy::too_many_arguments)]
fn host_path(
    ctx: &Ctx<'_>,
    m: &Mount,
    src: &str,
    why: String,
    key_path: &str,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) {
    if ctx.opts.bind_mounts != BindMounts::HostPath {
        report.not_converted(
            Some(&m.loc),
            key_path.to_string(),
            if src.starts_with('/') {
                format!("{why} (`--bind-mounts hostPath` would mount the node's path instead)")
            } else {
                why
            },
        );
        return;
    }
    if src.starts_with('~') {
        report.not_converted(
            Some(&m.loc),
            key_path.to_string(),
            format!(
                "{why}; a home directory has no fixed path on the nodes, so no hostPath either"
            ),
        );
        return;
    }
    if !src.starts_with('/') {
        report.not_converted(
            Some(&m.loc),
            key_path.to_string(),
            format!("{why}; a path relative to the project has no meaning on the nodes, so no hostPath either"),
        );
        return;
    }
    let path = crate::paths::normalize(Path::new(src));
    let shown = path.display().to_string();
    let name = pod.unique(&format!(
        "host-{}",
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "root".into())
    ));
    pod.volumes
        .push(json!({ "name": name, "hostPath": { "path": shown } }));
    parts
        .mounts
        .push(mount_entry(&name, &m.target, None, m.read_only));
    report.warn(
        Some(&m.loc),
        key_path.to_string(),
        format!(
            "hostPath `{shown}` at {}: the pod sees that path on whichever node runs it",
            m.target
        ),
    );
}
