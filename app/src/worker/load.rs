//! The load job: reads the given files chunk by chunk into the store, reports progress, and stops
//! between chunks when cancelled.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Cursor, Read, Seek};
use std::rc::Rc;

use trailscope_model::{
    is_os_metadata, packaging, FileIngestor, FileKind, FileOutcome, IngestError, Limits, Packaging,
    ZipWalker,
};
use trailscope_protocol::{file_row, FileRow, LoadProgress, RequestId, Response};
use trailscope_store::Store;
use web_sys::File;

use super::blob::{BlobReader, ChunkRead};
use super::{now_millis, post, yield_now, WorkerState};

/// Compressed bytes read per step. Each step is one short task in the worker.
const CHUNK_BYTES: f64 = 2.0 * 1024.0 * 1024.0;
/// How often progress goes to the page.
const PROGRESS_EVERY_MILLIS: f64 = 100.0;
/// Files whose first chunk is read ahead.
const PREFETCH_FILES: usize = 16;
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
        self.progress.bytes_total = self.progress.bytes_total.max(self.progress.bytes_done);
        post(&Response::Progress {
            id: self.id,
            progress: self.progress,
        });
    }

    async fn maybe_yield(&mut self) {
        if now_millis() - self.last_yield > YIELD_EVERY_MILLIS {
            yield_now().await;
            self.last_yield = now_millis();
        }
    }
}

/// A queued file whose first chunk is already being read.
struct Prefetched {
    path: String,
    file: File,
    first: ChunkRead,
}

/// Moves files from the queue into the prefetch window, starting their first read. Returns
/// whether more files may still come (the queue is not complete yet).
fn top_up(state: &Rc<RefCell<WorkerState>>, window: &mut VecDeque<Prefetched>) -> bool {
    let mut st = state.borrow_mut();
    while window.len() < PREFETCH_FILES {
        let Some((path, file)) = st.queue.pop_front() else {
            break;
        };
        let size = file.size();
        let first = if size <= CHUNK_BYTES {
            ChunkRead::whole(&file)
        } else {
            ChunkRead::start(&file, 0.0, CHUNK_BYTES)
        };
        window.push_back(Prefetched { path, file, first });
    }
    !st.queue_complete
}

/// Reads the queued files into the store. Runs as a task on the worker's event loop.
///
/// Reading a `File` takes a round trip to the browser's blob storage, about a millisecond, which
/// for ten thousand small log files would cost more than parsing them. So the first chunks of the
/// next [`PREFETCH_FILES`] files are always in flight while the current one is parsed.
pub async fn run(state: Rc<RefCell<WorkerState>>, id: RequestId, files_total: u64) {
    let started = now_millis();
    let limits = Limits::default();
    let mut reporter = Reporter {
        id,
        progress: LoadProgress {
            files_total,
            ..LoadProgress::default()
        },
        reported_files: state.borrow().store.files().len(),
        last_post: 0.0,
        last_yield: now_millis(),
    };
    let mut not_read = Vec::new();
    let mut window: VecDeque<Prefetched> = VecDeque::new();
    loop {
        let more_coming = top_up(&state, &mut window);
        let Some(next) = window.pop_front() else {
            if !more_coming {
                break;
            }
            yield_now().await;
            continue;
        };
        top_up(&state, &mut window);
        reporter.progress.bytes_total = state.borrow().queue_bytes;
        let Prefetched { path, file, first } = next;
        let size = file.size() as u64;
        if state.borrow().cancel {
            not_read.push(path);
            continue;
        }
        if !is_os_metadata(&path) {
            let bytes_before = reporter.progress.bytes_done;
            if let Err(Cancelled) =
                load_file(&state, &mut reporter, &path, &file, first, limits).await
            {
                not_read.push(path.clone());
            }
            reporter.progress.bytes_done = bytes_before;
        }
        reporter.progress.files_done += 1;
        reporter.progress.bytes_done += size;
        reporter.flush(&state.borrow().store, false);
    }
    let mut st = state.borrow_mut();
    reporter.flush(&st.store, true);
    let cancelled = st.cancel;
    st.cancel = false;
    st.loading = None;
    let totals = trailscope_protocol::totals(&st.store.totals(), st.store.memory());
    drop(st);
    post(&Response::LoadDone {
        id,
        cancelled,
        not_read,
        totals,
        elapsed_millis: now_millis() - started,
    });
}

/// The load was cancelled while this file was being read; it was rolled back.
struct Cancelled;

async fn load_file(
    state: &Rc<RefCell<WorkerState>>,
    reporter: &mut Reporter,
    path: &str,
    file: &File,
    first: ChunkRead,
    limits: Limits,
) -> Result<(), Cancelled> {
    let size = file.size();
    let mut chunk = match first.finish().await {
        Ok(chunk) => chunk,
        Err(e) => {
            fail(state, path, FileKind::Unknown, IngestError::Read(e));
            return Ok(());
        }
    };
    if packaging(&chunk) == Packaging::Zip {
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
    let mut offset = chunk.len() as f64;
    loop {
        // Large files: the next chunk is read while this one is parsed.
        let next = (offset < size)
            .then(|| ChunkRead::start(file, offset, (offset + CHUNK_BYTES).min(size)));
        // Bound first: a borrow in an `if let` scrutinee would live through the block.
        let fed = ingestor.feed(&chunk, &mut state.borrow_mut().store);
        if let Err(e) = fed {
            let outcome = ingestor.fail(e);
            state.borrow_mut().store.end_file(outcome);
            return Ok(());
        }
        reporter.progress.bytes_done = bytes_before + offset as u64;
        reporter.flush(&state.borrow().store, false);
        reporter.maybe_yield().await;
        if state.borrow().cancel {
            state.borrow_mut().store.abandon_file();
            return Err(Cancelled);
        }
        let Some(next) = next else { break };
        chunk = match next.finish().await {
            Ok(chunk) => chunk,
            Err(e) => {
                let outcome = ingestor.fail(IngestError::Read(e));
                state.borrow_mut().store.end_file(outcome);
                return Ok(());
            }
        };
        offset += chunk.len() as f64;
        if chunk.is_empty() {
            break; // the file shrank while being read
        }
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
            let msg = format!(
                "ZIP archives nested deeper than {} levels",
                limits.max_archive_depth
            );
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
                    fail(
                        state,
                        &entry_path,
                        FileKind::Unknown,
                        IngestError::Archive(msg),
                    );
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
                    load_zip(
                        state,
                        reporter,
                        &entry_path,
                        Cursor::new(bytes),
                        limits,
                        depth + 1,
                    )
                    .await?;
                }
                continue;
            }
            let mut ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
            state.borrow_mut().store.begin_file(&entry_path);
            let outcome = loop {
                if n == 0 {
                    break ingestor.finish(&mut state.borrow_mut().store);
                }
                let fed = ingestor.feed(
                    buf.get(..n).unwrap_or_default(),
                    &mut state.borrow_mut().store,
                );
                if let Err(e) = fed {
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
                    Err(e) => {
                        break ingestor.fail(IngestError::Archive(format!(
                            "cannot read this ZIP entry: {e}"
                        )))
                    }
                };
            };
            state.borrow_mut().store.end_file(outcome);
        }
        Ok(())
    })
}

fn fail(state: &Rc<RefCell<WorkerState>>, path: &str, kind: FileKind, error: IngestError) {
    state
        .borrow_mut()
        .store
        .add_failed_file(path, FileOutcome::failed(kind, error));
}
