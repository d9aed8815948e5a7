//! The command line: the only place that prints or picks an exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::{Args, Parser, Subcommand};
use ferry::compose::LoadOptions;
use ferry::error::Severity;
use ferry::translate::{BindMounts, TranslateOptions};
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
    /// Secrets made from files are not in the stream (their material is never printed).
    #[arg(long)]
    stdout: bool,

    /// Print the conversion report on stdout: for every compose key, what it became or why
    /// not. Not with --stdout.
    #[arg(long, conflicts_with = "stdout")]
    report: bool,

    /// Format of the report: text or json (implies --report).
    #[arg(long, value_name = "FORMAT", value_enum, conflicts_with = "stdout")]
    report_format: Option<ReportFormat>,

    /// Fail (exit 1, write nothing) when any compose key is not converted. Keys with nothing
    /// to do on Kubernetes (reported as "ignored") do not fail.
    #[arg(long)]
    strict: bool,

    /// Make a NetworkPolicy per compose network: pods on the same compose network may talk,
    /// published ports stay open.
    #[arg(long)]
    network_policies: bool,

    /// Size of each PersistentVolumeClaim that sets none (default 1Gi), e.g. 10Gi.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    volume_size: Option<String>,

    /// What to do with bind mounts ferry cannot copy into a ConfigMap (host paths, large
    /// directories): `report` them (default) or mount the node's path with `hostPath`.
    #[arg(long, value_name = "MODE", value_enum, default_value = "report")]
    bind_mounts: BindMountsArg,

    /// Put every object in this namespace: a Namespace object, and `namespace:` in
    /// kustomization.yaml.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BindMountsArg {
    Report,
    #[value(name = "hostPath", alias = "hostpath")]
    HostPath,
}

fn parse_size(s: &str) -> Result<String, String> {
    ferry::compose::xferry::storage_quantity(s)
}

fn parse_namespace(s: &str) -> Result<String, String> {
    if ferry::names::dns_label(s) == s {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a valid namespace name (lower case letters, digits and `-`, starting with a letter, at most 63 characters)"
        ))
    }
}

fn load_options(p: &ProjectArgs) -> Result<LoadOptions, Error> {
    let working_dir = std::env::current_dir()
        .map_err(|e| Error::io(".", "cannot read the current directory", e))?;
    Ok(LoadOptions {
        files: p.files.clone(),
        project_name: p.project_name.clone(),
        working_dir,
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

fn convert(args: &ConvertArgs) -> Result<i32, Error> {
    let load = load_options(&args.project)?;
    let opts = TranslateOptions {
        network_policies: args.network_policies,
        volume_size: args.volume_size.clone(),
        bind_mounts: match args.bind_mounts {
            BindMountsArg::Report => BindMounts::Report,
            BindMountsArg::HostPath => BindMounts::HostPath,
        },
        namespace: args.namespace.clone(),
    };
    let conv = ferry::convert(&load, &opts)?;
    let mut err = std::io::stderr().lock();
    for d in &conv.report.entries {
        if d.severity != Severity::Converted {
            let _ = writeln!(err, "{d}");
        }
    }
    if args.stdout {
        for g in &conv.secret_generators {
            let files: Vec<String> = g
                .files
                .iter()
                .map(|(k, _)| format!("--from-file={k}=<file>"))
                .collect();
            let _ = writeln!(
                err,
                "warning: Secret `{}` is not in the stream (ferry never prints secret material); create it with `kubectl create secret generic {} {}`",
                g.name,
                g.name,
                files.join(" ")
            );
        }
    }
    let not_converted = conv.report.count(Severity::NotConverted);
    let warnings = conv.report.count(Severity::Warning);
    let ignored = conv.report.count(Severity::Ignored);
    let tail = format!(
        "{} not converted, {} ignored, {}",
        plural(not_converted, "key", "keys"),
        ignored,
        plural(warnings, "warning", "warnings")
    );
    let format = args
        .report_format
        .or(args.report.then_some(ReportFormat::Text));
    if let Some(f) = format {
        let text = match f {
            ReportFormat::Text => conv.summary.to_text(),
            ReportFormat::Json => conv.summary.to_json(),
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("<stdout>", "cannot write", e))?;
    }
    if args.strict && not_converted > 0 {
        let _ = writeln!(
            err,
            "error: --strict: {} not converted (see above); nothing was written",
            plural(
                conv.summary.unconverted().max(1),
                "compose key was",
                "compose keys were"
            )
        );
        return Ok(EXIT_CONVERSION);
    }
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
    Ok(EXIT_OK)
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            exit_code(&e)
        }
    }
}
