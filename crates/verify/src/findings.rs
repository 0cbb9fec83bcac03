//! What aws-cli does not report (`integrity-validation.md` §14): files no digest covers, every
//! missing digest of a broken chain, time gaps, the newest digest's end, cross-checks of the
//! chain's own records, trailing data, and doubts about the keys.

use std::collections::{BTreeMap, BTreeSet};

use trailscope_model::{LogRead, Timestamp};

use crate::digest::{sha256_hex, DigestFile};
use crate::inputs::{Content, VerifyInputs};
use crate::keys::KeyEncoding;
use crate::layout::{DigestKey, TrailId};
use crate::report::{LogIntegrity, Range, Report, Severity};
use crate::walk::{finding, Listed, Options, Parsed, StateView};

/// Files named individually in findings before the rest are counted.
const NAMED: usize = 50;
const HOUR_MILLIS: i64 = 3_600_000;

pub(crate) fn add_findings(
    inputs: &VerifyInputs,
    parsed: &Parsed,
    options: &Options,
    groups: &BTreeMap<TrailId, Vec<Listed>>,
    state: &mut StateView<'_>,
    report: &mut Report,
) {
    let findings = &mut report.findings;
    if inputs.keys.is_empty() {
        findings.push(finding("no_public_keys", Severity::Error, "No public keys were given: no digest can be verified. Give the output of `aws cloudtrail list-public-keys` for the digests' time range.".into(), None));
    }
    for key in inputs.keys.iter() {
        if !key.fingerprint_matches_value {
            findings.push(finding(
                "key_fingerprint_mismatch",
                Severity::Error,
                format!("Public key {}: its Fingerprint is not the MD5 of its Value, as it is for every key CloudTrail publishes; the key list may have been edited.", key.fingerprint),
                None,
            ));
        }
        if key.encoding == Some(KeyEncoding::Spki) {
            findings.push(finding(
                "key_spki",
                Severity::Info,
                format!("Public key {} is SubjectPublicKeyInfo DER, not the PKCS#1 CloudTrail publishes; it was accepted (aws-cli refuses it).", key.fingerprint),
                None,
            ));
        }
    }
    if state.via_chain > 0 {
        findings.push(finding(
            "signature_from_chain",
            Severity::Info,
            format!("{} digest(s) verified with the signature the next digest records (previousDigestSignature), as no sidecar gave theirs.", state.via_chain),
            None,
        ));
    }
    for object in state.trailing_digests {
        findings.push(finding("digest_trailing_data", Severity::Warning, format!("{object}: data after the end of the digest's gzip stream (aws-cli ignores it; the signed content is intact)."), Some(object.clone())));
    }
    for object in state.trailer_missing_logs {
        findings.push(finding("log_gzip_trailer_missing", Severity::Warning, format!("{object}: the gzip trailer (CRC-32 and length) is missing; the content matches its digest, so it is reported valid, as aws-cli does."), Some(object.clone())));
    }
    missing_links(inputs, parsed, findings);
    chain_cross_checks(inputs, parsed, findings);
    coverage(options, groups, parsed, state, report);
    log_integrity(inputs, parsed, state, report);
}

/// Every `previous*` link to a digest that is not there, not only the first one aws-cli meets.
fn missing_links(
    inputs: &VerifyInputs,
    parsed: &Parsed,
    findings: &mut Vec<crate::report::Finding>,
) {
    let mut seen = BTreeSet::new();
    for (&id, digest) in parsed {
        let Some(d) = digest else { continue };
        let (Some(b), Some(k)) = (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object)
        else {
            continue;
        };
        if inputs.paths.find(b, k).is_none() && seen.insert((b.clone(), k.clone())) {
            let from = inputs.paths.path(id).unwrap_or("");
            findings.push(finding(
                "digest_missing",
                Severity::Error,
                format!(
                    "Digest s3://{b}/{k} is missing: {from} links to it as the previous digest."
                ),
                Some(format!("s3://{b}/{k}")),
            ));
        }
    }
}

/// The chain's signed records of each predecessor: its hash and its signature.
fn chain_cross_checks(
    inputs: &VerifyInputs,
    parsed: &Parsed,
    findings: &mut Vec<crate::report::Finding>,
) {
    for d in parsed.values().flatten() {
        let (Some(b), Some(k)) = (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object)
        else {
            continue;
        };
        let Some(prev_id) = inputs.paths.find(b, k) else {
            continue;
        };
        let Some(Content::Digest(prev)) = inputs.content(prev_id) else {
            continue;
        };
        let Ok(prev_bytes) = &prev.content else {
            continue;
        };
        if let Some(expected) = &d.previous_digest_hash_value {
            let actual = sha256_hex(prev_bytes);
            if !expected.eq_ignore_ascii_case(&actual) {
                let this = DigestFile::text(&d.digest_s3_object).unwrap_or("");
                findings.push(finding(
                    "previous_digest_hash_mismatch",
                    Severity::Error,
                    format!("s3://{b}/{k} is not the digest {this} was chained to: its SHA-256 is {actual}, the chain records {expected}."),
                    Some(format!("s3://{b}/{k}")),
                ));
            }
        }
        if let (Some(recorded), Some(meta)) = (
            DigestFile::text(&d.previous_digest_signature),
            inputs.signatures.find(b, k),
        ) {
            if let Some(sidecar) = &meta.signature {
                if !sidecar.eq_ignore_ascii_case(recorded) {
                    findings.push(finding(
                        "previous_digest_signature_mismatch",
                        Severity::Warning,
                        format!("The signature given for s3://{b}/{k} differs from the one the next digest records for it."),
                        Some(format!("s3://{b}/{k}")),
                    ));
                }
            }
        }
    }
}

/// Covered time, gaps between digests, and the newest digest's end.
fn coverage(
    options: &Options,
    groups: &BTreeMap<TrailId, Vec<Listed>>,
    parsed: &Parsed,
    state: &StateView<'_>,
    report: &mut Report,
) {
    let mut ranges: Vec<(Timestamp, Timestamp)> = state.valid_ranges.to_vec();
    ranges.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    report.summary.covered = merged
        .iter()
        .map(|(s, e)| Range {
            start: s.to_string(),
            end: e.to_string(),
        })
        .collect();
    for pair in merged.windows(2) {
        let (Some(a), Some(b)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let hours = (b.0.unix_millis() - a.1.unix_millis()) as f64 / HOUR_MILLIS as f64;
        report.summary.gaps.push(Range {
            start: a.1.to_string(),
            end: b.0.to_string(),
        });
        report.findings.push(finding(
            "coverage_gap",
            Severity::Warning,
            format!(
                "No valid digest covers {} to {} ({hours:.1} h): digests are missing there, or logging was stopped. Events of that time are not covered by any proof.",
                a.1, b.0
            ),
            None,
        ));
    }
    // The newest digest: nothing links forward to it, so its deletion only shows against the
    // time the download was made (or the window's end).
    let newest = groups
        .values()
        .flatten()
        .filter_map(|l| {
            parsed.iter().find_map(|(_, d)| {
                let d = d.as_ref()?;
                (DigestFile::text(&d.digest_s3_object) == Some(l.key.as_str()))
                    .then(|| {
                        DigestFile::text(&d.digest_end_time).and_then(Timestamp::parse_rfc3339)
                    })
                    .flatten()
            })
        })
        .max();
    if let Some(newest) = newest {
        report.summary.newest_digest_end = Some(newest.to_string());
        let later = options
            .end
            .filter(|end| end.unix_millis() >= newest.unix_millis() + HOUR_MILLIS);
        let message = match later {
            Some(end) => format!("The newest digest ends at {newest}, but digests were expected up to {end}: later digests are missing (deleted, or logging was stopped)."),
            None => format!("The newest digest ends at {newest}. CloudTrail delivers a digest about every hour: if the files were downloaded well after that, the newest digests are missing."),
        };
        let severity = if later.is_some() {
            Severity::Warning
        } else {
            Severity::Info
        };
        report
            .findings
            .push(finding("newest_digest", severity, message, None));
    }
}

/// Integrity of every local log file, and the files no digest names.
fn log_integrity(
    inputs: &VerifyInputs,
    parsed: &Parsed,
    state: &StateView<'_>,
    report: &mut Report,
) {
    let mut named: BTreeSet<usize> = BTreeSet::new();
    for d in parsed.values().flatten() {
        for entry in d.log_files.iter().flatten() {
            if let Some(id) = inputs.paths.find(&entry.s3_bucket, &entry.s3_object) {
                named.insert(id);
            }
        }
    }
    let mut not_covered = Vec::new();
    for (id, content) in inputs.contents.iter().enumerate() {
        let Content::Log(hash) = content else {
            continue;
        };
        let Some(path) = inputs.paths.path(id) else {
            continue;
        };
        let status = match state.log_status.get(&id) {
            Some(status) => *status,
            None if named.contains(&id) => LogIntegrity::Unverified,
            None => {
                // Only what looks like a CloudTrail log file is expected to be covered.
                if looks_like_log(path) && !matches!(hash.read, LogRead::Invalid(_)) {
                    not_covered.push(path.to_string());
                }
                LogIntegrity::NotCovered
            }
        };
        report.log_integrity.push((path.to_string(), status));
    }
    report.summary.logs_not_covered = not_covered.len() as u64;
    for path in not_covered.iter().take(NAMED) {
        report.findings.push(finding(
            "log_not_covered",
            Severity::Warning,
            format!("{path} is named by no digest: its events are not covered by any proof."),
            Some(path.clone()),
        ));
    }
    if not_covered.len() > NAMED {
        report.findings.push(finding(
            "log_not_covered",
            Severity::Warning,
            format!(
                "{} more log files are named by no digest.",
                not_covered.len() - NAMED
            ),
            None,
        ));
    }
}

/// `…/CloudTrail/<region>/…/<account>_CloudTrail_<region>_<time>_<unique>.json.gz`.
fn looks_like_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.contains("_CloudTrail_") && name.ends_with(".json.gz") && DigestKey::parse(path).is_none()
}
