//! Typed messages between the page and its Web Worker: the only crate whose types cross that
//! boundary, and the only one that derives serde for it.
//!
//! The page sends a [`Request`] with a [`RequestId`]; the worker answers with [`Response`]s that
//! carry the same id, so the page can drop replies to requests it no longer cares about (a page of
//! rows for a filter that has since changed). Files travel beside the message as `File` handles,
//! never as contents: the worker reads them itself.
//!
//! ```
//! use trailscope_protocol::{Request, RequestId};
//!
//! let request = Request::Page { id: RequestId(7), offset: 0, limit: 50, newest_first: true };
//! assert_eq!(request.id(), RequestId(7));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod convert;

use serde::{Deserialize, Serialize};

pub use convert::{file_row, row, totals};

/// Correlates a response with its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u32);

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// Read these files (their `File` handles travel beside the message, in the same order).
    /// Cloning a `File` into a worker costs the page's main thread about 0.3 ms, so a big
    /// selection arrives in several `Load` messages with the same id, the last one marked `last`.
    Load {
        /// Request id, shared by all batches of one load.
        id: RequestId,
        /// Display path of each file in this batch (folder-relative for dropped folders).
        paths: Vec<String>,
        /// Files in the whole load.
        total_files: u64,
        /// Whether this is the last batch.
        last: bool,
    },
    /// Stop the load in progress after the current chunk. Files already read stay loaded.
    Cancel {
        /// Request id.
        id: RequestId,
    },
    /// A page of events in time order.
    Page {
        /// Request id.
        id: RequestId,
        /// Rows to skip.
        offset: u64,
        /// Rows to return.
        limit: u32,
        /// Newest first (as the console lists events) or oldest first.
        newest_first: bool,
    },
    /// The original JSON of one event.
    Record {
        /// Request id.
        id: RequestId,
        /// Store row.
        row: u32,
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
            Request::Load { id, .. }
            | Request::Cancel { id }
            | Request::Page { id, .. }
            | Request::Record { id, .. }
            | Request::Reset { id } => *id,
        }
    }
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Response {
    /// The worker has started and takes requests.
    Ready,
    /// Loading advanced.
    Progress {
        /// The load request.
        id: RequestId,
        /// Counts so far.
        progress: LoadProgress,
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
        /// Files given that were not read because of the cancel.
        not_read: Vec<String>,
        /// Totals over everything loaded so far.
        totals: TotalsView,
        /// Milliseconds the load took in the worker.
        elapsed_millis: f64,
    },
    /// A page of rows.
    Page {
        /// The page request.
        id: RequestId,
        /// Where the page starts.
        offset: u64,
        /// The rows.
        rows: Vec<RowData>,
        /// Total rows.
        total: u64,
    },
    /// One event's original JSON.
    Record {
        /// The record request.
        id: RequestId,
        /// Store row.
        row: u32,
        /// The JSON as it was read.
        json: String,
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

/// Load progress counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadProgress {
    /// Files (or archive entries) finished.
    pub files_done: u64,
    /// Files given.
    pub files_total: u64,
    /// Bytes of the given files read.
    pub bytes_done: u64,
    /// Bytes of the given files that have reached the worker so far (the page does not read
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
}

/// One event row for the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowData {
    /// Store row (key for the detail request).
    pub row: u32,
    /// Event time, RFC 3339.
    pub time: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// The caller.
    pub user: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// `errorCode` or `errorMessage`.
    pub error: Option<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `readOnly`.
    pub read_only: Option<bool>,
}
