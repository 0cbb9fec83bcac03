//! The only code that talks to the workers: starts them, hands them files, sends requests and
//! turns replies into state.
//!
//! One store worker owns the events; one parser worker per core reads files and sends the store
//! their event batches directly, over a `MessageChannel` set up here, so parsed data never passes
//! through the page.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use serde::Serialize;
use trailscope_protocol::{
    LoadProgress, PackedInput, ParseEvent, ParseRequest, Request, RequestId, Response, Role,
    TrustedKeyList,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, File, MessageChannel, MessageEvent, Url, Worker};

use crate::state::{AppState, LoadSummary};

/// The script that starts a worker (it loads `trailscope-worker.js` and its wasm, which Trunk
/// emits next to the page).
const WORKER_BOOT: &str = "worker-boot.js";
/// Parsers at most, whatever the core count.
const MAX_PARSERS: usize = 4;

/// Progress of one parser: (bytes done, bytes given).
type ParserProgress = (u64, u64);

thread_local! {
    static STORE: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static PARSERS: RefCell<Vec<Worker>> = const { RefCell::new(Vec::new()) };
    static PARSER_PROGRESS: RefCell<Vec<ParserProgress>> = const { RefCell::new(Vec::new()) };
    static WORKERS_READY: Cell<usize> = const { Cell::new(0) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static OUTBOX: RefCell<Option<Outbox>> = const { RefCell::new(None) };
    /// Export chunks received so far.
    static EXPORT_CHUNKS: RefCell<Vec<js_sys::Uint8Array>> = const { RefCell::new(Vec::new()) };
    /// `eventID`s a link asked to open (the detail view first, then the comparison).
    static PENDING_EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static OPENING_LINKED: Cell<bool> = const { Cell::new(false) };
    /// A load finished and its detection run waits for the first rows to be on screen.
    static DETECT_PENDING: Cell<bool> = const { Cell::new(false) };
}

fn next_id() -> RequestId {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        RequestId(id)
    })
}

fn now_millis() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// How many parsers to run: one per core the browser reports, within reason.
fn parser_count() -> usize {
    let cores = web_sys::window().map_or(2.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).clamp(1, MAX_PARSERS)
}

/// Starts the workers and routes their replies into `state`.
pub fn start(state: AppState) {
    if let Err(message) = spawn_all(state) {
        state.error.set(Some(message));
        return;
    }
    restore_trusted_keys(state);
}

fn spawn_all(state: AppState) -> Result<(), String> {
    let parsers = parser_count();
    let store = spawn()?;
    let on_store = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        // Large replies come as JSON text (see the worker's `post_json_to_page`).
        let data = event.data();
        let decoded = match data.as_string() {
            Some(text) => serde_json::from_str::<Response>(&text).map_err(|e| e.to_string()),
            None => serde_wasm_bindgen::from_value::<Response>(data).map_err(|e| e.to_string()),
        };
        match decoded {
            Ok(response) => apply(state, response),
            Err(e) => state
                .error
                .set(Some(format!("unreadable reply from the store worker: {e}"))),
        }
    });
    store.set_onmessage(Some(on_store.as_ref().unchecked_ref()));
    on_store.forget(); // lives as long as the page
    watch_errors(&store, state);
    let store_ports = Array::new();
    let mut workers = Vec::with_capacity(parsers);
    for index in 0..parsers {
        let parser = spawn()?;
        let channel = MessageChannel::new().map_err(|_| "cannot connect the workers")?;
        let on_parser = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<ParseEvent>(event.data()) {
                Ok(event) => apply_parse_event(state, event),
                Err(e) => state
                    .error
                    .set(Some(format!("unreadable message from a parser: {e}"))),
            }
        });
        parser.set_onmessage(Some(on_parser.as_ref().unchecked_ref()));
        on_parser.forget();
        watch_errors(&parser, state);
        let port = channel.port1();
        init(
            &parser,
            Role::Parser {
                index: index as u32,
            },
            "port",
            &port,
            &Array::of1(&port),
        )?;
        store_ports.push(&channel.port2());
        workers.push(parser);
    }
    init(&store, Role::Store, "ports", &store_ports, &store_ports)?;
    STORE.with(|s| *s.borrow_mut() = Some(store));
    PARSER_PROGRESS.with(|p| *p.borrow_mut() = vec![(0, 0); parsers]);
    PARSERS.with(|p| *p.borrow_mut() = workers);
    Ok(())
}

fn init(
    worker: &Worker,
    role: Role,
    key: &str,
    value: &JsValue,
    transfer: &Array,
) -> Result<(), String> {
    let message = Object::new();
    let role = serde_wasm_bindgen::to_value(&role).map_err(|e| e.to_string())?;
    let _ = Reflect::set(&message, &"role".into(), &role);
    let _ = Reflect::set(&message, &key.into(), value);
    worker
        .post_message_with_transfer(&message, transfer)
        .map_err(|e| format!("cannot start a worker: {e:?}"))
}

fn watch_errors(worker: &Worker, state: AppState) {
    let on_error =
        Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            state
                .error
                .set(Some(format!("a worker stopped: {}", event.message())));
            state.loading.set(None);
        });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

/// The worker runs from a tiny classic script that loads Trunk's no-modules bundle by URLs
/// resolved against the page, so the page works from any folder of any static server. Messages
/// that arrive while the wasm loads are held and replayed once the worker listens.
fn spawn() -> Result<Worker, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let base = document.base_uri().ok().flatten().ok_or("no base URL")?;
    // A file beside the page (static/worker-boot.js): the policy allows workers from the page's
    // own origin only, never from blob: URLs.
    let boot_url = Url::new_with_base(WORKER_BOOT, &base)
        .map_err(|_| "bad worker URL")?
        .href();
    Worker::new(&boot_url).map_err(|e| format!("cannot start a worker: {e:?}"))
}

fn post<T: Serialize>(worker: &Worker, request: &T, files: Option<&Array>) {
    let Ok(encoded) = serde_wasm_bindgen::to_value(request) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"request".into(), &encoded);
    if let Some(files) = files {
        let _ = Reflect::set(&message, &"files".into(), files);
    }
    if let Err(e) = worker.post_message(&message) {
        web_sys::console::error_2(&"trailscope: cannot reach a worker".into(), &e);
    }
}

fn send(request: &Request) {
    STORE.with(|s| {
        if let Some(store) = s.borrow().as_ref() {
            post(store, request, None);
        }
    });
}

/// Files handed over per pack at most.
const FILES_PER_PACK: usize = 4096;
/// Main-thread time one hand-over task may take. The first `size` of a picked file costs the
/// main thread a disk stat (about 0.3 ms, measured), so a pack ends when this time is up.
const PACK_MILLIS: f64 = 15.0;

/// Files of the current load not yet handed to a parser.
struct Outbox {
    id: RequestId,
    /// Verify-only mode: log files are hashed, their events not read.
    hash_only: bool,
    files: VecDeque<(u32, String, File)>,
    next_parser: usize,
    /// Files never handed over because the load was cancelled.
    withheld: Vec<String>,
}

/// Loads `files` (display path, handle).
pub fn load(state: AppState, files: Vec<(String, File)>) {
    if files.is_empty() || state.loading.get_untracked().is_some() || !state.ready.get_untracked() {
        return;
    }
    let id = next_id();
    state.loading.set(Some(id));
    state.cancelling.set(false);
    state.last_load.set(None);
    state.progress.set(LoadProgress {
        files_total: files.len() as u64,
        ..LoadProgress::default()
    });
    PARSER_PROGRESS.with(|p| p.borrow_mut().iter_mut().for_each(|x| *x = (0, 0)));
    send(&Request::BeginLoad {
        id,
        total_files: files.len() as u64,
    });
    let files = files
        .into_iter()
        .enumerate()
        .map(|(i, (path, file))| (i as u32, path, file))
        .collect();
    OUTBOX.with(|o| {
        *o.borrow_mut() = Some(Outbox {
            id,
            hash_only: state.verify_only.get_untracked(),
            files,
            next_parser: 0,
            withheld: Vec::new(),
        })
    });
    // In a task of its own: the task that picked the files already named each of them.
    gloo_timers::callback::Timeout::new(0, send_next_pack).forget();
}

/// Hands the next pack of files to the next parser now, and schedules the following one in a
/// task of its own. A pack is one `Blob` made of the files back to back: passing a `Blob` to a
/// worker costs almost nothing, while passing each `File` costs a millisecond or more.
fn send_next_pack() {
    let started = now_millis();
    let parts = Array::new();
    let mut inputs = Vec::new();
    let taken = OUTBOX.with(|o| {
        let mut outbox = o.borrow_mut();
        let outbox = outbox.as_mut()?;
        while inputs.len() < FILES_PER_PACK
            && (inputs.is_empty() || now_millis() - started < PACK_MILLIS)
        {
            let Some((number, path, file)) = outbox.files.pop_front() else {
                break;
            };
            let size = file.size() as u64;
            inputs.push(PackedInput { number, path, size });
            parts.push(&file);
        }
        let parser = outbox.next_parser;
        outbox.next_parser += 1;
        Some((outbox.id, parser, outbox.files.is_empty(), outbox.hash_only))
    });
    let Some((load, parser, last, hash_only)) = taken else {
        return;
    };
    if inputs.is_empty() {
        return;
    }
    match Blob::new_with_blob_sequence(&parts) {
        Ok(pack) => PARSERS.with(|p| {
            let parsers = p.borrow();
            if let Some(worker) = parsers.get(parser % parsers.len().max(1)) {
                post_pack(
                    worker,
                    &ParseRequest::Parse {
                        load,
                        inputs,
                        hash_only,
                    },
                    &pack,
                );
            }
        }),
        Err(e) => web_sys::console::error_2(&"trailscope: cannot pack files".into(), &e),
    }
    if !last {
        gloo_timers::callback::Timeout::new(0, send_next_pack).forget();
    }
}

fn post_pack(worker: &Worker, request: &ParseRequest, pack: &Blob) {
    let Ok(encoded) = serde_wasm_bindgen::to_value(request) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"request".into(), &encoded);
    let _ = Reflect::set(&message, &"pack".into(), pack);
    if let Err(e) = worker.post_message(&message) {
        web_sys::console::error_2(&"trailscope: cannot reach a parser".into(), &e);
    }
}

/// Stops the load in progress: the parsers skip what they have not read, and files not yet
/// handed over are withheld.
pub fn cancel(state: AppState) {
    state.cancelling.set(true);
    let Some((id, withheld)) = OUTBOX.with(|o| {
        let mut outbox = o.borrow_mut();
        let outbox = outbox.as_mut()?;
        let unsent: Vec<String> = outbox.files.drain(..).map(|(_, path, _)| path).collect();
        let count = unsent.len() as u64;
        outbox.withheld.extend(unsent);
        Some((outbox.id, count))
    }) else {
        return;
    };
    PARSERS.with(|p| {
        for worker in p.borrow().iter() {
            post(worker, &ParseRequest::Cancel { load: id }, None);
        }
    });
    send(&Request::Cancel { id, withheld });
}

/// Rows asked for per window.
const FACET_VALUES: usize = 8;

/// Applies the current filter: count, facets, timeline and the first rows.
pub fn run_query(state: AppState) {
    let id = next_id();
    state.query_request.set(Some(id));
    let order = if state.oldest_first.get_untracked() {
        trailscope_query::Order::OldestFirst
    } else {
        trailscope_query::Order::NewestFirst
    };
    send(&Request::Query {
        id,
        query: trailscope_query::QueryRequest {
            filter: state.filter.get_untracked(),
            order,
            offset: 0,
            limit: 0,
            facet_limit: FACET_VALUES,
        },
    });
    save_view(state);
}

/// Adds a term to the filter and applies it.
pub fn add_filter_term(state: AppState, term: &str) {
    state
        .filter
        .update(|f| *f = trailscope_query::edit::with_term(f, term));
    run_query(state);
}

/// Asks for rows `offset..offset + limit` of the current selection (once per window).
pub fn request_window(state: AppState, offset: u64, limit: u64) {
    if state
        .window_request
        .get_untracked()
        .is_some_and(|(_, at)| at == offset)
    {
        return;
    }
    let id = next_id();
    state.window_request.set(Some((id, offset)));
    send(&Request::Window {
        id,
        offset,
        limit: u32::try_from(limit).unwrap_or(u32::MAX),
    });
}

/// Opens an event in the detail view.
pub fn open_event(state: AppState, row: u32) {
    let _ = state;
    send(&Request::Record { id: next_id(), row });
}

/// Records the view in the URL.
pub fn save_view(state: AppState) {
    let columns = state.columns.get_untracked();
    let view = crate::url_state::ViewState {
        filter: state.filter.get_untracked(),
        oldest_first: state.oldest_first.get_untracked(),
        columns: if columns == crate::columns::default_ids() {
            Vec::new()
        } else {
            columns
        },
        event: state
            .record
            .with_untracked(|r| r.as_ref().and_then(|r| event_id_of(&r.json))),
        compare: state
            .compare
            .with_untracked(|c| c.iter().filter_map(|(_, json)| event_id_of(json)).collect()),
        tab: match state.tab.get_untracked() {
            crate::state::Tab::Events => String::new(),
            tab => tab.id().to_string(),
        },
    };
    crate::url_state::replace(&view);
}

fn event_id_of(json: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()?
        .get("eventID")?
        .as_str()
        .map(str::to_string)
}

/// Restores the view a link carries (called once, at start).
pub fn restore_view(state: AppState) {
    let view = crate::url_state::current();
    state.filter.set(view.filter);
    state.oldest_first.set(view.oldest_first);
    if !view.columns.is_empty() {
        state.columns.set(view.columns);
    }
    state.tab.set(crate::state::Tab::from_id(&view.tab));
    PENDING_EVENTS.with(|p| {
        *p.borrow_mut() = view.event.into_iter().chain(view.compare).collect();
    });
}

/// Exports the current selection.
pub fn request_export(state: AppState, format: trailscope_query::ExportFormat) {
    let id = next_id();
    EXPORT_CHUNKS.with(|c| c.borrow_mut().clear());
    state.export.set(crate::state::ExportState {
        id: Some(id),
        done: 0,
        total: state
            .query
            .with_untracked(|q| q.as_ref().map_or(0, |q| q.total)),
    });
    send(&Request::Export { id, format });
}

/// Runs the detection rules and the anomaly model.
pub fn request_detect(state: AppState) {
    let id = next_id();
    state.detecting.set(Some(id));
    send(&Request::Detect {
        id,
        options: trailscope_protocol::DetectOptions {
            rule_files: state.rule_files.get_untracked(),
            business_hours: Some(state.business_hours.get_untracked()),
            only: state.rules_only.get_untracked(),
            exclude: state.rules_excluded.get_untracked(),
        },
    });
}

/// Asks for the original JSON of an event.
pub fn request_record(row: u32) {
    send(&Request::Record { id: next_id(), row });
}

/// What to verify: the page's choices in the Verify view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VerifyChoices {
    /// Only digests from this time (RFC 3339 or a date); empty for no limit.
    pub start: String,
    /// Only digests up to this time.
    pub end: String,
    /// aws-cli's exact verdicts.
    pub aws_cli_compat: bool,
}

/// Verifies the integrity of everything loaded.
pub fn request_verify(state: AppState, choices: &VerifyChoices) {
    state.verify_choices.set(choices.clone());
    let id = next_id();
    state.verifying.set(Some(id));
    state.verify_error.set(None);
    let checked_at = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let given = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    send(&Request::Verify {
        id,
        start: given(&choices.start),
        end: given(&choices.end),
        aws_cli_compat: choices.aws_cli_compat,
        checked_at,
    });
}

/// Where the trusted keys are remembered: this tab's session storage, so they survive a
/// reload but not the browser session, and never leave the browser.
const TRUSTED_KEYS_STORAGE: &str = "trailscope.trusted-keys";

/// Makes `lists` the trusted public keys (replacing any given before), remembers them for the
/// session and re-verifies what is loaded.
pub fn set_trusted_keys(state: AppState, lists: Vec<TrustedKeyList>) {
    let saved = serde_json::to_string(&lists)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            web_sys::window()
                .and_then(|w| w.session_storage().ok().flatten())
                .ok_or_else(|| "this browser has no session storage".to_string())?
                .set_item(TRUSTED_KEYS_STORAGE, &json)
                .map_err(|_| {
                    "the browser refused to store them (storage full or disabled)".to_string()
                })
        });
    if let Err(why) = saved {
        state.error.set(Some(format!(
            "The trusted keys are used but not remembered after a reload: {why}."
        )));
    }
    state.trusted_lists.set(lists.clone());
    send(&Request::SetTrustedKeys {
        id: next_id(),
        lists,
    });
}

/// The trusted keys remembered for this session, sent to the worker at start.
fn restore_trusted_keys(state: AppState) {
    let lists: Vec<TrustedKeyList> = web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item(TRUSTED_KEYS_STORAGE).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    if !lists.is_empty() {
        state.trusted_lists.set(lists.clone());
        send(&Request::SetTrustedKeys {
            id: next_id(),
            lists,
        });
    }
}

/// Forgets everything loaded.
pub fn reset() {
    send(&Request::Reset { id: next_id() });
}

fn worker_ready(state: AppState) {
    let ready = WORKERS_READY.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let expected = 1 + PARSERS.with(|p| p.borrow().len());
    if ready >= expected {
        state.ready.set(true);
    }
}

fn apply_parse_event(state: AppState, event: ParseEvent) {
    match event {
        ParseEvent::Ready { .. } => worker_ready(state),
        ParseEvent::Progress {
            load,
            parser,
            bytes_done,
            bytes_total,
        } => {
            if state.loading.get_untracked() != Some(load) {
                return;
            }
            let (done, total) = PARSER_PROGRESS.with(|p| {
                let mut p = p.borrow_mut();
                if let Some(slot) = p.get_mut(parser as usize) {
                    *slot = (bytes_done, bytes_total);
                }
                p.iter().fold((0, 0), |(d, t), (bd, bt)| (d + bd, t + bt))
            });
            state.progress.update(|p| {
                p.bytes_done = done;
                p.bytes_total = total;
            });
        }
    }
}

/// Runs the detection a finished load is waiting for, if any.
fn start_pending_detection(state: AppState) {
    if DETECT_PENDING.with(|p| p.replace(false)) {
        request_detect(state);
    }
}

fn apply(state: AppState, response: Response) {
    match response {
        Response::Ready => worker_ready(state),
        Response::Progress {
            files_done, events, ..
        } => state.progress.update(|p| {
            p.files_done = files_done;
            p.events = events;
        }),
        Response::FilesDone { files, .. } => state.files.update(|all| all.extend(files)),
        Response::LoadDone {
            cancelled,
            mut not_read,
            totals,
            elapsed_millis,
            ..
        } => {
            if let Some(outbox) = OUTBOX.with(|o| o.borrow_mut().take()) {
                not_read.extend(outbox.withheld);
            }
            state.loading.set(None);
            state.cancelling.set(false);
            state.last_load.set(Some(LoadSummary {
                cancelled,
                not_read,
                elapsed_millis,
            }));
            state.loads.update(|n| *n += 1);
            // A report from before this load no longer describes what is loaded.
            state.verify.set(None);
            if totals.integrity.digests > 0 {
                // Digests were dropped: the user came to verify, so do it at once.
                request_verify(state, &VerifyChoices::default());
            }
            state.totals.set(Some(totals));
            state.detect.set(None);
            run_query(state);
            if totals_have_events(state) {
                // Detection waits until the first rows are on screen: on a two-core machine
                // the worker's rule run would otherwise compete with building the view.
                DETECT_PENDING.with(|p| p.set(true));
                gloo_timers::callback::Timeout::new(2_000, move || start_pending_detection(state))
                    .forget();
            }
            open_linked_events();
        }
        Response::Verified { id, view } => {
            if state.verifying.get_untracked() == Some(id) {
                state.verifying.set(None);
                let rows_changed = view.rows_changed;
                state.verify.set(Some(std::sync::Arc::new(*view)));
                // Rows now carry their integrity.
                run_query(state);
                // Events now show their verified copy: findings were made on the others.
                if rows_changed > 0 && state.detect.with_untracked(|d| d.is_some()) {
                    request_detect(state);
                }
            }
        }
        Response::Queried {
            id,
            result,
            elapsed_millis,
        } => {
            if state.query_request.get_untracked() == Some(id) {
                let generation = u64::from(id.0);
                state.query_error.set(None);
                // Rows come in a window of their own (the table asks once it knows the count),
                // so facets, timeline and rows are never all built within one task.
                state.window_request.set(None);
                state.query.set(Some(crate::state::QueryView {
                    generation,
                    total: result.total,
                    events: result.events,
                    facets: result.facets,
                    histogram: result.histogram,
                    elapsed_ms: elapsed_millis,
                }));
            }
        }
        Response::QueryFailed { id, error } => {
            if state.query_request.get_untracked() == Some(id) {
                state.query_error.set(Some(error));
            }
            // A linked filter's `finding:` terms need detection to have run.
            start_pending_detection(state);
        }
        Response::Window { id, offset, rows } => {
            if state.window_request.get_untracked().map(|(w, _)| w) == Some(id) {
                let generation = state
                    .query
                    .with_untracked(|q| q.as_ref().map_or(0, |q| q.generation));
                state.window.set(crate::state::RowWindow {
                    generation,
                    offset,
                    rows,
                });
                if DETECT_PENDING.with(Cell::get) {
                    // The rows are built in this task; detection starts in the next.
                    gloo_timers::callback::Timeout::new(0, move || start_pending_detection(state))
                        .forget();
                }
            }
        }
        Response::ExportChunk {
            id,
            bytes,
            done,
            total,
        } => {
            if state.export.with_untracked(|e| e.id) == Some(id) {
                EXPORT_CHUNKS.with(|c| {
                    c.borrow_mut()
                        .push(js_sys::Uint8Array::from(bytes.as_slice()))
                });
                state.export.update(|e| {
                    e.done = done;
                    e.total = total;
                });
            }
        }
        Response::ExportDone { id, name, mime } => {
            if state.export.with_untracked(|e| e.id) == Some(id) {
                let parts = js_sys::Array::new();
                EXPORT_CHUNKS.with(|c| {
                    for chunk in c.borrow_mut().drain(..) {
                        parts.push(&chunk);
                    }
                });
                if let Err(e) = crate::download::save_parts(&name, &mime, &parts) {
                    state.error.set(Some(e));
                }
                state.export.set(crate::state::ExportState::default());
            }
        }
        Response::Detected { id, view } => {
            if state.detecting.get_untracked() == Some(id) {
                state.detecting.set(None);
                state.detect.set(Some(std::sync::Arc::new(*view)));
                // `finding:` terms in a linked filter can be answered now.
                if state.query_error.with_untracked(|e| e.is_some()) {
                    run_query(state);
                }
            }
        }
        Response::Record {
            row,
            json,
            file,
            integrity,
            copies,
            ..
        } => {
            if OPENING_LINKED.with(|o| o.get()) && state.record.with_untracked(|r| r.is_some()) {
                // A linked comparison: pin it, keep the detail view on the first event.
                state.compare.update(|c| {
                    if c.len() < crate::components::MAX_COMPARE && !c.iter().any(|(r, _)| *r == row)
                    {
                        c.push((row, json));
                    }
                });
            } else {
                state.record.set(Some(crate::state::OpenRecord {
                    row,
                    json,
                    file,
                    integrity,
                    copies,
                }));
            }
            open_linked_events();
            save_view(state);
        }
        Response::TrustedKeysSet { keys, problems, .. } => {
            state.trusted_keys.set(keys);
            state.trusted_key_problems.set(problems);
            let digests = state
                .totals
                .with_untracked(|t| t.as_ref().map_or(0, |t| t.integrity.digests));
            if digests > 0 && state.loading.get_untracked().is_none() {
                // What is loaded is judged anew with the keys now trusted.
                request_verify(state, &state.verify_choices.get_untracked());
            }
        }
        Response::ResetDone { .. } => {
            DETECT_PENDING.with(|p| p.set(false));
            state.files.set(Vec::new());
            state.totals.set(None);
            state.last_load.set(None);
            state.query.set(None);
            state.window.set(crate::state::RowWindow::default());
            state.record.set(None);
            state.compare.set(Vec::new());
            state.detect.set(None);
            state.verify.set(None);
            state.verify_error.set(None);
        }
        Response::Failed { id, message } => {
            if state.export.with_untracked(|e| e.id) == Some(id) {
                state.export.set(crate::state::ExportState::default());
            }
            if OPENING_LINKED.with(|o| o.get()) {
                // An event the link names is not among the loaded files: say so, go on.
                open_linked_events();
            }
            if state.verifying.get_untracked() == Some(id) {
                state.verifying.set(None);
                state.verify_error.set(Some(message));
            } else {
                state.error.set(Some(message));
            }
        }
    }
}

fn totals_have_events(state: AppState) -> bool {
    state
        .totals
        .with_untracked(|t| t.as_ref().is_some_and(|t| t.events > 0))
}

/// Asks for the next event a link named, if any is left.
fn open_linked_events() {
    let next = PENDING_EVENTS.with(|p| {
        let mut p = p.borrow_mut();
        (!p.is_empty()).then(|| p.remove(0))
    });
    OPENING_LINKED.with(|o| o.set(next.is_some()));
    if let Some(event_id) = next {
        send(&Request::FindEvent {
            id: next_id(),
            event_id,
        });
    }
}
