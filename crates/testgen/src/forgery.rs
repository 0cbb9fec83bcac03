//! Forged trails: every attack on integrity verification we could think of, made with the test
//! keys, each with the verdicts it must get. An attacker here can write the bucket (add, change,
//! delete and rename objects, plant key lists and signature files) and, in some cases, holds a
//! signing key it should not (a retired key, or the key of the trail itself). The user supplies
//! the genuine keys as trusted. Whatever the attack, nothing forged may read as verified and
//! the trail may never read as intact.
//!
//! On disk (`trailscope-gen forgeries OUT`), each case is a folder:
//! `evidence/` (what the user drops or walks: the bucket folder, planted files included),
//! `trusted-keys.json` (what the user gives as trusted), `signatures.json` (a sidecar the user
//! passes, when the case has one) and `expected.json` (the [`ForgeryExpectation`]).

use std::io::Write as _;

use base64::Engine;
use flate2::Compression;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::signed::{public_keys_json, signed_trail, SignedTrail, SignedTrailSpec, TestKey};
use crate::trail::gzip;

/// What a forged case must get.
#[derive(Clone, Debug, Default)]
pub struct ForgeryExpectation {
    /// The overall verdict in Trailscope's default mode (`not_intact` or `unproven`: never
    /// `intact`).
    pub overall: &'static str,
    /// aws-cli's overall verdict where it differs in kind (its lenient cases), else `None`.
    pub overall_aws_cli: Option<&'static str>,
    /// Objects (S3 keys) whose verdict must not be `valid`.
    pub not_valid: Vec<String>,
    /// Exact verdicts of some objects (S3 key, aws-cli's verdict text).
    pub verdicts: Vec<(String, String)>,
    /// Kinds of findings that must be reported.
    pub findings: Vec<&'static str>,
    /// `eventID`s of forged events: none may read as verified.
    pub forged_event_ids: Vec<String>,
}

/// One forged case.
#[derive(Clone, Debug)]
pub struct Forgery {
    /// A short identifier (the folder name).
    pub name: &'static str,
    /// What the attacker did.
    pub description: &'static str,
    /// The evidence: `(path, bytes)`, paths starting with the bucket folder.
    pub files: Vec<(String, Vec<u8>)>,
    /// `list-public-keys` output the user trusts.
    pub trusted_keys_json: String,
    /// A signature sidecar the user passes, if any (planted ones are among `files`).
    pub signatures_json: Option<String>,
    /// What must hold.
    pub expect: ForgeryExpectation,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let _ = flate2::read::GzDecoder::new(bytes).read_to_end(&mut out);
    out
}

/// The genuine trail every case starts from: four hourly digests, key rotation from A to B at
/// the third, two log files an hour.
fn genuine() -> SignedTrail {
    signed_trail(&SignedTrailSpec::default())
}

fn file<'t>(trail: &'t SignedTrail, key: &str) -> &'t [u8] {
    let path = format!("{}/{key}", trail.bucket);
    trail
        .files
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| b.as_slice())
        .unwrap_or_default()
}

fn digest_value(trail: &SignedTrail, key: &str) -> Value {
    serde_json::from_slice(&gunzip(file(trail, key))).unwrap_or(Value::Null)
}

/// Changes the first event of a log file (its source IP), as an attacker hiding where a call
/// came from would; returns the log's new SHA-256 and the event's ID.
fn edit_log(trail: &mut SignedTrail, key: &str) -> (String, String) {
    let mut log: Value = serde_json::from_slice(&gunzip(file(trail, key))).unwrap_or(Value::Null);
    let mut id = String::new();
    if let Some(record) = log.pointer_mut("/Records/0") {
        record["sourceIPAddress"] = json!("198.51.100.66");
        id = record["eventID"].as_str().unwrap_or("").to_string();
    }
    let text = log.to_string();
    let hash = sha256_hex(text.as_bytes());
    if let Some(bytes) = trail.file_mut(key) {
        *bytes = gzip(text.as_bytes(), 6);
    }
    (hash, id)
}

/// The hash a digest records for a log file.
fn set_log_hash(digest: &mut Value, log_key: &str, hash: &str) {
    if let Some(entries) = digest["logFiles"].as_array_mut() {
        for entry in entries {
            if entry["s3Object"] == log_key {
                entry["hashValue"] = json!(hash);
            }
        }
    }
}

/// Rewrites the standard digests from number `from` on, each after `edit`, chained and signed
/// with `signer` under `fingerprint`, as an attacker holding `signer` would.
fn resign_chain(
    trail: &mut SignedTrail,
    signer: &TestKey,
    fingerprint: &str,
    from: usize,
    mut edit: impl FnMut(usize, &mut Value),
) {
    let standard: Vec<usize> = (0..trail.digests.len())
        .filter(|&i| !trail.digests[i].backfill)
        .collect();
    let mut previous: Option<(String, String)> = None; // (sha256, signature) of the rewritten one
    for (n, &i) in standard.iter().enumerate() {
        if n < from {
            continue;
        }
        let key = trail.digests[i].key.clone();
        let mut digest = digest_value(trail, &key);
        edit(n, &mut digest);
        digest["digestPublicKeyFingerprint"] = json!(fingerprint);
        if let Some((sha, signature)) = &previous {
            digest["previousDigestHashValue"] = json!(sha);
            digest["previousDigestSignature"] = json!(signature);
        }
        let text = digest.to_string();
        let sha = sha256_hex(text.as_bytes());
        let to_sign = format!(
            "{}\n{}/{key}\n{sha}\n{}",
            digest["digestEndTime"].as_str().unwrap_or(""),
            digest["digestS3Bucket"].as_str().unwrap_or(""),
            digest["previousDigestSignature"].as_str().unwrap_or("null")
        );
        let signature = signer.sign(to_sign.as_bytes());
        if let Some(bytes) = trail.file_mut(&key) {
            *bytes = gzip(text.as_bytes(), 6);
        }
        trail.digests[i].signature = signature.clone();
        previous = Some((sha, signature));
    }
}

/// `{key: signature}` for every digest, as they are now.
fn signatures(trail: &SignedTrail) -> String {
    let map: serde_json::Map<String, Value> = trail
        .digests
        .iter()
        .map(|d| (d.key.clone(), json!(d.signature)))
        .collect();
    Value::Object(map).to_string()
}

/// A key list entry with chosen validity and fingerprint.
fn key_entry(key: &TestKey, fingerprint: &str, from: f64, to: f64) -> Value {
    json!({
        "ValidityStartTime": from,
        "ValidityEndTime": to,
        "Value": base64::engine::general_purpose::STANDARD.encode(&key.public_der),
        "Fingerprint": fingerprint,
    })
}

fn key_list(entries: Vec<Value>) -> String {
    json!({ "PublicKeyList": entries }).to_string()
}

fn standard_keys(trail: &SignedTrail) -> Vec<String> {
    trail
        .digests
        .iter()
        .filter(|d| !d.backfill)
        .map(|d| d.key.clone())
        .collect()
}

/// The log files of standard digest `n`.
fn logs_of(trail: &SignedTrail, n: usize) -> Vec<String> {
    trail
        .digests
        .iter()
        .filter(|d| !d.backfill)
        .nth(n)
        .map(|d| d.logs.clone())
        .unwrap_or_default()
}

fn case(
    name: &'static str,
    description: &'static str,
    trail: SignedTrail,
    trusted_keys_json: String,
    signatures_json: Option<String>,
    expect: ForgeryExpectation,
) -> Forgery {
    Forgery {
        name,
        description,
        files: trail.files,
        trusted_keys_json,
        signatures_json,
        expect,
    }
}

/// A trail re-signed end to end with the attacker's key after one log file was edited, with
/// the attacker's key list (and, if `sidecar`, its signatures) planted in the bucket.
fn planted_keys(sidecar: bool, claim_genuine_fingerprint: bool) -> Forgery {
    let mut trail = genuine();
    let trusted = trail.public_keys_json.clone();
    let attacker = TestKey::attacker();
    let genuine_fp = TestKey::a().fingerprint;
    let fingerprint = if claim_genuine_fingerprint {
        genuine_fp.clone()
    } else {
        attacker.fingerprint.clone()
    };
    let victim = logs_of(&trail, 1)[0].clone();
    let (hash, forged_id) = edit_log(&mut trail, &victim);
    resign_chain(&mut trail, &attacker, &fingerprint, 0, |n, d| {
        if n == 1 {
            set_log_hash(d, &victim, &hash);
        }
    });
    let planted = key_list(vec![key_entry(
        &attacker,
        &fingerprint,
        1_700_000_000.0,
        1_800_000_000.0,
    )]);
    let bucket = trail.bucket.clone();
    trail
        .files
        .push((format!("{bucket}/public-keys.json"), planted.into_bytes()));
    if sidecar {
        let sigs = signatures(&trail);
        trail
            .files
            .push((format!("{bucket}/signatures.json"), sigs.into_bytes()));
    }
    let keys = standard_keys(&trail);
    let mut findings = vec!["evidence_key_list"];
    if !claim_genuine_fingerprint {
        findings.push("digest_key_only_in_evidence");
    }
    let verdicts = if claim_genuine_fingerprint || !sidecar {
        Vec::new()
    } else {
        keys.iter()
            .map(|k| {
                (
                    k.clone(),
                    format!(
                        "INVALID: public key not found in region us-east-1 for fingerprint {}",
                        attacker.fingerprint
                    ),
                )
            })
            .collect()
    };
    let (name, description) = match (sidecar, claim_genuine_fingerprint) {
        (true, false) => ("planted_keys_with_sidecar", "A log file edited, every digest re-signed with the attacker's key under its own fingerprint; the attacker's key list and a signature sidecar planted in the bucket folder."),
        (false, false) => ("planted_keys_without_sidecar", "As planted_keys_with_sidecar, without the sidecar: signatures can only come from the re-signed chain."),
        _ => ("planted_key_under_genuine_fingerprint", "Every digest re-signed with the attacker's key but still naming the genuine key's fingerprint; a key list mapping that fingerprint to the attacker's key planted in the bucket, with a sidecar."),
    };
    case(
        name,
        description,
        trail,
        trusted,
        None,
        ForgeryExpectation {
            overall: "not_intact",
            overall_aws_cli: None,
            not_valid: keys
                .iter()
                .chain(std::iter::once(&victim))
                .cloned()
                .collect(),
            verdicts,
            findings,
            forged_event_ids: vec![forged_id],
        },
    )
}

/// Every forged case.
pub fn forgeries() -> Vec<Forgery> {
    let mut out = vec![
        planted_keys(true, false),
        planted_keys(false, false),
        planted_keys(true, true),
    ];

    // A retired key, still held by the attacker, signs digests after its end of validity.
    {
        let spec = SignedTrailSpec {
            rotate_at: None,
            ..SignedTrailSpec::default()
        };
        let mut trail = signed_trail(&spec);
        let victim = logs_of(&trail, 3)[0].clone();
        let (hash, forged_id) = edit_log(&mut trail, &victim);
        let key_a = TestKey::a();
        resign_chain(&mut trail, &key_a, &key_a.fingerprint, 3, |_, d| {
            set_log_hash(d, &victim, &hash);
        });
        let start = spec.start_unix_seconds as f64;
        // A was retired an hour and a half in; B took over an hour in.
        let trusted = key_list(vec![
            key_entry(
                &key_a,
                &key_a.fingerprint,
                start - 30.0 * 86_400.0,
                start + 5_400.0,
            ),
            key_entry(
                &TestKey::b(),
                &TestKey::b().fingerprint,
                start + 3_600.0,
                start + 30.0 * 86_400.0,
            ),
        ]);
        let keys = standard_keys(&trail);
        let sigs = signatures(&trail);
        out.push(case(
            "retired_key",
            "Key A was retired an hour and a half into the trail, but kept signing (all four digests name it); the attacker, holding A, edits a log file of the last hour and re-signs its digest.",
            trail,
            trusted,
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: None,
                not_valid: keys[1..].iter().cloned().chain(std::iter::once(victim)).collect(),
                verdicts: keys[1..]
                    .iter()
                    .map(|k| {
                        (
                            k.clone(),
                            format!("INVALID: public key not found in region us-east-1 for fingerprint {}", key_a.fingerprint),
                        )
                    })
                    .collect(),
                findings: vec!["key_not_valid_at_digest_time"],
                forged_event_ids: vec![forged_id],
            },
        ));
    }

    // The trusted key list itself holds two keys under one fingerprint (the user was handed a
    // doctored list), with the attacker's first or last.
    for attacker_last in [false, true] {
        let mut trail = genuine();
        let key_a = TestKey::a();
        let attacker = TestKey::attacker();
        let victim = logs_of(&trail, 1)[0].clone();
        let (hash, forged_id) = edit_log(&mut trail, &victim);
        resign_chain(&mut trail, &attacker, &key_a.fingerprint, 0, |n, d| {
            if n == 1 {
                set_log_hash(d, &victim, &hash);
            }
        });
        let genuine_entry = key_entry(&key_a, &key_a.fingerprint, 1_700_000_000.0, 1_800_000_000.0);
        let forged_entry = key_entry(
            &attacker,
            &key_a.fingerprint,
            1_700_000_000.0,
            1_800_000_000.0,
        );
        let b = TestKey::b();
        let b_entry = key_entry(&b, &b.fingerprint, 1_700_000_000.0, 1_800_000_000.0);
        let entries = if attacker_last {
            vec![genuine_entry, b_entry, forged_entry]
        } else {
            vec![forged_entry, b_entry, genuine_entry]
        };
        let keys = standard_keys(&trail);
        let sigs = signatures(&trail);
        out.push(case(
            if attacker_last { "duplicate_fingerprint_attacker_last" } else { "duplicate_fingerprint_attacker_first" },
            "The trusted key list holds the genuine key and the attacker's under one fingerprint; the chain is re-signed with the attacker's key under it (aws-cli uses the last one listed).",
            trail,
            key_list(entries),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some(if attacker_last { "intact" } else { "not_intact" }),
                not_valid: keys.iter().cloned().chain(std::iter::once(victim)).collect(),
                verdicts: Vec::new(),
                findings: vec!["key_duplicate_fingerprint"],
                forged_event_ids: vec![forged_id],
            },
        ));
    }

    // The trusted list maps the genuine fingerprint to the attacker's key: its fingerprint is not
    // the MD5 of its value.
    {
        let mut trail = genuine();
        let key_a = TestKey::a();
        let attacker = TestKey::attacker();
        let victim = logs_of(&trail, 1)[0].clone();
        let (hash, forged_id) = edit_log(&mut trail, &victim);
        resign_chain(&mut trail, &attacker, &key_a.fingerprint, 0, |n, d| {
            if n == 1 {
                set_log_hash(d, &victim, &hash);
            }
        });
        let b = TestKey::b();
        let trusted = key_list(vec![
            key_entry(
                &attacker,
                &key_a.fingerprint,
                1_700_000_000.0,
                1_800_000_000.0,
            ),
            key_entry(&b, &b.fingerprint, 1_700_000_000.0, 1_800_000_000.0),
        ]);
        let keys = standard_keys(&trail);
        let sigs = signatures(&trail);
        out.push(case(
            "fingerprint_not_md5_of_value",
            "The trusted key list was edited: the genuine key's fingerprint now holds the attacker's key, whose MD5 it is not; the chain is re-signed with it.",
            trail,
            trusted,
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("intact"),
                not_valid: keys.iter().cloned().chain(std::iter::once(victim)).collect(),
                verdicts: Vec::new(),
                findings: vec!["key_fingerprint_mismatch"],
                forged_event_ids: vec![forged_id],
            },
        ));
    }

    // A shadow copy of a verified event, changed, in an unsigned file beside the trail.
    {
        let mut trail = genuine();
        let source = logs_of(&trail, 2)[0].clone();
        let log: Value =
            serde_json::from_slice(&gunzip(file(&trail, &source))).unwrap_or(Value::Null);
        let mut record = log.pointer("/Records/0").cloned().unwrap_or(Value::Null);
        let id = record["eventID"].as_str().unwrap_or("").to_string();
        record["sourceIPAddress"] = json!("198.51.100.66");
        record["userIdentity"]["arn"] = json!("arn:aws:iam::123456789012:user/nobody");
        let bucket = trail.bucket.clone();
        trail.files.push((
            format!("{bucket}/exports/lookup-events.json"),
            json!({ "Records": [record] }).to_string().into_bytes(),
        ));
        let sigs = signatures(&trail);
        let _ = id;
        out.push(case(
            "shadow_copy_in_unsigned_file",
            "An unsigned file beside the trail holds a copy of a verified event (same eventID, time, name and source) with another source IP and caller.",
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("intact"),
                not_valid: Vec::new(),
                verdicts: vec![(source, "valid".into())],
                findings: vec!["event_conflict"],
                forged_event_ids: Vec::new(),
            },
        ));
    }

    // Gzip tricks on one log file.
    for (name, description, verdict) in [
        ("log_header_crc_tampered", "A log file re-wrapped in gzip with a header CRC-16 (FHCRC) that does not match: zlib refuses it.", "INVALID: invalid format"),
        ("log_second_gzip_member", "A second gzip member holding a forged event appended to a log file (multi-member readers would show it).", "INVALID: unexpected data after end of compressed stream"),
        ("log_data_after_member", "Bytes appended after a log file's gzip member.", "INVALID: unexpected data after end of compressed stream"),
    ] {
        let mut trail = genuine();
        let victim = logs_of(&trail, 2)[1].clone();
        let original = gunzip(file(&trail, &victim));
        let mut forged_ids = Vec::new();
        let bytes = match name {
            "log_header_crc_tampered" => header_crc_gzip(&original, true),
            "log_second_gzip_member" => {
                let mut b = file(&trail, &victim).to_vec();
                let forged = r#"{"Records":[{"eventVersion":"1.08","eventID":"forged-0000-0000-0000-000000000001","eventTime":"2024-02-29T02:30:00Z","eventSource":"iam.amazonaws.com","eventName":"DeleteUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.66","userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root"}}]}"#;
                forged_ids.push("forged-0000-0000-0000-000000000001".to_string());
                b.extend(gzip(forged.as_bytes(), 6));
                b
            }
            _ => {
                let mut b = file(&trail, &victim).to_vec();
                b.extend_from_slice(b"\n<<appended>>\n");
                b
            }
        };
        if let Some(slot) = trail.file_mut(&victim) {
            *slot = bytes;
        }
        let sigs = signatures(&trail);
        out.push(case(
            name,
            description,
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("not_intact"),
                not_valid: vec![victim.clone()],
                verdicts: vec![(victim, verdict.into())],
                findings: Vec::new(),
                forged_event_ids: forged_ids,
            },
        ));
    }

    // A digest whose JSON holds two logFiles arrays (the second hiding an edited log file),
    // signed with the trail's own key: readers disagree on what it says.
    {
        let mut trail = genuine();
        let victim = logs_of(&trail, 1)[0].clone();
        let (hash, forged_id) = edit_log(&mut trail, &victim);
        let key_a = TestKey::a();
        let keys = standard_keys(&trail);
        let target = keys[1].clone();
        let mut digest = digest_value(&trail, &target);
        let genuine_files = digest["logFiles"].clone();
        let mut second = genuine_files.clone();
        if let Some(entries) = second.as_array_mut() {
            for e in entries.iter_mut() {
                if e["s3Object"] == victim.as_str() {
                    e["hashValue"] = json!(hash);
                }
            }
        }
        if let Some(o) = digest.as_object_mut() {
            o.remove("logFiles");
        }
        // Serialized by hand: JSON objects cannot hold a key twice.
        let body = digest.to_string();
        let text = format!(
            "{},\"logFiles\":{},\"logFiles\":{}}}",
            body.trim_end_matches('}'),
            genuine_files,
            second
        );
        let sha = sha256_hex(text.as_bytes());
        let to_sign = format!(
            "{}\n{}/{target}\n{sha}\n{}",
            digest["digestEndTime"].as_str().unwrap_or(""),
            trail.bucket,
            digest["previousDigestSignature"].as_str().unwrap_or("null")
        );
        let signature = key_a.sign(to_sign.as_bytes());
        if let Some(bytes) = trail.file_mut(&target) {
            *bytes = gzip(text.as_bytes(), 6);
        }
        if let Some(d) = trail.digests.iter_mut().find(|d| d.key == target) {
            d.signature = signature;
        }
        let sigs = signatures(&trail);
        out.push(case(
            "digest_two_log_files_arrays",
            "A digest, signed with the trail's own key, whose JSON holds logFiles twice: the first with the genuine hashes, the last vouching for an edited log file (aws-cli reads the last).",
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("intact"),
                not_valid: vec![target.clone(), victim],
                verdicts: vec![(target, "INVALID: invalid format".into())],
                findings: vec!["digest_repeated_field"],
                forged_event_ids: vec![forged_id],
            },
        ));
    }

    // A validly signed digest of another bucket's trail copied over one of this trail's.
    {
        let mut trail = genuine();
        let other = signed_trail(&SignedTrailSpec {
            bucket: "other-bucket".into(),
            ..SignedTrailSpec::default()
        });
        let keys = standard_keys(&trail);
        let target = keys[2].clone();
        if let Some(bytes) = trail.file_mut(&target) {
            *bytes = file(&other, &target).to_vec();
        }
        if let (Some(d), Some(o)) = (
            trail.digests.iter_mut().find(|d| d.key == target),
            other.digests.iter().find(|d| d.key == target),
        ) {
            d.signature = o.signature.clone();
        }
        let sigs = signatures(&trail);
        out.push(case(
            "digest_of_another_bucket",
            "A digest of the same trail name in another bucket, validly signed, copied over this trail's digest of that hour (with its signature).",
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("not_intact"),
                not_valid: vec![target.clone()],
                verdicts: vec![(target, "INVALID: has been moved from its original location".into())],
                findings: Vec::new(),
                forged_event_ids: Vec::new(),
            },
        ));
    }

    // A chain that loops (its signer's key was stolen): the oldest digest links to the newest.
    {
        let mut trail = genuine();
        let keys = standard_keys(&trail);
        let newest = keys[3].clone();
        let key_a = TestKey::a();
        let key_b = TestKey::b();
        let bucket = trail.bucket.clone();
        // Digest 0 now names digest 3 as its predecessor; re-signed with A, then 1..3 with the
        // keys they used, so every signature holds.
        resign_chain(&mut trail, &key_a, &key_a.fingerprint, 0, |n, d| {
            if n == 0 {
                d["previousDigestS3Bucket"] = json!(bucket);
                d["previousDigestS3Object"] = json!(newest);
            }
        });
        resign_chain(&mut trail, &key_b, &key_b.fingerprint, 2, |_, _| {});
        let sigs = signatures(&trail);
        out.push(case(
            "digest_chain_loop",
            "The oldest digest, re-signed with a stolen key, names the newest as its predecessor: the chain loops.",
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: None,
                not_valid: Vec::new(),
                verdicts: Vec::new(),
                findings: vec!["digest_chain_loop"],
                forged_event_ids: Vec::new(),
            },
        ));
    }

    // A trail dated years ahead (signed with a stolen key whose listed validity allows it).
    {
        let spec = SignedTrailSpec {
            start_unix_seconds: 4_102_444_800, // 2100-01-01
            ..SignedTrailSpec::default()
        };
        let trail = signed_trail(&spec);
        let trusted = key_list(vec![
            key_entry(
                &TestKey::a(),
                &TestKey::a().fingerprint,
                1_700_000_000.0,
                4_200_000_000.0,
            ),
            key_entry(
                &TestKey::b(),
                &TestKey::b().fingerprint,
                1_700_000_000.0,
                4_200_000_000.0,
            ),
        ]);
        let sigs = signatures(&trail);
        out.push(case(
            "digest_from_the_future",
            "A whole trail dated in 2100, signed with keys whose listed validity reaches that far: no genuine digest can be dated after the check.",
            trail,
            trusted,
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("intact"),
                not_valid: Vec::new(),
                verdicts: Vec::new(),
                findings: vec!["digest_in_future"],
                forged_event_ids: Vec::new(),
            },
        ));
    }

    // An edited log file and digest, with a bogus sidecar signature (no key at all).
    {
        let mut trail = genuine();
        let victim = logs_of(&trail, 3)[0].clone();
        let (hash, forged_id) = edit_log(&mut trail, &victim);
        let keys = standard_keys(&trail);
        let target = keys[3].clone();
        let mut digest = digest_value(&trail, &target);
        set_log_hash(&mut digest, &victim, &hash);
        if let Some(bytes) = trail.file_mut(&target) {
            *bytes = gzip(digest.to_string().as_bytes(), 6);
        }
        let bucket = trail.bucket.clone();
        let mut planted: serde_json::Map<String, Value> = serde_json::Map::new();
        planted.insert(target.clone(), json!("ab".repeat(256)));
        trail.files.push((
            format!("{bucket}/signatures.json"),
            Value::Object(planted).to_string().into_bytes(),
        ));
        out.push(case(
            "newest_digest_edited_bogus_signature",
            "The newest digest edited to vouch for an edited log file, with a made-up signature planted in a sidecar in the bucket.",
            trail.clone(),
            trail.public_keys_json.clone(),
            None,
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("not_intact"),
                not_valid: vec![target.clone(), victim],
                verdicts: vec![(target, "INVALID: signature verification failed".into())],
                findings: Vec::new(),
                forged_event_ids: vec![forged_id],
            },
        ));
    }

    // A log file swapped for another hour's (valid gzip, valid CloudTrail, wrong hash).
    {
        let mut trail = genuine();
        let a = logs_of(&trail, 0)[0].clone();
        let b = logs_of(&trail, 3)[1].clone();
        let bytes = file(&trail, &b).to_vec();
        if let Some(slot) = trail.file_mut(&a) {
            *slot = bytes;
        }
        let sigs = signatures(&trail);
        out.push(case(
            "log_swapped_with_another_hour",
            "A log file replaced by another hour's log file (both genuine CloudTrail).",
            trail.clone(),
            trail.public_keys_json.clone(),
            Some(sigs),
            ForgeryExpectation {
                overall: "not_intact",
                overall_aws_cli: Some("not_intact"),
                not_valid: vec![a.clone()],
                verdicts: vec![(a, "INVALID: hash value doesn't match".into())],
                findings: Vec::new(),
                forged_event_ids: Vec::new(),
            },
        ));
    }
    out
}

/// gzip of `data` with a file name and a header CRC-16 (FHCRC), wrong when `corrupt`.
fn header_crc_gzip(data: &[u8], corrupt: bool) -> Vec<u8> {
    let mut header = vec![0x1f, 0x8b, 8, 0x08 | 0x02, 0, 0, 0, 0, 0, 255];
    header.extend_from_slice(b"log.json\0");
    let mut crc = flate2::Crc::new();
    crc.update(&header);
    let crc16 = (crc.sum() & 0xffff) as u16 ^ u16::from(corrupt);
    let mut out = header;
    out.extend_from_slice(&crc16.to_le_bytes());
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), Compression::new(6));
    let _ = deflate.write_all(data);
    out.extend(deflate.finish().unwrap_or_default());
    let mut body_crc = flate2::Crc::new();
    body_crc.update(data);
    out.extend_from_slice(&body_crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Writes every case below `out`, one folder each, with `expected.json`.
pub fn write_forgeries(out: &std::path::Path) -> std::io::Result<usize> {
    let cases = forgeries();
    for case in &cases {
        let dir = out.join(case.name);
        for (path, bytes) in &case.files {
            let full = dir.join("evidence").join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, bytes)?;
        }
        std::fs::write(dir.join("trusted-keys.json"), &case.trusted_keys_json)?;
        if let Some(sigs) = &case.signatures_json {
            std::fs::write(dir.join("signatures.json"), sigs)?;
        }
        let e = &case.expect;
        let expected = json!({
            "name": case.name,
            "description": case.description,
            "overall": e.overall,
            "overall_aws_cli": e.overall_aws_cli,
            "not_valid": e.not_valid,
            "verdicts": e.verdicts.iter().map(|(k, v)| json!({"key": k, "verdict": v})).collect::<Vec<_>>(),
            "findings": e.findings,
            "forged_event_ids": e.forged_event_ids,
        });
        std::fs::write(
            dir.join("expected.json"),
            serde_json::to_string_pretty(&expected).unwrap_or_default(),
        )?;
    }
    Ok(cases.len())
}

/// The public-key list of the genuine trail (for callers that need it alone).
pub fn genuine_public_keys() -> String {
    public_keys_json(&[&TestKey::a(), &TestKey::b()])
}
