//! Reading paths from disk into the store: folders are walked, ZIP archives opened, and every file
//! is reported, read or not.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::PathBuf;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailscope_model::{
    ingest_reader, is_os_metadata, packaging, FileIngestor, FileKind, FileOutcome, IngestError,
    Limits, Packaging, ZipWalker,
};
use trailscope_store::{FileSummary, Store};

/// A file found under the given paths.
pub struct Input {
    /// Where it is on disk.
    pub path: PathBuf,
    /// How it is named in reports: as given, or relative to the given folder.
    pub display: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Expands the given paths into files, sorted within each folder. Fails (usage error) when a
/// path does not exist.
pub fn collect_inputs(paths: &[PathBuf]) -> anyhow::Result<(Vec<Input>, u64)> {
    let mut inputs = Vec::new();
    let mut skipped = 0u64;
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_file() {
            inputs.push(Input {
                path: path.clone(),
                display: path.display().to_string(),
                size: meta.len(),
            });
            continue;
        }
        if !meta.is_dir() {
            bail!("{} is neither a file nor a folder", path.display());
        }
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker {
            let entry = entry.with_context(|| format!("cannot walk {}", path.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let display = entry.path().display().to_string();
            if is_os_metadata(&display) {
                skipped += 1;
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            inputs.push(Input {
                path: entry.path().to_path_buf(),
                display,
                size,
            });
        }
    }
    Ok((inputs, skipped))
}

/// Reads every input into `store`, one file (or archive entry) at a time.
pub fn load_all(store: &mut Store, inputs: &[Input], limits: Limits, progress: bool) {
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    let bar = if progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    for input in inputs {
        match File::open(&input.path) {
            Ok(file) => load_reader(store, &input.display, BufReader::new(file), limits, 0),
            Err(e) => {
                failed(store, &input.display, IngestError::Read(e.to_string()));
            }
        }
        bar.inc(input.size);
        bar.set_message(format!("{} events", store.len()));
    }
    bar.finish_and_clear();
}

/// Reads one file, which may be a ZIP archive, into the store.
fn load_reader<R: Read + Seek>(
    store: &mut Store,
    display: &str,
    mut reader: R,
    limits: Limits,
    depth: u8,
) {
    let mut head = [0u8; 4];
    let n = read_head(&mut reader, &mut head);
    if reader.rewind().is_err() {
        failed(store, display, IngestError::Read("cannot rewind".into()));
        return;
    }
    if packaging(head.get(..n).unwrap_or_default()) == Packaging::Zip {
        load_zip(store, display, reader, limits, depth);
        return;
    }
    store.load(display, |batch| ingest_reader(reader, limits, batch));
}

fn read_head<R: Read>(reader: &mut R, head: &mut [u8; 4]) -> usize {
    let mut n = 0;
    while n < head.len() {
        match reader.read(head.get_mut(n..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn load_zip<R: Read + Seek>(
    store: &mut Store,
    display: &str,
    reader: R,
    limits: Limits,
    depth: u8,
) {
    if depth >= limits.max_archive_depth {
        let msg = format!(
            "ZIP archives nested deeper than {} levels",
            limits.max_archive_depth
        );
        failed(store, display, IngestError::Archive(msg));
        return;
    }
    let mut walker = match ZipWalker::open(reader, limits) {
        Ok(w) => w,
        Err(e) => {
            failed(store, display, e);
            return;
        }
    };
    while let Some(entry) = walker.next_entry() {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err((name, e)) => {
                failed(store, &format!("{display}/{name}"), e);
                continue;
            }
        };
        let path = format!("{display}/{}", entry.path);
        let mut head = [0u8; 4];
        let n = read_head(&mut entry.reader, &mut head);
        let head = head.get(..n).unwrap_or_default().to_vec();
        if packaging(&head) == Packaging::Zip {
            // A nested archive needs random access: read it into memory, within a cap.
            let mut bytes = head;
            let cap = limits.max_nested_archive_bytes;
            let read = (&mut entry.reader).take(cap + 1).read_to_end(&mut bytes);
            if let Err(e) = read {
                let msg = format!("cannot read this ZIP entry: {e}");
                failed(store, &path, IngestError::Archive(msg));
            } else if bytes.len() as u64 > cap {
                let msg = format!("nested ZIP archive larger than {cap} bytes");
                failed(store, &path, IngestError::Archive(msg));
            } else {
                load_zip(store, &path, Cursor::new(bytes), limits, depth + 1);
            }
            continue;
        }
        let ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
        store.load(&path, |batch| {
            ingestor.read_all(Cursor::new(head).chain(&mut entry.reader), batch)
        });
    }
}

/// Records a file that could not be read at all.
fn failed(store: &mut Store, path: &str, error: IngestError) {
    let kind = if matches!(error, IngestError::Archive(_)) {
        FileKind::Zip
    } else {
        FileKind::Unknown
    };
    store.add_file(
        path,
        FileSummary::from(&FileOutcome::failed(kind, error)),
        Vec::new(),
    );
}
