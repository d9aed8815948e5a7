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

/// What one service changes in one overlay (`x-ferry: {overlays: {<name>: …}}`), read and checked
/// once: the kustomize patches and the Helm values files are both made from it.
#[derive(Debug, Clone, Default)]
pub struct ServiceSettings {
    pub service: String,
    /// The workload it changes (kind, name, apiVersion).
    pub workload: Option<Made>,
    pub replicas: Option<u32>,
    pub image: Option<String>,
    /// `limits` / `requests`, as Kubernetes quantities.
    pub resources: Option<Map<String, J>>,
    /// Variables as compose sets them.
    pub env: Vec<(String, String)>,
    pub ingress_host: Option<String>,
    /// The Ingress it changes, or under `--expose gateway` the HTTP route (kind, name): the
    /// first, which the first host of the ingress settings made.
    pub ingress: Option<(String, String)>,
}

/// Each requested overlay's settings, per service, in compose order.
pub fn settings(
    project: &Project,
    objects: &[Made],
    requested: &[String],
    report: &mut Report,
) -> Result<Vec<(String, Vec<ServiceSettings>)>> {
    let mut out: Vec<(String, Vec<ServiceSettings>)> =
        requested.iter().map(|n| (n.clone(), Vec::new())).collect();
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
            match service_settings(
                objects,
                svc,
                &format!("{base}.{oname}"),
                &entry.value,
                report,
            ) {
                Ok(s) => out[i].1.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    Ok(out)
}

/// Build each requested overlay's kustomization (everything but `resources`).
pub fn overlays(
    project: &Project,
    objects: &[Made],
    requested: &[String],
    report: &mut Report,
) -> Result<Vec<(String, J)>> {
    Ok(settings(project, objects, requested, report)?
        .into_iter()
        .map(|(name, services)| {
            let mut k = Map::new();
            for s in &services {
                kustomize_patches(s, &mut k);
            }
            (name, J::Object(k))
        })
        .collect())
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

/// One service's settings as kustomize `replicas` and `patches`.
fn kustomize_patches(s: &ServiceSettings, k: &mut Map<String, J>) {
    let Some(workload) = &s.workload else { return };
    if let Some(n) = s.replicas {
        push(k, "replicas", json!({ "name": workload.name, "count": n }));
    }
    let mut c = Map::new();
    c.insert("name".into(), json!(names::dns_label(&s.service)));
    if let Some(img) = &s.image {
        c.insert("image".into(), json!(img));
    }
    if let Some(res) = &s.resources {
        c.insert("resources".into(), J::Object(res.clone()));
    }
    if !s.env.is_empty() {
        let list: Vec<J> = s
            .env
            .iter()
            .map(|(name, value)| {
                json!({ "name": name, "value": crate::translate::escape_dollars(value) })
            })
            .collect();
        c.insert("env".into(), J::Array(list));
    }
    if let (Some(host), Some((kind, name))) = (&s.ingress_host, &s.ingress) {
        let op = match kind.as_str() {
            "Ingress" => json!({ "op": "replace", "path": "/spec/rules/0/host", "value": host }),
            _ => json!({ "op": "add", "path": "/spec/hostnames", "value": [host] }),
        };
        let patch = crate::yaml::emit::to_document(&json!([op]));
        push(
            k,
            "patches",
            json!({ "target": { "kind": kind, "name": name }, "patch": patch }),
        );
    }
    if c.len() > 1 {
        let spec = nest(
            pod_spec_path(&workload.kind).unwrap_or(&[]),
            json!({ "containers": [J::Object(c)] }),
        );
        let patch = json!({
            "apiVersion": workload.api_version,
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
}

fn service_settings(
    objects: &[Made],
    svc: &Service,
    path: &str,
    node: &Node,
    report: &mut Report,
) -> Result<ServiceSettings> {
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
    let mut out = ServiceSettings {
        service: svc.name.clone(),
        workload: Some(workload.clone()),
        ..ServiceSettings::default()
    };
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
                out.replicas = Some(n);
            }
            "image" => {
                let img = text(v).ok_or_else(|| {
                    Error::invalid(&v.loc, format!("{kp}: expected an image reference"))
                })?;
                out.image = Some(img);
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
                out.resources = Some(res);
            }
            "env" => {
                let Some(em) = v.as_map() else {
                    return Err(Error::invalid(
                        &v.loc,
                        format!("{kp}: expected a mapping of variables"),
                    ));
                };
                out.env = em
                    .iter()
                    .map(|(name, ev)| (name.clone(), text(&ev.value).unwrap_or_default()))
                    .collect();
            }
            "ingress" => {
                let host = v
                    .get("host")
                    .and_then(text)
                    .ok_or_else(|| Error::invalid(&v.loc, format!("{kp}: expected `host`")))?;
                let of_service = |kind: &str| {
                    objects
                        .iter()
                        .find(|o| o.kind == kind && o.service.as_deref() == Some(svc.name.as_str()))
                };
                let made = ["Ingress", "HTTPRoute", "GRPCRoute"]
                    .into_iter()
                    .find_map(of_service);
                let Some(made) = made else {
                    // Ingress settings that `expose: none` turned off: nothing to change.
                    if !svc.ferry.ingress.is_empty()
                        || svc.label("kompose.service.expose").is_some()
                    {
                        report.ignored(
                            Some(&v.loc),
                            kp.to_string(),
                            "the base has no Ingress or route for the service (`expose: none`)",
                        );
                        continue;
                    }
                    return Err(Error::invalid(
                        &v.loc,
                        format!(
                            "{kp}: the service has no Ingress or HTTP route in the base to change"
                        ),
                    ));
                };
                out.ingress_host = Some(host);
                out.ingress = Some((made.kind.clone(), made.name.clone()));
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
    Ok(out)
}
