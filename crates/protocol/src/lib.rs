//! Typed messages between the page and its Web Workers: the only crate whose types cross that
//! boundary, and the only one that derives serde for it.
//!
//! The page runs one *store* worker, which owns the event store and answers queries, and one
//! *parser* worker per spare core, which read and parse files. Each worker is told its [`Role`] in
//! its first message. Three channels carry typed messages:
//!
//! * page → store: [`Request`]s with a [`RequestId`]; the store answers with [`Response`]s that
//!   carry the same id, so the page can drop replies it no longer wants;
//! * page → parser: [`ParseRequest`]s, with `File` handles beside them (never contents: the
//!   parser reads them itself); parsers report [`ParseEvent`]s (progress) to the page;
//! * parser → store, over a `MessageChannel` the page sets up: [`Parsed`] files, whose event
//!   batches travel as transferable `ArrayBuffer`s.
//!
//! ```
//! use trailscope_protocol::{Request, RequestId};
//!
//!
//! let request = Request::Window { id: RequestId(7), offset: 0, limit: 50 };
//! assert_eq!(request.id(), RequestId(7));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod convert;
pub mod merge;
#[cfg(any(test, feature = "samples"))]
pub mod samples;

use serde::{Deserialize, Serialize};

pub use convert::{
    event_copies, file_row, log_hash_from_wire, log_hash_to_wire, summary_from_wire,
    summary_to_wire, totals, trusted_key_view, verify_view,
};

/// Correlates a response with its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u32);

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// A load of `total_files` inputs begins; the parsers will send them as [`Parsed`] messages.
    BeginLoad {
        /// The load's id (also in the parsers' messages).
        id: RequestId,
        /// Inputs (files as given) in the load.
        total_files: u64,
    },
    /// The load was cancelled. The parsers report the inputs they skip; `withheld` inputs were
    /// never handed to a parser and will not be reported.
    Cancel {
        /// The load's id.
        id: RequestId,
        /// Inputs the page kept back.
        withheld: u64,
    },
    /// The original JSON of one event.
    Record {
        /// Request id.
        id: RequestId,
        /// Store row.
        row: u32,
    },
    /// Verify the integrity of everything loaded (digests, log files, keys, signatures).
    Verify {
        /// Request id.
        id: RequestId,
        /// Only digests from this time (RFC 3339).
        start: Option<String>,
        /// Only digests up to this time.
        end: Option<String>,
        /// aws-cli's exact verdicts instead of Trailscope's.
        aws_cli_compat: bool,
        /// The page's clock, for the report.
        checked_at: String,
    },
    /// The trusted public keys (the trust anchor), replacing any given before. They come only
    /// from here, never from the dropped files.
    SetTrustedKeys {
        /// Request id.
        id: RequestId,
        /// The key lists.
        lists: Vec<TrustedKeyList>,
    },
    /// Apply a filter: count, facets, timeline and the first rows. The worker keeps the
    /// selection for [`Request::Window`]s and exports until the next query.
    Query {
        /// Request id.
        id: RequestId,
        /// What to show.
        query: trailscope_query::QueryRequest,
    },
    /// Rows `offset..offset + limit` of the current query's selection, in its order.
    Window {
        /// Request id.
        id: RequestId,
        /// First row.
        offset: u64,
        /// Rows wanted.
        limit: u32,
    },
    /// The original record of the event with this `eventID` (to reopen a linked view).
    FindEvent {
        /// Request id.
        id: RequestId,
        /// The `eventID`.
        event_id: String,
    },
    /// Export the current query's selection.
    Export {
        /// Request id.
        id: RequestId,
        /// The format.
        format: trailscope_query::ExportFormat,
    },
    /// Run the detection rules (built-in and the user's) and the anomaly model.
    Detect {
        /// Request id.
        id: RequestId,
        /// What to run with.
        options: DetectOptions,
    },
    /// Forget everything loaded.
    Reset {
        /// Request id.
        id: RequestId,
    },
}

impl Request {
    /// The request's id.
    pub fn id(&self) -> RequestId {
        match self {
            Request::BeginLoad { id, .. }
            | Request::Cancel { id, .. }
            | Request::Record { id, .. }
            | Request::Verify { id, .. }
            | Request::SetTrustedKeys { id, .. }
            | Request::Query { id, .. }
            | Request::Window { id, .. }
            | Request::FindEvent { id, .. }
            | Request::Export { id, .. }
            | Request::Detect { id, .. }
            | Request::Reset { id } => *id,
        }
    }
}

/// What a worker is for; the first message a worker gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Owns the store. Its message carries one `MessagePort` per parser in `ports`.
    Store,
    /// Reads files; number `index`. Its message carries the `MessagePort` to the store in `port`.
    Parser {
        /// Which parser (for progress).
        index: u32,
    },
}

/// What the page asks of a parser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ParseRequest {
    /// Read a pack of inputs. The inputs travel beside the message as one `Blob` (`pack`) made of
    /// the files one after another: handing a worker one `File` costs the page's main thread a
    /// millisecond or more, while a `Blob` of a thousand files costs almost nothing, and the
    /// parser can read many small files in one request.
    Parse {
        /// The load.
        load: RequestId,
        /// The pack's inputs, in order.
        inputs: Vec<PackedInput>,
        /// Verify-only mode: hash gzip files that are not digests without reading their events.
        #[serde(default)]
        hash_only: bool,
    },
    /// Skip every input not yet read (the one being read is dropped).
    Cancel {
        /// The load.
        load: RequestId,
    },
}

/// One input of a pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedInput {
    /// Its number in the load.
    pub number: u32,
    /// Display path (folder-relative for folders).
    pub path: String,
    /// Its size in bytes: where the next input of the pack starts.
    pub size: u64,
}

/// What a parser tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ParseEvent {
    /// The parser has started.
    Ready {
        /// Which parser.
        parser: u32,
    },
    /// Reading advanced.
    Progress {
        /// The load.
        load: RequestId,
        /// Which parser.
        parser: u32,
        /// Bytes of this parser's inputs read so far.
        bytes_done: u64,
        /// Bytes of the inputs this parser has been given.
        bytes_total: u64,
    },
}

/// What a parser sends the store: files it read, whose event batches travel beside the message
/// as `ArrayBuffer`s in `batches` ([`trailscope_store::EventBatch::to_bytes`]) with the files'
/// rows one after another, and the inputs it finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    /// The load.
    pub load: RequestId,
    /// Files (or archive entries) read, in the order of their rows.
    pub files: Vec<ParsedFile>,
    /// Inputs whose files have all been sent (an archive may send many files).
    pub inputs_done: Vec<InputDone>,
    /// Set on a message that carries only the next rows of a large file still being read
    /// ([`ParsedFile::streamed`]): the store merges them as they come.
    #[serde(default)]
    pub chunk_of: Option<FileChunk>,
}

/// Which file a chunk of rows belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChunk {
    /// The input it belongs to.
    pub input: u32,
    /// Display path.
    pub path: String,
}

/// One file a parser read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParsedFile {
    /// The input it belongs to.
    pub input: u32,
    /// Display path (`archive.zip/entry` for archive entries).
    pub path: String,
    /// What reading it produced.
    pub summary: SummaryWire,
    /// Its rows in the batches.
    pub rows: u64,
    /// Its read was cancelled half-way: skip its rows, do not list it.
    pub discard: bool,
    /// Its rows came in [`Parsed::chunk_of`] messages ahead of this one and in this message's
    /// batches (a large file, see [`merge`]); `rows` counts them all.
    #[serde(default)]
    pub streamed: bool,
    /// Its first gzip member's hash, for verification.
    pub log_hash: Option<LogHashWire>,
    /// The bytes verification needs (a digest's first member, a key list, a signature file).
    pub kept: Option<serde_bytes::ByteBuf>,
    /// SHA-256 of the file as stored.
    pub stored_sha256: Option<String>,
}

/// [`trailscope_model::LogHash`] on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHashWire {
    /// Lowercase hex SHA-256 of the first member.
    pub sha256: String,
    /// `complete`, `trailer_missing`, `truncated` or `invalid`.
    pub read: String,
    /// Why it is invalid.
    pub reason: Option<String>,
    /// Data after the first member.
    pub trailing: bool,
    /// Decompressed bytes of the first member.
    pub bytes: u64,
}

/// An input whose files have all been sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDone {
    /// The input.
    pub input: u32,
    /// Its path.
    pub path: String,
    /// False when it was skipped because the load was cancelled.
    pub read: bool,
}

/// [`trailscope_store::FileSummary`] on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryWire {
    /// [`trailscope_model::FileKind::id`].
    pub kind: String,
    /// Events read.
    pub events: u64,
    /// Records skipped.
    pub skipped_records: u64,
    /// The first skipped records' problems.
    pub skipped_examples: Vec<String>,
    /// How the events' times were read.
    pub time_notes: trailscope_model::TimeNotes,
    /// Bytes as stored.
    pub stored_bytes: u64,
    /// Bytes of text.
    pub text_bytes: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// Oddities.
    pub warnings: Vec<String>,
}

/// What the store worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Response {
    /// The worker has started and takes requests.
    Ready,
    /// Loading advanced.
    Progress {
        /// The load request.
        id: RequestId,
        /// Inputs finished.
        files_done: u64,
        /// Unique events stored so far.
        events: u64,
    },
    /// Files finished (read or failed), in the order they finished.
    FilesDone {
        /// The load request.
        id: RequestId,
        /// One row per file or archive entry.
        files: Vec<FileRow>,
    },
    /// The load ended.
    LoadDone {
        /// The load request.
        id: RequestId,
        /// Whether it was cancelled before reading everything.
        cancelled: bool,
        /// Inputs the parsers skipped because of the cancel.
        not_read: Vec<String>,
        /// Totals over everything loaded so far.
        totals: TotalsView,
        /// Milliseconds from the load's start to its end, in the store worker.
        elapsed_millis: f64,
    },
    /// One event's original JSON, where it came from, and its other copies.
    Record {
        /// The record request.
        id: RequestId,
        /// Store row.
        row: u32,
        /// The JSON as it was read.
        json: String,
        /// The file the event (this copy of it) came from.
        file: String,
        /// That file's integrity, once verified (`verified`, `failed`, ...).
        integrity: Option<String>,
        /// When files disagree on the event: every copy, this one first.
        copies: Vec<EventCopyView>,
    },
    /// The verification report.
    Verified {
        /// The verify request.
        id: RequestId,
        /// The report.
        view: Box<VerifyView>,
    },
    /// The trusted keys as the worker read them.
    TrustedKeysSet {
        /// The request.
        id: RequestId,
        /// Every key, with its status.
        keys: Vec<TrustedKeyView>,
        /// Lists that could not be read: (name, why).
        problems: Vec<String>,
    },
    /// A query's result.
    Queried {
        /// The query request.
        id: RequestId,
        /// Count, facets, timeline, first rows.
        result: Box<trailscope_query::QueryResponse>,
        /// Time the worker took.
        elapsed_millis: f64,
    },
    /// A filter that does not read.
    QueryFailed {
        /// The query request.
        id: RequestId,
        /// What is wrong, and where.
        error: trailscope_query::ParseError,
    },
    /// Rows of the current selection.
    Window {
        /// The window request.
        id: RequestId,
        /// First row's position.
        offset: u64,
        /// The rows.
        rows: Vec<trailscope_query::EventRow>,
    },
    /// A piece of an export, in order.
    ExportChunk {
        /// The export request.
        id: RequestId,
        /// The bytes.
        bytes: serde_bytes::ByteBuf,
        /// Events written so far.
        done: u64,
        /// Events to write.
        total: u64,
    },
    /// An export is complete (every chunk was sent before this).
    ExportDone {
        /// The export request.
        id: RequestId,
        /// A file name for it.
        name: String,
        /// Its media type.
        mime: String,
    },
    /// Detection results.
    Detected {
        /// The detect request.
        id: RequestId,
        /// The results.
        view: Box<DetectView>,
    },
    /// Everything was forgotten.
    ResetDone {
        /// The reset request.
        id: RequestId,
    },
    /// A request could not be served.
    Failed {
        /// The request.
        id: RequestId,
        /// Why.
        message: String,
    },
}

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
    /// Whether anything is invalid.
    pub has_invalid: bool,
    /// Events that now show another copy (a verified file's): detections are stale.
    #[serde(default)]
    pub rows_changed: u64,
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
}

impl FileStatus {
    /// Stable id for `data-status` attributes.
    pub fn id(self) -> &'static str {
        match self {
            FileStatus::Loaded => "loaded",
            FileStatus::Warning => "warning",
            FileStatus::Failed => "failed",
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
    /// Files with warnings.
    pub files_with_warnings: u64,
    /// Bytes of text read after decompression.
    pub text_bytes: u64,
    /// Heap bytes of the store's columns.
    pub store_bytes: u64,
    /// Heap bytes of the compressed original records.
    pub records_bytes: u64,
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
}

/// A computed anomaly, with the series to chart it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyView {
    /// `ApiCallRateInsight` or `ApiErrorRateInsight`.
    pub insight_type: String,
    /// `burst` or `drop`.
    pub direction: String,
    /// `eventSource`.
    pub event_source: String,
    /// `eventName`.
    pub event_name: String,
    /// `awsRegion`.
    pub aws_region: String,
    /// `errorCode`, for error-rate anomalies.
    pub error_code: Option<String>,
    /// Window start (ms since the epoch).
    pub start_millis: i64,
    /// Window end (exclusive).
    pub end_millis: i64,
    /// Window length.
    pub duration_minutes: u32,
    /// Baseline mean per minute.
    pub baseline_average: f64,
    /// Mean per minute in the window.
    pub insight_average: f64,
    /// Baseline length in minutes.
    pub baseline_duration_minutes: u64,
    /// The baseline is shorter than 7 days.
    pub baseline_short: bool,
    /// Tail probability of the window's count under the baseline.
    pub probability: f64,
    /// Unusual windows of this API and cause (repeats are one anomaly).
    pub windows: u32,
    /// Rank among all anomalies (higher first).
    pub score: f64,
    /// Top user ARNs, user agents, error codes in the first window.
    pub window_top: trailscope_detect::anomaly::Attributions,
    /// The same in the baseline.
    pub baseline_top: trailscope_detect::anomaly::Attributions,
    /// Per-minute points around the window.
    pub series: Vec<SeriesPointView>,
}

/// One minute of an anomaly's series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesPointView {
    /// Minute start.
    pub minute_millis: i64,
    /// Events.
    pub count: u64,
    /// Baseline mean.
    pub baseline: Option<f64>,
    /// Band low.
    pub band_low: Option<f64>,
    /// Band high.
    pub band_high: Option<f64>,
    /// In the anomaly window.
    pub in_window: bool,
}

/// A CloudTrail Insights event found in the loaded files.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InsightView {
    /// Store row.
    pub row: u32,
    /// Event time.
    pub time_millis: Option<i64>,
    /// `Start` or `End`.
    pub state: Option<String>,
    /// Insight type.
    pub insight_type: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `errorCode`.
    pub error_code: Option<String>,
    /// Baseline average.
    pub baseline_average: Option<f64>,
    /// Insight average.
    pub insight_average: Option<f64>,
}
