//! Probes: the healthcheck's command (exec), or an HTTP/TCP check from `x-ferry: {probe: …}` or
//! Kompose's `kompose.service.healthcheck.*` labels. `start_period` becomes a startupProbe.

use super::pod::key;
use super::settings::Settings;
use super::Ctx;
use crate::compose::xferry::ProbeHandler;
use crate::compose::{units, HealthTest, Service};
use crate::error::Report;
use serde_json::{json, Map, Value};

#[derive(Debug, Default)]
pub struct Probes {
    pub liveness: Option<Value>,
    pub readiness: Option<Value>,
    pub startup: Option<Value>,
}

/// Docker's defaults: interval 30s, timeout 30s, retries 3, start interval 5s.
struct Timing {
    period: u64,
    timeout: u64,
    failures: u32,
    start_period_ms: u64,
    start_interval: u64,
}

fn handler_value(
    h: &ProbeHandler,
    ports: &[(u16, &str)],
    svc: &Service,
    key_path: &str,
    loc: &crate::error::Location,
    report: &mut Report,
) -> Option<Value> {
    let tcp_ports: Vec<u16> = ports
        .iter()
        .filter(|(_, p)| *p == "TCP")
        .map(|(n, _)| *n)
        .collect();
    match h {
        ProbeHandler::Http { path, port, scheme } => {
            let port = match port {
                Some(p) => *p,
                None => match tcp_ports.as_slice() {
                    [one] => *one,
                    [] => {
                        report.not_converted(
                            Some(loc),
                            key_path.to_string(),
                            format!("services.{}: an HTTP probe needs a port; the service has none (give `port`)", svc.name),
                        );
                        return None;
                    }
                    many => {
                        report.not_converted(
                            Some(loc),
                            key_path.to_string(),
                            format!(
                                "the service listens on several ports ({}); say which one the probe uses with `port`",
                                many.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                            ),
                        );
                        return None;
                    }
                },
            };
            let mut g = Map::new();
            g.insert("path".into(), json!(path));
            g.insert("port".into(), json!(port));
            if let Some(s) = scheme {
                g.insert("scheme".into(), json!(s));
            }
            Some(json!({ "httpGet": g }))
        }
        ProbeHandler::Tcp(port) => Some(json!({ "tcpSocket": { "port": port } })),
    }
}

/// The healthcheck's command as an exec handler, renamed hosts rewritten (see `hosts`).
fn exec(
    ctx: &Ctx<'_>,
    test: &HealthTest,
    loc: &crate::error::Location,
    k: &str,
    report: &mut Report,
) -> Option<Value> {
    let mut command: Vec<String> = match test {
        HealthTest::Disabled => return None,
        HealthTest::Exec(args) => args.clone(),
        HealthTest::Shell(cmd) => vec!["/bin/sh".into(), "-c".into(), cmd.clone()],
    };
    if let Some(new) = super::hosts::command_reported(ctx, &command, loc, k, report) {
        command = new;
    }
    Some(json!({ "exec": { "command": command } }))
}

fn with_timing(handler: &Value, t: Option<&Timing>) -> Value {
    let mut p = handler.as_object().cloned().unwrap_or_default();
    if let Some(t) = t {
        p.insert("periodSeconds".into(), json!(t.period));
        p.insert("timeoutSeconds".into(), json!(t.timeout));
        p.insert("failureThreshold".into(), json!(t.failures));
    }
    Value::Object(p)
}

pub fn probes(
    ctx: &Ctx<'_>,
    svc: &Service,
    settings: &Settings,
    ports: &[(u16, &str)],
    report: &mut Report,
) -> Probes {
    let mut out = Probes::default();
    let hc = svc.healthcheck.as_ref();
    let hk = key(svc, "healthcheck");
    let disabled = hc.is_some_and(|h| h.disabled || h.test == Some(HealthTest::Disabled));
    let timing = hc.filter(|_| !disabled).map(|h| Timing {
        period: units::ms_to_secs(h.interval_ms.unwrap_or(30_000), 1),
        timeout: units::ms_to_secs(h.timeout_ms.unwrap_or(30_000), 1),
        failures: h.retries.unwrap_or(3).max(1),
        start_period_ms: h.start_period_ms.unwrap_or(0),
        start_interval: units::ms_to_secs(h.start_interval_ms.unwrap_or(5_000), 1),
    });
    // The check itself.
    let handler = match &settings.probe {
        Some((p, k)) => {
            let h = handler_value(&p.handler, ports, svc, k, &p.loc, report);
            if h.is_some() {
                let what = match &p.handler {
                    ProbeHandler::Http { .. } => "httpGet",
                    ProbeHandler::Tcp(_) => "tcpSocket",
                };
                report.converted(
                    Some(&p.loc),
                    k.clone(),
                    format!("{what} liveness and readiness probes"),
                );
                if let Some(h) = hc {
                    if h.test.is_some() && !disabled {
                        report.warn(
                            Some(&h.loc),
                            hk.clone(),
                            format!("the probes check {what} (set by {k}) instead of the healthcheck's command; its timing is kept"),
                        );
                    }
                }
                // Kompose's http_get_port alone, next to a path label, is part of the same probe.
                for extra in [
                    "kompose.service.healthcheck.liveness.http_get_port",
                    "kompose.service.healthcheck.liveness.http_get_path",
                ] {
                    let ek = super::settings::label_key(svc, extra);
                    if ek != *k {
                        if let Some(kv) = svc.label(extra) {
                            report.converted(Some(&kv.loc), ek, "httpGet probe");
                        }
                    }
                }
            }
            h
        }
        None if disabled => None,
        None => hc.and_then(|h| {
            h.test
                .as_ref()
                .and_then(|t| exec(ctx, t, &h.loc, &hk, report))
        }),
    };
    if let Some(h) = hc {
        if disabled {
            report.converted(
                Some(&h.loc),
                hk.clone(),
                "no probes (the healthcheck is disabled)",
            );
        } else if handler.is_some() {
            let startup = if timing.as_ref().is_some_and(|t| t.start_period_ms > 0) {
                "; start_period → startupProbe"
            } else {
                ""
            };
            report.converted(
                Some(&h.loc),
                hk.clone(),
                format!("liveness and readiness probes (interval → periodSeconds, timeout → timeoutSeconds, retries → failureThreshold){startup}"),
            );
        } else if h.test.is_none() && settings.probe.is_none() {
            report.not_converted(
                Some(&h.loc),
                hk.clone(),
                "the healthcheck has no `test` here (the image's HEALTHCHECK is not known to ferry); no probe is made",
            );
        }
    }
    let Some(handler) = handler else {
        out.readiness = readiness_from_labels(svc, settings, ports, report);
        return out;
    };
    out.liveness = Some(with_timing(&handler, timing.as_ref()));
    out.readiness = match readiness_from_labels(svc, settings, ports, report) {
        Some(r) => Some(r),
        None if settings.readiness_disabled => None,
        None => out.liveness.clone(),
    };
    // start_period: failures do not count while the container starts. A startupProbe holds
    // the other probes back until the first success, checking every start_interval, for at
    // most start_period (plus the retries compose would allow after it).
    if let Some(t) = timing.as_ref().filter(|t| t.start_period_ms > 0) {
        let tries = t.start_period_ms.div_ceil(t.start_interval * 1000) as u32 + t.failures;
        let mut p = handler.as_object().cloned().unwrap_or_default();
        p.insert("periodSeconds".into(), json!(t.start_interval));
        p.insert("timeoutSeconds".into(), json!(t.timeout));
        p.insert("failureThreshold".into(), json!(tries));
        out.startup = Some(Value::Object(p));
    }
    out
}

/// A readiness probe of its own from Kompose's `readiness.*` labels.
fn readiness_from_labels(
    svc: &Service,
    settings: &Settings,
    ports: &[(u16, &str)],
    report: &mut Report,
) -> Option<Value> {
    if settings.readiness_disabled {
        if let Some(kv) = svc.label("kompose.service.healthcheck.readiness.disable") {
            report.converted(
                Some(&kv.loc),
                super::settings::label_key(svc, &kv.key),
                "no readiness probe",
            );
        }
    }
    let rl = settings.readiness.as_ref()?;
    let loc = rl.loc.clone()?;
    let k = format!(
        "services.{}.labels.kompose.service.healthcheck.readiness",
        svc.name
    );
    let handler = if let Some(cmd) = &rl.exec {
        Some(json!({ "exec": { "command": cmd } }))
    } else if let Some((path, port)) = &rl.http {
        handler_value(
            &ProbeHandler::Http {
                path: path.clone(),
                port: *port,
                scheme: None,
            },
            ports,
            svc,
            &k,
            &loc,
            report,
        )
    } else if let Some(port) = rl.tcp {
        Some(json!({ "tcpSocket": { "port": port } }))
    } else {
        report.not_converted(
            Some(&loc),
            k,
            "the readiness labels give no check (`test`, `http_get_path`, `http_get_port` or `tcp_port`); no readiness probe",
        );
        return None;
    };
    let mut p = handler?.as_object().cloned().unwrap_or_default();
    if settings.readiness_disabled {
        return None;
    }
    if let Some(ms) = rl.start_period_ms.filter(|&ms| ms > 0) {
        p.insert(
            "initialDelaySeconds".into(),
            json!(units::ms_to_secs(ms, 0)),
        );
    }
    if let Some(ms) = rl.interval_ms {
        p.insert("periodSeconds".into(), json!(units::ms_to_secs(ms, 1)));
    }
    if let Some(ms) = rl.timeout_ms {
        p.insert("timeoutSeconds".into(), json!(units::ms_to_secs(ms, 1)));
    }
    if let Some(r) = rl.retries {
        p.insert("failureThreshold".into(), json!(r.max(1)));
    }
    for kv in svc
        .labels
        .iter()
        .filter(|kv| kv.key.starts_with("kompose.service.healthcheck.readiness."))
    {
        if kv.key.ends_with(".disable") {
            continue;
        }
        report.converted(
            Some(&kv.loc),
            super::settings::label_key(svc, &kv.key),
            "readinessProbe",
        );
    }
    Some(Value::Object(p))
}
