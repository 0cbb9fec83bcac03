//! Record blocks kept in a spill (the page keeps them outside its WebAssembly memory): the store
//! reads back exactly what it would hold itself, and a spill without room loses nothing.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::{BlockSpill, Store};

/// A spill in a `Vec`, with room for `room` blocks, that counts its reads.
struct VecSpill {
    blocks: Vec<Vec<u8>>,
    room: usize,
    reads: Arc<Mutex<usize>>,
}

impl VecSpill {
    fn boxed(room: usize, reads: &Arc<Mutex<usize>>) -> Box<Self> {
        Box::new(VecSpill {
            blocks: Vec::new(),
            room,
            reads: Arc::clone(reads),
        })
    }
}

impl BlockSpill for VecSpill {
    fn keep(&mut self, block: &[u8]) -> Option<u32> {
        if self.blocks.len() >= self.room {
            return None;
        }
        self.blocks.push(block.to_vec());
        u32::try_from(self.blocks.len() - 1).ok()
    }

    fn read(&self, index: u32, out: &mut Vec<u8>) -> bool {
        *self.reads.lock().unwrap() += 1;
        match self.blocks.get(index as usize) {
            Some(block) => {
                out.clear();
                out.extend_from_slice(block);
                true
            }
            None => false,
        }
    }
}

/// Three files of 2,000 events each, about 600 bytes a record: several 128 KiB blocks per file.
fn files() -> Vec<(String, Vec<u8>)> {
    (0..3)
        .map(|file| {
            let records: Vec<String> = (0..2000)
                .map(|i| {
                    let n = file * 2000 + i;
                    format!(
                        r#"{{"eventID":"e-{n}","eventTime":"2024-02-28T21:{:02}:{:02}Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","sourceIPAddress":"10.{}.{}.{}","requestParameters":{{"key":"logs/{n}/{}"}}}}"#,
                        (n / 60) % 60,
                        n % 60,
                        n % 7,
                        n % 251,
                        n % 13,
                        "k".repeat(400 + n % 97)
                    )
                })
                .collect();
            (
                format!("file-{file}.json"),
                format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes(),
            )
        })
        .collect()
}

/// `store` with every file of [`files`] loaded.
fn loaded(mut store: Store) -> Store {
    for (path, bytes) in files() {
        store.load(&path, |batch| {
            ingest_bytes(&bytes, Limits::default(), batch)
        });
    }
    store
}

/// An empty store that keeps `keep_here` bytes of blocks itself, the rest in `spill`.
fn store_spilling_to(spill: Box<VecSpill>, keep_here: usize) -> Store {
    let mut store = Store::new();
    store.spill_records_to(spill, keep_here);
    store
}

fn scanned(store: &Store, needle: &str) -> Vec<usize> {
    let mut rows = Vec::new();
    store.records().scan(|row, bytes| {
        if String::from_utf8_lossy(bytes).contains(needle) {
            rows.push(row);
        }
    });
    rows
}

fn assert_same_records(spilling: &Store, plain: &Store) {
    assert_eq!(spilling.len(), plain.len());
    for row in 0..plain.len() {
        assert_eq!(spilling.raw(row), plain.raw(row), "row {row}");
    }
    for needle in ["e-4321\"", "10.3.", "GetObject", "not in any record"] {
        assert_eq!(
            scanned(spilling, needle),
            scanned(plain, needle),
            "{needle}"
        );
    }
    let rows: Vec<usize> = (0..plain.len()).rev().step_by(13).collect();
    let mut both = [Vec::new(), Vec::new()];
    for (store, seen) in [spilling, plain].into_iter().zip(&mut both) {
        store
            .records()
            .with_records(&rows, |row, bytes| seen.push((row, bytes.to_vec())));
    }
    assert_eq!(both[0], both[1]);
    let export = |store: &Store| -> Vec<Vec<u8>> {
        store.export_batches(1000).map(|b| b.to_bytes()).collect()
    };
    assert_eq!(export(spilling), export(plain));
}

#[test]
fn records_past_the_size_kept_here_come_back_from_the_spill_unchanged() {
    let plain = loaded(Store::new());
    let plain_memory = plain.memory();
    assert_eq!(plain_memory.records_spilled_bytes, 0);

    let compressed = plain.records().heap_bytes() - plain.records().gram_bytes();
    for keep_here in [0, compressed / 2] {
        let reads = Arc::new(Mutex::new(0));
        let spilling = loaded(store_spilling_to(
            VecSpill::boxed(usize::MAX, &reads),
            keep_here,
        ));
        assert_same_records(&spilling, &plain);
        assert!(
            *reads.lock().unwrap() > 0,
            "the records were read from the spill"
        );

        let memory = spilling.memory();
        assert_eq!(memory.records_bytes, plain_memory.records_bytes);
        let spilled = usize::try_from(memory.records_spilled_bytes).unwrap();
        assert!(spilled > 0);
        assert_eq!(
            spilling.records().heap_bytes() + spilled,
            usize::try_from(memory.records_bytes).unwrap()
        );
        // The blocks past the size asked for are in the spill (blocks are whole).
        assert!(spilled + keep_here + 128 * 1024 >= compressed);
        assert!(spilled + keep_here <= compressed + 64 * 1024);
    }
}

#[test]
fn a_spill_without_room_leaves_the_blocks_here_and_loses_none() {
    let plain = loaded(Store::new());
    let reads = Arc::new(Mutex::new(0));
    let spilling = loaded(store_spilling_to(VecSpill::boxed(3, &reads), 0));
    assert_same_records(&spilling, &plain);
    let memory = spilling.memory();
    assert!(memory.records_spilled_bytes > 0);
    assert!(memory.records_spilled_bytes < memory.records_bytes / 2);
    assert_eq!(memory.records_bytes, plain.memory().records_bytes);
}

#[test]
fn the_size_kept_here_can_change_between_loads() {
    let plain = loaded(Store::new());
    let reads = Arc::new(Mutex::new(0));
    let mut spilling = store_spilling_to(VecSpill::boxed(usize::MAX, &reads), usize::MAX);
    let mut files = files().into_iter();
    let (path, bytes) = files.next().unwrap();
    spilling.load(&path, |batch| {
        ingest_bytes(&bytes, Limits::default(), batch)
    });
    assert_eq!(spilling.memory().records_spilled_bytes, 0);
    spilling.keep_records_here(0);
    for (path, bytes) in files {
        spilling.load(&path, |batch| {
            ingest_bytes(&bytes, Limits::default(), batch)
        });
    }
    let spilled = usize::try_from(spilling.memory().records_spilled_bytes).unwrap();
    let compressed = plain.records().heap_bytes() - plain.records().gram_bytes();
    assert!(spilled > compressed / 3);
    assert!(spilled < compressed);
    assert_same_records(&spilling, &plain);
}
