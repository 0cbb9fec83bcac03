//! The only code that talks to the worker: starts it, sends requests, turns replies into state.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use trailscope_protocol::{Request, RequestId, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, File, MessageEvent, Url, Worker};

use crate::state::{AppState, LoadSummary, PageView, PAGE_ROWS};

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// Names of the worker's script and wasm as Trunk emits them next to the page.
const WORKER_SCRIPT: &str = "trailscope-worker.js";
const WORKER_WASM: &str = "trailscope-worker_bg.wasm";

fn next_id() -> RequestId {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        RequestId(id)
    })
}

/// Starts the worker and routes its replies into `state`.
pub fn start(state: AppState) {
    match spawn() {
        Ok(worker) => {
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
                match serde_wasm_bindgen::from_value::<Response>(event.data()) {
                    Ok(response) => apply(state, response),
                    Err(e) => state
                        .error
                        .set(Some(format!("unreadable reply from the worker: {e}"))),
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget(); // lives as long as the page
            let on_error =
                Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
                    state
                        .error
                        .set(Some(format!("the worker stopped: {}", event.message())));
                    state.loading.set(None);
                });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            WORKER.with(|w| *w.borrow_mut() = Some(worker));
        }
        Err(message) => state.error.set(Some(message)),
    }
}

/// The worker runs from a tiny classic script that loads Trunk's no-modules bundle by URLs
/// resolved against the page, so the page works from any folder of any static server.
fn spawn() -> Result<Worker, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let base = document.base_uri().ok().flatten().ok_or("no base URL")?;
    let script_url = Url::new_with_base(WORKER_SCRIPT, &base)
        .map_err(|_| "bad worker URL")?
        .href();
    let wasm_url = Url::new_with_base(WORKER_WASM, &base)
        .map_err(|_| "bad worker URL")?
        .href();
    let source = format!(
        "importScripts({script_url:?});\nwasm_bindgen({{ module_or_path: {wasm_url:?} }});\n"
    );
    let parts = Array::of1(&JsValue::from_str(&source));
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "cannot build the worker script")?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|_| "cannot build the worker URL")?;
    Worker::new(&url).map_err(|e| format!("cannot start the worker: {e:?}"))
}

fn send(request: &Request, files: Option<&Array>) {
    let Ok(encoded) = serde_wasm_bindgen::to_value(request) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"request".into(), &encoded);
    if let Some(files) = files {
        let _ = Reflect::set(&message, &"files".into(), files);
    }
    WORKER.with(|w| {
        if let Some(worker) = w.borrow().as_ref() {
            if let Err(e) = worker.post_message(&message) {
                web_sys::console::error_2(&"trailscope: cannot reach the worker".into(), &e);
            }
        }
    });
}

/// Files handed over per message at most.
const FILES_PER_BATCH: usize = 64;
/// Main-thread time one hand-over task should take. Cloning a `File` into the worker costs the
/// main thread 0.3 to 3 ms (measured), so the batch size adapts to the measured cost.
const BATCH_MILLIS: f64 = 15.0;

/// Batches of the current load not yet handed to the worker.
struct Outbox {
    id: RequestId,
    total_files: u64,
    files: VecDeque<(String, File)>,
    /// Files never handed over because the load was cancelled.
    withheld: Vec<String>,
}

thread_local! {
    static OUTBOX: RefCell<Option<Outbox>> = const { RefCell::new(None) };
    /// Measured main-thread cost of handing one file over, in milliseconds.
    static MILLIS_PER_FILE: Cell<f64> = const { Cell::new(2.0) };
}

/// Loads `files` (display path, handle) into the worker's store.
pub fn load(state: AppState, files: Vec<(String, File)>) {
    if files.is_empty() || state.loading.get_untracked().is_some() {
        return;
    }
    let id = next_id();
    state.loading.set(Some(id));
    state.cancelling.set(false);
    state.last_load.set(None);
    state.progress.set(Default::default());
    let total_files = files.len() as u64;
    OUTBOX.with(|o| {
        *o.borrow_mut() = Some(Outbox {
            id,
            total_files,
            files: files.into(),
            withheld: Vec::new(),
        })
    });
    send_next_batch();
}

/// Posts one message of files now and schedules the next in a task of its own.
fn send_next_batch() {
    let started = now_millis();
    let Some((id, total_files)) =
        OUTBOX.with(|o| o.borrow().as_ref().map(|o| (o.id, o.total_files)))
    else {
        return;
    };
    let handles = Array::new();
    let mut paths = Vec::new();
    let mut last = false;
    let per_file = MILLIS_PER_FILE.with(Cell::get);
    let size = ((BATCH_MILLIS / per_file) as usize).clamp(1, FILES_PER_BATCH);
    while paths.len() < size {
        let next = OUTBOX.with(|o| o.borrow_mut().as_mut().and_then(|o| o.files.pop_front()));
        let Some((path, file)) = next else { break };
        paths.push(path);
        handles.push(&file);
        last = OUTBOX.with(|o| o.borrow().as_ref().is_none_or(|o| o.files.is_empty()));
        if last {
            break;
        }
    }
    if paths.is_empty() {
        return;
    }
    let count = paths.len() as f64;
    send(
        &Request::Load {
            id,
            paths,
            total_files,
            last,
        },
        Some(&handles),
    );
    let measured = (now_millis() - started) / count;
    MILLIS_PER_FILE.with(|m| m.set((m.get() * 0.5 + measured * 0.5).max(0.05)));
    if !last {
        gloo_timers::callback::Timeout::new(0, send_next_batch).forget();
    }
}

fn now_millis() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Asks the worker to stop the load in progress. Files not yet handed over are withheld, and the
/// worker is told that the batch it has is the last.
pub fn cancel(state: AppState) {
    state.cancelling.set(true);
    let unsent = OUTBOX.with(|o| {
        let mut outbox = o.borrow_mut();
        let outbox = outbox.as_mut()?;
        let unsent: Vec<String> = outbox.files.drain(..).map(|(path, _)| path).collect();
        outbox.withheld.extend(unsent);
        Some((outbox.id, outbox.total_files))
    });
    send(&Request::Cancel { id: next_id() }, None);
    if let Some((id, total_files)) = unsent {
        send(
            &Request::Load {
                id,
                paths: Vec::new(),
                total_files,
                last: true,
            },
            Some(&Array::new()),
        );
    }
}

/// Asks for the table page starting at `offset`.
pub fn request_page(state: AppState, offset: u64) {
    let id = next_id();
    state.page_request.set(Some(id));
    let newest_first = state.newest_first.get_untracked();
    send(
        &Request::Page {
            id,
            offset,
            limit: PAGE_ROWS,
            newest_first,
        },
        None,
    );
}

/// Asks for the original JSON of an event.
pub fn request_record(row: u32) {
    send(&Request::Record { id: next_id(), row }, None);
}

/// Forgets everything loaded.
pub fn reset() {
    send(&Request::Reset { id: next_id() }, None);
}

fn apply(state: AppState, response: Response) {
    match response {
        Response::Ready => state.ready.set(true),
        Response::Progress { progress, .. } => state.progress.set(progress),
        Response::FilesDone { files, .. } => state.files.update(|all| all.extend(files)),
        Response::LoadDone {
            cancelled,
            not_read,
            totals,
            elapsed_millis,
            ..
        } => {
            state.loading.set(None);
            state.cancelling.set(false);
            state.totals.set(Some(totals));
            state.last_load.set(Some(LoadSummary {
                cancelled,
                not_read,
                elapsed_millis,
            }));
            state.loads.update(|n| *n += 1);
            request_page(state, 0);
        }
        Response::Page {
            id,
            offset,
            rows,
            total,
        } => {
            if state.page_request.get_untracked() == Some(id) {
                state.page.set(PageView {
                    offset,
                    rows,
                    total,
                });
            }
        }
        Response::Record { row, json, .. } => state.record.set(Some((row, json))),
        Response::ResetDone { .. } => {
            state.files.set(Vec::new());
            state.totals.set(None);
            state.last_load.set(None);
            state.page.set(PageView::default());
            state.record.set(None);
        }
        Response::Failed { message, .. } => state.error.set(Some(message)),
    }
}
