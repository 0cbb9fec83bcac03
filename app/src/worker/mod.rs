//! The Web Workers: all the heavy work (reading, decompressing, parsing, indexing) runs here, so
//! the page never freezes. One binary serves both roles, chosen by the first message: the store
//! (`store_host`) and the parsers (`parser`). They only decode messages, call the core and
//! post replies.

mod blob;
mod detections;
pub mod fast_hash;
mod integrity;
mod parser;
mod queries;
mod store_host;
mod workspace;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use serde::Serialize;
use trailscope_protocol::{ParseEvent, Response, Role};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts a message to the page. One that cannot be encoded is reported on the console.
pub(crate) fn post_to_page<T: Serialize>(message: &T) {
    match serde_wasm_bindgen::to_value(message) {
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

/// Posts a large reply (query results, row windows, a verification report) as JSON text. The
/// page decodes it on its main thread, where `serde_json` over one string takes a fraction of
/// the time `serde-wasm-bindgen` takes to walk the same data as JS objects (measured: 22 ms for
/// one query's facets and rows, enough to make a frame drop). Only for replies whose numbers
/// are finite by construction: JSON has no NaN or infinity (see [`post_json_or_objects`]).
pub(crate) fn post_json_to_page(message: &Response) {
    match serde_json::to_string(message) {
        Ok(text) => post_text(&text),
        Err(_) => post_to_page(message),
    }
}

/// [`post_json_to_page`] for a reply with computed floating-point numbers (findings and
/// anomalies, once per load): one that does not survive the trip through JSON unchanged goes
/// as objects instead.
pub(crate) fn post_json_or_objects(message: &Response) {
    match serde_json::to_string(message) {
        Ok(text) if serde_json::from_str::<Response>(&text).ok().as_ref() == Some(message) => {
            post_text(&text)
        }
        _ => post_to_page(message),
    }
}

fn post_text(text: &str) {
    if let Err(e) = scope().post_message(&JsValue::from_str(text)) {
        web_sys::console::error_2(&"trailscope worker: cannot post".into(), &e);
    }
}

pub(crate) fn now_millis() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

/// Lets the worker's event loop run (so a cancel or more files can arrive).
pub(crate) async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Starts a worker: it waits for its role, then serves it.
pub fn start() {
    console_error_panic_hook::set_once();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let role = Reflect::get(&data, &"role".into())
            .ok()
            .and_then(|r| serde_wasm_bindgen::from_value::<Role>(r).ok());
        match role {
            Some(Role::Store) => become_store(&data),
            Some(Role::Parser { index }) => become_parser(index, &data),
            None => web_sys::console::error_1(
                &"trailscope worker: the first message must give a role".into(),
            ),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler is replaced when the role arrives; until then it must live.
    handler.forget();
}

fn become_store(data: &JsValue) {
    let host = Rc::new(RefCell::new(store_host::StoreHost::new()));
    let ports = Reflect::get(data, &"ports".into())
        .map(|v| Array::from(&v))
        .unwrap_or_default();
    for port in ports.iter() {
        let Ok(port) = port.dyn_into::<MessagePort>() else {
            continue;
        };
        let host = host.clone();
        let on_parsed = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            store_host::handle_parsed(&host, &e.data());
            detections::schedule_text_index(&host);
        });
        port.set_onmessage(Some(on_parsed.as_ref().unchecked_ref()));
        on_parsed.forget(); // lives as long as the worker
    }
    let on_request = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
        store_host::handle_request(&host, &e.data());
        detections::schedule_text_index(&host);
    });
    scope().set_onmessage(Some(on_request.as_ref().unchecked_ref()));
    on_request.forget();
    post_to_page(&Response::Ready);
}

fn become_parser(index: u32, data: &JsValue) {
    let Some(port) = Reflect::get(data, &"port".into())
        .ok()
        .and_then(|p| p.dyn_into::<MessagePort>().ok())
    else {
        web_sys::console::error_1(&"trailscope parser: no port to the store".into());
        return;
    };
    let state = Rc::new(RefCell::new(parser::ParserState::new(index, port)));
    let on_request = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
        parser::handle(&state, &e.data());
    });
    scope().set_onmessage(Some(on_request.as_ref().unchecked_ref()));
    on_request.forget();
    post_to_page(&ParseEvent::Ready { parser: index });
}
