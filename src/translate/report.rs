//! The conversion report: for every compose key, what it became or why not.
//!
//! Translate records what happens to each key as it goes (`Report::converted`,
//! `not_converted`, `ignored`, `warn`). Keys ferry has no converter for are listed in
//! [`skipped_reason`], each with its reason. [`build`] groups the entries per service and per
//! top-level item, in file order; [`Summary::to_text`] and [`Summary::to_json`] format it for
//! `ferry convert --report`.

use crate::compose::{Project, Skipped};
use crate::error::{Diagnostic, Report, Severity};
use serde::Serialize;

/// Why a service key ferry does not read is not converted (or has nothing to do).
pub fn skipped_reason(s: &Skipped) -> (Severity, String) {
    use Severity::{Ignored, NotConverted};
    let v = s.value.as_deref().unwrap_or("");
    let (sev, why): (Severity, String) = match s.key.as_str() {
        "attach" => (Ignored, "only changes which logs `docker compose up` shows; use `kubectl logs`".into()),
        "blkio_config" => (NotConverted, "Kubernetes has no per-container block I/O limits".into()),
        "cgroup" | "cgroup_parent" => (NotConverted, "the kubelet places containers in cgroups itself".into()),
        "cpu_count" | "cpu_percent" => (
            NotConverted,
            "a Windows CPU setting; give CPUs as `deploy.resources.limits.cpus`".into(),
        ),
        "cpu_period" | "cpu_quota" => (
            NotConverted,
            "CFS tuning; Kubernetes derives the quota from `deploy.resources.limits.cpus`".into(),
        ),
        "cpu_rt_period" | "cpu_rt_runtime" => (NotConverted, "Kubernetes has no real-time CPU scheduling".into()),
        "cpu_shares" => (
            NotConverted,
            "Kubernetes derives CPU weight from the CPU request; set `deploy.resources.reservations.cpus`".into(),
        ),
        "cpuset" => (
            NotConverted,
            "CPU pinning is done by the kubelet's CPU manager (static policy, Guaranteed pods)".into(),
        ),
        "credential_spec" => (
            NotConverted,
            "Windows gMSA: set securityContext.windowsOptions.gmsaCredentialSpecName yourself".into(),
        ),
        "develop" => (Ignored, "settings for `docker compose watch` during development".into()),
        "device_cgroup_rules" | "devices" => (
            NotConverted,
            "containers get host devices only through a device plugin (or `privileged: true`)".into(),
        ),
        "external_links" => (
            NotConverted,
            "links to containers outside the project; point the service at a Service name instead".into(),
        ),
        "extends" => (
            Ignored,
            "resolved by the loader: the service has the keys it inherits".into(),
        ),
        "isolation" => (NotConverted, "a Windows container isolation mode".into()),
        "logging" => (
            Ignored,
            "the cluster's logging collects container output; docker logging drivers do not apply".into(),
        ),
        "mac_address" => (NotConverted, "pods get their addresses from the cluster network".into()),
        "mem_swappiness" | "memswap_limit" => (NotConverted, "swap is configured per node in Kubernetes".into()),
        "oom_kill_disable" | "oom_score_adj" => (
            NotConverted,
            "the kubelet sets OOM scores from the pod's QoS class (requests equal to limits protect a pod best)".into(),
        ),
        "pids_limit" | "deploy.resources.limits.pids" | "deploy.resources.reservations.pids" => (
            NotConverted,
            "process limits are set per node (kubelet podPidsLimit)".into(),
        ),
        "deploy.resources.limits.devices" => (NotConverted, "devices are reserved, not limited; see reservations.devices".into()),
        "deploy.resources.limits.generic_resources" | "deploy.resources.reservations.generic_resources" => (
            NotConverted,
            "Swarm generic resources; a device plugin's extended resource is the Kubernetes form, which ferry cannot name".into(),
        ),
        "profiles" => (
            Ignored,
            "applied by the loader: the service is converted because one of its profiles is active".into(),
        ),
        "provider" => (NotConverted, "managed by an external provider, not a container: nothing to run".into()),
        "pull_refresh_after" => (Ignored, "Kubernetes pulls according to imagePullPolicy".into()),
        "runtime" => (
            NotConverted,
            format!("a runtime is chosen with a RuntimeClass: create one for `{v}` and set the pod's runtimeClassName"),
        ),
        "stop_signal" => (
            NotConverted,
            format!("Kubernetes stops containers with the image's STOPSIGNAL (else SIGTERM); put `STOPSIGNAL {v}` in the image"),
        ),
        "storage_opt" => (
            NotConverted,
            "storage driver options have no equivalent; limit disk use with an ephemeral-storage limit".into(),
        ),
        "ulimits" => (
            NotConverted,
            "Kubernetes has no per-container ulimits; they are the container runtime's defaults on each node".into(),
        ),
        "use_api_socket" => (NotConverted, "the Docker API socket does not exist in a cluster".into()),
        "userns_mode" if v == "host" => (Ignored, "pods use the host's user namespace by default".into()),
        "userns_mode" => (
            NotConverted,
            "user namespaces are switched on with the pod's `hostUsers: false`".into(),
        ),
        "uts" => (
            NotConverted,
            "sharing the host's UTS namespace has no equivalent (only hostNetwork shares the host name)".into(),
        ),
        other => (
            NotConverted,
            format!("`{other}` has no Kubernetes equivalent in ferry"),
        ),
    };
    (sev, why)
}

/// Why a top-level key ferry does not read is not converted.
pub fn top_level_reason(key: &str) -> (Severity, &'static str) {
    match key {
        "include" => (
            Severity::Ignored,
            "resolved by the loader: the included projects' services are converted with this one",
        ),
        _ => (Severity::NotConverted, "no Kubernetes equivalent in ferry"),
    }
}

/// The reason for a key nothing was recorded for: an empty value (`deploy: {}`, `ports: []`)
/// or only defaults. The fixture tests check that no fixture key ends up here.
pub const NOTHING: &str = "ferry found nothing to convert in it (empty, or only defaults)";

/// What happened to one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Converted,
    PartlyConverted,
    NotConverted,
    Ignored,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Converted => "converted",
            Status::PartlyConverted => "partly converted",
            Status::NotConverted => "not converted",
            Status::Ignored => "ignored",
        }
    }
}

/// One report line: a key, its status, and the entries about it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The key as written (`ports`, `volumes.data`).
    pub key: String,
    /// The full dotted path (`services.web.ports`).
    pub path: String,
    pub location: Option<String>,
    pub status: Status,
    /// What it became.
    pub results: Vec<String>,
    /// Why (parts of) it were not converted or are ignored.
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub name: String,
    /// The objects made for the service (`Deployment/web`).
    pub objects: Vec<String>,
    /// Entries about the service as a whole (its name, for instance).
    pub notes: Vec<Diagnostic>,
    pub keys: Vec<Item>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub converted: usize,
    pub partly_converted: usize,
    pub not_converted: usize,
    pub ignored: usize,
    pub warnings: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub project: String,
    pub files: Vec<String>,
    pub services: Vec<ServiceReport>,
    pub top_level: Vec<Item>,
    /// Entries about no key in particular (variables, unknown keys, …).
    pub other: Vec<Diagnostic>,
    pub counts: Counts,
    /// With `--env-secrets external-secrets`: every remote key the secret store must hold (and
    /// which Secret key each fills), never a value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_keys: Vec<super::secretmode::RemoteKey>,
}

fn under(entry_key: &str, path: &str) -> bool {
    entry_key == path
        || entry_key
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn item(key: &str, path: &str, location: Option<String>, entries: &[&Diagnostic]) -> Item {
    let mut results = Vec::new();
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let (mut conv, mut not, mut ign) = (false, false, false);
    let detail = |d: &Diagnostic| {
        if d.key == path {
            d.message.to_string()
        } else {
            // `volumes[0]` under `volumes` is `[0]`; `environment.KEY` is `KEY`.
            let sub = &d.key[path.len()..];
            format!("{}: {}", sub.strip_prefix('.').unwrap_or(sub), d.message)
        }
    };
    for d in entries {
        let text = detail(d);
        match d.severity {
            Severity::Converted => {
                conv = true;
                if !results.contains(&text) {
                    results.push(text);
                }
            }
            Severity::NotConverted => {
                not = true;
                if !reasons.contains(&text) {
                    reasons.push(text);
                }
            }
            Severity::Ignored => {
                ign = true;
                if !reasons.contains(&text) {
                    reasons.push(text);
                }
            }
            Severity::Warning => {
                if !warnings.contains(&text) {
                    warnings.push(text);
                }
            }
        }
    }
    let status = if not && conv {
        Status::PartlyConverted
    } else if not {
        Status::NotConverted
    } else if conv || !warnings.is_empty() {
        Status::Converted
    } else if ign {
        Status::Ignored
    } else {
        reasons.push(NOTHING.into());
        Status::Ignored
    };
    Item {
        key: key.to_string(),
        path: path.to_string(),
        location,
        status,
        results,
        reasons,
        warnings,
    }
}

/// Group the report's entries by service key and top-level item.
pub fn build(
    project: &Project,
    report: &Report,
    objects: &[super::Made],
    remote_keys: &[super::secretmode::RemoteKey],
) -> Summary {
    let mut taken = vec![false; report.entries.len()];
    // Entry indices sorted by key: the entries under a path are one contiguous run that a
    // binary search finds, so building the summary stays linear in the project's size.
    let mut by_key: Vec<usize> = (0..report.entries.len()).collect();
    by_key.sort_by(|&a, &b| {
        report.entries[a]
            .key
            .cmp(&report.entries[b].key)
            .then(a.cmp(&b))
    });
    let take = |path: &str, taken: &mut Vec<bool>| -> Vec<usize> {
        let start = by_key.partition_point(|&i| report.entries[i].key.as_str() < path);
        let mut idx: Vec<usize> = by_key[start..]
            .iter()
            .copied()
            .take_while(|&i| report.entries[i].key.starts_with(path))
            .filter(|&i| !taken[i] && under(&report.entries[i].key, path))
            .collect();
        // In the order they were reported.
        idx.sort_unstable();
        for &i in &idx {
            taken[i] = true;
        }
        idx
    };
    let mut counts = Counts::default();
    let count = |it: &Item, counts: &mut Counts| {
        match it.status {
            Status::Converted => counts.converted += 1,
            Status::PartlyConverted => counts.partly_converted += 1,
            Status::NotConverted => counts.not_converted += 1,
            Status::Ignored => counts.ignored += 1,
        }
        counts.warnings += it.warnings.len();
    };
    // Service → its objects, in one pass (not one scan of every object per service).
    let mut objects_of: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for o in objects {
        if let Some(s) = o.service.as_deref() {
            objects_of
                .entry(s)
                .or_default()
                .push(format!("{}/{}", o.kind, o.name));
        }
    }
    let mut services = Vec::new();
    for svc in project.services.values() {
        let spath = format!("services.{}", svc.name);
        let mut notes: Vec<Diagnostic> = Vec::new();
        let start = by_key.partition_point(|&i| report.entries[i].key.as_str() < spath.as_str());
        let mut own: Vec<usize> = by_key[start..]
            .iter()
            .copied()
            .take_while(|&i| report.entries[i].key == spath)
            .filter(|&i| !taken[i])
            .collect();
        own.sort_unstable();
        for i in own {
            taken[i] = true;
            notes.push(report.entries[i].clone());
        }
        for d in &notes {
            if d.severity == Severity::Warning {
                counts.warnings += 1;
            }
        }
        let mut keys = Vec::new();
        for (k, loc) in &svc.keys {
            let path = format!("services.{}.{k}", svc.name);
            let idx = take(&path, &mut taken);
            let it = if !k.starts_with("x-")
                && !crate::compose::parse::SERVICE_KEYS.contains(&k.as_str())
            {
                let entries: Vec<&Diagnostic> = idx.iter().map(|&i| &report.entries[i]).collect();
                Item {
                    key: k.clone(),
                    path,
                    location: Some(loc.to_string()),
                    status: Status::NotConverted,
                    results: Vec::new(),
                    reasons: entries.iter().map(|d| d.message.to_string()).collect(),
                    warnings: Vec::new(),
                }
            } else if k.starts_with("x-") && k != "x-ferry" && idx.is_empty() {
                Item {
                    key: k.clone(),
                    path,
                    location: Some(loc.to_string()),
                    status: Status::Ignored,
                    results: Vec::new(),
                    reasons: vec!["an extension field, for compose tooling".into()],
                    warnings: Vec::new(),
                }
            } else if k == "x-ferry" && idx.is_empty() {
                Item {
                    key: k.clone(),
                    path,
                    location: Some(loc.to_string()),
                    status: Status::Converted,
                    results: vec!["ferry's settings (empty)".into()],
                    reasons: Vec::new(),
                    warnings: Vec::new(),
                }
            } else {
                let entries: Vec<&Diagnostic> = idx.iter().map(|&i| &report.entries[i]).collect();
                item(k, &path, Some(loc.to_string()), &entries)
            };
            count(&it, &mut counts);
            keys.push(it);
        }
        let objs = objects_of.remove(svc.name.as_str()).unwrap_or_default();
        services.push(ServiceReport {
            name: svc.name.clone(),
            objects: objs,
            notes,
            keys,
        });
    }
    let mut top_level = Vec::new();
    let mut top =
        |path: String, loc: Option<String>, taken: &mut Vec<bool>, counts: &mut Counts| {
            let idx = take(&path, taken);
            let entries: Vec<&Diagnostic> = idx.iter().map(|&i| &report.entries[i]).collect();
            let key = path.clone();
            let it = item(&key, &path, loc, &entries);
            count(&it, counts);
            top_level.push(it);
        };
    // Services run by a provider plugin: one item each (nothing of them is converted).
    for (name, svc) in &project.providers {
        top(
            format!("services.{name}"),
            Some(svc.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (name, def) in &project.volumes {
        top(
            format!("volumes.{name}"),
            Some(def.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (name, def) in &project.top.secrets {
        top(
            format!("secrets.{name}"),
            Some(def.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (name, def) in &project.top.configs {
        top(
            format!("configs.{name}"),
            Some(def.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (name, def) in &project.top.models {
        top(
            format!("models.{name}"),
            Some(def.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (name, def) in &project.top.networks {
        top(
            format!("networks.{name}"),
            Some(def.loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    if let Some(loc) = &project.top.ferry.loc {
        top(
            "x-ferry".into(),
            Some(loc.to_string()),
            &mut taken,
            &mut counts,
        );
    }
    for (k, loc) in &project.unconverted {
        top(k.clone(), Some(loc.to_string()), &mut taken, &mut counts);
    }
    let other: Vec<Diagnostic> = report
        .entries
        .iter()
        .enumerate()
        .filter(|(i, d)| !taken[*i] && d.severity != Severity::Converted)
        .map(|(_, d)| d.clone())
        .collect();
    for d in &other {
        if d.severity == Severity::Warning {
            counts.warnings += 1;
        }
    }
    Summary {
        project: project.name.clone(),
        files: project.files.iter().map(|f| f.to_string()).collect(),
        services,
        top_level,
        other,
        counts,
        remote_keys: remote_keys.to_vec(),
    }
}

impl Summary {
    /// Keys not converted (wholly or partly): what `--strict` fails on.
    pub fn unconverted(&self) -> usize {
        self.counts.not_converted + self.counts.partly_converted
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "ferry conversion report: project `{}` ({})\n",
            self.project,
            self.files.join(", ")
        ));
        let line = |out: &mut String, it: &Item, indent: &str| {
            let loc = it
                .location
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{indent}{}{loc}: {}\n",
                it.key,
                it.status.as_str()
            ));
            for r in &it.results {
                out.push_str(&format!("{indent}    → {r}\n"));
            }
            for r in &it.reasons {
                out.push_str(&format!("{indent}    - {r}\n"));
            }
            for w in &it.warnings {
                out.push_str(&format!("{indent}    ! {w}\n"));
            }
        };
        for s in &self.services {
            out.push('\n');
            out.push_str(&format!("services.{}", s.name));
            if !s.objects.is_empty() {
                out.push_str(&format!(" → {}", s.objects.join(", ")));
            }
            out.push('\n');
            for d in &s.notes {
                out.push_str(&format!("  ! {}\n", d.message));
            }
            for it in &s.keys {
                line(&mut out, it, "  ");
            }
        }
        if !self.top_level.is_empty() {
            out.push_str("\ntop level\n");
            for it in &self.top_level {
                line(&mut out, it, "  ");
            }
        }
        if !self.other.is_empty() {
            out.push_str("\nother\n");
            for d in &self.other {
                out.push_str(&format!("  {d}\n"));
            }
        }
        if !self.remote_keys.is_empty() {
            out.push_str("\nremote keys the secret store must hold (ExternalSecrets)\n");
            for r in &self.remote_keys {
                let property = r
                    .property
                    .as_ref()
                    .map(|p| format!(", property {p}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {}{property} → Secret/{} {}\n",
                    r.key, r.secret, r.secret_key
                ));
            }
        }
        let c = &self.counts;
        out.push_str(&format!(
            "\nsummary: {} converted, {} partly converted, {} not converted, {} ignored; {} warning{}\n",
            c.converted,
            c.partly_converted,
            c.not_converted,
            c.ignored,
            c.warnings,
            if c.warnings == 1 { "" } else { "s" }
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::parse::SERVICE_KEYS;

    /// Every compose service key is either read by the loader or has a reason here: no key is
    /// ever "not converted yet".
    #[test]
    fn every_service_key_has_a_converter_or_a_reason() {
        const READ: &[&str] = &[
            "annotations",
            "build",
            "cap_add",
            "cap_drop",
            "command",
            "configs",
            "container_name",
            "cpus",
            "depends_on",
            "deploy",
            "dns",
            "dns_opt",
            "dns_search",
            "domainname",
            "entrypoint",
            "env_file",
            "environment",
            "expose",
            "extra_hosts",
            "gpus",
            "group_add",
            "healthcheck",
            "hostname",
            "image",
            "init",
            "ipc",
            "label_file",
            "labels",
            "links",
            "mem_limit",
            "mem_reservation",
            "models",
            "network_mode",
            "networks",
            "pid",
            "platform",
            "ports",
            "post_start",
            "pre_start",
            "pre_stop",
            "privileged",
            "pull_policy",
            "read_only",
            "restart",
            "scale",
            "secrets",
            "security_opt",
            "shm_size",
            "stdin_open",
            "stop_grace_period",
            "sysctls",
            "tmpfs",
            "tty",
            "user",
            "volumes",
            "volumes_from",
            "working_dir",
        ];
        for k in SERVICE_KEYS {
            if READ.contains(k) {
                continue;
            }
            let (_, why) =
                skipped_reason(&Skipped::new(*k, crate::error::Location::file("x".into())));
            assert!(
                !why.contains("no Kubernetes equivalent in ferry"),
                "{k} has no reason"
            );
        }
    }
}
