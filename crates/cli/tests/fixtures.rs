//! The generated fixture set (the same one the browser tests drop on the page) reads exactly as its
//! manifest says, through the CLI.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use serde_json::Value;

#[test]
fn fixtures_read_as_their_manifest_says() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = trailscope_testgen::write_fixtures(dir.path()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["inspect", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "broken fixtures make the exit code 1"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], manifest.unique_events);
    assert_eq!(report["duplicates"], manifest.duplicates);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), manifest.files.len());
    for expected in &manifest.files {
        let path = dir.path().join(&expected.path).display().to_string();
        let got = files
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} not reported"));
        assert_eq!(got["kind"], expected.kind, "{path}");
        assert_eq!(got["events"], expected.events, "{path}");
        match expected.status {
            "failed" => {
                let error = got["error"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{path} should fail"));
                assert!(error.contains(expected.error_contains), "{path}: {error}");
            }
            "not_cloudtrail" => {
                assert_eq!(got["not_cloudtrail"], true, "{path}");
                let reason = got["error"].as_str().unwrap_or_default();
                assert!(reason.contains(expected.error_contains), "{path}: {reason}");
            }
            "warning" => {
                assert!(got["error"].is_null(), "{path}");
                assert!(got["skipped_records"].as_u64().unwrap() > 0, "{path}");
            }
            _ => {
                assert!(got["error"].is_null(), "{path}: {}", got["error"]);
                assert_eq!(got["skipped_records"], 0, "{path}");
            }
        }
    }
}
