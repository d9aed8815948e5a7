//! Encrypt a tree's SOPS files against what the output directory holds (`--env-secrets sops`).
//!
//! Encryption is randomised, so a file is rewritten only when what it holds changes: the file on
//! disk is opened with the identities sops would use and compared value by value; without one
//! that opens it, only its keys, clear values and recipients are compared (and the caller says
//! so). An unchanged file keeps its bytes, so two runs over the same input give the same tree.

use crate::error::{Error, Result};
use crate::render::Tree;
use crate::sops::{rules, Identities, Outcome, Rule};
use std::path::Path;

/// What sealing did, file by file (paths relative to the output directory).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Kept: no identity opened them, so only keys, clear values and recipients were compared.
    pub kept_unopened: Vec<String>,
    /// Not made: a value is not known here and the file on disk does not hold it. With
    /// `allow_unknown` each stays in the tree as a placeholder that differs from the disk.
    pub unknown: Vec<(String, String)>,
}

/// Encrypt every [`Tree::sealed`] file into [`Tree::files`]. `identities` open existing files;
/// `allow_unknown` (for `diff` and `--check`) turns a file that cannot be made here into a
/// change instead of an error.
pub fn seal(
    tree: &mut Tree,
    dir: &Path,
    identities: &Identities,
    allow_unknown: bool,
) -> Result<Sealed> {
    let mut out = Sealed::default();
    let mut errors = Vec::new();
    let now = crate::sops::file::now_rfc3339();
    for f in std::mem::take(&mut tree.sealed) {
        let full = std::path::absolute(dir.join(&f.path))
            .map_err(|e| Error::io(dir.join(&f.path), "cannot resolve the path", e))?;
        let rule = rule_for(&f, &full)?;
        // Only a regular file is read (a symbolic link is never followed).
        let existing = match std::fs::symlink_metadata(&full) {
            Ok(m) if m.file_type().is_file() => std::fs::read(&full).ok(),
            _ => None,
        };
        let (bytes, outcome) = crate::sops::file::seal(
            &f.header,
            &f.plain,
            &rule,
            existing.as_deref(),
            identities,
            &now,
        );
        match (outcome, bytes) {
            (Outcome::Kept { values_compared }, Some(b)) => {
                if !values_compared {
                    out.kept_unopened.push(f.path.clone());
                }
                tree.files.insert(f.path, b);
            }
            (Outcome::Unknown(path), _) => {
                let key = path.last().cloned().unwrap_or_default();
                let why = format!(
                    "{} cannot be encrypted here: the value of `{key}` is not known on this machine (a variable not set, or a secret file missing), and {}; run `ferry convert` where the compose project's .env and secret files are{}",
                    f.what,
                    if existing.is_some() {
                        "the encrypted file cannot be opened to keep it (no age identity opens it: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)"
                    } else {
                        "there is no encrypted file yet to keep it from"
                    },
                    if existing.is_some() { ", or with the age identity" } else { "" }
                );
                if allow_unknown {
                    let text = format!("{}\n# {why}\n", f.header);
                    tree.files.insert(f.path.clone(), text.into_bytes());
                    out.unknown.push((f.path, why));
                } else {
                    let loc = f
                        .unknown_at
                        .iter()
                        .find(|(k, _)| *k == key)
                        .and_then(|(_, l)| l.clone());
                    errors.push(match loc {
                        Some(l) => Error::invalid(&l, why),
                        None => Error::Usage(why),
                    });
                }
            }
            (_, Some(b)) => {
                tree.files.insert(f.path, b);
            }
            (_, None) => unreachable!("a file is made unless a value is unknown"),
        }
    }
    match Error::from_many(errors) {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The recipients of one file: the ones given, else its `.sops.yaml` creation rule.
fn rule_for(f: &crate::render::SealedFile, full: &Path) -> Result<Rule> {
    let mut rule = Rule {
        recipients: f.recipients.clone(),
        encrypted_keys: f.encrypted_keys,
        mac_only_encrypted: false,
    };
    let config = full.parent().and_then(rules::find);
    let creation = match &config {
        Some(c) => rules::creation_rule(c, full)?,
        None => None,
    };
    if let Some(c) = &creation {
        rule.mac_only_encrypted = c.mac_only_encrypted;
        if rule.recipients.is_empty() {
            rule.recipients = c.recipients.clone();
        }
    }
    if rule.recipients.is_empty() {
        return Err(Error::Usage(format!(
            "--env-secrets sops: no age recipient for {}: give one with --age-recipient age1… or top-level `x-ferry: {{ageRecipients: [age1…]}}`, or write a creation rule for it in .sops.yaml{}",
            full.display(),
            config
                .map(|c| format!(" ({} has none that matches)", c.display()))
                .unwrap_or_default()
        )));
    }
    Ok(rule)
}
