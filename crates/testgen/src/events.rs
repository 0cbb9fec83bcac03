//! Realistic CloudTrail records from a seed.

use std::fmt::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct TrailSpec {
    /// Seed: the same spec always produces the same bytes.
    pub seed: u64,
    /// Accounts events belong to.
    pub accounts: Vec<String>,
    /// Regions events happen in.
    pub regions: Vec<String>,
    /// First event time, seconds since the epoch.
    pub start_unix_seconds: i64,
    /// Average seconds between events.
    pub mean_gap_millis: u64,
}

impl Default for TrailSpec {
    fn default() -> Self {
        TrailSpec {
            seed: 1,
            accounts: vec![
                "123456789012".into(),
                "210987654321".into(),
                "111122223333".into(),
            ],
            regions: vec![
                "us-east-1".into(),
                "us-west-2".into(),
                "eu-west-1".into(),
                "ap-southeast-2".into(),
            ],
            start_unix_seconds: 1_709_164_800, // 2024-02-29T00:00:00Z
            mean_gap_millis: 250,
        }
    }
}

/// One kind of API call the generator can emit.
struct Api {
    source: &'static str,
    name: &'static str,
    read_only: bool,
    /// Relative frequency.
    weight: u32,
}

const APIS: &[Api] = &[
    Api {
        source: "s3.amazonaws.com",
        name: "GetObject",
        read_only: true,
        weight: 30,
    },
    Api {
        source: "s3.amazonaws.com",
        name: "PutObject",
        read_only: false,
        weight: 10,
    },
    Api {
        source: "ec2.amazonaws.com",
        name: "DescribeInstances",
        read_only: true,
        weight: 14,
    },
    Api {
        source: "sts.amazonaws.com",
        name: "AssumeRole",
        read_only: true,
        weight: 12,
    },
    Api {
        source: "kms.amazonaws.com",
        name: "Decrypt",
        read_only: true,
        weight: 10,
    },
    Api {
        source: "iam.amazonaws.com",
        name: "ListRoles",
        read_only: true,
        weight: 4,
    },
    Api {
        source: "iam.amazonaws.com",
        name: "CreateUser",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "iam.amazonaws.com",
        name: "AttachRolePolicy",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "iam.amazonaws.com",
        name: "PutUserPolicy",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "ec2.amazonaws.com",
        name: "RunInstances",
        read_only: false,
        weight: 2,
    },
    Api {
        source: "ec2.amazonaws.com",
        name: "AuthorizeSecurityGroupIngress",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "s3.amazonaws.com",
        name: "PutBucketPolicy",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "lambda.amazonaws.com",
        name: "Invoke",
        read_only: false,
        weight: 6,
    },
    Api {
        source: "signin.amazonaws.com",
        name: "ConsoleLogin",
        read_only: false,
        weight: 1,
    },
    Api {
        source: "cloudtrail.amazonaws.com",
        name: "LookupEvents",
        read_only: true,
        weight: 2,
    },
    Api {
        source: "logs.amazonaws.com",
        name: "PutLogEvents",
        read_only: false,
        weight: 3,
    },
];

const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "deploy-bot",
    "terraform",
    "dave",
    "erin",
    "mallory",
];
const ROLES: &[&str] = &[
    "Admin",
    "ReadOnly",
    "Deployer",
    "LambdaExec",
    "AWSServiceRoleForConfig",
    "DataPipeline",
];
const AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/s3.cp",
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.79 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2",
    "AWS Internal",
];

/// Writes CloudTrail records one after another, with times that only move forward.
pub struct EventGenerator {
    rng: ChaCha8Rng,
    spec: TrailSpec,
    now_millis: i64,
    total_weight: u32,
    counter: u64,
}

impl EventGenerator {
    /// A generator at the start of the spec's time range.
    pub fn new(spec: &TrailSpec) -> Self {
        EventGenerator {
            rng: ChaCha8Rng::seed_from_u64(spec.seed),
            spec: spec.clone(),
            now_millis: spec.start_unix_seconds * 1000,
            total_weight: APIS.iter().map(|a| a.weight).sum(),
            counter: 0,
        }
    }

    /// The time of the last generated event, in milliseconds since the epoch.
    pub fn now_millis(&self) -> i64 {
        self.now_millis
    }

    /// The next record as compact JSON.
    pub fn next_record(&mut self) -> String {
        let mut out = String::with_capacity(1600);
        self.write_record(&mut out);
        out
    }

    /// Appends the next record (compact JSON) to `out`. Returns its event time (epoch millis).
    pub fn write_record(&mut self, out: &mut String) -> i64 {
        let gap = self.rng.random_range(0..=self.spec.mean_gap_millis * 2);
        self.now_millis += gap as i64;
        self.counter += 1;
        let api = self.pick_api();
        let account = pick(&mut self.rng, &self.spec.accounts).clone();
        let region = if api.source == "iam.amazonaws.com" || api.source == "signin.amazonaws.com" {
            "us-east-1".to_string()
        } else {
            pick(&mut self.rng, &self.spec.regions).clone()
        };
        let time = iso(self.now_millis / 1000);
        let event_id = self.uuid();
        let request_id = self.uuid();
        let ip = format!(
            "{}.{}.{}.{}",
            self.rng.random_range(1..224),
            self.rng.random_range(0..256),
            self.rng.random_range(0..256),
            self.rng.random_range(1..255)
        );
        let agent = *pick(&mut self.rng, AGENTS);
        let error = match self.rng.random_range(0..100) {
            0..=3 => Some((
                "AccessDenied",
                "User is not authorized to perform this operation",
            )),
            4 => Some((
                "Client.UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            )),
            5 => Some(("ThrottlingException", "Rate exceeded")),
            _ => None,
        };
        let _ = write!(out, r#"{{"eventVersion":"1.09","userIdentity":"#);
        self.write_identity(out, &account);
        let _ = write!(
            out,
            r#","eventTime":"{time}","eventSource":"{}","eventName":"{}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{agent}","#,
            api.source, api.name
        );
        if let Some((code, message)) = error {
            let _ = write!(out, r#""errorCode":"{code}","errorMessage":"{message}","#);
        }
        self.write_parameters(out, api, &account, &region);
        let _ = write!(
            out,
            r#","requestID":"{request_id}","eventID":"{event_id}","readOnly":{},"eventType":"{}","managementEvent":{},"recipientAccountId":"{account}","eventCategory":"{}","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{}.{region}.amazonaws.com"}}}}"#,
            api.read_only,
            if api.name == "ConsoleLogin" {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            },
            api.source != "s3.amazonaws.com" || !matches!(api.name, "GetObject" | "PutObject"),
            if matches!(api.name, "GetObject" | "PutObject" | "Invoke") {
                "Data"
            } else {
                "Management"
            },
            api.source.trim_end_matches(".amazonaws.com"),
        );
        self.now_millis
    }

    fn pick_api(&mut self) -> &'static Api {
        let mut roll = self.rng.random_range(0..self.total_weight);
        for api in APIS {
            if roll < api.weight {
                return api;
            }
            roll -= api.weight;
        }
        &APIS[0]
    }

    fn uuid(&mut self) -> String {
        let a: u64 = self.rng.random();
        let b: u64 = self.rng.random();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    fn key_id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut s = String::from(prefix);
        for _ in 0..16 {
            s.push(ALPHABET[self.rng.random_range(0..ALPHABET.len())] as char);
        }
        s
    }

    fn write_identity(&mut self, out: &mut String, account: &str) {
        let mfa = self.rng.random_bool(0.5);
        match self.rng.random_range(0..10) {
            0..=5 => {
                let role = *pick(&mut self.rng, ROLES);
                let session = *pick(&mut self.rng, USERS);
                let key = self.key_id("ASIA");
                let principal = self.key_id("AROA");
                let _ = write!(
                    out,
                    r#"{{"type":"AssumedRole","principalId":"{principal}:{session}","arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}","accountId":"{account}","accessKeyId":"{key}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"{principal}","arn":"arn:aws:iam::{account}:role/{role}","accountId":"{account}","userName":"{role}"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"{}","mfaAuthenticated":"{mfa}"}}}}}}"#,
                    iso(self.now_millis / 1000 - 600)
                );
            }
            6..=8 => {
                let user = *pick(&mut self.rng, USERS);
                let key = self.key_id("AKIA");
                let principal = self.key_id("AIDA");
                let _ = write!(
                    out,
                    r#"{{"type":"IAMUser","principalId":"{principal}","arn":"arn:aws:iam::{account}:user/{user}","accountId":"{account}","accessKeyId":"{key}","userName":"{user}"}}"#
                );
            }
            _ => {
                let _ = write!(
                    out,
                    r#"{{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}"#
                );
            }
        }
    }

    fn write_parameters(&mut self, out: &mut String, api: &Api, account: &str, region: &str) {
        let bucket = format!("data-{}-{}", account, self.rng.random_range(0..20));
        let object = format!(
            "exports/2024/{:02}/part-{:05}.parquet",
            self.rng.random_range(1..13),
            self.rng.random_range(0..100_000)
        );
        let _ = match api.name {
            "GetObject" | "PutObject" => write!(
                out,
                r#""requestParameters":{{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","key":"{object}"}},"responseElements":null,"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0.0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{}","bytesTransferredOut":{}}},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/{object}"}},{{"accountId":"{account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]"#,
                self.key_id("x"),
                self.rng.random_range(100..5_000_000)
            ),
            "AssumeRole" => {
                let role = *pick(&mut self.rng, ROLES);
                let key = self.key_id("ASIA");
                let (token, role_id, counter) = (self.key_id(""), self.key_id(""), self.counter);
                write!(
                    out,
                    r#""requestParameters":{{"roleArn":"arn:aws:iam::{account}:role/{role}","roleSessionName":"session-{}","durationSeconds":3600}},"responseElements":{{"credentials":{{"accessKeyId":"{key}","sessionToken":"IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD{}","expiration":"{}"}},"assumedRoleUser":{{"assumedRoleId":"AROA{}:session","arn":"arn:aws:sts::{account}:assumed-role/{role}/session"}}}}"#,
                    counter,
                    token,
                    iso(self.now_millis / 1000 + 3600),
                    role_id
                )
            }
            "DescribeInstances" => write!(
                out,
                r#""requestParameters":{{"instancesSet":{{}},"filterSet":{{"items":[{{"name":"instance-state-name","valueSet":{{"items":[{{"value":"running"}}]}}}}]}}}},"responseElements":null"#
            ),
            "CreateUser" | "PutUserPolicy" | "AttachRolePolicy" => write!(
                out,
                r#""requestParameters":{{"userName":"user-{}","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","policyDocument":"{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}]\n}}"}},"responseElements":null"#,
                self.counter
            ),
            "ConsoleLogin" => write!(
                out,
                r#""requestParameters":null,"responseElements":{{"ConsoleLogin":"Success"}},"additionalEventData":{{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"{}"}}"#,
                if self.rng.random_bool(0.7) {
                    "Yes"
                } else {
                    "No"
                }
            ),
            _ => write!(
                out,
                r#""requestParameters":{{"maxResults":{},"nextToken":"{}"}},"responseElements":null"#,
                self.rng.random_range(10..1000),
                self.key_id("")
            ),
        };
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (proleptic Gregorian, UTC).
pub(crate) fn iso(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_right() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn same_seed_same_records() {
        let spec = TrailSpec::default();
        let a: Vec<String> = {
            let mut g = EventGenerator::new(&spec);
            (0..50).map(|_| g.next_record()).collect()
        };
        let b: Vec<String> = {
            let mut g = EventGenerator::new(&spec);
            (0..50).map(|_| g.next_record()).collect()
        };
        assert_eq!(a, b);
        let mean = a.iter().map(String::len).sum::<usize>() / a.len();
        assert!((1000..2200).contains(&mean), "mean record size {mean}");
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn records_are_valid_json_with_the_usual_fields() {
        let mut g = EventGenerator::new(&TrailSpec::default());
        for _ in 0..2000 {
            let record = g.next_record();
            let v: serde_json::Value =
                serde_json::from_str(&record).unwrap_or_else(|e| panic!("{e}: {record}"));
            for field in [
                "eventID",
                "eventTime",
                "eventName",
                "eventSource",
                "awsRegion",
                "userIdentity",
                "recipientAccountId",
            ] {
                assert!(v.get(field).is_some(), "{field} missing in {record}");
            }
        }
    }
}
