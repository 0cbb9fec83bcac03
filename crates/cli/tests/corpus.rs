//! The public datasets in `../shared/datasets`, when present: every CloudTrail file reads, with the
//! counts and kinds stated here, and every file that is not CloudTrail is listed as such, with
//! what it is, and not as a failure.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn datasets() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("../shared/datasets is absent; corpus test skipped");
        None
    }
}

fn inspect(dir: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["inspect", "--json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What each dataset must read as: (folder, unique events, duplicates merged, events without a
/// time, [(kind, files read)], files that are not CloudTrail).
#[allow(clippy::type_complexity)]
const EXPECTED: &[(&str, u64, u64, u64, &[(&str, usize)], &[&str])] = &[
    // Real S3 log files of one account and region.
    (
        "invictus-sigma-aws",
        2900,
        0,
        0,
        &[("cloudtrail_log", 55)],
        &["SOURCE.md"],
    ),
    // Bare JSON arrays; anonymised regions are kept as written.
    (
        "stratus-red-team",
        310,
        0,
        0,
        &[("json_array", 35)],
        &["SOURCE.md"],
    ),
    // Logstash NDJSON without eventTime (@timestamp is used), inside and outside its ZIP; the
    // derived alert CSV names CloudTrail columns and reads as events; the YAML metadata does not.
    (
        "otrf-security-datasets",
        // The honeybucket CSV has 301 distinct rows (Python's csv module agrees); 405 and 403
        // were a CSV row cut across read chunks losing its fields (found by fuzzing).
        404,
        404,
        0,
        &[("ndjson", 2), ("event_history_csv", 2)],
        &[
            "SDAWS-200914011940.yaml",
            "SDAWS-2202181000.yaml",
            "SOURCE.md",
        ],
    ),
    // Rule-test fixtures: reused eventIDs of identical events merge, 2 records with lowercase keys
    // are skipped and reported, 19 have no usable time.
    (
        "panther-analysis",
        342,
        151,
        19,
        &[("ndjson", 1)],
        &["SOURCE.md", "panther_cloudtrail_test_events.index.tsv"],
    ),
    // Documentation examples (two Insights events) and lookup-events lines with local times.
    (
        "plaso",
        15,
        0,
        0,
        &[("cloudtrail_log", 1), ("lookup_events", 1)],
        &["SOURCE.md"],
    ),
    // Test wrappers around S3 logs, EventBridge and CloudWatch Logs payloads.
    (
        "streamalert",
        49,
        8,
        11,
        &[
            ("json_array", 7),
            ("eventbridge", 7),
            ("cloudwatch_logs", 1),
        ],
        &["SOURCE.md"],
    ),
];

#[test]
fn every_dataset_reads_as_stated() {
    let Some(root) = datasets() else { return };
    for (name, events, duplicates, without_time, kinds, failing) in EXPECTED {
        let r = inspect(&root.join(name));
        assert_eq!(r["events"], *events, "{name} events");
        assert_eq!(r["duplicates"], *duplicates, "{name} duplicates");
        assert_eq!(
            r["events_without_time"], *without_time,
            "{name} events without time"
        );
        let files = r["files"].as_array().unwrap();
        for (kind, count) in *kinds {
            let n = files
                .iter()
                .filter(|f| f["kind"] == *kind && f["error"].is_null())
                .count();
            assert_eq!(n, *count, "{name}: files of kind {kind}");
        }
        let mut failed: Vec<String> = files
            .iter()
            .filter(|f| !f["error"].is_null())
            .map(|f| {
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        failed.sort();
        assert_eq!(failed, *failing, "{name}: files not read");
        for f in files.iter().filter(|f| !f["error"].is_null()) {
            let error = f["error"].as_str().unwrap();
            assert!(
                error.starts_with("text that is neither JSON nor a CloudTrail CSV"),
                "{name}: {error}"
            );
            assert_eq!(f["not_cloudtrail"], true, "{name}: {}", f["path"]);
        }
        assert_eq!(
            r["failed_files"], 0,
            "{name}: helper files are not failures"
        );
        assert_eq!(r["not_cloudtrail_files"], failing.len(), "{name}");
    }
}

#[test]
fn panther_lowercase_records_are_reported_not_dropped() {
    let Some(root) = datasets() else { return };
    let r = inspect(&root.join("panther-analysis"));
    let file = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "ndjson")
        .unwrap();
    assert_eq!(file["skipped_records"], 2);
    let notes = file["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("not a CloudTrail event (an object with keys awsregion")),
        "{notes:?}"
    );
}
