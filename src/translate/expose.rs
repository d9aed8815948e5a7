//! How published ports are reached from outside the cluster: one choice per service, made by
//! `x-ferry: {expose}` on the service, else `--expose`, else `x-ferry: {expose}` at the top
//! level, else `ingress`:
//!
//! - `none`: Services only, whatever the ingress settings say;
//! - `ingress`: an Ingress where the ingress settings ask for one (`ingress.rs`);
//! - `gateway`: a Gateway API route for every published port (`gateway.rs`).
//!
//! The ingress settings (`x-ferry: {ingress}` and Kompose's `kompose.service.expose` labels,
//! resolved once by `settings`) are read here once: each becomes an [`HttpRule`] with the
//! Service port it sends traffic to, and both the Ingress and the HTTP routes are made from
//! those rules. This module also says, for the report, what became of every published port.

use super::service::{entries, Entry};
use super::settings::{label_key, Settings};
use crate::compose::xferry::{
    Expose, ExposeDefaults, GatewayRef, IngressSettings, ServiceType, Tls,
};
use crate::compose::{Located, Project, Service};
use crate::error::{Error, Location, Report};
use crate::names;
use indexmap::IndexMap;

/// `--expose`, `--gateway`, `--gateway-class`, `--domain` (each wins over the top-level
/// `x-ferry` key of the same name).
#[derive(Debug, Clone, Default)]
pub struct ExposeOptions {
    pub expose: Option<Expose>,
    pub gateway: Option<GatewayRef>,
    pub gateway_class: Option<String>,
    pub domain: Option<String>,
}

/// Where a setting came from: a flag, or a key of a compose file (for errors and the report).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Flag(&'static str),
    Key(String, Location),
    Default,
}

impl Source {
    /// How a message names it: `--expose gateway`, `x-ferry.expose`.
    pub fn describe(&self) -> String {
        match self {
            Source::Flag(f) => f.to_string(),
            Source::Key(k, _) => format!("`{k}`"),
            Source::Default => "the default".into(),
        }
    }

    pub fn loc(&self) -> Option<&Location> {
        match self {
            Source::Key(_, loc) => Some(loc),
            _ => None,
        }
    }

    /// An error about this setting: located at its key, or a usage error for a flag.
    pub fn error(&self, message: String) -> Error {
        match self {
            Source::Key(_, loc) => Error::invalid(loc, message),
            _ => Error::Usage(message),
        }
    }
}

/// A flag, else a top-level key.
fn pick<T: Clone>(
    flag: Option<&T>,
    flag_name: &'static str,
    key: Option<&Located<T>>,
    key_name: &str,
) -> Option<(T, Source)> {
    match (flag, key) {
        (Some(v), _) => Some((v.clone(), Source::Flag(flag_name))),
        (None, Some(k)) => Some((
            k.value.clone(),
            Source::Key(format!("x-ferry.{key_name}"), k.loc.clone()),
        )),
        _ => None,
    }
}

/// The project-wide gateway settings, after flags and top-level keys.
#[derive(Debug, Clone, Default)]
pub struct GatewaySettings {
    pub gateway: Option<(GatewayRef, Source)>,
    pub class: Option<(String, Source)>,
    pub domain: Option<(String, Source)>,
}

/// One ingress setting and the Service port it sends traffic to.
#[derive(Debug, Clone)]
pub struct HttpRule {
    pub settings: IngressSettings,
    pub port: u16,
}

/// The Ingresses of a service: rules with the same class and annotations share one.
#[derive(Debug, Clone)]
pub struct IngressGroup {
    pub name: String,
    pub class: Option<String>,
    pub annotations: Vec<(String, String)>,
    /// Indices into [`ServicePlan::http`].
    pub rules: Vec<usize>,
}

/// What becomes of one service's published ports.
#[derive(Debug, Clone, Default)]
pub struct ServicePlan {
    pub mode: Expose,
    pub chosen_by: Option<Source>,
    /// The ingress settings with their backend ports (empty under `none`).
    pub http: Vec<HttpRule>,
    /// The report key the ingress settings came from (`x-ferry.ingress` or a label).
    pub ingress_key: String,
    /// The Ingresses made from `http` (under `ingress` only).
    pub ingresses: Vec<IngressGroup>,
    /// The service has a Service with ports for an Ingress or a route to reach.
    pub has_service: bool,
    /// Its Service is NodePort or LoadBalancer: reachable from outside without either.
    pub external_service: Option<&'static str>,
}

/// The exposure of every service, made once before any object.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub services: IndexMap<String, ServicePlan>,
    pub gateway: GatewaySettings,
}

impl Plan {
    pub fn service(&self, name: &str) -> Option<&ServicePlan> {
        self.services.get(name)
    }

    /// The services exposed through the Gateway API.
    pub fn gateway_services(&self) -> impl Iterator<Item = (&String, &ServicePlan)> {
        self.services
            .iter()
            .filter(|(_, p)| p.mode == Expose::Gateway)
    }

    /// For the report of a published Service port under `none` or `ingress`: whether and how
    /// it is reached from outside. `None` under `gateway` (see `gateway::Plan::note`).
    pub fn note(&self, service: &str, port: u16, protocol: &str) -> Option<String> {
        let p = self.services.get(service)?;
        let outside = p
            .external_service
            .map(|t| format!("outside: the {t} Service"));
        match p.mode {
            Expose::Gateway => None,
            Expose::None => Some(outside.unwrap_or_else(|| {
                format!(
                    "inside the cluster only: {} is `none`",
                    p.chosen_by
                        .as_ref()
                        .map_or("expose".into(), Source::describe)
                )
            })),
            Expose::Ingress => {
                let named: Vec<String> = p
                    .ingresses
                    .iter()
                    .filter(|g| {
                        protocol == "TCP" && g.rules.iter().any(|&i| p.http[i].port == port)
                    })
                    .map(|g| format!("Ingress/{}", g.name))
                    .collect();
                Some(match (named.is_empty(), outside) {
                    (false, _) => format!("outside: {}", named.join(", ")),
                    (true, Some(o)) => o,
                    (true, None) => "inside the cluster only: no Ingress names it".into(),
                })
            }
        }
    }
}

/// The mode of a service: its own `expose`, else `--expose`, else the top-level key.
fn mode_of(svc: &Service, opts: &ExposeOptions, top: &ExposeDefaults) -> (Expose, Option<Source>) {
    if let Some(e) = &svc.ferry.expose {
        return (
            e.value,
            Some(Source::Key(
                format!("services.{}.x-ferry.expose", svc.name),
                e.loc.clone(),
            )),
        );
    }
    match pick(
        opts.expose.as_ref(),
        "--expose",
        top.expose.as_ref(),
        "expose",
    ) {
        Some((e, src)) => (e, Some(src)),
        None => (Expose::Ingress, None),
    }
}

/// The Service port an ingress setting sends traffic to: the `port` given, else the service's
/// only published port, else its only port; anything else is an error that asks for `port`.
fn backend_port(ports: &[Entry], ing: &IngressSettings) -> Result<u16, String> {
    if let Some(p) = &ing.port {
        return if ports
            .iter()
            .any(|e| e.port == p.value && e.protocol == "TCP")
        {
            Ok(p.value)
        } else {
            Err(format!(
                "port {} is not a TCP port of the service (its ports: {})",
                p.value,
                ports
                    .iter()
                    .map(|e| e.port.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
    }
    let tcp: Vec<&Entry> = ports.iter().filter(|e| e.protocol == "TCP").collect();
    let published: Vec<u16> = tcp.iter().filter(|e| e.published).map(|e| e.port).collect();
    match (published.as_slice(), tcp.as_slice()) {
        ([one], _) => Ok(*one),
        ([], [only]) => Ok(only.port),
        ([], []) => Err("the service has no TCP port for an Ingress or a route to send traffic to; add `ports`".into()),
        _ => Err(format!(
            "the service has several ports ({}); choose the one the Ingress or route sends traffic to with `x-ferry: {{ingress: {{port: …}}}}`",
            if published.is_empty() { tcp.iter().map(|e| e.port.to_string()).collect::<Vec<_>>() } else { published.iter().map(u16::to_string).collect() }.join(", ")
        )),
    }
}

/// One Ingress per (class, annotations) group, in the order they are written; the first is
/// named after the service, the others `<service>-2`, `<service>-3`…
fn ingress_groups(svc: &Service, http: &[HttpRule]) -> Vec<IngressGroup> {
    let mut groups: Vec<IngressGroup> = Vec::new();
    for (i, rule) in http.iter().enumerate() {
        let ing = &rule.settings;
        let ann: Vec<(String, String)> = ing
            .annotations
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        match groups
            .iter_mut()
            .find(|g| g.class == ing.class_name && g.annotations == ann)
        {
            Some(g) => g.rules.push(i),
            None => {
                let name = if groups.is_empty() {
                    names::dns_label(&svc.name)
                } else {
                    names::derived(&svc.name, &(groups.len() + 1).to_string())
                };
                groups.push(IngressGroup {
                    name,
                    class: ing.class_name.clone(),
                    annotations: ann,
                    rules: vec![i],
                });
            }
        }
    }
    groups
}

/// Plan every service's exposure. `is_owner` tells which services have a pod (and so a
/// Service) of their own.
pub fn plan(
    project: &Project,
    settings: &IndexMap<String, Settings>,
    is_owner: impl Fn(&str) -> bool,
    opts: &ExposeOptions,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Plan {
    let top = &project.top.ferry.exposure;
    let gateway = GatewaySettings {
        gateway: pick(
            opts.gateway.as_ref(),
            "--gateway",
            top.gateway.as_ref(),
            "gateway",
        ),
        class: pick(
            opts.gateway_class.as_ref(),
            "--gateway-class",
            top.gateway_class.as_ref(),
            "gatewayClass",
        ),
        domain: pick(
            opts.domain.as_ref(),
            "--domain",
            top.domain.as_ref(),
            "domain",
        ),
    };
    report_top_level(top, opts, report);
    let mut services = IndexMap::new();
    for svc in project.services.values().filter(|s| is_owner(&s.name)) {
        let p = service_plan(svc, &settings[&svc.name], opts, top, report, errors);
        report_expose_labels(svc, &p, &gateway, report);
        services.insert(svc.name.clone(), p);
    }
    Plan { services, gateway }
}

/// One service's choice, and its ingress settings read into rules (an error each when their
/// backend port cannot be chosen); ignored under `none`.
fn service_plan(
    svc: &Service,
    s: &Settings,
    opts: &ExposeOptions,
    top: &ExposeDefaults,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> ServicePlan {
    let (mode, chosen_by) = mode_of(svc, opts, top);
    let ports = entries(svc);
    let opted_out = s.service.enabled.as_ref().is_some_and(|e| !e.value);
    let mut p = ServicePlan {
        mode,
        chosen_by,
        has_service: !opted_out && !ports.is_empty(),
        ingress_key: s.ingress_key.clone(),
        external_service: match s.service.type_.as_ref().map(|t| t.value) {
            Some(ServiceType::NodePort) => Some("NodePort"),
            Some(ServiceType::LoadBalancer) => Some("LoadBalancer"),
            _ => None,
        },
        ..ServicePlan::default()
    };
    if let Some(e) = &svc.ferry.expose {
        report.converted(
            Some(&e.loc),
            format!("services.{}.x-ferry.expose", svc.name),
            match mode {
                Expose::None => "published ports: no Ingress and no route",
                Expose::Ingress => {
                    "published ports: an Ingress where the ingress settings ask for one"
                }
                Expose::Gateway => "published ports: a Gateway API route each",
            },
        );
    }
    if mode == Expose::None {
        let by = p
            .chosen_by
            .as_ref()
            .map_or("the choice".into(), Source::describe);
        for ing in &s.ingress {
            report.ignored(
                Some(&ing.loc),
                s.ingress_key.clone(),
                format!("{by} is `none`: no Ingress and no route are made"),
            );
        }
        return p;
    }
    if opted_out && !s.ingress.is_empty() {
        errors.push(Error::invalid(
            &s.ingress[0].loc,
            format!(
                "services.{}: an Ingress or a route needs the service's Service, which `x-ferry: {{service: {{enabled: false}}}}` turns off",
                svc.name
            ),
        ));
        return p;
    }
    for ing in &s.ingress {
        match backend_port(&ports, ing) {
            Ok(port) => p.http.push(HttpRule {
                settings: ing.clone(),
                port,
            }),
            Err(why) => errors.push(Error::invalid(
                &ing.loc,
                format!("{}: {why}", s.ingress_key),
            )),
        }
    }
    if mode == Expose::Ingress {
        p.ingresses = ingress_groups(svc, &p.http);
    }
    p
}

/// What the top-level keys did (the flags of the same names win).
fn report_top_level(top: &ExposeDefaults, opts: &ExposeOptions, report: &mut Report) {
    let mut line = |loc: Option<&Location>, key: &str, what: String, flag: &str, given: bool| {
        if let Some(loc) = loc {
            let what = match given {
                true => format!("{what} (the command line's {flag} wins)"),
                false => what,
            };
            report.converted(Some(loc), format!("x-ferry.{key}"), what);
        }
    };
    line(
        top.expose.as_ref().map(|e| &e.loc),
        "expose",
        format!(
            "how published ports are reached from outside: `{}` for services that do not choose",
            top.expose.as_ref().map_or("", |e| e.value.as_str())
        ),
        "--expose",
        opts.expose.is_some(),
    );
    line(
        top.gateway.as_ref().map(|e| &e.loc),
        "gateway",
        "the Gateway the routes attach to".into(),
        "--gateway",
        opts.gateway.is_some(),
    );
    line(
        top.gateway_class.as_ref().map(|e| &e.loc),
        "gatewayClass",
        "ferry writes the Gateway, of this class".into(),
        "--gateway-class",
        opts.gateway_class.is_some(),
    );
    line(
        top.domain.as_ref().map(|e| &e.loc),
        "domain",
        "host names of the HTTP routes the ingress settings give none".into(),
        "--domain",
        opts.domain.is_some(),
    );
}

/// Kompose's `kompose.service.expose.tls-secret` and `.ingress-class-name`, when
/// `kompose.service.expose` is what the settings came from: what they became in this mode.
fn report_expose_labels(svc: &Service, p: &ServicePlan, gw: &GatewaySettings, report: &mut Report) {
    if svc.label("kompose.service.expose").is_none() || !svc.ferry.ingress.is_empty() {
        return;
    }
    for dep in [
        "kompose.service.expose.tls-secret",
        "kompose.service.expose.ingress-class-name",
    ] {
        let Some(kv) = svc.label(dep) else { continue };
        let k = label_key(svc, dep);
        let tls = dep.ends_with("tls-secret");
        match p.mode {
            Expose::None => report.ignored(
                Some(&kv.loc),
                k,
                "`expose: none`: no Ingress and no route are made",
            ),
            Expose::Ingress if !p.ingresses.is_empty() => report.converted(
                Some(&kv.loc),
                k,
                format!(
                    "Ingress/{}: {}",
                    p.ingresses[0].name,
                    if tls { "its TLS Secret" } else { "its class" }
                ),
            ),
            Expose::Ingress => {}
            Expose::Gateway if !tls => report.ignored(
                Some(&kv.loc),
                k,
                "an Ingress class; under `expose: gateway` the Gateway the routes attach to decides",
            ),
            Expose::Gateway if gw.class.is_none() => report.warn(
                Some(&kv.loc),
                k,
                "TLS is the Gateway's: ferry does not change a Gateway it does not write, so make sure one of its HTTPS listeners has a certificate for the service's hosts",
            ),
            Expose::Gateway if kv.value.trim() == "true" => report.warn(
                Some(&kv.loc),
                k,
                "`true` (the controller's default certificate) has no Gateway equivalent: the Gateway ferry writes needs the certificate's Secret, so the service's hosts are served over HTTP only",
            ),
            Expose::Gateway => report.converted(
                Some(&kv.loc),
                k,
                "the certificate of the Gateway's HTTPS listeners for the service's hosts",
            ),
        }
    }
}

/// The host name a TLS setting is for, and its Secret (`None` for the controller's default).
pub fn tls_of(ing: &IngressSettings) -> Option<Option<&str>> {
    ing.tls.as_ref().map(|t| match t {
        Tls::Default => None,
        Tls::Secret(s) => Some(s.as_str()),
    })
}
