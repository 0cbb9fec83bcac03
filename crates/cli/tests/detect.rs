//! `trailscope detect` end to end: built-in, file and Sigma rules, JSON and text, exit codes.
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

fn trailscope(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .arg("detect")
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn event(id: u32, time: &str, source: &str, name: &str, extra: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventID":"id-{id}","eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","readOnly":false,"userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice"}}{extra}}}"#
    )
}

/// A log with a StopLogging call at Saturday 03:00 UTC, an AccessDenied, a HeadBucket denial
/// (not counted by CIS 4.1), an IAM change at 07:30 UTC Thursday and an EBS encryption change.
fn write_log(dir: &Path) -> std::path::PathBuf {
    let records = [
        event(
            1,
            "2024-03-02T03:00:00Z",
            "cloudtrail.amazonaws.com",
            "StopLogging",
            "",
        ),
        event(
            2,
            "2024-02-29T12:00:00Z",
            "s3.amazonaws.com",
            "GetObject",
            r#","errorCode":"AccessDenied""#,
        ),
        event(
            3,
            "2024-02-29T12:00:00Z",
            "s3.amazonaws.com",
            "HeadBucket",
            r#","errorCode":"AccessDenied""#,
        ),
        event(
            4,
            "2024-02-29T07:30:00Z",
            "iam.amazonaws.com",
            "CreateUser",
            "",
        ),
        event(
            5,
            "2024-02-29T12:00:00Z",
            "ec2.amazonaws.com",
            "DisableEbsEncryptionByDefault",
            "",
        ),
    ];
    let path = dir.join("trail.json");
    std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    path
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn finding<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
}

#[test]
fn json_report_lists_findings_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let out = trailscope(&["--json"], &[&log]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    let stop = finding(&report, "cloudtrail-stopped-or-deleted").unwrap();
    assert_eq!(stop["severity"], "critical");
    assert_eq!(stop["events"], 1);
    assert_eq!(stop["event_ids"], serde_json::json!(["id-1"]));
    assert_eq!(stop["tactics"], serde_json::json!(["defense-evasion"]));
    let unauthorized = finding(&report, "cis-4.1").unwrap();
    assert_eq!(unauthorized["aliases"], serde_json::json!(["cis-v6-5.1"]));
    assert_eq!(unauthorized["event_ids"], serde_json::json!(["id-2"]));
    // The v1.2.0 filter has no HeadBucket exclusion.
    let v12 = finding(&report, "cis-v1.2-3.1").unwrap();
    assert_eq!(v12["event_ids"], serde_json::json!(["id-2", "id-3"]));
    // 07:30 UTC is outside the default business hours.
    assert!(finding(&report, "iam-change-outside-business-hours").is_some());
    assert!(report["anomalies"].as_array().unwrap().is_empty());
}

#[test]
fn only_and_exclude_choose_rules_by_id_or_alias() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let rules_of = |out: &Output| -> Vec<String> {
        json_of(out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let out = trailscope(
        &[
            "--json",
            "--only",
            "cis-v6-5.1",
            "--only",
            "cloudtrail-stopped-or-deleted",
        ],
        &[&log],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(rules_of(&out), ["cloudtrail-stopped-or-deleted", "cis-4.1"]);
    let out = trailscope(
        &[
            "--json",
            "--exclude",
            "cis-4.1",
            "--exclude",
            "cis-v1.2-3.1",
        ],
        &[&log],
    );
    let rules = rules_of(&out);
    assert!(
        rules.contains(&"cloudtrail-stopped-or-deleted".to_string()),
        "{rules:?}"
    );
    assert!(
        !rules.iter().any(|r| r.contains("3.1") || r == "cis-4.1"),
        "{rules:?}"
    );
    // A typo is a usage error naming the id, not a silent empty run.
    let out = trailscope(&["--only", "cis-4.99"], &[&log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cis-4.99"));
}

#[test]
fn list_rules_needs_no_input_and_names_each_rules_source_filter() {
    let out = trailscope(&["--list-rules"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cis-4.2-sso") && text.contains("implements: CIS AWS Foundations"));
    let out = trailscope(&["--list-rules", "--json", "--exclude", "cis-4.2-sso"], &[]);
    let rules = json_of(&out)["rules"].as_array().unwrap().clone();
    assert!(rules.iter().all(|r| r["id"] != "cis-4.2-sso"));
    let primary = rules.iter().find(|r| r["id"] == "cis-4.2").unwrap();
    assert!(primary["implements"]["filter"]
        .as_str()
        .unwrap()
        .contains(r#"$.additionalEventData.MFAUsed != "Yes""#));
    // Without --list-rules, input paths are required.
    assert_eq!(trailscope(&[], &[]).status.code(), Some(2));
}

#[test]
fn business_hours_and_offset_options_apply() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    // At +02:00, 07:30 UTC is 09:30: inside 08-18.
    let out = trailscope(
        &[
            "--json",
            "--business-hours",
            "08-18",
            "--utc-offset",
            "+02:00",
        ],
        &[&log],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(finding(&json_of(&out), "iam-change-outside-business-hours").is_none());
    let out = trailscope(
        &[
            "--json",
            "--business-hours",
            "10-18",
            "--utc-offset",
            "+02:00",
        ],
        &[&log],
    );
    assert!(finding(&json_of(&out), "iam-change-outside-business-hours").is_some());
    let out = trailscope(&["--business-hours", "eight-to-six"], &[&log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("eight-to-six"));
}

#[test]
fn rule_and_sigma_files_add_rules() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let rules = dir.path().join("mine.yaml");
    std::fs::write(
        &rules,
        "- id: my-ebs\n  title: EBS default encryption off\n  severity: high\n  tactics: [impact]\n  condition: {field: eventName, prefix: DisableEbs}\n",
    )
    .unwrap();
    let sigma = dir.path().join("sigma.yml");
    std::fs::write(
        &sigma,
        "title: AWS EC2 Disable EBS Encryption\nid: 16124c2d-e40b-4fcc-8f2c-5ab7870a2223\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventSource: ec2.amazonaws.com\n    eventName: DisableEbsEncryptionByDefault\n  condition: selection\nlevel: medium\n",
    )
    .unwrap();
    let out = trailscope(
        &[
            "--json",
            "--rules",
            rules.to_str().unwrap(),
            "--sigma",
            sigma.to_str().unwrap(),
        ],
        &[&log],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    assert_eq!(
        finding(&report, "my-ebs").unwrap()["event_ids"],
        serde_json::json!(["id-5"])
    );
    assert_eq!(
        finding(&report, "16124c2d-e40b-4fcc-8f2c-5ab7870a2223").unwrap()["events"],
        1
    );

    // Text output: a table row per finding.
    let out = trailscope(&["--rules", rules.to_str().unwrap()], &[&log]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SEVERITY") && text.contains("my-ebs") && text.contains("critical"),
        "{text}"
    );
}

#[test]
fn bad_rule_files_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let bad = dir.path().join("bad-rules.yaml");
    std::fs::write(
        &bad,
        "- id: x\n  title: T\n  severity: urgent\n  condition: {field: eventName, equals: A}\n",
    )
    .unwrap();
    let out = trailscope(&["--rules", bad.to_str().unwrap()], &[&log]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-rules.yaml") && err.contains("urgent"),
        "{err}"
    );

    let sigma = dir.path().join("windows.yml");
    std::fs::write(&sigma, "title: W\nlogsource:\n  product: windows\ndetection:\n  s:\n    EventID: 1\n  condition: s\n").unwrap();
    let out = trailscope(&["--sigma", sigma.to_str().unwrap()], &[&log]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("windows.yml") && err.contains("not AWS CloudTrail"),
        "{err}"
    );

    let dup = dir.path().join("dup.yaml");
    std::fs::write(
        &dup,
        "id: cis-4.1\ntitle: T\nseverity: low\ncondition: {field: eventName, equals: A}\n",
    )
    .unwrap();
    let out = trailscope(&["--rules", dup.to_str().unwrap()], &[&log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate rule id cis-4.1"));
}

#[test]
fn a_failed_input_exits_one_and_still_reports() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let broken = dir.path().join("broken.json.gz");
    std::fs::write(&broken, b"\x1f\x8b\x08\x00garbage").unwrap();
    let out = trailscope(&["--json"], &[&log, &broken]);
    assert_eq!(out.status.code(), Some(1));
    assert!(finding(&json_of(&out), "cloudtrail-stopped-or-deleted").is_some());
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // A report larger than a pipe holds (thousands of matched event ids), read 64 bytes of.
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<String> = (0..30_000u32)
        .map(|i| {
            event(
                i,
                "2024-02-29T12:00:00Z",
                "s3.amazonaws.com",
                "GetObject",
                r#","errorCode":"AccessDenied""#,
            )
        })
        .collect();
    let path = dir.path().join("many.json");
    std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["detect", "--json"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn emit_sql_prints_each_rule_as_sql_and_names_what_it_cannot_express() {
    let out = trailscope(
        &[
            "--emit-sql",
            "spark",
            "--only",
            "cis-4.3",
            "--only",
            "console-login-brute-force",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("-- cis-4.3: Root account usage (high)\nSELECT *\nFROM events\nWHERE "),
        "{text}"
    );
    assert!(text.contains("-- console-login-brute-force: "), "{text}");
    assert!(
        text.contains("RANGE BETWEEN CURRENT ROW AND 300000 FOLLOWING"),
        "{text}"
    );
    assert_eq!(text.matches(";\n").count(), 2, "{text}");

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "- id: by-user\n  title: T\n  severity: low\n  condition: {field: user, equals: alice}\n",
    )
    .unwrap();
    let out = trailscope(
        &[
            "--emit-sql",
            "athena",
            "--json",
            "--only",
            "by-user",
            "--only",
            "cis-4.5",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rule by-user: user is Trailscope's reading")
    );
    let report = json_of(&out);
    let listed = report["rules"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let of = |id: &str| listed.iter().find(|r| r["id"] == id).unwrap();
    assert!(of("cis-4.5")["sql"]
        .as_str()
        .unwrap()
        .contains("FROM cloudtrail_logs"));
    assert!(of("by-user")["not_expressible"]
        .as_str()
        .unwrap()
        .contains("userIdentity.arn"));
}
