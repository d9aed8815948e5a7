//! Volumes: one PersistentVolumeClaim per named volume, shared by every service that mounts it
//! (claim templates for a StatefulSet that mounts it alone); emptyDir for anonymous volumes and
//! tmpfs. Bind mounts, so that nothing a service mounts is silently missing: a ConfigMap for
//! files and small directories inside the project; nothing for code in the service's own build
//! context (the image holds it); a claim per distinct source for data directories and host data
//! paths; hostPath for node paths (see [`BindMounts`]). `volumes_from` mounts another service's
//! volumes at the same paths.

use super::pod::{ContainerParts, PodParts};
use super::{Ctx, Object};
use crate::compose::xferry::WorkloadKind;
use crate::compose::{Mount, MountKind, Service, VolumeDef};
use crate::error::{Error, Report, Result};
use crate::names;
use crate::paths::PathProblem;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The size a claim asks for when nothing says otherwise.
pub const DEFAULT_VOLUME_SIZE: &str = "1Gi";
/// Kubernetes refuses ConfigMaps over 1 MiB (data, base64 binaryData and keys together).
pub const MAX_CONFIGMAP_BYTES: u64 = 1024 * 1024;
/// A bind-mounted directory becomes a ConfigMap only when it is this small.
pub const MAX_DIR_FILES: usize = 64;
pub const MAX_DIR_BYTES: u64 = 512 * 1024;

/// What becomes of bind mounts that are not copied into a ConfigMap (`--bind-mounts`). Files
/// and small directories inside the project always become ConfigMaps, and code in the service's
/// own build context is always left to the image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BindMounts {
    /// Data directories (missing, empty or too large) and host data paths become
    /// PersistentVolumeClaims; node paths (the docker socket, `/etc/localtime`, `/dev`…)
    /// hostPath volumes.
    #[default]
    Auto,
    /// As `Auto`, but never a hostPath: node paths are reported.
    Pvc,
    /// As `Auto`, but every absolute host path is a hostPath.
    HostPath,
    /// None of them is mounted; each is reported.
    Report,
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
            for m in svc
                .volumes
                .iter()
                .chain(shared_mounts(ctx, svc).map(|(_, m)| m))
            {
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
        out.push(claim_object(ctx, &name, &spec, vk));
    }
    out.extend(bind_claim_objects(ctx, report));
    out
}

/// A PersistentVolumeClaim object (of a named volume or of bind mounts of one source).
fn claim_object(ctx: &Ctx<'_>, name: &str, spec: &ClaimSpec, origin: String) -> Object {
    let md = ctx.metadata(name, None);
    Object {
        kind: "PersistentVolumeClaim".into(),
        name: name.to_string(),
        value: std::sync::Arc::new(json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": md,
            "spec": claim_body(spec),
        })),
        service: None,
        origin,
    }
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
/// bind-mounted files. `volumes_from` mounts what the named services mount, at the same paths.
pub fn mounts(
    ctx: &Ctx<'_>,
    svc: &Service,
    owner: &Service,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    let mut subpath = SubpathLabel {
        label: ctx.settings(&svc.name).volume_subpath.clone(),
        used: false,
    };
    for (i, m) in svc.volumes.iter().enumerate() {
        let k = if m.from_tmpfs_key {
            format!("services.{}.tmpfs", svc.name)
        } else {
            format!("services.{}.volumes", svc.name)
        };
        let one = One {
            from: svc,
            index: i,
            read_only: m.read_only,
            key: k,
            shared: false,
        };
        objects.extend(mount_one(
            ctx,
            owner,
            m,
            &one,
            pod,
            parts,
            report,
            &mut subpath,
        )?);
    }
    let k = format!("services.{}.volumes_from", svc.name);
    for (vf, from) in volumes_from(ctx, svc) {
        let Some(from) = from else {
            report.not_converted(
                Some(&vf.loc),
                k.clone(),
                format!("`{}` names a container outside the project; mount the same volume in both instead", vf.raw),
            );
            continue;
        };
        let mut mounted = Vec::new();
        for (i, m) in from.volumes.iter().enumerate() {
            // The service's own mount at the same path wins, as in docker.
            if svc.volumes.iter().any(|o| o.target == m.target)
                || parts.mounts.iter().any(|pm| {
                    pm.get("mountPath").and_then(Value::as_str) == Some(m.target.as_str())
                })
            {
                continue;
            }
            let one = One {
                from,
                index: i,
                read_only: m.read_only || vf.read_only,
                key: k.clone(),
                shared: true,
            };
            let before = parts.mounts.len();
            // Objects (ConfigMaps) are made where the mount is written; here they are only
            // mounted.
            let _ = mount_one(ctx, owner, m, &one, pod, parts, report, &mut subpath)?;
            if parts.mounts.len() > before {
                mounted.push(m.target.clone());
            }
        }
        if !mounted.is_empty() {
            report.converted(
                Some(&vf.loc),
                k.clone(),
                format!(
                    "the volumes of `{}` mounted at the same paths{} ({})",
                    from.name,
                    if vf.read_only { ", read-only" } else { "" },
                    mounted.join(", ")
                ),
            );
        } else if from.volumes.is_empty() && from.volumes_from.is_empty() {
            report.ignored(
                Some(&vf.loc),
                k.clone(),
                format!("`{}` mounts no volumes", from.name),
            );
        }
    }
    if let Some(m) = &svc.ferry.bind_mounts {
        report.converted(
            Some(&m.loc),
            format!("services.{}.x-ferry.bindMounts", svc.name),
            format!(
                "the service's bind mounts follow `{}` instead of --bind-mounts",
                m.value
            ),
        );
    }
    if let Some(sp) = &subpath.label {
        let k = super::settings::label_key(svc, "kompose.volume.subpath");
        if subpath.used {
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

/// `kompose.volume.subpath` on a service, and whether a mount used it.
struct SubpathLabel {
    label: Option<crate::compose::Located<String>>,
    used: bool,
}

/// One mount to make in a container: its own, or one of another service's (`volumes_from`).
struct One<'s> {
    /// The service whose mount it is (names its ConfigMaps).
    from: &'s Service,
    index: usize,
    read_only: bool,
    /// The report key.
    key: String,
    /// Another service's mount (`volumes_from`): its objects are made there, not here.
    shared: bool,
}

/// The `volumes_from` entries of a service with the services they name (`None`: a container
/// outside the project), following the named services' own `volumes_from`, each service once.
fn volumes_from<'a: 's, 's>(
    ctx: &Ctx<'a>,
    svc: &'s Service,
) -> Vec<(&'s crate::compose::VolumesFrom, Option<&'s Service>)> {
    let mut out = Vec::new();
    let mut seen = vec![svc.name.as_str()];
    let mut todo: Vec<&'s crate::compose::VolumesFrom> = svc.volumes_from.iter().rev().collect();
    while let Some(vf) = todo.pop() {
        let from = vf
            .service
            .as_deref()
            .and_then(|s| ctx.project.services.get(s));
        if let Some(f) = from {
            if seen.contains(&f.name.as_str()) {
                continue;
            }
            seen.push(f.name.as_str());
            todo.extend(f.volumes_from.iter().rev());
        }
        out.push((vf, from));
    }
    out
}

/// The mounts a service gets through `volumes_from`, with the service each belongs to, less those
/// at a path the service mounts itself.
fn shared_mounts<'a: 's, 's>(
    ctx: &Ctx<'a>,
    svc: &'s Service,
) -> impl Iterator<Item = (&'s Service, &'s Mount)> {
    volumes_from(ctx, svc)
        .into_iter()
        .filter_map(|(_, f)| f)
        .flat_map(|f| f.volumes.iter().map(move |m| (f, m)))
        .filter(move |(_, m)| !svc.volumes.iter().any(|o| o.target == m.target))
}

#[allow(clippy::too_many_arguments)]
fn mount_one(
    ctx: &Ctx<'_>,
    owner: &Service,
    m: &Mount,
    one: &One<'_>,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
    subpath: &mut SubpathLabel,
) -> Result<Option<Object>> {
    let project = ctx.project;
    let settings = ctx.settings(&owner.name);
    let all_users = users(ctx);
    let k = one.key.clone();
    let i = one.index;
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
                subpath.label.as_ref().map(|s| {
                    subpath.used = true;
                    s.value.clone()
                })
            });
            parts
                .mounts
                .push(mount_entry(&name, &m.target, sub.as_deref(), one.read_only));
            if one.shared {
                return Ok(None);
            }
            let mut what = format!("volume `{src}` at {}", m.target);
            if let Some(sp) = &m.subpath {
                what.push_str(&format!(" (subPath {sp})"));
            }
            if m.read_only {
                what.push_str(" read-only");
            }
            report.converted(Some(&m.loc), k, what);
        }
        (MountKind::Volume | MountKind::Tmpfs, None) | (MountKind::Tmpfs, _) if one.shared => {
            report.not_converted(
                Some(&m.loc),
                k,
                format!(
                    "`{}` has a volume of its own at {} that lives as long as its pod; pods cannot share it (use a named volume)",
                    one.from.name, m.target
                ),
            );
        }
        (MountKind::Volume, None) => {
            let name = pod.unique(&format!("anon-{i}"));
            pod.volumes.push(json!({ "name": name, "emptyDir": {} }));
            parts
                .mounts
                .push(mount_entry(&name, &m.target, None, one.read_only));
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
                .push(mount_entry(&name, &m.target, None, one.read_only));
            report.converted(
                Some(&m.loc),
                k,
                format!("emptyDir (medium: Memory) at {}", m.target),
            );
        }
        (MountKind::Bind, Some(src)) => {
            return bind(ctx, one, m, src, pod, parts, report);
        }
        (MountKind::Bind, None) => {
            report.not_converted(
                Some(&m.loc),
                k,
                "a bind mount without `source` cannot be converted",
            );
        }
        (MountKind::Image, Some(reference)) => {
            image_volume(ctx, one, m, reference, pod, parts, report);
        }
        (MountKind::Image, None) => {
            report.not_converted(
                Some(&m.loc),
                k,
                "an image volume without `source` (the image to mount) cannot be converted",
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
    Ok(None)
}

/// `type: image`: the pod's `image` volume source (the image's content, read-only), pulled as the
/// service pulls its own image, `image.subpath` as the mount's `subPath`. One pod volume per
/// image, however many times it is mounted.
fn image_volume(
    ctx: &Ctx<'_>,
    one: &One<'_>,
    m: &Mount,
    reference: &str,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) {
    let policy = super::pod::image_pull_policy(one.from, ctx.settings(&one.from.name));
    let marker = format!("image:{reference}:{}", policy.unwrap_or_default());
    let name = pod.volume_for(
        &marker,
        || {
            // `ghcr.io/acme/models:v1` → `image-models`.
            let repo = reference
                .rsplit('/')
                .next()
                .unwrap_or(reference)
                .split(['@', ':'])
                .next()
                .unwrap_or_default();
            names::derived("image", repo)
        },
        || {
            let mut source = Map::new();
            source.insert("reference".into(), json!(reference));
            if let Some(p) = policy {
                source.insert("pullPolicy".into(), json!(p));
            }
            Map::from_iter([("image".to_string(), Value::Object(source))])
        },
    );
    parts
        .mounts
        .push(mount_entry(&name, &m.target, m.subpath.as_deref(), true));
    if one.shared {
        return;
    }
    let sub = m
        .subpath
        .as_ref()
        .map(|s| format!(" (subPath {s})"))
        .unwrap_or_default();
    report.converted(
        Some(&m.loc),
        one.key.clone(),
        format!(
            "image volume `{reference}` at {}{sub}, read-only{}",
            m.target,
            policy
                .map(|p| format!(", pullPolicy {p}"))
                .unwrap_or_default()
        ),
    );
    report.warn(
        Some(&m.loc),
        one.key.clone(),
        format!(
            "the `image` volume source needs Kubernetes 1.35 or later, where it is on by default (1.31 to 1.34 need the ImageVolume feature gate{}), and a container runtime that mounts image volumes (containerd 2.1 or later, CRI-O 1.31 or later)",
            if m.subpath.is_some() {
                ", and subPath 1.33 or later"
            } else {
                ""
            }
        ),
    );
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
            if project.reach == crate::paths::Reach::Project && !project.edge.holds(&real) {
                return Err(format!(
                    "{} links outside {}",
                    p.strip_prefix(dir).unwrap_or(&p).display(),
                    project.edge
                ));
            }
            if project.reach == crate::paths::Reach::Project
                && (project.edge.in_git_dir(&real) || p.file_name().is_some_and(|n| n == ".git"))
            {
                return Err(format!(
                    "it holds {}, a git directory, which ferry never copies (it may hold credentials)",
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

/// What a bind mount's source is: by what is there for a path inside the project, by the path
/// alone for a host path (the cluster's nodes are not the machine ferry runs on).
enum Source {
    File(PathBuf, u64),
    Dir(PathBuf),
    /// Inside the project, and nothing is there: docker creates an empty directory at `up`.
    Missing,
    /// Not a file or directory, unreadable, or a link out of the project.
    Unusable(String),
    /// A relative path that leaves the project: not read.
    Outside,
    /// An absolute host path or a home directory. `node`: for a path that only means something
    /// on the node, `Some(hostPath type)` (`Some("")`: no type check).
    Host {
        path: String,
        node: Option<&'static str>,
    },
}

fn source(project: &crate::compose::Project, src: &str) -> Source {
    if src.starts_with('~') {
        return Source::Host {
            path: src.to_string(),
            node: None,
        };
    }
    let p = Path::new(src);
    let abs = crate::paths::normalize(&project.dir.join(p));
    let inside = abs.starts_with(&project.dir);
    if p.is_absolute() && !inside {
        let path = abs.to_string_lossy().into_owned();
        let node = node_path(&path);
        return Source::Host { path, node };
    }
    if !project.edge.holds(&abs) && project.reach == crate::paths::Reach::Project {
        return Source::Outside;
    }
    match project.resolve(src) {
        Ok(p) => match std::fs::metadata(&p) {
            Ok(meta) if meta.is_dir() => Source::Dir(p),
            Ok(meta) if meta.is_file() => Source::File(p, meta.len()),
            Ok(_) => Source::Unusable(format!(
                "bind mount `{src}` is not a regular file or directory"
            )),
            Err(e) => Source::Unusable(format!("bind mount `{src}` cannot be read: {e}")),
        },
        Err(PathProblem::Missing) => Source::Missing,
        Err(other) => Source::Unusable(format!("bind mount `{src}` {other}")),
    }
}

/// The hostPath type of a path that only means something on the node (the docker socket, the
/// clock and time zone, devices, kernel interfaces, the runtime's own directories), or `None`
/// for a path that holds the user's data. `Some("")`: a node path of no known type.
pub fn node_path(path: &str) -> Option<&'static str> {
    const FILES: &[&str] = &[
        "/etc/localtime",
        "/etc/timezone",
        "/etc/machine-id",
        "/etc/hostname",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/os-release",
        "/etc/passwd",
        "/etc/group",
        "/var/lib/dbus/machine-id",
    ];
    const DIRS: &[&str] = &[
        "/",
        "/dev",
        "/sys",
        "/proc",
        "/run",
        "/var/run",
        "/boot",
        "/lib/modules",
        "/usr/lib/modules",
        "/usr/src",
        "/var/lib/docker",
        "/var/log",
        "/etc",
    ];
    const DEV_DIRS: &[&str] = &[
        "dri",
        "snd",
        "shm",
        "input",
        "bus",
        "disk",
        "serial",
        "mapper",
        "net",
        "pts",
        "mqueue",
        "hugepages",
        "v4l",
        "block",
        "char",
        "vfio",
        "usb",
    ];
    const BLOCK: &[&str] = &[
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "loop", "md", "dm-",
    ];
    let path = path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    if path.ends_with(".sock") {
        return Some("Socket");
    }
    if FILES.contains(&path) {
        return Some("File");
    }
    if DIRS.contains(&path) {
        return Some("Directory");
    }
    if let Some(dev) = path.strip_prefix("/dev/") {
        let first = dev.split('/').next().unwrap_or_default();
        if DEV_DIRS.contains(&first) {
            return Some(if dev == first || dev == "bus/usb" {
                "Directory"
            } else if first == "disk" || first == "mapper" {
                "BlockDevice"
            } else if first == "shm" {
                ""
            } else {
                "CharDevice"
            });
        }
        if BLOCK.iter().any(|b| dev.starts_with(b)) {
            return Some("BlockDevice");
        }
        return Some("CharDevice");
    }
    let under = |d: &str| path.starts_with(&format!("{d}/"));
    if DIRS.iter().filter(|d| **d != "/").any(|d| under(d)) || under("/usr/share/zoneinfo") {
        return Some("");
    }
    None
}

/// Whether a path's last part looks like a file name (`nginx.conf`, `app.jar`).
fn looks_like_file(src: &str) -> bool {
    let last = src
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    match last.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// What a bind mount becomes.
#[derive(Clone)]
pub(crate) enum BindPlan {
    /// Left out: the service's own build context holds these files (shown: the context).
    BuildContext(String),
    /// Copied into a ConfigMap. `key`: the source, relative to the project and normalised
    /// (`./conf/nginx.conf`, `conf/nginx.conf` and `conf//nginx.conf` are one).
    Copy {
        key: String,
        files: Vec<(String, PathBuf, u64)>,
        dir: bool,
    },
    /// A PersistentVolumeClaim shared by every mount of the same source (`key`); `what` says
    /// what the source is; `seed`: the host has files there that the claim does not get.
    Claim {
        key: String,
        what: String,
        seed: bool,
        /// Nothing is there: docker creates an empty directory.
        missing: bool,
    },
    /// A hostPath volume (`kind`: its type, empty for none).
    HostPath { path: String, kind: &'static str },
    /// Not converted, and why.
    Report(String),
}

/// The service's build context, as an absolute path (none for a remote context).
fn build_context(project: &crate::compose::Project, svc: &Service) -> Option<PathBuf> {
    let b = svc.build.as_ref()?;
    if b.context.contains("://") || b.context.starts_with("git@") {
        return None;
    }
    Some(crate::paths::normalize(&project.dir.join(&b.context)))
}

impl BindMounts {
    /// A mode as `--bind-mounts` and `x-ferry: {bindMounts: …}` write it.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "auto" => BindMounts::Auto,
            "pvc" => BindMounts::Pvc,
            "hostpath" => BindMounts::HostPath,
            "report" => BindMounts::Report,
            _ => return None,
        })
    }
}

/// The bind-mount mode of a service: its `x-ferry: {bindMounts: …}`, else `--bind-mounts`.
fn mode_of(ctx: &Ctx<'_>, svc: &Service) -> BindMounts {
    svc.ferry
        .bind_mounts
        .as_ref()
        .and_then(|m| BindMounts::parse(&m.value))
        .unwrap_or(ctx.opts.bind_mounts)
}

/// The plan of a bind mount of `from`: made once for every bind mount of the project (the
/// claims and the pods both need it, and it reads the project's files).
fn planned(ctx: &Ctx<'_>, from: &Service, src: &str) -> BindPlan {
    let plans = ctx.bind_plans.get_or_init(|| {
        let mut plans = std::collections::HashMap::new();
        for svc in ctx.project.services.values() {
            let own = svc.volumes.iter().map(|m| (svc, m));
            for (from, m) in own.chain(shared_mounts(ctx, svc)) {
                if let (MountKind::Bind, Some(src)) = (&m.kind, &m.source) {
                    plans
                        .entry((from.name.clone(), src.clone()))
                        .or_insert_with(|| plan_bind(ctx, from, src));
                }
            }
        }
        plans
    });
    plans
        .get(&(from.name.clone(), src.to_string()))
        .cloned()
        .unwrap_or_else(|| plan_bind(ctx, from, src))
}

fn plan_bind(ctx: &Ctx<'_>, from: &Service, src: &str) -> BindPlan {
    let project = ctx.project;
    let mode = mode_of(ctx, from);
    let found = source(project, src);
    if let (Source::File(..) | Source::Dir(_), Some(bc)) = (&found, build_context(project, from)) {
        if crate::paths::normalize(&project.dir.join(src)).starts_with(&bc) {
            let shown = from
                .build
                .as_ref()
                .map(|b| b.context.clone())
                .unwrap_or_default();
            return BindPlan::BuildContext(shown);
        }
    }
    let rel_key = || {
        let abs = crate::paths::normalize(&project.dir.join(src));
        match abs.strip_prefix(&project.dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            // Beside the project (in its git work tree, or allowed with
            // --allow-outside-project): the same key on every machine.
            Err(_) => crate::paths::relative(&project.dir, &abs)
                .to_string_lossy()
                .into_owned(),
        }
    };
    let data = |key: String, what: String, seed: bool| {
        match mode {
        BindMounts::Report => BindPlan::Report(format!(
            "bind mount `{src}` is {what}; `--bind-mounts auto` would make it a PersistentVolumeClaim"
        )),
        _ => BindPlan::Claim {
            key,
            what,
            seed,
            missing: false,
        },
    }
    };
    match found {
        Source::File(p, len) if len <= MAX_CONFIGMAP_BYTES => {
            let file_name = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            BindPlan::Copy {
                key: rel_key(),
                files: vec![(file_name, p, len)],
                dir: false,
            }
        }
        Source::File(_, len) => BindPlan::Report(format!(
            "bind mount `{src}` is a file of {len} bytes, more than a ConfigMap holds (1 MiB); build it into the image"
        )),
        Source::Dir(d) => match dir_files(project, &d) {
            Ok(files) if !files.is_empty() => BindPlan::Copy {
                key: rel_key(),
                files,
                dir: true,
            },
            Ok(_) => data(rel_key(), "an empty directory".into(), false),
            Err(why) => data(
                rel_key(),
                format!("a directory too large for a ConfigMap ({why})"),
                true,
            ),
        },
        Source::Missing => match data(
            rel_key(),
            "not in the project, so docker creates it empty at `up`".into(),
            false,
        ) {
            BindPlan::Claim { key, what, .. } => BindPlan::Claim {
                key,
                what,
                seed: false,
                missing: true,
            },
            other => other,
        },
        Source::Unusable(why) => BindPlan::Report(why),
        Source::Outside if looks_like_file(src) => BindPlan::Report(format!(
            "bind mount `{src}` is outside the project, which ferry does not read (--allow-outside-project lets it copy the file into a ConfigMap)"
        )),
        Source::Outside => data(
            crate::paths::normalize(Path::new(src))
                .to_string_lossy()
                .into_owned(),
            "a directory outside the project".into(),
            true,
        ),
        Source::Host {
            path,
            node: Some(kind),
        } => match mode {
            BindMounts::Auto | BindMounts::HostPath => BindPlan::HostPath { path, kind },
            BindMounts::Pvc => BindPlan::Report(format!(
                "`{path}` only means something on the node; `--bind-mounts pvc` makes no hostPath volume (`auto` would)"
            )),
            BindMounts::Report => BindPlan::Report(format!(
                "bind mount `{src}` is a path on the node; `--bind-mounts auto` would mount it with hostPath"
            )),
        },
        Source::Host { path, node: None } => match mode {
            BindMounts::HostPath if !path.starts_with('~') => {
                BindPlan::HostPath { path, kind: "" }
            }
            BindMounts::Report => BindPlan::Report(format!(
                "bind mount `{src}` is a host path; `--bind-mounts auto` would make it a PersistentVolumeClaim"
            )),
            _ => BindPlan::Claim {
                key: path,
                what: "a path on the docker host".into(),
                seed: true,
                missing: false,
            },
        },
    }
}

/// A claim made for bind mounts of one source path.
pub(crate) struct BindClaim<'a> {
    /// The source (relative to the project, or the host path).
    key: String,
    name: String,
    /// Pod owners that mount it, in compose order.
    users: Vec<&'a str>,
    loc: crate::error::Location,
    service: &'a str,
    src: &'a str,
}

/// The claims made for bind mounts, one per distinct source, in compose order; computed once.
pub(crate) fn bind_claims<'c, 'a>(ctx: &'c Ctx<'a>) -> &'c [BindClaim<'a>] {
    ctx.bind_claims.get_or_init(|| {
        let project = ctx.project;
        let mut taken: std::collections::BTreeSet<String> =
            project.volumes.keys().map(|k| claim_name(ctx, k)).collect();
        let mut out: Vec<BindClaim<'a>> = Vec::new();
        for svc in project.services.values() {
            let owner = ctx.pod_owner(&svc.name).name.as_str();
            let own = svc.volumes.iter().map(|m| (svc, m));
            for (from, m) in own.chain(shared_mounts(ctx, svc)) {
                let (MountKind::Bind, Some(src)) = (&m.kind, &m.source) else {
                    continue;
                };
                let BindPlan::Claim { key, .. } = planned(ctx, from, src) else {
                    continue;
                };
                if let Some(c) = out.iter_mut().find(|c| c.key == key) {
                    if !c.users.contains(&owner) {
                        c.users.push(owner);
                    }
                    continue;
                }
                let base = claim_base(&key);
                let mut name = base.clone();
                let mut n = 1;
                while taken.contains(&name) {
                    name = names::derived(
                        &base,
                        &if n == 1 {
                            "bind".to_string()
                        } else {
                            format!("bind-{n}")
                        },
                    );
                    n += 1;
                }
                taken.insert(name.clone());
                out.push(BindClaim {
                    key,
                    name,
                    users: vec![owner],
                    loc: m.loc.clone(),
                    service: from.name.as_str(),
                    src: src.as_str(),
                });
            }
        }
        out
    })
}

/// A claim's name from its source path: `./data/mysql` → `data-mysql`, `/srv/media` →
/// `srv-media`, `~/photos` → `home-photos`, `../shared` → `parent-shared`.
fn claim_base(key: &str) -> String {
    let parts: Vec<&str> = key
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| match p {
            ".." => "parent",
            "~" => "home",
            p => p,
        })
        .collect();
    if parts.is_empty() {
        return if key.starts_with('/') {
            "host-root".into()
        } else {
            "project-dir".into()
        };
    }
    names::dns_label(&parts.join("-"))
}

/// The claims of bind mounts (see [`bind_claims`]), with the rules and warnings of named
/// volumes' claims.
fn bind_claim_objects(ctx: &Ctx<'_>, report: &mut Report) -> Vec<Object> {
    let mut out = Vec::new();
    for c in bind_claims(ctx) {
        let def = VolumeDef::new(&c.name, c.loc.clone());
        let spec = claim_spec(ctx, &c.name, &def, &c.users, report);
        if c.users.len() > 1 && spec.modes.iter().all(|m| m == "ReadWriteOnce") {
            report.warn(
                Some(&c.loc),
                format!("services.{}.volumes", c.service),
                format!(
                    "`{}` is bind-mounted by {}: PersistentVolumeClaim/{} is ReadWriteOnce, so their pods must run on one node (or use a ReadWriteMany storage class)",
                    c.src,
                    names::some_of(&c.users, 10),
                    c.name
                ),
            );
        }
        out.push(claim_object(
            ctx,
            &c.name,
            &spec,
            format!("services.{}.volumes ({})", c.service, c.src),
        ));
    }
    out
}

/// The sources a service copies into ConfigMaps (its own bind mounts), each once, in compose
/// order, with the index of the first mount of each.
fn copied_sources(ctx: &Ctx<'_>, svc: &Service) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for (i, m) in svc.volumes.iter().enumerate() {
        let (MountKind::Bind, Some(src)) = (&m.kind, &m.source) else {
            continue;
        };
        if let BindPlan::Copy { key, .. } = planned(ctx, svc, src) {
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, i));
            }
        }
    }
    out
}

/// The ConfigMap made for one source that a service copies.
#[derive(Debug, Clone)]
pub(crate) struct BindConfigMap {
    pub name: String,
    /// The index (in the service's `volumes`) of the first mount of the source, which makes it.
    pub first_mount: usize,
}

/// The parts of a source path that can name a ConfigMap (`..` is `parent`; the project
/// directory itself is `project`).
fn path_parts(key: &str) -> Vec<&str> {
    let parts: Vec<&str> = key
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| if p == ".." { "parent" } else { p })
        .collect();
    if parts.is_empty() {
        vec!["project"]
    } else {
        parts
    }
}

/// The names of the ConfigMaps made for bind mounts, by (service, source); computed once.
///
/// A ConfigMap is `<service>-<file or directory name>`. Two sources of one service with the same
/// name (`./provisioning/a/cluster.yml`, `./provisioning/b/cluster.yml`) both take in their
/// directories, nearest first, until they differ (`grafana-a-cluster-yml`,
/// `grafana-b-cluster-yml`); a name another object already has does the same, then takes a
/// number. One source mounted twice is one ConfigMap. So names depend only on the project, never
/// on the user renaming files.
pub(crate) fn bind_configmaps<'c>(
    ctx: &'c Ctx<'_>,
) -> &'c BTreeMap<(String, String), BindConfigMap> {
    ctx.bind_configmaps.get_or_init(|| {
        let project = ctx.project;
        // Other ConfigMaps: top-level configs and env files.
        let mut taken: std::collections::BTreeSet<String> = project
            .top
            .configs
            .values()
            .map(super::secrets::object_name)
            .collect();
        taken.extend(
            project
                .services
                .values()
                .filter(|s| !s.env_files.is_empty())
                .map(|s| names::derived(&s.name, "env")),
        );
        let mut out = BTreeMap::new();
        for svc in project.services.values() {
            let copied = copied_sources(ctx, svc);
            let sources: Vec<String> = copied.iter().map(|(k, _)| k.clone()).collect();
            let names = names_apart(&svc.name, &sources, &mut taken);
            for ((source, first_mount), name) in copied.into_iter().zip(names) {
                out.insert(
                    (svc.name.clone(), source),
                    BindConfigMap { name, first_mount },
                );
            }
        }
        out
    })
}

/// The ConfigMap names of one service's copied sources (see [`bind_configmaps`]), none of them
/// in `taken`, which gets them.
fn names_apart(
    service: &str,
    sources: &[String],
    taken: &mut std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let parts = path_parts(source);
        // The parts that set it apart from the service's other sources of that name.
        let mut depth = 1;
        for other in sources.iter().filter(|o| *o != source) {
            let theirs = path_parts(other);
            if theirs.last() != parts.last() {
                continue;
            }
            let shared = parts
                .iter()
                .rev()
                .zip(theirs.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            depth = depth.max((shared + 1).min(parts.len()));
        }
        let named = |depth: usize| names::derived(service, &parts[parts.len() - depth..].join("-"));
        let mut name = named(depth);
        while taken.contains(&name) && depth < parts.len() {
            depth += 1;
            name = named(depth);
        }
        let name = names::unique(name.clone(), &name, |n| taken.contains(n));
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

/// A bind mount: files and small directories inside the project become a ConfigMap, code in the
/// service's build context is left to the image, data directories and host data paths become
/// claims, node paths hostPath volumes (see [`BindMounts`]).
fn bind(
    ctx: &Ctx<'_>,
    one: &One<'_>,
    m: &Mount,
    src: &str,
    pod: &mut PodParts,
    parts: &mut ContainerParts,
    report: &mut Report,
) -> Result<Option<Object>> {
    let svc = one.from;
    let key_path = one.key.clone();
    let (source, files, dir) = match planned(ctx, svc, src) {
        BindPlan::Copy { key, files, dir } => (key, files, dir),
        BindPlan::BuildContext(bc) => {
            if !one.shared {
                report.ignored(
                    Some(&m.loc),
                    key_path,
                    format!(
                        "`{src}` lies in the build context `{bc}` of `{}`: the image holds these files (a development mount over them); a volume at {} would hide them",
                        svc.name, m.target
                    ),
                );
            }
            return Ok(None);
        }
        BindPlan::Report(why) => {
            report.not_converted(Some(&m.loc), key_path, why);
            return Ok(None);
        }
        BindPlan::Claim {
            key,
            what,
            seed,
            missing,
        } => {
            let Some(c) = bind_claims(ctx).iter().find(|c| c.key == key) else {
                return Ok(None);
            };
            let name = pod.volume_for(
                &format!("bind:{key}"),
                || c.name.clone(),
                || {
                    Map::from_iter([(
                        "persistentVolumeClaim".to_string(),
                        json!({ "claimName": c.name }),
                    )])
                },
            );
            pod.uses_claim = true;
            parts
                .mounts
                .push(mount_entry(&name, &m.target, None, one.read_only));
            if one.shared {
                return Ok(None);
            }
            report.converted(
                Some(&m.loc),
                key_path.clone(),
                format!(
                    "PersistentVolumeClaim/{} at {}{} (`{src}` is {what})",
                    c.name,
                    m.target,
                    if m.read_only { " read-only" } else { "" }
                ),
            );
            if missing && looks_like_file(src) {
                report.warn(
                    Some(&m.loc),
                    key_path.clone(),
                    format!(
                        "`{src}` looks like a file name but is missing, so docker (and this claim) mount an empty directory at {}; if it is a config file, add it to the project and run ferry again: it becomes a ConfigMap",
                        m.target
                    ),
                );
            }
            if seed {
                report.warn(
                    Some(&m.loc),
                    key_path,
                    format!(
                        "the files in `{src}` are not copied: PersistentVolumeClaim/{} starts empty; seed it once with `kubectl cp {}/. <pod>:{}`",
                        c.name,
                        src.trim_end_matches('/'),
                        m.target
                    ),
                );
            }
            return Ok(None);
        }
        BindPlan::HostPath { path, kind } => {
            let name = pod.unique(&format!(
                "host-{}",
                Path::new(&path)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "root".into())
            ));
            let mut hp = Map::new();
            hp.insert("path".into(), json!(path));
            if !kind.is_empty() {
                hp.insert("type".into(), json!(kind));
            }
            pod.volumes
                .push(json!({ "name": name, "hostPath": Value::Object(hp) }));
            parts
                .mounts
                .push(mount_entry(&name, &m.target, None, one.read_only));
            if !one.shared {
                report.warn(
                    Some(&m.loc),
                    key_path,
                    format!(
                        "hostPath `{path}` at {}{}: the pod sees the {} of whichever node runs it, and Pod Security \"baseline\" rejects hostPath volumes",
                        m.target,
                        if m.read_only { " (read-only)" } else { "" },
                        match kind {
                            "Socket" => "socket",
                            "File" => "file",
                            "CharDevice" | "BlockDevice" => "device",
                            _ => "path",
                        }
                    ),
                );
            }
            return Ok(None);
        }
    };
    // The first mount of this source by its service makes the ConfigMap; a second mount of the
    // same file (at another path) mounts the same one.
    let (name, makes) = match bind_configmaps(ctx).get(&(svc.name.clone(), source.clone())) {
        Some(made) => (
            made.name.clone(),
            !one.shared && made.first_mount == one.index,
        ),
        None => (names::derived(&svc.name, &source), false),
    };
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
        if makes {
            match String::from_utf8(read(path)?) {
                Ok(text) => {
                    super::hosts::report_file_mentions(ctx, path, &text, &key_path, report);
                    data.insert(k.clone(), json!(text))
                }
                Err(e) => binary.insert(
                    k.clone(),
                    json!(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
                ),
            };
        }
        items.push(json!({ "key": k, "path": rel }));
    }
    // One pod volume per ConfigMap, however many times it is mounted.
    let vol = pod.volume_for(
        &format!("configmap:{name}"),
        || name.clone(),
        || {
            let cm = if dir {
                json!({ "name": name, "items": items })
            } else {
                json!({ "name": name })
            };
            Map::from_iter([("configMap".to_string(), cm)])
        },
    );
    let sub_path = if dir {
        None
    } else {
        keys.iter().next().cloned()
    };
    parts
        .mounts
        .push(mount_entry(&vol, &m.target, sub_path.as_deref(), true));
    if one.shared {
        return Ok(None);
    }
    report.converted(
        Some(&m.loc),
        key_path.clone(),
        format!("ConfigMap/{name} mounted at {}", m.target),
    );
    if dir {
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
    } else if !m.read_only {
        report.warn(
            Some(&m.loc),
            key_path,
            format!("`{src}` is mounted from a ConfigMap, which is read-only in Kubernetes"),
        );
    }
    if !makes {
        return Ok(None);
    }
    let mut cm = Map::new();
    cm.insert("apiVersion".into(), json!("v1"));
    cm.insert("kind".into(), json!("ConfigMap"));
    cm.insert("metadata".into(), ctx.metadata(&name, Some(&svc.name)));
    if !data.is_empty() {
        cm.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        cm.insert("binaryData".into(), Value::Object(binary));
    }
    Ok(Some(Object {
        kind: "ConfigMap".into(),
        name,
        value: std::sync::Arc::new(Value::Object(cm)),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.volumes ({src})", svc.name),
    }))
}

#[cfg(test)]
mod tests {
    use super::names_apart;

    fn names(sources: &[&str], taken: &[&str]) -> Vec<String> {
        let sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
        let mut taken = taken.iter().map(|s| s.to_string()).collect();
        names_apart("svc", &sources, &mut taken)
    }

    #[test]
    fn sources_of_one_name_take_in_their_directories() {
        assert_eq!(names(&["nginx.conf"], &[]), ["svc-nginx-conf"]);
        assert_eq!(
            names(&["prov/a/cluster.yml", "prov/b/cluster.yml", "x.yml"], &[]),
            ["svc-a-cluster-yml", "svc-b-cluster-yml", "svc-x-yml"]
        );
        // As far as it takes, each on its own: x/a and y/a need two directories, b one.
        assert_eq!(
            names(&["x/a/c.yml", "y/a/c.yml", "b/c.yml"], &[]),
            ["svc-x-a-c-yml", "svc-y-a-c-yml", "svc-b-c-yml"]
        );
        // A file at the top beside one in a directory.
        assert_eq!(
            names(&["c.yml", "a/c.yml"], &[]),
            ["svc-c-yml", "svc-a-c-yml"]
        );
        assert_eq!(
            names(&["", "../shared"], &[]),
            ["svc-project", "svc-shared"]
        );
    }

    #[test]
    fn a_taken_name_takes_a_directory_then_a_number() {
        assert_eq!(
            names(&["conf/nginx.conf"], &["svc-nginx-conf"]),
            ["svc-conf-nginx-conf"]
        );
        assert_eq!(
            names(&["nginx.conf"], &["svc-nginx-conf"]),
            ["svc-nginx-conf-2"]
        );
        // Names that only differ in characters a Kubernetes name cannot hold.
        assert_eq!(names(&["a_b", "a.b"], &[]), ["svc-a-b", "svc-a-b-2"]);
    }
}
