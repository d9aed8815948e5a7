//! Networks. Kubernetes gives every pod one flat network, so by default compose networks only
//! matter for names (aliases become Services). With `--network-policies`, each compose network
//! becomes a NetworkPolicy: pods on the same compose network may talk, published ports stay
//! open, and nothing else changes.

use super::pod::key;
use super::{Ctx, Object};
use crate::compose::{NetworkDef, Service};
use crate::error::{Report, Severity};
use crate::names;
use serde_json::{json, Map, Value};

/// The pod label that marks membership of a compose network.
pub fn network_label(net: &str) -> String {
    format!("network.ferry.dev/{}", names::dns_label(net))
}

/// The compose networks a service is on (`default` when it names none), unless it shares
/// another's network or the host's.
pub fn service_networks(svc: &Service) -> Vec<String> {
    if svc.network_mode.is_some() {
        return Vec::new();
    }
    if svc.networks.is_empty() {
        vec!["default".to_string()]
    } else {
        svc.networks.iter().map(|n| n.name.clone()).collect()
    }
}

/// Labels for a pod's template: one per network of every service in the pod.
pub fn pod_labels(ctx: &Ctx<'_>, members: &[&Service]) -> Map<String, Value> {
    let mut m = Map::new();
    if !ctx.network_policies() {
        return m;
    }
    for s in members {
        for n in service_networks(s) {
            m.insert(network_label(&n), json!("true"));
        }
    }
    m
}

/// Report a service's `networks` and `network_mode`.
pub fn report_service(ctx: &Ctx<'_>, svc: &Service, report: &mut Report) {
    let k = key(svc, "networks");
    for n in &svc.networks {
        for s in &n.skipped {
            report.not_converted(
                Some(&s.loc),
                format!("{k}.{}.{}", n.name, s.key),
                "pods get their addresses from the cluster; other services reach this one by its Service name",
            );
        }
        if !ctx.project.top.networks.contains_key(&n.name) && n.name != "default" {
            report.not_converted(
                Some(&n.loc),
                k.clone(),
                format!(
                    "the network `{}` is not declared under the top-level `networks:`",
                    n.name
                ),
            );
        } else if ctx.network_policies() {
            report.converted(
                Some(&n.loc),
                k.clone(),
                format!(
                    "pod label `{}`; NetworkPolicy/{} lets the network's pods reach each other",
                    network_label(&n.name),
                    policy_name(&n.name)
                ),
            );
        } else {
            report.ignored(
                Some(&n.loc),
                k.clone(),
                "Kubernetes pods share one network, so every service can reach this one; `--network-policies` keeps compose's separation",
            );
        }
    }
    if let Some(nm) = &svc.network_mode {
        let k = key(svc, "network_mode");
        match nm.value.as_str() {
            "host" => {} // converted with the pod spec (hostNetwork)
            "bridge" | "default" => report.ignored(
                Some(&nm.loc),
                k,
                "pods are on the cluster network, as containers are on the default bridge",
            ),
            "none" => {
                if ctx.network_policies() {
                    report.converted(
                        Some(&nm.loc),
                        k,
                        format!("NetworkPolicy/{} denies all traffic to and from the pod", names::derived(&svc.name, "isolated")),
                    );
                } else {
                    report.not_converted(
                        Some(&nm.loc),
                        k,
                        "a pod always has a network; `--network-policies` isolates it with a deny-all NetworkPolicy",
                    );
                }
            }
            v if v.starts_with("service:") => {
                let owner = ctx.pod_owner(&svc.name);
                report.converted(
                    Some(&nm.loc),
                    k,
                    format!(
                        "a container in the pod of `{}` (they share its network, as under compose)",
                        owner.name
                    ),
                );
            }
            v => report.not_converted(
                Some(&nm.loc),
                k,
                format!("`{v}` has no Kubernetes equivalent (a pod cannot join another container's network)"),
            ),
        }
    }
}

fn policy_name(net: &str) -> String {
    names::derived("network", net)
}

/// Report the top-level networks.
pub fn report_top_level(ctx: &Ctx<'_>, report: &mut Report) {
    for (name, def) in &ctx.project.top.networks {
        let k = format!("networks.{name}");
        report_network_keys(def, &k, report);
        if def.external {
            report.ignored(
                Some(&def.loc),
                format!("{k}.external"),
                "an external docker network has no cluster counterpart; pods share the cluster network",
            );
        }
        if def.internal {
            report.not_converted(
                Some(&def.loc),
                format!("{k}.internal"),
                "pods on an internal network keep their access outside the cluster; restrict egress with your own NetworkPolicy",
            );
        }
        if ctx.network_policies() {
            report.converted(
                Some(&def.loc),
                k,
                format!("NetworkPolicy/{}", policy_name(name)),
            );
        } else {
            report.ignored(
                Some(&def.loc),
                k,
                "Kubernetes pods share one network; `--network-policies` makes a NetworkPolicy per compose network",
            );
        }
    }
}

fn report_network_keys(def: &NetworkDef, k: &str, report: &mut Report) {
    for s in &def.skipped {
        let (sev, why) = match s.key.as_str() {
            "ipam" => (
                Severity::NotConverted,
                "pods get their addresses from the cluster's network plugin; subnets cannot be chosen per network",
            ),
            "driver" | "driver_opts" => (
                Severity::Ignored,
                "the cluster's network plugin connects the pods",
            ),
            "enable_ipv4" | "enable_ipv6" => (
                Severity::Ignored,
                "IP families are the cluster's choice",
            ),
            "attachable" | "labels" | "name" => (Severity::Ignored, "docker metadata"),
            _ => (Severity::Ignored, "no meaning in a cluster"),
        };
        report.push(sev, Some(&s.loc), format!("{k}.{}", s.key), why);
    }
}

/// One NetworkPolicy per compose network, one per service that publishes ports, and a deny-all
/// one per `network_mode: none` service.
pub fn policies(ctx: &Ctx<'_>) -> Vec<Object> {
    let mut out = Vec::new();
    if !ctx.network_policies() {
        return out;
    }
    let mut nets: Vec<String> = Vec::new();
    for svc in ctx.project.services.values() {
        for n in service_networks(svc) {
            if !nets.contains(&n) {
                nets.push(n);
            }
        }
    }
    let meta = |name: &str, svc: Option<&str>| ctx.metadata(name, svc);
    for n in nets {
        let label = network_label(&n);
        let name = policy_name(&n);
        out.push(Object {
            kind: "NetworkPolicy".into(),
            name: name.clone(),
            value: std::sync::Arc::new(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta(&name, None),
                "spec": {
                    "podSelector": { "matchLabels": { label.clone(): "true" } },
                    "policyTypes": ["Ingress"],
                    "ingress": [{ "from": [{ "podSelector": { "matchLabels": { label: "true" } } }] }],
                },
            })),
            service: None,
            origin: format!("networks.{n}"),
        });
    }
    for svc in ctx.project.services.values() {
        if ctx.pod_owner(&svc.name).name != svc.name {
            continue;
        }
        let sel = super::selector(ctx.project, &svc.name);
        if svc.network_mode.as_ref().is_some_and(|m| m.value == "none") {
            let name = names::derived(&svc.name, "isolated");
            out.push(Object {
                kind: "NetworkPolicy".into(),
                name: name.clone(),
                value: std::sync::Arc::new(json!({
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": meta(&name, Some(&svc.name)),
                    "spec": { "podSelector": { "matchLabels": sel }, "policyTypes": ["Ingress", "Egress"] },
                })),
                service: Some(svc.name.clone()),
                origin: format!("services.{}.network_mode", svc.name),
            });
            continue;
        }
        // Published ports are reachable from anywhere, as on the docker host.
        let mut ports: Vec<Value> = Vec::new();
        for p in &svc.ports {
            let v = json!({ "port": p.target, "protocol": p.protocol.as_k8s() });
            if !ports.contains(&v) {
                ports.push(v);
            }
        }
        if ports.is_empty() {
            continue;
        }
        let name = names::derived(&svc.name, "published");
        out.push(Object {
            kind: "NetworkPolicy".into(),
            name: name.clone(),
            value: std::sync::Arc::new(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta(&name, Some(&svc.name)),
                "spec": {
                    "podSelector": { "matchLabels": sel },
                    "policyTypes": ["Ingress"],
                    "ingress": [{ "ports": ports }],
                },
            })),
            service: Some(svc.name.clone()),
            origin: format!("services.{}.ports", svc.name),
        });
    }
    out
}
