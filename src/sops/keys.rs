//! age keys: recipients (`age1…`, the public keys a file is encrypted to) and identities (the
//! private keys that open one), found the way sops finds them.
//!
//! The age crate marks X25519 keys deprecated (not safe against quantum computers); they are
//! the keys sops, Flux and KSOPS use, so they are the ones ferry writes to.
#![allow(deprecated)]

use super::cipher::DataKey;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Check an age recipient: an X25519 public key, `age1…`.
pub fn check_recipient(r: &str) -> Result<String, String> {
    let r = r.trim();
    age::x25519::Recipient::from_str(r)
        .map(|_| r.to_string())
        .map_err(|_| {
            format!("`{r}` is not an age public key (age1… as `age-keygen` prints it; ferry encrypts to X25519 keys)")
        })
}

/// The data key encrypted to one recipient, ASCII-armored as sops writes it.
pub fn wrap(recipient: &str, key: &DataKey) -> String {
    let r = age::x25519::Recipient::from_str(recipient).expect("recipients are checked first");
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        .expect("one recipient");
    let mut out = Vec::new();
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .expect("writing into memory");
    let mut w = encryptor.wrap_output(armored).expect("writing into memory");
    w.write_all(&key.0).expect("writing into memory");
    w.finish()
        .and_then(|a| a.finish())
        .expect("writing into memory");
    String::from_utf8(out).expect("armor is ASCII")
}

/// The age identities ferry may open files with. Never printed.
#[derive(Default)]
pub struct Identities {
    keys: Vec<age::x25519::Identity>,
    /// Where they were found (`SOPS_AGE_KEY`, a file's path), for messages.
    pub sources: Vec<String>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identities({} from {:?})", self.keys.len(), self.sources)
    }
}

impl Identities {
    /// The X25519 identities (`AGE-SECRET-KEY-1…`) in a key file's text; other lines (comments,
    /// plugin or SSH identities) are skipped. Several keys may share a line, separated by
    /// spaces or commas, as `SOPS_AGE_KEY` allows.
    pub fn parse(text: &str) -> Self {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .flat_map(|l| l.split([' ', '\t', ',']))
            .filter_map(|w| age::x25519::Identity::from_str(w.trim()).ok())
            .collect();
        Identities {
            keys,
            sources: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The identities sops would use: `SOPS_AGE_KEY` (keys), `SOPS_AGE_KEY_FILE` (a file), and
    /// sops' default key file (`$XDG_CONFIG_HOME/sops/age/keys.txt`, else
    /// `~/.config/sops/age/keys.txt`; `~/Library/Application Support/sops/age/keys.txt` on
    /// macOS). A file that cannot be read is skipped. `SOPS_AGE_KEY_CMD` and SSH keys are not
    /// used.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut all = Identities::default();
        let mut add = |text: &str, source: String| {
            let found = Identities::parse(text);
            if !found.is_empty() {
                all.keys.extend(found.keys);
                all.sources.push(source);
            }
        };
        if let Some(k) = env("SOPS_AGE_KEY") {
            add(&k, "SOPS_AGE_KEY".into());
        }
        let mut files: Vec<PathBuf> = Vec::new();
        if let Some(f) = env("SOPS_AGE_KEY_FILE").filter(|f| !f.is_empty()) {
            files.push(PathBuf::from(f));
        }
        if let Some(dir) = user_config_dir(env) {
            files.push(dir.join("sops").join("age").join("keys.txt"));
        }
        for f in files {
            if let Ok(text) = read_small(&f) {
                add(&text, f.display().to_string());
            }
        }
        all
    }

    /// The data key in an armored age stanza, when one of these identities opens it.
    pub fn open(&self, armored: &str) -> Option<DataKey> {
        if self.keys.is_empty() {
            return None;
        }
        let reader = age::armor::ArmoredReader::new(armored.as_bytes());
        let decryptor = age::Decryptor::new(reader).ok()?;
        let mut r = decryptor
            .decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
            .ok()?;
        let mut key = Vec::new();
        r.read_to_end(&mut key).ok()?;
        Some(DataKey(key.try_into().ok()?))
    }

    /// A new identity and its recipient (tests).
    #[cfg(test)]
    pub fn generate_for_tests() -> (Identities, String) {
        let id = age::x25519::Identity::generate();
        let r = id.to_public().to_string();
        (
            Identities {
                keys: vec![id],
                sources: vec!["test".into()],
            },
            r,
        )
    }
}

/// Go's `os.UserConfigDir`, with sops' `XDG_CONFIG_HOME` on macOS.
fn user_config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(x) = env("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x));
    }
    let home = PathBuf::from(env("HOME").filter(|h| !h.is_empty())?);
    Some(if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support")
    } else {
        home.join(".config")
    })
}

/// A key file: at most 1 MiB.
fn read_small(path: &Path) -> std::io::Result<String> {
    let f = std::fs::File::open(path)?;
    let mut text = String::new();
    f.take(1 << 20).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn recipients_are_checked() {
        let r = "age1uty9mnvaf3cl9pm0n255x0wnw7rpsl090d5uyah6tru0xs29ffcqnun4vs";
        assert_eq!(check_recipient(&format!(" {r}\n")).unwrap(), r);
        assert!(check_recipient("age1nope").is_err());
        assert!(check_recipient("ssh-ed25519 AAAA").is_err());
    }

    #[test]
    fn wrapped_keys_open_with_the_identity_only() {
        let (ids, r) = Identities::generate_for_tests();
        let key = DataKey::random();
        let armored = wrap(&r, &key);
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(armored.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
        assert_eq!(ids.open(&armored), Some(key));
        assert_eq!(Identities::generate_for_tests().0.open(&armored), None);
        assert_eq!(Identities::default().open(&armored), None);
    }

    #[test]
    fn identities_are_found_as_sops_finds_them() {
        let key = include_str!("../../tests/data/sops/age-key.txt");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.txt");
        std::fs::write(&file, key).unwrap();
        let env = |vars: Vec<(&'static str, String)>| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        let none = Identities::from_env(&env(vec![("HOME", "/nonexistent".into())]));
        assert!(none.is_empty());
        let from_var = Identities::from_env(&env(vec![("SOPS_AGE_KEY", key.into())]));
        assert_eq!(from_var.sources, ["SOPS_AGE_KEY"]);
        let from_file = Identities::from_env(&env(vec![(
            "SOPS_AGE_KEY_FILE",
            file.display().to_string(),
        )]));
        assert_eq!(from_file.keys.len(), 1);
        let xdg = dir.path().join("cfg");
        std::fs::create_dir_all(xdg.join("sops/age")).unwrap();
        std::fs::write(xdg.join("sops/age/keys.txt"), key).unwrap();
        let default =
            Identities::from_env(&env(vec![("XDG_CONFIG_HOME", xdg.display().to_string())]));
        assert_eq!(default.keys.len(), 1);
        // Several keys on one line, as SOPS_AGE_KEY allows.
        let (a, _) = Identities::generate_for_tests();
        let _ = a;
        let two = format!(
            "{} , {}",
            age::x25519::Identity::generate()
                .to_string()
                .expose_secret(),
            age::x25519::Identity::generate()
                .to_string()
                .expose_secret()
        );
        assert_eq!(Identities::parse(&two).keys.len(), 2);
    }
}
