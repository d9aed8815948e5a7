//! Services: every container port a compose service publishes or exposes is reachable at the
//! same host name and port as under compose.

use super::{metadata, selector, Object};
use crate::compose::{Port, Project, Service};
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};

struct Entry {
    name: String,
    port: u16,
    target: u16,
    protocol: &'static str,
    app_protocol: Option<String>,
}

/// A port name: the compose name when given (made a valid label), else `<proto>-<port>`.
fn port_name(p: &Port, port: u16) -> String {
    match &p.name {
        Some(n) => names::dns_label(n),
        None => format!("{}-{port}", p.protocol.as_compose()),
    }
}

pub fn service(project: &Project, svc: &Service, report: &mut Report) -> Option<Object> {
    if svc.ports.is_empty() && svc.expose.is_empty() {
        return None;
    }
    let mut entries: Vec<Entry> = Vec::new();
    let add = |entries: &mut Vec<Entry>, p: &Port, port: u16, name: String| {
        let proto = p.protocol.as_k8s();
        if entries
            .iter()
            .any(|e| e.port == port && e.protocol == proto)
        {
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
        });
    };
    for p in svc.ports.iter().chain(&svc.expose) {
        add(&mut entries, p, p.target, port_name(p, p.target));
        if let Some(published) = p.published.filter(|&pp| pp != p.target) {
            let name = match &p.name {
                Some(n) => names::derived(n, &published.to_string()),
                None => port_name(p, published),
            };
            add(&mut entries, p, published, name);
        }
        if let Some(ip) = &p.host_ip {
            report.warn(
                Some(&p.loc),
                format!("services.{}.ports", svc.name),
                format!("the host address `{ip}` has no meaning in a cluster; the port is reachable inside the cluster"),
            );
        }
    }
    let ports: Vec<Value> = entries
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
            Value::Object(m)
        })
        .collect();
    let name = names::dns_label(&svc.name);
    Some(Object {
        kind: "Service".into(),
        name: name.clone(),
        value: json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata(project, &name, Some(&svc.name)),
            "spec": {
                "type": "ClusterIP",
                "selector": selector(project, &svc.name),
                "ports": ports,
            },
        }),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.ports", svc.name),
    })
}
