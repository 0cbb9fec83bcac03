//! The free-text index over a folder of CloudTrail files, natively: loads the files as the page
//! does (messages of at most 50,000 events merged in order), builds the index in the page's
//! steps of 16,384 rows, and prints its build time, its size per event, and what it says for
//! each needle given (rows certain, rows still to read, time of the lookup).
//!
//!   cargo run --release -p trailscope-protocol --example text_index -- DIR [NEEDLE...]
// A measuring tool: a failure ends it with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use trailscope_protocol::merge::Merger;
use trailscope_store::Store;

mod common;

/// Rows the page's store worker indexes per step.
const ROWS_PER_STEP: usize = 16_384;

fn load(dir: &Path) -> Store {
    let mut store = Store::new();
    let mut merger: Merger<()> = Merger::default();
    common::parse_in_messages(dir, |files, batch| {
        merger.merge(&mut store, files, None, std::iter::once(batch));
    });
    store
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: text_index DIR [NEEDLE...]"));
    let needles: Vec<String> = args.map(|s| s.to_ascii_lowercase()).collect();
    let mut store = load(&dir);
    let started = Instant::now();
    let mut steps = 0;
    while !store.index_text(ROWS_PER_STEP) {
        steps += 1;
    }
    let built = started.elapsed();
    let index = store.text_index();
    println!(
        "{} events: index built in {:.0} ms ({} steps), {} bytes ({:.1} per event), {} entries",
        store.len(),
        built.as_secs_f64() * 1e3,
        steps + 1,
        index.heap_bytes(),
        index.heap_bytes() as f64 / store.len().max(1) as f64,
        index.entries()
    );
    for needle in &needles {
        let started = Instant::now();
        match index.lookup(needle.as_bytes(), store.len()) {
            Some(found) => println!(
                "{needle:?}: {} rows certain, {} to read, in {:.2} ms",
                found.hits.len(),
                found.read.len(),
                started.elapsed().as_secs_f64() * 1e3
            ),
            None => println!("{needle:?}: left to the records (short, or holds a separator)"),
        }
    }
}
