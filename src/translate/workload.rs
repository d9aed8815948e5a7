//! Workload kinds: Deployment (default), DaemonSet (`deploy.mode: global`), StatefulSet (on
//! request), Job (`restart: "no"` / `on-failure`, `deploy.restart_policy`), CronJob (a
//! schedule). Rollout settings: `deploy.update_config`, `rollback_config`.

use super::pod::key;
use super::settings::Settings;
use super::{labels, Ctx, Object};
use crate::compose::xferry::WorkloadKind;
use crate::compose::{Restart, Service};
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};

/// What a service becomes, decided before its pod is built (storage depends on it).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub kind: WorkloadKind,
    /// For Jobs and CronJobs: `Never` or `OnFailure`.
    pub restart_policy: &'static str,
    pub backoff_limit: Option<u32>,
    pub replicas: u32,
}

fn job_policy(svc: &Service) -> Option<(&'static str, Option<u32>)> {
    if let Some(rp) = &svc.deploy.restart_policy {
        let attempts = rp.max_attempts.as_ref().map(|m| m.value);
        return match rp.condition.as_ref().map(|c| c.value.as_str()) {
            Some("none") => Some(("Never", Some(0))),
            Some("on-failure") => Some(("OnFailure", attempts)),
            Some(_) => None,
            None => match svc.restart.as_ref().map(|r| &r.value) {
                Some(Restart::No) => Some(("Never", Some(0))),
                Some(Restart::OnFailure(n)) => Some(("OnFailure", attempts.or(*n))),
                _ => None,
            },
        };
    }
    match svc.restart.as_ref().map(|r| &r.value) {
        Some(Restart::No) => Some(("Never", Some(0))),
        Some(Restart::OnFailure(n)) => Some(("OnFailure", *n)),
        _ => None,
    }
}

fn replicas(svc: &Service) -> u32 {
    match (&svc.replicas, &svc.scale) {
        (Some(r), _) => r.value,
        (None, Some(s)) => s.value,
        (None, None) => 1,
    }
}

pub fn plan(svc: &Service, settings: &Settings) -> Plan {
    let job = job_policy(svc);
    let mode = svc.deploy.mode.as_ref().map(|m| m.value.as_str());
    let kind = if let Some((k, _)) = &settings.kind {
        k.value
    } else if settings.schedule.is_some() {
        WorkloadKind::CronJob
    } else if mode == Some("global") {
        WorkloadKind::DaemonSet
    } else if matches!(mode, Some("replicated-job" | "global-job")) || job.is_some() {
        WorkloadKind::Job
    } else {
        WorkloadKind::Deployment
    };
    let (restart_policy, backoff) = job.unwrap_or(("OnFailure", None));
    let backoff_limit = settings
        .cron_backoff_limit
        .as_ref()
        .map(|(b, _)| b.value)
        .or(backoff);
    Plan {
        kind,
        restart_policy,
        backoff_limit,
        replicas: replicas(svc),
    }
}

/// Report the keys that decided the kind.
fn report_kind(svc: &Service, settings: &Settings, plan: &Plan, name: &str, report: &mut Report) {
    let kind = plan.kind.as_str();
    let obj = format!("{kind}/{name}");
    let is_job = matches!(plan.kind, WorkloadKind::Job | WorkloadKind::CronJob);
    if let Some((k, kp)) = &settings.kind {
        report.converted(Some(&k.loc), kp.clone(), obj.clone());
    }
    if let Some((s, kp)) = &settings.schedule {
        if plan.kind == WorkloadKind::CronJob {
            report.converted(Some(&s.loc), kp.clone(), format!("{obj} schedule"));
        } else {
            report.not_converted(
                Some(&s.loc),
                kp.clone(),
                format!("a schedule needs a CronJob, but the service is a {kind}"),
            );
        }
    }
    if let Some((c, kp)) = &settings.concurrency_policy {
        if plan.kind == WorkloadKind::CronJob {
            report.converted(Some(&c.loc), kp.clone(), format!("{obj} concurrencyPolicy"));
        } else {
            report.not_converted(Some(&c.loc), kp.clone(), "applies to CronJobs only");
        }
    }
    if let Some((b, kp)) = &settings.cron_backoff_limit {
        if is_job {
            report.converted(Some(&b.loc), kp.clone(), format!("{obj} backoffLimit"));
        } else {
            report.not_converted(
                Some(&b.loc),
                kp.clone(),
                "applies to CronJobs and Jobs only",
            );
        }
    }
    if let Some(r) = &svc.restart {
        let k = key(svc, "restart");
        match (&r.value, is_job) {
            (Restart::No, true) => report.converted(
                Some(&r.loc),
                k,
                format!("{obj} (restartPolicy: Never)"),
            ),
            (Restart::OnFailure(_), true) => report.converted(
                Some(&r.loc),
                k,
                format!("{obj} (restartPolicy: OnFailure, backoffLimit)"),
            ),
            (Restart::Always | Restart::UnlessStopped, false) => report.converted(
                Some(&r.loc),
                k,
                format!("{obj}: Kubernetes restarts its pods always"),
            ),
            (Restart::Always | Restart::UnlessStopped, true) => report.warn(
                Some(&r.loc),
                k,
                format!("the service is a {kind}, which runs to completion; a failed pod is retried (restartPolicy: {})", plan.restart_policy),
            ),
            (_, false) => report.warn(
                Some(&r.loc),
                k,
                format!("the service is a {kind}, whose pods Kubernetes always restarts"),
            ),
        }
    }
    if let Some(m) = &svc.deploy.mode {
        let k = key(svc, "deploy.mode");
        match (m.value.as_str(), plan.kind) {
            ("global", WorkloadKind::DaemonSet) => {
                report.converted(Some(&m.loc), k, format!("{obj}: one pod on every node"))
            }
            ("replicated", _) => report.converted(Some(&m.loc), k, obj.clone()),
            ("replicated-job", WorkloadKind::Job) => report.converted(Some(&m.loc), k, obj.clone()),
            ("global-job", WorkloadKind::Job) => report.not_converted(
                Some(&m.loc),
                k,
                "a Job runs its pods wherever there is room, not once on every node",
            ),
            (v, _) => report.warn(
                Some(&m.loc),
                k,
                format!("`{v}`, but the service is a {kind} (set by x-ferry or a label)"),
            ),
        }
    }
    if let Some(rp) = &svc.deploy.restart_policy {
        let k = key(svc, "deploy.restart_policy");
        if let Some(c) = &rp.condition {
            let what = match (c.value.as_str(), is_job) {
                ("any", false) | ("on-failure" | "none", true) => None,
                _ => Some(format!("the service is a {kind}")),
            };
            match what {
                None => report.converted(Some(&c.loc), format!("{k}.condition"), obj.clone()),
                Some(why) => report.warn(Some(&c.loc), format!("{k}.condition"), why),
            }
        }
        if let Some(m) = &rp.max_attempts {
            if is_job {
                report.converted(
                    Some(&m.loc),
                    format!("{k}.max_attempts"),
                    format!("{obj} backoffLimit"),
                );
            } else {
                report.not_converted(
                    Some(&m.loc),
                    format!("{k}.max_attempts"),
                    format!("a {kind} restarts its pods without limit"),
                );
            }
        }
        for (what, loc) in [("delay", &rp.delay), ("window", &rp.window)] {
            if let Some(l) = loc {
                report.not_converted(
                    Some(l),
                    format!("{k}.{what}"),
                    "Kubernetes restarts failed containers with its own back-off (10s doubling to 5 minutes)",
                );
            }
        }
    }
}

/// `deploy.update_config` → RollingUpdate; a claim without it → Recreate.
fn deployment_strategy(
    svc: &Service,
    uses_claim: bool,
    spec: &mut Map<String, Value>,
    report: &mut Report,
) {
    let k = key(svc, "deploy.update_config");
    if let Some(u) = &svc.deploy.update_config {
        let n = u.parallelism.unwrap_or(1);
        let amount = if n == 0 { json!("100%") } else { json!(n) };
        let start_first = u.order.as_ref().is_some_and(|o| o.value == "start-first");
        let (surge, unavailable) = if start_first {
            (amount, json!(0))
        } else {
            (json!(0), amount)
        };
        spec.insert(
            "strategy".into(),
            json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": surge, "maxUnavailable": unavailable } }),
        );
        report.converted(
            Some(&u.loc),
            k.clone(),
            format!(
                "strategy RollingUpdate ({} {} at a time)",
                if start_first {
                    "start-first: maxSurge"
                } else {
                    "stop-first: maxUnavailable"
                },
                if n == 0 {
                    "all".to_string()
                } else {
                    n.to_string()
                }
            ),
        );
        if start_first && uses_claim {
            report.warn(
                Some(&u.loc),
                k.clone(),
                "start-first with a ReadWriteOnce claim: the new pod waits for the old one to let go of the volume unless both run on one node",
            );
        }
        if let Some(m) = &u.monitor_ms {
            spec.insert("minReadySeconds".into(), json!(m.value.div_ceil(1000)));
            report.converted(
                Some(&m.loc),
                format!("{k}.monitor"),
                "minReadySeconds: a new pod must stay ready this long before the rollout goes on",
            );
        }
        if let Some(d) = &u.delay {
            report.not_converted(
                Some(d),
                format!("{k}.delay"),
                "Kubernetes paces a rollout by readiness (and minReadySeconds), not by a fixed delay",
            );
        }
        if let Some(a) = &u.failure_action {
            match a.value.as_str() {
                "pause" => report.converted(
                    Some(&a.loc),
                    format!("{k}.failure_action"),
                    "a failing rollout stops (progressDeadlineSeconds), as Kubernetes does",
                ),
                "rollback" => report.not_converted(
                    Some(&a.loc),
                    format!("{k}.failure_action"),
                    "Kubernetes does not roll back by itself; run `kubectl rollout undo` (revisionHistoryLimit keeps the old versions)",
                ),
                _ => report.not_converted(
                    Some(&a.loc),
                    format!("{k}.failure_action"),
                    "a Kubernetes rollout does not go on past pods that fail",
                ),
            }
        }
        if let Some(l) = &u.max_failure_ratio {
            report.not_converted(
                Some(l),
                format!("{k}.max_failure_ratio"),
                "Kubernetes has no failure ratio; a rollout stops at the first pods that do not become ready",
            );
        }
    } else if uses_claim {
        // A ReadWriteOnce claim can be mounted on one node only: a rolling update would wait
        // forever for the new pod. Recreate stops the old pod first.
        spec.insert("strategy".into(), json!({ "type": "Recreate" }));
    }
    revision_history(
        svc,
        spec,
        report,
        ", so `kubectl rollout undo` can go back; a rollback runs like any rollout",
    );
}

/// Old versions kept for `kubectl rollout undo`.
pub const REVISION_HISTORY: u32 = 10;

/// `revisionHistoryLimit` when the service sets rollout settings, and the report entry for
/// `deploy.rollback_config` (`note` ends the message).
fn revision_history(svc: &Service, spec: &mut Map<String, Value>, report: &mut Report, note: &str) {
    if svc.deploy.update_config.is_some() || svc.deploy.rollback_config.is_some() {
        spec.insert("revisionHistoryLimit".into(), json!(REVISION_HISTORY));
    }
    if let Some(l) = &svc.deploy.rollback_config {
        report.converted(
            Some(l),
            key(svc, "deploy.rollback_config"),
            format!("revisionHistoryLimit: {REVISION_HISTORY}{note}"),
        );
    }
}

/// Workload labels: ferry's plus `deploy.labels` that are valid Kubernetes labels.
fn workload_labels(ctx: &Ctx<'_>, svc: &Service, report: &mut Report) -> Map<String, Value> {
    let mut m = labels(ctx.project, Some(&svc.name));
    for kv in &svc.deploy.labels {
        let k = format!("services.{}.deploy.labels.{}", svc.name, kv.key);
        if m.contains_key(&kv.key) {
            report.not_converted(Some(&kv.loc), k, "ferry sets this label itself");
        } else if super::valid_qualified_name(&kv.key) && super::valid_label_value(&kv.value) {
            m.insert(kv.key.clone(), json!(kv.value));
            report.converted(Some(&kv.loc), k, "label on the workload");
        } else {
            report.not_converted(
                Some(&kv.loc),
                k,
                "not a valid Kubernetes label (key `[prefix/]name`, value up to 63 letters, digits, `-`, `_`, `.`)",
            );
        }
    }
    m
}

/// The whole workload object around a finished pod spec.
#[allow(clippy::too_many_arguments)]
pub fn workload(
    ctx: &Ctx<'_>,
    svc: &Service,
    settings: &Settings,
    plan: &Plan,
    template: Value,
    uses_claim: bool,
    claim_templates: Vec<Value>,
    autoscaled: bool,
    report: &mut Report,
) -> Object {
    let name = names::dns_label(&svc.name);
    report_kind(svc, settings, plan, &name, report);
    let kind = plan.kind.as_str();
    let replicas = plan.replicas;
    // `scale` and `deploy.replicas` agree when both are set: the loader refuses distinct
    // values, as docker compose does.
    let replica_keys: Vec<(String, crate::error::Location)> = svc
        .replicas
        .iter()
        .map(|r| (key(svc, "deploy.replicas"), r.loc.clone()))
        .chain(svc.scale.iter().map(|s| (key(svc, "scale"), s.loc.clone())))
        .collect();
    for (k, loc) in &replica_keys {
        match plan.kind {
            WorkloadKind::DaemonSet => report.not_converted(
                Some(loc),
                k.clone(),
                "a DaemonSet runs one pod on every node",
            ),
            WorkloadKind::Job | WorkloadKind::CronJob => {
                report.converted(Some(loc), k.clone(), "Job parallelism and completions")
            }
            _ if autoscaled => report.converted(
                Some(loc),
                k.clone(),
                "left to the HorizontalPodAutoscaler (replicas is not set, so `kubectl apply` does not undo its scaling)",
            ),
            _ => report.converted(Some(loc), k.clone(), format!("{kind} replicas")),
        }
    }
    let mut md = Map::new();
    md.insert("name".into(), json!(name));
    md.insert(
        "labels".into(),
        Value::Object(workload_labels(ctx, svc, report)),
    );
    if let Some(ann) = template.pointer("/metadata/annotations") {
        md.insert("annotations".into(), ann.clone());
    }
    ctx.namespace_into(&mut md);
    let selector = json!({ "matchLabels": super::selector(ctx.project, &svc.name) });
    let mut spec = Map::new();
    let (api, body) = match plan.kind {
        WorkloadKind::Deployment => {
            if !autoscaled {
                spec.insert("replicas".into(), json!(replicas));
            }
            spec.insert("selector".into(), selector);
            deployment_strategy(svc, uses_claim, &mut spec, report);
            spec.insert("template".into(), template);
            ("apps/v1", spec)
        }
        WorkloadKind::StatefulSet => {
            spec.insert(
                "serviceName".into(),
                json!(super::service::headless_name(ctx, svc)),
            );
            if !autoscaled {
                spec.insert("replicas".into(), json!(replicas));
            }
            // Compose starts every replica at once.
            spec.insert("podManagementPolicy".into(), json!("Parallel"));
            spec.insert("selector".into(), selector);
            if let Some(u) = &svc.deploy.update_config {
                report.converted(
                    Some(&u.loc),
                    key(svc, "deploy.update_config"),
                    "updateStrategy RollingUpdate (a StatefulSet replaces its pods one at a time)",
                );
            }
            revision_history(
                svc,
                &mut spec,
                report,
                ", so `kubectl rollout undo` can go back",
            );
            spec.insert("template".into(), template);
            if !claim_templates.is_empty() {
                spec.insert("volumeClaimTemplates".into(), Value::Array(claim_templates));
            }
            ("apps/v1", spec)
        }
        WorkloadKind::DaemonSet => {
            spec.insert("selector".into(), selector);
            if let Some(u) = &svc.deploy.update_config {
                let n = u.parallelism.unwrap_or(1);
                spec.insert(
                    "updateStrategy".into(),
                    json!({ "type": "RollingUpdate", "rollingUpdate": {
                        "maxUnavailable": if n == 0 { json!("100%") } else { json!(n) }
                    }}),
                );
                report.converted(
                    Some(&u.loc),
                    key(svc, "deploy.update_config"),
                    "updateStrategy RollingUpdate maxUnavailable",
                );
            }
            revision_history(svc, &mut spec, report, "");
            spec.insert("template".into(), template);
            ("apps/v1", spec)
        }
        WorkloadKind::Job => {
            if replicas > 1 {
                spec.insert("parallelism".into(), json!(replicas));
                spec.insert("completions".into(), json!(replicas));
            }
            spec.insert(
                "backoffLimit".into(),
                json!(plan.backoff_limit.unwrap_or(6)),
            );
            spec.insert("template".into(), template);
            report_rollout_ignored(svc, kind, report);
            ("batch/v1", spec)
        }
        WorkloadKind::CronJob => {
            let schedule = settings
                .schedule
                .as_ref()
                .map(|(s, _)| s.value.clone())
                .unwrap_or_else(|| "@daily".into());
            if settings.schedule.is_none() {
                if let Some((k, kp)) = &settings.kind {
                    report.warn(
                        Some(&k.loc),
                        kp.clone(),
                        "a CronJob without a schedule runs `@daily`; give `x-ferry: {schedule: …}`",
                    );
                }
            }
            spec.insert("schedule".into(), json!(schedule));
            if let Some((c, _)) = &settings.concurrency_policy {
                spec.insert("concurrencyPolicy".into(), json!(c.value));
            }
            let mut job = Map::new();
            if replicas > 1 {
                job.insert("parallelism".into(), json!(replicas));
                job.insert("completions".into(), json!(replicas));
            }
            if let Some(b) = plan.backoff_limit {
                job.insert("backoffLimit".into(), json!(b));
            }
            job.insert("template".into(), template);
            spec.insert(
                "jobTemplate".into(),
                super::object([("spec", Value::Object(job))]),
            );
            report_rollout_ignored(svc, kind, report);
            ("batch/v1", spec)
        }
    };
    Object {
        kind: kind.into(),
        name: name.clone(),
        value: std::sync::Arc::new(super::object([
            ("apiVersion", json!(api)),
            ("kind", json!(kind)),
            ("metadata", Value::Object(md)),
            ("spec", Value::Object(body)),
        ])),
        service: Some(svc.name.clone()),
        origin: format!("services.{}", svc.name),
    }
}

fn report_rollout_ignored(svc: &Service, kind: &str, report: &mut Report) {
    if let Some(u) = &svc.deploy.update_config {
        report.ignored(
            Some(&u.loc),
            key(svc, "deploy.update_config"),
            format!("a {kind} is not rolled out; each run uses the current pod template"),
        );
    }
    if let Some(l) = &svc.deploy.rollback_config {
        report.ignored(
            Some(l),
            key(svc, "deploy.rollback_config"),
            format!("a {kind} is not rolled out"),
        );
    }
}

/// The pod template's metadata.
pub fn template_metadata(
    ctx: &Ctx<'_>,
    svc: &Service,
    annotations: Map<String, Value>,
    extra_labels: Map<String, Value>,
) -> Value {
    let mut md = Map::new();
    let mut l = labels(ctx.project, Some(&svc.name));
    l.extend(extra_labels);
    md.insert("labels".into(), Value::Object(l));
    if !annotations.is_empty() {
        md.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(md)
}

#[cfg(test)]
mod tests {
    use super::super::pod::escape_dollars;

    #[test]
    fn dollars_are_doubled_for_kubernetes() {
        assert_eq!(escape_dollars("$(HOME) $$ a$b"), "$$(HOME) $$$$ a$$b");
    }
}
