//! The SQL worker: started when the SQL tab first opens (its module carries the SQL engine, which
//! the page's first load does not), given the events by the store worker over a
//! `MessageChannel`, asked to run queries, ended to cancel one.

use crate::state::{AppState, SqlFailure, SqlPhase, SqlResult};
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use trailscope_protocol::{Request, RequestId, SqlFileFormat, SqlReply, SqlRequest, SqlSort};
use trailscope_query::manifest::OutputFile;
use wasm_bindgen::prelude::*;
use web_sys::{MessageChannel, MessageEvent, Url, Worker};

use super::*;

/// The script that starts the SQL worker (it loads `trailscope-sql-worker.js` and its wasm).
const SQL_WORKER_BOOT: &str = "sql-worker-boot.js";

thread_local! {
    static SQL: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// The last snapshot handed over, and the loads count and event total it was taken at.
    static SNAPSHOT: Cell<(u32, Option<(u32, u64)>)> = const { Cell::new((0, None)) };
    /// When the worker (or the last hand-over) started, for the ready time.
    static STARTED: Cell<f64> = const { Cell::new(0.0) };
    /// The loads count and event total of events the worker could not take (too large, or
    /// damaged): the same events are not handed over again, other events are, to a new worker.
    static LOAD_FAILED_AT: Cell<Option<(u32, u64)>> = const { Cell::new(None) };
    /// A request asked for before the events were in (with the port that travels beside it),
    /// sent once they are.
    static WAITING: RefCell<Option<(SqlRequest, Option<JsValue>)>> = const { RefCell::new(None) };
    /// The Events view's Parquet download in flight.
    static EVENTS_PARQUET: Cell<Option<RequestId>> = const { Cell::new(None) };
    /// The filter of the selection it writes, as it was when asked for (the file is named after
    /// it, even if another query runs while the file is written).
    static EVENTS_PARQUET_FILTER: RefCell<String> = const { RefCell::new(String::new()) };
    /// That download's manifest as the store worker drafted it, and its file as the SQL worker
    /// wrote it: they come from two workers, in either order.
    static PARQUET_MANIFEST: RefCell<ParquetManifestHalves> = const { RefCell::new((None, None)) };
}

/// The Parquet download's drafted manifest and its written file, each with its request.
type ParquetManifestHalves = (Option<(RequestId, String)>, Option<(RequestId, OutputFile)>);

/// The store worker's manifest of the selection it sent for the Events view's Parquet.
pub(super) fn selection_manifest_arrived(state: AppState, id: RequestId, manifest: String) {
    PARQUET_MANIFEST.with(|m| m.borrow_mut().0 = Some((id, manifest)));
    offer_parquet_manifest(state);
}

/// Offers the Parquet download's manifest beside the export buttons once both halves are in.
fn offer_parquet_manifest(state: AppState) {
    let halves = PARQUET_MANIFEST.with(|m| {
        let mut m = m.borrow_mut();
        match &*m {
            (Some((a, _)), Some((b, _))) if a == b => Some((m.0.take(), m.1.take())),
            _ => None,
        }
    });
    let Some((Some((_, draft)), Some((_, output)))) = halves else {
        return;
    };
    let name = output.name.clone();
    match trailscope_query::manifest::ExportManifest::completed(&draft, output) {
        Ok(manifest) => state.last_manifest.set(Some(crate::state::LastManifest {
            name: trailscope_query::manifest::manifest_name(&name),
            json: manifest.to_json(),
        })),
        Err(e) => state
            .error
            .set(Some(format!("{name} has no manifest: {e}"))),
    }
}

/// The store's state a snapshot reflects: a load or a reset changes it.
fn store_version(state: AppState) -> (u32, u64) {
    (
        state.loads.get_untracked(),
        state
            .totals
            .with_untracked(|t| t.as_ref().map_or(0, |t| t.events)),
    )
}

/// Makes sure the SQL worker runs and holds the events loaded now: called when the SQL tab
/// opens and before every query.
pub fn open_sql(state: AppState) {
    if state.loading.get_untracked().is_some() {
        return; // the events are handed over once the load ends
    }
    if let Some(failed_at) = LOAD_FAILED_AT.with(Cell::get) {
        if failed_at == store_version(state) {
            return; // they would fail again: the tab says why
        }
        LOAD_FAILED_AT.with(|f| f.set(None));
        SQL.with(|s| {
            if let Some(worker) = s.borrow_mut().take() {
                worker.terminate();
            }
        });
    }
    let started = SQL.with(|s| s.borrow().is_some());
    if !started {
        if let Err(message) = spawn_sql(state) {
            set_phase(state, SqlPhase::Failed(message));
        }
        return; // the events follow once the worker says it started
    }
    let (_, taken_at) = SNAPSHOT.with(Cell::get);
    let ready_or_on_its_way = state
        .sql
        .view
        .with_untracked(|v| !matches!(v.phase, SqlPhase::Idle | SqlPhase::Failed(_)));
    if taken_at != Some(store_version(state)) && ready_or_on_its_way {
        hand_over(state);
    }
}

fn spawn_sql(state: AppState) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let base = document.base_uri().ok().flatten().ok_or("no base URL")?;
    let url = Url::new_with_base(SQL_WORKER_BOOT, &base)
        .map_err(|_| "bad worker URL")?
        .href();
    let worker = Worker::new(&url).map_err(|e| format!("cannot start the SQL worker: {e:?}"))?;
    let on_reply = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let text = Reflect::get(&data, &"reply".into())
            .ok()
            .and_then(|r| r.as_string())
            .unwrap_or_default();
        match serde_json::from_str::<SqlReply>(&text) {
            Ok(reply) => {
                let bytes = Reflect::get(&data, &"bytes".into()).unwrap_or(JsValue::UNDEFINED);
                apply_sql(state, reply, bytes);
            }
            Err(e) => set_phase(
                state,
                SqlPhase::Failed(format!("unreadable reply from the SQL worker: {e}")),
            ),
        }
    });
    worker.set_onmessage(Some(on_reply.as_ref().unchecked_ref()));
    on_reply.forget(); // one per worker started; a cancel starts another
    let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        let message = format!("the SQL worker stopped: {}", e.message());
        events_parquet_failed(state, &message);
        set_phase(state, SqlPhase::Failed(message));
        state.sql.view.update(|v| v.running = None);
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    STARTED.with(|s| s.set(now_millis()));
    SNAPSHOT.with(|s| s.set((s.get().0, None)));
    SQL.with(|s| *s.borrow_mut() = Some(worker));
    set_phase(state, SqlPhase::Starting);
    Ok(())
}

fn post_sql(request: &SqlRequest, port: Option<&JsValue>) {
    let Ok(encoded) = serde_json::to_string(request) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"request".into(), &encoded.into());
    let transfer = Array::new();
    if let Some(port) = port {
        let _ = Reflect::set(&message, &"port".into(), port);
        transfer.push(port);
    }
    SQL.with(|s| {
        if let Some(worker) = s.borrow().as_ref() {
            if let Err(e) = worker.post_message_with_transfer(&message, &transfer) {
                web_sys::console::error_2(&"trailscope: cannot reach the SQL worker".into(), &e);
            }
        }
    });
}

/// Has the store worker send its events to the SQL worker directly over a new channel.
fn hand_over(state: AppState) {
    let Ok(channel) = MessageChannel::new() else {
        set_phase(
            state,
            SqlPhase::Failed("cannot connect the SQL worker".into()),
        );
        return;
    };
    let snapshot = SNAPSHOT.with(|s| {
        let next = s.get().0.wrapping_add(1);
        s.set((next, Some(store_version(state))));
        next
    });
    STARTED.with(|s| s.set(now_millis()));
    set_phase(state, SqlPhase::HandingOver);
    post_sql(
        &SqlRequest::Attach {
            snapshot,
            records_in_wasm_mib: super::loading::mib_from_address("records-in-wasm-mib"),
        },
        Some(&channel.port2().into()),
    );
    post_store_with_port(
        &Request::ExportEvents { id: next_id() },
        channel.port1().into(),
    );
}

/// Turns a reply into state; `bytes` is a file's `Uint8Array` (undefined otherwise).
fn apply_sql(state: AppState, reply: SqlReply, bytes: JsValue) {
    let view = state.sql.view;
    match reply {
        SqlReply::Started { columns, samples } => {
            view.update(|v| {
                v.columns = columns;
                v.samples = samples;
            });
            hand_over(state);
        }
        SqlReply::Loaded {
            snapshot,
            events,
            records_outside_wasm_bytes,
            ..
        } => {
            if SNAPSHOT.with(Cell::get).0 == snapshot {
                let millis = now_millis() - STARTED.with(Cell::get);
                set_phase(
                    state,
                    SqlPhase::Ready {
                        events,
                        millis,
                        records_outside_wasm_bytes,
                    },
                );
                if let Some((request, port)) = WAITING.with(|w| w.borrow_mut().take()) {
                    post_sql(&request, port.as_ref());
                }
            }
        }
        SqlReply::LoadFailed { snapshot, message } => {
            let (current, taken_at) = SNAPSHOT.with(Cell::get);
            if current == snapshot {
                let message = format!("the events could not be handed to SQL: {message}");
                events_parquet_failed(state, &message);
                LOAD_FAILED_AT.with(|f| f.set(taken_at));
                // What waited for these events will not run over them.
                WAITING.with(|w| w.borrow_mut().take());
                state.sql.view.update(|v| {
                    v.running = None;
                    v.downloading = None;
                });
                set_phase(state, SqlPhase::Failed(message));
            }
        }
        SqlReply::Rows { id, table, millis } => {
            let Some((_, pressed)) = view.with_untracked(|v| v.running.filter(|(r, _)| *r == id))
            else {
                return;
            };
            let result = SqlResult {
                request: id,
                sql: RUN_TEXT.with(|t| t.borrow().clone()),
                table,
                engine_millis: millis,
                total_millis: now_millis() - pressed,
            };
            view.update(|v| {
                v.running = None;
                v.failure = None;
                v.result = Some(std::sync::Arc::new(result));
            });
        }
        SqlReply::Failed { id, message, .. } if EVENTS_PARQUET.with(Cell::get) == Some(id) => {
            events_parquet_failed(state, &message);
        }
        SqlReply::Failed {
            id,
            message,
            line,
            column,
        } => view.update(|v| {
            if v.running.is_some_and(|(r, _)| r == id) {
                v.running = None;
                v.result = None;
                v.failure = Some(SqlFailure {
                    message,
                    line,
                    column,
                });
            } else if v.downloading == Some(id) {
                v.downloading = None;
                v.failure = Some(SqlFailure {
                    message: format!("Download failed: {message}"),
                    line,
                    column,
                });
            }
        }),
        SqlReply::File {
            id, size, sha256, ..
        } if EVENTS_PARQUET.with(Cell::get) == Some(id) => {
            EVENTS_PARQUET.with(|p| p.set(None));
            let filter = EVENTS_PARQUET_FILTER.with(|f| f.take());
            let at = trailscope_model::Timestamp::from_unix_millis(js_sys::Date::now() as i64);
            let name = trailscope_query::export_file_name(&filter, at, "parquet");
            match sha256 {
                Some(sha256) => {
                    let output = OutputFile {
                        name: name.clone(),
                        bytes: size,
                        sha256,
                    };
                    PARQUET_MANIFEST.with(|m| m.borrow_mut().1 = Some((id, output)));
                    offer_parquet_manifest(state);
                }
                None => state.error.set(Some(format!(
                    "{name} has no manifest: the SQL worker sent it without its hash"
                ))),
            }
            let saved = crate::download::save_parts(
                &name,
                SqlFileFormat::Parquet.mime(),
                &Array::of1(&bytes),
            );
            state.export.set(crate::state::ExportState::default());
            if let Err(e) = saved {
                state.error.set(Some(e));
            }
        }
        SqlReply::File { id, format, .. } => {
            if view.with_untracked(|v| v.downloading) != Some(id) {
                return;
            }
            let name = format!("trailscope-sql.{}", format.extension());
            let saved = crate::download::save_parts(&name, format.mime(), &Array::of1(&bytes));
            view.update(|v| {
                v.downloading = None;
                if let Err(e) = saved {
                    v.failure = Some(SqlFailure {
                        message: format!("Download failed: {e}"),
                        line: None,
                        column: None,
                    });
                }
            });
        }
    }
}

fn set_phase(state: AppState, phase: SqlPhase) {
    state.sql.view.update(|v| v.phase = phase);
}

thread_local! {
    /// The query text of the run in flight (downloads of its answer run it again).
    static RUN_TEXT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sends `request` (and `port` beside it) now if the worker holds the current events, or once
/// it does.
fn send_when_ready(state: AppState, request: SqlRequest, port: Option<JsValue>) {
    open_sql(state);
    if state
        .sql
        .view
        .with_untracked(|v| matches!(v.phase, SqlPhase::Ready { .. }))
    {
        post_sql(&request, port.as_ref());
    } else {
        WAITING.with(|w| *w.borrow_mut() = Some((request, port)));
    }
}

/// The Events view's "Parquet": the filtered events as one Parquet file with the SQL table's
/// schema. Parquet is written by the SQL worker's engine (the page's first load does not carry
/// it), so the store worker sends the selection's row numbers to that worker over a channel of
/// their own; the selection is taken now, even if the SQL worker is still starting.
pub fn download_events_parquet(state: AppState) {
    if state.loading.get_untracked().is_some() {
        return;
    }
    if state
        .sql
        .view
        .with_untracked(|v| matches!(v.phase, SqlPhase::Failed(_)))
    {
        // Start afresh: a failed hand-over is not retried by itself.
        cancel_sql(state);
    }
    let id = next_id();
    let Ok(channel) = MessageChannel::new() else {
        state.error.set(Some(
            "cannot connect the SQL worker to write Parquet".into(),
        ));
        return;
    };
    state.export.set(crate::state::ExportState {
        id: Some(id),
        done: 0,
        total: state
            .query
            .with_untracked(|q| q.as_ref().map_or(0, |q| q.total)),
        parquet: true,
    });
    EVENTS_PARQUET.with(|p| p.set(Some(id)));
    EVENTS_PARQUET_FILTER.with(|f| {
        *f.borrow_mut() = state
            .query
            .with_untracked(|q| q.as_ref().map(|q| q.filter.clone()).unwrap_or_default())
    });
    // A manifest beside the buttons names the file it came with: never an earlier one.
    PARQUET_MANIFEST.with(|m| *m.borrow_mut() = (None, None));
    state.last_manifest.set(None);
    post_store_with_port(&Request::ExportSelection { id }, channel.port1().into());
    send_when_ready(
        state,
        SqlRequest::DownloadEvents { id },
        Some(channel.port2().into()),
    );
}

/// Ends the Events view's Parquet download in flight, if any, saying why.
fn events_parquet_failed(state: AppState, message: &str) {
    let Some(id) = EVENTS_PARQUET.with(|p| p.take()) else {
        return;
    };
    if state.export.with_untracked(|e| e.id) == Some(id) {
        state.export.set(crate::state::ExportState::default());
        state.error.set(Some(format!(
            "The Parquet file could not be written: {message}"
        )));
    }
}

/// Posts `request` to the store worker with `port` transferred beside it (key `port`).
fn post_store_with_port(request: &Request, port: JsValue) {
    let Ok(encoded) = serde_wasm_bindgen::to_value(request) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"request".into(), &encoded);
    let _ = Reflect::set(&message, &"port".into(), &port);
    STORE.with(|s| {
        if let Some(store) = s.borrow().as_ref() {
            if let Err(e) = store.post_message_with_transfer(&message, &Array::of1(&port)) {
                web_sys::console::error_2(&"trailscope: cannot reach the store worker".into(), &e);
            }
        }
    });
}

/// Runs `sql` (the editor's text), sorted as the result's header says.
pub fn run_sql(state: AppState, sql: String, sort: Option<SqlSort>) {
    let id = next_id();
    RUN_TEXT.with(|t| *t.borrow_mut() = sql.clone());
    state.sql.view.update(|v| {
        v.failure = None;
        v.running = Some((id, now_millis()));
    });
    send_when_ready(state, SqlRequest::Run { id, sql, sort }, None);
}

/// Asks for the whole answer of `sql` as a file.
pub fn download_sql(state: AppState, sql: String, format: SqlFileFormat) {
    let id = next_id();
    state.sql.view.update(|v| v.downloading = Some(id));
    send_when_ready(state, SqlRequest::Download { id, sql, format }, None);
}

/// Stops the query running: the worker ends (a query cannot be interrupted inside it) and a new
/// one starts with the events.
pub fn cancel_sql(state: AppState) {
    SQL.with(|s| {
        if let Some(worker) = s.borrow_mut().take() {
            worker.terminate();
        }
    });
    WAITING.with(|w| w.borrow_mut().take());
    // Asked for again: a new worker takes the events, even those that failed before.
    LOAD_FAILED_AT.with(|f| f.set(None));
    events_parquet_failed(state, "cancelled (the SQL worker was stopped)");
    state.sql.view.update(|v| {
        v.running = None;
        v.downloading = None;
        v.phase = SqlPhase::Idle;
    });
    open_sql(state);
}
