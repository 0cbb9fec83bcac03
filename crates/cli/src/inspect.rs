//! `trailscope inspect`: what the given files hold, file by file, and in total.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use trailscope_model::Limits;
use trailscope_store::{FileEntry, Totals};

use crate::load::{collect_inputs, load_all, MemoryBudget};

/// The `--json` report. Field names are part of the CLI's contract.
#[derive(Serialize)]
struct Report<'a> {
    files: Vec<FileReport<'a>>,
    /// Unique events.
    events: u64,
    /// Events merged because they were already loaded.
    duplicates: u64,
    first_event_time: Option<String>,
    last_event_time: Option<String>,
    events_without_time: u64,
    accounts: &'a [String],
    regions: &'a [String],
    failed_files: u64,
    /// Helper files that are not CloudTrail data (listed, not failed).
    not_cloudtrail_files: u64,
    /// OS metadata files (`.DS_Store`, `__MACOSX/`) that were not read.
    skipped_system_files: u64,
    /// Events whose copies in different files disagree.
    conflicts: Vec<crate::conflicts::ConflictReport>,
    /// What the loaded events take (the store's own count, not the process's).
    memory: MemoryReport,
}

/// The store's memory: its columns and indexes, and its compressed records, part of which may
/// be in the temporary file (`--records-in-memory`).
#[derive(Serialize)]
struct MemoryReport {
    columns_bytes: u64,
    records_bytes: u64,
    records_in_temporary_file_bytes: u64,
}

#[derive(Serialize)]
struct FileReport<'a> {
    path: &'a str,
    kind: &'static str,
    /// Events read from the file (0 when it failed: a failed file adds nothing).
    events: u64,
    /// Of those, how many were already loaded from an earlier file.
    duplicates: u64,
    /// Why it was not read (for a file that is not CloudTrail, what it is instead).
    error: Option<String>,
    /// Well-formed data that is not CloudTrail (a `describe-trails` output, a manifest): not
    /// a failure, and not counted in `failed_files`.
    not_cloudtrail: bool,
    skipped_records: u64,
    notes: Vec<String>,
}

impl<'a> FileReport<'a> {
    fn new(file: &'a FileEntry) -> Self {
        let o = &file.summary;
        let mut notes: Vec<String> = o.warnings.clone();
        notes.extend(o.skipped_examples.iter().map(|e| format!("skipped {e}")));
        notes.extend(o.time_notes.describe());
        FileReport {
            path: &file.path,
            kind: o.kind.id(),
            events: if o.error.is_some() { 0 } else { o.events },
            duplicates: file.duplicates,
            error: o.error.clone(),
            not_cloudtrail: file.is_not_cloudtrail(),
            skipped_records: o.skipped_records,
            notes,
        }
    }
}

pub fn run(paths: &[PathBuf], json: bool, budget: MemoryBudget) -> anyhow::Result<ExitCode> {
    let (inputs, skipped_system_files) = collect_inputs(paths)?;
    let mut store = budget.new_store();
    load_all(
        &mut store,
        &inputs,
        Limits::default(),
        !json && std::io::stderr().is_terminal(),
        budget,
    )?;
    let totals = store.totals();
    let report = Report {
        files: store.files().iter().map(FileReport::new).collect(),
        events: totals.events,
        duplicates: totals.duplicates,
        first_event_time: totals.first_event_time.map(|t| t.to_string()),
        last_event_time: totals.last_event_time.map(|t| t.to_string()),
        events_without_time: totals.events_without_time,
        accounts: &totals.accounts,
        regions: &totals.regions,
        failed_files: totals.failed_files,
        not_cloudtrail_files: totals.not_cloudtrail_files,
        skipped_system_files,
        conflicts: crate::conflicts::from_store(&store),
        memory: {
            let memory = store.memory();
            MemoryReport {
                columns_bytes: memory.columns_bytes as u64,
                records_bytes: memory.records_bytes,
                records_in_temporary_file_bytes: memory.records_spilled_bytes,
            }
        },
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report, &totals)?;
        crate::conflicts::print(&mut out, &report.conflicts)?;
    }
    Ok(if totals.failed_files > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_table(out: &mut impl Write, report: &Report<'_>, totals: &Totals) -> std::io::Result<()> {
    let width = report
        .files
        .iter()
        .map(|f| f.path.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 80);
    writeln!(
        out,
        "{:<width$}  {:<20}  {:>9}  STATUS",
        "FILE", "KIND", "EVENTS"
    )?;
    for f in &report.files {
        let status = match &f.error {
            Some(e) if f.not_cloudtrail => format!("not CloudTrail, ignored: {e}"),
            Some(e) => format!("error: {e}"),
            None if f.duplicates > 0 => format!("ok ({} already loaded)", f.duplicates),
            None => "ok".to_string(),
        };
        writeln!(
            out,
            "{:<width$}  {:<20}  {:>9}  {status}",
            f.path, f.kind, f.events
        )?;
        for note in &f.notes {
            writeln!(out, "{:<width$}  {:<20}  {:>9}  note: {note}", "", "", "")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} events ({} duplicates merged) from {} files ({} failed{})",
        totals.events,
        totals.duplicates,
        totals.files,
        totals.failed_files,
        if totals.not_cloudtrail_files > 0 {
            format!(", {} not CloudTrail", totals.not_cloudtrail_files)
        } else {
            String::new()
        }
    )?;
    if let (Some(first), Some(last)) = (&report.first_event_time, &report.last_event_time) {
        writeln!(out, "Time span: {first} to {last}")?;
    }
    if totals.events_without_time > 0 {
        writeln!(out, "Events without a time: {}", totals.events_without_time)?;
    }
    writeln!(
        out,
        "Accounts ({}): {}",
        totals.accounts.len(),
        list(&totals.accounts)
    )?;
    writeln!(
        out,
        "Regions ({}): {}",
        totals.regions.len(),
        list(&totals.regions)
    )?;
    if report.skipped_system_files > 0 {
        writeln!(out, "System files skipped: {}", report.skipped_system_files)?;
    }
    Ok(())
}

fn list(values: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = values
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        s.push_str(&format!(", … {} more", values.len() - SHOWN));
    }
    s
}
