//! `trailscope query` end to end: filters, time options, formats, order, failed inputs and usage
//! errors.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

fn query(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .arg("query")
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

/// Event `id`: minute `id` of the hour; even ones are reads, every third one failed.
fn event(id: u32) -> String {
    let error = if id.is_multiple_of(3) {
        r#","errorCode":"AccessDenied""#
    } else {
        ""
    };
    format!(
        r#"{{"eventID":"id-{id}","eventTime":"2024-02-28T21:{id:02}:00Z","eventName":"{}","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"10.0.{id}.1","readOnly":{},"userIdentity":{{"type":"IAMUser","userName":"{}"}},"recipientAccountId":"123456789012"{error}}}"#,
        if id.is_multiple_of(2) {
            "ListUsers"
        } else {
            "CreateUser"
        },
        id.is_multiple_of(2),
        if id < 10 { "alice" } else { "=bob" },
    )
}

fn log(ids: std::ops::Range<u32>) -> Vec<u8> {
    let records: Vec<String> = ids.map(event).collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn ids(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["eventID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn trail() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "AWSLogs/a.json.gz", &gz(&log(0..10)));
    write(dir.path(), "AWSLogs/b.json", &log(10..20));
    dir
}

#[test]
fn filters_and_orders_events() {
    let dir = trail();
    let out = query(
        &[
            "--format",
            "ndjson",
            "--filter",
            "readOnly:false -user:alice ip:10.0.0.0/8",
        ],
        &[dir.path()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ids(&out), ["id-11", "id-13", "id-15", "id-17", "id-19"]);
    // A filter starting with a negation is the filter, not an unknown flag; so are the
    // connectives and lists.
    for filter in [
        "-user:alice readOnly:false ip:10.0.0.0/8",
        "NOT user:alice AND readOnly:false AND ip:10.0.0.0/8",
    ] {
        let out = query(&["--format", "ndjson", "--filter", filter], &[dir.path()]);
        assert_eq!(
            ids(&out),
            ["id-11", "id-13", "id-15", "id-17", "id-19"],
            "{filter}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = query(
        &[
            "--format",
            "ndjson",
            "-f",
            "error:*",
            "--order",
            "newest",
            "--from",
            "2024-02-28T21:03:00Z",
            "--to",
            "2024-02-28T21:15:00Z",
        ],
        &[dir.path()],
    );
    assert_eq!(ids(&out), ["id-15", "id-12", "id-9", "id-6", "id-3"]);
    let out = query(
        &["--format", "ndjson", "--from", "2024-02-29"],
        &[dir.path()],
    );
    assert_eq!((out.status.code(), out.stdout.len()), (Some(0), 0));
}

#[test]
fn emits_the_filter_as_sql_for_athena_and_spark_without_input() {
    let out = query(
        &[
            "--filter",
            "-readOnly:true eventSource:iam.amazonaws.com",
            "--from",
            "2024-03-01",
            "--emit-sql",
            "athena",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(
        sql.starts_with("SELECT *\nFROM cloudtrail_logs\nWHERE "),
        "{sql}"
    );
    assert!(
        sql.contains("NOT coalesce(lower(readonly) = 'true', false)"),
        "{sql}"
    );
    assert!(
        sql.contains(
            "from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp('2024-03-01T00:00:00Z')"
        ),
        "{sql}"
    );
    let out = query(
        &["--filter", "eventName:GetObject", "--emit-sql", "spark"],
        &[],
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "SELECT *\nFROM events\nWHERE lower(coalesce(nullif(eventName, ''), insightDetails.eventName)) = 'getobject';\n"
    );
    // A term SQL cannot answer the same way is refused by name (exit 2).
    let out = query(&["--filter", "\"free text\"", "--emit-sql", "spark"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"free text\": free text searches"));
}

#[test]
fn writes_console_csv_and_cloudtrail_json() {
    let dir = trail();
    let out = query(
        &["--filter", "eventName:CreateUser user:*bob"],
        &[dir.path()],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "User name,AWS access key,Event time,Event source,Event name,AWS region,Source IP address,User agent,Error code,Resources,Request ID,Event ID,Read-only,Event type,Recipient Account Id,Event category"
    );
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[1],
        "'=bob,,2024-02-28T21:11:00Z,iam.amazonaws.com,CreateUser,us-east-1,10.0.11.1,,,,,id-11,false,,123456789012,"
    );
    let out = query(&["--format", "json", "-f", "eventID:id-1*"], &[dir.path()]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = json["Records"].as_array().unwrap();
    let got: Vec<&str> = records
        .iter()
        .map(|r| r["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(got[0], "id-1");
    assert_eq!(got.len(), 11);
    assert_eq!(
        records[0],
        serde_json::from_str::<Value>(&event(1)).unwrap()
    );
}

#[test]
fn failed_inputs_exit_1_and_still_print() {
    let dir = trail();
    let broken = gz(&log(100..200));
    write(
        dir.path(),
        "AWSLogs/broken.json.gz",
        &broken[..broken.len() / 2],
    );
    let out = query(&["--format", "ndjson", "-f", "user:alice"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(ids(&out).len(), 10);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.json.gz: truncated gzip stream"),
        "{stderr}"
    );
}

#[test]
fn bad_filters_are_usage_errors_pointing_at_the_term() {
    let dir = trail();
    let out = query(&["-f", "readOnly:true evntName:x"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "trailscope: bad filter: unknown field \"evntName\"; did you mean eventName?\n  readOnly:true evntName:x\n                ^^^^^^^^\n"
    );
    let out = query(&["--to", "tomorrow"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("trailscope: bad --to: to needs a date"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("  to:tomorrow\n     ^^^^^^^^\n"),
        "{stderr}"
    );
    let out = query(&["--format", "xml"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    let out = query(&[], &[Path::new("/definitely/not/here")]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sorts_by_a_column_and_writes_the_chosen_columns() {
    let dir = trail();
    // "=bob" sorts before "alice" ('=' is below 'a'); descending puts alice first, and among
    // equal values the newest first.
    let out = query(
        &[
            "--format",
            "ndjson",
            "--sort",
            "-user",
            "--filter",
            "eventName:CreateUser",
        ],
        &[dir.path()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ids(&out),
        ["id-9", "id-7", "id-5", "id-3", "id-1", "id-19", "id-17", "id-15", "id-13", "id-11"]
    );
    let out = query(
        &[
            "--columns",
            "event-id,user,read-write,path:userIdentity.type,path:recipientAccountId",
            "--filter",
            "eventID:id-3,id-12",
        ],
        &[dir.path()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Event ID,User,Read/write,userIdentity.type,recipientAccountId\n\
         id-3,alice,false,IAMUser,123456789012\n\
         id-12,'=bob,true,IAMUser,123456789012\n"
    );
    // Wrong names are usage errors that say what is wrong.
    for (args, says) in [
        (&["--sort", "requestParameters.x"][..], "cannot be sorted"),
        (&["--columns", "nope"][..], "no column is called \"nope\""),
        (
            &["--columns", "user", "--format", "json"][..],
            "needs --format csv",
        ),
    ] {
        let out = query(args, &[dir.path()]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
