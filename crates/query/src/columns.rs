//! The event table's columns: which exist, what each is called, which filter field a click on a
//! cell filters by, and each cell's value as an export writes it. The page's table and the CSV
//! that follows the table's columns both read them from here.
//!
//! Besides the built-in columns, any path into the record can be a column (`path:` followed by
//! the path, `path:requestParameters.bucketName`), and `resources` lists what the event acted
//! on ([`crate::targets`]).

use std::io::{self, Write};

use serde_json::Value as Json;
use trailscope_model::{CsvWriter, Timestamp};
use trailscope_store::{Field, Store, Tri};

use crate::export::{each_record, ExportProgress};
use crate::key::Key;
use crate::query::EventRow;

/// A built-in column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableColumn {
    /// Stable id (in links, `data-testid="cell-<id>"` and `--columns`).
    pub id: &'static str,
    /// Header text.
    pub title: &'static str,
    /// The filter language's field for this column, if a click on a cell can filter by it.
    pub field: Option<&'static str>,
    /// Shown when the user has not chosen.
    pub default: bool,
}

const fn col(
    id: &'static str,
    title: &'static str,
    field: Option<&'static str>,
    default: bool,
) -> TableColumn {
    TableColumn {
        id,
        title,
        field,
        default,
    }
}

/// Every built-in column, in display order.
pub const COLUMNS: &[TableColumn] = &[
    col("time", "Time (UTC)", None, true),
    col("event-name", "Event name", Some("eventName"), true),
    col("event-source", "Event source", Some("eventSource"), true),
    col("user", "User", Some("user"), true),
    col(
        "identity-type",
        "Identity type",
        Some("userIdentity.type"),
        false,
    ),
    col(
        "access-key",
        "Access key",
        Some("userIdentity.accessKeyId"),
        false,
    ),
    col(
        "principal",
        "Principal ARN",
        Some("userIdentity.arn"),
        false,
    ),
    col("source-ip", "Source IP", Some("sourceIPAddress"), true),
    col("region", "Region", Some("awsRegion"), true),
    col("account", "Account", Some("recipientAccountId"), false),
    col("read-write", "Read/write", Some("readOnly"), true),
    col("error", "Error", Some("errorCode"), true),
    col("user-agent", "User agent", Some("userAgent"), false),
    col("event-type", "Event type", Some("eventType"), false),
    col("category", "Category", Some("eventCategory"), false),
    col("resources", "Resources", Some("resource"), false),
    col("event-id", "Event ID", Some("eventID"), false),
    col("integrity", "Integrity", Some("integrity"), true),
];

/// The id prefix of a column for a path into the record.
pub const PATH_PREFIX: &str = "path:";

/// The built-in column with this id.
pub fn by_id(id: &str) -> Option<&'static TableColumn> {
    COLUMNS.iter().find(|c| c.id == id)
}

/// The default columns' ids.
pub fn default_ids() -> Vec<String> {
    COLUMNS
        .iter()
        .filter(|c| c.default)
        .map(|c| c.id.to_string())
        .collect()
}

/// What a column shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// A built-in column.
    BuiltIn(&'static TableColumn),
    /// Every value at a path into the record (`requestParameters.bucketName`).
    Path(String),
}

impl ColumnKind {
    /// The column an id names: a built-in id, or `path:` and a path the filter language
    /// accepts. A path that names a built-in field (`path:eventName`) is still a path column:
    /// it shows the record's own value.
    pub fn of(id: &str) -> Result<ColumnKind, String> {
        if let Some(column) = by_id(id) {
            return Ok(ColumnKind::BuiltIn(column));
        }
        let Some(path) = id.strip_prefix(PATH_PREFIX) else {
            return Err(format!(
                "no column is called {id:?} (built-in: {}; or path:<field path>)",
                COLUMNS.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
            ));
        };
        let path = path.trim();
        let known = Key::from_name(path).is_some() || RECORD_PATH_FIELDS.contains(&path);
        if !known || path.is_empty() || path.contains(char::is_whitespace) {
            return Err(format!(
                "{path:?} is not a path into a CloudTrail record (requestParameters.bucketName, say)"
            ));
        }
        Ok(ColumnKind::Path(path.to_string()))
    }

    /// Header text.
    pub fn title(&self) -> String {
        match self {
            ColumnKind::BuiltIn(c) => c.title.to_string(),
            ColumnKind::Path(p) => p.clone(),
        }
    }

    /// Whether the column's values come from the original record (slower: decompressed).
    pub fn reads_record(&self) -> bool {
        match self {
            ColumnKind::BuiltIn(c) => c.id == "resources",
            ColumnKind::Path(_) => true,
        }
    }

    /// The filter field of the column (what a click on a cell adds).
    pub fn filter_field(&self) -> Option<&str> {
        match self {
            ColumnKind::BuiltIn(c) => c.field,
            ColumnKind::Path(p) => Some(p),
        }
    }

    /// The cell at `row` as an export writes it: times in RFC 3339, `readOnly` as `true` or
    /// `false`, integrity as its status, several values joined by `, `. `record` is the row's
    /// parsed record, needed only when [`ColumnKind::reads_record`].
    pub fn value(&self, store: &Store, row: usize, record: Option<&Json>) -> Option<String> {
        let column = |f: Field| store.value(f, row).map(str::to_string);
        let joined = |values: Vec<String>| (!values.is_empty()).then(|| values.join(", "));
        match self {
            ColumnKind::Path(_) => joined(self.record_values(record?)),
            ColumnKind::BuiltIn(c) => match c.id {
                "time" => store.time_at(row).map(Timestamp::to_rfc3339),
                "event-name" => column(Field::EventName),
                "event-source" => column(Field::EventSource),
                "user" => column(Field::User),
                "identity-type" => column(Field::IdentityType),
                "access-key" => column(Field::AccessKeyId),
                "principal" => column(Field::PrincipalArn),
                "source-ip" => column(Field::SourceIp),
                "region" => column(Field::AwsRegion),
                "account" => column(Field::Account),
                "read-write" => match store.read_only(row) {
                    Tri::Yes => Some("true".into()),
                    Tri::No => Some("false".into()),
                    Tri::Unknown => None,
                },
                "error" => column(Field::ErrorCode).or_else(|| column(Field::ErrorMessage)),
                "user-agent" => column(Field::UserAgent),
                "event-type" => column(Field::EventType),
                "category" => column(Field::EventCategory),
                "resources" => joined(self.record_values(record?)),
                "event-id" => store.event_id(row).map(str::to_string),
                "integrity" => store.integrity(row).map(|i| i.as_str().to_string()),
                _ => None,
            },
        }
    }
}

impl ColumnKind {
    /// Each value of a column that reads the record ([`ColumnKind::reads_record`]); empty for
    /// the others.
    pub fn record_values(&self, record: &Json) -> Vec<String> {
        match self {
            ColumnKind::Path(path) => path_values(record, path),
            ColumnKind::BuiltIn(c) if c.id == "resources" => crate::targets::targets(record),
            ColumnKind::BuiltIn(_) => Vec::new(),
        }
    }
}

/// The table rows of `rows` with the values of `columns` (ids of columns that read the record)
/// in [`EventRow::extra`], each record decompressed once. An id that names no such column is
/// an error naming it.
pub fn rows_with(store: &Store, rows: &[u32], columns: &[String]) -> Result<Vec<EventRow>, String> {
    let kinds = columns
        .iter()
        .map(|id| {
            let kind = ColumnKind::of(id)?;
            if kind.reads_record() {
                Ok(kind)
            } else {
                Err(format!(
                    "{id:?} is one of every row's own columns, not one read from the record"
                ))
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut out: Vec<EventRow> = rows.iter().map(|&r| EventRow::new(store, r)).collect();
    if kinds.is_empty() {
        return Ok(out);
    }
    let mut at = 0;
    each_record(
        store,
        rows,
        |_| {},
        |_, bytes| {
            let record: Option<Json> = serde_json::from_slice(bytes).ok();
            if let Some(row) = out.get_mut(at) {
                row.extra = kinds
                    .iter()
                    .map(|k| {
                        record
                            .as_ref()
                            .map(|r| k.record_values(r))
                            .unwrap_or_default()
                    })
                    .collect();
            }
            at += 1;
            Ok(())
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Record paths the filter language reads through an alias but a column may name directly.
const RECORD_PATH_FIELDS: &[&str] = &["resources.ARN", "resources.type"];

/// Every leaf at `path` (dot-separated; arrays on the way are searched), as text: strings as
/// they are, numbers and booleans as JSON writes them, objects and arrays as compact JSON.
pub fn path_values(record: &Json, path: &str) -> Vec<String> {
    fn walk(value: &Json, path: &[&str], out: &mut Vec<String>) {
        match (value, path.split_first()) {
            (Json::Array(items), Some(_)) => {
                for item in items {
                    walk(item, path, out);
                }
            }
            (Json::Null, None) => {}
            (Json::String(s), None) => {
                if !s.is_empty() {
                    out.push(s.clone());
                }
            }
            (leaf, None) => out.push(leaf.to_string()),
            (_, Some((head, rest))) => {
                // Keys compare exactly first, then without regard to case (the filter
                // language's paths are matched that way too).
                let next = value.get(*head).or_else(|| {
                    value.as_object().and_then(|o| {
                        o.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(head))
                            .map(|(_, v)| v)
                    })
                });
                if let Some(next) = next {
                    walk(next, rest, out);
                }
            }
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    walk(record, &parts, &mut out);
    out
}

/// Writes the events at `rows`, in that order, as CSV with the given columns (ids as
/// [`ColumnKind::of`] reads them) and their titles as the header. Records are decompressed
/// only when a column reads them.
pub fn write_table_csv<W: Write>(
    store: &Store,
    rows: &[u32],
    columns: &[ColumnKind],
    out: &mut W,
    progress: impl FnMut(ExportProgress),
) -> io::Result<()> {
    let mut w = CsvWriter::new(&mut *out);
    w.write_row(columns.iter().map(ColumnKind::title).collect::<Vec<_>>())?;
    let cells = |row: u32, record: Option<&Json>| -> Vec<String> {
        columns
            .iter()
            .map(|c| c.value(store, row as usize, record).unwrap_or_default())
            .collect()
    };
    if columns.iter().any(ColumnKind::reads_record) {
        each_record(store, rows, progress, |row, bytes| {
            let record: Option<Json> = serde_json::from_slice(bytes).ok();
            w.write_row(cells(row, record.as_ref()))
        })?;
    } else {
        let mut progress = progress;
        let total = rows.len() as u64;
        for (i, chunk) in rows.chunks(crate::export::CHUNK_ROWS).enumerate() {
            for &row in chunk {
                w.write_row(cells(row, None))?;
            }
            let done = (i * crate::export::CHUNK_ROWS + chunk.len()) as u64;
            progress(ExportProgress { done, total });
        }
    }
    w.into_inner()?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_built_in_and_path_columns() {
        assert_eq!(ColumnKind::of("user").unwrap().title(), "User");
        let path = ColumnKind::of("path:requestParameters.bucketName").unwrap();
        assert_eq!(path.title(), "requestParameters.bucketName");
        assert!(path.reads_record());
        assert_eq!(path.filter_field(), Some("requestParameters.bucketName"));
        assert!(ColumnKind::of("path:resources.ARN").is_ok());
        let unknown = ColumnKind::of("nope").unwrap_err();
        assert!(
            unknown.contains("\"nope\"") && unknown.contains("path:"),
            "{unknown}"
        );
        let typo = ColumnKind::of("path:requestParamters.x").unwrap_err();
        assert!(typo.contains("requestParamters.x"), "{typo}");
        assert!(ColumnKind::of("path:").is_err());
        // Default ids are built-in, once each.
        let ids = default_ids();
        assert!(ids.iter().all(|id| by_id(id).is_some()));
        let mut unique = COLUMNS.iter().map(|c| c.id).collect::<Vec<_>>();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), COLUMNS.len());
        // Every built-in column's filter field reads.
        for c in COLUMNS {
            if let Some(field) = c.field {
                assert!(Key::from_name(field).is_some(), "{field}");
            }
        }
    }

    #[test]
    fn rows_carry_the_values_of_record_columns() {
        let json = r#"{"Records":[
            {"eventID":"a","eventTime":"2024-01-01T00:00:00Z","eventName":"TerminateInstances","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}},
            {"eventID":"b","eventTime":"2024-01-01T00:00:01Z","eventName":"GetObject","requestParameters":{"bucketName":"logs"}}
        ]}"#;
        let mut store = Store::new();
        store.load("a.json", |b| {
            trailscope_model::ingest_bytes(json.as_bytes(), trailscope_model::Limits::default(), b)
        });
        let ids = [
            "resources".to_string(),
            "path:requestParameters.bucketName".to_string(),
        ];
        let rows = rows_with(&store, &[1, 0, 1], &ids).unwrap();
        let extra: Vec<_> = rows.iter().map(|r| r.extra.clone()).collect();
        assert_eq!(
            extra,
            [
                vec![vec!["logs".to_string()], vec!["logs".to_string()]],
                vec![vec!["i-1".to_string(), "i-2".to_string()], vec![]],
                vec![vec!["logs".to_string()], vec!["logs".to_string()]],
            ]
        );
        assert_eq!(rows[1].event_id.as_deref(), Some("a"));
        assert!(rows_with(&store, &[0], &["user".to_string()]).is_err());
        assert!(rows_with(&store, &[0], &["path:nope.x".to_string()]).is_err());
        assert!(rows_with(&store, &[0], &[]).unwrap()[0].extra.is_empty());
        // The CSV that follows the table: titles, values as exports write them.
        let columns: Vec<ColumnKind> = [
            "time",
            "event-name",
            "read-write",
            "resources",
            "path:requestParameters.bucketName",
        ]
        .iter()
        .map(|id| ColumnKind::of(id).unwrap())
        .collect();
        let mut csv = Vec::new();
        write_table_csv(&store, &[0, 1], &columns, &mut csv, |_| {}).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "Time (UTC),Event name,Read/write,Resources,requestParameters.bucketName\n\
             2024-01-01T00:00:00Z,TerminateInstances,,\"i-1, i-2\",\n\
             2024-01-01T00:00:01Z,GetObject,,logs,logs\n"
        );
    }

    #[test]
    fn path_values_search_arrays_and_keep_every_leaf() {
        let record: Json = serde_json::from_str(
            r#"{"requestParameters":{"bucketName":"logs","instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]},"n":3,"t":true,"z":null,"o":{"a":1},"e":""}}"#,
        )
        .unwrap();
        let at = |p: &str| path_values(&record, p);
        assert_eq!(at("requestParameters.bucketName"), ["logs"]);
        assert_eq!(
            at("requestParameters.instancesSet.items.instanceId"),
            ["i-1", "i-2"]
        );
        assert_eq!(at("requestParameters.BUCKETNAME"), ["logs"]);
        assert_eq!(at("requestParameters.n"), ["3"]);
        assert_eq!(at("requestParameters.t"), ["true"]);
        assert_eq!(at("requestParameters.o"), [r#"{"a":1}"#]);
        assert!(at("requestParameters.z").is_empty());
        assert!(at("requestParameters.e").is_empty());
        assert!(at("requestParameters.missing.deeper").is_empty());
    }
}
