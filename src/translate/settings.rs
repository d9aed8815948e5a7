//! Per-service settings compose cannot express: `x-ferry:` and Kompose's `kompose.*` labels,
//! resolved into one shape. When both say something, `x-ferry` wins (with a warning).

use crate::compose::xferry::{
    self, Autoscale, IngressSettings, MemoryTarget, ProbeHandler, ProbeSettings, ServiceSettings,
    ServiceType, Tls, WorkloadKind,
};
use crate::compose::{units, KeyValue, Located, Service};
use crate::error::{Error, Location, Report};

/// Kompose's labels, as its user guide lists them.
pub const KOMPOSE_LABELS: &[&str] = &[
    "kompose.controller.port.expose",
    "kompose.controller.type",
    "kompose.cronjob.backoff_limit",
    "kompose.cronjob.concurrency_policy",
    "kompose.cronjob.schedule",
    "kompose.hpa.cpu",
    "kompose.hpa.memory",
    "kompose.hpa.replicas.max",
    "kompose.hpa.replicas.min",
    "kompose.image-pull-policy",
    "kompose.image-pull-secret",
    "kompose.init.containers.command",
    "kompose.init.containers.image",
    "kompose.init.containers.name",
    "kompose.security-context.fsgroup",
    "kompose.service.external-traffic-policy",
    "kompose.service.expose",
    "kompose.service.expose.ingress-class-name",
    "kompose.service.expose.tls-secret",
    "kompose.service.group",
    "kompose.service.healthcheck.liveness.http_get_path",
    "kompose.service.healthcheck.liveness.http_get_port",
    "kompose.service.healthcheck.liveness.tcp_port",
    "kompose.service.healthcheck.readiness.disable",
    "kompose.service.healthcheck.readiness.http_get_path",
    "kompose.service.healthcheck.readiness.http_get_port",
    "kompose.service.healthcheck.readiness.interval",
    "kompose.service.healthcheck.readiness.retries",
    "kompose.service.healthcheck.readiness.start_period",
    "kompose.service.healthcheck.readiness.tcp_port",
    "kompose.service.healthcheck.readiness.test",
    "kompose.service.healthcheck.readiness.timeout",
    "kompose.service.name_override",
    "kompose.service.nodeport.port",
    "kompose.service.type",
    "kompose.serviceaccount-name",
    "kompose.volume.size",
    "kompose.volume.storage-class-name",
    "kompose.volume.subpath",
    "kompose.volume.type",
];

/// A readiness probe from Kompose's `readiness.*` labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadinessLabels {
    /// `test`: a command (exec).
    pub exec: Option<Vec<String>>,
    pub http: Option<(String, Option<u16>)>,
    pub tcp: Option<u16>,
    pub interval_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub retries: Option<u32>,
    pub start_period_ms: Option<u64>,
    pub loc: Option<Location>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitContainer {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub loc: Location,
}

/// Everything ferry reads from `x-ferry` and `kompose.*` labels for one service. Each field
/// remembers the compose key path it came from, for the report.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub kind: Option<(Located<WorkloadKind>, String)>,
    pub schedule: Option<(Located<String>, String)>,
    pub concurrency_policy: Option<(Located<String>, String)>,
    pub cron_backoff_limit: Option<(Located<u32>, String)>,
    pub service: ServiceSettings,
    /// Where the service settings came from (key path per setting).
    pub service_keys: Vec<String>,
    pub ingress: Vec<IngressSettings>,
    pub ingress_key: String,
    /// Replaces the healthcheck's command in the liveness (and readiness) probe.
    pub probe: Option<(ProbeSettings, String)>,
    pub readiness: Option<ReadinessLabels>,
    pub readiness_disabled: bool,
    pub wait_for: Option<Located<bool>>,
    pub autoscale: Option<(Autoscale, String)>,
    pub image_pull_secret: Option<Located<String>>,
    pub image_pull_policy: Option<Located<String>>,
    pub service_account: Option<Located<String>>,
    pub fs_group: Option<Located<i64>>,
    pub volume_size: Option<Located<String>>,
    pub storage_class: Option<Located<String>>,
    pub volume_subpath: Option<Located<String>>,
    /// `kompose.volume.type: emptyDir`.
    pub volumes_empty_dir: bool,
    pub init_container: Option<InitContainer>,
    /// `x-ferry: {group}`, else `kompose.service.group`, with its report key.
    pub group: Option<Located<String>>,
    pub group_key: String,
}

/// The report key of a label.
pub fn label_key(svc: &Service, label: &str) -> String {
    format!("services.{}.labels.{label}", svc.name)
}

fn xkey(svc: &Service, rest: &str) -> String {
    format!("services.{}.x-ferry.{rest}", svc.name)
}

struct Labels<'a> {
    svc: &'a Service,
    errors: Vec<Error>,
}

impl Labels<'_> {
    fn get(&self, key: &str) -> Option<&KeyValue> {
        self.svc.label(key)
    }

    fn bad(&mut self, kv: &KeyValue, expected: &str) {
        self.errors.push(Error::invalid(
            &kv.loc,
            format!(
                "services.{}.labels.{}: expected {expected}, found `{}`",
                self.svc.name, kv.key, kv.value
            ),
        ));
    }

    fn uint(&mut self, key: &str) -> Option<Located<u32>> {
        let kv = self.get(key)?.clone();
        match kv.value.trim().parse::<u32>() {
            Ok(n) => Some(Located::new(n, kv.loc)),
            Err(_) => {
                self.bad(&kv, "a whole number");
                None
            }
        }
    }

    fn port(&mut self, key: &str) -> Option<Located<u16>> {
        let kv = self.get(key)?.clone();
        match kv.value.trim().parse::<u16>() {
            Ok(n) if n > 0 => Some(Located::new(n, kv.loc)),
            _ => {
                self.bad(&kv, "a port number (1-65535)");
                None
            }
        }
    }

    fn duration(&mut self, key: &str) -> Option<u64> {
        let kv = self.get(key)?.clone();
        match units::parse_duration_ms(&kv.value) {
            Ok(ms) => Some(ms),
            Err(_) => {
                self.bad(&kv, "a duration such as `10s`");
                None
            }
        }
    }

    fn string(&self, key: &str) -> Option<Located<String>> {
        self.get(key)
            .map(|kv| Located::new(kv.value.trim().to_string(), kv.loc.clone()))
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        let kv = self.get(key)?.clone();
        match kv.value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" | "" => Some(false),
            _ => {
                self.bad(&kv, "true or false");
                None
            }
        }
    }
}

/// A Kompose command label: `CMD a b`, `CMD-SHELL cmd`, a JSON-style list, or a plain
/// command line.
pub fn command_label(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    let words: Vec<String> = if t.starts_with('[') && t.ends_with(']') {
        t[1..t.len() - 1]
            .split(',')
            .map(|w| w.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
            .filter(|w| !w.is_empty())
            .collect()
    } else {
        shlex::split(t)?
    };
    match words.split_first() {
        Some((first, rest)) if first == "CMD" => Some(rest.to_vec()),
        Some((first, rest)) if first == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")])
        }
        Some(_) => Some(words),
        None => None,
    }
}

/// Read `x-ferry` and the `kompose.*` labels of a service.
pub fn resolve(svc: &Service, report: &mut Report) -> Result<Settings, Vec<Error>> {
    let x = &svc.ferry;
    let mut l = Labels {
        svc,
        errors: Vec::new(),
    };
    let mut s = Settings::default();
    let both = |report: &mut Report, label: &str, xk: &str| {
        if let Some(kv) = svc.label(label) {
            report.warn(
                Some(&kv.loc),
                label_key(svc, label),
                format!("`x-ferry: {{{xk}: …}}` is set too and wins over this label"),
            );
        }
    };

    // Workload kind.
    if let Some(k) = &x.kind {
        both(report, "kompose.controller.type", "kind");
        s.kind = Some((k.clone(), xkey(svc, "kind")));
    } else if let Some(kv) = l.get("kompose.controller.type").cloned() {
        match WorkloadKind::parse(kv.value.trim()) {
            Some(k) => {
                s.kind = Some((
                    Located::new(k, kv.loc.clone()),
                    label_key(svc, "kompose.controller.type"),
                ))
            }
            None => l.bad(&kv, "deployment, daemonset or statefulset"),
        }
    }
    if let Some(sch) = &x.schedule {
        both(report, "kompose.cronjob.schedule", "schedule");
        s.schedule = Some((sch.clone(), xkey(svc, "schedule")));
    } else if let Some(kv) = l.get("kompose.cronjob.schedule").cloned() {
        if xferry::valid_schedule(&kv.value) {
            s.schedule = Some((
                Located::new(kv.value.trim().to_string(), kv.loc.clone()),
                label_key(svc, "kompose.cronjob.schedule"),
            ));
        } else {
            l.bad(&kv, "a cron schedule such as `*/5 * * * *`");
        }
    }
    if let Some(cp) = &x.concurrency_policy {
        both(
            report,
            "kompose.cronjob.concurrency_policy",
            "concurrencyPolicy",
        );
        s.concurrency_policy = Some((cp.clone(), xkey(svc, "concurrencyPolicy")));
    } else if let Some(kv) = l.get("kompose.cronjob.concurrency_policy").cloned() {
        match xferry::CONCURRENCY_POLICIES
            .iter()
            .find(|p| p.eq_ignore_ascii_case(kv.value.trim()))
        {
            Some(p) => {
                s.concurrency_policy = Some((
                    Located::new(p.to_string(), kv.loc.clone()),
                    label_key(svc, "kompose.cronjob.concurrency_policy"),
                ))
            }
            None => l.bad(&kv, "Allow, Forbid or Replace"),
        }
    }
    if let Some(b) = l.uint("kompose.cronjob.backoff_limit") {
        s.cron_backoff_limit = Some((b, label_key(svc, "kompose.cronjob.backoff_limit")));
    }

    // Service.
    s.service = x.service.clone();
    if s.service.type_.is_some() {
        s.service_keys.push(xkey(svc, "service.type"));
        both(report, "kompose.service.type", "service.type");
    } else if let Some(kv) = l.get("kompose.service.type").cloned() {
        match ServiceType::parse(kv.value.trim()) {
            Some(t) => {
                s.service.type_ = Some(Located::new(t, kv.loc.clone()));
                s.service_keys.push(label_key(svc, "kompose.service.type"));
            }
            None => l.bad(&kv, "nodeport, clusterip, loadbalancer or headless"),
        }
    }
    if s.service.node_port.is_some() {
        s.service_keys.push(xkey(svc, "service.nodePort"));
        both(report, "kompose.service.nodeport.port", "service.nodePort");
    } else if let Some(p) = l.port("kompose.service.nodeport.port") {
        s.service.node_port = Some(p);
        s.service_keys
            .push(label_key(svc, "kompose.service.nodeport.port"));
    }
    if s.service.external_traffic_policy.is_some() {
        s.service_keys
            .push(xkey(svc, "service.externalTrafficPolicy"));
        both(
            report,
            "kompose.service.external-traffic-policy",
            "service.externalTrafficPolicy",
        );
    } else if let Some(kv) = l.get("kompose.service.external-traffic-policy").cloned() {
        match kv.value.trim().to_ascii_lowercase().as_str() {
            "local" => {
                s.service.external_traffic_policy = Some(Located::new("Local".into(), kv.loc))
            }
            "cluster" => {
                s.service.external_traffic_policy = Some(Located::new("Cluster".into(), kv.loc))
            }
            _ => l.bad(&kv, "local or cluster"),
        }
        s.service_keys
            .push(label_key(svc, "kompose.service.external-traffic-policy"));
    }
    if !s.service.annotations.is_empty() {
        s.service_keys.push(xkey(svc, "service.annotations"));
    }
    if s.service.enabled.is_some() {
        s.service_keys.push(xkey(svc, "service.enabled"));
    }

    // Ingress.
    if !x.ingress.is_empty() {
        both(report, "kompose.service.expose", "ingress");
        s.ingress = x.ingress.clone();
        s.ingress_key = xkey(svc, "ingress");
    } else if let Some(kv) = l.get("kompose.service.expose").cloned() {
        let tls = svc
            .label("kompose.service.expose.tls-secret")
            .map(|t| match t.value.trim() {
                "true" => Tls::Default,
                name => Tls::Secret(name.to_string()),
            });
        let class = svc
            .label("kompose.service.expose.ingress-class-name")
            .map(|c| c.value.trim().to_string());
        for host in kv.value.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let (host, path) = match host.find('/') {
                Some(i) => (&host[..i], &host[i..]),
                None => (host, "/"),
            };
            let any_host = host == "true" || host.is_empty();
            if !any_host && !host.eq_ignore_ascii_case("false") {
                if let Err(why) = xferry::valid_host(host) {
                    l.errors.push(Error::invalid(
                        &kv.loc,
                        format!("services.{}.labels.kompose.service.expose: {why}", svc.name),
                    ));
                    continue;
                }
            }
            s.ingress.push(IngressSettings {
                host: (!any_host).then(|| host.to_string()),
                path: path.to_string(),
                path_type: "Prefix".into(),
                port: None,
                tls: tls.clone(),
                class_name: class.clone(),
                annotations: Vec::new(),
                loc: kv.loc.clone(),
            });
        }
        if kv.value.trim().eq_ignore_ascii_case("false") {
            s.ingress.clear();
        }
        s.ingress_key = label_key(svc, "kompose.service.expose");
    }
    for dep in [
        "kompose.service.expose.tls-secret",
        "kompose.service.expose.ingress-class-name",
    ] {
        if let Some(kv) = svc.label(dep) {
            if svc.label("kompose.service.expose").is_none() {
                report.not_converted(
                    Some(&kv.loc),
                    label_key(svc, dep),
                    "needs `kompose.service.expose` (the Ingress it configures); no Ingress is made",
                );
            } else if !x.ingress.is_empty() {
                report.warn(
                    Some(&kv.loc),
                    label_key(svc, dep),
                    "`x-ferry: {ingress: …}` is set too and wins over this label",
                );
            }
            // Otherwise `expose` reports it, with what it became (an Ingress's TLS or class, a
            // Gateway listener's certificate, or nothing under `none`).
        }
    }

    // Probes.
    if let Some(p) = &x.probe {
        s.probe = Some((p.clone(), xkey(svc, "probe")));
        for k in [
            "kompose.service.healthcheck.liveness.http_get_path",
            "kompose.service.healthcheck.liveness.tcp_port",
        ] {
            both(report, k, "probe");
        }
    } else {
        let path = l.string("kompose.service.healthcheck.liveness.http_get_path");
        let port = l.port("kompose.service.healthcheck.liveness.http_get_port");
        let tcp = l.port("kompose.service.healthcheck.liveness.tcp_port");
        let handler = match (path, port, tcp) {
            (Some(p), port, _) => Some((
                ProbeHandler::Http {
                    path: p.value,
                    port: port.map(|p| p.value),
                    scheme: None,
                },
                p.loc,
                "kompose.service.healthcheck.liveness.http_get_path",
            )),
            (None, Some(port), _) => Some((
                ProbeHandler::Http {
                    path: "/".into(),
                    port: Some(port.value),
                    scheme: None,
                },
                port.loc,
                "kompose.service.healthcheck.liveness.http_get_port",
            )),
            (None, None, Some(t)) => Some((
                ProbeHandler::Tcp(t.value),
                t.loc,
                "kompose.service.healthcheck.liveness.tcp_port",
            )),
            _ => None,
        };
        if let Some((handler, loc, key)) = handler {
            s.probe = Some((ProbeSettings { handler, loc }, label_key(svc, key)));
        }
    }
    let mut rl = ReadinessLabels::default();
    let pre = "kompose.service.healthcheck.readiness.";
    if let Some(t) = l.string(&format!("{pre}test")) {
        match command_label(&t.value) {
            Some(words) if !words.is_empty() => rl.exec = Some(words),
            _ => l.errors.push(Error::invalid(
                &t.loc,
                format!(
                    "services.{}.labels.{pre}test: cannot read `{}` as a command",
                    svc.name, t.value
                ),
            )),
        }
    }
    if let Some(p) = l.string(&format!("{pre}http_get_path")) {
        rl.http = Some((p.value, None));
    }
    if let Some(port) = l.port(&format!("{pre}http_get_port")) {
        let path = rl.http.take().map_or("/".to_string(), |(p, _)| p);
        rl.http = Some((path, Some(port.value)));
    }
    rl.tcp = l.port(&format!("{pre}tcp_port")).map(|p| p.value);
    rl.interval_ms = l.duration(&format!("{pre}interval"));
    rl.timeout_ms = l.duration(&format!("{pre}timeout"));
    rl.retries = l.uint(&format!("{pre}retries")).map(|r| r.value);
    rl.start_period_ms = l.duration(&format!("{pre}start_period"));
    s.readiness_disabled = l.boolean(&format!("{pre}disable")).unwrap_or(false);
    if rl != ReadinessLabels::default() {
        rl.loc = svc
            .labels
            .iter()
            .find(|kv| kv.key.starts_with(pre))
            .map(|kv| kv.loc.clone());
        s.readiness = Some(rl);
    }

    s.wait_for = x.wait_for.clone();

    // Autoscaling: Kompose's defaults when any of its labels is present (min 1, max 3,
    // CPU 50 %, memory 70 %), as Kompose does.
    if let Some(a) = &x.autoscale {
        s.autoscale = Some((a.clone(), xkey(svc, "autoscale")));
        for k in [
            "kompose.hpa.cpu",
            "kompose.hpa.memory",
            "kompose.hpa.replicas.min",
            "kompose.hpa.replicas.max",
        ] {
            both(report, k, "autoscale");
        }
    } else if let Some(first) = svc
        .labels
        .iter()
        .find(|kv| kv.key.starts_with("kompose.hpa."))
    {
        let loc = first.loc.clone();
        let min = l.uint("kompose.hpa.replicas.min").map_or(1, |v| v.value);
        let max = l.uint("kompose.hpa.replicas.max").map_or(3, |v| v.value);
        let cpu = match l.get("kompose.hpa.cpu").cloned() {
            Some(kv) => match xferry::percent(&kv.value) {
                Some(p) => Some(p),
                None => {
                    l.bad(&kv, "a CPU utilization percentage such as `80`");
                    None
                }
            },
            None => Some(50),
        };
        let memory = match l.get("kompose.hpa.memory").cloned() {
            Some(kv) => match xferry::memory_target(&kv.value) {
                Some(m) => Some(m),
                None => {
                    l.bad(
                        &kv,
                        "a memory utilization percentage such as `70`, or `512Mi`",
                    );
                    None
                }
            },
            None => Some(MemoryTarget::Percent(70)),
        };
        if max < min {
            l.errors.push(Error::invalid(
                &loc,
                format!(
                    "services.{}.labels: kompose.hpa.replicas.max ({max}) is less than kompose.hpa.replicas.min ({min})",
                    svc.name
                ),
            ));
        }
        s.autoscale = Some((
            Autoscale {
                min: Some(min),
                max: Some(max.max(1)),
                cpu,
                memory,
                loc,
            },
            format!("services.{}.labels.kompose.hpa", svc.name),
        ));
    }

    // Pod settings.
    s.image_pull_secret = l.string("kompose.image-pull-secret");
    if let Some(p) = l.get("kompose.image-pull-policy").cloned() {
        match ["Always", "Never", "IfNotPresent"]
            .iter()
            .find(|v| v.eq_ignore_ascii_case(p.value.trim()))
        {
            Some(v) => s.image_pull_policy = Some(Located::new(v.to_string(), p.loc)),
            None => l.bad(&p, "Always, Never or IfNotPresent"),
        }
    }
    s.service_account = l.string("kompose.serviceaccount-name");
    if let Some(kv) = l.get("kompose.security-context.fsgroup").cloned() {
        match kv.value.trim().parse::<i64>() {
            Ok(g) if g >= 0 => s.fs_group = Some(Located::new(g, kv.loc)),
            _ => l.bad(&kv, "a numeric group id"),
        }
    }
    if let Some(kv) = l.get("kompose.volume.size").cloned() {
        match xferry::storage_quantity(&kv.value) {
            Ok(q) => s.volume_size = Some(Located::new(q, kv.loc)),
            Err(_) => l.bad(&kv, "a size such as `1Gi`"),
        }
    }
    s.storage_class = l.string("kompose.volume.storage-class-name");
    s.volume_subpath = l.string("kompose.volume.subpath");
    if let Some(kv) = l.get("kompose.volume.type").cloned() {
        let k = label_key(svc, "kompose.volume.type");
        match kv.value.trim() {
            "persistentVolumeClaim" => report.converted(
                Some(&kv.loc),
                k,
                "PersistentVolumeClaims for the named volumes (ferry's default)",
            ),
            "emptyDir" => {
                s.volumes_empty_dir = true;
                report.converted(Some(&kv.loc), k, "emptyDir for the named volumes");
            }
            "configMap" | "hostPath" => report.not_converted(
                Some(&kv.loc),
                label_key(svc, "kompose.volume.type"),
                format!(
                    "`{}` volumes for named volumes are not made by ferry; named volumes become PersistentVolumeClaims (or `emptyDir`)",
                    kv.value.trim()
                ),
            ),
            _ => l.bad(&kv, "persistentVolumeClaim, emptyDir, configMap or hostPath"),
        }
    }
    if let Some(image) = l.string("kompose.init.containers.image") {
        let name = l
            .string("kompose.init.containers.name")
            .map_or_else(|| "init-service".to_string(), |n| n.value);
        let command = l
            .string("kompose.init.containers.command")
            .and_then(|c| command_label(&c.value))
            .unwrap_or_default();
        s.init_container = Some(InitContainer {
            name,
            image: image.value,
            command,
            loc: image.loc,
        });
    } else {
        for k in [
            "kompose.init.containers.name",
            "kompose.init.containers.command",
        ] {
            if let Some(kv) = svc.label(k) {
                report.not_converted(
                    Some(&kv.loc),
                    label_key(svc, k),
                    "needs `kompose.init.containers.image`; no init container is made",
                );
            }
        }
    }
    if let Some(g) = &x.group {
        both(report, "kompose.service.group", "group");
        s.group = Some(g.clone());
        s.group_key = xkey(svc, "group");
    } else {
        s.group = l.string("kompose.service.group");
        s.group_key = label_key(svc, "kompose.service.group");
    }
    for (k, why) in [
        (
            "kompose.controller.port.expose",
            "ferry does not bind container ports to node ports (hostPort); reach the service through its Service (`kompose.service.type: nodeport` or an Ingress)",
        ),
        (
            "kompose.service.name_override",
            "ferry names every object after the compose service, so that references agree; rename the service instead",
        ),
    ] {
        if let Some(kv) = svc.label(k) {
            report.not_converted(Some(&kv.loc), label_key(svc, k), why);
        }
    }
    // Unknown kompose labels are kept as annotations, with a hint.
    for kv in &svc.labels {
        if kv.key.starts_with("kompose.") && !KOMPOSE_LABELS.contains(&kv.key.as_str()) {
            let hint = crate::compose::parse::did_you_mean(&kv.key, KOMPOSE_LABELS)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            report.warn(
                Some(&kv.loc),
                label_key(svc, &kv.key),
                format!("not a label Kompose defines; kept as an annotation{hint}"),
            );
        }
    }
    if l.errors.is_empty() {
        Ok(s)
    } else {
        Err(l.errors)
    }
}

/// True for labels ferry consumes (they do not become annotations).
pub fn is_setting_label(key: &str) -> bool {
    KOMPOSE_LABELS.contains(&key)
}
