//! Trails larger than memory: `export` reads its input a part at a time and writes what one
//! store would have written; the commands that hold every event stop with a message (exit 3)
//! at the memory limit instead of being killed by the system.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn trailscope(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn record(id: &str, minute: u32, region: &str, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventID":"{id}","eventTime":"2024-02-{:02}T10:{:02}:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"{region}","sourceIPAddress":"{ip}","userIdentity":{{"type":"IAMUser","userName":"u{}"}}}}"#,
        28 + minute % 2,
        minute % 60,
        minute % 3
    )
}

/// Six log files of eight events in two regions and two days; each file repeats two events of
/// the file before it, and the last file holds a copy of the first file's first event that
/// differs from it (another source address), as a conflicting delivery would.
fn trail(dir: &Path) -> PathBuf {
    let root = dir.join("trail");
    std::fs::create_dir_all(&root).unwrap();
    for file in 0..6u32 {
        let mut records: Vec<String> = (0..8u32)
            .map(|i| {
                let n = file * 8 + i;
                let region = if n % 2 == 0 { "eu-west-1" } else { "us-east-1" };
                record(&format!("e-{n}"), n, region, "192.0.2.1")
            })
            .collect();
        if file > 0 {
            for i in 6..8u32 {
                let n = (file - 1) * 8 + i;
                let region = if n % 2 == 0 { "eu-west-1" } else { "us-east-1" };
                records.push(record(&format!("e-{n}"), n, region, "192.0.2.1"));
            }
        }
        if file == 5 {
            records.push(record("e-0", 0, "eu-west-1", "203.0.113.66"));
        }
        std::fs::write(
            root.join(format!("f{file}.json")),
            format!(r#"{{"Records":[{}]}}"#, records.join(",")),
        )
        .unwrap();
    }
    root
}

fn export(trail: &Path, out: &Path, extra: &[&str]) -> Value {
    let manifest = out.with_extension("manifest.json");
    let mut args = vec!["export", "--out", out.to_str().unwrap()];
    args.extend(["--manifest", manifest.to_str().unwrap()]);
    args.extend(extra);
    let run = trailscope(&args, &[trail]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap()
}

fn rows_of(parquet: &Path) -> String {
    stdout_of(
        &[
            "sql",
            "--format",
            "csv",
            "-q",
            "SELECT eventID, eventTime, awsRegion, sourceIPAddress, userIdentity.userName FROM events ORDER BY eventID",
        ],
        parquet,
    )
}

#[test]
fn an_export_read_a_part_at_a_time_writes_what_one_store_would() {
    let dir = tempfile::tempdir().unwrap();
    let trail = trail(dir.path());
    let whole = dir.path().join("whole");
    let parts = dir.path().join("parts");
    let whole_manifest = export(&trail, &whole, &[]);
    // Parts of 5 events end after each file: every copy across files meets an earlier part.
    let parts_manifest = export(&trail, &parts, &["--part-events", "5"]);
    let expected = rows_of(&whole);
    assert_eq!(expected.lines().count(), 1 + 48, "{expected}");
    assert!(
        !expected.contains("203.0.113.66"),
        "the first copy of e-0 is the one kept"
    );
    assert_eq!(rows_of(&parts), expected);
    for key in ["events", "sources", "files_loaded", "integrity"] {
        assert_eq!(parts_manifest[key], whole_manifest[key], "{key}");
    }
    assert_eq!(parts_manifest["events"], 48);
    // Each part wrote its own file into the partitions it had events for.
    let outputs: Vec<&str> = parts_manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        outputs.contains(&"region=eu-west-1/date=2024-02-28/part-00000.parquet")
            && outputs.contains(&"region=eu-west-1/date=2024-02-28/part-00005.parquet"),
        "{outputs:?}"
    );
    // One file, written across parts, holds the same rows.
    let single = dir.path().join("single.parquet");
    export(
        &trail,
        &single,
        &[
            "--single-file",
            "--part-events",
            "5",
            "--filter",
            "region:eu-west-1",
        ],
    );
    let eu: Vec<&str> = expected
        .lines()
        .filter(|l| l.starts_with("eventID") || l.contains("eu-west-1"))
        .collect();
    assert_eq!(rows_of(&single).lines().collect::<Vec<_>>(), eu);
}

/// A trail of one large file and a small one: the check after the large file finds the limit
/// passed.
fn large_trail(dir: &Path) -> PathBuf {
    let root = dir.join("large");
    std::fs::create_dir_all(&root).unwrap();
    let records: Vec<String> = (0..24_000u32)
        .map(|n| record(&format!("big-{n}"), n, "eu-west-1", "192.0.2.7"))
        .collect();
    std::fs::write(
        root.join("a.json"),
        format!(r#"{{"Records":[{}]}}"#, records.join(",")),
    )
    .unwrap();
    std::fs::write(
        root.join("b.json"),
        format!(
            r#"{{"Records":[{}]}}"#,
            record("small", 1, "eu-west-1", "192.0.2.8")
        ),
    )
    .unwrap();
    root
}

#[test]
fn past_the_memory_limit_a_command_stops_with_a_way_forward_and_prints_no_partial_answer() {
    let dir = tempfile::tempdir().unwrap();
    let trail = large_trail(dir.path());
    for command in [
        &["inspect"][..],
        &["query", "--format", "ndjson"],
        &["detect"],
        &["sql", "-q", "SELECT count(*) FROM events"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--memory-limit", "1"]);
        let run = trailscope(&args, &[&trail]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(3), "{command:?}: {stderr}");
        assert!(
            run.stdout.is_empty(),
            "{command:?} printed a partial answer"
        );
        assert!(
            stderr.contains("stopped after reading 1 of 2 files (24000 events in memory)")
                && stderr.contains("past 1 MiB (the limit given with --memory-limit)")
                && stderr.contains("printed nothing")
                && stderr.contains("trailscope export --format parquet"),
            "{command:?}: {stderr}"
        );
        assert!(!stderr.contains("  "), "{command:?}: a gap in {stderr}");
    }
    // The export says its folder is incomplete.
    let out = dir.path().join("out");
    let run = trailscope(
        &[
            "export",
            "--memory-limit",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
        &[&trail],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("incomplete, do not use it")
            && stderr.contains("holds one part of the trail at a time (1000000 events here)")
            && stderr.contains("give a smaller --part-events"),
        "{stderr}"
    );
    // With room, the same trail loads.
    let run = trailscope(
        &["inspect", "--json", "--memory-limit", "100000"],
        &[&trail],
    );
    assert_eq!(run.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["events"], 24_001);
}

/// Thirty log files of 400 events with long, varied object keys: about 40 blocks of
/// compressed records, so a spill of them is exercised block by block.
fn wide_trail(dir: &Path) -> PathBuf {
    let root = dir.join("wide");
    std::fs::create_dir_all(&root).unwrap();
    for file in 0..30u32 {
        let records: Vec<String> = (0..400u32)
            .map(|i| {
                let n = file * 400 + i;
                format!(
                    r#"{{"eventVersion":"1.08","eventID":"w-{n}","eventTime":"2024-03-0{}T{:02}:{:02}:00Z","eventName":"{}","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.{}","userIdentity":{{"type":"IAMUser","userName":"u{}"}},"requestParameters":{{"bucketName":"b{}","key":"data/{n:x}/{}.parquet"}}{}}}"#,
                    1 + n % 7,
                    n % 24,
                    n % 60,
                    if n % 97 == 0 { "DeleteObject" } else { "GetObject" },
                    n % 200,
                    n % 13,
                    n % 5,
                    format!("{:x}", u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15)).repeat(4),
                    if n % 50 == 0 { r#","errorCode":"AccessDenied""# } else { "" },
                )
            })
            .collect();
        std::fs::write(
            root.join(format!("w{file}.json")),
            format!(r#"{{"Records":[{}]}}"#, records.join(",")),
        )
        .unwrap();
    }
    root
}

/// What `trailscope ARGS PATH` prints; it must succeed.
fn stdout_of(args: &[&str], path: &Path) -> String {
    let run = trailscope(args, &[path]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

#[test]
fn records_kept_in_a_temporary_file_answer_as_records_kept_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let trail = wide_trail(dir.path());
    let questions: [&[&str]; 5] = [
        // Every original record, read back.
        &["query", "--format", "ndjson"],
        // Free text reads the records; an address, a word and a piece of a key.
        &["query", "--format", "csv", "--filter", "198.51.100.7"],
        &["query", "--format", "csv", "--filter", "AccessDenied"],
        &["query", "--format", "json", "--filter", "DeleteObject 3e"],
        // eventJson is the original record, read back for each row.
        &[
            "sql",
            "--format",
            "csv",
            "-q",
            "SELECT eventID, element_at(requestParameters, 'key'), \
             json_extract_scalar(eventJson, '$.sourceIPAddress') FROM $EDS_ID \
             WHERE errorCode = 'AccessDenied' ORDER BY eventID",
        ],
    ];
    for question in questions {
        let in_memory = stdout_of(question, &trail);
        let mut spilled_args = question.to_vec();
        spilled_args.extend(["--records-in-memory", "0"]);
        let spilled = stdout_of(&spilled_args, &trail);
        assert!(
            in_memory.matches("w-").count() > 1,
            "{question:?} found events: {in_memory}"
        );
        assert_eq!(spilled, in_memory, "{question:?}");
    }
    assert_eq!(
        stdout_of(&["query", "--format", "ndjson"], &trail)
            .lines()
            .count(),
        12_000
    );
    let detect = |extra: &[&str]| {
        let mut args = vec!["detect", "--json"];
        args.extend(extra);
        let report: Value = serde_json::from_str(&stdout_of(&args, &trail)).unwrap();
        report
    };
    assert_eq!(detect(&["--records-in-memory", "0"]), detect(&[]));
    // The records really went to the file, and by default (256 MiB) none of this trail's do.
    let memory = |extra: &[&str]| {
        let mut args = vec!["inspect", "--json"];
        args.extend(extra);
        let report: Value = serde_json::from_str(&stdout_of(&args, &trail)).unwrap();
        report["memory"].clone()
    };
    let spilled = memory(&["--records-in-memory", "0"]);
    assert!(
        spilled["records_bytes"].as_u64().unwrap() > 100_000,
        "{spilled}"
    );
    // Every block went; what stays is each block's trigram set and each row's reference.
    let in_file = spilled["records_in_temporary_file_bytes"].as_u64().unwrap();
    assert!(
        in_file * 2 > spilled["records_bytes"].as_u64().unwrap(),
        "{spilled}"
    );
    assert_eq!(memory(&[])["records_in_temporary_file_bytes"], 0);
}
