//! What a parser sends the store worker: files' event batches gathered and sent every few tens
//! of milliseconds, large files in chunks as they are read.

use js_sys::{Array, Reflect};
use trailscope_model::{
    DeferredHashes, Event, EventSink, FileKind, FileOutcome, IngestError, KeptLog, LogHash,
};
use trailscope_protocol::{
    log_hash_to_wire, summary_to_wire, FileChunk, InputDone, LoadStages, Parsed, ParsedFile,
    RequestId,
};
use trailscope_store::{BatchBuilder, FileSummary};
use web_sys::MessagePort;

use crate::worker::now_millis;

use super::*;

/// Files read but not yet sent to the store, with their batches.
pub(super) struct Outgoing {
    pub(super) load: RequestId,
    pub(super) port: MessagePort,
    pub(super) builder: BatchBuilder,
    /// Finished batches, already in their binary form in JS `ArrayBuffer`s: outside the
    /// worker's wasm memory, so a file of millions of events never fills it.
    pub(super) batches: Vec<js_sys::ArrayBuffer>,
    /// Rows added so far (only differences matter: a file's rows are the growth while it is read).
    pub(super) rows: u64,
    pub(super) files: Vec<ParsedFile>,
    pub(super) inputs_done: Vec<InputDone>,
    pub(super) last_send: f64,
    /// The large file being read, whose rows go to the store in chunks, and whether a chunk has
    /// gone yet.
    pub(super) streaming: Option<(FileChunk, bool)>,
    /// Where this parser's time went since its last message (sent with the next one).
    pub(super) stages: LoadStages,
    /// All the time spent sending, so parsing that sent on the way can leave it out.
    sending_total: f64,
    /// Files whose hashes the browser is still computing, by their index in `files`. Settled
    /// before their files are sent ([`Outgoing::settle`]), so a parser waits for them once per
    /// message, not once per file.
    hashing: Vec<(usize, HashesUnderWay)>,
}

impl Outgoing {
    pub(super) fn new(load: RequestId, port: MessagePort) -> Self {
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
            stages: LoadStages::default(),
            sending_total: 0.0,
            hashing: Vec::new(),
        }
    }

    /// Records a read file whose hashes the browser computes.
    pub(super) fn file_hashing(
        &mut self,
        input: u32,
        path: &str,
        outcome: &FileOutcome,
        rows_before: u64,
        hashes: HashesUnderWay,
    ) {
        self.file(input, path, outcome, rows_before, false);
        self.hashing.push((self.files.len() - 1, hashes));
    }

    /// Waits for the hashes under way and writes them into their files.
    pub(super) async fn settle(&mut self) {
        if self.hashing.is_empty() {
            return;
        }
        let started = now_millis();
        for (index, hashes) in std::mem::take(&mut self.hashing) {
            let done = hashes.finish().await;
            if let Some(file) = self.files.get_mut(index) {
                done.set_on(file);
            }
        }
        self.stages.hashing += now_millis() - started;
    }

    /// Whether [`Outgoing::send`] would send now (the caller settles the hashes first).
    pub(super) fn send_due(&self) -> bool {
        now_millis() - self.last_send >= SEND_EVERY_MILLIS || self.builder.len() >= EVENTS_PER_BATCH
    }

    /// Runs `work` (reading a file's bytes into events) and counts its time as parsing, less the
    /// sending it did on the way.
    pub(super) fn parsing<R>(&mut self, work: impl FnOnce(&mut Self) -> R) -> R {
        let started = now_millis();
        let sending_before = self.sending_total;
        let result = work(self);
        let spent = now_millis() - started - (self.sending_total - sending_before);
        self.stages.parsing += spent.max(0.0);
        result
    }

    /// Counts the time since `started` as sending.
    fn sent_since(&mut self, started: f64) {
        let spent = now_millis() - started;
        self.stages.sending += spent;
        self.sending_total += spent;
    }

    /// Starts a file of `size` bytes: a large one is sent in chunks as it is read. What was
    /// gathered before goes first, so the chunks hold only its rows.
    pub(super) fn begin_file(&mut self, input: u32, path: &str, size: u64) {
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
    pub(super) fn file(
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

    pub(super) fn failed(&mut self, input: u32, path: &str, kind: FileKind, error: IngestError) {
        let rows = self.rows;
        self.file(input, path, &FileOutcome::failed(kind, error), rows, false);
    }

    /// Sends what has been gathered, when enough time has passed or `force`.
    pub(super) fn send(&mut self, force: bool) {
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
    pub(super) fn send_chunk(&mut self) {
        let Some((chunk, sent)) = self.streaming.as_mut() else {
            return;
        };
        *sent = true;
        let chunk = chunk.clone();
        self.post(Some(chunk));
    }

    pub(super) fn post(&mut self, chunk_of: Option<FileChunk>) {
        if !self.builder.is_empty() {
            self.seal_batch();
        }
        // Every send of files settles their hashes first; should one not, the files still go
        // with their hashes, taken here.
        for (index, hashes) in std::mem::take(&mut self.hashing) {
            if let Some(file) = self.files.get_mut(index) {
                hashes.finish_here().set_on(file);
            }
        }
        let started = now_millis();
        let parsed = Parsed {
            load: self.load,
            files: std::mem::take(&mut self.files),
            inputs_done: std::mem::take(&mut self.inputs_done),
            chunk_of,
            // This message's own sending counts in the next one.
            stages: std::mem::take(&mut self.stages),
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
        self.sent_since(started);
    }

    /// Moves the builder's events into a finished batch, in its binary form, out of wasm memory.
    pub(super) fn seal_batch(&mut self) {
        let started = now_millis();
        let bytes = self.builder.take().to_bytes();
        self.batches
            .push(js_sys::Uint8Array::from(bytes.as_slice()).buffer());
        self.sent_since(started);
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

/// A file's hashes the browser computes with WebCrypto while the parser goes on (the ones
/// [`trailscope_model::FileIngestor::finish_deferring_hash`] left to it), with the bytes kept
/// so `sha2` can take over if a digest fails.
pub(super) struct HashesUnderWay {
    log: Option<(KeptLog, Option<js_sys::Promise>)>,
    stored: Option<(Vec<u8>, Option<js_sys::Promise>)>,
}

/// A file's hashes, finished.
pub(super) struct FinishedHashes {
    log: Option<LogHash>,
    stored: Option<String>,
}

impl HashesUnderWay {
    /// Starts the digests of what `deferred` left to the caller.
    pub(super) fn start(deferred: DeferredHashes) -> Self {
        let start = crate::worker::fast_hash::start_sha256;
        HashesUnderWay {
            log: deferred.log.map(|log| {
                let digest = log.first_member.as_deref().and_then(start);
                (log, digest)
            }),
            stored: deferred.stored.map(|bytes| {
                let digest = start(&bytes);
                (bytes, digest)
            }),
        }
    }

    /// Waits for the digests (`sha2` hashes whatever WebCrypto could not).
    pub(super) async fn finish(self) -> FinishedHashes {
        let hex = |digest: Option<js_sys::Promise>| async move {
            match digest {
                Some(digest) => crate::worker::fast_hash::sha256_hex_of(digest).await,
                None => None,
            }
        };
        let log = match self.log {
            Some((log, digest)) => Some(log.into_hash(hex(digest).await)),
            None => None,
        };
        let stored = match self.stored {
            Some((bytes, digest)) => Some(DeferredHashes::stored_sha256(&bytes, hex(digest).await)),
            None => None,
        };
        FinishedHashes { log, stored }
    }

    /// The hashes taken here with `sha2`, not waiting for the browser.
    pub(super) fn finish_here(self) -> FinishedHashes {
        FinishedHashes {
            log: self.log.map(|(log, _)| log.into_hash(None)),
            stored: self
                .stored
                .map(|(bytes, _)| DeferredHashes::stored_sha256(&bytes, None)),
        }
    }
}

impl FinishedHashes {
    /// Writes the hashes into a file's outcome.
    pub(super) fn set_on_outcome(self, outcome: &mut FileOutcome) {
        if self.log.is_some() {
            outcome.log_hash = self.log;
        }
        if self.stored.is_some() {
            outcome.stored_sha256 = self.stored;
        }
    }

    /// Writes the hashes into a file about to be sent.
    fn set_on(self, file: &mut ParsedFile) {
        if let Some(log) = &self.log {
            file.log_hash = Some(log_hash_to_wire(log));
        }
        if self.stored.is_some() {
            file.stored_sha256 = self.stored;
        }
    }
}
