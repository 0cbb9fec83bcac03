//! The store in a real browser (wasm32, headless Chromium).
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::{Store, TimeOrder};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn loads_dedupes_and_pages_in_the_browser() {
    let records: Vec<String> = (0..3000)
        .map(|i| format!(r#"{{"eventID":"id-{i}","eventName":"E{}","eventTime":"2024-02-29T{:02}:{:02}:00Z","awsRegion":"r{}","recipientAccountId":"{}"}}"#, i % 7, i / 60 % 24, i % 60, i % 3, 100 + i % 2))
        .collect();
    let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let mut store = Store::new();
    for path in ["a.json", "b.json"] {
        store.load(path, |batch| {
            ingest_bytes(log.as_bytes(), Limits::default(), batch)
        });
    }
    let totals = store.totals();
    assert_eq!((totals.events, totals.duplicates), (3000, 3000));
    assert_eq!(totals.regions, ["r0", "r1", "r2"]);
    let page = store.page(0, 10, TimeOrder::NewestFirst);
    assert_eq!(page.len(), 10);
    assert!(page.windows(2).all(|w| w[0].time >= w[1].time));
    let raw = store.raw(page[0].row as usize).unwrap();
    assert!(raw.contains(page[0].event_id.as_deref().unwrap()));
}

#[wasm_bindgen_test]
fn the_free_text_index_answers_in_the_browser() {
    // The index's hash and word tricks on wasm32: every row's own address found from the
    // entries alone, a frequent word listed, a rare one left to its chunk.
    let records: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"eventID":"id-{i}","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"192.0.{}.{}","note":"Rare-{i}"}}"#, i / 250, i % 250))
        .collect();
    let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let mut store = Store::new();
    store.load("a.json", |batch| {
        ingest_bytes(log.as_bytes(), Limits::default(), batch)
    });
    while !store.index_text(300) {}
    let index = store.text_index();
    for i in [0u32, 1, 249, 250, 999] {
        let address = format!("192.0.{}.{}", i / 250, i % 250);
        let found = index.lookup(address.as_bytes(), 1000).unwrap();
        assert!(found.read.is_empty(), "{address}");
        assert!(found.hits.contains(i as usize), "{address}");
    }
    let frequent = index.lookup(b"accessdenied", 1000).unwrap();
    assert_eq!(frequent.hits.len(), 1000 - 7);
    let rare = index.lookup(b"rare-777", 1000).unwrap();
    assert!(rare.hits.is_empty() && rare.read.contains(777));
}
