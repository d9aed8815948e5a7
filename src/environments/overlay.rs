//! An environment's overlay: the difference of two conversions, the base's and the
//! environment's, read from what each rendered.
//!
//! Per object (by kind, namespace and name):
//! - one only the environment has is a resource of the overlay, its file as rendered;
//! - one that differs gets a JSON patch holding only what changed ([`crate::patch`]);
//! - one only the base has is deleted (`$patch: delete`).
//!
//! Each patch is a file of `patches/`, named as the object's file in the base; a deletion is a
//! few lines inline in the kustomization.
//!
//! Secrets made by kustomize's `secretGenerator` are compared by what their values are made
//! from ([`SecretGenerator::recipe`]), never by the values, so that the overlay is the same on a
//! machine without `.env` or the secret files (CI): the overlay makes a generator of its own
//! (`behavior: replace`, or a new one) when the recipe differs, or when the environment reads
//! env files of its own and a value comes from the environment. Its files go to the overlay's
//! own git-ignored `secrets/`.

use crate::error::{Error, Result};
use crate::patch;
use crate::render::{SealedFile, Tree};
use crate::translate::{SecretGenerator, SECRETS_DIR};
use crate::yaml;
use serde_json::{json, Map, Value as J};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One side of the comparison: what a conversion rendered.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub tree: &'a Tree,
    /// The tree's objects, parsed once ([`objects`]).
    pub objects: &'a Objects,
    pub generators: &'a [SecretGenerator],
    /// The kustomization's `namespace`.
    pub namespace: Option<&'a str>,
}

/// The overlay's files (relative to its directory) and its kustomization (everything but the
/// header and apiVersion/kind, in the order written).
#[derive(Debug, Default)]
pub struct Overlay {
    pub kustomization: Map<String, J>,
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files holding secret material (never shown).
    pub sensitive: BTreeSet<String>,
    /// Secrets the output stage encrypts with SOPS (`--env-secrets sops`), paths relative to
    /// the overlay.
    pub sealed: Vec<SealedFile>,
    /// What the overlay does, object by object, for the report.
    pub changes: Vec<Change>,
}

/// What an overlay does to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new object (kind, name).
    Added(String, String),
    /// A patched object, with the operations that change it.
    Patched(String, String, Vec<patch::Op>),
    /// A deleted object.
    Deleted(String, String),
    /// A Secret made by the overlay's own generator from the environment's values: a new one, or
    /// one that replaces the base's.
    Generated(String, bool),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added(kind, name) => write!(f, "+ {kind}/{name}"),
            Change::Patched(kind, name, _) => write!(f, "~ {kind}/{name}"),
            Change::Deleted(kind, name) => write!(f, "− {kind}/{name}"),
            Change::Generated(name, true) => write!(f, "~ Secret/{name} (its own values)"),
            Change::Generated(name, false) => write!(f, "+ Secret/{name}"),
        }
    }
}

/// Where an object is, and what it is.
#[derive(Debug, Clone)]
pub struct Object {
    /// The file that holds it.
    pub path: String,
    pub value: J,
}

/// kind, namespace, name.
pub type Id = (String, String, String);

/// A tree's objects by kind, namespace and name.
pub type Objects = BTreeMap<Id, Object>;

/// The objects of both sides, and the Secrets the overlay's own generators make (which the
/// objects' comparison leaves alone).
struct Compared<'a> {
    base: &'a Objects,
    env: &'a Objects,
    secrets: BTreeSet<Id>,
}

fn id(v: &J) -> Option<Id> {
    let s = |p: &str| v.pointer(p).and_then(J::as_str).map(str::to_string);
    Some((
        s("/kind")?,
        s("/metadata/namespace").unwrap_or_default(),
        s("/metadata/name")?,
    ))
}

/// Every object a tree renders: each YAML file but the kustomization and secret material.
pub fn objects(tree: &Tree) -> Result<Objects> {
    let mut out = BTreeMap::new();
    for (path, bytes) in &tree.files {
        if tree.sensitive.contains(path)
            || !path.ends_with(".yaml")
            || path == crate::render::KUSTOMIZATION
        {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        let docs = yaml::parse_stream(&text, Arc::from(path.as_str()), &yaml::Limits::default())?;
        for doc in docs.iter().filter(|d| !d.is_null()) {
            let value = doc.to_json();
            if let Some(id) = id(&value) {
                out.insert(
                    id,
                    Object {
                        path: path.clone(),
                        value,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// The overlay that turns `base` into `env`. `own_env`: the environment reads env files of its
/// own. `header` starts every file the overlay writes.
pub fn difference(base: Side<'_>, env: Side<'_>, own_env: bool, header: &str) -> Result<Overlay> {
    if base.namespace.is_some() && env.namespace != base.namespace {
        return Err(Error::Usage(format!(
            "the environment puts the objects in {} while the base puts them in namespace `{}`; an overlay can move objects into a namespace but not out of one: give the base no namespace, or every environment the same",
            env.namespace
                .map(|n| format!("namespace `{n}`"))
                .unwrap_or_else(|| "no namespace".into()),
            base.namespace.unwrap_or_default()
        )));
    }
    let mut objects = Compared {
        base: base.objects,
        env: env.objects,
        secrets: BTreeSet::new(),
    };
    let mut out = Overlay::default();
    let generated = generators(base, env, &mut objects, own_env, &mut out);
    let mut resources = vec![json!("../../base")];
    resources.extend(added(env, &objects, header, &mut out));
    let mut patches = patched(&objects, header, &mut out);
    patches.extend(deleted(base, env, &objects, &mut out));
    let (new, replaced) = sealed(base, env, own_env, &mut out);
    resources.extend(new);
    patches.extend(replaced);

    out.kustomization
        .insert("resources".into(), J::Array(resources));
    if let Some(ns) = env.namespace {
        out.kustomization.insert("namespace".into(), json!(ns));
    }
    if !generated.is_empty() {
        out.kustomization
            .insert("secretGenerator".into(), J::Array(generated));
    }
    if !patches.is_empty() {
        out.kustomization
            .insert("patches".into(), J::Array(patches));
    }
    if !out.sensitive.is_empty() {
        out.files.insert(
            ".gitignore".into(),
            format!(
                "# Written by ferry: secret material stays out of git (see the kustomization).\n/{SECRETS_DIR}/\n"
            )
            .into_bytes(),
        );
    }
    Ok(out)
}

/// A generated file's name for an object: `<name>-<kind>.yaml`, as the base's.
fn file_name(id: &Id) -> String {
    format!("{}-{}.yaml", id.2, id.0.to_ascii_lowercase())
}

fn secret_id(name: &str, namespace: Option<&str>) -> Id {
    (
        "Secret".into(),
        namespace.unwrap_or_default().to_string(),
        name.to_string(),
    )
}

/// Whether an environment's Secret holds values of its own rather than the base's: what its
/// values are made from (`recipe`) differs, or some come from the environment and it has env
/// files of its own. The rule every overlay follows (generators, SOPS files) and the Helm values
/// file reports by.
pub fn own_values(
    base_recipe: Option<&[String]>,
    env_recipe: &[String],
    from_environment: bool,
    own_env: bool,
) -> bool {
    match base_recipe {
        Some(b) => b != env_recipe || (own_env && from_environment),
        None => true,
    }
}

/// [`own_values`] of a generator, which also differs when its files or labels do.
pub fn own_secret(base: Option<&SecretGenerator>, env: &SecretGenerator, own_env: bool) -> bool {
    let recipe = base.map(|b| b.recipe.as_slice());
    own_values(recipe, &env.recipe, env.from_environment, own_env)
        || base.is_some_and(|b| b.files != env.files || b.labels != env.labels)
}

/// The overlay's own `secretGenerator` entries; the Secrets they make go to
/// `objects.secrets`. Their files are copied to the overlay's `secrets/`.
fn generators(
    base: Side<'_>,
    env: Side<'_>,
    objects: &mut Compared<'_>,
    own_env: bool,
    out: &mut Overlay,
) -> Vec<J> {
    let mut entries = Vec::new();
    let handled = &mut objects.secrets;
    let (base_objects, env_objects) = (objects.base, objects.env);
    for g in env.generators {
        let in_base = base.generators.iter().find(|b| b.name == g.name);
        if !own_secret(in_base, g, own_env) {
            continue;
        }
        let behavior = match in_base {
            Some(_) => Some("replace"),
            // The base wrote the Secret as an object (every value in a compose file).
            None if base_objects.contains_key(&secret_id(&g.name, base.namespace)) => {
                Some("replace")
            }
            None => None,
        };
        handled.insert(secret_id(&g.name, env.namespace));
        for (_, p) in &g.files {
            if let Some(bytes) = env.tree.files.get(p) {
                out.files.insert(p.clone(), bytes.clone());
                out.sensitive.insert(p.clone());
            }
        }
        entries.push(generator_entry(&g.name, &g.files, &g.labels, behavior));
        out.changes
            .push(Change::Generated(g.name.clone(), behavior.is_some()));
    }
    // A Secret the base generates and the environment writes as an object (its values now all
    // in a compose file): the overlay's generator replaces it with those values, from files.
    for (id, o) in env_objects {
        let generated_in_base = base.generators.iter().find(|b| b.name == id.2);
        let (true, Some(b)) = (id.0 == "Secret", generated_in_base) else {
            continue;
        };
        let mut files = Vec::new();
        for (key, v) in o
            .value
            .get("data")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
        {
            let path = format!("{SECRETS_DIR}/{}.{key}", id.2);
            let bytes = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                v.as_str().unwrap_or_default(),
            )
            .unwrap_or_default();
            out.files.insert(path.clone(), bytes);
            out.sensitive.insert(path.clone());
            files.push((key.clone(), path));
        }
        handled.insert(id.clone());
        entries.push(generator_entry(&id.2, &files, &b.labels, Some("replace")));
        out.changes.push(Change::Generated(id.2.clone(), true));
    }
    entries
}

fn generator_entry(
    name: &str,
    files: &[(String, String)],
    labels: &Map<String, J>,
    behavior: Option<&str>,
) -> J {
    let mut e = Map::new();
    e.insert("name".into(), json!(name));
    if let Some(b) = behavior {
        e.insert("behavior".into(), json!(b));
    }
    e.insert(
        "files".into(),
        files
            .iter()
            .map(|(k, p)| json!(format!("{k}={p}")))
            .collect(),
    );
    e.insert("options".into(), json!({ "labels": labels }));
    J::Object(e)
}

/// Objects only the environment has, as it rendered them: a whole file when every object in it
/// is new, else each object in a file of its own. Returns the overlay's new resources.
fn added(env: Side<'_>, objects: &Compared<'_>, header: &str, out: &mut Overlay) -> Vec<J> {
    let env_objects = objects.env;
    let new = |id: &Id| !objects.base.contains_key(id) && !objects.secrets.contains(id);
    let mut by_file: BTreeMap<&str, Vec<&Id>> = BTreeMap::new();
    for (id, o) in env_objects.iter().filter(|(id, _)| new(id)) {
        by_file.entry(o.path.as_str()).or_default().push(id);
    }
    let mut resources = Vec::new();
    for (path, ids) in by_file {
        let in_file = env_objects.values().filter(|o| o.path == path).count();
        if in_file == ids.len() {
            out.files
                .insert(path.to_string(), env.tree.files[path].clone());
            resources.push(json!(path));
        } else {
            for id in &ids {
                let file = file_name(id);
                let doc = yaml::emit::to_document(&env_objects[*id].value);
                out.files
                    .insert(file.clone(), format!("{header}\n{doc}").into_bytes());
                resources.push(json!(file));
            }
        }
        for id in ids {
            out.changes.push(Change::Added(id.0.clone(), id.2.clone()));
        }
    }
    resources
}

/// Objects both have that differ: a JSON patch each, in `patches/`.
fn patched(objects: &Compared<'_>, header: &str, out: &mut Overlay) -> Vec<J> {
    let mut patches = Vec::new();
    for (id, o) in objects.env {
        let Some(b) = objects
            .base
            .get(id)
            .filter(|_| !objects.secrets.contains(id))
        else {
            continue;
        };
        let ops = patch::diff(&b.value, &o.value);
        if ops.is_empty() {
            continue;
        }
        // In a file of its own: kustomize trims an inline patch, which takes the last newline
        // of a file's content (a ConfigMap's) at its end.
        let file = format!("{}/{}", crate::output::PATCHES_DIR, file_name(id));
        let text = format!(
            "{header}\n# {}/{}: what this environment changes, as a JSON patch (RFC 6902)\n{}",
            id.0,
            id.2,
            yaml::emit::to_document(&patch::to_json(&ops))
        );
        out.files.insert(file.clone(), text.into_bytes());
        patches.push(json!({ "path": file, "target": target(&o.value, id) }));
        out.changes
            .push(Change::Patched(id.0.clone(), id.2.clone(), ops));
    }
    patches
}

/// What a JSON patch applies to: kustomize reads `name` as an anchored regular expression, so
/// its special characters (a `.` in a ConfigMap's name) are escaped.
fn target(value: &J, id: &Id) -> J {
    let api = value.get("apiVersion").and_then(J::as_str).unwrap_or("v1");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let mut t = Map::new();
    if !group.is_empty() {
        t.insert("group".into(), json!(group));
    }
    t.insert("version".into(), json!(version));
    t.insert("kind".into(), json!(id.0));
    t.insert("name".into(), json!(regex_escape(&id.2)));
    J::Object(t)
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Objects the environment does not have, and Secrets the base generates that it does not:
/// deleted by the overlay.
fn deleted(base: Side<'_>, env: Side<'_>, objects: &Compared<'_>, out: &mut Overlay) -> Vec<J> {
    let env_objects = objects.env;
    let mut patches = Vec::new();
    for (id, b) in objects.base {
        if !env_objects.contains_key(id) && !objects.secrets.contains(id) {
            patches.push(delete_patch(id, &b.value, out));
        }
    }
    for g in base.generators {
        let id = secret_id(&g.name, base.namespace);
        let kept = env.generators.iter().any(|e| e.name == g.name)
            || env_objects.contains_key(&secret_id(&g.name, env.namespace));
        if !kept {
            let value = json!({ "apiVersion": "v1", "kind": "Secret" });
            patches.push(delete_patch(&id, &value, out));
        }
    }
    patches
}

/// The name of the Secret a SOPS file holds.
fn sealed_name(f: &SealedFile) -> Option<&str> {
    f.plain.doc.get("metadata")?.get("name")?.as_str()
}

/// The keys of a SOPS-encrypted Secret's data.
fn sealed_keys(f: &SealedFile) -> Vec<&String> {
    f.plain
        .doc
        .get("data")
        .and_then(J::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default()
}

/// SOPS-encrypted Secrets (`--env-secrets sops`), by the rule of [`own_values`]: one only the
/// environment has is a resource of the overlay, encrypted; one with values of its own is a
/// strategic merge patch that is itself a SOPS-encrypted Secret (its `data` and `sops` replace
/// the base's, so the built Secret is the environment's, whether it is decrypted file by file
/// or after the build), with the base's keys it lacks removed; one the environment lacks is
/// deleted. Returns the new resources and the patches.
fn sealed(base: Side<'_>, env: Side<'_>, own_env: bool, out: &mut Overlay) -> (Vec<J>, Vec<J>) {
    let (mut resources, mut patches) = (Vec::new(), Vec::new());
    let named = |t: &'_ Tree| -> BTreeMap<String, SealedFile> {
        t.sealed
            .iter()
            .filter_map(|f| Some((sealed_name(f)?.to_string(), f.clone())))
            .collect()
    };
    let (mine, theirs) = (named(base.tree), named(env.tree));
    for (name, f) in &theirs {
        let b = mine.get(name);
        let same_keys = b.is_some_and(|b| sealed_keys(b) == sealed_keys(f));
        let clear = |x: &SealedFile| {
            let mut d = x.plain.doc.clone();
            d.remove("data");
            d
        };
        let own = own_values(
            b.map(|b| b.recipe.as_slice()),
            &f.recipe,
            f.from_environment,
            own_env,
        );
        match b {
            Some(b) if !own && same_keys && clear(b) == clear(f) => continue,
            Some(b) => {
                let mut patch = f.clone();
                patch.path = format!("{}/{}", crate::output::PATCHES_DIR, f.path);
                patches.push(json!({ "path": patch.path }));
                let gone: Vec<J> = sealed_keys(b)
                    .into_iter()
                    .filter(|k| !sealed_keys(f).contains(k))
                    .map(|k| json!({ "op": "remove", "path": format!("/data/{}", crate::patch::token(k)) }))
                    .collect();
                if !gone.is_empty() {
                    let id = secret_id(name, env.namespace);
                    let value = json!({ "apiVersion": "v1" });
                    patches.push(json!({
                        "target": target(&value, &id),
                        "patch": yaml::emit::to_document(&J::Array(gone)),
                    }));
                }
                out.sealed.push(patch);
                out.changes.push(Change::Generated(name.clone(), true));
            }
            None => {
                resources.push(json!(f.path));
                out.sealed.push(f.clone());
                out.changes
                    .push(Change::Added("Secret".into(), name.clone()));
            }
        }
    }
    for name in mine.keys().filter(|n| !theirs.contains_key(*n)) {
        let id = secret_id(name, base.namespace);
        patches.push(delete_patch(&id, &json!({ "apiVersion": "v1" }), out));
    }
    (resources, patches)
}

/// A strategic merge patch that deletes one object, inline.
fn delete_patch(id: &Id, value: &J, out: &mut Overlay) -> J {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(id.2));
    if !id.1.is_empty() {
        metadata.insert("namespace".into(), json!(id.1));
    }
    let doc = json!({
        "$patch": "delete",
        "apiVersion": value.get("apiVersion").cloned().unwrap_or(json!("v1")),
        "kind": id.0,
        "metadata": metadata,
    });
    out.changes
        .push(Change::Deleted(id.0.clone(), id.2.clone()));
    json!({ "patch": yaml::emit::to_document(&doc) })
}
