//! `trailscope sql` end to end: a Lake query pasted as is, the formats, a SQL error pointing at
//! its position (exit 2), and Parquet out.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn sql(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .arg("sql")
        .args(args)
        .arg(path)
        .output()
        .unwrap()
}

fn trail(dir: &Path) -> std::path::PathBuf {
    let records: Vec<String> = (0..30)
        .map(|i| {
            format!(
                r#"{{"eventID":"id-{i}","eventTime":"2024-02-28T21:{i:02}:00Z","eventName":"{}","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","readOnly":{},"userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/r/s{}"}},"requestParameters":{{"bucketName":"bucket-{}","key":"k/{i}"}}}}"#,
                if i % 3 == 0 { "DeleteObject" } else { "GetObject" },
                i % 3 != 0,
                i % 2,
                i % 4
            )
        })
        .collect();
    let path = dir.join("trail.json");
    std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    path
}

#[test]
fn a_lake_query_pastes_verbatim_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let query =
        "SELECT eventname, element_at(requestParameters, 'bucketName') AS bucket, count(*) AS n \
                 FROM $EDS_ID WHERE eventTime >= '2024-02-28 21:00:00' AND readonly = false \
                 GROUP BY 1, 2 ORDER BY n DESC, bucket";
    let out = sql(&["--format", "csv", "--query", query], &path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "eventName,bucket,n\nDeleteObject,bucket-0,3\nDeleteObject,bucket-3,3\nDeleteObject,bucket-1,2\nDeleteObject,bucket-2,2\n"
    );
    let out = sql(
        &[
            "--format",
            "json",
            "-q",
            "SELECT useridentity.arn, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        ],
        &path,
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"arn": "arn:aws:sts::123456789012:assumed-role/r/s0", "n": 15},
            {"arn": "arn:aws:sts::123456789012:assumed-role/r/s1", "n": 15}
        ])
    );
    let out = sql(
        &[
            "--format",
            "ndjson",
            "-q",
            "SELECT eventID FROM events ORDER BY eventTime DESC LIMIT 2",
        ],
        &path,
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"eventID\":\"id-29\"}\n{\"eventID\":\"id-28\"}\n"
    );
    let out = sql(&["-q", "SELECT count(*) AS n FROM cloudtrail_logs"], &path);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("| n  |") && table.contains("| 30 |"),
        "{table}"
    );
    let parquet = dir.path().join("out.parquet");
    let out = sql(
        &[
            "--format",
            "parquet",
            "--out",
            parquet.to_str().unwrap(),
            "-q",
            "SELECT * FROM events",
        ],
        &path,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&parquet).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
}

#[test]
fn a_sql_error_points_at_its_position_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let out = sql(
        &["-q", "SELECT eventName,\n  nosuch_fn(1) FROM events"],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 2, column 3"), "{err}");
    assert!(err.contains("nosuch_fn"), "{err}");
    assert!(err.contains("    nosuch_fn(1) FROM events\n    ^"), "{err}");
    let out = sql(&["-q", "DROP TABLE events"], &path);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only queries"));
}

/// Rows and column names of a Parquet file, read back with the parquet crate.
fn read_parquet(path: &Path) -> (usize, Vec<String>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = 0;
    let mut names = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        rows += batch.num_rows();
        names = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
    }
    (rows, names)
}

#[test]
fn export_writes_hive_partitions_by_region_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = Vec::new();
    for (i, (region, day)) in [
        ("eu-west-1", "2024-02-28"),
        ("eu-west-1", "2024-02-29"),
        ("us-east-1", "2024-02-29"),
        ("../../escape", "2024-02-29"),
    ]
    .iter()
    .enumerate()
    {
        for j in 0..3 {
            records.push(format!(
                r#"{{"eventID":"e-{i}-{j}","eventTime":"{day}T10:0{j}:00Z","eventName":"GetObject","awsRegion":"{region}"}}"#
            ));
        }
    }
    records.push(r#"{"eventID":"no-time","eventName":"GetObject"}"#.to_string());
    let input = dir.path().join("in.json");
    std::fs::write(&input, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    let out = dir.path().join("export");
    let status = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["export", "--format", "parquet", "--out"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let mut parts: Vec<String> = walkdir(&out)
        .into_iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    parts.sort();
    assert_eq!(
        parts,
        [
            "region=..%2F..%2Fescape/date=2024-02-29/part-00000.parquet",
            "region=__HIVE_DEFAULT_PARTITION__/date=__HIVE_DEFAULT_PARTITION__/part-00000.parquet",
            "region=eu-west-1/date=2024-02-28/part-00000.parquet",
            "region=eu-west-1/date=2024-02-29/part-00000.parquet",
            "region=us-east-1/date=2024-02-29/part-00000.parquet",
        ]
    );
    let (rows, names) =
        read_parquet(&out.join("region=eu-west-1/date=2024-02-29/part-00000.parquet"));
    assert_eq!(rows, 3);
    for column in [
        "eventTime",
        "userIdentity",
        "requestParameters",
        "resources",
        "eventJson",
    ] {
        assert!(names.iter().any(|n| n == column), "{column} in {names:?}");
    }
    // A second export into the same folder is refused rather than mixed in.
    let again = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["export", "--out"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // A filter and one file.
    let single = dir.path().join("one.parquet");
    let status = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args([
            "export",
            "--single-file",
            "--filter",
            "region:us-east-1",
            "--out",
        ])
        .arg(&single)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    assert_eq!(read_parquet(&single).0, 3);
    // With a manifest: the filter, the files written and the source, each with its SHA-256.
    let manifest_path = dir.path().join("export.manifest.json");
    let folder = dir.path().join("with-manifest");
    let status = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["export", "--filter", "region:eu-west-1", "--out"])
        .arg(&folder)
        .arg("--manifest")
        .arg(&manifest_path)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let sha256 = |bytes: &[u8]| {
        use sha2::Digest;
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(manifest["manifest"], "trailscope-export-manifest/1");
    assert_eq!(manifest["made_in"], "cli");
    assert_eq!(manifest["filter"], "region:eu-west-1");
    assert_eq!(manifest["format"], "parquet");
    assert_eq!(manifest["events"], 6);
    let outputs = manifest["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    let mut parquet_rows = 0;
    for output in outputs {
        let file = folder.join(output["name"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(output["sha256"], sha256(&bytes).as_str());
        assert_eq!(output["bytes"], bytes.len());
        parquet_rows += read_parquet(&file).0;
    }
    assert_eq!(parquet_rows, 6);
    let input_bytes = std::fs::read(&input).unwrap();
    assert_eq!(
        manifest["sources"],
        serde_json::json!([{
            "path": input.display().to_string(),
            "bytes": input_bytes.len(),
            "sha256": sha256(&input_bytes),
            "kind": "cloudtrail_log",
            "events": 6,
            "integrity": "not_checked",
        }])
    );
    assert_eq!(manifest["integrity"]["not_checked"], 6);
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn export_parquet(trail: &Path, out: &Path) {
    let exported = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["export", "--format", "parquet", "--out"])
        .arg(out)
        .arg(trail)
        .output()
        .unwrap();
    assert_eq!(
        exported.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
}

/// A Parquet export is queried in place and answers as the files it came from do, nested
/// fields, maps and the records' JSON included.
#[test]
fn sql_reads_a_parquet_export_in_place_with_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let out = dir.path().join("parquet");
    export_parquet(&path, &out);
    for query in [
        "SELECT eventName, element_at(requestParameters, 'bucketName') AS bucket, count(*) AS n FROM $EDS_ID GROUP BY 1, 2 ORDER BY n DESC, bucket, eventName",
        "SELECT useridentity.arn, count(*) FROM events WHERE readOnly = false GROUP BY 1 ORDER BY 1",
        "SELECT eventID, json_extract_scalar(eventJson, '$.requestParameters.key') AS k FROM x WHERE eventTime > '2024-02-28 21:20:00' ORDER BY eventID",
    ] {
        let from_json = sql(&["--format", "csv", "--query", query], &path);
        let from_parquet = sql(&["--format", "csv", "--query", query], &out);
        assert_eq!(from_parquet.status.code(), Some(0), "{}", String::from_utf8_lossy(&from_parquet.stderr));
        assert!(!from_json.stdout.is_empty());
        assert_eq!(
            String::from_utf8(from_parquet.stdout).unwrap(),
            String::from_utf8(from_json.stdout).unwrap(),
            "{query}"
        );
    }
    // One file of the export, given alone, is Parquet input too.
    let one = walkdir(&out)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let counted = sql(
        &[
            "--format",
            "csv",
            "--query",
            "SELECT count(*) AS n FROM events",
        ],
        &one,
    );
    assert_eq!(counted.status.code(), Some(0));
}

/// A corrupt Parquet file and a Parquet file of another schema are errors naming the file and
/// the problem (exit 1, as unreadable input is), before any query runs; mixing Parquet with
/// CloudTrail files is refused.
#[test]
fn bad_parquet_input_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let out = dir.path().join("parquet");
    export_parquet(&path, &out);
    let query = ["--query", "SELECT count(*) FROM events"];

    // Truncated: the footer is gone.
    let victim = walkdir(&out)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = sql(&query, &out);
    assert_eq!(truncated.status.code(), Some(1));
    let message = String::from_utf8_lossy(&truncated.stderr);
    assert!(
        message.contains(&victim.display().to_string())
            && message.contains("not a readable Parquet file"),
        "{message}"
    );

    // A foreign table: Parquet, but not the export's columns.
    let foreign_dir = dir.path().join("foreign");
    std::fs::create_dir(&foreign_dir).unwrap();
    let schema = std::sync::Arc::new(datafusion_schema());
    let column: arrow_array::ArrayRef = std::sync::Arc::new(arrow_array::StringArray::from(vec![
        Some("GetObject"),
        None,
    ]));
    let foreign = arrow_batch(schema.clone(), column);
    let file = std::fs::File::create(foreign_dir.join("other.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&foreign).unwrap();
    writer.close().unwrap();
    let refused = sql(&query, &foreign_dir);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("other.parquet") && message.contains("not a Trailscope Parquet export"),
        "{message}"
    );

    // Parquet beside CloudTrail files.
    let mixed = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .arg("sql")
        .args(query)
        .arg(&foreign_dir)
        .arg(&path)
        .output()
        .unwrap();
    // A usage error, as a bad argument is.
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("not both"));
}

/// A one-column schema that is not the export's.
fn datafusion_schema() -> arrow_schema::Schema {
    arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "api",
        arrow_schema::DataType::Utf8,
        true,
    )])
}

fn arrow_batch(
    schema: std::sync::Arc<arrow_schema::Schema>,
    column: arrow_array::ArrayRef,
) -> arrow_array::RecordBatch {
    arrow_array::RecordBatch::try_new(schema, vec![column]).unwrap()
}
