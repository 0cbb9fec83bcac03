//! Handing picked files to the parsers in packs, and their progress.

use crate::state::AppState;
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use trailscope_protocol::{
    LoadProgress, PackedInput, ParseEvent, ParseRequest, Request, RequestId,
};
use web_sys::{Blob, File, Worker};

use super::*;

thread_local! {
    pub(super) static PARSER_PROGRESS: RefCell<Vec<ParserProgress>> = const { RefCell::new(Vec::new()) };
    pub(super) static OUTBOX: RefCell<Option<Outbox>> = const { RefCell::new(None) };
}

/// Progress of one parser: (bytes done, bytes given).
pub(super) type ParserProgress = (u64, u64);

/// Files handed over per pack at most.
pub(super) const FILES_PER_PACK: usize = 4096;

/// Main-thread time one hand-over task may take. The first `size` of a picked file costs the
/// main thread a disk stat (about 0.3 ms, measured), so a pack ends when this time is up.
pub(super) const PACK_MILLIS: f64 = 15.0;

/// Files of the current load not yet handed to a parser.
pub(super) struct Outbox {
    pub(super) id: RequestId,
    /// Verify-only mode: log files are hashed, their events not read.
    pub(super) hash_only: bool,
    pub(super) files: VecDeque<(u32, String, File)>,
    pub(super) next_parser: usize,
    /// Files never handed over because the load was cancelled.
    pub(super) withheld: Vec<String>,
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
        ceiling_mib: mib_from_address("tab-memory-mib").filter(|&mib| mib > 0),
        records_in_wasm_mib: mib_from_address("records-in-wasm-mib"),
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
pub(super) fn send_next_pack() {
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

pub(super) fn post_pack(worker: &Worker, request: &ParseRequest, pack: &Blob) {
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

pub(super) fn apply_parse_event(state: AppState, event: ParseEvent) {
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

/// A size in MiB from the page's address: `?tab-memory-mib=N` (the tab's memory ceiling: a
/// host whose machines have little memory, or a test, lowers it) or `?records-in-wasm-mib=N`
/// (records kept inside WebAssembly memory; a test sets 0). Absent or unreadable, the store
/// worker's default holds.
pub(super) fn mib_from_address(name: &str) -> Option<u64> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get(name)?.parse().ok()
}
