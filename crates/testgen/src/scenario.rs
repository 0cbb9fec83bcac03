//! A week of an account's CloudTrail with known attacks planted in it, to hold the anomaly model
//! to what matters: an IAM user's key exfiltrating objects and decrypting in bulk from a new
//! address, a privilege escalation chain, and the root user rewriting a bucket policy, among
//! busy background traffic that must not drown them: people in office hours, an application
//! role reading steadily, a nightly backup reading thousands of objects by design, and a log
//! shipper failing with AccessDenied every five minutes, day and night.

use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::trail::gzip;

/// The account of the scenario.
pub const SCENARIO_ACCOUNT: &str = "111122223333";
/// 2024-03-01T00:00:00Z, the scenario's first hour.
const START_MILLIS: i64 = 1_709_251_200_000;
const HOUR: i64 = 3_600_000;
const DAYS: i64 = 7;
/// The attacks happen on day 5 (2024-03-06).
const ATTACK_DAY: i64 = 5;

/// An attack planted in the scenario, as a test expects to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// A short name (`exfiltration`).
    pub name: &'static str,
    /// The principal ARN behind it.
    pub principal: String,
    /// When it starts (unix millis).
    pub start_millis: i64,
}

/// The generated scenario: records in time order, and what was planted.
pub struct Scenario {
    /// CloudTrail records (JSON objects), oldest first.
    pub records: Vec<String>,
    /// Each record's time (unix millis).
    pub times: Vec<i64>,
    /// The planted attacks.
    pub planted: Vec<Planted>,
    /// The principal ARN of the periodic failing process.
    pub periodic_principal: String,
    /// The principal ARN of the nightly backup.
    pub backup_principal: String,
}

struct Principal {
    arn: String,
    kind: &'static str,
    key: String,
    user: Option<String>,
    ip: String,
    agent: &'static str,
}

fn user(name: &str, ip: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{SCENARIO_ACCOUNT}:user/{name}"),
        kind: "IAMUser",
        key: format!("AKIA{:0>16}", name.to_ascii_uppercase()),
        user: Some(name.to_string()),
        ip: ip.to_string(),
        agent: "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
    }
}

fn role(name: &str, session: &str, ip: &str, agent: &'static str) -> Principal {
    Principal {
        arn: format!("arn:aws:sts::{SCENARIO_ACCOUNT}:assumed-role/{name}/{session}"),
        kind: "AssumedRole",
        key: format!("ASIA{:0>16}", name.to_ascii_uppercase().replace('-', "")),
        user: None,
        ip: ip.to_string(),
        agent,
    }
}

struct Writer {
    records: Vec<(i64, String)>,
    rng: ChaCha8Rng,
}

impl Writer {
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        who: &Principal,
        millis: i64,
        source: &str,
        name: &str,
        region: &str,
        read_only: bool,
        request: &str,
        error: Option<&str>,
        ip: Option<&str>,
    ) {
        let n = self.records.len();
        let time = crate::events::iso(millis.div_euclid(1000));
        let mut identity = format!(
            r#"{{"type":"{}","principalId":"AID{n:08}","arn":"{}","accountId":"{SCENARIO_ACCOUNT}","accessKeyId":"{}""#,
            who.kind, who.arn, who.key
        );
        match &who.user {
            Some(u) => {
                let _ = write!(identity, r#","userName":"{u}"}}"#);
            }
            None if who.kind == "Root" => identity.push('}'),
            None => {
                let role = who.arn.split('/').nth(1).unwrap_or("role");
                let _ = write!(
                    identity,
                    r#","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::{SCENARIO_ACCOUNT}:role/{role}","userName":"{role}"}}}}}}"#
                );
            }
        }
        let error = error.map_or(String::new(), |code| {
            format!(r#","errorCode":"{code}","errorMessage":"User is not authorized to perform this operation""#)
        });
        let management = source != "s3.amazonaws.com"
            || !matches!(name, "GetObject" | "PutObject" | "DeleteObject");
        let id: u128 = self.rng.random();
        let record = format!(
            r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{}","userAgent":"{}","requestParameters":{request}{error},"responseElements":null,"requestID":"{:032x}","eventID":"{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":{management},"recipientAccountId":"{SCENARIO_ACCOUNT}","eventCategory":"{}"}}"#,
            ip.unwrap_or(&who.ip),
            who.agent,
            id,
            (id >> 96) as u32,
            (id >> 80) as u16,
            (id >> 68) as u16 & 0xfff,
            (id >> 56) as u16 & 0xfff,
            (id & 0xffff_ffff_ffff) as u64,
            if management { "Management" } else { "Data" },
        );
        self.records.push((millis, record));
    }

    fn spread(&mut self, hour_start: i64, span: i64) -> i64 {
        hour_start + self.rng.random_range(0..span)
    }
}

/// The read APIs people use in office hours (source, name, read-only, request).
const DAILY_WORK: [(&str, &str, bool, &str); 8] = [
    ("ec2.amazonaws.com", "DescribeInstances", true, "{}"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true, "{}"),
    ("s3.amazonaws.com", "ListBuckets", true, "{}"),
    ("iam.amazonaws.com", "ListUsers", true, "{}"),
    ("iam.amazonaws.com", "ListAttachedUserPolicies", true, "{}"),
    ("sts.amazonaws.com", "GetCallerIdentity", true, "{}"),
    ("cloudwatch.amazonaws.com", "GetMetricData", true, "{}"),
    ("ec2.amazonaws.com", "CreateTags", false, "{}"),
];

/// Generates the scenario (deterministic for a seed).
pub fn attack_scenario(seed: u64) -> Scenario {
    let mut w = Writer {
        records: Vec::new(),
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    let names = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "mallory", "oscar",
    ];
    let people: Vec<Principal> = names
        .iter()
        .enumerate()
        .map(|(i, n)| user(n, &format!("203.0.113.{}", 10 + i)))
        .collect();
    let app = role("app-role", "i-0abc", "10.0.1.15", "aws-sdk-java/2.25.1");
    let backup = role("backup-role", "nightly", "10.0.2.20", "aws-sdk-go/1.50.0");
    let shipper = role(
        "log-shipper",
        "shipper",
        "10.0.3.30",
        "aws-sdk-go-v2/1.25.0",
    );
    let root = Principal {
        arn: format!("arn:aws:iam::{SCENARIO_ACCOUNT}:root"),
        kind: "Root",
        key: "ASIAROOTSESSION00000".into(),
        user: None,
        ip: "198.51.100.200".into(),
        agent: "console.amazonaws.com",
    };
    let object = |w: &mut Writer, bucket: &str| {
        format!(
            r#"{{"bucketName":"{bucket}","key":"reports/{}/part-{:05}.parquet"}}"#,
            w.rng.random_range(2020..2025),
            w.rng.random_range(0..100_000)
        )
    };
    for hour in 0..DAYS * 24 {
        let h0 = START_MILLIS + hour * HOUR;
        let hour_of_day = hour % 24;
        // People in office hours: a few dozen reads, some tags, an occasional small GetObject.
        if (8..18).contains(&hour_of_day) {
            for p in &people {
                let n = w.rng.random_range(15..35);
                for _ in 0..n {
                    let (source, name, read_only, request) =
                        DAILY_WORK[w.rng.random_range(0..DAILY_WORK.len())];
                    let t = w.spread(h0, HOUR);
                    w.event(
                        p,
                        t,
                        source,
                        name,
                        "us-east-1",
                        read_only,
                        request,
                        None,
                        None,
                    );
                }
                for _ in 0..w.rng.random_range(0..4) {
                    let t = w.spread(h0, HOUR);
                    let request = object(&mut w, "team-shared");
                    w.event(
                        p,
                        t,
                        "s3.amazonaws.com",
                        "GetObject",
                        "us-east-1",
                        true,
                        &request,
                        None,
                        None,
                    );
                }
            }
        }
        // The application: steady reads and decrypts around the clock.
        for _ in 0..w.rng.random_range(40..60) {
            let t = w.spread(h0, HOUR);
            let request = object(&mut w, "app-assets");
            w.event(
                &app,
                t,
                "s3.amazonaws.com",
                "GetObject",
                "us-east-1",
                true,
                &request,
                None,
                None,
            );
        }
        for _ in 0..w.rng.random_range(15..25) {
            let t = w.spread(h0, HOUR);
            w.event(
                &app,
                t,
                "kms.amazonaws.com",
                "Decrypt",
                "us-east-1",
                true,
                r#"{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
                None,
                None,
            );
        }
        // The backup: lists every hour, reads thousands of objects at 02:00 by design.
        for _ in 0..3 {
            let t = w.spread(h0, HOUR);
            w.event(
                &backup,
                t,
                "s3.amazonaws.com",
                "ListObjectsV2",
                "us-east-1",
                true,
                r#"{"bucketName":"finance-data"}"#,
                None,
                None,
            );
        }
        if hour_of_day == 2 {
            for _ in 0..3000 {
                let t = w.spread(h0, HOUR);
                let request = object(&mut w, "finance-data");
                w.event(
                    &backup,
                    t,
                    "s3.amazonaws.com",
                    "GetObject",
                    "us-east-1",
                    true,
                    &request,
                    None,
                    None,
                );
            }
        }
        // The log shipper: every five minutes, 12 PutObject calls that fail.
        for run in 0..12 {
            let t0 = h0 + run * 5 * 60_000;
            for i in 0..12 {
                w.event(
                    &shipper,
                    t0 + i * 1_000,
                    "s3.amazonaws.com",
                    "PutObject",
                    "us-east-1",
                    false,
                    r#"{"bucketName":"central-logs","key":"shipper/batch.gz"}"#,
                    Some("AccessDenied"),
                    None,
                );
            }
        }
    }
    let day = START_MILLIS + ATTACK_DAY * 24 * HOUR;
    let mut planted = Vec::new();
    // 1. carol's key, from a new address: 1,200 objects and 300 decrypts in 40 minutes.
    let carol = &people[2];
    let exfil_start = day + 14 * HOUR;
    for i in 0..1200 {
        let request = object(&mut w, "finance-data");
        w.event(
            carol,
            exfil_start + i * 2_000,
            "s3.amazonaws.com",
            "GetObject",
            "us-east-1",
            true,
            &request,
            None,
            Some("198.51.100.66"),
        );
    }
    for i in 0..300 {
        w.event(
            carol,
            exfil_start + i * 8_000,
            "kms.amazonaws.com",
            "Decrypt",
            "us-east-1",
            true,
            r#"{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
            None,
            Some("198.51.100.66"),
        );
    }
    planted.push(Planted {
        name: "exfiltration",
        principal: carol.arn.clone(),
        start_millis: exfil_start,
    });
    // 2. dave escalates: a new policy version, the admin policy on himself, a key for another
    //    user, in ten minutes.
    let dave = &people[3];
    let esc = day + 10 * HOUR;
    let chain: [(&str, &str); 4] = [
        (
            "CreatePolicyVersion",
            r#"{"policyArn":"arn:aws:iam::111122223333:policy/dev-tools","setAsDefault":true}"#,
        ),
        (
            "AttachUserPolicy",
            r#"{"userName":"dave","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#,
        ),
        ("CreateAccessKey", r#"{"userName":"admin-backup"}"#),
        (
            "CreateLoginProfile",
            r#"{"userName":"admin-backup","passwordResetRequired":false}"#,
        ),
    ];
    for (i, (name, request)) in chain.iter().enumerate() {
        w.event(
            dave,
            esc + i as i64 * 150_000,
            "iam.amazonaws.com",
            name,
            "us-east-1",
            false,
            request,
            None,
            None,
        );
    }
    planted.push(Planted {
        name: "privilege-escalation",
        principal: dave.arn.clone(),
        start_millis: esc,
    });
    // 3. The root user signs in and rewrites the bucket policy of finance-data.
    let root_at = day + 16 * HOUR;
    w.event(
        &root,
        root_at,
        "signin.amazonaws.com",
        "ConsoleLogin",
        "us-east-1",
        false,
        "null",
        None,
        None,
    );
    w.event(&root, root_at + 120_000, "s3.amazonaws.com", "PutBucketPolicy", "us-east-1", false, r#"{"bucketName":"finance-data","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}}"#, None, None);
    planted.push(Planted {
        name: "root-bucket-policy",
        principal: root.arn.clone(),
        start_millis: root_at,
    });
    w.records.sort_by_key(|r| r.0);
    let times = w.records.iter().map(|r| r.0).collect();
    Scenario {
        times,
        records: w.records.into_iter().map(|r| r.1).collect(),
        planted,
        periodic_principal: shipper.arn,
        backup_principal: backup.arn,
    }
}

/// Writes the scenario as hourly gzip log files in a trail's S3 layout below `out` (nothing else:
/// a helper file there would be read as input). Returns the scenario.
pub fn write_attack_scenario(out: &Path, seed: u64) -> std::io::Result<Scenario> {
    let scenario = attack_scenario(seed);
    let mut by_hour: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
    for (record, time) in scenario.records.iter().zip(&scenario.times) {
        by_hour
            .entry(time.div_euclid(HOUR))
            .or_default()
            .push(record);
    }
    for (hour, records) in &by_hour {
        let stamp = crate::events::iso(*hour * 3600);
        let (date, clock) = (
            stamp.get(..10).unwrap_or(""),
            stamp.get(11..13).unwrap_or(""),
        );
        let dir = out.join(format!(
            "AWSLogs/{SCENARIO_ACCOUNT}/CloudTrail/us-east-1/{}",
            date.replace('-', "/")
        ));
        std::fs::create_dir_all(&dir)?;
        let name = format!(
            "{SCENARIO_ACCOUNT}_CloudTrail_us-east-1_{}T{clock}00Z_scenario{hour}.json.gz",
            date.replace('-', "")
        );
        let json = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        std::fs::write(dir.join(name), gzip(json.as_bytes(), 6))?;
    }
    Ok(scenario)
}
