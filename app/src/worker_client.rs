//! The only code that talks to the worker: starts it, sends requests, turns replies into state.

use std::cell::{Cell, RefCell};

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

/// Files per `Load` message: cloning a `File` into the worker costs the main thread about
/// 0.3 ms, so batches of this size keep every main-thread task well under 50 ms.
const FILES_PER_BATCH: usize = 24;

/// Loads `files` (display path, handle) into the worker's store.
pub fn load(state: AppState, files: Vec<(String, File)>) {
    if files.is_empty() || state.loading.get_untracked().is_some() {
        return;
    }
    let id = next_id();
    let total_files = files.len() as u64;
    state.loading.set(Some(id));
    state.cancelling.set(false);
    state.last_load.set(None);
    state.progress.set(Default::default());
    let mut batches: std::collections::VecDeque<Vec<(String, File)>> = files
        .chunks(FILES_PER_BATCH)
        .map(<[(String, File)]>::to_vec)
        .collect();
    send_batches(id, total_files, std::mem::take(&mut batches));
}

/// Posts one batch now and the rest each in a later task of its own.
fn send_batches(
    id: RequestId,
    total_files: u64,
    mut batches: std::collections::VecDeque<Vec<(String, File)>>,
) {
    let Some(batch) = batches.pop_front() else {
        return;
    };
    let handles = Array::new();
    let mut paths = Vec::with_capacity(batch.len());
    for (path, file) in batch {
        paths.push(path);
        handles.push(&file);
    }
    let last = batches.is_empty();
    send(
        &Request::Load {
            id,
            paths,
            total_files,
            last,
        },
        Some(&handles),
    );
    if !last {
        gloo_timers::callback::Timeout::new(0, move || send_batches(id, total_files, batches))
            .forget();
    }
}

/// Asks the worker to stop the load in progress.
pub fn cancel(state: AppState) {
    state.cancelling.set(true);
    send(&Request::Cancel { id: next_id() }, None);
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
