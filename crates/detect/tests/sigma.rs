//! Sigma import: real SigmaHQ CloudTrail rules (as published) and the supported constructs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{call, store_of, with};
use serde_json::{json, Value};
use trailscope_detect::sigma::{parse_sigma, SigmaError};
use trailscope_detect::{RuleSet, Severity, Tactic};

fn rule_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/sigma/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Rows of `records` the Sigma rule in `file` matches.
fn matched(file: &str, records: &[Value]) -> Vec<u32> {
    let rule = parse_sigma(&rule_file(file)).unwrap();
    let set = RuleSet::new(vec![rule]).unwrap();
    set.evaluate(&store_of(records)).remove(0).rows
}

#[test]
fn cloudtrail_important_change() {
    let rule = parse_sigma(&rule_file("cloudtrail_important_change.yml")).unwrap();
    assert_eq!(rule.id, "4db60cc0-36fb-42b7-9b58-a5b53019fb74");
    assert_eq!(rule.severity, Severity::Medium);
    assert_eq!(rule.tactics, vec![Tactic::DefenseEvasion]);
    assert_eq!(rule.techniques, vec!["T1562.001".to_string()]);
    let rows = matched(
        "cloudtrail_important_change.yml",
        &[
            call("cloudtrail.amazonaws.com", "StopLogging"),
            call("cloudtrail.amazonaws.com", "updatetrail"), // Sigma matching ignores case
            call("cloudtrail.amazonaws.com", "StartLogging"),
            call("s3.amazonaws.com", "DeleteTrail"),
        ],
    );
    assert_eq!(rows, vec![0, 1]);
}

#[test]
fn root_credentials_null_means_absent() {
    let root = with(
        call("iam.amazonaws.com", "CreateUser"),
        "userIdentity",
        json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root"}),
    );
    let rows = matched(
        "root_credentials.yml",
        &[
            root.clone(),
            with(
                root.clone(),
                "userIdentity.invokedBy",
                json!("support.amazonaws.com"),
            ),
            with(root.clone(), "eventType", json!("AwsServiceEvent")),
            call("iam.amazonaws.com", "CreateUser"),
        ],
    );
    assert_eq!(rows, vec![0]);
}

#[test]
fn ec2_disable_ebs_encryption() {
    let rule = parse_sigma(&rule_file("ec2_disable_ebs_encryption.yml")).unwrap();
    assert_eq!(rule.tactics, vec![Tactic::Impact]);
    assert_eq!(
        rule.techniques,
        vec!["T1486".to_string(), "T1565".to_string()]
    );
    let rows = matched(
        "ec2_disable_ebs_encryption.yml",
        &[
            call("ec2.amazonaws.com", "DisableEbsEncryptionByDefault"),
            call("ec2.amazonaws.com", "EnableEbsEncryptionByDefault"),
        ],
    );
    assert_eq!(rows, vec![0]);
}

#[test]
fn iam_backdoor_users_keys_filter() {
    let key = call("iam.amazonaws.com", "CreateAccessKey");
    let rows = matched(
        "iam_backdoor_users_keys.yml",
        &[
            key.clone(),
            with(
                key.clone(),
                "userIdentity.arn",
                json!("arn:aws:iam::1:user/responseElements.accessKey.userName"),
            ),
            call("iam.amazonaws.com", "ListAccessKeys"),
        ],
    );
    assert_eq!(rows, vec![0]);
}

#[test]
fn modifiers_lists_wildcards_and_of_patterns() {
    let agent = |e: Value, ua: &str| with(e, "userAgent", json!(ua));
    let region = |e: Value, r: &str| with(e, "awsRegion", json!(r));
    let rows = matched(
        "combined_features.yml",
        &[
            call("ec2.amazonaws.com", "DeleteVpc"), // startswith + endswith
            agent(
                call("s3.amazonaws.com", "GetObject"),
                "Boto3/1.34 Python/3.11",
            ), // contains|all
            call("s3.amazonaws.com", "PutBucketAcl"), // re
            call("ec2.amazonaws.com", "deletevpc"), // case-insensitive startswith
            with(
                call("ec2.amazonaws.com", "DeleteVpc"),
                "userIdentity",
                json!({"type": "AWSService"}),
            ),
            with(
                call("ec2.amazonaws.com", "DeleteVpc"),
                "userIdentity.invokedBy",
                json!("ec2.amazonaws.com"),
            ),
            region(call("ec2.amazonaws.com", "DeleteVpc"), "eu-west-1"),
            agent(
                call("s3.amazonaws.com", "GetObject"),
                "python-requests/2.31",
            ),
            call("s3.amazonaws.com", "putbucketacl"), // re is case-sensitive
            call("ec2.amazonaws.com", "DescribeVpcs"),
        ],
    );
    assert_eq!(rows, vec![0, 1, 2, 3]);
}

fn sigma_with(detection: &str) -> String {
    format!("title: T\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}")
}

#[test]
fn all_of_them_and_or() {
    let rule = parse_sigma(&sigma_with(
        "  a:\n    eventName: X\n  b:\n    awsRegion: us-east-1\n  condition: all of them\n",
    ))
    .unwrap();
    let set = RuleSet::new(vec![rule]).unwrap();
    let store = store_of(&[
        call("s", "X"),
        with(call("s", "X"), "awsRegion", json!("eu-west-1")),
        call("s", "Y"),
    ]);
    assert_eq!(set.evaluate(&store)[0].rows, vec![0]);
    let rule = parse_sigma(&sigma_with(
        "  a:\n    eventName: X\n  b:\n    eventName: Y\n  condition: a or b\n",
    ))
    .unwrap();
    assert_eq!(rule.id, "sigma-t");
    let set = RuleSet::new(vec![rule]).unwrap();
    assert_eq!(set.evaluate(&store)[0].rows, vec![0, 1, 2]);
}

#[test]
fn unsupported_constructs_are_named() {
    let err = |d: &str| parse_sigma(&sigma_with(d)).unwrap_err();
    assert_eq!(
        err("  s:\n    requestParameters.policy|base64offset|contains: abc\n  condition: s\n"),
        SigmaError::Modifier("base64offset".into())
    );
    assert_eq!(
        err("  s:\n    eventName|frobnicate: x\n  condition: s\n"),
        SigmaError::UnknownModifier("frobnicate".into())
    );
    assert!(
        matches!(err("  s:\n    eventName: ConsoleLogin\n  condition: s | count() by sourceIPAddress > 10\n"), SigmaError::Unsupported(m) if m.contains("count"))
    );
    assert!(
        matches!(err("  s:\n    eventName: A\n  t:\n    eventName: B\n  condition: s near t\n"), SigmaError::Unsupported(m) if m.contains("near"))
    );
    assert!(
        matches!(err("  s:\n    - evil\n    - bad\n  condition: s\n"), SigmaError::Unsupported(m) if m.contains("keyword"))
    );
    assert_eq!(
        err("  s:\n    eventName: A\n  condition: s and t\n"),
        SigmaError::UnknownIdentifier("t".into())
    );
    let windows = "title: W\nlogsource:\n  product: windows\n  service: security\ndetection:\n  s:\n    EventID: 4624\n  condition: s\n";
    assert_eq!(
        parse_sigma(windows).unwrap_err(),
        SigmaError::Logsource {
            product: "windows".into(),
            service: "security".into()
        }
    );
    assert!(parse_sigma(windows)
        .unwrap_err()
        .to_string()
        .contains("windows"));
}
