//! `trailscope inspect` end to end: files, folders, ZIP archives, broken input, exit codes.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

fn trailscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailscope"))
}

fn inspect_json(paths: &[&Path]) -> (i32, Value) {
    let out = trailscope()
        .arg("inspect")
        .arg("--json")
        .args(paths)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn event(id: u32, minute: u32) -> String {
    format!(
        r#"{{"eventID":"id-{id}","eventTime":"2024-02-28T21:{minute:02}:00Z","eventName":"CreateUser","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"123456789012"}}"#
    )
}

fn log(ids: std::ops::Range<u32>) -> Vec<u8> {
    let records: Vec<String> = ids.map(|i| event(i, i % 60)).collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn reports_every_file_and_unique_events() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "AWSLogs/1/CloudTrail/us-east-1/a.json.gz",
        &gz(&log(0..10)),
    );
    write(d, "AWSLogs/1/CloudTrail/us-east-1/b.json", &log(5..15));
    let truncated = gz(&log(100..200));
    write(d, "broken.json.gz", &truncated[..truncated.len() / 2]);
    write(d, ".DS_Store", b"\0\0\0\x01Bud1");
    let (code, r) = inspect_json(&[d]);
    assert_eq!(code, 1, "a failed file makes the exit code 1");
    assert_eq!(r["events"], 15);
    assert_eq!(r["duplicates"], 5);
    assert_eq!(r["first_event_time"], "2024-02-28T21:00:00Z");
    assert_eq!(r["last_event_time"], "2024-02-28T21:14:00Z");
    assert_eq!(r["skipped_system_files"], 1);
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let by_name = |suffix: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    assert_eq!(by_name("a.json.gz")["kind"], "cloudtrail_log");
    assert_eq!(by_name("a.json.gz")["events"], 10);
    assert_eq!(by_name("b.json")["duplicates"], 5);
    assert_eq!(by_name("a.json.gz")["error"], Value::Null);
    let broken = by_name("broken.json.gz");
    assert_eq!(broken["events"], 0);
    assert_eq!(
        broken["error"],
        "truncated gzip stream: input ends inside the compressed data of member 0"
    );
}

#[test]
fn exit_code_zero_when_everything_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.json", &log(0..3));
    let (code, r) = inspect_json(&[&file]);
    assert_eq!(code, 0);
    assert_eq!(r["events"], 3);
    assert_eq!(r["files"][0]["path"], file.display().to_string());
}

#[test]
fn opens_zip_archives_and_nested_ones() {
    let dir = tempfile::tempdir().unwrap();
    let inner = zip_of(&[("inner/c.json", &log(20..25))]);
    let outer = zip_of(&[
        ("a.json.gz", &gz(&log(0..4))),
        ("b.json", &log(10..12)),
        ("nested.zip", &inner),
        ("notes.txt", b"hello"),
    ]);
    let path = write(dir.path(), "export.zip", &outer);
    let (code, r) = inspect_json(&[&path]);
    // notes.txt is a helper file: listed as not CloudTrail, not a failure.
    assert_eq!(code, 0);
    assert_eq!(r["events"], 11);
    assert_eq!(r["failed_files"], 0);
    assert_eq!(r["not_cloudtrail_files"], 1);
    assert_eq!(r["files"][3]["not_cloudtrail"], true);
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let shown = path.display().to_string();
    assert_eq!(
        paths,
        [
            format!("{shown}/a.json.gz"),
            format!("{shown}/b.json"),
            format!("{shown}/nested.zip/inner/c.json"),
            format!("{shown}/notes.txt")
        ]
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    out.into_inner()
}

#[test]
fn usage_errors_exit_with_two() {
    let out = trailscope().arg("inspect").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = trailscope()
        .args(["inspect", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));
    let out = trailscope().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn text_output_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.json", &log(0..3));
    let out = trailscope().arg("inspect").arg(&file).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("3 events (0 duplicates merged) from 1 files (0 failed)"),
        "{text}"
    );
    assert!(
        text.contains("Time span: 2024-02-28T21:00:00Z to 2024-02-28T21:02:00Z"),
        "{text}"
    );
    assert!(text.contains("Accounts (1): 123456789012"), "{text}");
}

#[test]
fn conflicting_copies_of_an_event_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let genuine = r#"{"eventID":"c-1","eventTime":"2024-01-01T00:00:00Z","eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","sourceIPAddress":"10.0.0.1"}"#;
    let forged = genuine.replace("10.0.0.1", "203.0.113.7");
    std::fs::write(
        dir.path().join("a.json"),
        format!(r#"{{"Records":[{genuine}]}}"#),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.json"),
        format!(r#"{{"Records":[{forged}]}}"#),
    )
    .unwrap();
    let (code, json) = inspect_json(&[dir.path()]);
    assert_eq!(code, 0);
    assert_eq!(json["events"], 1);
    let conflicts = json["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["event_id"], "c-1");
    let copies = conflicts[0]["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 2);
    assert!(copies[0]["path"].as_str().unwrap().ends_with("a.json"));
    assert_eq!(copies[1]["differences"][0]["path"], "sourceIPAddress");
    assert_eq!(copies[1]["differences"][0]["this"], "\"203.0.113.7\"");
}

/// A FIFO, a link to a device and a link that loops fail alone, named; every other file is read
/// (a FIFO is never opened: reading it would block forever).
#[cfg(unix)]
#[test]
fn special_files_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        format!(r#"{{"Records":[{},{}]}}"#, event(1, 1), event(2, 2)),
    )
    .unwrap();
    let fifo = dir.path().join("pipe.json");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json.gz")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    let started = std::time::Instant::now();
    // The folder, and the FIFO and the device link given by name too.
    let (code, json) = inspect_json(&[dir.path(), &fifo, &dir.path().join("zero.json.gz")]);
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(code, 1);
    assert_eq!(json["events"], 2, "{json}");
    let files = json["files"].as_array().unwrap();
    let error_of = |suffix: &str| -> Vec<String> {
        files
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .map(|f| f["error"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for e in error_of("pipe.json") {
        assert!(e.contains("named pipe"), "{e}");
    }
    assert_eq!(error_of("pipe.json").len(), 2);
    for e in error_of("zero.json.gz") {
        assert!(e.contains("device"), "{e}");
    }
    assert!(
        error_of("loop")[0].contains("loops"),
        "{:?}",
        error_of("loop")
    );
    assert_eq!(error_of("good.json"), vec![String::new()]);
}
