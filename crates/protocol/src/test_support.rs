//! What the tests of the merge and of the workspace journal both build: parser messages' files
//! and batches of small generated logs.

use trailscope_model::{ingest_bytes, FileKind, FileOutcome, IngestError, Limits};
use trailscope_store::{BatchBuilder, EventBatch, FileSummary};

use crate::{summary_to_wire, FileChunk, ParsedFile};

/// A batch of the events `e{i}` for `ids`, a second apart within a minute, from seven addresses;
/// `user_agent` changes their content (another value makes conflicting copies).
pub(crate) fn log_batch(ids: std::ops::Range<u32>, user_agent: &str) -> EventBatch {
    let records: Vec<String> = ids
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"e{i}","sourceIPAddress":"10.0.0.{}","userAgent":"{user_agent}"}}"#,
                i % 60,
                i % 7
            )
        })
        .collect();
    let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let mut builder = BatchBuilder::new();
    let outcome = ingest_bytes(log.as_bytes(), Limits::default(), &mut builder);
    assert!(outcome.error.is_none());
    builder.take()
}

/// A file as a parser lists it: `rows` rows, read whole or `streamed` in chunks, failed or not.
pub(crate) fn parsed_file(
    input: u32,
    path: &str,
    rows: u64,
    streamed: bool,
    error: bool,
) -> ParsedFile {
    let mut outcome =
        FileOutcome::failed(FileKind::CloudTrailLog, IngestError::Read("broken".into()));
    if !error {
        outcome.error = None;
    }
    ParsedFile {
        input,
        path: path.into(),
        summary: summary_to_wire(&FileSummary::from(&outcome)),
        rows,
        discard: false,
        streamed,
        log_hash: None,
        kept: None,
        stored_sha256: None,
    }
}

/// The large file a chunk of rows continues.
pub(crate) fn chunk(input: u32, path: &str) -> Option<FileChunk> {
    Some(FileChunk {
        input,
        path: path.into(),
    })
}
