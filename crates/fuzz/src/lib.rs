//! The fuzz targets' checks, as plain functions: `crates/fuzz/fuzz` runs them under libFuzzer
//! (nightly only, `scripts/fuzz.sh`), and `tests/regressions.rs` runs them on stable, in CI, over
//! every input a fuzzer ever found a crash with (`regressions/<target>/`), so a fixed crash stays
//! fixed. Each function panics when it finds a bug: that is how libFuzzer notices.
// A fuzz check's panics are its findings.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod console_csv;
mod digest_and_keys;
mod filter_parse;
mod gzip_members;
mod ingest_chunks;
mod json_splitter;
mod rules_and_sigma;
#[cfg(feature = "sql")]
mod sql_query;
mod zip_walk;

pub use console_csv::console_csv;
pub use digest_and_keys::digest_and_keys;
pub use filter_parse::filter_parse;
pub use gzip_members::gzip_members;
pub use ingest_chunks::ingest_chunks;
pub use json_splitter::json_splitter;
pub use rules_and_sigma::rules_and_sigma;
#[cfg(feature = "sql")]
pub use sql_query::sql_query;
pub use zip_walk::zip_walk;

/// A fuzz check: panics when it finds a bug.
pub type Check = fn(&[u8]);

/// Every check, by target name.
pub const TARGETS: &[(&str, Check)] = &[
    ("ingest_chunks", ingest_chunks),
    ("gzip_members", gzip_members),
    ("json_splitter", json_splitter),
    ("console_csv", console_csv),
    ("zip_walk", zip_walk),
    ("digest_and_keys", digest_and_keys),
    ("filter_parse", filter_parse),
    ("rules_and_sigma", rules_and_sigma),
    #[cfg(feature = "sql")]
    ("sql_query", sql_query),
];
