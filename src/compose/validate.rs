//! The logical checks docker compose makes once a project is loaded, beyond the schema
//! (compose-go's `loader/validate.go` and `validation/`): references between services and
//! top-level objects, mutually exclusive keys, values that must agree, mount points used twice,
//! dependency cycles. Each finding is an error at the place it concerns.
//!
//! They run on the merged tree (after profiles), so that they also cover keys ferry does not
//! convert. Values of the wrong type are left to the readers and the schema.

use super::{ports, units, volumes};
use crate::error::{Error, Location};
use crate::yaml::{Map, Node, Value};
use std::collections::BTreeMap;

fn text(n: &Node) -> Option<&str> {
    n.as_scalar()
        .filter(|_| !n.is_null())
        .map(|s| s.text.as_str())
}

/// The entries of a mapping, or of a list of `KEY=VALUE` strings, with their locations.
fn entries(n: &Node) -> Vec<(String, Option<String>, Location)> {
    match &n.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, e)| {
                (
                    k.clone(),
                    text(&e.value).map(str::to_string),
                    e.key_loc.clone(),
                )
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let t = text(i)?;
                let (k, v) = match t.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (t.to_string(), None),
                };
                Some((k, v, i.loc.clone()))
            })
            .collect(),
        Value::Scalar(_) => Vec::new(),
    }
}

/// Names in a list of names, or the keys of a mapping (service `networks`, `depends_on`).
fn names(n: &Node) -> Vec<(String, Location)> {
    match &n.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, e)| (k.clone(), e.key_loc.clone()))
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| text(i).map(|t| (t.to_string(), i.loc.clone())))
            .collect(),
        Value::Scalar(_) => Vec::new(),
    }
}

/// A key of a service: services have a few keys, so a scan beats hashing the key.
fn field<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, e)| &e.value)
}

fn section<'a>(doc: &'a Node, key: &str) -> Option<&'a Map> {
    doc.get(key).and_then(Node::as_map)
}

fn defined(doc: &Node, key: &str, name: &str) -> bool {
    section(doc, key).is_some_and(|m| m.contains_key(name))
}

/// A number as compose reads it for `cpus`: a decimal.
fn number(n: &Node) -> Option<f64> {
    text(n).and_then(|t| t.trim().parse::<f64>().ok())
}

fn bytes(n: &Node) -> Option<u64> {
    text(n).and_then(|t| units::parse_bytes(t).ok())
}

fn int(n: &Node) -> Option<i64> {
    text(n).and_then(|t| t.trim().parse::<i64>().ok())
}

/// `path.Clean` of a mount point, as compose normalises volume targets.
pub fn clean_target(t: &str) -> String {
    let abs = t.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in t.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `services.NAME` in a message, formatted only when one is written.
struct Base<'a>(&'a str);

impl std::fmt::Display for Base<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "services.{}", self.0)
    }
}

/// The checks, on the merged tree after profiles. Returns every finding.
pub fn check(doc: &Node) -> Vec<Error> {
    let mut errors = Vec::new();
    let no_services = Map::default();
    let services = section(doc, "services").unwrap_or(&no_services);
    for (name, entry) in services {
        let svc = &entry.value;
        if svc.as_map().is_none() {
            continue;
        }
        check_service(doc, services, name, svc, &mut errors);
    }
    check_container_names(services, &mut errors);
    check_top_level(doc, &mut errors);
    check_cycles(services, &mut errors);
    errors
}

/// Two services with one `container_name`: docker compose refuses to create the second
/// container (compose-go's `CheckContainerNameUnicity`).
fn check_container_names(services: &Map, errors: &mut Vec<Error>) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, e) in services {
        let Some(cn) = field(&e.value, "container_name") else {
            continue;
        };
        let Some(c) = text(cn).filter(|c| !c.is_empty()) else {
            continue;
        };
        if let Some(first) = seen.get(c) {
            errors.push(Error::invalid(
                &cn.loc,
                format!("services.{name}.container_name: `{c}` is already the container name of services.{first}; docker compose cannot create two containers with one name"),
            ));
        } else {
            seen.insert(c, name);
        }
    }
}

fn check_service(doc: &Node, services: &Map, name: &str, svc: &Node, errors: &mut Vec<Error>) {
    // `services.NAME`, written only into messages (this runs for every service).
    let base = Base(name);
    let mut err = |loc: &Location, msg: String| errors.push(Error::invalid(loc, msg));

    if let Some(build) = field(svc, "build").filter(|b| b.as_map().is_some()) {
        if let (Some(_), Some(inline)) = (
            build.get("dockerfile").filter(|n| !n.is_null()),
            build.get("dockerfile_inline").filter(|n| !n.is_null()),
        ) {
            err(
                &inline.loc,
                format!(
                    "{base}.build: `dockerfile` and `dockerfile_inline` are mutually exclusive"
                ),
            );
        }
        if let Some(ctxs) = build.get("additional_contexts") {
            for (key, value, loc) in entries(ctxs) {
                let Some(target) = value.as_deref().and_then(|v| v.strip_prefix("service:")) else {
                    continue;
                };
                match services.get(target) {
                    None => err(
                        &loc,
                        format!("{base}.build.additional_contexts.{key}: `{target}` is not a service of this project"),
                    ),
                    Some(t) if t.value.get("build").is_none_or(Node::is_null) => err(
                        &loc,
                        format!("{base}.build.additional_contexts.{key}: the service `{target}` has no `build`, so it cannot be a build context"),
                    ),
                    Some(_) => {}
                }
            }
        }
        if let (Some(platforms), Some(platform)) = (
            build.get("platforms").and_then(Node::as_seq),
            field(svc, "platform"),
        ) {
            if let Some(p) = text(platform).filter(|p| !p.is_empty()) {
                if !platforms.is_empty() && !platforms.iter().any(|x| text(x) == Some(p)) {
                    err(
                        &platform.loc,
                        format!("{base}.platform: `{p}` must be one of build.platforms, which lists the platforms the image is built for"),
                    );
                }
            }
        }
        if let Some(secrets) = build.get("secrets") {
            for (source, loc) in file_ref_sources(secrets) {
                if !defined(doc, "secrets", &source) {
                    err(
                        &loc,
                        format!("{base}.build.secrets: refers to `{source}`, which is not declared under the top-level `secrets:`"),
                    );
                }
            }
        }
    }

    let network_mode = svc
        .get("network_mode")
        .and_then(text)
        .filter(|m| !m.is_empty());
    if let Some(nets) = field(svc, "networks").filter(|n| !n.is_null()) {
        let list = names(nets);
        if let (Some(mode), false) = (network_mode, list.is_empty()) {
            let at = field(svc, "network_mode").map_or(&nets.loc, |n| &n.loc);
            err(
                at,
                format!("{base}: `network_mode: {mode}` and `networks` are mutually exclusive"),
            );
        }
        for (net, loc) in list {
            if net != "default" && !defined(doc, "networks", &net) {
                err(
                    &loc,
                    format!("{base}.networks: the network `{net}` is not declared under the top-level `networks:`"),
                );
            }
        }
    }
    // A namespace shared with another service (`service:NAME`) needs that service.
    for key in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        let Some(n) = field(svc, key) else { continue };
        if let Some(other) = text(n).and_then(|t| t.strip_prefix("service:")) {
            if !services.contains_key(other) {
                err(
                    &n.loc,
                    format!("{base}.{key}: `{other}` is not a service of this project"),
                );
            }
        }
    }
    if let Some(from) = field(svc, "volumes_from") {
        for (spec, loc) in names(from) {
            if spec.starts_with("container:") {
                continue;
            }
            let other = spec.split(':').next().unwrap_or_default();
            if !services.contains_key(other) {
                err(
                    &loc,
                    format!("{base}.volumes_from: `{other}` is not a service of this project"),
                );
            }
        }
    }

    for (key, top) in [("secrets", "secrets"), ("configs", "configs")] {
        if let Some(refs) = field(svc, key) {
            for (source, loc) in file_ref_sources(refs) {
                if !defined(doc, top, &source) {
                    err(
                        &loc,
                        format!("{base}.{key}: refers to `{source}`, which is not declared under the top-level `{top}:`"),
                    );
                }
            }
        }
    }
    if let Some(models) = field(svc, "models") {
        for (model, loc) in names(models) {
            if !defined(doc, "models", &model) {
                err(
                    &loc,
                    format!("{base}.models: refers to `{model}`, which is not declared under the top-level `models:`"),
                );
            }
        }
    }

    // Values given twice, in the service and in `deploy`, must agree.
    let deploy = field(svc, "deploy").filter(|d| d.as_map().is_some());
    let replicas = deploy.and_then(|d| d.get("replicas"));
    if let (Some(scale), Some(replicas)) = (field(svc, "scale"), replicas) {
        if let (Some(a), Some(b)) = (int(scale), int(replicas)) {
            if a != b {
                err(
                    &scale.loc,
                    format!("{base}: `scale: {a}` and `deploy.replicas: {b}` differ; docker compose refuses distinct values"),
                );
            }
        }
    }
    let resources = deploy.and_then(|d| d.get("resources"));
    let limits = resources
        .and_then(|r| r.get("limits"))
        .filter(|l| l.as_map().is_some());
    let reservations = resources
        .and_then(|r| r.get("reservations"))
        .filter(|l| l.as_map().is_some());
    type Read = fn(&Node) -> Option<f64>;
    let pairs: [(&str, Option<&Node>, &str, Read); 4] = [
        ("cpus", limits, "limits.cpus", number),
        ("mem_limit", limits, "limits.memory", |n| {
            bytes(n).map(|b| b as f64)
        }),
        (
            "mem_reservation",
            reservations,
            "reservations.memory",
            |n| bytes(n).map(|b| b as f64),
        ),
        ("pids_limit", limits, "limits.pids", |n| {
            int(n).map(|i| i as f64)
        }),
    ];
    for (key, set, other, read) in pairs {
        let (Some(own), Some(set)) = (field(svc, key), set) else {
            continue;
        };
        let Some(a) = read(own).filter(|a| *a != 0.0) else {
            continue;
        };
        let inner = other.rsplit('.').next().unwrap_or(other);
        let b = set.get(inner).and_then(read).unwrap_or(0.0);
        if a != b {
            err(
                &own.loc,
                format!("{base}: `{key}` and `deploy.resources.{other}` differ; docker compose refuses distinct values (set one of them)"),
            );
        }
    }
    if let Some(cn) = svc
        .get("container_name")
        .filter(|n| text(n).is_some_and(|t| !t.is_empty()))
    {
        let (count, what) = match (field(svc, "scale").and_then(int), replicas.and_then(int)) {
            (Some(s), _) => (s, "scale"),
            (None, Some(r)) => (r, "deploy.replicas"),
            _ => (1, ""),
        };
        if count > 1 {
            err(
                &cn.loc,
                format!("{base}: `container_name` and `{what}: {count}` cannot be set together, as a container name must be unique"),
            );
        }
    }

    if let Some(watch) = svc
        .get("develop")
        .and_then(|d| d.get("watch"))
        .and_then(Node::as_seq)
    {
        for (i, w) in watch.iter().enumerate() {
            let action = w.get("action").and_then(text).unwrap_or_default();
            let target = w.get("target").and_then(text).unwrap_or_default();
            if target.is_empty() && !matches!(action, "rebuild" | "restart") {
                err(
                    &w.loc,
                    format!(
                        "{base}.develop.watch[{i}]: `target` is required for the action `{action}`"
                    ),
                );
            }
            if let Some(p) = w.get("path").filter(|p| text(p) == Some("")) {
                err(
                    &p.loc,
                    format!("{base}.develop.watch[{i}].path: must not be blank"),
                );
            }
        }
    }

    // A mount point used twice.
    // Where each mount point was first used: (`tmpfs` or `volumes`, index).
    let mut mounts: BTreeMap<String, (&str, usize)> = BTreeMap::new();
    if let Some(tmpfs) = field(svc, "tmpfs") {
        let items: Vec<(String, Location)> = match &tmpfs.value {
            Value::Seq(_) => names(tmpfs),
            _ => text(tmpfs)
                .map(|t| vec![(t.to_string(), tmpfs.loc.clone())])
                .unwrap_or_default(),
        };
        for (i, (spec, loc)) in items.into_iter().enumerate() {
            let path = spec.split(':').next().unwrap_or_default().to_string();
            if let Some((k, j)) = mounts.get(&path) {
                err(
                    &loc,
                    format!("{base}.tmpfs[{i}]: the target {path} is already mounted as {base}.{k}[{j}]"),
                );
            } else {
                mounts.insert(path, ("tmpfs", i));
            }
        }
    }
    if let Some(vols) = field(svc, "volumes").and_then(Node::as_seq) {
        for (i, v) in vols.iter().enumerate() {
            let target = match &v.value {
                Value::Map(_) => v.get("target").and_then(text).map(clean_target),
                _ => text(v)
                    .and_then(|t| volumes::parse_short(t).ok())
                    .map(|m| clean_target(&m.target)),
            };
            let Some(target) = target else { continue };
            if let Some((k, j)) = mounts.get(&target) {
                err(
                    &v.loc,
                    format!("{base}.volumes[{i}]: the target {target} is already mounted as {base}.{k}[{j}]"),
                );
            } else {
                mounts.insert(target, ("volumes", i));
            }
        }
    }

    if let Some(list) = field(svc, "ports").and_then(Node::as_seq) {
        for (i, p) in list.iter().enumerate() {
            let ips: Vec<(String, &Location)> = match &p.value {
                Value::Map(_) => p
                    .get("host_ip")
                    .and_then(|h| text(h).map(|t| (t.to_string(), &h.loc)))
                    .into_iter()
                    .collect(),
                _ => text(p)
                    .and_then(|t| ports::parse_short(t).ok())
                    .into_iter()
                    .flatten()
                    .filter_map(|sp| sp.host_ip.map(|ip| (ip, &p.loc)))
                    .collect(),
            };
            for (ip, loc) in ips {
                if ip.parse::<std::net::IpAddr>().is_err() {
                    err(loc, format!("{base}.ports[{i}]: invalid IP address `{ip}`"));
                }
            }
        }
    }
    let devices = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"))
        .and_then(Node::as_seq)
        .into_iter()
        .flatten()
        .map(|d| (d, "deploy.resources.reservations.devices"))
        .chain(
            field(svc, "gpus")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .map(|d| (d, "gpus")),
        );
    for (d, key) in devices {
        if d.get("count").is_some() && d.get("device_ids").is_some() {
            err(
                &d.loc,
                format!("{base}.{key}: `count` and `device_ids` are mutually exclusive"),
            );
        }
    }
}

/// The `source` of each entry of a service's `secrets` or `configs` (short or long syntax).
fn file_ref_sources(n: &Node) -> Vec<(String, Location)> {
    n.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| match &i.value {
            Value::Map(_) => i
                .get("source")
                .and_then(|s| text(s).map(|t| (t.to_string(), s.loc.clone()))),
            _ => text(i).map(|t| (t.to_string(), i.loc.clone())),
        })
        .collect()
}

fn check_top_level(doc: &Node, errors: &mut Vec<Error>) {
    for (section_name, keys) in [
        ("secrets", &["file", "environment"][..]),
        ("configs", &["file", "environment", "content"][..]),
    ] {
        let Some(defs) = section(doc, section_name) else {
            continue;
        };
        for (name, e) in defs {
            let Some(m) = e.value.as_map() else { continue };
            let given: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| m.contains_key(*k))
                .collect();
            let path = format!("{section_name}.{name}");
            // Two sources at once: the reader says so (`parse::read_file_object`).
            if given.is_empty() && !m.contains_key("driver") && !m.contains_key("external") {
                errors.push(Error::invalid(
                    &e.key_loc,
                    format!("{path}: one of {} must be set", keys.join(", ")),
                ));
            }
        }
    }
    if let Some(vols) = section(doc, "volumes") {
        for (name, e) in vols {
            let Some(m) = e.value.as_map() else { continue };
            let external = m
                .get("external")
                .and_then(|x| text(&x.value))
                .is_some_and(|t| t == "true");
            if !external {
                continue;
            }
            for (k, ke) in m {
                if !matches!(k.as_str(), "name" | "external") && !k.starts_with("x-") {
                    errors.push(Error::invalid(
                        &ke.key_loc,
                        format!("volumes.{name}: `external` and `{k}` conflict: an external volume is created outside compose"),
                    ));
                }
            }
        }
    }
}

/// The services a service needs started first: its `depends_on`, where the loader has added
/// the dependencies compose implies (`normalize.rs`).
fn dependencies(svc: &Node) -> Vec<(&str, &Location)> {
    match field(svc, "depends_on").map(|d| &d.value) {
        Some(Value::Map(m)) => m.iter().map(|(k, e)| (k.as_str(), &e.key_loc)).collect(),
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| text(i).map(|t| (t, &i.loc)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A dependency cycle (a service that needs itself, through any chain) is an error, reported
/// once, at the dependency that closes it. An iterative depth-first search: a chain of
/// thousands of services must not exhaust the stack.
fn check_cycles(services: &Map, errors: &mut Vec<Error>) {
    let graph: BTreeMap<&str, Vec<(&str, &Location)>> = services
        .iter()
        .map(|(k, e)| (k.as_str(), dependencies(&e.value)))
        .collect();
    // 1: on the current path, 2: done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for start in services.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // The current path: each service with the index of its next dependency to visit.
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        state.insert(start, 1);
        while let Some((name, next)) = path.last_mut() {
            let deps = graph.get(*name).map_or(&[][..], Vec::as_slice);
            let Some(&(dep, loc)) = deps.get(*next) else {
                state.insert(name, 2);
                path.pop();
                continue;
            };
            *next += 1;
            match state.get(dep) {
                Some(2) => {}
                Some(_) => {
                    let from = path.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                    let chain: Vec<&str> =
                        path[from..].iter().map(|(n, _)| *n).chain([dep]).collect();
                    let last = path.last().map_or(dep, |(n, _)| n);
                    errors.push(Error::invalid(
                        loc,
                        format!("services.{last}: a dependency cycle: {}", chain.join(" → ")),
                    ));
                    return;
                }
                None if graph.contains_key(dep) => {
                    state.insert(dep, 1);
                    path.push((dep, 0));
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};
    use std::sync::Arc;

    /// The findings on `src`, normalized first as the loader does.
    fn errors(src: &str) -> Vec<String> {
        let mut doc = parse_document(src, Arc::from("c.yaml"), &Limits::default())
            .unwrap()
            .unwrap();
        crate::compose::normalize::implicit_dependencies(&mut doc);
        check(&doc).iter().map(ToString::to_string).collect()
    }

    fn one(src: &str, expected: &str) {
        assert_eq!(errors(src), [expected]);
    }

    #[test]
    fn a_valid_project_passes() {
        let e = errors(concat!(
            "services:\n  web:\n    image: a\n    build: {context: ., platforms: [linux/amd64], additional_contexts: {b: 'service:base'}}\n",
            "    platform: linux/amd64\n    networks: [front]\n    secrets: [s]\n    scale: 2\n",
            "    deploy: {replicas: 2, resources: {limits: {cpus: '0.5'}}}\n    cpus: 0.5\n",
            "    volumes: ['data:/data/', {type: tmpfs, target: /tmp}]\n    depends_on: [base]\n",
            "  base:\n    build: .\n",
            "networks:\n  front: {}\nsecrets:\n  s: {file: ./s.txt}\nvolumes:\n  data: {external: true, name: x}\n"
        ));
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn build_platforms_must_include_platform() {
        one(
            "services:\n  web:\n    build: {context: ., platforms: [linux/amd64]}\n    platform: linux/arm64\n",
            "c.yaml:4:15: services.web.platform: `linux/arm64` must be one of build.platforms, which lists the platforms the image is built for",
        );
    }

    #[test]
    fn dockerfile_and_inline_are_exclusive() {
        one(
            "services:\n  web:\n    build:\n      dockerfile: D\n      dockerfile_inline: FROM x\n",
            "c.yaml:5:26: services.web.build: `dockerfile` and `dockerfile_inline` are mutually exclusive",
        );
    }

    #[test]
    fn additional_contexts_must_name_a_buildable_service() {
        assert_eq!(
            errors("services:\n  web:\n    build:\n      additional_contexts: ['a=service:nope', 'b=service:img']\n  img:\n    image: x\n"),
            [
                "c.yaml:4:29: services.web.build.additional_contexts.a: `nope` is not a service of this project",
                "c.yaml:4:47: services.web.build.additional_contexts.b: the service `img` has no `build`, so it cannot be a build context",
            ]
        );
    }

    #[test]
    fn network_mode_and_networks_are_exclusive_and_networks_must_be_declared() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    network_mode: host\n    networks: [back, default]\n"),
            [
                "c.yaml:4:19: services.web: `network_mode: host` and `networks` are mutually exclusive",
                "c.yaml:5:16: services.web.networks: the network `back` is not declared under the top-level `networks:`",
            ]
        );
    }

    #[test]
    fn shared_namespaces_and_volumes_from_need_the_service() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    network_mode: 'service:nope'\n    ipc: service:gone\n    volumes_from: ['x:ro', 'container:abc']\n"),
            [
                "c.yaml:4:19: services.web.network_mode: `nope` is not a service of this project",
                "c.yaml:5:10: services.web.ipc: `gone` is not a service of this project",
                "c.yaml:6:20: services.web.volumes_from: `x` is not a service of this project",
            ]
        );
    }

    #[test]
    fn references_to_top_level_objects_must_be_declared() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    secrets: [s]\n    configs: [{source: c}]\n    models: [m]\n    build: {secrets: [b]}\n"),
            [
                "c.yaml:7:23: services.web.build.secrets: refers to `b`, which is not declared under the top-level `secrets:`",
                "c.yaml:4:15: services.web.secrets: refers to `s`, which is not declared under the top-level `secrets:`",
                "c.yaml:5:24: services.web.configs: refers to `c`, which is not declared under the top-level `configs:`",
                "c.yaml:6:14: services.web.models: refers to `m`, which is not declared under the top-level `models:`",
            ]
        );
    }

    #[test]
    fn values_given_twice_must_agree() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    scale: 2\n    cpus: 1\n    mem_limit: 1g\n    mem_reservation: 512m\n    pids_limit: 10\n    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '0.5', memory: 1024m}\n        reservations: {memory: 256m}\n"),
            [
                "c.yaml:4:12: services.web: `scale: 2` and `deploy.replicas: 3` differ; docker compose refuses distinct values",
                "c.yaml:5:11: services.web: `cpus` and `deploy.resources.limits.cpus` differ; docker compose refuses distinct values (set one of them)",
                "c.yaml:7:22: services.web: `mem_reservation` and `deploy.resources.reservations.memory` differ; docker compose refuses distinct values (set one of them)",
                "c.yaml:8:17: services.web: `pids_limit` and `deploy.resources.limits.pids` differ; docker compose refuses distinct values (set one of them)",
            ]
        );
    }

    #[test]
    fn container_name_needs_a_single_replica() {
        one(
            "services:\n  web:\n    image: a\n    container_name: web\n    deploy: {replicas: 2}\n",
            "c.yaml:4:21: services.web: `container_name` and `deploy.replicas: 2` cannot be set together, as a container name must be unique",
        );
    }

    #[test]
    fn container_names_are_unique() {
        one(
            "services:\n  a:\n    image: x\n    container_name: app\n  b:\n    image: x\n    container_name: app\n",
            "c.yaml:7:21: services.b.container_name: `app` is already the container name of services.a; docker compose cannot create two containers with one name",
        );
    }

    #[test]
    fn develop_watch_needs_a_target_and_a_path() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    develop:\n      watch:\n        - {action: sync, path: ''}\n        - {action: rebuild, path: ./src}\n"),
            [
                "c.yaml:6:11: services.web.develop.watch[0]: `target` is required for the action `sync`",
                "c.yaml:6:32: services.web.develop.watch[0].path: must not be blank",
            ]
        );
    }

    #[test]
    fn a_mount_point_used_twice_is_an_error() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    tmpfs: [/run]\n    volumes: ['data:/data', './x:/data/', {type: bind, source: ., target: /run}]\nvolumes:\n  data: {}\n"),
            [
                "c.yaml:5:29: services.web.volumes[1]: the target /data is already mounted as services.web.volumes[0]",
                "c.yaml:5:43: services.web.volumes[2]: the target /run is already mounted as services.web.tmpfs[0]",
            ]
        );
    }

    #[test]
    fn host_ip_must_be_an_ip_address() {
        assert_eq!(
            errors("services:\n  web:\n    image: a\n    ports: ['localhost:80:80', '127.0.0.1:81:81', {target: 82, host_ip: nope}]\n"),
            [
                "c.yaml:4:13: services.web.ports[0]: invalid IP address `localhost`",
                "c.yaml:4:73: services.web.ports[2]: invalid IP address `nope`",
            ]
        );
    }

    #[test]
    fn device_count_and_ids_are_exclusive() {
        one(
            "services:\n  web:\n    image: a\n    gpus: [{count: 1, device_ids: ['0']}]\n",
            "c.yaml:4:12: services.web.gpus: `count` and `device_ids` are mutually exclusive",
        );
    }

    #[test]
    fn secrets_and_configs_need_one_source() {
        assert_eq!(
            errors("services: {}\nsecrets:\n  a: {file: x, environment: Y}\n  b: {labels: {x: y}}\n  c: {external: true}\n  d: {driver: vault}\nconfigs:\n  e: {content: x, file: y}\n"),
            [
                "c.yaml:4:3: secrets.b: one of file, environment must be set",
            ]
        );
    }

    #[test]
    fn external_volume_takes_no_other_settings() {
        one(
            "services: {}\nvolumes:\n  v:\n    external: true\n    driver: local\n    name: x\n",
            "c.yaml:5:5: volumes.v: `external` and `driver` conflict: an external volume is created outside compose",
        );
    }

    #[test]
    fn dependency_cycles_are_errors() {
        one(
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    links: [c]\n  c:\n    image: x\n    network_mode: service:a\n",
            "c.yaml:10:19: services.c: a dependency cycle: a → b → c → a",
        );
        one(
            "services:\n  a:\n    image: x\n    depends_on: [a]\n",
            "c.yaml:4:18: services.a: a dependency cycle: a → a",
        );
    }

    /// Checked without recursion: a test thread's small stack holds a chain of 20,000.
    #[test]
    fn a_long_dependency_chain_is_checked_without_recursion() {
        let mut src = String::from("services:\n");
        for i in 0..20_000 {
            src.push_str(&format!(
                "  s{i}:\n    image: x\n    depends_on: [s{}]\n",
                i + 1
            ));
        }
        src.push_str("  s20000:\n    image: x\n");
        assert!(errors(&src).is_empty());
        src.push_str("    depends_on: [s0]\n");
        let e = errors(&src);
        assert_eq!(e.len(), 1);
        assert!(
            e[0].contains("a dependency cycle: s0 → s1 → s2"),
            "{}",
            &e[0][..100]
        );
    }

    #[test]
    fn clean_target_is_go_path_clean() {
        assert_eq!(clean_target("/data/"), "/data");
        assert_eq!(clean_target("/a/./b/../c//"), "/a/c");
        assert_eq!(clean_target("/"), "/");
        assert_eq!(clean_target("/.."), "/");
    }
}
