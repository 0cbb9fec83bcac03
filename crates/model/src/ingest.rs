//! Reading one file: sniff (`sniff.rs`), decompress, split, unwrap, hand events to a sink, and
//! report (`outcome.rs`). Push-driven, so the browser worker can feed slices of a `File` and stay
//! responsive, and the CLI can feed reads.

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::csv_history::CsvHistory;
use crate::event::Event;
use crate::gzip::{starts_gzip, FeedError, Gunzip, GzipError};
use crate::kind::{FileKind, KindTracker};
use crate::limits::Limits;
use crate::loghash::{hex_lower, HashTap, KeptLog, LogHash, LogRead};
use crate::outcome::{FileOutcome, IngestError, TimeNotes};
use crate::sniff::{is_timestamped_json, looks_binary};
use crate::split::{Piece, SplitFeedError, SplitLimits, Splitter};
use crate::unwrap::unwrap_record;

/// Receives the events of a file as they are parsed.
pub trait EventSink {
    /// Why the sink refused an event (e.g. it is full). Ends the file with an error.
    type Error: fmt::Display;
    /// Takes one event.
    fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error>;
}

const MAX_EXAMPLES: usize = 5;

const SNIFF_BYTES: usize = 4096;

/// Text kept for key lists and signature sidecars.
const KEEP_TEXT_BYTES: usize = 16 << 20;

enum Decoder {
    /// Waiting for the first bytes to tell gzip from plain text.
    Start(Vec<u8>),
    Gzip(Box<Gunzip>),
    Plain,
}

enum TextParser {
    Sniff(Vec<u8>),
    Json(Box<Splitter>),
    /// CloudWatch Logs' export to S3: each line is `<ISO time> <event JSON>`. `true` while the
    /// current line's time prefix is being skipped.
    Timestamped(bool, Box<Splitter>),
    Csv(Box<CsvHistory>),
}

/// Reads one file pushed in chunks. Create one per file (or archive entry).
pub struct FileIngestor {
    /// For an archive entry: its compressed size, against which the bomb ratio is judged.
    ratio_base: Option<u64>,
    decoder: Decoder,
    parser: TextParser,
    state: Progress,
}

/// The hashes [`FileIngestor::finish_deferring_hash`] leaves to the caller, who sets the
/// outcome's fields from them.
pub struct DeferredHashes {
    /// A gzip file's log hash: `log_hash` is `None` until set to [`KeptLog::into_hash`].
    pub log: Option<KeptLog>,
    /// The file's bytes as stored: `stored_sha256` is `None` until set to their SHA-256
    /// ([`DeferredHashes::stored_sha256`]).
    pub stored: Option<Vec<u8>>,
}

impl DeferredHashes {
    /// The SHA-256 of the stored bytes as lowercase hex: `computed` when the caller hashed them,
    /// otherwise hashed here.
    pub fn stored_sha256(stored: &[u8], computed: Option<String>) -> String {
        computed.unwrap_or_else(|| hex_lower(&Sha256::digest(stored)))
    }
}

/// Everything the parser learns, kept apart from the parser so both can be borrowed at once.
struct Progress {
    limits: Limits,
    kind: KindTracker,
    events: u64,
    records: u64,
    skipped: u64,
    examples: Vec<String>,
    time_notes: TimeNotes,
    stored_bytes: u64,
    text_bytes: u64,
    warnings: Vec<String>,
    bom_checked: bool,
    gzip_member: u32,
    /// The running hash of a gzip file's first member.
    tap: Option<HashTap>,
    /// Whitespace bytes in a row, up to the last byte read.
    whitespace_run: u64,
    /// A parse error met while the hash still needs the rest of the file; reported at the end.
    deferred: Option<Stop>,
    log_hash: Option<LogHash>,
    /// Set by [`FileIngestor::deferring_hash`]: the first member's bytes up to this many are
    /// left for the caller to hash.
    defer_hash: Option<usize>,
    /// The hash left for the caller, once the first member ended.
    pending_hash: Option<KeptLog>,
    /// The pending hash went to the caller, who sets the outcome's `log_hash`.
    hash_handed_over: bool,
    /// The file's bytes as stored, kept for the caller to hash while under `defer_hash` bytes
    /// (`None` once they are hashed into `stored_sha`, or when not deferring).
    stored_kept: Option<Vec<u8>>,
    /// The stored bytes went to the caller, who sets the outcome's `stored_sha256`.
    stored_handed_over: bool,
    digest_bytes: Option<Vec<u8>>,
    /// The text so far while it is small (`None` once it is not).
    kept_text: Option<Vec<u8>>,
    stored_sha: Sha256,
}

/// Internal error carrier: an input problem, or the sink's refusal.
enum Stop {
    Input(IngestError),
    Sink(String),
}

impl From<IngestError> for Stop {
    fn from(e: IngestError) -> Self {
        Stop::Input(e)
    }
}

impl FileIngestor {
    /// A reader for one file.
    pub fn new(limits: Limits) -> Self {
        FileIngestor {
            ratio_base: None,
            decoder: Decoder::Start(Vec::new()),
            parser: TextParser::Sniff(Vec::new()),
            state: Progress {
                limits,
                kind: KindTracker::default(),
                events: 0,
                records: 0,
                skipped: 0,
                examples: Vec::new(),
                time_notes: TimeNotes::default(),
                stored_bytes: 0,
                text_bytes: 0,
                warnings: Vec::new(),
                bom_checked: false,
                gzip_member: 0,
                tap: None,
                whitespace_run: 0,
                deferred: None,
                log_hash: None,
                defer_hash: None,
                pending_hash: None,
                hash_handed_over: false,
                stored_kept: None,
                stored_handed_over: false,
                digest_bytes: None,
                kept_text: Some(Vec::new()),
                stored_sha: Sha256::new(),
            },
        }
    }

    /// A reader for an entry of an archive whose content arrives already decompressed; the bomb
    /// ratio is judged against the entry's compressed size.
    pub fn for_archive_entry(limits: Limits, compressed_size: u64) -> Self {
        let mut ingestor = FileIngestor::new(limits);
        ingestor.ratio_base = Some(compressed_size.max(1));
        ingestor
    }

    /// Events handed to the sink so far.
    pub fn events(&self) -> u64 {
        self.state.events
    }

    /// Stored bytes consumed so far.
    pub fn stored_bytes(&self) -> u64 {
        self.state.stored_bytes
    }

    /// Feeds the next chunk of the file. On `Err` the file is failed: call [`FileIngestor::fail`]
    /// to get its outcome, and discard the events already accepted.
    pub fn feed<S: EventSink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), IngestError> {
        self.feed_inner(chunk, sink).map_err(|stop| match stop {
            Stop::Input(e) => e,
            Stop::Sink(msg) => IngestError::Sink(msg),
        })
    }

    fn feed_inner<S: EventSink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), Stop> {
        self.state.stored_bytes += chunk.len() as u64;
        if !matches!(self.decoder, Decoder::Start(_)) {
            // Bytes held back for sniffing are hashed when they are replayed.
            self.state.hash_stored(chunk);
        }
        let ratio_base = self.ratio_base;
        let FileIngestor {
            decoder,
            parser,
            state,
            ..
        } = self;
        match decoder {
            Decoder::Start(head) => {
                head.extend_from_slice(chunk);
                if head.len() < 2 {
                    return Ok(());
                }
                let head = std::mem::take(head);
                *decoder = if starts_gzip(&head) {
                    state.tap = Some(match state.defer_hash {
                        Some(max) => HashTap::deferring(max),
                        None => HashTap::new(),
                    });
                    Decoder::Gzip(Box::default())
                } else {
                    Decoder::Plain
                };
                // Replay the bytes held back for sniffing. They are already counted.
                state.stored_bytes -= head.len() as u64;
                self.feed_inner(&head, sink)
            }
            Decoder::Gzip(gunzip) => {
                // The bomb ratio is judged against the compressed bytes fed so far: feeding a
                // big piece in steps keeps the allowance close to what was actually consumed
                // (a 4 MiB piece would otherwise allow a gigabyte of output at once).
                let mut stored = state.stored_bytes - chunk.len() as u64;
                for step in chunk.chunks(RATIO_STEP_BYTES) {
                    stored += step.len() as u64;
                    feed_gzip(gunzip, parser, state, step, stored, sink)?;
                }
                Ok(())
            }
            Decoder::Plain => {
                state.check_budget(chunk.len() as u64, ratio_base.unwrap_or(u64::MAX))?;
                state.check_whitespace(chunk)?;
                parser_feed(parser, state, chunk, sink)
            }
        }
    }

    /// Leaves the SHA-256 of a gzip file's first member to the caller while that member is at
    /// most `max` bytes: [`FileIngestor::finish_deferring_hash`] then hands the bytes over
    /// instead of hashing them. The page hashes them with the browser's native SHA-256, several
    /// times faster than `sha2` in wasm (which has no SHA-extension backend); a larger member
    /// is hashed here as usual. `finish` and `fail` still hash everything themselves.
    pub fn deferring_hash(mut self, max: usize) -> Self {
        self.state.defer_hash = Some(max);
        self.state.stored_kept = Some(Vec::new());
        self
    }

    /// Like [`FileIngestor::finish`], but a gzip file's first member may come back unhashed
    /// (see [`FileIngestor::deferring_hash`]): the outcome's `log_hash` is then `None` until the
    /// caller sets it to [`KeptLog::into_hash`] of the returned bytes' SHA-256.
    pub fn finish_deferring_hash<S: EventSink>(
        mut self,
        sink: &mut S,
    ) -> (FileOutcome, DeferredHashes) {
        let result = self.finish_inner(sink);
        let pending = self.state.pending_hash.take();
        self.state.hash_handed_over = pending.is_some();
        let stored = self.state.stored_kept.take();
        self.state.stored_handed_over = stored.is_some();
        let error = result.err().map(|stop| match stop {
            Stop::Input(e) => e,
            Stop::Sink(msg) => IngestError::Sink(msg),
        });
        (
            self.outcome(error),
            DeferredHashes {
                log: pending,
                stored,
            },
        )
    }

    /// Ends the file and reports what it held.
    pub fn finish<S: EventSink>(mut self, sink: &mut S) -> FileOutcome {
        let result = self.finish_inner(sink);
        let error = result.err().map(|stop| match stop {
            Stop::Input(e) => e,
            Stop::Sink(msg) => IngestError::Sink(msg),
        });
        self.outcome(error)
    }

    /// Feeds everything `reader` yields, then finishes (or fails on the first error).
    pub fn read_all<R: std::io::Read, S: EventSink>(
        mut self,
        mut reader: R,
        sink: &mut S,
    ) -> FileOutcome {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return self.finish(sink),
                Ok(n) => {
                    if let Err(e) = self.feed(buf.get(..n).unwrap_or_default(), sink) {
                        return self.fail(e);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(IngestError::Read(e.to_string())),
            }
        }
    }

    /// Gives up on the file with `error` (a feed error or the caller's read error).
    pub fn fail(self, error: IngestError) -> FileOutcome {
        self.outcome(Some(error))
    }

    fn finish_inner<S: EventSink>(&mut self, sink: &mut S) -> Result<(), Stop> {
        let FileIngestor {
            decoder,
            parser,
            state,
            ..
        } = self;
        match decoder {
            Decoder::Start(head) => {
                let head = std::mem::take(head);
                *decoder = Decoder::Plain;
                state.stored_bytes -= head.len() as u64;
                self.feed_inner(&head, sink)?;
                return self.finish_inner(sink);
            }
            Decoder::Gzip(gunzip) => {
                if state.log_hash.is_none() {
                    let error = gunzip.finish().err();
                    state.seal_hash(error.as_ref(), gunzip);
                }
                if let Some(stop) = state.deferred.take() {
                    return Err(stop);
                }
                let summary = gunzip.finish().map_err(|e| Stop::Input(e.into()))?;
                if summary.trailing_bytes > 0 {
                    state.warnings.push(format!(
                        "{} bytes after the end of the gzip data were ignored",
                        summary.trailing_bytes
                    ));
                }
            }
            Decoder::Plain => {}
        }
        parser_finish(parser, state, sink)?;
        if state.events == 0 && !state.kind.is_integrity_input() && state.skipped > 0 {
            let first = state.examples.first().cloned().unwrap_or_default();
            return Err(Stop::Input(IngestError::NoEvents(format!(
                "{} record{} and none is an event; {first}",
                state.skipped,
                if state.skipped == 1 { "" } else { "s" }
            ))));
        }
        Ok(())
    }

    fn outcome(self, error: Option<IngestError>) -> FileOutcome {
        let mut state = self.state;
        let failed = error.is_some();
        let error_text = error.as_ref().map(ToString::to_string);
        if error.is_some() {
            // Nothing of a failed file is kept, so notes about its records would mislead.
            state.time_notes = TimeNotes::default();
            state.examples.clear();
            state.skipped = 0;
        }
        let kind = match (&error, state.kind.kind()) {
            (Some(_), FileKind::JsonEvent | FileKind::Unknown) if state.events == 0 => {
                FileKind::Unknown
            }
            (_, kind) => kind,
        };
        let sealed = state
            .log_hash
            .take()
            .or_else(|| state.pending_hash.take().map(|p| p.into_hash(None)));
        let log_hash = if state.hash_handed_over {
            None // the caller hashes the first member and sets it
        } else if sealed.is_some() {
            sealed
        } else {
            // A gzip file stopped by a cap (a bomb) was never hashed to its end; anything
            // else read as plain text is not gzip, which a log file must be.
            let why = match (&state.tap, &error_text) {
                (Some(_), Some(e)) => format!("not hashed: {e}"),
                _ => "not a gzip stream".to_string(),
            };
            (!failed || state.stored_bytes > 0).then(|| LogHash {
                sha256_hex: String::new(),
                read: LogRead::Invalid(why),
                trailing_data: false,
                decompressed_bytes: 0,
            })
        };
        FileOutcome {
            kind,
            events: state.events,
            skipped_records: state.skipped,
            skipped_examples: state.examples,
            time_notes: state.time_notes,
            stored_bytes: state.stored_bytes,
            text_bytes: state.text_bytes,
            error,
            warnings: state.warnings,
            log_hash,
            stored_sha256: if state.stored_handed_over {
                None // the caller hashes the stored bytes and sets it
            } else {
                let mut sha = state.stored_sha;
                if let Some(kept) = state.stored_kept.take() {
                    sha.update(&kept);
                }
                Some(hex_lower(&sha.finalize()))
            },
            // A gzip file without events keeps its first member (a digest, even one whose
            // JSON the event parser refuses: verification judges it by its path and bytes).
            kept_bytes: match kind {
                FileKind::PublicKeys | FileKind::DigestSignatures => state.kept_text,
                _ => state.digest_bytes.filter(|_| state.events == 0),
            },
        }
    }
}

/// Compressed input is fed to the decoder in steps of at most this many bytes.
const RATIO_STEP_BYTES: usize = 256 * 1024;

/// Feeds one step of compressed input through the gzip decoder into the parser; `stored` is
/// how many compressed bytes of the file have been fed, this step included.
fn feed_gzip<S: EventSink>(
    gunzip: &mut Gunzip,
    parser: &mut TextParser,
    state: &mut Progress,
    chunk: &[u8],
    stored: u64,
    sink: &mut S,
) -> Result<(), Stop> {
    let res = gunzip.feed(chunk, &mut |member, bytes| {
        if member != state.gzip_member {
            state.gzip_member = member;
            if member == 1 {
                state
                    .warnings
                    .push("the gzip file has more than one member; all were read".to_string());
            }
        }
        state.check_budget(bytes.len() as u64, stored)?;
        state.check_whitespace(bytes)?;
        if let Some(tap) = &mut state.tap {
            if state.events > 0 {
                // A file with events is no digest: only digests' bytes are kept.
                tap.stop_keeping();
            }
            tap.update(member, bytes);
        }
        if state.deferred.is_some() {
            return Ok(());
        }
        match parser_feed(parser, state, bytes, sink) {
            // The file's hash needs the rest of it: carry on decompressing and
            // report the parse error at the end.
            Err(stop @ Stop::Input(_)) if state.tap.is_some() => {
                state.deferred = Some(stop);
                Ok(())
            }
            other => other,
        }
    });
    match res {
        Ok(()) => Ok(()),
        Err(FeedError::Gzip(e)) => {
            state.seal_hash(Some(&e), gunzip);
            Err(Stop::Input(e.into()))
        }
        Err(FeedError::Sink(stop)) => Err(stop),
    }
}

impl Progress {
    /// Ends the first member's hash (once), keeping a digest's bytes.
    fn seal_hash(&mut self, error: Option<&GzipError>, gunzip: &Gunzip) {
        if let Some(tap) = self.tap.take() {
            if tap.defers() {
                let (pending, kept) = tap.finish_deferred(error, gunzip);
                self.pending_hash = Some(pending);
                self.digest_bytes = kept;
            } else {
                let (hash, kept) = tap.finish(error, gunzip);
                self.log_hash = Some(hash);
                self.digest_bytes = kept;
            }
        }
    }

    /// Hashes stored bytes, or keeps them for the caller while they fit under the deferral cap
    /// (then hashes what was kept and everything after it here).
    fn hash_stored(&mut self, chunk: &[u8]) {
        let max = self.defer_hash.unwrap_or(0);
        match &mut self.stored_kept {
            Some(kept) if kept.len() + chunk.len() <= max => kept.extend_from_slice(chunk),
            Some(kept) => {
                self.stored_sha.update(&kept[..]);
                self.stored_kept = None;
                self.stored_sha.update(chunk);
            }
            None => self.stored_sha.update(chunk),
        }
    }

    /// Keeps the text of a small file, in case it is a key list or a signature sidecar.
    fn keep_text(&mut self, bytes: &[u8]) {
        if let Some(kept) = &mut self.kept_text {
            if kept.len() + bytes.len() <= KEEP_TEXT_BYTES {
                kept.extend_from_slice(bytes);
            } else {
                self.kept_text = None;
            }
        }
    }

    /// Refuses a run of whitespace longer than the cap. Data has a non-blank byte within its
    /// first few bytes, so this looks at little more than each chunk's ends.
    fn check_whitespace(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if bytes.iter().any(|b| !b.is_ascii_whitespace()) {
            let trailing = bytes
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.whitespace_run = trailing as u64;
        } else {
            self.whitespace_run += bytes.len() as u64;
        }
        if self.whitespace_run > self.limits.max_whitespace_run {
            return Err(IngestError::Padding {
                limit: self.limits.max_whitespace_run,
            }
            .into());
        }
        Ok(())
    }

    fn check_budget(&mut self, new_bytes: u64, stored: u64) -> Result<(), Stop> {
        self.text_bytes += new_bytes;
        if self.text_bytes > self.limits.max_decompressed_bytes {
            return Err(IngestError::TooLarge {
                limit: self.limits.max_decompressed_bytes,
            }
            .into());
        }
        if self.text_bytes > self.limits.ratio_check_after_bytes
            && self.text_bytes / stored.max(1) > self.limits.max_compression_ratio
        {
            return Err(IngestError::Bomb {
                decompressed: self.text_bytes,
                compressed: stored,
                limit: self.limits.max_compression_ratio,
            }
            .into());
        }
        Ok(())
    }

    fn skip(&mut self, position: String, why: &dyn fmt::Display) {
        self.skipped += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(format!("{position}: {why}"));
        }
    }

    fn count_record(&mut self) -> Result<u64, Stop> {
        self.records += 1;
        if self.records > self.limits.max_records_per_file {
            return Err(IngestError::TooManyRecords(self.limits.max_records_per_file).into());
        }
        Ok(self.records)
    }

    /// Unwraps one JSON record and hands its events to the sink.
    fn take_record<S: EventSink>(
        &mut self,
        bytes: &[u8],
        line: u64,
        sink: &mut S,
    ) -> Result<(), Stop> {
        let index = self.count_record()?;
        let position = format!("record {index} (line {line})");
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.skip(position, &"not valid UTF-8");
            return Ok(());
        };
        let Progress {
            kind,
            events,
            time_notes,
            ..
        } = self;
        let result = unwrap_record(text, &mut |event: Event<'_>| {
            kind.saw_event(event.envelope, event.record.is_insight());
            time_notes.observe(&event);
            *events += 1;
            sink.accept(&event).map_err(|e| e.to_string())
        });
        match result {
            Ok(found) => {
                if found.digest {
                    self.kind.saw_digest();
                }
                if found.public_keys {
                    self.kind.saw_public_keys();
                }
                if found.signatures {
                    self.kind.saw_signatures();
                }
                if found.skipped_children > 0 {
                    self.skip(
                        position,
                        &format!("{} nested records are not events", found.skipped_children),
                    );
                }
                Ok(())
            }
            Err(Ok(msg)) => Err(Stop::Sink(msg)),
            Err(Err(e)) => {
                self.skip(position, &e);
                Ok(())
            }
        }
    }
}

fn parser_feed<S: EventSink>(
    parser: &mut TextParser,
    state: &mut Progress,
    bytes: &[u8],
    sink: &mut S,
) -> Result<(), Stop> {
    let bytes = if state.bom_checked {
        bytes
    } else {
        strip_bom(parser, state, bytes)?
    };
    if !matches!(parser, TextParser::Sniff(_)) {
        // Sniffed bytes come back through here once a parser is chosen.
        state.keep_text(bytes);
    }
    match parser {
        TextParser::Sniff(head) => {
            head.extend_from_slice(bytes);
            if head.len() >= SNIFF_BYTES {
                let head = std::mem::take(head);
                // Exactly the first SNIFF_BYTES decide, however the file arrived in chunks (a
                // fuzzer found a file whose kind depended on the chunk size).
                choose_parser(parser, state, head.get(..SNIFF_BYTES).unwrap_or(&head))?;
                return parser_feed(parser, state, &head, sink);
            }
            Ok(())
        }
        TextParser::Json(splitter) => split_feed(splitter, state, bytes, sink),
        TextParser::Timestamped(in_prefix, splitter) => {
            let mut rest = bytes;
            while !rest.is_empty() {
                if *in_prefix {
                    // Skip the time up to the first space (a line without one is all prefix).
                    match memchr::memchr2(b' ', b'\n', rest) {
                        Some(i) => {
                            *in_prefix = rest.get(i) == Some(&b'\n');
                            rest = rest.get(i + 1..).unwrap_or_default();
                        }
                        None => rest = &[],
                    }
                } else {
                    let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                    let (line, tail) = rest.split_at(end);
                    split_feed(splitter, state, line, sink)?;
                    *in_prefix = line.last() == Some(&b'\n');
                    rest = tail;
                }
            }
            Ok(())
        }
        TextParser::Csv(csv) => csv
            .feed(bytes, &mut |event: Event<'_>| {
                accept_csv_event(state, event, sink)
            })
            .map_err(|e| match e {
                crate::csv_history::CsvFeedError::Csv(e) => Stop::Input(e.into()),
                crate::csv_history::CsvFeedError::Consumer(stop) => stop,
            }),
    }
}

fn split_feed<S: EventSink>(
    splitter: &mut Splitter,
    state: &mut Progress,
    bytes: &[u8],
    sink: &mut S,
) -> Result<(), Stop> {
    match splitter.feed(bytes, &mut |piece: Piece<'_>| on_piece(state, piece, sink)) {
        Ok(()) => Ok(()),
        Err(SplitFeedError::Split(e)) => Err(IngestError::Json(e).into()),
        Err(SplitFeedError::Consumer(stop)) => Err(stop),
    }
}

fn accept_csv_event<S: EventSink>(
    state: &mut Progress,
    event: Event<'_>,
    sink: &mut S,
) -> Result<(), Stop> {
    state.count_record()?;
    state
        .kind
        .saw_event(event.envelope, event.record.is_insight());
    state.time_notes.observe(&event);
    state.events += 1;
    sink.accept(&event).map_err(|e| Stop::Sink(e.to_string()))
}

fn on_piece<S: EventSink>(
    state: &mut Progress,
    piece: Piece<'_>,
    sink: &mut S,
) -> Result<(), Stop> {
    match piece {
        Piece::Item {
            container,
            bytes,
            line,
        } => {
            state.kind.saw_container(container);
            state.take_record(bytes, line, sink)
        }
        Piece::Object {
            bytes,
            streamed,
            line,
        } => {
            if let Some(container) = streamed {
                // The remainder of e.g. `{"Records":[...]}`: metadata, not events.
                state.kind.saw_container(container);
                return Ok(());
            }
            state.kind.saw_top_object();
            state.take_record(bytes, line, sink)
        }
    }
}

fn parser_finish<S: EventSink>(
    parser: &mut TextParser,
    state: &mut Progress,
    sink: &mut S,
) -> Result<(), Stop> {
    if let TextParser::Sniff(head) = parser {
        let head = std::mem::take(head);
        if head.iter().all(u8::is_ascii_whitespace) {
            return Err(IngestError::Empty.into());
        }
        choose_parser(parser, state, &head)?;
        parser_feed(parser, state, &head, sink)?;
    }
    match parser {
        TextParser::Sniff(_) => Ok(()),
        TextParser::Json(splitter) | TextParser::Timestamped(_, splitter) => {
            match splitter.finish(&mut |piece| on_piece(state, piece, sink)) {
                Ok(()) => Ok(()),
                Err(SplitFeedError::Split(e)) => Err(IngestError::Json(e).into()),
                Err(SplitFeedError::Consumer(stop)) => Err(stop),
            }
        }
        TextParser::Csv(csv) => csv
            .finish(&mut |event: Event<'_>| accept_csv_event(state, event, sink))
            .map_err(|e| match e {
                crate::csv_history::CsvFeedError::Csv(e) => Stop::Input(e.into()),
                crate::csv_history::CsvFeedError::Consumer(stop) => stop,
            }),
    }
}

/// Drops a UTF-8 byte order mark; refuses UTF-16 text, which would otherwise read as binary.
fn strip_bom<'b>(
    parser: &TextParser,
    state: &mut Progress,
    bytes: &'b [u8],
) -> Result<&'b [u8], Stop> {
    let seen = match parser {
        TextParser::Sniff(head) => head.len(),
        _ => usize::MAX,
    };
    if seen > 0 || bytes.len() >= 3 {
        state.bom_checked = true;
    }
    if seen == 0 {
        if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
            return Ok(bytes.get(3..).unwrap_or_default());
        }
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Err(IngestError::Encoding("UTF-16").into());
        }
    }
    Ok(bytes)
}

fn choose_parser(parser: &mut TextParser, state: &mut Progress, head: &[u8]) -> Result<(), Stop> {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(IngestError::Empty.into());
    };
    let first = head.get(start).copied().unwrap_or_default();
    if first == b'{' || first == b'[' {
        *parser = TextParser::Json(Box::new(Splitter::new(SplitLimits {
            max_depth: state.limits.max_depth,
            max_record_bytes: state.limits.max_record_bytes,
        })));
        return Ok(());
    }
    if is_timestamped_json(head.get(start..).unwrap_or_default()) {
        state.kind.saw_cloudwatch_export();
        *parser = TextParser::Timestamped(
            true,
            Box::new(Splitter::new(SplitLimits {
                max_depth: state.limits.max_depth,
                max_record_bytes: state.limits.max_record_bytes,
            })),
        );
        return Ok(());
    }
    if looks_binary(head) {
        let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(IngestError::Binary(shown.join(" ")).into());
    }
    if let Some(csv) = CsvHistory::detect(head, state.limits.max_record_bytes) {
        state.kind.saw_csv();
        *parser = TextParser::Csv(Box::new(csv));
        return Ok(());
    }
    let text = String::from_utf8_lossy(head.get(start..).unwrap_or_default());
    let first_line: String = text.lines().next().unwrap_or("").chars().take(60).collect();
    Err(IngestError::UnknownText(first_line).into())
}

/// Reads a whole file from a reader (native callers: the CLI, tests, benchmarks).
pub fn ingest_reader<R: std::io::Read, S: EventSink>(
    reader: R,
    limits: Limits,
    sink: &mut S,
) -> FileOutcome {
    FileIngestor::new(limits).read_all(reader, sink)
}

/// Reads a whole file held in memory.
pub fn ingest_bytes<S: EventSink>(bytes: &[u8], limits: Limits, sink: &mut S) -> FileOutcome {
    ingest_reader(bytes, limits, sink)
}
