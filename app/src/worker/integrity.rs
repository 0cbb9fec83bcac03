//! What the store worker gathers for verification while files load, and the verification run.
//!
//! The parsers hash every file's first gzip member as they read it and keep a digest's bytes,
//! a key list's or a signature file's text; nothing is read twice. Verification itself then
//! only checks signatures and compares hashes, which takes milliseconds.

use trailscope_model::{FileKind, Timestamp};
use trailscope_protocol::{
    log_hash_from_wire, trusted_key_view, IntegrityInputs, ParsedFile, TrustedKeyList,
    TrustedKeyView,
};
use trailscope_store::{Integrity, Store};
use trailscope_verify::{
    verify, DigestBytes, InputFile, LogIntegrity, Mode, Options, PublicKeys, Report, RunInfo,
    TimeWindow, VerifyInputs,
};

/// Verification inputs gathered from the loaded files (the evidence).
#[derive(Default)]
pub(crate) struct IntegrityBook {
    inputs: VerifyInputs,
    counts: IntegrityInputs,
    stored: Vec<InputFile>,
    /// Signature files that could not be used, with why.
    problems: Vec<String>,
}

/// The trusted public keys: what the user supplied as keys, apart from any file they dropped.
/// They outlive loads and resets (the page remembers them for the session).
#[derive(Default)]
pub(crate) struct TrustAnchor {
    keys: PublicKeys,
}

impl TrustAnchor {
    /// Replaces the trusted keys with `lists`; returns every key with its status, and the
    /// lists that do not read.
    pub(crate) fn set(&mut self, lists: &[TrustedKeyList]) -> (Vec<TrustedKeyView>, Vec<String>) {
        let mut keys = PublicKeys::default();
        let mut problems = Vec::new();
        for list in lists {
            match PublicKeys::from_json(list.text.as_bytes()) {
                Ok(read) => keys.extend(read.for_region(list.region.as_deref())),
                Err(e) => problems.push(format!("{}: {e}", list.name)),
            }
        }
        self.keys = keys;
        let views = self.keys.describe().iter().map(trusted_key_view).collect();
        (views, problems)
    }
}

/// What the page asked to verify.
pub(crate) struct VerifyAsk<'a> {
    pub(crate) start: Option<&'a str>,
    pub(crate) end: Option<&'a str>,
    pub(crate) aws_cli_compat: bool,
    pub(crate) checked_at: String,
    pub(crate) case: String,
    pub(crate) analyst: String,
}

impl IntegrityBook {
    /// What verification has to work with so far.
    pub(crate) fn counts(&self) -> IntegrityInputs {
        self.counts
    }

    /// Takes what verification needs from a file a parser read.
    pub(crate) fn add(&mut self, file: &ParsedFile, kind: FileKind) {
        if file.discard {
            return;
        }
        if let Some(sha256) = &file.stored_sha256 {
            self.stored.push(InputFile {
                path: file.path.clone(),
                bytes: file.summary.stored_bytes,
                sha256: sha256.clone(),
            });
        }
        let kept = file.kept.as_ref().map(|b| b.as_slice());
        match kind {
            // A key list among the dropped files is evidence, never a trust anchor: whoever
            // could write the bucket could have put it there. It is listed and reported.
            FileKind::PublicKeys => {
                self.counts.evidence_key_lists += 1;
                self.inputs
                    .add_evidence_key_list(&file.path, kept.unwrap_or_default());
            }
            FileKind::DigestSignatures => {
                match kept.map(|b| self.inputs.signatures.add_json(b, &file.path)) {
                    Some(Ok(_)) => self.counts.signature_files += 1,
                    Some(Err(e)) => self.problems.push(format!("{}: {e}", file.path)),
                    None => self.problems.push(format!(
                        "{}: the signature file was too large to keep",
                        file.path
                    )),
                }
            }
            // A digest-named file that was not read (refused by size, unreadable) is a digest
            // that cannot be read: aws-cli's `invalid format`, never a missing file.
            _ if trailscope_verify::is_digest_path(&file.path) && file.log_hash.is_none() => {
                let why = file
                    .summary
                    .error
                    .clone()
                    .unwrap_or_else(|| "it could not be read".into());
                self.inputs.add_digest(
                    &file.path,
                    DigestBytes {
                        content: Err(why),
                        trailing_data: false,
                    },
                );
                self.counts.digests += 1;
            }
            // By content, or by a digest's path: a digest whose JSON the event parser refuses
            // (a repeated field, say) is still judged as a digest.
            _ if kind == FileKind::Digest || trailscope_verify::is_digest_path(&file.path) => {
                if let Some(hash) = file.log_hash.clone().map(log_hash_from_wire) {
                    let first = file.kept.as_ref().map(|b| b.to_vec());
                    self.inputs
                        .add_digest(&file.path, DigestBytes::from_first_member(first, &hash));
                    self.counts.digests += 1;
                }
            }
            _ => {
                if let Some(hash) = file.log_hash.clone().map(log_hash_from_wire) {
                    if file.summary.events > 0 && file.summary.error.is_none() {
                        self.inputs.add_event_file(&file.path, hash);
                    } else {
                        self.inputs.add_log(&file.path, hash);
                    }
                    self.counts.logs += 1;
                }
            }
        }
    }

    /// Verifies everything gathered and marks each loaded file's integrity in `store`.
    pub(crate) fn verify(
        &mut self,
        ask: &VerifyAsk<'_>,
        anchor: &TrustAnchor,
        store: &mut Store,
    ) -> Result<(Report, RunInfo, u64), String> {
        let TimeWindow { start, end } = TimeWindow::parse(ask.start, ask.end)?;
        let mode = if ask.aws_cli_compat {
            Mode::AwsCli
        } else {
            Mode::Strict
        };
        self.inputs.trusted_keys = anchor.keys.clone();
        let checked_at = Timestamp::parse_rfc3339(&ask.checked_at);
        let mut report = verify(
            &self.inputs,
            &Options {
                start,
                end,
                mode,
                checked_at,
            },
        );
        for problem in &self.problems {
            report.notices.push(format!("Not used: {problem}"));
        }
        let by_path: std::collections::HashMap<&str, Integrity> = report
            .log_integrity
            .iter()
            .map(|(path, status)| (path.as_str(), integrity(*status)))
            .collect();
        let rows_changed = store.set_integrity(|path| by_path.get(path).copied());
        let conflicts = store.conflicts();
        report.add_event_conflicts(conflicts.iter().map(|c| c.event_id.as_str()));
        let run = RunInfo {
            tool: format!("Trailscope {} (web)", env!("CARGO_PKG_VERSION")),
            checked_at: ask.checked_at.clone(),
            window: match (ask.start, ask.end) {
                (None, None) => None,
                (s, e) => Some((s.unwrap_or("").to_string(), e.unwrap_or("").to_string())),
            },
            mode: if ask.aws_cli_compat {
                "aws-cli"
            } else {
                "strict"
            }
            .into(),
            inputs: self.stored.clone(),
            keys: self
                .inputs
                .trusted_keys
                .iter()
                .map(|k| (k.fingerprint.clone(), k.fingerprint_matches_value))
                .collect(),
            case: ask.case.clone(),
            analyst: ask.analyst.clone(),
        };
        Ok((report, run, rows_changed))
    }
}

fn integrity(status: LogIntegrity) -> Integrity {
    match status {
        LogIntegrity::Verified => Integrity::Verified,
        LogIntegrity::Failed => Integrity::Failed,
        LogIntegrity::Unverified => Integrity::Unverified,
        LogIntegrity::NotCovered => Integrity::NotCovered,
    }
}
