//! The review summary: what a change of the output directory changes in the cluster, object by
//! object and field by field, for `ferry diff` and `convert --check` (text, JSON, Markdown).
//!
//! It is one more view of the comparison [`crate::output::plan`] makes, as the unified diff is:
//! the old files (on disk) and the new ones (the tree) of each environment are built into
//! objects the way kustomize builds them ([`kustomize`]), and the two sets are compared
//! ([`compare`]). The base is one environment; each `overlays/<name>/` another, so that a
//! change of the base shows in every overlay it reaches ("prod: replicas 3 → 4"). A changed file
//! that no kustomization reads (a Helm chart's, a `.gitignore`) is compared as written: its
//! YAML documents as objects, or the file as a whole.
//!
//! [`compare::compare`] is the API: objects before, objects after, and a label. Anything that
//! has an environment's objects on both sides (a build of its own, another layout) can be fed
//! through it; [`text`] and [`markdown`] show the result, `output::diff::json` gives it to bots.

pub mod compare;
pub mod kustomize;
pub mod markdown;
pub mod text;

pub use compare::{
    compare, compare_all, Change, EnvChanges, Environment, FieldChange, Object, ObjectChange,
    ObjectId, Row,
};

use crate::output::{Entry, OnDisk, Plan, Status};
use crate::render::{Tree, BASE_DIR, KUSTOMIZATION};
use kustomize::{Content, Source};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// The summary of a plan: each environment's changes, the base first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Review {
    pub environments: Vec<EnvChanges>,
}

/// How many objects are new, changed and removed (each counted once, in whichever
/// environments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Review {
    /// One row per distinct change, with the environments it is seen in.
    pub fn rows(&self) -> Vec<Row<'_>> {
        compare::rows(&self.environments)
    }

    /// True when some environment is an overlay: rows then name their environments.
    pub fn has_overlays(&self) -> bool {
        self.environments.iter().any(|e| e.label.is_some())
    }

    pub fn counts(&self) -> Counts {
        let mut seen = BTreeSet::new();
        let mut c = Counts::default();
        for env in &self.environments {
            for o in &env.objects {
                if seen.insert((&o.id, o.change)) {
                    match o.change {
                        Change::Added => c.added += 1,
                        Change::Changed => c.changed += 1,
                        Change::Removed => c.removed += 1,
                    }
                }
            }
        }
        c
    }

    /// True when no object changes (the files may still differ in form).
    pub fn is_empty(&self) -> bool {
        self.environments
            .iter()
            .all(|e| e.objects.is_empty() && e.not_compared.is_none() && e.whole.is_none())
    }
}

/// The summary of `plan`, the comparison of `tree` with its output directory. A secret file of
/// the tree that the plan leaves out (not on disk) is the same on both sides.
pub fn review(plan: &Plan, tree: &Tree) -> Review {
    if plan.is_up_to_date() {
        return Review::default();
    }
    let sides = Sides::new(plan, tree);
    let mut covered = BTreeSet::new();
    let mut environments = Vec::new();
    let envs = sides.environments();
    // In a kustomize layout a file no kustomization reads is no object in the cluster (a stale
    // file `convert` left, say): it is shown as a file. Elsewhere (a Helm chart) its documents
    // are the objects.
    let kustomize_layout = envs.iter().any(|(_, o, n)| o.is_some() || n.is_some());
    let mut base_unbuilt = false;
    for (label, old_dir, new_dir) in envs {
        let (old, new) = sides.build_both(old_dir.as_deref(), new_dir.as_deref());
        let built = |s: &Option<Built>| s.as_ref().is_none_or(|(r, _)| r.is_ok());
        // A base that cannot be built is compared file by file below; its reason stays.
        let fell_back = label.is_none() && !(built(&old) && built(&new));
        base_unbuilt |= fell_back;
        if built(&old) && built(&new) {
            for (_, read) in old.iter().chain(new.iter()) {
                covered.extend(read.iter().cloned());
            }
        }
        // The base is there on both sides, if empty on one: its objects are listed one by
        // one. An overlay on one side only is new or removed as a whole.
        let none = || label.is_none().then(|| Ok(Vec::new()));
        let env = Environment {
            old: old.map(|(r, _)| r).or_else(none),
            new: new.map(|(r, _)| r).or_else(none),
            label,
        };
        let mut changes = compare_all(std::slice::from_ref(&env));
        if fell_back {
            for c in &mut changes {
                if let Some(why) = &c.not_compared {
                    c.not_compared = Some(format!("{why}; its files are compared as written"));
                }
            }
        }
        environments.extend(changes);
    }
    let loose = sides.loose(plan, &covered, !kustomize_layout || base_unbuilt);
    if !loose.objects.is_empty() {
        match environments.iter_mut().find(|e| e.label.is_none()) {
            Some(base) => base.objects.extend(loose.objects),
            None => environments.insert(0, loose),
        }
    }
    Review { environments }
}

/// The output directory's files before (on disk) and after (the tree).
struct Sides<'a> {
    old: BTreeMap<&'a str, Content<'a>>,
    new: BTreeMap<&'a str, Content<'a>>,
    /// Objects of each content read, by its address: a file that did not change is parsed
    /// once for both sides.
    parsed: RefCell<HashMap<(usize, usize), Rc<Parsed>>>,
}

impl<'a> Sides<'a> {
    fn new(plan: &'a Plan, tree: &'a Tree) -> Self {
        let planned: HashMap<&str, &Entry> =
            plan.entries.iter().map(|e| (e.path.as_str(), e)).collect();
        let mut old = BTreeMap::new();
        let mut new = BTreeMap::new();
        for (path, bytes) in &tree.files {
            match planned.get(path.as_str()) {
                None if tree.sensitive.contains(path) => {
                    old.insert(path.as_str(), Content::Unknown);
                    new.insert(path.as_str(), Content::Unknown);
                }
                _ => {
                    new.insert(path.as_str(), Content::Bytes(bytes));
                }
            }
        }
        for e in &plan.entries {
            let content = match (e.status, &e.old) {
                (Status::Unchanged, _) => tree.files.get(&e.path).map(|b| Content::Bytes(b)),
                (_, Some(bytes)) if e.on_disk != OnDisk::Leftover => Some(Content::Bytes(bytes)),
                _ => None,
            };
            if let Some(c) = content {
                old.insert(e.path.as_str(), c);
            }
        }
        Sides {
            old,
            new,
            parsed: RefCell::default(),
        }
    }

    fn side(&self, new: bool) -> &BTreeMap<&'a str, Content<'a>> {
        if new {
            &self.new
        } else {
            &self.old
        }
    }

    /// Each environment with the directory of its kustomization on each side: the base (at
    /// the top, or in `base/` when there are overlays) and every overlay.
    fn environments(&self) -> Vec<(Option<String>, Option<String>, Option<String>)> {
        let base = |files: &BTreeMap<&str, Content<'_>>| {
            if files.contains_key(format!("{BASE_DIR}/{KUSTOMIZATION}").as_str()) {
                Some(BASE_DIR.to_string())
            } else if files.contains_key(KUSTOMIZATION) {
                Some(String::new())
            } else {
                None
            }
        };
        let mut envs = vec![(None, base(&self.old), base(&self.new))];
        let overlays: BTreeSet<&str> = self
            .old
            .keys()
            .chain(self.new.keys())
            .filter_map(|p| {
                p.strip_prefix(crate::output::OVERLAYS_DIR)?
                    .strip_prefix('/')?
                    .strip_suffix(&format!("/{KUSTOMIZATION}"))
                    .filter(|name| !name.contains('/'))
            })
            .collect();
        for name in overlays {
            let dir = format!("{}/{name}", crate::output::OVERLAYS_DIR);
            let at = |files: &BTreeMap<&str, Content<'_>>| {
                files
                    .contains_key(format!("{dir}/{KUSTOMIZATION}").as_str())
                    .then(|| dir.clone())
            };
            envs.push((Some(name.to_string()), at(&self.old), at(&self.new)));
        }
        envs
    }

    /// The objects of one environment's kustomization on each side (`None` where it is not),
    /// with the files each read. Files that are the same on both sides are not read when
    /// nothing changes objects on either side ([`kustomize::build_lazily`]).
    fn build_both(
        &self,
        old_dir: Option<&str>,
        new_dir: Option<&str>,
    ) -> (Option<Built>, Option<Built>) {
        if let (Some(o), Some(n)) = (old_dir, new_dir) {
            let (old, old_read) = self.build(false, o, true);
            let (new, new_read) = self.build(true, n, true);
            let unread = |b: &Result<Option<Vec<Object>>, String>| -> Option<BTreeSet<ObjectId>> {
                match b {
                    Ok(Some(objects)) => Some(
                        objects
                            .iter()
                            .filter(|o| o.is_unread())
                            .map(|o| o.id.clone())
                            .collect(),
                    ),
                    _ => None,
                }
            };
            // Both read lazily, with the same files unread: those compare equal.
            if let (Some(a), Some(b)) = (unread(&old), unread(&new)) {
                if a == b {
                    let done = |r: Result<Option<Vec<Object>>, String>, read| {
                        Some((r.map(Option::unwrap_or_default), read))
                    };
                    return (done(old, old_read), done(new, new_read));
                }
            }
        }
        let full = |new: bool, dir: Option<&str>| {
            let (r, read) = self.build(new, dir?, false);
            Some((r.map(Option::unwrap_or_default), read))
        };
        (full(false, old_dir), full(true, new_dir))
    }

    /// The objects of the kustomization in `dir` on one side, and the files it read;
    /// `Ok(None)` when `lazy` and every object must be read.
    fn build(
        &self,
        new: bool,
        dir: &str,
        lazy: bool,
    ) -> (Result<Option<Vec<Object>>, String>, BTreeSet<String>) {
        let view = View {
            sides: self,
            new,
            read: RefCell::default(),
        };
        let objects = if lazy {
            kustomize::build_lazily(&view, dir)
        } else {
            kustomize::build(&view, dir).map(Some)
        };
        (objects, view.read.into_inner())
    }

    /// The objects of a file's content (a document that is not an object is named by the
    /// path).
    fn objects(&self, path: &str, content: Content<'_>) -> Rc<Parsed> {
        let Content::Bytes(bytes) = content else {
            return Rc::new(Err(format!("{path}: secret material, never read")));
        };
        let key = (bytes.as_ptr() as usize, bytes.len());
        if let Some(done) = self.parsed.borrow().get(&key) {
            return done.clone();
        }
        let parsed = Rc::new(parse(path, bytes));
        self.parsed.borrow_mut().insert(key, parsed.clone());
        parsed
    }

    /// The changed files no environment read: their documents compared as objects when
    /// `as_objects`, else each file as a whole.
    fn loose(&self, plan: &Plan, covered: &BTreeSet<String>, as_objects: bool) -> EnvChanges {
        let mut old = Vec::new();
        let mut new = Vec::new();
        let mut files = Vec::new();
        for e in plan.changes().filter(|e| !covered.contains(&e.path)) {
            let yaml = as_objects
                && (e.path.ends_with(".yaml") || e.path.ends_with(".yml"))
                && !e.sensitive;
            let read = |new: bool| -> Option<Result<Vec<Object>, String>> {
                let c = *self.side(new).get(e.path.as_str())?;
                Some(self.objects(&e.path, c).as_ref().clone())
            };
            match (yaml, read(false), read(true)) {
                (true, o, n)
                    if o.as_ref().is_none_or(Result::is_ok)
                        && n.as_ref().is_none_or(Result::is_ok) =>
                {
                    old.extend(o.and_then(Result::ok).unwrap_or_default());
                    new.extend(n.and_then(Result::ok).unwrap_or_default());
                }
                _ => files.push(ObjectChange {
                    id: ObjectId::file(e.path.clone()),
                    change: match e.status {
                        Status::Added => Change::Added,
                        Status::Removed => Change::Removed,
                        Status::Changed | Status::Unchanged => Change::Changed,
                    },
                    fields: Vec::new(),
                }),
            }
        }
        let mut changes = compare(None, &old, &new);
        changes.objects.extend(files);
        changes
    }
}

/// An environment's objects on one side, and the files read to build them.
type Built = (Result<Vec<Object>, String>, BTreeSet<String>);

/// A file's objects, or why it has none.
type Parsed = Result<Vec<Object>, String>;

/// The YAML documents of a file as objects.
fn parse(path: &str, bytes: &[u8]) -> Result<Vec<Object>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8"))?;
    let docs = crate::yaml::parse_stream(text, std::sync::Arc::from(path), &Default::default())
        .map_err(|e| format!("{path}: not YAML ({e})"))?;
    Ok(docs
        .iter()
        .filter(|d| !d.is_null())
        .enumerate()
        .map(|(i, d)| Object::from_document(d.to_json(), path, i))
        .collect())
}

/// One side of [`Sides`] as a kustomize [`Source`], noting every file read.
struct View<'s, 'a> {
    sides: &'s Sides<'a>,
    new: bool,
    read: RefCell<BTreeSet<String>>,
}

impl Source for View<'_, '_> {
    fn file(&self, path: &str) -> Option<Content<'_>> {
        let c = *self.sides.side(self.new).get(path)?;
        self.read.borrow_mut().insert(path.to_string());
        Some(c)
    }

    fn objects(&self, path: &str) -> Result<Vec<Object>, String> {
        let c = self
            .file(path)
            .ok_or_else(|| format!("{path}: not in the output"))?;
        self.sides.objects(path, c).as_ref().clone()
    }

    fn same(&self, path: &str) -> bool {
        match (self.sides.old.get(path), self.sides.new.get(path)) {
            (Some(Content::Bytes(a)), Some(Content::Bytes(b))) => std::ptr::eq(*a, *b) || a == b,
            (Some(Content::Unknown), Some(Content::Unknown)) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Entry;

    const HEADER: &str = "# Generated by ferry from compose.yaml.\n";

    fn tree(files: &[(&str, &str)]) -> Tree {
        Tree {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), format!("{HEADER}{t}").into_bytes()))
                .collect(),
            ..Tree::default()
        }
    }

    /// A plan of `tree` against files on disk (`None`: not there).
    fn plan(tree: &Tree, disk: &[(&str, Option<&str>)]) -> Plan {
        let mut entries = Vec::new();
        for (path, bytes) in &tree.files {
            let old = disk
                .iter()
                .find(|(p, _)| p == path)
                .and_then(|(_, t)| t.map(|t| format!("{HEADER}{t}").into_bytes()));
            let status = match &old {
                None => Status::Added,
                Some(o) if o == bytes => Status::Unchanged,
                Some(_) => Status::Changed,
            };
            entries.push(Entry {
                path: path.clone(),
                status,
                on_disk: if old.is_some() {
                    OnDisk::Generated
                } else {
                    OnDisk::Missing
                },
                old: old.filter(|_| status != Status::Unchanged),
                new: (status != Status::Unchanged).then(|| bytes.clone()),
                sensitive: false,
            });
        }
        Plan {
            dir: "k8s".into(),
            entries,
        }
    }

    fn rows(r: &Review) -> Vec<String> {
        r.rows()
            .iter()
            .map(|row| {
                format!(
                    "{} {}{}",
                    row.object,
                    text::object_word(row.change),
                    row.field
                        .map(|f| format!(" {}", f.field))
                        .unwrap_or_default()
                )
            })
            .collect()
    }

    const CM1: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: '1'\n";
    const CM2: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: '2'\n";

    #[test]
    fn a_base_that_cannot_be_built_is_compared_as_written() {
        let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - a.yaml\ncommonLabels:\n  team: x\n";
        let t = tree(&[("kustomization.yaml", k), ("a.yaml", CM2)]);
        let p = plan(
            &t,
            &[("kustomization.yaml", Some(k)), ("a.yaml", Some(CM1))],
        );
        let r = review(&p, &t);
        assert_eq!(rows(&r), ["ConfigMap/a changed data.k"]);
        assert_eq!(
            r.environments[0].not_compared.as_deref(),
            Some("kustomization.yaml uses `commonLabels`, which the summary does not apply; its files are compared as written")
        );
        // A file that does not parse is a file.
        let k = "resources:\n  - a.yaml\n";
        let t = tree(&[("kustomization.yaml", k), ("a.yaml", CM2)]);
        let p = plan(
            &t,
            &[
                ("kustomization.yaml", Some(k)),
                ("a.yaml", Some("kind: [broken\n")),
            ],
        );
        assert_eq!(rows(&review(&p, &t)), ["a.yaml changed"]);
    }

    #[test]
    fn without_a_kustomization_documents_are_compared_as_written() {
        // A Helm chart: values.yaml field by field, a template that is not YAML as a file.
        let t = tree(&[
            ("values.yaml", "web:\n  image:\n    tag: '1.5'\n"),
            (
                "templates/web.yaml",
                "image: {{ .Values.web.image.tag }}:x\n",
            ),
        ]);
        let p = plan(
            &t,
            &[
                ("values.yaml", Some("web:\n  image:\n    tag: '1.4'\n")),
                (
                    "templates/web.yaml",
                    Some("image: {{ .Values.web.image }}:x\n"),
                ),
            ],
        );
        assert_eq!(
            rows(&review(&p, &t)),
            [
                "values.yaml changed web.image.tag",
                "templates/web.yaml changed"
            ]
        );
    }

    #[test]
    fn an_up_to_date_plan_has_no_review() {
        let t = tree(&[("a.yaml", CM1)]);
        let p = plan(&t, &[("a.yaml", Some(CM1))]);
        assert!(review(&p, &t).is_empty());
    }
}
