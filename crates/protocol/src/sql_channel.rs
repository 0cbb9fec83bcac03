//! Page ↔ SQL worker. The SQL engine is large, so it lives in a wasm module of its own that the
//! page starts when the SQL tab is first opened. The worker keeps its own copy of the events: the
//! store worker sends them over a `MessageChannel` as binary event batches
//! ([`trailscope_store::EventBatch::to_bytes`], transferred, never through the page), and the
//! worker loads them into a store of its own, so SQL never parses a file twice.
//!
//! A query runs to the end on the worker's one thread; the page cancels one by ending the worker
//! and starting another.
//!
//! Both ways, a message is an object whose `request` (page → worker) or `reply` (worker → page)
//! is the JSON text of a [`SqlRequest`] or [`SqlReply`]; a `MessagePort` or a file's bytes
//! travel beside it. JSON text keeps the page's share of this channel small: the page already
//! carries `serde_json`, and an answer's ten thousand rows decode faster from one string than
//! from JS objects.

use serde::{Deserialize, Serialize};

use crate::RequestId;

/// Rows of an answer the page receives at most; the rest is counted and can be downloaded.
pub const SQL_ROWS_SHOWN: usize = 10_000;

/// Event IDs an answer may open in the Events view at most.
pub const SQL_EVENT_IDS: usize = 1_000;

/// What the page asks of the SQL worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SqlRequest {
    /// The store worker is about to send the events of snapshot `snapshot` over the port that
    /// travels beside this message (key `port`); they replace whatever the worker held.
    Attach {
        /// Which snapshot (the page's count; replies name it).
        snapshot: u32,
        /// MiB of compressed records the worker keeps in its WebAssembly memory before the
        /// rest go to its JS heap (`?records-in-wasm-mib=N`, as for the store worker);
        /// `None` for [`crate::merge::RECORDS_IN_WASM_MIB`].
        #[serde(default)]
        records_in_wasm_mib: Option<u64>,
    },
    /// Runs `sql` and answers with [`SqlReply::Rows`] or [`SqlReply::Failed`].
    Run {
        /// Correlates the reply.
        id: RequestId,
        /// The query, in CloudTrail Lake's dialect.
        sql: String,
        /// Sort the answer by a column (a result table's header was clicked).
        sort: Option<SqlSort>,
    },
    /// Runs `sql` and answers with the whole answer as a file ([`SqlReply::File`]).
    Download {
        /// Correlates the reply.
        id: RequestId,
        /// The query.
        sql: String,
        /// The file's format.
        format: SqlFileFormat,
    },
    /// Writes the events the store worker names over the port beside this message (key
    /// `port`; see `crate::Request::ExportSelection`) as one Parquet file with the table's
    /// schema, and answers with [`SqlReply::File`] or [`SqlReply::Failed`].
    DownloadEvents {
        /// Correlates the reply.
        id: RequestId,
    },
}

/// An answer sorted by one of its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlSort {
    /// The column, 0-based.
    pub column: u32,
    /// Largest first.
    pub descending: bool,
}

/// The formats an answer downloads in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlFileFormat {
    /// RFC 4180 CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One Parquet file (Snappy).
    Parquet,
}

impl SqlFileFormat {
    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            SqlFileFormat::Csv => "csv",
            SqlFileFormat::Json => "json",
            SqlFileFormat::Parquet => "parquet",
        }
    }

    /// The MIME type of the download.
    pub fn mime(self) -> &'static str {
        match self {
            SqlFileFormat::Csv => "text/csv",
            SqlFileFormat::Json => "application/json",
            SqlFileFormat::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// What the SQL worker tells the page. Externally tagged (`{"rows": {...}}`): an internally
/// tagged enum's decoder buffers every reply first and measured 32 KB of the page's wasm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlReply {
    /// The module is loaded and listens; what the editor lists beside it.
    Started {
        /// The table's columns (nested ones as paths).
        columns: Vec<SqlColumn>,
        /// Sample queries for the usual questions.
        samples: Vec<SqlSample>,
    },
    /// The events of a snapshot are loaded; queries run over them from now on.
    Loaded {
        /// The snapshot.
        snapshot: u32,
        /// Events loaded.
        events: u64,
        /// Time from the first batch to the engine being ready.
        millis: f64,
        /// Bytes of compressed records the worker keeps outside its WebAssembly memory.
        #[serde(default)]
        records_outside_wasm_bytes: u64,
    },
    /// Loading the events failed (a damaged batch, say); queries would run over nothing.
    LoadFailed {
        /// The snapshot.
        snapshot: u32,
        /// Why.
        message: String,
    },
    /// An answer's first rows.
    Rows {
        /// The request.
        id: RequestId,
        /// The answer.
        table: SqlTable,
        /// Time from the request's arrival to the rows being ready.
        millis: f64,
    },
    /// The query failed: a syntax error (with where), an unknown column or function, too
    /// much memory.
    Failed {
        /// The request.
        id: RequestId,
        /// The engine's message.
        message: String,
        /// 1-based line of the problem, when the parser knows it.
        line: Option<u32>,
        /// 1-based column of the problem.
        column: Option<u32>,
    },
    /// A whole answer as a file. Its bytes travel beside this reply, transferred as a
    /// `Uint8Array` under the key `bytes`, so they never pass through the page's wasm memory.
    File {
        /// The request.
        id: RequestId,
        /// The file's format.
        format: SqlFileFormat,
        /// Its size in bytes.
        size: u64,
        /// Its SHA-256 (lowercase hex), taken as it was written, for an export's manifest.
        #[serde(default)]
        sha256: Option<String>,
    },
}

/// An answer as the page shows it: every value as text, at most [`SQL_ROWS_SHOWN`] rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlTable {
    /// Column names, as the query named them.
    pub columns: Vec<String>,
    /// Arrow type of each column (`Utf8`, `Int64`, `Timestamp(ms, "UTC")`, ...).
    pub types: Vec<String>,
    /// The first rows as JSON text: an array of rows, each an array of strings or `null`.
    /// Text, not decoded here: the page hands it to the browser's own JSON parser and reads the
    /// rows in view from that, so ten thousand rows cost the page's wasm neither decoding code
    /// nor memory.
    pub rows_json: String,
    /// Rows in `rows_json`.
    pub shown_rows: u64,
    /// Rows in the whole answer.
    pub total_rows: u64,
    /// The answer's event IDs when it has an `eventID` column (at most [`SQL_EVENT_IDS`],
    /// distinct, in answer order).
    pub event_ids: Vec<String>,
}

/// A column of the events table as a query names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlColumn {
    /// The path a query writes (`userIdentity.arn`).
    pub path: String,
    /// A short type (`string`, `timestamp`, `map<string,string>`).
    pub kind: String,
}

/// A sample query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlSample {
    /// What it answers.
    pub title: String,
    /// The query.
    pub sql: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A page and a SQL worker of different builds (a cached module) still understand each
    /// other: the fields added later have defaults.
    #[test]
    fn messages_without_the_later_fields_still_read() {
        let attach: SqlRequest = serde_json::from_str(r#"{"kind":"attach","snapshot":3}"#).unwrap();
        assert_eq!(
            attach,
            SqlRequest::Attach {
                snapshot: 3,
                records_in_wasm_mib: None
            }
        );
        let loaded: SqlReply =
            serde_json::from_str(r#"{"loaded":{"snapshot":3,"events":10,"millis":1.5}}"#).unwrap();
        assert_eq!(
            loaded,
            SqlReply::Loaded {
                snapshot: 3,
                events: 10,
                millis: 1.5,
                records_outside_wasm_bytes: 0
            }
        );
    }
}
