//! The loader's phases, in docker compose's order: variables (environment, `.env`, `--env-file`),
//! files (discovery, override file, `-f`, `COMPOSE_FILE`, stdin), then per file and per YAML
//! document: interpolation, `include`, `extends`, merge into what came before; then unique
//! entries folded, tags resolved, and profiles applied.

use super::merge;
use super::{dotenv, interpolate, read_text, typecast, LoadOptions, DEFAULT_FILES};
use crate::error::{Error, Location, Report, Result};
use crate::paths::{normalize, relative, resolve, Edge};
use crate::yaml::{self, Entry, Node, Value};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The merged tree and what was learned on the way.
#[derive(Debug)]
pub struct Loaded {
    pub doc: Node,
    /// The project directory (canonical).
    pub dir: PathBuf,
    /// What files named inside the compose files must stay within.
    pub edge: Edge,
    /// The variables used for interpolation and bare environment names.
    pub vars: IndexMap<String, String>,
    /// The compose files, relative to the project directory when inside it.
    pub files: Vec<Arc<str>>,
    /// The compose files as read (`-` for standard input), in merge order: an environment's
    /// files are merged over these.
    pub paths: Vec<PathBuf>,
    /// The override file (`compose.override.yaml`) that discovery added to the files, when no
    /// file was named.
    pub discovered_override: Option<PathBuf>,
    /// The project name, as docker compose sets it.
    pub name: ProjectName,
    /// The active profiles.
    pub profiles: Vec<String>,
    /// Which variables each interpolated value came from.
    pub sources: Sources,
    /// What an included project's own environment gives the names it reads from "the
    /// environment" (see [`ScopedEnv`]).
    pub scoped_env: ScopedEnv,
    /// The services left out by profiles: not converted, but checked against the schema, as
    /// docker compose validates the whole file before it applies profiles.
    pub left_out: crate::yaml::Map,
    /// Strings that did not read as the number or boolean compose expects there: reported with
    /// the model's errors, unless a reader already said what is wrong at the same place.
    pub cast_errors: Vec<Error>,
}

/// The project name, and whether it was given (`-p`, `COMPOSE_PROJECT_NAME`) or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName {
    pub value: String,
    /// Given with `-p` or `COMPOSE_PROJECT_NAME` (from the environment or `.env`): used as
    /// written, so it must be a valid name. A name found (`name:`, the directory) is
    /// normalised instead.
    pub given: bool,
}

/// The project name as docker compose sets it, before it interpolates anything (compose-go's
/// `projectName`): the given name (`-p`, else `COMPOSE_PROJECT_NAME`); else the last `name:`
/// written in the files (`docs`), interpolated and normalised; else, when that is empty, the
/// project directory's name, normalised. `${COMPOSE_PROJECT_NAME}` then gives this name.
fn project_name<'a>(
    given: Option<String>,
    docs: impl Iterator<Item = &'a Node>,
    vars: &IndexMap<String, String>,
    dir: &Path,
) -> ProjectName {
    if let Some(value) = given {
        return ProjectName { value, given: true };
    }
    let written = docs
        .filter_map(|d| d.get("name").and_then(Node::as_scalar))
        .map(|s| s.text.clone())
        .filter(|t| !t.is_empty())
        .last();
    let lookup = |k: &str| vars.get(k).cloned();
    let from_files = written
        .and_then(|t| interpolate::interpolate(&t, &lookup).ok())
        .map(|i| super::normalize_project_name(&i.value))
        .filter(|n| !n.is_empty());
    let value = from_files.unwrap_or_else(|| {
        super::normalize_project_name(
            &dir.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    });
    ProjectName {
        value,
        given: false,
    }
}

/// The override files docker compose adds to a discovered file.
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

fn shown_name(path: &Path, working_dir: &Path) -> String {
    path.strip_prefix(working_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "y" | "on"
        )
    })
}

/// Look for a compose file in `dir` and its parents, as docker compose does.
fn discover(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut d = Some(dir);
    while let Some(cur) = d {
        for name in DEFAULT_FILES {
            let p = cur.join(name);
            if p.is_file() {
                let mut files = vec![p];
                if let Some(o) = OVERRIDE_FILES
                    .iter()
                    .map(|o| cur.join(o))
                    .find(|o| o.is_file())
                {
                    files.push(o);
                }
                return Ok(files);
            }
        }
        d = cur.parent();
    }
    Err(Error::Usage(format!(
        "no compose file in {} or its parents (looked for {}); name one with -f",
        dir.display(),
        DEFAULT_FILES.join(", ")
    )))
}

/// Read a dotenv file (for `.env`, `--env-file`, `include.env_file`) into `vars`.
fn read_dotenv(
    path: &Path,
    working_dir: &Path,
    env: &IndexMap<String, String>,
    vars: &mut IndexMap<String, String>,
) -> Result<()> {
    let shown = shown_name(path, working_dir);
    let text = read_text(path, &shown)?;
    let entries = dotenv::parse(&text, &|k: &str| env.get(k).cloned()).map_err(|e| {
        Error::invalid(
            &Location::new(Arc::from(shown.as_str()), e.line as u32, e.column as u32),
            e.message,
        )
    })?;
    for e in entries {
        vars.insert(e.key, e.value);
    }
    Ok(())
}

/// Interpolate every scalar value (never keys) of the tree in place. What interpolation gives is
/// a string, whatever its text (an unset variable gives the empty string, never null), as it is
/// under compose, where `${X}` is a string before it is substituted; [`typecast`] then reads the
/// strings where compose expects a number or a boolean.
fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Error>,
    unset: &mut IndexMap<String, Location>,
) {
    match &mut node.value {
        Value::Scalar(s) => {
            if s.text.contains('$') {
                match interpolate::interpolate(&s.text, lookup) {
                    Ok(out) => {
                        for name in out.unset {
                            unset.entry(name).or_insert_with(|| node.loc.clone());
                        }
                        s.text = out.value;
                        s.plain = false;
                    }
                    Err(e) => errors.push(Error::invalid(&node.loc, e.message)),
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|n| interpolate_tree(n, lookup, errors, unset)),
        Value::Map(m) => m
            .values_mut()
            .for_each(|e| interpolate_tree(&mut e.value, lookup, errors, unset)),
    }
}

/// The variables each interpolated scalar refers to (set or not, so that the answer is the same
/// on a machine without `.env`, such as CI), by the scalar's location and, for a mapping value,
/// its key's (merging turns `KEY: value` into a `KEY=value` item located at the key). Secret
/// detection reads it: a value made from `.env` or the environment is not in a committed file.
pub type Sources = std::collections::HashMap<Location, Vec<String>>;

fn record_sources(
    node: &Node,
    key_loc: Option<&Location>,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut Sources,
) {
    match &node.value {
        Value::Scalar(s) => {
            if s.text.contains('$') {
                let used = std::cell::RefCell::new(Vec::<String>::new());
                let recording = |k: &str| {
                    let mut u = used.borrow_mut();
                    if !u.iter().any(|x| x == k) {
                        u.push(k.to_string());
                    }
                    lookup(k)
                };
                // Errors are reported by the interpolation proper.
                let _ = interpolate::interpolate(&s.text, &recording);
                let used = used.into_inner();
                if !used.is_empty() {
                    if let Some(k) = key_loc {
                        out.insert(k.clone(), used.clone());
                    }
                    out.insert(node.loc.clone(), used);
                }
            }
        }
        Value::Seq(items) => items
            .iter()
            .for_each(|n| record_sources(n, None, lookup, out)),
        Value::Map(m) => m
            .values()
            .for_each(|e| record_sources(&e.value, Some(&e.key_loc), lookup, out)),
    }
}

/// The values an included project's environment (its `env_file`, then the including project's)
/// gives the names that project reads from "the environment", by where each name is written:
/// a bare name in a service's `environment` list (`- DB_PASSWORD`), and the variable of a
/// secret or config with an `environment:` source. compose-go resolves them so when it loads
/// the included project (`ResolveEnvironment`); everything else reads the root project's
/// environment. A bare name in the mapping form (`DB_PASSWORD:`) is not among them: compose
/// resolves it later, in the root project's environment.
pub type ScopedEnv = std::collections::HashMap<Location, String>;

/// Record in `out` what `vars` (an included project's environment) gives the names `doc` reads
/// from the environment (see [`ScopedEnv`]); a name set nowhere is left to the root.
fn resolve_environment(doc: &Node, vars: &IndexMap<String, String>, out: &mut ScopedEnv) {
    let services = doc.get("services").and_then(Node::as_map);
    for svc in services.into_iter().flat_map(|m| m.values()) {
        let items = svc.value.get("environment").and_then(Node::as_seq);
        for item in items.unwrap_or_default() {
            let Some(name) = item.as_scalar().map(|s| s.text.as_str()) else {
                continue;
            };
            if let Some(value) = vars.get(name).filter(|_| !name.contains('=')) {
                out.insert(item.loc.clone(), value.clone());
            }
        }
    }
    for section in ["secrets", "configs"] {
        let defs = doc.get(section).and_then(Node::as_map);
        for def in defs.into_iter().flat_map(|m| m.values()) {
            let Some(var) = def.value.get("environment") else {
                continue;
            };
            if let Some(value) = var.as_scalar().and_then(|s| vars.get(&s.text)) {
                out.insert(var.loc.clone(), value.clone());
            }
        }
    }
}

/// State shared while reading files.
struct Ctx<'a> {
    opts: &'a LoadOptions,
    /// The project directory (canonical).
    dir: PathBuf,
    edge: Edge,
    report: &'a mut Report,
    errors: Vec<Error>,
    cast_errors: Vec<Error>,
    unset: IndexMap<String, Location>,
    sources: Sources,
    /// Files being included, to catch include cycles.
    including: Vec<PathBuf>,
    scoped_env: ScopedEnv,
}

impl Ctx<'_> {
    fn shown(&self, path: &Path) -> String {
        shown_name(path, &self.opts.working_dir)
    }

    /// Read and parse one file into its YAML documents, each interpolated with `vars`.
    fn read_docs(
        &mut self,
        path: &Path,
        text: Option<&str>,
        vars: &IndexMap<String, String>,
    ) -> Result<Vec<Node>> {
        let docs = self.parse_file(path, text)?;
        Ok(self.interpolate_docs(docs, vars))
    }

    /// Read and parse one file (`text` when it came on stdin) into its YAML documents, each a
    /// mapping; empty documents are left out.
    fn parse_file(&mut self, path: &Path, text: Option<&str>) -> Result<Vec<Node>> {
        let stdin = text.is_some();
        let shown = if stdin {
            "<stdin>".to_string()
        } else {
            self.shown(path)
        };
        let file: Arc<str> = Arc::from(shown.as_str());
        let owned;
        let text = match text {
            Some(t) => t,
            None => {
                owned = read_text(path, &shown)?;
                &owned
            }
        };
        self.opts.sources.record(&file, || match stdin {
            true => crate::sources::Origin::Stdin(Arc::from(text)),
            false => crate::sources::file(path, text.len()),
        });
        let docs = yaml::parse_stream(text, file.clone(), &yaml::Limits::default())?;
        if docs.is_empty() {
            return Err(Error::invalid(
                &Location::file(file),
                "the file is empty; a compose file needs `services:`",
            ));
        }
        let mut out = Vec::new();
        for doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc.as_map().is_none() {
                return Err(Error::invalid(
                    &doc.loc,
                    format!(
                        "a compose file must be a mapping with `services:` at the top, found {}",
                        doc.kind_name()
                    ),
                ));
            }
            out.push(doc);
        }
        Ok(out)
    }

    /// Interpolate parsed documents with `vars`, and read the strings compose reads as numbers
    /// or booleans.
    fn interpolate_docs(&mut self, docs: Vec<Node>, vars: &IndexMap<String, String>) -> Vec<Node> {
        let lookup = |k: &str| vars.get(k).cloned();
        let mut out = Vec::with_capacity(docs.len());
        for mut doc in docs {
            record_sources(&doc, None, &lookup, &mut self.sources);
            interpolate_tree(&mut doc, &lookup, &mut self.errors, &mut self.unset);
            typecast::cast_document(&mut doc, &mut self.cast_errors, self.report);
            out.push(doc);
        }
        out
    }

    /// Resolve `include:` of a document: each included project is loaded on its own (its own
    /// directory and environment) and its top-level sections are added; a name defined twice is
    /// an error. `vars` is the including project's environment.
    fn apply_include(
        &mut self,
        doc: &mut Node,
        base_dir: &Path,
        vars: &IndexMap<String, String>,
    ) -> Result<()> {
        let Some(map) = doc.as_map_mut() else {
            return Ok(());
        };
        let Some(entry) = map.shift_remove("include") else {
            return Ok(());
        };
        let items: Vec<Node> = match entry.value.value {
            Value::Seq(items) => items,
            _ => {
                return Err(Error::invalid(
                    &entry.value.loc,
                    "include: expected a list of files or of mappings with `path`",
                ))
            }
        };
        for item in items {
            let (paths, project_dir, env_files) = match &item.value {
                Value::Scalar(s) => (vec![(s.text.clone(), item.loc.clone())], None, Vec::new()),
                Value::Map(m) => {
                    let mut paths = Vec::new();
                    let mut project_dir = None;
                    let mut env_files = Vec::new();
                    for (k, e) in m {
                        let strings = |n: &Node| -> Vec<(String, Location)> {
                            match &n.value {
                                Value::Scalar(s) => vec![(s.text.clone(), n.loc.clone())],
                                Value::Seq(items) => items
                                    .iter()
                                    .filter_map(|i| {
                                        i.as_scalar().map(|s| (s.text.clone(), i.loc.clone()))
                                    })
                                    .collect(),
                                Value::Map(_) => Vec::new(),
                            }
                        };
                        match k.as_str() {
                            "path" => paths = strings(&e.value),
                            "project_directory" => project_dir = strings(&e.value).pop(),
                            "env_file" => env_files = strings(&e.value),
                            k if k.starts_with("x-") => {}
                            k => {
                                let message = super::parse::unknown_key_message(
                                    k,
                                    &["path", "project_directory", "env_file"],
                                );
                                if self.opts.allow_unknown_keys {
                                    self.report.warn(
                                        Some(&e.key_loc),
                                        format!("include.{k}"),
                                        message,
                                    );
                                } else {
                                    self.errors.push(Error::invalid(
                                        &e.key_loc,
                                        format!("include.{k}: {message}"),
                                    ));
                                }
                            }
                        }
                    }
                    (paths, project_dir, env_files)
                }
                Value::Seq(_) => {
                    return Err(Error::invalid(
                        &item.loc,
                        "include: expected a file or a mapping with `path`",
                    ))
                }
            };
            let Some((first, first_loc)) = paths.first().cloned() else {
                return Err(Error::invalid(&item.loc, "include: an entry needs `path`"));
            };
            let resolve = |p: &str, loc: &Location| -> Result<PathBuf> {
                resolve(&self.edge, base_dir, p, self.opts.reach)
                    .map_err(|problem| Error::invalid(loc, format!("include: `{p}` {problem}")))
            };
            let files: Vec<PathBuf> = paths
                .iter()
                .map(|(p, l)| resolve(p, l))
                .collect::<Result<_>>()?;
            let inc_dir = match &project_dir {
                Some((p, l)) => resolve(p, l)?,
                None => resolve(&first, &first_loc)?
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| self.dir.clone()),
            };
            if self.including.contains(&files[0]) {
                return Err(Error::invalid(
                    &first_loc,
                    format!("include: `{first}` includes itself (an include cycle)"),
                ));
            }
            // The included project's environment (compose-go's `ApplyInclude`): the including
            // project's, with what its env files (default: its .env) add; a variable set in both
            // keeps the including project's value.
            let mut from_files = IndexMap::new();
            if env_files.is_empty() {
                let dotenv = inc_dir.join(".env");
                if dotenv.is_file() {
                    read_dotenv(&dotenv, &self.opts.working_dir, vars, &mut from_files)?;
                }
            } else {
                for (p, l) in &env_files {
                    let path = resolve(p, l)?;
                    read_dotenv(&path, &self.opts.working_dir, vars, &mut from_files)?;
                }
            }
            let mut inc_vars = vars.clone();
            for (k, v) in from_files {
                inc_vars.entry(k).or_insert(v);
            }
            self.including.push(files[0].clone());
            let mut included: Option<Node> = None;
            for f in &files {
                for mut d in self.read_docs(f, None, &inc_vars)? {
                    self.apply_include(&mut d, f.parent().unwrap_or(&inc_dir), &inc_vars)?;
                    self.apply_extends(&mut d, f, &inc_vars)?;
                    match &mut included {
                        None => included = Some(d),
                        Some(b) => merge::merge_files(b, d),
                    }
                }
            }
            self.including.pop();
            let Some(mut included) = included else {
                continue;
            };
            resolve_environment(&included, &inc_vars, &mut self.scoped_env);
            let rel = relative(&self.dir, &inc_dir);
            rebase_paths(&mut included, &rel);
            add_sections(doc, included, &first_loc)?;
        }
        Ok(())
    }

    /// Resolve `extends` for every service of `doc` (read from `file`).
    /// `vars` are the project's variables, which also interpolate the files `extends` names.
    fn apply_extends(
        &mut self,
        doc: &mut Node,
        file: &Path,
        vars: &IndexMap<String, String>,
    ) -> Result<()> {
        // Only services that extend another change (resolving one copied it whole).
        let names: Vec<String> = match doc.get("services").and_then(Node::as_map) {
            Some(m) => m
                .iter()
                .filter(|(_, e)| e.value.get("extends").is_some())
                .map(|(k, _)| k.clone())
                .collect(),
            None => return Ok(()),
        };
        for name in names {
            let mut chain = Vec::new();
            let resolved = self.resolve_extends(doc, file, &name, &mut chain, vars)?;
            if let Some(svc) = doc
                .as_map_mut()
                .and_then(|m| m.get_mut("services"))
                .and_then(|e| e.value.as_map_mut())
                .and_then(|m| m.get_mut(&name))
            {
                svc.value = resolved;
            }
        }
        Ok(())
    }

    /// The service `name` of `doc` with its `extends` chain applied.
    fn resolve_extends(
        &mut self,
        doc: &Node,
        file: &Path,
        name: &str,
        chain: &mut Vec<(PathBuf, String)>,
        vars: &IndexMap<String, String>,
    ) -> Result<Node> {
        let Some(svc) = doc.get("services").and_then(|s| s.get(name)) else {
            return Err(Error::Usage(format!("service `{name}` not found")));
        };
        let mut svc = svc.clone();
        let Some(ext) = svc.as_map_mut().and_then(|m| m.shift_remove("extends")) else {
            return Ok(svc);
        };
        let key = (file.to_path_buf(), name.to_string());
        if chain.contains(&key) {
            let path: Vec<String> = chain
                .iter()
                .map(|(_, n)| n.clone())
                .chain([name.to_string()])
                .collect();
            return Err(Error::invalid(
                &ext.key_loc,
                format!("services.{name}.extends: a cycle: {}", path.join(" → ")),
            ));
        }
        chain.push(key);
        let (base_name, base_file) = match &ext.value.value {
            Value::Scalar(s) => (s.text.clone(), None),
            Value::Map(m) => {
                let service = m
                    .get("service")
                    .and_then(|e| e.value.as_scalar())
                    .map(|s| s.text.clone());
                let Some(service) = service else {
                    return Err(Error::invalid(
                        &ext.value.loc,
                        format!("services.{name}.extends: `service` is required"),
                    ));
                };
                let f = m.get("file").map(|e| {
                    (
                        e.value
                            .as_scalar()
                            .map(|s| s.text.clone())
                            .unwrap_or_default(),
                        e.value.loc.clone(),
                    )
                });
                (service, f)
            }
            Value::Seq(_) => {
                return Err(Error::invalid(
                    &ext.value.loc,
                    format!(
                    "services.{name}.extends: expected a service name or a mapping with `service`"
                ),
                ))
            }
        };
        let base = match base_file {
            None => {
                if doc
                    .get("services")
                    .and_then(|s| s.get(&base_name))
                    .is_none()
                {
                    return Err(Error::invalid(
                        &ext.value.loc,
                        format!(
                            "services.{name}.extends: service `{base_name}` not found in {}",
                            self.shown(file)
                        ),
                    ));
                }
                self.resolve_extends(doc, file, &base_name, chain, vars)?
            }
            Some((f, loc)) => {
                let dir = file.parent().unwrap_or(&self.dir).to_path_buf();
                let path = resolve(&self.edge, &dir, &f, self.opts.reach).map_err(|problem| {
                    Error::invalid(
                        &loc,
                        format!("services.{name}.extends.file: `{f}` {problem}"),
                    )
                })?;
                let mut docs = self.read_docs(&path, None, vars)?;
                let Some(other) = docs.drain(..).reduce(|mut a, b| {
                    merge::merge_files(&mut a, b);
                    a
                }) else {
                    return Err(Error::invalid(
                        &loc,
                        format!("services.{name}.extends.file: `{f}` is empty"),
                    ));
                };
                if other
                    .get("services")
                    .and_then(|s| s.get(&base_name))
                    .is_none()
                {
                    return Err(Error::invalid(
                        &loc,
                        format!(
                            "services.{name}.extends: service `{base_name}` not found in `{f}`"
                        ),
                    ));
                }
                let rel = path
                    .parent()
                    .map(|p| relative(&self.dir, p))
                    .unwrap_or_default();
                let mut base = self.resolve_extends(&other, &path, &base_name, chain, vars)?;
                rebase_service(&mut base, &rel);
                base
            }
        };
        chain.pop();
        let mut merged = base;
        merge::merge_service(&mut merged, svc);
        Ok(merged)
    }
}

/// Add an included project's sections to `doc`; a name defined in both is an error.
fn add_sections(doc: &mut Node, included: Node, at: &Location) -> Result<()> {
    let (Some(target), Value::Map(inc)) = (doc.as_map_mut(), included.value) else {
        return Ok(());
    };
    for section in [
        "services", "volumes", "networks", "secrets", "configs", "models",
    ] {
        let Some(src) = inc.get(section).and_then(|e| e.value.as_map()).cloned() else {
            continue;
        };
        let entry = target.entry(section.to_string()).or_insert_with(|| Entry {
            key_loc: at.clone(),
            value: Node::new(Value::Map(Default::default()), at.clone()),
        });
        if entry.value.is_null() {
            entry.value = Node::new(Value::Map(Default::default()), at.clone());
        }
        let Some(dst) = entry.value.as_map_mut() else {
            continue;
        };
        for (k, e) in src {
            if let Some(existing) = dst.get(&k) {
                return Err(Error::invalid(
                    &existing.key_loc,
                    format!(
                        "{section}.{k} is defined here and also by the included file at {}; rename one of them",
                        e.key_loc
                    ),
                )
                .labelled("defined here")
                .also_at(&e.key_loc, "also defined by the included file"));
            }
            dst.insert(k, e);
        }
    }
    Ok(())
}

/// `path` (relative to a directory `rel` below the project directory) made relative to the
/// project directory; `None` for absolute paths, home paths and when `rel` is the project itself.
fn rebase(path: &str, rel: &Path) -> Option<String> {
    if rel.as_os_str().is_empty()
        || path.starts_with('/')
        || path.starts_with('~')
        || path.is_empty()
    {
        return None;
    }
    Some(normalize(&rel.join(path)).display().to_string()).map(|p| {
        if p.starts_with('.') {
            p
        } else {
            format!("./{p}")
        }
    })
}

fn rebase_scalar(n: &mut Node, rel: &Path) {
    if let Value::Scalar(s) = &mut n.value {
        if let Some(p) = rebase(&s.text, rel) {
            s.text = p;
        }
    }
}

/// Paths in a service from another directory, made relative to the project directory.
fn rebase_service(svc: &mut Node, rel: &Path) {
    let Some(m) = svc.as_map_mut() else { return };
    if let Some(b) = m.get_mut("build") {
        match &mut b.value.value {
            Value::Scalar(_) => rebase_scalar(&mut b.value, rel),
            Value::Map(bm) => {
                if let Some(c) = bm.get_mut("context") {
                    rebase_scalar(&mut c.value, rel);
                }
            }
            Value::Seq(_) => {}
        }
    }
    if let Some(ef) = m.get_mut("env_file") {
        let items: Vec<&mut Node> = match &mut ef.value.value {
            Value::Seq(items) => items.iter_mut().collect(),
            _ => vec![&mut ef.value],
        };
        for it in items {
            match &mut it.value {
                Value::Map(im) => {
                    if let Some(p) = im.get_mut("path") {
                        rebase_scalar(&mut p.value, rel);
                    }
                }
                _ => rebase_scalar(it, rel),
            }
        }
    }
    if let Some(Value::Seq(items)) = m.get_mut("volumes").map(|e| &mut e.value.value) {
        for it in items {
            match &mut it.value {
                Value::Scalar(s) => {
                    // Short syntax: only a source that looks like a path is a bind mount.
                    if let Some((src, rest)) = s
                        .text
                        .split_once(':')
                        .filter(|(src, _)| src.starts_with('.'))
                    {
                        if let Some(p) = rebase(src, rel) {
                            s.text = format!("{p}:{rest}");
                        }
                    }
                }
                Value::Map(vm) => {
                    if let Some(src) = vm.get_mut("source") {
                        rebase_scalar(&mut src.value, rel);
                    }
                }
                Value::Seq(_) => {}
            }
        }
    }
}

/// Paths of a whole included project, made relative to the including project's directory.
fn rebase_paths(doc: &mut Node, rel: &Path) {
    if let Some(services) = doc
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.value.as_map_mut())
    {
        for svc in services.values_mut() {
            rebase_service(&mut svc.value, rel);
        }
    }
    for section in ["secrets", "configs"] {
        if let Some(defs) = doc
            .as_map_mut()
            .and_then(|m| m.get_mut(section))
            .and_then(|e| e.value.as_map_mut())
        {
            for def in defs.values_mut() {
                if let Some(f) = def.value.as_map_mut().and_then(|m| m.get_mut("file")) {
                    rebase_scalar(&mut f.value, rel);
                }
            }
        }
    }
}

/// Services with `profiles:` run only when one of their profiles is active (`*` activates all);
/// an active service that depends on an inactive one is an error.
/// Returns the services left out, which docker compose still validates.
fn apply_profiles(
    doc: &mut Node,
    active: &[String],
    report: &mut Report,
) -> Result<crate::yaml::Map> {
    let Some(services) = doc
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.value.as_map_mut())
    else {
        return Ok(crate::yaml::Map::default());
    };
    let all = active.iter().any(|p| p == "*");
    let enabled = |svc: &Node| -> bool {
        match svc.get("profiles").and_then(Node::as_seq) {
            None => true,
            Some([]) => true,
            Some(list) => {
                all || list
                    .iter()
                    .any(|p| p.as_scalar().is_some_and(|s| active.contains(&s.text)))
            }
        }
    };
    let disabled: Vec<(String, Location)> = services
        .iter()
        .filter(|(_, e)| !enabled(&e.value))
        .map(|(k, e)| (k.clone(), e.key_loc.clone()))
        .collect();
    let mut errors = Vec::new();
    for (name, e) in services.iter() {
        if !enabled(&e.value) {
            continue;
        }
        let deps: Vec<(String, Location, bool)> = match e.value.get("depends_on").map(|d| &d.value)
        {
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|i| i.as_scalar().map(|s| (s.text.clone(), i.loc.clone(), true)))
                .collect(),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, d)| {
                    let required = d
                        .value
                        .get("required")
                        .and_then(|r| r.as_scalar())
                        .is_none_or(|s| !matches!(s.text.as_str(), "false" | "False" | "FALSE"));
                    (k.clone(), d.key_loc.clone(), required)
                })
                .collect(),
            _ => Vec::new(),
        };
        for (dep, loc, required) in deps {
            if let Some((_, at)) = disabled.iter().find(|(d, _)| *d == dep) {
                if required {
                    errors.push(Error::invalid(
                        &loc,
                        format!(
                            "services.{name}.depends_on: `{dep}` (at {at}) is not in an active profile; activate its profile with --profile or COMPOSE_PROFILES"
                        ),
                    ).also_at(at, format!("`{dep}` is not in an active profile")));
                }
            }
        }
    }
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    for (name, e) in services.iter().filter(|(_, e)| !enabled(&e.value)) {
        let profiles: Vec<String> = e
            .value
            .get("profiles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.as_scalar().map(|s| s.text.clone()))
            .collect();
        report.warn(
            Some(&e.key_loc),
            format!("services.{name}"),
            format!(
                "not converted: none of its profiles ({}) is active; activate one with --profile or COMPOSE_PROFILES",
                profiles.join(", ")
            ),
        );
    }
    let mut left_out = crate::yaml::Map::default();
    for (name, e) in std::mem::take(services) {
        if enabled(&e.value) {
            services.insert(name, e);
        } else {
            left_out.insert(name, e);
        }
    }
    Ok(left_out)
}

/// Load and merge the project's files into one tree.
pub fn load_tree(opts: &LoadOptions, report: &mut Report) -> Result<Loaded> {
    let wd = &opts.working_dir;
    // `${PWD}` is the caller's directory when the environment does not set it: docker compose
    // sets `PWD` so (a shell sets it anyway); it is not the project directory.
    let mut environment = opts.environment.clone();
    if !environment.contains_key("PWD") {
        environment.insert("PWD".into(), wd.display().to_string());
    }
    let env = &environment;
    let explicit_dir = opts.project_directory.as_ref().map(|d| wd.join(d));
    // Variables first: COMPOSE_FILE and friends may come from .env.
    let initial_dir = explicit_dir
        .clone()
        .unwrap_or_else(|| match opts.files.first() {
            Some(f) if f.as_os_str() != "-" => wd
                .join(f)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| wd.clone()),
            _ => wd.clone(),
        });
    let read_vars = |dir: &Path| -> Result<IndexMap<String, String>> {
        let mut vars = IndexMap::new();
        if !opts.env_files.is_empty() {
            for f in &opts.env_files {
                let p = wd.join(f);
                if !p.is_file() {
                    return Err(Error::Usage(format!("env file {} not found", f.display())));
                }
                read_dotenv(&p, wd, env, &mut vars)?;
            }
        } else if !opts.no_dotenv && !truthy(env.get("COMPOSE_DISABLE_ENV_FILE")) {
            let p = dir.join(".env");
            if p.is_file() {
                read_dotenv(&p, wd, env, &mut vars)?;
            }
        }
        for (k, v) in env {
            vars.insert(k.clone(), v.clone());
        }
        Ok(vars)
    };
    let mut vars = read_vars(&initial_dir)?;

    // Files: -f, else COMPOSE_FILE, else discovery (with the override file).
    let compose_file = vars.get("COMPOSE_FILE").filter(|v| !v.is_empty());
    let discovered = opts.files.is_empty() && compose_file.is_none();
    let files: Vec<PathBuf> = if !opts.files.is_empty() {
        opts.files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    f.clone()
                } else {
                    wd.join(f)
                }
            })
            .collect()
    } else if let Some(cf) = compose_file {
        let sep = vars
            .get("COMPOSE_PATH_SEPARATOR")
            .cloned()
            .unwrap_or_else(|| ":".into());
        cf.split(sep.as_str())
            .filter(|s| !s.is_empty())
            .map(|f| initial_dir.join(f))
            .collect()
    } else {
        discover(explicit_dir.as_deref().unwrap_or(wd))?
    };
    let discovered_override = files.get(1).filter(|_| discovered).cloned();
    for f in &files {
        if f.as_os_str() != "-" && !f.is_file() {
            return Err(Error::Usage(format!(
                "compose file {} not found",
                shown_name(f, wd)
            )));
        }
    }
    let first_dir = match files.first() {
        Some(f) if f.as_os_str() != "-" => f
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| wd.clone()),
        _ => wd.clone(),
    };
    let dir = explicit_dir.unwrap_or(first_dir);
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::io(&dir, "cannot open the project directory", e))?;
    if opts.project_directory.is_none() && dir != initial_dir.canonicalize().unwrap_or_default() {
        vars = read_vars(&dir)?;
    }

    let edge = Edge::of(&dir, opts.environment.get("HOME").map(Path::new));
    let mut ctx = Ctx {
        opts,
        dir: dir.clone(),
        edge: edge.clone(),
        report,
        errors: Vec::new(),
        cast_errors: Vec::new(),
        unset: IndexMap::new(),
        sources: Sources::new(),
        including: Vec::new(),
        scoped_env: ScopedEnv::new(),
    };
    let mut merged: Option<Node> = None;
    let mut shown_files = Vec::new();
    // Every file is parsed before any is interpolated: the project name, which
    // `${COMPOSE_PROJECT_NAME}` gives, may come from their `name:`, as in compose-go.
    let mut parsed = Vec::with_capacity(files.len());
    for path in &files {
        let stdin = (path.as_os_str() == "-").then(|| opts.stdin.clone().unwrap_or_default());
        let docs = ctx.parse_file(path, stdin.as_deref())?;
        parsed.push((path, stdin, docs));
    }
    let given_name = opts.project_name.clone().or_else(|| {
        vars.get("COMPOSE_PROJECT_NAME")
            .filter(|v| !v.is_empty())
            .cloned()
    });
    let name = project_name(
        given_name,
        parsed.iter().flat_map(|(_, _, docs)| docs),
        &vars,
        &dir,
    );
    vars.insert("COMPOSE_PROJECT_NAME".into(), name.value.clone());
    for (path, stdin, docs) in parsed {
        let docs = ctx.interpolate_docs(docs, &vars);
        let real = if stdin.is_some() {
            dir.join("compose.yaml")
        } else {
            path.canonicalize().unwrap_or_else(|_| path.clone())
        };
        shown_files.push(Arc::from(match stdin {
            Some(_) => "<stdin>".to_string(),
            None => real
                .strip_prefix(&dir)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| ctx.shown(path)),
        }));
        for mut doc in docs {
            ctx.including.push(real.clone());
            ctx.apply_include(&mut doc, real.parent().unwrap_or(&dir), &vars)?;
            ctx.including.pop();
            ctx.apply_extends(&mut doc, &real, &vars)?;
            match &mut merged {
                None => merged = Some(doc),
                Some(base) => merge::merge_files(base, doc),
            }
        }
    }
    for (name, loc) in std::mem::take(&mut ctx.unset) {
        ctx.report.warn(
            Some(&loc),
            format!("${{{name}}}"),
            format!("The \"{name}\" variable is not set. Defaulting to a blank string."),
        );
    }
    if let Some(e) = Error::from_many(std::mem::take(&mut ctx.errors)) {
        return Err(e);
    }
    let Some(mut doc) = merged else {
        return Err(Error::Usage("no compose file given".into()));
    };
    merge::enforce_unicity(&mut doc);
    merge::strip_tags(&mut doc);
    super::normalize::implicit_dependencies(&mut doc);
    let profiles: Vec<String> = if !opts.profiles.is_empty() {
        opts.profiles.clone()
    } else {
        vars.get("COMPOSE_PROFILES")
            .map(|p| {
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let left_out = apply_profiles(&mut doc, &profiles, ctx.report)?;
    Ok(Loaded {
        doc,
        dir,
        edge,
        vars,
        files: shown_files,
        paths: files,
        discovered_override,
        name,
        profiles,
        sources: std::mem::take(&mut ctx.sources),
        scoped_env: std::mem::take(&mut ctx.scoped_env),
        cast_errors: ctx.cast_errors,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A temporary project with these files.
    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn opts(dir: &Path) -> LoadOptions {
        LoadOptions {
            working_dir: dir.to_path_buf(),
            ..LoadOptions::default()
        }
    }

    fn load(o: &LoadOptions) -> Result<Loaded> {
        load_tree(o, &mut Report::default())
    }

    fn services(o: &LoadOptions) -> serde_json::Value {
        load(o).unwrap().doc.get("services").unwrap().to_json()
    }

    fn err(o: &LoadOptions) -> String {
        load(o).unwrap_err().to_string()
    }

    #[test]
    fn override_file_is_merged_when_discovered() {
        let d = project(&[
            ("compose.yaml", "services:\n  web:\n    image: a\n"),
            ("compose.override.yaml", "services:\n  web:\n    image: b\n"),
        ]);
        assert_eq!(services(&opts(d.path()))["web"]["image"], "b");
    }

    #[test]
    fn override_file_is_not_read_with_explicit_f() {
        let d = project(&[
            ("compose.yaml", "services:\n  web:\n    image: a\n"),
            ("compose.override.yaml", "services:\n  web:\n    image: b\n"),
        ]);
        let mut o = opts(d.path());
        o.files = vec!["compose.yaml".into()];
        assert_eq!(services(&o)["web"]["image"], "a");
    }

    #[test]
    fn several_f_files_merge_in_order() {
        let d = project(&[
            (
                "a.yaml",
                "services:\n  web:\n    image: a\n    environment: [X=1]\n",
            ),
            ("b.yaml", "services:\n  web:\n    environment: [Y=2]\n"),
            ("c.yaml", "services:\n  web:\n    image: c\n"),
        ]);
        let mut o = opts(d.path());
        o.files = vec!["a.yaml".into(), "b.yaml".into(), "c.yaml".into()];
        let s = services(&o);
        assert_eq!(s["web"]["image"], "c");
        assert_eq!(s["web"]["environment"], json!(["X=1", "Y=2"]));
    }

    #[test]
    fn discovery_looks_in_parent_directories() {
        let d = project(&[
            ("compose.yaml", "services:\n  web:\n    image: a\n"),
            ("sub/dir/x", ""),
        ]);
        let l = load(&opts(&d.path().join("sub/dir"))).unwrap();
        assert_eq!(l.dir, d.path().canonicalize().unwrap());
    }

    #[test]
    fn compose_file_variable_names_the_files() {
        let d = project(&[
            ("one.yaml", "services:\n  web:\n    image: a\n"),
            ("two.yaml", "services:\n  web:\n    image: b\n"),
            (
                ".env",
                "COMPOSE_FILE=one.yaml;two.yaml\nCOMPOSE_PATH_SEPARATOR=;\n",
            ),
        ]);
        assert_eq!(services(&opts(d.path()))["web"]["image"], "b");
    }

    #[test]
    fn process_environment_wins_over_dotenv() {
        let d = project(&[
            (
                "compose.yaml",
                "services:\n  web:\n    image: \"x:${TAG}\"\n",
            ),
            (".env", "TAG=dotenv\n"),
        ]);
        let mut o = opts(d.path());
        assert_eq!(services(&o)["web"]["image"], "x:dotenv");
        o.environment.insert("TAG".into(), "process".into());
        assert_eq!(services(&o)["web"]["image"], "x:process");
    }

    #[test]
    fn env_file_flag_replaces_dotenv_and_later_wins() {
        let d = project(&[
            (
                "compose.yaml",
                "services:\n  web:\n    image: \"x:${TAG}-${OTHER:-none}\"\n",
            ),
            (".env", "TAG=dotenv\nOTHER=dotenv\n"),
            ("a.env", "TAG=a\n"),
            ("b.env", "TAG=b\n"),
        ]);
        let mut o = opts(d.path());
        o.env_files = vec!["a.env".into(), "b.env".into()];
        assert_eq!(services(&o)["web"]["image"], "x:b-none");
    }

    #[test]
    fn compose_disable_env_file_skips_dotenv() {
        let d = project(&[
            (
                "compose.yaml",
                "services:\n  web:\n    image: \"x:${TAG:-default}\"\n",
            ),
            (".env", "TAG=dotenv\n"),
        ]);
        let mut o = opts(d.path());
        o.environment
            .insert("COMPOSE_DISABLE_ENV_FILE".into(), "1".into());
        assert_eq!(services(&o)["web"]["image"], "x:default");
    }

    #[test]
    fn compose_project_name_variable() {
        let d = project(&[
            ("compose.yaml", "services:\n  web:\n    image: a\n"),
            (".env", "COMPOSE_PROJECT_NAME=fromenv\n"),
        ]);
        let given = |value: &str| ProjectName {
            value: value.into(),
            given: true,
        };
        assert_eq!(load(&opts(d.path())).unwrap().name, given("fromenv"));
        let mut o = opts(d.path());
        o.project_name = Some("flag".into());
        assert_eq!(load(&o).unwrap().name, given("flag"));
    }

    /// Without one given, the name is the last `name:` of the files, interpolated and
    /// normalised (empty: the directory's name); `${COMPOSE_PROJECT_NAME}` gives it.
    #[test]
    fn project_name_from_the_files() {
        let d = project(&[
            (
                "compose.yaml",
                "name: first
services:
  web:
    image: \"a:${COMPOSE_PROJECT_NAME}\"
",
            ),
            (
                "second.yaml",
                "name: Second_${X}
",
            ),
            (
                "third.yaml",
                "services: {}
",
            ),
        ]);
        let mut o = opts(d.path());
        o.files = vec![
            "compose.yaml".into(),
            "second.yaml".into(),
            "third.yaml".into(),
        ];
        o.environment.insert("X".into(), "Two".into());
        let loaded = load(&o).unwrap();
        assert_eq!(loaded.name.value, "second_two");
        assert!(!loaded.name.given);
        assert_eq!(
            loaded
                .doc
                .get("services")
                .unwrap()
                .get("web")
                .unwrap()
                .get("image")
                .unwrap()
                .to_json(),
            json!("a:second_two")
        );
        o.environment.shift_remove("X");
        o.files = vec!["second.yaml".into(), "third.yaml".into()];
        let dir_name =
            super::super::normalize_project_name(&d.path().file_name().unwrap().to_string_lossy());
        assert_eq!(load(&o).unwrap().name.value, "second_");
        std::fs::write(d.path().join("second.yaml"), "name: ${X}\n").unwrap();
        assert_eq!(load(&o).unwrap().name.value, dir_name);
    }

    #[test]
    fn stdin_file() {
        let d = project(&[]);
        let mut o = opts(d.path());
        o.files = vec!["-".into()];
        o.stdin = Some("services:\n  web:\n    image: fromstdin\n".into());
        assert_eq!(services(&o)["web"]["image"], "fromstdin");
    }

    #[test]
    fn documents_of_one_file_merge_in_order() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n---\nservices:\n  web:\n    image: b\n",
        )]);
        assert_eq!(services(&opts(d.path()))["web"]["image"], "b");
    }

    #[test]
    fn extends_in_same_file() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  base:\n    image: a\n    environment: [A=1]\n  web:\n    extends: base\n    environment: [B=2]\n",
        )]);
        let s = services(&opts(d.path()));
        assert_eq!(s["web"]["image"], "a");
        assert_eq!(s["web"]["environment"], json!(["A=1", "B=2"]));
        assert!(s["web"].get("extends").is_none());
    }

    #[test]
    fn extends_chain_is_recursive() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  a:\n    image: a\n    user: '1'\n  b:\n    extends: a\n    image: b\n  c:\n    extends: {service: b}\n",
        )]);
        let s = services(&opts(d.path()));
        assert_eq!(s["c"], json!({"image": "b", "user": "1"}));
    }

    #[test]
    fn extends_other_file_rebases_relative_paths_and_keeps_locations() {
        let d = project(&[
            ("compose.yaml", "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: app\n"),
            ("common/base.yaml", "services:\n  app:\n    image: base\n    env_file: ./app.env\n    volumes: ['./conf:/conf']\n"),
            ("common/app.env", "A=1\n"),
        ]);
        let l = load(&opts(d.path())).unwrap();
        let web = l.doc.get("services").unwrap().get("web").unwrap();
        assert_eq!(
            web.get("env_file").unwrap().to_json(),
            json!("./common/app.env")
        );
        assert_eq!(
            web.get("volumes").unwrap().to_json(),
            json!(["./common/conf:/conf"])
        );
        assert_eq!(
            web.get("image").unwrap().loc.to_string(),
            "common/base.yaml:3:12"
        );
    }

    /// The file `extends` names is interpolated with the project's variables (`.env` too), as
    /// docker compose does.
    #[test]
    fn extends_file_sees_the_project_variables() {
        let d = project(&[
            (
                "compose.yaml",
                "services:\n  web:\n    extends:\n      file: base.yaml\n      service: app\n",
            ),
            (
                "base.yaml",
                "services:\n  app:\n    image: \"app:${TAG}\"\n",
            ),
            (".env", "TAG=from-dotenv\n"),
        ]);
        assert_eq!(services(&opts(d.path()))["web"]["image"], "app:from-dotenv");
    }

    /// compose-go's `WithServicesLabelsResolved`: label files in order, a `${X}` in one names an
    /// earlier label, the service's own labels win; a missing file is an error.
    #[test]
    fn label_files_are_read_into_labels() {
        let d = project(&[
            (
                "compose.yaml",
                "services:\n  web:\n    image: a\n    label_file: [a.labels, b.labels]\n    labels:\n      own: yes-own\n      team: from-service\n",
            ),
            ("a.labels", "team=from-a\ntier=web\n"),
            ("b.labels", "tier=${team}-b\n"),
        ]);
        let (p, _) = crate::compose::load(&opts(d.path())).unwrap();
        let labels: Vec<(&str, &str)> = p.services["web"]
            .labels
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("team", "from-service"),
                ("tier", "from-a-b"),
                ("own", "yes-own")
            ]
        );
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    label_file: gone.labels\n",
        )]);
        let e = crate::compose::load(&opts(d.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("compose.yaml:4:17: services.web.label_file: `gone.labels`"),
            "{e}"
        );
    }

    #[test]
    fn extends_cycle_is_error() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
        )]);
        let e = err(&opts(d.path()));
        assert!(e.contains("a cycle"), "{e}");
    }

    #[test]
    fn extends_missing_service_is_error_with_location() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  a:\n    image: x\n    extends: nope\n",
        )]);
        let e = err(&opts(d.path()));
        assert!(
            e.starts_with("compose.yaml:4:14: services.a.extends: service `nope` not found"),
            "{e}"
        );
    }

    #[test]
    fn extends_reset_removes_inherited_value() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  a:\n    image: x\n    ports: ['80']\n  b:\n    extends: a\n    ports: !reset []\n",
        )]);
        assert_eq!(services(&opts(d.path()))["b"], json!({"image": "x"}));
    }

    #[test]
    fn include_adds_services_with_their_own_env() {
        let d = project(&[
            (
                "compose.yaml",
                "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: a\n",
            ),
            (
                "sub/compose.yaml",
                "services:\n  db:\n    image: \"db:${DB_TAG}\"\n    env_file: db.env\n",
            ),
            ("sub/.env", "DB_TAG=16\n"),
            ("sub/db.env", "X=1\n"),
        ]);
        let s = services(&opts(d.path()));
        assert_eq!(s["db"]["image"], "db:16");
        assert_eq!(s["db"]["env_file"], "./sub/db.env");
        assert_eq!(s["web"]["image"], "a");
    }

    #[test]
    fn include_long_syntax_with_env_file() {
        let d = project(&[
            (
                "compose.yaml",
                "include:\n  - path: sub/compose.yaml\n    env_file: sub/other.env\nservices:\n  web:\n    image: a\n",
            ),
            ("sub/compose.yaml", "services:\n  db:\n    image: \"db:${DB_TAG}\"\n"),
            ("sub/other.env", "DB_TAG=15\n"),
        ]);
        assert_eq!(services(&opts(d.path()))["db"]["image"], "db:15");
    }

    #[test]
    fn include_name_conflict_is_error() {
        let d = project(&[
            (
                "compose.yaml",
                "include: [sub/compose.yaml]\nservices:\n  db:\n    image: a\n",
            ),
            ("sub/compose.yaml", "services:\n  db:\n    image: b\n"),
        ]);
        let e = err(&opts(d.path()));
        assert!(
            e.contains("services.db is defined here and also by the included file"),
            "{e}"
        );
    }

    #[test]
    fn include_outside_project_is_refused() {
        let d = project(&[
            (
                "p/compose.yaml",
                "include: [../other.yaml]\nservices:\n  a:\n    image: x\n",
            ),
            ("other.yaml", "services: {}\n"),
        ]);
        let e = err(&opts(&d.path().join("p")));
        assert!(e.contains("outside the project directory"), "{e}");
    }

    #[test]
    fn profiles_select_services() {
        let src =
            "services:\n  web:\n    image: a\n  debug:\n    image: b\n    profiles: [debug]\n";
        let d = project(&[("compose.yaml", src)]);
        let mut o = opts(d.path());
        assert!(services(&o).get("debug").is_none());
        o.profiles = vec!["debug".into()];
        assert!(services(&o).get("debug").is_some());
        o.profiles = vec!["*".into()];
        assert!(services(&o).get("debug").is_some());
        o.profiles = Vec::new();
        o.environment
            .insert("COMPOSE_PROFILES".into(), "other,debug".into());
        assert!(services(&o).get("debug").is_some());
    }

    #[test]
    fn active_service_depending_on_inactive_one_is_error() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    depends_on: [debug]\n  debug:\n    image: b\n    profiles: [debug]\n",
        )]);
        let e = err(&opts(d.path()));
        assert!(
            e.starts_with("compose.yaml:4:18: services.web.depends_on: `debug`"),
            "{e}"
        );
    }

    /// compose-go refuses a dependency on a service that does not exist, even an optional one;
    /// only a service that profiles left out may be named by an optional dependency.
    #[test]
    fn optional_dependency_on_a_missing_service_is_error() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    depends_on:\n      nope:\n        condition: service_started\n        required: false\n",
        )]);
        let e = crate::compose::load(&opts(d.path()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "compose.yaml:5:7: services.web.depends_on: `nope` is not a service of this project"
        );
    }

    #[test]
    fn optional_dependency_on_inactive_service_is_fine() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    depends_on:\n      debug:\n        condition: service_started\n        required: false\n  debug:\n    image: b\n    profiles: [debug]\n",
        )]);
        assert!(load(&opts(d.path())).is_ok());
        assert!(crate::compose::load(&opts(d.path())).is_ok());
    }

    #[test]
    fn unset_variable_gives_an_empty_string_never_null() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a${TAG}\n    platform: ${P}\n    environment:\n      FOO: ${UNSET}\n      BARE:\n",
        )]);
        let s = services(&opts(d.path()));
        assert_eq!(s["web"]["platform"], json!(""));
        assert_eq!(s["web"]["environment"]["FOO"], json!(""));
        // A name without a value is not the same: it is taken from the shell, or left out.
        assert_eq!(s["web"]["environment"]["BARE"], json!(null));
        let (project, _) = crate::compose::load(&opts(d.path())).unwrap();
        let env = &project.services["web"].environment;
        assert_eq!(env[0].value.as_deref(), Some(""));
        assert_eq!(env[1].value, None);
        assert!(project.services["web"].platform.is_none());
    }

    #[test]
    fn interpolated_strings_are_typed_where_compose_casts() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N:-3}\n    init: ${I:-true}\n    user: ${U:-1000}\n",
        )]);
        let s = services(&opts(d.path()));
        assert_eq!(s["web"]["deploy"]["replicas"], json!(3));
        assert_eq!(s["web"]["init"], json!(true));
        assert_eq!(s["web"]["user"], json!("1000"));
    }

    /// compose-go's `TestLoadWithInterpolationCastFull`: every value below is interpolated, so
    /// a string, and is read as the number or boolean compose expects there.
    #[test]
    fn compose_go_interpolation_cast_case() {
        let src = concat!(
            "services:\n  web:\n    image: busybox\n",
            "    configs:\n      - source: appconfig\n        mode: \"$theint\"\n",
            "    secrets:\n      - source: super\n        mode: \"$theint\"\n",
            "    healthcheck:\n      retries: ${theint}\n      disable: $thebool\n",
            "    deploy:\n      replicas: $theint\n",
            "      update_config:\n        parallelism: $theint\n        max_failure_ratio: $thefloat\n",
            "      rollback_config:\n        parallelism: $theint\n        max_failure_ratio: $thefloat\n",
            "      restart_policy:\n        max_attempts: $theint\n",
            "      placement:\n        max_replicas_per_node: $theint\n",
            "    ports:\n      - $theint\n      - \"34567\"\n      - target: $theint\n        published: \"$theint\"\n        x-foo-bar: true\n",
            "    ulimits:\n      nproc: $theint\n      nofile:\n        hard: $theint\n        soft: $theint\n",
            "    privileged: $thebool\n    read_only: $thebool\n    shm_size: ${thesize}\n",
            "    stop_grace_period: ${theduration}\n    stdin_open: ${thebool}\n    tty: $thebool\n",
            "    volumes:\n      - source: data\n        type: volume\n        target: /data\n        read_only: $thebool\n        volume:\n          nocopy: $thebool\n",
            "configs:\n  appconfig:\n    external: $thebool\n",
            "secrets:\n  super:\n    external: $thebool\n",
            "volumes:\n  data:\n    external: $thebool\n",
            "networks:\n  front:\n    external: $thebool\n    internal: $thebool\n    attachable: $thebool\n  back:\n",
        );
        let d = project(&[("compose.yaml", src)]);
        let mut o = opts(d.path());
        for (k, v) in [
            ("theint", "555"),
            ("thefloat", "2.5"),
            ("thebool", "true"),
            ("theduration", "60s"),
            ("thesize", "2gb"),
        ] {
            o.environment.insert(k.into(), v.into());
        }
        let l = load(&o).unwrap();
        let web = l.doc.get("services").unwrap().get("web").unwrap().to_json();
        assert_eq!(web["healthcheck"], json!({"retries": 555, "disable": true}));
        assert_eq!(web["deploy"]["replicas"], json!(555));
        assert_eq!(
            web["deploy"]["update_config"]["max_failure_ratio"],
            json!(2.5)
        );
        assert_eq!(
            web["deploy"]["placement"]["max_replicas_per_node"],
            json!(555)
        );
        assert_eq!(
            web["ports"],
            json!(["555", "34567", {"target": 555, "published": "555", "x-foo-bar": true}])
        );
        assert_eq!(
            web["ulimits"],
            json!({"nproc": 555, "nofile": {"hard": 555, "soft": 555}})
        );
        assert_eq!(web["volumes"][0]["read_only"], json!(true));
        assert_eq!(web["volumes"][0]["volume"]["nocopy"], json!(true));
        for k in ["privileged", "read_only", "stdin_open", "tty"] {
            assert_eq!(web[k], json!(true), "{k}");
        }
        // Not cast at loading: read by their own rules later.
        assert_eq!(web["shm_size"], json!("2gb"));
        assert_eq!(web["configs"][0]["mode"], json!("555"));
        let front = l
            .doc
            .get("networks")
            .unwrap()
            .get("front")
            .unwrap()
            .to_json();
        assert_eq!(
            front,
            json!({"external": true, "internal": true, "attachable": true})
        );
        // And the whole project reads.
        let (p, _) = crate::compose::load(&o).unwrap();
        let web = &p.services["web"];
        assert_eq!(web.replicas.as_ref().map(|r| r.value), Some(555));
        assert_eq!(web.configs[0].mode.as_ref().map(|m| m.value), Some(0o555));
        assert_eq!(
            web.stop_grace_period_ms.as_ref().map(|d| d.value),
            Some(60_000)
        );
    }

    #[test]
    fn an_empty_string_for_a_number_is_a_located_error() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    cpu_count: ${N}\n",
        )]);
        let e = crate::compose::load(&opts(d.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "compose.yaml:4:16: services.web.cpu_count: failed to cast to expected type"
            ),
            "{e}"
        );
    }

    /// compose's schema wants a container name to match `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, so an
    /// unset variable there is refused by docker compose too (after its warning).
    #[test]
    fn an_empty_container_name_is_refused_by_the_schema() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n    container_name: ${C}\n",
        )]);
        let e = crate::compose::load(&opts(d.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("compose.yaml:4:21: services.web.container_name: \"\" does not match"),
            "{e}"
        );
    }

    /// docker compose validates the whole file before it applies profiles.
    #[test]
    fn services_left_out_by_profiles_are_still_validated() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: a\n  debug:\n    image: b\n    profiles: [debug]\n    prots: ['80']\n    user: 1000\n",
        )]);
        let e = crate::compose::load(&opts(d.path()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "compose.yaml:7:5: services.debug.prots: unknown key `prots`; did you mean `ports`?\ncompose.yaml:8:11: services.debug.user: expected a string, found `1000`"
        );
    }

    #[test]
    fn unset_variable_is_warned_once() {
        let d = project(&[(
            "compose.yaml",
            "services:\n  web:\n    image: \"${X}a${X}\"\n    user: $X\n",
        )]);
        let mut report = Report::default();
        load_tree(&opts(d.path()), &mut report).unwrap();
        assert_eq!(report.entries.len(), 1);
        assert_eq!(
            report.entries[0].to_string(),
            "compose.yaml:3:12: warning: ${X}: The \"X\" variable is not set. Defaulting to a blank string."
        );
    }
}
