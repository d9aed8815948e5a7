//! Sensitive environment goes to a Secret, not into the Deployment.
//!
//! The output directory is committed, and a Deployment can be read by anyone who may read
//! Deployments. So a variable that looks like a secret (by its name, by the variables its value
//! was made from, key by key in env files) is set from a Secret per service with
//! `valueFrom.secretKeyRef`, in the same place of the container's environment, so that order,
//! precedence and `$(VAR)` references stay as they were.
//!
//! Where the values go:
//! - every value was written in the compose file itself: a Secret object in the output (the
//!   compose file already holds the values in git);
//! - some value came from `.env`, `--env-file`, the process environment or an env file: a
//!   kustomize `secretGenerator` reading files under the git-ignored `secrets/` directory, as for
//!   compose `secrets:`, so that the value is never written into a committed file.

use super::secretmode::{self, Delivery, SecretEntry, SecretSpec};
use super::{labels, Ctx, ExtraFile, Object, SecretGenerator};
use crate::compose::Service;
use crate::error::Report;
use crate::names;
use indexmap::IndexMap;
use serde_json::{json, Value};

pub use super::secretmode::EnvSecrets;

/// Words that make a variable name sensitive wherever they stand.
const SENSITIVE_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "PWD",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "AUTH",
    "SALT",
];

/// A last word that says the variable describes a secret rather than holds one:
/// `PASSWORD_FILE=/run/secrets/db`, `TOKEN_TTL`, `AUTH_URL`, `PASSWORD_MIN_LENGTH`.
const DESCRIPTOR_WORDS: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "HOST",
    "PORT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "TYPE",
    "METHOD",
    "MODE",
    "LENGTH",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TIMEOUT",
    "ALGORITHM",
    "ALG",
    "HEADER",
    "PROVIDER",
    "ISSUER",
    "ENDPOINT",
    "REALM",
    "SCOPE",
    "SCOPES",
    "LIFETIME",
    "POLICY",
];

/// The words of a name, upper case: split at `_`, `-`, `.`, and where the case changes
/// (`dbPassword` → DB, PASSWORD; `DBPassword` → DB, PASSWORD).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(['_', '-', '.']) {
        let chars: Vec<char> = part.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if c.is_uppercase() => {
                    p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
                }
                _ => false,
            };
            if boundary && !word.is_empty() {
                out.push(std::mem::take(&mut word).to_uppercase());
            }
            word.push(c);
        }
        if !word.is_empty() {
            out.push(word.to_uppercase());
        }
    }
    out
}

/// Whether `text` holds a URL with a user and password (`postgres://app:pw@db/app`).
pub fn has_url_password(text: &str) -> bool {
    text.match_indices("://").any(|(i, _)| {
        let authority = text[i + 3..]
            .split(['/', ' ', '"', '\'', '?', '#'])
            .next()
            .unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
    })
}

/// Whether a variable name says it holds a secret: a sensitive word anywhere (PASSWORD, SECRET,
/// TOKEN, AUTH, …) or KEY as the last word (`SECRET_KEY`, `STRIPE_KEY`, not `KEYCLOAK_URL` or
/// `KEY_FILE_PATH`), unless the last word describes the secret instead (`PASSWORD_FILE`,
/// `TOKEN_TTL`). `PWD` and `OLDPWD` alone are the shell's working directories.
pub fn sensitive_name(name: &str) -> bool {
    if matches!(name, "PWD" | "OLDPWD") {
        return false;
    }
    let w = words(name);
    let Some(last) = w.last() else {
        return false;
    };
    if DESCRIPTOR_WORDS.contains(&last.as_str()) {
        return false;
    }
    last == "KEY" || w.iter().any(|x| SENSITIVE_WORDS.contains(&x.as_str()))
}

/// A service's sensitive variables and where their values go.
#[derive(Debug, Default)]
pub struct Plan {
    /// The Secret's name.
    pub name: String,
    /// Variable → (value, written in the compose file), in the order first defined.
    pub entries: IndexMap<String, (String, bool)>,
    /// Variables whose value is made from a variable not set on this machine (no `.env`): its
    /// value here is not the real one.
    pub unknown: std::collections::BTreeSet<String>,
    /// Variable → what its value is made from, without the value unless the compose file
    /// itself holds it (see [`SecretGenerator::recipe`]).
    pub recipes: IndexMap<String, String>,
}

impl Plan {
    pub fn contains(&self, var: &str) -> bool {
        self.entries.contains_key(var)
    }

    /// The container's env entry that reads `var` from the Secret.
    pub fn env_entry(&self, var: &str) -> Value {
        json!({
            "name": var,
            "valueFrom": { "secretKeyRef": { "name": self.name, "key": super::storage::data_key(var) } },
        })
    }

    /// What the values are made from, variable by variable (see
    /// [`SecretGenerator::recipe`]).
    fn recipe(&self) -> Vec<String> {
        self.recipes
            .iter()
            .map(|(k, r)| format!("{k}: {r}"))
            .collect()
    }

    /// Every value was written in the compose file: the Secret may be committed.
    fn committed(&self) -> bool {
        self.entries.values().all(|(_, literal)| *literal)
    }
}

fn listed(list: &[crate::compose::Located<String>], var: &str) -> bool {
    list.iter().any(|v| v.value == var)
}

/// Which of a service's variables go to its Secret.
pub fn plan(ctx: &Ctx<'_>, svc: &Service) -> Plan {
    let mut plan = Plan {
        name: names::derived(&svc.name, "env"),
        entries: IndexMap::new(),
        unknown: Default::default(),
        recipes: IndexMap::new(),
    };
    if ctx.secret_settings().mode == EnvSecrets::None {
        return plan;
    }
    let x = &svc.ferry;
    let secret = |var: &str, sources: &[String]| {
        if listed(&x.plain_env, var) {
            return false;
        }
        listed(&x.secret_env, var)
            || sensitive_name(var)
            || sources.iter().any(|s| sensitive_name(s))
    };
    let valid = |k: &str| super::config::valid_configmap_key(k);
    let rewrite = |v: &str, var: &str| {
        super::hosts::rewrite_env(v, var, ctx.renames())
            .map(|(s, _)| s)
            .unwrap_or_else(|| v.to_string())
    };
    for ef in &svc.env_files {
        for (k, v) in &ef.entries {
            if valid(k) && secret(k, &[]) {
                plan.entries.insert(k.clone(), (rewrite(v, k), false));
                plan.recipes
                    .insert(k.clone(), format!("env_file {} {k}", ef.path.value));
            } else {
                plan.entries.shift_remove(k);
                plan.recipes.shift_remove(k);
            }
        }
    }
    for e in &svc.environment {
        let Some(v) = &e.value else { continue };
        if valid(&e.name) && secret(&e.name, &e.sources) {
            let literal = e.sources.is_empty();
            plan.entries
                .insert(e.name.clone(), (rewrite(v, &e.name), literal));
            if e.sources
                .iter()
                .any(|s| ctx.project.unset_variables.contains(s))
            {
                plan.unknown.insert(e.name.clone());
            } else {
                plan.unknown.remove(&e.name);
            }
            // A value written in the compose file is its own recipe; one read from the
            // environment is known by where it is written and what it reads.
            let recipe = match literal {
                true => format!("{} = {}", e.loc, rewrite(v, &e.name)),
                false => format!("{} from {}", e.loc, e.sources.join(",")),
            };
            plan.recipes.insert(e.name.clone(), recipe);
        } else {
            plan.entries.shift_remove(&e.name);
            plan.recipes.shift_remove(&e.name);
            plan.unknown.remove(&e.name);
        }
    }
    plan
}

/// Report `x-ferry: {secretEnv, plainEnv}`.
pub fn report_settings(svc: &Service, plan: &Plan, report: &mut Report) {
    for (list, k, what) in [
        (
            &svc.ferry.secret_env,
            "secretEnv",
            "set from the service's Secret",
        ),
        (&svc.ferry.plain_env, "plainEnv", "kept in the Deployment"),
    ] {
        if let Some(first) = list.first() {
            let names: Vec<&str> = list.iter().map(|v| v.value.as_str()).collect();
            let k = format!("services.{}.x-ferry.{k}", svc.name);
            if plan.name.is_empty() || (k.ends_with("secretEnv") && plan.entries.is_empty()) {
                report.ignored(
                    Some(&first.loc),
                    k,
                    "`--env-secrets none`, or none of these variables has a value here",
                );
            } else {
                report.converted(Some(&first.loc), k, format!("{}: {what}", names.join(", ")));
            }
        }
    }
}

/// Where a service's Secret comes from.
#[derive(Debug)]
pub enum EnvSecret {
    /// Every value is written in the compose file: the Secret object, committed.
    Object(Object),
    /// A secretGenerator over git-ignored files, and the files.
    Generator(SecretGenerator, Vec<ExtraFile>),
    /// `--env-secrets sops` or `external-secrets`.
    Delivered(Delivery),
}

/// The Secret of a service's sensitive variables: by default an object when every value is
/// written in the compose file, else a secretGenerator over git-ignored files (and the files);
/// with `sops` or `external-secrets`, delivered so (see `secretmode`).
pub fn secret(
    ctx: &Ctx<'_>,
    svc: &Service,
    plan: &Plan,
    report: &mut Report,
) -> crate::error::Result<Option<EnvSecret>> {
    if plan.entries.is_empty() {
        return Ok(None);
    }
    let vars: Vec<&str> = plan.entries.keys().map(String::as_str).collect();
    let loc = svc
        .environment
        .iter()
        .find(|e| plan.contains(&e.name))
        .map(|e| e.loc.clone())
        .or_else(|| svc.env_files.first().map(|f| f.path.loc.clone()));
    let key = if svc.environment.iter().any(|e| plan.contains(&e.name)) {
        format!("services.{}.environment", svc.name)
    } else {
        format!("services.{}.env_file", svc.name)
    };
    let spec = SecretSpec {
        name: plan.name.clone(),
        labels: labels(ctx.project, Some(&svc.name)),
        service: Some(svc.name.clone()),
        origin: key.clone(),
        entries: plan
            .entries
            .iter()
            .map(|(k, (v, _))| SecretEntry {
                key: super::storage::data_key(k),
                value: (!plan.unknown.contains(k)).then(|| v.clone().into_bytes()),
                loc: svc
                    .environment
                    .iter()
                    .find(|e| &e.name == k)
                    .map(|e| e.loc.clone()),
            })
            .collect(),
        recipe: plan.recipe(),
        from_environment: !plan.committed(),
    };
    if ctx.secret_settings().delivers() {
        return secretmode::deliver(ctx, &spec, loc.as_ref(), report)
            .map(|d| Some(EnvSecret::Delivered(d)));
    }
    if plan.committed() {
        report.converted(
            loc.as_ref(),
            key,
            format!(
                "Secret/{}: {} set with valueFrom.secretKeyRef (sensitive; the values are written in the compose file, so the Secret is in the output)",
                plan.name,
                names::some_of(&vars, 10)
            ),
        );
        let obj = Object {
            kind: "Secret".into(),
            name: plan.name.clone(),
            value: std::sync::Arc::new(secretmode::secret_object(&spec, ctx.namespace())),
            service: Some(svc.name.clone()),
            origin: format!("services.{}.environment (sensitive)", svc.name),
        };
        return Ok(Some(EnvSecret::Object(obj)));
    }
    let mut files = Vec::new();
    let mut gen_files = Vec::new();
    for (k, (v, _)) in &plan.entries {
        let dk = super::storage::data_key(k);
        let path = format!("{}/{}.{dk}", super::secrets::SECRETS_DIR, plan.name);
        files.push(ExtraFile {
            path: path.clone(),
            bytes: v.clone().into_bytes(),
            sensitive: true,
        });
        gen_files.push((dk, path));
    }
    report.warn(
        loc.as_ref(),
        key,
        format!(
            "{} (sensitive) come from Secret/{} with valueFrom.secretKeyRef; their values (from .env, the environment or an env file) are written to {}/{}.<VAR>, which .gitignore keeps out of git: on a new machine, run `ferry convert` with the same .env (or put the files there) before `kubectl apply -k`",
            names::some_of(&vars, 10),
            plan.name,
            super::secrets::SECRETS_DIR,
            plan.name
        ),
    );
    let generator = SecretGenerator {
        name: plan.name.clone(),
        files: gen_files,
        labels: labels(ctx.project, Some(&svc.name)),
        inline: true,
        recipe: plan.recipe(),
        from_environment: true,
    };
    Ok(Some(EnvSecret::Generator(generator, files)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("DB_PASSWORD"), ["DB", "PASSWORD"]);
        assert_eq!(words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(words("DBPassword"), ["DB", "PASSWORD"]);
        assert_eq!(words("api-key.v2"), ["API", "KEY", "V2"]);
    }

    #[test]
    fn sensitive_names() {
        for n in [
            "POSTGRES_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "DB_PASS",
            "SECRET_KEY",
            "STRIPE_KEY",
            "API_KEY",
            "APIKEY",
            "ACCESS_KEY",
            "PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "authToken",
            "BASIC_AUTH",
            "PASSWORD_SALT",
            "SMTP_CREDENTIALS",
            "dbPassword",
        ] {
            assert!(sensitive_name(n), "{n}");
        }
        for n in [
            "KEYCLOAK_URL",
            "KEY_FILE_PATH",
            "MONKEY",
            "PASSWORD_FILE",
            "MYSQL_ROOT_PASSWORD_FILE",
            "TOKEN_TTL",
            "AUTH_URL",
            "PASSWORD_MIN_LENGTH",
            "ACCESS_KEY_ID",
            "PWD",
            "PASSENGER_COUNT",
            "AUTHELIA_SESSION_DOMAIN",
            "DB_HOST",
            "KEYS",
        ] {
            assert!(!sensitive_name(n), "{n}");
        }
    }
}
