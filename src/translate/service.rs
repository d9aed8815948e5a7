//! Services: every compose service keeps its host name and ports, as under compose, where every
//! service name resolves. Published and exposed ports become Service ports; a long-running
//! service without ports (or a Job that others reference) gets a headless Service (its name
//! resolves to the pod, and every port answers); network aliases, link aliases and
//! `container_name` become Services of their own. The type comes from
//! `x-ferry: {service: …}` or Kompose's labels.

use super::pod::key;
use super::settings::Settings;
use super::{labels, selector, Ctx, Object};
use crate::compose::xferry::{ServiceType, WorkloadKind};
use crate::compose::{Port, Service};
use crate::error::{Error, Location, Report};
use crate::names;
use serde_json::{json, Map, Value};

pub(crate) struct Entry {
    pub name: String,
    pub port: u16,
    pub target: u16,
    pub protocol: &'static str,
    pub app_protocol: Option<String>,
    /// The compose port was published (`ports:`, not `expose:`) and this is its published
    /// number.
    pub published: bool,
    /// Published on an address other hosts reach (not only on a loopback address such as
    /// `127.0.0.1:8080:80`, which under compose stays on the docker host).
    pub public: bool,
}

/// A published port bound to a loopback address only reaches the docker host itself.
fn loopback(host_ip: Option<&str>) -> bool {
    host_ip.is_some_and(|ip| {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        ip == "localhost"
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback())
    })
}

/// A port name: the compose name when given (made a valid label), else `<proto>-<port>`.
fn port_name(p: &Port, port: u16) -> String {
    match &p.name {
        Some(n) => names::dns_label(n),
        None => format!("{}-{port}", p.protocol.as_compose()),
    }
}

/// The Service ports of a compose service, in compose order.
pub(crate) fn entries(svc: &Service) -> Vec<Entry> {
    port_plan(svc).0
}

/// The Service ports of a compose service, and the published aliases left out because their
/// number is another container port of the service (`(port, published number)`).
///
/// Every container port P is Service port P → P: that is how other services connect under
/// compose, whatever is published on the host. A published number that differs from its target
/// becomes a second Service port, after its target, unless a container port has that number.
fn port_plan(svc: &Service) -> (Vec<Entry>, Vec<(&Port, u16)>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut dropped = Vec::new();
    let all = || {
        svc.ports
            .iter()
            .map(|p| (true, p))
            .chain(svc.expose.iter().map(|p| (false, p)))
    };
    let targets: Vec<(u16, &str)> = all()
        .map(|(_, p)| (p.target, p.protocol.as_k8s()))
        .collect();
    let add = |entries: &mut Vec<Entry>, p: &Port, port: u16, name: String, published: bool| {
        let proto = p.protocol.as_k8s();
        let public = published && !loopback(p.host_ip.as_deref());
        if let Some(e) = entries
            .iter_mut()
            .find(|e| e.port == port && e.protocol == proto)
        {
            e.published |= published;
            e.public |= public;
            return;
        }
        let mut name = name;
        let mut i = 2;
        while entries.iter().any(|e| e.name == name) {
            name = names::derived(&port_name(p, port), &i.to_string());
            i += 1;
        }
        entries.push(Entry {
            name,
            port,
            target: p.target,
            protocol: proto,
            app_protocol: p.app_protocol.clone(),
            published,
            public,
        });
    };
    for (is_port, p) in all() {
        let published_here = is_port && p.published.is_none_or(|pp| pp == p.target);
        add(
            &mut entries,
            p,
            p.target,
            port_name(p, p.target),
            published_here,
        );
        if let Some(published) = p.published.filter(|&pp| pp != p.target && is_port) {
            if targets.contains(&(published, p.protocol.as_k8s())) {
                dropped.push((p, published));
                continue;
            }
            let name = match &p.name {
                Some(n) => names::derived(n, &published.to_string()),
                None => port_name(p, published),
            };
            add(&mut entries, p, published, name, true);
        }
    }
    (entries, dropped)
}

/// The port an init container waits on: the dependency's first port.
pub fn wait_port(ctx: &Ctx<'_>, target: &Service) -> Option<u16> {
    let owner = ctx.pod_owner(&target.name);
    let t = if owner.name == target.name {
        target
    } else {
        owner
    };
    t.ports.iter().chain(&t.expose).next().map(|p| p.target)
}

/// The Service type after x-ferry, labels and `deploy.endpoint_mode`.
fn service_type(svc: &Service, settings: &Settings) -> ServiceType {
    if let Some(t) = &settings.service.type_ {
        return t.value;
    }
    match svc.deploy.endpoint_mode.as_ref().map(|m| m.value.as_str()) {
        Some("dnsrr") => ServiceType::Headless,
        _ => ServiceType::ClusterIP,
    }
}

/// The name of the headless Service a StatefulSet's pods are named under.
pub fn headless_name(ctx: &Ctx<'_>, svc: &Service) -> String {
    let settings = ctx.settings(&svc.name);
    let ports = !svc.ports.is_empty() || !svc.expose.is_empty();
    if service_type(svc, settings) == ServiceType::Headless || !ports {
        names::dns_label(&svc.name)
    } else {
        names::derived(&svc.name, "headless")
    }
}

fn port_values(entries: &[Entry], node_port: Option<u16>, node_port_on: Option<u16>) -> Vec<Value> {
    entries
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("name".into(), json!(e.name));
            m.insert("port".into(), json!(e.port));
            m.insert("targetPort".into(), json!(e.target));
            m.insert("protocol".into(), json!(e.protocol));
            if let Some(a) = &e.app_protocol {
                m.insert("appProtocol".into(), json!(a));
            }
            if let (Some(np), Some(on)) = (node_port, node_port_on) {
                if on == e.port {
                    m.insert("nodePort".into(), json!(np));
                }
            }
            Value::Object(m)
        })
        .collect()
}

fn service_object(
    ctx: &Ctx<'_>,
    name: &str,
    svc: &Service,
    spec: Map<String, Value>,
    annotations: Option<Map<String, Value>>,
    origin: String,
) -> Object {
    let mut md = Map::new();
    md.insert("name".into(), json!(name));
    md.insert(
        "labels".into(),
        Value::Object(labels(ctx.project, Some(&svc.name))),
    );
    if let Some(a) = annotations.filter(|a| !a.is_empty()) {
        md.insert("annotations".into(), Value::Object(a));
    }
    ctx.namespace_into(&mut md);
    Object {
        kind: "Service".into(),
        name: name.to_string(),
        value: std::sync::Arc::new(super::object([
            ("apiVersion", json!("v1")),
            ("kind", json!("Service")),
            ("metadata", Value::Object(md)),
            ("spec", Value::Object(spec)),
        ])),
        service: Some(svc.name.clone()),
        origin,
    }
}

/// The headless spec (no cluster IP; DNS answers with the pods' addresses).
fn headless_spec(ctx: &Ctx<'_>, owner: &Service, ports: Vec<Value>) -> Map<String, Value> {
    let mut spec = Map::new();
    spec.insert("clusterIP".into(), json!("None"));
    spec.insert(
        "selector".into(),
        Value::Object(selector(ctx.project, &owner.name)),
    );
    if !ports.is_empty() {
        spec.insert("ports".into(), Value::Array(ports));
    }
    spec
}

/// What became of a service's own Service.
struct Own {
    /// The Service named after the service (none when it needs none or opts out).
    object: Option<Object>,
    wanted: bool,
    opted_out: bool,
    entries: Vec<Entry>,
}

/// The Service named after `svc`, with `svc`'s own ports and settings, selecting the pod of
/// `pod` (`svc` itself, or the first service of its group).
fn own_service(
    ctx: &Ctx<'_>,
    svc: &Service,
    pod: &Service,
    kind: WorkloadKind,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Own {
    let settings = ctx.settings(&svc.name);
    let name = names::dns_label(&svc.name);
    let (entries, dropped) = port_plan(svc);
    let mut object = None;
    let stype = service_type(svc, settings);
    let referenced = ctx.referenced(&svc.name);
    let has_ports = !entries.is_empty();
    for (k, p) in svc
        .ports
        .iter()
        .map(|p| ("ports", p))
        .chain(svc.expose.iter().map(|p| ("expose", p)))
    {
        if let Some(ip) = &p.host_ip {
            report.warn(
                Some(&p.loc),
                key(svc, k),
                format!("the host address `{ip}` has no meaning in a cluster; the port is reachable inside the cluster"),
            );
        }
        let published = match p.published {
            Some(pp) if pp != p.target && !dropped.iter().any(|(d, _)| std::ptr::eq(*d, p)) => {
                format!(" and {pp}")
            }
            _ => String::new(),
        };
        // What became of it outside the cluster (`expose`), for a published port.
        let outside = Some(p.published.unwrap_or(p.target))
            .filter(|n| {
                k == "ports"
                    && entries
                        .iter()
                        .any(|e| e.port == *n && e.protocol == p.protocol.as_k8s() && e.published)
            })
            .and_then(|n| ctx.published_note(&svc.name, p.protocol.as_k8s(), n))
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        report.converted(
            Some(&p.loc),
            key(svc, k),
            format!(
                "containerPort {}; Service/{name} port {}{published}{outside}",
                p.target, p.target
            ),
        );
    }
    for (p, published) in &dropped {
        report.warn(
            Some(&p.loc),
            key(svc, "ports"),
            format!(
                "the published port {published} is also a container port of `{}`: Service/{name} port {published} reaches container port {published}, as other services connect under compose, so the published alias {published} → {} is dropped",
                svc.name, p.target
            ),
        );
    }
    if let Some(m) = &svc.deploy.endpoint_mode {
        report.converted(
            Some(&m.loc),
            key(svc, "deploy.endpoint_mode"),
            match m.value.as_str() {
                "dnsrr" => {
                    format!("headless Service/{name} (DNS answers with the pods' addresses)")
                }
                _ => format!("Service/{name} with a cluster IP"),
            },
        );
    }
    // Under compose every service name resolves: every long-running service gets a Service
    // (headless without ports), unless `x-ferry: {service: {enabled: false}}`.
    let long_running = matches!(
        kind,
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
    );
    let opted_out = settings.service.enabled.as_ref().is_some_and(|e| !e.value);
    let wanted =
        !opted_out && (has_ports || referenced || long_running || settings.service.type_.is_some());
    // Type settings.
    let mut node_port_on = None;
    if let Some(np) = &settings.service.node_port {
        let published: Vec<u16> = entries
            .iter()
            .filter(|e| e.published)
            .map(|e| e.port)
            .collect();
        let on = match (published.as_slice(), entries.as_slice()) {
            ([one], _) => Some(*one),
            ([], [only]) => Some(only.port),
            _ => None,
        };
        match (stype, on) {
            (ServiceType::NodePort | ServiceType::LoadBalancer, Some(on)) => {
                node_port_on = Some(on);
                if !(30000..=32767).contains(&np.value) {
                    report.warn(
                        Some(&np.loc),
                        settings.service_keys.iter().find(|k| k.contains("node")).cloned().unwrap_or_default(),
                        format!("{} is outside Kubernetes' default node port range (30000-32767); the API server refuses it unless the cluster's range includes it", np.value),
                    );
                }
            }
            (ServiceType::NodePort | ServiceType::LoadBalancer, None) => errors.push(Error::invalid(
                &np.loc,
                format!(
                    "services.{}: a node port needs exactly one published port to go with; the service publishes {}",
                    svc.name,
                    if published.is_empty() { "none".to_string() } else { published.iter().map(u16::to_string).collect::<Vec<_>>().join(", ") }
                ),
            )),
            _ => errors.push(Error::invalid(
                &np.loc,
                format!("services.{}: a node port needs the Service type NodePort or LoadBalancer", svc.name),
            )),
        }
    }
    if !wanted {
        for k in &settings.service_keys {
            if let Some(kv) = settings_loc(svc, settings, k) {
                if k.ends_with("service.enabled") {
                    report.converted(
                        Some(&kv),
                        k.clone(),
                        format!(
                            "no Service: other services cannot reach `{}` by name",
                            svc.name
                        ),
                    );
                } else {
                    report.not_converted(
                        Some(&kv),
                        k.clone(),
                        if opted_out {
                            "`service.enabled: false`: no Service is made"
                        } else {
                            "the service has no ports and runs to completion, so no Service is made"
                        },
                    );
                }
            }
        }
    } else {
        let mut spec = Map::new();
        let ports = port_values(
            &entries,
            settings.service.node_port.as_ref().map(|n| n.value),
            node_port_on,
        );
        match stype {
            ServiceType::Headless => {
                spec = headless_spec(ctx, pod, ports);
            }
            t => {
                if !has_ports {
                    // Nothing to balance: a headless Service makes the name resolve.
                    spec = headless_spec(ctx, pod, ports);
                    if t != ServiceType::ClusterIP {
                        if let Some(l) = &settings.service.type_ {
                            report.not_converted(
                                Some(&l.loc),
                                settings.service_keys.first().cloned().unwrap_or_default(),
                                "the service has no ports; its Service is headless (the name resolves to the pod)",
                            );
                        }
                    }
                } else {
                    let tname = match t {
                        ServiceType::NodePort => "NodePort",
                        ServiceType::LoadBalancer => "LoadBalancer",
                        _ => "ClusterIP",
                    };
                    spec.insert("type".into(), json!(tname));
                    spec.insert(
                        "selector".into(),
                        Value::Object(selector(ctx.project, &pod.name)),
                    );
                    spec.insert("ports".into(), Value::Array(ports));
                }
            }
        }
        if let Some(etp) = &settings.service.external_traffic_policy {
            if matches!(stype, ServiceType::NodePort | ServiceType::LoadBalancer) && has_ports {
                spec.insert("externalTrafficPolicy".into(), json!(etp.value));
            } else {
                report.not_converted(
                    Some(&etp.loc),
                    settings
                        .service_keys
                        .iter()
                        .find(|k| k.contains("traffic"))
                        .cloned()
                        .unwrap_or_default(),
                    "externalTrafficPolicy applies to NodePort and LoadBalancer Services only",
                );
            }
        }
        let mut annotations = Map::new();
        for kv in &settings.service.annotations {
            annotations.insert(kv.key.clone(), json!(kv.value));
        }
        for k in &settings.service_keys {
            if let Some(l) = settings_loc(svc, settings, k) {
                let converted = !k.contains("traffic")
                    || matches!(stype, ServiceType::NodePort | ServiceType::LoadBalancer);
                if converted {
                    report.converted(Some(&l), k.clone(), format!("Service/{name}"));
                }
            }
        }
        object = Some(service_object(
            ctx,
            &name,
            svc,
            spec,
            Some(annotations),
            format!("services.{}.ports", svc.name),
        ));
    }
    Own {
        object,
        wanted,
        opted_out,
        entries,
    }
}

/// The Services of one pod: its own and those of the services grouped into it (each named after
/// its service, with its own ports, selecting the pod, as each answers on its name under
/// compose), a StatefulSet's headless one, and aliases.
pub fn services(
    ctx: &Ctx<'_>,
    svc: &Service,
    members: &[&Service],
    kind: WorkloadKind,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Vec<Object> {
    check_pod_ports(ctx, svc, members, errors);
    let mut out = Vec::new();
    // The owner and its group's members answer on their own names; a service that only shares
    // the pod's network (`network_mode: service:…`) answers through the pod's.
    let (grouped, sharing): (Vec<&Service>, Vec<&Service>) = members
        .iter()
        .copied()
        .partition(|m| m.network_mode.is_none());
    let mut answering: Vec<(&Service, Own)> = Vec::new();
    for a in std::iter::once(svc).chain(grouped) {
        let own = own_service(ctx, a, svc, kind, report, errors);
        out.extend(own.object.clone());
        answering.push((a, own));
    }
    let name = names::dns_label(&svc.name);
    let wanted = answering[0].1.wanted;
    // A StatefulSet's pods are named under a headless Service.
    if kind == WorkloadKind::StatefulSet {
        let hname = headless_name(ctx, svc);
        if hname != name || !wanted {
            let ports = port_values(&answering[0].1.entries, None, None);
            out.push(service_object(
                ctx,
                &hname,
                svc,
                headless_spec(ctx, svc, ports),
                None,
                format!("services.{} (StatefulSet)", svc.name),
            ));
        }
    }
    let aliases = alias_names(ctx, svc, &answering, &sharing);
    report_container_names(svc, members, &answering, report);
    out.extend(alias_services(ctx, svc, &answering, aliases, report));
    out
}

/// A name the pod answers to besides the services' own: `of` is the index (in `answering`) of
/// the service whose ports it has.
struct Alias {
    name: String,
    loc: Location,
    key: String,
    of: usize,
}

/// Other names the pod answers to, each with the ports of the service it names: network aliases
/// and container names of the services that answer on their own names; of those that share the
/// pod's network, also their own names when others use them, with the pod owner's ports; link
/// aliases, with the ports of the service linked.
fn alias_names(
    ctx: &Ctx<'_>,
    svc: &Service,
    answering: &[(&Service, Own)],
    sharing: &[&Service],
) -> Vec<Alias> {
    let mut out = Vec::new();
    let mut add = |name: &str, loc: &Location, key: String, of: usize| {
        out.push(Alias {
            name: name.to_string(),
            loc: loc.clone(),
            key,
            of,
        })
    };
    let owner_wanted = answering[0].1.wanted;
    let answering_names = answering.iter().map(|(m, o)| (*m, o.wanted));
    let sharing_names = sharing.iter().map(|m| (*m, owner_wanted));
    for (i, (m, wanted)) in answering_names.chain(sharing_names).enumerate() {
        let of = if i < answering.len() { i } else { 0 };
        for n in &m.networks {
            for a in &n.aliases {
                add(
                    &a.value,
                    &a.loc,
                    format!("services.{}.networks", m.name),
                    of,
                );
            }
        }
        if let Some(cn) = m.container_name.as_ref().filter(|_| wanted) {
            add(
                &cn.value,
                &cn.loc,
                format!("services.{}.container_name", m.name),
                of,
            );
        }
        if i >= answering.len() && ctx.referenced(&m.name) {
            add(
                &m.name,
                &m.loc,
                format!("services.{}.network_mode", m.name),
                0,
            );
        }
    }
    for (other, l) in ctx.links_to(&svc.name) {
        if let Some(a) = &l.alias {
            let of = answering
                .iter()
                .position(|(m, _)| m.name == l.service)
                .unwrap_or(0);
            add(a, &l.loc, format!("services.{}.links", other.name), of);
        }
    }
    out
}

/// The container names that no Service answers to (the service has none), reported.
fn report_container_names(
    svc: &Service,
    members: &[&Service],
    answering: &[(&Service, Own)],
    report: &mut Report,
) {
    let owner = &answering[0].1;
    for m in std::iter::once(&svc).chain(members.iter()) {
        let own = answering
            .iter()
            .find(|(a, _)| a.name == m.name)
            .map_or(owner, |(_, o)| o);
        if let Some(cn) = m.container_name.as_ref().filter(|_| !own.wanted) {
            report.ignored(
                Some(&cn.loc),
                format!("services.{}.container_name", m.name),
                if own.opted_out {
                    "Kubernetes names pods itself, and `x-ferry: {service: {enabled: false}}` turns this service's Service off"
                } else {
                    "Kubernetes names pods itself, and nothing reaches this service over the network (it runs to completion, has no ports and no service names it)"
                },
            );
        }
    }
}

/// A Service for each alias that no other name of the project takes.
fn alias_services(
    ctx: &Ctx<'_>,
    svc: &Service,
    answering: &[(&Service, Own)],
    aliases: Vec<Alias>,
    report: &mut Report,
) -> Vec<Object> {
    let mut out = Vec::new();
    let mut made: Vec<String> = vec![names::dns_label(&svc.name), headless_name(ctx, svc)];
    made.extend(answering.iter().map(|(m, _)| names::dns_label(&m.name)));
    for Alias {
        name: alias,
        loc,
        key: k,
        of,
    } in aliases
    {
        let entries = &answering[of].1.entries;
        let has_ports = !entries.is_empty();
        let aname = names::dns_label(&alias);
        if made.contains(&aname) {
            if k.ends_with("container_name") {
                report.ignored(
                    Some(&loc),
                    k,
                    format!(
                        "Kubernetes names pods itself; other services reach this one as `{aname}`"
                    ),
                );
            } else {
                report.converted(Some(&loc), k, format!("Service/{aname}"));
            }
            continue;
        }
        if let Some(owner) = ctx
            .project
            .services
            .values()
            .find(|s| names::dns_label(&s.name) == aname)
            .filter(|s| ctx.pod_owner(&s.name).name != svc.name)
        {
            report.not_converted(
                Some(&loc),
                k,
                format!("the alias `{alias}` is the name of the service `{}` in Kubernetes; it resolves to that service", owner.name),
            );
            continue;
        }
        if let Some(first) = ctx.alias_owner(&aname).filter(|o| *o != svc.name) {
            report.not_converted(
                Some(&loc),
                k,
                format!("the alias `{alias}` is also an alias of `{first}`; one name can point at one service only"),
            );
            continue;
        }
        made.push(aname.clone());
        let spec = if has_ports {
            let mut spec = Map::new();
            spec.insert("type".into(), json!("ClusterIP"));
            spec.insert(
                "selector".into(),
                Value::Object(selector(ctx.project, &svc.name)),
            );
            spec.insert(
                "ports".into(),
                Value::Array(port_values(entries, None, None)),
            );
            spec
        } else {
            headless_spec(ctx, svc, Vec::new())
        };
        if aname != alias {
            report.warn(
                Some(&loc),
                k.clone(),
                format!("`{alias}` is not a valid Service name; the pod is reachable as `{aname}`"),
            );
        }
        let what = if k.ends_with("container_name") {
            format!("Service/{aname}: the container name resolves to the pod, as under compose")
        } else {
            format!("Service/{aname}")
        };
        report.converted(Some(&loc), k.clone(), what);
        out.push(service_object(ctx, &aname, answering[of].0, spec, None, k));
    }
    out
}

/// Ports that two containers of one pod both listen on are an error naming both: under compose
/// each had a network of its own, in one pod they share one.
fn check_pod_ports(ctx: &Ctx<'_>, owner: &Service, members: &[&Service], errors: &mut Vec<Error>) {
    let mut claimed: Vec<(u16, &'static str, &Service, &Port)> = Vec::new();
    for m in std::iter::once(owner).chain(members.iter().copied()) {
        for p in m.ports.iter().chain(&m.expose) {
            let proto = p.protocol.as_k8s();
            match claimed
                .iter()
                .find(|(port, pr, _, _)| *port == p.target && *pr == proto)
            {
                Some((_, _, first, _)) if first.name == m.name => {}
                Some((_, _, first, first_port)) => {
                    let how = match ctx.settings(&m.name).group.as_ref() {
                        Some(g) if m.network_mode.is_none() => format!("group `{}`", g.value),
                        _ => "`network_mode: service:…`".to_string(),
                    };
                    errors.push(
                        Error::invalid(
                            &p.loc,
                            format!(
                                "services.{}: port {}/{} is also a port of `{}` (at {}), which runs in the same pod ({how}); two containers of one pod cannot listen on one port: give one of them another port, or run `{}` in a pod of its own",
                                m.name,
                                p.target,
                                p.protocol.as_compose(),
                                first.name,
                                first_port.loc,
                                m.name
                            ),
                        )
                        .labelled(format!("{}/{} again", p.target, p.protocol.as_compose()))
                        .also_at(&first_port.loc, format!("`{}` listens on it", first.name)),
                    );
                }
                None => claimed.push((p.target, proto, m, p)),
            }
        }
    }
}

/// Where a service setting was written.
fn settings_loc(svc: &Service, settings: &Settings, k: &str) -> Option<Location> {
    if let Some(label) = k.strip_prefix(&format!("services.{}.labels.", svc.name)) {
        return svc.label(label).map(|kv| kv.loc.clone());
    }
    let s = &settings.service;
    if k.ends_with("service.type") {
        s.type_.as_ref().map(|v| v.loc.clone())
    } else if k.ends_with("nodePort") {
        s.node_port.as_ref().map(|v| v.loc.clone())
    } else if k.ends_with("externalTrafficPolicy") {
        s.external_traffic_policy.as_ref().map(|v| v.loc.clone())
    } else if k.ends_with("annotations") {
        s.annotations.first().map(|v| v.loc.clone())
    } else if k.ends_with("service.enabled") {
        s.enabled.as_ref().map(|v| v.loc.clone())
    } else {
        None
    }
}
