//! Services run by a provider plugin (`provider:`, docker compose 2.36+) run no container, so
//! ferry makes nothing for them. The report says what each needs on Kubernetes and, for each
//! service that depends on one, the variables the provider would have given it.
//!
//! Compose's provider protocol (docker/compose `docs/extension.md`, `pkg/compose/plugins.go`): the
//! plugin runs as `TYPE compose --project-name=NAME up --KEY=VALUE… SERVICE` and answers with
//! `setenv` messages (`URL=…`); compose sets each variable in every service that depends on the
//! provider service, named with the provider service's name upper-cased and `_` before it
//! (`database` + `URL` → `DATABASE_URL`). `rawsetenv` sets a name as it is. Docker's own model
//! provider (`type: model`) sets `URL` (its OpenAI-compatible endpoint) and `MODEL`.

use crate::compose::{Project, Service};
use crate::error::Report;

/// What compose prefixes the provider's variables with: the service name upper-cased, then `_`.
fn prefix(provider: &Service) -> String {
    format!("{}_", provider.name.to_uppercase())
}

fn kind(provider: &Service) -> &str {
    provider.provider.as_ref().map_or("", |t| t.value.as_str())
}

fn option<'p>(provider: &'p Service, key: &str) -> Option<&'p [String]> {
    provider
        .provider_options
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_slice())
}

/// The variables a provider sets that ferry knows, with what each holds; empty when its type is
/// not one ferry knows.
fn known_variables(provider: &Service) -> Vec<(String, String)> {
    let p = prefix(provider);
    match kind(provider) {
        "model" => {
            let model = option(provider, "model")
                .map(|m| format!(", `{}`", m.join(",")))
                .unwrap_or_default();
            vec![
                (
                    format!("{p}URL"),
                    "the model runner's OpenAI-compatible endpoint".to_string(),
                ),
                (format!("{p}MODEL"), format!("the model's name{model}")),
            ]
        }
        _ => Vec::new(),
    }
}

/// The plugin's command line under compose.
fn command(project: &Project, provider: &Service) -> String {
    let mut words = vec![
        kind(provider).to_string(),
        "compose".into(),
        format!("--project-name={}", project.name),
        "up".into(),
    ];
    for (k, values) in &provider.provider_options {
        words.extend(values.iter().map(|v| format!("--{k}={v}")));
    }
    words.push(provider.name.clone());
    words.join(" ")
}

/// The services that depend on `provider` (they get its variables under compose).
fn dependents<'p>(project: &'p Project, provider: &Service) -> Vec<&'p str> {
    project
        .services
        .values()
        .filter(|s| s.depends_on.iter().any(|d| d.service == provider.name))
        .map(|s| s.name.as_str())
        .collect()
}

/// Report each provider service: not converted, with what it needs on Kubernetes.
pub fn report_providers(project: &Project, report: &mut Report) {
    for p in project.providers.values() {
        let need = match kind(p) {
            "model" => format!(
                "a model server that serves {} over an OpenAI-compatible API (Docker Model Runner on the nodes, or one in the cluster: vLLM, llama.cpp's server, Ollama)",
                option(p, "model")
                    .map(|m| format!("`{}`", m.join(",")))
                    .unwrap_or_else(|| "the model".into())
            ),
            _ => "what the plugin creates (a managed service, or an operator's resource in the cluster)".into(),
        };
        let users = dependents(project, p);
        let vars = if users.is_empty() {
            String::new()
        } else {
            format!(
                "; then give {} the variables it would have set (`{}…`)",
                crate::names::some_of(&users, 10),
                prefix(p)
            )
        };
        report.not_converted(
            Some(&p.loc),
            format!("services.{}", p.name),
            format!(
                "run by the provider `{}` (`{}`), not as a container; ferry converts containers only. On Kubernetes, create {need}{vars}",
                kind(p),
                command(project, p)
            ),
        );
    }
}

/// Report `svc`'s dependency on the provider service `provider` (written at `loc` under `key`):
/// the variables the provider would have set, and which of them `svc` sets itself. Not
/// converted while the service lacks them (ignored once it sets them).
pub fn report_dependency(
    svc: &Service,
    provider: &Service,
    loc: &crate::error::Location,
    key: String,
    report: &mut Report,
) {
    let prefix = prefix(provider);
    let set = |var: &str| {
        svc.environment
            .iter()
            .any(|e| e.name == var && e.value.is_some())
            || svc
                .env_files
                .iter()
                .any(|f| f.entries.iter().any(|(k, _)| k == var))
    };
    let head = format!(
        "`{}` is run by the provider `{}`, which ferry does not convert; under compose it sets",
        provider.name,
        kind(provider)
    );
    let known = known_variables(provider);
    if known.is_empty() {
        // Which variables an unknown plugin sets is up to it.
        let mut own: Vec<String> = svc
            .environment
            .iter()
            .filter(|e| e.value.is_some())
            .map(|e| e.name.clone())
            .chain(
                svc.env_files
                    .iter()
                    .flat_map(|f| f.entries.iter().map(|(k, _)| k.clone())),
            )
            .filter(|k| k.starts_with(&prefix))
            .map(|k| format!("`{k}`"))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        own.retain(|k| seen.insert(k.clone()));
        let what = format!(
            "{head} in this service the variables it reports, each named `{prefix}<NAME>` (`{prefix}URL` for its `URL`), and may set others as they are; see what `{}` sets",
            kind(provider)
        );
        if own.is_empty() {
            report.not_converted(
                Some(loc),
                key,
                format!("{what}, and give them in `environment`"),
            );
        } else {
            report.ignored(
                Some(loc),
                key,
                format!("{what}; this service sets {}", own.join(", ")),
            );
        }
        return;
    }
    let missing: Vec<&(String, String)> = known.iter().filter(|(v, _)| !set(v)).collect();
    let listed: Vec<String> = known
        .iter()
        .map(|(v, what)| format!("`{v}` ({what})"))
        .collect();
    let what = format!("{head} {}", listed.join(" and "));
    if missing.is_empty() {
        report.ignored(
            Some(loc),
            key,
            format!("{what}; this service sets them itself"),
        );
    } else {
        report.not_converted(
            Some(loc),
            key,
            format!(
                "{what}; set {} in `environment`",
                missing
                    .iter()
                    .map(|(v, _)| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_prefixed_with_the_service_name_upper_cased() {
        let loc = crate::error::Location::file("compose.yaml".into());
        let mut p = Service::new("ai_runner", loc.clone());
        p.provider = Some(crate::compose::Located::new("model".to_string(), loc));
        p.provider_options = vec![("model".into(), vec!["ai/smollm2".into()])];
        let vars: Vec<String> = known_variables(&p).into_iter().map(|(v, _)| v).collect();
        assert_eq!(vars, ["AI_RUNNER_URL", "AI_RUNNER_MODEL"]);
        p.name = "my-db.v2".into();
        assert_eq!(prefix(&p), "MY-DB.V2_");
    }
}
