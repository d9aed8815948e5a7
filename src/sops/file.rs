//! A whole SOPS file in YAML: the document with some values encrypted, and the `sops:` block
//! (age stanzas holding the data key, `lastmodified`, the encrypted MAC, `encrypted_regex`,
//! `version`), as sops 3 reads and writes it (`sops.go`, `stores/stores.go`,
//! `cmd/sops/common`).
//!
//! The MAC is SHA-512 over every value of the document in order (strings as their bytes,
//! booleans as `True`/`False`), or over the encrypted ones only after a fixed 32-byte prefix
//! with `mac_only_encrypted`; it is written as its upper-case hex, encrypted with the data key
//! and the `lastmodified` text as additional data. Keys stay in clear; comments are outside the
//! MAC.

use super::cipher::{self, DataKey, Encrypted};
use super::keys::Identities;
use serde_json::{Map, Value};
use sha2::{Digest, Sha512};

/// The version of sops whose format ferry writes (and was checked against).
pub const SOPS_VERSION: &str = "3.11.0";

/// `sops.MACOnlyEncryptedInitialization`: sha256("sops").
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// How a document is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// age recipients (`age1…`), in the order given.
    pub recipients: Vec<String>,
    /// Values under these keys are encrypted (sops' `encrypted_regex` `^(a|b)$`).
    pub encrypted_keys: &'static [&'static str],
    /// `mac_only_encrypted` (from a `.sops.yaml` creation rule).
    pub mac_only_encrypted: bool,
}

impl Rule {
    /// The `encrypted_regex` written into the file.
    pub fn encrypted_regex(&self) -> String {
        format!("^({})$", self.encrypted_keys.join("|"))
    }

    fn encrypts(&self, path: &[String]) -> bool {
        path.iter()
            .any(|p| self.encrypted_keys.contains(&p.as_str()))
    }
}

/// The document to encrypt: every leaf a string. `unknown` leaves (a variable not set, a secret
/// file missing on this machine) hold `""` and are taken from the existing file when it can be
/// decrypted.
#[derive(Clone, Default, PartialEq)]
pub struct Plain {
    pub doc: Map<String, Value>,
    pub unknown: Vec<Vec<String>>,
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plain")
            .field("keys", &self.doc.keys().collect::<Vec<_>>())
            .field("unknown", &self.unknown)
            .finish()
    }
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file on disk already holds this: its bytes are kept. `values_compared` is false when
    /// no identity could open it, so only its keys, clear values and recipients were compared.
    Kept { values_compared: bool },
    /// Newly encrypted (no file yet, or what it holds changed).
    Written,
    /// It cannot be made here: the value at this path is not known on this machine, and the
    /// file on disk does not hold it (or cannot be opened).
    Unknown(Vec<String>),
}

/// The metadata of an existing file.
#[derive(Debug, Clone, Default)]
struct Meta {
    age: Vec<(String, String)>,
    lastmodified: String,
    mac: String,
    encrypted_regex: Option<String>,
    mac_only_encrypted: bool,
    /// Keys of another kind (pgp, kms, …) or key groups: ferry would drop them.
    other_keys: bool,
}

/// A file read back: the document (encrypted values as written) and its metadata.
#[derive(Debug, Clone)]
struct Existing {
    doc: Map<String, Value>,
    meta: Meta,
}

/// Every leaf of a document, in order, with its path (keys only: a list item keeps its list's
/// path, as in sops).
fn leaves<'a>(v: &'a Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                path.push(k.clone());
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(a) => a.iter().for_each(|v| leaves(v, path, out)),
        other => out.push((path.clone(), other)),
    }
}

fn leaves_of(doc: &Map<String, Value>) -> Vec<(Vec<String>, &Value)> {
    let mut out = Vec::new();
    for (k, v) in doc {
        leaves(v, &mut vec![k.clone()], &mut out);
    }
    out
}

/// sops' `ToBytes` of a clear value; `None` for null (left out of the MAC).
fn mac_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone().into_bytes()),
        Value::Bool(true) => Some(b"True".to_vec()),
        Value::Bool(false) => Some(b"False".to_vec()),
        Value::Number(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

/// The additional data of the value at `path`.
fn aad(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

/// The MAC (upper-case hex) of a document's clear leaves.
fn mac(leaves: &[(Vec<String>, Value)], rule: &Rule) -> String {
    let mut h = Sha512::new();
    if rule.mac_only_encrypted {
        h.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for (path, v) in leaves {
        if rule.mac_only_encrypted && !rule.encrypts(path) {
            continue;
        }
        if let Some(b) = mac_bytes(v) {
            h.update(&b);
        }
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<String>()
}

/// Set the leaf at `path` (the first leaf there) to `value`.
fn set_leaf(doc: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(mut cur) = doc.get_mut(first) else {
        return;
    };
    for k in rest {
        match cur {
            Value::Object(m) => match m.get_mut(k) {
                Some(next) => cur = next,
                None => return,
            },
            _ => return,
        }
    }
    *cur = value;
}

/// Read a SOPS file; `None` when it is not one (no `sops:` block, not YAML, not a mapping).
fn read(bytes: &[u8]) -> Option<Existing> {
    let text = std::str::from_utf8(bytes).ok()?;
    let node = crate::yaml::parse_document(
        text,
        std::sync::Arc::from("existing"),
        &crate::yaml::Limits::default(),
    )
    .ok()??;
    let Value::Object(mut doc) = node.to_json() else {
        return None;
    };
    let Value::Object(sops) = doc.shift_remove("sops")? else {
        return None;
    };
    let s = |k: &str| sops.get(k).and_then(Value::as_str).map(str::to_string);
    let mut meta = Meta {
        lastmodified: s("lastmodified")?,
        mac: s("mac")?,
        encrypted_regex: s("encrypted_regex"),
        mac_only_encrypted: sops.get("mac_only_encrypted") == Some(&Value::Bool(true)),
        ..Meta::default()
    };
    for (k, v) in &sops {
        let nonempty = match v {
            Value::Array(a) => !a.is_empty(),
            Value::Null => false,
            _ => true,
        };
        match k.as_str() {
            "age" => {
                for item in v.as_array().into_iter().flatten() {
                    let r = item.get("recipient").and_then(Value::as_str)?;
                    let enc = item.get("enc").and_then(Value::as_str)?;
                    meta.age.push((r.to_string(), enc.to_string()));
                }
            }
            "pgp" | "kms" | "gcp_kms" | "azure_kv" | "hc_vault" | "hckms" | "key_groups"
                if nonempty =>
            {
                meta.other_keys = true
            }
            "unencrypted_suffix"
            | "encrypted_suffix"
            | "unencrypted_regex"
            | "unencrypted_comment_regex"
            | "encrypted_comment_regex"
                if nonempty =>
            {
                // Another way of choosing what is encrypted: not the file ferry would write.
                meta.encrypted_regex = Some(format!("<{k}>"));
            }
            _ => {}
        }
    }
    Some(Existing { doc, meta })
}

impl Existing {
    fn data_key(&self, identities: &Identities) -> Option<DataKey> {
        self.meta
            .age
            .iter()
            .find_map(|(_, enc)| identities.open(enc))
    }

    /// The document with every value decrypted, when the MAC holds.
    fn decrypt(&self, key: &DataKey, rule: &Rule) -> Option<Map<String, Value>> {
        let mut plain = self.doc.clone();
        let mut clear = Vec::new();
        for (path, v) in leaves_of(&self.doc) {
            let value = match v {
                Value::String(s) if rule.encrypts(&path) && !s.is_empty() => {
                    let e = Encrypted::parse(s)?;
                    let bytes = e.open(key, &aad(&path))?;
                    let text = String::from_utf8(bytes).ok()?;
                    if e.kind != "str" {
                        // Typed by sops (int, bool…): never ferry's; compare as different.
                        Value::String(format!("<{}>{text}", e.kind))
                    } else {
                        Value::String(text)
                    }
                }
                other => other.clone(),
            };
            set_leaf(&mut plain, &path, value.clone());
            clear.push((path, value));
        }
        let stored = Encrypted::parse(&self.meta.mac)?.open(key, &self.meta.lastmodified)?;
        (stored == mac(&clear, rule).into_bytes()).then_some(plain)
    }

    /// The IV of the encrypted value at `path`.
    fn iv(&self, path: &[String]) -> Option<Vec<u8>> {
        leaves_of(&self.doc)
            .into_iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, v)| v.as_str().and_then(Encrypted::parse))
            .map(|e| e.iv)
    }

    fn same_keys(&self, rule: &Rule) -> bool {
        let mut mine: Vec<&str> = self.meta.age.iter().map(|(r, _)| r.as_str()).collect();
        let mut theirs: Vec<&str> = rule.recipients.iter().map(String::as_str).collect();
        mine.sort_unstable();
        mine.dedup();
        theirs.sort_unstable();
        theirs.dedup();
        mine == theirs
            && !self.meta.other_keys
            && self.meta.encrypted_regex.as_deref() == Some(rule.encrypted_regex().as_str())
            && self.meta.mac_only_encrypted == rule.mac_only_encrypted
    }

    /// Without the data key: the same keys in the same order, the same clear values, an
    /// encrypted value where `plain` has one (or does not know it), and the same recipients.
    fn same_shape(&self, plain: &Plain, rule: &Rule) -> bool {
        let ours = leaves_of(&plain.doc);
        let theirs = leaves_of(&self.doc);
        self.same_keys(rule)
            && ours.len() == theirs.len()
            && ours.iter().zip(&theirs).all(|((p, v), (q, w))| {
                p == q
                    && (plain.unknown.contains(p)
                        || match (rule.encrypts(p), v, w) {
                            (true, Value::String(a), Value::String(b)) => {
                                a.is_empty() == b.is_empty()
                                    && (b.is_empty() || Encrypted::parse(b).is_some())
                            }
                            _ => v == w,
                        })
            })
    }
}

/// Encrypt `plain` under `rule` into the bytes of a file that starts with `header`, keeping what
/// `existing` (the file on disk, if any) already holds: its bytes when nothing changed, else its
/// data key and the ciphertext of each unchanged value when its recipients are the same.
/// `now` is the `lastmodified` time (RFC 3339, UTC).
pub fn seal(
    header: &str,
    plain: &Plain,
    rule: &Rule,
    existing: Option<&[u8]>,
    identities: &Identities,
    now: &str,
) -> (Option<Vec<u8>>, Outcome) {
    let old = existing.and_then(|b| read(b).map(|e| (b, e)));
    let opened = old.as_ref().and_then(|(_, e)| {
        let key = e.data_key(identities)?;
        let doc = e.decrypt(&key, rule)?;
        Some((key, doc))
    });
    let mut plain = plain.clone();
    if let (Some((_, their_doc)), Some((_, e))) = (&opened, &old) {
        // Values this machine does not know are the ones the file holds.
        let theirs = leaves_of(their_doc);
        plain
            .unknown
            .retain(|path| match theirs.iter().find(|(p, _)| p == path) {
                Some((_, v)) => {
                    set_leaf(&mut plain.doc, path, (*v).clone());
                    false
                }
                None => true,
            });
        let same = e.same_keys(rule)
            && leaves_of(&plain.doc)
                .iter()
                .map(|(p, v)| (p.clone(), (*v).clone()))
                .eq(theirs.iter().map(|(p, v)| (p.clone(), (*v).clone())));
        if same && plain.unknown.is_empty() {
            let bytes = old.as_ref().map(|(b, _)| b.to_vec());
            return (
                bytes,
                Outcome::Kept {
                    values_compared: true,
                },
            );
        }
    } else if let Some((bytes, e)) = &old {
        if e.same_shape(&plain, rule) {
            return (
                Some(bytes.to_vec()),
                Outcome::Kept {
                    values_compared: false,
                },
            );
        }
    }
    if let Some(path) = plain.unknown.first() {
        return (None, Outcome::Unknown(path.clone()));
    }
    // Re-encrypt: with the file's own data key (and the IV of every unchanged value) when its
    // recipients stay, else with a new one (a removed recipient must not keep the key).
    let reuse = match (&opened, &old) {
        (Some((key, their_doc)), Some((_, e))) if e.same_keys(rule) => {
            Some((key.clone(), e, their_doc))
        }
        _ => None,
    };
    let key = reuse
        .as_ref()
        .map(|(k, _, _)| k.clone())
        .unwrap_or_else(DataKey::random);
    let clear: Vec<(Vec<String>, Value)> = leaves_of(&plain.doc)
        .into_iter()
        .map(|(p, v)| (p, v.clone()))
        .collect();
    let mut doc = plain.doc.clone();
    for (path, v) in &clear {
        if !rule.encrypts(path) {
            continue;
        }
        let text = v.as_str().unwrap_or_default();
        let iv = reuse.as_ref().and_then(|(_, e, their_doc)| {
            let same = leaves_of(their_doc)
                .into_iter()
                .any(|(p, w)| &p == path && w == v);
            same.then(|| e.iv(path)).flatten()
        });
        set_leaf(
            &mut doc,
            path,
            Value::String(cipher::seal(
                text.as_bytes(),
                &key,
                &aad(path),
                iv.as_deref(),
            )),
        );
    }
    let stanzas: Vec<(String, String)> = match &reuse {
        Some((_, e, _)) => e.meta.age.clone(),
        None => rule
            .recipients
            .iter()
            .map(|r| (r.clone(), super::keys::wrap(r, &key)))
            .collect(),
    };
    let mac = cipher::seal(mac(&clear, rule).as_bytes(), &key, now, None);
    let mut sops = Map::new();
    sops.insert(
        "age".into(),
        Value::Array(
            stanzas
                .into_iter()
                .map(|(r, enc)| {
                    let mut m = Map::new();
                    m.insert("recipient".into(), Value::String(r));
                    m.insert("enc".into(), Value::String(enc));
                    Value::Object(m)
                })
                .collect(),
        ),
    );
    sops.insert("lastmodified".into(), Value::String(now.to_string()));
    sops.insert("mac".into(), Value::String(mac));
    sops.insert(
        "encrypted_regex".into(),
        Value::String(rule.encrypted_regex()),
    );
    if rule.mac_only_encrypted {
        sops.insert("mac_only_encrypted".into(), Value::Bool(true));
    }
    sops.insert("version".into(), Value::String(SOPS_VERSION.into()));
    doc.insert("sops".into(), Value::Object(sops));
    let text = format!(
        "{header}\n{}",
        crate::yaml::emit::to_document(&Value::Object(doc))
    );
    (Some(text.into_bytes()), Outcome::Written)
}

/// The document of a SOPS file, decrypted with `identities`: for tests and checks. An error
/// says why not (not a SOPS file, no identity opens it, the MAC does not hold).
pub fn decrypt(
    bytes: &[u8],
    encrypted_keys: &'static [&'static str],
    identities: &Identities,
) -> Result<Map<String, Value>, String> {
    let e = read(bytes).ok_or("not a SOPS file")?;
    let rule = Rule {
        recipients: Vec::new(),
        encrypted_keys,
        mac_only_encrypted: e.meta.mac_only_encrypted,
    };
    let key = e.data_key(identities).ok_or("no identity opens it")?;
    e.decrypt(&key, &rule)
        .ok_or_else(|| "its MAC does not hold".to_string())
}

/// The age recipients a SOPS file is encrypted to (none when it is not a SOPS file).
pub fn recipients(bytes: &[u8]) -> Vec<String> {
    read(bytes)
        .map(|e| e.meta.age.into_iter().map(|(r, _)| r).collect())
        .unwrap_or_default()
}

/// The current time as sops writes `lastmodified`: RFC 3339, UTC, whole seconds.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (days to a civil date, H. Hinnant's
/// algorithm).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET_KEYS: &[&str] = &["data", "stringData"];

    fn test_identity() -> Identities {
        Identities::parse(include_str!("../../tests/data/sops/age-key.txt"))
    }

    const TEST_RECIPIENT: &str = "age1uty9mnvaf3cl9pm0n255x0wnw7rpsl090d5uyah6tru0xs29ffcqnun4vs";

    fn rule() -> Rule {
        Rule {
            recipients: vec![TEST_RECIPIENT.into()],
            encrypted_keys: SECRET_KEYS,
            mac_only_encrypted: false,
        }
    }

    fn secret(value: &str) -> Plain {
        let Value::Object(doc) = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "app-env", "labels": {"app.kubernetes.io/name": "app"}},
            "type": "Opaque",
            "data": {"DB_PASSWORD": value, "EMPTY": ""},
        }) else {
            unreachable!()
        };
        Plain {
            doc,
            unknown: Vec::new(),
        }
    }

    #[test]
    fn reads_a_file_sops_wrote() {
        let bytes = include_bytes!("../../tests/data/sops/written-by-sops.yaml");
        let doc = decrypt(bytes, SECRET_KEYS, &test_identity()).unwrap();
        assert_eq!(Value::Object(doc), json!({"data": {"K": "czNj"}}));
        assert_eq!(recipients(bytes), [TEST_RECIPIENT]);
        // Without the identity it does not open.
        assert!(decrypt(bytes, SECRET_KEYS, &Identities::default()).is_err());
    }

    #[test]
    fn sealed_files_decrypt_to_the_document() {
        let plain = secret("czNjcjN0");
        let (bytes, outcome) = seal(
            "# h",
            &plain,
            &rule(),
            None,
            &Identities::default(),
            "2026-01-02T03:04:05Z",
        );
        assert_eq!(outcome, Outcome::Written);
        let bytes = bytes.unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("# h\napiVersion: v1\n"), "{text}");
        assert!(!text.contains("czNjcjN0"), "{text}");
        assert!(text.contains("EMPTY: \"\""), "{text}");
        assert!(
            text.contains("  encrypted_regex: ^(data|stringData)$\n"),
            "{text}"
        );
        let doc = decrypt(&bytes, SECRET_KEYS, &test_identity()).unwrap();
        assert_eq!(doc, plain.doc);
    }

    #[test]
    fn unchanged_files_are_kept_and_changed_ones_rewritten() {
        let ids = test_identity();
        let none = Identities::default();
        let (first, _) = seal(
            "# h",
            &secret("YQ=="),
            &rule(),
            None,
            &none,
            "2026-01-02T03:04:05Z",
        );
        let first = first.unwrap();
        for (ids, compared) in [(&ids, true), (&none, false)] {
            let (again, outcome) = seal(
                "# h",
                &secret("YQ=="),
                &rule(),
                Some(&first),
                ids,
                "2027-01-01T00:00:00Z",
            );
            assert_eq!(again.as_deref(), Some(first.as_slice()));
            assert_eq!(
                outcome,
                Outcome::Kept {
                    values_compared: compared
                }
            );
        }
        // A changed value: with the identity, rewritten under the same data key.
        let (changed, outcome) = seal(
            "# h",
            &secret("Yg=="),
            &rule(),
            Some(&first),
            &ids,
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(outcome, Outcome::Written);
        let changed = changed.unwrap();
        assert_eq!(
            decrypt(&changed, SECRET_KEYS, &ids).unwrap()["data"]["DB_PASSWORD"],
            "Yg=="
        );
        let stanza = |b: &[u8]| read(b).unwrap().meta.age;
        assert_eq!(stanza(&changed), stanza(&first));
        // Without it, the change is not seen: only keys and recipients are compared.
        let (kept, outcome) = seal(
            "# h",
            &secret("Yg=="),
            &rule(),
            Some(&first),
            &none,
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(kept.as_deref(), Some(first.as_slice()));
        assert_eq!(
            outcome,
            Outcome::Kept {
                values_compared: false
            }
        );
    }

    #[test]
    fn unknown_values_come_from_the_file_or_stop() {
        let ids = test_identity();
        let (first, _) = seal(
            "# h",
            &secret("YQ=="),
            &rule(),
            None,
            &ids,
            "2026-01-02T03:04:05Z",
        );
        let first = first.unwrap();
        let mut unknown = secret("");
        unknown.unknown = vec![vec!["data".into(), "DB_PASSWORD".into()]];
        // Opened: the file's value is the value, so the file is kept.
        let (kept, outcome) = seal("# h", &unknown, &rule(), Some(&first), &ids, "x");
        assert_eq!(kept.as_deref(), Some(first.as_slice()));
        assert!(matches!(outcome, Outcome::Kept { .. }));
        // A label changed: rewritten with the file's value.
        let mut relabelled = unknown.clone();
        relabelled.doc["metadata"]["labels"]["app.kubernetes.io/name"] = json!("other");
        let (new, outcome) = seal("# h", &relabelled, &rule(), Some(&first), &ids, "x");
        assert_eq!(outcome, Outcome::Written);
        assert_eq!(
            decrypt(&new.unwrap(), SECRET_KEYS, &ids).unwrap()["data"]["DB_PASSWORD"],
            "YQ=="
        );
        // Without the identity the label change cannot be made.
        let (none, outcome) = seal(
            "# h",
            &relabelled,
            &rule(),
            Some(&first),
            &Identities::default(),
            "x",
        );
        assert_eq!(none, None);
        assert_eq!(
            outcome,
            Outcome::Unknown(vec!["data".into(), "DB_PASSWORD".into()])
        );
    }

    #[test]
    fn a_removed_recipient_gets_a_new_data_key() {
        let ids = test_identity();
        let other = super::super::keys::Identities::generate_for_tests();
        let mut two = rule();
        two.recipients.push(other.1.clone());
        let (first, _) = seal("# h", &secret("YQ=="), &two, None, &ids, "x");
        let first = first.unwrap();
        let (second, outcome) = seal("# h", &secret("YQ=="), &rule(), Some(&first), &ids, "y");
        assert_eq!(outcome, Outcome::Written);
        let second = second.unwrap();
        assert_eq!(recipients(&second), [TEST_RECIPIENT]);
        // The removed recipient's key cannot open the new file.
        assert!(decrypt(&second, SECRET_KEYS, &other.0).is_err());
        assert!(decrypt(&first, SECRET_KEYS, &other.0).is_ok());
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_682_216), "2026-12-07T22:23:36Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
