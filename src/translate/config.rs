//! `env_file` → a ConfigMap consumed with `envFrom`.

use super::workload::{escape_dollars, PodParts};
use super::{metadata, Object};
use crate::compose::{Project, Service};
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
    project: &Project,
    svc: &Service,
    pod: &mut PodParts,
    report: &mut Report,
) -> Option<Object> {
    if svc.env_files.is_empty() {
        return None;
    }
    // Later files win, as in compose; the first definition fixes the order.
    let mut data: indexmap::IndexMap<String, String> = indexmap::IndexMap::new();
    for ef in &svc.env_files {
        for (k, v) in &ef.entries {
            data.insert(k.clone(), v.clone());
        }
    }
    let mut cm = Map::new();
    for (k, v) in data {
        if valid_configmap_key(&k) {
            cm.insert(k, json!(v));
        } else {
            // Not a valid ConfigMap key: set it directly on the container instead.
            pod.env
                .push(json!({ "name": k, "value": escape_dollars(&v) }));
        }
    }
    if cm.is_empty() {
        if let Some(ef) = svc.env_files.first() {
            report.warn(
                Some(&ef.path.loc),
                format!("services.{}.env_file", svc.name),
                "the env files define no variables",
            );
        }
        return None;
    }
    let name = names::derived(&svc.name, "env");
    pod.env_from
        .push(json!({ "configMapRef": { "name": name } }));
    Some(Object {
        kind: "ConfigMap".into(),
        name: name.clone(),
        value: json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(project, &name, Some(&svc.name)),
            "data": Value::Object(cm),
        }),
        service: Some(svc.name.clone()),
        origin: format!("services.{}.env_file", svc.name),
    })
}
