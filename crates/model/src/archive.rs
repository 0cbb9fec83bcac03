//! ZIP archives: walks the entries so each can be read like a file of its own, within caps that
//! hold against ZIP bombs: entries that overlap (many directory entries naming one compressed
//! chunk) are refused when the archive is opened; each entry's output is judged against its
//! compressed size from the first byte; all entries of an archive share one output budget; and a
//! ZIP inside a ZIP is read into memory only up to a small cap. The CLI and the page's parser
//! both walk archives (and nested ones) through this module, so the policy and its messages live
//! here once.

use std::cell::Cell;
use std::io::{Read, Seek};

use crate::ingest::IngestError;
use crate::limits::Limits;

/// Files that operating systems leave in folders and archives; they are skipped and counted.
pub fn is_os_metadata(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    path.starts_with("__MACOSX/")
        || path.contains("/__MACOSX/")
        || name == ".DS_Store"
        || name == "Thumbs.db"
        || name == "desktop.ini"
        || name.starts_with("._")
}

/// One readable entry of an archive.
pub struct ZipEntry<'a> {
    /// The entry's path inside the archive.
    pub path: String,
    /// Its compressed size, as the archive states it.
    pub compressed_size: u64,
    /// Its decompressed size, as the archive states it (hostile archives lie; reads are capped).
    pub size: u64,
    /// A reader of the decompressed content.
    pub reader: Box<dyn Read + 'a>,
}

/// What the walk skipped without reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkippedEntries {
    /// Folder entries.
    pub directories: u64,
    /// OS metadata (`__MACOSX/`, `.DS_Store`, ...).
    pub os_metadata: u64,
}

/// Walks the file entries of a ZIP archive in order.
pub struct ZipWalker<R: Read + Seek> {
    archive: zip::ZipArchive<R>,
    next: usize,
    limits: Limits,
    /// Bytes all entries have produced so far.
    produced: Cell<u64>,
    /// Entries skipped so far.
    pub skipped: SkippedEntries,
}

/// The error for an archive nested deeper than the limit, if `depth` is (0 is the outermost).
pub fn nesting_error(depth: u8, limits: &Limits) -> Option<IngestError> {
    (depth >= limits.max_archive_depth).then(|| {
        IngestError::Archive(format!(
            "ZIP archives nested deeper than {} levels",
            limits.max_archive_depth
        ))
    })
}

/// Reads a ZIP archive found inside an archive entry into memory so it can be walked (its
/// directory is at its end): `head` holds the entry's first bytes, already read, and the rest
/// comes from `rest`. Refused beyond [`Limits::max_nested_archive_bytes`], with a message that
/// says what to do.
pub fn read_nested(
    head: Vec<u8>,
    rest: &mut dyn Read,
    limits: &Limits,
) -> Result<Vec<u8>, IngestError> {
    let cap = limits.max_nested_archive_bytes;
    let mut bytes = head;
    rest.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::Archive(format!("cannot read this ZIP entry: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(IngestError::Archive(format!(
            "a ZIP archive inside a ZIP archive larger than {} MiB is not opened (it would be held in memory whole): unpack the outer archive and load this one directly",
            cap >> 20
        )));
    }
    Ok(bytes)
}

/// An entry's decompressed content, refused as soon as it is out of proportion with its
/// compressed size or the archive's budget is spent.
struct Capped<'a, R> {
    inner: R,
    produced: u64,
    allowed: u64,
    compressed: u64,
    ratio: u64,
    archive_produced: &'a Cell<u64>,
    archive_cap: u64,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let total = self.archive_produced.get() + n as u64;
        self.archive_produced.set(total);
        if self.produced > self.allowed {
            return Err(std::io::Error::other(format!(
                "ZIP bomb: the entry decompresses to more than {} bytes from {} compressed (over {}:1)",
                self.allowed, self.compressed, self.ratio
            )));
        }
        if total > self.archive_cap {
            return Err(std::io::Error::other(format!(
                "the archive's entries decompress to more than {} bytes together",
                self.archive_cap
            )));
        }
        Ok(n)
    }
}

impl<R: Read + Seek> ZipWalker<R> {
    /// Opens an archive (reads its central directory).
    pub fn open(reader: R, limits: Limits) -> Result<Self, IngestError> {
        let archive = zip::ZipArchive::new(reader)
            .map_err(|e| IngestError::Archive(format!("not a readable ZIP archive: {e}")))?;
        if archive.len() as u64 > limits.max_archive_entries {
            return Err(IngestError::Archive(format!(
                "the archive has {} entries, more than the limit of {}",
                archive.len(),
                limits.max_archive_entries
            )));
        }
        refuse_overlaps(&archive)?;
        Ok(ZipWalker {
            archive,
            next: 0,
            limits,
            produced: Cell::new(0),
            skipped: SkippedEntries::default(),
        })
    }

    /// Number of entries, folders included.
    pub fn len(&self) -> usize {
        self.archive.len()
    }

    /// Whether the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.archive.len() == 0
    }

    /// The next file entry, or `None` at the end. An `Err` names the entry that cannot be opened;
    /// the walk can continue after it.
    pub fn next_entry(&mut self) -> Option<Result<ZipEntry<'_>, (String, IngestError)>> {
        loop {
            let index = self.next;
            if index >= self.archive.len() {
                return None;
            }
            self.next += 1;
            let name = self
                .archive
                .name_for_index(index)
                .and_then(|name| name.ok())
                .map(|name| name.into_owned())
                .unwrap_or_else(|| format!("entry {index}"));
            if name.ends_with('/') {
                self.skipped.directories += 1;
                continue;
            }
            if is_os_metadata(&name) {
                self.skipped.os_metadata += 1;
                continue;
            }
            let limits = self.limits;
            // zip marks folders by the trailing '/' checked above, so every entry here is a file.
            return Some(match self.archive.by_index(index) {
                Ok(file) => {
                    let compressed_size = file.compressed_size();
                    let size = file.size();
                    // Never trust the stated size: what is read is judged as it comes.
                    let allowed = compressed_size
                        .saturating_mul(limits.max_compression_ratio)
                        .max(limits.entry_ratio_floor_bytes)
                        .min(limits.max_decompressed_bytes);
                    Ok(ZipEntry {
                        path: name,
                        compressed_size,
                        size,
                        reader: Box::new(Capped {
                            inner: file,
                            produced: 0,
                            allowed,
                            compressed: compressed_size,
                            ratio: limits.max_compression_ratio,
                            archive_produced: &self.produced,
                            archive_cap: limits.max_archive_decompressed_bytes,
                        }),
                    })
                }
                Err(e) => Err((
                    name,
                    IngestError::Archive(format!("cannot open this ZIP entry: {e}")),
                )),
            });
        }
    }
}

/// Refuses an archive whose entries share bytes: a real archive stores each entry's header and
/// data once, one after the other; a bomb points thousands of directory entries at one chunk.
fn refuse_overlaps<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> Result<(), IngestError> {
    /// The fixed part of a local file header, which precedes every entry's data.
    const LOCAL_HEADER_BYTES: u64 = 30;
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        if let Ok(entry) = archive.by_index_data(index) {
            let start = entry.header_start();
            let end = start
                .saturating_add(LOCAL_HEADER_BYTES)
                .saturating_add(entry.compressed_size());
            spans.push((start, end, index));
        }
    }
    spans.sort_unstable();
    for pair in spans.windows(2) {
        if let [(_, end, first), (start, _, second)] = pair {
            if start < end {
                return Err(IngestError::Archive(format!(
                    "entries {first} and {second} of the archive overlap (they share compressed bytes): a ZIP bomb, not opened"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn walks_files_and_skips_folders_and_os_metadata() {
        let bytes = zip_of(&[
            ("a/", b""),
            ("a/x.json", b"{}"),
            ("__MACOSX/a/._x.json", b"junk"),
            ("a/.DS_Store", b"junk"),
            ("b.json", b"[]"),
        ]);
        let mut walker = ZipWalker::open(Cursor::new(bytes), Limits::default()).unwrap();
        let mut seen = Vec::new();
        while let Some(entry) = walker.next_entry() {
            let mut entry = entry.unwrap();
            let mut content = String::new();
            entry.reader.read_to_string(&mut content).unwrap();
            seen.push((entry.path.clone(), content));
        }
        assert_eq!(
            seen,
            vec![
                ("a/x.json".to_string(), "{}".to_string()),
                ("b.json".to_string(), "[]".to_string())
            ]
        );
        assert_eq!(
            walker.skipped,
            SkippedEntries {
                directories: 1,
                os_metadata: 2
            }
        );
    }

    #[test]
    fn rejects_what_is_not_an_archive() {
        let err = ZipWalker::open(
            Cursor::new(b"PK\x03\x04 broken".to_vec()),
            Limits::default(),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().starts_with("not a readable ZIP archive"),
            "{err}"
        );
    }
}
