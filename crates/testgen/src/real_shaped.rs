//! A trail shaped like a real S3 data-event trail (the public ransomware lab the scale issue
//! measured: 1,000,800 events in 4,014 gzip files, 1.4 GB of JSON): mostly S3 data events with
//! long object keys, `resources[]` and `additionalEventData`, many distinct keys, addresses and
//! sessions, about 250 records per file, and copies of some events delivered again in a later
//! file, as CloudTrail does now and then. The generated trail of [`crate::write_trail`] is
//! management-heavy with few distinct values; loads behave differently on the two.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::events::{civil_from_days, iso};
use crate::trail::{gzip, LogFile};

/// S3 data events and their relative frequency; management calls fill the rest.
const DATA_CALLS: &[(&str, bool, u32)] = &[
    ("GetObject", true, 46),
    ("PutObject", false, 18),
    ("HeadObject", true, 12),
    ("DeleteObject", false, 6),
    ("CopyObject", false, 3),
    ("ListObjects", true, 5),
];
const MANAGEMENT_CALLS: &[(&str, &str, bool)] = &[
    ("s3.amazonaws.com", "GetBucketAcl", true),
    ("s3.amazonaws.com", "PutBucketPolicy", false),
    ("sts.amazonaws.com", "AssumeRole", true),
    ("iam.amazonaws.com", "ListAccessKeys", true),
    ("kms.amazonaws.com", "GenerateDataKey", true),
    ("ec2.amazonaws.com", "DescribeInstances", true),
];
const PREFIXES: &[&str] = &[
    "customer-exports/daily",
    "finance/reports/quarterly-close",
    "media/uploads/originals",
    "backups/postgres/wal-archive",
    "analytics/events/year=2023",
    "hr/onboarding/documents/scanned",
];
const EXTENSIONS: &[&str] = &[".csv.gz", ".pdf", ".jpg", ".parquet", ".json", ".encrypted"];
const AGENTS: &[&str] = &[
    "[aws-cli/2.13.1 Python/3.11.4 Linux/5.15.0-1039-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp]",
    "[Boto3/1.28.3 md/Botocore#1.31.3 ua/2.0 os/linux#5.15.0 md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.3]",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.184-154.731.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]",
    "[aws-sdk-go/1.44.298 (go1.20.5; linux; amd64)]",
    "[Rclone/v1.63.0]",
];

/// Writes `events` real-shaped events (plus re-delivered copies) below `out` as gzip log files;
/// returns the files written.
pub fn write_real_shaped(out: &Path, events: u64, seed: u64) -> anyhow::Result<Vec<LogFile>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let account = "218007301253";
    let bucket = "lab-customer-data-218007301253";
    let mut now_millis: i64 = 1_688_990_400_000; // 2023-07-10T12:00:00Z
    let mut written = Vec::new();
    let mut left = events;
    // Records of the previous file, some of which the next file delivers again.
    let mut previous: Vec<String> = Vec::new();
    while left > 0 {
        let region = if rng.random_range(0..10) == 0 {
            "us-west-2"
        } else {
            "us-east-1"
        };
        let n = rng.random_range(150..350u64).min(left);
        let mut records: Vec<String> = Vec::with_capacity(n as usize + 4);
        for _ in 0..n {
            now_millis += rng.random_range(0..600);
            records.push(record(&mut rng, now_millis, account, bucket, region));
        }
        // About 0.5% of events arrive twice, in two files.
        for copy in &previous {
            if rng.random_range(0..200) == 0 {
                records.push(copy.clone());
            }
        }
        left -= n;
        let json = format!("{{\"Records\":[{}]}}", records.join(","));
        let delivered = now_millis / 1000 + 300;
        let (y, m, d) = civil_from_days(delivered.div_euclid(86_400));
        let secs = delivered.rem_euclid(86_400);
        let unique: String = (0..16)
            .map(|_| {
                const ALNUM: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                ALNUM[rng.random_range(0..ALNUM.len())] as char
            })
            .collect();
        let key = format!(
            "AWSLogs/{account}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{:02}{:02}Z_{unique}.json.gz",
            secs / 3600,
            secs % 3600 / 60
        );
        let gz = gzip(json.as_bytes(), 6);
        let path = out.join(&key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &gz).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(LogFile {
            key,
            events: records.len() as u64,
            json_bytes: json.len() as u64,
            gzip_bytes: gz.len() as u64,
        });
        records.truncate(n as usize);
        previous = records;
    }
    Ok(written)
}

fn hex(rng: &mut ChaCha8Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

fn base64ish(rng: &mut ChaCha8Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// One record at `millis`.
fn record(rng: &mut ChaCha8Rng, millis: i64, account: &str, bucket: &str, region: &str) -> String {
    let mut out = String::with_capacity(1600);
    let time = iso(millis / 1000);
    // Addresses from a pool of about 30,000, sessions from about 5,000: many distinct values.
    let ip = format!(
        "{}.{}.{}.{}",
        [3, 18, 34, 52, 54, 185, 203][rng.random_range(0..7)],
        rng.random_range(0..64),
        rng.random_range(0..32),
        rng.random_range(1..16)
    );
    let session = format!("session-{}", rng.random_range(0..5000));
    let role = ["LabUploader", "DataPipeline", "BackupAgent", "Analyst"][rng.random_range(0..4)];
    let access_key = format!(
        "ASIA{}",
        base64ish(rng, 16).to_uppercase().replace(['+', '/'], "X")
    );
    let agent = AGENTS[rng.random_range(0..AGENTS.len())];
    let event_id = format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    );
    let request_id = hex(rng, 16).to_uppercase();
    let _ = write!(
        out,
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROATAQLAB{}:{session}","arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}","accountId":"{account}","accessKeyId":"{access_key}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROATAQLAB{}","arn":"arn:aws:iam::{account}:role/{role}","accountId":"{account}","userName":"{role}"}},"attributes":{{"creationDate":"{time}","mfaAuthenticated":"false"}}}}}},"eventTime":"{time}","#,
        role.len(),
        role.len()
    );
    let total: u32 = DATA_CALLS.iter().map(|c| c.2).sum();
    let roll = rng.random_range(0..total + 10);
    let mut pick = roll;
    let data = DATA_CALLS.iter().find(|c| {
        if pick < c.2 {
            true
        } else {
            pick -= c.2;
            false
        }
    });
    let error = rng.random_range(0..100) < 3;
    match data {
        Some(&(name, read_only, _)) => {
            let prefix = PREFIXES[rng.random_range(0..PREFIXES.len())];
            let key = format!(
                "{prefix}/{}/{}/part-{:05}-{}{}",
                hex(rng, 8),
                hex(rng, 32),
                rng.random_range(0..20000),
                hex(rng, 12),
                EXTENSIONS[rng.random_range(0..EXTENSIONS.len())]
            );
            let bytes_out = if read_only {
                rng.random_range(0..50_000_000)
            } else {
                0
            };
            let bytes_in = if read_only {
                0
            } else {
                rng.random_range(0..50_000_000)
            };
            let _ = write!(
                out,
                r#""eventSource":"s3.amazonaws.com","eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{agent}","#
            );
            if error {
                out.push_str(r#""errorCode":"AccessDenied","errorMessage":"Access Denied","#);
            }
            let _ = write!(
                out,
                r#""requestParameters":{{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","key":"{key}"{}}},"responseElements":{},"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":{bytes_in},"bytesTransferredOut":{bytes_out},"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{}","x-amz-server-side-encryption":"AES256"}},"requestID":"{request_id}","eventID":"{event_id}","readOnly":{read_only},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/{key}"}},{{"accountId":"{account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{account}","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{bucket}.s3.{region}.amazonaws.com"}}}}"#,
                if name == "CopyObject" {
                    format!(r#","x-amz-copy-source":"{bucket}/{key}.bak""#)
                } else {
                    String::new()
                },
                if read_only || error {
                    "null".to_string()
                } else {
                    r#"{"x-amz-server-side-encryption":"AES256","x-amz-version-id":"null"}"#
                        .to_string()
                },
                base64ish(rng, 76)
            );
        }
        None => {
            let (source, name, read_only) =
                MANAGEMENT_CALLS[rng.random_range(0..MANAGEMENT_CALLS.len())];
            let _ = write!(
                out,
                r#""eventSource":"{source}","eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{agent}","#
            );
            if error {
                out.push_str(r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation","#);
            }
            let _ = write!(
                out,
                r#""requestParameters":{{"bucketName":"{bucket}"}},"responseElements":null,"requestID":"{request_id}","eventID":"{event_id}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_records_that_parse_with_long_keys_and_copies() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_real_shaped(dir.path(), 5_000, 7).unwrap();
        let generated: u64 = files.iter().map(|f| f.events).sum();
        assert!(
            generated > 5_000,
            "some events are delivered twice: {generated}"
        );
        assert!(files.len() >= 5_000 / 350 && files.len() <= 5_000 / 150 + 1);
        let mut ids = std::collections::HashSet::new();
        let mut keys = 0;
        for file in &files {
            let bytes = std::fs::read(dir.path().join(&file.key)).unwrap();
            let mut json = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut json)
                .unwrap();
            let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
            for r in doc["Records"].as_array().unwrap() {
                ids.insert(r["eventID"].as_str().unwrap().to_string());
                if let Some(key) = r["requestParameters"]["key"].as_str() {
                    assert!(key.len() > 80, "{key}");
                    keys += 1;
                }
            }
        }
        assert_eq!(ids.len(), 5_000);
        assert!(keys > 4_000, "{keys}");
    }
}
