//! SOPS-encrypted files, written and read by ferry itself (`--env-secrets sops`).
//!
//! ferry encrypts natively, without an installed `sops`: the age crate wraps each file's data
//! key, AES-256-GCM encrypts the values, and this module writes sops' YAML format (the `ENC[…]`
//! values, the MAC, the `sops:` block) so that `sops -d`, Flux's kustomize-controller and KSOPS
//! read the files as their own. `docs/secrets.md` says why and what is guaranteed.
//!
//! - [`cipher`]: one value (AES-256-GCM, 32-byte IV, the value's path as additional data);
//! - [`file`]: a whole file (the MAC, the metadata, keeping what an existing file holds);
//! - [`keys`]: age recipients and identities (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, sops' key
//!   file);
//! - [`rules`]: the project's `.sops.yaml` creation rules.

pub mod cipher;
pub mod file;
pub mod keys;
pub mod rules;

pub use file::{Outcome, Plain, Rule};
pub use keys::Identities;
