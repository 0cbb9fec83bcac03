//! Where a workspace restore's time goes, natively: loads the CloudTrail files of a folder as
//! the page does (messages of at most 50,000 events, as the parser workers send, merged in
//! order) and writes the journal a page keeping its workspace would write, then restores it and
//! times each part.
//!
//!   cargo run --release -p trailscope-protocol --example restore_steps -- DIR [JOURNAL]
//!
//! With JOURNAL, the journal is written there once and later runs only restore it (for a
//! profiler: `perf record` then sees the restore alone).
// A measuring tool: a failure ends it with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use trailscope_protocol::merge::Merger;
use trailscope_protocol::workspace::{self, LoadEnd};
use trailscope_store::Store;

mod common;

fn write_journal(dir: &Path) -> Vec<u8> {
    let mut journal = workspace::journal_start();
    let mut store = Store::new();
    let mut merger: Merger<()> = Merger::default();
    common::parse_in_messages(dir, |files, batch| {
        journal.extend(workspace::parsed_frame(&files, None, 1));
        let bytes = batch.to_bytes();
        journal.extend(workspace::batch_frame_header(bytes.len()).expect("a batch that fits"));
        journal.extend(bytes);
        merger.merge(&mut store, files, None, std::iter::once(batch));
    });
    let at = journal.len() as u64;
    let done = workspace::commit(&LoadEnd::of(&store, 0.0), at, 0);
    journal.extend_from_slice(&done.frame);
    journal[..done.header.len()].copy_from_slice(&done.header);
    journal
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: restore_steps DIR [JOURNAL]"));
    let journal = match args.next().map(PathBuf::from) {
        Some(kept) if kept.exists() => std::fs::read(kept).expect("a readable journal"),
        kept => {
            let started = Instant::now();
            let journal = write_journal(&dir);
            eprintln!(
                "journal: {} bytes, written in {:.0} ms",
                journal.len(),
                started.elapsed().as_secs_f64() * 1e3
            );
            if let Some(kept) = kept {
                std::fs::write(kept, &journal).expect("a writable journal");
            }
            journal
        }
    };
    for run in 0..3 {
        let started = Instant::now();
        let (mut store, restored) =
            workspace::restore_into(&mut journal.as_slice(), Store::new()).expect("a restore");
        let merged = started.elapsed();
        store.time_order();
        let sorted = started.elapsed() - merged;
        println!(
            "run {run}: {} events from {} messages: merge {:.0} ms, time order {:.0} ms",
            store.len(),
            restored.messages,
            merged.as_secs_f64() * 1e3,
            sorted.as_secs_f64() * 1e3
        );
    }
}
