//! Typed messages between the page and its Web Workers, one module per channel
//! (`store_channel`, `parser_channel`) and the views the page shows (`views`); core result types
//! with named fields travel inside them as they are (ARCHITECTURE.md, "The IPC policy").
//!
//! The page runs one *store* worker, which owns the event store and answers queries, and one
//! *parser* worker per spare core, which read and parse files. Each worker is told its [`Role`] in
//! its first message. Three channels carry typed messages:
//!
//! * page → store: [`Request`]s with a [`RequestId`]; the store answers with [`Response`]s that
//!   carry the same id, so the page can drop replies it no longer wants;
//! * page → parser: [`ParseRequest`]s, with `File` handles beside them (never contents: the
//!   parser reads them itself); parsers report [`ParseEvent`]s (progress) to the page;
//! * parser → store, over a `MessageChannel` the page sets up: [`Parsed`] files, whose event
//!   batches travel as transferable `ArrayBuffer`s.
//!
//! ```
//! use trailscope_protocol::{Request, RequestId};
//!
//! let request = Request::Window { id: RequestId(7), offset: 0, limit: 50, columns: Vec::new() };
//! assert_eq!(request.id(), RequestId(7));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod convert;
pub mod merge;
mod parser_channel;
#[cfg(any(test, feature = "samples"))]
pub mod samples;
mod sql_channel;
mod store_channel;
#[cfg(test)]
mod test_support;
mod views;
pub mod workspace;

use serde::{Deserialize, Serialize};

pub use parser_channel::*;
pub use sql_channel::*;
pub use store_channel::*;
pub use views::*;

pub use convert::{
    event_copies, file_row, log_hash_from_wire, log_hash_to_wire, summary_from_wire,
    summary_to_wire, totals, trusted_key_view, verify_view,
};

/// Correlates a response with its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u32);

/// What a worker is for; the first message a worker gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Owns the store. Its message carries one `MessagePort` per parser in `ports`.
    Store,
    /// Reads files; number `index`. Its message carries the `MessagePort` to the store in `port`.
    Parser {
        /// Which parser (for progress).
        index: u32,
    },
}
