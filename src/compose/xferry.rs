//! `x-ferry:` extensions: settings compose cannot express, on a service, on a top-level volume,
//! or at the top level (project defaults). Unknown keys are errors with a "did you mean".
//! The README's "x-ferry settings" section documents every key read here.

use super::model::*;
use super::parse::{did_you_mean, Reader};
use super::units;
use crate::error::Location;
use crate::yaml::{Node, Value};

/// The workload kind a service becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub const ALL: &'static [&'static str] =
        &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

    /// Case-insensitive, as Kompose's `kompose.controller.type` is.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "deployment" => WorkloadKind::Deployment,
            "statefulset" => WorkloadKind::StatefulSet,
            "daemonset" => WorkloadKind::DaemonSet,
            "job" => WorkloadKind::Job,
            "cronjob" => WorkloadKind::CronJob,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    Headless,
}

impl ServiceType {
    pub const ALL: &'static [&'static str] = &["ClusterIP", "NodePort", "LoadBalancer", "Headless"];

    /// Case-insensitive, as Kompose's `kompose.service.type` is.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "clusterip" => ServiceType::ClusterIP,
            "nodeport" => ServiceType::NodePort,
            "loadbalancer" => ServiceType::LoadBalancer,
            "headless" => ServiceType::Headless,
            _ => return None,
        })
    }
}

/// How a service's published ports are reached from outside the cluster (`--expose`, and
/// `expose` in `x-ferry` at the top level and on a service).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Expose {
    /// Services only, whatever the ingress settings say.
    None,
    /// An Ingress where the ingress settings (or Kompose's expose labels) ask for one.
    #[default]
    Ingress,
    /// A Gateway API route for every published port.
    Gateway,
}

impl Expose {
    pub const ALL: &'static [&'static str] = &["none", "ingress", "gateway"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => Expose::None,
            "ingress" => Expose::Ingress,
            "gateway" => Expose::Gateway,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Expose::None => "none",
            Expose::Ingress => "ingress",
            Expose::Gateway => "gateway",
        }
    }
}

/// A Gateway named by `--gateway` or `x-ferry: {gateway: …}`: `[NAMESPACE/]NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRef {
    pub namespace: Option<String>,
    pub name: String,
}

impl GatewayRef {
    /// `NAME` or `NAMESPACE/NAME`: the namespace a DNS label, the name a DNS subdomain (the
    /// names Kubernetes gives a Namespace and a Gateway).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (namespace, name) = match s.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, s),
        };
        if let Some(ns) = namespace {
            if crate::names::dns_label(ns) != ns {
                return Err(format!(
                    "`{ns}` is not a valid namespace name (lower case letters, digits and `-`, starting with a letter, at most 63 characters)"
                ));
            }
        }
        if !crate::names::is_dns_subdomain(name) {
            return Err(format!(
                "`{name}` is not a valid Gateway name (lower case letters, digits, `-` and `.`, at most 253 characters)"
            ));
        }
        Ok(GatewayRef {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for GatewayRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A GatewayClass name (`--gateway-class`, `x-ferry: {gatewayClass}`): a DNS subdomain.
pub fn gateway_class(s: &str) -> Result<String, String> {
    if crate::names::is_dns_subdomain(s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a valid GatewayClass name (lower case letters, digits, `-` and `.`)"
        ))
    }
}

/// A host name as an Ingress rule and a Gateway API route accept it: lower case DNS labels of
/// at most 63 characters separated by dots, at most 253 in all, optionally starting with `*.`
/// (a wildcard); not an IP address.
pub fn valid_host(s: &str) -> Result<(), String> {
    let rest = s.strip_prefix("*.").unwrap_or(s);
    let ok = s.len() <= 253 && crate::names::is_host_name(rest);
    if !ok {
        return Err(format!(
            "`{s}` is not a valid host name (lower case letters, digits and `-` in labels of at most 63 characters, separated by `.`, optionally starting with `*.`)"
        ));
    }
    if rest.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(format!(
            "`{s}` is an IP address; an Ingress or a route takes a host name"
        ));
    }
    Ok(())
}

/// The placeholders of a `--domain` pattern.
pub const DOMAIN_PLACEHOLDERS: &[&str] = &["{service}", "{project}"];

/// A `--domain` pattern (`{service}.example.com`): its placeholders known, and a valid host name
/// once they are filled in.
pub fn domain_pattern(s: &str) -> Result<String, String> {
    let mut rest = s.to_string();
    for p in DOMAIN_PLACEHOLDERS {
        rest = rest.replace(p, "x");
    }
    if let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        let end = tail.find('}').map_or(tail.len(), |j| j + 1);
        return Err(format!(
            "unknown placeholder `{}` in the domain pattern; known: {}",
            &tail[..end],
            DOMAIN_PLACEHOLDERS.join(", ")
        ));
    }
    if rest.starts_with('*') {
        return Err("a domain pattern gives each service one host name: no `*`".into());
    }
    valid_host(&rest)?;
    Ok(s.to_string())
}

/// The host name a domain pattern gives a service.
pub fn domain_for(pattern: &str, service: &str, project: &str) -> String {
    pattern
        .replace("{service}", &crate::names::dns_label(service))
        .replace("{project}", &crate::names::dns_label(project))
}

/// The top-level keys that choose how published ports are reached (`x-ferry: {expose, gateway,
/// gatewayClass, domain}`); the command-line flags of the same names win.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExposeDefaults {
    pub expose: Option<Located<Expose>>,
    pub gateway: Option<Located<GatewayRef>>,
    /// The GatewayClass of the Gateway ferry writes.
    pub gateway_class: Option<Located<String>>,
    /// A host-name pattern for HTTP routes the settings give no host (`{service}.example.com`).
    pub domain: Option<Located<String>>,
}

/// `x-ferry: {service: …}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceSettings {
    pub type_: Option<Located<ServiceType>>,
    pub node_port: Option<Located<u16>>,
    /// `Local` or `Cluster`.
    pub external_traffic_policy: Option<Located<String>>,
    pub annotations: Vec<KeyValue>,
    /// `enabled: false`: no Service at all (by default every long-running service gets one, so
    /// that its name resolves as under compose).
    pub enabled: Option<Located<bool>>,
}

/// TLS for an Ingress host.
#[derive(Debug, Clone, PartialEq)]
pub enum Tls {
    /// The controller's default certificate.
    Default,
    /// A Secret holding the certificate.
    Secret(String),
}

/// One Ingress host (`x-ferry: {ingress: …}`, or one host of `kompose.service.expose`).
#[derive(Debug, Clone, PartialEq)]
pub struct IngressSettings {
    /// `None`: any host.
    pub host: Option<String>,
    pub path: String,
    pub path_type: String,
    /// The Service port to send traffic to; `None`: the service's only published port.
    pub port: Option<Located<u16>>,
    pub tls: Option<Tls>,
    pub class_name: Option<String>,
    pub annotations: Vec<KeyValue>,
    pub loc: Location,
}

/// How a probe checks the container.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeHandler {
    Http {
        path: String,
        port: Option<u16>,
        scheme: Option<String>,
    },
    Tcp(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSettings {
    pub handler: ProbeHandler,
    pub loc: Location,
}

/// A memory target: a utilization percentage or an average value per pod.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryTarget {
    Percent(u32),
    Quantity(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Autoscale {
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// Average CPU utilization, percent of the request.
    pub cpu: Option<u32>,
    pub memory: Option<MemoryTarget>,
    pub loc: Location,
}

/// A service's `x-ferry:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFerry {
    pub loc: Option<Location>,
    pub kind: Option<Located<WorkloadKind>>,
    pub schedule: Option<Located<String>>,
    pub concurrency_policy: Option<Located<String>>,
    pub service: ServiceSettings,
    pub ingress: Vec<IngressSettings>,
    pub probe: Option<ProbeSettings>,
    pub wait_for: Option<Located<bool>>,
    pub autoscale: Option<Autoscale>,
    /// `bindMounts`: the service's own `--bind-mounts` mode (`auto`, `pvc`, `hostPath`,
    /// `report`).
    pub bind_mounts: Option<Located<String>>,
    /// `secretEnv`: variables set from the service's Secret whatever their names.
    pub secret_env: Vec<Located<String>>,
    /// `plainEnv`: variables kept in the Deployment whatever their names.
    pub plain_env: Vec<Located<String>>,
    /// `group`: services of one group run as containers of one pod (`kompose.service.group`).
    pub group: Option<Located<String>>,
    /// `expose`: how this service's published ports are reached from outside (wins over
    /// `--expose`).
    pub expose: Option<Located<Expose>>,
}

/// The modes of `--bind-mounts` and `x-ferry: {bindMounts: …}`.
pub const BIND_MOUNT_MODES: &[&str] = &["auto", "pvc", "hostPath", "report"];

/// A top-level volume's `x-ferry:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeFerry {
    pub size: Option<Located<String>>,
    pub storage_class: Option<Located<String>>,
    pub access_modes: Vec<Located<String>>,
}

pub const SERVICE_KEYS: &[&str] = &[
    "kind",
    "schedule",
    "concurrencyPolicy",
    "service",
    "ingress",
    "probe",
    "waitFor",
    "autoscale",
    "bindMounts",
    "secretEnv",
    "plainEnv",
    "group",
    "overlays",
    "expose",
];
const SERVICE_SETTINGS_KEYS: &[&str] = &[
    "type",
    "nodePort",
    "externalTrafficPolicy",
    "annotations",
    "enabled",
];
const INGRESS_KEYS: &[&str] = &[
    "host",
    "path",
    "pathType",
    "port",
    "tls",
    "className",
    "annotations",
];
const PROBE_KEYS: &[&str] = &["http", "tcp"];
const HTTP_KEYS: &[&str] = &["path", "port", "scheme"];
const AUTOSCALE_KEYS: &[&str] = &["min", "max", "cpu", "memory"];
pub const VOLUME_KEYS: &[&str] = &["size", "storageClass", "accessModes"];
pub const PROJECT_KEYS: &[&str] = &[
    "namespace",
    "volumeSize",
    "storageClass",
    "networkPolicies",
    "chartVersion",
    "expose",
    "gateway",
    "gatewayClass",
    "domain",
    "envSecrets",
    "ageRecipients",
    "secretStore",
    "remoteKey",
    "remoteProperty",
    "environments",
];
pub const ENVIRONMENT_KEYS: &[&str] = &["files", "envFile"];
pub const ACCESS_MODES: &[&str] = &[
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOncePod",
];

/// `MAJOR.MINOR.PATCH`, with an optional `-pre-release` and `+build`, as Helm wants a chart version.
pub fn semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && v[core.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'))
}

/// An unknown `x-ferry` key is an error: ferry would otherwise silently ignore a typo.
fn unknown(r: &mut Reader<'_>, loc: &Location, path: &str, key: &str, known: &[&str]) {
    let hint = match did_you_mean(key, known) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("known keys: {}", known.join(", ")),
    };
    r.msg(loc, path, format!("unknown x-ferry key `{key}`; {hint}"));
}

fn one_of<T>(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    all: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Located<T>> {
    let s = r.string(node, path)?;
    match parse(&s) {
        Some(v) => Some(Located::new(v, node.loc.clone())),
        None => {
            let hint = did_you_mean(&s, all)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            r.msg(
                &node.loc,
                path,
                format!("expected one of {}, found `{s}`{hint}", all.join(", ")),
            );
            None
        }
    }
}

fn port(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<u16> {
    let n = r.uint(node, path)?;
    match u16::try_from(n) {
        Ok(p) if p > 0 => Some(p),
        _ => {
            r.msg(&node.loc, path, format!("`{n}` is not a port (1-65535)"));
            None
        }
    }
}

fn annotations(r: &mut Reader<'_>, node: &Node, path: &str) -> Vec<KeyValue> {
    r.list_or_dict(node, path)
        .into_iter()
        .map(|(key, value, loc)| KeyValue {
            key,
            value: value.unwrap_or_default(),
            loc,
        })
        .collect()
}

/// A Kubernetes quantity such as `10Gi`, `500Mi` or `1.5G` (the suffixes Kubernetes accepts).
pub fn is_quantity(s: &str) -> bool {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    !num.is_empty()
        && num.parse::<f64>().is_ok()
        && matches!(
            suffix,
            "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E" | "m"
        )
}

/// A storage size: a Kubernetes quantity (`10Gi`) or a docker size (`10g`, base 1024).
pub fn storage_quantity(s: &str) -> Result<String, String> {
    let t = s.trim();
    if is_quantity(t)
        && t.ends_with(|c: char| c.is_ascii_digit() || c == 'i' || c.is_ascii_uppercase())
    {
        return Ok(t.to_string());
    }
    units::parse_bytes(t)
        .map(units::bytes_quantity)
        .map_err(|_| format!("`{s}` is not a size such as `10Gi` or `500Mi`"))
}

fn size(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Located<String>> {
    let s = r.string(node, path)?;
    match storage_quantity(&s) {
        Ok(q) => Some(Located::new(q, node.loc.clone())),
        Err(m) => {
            r.msg(&node.loc, path, m);
            None
        }
    }
}

/// Five cron fields, or one of the `@` shortcuts Kubernetes accepts.
pub fn valid_schedule(s: &str) -> bool {
    let s = s.trim();
    if let Some(m) = s.strip_prefix('@') {
        return matches!(
            m,
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly"
        );
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?'))
        })
}

pub fn schedule(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Located<String>> {
    let s = r.string(node, path)?;
    if valid_schedule(&s) {
        Some(Located::new(s.trim().to_string(), node.loc.clone()))
    } else {
        r.msg(
            &node.loc,
            path,
            format!("`{s}` is not a cron schedule (five fields such as `*/5 * * * *`, or `@hourly`, `@daily`, …)"),
        );
        None
    }
}

pub const CONCURRENCY_POLICIES: &[&str] = &["Allow", "Forbid", "Replace"];

pub fn concurrency_policy(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Located<String>> {
    one_of(r, node, path, CONCURRENCY_POLICIES, |s| {
        CONCURRENCY_POLICIES
            .iter()
            .find(|p| p.eq_ignore_ascii_case(s))
            .map(|p| p.to_string())
    })
}

pub fn external_traffic_policy(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
) -> Option<Located<String>> {
    one_of(r, node, path, &["Local", "Cluster"], |s| {
        match s.to_ascii_lowercase().as_str() {
            "local" => Some("Local".to_string()),
            "cluster" => Some("Cluster".to_string()),
            _ => None,
        }
    })
}

/// An average-utilization percentage: `80` or `"80%"`, 1 to 100… or more (Kubernetes allows
/// targets above the request), but not 0.
pub fn percent(s: &str) -> Option<u32> {
    let n: u32 = s.trim().trim_end_matches('%').trim().parse().ok()?;
    (n > 0).then_some(n)
}

pub fn memory_target(s: &str) -> Option<MemoryTarget> {
    let t = s.trim();
    if let Some(p) = percent(t) {
        return Some(MemoryTarget::Percent(p));
    }
    storage_quantity(t).ok().map(MemoryTarget::Quantity)
}

pub fn read_service(r: &mut Reader<'_>, node: &Node, path: &str) -> ServiceFerry {
    let mut f = ServiceFerry {
        loc: Some(node.loc.clone()),
        ..ServiceFerry::default()
    };
    if node.is_null() {
        return f;
    }
    let Some(m) = r.map(node, path) else { return f };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "kind" => f.kind = one_of(r, n, &p, WorkloadKind::ALL, WorkloadKind::parse),
            "schedule" => f.schedule = schedule(r, n, &p),
            "concurrencyPolicy" => f.concurrency_policy = concurrency_policy(r, n, &p),
            "service" => f.service = read_service_settings(r, n, &p),
            "ingress" => match &n.value {
                Value::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(ing) = read_ingress(r, item, &format!("{p}[{i}]")) {
                            f.ingress.push(ing);
                        }
                    }
                }
                _ => f.ingress.extend(read_ingress(r, n, &p)),
            },
            "probe" => f.probe = read_probe(r, n, &p),
            "waitFor" => f.wait_for = r.boolean(n, &p).map(|b| Located::new(b, n.loc.clone())),
            "autoscale" => f.autoscale = read_autoscale(r, n, &p),
            "secretEnv" => f.secret_env = r.located_list(n, &p),
            "plainEnv" => f.plain_env = r.located_list(n, &p),
            "group" => f.group = r.string(n, &p).map(|g| Located::new(g, n.loc.clone())),
            "bindMounts" => {
                f.bind_mounts = one_of(r, n, &p, BIND_MOUNT_MODES, |s| {
                    BIND_MOUNT_MODES
                        .iter()
                        .find(|m| m.eq_ignore_ascii_case(s))
                        .map(|m| m.to_string())
                })
            }
            "expose" => f.expose = expose(r, n, &p),
            // Read when the overlays are rendered (`render::overlay`), which checks them.
            "overlays" => {}
            k => unknown(r, &e.key_loc, path, k, SERVICE_KEYS),
        }
    }
    f
}

fn read_service_settings(r: &mut Reader<'_>, node: &Node, path: &str) -> ServiceSettings {
    let mut s = ServiceSettings::default();
    let Some(m) = r.map(node, path) else { return s };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "type" => s.type_ = one_of(r, n, &p, ServiceType::ALL, ServiceType::parse),
            "nodePort" => {
                s.node_port = port(r, n, &p).map(|v| Located::new(v, n.loc.clone()));
            }
            "externalTrafficPolicy" => {
                s.external_traffic_policy = external_traffic_policy(r, n, &p)
            }
            "annotations" => s.annotations = annotations(r, n, &p),
            "enabled" => s.enabled = r.boolean(n, &p).map(|b| Located::new(b, n.loc.clone())),
            k => unknown(r, &e.key_loc, path, k, SERVICE_SETTINGS_KEYS),
        }
    }
    s
}

fn read_ingress(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<IngressSettings> {
    let m = r.map(node, path)?;
    let mut ing = IngressSettings {
        host: None,
        path: "/".into(),
        path_type: "Prefix".into(),
        port: None,
        tls: None,
        class_name: None,
        annotations: Vec::new(),
        loc: node.loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "host" => {
                ing.host = r.string(n, &p).filter(|h| match valid_host(h) {
                    Ok(()) => true,
                    Err(m) => {
                        r.msg(&n.loc, &p, m);
                        false
                    }
                })
            }
            "path" => {
                if let Some(s) = r.string(n, &p) {
                    if s.starts_with('/') {
                        ing.path = s;
                    } else {
                        r.msg(&n.loc, &p, format!("`{s}` must start with `/`"));
                    }
                }
            }
            "pathType" => {
                if let Some(v) = one_of(
                    r,
                    n,
                    &p,
                    &["Prefix", "Exact", "ImplementationSpecific"],
                    |s| {
                        ["Prefix", "Exact", "ImplementationSpecific"]
                            .iter()
                            .find(|t| t.eq_ignore_ascii_case(s))
                            .map(|t| t.to_string())
                    },
                ) {
                    ing.path_type = v.value;
                }
            }
            "port" => ing.port = port(r, n, &p).map(|v| Located::new(v, n.loc.clone())),
            "tls" => {
                ing.tls = match &n.value {
                    Value::Scalar(s) if s.plain && crate::yaml::resolve_bool(&s.text).is_some() => {
                        r.boolean(n, &p).and_then(|b| b.then_some(Tls::Default))
                    }
                    _ => r.string(n, &p).map(Tls::Secret),
                }
            }
            "className" => ing.class_name = r.string(n, &p),
            "annotations" => ing.annotations = annotations(r, n, &p),
            k => unknown(r, &e.key_loc, path, k, INGRESS_KEYS),
        }
    }
    Some(ing)
}

fn read_probe(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<ProbeSettings> {
    let m = r.map(node, path)?;
    let mut handler = None;
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        if handler.is_some() && PROBE_KEYS.contains(&k.as_str()) {
            r.msg(&e.key_loc, path, "give either `http` or `tcp`, not both");
            continue;
        }
        match k.as_str() {
            "http" => {
                let Some(hm) = r.map(n, &p) else { continue };
                let mut hpath = "/".to_string();
                let mut hport = None;
                let mut scheme = None;
                for (hk, he) in hm {
                    let hp = format!("{p}.{hk}");
                    match hk.as_str() {
                        "path" => hpath = r.string(&he.value, &hp).unwrap_or(hpath),
                        "port" => hport = port(r, &he.value, &hp),
                        "scheme" => {
                            scheme = one_of(r, &he.value, &hp, &["HTTP", "HTTPS"], |s| {
                                match s.to_ascii_uppercase().as_str() {
                                    "HTTP" => Some("HTTP".to_string()),
                                    "HTTPS" => Some("HTTPS".to_string()),
                                    _ => None,
                                }
                            })
                            .map(|l| l.value)
                        }
                        k => unknown(r, &he.key_loc, &p, k, HTTP_KEYS),
                    }
                }
                handler = Some(ProbeHandler::Http {
                    path: hpath,
                    port: hport,
                    scheme,
                });
            }
            "tcp" => handler = port(r, n, &p).map(ProbeHandler::Tcp),
            k => unknown(r, &e.key_loc, path, k, PROBE_KEYS),
        }
    }
    match handler {
        Some(handler) => Some(ProbeSettings {
            handler,
            loc: node.loc.clone(),
        }),
        None => {
            if r.errors.is_empty() {
                r.msg(
                    &node.loc,
                    path,
                    "a probe needs `http: {path, port}` or `tcp: PORT`",
                );
            }
            None
        }
    }
}

fn read_autoscale(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Autoscale> {
    let m = r.map(node, path)?;
    let mut a = Autoscale {
        min: None,
        max: None,
        cpu: None,
        memory: None,
        loc: node.loc.clone(),
    };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "min" => a.min = r.uint(n, &p),
            "max" => a.max = r.uint(n, &p),
            "cpu" => {
                if let Some(s) = r.string(n, &p) {
                    match percent(&s) {
                        Some(v) => a.cpu = Some(v),
                        None => r.msg(
                            &n.loc,
                            &p,
                            format!(
                                "`{s}` is not a CPU utilization percentage such as `80` or `80%`"
                            ),
                        ),
                    }
                }
            }
            "memory" => {
                if let Some(s) = r.string(n, &p) {
                    match memory_target(&s) {
                        Some(v) => a.memory = Some(v),
                        None => r.msg(
                            &n.loc,
                            &p,
                            format!("`{s}` is not a memory target: a utilization percentage (`70%`) or an average per pod (`512Mi`)"),
                        ),
                    }
                }
            }
            k => unknown(r, &e.key_loc, path, k, AUTOSCALE_KEYS),
        }
    }
    if let (Some(min), Some(max)) = (a.min, a.max) {
        if max < min {
            r.msg(
                &node.loc,
                path,
                format!("`max` ({max}) is less than `min` ({min})"),
            );
        }
    }
    if a.max == Some(0) {
        r.msg(&node.loc, path, "`max` must be at least 1");
    }
    Some(a)
}

pub fn read_volume(r: &mut Reader<'_>, node: &Node, path: &str) -> VolumeFerry {
    let mut f = VolumeFerry::default();
    if node.is_null() {
        return f;
    }
    let Some(m) = r.map(node, path) else { return f };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "size" => f.size = size(r, n, &p),
            "storageClass" => f.storage_class = r.located_string(n, &p),
            "accessModes" => {
                for (s, loc) in r.string_or_list(n, &p) {
                    match ACCESS_MODES.iter().find(|m| m.eq_ignore_ascii_case(&s)) {
                        Some(m) => f.access_modes.push(Located::new(m.to_string(), loc)),
                        None => r.msg(
                            &loc,
                            &p,
                            format!(
                                "`{s}` is not an access mode ({}){}",
                                ACCESS_MODES.join(", "),
                                did_you_mean(&s, ACCESS_MODES)
                                    .map(|k| format!("; did you mean `{k}`?"))
                                    .unwrap_or_default()
                            ),
                        ),
                    }
                }
            }
            k => unknown(r, &e.key_loc, path, k, VOLUME_KEYS),
        }
    }
    f
}

pub fn read_project(r: &mut Reader<'_>, node: &Node, path: &str) -> ProjectFerry {
    let mut f = ProjectFerry {
        loc: Some(node.loc.clone()),
        ..ProjectFerry::default()
    };
    if node.is_null() {
        return f;
    }
    let Some(m) = r.map(node, path) else { return f };
    for (k, e) in m {
        let p = format!("{path}.{k}");
        let n = &e.value;
        match k.as_str() {
            "namespace" => {
                if let Some(ns) = r.located_string(n, &p) {
                    if crate::names::dns_label(&ns.value) == ns.value {
                        f.namespace = Some(ns);
                    } else {
                        r.msg(
                            &n.loc,
                            &p,
                            format!("`{}` is not a valid namespace name (lower case letters, digits and `-`, starting with a letter)", ns.value),
                        );
                    }
                }
            }
            "volumeSize" => f.volume_size = size(r, n, &p),
            "storageClass" => f.storage_class = r.located_string(n, &p),
            "networkPolicies" => {
                f.network_policies = r.boolean(n, &p).map(|b| Located::new(b, n.loc.clone()))
            }
            "chartVersion" => {
                f.chart_version = r.located_string(n, &p).filter(|v| {
                    let ok = semver(&v.value);
                    if !ok {
                        r.msg(
                            &n.loc,
                            &p,
                            format!(
                                "`{}` is not a semantic version such as 1.2.3 (Helm needs one)",
                                v.value
                            ),
                        );
                    }
                    ok
                })
            }
            "expose" | "gateway" | "gatewayClass" | "domain" => {
                read_expose_default(r, k, n, &p, &mut f.exposure)
            }
            "envSecrets" | "ageRecipients" | "secretStore" | "remoteKey" | "remoteProperty" => {
                read_secret_setting(r, k, n, &p, &mut f.secrets)
            }
            "environments" => f.environments = environments(r, n, &p),
            k => unknown(r, &e.key_loc, path, k, PROJECT_KEYS),
        }
    }
    f
}

fn expose(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Located<Expose>> {
    one_of(r, node, path, Expose::ALL, Expose::parse)
}

/// One of the top-level keys of [`ExposeDefaults`].
fn read_expose_default(
    r: &mut Reader<'_>,
    key: &str,
    node: &Node,
    path: &str,
    d: &mut ExposeDefaults,
) {
    if key == "expose" {
        d.expose = expose(r, node, path);
        return;
    }
    let Some(s) = r.located_string(node, path) else {
        return;
    };
    let checked = match key {
        "gateway" => GatewayRef::parse(&s.value).map(|g| d.gateway = Some(Located::new(g, s.loc))),
        "gatewayClass" => {
            gateway_class(&s.value).map(|c| d.gateway_class = Some(Located::new(c, s.loc)))
        }
        _ => domain_pattern(&s.value).map(|p| d.domain = Some(Located::new(p, s.loc))),
    };
    if let Err(m) = checked {
        r.msg(&node.loc, path, m);
    }
}

/// The values `--env-secrets` and `x-ferry: {envSecrets}` take.
pub const ENV_SECRETS_MODES: &[&str] = &["auto", "none", "sops", "external-secrets"];

/// One top-level setting of where Secrets come from, checked as its flag is.
fn read_secret_setting(
    r: &mut Reader<'_>,
    k: &str,
    n: &Node,
    p: &str,
    s: &mut super::model::ProjectSecrets,
) {
    let checked = |r: &mut Reader<'_>, check: fn(&str) -> Result<String, String>| {
        let v = r.located_string(n, p)?;
        match check(&v.value) {
            Ok(value) => Some(Located::new(value, v.loc)),
            Err(e) => {
                r.msg(&n.loc, p, e);
                None
            }
        }
    };
    match k {
        "envSecrets" => s.env_secrets = checked(r, env_secrets_mode),
        "secretStore" => s.secret_store = checked(r, secret_store),
        "remoteKey" => s.remote_key = checked(r, remote_pattern),
        "remoteProperty" => s.remote_property = checked(r, remote_pattern),
        _ => {
            let list = match n.as_scalar() {
                Some(_) => r.located_string(n, p).into_iter().collect(),
                None => r.located_list(n, p),
            };
            for v in list {
                match crate::sops::keys::check_recipient(&v.value) {
                    Ok(key) => s.age_recipients.push(Located::new(key, v.loc)),
                    Err(e) => r.msg(&v.loc, p, e),
                }
            }
        }
    }
}

/// `--env-secrets` / `x-ferry: {envSecrets}`.
pub fn env_secrets_mode(v: &str) -> Result<String, String> {
    if ENV_SECRETS_MODES.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "`{v}` is not a mode of envSecrets; expected one of {}",
            ENV_SECRETS_MODES.join(", ")
        ))
    }
}

/// `--secret-store` / `x-ferry: {secretStore}`: `[SecretStore/|ClusterSecretStore/]NAME`.
pub fn secret_store(v: &str) -> Result<String, String> {
    let name = match v.split_once('/') {
        Some(("SecretStore" | "ClusterSecretStore", name)) => name,
        Some((kind, _)) => {
            return Err(format!(
                "`{kind}` is not a kind of secret store; expected SecretStore/NAME, ClusterSecretStore/NAME or NAME"
            ))
        }
        None => v,
    };
    if crate::names::is_dns_subdomain(name) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "`{name}` is not a valid secret store name (lower case letters, digits, `-` and `.`)"
        ))
    }
}

/// The placeholders of `--remote-key` and `--remote-property` patterns.
pub const REMOTE_PLACEHOLDERS: &[&str] = &["project", "namespace", "environment", "secret", "key"];

/// `--remote-key` / `--remote-property` (and the x-ferry keys): text with `{project}`,
/// `{namespace}`, `{secret}` and `{key}` placeholders.
pub fn remote_pattern(v: &str) -> Result<String, String> {
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("`{v}`: a `{{` without its `}}`"));
        };
        let name = &after[..close];
        if !REMOTE_PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{v}`: unknown placeholder `{{{name}}}`; expected {}",
                REMOTE_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("`{v}`: a `}}` without its `{{`"));
    }
    Ok(v.to_string())
}

/// `environments: {NAME: FILE | [FILE, …] | {files: …, envFile: …}}`.
fn environments(r: &mut Reader<'_>, node: &Node, path: &str) -> Vec<EnvironmentDecl> {
    let Some(m) = r.map(node, path) else {
        return Vec::new();
    };
    let located = |list: Vec<(String, Location)>| -> Vec<Located<String>> {
        list.into_iter().map(|(s, l)| Located::new(s, l)).collect()
    };
    let mut out = Vec::new();
    for (name, e) in m {
        let p = format!("{path}.{name}");
        if !crate::names::is_environment_name(name) {
            r.msg(
                &e.key_loc,
                &p,
                format!("`{name}` is not a valid environment name: lower case letters, digits and `-`, starting with a letter or digit, at most 63 characters (it becomes a directory name)"),
            );
            continue;
        }
        let mut decl = EnvironmentDecl {
            name: Located::new(name.clone(), e.key_loc.clone()),
            files: Vec::new(),
            env_files: Vec::new(),
        };
        match &e.value.value {
            Value::Map(settings) => {
                for (k, s) in settings {
                    let kp = format!("{p}.{k}");
                    match k.as_str() {
                        "files" => decl.files = located(r.string_or_list(&s.value, &kp)),
                        "envFile" => decl.env_files = located(r.string_or_list(&s.value, &kp)),
                        other => unknown(r, &s.key_loc, &p, other, ENVIRONMENT_KEYS),
                    }
                }
            }
            _ if e.value.is_null() => {}
            _ => decl.files = located(r.string_or_list(&e.value, &p)),
        }
        out.push(decl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        assert!(valid_schedule("*/5 * * * *"));
        assert!(valid_schedule("0 3 * * MON-FRI"));
        assert!(valid_schedule("@hourly"));
        assert!(!valid_schedule("every day"));
        assert!(!valid_schedule("* * * *"));
    }

    #[test]
    fn sizes() {
        assert_eq!(storage_quantity("10Gi").unwrap(), "10Gi");
        assert_eq!(storage_quantity("500Mi").unwrap(), "500Mi");
        assert_eq!(storage_quantity("2G").unwrap(), "2G");
        assert_eq!(storage_quantity("10g").unwrap(), "10Gi");
        assert!(storage_quantity("big").is_err());
    }

    #[test]
    fn percents_and_memory() {
        assert_eq!(percent("80"), Some(80));
        assert_eq!(percent("80%"), Some(80));
        assert_eq!(percent("0"), None);
        assert_eq!(memory_target("70"), Some(MemoryTarget::Percent(70)));
        assert_eq!(
            memory_target("512Mi"),
            Some(MemoryTarget::Quantity("512Mi".into()))
        );
    }

    #[test]
    fn gateway_names_hosts_and_domains() {
        assert_eq!(
            GatewayRef::parse("infra/shared").unwrap(),
            GatewayRef {
                namespace: Some("infra".into()),
                name: "shared".into()
            }
        );
        assert_eq!(GatewayRef::parse("edge.main").unwrap().namespace, None);
        for bad in ["Infra/x", "a/b/c", "", "x_y", "ns/"] {
            assert!(GatewayRef::parse(bad).is_err(), "{bad}");
        }
        for ok in ["example.com", "*.example.com", "a-b.c1.example"] {
            assert!(valid_host(ok).is_ok(), "{ok}");
        }
        for bad in [
            "Example.com",
            "a..b",
            "-a.com",
            "10.0.0.1",
            "a.*.com",
            "*",
            "a_b.com",
        ] {
            assert!(valid_host(bad).is_err(), "{bad}");
        }
        assert!(domain_pattern("{service}.example.com").is_ok());
        assert!(domain_pattern("{service}-{project}.example.com").is_ok());
        assert!(domain_pattern("{svc}.example.com").is_err());
        assert!(domain_pattern("*.example.com").is_err());
        assert!(domain_pattern("{service}.Example.com").is_err());
        assert_eq!(
            domain_for("{service}.{project}.example.com", "Web_App", "Shop"),
            "web-app.shop.example.com"
        );
    }

    #[test]
    fn kinds_are_case_insensitive() {
        assert_eq!(
            WorkloadKind::parse("daemonset"),
            Some(WorkloadKind::DaemonSet)
        );
        assert_eq!(
            WorkloadKind::parse("StatefulSet"),
            Some(WorkloadKind::StatefulSet)
        );
        assert_eq!(ServiceType::parse("nodeport"), Some(ServiceType::NodePort));
        assert_eq!(ServiceType::parse("x"), None);
    }
}
