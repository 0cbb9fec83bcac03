//! The verification report: a verdict per digest and log file in aws-cli's words, the findings
//! aws-cli does not make, and a summary an auditor can cite.

use serde::Serialize;

/// A digest or a log file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    /// A digest file.
    Digest,
    /// A log file.
    Log,
}

/// What a file was found to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    /// Intact: `valid`.
    Valid,
    /// `INVALID: <reason>`, with aws-cli's reason text.
    Invalid(String),
    /// Neither valid nor invalid: the proof is not available offline (a digest whose signature is
    /// neither in a sidecar nor vouched for by a later digest).
    Unverifiable(String),
}

impl Verdict {
    /// The verdict as aws-cli prints it (`valid`, `INVALID: ...`), and ours for unverifiable.
    pub fn text(&self) -> String {
        match self {
            Verdict::Valid => "valid".into(),
            Verdict::Invalid(reason) => format!("INVALID: {reason}"),
            Verdict::Unverifiable(reason) => format!("UNVERIFIABLE: {reason}"),
        }
    }

    /// Whether it is `valid`.
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }

    /// Whether it is `INVALID`.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Verdict::Invalid(_))
    }
}

/// One line of the result list, in the order aws-cli would print it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// Digest or log file.
    #[serde(rename = "type")]
    pub object: ObjectType,
    /// A backfill digest (or a log file named by one).
    pub backfill: bool,
    /// S3 bucket.
    pub bucket: String,
    /// S3 key.
    pub key: String,
    /// The verdict, as aws-cli prints it.
    pub verdict: String,
    /// The verdict, structured.
    #[serde(skip)]
    pub outcome: Verdict,
    /// The local file, when one was found.
    pub local_path: Option<String>,
    /// For a log file: the digest that names it.
    pub digest_key: Option<String>,
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegritySeverity {
    /// Worth knowing.
    Info,
    /// Evidence is weaker than it looks (something is not covered or cannot be proven).
    Warning,
    /// Evidence of removal or tampering.
    Error,
}

impl IntegritySeverity {
    /// A stable identifier: `info`, `warning`, `error`.
    pub fn id(self) -> &'static str {
        match self {
            IntegritySeverity::Info => "info",
            IntegritySeverity::Warning => "warning",
            IntegritySeverity::Error => "error",
        }
    }
}

/// Something aws-cli does not report, found while verifying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IntegrityFinding {
    /// Stable identifier of the kind of finding.
    pub kind: &'static str,
    /// How serious it is.
    pub severity: IntegritySeverity,
    /// What was found, in a sentence.
    pub message: String,
    /// The object it is about, if any (`s3://bucket/key` or a local path).
    pub object: Option<String>,
}

/// Counts of verdicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// `valid`.
    pub valid: u64,
    /// `INVALID`.
    pub invalid: u64,
    /// Unverifiable (digests without an available signature; logs named only by digests that
    /// were not verified).
    pub unverifiable: u64,
}

impl Counts {
    /// All verdicts.
    pub fn total(&self) -> u64 {
        self.valid + self.invalid + self.unverifiable
    }

    pub(crate) fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Valid => self.valid += 1,
            Verdict::Invalid(_) => self.invalid += 1,
            Verdict::Unverifiable(_) => self.unverifiable += 1,
        }
    }
}

/// A time range, RFC 3339 ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

/// The totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The window asked for, if one was.
    pub requested: Option<Range>,
    /// The range the valid digests cover within the window (aws-cli's "Results found").
    pub found: Option<Range>,
    /// Standard digests.
    pub digests: Counts,
    /// Backfill digests.
    pub backfill_digests: Counts,
    /// Log files named by the digests walked (a log counts once per digest that names it).
    pub logs: Counts,
    /// Log files present that no digest names: their events are not covered by any proof.
    pub logs_not_covered: u64,
    /// Other files with events (exports, copies) that no digest names.
    pub other_files_not_covered: u64,
    /// Time covered by valid digests, merged.
    pub covered: Vec<Range>,
    /// Holes between covered ranges.
    pub gaps: Vec<Range>,
    /// The end of the newest digest found (a deleted newest digest can only be judged from it).
    pub newest_digest_end: Option<String>,
    /// Trails verified (trail and source region).
    pub trails: Vec<String>,
    /// Fingerprints of the keys that verified a digest.
    pub keys_used: Vec<String>,
    /// Every key of the trusted list and what became of it.
    pub trusted_keys: Vec<KeyReport>,
    /// Key lists found among the evidence: listed, never used.
    pub evidence_key_lists: Vec<EvidenceKeyListReport>,
    /// aws-cli mode: digests reported INVALID only because no signature was supplied for them
    /// (aws-cli's verdict; not a sign of tampering).
    pub digests_without_signature: u64,
    /// The command that prints the keys these digests need (`aws cloudtrail
    /// list-public-keys` for their time range and region), when there are digests.
    pub list_keys_command: Option<String>,
}

/// One key the user supplied as trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    /// `Fingerprint`, lowercase.
    pub fingerprint: String,
    /// `ValidityStartTime`, RFC 3339.
    pub valid_from: Option<String>,
    /// `ValidityEndTime`, RFC 3339.
    pub valid_to: Option<String>,
    /// The region the user said the key is for, if they did.
    pub region: Option<String>,
    /// `trusted`; or why not: `fingerprint_mismatch`, `ambiguous`, `unreadable`.
    pub status: &'static str,
    /// Source regions of the digests it verified.
    pub regions: Vec<String>,
}

/// A key list found among the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceKeyListReport {
    /// Where it was found.
    pub path: String,
    /// The fingerprints it lists.
    pub fingerprints: Vec<String>,
}

/// Integrity of one local log file, for the events it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogIntegrity {
    /// Named by a valid digest, and its hash matches.
    Verified,
    /// Named by a digest, and found damaged (hash, format, trailing data).
    Failed,
    /// Named only by digests that could not be verified.
    Unverified,
    /// Named by no digest.
    NotCovered,
}

/// The one verdict a report leads with: what an auditor may cite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Every digest in range and every log file present verified with a trusted key, and no
    /// finding of severity error.
    Intact,
    /// Something is INVALID, or a finding of severity error (evidence of removal, forgery or
    /// tampering) exists.
    NotIntact,
    /// Nothing is invalid, but not everything could be proven: digests whose signature is not
    /// available, log files no verified digest names, no trusted keys.
    Unproven,
    /// No digest file was given: nothing can be proven.
    NothingToVerify,
    /// aws-cli mode stopped before judging anything (its exit code 255).
    Aborted,
}

impl Overall {
    /// A stable identifier (`data-verdict` in the page, `overall` in `--json`).
    pub fn id(self) -> &'static str {
        match self {
            Overall::Intact => "intact",
            Overall::NotIntact => "not_intact",
            Overall::Unproven => "unproven",
            Overall::NothingToVerify => "nothing_to_verify",
            Overall::Aborted => "aborted",
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Verdicts in aws-cli's order: per trail, the standard chain from the newest digest back,
    /// each digest followed by its log files, then the backfill chain.
    pub results: Vec<FileResult>,
    /// aws-cli's notices (gap lines).
    pub notices: Vec<String>,
    /// What aws-cli misses.
    pub findings: Vec<IntegrityFinding>,
    /// Totals.
    pub summary: Summary,
    /// Integrity per local log file path.
    #[serde(skip)]
    pub log_integrity: Vec<(String, LogIntegrity)>,
    /// aws-cli mode only: the fatal error that stopped the run before any verdict (aws-cli
    /// prints it and exits 255).
    pub fatal: Option<String>,
    /// The mode the report was made in.
    #[serde(skip)]
    pub mode: crate::Mode,
}

impl Report {
    /// Whether anything is invalid.
    pub fn has_invalid(&self) -> bool {
        self.results.iter().any(|r| r.outcome.is_invalid())
    }

    /// The worst finding's severity, if there is a finding.
    pub fn worst_severity(&self) -> Option<IntegritySeverity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Not intact only because aws-cli's verdicts fail digests whose signature was not
    /// supplied: nothing was found wrong, only metadata is missing. The page says so in amber,
    /// not in the red of tampering (the verdicts stay aws-cli's).
    pub fn only_signatures_missing(&self) -> bool {
        let s = &self.summary;
        let without_signature = s.digests_without_signature;
        self.overall() == Overall::NotIntact
            && without_signature > 0
            && s.digests.invalid + s.backfill_digests.invalid <= without_signature
            && s.logs.invalid == 0
            && !self
                .findings
                .iter()
                .any(|f| f.severity == IntegritySeverity::Error)
    }

    /// The overall verdict: [`Overall::Intact`] only when every digest and log file in range
    /// verified and no finding is an error; otherwise the worst of what was found.
    pub fn overall(&self) -> Overall {
        let s = &self.summary;
        if self.fatal.is_some() {
            return Overall::Aborted;
        }
        if self.has_invalid() || self.worst_severity() == Some(IntegritySeverity::Error) {
            return Overall::NotIntact;
        }
        if s.digests.total() + s.backfill_digests.total() == 0 {
            return Overall::NothingToVerify;
        }
        if s.digests.unverifiable + s.backfill_digests.unverifiable + s.logs.unverifiable > 0
            || s.digests.valid + s.backfill_digests.valid == 0
            || s.logs_not_covered > 0
            || s.other_files_not_covered > 0
            || self.unverified_logs() > 0
        {
            return Overall::Unproven;
        }
        Overall::Intact
    }

    /// The headline in one sentence, naming the worst problem.
    pub fn headline(&self) -> String {
        let s = &self.summary;
        let n = |count: u64, one: &str, many: &str| {
            if count == 1 {
                format!("1 {one}")
            } else {
                format!("{count} {many}")
            }
        };
        let digests_valid = s.digests.valid + s.backfill_digests.valid;
        match self.overall() {
            Overall::Aborted => format!(
                "Not verified: {}",
                self.fatal.as_deref().unwrap_or("the run stopped")
            ),
            Overall::Intact => format!(
                "Intact: {} and {} verified.",
                n(digests_valid, "digest", "digests"),
                n(s.logs.valid, "log file", "log files")
            ),
            Overall::NotIntact => {
                let without_signature = s.digests_without_signature;
                let invalid_digests = (s.digests.invalid + s.backfill_digests.invalid)
                    .saturating_sub(without_signature);
                if self.only_signatures_missing() {
                    // aws-cli fails a digest whose signature is missing; saying "tampering"
                    // for what is only missing metadata would be read as evidence.
                    return format!(
                        "Not verified: no signature was supplied for {}, which aws-cli reports as INVALID (signature verification failed). Nothing else was found wrong. Supply the digests' S3 object metadata to verify them.",
                        n(without_signature, "digest", "digests")
                    );
                }
                let mut parts = Vec::new();
                if invalid_digests > 0 {
                    parts.push(format!(
                        "{} INVALID",
                        n(invalid_digests, "digest", "digests")
                    ));
                }
                if s.logs.invalid > 0 {
                    parts.push(format!(
                        "{} INVALID",
                        n(s.logs.invalid, "log file", "log files")
                    ));
                }
                if without_signature > 0 {
                    parts.push(format!(
                        "{} without a signature (INVALID to aws-cli)",
                        n(without_signature, "digest", "digests")
                    ));
                }
                let errors: Vec<&IntegrityFinding> = self
                    .findings
                    .iter()
                    .filter(|f| f.severity == IntegritySeverity::Error)
                    .collect();
                match errors.as_slice() {
                    [] => {}
                    // Alone, the finding is the headline.
                    [only] if parts.is_empty() => {
                        parts.push(only.message.trim_end_matches('.').to_string())
                    }
                    _ => {
                        let mut kinds: Vec<&str> = errors.iter().map(|f| f.kind).collect();
                        kinds.dedup();
                        parts.push(format!(
                            "{} ({})",
                            n(errors.len() as u64, "error finding", "error findings"),
                            kinds.join(", ")
                        ));
                    }
                }
                format!("Tampering or damage found: {}.", parts.join("; "))
            }
            Overall::Unproven if s.trusted_keys.is_empty() && self.mode == crate::Mode::Strict => {
                let command = s
                    .list_keys_command
                    .as_deref()
                    .unwrap_or("aws cloudtrail list-public-keys");
                format!("Not verified: no trusted public keys were given. Supply the output of `{command}` as the trusted keys.")
            }
            Overall::Unproven => {
                let mut parts = Vec::new();
                let unverifiable = s.digests.unverifiable + s.backfill_digests.unverifiable;
                if digests_valid == 0 && unverifiable == 0 {
                    parts.push("no digest verified".to_string());
                }
                if unverifiable > 0 {
                    parts.push(format!(
                        "{} could not be verified (signature not available)",
                        n(unverifiable, "digest", "digests")
                    ));
                }
                if s.logs_not_covered > 0 {
                    parts.push(format!(
                        "{} named by no digest",
                        n(s.logs_not_covered, "log file is", "log files are")
                    ));
                }
                if s.other_files_not_covered > 0 {
                    parts.push(format!(
                        "{} with events {} not a log file any digest names",
                        n(s.other_files_not_covered, "file", "files"),
                        if s.other_files_not_covered == 1 {
                            "is"
                        } else {
                            "are"
                        }
                    ));
                }
                let unverified_logs = self.unverified_logs();
                if unverified_logs > 0 {
                    parts.push(format!(
                        "{} named only by digests that were not verified",
                        n(unverified_logs, "log file is", "log files are")
                    ));
                }
                format!("Not proven: nothing is invalid, but {}.", parts.join("; "))
            }
            Overall::NothingToVerify => {
                "Nothing verified: no digest files were given, so nothing can be proven.".into()
            }
        }
    }

    /// Adds the finding for events whose copies disagree across files (found by whoever
    /// read the events: the store, or the CLI's copy index). Each is evidence that a file was
    /// altered, so it is an error: the headline cannot read intact while one exists.
    pub fn add_event_conflicts<'e>(&mut self, event_ids: impl IntoIterator<Item = &'e str>) {
        let ids: Vec<&str> = event_ids.into_iter().collect();
        let Some(first) = ids.first() else {
            return;
        };
        let shown: Vec<&str> = ids.iter().take(5).copied().collect();
        let more = if ids.len() > shown.len() {
            format!(" and {} more", ids.len() - shown.len())
        } else {
            String::new()
        };
        self.findings.push(IntegrityFinding {
            kind: "event_conflict",
            severity: IntegritySeverity::Error,
            message: format!(
                "{} event{} appear{} in several files with different content (eventID {}{more}): a copy was altered. The copy from a verified log file is the one used; every copy is kept and listed.",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                if ids.len() == 1 { "s" } else { "" },
                shown.join(", ")
            ),
            object: Some(format!("eventID {first}")),
        });
    }

    /// Log files named only by digests that were not verified. With a window asked for, the
    /// digests outside it are not walked, so their log files do not count.
    fn unverified_logs(&self) -> u64 {
        if self.summary.requested.is_some() {
            return 0;
        }
        self.log_integrity
            .iter()
            .filter(|(_, i)| *i == LogIntegrity::Unverified)
            .count() as u64
    }

    /// The CLI's exit code. aws-cli mode: aws-cli's own (0, 1 when something is INVALID, 255
    /// when it aborts). Otherwise 0 only when [`Report::overall`] is [`Overall::Intact`], else 1.
    pub fn exit_code(&self) -> u8 {
        match (self.mode, self.overall()) {
            (_, Overall::Aborted) => 255,
            (crate::Mode::AwsCli, _) => u8::from(self.has_invalid()),
            (crate::Mode::Strict, Overall::Intact) => 0,
            (crate::Mode::Strict, _) => 1,
        }
    }

    /// The report as text, close to `aws cloudtrail validate-logs --verbose`, followed by the
    /// findings.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            let kind = match (r.object, r.backfill) {
                (ObjectType::Digest, true) => "(backfill) Digest file",
                (ObjectType::Digest, false) => "Digest file",
                (ObjectType::Log, _) => "Log file",
            };
            out.push_str(&format!(
                "{kind}\ts3://{}/{}\t{}\n",
                r.bucket, r.key, r.verdict
            ));
        }
        for notice in &self.notices {
            out.push_str(notice);
            out.push('\n');
        }
        let s = &self.summary;
        out.push('\n');
        if let Some(r) = &s.requested {
            out.push_str(&format!("Results requested for {} to {}\n", r.start, r.end));
        }
        if s.digests.total() + s.backfill_digests.total() == 0 {
            out.push_str("No digests found\n");
        } else if s.digests.valid + s.backfill_digests.valid == 0 {
            out.push_str("No valid digests found in range\n");
        } else if let Some(f) = &s.found {
            out.push_str(&format!("Results found for {} to {}:\n", f.start, f.end));
        }
        out.push('\n');
        let line = |out: &mut String, c: &Counts, what: &str| {
            if c.total() == 0 {
                return;
            }
            out.push_str(&format!("{}/{} {what} valid", c.valid, c.total()));
            if c.invalid > 0 {
                out.push_str(&format!(", {}/{} {what} INVALID", c.invalid, c.total()));
            }
            if c.unverifiable > 0 {
                out.push_str(&format!(
                    ", {}/{} {what} UNVERIFIABLE",
                    c.unverifiable,
                    c.total()
                ));
            }
            out.push('\n');
        };
        line(&mut out, &s.digests, "digest files");
        line(&mut out, &s.backfill_digests, "backfill digest files");
        line(&mut out, &s.logs, "log files");
        if s.logs_not_covered > 0 {
            out.push_str(&format!(
                "{} named by no digest (not covered)\n",
                if s.logs_not_covered == 1 {
                    "1 log file".to_string()
                } else {
                    format!("{} log files", s.logs_not_covered)
                }
            ));
        }
        if self.mode == crate::Mode::Strict {
            out.push_str(&format!(
                "\n{}: {}\n",
                self.overall().id().to_ascii_uppercase(),
                self.headline()
            ));
        }
        if !self.findings.is_empty() {
            out.push_str("\nFindings aws-cli does not report:\n");
            for f in &self.findings {
                let level = match f.severity {
                    IntegritySeverity::Error => "ERROR",
                    IntegritySeverity::Warning => "WARNING",
                    IntegritySeverity::Info => "info",
                };
                out.push_str(&format!("  [{level}] {}\n", f.message));
            }
        }
        out
    }
}

/// A finding of `kind`.
pub(crate) fn finding(
    kind: &'static str,
    severity: IntegritySeverity,
    message: String,
    object: Option<String>,
) -> IntegrityFinding {
    IntegrityFinding {
        kind,
        severity,
        message,
        object,
    }
}
