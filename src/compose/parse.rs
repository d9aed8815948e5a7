//! From the (interpolated, merged) YAML tree to the canonical model. Every short syntax becomes
//! its long form here, every wrong type is an error with its location, and every key is either
//! read or recorded as skipped, so that translate can report it.

use super::model::*;
use super::{ports, shellwords, units, volumes};
use crate::error::{Error, Location, Report};
use crate::yaml::{resolve_bool, resolve_int, Node, Value};

/// Every service key the Compose Specification defines.
pub const SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

pub const TOP_LEVEL_KEYS: &[&str] = &[
    "version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs",
];

const DEPLOY_KEYS: &[&str] = &[
    "endpoint_mode",
    "labels",
    "mode",
    "placement",
    "replicas",
    "resources",
    "restart_policy",
    "rollback_config",
    "update_config",
];

const VOLUME_KEYS: &[&str] = &["name", "driver", "driver_opts", "external", "labels"];

/// The closest known key, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min()
        .map(|(_, k)| k)
}

pub(crate) fn unknown_key_message(key: &str, known: &[&str]) -> String {
    match did_you_mean(key, known) {
        Some(k) => format!("unknown key `{key}`; did you mean `{k}`?"),
        None => format!("unknown key `{key}`; it is not part of the Compose Specification"),
    }
}

/// Collects errors and warnings while reading, so that one run reports every problem.
pub struct Reader<'r> {
    pub errors: Vec<Error>,
    pub report: &'r mut Report,
    /// Unknown keys are warnings (`--allow-unknown-keys`), not errors.
    pub allow_unknown_keys: bool,
}

impl Reader<'_> {
    pub(crate) fn err(&mut self, node: &Node, path: &str, expected: &str) {
        let found = match &node.value {
            Value::Scalar(s) if !node.is_null() => format!("`{}`", s.text),
            _ => node.kind_name().to_string(),
        };
        self.errors.push(Error::invalid(
            &node.loc,
            format!("{path}: expected {expected}, found {found}"),
        ));
    }

    pub(crate) fn msg(&mut self, loc: &Location, path: &str, message: impl std::fmt::Display) {
        self.errors
            .push(Error::invalid(loc, format!("{path}: {message}")));
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) if !node.is_null() => Some(s.text.clone()),
            _ => {
                self.err(node, path, "a string");
                None
            }
        }
    }

    pub(crate) fn located_string(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        self.string(node, path)
            .map(|s| Located::new(s, node.loc.clone()))
    }

    /// A string field compose reads into a Go string: the empty string (say from an unset
    /// variable) is its zero value, the same as leaving the key out.
    pub(crate) fn optional_string(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        self.located_string(node, path)
            .filter(|s| !s.value.is_empty())
    }

    pub(crate) fn uint(&mut self, node: &Node, path: &str) -> Option<u32> {
        match &node.value {
            Value::Scalar(s) => {
                match resolve_int(s.text.trim()).and_then(|v| u32::try_from(v).ok()) {
                    Some(v) => Some(v),
                    None => {
                        self.err(node, path, "a whole number (0 or more)");
                        None
                    }
                }
            }
            _ => {
                self.err(node, path, "a whole number (0 or more)");
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        let v = match &node.value {
            Value::Scalar(s) => resolve_bool(&s.text).or(match s.text.as_str() {
                "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
                _ => None,
            }),
            _ => None,
        };
        if v.is_none() {
            self.err(node, path, "true or false");
        }
        v
    }

    pub fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n crate::yaml::Map> {
        match &node.value {
            Value::Map(m) => Some(m),
            _ => {
                self.err(node, path, "a mapping");
                None
            }
        }
    }

    pub(crate) fn seq<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(s) => Some(s),
            _ => {
                self.err(node, path, "a list");
                None
            }
        }
    }

    /// A string, or a list of strings (kept as a list).
    pub(crate) fn string_or_list(&mut self, node: &Node, path: &str) -> Vec<(String, Location)> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    self.string(n, &format!("{path}[{i}]"))
                        .map(|s| (s, n.loc.clone()))
                })
                .collect(),
            Value::Scalar(_) if !node.is_null() => self
                .string(node, path)
                .map(|s| vec![(s, node.loc.clone())])
                .unwrap_or_default(),
            _ => {
                self.err(node, path, "a string or a list of strings");
                Vec::new()
            }
        }
    }

    /// `command` / `entrypoint`: a string is split the way a shell would; a list is kept.
    pub(crate) fn command(&mut self, node: &Node, path: &str) -> Option<Located<Vec<String>>> {
        match &node.value {
            // Split as docker compose splits it, which stops at the first shell operator.
            Value::Scalar(s) if !node.is_null() => match shellwords::split(&s.text) {
                Ok(split) => {
                    if let Some(dropped) = &split.dropped {
                        self.report.warn(
                            Some(&node.loc),
                            path,
                            format!(
                                "`{dropped}` is dropped: docker compose splits a command string into words and stops at the first shell operator (`;`, `&`, `|`, `<`, `>`), so the rest never runs; to run it, use a shell: [\"sh\", \"-c\", \"...\"]"
                            ),
                        );
                    }
                    Some(Located::new(split.words, node.loc.clone()))
                }
                Err(why) => {
                    self.msg(
                        &node.loc,
                        path,
                        format!(
                            "cannot split `{}` into words as docker compose does: {why}",
                            s.text
                        ),
                    );
                    None
                }
            },
            Value::Seq(_) => {
                let words = self
                    .string_or_list(node, path)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                Some(Located::new(words, node.loc.clone()))
            }
            _ if node.is_null() => None,
            _ => {
                self.err(node, path, "a string or a list of strings");
                None
            }
        }
    }

    /// A list of `KEY=VALUE` strings or a mapping: environment, labels, annotations.
    /// Returns (name, value or None for a bare name, location) in file order.
    pub(crate) fn list_or_dict(
        &mut self,
        node: &Node,
        path: &str,
    ) -> Vec<(String, Option<String>, Location)> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let s = self.string(n, &format!("{path}[{i}]"))?;
                    Some(match s.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string()), n.loc.clone()),
                        None => (s, None, n.loc.clone()),
                    })
                })
                .collect(),
            Value::Map(m) => m
                .iter()
                .filter_map(|(k, e)| {
                    let v = &e.value;
                    let value = match &v.value {
                        _ if v.is_null() => None,
                        Value::Scalar(s) => Some(s.text.clone()),
                        _ => {
                            self.err(v, &format!("{path}.{k}"), "a string, number or boolean");
                            return None;
                        }
                    };
                    Some((k.clone(), value, e.key_loc.clone()))
                })
                .collect(),
            _ => {
                self.err(node, path, "a list of `KEY=VALUE` strings or a mapping");
                Vec::new()
            }
        }
    }

    /// A string or a list of strings, each with its location.
    pub(crate) fn list(&mut self, node: &Node, path: &str) -> Vec<(String, Location)> {
        self.string_or_list(node, path)
    }

    pub(crate) fn located_list(&mut self, node: &Node, path: &str) -> Vec<Located<String>> {
        self.string_or_list(node, path)
            .into_iter()
            .map(|(s, loc)| Located::new(s, loc))
            .collect()
    }

    pub(crate) fn located_bool(&mut self, node: &Node, path: &str) -> Option<Located<bool>> {
        self.boolean(node, path)
            .map(|b| Located::new(b, node.loc.clone()))
    }

    /// `KEY=VALUE` list or mapping; a bare key has an empty value.
    pub(crate) fn key_values(&mut self, node: &Node, path: &str) -> Vec<KeyValue> {
        let mut out: Vec<KeyValue> = Vec::new();
        for (key, value, loc) in self.list_or_dict(node, path) {
            out.retain(|kv| kv.key != key);
            out.push(KeyValue {
                key,
                value: value.unwrap_or_default(),
                loc,
            });
        }
        out
    }

    /// A docker byte size (`64m`, `1g`, a number of bytes) as a Kubernetes quantity.
    pub(crate) fn byte_quantity(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        let s = self.string(node, path)?;
        match units::parse_bytes(&s) {
            Ok(0) => None,
            Ok(b) => Some(Located::new(units::bytes_quantity(b), node.loc.clone())),
            Err(msg) => {
                self.msg(&node.loc, path, msg);
                None
            }
        }
    }

    pub(crate) fn duration(&mut self, node: &Node, path: &str) -> Option<Located<u64>> {
        let s = self.string(node, path)?;
        match units::parse_duration_ms(&s) {
            Ok(ms) => Some(Located::new(ms, node.loc.clone())),
            Err(msg) => {
                self.msg(&node.loc, path, msg);
                None
            }
        }
    }

    /// A key the Compose Specification does not define at `path` (empty at the top level):
    /// an error, as under docker compose, unless unknown keys are allowed.
    pub(crate) fn unknown(&mut self, loc: &Location, path: &str, key: &str, known: &[&str]) {
        let full = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        let message = unknown_key_message(key, known);
        if self.allow_unknown_keys {
            self.report.warn(Some(loc), full, message);
        } else {
            self.errors
                .push(Error::invalid(loc, format!("{full}: {message}")));
        }
    }
}

/// What the service reader needs from the project: variables for bare environment names.
pub struct ServiceContext<'a> {
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Which variables each interpolated value came from (see `load::Sources`).
    pub sources: Option<&'a super::load::Sources>,
    /// What an included project's environment gives the names it reads from the environment,
    /// by where they are written (see `load::ScopedEnv`); the rest reads `lookup`.
    pub scoped: Option<&'a super::load::ScopedEnv>,
}

impl ServiceContext<'_> {
    /// The value of the variable `name`, written at `at`, in the environment that reads it.
    fn env_value(&self, name: &str, at: &Location) -> Option<String> {
        self.scoped
            .and_then(|s| s.get(at))
            .cloned()
            .or_else(|| (self.lookup)(name))
    }
}

pub fn read_service(
    r: &mut Reader<'_>,
    name: &str,
    key_loc: &Location,
    node: &Node,
    ctx: &ServiceContext<'_>,
) -> Option<Service> {
    let base = format!("services.{name}");
    let map = r.map(node, &base)?;
    let mut svc = Service::new(name, key_loc.clone());
    let mut legacy = ResourceSet::default();
    let mut legacy_set = Vec::new();
    for (key, entry) in map {
        let v = &entry.value;
        // Not format!: this runs for every key of every service.
        let path = [base.as_str(), ".", key].concat();
        // A `depends_on` compose added (only implied dependencies) is no key of the file.
        if !super::normalize::is_implied(v) {
            svc.keys.push((key.clone(), entry.key_loc.clone()));
        }
        match key.as_str() {
            "image" => svc.image = r.optional_string(v, &path),
            "build" => svc.build = read_build(r, v, &path),
            "ports" => {
                if let Some(items) = r.seq(v, &path) {
                    for (i, item) in items.iter().enumerate() {
                        read_port(r, item, &format!("{path}[{i}]"), &mut svc.ports);
                    }
                }
            }
            "expose" => {
                if let Some(items) = r.seq(v, &path) {
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        if let Some(s) = r.string(item, &p) {
                            match ports::parse_expose(&s) {
                                Ok(list) => {
                                    svc.expose.extend(list.into_iter().map(|(port, protocol)| {
                                        Port {
                                            target: port,
                                            published: None,
                                            host_ip: None,
                                            protocol,
                                            name: None,
                                            app_protocol: None,
                                            loc: item.loc.clone(),
                                        }
                                    }))
                                }
                                Err(e) => r.msg(&item.loc, &p, e),
                            }
                        }
                    }
                }
            }
            "environment" => {
                for (k, value, loc) in r.list_or_dict(v, &path) {
                    let mut sources = ctx
                        .sources
                        .and_then(|s| s.get(&loc))
                        .cloned()
                        .unwrap_or_default();
                    let value = value.or_else(|| {
                        let v = ctx.env_value(&k, &loc);
                        if v.is_some() {
                            sources = vec![k.clone()];
                        }
                        v
                    });
                    if value.is_none() {
                        r.report.warn(
                            Some(&loc),
                            format!("{path}.{k}"),
                            format!("`{k}` has no value here and is not set in the environment or .env; it is left out"),
                        );
                    }
                    // A later definition of the same name replaces the earlier one in place.
                    let var = EnvVar {
                        name: k,
                        value,
                        loc,
                        sources,
                    };
                    match svc.environment.iter_mut().find(|e| e.name == var.name) {
                        Some(e) => *e = var,
                        None => svc.environment.push(var),
                    }
                }
            }
            "env_file" => svc.env_files = read_env_files(r, v, &path),
            "command" => svc.command = r.command(v, &path),
            "entrypoint" => svc.entrypoint = r.command(v, &path),
            "working_dir" => svc.working_dir = r.optional_string(v, &path),
            "user" => svc.user = r.optional_string(v, &path),
            "restart" => {
                if let Some(s) = r.string(v, &path).filter(|s| !s.is_empty()) {
                    match parse_restart(&s) {
                        Some(restart) => svc.restart = Some(Located::new(restart, v.loc.clone())),
                        None => r.err(
                            v,
                            &path,
                            "one of `no`, `always`, `on-failure[:N]`, `unless-stopped`",
                        ),
                    }
                }
            }
            "labels" => svc.labels = r.key_values(v, &path),
            "label_file" => svc.label_files = r.located_list(v, &path),
            "annotations" => svc.annotations = r.key_values(v, &path),
            "sysctls" => svc.sysctls = r.key_values(v, &path),
            "depends_on" => svc.depends_on = read_depends_on(r, v, &path),
            "links" => {
                for (s, loc) in r.list(v, &path) {
                    let (service, alias) = match s.split_once(':') {
                        Some((a, b)) => (a.to_string(), Some(b.to_string())),
                        None => (s, None),
                    };
                    svc.links.push(Link {
                        service,
                        alias,
                        loc,
                    });
                }
            }
            "volumes_from" => {
                for (raw, loc) in r.list(v, &path) {
                    let (rest, read_only) = match raw.rsplit_once(':') {
                        Some((rest, "ro")) => (rest, true),
                        Some((rest, "rw")) => (rest, false),
                        _ => (raw.as_str(), false),
                    };
                    let service = match rest.strip_prefix("container:") {
                        Some(_) => None,
                        None => Some(rest.to_string()),
                    };
                    svc.volumes_from.push(VolumesFrom {
                        service,
                        raw: raw.clone(),
                        read_only,
                        loc,
                    });
                }
            }
            "secrets" => svc.secrets = read_file_refs(r, v, &path),
            "configs" => svc.configs = read_file_refs(r, v, &path),
            "extra_hosts" => svc.extra_hosts = read_extra_hosts(r, v, &path),
            "dns" => svc.dns = r.located_list(v, &path),
            "dns_search" => svc.dns_search = r.located_list(v, &path),
            "dns_opt" => svc.dns_opt = r.located_list(v, &path),
            "domainname" => svc.domainname = r.optional_string(v, &path),
            "cap_add" => svc.cap_add = r.located_list(v, &path),
            "cap_drop" => svc.cap_drop = r.located_list(v, &path),
            "security_opt" => svc.security_opt = r.located_list(v, &path),
            "group_add" => svc.group_add = r.located_list(v, &path),
            "privileged" => svc.privileged = r.located_bool(v, &path),
            "read_only" => svc.read_only = r.located_bool(v, &path),
            "init" => svc.init = r.located_bool(v, &path),
            "tty" => svc.tty = r.located_bool(v, &path),
            "stdin_open" => svc.stdin_open = r.located_bool(v, &path),
            "shm_size" => svc.shm_size = r.byte_quantity(v, &path),
            "pull_policy" => {
                if let Some(s) = r.optional_string(v, &path) {
                    if PULL_POLICIES.contains(&s.value.as_str()) || s.value.starts_with("every_") {
                        svc.pull_policy = Some(s);
                    } else {
                        r.err(v, &path, "always, never, missing, if_not_present, build, daily, weekly or every_<duration>");
                    }
                }
            }
            "platform" => svc.platform = r.optional_string(v, &path),
            "tmpfs" => {
                for (spec, loc) in r.list(v, &path) {
                    // `/path[:opt,opt]`, e.g. `/run:size=64m,mode=1777`.
                    let (target, opts) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
                    if !target.starts_with('/') {
                        r.msg(&loc, &path, format!("`{target}` must be an absolute path"));
                        continue;
                    }
                    let mut size = None;
                    for o in opts.split(',') {
                        if let Some(sz) = o.strip_prefix("size=") {
                            match units::parse_bytes(sz) {
                                Ok(b) => size = Some(units::bytes_quantity(b)),
                                Err(msg) => r.msg(&loc, &path, msg),
                            }
                        }
                    }
                    svc.volumes.push(Mount {
                        kind: MountKind::Tmpfs,
                        source: None,
                        target: target.to_string(),
                        read_only: false,
                        subpath: None,
                        tmpfs_size: size,
                        from_tmpfs_key: true,
                        loc,
                    });
                }
            }
            "stop_grace_period" => svc.stop_grace_period_ms = r.duration(v, &path),
            "networks" => svc.networks = read_service_networks(r, v, &path),
            "network_mode" => svc.network_mode = r.optional_string(v, &path),
            "pid" => svc.pid = r.optional_string(v, &path),
            "ipc" => svc.ipc = r.optional_string(v, &path),
            "pre_start" => svc.pre_start = read_hooks(r, v, &path, true),
            "post_start" => svc.post_start = read_hooks(r, v, &path, false),
            "pre_stop" => svc.pre_stop = read_hooks(r, v, &path, false),
            "models" => svc.models = read_model_uses(r, v, &path),
            "gpus" => {
                let devices = read_gpus(r, v, &path);
                svc.deploy.devices.extend(devices);
            }
            "cpus" => {
                if let Some(s) = r.string(v, &path) {
                    match units::cpus_quantity(&s) {
                        Ok(q) => legacy.cpus = q.map(|q| Located::new(q, v.loc.clone())),
                        Err(msg) => r.msg(&v.loc, &path, msg),
                    }
                }
                legacy_set.push("cpus");
            }
            "mem_limit" => {
                legacy.memory = r.byte_quantity(v, &path);
                legacy_set.push("mem_limit");
            }
            "mem_reservation" => {
                if let Some(q) = r.byte_quantity(v, &path) {
                    if svc.resources.reservations.memory.is_none() {
                        svc.resources.reservations.memory = Some(q);
                    }
                }
            }
            "x-ferry" => {
                svc.ferry = super::xferry::read_service(r, v, &path);
                svc.extensions.insert(key.to_string(), v.clone());
            }
            "healthcheck" => svc.healthcheck = read_healthcheck(r, v, &path),
            "provider" => {
                if let Some(m) = r.map(v, &path) {
                    match m.get("type") {
                        Some(t) => {
                            svc.provider = r.optional_string(&t.value, &format!("{path}.type"))
                        }
                        None => r.msg(
                            &v.loc,
                            &path,
                            "a provider needs `type`, the plugin that runs the service",
                        ),
                    }
                }
            }
            "deploy" => read_deploy(r, v, &path, &mut svc),
            "scale" => svc.scale = r.uint(v, &path).map(|n| Located::new(n, v.loc.clone())),
            "container_name" => svc.container_name = r.optional_string(v, &path),
            "hostname" => svc.hostname = r.optional_string(v, &path),
            "volumes" => {
                if let Some(items) = r.seq(v, &path) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(m) = read_mount(r, item, &format!("{path}[{i}]")) {
                            svc.volumes.push(m);
                        }
                    }
                }
            }
            k if k.starts_with("x-") => {
                svc.extensions.insert(k.to_string(), v.clone());
            }
            k if SERVICE_KEYS.contains(&k) => svc.skipped.push(Skipped {
                key: k.to_string(),
                loc: entry.key_loc.clone(),
                value: v
                    .as_scalar()
                    .filter(|_| !v.is_null())
                    .map(|s| s.text.clone()),
            }),
            k => r.unknown(&entry.key_loc, &base, k, SERVICE_KEYS),
        }
    }
    // `cpus` and `mem_limit` are the older spelling of deploy.resources.limits, which wins.
    if svc.resources.limits.cpus.is_none() {
        svc.resources.limits.cpus = legacy.cpus;
    }
    if svc.resources.limits.memory.is_none() {
        svc.resources.limits.memory = legacy.memory;
    }
    let _ = legacy_set;
    Some(svc)
}

const PULL_POLICIES: &[&str] = &[
    "always",
    "never",
    "missing",
    "if_not_present",
    "build",
    "daily",
    "weekly",
    "refresh",
];

const DEPENDS_ON_KEYS: &[&str] = &["condition", "required", "restart"];

fn read_depends_on(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<Dependency> {
    match &v.value {
        Value::Map(m) => {
            let mut out = Vec::new();
            for (name, e) in m {
                let p = format!("{path}.{name}");
                let mut dep = Dependency {
                    service: name.clone(),
                    condition: "service_started".into(),
                    required: true,
                    loc: e.key_loc.clone(),
                    implied: super::normalize::is_implied(&e.value),
                };
                if let Some(dm) = (!e.value.is_null()).then(|| r.map(&e.value, &p)).flatten() {
                    for (k, de) in dm {
                        let kp = format!("{p}.{k}");
                        match k.as_str() {
                            "condition" => {
                                if let Some(c) = r.string(&de.value, &kp) {
                                    if [
                                        "service_started",
                                        "service_healthy",
                                        "service_completed_successfully",
                                    ]
                                    .contains(&c.as_str())
                                    {
                                        dep.condition = c;
                                    } else {
                                        r.err(&de.value, &kp, "service_started, service_healthy or service_completed_successfully");
                                    }
                                }
                            }
                            "required" => dep.required = r.boolean(&de.value, &kp).unwrap_or(true),
                            "restart" => {
                                r.boolean(&de.value, &kp);
                            }
                            k if k.starts_with("x-") => {}
                            k => r.unknown(&de.key_loc, &p, k, DEPENDS_ON_KEYS),
                        }
                    }
                }
                out.push(dep);
            }
            out
        }
        _ => r
            .list(v, path)
            .into_iter()
            .map(|(service, loc)| Dependency {
                service,
                condition: "service_started".into(),
                required: true,
                loc,
                implied: false,
            })
            .collect(),
    }
}

const FILE_REF_KEYS: &[&str] = &["source", "target", "uid", "gid", "mode"];

fn read_file_refs(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<FileRef> {
    let Some(items) = r.seq(v, path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match &item.value {
            Value::Scalar(_) => {
                if let Some(source) = r.string(item, &p) {
                    out.push(FileRef {
                        source,
                        target: None,
                        uid: None,
                        gid: None,
                        mode: None,
                        loc: item.loc.clone(),
                    });
                }
            }
            Value::Map(m) => {
                let mut f = FileRef {
                    source: String::new(),
                    target: None,
                    uid: None,
                    gid: None,
                    mode: None,
                    loc: item.loc.clone(),
                };
                for (k, e) in m {
                    let kp = format!("{p}.{k}");
                    let n = &e.value;
                    match k.as_str() {
                        "source" => f.source = r.string(n, &kp).unwrap_or_default(),
                        "target" => f.target = r.string(n, &kp),
                        "uid" => f.uid = r.located_string(n, &kp),
                        "gid" => f.gid = r.located_string(n, &kp),
                        "mode" => {
                            if let Some(s) = r.string(n, &kp) {
                                match parse_mode(&s) {
                                    Some(m) => f.mode = Some(Located::new(m, n.loc.clone())),
                                    None => r.err(n, &kp, "a file mode in octal such as 0440"),
                                }
                            }
                        }
                        k if k.starts_with("x-") => {}
                        k => r.unknown(&e.key_loc, &p, k, FILE_REF_KEYS),
                    }
                }
                if f.source.is_empty() {
                    r.msg(
                        &item.loc,
                        &p,
                        "needs `source`, the name of a top-level entry",
                    );
                } else {
                    out.push(f);
                }
            }
            Value::Seq(_) => r.err(item, &p, "a name or a mapping with `source`"),
        }
    }
    out
}

/// A file mode: compose writes it in octal (`0440`, `440`) or as a decimal number YAML 1.1
/// read from `0o440`; ferry reads digits as octal, as docker compose does.
pub(crate) fn parse_mode(s: &str) -> Option<u32> {
    let t = s.trim();
    let t = t.strip_prefix("0o").unwrap_or(t);
    let m = u32::from_str_radix(t, 8).ok()?;
    (m <= 0o7777).then_some(m)
}

fn read_extra_hosts(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<HostEntry> {
    let mut out = Vec::new();
    match &v.value {
        Value::Map(m) => {
            for (host, e) in m {
                let p = format!("{path}.{host}");
                for (ip, loc) in r.list(&e.value, &p) {
                    out.push(HostEntry {
                        host: host.clone(),
                        ip,
                        loc,
                    });
                }
            }
        }
        _ => {
            for (s, loc) in r.list(v, path) {
                // `host:ip`, `host=ip`; an IPv6 address may itself hold colons (`host:::1`,
                // `host=[::1]`), so split at the first separator.
                let split = s.find('=').or_else(|| s.find(':'));
                match split {
                    Some(i) => out.push(HostEntry {
                        host: s[..i].to_string(),
                        ip: s[i + 1..]
                            .trim_start_matches('[')
                            .trim_end_matches(']')
                            .to_string(),
                        loc,
                    }),
                    None => r.msg(&loc, path, format!("`{s}` is not `HOST:IP` or `HOST=IP`")),
                }
            }
        }
    }
    out
}

const SERVICE_NETWORK_KEYS: &[&str] = &[
    "aliases",
    "interface_name",
    "ipv4_address",
    "ipv6_address",
    "link_local_ips",
    "mac_address",
    "driver_opts",
    "priority",
    "gw_priority",
];

fn read_service_networks(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<ServiceNetwork> {
    match &v.value {
        Value::Map(m) => {
            let mut out = Vec::new();
            for (name, e) in m {
                let p = format!("{path}.{name}");
                let mut net = ServiceNetwork {
                    name: name.clone(),
                    aliases: Vec::new(),
                    skipped: Vec::new(),
                    loc: e.key_loc.clone(),
                };
                if !e.value.is_null() {
                    if let Some(nm) = r.map(&e.value, &p) {
                        for (k, ne) in nm {
                            let kp = format!("{p}.{k}");
                            match k.as_str() {
                                "aliases" => net.aliases = r.located_list(&ne.value, &kp),
                                k if k.starts_with("x-") => {}
                                k if SERVICE_NETWORK_KEYS.contains(&k) => {
                                    net.skipped.push(Skipped {
                                        key: k.to_string(),
                                        loc: ne.key_loc.clone(),
                                        value: ne.value.as_scalar().map(|s| s.text.clone()),
                                    })
                                }
                                k => r.unknown(&ne.key_loc, &p, k, SERVICE_NETWORK_KEYS),
                            }
                        }
                    }
                }
                out.push(net);
            }
            out
        }
        _ => r
            .list(v, path)
            .into_iter()
            .map(|(name, loc)| ServiceNetwork {
                name,
                aliases: Vec::new(),
                skipped: Vec::new(),
                loc,
            })
            .collect(),
    }
}

const HOOK_KEYS: &[&str] = &[
    "command",
    "user",
    "privileged",
    "working_dir",
    "environment",
];
const PRE_START_KEYS: &[&str] = &[
    "command",
    "image",
    "user",
    "privileged",
    "working_dir",
    "environment",
    "per_replica",
];

fn read_hooks(r: &mut Reader<'_>, v: &Node, path: &str, pre_start: bool) -> Vec<Hook> {
    let Some(items) = r.seq(v, path) else {
        return Vec::new();
    };
    let known = if pre_start { PRE_START_KEYS } else { HOOK_KEYS };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(m) = r.map(item, &p) else { continue };
        let mut hook = Hook {
            command: None,
            image: None,
            user: None,
            privileged: false,
            working_dir: None,
            environment: Vec::new(),
            skipped: Vec::new(),
            loc: item.loc.clone(),
        };
        for (k, e) in m {
            let kp = format!("{p}.{k}");
            let n = &e.value;
            match k.as_str() {
                "command" => hook.command = r.command(n, &kp).map(|c| c.value),
                "image" if pre_start => hook.image = r.string(n, &kp),
                "user" => hook.user = r.located_string(n, &kp),
                "privileged" => hook.privileged = r.boolean(n, &kp).unwrap_or(false),
                "working_dir" => hook.working_dir = r.string(n, &kp),
                "environment" => {
                    for (name, value, loc) in r.list_or_dict(n, &kp) {
                        hook.environment.retain(|e| e.name != name);
                        hook.environment.push(EnvVar {
                            name,
                            value,
                            loc,
                            sources: Vec::new(),
                        });
                    }
                }
                "per_replica" if pre_start => {
                    if r.boolean(n, &kp) == Some(false) {
                        hook.skipped.push(Skipped {
                            key: "per_replica".into(),
                            loc: e.key_loc.clone(),
                            value: Some("false".into()),
                        });
                    }
                }
                k if k.starts_with("x-") => {}
                k => r.unknown(&e.key_loc, &p, k, known),
            }
        }
        if hook.command.is_none() && !pre_start {
            r.msg(&item.loc, &p, "a hook needs `command`");
            continue;
        }
        out.push(hook);
    }
    out
}

const DEVICE_KEYS: &[&str] = &["capabilities", "count", "device_ids", "driver", "options"];

fn read_device(r: &mut Reader<'_>, item: &Node, p: &str, gpu: bool) -> Option<DeviceRequest> {
    let m = r.map(item, p)?;
    let mut d = DeviceRequest {
        capabilities: if gpu { vec!["gpu".into()] } else { Vec::new() },
        count: None,
        device_ids: Vec::new(),
        driver: None,
        from_gpus: gpu,
        loc: item.loc.clone(),
    };
    for (k, e) in m {
        let kp = format!("{p}.{k}");
        let n = &e.value;
        match k.as_str() {
            "capabilities" => {
                let caps: Vec<String> = r.list(n, &kp).into_iter().map(|(s, _)| s).collect();
                for c in caps {
                    if !d.capabilities.contains(&c) {
                        d.capabilities.push(c);
                    }
                }
            }
            "count" => {
                // `all`, or -1 as compose-go writes `all`, is every device.
                d.count = match n.as_scalar().map(|s| s.text.trim()) {
                    Some(t) if t.eq_ignore_ascii_case("all") || t == "-1" => None,
                    _ => r.uint(n, &kp),
                }
            }
            "device_ids" => d.device_ids = r.list(n, &kp).into_iter().map(|(s, _)| s).collect(),
            "driver" => d.driver = r.string(n, &kp),
            "options" => {
                r.list_or_dict(n, &kp);
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, p, k, DEVICE_KEYS),
        }
    }
    if d.capabilities.is_empty() {
        r.msg(&item.loc, p, "a device request needs `capabilities`");
    }
    Some(d)
}

fn read_gpus(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<DeviceRequest> {
    match &v.value {
        Value::Scalar(s) if s.text == "all" => vec![DeviceRequest {
            capabilities: vec!["gpu".into()],
            count: None,
            device_ids: Vec::new(),
            driver: None,
            from_gpus: true,
            loc: v.loc.clone(),
        }],
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| read_device(r, item, &format!("{path}[{i}]"), true))
            .collect(),
        _ => {
            r.err(v, path, "`all` or a list of device requests");
            Vec::new()
        }
    }
}

fn parse_restart(s: &str) -> Option<Restart> {
    match s {
        "no" | "\"no\"" => Some(Restart::No),
        "always" => Some(Restart::Always),
        "unless-stopped" => Some(Restart::UnlessStopped),
        "on-failure" => Some(Restart::OnFailure(None)),
        _ => s
            .strip_prefix("on-failure:")
            .and_then(|n| n.parse().ok())
            .map(|n| Restart::OnFailure(Some(n))),
    }
}

fn read_build(r: &mut Reader<'_>, v: &Node, path: &str) -> Option<Build> {
    match &v.value {
        Value::Scalar(_) => r.string(v, path).map(|context| Build {
            context,
            loc: v.loc.clone(),
        }),
        Value::Map(m) => {
            let context = match m.get("context") {
                Some(e) => r.string(&e.value, &format!("{path}.context"))?,
                None => ".".to_string(),
            };
            Some(Build {
                context,
                loc: v.loc.clone(),
            })
        }
        Value::Seq(_) => {
            r.err(v, path, "a path or a mapping with `context`");
            None
        }
    }
}

const PORT_KEYS: &[&str] = &[
    "name",
    "mode",
    "host_ip",
    "target",
    "published",
    "protocol",
    "app_protocol",
];

fn read_port(r: &mut Reader<'_>, item: &Node, path: &str, out: &mut Vec<Port>) {
    match &item.value {
        Value::Scalar(s) if !item.is_null() => match ports::parse_short(&s.text) {
            Ok(list) => {
                for p in list {
                    if let Some(range) = p.published_range {
                        host_range_warning(r, &item.loc, path, range, p.target);
                    }
                    out.push(Port {
                        target: p.target,
                        published: p.published,
                        host_ip: p.host_ip,
                        protocol: p.protocol,
                        name: None,
                        app_protocol: None,
                        loc: item.loc.clone(),
                    });
                }
            }
            Err(e) => r.msg(&item.loc, path, e),
        },
        Value::Map(m) => {
            let mut target = None;
            let mut published = None;
            let mut port = Port {
                target: 0,
                published: None,
                host_ip: None,
                protocol: Protocol::Tcp,
                name: None,
                app_protocol: None,
                loc: item.loc.clone(),
            };
            for (k, e) in m {
                let p = format!("{path}.{k}");
                let v = &e.value;
                match k.as_str() {
                    "target" => {
                        if let Some(s) = r.string(v, &p) {
                            match ports::parse_range(&s, &s) {
                                Ok(range) => target = Some(range),
                                Err(msg) => r.msg(&v.loc, &p, msg),
                            }
                        }
                    }
                    "published" => {
                        if let Some(s) = r.string(v, &p) {
                            match ports::parse_range(&s, &s) {
                                Ok(range) => published = Some(range),
                                Err(msg) => r.msg(&v.loc, &p, msg),
                            }
                        }
                    }
                    "host_ip" => port.host_ip = r.string(v, &p),
                    "protocol" => {
                        if let Some(s) = r.string(v, &p) {
                            match ports::parse_protocol(&s) {
                                Ok(proto) => port.protocol = proto,
                                Err(msg) => r.msg(&v.loc, &p, msg),
                            }
                        }
                    }
                    "name" => port.name = r.string(v, &p),
                    "app_protocol" => port.app_protocol = r.string(v, &p),
                    "mode" => {
                        r.string(v, &p);
                    }
                    k if k.starts_with("x-") => {}
                    k => r.unknown(&e.key_loc, path, k, PORT_KEYS),
                }
            }
            let Some((t0, t1)) = target else {
                r.msg(
                    &item.loc,
                    path,
                    "a port in long syntax needs `target`, the container port",
                );
                return;
            };
            if let Err(why) = ports::check_lengths(published, (t0, t1)) {
                r.msg(&item.loc, path, why);
                return;
            }
            let range = published.filter(|(p0, p1)| t0 == t1 && p0 != p1);
            if let Some(range) = range {
                host_range_warning(r, &item.loc, path, range, t0);
            }
            for i in 0..=(t1 - t0) {
                let mut p = port.clone();
                p.target = t0 + i;
                p.published = published.filter(|_| range.is_none()).map(|(p0, _)| p0 + i);
                out.push(p);
            }
        }
        _ => r.err(
            item,
            path,
            "a port such as `8080:80` or a mapping with `target`",
        ),
    }
}

/// One container port published on a host port range: docker picks one free port of the range,
/// so the port is reachable at its container port only.
fn host_range_warning(
    r: &mut Reader<'_>,
    loc: &Location,
    path: &str,
    (p0, p1): (u16, u16),
    target: u16,
) {
    // Reported on the `ports` key: the message says which entry.
    let key = path.split('[').next().unwrap_or(path);
    r.report.warn(
        Some(loc),
        key.to_string(),
        format!("the container port {target} is published on one host port of {p0}-{p1}, chosen by docker; the Service carries the container port {target}"),
    );
}

fn read_env_files(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<EnvFile> {
    let items: Vec<&Node> = match &v.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![v],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let p = if matches!(v.value, Value::Seq(_)) {
            format!("{path}[{i}]")
        } else {
            path.to_string()
        };
        match &item.value {
            Value::Scalar(_) => {
                if let Some(s) = r.located_string(item, &p) {
                    out.push(EnvFile {
                        path: s,
                        required: true,
                        raw: false,
                        entries: Vec::new(),
                    });
                }
            }
            Value::Map(m) => {
                let mut file = None;
                let mut required = true;
                let mut raw = false;
                for (k, e) in m {
                    let kp = format!("{p}.{k}");
                    match k.as_str() {
                        "path" => file = r.located_string(&e.value, &kp),
                        "required" => required = r.boolean(&e.value, &kp).unwrap_or(true),
                        "format" => match r.string(&e.value, &kp).as_deref() {
                            Some("raw") => raw = true,
                            Some(_) => {
                                r.err(&e.value, &kp, "`raw` (the only format besides the default)")
                            }
                            None => {}
                        },
                        k if k.starts_with("x-") => {}
                        k => r.unknown(&e.key_loc, &p, k, &["path", "required", "format"]),
                    }
                }
                match file {
                    Some(path) => out.push(EnvFile {
                        path,
                        required,
                        raw,
                        entries: Vec::new(),
                    }),
                    None => r.msg(&item.loc, &p, "an env_file entry needs `path`"),
                }
            }
            Value::Seq(_) => r.err(item, &p, "a path or a mapping with `path`"),
        }
    }
    out
}

const HEALTHCHECK_KEYS: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "start_interval",
    "start_period",
    "test",
    "timeout",
];

fn read_healthcheck(r: &mut Reader<'_>, v: &Node, path: &str) -> Option<Healthcheck> {
    let m = r.map(v, path)?;
    let mut hc = Healthcheck {
        test: None,
        interval_ms: None,
        timeout_ms: None,
        start_period_ms: None,
        start_interval_ms: None,
        retries: None,
        disabled: false,
        loc: v.loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        let duration = |r: &mut Reader<'_>| -> Option<u64> {
            let s = r.string(n, &p)?;
            match units::parse_duration_ms(&s) {
                Ok(ms) => Some(ms),
                Err(msg) => {
                    r.msg(&n.loc, &p, msg);
                    None
                }
            }
        };
        match k.as_str() {
            "interval" => hc.interval_ms = duration(r),
            "timeout" => hc.timeout_ms = duration(r),
            "start_period" => hc.start_period_ms = duration(r),
            "start_interval" => hc.start_interval_ms = duration(r),
            "retries" => hc.retries = r.uint(n, &p),
            "disable" => hc.disabled = r.boolean(n, &p).unwrap_or(false),
            "test" => {
                hc.test = match &n.value {
                    Value::Scalar(s) if !n.is_null() => Some(HealthTest::Shell(s.text.clone())),
                    Value::Seq(_) => {
                        let words: Vec<String> = r
                            .string_or_list(n, &p)
                            .into_iter()
                            .map(|(s, _)| s)
                            .collect();
                        match words.split_first() {
                            Some((first, rest)) if first == "CMD" && !rest.is_empty() => {
                                Some(HealthTest::Exec(rest.to_vec()))
                            }
                            Some((first, rest)) if first == "CMD-SHELL" && !rest.is_empty() => {
                                Some(HealthTest::Shell(rest.join(" ")))
                            }
                            Some((first, _)) if first == "NONE" => Some(HealthTest::Disabled),
                            _ => {
                                r.err(n, &p, "a list starting with `CMD`, `CMD-SHELL` or `NONE`, followed by the command");
                                None
                            }
                        }
                    }
                    _ => {
                        r.err(
                            n,
                            &p,
                            "a command string or a list starting with `CMD`, `CMD-SHELL` or `NONE`",
                        );
                        None
                    }
                }
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, path, k, HEALTHCHECK_KEYS),
        }
    }
    Some(hc)
}

fn read_deploy(r: &mut Reader<'_>, v: &Node, path: &str, svc: &mut Service) {
    if v.is_null() {
        return;
    }
    let Some(m) = r.map(v, path) else { return };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        svc.deploy.keys.push((k.clone(), e.key_loc.clone()));
        match k.as_str() {
            "replicas" => svc.replicas = r.uint(n, &p).map(|c| Located::new(c, n.loc.clone())),
            "resources" => {
                let Some(rm) = r.map(n, &p) else { continue };
                for (rk, re) in rm {
                    let rp = format!("{p}.{rk}");
                    let (set, reservations) = match rk.as_str() {
                        "limits" => (&mut svc.resources.limits, false),
                        "reservations" => (&mut svc.resources.reservations, true),
                        k if k.starts_with("x-") => continue,
                        k => {
                            r.unknown(&re.key_loc, &p, k, &["limits", "reservations"]);
                            continue;
                        }
                    };
                    read_resource_set(
                        r,
                        &re.value,
                        &rp,
                        set,
                        &mut svc.skipped,
                        reservations.then_some(&mut svc.deploy.devices),
                    );
                }
            }
            "mode" => {
                if let Some(mode) = r.located_string(n, &p) {
                    if ["replicated", "global", "replicated-job", "global-job"]
                        .contains(&mode.value.as_str())
                    {
                        svc.deploy.mode = Some(mode);
                    } else {
                        r.err(n, &p, "replicated, global, replicated-job or global-job");
                    }
                }
            }
            "endpoint_mode" => {
                if let Some(mode) = r.located_string(n, &p) {
                    if ["vip", "dnsrr"].contains(&mode.value.as_str()) {
                        svc.deploy.endpoint_mode = Some(mode);
                    } else {
                        r.err(n, &p, "vip or dnsrr");
                    }
                }
            }
            "labels" => svc.deploy.labels = r.key_values(n, &p),
            "restart_policy" => svc.deploy.restart_policy = read_restart_policy(r, n, &p),
            "update_config" => svc.deploy.update_config = read_update_config(r, n, &p),
            "rollback_config" => {
                read_update_config(r, n, &p);
                svc.deploy.rollback_config = Some(e.key_loc.clone());
            }
            "placement" => read_placement(r, n, &p, &mut svc.deploy.placement),
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, path, k, DEPLOY_KEYS),
        }
    }
}

const RESTART_POLICY_KEYS: &[&str] = &["condition", "delay", "max_attempts", "window"];

fn read_restart_policy(r: &mut Reader<'_>, v: &Node, path: &str) -> Option<RestartPolicy> {
    let m = r.map(v, path)?;
    let mut rp = RestartPolicy {
        condition: None,
        max_attempts: None,
        delay: None,
        window: None,
        loc: v.loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "condition" => {
                if let Some(c) = r.located_string(n, &p) {
                    if !["none", "on-failure", "any"].contains(&c.value.as_str()) {
                        // compose takes any string here; docker runs such a service as `any`.
                        r.report.warn(
                            Some(&n.loc),
                            p.clone(),
                            format!("`{}` is not a condition the Compose Specification defines (none, on-failure, any); read as `any`", c.value),
                        );
                    }
                    rp.condition = Some(Located::new(
                        match c.value.as_str() {
                            "none" | "on-failure" => c.value,
                            _ => "any".to_string(),
                        },
                        c.loc,
                    ));
                }
            }
            "max_attempts" => {
                rp.max_attempts = r.uint(n, &p).map(|v| Located::new(v, n.loc.clone()))
            }
            "delay" => {
                r.duration(n, &p);
                rp.delay = Some(e.key_loc.clone());
            }
            "window" => {
                r.duration(n, &p);
                rp.window = Some(e.key_loc.clone());
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, path, k, RESTART_POLICY_KEYS),
        }
    }
    Some(rp)
}

const UPDATE_CONFIG_KEYS: &[&str] = &[
    "parallelism",
    "delay",
    "failure_action",
    "monitor",
    "max_failure_ratio",
    "order",
];

fn read_update_config(r: &mut Reader<'_>, v: &Node, path: &str) -> Option<UpdateConfig> {
    let m = r.map(v, path)?;
    let mut u = UpdateConfig {
        parallelism: None,
        order: None,
        delay: None,
        monitor_ms: None,
        failure_action: None,
        max_failure_ratio: None,
        loc: v.loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "parallelism" => u.parallelism = r.uint(n, &p),
            "order" => {
                if let Some(o) = r.located_string(n, &p) {
                    if ["start-first", "stop-first"].contains(&o.value.as_str()) {
                        u.order = Some(o);
                    } else {
                        r.err(n, &p, "start-first or stop-first");
                    }
                }
            }
            "delay" => {
                r.duration(n, &p);
                u.delay = Some(e.key_loc.clone());
            }
            "monitor" => u.monitor_ms = r.duration(n, &p),
            "failure_action" => {
                if let Some(a) = r.located_string(n, &p) {
                    if ["continue", "pause", "rollback"].contains(&a.value.as_str()) {
                        u.failure_action = Some(a);
                    } else {
                        r.err(n, &p, "continue, pause or rollback");
                    }
                }
            }
            "max_failure_ratio" => {
                r.string(n, &p);
                u.max_failure_ratio = Some(e.key_loc.clone());
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, path, k, UPDATE_CONFIG_KEYS),
        }
    }
    Some(u)
}

const PLACEMENT_KEYS: &[&str] = &["constraints", "preferences", "max_replicas_per_node"];

fn read_placement(r: &mut Reader<'_>, v: &Node, path: &str, out: &mut Placement) {
    let Some(m) = r.map(v, path) else { return };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "constraints" => out.constraints = r.located_list(n, &p),
            "preferences" => {
                let Some(items) = r.seq(n, &p) else { continue };
                for (i, item) in items.iter().enumerate() {
                    let ip = format!("{p}[{i}]");
                    let Some(pm) = r.map(item, &ip) else { continue };
                    for (pk, pe) in pm {
                        match pk.as_str() {
                            "spread" => {
                                if let Some(s) =
                                    r.located_string(&pe.value, &format!("{ip}.spread"))
                                {
                                    out.preferences.push(s);
                                }
                            }
                            k => r.unknown(&pe.key_loc, &ip, k, &["spread"]),
                        }
                    }
                }
            }
            "max_replicas_per_node" => {
                out.max_replicas_per_node = r.uint(n, &p).map(|v| Located::new(v, n.loc.clone()))
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, path, k, PLACEMENT_KEYS),
        }
    }
}

fn read_resource_set(
    r: &mut Reader<'_>,
    v: &Node,
    path: &str,
    set: &mut ResourceSet,
    skipped: &mut Vec<Skipped>,
    mut devices: Option<&mut Vec<DeviceRequest>>,
) {
    let Some(m) = r.map(v, path) else { return };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "cpus" => {
                if let Some(s) = r.string(n, &p) {
                    match units::cpus_quantity(&s) {
                        Ok(q) => set.cpus = q.map(|q| Located::new(q, n.loc.clone())),
                        Err(msg) => r.msg(&n.loc, &p, msg),
                    }
                }
            }
            "memory" => {
                if let Some(s) = r.string(n, &p) {
                    match units::parse_bytes(&s) {
                        Ok(0) => {}
                        Ok(b) => {
                            set.memory = Some(Located::new(units::bytes_quantity(b), n.loc.clone()))
                        }
                        Err(msg) => r.msg(&n.loc, &p, msg),
                    }
                }
            }
            "devices" if devices.is_some() => {
                if let Some(items) = r.seq(n, &p) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(d) = read_device(r, item, &format!("{p}[{i}]"), false) {
                            if let Some(out) = devices.as_mut() {
                                out.push(d);
                            }
                        }
                    }
                }
            }
            "pids" | "devices" | "generic_resources" => skipped.push(Skipped {
                key: p
                    .trim_start_matches("services.")
                    .split_once('.')
                    .map_or(p.clone(), |(_, rest)| rest.to_string()),
                loc: e.key_loc.clone(),
                value: n.as_scalar().map(|s| s.text.clone()),
            }),
            k if k.starts_with("x-") => {}
            k => r.unknown(
                &e.key_loc,
                path,
                k,
                &["cpus", "memory", "pids", "devices", "generic_resources"],
            ),
        }
    }
}

const MOUNT_KEYS: &[&str] = &[
    "type",
    "source",
    "target",
    "read_only",
    "consistency",
    "bind",
    "volume",
    "tmpfs",
    "image",
];

fn read_mount(r: &mut Reader<'_>, item: &Node, path: &str) -> Option<Mount> {
    match &item.value {
        Value::Scalar(_) => {
            let s = r.string(item, path)?;
            match volumes::parse_short(&s) {
                Ok(m) => {
                    // Options docker compose does not know are ignored, as it ignores them.
                    for option in &m.ignored {
                        r.report.warn(
                            Some(&item.loc),
                            path,
                            volumes::ignored_option_message(option, m.read_only),
                        );
                    }
                    Some(Mount {
                        kind: m.kind,
                        source: m.source,
                        target: super::validate::clean_target(&m.target),
                        read_only: m.read_only,
                        subpath: None,
                        tmpfs_size: None,
                        from_tmpfs_key: false,
                        loc: item.loc.clone(),
                    })
                }
                Err(e) => {
                    r.msg(&item.loc, path, e);
                    None
                }
            }
        }
        Value::Map(m) => {
            let mut mount = Mount {
                kind: MountKind::Volume,
                source: None,
                target: String::new(),
                read_only: false,
                subpath: None,
                tmpfs_size: None,
                from_tmpfs_key: false,
                loc: item.loc.clone(),
            };
            let mut kind = None;
            for (k, e) in m {
                let p = format!("{path}.{k}");
                let n = &e.value;
                match k.as_str() {
                    "type" => {
                        kind = r.string(n, &p).map(|t| match t.as_str() {
                            "volume" => MountKind::Volume,
                            "bind" => MountKind::Bind,
                            "tmpfs" => MountKind::Tmpfs,
                            other => MountKind::Other(other.to_string()),
                        })
                    }
                    "source" => mount.source = r.string(n, &p),
                    "target" => {
                        mount.target = r
                            .string(n, &p)
                            .map(|t| super::validate::clean_target(&t))
                            .unwrap_or_default()
                    }
                    "read_only" => mount.read_only = r.boolean(n, &p).unwrap_or(false),
                    "volume" => {
                        if let Some(vm) = r.map(n, &p) {
                            if let Some(sp) = vm.get("subpath") {
                                mount.subpath = r.string(&sp.value, &format!("{p}.subpath"));
                            }
                        }
                    }
                    "tmpfs" => {
                        if let Some(size) = r.map(n, &p).and_then(|tm| tm.get("size")) {
                            let sp = format!("{p}.size");
                            if let Some(s) = r.string(&size.value, &sp) {
                                match units::parse_bytes(&s) {
                                    Ok(b) => mount.tmpfs_size = Some(units::bytes_quantity(b)),
                                    Err(msg) => r.msg(&size.value.loc, &sp, msg),
                                }
                            }
                        }
                    }
                    "bind" | "consistency" | "image" => {}
                    k if k.starts_with("x-") => {}
                    k => r.unknown(&e.key_loc, path, k, MOUNT_KEYS),
                }
            }
            let Some(kind) = kind else {
                r.msg(
                    &item.loc,
                    path,
                    "a volume in long syntax needs `type` (volume, bind or tmpfs)",
                );
                return None;
            };
            if !mount.target.starts_with('/') {
                r.msg(
                    &item.loc,
                    path,
                    "`target` must be an absolute path inside the container",
                );
                return None;
            }
            mount.kind = kind;
            Some(mount)
        }
        Value::Seq(_) => {
            r.err(
                item,
                path,
                "a volume such as `data:/var/lib/data` or a mapping with `type` and `target`",
            );
            None
        }
    }
}

/// Top-level `secrets`, `configs`, `networks` and `x-ferry`; the loader calls this for those
/// keys.
pub fn read_top_level(
    r: &mut Reader<'_>,
    key: &str,
    node: &Node,
    top: &mut TopLevel,
    ctx: &ServiceContext<'_>,
) {
    if key == "x-ferry" {
        top.ferry = super::xferry::read_project(r, node, key);
        return;
    }
    if node.is_null() {
        return;
    }
    let Some(m) = r.map(node, key) else { return };
    for (name, e) in m {
        match key {
            "secrets" | "configs" => {
                let def = read_file_object(r, key, name, &e.key_loc, &e.value, ctx);
                if key == "secrets" {
                    top.secrets.insert(name.clone(), def);
                } else {
                    top.configs.insert(name.clone(), def);
                }
            }
            "networks" => {
                let def = read_network(r, name, &e.key_loc, &e.value);
                top.networks.insert(name.clone(), def);
            }
            "models" => {
                if let Some(def) = read_model(r, name, &e.key_loc, &e.value) {
                    top.models.insert(name.clone(), def);
                }
            }
            _ => {}
        }
    }
}

const SECRET_KEYS: &[&str] = &[
    "name",
    "environment",
    "file",
    "external",
    "labels",
    "driver",
    "driver_opts",
    "template_driver",
];
const CONFIG_KEYS: &[&str] = &[
    "name",
    "content",
    "environment",
    "file",
    "external",
    "labels",
    "template_driver",
];

fn read_file_object(
    r: &mut Reader<'_>,
    section: &str,
    name: &str,
    key_loc: &Location,
    v: &Node,
    ctx: &ServiceContext<'_>,
) -> FileObjectDef {
    let path = format!("{section}.{name}");
    let known = if section == "secrets" {
        SECRET_KEYS
    } else {
        CONFIG_KEYS
    };
    let mut def = FileObjectDef {
        name: name.to_string(),
        loc: key_loc.clone(),
        source: FileSource::Missing,
        real_name: None,
        skipped: Vec::new(),
    };
    let Some(m) = (!v.is_null()).then(|| r.map(v, &path)).flatten() else {
        return def;
    };
    let mut sources = 0;
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "file" => {
                sources += 1;
                if let Some(f) = r.located_string(n, &p) {
                    def.source = FileSource::File(f);
                }
            }
            "content" if section == "configs" => {
                sources += 1;
                if let Some(c) = r.string(n, &p) {
                    def.source = FileSource::Content(Located::new(Sensitive(c), n.loc.clone()));
                }
            }
            "environment" => {
                sources += 1;
                if let Some(var) = r.located_string(n, &p) {
                    let value = ctx.env_value(&var.value, &n.loc).map(Sensitive);
                    def.source = FileSource::Environment(var, value);
                }
            }
            "external" => {
                let ext = match &n.value {
                    Value::Map(em) => {
                        if let Some(en) = em.get("name") {
                            def.real_name = r.string(&en.value, &format!("{p}.name"));
                        }
                        true
                    }
                    _ => r.boolean(n, &p).unwrap_or(false),
                };
                if ext {
                    sources += 1;
                    def.source = FileSource::External;
                }
            }
            "name" => def.real_name = r.string(n, &p).filter(|n| !n.is_empty()),
            k if k.starts_with("x-") => {}
            k if known.contains(&k) => def.skipped.push(Skipped {
                key: k.to_string(),
                loc: e.key_loc.clone(),
                value: n.as_scalar().map(|s| s.text.clone()),
            }),
            k => r.unknown(&e.key_loc, &path, k, known),
        }
    }
    if sources > 1 {
        r.msg(
            key_loc,
            &path,
            if section == "secrets" {
                "give only one of `file`, `environment` and `external`"
            } else {
                "give only one of `file`, `content`, `environment` and `external`"
            },
        );
    }
    def
}

const MODEL_KEYS: &[&str] = &["name", "model", "context_size", "runtime_flags"];

/// A top-level `models:` entry.
fn read_model(r: &mut Reader<'_>, name: &str, key_loc: &Location, v: &Node) -> Option<ModelDef> {
    let path = format!("models.{name}");
    let m = r.map(v, &path)?;
    let mut def = ModelDef {
        name: name.to_string(),
        model: String::new(),
        context_size: None,
        runtime_flags: Vec::new(),
        loc: key_loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "model" => def.model = r.string(&e.value, &p).unwrap_or_default(),
            "context_size" => def.context_size = r.uint(&e.value, &p).map(i64::from),
            "runtime_flags" => {
                def.runtime_flags = r.list(&e.value, &p).into_iter().map(|(f, _)| f).collect()
            }
            // A name for the runner; the services' variables are named after the key.
            "name" => {
                r.string(&e.value, &p);
            }
            k if k.starts_with("x-") => {}
            k => r.unknown(&e.key_loc, &path, k, MODEL_KEYS),
        }
    }
    if def.model.is_empty() {
        r.msg(
            key_loc,
            &path,
            "`model` is required (the model to run, such as `ai/smollm2`)",
        );
    }
    Some(def)
}

/// A service's `models:`: a list of model keys, or a mapping of them to `endpoint_var` and
/// `model_var` (or nothing).
fn read_model_uses(r: &mut Reader<'_>, v: &Node, path: &str) -> Vec<ModelUse> {
    let use_of = |name: &str, loc: &Location| ModelUse {
        name: name.to_string(),
        endpoint_var: None,
        model_var: None,
        loc: loc.clone(),
    };
    match &v.value {
        Value::Seq(_) => r
            .list(v, path)
            .into_iter()
            .map(|(name, loc)| use_of(&name, &loc))
            .collect(),
        Value::Map(m) => {
            let mut uses = Vec::new();
            for (name, e) in m {
                let p = format!("{path}.{name}");
                let mut u = use_of(name, &e.key_loc);
                if let Some(vars) = (!e.value.is_null()).then(|| r.map(&e.value, &p)).flatten() {
                    for (k, ve) in vars {
                        let kp = format!("{p}.{k}");
                        match k.as_str() {
                            "endpoint_var" => u.endpoint_var = r.string(&ve.value, &kp),
                            "model_var" => u.model_var = r.string(&ve.value, &kp),
                            k if k.starts_with("x-") => {}
                            k => r.unknown(&ve.key_loc, &p, k, &["endpoint_var", "model_var"]),
                        }
                    }
                }
                uses.push(u);
            }
            uses
        }
        _ => {
            r.err(v, path, "a list of model names or a mapping of them");
            Vec::new()
        }
    }
}

const NETWORK_KEYS: &[&str] = &[
    "name",
    "driver",
    "driver_opts",
    "ipam",
    "external",
    "internal",
    "enable_ipv4",
    "enable_ipv6",
    "attachable",
    "labels",
];

fn read_network(r: &mut Reader<'_>, name: &str, key_loc: &Location, v: &Node) -> NetworkDef {
    let path = format!("networks.{name}");
    let mut def = NetworkDef {
        name: name.to_string(),
        loc: key_loc.clone(),
        external: false,
        internal: false,
        skipped: Vec::new(),
    };
    let Some(m) = (!v.is_null()).then(|| r.map(v, &path)).flatten() else {
        return def;
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "external" => {
                def.external = match &n.value {
                    Value::Map(_) => true,
                    _ => r.boolean(n, &p).unwrap_or(false),
                }
            }
            "internal" => def.internal = r.boolean(n, &p).unwrap_or(false),
            "name" => {
                r.string(n, &p);
            }
            k if k.starts_with("x-") => {}
            k if NETWORK_KEYS.contains(&k) => def.skipped.push(Skipped {
                key: k.to_string(),
                loc: e.key_loc.clone(),
                value: n.as_scalar().map(|s| s.text.clone()),
            }),
            k => r.unknown(&e.key_loc, &path, k, NETWORK_KEYS),
        }
    }
    def
}

pub fn read_volume(r: &mut Reader<'_>, name: &str, key_loc: &Location, v: &Node) -> VolumeDef {
    let path = format!("volumes.{name}");
    let mut def = VolumeDef::new(name, key_loc.clone());
    if v.is_null() {
        return def;
    }
    let Some(m) = r.map(v, &path) else { return def };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        def.keys.push((k.clone(), e.key_loc.clone()));
        match k.as_str() {
            "labels" => def.labels = r.key_values(&e.value, &p),
            "x-ferry" => def.ferry = super::xferry::read_volume(r, &e.value, &p),
            "external" => {
                def.external = match &e.value.value {
                    Value::Map(em) => {
                        // `external: {name: x}` (deprecated) is `name: x, external: true`.
                        if let Some(n) = em.get("name") {
                            let n = r.string(&n.value, &format!("{p}.name"));
                            if def.real_name.is_none() {
                                def.real_name = n.filter(|n| !n.is_empty());
                            }
                        }
                        true
                    }
                    _ => r.boolean(&e.value, &p).unwrap_or(false),
                }
            }
            "name" => def.real_name = r.string(&e.value, &p).filter(|n| !n.is_empty()),
            k if k.starts_with("x-") => {}
            k if VOLUME_KEYS.contains(&k) => def.skipped.push(Skipped {
                key: k.to_string(),
                loc: e.key_loc.clone(),
                value: e.value.as_scalar().map(|s| s.text.clone()),
            }),
            k => r.unknown(&e.key_loc, &path, k, VOLUME_KEYS),
        }
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the readers know are the schema's, so that an unknown key is an error exactly
    /// where docker compose refuses one.
    #[test]
    fn reader_key_lists_are_the_schemas() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/compose-spec.json")).unwrap();
        let keys = |pointer: &str| -> Vec<String> {
            let mut v: Vec<String> = schema
                .pointer(pointer)
                .and_then(|o| o.get("properties"))
                .and_then(|p| p.as_object())
                .unwrap_or_else(|| panic!("{pointer}"))
                .keys()
                .cloned()
                .collect();
            v.sort();
            v
        };
        let list = |l: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = l.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(list(SERVICE_KEYS), keys("/$defs/service"));
        assert_eq!(list(TOP_LEVEL_KEYS), keys(""));
        assert_eq!(list(DEPLOY_KEYS), keys("/$defs/deployment"));
        assert_eq!(list(VOLUME_KEYS), keys("/$defs/volume"));
        assert_eq!(list(NETWORK_KEYS), keys("/$defs/network"));
        assert_eq!(list(SECRET_KEYS), keys("/$defs/secret"));
        assert_eq!(list(CONFIG_KEYS), keys("/$defs/config"));
        assert_eq!(list(MODEL_KEYS), keys("/$defs/model"));
        assert_eq!(list(HEALTHCHECK_KEYS), keys("/$defs/healthcheck"));
        assert_eq!(
            list(RESTART_POLICY_KEYS),
            keys("/$defs/deployment/properties/restart_policy")
        );
        assert_eq!(
            list(UPDATE_CONFIG_KEYS),
            keys("/$defs/deployment/properties/update_config")
        );
        assert_eq!(
            list(PLACEMENT_KEYS),
            keys("/$defs/deployment/properties/placement")
        );
    }

    #[test]
    fn did_you_mean_finds_typos() {
        assert_eq!(did_you_mean("imgae", SERVICE_KEYS), Some("image"));
        assert_eq!(
            did_you_mean("enviroment", SERVICE_KEYS),
            Some("environment")
        );
        assert_eq!(did_you_mean("zzzzzz", SERVICE_KEYS), None);
    }

    #[test]
    fn restart_forms() {
        assert_eq!(
            parse_restart("on-failure:3"),
            Some(Restart::OnFailure(Some(3)))
        );
        assert_eq!(parse_restart("no"), Some(Restart::No));
        assert_eq!(parse_restart("sometimes"), None);
    }
}
