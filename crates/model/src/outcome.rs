//! What reading a file produced: its outcome, the notes on how its times were read, and the
//! errors that stop a file (each names the problem; the other files still load).

use crate::csv_history::CsvError;
use crate::event::{Event, TimeSource};
use crate::gzip::GzipError;
use crate::kind::FileKind;
use crate::loghash::LogHash;
use crate::split::SplitError;
use crate::time::TimeQuality;

/// Why a file could not be read. Each message says what is wrong; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file has no bytes (or only whitespace).
    #[error("the file is empty")]
    Empty,
    /// Binary content that is none of the known formats.
    #[error("binary data, not gzip, ZIP, JSON or CSV (first bytes {0})")]
    Binary(String),
    /// Text that is neither JSON nor a recognised CSV.
    #[error("text that is neither JSON nor a CloudTrail CSV (it starts with {0:?})")]
    UnknownText(String),
    /// Text in an encoding other than UTF-8.
    #[error("{0} text; save it as UTF-8")]
    Encoding(&'static str),
    /// The gzip stream is broken.
    #[error("{0}")]
    Gzip(#[from] GzipError),
    /// The JSON text is malformed or exceeds a structural cap.
    #[error("{0}")]
    Json(#[from] SplitError),
    /// The CSV is malformed.
    #[error("{0}")]
    Csv(#[from] CsvError),
    /// Decompressed data beyond [`crate::Limits::max_decompressed_bytes`].
    #[error("decompresses to more than {limit} bytes (limit)")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// A compression ratio only a decompression bomb reaches.
    #[error("decompression bomb: {decompressed} bytes from {compressed} compressed bytes (over {limit}:1)")]
    Bomb {
        /// Bytes produced so far.
        decompressed: u64,
        /// Compressed bytes consumed so far.
        compressed: u64,
        /// The ratio cap.
        limit: u64,
    },
    /// A run of whitespace longer than [`crate::Limits::max_whitespace_run`]: padding, not data (a
    /// stream of blanks compresses below the bomb ratio, and would be read to the size cap).
    #[error("more than {limit} bytes of whitespace in a row: not CloudTrail data")]
    Padding {
        /// The cap.
        limit: u64,
    },
    /// More records than [`crate::Limits::max_records_per_file`].
    #[error("more than {0} records in one file (limit)")]
    TooManyRecords(u64),
    /// Valid JSON that holds no CloudTrail event at all.
    #[error("no CloudTrail events: {0}")]
    NoEvents(String),
    /// The sink refused an event.
    #[error("{0}")]
    Sink(String),
    /// Reading the file failed (I/O error, reported by the caller).
    #[error("cannot read the file: {0}")]
    Read(String),
    /// A ZIP archive could not be opened or an entry could not be read.
    #[error("{0}")]
    Archive(String),
}

impl IngestError {
    /// Well-formed data that is simply not CloudTrail (valid JSON without an event, other
    /// text): a helper file dropped with the logs (a `describe-trails` output, a manifest, a
    /// README), listed as not CloudTrail rather than as a failure, unless its name says it is
    /// a CloudTrail file (see [`crate::has_cloudtrail_file_name`]).
    pub fn is_foreign_data(&self) -> bool {
        matches!(self, IngestError::NoEvents(_) | IngestError::UnknownText(_))
    }
}

/// Counts of events whose time was not a plain UTC `eventTime`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeNotes {
    /// Events without any usable time (kept, listed without a time).
    pub missing: u64,
    /// Times with an offset, converted to UTC.
    pub converted_from_offset: u64,
    /// Times without a zone, read as UTC.
    pub assumed_utc: u64,
    /// Times read from epoch numbers.
    pub from_epoch_number: u64,
    /// Times taken from an envelope because the record had no `eventTime`.
    pub from_envelope: u64,
    /// Times taken from Logstash's `@timestamp` because the record had no `eventTime`.
    pub from_logstash_timestamp: u64,
}

impl TimeNotes {
    pub(crate) fn observe(&mut self, event: &Event<'_>) {
        let Some(t) = event.time else {
            self.missing += 1;
            return;
        };
        match t.quality {
            TimeQuality::Exact => {}
            TimeQuality::ConvertedFromOffset => self.converted_from_offset += 1,
            TimeQuality::AssumedUtc => self.assumed_utc += 1,
            TimeQuality::FromEpochNumber => self.from_epoch_number += 1,
        }
        match t.source {
            TimeSource::EventTime => {}
            TimeSource::Envelope => self.from_envelope += 1,
            TimeSource::LogstashTimestamp => self.from_logstash_timestamp += 1,
        }
    }

    /// Sentences for the file list, one per non-zero count.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |n: u64, what: &str| {
            if n > 0 {
                out.push(format!(
                    "{n} {} {what}",
                    if n == 1 { "event" } else { "events" }
                ));
            }
        };
        say(
            self.missing,
            "without a usable time (kept, shown without a time)",
        );
        say(
            self.converted_from_offset,
            "with a local time, converted to UTC",
        );
        say(self.assumed_utc, "with a time without a zone, read as UTC");
        say(self.from_epoch_number, "with an epoch-number time");
        say(self.from_envelope, "timed by their envelope (no eventTime)");
        say(
            self.from_logstash_timestamp,
            "timed by Logstash's @timestamp (no eventTime)",
        );
        out
    }
}

/// The result of reading one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOutcome {
    /// What the file turned out to be.
    pub kind: FileKind,
    /// Events handed to the sink.
    pub events: u64,
    /// Records skipped because they were not events or not valid JSON.
    pub skipped_records: u64,
    /// The first few skipped records' problems, with their position.
    pub skipped_examples: Vec<String>,
    /// Notes on event times.
    pub time_notes: TimeNotes,
    /// Compressed (as stored) bytes read.
    pub stored_bytes: u64,
    /// Bytes of text after decompression.
    pub text_bytes: u64,
    /// Why the file failed, if it did. A failed file's events must be discarded by the caller.
    pub error: Option<IngestError>,
    /// Non-fatal oddities (trailing data after the gzip stream, ...).
    pub warnings: Vec<String>,
    /// The SHA-256 of its first gzip member, judged as aws-cli judges a log file (computed
    /// while reading, so verification never reads the file again); a file that is not gzip
    /// reads as invalid.
    pub log_hash: Option<LogHash>,
    /// The SHA-256 of the file as stored, lowercase hex (for reports that identify inputs).
    pub stored_sha256: Option<String>,
    /// The bytes verification needs: for a gzip file without events (a digest), its first gzip
    /// member exactly (what a digest's signature covers); for a public-key list or a signature
    /// sidecar, its text.
    pub kept_bytes: Option<Vec<u8>>,
}

impl FileOutcome {
    /// The outcome of a gzip file only hashed for verification (the page's verify-only mode):
    /// no event was read. A damaged gzip stream is not an error here: verification judges it.
    pub fn hashed_only(log_hash: LogHash, stored_sha256: String, stored_bytes: u64) -> Self {
        FileOutcome {
            kind: FileKind::HashedOnly,
            events: 0,
            skipped_records: 0,
            skipped_examples: Vec::new(),
            time_notes: TimeNotes::default(),
            stored_bytes,
            text_bytes: log_hash.decompressed_bytes,
            error: None,
            warnings: Vec::new(),
            log_hash: Some(log_hash),
            stored_sha256: Some(stored_sha256),
            kept_bytes: None,
        }
    }

    /// The outcome of a file that could not be read at all.
    pub fn failed(kind: FileKind, error: IngestError) -> Self {
        FileOutcome {
            kind,
            events: 0,
            skipped_records: 0,
            skipped_examples: Vec::new(),
            time_notes: TimeNotes::default(),
            stored_bytes: 0,
            text_bytes: 0,
            error: Some(error),
            warnings: Vec::new(),
            log_hash: None,
            stored_sha256: None,
            kept_bytes: None,
        }
    }
}
