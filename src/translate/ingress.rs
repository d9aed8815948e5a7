//! Ingress (networking.k8s.io/v1) under `expose: ingress`, from the rules `expose` made of the
//! ingress settings (`x-ferry: {ingress: …}` or Kompose's `kompose.service.expose` labels):
//! one Ingress per group of rules with the same class and annotations, one rule per host.

use super::{labels, Ctx, Object};
use crate::compose::xferry::Expose;
use crate::compose::Service;
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};

pub fn ingresses(ctx: &Ctx<'_>, svc: &Service, report: &mut Report) -> Vec<Object> {
    let Some(plan) = ctx.exposure().service(&svc.name) else {
        return Vec::new();
    };
    if plan.mode != Expose::Ingress {
        return Vec::new();
    }
    let settings = ctx.settings(&svc.name);
    let svc_name = names::dns_label(&svc.name);
    let mut out = Vec::new();
    for group in &plan.ingresses {
        let name = &group.name;
        let mut rules: Vec<Value> = Vec::new();
        let mut tls: Vec<(Option<String>, Vec<String>)> = Vec::new();
        for rule in group.rules.iter().map(|&i| &plan.http[i]) {
            let (ing, port) = (&rule.settings, rule.port);
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
            if let Some(secret) = super::expose::tls_of(ing) {
                let secret = secret.map(str::to_string);
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
        if let Some(c) = &group.class {
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
        if !group.annotations.is_empty() {
            let a: Map<String, Value> = group
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
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
