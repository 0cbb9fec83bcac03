//! Exports: the console's CSV columns, CloudTrail JSON, NDJSON, order and progress.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use trailscope_model::{ingest_bytes, Limits};
use trailscope_query::{export, ExportFormat, ExportProgress, CSV_HEADER};
use trailscope_store::Store;
use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

const RECORD: &str = r#"{"eventID":"e1","eventTime":"2024-02-29T10:00:00Z","eventName":"=HYPERLINK(\"x\")","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userAgent":"@agent","requestID":"r1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012","eventCategory":"Management","errorCode":"-1","userIdentity":{"type":"IAMUser","userName":"alice","accessKeyId":"AKIA1"},"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]}"#;

fn store() -> Store {
    let mut store = Store::new();
    // Pretty-printed, as some exports are: NDJSON must still get one record per line.
    let pretty = format!("{{\"Records\": [\n  {},\n  {{\"eventID\": \"e2\",\n \"eventTime\": \"2024-02-29T09:00:00Z\"}}\n]}}", RECORD);
    store.load("a.json", |b| {
        ingest_bytes(pretty.as_bytes(), Limits::default(), b)
    });
    store
}

fn run(store: &Store, rows: &[u32], format: ExportFormat) -> (String, Vec<ExportProgress>) {
    let mut out = Vec::new();
    let mut steps = Vec::new();
    export(store, rows, format, &mut out, |p| steps.push(p)).unwrap();
    (String::from_utf8(out).unwrap(), steps)
}

#[test]
fn csv_has_the_console_columns_and_neutralises_formulas() {
    let store = store();
    let (text, steps) = run(&store, &[0, 1], ExportFormat::Csv);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_HEADER);
    assert_eq!(
        header.join(","),
        "User name,AWS access key,Event time,Event source,Event name,AWS region,Source IP address,User agent,Error code,Resources,Request ID,Event ID,Read-only,Event type,Recipient Account Id,Event category"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let row: Vec<&str> = rows[0].iter().collect();
    assert_eq!(
        row,
        [
            "alice",
            "AKIA1",
            "2024-02-29T10:00:00Z",
            "s3.amazonaws.com",
            "'=HYPERLINK(\"x\")",
            "us-east-1",
            "1.2.3.4",
            "'@agent",
            "'-1",
            r#"[{"resourceType":"AWS::S3::Bucket","resourceName":"arn:aws:s3:::b"}]"#,
            "r1",
            "e1",
            "false",
            "AwsApiCall",
            "123456789012",
            "Management",
        ]
    );
    assert_eq!(&rows[1][11], "e2");
    assert_eq!(&rows[1][9], "");
    assert_eq!(steps, [ExportProgress { done: 2, total: 2 }]);
}

#[test]
fn json_and_ndjson_carry_the_original_records_in_the_given_order() {
    let store = store();
    let (json, _) = run(&store, &[1, 0], ExportFormat::Json);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["Records"][0]["eventID"], "e2");
    assert_eq!(
        v["Records"][1],
        serde_json::from_str::<Value>(RECORD).unwrap()
    );
    let (lines, _) = run(&store, &[0, 1], ExportFormat::Ndjson);
    let parsed: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0], serde_json::from_str::<Value>(RECORD).unwrap());
    assert_eq!(parsed[1]["eventID"], "e2");
    let (empty, steps) = run(&store, &[], ExportFormat::Json);
    assert_eq!(
        serde_json::from_str::<Value>(&empty).unwrap()["Records"],
        Value::Array(vec![])
    );
    assert!(steps.is_empty());
}

#[test]
fn large_exports_report_progress_per_chunk_and_keep_order() {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let mut store = Store::new();
    for name in ["a.json", "b.json"] {
        let log = log_file_json(&mut generator, 5000);
        store.load(name, |b| ingest_bytes(log.as_bytes(), Limits::default(), b));
    }
    let rows: Vec<u32> = (0..store.len() as u32).rev().step_by(2).collect();
    let (lines, steps) = run(&store, &rows, ExportFormat::Ndjson);
    let ids: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["eventID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = rows
        .iter()
        .map(|&r| store.event_id(r as usize).unwrap().to_string())
        .collect();
    assert_eq!(ids, expected);
    let done: Vec<u64> = steps.iter().map(|p| p.done).collect();
    assert_eq!(done, [4096, rows.len() as u64]);
    assert!(steps.iter().all(|p| p.total == rows.len() as u64));
}
