//! The second step of verification: aws-cli's traversal of each trail's digest chain, from the
//! newest digest back (`integrity-validation.md` §9), judging digests, keys and log files.

use std::collections::{BTreeSet, HashMap};

use trailscope_model::{LogRead, Timestamp};

use crate::digest::{decode_hex, sha256_hex, string_to_sign, verify_signature, DigestFile};
use crate::inputs::{Content, VerifyInputs};
use crate::keys::{KeyEncoding, KeyLookup, SigningTime, UntrustedKey};
use crate::layout::TrailId;
use crate::listing::{
    aws_cli_key_window, key_date, Listed, Mode, Options, ParsedDigests, HOUR_MILLIS,
};
use crate::report::{Counts, FileResult, LogIntegrity, ObjectType, Verdict};

/// A digest that verified.
pub(crate) struct Valid {
    start: Timestamp,
    end: Timestamp,
    start_text: String,
    previous: Option<(String, String)>,
}

/// The walk's memory of what it has seen.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) results: Vec<FileResult>,
    pub(crate) notices: Vec<String>,
    pub(crate) digests: Counts,
    pub(crate) backfill: Counts,
    pub(crate) logs: Counts,
    valid_ranges: Vec<(Timestamp, Timestamp)>,
    pub(crate) found: Option<(Timestamp, Timestamp)>,
    pub(crate) keys_used: BTreeSet<String>,
    /// (fingerprint, source region) of every key that verified a digest.
    key_regions: BTreeSet<(String, String)>,
    via_chain: u64,
    log_status: HashMap<usize, LogIntegrity>,
    trailing_digests: Vec<String>,
    trailer_missing_logs: Vec<String>,
    /// Strict-mode reasons a digest's key was refused, for the findings.
    key_refusals: Vec<KeyRefusal>,
    /// aws-cli's lazily loaded backfill key windows.
    backfill_key_windows: Vec<(Timestamp, Timestamp)>,
    /// Digests met twice in one chain walk.
    loops: Vec<String>,
    /// Chains that go on before the oldest digest given (no window was asked for).
    chain_continues: Vec<String>,
    /// aws-cli mode: digests failed only because no signature was supplied for them.
    signatures_missing: Vec<String>,
}

/// Why a trusted key list did not verify a digest, in the default mode.
#[derive(Clone, Debug)]
pub(crate) struct KeyRefusal {
    pub(crate) object: String,
    pub(crate) fingerprint: String,
    pub(crate) reason: KeyRefusalReason,
}

#[derive(Clone, Debug)]
pub(crate) enum KeyRefusalReason {
    NotValidAt {
        time: Timestamp,
        valid_from: Option<Timestamp>,
        valid_to: Option<Timestamp>,
    },
    /// Not what it claims; reported once per key.
    Untrusted,
    /// No trusted key has the fingerprint, but a key list inside the evidence does.
    OnlyInEvidence(String),
}

/// The parts of the walk's state the findings read.
pub(crate) struct StateView<'s> {
    pub(crate) valid_ranges: &'s [(Timestamp, Timestamp)],
    pub(crate) via_chain: u64,
    pub(crate) log_status: &'s HashMap<usize, LogIntegrity>,
    pub(crate) trailing_digests: &'s [String],
    pub(crate) trailer_missing_logs: &'s [String],
    pub(crate) key_refusals: &'s [KeyRefusal],
    pub(crate) loops: &'s [String],
    pub(crate) chain_continues: &'s [String],
    pub(crate) signatures_missing: &'s [String],
    pub(crate) key_regions: &'s BTreeSet<(String, String)>,
}

pub(crate) fn state_view(state: &State) -> StateView<'_> {
    StateView {
        valid_ranges: &state.valid_ranges,
        via_chain: state.via_chain,
        log_status: &state.log_status,
        trailing_digests: &state.trailing_digests,
        trailer_missing_logs: &state.trailer_missing_logs,
        key_refusals: &state.key_refusals,
        loops: &state.loops,
        chain_continues: &state.chain_continues,
        signatures_missing: &state.signatures_missing,
        key_regions: &state.key_regions,
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn walk(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    candidates: &HashMap<(String, String), String>,
    options: &Options,
    trail: &TrailId,
    listed: &[&Listed],
    backfill: bool,
    state: &mut State,
) {
    // aws-cli pops the listing from its newest end (`_get_last_digest`).
    let mut remaining: Vec<&Listed> = listed.to_vec();
    let Some(first) = remaining.pop() else { return };
    let mut target = Some((first.bucket.clone(), first.key.clone()));
    let mut last_start = key_date(&first.key);
    let mut visited = BTreeSet::new();
    while let Some((bucket, key)) = target.take() {
        if let (Some(start), Some(last)) = (options.start, last_start) {
            if start > last {
                break;
            }
        }
        if !visited.insert((bucket.clone(), key.clone())) {
            // A cycle of links: CloudTrail's chain only ever points back in time.
            state.loops.push(format!("s3://{bucket}/{key}"));
            break;
        }
        // Without a window, the chain is checked as far back as the digests given: the link
        // from the oldest one to an older digest that was not given is reported as a finding,
        // not as a missing file (aws-cli always has a start time, `--start-time`).
        if options.mode == Mode::Strict
            && options.start.is_none()
            && inputs.paths.find(&bucket, &key).is_none()
            && key_date(&key).is_some_and(|d| {
                listed
                    .iter()
                    .all(|l| key_date(&l.key).is_some_and(|o| o > d))
            })
        {
            state.chain_continues.push(format!("s3://{bucket}/{key}"));
            break;
        }
        match validate(
            inputs, parsed, candidates, options, trail, &bucket, &key, backfill, state,
        ) {
            Ok(valid) => {
                let counts = if backfill {
                    &mut state.backfill
                } else {
                    &mut state.digests
                };
                counts.add(&Verdict::Valid);
                state.valid_ranges.push((valid.start, valid.end));
                let lo = options.start.map_or(valid.start, |s| s.max(valid.start));
                let hi = options.end.map_or(valid.end, |e| e.min(valid.end));
                state.found = Some(match state.found {
                    Some((a, b)) => (a.min(lo), b.max(hi)),
                    None => (lo, hi),
                });
                last_start = Some(valid.start);
                match valid.previous {
                    Some(previous) => target = Some(previous),
                    None => {
                        let next = pop_older(&mut remaining, &key);
                        if let Some(next) = next {
                            let prefix = if backfill { "(backfill) " } else { "" };
                            let older_end =
                                key_date(&next.key).map_or_else(String::new, |t| t.to_string());
                            state.notices.push(format!(
                                "{prefix}No log files were delivered by CloudTrail between {older_end} and {}",
                                valid.start_text
                            ));
                            target = Some((next.bucket.clone(), next.key.clone()));
                        }
                    }
                }
            }
            Err(verdict) => {
                let counts = if backfill {
                    &mut state.backfill
                } else {
                    &mut state.digests
                };
                counts.add(&verdict);
                target = pop_older(&mut remaining, &key)
                    .map(|next| (next.bucket.clone(), next.key.clone()));
            }
        }
    }
}

/// The next listed digest strictly older than `key` (newer ones are dropped, as aws-cli does).
pub(crate) fn pop_older<'l>(remaining: &mut Vec<&'l Listed>, key: &str) -> Option<&'l Listed> {
    let before = key_date(key)?;
    while let Some(next) = remaining.pop() {
        if key_date(&next.key).is_some_and(|d| d < before) {
            return Some(next);
        }
    }
    None
}

/// aws-cli's checks A to H, in its order, with a result line pushed for the digest and, when it
/// is valid, for each of its log files.
#[allow(clippy::too_many_arguments)]
pub(crate) fn validate(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    candidates: &HashMap<(String, String), String>,
    options: &Options,
    trail: &TrailId,
    bucket: &str,
    key: &str,
    backfill: bool,
    state: &mut State,
) -> Result<Valid, Verdict> {
    let id = inputs.paths.find(bucket, key);
    let local_path = id.and_then(|i| inputs.paths.path(i)).map(str::to_string);
    let mut push = |state: &mut State, outcome: Verdict| {
        state.results.push(FileResult {
            object: ObjectType::Digest,
            backfill,
            bucket: bucket.to_string(),
            key: key.to_string(),
            verdict: outcome.text(),
            outcome,
            local_path: local_path.clone(),
            digest_key: None,
        });
    };
    let fail = |state: &mut State, push: &mut dyn FnMut(&mut State, Verdict), v: Verdict| {
        push(state, v.clone());
        Err(v)
    };
    let invalid = |reason: &str| Verdict::Invalid(reason.to_string());
    // A: the object.
    let Some(id) = id else {
        return fail(state, &mut push, invalid("not found"));
    };
    let Some(Content::Digest(bytes)) = inputs.content(id) else {
        return fail(state, &mut push, invalid("invalid format"));
    };
    // B: gunzip and JSON.
    let Ok(content) = &bytes.content else {
        return fail(state, &mut push, invalid("invalid format"));
    };
    let Some(Some(digest)) = parsed.get(&id) else {
        return fail(state, &mut push, invalid("invalid format"));
    };
    // C: the signature. aws-cli requires `signature` and `signature-algorithm` in the
    // metadata; a flat `{key: signature}` sidecar gives the signature alone.
    let meta = inputs.signatures.find(bucket, key);
    let sidecar = meta.and_then(|m| {
        m.signature
            .clone()
            .filter(|_| m.algorithm.is_some() || !m.full_metadata)
    });
    let (signature, from_chain) = match (sidecar, options.mode) {
        (Some(sig), _) => (sig, false),
        (None, Mode::AwsCli) => {
            state.signatures_missing.push(key.to_string());
            return fail(state, &mut push, invalid("signature verification failed"));
        }
        (None, Mode::Strict) => match candidates.get(&(bucket.to_string(), key.to_string())) {
            Some(sig) => (sig.clone(), true),
            None => {
                let v = Verdict::Unverifiable(
                    "signature not available: not in a sidecar, and no later digest records it"
                        .into(),
                );
                return fail(state, &mut push, v);
            }
        },
    };
    // C': backfill digests carry their generation time in the metadata (when the sidecar
    // gave the metadata at all).
    if backfill
        && options.mode == Mode::AwsCli
        && meta.is_some_and(|m| m.full_metadata && m.backfill_generation.is_none())
    {
        return fail(state, &mut push, invalid("invalid format"));
    }
    let generated = meta
        .filter(|_| backfill)
        .and_then(|m| m.backfill_generation.as_deref())
        .and_then(|g| trailscope_model::parse_event_time(g).map(|(t, _)| t));
    // D: the required fields.
    if !digest.has_required_fields() {
        return fail(state, &mut push, invalid("invalid format"));
    }
    // E: where it was read from.
    let claimed_bucket = DigestFile::text(&digest.digest_s3_bucket).unwrap_or("");
    let claimed_key = DigestFile::text(&digest.digest_s3_object).unwrap_or("");
    if claimed_bucket != bucket || claimed_key != key {
        return fail(
            state,
            &mut push,
            invalid("has been moved from its original location"),
        );
    }
    // F: the key.
    let fingerprint = DigestFile::text(&digest.digest_public_key_fingerprint).unwrap_or("");
    let not_found = || {
        Verdict::Invalid(format!(
            "public key not found in region {} for fingerprint {fingerprint}",
            trail.home_region
        ))
    };
    let object = format!("s3://{bucket}/{key}");
    let public_key = match options.mode {
        Mode::AwsCli => {
            let found = if backfill {
                match aws_cli_backfill_key(inputs, fingerprint, generated, state) {
                    Ok(found) => found,
                    Err(v) => return fail(state, &mut push, v),
                }
            } else {
                inputs
                    .trusted_keys
                    .lookup_as_aws_cli(fingerprint, aws_cli_key_window(options))
            };
            let Some(found) = found else {
                return fail(state, &mut push, not_found());
            };
            // aws-cli loads PKCS#1 only (`rsa.PublicKey.load_pkcs1`).
            if found.encoding == Some(KeyEncoding::Spki) {
                let v = Verdict::Invalid(
                    crate::keys::KeyError::Der(found.fingerprint.clone()).to_string(),
                );
                return fail(state, &mut push, v);
            }
            found
        }
        Mode::Strict => {
            let end = DigestFile::text(&digest.digest_end_time)
                .and_then(Timestamp::parse_rfc3339)
                .or_else(|| key_date(key));
            let Some(end) = end else {
                return fail(state, &mut push, invalid("invalid format"));
            };
            let at = SigningTime {
                not_before: end,
                generated,
                backfill,
                source_region: Some(&trail.source_region),
            };
            let refuse = |state: &mut State, reason: KeyRefusalReason| {
                state.key_refusals.push(KeyRefusal {
                    object: object.clone(),
                    fingerprint: fingerprint.to_string(),
                    reason,
                });
            };
            if inputs.trusted_keys.is_empty() {
                // Nothing to judge the signature with: not proven either way.
                let v = Verdict::Unverifiable("no trusted public keys were given".into());
                return fail(state, &mut push, v);
            }
            match inputs.trusted_keys.lookup(fingerprint, at) {
                KeyLookup::Found(found) => found,
                KeyLookup::NotFound => {
                    if let Some(list) = inputs.evidence_key_lists.iter().find(|l| {
                        l.fingerprints
                            .iter()
                            .any(|f| f.eq_ignore_ascii_case(fingerprint))
                    }) {
                        refuse(state, KeyRefusalReason::OnlyInEvidence(list.path.clone()));
                    }
                    return fail(state, &mut push, not_found());
                }
                KeyLookup::NotValidAt { key: k, time } => {
                    refuse(
                        state,
                        KeyRefusalReason::NotValidAt {
                            time,
                            valid_from: k.valid_from,
                            valid_to: k.valid_to,
                        },
                    );
                    return fail(state, &mut push, not_found());
                }
                KeyLookup::Untrusted(why) => {
                    refuse(state, KeyRefusalReason::Untrusted);
                    let reason = match why {
                        UntrustedKey::FingerprintMismatch => format!("public key for fingerprint {fingerprint} is not trusted: its Fingerprint is not the MD5 of its Value"),
                        UntrustedKey::Ambiguous => format!("public key for fingerprint {fingerprint} is not trusted: the key list holds different keys under that fingerprint"),
                    };
                    return fail(state, &mut push, Verdict::Invalid(reason));
                }
            }
        }
    };
    // G1: load it.
    let rsa_key = match &public_key.key {
        Ok(k) => k,
        Err(e) => return fail(state, &mut push, Verdict::Invalid(e.to_string())),
    };
    // G2: the signature's hex.
    let signature_bytes = match decode_hex(&signature) {
        Ok(b) => b,
        Err(e) => return fail(state, &mut push, Verdict::Invalid(e.to_string())),
    };
    // G3: RSA.
    let end_text = DigestFile::text(&digest.digest_end_time).unwrap_or("");
    let message = string_to_sign(
        end_text,
        claimed_bucket,
        claimed_key,
        &sha256_hex(content),
        DigestFile::text(&digest.previous_digest_signature),
    );
    if !verify_signature(rsa_key, message.as_bytes(), &signature_bytes) {
        return fail(state, &mut push, invalid("signature verification failed"));
    }
    // H: the times.
    let start_text = DigestFile::text(&digest.digest_start_time).unwrap_or("");
    let Some(start) = Timestamp::parse_rfc3339(start_text) else {
        return fail(
            state,
            &mut push,
            Verdict::Invalid(format!("Unable to parse date value: {start_text}")),
        );
    };
    let Some(end) = Timestamp::parse_rfc3339(end_text) else {
        return fail(
            state,
            &mut push,
            Verdict::Invalid(format!("Unable to parse date value: {end_text}")),
        );
    };
    push(state, Verdict::Valid);
    state.keys_used.insert(public_key.fingerprint.clone());
    state
        .key_regions
        .insert((public_key.fingerprint.clone(), trail.source_region.clone()));
    if public_key.encoding == Some(KeyEncoding::Spki) {
        state
            .keys_used
            .insert(format!("{} (SubjectPublicKeyInfo)", public_key.fingerprint));
    }
    if from_chain {
        state.via_chain += 1;
    }
    if bytes.trailing_data {
        state.trailing_digests.push(format!("s3://{bucket}/{key}"));
    }
    for entry in digest.log_files.iter().flatten() {
        check_log(
            inputs,
            key,
            &entry.s3_bucket,
            &entry.s3_object,
            &entry.hash_value,
            state,
        );
    }
    let previous = match (
        &digest.previous_digest_s3_bucket,
        &digest.previous_digest_s3_object,
    ) {
        (Some(b), Some(k)) => Some((b.clone(), k.clone())),
        _ => None,
    };
    Ok(Valid {
        start,
        end,
        start_text: start_text.to_string(),
        previous,
    })
}

/// aws-cli's key lookup for backfill digests (`integrity-validation.md` §11): the keys start
/// empty; the first time a fingerprint is unknown, the keys of `generation ± 1h` are added, and
/// an empty answer is that digest's verdict. Without a known generation time (a flat
/// signature sidecar), every key given counts.
pub(crate) fn aws_cli_backfill_key<'k>(
    inputs: &'k VerifyInputs,
    fingerprint: &str,
    generated: Option<Timestamp>,
    state: &mut State,
) -> Result<Option<&'k crate::keys::PublicKey>, Verdict> {
    let keys = &inputs.trusted_keys;
    let Some(generated) = generated else {
        return Ok(keys.lookup_as_aws_cli(fingerprint, None));
    };
    let known = |windows: &[(Timestamp, Timestamp)]| {
        windows
            .iter()
            .rev()
            .find_map(|&w| keys.lookup_as_aws_cli(fingerprint, Some(w)))
    };
    if let Some(found) = known(&state.backfill_key_windows) {
        return Ok(Some(found));
    }
    let from = Timestamp::from_unix_millis(generated.unix_millis().saturating_sub(HOUR_MILLIS));
    let to = Timestamp::from_unix_millis(generated.unix_millis().saturating_add(HOUR_MILLIS));
    if !keys.any_in(from, to) {
        return Err(Verdict::Invalid(format!(
            "No public keys found between {from} and {to}"
        )));
    }
    state.backfill_key_windows.push((from, to));
    Ok(known(&state.backfill_key_windows))
}

/// A log file named by a valid digest (`integrity-validation.md` §7). aws-cli prints log files
/// of backfill digests as plain log lines.
pub(crate) fn check_log(
    inputs: &VerifyInputs,
    digest_key: &str,
    bucket: &str,
    key: &str,
    expected: &str,
    state: &mut State,
) {
    let id = inputs.paths.find(bucket, key);
    let verdict = match id.and_then(|i| inputs.content(i)) {
        None => Verdict::Invalid("not found".into()),
        Some(Content::Digest(_)) => Verdict::Invalid("invalid format".into()),
        Some(Content::Log(hash)) => match &hash.read {
            LogRead::Invalid(_) => Verdict::Invalid("invalid format".into()),
            _ if hash.trailing_data => {
                Verdict::Invalid("unexpected data after end of compressed stream".into())
            }
            _ if hash.sha256_hex != expected => Verdict::Invalid("hash value doesn't match".into()),
            LogRead::TrailerMissing => {
                state
                    .trailer_missing_logs
                    .push(format!("s3://{bucket}/{key}"));
                Verdict::Valid
            }
            _ => Verdict::Valid,
        },
    };
    state.logs.add(&verdict);
    if let Some(id) = id {
        let status = if verdict.is_valid() {
            LogIntegrity::Verified
        } else {
            LogIntegrity::Failed
        };
        let slot = state.log_status.entry(id).or_insert(status);
        if status == LogIntegrity::Failed {
            *slot = LogIntegrity::Failed;
        }
    }
    state.results.push(FileResult {
        object: ObjectType::Log,
        backfill: false,
        bucket: bucket.to_string(),
        key: key.to_string(),
        verdict: verdict.text(),
        outcome: verdict,
        local_path: id.and_then(|i| inputs.paths.path(i)).map(str::to_string),
        digest_key: Some(digest_key.to_string()),
    });
}
