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
    pub services: IndexMap<String, Service>,
    pub volumes: IndexMap<String, VolumeDef>,
    /// Top-level keys ferry does not convert yet, with their locations.
    pub unconverted: Vec<(String, Location)>,
    /// Where files the project names may be read from.
    pub reach: crate::paths::Reach,
}

impl Project {
    /// A file the project names (relative to the project directory), resolved within the
    /// project's reach.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, crate::paths::PathProblem> {
        crate::paths::resolve(&self.dir, &self.dir, path, self.reach)
    }
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
    pub labels: Vec<(String, String)>,
    pub healthcheck: Option<Healthcheck>,
    pub replicas: Option<Located<u32>>,
    pub scale: Option<Located<u32>>,
    pub resources: Resources,
    pub container_name: Option<Located<String>>,
    pub hostname: Option<Located<String>>,
    pub volumes: Vec<Mount>,
    /// Keys present in the file that this version of ferry does not convert.
    pub skipped: Vec<Skipped>,
    /// `x-*` extensions, kept for templates.
    pub extensions: IndexMap<String, Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeDef {
    pub name: String,
    pub loc: Location,
    pub external: bool,
    /// The `name:` override (the volume's real name), if any.
    pub real_name: Option<String>,
    pub skipped: Vec<Skipped>,
}
