//! CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints them.
//!
//! The key list is the trust anchor (`integrity-validation.md` §6): whoever can add a key to it can
//! forge digests that verify. The user supplies it, so the report shows every fingerprint used.

use base64::Engine;
use md5::{Digest as _, Md5};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use serde::Deserialize;
use trailscope_model::{hex_lower, Timestamp};

/// One key of the list.
#[derive(Clone, Debug)]
pub struct PublicKey {
    /// The `Fingerprint` field, lowercased.
    pub fingerprint: String,
    /// The base64 `Value` as given.
    pub value: String,
    /// Validity start, if given.
    pub valid_from: Option<Timestamp>,
    /// Validity end, if given.
    pub valid_to: Option<Timestamp>,
    /// The key, if `Value` decodes to a PKCS#1 or SubjectPublicKeyInfo RSA key.
    pub key: Result<RsaPublicKey, KeyError>,
    /// Which DER form `Value` holds.
    pub encoding: Option<KeyEncoding>,
    /// Whether `Fingerprint` is the MD5 of the decoded `Value`, as for every real CloudTrail key.
    pub fingerprint_matches_value: bool,
}

/// The DER form of a key's `Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEncoding {
    /// `RSAPublicKey` (what CloudTrail publishes).
    Pkcs1,
    /// `SubjectPublicKeyInfo` (what some tools convert keys to).
    Spki,
}

/// Why a key cannot be used, in aws-cli's words where it has them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// `Value` is not valid base64.
    #[error("Incorrect padding")]
    Base64,
    /// `Value` is neither PKCS#1 nor SPKI DER of an RSA key.
    #[error("Unable to load PKCS #1 key with fingerprint {0}")]
    Der(String),
}

/// The public-key file is unreadable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the public-key file is not list-public-keys output: {0}")]
pub struct KeyFileError(pub String);

/// All keys given, looked up by fingerprint (the last of duplicates wins, as in aws-cli).
#[derive(Clone, Debug, Default)]
pub struct PublicKeys {
    keys: Vec<PublicKey>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeyFile {
    Listed {
        #[serde(rename = "PublicKeyList")]
        list: Vec<RawKey>,
    },
    Bare(Vec<RawKey>),
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(rename = "Value")]
    value: String,
    #[serde(rename = "Fingerprint")]
    fingerprint: String,
    #[serde(rename = "ValidityStartTime", default)]
    start: Option<serde_json::Value>,
    #[serde(rename = "ValidityEndTime", default)]
    end: Option<serde_json::Value>,
}

fn time_of(value: Option<&serde_json::Value>) -> Option<Timestamp> {
    match value? {
        serde_json::Value::Number(n) => n
            .as_f64()
            .and_then(trailscope_model::time::epoch_number_to_timestamp),
        serde_json::Value::String(s) => trailscope_model::parse_event_time(s).map(|(t, _)| t),
        _ => None,
    }
}

impl PublicKeys {
    /// Reads `list-public-keys` output (CLI v1 epoch-second or v2 ISO times), or a bare array
    /// of its entries. Several files can be merged with [`PublicKeys::extend`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeyFileError> {
        let file: KeyFile =
            serde_json::from_slice(bytes).map_err(|e| KeyFileError(e.to_string()))?;
        let raw = match file {
            KeyFile::Listed { list } | KeyFile::Bare(list) => list,
        };
        Ok(PublicKeys {
            keys: raw.into_iter().map(PublicKey::from_raw).collect(),
        })
    }

    /// Adds another file's keys.
    pub fn extend(&mut self, other: PublicKeys) {
        self.keys.extend(other.keys);
    }

    /// The key with this fingerprint.
    pub fn find(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.fingerprint.eq_ignore_ascii_case(fingerprint))
    }

    /// Every key, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl PublicKey {
    fn from_raw(raw: RawKey) -> Self {
        let fingerprint = raw.fingerprint.to_ascii_lowercase();
        let decoded = base64::engine::general_purpose::STANDARD.decode(raw.value.trim());
        let (key, encoding, matches) = match &decoded {
            Err(_) => (Err(KeyError::Base64), None, false),
            Ok(der) => {
                let matches = hex_lower(&Md5::digest(der)) == fingerprint;
                match RsaPublicKey::from_pkcs1_der(der) {
                    Ok(k) => (Ok(k), Some(KeyEncoding::Pkcs1), matches),
                    Err(_) => match RsaPublicKey::from_public_key_der(der) {
                        Ok(k) => (Ok(k), Some(KeyEncoding::Spki), matches),
                        Err(_) => (Err(KeyError::Der(fingerprint.clone())), None, matches),
                    },
                }
            }
        };
        PublicKey {
            fingerprint,
            value: raw.value,
            valid_from: time_of(raw.start.as_ref()),
            valid_to: time_of(raw.end.as_ref()),
            key,
            encoding,
            fingerprint_matches_value: matches,
        }
    }
}
