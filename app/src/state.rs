//! The page's state: what the worker has told it, held in signals the components read.

use leptos::prelude::*;
use trailscope_protocol::{FileRow, LoadProgress, RequestId, RowData, TotalsView, VerifyView};

/// Rows shown per table page.
pub const PAGE_ROWS: u32 = 100;

/// How the last load ended.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSummary {
    /// Whether the user cancelled it.
    pub cancelled: bool,
    /// Files that were not read because of the cancel.
    pub not_read: Vec<String>,
    /// How long it took in the worker.
    pub elapsed_millis: f64,
}

/// A page of the event table.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PageView {
    /// First row's position.
    pub offset: u64,
    /// The rows.
    pub rows: Vec<RowData>,
    /// Rows in total.
    pub total: u64,
}

/// All of the page's reactive state. `Copy`: every field is an arena-allocated signal.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The worker has started.
    pub ready: RwSignal<bool>,
    /// The load in progress, if any.
    pub loading: RwSignal<Option<RequestId>>,
    /// A cancel was asked for and not yet honoured.
    pub cancelling: RwSignal<bool>,
    /// Progress of the current load.
    pub progress: RwSignal<LoadProgress>,
    /// Every file read so far, in load order.
    pub files: RwSignal<Vec<FileRow>>,
    /// Totals after the last load.
    pub totals: RwSignal<Option<TotalsView>>,
    /// How the last load ended.
    pub last_load: RwSignal<Option<LoadSummary>>,
    /// Loads finished since the page opened (tests wait on it through `data-loads`).
    pub loads: RwSignal<u32>,
    /// The table page on screen.
    pub page: RwSignal<PageView>,
    /// The id of the page request whose reply is wanted (older replies are dropped).
    pub page_request: RwSignal<Option<RequestId>>,
    /// Table order.
    pub newest_first: RwSignal<bool>,
    /// The event whose JSON is open: (row, JSON).
    pub record: RwSignal<Option<(u32, String)>>,
    /// A problem to show (the worker failed to start, a request failed).
    pub error: RwSignal<Option<String>>,
    /// Verify-only mode for the next load: log files are hashed, their events not read.
    pub verify_only: RwSignal<bool>,
    /// The verification request in flight, if any.
    pub verifying: RwSignal<Option<RequestId>>,
    /// The last verification report (cleared when more files load).
    pub verify: RwSignal<Option<VerifyView>>,
    /// Why the last verification could not run.
    pub verify_error: RwSignal<Option<String>>,
}

impl AppState {
    /// Fresh state.
    pub fn new() -> Self {
        AppState {
            ready: RwSignal::new(false),
            loading: RwSignal::new(None),
            cancelling: RwSignal::new(false),
            progress: RwSignal::new(LoadProgress::default()),
            files: RwSignal::new(Vec::new()),
            totals: RwSignal::new(None),
            last_load: RwSignal::new(None),
            loads: RwSignal::new(0),
            page: RwSignal::new(PageView::default()),
            page_request: RwSignal::new(None),
            newest_first: RwSignal::new(true),
            record: RwSignal::new(None),
            error: RwSignal::new(None),
            verify_only: RwSignal::new(false),
            verifying: RwSignal::new(None),
            verify: RwSignal::new(None),
            verify_error: RwSignal::new(None),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
