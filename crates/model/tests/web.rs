//! The parsers in a real browser (wasm32, headless Chromium): catches differences that only the
//! web target has (usize width, SIMD paths, no clock).
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use trailscope_model::{ingest_bytes, Event, EventSink, FileKind, IngestError, Limits};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

struct Names(Vec<String>);
impl EventSink for Names {
    type Error = std::convert::Infallible;
    fn accept(&mut self, e: &Event<'_>) -> Result<(), Self::Error> {
        self.0
            .push(e.record.event_name.as_str().unwrap_or("").to_string());
        Ok(())
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[wasm_bindgen_test]
fn parses_a_gzip_log_file_in_the_browser() {
    let records: Vec<String> = (0..500)
        .map(|i| format!(r#"{{"eventID":"{i}","eventName":"E{i}","eventTime":"2024-02-29T00:00:{:02}Z","userAgent":"a\/b"}}"#, i % 60))
        .collect();
    let log = gz(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes());
    let mut names = Names(Vec::new());
    let outcome = ingest_bytes(&log, Limits::default(), &mut names);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.kind, FileKind::CloudTrailLog);
    assert_eq!(names.0.len(), 500);
    assert_eq!(names.0[499], "E499");
}

#[wasm_bindgen_test]
fn reports_broken_input_in_the_browser() {
    let log = gz(br#"{"Records":[{"eventName":"x"}]}"#);
    let mut names = Names(Vec::new());
    let outcome = ingest_bytes(&log[..log.len() - 10], Limits::default(), &mut names);
    assert!(
        matches!(outcome.error, Some(IngestError::Gzip(_))),
        "{outcome:?}"
    );
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let outcome = ingest_bytes(deep.as_bytes(), Limits::default(), &mut names);
    assert!(
        matches!(outcome.error, Some(IngestError::Json(_))),
        "{outcome:?}"
    );
}
