//! The page and the store worker: requests and their responses.

use crate::views::*;
use crate::{RequestId, TrustedKeyList};

use serde::{Deserialize, Serialize};

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// A load of `total_files` inputs begins; the parsers will send them as [`crate::Parsed`] messages.
    BeginLoad {
        /// The load's id (also in the parsers' messages).
        id: RequestId,
        /// Inputs (files as given) in the load.
        total_files: u64,
        /// The store memory (MiB of columns, indexes and compressed records) past which the tab
        /// stops taking events; `None` for [`crate::merge::default_ceiling_mib`]. A host with little
        /// memory, or a test, sets a lower one.
        #[serde(default)]
        ceiling_mib: Option<u64>,
        /// MiB of compressed records the store keeps in its WebAssembly memory before it keeps
        /// them outside; `None` for [`crate::merge::RECORDS_IN_WASM_MIB`]. Tests set 0 to run
        /// every record through the browser's memory.
        #[serde(default)]
        records_in_wasm_mib: Option<u64>,
    },
    /// The load was cancelled. The parsers report the inputs they skip; `withheld` inputs were
    /// never handed to a parser and will not be reported.
    Cancel {
        /// The load's id.
        id: RequestId,
        /// Inputs the page kept back.
        withheld: u64,
    },
    /// Send every stored event to the SQL worker, as binary event batches over the
    /// `MessagePort` that travels beside this message (key `port`), then a last message
    /// `{done: true, events}` (see `crate::SqlRequest::Attach`).
    ExportEvents {
        /// Request id.
        id: RequestId,
    },
    /// Send the rows of the current selection (the Events view's filter) to the SQL worker
    /// over the `MessagePort` beside this message (key `port`), as one message
    /// `{rows: Uint32Array (ascending, transferred), events: <rows stored>}` (see
    /// `crate::SqlRequest::DownloadEvents`). Row numbers are the same in the SQL worker's copy:
    /// [`Request::ExportEvents`] hands the events over in row order.
    ExportSelection {
        /// Request id.
        id: RequestId,
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
        /// The case reference printed on the report (empty: none).
        #[serde(default)]
        case: String,
        /// The analyst printed on the report (empty: none).
        #[serde(default)]
        analyst: String,
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
    /// More values of one facet: a facet's "show more" and search box.
    FacetValues {
        /// Request id.
        id: RequestId,
        /// The filter the facet is counted under (as typed; `finding:` terms too).
        filter: String,
        /// The field (`sourceIPAddress`, `eventName`, ...).
        field: String,
        /// Only values containing this text (ignoring case); empty for all.
        search: String,
        /// Values wanted at most.
        limit: u64,
    },
    /// Rows `offset..offset + limit` of the current query's selection, in its order.
    Window {
        /// Request id.
        id: RequestId,
        /// First row.
        offset: u64,
        /// Rows wanted.
        limit: u32,
        /// Columns read from the record (`resources`, `path:...`) whose values each row
        /// carries in `extra`, in this order.
        #[serde(default)]
        columns: Vec<String>,
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
        /// For CSV: the table's columns (ids of `trailscope_query::columns`) instead of the
        /// console's; empty for the console's.
        #[serde(default)]
        columns: Vec<String>,
    },
    /// Run the detection rules (built-in and the user's) and the anomaly models. The rules run
    /// at once; the models run in steps, the worker answering other requests between them, and
    /// `Detected` comes after the last. A newer `Detect` replaces a run under way (only the
    /// newer one is answered); a load, a clear or a restore ends it unanswered; a verification
    /// that changes rows starts it again.
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
    /// Keep the workspace in the browser's Origin Private File System from now on (`keep`), or
    /// stop keeping it; `delete` also empties what was kept. Answered with `WorkspaceStatus`.
    Workspace {
        /// Request id.
        id: RequestId,
        /// Keep loads from now on.
        keep: bool,
        /// Empty the kept workspace.
        delete: bool,
    },
    /// Rebuild the store from the kept workspace (the store must be empty). Answered like a
    /// load (`FilesDone`, `LoadDone`), then with `WorkspaceStatus`.
    RestoreWorkspace {
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
            | Request::ExportEvents { id }
            | Request::ExportSelection { id }
            | Request::Verify { id, .. }
            | Request::SetTrustedKeys { id, .. }
            | Request::Query { id, .. }
            | Request::FacetValues { id, .. }
            | Request::Window { id, .. }
            | Request::FindEvent { id, .. }
            | Request::Export { id, .. }
            | Request::Detect { id, .. }
            | Request::Reset { id }
            | Request::Workspace { id, .. }
            | Request::RestoreWorkspace { id } => *id,
        }
    }
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
        /// Totals over everything loaded so far (boxed: the largest reply by far otherwise).
        totals: Box<TotalsView>,
        /// Milliseconds from the load's start to its end, in the store worker.
        elapsed_millis: f64,
        /// Set when the tab filled up during the load and refused the files after that.
        #[serde(default)]
        tab_full: Option<TabFull>,
        /// Where the workers' time went during this load.
        #[serde(default)]
        stages: crate::LoadStages,
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
        /// That file's SHA-256 as stored.
        #[serde(default)]
        file_sha256: Option<String>,
        /// The caller as the store's `user` column reads it.
        #[serde(default)]
        user: Option<String>,
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
        /// Rows the free-text index covers so far (it is built in steps after a load; free
        /// text reads the records of the rows past it).
        #[serde(default)]
        text_indexed: u64,
        /// Whether building the index stopped short of the rows for want of memory (it goes
        /// on after a load that leaves room; until then free text reads the other rows).
        #[serde(default)]
        text_index_halted: bool,
    },
    /// One facet's values, as asked for by [`Request::FacetValues`].
    FacetValues {
        /// The request.
        id: RequestId,
        /// The facet.
        facet: trailscope_query::Facet,
    },
    /// A facet's values could not be counted (the resources facet over too many events).
    FacetRefused {
        /// The request.
        id: RequestId,
        /// Why, for the facet's box.
        reason: String,
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
        /// Its manifest ([`trailscope_query::manifest::ExportManifest`] as JSON): the filter,
        /// the order, the output's SHA-256 and each source file with its hash and integrity.
        #[serde(default)]
        manifest: String,
    },
    /// The manifest of the selection just sent to the SQL worker for a Parquet file
    /// ([`Request::ExportSelection`]): the filter, the order and every source file with its
    /// hash and integrity, but no output yet. The page completes it with the file the SQL
    /// worker writes ([`crate::SqlReply::File`]'s `sha256`), so the evidence never leaves this
    /// worker and the output's hash is taken where the file is written.
    SelectionManifest {
        /// The export request.
        id: RequestId,
        /// [`trailscope_query::manifest::ExportManifest`] as JSON, with no output.
        manifest: String,
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
    /// What the kept workspace holds, after a `Workspace` or `RestoreWorkspace` request or a
    /// load while it is kept.
    WorkspaceStatus {
        /// The request, or the load.
        id: RequestId,
        /// What is kept.
        status: WorkspaceStatus,
    },
    /// A request could not be served.
    Failed {
        /// The request.
        id: RequestId,
        /// Why.
        message: String,
    },
}

/// The kept workspace as the page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceStatus {
    /// Loads are being kept.
    pub keeping: bool,
    /// Events kept (as of the last load kept).
    pub events: u64,
    /// Files kept.
    pub files: u64,
    /// When the last kept load ended, in milliseconds since the Unix epoch.
    pub saved_at_millis: Option<f64>,
    /// Bytes the workspace takes in the browser.
    pub bytes: u64,
    /// Bytes of a load that never finished (left out of a restore).
    pub uncommitted_bytes: u64,
    /// Events loaded before keeping began, which the workspace does not hold.
    pub not_kept_events: u64,
    /// The events on screen were restored from the workspace: they cannot be verified.
    pub restored: bool,
    /// How long the restore took, in milliseconds.
    pub restore_millis: Option<f64>,
    /// Why the workspace cannot be kept, read or written (no OPFS, another tab holds it, the
    /// storage quota, damage).
    pub problem: Option<String>,
}

/// The tab stopped taking events: its memory reached the ceiling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabFull {
    /// Events held when it stopped (how many fit).
    pub events: u64,
    /// Files with events that were refused (each listed as failed, with the reason).
    pub files_refused: u64,
    /// The ceiling, in MiB.
    pub ceiling_mib: u64,
}
