//! The pod template: containers (one per compose service in the pod), their security context,
//! and the pod-level settings (host aliases, DNS, sysctls, scheduling hints).

use super::probes;
use super::settings::Settings;
use super::Ctx;
use crate::compose::{Hook, Project, ResourceSet, Service};
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// What the modules contribute to one pod.
#[derive(Debug, Default)]
pub struct PodParts {
    pub volumes: Vec<Value>,
    /// Pod volume names in use.
    pub used: BTreeSet<String>,
    /// The pod mounts a PersistentVolumeClaim (so rolling updates could deadlock on
    /// ReadWriteOnce volumes).
    pub uses_claim: bool,
    /// StatefulSet claim templates.
    pub claim_templates: Vec<Value>,
    pub init_containers: Vec<Value>,
    pub fs_group: Option<i64>,
}

impl PodParts {
    /// A pod volume name not used yet in this pod.
    pub fn unique(&mut self, base: &str) -> String {
        let name = names::unique(names::dns_label(base), base, |n| self.used.contains(n));
        self.used.insert(name.clone());
        name
    }

    /// The name of the pod volume made for `source` (its `x-ferry-source` marker), so that a
    /// source mounted twice is one volume. When there is none yet, one is made: named after
    /// `base()` (unique in the pod), with the volume source `source_fields` gives
    /// (`{"configMap": …}`).
    pub fn volume_for(
        &mut self,
        source: &str,
        base: impl FnOnce() -> String,
        source_fields: impl FnOnce() -> Map<String, Value>,
    ) -> String {
        let existing = self
            .volumes
            .iter()
            .find(|v| v.get("x-ferry-source").and_then(Value::as_str) == Some(source))
            .and_then(|v| v.get("name").and_then(Value::as_str));
        if let Some(name) = existing {
            return name.to_string();
        }
        let name = self.unique(&base());
        let mut volume = Map::new();
        volume.insert("name".into(), json!(name));
        volume.extend(source_fields());
        volume.insert("x-ferry-source".into(), json!(source));
        self.volumes.push(Value::Object(volume));
        name
    }
}

/// What the modules contribute to one container.
#[derive(Debug, Default)]
pub struct ContainerParts {
    pub mounts: Vec<Value>,
    pub env_from: Vec<Value>,
    /// Variables that must come before the service's own `environment`.
    pub env: Vec<Value>,
    /// The service's sensitive variables, set from its Secret.
    pub env_secrets: super::envsecrets::Plan,
}

/// Kubernetes expands `$(VAR)` in command, args and env values, and turns `$$` into `$`.
/// Doubling every `$` keeps compose's value byte for byte.
pub fn escape_dollars(s: &str) -> String {
    s.replace('$', "$$")
}

pub(crate) fn key(svc: &Service, k: &str) -> String {
    format!("services.{}.{k}", svc.name)
}

fn resources(
    limits: &ResourceSet,
    requests: &ResourceSet,
    extended: &[(String, u32)],
) -> Option<Value> {
    let set = |r: &ResourceSet| {
        let mut m = Map::new();
        if let Some(c) = &r.cpus {
            m.insert("cpu".into(), json!(c.value));
        }
        if let Some(mem) = &r.memory {
            m.insert("memory".into(), json!(mem.value));
        }
        m
    };
    let (mut l, q) = (set(limits), set(requests));
    for (name, n) in extended {
        l.insert(name.clone(), json!(n.to_string()));
    }
    let mut out = Map::new();
    if !l.is_empty() {
        out.insert("limits".into(), Value::Object(l));
    }
    if !q.is_empty() {
        out.insert("requests".into(), Value::Object(q));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// GPUs and other device requests as extended resources (`nvidia.com/gpu`, `amd.com/gpu`).
fn device_resources(svc: &Service, report: &mut Report) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for d in &svc.deploy.devices {
        let key_path = if d.from_gpus {
            key(svc, "gpus")
        } else {
            key(svc, "deploy.resources.reservations.devices")
        };
        if !d.capabilities.iter().any(|c| c == "gpu") {
            report.not_converted(
                Some(&d.loc),
                key_path,
                format!(
                    "devices with capabilities [{}] have no Kubernetes resource name; a device plugin provides them under its own name",
                    d.capabilities.join(", ")
                ),
            );
            continue;
        }
        let resource = match d.driver.as_deref() {
            None | Some("nvidia") => "nvidia.com/gpu",
            Some("amd") => "amd.com/gpu",
            Some("intel") => "gpu.intel.com/i915",
            Some(other) => {
                report.not_converted(
                    Some(&d.loc),
                    key_path,
                    format!("no known Kubernetes resource name for the `{other}` GPU driver"),
                );
                continue;
            }
        };
        let count = match d.count {
            Some(n) => n,
            None if !d.device_ids.is_empty() => d.device_ids.len() as u32,
            None => {
                report.warn(
                    Some(&d.loc),
                    key_path.clone(),
                    "`all` GPUs cannot be asked for in Kubernetes; asking for 1 (set `count`)",
                );
                1
            }
        };
        if !d.device_ids.is_empty() {
            report.warn(
                Some(&d.loc),
                key_path.clone(),
                format!(
                    "Kubernetes picks the devices; `device_ids` become a count of {}",
                    d.device_ids.len()
                ),
            );
        }
        report.converted(
            Some(&d.loc),
            key_path,
            format!("resources.limits `{resource}: {count}`"),
        );
        match out.iter_mut().find(|(r, _)| r == resource) {
            Some((_, n)) => *n += count,
            None => out.push((resource.to_string(), count)),
        }
    }
    out
}

fn image(project: &Project, svc: &Service, report: &mut Report) -> String {
    match (&svc.image, &svc.build) {
        (Some(img), Some(b)) => {
            report.warn(
                Some(&b.loc),
                key(svc, "build"),
                format!(
                    "ferry does not build images; build and push `{}` before applying",
                    img.value
                ),
            );
            img.value.clone()
        }
        (Some(img), None) => img.value.clone(),
        (None, build) => {
            let name = format!("{}-{}", project.name, svc.name);
            report.warn(
                build.as_ref().map(|b| &b.loc),
                key(svc, "build"),
                format!(
                    "no `image` given; using `{name}`, the name docker compose gives the image it builds; build it, push it where the cluster can pull it, and set `image:`"
                ),
            );
            name
        }
    }
}

/// `user: "1000"` or `"1000:1000"` → runAsUser / runAsGroup. Names cannot be converted.
fn run_as(
    user: &crate::compose::Located<String>,
    sk: String,
    report: &mut Report,
) -> Map<String, Value> {
    let mut sc = Map::new();
    let (u, g) = match user.value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user.value.as_str(), None),
    };
    let uid = u.parse::<i64>().ok();
    let gid = g.map(|g| g.parse::<i64>().ok());
    match (uid, gid) {
        (Some(uid), None) => {
            sc.insert("runAsUser".into(), json!(uid));
            report.converted(Some(&user.loc), sk, "securityContext.runAsUser");
        }
        (Some(uid), Some(Some(gid))) => {
            sc.insert("runAsUser".into(), json!(uid));
            sc.insert("runAsGroup".into(), json!(gid));
            report.converted(
                Some(&user.loc),
                sk,
                "securityContext.runAsUser and runAsGroup",
            );
        }
        _ => report.not_converted(
            Some(&user.loc),
            sk,
            format!(
                "`{}` is a user name; Kubernetes needs numeric ids (`user: \"1000:1000\"`); the image's default user is used",
                user.value
            ),
        ),
    }
    sc
}

fn capability(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").unwrap_or(&up).to_string()
}

/// `cap_add`, `cap_drop`, `privileged`, `read_only`, `security_opt`, `user`.
fn container_security(svc: &Service, report: &mut Report) -> Option<Value> {
    let mut sc = match &svc.user {
        Some(u) => run_as(u, key(svc, "user"), report),
        None => Map::new(),
    };
    let mut caps = Map::new();
    if !svc.cap_add.is_empty() {
        let list: Vec<String> = svc.cap_add.iter().map(|c| capability(&c.value)).collect();
        caps.insert("add".into(), json!(list));
        report.converted(
            svc.cap_add.first().map(|c| &c.loc),
            key(svc, "cap_add"),
            "securityContext.capabilities.add",
        );
    }
    if !svc.cap_drop.is_empty() {
        let list: Vec<String> = svc.cap_drop.iter().map(|c| capability(&c.value)).collect();
        caps.insert("drop".into(), json!(list));
        report.converted(
            svc.cap_drop.first().map(|c| &c.loc),
            key(svc, "cap_drop"),
            "securityContext.capabilities.drop",
        );
    }
    if !caps.is_empty() {
        sc.insert("capabilities".into(), Value::Object(caps));
    }
    if let Some(p) = &svc.privileged {
        if p.value {
            sc.insert("privileged".into(), json!(true));
        }
        report.converted(
            Some(&p.loc),
            key(svc, "privileged"),
            "securityContext.privileged",
        );
    }
    if let Some(ro) = &svc.read_only {
        if ro.value {
            sc.insert("readOnlyRootFilesystem".into(), json!(true));
        }
        report.converted(
            Some(&ro.loc),
            key(svc, "read_only"),
            "securityContext.readOnlyRootFilesystem",
        );
    }
    for opt in &svc.security_opt {
        let k = key(svc, "security_opt");
        let o = opt.value.trim();
        let (name, value) = match o.find([':', '=']) {
            Some(i) => (&o[..i], Some(&o[i + 1..])),
            None => (o, None),
        };
        match (name, value) {
            ("no-new-privileges", None | Some("true")) => {
                sc.insert("allowPrivilegeEscalation".into(), json!(false));
                report.converted(
                    Some(&opt.loc),
                    k,
                    "securityContext.allowPrivilegeEscalation: false",
                );
            }
            ("no-new-privileges", Some("false")) => report.converted(
                Some(&opt.loc),
                k,
                "the default (privilege escalation allowed)",
            ),
            ("seccomp", Some("unconfined")) => {
                sc.insert("seccompProfile".into(), json!({ "type": "Unconfined" }));
                report.converted(
                    Some(&opt.loc),
                    k,
                    "securityContext.seccompProfile: Unconfined",
                );
            }
            ("seccomp", Some(profile)) => {
                sc.insert(
                    "seccompProfile".into(),
                    json!({ "type": "Localhost", "localhostProfile": profile }),
                );
                report.warn(
                    Some(&opt.loc),
                    k,
                    format!("securityContext.seccompProfile Localhost `{profile}`: the profile must be installed on every node, relative to the kubelet's seccomp directory"),
                );
            }
            ("apparmor", Some("docker-default" | "runtime/default")) => {
                sc.insert(
                    "appArmorProfile".into(),
                    json!({ "type": "RuntimeDefault" }),
                );
                report.converted(
                    Some(&opt.loc),
                    k,
                    "securityContext.appArmorProfile: RuntimeDefault (the runtime's default profile)",
                );
            }
            ("apparmor", Some("unconfined")) => {
                sc.insert("appArmorProfile".into(), json!({ "type": "Unconfined" }));
                report.converted(
                    Some(&opt.loc),
                    k,
                    "securityContext.appArmorProfile: Unconfined",
                );
            }
            ("apparmor", Some(profile)) => {
                sc.insert(
                    "appArmorProfile".into(),
                    json!({ "type": "Localhost", "localhostProfile": profile }),
                );
                report.warn(
                    Some(&opt.loc),
                    k,
                    format!("securityContext.appArmorProfile Localhost `{profile}`: the profile must be loaded on every node"),
                );
            }
            ("label", Some(v)) => {
                let (field, val) = v.split_once(':').unwrap_or((v, ""));
                let f = match field {
                    "user" => Some("user"),
                    "role" => Some("role"),
                    "type" => Some("type"),
                    "level" => Some("level"),
                    _ => None,
                };
                match f {
                    Some(f) if !val.is_empty() => {
                        let entry = sc
                            .entry("seLinuxOptions")
                            .or_insert_with(|| json!({}));
                        entry[f] = json!(val);
                        report.converted(
                            Some(&opt.loc),
                            k,
                            format!("securityContext.seLinuxOptions.{f}"),
                        );
                    }
                    _ => report.not_converted(
                        Some(&opt.loc),
                        k,
                        format!("`{o}` has no Kubernetes equivalent (seLinuxOptions takes user, role, type and level)"),
                    ),
                }
            }
            _ => report.not_converted(
                Some(&opt.loc),
                k,
                format!("`{o}` has no Kubernetes equivalent"),
            ),
        }
    }
    (!sc.is_empty()).then_some(Value::Object(sc))
}

/// The Kubernetes pull policy of a service's images: its `pull_policy` (`daily`, `weekly` and
/// `every_…` pull on every start, as Kubernetes has no periodic refresh; `build` pulls what is
/// missing), else `kompose.image-pull-policy`; `None`: Kubernetes' default.
pub fn image_pull_policy(svc: &Service, settings: &Settings) -> Option<&'static str> {
    if let Some(p) = &svc.pull_policy {
        return Some(match p.value.as_str() {
            "always" => "Always",
            "never" => "Never",
            "missing" | "if_not_present" | "build" => "IfNotPresent",
            _ => "Always",
        });
    }
    settings
        .image_pull_policy
        .as_ref()
        .map(|kp| match kp.value.as_str() {
            "Always" => "Always",
            "Never" => "Never",
            _ => "IfNotPresent",
        })
}

fn pull_policy(svc: &Service, settings: &Settings, report: &mut Report) -> Option<&'static str> {
    let policy = image_pull_policy(svc, settings);
    if let Some(p) = &svc.pull_policy {
        let k = key(svc, "pull_policy");
        let policy = policy.unwrap_or("IfNotPresent");
        match p.value.as_str() {
            "always" | "never" | "missing" | "if_not_present" => {}
            "build" => {
                report.warn(
                    Some(&p.loc),
                    k,
                    "imagePullPolicy: IfNotPresent; ferry does not build images: build and push the image first",
                );
                return Some(policy);
            }
            other => {
                report.warn(
                    Some(&p.loc),
                    k,
                    format!("imagePullPolicy: Always; Kubernetes has no periodic refresh (`{other}`), it pulls on every pod start"),
                );
                return Some(policy);
            }
        };
        report.converted(Some(&p.loc), k, format!("imagePullPolicy: {policy}"));
        if let Some(kp) = &settings.image_pull_policy {
            report.warn(
                Some(&kp.loc),
                super::settings::label_key(svc, "kompose.image-pull-policy"),
                "`pull_policy` is set too and wins over this label",
            );
        }
        return Some(policy);
    }
    if let Some(kp) = &settings.image_pull_policy {
        report.converted(
            Some(&kp.loc),
            super::settings::label_key(svc, "kompose.image-pull-policy"),
            format!("imagePullPolicy: {}", kp.value),
        );
    }
    policy
}

/// Several hook commands become one shell command run in order.
fn hook_handler(svc: &Service, hooks: &[Hook], what: &str, report: &mut Report) -> Option<Value> {
    let k = key(svc, what);
    let commands: Vec<&Vec<String>> = hooks.iter().filter_map(|h| h.command.as_ref()).collect();
    for h in hooks {
        for (field, set) in [
            ("user", h.user.is_some()),
            ("privileged", h.privileged),
            ("working_dir", h.working_dir.is_some()),
            ("environment", !h.environment.is_empty()),
        ] {
            if set {
                report.not_converted(
                    Some(&h.loc),
                    k.clone(),
                    format!("a lifecycle hook runs in the container as it is; its `{field}` cannot be set"),
                );
            }
        }
    }
    let command: Vec<String> = match commands.as_slice() {
        [] => return None,
        [one] => one.iter().map(|w| escape_dollars(w)).collect(),
        many => {
            let line = many
                .iter()
                .map(|c| shlex::try_join(c.iter().map(String::as_str)).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" && ");
            vec!["/bin/sh".into(), "-c".into(), line]
        }
    };
    let field = if what == "post_start" {
        "postStart"
    } else {
        "preStop"
    };
    report.converted(
        hooks.first().map(|h| &h.loc),
        k,
        format!("lifecycle.{field} exec"),
    );
    Some(json!({ "exec": { "command": command } }))
}

/// One container for one compose service.
pub fn container(
    ctx: &Ctx<'_>,
    svc: &Service,
    settings: &Settings,
    parts: ContainerParts,
    report: &mut Report,
) -> Value {
    let project = ctx.project;
    let mut c = Map::new();
    c.insert("name".into(), json!(names::dns_label(&svc.name)));
    let img = image(project, svc, report);
    if let Some(i) = &svc.image {
        report.converted(Some(&i.loc), key(svc, "image"), "container image");
    }
    if let Some(b) = &svc.build {
        report.converted(
            Some(&b.loc),
            key(svc, "build"),
            format!("container image `{img}` (built by you, not by ferry)"),
        );
    }
    c.insert("image".into(), json!(img));
    if let Some(p) = pull_policy(svc, settings, report) {
        c.insert("imagePullPolicy".into(), json!(p));
    }
    let escape = |words: &[String], loc: &crate::error::Location, k: &str, report: &mut Report| {
        super::hosts::command_reported(ctx, words, loc, k, report)
            .unwrap_or_else(|| words.to_vec())
            .iter()
            .map(|w| escape_dollars(w))
            .collect::<Vec<_>>()
    };
    if let Some(ep) = &svc.entrypoint {
        let words = escape(&ep.value, &ep.loc, &key(svc, "entrypoint"), report);
        c.insert("command".into(), json!(words));
        report.converted(Some(&ep.loc), key(svc, "entrypoint"), "container command");
    }
    if let Some(cmd) = &svc.command {
        let words = escape(&cmd.value, &cmd.loc, &key(svc, "command"), report);
        c.insert("args".into(), json!(words));
        report.converted(Some(&cmd.loc), key(svc, "command"), "container args");
    }
    if let Some(wd) = &svc.working_dir {
        c.insert("workingDir".into(), json!(wd.value));
        report.converted(
            Some(&wd.loc),
            key(svc, "working_dir"),
            "container workingDir",
        );
    }
    let mut ports: Vec<(u16, &str)> = Vec::new();
    for p in svc.ports.iter().chain(&svc.expose) {
        let key = (p.target, p.protocol.as_k8s());
        if !ports.contains(&key) {
            ports.push(key);
        }
    }
    if !ports.is_empty() {
        let list: Vec<Value> = ports
            .iter()
            .map(|(port, proto)| json!({ "containerPort": port, "protocol": proto }))
            .collect();
        c.insert("ports".into(), Value::Array(list));
    }
    if !parts.env_from.is_empty() {
        c.insert("envFrom".into(), Value::Array(parts.env_from));
    }
    let mut env = parts.env;
    for e in &svc.environment {
        if let Some(v) = &e.value {
            let v = super::hosts::env_reported(
                ctx,
                v,
                &e.name,
                &e.loc,
                &key(svc, "environment"),
                report,
            )
            .unwrap_or_else(|| v.clone());
            env.retain(|x| x["name"] != json!(e.name));
            if parts.env_secrets.contains(&e.name) {
                env.push(parts.env_secrets.env_entry(&e.name));
            } else {
                env.push(json!({ "name": e.name, "value": escape_dollars(&v) }));
            }
        }
    }
    if let Some(first) = svc.environment.iter().find(|e| e.value.is_some()) {
        report.converted(Some(&first.loc), key(svc, "environment"), "container env");
    }
    if !env.is_empty() {
        c.insert("env".into(), Value::Array(env));
    }
    let extended = device_resources(svc, report);
    if let Some(r) = resources(
        &svc.resources.limits,
        &svc.resources.reservations,
        &extended,
    ) {
        c.insert("resources".into(), r);
    }
    for (field, what) in [
        (&svc.resources.limits.cpus, "resources.limits.cpu"),
        (&svc.resources.limits.memory, "resources.limits.memory"),
        (&svc.resources.reservations.cpus, "resources.requests.cpu"),
        (
            &svc.resources.reservations.memory,
            "resources.requests.memory",
        ),
    ] {
        if let Some(v) = field {
            let k = svc
                .keys
                .iter()
                .filter(|(_, l)| l.file == v.loc.file && l.line <= v.loc.line)
                .max_by_key(|(_, l)| l.line)
                .map(|(k, _)| k.clone())
                .unwrap_or_else(|| "deploy".into());
            report.converted(Some(&v.loc), key(svc, &k), what);
        }
    }
    if !parts.mounts.is_empty() {
        c.insert("volumeMounts".into(), Value::Array(parts.mounts));
    }
    let p = probes::probes(ctx, svc, settings, &ports, report);
    for (field, probe) in [
        ("livenessProbe", p.liveness),
        ("readinessProbe", p.readiness),
        ("startupProbe", p.startup),
    ] {
        if let Some(probe) = probe {
            c.insert(field.into(), probe);
        }
    }
    let mut lifecycle = Map::new();
    if let Some(h) = hook_handler(svc, &svc.post_start, "post_start", report) {
        lifecycle.insert("postStart".into(), h);
    }
    if let Some(h) = hook_handler(svc, &svc.pre_stop, "pre_stop", report) {
        lifecycle.insert("preStop".into(), h);
    }
    if !lifecycle.is_empty() {
        c.insert("lifecycle".into(), Value::Object(lifecycle));
    }
    if let Some(sc) = container_security(svc, report) {
        c.insert("securityContext".into(), sc);
    }
    for (field, v, name) in [
        ("stdin", &svc.stdin_open, "stdin_open"),
        ("tty", &svc.tty, "tty"),
    ] {
        if let Some(b) = v {
            if b.value {
                c.insert(field.into(), json!(true));
            }
            report.converted(Some(&b.loc), key(svc, name), format!("container {field}"));
        }
    }
    Value::Object(c)
}

/// Pod-level keys: only the service that owns the pod sets them.
pub const POD_LEVEL_KEYS: &[&str] = &[
    "hostname",
    "domainname",
    "extra_hosts",
    "dns",
    "dns_search",
    "dns_opt",
    "sysctls",
    "group_add",
    "init",
    "stop_grace_period",
    "platform",
    "pid",
    "ipc",
    "shm_size",
    "deploy",
    "replicas",
    "scale",
    "restart",
    "ports",
    "expose",
    "networks",
];

/// Sysctls the kubelet allows without configuration.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// The pod spec around the containers.
pub fn pod_spec(
    ctx: &Ctx<'_>,
    owner: &Service,
    settings: &Settings,
    containers: Vec<Value>,
    mut pod: PodParts,
    restart_policy: Option<&str>,
    report: &mut Report,
) -> Value {
    let svc = owner;
    let mut spec = Map::new();
    if let Some(h) = &svc.hostname {
        let label = names::dns_label(&h.value);
        if label != h.value {
            report.warn(
                Some(&h.loc),
                key(svc, "hostname"),
                format!("`{}` is not a valid pod hostname; using `{label}`", h.value),
            );
        } else {
            report.converted(Some(&h.loc), key(svc, "hostname"), "pod hostname");
        }
        spec.insert("hostname".into(), json!(label));
    }
    if let Some(d) = &svc.domainname {
        report.not_converted(
            Some(&d.loc),
            key(svc, "domainname"),
            format!(
                "a pod's domain is set by the cluster (`<namespace>.svc.cluster.local`); `{}` is not used",
                d.value
            ),
        );
    }
    // Host networking and namespaces.
    if let Some(nm) = &svc.network_mode {
        if nm.value == "host" {
            spec.insert("hostNetwork".into(), json!(true));
            spec.insert("dnsPolicy".into(), json!("ClusterFirstWithHostNet"));
            report.warn(
                Some(&nm.loc),
                key(svc, "network_mode"),
                "hostNetwork: true: the pod uses its node's network; its ports must be free on that node",
            );
        }
    }
    for (field, v, name) in [("hostPID", &svc.pid, "pid"), ("hostIPC", &svc.ipc, "ipc")] {
        let Some(v) = v else { continue };
        match v.value.as_str() {
            "host" => {
                spec.insert(field.into(), json!(true));
                report.converted(Some(&v.loc), key(svc, name), format!("pod {field}: true"));
            }
            "private" | "shareable" | "" => report.ignored(
                Some(&v.loc),
                key(svc, name),
                "pods have their own namespace by default",
            ),
            other => report.not_converted(
                Some(&v.loc),
                key(svc, name),
                format!("`{other}`: sharing a namespace with another container has no equivalent except running both in one pod (`network_mode: service:…`)"),
            ),
        }
    }
    if let Some(sa) = &settings.service_account {
        spec.insert("serviceAccountName".into(), json!(sa.value));
        report.converted(
            Some(&sa.loc),
            super::settings::label_key(svc, "kompose.serviceaccount-name"),
            "pod serviceAccountName",
        );
    }
    if let Some(init) = &svc.init {
        if init.value {
            spec.insert("shareProcessNamespace".into(), json!(true));
            report.warn(
                Some(&init.loc),
                key(svc, "init"),
                "shareProcessNamespace: true: the pod's pause process reaps zombies as an init would; the pod's containers see each other's processes",
            );
        } else {
            report.converted(
                Some(&init.loc),
                key(svc, "init"),
                "the default (no init process)",
            );
        }
    }
    if let Some(g) = &svc.stop_grace_period_ms {
        spec.insert(
            "terminationGracePeriodSeconds".into(),
            json!(g.value.div_ceil(1000)),
        );
        report.converted(
            Some(&g.loc),
            key(svc, "stop_grace_period"),
            "pod terminationGracePeriodSeconds",
        );
    }
    // Security context of the pod.
    let mut psc = Map::new();
    let mut groups = Vec::new();
    for g in &svc.group_add {
        match g.value.parse::<i64>() {
            Ok(n) => groups.push(n),
            Err(_) => report.not_converted(
                Some(&g.loc),
                key(svc, "group_add"),
                format!(
                    "`{}` is a group name; Kubernetes needs numeric group ids",
                    g.value
                ),
            ),
        }
    }
    if !groups.is_empty() {
        psc.insert("supplementalGroups".into(), json!(groups));
        report.converted(
            svc.group_add.first().map(|g| &g.loc),
            key(svc, "group_add"),
            "pod securityContext.supplementalGroups",
        );
    }
    if let Some(g) = &settings.fs_group {
        psc.insert("fsGroup".into(), json!(g.value));
        report.converted(
            Some(&g.loc),
            super::settings::label_key(svc, "kompose.security-context.fsgroup"),
            "pod securityContext.fsGroup",
        );
    } else if let Some(g) = pod.fs_group {
        psc.insert("fsGroup".into(), json!(g));
    }
    if !svc.sysctls.is_empty() {
        let list: Vec<Value> = svc
            .sysctls
            .iter()
            .map(|kv| json!({ "name": kv.key, "value": kv.value }))
            .collect();
        psc.insert("sysctls".into(), Value::Array(list));
        let unsafe_: Vec<&str> = svc
            .sysctls
            .iter()
            .map(|kv| kv.key.as_str())
            .filter(|k| !SAFE_SYSCTLS.contains(k))
            .collect();
        if unsafe_.is_empty() {
            report.converted(
                svc.sysctls.first().map(|s| &s.loc),
                key(svc, "sysctls"),
                "pod securityContext.sysctls",
            );
        } else {
            report.warn(
                svc.sysctls.first().map(|s| &s.loc),
                key(svc, "sysctls"),
                format!(
                    "pod securityContext.sysctls; {} not in the kubelet's safe set: the pod is refused unless the nodes allow them (kubelet --allowed-unsafe-sysctls)",
                    unsafe_.join(", ")
                ),
            );
        }
    }
    if !psc.is_empty() {
        spec.insert("securityContext".into(), Value::Object(psc));
    }
    // /etc/hosts and DNS.
    let mut aliases: Vec<(String, Vec<String>)> = Vec::new();
    for h in &svc.extra_hosts {
        if h.ip == "host-gateway" {
            report.not_converted(
                Some(&h.loc),
                key(svc, "extra_hosts"),
                format!("`{}:host-gateway`: a pod has no fixed address for its node; use a Service (or the node's IP) instead", h.host),
            );
            continue;
        }
        match aliases.iter_mut().find(|(ip, _)| *ip == h.ip) {
            Some((_, hosts)) => hosts.push(h.host.clone()),
            None => aliases.push((h.ip.clone(), vec![h.host.clone()])),
        }
        report.converted(Some(&h.loc), key(svc, "extra_hosts"), "pod hostAliases");
    }
    if !aliases.is_empty() {
        let list: Vec<Value> = aliases
            .into_iter()
            .map(|(ip, hostnames)| json!({ "ip": ip, "hostnames": hostnames }))
            .collect();
        spec.insert("hostAliases".into(), Value::Array(list));
    }
    let mut dns = Map::new();
    if !svc.dns.is_empty() {
        let list: Vec<&str> = svc.dns.iter().map(|d| d.value.as_str()).collect();
        dns.insert("nameservers".into(), json!(list));
        report.warn(
            svc.dns.first().map(|d| &d.loc),
            key(svc, "dns"),
            "pod dnsConfig.nameservers, after the cluster's DNS server (which resolves the other services); at most 3 servers are used",
        );
    }
    if !svc.dns_search.is_empty() {
        let list: Vec<&str> = svc.dns_search.iter().map(|d| d.value.as_str()).collect();
        dns.insert("searches".into(), json!(list));
        report.converted(
            svc.dns_search.first().map(|d| &d.loc),
            key(svc, "dns_search"),
            "pod dnsConfig.searches, after the cluster's search domains",
        );
    }
    if !svc.dns_opt.is_empty() {
        let list: Vec<Value> = svc
            .dns_opt
            .iter()
            .map(|o| match o.value.split_once(':') {
                Some((n, v)) => json!({ "name": n, "value": v }),
                None => json!({ "name": o.value }),
            })
            .collect();
        dns.insert("options".into(), Value::Array(list));
        report.converted(
            svc.dns_opt.first().map(|d| &d.loc),
            key(svc, "dns_opt"),
            "pod dnsConfig.options",
        );
    }
    if !dns.is_empty() {
        spec.insert("dnsConfig".into(), Value::Object(dns));
    }
    // Scheduling.
    let sched = super::scheduling::scheduling(ctx, svc, report);
    for (k, v) in sched {
        spec.insert(k, v);
    }
    if let Some(ps) = &settings.image_pull_secret {
        spec.insert("imagePullSecrets".into(), json!([{ "name": ps.value }]));
        report.converted(
            Some(&ps.loc),
            super::settings::label_key(svc, "kompose.image-pull-secret"),
            "pod imagePullSecrets",
        );
    }
    if !pod.init_containers.is_empty() {
        spec.insert(
            "initContainers".into(),
            Value::Array(std::mem::take(&mut pod.init_containers)),
        );
    }
    spec.insert("containers".into(), Value::Array(containers));
    if let Some(rp) = restart_policy {
        spec.insert("restartPolicy".into(), json!(rp));
    }
    if !pod.volumes.is_empty() {
        spec.insert("volumes".into(), Value::Array(pod.volumes));
    }
    Value::Object(spec)
}

/// `pre_start` hooks, `waitFor` and Kompose's init container label → init containers.
pub fn init_containers(
    ctx: &Ctx<'_>,
    svc: &Service,
    settings: &Settings,
    pod: &mut PodParts,
    replicas: u32,
    report: &mut Report,
) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut name_for = |base: &str| {
        let own = names::dns_label(&svc.name);
        let name = names::unique(names::dns_label(base), base, |n| {
            used.contains(n) || n == own
        });
        used.insert(name.clone());
        name
    };
    // Waiting for dependencies first, as compose starts them first.
    if settings.wait_for.as_ref().is_some_and(|w| w.value) {
        let wk = format!("services.{}.x-ferry.waitFor", svc.name);
        // The dependencies written in `depends_on` (not those compose implies, such as the
        // service whose network this one shares).
        for dep in svc.depends_on.iter().filter(|d| !d.implied) {
            let Some(target) = ctx.project.services.get(&dep.service) else {
                continue;
            };
            let host = names::dns_label(&ctx.pod_owner(&target.name).name);
            let port = super::service::wait_port(ctx, target);
            let script = match port {
                Some(p) => format!(
                    "until nc -z -w 2 {host} {p}; do echo waiting for {host}:{p}; sleep 2; done"
                ),
                None => format!(
                    "until nslookup {host} >/dev/null 2>&1; do echo waiting for {host}; sleep 2; done"
                ),
            };
            if dep.condition == "service_completed_successfully" {
                continue; // reported with depends_on
            }
            pod.init_containers.push(json!({
                "name": name_for(&format!("wait-for-{}", dep.service)),
                "image": WAIT_IMAGE,
                "command": ["/bin/sh", "-c", script],
            }));
            report.converted(
                Some(&dep.loc),
                wk.clone(),
                format!(
                    "init container waiting for {}",
                    match port {
                        Some(p) => format!("{host}:{p}"),
                        None => format!("the name {host}"),
                    }
                ),
            );
        }
        if svc.depends_on.iter().all(|d| d.implied) {
            if let Some(w) = &settings.wait_for {
                report.warn(
                    Some(&w.loc),
                    wk,
                    "the service has no `depends_on`; nothing to wait for",
                );
            }
        }
    }
    if let Some(ic) = &settings.init_container {
        let mut c = Map::new();
        c.insert("name".into(), json!(name_for(&ic.name)));
        c.insert("image".into(), json!(ic.image));
        if !ic.command.is_empty() {
            c.insert(
                "command".into(),
                json!(ic
                    .command
                    .iter()
                    .map(|w| escape_dollars(w))
                    .collect::<Vec<_>>()),
            );
        }
        pod.init_containers.push(Value::Object(c));
        for k in [
            "kompose.init.containers.image",
            "kompose.init.containers.name",
            "kompose.init.containers.command",
        ] {
            if let Some(kv) = svc.label(k) {
                report.converted(
                    Some(&kv.loc),
                    super::settings::label_key(svc, k),
                    "pod initContainers",
                );
            }
        }
    }
    for (i, h) in svc.pre_start.iter().enumerate() {
        let k = key(svc, "pre_start");
        let mut c = Map::new();
        c.insert(
            "name".into(),
            json!(name_for(&format!("pre-start-{}", i + 1))),
        );
        let image = h
            .image
            .clone()
            .or_else(|| svc.image.as_ref().map(|i| i.value.clone()))
            .unwrap_or_else(|| format!("{}-{}", ctx.project.name, svc.name));
        c.insert("image".into(), json!(image));
        if let Some(cmd) = &h.command {
            c.insert(
                "args".into(),
                json!(cmd.iter().map(|w| escape_dollars(w)).collect::<Vec<_>>()),
            );
        }
        if let Some(wd) = h
            .working_dir
            .clone()
            .or_else(|| svc.working_dir.as_ref().map(|w| w.value.clone()))
        {
            c.insert("workingDir".into(), json!(wd));
        }
        let mut env: Vec<Value> = Vec::new();
        let inherit = h.image.is_none();
        if inherit {
            let secrets = super::envsecrets::plan(ctx, svc);
            for e in &svc.environment {
                if let Some(v) = &e.value {
                    env.retain(|x| x["name"] != json!(e.name));
                    if secrets.contains(&e.name) {
                        env.push(secrets.env_entry(&e.name));
                    } else {
                        env.push(json!({ "name": e.name, "value": escape_dollars(v) }));
                    }
                }
            }
        }
        for e in &h.environment {
            if let Some(v) = &e.value {
                env.retain(|x| x["name"] != json!(e.name));
                env.push(json!({ "name": e.name, "value": escape_dollars(v) }));
            }
        }
        if !env.is_empty() {
            c.insert("env".into(), Value::Array(env));
        }
        let mut sc = Map::new();
        if let Some(u) = h
            .user
            .as_ref()
            .or(if inherit { svc.user.as_ref() } else { None })
        {
            sc = run_as(u, k.clone(), report);
        }
        if h.privileged {
            sc.insert("privileged".into(), json!(true));
        }
        if !sc.is_empty() {
            c.insert("securityContext".into(), Value::Object(sc));
        }
        pod.init_containers.push(Value::Object(c));
        if replicas > 1 {
            report.warn(
                Some(&h.loc),
                k,
                format!("an init container runs in every pod: this hook runs once per replica ({replicas}), not once for the service"),
            );
        } else {
            report.converted(Some(&h.loc), k, "pod initContainers");
        }
    }
}

/// The image of the init containers that wait for a dependency (`x-ferry: {waitFor: true}`).
pub const WAIT_IMAGE: &str = "busybox:1.36";

/// Annotations from `labels` (except ferry's and Kompose's settings) and `annotations`.
pub fn annotations(svc: &Service, report: &mut Report) -> Map<String, Value> {
    let mut ann = Map::new();
    for kv in &svc.labels {
        if super::settings::is_setting_label(&kv.key) {
            continue;
        }
        ann.insert(kv.key.clone(), json!(kv.value));
    }
    for kv in &svc.annotations {
        ann.insert(kv.key.clone(), json!(kv.value));
    }
    let mut bad = Vec::new();
    ann.retain(|k, _| {
        let ok = super::valid_qualified_name(k);
        if !ok {
            bad.push(k.clone());
        }
        ok
    });
    for kv in svc.labels.iter().chain(&svc.annotations) {
        let which = if svc.labels.contains(kv) {
            "labels"
        } else {
            "annotations"
        };
        if super::settings::is_setting_label(&kv.key) {
            continue;
        }
        if bad.contains(&kv.key) {
            report.not_converted(
                Some(&kv.loc),
                format!("services.{}.{which}.{}", svc.name, kv.key),
                "not a valid Kubernetes annotation key ([prefix/]name, name up to 63 letters, digits, `-`, `_`, `.`)",
            );
        } else {
            report.converted(
                Some(&kv.loc),
                format!("services.{}.{which}.{}", svc.name, kv.key),
                "annotation on the workload and its pods",
            );
        }
    }
    ann
}
