//! Verify-only mode: a gzip log file hashed as aws-cli judges it (its first member), without
//! reading its events.

use std::cell::RefCell;
use std::rc::Rc;

use trailscope_model::{hex_lower, FileKind, FileOutcome, IngestError, LogHasher};
use trailscope_protocol::PackedInput;

use crate::worker::fast_hash::sha256_hex;

use super::*;

/// Verify-only mode: hashes a gzip file as aws-cli judges a log file, without its events. The
/// file and its first member are hashed by WebCrypto when they fit in memory (real log files
/// are a few MB), by `sha2` past that.
pub(super) async fn hash_input(
    state: &Rc<RefCell<ParserState>>,
    out: &mut Outgoing,
    reader: &mut PackReader,
    input: &PackedInput,
    head: Vec<u8>,
    remaining: u64,
) -> Result<(), Cancelled> {
    let (number, path, size) = (input.number, input.path.as_str(), input.size);
    let rows_before = out.rows;
    let mut hasher = LogHasher::keeping(KEEP_FOR_WEBCRYPTO);
    let mut stored = StoredHash::new(size);
    hasher.feed(&head);
    stored.feed(&head);
    let mut bytes = InputBytes::new(reader, state, size, remaining);
    loop {
        match bytes.next(state, out.load).await {
            Next::Piece(piece) => {
                hasher.feed(piece);
                stored.feed(piece);
            }
            Next::End => break,
            Next::Failed(e) => {
                out.failed(number, path, FileKind::HashedOnly, IngestError::Read(e));
                return Ok(());
            }
            Next::Cancelled => {
                let cancelled = FileOutcome::failed(
                    FileKind::HashedOnly,
                    IngestError::Read("cancelled".into()),
                );
                out.file(number, path, &cancelled, rows_before, true);
                return Err(Cancelled);
            }
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
pub(super) enum StoredHash {
    Kept(Vec<u8>),
    Streamed(sha2::Sha256, u64),
}

impl StoredHash {
    pub(super) fn new(size: u64) -> Self {
        if size <= KEEP_FOR_WEBCRYPTO as u64 {
            StoredHash::Kept(Vec::with_capacity(size as usize))
        } else {
            StoredHash::Streamed(sha2::Sha256::default(), 0)
        }
    }

    pub(super) fn feed(&mut self, bytes: &[u8]) {
        match self {
            StoredHash::Kept(kept) => kept.extend_from_slice(bytes),
            StoredHash::Streamed(sha, n) => {
                sha2::Digest::update(sha, bytes);
                *n += bytes.len() as u64;
            }
        }
    }

    pub(super) async fn finish(self) -> (String, u64) {
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
