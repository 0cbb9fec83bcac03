//! The CLI's place for compressed records past what it keeps in memory: an unnamed temporary
//! file. The columns a query, a detection or SQL reads stay in memory; the original records
//! (about two thirds of a real trail's store) are read back only for free text, the output
//! and detail, so keeping them on disk roughly halves a command's memory per million events.
//!
//! Written here rather than taken from a crate: the store asks only "keep these bytes, read
//! them back by index", which is a file, a list of offsets and a lock.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use trailscope_store::BlockSpill;

/// Blocks that could not be read back (an I/O error on the temporary file): the store then
/// has no record for their rows, so [`read_failures`] is checked before a command says all
/// went well. One counter for the process: a command holds one store at a time.
static READ_FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many spilled blocks could not be read back since the process started.
pub fn read_failures() -> u64 {
    READ_FAILURES.load(Ordering::Relaxed)
}

/// Sealed record blocks appended to an unnamed temporary file (in `TMPDIR`), which the system
/// removes when the process ends, however it ends.
pub struct FileSpill {
    /// Behind a lock because reading moves the file's position, and the store reads through
    /// `&self` from any thread (SQL scans in parallel).
    file: Mutex<File>,
    /// Each block's offset in the file and length.
    blocks: Vec<(u64, u32)>,
    /// Where the next block goes.
    end: u64,
    /// Set on the first failed write (a full disk): later blocks stay in memory, where the
    /// memory limit still watches them.
    full: bool,
}

impl FileSpill {
    /// A spill in a new temporary file; an error when none can be created.
    pub fn new() -> std::io::Result<Self> {
        Ok(FileSpill {
            file: Mutex::new(tempfile::tempfile()?),
            blocks: Vec::new(),
            end: 0,
            full: false,
        })
    }
}

impl BlockSpill for FileSpill {
    fn keep(&mut self, block: &[u8]) -> Option<u32> {
        if self.full {
            return None;
        }
        let index = u32::try_from(self.blocks.len()).ok()?;
        let len = u32::try_from(block.len()).ok()?;
        let file = self.file.get_mut().ok()?;
        let written = file
            .seek(SeekFrom::Start(self.end))
            .and_then(|_| file.write_all(block));
        if written.is_err() {
            // What was partly written is overwritten by nothing: no block points at it.
            self.full = true;
            return None;
        }
        self.blocks.push((self.end, len));
        self.end += u64::from(len);
        Some(index)
    }

    fn read(&self, index: u32, out: &mut Vec<u8>) -> bool {
        let Some(&(offset, len)) = self.blocks.get(index as usize) else {
            return false;
        };
        let read = self.file.lock().ok().and_then(|mut file| {
            out.clear();
            out.resize(len as usize, 0);
            file.seek(SeekFrom::Start(offset)).ok()?;
            file.read_exact(out).ok()
        });
        if read.is_none() {
            out.clear();
            READ_FAILURES.fetch_add(1, Ordering::Relaxed);
        }
        read.is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn blocks_come_back_byte_for_byte_in_any_order() {
        let mut spill = FileSpill::new().unwrap();
        let blocks: Vec<Vec<u8>> = (0..50u8)
            .map(|i| (0..(i as usize * 97 + 1)).map(|j| (j as u8) ^ i).collect())
            .collect();
        let indexes: Vec<u32> = blocks.iter().map(|b| spill.keep(b).unwrap()).collect();
        assert_eq!(indexes, (0..50).collect::<Vec<u32>>());
        assert_eq!(
            spill.end,
            blocks.iter().map(|b| b.len() as u64).sum::<u64>()
        );
        let mut out = Vec::new();
        for i in (0..50).rev().chain(0..50) {
            assert!(spill.read(i, &mut out));
            assert_eq!(out, blocks[i as usize]);
        }
        assert!(!spill.read(50, &mut out), "no such block");
        assert_eq!(read_failures(), 0);
    }
}
