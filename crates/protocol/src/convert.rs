//! Conversions from the core's types to the wire types.

use trailscope_store::{FileEntry, MemoryUse, RowView, Totals};

use crate::{FileRow, FileStatus, RowData, TotalsView};

/// The file list row for a loaded (or failed) file.
pub fn file_row(index: u32, file: &FileEntry) -> FileRow {
    let o = &file.outcome;
    let status = if o.error.is_some() {
        FileStatus::Failed
    } else if o.skipped_records > 0 || !o.warnings.is_empty() {
        FileStatus::Warning
    } else {
        FileStatus::Loaded
    };
    let mut notes = o.warnings.clone();
    if o.skipped_records > 0 {
        notes.push(format!("{} records skipped", o.skipped_records));
    }
    notes.extend(o.skipped_examples.iter().map(|e| format!("skipped {e}")));
    notes.extend(o.time_notes.describe());
    FileRow {
        index,
        path: file.path.clone(),
        kind: o.kind.id().to_string(),
        kind_label: o.kind.label().to_string(),
        events: if o.error.is_some() { 0 } else { o.events },
        duplicates: file.duplicates,
        status,
        error: o.error.as_ref().map(ToString::to_string),
        notes,
        stored_bytes: o.stored_bytes,
    }
}

/// The summary totals.
pub fn totals(t: &Totals, memory: MemoryUse) -> TotalsView {
    TotalsView {
        events: t.events,
        duplicates: t.duplicates,
        events_without_time: t.events_without_time,
        first_event_time: t.first_event_time.map(|t| t.to_string()),
        last_event_time: t.last_event_time.map(|t| t.to_string()),
        accounts: t.accounts.clone(),
        regions: t.regions.clone(),
        files: t.files,
        failed_files: t.failed_files,
        files_with_warnings: t.files_with_warnings,
        text_bytes: t.text_bytes,
        store_bytes: memory.columns_bytes as u64,
        records_bytes: memory.records_bytes as u64,
    }
}

/// A table row.
pub fn row(view: RowView) -> RowData {
    RowData {
        row: view.row,
        time: view.time.map(|t| t.to_string()),
        event_name: view.event_name,
        event_source: view.event_source,
        user: view.user,
        source_ip: view.source_ip,
        region: view.region,
        error: view.error,
        event_id: view.event_id,
        read_only: view.read_only,
    }
}
