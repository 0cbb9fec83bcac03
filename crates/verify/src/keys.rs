//! CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints them, and which of them
//! may verify a given digest.
//!
//! The key list is the trust anchor (`integrity-validation.md` §6): whoever can add a key to it
//! can forge digests that verify. So the keys that verify are only ever the ones the *user*
//! supplied as trusted ([`crate::VerifyInputs::trusted_keys`]); key lists found among the
//! evidence are recorded and reported, never used. In the default mode a trusted key must also
//! be what it claims: its `Fingerprint` the MD5 of its `Value`, alone under its fingerprint, and
//! valid at the digest's time.

use base64::Engine;
use md5::{Digest as _, Md5};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use serde::Deserialize;
use trailscope_model::{hex_lower, Timestamp};

/// Largest key list read (`list-public-keys` output is a few KB per month of keys).
pub const MAX_KEY_FILE_BYTES: usize = 4 << 20;

/// How long after a digest's end CloudTrail may still sign it: a key whose validity starts up to
/// this long after the digest's end can have signed it. aws-cli asks for the keys of its window
/// extended by the same two hours (`integrity-validation.md` §9 step 2).
const SIGNING_DELAY_MILLIS: i64 = 2 * 3_600_000;

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
    /// The region the user said the list is for (`list-public-keys --region`), if they did:
    /// such a key verifies only digests delivered from that region.
    pub region: Option<String>,
    /// The key, if `Value` decodes to a PKCS#1 or SubjectPublicKeyInfo RSA key.
    pub key: Result<RsaPublicKey, KeyError>,
    /// Which DER form `Value` holds.
    pub encoding: Option<KeyEncoding>,
    /// Whether `Fingerprint` is the MD5 of the decoded `Value`, as for every real CloudTrail key
    /// (or, for a key re-wrapped as SubjectPublicKeyInfo, the MD5 of its PKCS#1 form).
    pub fingerprint_matches_value: bool,
    /// The decoded `Value` (empty when it is not base64), to tell two keys apart.
    der: Vec<u8>,
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

/// Keys as given, in order. Which of them may verify a digest is decided by [`PublicKeys::lookup`]
/// (Trailscope's rules) or [`PublicKeys::lookup_as_aws_cli`].
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
            .and_then(trailscope_model::epoch_number_to_timestamp),
        serde_json::Value::String(s) => trailscope_model::parse_event_time(s).map(|(t, _)| t),
        _ => None,
    }
}

/// What the key list says about the key a digest names.
#[derive(Clone, Debug)]
pub enum KeyLookup<'k> {
    /// This key may verify the digest.
    Found(&'k PublicKey),
    /// No key with that fingerprint (aws-cli: `public key not found`).
    NotFound,
    /// Keys with that fingerprint exist, but none was valid when the digest was signed: a
    /// retired key (or one not yet in use) cannot vouch for it.
    NotValidAt {
        /// The key's validity, as given.
        key: &'k PublicKey,
        /// The digest's time that was checked.
        time: Timestamp,
    },
    /// The key with that fingerprint is not what it claims and is not trusted.
    Untrusted(UntrustedKey),
}

/// Why a key with the right fingerprint is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UntrustedKey {
    /// Its `Fingerprint` is not the MD5 of its `Value`.
    FingerprintMismatch,
    /// The list holds different keys under that one fingerprint.
    Ambiguous,
}

/// The time to check a key's validity against: when the digest was signed, or the best bound.
#[derive(Clone, Copy, Debug)]
pub struct SigningTime<'r> {
    /// The digest's end (`digestEndTime`): it cannot have been signed before it.
    pub not_before: Timestamp,
    /// When it was generated, if known (a backfill digest's `backfill-generation-timestamp`);
    /// otherwise a standard digest is signed within two hours of its end, and a
    /// backfill digest of unknown generation any time after.
    pub generated: Option<Timestamp>,
    /// Whether the digest is a backfill digest.
    pub backfill: bool,
    /// The region the digest was delivered from (keys are per region).
    pub source_region: Option<&'r str>,
}

impl PublicKeys {
    /// Reads `list-public-keys` output (CLI v1 epoch-second or v2 ISO times), or a bare array
    /// of its entries. Several files can be merged with [`PublicKeys::extend`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeyFileError> {
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(KeyFileError(format!(
                "it is {} bytes; key lists are kilobytes (at most {MAX_KEY_FILE_BYTES} read)",
                bytes.len()
            )));
        }
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

    /// The same keys, said to be the keys of `region` (as `list-public-keys --region` gives
    /// them); `None` or an empty region leaves them for any region.
    pub fn for_region(mut self, region: Option<&str>) -> Self {
        let region = region.map(str::trim).filter(|r| !r.is_empty());
        for key in &mut self.keys {
            key.region = region.map(str::to_string);
        }
        self
    }

    /// Each key as the report shows it: fingerprint, validity, region, and whether it is
    /// trusted or why not.
    pub fn describe(&self) -> Vec<crate::report::KeyReport> {
        self.keys
            .iter()
            .map(|key| crate::report::KeyReport {
                fingerprint: key.fingerprint.clone(),
                valid_from: key.valid_from.map(|t| t.to_string()),
                valid_to: key.valid_to.map(|t| t.to_string()),
                region: key.region.clone(),
                status: if key.key.is_err() {
                    "unreadable"
                } else if self.is_ambiguous(&key.fingerprint) {
                    "ambiguous"
                } else if !key.fingerprint_matches_value {
                    "fingerprint_mismatch"
                } else {
                    "trusted"
                },
                regions: Vec::new(),
            })
            .collect()
    }

    /// Every key, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the list holds different keys under `fingerprint`.
    pub fn is_ambiguous(&self, fingerprint: &str) -> bool {
        let mut values = self.with_fingerprint(fingerprint).map(|k| &k.der);
        let first = values.next();
        values.any(|v| Some(v) != first)
    }

    fn with_fingerprint(&self, fingerprint: &str) -> std::vec::IntoIter<&PublicKey> {
        self.keys
            .iter()
            .filter(|k| k.fingerprint.eq_ignore_ascii_case(fingerprint))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Trailscope's rule: the one key under `fingerprint`, if it is what it claims and was valid
    /// when the digest was signed. The same key listed twice (two overlapping `list-public-keys`
    /// runs) counts once, with the union of its validity.
    pub fn lookup(&self, fingerprint: &str, at: SigningTime<'_>) -> KeyLookup<'_> {
        let mut candidates = self
            .with_fingerprint(fingerprint)
            .filter(|k| {
                k.region
                    .as_deref()
                    .is_none_or(|r| at.source_region.is_none_or(|s| s == r))
            })
            .collect::<Vec<_>>()
            .into_iter();
        let Some(first) = candidates.next() else {
            return KeyLookup::NotFound;
        };
        let rest: Vec<&PublicKey> = candidates.collect();
        if rest.iter().any(|k| k.der != first.der) {
            return KeyLookup::Untrusted(UntrustedKey::Ambiguous);
        }
        if !first.fingerprint_matches_value {
            return KeyLookup::Untrusted(UntrustedKey::FingerprintMismatch);
        }
        let copies = std::iter::once(first).chain(rest.iter().copied());
        for key in copies.clone() {
            if key.valid_for(at) {
                return KeyLookup::Found(key);
            }
        }
        KeyLookup::NotValidAt {
            key: first,
            time: at.generated.unwrap_or(at.not_before),
        }
    }

    /// aws-cli's rule (`integrity-validation.md` §6): a dict by `Fingerprint`, the last entry
    /// winning, over the keys `ListPublicKeys` returns for `window` (keys whose validity
    /// overlaps it; all keys when there is no window). Neither the fingerprint nor the
    /// validity at the digest's time is checked.
    pub fn lookup_as_aws_cli(
        &self,
        fingerprint: &str,
        window: Option<(Timestamp, Timestamp)>,
    ) -> Option<&PublicKey> {
        self.keys
            .iter()
            .rev()
            .filter(|k| window.is_none_or(|(from, to)| k.overlaps(from, to)))
            .find(|k| k.fingerprint.eq_ignore_ascii_case(fingerprint))
    }

    /// Whether `ListPublicKeys(from, to)` would return any key.
    pub fn any_in(&self, from: Timestamp, to: Timestamp) -> bool {
        self.keys.iter().any(|k| k.overlaps(from, to))
    }
}

impl PublicKey {
    fn from_raw(raw: RawKey) -> Self {
        let fingerprint = raw.fingerprint.to_ascii_lowercase();
        let decoded = base64::engine::general_purpose::STANDARD.decode(raw.value.trim());
        let (key, encoding, matches, der) = match decoded {
            Err(_) => (Err(KeyError::Base64), None, false, Vec::new()),
            Ok(der) => {
                let md5_hex = |bytes: &[u8]| hex_lower(&Md5::digest(bytes));
                let mut matches = md5_hex(&der) == fingerprint;
                let (key, encoding) = match RsaPublicKey::from_pkcs1_der(&der) {
                    Ok(k) => (Ok(k), Some(KeyEncoding::Pkcs1)),
                    Err(_) => match RsaPublicKey::from_public_key_der(&der) {
                        Ok(k) => {
                            // The same RSA key re-wrapped as SubjectPublicKeyInfo is still the
                            // key the fingerprint names when the fingerprint is the MD5 of its
                            // PKCS#1 form (what CloudTrail fingerprints).
                            matches |= k
                                .to_pkcs1_der()
                                .is_ok_and(|pkcs1| md5_hex(pkcs1.as_bytes()) == fingerprint);
                            (Ok(k), Some(KeyEncoding::Spki))
                        }
                        Err(_) => (Err(KeyError::Der(fingerprint.clone())), None),
                    },
                };
                (key, encoding, matches, der)
            }
        };
        PublicKey {
            fingerprint,
            value: raw.value,
            valid_from: time_of(raw.start.as_ref()),
            valid_to: time_of(raw.end.as_ref()),
            region: None,
            key,
            encoding,
            fingerprint_matches_value: matches,
            der,
        }
    }

    /// Whether the key's validity overlaps `[from, to]` (a missing bound is open).
    pub fn overlaps(&self, from: Timestamp, to: Timestamp) -> bool {
        self.valid_from.is_none_or(|s| s <= to) && self.valid_to.is_none_or(|e| e >= from)
    }

    /// Whether the key can have signed a digest signed at `at`. A missing bound is open.
    pub fn valid_for(&self, at: SigningTime<'_>) -> bool {
        let (earliest, latest) = match (at.generated, at.backfill) {
            (Some(t), _) => (t, t),
            // Signed at delivery, within two hours of the window's end.
            (None, false) => (
                at.not_before,
                Timestamp::from_unix_millis(
                    at.not_before
                        .unix_millis()
                        .saturating_add(SIGNING_DELAY_MILLIS),
                ),
            ),
            // A backfill digest is signed whenever it is generated, after its window.
            (None, true) => (at.not_before, Timestamp::from_unix_millis(i64::MAX)),
        };
        // The key's validity must contain some moment in [earliest, latest]; its end must not
        // be before the digest could have been signed.
        self.valid_to.is_none_or(|end| end >= earliest)
            && self.valid_from.is_none_or(|start| start <= latest)
    }

    /// The `Value` DER as decoded (empty when it is not base64).
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn key(fingerprint: &str, value: &str, from: &str, to: &str) -> String {
        format!(
            r#"{{"Fingerprint":"{fingerprint}","Value":"{value}","ValidityStartTime":"{from}","ValidityEndTime":"{to}"}}"#
        )
    }

    /// A real CloudTrail key from aws-cli's `list-public-keys.rst` is not needed: the rules only
    /// look at bytes, so any base64 stands in, with its MD5 as the honest fingerprint.
    fn honest(value: &str) -> String {
        let der = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        hex_lower(&Md5::digest(&der))
    }

    fn keys(entries: &[String]) -> PublicKeys {
        PublicKeys::from_json(format!("[{}]", entries.join(",")).as_bytes()).unwrap()
    }

    fn at(end: &str) -> SigningTime<'static> {
        SigningTime {
            not_before: t(end),
            generated: None,
            backfill: false,
            source_region: Some("us-east-1"),
        }
    }

    #[test]
    fn a_key_verifies_only_within_its_validity() {
        let fp = honest("AAAA");
        let list = keys(&[key(
            &fp,
            "AAAA",
            "2024-01-01T00:00:00Z",
            "2024-02-01T00:00:00Z",
        )]);
        assert!(matches!(
            list.lookup(&fp, at("2024-01-15T10:00:00Z")),
            KeyLookup::Found(_)
        ));
        // Retired before the digest was written.
        assert!(matches!(
            list.lookup(&fp, at("2024-02-01T00:00:01Z")),
            KeyLookup::NotValidAt { .. }
        ));
        // Its validity starts within the signing delay after the digest's end: it may have signed.
        assert!(matches!(
            list.lookup(&fp, at("2023-12-31T23:00:00Z")),
            KeyLookup::Found(_)
        ));
        assert!(matches!(
            list.lookup(&fp, at("2023-12-31T21:00:00Z")),
            KeyLookup::NotValidAt { .. }
        ));
        // A backfill digest is judged by its generation time when it is known.
        let generated = SigningTime {
            not_before: t("2023-12-01T00:00:00Z"),
            generated: Some(t("2024-01-02T00:00:00Z")),
            backfill: true,
            source_region: None,
        };
        assert!(matches!(list.lookup(&fp, generated), KeyLookup::Found(_)));
        let unknown = SigningTime {
            generated: None,
            ..generated
        };
        assert!(matches!(list.lookup(&fp, unknown), KeyLookup::Found(_)));
        assert!(matches!(
            list.lookup("00", at("2024-01-15T10:00:00Z")),
            KeyLookup::NotFound
        ));
    }

    #[test]
    fn keys_that_are_not_what_they_claim_are_not_trusted() {
        let fp = honest("AAAA");
        let forged = keys(&[key(
            &fp,
            "BBBB",
            "2024-01-01T00:00:00Z",
            "2025-01-01T00:00:00Z",
        )]);
        assert!(matches!(
            forged.lookup(&fp, at("2024-06-01T00:00:00Z")),
            KeyLookup::Untrusted(UntrustedKey::FingerprintMismatch)
        ));
        // aws-cli trusts it anyway.
        assert!(forged.lookup_as_aws_cli(&fp, None).is_some());
        for order in [["AAAA", "BBBB"], ["BBBB", "AAAA"]] {
            let list = keys(&[
                key(
                    &fp,
                    order[0],
                    "2024-01-01T00:00:00Z",
                    "2025-01-01T00:00:00Z",
                ),
                key(
                    &fp,
                    order[1],
                    "2024-01-01T00:00:00Z",
                    "2025-01-01T00:00:00Z",
                ),
            ]);
            assert!(list.is_ambiguous(&fp));
            assert!(matches!(
                list.lookup(&fp, at("2024-06-01T00:00:00Z")),
                KeyLookup::Untrusted(UntrustedKey::Ambiguous)
            ));
            // aws-cli: the last one wins.
            assert_eq!(list.lookup_as_aws_cli(&fp, None).unwrap().value, order[1]);
        }
        // The same key twice (two overlapping list-public-keys runs) is one key.
        let twice = keys(&[
            key(&fp, "AAAA", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
            key(&fp, "AAAA", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        ]);
        assert!(!twice.is_ambiguous(&fp));
        assert!(matches!(
            twice.lookup(&fp, at("2024-02-15T00:00:00Z")),
            KeyLookup::Found(_)
        ));
    }

    #[test]
    fn a_key_said_to_be_of_a_region_verifies_only_that_region() {
        let fp = honest("AAAA");
        let list = keys(&[key(
            &fp,
            "AAAA",
            "2024-01-01T00:00:00Z",
            "2024-02-01T00:00:00Z",
        )])
        .for_region(Some("eu-west-1"));
        assert!(matches!(
            list.lookup(&fp, at("2024-01-15T10:00:00Z")),
            KeyLookup::NotFound
        ));
        let there = SigningTime {
            source_region: Some("eu-west-1"),
            ..at("2024-01-15T10:00:00Z")
        };
        assert!(matches!(list.lookup(&fp, there), KeyLookup::Found(_)));
        assert_eq!(list.describe()[0].region.as_deref(), Some("eu-west-1"));
        // "AAAA" is no RSA key: found by its fingerprint, it would fail to load.
        assert_eq!(list.describe()[0].status, "unreadable");
    }

    #[test]
    fn aws_cli_asks_for_the_keys_of_its_window() {
        let fp = honest("AAAA");
        let list = keys(&[key(
            &fp,
            "AAAA",
            "2024-01-01T00:00:00Z",
            "2024-02-01T00:00:00Z",
        )]);
        let window = |a: &str, b: &str| Some((t(a), t(b)));
        assert!(list
            .lookup_as_aws_cli(&fp, window("2024-01-31T00:00:00Z", "2024-03-01T00:00:00Z"))
            .is_some());
        assert!(list
            .lookup_as_aws_cli(&fp, window("2024-02-02T00:00:00Z", "2024-03-01T00:00:00Z"))
            .is_none());
        assert!(!list.any_in(t("2024-02-02T00:00:00Z"), t("2024-03-01T00:00:00Z")));
    }

    #[test]
    fn refuses_key_files_that_are_not_key_lists() {
        assert!(PublicKeys::from_json(b"{\"Records\":[]}").is_err());
        assert!(PublicKeys::from_json(&vec![b' '; MAX_KEY_FILE_BYTES + 1]).is_err());
        assert!(PublicKeys::from_json(br#"{"PublicKeyList":[]}"#)
            .unwrap()
            .is_empty());
    }
}
