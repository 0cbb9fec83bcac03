//! ZIP archives: walks the entries so each can be read like a file of its own.

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
    /// Entries skipped so far.
    pub skipped: SkippedEntries,
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
        Ok(ZipWalker {
            archive,
            next: 0,
            limits,
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
            let limit = self.limits.max_decompressed_bytes;
            // zip marks folders by the trailing '/' checked above, so every entry here is a file.
            return Some(match self.archive.by_index(index) {
                Ok(file) => {
                    let compressed_size = file.compressed_size();
                    let size = file.size();
                    // Never trust the stated size: cap what is read.
                    Ok(ZipEntry {
                        path: name,
                        compressed_size,
                        size,
                        reader: Box::new(file.take(limit.saturating_add(1))),
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
