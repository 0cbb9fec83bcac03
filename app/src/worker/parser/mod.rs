//! The parser role: reads the packs of files it is given into event batches and sends them to the
//! store worker. Several parsers run at once, one per core.
//!
//! A pack is one `Blob` made of many files back to back. The parser reads it in large ranges,
//! always a couple ahead, and cuts the ranges into files by their sizes, so ten thousand small log
//! files cost a few hundred reads instead of ten thousand. Files are gathered into shared batches
//! and sent every few tens of milliseconds, so the store interns each batch's values once.
//!
//! `pack` reads packs, `input_bytes` one file of a pack, `outgoing` gathers and sends batches,
//! `hashing` is verify-only mode.

mod hashing;
mod input_bytes;
mod outgoing;
mod pack;

use hashing::*;
use input_bytes::*;
use outgoing::*;
use pack::*;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::rc::Rc;

use js_sys::Reflect;
use trailscope_model::{
    is_os_metadata, packaging, FileIngestor, FileKind, IngestError, Limits, Packaging,
};
use trailscope_model::{ArchiveStep, ArchiveTree};
use trailscope_protocol::{InputDone, PackedInput, ParseEvent, ParseRequest, RequestId};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessagePort};

use trailscope_verify::is_digest_path;

use super::blob::BlobReader;
use super::{now_millis, post_to_page, yield_now};

/// Bytes of a pack read per request.
pub(super) const RANGE_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Ranges read ahead of the one being parsed.
pub(super) const READ_AHEAD: usize = 2;

/// How often progress goes to the page, and parsed files to the store.
pub(super) const SEND_EVERY_MILLIS: f64 = 100.0;

/// How long the parser works before it lets messages (a cancel, more files) in.
pub(super) const YIELD_EVERY_MILLIS: f64 = 40.0;

/// Events per batch: bounds the size of one message to the store.
pub(super) const EVENTS_PER_BATCH: usize = 50_000;

/// Files larger than this (stored, or as an archive entry states) go to the store in chunks
/// while they are read, so neither side ever holds all their events ([`trailscope_protocol::merge`]).
pub(super) const STREAM_FILES_OVER: u64 = 16 << 20;

/// Batches of a large file sent together.
pub(super) const BATCHES_PER_CHUNK: usize = 2;

/// Largest file (and first member) hashed by WebCrypto in verify-only mode.
pub(super) const KEEP_FOR_WEBCRYPTO: usize = 256 << 20;

/// Bytes read from an archive entry at a time (the first read also tells nested archives).
pub(super) const ENTRY_READ_BYTES: usize = 1 << 20;

/// Largest first gzip member whose SHA-256 WebCrypto takes (the browser's native hash, several
/// times faster than `sha2` in wasm); the parser holds it until hashed. Larger ones are hashed
/// with `sha2` while they are read.
pub(super) const WEBCRYPTO_MEMBER_BYTES: usize = 32 << 20;

/// The first bytes of every gzip file.
pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes of a file's start needed to tell a ZIP archive.
pub(super) const SNIFF_BYTES: usize = 4;

/// Everything a parser holds between messages.
pub(crate) struct ParserState {
    index: u32,
    port: MessagePort,
    load: Option<RequestId>,
    packs: VecDeque<Pack>,
    running: bool,
    cancel: bool,
    bytes_total: u64,
    bytes_done: u64,
    last_progress: f64,
    last_yield: f64,
}

impl ParserState {
    pub(crate) fn new(index: u32, port: MessagePort) -> Self {
        ParserState {
            index,
            port,
            load: None,
            packs: VecDeque::new(),
            running: false,
            cancel: false,
            bytes_total: 0,
            bytes_done: 0,
            last_progress: 0.0,
            last_yield: 0.0,
        }
    }
}

/// Handles a message from the page.
pub(crate) fn handle(state: &Rc<RefCell<ParserState>>, data: &JsValue) {
    let message = Reflect::get(data, &"request".into()).unwrap_or(JsValue::UNDEFINED);
    let request: ParseRequest = match serde_wasm_bindgen::from_value(message) {
        Ok(r) => r,
        Err(e) => {
            web_sys::console::error_1(
                &format!("trailscope parser: unreadable request: {e}").into(),
            );
            return;
        }
    };
    match request {
        ParseRequest::Parse {
            load,
            inputs,
            hash_only,
        } => {
            let Some(blob) = Reflect::get(data, &"pack".into())
                .ok()
                .and_then(|b| b.dyn_into::<Blob>().ok())
            else {
                web_sys::console::error_1(&"trailscope parser: a pack without its blob".into());
                return;
            };
            let mut st = state.borrow_mut();
            if st.load != Some(load) {
                st.load = Some(load);
                st.cancel = false;
                st.bytes_total = 0;
                st.bytes_done = 0;
            }
            st.bytes_total += inputs.iter().map(|i| i.size).sum::<u64>();
            st.packs.push_back(Pack {
                blob,
                inputs,
                hash_only,
            });
            if !st.running {
                st.running = true;
                drop(st);
                wasm_bindgen_futures::spawn_local(run(state.clone(), load));
            }
        }
        ParseRequest::Cancel { load } => {
            let mut st = state.borrow_mut();
            if st.load == Some(load) {
                st.cancel = true;
            }
        }
    }
}

fn report(state: &Rc<RefCell<ParserState>>, load: RequestId, force: bool) {
    let mut st = state.borrow_mut();
    let now = now_millis();
    if !force && now - st.last_progress < SEND_EVERY_MILLIS {
        return;
    }
    st.last_progress = now;
    post_to_page(&ParseEvent::Progress {
        load,
        parser: st.index,
        bytes_done: st.bytes_done,
        bytes_total: st.bytes_total.max(st.bytes_done),
    });
}

async fn maybe_yield(state: &Rc<RefCell<ParserState>>) {
    let last = state.borrow().last_yield;
    if now_millis() - last > YIELD_EVERY_MILLIS {
        yield_now().await;
        state.borrow_mut().last_yield = now_millis();
    }
}

/// Reads the queued packs until none is left. Runs as a task on the worker's event loop.
async fn run(state: Rc<RefCell<ParserState>>, load: RequestId) {
    let limits = Limits::default();
    let port = state.borrow().port.clone();
    let mut out = Outgoing::new(load, port);
    loop {
        let Some(pack) = state.borrow_mut().packs.pop_front() else {
            break;
        };
        let mut reader = PackReader::new(pack.blob.clone());
        let mut offset = 0u64;
        for input in pack.inputs {
            let before = state.borrow().bytes_done;
            let read = if state.borrow().cancel {
                false
            } else if let Some(e) = reader.failed.clone() {
                out.failed(
                    input.number,
                    &input.path,
                    FileKind::Unknown,
                    IngestError::Read(e),
                );
                true
            } else if is_os_metadata(&input.path) {
                reader.skip(input.size).await;
                true
            } else {
                read_input(
                    &state,
                    &mut out,
                    &mut reader,
                    &pack.blob,
                    offset,
                    &input,
                    limits,
                    pack.hash_only,
                )
                .await
                .is_ok()
            };
            out.inputs_done.push(InputDone {
                input: input.number,
                path: input.path,
                read,
            });
            offset += input.size;
            state.borrow_mut().bytes_done = before + input.size;
            // Decided once: a send that came due between two looks at the clock would post
            // before the hashes are settled.
            if out.send_due() {
                out.settle().await;
                out.send(true);
            }
            report(&state, load, false);
        }
    }
    out.settle().await;
    out.send(true);
    state.borrow_mut().running = false;
    report(&state, load, true);
}

/// The load was cancelled while this input was being read.
struct Cancelled;

#[allow(clippy::too_many_arguments)] // one input's whole context; a struct would only rename it
async fn read_input(
    state: &Rc<RefCell<ParserState>>,
    out: &mut Outgoing,
    reader: &mut PackReader,
    pack: &Blob,
    offset: u64,
    input: &PackedInput,
    limits: Limits,
    hash_only: bool,
) -> Result<(), Cancelled> {
    let (number, path, size) = (input.number, input.path.as_str(), input.size);
    let rows_before = out.rows;
    // Digests are kilobytes: a digest-named file of gigabytes is refused unread.
    if is_digest_path(path) && size > trailscope_verify::MAX_DIGEST_BYTES as u64 {
        reader.skip(size).await;
        out.failed(
            number,
            path,
            FileKind::Digest,
            IngestError::TooLarge {
                limit: trailscope_verify::MAX_DIGEST_BYTES as u64,
            },
        );
        return Ok(());
    }
    let mut remaining = size;
    // The first bytes decide between a ZIP archive and everything else.
    let mut head = Vec::new();
    while (head.len() as u64) < size.min(SNIFF_BYTES as u64) {
        match reader
            .piece((size - head.len() as u64).min(SNIFF_BYTES as u64) as usize)
            .await
        {
            Ok([]) => break,
            Ok(piece) => head.extend_from_slice(piece),
            Err(e) => {
                out.failed(number, path, FileKind::Unknown, IngestError::Read(e));
                return Ok(());
            }
        }
    }
    remaining -= head.len() as u64;
    if packaging(&head) == Packaging::Zip {
        reader.skip(remaining).await;
        let slice = pack.slice_with_f64_and_f64(offset as f64, (offset + size) as f64);
        return match slice
            .map_err(super::blob::js_message)
            .and_then(BlobReader::new)
        {
            Ok(blob_reader) => read_zip(state, out, number, path, blob_reader, limits).await,
            Err(e) => {
                out.failed(number, path, FileKind::Zip, IngestError::Read(e));
                Ok(())
            }
        };
    }
    if hash_only && head.starts_with(&GZIP_MAGIC) && !is_digest_path(path) {
        return hash_input(state, out, reader, input, head, remaining).await;
    }
    if size > STREAM_FILES_OVER {
        // A large file sends what was gathered before it: with its hashes.
        out.settle().await;
    }
    out.begin_file(number, path, size);
    let streamed = size > STREAM_FILES_OVER;
    let mut ingestor = FileIngestor::new(limits).deferring_hash(WEBCRYPTO_MEMBER_BYTES);
    let mut fed = out.parsing(|out| ingestor.feed(&head, out));
    let mut bytes = InputBytes::new(reader, state, size, remaining);
    while fed.is_ok() {
        let asked = now_millis();
        let next = bytes.next(state, out.load).await;
        out.stages.reading += now_millis() - asked;
        match next {
            Next::Piece(piece) => fed = out.parsing(|out| ingestor.feed(piece, out)),
            Next::End => break,
            Next::Failed(e) => fed = Err(IngestError::Read(e)),
            Next::Cancelled => {
                let cancelled = ingestor.fail(IngestError::Read("cancelled".into()));
                out.file(number, path, &cancelled, rows_before, true);
                return Err(Cancelled);
            }
        }
    }
    let outcome = match fed {
        Ok(()) => {
            let (mut outcome, deferred) = out.parsing(|out| ingestor.finish_deferring_hash(out));
            let hashes = HashesUnderWay::start(deferred);
            if !streamed {
                // The browser hashes it while the next files are read.
                out.file_hashing(number, path, &outcome, rows_before, hashes);
                return Ok(());
            }
            // A large file is sent at once: it waits for its own hashes.
            let asked = now_millis();
            hashes.finish().await.set_on_outcome(&mut outcome);
            out.stages.hashing += now_millis() - asked;
            outcome
        }
        Err(e) => {
            bytes.skip_rest().await;
            ingestor.fail(e)
        }
    };
    out.file(number, path, &outcome, rows_before, false);
    Ok(())
}

/// Reads a ZIP archive, and the archives inside it, entry by entry (the walk is the model's
/// `ArchiveTree`, shared with the CLI).
async fn read_zip<R: Read + Seek>(
    state: &Rc<RefCell<ParserState>>,
    out: &mut Outgoing,
    number: u32,
    path: &str,
    reader: R,
    limits: Limits,
) -> Result<(), Cancelled> {
    let mut tree = match ArchiveTree::open(path, reader, limits, 0, ENTRY_READ_BYTES) {
        Ok(tree) => tree,
        Err(e) => {
            out.failed(number, path, FileKind::Zip, e);
            return Ok(());
        }
    };
    let mut buf = vec![0u8; ENTRY_READ_BYTES];
    while let Some(step) = tree.next() {
        let (entry_path, head, mut entry) = match step {
            ArchiveStep::File { path, head, entry } => (path, head, entry),
            ArchiveStep::Failed { path, kind, error } => {
                out.failed(number, &path, kind, error);
                continue;
            }
            ArchiveStep::Nested => continue,
        };
        let rows_before = out.rows;
        if entry.size > STREAM_FILES_OVER {
            out.settle().await;
        }
        out.begin_file(number, &entry_path, entry.size);
        let mut ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
        let mut piece: &[u8] = &head;
        let outcome = loop {
            if piece.is_empty() {
                break out.parsing(|out| ingestor.finish(out));
            }
            if let Err(e) = out.parsing(|out| ingestor.feed(piece, out)) {
                break ingestor.fail(e);
            }
            maybe_yield(state).await;
            if state.borrow().cancel {
                out.file(
                    number,
                    &entry_path,
                    &ingestor.fail(IngestError::Read("cancelled".into())),
                    rows_before,
                    true,
                );
                return Err(Cancelled);
            }
            // Reading an entry inflates it: parsing, like a gzip file's.
            piece = match out.parsing(|_| entry.reader.read(&mut buf)) {
                Ok(n) => buf.get(..n).unwrap_or_default(),
                Err(e) => {
                    break ingestor.fail(IngestError::Archive(format!(
                        "cannot read this ZIP entry: {e}"
                    )))
                }
            };
        };
        out.file(number, &entry_path, &outcome, rows_before, false);
    }
    Ok(())
}
