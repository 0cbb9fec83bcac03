//! The first step of verification: every digest parsed, and listed per trail and source region
//! in aws-cli's order, with the options that choose them (`integrity-validation.md` §9). The
//! walk (`walk.rs`) then follows each chain; the findings (`findings.rs`) read both.

use std::collections::{BTreeMap, HashMap};

use trailscope_model::Timestamp;

use crate::digest::DigestFile;
use crate::inputs::{Content, VerifyInputs};
use crate::layout::{DigestKey, TrailId};

/// How closely to follow aws-cli.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Trailscope's checks: strict cryptography (SHA-256 only, signatures below the modulus, as
    /// AWS CLI v2), a digest's signature from a sidecar or else from the digest after it, and
    /// unverifiable instead of invalid when no signature can be had.
    #[default]
    Strict,
    /// Exactly aws-cli's verdicts with S3-metadata signatures (a digest without a sidecar
    /// signature fails), for comparison with its output: its key lookup (the keys of the window,
    /// last of a fingerprint wins, no check of the key itself), its lenient JSON (a repeated
    /// key reads its last value), its fatal error when no key is given. Cryptography stays
    /// strict, as AWS CLI v2's.
    AwsCli,
}

/// What to verify.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Only digests whose name-date is at or after this (aws-cli `--start-time`).
    pub start: Option<Timestamp>,
    /// Only digests up to an hour after this (aws-cli `--end-time`).
    pub end: Option<Timestamp>,
    /// How closely to follow aws-cli.
    pub mode: Mode,
    /// When the check runs, from the caller's clock (the core has none): a digest dated after
    /// it cannot be genuine.
    pub checked_at: Option<Timestamp>,
}

/// A digest in the listing of its trail.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub(crate) info: DigestKey,
    pub(crate) bucket: String,
    pub(crate) key: String,
}

/// aws-cli's window for `ListPublicKeys`: `[start, end + 2h]` (§9 step 2).
pub(crate) fn aws_cli_key_window(options: &Options) -> Option<(Timestamp, Timestamp)> {
    let start = options.start?;
    let end = options
        .end
        .map_or(Timestamp::from_unix_millis(i64::MAX), |e| {
            Timestamp::from_unix_millis(e.unix_millis().saturating_add(2 * HOUR_MILLIS))
        });
    Some((start, end))
}

/// aws-cli's one fatal error about the data (exit 255): no public key for the window, raised
/// before any digest is looked at (`integrity-validation.md` §6, *public_keys_empty*).
pub(crate) fn aws_cli_fatal(
    inputs: &VerifyInputs,
    options: &Options,
    groups: &BTreeMap<TrailId, Vec<Listed>>,
) -> Option<String> {
    if options.mode != Mode::AwsCli {
        return None;
    }
    let (from, to) = match aws_cli_key_window(options) {
        Some(window) => window,
        None => {
            // No window asked for: the digests given are the window.
            let dates: Vec<Timestamp> = groups
                .values()
                .flatten()
                .filter_map(|l| key_date(&l.key))
                .collect();
            let from = dates.iter().min().copied()?;
            let to = dates.iter().max().copied()?;
            (
                from,
                Timestamp::from_unix_millis(to.unix_millis().saturating_add(2 * HOUR_MILLIS)),
            )
        }
    };
    (!inputs.trusted_keys.any_in(from, to))
        .then(|| format!("No public keys found between {from} and {to}"))
}

pub(crate) const HOUR_MILLIS: i64 = 3_600_000;

/// Every digest file's parsed JSON, by path id (`None` when it does not parse).
pub(crate) type ParsedDigests = BTreeMap<usize, Option<DigestFile>>;

pub(crate) fn parse_all(inputs: &VerifyInputs, mode: Mode) -> ParsedDigests {
    inputs
        .contents
        .iter()
        .enumerate()
        .filter_map(|(id, c)| match c {
            Content::Digest(d) => Some((
                id,
                d.content.as_ref().ok().and_then(|b| match mode {
                    Mode::Strict => DigestFile::parse(b),
                    Mode::AwsCli => DigestFile::parse_lenient(b),
                }),
            )),
            Content::Log(_) => None,
        })
        .collect()
}

/// The chain's own record of signatures: each digest states its predecessor's signature, and
/// a bogus value simply fails to verify, so any digest's statement can be tried.
pub(crate) fn chain_signatures(parsed: &ParsedDigests) -> HashMap<(String, String), String> {
    let mut out = HashMap::new();
    for d in parsed.values().flatten() {
        if let (Some(b), Some(k), Some(sig)) = (
            d.previous_digest_s3_bucket.as_ref(),
            d.previous_digest_s3_object.as_ref(),
            DigestFile::text(&d.previous_digest_signature),
        ) {
            out.insert((b.clone(), k.clone()), sig.to_string());
        }
    }
    out
}

/// Digests by trail, each trail's listing sorted by key date as S3 lists them, within the window.
pub(crate) fn list_digests(
    inputs: &VerifyInputs,
    parsed: &ParsedDigests,
    options: &Options,
) -> BTreeMap<TrailId, Vec<Listed>> {
    let lower = options.start.map(compact);
    let upper = options
        .end
        .map(|e| compact(Timestamp::from_unix_millis(e.unix_millis() + 3_600_000)));
    let mut groups: BTreeMap<TrailId, Vec<Listed>> = BTreeMap::new();
    for (&id, digest) in parsed {
        let claimed_key = digest
            .as_ref()
            .and_then(|d| DigestFile::text(&d.digest_s3_object));
        let claimed_bucket = digest
            .as_ref()
            .and_then(|d| DigestFile::text(&d.digest_s3_bucket));
        let Some(path) = inputs.paths.path(id) else {
            continue;
        };
        let prefix = key_prefix(path, claimed_key);
        let Some(located) = inputs.paths.locate(id, &prefix) else {
            continue;
        };
        let Some(info) = DigestKey::parse(&located.key) else {
            continue;
        };
        if lower.as_ref().is_some_and(|l| info.name_date < *l)
            || upper.as_ref().is_some_and(|u| info.name_date > *u)
        {
            continue;
        }
        let bucket = located
            .bucket
            .or(claimed_bucket.map(str::to_string))
            .unwrap_or_default();
        groups.entry(info.trail_id()).or_default().push(Listed {
            info,
            bucket,
            key: located.key,
        });
    }
    for listed in groups.values_mut() {
        listed.sort_by(|a, b| (&a.info.name_date, &a.key).cmp(&(&b.info.name_date, &b.key)));
    }
    groups
}

/// The key prefix of the trail a local digest belongs to: what its own `digestS3Object` has
/// before the part the local path also has.
pub(crate) fn key_prefix(path: &str, claimed_key: Option<&str>) -> String {
    let (Some(claimed), Some(at)) = (claimed_key, crate::layout::find_awslogs(path)) else {
        return String::new();
    };
    let local_tail = path.get(at..).unwrap_or("");
    match (crate::layout::find_awslogs(claimed), path.get(..at)) {
        (Some(claimed_at), Some(before)) => {
            let prefix = claimed
                .get(..claimed_at)
                .unwrap_or("")
                .trim_end_matches('/');
            // Only when the local folders above `AWSLogs/` end with that prefix.
            if !prefix.is_empty()
                && before.trim_end_matches('/').ends_with(prefix)
                && !local_tail.is_empty()
            {
                prefix.to_string()
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}

/// `YYYYMMDDTHHMMSSZ`, the form digest keys carry.
pub(crate) fn compact(t: Timestamp) -> String {
    t.to_string()
        .get(..19)
        .unwrap_or("")
        .replace(['-', ':'], "")
        + "Z"
}

/// `YYYYMMDDTHHMMSSZ` from a digest key, as a time.
pub(crate) fn key_date(key: &str) -> Option<Timestamp> {
    let name = key.rsplit('/').next()?;
    let stem = name
        .strip_suffix("_backfill.json.gz")
        .or_else(|| name.strip_suffix(".json.gz"))?;
    let date = stem.rsplit('_').next()?;
    let b = date.as_bytes();
    if b.len() != 16 {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        date.get(0..4)?,
        date.get(4..6)?,
        date.get(6..8)?,
        date.get(9..11)?,
        date.get(11..13)?,
        date.get(13..15)?
    );
    Timestamp::parse_rfc3339(&text)
}
