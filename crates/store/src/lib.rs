//! The in-memory event store: columnar, deduplicated, with the original records kept compressed.
//!
//! A [`Store`] receives events file by file: [`Store::begin_file`], then each event through its
//! [`trailscope_model::EventSink`] implementation, then [`Store::end_file`] with the file's
//! outcome. A file that failed is rolled back whole, so a half-read file never leaves events
//! behind. Identical events (same `eventID`, time, name and source) are stored once and counted as
//! duplicates. String fields are dictionary-encoded [`DictColumn`]s; the original JSON of each
//! record is kept LZ4-compressed in blocks for the detail view.
//!
//! ```
//! use trailscope_model::{ingest_bytes, Limits};
//! use trailscope_store::Store;
//!
//! let log = br#"{"Records":[{"eventID":"1","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z"}]}"#;
//! let mut store = Store::new();
//! for path in ["a.json", "copy-of-a.json"] {
//!     store.begin_file(path);
//!     let outcome = ingest_bytes(log, Limits::default(), &mut store);
//!     store.end_file(outcome);
//! }
//! let totals = store.totals();
//! assert_eq!((totals.events, totals.duplicates), (1, 1));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod arena;
mod dict;
mod raw;
mod rows;
mod store;
mod summary;

pub use dict::{DictColumn, ABSENT};
pub use raw::RawStore;
pub use rows::{RowView, TimeOrder};
pub use store::{Columns, FileEntry, FileId, MemoryUse, Store, StoreError, Tri, MAX_ROWS};
pub use summary::Totals;
