//! Signed trails: log files, hourly digest files chained and signed with test keys, the public
//! key list as `list-public-keys` prints it, and a signature sidecar. The signing is written
//! here independently of the verifier, so the two check each other.

use std::fmt::Write as _;

use base64::Engine;
use md5::{Digest as _, Md5};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Sha256;

use crate::events::{iso, EventGenerator, TrailSpec};
use crate::test_keys::{KEY_A, KEY_ATTACKER, KEY_B};
use crate::trail::gzip;

/// A signing key of the test suite.
pub struct TestKey {
    private: RsaPrivateKey,
    /// PKCS#1 DER of the public key.
    pub public_der: Vec<u8>,
    /// MD5 of `public_der`, lowercase hex: the key's fingerprint.
    pub fingerprint: String,
}

impl TestKey {
    fn from_b64(b64: &str) -> Self {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default();
        // The constants are valid keys; the tests fail loudly if one is not.
        let private =
            RsaPrivateKey::from_pkcs1_der(&der).unwrap_or_else(|e| panic!("bad test key: {e}"));
        let public_der = private
            .to_public_key()
            .to_pkcs1_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let fingerprint = hex(&Md5::digest(&public_der));
        TestKey {
            private,
            public_der,
            fingerprint,
        }
    }

    /// The trail's first key.
    pub fn a() -> Self {
        Self::from_b64(KEY_A)
    }

    /// The key the trail rotates to.
    pub fn b() -> Self {
        Self::from_b64(KEY_B)
    }

    /// A key that is never trusted.
    pub fn attacker() -> Self {
        Self::from_b64(KEY_ATTACKER)
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 / SHA-256; lowercase hex.
    pub fn sign(&self, message: &[u8]) -> String {
        let hashed = Sha256::digest(message);
        hex(&self
            .private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &hashed)
            .unwrap_or_default())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The shape of a signed trail.
#[derive(Clone, Debug)]
pub struct SignedTrailSpec {
    /// Bucket name (the folder the files are written under).
    pub bucket: String,
    /// Key prefix (`S3KeyPrefix`), without the trailing `/`.
    pub prefix: Option<String>,
    /// Organization ID for an organization trail.
    pub org_id: Option<String>,
    /// Account.
    pub account: String,
    /// Region (source and home).
    pub region: String,
    /// Trail name.
    pub trail: String,
    /// Hourly digests.
    pub hours: usize,
    /// Log files per hour (an hour with 0 gives an empty digest).
    pub logs_per_hour: usize,
    /// Events per log file.
    pub events_per_log: usize,
    /// The digest from which key B signs (key rotation).
    pub rotate_at: Option<usize>,
    /// Backfill digests: one per listed hour, chained among themselves.
    pub backfill_hours: Vec<usize>,
    /// First digest's start, seconds since the epoch.
    pub start_unix_seconds: i64,
}

impl Default for SignedTrailSpec {
    fn default() -> Self {
        SignedTrailSpec {
            bucket: "test-trail-bucket".into(),
            prefix: None,
            org_id: None,
            account: "123456789012".into(),
            region: "us-east-1".into(),
            trail: "test-trail".into(),
            hours: 4,
            logs_per_hour: 2,
            events_per_log: 5,
            rotate_at: Some(2),
            backfill_hours: Vec::new(),
            start_unix_seconds: 1_709_164_800,
        }
    }
}

/// One digest written.
#[derive(Clone, Debug)]
pub struct SignedDigest {
    /// Its S3 key.
    pub key: String,
    /// Its signature (lowercase hex), as `x-amz-meta-signature` would hold it.
    pub signature: String,
    /// Keys of the log files it names.
    pub logs: Vec<String>,
    /// A backfill digest.
    pub backfill: bool,
}

/// A generated trail, in memory: files as `(path below the bucket's parent, bytes)`.
#[derive(Clone, Debug)]
pub struct SignedTrail {
    /// Every file: digests and log files, paths `bucket/key`.
    pub files: Vec<(String, Vec<u8>)>,
    /// The digests, oldest first (standard, then backfill).
    pub digests: Vec<SignedDigest>,
    /// `list-public-keys` output trusting keys A and B.
    pub public_keys_json: String,
    /// `{key: signature}` for every digest.
    pub signatures_json: String,
    /// The bucket.
    pub bucket: String,
}

impl SignedTrail {
    /// The file at `bucket/key`.
    pub fn file_mut(&mut self, key: &str) -> Option<&mut Vec<u8>> {
        let path = format!("{}/{key}", self.bucket);
        self.files
            .iter_mut()
            .find(|(p, _)| *p == path)
            .map(|(_, b)| b)
    }

    /// Removes the file at `bucket/key`.
    pub fn remove(&mut self, key: &str) {
        let path = format!("{}/{key}", self.bucket);
        self.files.retain(|(p, _)| *p != path);
    }

    /// A signature sidecar with only these digests' signatures.
    pub fn signatures_for(&self, keys: &[&str]) -> String {
        let entries: Vec<String> = self
            .digests
            .iter()
            .filter(|d| keys.contains(&d.key.as_str()))
            .map(|d| format!("\"{}\":\"{}\"", d.key, d.signature))
            .collect();
        format!("{{{}}}", entries.join(","))
    }
}

/// `list-public-keys` output (CLI v1: epoch-second times) for `keys`.
pub fn public_keys_json(keys: &[&TestKey]) -> String {
    let entries: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{{\"ValidityStartTime\":1700000000.0,\"ValidityEndTime\":1800000000.0,\"Value\":\"{}\",\"Fingerprint\":\"{}\"}}",
                base64::engine::general_purpose::STANDARD.encode(&k.public_der),
                k.fingerprint
            )
        })
        .collect();
    format!("{{\"PublicKeyList\":[{}]}}", entries.join(","))
}

fn compact(seconds: i64) -> String {
    iso(seconds).replace(['-', ':'], "")
}

/// The digest's JSON, in the field order of AWS's samples.
#[allow(clippy::too_many_arguments)]
fn digest_json(
    account: &str,
    start: &str,
    end: &str,
    bucket: &str,
    key: &str,
    fingerprint: &str,
    previous: Option<(&str, &str, &str, &str)>,
    logs: &[(String, String, String, String)],
) -> String {
    let log_files: Vec<String> = logs
        .iter()
        .map(|(b, k, hash, time)| {
            format!(r#"{{"s3Bucket":"{b}","s3Object":"{k}","hashValue":"{hash}","hashAlgorithm":"SHA-256","newestEventTime":"{time}","oldestEventTime":"{time}"}}"#)
        })
        .collect();
    let (pb, pk, ph, ps) = match previous {
        Some((b, k, h, s)) => (
            format!("\"{b}\""),
            format!("\"{k}\""),
            format!("\"{h}\""),
            format!("\"{s}\""),
        ),
        None => ("null".into(), "null".into(), "null".into(), "null".into()),
    };
    let hash_alg = if previous.is_some() {
        "\"SHA-256\""
    } else {
        "null"
    };
    let (newest, oldest) = match logs.first() {
        Some((_, _, _, t)) => (format!("\"{t}\""), format!("\"{t}\"")),
        None => ("null".into(), "null".into()),
    };
    format!(
        r#"{{"awsAccountId":"{account}","digestStartTime":"{start}","digestEndTime":"{end}","digestS3Bucket":"{bucket}","digestS3Object":"{key}","digestPublicKeyFingerprint":"{fingerprint}","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":{newest},"oldestEventTime":{oldest},"previousDigestS3Bucket":{pb},"previousDigestS3Object":{pk},"previousDigestHashValue":{ph},"previousDigestHashAlgorithm":{hash_alg},"previousDigestSignature":{ps},"logFiles":[{}]}}"#,
        log_files.join(",")
    )
}

/// Writes a signed trail as the spec says.
pub fn signed_trail(spec: &SignedTrailSpec) -> SignedTrail {
    let key_a = TestKey::a();
    let key_b = TestKey::b();
    let mut generator = EventGenerator::new(&TrailSpec {
        seed: 7,
        accounts: vec![spec.account.clone()],
        regions: vec![spec.region.clone()],
        start_unix_seconds: spec.start_unix_seconds,
        mean_gap_millis: 20,
    });
    let root = {
        let mut r = String::new();
        if let Some(p) = &spec.prefix {
            r.push_str(p);
            r.push('/');
        }
        r.push_str("AWSLogs/");
        if let Some(org) = &spec.org_id {
            r.push_str(org);
            r.push('/');
        }
        r.push_str(&spec.account);
        r
    };
    let mut files = Vec::new();
    let mut digests = Vec::new();
    let mut previous: Option<(String, String, String)> = None; // key, sha256, signature
    let mut backfill_prev: Option<(String, String, String)> = None;
    for hour in 0..spec.hours {
        let start = spec.start_unix_seconds + hour as i64 * 3600;
        let end = start + 3600;
        let mut logs = Vec::new();
        for n in 0..spec.logs_per_hour {
            let delivered = start + 300 + n as i64 * 600;
            let day = iso(delivered);
            let folder = format!(
                "{}/{}/{}",
                day.get(0..4).unwrap_or(""),
                day.get(5..7).unwrap_or(""),
                day.get(8..10).unwrap_or("")
            );
            let stamp = compact(delivered).get(..13).unwrap_or("").to_string() + "Z";
            let key = format!("{root}/CloudTrail/{}/{folder}/{}_CloudTrail_{}_{stamp}_Hour{hour:03}Log{n:04}x.json.gz", spec.region, spec.account, spec.region);
            let records: Vec<String> = (0..spec.events_per_log)
                .map(|_| generator.next_record())
                .collect();
            let json = format!("{{\"Records\":[{}]}}", records.join(","));
            let hash = hex(&Sha256::digest(json.as_bytes()));
            files.push((format!("{}/{key}", spec.bucket), gzip(json.as_bytes(), 6)));
            logs.push((spec.bucket.clone(), key, hash, iso(delivered)));
        }
        let signer = if spec.rotate_at.is_some_and(|r| hour >= r) {
            &key_b
        } else {
            &key_a
        };
        let day = iso(end);
        let folder = format!(
            "{}/{}/{}",
            day.get(0..4).unwrap_or(""),
            day.get(5..7).unwrap_or(""),
            day.get(8..10).unwrap_or("")
        );
        let name = format!(
            "{}_CloudTrail-Digest_{}_{}_{}_{}",
            spec.account,
            spec.region,
            spec.trail,
            spec.region,
            compact(end)
        );
        // A late log file of a backfill hour, named by a backfill digest.
        let late = spec.backfill_hours.contains(&hour).then(|| {
            let key = format!(
                "{root}/CloudTrail/{}/{folder}/{}_CloudTrail_{}_{}_Late{hour:03}0000000x.json.gz",
                spec.region,
                spec.account,
                spec.region,
                compact(end).get(..13).unwrap_or("")
            );
            let json = format!("{{\"Records\":[{}]}}", generator.next_record());
            let hash = hex(&Sha256::digest(json.as_bytes()));
            files.push((format!("{}/{key}", spec.bucket), gzip(json.as_bytes(), 6)));
            vec![(spec.bucket.clone(), key, hash, iso(end))]
        });
        let mut write_digest =
            |backfill: bool,
             logs: &[(String, String, String, String)],
             prev: &mut Option<(String, String, String)>| {
                let suffix = if backfill {
                    "_backfill.json.gz"
                } else {
                    ".json.gz"
                };
                let key = format!(
                    "{root}/CloudTrail-Digest/{}/{folder}/{name}{suffix}",
                    spec.region
                );
                let previous_fields = prev
                    .as_ref()
                    .map(|(k, h, s)| (spec.bucket.as_str(), k.as_str(), h.as_str(), s.as_str()));
                let json = digest_json(
                    &spec.account,
                    &iso(start),
                    &iso(end),
                    &spec.bucket,
                    &key,
                    &signer.fingerprint,
                    previous_fields,
                    logs,
                );
                let sha = hex(&Sha256::digest(json.as_bytes()));
                let to_sign = format!(
                    "{}\n{}/{key}\n{sha}\n{}",
                    iso(end),
                    spec.bucket,
                    prev.as_ref().map_or("null", |(_, _, s)| s.as_str())
                );
                let signature = signer.sign(to_sign.as_bytes());
                files.push((format!("{}/{key}", spec.bucket), gzip(json.as_bytes(), 6)));
                digests.push(SignedDigest {
                    key: key.clone(),
                    signature: signature.clone(),
                    logs: logs.iter().map(|l| l.1.clone()).collect(),
                    backfill,
                });
                *prev = Some((key, sha, signature));
            };
        write_digest(false, &logs, &mut previous);
        if let Some(late) = &late {
            write_digest(true, late, &mut backfill_prev);
        }
    }
    let signatures: Vec<String> = digests
        .iter()
        .map(|d| format!("\"{}\":\"{}\"", d.key, d.signature))
        .collect();
    SignedTrail {
        files,
        digests,
        public_keys_json: public_keys_json(&[&key_a, &key_b]),
        signatures_json: format!("{{{}}}", signatures.join(",")),
        bucket: spec.bucket.clone(),
    }
}
