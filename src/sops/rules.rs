//! A project's `.sops.yaml`: the creation rule sops would apply to a file, found as sops finds
//! it (`config/config.go`): the nearest `.sops.yaml` in the directory or above it; the file's
//! path relative to the configuration's directory; the first rule whose `path_regex` matches it
//! anywhere (RE2 syntax, unanchored), or that has none.
//!
//! ferry encrypts with age alone: a matching rule that names other keys (pgp, kms, gcp_kms,
//! azure_keyvault, hc_vault_transit_uri, hckms) or several key groups is an error rather than a
//! file some of the team cannot open. What is encrypted is ferry's choice (a Secret's `data` and
//! `stringData`); a rule's `encrypted_regex` and the like are not used. `mac_only_encrypted` is.

use crate::error::{Error, Location, Result};
use crate::yaml::Node;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration file's name (sops ignores `.sops.yml`, and so does ferry).
pub const CONFIG_FILE: &str = ".sops.yaml";

/// What a creation rule says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    pub recipients: Vec<String>,
    pub mac_only_encrypted: bool,
    /// The `.sops.yaml` it came from.
    pub config: PathBuf,
}

/// The nearest `.sops.yaml` in `dir` or a directory above it (at most 100 levels, as sops).
pub fn find(dir: &Path) -> Option<PathBuf> {
    let mut d = Some(dir);
    for _ in 0..100 {
        let here = d?;
        let candidate = here.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        d = here.parent();
    }
    None
}

/// The creation rule of `config` for `file` (absolute), or `None` when the file has no
/// `creation_rules` or none matches.
pub fn creation_rule(config: &Path, file: &Path) -> Result<Option<Creation>> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| Error::io(config, "cannot read the sops configuration", e))?;
    let name: Arc<str> = Arc::from(config.display().to_string());
    let Some(doc) = crate::yaml::parse_document(&text, name, &crate::yaml::Limits::default())?
    else {
        return Ok(None);
    };
    let Some(rules) = doc.get("creation_rules") else {
        return Ok(None);
    };
    let Some(rules) = rules.as_seq() else {
        return Err(Error::invalid(
            &rules.loc,
            "creation_rules: expected a list of rules",
        ));
    };
    let dir = config.parent().unwrap_or(Path::new("."));
    let rel = file.strip_prefix(dir).unwrap_or(file);
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    for rule in rules {
        if let Some(re) = rule.get("path_regex") {
            let pattern = scalar(re)?;
            let compiled = regex::Regex::new(&pattern).map_err(|e| {
                Error::invalid(
                    &re.loc,
                    format!("path_regex: not a regular expression: {e}"),
                )
            })?;
            if !compiled.is_match(&rel) {
                continue;
            }
        }
        return Ok(Some(creation(rule, config)?));
    }
    Ok(None)
}

fn scalar(n: &Node) -> Result<String> {
    n.as_scalar()
        .map(|s| s.text.clone())
        .ok_or_else(|| Error::invalid(&n.loc, "expected a string"))
}

/// A key field: a comma-separated string or a list of strings.
fn key_list(n: &Node) -> Result<Vec<(String, Location)>> {
    match (n.as_scalar(), n.as_seq()) {
        (Some(s), _) => Ok(s
            .text
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| (k.to_string(), n.loc.clone()))
            .collect()),
        (_, Some(items)) => items
            .iter()
            .map(|i| scalar(i).map(|s| (s.trim().to_string(), i.loc.clone())))
            .collect(),
        _ if n.is_null() => Ok(Vec::new()),
        _ => Err(Error::invalid(
            &n.loc,
            "expected a comma-separated string or a list of keys",
        )),
    }
}

const OTHER_KEYS: &[&str] = &[
    "pgp",
    "kms",
    "gcp_kms",
    "azure_keyvault",
    "hc_vault_transit_uri",
    "hckms",
];

fn creation(rule: &Node, config: &Path) -> Result<Creation> {
    let group = match rule.get("key_groups").and_then(Node::as_seq) {
        Some([one]) => one,
        Some([]) | None => rule,
        Some([_, second, ..]) => {
            return Err(Error::invalid(
                &second.loc,
                "key_groups: ferry encrypts to one group of age keys; Shamir's several groups need sops itself",
            ))
        }
    };
    for k in OTHER_KEYS {
        if let Some(n) = group.get(k) {
            if !key_list(n)?.is_empty() {
                return Err(Error::invalid(
                    &n.loc,
                    format!("{k}: ferry encrypts with age keys only; give this file's age recipients with --age-recipient or x-ferry ageRecipients, or write a creation rule for it with age keys alone"),
                ));
            }
        }
    }
    let mut recipients = Vec::new();
    if let Some(n) = group.get("age") {
        for (k, loc) in key_list(n)? {
            let r = super::keys::check_recipient(&k).map_err(|e| Error::invalid(&loc, e))?;
            if !recipients.contains(&r) {
                recipients.push(r);
            }
        }
    }
    if recipients.is_empty() {
        return Err(Error::invalid(
            &rule.loc,
            "this creation rule matches the file but names no age recipient",
        ));
    }
    let mac_only_encrypted = rule
        .get("mac_only_encrypted")
        .and_then(Node::as_scalar)
        .is_some_and(|s| s.text == "true");
    Ok(Creation {
        recipients,
        mac_only_encrypted,
        config: config.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "age1uty9mnvaf3cl9pm0n255x0wnw7rpsl090d5uyah6tru0xs29ffcqnun4vs";

    fn with_config(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), text).unwrap();
        std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
        dir
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let dir = with_config(&format!(
            "creation_rules:\n  - path_regex: ^other/\n    age: age1nope\n  - path_regex: k8s/.*secret\\.yaml$\n    age: >-\n      {A},\n      {A}\n    mac_only_encrypted: true\n  - age: [{A}]\n"
        ));
        let config = find(&dir.path().join("k8s")).unwrap();
        let found = creation_rule(&config, &dir.path().join("k8s/db-secret.yaml"))
            .unwrap()
            .unwrap();
        assert_eq!(found.recipients, [A]);
        assert!(found.mac_only_encrypted);
        let other = creation_rule(&config, &dir.path().join("k8s/values.yaml"))
            .unwrap()
            .unwrap();
        assert!(!other.mac_only_encrypted);
    }

    #[test]
    fn other_kinds_of_keys_are_refused() {
        let dir = with_config(&format!(
            "creation_rules:\n  - key_groups:\n      - age: [{A}]\n        pgp: [ABCDEF]\n"
        ));
        let err = creation_rule(
            &dir.path().join(CONFIG_FILE),
            &dir.path().join("k8s/x.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(":4:14: pgp: ferry encrypts with age keys only"),
            "{err}"
        );
        let none = with_config("creation_rules:\n  - path_regex: ^nothing$\n    age: x\n");
        assert_eq!(
            creation_rule(
                &none.path().join(CONFIG_FILE),
                &none.path().join("k8s/x.yaml")
            )
            .unwrap(),
            None
        );
    }
}
