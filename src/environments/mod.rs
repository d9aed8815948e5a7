//! Environments: the project as it runs in one place (prod, staging), written as a kustomize
//! overlay over the base.
//!
//! An environment is a set of changes to the project: compose files merged over the base files
//! (`docker-compose.prod.yml`), env files that replace `.env` for its interpolation
//! (`.env.prod`), and the services' `x-ferry: {overlays: {<name>: …}}` settings. It is
//! converted by the same pipeline as the base ([`crate::convert`]); its overlay is the
//! difference of the two conversions' rendered objects ([`overlay`]), so the overlay gives,
//! object for object, what converting the environment's files would give. Nothing is written by
//! a second translator.
//!
//! Environments are declared under the top-level `x-ferry: {environments}` of the base files
//! (so that a bare `ferry convert` and `ferry convert --check` cover every one of them) or on
//! the command line (`--overlay NAME=FILE,…`, `--overlay-env-file NAME=FILE`).

pub mod overlay;
pub mod settings;

use crate::compose::{LoadOptions, Project};
use crate::error::{Error, Location, Report, Result, Severity};
use crate::paths::PathProblem;
use crate::render::{self, RenderOptions, Tree, BASE_DIR};
use crate::translate::TranslateOptions;
use crate::Conversion;
use std::path::{Path, PathBuf};

/// An environment asked for on the command line: `--overlay NAME[=FILE,…]` and
/// `--overlay-env-file NAME=FILE`. Paths are relative to the working directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requested {
    pub name: String,
    pub files: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
}

/// Parse `--overlay NAME` or `--overlay NAME=FILE[,FILE…]`.
pub fn parse_overlay_flag(arg: &str) -> std::result::Result<Requested, String> {
    let (name, files) = match arg.split_once('=') {
        Some((name, files)) => (name, files),
        None => (arg, ""),
    };
    check_name(name)?;
    let files: Vec<PathBuf> = files
        .split(',')
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .collect();
    if arg.contains('=') && files.is_empty() {
        return Err(format!(
            "`{arg}`: name the compose files after `=` (NAME=FILE[,FILE…])"
        ));
    }
    Ok(Requested {
        name: name.to_string(),
        files,
        env_files: Vec::new(),
    })
}

/// Parse `--overlay-env-file NAME=FILE`.
pub fn parse_env_file_flag(arg: &str) -> std::result::Result<(String, PathBuf), String> {
    let Some((name, file)) = arg.split_once('=').filter(|(_, f)| !f.is_empty()) else {
        return Err(format!("`{arg}`: expected NAME=FILE"));
    };
    check_name(name)?;
    Ok((name.to_string(), PathBuf::from(file)))
}

fn check_name(name: &str) -> std::result::Result<(), String> {
    if crate::names::is_environment_name(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid environment name: lower case letters, digits and `-`, at most 63 characters (it becomes a directory name)"
        ))
    }
}

/// The command line's environments: `--overlay` flags, with the env files of
/// `--overlay-env-file` joined to the environment they name (a name no `--overlay` gives is an
/// environment of its own, with the base's compose files).
pub fn requested(overlays: &[Requested], env_files: &[(String, PathBuf)]) -> Vec<Requested> {
    let mut out: Vec<Requested> = Vec::new();
    for r in overlays {
        match out.iter_mut().find(|o| o.name == r.name) {
            Some(o) => o.files.extend(r.files.iter().cloned()),
            None => out.push(r.clone()),
        }
    }
    for (name, file) in env_files {
        match out.iter_mut().find(|o| &o.name == name) {
            Some(o) => o.env_files.push(file.clone()),
            None => out.push(Requested {
                name: name.clone(),
                files: Vec::new(),
                env_files: vec![file.clone()],
            }),
        }
    }
    out
}

/// An environment to convert, its paths resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Compose files merged over the base files, in order.
    pub files: Vec<PathBuf>,
    /// Env files read instead of the base's `.env` (or `--env-file`); empty: the base's.
    pub env_files: Vec<PathBuf>,
    /// Whether it has env files of its own, found or not: its variables may then differ from
    /// the base's even where no file is at hand (see [`overlay`]).
    pub own_env: bool,
    /// Where `x-ferry: {environments}` declares it; `None` for the command line.
    pub loc: Option<Location>,
}

/// Every environment of the project: those declared under `x-ferry: {environments}`, then those
/// of the command line (which replace the declared files or env files of one of the same name).
pub fn resolve(
    project: &Project,
    requested: &[Requested],
    working_dir: &Path,
    report: &mut Report,
) -> Result<Vec<Environment>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for decl in &project.top.ferry.environments {
        let path = format!("x-ferry.environments.{}", decl.name.value);
        let mut env = Environment {
            name: decl.name.value.clone(),
            files: Vec::new(),
            env_files: Vec::new(),
            own_env: !decl.env_files.is_empty(),
            loc: Some(decl.name.loc.clone()),
        };
        for f in &decl.files {
            match project.resolve(&f.value) {
                Ok(p) => env.files.push(p),
                Err(problem) => errors.push(Error::invalid(
                    &f.loc,
                    format!(
                        "{path}: the compose file `{}` {}",
                        f.value,
                        described(&problem)
                    ),
                )),
            }
        }
        for f in &decl.env_files {
            match project.resolve(&f.value) {
                Ok(p) => env.env_files.push(p),
                // Env files often hold secrets and stay out of git: without one, the
                // environment's variables are unset, as the base's are without `.env`.
                Err(PathProblem::Missing) => report.warn(
                    Some(&f.loc),
                    format!("{path}.envFile"),
                    format!(
                        "`{}` is not here: the environment `{}` reads no env file, so its variables are unset (its secret values are left to the files under overlays/{}/secrets/)",
                        f.value, decl.name.value, decl.name.value
                    ),
                ),
                Err(problem) => errors.push(Error::invalid(
                    &f.loc,
                    format!("{path}.envFile: `{}` {}", f.value, described(&problem)),
                )),
            }
        }
        out.push(env);
    }
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    for r in requested {
        let files = existing(working_dir, &r.files, "compose file")?;
        let env_files = existing(working_dir, &r.env_files, "env file")?;
        match out.iter_mut().find(|e| e.name == r.name) {
            Some(e) => {
                if !files.is_empty() {
                    e.files = files;
                }
                if !env_files.is_empty() {
                    e.env_files = env_files;
                    e.own_env = true;
                }
            }
            None => out.push(Environment {
                name: r.name.clone(),
                files,
                own_env: !env_files.is_empty(),
                env_files,
                loc: None,
            }),
        }
    }
    Ok(out)
}

fn described(problem: &PathProblem) -> String {
    match problem {
        PathProblem::Missing => "does not exist".to_string(),
        other => other.to_string(),
    }
}

/// Paths given on the command line, which must exist.
fn existing(working_dir: &Path, paths: &[PathBuf], what: &str) -> Result<Vec<PathBuf>> {
    paths
        .iter()
        .map(|p| {
            let abs = working_dir.join(p);
            if abs.is_file() {
                Ok(abs)
            } else {
                Err(Error::Usage(format!("{what} {} not found", p.display())))
            }
        })
        .collect()
}

/// The base files without the override file that discovery added, when an environment names
/// that file: `compose.override.yaml` is then that environment's, not every environment's.
/// `None` when the base stays as it was read.
pub fn base_without_override(project: &Project, envs: &[Environment]) -> Option<Vec<PathBuf>> {
    let over = project.discovered_override.as_ref()?;
    let same = |p: &PathBuf| p.canonicalize().ok() == over.canonicalize().ok();
    envs.iter()
        .any(|e| e.files.iter().any(same))
        .then(|| project.paths.iter().filter(|p| !same(p)).cloned().collect())
}

/// How to load an environment: the base files, then its own; its env files in place of the
/// base's; the same project directory, so that relative paths and `.env` mean the same.
pub fn load_options(base: &LoadOptions, project: &Project, env: &Environment) -> LoadOptions {
    let mut opts = base.clone();
    opts.files = project.paths.clone();
    opts.files.extend(env.files.iter().cloned());
    opts.project_directory = Some(project.dir.clone());
    if env.own_env {
        opts.env_files = env.env_files.clone();
        // Declared but not here: no `.env` either, as the warning says.
        opts.no_dotenv = env.env_files.is_empty();
    }
    opts
}

/// An environment as written: where its overlay is and what it changes.
#[derive(Debug, Clone)]
pub struct Written {
    pub name: String,
    /// The compose files it merges over the base files, as the headers name them.
    pub files: Vec<String>,
    /// What it changes, field by field, as the review summary says it
    /// (`Deployment/web image example/web:1.4 → example/web:1.4.2`).
    pub described: Vec<String>,
}

/// [`crate::convert`]: the base, and each environment as an overlay over it.
pub fn convert(
    load: &LoadOptions,
    opts: &TranslateOptions,
    render_opts: &RenderOptions,
) -> Result<Conversion> {
    let mut base = crate::convert_one(load, opts, render_opts, None)?;
    if render_opts.no_environments {
        for decl in &base.project.top.ferry.environments {
            base.report.ignored(
                Some(&decl.name.loc),
                format!("x-ferry.environments.{}", decl.name.value),
                "not written (--no-environments)",
            );
        }
        return Ok(base);
    }
    let mut found = Report::default();
    let envs = resolve(
        &base.project,
        &render_opts.environments,
        &load.working_dir,
        &mut found,
    )?;
    report_unwritten_settings(&base.project, &envs, &mut found)?;
    if let Some(name) = &render_opts.environment {
        return alone(load, opts, render_opts, &base.project, &envs, name);
    }
    if envs.is_empty() {
        base.report.extend(found);
        return Ok(base);
    }
    if let Some(files) = base_without_override(&base.project, &envs) {
        let mut without = load.clone();
        without.files = files;
        base = crate::convert_one(&without, opts, render_opts, None)?;
    }
    base.report.extend(found);
    if render_opts.helm.is_some() {
        return with_values_files(base, &envs, load, opts, render_opts);
    }
    let mut overlays = Tree::default();
    let templates = render::templates::load(render_opts.templates_dir.as_deref())?;
    let base_objects = overlay::objects(&base.tree)?;
    for env in &envs {
        let load_env = load_options(load, &base.project, env);
        let conv = crate::convert_one(&load_env, opts, render_opts, Some(&env.name))?;
        let header = render::header(&render::header_source(&conv.project));
        let env_objects = overlay::objects(&conv.tree)?;
        let made = overlay::difference(
            side(&base, &base_objects),
            side(&conv, &env_objects),
            env.own_env,
            &header,
        )?;
        let text = render::overlay::kustomization(
            &templates,
            &header,
            &env.name,
            &conv.project.name,
            &made.kustomization,
        )?;
        let dir = format!("overlays/{}", env.name);
        for mut f in made.sealed {
            f.path = format!("{dir}/{}", f.path);
            f.header = header.clone();
            overlays.sealed.push(f);
        }
        for (path, bytes) in made.files {
            if made.sensitive.contains(&path) {
                overlays.sensitive.insert(format!("{dir}/{path}"));
            }
            overlays.files.insert(format!("{dir}/{path}"), bytes);
        }
        overlays.files.insert(
            format!("{dir}/{}", render::KUSTOMIZATION),
            text.into_bytes(),
        );
        merge_report(&mut base.report, conv.report, &env.name);
        let described = in_words(&base_objects, &env_objects, &made.changes);
        base.environments.push(Written {
            name: env.name.clone(),
            files: env_files_shown(&base.project, &conv.project),
            described,
        });
    }
    let mut tree = under(BASE_DIR, std::mem::take(&mut base.tree));
    tree.files.append(&mut overlays.files);
    tree.sensitive.append(&mut overlays.sensitive);
    tree.sealed.append(&mut overlays.sealed);
    tree.sealed.sort_by(|a, b| a.path.cmp(&b.path));
    base.tree = tree;
    report_written(&envs, &base.environments, &mut base.report);
    base.report.sort();
    Ok(base)
}

/// What each environment became, in the report: where its overlay is, what it is made of, and
/// what it changes object by object.
fn report_written(envs: &[Environment], written: &[Written], report: &mut Report) {
    for (env, w) in envs.iter().zip(written) {
        let mut from: Vec<String> = w.files.clone();
        from.extend(
            env.env_files
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
        );
        let from = match from.is_empty() {
            true => "its x-ferry overlays settings".to_string(),
            false => from.join(", "),
        };
        const MAX: usize = 20;
        let mut what = w.described[..w.described.len().min(MAX)].join("; ");
        match w.described.len() {
            0 => what = "no change to the base".into(),
            n if n > MAX => what.push_str(&format!("; and {} more", n - MAX)),
            _ => {}
        }
        let key = match env.loc {
            Some(_) => format!("x-ferry.environments.{}", env.name),
            None => format!("--overlay {}", env.name),
        };
        report.converted(
            env.loc.as_ref(),
            key,
            format!("overlays/{}/ from {from}: {what}", env.name),
        );
    }
}

/// What an environment changes, in the words of the review summary ([`crate::review`]): the
/// objects of the two trees compared field by field, and the Secrets its overlay generates.
fn in_words(
    base: &overlay::Objects,
    env: &overlay::Objects,
    changes: &[overlay::Change],
) -> Vec<String> {
    use crate::review::{compare, text};
    // In the order of their files, as the review lists them.
    let objects = |objects: &overlay::Objects| -> Vec<compare::Object> {
        let mut listed: Vec<&overlay::Object> = objects.values().collect();
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        listed
            .into_iter()
            .map(|o| compare::Object::from_document(o.value.clone(), &o.path, 0))
            .collect()
    };
    let mut out = Vec::new();
    for o in compare::compare(None, &objects(base), &objects(env)).objects {
        if o.fields.is_empty() {
            let sign = match o.change {
                compare::Change::Added => "+",
                compare::Change::Removed => "−",
                compare::Change::Changed => "~",
            };
            out.push(format!("{sign} {}", o.id));
        }
        for f in &o.fields {
            let words: Vec<String> = text::describe(f)
                .into_iter()
                .map(|p| match p {
                    text::Part::Word(w) | text::Part::Value(w) => w,
                })
                .collect();
            out.push(format!("{} {} {}", o.id, f.field, words.join(" ")));
        }
    }
    // Secrets kustomize generates or SOPS encrypts are not in the trees' files.
    out.extend(
        changes
            .iter()
            .filter(|c| matches!(c, overlay::Change::Generated(..)))
            .map(overlay::Change::to_string),
    );
    out
}

/// What a conversion rendered, for the comparison.
fn side<'a>(c: &'a Conversion, objects: &'a overlay::Objects) -> overlay::Side<'a> {
    overlay::Side {
        tree: &c.tree,
        objects,
        generators: &c.secret_generators,
        namespace: c.namespace.as_deref(),
    }
}

/// `--helm`: each environment's `values-<name>.yaml` beside the base chart's `values.yaml`.
fn with_values_files(
    mut base: Conversion,
    envs: &[Environment],
    load: &LoadOptions,
    opts: &TranslateOptions,
    render_opts: &RenderOptions,
) -> Result<Conversion> {
    let mut converted = Vec::new();
    for env in envs {
        let mut conv = crate::convert_one(
            &load_options(load, &base.project, env),
            opts,
            render_opts,
            Some(&env.name),
        )?;
        merge_report(
            &mut base.report,
            std::mem::take(&mut conv.report),
            &env.name,
        );
        if env.own_env && !base.tree.sealed.is_empty() {
            // `--env-secrets sops`: the chart's one encrypted file holds the base's values.
            base.report.not_converted(
                env.loc.as_ref(),
                format!("environments.{}", env.name),
                format!(
                    "values-{0}.yaml cannot hold the values of its env file's secrets: the chart's SOPS-encrypted secrets file holds the base's; install `{0}` with the one `ferry convert --helm --environment {0}` writes",
                    env.name
                ),
            );
        }
        converted.push((env, conv));
    }
    let charts: Vec<render::helm_values::Environment<'_>> = converted
        .iter()
        .filter_map(|(env, conv)| {
            Some(render::helm_values::Environment {
                name: &env.name,
                loc: env.loc.as_ref(),
                tree: &conv.tree,
                chart: conv.chart.as_ref()?,
                renamed: (conv.project.name != base.project.name)
                    .then_some(conv.project.name.as_str()),
                own_secrets: own_secrets(&base, conv, env.own_env),
            })
        })
        .collect();
    let Some(chart) = base.chart.as_mut() else {
        return Ok(base);
    };
    render::helm_values::environments(&mut base.tree, chart, &charts, &mut base.report);
    for (env, conv) in &converted {
        base.environments.push(Written {
            name: env.name.clone(),
            files: env_files_shown(&base.project, &conv.project),
            described: Vec::new(),
        });
    }
    base.report.sort();
    Ok(base)
}

/// The Secrets an environment makes of its own values: generators by
/// [`overlay::own_secret`]'s rule, and Secret objects (values written in a compose file) whose
/// values differ.
fn own_secrets(base: &Conversion, env: &Conversion, own_env: bool) -> Vec<String> {
    let mut out: Vec<String> = env
        .secret_generators
        .iter()
        .filter(|g| {
            let b = base.secret_generators.iter().find(|b| b.name == g.name);
            b.is_some() && overlay::own_secret(b, g, own_env)
        })
        .map(|g| g.name.clone())
        .collect();
    // A Secret object's values are in files/<name>.<key> of the chart, read from the compose
    // file: the same on every machine.
    let generated = |p: &str| {
        env.secret_generators.iter().any(|g| {
            g.files.iter().any(|(_, f)| {
                let rel = f.strip_prefix(crate::translate::SECRETS_DIR).unwrap_or(f);
                p.strip_prefix(render::helm::FILES_DIR) == Some(rel)
            })
        })
    };
    for path in env.tree.sensitive.iter().filter(|p| !generated(p)) {
        if let (Some(mine), Some(theirs)) = (base.tree.files.get(path), env.tree.files.get(path)) {
            let name = path
                .trim_start_matches("files/")
                .split_once('.')
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            if mine != theirs && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The compose files an environment adds to the base's, as headers name them.
fn env_files_shown(base: &Project, env: &Project) -> Vec<String> {
    env.files[base.files.len().min(env.files.len())..]
        .iter()
        .map(|f| f.to_string())
        .collect()
}

/// `--environment NAME`: that environment converted by itself.
fn alone(
    load: &LoadOptions,
    opts: &TranslateOptions,
    render_opts: &RenderOptions,
    project: &Project,
    envs: &[Environment],
    name: &str,
) -> Result<Conversion> {
    let Some(env) = envs.iter().find(|e| e.name == name) else {
        let known: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "--environment {name}: the project has no environment `{name}` ({}); declare it under the top-level `x-ferry: {{environments}}` or with --overlay {name}=FILE",
            if known.is_empty() {
                "it declares none".to_string()
            } else {
                format!("it has {}", known.join(", "))
            }
        )));
    };
    // The base files as an environment sees them: without an override file it names.
    let mut project = project.clone();
    if let Some(files) = base_without_override(&project, envs) {
        project.paths = files;
    }
    crate::convert_one(
        &load_options(load, &project, env),
        opts,
        render_opts,
        Some(name),
    )
}

/// The tree with every path under `dir/` (the base, beside `overlays/`: kustomize refuses a
/// base that holds its overlays).
fn under(dir: &str, tree: Tree) -> Tree {
    let moved = |p: String| format!("{dir}/{p}");
    Tree {
        files: tree.files.into_iter().map(|(p, b)| (moved(p), b)).collect(),
        apply_order: tree.apply_order.into_iter().map(moved).collect(),
        sensitive: tree.sensitive.into_iter().map(moved).collect(),
        stream_secrets: tree.stream_secrets,
        sealed: tree
            .sealed
            .into_iter()
            .map(|mut f| {
                f.path = moved(f.path);
                f
            })
            .collect(),
    }
}

/// Warnings and unconverted keys of an environment that the base's report does not already
/// hold (a key of its own files, a value it changes), each saying which environment.
fn merge_report(base: &mut Report, env: Report, name: &str) {
    for mut d in env.entries {
        if d.severity == Severity::Converted || base.entries.contains(&d) {
            continue;
        }
        d.message = format!("in environment `{name}`: {}", d.message).into();
        if !base.entries.contains(&d) {
            base.entries.push(d);
        }
    }
}

/// A service's `x-ferry: {overlays: {NAME: …}}` for an environment that is not written.
fn report_unwritten_settings(
    project: &Project,
    envs: &[Environment],
    report: &mut Report,
) -> Result<()> {
    for (service, name, loc) in settings::named(project)? {
        if !envs.iter().any(|e| e.name == name) {
            report.warn(
                Some(&loc),
                format!("services.{service}.x-ferry.overlays.{name}"),
                format!(
                    "the environment `{name}` is not written: declare it under the top-level `x-ferry: {{environments: {{{name}: …}}}}`, or ask for it with --overlay {name}"
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_flags() {
        assert_eq!(
            parse_overlay_flag("prod").unwrap(),
            Requested {
                name: "prod".into(),
                ..Requested::default()
            }
        );
        let r = parse_overlay_flag("prod=compose.prod.yaml,extra.yaml").unwrap();
        assert_eq!(
            r.files,
            [
                PathBuf::from("compose.prod.yaml"),
                PathBuf::from("extra.yaml")
            ]
        );
        assert!(parse_overlay_flag("Prod=x.yaml").is_err());
        assert!(parse_overlay_flag("../x").is_err());
        assert!(parse_overlay_flag("prod=").is_err());
        assert_eq!(
            parse_env_file_flag("prod=.env.prod").unwrap(),
            ("prod".into(), PathBuf::from(".env.prod"))
        );
        assert!(parse_env_file_flag("prod").is_err());
    }

    #[test]
    fn env_files_join_their_overlay() {
        let got = requested(
            &[
                parse_overlay_flag("prod=a.yaml").unwrap(),
                parse_overlay_flag("dev").unwrap(),
            ],
            &[
                ("prod".into(), ".env.prod".into()),
                ("qa".into(), ".env.qa".into()),
            ],
        );
        let names: Vec<&str> = got.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["prod", "dev", "qa"]);
        assert_eq!(got[0].env_files, [PathBuf::from(".env.prod")]);
        assert!(got[1].env_files.is_empty());
    }
}
