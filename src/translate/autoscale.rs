//! HorizontalPodAutoscaler (autoscaling/v2) from `x-ferry: {autoscale: …}` or Kompose's
//! `kompose.hpa.*` labels.

use super::{Ctx, Object};
use crate::compose::xferry::{MemoryTarget, WorkloadKind};
use crate::compose::Service;
use crate::error::{Error, Report};
use crate::names;
use serde_json::json;

/// CPU utilization when neither CPU nor memory is given.
pub const DEFAULT_CPU_PERCENT: u32 = 80;

pub fn hpa(
    ctx: &Ctx<'_>,
    svc: &Service,
    kind: WorkloadKind,
    report: &mut Report,
    errors: &mut Vec<Error>,
) -> Option<Object> {
    let (a, k) = ctx.settings(&svc.name).autoscale.as_ref()?;
    if !matches!(kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet) {
        report.not_converted(
            Some(&a.loc),
            k.clone(),
            format!(
                "a {} cannot be scaled; autoscaling needs a Deployment or a StatefulSet",
                kind.as_str()
            ),
        );
        return None;
    }
    let name = names::dns_label(&svc.name);
    let replicas = svc
        .replicas
        .as_ref()
        .or(svc.scale.as_ref())
        .map(|r| r.value);
    let min = a.min.or(replicas).unwrap_or(1).max(1);
    let Some(max) = a.max else {
        errors.push(Error::invalid(
            &a.loc,
            format!("{k}: needs `max`, the most replicas the autoscaler may run"),
        ));
        return None;
    };
    if max < min {
        errors.push(Error::invalid(
            &a.loc,
            format!("{k}: `max` ({max}) is less than the minimum ({min})"),
        ));
        return None;
    }
    let cpu = match (a.cpu, &a.memory) {
        (None, None) => Some(DEFAULT_CPU_PERCENT),
        (c, _) => c,
    };
    let mut metrics = Vec::new();
    if let Some(c) = cpu {
        metrics.push(json!({ "type": "Resource", "resource": {
            "name": "cpu", "target": { "type": "Utilization", "averageUtilization": c } } }));
        if svc.resources.reservations.cpus.is_none() {
            report.warn(
                Some(&a.loc),
                k.clone(),
                "a CPU utilization target needs a CPU request: set `deploy.resources.reservations.cpus`, or the autoscaler cannot compute utilization",
            );
        }
    }
    match &a.memory {
        Some(MemoryTarget::Percent(p)) => {
            metrics.push(json!({ "type": "Resource", "resource": {
                "name": "memory", "target": { "type": "Utilization", "averageUtilization": p } } }));
            if svc.resources.reservations.memory.is_none() {
                report.warn(
                    Some(&a.loc),
                    k.clone(),
                    "a memory utilization target needs a memory request: set `deploy.resources.reservations.memory`",
                );
            }
        }
        Some(MemoryTarget::Quantity(q)) => {
            metrics.push(json!({ "type": "Resource", "resource": {
                "name": "memory", "target": { "type": "AverageValue", "averageValue": q } } }));
        }
        None => {}
    }
    let md = ctx.metadata(&name, Some(&svc.name));
    report.converted(
        Some(&a.loc),
        k.clone(),
        format!("HorizontalPodAutoscaler/{name}: {min} to {max} replicas"),
    );
    for kv in svc
        .labels
        .iter()
        .filter(|kv| kv.key.starts_with("kompose.hpa."))
    {
        report.converted(
            Some(&kv.loc),
            super::settings::label_key(svc, &kv.key),
            format!("HorizontalPodAutoscaler/{name}"),
        );
    }
    Some(Object {
        kind: "HorizontalPodAutoscaler".into(),
        name: name.clone(),
        value: std::sync::Arc::new(json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": md,
            "spec": {
                "scaleTargetRef": { "apiVersion": "apps/v1", "kind": kind.as_str(), "name": name },
                "minReplicas": min,
                "maxReplicas": max,
                "metrics": metrics,
            },
        })),
        service: Some(svc.name.clone()),
        origin: k.clone(),
    })
}
