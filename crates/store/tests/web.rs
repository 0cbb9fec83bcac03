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
