//! The page's SQL worker: DataFusion in a wasm module of its own, so the page's first load does
//! not carry it. It only decodes messages, calls `trailscope-sql` and posts replies.
//!
//! The events arrive from the store worker over a `MessagePort` as binary event batches
//! (`SqlRequest::Attach`) and are loaded into a store of this worker's own, which the engine
//! reads. A query runs to the end on this thread (on a current-thread Tokio runtime, which also
//! runs the tasks DataFusion spawns for a `UNION`); the page cancels by ending the worker.

use std::cell::RefCell;
use std::sync::Arc;

use js_sys::Reflect;
use trailscope_protocol::merge::RECORDS_IN_WASM_MIB;
use trailscope_protocol::{
    RequestId, SqlColumn, SqlFileFormat, SqlReply, SqlRequest, SqlSample, SqlTable, SQL_EVENT_IDS,
    SQL_ROWS_SHOWN,
};
use trailscope_query::manifest::HashingWriter;
use trailscope_record_spill::spilling_store;
use trailscope_sql::{EngineOptions, SqlAnswer, SqlEngine, SqlError};
use trailscope_store::{EventBatch, FileSummary, Store};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

/// Memory the engine may take beyond the events for sorts, joins and aggregates: a wasm32
/// worker has 4 GiB in all, and the events of a large load already hold a good part of it.
const ENGINE_MEMORY: usize = 1 << 30;

/// What the events may take of this worker's WebAssembly memory (columns, and the records kept
/// inside): with the engine's [`ENGINE_MEMORY`] and the module itself it stays under wasm32's
/// 4 GiB. Past it the hand-over stops with a message rather than the worker dying unannounced.
const EVENTS_IN_WASM_LIMIT: u64 = 2560 << 20;

/// Events between two looks at the arriving store's size (a look walks every dictionary).
const CHECK_SIZE_EVERY_EVENTS: u64 = 250_000;

/// Events being handed over by the store worker.
struct Arriving {
    snapshot: u32,
    store: Store,
    started: f64,
    failed: Option<String>,
    /// Events in the store at the last look at its size.
    checked_at_events: u64,
    /// Keeps the port's message handler alive while events arrive.
    _on_batch: Closure<dyn Fn(MessageEvent)>,
}

#[derive(Default)]
struct Worker {
    engine: Option<SqlEngine>,
    /// The events the engine reads (the Events view's Parquet writes rows of it directly).
    events: Option<Arc<Store>>,
    arriving: Option<Arriving>,
    /// Keeps the handler of a selection's port alive until the selection arrives.
    selection_port: Option<Closure<dyn Fn(MessageEvent)>>,
}

thread_local! {
    static WORKER: RefCell<Worker> = RefCell::new(Worker::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_millis() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

/// Posts a reply as `{reply: <JSON text>}`, with a file's bytes transferred beside it.
fn post_with(reply: &SqlReply, bytes: Option<&[u8]>) {
    let text = match serde_json::to_string(reply) {
        Ok(text) => text,
        Err(e) => {
            web_sys::console::error_1(
                &format!("trailscope sql: cannot encode a reply: {e}").into(),
            );
            return;
        }
    };
    let message = js_sys::Object::new();
    let _ = Reflect::set(&message, &"reply".into(), &text.into());
    let transfer = js_sys::Array::new();
    if let Some(bytes) = bytes {
        let array = js_sys::Uint8Array::from(bytes);
        transfer.push(&array.buffer());
        let _ = Reflect::set(&message, &"bytes".into(), &array);
    }
    if let Err(e) = scope().post_message_with_transfer(&message, &transfer) {
        web_sys::console::error_2(&"trailscope sql: cannot post".into(), &e);
    }
}

fn post(reply: &SqlReply) {
    post_with(reply, None);
}

fn main() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        handle_request(&event.data());
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // lives as long as the worker
    post(&SqlReply::Started {
        columns: trailscope_sql::column_paths()
            .into_iter()
            .map(|(path, kind)| SqlColumn { path, kind })
            .collect(),
        samples: trailscope_sql::SAMPLE_QUERIES
            .iter()
            .map(|(title, sql)| SqlSample {
                title: (*title).to_string(),
                sql: (*sql).to_string(),
            })
            .collect(),
    });
}

fn handle_request(data: &JsValue) {
    let text = Reflect::get(data, &"request".into())
        .ok()
        .and_then(|r| r.as_string())
        .unwrap_or_default();
    let request: SqlRequest = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            web_sys::console::error_1(&format!("trailscope sql: unreadable request: {e}").into());
            return;
        }
    };
    match request {
        SqlRequest::Attach {
            snapshot,
            records_in_wasm_mib,
        } => {
            let port = Reflect::get(data, &"port".into())
                .ok()
                .and_then(|p| p.dyn_into::<MessagePort>().ok());
            match port {
                Some(port) => attach(
                    snapshot,
                    records_in_wasm_mib.unwrap_or(RECORDS_IN_WASM_MIB),
                    &port,
                ),
                None => post(&SqlReply::LoadFailed {
                    snapshot,
                    message: "no port to receive the events from".into(),
                }),
            }
        }
        SqlRequest::Run { id, sql, sort } => {
            let started = now_millis();
            let sql = match sort {
                Some(s) => trailscope_sql::sorted_by(&sql, s.column as usize, s.descending),
                None => sql,
            };
            let reply = match run(&sql).and_then(|answer| {
                trailscope_sql::to_cells(&answer, SQL_ROWS_SHOWN, SQL_EVENT_IDS)
                    .map_err(SqlError::from_datafusion)
            }) {
                Ok(cells) => SqlReply::Rows {
                    id,
                    table: SqlTable {
                        columns: cells.columns,
                        types: cells.types,
                        shown_rows: cells.rows.len() as u64,
                        rows_json: serde_json::to_string(&cells.rows).unwrap_or_default(),
                        total_rows: cells.total_rows,
                        event_ids: cells.event_ids,
                    },
                    millis: now_millis() - started,
                },
                Err(e) => failed(id, e),
            };
            post(&reply);
        }
        SqlRequest::DownloadEvents { id } => {
            let port = Reflect::get(data, &"port".into())
                .ok()
                .and_then(|p| p.dyn_into::<MessagePort>().ok());
            match port {
                Some(port) => await_selection(id, &port),
                None => post(&failed(
                    id,
                    SqlError::plain("no port to receive the selection"),
                )),
            }
        }
        SqlRequest::Download { id, sql, format } => {
            match run(&sql).and_then(|answer| file_bytes(&answer, format)) {
                Ok(bytes) => post_with(
                    &SqlReply::File {
                        id,
                        format,
                        size: bytes.len() as u64,
                        sha256: None,
                    },
                    Some(&bytes),
                ),
                Err(e) => post(&failed(id, e)),
            }
        }
    }
}

fn failed(id: RequestId, e: SqlError) -> SqlReply {
    SqlReply::Failed {
        id,
        message: e.message,
        line: e.line.and_then(|l| u32::try_from(l).ok()),
        column: e.column.and_then(|c| u32::try_from(c).ok()),
    }
}

/// Runs one query to the end on this thread.
fn run(sql: &str) -> Result<SqlAnswer, SqlError> {
    WORKER.with(|w| {
        let worker = w.borrow();
        let Some(engine) = worker.engine.as_ref() else {
            return Err(SqlError::plain(if worker.arriving.is_some() {
                "the events are still being handed to SQL; run the query again in a moment"
            } else {
                "no events are loaded"
            }));
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| SqlError::plain(format!("cannot start the query runtime: {e}")))?;
        runtime.block_on(engine.run(sql))
    })
}

fn file_bytes(answer: &SqlAnswer, format: SqlFileFormat) -> Result<Vec<u8>, SqlError> {
    match format {
        SqlFileFormat::Csv => trailscope_sql::to_csv(answer)
            .map(String::into_bytes)
            .map_err(SqlError::from_datafusion),
        SqlFileFormat::Json => trailscope_sql::to_json(answer)
            .map(String::into_bytes)
            .map_err(SqlError::from_datafusion),
        SqlFileFormat::Parquet => {
            let mut bytes = Vec::new();
            trailscope_sql::write_parquet(answer, &mut bytes)
                .map_err(|e| SqlError::plain(format!("cannot write Parquet: {e}")))?;
            Ok(bytes)
        }
    }
}

/// Waits for the store worker's selection on `port`, then writes those events as Parquet.
fn await_selection(id: RequestId, port: &MessagePort) {
    let on_rows = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        match selected_events_parquet(&event.data()) {
            Ok((bytes, sha256)) => post_with(
                &SqlReply::File {
                    id,
                    format: SqlFileFormat::Parquet,
                    size: bytes.len() as u64,
                    sha256: Some(sha256),
                },
                Some(&bytes),
            ),
            Err(e) => post(&failed(id, e)),
        }
    });
    port.set_onmessage(Some(on_rows.as_ref().unchecked_ref()));
    // Kept until the next download replaces it (a handler cannot drop itself while it runs).
    WORKER.with(|w| w.borrow_mut().selection_port = Some(on_rows));
}

/// One Parquet file of the rows in `{rows, events}` (or the store worker's `{error}`), with its
/// SHA-256 for the export's manifest.
fn selected_events_parquet(data: &JsValue) -> Result<(Vec<u8>, String), SqlError> {
    if let Some(error) = Reflect::get(data, &"error".into())
        .ok()
        .and_then(|e| e.as_string())
    {
        return Err(SqlError::plain(error));
    }
    let rows = Reflect::get(data, &"rows".into())
        .ok()
        .and_then(|r| r.dyn_into::<js_sys::Uint32Array>().ok())
        .ok_or_else(|| SqlError::plain("the selection did not arrive"))?
        .to_vec();
    let expected = Reflect::get(data, &"events".into())
        .ok()
        .and_then(|e| e.as_f64())
        .unwrap_or(-1.0);
    let store = WORKER
        .with(|w| w.borrow().events.clone())
        .ok_or_else(|| SqlError::plain("no events are loaded"))?;
    // Row numbers name the same events only in a copy of the same events.
    if store.len() as f64 != expected {
        return Err(SqlError::plain(format!(
            "the events changed while the file was asked for ({} here, {expected} loaded); try again",
            store.len()
        )));
    }
    let rows: Vec<usize> = rows.into_iter().map(|r| r as usize).collect();
    if rows.iter().any(|&r| r >= store.len()) || !rows.is_sorted() {
        return Err(SqlError::plain(
            "the selection names rows that are not loaded",
        ));
    }
    // Hashed as it is written, so the file is never read twice.
    let mut out = HashingWriter::new(Vec::new());
    trailscope_sql::write_events(&store, &rows, &mut out)
        .map_err(|e| SqlError::plain(format!("cannot write Parquet: {e}")))?;
    let (bytes, _, sha256) = out.finish();
    Ok((bytes, sha256))
}

/// Starts receiving snapshot `snapshot` over `port`. The old events and their engine go first:
/// the page holds its requests until the new events are in, and two copies of a large trail
/// would not fit in the worker's memory. Compressed records past `records_in_wasm_mib` are kept
/// in the worker's JS heap, as the store worker keeps them.
fn attach(snapshot: u32, records_in_wasm_mib: u64, port: &MessagePort) {
    let on_batch = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        receive(snapshot, &event.data());
    });
    port.set_onmessage(Some(on_batch.as_ref().unchecked_ref()));
    WORKER.with(|w| {
        let mut worker = w.borrow_mut();
        worker.engine = None;
        worker.events = None;
        worker.arriving = Some(Arriving {
            snapshot,
            store: spilling_store(records_in_wasm_mib),
            started: now_millis(),
            failed: None,
            checked_at_events: 0,
            _on_batch: on_batch,
        });
    });
}

/// Why the events stopped arriving at `events` events taking `in_wasm` bytes.
fn too_large(events: u64, in_wasm: u64) -> String {
    format!(
        "the events do not fit in the SQL engine's memory: {events} events already took \
         {} MiB of its {} MiB for events. Run SQL on this trail with the command line, which \
         streams Parquet: trailscope export --format parquet --out DIR PATH..., then \
         trailscope sql DIR -q '...'",
        in_wasm >> 20,
        EVENTS_IN_WASM_LIMIT >> 20
    )
}

/// One message of the hand-over: a batch (a `Uint8Array`), or `{done: true, events}`.
fn receive(snapshot: u32, data: &JsValue) {
    WORKER.with(|w| {
        let mut worker = w.borrow_mut();
        let Some(arriving) = worker.arriving.as_mut().filter(|a| a.snapshot == snapshot) else {
            return; // an older hand-over, replaced
        };
        if let Some(bytes) = data.dyn_ref::<js_sys::Uint8Array>() {
            if arriving.failed.is_some() {
                return;
            }
            match EventBatch::from_bytes(&bytes.to_vec()) {
                Ok(batch) => {
                    let rows = batch.len() as u64;
                    let part = arriving.store.files().len();
                    // Listed as a file of the worker's store, never shown.
                    arriving.store.add_file(
                        &format!("part {part}"),
                        FileSummary::of_events(rows),
                        vec![batch],
                    );
                }
                Err(e) => arriving.failed = Some(e.to_string()),
            }
            let events = arriving.store.len() as u64;
            if arriving.failed.is_none()
                && events >= arriving.checked_at_events + CHECK_SIZE_EVERY_EVENTS
            {
                arriving.checked_at_events = events;
                let in_wasm = (arriving.store.memory().columns_bytes as u64)
                    .saturating_add(arriving.store.records().heap_bytes() as u64);
                if in_wasm > EVENTS_IN_WASM_LIMIT {
                    arriving.failed = Some(too_large(events, in_wasm));
                    // Let the events go now: the rest of the hand-over is only drained.
                    arriving.store = Store::new();
                }
            }
            return;
        }
        let done = Reflect::get(data, &"done".into()).is_ok_and(|d| d.is_truthy());
        if !done {
            return;
        }
        let expected = Reflect::get(data, &"events".into())
            .ok()
            .and_then(|e| e.as_f64())
            .unwrap_or(0.0) as u64;
        let Some(arriving) = worker.arriving.take() else {
            return;
        };
        let events = arriving.store.len() as u64;
        let failure = arriving.failed.clone().or_else(|| {
            (events != expected)
                .then(|| format!("{events} events arrived where the store holds {expected}"))
        });
        if let Some(message) = failure {
            worker.engine = None;
            worker.events = None;
            post(&SqlReply::LoadFailed { snapshot, message });
            return;
        }
        let options = EngineOptions {
            memory_limit_bytes: ENGINE_MEMORY,
            partitions: 1,
        };
        let records_outside_wasm_bytes = arriving.store.memory().records_spilled_bytes;
        let store = Arc::new(arriving.store);
        match SqlEngine::over_store(store.clone(), options) {
            Ok(engine) => {
                worker.engine = Some(engine);
                worker.events = Some(store);
                post(&SqlReply::Loaded {
                    snapshot,
                    events,
                    millis: now_millis() - arriving.started,
                    records_outside_wasm_bytes,
                });
            }
            Err(e) => {
                worker.engine = None;
                worker.events = None;
                post(&SqlReply::LoadFailed {
                    snapshot,
                    message: e.message,
                });
            }
        }
    });
}
