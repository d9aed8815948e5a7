//! Translate: the canonical compose [`Project`] to Kubernetes objects, plus a [`Report`] of what
//! became of every key. One module per concern:
//!
//! - `settings`: `x-ferry` and Kompose's `kompose.*` labels, resolved per service;
//! - `workload`: the kind (Deployment, StatefulSet, DaemonSet, Job, CronJob) and rollouts;
//! - `pod`, `probes`, `scheduling`: the pod template;
//! - `service`: how the service is reached inside the cluster; `expose`, `ingress`, `gateway`:
//!   from outside (an Ingress or Gateway API routes);
//! - `storage`: volumes and bind mounts; `config`: env files; `secrets`: secrets and configs;
//! - `network`: NetworkPolicies; `autoscale`: HorizontalPodAutoscalers;
//! - `report`: the reasons for keys ferry does not convert, and the grouped report.

mod autoscale;
mod config;
pub mod envsecrets;
pub mod expose;
mod gateway;
mod hosts;
mod ingress;
mod models;
mod network;
mod pod;
mod probes;
mod provider;
pub mod report;
mod scheduling;
pub mod secretmode;
mod secrets;
mod service;
pub mod settings;
mod storage;
mod workload;

pub use pod::escape_dollars;
pub use secrets::SECRETS_DIR;
pub use storage::BindMounts;

use crate::compose::{Project, Service};
use crate::error::{Error, Location, Report, Result};
use crate::names;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use settings::Settings;
use std::collections::{BTreeMap, BTreeSet};
use workload::Plan;

/// A JSON object from (key, value) pairs, in order, moving the values in (`json!` would copy
/// every embedded map and list through serde).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// One Kubernetes object, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: String,
    pub name: String,
    /// The whole object, keys in kubectl's order. Shared, so that templates read it in place
    /// (see `render::json`) instead of a converted copy.
    pub value: std::sync::Arc<Value>,
    /// The compose service it came from, if any (for templates).
    pub service: Option<String>,
    /// The compose key it was made from, to name both sides when two objects collide.
    pub origin: String,
}

/// A file written beside the manifests that is not an object.
#[derive(Clone, PartialEq)]
pub struct ExtraFile {
    /// Relative to the output directory.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Secret material: never shown in terminal output, diffs or logs.
    pub sensitive: bool,
}

impl std::fmt::Debug for ExtraFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraFile")
            .field("path", &self.path)
            .field("bytes", &format!("<{} bytes>", self.bytes.len()))
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// A kustomize `secretGenerator` entry: the Secret is made from files when the kustomization is
/// built.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretGenerator {
    pub name: String,
    /// (key in the Secret, file relative to the kustomization).
    pub files: Vec<(String, String)>,
    pub labels: Map<String, Value>,
    /// Printed as a Secret object in the `--stdout` stream (sensitive environment, which the
    /// pods cannot start without).
    pub inline: bool,
    /// What the values are made from, never a value that is not already in a compose file:
    /// where each is written and the variables it reads, or the file it is copied from. An
    /// environment's overlay makes a generator of its own when this differs from the base's
    /// (`src/environments`), so the decision does not depend on secret files being at hand.
    pub recipe: Vec<String>,
    /// Some value comes from `.env`, `--env-file`, the process environment or an env file, not
    /// from a compose file: an environment with env files of its own may give it another value.
    pub from_environment: bool,
}

/// What goes into `kustomization.yaml` besides the resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kustomize {
    pub namespace: Option<String>,
    pub secret_generators: Vec<SecretGenerator>,
}

/// Everything translate produces.
#[derive(Debug, Clone)]
pub struct Translation {
    pub objects: Vec<Object>,
    pub report: Report,
    pub kustomize: Kustomize,
    pub files: Vec<ExtraFile>,
    pub secrets: Delivered,
}

/// Secrets delivered another way than ferry's default (`--env-secrets sops` or
/// `external-secrets`).
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// Secrets to commit encrypted with SOPS, in the order made.
    pub sealed: Vec<secretmode::Sealed>,
    /// The remote keys the ExternalSecrets read, in the order made.
    pub remote_keys: Vec<secretmode::RemoteKey>,
    /// The resolved settings (store, patterns), for the Helm chart's values.
    pub settings: secretmode::Settings,
    /// The namespace of the conversion (`--namespace`), which `{namespace}` in remote key
    /// patterns names.
    pub namespace: Option<String>,
}

impl Delivered {
    /// Keep a delivered Secret: an encrypted one here, an ExternalSecret among the objects.
    pub fn add(&mut self, d: secretmode::Delivery, objects: &mut Vec<Object>) {
        match d {
            secretmode::Delivery::Sealed(s) => self.sealed.push(s),
            secretmode::Delivery::External(obj, keys) => {
                objects.push(obj);
                self.remote_keys.extend(keys);
            }
        }
    }
}

/// What [`translate_each`] returns: everything translate produces but the objects, which it
/// hands over one by one.
#[derive(Debug, Clone)]
pub struct Translated {
    pub report: Report,
    pub kustomize: Kustomize,
    pub files: Vec<ExtraFile>,
    pub secrets: Delivered,
}

/// What is left of an [`Object`] once it is rendered: enough for the report and overlays.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    pub kind: String,
    pub name: String,
    pub api_version: String,
    pub service: Option<String>,
}

impl Object {
    /// The object without its body.
    pub fn made(&self) -> Made {
        Made {
            kind: self.kind.clone(),
            name: self.name.clone(),
            api_version: self.value["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            service: self.service.clone(),
        }
    }
}

/// Options that change what translate produces (the `convert` flags).
#[derive(Debug, Clone, Default)]
pub struct TranslateOptions {
    /// `--network-policies`: a NetworkPolicy per compose network.
    pub network_policies: bool,
    /// `--volume-size`: the size of claims that say nothing else (a Kubernetes quantity).
    pub volume_size: Option<String>,
    /// `--bind-mounts`.
    pub bind_mounts: BindMounts,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `--env-secrets` (default: top-level `x-ferry: {envSecrets}`, else `auto`).
    pub env_secrets: Option<envsecrets::EnvSecrets>,
    /// `--age-recipient`, `--secret-store`, `--remote-key`, `--remote-property`.
    pub secrets: secretmode::SecretOptions,
    /// The environment converted (`src/environments`), for `{environment}` in remote key
    /// patterns; `None` for the base.
    pub environment: Option<String>,
    /// `--expose`, `--gateway`, `--gateway-class`, `--domain`.
    pub expose: expose::ExposeOptions,
}

/// `app.kubernetes.io/*` labels for a service's objects.
pub(crate) fn labels(project: &Project, service: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(s) = service {
        m.insert("app.kubernetes.io/name".into(), json!(names::dns_label(s)));
    }
    m.insert(
        "app.kubernetes.io/part-of".into(),
        json!(names::label_value(&project.name)),
    );
    m.insert("app.kubernetes.io/managed-by".into(), json!("ferry"));
    m
}

/// The labels a service's pods are selected by.
pub(crate) fn selector(project: &Project, service: &str) -> Map<String, Value> {
    let mut m = labels(project, Some(service));
    m.remove("app.kubernetes.io/managed-by");
    m
}

fn name_part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A label or annotation key: `[prefix/]name` (prefix a DNS subdomain).
pub(crate) fn valid_qualified_name(k: &str) -> bool {
    match k.split_once('/') {
        Some((prefix, name)) => crate::names::is_dns_subdomain(prefix) && name_part_ok(name),
        None => name_part_ok(k),
    }
}

pub(crate) fn valid_label_value(v: &str) -> bool {
    v.is_empty() || name_part_ok(v)
}

/// What every module can ask about the project while translating.
pub struct Ctx<'a> {
    pub project: &'a Project,
    pub opts: &'a TranslateOptions,
    settings: IndexMap<String, Settings>,
    plans: IndexMap<String, Plan>,
    /// Service → the service whose pod it runs in.
    owners: IndexMap<String, String>,
    referenced: BTreeSet<String>,
    /// Alias (as a Kubernetes name) → the first pod owner it names.
    aliases: BTreeMap<String, String>,
    namespace: Option<String>,
    network_policies: bool,
    /// Where Secrets come from (`--env-secrets` and the settings of its modes).
    secret_settings: secretmode::Settings,
    /// For each top-level volume (by index), the pod owners that mount it; computed once.
    volume_users: std::cell::OnceCell<Vec<Vec<&'a str>>>,
    /// Names other services ask for that Kubernetes names differently (see `hosts`).
    renames: Vec<(String, String)>,
    /// Each bind mount's plan, by (service, source); computed once.
    bind_plans: std::cell::OnceCell<std::collections::HashMap<(String, String), storage::BindPlan>>,
    /// The claims made for bind mounts; computed once.
    bind_claims: std::cell::OnceCell<Vec<storage::BindClaim<'a>>>,
    /// The names of the ConfigMaps made for bind mounts, by (service, source); computed once.
    bind_configmaps: std::cell::OnceCell<BTreeMap<(String, String), storage::BindConfigMap>>,
    /// Pod owner → the links that name it, as (linking service, link); computed once.
    links_to: std::cell::OnceCell<
        std::collections::HashMap<&'a str, Vec<(&'a Service, &'a crate::compose::model::Link)>>,
    >,
    /// How each service's published ports are reached from outside; planned once.
    exposure: expose::Plan,
    /// The Gateway API routes and the Gateway (`expose: gateway`); planned once.
    gateway: gateway::Plan,
}

impl<'a> Ctx<'a> {
    pub fn settings(&self, service: &str) -> &Settings {
        &self.settings[service]
    }

    pub fn plan(&self, service: &str) -> &Plan {
        &self.plans[service]
    }

    /// The service whose pod this one runs in (itself, unless `network_mode: service:…` or
    /// `kompose.service.group`).
    pub fn pod_owner(&self, service: &str) -> &'a Service {
        let owner = self.owners.get(service).map_or(service, String::as_str);
        self.project
            .services
            .get(owner)
            .or_else(|| self.project.services.get(service))
            .expect("pod owners are services")
    }

    /// Whether `service` answers on a Service of its own name: a pod's owner does, and so
    /// does a member of a group; a service sharing another's network (`network_mode:
    /// service:…`) answers through that pod's.
    pub fn has_own_service(&self, service: &str) -> bool {
        let owner = self.pod_owner(service);
        owner.name == service
            || self
                .project
                .services
                .get(service)
                .is_some_and(|s| s.network_mode.is_none())
    }

    /// The links, in every service, whose target runs in `owner`'s pod, with the linking
    /// service.
    pub fn links_to(&self, owner: &str) -> &[(&'a Service, &'a crate::compose::model::Link)] {
        let map = self.links_to.get_or_init(|| {
            let mut map: std::collections::HashMap<&str, Vec<_>> = std::collections::HashMap::new();
            for other in self.project.services.values() {
                for l in &other.links {
                    let target = self.pod_owner(&l.service);
                    map.entry(target.name.as_str())
                        .or_default()
                        .push((other, l));
                }
            }
            map
        });
        map.get(owner).map_or(&[], Vec::as_slice)
    }

    /// Other services name this one (depends_on, links, or its name in their environment).
    pub fn referenced(&self, service: &str) -> bool {
        self.referenced.contains(service)
    }

    /// Names other services ask for that Kubernetes names differently, longest first.
    pub fn renames(&self) -> &[(String, String)] {
        &self.renames
    }

    pub fn alias_owner(&self, alias: &str) -> Option<&str> {
        self.aliases.get(alias).map(String::as_str)
    }

    pub fn network_policies(&self) -> bool {
        self.network_policies
    }

    pub fn exposure(&self) -> &expose::Plan {
        &self.exposure
    }

    pub fn gateway(&self) -> &gateway::Plan {
        &self.gateway
    }

    /// What became of a published Service port outside the cluster, for the report.
    pub fn published_note(&self, service: &str, protocol: &str, port: u16) -> Option<String> {
        match self.exposure.service(service)?.mode {
            crate::compose::xferry::Expose::Gateway => self
                .gateway
                .note(service, protocol, port)
                .map(str::to_string),
            _ => self.exposure.note(service, port, protocol),
        }
    }

    /// The namespace every object goes to, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Where Secrets come from.
    pub fn secret_settings(&self) -> &secretmode::Settings {
        &self.secret_settings
    }

    /// Put the namespace (if any) into an object's metadata.
    /// An object's `metadata`: its name, the labels of the project (and service), and the
    /// namespace when there is one.
    pub fn metadata(&self, name: &str, service: Option<&str>) -> Value {
        let mut md = Map::new();
        md.insert("name".into(), json!(name));
        md.insert(
            "labels".into(),
            Value::Object(labels(self.project, service)),
        );
        self.namespace_into(&mut md);
        Value::Object(md)
    }

    pub fn namespace_into(&self, md: &mut Map<String, Value>) {
        if let Some(ns) = &self.namespace {
            md.insert("namespace".into(), json!(ns));
        }
    }
}

/// Two compose names that become the same Kubernetes name are an error naming both.
fn check_collisions<'a>(
    what: &str,
    items: impl Iterator<Item = (&'a str, &'a Location)>,
) -> Vec<Error> {
    let mut seen: BTreeMap<String, (&str, &Location)> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, loc) in items {
        let k8s = names::dns_label(name);
        if let Some((first, first_loc)) = seen.get(&k8s) {
            errors.push(
                Error::invalid(
                    loc,
                    format!(
                        "{what} `{name}` and `{first}` (at {first_loc}) both become `{k8s}` in Kubernetes; rename one of them"
                    ),
                )
                .labelled(format!("also becomes `{k8s}`"))
                .also_at(first_loc, format!("becomes `{k8s}`")),
            );
        } else {
            seen.insert(k8s, (name, loc));
        }
    }
    errors
}

/// Which pod each service runs in: `network_mode: service:X` and groups (`x-ferry: {group}`,
/// `kompose.service.group`).
fn pod_owners(
    project: &Project,
    settings: &IndexMap<String, Settings>,
    errors: &mut Vec<Error>,
) -> IndexMap<String, String> {
    let mut direct: IndexMap<String, String> = IndexMap::new();
    let mut groups: IndexMap<String, String> = IndexMap::new();
    for svc in project.services.values() {
        if let Some(nm) = &svc.network_mode {
            if let Some(target) = nm.value.strip_prefix("service:") {
                if project.services.contains_key(target) {
                    direct.insert(svc.name.clone(), target.to_string());
                } else {
                    errors.push(Error::invalid(
                        &nm.loc,
                        format!(
                            "services.{}.network_mode: refers to the service `{target}`, which does not exist",
                            svc.name
                        ),
                    ));
                }
                continue;
            }
        }
        if let Some(g) = &settings[&svc.name].group {
            match groups.get(&g.value) {
                Some(first) => {
                    direct.insert(svc.name.clone(), first.clone());
                }
                None => {
                    groups.insert(g.value.clone(), svc.name.clone());
                }
            }
        }
    }
    let mut owners = IndexMap::new();
    for svc in project.services.values() {
        let mut cur = svc.name.clone();
        let mut seen = vec![cur.clone()];
        while let Some(next) = direct.get(&cur) {
            if seen.contains(next) {
                errors.push(Error::invalid(
                    &svc.loc,
                    format!(
                        "services.{}: `network_mode: service:…` goes round in a circle ({} → {next})",
                        svc.name,
                        seen.join(" → ")
                    ),
                ));
                break;
            }
            seen.push(next.clone());
            cur = next.clone();
        }
        owners.insert(svc.name.clone(), cur);
    }
    owners
}

/// True when `value` names `host` the way a connection setting does: the whole value
/// (`DB_HOST=db`), a URL's host (`postgres://db:5432`, `redis://user@cache`), or `host:port`.
/// The words of `value` (lower case) that [`names_host`] would accept as a host: the whole value,
/// or a run of host characters after `://` or `@`, or before `:<port>`.
fn host_tokens(value: &str) -> Vec<String> {
    let lower = value.trim().to_ascii_lowercase();
    let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = Vec::new();
    if !lower.is_empty() && lower.chars().all(is_host_char) {
        out.push(lower.clone());
        return out;
    }
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_host_char(bytes[i] as char) {
            i += 1;
            continue;
        }
        let at = i;
        while i < bytes.len() && is_host_char(bytes[i] as char) {
            i += 1;
        }
        let end = i;
        let url_host = lower[..at].ends_with("://") || lower[..at].ends_with('@');
        let with_port = lower[end..].starts_with(':')
            && lower[end + 1..].starts_with(|c: char| c.is_ascii_digit());
        if url_host || with_port {
            out.push(lower[at..end].to_string());
        }
    }
    out
}

/// Whether `value` names `host` as a host (see [`host_tokens`]).
#[cfg(test)]
fn names_host(value: &str, host: &str) -> bool {
    host_tokens(value).contains(&host.to_ascii_lowercase())
}

/// Services other services name: in `depends_on` (to be started or healthy), `links`, or as a
/// host in their environment.
fn referenced(project: &Project) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Lower-case name → service, so that each value is scanned once, not once per service.
    let by_lower: std::collections::HashMap<String, &str> = project
        .services
        .keys()
        .map(|k| (k.to_ascii_lowercase(), k.as_str()))
        .collect();
    for svc in project.services.values() {
        // Dependencies compose implies (volumes_from, shared namespaces) say nothing about
        // reaching the other service by name; links are counted below.
        for d in svc
            .depends_on
            .iter()
            .filter(|d| !d.implied && d.condition != "service_completed_successfully")
        {
            out.insert(d.service.clone());
        }
        for l in &svc.links {
            out.insert(l.service.clone());
        }
        let values = svc
            .environment
            .iter()
            .filter_map(|e| e.value.as_deref())
            .chain(
                svc.env_files
                    .iter()
                    .flat_map(|f| f.entries.iter().map(|(_, v)| v.as_str())),
            );
        for v in values {
            for token in host_tokens(v) {
                if let Some(&name) = by_lower.get(&token) {
                    if name != svc.name {
                        out.insert(name.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Keys of a service that runs in another's pod and that only the pod's owner sets.
fn report_member(svc: &Service, owner: &Service, report: &mut Report) {
    for (k, loc) in &svc.keys {
        if k == "deploy" {
            for (dk, dloc) in &svc.deploy.keys {
                if dk == "resources" {
                    continue;
                }
                report.not_converted(
                    Some(dloc),
                    format!("services.{}.deploy.{dk}", svc.name),
                    format!("`{}` runs as a container in the pod of `{}`; the pod's settings come from `{}`", svc.name, owner.name, owner.name),
                );
            }
            continue;
        }
        // A member of a group answers on its own name and ports, with its own aliases, and its
        // networks label the pod: those keys are its own.
        let own =
            svc.network_mode.is_none() && ["ports", "expose", "networks"].contains(&k.as_str());
        if pod::POD_LEVEL_KEYS.contains(&k.as_str()) && !own {
            report.not_converted(
                Some(loc),
                format!("services.{}.{k}", svc.name),
                format!("`{}` runs as a container in the pod of `{}`; the pod's settings come from `{}`", svc.name, owner.name, owner.name),
            );
        }
    }
}

fn report_skipped(svc: &Service, report: &mut Report) {
    for s in &svc.skipped {
        let (sev, why) = report::skipped_reason(s);
        report.push(
            sev,
            Some(&s.loc),
            format!("services.{}.{}", svc.name, s.key),
            why,
        );
    }
    for h in svc.pre_start.iter() {
        for s in &h.skipped {
            report.warn(
                Some(&s.loc),
                format!("services.{}.pre_start", svc.name),
                "an init container runs in every pod, so `per_replica: false` cannot hold with several replicas",
            );
        }
    }
}

fn report_dependencies(ctx: &Ctx<'_>, svc: &Service, report: &mut Report) {
    let wait = ctx
        .settings(&svc.name)
        .wait_for
        .as_ref()
        .is_some_and(|w| w.value);
    // An implied dependency is reported with the key that implies it.
    for d in svc.depends_on.iter().filter(|d| !d.implied) {
        let k = format!("services.{}.depends_on", svc.name);
        if let Some(p) = ctx.project.providers.get(&d.service) {
            provider::report_dependency(svc, p, &d.loc, k, report);
            continue;
        }
        if !ctx.project.services.contains_key(&d.service) {
            if d.required {
                report.not_converted(
                    Some(&d.loc),
                    k,
                    format!("`{}` is not a service of this project", d.service),
                );
            } else {
                report.ignored(
                    Some(&d.loc),
                    k,
                    format!(
                        "`{}` is optional and left out by the active profiles",
                        d.service
                    ),
                );
            }
            continue;
        }
        if wait && d.condition == "service_completed_successfully" {
            report.not_converted(
                Some(&d.loc),
                k,
                format!("`{}` must complete first; an init container can only wait until a service answers on the network, so none waits for it", d.service),
            );
        } else if wait {
            report.converted(
                Some(&d.loc),
                k,
                format!(
                    "an init container waits for `{}` (x-ferry waitFor)",
                    d.service
                ),
            );
        } else {
            report.ignored(
                Some(&d.loc),
                k,
                "not needed on Kubernetes: pods start in any order, and a pod whose dependency is not up yet fails and is restarted until it answers (`x-ferry: {waitFor: true}` waits with an init container)",
            );
        }
    }
    for l in &svc.links {
        let k = format!("services.{}.links", svc.name);
        if !ctx.project.services.contains_key(&l.service) {
            report.not_converted(
                Some(&l.loc),
                k,
                format!("`{}` is not a service of this project", l.service),
            );
        } else if l.alias.is_none() {
            report.converted(
                Some(&l.loc),
                k,
                format!(
                    "`{}` resolves through Service/{}",
                    l.service,
                    names::dns_label(&ctx.pod_owner(&l.service).name)
                ),
            );
        }
    }
}

pub fn translate(project: &Project, opts: &TranslateOptions) -> Result<Translation> {
    let mut objects = Vec::new();
    let t = translate_each(project, opts, &mut |o| objects.push(o))?;
    Ok(Translation {
        objects,
        report: t.report,
        kustomize: t.kustomize,
        files: t.files,
        secrets: t.secrets,
    })
}

/// [`translate`], handing each object to `sink` as soon as its service is translated (in the
/// same order as [`Translation::objects`]), so that a caller can render it and let it go
/// instead of holding every object at once (most of the memory at thousands of services).
pub fn translate_each(
    project: &Project,
    opts: &TranslateOptions,
    sink: &mut dyn FnMut(Object),
) -> Result<Translated> {
    let mut errors = check_collisions(
        "services",
        project.services.values().map(|s| (s.name.as_str(), &s.loc)),
    );
    errors.extend(check_collisions(
        "volumes",
        project.volumes.values().map(|v| (v.name.as_str(), &v.loc)),
    ));
    errors.extend(check_collisions(
        "secrets",
        project
            .top
            .secrets
            .values()
            .map(|v| (v.name.as_str(), &v.loc)),
    ));
    errors.extend(check_collisions(
        "configs",
        project
            .top
            .configs
            .values()
            .map(|v| (v.name.as_str(), &v.loc)),
    ));
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    let mut report = Report::default();
    for (key, loc) in &project.unconverted {
        let (sev, why) = report::top_level_reason(key);
        report.push(sev, Some(loc), key.clone(), why);
    }
    models::report(project, &mut report);
    provider::report_providers(project, &mut report);
    let mut errors = Vec::new();
    let mut all_settings = IndexMap::with_capacity(project.services.len());
    for svc in project.services.values() {
        match settings::resolve(svc, &mut report) {
            Ok(s) => {
                all_settings.insert(svc.name.clone(), s);
            }
            Err(e) => {
                errors.extend(e);
                all_settings.insert(svc.name.clone(), Settings::default());
            }
        }
    }
    let owners = pod_owners(project, &all_settings, &mut errors);
    if let Some(e) = Error::from_many(std::mem::take(&mut errors)) {
        return Err(e);
    }
    let plans: IndexMap<String, Plan> = project
        .services
        .values()
        .map(|s| (s.name.clone(), workload::plan(s, &all_settings[&s.name])))
        .collect();
    let namespace = opts.namespace.clone().or_else(|| {
        project
            .top
            .ferry
            .namespace
            .as_ref()
            .map(|n| n.value.clone())
    });
    let mut aliases = BTreeMap::new();
    for svc in project.services.values() {
        let owner = owners[&svc.name].clone();
        let names_of = svc
            .networks
            .iter()
            .flat_map(|n| n.aliases.iter().map(|a| a.value.clone()))
            .chain(svc.container_name.iter().map(|c| c.value.clone()));
        for a in names_of {
            aliases.entry(names::dns_label(&a)).or_insert(owner.clone());
        }
    }
    let secret_settings = secretmode::Settings::resolve(project, opts.env_secrets, &opts.secrets)?;
    let mut ctx = Ctx {
        project,
        opts,
        secret_settings,
        settings: all_settings,
        plans,
        owners,
        referenced: referenced(project),
        volume_users: std::cell::OnceCell::new(),
        renames: hosts::renames(project),
        bind_plans: std::cell::OnceCell::new(),
        bind_claims: std::cell::OnceCell::new(),
        bind_configmaps: std::cell::OnceCell::new(),
        links_to: std::cell::OnceCell::new(),
        aliases,
        namespace: namespace.clone(),
        network_policies: opts.network_policies
            || project
                .top
                .ferry
                .network_policies
                .as_ref()
                .is_some_and(|n| n.value),
        exposure: expose::Plan::default(),
        gateway: gateway::Plan::default(),
    };
    ctx.exposure = expose::plan(
        project,
        &ctx.settings,
        |s| ctx.has_own_service(s),
        &opts.expose,
        &mut report,
        &mut errors,
    );
    ctx.gateway = gateway::plan(
        project,
        &ctx.exposure,
        namespace.as_deref(),
        &mut report,
        &mut errors,
    );
    gateway::report_unused(&ctx.exposure, &mut report);
    if let Some(e) = Error::from_many(std::mem::take(&mut errors)) {
        return Err(e);
    }
    let ctx = ctx;
    // Pod owner → the services that run in its pod (computed once, not per service).
    let mut members_of: BTreeMap<&str, Vec<&Service>> = BTreeMap::new();
    for s in project.services.values() {
        let owner = ctx.pod_owner(&s.name);
        if owner.name != s.name {
            members_of.entry(owner.name.as_str()).or_default().push(s);
        }
    }
    let mut objects = Vec::new();
    if let Some(ns) = &namespace {
        objects.push(Object {
            kind: "Namespace".into(),
            name: ns.clone(),
            value: std::sync::Arc::new(json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": { "name": ns, "labels": labels(project, None) },
            })),
            service: None,
            origin: "--namespace".into(),
        });
    }
    if let Some(f) = &project.top.ferry.loc {
        let tf = &project.top.ferry;
        for (set, k, what) in [
            (
                tf.namespace.as_ref().map(|n| &n.loc),
                "namespace",
                "the Namespace and every object's namespace (unless --namespace)",
            ),
            (
                tf.volume_size.as_ref().map(|n| &n.loc),
                "volumeSize",
                "the size of claims that say nothing else (unless --volume-size)",
            ),
            (
                tf.storage_class.as_ref().map(|n| &n.loc),
                "storageClass",
                "the storage class of claims that say nothing else",
            ),
            (
                tf.network_policies.as_ref().map(|n| &n.loc),
                "networkPolicies",
                "NetworkPolicies per compose network",
            ),
            (
                tf.chart_version.as_ref().map(|n| &n.loc),
                "chartVersion",
                "the Helm chart's version with --helm (unless --chart-version)",
            ),
        ] {
            if let Some(loc) = set {
                report.converted(Some(loc), format!("x-ferry.{k}"), what);
            }
        }
        secretmode::report_settings(&ctx, &mut report);
        let _ = f;
    }
    let mut made = secrets::objects(&ctx, &mut report)?;
    let mut env_generators = Vec::new();
    let mut env_files = Vec::new();
    let mut delivered = std::mem::take(&mut made.delivered);
    objects.extend(made.objects);
    objects.extend(storage::claims(&ctx, &mut report));
    objects.drain(..).for_each(&mut *sink);
    for svc in project.services.values() {
        objects.drain(..).for_each(&mut *sink);
        let k8s_name = names::dns_label(&svc.name);
        if k8s_name != svc.name {
            report.warn(
                Some(&svc.loc),
                format!("services.{}", svc.name),
                format!(
                    "is named `{k8s_name}` in Kubernetes (`{}` is not a valid name there); other services must reach it as `{k8s_name}`",
                    svc.name
                ),
            );
        }
        report_skipped(svc, &mut report);
        for lf in &svc.label_files {
            report.converted(
                Some(&lf.loc),
                format!("services.{}.label_file", svc.name),
                format!(
                    "`{}` read into the service's labels (annotations on the workload and its pods)",
                    lf.value
                ),
            );
        }
        report_dependencies(&ctx, svc, &mut report);
        if let Some(g) = &ctx.settings(&svc.name).group {
            let owner = ctx.pod_owner(&svc.name);
            report.converted(
                Some(&g.loc),
                ctx.settings(&svc.name).group_key.clone(),
                format!(
                    "a container in the pod of `{}` (group `{}`)",
                    owner.name, g.value
                ),
            );
        }
        network::report_service(&ctx, svc, &mut report);
        let owner = ctx.pod_owner(&svc.name);
        if owner.name != svc.name {
            report_member(svc, owner, &mut report);
            continue;
        }
        let members: Vec<&Service> = members_of
            .get(svc.name.as_str())
            .cloned()
            .unwrap_or_default();
        let settings = ctx.settings(&svc.name);
        let plan = ctx.plan(&svc.name).clone();
        let mut pod = pod::PodParts::default();
        let mut containers = Vec::new();
        let mut annotations = Map::new();
        for m in std::iter::once(svc).chain(members.iter().copied()) {
            let env_plan = envsecrets::plan(&ctx, m);
            envsecrets::report_settings(m, &env_plan, &mut report);
            match envsecrets::secret(&ctx, m, &env_plan, &mut report) {
                Ok(None) => {}
                Ok(Some(envsecrets::EnvSecret::Object(obj))) => objects.push(obj),
                Ok(Some(envsecrets::EnvSecret::Generator(g, files))) => {
                    env_generators.push(g);
                    env_files.extend(files);
                }
                Ok(Some(envsecrets::EnvSecret::Delivered(d))) => {
                    delivered.add(d, &mut objects);
                }
                Err(e) => errors.push(e),
            }
            let mut parts = pod::ContainerParts {
                env_secrets: env_plan,
                ..Default::default()
            };
            if let Some(cm) = config::env_configmap(&ctx, m, &mut parts, &mut report) {
                objects.push(cm);
            }
            secrets::mounts(&ctx, m, &mut pod, &mut parts, &mut report, &mut errors);
            match storage::mounts(&ctx, m, svc, &mut pod, &mut parts, &mut report) {
                Ok(extra) => objects.extend(extra),
                Err(e) => errors.push(e),
            }
            containers.push(pod::container(
                &ctx,
                m,
                ctx.settings(&m.name),
                parts,
                &mut report,
            ));
            for (k, v) in pod::annotations(m, &mut report) {
                annotations.entry(k).or_insert(v);
            }
        }
        pod::init_containers(&ctx, svc, settings, &mut pod, plan.replicas, &mut report);
        storage::finish_volumes(&mut pod);
        let uses_claim = pod.uses_claim;
        let claim_templates = std::mem::take(&mut pod.claim_templates);
        let restart_policy = match plan.kind {
            settings_kind @ (crate::compose::xferry::WorkloadKind::Job
            | crate::compose::xferry::WorkloadKind::CronJob) => {
                let _ = settings_kind;
                Some(plan.restart_policy)
            }
            _ => None,
        };
        let mut pod_members = vec![svc];
        pod_members.extend(members.iter().copied());
        let template = object([
            (
                "metadata",
                workload::template_metadata(
                    &ctx,
                    svc,
                    annotations,
                    network::pod_labels(&ctx, &pod_members),
                ),
            ),
            (
                "spec",
                pod::pod_spec(
                    &ctx,
                    svc,
                    settings,
                    containers,
                    pod,
                    restart_policy,
                    &mut report,
                ),
            ),
        ]);
        let hpa = autoscale::hpa(&ctx, svc, plan.kind, &mut report, &mut errors);
        objects.push(workload::workload(
            &ctx,
            svc,
            settings,
            &plan,
            template,
            uses_claim,
            claim_templates,
            hpa.is_some(),
            &mut report,
        ));
        objects.extend(service::services(
            &ctx,
            svc,
            &members,
            plan.kind,
            &mut report,
            &mut errors,
        ));
        // The services grouped into the pod have Services of their own, so Ingresses and
        // routes too (the exposure plan holds every service with a Service of its own).
        for m in std::iter::once(svc).chain(members.iter().copied()) {
            objects.extend(ingress::ingresses(&ctx, m, &mut report));
            objects.extend(gateway::routes(&ctx, m));
        }
        objects.extend(hpa);
    }
    // Every Kompose label ferry reads must say what it became.
    for svc in project.services.values() {
        for kv in &svc.labels {
            if !settings::is_setting_label(&kv.key) {
                continue;
            }
            let k = settings::label_key(svc, &kv.key);
            if !report.entries.iter().any(|d| d.key == k) {
                report.ignored(
                    Some(&kv.loc),
                    k,
                    "has no effect here (the setting it belongs to is not used by this service)",
                );
            }
        }
    }
    objects.drain(..).for_each(&mut *sink);
    gateway::gateway(&ctx).into_iter().for_each(&mut *sink);
    network::report_top_level(&ctx, &mut report);
    network::policies(&ctx).into_iter().for_each(&mut *sink);
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    if !env_files.is_empty() && !made.files.iter().any(|f| f.path == ".gitignore") {
        made.files.push(secrets::gitignore());
    }
    made.generators.extend(env_generators);
    made.files.extend(env_files);
    delivered.settings = ctx.secret_settings.clone();
    delivered.namespace = namespace.clone();
    Ok(Translated {
        report,
        kustomize: Kustomize {
            namespace,
            secret_generators: made.generators,
        },
        files: made.files,
        secrets: delivered,
    })
}

#[cfg(test)]
mod tests {
    use super::names_host;

    #[test]
    fn host_references() {
        assert!(names_host("db", "db"));
        assert!(names_host("postgres://user:pw@db:5432/app", "db"));
        assert!(names_host("redis://cache", "cache"));
        assert!(names_host("cache:6379", "cache"));
        assert!(names_host("http://api/v1", "api"));
        assert!(!names_host("tail -f /var/log/nginx/access.log", "nginx"));
        assert!(!names_host("mydb:5432", "db"));
        assert!(!names_host("database", "db"));
    }
}
