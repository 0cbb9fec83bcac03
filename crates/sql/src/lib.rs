//! SQL over CloudTrail events in CloudTrail Lake's dialect, on Apache DataFusion, and the events
//! as Parquet.
//!
//! The engine is DataFusion over Arrow; what is ours is the dialect: one table, `events`, with
//! Lake's event schema ([`lake_schema`]), whatever name `FROM` gives it; identifiers that
//! resolve without regard to case, as in Lake and Athena; and the functions Lake and Athena
//! users write that DataFusion lacks (`json_extract_scalar`, `element_at` on maps,
//! `from_iso8601_timestamp`). Columns are built from the store on first use, so a
//! `GROUP BY eventName` over a million events builds one column, not the whole schema.
//!
//! ```
//! use std::sync::Arc;
//! use trailscope_model::{ingest_bytes, Limits};
//! use trailscope_sql::{EngineOptions, SqlEngine};
//! use trailscope_store::Store;
//!
//! let log = br#"{"Records":[
//!   {"eventID":"1","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z","requestParameters":{"userName":"bob"}},
//!   {"eventID":"2","eventName":"ListUsers","eventTime":"2024-02-28T21:48:00Z","readOnly":true}]}"#;
//! let mut store = Store::new();
//! store.load("a.json", |batch| ingest_bytes(log, Limits::default(), batch));
//! let engine = SqlEngine::over_store(Arc::new(store), EngineOptions::default()).unwrap();
//! let sql = "SELECT element_at(requestParameters, 'userName') AS who FROM $EDS_ID WHERE eventname = 'CreateUser'";
//! // Natively the engine runs on Tokio; in the browser, on the page's event loop.
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let answer = runtime.block_on(engine.run(sql)).unwrap();
//! assert_eq!(trailscope_sql::to_csv(&answer).unwrap(), "who\nbob\n");
//! ```
#![forbid(unsafe_code)]

mod dialect;
mod engine;
mod error;
mod export;
mod functions;
mod output;
#[cfg(feature = "parquet-folders")]
mod parquet_folder;
mod schema;
mod table;

pub use dialect::sorted_by;
pub use engine::{EngineOptions, SqlAnswer, SqlEngine};
pub use error::SqlError;
pub use export::{partitions, write_events, EventWriter, Partition, HIVE_DEFAULT_PARTITION};
pub use output::{to_cells, to_csv, to_json, to_ndjson, to_table, write_parquet, Cells};
#[cfg(feature = "parquet-folders")]
pub use parquet_folder::is_parquet_input;
pub use schema::{column_paths, lake_schema, SAMPLE_QUERIES, TABLE};
pub use table::EventsTable;
