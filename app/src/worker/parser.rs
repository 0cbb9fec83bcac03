//! The parser role: reads the packs of files it is given into event batches and sends them to the
//! store worker. Several parsers run at once, one per core.
//!
//! A pack is one `Blob` made of many files back to back. The parser reads it in large ranges,
//! always a couple ahead, and cuts the ranges into files by their sizes, so ten thousand small log
//! files cost a few hundred reads instead of ten thousand. Files are gathered into shared batches
//! and sent every few tens of milliseconds, so the store interns each batch's values once.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::rc::Rc;

use js_sys::{Array, Reflect};
use trailscope_model::{
    hex_lower, is_os_metadata, packaging, Event, EventSink, FileIngestor, FileKind, FileOutcome,
    IngestError, Limits, LogHasher, Packaging,
};
use trailscope_model::{ArchiveStep, ArchiveTree};
use trailscope_protocol::{
    log_hash_to_wire, summary_to_wire, FileChunk, InputDone, PackedInput, ParseEvent, ParseRequest,
    Parsed, ParsedFile, RequestId,
};
use trailscope_store::{BatchBuilder, FileSummary};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessagePort};

use trailscope_verify::is_digest_path;

use super::blob::{BlobReader, ChunkRead};
use super::fast_hash::sha256_hex;
use super::{now_millis, post_to_page, yield_now};

/// Bytes of a pack read per request.
const RANGE_BYTES: f64 = 4.0 * 1024.0 * 1024.0;
/// Ranges read ahead of the one being parsed.
const READ_AHEAD: usize = 2;
/// How often progress goes to the page, and parsed files to the store.
const SEND_EVERY_MILLIS: f64 = 100.0;
/// How long the parser works before it lets messages (a cancel, more files) in.
const YIELD_EVERY_MILLIS: f64 = 40.0;
/// Events per batch: bounds the size of one message to the store.
const EVENTS_PER_BATCH: usize = 50_000;
/// Files larger than this (stored, or as an archive entry states) go to the store in chunks
/// while they are read, so neither side ever holds all their events ([`trailscope_protocol::merge`]).
const STREAM_FILES_OVER: u64 = 16 << 20;
/// Batches of a large file sent together.
const BATCHES_PER_CHUNK: usize = 2;
/// Largest file (and first member) hashed by WebCrypto in verify-only mode.
const KEEP_FOR_WEBCRYPTO: usize = 256 << 20;
/// Bytes read from an archive entry at a time (the first read also tells nested archives).
const ENTRY_READ_BYTES: usize = 1 << 20;
/// The first bytes of every gzip file.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Bytes of a file's start needed to tell a ZIP archive.
const SNIFF_BYTES: usize = 4;

/// A pack waiting to be read.
struct Pack {
    blob: Blob,
    inputs: Vec<PackedInput>,
    /// Verify-only mode.
    hash_only: bool,
}

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

/// Files read but not yet sent to the store, with their batches.
struct Outgoing {
    load: RequestId,
    port: MessagePort,
    builder: BatchBuilder,
    /// Finished batches, already in their binary form in JS `ArrayBuffer`s: outside the
    /// worker's wasm memory, so a file of millions of events never fills it.
    batches: Vec<js_sys::ArrayBuffer>,
    /// Rows added so far (only differences matter: a file's rows are the growth while it is read).
    rows: u64,
    files: Vec<ParsedFile>,
    inputs_done: Vec<InputDone>,
    last_send: f64,
    /// The large file being read, whose rows go to the store in chunks, and whether a chunk has
    /// gone yet.
    streaming: Option<(FileChunk, bool)>,
}

impl Outgoing {
    fn new(load: RequestId, port: MessagePort) -> Self {
        Outgoing {
            load,
            port,
            builder: BatchBuilder::new(),
            batches: Vec::new(),
            rows: 0,
            files: Vec::new(),
            inputs_done: Vec::new(),
            last_send: now_millis(),
            streaming: None,
        }
    }

    /// Starts a file of `size` bytes: a large one is sent in chunks as it is read. What was
    /// gathered before goes first, so the chunks hold only its rows.
    fn begin_file(&mut self, input: u32, path: &str, size: u64) {
        self.streaming = None;
        if size > STREAM_FILES_OVER {
            self.send(true);
            let chunk = FileChunk {
                input,
                path: path.to_string(),
            };
            self.streaming = Some((chunk, false));
        }
    }

    /// Records a file whose rows were added since `rows_before`.
    fn file(
        &mut self,
        input: u32,
        path: &str,
        outcome: &FileOutcome,
        rows_before: u64,
        discard: bool,
    ) {
        let summary = summary_to_wire(&FileSummary::from(outcome));
        let rows = self.rows - rows_before;
        let streamed = match self.streaming.take() {
            Some((chunk, sent)) if chunk.input == input && chunk.path == path => sent,
            _ => false,
        };
        self.files.push(ParsedFile {
            input,
            path: path.to_string(),
            summary,
            rows,
            discard,
            streamed,
            log_hash: outcome.log_hash.as_ref().map(log_hash_to_wire),
            kept: outcome.kept_bytes.clone().map(serde_bytes::ByteBuf::from),
            stored_sha256: outcome.stored_sha256.clone(),
        });
        if streamed {
            // Its last rows go now, alone, so the store can close it and merge what waited.
            self.send(true);
        }
    }

    fn failed(&mut self, input: u32, path: &str, kind: FileKind, error: IngestError) {
        let rows = self.rows;
        self.file(input, path, &FileOutcome::failed(kind, error), rows, false);
    }

    /// Sends what has been gathered, when enough time has passed or `force`.
    fn send(&mut self, force: bool) {
        let due = now_millis() - self.last_send >= SEND_EVERY_MILLIS;
        if !force && !due && self.builder.len() < EVENTS_PER_BATCH {
            return;
        }
        if self.files.is_empty() && self.inputs_done.is_empty() {
            return;
        }
        self.post(None);
    }

    /// Sends the sealed batches of the large file being read.
    fn send_chunk(&mut self) {
        let Some((chunk, sent)) = self.streaming.as_mut() else {
            return;
        };
        *sent = true;
        let chunk = chunk.clone();
        self.post(Some(chunk));
    }

    fn post(&mut self, chunk_of: Option<FileChunk>) {
        if !self.builder.is_empty() {
            self.seal_batch();
        }
        let parsed = Parsed {
            load: self.load,
            files: std::mem::take(&mut self.files),
            inputs_done: std::mem::take(&mut self.inputs_done),
            chunk_of,
        };
        let batches = std::mem::take(&mut self.batches);
        self.last_send = now_millis();
        let encoded = match serde_wasm_bindgen::to_value(&parsed) {
            Ok(encoded) => encoded,
            Err(e) => {
                // Never expected (the message is plain data); said loudly, since the store
                // would then wait for these files forever.
                web_sys::console::error_1(
                    &format!("trailscope parser: cannot encode files for the store: {e}").into(),
                );
                return;
            }
        };
        let message = js_sys::Object::new();
        let _ = Reflect::set(&message, &"parsed".into(), &encoded);
        let buffers = Array::new();
        for buffer in &batches {
            buffers.push(buffer);
        }
        let _ = Reflect::set(&message, &"batches".into(), &buffers);
        // The batches move to the store worker without a copy.
        if let Err(e) = self.port.post_message_with_transferable(&message, &buffers) {
            web_sys::console::error_2(&"trailscope parser: cannot reach the store".into(), &e);
        }
    }

    /// Moves the builder's events into a finished batch, in its binary form, out of wasm memory.
    fn seal_batch(&mut self) {
        let bytes = self.builder.take().to_bytes();
        self.batches
            .push(js_sys::Uint8Array::from(bytes.as_slice()).buffer());
    }
}

impl EventSink for Outgoing {
    type Error = std::convert::Infallible;
    fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
        self.builder.push(event);
        self.rows += 1;
        if self.builder.len() >= EVENTS_PER_BATCH {
            self.seal_batch();
            if self.streaming.is_some() && self.batches.len() >= BATCHES_PER_CHUNK {
                self.send_chunk();
            }
        }
        Ok(())
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

/// Reads a pack front to back, in large ranges requested ahead of need.
struct PackReader {
    blob: Blob,
    size: f64,
    /// Next byte to request.
    requested: f64,
    inflight: VecDeque<ChunkRead>,
    /// The range being consumed, and how much of it is consumed.
    current: Vec<u8>,
    used: usize,
    /// Why a read of the pack failed: past it, offsets are unknown, so every later read fails
    /// with the same reason rather than reading the next files at the wrong place.
    failed: Option<String>,
}

impl PackReader {
    fn new(blob: Blob) -> Self {
        let size = blob.size();
        let mut reader = PackReader {
            blob,
            size,
            requested: 0.0,
            inflight: VecDeque::new(),
            current: Vec::new(),
            used: 0,
            failed: None,
        };
        reader.request();
        reader
    }

    fn request(&mut self) {
        while self.inflight.len() < READ_AHEAD && self.requested < self.size {
            let end = (self.requested + RANGE_BYTES).min(self.size);
            self.inflight
                .push_back(ChunkRead::start(&self.blob, self.requested, end));
            self.requested = end;
        }
    }

    /// Up to `max` next bytes (fewer at a range end); empty at the end of the pack.
    async fn piece(&mut self, max: usize) -> Result<&[u8], String> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.used >= self.current.len() {
            let Some(next) = self.inflight.pop_front() else {
                return Ok(&[]);
            };
            self.request();
            self.current = self.finish(next).await?;
            self.used = 0;
        }
        let start = self.used;
        let end = (start + max).min(self.current.len());
        self.used = end;
        Ok(self.current.get(start..end).unwrap_or_default())
    }

    /// Moves past `n` bytes; bytes not yet requested are never read. A failure is kept (see
    /// [`PackReader::failed`]) and met by the next read, so callers moving past a file they
    /// have already judged need not handle it here.
    async fn skip(&mut self, mut n: u64) {
        loop {
            if self.failed.is_some() {
                return;
            }
            let buffered = self.current.len().saturating_sub(self.used) as u64;
            if n <= buffered {
                self.used += n as usize;
                return;
            }
            n -= buffered;
            self.used = self.current.len();
            let Some(next) = self.inflight.pop_front() else {
                self.requested = (self.requested + n as f64).min(self.size);
                self.request();
                return;
            };
            if let Ok(bytes) = self.finish(next).await {
                self.current = bytes;
            }
            self.used = 0;
            self.request();
        }
    }

    async fn finish(&mut self, read: ChunkRead) -> Result<Vec<u8>, String> {
        read.finish().await.map_err(|e| {
            let e = format!("the browser could not read the files: {e}");
            self.failed = Some(e.clone());
            self.current = Vec::new();
            e
        })
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
            out.send(false);
            report(&state, load, false);
        }
    }
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
    out.begin_file(number, path, size);
    let mut ingestor = FileIngestor::new(limits);
    let mut fed = ingestor.feed(&head, out);
    let bytes_before = state.borrow().bytes_done;
    while fed.is_ok() && remaining > 0 {
        let piece = match reader
            .piece(remaining.min(RANGE_BYTES as u64) as usize)
            .await
        {
            Ok([]) => break,
            Ok(piece) => piece,
            Err(e) => {
                fed = Err(IngestError::Read(e));
                break;
            }
        };
        remaining -= piece.len() as u64;
        fed = ingestor.feed(piece, out);
        state.borrow_mut().bytes_done = bytes_before + (size - remaining);
        report(state, out.load, false);
        maybe_yield(state).await;
        if state.borrow().cancel {
            reader.skip(remaining).await;
            out.file(
                number,
                path,
                &ingestor.fail(IngestError::Read("cancelled".into())),
                rows_before,
                true,
            );
            return Err(Cancelled);
        }
    }
    let outcome = match fed {
        Ok(()) => ingestor.finish(out),
        Err(e) => {
            reader.skip(remaining).await;
            ingestor.fail(e)
        }
    };
    out.file(number, path, &outcome, rows_before, false);
    Ok(())
}

/// Verify-only mode: hashes a gzip file as aws-cli judges a log file, without its events. The
/// file and its first member are hashed by WebCrypto when they fit in memory (real log files
/// are a few MB), by `sha2` past that.
async fn hash_input(
    state: &Rc<RefCell<ParserState>>,
    out: &mut Outgoing,
    reader: &mut PackReader,
    input: &PackedInput,
    head: Vec<u8>,
    mut remaining: u64,
) -> Result<(), Cancelled> {
    let (number, path, size) = (input.number, input.path.as_str(), input.size);
    let rows_before = out.rows;
    let mut hasher = LogHasher::keeping(KEEP_FOR_WEBCRYPTO);
    let mut stored = StoredHash::new(size);
    hasher.feed(&head);
    stored.feed(&head);
    let bytes_before = state.borrow().bytes_done;
    while remaining > 0 {
        let piece = match reader
            .piece(remaining.min(RANGE_BYTES as u64) as usize)
            .await
        {
            Ok([]) => break,
            Ok(piece) => piece,
            Err(e) => {
                reader.skip(remaining).await;
                out.failed(number, path, FileKind::HashedOnly, IngestError::Read(e));
                return Ok(());
            }
        };
        remaining -= piece.len() as u64;
        hasher.feed(piece);
        stored.feed(piece);
        state.borrow_mut().bytes_done = bytes_before + (size - remaining);
        report(state, out.load, false);
        maybe_yield(state).await;
        if state.borrow().cancel {
            reader.skip(remaining).await;
            let cancelled =
                FileOutcome::failed(FileKind::HashedOnly, IngestError::Read("cancelled".into()));
            out.file(number, path, &cancelled, rows_before, true);
            return Err(Cancelled);
        }
    }
    let kept = hasher.finish_kept();
    let outside = match &kept.first_member {
        Some(bytes) => sha256_hex(bytes).await,
        None => None,
    };
    let log_hash = kept.into_hash(outside);
    let (stored_sha256, stored_bytes) = stored.finish().await;
    out.file(
        number,
        path,
        &FileOutcome::hashed_only(log_hash, stored_sha256, stored_bytes),
        rows_before,
        false,
    );
    Ok(())
}

/// The SHA-256 of a file as stored: the bytes kept for WebCrypto when the file is small enough,
/// else hashed by `sha2` as they stream.
enum StoredHash {
    Kept(Vec<u8>),
    Streamed(sha2::Sha256, u64),
}

impl StoredHash {
    fn new(size: u64) -> Self {
        if size <= KEEP_FOR_WEBCRYPTO as u64 {
            StoredHash::Kept(Vec::with_capacity(size as usize))
        } else {
            StoredHash::Streamed(sha2::Sha256::default(), 0)
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        match self {
            StoredHash::Kept(kept) => kept.extend_from_slice(bytes),
            StoredHash::Streamed(sha, n) => {
                sha2::Digest::update(sha, bytes);
                *n += bytes.len() as u64;
            }
        }
    }

    async fn finish(self) -> (String, u64) {
        match self {
            StoredHash::Kept(kept) => {
                let hex = match sha256_hex(&kept).await {
                    Some(hex) => hex,
                    None => hex_lower(&<sha2::Sha256 as sha2::Digest>::digest(&kept)),
                };
                (hex, kept.len() as u64)
            }
            StoredHash::Streamed(sha, n) => (hex_lower(&sha2::Digest::finalize(sha)), n),
        }
    }
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
        out.begin_file(number, &entry_path, entry.size);
        let mut ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
        let mut piece: &[u8] = &head;
        let outcome = loop {
            if piece.is_empty() {
                break ingestor.finish(out);
            }
            if let Err(e) = ingestor.feed(piece, out) {
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
            piece = match entry.reader.read(&mut buf) {
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
