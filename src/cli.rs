//! The command line: the only place that prints or picks an exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use ferry::compose::xferry::Expose;
use ferry::compose::LoadOptions;
use ferry::error::Severity;
use ferry::names::plural;
use ferry::output::diff::ColorChoice;
use ferry::output::{OnDisk, Plan, Status, WriteOptions};
use ferry::render::RenderOptions;
use ferry::translate::envsecrets::EnvSecrets;
use ferry::translate::{BindMounts, TranslateOptions};
use ferry::Error;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes, as documented in the README.
pub const EXIT_OK: i32 = 0;
pub const EXIT_CONVERSION: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
/// `diff` and `convert --check`: the output directory is stale.
pub const EXIT_DIFFERS: i32 = 1;
/// `diff` and `convert --check`: the project could not be converted or the directory read, so
/// nothing was compared (kept apart from [`EXIT_DIFFERS`] so CI can tell "stale" from "broken").
pub const EXIT_CHECK_ERROR: i32 = 3;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success; for `diff` and `convert --check`: the output directory is up to date
  1  `convert`: the project could not be converted or written (nothing was written);
     `diff` and `convert --check`: something would change
  2  usage error (unknown flag, no compose file found, invalid -p)
  3  `diff` and `convert --check`: the project could not be converted (nothing was compared)";

/// Convert Docker Compose projects into kustomize-ready Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    after_long_help = EXIT_CODES_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert a compose project into Kubernetes manifests (a kustomize directory, or one
    /// YAML stream with --stdout).
    Convert(ConvertArgs),
    /// Show what `ferry convert` would change in the output directory: what changes in the
    /// cluster, then a unified diff (exit 0: nothing; exit 1: something would change).
    Diff(DiffArgs),
    /// Print a shell completion script to stdout.
    Completions(CompletionsArgs),
    /// Print ferry's manual page (roff) to stdout; read it with `ferry man | man -l -`.
    Man(ManArgs),
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
        /// Write the Helm chart's templates (_helpers.tpl, NOTES.txt) into DIR/helm instead, for
        /// `convert --helm --templates DIR`.
        #[arg(long)]
        helm: bool,
    },
}

#[derive(Debug, Args)]
struct ConfigArgs {
    #[command(flatten)]
    project: ProjectArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct GlobalArgs {
    /// Print only errors: no report, no summary, no diff (the exit code tells the result).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Also list each file written, unchanged or removed; with `diff` and `--check`, also print
    /// the conversion report.
    #[arg(short, long, global = true)]
    verbose: bool,

    /// When to colour diffs (stdout) and errors and warnings (stderr): auto colours each on a
    /// terminal unless NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto, global = true)]
    color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// How `diff` and `convert --check` show a difference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    /// What changes in the cluster, object by object and field by field, then the unified diff,
    /// on stdout.
    #[default]
    Text,
    /// One JSON object on stdout: files added, changed and removed, with line counts, and each
    /// object's changes by field path.
    Json,
    /// Markdown on stdout for a pull-request comment or a CI job summary: a header with counts,
    /// the changes as a table, and each file's diff in a collapsible section.
    Markdown,
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

    /// Let paths written inside compose files (env files, include, extends, bind-mounted, secret
    /// and config files) point outside the project: its git work tree, else its directory. Off by
    /// default, so that a compose file from an untrusted pull request cannot read /etc/passwd or
    /// ~/.ssh into the manifests. Paths given on the command line are never confined.
    #[arg(long = "allow-outside-project")]
    allow_outside_project: bool,

    /// Report keys the Compose Specification does not define as warnings instead of errors
    /// (docker compose refuses them). For a file written for a compose version newer than the
    /// schema ferry carries; `x-` keys are extensions and always allowed.
    #[arg(long = "allow-unknown-keys")]
    allow_unknown_keys: bool,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Directory to write the manifests and kustomization.yaml into (created if missing).
    /// Default: k8s, or chart with --helm.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        conflicts_with = "stdout"
    )]
    output: Option<PathBuf>,

    /// Print one multi-document YAML stream for `kubectl apply -f -` instead of writing files.
    /// It cannot leave secret files beside it: the Secrets of sensitive environment are printed
    /// first, inline (base64 `data`), so mind where the stream goes; Secrets from compose
    /// `secrets:` files are left out (stderr says how to create them).
    #[arg(long, conflicts_with = "helm")]
    stdout: bool,

    /// Write nothing: show what would change (as `ferry diff` does) and exit 1 when the output
    /// directory is stale, 0 when it is up to date. For CI.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,

    /// Remove generated files that are no longer produced; only files that start with ferry's
    /// header are removed. Without --prune they are listed as stale and left in place. (With
    /// --check, stale files always count as changes.)
    #[arg(long, conflicts_with = "stdout")]
    prune: bool,

    /// Wait until every written file is on disk before renaming it into place, so that a power
    /// cut leaves each file old or new, never empty. Without it a reader still never sees a
    /// half-written file, and nothing waits for the disk. Also set by FERRY_FSYNC=1 (or true,
    /// yes, on).
    #[arg(
        long,
        env = "FERRY_FSYNC",
        value_parser = clap::builder::BoolishValueParser::new(),
        conflicts_with = "stdout"
    )]
    fsync: bool,

    /// With --check: show the difference as text (a summary of what changes in the cluster,
    /// then a unified diff), JSON or Markdown.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        requires = "check"
    )]
    format: Format,

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

    #[command(flatten)]
    translate: TranslateArgs,

    #[command(flatten)]
    render: RenderArgs,
}

/// How the output is rendered; shared by every command that renders.
#[derive(Debug, Args)]
struct RenderArgs {
    /// Render with the templates in DIR: a file named like a built-in template replaces it;
    /// DIR/service/*.yaml are rendered once per compose service, DIR/project/*.yaml once
    /// (see `ferry templates list`). With --helm, DIR/helm/_helpers.tpl and DIR/helm/NOTES.txt
    /// replace the chart's (`ferry templates export --helm DIR`).
    #[arg(long = "templates", value_name = "DIR")]
    templates: Option<PathBuf>,

    /// Also write the environment NAME as a kustomize overlay, overlays/NAME/, over the base
    /// (which then goes to base/): the compose FILEs merged over the base files for it (as
    /// `docker compose -f BASE -f FILE` would), and the settings services give under
    /// `x-ferry: {overlays: {NAME: ...}}`; the overlay holds only the difference. Repeatable.
    /// Environments declared under the top-level `x-ferry: {environments}` are always written;
    /// NAME=FILE replaces the files one of them declares. With --helm: values-NAME.yaml.
    #[arg(
        long = "overlay",
        value_name = "NAME[=FILE,...]",
        value_parser = ferry::environments::parse_overlay_flag
    )]
    overlays: Vec<ferry::environments::Requested>,

    /// Read this env file instead of .env for the environment NAME's interpolation (as
    /// `docker compose --env-file FILE` would), e.g. `prod=.env.prod`. Repeatable; later files
    /// win. Secret values from it go to the overlay's own git-ignored secrets/.
    #[arg(
        long = "overlay-env-file",
        value_name = "NAME=FILE",
        value_parser = ferry::environments::parse_env_file_flag
    )]
    overlay_env_files: Vec<(String, PathBuf)>,

    /// Convert only the environment NAME (declared or given with --overlay), by itself: the
    /// base files with its own merged over them, its env file and its x-ferry overlay settings,
    /// written as plain manifests (no base/, no overlays/). To look at one environment whole,
    /// or to apply it without kustomize (`--environment prod --stdout | kubectl apply -f -`).
    #[arg(long = "environment", value_name = "NAME")]
    environment: Option<String>,

    /// Convert the compose files given as one project, without the environments they declare
    /// under `x-ferry: {environments}`: `-f compose.yaml -f compose.prod.yaml --no-environments`
    /// is the plain conversion of what `docker compose -f compose.yaml -f compose.prod.yaml`
    /// runs.
    #[arg(long = "no-environments", conflicts_with_all = ["overlays", "overlay_env_files", "environment"])]
    no_environments: bool,

    /// Write a Helm chart instead of a kustomize directory (default directory: chart): one
    /// template per object, values.yaml with its schema, rendering with default values to the
    /// same objects; secret material read from the chart's git-ignored files/.
    #[arg(long)]
    helm: bool,

    /// The chart's version with --helm (default: top-level `x-ferry: {chartVersion}`, else 0.1.0).
    #[arg(long, value_name = "VERSION", requires = "helm", value_parser = parse_semver)]
    chart_version: Option<String>,
}

impl RenderArgs {
    fn options(&self) -> RenderOptions {
        RenderOptions {
            templates_dir: self.templates.clone(),
            environments: ferry::environments::requested(&self.overlays, &self.overlay_env_files),
            environment: self.environment.clone(),
            no_environments: self.no_environments,
            helm: self.helm.then(|| ferry::render::helm::HelmOptions {
                version: self.chart_version.clone(),
                templates_dir: self.templates.clone(),
            }),
            ..RenderOptions::default()
        }
    }

    /// The output directory: as given, else `k8s`, or `chart` with --helm.
    fn output(&self, given: &Option<PathBuf>) -> PathBuf {
        given
            .clone()
            .unwrap_or_else(|| PathBuf::from(if self.helm { "chart" } else { "k8s" }))
    }
}

/// What the conversion makes; shared by every command that converts.
#[derive(Debug, Args)]
struct TranslateArgs {
    /// Make a NetworkPolicy per compose network: pods on the same compose network may talk,
    /// published ports stay open.
    #[arg(long)]
    network_policies: bool,

    /// Size of each PersistentVolumeClaim that sets none (default 1Gi), e.g. 10Gi.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    volume_size: Option<String>,

    /// What becomes of bind mounts that are not copied into a ConfigMap. `auto` (default): a
    /// data directory (missing, empty or large) or a host data path becomes a
    /// PersistentVolumeClaim, a node path (docker socket, /etc/localtime, /dev, /sys…) a
    /// `hostPath`; `pvc`: never a hostPath (node paths are reported); `hostPath`: every absolute
    /// path a hostPath; `report`: none of them mounted, only reported.
    #[arg(long, value_name = "MODE", value_enum, default_value = "auto")]
    bind_mounts: BindMountsArg,

    /// Where sensitive environment and compose `secrets:` go. `auto` (default, or top-level
    /// `x-ferry: {envSecrets}`): variables whose names (or the variables their values came from)
    /// look secret, such as DB_PASSWORD or API_KEY, are set from a Secret per service; values from
    /// .env or the environment go to the git-ignored secrets/ directory, never into a committed
    /// file (with --stdout the Secrets are printed inline, base64 `data`). `none`: every variable
    /// stays in the Deployment. `sops`: every Secret is committed encrypted with SOPS (age; see
    /// --age-recipient), for Flux or KSOPS. `external-secrets`: every Secret is made in the
    /// cluster by External Secrets Operator from a committed ExternalSecret (see --secret-store).
    #[arg(long, value_name = "MODE", value_enum)]
    env_secrets: Option<EnvSecretsArg>,

    /// With `--env-secrets sops`: an age public key (age1…) the Secrets are encrypted to
    /// (repeatable). Default: top-level `x-ferry: {ageRecipients}`, else the creation rule of
    /// the nearest .sops.yaml that matches each file. Existing files are opened with the identity
    /// sops would use (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt).
    #[arg(long = "age-recipient", value_name = "KEY", value_parser = parse_age_recipient)]
    age_recipients: Vec<String>,

    /// With `--env-secrets external-secrets`: the store every ExternalSecret reads from,
    /// `NAME` (a SecretStore in the namespace) or `ClusterSecretStore/NAME`. Default: top-level
    /// `x-ferry: {secretStore}`.
    #[arg(long, value_name = "[KIND/]NAME", value_parser = parse_secret_store)]
    secret_store: Option<String>,

    /// With `--env-secrets external-secrets`: the remote key each value is read from, with
    /// `{project}`, `{namespace}`, `{environment}` (the environment's name, `base` for the
    /// base), `{secret}` (the Secret's name) and `{key}` (its key).
    /// Default: `{project}/{secret}` (or top-level `x-ferry: {remoteKey}`).
    #[arg(long, value_name = "PATTERN", value_parser = parse_remote_pattern)]
    remote_key: Option<String>,

    /// With `--env-secrets external-secrets`: the property of the remote key each value is read
    /// from, with the same placeholders; empty for none (one remote key per value). Default:
    /// `{key}` (or top-level `x-ferry: {remoteProperty}`).
    #[arg(long, value_name = "PATTERN", value_parser = parse_remote_pattern)]
    remote_property: Option<String>,

    /// Put every object in this namespace: a Namespace object, and `namespace:` in
    /// kustomization.yaml.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    namespace: Option<String>,

    /// How published ports are reached from outside the cluster. `ingress` (default): an
    /// Ingress where `x-ferry: {ingress}` or kompose.service.expose asks for one, other
    /// published ports stay ClusterIP Service ports; `gateway`: a Gateway API route
    /// (HTTPRoute, GRPCRoute, TCPRoute, UDPRoute) for every published port, attached to the
    /// Gateway --gateway names (or that --gateway-class writes); `none`: Services only. A
    /// service's `x-ferry: {expose}` wins; default: top-level `x-ferry: {expose}`.
    #[arg(long, value_name = "MODE", value_enum)]
    expose: Option<ExposeArg>,

    /// The Gateway the routes attach to, [NAMESPACE/]NAME (default: top-level
    /// `x-ferry: {gateway}`; with --gateway-class, one named after the project).
    #[arg(long, value_name = "[NAMESPACE/]NAME", value_parser = parse_gateway)]
    gateway: Option<ferry::compose::xferry::GatewayRef>,

    /// Also write the Gateway, of this GatewayClass: a listener per published port and
    /// protocol, and an HTTPS listener per TLS host of the ingress settings (default:
    /// top-level `x-ferry: {gatewayClass}`).
    #[arg(long, value_name = "CLASS", value_parser = parse_gateway_class)]
    gateway_class: Option<String>,

    /// Host name of each HTTP and gRPC route the ingress settings give none, e.g.
    /// `{service}.example.com` (placeholders `{service}`, `{project}`; default: top-level
    /// `x-ferry: {domain}`).
    #[arg(long, value_name = "PATTERN", value_parser = parse_domain)]
    domain: Option<String>,
}

impl TranslateArgs {
    fn options(&self) -> TranslateOptions {
        TranslateOptions {
            network_policies: self.network_policies,
            volume_size: self.volume_size.clone(),
            bind_mounts: match self.bind_mounts {
                BindMountsArg::Auto => BindMounts::Auto,
                BindMountsArg::Pvc => BindMounts::Pvc,
                BindMountsArg::Report => BindMounts::Report,
                BindMountsArg::HostPath => BindMounts::HostPath,
            },
            namespace: self.namespace.clone(),
            env_secrets: self.env_secrets.map(|m| match m {
                EnvSecretsArg::Auto => EnvSecrets::Auto,
                EnvSecretsArg::None => EnvSecrets::None,
                EnvSecretsArg::Sops => EnvSecrets::Sops,
                EnvSecretsArg::ExternalSecrets => EnvSecrets::ExternalSecrets,
            }),
            secrets: ferry::translate::secretmode::SecretOptions {
                age_recipients: self.age_recipients.clone(),
                secret_store: self.secret_store.clone(),
                remote_key: self.remote_key.clone(),
                remote_property: self.remote_property.clone(),
            },
            expose: ferry::translate::expose::ExposeOptions {
                expose: self.expose.map(|e| match e {
                    ExposeArg::None => Expose::None,
                    ExposeArg::Ingress => Expose::Ingress,
                    ExposeArg::Gateway => Expose::Gateway,
                }),
                gateway: self.gateway.clone(),
                gateway_class: self.gateway_class.clone(),
                domain: self.domain.clone(),
            },
            environment: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExposeArg {
    None,
    Ingress,
    Gateway,
}

fn parse_gateway(s: &str) -> Result<ferry::compose::xferry::GatewayRef, String> {
    ferry::compose::xferry::GatewayRef::parse(s)
}

fn parse_gateway_class(s: &str) -> Result<String, String> {
    ferry::compose::xferry::gateway_class(s)
}

fn parse_domain(s: &str) -> Result<String, String> {
    ferry::compose::xferry::domain_pattern(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EnvSecretsArg {
    Auto,
    None,
    Sops,
    ExternalSecrets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BindMountsArg {
    Auto,
    Pvc,
    Report,
    #[value(name = "hostPath", alias = "hostpath")]
    HostPath,
}

fn parse_semver(s: &str) -> Result<String, String> {
    if ferry::compose::xferry::semver(s) {
        Ok(s.to_string())
    } else {
        Err("expected a semantic version such as 1.2.3".into())
    }
}

fn parse_age_recipient(s: &str) -> Result<String, String> {
    ferry::sops::keys::check_recipient(s)
}

fn parse_secret_store(s: &str) -> Result<String, String> {
    ferry::compose::xferry::secret_store(s)
}

fn parse_remote_pattern(s: &str) -> Result<String, String> {
    ferry::compose::xferry::remote_pattern(s)
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

#[derive(Debug, Args)]
struct DiffArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Directory to compare with: the one `ferry convert -o DIR` writes (default: k8s, or chart
    /// with --helm).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Option<PathBuf>,

    /// Show the difference as text (a summary of what changes in the cluster, then a unified
    /// diff), JSON or Markdown.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    format: Format,

    #[command(flatten)]
    translate: TranslateArgs,

    #[command(flatten)]
    render: RenderArgs,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Print the page of one command (`convert`, `diff`, …) instead of ferry's own page.
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

fn load_options(p: &ProjectArgs, ui: &Ui) -> Result<LoadOptions, Error> {
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
        no_dotenv: false,
        profiles: p.profiles.clone(),
        working_dir,
        reach: if p.allow_outside_project {
            ferry::paths::Reach::Anywhere
        } else {
            ferry::paths::Reach::Project
        },
        allow_unknown_keys: p.allow_unknown_keys,
        environment: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        sources: ui.sources.clone(),
    })
}

/// Each error with the source line it points at (see `show.rs`).
fn print_error(e: &Error, ui: &Ui) {
    let _ = std::io::stderr()
        .lock()
        .write_all(ui.show.error(e).as_bytes());
}

fn exit_code(e: &Error) -> i32 {
    if e.is_usage() {
        EXIT_USAGE
    } else {
        EXIT_CONVERSION
    }
}

/// The global options, as the commands need them.
struct Ui {
    quiet: bool,
    verbose: bool,
    /// Colour diffs on stdout.
    color: bool,
    /// The compose files the loader reads, recorded to show the lines errors point at.
    sources: ferry::sources::Sources,
    /// Errors and report lines on stderr, coloured when stderr is a terminal (as `--color`
    /// and NO_COLOR say).
    show: crate::show::Show,
}

impl Ui {
    fn new(g: &GlobalArgs) -> Self {
        let choice = match g.color {
            Color::Auto => ColorChoice::Auto,
            Color::Always => ColorChoice::Always,
            Color::Never => ColorChoice::Never,
        };
        let no_color = std::env::var_os("NO_COLOR");
        let sources = ferry::sources::Sources::recording();
        Ui {
            quiet: g.quiet,
            verbose: g.verbose,
            color: choice.enabled(std::io::stdout().is_terminal(), no_color.as_deref()),
            show: crate::show::Show::new(
                sources.clone(),
                choice.enabled(std::io::stderr().is_terminal(), no_color.as_deref()),
            ),
            sources,
        }
    }
}

/// Write to stdout; a closed pipe (`ferry diff | head`) is not an error.
fn print_stdout(text: &str) -> Result<(), Error> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Write to stdout through a buffer; a closed pipe (`ferry ... | head`) is not an error.
fn write_stdout(
    f: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("<stdout>", "cannot write", e))
        }
        _ => Ok(()),
    }
}

/// The report on stderr: warnings and keys not converted itemised (those that say the same
/// thing grouped), ignored keys in one line; with -v every entry, each with its source line.
fn print_report(conv: &ferry::Conversion, ui: &Ui) {
    let services: Vec<&str> = conv.project.services.keys().map(String::as_str).collect();
    print_console(&conv.report, &services, ui);
}

fn print_console(report: &ferry::Report, services: &[&str], ui: &Ui) {
    let console = ferry::console::console(report, services, ui.verbose);
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    for item in &console.items {
        let _ = err.write_all(ui.show.item(item).as_bytes());
    }
    if let Some(line) = console.ignored_line() {
        let _ = writeln!(err, "{line}");
    }
    let _ = err.flush();
}

/// "N keys not converted, I ignored, M warnings".
fn report_tail(conv: &ferry::Conversion) -> String {
    format!(
        "{} not converted, {} ignored, {}",
        plural(conv.report.count(Severity::NotConverted), "key", "keys"),
        conv.report.count(Severity::Ignored),
        plural(conv.report.count(Severity::Warning), "warning", "warnings")
    )
}

/// The conversion of a command: its memory goes back with the process, which ends right after
/// the command (freeing a conversion of thousands of services piece by piece took milliseconds).
fn converted(
    p: &ProjectArgs,
    t: &TranslateArgs,
    r: &RenderArgs,
    ui: &Ui,
) -> Result<std::mem::ManuallyDrop<ferry::Conversion>, Error> {
    let load = load_options(p, ui)?;
    let conv = ferry::convert(&load, &t.options(), &r.options())?;
    Ok(std::mem::ManuallyDrop::new(conv))
}

fn convert(args: &ConvertArgs, ui: &Ui) -> Result<i32, Error> {
    let mut conv = converted(&args.project, &args.translate, &args.render, ui)?;
    if args.check {
        return check(
            &mut conv,
            &args.render.output(&args.output),
            args.format,
            ui,
        );
    }
    if args.stdout && !conv.tree.sealed.is_empty() {
        return Err(Error::Usage(
            "--stdout prints for `kubectl apply -f -`, which cannot decrypt SOPS files: write a directory with -o DIR for --env-secrets sops (Flux or KSOPS decrypt it), or print with --env-secrets auto".into(),
        ));
    }
    if !ui.quiet {
        print_report(&conv, ui);
    }
    let tail = report_tail(&conv);
    let mut err = std::io::stderr().lock();
    let format = args
        .report_format
        .or(args.report.then_some(ReportFormat::Text));
    if let Some(f) = format {
        let text = match f {
            ReportFormat::Text => conv.summary().to_text(),
            ReportFormat::Json => conv.summary().to_json(),
        };
        print_stdout(&text)?;
    }
    let not_converted = conv.report.count(Severity::NotConverted);
    if args.strict && not_converted > 0 {
        let _ = writeln!(
            err,
            "error: --strict: {} not converted (see above); nothing was written",
            plural(
                conv.summary().unconverted().max(1),
                "compose key was",
                "compose keys were"
            )
        );
        return Ok(EXIT_CONVERSION);
    }
    if let Some(why) = conv.nothing_to_run() {
        if !ui.quiet {
            let _ = writeln!(err, "ferry: {why}; nothing was written");
        }
        return Ok(EXIT_OK);
    }
    if args.stdout {
        if !conv.environments.is_empty() && !ui.quiet {
            let names: Vec<&str> = conv.environments.iter().map(|e| e.name.as_str()).collect();
            let _ = writeln!(
                err,
                "ferry: the stream is the base; the environments ({}) are overlays: print one with --environment NAME --stdout",
                names.join(", ")
            );
        }
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
        write_stdout(|out| conv.tree.write_stream(out))?;
        if !ui.quiet {
            let _ = writeln!(
                err,
                "ferry: {} printed; {tail}",
                plural(conv.objects, "object", "objects")
            );
        }
        return Ok(EXIT_OK);
    }
    let dir = &args.render.output(&args.output);
    let _lock = ferry::output::lock(dir)?;
    let sealed = seal(&mut conv, dir, false)?;
    if !ui.quiet {
        for line in seal_notes(&sealed) {
            let _ = writeln!(err, "{line}");
        }
    }
    // Freed with the process, as the conversion is.
    let plan = std::mem::ManuallyDrop::new(ferry::output::plan(&conv.tree, dir)?);
    remove_temporary_files_on_signal();
    let summary = ferry::output::write(
        &plan,
        &WriteOptions {
            prune: args.prune,
            durable: args.fsync,
        },
    )?;
    if ui.verbose {
        for e in &plan.entries {
            let path = dir.join(&e.path);
            let (what, note) = match e.status {
                Status::Added => ("wrote", " (new)"),
                Status::Changed if e.on_disk == OnDisk::Symlink => (
                    "wrote",
                    " (replaced a symbolic link; its target is untouched)",
                ),
                Status::Changed => ("wrote", ""),
                Status::Unchanged => ("unchanged", ""),
                Status::Removed if e.on_disk == OnDisk::Leftover => {
                    ("removed", " (a temporary file left by an interrupted run)")
                }
                Status::Removed if args.prune => ("removed", " (stale)"),
                Status::Removed => continue,
            };
            let _ = writeln!(err, "ferry: {what} {}{note}", path.display());
        }
    }
    if !ui.quiet {
        for rel in &summary.stale {
            let _ = writeln!(
                err,
                "ferry: {}: stale: generated by ferry but no longer produced; \
                 run `ferry convert --prune` to remove it",
                dir.join(rel).display()
            );
        }
        if !summary.leftovers.is_empty() {
            let _ = writeln!(
                err,
                "ferry: removed {} left in {} by an interrupted run",
                plural(summary.leftovers.len(), "temporary file", "temporary files"),
                dir.display()
            );
        }
        let removed = if summary.removed.is_empty() {
            String::new()
        } else {
            format!(", {} removed", summary.removed.len())
        };
        let _ = writeln!(
            err,
            "ferry: {} in {} ({} changed, {} unchanged{removed}); {tail}",
            plural(conv.objects, "object", "objects"),
            dir.display(),
            summary.written.len(),
            summary.unchanged.len()
        );
    }
    Ok(EXIT_OK)
}

/// Ctrl-C or SIGTERM while files are written: remove this run's temporary files, then end as
/// the signal would have (files already renamed into place are whole and new; the rest are as
/// they were). Before writing starts a signal ends the process at once, which leaves nothing.
fn remove_temporary_files_on_signal() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("ferry-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    ferry::output::abandon_writes();
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
    }
}

fn diff(args: &DiffArgs, ui: &Ui) -> Result<i32, Error> {
    let mut conv = converted(&args.project, &args.translate, &args.render, ui)?;
    check(
        &mut conv,
        &args.render.output(&args.output),
        args.format,
        ui,
    )
}

/// Encrypt the conversion's SOPS files (`--env-secrets sops`) against what `dir` holds, opening
/// existing files with the age identities sops would find. `checking`: a file that cannot be
/// made here (a value unknown, the file not openable) is a change, not an error.
fn seal(
    conv: &mut ferry::Conversion,
    dir: &Path,
    checking: bool,
) -> Result<ferry::output::seal::Sealed, Error> {
    if conv.tree.sealed.is_empty() {
        return Ok(Default::default());
    }
    let identities = ferry::sops::Identities::from_env(&|k| std::env::var(k).ok());
    ferry::output::seal::seal(&mut conv.tree, dir, &identities, checking)
}

/// What sealing says on stderr: one line when encrypted files were compared without their
/// values, one per file that cannot be made here.
fn seal_notes(s: &ferry::output::seal::Sealed) -> Vec<String> {
    let mut lines = Vec::new();
    if !s.kept_unopened.is_empty() {
        lines.push(format!(
            "ferry: {} compared by keys and recipients only: no age identity opens {} (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY to compare values too)",
            plural(s.kept_unopened.len(), "encrypted Secret", "encrypted Secrets"),
            if s.kept_unopened.len() == 1 { "it" } else { "them" }
        ));
    }
    for (path, why) in &s.unknown {
        lines.push(format!("ferry: {path}: {why}"));
    }
    lines
}

/// `diff` and `convert --check`: compare, show, and pick the exit code. Writes nothing.
fn check(conv: &mut ferry::Conversion, dir: &Path, format: Format, ui: &Ui) -> Result<i32, Error> {
    let sealed = seal(conv, dir, true)?;
    // Freed with the process, as the conversion is.
    let mut plan = std::mem::ManuallyDrop::new(ferry::output::plan(&conv.tree, dir)?);
    // Secret material under secrets/ is git-ignored: a fresh checkout (CI) has none, and a
    // machine without `.env` cannot make it. A secret file that is not on disk is not a change;
    // one that is there is compared (and never shown).
    plan.entries
        .retain(|e| !(e.sensitive && e.on_disk == ferry::output::OnDisk::Missing));
    if ui.verbose {
        print_report(conv, ui);
    }
    if !ui.quiet {
        let review = ferry::review::review(&plan, &conv.tree);
        match format {
            Format::Text => {
                let mut text = ferry::review::text::summary(&review, ui.color);
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&ferry::output::diff::unified(&plan, ui.color));
                print_stdout(&text)?
            }
            Format::Json => print_stdout(&ferry::output::diff::json(&plan, &review))?,
            Format::Markdown => print_stdout(&ferry::review::markdown::markdown(&plan, &review))?,
        }
        let mut err = std::io::stderr().lock();
        for line in seal_notes(&sealed) {
            let _ = writeln!(err, "{line}");
        }
        for line in check_summary(&plan) {
            let _ = writeln!(err, "{line}");
        }
    }
    Ok(if plan.is_up_to_date() {
        EXIT_OK
    } else {
        EXIT_DIFFERS
    })
}

/// How many file names a summary line lists before "and N more".
const SUMMARY_NAMES: usize = 5;

/// The stderr lines of `diff` and `convert --check`: one summary, then one line per file that
/// needs the user rather than `ferry convert`.
fn check_summary(plan: &Plan) -> Vec<String> {
    let dir = plan.dir.display();
    let files = plan.count(Status::Unchanged);
    if plan.is_up_to_date() {
        return vec![format!(
            "ferry: {dir} is up to date ({})",
            plural(files, "file", "files")
        )];
    }
    let changes: Vec<_> = plan.changes().collect();
    let counts = plan.counts_in_words();
    let paths: Vec<&str> = changes.iter().map(|e| e.path.as_str()).collect();
    let command = plan.update_command();
    let mut lines = vec![format!(
        "ferry: {} in {dir} would change ({}): {}; run `{command}` to update {}",
        plural(changes.len(), "file", "files"),
        counts.join(", "),
        ferry::names::some_of(&paths, SUMMARY_NAMES),
        if changes.len() == 1 { "it" } else { "them" }
    )];
    for e in &changes {
        let path = plan.dir.join(&e.path);
        if e.is_conflict() {
            lines.push(format!(
                "ferry: {}: not generated by ferry (no header), so `ferry convert` will not \
                 overwrite it; move it out of the output directory first",
                path.display()
            ));
        } else if e.on_disk == OnDisk::Leftover {
            lines.push(format!(
                "ferry: {}: a temporary file left by an interrupted run; `ferry convert` \
                 removes it",
                path.display()
            ));
        } else if e.on_disk == OnDisk::Symlink {
            lines.push(format!(
                "ferry: {}: a symbolic link; `ferry convert` replaces the link with a regular \
                 file and leaves its target alone",
                path.display()
            ));
        }
    }
    lines
}

/// `ferry man [COMMAND]`.
fn man(args: &ManArgs) -> Result<i32, Error> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match &args.command {
        None => cmd,
        Some(name) => cmd.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<String> = Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            Error::Usage(format!(
                "ferry has no command `{name}`; pages exist for: {}",
                names.join(", ")
            ))
        })?,
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("ferry {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .map_err(|e| Error::io("<stdout>", "cannot render the manual page", e))?;
    print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

fn completions(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ferry", &mut out);
    print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

fn config(args: &ConfigArgs, ui: &Ui) -> Result<(), Error> {
    let load = load_options(&args.project, ui)?;
    let (loaded, project, mut report) = ferry::compose::load_all(&load)?;
    report.entries.retain(|d| d.severity == Severity::Warning);
    let services: Vec<&str> = project.services.keys().map(String::as_str).collect();
    print_console(&report, &services, ui);
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
            for (name, renders, _) in ferry::render::helm::CHART_TEMPLATES {
                let name = format!("helm/{name}");
                let _ = writeln!(out, "{name:width$}  {renders} (with --helm)");
            }
            Ok(())
        }
        TemplatesCommand::Export { dir, force, helm } => {
            let written = if *helm {
                ferry::render::helm::export(dir, *force)?
            } else {
                export(dir, *force)?
            };
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
    let ui = Ui::new(&cli.global);
    let checking = match &cli.command {
        Command::Convert(args) => args.check,
        Command::Diff(_) => true,
        Command::Completions(_) | Command::Man(_) | Command::Config(_) | Command::Templates(_) => {
            false
        }
    };
    let result = match &cli.command {
        Command::Convert(args) => convert(args, &ui),
        Command::Diff(args) => diff(args, &ui),
        Command::Completions(args) => completions(args),
        Command::Man(args) => man(args),
        Command::Config(args) => config(args, &ui).map(|()| EXIT_OK),
        Command::Templates(cmd) => templates(cmd).map(|()| EXIT_OK),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            print_error(&e, &ui);
            match exit_code(&e) {
                EXIT_CONVERSION if checking => EXIT_CHECK_ERROR,
                code => code,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command and every flag or argument, built-in ones aside, has help text.
    #[test]
    fn every_flag_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let here = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !path.is_empty() {
                missing.push(here.clone());
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg
                    .get_help()
                    .is_none_or(|h| h.to_string().trim().len() < 10)
                {
                    missing.push(format!("{here} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &here, missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:?}");
    }

    #[test]
    fn check_summary_lists_files_and_the_command_to_run() {
        let entry = |path: &str, status| ferry::output::Entry {
            path: path.into(),
            status,
            on_disk: OnDisk::Generated,
            old: None,
            new: None,
            sensitive: false,
        };
        let plan = Plan {
            dir: PathBuf::from("k8s"),
            entries: vec![
                entry("a.yaml", Status::Added),
                entry("b.yaml", Status::Unchanged),
                entry("c.yaml", Status::Removed),
            ],
        };
        assert_eq!(
            check_summary(&plan),
            [
                "ferry: 2 files in k8s would change (1 added, 1 removed): a.yaml, c.yaml; \
              run `ferry convert --prune` to update them"
            ]
        );
    }
}
