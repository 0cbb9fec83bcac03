//! Components rendered in a real browser: what the user sees for a given state.
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::components::{FileList, Summary};
use crate::state::{AppState, LoadSummary};
use leptos::prelude::*;
use trailscope_protocol::{FileRow, FileStatus, TotalsView};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn row(index: u32, path: &str, status: FileStatus, events: u64) -> FileRow {
    FileRow {
        index,
        path: path.into(),
        kind: "cloudtrail_log".into(),
        kind_label: "CloudTrail log file".into(),
        events,
        duplicates: 0,
        status,
        error: (status == FileStatus::Failed).then(|| "truncated gzip stream".to_string()),
        notes: vec![],
        stored_bytes: 100,
    }
}

fn texts(root: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn file_list_shows_failed_files_first() {
    let root = container();
    let state = AppState::new();
    state.files.set(vec![
        row(0, "a.json.gz", FileStatus::Loaded, 10),
        row(1, "b.json.gz", FileStatus::Failed, 0),
        row(2, "c.json.gz", FileStatus::Warning, 5),
    ]);
    let _handle = leptos::mount::mount_to(
        root.clone(),
        move || view! { <FileList files=state.files /> },
    );
    leptos::task::tick().await;
    assert_eq!(
        texts(&root, "[data-testid=file-path]"),
        ["b.json.gz", "a.json.gz", "c.json.gz"]
    );
    let statuses: Vec<String> = {
        let list = root.query_selector_all("[data-testid=file-row]").unwrap();
        (0..list.length())
            .map(|i| {
                list.item(i)
                    .unwrap()
                    .unchecked_into::<web_sys::Element>()
                    .get_attribute("data-status")
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(statuses, ["failed", "loaded", "warning"]);
    assert!(texts(&root, "[data-testid=file-status]")[0].contains("truncated gzip stream"));
}

#[wasm_bindgen_test]
async fn summary_shows_the_totals() {
    let root = container();
    let state = AppState::new();
    state.totals.set(Some(TotalsView {
        events: 1_234_567,
        duplicates: 12,
        first_event_time: Some("2024-02-29T00:00:00Z".into()),
        last_event_time: Some("2024-03-02T21:23:48Z".into()),
        accounts: vec!["111122223333".into(), "123456789012".into()],
        regions: vec!["us-east-1".into()],
        files: 10,
        failed_files: 1,
        ..TotalsView::default()
    }));
    state.last_load.set(Some(LoadSummary {
        cancelled: false,
        not_read: vec![],
        elapsed_millis: 1500.0,
        restored: false,
        tab_full: None,
        stages: Default::default(),
    }));
    let _handle = leptos::mount::mount_to(
        root.clone(),
        move || view! { <Summary totals=state.totals /> },
    );
    leptos::task::tick().await;
    assert_eq!(texts(&root, "[data-testid=event-count]"), ["1,234,567"]);
    assert_eq!(texts(&root, "[data-testid=duplicate-count]"), ["12"]);
    assert_eq!(
        texts(&root, "[data-testid=time-span]"),
        ["2024-02-29 00:00:00 – 2024-03-02 21:23:48"]
    );
    assert_eq!(texts(&root, "[data-testid=account-count]"), ["2 accounts"]);
    assert_eq!(texts(&root, "[data-testid=failed-count]"), [" · 1 failed"]);
    // One of a kind is written in the singular.
    state.totals.set(Some(TotalsView {
        events: 1,
        duplicates: 1,
        files: 1,
        accounts: vec!["111122223333".into()],
        regions: vec!["us-east-1".into()],
        ..TotalsView::default()
    }));
    leptos::task::tick().await;
    let labels = texts(&root, ".stat .label").join(" | ");
    assert!(
        labels.starts_with("event | duplicate merged | file"),
        "{labels}"
    );
    assert!(
        labels.contains("1 account") && labels.contains("1 region"),
        "{labels}"
    );
    // A verify-only load (no events read, log files hashed) says so instead of zeros.
    state.totals.set(Some(TotalsView {
        files: 7,
        hashed_only_files: 5,
        integrity: trailscope_protocol::IntegrityInputs {
            digests: 2,
            ..Default::default()
        },
        ..TotalsView::default()
    }));
    leptos::task::tick().await;
    assert_eq!(
        texts(&root, "[data-testid=event-count]"),
        Vec::<String>::new()
    );
    assert_eq!(
        texts(&root, "[data-testid=verify-only-summary]"),
        ["Verify-only load: 5 log files hashed and 2 digests read for verification; their events were not loaded. See the Integrity tab for the verdict, or load the files again without \"Verify only\" to read their events."]
    );
}

#[wasm_bindgen_test]
async fn webcrypto_and_sha2_agree() {
    use sha2::Digest;
    for len in [0usize, 1, 55, 56, 64, 1000, 3 << 20] {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let fast = crate::worker::fast_hash::sha256_hex(&bytes)
            .await
            .expect("WebCrypto is available in the test page");
        assert_eq!(
            fast,
            trailscope_model::hex_lower(&sha2::Sha256::digest(&bytes)),
            "{len} bytes"
        );
    }
}
