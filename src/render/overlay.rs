//! Per-environment overlays: `overlays/<name>/kustomization.yaml` over the base, with the
//! settings each service gives under `x-ferry: {overlays: {<name>: {...}}}`. The base stays
//! environment-neutral.

use crate::compose::{units, Project, Service};
use crate::error::{Error, Report, Result};
use crate::names;
use crate::translate::Made;
use crate::yaml::Node;
use serde_json::{json, Map, Value as J};

/// The settings an overlay may change for a service.
pub const OVERLAY_KEYS: &[&str] = &["replicas", "image", "resources", "env", "ingress"];

/// An overlay name is a directory name: lower case letters, digits and `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

fn overlays_node(svc: &Service) -> Option<&Node> {
    svc.extensions
        .get("x-ferry")
        .and_then(|x| x.get("overlays"))
}

fn text(n: &Node) -> Option<String> {
    n.as_scalar()
        .filter(|_| !n.is_null())
        .map(|s| s.text.clone())
}

fn resource_set(n: &Node, path: &str) -> Result<Map<String, J>> {
    let mut out = Map::new();
    let Some(m) = n.as_map() else {
        return Err(Error::invalid(
            &n.loc,
            format!("{path}: expected a mapping with cpus and memory"),
        ));
    };
    for (k, e) in m {
        let v = text(&e.value)
            .ok_or_else(|| Error::invalid(&e.value.loc, format!("{path}.{k}: expected a value")))?;
        match k.as_str() {
            "cpus" => {
                if let Some(q) = units::cpus_quantity(&v)
                    .map_err(|m| Error::invalid(&e.value.loc, format!("{path}.cpus: {m}")))?
                {
                    out.insert("cpu".into(), json!(q));
                }
            }
            "memory" => {
                let b = units::parse_bytes(&v)
                    .map_err(|m| Error::invalid(&e.value.loc, format!("{path}.memory: {m}")))?;
                out.insert("memory".into(), json!(units::bytes_quantity(b)));
            }
            other => {
                return Err(Error::invalid(
                    &e.key_loc,
                    format!("{path}: unknown key `{other}` (expected cpus or memory)"),
                ));
            }
        }
    }
    Ok(out)
}

/// The container path of a workload kind: where `containers` sits below `spec`.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&["template", "spec"]),
        "CronJob" => Some(&["jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn nest(path: &[&str], leaf: J) -> J {
    path.iter().rev().fold(leaf, |acc, k| json!({ *k: acc }))
}

/// Build each requested overlay's kustomization (everything but `resources`).
pub fn overlays(
    project: &Project,
    objects: &[Made],
    requested: &[String],
    report: &mut Report,
) -> Result<Vec<(String, J)>> {
    let mut out: Vec<(String, Map<String, J>)> =
        requested.iter().map(|n| (n.clone(), Map::new())).collect();
    let mut errors = Vec::new();
    for svc in project.services.values() {
        let Some(node) = overlays_node(svc) else {
            continue;
        };
        let base = format!("services.{}.x-ferry.overlays", svc.name);
        let Some(map) = node.as_map() else {
            errors.push(Error::invalid(
                &node.loc,
                format!("{base}: expected a mapping of overlay names to settings"),
            ));
            continue;
        };
        for (oname, entry) in map {
            let Some(i) = requested.iter().position(|r| r == oname) else {
                report.warn(
                    Some(&entry.key_loc),
                    format!("{base}.{oname}"),
                    format!(
                        "the overlay `{oname}` is not written: ask for it with --overlay {oname}"
                    ),
                );
                continue;
            };
            if let Err(e) = service_overlay(
                objects,
                svc,
                &format!("{base}.{oname}"),
                &entry.value,
                &mut out[i].1,
            ) {
                errors.push(e);
            }
        }
    }
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    Ok(out.into_iter().map(|(n, m)| (n, J::Object(m))).collect())
}

fn push(k: &mut Map<String, J>, field: &str, item: J) {
    match k
        .entry(field.to_string())
        .or_insert_with(|| J::Array(Vec::new()))
    {
        J::Array(list) => list.push(item),
        other => *other = J::Array(vec![item]),
    }
}

fn service_overlay(
    objects: &[Made],
    svc: &Service,
    path: &str,
    node: &Node,
    k: &mut Map<String, J>,
) -> Result<()> {
    let Some(settings) = node.as_map() else {
        return Err(Error::invalid(
            &node.loc,
            format!(
                "{path}: expected a mapping of settings ({})",
                OVERLAY_KEYS.join(", ")
            ),
        ));
    };
    let workload = objects.iter().find(|o| {
        o.service.as_deref() == Some(svc.name.as_str()) && pod_spec_path(&o.kind).is_some()
    });
    let Some(workload) = workload else {
        return Err(Error::invalid(
            &node.loc,
            format!("{path}: the service has no workload to patch"),
        ));
    };
    let container = names::dns_label(&svc.name);
    let mut c = Map::new();
    c.insert("name".into(), json!(container));
    for (key, e) in settings {
        let v = &e.value;
        let kp = format!("{path}.{key}");
        match key.as_str() {
            "replicas" => {
                let n = text(v).and_then(|t| t.parse::<u32>().ok()).ok_or_else(|| {
                    Error::invalid(&v.loc, format!("{kp}: expected a whole number"))
                })?;
                if !matches!(workload.kind.as_str(), "Deployment" | "StatefulSet") {
                    return Err(Error::invalid(
                        &v.loc,
                        format!(
                            "{kp}: the service becomes a {}, which has no replicas",
                            workload.kind
                        ),
                    ));
                }
                push(k, "replicas", json!({ "name": workload.name, "count": n }));
            }
            "image" => {
                let img = text(v).ok_or_else(|| {
                    Error::invalid(&v.loc, format!("{kp}: expected an image reference"))
                })?;
                c.insert("image".into(), json!(img));
            }
            "resources" => {
                let Some(rm) = v.as_map() else {
                    return Err(Error::invalid(
                        &v.loc,
                        format!("{kp}: expected limits and/or reservations"),
                    ));
                };
                let mut res = Map::new();
                for (rk, re) in rm {
                    let field = match rk.as_str() {
                        "limits" => "limits",
                        "reservations" => "requests",
                        other => {
                            return Err(Error::invalid(
                                &re.key_loc,
                                format!(
                                    "{kp}: unknown key `{other}` (expected limits or reservations)"
                                ),
                            ))
                        }
                    };
                    res.insert(
                        field.into(),
                        J::Object(resource_set(&re.value, &format!("{kp}.{rk}"))?),
                    );
                }
                c.insert("resources".into(), J::Object(res));
            }
            "env" => {
                let Some(em) = v.as_map() else {
                    return Err(Error::invalid(
                        &v.loc,
                        format!("{kp}: expected a mapping of variables"),
                    ));
                };
                let list: Vec<J> = em
                    .iter()
                    .map(|(name, ev)| {
                        let value = text(&ev.value).unwrap_or_default();
                        json!({ "name": name, "value": crate::translate::escape_dollars(&value) })
                    })
                    .collect();
                c.insert("env".into(), J::Array(list));
            }
            "ingress" => {
                let host = v
                    .get("host")
                    .and_then(text)
                    .ok_or_else(|| Error::invalid(&v.loc, format!("{kp}: expected `host`")))?;
                let ingress = objects.iter().find(|o| {
                    o.kind == "Ingress" && o.service.as_deref() == Some(svc.name.as_str())
                });
                let Some(ingress) = ingress else {
                    return Err(Error::invalid(
                        &v.loc,
                        format!("{kp}: the service has no Ingress in the base to change"),
                    ));
                };
                let patch = crate::yaml::emit::to_document(
                    &json!([{ "op": "replace", "path": "/spec/rules/0/host", "value": host }]),
                );
                push(
                    k,
                    "patches",
                    json!({ "target": { "kind": "Ingress", "name": ingress.name }, "patch": patch }),
                );
            }
            other => {
                let hint = crate::compose::parse::did_you_mean(other, OVERLAY_KEYS)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(Error::invalid(
                    &e.key_loc,
                    format!(
                        "{path}: unknown overlay setting `{other}`{hint} (expected {})",
                        OVERLAY_KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    if c.len() > 1 {
        let spec = nest(
            pod_spec_path(&workload.kind).unwrap_or(&[]),
            json!({ "containers": [J::Object(c)] }),
        );
        let api = workload.api_version.clone();
        let patch = json!({
            "apiVersion": api,
            "kind": workload.kind,
            "metadata": { "name": workload.name },
            "spec": spec,
        });
        push(
            k,
            "patches",
            json!({ "patch": crate::yaml::emit::to_document(&patch) }),
        );
    }
    Ok(())
}
