//! The Web Worker: owns the store and does all the heavy work (reading, decompressing, parsing,
//! indexing), so the page never freezes. It only decodes requests, calls the core and posts replies.

mod blob;
mod load;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use trailscope_protocol::{Request, RequestId, Response};
use trailscope_store::{Store, TimeOrder};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

/// Everything the worker holds between messages.
#[derive(Default)]
pub(crate) struct WorkerState {
    pub(crate) store: Store,
    /// Set by a cancel request; the load job checks it between chunks.
    pub(crate) cancel: bool,
    pub(crate) loading: Option<RequestId>,
    /// Files of the current load that arrived and are not yet read.
    pub(crate) queue: VecDeque<(String, File)>,
    /// Whether the last batch of the current load has arrived.
    pub(crate) queue_complete: bool,
    /// Bytes of all files of the current load received so far.
    pub(crate) queue_bytes: u64,
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts a response to the page. A message that cannot be encoded is reported as a failure.
pub(crate) fn post(response: &Response) {
    match serde_wasm_bindgen::to_value(response) {
        Ok(value) => {
            if let Err(e) = scope().post_message(&value) {
                web_sys::console::error_2(&"trailscope worker: cannot post".into(), &e);
            }
        }
        Err(e) => web_sys::console::error_1(
            &format!("trailscope worker: cannot encode a reply: {e}").into(),
        ),
    }
}

pub(crate) fn now_millis() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

/// Lets the worker's event loop run (so a cancel request can arrive).
pub(crate) async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Starts the worker: installs the message handler and tells the page it is ready.
pub fn start() {
    console_error_panic_hook::set_once();
    let state = Rc::new(RefCell::new(WorkerState::default()));
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        handle(&state, event.data());
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    handler.forget();
    post(&Response::Ready);
}

fn handle(state: &Rc<RefCell<WorkerState>>, data: JsValue) {
    let message = Reflect::get(&data, &"request".into()).unwrap_or(JsValue::UNDEFINED);
    let request: Request = match serde_wasm_bindgen::from_value(message) {
        Ok(r) => r,
        Err(e) => {
            web_sys::console::error_1(
                &format!("trailscope worker: unreadable request: {e}").into(),
            );
            return;
        }
    };
    match request {
        Request::Load {
            id,
            paths,
            total_files,
            last,
        } => {
            let files = Reflect::get(&data, &"files".into())
                .map(|v| Array::from(&v))
                .unwrap_or_default();
            let files: Vec<(String, File)> = paths
                .into_iter()
                .zip(files.iter())
                .filter_map(|(path, f)| f.dyn_into::<File>().ok().map(|f| (path, f)))
                .collect();
            let bytes: u64 = files.iter().map(|(_, f)| f.size() as u64).sum();
            let mut st = state.borrow_mut();
            match st.loading {
                Some(running) if running == id => {
                    st.queue.extend(files);
                    st.queue_complete = last;
                    st.queue_bytes += bytes;
                }
                Some(_) => post(&Response::Failed {
                    id,
                    message: "a load is already running".into(),
                }),
                None => {
                    st.loading = Some(id);
                    st.queue = files.into();
                    st.queue_complete = last;
                    st.queue_bytes = bytes;
                    drop(st);
                    wasm_bindgen_futures::spawn_local(load::run(state.clone(), id, total_files));
                }
            }
        }
        Request::Cancel { .. } => {
            let mut st = state.borrow_mut();
            if st.loading.is_some() {
                st.cancel = true;
            }
        }
        Request::Page {
            id,
            offset,
            limit,
            newest_first,
        } => {
            let order = if newest_first {
                TimeOrder::NewestFirst
            } else {
                TimeOrder::OldestFirst
            };
            let mut st = state.borrow_mut();
            let offset_rows = usize::try_from(offset).unwrap_or(usize::MAX);
            let rows = st.store.page(offset_rows, limit as usize, order);
            let total = st.store.len() as u64;
            let rows = rows.into_iter().map(trailscope_protocol::row).collect();
            post(&Response::Page {
                id,
                offset,
                rows,
                total,
            });
        }
        Request::Record { id, row } => match state.borrow().store.raw(row as usize) {
            Some(json) => post(&Response::Record { id, row, json }),
            None => post(&Response::Failed {
                id,
                message: format!("no event at row {row}"),
            }),
        },
        Request::Reset { id } => {
            let mut st = state.borrow_mut();
            if st.loading.is_some() {
                post(&Response::Failed {
                    id,
                    message: "cannot clear while loading; cancel first".into(),
                });
                return;
            }
            st.store = Store::new();
            post(&Response::ResetDone { id });
        }
    }
}
