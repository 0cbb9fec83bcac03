//! Turning what the user dropped or picked into `(path, File)` pairs: folders are walked through
//! the File System Entries API, so a dropped `AWSLogs` folder arrives with all its files.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileList, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry,
};

/// Entries of a drop, taken while the drop event is live (the data transfer goes stale after).
pub fn entries_of(transfer: &DataTransfer) -> (Vec<FileSystemEntry>, Vec<File>) {
    let items = transfer.items();
    let mut entries = Vec::new();
    for i in 0..items.length() {
        if let Some(entry) = items
            .get(i)
            .and_then(|item| item.webkit_get_as_entry().ok().flatten())
        {
            entries.push(entry);
        }
    }
    // Browsers without the entries API still give the plain files.
    let files = if entries.is_empty() {
        files_of(transfer.files())
    } else {
        Vec::new()
    };
    (entries, files)
}

/// The files of a file list (from an `<input type=file>`), with folder-relative paths when the
/// input picked a folder.
pub fn named_files(list: Option<FileList>) -> Vec<(String, File)> {
    files_of(list)
        .into_iter()
        .map(|file| {
            let relative = get_string(&file, "webkitRelativePath");
            let path = relative
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| file.name());
            (path, file)
        })
        .collect()
}

fn get_string(target: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(target, &key.into())
        .ok()
        .and_then(|v| v.as_string())
}

fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Walks dropped entries, folders recursively, into `(path, File)` pairs sorted by path.
pub async fn walk(entries: Vec<FileSystemEntry>) -> Result<Vec<(String, File)>, String> {
    let mut out = Vec::new();
    let mut stack = entries;
    while let Some(entry) = stack.pop() {
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_directory() {
            let dir: FileSystemDirectoryEntry = entry.unchecked_into();
            stack.extend(read_directory(&dir).await?);
        } else if entry.is_file() {
            let file_entry: FileSystemFileEntry = entry.unchecked_into();
            let file = file_of(&file_entry).await?;
            out.push((path, file));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

async fn file_of(entry: &FileSystemFileEntry) -> Result<File, String> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    let value = JsFuture::from(promise)
        .await
        .map_err(|e| format!("cannot open {}: {e:?}", entry.full_path()))?;
    value
        .dyn_into::<File>()
        .map_err(|_| format!("{} is not a file", entry.full_path()))
}

/// All entries of a folder: `readEntries` returns them in batches until an empty one.
async fn read_directory(dir: &FileSystemDirectoryEntry) -> Result<Vec<FileSystemEntry>, String> {
    let reader = dir.create_reader();
    let mut all = Vec::new();
    loop {
        let promise = Promise::new(&mut |resolve: Function, reject: Function| {
            if let Err(e) = reader.read_entries_with_callback_and_callback(&resolve, &reject) {
                let _ = reject.call1(&JsValue::NULL, &e);
            }
        });
        let batch = JsFuture::from(promise)
            .await
            .map_err(|e| format!("cannot list {}: {e:?}", dir.full_path()))?;
        let batch = Array::from(&batch);
        if batch.length() == 0 {
            return Ok(all);
        }
        all.extend(
            batch
                .iter()
                .filter_map(|e| e.dyn_into::<FileSystemEntry>().ok()),
        );
    }
}
