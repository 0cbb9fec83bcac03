//! CloudTrail file formats: detection, streaming decompression and parsing into one event model.
//!
//! Every shape CloudTrail data comes in (S3 log files, digest and Insights files, the console's
//! Event history CSV, `lookup-events` output, one-event-per-line exports, EventBridge and
//! CloudWatch Logs envelopes, ZIP archives) is recognised from its content and read by one
//! push-driven [`FileIngestor`]: feed it the file's bytes in chunks of any size and it hands every
//! [`Event`] to an [`EventSink`], then returns a [`FileOutcome`] with the file's [`FileKind`], its
//! counts, and the [`IngestError`] that stopped it, if any. Nothing here does I/O or reads a clock.
//!
//! ```
//! use trailscope_model::{ingest_bytes, Event, EventSink, FileKind, Limits};
//!
//! struct Names(Vec<String>);
//! impl EventSink for Names {
//!     type Error = std::convert::Infallible;
//!     fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
//!         self.0.push(event.record.event_name.as_str().unwrap_or("").to_string());
//!         Ok(())
//!     }
//! }
//!
//! let log = br#"{"Records":[{"eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z"}]}"#;
//! let mut names = Names(Vec::new());
//! let outcome = ingest_bytes(log, Limits::default(), &mut names);
//! assert_eq!(outcome.kind, FileKind::CloudTrailLog);
//! assert_eq!(outcome.error, None);
//! assert_eq!(names.0, ["CreateUser"]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod archive;
mod cidr;
mod compare;
mod csv_history;
mod csv_out;
mod event;
mod gzip;
mod html_out;
mod ingest;
mod kind;
mod lenient;
mod limits;
mod loghash;
mod outcome;
mod sniff;
mod split;
mod time;
mod unwrap;

pub use archive::{
    is_os_metadata, nesting_error, read_nested, ArchiveStep, ArchiveTree, SkippedEntries, ZipEntry,
    ZipWalker,
};
pub use cidr::Cidr;
pub use compare::{compare_records, Comparison, Difference};
pub use csv_out::{csv_document, CsvWriter};
pub use event::{Envelope, Event, EventRecord, EventTime, TimeSource, UserIdentity};
pub use html_out::html_escape;
pub use ingest::{ingest_bytes, ingest_reader, DeferredHashes, EventSink, FileIngestor};
pub use kind::{has_cloudtrail_file_name, FileKind};
pub use limits::{Limits, MAX_DIGEST_BYTES};
pub use loghash::{hex_lower, KeptLog, LogHash, LogHasher, LogRead};
pub use outcome::{FileOutcome, IngestError, TimeNotes};
pub use sniff::{packaging, Packaging};
pub use time::{epoch_number_to_timestamp, parse_event_time, TimeQuality, Timestamp};
pub use unwrap::unwrap_record;

/// The building blocks under [`FileIngestor`]: the gzip member reader, the JSON splitter and the
/// console CSV reader. Public for verification (which reads digests' first gzip member itself),
/// the fuzz targets and benchmarks; everything else goes through the ingestor.
pub mod parts {
    pub use crate::csv_history::CsvHistory;
    pub use crate::gzip::{FeedError, Gunzip, GzipError};
    pub use crate::split::{Piece, SplitLimits, Splitter};
}
