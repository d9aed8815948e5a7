//! Load: compose files (+ `.env`) to one canonical [`Project`].

pub mod config;
pub mod dotenv;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod ports;
pub mod schema;
pub mod shellwords;
pub mod typecast;
pub mod units;
pub mod validate;
pub mod volumes;
pub mod xferry;

pub use model::*;

use crate::error::{Error, Location, Report, Result};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file names docker compose looks for, in its order of preference.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The largest compose, `.env` or env file ferry reads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How to find and read a project (the flags docker compose takes for the same purpose).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Compose files (`-f`); `-` reads `stdin`. Empty: `COMPOSE_FILE`, else the default names in
    /// `working_dir` or its parents, with the override file.
    pub files: Vec<PathBuf>,
    /// The content of standard input, for a file named `-`.
    pub stdin: Option<String>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`: where `.env` is read and relative paths start.
    pub project_directory: Option<PathBuf>,
    /// `--env-file` (repeatable, later wins); replaces the project's `.env`.
    pub env_files: Vec<PathBuf>,
    /// Read no `.env` even when `env_files` is empty: an environment whose own env files are
    /// not at hand (`src/environments`).
    pub no_dotenv: bool,
    /// `--profile` (repeatable); empty: `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// Where relative paths on the command line start.
    pub working_dir: PathBuf,
    /// Where files the project names (env files, `include`, `extends.file`, bind-mounted files)
    /// may be read from.
    pub reach: crate::paths::Reach,
    /// Keys the Compose Specification does not define are warnings instead of errors
    /// (`--allow-unknown-keys`; docker compose refuses them).
    pub allow_unknown_keys: bool,
    /// The process environment (passed in, so the library never reads it behind the caller's back).
    pub environment: IndexMap<String, String>,
    /// Where each compose file read was read from, for showing the lines errors point at.
    pub sources: crate::sources::Sources,
}

/// Read a whole file as UTF-8, within the size limit, with a message that says which file.
pub fn read_text(path: &Path, shown: &str) -> Result<String> {
    let meta =
        std::fs::metadata(path).map_err(|e| Error::io(path, format!("cannot read {shown}"), e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(
            &Location::file(Arc::from(shown)),
            format!(
                "the file is {} bytes; ferry reads files of at most {MAX_FILE_BYTES} bytes",
                meta.len()
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(path, format!("cannot read {shown}"), e))?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::invalid(
            &Location::new(Arc::from(shown), line as u32, col as u32),
            "the file is not valid UTF-8 text",
        )
    })
}

/// Turn a directory name into a project name as docker compose does: lower case, only
/// `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
pub fn normalize_project_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    lower.trim_start_matches(['-', '_']).to_string()
}

fn valid_project_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Shown name of a file: relative to the working directory when inside it.
fn shown_name(path: &Path, working_dir: &Path) -> String {
    path.strip_prefix(working_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Load a project: find and read its files, apply `.env` and interpolation, merge, and read the
/// result into the canonical model. Warnings go into the returned [`Report`].
pub fn load(opts: &LoadOptions) -> Result<(Project, Report)> {
    let (_, project, report) = load_all(opts)?;
    Ok((project, report))
}

/// Like [`load`], and also return the merged tree (for `ferry config`).
pub fn load_all(opts: &LoadOptions) -> Result<(load::Loaded, Project, Report)> {
    let mut report = Report::default();
    let loaded = load::load_tree(opts, &mut report)?;
    // The schema check needs only the merged tree: it runs on a second thread while the model
    // is read (in turn when no thread can start). Its findings are explained after the
    // readers', as if it ran after them.
    let project = std::thread::scope(|scope| {
        let (doc, left_out) = (&loaded.doc, &loaded.left_out);
        let found =
            crate::beside::start(scope, "ferry-schema", move || schema::check(doc, left_out));
        build_project(&loaded, opts, found, &mut report)
    })?;
    Ok((loaded, project, report))
}

/// Read the merged tree into the canonical model.
fn build_project(
    loaded: &load::Loaded,
    opts: &LoadOptions,
    schema_found: impl FnOnce() -> schema::Found,
    report: &mut Report,
) -> Result<Project> {
    let load::Loaded {
        doc,
        dir,
        vars,
        files: shown_files,
        name,
        cast_errors,
        ..
    } = loaded;
    let dir = dir.clone();
    let name_given = name.given;
    let lookup = |k: &str| vars.get(k).cloned();
    let no_keys = crate::yaml::Map::default();
    let top = doc.as_map().unwrap_or(&no_keys);

    let mut reader = parse::Reader {
        errors: Vec::new(),
        report,
        allow_unknown_keys: opts.allow_unknown_keys,
    };
    // The name was settled before interpolation (`load::project_name`); a given one is used
    // as written and must be valid, a found one is normalised.
    let name = name.value.clone();
    if let Some(e) = top.get("name") {
        // Only its type is checked here.
        reader.string(&e.value, "name");
    }
    if name_given && !valid_project_name(&name) {
        return Err(Error::Usage(format!(
            "project name `{name}` must contain only lowercase letters, digits, `-` and `_`, and start with a letter or digit"
        )));
    }
    if name.is_empty() && reader.errors.is_empty() {
        return Err(Error::Usage(format!(
            "cannot make a project name from the directory {}; give one with -p NAME",
            dir.display()
        )));
    }

    let mut project = Project {
        name,
        dir: dir.clone(),
        files: shown_files.clone(),
        paths: loaded.paths.clone(),
        discovered_override: loaded.discovered_override.clone(),
        services: IndexMap::new(),
        providers: IndexMap::new(),
        volumes: IndexMap::new(),
        unconverted: Vec::new(),
        reach: opts.reach,
        edge: loaded.edge.clone(),
        top: TopLevel::default(),
        unset_variables: Default::default(),
    };

    let svc_ctx = parse::ServiceContext {
        lookup: &lookup,
        sources: Some(&loaded.sources),
        scoped: Some(&loaded.scoped_env),
    };
    for (key, entry) in top {
        match key.as_str() {
            "name" => {}
            "version" => reader.report.warn(
                Some(&entry.key_loc),
                "version",
                "the `version` key is obsolete and ignored (as docker compose does)",
            ),
            "services" => {
                if entry.value.is_null() {
                    continue;
                }
                if let Some(m) = reader.map(&entry.value, "services") {
                    // A service is large (about 3 KB before what it holds): a map that grows
                    // by doubling held twice the room, and both copies while it grew.
                    project.services.reserve_exact(m.len());
                    for (sname, sentry) in m {
                        if let Some(svc) = parse::read_service(
                            &mut reader,
                            sname,
                            &sentry.key_loc,
                            &sentry.value,
                            &svc_ctx,
                        ) {
                            if svc.provider.is_some() {
                                project.providers.insert(sname.clone(), svc);
                            } else {
                                project.services.insert(sname.clone(), svc);
                            }
                        }
                    }
                }
            }
            "volumes" => {
                if entry.value.is_null() {
                    continue;
                }
                if let Some(m) = reader.map(&entry.value, "volumes") {
                    project.volumes.reserve_exact(m.len());
                    for (vname, ventry) in m {
                        let def =
                            parse::read_volume(&mut reader, vname, &ventry.key_loc, &ventry.value);
                        project.volumes.insert(vname.clone(), def);
                    }
                }
            }
            "secrets" | "configs" | "networks" | "models" | "x-ferry" => {
                parse::read_top_level(&mut reader, key, &entry.value, &mut project.top, &svc_ctx)
            }
            k if k.starts_with("x-") => {}
            k if parse::TOP_LEVEL_KEYS.contains(&k) => project
                .unconverted
                .push((k.to_string(), entry.key_loc.clone())),
            k => reader.unknown(&entry.key_loc, "", k, parse::TOP_LEVEL_KEYS),
        }
    }
    for e in cast_errors {
        let reported = |loc: &Location| {
            reader
                .errors
                .iter()
                .any(|r| matches!(r, Error::Invalid { location, .. } if location == loc))
        };
        if let Error::Invalid {
            location,
            message,
            detail,
        } = e
        {
            if !reported(location) {
                reader.errors.push(Error::Invalid {
                    location: location.clone(),
                    message: message.clone(),
                    detail: detail.clone(),
                });
            }
        }
    }
    reader.errors.extend(validate::check(doc));
    check_references(&project, &loaded.left_out, &mut reader.errors);
    if reader.errors.is_empty() {
        // The readers give the friendlier message for the keys they read; the schema checks
        // everything else.
        let schema_errors = schema::explain(
            doc,
            &loaded.left_out,
            schema_found(),
            reader.report,
            opts.allow_unknown_keys,
        );
        reader.errors.extend(schema_errors);
    }
    for svc in project.services.values_mut() {
        read_label_files(
            opts.reach,
            &loaded.edge,
            &dir,
            &opts.working_dir,
            svc,
            &mut reader.errors,
        );
        read_env_files(
            opts.reach,
            &loaded.edge,
            &dir,
            &opts.working_dir,
            svc,
            &lookup,
            &mut reader.errors,
        );
    }
    if let Some(e) = Error::from_many(reader.errors) {
        return Err(e);
    }
    // The variables environment values are made from that are not set here (no `.env` in CI):
    // such a value is not the real one, and an encrypted Secret keeps what it holds.
    project.unset_variables = project
        .services
        .values()
        .flat_map(|s| s.environment.iter().flat_map(|e| &e.sources))
        .filter(|v| !vars.contains_key(v.as_str()))
        .cloned()
        .collect();
    Ok(project)
}

/// Cross-checks docker compose makes once the model is read.
/// A reference already explained at the same place (by [`validate::check`], say for a
/// dependency implied by `network_mode: service:X`) is not reported twice.
fn check_references(project: &Project, left_out: &crate::yaml::Map, errors: &mut Vec<Error>) {
    let mut found = Vec::new();
    for svc in project.services.values().chain(project.providers.values()) {
        // Links and dependencies must name services of the project (docker compose refuses the
        // project otherwise); only an optional dependency may name a service that profiles left
        // out (a required one is refused when profiles are applied).
        let undefined = |name: &str| {
            !project.services.contains_key(name) && !project.providers.contains_key(name)
        };
        for l in svc.links.iter().filter(|l| undefined(&l.service)) {
            found.push(Error::invalid(
                &l.loc,
                format!(
                    "services.{}.links: links to `{}`, which is not a service of this project",
                    svc.name, l.service
                ),
            ));
        }
        for vf in &svc.volumes_from {
            if let Some(other) = vf.service.as_deref().filter(|s| undefined(s)) {
                errors.push(Error::invalid(
                    &vf.loc,
                    format!(
                        "services.{}.volumes_from: `{other}` is not a service of this project (a container outside it is written `container:{other}`)",
                        svc.name
                    ),
                ));
            }
        }
        for d in svc
            .depends_on
            .iter()
            .filter(|d| undefined(&d.service) && !left_out.contains_key(&d.service))
        {
            found.push(Error::invalid(
                &d.loc,
                format!(
                    "services.{}.depends_on: `{}` is not a service of this project",
                    svc.name, d.service
                ),
            ));
        }
        if svc.image.is_none() && svc.build.is_none() && svc.provider.is_none() {
            found.push(Error::invalid(
                &svc.loc,
                format!("services.{}: has neither `image` nor `build`; docker compose cannot run it either", svc.name),
            ));
        }
        for m in &svc.volumes {
            if m.kind != MountKind::Volume {
                continue;
            }
            if let Some(src) = &m.source {
                if !project.volumes.contains_key(src) {
                    found.push(Error::invalid(
                        &m.loc,
                        format!(
                            "services.{}.volumes: refers to the volume `{src}`, which is not declared under the top-level `volumes:`",
                            svc.name
                        ),
                    ));
                }
            }
        }
    }
    let explained = |e: &Error| matches!(e, Error::Invalid { location, .. } if errors.iter().any(|o| matches!(o, Error::Invalid { location: l, .. } if l == location)));
    let found: Vec<Error> = found.into_iter().filter(|e| !explained(e)).collect();
    errors.extend(found);
}

/// Read a service's `label_file`s into its labels, as compose does: each file in dotenv form
/// (a `${X}` there names a label of an earlier line or file), later files over earlier ones, and
/// the service's own `labels` over all of them. A missing file is an error.
fn read_label_files(
    reach: crate::paths::Reach,
    edge: &crate::paths::Edge,
    dir: &Path,
    working_dir: &Path,
    svc: &mut Service,
    errors: &mut Vec<Error>,
) {
    if svc.label_files.is_empty() {
        return;
    }
    let mut labels: Vec<KeyValue> = Vec::new();
    for lf in &svc.label_files {
        let path = match crate::paths::resolve(edge, dir, &lf.value, reach) {
            Ok(p) => p,
            Err(problem) => {
                errors.push(Error::invalid(
                    &lf.loc,
                    format!("services.{}.label_file: `{}` {problem}", svc.name, lf.value),
                ));
                continue;
            }
        };
        let shown = shown_name(&path, working_dir);
        let text = match read_text(&path, &shown) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let file = Arc::<str>::from(shown.as_str());
        let known: IndexMap<String, String> = labels
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        match dotenv::parse(&text, &|k: &str| known.get(k).cloned()) {
            Ok(entries) => {
                for e in entries {
                    let kv = KeyValue {
                        key: e.key,
                        value: e.value,
                        loc: Location::new(file.clone(), e.line as u32, 1),
                    };
                    match labels.iter_mut().find(|l| l.key == kv.key) {
                        Some(l) => *l = kv,
                        None => labels.push(kv),
                    }
                }
            }
            Err(e) => errors.push(Error::invalid(
                &Location::new(file.clone(), e.line as u32, e.column as u32),
                e.message,
            )),
        }
    }
    for kv in std::mem::take(&mut svc.labels) {
        match labels.iter_mut().find(|l| l.key == kv.key) {
            Some(l) => *l = kv,
            None => labels.push(kv),
        }
    }
    svc.labels = labels;
}

/// Read each service's `env_file`s (inside the project directory only).
fn read_env_files(
    reach: crate::paths::Reach,
    edge: &crate::paths::Edge,
    dir: &Path,
    working_dir: &Path,
    svc: &mut Service,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Error>,
) {
    for ef in &mut svc.env_files {
        let at = &ef.path.loc;
        let path = match crate::paths::resolve(edge, dir, &ef.path.value, reach) {
            Ok(p) => p,
            Err(crate::paths::PathProblem::Missing) if !ef.required => continue,
            Err(problem) => {
                errors.push(Error::invalid(
                    at,
                    format!(
                        "services.{}.env_file: `{}` {problem}",
                        svc.name, ef.path.value
                    ),
                ));
                continue;
            }
        };
        let shown = shown_name(&path, working_dir);
        let text = match read_text(&path, &shown) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let parsed = if ef.raw {
            dotenv::parse_raw_with_lookup(&text, lookup)
        } else {
            dotenv::parse(&text, lookup)
        };
        match parsed {
            Ok(entries) => ef.entries = entries.into_iter().map(|e| (e.key, e.value)).collect(),
            Err(e) => errors.push(Error::invalid(
                &Location::new(Arc::from(shown.as_str()), e.line as u32, e.column as u32),
                e.message,
            )),
        }
    }
}
