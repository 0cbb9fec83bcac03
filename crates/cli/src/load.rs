//! Reading paths from disk into the store: folders are walked, ZIP archives opened, and every file
//! is reported, read or not.

use std::fs::File;
use std::io::{BufReader, Cursor, IsTerminal, Read, Seek};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailscope_model::{
    ingest_reader, is_os_metadata, packaging, FileIngestor, FileKind, FileOutcome, IngestError,
    Limits, Packaging,
};
use trailscope_model::{ArchiveStep, ArchiveTree};
use trailscope_store::{FileSummary, Store};

/// A file found under the given paths.
pub struct Input {
    /// Where it is on disk.
    pub path: PathBuf,
    /// How it is named in reports: as given, or relative to the given folder.
    pub display: String,
    /// Its size in bytes.
    pub size: u64,
    /// Why it cannot be read (a FIFO, a device, a folder that loops or cannot be listed, a path
    /// that does not exist): it is reported as a failed input, never opened, and every other
    /// input is still read.
    pub problem: Option<String>,
}

impl Input {
    fn unreadable(path: &Path, problem: String) -> Self {
        Input {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            size: 0,
            problem: Some(problem),
        }
    }
}

/// Why a path that is not a regular file or folder is not read.
fn not_regular(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO), not a file: not read".into();
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device, not a file: not read".into();
        }
        if t.is_socket() {
            return "a socket, not a file: not read".into();
        }
    }
    let _ = meta;
    "neither a file nor a folder: not read".into()
}

/// Expands the given paths into files, sorted within each folder. Nothing is opened here; paths
/// that cannot be read become inputs with a [`Input::problem`], so one bad path never stops the
/// run. Only a path that does not exist at all is a usage error (a typo).
pub fn collect_inputs(paths: &[PathBuf]) -> anyhow::Result<(Vec<Input>, u64)> {
    let mut inputs = Vec::new();
    let mut skipped = 0u64;
    for path in paths {
        if std::fs::symlink_metadata(path).is_err() {
            anyhow::bail!("{}: no such file or folder", path.display());
        }
        // Follows a symlink: a link to `/dev/zero` is a device, a link to a folder a folder.
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                inputs.push(Input::unreadable(path, format!("cannot read it: {e}")));
                continue;
            }
        };
        if meta.is_file() {
            inputs.push(Input {
                path: path.clone(),
                display: path.display().to_string(),
                size: meta.len(),
                problem: None,
            });
            continue;
        }
        if !meta.is_dir() {
            inputs.push(Input::unreadable(path, not_regular(&meta)));
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    // A symlink loop, a folder that cannot be listed, a file that vanished.
                    let at = e.path().unwrap_or(path);
                    let why = if e.loop_ancestor().is_some() {
                        "a symbolic link that loops back to a folder above it: not followed"
                            .to_string()
                    } else {
                        match e.io_error() {
                            Some(io) => format!("cannot read it: {io}"),
                            None => format!("cannot read it: {e}"),
                        }
                    };
                    inputs.push(Input::unreadable(at, why));
                    continue;
                }
            };
            let display = entry.path().display().to_string();
            if is_os_metadata(&display) {
                skipped += 1;
                continue;
            }
            if entry.file_type().is_dir() {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    inputs.push(Input::unreadable(
                        entry.path(),
                        format!("cannot read it: {e}"),
                    ));
                    continue;
                }
            };
            if !meta.is_file() {
                inputs.push(Input::unreadable(entry.path(), not_regular(&meta)));
                continue;
            }
            inputs.push(Input {
                path: entry.path().to_path_buf(),
                display,
                size: meta.len(),
                problem: None,
            });
        }
    }
    Ok((inputs, skipped))
}

/// The events of `paths` in a new store, with a progress bar on a terminal, and each file that
/// failed named on stderr (helper files that are not CloudTrail are not failures); the flag
/// says whether any failed.
pub fn load_paths(paths: &[PathBuf], progress: bool) -> anyhow::Result<(Store, bool)> {
    let (inputs, _) = collect_inputs(paths)?;
    let mut store = Store::new();
    load_all(
        &mut store,
        &inputs,
        Limits::default(),
        progress && std::io::stderr().is_terminal(),
    );
    let mut failed = false;
    for file in store.files() {
        if let (Some(error), false) = (&file.summary.error, file.is_not_cloudtrail()) {
            eprintln!("trailscope: {}: {error}", file.path);
            failed = true;
        }
    }
    Ok((store, failed))
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
        if let Some(problem) = &input.problem {
            failed(
                store,
                &input.display,
                FileKind::Unknown,
                IngestError::Read(problem.clone()),
            );
            continue;
        }
        match File::open(&input.path) {
            Ok(file) => load_reader(store, &input.display, BufReader::new(file), limits, 0),
            Err(e) => {
                failed(
                    store,
                    &input.display,
                    FileKind::Unknown,
                    IngestError::Read(e.to_string()),
                );
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
        failed(
            store,
            display,
            FileKind::Unknown,
            IngestError::Read("cannot rewind".into()),
        );
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
    let mut tree = match ArchiveTree::open(display, reader, limits, depth, 4) {
        Ok(tree) => tree,
        Err(e) => {
            failed(store, display, FileKind::Zip, e);
            return;
        }
    };
    while let Some(step) = tree.next() {
        match step {
            ArchiveStep::File { path, head, entry } => {
                let ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
                store.load(&path, |batch| {
                    ingestor.read_all(Cursor::new(head).chain(entry.reader), batch)
                });
            }
            ArchiveStep::Failed { path, kind, error } => failed(store, &path, kind, error),
            ArchiveStep::Nested => {}
        }
    }
}

/// Records a file that could not be read at all.
fn failed(store: &mut Store, path: &str, kind: FileKind, error: IngestError) {
    store.add_file(
        path,
        FileSummary::from(&FileOutcome::failed(kind, error)),
        Vec::new(),
    );
}

/// A file that could not be read, for reports.
#[derive(serde::Serialize)]
pub struct FailedFile {
    /// The file, as the report names it.
    pub path: String,
    /// Why it failed.
    pub error: String,
}

/// Every file that failed, in load order.
pub fn failed_files(store: &Store) -> Vec<FailedFile> {
    store
        .files()
        .iter()
        .filter_map(|f| {
            f.summary.error.as_ref().map(|e| FailedFile {
                path: f.path.clone(),
                error: e.clone(),
            })
        })
        .collect()
}
