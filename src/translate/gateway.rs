//! Gateway API routes (gateway.networking.k8s.io/v1) under `expose: gateway`: every published
//! port becomes a route to the service's Service port, attached to a Gateway.
//!
//! - The ports the ingress settings name (the rules `expose` made of them) become HTTPRoutes
//!   (GRPCRoutes for `app_protocol: grpc`), one per host name, served on port 80 and, for a
//!   host with a TLS Secret, on 443 over HTTPS: the URLs an Ingress would serve.
//! - Every other published port becomes a route of its own on its published port: an
//!   HTTPRoute when it is HTTP ([`kind_of`]), a GRPCRoute for `app_protocol: grpc`, a TCPRoute
//!   or a UDPRoute otherwise. `--domain` gives HTTP and gRPC routes a host name.
//! - The routes attach to the Gateway `--gateway` names. With `--gateway-class` ferry writes
//!   that Gateway too: a listener per port and protocol (and per TLS host), which each route
//!   names in `sectionName`. On a Gateway ferry does not write, HTTP and gRPC routes attach to
//!   its HTTP and HTTPS listeners (their host names decide), TCP and UDP routes to the listener
//!   on their port (`parentRefs[].port`).
//! - Two routes that cannot share a listener port (TCP or UDP on one port, a TCP port where
//!   HTTP is served, HTTP routes with the same host name or none) are told apart by port: the
//!   later one, in compose order, moves to the next free port, with a warning.

use super::expose::{self, Source};
use super::service::{entries, Entry};
use super::{labels, object, Ctx, Object};
use crate::compose::xferry::{Expose, GatewayRef, Tls};
use crate::compose::{Project, Service};
use crate::error::{Error, Location, Report};
use crate::names;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The Gateway API group; every route and the Gateway are served as `v1` by the standard
/// channel (v1.6: HTTPRoute, GRPCRoute, TCPRoute, UDPRoute, Gateway).
pub const API_VERSION: &str = "gateway.networking.k8s.io/v1";

/// Container ports taken for HTTP when nothing else says what the port speaks: the web ports of
/// HTTP servers and frameworks (80 `http`, 8080 and 8008 `http-alt`, 8000 Django and Python's
/// `http.server`, 3000 Node and Rails and Grafana, 4200 Angular, 5000 Flask, 5173 Vite, 8081,
/// 8888 Jupyter). 443 and 8443 are not: the container speaks TLS there, passed through by a
/// TCPRoute.
pub const WELL_KNOWN_HTTP: &[u16] = &[80, 3000, 4200, 5000, 5173, 8000, 8008, 8080, 8081, 8888];

/// The most listeners a Gateway may have.
const MAX_LISTENERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Http,
    Grpc,
    Tcp,
    Udp,
}

impl RouteKind {
    pub fn kind(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tcp => "TCPRoute",
            RouteKind::Udp => "UDPRoute",
        }
    }

    /// The protocol of the listener it attaches to.
    fn protocol(self) -> &'static str {
        match self {
            RouteKind::Http | RouteKind::Grpc => "HTTP",
            RouteKind::Tcp => "TCP",
            RouteKind::Udp => "UDP",
        }
    }

    /// HTTP and gRPC routes are told apart by host name.
    fn by_host(self) -> bool {
        matches!(self, RouteKind::Http | RouteKind::Grpc)
    }
}

/// What a published port speaks: `app_protocol` when the compose file says it, else HTTP on
/// [`WELL_KNOWN_HTTP`] container ports, else TCP; UDP ports are UDP. SCTP has no route.
pub fn kind_of(e: &Entry) -> Result<RouteKind, String> {
    match e.protocol {
        "UDP" => return Ok(RouteKind::Udp),
        "SCTP" => return Err("the Gateway API has no route for SCTP".into()),
        _ => {}
    }
    let app = e.app_protocol.as_deref().map(|a| {
        a.trim()
            .trim_start_matches("kubernetes.io/")
            .to_ascii_lowercase()
    });
    Ok(match app.as_deref() {
        Some("http" | "https" | "h2c" | "http2" | "ws" | "wss") => RouteKind::Http,
        Some("grpc" | "grpcs") => RouteKind::Grpc,
        Some(_) => RouteKind::Tcp,
        None if WELL_KNOWN_HTTP.contains(&e.target) => RouteKind::Http,
        None => RouteKind::Tcp,
    })
}

/// One rule of a route: HTTP path matches (type, value) and the Service port it sends to.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub matches: Vec<(String, String)>,
    pub port: u16,
}

/// A listener a route attaches to: by name on a Gateway ferry writes, else by port (TCP and
/// UDP) or not at all (HTTP: every listener that takes it).
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub section: Option<String>,
    pub port: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub kind: RouteKind,
    pub name: String,
    pub hostnames: Vec<String>,
    pub rules: Vec<Rule>,
    /// The port it is reached on at the Gateway.
    pub port: u16,
    /// Hosts also served over HTTPS on 443, with their TLS Secret.
    pub tls: Vec<(Option<String>, String)>,
    pub parents: Vec<Parent>,
    /// Made from the ingress settings (served on 80 and 443, never moved).
    pub from_settings: bool,
    /// The published Service port it serves (protocol, port).
    pub serves: Vec<(&'static str, u16)>,
    pub key: String,
    pub loc: Location,
}

impl Route {
    /// `HTTPRoute/web`, as messages name it.
    fn id(&self) -> String {
        format!("{}/{}", self.kind.kind(), self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub name: String,
    pub port: u16,
    pub protocol: &'static str,
    pub hostname: Option<String>,
    /// HTTPS: the TLS Secret.
    pub secret: Option<String>,
}

/// The routes of every service and the Gateway they attach to, made once before any object.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The Gateway the routes attach to.
    pub gateway: Option<GatewayRef>,
    /// `--gateway-class`: ferry writes the Gateway, of this class.
    pub class: Option<String>,
    /// The namespace of the Gateway ferry writes.
    pub namespace: Option<String>,
    /// The Gateway is not in the routes' namespace: its listeners allow routes from all.
    pub cross_namespace: bool,
    pub listeners: Vec<Listener>,
    pub routes: IndexMap<String, Vec<Route>>,
    /// (service, protocol, Service port) → what became of the published port.
    notes: BTreeMap<(String, &'static str, u16), String>,
}

impl Plan {
    /// For the report of a published Service port: its route, or why it has none.
    pub fn note(&self, service: &str, protocol: &str, port: u16) -> Option<&str> {
        let protocol = ["TCP", "UDP", "SCTP"]
            .into_iter()
            .find(|p| *p == protocol)?;
        self.notes
            .get(&(service.to_string(), protocol, port))
            .map(String::as_str)
    }

    fn gateway_name(&self) -> String {
        match (&self.class, &self.gateway) {
            (Some(_), Some(g)) => format!("Gateway/{}", g.name),
            (_, Some(g)) => format!("the Gateway {g}"),
            _ => "the Gateway".into(),
        }
    }
}

/// A published port with the place in the compose file that published it.
struct Published<'a> {
    entry: Entry,
    loc: &'a Location,
}

fn published(svc: &Service) -> Vec<Published<'_>> {
    entries(svc)
        .into_iter()
        .filter(|e| e.published)
        .map(|e| {
            let loc = svc
                .ports
                .iter()
                .find(|p| {
                    p.protocol.as_k8s() == e.protocol
                        && (p.published == Some(e.port) || p.target == e.port)
                })
                .map_or(&svc.loc, |p| &p.loc);
            Published { entry: e, loc }
        })
        .collect()
}

/// Which listeners a path match is valid on, as the HTTPRoute's CEL rules check it.
fn path_problem(path: &str) -> Option<&'static str> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "-/._~!$&'()*+,;=:@%".contains(c);
    if !path.starts_with('/') {
        return Some("must start with `/`");
    }
    if !path.chars().all(valid_char) {
        return Some("holds a character an HTTPRoute path cannot (spaces, `#`, `?`, non-ASCII): percent-encode it");
    }
    let bytes = path.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%'
            && !(i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit())
        {
            return Some("holds a `%` that is not a percent-encoded byte");
        }
    }
    for bad in ["//", "/./", "/../", "%2f", "%2F"] {
        if path.contains(bad) {
            return Some(
                "holds `//`, `/./`, `/../` or an encoded `/`, which an HTTPRoute path cannot",
            );
        }
    }
    if path.ends_with("/..") || path.ends_with("/.") {
        return Some("ends with `/.` or `/..`, which an HTTPRoute path cannot");
    }
    None
}

/// The Gateway routes attach to: `--gateway`, else (with `--gateway-class`) one named after
/// the project.
fn parent_of(
    project: &Project,
    settings: &expose::GatewaySettings,
    asked: &Source,
) -> Result<GatewayRef, Error> {
    match (&settings.gateway, &settings.class) {
        (Some((g, _)), _) => Ok(g.clone()),
        (None, Some(_)) => Ok(GatewayRef {
            namespace: None,
            name: names::dns_label(&project.name),
        }),
        (None, None) => Err(asked.error(format!(
            "{} asks for Gateway API routes, which attach to a Gateway: name one with `--gateway [NAMESPACE/]NAME` (or top-level `x-ferry: {{gateway: …}}`), or let ferry write it with `--gateway-class CLASS` (`x-ferry: {{gatewayClass: …}}`)",
            match asked {
                Source::Default => "`expose: gateway`".to_string(),
                s => format!("{} (`gateway`)", s.describe()),
            }
        ))),
    }
}

/// What the routes of each service are made with, and where their problems go.
struct Making<'a, 'r> {
    project: &'a Project,
    domain: Option<&'a (String, Source)>,
    /// ferry writes the Gateway (`--gateway-class`).
    write: bool,
    report: &'r mut Report,
    errors: &'r mut Vec<Error>,
    notes: &'r mut BTreeMap<(String, &'static str, u16), String>,
}

impl Making<'_, '_> {
    /// The routes of one service, before they are named, placed and attached: those of the
    /// ingress settings, then one per other published port.
    fn routes(&mut self, svc: &Service, sp: &expose::ServicePlan) -> Vec<Route> {
        let ports = published(svc);
        if let Some((pattern, src)) = self.domain {
            let host = crate::compose::xferry::domain_for(pattern, &svc.name, &self.project.name);
            if let Err(why) = crate::compose::xferry::valid_host(&host) {
                self.errors.push(src.error(format!(
                    "{}: the domain pattern gives the service `{}` the host name `{host}`: {why}",
                    src.describe(),
                    svc.name
                )));
                return Vec::new();
            }
        }
        if !sp.has_service {
            for p in &ports {
                self.notes.insert(
                    (svc.name.clone(), p.entry.protocol, p.entry.port),
                    "inside the cluster only: no route without a Service (`service: {enabled: false}`)".into(),
                );
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        for rule in &sp.http {
            self.settings_route(svc, sp, rule, &mut out);
        }
        let named: BTreeSet<u16> = sp.http.iter().map(|r| r.port).collect();
        for p in ports
            .iter()
            .filter(|p| !(p.entry.protocol == "TCP" && named.contains(&p.entry.port)))
        {
            out.extend(self.port_route(svc, p));
        }
        for r in &out {
            let total: usize = r.rules.iter().map(|x| x.matches.len()).sum();
            if r.rules.len() > 16 || r.rules.iter().any(|x| x.matches.len() > 64) || total >= 128 {
                self.errors.push(Error::invalid(
                    &r.loc,
                    format!("services.{}: more paths than one HTTPRoute holds (16 ports, 64 paths each, 127 in all)", svc.name),
                ));
            }
        }
        out
    }

    /// The host name of a route: the one the settings give, else the domain's.
    fn host(&self, svc: &Service, given: Option<&String>) -> Option<String> {
        given.cloned().or_else(|| {
            self.domain
                .map(|(p, _)| crate::compose::xferry::domain_for(p, &svc.name, &self.project.name))
        })
    }

    /// One ingress setting: a rule of the route of its host name (made on first use), on 80
    /// and, with a TLS Secret, 443.
    fn settings_route(
        &mut self,
        svc: &Service,
        sp: &expose::ServicePlan,
        rule: &expose::HttpRule,
        out: &mut Vec<Route>,
    ) {
        let ing = &rule.settings;
        let key = &sp.ingress_key;
        let kind = match entries(svc)
            .iter()
            .find(|e| e.port == rule.port && e.protocol == "TCP")
            .map(kind_of)
        {
            Some(Ok(RouteKind::Grpc)) => RouteKind::Grpc,
            _ => RouteKind::Http,
        };
        let host = self.host(svc, ing.host.as_ref());
        if kind == RouteKind::Http {
            if let Some(why) = path_problem(&ing.path) {
                self.errors.push(Error::invalid(
                    &ing.loc,
                    format!("services.{}: the path `{}` {why}", svc.name, ing.path),
                ));
                return;
            }
        }
        let at = out.iter().position(|r| {
            r.from_settings && r.kind == kind && r.hostnames.first() == host.as_ref()
        });
        let route = match at {
            Some(i) => &mut out[i],
            None => {
                out.push(Route {
                    kind,
                    name: String::new(),
                    hostnames: host.iter().cloned().collect(),
                    rules: Vec::new(),
                    port: 80,
                    tls: Vec::new(),
                    parents: Vec::new(),
                    from_settings: true,
                    serves: Vec::new(),
                    key: key.clone(),
                    loc: ing.loc.clone(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if !route.serves.contains(&("TCP", rule.port)) {
            route.serves.push(("TCP", rule.port));
        }
        let ptype = match ing.path_type.as_str() {
            "Exact" => "Exact",
            _ => "PathPrefix",
        };
        let m = (ptype.to_string(), ing.path.clone());
        match route.rules.iter_mut().find(|r| r.port == rule.port) {
            Some(r) if kind == RouteKind::Http && !r.matches.contains(&m) => r.matches.push(m),
            Some(_) => {}
            None => route.rules.push(Rule {
                matches: if kind == RouteKind::Http {
                    vec![m]
                } else {
                    Vec::new()
                },
                port: rule.port,
            }),
        }
        if let Some(Tls::Secret(s)) = &ing.tls {
            if !route.tls.iter().any(|(h, _)| *h == host) {
                route.tls.push((host.clone(), s.clone()));
            }
        }
        self.report_setting(kind, ing, host.as_deref(), key);
    }

    /// What of an ingress setting has no route equivalent.
    fn report_setting(
        &mut self,
        kind: RouteKind,
        ing: &crate::compose::xferry::IngressSettings,
        host: Option<&str>,
        key: &str,
    ) {
        let mut warn = |what: String| self.report.warn(Some(&ing.loc), key.to_string(), what);
        if kind == RouteKind::Http && ing.path_type == "ImplementationSpecific" {
            warn("`pathType: ImplementationSpecific` has no HTTPRoute equivalent: the path is matched as a prefix".into());
        }
        if kind == RouteKind::Grpc && ing.path != "/" {
            warn(format!(
                "a GRPCRoute matches gRPC services and methods, not paths: `{}` is not used",
                ing.path
            ));
        }
        // Kompose's class and TLS labels are reported on their own keys (`expose`).
        if key.contains(".labels.") {
            return;
        }
        if ing.class_name.is_some() || !ing.annotations.is_empty() {
            warn("`className` and `annotations` are an Ingress controller's settings; under `expose: gateway` they are not used (the Gateway decides)".into());
        }
        let h = host.unwrap_or("any host");
        match (&ing.tls, self.write) {
            (Some(Tls::Default), true) => warn(format!("`tls: true` (the controller's default certificate) has no Gateway equivalent: the Gateway ferry writes needs the certificate's Secret (`tls: SECRET`), so {h} is served over HTTP only")),
            (Some(_), false) => warn(format!("TLS for {h} is the Gateway's: ferry does not change a Gateway it does not write, so make sure one of its HTTPS listeners has a certificate for {h}")),
            _ => {}
        }
    }

    /// A published port the ingress settings do not name: a route of its own on its port, or
    /// none (a loopback address, SCTP), noted for the report.
    fn port_route(&mut self, svc: &Service, p: &Published<'_>) -> Option<Route> {
        let e = &p.entry;
        let note_key = (svc.name.clone(), e.protocol, e.port);
        let ports_key = format!("services.{}.ports", svc.name);
        if !e.public {
            self.notes.insert(note_key, "no route: published on a loopback address, which under compose only the docker host reaches".into());
            return None;
        }
        let kind = match kind_of(e) {
            Ok(k) => k,
            Err(why) => {
                self.report.warn(
                    Some(p.loc),
                    ports_key,
                    format!(
                        "port {}/{}: no route: {why}",
                        e.port,
                        e.protocol.to_ascii_lowercase()
                    ),
                );
                self.notes.insert(note_key, format!("no route: {why}"));
                return None;
            }
        };
        let tls_backend = e
            .app_protocol
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("https") || a.eq_ignore_ascii_case("wss"));
        if tls_backend {
            self.report.warn(
                Some(p.loc),
                ports_key.clone(),
                format!("port {}: the container speaks HTTPS, and the Gateway reaches it over TLS only with a BackendTLSPolicy (not made: it needs the backend's CA); `app_protocol: tcp` passes TLS through with a TCPRoute instead", e.port),
            );
        }
        Some(Route {
            kind,
            name: String::new(),
            hostnames: match kind.by_host() {
                true => self.host(svc, None).into_iter().collect(),
                false => Vec::new(),
            },
            rules: vec![Rule {
                matches: match kind {
                    RouteKind::Http => vec![("PathPrefix".into(), "/".into())],
                    _ => Vec::new(),
                },
                port: e.port,
            }],
            port: e.port,
            tls: Vec::new(),
            parents: Vec::new(),
            from_settings: false,
            serves: vec![(e.protocol, e.port)],
            key: ports_key,
            loc: p.loc.clone(),
        })
    }
}

/// Names: the service's first route is named after the service; later ones add the port
/// (`web-8080`) or, from the ingress settings, a number (`web-2`); a name another route has
/// gets `-2`, `-3`…
fn name_routes(routes: &mut IndexMap<String, Vec<Route>>) {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for (svc, list) in routes.iter_mut() {
        for (i, r) in list.iter_mut().enumerate() {
            // The settings' routes come first: the i-th is `<service>-<i+1>`.
            let base = if i == 0 {
                names::dns_label(svc)
            } else if r.from_settings {
                names::derived(svc, &(i + 1).to_string())
            } else {
                let (proto, port) = r.serves[0];
                let with_port = names::derived(svc, &port.to_string());
                match taken.contains(&with_port) {
                    true => names::derived(&with_port, &proto.to_ascii_lowercase()),
                    false => with_port,
                }
            };
            let name = names::unique(base.clone(), &base, |n| taken.contains(n));
            taken.insert(name.clone());
            r.name = name;
        }
    }
}

/// What a port is used for at the Gateway.
#[derive(Debug, Clone)]
enum Use {
    /// HTTP and gRPC routes with these host names (none: any host).
    Http(Vec<String>, String),
    Https,
    Tcp(String),
    Udp(String),
}

/// HTTP routes on one listener collide when they match the same requests: both without host
/// names, or with one in common. A route without host names beside ones with host names only
/// gets the requests for other hosts.
fn hosts_overlap(a: &[String], b: &[String]) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => true,
        (false, false) => a.iter().any(|h| b.contains(h)),
        _ => false,
    }
}

/// The route (by kind and name) that makes `port` unusable for `r`, if any.
fn blocked_by<'a>(r: &Route, uses: &'a [(u16, Use)], port: u16) -> Option<Option<&'a str>> {
    for (_, u) in uses.iter().filter(|(p, _)| *p == port) {
        let hit = match (r.kind, u) {
            (RouteKind::Udp, Use::Udp(n)) => Some(Some(n.as_str())),
            (RouteKind::Udp, _) => None,
            (_, Use::Udp(_)) => None,
            (RouteKind::Tcp, Use::Tcp(n) | Use::Http(_, n)) => Some(Some(n.as_str())),
            (_, Use::Https) => Some(None),
            (_, Use::Tcp(n)) => Some(Some(n.as_str())),
            (_, Use::Http(hosts, n)) if hosts_overlap(&r.hostnames, hosts) => {
                Some(Some(n.as_str()))
            }
            _ => None,
        };
        if hit.is_some() {
            return hit;
        }
    }
    None
}

fn use_of(r: &Route) -> Use {
    let who = r.id();
    match r.kind {
        RouteKind::Http | RouteKind::Grpc => Use::Http(r.hostnames.clone(), who),
        RouteKind::Tcp => Use::Tcp(who),
        RouteKind::Udp => Use::Udp(who),
    }
}

/// Where a route takes its port: on a Gateway ferry does not write, HTTP and gRPC routes attach
/// to every HTTP listener whatever its port (slot 0); TCP and UDP routes to their port.
fn slot(r: &Route, write: bool) -> u16 {
    match write || !r.kind.by_host() {
        true => r.port,
        false => 0,
    }
}

/// Give every route its port at the Gateway: the settings' routes keep 80 (and 443); the others
/// their published port, or the next free one when it is taken (warned). On a Gateway ferry
/// does not write, HTTP routes take no port, and those that would match the same requests are
/// warned about.
fn place(
    routes: &mut IndexMap<String, Vec<Route>>,
    write: bool,
    report: &mut Report,
    errors: &mut Vec<Error>,
) {
    let mut uses: Vec<(u16, Use)> = Vec::new();
    for r in routes.values().flatten().filter(|r| r.from_settings) {
        uses.push((slot(r, write), use_of(r)));
        if write && !r.tls.is_empty() {
            uses.push((443, Use::Https));
        }
    }
    let wanted: BTreeSet<u16> = routes
        .values()
        .flatten()
        .filter(|r| !r.from_settings)
        .map(|r| r.port)
        .collect();
    for r in routes.values_mut().flatten().filter(|r| !r.from_settings) {
        let at = slot(r, write);
        let Some(other) = blocked_by(r, &uses, at) else {
            uses.push((at, use_of(r)));
            continue;
        };
        let what = match other {
            Some(o) => format!("{o} is there"),
            None => "the HTTPS listeners are there".into(),
        };
        if at == 0 {
            report.warn(
                Some(&r.loc),
                r.key.clone(),
                format!(
                    "{}: {what}, matching the same requests on the Gateway, so only one of them gets the traffic; give them host names (`--domain`, `x-ferry: {{ingress: {{host: …}}}}`)",
                    r.id()
                ),
            );
            uses.push((at, use_of(r)));
            continue;
        }
        let free = (r.port.saturating_add(1)..=u16::MAX)
            .find(|&q| !wanted.contains(&q) && blocked_by(r, &uses, q).is_none());
        match free {
            Some(q) => {
                report.warn(
                    Some(&r.loc),
                    r.key.clone(),
                    format!(
                        "{}: port {} at the Gateway is taken ({what}); a Gateway listener serves one such port once, so this route is reached on port {q}",
                        r.id(),
                        r.port
                    ),
                );
                r.port = q;
                uses.push((q, use_of(r)));
            }
            None => errors.push(Error::invalid(
                &r.loc,
                format!("{}: no free port at the Gateway above {}", r.id(), r.port),
            )),
        }
    }
}

/// The listeners of the Gateway ferry writes: one per port and protocol, one per TLS host.
fn listeners(routes: &IndexMap<String, Vec<Route>>, report: &mut Report) -> Vec<Listener> {
    let mut out: Vec<Listener> = Vec::new();
    for r in routes.values().flatten() {
        let protocol = r.kind.protocol();
        if !out
            .iter()
            .any(|l| l.port == r.port && l.protocol == protocol)
        {
            out.push(Listener {
                name: format!("{}-{}", protocol.to_ascii_lowercase(), r.port),
                port: r.port,
                protocol,
                hostname: None,
                secret: None,
            });
        }
        for (host, secret) in &r.tls {
            match out
                .iter()
                .find(|l| l.protocol == "HTTPS" && l.hostname == *host)
            {
                Some(l) if l.secret.as_deref() != Some(secret) => report.warn(
                    Some(&r.loc),
                    r.key.clone(),
                    format!(
                        "{} has two TLS Secrets, `{}` and `{secret}`; the Gateway's listener {} uses the first",
                        host.as_deref().unwrap_or("any host"),
                        l.secret.as_deref().unwrap_or_default(),
                        l.name
                    ),
                ),
                Some(_) => {}
                None => {
                    let base = match host {
                        Some(h) => names::derived("https", &h.replace('*', "wildcard")),
                        None => "https".into(),
                    };
                    let name = names::unique(base.clone(), &base, |n| {
                        out.iter().any(|l| l.name == n)
                    });
                    out.push(Listener {
                        name,
                        port: 443,
                        protocol: "HTTPS",
                        hostname: host.clone(),
                        secret: Some(secret.clone()),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.port, a.protocol, &a.name).cmp(&(b.port, b.protocol, &b.name)));
    out
}

/// Each route's parentRefs: the listeners it is served on (by name) on a Gateway ferry writes;
/// on another, its port for TCP and UDP.
fn attach(routes: &mut IndexMap<String, Vec<Route>>, listeners: &[Listener], write: bool) {
    for r in routes.values_mut().flatten() {
        r.parents = if write {
            let mut sections: Vec<String> = listeners
                .iter()
                .filter(|l| l.port == r.port && l.protocol == r.kind.protocol())
                .map(|l| l.name.clone())
                .collect();
            for (host, _) in &r.tls {
                sections.extend(
                    listeners
                        .iter()
                        .filter(|l| l.protocol == "HTTPS" && l.hostname == *host)
                        .map(|l| l.name.clone()),
                );
            }
            sections
                .into_iter()
                .map(|s| Parent {
                    section: Some(s),
                    port: None,
                })
                .collect()
        } else {
            vec![Parent {
                section: None,
                port: (!r.kind.by_host()).then_some(r.port),
            }]
        };
    }
}

/// Plan the routes of every service under `expose: gateway`, and the Gateway.
pub fn plan(
    project: &Project,
    exposure: &expose::Plan,
    namespace: Option<&str>,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Plan {
    let settings = &exposure.gateway;
    let mut out = Plan::default();
    let exposed: Vec<(&String, &expose::ServicePlan)> = exposure.gateway_services().collect();
    let Some((_, first)) = exposed.first() else {
        return out;
    };
    let write = settings.class.is_some();
    let mut routes: IndexMap<String, Vec<Route>> = IndexMap::new();
    let mut making = Making {
        project,
        domain: settings.domain.as_ref(),
        write,
        report,
        errors,
        notes: &mut out.notes,
    };
    for (name, sp) in &exposed {
        let list = making.routes(&project.services[name.as_str()], sp);
        if !list.is_empty() {
            routes.insert((*name).clone(), list);
        }
    }
    if routes.is_empty() {
        return out;
    }
    let asked = first.chosen_by.clone().unwrap_or(Source::Default);
    let gateway = match parent_of(project, settings, &asked) {
        Ok(g) => g,
        Err(e) => {
            errors.push(e);
            return out;
        }
    };
    name_routes(&mut routes);
    place(&mut routes, write, report, errors);
    if write {
        write_gateway(
            &mut out, &gateway, settings, namespace, &routes, report, errors,
        );
    }
    attach(&mut routes, &out.listeners, write);
    out.class = settings.class.as_ref().map(|(c, _)| c.clone());
    out.gateway = Some(gateway);
    report_routes(&routes, &mut out, report);
    out.routes = routes;
    out
}

/// The Gateway ferry writes: its listeners (at most 64) and its namespace, the one `--gateway`
/// names (its listeners then admit routes from every namespace, warned) or the routes' own.
fn write_gateway(
    out: &mut Plan,
    gateway: &GatewayRef,
    settings: &expose::GatewaySettings,
    namespace: Option<&str>,
    routes: &IndexMap<String, Vec<Route>>,
    report: &mut Report,
    errors: &mut Vec<Error>,
) {
    out.listeners = listeners(routes, report);
    if out.listeners.len() > MAX_LISTENERS {
        let (_, src) = settings
            .class
            .as_ref()
            .expect("a Gateway is written for a class");
        errors.push(src.error(format!(
            "the Gateway ferry writes would need {} listeners (one per published port and protocol, one per TLS host); a Gateway has at most {MAX_LISTENERS}: name an existing Gateway with `--gateway` instead",
            out.listeners.len()
        )));
    }
    out.namespace = gateway
        .namespace
        .clone()
        .or_else(|| namespace.map(str::to_string));
    out.cross_namespace = gateway.namespace.is_some() && gateway.namespace.as_deref() != namespace;
    let (Some(ns), Some((_, src))) = (gateway.namespace.as_deref(), &settings.gateway) else {
        return;
    };
    if !out.cross_namespace {
        return;
    }
    if let Some(own) = namespace {
        errors.push(src.error(format!(
            "ferry writes the Gateway into the namespace `{ns}`, but every object of this output goes to the namespace `{own}` (kustomize's `namespace:` would move the Gateway there too): write it in `{own}`, or name an existing Gateway without `--gateway-class`"
        )));
        return;
    }
    let key = match src {
        Source::Key(k, _) => k.clone(),
        _ => "--gateway".into(),
    };
    let tls = routes.values().flatten().any(|r| !r.tls.is_empty());
    report.warn(
        src.loc(),
        key,
        format!(
            "Gateway/{} is written into the namespace `{ns}`: its listeners admit routes from every namespace (the routes' own is chosen when they are applied); narrow `allowedRoutes` if others use `{ns}`{}",
            gateway.name,
            if tls { format!(", and put the TLS Secrets in `{ns}`") } else { String::new() }
        ),
    );
}

/// The report lines of the routes, and the notes on every published port they serve.
fn report_routes(routes: &IndexMap<String, Vec<Route>>, plan: &mut Plan, report: &mut Report) {
    let gw = plan.gateway_name();
    for (svc, list) in routes {
        for r in list {
            let hosts = match r.hostnames.as_slice() {
                [] => String::new(),
                h => format!(" ({})", h.join(", ")),
            };
            let https: Vec<&str> = plan
                .listeners
                .iter()
                .filter(|l| l.protocol == "HTTPS" && r.tls.iter().any(|(h, _)| *h == l.hostname))
                .map(|l| l.name.as_str())
                .collect();
            let at = match (plan.class.is_some(), r.kind.by_host()) {
                (true, _) => format!(
                    "port {}{} of {gw}",
                    r.port,
                    if https.is_empty() {
                        String::new()
                    } else {
                        " and 443 (HTTPS)".into()
                    }
                ),
                (false, true) => format!("{gw}'s HTTP and HTTPS listeners"),
                (false, false) => format!("{gw}'s listener on port {}", r.port),
            };
            let what = format!("{}{hosts} on {at}", r.id());
            for (proto, port) in &r.serves {
                let note = format!("outside: {what}");
                match plan.notes.get_mut(&(svc.clone(), *proto, *port)) {
                    Some(n) => {
                        n.push_str("; ");
                        n.push_str(&what);
                    }
                    None => {
                        plan.notes.insert((svc.clone(), *proto, *port), note);
                    }
                }
            }
            if r.from_settings {
                for rule in &r.rules {
                    let paths: Vec<&str> = rule.matches.iter().map(|(_, v)| v.as_str()).collect();
                    report.converted(
                        Some(&r.loc),
                        r.key.clone(),
                        format!(
                            "{}: {}{} → Service/{} port {}{}",
                            r.id(),
                            r.hostnames.first().map_or("any host", String::as_str),
                            if paths.is_empty() {
                                String::new()
                            } else {
                                paths.join(", ")
                            },
                            names::dns_label(svc),
                            rule.port,
                            match https.as_slice() {
                                [] => String::new(),
                                l => format!(" (TLS: listener {})", l.join(", ")),
                            }
                        ),
                    );
                }
            }
        }
    }
}

fn parent_refs(plan: &Plan, r: &Route) -> Value {
    let g = plan.gateway.as_ref().expect("routes have a Gateway");
    Value::Array(
        r.parents
            .iter()
            .map(|p| {
                let mut m = Map::new();
                m.insert("name".into(), json!(g.name));
                if let Some(ns) = &g.namespace {
                    m.insert("namespace".into(), json!(ns));
                }
                if let Some(s) = &p.section {
                    m.insert("sectionName".into(), json!(s));
                }
                if let Some(port) = p.port {
                    m.insert("port".into(), json!(port));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn route_object(ctx: &Ctx<'_>, plan: &Plan, svc: &Service, r: &Route) -> Object {
    let backend = names::dns_label(&svc.name);
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|rule| {
            let mut m = Map::new();
            if !rule.matches.is_empty() {
                let matches: Vec<Value> = rule
                    .matches
                    .iter()
                    .map(|(t, v)| json!({ "path": { "type": t, "value": v } }))
                    .collect();
                m.insert("matches".into(), Value::Array(matches));
            }
            m.insert(
                "backendRefs".into(),
                json!([{ "name": backend, "port": rule.port }]),
            );
            Value::Object(m)
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("parentRefs".into(), parent_refs(plan, r));
    if !r.hostnames.is_empty() {
        spec.insert("hostnames".into(), json!(r.hostnames));
    }
    spec.insert("rules".into(), Value::Array(rules));
    let md = ctx.metadata(&r.name, Some(&svc.name));
    Object {
        kind: r.kind.kind().into(),
        name: r.name.clone(),
        value: std::sync::Arc::new(object([
            ("apiVersion", json!(API_VERSION)),
            ("kind", json!(r.kind.kind())),
            ("metadata", md),
            ("spec", Value::Object(spec)),
        ])),
        service: Some(svc.name.clone()),
        origin: r.key.clone(),
    }
}

/// The routes of one service.
pub fn routes(ctx: &Ctx<'_>, svc: &Service) -> Vec<Object> {
    let plan = ctx.gateway();
    plan.routes
        .get(&svc.name)
        .into_iter()
        .flatten()
        .map(|r| route_object(ctx, plan, svc, r))
        .collect()
}

/// The Gateway, when ferry writes it (`--gateway-class`).
pub fn gateway(ctx: &Ctx<'_>) -> Option<Object> {
    let plan = ctx.gateway();
    let (class, g) = (plan.class.as_ref()?, plan.gateway.as_ref()?);
    let listeners: Vec<Value> = plan
        .listeners
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("name".into(), json!(l.name));
            if let Some(h) = &l.hostname {
                m.insert("hostname".into(), json!(h));
            }
            m.insert("port".into(), json!(l.port));
            m.insert("protocol".into(), json!(l.protocol));
            if let Some(s) = &l.secret {
                m.insert(
                    "tls".into(),
                    json!({ "mode": "Terminate", "certificateRefs": [{ "name": s }] }),
                );
            }
            if plan.cross_namespace {
                m.insert(
                    "allowedRoutes".into(),
                    json!({ "namespaces": { "from": "All" } }),
                );
            }
            Value::Object(m)
        })
        .collect();
    let mut md = Map::new();
    md.insert("name".into(), json!(g.name));
    md.insert("labels".into(), Value::Object(labels(ctx.project, None)));
    if let Some(ns) = &plan.namespace {
        md.insert("namespace".into(), json!(ns));
    }
    Some(Object {
        kind: "Gateway".into(),
        name: g.name.clone(),
        value: std::sync::Arc::new(object([
            ("apiVersion", json!(API_VERSION)),
            ("kind", json!("Gateway")),
            ("metadata", Value::Object(md)),
            (
                "spec",
                json!({ "gatewayClassName": class, "listeners": listeners }),
            ),
        ])),
        service: None,
        origin: "--gateway-class".into(),
    })
}

/// Warnings for gateway settings that no service uses, so that a typo in `--expose` does not
/// pass silently.
pub fn report_unused(exposure: &expose::Plan, report: &mut Report) {
    if exposure
        .services
        .values()
        .any(|p| p.mode == Expose::Gateway)
    {
        return;
    }
    let s = &exposure.gateway;
    let given = [
        s.gateway.as_ref().map(|(_, src)| src),
        s.class.as_ref().map(|(_, src)| src),
        s.domain.as_ref().map(|(_, src)| src),
    ];
    for src in given.into_iter().flatten() {
        let key = match src {
            Source::Flag(f) => f.to_string(),
            Source::Key(k, _) => k.clone(),
            Source::Default => continue,
        };
        report.warn(
            src.loc(),
            key,
            "no service is exposed through the Gateway API (`--expose gateway`, or `expose: gateway` in `x-ferry`), so this has no effect",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(port: u16, target: u16, protocol: &'static str, app: Option<&str>) -> Entry {
        Entry {
            name: format!("p-{port}"),
            port,
            target,
            protocol,
            app_protocol: app.map(str::to_string),
            published: true,
            public: true,
        }
    }

    #[test]
    fn what_a_port_speaks() {
        assert_eq!(kind_of(&entry(8080, 80, "TCP", None)), Ok(RouteKind::Http));
        assert_eq!(kind_of(&entry(5432, 5432, "TCP", None)), Ok(RouteKind::Tcp));
        assert_eq!(kind_of(&entry(8443, 443, "TCP", None)), Ok(RouteKind::Tcp));
        assert_eq!(kind_of(&entry(53, 53, "UDP", None)), Ok(RouteKind::Udp));
        assert_eq!(
            kind_of(&entry(9000, 9000, "TCP", Some("http"))),
            Ok(RouteKind::Http)
        );
        assert_eq!(
            kind_of(&entry(9000, 9000, "TCP", Some("kubernetes.io/h2c"))),
            Ok(RouteKind::Http)
        );
        assert_eq!(
            kind_of(&entry(9090, 9090, "TCP", Some("grpc"))),
            Ok(RouteKind::Grpc)
        );
        // A protocol the compose file names wins over the well-known port.
        assert_eq!(
            kind_of(&entry(8080, 8080, "TCP", Some("memcache"))),
            Ok(RouteKind::Tcp)
        );
        assert!(kind_of(&entry(9, 9, "SCTP", None)).is_err());
    }

    #[test]
    fn paths_an_httproute_holds() {
        for ok in ["/", "/api", "/static/", "/a%20b", "/~user", "/v1:batch"] {
            assert_eq!(path_problem(ok), None, "{ok}");
        }
        for bad in [
            "/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a#b", "/a b", "/a/.", "/a/..", "/%zz", "api",
        ] {
            assert!(path_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn routes_without_host_names_collide_with_each_other_only() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(hosts_overlap(&h(&[]), &h(&[])));
        assert!(hosts_overlap(
            &h(&["a.example.com"]),
            &h(&["a.example.com", "b"])
        ));
        assert!(!hosts_overlap(
            &h(&["a.example.com"]),
            &h(&["b.example.com"])
        ));
        assert!(!hosts_overlap(&h(&[]), &h(&["b.example.com"])));
    }

    fn route(kind: RouteKind, port: u16, hosts: &[&str], settings: bool) -> Route {
        Route {
            kind,
            name: String::new(),
            hostnames: hosts.iter().map(|s| s.to_string()).collect(),
            rules: vec![Rule {
                matches: Vec::new(),
                port,
            }],
            port,
            tls: Vec::new(),
            parents: Vec::new(),
            from_settings: settings,
            serves: vec![("TCP", port)],
            key: "services.x.ports".into(),
            loc: Location::file("compose.yaml".into()),
        }
    }

    /// Ports at a Gateway ferry writes: a later route that cannot share its port moves to the
    /// next port nobody wants; one that can keeps it.
    #[test]
    fn later_routes_move_to_the_next_free_port() {
        let mut routes: IndexMap<String, Vec<Route>> = IndexMap::new();
        routes.insert("a".into(), vec![route(RouteKind::Tcp, 5432, &[], false)]);
        routes.insert("b".into(), vec![route(RouteKind::Tcp, 5432, &[], false)]);
        // 5433 is wanted by another route, so b goes to 5434.
        routes.insert("c".into(), vec![route(RouteKind::Tcp, 5433, &[], false)]);
        routes.insert(
            "d".into(),
            vec![route(RouteKind::Http, 80, &["d.example.com"], false)],
        );
        routes.insert(
            "e".into(),
            vec![route(RouteKind::Http, 80, &["e.example.com"], false)],
        );
        routes.insert("f".into(), vec![route(RouteKind::Udp, 5432, &[], false)]);
        name_routes(&mut routes);
        let (mut report, mut errors) = (Report::default(), Vec::new());
        place(&mut routes, true, &mut report, &mut errors);
        let ports: Vec<u16> = routes.values().flatten().map(|r| r.port).collect();
        assert_eq!(ports, [5432, 5434, 5433, 80, 80, 5432]);
        assert!(errors.is_empty());
        assert_eq!(report.entries.len(), 1, "{:?}", report.entries);
    }

    #[test]
    fn names_are_unique_across_services_and_kinds() {
        let mut routes: IndexMap<String, Vec<Route>> = IndexMap::new();
        routes.insert(
            "web".into(),
            vec![
                route(RouteKind::Http, 80, &["a"], true),
                route(RouteKind::Http, 80, &["b"], true),
                route(RouteKind::Tcp, 8080, &[], false),
            ],
        );
        routes.insert(
            "web-8080".into(),
            vec![route(RouteKind::Udp, 53, &[], false)],
        );
        name_routes(&mut routes);
        let names: Vec<&str> = routes.values().flatten().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["web", "web-2", "web-8080", "web-8080-2"]);
    }
}
