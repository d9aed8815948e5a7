//! Compare two sets of Kubernetes objects, object by object and field by field.
//!
//! [`compare`] takes the objects of one environment before and after a change (and the
//! environment's label) and says which objects are new, which are removed, and which fields of
//! the others changed. Objects are matched by kind and name, never by file or position. Lists
//! whose items are named (containers, env, ports, volumes, volumeMounts, …; see [`item_key`]) are
//! compared item by item by that name, so a variable that moves is no change and one that is
//! renamed is one removed and one added. Other lists are compared whole.
//!
//! Secret material never leaves: the values of a Secret's data (and of anything in it but its
//! `apiVersion`, `kind`, `metadata`, `type` and `immutable`), the last-applied annotation, the
//! value of a variable with a sensitive name, and a URL with a password are *hidden*: the change
//! says that the field changed, never what it holds ([`FieldChange::hidden`]).

// A Secret shows the same top-level keys here as in diffs.
use crate::output::redact::{LAST_APPLIED, VISIBLE_KEYS as SECRET_VISIBLE_KEYS};
use serde_json::{Map, Value as J};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// An object's identity: its kind and name. A YAML document that is not an object (a Helm
/// chart's `values.yaml`, a file that does not parse) is named by its path, with no kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    /// Empty for a file that holds no object.
    pub kind: String,
    /// The object's name, or the file's path.
    pub name: String,
}

impl ObjectId {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectId {
            kind: kind.into(),
            name: name.into(),
        }
    }

    /// A file that is not an object.
    pub fn file(path: impl Into<String>) -> Self {
        ObjectId::new("", path)
    }

    pub fn is_file(&self) -> bool {
        self.kind.is_empty()
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_file() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.kind, self.name)
        }
    }
}

/// One object (or one document that is not an object) to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub id: ObjectId,
    /// The whole document; shared, since the objects of files that did not change are the same
    /// on both sides.
    pub body: Arc<J>,
}

/// The kind of [`Object::unread`].
const UNREAD: &str = "\0unread";

impl Object {
    /// A file that is the same on both sides and was not read: it stands for its objects, and
    /// is equal to itself (see `kustomize::build_lazily`).
    pub fn unread(path: &str) -> Self {
        Object {
            id: ObjectId::new(UNREAD, path),
            body: Arc::new(J::Null),
        }
    }

    /// Whether this is an [`Object::unread`].
    pub fn is_unread(&self) -> bool {
        self.id.kind == UNREAD
    }

    /// The object a YAML document holds: named by its `kind` and `metadata.name`, or by `path`
    /// (and its index in the file, after the first) when it has neither.
    pub fn from_document(body: J, path: &str, index: usize) -> Self {
        let kind = body.get("kind").and_then(J::as_str);
        let name = body
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(J::as_str);
        let id = match (kind, name) {
            (Some(k), Some(n)) if !k.is_empty() => ObjectId::new(k, n),
            _ if index == 0 => ObjectId::file(path),
            _ => ObjectId::file(format!("{path}#{}", index + 1)),
        };
        Object {
            id,
            body: Arc::new(body),
        }
    }
}

/// What happened to an object or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// One step of a field's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A named item of a list (see [`item_key`]): its name.
    Item(String),
    /// An item of a list compared by position (only inside a list compared whole, which is
    /// never stepped into; kept for completeness of paths).
    Index(usize),
}

/// A field's path from the object's root, e.g. `spec.template.spec.containers[web].image`.
pub type Path = Vec<Step>;

/// A path as text: keys joined by `.` (a key with other characters than letters, digits, `_`
/// and `-` is quoted: `labels["app.kubernetes.io/name"]`), named items in brackets.
pub fn path_text(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if plain_key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Key(k) => {
                out.push('[');
                out.push_str(&serde_json::to_string(k).expect("a string serialises"));
                out.push(']');
            }
            Step::Item(name) => {
                out.push('[');
                if name.contains([']', '"']) || name.is_empty() {
                    out.push_str(&serde_json::to_string(name).expect("a string serialises"));
                } else {
                    out.push_str(name);
                }
                out.push(']');
            }
            Step::Index(i) => {
                out.push_str(&format!("[{i}]"));
            }
        }
    }
    out
}

fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One field that changed.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// From the object's root.
    pub path: Path,
    /// The path as a reviewer reads it: a workload's pod template and, when the pod has one
    /// container, the container left out (`image`, `env`, `replicas`, `ports`); for an item
    /// added to or removed from a named list, the list (`env`, with the item in [`Self::item`]).
    pub field: String,
    pub change: Change,
    /// The value before (none when added or hidden). Composite values have their hidden parts
    /// replaced by [`HIDDEN`].
    pub old: Option<J>,
    /// The value after (none when removed or hidden).
    pub new: Option<J>,
    /// For an item added to or removed from a named list: its name.
    pub item: Option<String>,
    /// The values are secret material and are not given.
    pub hidden: bool,
}

/// What a hidden value inside a shown one is replaced with.
pub const HIDDEN: &str = "(hidden)";

/// What changed in one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    pub id: ObjectId,
    pub change: Change,
    /// The fields that changed (empty for an object added or removed).
    pub fields: Vec<FieldChange>,
}

/// The changes of one environment: the base (no label) or an overlay.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvChanges {
    /// `None` for the base, else the overlay's name.
    pub label: Option<String>,
    pub objects: Vec<ObjectChange>,
    /// Why this environment's objects could not be compared (they are not then listed).
    pub not_compared: Option<String>,
    /// The environment itself is new or removed (its objects are not then listed), with how
    /// many objects it has.
    pub whole: Option<(Change, usize)>,
}

/// One environment's objects before and after, to be compared ([`compare_all`]).
#[derive(Debug, Clone)]
pub struct Environment {
    /// `None` for the base, else the overlay's name.
    pub label: Option<String>,
    /// The objects as they are (on disk): `None` when the environment is not there, an error
    /// when its objects cannot be had (why).
    pub old: Option<Result<Vec<Object>, String>>,
    /// The objects as they would be.
    pub new: Option<Result<Vec<Object>, String>>,
}

/// Compare each environment ([`compare`]). One that cannot be built says why; one that is
/// only on one side is new or removed as a whole.
pub fn compare_all(envs: &[Environment]) -> Vec<EnvChanges> {
    envs.iter()
        .filter_map(|env| {
            let label = env.label.clone();
            let unbuilt = |why: &String| EnvChanges {
                label: label.clone(),
                not_compared: Some(why.clone()),
                ..EnvChanges::default()
            };
            let whole = |change, count| EnvChanges {
                label: label.clone(),
                whole: Some((change, count)),
                ..EnvChanges::default()
            };
            Some(match (&env.old, &env.new) {
                (None, None) => return None,
                (Some(Err(why)), _) | (_, Some(Err(why))) => unbuilt(why),
                (Some(Ok(old)), Some(Ok(new))) => compare(env.label.as_deref(), old, new),
                (None, Some(Ok(new))) => whole(Change::Added, new.len()),
                (Some(Ok(old)), None) => whole(Change::Removed, old.len()),
            })
        })
        .collect()
}

/// Compare the objects of one environment before (`old`) and after (`new`). Objects are in the
/// order of `new`, then those removed in the order of `old`; fields in the order of the new
/// object, then those removed.
pub fn compare(label: Option<&str>, old: &[Object], new: &[Object]) -> EnvChanges {
    let old_by_id: HashMap<&ObjectId, &Object> = old.iter().map(|o| (&o.id, o)).collect();
    let new_ids: HashSet<&ObjectId> = new.iter().map(|o| &o.id).collect();
    let mut objects = Vec::new();
    for n in new {
        match old_by_id.get(&n.id) {
            None => objects.push(ObjectChange {
                id: n.id.clone(),
                change: Change::Added,
                fields: Vec::new(),
            }),
            Some(o) if Arc::ptr_eq(&o.body, &n.body) || o.body == n.body => {}
            Some(o) => {
                let fields = compare_object(&n.id, &o.body, &n.body);
                if !fields.is_empty() {
                    objects.push(ObjectChange {
                        id: n.id.clone(),
                        change: Change::Changed,
                        fields,
                    });
                }
            }
        }
    }
    for o in old {
        if !new_ids.contains(&o.id) {
            objects.push(ObjectChange {
                id: o.id.clone(),
                change: Change::Removed,
                fields: Vec::new(),
            });
        }
    }
    EnvChanges {
        label: label.map(str::to_string),
        objects,
        ..EnvChanges::default()
    }
}

/// What the comparison of one object needs to know about it.
struct Context<'a> {
    kind: &'a str,
    /// The object is or holds a Secret: only its visible keys are shown.
    secret: bool,
    /// The pod's only container, when it has one before and after.
    single_container: Option<String>,
}

fn compare_object(id: &ObjectId, old: &J, new: &J) -> Vec<FieldChange> {
    let secret = id.kind == "Secret" || mentions_secret(old) || mentions_secret(new);
    let single_container = match (only_container(&id.kind, old), only_container(&id.kind, new)) {
        (Some(a), Some(b)) if a == b => Some(a),
        _ => None,
    };
    let cx = Context {
        kind: &id.kind,
        secret,
        single_container,
    };
    let (old, new) = if secret {
        (secret_with_data(old, new), secret_with_data(new, old))
    } else {
        (old.clone(), new.clone())
    };
    let mut out = Vec::new();
    diff(&cx, &mut Vec::new(), &old, &new, &mut out);
    out
}

/// A Secret's `data` and `stringData` compared key by key even when one side has none, so that
/// a whole map added or removed is never shown as one value.
fn secret_with_data(this: &J, other: &J) -> J {
    let mut this = this.clone();
    if let (Some(map), Some(other)) = (this.as_object_mut(), other.as_object()) {
        for key in ["data", "stringData"] {
            if other.get(key).is_some_and(J::is_object) && !map.contains_key(key) {
                map.insert(key.to_string(), J::Object(Map::new()));
            }
        }
    }
    this
}

/// A `kind: Secret` anywhere inside (a `List` of Secrets).
fn mentions_secret(v: &J) -> bool {
    match v {
        J::Object(m) => m.iter().any(|(k, v)| {
            (k == "kind" && v.as_str() == Some("Secret")) || (k != "kind" && mentions_secret(v))
        }),
        J::Array(a) => a.iter().any(mentions_secret),
        _ => false,
    }
}

/// Where a workload's pod spec sits.
fn pod_spec_prefix(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Pod" => &["spec"],
        _ => &[],
    }
}

/// The name of a pod's only container.
fn only_container(kind: &str, body: &J) -> Option<String> {
    let prefix = pod_spec_prefix(kind);
    if prefix.is_empty() {
        return None;
    }
    let mut v = body;
    for k in prefix {
        v = v.get(k)?;
    }
    match v.get("containers")?.as_array()?.as_slice() {
        [only] => Some(only.get("name")?.as_str()?.to_string()),
        _ => None,
    }
}

fn diff(cx: &Context<'_>, path: &mut Path, old: &J, new: &J, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (J::Object(a), J::Object(b)) => {
            for (k, nv) in b {
                path.push(Step::Key(k.clone()));
                match a.get(k) {
                    Some(ov) => diff(cx, path, ov, nv, out),
                    None if named_list(path, nv) => diff(cx, path, &J::Array(Vec::new()), nv, out),
                    None => out.push(change(cx, path, Change::Added, None, Some(nv))),
                }
                path.pop();
            }
            for (k, ov) in a {
                if !b.contains_key(k) {
                    path.push(Step::Key(k.clone()));
                    if named_list(path, ov) {
                        diff(cx, path, ov, &J::Array(Vec::new()), out);
                    } else {
                        out.push(change(cx, path, Change::Removed, Some(ov), None));
                    }
                    path.pop();
                }
            }
        }
        (J::Array(a), J::Array(b)) => match (keyed(path, a), keyed(path, b)) {
            (Some(ka), Some(kb)) => {
                let old_items: HashMap<&str, &J> =
                    ka.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                let new_names: HashSet<&str> = kb.iter().map(|(k, _)| k.as_str()).collect();
                for (k, nv) in &kb {
                    path.push(Step::Item(k.clone()));
                    match old_items.get(k.as_str()) {
                        Some(ov) => diff(cx, path, ov, nv, out),
                        None => out.push(change(cx, path, Change::Added, None, Some(nv))),
                    }
                    path.pop();
                }
                for (k, ov) in &ka {
                    if !new_names.contains(k.as_str()) {
                        path.push(Step::Item(k.clone()));
                        out.push(change(cx, path, Change::Removed, Some(ov), None));
                        path.pop();
                    }
                }
            }
            _ => out.push(change(cx, path, Change::Changed, Some(old), Some(new))),
        },
        _ => out.push(change(cx, path, Change::Changed, Some(old), Some(new))),
    }
}

/// A named list (a whole one added or removed is told item by item).
fn named_list(path: &[Step], v: &J) -> bool {
    matches!(v, J::Array(items) if !items.is_empty() && keyed(path, items).is_some())
}

/// The items of a named list with their names, when every item has a name and no two share
/// one; `None` for a list compared whole.
fn keyed<'a>(path: &[Step], items: &'a [J]) -> Option<Vec<(String, &'a J)>> {
    let Some(Step::Key(field)) = path.last() else {
        return None;
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let k = item_key(field, item)?;
        if !seen.insert(k.clone()) {
            return None;
        }
        out.push((k, item));
    }
    Some(out)
}

/// The one field that names every item of the list `field`, for the lists Kubernetes merges by
/// a field of their items (their `patchMergeKey`): containers, env, volumes and the like by
/// `name`, volume mounts by `mountPath`, devices by `devicePath`, host aliases by `ip`.
pub(crate) fn named_by(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        _ => None,
    }
}

/// The name of an item of the list `field`, for the lists Kubernetes merges by a key (its
/// `patchMergeKey`): containers, env, volumes and the like by `name`, volume mounts by
/// `mountPath`, ports by number and protocol (`9000/TCP`), `envFrom` by its source
/// (`ConfigMap/web-env`), host aliases by address, Ingress paths by path.
pub fn item_key(field: &str, item: &J) -> Option<String> {
    let s = |k: &str| item.get(k).and_then(J::as_str).map(str::to_string);
    if let Some(key) = named_by(field) {
        return s(key);
    }
    match field {
        "volumeClaimTemplates" => match item.get("metadata") {
            Some(m) => m.get("name")?.as_str().map(str::to_string),
            None => s("name"),
        },
        "ports" => {
            let port = item
                .get("containerPort")
                .or_else(|| item.get("port"))
                .and_then(J::as_i64)?;
            let protocol = item.get("protocol").and_then(J::as_str).unwrap_or("TCP");
            Some(format!("{port}/{protocol}"))
        }
        "envFrom" => {
            let prefix = item.get("prefix").and_then(J::as_str).unwrap_or("");
            let source = if let Some(c) = item.get("configMapRef") {
                format!("ConfigMap/{}", c.get("name")?.as_str()?)
            } else {
                format!("Secret/{}", item.get("secretRef")?.get("name")?.as_str()?)
            };
            Some(if prefix.is_empty() {
                source
            } else {
                format!("{source} ({prefix}*)")
            })
        }
        "paths" => s("path"),
        "items" => s("key"),
        _ => None,
    }
}

/// One field change, with its reviewer's label and its values (hidden ones left out).
fn change(
    cx: &Context<'_>,
    path: &Path,
    what: Change,
    old: Option<&J>,
    new: Option<&J>,
) -> FieldChange {
    let hidden = hides(cx, path) || [old, new].into_iter().flatten().any(url_with_password);
    let shown = |v: Option<&J>| match v {
        Some(v) if !hidden => Some(reveal(cx, &mut path.clone(), v)),
        _ => None,
    };
    let item = match (path.last(), what) {
        (Some(Step::Item(name)), Change::Added | Change::Removed) => Some(name.clone()),
        _ => None,
    };
    FieldChange {
        path: path.clone(),
        field: field_label(cx, path, item.is_some()),
        change: what,
        old: shown(old),
        new: shown(new),
        item,
        hidden,
    }
}

/// Whether the value at `path` is secret material.
fn hides(cx: &Context<'_>, path: &[Step]) -> bool {
    if cx.secret {
        match path.first() {
            Some(Step::Key(k)) if SECRET_VISIBLE_KEYS.contains(&k.as_str()) => {}
            _ => return true,
        }
    }
    path.iter()
        .any(|s| matches!(s, Step::Key(k) if k == LAST_APPLIED))
        || sensitive_variable(path)
}

/// The value of a variable with a sensitive name (`env[DB_PASSWORD].value`), or the whole item.
fn sensitive_variable(path: &[Step]) -> bool {
    path.windows(2).enumerate().any(|(i, w)| match w {
        [Step::Key(list), Step::Item(name)] if list == "env" => {
            crate::translate::envsecrets::sensitive_name(name)
                && match &path[i + 2..] {
                    [] => false,
                    [Step::Key(k), ..] => k == "value",
                    _ => false,
                }
        }
        _ => false,
    })
}

/// A string holding a URL with a user and password (`postgres://app:pw@db/app`).
fn url_with_password(v: &J) -> bool {
    match v {
        J::String(s) => crate::translate::envsecrets::has_url_password(s),
        _ => false,
    }
}

/// `v` (at `path`) with every hidden value inside replaced by [`HIDDEN`].
fn reveal(cx: &Context<'_>, path: &mut Path, v: &J) -> J {
    if hides(cx, path) || url_with_password(v) {
        return J::String(HIDDEN.into());
    }
    match v {
        J::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    path.push(Step::Key(k.clone()));
                    let shown = reveal(cx, path, v);
                    path.pop();
                    (k.clone(), shown)
                })
                .collect(),
        ),
        J::Array(items) => {
            let Some(Step::Key(field)) = path.last().cloned() else {
                return J::Array(items.iter().map(|v| reveal_index(cx, path, v)).collect());
            };
            J::Array(
                items
                    .iter()
                    .map(|v| match item_key(&field, v) {
                        Some(k) => {
                            path.push(Step::Item(k));
                            let shown = reveal(cx, path, v);
                            path.pop();
                            shown
                        }
                        None => reveal_index(cx, path, v),
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

fn reveal_index(cx: &Context<'_>, path: &mut Path, v: &J) -> J {
    path.push(Step::Index(0));
    let shown = reveal(cx, path, v);
    path.pop();
    shown
}

/// The path as a reviewer reads it (see [`FieldChange::field`]).
fn field_label(cx: &Context<'_>, path: &[Step], item: bool) -> String {
    let mut rest = path;
    let prefix = pod_spec_prefix(cx.kind);
    let in_pod = !prefix.is_empty()
        && rest.len() > prefix.len()
        && prefix
            .iter()
            .zip(rest)
            .all(|(p, s)| matches!(s, Step::Key(k) if k == p));
    if in_pod {
        rest = &rest[prefix.len()..];
        if let (Some(only), [Step::Key(c), Step::Item(name), more @ ..]) =
            (&cx.single_container, rest)
        {
            if c == "containers" && name == only && !more.is_empty() {
                rest = more;
            }
        }
    } else if let [Step::Key(k), more @ ..] = rest {
        if k == "spec" && !more.is_empty() {
            rest = more;
        }
    }
    if item {
        rest = &rest[..rest.len() - 1];
    }
    // A variable's value: `env[LOG_LEVEL]`.
    if let [.., Step::Key(list), Step::Item(_), Step::Key(value)] = rest {
        if list == "env" && value == "value" {
            rest = &rest[..rest.len() - 1];
        }
    }
    path_text(rest)
}

/// Every environment's changes merged into rows: one per distinct change, with the
/// environments it is seen in, in the order first seen (the base first).
pub fn rows(envs: &[EnvChanges]) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut index: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for env in envs {
        for obj in &env.objects {
            let entries: Vec<Option<&FieldChange>> = if obj.fields.is_empty() {
                vec![None]
            } else {
                obj.fields.iter().map(Some).collect()
            };
            for field in entries {
                let key = (
                    obj.id.to_string(),
                    field.map(|f| f.field.clone()).unwrap_or_default(),
                );
                let same = index.get(&key).and_then(|at| {
                    at.iter().copied().find(|&i| {
                        rows[i].object == &obj.id
                            && rows[i].change == obj.change
                            && rows[i].field == field
                    })
                });
                match same {
                    Some(i) => rows[i].environments.push(env.label.as_deref()),
                    None => {
                        index.entry(key).or_default().push(rows.len());
                        rows.push(Row {
                            object: &obj.id,
                            change: obj.change,
                            field,
                            environments: vec![env.label.as_deref()],
                        });
                    }
                }
            }
        }
    }
    rows
}

/// One line of a summary: an object added or removed, or one field of it changed, and the
/// environments where it is so.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub object: &'a ObjectId,
    /// The object's change.
    pub change: Change,
    /// The field, for a changed object.
    pub field: Option<&'a FieldChange>,
    /// `None` is the base.
    pub environments: Vec<Option<&'a str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: J) -> Object {
        Object::from_document(v, "x.yaml", 0)
    }

    fn deployment(env: J) -> J {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": "web", "image": "example/web:1.4", "env": env}
            ]}}}
        })
    }

    fn one(old: J, new: J) -> Vec<FieldChange> {
        let c = compare(None, &[obj(old)], &[obj(new)]);
        assert!(c.objects.len() <= 1, "{c:?}");
        c.objects.into_iter().flat_map(|o| o.fields).collect()
    }

    fn summary(fields: &[FieldChange]) -> Vec<String> {
        fields
            .iter()
            .map(|f| {
                format!(
                    "{} {:?} {:?} {} {} {}",
                    f.field,
                    f.change,
                    f.item,
                    f.old.as_ref().map(J::to_string).unwrap_or_default(),
                    f.new.as_ref().map(J::to_string).unwrap_or_default(),
                    if f.hidden { "hidden" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn a_variable_that_moves_is_no_change() {
        let a = deployment(json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]));
        let b = deployment(json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]));
        assert_eq!(one(a, b), []);
    }

    #[test]
    fn a_renamed_variable_is_one_removed_and_one_added() {
        let a = deployment(json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]));
        let b = deployment(json!([{"name": "A", "value": "1"}, {"name": "C", "value": "2"}]));
        let f = one(a, b);
        assert_eq!(
            summary(&f),
            [
                "env Added Some(\"C\")  {\"name\":\"C\",\"value\":\"2\"} ",
                "env Removed Some(\"B\") {\"name\":\"B\",\"value\":\"2\"}  ",
            ]
        );
        assert_eq!(
            path_text(&f[0].path),
            "spec.template.spec.containers[web].env[C]"
        );
    }

    #[test]
    fn a_changed_value_names_the_variable_and_the_image_its_field() {
        let a = deployment(json!([{"name": "LOG_LEVEL", "value": "info"}]));
        let mut b = deployment(json!([{"name": "LOG_LEVEL", "value": "warn"}]));
        b["spec"]["template"]["spec"]["containers"][0]["image"] = json!("example/web:1.5");
        b["spec"]["replicas"] = json!(3);
        assert_eq!(
            summary(&one(a, b)),
            [
                "replicas Changed None 1 3 ",
                "image Changed None \"example/web:1.4\" \"example/web:1.5\" ",
                "env[LOG_LEVEL] Changed None \"info\" \"warn\" ",
            ]
        );
    }

    #[test]
    fn with_two_containers_the_container_is_named() {
        let mut a = deployment(json!([]));
        a["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "side", "image": "busybox"}));
        let mut b = a.clone();
        b["spec"]["template"]["spec"]["containers"][1]["image"] = json!("busybox:1.36");
        assert_eq!(
            summary(&one(a, b)),
            ["containers[side].image Changed None \"busybox\" \"busybox:1.36\" "]
        );
    }

    #[test]
    fn ports_are_matched_by_number_and_protocol() {
        let svc = |ports: J| {
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"ports": ports}})
        };
        let a = svc(json!([{"name": "tcp-80", "port": 80}, {"name": "tcp-9000", "port": 9000}]));
        let b = svc(json!([{"name": "tcp-80", "port": 80, "targetPort": 8080}]));
        assert_eq!(
            summary(&one(a, b)),
            [
                "ports[80/TCP].targetPort Added None  8080 ",
                "ports Removed Some(\"9000/TCP\") {\"name\":\"tcp-9000\",\"port\":9000}  ",
            ]
        );
    }

    #[test]
    fn secret_values_are_never_given() {
        let s = |data: J| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-env"},
                   "type": "Opaque", "data": data})
        };
        let a = s(json!({"PASSWORD": "b2xk", "USER": "dXNlcg=="}));
        let b = s(json!({"PASSWORD": "bmV3", "TOKEN": "dG9r"}));
        let f = one(a.clone(), b);
        assert_eq!(
            summary(&f),
            [
                "data.PASSWORD Changed None   hidden",
                "data.TOKEN Added None   hidden",
                "data.USER Removed None   hidden",
            ]
        );
        // A whole data map added is compared key by key, never shown as one value.
        let mut none = a.clone();
        none.as_object_mut().unwrap().remove("data");
        let f = one(none, a);
        assert_eq!(
            summary(&f),
            [
                "data.PASSWORD Added None   hidden",
                "data.USER Added None   hidden",
            ]
        );
        // A List holding a Secret hides everything but its visible keys.
        let list = |v: &str| {
            json!({"apiVersion": "v1", "kind": "List", "metadata": {"name": "l"},
                   "items": [{"kind": "Secret", "data": {"k": v}}]})
        };
        let f = one(list("b2xk"), list("bmV3"));
        assert!(f.iter().all(|f| f.hidden && f.old.is_none()), "{f:?}");
    }

    #[test]
    fn sensitive_variables_and_urls_with_passwords_are_hidden() {
        let a = deployment(json!([
            {"name": "DB_PASSWORD", "value": "pw-one"},
            {"name": "URL", "value": "postgres://app:pw-one@db/app"},
        ]));
        let b = deployment(json!([
            {"name": "DB_PASSWORD", "value": "pw-two"},
            {"name": "URL", "value": "postgres://app:pw-two@db/app"},
            {"name": "API_TOKEN", "value": "t0k3n"},
        ]));
        let f = one(a, b);
        let text = format!("{f:?}");
        for secret in ["pw-one", "pw-two", "t0k3n"] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert_eq!(
            summary(&f),
            [
                "env[DB_PASSWORD] Changed None   hidden",
                "env[URL] Changed None   hidden",
                "env Added Some(\"API_TOKEN\")  {\"name\":\"API_TOKEN\",\"value\":\"(hidden)\"} ",
            ]
        );
    }

    #[test]
    fn objects_are_matched_by_kind_and_name() {
        let cm = |name: &str, v: &str| {
            obj(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                       "data": {"k": v}}),
            )
        };
        let c = compare(
            Some("prod"),
            &[cm("a", "1"), cm("b", "1")],
            &[cm("c", "1"), cm("a", "1")],
        );
        let got: Vec<(String, Change)> = c
            .objects
            .iter()
            .map(|o| (o.id.to_string(), o.change))
            .collect();
        assert_eq!(
            got,
            [
                ("ConfigMap/c".to_string(), Change::Added),
                ("ConfigMap/b".to_string(), Change::Removed)
            ]
        );
        assert_eq!(c.label.as_deref(), Some("prod"));
    }

    #[test]
    fn paths_quote_keys_with_dots() {
        let p = vec![
            Step::Key("metadata".into()),
            Step::Key("labels".into()),
            Step::Key("app.kubernetes.io/name".into()),
        ];
        assert_eq!(path_text(&p), "metadata.labels[\"app.kubernetes.io/name\"]");
    }

    #[test]
    fn rows_merge_the_same_change_across_environments() {
        let a = deployment(json!([]));
        let mut b = a.clone();
        b["spec"]["replicas"] = json!(2);
        let base = compare(None, &[obj(a.clone())], &[obj(b.clone())]);
        let dev = compare(Some("dev"), &[obj(a.clone())], &[obj(b.clone())]);
        let mut c = b.clone();
        c["spec"]["replicas"] = json!(4);
        let mut a4 = a.clone();
        a4["spec"]["replicas"] = json!(3);
        let prod = compare(Some("prod"), &[obj(a4)], &[obj(c)]);
        let envs = [base, dev, prod];
        let rows = rows(&envs);
        let got: Vec<(String, Vec<Option<&str>>)> = rows
            .iter()
            .map(|r| {
                let f = r.field.unwrap();
                (
                    format!("{} {} {}", r.object, f.field, f.new.as_ref().unwrap()),
                    r.environments.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Deployment/web replicas 2".to_string(),
                    vec![None, Some("dev")]
                ),
                ("Deployment/web replicas 4".to_string(), vec![Some("prod")]),
            ]
        );
    }
}
