//! Every message of every channel survives the trip the workers give it: to a JS value and back
//! with serde-wasm-bindgen, as `postMessage` carries them (the JSON path is tested natively in
//! `trailscope_protocol::samples`).
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::de::DeserializeOwned;
use serde::Serialize;
use trailscope_protocol::samples::{
    request_kind, response_kind, samples, sql_reply_kind, sql_request_kind, REQUEST_KINDS,
    RESPONSE_KINDS, SQL_REPLY_KINDS, SQL_REQUEST_KINDS,
};
use wasm_bindgen_test::*;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let js = serde_wasm_bindgen::to_value(value).expect("to a JS value");
    let back: T = serde_wasm_bindgen::from_value(js).expect("from a JS value");
    assert_eq!(&back, value);
}

#[wasm_bindgen_test]
fn every_message_round_trips_through_js_values() {
    let s = samples();
    assert_eq!(
        s.requests.iter().map(request_kind).collect::<Vec<_>>(),
        REQUEST_KINDS
    );
    assert_eq!(
        s.responses.iter().map(response_kind).collect::<Vec<_>>(),
        RESPONSE_KINDS
    );
    s.requests.iter().for_each(round_trip);
    s.responses.iter().for_each(round_trip);
    s.roles.iter().for_each(round_trip);
    s.parse_requests.iter().for_each(round_trip);
    s.parse_events.iter().for_each(round_trip);
    s.parsed.iter().for_each(round_trip);
    assert_eq!(
        s.sql_requests
            .iter()
            .map(sql_request_kind)
            .collect::<Vec<_>>(),
        SQL_REQUEST_KINDS
    );
    assert_eq!(
        s.sql_replies.iter().map(sql_reply_kind).collect::<Vec<_>>(),
        SQL_REPLY_KINDS
    );
    s.sql_requests.iter().for_each(round_trip);
    s.sql_replies.iter().for_each(round_trip);
}
