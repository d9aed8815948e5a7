//! Deployments and Jobs: the pod template and its one container.

use super::{labels, metadata, selector, Object};
use crate::compose::{units, HealthTest, Healthcheck, Project, ResourceSet, Restart, Service};
use crate::error::Report;
use crate::names;
use serde_json::{json, Map, Value};

/// What other modules contribute to the pod.
#[derive(Debug, Default)]
pub struct PodParts {
    pub volumes: Vec<Value>,
    pub mounts: Vec<Value>,
    pub env_from: Vec<Value>,
    /// Variables that must come before the service's own `environment`.
    pub env: Vec<Value>,
    /// The pod mounts a PersistentVolumeClaim (so rolling updates could deadlock on
    /// ReadWriteOnce volumes).
    pub uses_claim: bool,
}

/// Kubernetes expands `$(VAR)` in command, args and env values, and turns `$$` into `$`.
/// Doubling every `$` keeps compose's value byte for byte.
pub fn escape_dollars(s: &str) -> String {
    s.replace('$', "$$")
}

fn resources(limits: &ResourceSet, requests: &ResourceSet) -> Option<Value> {
    let set = |r: &ResourceSet| {
        let mut m = Map::new();
        if let Some(c) = &r.cpus {
            m.insert("cpu".into(), json!(c.value));
        }
        if let Some(mem) = &r.memory {
            m.insert("memory".into(), json!(mem.value));
        }
        m
    };
    let (l, q) = (set(limits), set(requests));
    let mut out = Map::new();
    if !l.is_empty() {
        out.insert("limits".into(), Value::Object(l));
    }
    if !q.is_empty() {
        out.insert("requests".into(), Value::Object(q));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Docker's healthcheck defaults: interval 30s, timeout 30s, retries 3.
fn probe(hc: &Healthcheck) -> Option<Value> {
    if hc.disabled {
        return None;
    }
    let command: Vec<String> = match hc.test.as_ref()? {
        HealthTest::Disabled => return None,
        HealthTest::Exec(args) => args.clone(),
        HealthTest::Shell(cmd) => vec!["/bin/sh".into(), "-c".into(), cmd.clone()],
    };
    let mut p = Map::new();
    p.insert("exec".into(), json!({ "command": command }));
    if let Some(ms) = hc.start_period_ms.filter(|&ms| ms > 0) {
        p.insert(
            "initialDelaySeconds".into(),
            json!(units::ms_to_secs(ms, 0)),
        );
    }
    p.insert(
        "periodSeconds".into(),
        json!(units::ms_to_secs(hc.interval_ms.unwrap_or(30_000), 1)),
    );
    p.insert(
        "timeoutSeconds".into(),
        json!(units::ms_to_secs(hc.timeout_ms.unwrap_or(30_000), 1)),
    );
    p.insert(
        "failureThreshold".into(),
        json!(hc.retries.unwrap_or(3).max(1)),
    );
    Some(Value::Object(p))
}

/// `user: "1000"` or `"1000:1000"` → runAsUser / runAsGroup. Names cannot be converted.
fn security_context(svc: &Service, report: &mut Report) -> Option<Value> {
    let user = svc.user.as_ref()?;
    let (u, g) = match user.value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user.value.as_str(), None),
    };
    let uid = u.parse::<i64>().ok();
    let gid = g.map(|g| g.parse::<i64>().ok());
    match (uid, gid) {
        (Some(uid), None) => Some(json!({ "runAsUser": uid })),
        (Some(uid), Some(Some(gid))) => Some(json!({ "runAsUser": uid, "runAsGroup": gid })),
        _ => {
            report.not_converted(
                Some(&user.loc),
                format!("services.{}.user", svc.name),
                format!(
                    "`{}` is a user name; Kubernetes needs numeric ids (`user: \"1000:1000\"`); the image's default user is used",
                    user.value
                ),
            );
            None
        }
    }
}

fn image(project: &Project, svc: &Service, report: &mut Report) -> String {
    match (&svc.image, &svc.build) {
        (Some(img), Some(b)) => {
            report.warn(
                Some(&b.loc),
                format!("services.{}.build", svc.name),
                format!(
                    "ferry does not build images; build and push `{}` before applying",
                    img.value
                ),
            );
            img.value.clone()
        }
        (Some(img), None) => img.value.clone(),
        (None, build) => {
            let name = format!("{}-{}", project.name, svc.name);
            report.warn(
                build.as_ref().map(|b| &b.loc),
                format!("services.{}.build", svc.name),
                format!(
                    "no `image` given; using `{name}`, the name docker compose gives the image it builds; build it, push it where the cluster can pull it, and set `image:`"
                ),
            );
            name
        }
    }
}

fn container(project: &Project, svc: &Service, pod: &mut PodParts, report: &mut Report) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(names::dns_label(&svc.name)));
    c.insert("image".into(), json!(image(project, svc, report)));
    let escape = |words: &[String]| words.iter().map(|w| escape_dollars(w)).collect::<Vec<_>>();
    if let Some(ep) = &svc.entrypoint {
        c.insert("command".into(), json!(escape(&ep.value)));
    }
    if let Some(cmd) = &svc.command {
        c.insert("args".into(), json!(escape(&cmd.value)));
    }
    if let Some(wd) = &svc.working_dir {
        c.insert("workingDir".into(), json!(wd.value));
    }
    let mut ports: Vec<(u16, &str)> = Vec::new();
    for p in svc.ports.iter().chain(&svc.expose) {
        let key = (p.target, p.protocol.as_k8s());
        if !ports.contains(&key) {
            ports.push(key);
        }
    }
    if !ports.is_empty() {
        let list: Vec<Value> = ports
            .iter()
            .map(|(port, proto)| json!({ "containerPort": port, "protocol": proto }))
            .collect();
        c.insert("ports".into(), Value::Array(list));
    }
    if !pod.env_from.is_empty() {
        c.insert(
            "envFrom".into(),
            Value::Array(std::mem::take(&mut pod.env_from)),
        );
    }
    let mut env = std::mem::take(&mut pod.env);
    for e in &svc.environment {
        if let Some(v) = &e.value {
            env.retain(|x| x["name"] != json!(e.name));
            env.push(json!({ "name": e.name, "value": escape_dollars(v) }));
        }
    }
    if !env.is_empty() {
        c.insert("env".into(), Value::Array(env));
    }
    if let Some(r) = resources(&svc.resources.limits, &svc.resources.reservations) {
        c.insert("resources".into(), r);
    }
    if !pod.mounts.is_empty() {
        c.insert(
            "volumeMounts".into(),
            Value::Array(std::mem::take(&mut pod.mounts)),
        );
    }
    if let Some(p) = svc.healthcheck.as_ref().and_then(probe) {
        c.insert("livenessProbe".into(), p.clone());
        c.insert("readinessProbe".into(), p);
    }
    Value::Object(c)
}

fn pod_spec(
    project: &Project,
    svc: &Service,
    mut pod: PodParts,
    restart_policy: Option<&str>,
    report: &mut Report,
) -> Value {
    let mut spec = Map::new();
    if let Some(h) = &svc.hostname {
        let label = names::dns_label(&h.value);
        if label != h.value {
            report.warn(
                Some(&h.loc),
                format!("services.{}.hostname", svc.name),
                format!("`{}` is not a valid pod hostname; using `{label}`", h.value),
            );
        }
        spec.insert("hostname".into(), json!(label));
    }
    if let Some(sc) = security_context(svc, report) {
        spec.insert("securityContext".into(), sc);
    }
    let c = container(project, svc, &mut pod, report);
    spec.insert("containers".into(), json!([c]));
    if let Some(rp) = restart_policy {
        spec.insert("restartPolicy".into(), json!(rp));
    }
    if !pod.volumes.is_empty() {
        spec.insert("volumes".into(), Value::Array(pod.volumes));
    }
    Value::Object(spec)
}

fn template_metadata(project: &Project, svc: &Service) -> Value {
    let mut md = Map::new();
    md.insert(
        "labels".into(),
        Value::Object(labels(project, Some(&svc.name))),
    );
    if !svc.labels.is_empty() {
        let ann: Map<String, Value> = svc
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        md.insert("annotations".into(), Value::Object(ann));
    }
    Value::Object(md)
}

/// A Deployment, or a Job for services that compose does not restart.
pub fn workload(project: &Project, svc: &Service, pod: PodParts, report: &mut Report) -> Object {
    let name = names::dns_label(&svc.name);
    if let Some(cn) = &svc.container_name {
        report.not_converted(
            Some(&cn.loc),
            format!("services.{}.container_name", svc.name),
            format!("Kubernetes names pods itself; the pods are labelled `app.kubernetes.io/name: {name}`"),
        );
    }
    let replicas = match (&svc.replicas, &svc.scale) {
        (Some(r), Some(s)) if r.value != s.value => {
            report.warn(
                Some(&s.loc),
                format!("services.{}.scale", svc.name),
                format!(
                    "`scale: {}` and `deploy.replicas: {}` differ; using deploy.replicas",
                    s.value, r.value
                ),
            );
            r.value
        }
        (Some(r), _) => r.value,
        (None, Some(s)) => s.value,
        (None, None) => 1,
    };
    let uses_claim = pod.uses_claim;
    let mut md = metadata(project, &name, Some(&svc.name));
    if !svc.labels.is_empty() {
        md["annotations"] = template_metadata(project, svc)["annotations"].clone();
    }
    let job_policy = match svc.restart.as_ref().map(|r| &r.value) {
        Some(Restart::No) => Some(("Never", 0)),
        Some(Restart::OnFailure(n)) => Some(("OnFailure", n.unwrap_or(6))),
        _ => None,
    };
    if let Some((policy, backoff)) = job_policy {
        let mut spec = Map::new();
        if replicas > 1 {
            spec.insert("parallelism".into(), json!(replicas));
            spec.insert("completions".into(), json!(replicas));
        }
        spec.insert("backoffLimit".into(), json!(backoff));
        spec.insert(
            "template".into(),
            json!({
                "metadata": template_metadata(project, svc),
                "spec": pod_spec(project, svc, pod, Some(policy), report),
            }),
        );
        return Object {
            kind: "Job".into(),
            name: name.clone(),
            value: json!({ "apiVersion": "batch/v1", "kind": "Job", "metadata": md, "spec": spec }),
            service: Some(svc.name.clone()),
            origin: format!("services.{}", svc.name),
        };
    }
    let mut spec = Map::new();
    spec.insert("replicas".into(), json!(replicas));
    spec.insert(
        "selector".into(),
        json!({ "matchLabels": selector(project, &svc.name) }),
    );
    if uses_claim {
        // A ReadWriteOnce claim can be mounted on one node only: a rolling update would wait
        // forever for the new pod. Recreate stops the old pod first.
        spec.insert("strategy".into(), json!({ "type": "Recreate" }));
    }
    spec.insert(
        "template".into(),
        json!({
            "metadata": template_metadata(project, svc),
            "spec": pod_spec(project, svc, pod, None, report),
        }),
    );
    Object {
        kind: "Deployment".into(),
        name: name.clone(),
        value: json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": md, "spec": spec }),
        service: Some(svc.name.clone()),
        origin: format!("services.{}", svc.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_doubled_for_kubernetes() {
        assert_eq!(escape_dollars("$(HOME) $$ a$b"), "$$(HOME) $$$$ a$$b");
    }
}
