//! The store worker's record spill in a real browser: blocks kept in JS `Uint8Array`s outside
//! WebAssembly memory come back byte for byte, and a dropped store lets them go.
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use trailscope_model::{ingest_bytes, Limits};
use trailscope_record_spill::JsBlockSpill;
use trailscope_store::{BlockSpill, Store};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn blocks_come_back_byte_for_byte() {
    let mut spill = JsBlockSpill::new();
    let blocks: Vec<Vec<u8>> = (0..5u8)
        .map(|i| {
            (0..(1000 + usize::from(i) * 777))
                .map(|b| (b as u8) ^ i)
                .collect()
        })
        .collect();
    for (i, block) in blocks.iter().enumerate() {
        assert_eq!(spill.keep(block), Some(i as u32));
    }
    assert_eq!(spill.len(), 5);
    let mut out = vec![9; 3];
    for (i, block) in blocks.iter().enumerate().rev() {
        assert!(spill.read(i as u32, &mut out));
        assert_eq!(&out, block);
    }
    assert!(!spill.read(5, &mut out));
}

#[wasm_bindgen_test]
fn a_store_keeps_its_records_outside_and_frees_them_when_dropped() {
    let records: Vec<String> = (0..3000)
        .map(|n| {
            format!(
                r#"{{"eventID":"e-{n}","eventTime":"2024-02-28T21:{:02}:{:02}Z","eventName":"GetObject","requestParameters":{{"key":"{n}/{}"}}}}"#,
                (n / 60) % 60,
                n % 60,
                "k".repeat(300 + n % 89)
            )
        })
        .collect();
    let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let mut plain = Store::new();
    plain.load("a.json", |batch| {
        ingest_bytes(log.as_bytes(), Limits::default(), batch)
    });

    let before = JsBlockSpill::blocks_alive();
    let mut store = Store::new();
    store.spill_records_to(Box::new(JsBlockSpill::new()), 0);
    store.load("a.json", |batch| {
        ingest_bytes(log.as_bytes(), Limits::default(), batch)
    });
    assert!(JsBlockSpill::blocks_alive() > before);
    assert!(store.memory().records_spilled_bytes > 0);
    for row in (0..plain.len()).step_by(7) {
        assert_eq!(store.raw(row), plain.raw(row));
    }
    drop(store);
    assert_eq!(JsBlockSpill::blocks_alive(), before);
}
