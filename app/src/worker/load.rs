//! The load job: reads the given files chunk by chunk into the store, reports progress, and stops
//! between chunks when cancelled.

use std::cell::RefCell;
use std::io::{Cursor, Read, Seek};
use std::rc::Rc;

use trailscope_model::{
    is_os_metadata, packaging, FileIngestor, FileKind, FileOutcome, IngestError, Limits, Packaging,
    ZipWalker,
};
use trailscope_protocol::{file_row, FileRow, LoadProgress, RequestId, Response};
use trailscope_store::Store;
use web_sys::File;

use super::blob::{read_chunk, BlobReader};
use super::{now_millis, post, yield_now, WorkerState};

/// Compressed bytes read per step. Each step is one short task in the worker.
const CHUNK_BYTES: f64 = 2.0 * 1024.0 * 1024.0;
/// How often progress goes to the page.
const PROGRESS_EVERY_MILLIS: f64 = 100.0;
/// How long the worker works before it lets messages (a cancel) in.
const YIELD_EVERY_MILLIS: f64 = 40.0;

/// Tracks what has been reported to the page.
struct Reporter {
    id: RequestId,
    progress: LoadProgress,
    reported_files: usize,
    last_post: f64,
    last_yield: f64,
}

impl Reporter {
    fn flush(&mut self, store: &Store, force: bool) {
        let now = now_millis();
        if !force && now - self.last_post < PROGRESS_EVERY_MILLIS {
            return;
        }
        self.last_post = now;
        let files: Vec<FileRow> = store
            .files()
            .iter()
            .enumerate()
            .skip(self.reported_files)
            .map(|(i, f)| file_row(u32::try_from(i).unwrap_or(u32::MAX), f))
            .collect();
        self.reported_files = store.files().len();
        if !files.is_empty() {
            post(&Response::FilesDone { id: self.id, files });
        }
        self.progress.events = store.len() as u64;
        post(&Response::Progress { id: self.id, progress: self.progress });
    }

    async fn maybe_yield(&mut self) {
        if now_millis() - self.last_yield > YIELD_EVERY_MILLIS {
            yield_now().await;
            self.last_yield = now_millis();
        }
    }
}

/// Reads `files` into the store. Runs as a task on the worker's event loop.
pub async fn run(state: Rc<RefCell<WorkerState>>, id: RequestId, files: Vec<(String, File)>) {
    let started = now_millis();
    let limits = Limits::default();
    let mut reporter = Reporter {
        id,
        progress: LoadProgress {
            files_total: files.len() as u64,
            bytes_total: files.iter().map(|(_, f)| f.size() as u64).sum(),
            ..LoadProgress::default()
        },
        reported_files: state.borrow().store.files().len(),
        last_post: 0.0,
        last_yield: now_millis(),
    };
    let mut not_read = Vec::new();
    for (path, file) in &files {
        if state.borrow().cancel {
            not_read.push(path.clone());
            continue;
        }
        if is_os_metadata(path) {
            reporter.progress.files_done += 1;
            reporter.progress.bytes_done += file.size() as u64;
            continue;
        }
        let bytes_before = reporter.progress.bytes_done;
        match load_file(&state, &mut reporter, path, file, limits).await {
            Ok(()) => {}
            Err(Cancelled) => not_read.push(path.clone()),
        }
        reporter.progress.files_done += 1;
        reporter.progress.bytes_done = bytes_before + file.size() as u64;
        reporter.flush(&state.borrow().store, false);
    }
    let mut st = state.borrow_mut();
    reporter.flush(&st.store, true);
    let cancelled = st.cancel;
    st.cancel = false;
    st.loading = None;
    let totals = trailscope_protocol::totals(&st.store.totals(), st.store.memory());
    drop(st);
    post(&Response::LoadDone { id, cancelled, not_read, totals, elapsed_millis: now_millis() - started });
}

/// The load was cancelled while this file was being read; it was rolled back.
struct Cancelled;

async fn load_file(
    state: &Rc<RefCell<WorkerState>>,
    reporter: &mut Reporter,
    path: &str,
    file: &File,
    limits: Limits,
) -> Result<(), Cancelled> {
    let size = file.size();
    let head = match read_chunk(file, 0.0, size.min(4.0)).await {
        Ok(head) => head,
        Err(e) => {
            fail(state, path, FileKind::Unknown, IngestError::Read(e));
            return Ok(());
        }
    };
    if packaging(&head) == Packaging::Zip {
        return match BlobReader::new(file.clone().into()) {
            Ok(reader) => load_zip(state, reporter, path, reader, limits, 0).await,
            Err(e) => {
                fail(state, path, FileKind::Zip, IngestError::Read(e));
                Ok(())
            }
        };
    }
    state.borrow_mut().store.begin_file(path);
    let mut ingestor = FileIngestor::new(limits);
    let bytes_before = reporter.progress.bytes_done;
    let mut offset = 0.0;
    while offset < size {
        let end = (offset + CHUNK_BYTES).min(size);
        let chunk = match read_chunk(file, offset, end).await {
            Ok(chunk) => chunk,
            Err(e) => {
                let outcome = ingestor.fail(IngestError::Read(e));
                state.borrow_mut().store.end_file(outcome);
                return Ok(());
            }
        };
        if state.borrow().cancel {
            state.borrow_mut().store.abandon_file();
            return Err(Cancelled);
        }
        let fed = ingestor.feed(&chunk, &mut state.borrow_mut().store);
        if let Err(e) = fed {
            let outcome = ingestor.fail(e);
            state.borrow_mut().store.end_file(outcome);
            return Ok(());
        }
        offset = end;
        reporter.progress.bytes_done = bytes_before + end as u64;
        reporter.flush(&state.borrow().store, false);
    }
    let mut st = state.borrow_mut();
    let outcome = ingestor.finish(&mut st.store);
    st.store.end_file(outcome);
    Ok(())
}

/// Reads a ZIP archive entry by entry. Boxed because nested archives recurse.
fn load_zip<'a, R: Read + Seek + 'a>(
    state: &'a Rc<RefCell<WorkerState>>,
    reporter: &'a mut Reporter,
    path: &'a str,
    reader: R,
    limits: Limits,
    depth: u8,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Cancelled>> + 'a>> {
    Box::pin(async move {
        if depth >= limits.max_archive_depth {
            let msg = format!("ZIP archives nested deeper than {} levels", limits.max_archive_depth);
            fail(state, path, FileKind::Zip, IngestError::Archive(msg));
            return Ok(());
        }
        let mut walker = match ZipWalker::open(reader, limits) {
            Ok(w) => w,
            Err(e) => {
                fail(state, path, FileKind::Zip, e);
                return Ok(());
            }
        };
        while let Some(entry) = walker.next_entry() {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err((name, e)) => {
                    fail(state, &format!("{path}/{name}"), FileKind::Unknown, e);
                    continue;
                }
            };
            let entry_path = format!("{path}/{}", entry.path);
            let mut buf = vec![0u8; 1 << 20];
            let mut n = match entry.reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    let msg = format!("cannot read this ZIP entry: {e}");
                    fail(state, &entry_path, FileKind::Unknown, IngestError::Archive(msg));
                    continue;
                }
            };
            if packaging(buf.get(..n).unwrap_or_default()) == Packaging::Zip {
                // A nested archive needs random access: read it into memory, within a cap.
                let mut bytes = buf.get(..n).unwrap_or_default().to_vec();
                let cap = limits.max_nested_archive_bytes;
                let read = (&mut entry.reader).take(cap + 1).read_to_end(&mut bytes);
                if read.is_err() || bytes.len() as u64 > cap {
                    let msg = format!("nested ZIP archive unreadable or larger than {cap} bytes");
                    fail(state, &entry_path, FileKind::Zip, IngestError::Archive(msg));
                } else {
                    load_zip(state, reporter, &entry_path, Cursor::new(bytes), limits, depth + 1).await?;
                }
                continue;
            }
            let mut ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
            state.borrow_mut().store.begin_file(&entry_path);
            let outcome = loop {
                if n == 0 {
                    break ingestor.finish(&mut state.borrow_mut().store);
                }
                if let Err(e) = ingestor.feed(buf.get(..n).unwrap_or_default(), &mut state.borrow_mut().store) {
                    break ingestor.fail(e);
                }
                reporter.maybe_yield().await;
                if state.borrow().cancel {
                    state.borrow_mut().store.abandon_file();
                    return Err(Cancelled);
                }
                reporter.flush(&state.borrow().store, false);
                n = match entry.reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) => break ingestor.fail(IngestError::Archive(format!("cannot read this ZIP entry: {e}"))),
                };
            };
            state.borrow_mut().store.end_file(outcome);
        }
        Ok(())
    })
}

fn fail(state: &Rc<RefCell<WorkerState>>, path: &str, kind: FileKind, error: IngestError) {
    state.borrow_mut().store.add_failed_file(path, FileOutcome::failed(kind, error));
}
