//! The `trailscope-gen` binary as the end-to-end tests and the README's commands run it. This
//! test also makes `cargo test` link the binary (`CARGO_BIN_EXE_...`), which CI's end-to-end
//! step then runs instead of building it again (scripts/test.sh).
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;

fn generator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailscope-gen"))
}

/// Every `Records` entry of every gzip log file below `dir` (digests are not log files).
fn records_below(dir: &Path) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "gz")
            && !path.to_string_lossy().contains("CloudTrail-Digest")
        {
            let mut json = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
                .read_to_string(&mut json)
                .unwrap();
            let log: serde_json::Value = serde_json::from_str(&json).unwrap();
            records.extend(log["Records"].as_array().unwrap().iter().cloned());
        }
    }
    records
}

#[test]
fn a_trail_holds_the_events_asked_for_each_once() {
    let out = tempfile::tempdir().unwrap();
    let status = generator()
        .args(["trail", "--events", "700"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    assert!(String::from_utf8_lossy(&status.stdout).starts_with("700 events in "));
    let records = records_below(out.path());
    assert_eq!(records.len(), 700);
    let ids: HashSet<&str> = records
        .iter()
        .map(|r| r["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 700);
}

#[test]
fn a_signed_trail_comes_with_its_keys_and_signatures() {
    let out = tempfile::tempdir().unwrap();
    let status = generator()
        .args([
            "signed-trail",
            "--hours",
            "2",
            "--logs-per-hour",
            "2",
            "--events-per-log",
            "5",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    for file in ["public-keys.json", "signatures.json"] {
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }
    assert_eq!(records_below(out.path()).len(), 2 * 2 * 5);
}

#[test]
fn a_usage_error_exits_2_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("never");
    let status = generator()
        .args(["trail", "--events", "many"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&status.stderr).contains("--events"));
    assert!(!target.exists());
}
