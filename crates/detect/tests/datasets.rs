//! Built-in rules and the anomaly model on the real events of `../shared/datasets`, when present.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use trailscope_detect::anomaly::{detect_anomalies, AnomalyOptions};
use trailscope_detect::RuleSet;
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::Store;

fn dataset(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets")
        .join(name);
    if !dir.is_dir() {
        eprintln!("{} is absent; test skipped", dir.display());
        return None;
    }
    Some(dir)
}

/// The store of every `.json` file of `dir`, and the records as plain JSON for cross-checks.
fn load(dir: &Path) -> (Store, Vec<Value>) {
    let mut store = Store::new();
    let mut records = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        store.load(&path.display().to_string(), |b| {
            ingest_bytes(&bytes, Limits::default(), b)
        });
        match serde_json::from_slice::<Value>(&bytes).unwrap() {
            Value::Array(items) => records.extend(items),
            Value::Object(mut map) => {
                if let Some(Value::Array(items)) = map.remove("Records") {
                    records.extend(items);
                }
            }
            _ => {}
        }
    }
    (store, records)
}

/// Records whose `eventSource` is `source` and `eventName` one of `names`, counted directly.
fn count(records: &[Value], source: &str, names: &[&str]) -> usize {
    records
        .iter()
        .filter(|r| r["eventSource"] == source && names.iter().any(|n| r["eventName"] == *n))
        .count()
}

fn rule_count(set: &RuleSet, store: &Store, id: &str) -> usize {
    let i = set.rules().iter().position(|r| r.id == id).unwrap();
    set.evaluate(store)[i].count()
}

#[test]
fn stratus_red_team_attacks_are_found() {
    let Some(dir) = dataset("stratus-red-team") else {
        return;
    };
    let (store, records) = load(&dir);
    assert!(store.len() > 100);
    let set = RuleSet::builtin();
    let expect = |id: &str, source: &str, names: &[&str]| {
        let n = count(&records, source, names);
        assert!(n > 0, "{id}: the dataset has no {names:?}");
        assert_eq!(rule_count(&set, &store, id), n, "{id}");
    };
    expect(
        "cloudtrail-stopped-or-deleted",
        "cloudtrail.amazonaws.com",
        &["StopLogging", "DeleteTrail"],
    );
    expect(
        "cis-4.5",
        "cloudtrail.amazonaws.com",
        &[
            "StopLogging",
            "DeleteTrail",
            "CreateTrail",
            "UpdateTrail",
            "StartLogging",
        ],
    );
    expect(
        "cis-4.15",
        "organizations.amazonaws.com",
        &["LeaveOrganization"],
    );
    expect(
        "ec2-stop-or-terminate-instances",
        "ec2.amazonaws.com",
        &["StopInstances", "TerminateInstances"],
    );
    expect(
        "cis-4.10",
        "ec2.amazonaws.com",
        &["AuthorizeSecurityGroupIngress"],
    );
}

#[test]
fn invictus_events_run_through_every_rule_and_the_anomaly_model() {
    let Some(dir) = dataset("invictus-sigma-aws") else {
        return;
    };
    let (store, records) = load(&dir);
    let set = RuleSet::builtin();
    let denied = records
        .iter()
        .filter(|r| {
            let code = r["errorCode"].as_str().unwrap_or("");
            (code.ends_with("UnauthorizedOperation") || code.starts_with("AccessDenied"))
                && r["sourceIPAddress"] != "delivery.logs.amazonaws.com"
                && r["eventName"] != "HeadBucket"
        })
        .count();
    assert_eq!(rule_count(&set, &store, "cis-4.1"), denied);
    let stops = count(
        &records,
        "cloudtrail.amazonaws.com",
        &["StopLogging", "DeleteTrail"],
    );
    assert_eq!(
        rule_count(&set, &store, "cloudtrail-stopped-or-deleted"),
        stops
    );
    // About an hour and a half of logs: too little baseline for any anomaly to be judged.
    assert!(detect_anomalies(&store, &AnomalyOptions::default())
        .iter()
        .all(|a| a.baseline_short));
}
