//! A small set of files in every input shape, good and broken, with a manifest of what each must
//! read as: the end-to-end tests drop them on the page and compare.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::events::{EventGenerator, TrailSpec};
use crate::trail::gzip;

/// What one fixture file must read as.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Path below the fixture folder.
    pub path: String,
    /// Kind id (`trailscope_model::FileKind::id`).
    pub kind: &'static str,
    /// Events the file holds (0 for failed files).
    pub events: u64,
    /// `loaded`, `warning`, `failed` or `not_cloudtrail` (a helper file, listed apart).
    pub status: &'static str,
    /// Text the error (for failed and not-CloudTrail files) must contain.
    pub error_contains: &'static str,
}

/// The whole set's expectations plus the totals after loading all of it.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// One entry per file (archive entries listed as `archive.zip/entry`).
    pub files: Vec<Expectation>,
    /// Unique events after loading everything.
    pub unique_events: u64,
    /// Duplicates merged after loading everything.
    pub duplicates: u64,
}

impl Manifest {
    /// The manifest as JSON (written by hand: the generator has no JSON dependency).
    pub fn to_json(&self) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                format!(
                    r#"    {{"path":"{}","kind":"{}","events":{},"status":"{}","error_contains":"{}"}}"#,
                    f.path, f.kind, f.events, f.status, f.error_contains
                )
            })
            .collect();
        format!(
            "{{\n  \"unique_events\": {},\n  \"duplicates\": {},\n  \"files\": [\n{}\n  ]\n}}\n",
            self.unique_events,
            self.duplicates,
            files.join(",\n")
        )
    }
}

fn write(root: &Path, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&full, bytes).with_context(|| format!("cannot write {}", full.display()))
}

fn records(generator: &mut EventGenerator, n: usize) -> Vec<String> {
    (0..n).map(|_| generator.next_record()).collect()
}

fn s3_log(records: &[String]) -> String {
    format!("{{\"Records\":[{}]}}", records.join(","))
}

/// A field of a generated record (they are compact, so a text search finds it).
fn field<'r>(record: &'r str, name: &str) -> &'r str {
    let tag = format!("\"{name}\":\"");
    record
        .find(&tag)
        .and_then(|i| record.get(i + tag.len()..))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
}

/// Writes the fixture set into `root` and returns its manifest.
pub fn write_fixtures(root: &Path) -> anyhow::Result<Manifest> {
    let mut generator = EventGenerator::new(&TrailSpec {
        seed: 42,
        ..TrailSpec::default()
    });
    let mut files = Vec::new();
    let mut unique = 0u64;
    let mut duplicates = 0u64;
    let mut expect =
        |path: &str, kind: &'static str, events: u64, status: &'static str, error: &'static str| {
            files.push(Expectation {
                path: path.to_string(),
                kind,
                events,
                status,
                error_contains: error,
            });
        };

    // Three S3 log files.
    let logs: Vec<Vec<String>> = vec![
        records(&mut generator, 40),
        records(&mut generator, 60),
        records(&mut generator, 50),
    ];
    for (i, log) in logs.iter().enumerate() {
        let path = format!(
            "trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/29/123456789012_CloudTrail_us-east-1_20240229T00{i}5Z_Fixture{i:08}.json.gz"
        );
        write(root, &path, &gzip(s3_log(log).as_bytes(), 6))?;
        expect(&path, "cloudtrail_log", log.len() as u64, "loaded", "");
        unique += log.len() as u64;
    }

    // lookup-events output: 10 events, the first 5 copies of the first log's events.
    let mut lookup = logs[0][..5].to_vec();
    lookup.extend(records(&mut generator, 5));
    let entries: Vec<String> = lookup
        .iter()
        .map(|r| {
            let escaped = r.replace('\\', "\\\\").replace('"', "\\\"");
            format!(
                r#"{{"EventId":"{}","EventName":"{}","ReadOnly":"true","EventTime":1709164800.0,"EventSource":"{}","Resources":[],"CloudTrailEvent":"{escaped}"}}"#,
                field(r, "eventID"),
                field(r, "eventName"),
                field(r, "eventSource")
            )
        })
        .collect();
    let lookup_json = format!(
        "{{\"Events\":[{}],\"NextToken\":\"token\"}}",
        entries.join(",")
    );
    write(root, "exports/lookup-events.json", lookup_json.as_bytes())?;
    expect(
        "exports/lookup-events.json",
        "lookup_events",
        10,
        "loaded",
        "",
    );
    unique += 5;
    duplicates += 5;

    // The console's Event history CSV.
    let csv_records = records(&mut generator, 8);
    let mut csv = String::from("User name,AWS access key,Event time,Event source,Event name,AWS region,Source IP address,User agent,Error code,Resources,Request ID,Event ID,Read-only,Event type,Recipient Account Id,Event category\r\n");
    for r in &csv_records {
        let _ = write!(
            csv,
            "{},{},{},{},{},{},{},\"{}\",{},\"[{{\"\"resourceType\"\":\"\"AWS::S3::Bucket\"\",\"\"resourceName\"\":\"\"fixture-bucket\"\"}}]\",{},{},false,AwsApiCall,{},Management\r\n",
            field(r, "userName"),
            field(r, "accessKeyId"),
            field(r, "eventTime"),
            field(r, "eventSource"),
            field(r, "eventName"),
            field(r, "awsRegion"),
            field(r, "sourceIPAddress"),
            field(r, "userAgent"),
            field(r, "errorCode"),
            field(r, "requestID"),
            field(r, "eventID"),
            field(r, "recipientAccountId"),
        );
    }
    write(root, "exports/event-history.csv", csv.as_bytes())?;
    expect(
        "exports/event-history.csv",
        "event_history_csv",
        8,
        "loaded",
        "",
    );
    unique += 8;

    // One event per line, gzip; EventBridge events; a CloudWatch Logs subscription payload.
    let lines = records(&mut generator, 12);
    write(
        root,
        "exports/lake-export.ndjson.gz",
        &gzip(format!("{}\n", lines.join("\n")).as_bytes(), 6),
    )?;
    expect("exports/lake-export.ndjson.gz", "ndjson", 12, "loaded", "");
    unique += 12;
    let bridge: Vec<String> = records(&mut generator, 4)
        .iter()
        .map(|r| format!(r#"{{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"123456789012","time":"{}","region":"us-east-1","resources":[],"detail":{r}}}"#, field(r, "eventTime")))
        .collect();
    write(
        root,
        "exports/eventbridge.json",
        format!("[{}]", bridge.join(",")).as_bytes(),
    )?;
    expect("exports/eventbridge.json", "eventbridge", 4, "loaded", "");
    unique += 4;
    let messages: Vec<String> = records(&mut generator, 3)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                r#"{{"id":"{i}","timestamp":1709164800000,"message":"{}"}}"#,
                r.replace('\\', "\\\\").replace('"', "\\\"")
            )
        })
        .collect();
    let payload = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"aws-cloudtrail","logStream":"s","subscriptionFilters":["all"],"logEvents":[{}]}}"#,
        messages.join(",")
    );
    write(
        root,
        "exports/cloudwatch-subscription.json.gz",
        &gzip(payload.as_bytes(), 6),
    )?;
    expect(
        "exports/cloudwatch-subscription.json.gz",
        "cloudwatch_logs",
        3,
        "loaded",
        "",
    );
    unique += 3;

    // CloudWatch Logs' export to S3: `<time> <event>` lines, gzip.
    let exported: Vec<String> = records(&mut generator, 5)
        .iter()
        .map(|r| format!("{}.000Z {r}", field(r, "eventTime").trim_end_matches('Z')))
        .collect();
    write(
        root,
        "exports/cloudwatch-export-000000.gz",
        &gzip(format!("{}\n", exported.join("\n")).as_bytes(), 6),
    )?;
    expect(
        "exports/cloudwatch-export-000000.gz",
        "cloudwatch_logs",
        5,
        "loaded",
        "",
    );
    unique += 5;

    // NDJSON with one broken line: loads with a note.
    let noisy = records(&mut generator, 3);
    write(
        root,
        "exports/noisy.ndjson",
        format!(
            "{}\n{{\"eventName\": oops}}\n{}\n{}\n",
            noisy[0], noisy[1], noisy[2]
        )
        .as_bytes(),
    )?;
    expect("exports/noisy.ndjson", "ndjson", 3, "warning", "");
    unique += 3;

    // A ZIP archive with two log files, one in a folder, and OS metadata that is skipped.
    let zipped: Vec<Vec<String>> = vec![records(&mut generator, 7), records(&mut generator, 9)];
    let zip = zip_of(&[
        ("a.json.gz", gzip(s3_log(&zipped[0]).as_bytes(), 6)),
        ("logs/b.json", s3_log(&zipped[1]).into_bytes()),
        (
            "__MACOSX/logs/._b.json",
            b"\0\x05\x16\x07 metadata".to_vec(),
        ),
    ])?;
    write(root, "archives/export.zip", &zip)?;
    expect(
        "archives/export.zip/a.json.gz",
        "cloudtrail_log",
        7,
        "loaded",
        "",
    );
    expect(
        "archives/export.zip/logs/b.json",
        "cloudtrail_log",
        9,
        "loaded",
        "",
    );
    unique += 16;

    // A digest file: recognised, no events.
    let digest = r#"{"awsAccountId":"123456789012","digestStartTime":"2024-02-29T00:00:00Z","digestEndTime":"2024-02-29T01:00:00Z","digestS3Bucket":"fixture-bucket","digestS3Object":"AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20240229T010000Z.json.gz","digestPublicKeyFingerprint":"00000000000000000000000000000000","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}"#;
    write(root, "trail/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20240229T010000Z.json.gz", &gzip(digest.as_bytes(), 6))?;
    expect("trail/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20240229T010000Z.json.gz", "cloudtrail_digest", 0, "loaded", "");

    // Broken and hostile files: each fails alone with a clear error.
    let full = gzip(s3_log(&records(&mut generator, 30)).as_bytes(), 6);
    write(
        root,
        "broken/truncated.json.gz",
        full.get(..full.len() / 2).unwrap_or_default(),
    )?;
    expect(
        "broken/truncated.json.gz",
        "cloudtrail_log",
        0,
        "failed",
        "truncated gzip stream",
    );
    // A damaged record inside a log file: the rest of the file loads, with a note.
    let damaged = records(&mut generator, 2);
    write(
        root,
        "exports/damaged-record.json",
        format!(
            "{{\"Records\":[{},{{\"eventName\":\"B\" \"eventID\":\"2\"}},{}]}}",
            damaged[0], damaged[1]
        )
        .as_bytes(),
    )?;
    expect(
        "exports/damaged-record.json",
        "cloudtrail_log",
        2,
        "warning",
        "",
    );
    unique += 2;
    write(
        root,
        "broken/invalid.json",
        br#"{"Records":[{"eventName":"A","eventID":"1"}}"#,
    )?;
    expect(
        "broken/invalid.json",
        "cloudtrail_log",
        0,
        "failed",
        "invalid JSON",
    );
    write(
        root,
        "broken/not-cloudtrail.json",
        br#"{"name":"package","version":"1.0.0"}"#,
    )?;
    expect(
        "broken/not-cloudtrail.json",
        "unknown",
        0,
        "not_cloudtrail",
        "no CloudTrail events",
    );
    // Helper files dropped with the logs: listed as not CloudTrail, never as failures, and
    // never taken for integrity inputs (a report that mentions digests and signatures is not a
    // signature file).
    write(
        root,
        "helpers/describe-trails.json",
        br#"{"trailList":[{"Name":"management-events","S3BucketName":"example-trail-bucket","IsMultiRegionTrail":true,"HomeRegion":"us-east-1","TrailARN":"arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events","LogFileValidationEnabled":true}]}"#,
    )?;
    expect(
        "helpers/describe-trails.json",
        "unknown",
        0,
        "not_cloudtrail",
        "no CloudTrail events",
    );
    write(
        root,
        "helpers/expected.json",
        br#"{"case":"baseline","signature_source":"s3-metadata","results":{"AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240229T004712Z.json.gz":"valid"}}"#,
    )?;
    expect(
        "helpers/expected.json",
        "unknown",
        0,
        "not_cloudtrail",
        "no CloudTrail events",
    );
    write(
        root,
        "helpers/NOTES.md",
        b"# Case notes\n\nLogs exported from the audit bucket on 2024-03-01.\n",
    )?;
    expect(
        "helpers/NOTES.md",
        "unknown",
        0,
        "not_cloudtrail",
        "neither JSON nor a CloudTrail CSV",
    );
    // Named as CloudTrail names its logs, the same content is a damaged or replaced log.
    write(
        root,
        "broken/123456789012_CloudTrail_us-east-1_20240229T0100Z_Replaced0.json",
        br#"{"name":"package","version":"1.0.0"}"#,
    )?;
    expect(
        "broken/123456789012_CloudTrail_us-east-1_20240229T0100Z_Replaced0.json",
        "unknown",
        0,
        "failed",
        "no CloudTrail events",
    );
    write(root, "broken/empty.json", b"")?;
    expect(
        "broken/empty.json",
        "unknown",
        0,
        "failed",
        "the file is empty",
    );
    write(
        root,
        "broken/photo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01",
    )?;
    expect("broken/photo.png", "unknown", 0, "failed", "binary data");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    write(root, "broken/deep.json", deep.as_bytes())?;
    expect(
        "broken/deep.json",
        "unknown",
        0,
        "failed",
        "nested deeper than",
    );
    // Blanks broken up by empty records, so that only the ratio (not the whitespace-run cap) can
    // stop it: 200 MiB from about 200 KiB.
    let mut bomb = b"{\"Records\":[".to_vec();
    for _ in 0..25 {
        bomb.extend(std::iter::repeat_n(b' ', 8 << 20));
        bomb.extend_from_slice(b"{},");
    }
    write(root, "broken/bomb.json.gz", &gzip(&bomb, 9))?;
    expect(
        "broken/bomb.json.gz",
        "cloudtrail_log",
        0,
        "failed",
        "decompression bomb",
    );
    let mut padded = b"{\"Records\":[".to_vec();
    padded.extend(std::iter::repeat_n(b' ', 20 << 20));
    write(root, "broken/padded.json.gz", &gzip(&padded, 9))?;
    expect(
        "broken/padded.json.gz",
        "unknown",
        0,
        "failed",
        "whitespace in a row",
    );
    let long = format!(
        "{{\"Records\":[{{\"eventName\":\"{}\"}}]}}",
        "A".repeat(9 << 20)
    );
    write(
        root,
        "broken/long-string.json.gz",
        &gzip(long.as_bytes(), 6),
    )?;
    expect(
        "broken/long-string.json.gz",
        "unknown",
        0,
        "failed",
        "larger than",
    );

    Ok(Manifest {
        files,
        unique_events: unique,
        duplicates,
    })
}

fn zip_of(entries: &[(&str, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, options)?;
        w.write_all(data)?;
    }
    w.finish()?;
    Ok(out.into_inner())
}
