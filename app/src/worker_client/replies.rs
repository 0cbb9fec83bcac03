//! The store worker's replies turned into page state.

use crate::state::{AppState, LoadSummary};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use trailscope_protocol::Response;

use super::*;

thread_local! {
    /// Export chunks received so far.
    pub(super) static EXPORT_CHUNKS: RefCell<Vec<js_sys::Uint8Array>> = const { RefCell::new(Vec::new()) };
    /// A load finished and its detection run waits for the first rows to be on screen.
    pub(super) static DETECT_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Runs the detection a finished load is waiting for, if any.
pub(super) fn start_pending_detection(state: AppState) {
    if DETECT_PENDING.with(|p| p.replace(false)) {
        request_detect(state);
    }
}

pub(super) fn apply(state: AppState, response: Response) {
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
            tab_full,
            stages,
            ..
        } => {
            if let Some(outbox) = OUTBOX.with(|o| o.borrow_mut().take()) {
                not_read.extend(outbox.withheld);
            }
            let restored = state.restoring.get_untracked().is_some();
            state.loading.set(None);
            state.restoring.set(None);
            state.cancelling.set(false);
            state.last_load.set(Some(LoadSummary {
                cancelled,
                not_read,
                elapsed_millis,
                restored,
                tab_full,
                stages,
            }));
            state.loads.update(|n| *n += 1);
            // A report from before this load no longer describes what is loaded.
            state.verify.set(None);
            if totals.integrity.digests > 0 {
                // Digests were dropped: the user came to verify, so do it at once (over any
                // time; the case and analyst stay for the report).
                let given = state.verify_choices.get_untracked();
                request_verify(
                    state,
                    &VerifyChoices {
                        case: given.case,
                        analyst: given.analyst,
                        ..VerifyChoices::default()
                    },
                );
            }
            // A verify-only load reads no events: its verdict is what there is to see, not an
            // Events view of zeros.
            let verify_only = totals.events == 0 && totals.hashed_only_files > 0;
            state.totals.set(Some(*totals));
            if verify_only {
                state.tab.set(crate::state::Tab::Integrity);
            }
            state.detect.set(None);
            // A run under way when the load began ended unanswered; the load's own comes next.
            state.detecting.set(None);
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
                // Events now show their verified copy: findings were made on the others (a
                // run still under way starts again in the worker by itself).
                if rows_changed > 0 && state.detect.with_untracked(|d| d.is_some()) {
                    request_detect(state);
                }
            }
        }
        Response::Queried {
            id,
            result,
            elapsed_millis,
            text_indexed,
            text_index_halted,
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
                    text_indexed,
                    text_index_halted,
                    filter: result.filter,
                    suggestion: result.suggestion,
                }));
            }
        }
        Response::FacetValues { id, facet } => state.facet_values.set(Some((id, facet))),
        Response::FacetRefused { id, reason } => state.facet_refused.set(Some((id, reason))),
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
        Response::ExportDone {
            id,
            name,
            mime,
            manifest,
        } => {
            if state.export.with_untracked(|e| e.id) == Some(id) {
                state.last_manifest.set((!manifest.is_empty()).then(|| {
                    crate::state::LastManifest {
                        name: trailscope_query::manifest::manifest_name(&name),
                        json: manifest,
                    }
                }));
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
            file_sha256,
            user,
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
                    file_sha256,
                    user,
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
            // A run under way ended unanswered with what it ran on.
            state.detecting.set(None);
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
            state.last_manifest.set(None);
        }
        Response::SelectionManifest { id, manifest } => {
            sql::selection_manifest_arrived(state, id, manifest)
        }
        Response::WorkspaceStatus { status, .. } => state.workspace.set(Some(status)),
        Response::Failed { id, message } => {
            if state.restoring.get_untracked() == Some(id) {
                state.restoring.set(None);
                state.loading.set(None);
            }
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

pub(super) fn totals_have_events(state: AppState) -> bool {
    state
        .totals
        .with_untracked(|t| t.as_ref().is_some_and(|t| t.events > 0))
}
