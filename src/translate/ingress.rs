//! Ingress (networking.k8s.io/v1) from `x-ferry: {ingress: …}` or Kompose's
//! `kompose.service.expose` labels. The backend port is chosen explicitly: the `port` given,
//! else the service's only published port, else its only port; anything else is an error that
//! asks for `port`.

use super::service::entries;
use super::{labels, Ctx, Object};
use crate::compose::xferry::{IngressSettings, Tls};
use crate::compose::Service;
use crate::error::{Error, Report};
use crate::names;
use serde_json::{json, Map, Value};

fn backend_port(svc: &Service, ing: &IngressSettings) -> Result<u16, String> {
    let ports = entries(svc);
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
    let tcp: Vec<&super::service::Entry> = ports.iter().filter(|e| e.protocol == "TCP").collect();
    let published: Vec<u16> = tcp.iter().filter(|e| e.published).map(|e| e.port).collect();
    match (published.as_slice(), tcp.as_slice()) {
        ([one], _) => Ok(*one),
        ([], [only]) => Ok(only.port),
        ([], []) => Err("the service has no TCP port for an Ingress to send traffic to; add `ports`".into()),
        _ => Err(format!(
            "the service has several ports ({}); choose the one the Ingress sends traffic to with `x-ferry: {{ingress: {{port: …}}}}`",
            if published.is_empty() { tcp.iter().map(|e| e.port.to_string()).collect::<Vec<_>>() } else { published.iter().map(u16::to_string).collect() }.join(", ")
        )),
    }
}

pub fn ingresses(
    ctx: &Ctx<'_>,
    svc: &Service,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Vec<Object> {
    let settings = ctx.settings(&svc.name);
    if settings.ingress.is_empty() {
        return Vec::new();
    }
    let svc_name = names::dns_label(&svc.name);
    // One Ingress per (class, annotations) group, in the order they are written.
    type Group<'a> = (
        Option<String>,
        Vec<(String, String)>,
        Vec<&'a IngressSettings>,
    );
    let mut groups: Vec<Group<'_>> = Vec::new();
    for ing in &settings.ingress {
        let ann: Vec<(String, String)> = ing
            .annotations
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        match groups
            .iter_mut()
            .find(|(c, a, _)| *c == ing.class_name && *a == ann)
        {
            Some((_, _, items)) => items.push(ing),
            None => groups.push((ing.class_name.clone(), ann, vec![ing])),
        }
    }
    let mut out = Vec::new();
    for (i, (class, ann, items)) in groups.into_iter().enumerate() {
        let name = if i == 0 {
            svc_name.clone()
        } else {
            names::derived(&svc.name, &(i + 1).to_string())
        };
        let mut rules: Vec<Value> = Vec::new();
        let mut tls: Vec<(Option<String>, Vec<String>)> = Vec::new();
        for ing in items {
            let port = match backend_port(svc, ing) {
                Ok(p) => p,
                Err(why) => {
                    errors.push(Error::invalid(
                        &ing.loc,
                        format!("{}: {why}", settings.ingress_key),
                    ));
                    continue;
                }
            };
            let path = json!({
                "path": ing.path,
                "pathType": ing.path_type,
                "backend": { "service": { "name": svc_name, "port": { "number": port } } },
            });
            // Rules for the same host share one entry.
            let existing = rules
                .iter_mut()
                .find(|r| r.get("host").and_then(Value::as_str) == ing.host.as_deref());
            match existing {
                Some(r) => {
                    if let Some(paths) = r.pointer_mut("/http/paths").and_then(Value::as_array_mut)
                    {
                        paths.push(path);
                    }
                }
                None => {
                    let mut r = Map::new();
                    if let Some(h) = &ing.host {
                        r.insert("host".into(), json!(h));
                    }
                    r.insert("http".into(), json!({ "paths": [path] }));
                    rules.push(Value::Object(r));
                }
            }
            if let Some(t) = &ing.tls {
                let secret = match t {
                    Tls::Default => None,
                    Tls::Secret(s) => Some(s.clone()),
                };
                let hosts: Vec<String> = ing.host.iter().cloned().collect();
                match tls.iter_mut().find(|(s, _)| *s == secret) {
                    Some((_, hs)) => {
                        for h in hosts {
                            if !hs.contains(&h) {
                                hs.push(h);
                            }
                        }
                    }
                    None => tls.push((secret, hosts)),
                }
            }
            report.converted(
                Some(&ing.loc),
                settings.ingress_key.clone(),
                format!(
                    "Ingress/{name}: {}{} → Service/{svc_name} port {port}{}",
                    ing.host.as_deref().unwrap_or("any host"),
                    ing.path,
                    if ing.tls.is_some() { " (TLS)" } else { "" }
                ),
            );
        }
        if rules.is_empty() {
            continue;
        }
        let mut spec = Map::new();
        if let Some(c) = class {
            spec.insert("ingressClassName".into(), json!(c));
        }
        if !tls.is_empty() {
            let list: Vec<Value> = tls
                .into_iter()
                .map(|(secret, hosts)| {
                    let mut t = Map::new();
                    if !hosts.is_empty() {
                        t.insert("hosts".into(), json!(hosts));
                    }
                    if let Some(s) = secret {
                        t.insert("secretName".into(), json!(s));
                    }
                    Value::Object(t)
                })
                .collect();
            spec.insert("tls".into(), Value::Array(list));
        }
        spec.insert("rules".into(), Value::Array(rules));
        let mut md = Map::new();
        md.insert("name".into(), json!(name));
        md.insert(
            "labels".into(),
            Value::Object(labels(ctx.project, Some(&svc.name))),
        );
        if !ann.is_empty() {
            let a: Map<String, Value> = ann.into_iter().map(|(k, v)| (k, json!(v))).collect();
            md.insert("annotations".into(), Value::Object(a));
        }
        ctx.namespace_into(&mut md);
        out.push(Object {
            kind: "Ingress".into(),
            name: name.clone(),
            value: std::sync::Arc::new(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": md,
                "spec": spec,
            })),
            service: Some(svc.name.clone()),
            origin: settings.ingress_key.clone(),
        });
    }
    out
}
