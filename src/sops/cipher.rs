//! One value of a SOPS file: AES-256-GCM with a 32-byte IV, written as
//! `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]` (sops' `aes/cipher.go`). The additional data is
//! the value's path in the document, its keys joined by `:` with a trailing `:`
//! (`data:DB_PASSWORD:`); the MAC's is the file's `lastmodified`.

use aes_gcm::aead::{consts::U32, Aead, Payload};
use aes_gcm::{aes::Aes256, AesGcm, KeyInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// sops' nonce size: 32 bytes, not GCM's usual 12.
pub const IV_SIZE: usize = 32;
const TAG_SIZE: usize = 16;

type Gcm = AesGcm<Aes256, U32>;

/// A data key: 32 random bytes, the AES-256 key of every value of one file.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(pub [u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<32 bytes>)")
    }
}

impl DataKey {
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        random_bytes(&mut k);
        DataKey(k)
    }

    fn gcm(&self) -> Gcm {
        Gcm::new_from_slice(&self.0).expect("a 32-byte key")
    }
}

/// Fill `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source");
}

/// A parsed `ENC[…]` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    pub data: Vec<u8>,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
    /// `str`, `int`, `float`, `bool`, `bytes`, `time` or `comment`.
    pub kind: String,
}

impl Encrypted {
    /// Parse sops' format; `None` when `s` is not one.
    pub fn parse(s: &str) -> Option<Self> {
        let inner = s.strip_prefix("ENC[AES256_GCM,")?.strip_suffix(']')?;
        let mut fields = inner.split(',');
        let mut take = |name: &str| fields.next()?.strip_prefix(name).map(str::to_string);
        let data = take("data:")?;
        let iv = take("iv:")?;
        let tag = take("tag:")?;
        let kind = take("type:")?;
        Some(Encrypted {
            data: STANDARD.decode(data).ok()?,
            iv: STANDARD.decode(iv).ok()?,
            tag: STANDARD.decode(tag).ok()?,
            kind,
        })
    }

    pub fn to_text(&self) -> String {
        format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]",
            STANDARD.encode(&self.data),
            STANDARD.encode(&self.iv),
            STANDARD.encode(&self.tag),
            self.kind
        )
    }

    /// The plaintext bytes, or `None` when the key, the path or the value is not the one it was
    /// made with.
    pub fn open(&self, key: &DataKey, aad: &str) -> Option<Vec<u8>> {
        if self.iv.is_empty() {
            return None;
        }
        let mut sealed = self.data.clone();
        sealed.extend_from_slice(&self.tag);
        // The nonce type is 32 bytes; sops writes only 32-byte IVs.
        let nonce = aes_gcm::Nonce::<U32>::try_from(self.iv.as_slice()).ok()?;
        key.gcm()
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }
}

/// Encrypt `plain` as a string value (`type:str`) under `aad`, with `iv` (random when `None`).
/// An empty string stays empty, as sops leaves it.
pub fn seal(plain: &[u8], key: &DataKey, aad: &str, iv: Option<&[u8]>) -> String {
    if plain.is_empty() {
        return String::new();
    }
    let iv: Vec<u8> = match iv {
        Some(iv) if iv.len() == IV_SIZE => iv.to_vec(),
        _ => {
            let mut iv = vec![0u8; IV_SIZE];
            random_bytes(&mut iv);
            iv
        }
    };
    let nonce = aes_gcm::Nonce::<U32>::try_from(iv.as_slice()).expect("a 32-byte IV");
    let out = key
        .gcm()
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any value of a Secret");
    let (data, tag) = out.split_at(out.len() - TAG_SIZE);
    Encrypted {
        data: data.to_vec(),
        iv,
        tag: tag.to_vec(),
        kind: "str".into(),
    }
    .to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_depend_on_their_path() {
        let key = DataKey::random();
        let text = seal(b"s3cr3t", &key, "data:DB_PASSWORD:", None);
        assert!(text.starts_with("ENC[AES256_GCM,data:"), "{text}");
        assert!(text.ends_with(",type:str]"), "{text}");
        let enc = Encrypted::parse(&text).unwrap();
        assert_eq!(enc.iv.len(), IV_SIZE);
        assert_eq!(enc.to_text(), text);
        assert_eq!(
            enc.open(&key, "data:DB_PASSWORD:").as_deref(),
            Some(&b"s3cr3t"[..])
        );
        // Moved to another key, or opened with another data key, it does not decrypt.
        assert_eq!(enc.open(&key, "data:OTHER:"), None);
        assert_eq!(enc.open(&DataKey::random(), "data:DB_PASSWORD:"), None);
    }

    #[test]
    fn the_same_iv_gives_the_same_text_and_empty_stays_empty() {
        let key = DataKey::random();
        let a = seal(b"x", &key, "data:A:", None);
        let iv = Encrypted::parse(&a).unwrap().iv;
        assert_eq!(seal(b"x", &key, "data:A:", Some(&iv)), a);
        assert_ne!(seal(b"x", &key, "data:A:", None), a);
        assert_eq!(seal(b"", &key, "data:A:", None), "");
        assert_eq!(Encrypted::parse("plain"), None);
    }

    /// A value written by sops 3.11 (`sops encrypt`), opened with its data key.
    #[test]
    fn opens_a_value_sops_wrote() {
        // tests/data/sops/written-by-sops.yaml: its age stanza opened with `age -d -i
        // tests/data/sops/age-key.txt` gives this data key.
        let key = DataKey(
            STANDARD
                .decode("mvxlEEvUnV4AKmCMvljwXaoJvhXMzVuCvy3P4Qqtu88=")
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let value = "ENC[AES256_GCM,data:2cm3tg==,iv:iut0D/fVzTsWTErdTVEnNIhWXbPez8zE8ZAhnh5dBSc=,tag:3Fejs8F2k1kuNTaipfezPA==,type:str]";
        let enc = Encrypted::parse(value).unwrap();
        assert_eq!(enc.open(&key, "data:K:").as_deref(), Some(&b"czNj"[..]));
    }
}
