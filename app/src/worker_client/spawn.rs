//! Starting the workers and posting to them: one store worker, one parser per core, connected by
//! `MessageChannel`s, each told its role first.

use crate::state::AppState;
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use trailscope_protocol::{ParseEvent, Request, RequestId, Response, Role};
use wasm_bindgen::prelude::*;
use web_sys::{MessageChannel, MessageEvent, Url, Worker};

use super::*;

thread_local! {
    pub(super) static STORE: RefCell<Option<Worker>> = const { RefCell::new(None) };
    pub(super) static PARSERS: RefCell<Vec<Worker>> = const { RefCell::new(Vec::new()) };
    pub(super) static WORKERS_READY: Cell<usize> = const { Cell::new(0) };
    pub(super) static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// The script that starts a worker (it loads `trailscope-worker.js` and its wasm, which Trunk
/// emits next to the page).
pub(super) const WORKER_BOOT: &str = "worker-boot.js";

/// Parsers at most, whatever the core count.
pub(super) const MAX_PARSERS: usize = 4;

pub(super) fn next_id() -> RequestId {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        RequestId(id)
    })
}

pub(super) fn now_millis() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// How many parsers to run: one per core the browser reports, within reason.
pub(super) fn parser_count() -> usize {
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

pub(super) fn spawn_all(state: AppState) -> Result<(), String> {
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

pub(super) fn init(
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

pub(super) fn watch_errors(worker: &Worker, state: AppState) {
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
pub(super) fn spawn() -> Result<Worker, String> {
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

pub(super) fn post<T: Serialize>(worker: &Worker, request: &T, files: Option<&Array>) {
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

pub(super) fn send(request: &Request) {
    STORE.with(|s| {
        if let Some(store) = s.borrow().as_ref() {
            post(store, request, None);
        }
    });
}

/// Forgets everything loaded.
pub fn reset() {
    send(&Request::Reset { id: next_id() });
}

pub(super) fn worker_ready(state: AppState) {
    let ready = WORKERS_READY.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let expected = 1 + PARSERS.with(|p| p.borrow().len());
    if ready >= expected {
        state.ready.set(true);
        open_if_wanted();
    }
}
