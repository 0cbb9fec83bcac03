//! The store role: owns the event store, merges the files the parsers send, and answers the
//! page's requests.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use trailscope_protocol::merge::{default_ceiling_mib, Merger, RECORDS_IN_WASM_MIB};
use trailscope_protocol::workspace::LoadEnd;
use trailscope_protocol::{
    file_row, FileRow, LoadStages, Parsed, Request, RequestId, Response, TabFull, WorkspaceStatus,
};
use trailscope_store::{EventBatch, Store};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessagePort;

use super::detections::DetectJob;
use super::integrity::{IntegrityBook, TrustAnchor, VerifyAsk};
use super::queries::QueryState;
use super::workspace::Journal;
use super::{now_millis, post_json_to_page, post_to_page};

/// How often progress goes to the page.
const PROGRESS_EVERY_MILLIS: f64 = 100.0;

/// The load in progress.
struct Load {
    id: RequestId,
    expected: u64,
    done: u64,
    not_read: Vec<String>,
    cancelled: bool,
    started: f64,
    /// Past this many bytes of store (columns, indexes, compressed records), files are refused:
    /// the tab is full.
    ceiling_bytes: u64,
    /// Files the merger had refused when this load began.
    refused_before: u64,
    /// Where the workers' time went so far.
    stages: LoadStages,
}

/// Everything the store worker holds between messages.
#[derive(Default)]
pub(crate) struct StoreHost {
    store: Store,
    load: Option<Load>,
    /// The memory the store may fill: the last load's ceiling (the device's share before one).
    ceiling_bytes: u64,
    /// Set when the free-text index found no room for its next step; no step is tried again
    /// (nor the store's memory counted after every message) until the store changes.
    text_index_halted: bool,
    reported_files: usize,
    last_progress: f64,
    /// Parser messages that overtook their load's `BeginLoad` (the page posts that first, but
    /// messages on different channels may arrive in any order).
    early: Vec<JsValue>,
    /// Parser messages in the order they may be merged (a large file arrives in chunks).
    merger: Merger<JsValue>,
    /// Hashes, digests, evidence key lists and signatures of the loaded files.
    integrity: IntegrityBook,
    /// The keys the user supplied as trusted (never from the loaded files).
    anchor: TrustAnchor,
    /// The investigation view's selection and detection results.
    queries: QueryState,
    /// The kept workspace, while the user keeps one.
    kept: Kept,
    /// The detection run whose anomaly models are still running, between queries.
    detect_job: Option<DetectJob>,
}

/// The kept workspace's state beside the store.
#[derive(Default)]
struct Kept {
    journal: Option<Journal>,
    /// The journal holds exactly the loads that built the store (it was empty when the store
    /// was, or the store was restored from it). Until then the next load starts it over.
    mirrors_store: bool,
    /// Events loaded before keeping began (not in the journal).
    not_kept_events: u64,
    /// The store was rebuilt from the journal: its events cannot be verified.
    restored: bool,
    restore_millis: Option<f64>,
    /// The last problem reading or writing it.
    problem: Option<String>,
}

impl Kept {
    /// Stops keeping after a failed write, leaving the loads committed before it.
    fn fail(&mut self, problem: String) {
        if let Some(mut journal) = self.journal.take() {
            journal.roll_back();
            journal.close();
        }
        self.problem = Some(format!(
            "The workspace is no longer kept: {problem}. What was kept before this load is still there."
        ));
    }

    fn status(&mut self) -> WorkspaceStatus {
        let mut status = WorkspaceStatus {
            keeping: self.journal.is_some(),
            not_kept_events: self.not_kept_events,
            restored: self.restored,
            restore_millis: self.restore_millis,
            problem: self.problem.clone(),
            ..WorkspaceStatus::default()
        };
        if let Some(journal) = self.journal.as_mut() {
            status.bytes = journal.bytes();
            match journal.summary() {
                Ok(summary) => {
                    status.uncommitted_bytes = summary.uncommitted_bytes;
                    if let Some(last) = summary.last {
                        status.events = last.events;
                        status.files = last.files;
                        status.saved_at_millis = Some(last.saved_at_millis);
                    }
                }
                Err(e) => status.problem = Some(e.to_string()),
            }
        }
        status
    }
}

impl StoreHost {
    /// The store, when its free-text index has rows left to index, no load is merging (a
    /// step between a load's batches would only slow the load), and the store is under the
    /// last load's memory ceiling. The index counts in the store's memory; past the ceiling
    /// it stops, and free text reads the rows past it, as before the index.
    pub(crate) fn store_to_index(&mut self) -> Option<&mut Store> {
        if self.load.is_some()
            || self.text_index_halted
            || self.store.text_index().rows() >= self.store.len()
        {
            return None;
        }
        let memory = self.store.memory();
        let store_bytes = (memory.columns_bytes as u64).saturating_add(memory.records_bytes);
        let room = store_bytes < self.ceiling_bytes
            && wasm_memory_bytes() < (WASM_BACKSTOP_MIB - INDEX_MARGIN_MIB) << 20;
        self.text_index_halted = !room;
        room.then_some(&mut self.store)
    }

    /// What a detection run reads and writes.
    pub(crate) fn detection_parts(&mut self) -> (&Store, &mut QueryState, &mut Option<DetectJob>) {
        (&self.store, &mut self.queries, &mut self.detect_job)
    }
}

/// Handles a request from the page.
pub(crate) fn handle_request(host: &Rc<RefCell<StoreHost>>, data: &JsValue) {
    let message = Reflect::get(data, &"request".into()).unwrap_or(JsValue::UNDEFINED);
    let request: Request = match serde_wasm_bindgen::from_value(message) {
        Ok(r) => r,
        Err(e) => {
            web_sys::console::error_1(&format!("trailscope store: unreadable request: {e}").into());
            return;
        }
    };
    let mut h = host.borrow_mut();
    match request {
        Request::BeginLoad {
            id,
            total_files,
            ceiling_mib,
            records_in_wasm_mib,
        } => {
            if h.load.is_some() {
                post_to_page(&Response::Failed {
                    id,
                    message: "a load is already running".into(),
                });
                return;
            }
            // The store changes under a detection run: the page asks again after the load.
            h.detect_job = None;
            h.text_index_halted = false;
            h.ceiling_bytes = ceiling_mib
                .unwrap_or_else(|| default_ceiling_mib(device_memory_gib()))
                .saturating_mul(1 << 20);
            h.load = Some(Load {
                id,
                expected: total_files,
                done: 0,
                not_read: Vec::new(),
                cancelled: false,
                started: now_millis(),
                ceiling_bytes: h.ceiling_bytes,
                refused_before: h.merger.refused(),
                stages: LoadStages::default(),
            });
            if let Some(mib) = records_in_wasm_mib {
                h.store.keep_records_here(
                    usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
                );
            }
            h.begin_kept_load();
            let early = std::mem::take(&mut h.early);
            drop(h);
            for data in &early {
                handle_parsed(host, data);
            }
            host.borrow_mut().finish_if_done();
        }
        Request::Cancel { id, withheld } => {
            if let Some(load) = h.load.as_mut().filter(|l| l.id == id) {
                load.cancelled = true;
                load.expected = load.expected.saturating_sub(withheld);
            }
            h.finish_if_done();
        }
        Request::Record { id, row } => post_to_page(&record_response(&h.store, id, row as usize)),
        Request::ExportEvents { id } => {
            if h.load.is_some() {
                post_to_page(&Response::Failed {
                    id,
                    message:
                        "cannot hand the events to SQL while loading; wait for the load to finish"
                            .into(),
                });
                return;
            }
            let port = Reflect::get(data, &"port".into())
                .ok()
                .and_then(|p| p.dyn_into::<MessagePort>().ok());
            match port {
                Some(port) => export_events(&h.store, &port),
                None => post_to_page(&Response::Failed {
                    id,
                    message: "no port to send the events to".into(),
                }),
            }
        }
        Request::ExportSelection { id } => {
            let port = Reflect::get(data, &"port".into())
                .ok()
                .and_then(|p| p.dyn_into::<MessagePort>().ok());
            let Some(port) = port else {
                post_to_page(&Response::Failed {
                    id,
                    message: "no port to send the selection to".into(),
                });
                return;
            };
            let selection = if h.load.is_some() {
                Err("the events are still loading; wait for the load to finish")
            } else {
                h.queries
                    .selected_rows()
                    .ok_or("no filter has run yet; show the events first")
            };
            // The manifest goes to the page before the rows go to the SQL worker, so it is
            // there before the file (the page also waits for either order).
            if selection.is_ok() {
                if let Some(manifest) = h.queries.selection_manifest(&h.store) {
                    post_to_page(&Response::SelectionManifest {
                        id,
                        manifest: manifest.to_json(),
                    });
                }
            }
            send_selection(&port, selection, h.store.len());
        }
        Request::Verify {
            id,
            start,
            end,
            aws_cli_compat,
            checked_at,
            case,
            analyst,
        } => {
            if h.load.is_some() {
                post_to_page(&Response::Failed {
                    id,
                    message: "cannot verify while loading; wait for the load to finish".into(),
                });
                return;
            }
            if h.kept.restored {
                post_to_page(&Response::Failed {
                    id,
                    message: RESTORED_CANNOT_VERIFY.into(),
                });
                return;
            }
            let ask = VerifyAsk {
                start: start.as_deref().filter(|s| !s.trim().is_empty()),
                end: end.as_deref().filter(|s| !s.trim().is_empty()),
                aws_cli_compat,
                checked_at,
                case,
                analyst,
            };
            let StoreHost {
                integrity,
                anchor,
                store,
                detect_job,
                ..
            } = &mut *h;
            match integrity.verify(&ask, anchor, store) {
                Ok((report, run, rows_changed)) => {
                    // Rows now show their verified copies: a run under way read the others,
                    // so it starts again, answering the same request.
                    let restart = detect_job
                        .take_if(|_| rows_changed > 0)
                        .map(DetectJob::into_request);
                    let mut view = trailscope_protocol::verify_view(&report, &run);
                    view.rows_changed = rows_changed;
                    post_json_to_page(&Response::Verified {
                        id,
                        view: Box::new(view),
                    });
                    if let Some((detect_id, options)) = restart {
                        drop(h);
                        super::detections::start_detection(host, detect_id, &options);
                    }
                }
                Err(message) => post_to_page(&Response::Failed { id, message }),
            }
        }
        Request::SetTrustedKeys { id, lists } => {
            let (keys, problems) = h.anchor.set(&lists);
            post_to_page(&Response::TrustedKeysSet { id, keys, problems });
        }
        Request::Query { id, query } => {
            let StoreHost {
                store,
                queries,
                text_index_halted,
                ..
            } = &mut *h;
            queries.query(store, *text_index_halted, id, query);
        }
        Request::FacetValues {
            id,
            filter,
            field,
            search,
            limit,
        } => {
            // At most ten thousand values: a facet's list is read by a person.
            let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(10_000);
            h.queries
                .facet_values(&h.store, id, &filter, &field, &search, limit);
        }
        Request::Window {
            id,
            offset,
            limit,
            columns,
        } => {
            let StoreHost { store, queries, .. } = &mut *h;
            queries.window(store, id, offset, limit, &columns);
        }
        Request::Export {
            id,
            format,
            columns,
        } => {
            let StoreHost { store, queries, .. } = &mut *h;
            queries.export(store, id, format, &columns);
        }
        Request::FindEvent { id, event_id } => {
            let filter = trailscope_query::Filter::parse(&format!(
                "eventID:\"{}\"",
                event_id.replace('\\', "\\\\").replace('"', "\\\"")
            ));
            let row = filter
                .ok()
                .and_then(|f| trailscope_query::matches(&h.store, &f).iter().next());
            match row {
                Some(row) => post_to_page(&record_response(&h.store, id, row)),
                None => post_to_page(&Response::Failed {
                    id,
                    message: format!("no loaded event has the eventID {event_id}"),
                }),
            }
        }
        Request::Detect { id, options } => {
            drop(h);
            super::detections::start_detection(host, id, &options);
        }
        Request::Reset { id } => {
            if h.load.is_some() {
                post_to_page(&Response::Failed {
                    id,
                    message: "cannot clear while loading; cancel first".into(),
                });
                return;
            }
            h.detect_job = None;
            h.text_index_halted = false;
            h.store = spilling_store();
            h.merger.clear();
            h.integrity = IntegrityBook::default();
            h.queries.clear();
            h.reported_files = 0;
            h.kept.restored = false;
            h.kept.restore_millis = None;
            h.kept.not_kept_events = 0;
            if let Some(journal) = h.kept.journal.as_mut() {
                // The workspace follows what is loaded: cleared with it.
                match journal.start_over() {
                    Ok(()) => h.kept.mirrors_store = true,
                    Err(problem) => h.kept.fail(problem),
                }
            }
            post_to_page(&Response::ResetDone { id });
            if h.kept.journal.is_some() || h.kept.problem.is_some() {
                let status = h.kept.status();
                post_to_page(&Response::WorkspaceStatus { id, status });
            }
        }
        Request::Workspace { id, keep, delete } => {
            drop(h);
            let host = host.clone();
            wasm_bindgen_futures::spawn_local(async move {
                set_workspace(&host, keep, delete).await;
                let status = host.borrow_mut().kept.status();
                post_to_page(&Response::WorkspaceStatus { id, status });
            });
        }
        Request::RestoreWorkspace { id } => restore_workspace(&mut h, id),
    }
}

/// Why restored events cannot be verified.
const RESTORED_CANNOT_VERIFY: &str = "These events were restored from the workspace kept in this browser, which holds the events but not the files' bytes their hashes were taken from, so their integrity cannot be proven from it. Clear, then drop the original log and digest files again to verify.";

/// Starts or stops keeping the workspace (see [`Request::Workspace`]).
async fn set_workspace(host: &Rc<RefCell<StoreHost>>, keep: bool, delete: bool) {
    let needs_open = (keep || delete) && host.borrow().kept.journal.is_none();
    let opened = if needs_open {
        Some(Journal::open().await)
    } else {
        None
    };
    let mut h = host.borrow_mut();
    let StoreHost { kept, store, .. } = &mut *h;
    match opened {
        Some(Ok(journal)) => {
            kept.problem = None;
            let mut journal = journal;
            let holds_loads = journal.summary().map(|s| s.loads > 0).unwrap_or(true);
            kept.mirrors_store = store.files().is_empty() && !holds_loads;
            // Events already loaded are not in a journal that starts now (see
            // `begin_kept_load`).
            kept.not_kept_events = if store.files().is_empty() {
                0
            } else {
                store.len() as u64
            };
            kept.journal = Some(journal);
        }
        Some(Err(problem)) => {
            kept.problem = Some(problem);
            return;
        }
        None => {}
    }
    if delete {
        if let Some(journal) = kept.journal.as_mut() {
            match journal.start_over() {
                Ok(()) => {
                    kept.mirrors_store = store.files().is_empty();
                    kept.not_kept_events = if kept.mirrors_store {
                        0
                    } else {
                        store.len() as u64
                    };
                    kept.problem = None;
                }
                Err(problem) => kept.problem = Some(problem),
            }
        }
    }
    if !keep {
        if let Some(journal) = kept.journal.take() {
            journal.close();
        }
        kept.not_kept_events = 0;
    }
}

/// Rebuilds the store from the kept workspace, answered like a load.
fn restore_workspace(h: &mut StoreHost, id: RequestId) {
    let refuse = |message: &str| {
        post_to_page(&Response::Failed {
            id,
            message: message.into(),
        })
    };
    if h.load.is_some() || !h.store.files().is_empty() {
        refuse("the workspace can be restored only into an empty page: clear what is loaded first");
        return;
    }
    let started = now_millis();
    let Some(journal) = h.kept.journal.as_mut() else {
        refuse("no workspace is kept in this browser");
        return;
    };
    let (store, restored) = match journal.restore(spilling_store()) {
        Ok(done) => done,
        Err(e) => {
            let message = e.to_string();
            h.kept.problem = Some(message.clone());
            refuse(&message);
            return;
        }
    };
    h.detect_job = None;
    h.text_index_halted = false;
    h.store = store;
    h.merger.clear();
    h.integrity = IntegrityBook::default();
    h.queries.clear();
    h.kept.restored = true;
    h.kept.mirrors_store = true;
    h.kept.not_kept_events = 0;
    h.kept.problem = (restored.summary.uncommitted_bytes > 0).then(|| {
        format!(
            "A load that never finished ({} bytes) was left out of the restore.",
            restored.summary.uncommitted_bytes
        )
    });
    // Sorted now, as after a load.
    h.store.time_order();
    h.kept.restore_millis = Some(now_millis() - started);
    let files: Vec<FileRow> = h
        .store
        .files()
        .iter()
        .enumerate()
        .map(|(i, f)| file_row(u32::try_from(i).unwrap_or(u32::MAX), f))
        .collect();
    h.reported_files = files.len();
    post_to_page(&Response::FilesDone { id, files });
    let totals =
        trailscope_protocol::totals(&h.store.totals(), h.store.memory(), h.integrity.counts());
    post_to_page(&Response::LoadDone {
        id,
        cancelled: false,
        not_read: Vec::new(),
        totals: Box::new(totals),
        elapsed_millis: now_millis() - started,
        tab_full: None,
        stages: LoadStages::default(),
    });
    let status = h.kept.status();
    post_to_page(&Response::WorkspaceStatus { id, status });
}

/// Handles files (and inputs' ends) from a parser.
pub(crate) fn handle_parsed(host: &Rc<RefCell<StoreHost>>, data: &JsValue) {
    let message = Reflect::get(data, &"parsed".into()).unwrap_or(JsValue::UNDEFINED);
    let parsed: Parsed = match serde_wasm_bindgen::from_value(message) {
        Ok(p) => p,
        Err(e) => {
            web_sys::console::error_1(
                &format!("trailscope store: unreadable parser message: {e}").into(),
            );
            return;
        }
    };
    let mut h = host.borrow_mut();
    let Some(load) = h.load.as_ref().map(|l| l.id) else {
        h.early.push(data.clone());
        return;
    };
    if parsed.load != load {
        return; // a straggler of an earlier load
    }
    if let Some(current) = h.load.as_mut() {
        current.stages.add(&parsed.stages);
    }
    h.merger.push(parsed, data.clone());
    while let Some((parsed, data)) = h.merger.next_ready() {
        let buffers = Reflect::get(&data, &"batches".into())
            .map(|v| Array::from(&v))
            .unwrap_or_default();
        // Decoded one at a time as the store reaches them (each batch enters wasm memory only
        // while it is merged); a damaged one ends the run, and the files whose rows it held fail
        // whole.
        let batches = buffers.iter().map_while(|buffer| {
            match EventBatch::from_bytes(&Uint8Array::new(&buffer).to_vec()) {
                Ok(batch) => Some(batch),
                Err(e) => {
                    web_sys::console::error_1(&format!("trailscope store: {e}").into());
                    None
                }
            }
        });
        let StoreHost {
            store,
            merger,
            integrity,
            load,
            kept,
            ..
        } = &mut *h;
        if let Some(current) = load.as_ref() {
            // Checked before each message: one message adds at most a few megabytes, far less
            // than the room left above the ceiling. The store's own count is the live measure
            // (the WebAssembly memory never shrinks, so after Clear it would still read full);
            // the memory itself is the backstop, near wasm32's 4 GiB.
            let memory = store.memory();
            // In u64: the records kept outside WebAssembly memory pass what wasm32's usize counts.
            let store_bytes = (memory.columns_bytes as u64).saturating_add(memory.records_bytes);
            let full = store_bytes >= current.ceiling_bytes
                || wasm_memory_bytes() >= WASM_BACKSTOP_MIB << 20;
            if !merger.is_refusing() && full {
                merger.refuse_from_now(store, current.ceiling_bytes >> 20);
                // The journal may hold the chunks of a large file the store just took out
                // again: this load is not kept, so a restore never brings back half a file.
                kept.mirrors_store = false;
            }
        }
        let journal = kept.journal.as_mut().filter(|_| kept.mirrors_store);
        let keeping = journal.is_some();
        let keeping_started = now_millis();
        if let Some(journal) = journal {
            if let Err(problem) = journal.record(&parsed.files, parsed.chunk_of.as_ref(), &buffers)
            {
                kept.fail(problem);
            }
        }
        let merging_started = now_millis();
        for file in &parsed.files {
            integrity.add(file, kind_of(file));
        }
        merger.merge(store, parsed.files, parsed.chunk_of, batches);
        let merged = now_millis();
        if let Some(current) = load.as_mut() {
            if keeping {
                current.stages.keeping += merging_started - keeping_started;
            }
            current.stages.merging += merged - merging_started;
            for done in parsed.inputs_done {
                current.done += 1;
                if !done.read {
                    current.not_read.push(done.path);
                }
            }
        }
    }
    h.report(false);
    h.finish_if_done();
}

impl StoreHost {
    /// An empty host.
    pub(crate) fn new() -> Self {
        StoreHost {
            store: spilling_store(),
            ceiling_bytes: default_ceiling_mib(device_memory_gib()).saturating_mul(1 << 20),
            ..StoreHost::default()
        }
    }

    /// A load begins: a journal kept while the page was empty starts over with it, so it never
    /// restores a mix of two sessions. Into a page that already holds events the journal does
    /// not hold, nothing is recorded: a restore would differ from what is on screen.
    fn begin_kept_load(&mut self) {
        let Some(journal) = self.kept.journal.as_mut() else {
            return;
        };
        if self.kept.mirrors_store || !self.store.files().is_empty() {
            return;
        }
        match journal.start_over() {
            Ok(()) => self.kept.mirrors_store = true,
            Err(problem) => self.kept.fail(problem),
        }
    }

    fn report(&mut self, force: bool) {
        let now = now_millis();
        if !force && now - self.last_progress < PROGRESS_EVERY_MILLIS {
            return;
        }
        self.last_progress = now;
        let Some(load) = &self.load else { return };
        let files: Vec<FileRow> = self
            .store
            .files()
            .iter()
            .enumerate()
            .skip(self.reported_files)
            .map(|(i, f)| file_row(u32::try_from(i).unwrap_or(u32::MAX), f))
            .collect();
        self.reported_files = self.store.files().len();
        if !files.is_empty() {
            post_to_page(&Response::FilesDone { id: load.id, files });
        }
        post_to_page(&Response::Progress {
            id: load.id,
            files_done: load.done,
            events: self.store.len() as u64,
        });
    }

    fn finish_if_done(&mut self) {
        let done = self.load.as_ref().is_some_and(|l| l.done >= l.expected);
        if !done {
            return;
        }
        self.report(true);
        let Some(load) = self.load.take() else { return };
        let refused = self.merger.refused() - load.refused_before;
        let tab_full = (refused > 0).then(|| TabFull {
            events: self.store.len() as u64,
            files_refused: refused,
            ceiling_mib: load.ceiling_bytes >> 20,
        });
        // Row numbers of earlier selections and findings no longer cover the store.
        self.queries.clear();
        // Sort now, while the page waits for the load anyway, rather than on the first page.
        let ordering_started = now_millis();
        self.store.time_order();
        let mut stages = load.stages;
        stages.ordering += now_millis() - ordering_started;
        let totals = trailscope_protocol::totals(
            &self.store.totals(),
            self.store.memory(),
            self.integrity.counts(),
        );
        post_to_page(&Response::LoadDone {
            id: load.id,
            cancelled: load.cancelled,
            not_read: load.not_read,
            totals: Box::new(totals),
            elapsed_millis: now_millis() - load.started,
            tab_full,
            stages,
        });
        if self.kept.journal.is_some() {
            if self.kept.mirrors_store {
                let end = LoadEnd::of(&self.store, js_sys::Date::now());
                if let Some(Err(problem)) = self.kept.journal.as_mut().map(|j| j.commit(&end)) {
                    self.kept.fail(problem);
                }
            } else {
                self.kept.not_kept_events = self.store.len() as u64;
            }
            let status = self.kept.status();
            post_to_page(&Response::WorkspaceStatus {
                id: load.id,
                status,
            });
        }
    }
}

/// The kind a parser found for a file.
fn kind_of(file: &trailscope_protocol::ParsedFile) -> trailscope_model::FileKind {
    trailscope_model::FileKind::from_id(&file.summary.kind)
        .unwrap_or(trailscope_model::FileKind::Unknown)
}

/// One event's record, where it came from, and its other copies when files disagree.
fn record_response(store: &Store, id: RequestId, row: usize) -> Response {
    match store.raw(row) {
        Some(json) => Response::Record {
            id,
            row: u32::try_from(row).unwrap_or(u32::MAX),
            json,
            file: store
                .file_of(row)
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            file_sha256: store
                .file_of(row)
                .and_then(|f| f.summary.stored_sha256.clone()),
            user: store
                .value(trailscope_store::Field::User, row)
                .map(str::to_string),
            integrity: store.integrity(row).map(|i| i.as_str().to_string()),
            copies: trailscope_protocol::event_copies(store, row),
        },
        None => Response::Failed {
            id,
            message: format!("no event at row {row}"),
        },
    }
}

/// Sends the selection's rows to the SQL worker over `port` as `{rows, events}` (the rows a
/// transferred `Uint32Array`), or `{error}` when there is none to send.
fn send_selection(port: &MessagePort, selection: Result<Vec<u32>, &str>, events: usize) {
    let message = js_sys::Object::new();
    let transfer = Array::new();
    match selection {
        Ok(rows) => {
            let rows = js_sys::Uint32Array::from(rows.as_slice());
            transfer.push(&rows.buffer());
            let _ = Reflect::set(&message, &"rows".into(), &rows);
            let _ = Reflect::set(
                &message,
                &"events".into(),
                &JsValue::from_f64(events as f64),
            );
        }
        Err(reason) => {
            let _ = Reflect::set(&message, &"error".into(), &reason.into());
        }
    }
    if let Err(e) = port.post_message_with_transferable(&message, &transfer) {
        web_sys::console::error_2(&"trailscope store: cannot send the selection".into(), &e);
    }
}

/// Rows per batch sent to the SQL worker: large enough that the per-batch work is negligible,
/// small enough that the worker never holds a second copy of the events at once.
const EXPORT_ROWS: usize = 65_536;

/// Sends every stored event to the SQL worker over `port` as binary batches, each transferred
/// (the bytes move, they are not copied again), then `{done: true, events}`.
fn export_events(store: &Store, port: &MessagePort) {
    for batch in store.export_batches(EXPORT_ROWS) {
        let bytes = Uint8Array::from(batch.to_bytes().as_slice());
        let transfer = Array::of1(&bytes.buffer());
        if let Err(e) = port.post_message_with_transferable(&bytes, &transfer) {
            web_sys::console::error_2(&"trailscope store: cannot send events to SQL".into(), &e);
            return;
        }
    }
    let done = js_sys::Object::new();
    let _ = Reflect::set(&done, &"done".into(), &JsValue::TRUE);
    let _ = Reflect::set(
        &done,
        &"events".into(),
        &JsValue::from_f64(store.len() as f64),
    );
    if let Err(e) = port.post_message(&done) {
        web_sys::console::error_2(&"trailscope store: cannot send events to SQL".into(), &e);
    }
}

/// An empty store that keeps its compressed records past [`RECORDS_IN_WASM_MIB`] in the
/// worker's JS heap, outside its WebAssembly memory.
/// A seed for the free-text index's hash from the browser's randomness (WebAssembly has no
/// other): 52 random bits of each of two draws.
fn text_index_seed() -> u64 {
    let draw = || (js_sys::Math::random() * (1u64 << 52) as f64) as u64;
    draw() << 12 ^ draw()
}

fn spilling_store() -> Store {
    let mut store = trailscope_record_spill::spilling_store(RECORDS_IN_WASM_MIB);
    store.seed_text_index(text_index_seed());
    store
}

/// The device's memory in GiB as the browser reports it (`navigator.deviceMemory`, rounded and
/// at most 8 in Chromium; absent in other browsers).
fn device_memory_gib() -> Option<f64> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    Reflect::get(&navigator, &"deviceMemory".into())
        .ok()?
        .as_f64()
}

/// WebAssembly memory past which files are refused whatever the store counts: the store's
/// count leaves out the allocator's slack and what queries built, and wasm32 stops at 4 GiB.
const WASM_BACKSTOP_MIB: u64 = 3584;
/// Room the free-text index leaves under [`WASM_BACKSTOP_MIB`] for the next load's first
/// messages and the queries' sets.
const INDEX_MARGIN_MIB: u64 = 256;

/// The store worker's WebAssembly memory: what the 4 GiB of wasm32 is counted against. It
/// never shrinks, so it is also the high-water mark.
fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size::<0>() as u64) << 16
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
