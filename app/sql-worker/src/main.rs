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
use trailscope_model::FileKind;
use trailscope_protocol::{
    RequestId, SqlColumn, SqlFileFormat, SqlReply, SqlRequest, SqlSample, SqlTable, SQL_EVENT_IDS,
    SQL_ROWS_SHOWN,
};
use trailscope_sql::{EngineOptions, SqlAnswer, SqlEngine, SqlError};
use trailscope_store::{EventBatch, FileSummary, Store};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

/// Memory the engine may take beyond the events for sorts, joins and aggregates: a wasm32
/// worker has 4 GiB in all, and the events of a large load already hold a good part of it.
const ENGINE_MEMORY: usize = 1 << 30;

/// Events being handed over by the store worker.
struct Arriving {
    snapshot: u32,
    store: Store,
    started: f64,
    failed: Option<String>,
    /// Keeps the port's message handler alive while events arrive.
    _on_batch: Closure<dyn Fn(MessageEvent)>,
}

#[derive(Default)]
struct Worker {
    engine: Option<SqlEngine>,
    arriving: Option<Arriving>,
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
        SqlRequest::Attach { snapshot } => {
            let port = Reflect::get(data, &"port".into())
                .ok()
                .and_then(|p| p.dyn_into::<MessagePort>().ok());
            match port {
                Some(port) => attach(snapshot, &port),
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
        SqlRequest::Download { id, sql, format } => {
            match run(&sql).and_then(|answer| file_bytes(&answer, format)) {
                Ok(bytes) => post_with(
                    &SqlReply::File {
                        id,
                        format,
                        size: bytes.len() as u64,
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

/// Starts receiving snapshot `snapshot` over `port`; the engine answers over the old events
/// until the new ones are all in.
fn attach(snapshot: u32, port: &MessagePort) {
    let on_batch = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        receive(snapshot, &event.data());
    });
    port.set_onmessage(Some(on_batch.as_ref().unchecked_ref()));
    WORKER.with(|w| {
        w.borrow_mut().arriving = Some(Arriving {
            snapshot,
            store: Store::new(),
            started: now_millis(),
            failed: None,
            _on_batch: on_batch,
        });
    });
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
                    arriving.store.add_file(
                        &format!("part {part}"),
                        part_summary(rows),
                        vec![batch],
                    );
                }
                Err(e) => arriving.failed = Some(e.to_string()),
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
            post(&SqlReply::LoadFailed { snapshot, message });
            return;
        }
        let options = EngineOptions {
            memory_limit_bytes: ENGINE_MEMORY,
            partitions: 1,
        };
        match SqlEngine::over_store(Arc::new(arriving.store), options) {
            Ok(engine) => {
                worker.engine = Some(engine);
                post(&SqlReply::Loaded {
                    snapshot,
                    events,
                    millis: now_millis() - arriving.started,
                });
            }
            Err(e) => {
                worker.engine = None;
                post(&SqlReply::LoadFailed {
                    snapshot,
                    message: e.message,
                });
            }
        }
    });
}

/// A batch of the hand-over, listed as a file of the worker's store (never shown).
fn part_summary(events: u64) -> FileSummary {
    FileSummary {
        kind: FileKind::CloudTrailLog,
        events,
        skipped_records: 0,
        skipped_examples: Vec::new(),
        time_notes: Default::default(),
        stored_bytes: 0,
        text_bytes: 0,
        error: None,
        warnings: Vec::new(),
        foreign: false,
    }
}
