//! The objects a kustomization builds, for the summary: what `kubectl kustomize DIR` gives, for
//! the part of kustomize that ferry writes.
//!
//! A kustomization names its `resources` (files, or directories with a kustomization of their
//! own, as an overlay names `../../base`), makes Secrets with a `secretGenerator` (or replaces
//! the base's, as an environment does), sets a `namespace`, and changes objects with `replicas`
//! and `patches` (strategic merge patches, as Kubernetes merges its own kinds, `$patch: delete`,
//! and JSON 6902 patches with their `test`s, inline or in files). That is applied exactly; a
//! kustomization that uses anything else (another field, a `$` directive this does not know, a
//! patch of a custom resource, a resource outside the output) is not built, and the summary
//! says why instead of guessing.
//!
//! Generated Secrets are named as the kustomization names them (kustomize adds a hash of the
//! content to the name when it builds); their data is compared by content, never shown.

use super::compare::{Object, ObjectId};
use serde_json::{Map, Value as J};

/// Where a kustomization build reads its files: a path in the output directory → its content.
pub trait Source {
    /// The file at `path` (relative, `/`-separated), if there is one.
    fn file(&self, path: &str) -> Option<Content<'_>>;
    /// The YAML documents of the file at `path` as objects (parsed once per content).
    fn objects(&self, path: &str) -> Result<Vec<Object>, String>;
    /// Whether the file at `path` is the same on the other side of the comparison (see
    /// [`build_lazily`]).
    fn same(&self, _path: &str) -> bool {
        false
    }
}

/// What the build knows of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content<'a> {
    Bytes(&'a [u8]),
    /// Secret material that is not on disk (a fresh checkout): the same on both sides.
    Unknown,
}

use crate::render::KUSTOMIZATION;

/// How deep `resources` may nest (an overlay over a base is 2).
const MAX_DEPTH: usize = 8;

/// The fields of a kustomization this applies.
const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "secretGenerator",
    "namespace",
    "replicas",
    "patches",
];

/// The objects the kustomization in `dir` (`""` for the top) builds.
pub fn build(src: &dyn Source, dir: &str) -> Result<Vec<Object>, String> {
    build_at(src, dir, 0, false)
}

/// [`build`], without reading a resource file that is the same on both sides ([`Source::same`]):
/// it stands as one [`Object::unread`] for the file, which compares equal to itself. Reading
/// every file of a large output to compare the few that changed was most of the summary's
/// time. `Ok(None)` when the kustomization changes objects (`patches`, `replicas`,
/// `namespace`): then every object must be read ([`build`]).
pub fn build_lazily(src: &dyn Source, dir: &str) -> Result<Option<Vec<Object>>, String> {
    match build_at(src, dir, 0, true) {
        Err(e) if e == READ_ALL => Ok(None),
        other => other.map(Some),
    }
}

/// What a lazy build stops with when it must read every object.
const READ_ALL: &str = "\0read all";

/// `dir/name`, with `.` and `..` resolved; `None` when it leaves the output directory.
pub fn join(dir: &str, name: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn build_at(src: &dyn Source, dir: &str, depth: usize, lazy: bool) -> Result<Vec<Object>, String> {
    let path = join(dir, KUSTOMIZATION).unwrap_or_default();
    if depth > MAX_DEPTH {
        return Err(format!("{path}: resources nest more than {MAX_DEPTH} deep"));
    }
    let k = match src.objects(&path)?.as_slice() {
        [one] => one.body.as_ref().clone(),
        _ => return Err(format!("{path}: not one YAML document")),
    };
    let Some(k) = k.as_object() else {
        return Err(format!("{path}: not a mapping"));
    };
    if let Some(other) = k.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(format!(
            "{path} uses `{other}`, which the summary does not apply"
        ));
    }
    let changes_objects = ["patches", "replicas", "namespace"]
        .iter()
        .any(|f| k.get(*f).is_some_and(|v| !v.is_null()));
    if lazy && changes_objects {
        return Err(READ_ALL.into());
    }
    let mut objects = Vec::new();
    for r in list(k, "resources", &path)? {
        let r = r
            .as_str()
            .ok_or_else(|| format!("{path}: a resource that is not a path"))?;
        let at = join(dir, r).ok_or_else(|| format!("{path}: `{r}` is outside the output"))?;
        if src.file(&at).is_some() {
            if lazy && src.same(&at) {
                objects.push(Object::unread(&at));
            } else {
                objects.extend(src.objects(&at)?);
            }
        } else if src
            .file(&join(&at, KUSTOMIZATION).unwrap_or_default())
            .is_some()
        {
            objects.extend(build_at(src, &at, depth + 1, lazy)?);
        } else {
            return Err(format!("{path}: the resource `{r}` is not in the output"));
        }
    }
    for g in list(k, "secretGenerator", &path)? {
        let secret = generated_secret(src, dir, &path, g)?;
        let replace = g.get("behavior").and_then(J::as_str) == Some("replace");
        match objects.iter_mut().find(|o| o.id == secret.id) {
            Some(old) if replace => *old = replaced(old, secret),
            None if !replace => objects.push(secret),
            Some(_) => {
                return Err(format!(
                    "{path}: the secretGenerator `{}` makes a Secret the resources have already",
                    secret.id.name
                ))
            }
            None => {
                return Err(format!(
                    "{path}: the secretGenerator `{}` replaces a Secret that is not there",
                    secret.id.name
                ))
            }
        }
    }
    for p in list(k, "patches", &path)? {
        patch(src, dir, &path, p, &mut objects)?;
    }
    for r in list(k, "replicas", &path)? {
        replicas(&path, r, &mut objects)?;
    }
    if let Some(ns) = k.get("namespace") {
        let ns = ns
            .as_str()
            .ok_or_else(|| format!("{path}: `namespace` is not a name"))?;
        set_namespace(&path, ns, &mut objects)?;
    }
    Ok(objects)
}

fn list<'a>(k: &'a Map<String, J>, field: &str, path: &str) -> Result<&'a [J], String> {
    match k.get(field) {
        None | Some(J::Null) => Ok(&[]),
        Some(J::Array(a)) => Ok(a),
        Some(_) => Err(format!("{path}: `{field}` is not a list")),
    }
}

/// A Secret of a `secretGenerator`: its data are the generator's files and literals, each
/// compared by a digest of its content (the value itself never leaves this function).
fn generated_secret(src: &dyn Source, dir: &str, path: &str, g: &J) -> Result<Object, String> {
    const KEYS: &[&str] = &["name", "files", "literals", "type", "options", "behavior"];
    let g = g
        .as_object()
        .ok_or_else(|| format!("{path}: a secretGenerator that is not a mapping"))?;
    if let Some(other) = g.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(format!(
            "{path}: a secretGenerator uses `{other}`, which the summary does not apply"
        ));
    }
    if g.get("behavior")
        .is_some_and(|b| !matches!(b.as_str(), Some("create" | "replace")))
    {
        return Err(format!(
            "{path}: a secretGenerator merges into another, which the summary does not apply"
        ));
    }
    let name = g
        .get("name")
        .and_then(J::as_str)
        .ok_or_else(|| format!("{path}: a secretGenerator without a name"))?;
    let mut data = Map::new();
    for f in list(g, "files", path)? {
        let f = f
            .as_str()
            .ok_or_else(|| format!("{path}: a secretGenerator file that is not a path"))?;
        let (key, file) = match f.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (f.rsplit('/').next().unwrap_or(f).to_string(), f),
        };
        let at =
            join(dir, file).ok_or_else(|| format!("{path}: `{file}` is outside the output"))?;
        let token = match src.file(&at) {
            Some(Content::Bytes(b)) => digest(b),
            // Not on disk (a fresh checkout) or not made: the same on both sides, as the line
            // comparison counts it.
            Some(Content::Unknown) | None => "unknown".to_string(),
        };
        data.insert(key, J::String(token));
    }
    for l in list(g, "literals", path)? {
        let (k, v) = l
            .as_str()
            .and_then(|l| l.split_once('='))
            .ok_or_else(|| format!("{path}: a secretGenerator literal that is not KEY=VALUE"))?;
        data.insert(k.to_string(), J::String(digest(v.as_bytes())));
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), J::String(name.to_string()));
    if let Some(options) = g.get("options") {
        let options = options
            .as_object()
            .ok_or_else(|| format!("{path}: secretGenerator options that are not a mapping"))?;
        for (key, value) in options {
            match key.as_str() {
                "labels" | "annotations" => {
                    metadata.insert(key.clone(), value.clone());
                }
                other => {
                    return Err(format!(
                        "{path}: a secretGenerator uses the option `{other}`, which the summary does not apply"
                    ))
                }
            }
        }
    }
    let mut body = Map::new();
    body.insert("apiVersion".into(), J::String("v1".into()));
    body.insert("kind".into(), J::String("Secret".into()));
    body.insert("metadata".into(), J::Object(metadata));
    body.insert(
        "type".into(),
        g.get("type").cloned().unwrap_or(J::String("Opaque".into())),
    );
    body.insert("data".into(), J::Object(data));
    Ok(Object::from_document(J::Object(body), path, 0))
}

/// A generated Secret in place of `old` (`behavior: replace`): kustomize keeps the old one's
/// labels and annotations under the new one's.
fn replaced(old: &Object, new: Object) -> Object {
    let mut body = new.body.as_ref().clone();
    for field in ["labels", "annotations"] {
        let old_map = old.body.get("metadata").and_then(|m| m.get(field));
        let Some(old_map) = old_map.and_then(J::as_object) else {
            continue;
        };
        let mut merged = old_map.clone();
        let new_map = body.get("metadata").and_then(|m| m.get(field));
        if let Some(new_map) = new_map.and_then(J::as_object) {
            for (k, v) in new_map {
                merged.insert(k.clone(), v.clone());
            }
        }
        if let Some(md) = body.get_mut("metadata").and_then(J::as_object_mut) {
            md.insert(field.to_string(), J::Object(merged));
        }
    }
    Object {
        id: new.id,
        body: std::sync::Arc::new(body),
    }
}

/// A digest that tells two contents apart; compared only, never shown.
fn digest(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    let a = h.finish();
    bytes.len().hash(&mut h);
    format!("{a:016x}{:016x}", h.finish())
}

/// Kinds that live in no namespace: kustomize's `namespace` leaves them alone.
const CLUSTER_KINDS: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "IngressClass",
    "PriorityClass",
    "GatewayClass",
    "ClusterIssuer",
    "ClusterSecretStore",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

fn set_namespace(path: &str, ns: &str, objects: &mut [Object]) -> Result<(), String> {
    for o in objects.iter_mut() {
        if o.id.kind == "Namespace" {
            if o.id.name != ns {
                return Err(format!(
                    "{path}: sets the namespace `{ns}` beside Namespace/{}, which the summary does not apply",
                    o.id.name
                ));
            }
            continue;
        }
        if o.id.kind.contains("Binding") {
            return Err(format!(
                "{path}: sets a namespace on {}, whose subjects kustomize also changes; the summary does not apply that",
                o.id
            ));
        }
        if CLUSTER_KINDS.contains(&o.id.kind.as_str()) || o.id.is_file() {
            continue;
        }
        let body = std::sync::Arc::make_mut(&mut o.body);
        if let Some(md) = body.get_mut("metadata").and_then(J::as_object_mut) {
            md.insert("namespace".into(), J::String(ns.to_string()));
        }
    }
    Ok(())
}

fn replicas(path: &str, r: &J, objects: &mut [Object]) -> Result<(), String> {
    let name = r.get("name").and_then(J::as_str);
    let count = r.get("count").and_then(J::as_i64);
    let (Some(name), Some(count)) = (name, count) else {
        return Err(format!("{path}: a `replicas` entry without name and count"));
    };
    let mut found = false;
    for o in objects.iter_mut().filter(|o| {
        o.id.name == name
            && matches!(
                o.id.kind.as_str(),
                "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
            )
    }) {
        found = true;
        let body = std::sync::Arc::make_mut(&mut o.body);
        let spec = body
            .as_object_mut()
            .map(|m| m.entry("spec").or_insert_with(|| J::Object(Map::new())));
        if let Some(J::Object(spec)) = spec {
            spec.insert("replicas".into(), J::from(count));
        }
    }
    if found {
        Ok(())
    } else {
        Err(format!(
            "{path}: `replicas` names `{name}`, which is not a workload here"
        ))
    }
}

/// Kinds whose strategic merge is Kubernetes' own (lists merged by their `patchMergeKey`).
const BUILT_IN_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "Ingress",
    "NetworkPolicy",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Namespace",
];

fn patch(
    src: &dyn Source,
    dir: &str,
    path: &str,
    p: &J,
    objects: &mut Vec<Object>,
) -> Result<(), String> {
    let p = p
        .as_object()
        .ok_or_else(|| format!("{path}: a patch that is not a mapping"))?;
    if let Some(other) = p
        .keys()
        .find(|k| !matches!(k.as_str(), "patch" | "path" | "target"))
    {
        return Err(format!(
            "{path}: a patch uses `{other}`, which the summary does not apply"
        ));
    }
    let docs = match (p.get("patch"), p.get("path")) {
        (Some(J::String(text)), None) => parse_patch(text, path)?,
        (None, Some(J::String(file))) => {
            let at =
                join(dir, file).ok_or_else(|| format!("{path}: `{file}` is outside the output"))?;
            src.objects(&at)?
                .into_iter()
                .map(|o| o.body.as_ref().clone())
                .collect()
        }
        _ => return Err(format!("{path}: a patch needs one of `patch` or `path`")),
    };
    let target = match p.get("target") {
        None => None,
        Some(t) => Some(Target::read(t, path)?),
    };
    for doc in docs {
        match (&doc, &target) {
            (J::Array(ops), Some(t)) => {
                for o in matching(objects, t, path)? {
                    let body = std::sync::Arc::make_mut(&mut o.body);
                    json6902(body, ops).map_err(|e| format!("{path}: {e}"))?;
                }
            }
            (J::Array(_), None) => {
                return Err(format!("{path}: a JSON 6902 patch without a target"));
            }
            (J::Object(m), _) => {
                let own;
                let t = match &target {
                    Some(t) => t,
                    None => {
                        own = Target {
                            kind: m.get("kind").and_then(J::as_str).map(str::to_string),
                            name: m
                                .get("metadata")
                                .and_then(|md| md.get("name"))
                                .and_then(J::as_str)
                                .map(str::to_string),
                        };
                        &own
                    }
                };
                // `$patch: delete` on the whole object removes it.
                if m.get("$patch").and_then(J::as_str) == Some("delete") {
                    let gone: Vec<ObjectId> = matching(objects, t, path)?
                        .into_iter()
                        .map(|o| o.id.clone())
                        .collect();
                    objects.retain(|o| !gone.contains(&o.id));
                    continue;
                }
                for o in matching(objects, t, path)? {
                    if !BUILT_IN_KINDS.contains(&o.id.kind.as_str()) {
                        return Err(format!(
                            "{path}: a strategic merge patch of {}, a kind whose merge rules the summary does not know",
                            o.id
                        ));
                    }
                    let body = std::sync::Arc::make_mut(&mut o.body);
                    let mut patch = doc.clone();
                    // The patch's own identity is not a change.
                    if let Some(pm) = patch.as_object_mut() {
                        pm.shift_remove("apiVersion");
                        pm.shift_remove("kind");
                        if let Some(md) = pm.get_mut("metadata").and_then(J::as_object_mut) {
                            md.shift_remove("name");
                        }
                    }
                    let kind = o.id.kind.clone();
                    merge(body, &patch, &kind, None).map_err(|e| format!("{path}: {e}"))?;
                }
            }
            _ => {
                return Err(format!(
                    "{path}: a patch that is neither a mapping nor a list"
                ))
            }
        }
    }
    Ok(())
}

fn parse_patch(text: &str, path: &str) -> Result<Vec<J>, String> {
    let docs = crate::yaml::parse_stream(text, std::sync::Arc::from(path), &Default::default())
        .map_err(|e| format!("{path}: a patch that is not YAML: {e}"))?;
    Ok(docs
        .iter()
        .filter(|d| !d.is_null())
        .map(crate::yaml::Node::to_json)
        .collect())
}

/// Which objects a patch changes.
struct Target {
    kind: Option<String>,
    name: Option<String>,
}

impl Target {
    fn read(t: &J, path: &str) -> Result<Self, String> {
        let t = t
            .as_object()
            .ok_or_else(|| format!("{path}: a patch target that is not a mapping"))?;
        if let Some(other) = t
            .keys()
            .find(|k| !matches!(k.as_str(), "kind" | "name" | "group" | "version"))
        {
            return Err(format!(
                "{path}: a patch target uses `{other}`, which the summary does not apply"
            ));
        }
        let name = match t.get("name").and_then(J::as_str) {
            None => None,
            Some(n) => Some(literal(n).ok_or_else(|| {
                format!(
                    "{path}: a patch target names objects by a pattern, which the summary does not apply"
                )
            })?),
        };
        Ok(Target {
            kind: t.get("kind").and_then(J::as_str).map(str::to_string),
            name,
        })
    }
}

/// The one name a target's name matches: kustomize reads it as an anchored regular expression,
/// so `app\.conf` is `app.conf`. `None` for a pattern that could match other names (an
/// unescaped `.`, `*`, `[`, …).
fn literal(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => out.push(e),
                _ => return None,
            },
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

fn matching<'a>(
    objects: &'a mut [Object],
    t: &Target,
    path: &str,
) -> Result<Vec<&'a mut Object>, String> {
    let found: Vec<&mut Object> = objects
        .iter_mut()
        .filter(|o| {
            !o.id.is_file()
                && t.kind.as_deref().is_none_or(|k| k == o.id.kind)
                && t.name.as_deref().is_none_or(|n| n == o.id.name)
        })
        .collect();
    if found.is_empty() {
        return Err(format!(
            "{path}: a patch of {}/{}, which is not here",
            t.kind.as_deref().unwrap_or("*"),
            t.name.as_deref().unwrap_or("*")
        ));
    }
    Ok(found)
}

/// The key by which Kubernetes merges the items of the list `field` (its `patchMergeKey`);
/// other lists are replaced whole.
fn merge_key(field: &str, kind: &str, parent: Option<&str>) -> Option<&'static str> {
    if let Some(key) = super::compare::named_by(field) {
        return Some(key);
    }
    match field {
        "topologySpreadConstraints" => Some("topologyKey"),
        "ports" if kind == "Service" && parent == Some("spec") => Some("port"),
        "ports" => Some("containerPort"),
        _ => None,
    }
}

/// A strategic merge of `patch` into `target` (the part of Kubernetes' rules ferry's and
/// kustomize's patches use: maps merged, `null` removes, named lists merged by key,
/// `$patch: delete` / `replace`; any other directive is refused).
fn merge(target: &mut J, patch: &J, kind: &str, field: Option<&str>) -> Result<(), String> {
    let (Some(t), Some(p)) = (target.as_object_mut(), patch.as_object()) else {
        *target = plain(patch)?;
        return Ok(());
    };
    match p.get("$patch").map(|d| d.as_str()) {
        None => {}
        Some(Some("replace")) => {
            let mut p = p.clone();
            p.shift_remove("$patch");
            *target = plain(&J::Object(p))?;
            return Ok(());
        }
        Some(Some("merge")) => {}
        Some(_) => return Err("a `$patch` directive the summary does not apply".into()),
    }
    for (k, v) in p {
        if k == "$patch" {
            continue;
        }
        if k.starts_with('$') {
            return Err(format!(
                "the directive `{k}`, which the summary does not apply"
            ));
        }
        if v.is_null() {
            t.shift_remove(k);
            continue;
        }
        if v.get("$patch").and_then(J::as_str) == Some("delete") {
            t.shift_remove(k);
            continue;
        }
        match (t.get_mut(k), v) {
            (Some(tv @ J::Object(_)), J::Object(_)) => merge(tv, v, kind, Some(k))?,
            (Some(J::Array(items)), J::Array(patch_items)) => match merge_key(k, kind, field) {
                Some(key) => merge_list(items, patch_items, key, kind, k)?,
                None => *items = plain_list(patch_items)?,
            },
            _ => {
                t.insert(k.clone(), plain(v)?);
            }
        }
    }
    Ok(())
}

fn merge_list(
    items: &mut Vec<J>,
    patch_items: &[J],
    key: &str,
    kind: &str,
    field: &str,
) -> Result<(), String> {
    for p in patch_items {
        let id = p
            .get(key)
            .filter(|v| !v.is_null())
            .ok_or_else(|| format!("a `{field}` item without `{key}`"))?;
        let at = items.iter().position(|i| i.get(key) == Some(id));
        let delete = p.get("$patch").and_then(J::as_str) == Some("delete");
        match (at, delete) {
            (Some(i), true) => {
                items.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => merge(&mut items[i], p, kind, Some(field))?,
            (None, false) => items.push(plain(p)?),
        }
    }
    Ok(())
}

/// A patch value inserted as it is: it must hold no directive.
fn plain(v: &J) -> Result<J, String> {
    match v {
        J::Object(m) => {
            if let Some(k) = m.keys().find(|k| k.starts_with('$')) {
                return Err(format!(
                    "the directive `{k}`, which the summary does not apply"
                ));
            }
            Ok(J::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), plain(v)?)))
                    .collect::<Result<_, String>>()?,
            ))
        }
        J::Array(a) => Ok(J::Array(plain_list(a)?)),
        other => Ok(other.clone()),
    }
}

fn plain_list(a: &[J]) -> Result<Vec<J>, String> {
    a.iter().map(plain).collect()
}

/// Apply JSON 6902 operations (`add`, `remove`, `replace`, `test`).
fn json6902(body: &mut J, ops: &[J]) -> Result<(), String> {
    for op in ops {
        let kind = op.get("op").and_then(J::as_str).unwrap_or("");
        let path = op
            .get("path")
            .and_then(J::as_str)
            .ok_or("a JSON 6902 operation without a path")?;
        let tokens: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = tokens
            .split_last()
            .ok_or("a JSON 6902 operation on the whole object")?;
        let mut at = &mut *body;
        for t in parents {
            at = match at {
                J::Object(m) => m.get_mut(t),
                J::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            }
            .ok_or_else(|| format!("the path `{path}` is not in the object"))?;
        }
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("`{kind}` of `{path}` without a value"))
        };
        let missing = || format!("the path `{path}` is not in the object");
        match (kind, at) {
            ("add", J::Object(m)) => {
                m.insert(last.clone(), value()?);
            }
            ("add", J::Array(a)) if last == "-" => a.push(value()?),
            ("add", J::Array(a)) => {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i <= a.len())
                    .ok_or_else(missing)?;
                a.insert(i, value()?);
            }
            ("replace", J::Object(m)) if m.contains_key(last) => {
                m.insert(last.clone(), value()?);
            }
            ("replace", J::Array(a)) => {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < a.len())
                    .ok_or_else(missing)?;
                a[i] = value()?;
            }
            ("remove", J::Object(m)) => {
                m.shift_remove(last).ok_or_else(missing)?;
            }
            ("remove", J::Array(a)) => {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < a.len())
                    .ok_or_else(missing)?;
                a.remove(i);
            }
            ("test", at) => {
                let here = match at {
                    J::Object(m) => m.get(last.as_str()),
                    J::Array(a) => last.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
                if here != Some(&value()?) {
                    // kustomize refuses the whole build then.
                    return Err(format!("the `test` of `{path}` fails"));
                }
            }
            ("add" | "replace" | "remove", _) => return Err(missing()),
            (other, _) => {
                return Err(format!(
                    "the JSON 6902 operation `{other}`, which the summary does not apply"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Files(BTreeMap<&'static str, &'static str>);

    impl Source for Files {
        fn file(&self, path: &str) -> Option<Content<'_>> {
            self.0.get(path).map(|t| Content::Bytes(t.as_bytes()))
        }
        fn objects(&self, path: &str) -> Result<Vec<Object>, String> {
            let text = self.0.get(path).ok_or("missing")?;
            crate::review::parse(path, text.as_bytes())
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: api\n          image: a:1\n          env:\n            - name: LOG_LEVEL\n              value: info\n            - name: TZ\n              value: UTC\n";

    fn files(overlay: &'static str) -> Files {
        Files(BTreeMap::from([
            ("base/kustomization.yaml", "resources:\n  - api-deployment.yaml\nsecretGenerator:\n  - name: api-env\n    files:\n      - TOKEN=secrets/api-env.TOKEN\n"),
            ("base/api-deployment.yaml", DEPLOYMENT),
            ("base/secrets/api-env.TOKEN", "t0k3n"),
            ("overlays/prod/kustomization.yaml", overlay),
        ]))
    }

    #[test]
    fn an_overlay_is_its_base_with_replicas_and_patches() {
        let f = files("resources:\n  - ../../base\nreplicas:\n  - name: api\n    count: 4\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: api\n      spec:\n        template:\n          spec:\n            containers:\n              - name: api\n                image: a:2\n                env:\n                  - name: LOG_LEVEL\n                    value: warn\n                  - name: TZ\n                    $patch: delete\n                  - name: NEW\n                    value: x\n");
        let objects = build(&f, "overlays/prod").unwrap();
        let ids: Vec<String> = objects.iter().map(|o| o.id.to_string()).collect();
        assert_eq!(ids, ["Deployment/api", "Secret/api-env"]);
        let d = &objects[0].body;
        assert_eq!(d["spec"]["replicas"], 4);
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "a:2");
        assert_eq!(
            c["env"],
            serde_json::json!([{"name": "LOG_LEVEL", "value": "warn"}, {"name": "NEW", "value": "x"}])
        );
        // The secret's data is a digest of its file, never the file.
        let s = objects[1].body.to_string();
        assert!(!s.contains("t0k3n") && s.contains("TOKEN"), "{s}");
    }

    #[test]
    fn a_delete_patch_removes_the_object() {
        let f = files("resources:\n  - ../../base\npatches:\n  - patch: |\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: api-env\n      $patch: delete\n");
        let ids: Vec<String> = build(&f, "overlays/prod")
            .unwrap()
            .iter()
            .map(|o| o.id.to_string())
            .collect();
        assert_eq!(ids, ["Deployment/api"]);
    }

    #[test]
    fn json_6902_patches_and_namespaces() {
        let f = files("resources:\n  - ../../base\nnamespace: prod\npatches:\n  - target:\n      kind: Deployment\n      name: api\n    patch: |\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: a:3\n");
        let objects = build(&f, "overlays/prod").unwrap();
        let d = &objects[0].body;
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["image"],
            "a:3"
        );
        assert_eq!(d["metadata"]["namespace"], "prod");
    }

    /// What ferry's environments write: JSON patches in files with a `test` before each named
    /// item, targets whose names are escaped patterns, generators that replace the base's.
    #[test]
    fn environment_overlays_as_ferry_writes_them() {
        let mut f = files("resources:\n  - ../../base\nsecretGenerator:\n  - name: api-env\n    behavior: replace\n    files:\n      - TOKEN=secrets/api-env.TOKEN\n    options:\n      labels:\n        env: prod\npatches:\n  - path: patches/api-deployment.yaml\n    target:\n      group: apps\n      version: v1\n      kind: Deployment\n      name: api\n");
        f.0.insert("overlays/prod/secrets/api-env.TOKEN", "prod-token");
        f.0.insert("overlays/prod/patches/api-deployment.yaml", "# a comment\n- op: test\n  path: /spec/template/spec/containers/0/env/0/name\n  value: LOG_LEVEL\n- op: replace\n  path: /spec/template/spec/containers/0/env/0/value\n  value: warn\n");
        let objects = build(&f, "overlays/prod").unwrap();
        let env = &objects[0].body["spec"]["template"]["spec"]["containers"][0]["env"][0];
        assert_eq!(env["value"], "warn");
        let base = build(&f, "base").unwrap();
        assert_ne!(objects[1].body["data"], base[1].body["data"]);
        assert_eq!(objects[1].body["metadata"]["labels"]["env"], "prod");
        // A test that fails stops the build, as it stops kustomize.
        f.0.insert(
            "overlays/prod/patches/api-deployment.yaml",
            "- op: test\n  path: /spec/template/spec/containers/0/env/0/name\n  value: TZ\n",
        );
        assert!(build(&f, "overlays/prod").unwrap_err().contains("`test`"));
        assert_eq!(literal("app\\.conf").as_deref(), Some("app.conf"));
        assert_eq!(literal("app.conf"), None);
        assert_eq!(literal("api"), Some("api".into()));
    }

    #[test]
    fn what_is_not_applied_is_refused_with_the_reason() {
        for (overlay, why) in [
            ("resources:\n  - ../../base\ncommonLabels:\n  a: b\n", "uses `commonLabels`"),
            ("resources:\n  - ../../base\n  - https://example.com/x.yaml\n", "is not in the output"),
            ("resources:\n  - ../../../x\n", "outside the output"),
            ("resources:\n  - ../../base\npatches:\n  - patch: |\n      kind: Deployment\n      metadata:\n        name: api\n      spec:\n        $retainKeys: [replicas]\n", "$retainKeys"),
            ("resources:\n  - ../../base\npatches:\n  - target:\n      name: api.*\n    patch: |\n      - op: remove\n        path: /spec/replicas\n", "pattern"),
            ("resources:\n  - ../../base\nreplicas:\n  - name: nope\n    count: 2\n", "not a workload"),
        ] {
            let e = build(&files(overlay), "overlays/prod").unwrap_err();
            assert!(e.contains(why), "{overlay}: {e}");
        }
    }

    #[test]
    fn paths_are_joined_inside_the_output() {
        assert_eq!(join("overlays/prod", "../../base").as_deref(), Some("base"));
        assert_eq!(join("", "./a/b.yaml").as_deref(), Some("a/b.yaml"));
        assert_eq!(join("base", "../../x"), None);
    }
}
