//! Where pods run: `platform` → node selector on os/arch; `deploy.placement` constraints →
//! node affinity, preferences → topology spread, `max_replicas_per_node: 1` → pod anti-affinity.

use super::pod::key;
use super::Ctx;
use crate::compose::Service;
use crate::error::Report;
use serde_json::{json, Map, Value};

/// Docker's architecture names → Kubernetes' (`GOARCH`).
fn arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "armhf" | "armel" => "arm",
        "i386" | "i686" | "x86" => "386",
        other => other,
    }
}

/// A placement constraint as a node selector requirement.
fn constraint(c: &str) -> Result<Value, String> {
    let (lhs, op, rhs) = if let Some((l, r)) = c.split_once("!=") {
        (l.trim(), "NotIn", r.trim())
    } else if let Some((l, r)) = c.split_once("==") {
        (l.trim(), "In", r.trim())
    } else {
        return Err(format!("`{c}` is not `key==value` or `key!=value`"));
    };
    let key = match lhs {
        "node.hostname" => "kubernetes.io/hostname".to_string(),
        "node.platform.os" => "kubernetes.io/os".to_string(),
        "node.platform.arch" => "kubernetes.io/arch".to_string(),
        l if l.starts_with("node.labels.") => l["node.labels.".len()..].to_string(),
        "node.role" => {
            return Err(
                "node roles are not labels Kubernetes sets in a portable way; label the nodes and use `node.labels.<key>==<value>`".into(),
            )
        }
        l => return Err(format!("`{l}` has no Kubernetes node label equivalent")),
    };
    if !super::valid_qualified_name(&key) {
        return Err(format!("`{key}` is not a valid Kubernetes label key"));
    }
    let value = if key == "kubernetes.io/arch" {
        arch(rhs).to_string()
    } else {
        rhs.to_string()
    };
    Ok(json!({ "key": key, "operator": op, "values": [value] }))
}

pub fn scheduling(ctx: &Ctx<'_>, svc: &Service, report: &mut Report) -> Map<String, Value> {
    let mut out = Map::new();
    let mut selector = Map::new();
    if let Some(p) = &svc.platform {
        let parts: Vec<&str> = p.value.split('/').collect();
        match parts.as_slice() {
            [os, a, rest @ ..] if rest.len() <= 1 => {
                selector.insert("kubernetes.io/os".into(), json!(os));
                selector.insert("kubernetes.io/arch".into(), json!(arch(a)));
                if rest.is_empty() {
                    report.converted(
                        Some(&p.loc),
                        key(svc, "platform"),
                        "pod nodeSelector kubernetes.io/os and kubernetes.io/arch",
                    );
                } else {
                    report.warn(
                        Some(&p.loc),
                        key(svc, "platform"),
                        format!("pod nodeSelector kubernetes.io/os and kubernetes.io/arch; the variant `{}` has no node label", rest[0]),
                    );
                }
            }
            [os] => {
                selector.insert("kubernetes.io/os".into(), json!(os));
                report.converted(
                    Some(&p.loc),
                    key(svc, "platform"),
                    "pod nodeSelector kubernetes.io/os",
                );
            }
            _ => report.not_converted(
                Some(&p.loc),
                key(svc, "platform"),
                format!("`{}` is not `os/arch[/variant]`", p.value),
            ),
        }
    }
    if !selector.is_empty() {
        out.insert("nodeSelector".into(), Value::Object(selector));
    }
    let pl = &svc.deploy.placement;
    let mut required = Vec::new();
    for c in &pl.constraints {
        match constraint(&c.value) {
            Ok(expr) => {
                required.push(expr);
                report.converted(
                    Some(&c.loc),
                    key(svc, "deploy.placement.constraints"),
                    "required node affinity",
                );
            }
            Err(why) => {
                report.not_converted(Some(&c.loc), key(svc, "deploy.placement.constraints"), why)
            }
        }
    }
    let mut affinity = Map::new();
    if !required.is_empty() {
        affinity.insert(
            "nodeAffinity".into(),
            json!({ "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{ "matchExpressions": required }]
            }}),
        );
    }
    let sel = json!({ "matchLabels": super::selector(ctx.project, &svc.name) });
    if let Some(m) = &pl.max_replicas_per_node {
        if m.value == 1 {
            affinity.insert(
                "podAntiAffinity".into(),
                json!({ "requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": sel,
                    "topologyKey": "kubernetes.io/hostname",
                }]}),
            );
            report.converted(
                Some(&m.loc),
                key(svc, "deploy.placement.max_replicas_per_node"),
                "pod anti-affinity: at most one pod per node",
            );
        } else {
            report.not_converted(
                Some(&m.loc),
                key(svc, "deploy.placement.max_replicas_per_node"),
                format!("Kubernetes can keep pods apart (1 per node) or spread them evenly, but not cap them at {} per node", m.value),
            );
        }
    }
    if !affinity.is_empty() {
        out.insert("affinity".into(), Value::Object(affinity));
    }
    let mut spread = Vec::new();
    for p in &pl.preferences {
        let topology = match p.value.strip_prefix("node.labels.") {
            Some(k) => k.to_string(),
            None if p.value == "node.hostname" || p.value == "node.id" => {
                "kubernetes.io/hostname".to_string()
            }
            None => {
                report.not_converted(
                    Some(&p.loc),
                    key(svc, "deploy.placement.preferences"),
                    format!("`spread: {}` has no node label equivalent", p.value),
                );
                continue;
            }
        };
        spread.push(json!({
            "maxSkew": 1,
            "topologyKey": topology,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": sel,
        }));
        report.converted(
            Some(&p.loc),
            key(svc, "deploy.placement.preferences"),
            "topologySpreadConstraints (ScheduleAnyway)",
        );
    }
    if !spread.is_empty() {
        out.insert("topologySpreadConstraints".into(), Value::Array(spread));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints() {
        assert_eq!(
            constraint("node.labels.disk == ssd").unwrap(),
            json!({"key": "disk", "operator": "In", "values": ["ssd"]})
        );
        assert_eq!(
            constraint("node.platform.arch!=x86_64").unwrap(),
            json!({"key": "kubernetes.io/arch", "operator": "NotIn", "values": ["amd64"]})
        );
        assert!(constraint("node.role==manager").is_err());
        assert!(constraint("engine.labels.x==y").is_err());
    }
}
