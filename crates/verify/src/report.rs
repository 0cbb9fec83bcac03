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
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Evidence is weaker than it looks (something is not covered or cannot be proven).
    Warning,
    /// Evidence of removal or tampering.
    Error,
}

/// Something aws-cli does not report, found while verifying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable identifier of the kind of finding.
    pub kind: &'static str,
    /// How serious it is.
    pub severity: Severity,
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

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Verdicts in aws-cli's order: per trail, the standard chain from the newest digest back,
    /// each digest followed by its log files, then the backfill chain.
    pub results: Vec<FileResult>,
    /// aws-cli's notices (gap lines).
    pub notices: Vec<String>,
    /// What aws-cli misses.
    pub findings: Vec<Finding>,
    /// Totals.
    pub summary: Summary,
    /// Integrity per local log file path.
    #[serde(skip)]
    pub log_integrity: Vec<(String, LogIntegrity)>,
}

impl Report {
    /// Whether anything is invalid (the CLI's exit code 1).
    pub fn has_invalid(&self) -> bool {
        self.results.iter().any(|r| r.outcome.is_invalid())
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
                "{} log files named by no digest (not covered)\n",
                s.logs_not_covered
            ));
        }
        if !self.findings.is_empty() {
            out.push_str("\nFindings aws-cli does not report:\n");
            for f in &self.findings {
                let level = match f.severity {
                    Severity::Error => "ERROR",
                    Severity::Warning => "WARNING",
                    Severity::Info => "info",
                };
                out.push_str(&format!("  [{level}] {}\n", f.message));
            }
        }
        out
    }
}
