//! Translate: the canonical compose [`Project`] to Kubernetes objects, plus a [`Report`] of every
//! key that did not become something in Kubernetes. One module per concern.

mod config;
mod service;
mod storage;
mod workload;

pub use workload::escape_dollars;

use crate::compose::{Project, Service};
use crate::error::{Error, Location, Report, Result};
use crate::names;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One Kubernetes object, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: String,
    pub name: String,
    /// The whole object, keys in kubectl's order.
    pub value: Value,
    /// The compose service it came from, if any (for templates).
    pub service: Option<String>,
    /// The compose key it was made from, to name both sides when two objects collide.
    pub origin: String,
}

/// Everything translate produces.
#[derive(Debug, Clone)]
pub struct Translation {
    pub objects: Vec<Object>,
    pub report: Report,
}

/// Options that change what translate produces.
#[derive(Debug, Clone, Default)]
pub struct TranslateOptions {}

/// `app.kubernetes.io/*` labels for a service's objects.
pub(crate) fn labels(project: &Project, service: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(s) = service {
        m.insert("app.kubernetes.io/name".into(), json!(names::dns_label(s)));
    }
    m.insert(
        "app.kubernetes.io/part-of".into(),
        json!(names::label_value(&project.name)),
    );
    m.insert("app.kubernetes.io/managed-by".into(), json!("ferry"));
    m
}

/// The labels a service's pods are selected by.
pub(crate) fn selector(project: &Project, service: &str) -> Map<String, Value> {
    let mut m = labels(project, Some(service));
    m.remove("app.kubernetes.io/managed-by");
    m
}

pub(crate) fn metadata(project: &Project, name: &str, service: Option<&str>) -> Value {
    json!({ "name": name, "labels": labels(project, service) })
}

/// Report keys a service has that this version does not convert.
fn report_skipped(svc: &Service, report: &mut Report) {
    for s in &svc.skipped {
        let why = match s.key.as_str() {
            "depends_on" => {
                "not needed on Kubernetes: pods start in any order, and a pod whose dependency is not up yet fails and is restarted until it answers"
            }
            _ => "not converted yet",
        };
        report.not_converted(
            Some(&s.loc),
            format!("services.{}.{}", svc.name, s.key),
            why,
        );
    }
}

/// Two compose names that become the same Kubernetes name are an error naming both.
fn check_collisions<'a>(
    what: &str,
    items: impl Iterator<Item = (&'a str, &'a Location)>,
) -> Vec<Error> {
    let mut seen: BTreeMap<String, (&str, &Location)> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, loc) in items {
        let k8s = names::dns_label(name);
        if let Some((first, first_loc)) = seen.get(&k8s) {
            errors.push(Error::invalid(
                loc,
                format!(
                    "{what} `{name}` and `{first}` (at {first_loc}) both become `{k8s}` in Kubernetes; rename one of them"
                ),
            ));
        } else {
            seen.insert(k8s, (name, loc));
        }
    }
    errors
}

pub fn translate(project: &Project, _opts: &TranslateOptions) -> Result<Translation> {
    let mut errors = check_collisions(
        "services",
        project.services.values().map(|s| (s.name.as_str(), &s.loc)),
    );
    errors.extend(check_collisions(
        "volumes",
        project.volumes.values().map(|v| (v.name.as_str(), &v.loc)),
    ));
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    let mut report = Report::default();
    let mut objects = Vec::new();
    for (key, loc) in &project.unconverted {
        report.not_converted(Some(loc), key.clone(), "not converted yet");
    }
    for v in project.volumes.values() {
        for s in &v.skipped {
            report.not_converted(
                Some(&s.loc),
                format!("volumes.{}.{}", v.name, s.key),
                "not converted yet",
            );
        }
    }
    objects.extend(storage::claims(project, &mut report));
    let mut errors = Vec::new();
    for svc in project.services.values() {
        let k8s_name = names::dns_label(&svc.name);
        if k8s_name != svc.name {
            report.warn(
                Some(&svc.loc),
                format!("services.{}", svc.name),
                format!(
                    "is named `{k8s_name}` in Kubernetes (`{}` is not a valid name there); other services must reach it as `{k8s_name}`",
                    svc.name
                ),
            );
        }
        report_skipped(svc, &mut report);
        let mut pod = workload::PodParts::default();
        if let Some(cm) = config::env_configmap(project, svc, &mut pod, &mut report) {
            objects.push(cm);
        }
        match storage::mounts(project, svc, &mut pod, &mut report) {
            Ok(extra) => objects.extend(extra),
            Err(e) => errors.push(e),
        }
        objects.push(workload::workload(project, svc, pod, &mut report));
        if let Some(s) = service::service(project, svc, &mut report) {
            objects.push(s);
        }
    }
    if let Some(e) = Error::from_many(errors) {
        return Err(e);
    }
    Ok(Translation { objects, report })
}
