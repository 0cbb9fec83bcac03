//! The CLI's place for compressed records past what it keeps in memory: an unnamed temporary
//! file. The columns a query, a detection or SQL reads stay in memory; the original records
//! (about two thirds of a real trail's store) are read back only for free text, the output
//! and detail, so keeping them on disk roughly halves a command's memory per million events.
//!
//! Written here rather than taken from a crate: the store asks only "keep these bytes, read
//! them back by index", which is a file, a list of offsets and a lock.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
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
/// removes when the process ends, however it ends. The file is made when the first block
/// comes, so a trail that fits in memory never touches the disk.
pub struct FileSpill {
    /// Behind a lock because reading moves the file's position, and the store reads through
    /// `&self` from any thread (SQL scans in parallel). `None` until the first block.
    file: Mutex<Option<File>>,
    /// Each block's offset in the file and length.
    blocks: Vec<(u64, u32)>,
    /// Where the next block goes.
    end: u64,
    /// Set when the file cannot be made or written (a full disk, no `TMPDIR`): later blocks
    /// stay in memory, where the memory limit still watches them. Said once on stderr.
    unusable: bool,
}

impl FileSpill {
    /// An empty spill; its file is made with the first block.
    pub fn new() -> Self {
        FileSpill {
            file: Mutex::new(None),
            blocks: Vec::new(),
            end: 0,
            unusable: false,
        }
    }

    /// Appends `block` at the end of the file, making the file first if need be.
    fn append(&mut self, block: &[u8]) -> std::io::Result<()> {
        let slot = self
            .file
            .get_mut()
            .map_err(|_| std::io::Error::other("the temporary file's lock is poisoned"))?;
        if slot.is_none() {
            *slot = Some(tempfile::tempfile()?);
        }
        let Some(file) = slot.as_mut() else {
            return Err(std::io::Error::other("no temporary file"));
        };
        file.seek(SeekFrom::Start(self.end))?;
        file.write_all(block)
    }
}

impl Default for FileSpill {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockSpill for FileSpill {
    fn keep(&mut self, block: &[u8]) -> Option<u32> {
        if self.unusable {
            return None;
        }
        let index = u32::try_from(self.blocks.len()).ok()?;
        let len = u32::try_from(block.len()).ok()?;
        if let Err(e) = self.append(block) {
            // What was partly written is never read: no block points at it.
            self.unusable = true;
            eprintln!(
                "trailscope: cannot keep records in a temporary file in {} ({e}); the rest \
                 stay in memory (TMPDIR sets where the file goes)",
                std::env::temp_dir().display()
            );
            return None;
        }
        self.blocks.push((self.end, len));
        self.end += u64::from(len);
        Some(index)
    }

    fn read(&self, index: u32, out: &mut Vec<u8>) -> bool {
        out.clear();
        let read = self.blocks.get(index as usize).and_then(|&(offset, len)| {
            let mut file = self.file.lock().ok()?;
            let file = file.as_mut()?;
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

/// Whether the temporary files go to memory rather than a disk (`TMPDIR` on a tmpfs, as `/tmp`
/// is on many systems): records kept there save no memory, so the memory limit counts them.
/// Linux only (`/proc/self/mountinfo`); elsewhere `false`.
pub fn temporary_files_in_memory() -> bool {
    let Ok(dir) = std::env::temp_dir().canonicalize() else {
        return false;
    };
    std::fs::read_to_string("/proc/self/mountinfo")
        .ok()
        .and_then(|mounts| mount_type_of(&mounts, &dir))
        .is_some_and(|fs| fs == "tmpfs" || fs == "ramfs")
}

/// The filesystem type of the mount holding `dir`: the mount point that is its longest prefix.
fn mount_type_of(mountinfo: &str, dir: &Path) -> Option<String> {
    mountinfo
        .lines()
        .filter_map(|line| {
            // "36 35 98:0 /mnt1 /mnt/point rw,noatime master:1 - ext3 /dev/root rw"
            let mut fields = line.split(' ');
            let point = PathBuf::from(fields.nth(4)?.replace("\\040", " "));
            let fs = line.split(" - ").nth(1)?.split(' ').next()?.to_string();
            dir.starts_with(&point)
                .then_some((point.as_os_str().len(), fs))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fs)| fs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn blocks_come_back_byte_for_byte_in_any_order() {
        let mut spill = FileSpill::new();
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
        assert_eq!(read_failures(), 0);
        assert!(!spill.read(50, &mut out), "no such block");
        assert!(out.is_empty());
    }

    #[test]
    fn a_spill_makes_no_file_until_a_block_comes() {
        let spill = FileSpill::new();
        assert!(spill.file.lock().unwrap().is_none());
    }

    #[test]
    fn the_mount_holding_a_folder_is_the_longest_prefix() {
        let mountinfo = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                         30 22 0:25 / /tmp rw,nosuid shared:9 - tmpfs tmpfs rw\n\
                         31 22 0:26 / /tmpfiles rw shared:10 - xfs /dev/sdb1 rw\n\
                         32 22 0:27 / /my\\040disk rw shared:11 - btrfs /dev/sdc1 rw";
        let of = |p: &str| mount_type_of(mountinfo, Path::new(p));
        assert_eq!(of("/tmp").as_deref(), Some("tmpfs"));
        assert_eq!(of("/tmp/x/y").as_deref(), Some("tmpfs"));
        assert_eq!(
            of("/tmpfiles/a").as_deref(),
            Some("xfs"),
            "a path prefix, not a string one"
        );
        assert_eq!(of("/var/tmp").as_deref(), Some("ext4"));
        assert_eq!(of("/my disk/t").as_deref(), Some("btrfs"));
    }
}
