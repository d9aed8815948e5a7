//! From the (interpolated, merged) YAML tree to the canonical model. Every short syntax becomes
//! its long form here, every wrong type is an error with its location, and every key is either
//! read or recorded as skipped, so that translate can report it.

use super::model::*;
use super::{ports, units, volumes};
use crate::error::{Error, Location, Report};
use crate::yaml::{resolve_bool, resolve_int, Node, Value};
use indexmap::IndexMap;

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

fn unknown_key_message(key: &str, known: &[&str]) -> String {
    match did_you_mean(key, known) {
        Some(k) => format!("unknown key `{key}`; did you mean `{k}`?"),
        None => format!("unknown key `{key}`; it is not part of the Compose Specification"),
    }
}

/// Collects errors and warnings while reading, so that one run reports every problem.
pub struct Reader<'r> {
    pub errors: Vec<Error>,
    pub report: &'r mut Report,
}

impl Reader<'_> {
    fn err(&mut self, node: &Node, path: &str, expected: &str) {
        let found = match &node.value {
            Value::Scalar(s) if !node.is_null() => format!("`{}`", s.text),
            _ => node.kind_name().to_string(),
        };
        self.errors.push(Error::invalid(
            &node.loc,
            format!("{path}: expected {expected}, found {found}"),
        ));
    }

    fn msg(&mut self, loc: &Location, path: &str, message: impl std::fmt::Display) {
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

    fn located_string(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        self.string(node, path)
            .map(|s| Located::new(s, node.loc.clone()))
    }

    fn uint(&mut self, node: &Node, path: &str) -> Option<u32> {
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

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
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

    fn seq<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(s) => Some(s),
            _ => {
                self.err(node, path, "a list");
                None
            }
        }
    }

    /// A string, or a list of strings (kept as a list).
    fn string_or_list(&mut self, node: &Node, path: &str) -> Vec<(String, Location)> {
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
    fn command(&mut self, node: &Node, path: &str) -> Option<Located<Vec<String>>> {
        match &node.value {
            Value::Scalar(s) if !node.is_null() => match shlex::split(&s.text) {
                Some(words) => Some(Located::new(words, node.loc.clone())),
                None => {
                    self.msg(
                        &node.loc,
                        path,
                        format!("cannot split `{}` into words: unbalanced quotes", s.text),
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
    fn list_or_dict(&mut self, node: &Node, path: &str) -> Vec<(String, Option<String>, Location)> {
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

    fn unknown(&mut self, loc: &Location, path: &str, key: &str, known: &[&str]) {
        self.report.warn(
            Some(loc),
            format!("{path}.{key}"),
            unknown_key_message(key, known),
        );
    }
}

/// What the service reader needs from the project: variables for bare environment names.
pub struct ServiceContext<'a> {
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
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
    let mut svc = Service {
        name: name.to_string(),
        loc: key_loc.clone(),
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
        healthcheck: None,
        replicas: None,
        scale: None,
        resources: Resources::default(),
        container_name: None,
        hostname: None,
        volumes: Vec::new(),
        skipped: Vec::new(),
        extensions: IndexMap::new(),
    };
    for (key, entry) in map {
        let v = &entry.value;
        let path = format!("{base}.{key}");
        match key.as_str() {
            "image" => svc.image = r.located_string(v, &path),
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
                    let value = value.or_else(|| (ctx.lookup)(&k));
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
            "working_dir" => svc.working_dir = r.located_string(v, &path),
            "user" => svc.user = r.located_string(v, &path),
            "restart" => {
                if let Some(s) = r.string(v, &path) {
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
            "labels" => {
                svc.labels = r
                    .list_or_dict(v, &path)
                    .into_iter()
                    .map(|(k, v, _)| (k, v.unwrap_or_default()))
                    .collect();
            }
            "healthcheck" => svc.healthcheck = read_healthcheck(r, v, &path),
            "deploy" => read_deploy(r, v, &path, &mut svc),
            "scale" => svc.scale = r.uint(v, &path).map(|n| Located::new(n, v.loc.clone())),
            "container_name" => svc.container_name = r.located_string(v, &path),
            "hostname" => svc.hostname = r.located_string(v, &path),
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
            // Applied by the loader: the service is here because a profile of it is active.
            "profiles" => {}
            k if SERVICE_KEYS.contains(&k) => svc.skipped.push(Skipped {
                key: k.to_string(),
                loc: entry.key_loc.clone(),
            }),
            k => r.unknown(&entry.key_loc, &base, k, SERVICE_KEYS),
        }
    }
    Some(svc)
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
            Ok(list) => out.extend(list.into_iter().map(|p| Port {
                target: p.target,
                published: p.published,
                host_ip: p.host_ip,
                protocol: p.protocol,
                name: None,
                app_protocol: None,
                loc: item.loc.clone(),
            })),
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
            if let Some((p0, p1)) = published {
                if p1 - p0 != t1 - t0 && p1 != p0 {
                    r.msg(
                        &item.loc,
                        path,
                        "the published range and the target range have different lengths",
                    );
                    return;
                }
            }
            for i in 0..=(t1 - t0) {
                let mut p = port.clone();
                p.target = t0 + i;
                p.published = published.map(|(p0, p1)| if p0 == p1 { p0 } else { p0 + i });
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
            "start_interval" => {
                duration(r);
            }
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
    let Some(m) = r.map(v, path) else { return };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "replicas" => svc.replicas = r.uint(n, &p).map(|c| Located::new(c, n.loc.clone())),
            "resources" => {
                let Some(rm) = r.map(n, &p) else { continue };
                for (rk, re) in rm {
                    let rp = format!("{p}.{rk}");
                    let set = match rk.as_str() {
                        "limits" => &mut svc.resources.limits,
                        "reservations" => &mut svc.resources.reservations,
                        k if k.starts_with("x-") => continue,
                        k => {
                            r.unknown(&re.key_loc, &p, k, &["limits", "reservations"]);
                            continue;
                        }
                    };
                    read_resource_set(r, &re.value, &rp, set, &mut svc.skipped);
                }
            }
            k if k.starts_with("x-") => {}
            k if DEPLOY_KEYS.contains(&k) => svc.skipped.push(Skipped {
                key: format!("deploy.{k}"),
                loc: e.key_loc.clone(),
            }),
            k => r.unknown(&e.key_loc, path, k, DEPLOY_KEYS),
        }
    }
}

fn read_resource_set(
    r: &mut Reader<'_>,
    v: &Node,
    path: &str,
    set: &mut ResourceSet,
    skipped: &mut Vec<Skipped>,
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
            "pids" | "devices" | "generic_resources" => skipped.push(Skipped {
                key: p
                    .trim_start_matches("services.")
                    .split_once('.')
                    .map_or(p.clone(), |(_, rest)| rest.to_string()),
                loc: e.key_loc.clone(),
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
                Ok(m) => Some(Mount {
                    kind: m.kind,
                    source: m.source,
                    target: m.target,
                    read_only: m.read_only,
                    subpath: None,
                    tmpfs_size: None,
                    loc: item.loc.clone(),
                }),
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
                    "target" => mount.target = r.string(n, &p).unwrap_or_default(),
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

pub fn read_volume(r: &mut Reader<'_>, name: &str, key_loc: &Location, v: &Node) -> VolumeDef {
    let path = format!("volumes.{name}");
    let mut def = VolumeDef {
        name: name.to_string(),
        loc: key_loc.clone(),
        external: false,
        real_name: None,
        skipped: Vec::new(),
    };
    if v.is_null() {
        return def;
    }
    let Some(m) = r.map(v, &path) else { return def };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "external" => {
                def.external = match &e.value.value {
                    Value::Map(_) => true,
                    _ => r.boolean(&e.value, &p).unwrap_or(false),
                }
            }
            "name" => def.real_name = r.string(&e.value, &p),
            k if k.starts_with("x-") => {}
            k if VOLUME_KEYS.contains(&k) => def.skipped.push(Skipped {
                key: k.to_string(),
                loc: e.key_loc.clone(),
            }),
            k => r.unknown(&e.key_loc, &path, k, VOLUME_KEYS),
        }
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;

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
