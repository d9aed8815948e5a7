//! `ferry config`: the resolved project in the canonical shape `docker compose config` prints
//! (keys sorted, long syntax for ports, volumes, depends_on, networks and build, environment as
//! a mapping with env files folded in, the implicit `default` network, resource names).

use super::load::Loaded;
use super::{ports, volumes, Project};
use crate::yaml::{Node, Value};
use serde_json::{json, Map, Value as J};

fn text(n: &Node) -> Option<String> {
    n.as_scalar()
        .filter(|_| !n.is_null())
        .map(|s| s.text.clone())
}

/// Sort every mapping's keys, recursively (as Go's YAML encoder does for maps).
fn sorted(v: J) -> J {
    match v {
        J::Object(m) => {
            let mut entries: Vec<(String, J)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        J::Array(items) => J::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// A path made absolute as compose prints it: relative to the project directory, and `~/` in
/// the user's home directory (`HOME`), as compose-go's `ExpandUser` does.
fn abs_path(project: &Project, home: Option<&str>, p: &str) -> String {
    let in_home = match p.strip_prefix('~') {
        Some("") => Some(""),
        Some(rest) => rest.strip_prefix('/'),
        None => None,
    };
    if let (Some(rest), Some(h)) = (in_home, home) {
        return crate::paths::normalize(&std::path::Path::new(h).join(rest))
            .display()
            .to_string();
    }
    if p.starts_with('/') || p.starts_with('~') {
        p.to_string()
    } else {
        crate::paths::normalize(&project.dir.join(p))
            .display()
            .to_string()
    }
}

fn port_long(item: &Node) -> Vec<J> {
    match &item.value {
        Value::Map(_) => {
            let mut m = match item.to_json() {
                J::Object(m) => m,
                _ => Map::new(),
            };
            m.entry("mode").or_insert(json!("ingress"));
            m.entry("protocol").or_insert(json!("tcp"));
            if let Some(p) = m.get("published").cloned() {
                m.insert(
                    "published".into(),
                    json!(p
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| p.to_string())),
                );
            }
            if let Some(t) = m
                .get("target")
                .and_then(|t| t.as_str().and_then(|s| s.parse::<u64>().ok()))
            {
                m.insert("target".into(), json!(t));
            }
            vec![J::Object(m)]
        }
        _ => {
            let Some(t) = text(item) else {
                return Vec::new();
            };
            ports::parse_short(&t)
                .map(|list| {
                    list.into_iter()
                        .map(|p| {
                            let mut m = Map::new();
                            m.insert("mode".into(), json!("ingress"));
                            if let Some(ip) = p.host_ip {
                                m.insert("host_ip".into(), json!(ip));
                            }
                            m.insert("target".into(), json!(p.target));
                            if let Some((p0, p1)) = p.published_range {
                                m.insert("published".into(), json!(format!("{p0}-{p1}")));
                            }
                            if let Some(pb) = p.published {
                                m.insert("published".into(), json!(pb.to_string()));
                            }
                            m.insert("protocol".into(), json!(p.protocol.as_compose()));
                            J::Object(m)
                        })
                        .collect()
                })
                .unwrap_or_else(|_| vec![json!(t)])
        }
    }
}

fn volume_long(project: &Project, home: Option<&str>, item: &Node) -> J {
    match &item.value {
        Value::Map(_) => {
            let mut v = item.to_json();
            if let Some(t) = v["target"].as_str().map(super::validate::clean_target) {
                v["target"] = json!(t);
            }
            if v["type"] == "bind" {
                if let Some(src) = v["source"].as_str().map(str::to_string) {
                    v["source"] = json!(abs_path(project, home, &src));
                }
            }
            v
        }
        _ => {
            let Some(t) = text(item) else { return J::Null };
            match volumes::parse_short(&t) {
                Ok(m) => {
                    let mut o = Map::new();
                    let bind = m.kind == super::MountKind::Bind;
                    o.insert("type".into(), json!(if bind { "bind" } else { "volume" }));
                    if let Some(src) = &m.source {
                        o.insert(
                            "source".into(),
                            json!(if bind {
                                abs_path(project, home, src)
                            } else {
                                src.clone()
                            }),
                        );
                    }
                    o.insert(
                        "target".into(),
                        json!(super::validate::clean_target(&m.target)),
                    );
                    if m.read_only {
                        o.insert("read_only".into(), json!(true));
                    }
                    // Options after the second colon, as compose-go's ParseVolume reads them.
                    let mut bind_opts = Map::new();
                    let mut volume_opts = Map::new();
                    if m.options.nocopy {
                        volume_opts.insert("nocopy".into(), json!(true));
                    }
                    if let Some(selinux) = &m.options.selinux {
                        bind_opts.insert("selinux".into(), json!(selinux));
                    }
                    if let Some(propagation) = &m.options.propagation {
                        bind_opts.insert("propagation".into(), json!(propagation));
                    }
                    if bind {
                        bind_opts.insert("create_host_path".into(), json!(true));
                    }
                    if bind || !bind_opts.is_empty() {
                        o.insert("bind".into(), J::Object(bind_opts));
                    }
                    if !bind || !volume_opts.is_empty() {
                        o.insert("volume".into(), J::Object(volume_opts));
                    }
                    J::Object(o)
                }
                Err(_) => json!(t),
            }
        }
    }
}

fn service(project: &Project, home: Option<&str>, name: &str, node: &Node) -> J {
    let Some(m) = node.as_map() else {
        return node.to_json();
    };
    let mut out = Map::new();
    let model = project
        .services
        .get(name)
        .or_else(|| project.providers.get(name));
    for (k, e) in m {
        let v = &e.value;
        let j = match k.as_str() {
            "build" => build(project, home, v),
            "command" | "entrypoint" => match (k.as_str(), model) {
                ("command", Some(s)) => s.command.as_ref().map_or(J::Null, |c| json!(c.value)),
                (_, Some(s)) => s.entrypoint.as_ref().map_or(J::Null, |c| json!(c.value)),
                _ => v.to_json(),
            },
            "environment" | "env_file" => continue,
            // A list of models is a mapping of them to nothing, as compose-go reads it.
            "models" => match v.to_json() {
                J::Array(names) => J::Object(
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(|n| (n.to_string(), J::Null)))
                        .collect(),
                ),
                other => other,
            },
            // A file mode as compose-go prints one: octal with a leading 0 (`0440`).
            "secrets" | "configs" => {
                let mut j = v.to_json();
                for (i, item) in v.as_seq().unwrap_or_default().iter().enumerate() {
                    let mode = item.get("mode").and_then(text);
                    if let Some(m) = mode.as_deref().and_then(super::parse::parse_mode) {
                        j[i]["mode"] = json!(format!("0{m:o}"));
                    }
                }
                j
            }
            "label_file" => J::Array(
                super::merge::into_sequence(v.clone())
                    .iter()
                    .filter_map(text)
                    .map(|f| json!(abs_path(project, home, &f)))
                    .collect(),
            ),
            "labels" | "annotations" => {
                let mut lm = Map::new();
                for item in super::merge::into_sequence(v.clone()) {
                    if let Some(t) = text(&item) {
                        let (key, val) = t
                            .split_once('=')
                            .map_or((t.clone(), String::new()), |(a, b)| (a.into(), b.into()));
                        lm.insert(key, json!(val));
                    }
                }
                J::Object(lm)
            }
            "ports" => J::Array(
                v.as_seq()
                    .unwrap_or_default()
                    .iter()
                    .flat_map(port_long)
                    .collect(),
            ),
            "expose" => J::Array(
                v.as_seq()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(text)
                    .map(J::String)
                    .collect(),
            ),
            "volumes" => J::Array(
                v.as_seq()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| volume_long(project, home, i))
                    .collect(),
            ),
            "depends_on" => match &v.value {
                Value::Seq(items) => J::Object(
                    items
                        .iter()
                        .filter_map(text)
                        .map(|d| {
                            (
                                d,
                                json!({ "condition": "service_started", "required": true }),
                            )
                        })
                        .collect(),
                ),
                _ => {
                    let mut d = v.to_json();
                    if let J::Object(m) = &mut d {
                        for dep in m.values_mut() {
                            if dep.is_null() {
                                *dep = json!({});
                            }
                            if let J::Object(dm) = dep {
                                dm.entry("condition").or_insert(json!("service_started"));
                                dm.entry("required").or_insert(json!(true));
                            }
                        }
                    }
                    d
                }
            },
            "networks" => match &v.value {
                Value::Seq(items) => J::Object(
                    items
                        .iter()
                        .filter_map(text)
                        .map(|n| (n, J::Null))
                        .collect(),
                ),
                _ => v.to_json(),
            },
            "healthcheck" => {
                let mut h = v.to_json();
                if let Some(t) = h.get("test").and_then(|t| t.as_str()).map(str::to_string) {
                    h["test"] = json!(["CMD-SHELL", t]);
                }
                h
            }
            _ => v.to_json(),
        };
        out.insert(k.clone(), j);
    }
    // Environment with env files folded in (environment wins), as docker compose prints it.
    if let Some(s) = model {
        let mut env = Map::new();
        for ef in &s.env_files {
            for (k, v) in &ef.entries {
                env.insert(k.clone(), json!(v));
            }
        }
        for e in &s.environment {
            env.insert(
                e.name.clone(),
                e.value.as_ref().map_or(J::Null, |v| json!(v)),
            );
        }
        if !env.is_empty() {
            out.insert("environment".into(), J::Object(env));
        }
        // The env files are folded into `environment` and not printed, as docker compose does.
    }
    // Label files are read into `labels` and not printed, as docker compose does.
    if let Some(s) = model.filter(|s| !s.label_files.is_empty()) {
        out.remove("label_file");
        let labels: Map<String, J> = s
            .labels
            .iter()
            .map(|kv| (kv.key.clone(), json!(kv.value)))
            .collect();
        out.insert("labels".into(), J::Object(labels));
    }
    // A service run by a provider has no network of its own.
    if !out.contains_key("networks")
        && !out.contains_key("network_mode")
        && !out.contains_key("provider")
    {
        out.insert("networks".into(), json!({ "default": null }));
    }
    if let Some(s) = model {
        if !s.extra_hosts.is_empty() {
            let mut hosts: Vec<String> = s
                .extra_hosts
                .iter()
                .map(|h| format!("{}={}", h.host, h.ip))
                .collect();
            hosts.sort();
            out.insert("extra_hosts".into(), json!(hosts));
        }
    }
    let mut svc = J::Object(out);
    if let Some(J::Array(watch)) = at(&mut svc, &["develop", "watch"]) {
        for w in watch.iter_mut() {
            if let Some(p) = w.get("path").and_then(J::as_str).filter(|p| !p.is_empty()) {
                w["path"] = json!(abs_path(project, home, p));
            }
        }
    }
    canonical_service(&mut svc);
    omit_empty(&mut svc);
    svc
}

/// `build` in its long form: the context absolute (unless it is a URL or another service), the
/// default Dockerfile, additional contexts as a mapping of absolute paths.
fn build(project: &Project, home: Option<&str>, v: &Node) -> J {
    let mut b = match &v.value {
        Value::Map(_) => v.to_json(),
        _ => json!({ "context": text(v).unwrap_or_else(|| ".".into()) }),
    };
    if b.get("context").is_none_or(J::is_null) {
        b["context"] = json!(".");
    }
    if let Some(c) = b["context"].as_str().map(str::to_string) {
        b["context"] = json!(context_path(project, home, &c));
    }
    // An empty `dockerfile` (an unset variable) is the default, so that the printed file loads
    // back to itself (compose prints nothing there).
    let unset = |v: Option<&J>| v.is_none_or(|v| v.is_null() || v.as_str() == Some(""));
    if unset(b.get("dockerfile")) && unset(b.get("dockerfile_inline")) {
        b["dockerfile"] = json!("Dockerfile");
    }
    if let Some(J::Array(items)) = b.get("additional_contexts").cloned() {
        let map: Map<String, J> = items
            .iter()
            .filter_map(J::as_str)
            .filter_map(|e| e.split_once('='))
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        b["additional_contexts"] = J::Object(map);
    }
    if let Some(J::Object(ctxs)) = b.get_mut("additional_contexts") {
        for c in ctxs.values_mut() {
            if let Some(p) = c.as_str().map(|p| context_path(project, home, p)) {
                *c = json!(p);
            }
        }
    }
    b
}

/// A build context made absolute as compose does: not a URL, a git reference or `service:`.
fn context_path(project: &Project, home: Option<&str>, c: &str) -> String {
    let remote = c.contains("://")
        || c.starts_with("service:")
        || ["github.com/", "git@"].iter().any(|p| c.starts_with(p));
    if remote {
        c.to_string()
    } else {
        abs_path(project, home, c)
    }
}

/// The value at `path` below `v`, when every step is a mapping key.
fn at<'a>(v: &'a mut J, path: &[&str]) -> Option<&'a mut J> {
    path.iter().try_fold(v, |v, k| v.get_mut(*k))
}

fn scalar_text(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Durations compose prints as Go does (`1m0s`).
const DURATIONS: &[&[&str]] = &[
    &["healthcheck", "interval"],
    &["healthcheck", "timeout"],
    &["healthcheck", "start_period"],
    &["healthcheck", "start_interval"],
    &["stop_grace_period"],
    &["deploy", "restart_policy", "delay"],
    &["deploy", "restart_policy", "window"],
    &["deploy", "update_config", "delay"],
    &["deploy", "update_config", "monitor"],
    &["deploy", "rollback_config", "delay"],
    &["deploy", "rollback_config", "monitor"],
];

/// Byte sizes compose prints as a number of bytes.
const BYTES: &[&[&str]] = &[
    &["mem_limit"],
    &["mem_swappiness"],
    &["mem_reservation"],
    &["memswap_limit"],
    &["shm_size"],
    &["build", "shm_size"],
    &["deploy", "resources", "limits", "memory"],
    &["deploy", "resources", "reservations", "memory"],
];

/// The canonical forms docker compose prints for values ferry keeps as written in the tree.
fn canonical_service(svc: &mut J) {
    for path in DURATIONS {
        if let Some(v) = at(svc, path) {
            if let Some(ns) = scalar_text(v).and_then(|t| super::units::parse_duration_ns(&t).ok())
            {
                *v = json!(super::units::go_duration(ns));
            }
        }
    }
    let bytes = |v: &mut J| {
        if let Some(t) = scalar_text(v) {
            if t.trim() == "-1" {
                *v = json!("-1");
            } else if let Ok(b) = super::units::parse_bytes(&t) {
                *v = json!(b.to_string());
            }
        }
    };
    for path in BYTES {
        if let Some(v) = at(svc, path) {
            bytes(v);
        }
    }
    if let Some(J::Array(vols)) = svc.get_mut("volumes") {
        for v in vols {
            if let Some(size) = at(v, &["tmpfs", "size"]) {
                bytes(size);
            }
        }
    }
    // `KEY=VALUE` lists that compose reads as mappings.
    for path in [
        &["deploy", "labels"][..],
        &["build", "args"],
        &["build", "labels"],
    ] {
        if let Some(v) = at(svc, path) {
            key_value_map(v);
        }
    }
    // Devices in long syntax: `source[:target[:permissions]]`.
    if let Some(J::Array(devices)) = svc.get_mut("devices") {
        for d in devices.iter_mut() {
            let Some(spec) = d.as_str().map(str::to_string) else {
                continue;
            };
            let parts: Vec<&str> = spec.split(':').collect();
            if parts.len() > 3 {
                continue;
            }
            let source = parts[0];
            let target = parts
                .get(1)
                .copied()
                .filter(|t| !t.is_empty())
                .unwrap_or(source);
            let permissions = parts.get(2).copied().unwrap_or("rwm");
            *d = json!({ "source": source, "target": target, "permissions": permissions });
        }
    }
    // Device requests: `gpus: all` is one request for every device; a request without `count`
    // or `device_ids` asks for all of them; `all` is printed as compose-go's -1.
    if svc.get("gpus").is_some_and(J::is_string) {
        svc["gpus"] = json!([{ "count": "all" }]);
    }
    let requests = [
        &["deploy", "resources", "reservations", "devices"][..],
        &["gpus"],
    ];
    for path in requests {
        if let Some(J::Array(list)) = at(svc, path) {
            for d in list.iter_mut().filter(|d| d.is_object()) {
                if d.get("count").is_none() && d.get("device_ids").is_none() {
                    d["count"] = json!("all");
                }
                if let Some(c) = d.get_mut("count") {
                    match scalar_text(c) {
                        Some(t) if t.eq_ignore_ascii_case("all") => *c = json!(-1),
                        Some(t) => {
                            if let Ok(n) = t.parse::<i64>() {
                                *c = json!(n);
                            }
                        }
                        None => {}
                    }
                }
            }
        }
    }
    // CPU counts are numbers (compose-go's NanoCPUs), whether written quoted or not.
    for path in [
        &["cpus"][..],
        &["deploy", "resources", "limits", "cpus"],
        &["deploy", "resources", "reservations", "cpus"],
    ] {
        if let Some(v) = at(svc, path) {
            if let Some(f) = scalar_text(v).and_then(|t| t.trim().parse::<f64>().ok()) {
                *v = if f.fract() == 0.0 && f.abs() < 1e15 {
                    json!(f as i64)
                } else {
                    serde_json::Number::from_f64(f).map_or(v.take(), J::Number)
                };
            }
        }
    }
    // Lists and mappings in their one canonical shape.
    for key in ["tmpfs", "dns", "dns_search"] {
        if let Some(v) = svc.get_mut(key) {
            if v.is_string() {
                *v = json!([v.take()]);
            }
        }
    }
    if let Some(v) = svc.get_mut("sysctls") {
        let mut m = Map::new();
        match v.take() {
            J::Array(items) => {
                for i in items.iter().filter_map(J::as_str) {
                    let (k, val) = i.split_once('=').unwrap_or((i, ""));
                    m.insert(k.to_string(), json!(val));
                }
            }
            J::Object(o) => {
                for (k, val) in o {
                    m.insert(k, scalar_text(&val).map_or(val, |t| json!(t)));
                }
            }
            other => *v = other,
        }
        if !m.is_empty() {
            *v = J::Object(m);
        }
    }
    // A provider's options: each a list of strings.
    if let Some(J::Object(opts)) = at(svc, &["provider", "options"]) {
        for o in opts.values_mut() {
            let list: Vec<J> = match o.take() {
                J::Array(items) => items
                    .iter()
                    .map(|i| json!(scalar_text(i).unwrap_or_else(|| i.to_string())))
                    .collect(),
                J::Bool(b) => vec![json!(b.to_string())],
                other => vec![json!(scalar_text(&other).unwrap_or_default())],
            };
            *o = J::Array(list);
        }
    }
    if svc.get("pull_policy").and_then(J::as_str) == Some("if_not_present") {
        svc["pull_policy"] = json!("missing");
    }
    for (key, secrets) in [("secrets", true), ("configs", false)] {
        if let Some(J::Array(items)) = svc.get_mut(key) {
            for i in items.iter_mut() {
                if let Some(src) = i.as_str().map(str::to_string) {
                    *i = json!({ "source": src });
                }
                if secrets && i.get("target").is_none() {
                    if let Some(src) = i.get("source").and_then(J::as_str).map(str::to_string) {
                        i["target"] = json!(format!("/run/secrets/{src}"));
                    }
                }
            }
        }
    }
    // Lifecycle hooks: a command string is split as compose splits a command; a pre_start hook
    // runs the service's image unless it names one.
    let image = svc.get("image").cloned();
    for key in ["post_start", "pre_stop", "pre_start"] {
        if let Some(J::Array(hooks)) = svc.get_mut(key) {
            for h in hooks.iter_mut() {
                let split = h
                    .get("command")
                    .and_then(J::as_str)
                    .map(super::shellwords::split);
                if let Some(Ok(split)) = split {
                    h["command"] = json!(split.words);
                }
                if key == "pre_start" && h.get("image").is_none() {
                    if let Some(img) = image
                        .clone()
                        .filter(|i| i.as_str().is_some_and(|s| !s.is_empty()))
                    {
                        h["image"] = img;
                    }
                }
            }
        }
    }
}

/// A list of `KEY=VALUE` strings as a mapping (a bare `KEY` has no value); values as strings.
fn key_value_map(v: &mut J) {
    match v {
        J::Array(items) => {
            let m: Map<String, J> = items
                .iter()
                .filter_map(J::as_str)
                .map(|i| match i.split_once('=') {
                    Some((k, val)) => (k.to_string(), json!(val)),
                    None => (i.to_string(), J::Null),
                })
                .collect();
            *v = J::Object(m);
        }
        J::Object(m) => {
            for val in m.values_mut() {
                if let Some(t) = scalar_text(val).or_else(|| val.as_bool().map(|b| b.to_string())) {
                    *val = json!(t);
                }
            }
        }
        _ => {}
    }
}

/// Mappings whose keys the user chooses: nothing in them is left out.
const FREE_MAPS: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "args",
    "options",
    "driver_opts",
    "storage_opt",
    "additional_contexts",
];

/// Booleans compose prints even when false (optional values in compose-go).
const KEEP_FALSE: &[&str] = &["attach", "init", "enable_ipv4", "enable_ipv6", "required"];

/// Leave out what compose leaves out (`omitempty`): empty strings and false booleans, such as
/// `read_only: false` or an unset variable's empty `platform`.
fn omit_empty(v: &mut J) {
    match v {
        J::Object(m) => {
            m.retain(|k, val| {
                k.starts_with("x-")
                    || !(val.as_str() == Some("")
                        || (val == &J::Bool(false) && !KEEP_FALSE.contains(&k.as_str())))
            });
            for (k, val) in m.iter_mut() {
                if !FREE_MAPS.contains(&k.as_str()) && !k.starts_with("x-") {
                    omit_empty(val);
                }
            }
        }
        J::Array(items) => items.iter_mut().for_each(omit_empty),
        _ => {}
    }
}

/// The top-level networks, volumes, secrets and configs the printed services use: (section,
/// name).
fn used_resources(out: &Map<String, J>) -> std::collections::BTreeSet<(&'static str, String)> {
    let mut used = std::collections::BTreeSet::new();
    let services = out.get("services").and_then(J::as_object);
    for svc in services.into_iter().flat_map(|m| m.values()) {
        if let Some(nets) = svc.get("networks").and_then(J::as_object) {
            used.extend(nets.keys().map(|n| ("networks", n.clone())));
        }
        for v in svc
            .get("volumes")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            if v.get("type").and_then(J::as_str) == Some("volume") {
                if let Some(src) = v.get("source").and_then(J::as_str) {
                    used.insert(("volumes", src.to_string()));
                }
            }
        }
        let refs = [
            ("secrets", svc.get("secrets")),
            ("configs", svc.get("configs")),
            ("secrets", svc.get("build").and_then(|b| b.get("secrets"))),
        ];
        for model in svc
            .get("models")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
        {
            used.insert(("models", model.0.clone()));
        }
        for (section, list) in refs {
            for r in list.and_then(J::as_array).into_iter().flatten() {
                let source = r.as_str().or_else(|| r.get("source").and_then(J::as_str));
                if let Some(src) = source {
                    used.insert((section, src.to_string()));
                }
            }
        }
    }
    used
}

/// The canonical model as JSON (render it with `yaml::emit::to_document`).
pub fn canonical(loaded: &Loaded, project: &Project) -> J {
    let doc = &loaded.doc;
    let home = loaded.vars.get("HOME").map(String::as_str);
    let mut out = Map::new();
    out.insert("name".into(), json!(project.name));
    let mut uses_default = false;
    // `services` is always printed, empty or not, as docker compose does.
    let mut sm = Map::new();
    if let Some(services) = doc.get("services").and_then(Node::as_map) {
        for (name, e) in services {
            let s = service(project, home, name, &e.value);
            if s.get("networks").and_then(|n| n.get("default")).is_some() {
                uses_default = true;
            }
            sm.insert(name.clone(), s);
        }
    }
    out.insert("services".into(), J::Object(sm));
    let mut networks = match doc.get("networks").map(Node::to_json) {
        Some(J::Object(m)) => m,
        _ => Map::new(),
    };
    if uses_default && !networks.contains_key("default") {
        networks.insert("default".into(), J::Null);
    }
    let used = used_resources(&out);
    for section in ["networks", "volumes", "secrets", "configs"] {
        let mut defs = if section == "networks" {
            std::mem::take(&mut networks)
        } else {
            match doc.get(section).map(Node::to_json) {
                Some(J::Object(m)) => m,
                _ => continue,
            }
        };
        // What no service uses is left out, as docker compose config does.
        defs.retain(|k, _| used.contains(&(section, k.clone())));
        for (key, def) in defs.iter_mut() {
            if def.is_null() {
                *def = json!({});
            }
            // `external: {name: x}` (deprecated) is `name: x, external: true`.
            if let Some(J::Object(ext)) = def.get("external").cloned() {
                def["external"] = json!(true);
                if let (None, Some(n)) = (def.get("name"), ext.get("name")) {
                    def["name"] = n.clone();
                }
            }
            let external = def
                .get("external")
                .is_some_and(|e| e.as_bool().unwrap_or(true));
            // An empty name (an unset variable) is no name: the default (compose prints none).
            if def
                .get("name")
                .is_none_or(|n| n.is_null() || n.as_str() == Some(""))
            {
                let name = if external {
                    key.clone()
                } else {
                    format!("{}_{key}", project.name)
                };
                def["name"] = json!(name);
            }
            if let Some(f) = def.get("file").and_then(|f| f.as_str()).map(str::to_string) {
                def["file"] = json!(abs_path(project, home, &f));
            }
            if let Some(labels) = def.get_mut("labels") {
                key_value_map(labels);
            }
            // A local volume that binds a host directory: the directory made absolute.
            if section == "volumes" && def.get("driver").and_then(J::as_str) == Some("local") {
                if let Some(opts) = def.get_mut("driver_opts") {
                    let bind = opts.get("o").and_then(J::as_str) == Some("bind");
                    if let (true, Some(dev)) = (bind, opts.get("device").and_then(J::as_str)) {
                        opts["device"] = json!(abs_path(project, home, dev));
                    }
                }
            }
            omit_empty(def);
        }
        if !defs.is_empty() {
            out.insert(section.into(), J::Object(defs));
        }
    }
    // Models as written (compose gives them no default name), those a service uses.
    if let Some(J::Object(mut models)) = doc.get("models").map(Node::to_json) {
        models.retain(|k, _| used.contains(&("models", k.clone())));
        if !models.is_empty() {
            out.insert("models".into(), J::Object(models));
        }
    }
    for (k, e) in doc.as_map().into_iter().flatten() {
        if k.starts_with("x-") {
            out.insert(k.clone(), e.value.to_json());
        }
    }
    escape_dollars(sorted(J::Object(out)))
}

/// Values are printed after interpolation; a `$` left in them is written `$$`, so that loading
/// the printed file again gives the same project.
fn escape_dollars(v: J) -> J {
    match v {
        J::String(s) if s.contains('$') => J::String(s.replace('$', "$$")),
        J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, escape_dollars(v))).collect()),
        J::Array(items) => J::Array(items.into_iter().map(escape_dollars).collect()),
        other => other,
    }
}
