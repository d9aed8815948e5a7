//! `env_file` → a ConfigMap consumed with `envFrom`.

use super::pod::{escape_dollars, ContainerParts};
use super::{Ctx, Object};
use crate::compose::Service;
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};

/// ConfigMap keys: `[-._a-zA-Z0-9]+`.
pub fn valid_configmap_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn env_configmap(
    ctx: &Ctx<'_>,
    svc: &Service,
    pod: &mut ContainerParts,
    report: &mut Report,
) -> Option<Object> {
    if svc.env_files.is_empty() {
        return None;
    }
    // Later files win, as in compose; the first definition fixes the order.
    let mut data: indexmap::IndexMap<String, (String, &crate::error::Location)> =
        indexmap::IndexMap::new();
    for ef in &svc.env_files {
        for (k, v) in &ef.entries {
            data.insert(k.clone(), (v.clone(), &ef.path.loc));
        }
    }
    // Renamed hosts are rewritten in the values the container gets: not in one that a later file
    // or `environment` sets again.
    let data: indexmap::IndexMap<String, String> = data
        .into_iter()
        .map(|(k, (v, loc))| {
            let overridden = svc
                .environment
                .iter()
                .any(|e| e.name == k && e.value.is_some());
            let v = (!overridden)
                .then(|| {
                    super::hosts::env_reported(
                        ctx,
                        &v,
                        &k,
                        loc,
                        &format!("services.{}.env_file", svc.name),
                        report,
                    )
                })
                .flatten()
                .unwrap_or(v);
            (k, v)
        })
        .collect();
    let mut cm = Map::new();
    let any_secret = data.keys().any(|k| pod.env_secrets.contains(k));
    for (k, v) in data {
        if pod.env_secrets.contains(&k) {
            // Sensitive: read from the service's Secret, in the env file's place.
            pod.env.push(pod.env_secrets.env_entry(&k));
        } else if valid_configmap_key(&k) {
            cm.insert(k, json!(v));
        } else {
            // Not a valid ConfigMap key: set it directly on the container instead.
            pod.env
                .push(json!({ "name": k, "value": escape_dollars(&v) }));
        }
    }
    let secret_part = if any_secret {
        format!(
            "; its sensitive variables from Secret/{} (valueFrom.secretKeyRef)",
            pod.env_secrets.name
        )
    } else {
        String::new()
    };
    if cm.is_empty() {
        for ef in &svc.env_files {
            if any_secret {
                report.converted(
                    Some(&ef.path.loc),
                    format!("services.{}.env_file", svc.name),
                    format!(
                        "every variable is sensitive: read from Secret/{} (valueFrom.secretKeyRef)",
                        pod.env_secrets.name
                    ),
                );
            } else {
                report.warn(
                    Some(&ef.path.loc),
                    format!("services.{}.env_file", svc.name),
                    "the env files define no variables",
                );
                break;
            }
        }
        return None;
    }
    let name = names::derived(&svc.name, "env");
    pod.env_from
        .push(json!({ "configMapRef": { "name": name } }));
    for ef in &svc.env_files {
        report.converted(
            Some(&ef.path.loc),
            format!("services.{}.env_file", svc.name),
            format!("ConfigMap/{name}, consumed with envFrom{secret_part}"),
        );
    }
    let md = ctx.metadata(&name, Some(&svc.name));
    Some(Object {
        kind: "ConfigMap".into(),
        name: name.clone(),
        value: std::sync::Arc::new(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": md,
            "data": Value::Object(cm),
        })),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.env_file", svc.name),
    })
}
