//! Exports of selected events: the console's Event history CSV, CloudTrail's `{"Records":[...]}`
//! JSON, and one record per line. Written in chunks to any `Write`, reporting progress after
//! each chunk so the page can show a bar for a million rows.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use trailscope_model::CsvWriter;
use trailscope_model::{EventRecord, Timestamp};
use trailscope_store::{Field, Store, Tri};

/// The console's Event history CSV header, column for column.
pub const CSV_HEADER: [&str; 16] = [
    "User name",
    "AWS access key",
    "Event time",
    "Event source",
    "Event name",
    "AWS region",
    "Source IP address",
    "User agent",
    "Error code",
    "Resources",
    "Request ID",
    "Event ID",
    "Read-only",
    "Event type",
    "Recipient Account Id",
    "Event category",
];

/// Rows decompressed and written per step (a progress report follows each).
pub const CHUNK_ROWS: usize = 4096;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// The console's Event history CSV (16 columns).
    Csv,
    /// `{"Records":[...]}` with the original records, as CloudTrail log files are.
    Json,
    /// One original record per line.
    Ndjson,
}

/// The file name for an export of the events `filter` selects, made at `at`:
/// `trailscope-<filter>-<UTC time>.<extension>`, so that a folder of exports reads as a log of
/// the investigation (`trailscope-eventName-ConsoleLogin-mfa-false-20261129T171800Z.csv`).
/// The filter is reduced to letters, digits, `.` and `_` with `-` between words, and cut at 60
/// characters; the exact filter belongs in the export's manifest, not its name.
pub fn file_name(filter: &str, at: Timestamp, extension: &str) -> String {
    let mut slug = String::new();
    for c in filter.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "all-events" } else { slug };
    // `2026-11-29T17:18:00Z` or with `.mmm`: the seconds are enough in a name.
    let time: String = at
        .to_rfc3339()
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("trailscope-{slug}-{time}Z.{extension}")
}

/// How far an export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportProgress {
    /// Rows written.
    pub done: u64,
    /// Rows to write.
    pub total: u64,
}

/// Writes the events at `rows`, in that order, to `out`.
pub fn export<W: Write>(
    store: &Store,
    rows: &[u32],
    format: ExportFormat,
    out: &mut W,
    progress: impl FnMut(ExportProgress),
) -> io::Result<()> {
    match format {
        ExportFormat::Csv => {
            // One row at a time, so output streams as it goes; the project's one CSV writer
            // quotes and neutralizes every cell.
            let mut w = CsvWriter::new(&mut *out);
            w.write_row(CSV_HEADER)?;
            each_record(store, rows, progress, |row, record| {
                w.write_row(csv_row(store, row as usize, record))
            })?;
            w.into_inner()?;
        }
        ExportFormat::Json => {
            out.write_all(b"{\"Records\":[")?;
            let mut first = true;
            each_record(store, rows, progress, |_, record| {
                if !std::mem::take(&mut first) {
                    out.write_all(b",")?;
                }
                out.write_all(record)
            })?;
            out.write_all(b"]}\n")?;
        }
        ExportFormat::Ndjson => {
            let mut line = Vec::new();
            each_record(store, rows, progress, |_, record| {
                // Records may be pretty-printed; raw line breaks can only be whitespace between
                // tokens (JSON strings escape them), so dropping them is safe.
                line.clear();
                line.extend(record.iter().filter(|&&b| b != b'\n' && b != b'\r'));
                line.push(b'\n');
                out.write_all(&line)
            })?;
        }
    }
    out.flush()
}

/// Calls `write` for each row's record in order, a chunk at a time, reporting progress after
/// each chunk.
pub(crate) fn each_record(
    store: &Store,
    rows: &[u32],
    mut progress: impl FnMut(ExportProgress),
    mut write: impl FnMut(u32, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let total = rows.len() as u64;
    let mut done = 0u64;
    for chunk in rows.chunks(CHUNK_ROWS) {
        for (&row, record) in chunk.iter().zip(records_of(store, chunk)) {
            write(row, &record)?;
        }
        done += chunk.len() as u64;
        progress(ExportProgress { done, total });
    }
    Ok(())
}

/// The records of `rows`, in that order, each block decompressed once.
fn records_of(store: &Store, rows: &[u32]) -> Vec<Vec<u8>> {
    let mut position: Vec<(usize, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, &r)| (r as usize, i))
        .collect();
    position.sort_unstable();
    let mut out = vec![Vec::new(); rows.len()];
    let wanted: Vec<usize> = position.iter().map(|&(r, _)| r).collect();
    store.records().with_records(&wanted, |row, bytes| {
        let at = position.partition_point(|&(r, _)| r < row);
        // A row listed twice gets its record in every place.
        for &(_, i) in position
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|(r, _)| *r == row)
        {
            if let Some(slot) = out.get_mut(i) {
                if slot.is_empty() {
                    *slot = bytes.to_vec();
                }
            }
        }
    });
    out
}

#[derive(Serialize)]
struct ConsoleResource<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<&'a str>,
    #[serde(rename = "resourceName")]
    resource_name: Option<&'a str>,
}

/// One CSV row: column values from the store, resources and request ID from the record.
fn csv_row(store: &Store, row: usize, record: &[u8]) -> Vec<String> {
    let parsed: Option<EventRecord<'_>> = serde_json::from_slice(record).ok();
    let get = |f: Field| store.value(f, row).unwrap_or("").to_string();
    let resources = parsed
        .as_ref()
        .map(|r| {
            r.resources
                .0
                .iter()
                .map(|res| ConsoleResource {
                    resource_type: res.resource_type.as_str(),
                    resource_name: res.arn.as_str(),
                })
                .collect::<Vec<_>>()
        })
        .filter(|list| !list.is_empty())
        .and_then(|list| serde_json::to_string(&list).ok())
        .unwrap_or_default();
    let request_id = parsed
        .as_ref()
        .and_then(|r| r.request_id.as_str())
        .unwrap_or("")
        .to_string();
    let cells = [
        get(Field::User),
        get(Field::AccessKeyId),
        store
            .time_at(row)
            .map(Timestamp::to_rfc3339)
            .unwrap_or_default(),
        get(Field::EventSource),
        get(Field::EventName),
        get(Field::AwsRegion),
        get(Field::SourceIp),
        get(Field::UserAgent),
        get(Field::ErrorCode),
        resources,
        request_id,
        store.event_id(row).unwrap_or("").to_string(),
        match store.read_only(row) {
            Tri::Yes => "true".into(),
            Tri::No => "false".into(),
            Tri::Unknown => String::new(),
        },
        get(Field::EventType),
        get(Field::Account),
        get(Field::EventCategory),
    ];
    cells.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_say_what_and_when() {
        let at = Timestamp::parse_rfc3339("2026-11-29T17:18:05.250Z").unwrap();
        assert_eq!(
            file_name("eventName:ConsoleLogin -mfa:false", at, "csv"),
            "trailscope-eventName-ConsoleLogin-mfa-false-20261129T171805Z.csv"
        );
        assert_eq!(
            file_name("  ", at, "json"),
            "trailscope-all-events-20261129T171805Z.json"
        );
        assert_eq!(
            file_name("user:\"zoë / admin\" ip:10.0.0.0/8", at, "parquet"),
            "trailscope-user-zo-admin-ip-10.0.0.0-8-20261129T171805Z.parquet"
        );
        let long = file_name(&"eventName:A ".repeat(40), at, "csv");
        assert!(long.len() < 100, "{long}");
        assert!(!long.contains("--"));
    }
}
