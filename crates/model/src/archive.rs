//! ZIP archives: walks the entries so each can be read like a file of its own, within caps that
//! hold against ZIP bombs: entries that overlap (many directory entries naming one compressed
//! chunk) are refused when the archive is opened; each entry's output is judged against its
//! compressed size from the first byte; all entries of an archive share one output budget; and a
//! ZIP inside a ZIP is read into memory only up to a small cap. The CLI and the page's parser
//! both walk archives (and nested ones) through this module, so the policy and its messages live
//! here once.

use std::cell::Cell;
use std::io::{Cursor, Read, Seek};

use crate::kind::FileKind;
use crate::limits::Limits;
use crate::outcome::IngestError;
use crate::sniff::{packaging, Packaging};

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

    /// Whether a file entry remains (folders and OS metadata before it are skipped and counted).
    pub fn has_next(&mut self) -> bool {
        while let Some(name) = (self.next < self.archive.len())
            .then(|| self.archive.name_for_index(self.next))
            .flatten()
            .and_then(|name| name.ok())
        {
            if name.ends_with('/') {
                self.skipped.directories += 1;
            } else if is_os_metadata(&name) {
                self.skipped.os_metadata += 1;
            } else {
                return true;
            }
            self.next += 1;
        }
        // An entry without a readable name is still an entry (`next_entry` reports it).
        self.next < self.archive.len()
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

/// What a walk of an archive and the archives inside it meets next.
pub enum ArchiveStep<'a> {
    /// A file to read as a file of its own: `head` holds its first bytes, already taken from
    /// `entry.reader` (read them first, then the rest of the reader).
    File {
        /// `archive.zip/folder/entry` (nested: `outer.zip/inner.zip/entry`).
        path: String,
        /// Its first bytes.
        head: Vec<u8>,
        /// The entry, its sizes and the rest of its content.
        entry: ZipEntry<'a>,
    },
    /// An entry, or a nested archive, that cannot be read; the walk goes on after it.
    Failed {
        /// Its path.
        path: String,
        /// What to list it as (`Zip` for archives).
        kind: FileKind,
        /// Why.
        error: IngestError,
    },
    /// A nested archive was opened or finished: nothing to read.
    Nested,
}

/// Walks a ZIP archive and the ZIP archives inside it, depth first, in entry order: the one
/// walk the CLI and the page's parsers share, so that nesting, caps and messages are the same.
/// A nested archive is read into memory within [`Limits::max_nested_archive_bytes`] (its
/// directory is at its end) and refused past [`Limits::max_archive_depth`].
///
/// ```
/// use std::io::{Cursor, Read, Write};
/// use trailscope_model::{ArchiveStep, ArchiveTree};
/// use trailscope_model::Limits;
///
/// let mut bytes = Cursor::new(Vec::new());
/// let mut zip = zip::ZipWriter::new(&mut bytes);
/// zip.start_file("a.json", zip::write::SimpleFileOptions::default()).unwrap();
/// zip.write_all(b"[]").unwrap();
/// zip.finish().unwrap();
/// let mut tree = ArchiveTree::open("logs.zip", Cursor::new(bytes.into_inner()), Limits::default(), 0, 4).unwrap();
/// let mut files = Vec::new();
/// while let Some(step) = tree.next() {
///     if let ArchiveStep::File { path, head, mut entry } = step {
///         let mut rest = Vec::new();
///         entry.reader.read_to_end(&mut rest).unwrap();
///         files.push((path, [head, rest].concat()));
///     }
/// }
/// assert_eq!(files, [("logs.zip/a.json".to_string(), b"[]".to_vec())]);
/// ```
pub struct ArchiveTree<R: Read + Seek> {
    root: ZipWalker<R>,
    root_path: String,
    root_depth: u8,
    /// Open nested archives, innermost last.
    nested: Vec<Nested>,
    /// A nested archive read into memory, opened on the next step.
    pending: Option<(String, u8, Vec<u8>)>,
    limits: Limits,
    head_bytes: usize,
}

/// An archive inside an archive, read into memory and being walked.
struct Nested {
    path: String,
    depth: u8,
    walker: ZipWalker<Cursor<Vec<u8>>>,
}

impl<R: Read + Seek> ArchiveTree<R> {
    /// Opens the archive at `path` (found at nesting `depth`; 0 for a file given directly).
    /// Each file's first `head_bytes` (at least 4, to tell an archive) are read before it is
    /// handed out.
    pub fn open(
        path: &str,
        reader: R,
        limits: Limits,
        depth: u8,
        head_bytes: usize,
    ) -> Result<Self, IngestError> {
        if let Some(e) = nesting_error(depth, &limits) {
            return Err(e);
        }
        Ok(ArchiveTree {
            root: ZipWalker::open(reader, limits)?,
            root_path: path.to_string(),
            root_depth: depth,
            nested: Vec::new(),
            pending: None,
            limits,
            head_bytes: head_bytes.max(4),
        })
    }

    /// What the walk meets next, or `None` at its end.
    #[allow(clippy::should_implement_trait)] // items borrow the tree: not an `Iterator`
    pub fn next(&mut self) -> Option<ArchiveStep<'_>> {
        if let Some((path, depth, bytes)) = self.pending.take() {
            if let Some(error) = nesting_error(depth, &self.limits) {
                return Some(ArchiveStep::Failed {
                    path,
                    kind: FileKind::Zip,
                    error,
                });
            }
            return Some(match ZipWalker::open(Cursor::new(bytes), self.limits) {
                Ok(walker) => {
                    self.nested.push(Nested {
                        path,
                        depth,
                        walker,
                    });
                    ArchiveStep::Nested
                }
                Err(error) => ArchiveStep::Failed {
                    path,
                    kind: FileKind::Zip,
                    error,
                },
            });
        }
        if let Some(Nested { walker, .. }) = self.nested.last_mut() {
            if !walker.has_next() {
                self.nested.pop();
                return Some(ArchiveStep::Nested);
            }
        }
        // Borrow the fields apart: the entry borrows a walker, a nested archive goes to
        // `pending`.
        let ArchiveTree {
            root,
            root_path,
            root_depth,
            nested,
            pending,
            limits,
            head_bytes,
        } = self;
        let (prefix, depth, next) = match nested.last_mut() {
            Some(Nested {
                path,
                depth,
                walker,
            }) => (path.as_str(), *depth, walker.next_entry()),
            None => (root_path.as_str(), *root_depth, root.next_entry()),
        };
        let mut entry = match next? {
            Ok(entry) => entry,
            Err((name, error)) => {
                return Some(ArchiveStep::Failed {
                    path: format!("{prefix}/{name}"),
                    kind: FileKind::Unknown,
                    error,
                })
            }
        };
        let path = format!("{prefix}/{}", entry.path);
        let mut head = vec![0u8; *head_bytes];
        let mut n = 0;
        while n < head.len() {
            match entry.reader.read(head.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => {
                    return Some(ArchiveStep::Failed {
                        path,
                        kind: FileKind::Unknown,
                        error: IngestError::Archive(format!("cannot read this ZIP entry: {e}")),
                    })
                }
            }
        }
        head.truncate(n);
        if packaging(&head) != Packaging::Zip {
            return Some(ArchiveStep::File { path, head, entry });
        }
        Some(match read_nested(head, &mut entry.reader, limits) {
            Ok(bytes) => {
                *pending = Some((path, depth.saturating_add(1), bytes));
                ArchiveStep::Nested
            }
            Err(error) => ArchiveStep::Failed {
                path,
                kind: FileKind::Zip,
                error,
            },
        })
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

    /// (path, content or error) pairs.
    type Named = Vec<(String, String)>;

    /// Every file a tree walk yields, with its content, and every failure.
    fn walk(bytes: Vec<u8>, limits: Limits) -> (Named, Named) {
        let mut tree = ArchiveTree::open("top.zip", Cursor::new(bytes), limits, 0, 4).unwrap();
        let (mut files, mut failed) = (Vec::new(), Vec::new());
        while let Some(step) = tree.next() {
            match step {
                ArchiveStep::File {
                    path,
                    head,
                    mut entry,
                } => {
                    let mut rest = Vec::new();
                    entry.reader.read_to_end(&mut rest).unwrap();
                    files.push((path, String::from_utf8([head, rest].concat()).unwrap()));
                }
                ArchiveStep::Failed { path, error, .. } => failed.push((path, error.to_string())),
                ArchiveStep::Nested => {}
            }
        }
        (files, failed)
    }

    #[test]
    fn a_tree_walks_nested_archives_depth_first_in_order() {
        let inner = zip_of(&[("c.json", b"[3]"), ("d/", b""), ("d/e.json", b"[4]")]);
        let outer = zip_of(&[
            ("a.json", b"[1]"),
            ("inner.zip", &inner),
            ("b.json", b"[2]"),
        ]);
        let (files, failed) = walk(outer, Limits::default());
        assert_eq!(
            files,
            [
                ("top.zip/a.json".to_string(), "[1]".to_string()),
                ("top.zip/inner.zip/c.json".to_string(), "[3]".to_string()),
                ("top.zip/inner.zip/d/e.json".to_string(), "[4]".to_string()),
                ("top.zip/b.json".to_string(), "[2]".to_string()),
            ]
        );
        assert!(failed.is_empty());
    }

    #[test]
    fn a_tree_refuses_archives_nested_too_deep_and_goes_on() {
        let deepest = zip_of(&[("x.json", b"[9]")]);
        let middle = zip_of(&[("deep.zip", &deepest)]);
        let outer = zip_of(&[("middle.zip", &middle), ("after.json", b"[0]")]);
        let limits = Limits {
            max_archive_depth: 2,
            ..Limits::default()
        };
        let (files, failed) = walk(outer, limits);
        assert_eq!(
            files,
            [("top.zip/after.json".to_string(), "[0]".to_string())]
        );
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, "top.zip/middle.zip/deep.zip");
        assert!(
            failed[0].1.contains("nested deeper than 2"),
            "{}",
            failed[0].1
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
