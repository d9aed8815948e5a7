//! The canonical compose model: one shape for each key (long syntax everywhere), every value
//! with the location it came from.

use crate::error::Location;
use crate::yaml::Node;
use indexmap::IndexMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Location,
}

impl<T> Located<T> {
    pub fn new(value: T, loc: Location) -> Self {
        Located { value, loc }
    }
}

/// A whole compose project after loading.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project name, normalised as docker compose does.
    pub name: String,
    /// The project directory (absolute).
    pub dir: PathBuf,
    /// The compose files, as shown in messages and headers (relative to the project directory
    /// when inside it).
    pub files: Vec<Arc<str>>,
    /// The compose files as read (`-` for standard input), in merge order: an environment's
    /// files are merged over these.
    pub paths: Vec<PathBuf>,
    /// The override file (`compose.override.yaml`) that discovery added, when no file was named.
    pub discovered_override: Option<PathBuf>,
    pub services: IndexMap<String, Service>,
    /// Services run by a provider plugin (`provider:`, compose 2.36+): no container of their
    /// own, so nothing to convert; other services may still depend on them.
    pub providers: IndexMap<String, Service>,
    pub volumes: IndexMap<String, VolumeDef>,
    /// Top-level keys ferry does not convert yet, with their locations.
    pub unconverted: Vec<(String, Location)>,
    /// Where files the project names may be read from.
    pub reach: crate::paths::Reach,
    /// What [`crate::paths::Reach::Project`] confines them to.
    pub edge: crate::paths::Edge,
    /// Top-level `secrets`, `configs`, `networks` and `x-ferry`.
    pub top: TopLevel,
    /// Variables that environment values are made from (`${DB_PASSWORD}`, a bare name) but
    /// that are not set here: the value made is not the real one.
    pub unset_variables: std::collections::BTreeSet<String>,
}

impl Project {
    /// A file the project names (relative to the project directory), resolved within the
    /// project's reach.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, crate::paths::PathProblem> {
        crate::paths::resolve(&self.edge, &self.dir, path, self.reach)
    }
}

/// The top-level sections besides `services` and `volumes`.
#[derive(Debug, Clone, Default)]
pub struct TopLevel {
    pub secrets: IndexMap<String, FileObjectDef>,
    pub configs: IndexMap<String, FileObjectDef>,
    pub networks: IndexMap<String, NetworkDef>,
    /// Top-level `models:`.
    pub models: IndexMap<String, ModelDef>,
    /// Top-level `x-ferry:` (project defaults).
    pub ferry: ProjectFerry,
}

/// A top-level `models:` entry: a language model that docker compose has Docker Model Runner
/// pull and serve (`docker model`), for the services that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    /// Its key under `models:`.
    pub name: String,
    /// The model to run (`model:`, an OCI reference such as `ai/smollm2`).
    pub model: String,
    pub context_size: Option<i64>,
    pub runtime_flags: Vec<String>,
    pub loc: Location,
}

/// A service's use of a model (its `models:`): docker compose sets two variables in the
/// service's containers, the model runner's endpoint and the model's name.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelUse {
    /// The key of the model under the top-level `models:`.
    pub name: String,
    /// `endpoint_var:`, the variable for the endpoint when not the default.
    pub endpoint_var: Option<String>,
    /// `model_var:`, the variable for the model's name when not the default.
    pub model_var: Option<String>,
    pub loc: Location,
}

impl ModelUse {
    /// The variables' default prefix, as docker compose makes it: the model's key in upper
    /// case, `-` as `_` (`embedding-model` → `EMBEDDING_MODEL`).
    fn prefix(&self) -> String {
        self.name.to_uppercase().replace('-', "_")
    }

    /// The variable docker compose sets to the model runner's endpoint: `endpoint_var`, else
    /// `<MODEL>_URL`.
    pub fn endpoint_var(&self) -> String {
        self.endpoint_var
            .clone()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("{}_URL", self.prefix()))
    }

    /// The variable docker compose sets to the model's name (`model:`): `model_var`, else
    /// `<MODEL>_MODEL`.
    pub fn model_var(&self) -> String {
        self.model_var
            .clone()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("{}_MODEL", self.prefix()))
    }
}

/// A value that must never be shown: its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(pub String);

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sensitive(<{} bytes>)", self.0.len())
    }
}

/// Where a top-level secret or config gets its content.
#[derive(Debug, Clone, PartialEq)]
pub enum FileSource {
    /// `file:` (as written, relative to the project directory).
    File(Located<String>),
    /// `content:` (configs only).
    Content(Located<Sensitive>),
    /// `environment:`: the variable's name and its value when set.
    Environment(Located<String>, Option<Sensitive>),
    /// `external: true`: it exists already, under this name.
    External,
    /// None of the above was given.
    Missing,
}

/// A top-level `secrets:` or `configs:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FileObjectDef {
    pub name: String,
    pub loc: Location,
    pub source: FileSource,
    /// `name:` (the real name, used for external ones).
    pub real_name: Option<String>,
    pub skipped: Vec<Skipped>,
}

/// A top-level `networks:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDef {
    pub name: String,
    pub loc: Location,
    pub external: bool,
    pub internal: bool,
    /// Keys with no meaning in a cluster (driver, ipam, …), reported.
    pub skipped: Vec<Skipped>,
}

/// Top-level `x-ferry:` project defaults (command-line flags win).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectFerry {
    pub namespace: Option<Located<String>>,
    pub volume_size: Option<Located<String>>,
    pub storage_class: Option<Located<String>>,
    pub network_policies: Option<Located<bool>>,
    /// `chartVersion`: the version of the Helm chart (`--chart-version` wins).
    pub chart_version: Option<Located<String>>,
    /// `expose`, `gateway`, `gatewayClass`, `domain`: how published ports are reached from
    /// outside (`--expose`, `--gateway`, `--gateway-class`, `--domain` win).
    pub exposure: crate::compose::xferry::ExposeDefaults,
    /// Where Secrets come from (issue 24): `envSecrets` (auto, none, sops, external-secrets),
    /// `ageRecipients`, `secretStore`, `remoteKey`, `remoteProperty`; the flags of the same
    /// names win.
    pub secrets: ProjectSecrets,
    /// `environments`: each environment's compose files and env files (`src/environments`).
    pub environments: Vec<EnvironmentDecl>,
    pub loc: Option<Location>,
}

/// One environment under the top-level `x-ferry: {environments}`: compose files merged over the
/// base files for it, and env files that replace `.env` for its interpolation. Paths are as
/// written, relative to the project directory.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentDecl {
    pub name: Located<String>,
    pub files: Vec<Located<String>>,
    pub env_files: Vec<Located<String>>,
}

/// The top-level `x-ferry` settings of where Secrets come from (checked when read).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectSecrets {
    pub env_secrets: Option<Located<String>>,
    pub age_recipients: Vec<Located<String>>,
    pub secret_store: Option<Located<String>>,
    pub remote_key: Option<Located<String>>,
    pub remote_property: Option<Located<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn as_k8s(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    pub fn as_compose(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// One container port, published or not (long syntax; ranges are expanded).
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub target: u16,
    pub published: Option<u16>,
    pub host_ip: Option<String>,
    pub protocol: Protocol,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    /// `None`: the variable is named without a value and was not found in the environment.
    pub value: Option<String>,
    pub loc: Location,
    /// The variables (of `.env`, `--env-file` or the process environment) the value is made
    /// from, by interpolation (whether set or not) or as a bare name; empty for a value written
    /// in the compose file.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    pub path: Located<String>,
    pub required: bool,
    pub raw: bool,
    /// The variables read from the file by the loader, in file order (empty when an optional
    /// file is missing).
    pub entries: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Restart {
    No,
    Always,
    UnlessStopped,
    OnFailure(Option<u32>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum HealthTest {
    /// Run this program with these arguments (`CMD`).
    Exec(Vec<String>),
    /// Run through `/bin/sh -c` (`CMD-SHELL` or a string).
    Shell(String),
    /// `NONE` or `disable: true`.
    Disabled,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Healthcheck {
    pub test: Option<HealthTest>,
    /// Durations in milliseconds.
    pub interval_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub start_period_ms: Option<u64>,
    pub start_interval_ms: Option<u64>,
    pub retries: Option<u32>,
    pub disabled: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceSet {
    /// CPUs as a Kubernetes quantity (e.g. `500m`, `2`).
    pub cpus: Option<Located<String>>,
    /// Memory as a Kubernetes quantity (e.g. `512Mi`).
    pub memory: Option<Located<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub limits: ResourceSet,
    pub reservations: ResourceSet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    Volume,
    Bind,
    Tmpfs,
    /// `type: image`: the content of an OCI image (`source`), read-only; `subpath` from
    /// `image.subpath`.
    Image,
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub kind: MountKind,
    /// Volume name, host path (as written, relative paths unresolved), or none.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    pub subpath: Option<String>,
    /// tmpfs size as a Kubernetes quantity.
    pub tmpfs_size: Option<String>,
    /// Written under the service's `tmpfs:` key (not `volumes:`).
    pub from_tmpfs_key: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub context: String,
    pub loc: Location,
}

/// A compose key that ferry saw and did not convert here; translate reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub key: String,
    pub loc: Location,
    /// The value as written, when a scalar (for the report's reason).
    pub value: Option<String>,
}

impl Skipped {
    pub fn new(key: impl Into<String>, loc: Location) -> Self {
        Skipped {
            key: key.into(),
            loc,
            value: None,
        }
    }
}

/// One `KEY=VALUE` (labels, annotations, sysctls) with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    pub loc: Location,
}

/// One `depends_on` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub service: String,
    /// `service_started` (default), `service_healthy`, `service_completed_successfully`.
    pub condition: String,
    pub required: bool,
    pub loc: Location,
    /// Added by compose, not written in `depends_on`: implied by `links`, `volumes_from` or a
    /// `service:` namespace (see `normalize.rs`), whose own keys say what they become.
    pub implied: bool,
}

/// One `links` entry: `service[:alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub service: String,
    pub alias: Option<String>,
    pub loc: Location,
}

/// One `volumes_from` entry: `service`, `service:ro`, `container:name[:ro|:rw]`.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumesFrom {
    /// The service name, or `None` for a `container:` entry (a container outside the project).
    pub service: Option<String>,
    /// As written.
    pub raw: String,
    pub read_only: bool,
    pub loc: Location,
}

/// A service's use of a top-level secret or config (long syntax).
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub source: String,
    /// As written; `None` means the default (`/run/secrets/<source>` or `/<source>`).
    pub target: Option<String>,
    pub uid: Option<Located<String>>,
    pub gid: Option<Located<String>>,
    pub mode: Option<Located<u32>>,
    pub loc: Location,
}

/// One `extra_hosts` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HostEntry {
    pub host: String,
    pub ip: String,
    pub loc: Location,
}

/// A service's membership of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceNetwork {
    pub name: String,
    pub aliases: Vec<Located<String>>,
    /// Keys with no cluster meaning (ipv4_address, mac_address, priority, …).
    pub skipped: Vec<Skipped>,
    pub loc: Location,
}

/// `pre_start`, `post_start`, `pre_stop` hooks.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub command: Option<Vec<String>>,
    pub image: Option<String>,
    pub user: Option<Located<String>>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    pub environment: Vec<EnvVar>,
    pub skipped: Vec<Skipped>,
    pub loc: Location,
}

/// A device request (`deploy.resources.reservations.devices`, `gpus`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRequest {
    pub capabilities: Vec<String>,
    /// `None`: all devices (`count: all` or no count).
    pub count: Option<u32>,
    pub device_ids: Vec<String>,
    pub driver: Option<String>,
    /// Written under `gpus:` (else under `deploy.resources.reservations.devices`).
    pub from_gpus: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    pub condition: Option<Located<String>>,
    pub max_attempts: Option<Located<u32>>,
    pub delay: Option<Location>,
    pub window: Option<Location>,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateConfig {
    pub parallelism: Option<u32>,
    pub order: Option<Located<String>>,
    pub delay: Option<Location>,
    pub monitor_ms: Option<Located<u64>>,
    pub failure_action: Option<Located<String>>,
    pub max_failure_ratio: Option<Location>,
    pub loc: Location,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    pub constraints: Vec<Located<String>>,
    pub preferences: Vec<Located<String>>,
    pub max_replicas_per_node: Option<Located<u32>>,
}

/// `deploy:` besides replicas and resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deploy {
    pub mode: Option<Located<String>>,
    pub endpoint_mode: Option<Located<String>>,
    pub labels: Vec<KeyValue>,
    pub restart_policy: Option<RestartPolicy>,
    pub update_config: Option<UpdateConfig>,
    pub rollback_config: Option<Location>,
    pub placement: Placement,
    pub devices: Vec<DeviceRequest>,
    /// `deploy.<key>` locations, for the report.
    pub keys: Vec<(String, Location)>,
}

impl Service {
    /// A service with nothing set yet.
    pub fn new(name: &str, loc: Location) -> Self {
        Service {
            name: name.to_string(),
            loc,
            image: None,
            build: None,
            ports: Vec::new(),
            expose: Vec::new(),
            environment: Vec::new(),
            env_files: Vec::new(),
            command: None,
            entrypoint: None,
            working_dir: None,
            user: None,
            restart: None,
            labels: Vec::new(),
            annotations: Vec::new(),
            healthcheck: None,
            replicas: None,
            scale: None,
            resources: Resources::default(),
            container_name: None,
            hostname: None,
            volumes: Vec::new(),
            depends_on: Vec::new(),
            links: Vec::new(),
            volumes_from: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
            extra_hosts: Vec::new(),
            dns: Vec::new(),
            dns_search: Vec::new(),
            dns_opt: Vec::new(),
            domainname: None,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: None,
            read_only: None,
            security_opt: Vec::new(),
            sysctls: Vec::new(),
            init: None,
            tty: None,
            stdin_open: None,
            shm_size: None,
            pull_policy: None,
            platform: None,
            stop_grace_period_ms: None,
            group_add: Vec::new(),
            networks: Vec::new(),
            network_mode: None,
            pid: None,
            ipc: None,
            pre_start: Vec::new(),
            post_start: Vec::new(),
            pre_stop: Vec::new(),
            models: Vec::new(),
            deploy: Deploy::default(),
            ferry: Default::default(),
            keys: Vec::new(),
            skipped: Vec::new(),
            extensions: IndexMap::new(),
            provider: None,
            provider_options: Vec::new(),
            label_files: Vec::new(),
        }
    }

    /// The value of a label, if set.
    pub fn label(&self, key: &str) -> Option<&KeyValue> {
        self.labels.iter().find(|kv| kv.key == key)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub loc: Location,
    pub image: Option<Located<String>>,
    pub build: Option<Build>,
    pub ports: Vec<Port>,
    /// `expose` entries: container ports reachable by other services only.
    pub expose: Vec<Port>,
    pub environment: Vec<EnvVar>,
    pub env_files: Vec<EnvFile>,
    pub command: Option<Located<Vec<String>>>,
    pub entrypoint: Option<Located<Vec<String>>>,
    pub working_dir: Option<Located<String>>,
    pub user: Option<Located<String>>,
    pub restart: Option<Located<Restart>>,
    pub labels: Vec<KeyValue>,
    pub annotations: Vec<KeyValue>,
    pub healthcheck: Option<Healthcheck>,
    pub replicas: Option<Located<u32>>,
    pub scale: Option<Located<u32>>,
    pub resources: Resources,
    pub container_name: Option<Located<String>>,
    pub hostname: Option<Located<String>>,
    pub volumes: Vec<Mount>,
    pub depends_on: Vec<Dependency>,
    pub links: Vec<Link>,
    /// `volumes_from`: the volumes of another service (or container) mounted here too.
    pub volumes_from: Vec<VolumesFrom>,
    pub secrets: Vec<FileRef>,
    pub configs: Vec<FileRef>,
    pub extra_hosts: Vec<HostEntry>,
    pub dns: Vec<Located<String>>,
    pub dns_search: Vec<Located<String>>,
    pub dns_opt: Vec<Located<String>>,
    pub domainname: Option<Located<String>>,
    pub cap_add: Vec<Located<String>>,
    pub cap_drop: Vec<Located<String>>,
    pub privileged: Option<Located<bool>>,
    pub read_only: Option<Located<bool>>,
    pub security_opt: Vec<Located<String>>,
    pub sysctls: Vec<KeyValue>,
    pub init: Option<Located<bool>>,
    pub tty: Option<Located<bool>>,
    pub stdin_open: Option<Located<bool>>,
    /// `/dev/shm` size as a Kubernetes quantity.
    pub shm_size: Option<Located<String>>,
    pub pull_policy: Option<Located<String>>,
    pub platform: Option<Located<String>>,
    pub stop_grace_period_ms: Option<Located<u64>>,
    pub group_add: Vec<Located<String>>,
    pub networks: Vec<ServiceNetwork>,
    pub network_mode: Option<Located<String>>,
    pub pid: Option<Located<String>>,
    pub ipc: Option<Located<String>>,
    pub pre_start: Vec<Hook>,
    pub post_start: Vec<Hook>,
    pub pre_stop: Vec<Hook>,
    /// `models:`: the models the service uses.
    pub models: Vec<ModelUse>,
    pub deploy: Deploy,
    /// The service's `x-ferry:` settings.
    pub ferry: crate::compose::xferry::ServiceFerry,
    /// Every key of the service as written, in file order, for the conversion report.
    pub keys: Vec<(String, Location)>,
    /// Keys present in the file that this version of ferry does not convert.
    pub skipped: Vec<Skipped>,
    /// `x-*` extensions, kept for templates.
    pub extensions: IndexMap<String, Node>,
    /// `provider.type`: the plugin that runs this service instead of a container.
    pub provider: Option<Located<String>>,
    /// `provider.options`, each with its values (a scalar is one value), as the plugin gets them
    /// (`--key=value`).
    pub provider_options: Vec<(String, Vec<String>)>,
    /// `label_file`: files of `KEY=VALUE` labels, read into `labels` by the loader (the
    /// service's own `labels` win).
    pub label_files: Vec<Located<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeDef {
    pub name: String,
    pub loc: Location,
    pub external: bool,
    /// The `name:` override (the volume's real name), if any.
    pub real_name: Option<String>,
    pub labels: Vec<KeyValue>,
    /// The volume's `x-ferry:` settings.
    pub ferry: crate::compose::xferry::VolumeFerry,
    /// Every key as written, for the conversion report.
    pub keys: Vec<(String, Location)>,
    pub skipped: Vec<Skipped>,
}

impl VolumeDef {
    /// A volume with nothing set but its name and where it was declared.
    pub fn new(name: &str, loc: Location) -> Self {
        VolumeDef {
            name: name.to_string(),
            loc,
            external: false,
            real_name: None,
            labels: Vec::new(),
            ferry: Default::default(),
            keys: Vec::new(),
            skipped: Vec::new(),
        }
    }
}
