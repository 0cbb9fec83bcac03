//! The in-memory event store: columnar, deduplicated, with the original records kept compressed.
//!
//! Events reach a [`Store`] in [`EventBatch`]es: a parsing thread feeds parsed events to a
//! [`BatchBuilder`] (an [`trailscope_model::EventSink`]), and the store merges whole files with
//! [`Store::add_file`]. A file that failed adds no event, so a half-read file never leaves events
//! behind. Identical events (same `eventID`, time, name and source) are stored once and counted as
//! duplicates. String fields are dictionary-encoded [`DictColumn`]s named by [`Field`]; the
//! original JSON of each record is kept LZ4-compressed in blocks for the detail view. Batches have
//! a binary form ([`EventBatch::to_bytes`]) so they can move between Web Workers.
//!
//! ```
//! use trailscope_model::{ingest_bytes, Limits};
//! use trailscope_store::Store;
//!
//! let log = br#"{"Records":[{"eventID":"1","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z"}]}"#;
//! let mut store = Store::new();
//! for path in ["a.json", "copy-of-a.json"] {
//!     store.load(path, |batch| ingest_bytes(log, Limits::default(), batch));
//! }
//! let totals = store.totals();
//! assert_eq!((totals.events, totals.duplicates), (1, 1));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod arena;
mod batch;
mod conflict;
mod copy_index;
mod dict;
mod export;
mod field;
pub mod grams;
mod raw;
mod row;
mod rows;
mod rowset;
mod seen;
mod store;
mod summary;
pub mod text;

pub use batch::{BatchBuilder, BatchError, EventBatch};
pub use conflict::{Conflict, EventCopy};
pub use copy_index::{CopyCollector, CopyIndex, FileConflict};
pub use dict::{DictColumn, ABSENT};
pub use field::{Field, FIELD_COUNT};
pub use raw::{BlockSpill, RawStore};
pub use row::Tri;
pub use rows::{RowView, TimeOrder};
pub use rowset::RowSet;
pub use seen::EventsSeen;
pub use store::{
    ColumnOrder, FileEntry, FileId, FileLoader, FileRows, FileSummary, Integrity, MemoryUse,
    OpenFile, Store, MAX_ROWS,
};
pub use summary::Totals;
