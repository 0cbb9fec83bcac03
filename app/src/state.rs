//! The page's state: what the worker has told it, held in signals the components read.

use leptos::prelude::*;
use trailscope_protocol::{
    FileRow, LoadProgress, RequestId, TotalsView, TrustedKeyList, TrustedKeyView, VerifyView,
};

/// The event open in the detail view.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenRecord {
    /// Store row.
    pub row: u32,
    /// Its original JSON (the copy the table shows).
    pub json: String,
    /// The file it came from.
    pub file: String,
    /// That file's SHA-256 as stored.
    pub file_sha256: Option<String>,
    /// The caller as the table shows it.
    pub user: Option<String>,
    /// That file's integrity, once verified.
    pub integrity: Option<String>,
    /// Every copy, when files disagree on the event (empty otherwise).
    pub copies: Vec<trailscope_protocol::EventCopyView>,
}

/// How the last load ended.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSummary {
    /// Whether the user cancelled it.
    pub cancelled: bool,
    /// Files that were not read because of the cancel.
    pub not_read: Vec<String>,
    /// How long it took in the worker.
    pub elapsed_millis: f64,
    /// It rebuilt the events from the workspace kept in this browser (nothing was read).
    pub restored: bool,
    /// The tab filled up and refused the files after that.
    pub tab_full: Option<trailscope_protocol::TabFull>,
    /// Where the workers' time went.
    pub stages: trailscope_protocol::LoadStages,
}

/// The last query's answer, without its rows (they come in windows).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct QueryView {
    /// Which query this is (windows of an older one are dropped).
    pub generation: u64,
    /// Events selected.
    pub total: u64,
    /// Events loaded.
    pub events: u64,
    /// Value pickers.
    pub facets: Vec<trailscope_query::Facet>,
    /// Selected events over time.
    pub histogram: trailscope_query::Histogram,
    /// Time the worker took.
    pub elapsed_ms: f64,
    /// Rows the free-text index covered then (of `events`).
    pub text_indexed: u64,
    /// Whether the index stopped there for want of memory.
    pub text_index_halted: bool,
    /// The filter it answers (facets' "show more" counts under the same one).
    pub filter: String,
    /// A filter to try when this one matched nothing.
    pub suggestion: Option<trailscope_query::Suggestion>,
}

/// Rows of the current selection held for the table.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RowWindow {
    /// The query they belong to.
    pub generation: u64,
    /// Position of the first row.
    pub offset: u64,
    /// The rows.
    pub rows: Vec<trailscope_query::EventRow>,
}

/// The page's main views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tab {
    /// Event history.
    #[default]
    Events,
    /// Detections.
    Findings,
    /// Anomaly charts.
    Anomalies,
    /// Integrity verification.
    Integrity,
    /// SQL over the events.
    Sql,
    /// The case: pinned events with tags and notes.
    Case,
}

impl Tab {
    /// Its name in links.
    pub fn id(self) -> &'static str {
        match self {
            Tab::Events => "events",
            Tab::Findings => "findings",
            Tab::Anomalies => "anomalies",
            Tab::Integrity => "integrity",
            Tab::Sql => "sql",
            Tab::Case => "case",
        }
    }

    /// The tab with this name.
    pub fn from_id(id: &str) -> Tab {
        match id {
            "findings" => Tab::Findings,
            "anomalies" => Tab::Anomalies,
            "integrity" => Tab::Integrity,
            "sql" => Tab::Sql,
            "case" => Tab::Case,
            _ => Tab::Events,
        }
    }
}

/// An export in progress: chunks received so far.
#[derive(Clone, Debug, Default)]
pub struct ExportState {
    /// The export request.
    pub id: Option<RequestId>,
    /// Rows written.
    pub done: u64,
    /// Rows to write.
    pub total: u64,
    /// Parquet, written by the SQL worker in one piece (no count of rows written).
    pub parquet: bool,
}

/// The last export's manifest, offered beside the export buttons.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LastManifest {
    /// The manifest's file name (the export's name with `.manifest.json`).
    pub name: String,
    /// Its JSON.
    pub json: String,
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
    /// The applied filter expression, as typed.
    pub filter: RwSignal<String>,
    /// Oldest first instead of newest first.
    pub oldest_first: RwSignal<bool>,
    /// The column the table is sorted by instead of time, if any.
    pub sort: RwSignal<Option<trailscope_query::SortBy>>,
    /// The last query's answer.
    pub query: RwSignal<Option<QueryView>>,
    /// Why the filter does not read.
    pub query_error: RwSignal<Option<trailscope_query::ParseError>>,
    /// The last facet values asked for ("show more", a facet's search), by request.
    pub facet_values: RwSignal<Option<(RequestId, trailscope_query::Facet)>>,
    /// A facet request the worker refused, and why (the resources facet over too many events).
    pub facet_refused: RwSignal<Option<(RequestId, String)>>,
    /// The query request whose reply is wanted.
    pub query_request: RwSignal<Option<RequestId>>,
    /// Rows held for the table.
    pub window: RwSignal<RowWindow>,
    /// The window request whose reply is wanted.
    pub window_request: RwSignal<Option<(RequestId, u64)>>,
    /// Visible columns by id.
    pub columns: RwSignal<Vec<String>>,
    /// Widths the user gave columns by dragging their edge, in pixels, by column id.
    pub column_widths: RwSignal<Vec<(String, u32)>>,
    /// Events pinned for comparison: (row, JSON).
    pub compare: RwSignal<Vec<(u32, String)>>,
    /// The open tab.
    pub tab: RwSignal<Tab>,
    /// An export in progress.
    pub export: RwSignal<ExportState>,
    /// The manifest of the last export, if any.
    pub last_manifest: RwSignal<Option<LastManifest>>,
    /// The case: pinned events, tags and notes (kept in local storage).
    pub case: RwSignal<trailscope_query::case::Case>,
    /// Why the case could not be kept or read, if so.
    pub case_error: RwSignal<Option<String>>,
    /// Detection results.
    /// Shared, so reading it clones a pointer, not the report's texts.
    pub detect: RwSignal<Option<std::sync::Arc<trailscope_protocol::DetectView>>>,
    /// The detect request in flight.
    pub detecting: RwSignal<Option<RequestId>>,
    /// The user's rule files: (name, text).
    pub rule_files: RwSignal<Vec<trailscope_protocol::RuleFile>>,
    /// Business hours for the out-of-hours rules.
    pub business_hours: RwSignal<trailscope_protocol::BusinessHours>,
    /// Rules to run only (ids or aliases; all when empty), from the Findings view.
    pub rules_only: RwSignal<Vec<String>>,
    /// Rules turned off in the Findings view.
    pub rules_excluded: RwSignal<Vec<String>>,
    /// The event whose JSON is open: (row, JSON).
    pub record: RwSignal<Option<OpenRecord>>,
    /// A problem to show (the worker failed to start, a request failed).
    pub error: RwSignal<Option<String>>,
    /// The workspace kept in this browser, as the store worker last described it.
    pub workspace: RwSignal<Option<trailscope_protocol::WorkspaceStatus>>,
    /// The restore in flight, if any.
    pub restoring: RwSignal<Option<RequestId>>,
    /// Verify-only mode for the next load: log files are hashed, their events not read.
    pub verify_only: RwSignal<bool>,
    /// The verification request in flight, if any.
    pub verifying: RwSignal<Option<RequestId>>,
    /// The last verification report (cleared when more files load).
    /// Shared, so reading it clones a pointer, not the report's JSON and HTML.
    pub verify: RwSignal<Option<std::sync::Arc<VerifyView>>>,
    /// Why the last verification could not run.
    pub verify_error: RwSignal<Option<String>>,
    /// The key lists the user supplied as trusted (remembered for the browser session).
    pub trusted_lists: RwSignal<Vec<TrustedKeyList>>,
    /// The trusted keys as the worker read them.
    pub trusted_keys: RwSignal<Vec<TrustedKeyView>>,
    /// Trusted key lists that do not read.
    pub trusted_key_problems: RwSignal<Vec<String>>,
    /// The last verification's choices (window, aws-cli mode), reused when the keys change.
    pub verify_choices: RwSignal<crate::worker_client::VerifyChoices>,
    /// The SQL tab.
    pub sql: SqlState,
}

/// Where the SQL worker is: it starts when the SQL tab first opens.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SqlPhase {
    /// Not started yet.
    #[default]
    Idle,
    /// Its module is loading.
    Starting,
    /// The events are being handed to it.
    HandingOver,
    /// Ready over `events` events.
    Ready {
        /// Events it holds.
        events: u64,
        /// Time from starting the worker (or the hand-over) to ready.
        millis: f64,
        /// Bytes of compressed records it keeps outside its WebAssembly memory.
        records_outside_wasm_bytes: u64,
    },
    /// It could not start or take the events.
    Failed(String),
}

/// A query that failed, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlFailure {
    /// The engine's message.
    pub message: String,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
}

/// An answer on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlResult {
    /// The run it answers (unique per answer).
    pub request: RequestId,
    /// The query as run (without a header's sort; downloads run it again).
    pub sql: String,
    /// Its first rows.
    pub table: trailscope_protocol::SqlTable,
    /// Time in the engine.
    pub engine_millis: f64,
    /// Time from Run to the reply arriving on the page.
    pub total_millis: f64,
}

/// What the SQL tab shows, in one value: one signal type costs the page's first load far
/// less than one per field (each signal type is its own generic code in the wasm).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SqlView {
    /// The worker.
    pub phase: SqlPhase,
    /// The table's columns, from the worker.
    pub columns: Vec<trailscope_protocol::SqlColumn>,
    /// Sample queries, from the worker.
    pub samples: Vec<trailscope_protocol::SqlSample>,
    /// The query running: its request and when Run was pressed.
    pub running: Option<(RequestId, f64)>,
    /// The last answer.
    pub result: Option<std::sync::Arc<SqlResult>>,
    /// Why the last query failed.
    pub failure: Option<SqlFailure>,
    /// The result's sort: column and descending.
    pub sort: Option<(usize, bool)>,
    /// A download being made.
    pub downloading: Option<RequestId>,
}

/// The SQL tab's state.
#[derive(Clone, Copy)]
pub struct SqlState {
    /// The editor's text (kept in the URL).
    pub text: RwSignal<String>,
    /// Everything else it shows.
    pub view: RwSignal<SqlView>,
}

impl SqlState {
    fn new() -> Self {
        SqlState {
            text: RwSignal::new(String::new()),
            view: RwSignal::new(SqlView::default()),
        }
    }
}

impl AppState {
    /// Fresh state.
    pub fn new() -> Self {
        let kept_case = crate::case_store::load();
        AppState {
            ready: RwSignal::new(false),
            loading: RwSignal::new(None),
            cancelling: RwSignal::new(false),
            progress: RwSignal::new(LoadProgress::default()),
            files: RwSignal::new(Vec::new()),
            totals: RwSignal::new(None),
            last_load: RwSignal::new(None),
            loads: RwSignal::new(0),
            filter: RwSignal::new(String::new()),
            oldest_first: RwSignal::new(false),
            sort: RwSignal::new(None),
            query: RwSignal::new(None),
            query_error: RwSignal::new(None),
            facet_values: RwSignal::new(None),
            facet_refused: RwSignal::new(None),
            query_request: RwSignal::new(None),
            window: RwSignal::new(RowWindow::default()),
            window_request: RwSignal::new(None),
            columns: RwSignal::new(crate::columns::default_ids()),
            column_widths: RwSignal::new(crate::columns::kept_widths()),
            compare: RwSignal::new(Vec::new()),
            tab: RwSignal::new(Tab::Events),
            export: RwSignal::new(ExportState::default()),
            last_manifest: RwSignal::new(None),
            case: RwSignal::new(kept_case.0),
            case_error: RwSignal::new(kept_case.1),
            detect: RwSignal::new(None),
            detecting: RwSignal::new(None),
            rule_files: RwSignal::new(Vec::new()),
            business_hours: RwSignal::new(trailscope_protocol::BusinessHours::default()),
            rules_only: RwSignal::new(Vec::new()),
            rules_excluded: RwSignal::new(Vec::new()),
            record: RwSignal::new(None),
            error: RwSignal::new(None),
            workspace: RwSignal::new(None),
            restoring: RwSignal::new(None),
            verify_only: RwSignal::new(false),
            verifying: RwSignal::new(None),
            verify: RwSignal::new(None),
            verify_error: RwSignal::new(None),
            trusted_lists: RwSignal::new(Vec::new()),
            trusted_keys: RwSignal::new(Vec::new()),
            trusted_key_problems: RwSignal::new(Vec::new()),
            verify_choices: RwSignal::new(Default::default()),
            sql: SqlState::new(),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// A copy of `source` that follows it one task later: parts of the page built from it render
/// in a task of their own instead of in the one that changed `source`, so no single task
/// builds the whole view (the page must never block the main thread for 50 ms).
pub fn deferred<T: Clone + Send + Sync + 'static>(
    initial: T,
    source: impl Fn() -> T + Send + Sync + 'static,
) -> ReadSignal<T> {
    let (read, write) = signal(initial);
    Effect::new(move |_| {
        let value = source();
        gloo_timers::callback::Timeout::new(0, move || write.set(value)).forget();
    });
    read
}
