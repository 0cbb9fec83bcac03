//! The kept workspace: the store worker's journal in the Origin Private File System. The format,
//! its commits and the restore are `trailscope_protocol::workspace` (tested natively); this file
//! only moves bytes between that format and the browser's file, through a synchronous access
//! handle, which only a dedicated worker may hold, so writes happen in step with the merges.

use js_sys::{Array, Object};
use trailscope_protocol::workspace::{
    self, JournalError, JournalSource, JournalSummary, LoadEnd, Restored,
};
use trailscope_protocol::{FileChunk, ParsedFile};
use trailscope_store::Store;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetFileOptions,
    FileSystemReadWriteOptions, FileSystemSyncAccessHandle, WorkerGlobalScope,
};

/// The journal's name in the page's private file system.
const FILE_NAME: &str = "trailscope-workspace.journal";

/// The open journal.
pub(crate) struct Journal {
    handle: FileSystemSyncAccessHandle,
    /// Where the next frame goes.
    end: u64,
    /// Where the last committed load ends: a failed write is cut back to here.
    committed: u64,
    /// Loads committed.
    loads: u32,
}

fn describe(e: &JsValue) -> String {
    let name = js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let message = js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    match name.as_str() {
        "QuotaExceededError" => format!(
            "the browser's storage quota for this page is full ({message}); free space or stop keeping the workspace"
        ),
        "NoModificationAllowedError" | "InvalidStateError" => format!(
            "another tab of this page keeps the workspace open ({message}); close it, then tick again"
        ),
        "" => message,
        _ => format!("{name}: {message}"),
    }
}

impl Journal {
    /// Opens (or creates) the journal. Fails, with a reason a person can act on, where the browser
    /// has no private file system for workers or another tab holds the file.
    pub(crate) async fn open() -> Result<Journal, String> {
        const NO_OPFS: &str = "this browser does not give pages a private file system (OPFS) that a worker can write, so the workspace cannot be kept: nothing was saved";
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        let storage = scope.navigator().storage();
        if !js_sys::Reflect::has(&storage, &"getDirectory".into()).unwrap_or(false) {
            return Err(NO_OPFS.into());
        }
        let root: FileSystemDirectoryHandle = JsFuture::from(storage.get_directory())
            .await
            .map_err(|e| format!("{NO_OPFS} ({})", describe(&e)))?
            .unchecked_into();
        let options = FileSystemGetFileOptions::new();
        options.set_create(true);
        let file: FileSystemFileHandle =
            JsFuture::from(root.get_file_handle_with_options(FILE_NAME, &options))
                .await
                .map_err(|e| describe(&e))?
                .unchecked_into();
        if !js_sys::Reflect::has(&file, &"createSyncAccessHandle".into()).unwrap_or(false) {
            return Err(NO_OPFS.into());
        }
        let handle: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle())
            .await
            .map_err(|e| describe(&e))?
            .unchecked_into();
        let mut journal = Journal {
            handle,
            end: 0,
            committed: 0,
            loads: 0,
        };
        let summary = journal.summary().map_err(|e| e.to_string())?;
        if summary.committed_bytes == 0 {
            // A new (empty) file: it starts with the format's magic.
            journal.start_over()?;
        } else {
            journal.committed = summary.committed_bytes;
            journal.end = summary.committed_bytes;
            journal.loads = summary.loads;
        }
        Ok(journal)
    }

    /// What the journal holds.
    pub(crate) fn summary(&mut self) -> Result<JournalSummary, JournalError> {
        workspace::summarize(&mut HandleSource(&self.handle))
    }

    /// Bytes the journal takes.
    pub(crate) fn bytes(&self) -> u64 {
        self.handle.get_size().map_or(0, |s| s as u64)
    }

    /// Rebuilds `store` (empty) from the committed loads.
    pub(crate) fn restore(&mut self, store: Store) -> Result<(Store, Restored), JournalError> {
        workspace::restore_into(&mut HandleSource(&self.handle), store)
    }

    /// Empties the journal, which then holds no load.
    pub(crate) fn start_over(&mut self) -> Result<(), String> {
        self.handle
            .truncate_with_f64(0.0)
            .map_err(|e| describe(&e))?;
        self.end = 0;
        self.committed = 0;
        self.loads = 0;
        self.write(&workspace::journal_start())?;
        self.committed = self.end;
        self.handle.flush().map_err(|e| describe(&e))
    }

    fn write_at(&mut self, source: &Object) -> Result<(), String> {
        let options = FileSystemReadWriteOptions::new();
        options.set_at(self.end as f64);
        let length = js_sys::Reflect::get(source, &"byteLength".into())
            .ok()
            .and_then(|l| l.as_f64())
            .unwrap_or(0.0);
        let written = self
            .handle
            .write_with_buffer_source_and_options(source, &options)
            .map_err(|e| describe(&e))?;
        if written < length {
            return Err(format!(
                "the browser wrote {written} of {length} bytes (its storage is probably full)"
            ));
        }
        self.end += written as u64;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let options = FileSystemReadWriteOptions::new();
        options.set_at(self.end as f64);
        let written = self
            .handle
            .write_with_u8_array_and_options(bytes, &options)
            .map_err(|e| describe(&e))?;
        if (written as usize) < bytes.len() {
            return Err(format!(
                "the browser wrote {written} of {} bytes (its storage is probably full)",
                bytes.len()
            ));
        }
        self.end += bytes.len() as u64;
        Ok(())
    }

    /// Records one parser message as it is merged: its files and its batches (`buffers`, the
    /// `ArrayBuffer`s the parser sent, written as they are).
    pub(crate) fn record(
        &mut self,
        files: &[ParsedFile],
        chunk_of: Option<&FileChunk>,
        buffers: &Array,
    ) -> Result<(), String> {
        let count = buffers.length();
        self.write(&workspace::parsed_frame(files, chunk_of, count))?;
        for buffer in buffers.iter() {
            let Ok(buffer) = buffer.dyn_into::<js_sys::ArrayBuffer>() else {
                return Err("a batch was not a byte buffer".into());
            };
            let header = workspace::batch_frame_header(buffer.byte_length() as usize)
                .ok_or("a batch is larger than the workspace format allows")?;
            self.write(&header)?;
            self.write_at(&buffer)?;
        }
        Ok(())
    }

    /// Commits the load that just ended: its frame, flushed, then the header that points at it.
    pub(crate) fn commit(&mut self, end: &LoadEnd) -> Result<(), String> {
        let commit = workspace::commit(end, self.end, self.loads);
        self.write(&commit.frame)?;
        self.handle.flush().map_err(|e| describe(&e))?;
        let options = FileSystemReadWriteOptions::new();
        options.set_at(0.0);
        self.handle
            .write_with_u8_array_and_options(&commit.header, &options)
            .map_err(|e| describe(&e))?;
        self.handle.flush().map_err(|e| describe(&e))?;
        self.committed = commit.committed;
        self.loads += 1;
        Ok(())
    }

    /// Drops what was written since the last commit (after a failed write), so the journal
    /// still reads as the loads it committed.
    pub(crate) fn roll_back(&mut self) {
        let _ = self.handle.truncate_with_f64(self.committed as f64);
        let _ = self.handle.flush();
        self.end = self.committed;
    }

    /// Releases the file for other tabs.
    pub(crate) fn close(self) {
        self.handle.close();
    }
}

/// The journal file read in place: each read goes straight into wasm memory.
struct HandleSource<'a>(&'a FileSystemSyncAccessHandle);

impl JournalSource for HandleSource<'_> {
    fn len(&self) -> u64 {
        self.0.get_size().map_or(0, |s| s as u64)
    }

    fn read_exact_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), String> {
        let mut done = 0usize;
        while done < buf.len() {
            let options = FileSystemReadWriteOptions::new();
            options.set_at((at + done as u64) as f64);
            let read = self
                .0
                .read_with_u8_array_and_options(buf.get_mut(done..).unwrap_or_default(), &options)
                .map_err(|e| describe(&e))?;
            if read <= 0.0 {
                return Err("the file ended early".into());
            }
            done += read as usize;
        }
        Ok(())
    }
}
