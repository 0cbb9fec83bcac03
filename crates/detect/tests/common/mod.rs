//! Test helpers: stores built from records written as JSON.
#![allow(dead_code)]

use serde_json::{json, Value};
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::Store;

/// A store holding `records` (each gets an `eventID` and `eventTime` unless it has one).
pub fn store_of(records: &[Value]) -> Store {
    let records: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            if let Value::Object(map) = &mut r {
                map.entry("eventID").or_insert(json!(format!("id-{i}")));
                map.entry("eventTime")
                    .or_insert(json!("2024-02-28T12:00:00Z"));
                map.entry("eventVersion").or_insert(json!("1.09"));
            }
            r
        })
        .collect();
    let text = json!({ "Records": records }).to_string();
    let mut store = Store::new();
    store.load("test.json", |b| {
        ingest_bytes(text.as_bytes(), Limits::default(), b)
    });
    assert_eq!(store.len(), records.len(), "all records stored");
    store
}

/// An IAM user's API call.
pub fn call(source: &str, name: &str) -> Value {
    json!({
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.30",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "accountId": "123456789012", "userName": "alice"},
        "eventType": "AwsApiCall",
        "readOnly": false,
        "managementEvent": true,
        "recipientAccountId": "123456789012"
    })
}

/// `base` with `key` (a dot path) set to `value`.
pub fn with(mut base: Value, path: &str, value: Value) -> Value {
    let mut at = &mut base;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = json!({});
        }
        let Value::Object(map) = at else {
            unreachable!()
        };
        if i + 1 == parts.len() {
            map.insert((*part).to_string(), value);
            return base;
        }
        at = map.entry((*part).to_string()).or_insert(json!({}));
    }
    base
}

/// `base` without the top-level or nested `path`.
pub fn without(mut base: Value, path: &str) -> Value {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (Some(p), k),
        None => (None, path),
    };
    let mut at = &mut base;
    if let Some(parent) = parent {
        for part in parent.split('.') {
            match at.get_mut(part) {
                Some(next) => at = next,
                None => return base,
            }
        }
    }
    if let Value::Object(map) = at {
        map.remove(key);
    }
    base
}

/// A console sign-in event.
pub fn console_login(identity_type: &str, mfa: &str, result: &str) -> Value {
    let mut e = json!({
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "eventType": "AwsConsoleSignIn",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.9",
        "userIdentity": {"type": identity_type, "arn": "arn:aws:iam::123456789012:user/bob", "accountId": "123456789012"},
        "additionalEventData": {"MFAUsed": mfa, "LoginTo": "https://console.aws.amazon.com/"},
        "responseElements": {"ConsoleLogin": result},
        "readOnly": false,
        "managementEvent": true
    });
    if result == "Failure" {
        e = with(e, "errorMessage", json!("Failed authentication"));
    }
    e
}
