//! What the measuring examples share: a folder's CloudTrail files parsed as the page's parser
//! workers parse them, and handed on in the messages those workers send.
// A measuring tool: a failure ends it with the reason.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use trailscope_model::{ingest_bytes, Limits};
use trailscope_protocol::{summary_to_wire, ParsedFile};
use trailscope_store::{BatchBuilder, EventBatch, FileSummary};

/// What a parser worker puts in one message (its `EVENTS_PER_BATCH`).
const EVENTS_PER_MESSAGE: usize = 50_000;

/// Every file under `dir`, in name order (folders walked depth first).
fn files_in(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable folder")
        .map(|e| e.expect("a readable entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_in(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Parses every file under `dir` and hands each message, the files it finished and their
/// events (at most about 50,000), to `message`, in order: what the store worker receives.
pub fn parse_in_messages(dir: &Path, mut message: impl FnMut(Vec<ParsedFile>, EventBatch)) {
    let mut paths = Vec::new();
    files_in(dir, &mut paths);
    let mut builder = BatchBuilder::new();
    let mut files: Vec<ParsedFile> = Vec::new();
    for (input, path) in (0u32..).zip(&paths) {
        let bytes = std::fs::read(path).expect("a readable file");
        let before = builder.len();
        let outcome = ingest_bytes(&bytes, Limits::default(), &mut builder);
        files.push(ParsedFile {
            input,
            path: path.display().to_string(),
            summary: summary_to_wire(&FileSummary::from(&outcome)),
            rows: (builder.len() - before) as u64,
            discard: false,
            streamed: false,
            log_hash: None,
            kept: None,
            stored_sha256: None,
        });
        if builder.len() >= EVENTS_PER_MESSAGE {
            message(std::mem::take(&mut files), builder.take());
        }
    }
    if !files.is_empty() {
        message(files, builder.take());
    }
}
