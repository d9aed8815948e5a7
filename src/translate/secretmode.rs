//! Where a Secret comes from (`--env-secrets`, top-level `x-ferry: {envSecrets}`): one function
//! of (the Secret, the mode), for sensitive environment and compose `secrets:` alike.
//!
//! Translation first says *what* a Secret holds ([`SecretSpec`]: its name, labels and each key's
//! value, or that the value is not known on this machine); [`deliver`] then says *where it comes
//! from*:
//! - `auto` / `none` (the default): as before, a Secret object when its values are written in the
//!   compose file, else a kustomize `secretGenerator` over the git-ignored `secrets/` directory
//!   (the callers keep those, byte for byte);
//! - `sops`: the same Secret object, to be encrypted with SOPS into `<name>-secret.yaml`
//!   ([`Sealed`]; the output stage encrypts it, keeping what the file on disk already holds);
//! - `external-secrets`: an `ExternalSecret` (external-secrets.io/v1) whose target is the same
//!   Secret name, one `data` entry per key, each read from a remote key made by a pattern.
//!
//! The pods read the same Secret names and keys in every mode.

use super::{Ctx, Object};
use crate::error::{Error, Location, Report, Result};
use crate::names;
use serde_json::{json, Map, Value};

/// How sensitive environment and compose `secrets:` are delivered (`--env-secrets`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EnvSecrets {
    /// Sensitive variables are set from a Secret per service; Secrets whose values are not in
    /// the compose file come from a kustomize secretGenerator over git-ignored files.
    #[default]
    Auto,
    /// Every variable stays in the Deployment (compose `secrets:` as with `auto`).
    None,
    /// As `auto`, but every Secret is committed encrypted with SOPS (age).
    Sops,
    /// As `auto`, but every Secret is made in the cluster by External Secrets Operator from an
    /// `ExternalSecret`.
    ExternalSecrets,
}

impl EnvSecrets {
    /// The mode named as on the command line (`auto`, `none`, `sops`, `external-secrets`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "auto" => EnvSecrets::Auto,
            "none" => EnvSecrets::None,
            "sops" => EnvSecrets::Sops,
            "external-secrets" => EnvSecrets::ExternalSecrets,
            _ => return None,
        })
    }
}

/// The flags of where Secrets come from; each wins over its top-level `x-ferry` key.
#[derive(Debug, Clone, Default)]
pub struct SecretOptions {
    /// `--age-recipient` (repeatable): the age keys SOPS files are encrypted to.
    pub age_recipients: Vec<String>,
    /// `--secret-store [SecretStore/|ClusterSecretStore/]NAME`.
    pub secret_store: Option<String>,
    /// `--remote-key PATTERN`.
    pub remote_key: Option<String>,
    /// `--remote-property PATTERN` (empty: none).
    pub remote_property: Option<String>,
}

/// The default remote key pattern of an ExternalSecret's entries.
pub const DEFAULT_REMOTE_KEY: &str = "{project}/{secret}";
/// The default remote property pattern.
pub const DEFAULT_REMOTE_PROPERTY: &str = "{key}";

/// Where Secrets come from in this conversion: the flags over the top-level `x-ferry` keys.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub mode: EnvSecrets,
    /// The age recipients given (empty: each file's `.sops.yaml` creation rule says).
    pub recipients: Vec<String>,
    /// The store's kind (`SecretStore` or `ClusterSecretStore`) and name.
    pub store: Option<(String, String)>,
    pub remote_key: String,
    pub remote_property: String,
}

impl Settings {
    /// Resolve the flags and the project's `x-ferry` keys; `external-secrets` needs a store.
    pub fn resolve(
        project: &crate::compose::Project,
        mode: Option<EnvSecrets>,
        o: &SecretOptions,
    ) -> Result<Self> {
        let x = &project.top.ferry.secrets;
        let mode = mode
            .or_else(|| {
                x.env_secrets
                    .as_ref()
                    .and_then(|m| EnvSecrets::from_name(&m.value))
            })
            .unwrap_or_default();
        let recipients = if o.age_recipients.is_empty() {
            x.age_recipients.iter().map(|r| r.value.clone()).collect()
        } else {
            o.age_recipients.clone()
        };
        let store = o
            .secret_store
            .clone()
            .or_else(|| x.secret_store.as_ref().map(|s| s.value.clone()))
            .map(|s| match s.split_once('/') {
                Some((kind, name)) => (kind.to_string(), name.to_string()),
                None => ("SecretStore".to_string(), s),
            });
        if mode == EnvSecrets::ExternalSecrets && store.is_none() {
            return Err(Error::Usage(
                "--env-secrets external-secrets needs the store the ExternalSecrets read from: --secret-store [ClusterSecretStore/]NAME, or top-level `x-ferry: {secretStore: …}`".into(),
            ));
        }
        let pick = |flag: &Option<String>,
                    key: &Option<crate::compose::Located<String>>,
                    default: &str| {
            flag.clone()
                .or_else(|| key.as_ref().map(|k| k.value.clone()))
                .unwrap_or_else(|| default.to_string())
        };
        Ok(Settings {
            mode,
            recipients,
            store,
            remote_key: pick(&o.remote_key, &x.remote_key, DEFAULT_REMOTE_KEY),
            remote_property: pick(
                &o.remote_property,
                &x.remote_property,
                DEFAULT_REMOTE_PROPERTY,
            ),
        })
    }

    /// Secrets are delivered another way than ferry's default (sops, external-secrets).
    pub fn delivers(&self) -> bool {
        matches!(self.mode, EnvSecrets::Sops | EnvSecrets::ExternalSecrets)
    }
}

/// Report the top-level `x-ferry` keys of where Secrets come from.
pub fn report_settings(ctx: &Ctx<'_>, report: &mut Report) {
    let x = &ctx.project.top.ferry.secrets;
    let mode = ctx.secret_settings().mode;
    let used = |on: bool, what: &str| {
        if on {
            what.to_string()
        } else {
            format!("{what}; not used: Secrets are not delivered this way (`--env-secrets`)")
        }
    };
    for (loc, k, what) in [
        (
            x.env_secrets.as_ref().map(|v| &v.loc),
            "envSecrets",
            "where sensitive environment and compose secrets go (unless --env-secrets)".to_string(),
        ),
        (
            x.age_recipients.first().map(|v| &v.loc),
            "ageRecipients",
            used(
                mode == EnvSecrets::Sops,
                "the age keys SOPS files are encrypted to (unless --age-recipient)",
            ),
        ),
        (
            x.secret_store.as_ref().map(|v| &v.loc),
            "secretStore",
            used(
                mode == EnvSecrets::ExternalSecrets,
                "the store ExternalSecrets read from (unless --secret-store)",
            ),
        ),
        (
            x.remote_key.as_ref().map(|v| &v.loc),
            "remoteKey",
            used(
                mode == EnvSecrets::ExternalSecrets,
                "the remote key pattern of ExternalSecrets (unless --remote-key)",
            ),
        ),
        (
            x.remote_property.as_ref().map(|v| &v.loc),
            "remoteProperty",
            used(
                mode == EnvSecrets::ExternalSecrets,
                "the remote property pattern of ExternalSecrets (unless --remote-property)",
            ),
        ),
    ] {
        if let Some(loc) = loc {
            report.converted(Some(loc), format!("x-ferry.{k}"), what);
        }
    }
}

/// What a Secret holds, before it is decided where it comes from.
#[derive(Clone)]
pub struct SecretSpec {
    pub name: String,
    pub labels: Map<String, Value>,
    /// The compose service it belongs to (sensitive environment), if any.
    pub service: Option<String>,
    /// The compose key it was made from (`services.app.environment`, `secrets.db_password`).
    pub origin: String,
    pub entries: Vec<SecretEntry>,
    /// What the values are made from (see [`super::SecretGenerator::recipe`]).
    pub recipe: Vec<String>,
    /// Some value comes from `.env`, the environment or an env file.
    pub from_environment: bool,
}

/// One key of a Secret.
#[derive(Clone)]
pub struct SecretEntry {
    /// The key in the Secret (what the pods' `secretKeyRef` or volume item names).
    pub key: String,
    /// The value; `None` when it is not known on this machine (an unset variable, a missing
    /// secret file).
    pub value: Option<Vec<u8>>,
    /// Where the value was set, for messages.
    pub loc: Option<Location>,
}

impl std::fmt::Debug for SecretSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSpec")
            .field("name", &self.name)
            .field(
                "keys",
                &self.entries.iter().map(|e| &e.key).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The Secret object of a spec: `v1` Secret, `Opaque`, base64 `data` (an unknown value empty).
pub fn secret_object(spec: &SecretSpec, namespace: Option<&str>) -> Value {
    let mut md = Map::new();
    md.insert("name".into(), json!(spec.name));
    md.insert("labels".into(), Value::Object(spec.labels.clone()));
    if let Some(ns) = namespace {
        md.insert("namespace".into(), json!(ns));
    }
    let mut data = Map::new();
    for e in &spec.entries {
        let b64 = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            e.value.as_deref().unwrap_or_default(),
        );
        data.insert(e.key.clone(), json!(b64));
    }
    super::object([
        ("apiVersion", json!("v1")),
        ("kind", json!("Secret")),
        ("metadata", Value::Object(md)),
        ("type", json!("Opaque")),
        ("data", Value::Object(data)),
    ])
}

/// A Secret to be committed encrypted with SOPS: the output stage encrypts it (see
/// `output::seal`). Its plaintext never reaches a template, a diff or a message.
#[derive(Clone)]
pub struct Sealed {
    pub name: String,
    pub service: Option<String>,
    pub origin: String,
    /// The Secret object (`data` base64), and which of its values are not known here.
    pub plain: crate::sops::Plain,
    /// The age recipients given (empty: the `.sops.yaml` creation rule of its file).
    pub recipients: Vec<String>,
    /// Where each unknown value was set, by key, for the message when it is needed.
    pub unknown_at: Vec<(String, Option<Location>)>,
    /// [`SecretSpec::recipe`] and [`SecretSpec::from_environment`].
    pub recipe: Vec<String>,
    pub from_environment: bool,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("name", &self.name)
            .field("plain", &self.plain)
            .finish()
    }
}

/// The keys a Secret's data is encrypted under.
pub const SECRET_DATA_KEYS: &[&str] = &["data", "stringData"];

/// A remote key an ExternalSecret reads: what the store must hold (never a value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemoteKey {
    /// `remoteRef.key`.
    pub key: String,
    /// `remoteRef.property`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The Secret and the key in it that the value becomes.
    pub secret: String,
    pub secret_key: String,
}

/// A Secret delivered by a mode other than ferry's default.
#[derive(Debug)]
pub enum Delivery {
    /// `sops`: the encrypted Secret.
    Sealed(Sealed),
    /// `external-secrets`: the ExternalSecret, and the remote keys it reads.
    External(Object, Vec<RemoteKey>),
}

/// What a remote key or property pattern is filled with.
struct Names<'a> {
    project: &'a str,
    namespace: &'a str,
    /// The environment converted (`src/environments`), `base` for the base.
    environment: &'a str,
}

/// Fill a remote key or property pattern.
fn fill(pattern: &str, names: &Names<'_>, secret: &str, key: &str) -> String {
    pattern
        .replace("{project}", names.project)
        .replace("{namespace}", names.namespace)
        .replace("{environment}", names.environment)
        .replace("{secret}", secret)
        .replace("{key}", key)
}

/// Deliver a Secret in `settings.mode` (sops or external-secrets), and report it under its
/// compose key.
pub fn deliver(
    ctx: &Ctx<'_>,
    spec: &SecretSpec,
    loc: Option<&Location>,
    report: &mut Report,
) -> Result<Delivery> {
    let settings = ctx.secret_settings();
    let keys: Vec<&str> = spec.entries.iter().map(|e| e.key.as_str()).collect();
    match settings.mode {
        EnvSecrets::ExternalSecrets => {
            let (kind, store) = settings.store.clone().expect("checked when resolved");
            let uses_namespace = [&settings.remote_key, &settings.remote_property]
                .iter()
                .any(|p| p.contains("{namespace}"));
            if uses_namespace && ctx.namespace().is_none() {
                return Err(Error::Usage(
                    "the remote key pattern names {namespace}, but no namespace is given: add --namespace (or top-level `x-ferry: {namespace}`)".into(),
                ));
            }
            let names = Names {
                project: &ctx.project.name,
                namespace: ctx.namespace().unwrap_or_default(),
                environment: ctx.opts.environment.as_deref().unwrap_or("base"),
            };
            let mut data = Vec::new();
            let mut remote = Vec::new();
            for e in &spec.entries {
                let key = fill(&settings.remote_key, &names, &spec.name, &e.key);
                let property = Some(fill(&settings.remote_property, &names, &spec.name, &e.key))
                    .filter(|p| !p.is_empty());
                if let Some(first) = remote
                    .iter()
                    .find(|r: &&RemoteKey| r.key == key && r.property == property)
                {
                    return Err(Error::Usage(format!(
                        "Secret `{}`: its keys `{}` and `{}` would both read remote key `{key}`{}; make the remote key pattern (`--remote-key`, `--remote-property`) name `{{key}}`",
                        spec.name,
                        first.secret_key,
                        e.key,
                        property.as_ref().map(|p| format!(" property `{p}`")).unwrap_or_default()
                    )));
                }
                let mut remote_ref = Map::new();
                remote_ref.insert("key".into(), json!(key));
                if let Some(p) = &property {
                    remote_ref.insert("property".into(), json!(p));
                }
                data.push(json!({ "secretKey": e.key, "remoteRef": remote_ref }));
                remote.push(RemoteKey {
                    key,
                    property,
                    secret: spec.name.clone(),
                    secret_key: e.key.clone(),
                });
            }
            let mut md = Map::new();
            md.insert("name".into(), json!(spec.name));
            md.insert("labels".into(), Value::Object(spec.labels.clone()));
            ctx.namespace_into(&mut md);
            let value = super::object([
                ("apiVersion", json!("external-secrets.io/v1")),
                ("kind", json!("ExternalSecret")),
                ("metadata", Value::Object(md)),
                (
                    "spec",
                    json!({
                        "refreshInterval": "1h",
                        "secretStoreRef": { "kind": kind, "name": store },
                        "target": { "name": spec.name, "creationPolicy": "Owner" },
                        "data": data,
                    }),
                ),
            ]);
            let shown: Vec<String> = remote
                .iter()
                .map(|r| match &r.property {
                    Some(p) => format!("{}#{p}", r.key),
                    None => r.key.clone(),
                })
                .collect();
            report.converted(
                loc,
                spec.origin.clone(),
                format!(
                    "Secret/{}: made in the cluster by External Secrets Operator from ExternalSecret/{} ({kind} `{store}`), which reads {}: the store must hold {}",
                    spec.name,
                    spec.name,
                    names::some_of(&keys, 10),
                    names::some_of(&shown, 10)
                ),
            );
            let obj = Object {
                kind: "ExternalSecret".into(),
                name: spec.name.clone(),
                value: std::sync::Arc::new(value),
                service: spec.service.clone(),
                origin: format!("{} (ExternalSecret)", spec.origin),
            };
            Ok(Delivery::External(obj, remote))
        }
        _ => {
            let value = secret_object(spec, ctx.namespace());
            let Value::Object(doc) = value else {
                unreachable!("a Secret is an object")
            };
            let unknown: Vec<&SecretEntry> =
                spec.entries.iter().filter(|e| e.value.is_none()).collect();
            let note =
                if unknown.is_empty() {
                    String::new()
                } else {
                    format!(
                    "; the value of {} is not known here, so it is kept from the encrypted file",
                    names::some_of(&unknown.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), 5)
                )
                };
            report.converted(
                loc,
                spec.origin.clone(),
                format!(
                    "Secret/{}: {} encrypted with SOPS (age) in {}-secret.yaml, committed; decrypted in the cluster by Flux or KSOPS{note}",
                    spec.name,
                    names::some_of(&keys, 10),
                    spec.name
                ),
            );
            Ok(Delivery::Sealed(Sealed {
                name: spec.name.clone(),
                service: spec.service.clone(),
                origin: spec.origin.clone(),
                plain: crate::sops::Plain {
                    doc,
                    unknown: unknown
                        .iter()
                        .map(|e| vec!["data".to_string(), e.key.clone()])
                        .collect(),
                },
                recipients: settings.recipients.clone(),
                unknown_at: unknown
                    .iter()
                    .map(|e| (e.key.clone(), e.loc.clone()))
                    .collect(),
                recipe: spec.recipe.clone(),
                from_environment: spec.from_environment,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_filled() {
        let names = Names {
            project: "shop",
            namespace: "prod",
            environment: "staging",
        };
        assert_eq!(
            fill("{project}/{namespace}/{secret}", &names, "app-env", "K"),
            "shop/prod/app-env"
        );
        assert_eq!(
            fill("{project}/{environment}/{secret}", &names, "app-env", "K"),
            "shop/staging/app-env"
        );
        assert_eq!(fill("{key}", &names, "s", "DB_PASSWORD"), "DB_PASSWORD");
        assert_eq!(
            EnvSecrets::from_name("external-secrets"),
            Some(EnvSecrets::ExternalSecrets)
        );
        assert_eq!(EnvSecrets::from_name("vault"), None);
    }
}
