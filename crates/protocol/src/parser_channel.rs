//! The parsers: what the page asks of them, what they tell the page, and the files they send the
//! store worker.

#[cfg(doc)]
use crate::merge;
use crate::RequestId;

use serde::{Deserialize, Serialize};

/// What the page asks of a parser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ParseRequest {
    /// Read a pack of inputs. The inputs travel beside the message as one `Blob` (`pack`) made of
    /// the files one after another: handing a worker one `File` costs the page's main thread a
    /// millisecond or more, while a `Blob` of a thousand files costs almost nothing, and the
    /// parser can read many small files in one request.
    Parse {
        /// The load.
        load: RequestId,
        /// The pack's inputs, in order.
        inputs: Vec<PackedInput>,
        /// Verify-only mode: hash gzip files that are not digests without reading their events.
        #[serde(default)]
        hash_only: bool,
    },
    /// Skip every input not yet read (the one being read is dropped).
    Cancel {
        /// The load.
        load: RequestId,
    },
}

/// One input of a pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedInput {
    /// Its number in the load.
    pub number: u32,
    /// Display path (folder-relative for folders).
    pub path: String,
    /// Its size in bytes: where the next input of the pack starts.
    pub size: u64,
}

/// What a parser tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ParseEvent {
    /// The parser has started.
    Ready {
        /// Which parser.
        parser: u32,
    },
    /// Reading advanced.
    Progress {
        /// The load.
        load: RequestId,
        /// Which parser.
        parser: u32,
        /// Bytes of this parser's inputs read so far.
        bytes_done: u64,
        /// Bytes of the inputs this parser has been given.
        bytes_total: u64,
    },
}

/// What a parser sends the store: files it read, whose event batches travel beside the message
/// as `ArrayBuffer`s in `batches` ([`trailscope_store::EventBatch::to_bytes`]) with the files'
/// rows one after another, and the inputs it finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    /// The load.
    pub load: RequestId,
    /// Files (or archive entries) read, in the order of their rows.
    pub files: Vec<ParsedFile>,
    /// Inputs whose files have all been sent (an archive may send many files).
    pub inputs_done: Vec<InputDone>,
    /// Set on a message that carries only the next rows of a large file still being read
    /// ([`ParsedFile::streamed`]): the store merges them as they come.
    #[serde(default)]
    pub chunk_of: Option<FileChunk>,
    /// Where the parser's time went since its previous message (the store worker adds them up).
    #[serde(default)]
    pub stages: LoadStages,
}

/// Where the workers' time went during a load, in milliseconds on each worker's own clock
/// (parsers' figures are summed over the parsers, so they can exceed the load's wall time; on a
/// machine with fewer cores than busy threads a stage's time includes waiting for a core). The
/// load's per-stage accounting: shown under the load note and read by the benchmarks, to find
/// what a faster load has to make faster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadStages {
    /// Parsers waiting for the browser to hand over files' bytes.
    pub reading: f64,
    /// Parsers reading files into events: gunzip, SHA-256, JSON, building event batches.
    pub parsing: f64,
    /// Parsers waiting for the browser's SHA-256 of log files (WebCrypto, off their thread).
    #[serde(default)]
    pub hashing: f64,
    /// Parsers encoding batches and posting them to the store worker.
    pub sending: f64,
    /// The store worker merging batches: decoding, interning values, dedupe, compressing records.
    pub merging: f64,
    /// The store worker writing the kept workspace's journal.
    pub keeping: f64,
    /// The store worker ordering events by time after the last file.
    pub ordering: f64,
}

impl LoadStages {
    /// Adds `other`'s time to this.
    pub fn add(&mut self, other: &LoadStages) {
        self.reading += other.reading;
        self.parsing += other.parsing;
        self.hashing += other.hashing;
        self.sending += other.sending;
        self.merging += other.merging;
        self.keeping += other.keeping;
        self.ordering += other.ordering;
    }
}

/// Which file a chunk of rows belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChunk {
    /// The input it belongs to.
    pub input: u32,
    /// Display path.
    pub path: String,
}

/// One file a parser read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParsedFile {
    /// The input it belongs to.
    pub input: u32,
    /// Display path (`archive.zip/entry` for archive entries).
    pub path: String,
    /// What reading it produced.
    pub summary: SummaryWire,
    /// Its rows in the batches.
    pub rows: u64,
    /// Its read was cancelled half-way: skip its rows, do not list it.
    pub discard: bool,
    /// Its rows came in [`Parsed::chunk_of`] messages ahead of this one and in this message's
    /// batches (a large file, see [`merge`]); `rows` counts them all.
    #[serde(default)]
    pub streamed: bool,
    /// Its first gzip member's hash, for verification.
    pub log_hash: Option<LogHashWire>,
    /// The bytes verification needs (a digest's first member, a key list, a signature file).
    pub kept: Option<serde_bytes::ByteBuf>,
    /// SHA-256 of the file as stored.
    pub stored_sha256: Option<String>,
}

/// [`trailscope_model::LogHash`] on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHashWire {
    /// Lowercase hex SHA-256 of the first member.
    pub sha256: String,
    /// `complete`, `trailer_missing`, `truncated` or `invalid`.
    pub read: String,
    /// Why it is invalid.
    pub reason: Option<String>,
    /// Data after the first member.
    pub trailing: bool,
    /// Decompressed bytes of the first member.
    pub bytes: u64,
}

/// An input whose files have all been sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDone {
    /// The input.
    pub input: u32,
    /// Its path.
    pub path: String,
    /// False when it was skipped because the load was cancelled.
    pub read: bool,
}

/// [`trailscope_store::FileSummary`] on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryWire {
    /// [`trailscope_model::FileKind::id`].
    pub kind: String,
    /// Events read.
    pub events: u64,
    /// Records skipped.
    pub skipped_records: u64,
    /// The first skipped records' problems.
    pub skipped_examples: Vec<String>,
    /// How the events' times were read.
    pub time_notes: trailscope_model::TimeNotes,
    /// Bytes as stored.
    pub stored_bytes: u64,
    /// Bytes of text.
    pub text_bytes: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// Oddities.
    pub warnings: Vec<String>,
    /// The error is well-formed data that is not CloudTrail.
    pub foreign: bool,
}
