//! Reading a pack (one `Blob` of many files back to back) in large ranges, a couple ahead, cut
//! into files by their sizes.

use std::collections::VecDeque;

use trailscope_protocol::PackedInput;
use web_sys::Blob;

use crate::worker::blob::ChunkRead;

use super::*;

/// A pack waiting to be read.
pub(super) struct Pack {
    pub(super) blob: Blob,
    pub(super) inputs: Vec<PackedInput>,
    /// Verify-only mode.
    pub(super) hash_only: bool,
}

/// Reads a pack front to back, in large ranges requested ahead of need.
pub(super) struct PackReader {
    pub(super) blob: Blob,
    pub(super) size: f64,
    /// Next byte to request.
    pub(super) requested: f64,
    pub(super) inflight: VecDeque<ChunkRead>,
    /// The range being consumed, and how much of it is consumed.
    pub(super) current: Vec<u8>,
    pub(super) used: usize,
    /// Why a read of the pack failed: past it, offsets are unknown, so every later read fails
    /// with the same reason rather than reading the next files at the wrong place.
    pub(super) failed: Option<String>,
}

impl PackReader {
    pub(super) fn new(blob: Blob) -> Self {
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

    pub(super) fn request(&mut self) {
        while self.inflight.len() < READ_AHEAD && self.requested < self.size {
            let end = (self.requested + RANGE_BYTES).min(self.size);
            self.inflight
                .push_back(ChunkRead::start(&self.blob, self.requested, end));
            self.requested = end;
        }
    }

    /// Up to `max` next bytes (fewer at a range end); empty at the end of the pack.
    pub(super) async fn piece(&mut self, max: usize) -> Result<&[u8], String> {
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
    pub(super) async fn skip(&mut self, mut n: u64) {
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

    pub(super) async fn finish(&mut self, read: ChunkRead) -> Result<Vec<u8>, String> {
        read.finish().await.map_err(|e| {
            let e = format!("the browser could not read the files: {e}");
            self.failed = Some(e.clone());
            self.current = Vec::new();
            e
        })
    }
}
