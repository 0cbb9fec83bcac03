//! What the page shows: files, totals, verification, detections, as the store worker sends them.

use serde::{Deserialize, Serialize};

/// One copy of an event whose files disagree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCopyView {
    /// The file it came from.
    pub file: String,
    /// That file's integrity, once verified.
    pub integrity: Option<String>,
    /// Whether it is the copy the table, queries, exports and detections use.
    pub shown: bool,
    /// Its original JSON.
    pub json: String,
    /// Where it differs from the copy shown.
    pub differences: Vec<DifferenceView>,
}

/// A field on which a copy differs from the copy shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifferenceView {
    /// Dot path of the field.
    pub path: String,
    /// Its value in the copy shown (compact JSON; `None`: absent).
    pub shown: Option<String>,
    /// Its value in this copy.
    pub this: Option<String>,
}

/// A verification report for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyView {
    /// The overall verdict's id: `intact`, `not_intact`, `unproven`, `nothing_to_verify`,
    /// `aborted` ([`trailscope_verify::Overall::id`]).
    pub overall: String,
    /// The overall verdict in one sentence, naming the worst problem.
    pub headline: String,
    /// `strict` (Trailscope's verdicts) or `aws-cli`.
    pub mode: String,
    /// Standard digests.
    pub digests: VerdictCounts,
    /// Backfill digests.
    pub backfill_digests: VerdictCounts,
    /// Log files (`unverifiable`: named only by digests that were not verified).
    pub logs: VerdictCounts,
    /// Log files named by no digest.
    pub logs_not_covered: u64,
    /// Time covered by valid digests.
    pub covered: Vec<TimeRange>,
    /// Gaps between covered ranges.
    pub gaps: Vec<TimeRange>,
    /// The newest digest's end.
    pub newest_digest_end: Option<String>,
    /// Trails verified.
    pub trails: Vec<String>,
    /// Fingerprints of the keys that verified digests.
    pub keys_used: Vec<String>,
    /// The trusted keys and what became of each.
    pub trusted_keys: Vec<TrustedKeyView>,
    /// Key lists found among the dropped files (never used as trust anchors).
    pub evidence_key_lists: Vec<EvidenceKeyListView>,
    /// The `aws cloudtrail list-public-keys` command that prints the keys these digests need.
    pub list_keys_command: Option<String>,
    /// One row per verdict, in aws-cli's order.
    pub rows: Vec<VerifyRow>,
    /// aws-cli's notices.
    pub notices: Vec<String>,
    /// What aws-cli misses.
    pub findings: Vec<VerifyFindingView>,
    /// The report as JSON (for download).
    pub json: String,
    /// The report as a printable HTML page (for download).
    pub html: String,
    /// The case and analyst the reports carry (empty: none given).
    #[serde(default)]
    pub case: String,
    /// The analyst.
    #[serde(default)]
    pub analyst: String,
    /// Whether anything is invalid.
    pub has_invalid: bool,
    /// Events that now show another copy (a verified file's): detections are stale.
    #[serde(default)]
    pub rows_changed: u64,
    /// Not intact only because aws-cli fails digests whose signature was not supplied
    /// ([`trailscope_verify::Report::only_signatures_missing`]): shown as unproven, not as
    /// tampering.
    #[serde(default)]
    pub signatures_missing_only: bool,
}

/// Verdict counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// `valid`.
    pub valid: u64,
    /// `INVALID`.
    pub invalid: u64,
    /// Unverifiable (not proven either way).
    pub unverifiable: u64,
}

/// A time range, RFC 3339 ends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

/// A finding of verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyFindingView {
    /// Stable kind id (`digest_missing`, ...).
    pub kind: String,
    /// `info`, `warning` or `error`.
    pub severity: String,
    /// What was found.
    pub message: String,
    /// The object it is about, if any.
    pub object: Option<String>,
}

/// One key the user supplied as trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKeyView {
    /// Lowercase fingerprint.
    pub fingerprint: String,
    /// `ValidityStartTime`, RFC 3339.
    pub valid_from: Option<String>,
    /// `ValidityEndTime`, RFC 3339.
    pub valid_to: Option<String>,
    /// The region the user said the key list is for.
    pub region: Option<String>,
    /// `trusted`, or why not: `fingerprint_mismatch`, `ambiguous`, `unreadable`.
    pub status: String,
    /// Regions of the digests it verified (after a verification).
    pub regions_used: Vec<String>,
}

/// A key list found among the dropped files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceKeyListView {
    /// Where it was found.
    pub path: String,
    /// The fingerprints it lists.
    pub fingerprints: Vec<String>,
}

/// A key list the user supplied as trusted: a file's or a paste's text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKeyList {
    /// Its name (the file name, or `pasted`).
    pub name: String,
    /// `aws cloudtrail list-public-keys` output.
    pub text: String,
    /// The region it is for (`--region`), if the user said.
    pub region: Option<String>,
}

/// One verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRow {
    /// `digest` or `log`.
    pub object: String,
    /// A backfill digest.
    pub backfill: bool,
    /// `s3://bucket/key`.
    pub s3_uri: String,
    /// aws-cli's verdict text.
    pub verdict: String,
    /// `valid`, `invalid` or `unverifiable`.
    pub status: String,
}

/// What verification has to work with, as loaded so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityInputs {
    /// Digest files.
    pub digests: u64,
    /// Log files hashed.
    pub logs: u64,
    /// Key lists found among the dropped files (never trusted).
    pub evidence_key_lists: u64,
    /// Digest signatures (from sidecar files).
    pub signature_files: u64,
}

/// Load progress counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadProgress {
    /// Files (or archive entries) finished.
    pub files_done: u64,
    /// Files given.
    pub files_total: u64,
    /// Bytes of the given files read.
    pub bytes_done: u64,
    /// Bytes of the given files that have reached the parsers so far (the page does not read
    /// file sizes itself: the first `size` of a picked file costs its main thread a disk stat).
    pub bytes_total: u64,
    /// Unique events stored so far.
    pub events: u64,
}

/// Per-file status for the file list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileStatus {
    /// Read completely.
    Loaded,
    /// Read, but some records were skipped or something was odd.
    Warning,
    /// Not read; nothing from it was kept.
    Failed,
    /// Well-formed data that is not CloudTrail (a helper file such as a `describe-trails`
    /// output): listed, not a failure.
    NotCloudTrail,
}

impl FileStatus {
    /// Stable id for `data-status` attributes.
    pub fn id(self) -> &'static str {
        match self {
            FileStatus::Loaded => "loaded",
            FileStatus::Warning => "warning",
            FileStatus::Failed => "failed",
            FileStatus::NotCloudTrail => "not_cloudtrail",
        }
    }
}

/// One row of the file list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRow {
    /// Position in load order (stable key).
    pub index: u32,
    /// Display path.
    pub path: String,
    /// [`trailscope_model::FileKind::id`].
    pub kind: String,
    /// Human label of the kind.
    pub kind_label: String,
    /// Events read from the file (0 when it failed).
    pub events: u64,
    /// Of those, already loaded from an earlier file.
    pub duplicates: u64,
    /// Status.
    pub status: FileStatus,
    /// The error, for failed files.
    pub error: Option<String>,
    /// Notes: skipped records, time notes, gzip oddities.
    pub notes: Vec<String>,
    /// Bytes as stored.
    pub stored_bytes: u64,
}

/// Totals for the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TotalsView {
    /// Unique events.
    pub events: u64,
    /// Duplicates merged.
    pub duplicates: u64,
    /// Events without a usable time.
    pub events_without_time: u64,
    /// Events whose copies in different files disagree.
    #[serde(default)]
    pub conflicts: u64,
    /// Earliest event time, RFC 3339.
    pub first_event_time: Option<String>,
    /// Latest event time, RFC 3339.
    pub last_event_time: Option<String>,
    /// Distinct accounts.
    pub accounts: Vec<String>,
    /// Distinct regions.
    pub regions: Vec<String>,
    /// Files read.
    pub files: u64,
    /// Files that failed.
    pub failed_files: u64,
    /// Helper files that are not CloudTrail data (listed, not failed).
    pub not_cloudtrail_files: u64,
    /// Log files only hashed for verification (verify-only mode), their events not read.
    pub hashed_only_files: u64,
    /// Files with warnings.
    pub files_with_warnings: u64,
    /// Bytes of text read after decompression.
    pub text_bytes: u64,
    /// Heap bytes of the store's columns.
    pub store_bytes: u64,
    /// Heap bytes of the compressed original records.
    pub records_bytes: u64,
    /// The part of `records_bytes` kept outside the store worker's WebAssembly memory.
    #[serde(default)]
    pub records_spilled_bytes: u64,
    /// What verification has to work with.
    pub integrity: IntegrityInputs,
}

/// What detection runs with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectOptions {
    /// The user's rule files: Trailscope rules (YAML or JSON) or Sigma.
    pub rule_files: Vec<RuleFile>,
    /// Business hours for the out-of-hours rules (the rules' own when absent).
    pub business_hours: Option<BusinessHours>,
    /// Run only these rules (ids or aliases); all when empty.
    #[serde(default)]
    pub only: Vec<String>,
    /// Do not run these rules (ids or aliases).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A rule file the user loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFile {
    /// Its file name.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The hours the out-of-hours rules call working time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// The first working hour (local, 0-23).
    pub start_hour: u8,
    /// The hour work ends (local, 1-24).
    pub end_hour: u8,
    /// Local time's offset from UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl Default for BusinessHours {
    /// 08:00 to 18:00 UTC.
    fn default() -> Self {
        BusinessHours {
            start_hour: 8,
            end_hour: 18,
            utc_offset_minutes: 0,
        }
    }
}

/// Detection results for the page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DetectView {
    /// One per rule, matched or not, most severe first.
    pub findings: Vec<FindingView>,
    /// Computed call-rate and error-rate anomalies.
    pub anomalies: Vec<AnomalyView>,
    /// Behaviour anomalies per principal, access key and address, highest score first. The
    /// core's type crosses the wire as it is.
    pub behaviour: Vec<trailscope_detect::anomaly::behaviour::BehaviourAnomaly>,
    /// CloudTrail Insights events found in the loaded files.
    pub insights: Vec<InsightView>,
    /// Rule files that could not be used, with why.
    pub rule_errors: Vec<String>,
    /// Findings as JSON (for download).
    pub findings_json: String,
    /// Findings as CSV (for download).
    pub findings_csv: String,
    /// Anomalies as JSON (for download).
    pub anomalies_json: String,
    /// Time the rules took in the worker.
    pub rules_millis: f64,
    /// Time the anomaly models (rates and behaviour) took in the worker.
    pub anomalies_millis: f64,
    /// Events the rules ran over.
    pub events: u64,
}

/// One rule's result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    /// Rule id (`cis-4.1`).
    pub rule: String,
    /// Other ids (other CIS numberings).
    pub aliases: Vec<String>,
    /// Title.
    pub title: String,
    /// What it finds.
    pub description: String,
    /// What to do about a match (empty when the rule gives none).
    #[serde(default)]
    pub remediation: String,
    /// `info`, `low`, `medium`, `high`, `critical`.
    pub severity: String,
    /// ATT&CK tactics.
    pub tactics: Vec<String>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Matching events.
    pub events: u64,
    /// Where the rule came from (`built-in` or a file name).
    pub origin: String,
    /// When its events happened and who made them from where.
    #[serde(default)]
    pub spread: trailscope_detect::Spread,
}

/// A computed anomaly, with the series to chart it: the core's own types, so the page reads
/// the same fields the CLI prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnomalyView {
    /// The anomaly as the model found it.
    pub anomaly: trailscope_detect::anomaly::Anomaly,
    /// Per-minute points around its window.
    pub series: Vec<trailscope_detect::anomaly::SeriesPoint>,
}

/// A CloudTrail Insights event found in the loaded files.
pub type InsightView = trailscope_detect::InsightEvent;
