//! The command line: the only place that prints or picks an exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::{Args, Parser, Subcommand};
use ferry::compose::LoadOptions;
use ferry::error::Severity;
use ferry::render::RenderOptions;
use ferry::translate::TranslateOptions;
use ferry::Error;
use std::io::Write;
use std::path::PathBuf;

/// Exit codes, as documented in the README.
pub const EXIT_OK: i32 = 0;
pub const EXIT_CONVERSION: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// Convert Docker Compose projects into kustomize-ready Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert a compose project into Kubernetes manifests (a kustomize directory, or one
    /// YAML stream with --stdout).
    Convert(ConvertArgs),
    /// Print the resolved compose project (files merged, variables interpolated, extends,
    /// include and profiles applied) in the canonical form of `docker compose config`.
    Config(ConfigArgs),
    /// Work with the templates ferry renders through.
    #[command(subcommand)]
    Templates(TemplatesCommand),
}

#[derive(Debug, Subcommand)]
enum TemplatesCommand {
    /// List the built-in templates and what each renders.
    List,
    /// Write the built-in templates into DIR as a starting point for --templates.
    Export {
        /// Directory to write into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Overwrite templates already in DIR.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
struct ConfigArgs {
    #[command(flatten)]
    project: ProjectArgs,
}

/// Which compose project to read; shared by every command that reads one.
#[derive(Debug, Args)]
struct ProjectArgs {
    /// Compose file to read (repeat to merge several, later files override earlier ones).
    /// Default: compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml in the
    /// current directory.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Project name (default: top-level `name:` in the compose file, else the project
    /// directory's name). Used in the `app.kubernetes.io/part-of` label.
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    project_name: Option<String>,

    /// Activate a profile: services with `profiles:` run only when one of theirs is active
    /// (repeatable; `*` activates all). Default: COMPOSE_PROFILES.
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,

    /// Read variables from this file instead of the project's .env (repeatable; later files
    /// win; the process environment wins over all of them).
    #[arg(long = "env-file", value_name = "PATH")]
    env_files: Vec<PathBuf>,

    /// The project directory: where .env is read and relative paths start (default: the
    /// directory of the first compose file).
    #[arg(long = "project-directory", value_name = "DIR")]
    project_directory: Option<PathBuf>,

    /// Let the project read files outside its directory (env files, include, extends, bind-mounted
    /// files, --templates). Off by default, so that a compose file from an untrusted pull request
    /// cannot read /etc/passwd or ~/.ssh into the manifests.
    #[arg(long = "allow-outside-project")]
    allow_outside_project: bool,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Directory to write the manifests and kustomization.yaml into (created if missing).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        default_value = "k8s",
        conflicts_with = "stdout"
    )]
    output: PathBuf,

    /// Print one multi-document YAML stream for `kubectl apply -f -` instead of writing files.
    #[arg(long)]
    stdout: bool,

    #[command(flatten)]
    render: RenderArgs,
}

/// How the output is rendered; shared by every command that renders.
#[derive(Debug, Args)]
struct RenderArgs {
    /// Render with the templates in DIR: a file named like a built-in template replaces it;
    /// DIR/service/*.yaml are rendered once per compose service, DIR/project/*.yaml once
    /// (see `ferry templates list`).
    #[arg(long = "templates", value_name = "DIR")]
    templates: Option<PathBuf>,

    /// Also write overlays/NAME/kustomization.yaml over the base, with the settings services give
    /// under `x-ferry: {overlays: {NAME: ...}}` (repeatable).
    #[arg(long = "overlay", value_name = "NAME")]
    overlays: Vec<String>,
}

impl RenderArgs {
    fn options(&self) -> RenderOptions {
        RenderOptions {
            templates_dir: self.templates.clone(),
            overlays: self.overlays.clone(),
        }
    }
}

fn load_options(p: &ProjectArgs) -> Result<LoadOptions, Error> {
    let working_dir = std::env::current_dir()
        .map_err(|e| Error::io(".", "cannot read the current directory", e))?;
    let stdin = if p.files.iter().any(|f| f.as_os_str() == "-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            Error::io(
                "<stdin>",
                "cannot read the compose file from standard input",
                e,
            )
        })?;
        Some(text)
    } else {
        None
    };
    Ok(LoadOptions {
        files: p.files.clone(),
        stdin,
        project_name: p.project_name.clone(),
        project_directory: p.project_directory.clone(),
        env_files: p.env_files.clone(),
        profiles: p.profiles.clone(),
        working_dir,
        reach: if p.allow_outside_project {
            ferry::paths::Reach::Anywhere
        } else {
            ferry::paths::Reach::Project
        },
        environment: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
    })
}

fn print_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    match e {
        Error::Many(list) => {
            for e in list {
                let _ = writeln!(err, "error: {e}");
            }
        }
        e => {
            let _ = writeln!(err, "error: {e}");
        }
    }
}

fn exit_code(e: &Error) -> i32 {
    if e.is_usage() {
        EXIT_USAGE
    } else {
        EXIT_CONVERSION
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn convert(args: &ConvertArgs) -> Result<(), Error> {
    let load = load_options(&args.project)?;
    let conv = ferry::convert(&load, &TranslateOptions::default(), &args.render.options())?;
    let mut err = std::io::stderr().lock();
    for d in &conv.report.entries {
        let _ = writeln!(err, "{d}");
    }
    let not_converted = conv.report.count(Severity::NotConverted);
    let warnings = conv.report.count(Severity::Warning);
    let tail = format!(
        "{} not converted, {}",
        plural(not_converted, "key", "keys"),
        plural(warnings, "warning", "warnings")
    );
    if args.stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(conv.tree.to_stream().as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("<stdout>", "cannot write", e))?;
        let _ = writeln!(
            err,
            "ferry: {} printed; {tail}",
            plural(conv.objects, "object", "objects")
        );
    } else {
        let summary = ferry::output::write_tree(&conv.tree, &args.output)?;
        let _ = writeln!(
            err,
            "ferry: {} in {} ({} changed, {} unchanged); {tail}",
            plural(conv.objects, "object", "objects"),
            args.output.display(),
            summary.written.len(),
            summary.unchanged.len()
        );
    }
    Ok(())
}

fn config(args: &ConfigArgs) -> Result<(), Error> {
    let load = load_options(&args.project)?;
    let (loaded, project, report) = ferry::compose::load_all(&load)?;
    let mut err = std::io::stderr().lock();
    for d in report
        .entries
        .iter()
        .filter(|d| d.severity == Severity::Warning)
    {
        let _ = writeln!(err, "{d}");
    }
    let text =
        ferry::yaml::emit::to_document(&ferry::compose::config::canonical(&loaded, &project));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", "cannot write", e))
}

fn templates(cmd: &TemplatesCommand) -> Result<(), Error> {
    use ferry::render::templates::{export, BUILTINS};
    match cmd {
        TemplatesCommand::List => {
            let mut out = std::io::stdout().lock();
            let width = BUILTINS.iter().map(|b| b.name.len()).max().unwrap_or(0);
            for b in BUILTINS {
                let _ = writeln!(out, "{:width$}  {}", b.name, b.renders);
            }
            Ok(())
        }
        TemplatesCommand::Export { dir, force } => {
            let written = export(dir, *force)?;
            let _ = writeln!(
                std::io::stderr(),
                "ferry: wrote {} templates to {}; use them with --templates {}",
                written.len(),
                dir.display(),
                dir.display()
            );
            Ok(())
        }
    }
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let result = match &cli.command {
        Command::Convert(args) => convert(args),
        Command::Config(args) => config(args),
        Command::Templates(cmd) => templates(cmd),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            print_error(&e);
            exit_code(&e)
        }
    }
}
