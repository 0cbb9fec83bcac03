//! What aws-cli does not report (`integrity-validation.md` §14): files no digest covers, every
//! missing digest of a broken chain, time gaps, the newest digest's end, cross-checks of the
//! chain's own records, trailing data, and doubts about the keys.

use std::collections::{BTreeMap, BTreeSet};

use trailscope_model::{LogRead, Timestamp};

use crate::digest::{sha256_hex, DigestFile};
use crate::inputs::{Content, VerifyInputs};
use crate::keys::KeyEncoding;
use crate::layout::{DigestKey, TrailId};
use crate::listing::{Listed, Options, ParsedDigests, HOUR_MILLIS};
use crate::report::finding;
use crate::report::{EvidenceKeyListReport, IntegritySeverity, LogIntegrity, Range, Report};
use crate::walk::{KeyRefusalReason, StateView};

/// Files named individually in findings before the rest are counted.
const NAMED: usize = 50;

pub(crate) fn add_findings(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    options: &Options,
    groups: &BTreeMap<TrailId, Vec<Listed>>,
    state: &mut StateView<'_>,
    report: &mut Report,
) {
    if !parsed.is_empty() {
        report.summary.list_keys_command = Some(list_keys_command(parsed));
    }
    if inputs.trusted_keys.is_empty() && !parsed.is_empty() {
        let where_from = if inputs.evidence_key_lists.is_empty() {
            String::new()
        } else {
            " (a key list among the files being checked is not trusted)".to_string()
        };
        report.findings.push(finding("no_public_keys", IntegritySeverity::Warning, format!("No trusted public keys were given{where_from}, so no digest can be verified. Supply the output of `{}` as the trusted keys.", list_keys_command(parsed)), None));
    }
    for list in &inputs.evidence_key_lists {
        report.findings.push(finding(
            "evidence_key_list",
            IntegritySeverity::Warning,
            format!("{}: a key list inside the evidence was not used as a trust anchor (whoever could write the files could have put it there); only keys supplied as trusted verify digests.", list.path),
            Some(list.path.clone()),
        ));
    }
    report.summary.trusted_keys = inputs
        .trusted_keys
        .describe()
        .into_iter()
        .map(|mut key| {
            key.regions = state
                .key_regions
                .iter()
                .filter(|(f, _)| *f == key.fingerprint)
                .map(|(_, r)| r.clone())
                .collect();
            key
        })
        .collect();
    report.summary.evidence_key_lists = inputs
        .evidence_key_lists
        .iter()
        .map(|l| EvidenceKeyListReport {
            path: l.path.clone(),
            fingerprints: l.fingerprints.clone(),
        })
        .collect();
    let findings = &mut report.findings;
    let mut ambiguous = BTreeSet::new();
    for key in inputs.trusted_keys.iter() {
        if inputs.trusted_keys.is_ambiguous(&key.fingerprint) {
            if ambiguous.insert(key.fingerprint.clone()) {
                findings.push(finding(
                    "key_duplicate_fingerprint",
                    IntegritySeverity::Error,
                    format!("The trusted key list holds different keys under fingerprint {}: neither is trusted (aws-cli would use the last one listed).", key.fingerprint),
                    None,
                ));
            }
            continue;
        }
        if !key.fingerprint_matches_value {
            let consequence = match options.mode {
                crate::Mode::Strict => "it is not trusted, and digests that name it are INVALID",
                crate::Mode::AwsCli => "aws-cli trusts it anyway, as this run did",
            };
            findings.push(finding(
                "key_fingerprint_mismatch",
                IntegritySeverity::Error,
                format!("Public key {}: its Fingerprint is not the MD5 of its Value, as it is for every key CloudTrail publishes, so the key list was edited; {consequence}.", key.fingerprint),
                None,
            ));
        }
        if key.encoding == Some(KeyEncoding::Spki) {
            findings.push(finding(
                "key_spki",
                IntegritySeverity::Info,
                format!("Public key {} is SubjectPublicKeyInfo DER, not the PKCS#1 CloudTrail publishes; it was accepted (aws-cli refuses it).", key.fingerprint),
                None,
            ));
        }
    }
    if state.via_chain > 0 {
        findings.push(finding(
            "signature_from_chain",
            IntegritySeverity::Info,
            format!("{} digest(s) verified with the signature the next digest records (previousDigestSignature), as no sidecar gave theirs.", state.via_chain),
            None,
        ));
    }
    for object in state.trailing_digests {
        findings.push(finding("digest_trailing_data", IntegritySeverity::Warning, format!("{object}: data after the end of the digest's gzip stream (aws-cli ignores it; the signed content is intact)."), Some(object.clone())));
    }
    for object in state.trailer_missing_logs {
        findings.push(finding("log_gzip_trailer_missing", IntegritySeverity::Warning, format!("{object}: the gzip trailer (CRC-32 and length) is missing; the content matches its digest, so it is reported valid, as aws-cli does."), Some(object.clone())));
    }
    for refusal in state.key_refusals {
        let (kind, message) = match &refusal.reason {
            KeyRefusalReason::NotValidAt { time, valid_from, valid_to } => (
                "key_not_valid_at_digest_time",
                format!(
                    "{}: key {} was not in use when this digest was signed ({time}); its validity is {} to {}. A retired key cannot vouch for a later digest.",
                    refusal.object,
                    refusal.fingerprint,
                    valid_from.map_or_else(|| "open".to_string(), |t| t.to_string()),
                    valid_to.map_or_else(|| "open".to_string(), |t| t.to_string()),
                ),
            ),
            KeyRefusalReason::OnlyInEvidence(path) => (
                "digest_key_only_in_evidence",
                format!(
                    "{}: it names key {}, which no trusted key list has but {path} (inside the evidence) does: a sign of a digest re-signed with a planted key.",
                    refusal.object, refusal.fingerprint
                ),
            ),
            // Reported once per key above.
            KeyRefusalReason::Untrusted => continue,
        };
        findings.push(finding(
            kind,
            IntegritySeverity::Error,
            message,
            Some(refusal.object.clone()),
        ));
    }
    for object in state.loops {
        findings.push(finding(
            "digest_chain_loop",
            IntegritySeverity::Error,
            format!("{object}: the chain of previous-digest links comes back to this digest; CloudTrail's chain only ever points back in time."),
            Some(object.clone()),
        ));
    }
    report.summary.digests_without_signature = state.signatures_missing.len() as u64;
    for object in state.signatures_missing.iter().take(NAMED) {
        findings.push(finding(
            "signature_not_supplied",
            IntegritySeverity::Warning,
            format!("{object}: no signature was supplied for this digest (its S3 object metadata), so aws-cli reports it \"INVALID: signature verification failed\". That is aws-cli's verdict on a missing signature, not evidence that the digest was altered: supply the metadata to verify it."),
            Some(object.clone()),
        ));
    }
    for object in state.chain_continues {
        findings.push(finding(
            "chain_continues_before",
            IntegritySeverity::Warning,
            format!("The oldest digest given links to {object}, which was not given: nothing before it was checked. Give a start time (or the earlier digests) to check further back."),
            Some(object.clone()),
        ));
    }
    digest_oddities(inputs, parsed, options, findings);
    missing_links(inputs, parsed, options, groups, findings);
    chain_cross_checks(inputs, parsed, findings);
    coverage(options, groups, parsed, state, report);
    log_integrity(inputs, parsed, options, state, report);
}

/// `aws cloudtrail list-public-keys` for the digests' time range: what the user should supply.
pub(crate) fn list_keys_command(parsed: &ParsedDigests) -> String {
    let times: Vec<Timestamp> = parsed
        .values()
        .flatten()
        .filter_map(|d| DigestFile::text(&d.digest_end_time).and_then(Timestamp::parse_rfc3339))
        .collect();
    let regions: BTreeSet<String> = parsed
        .values()
        .flatten()
        .filter_map(|d| DigestFile::text(&d.digest_s3_object))
        .filter_map(|k| DigestKey::parse(k.get(crate::layout::find_awslogs(k)?..)?))
        .map(|k| k.source_region)
        .collect();
    let mut command = String::from("aws cloudtrail list-public-keys");
    if let (Some(from), Some(to)) = (times.iter().min(), times.iter().max()) {
        let from = Timestamp::from_unix_millis(from.unix_millis() - 2 * HOUR_MILLIS);
        let to = Timestamp::from_unix_millis(to.unix_millis() + 2 * HOUR_MILLIS);
        command.push_str(&format!(" --start-time {from} --end-time {to}"));
    }
    if let Some(region) = regions.iter().next() {
        command.push_str(&format!(" --region {region}"));
    }
    command
}

/// Digests that read differently to different parsers, claim another bucket for their logs,
/// or are dated after the check.
fn digest_oddities(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    options: &Options,
    findings: &mut Vec<crate::report::IntegrityFinding>,
) {
    for (&id, digest) in parsed {
        let path = inputs.paths.path(id).unwrap_or("");
        let Some(Content::Digest(bytes)) = inputs.content(id) else {
            continue;
        };
        if options.mode == crate::Mode::Strict && digest.is_none() {
            if let Ok(content) = &bytes.content {
                if DigestFile::parse_lenient(content).is_some() {
                    findings.push(finding(
                        "digest_repeated_field",
                        IntegritySeverity::Error,
                        format!("{path}: the digest's JSON repeats a field, so readers disagree on what it says (aws-cli reads the last value); it is refused as invalid format."),
                        Some(path.to_string()),
                    ));
                }
            }
        }
        let Some(d) = digest else { continue };
        let own_bucket = DigestFile::text(&d.digest_s3_bucket).unwrap_or("");
        if let Some(entry) = d
            .log_files
            .iter()
            .flatten()
            .find(|e| !own_bucket.is_empty() && e.s3_bucket != own_bucket)
        {
            findings.push(finding(
                "log_in_other_bucket",
                IntegritySeverity::Warning,
                format!("{path}: it names log files in bucket {} though it lies in {own_bucket} (CloudTrail delivers a digest beside its log files).", entry.s3_bucket),
                Some(path.to_string()),
            ));
        }
        if let (Some(now), Some(end)) = (
            options.checked_at,
            DigestFile::text(&d.digest_end_time).and_then(Timestamp::parse_rfc3339),
        ) {
            // A quarter of an hour for the clocks of the checker and of AWS to disagree.
            if end.unix_millis() > now.unix_millis() + HOUR_MILLIS / 4 {
                findings.push(finding(
                    "digest_in_future",
                    IntegritySeverity::Error,
                    format!("{path}: the digest ends at {end}, after the time of this check ({now}): no genuine digest can; the signing key may be compromised, or this computer's clock is wrong."),
                    Some(path.to_string()),
                ));
            }
        }
    }
}

/// Every `previous*` link to a digest that is not there, not only the first one aws-cli meets.
fn missing_links(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    options: &Options,
    groups: &BTreeMap<TrailId, Vec<Listed>>,
    findings: &mut Vec<crate::report::IntegrityFinding>,
) {
    let date = |key: &str| {
        DigestKey::parse(key).or_else(|| {
            crate::layout::find_awslogs(key)
                .and_then(|at| key.get(at..))
                .and_then(DigestKey::parse)
        })
    };
    let mut seen = BTreeSet::new();
    for (&id, digest) in parsed {
        let Some(d) = digest else { continue };
        let (Some(b), Some(k)) = (&d.previous_digest_s3_bucket, &d.previous_digest_s3_object)
        else {
            continue;
        };
        // Only a hole inside what was asked for is missing: the window's start, or without
        // one, the oldest digest given of that trail (the walk reports a chain that goes on
        // before it, `chain_continues_before`).
        let inside = match (date(k), options.start) {
            (Some(missing), Some(start)) => missing.name_date >= compact_time(start),
            (Some(missing), None) => groups
                .get(&missing.trail_id())
                .is_some_and(|listed| listed.iter().any(|l| l.info.name_date < missing.name_date)),
            (None, _) => true,
        };
        if !inside {
            continue;
        }
        if inputs.paths.find(b, k).is_none() && seen.insert((b.clone(), k.clone())) {
            let from = inputs.paths.path(id).unwrap_or("");
            findings.push(finding(
                "digest_missing",
                IntegritySeverity::Error,
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
    parsed: &ParsedDigests,
    findings: &mut Vec<crate::report::IntegrityFinding>,
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
                    IntegritySeverity::Error,
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
                        IntegritySeverity::Warning,
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
    parsed: &ParsedDigests,
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
            IntegritySeverity::Warning,
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
            IntegritySeverity::Warning
        } else {
            IntegritySeverity::Info
        };
        report
            .findings
            .push(finding("newest_digest", severity, message, None));
    }
}

/// Integrity of every local log file, and the files no digest names.
fn log_integrity(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    options: &Options,
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
    let mut other_not_covered = Vec::new();
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
                // Only what looks like a CloudTrail log file is expected to be covered, and
                // with a window asked for, only one delivered within it.
                if looks_like_log(path)
                    && !matches!(hash.read, LogRead::Invalid(_))
                    && in_window(options, path)
                {
                    not_covered.push(path.to_string());
                } else if inputs.with_events.contains(&id) && !looks_like_log(path) {
                    // An export or any other file of events: no proof covers them.
                    other_not_covered.push(path.to_string());
                }
                LogIntegrity::NotCovered
            }
        };
        report.log_integrity.push((path.to_string(), status));
    }
    report.summary.logs_not_covered = not_covered.len() as u64;
    report.summary.other_files_not_covered = other_not_covered.len() as u64;
    for path in other_not_covered.iter().take(NAMED) {
        report.findings.push(finding(
            "events_not_covered",
            IntegritySeverity::Warning,
            format!("{path} holds events but is not a log file any digest names: its events are not covered by any proof."),
            Some(path.clone()),
        ));
    }
    for path in not_covered.iter().take(NAMED) {
        report.findings.push(finding(
            "log_not_covered",
            IntegritySeverity::Warning,
            format!("{path} is named by no digest: its events are not covered by any proof."),
            Some(path.clone()),
        ));
    }
    if not_covered.len() > NAMED {
        report.findings.push(finding(
            "log_not_covered",
            IntegritySeverity::Warning,
            format!(
                "{} more log files are named by no digest.",
                not_covered.len() - NAMED
            ),
            None,
        ));
    }
}

/// Whether a log file's delivery time (`_<YYYYMMDDTHHMM>Z_` in its name) falls within the
/// window asked for, extended by aws-cli's hour; a name without a time is always in.
fn in_window(options: &Options, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(stamp) = name.split('_').find(|part| {
        part.len() == 14 && part.ends_with('Z') && part.as_bytes().get(8) == Some(&b'T')
    }) else {
        return true;
    };
    // `YYYYMMDDTHHMMZ` compares as text with the window's ends cut to the same form.
    let cut = |t: Timestamp| compact_time(t).get(..13).unwrap_or("").to_string() + "Z";
    let after_start = options.start.is_none_or(|s| stamp >= cut(s).as_str());
    let before_end = options.end.is_none_or(|e| {
        stamp <= cut(Timestamp::from_unix_millis(e.unix_millis() + HOUR_MILLIS)).as_str()
    });
    after_start && before_end
}

/// `…/CloudTrail/<region>/…/<account>_CloudTrail_<region>_<time>_<unique>.json.gz`.
fn looks_like_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.contains("_CloudTrail_") && name.ends_with(".json.gz") && DigestKey::parse(path).is_none()
}

/// `YYYYMMDDTHHMMSSZ`, the form digest keys carry.
fn compact_time(t: Timestamp) -> String {
    t.to_string()
        .get(..19)
        .unwrap_or("")
        .replace(['-', ':'], "")
        + "Z"
}
