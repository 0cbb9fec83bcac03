//! Every forged trail of the adversarial generator through `trailscope verify`, as a user would
//! run it: the genuine keys given as trusted, the evidence walked whole (planted key lists and
//! sidecars included). Nothing forged may verify, and the trail may never read as intact.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trailscope_testgen::write_forgeries;

fn verify(dir: &Path, compat: bool) -> (i32, Value, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailscope"));
    command
        .arg("verify")
        .arg(dir.join("evidence"))
        .arg("--public-keys")
        .arg(dir.join("trusted-keys.json"))
        .arg("--json");
    if dir.join("signatures.json").exists() {
        command.arg("--signatures").arg(dir.join("signatures.json"));
    }
    if compat {
        command.arg("--aws-cli-compat");
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (out.status.code().unwrap(), json, stderr)
}

#[test]
fn nothing_forged_verifies() {
    let root = tempfile::tempdir().unwrap();
    let n = write_forgeries(root.path()).unwrap();
    assert!(n >= 15, "{n} cases");
    let mut names: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for dir in names {
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let name = expected["name"].as_str().unwrap();
        let (code, report, stderr) = verify(&dir, false);
        assert_eq!(
            report["overall"], expected["overall"],
            "{name}: {}",
            report["headline"]
        );
        assert_ne!(report["overall"], "intact", "{name}");
        assert_eq!(code, 1, "{name}: {stderr}");
        let results = report["results"].as_array().unwrap();
        let verdict_of = |key: &str| {
            results
                .iter()
                .filter(|r| r["key"] == key)
                .map(|r| r["verdict"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        for key in expected["not_valid"].as_array().unwrap() {
            let key = key.as_str().unwrap();
            assert!(
                verdict_of(key).iter().all(|v| v != "valid"),
                "{name}: {key} reads valid"
            );
        }
        for pair in expected["verdicts"].as_array().unwrap() {
            let key = pair["key"].as_str().unwrap();
            assert_eq!(
                verdict_of(key),
                vec![pair["verdict"].as_str().unwrap().to_string()],
                "{name}: {key}"
            );
        }
        let kinds: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        for kind in expected["findings"].as_array().unwrap() {
            assert!(
                kinds.contains(&kind.as_str().unwrap()),
                "{name}: no {kind} finding in {kinds:?}"
            );
        }
        if name == "shadow_copy_in_unsigned_file" {
            let conflicts = report["conflicts"].as_array().unwrap();
            assert_eq!(conflicts.len(), 1, "{name}");
            let copies = conflicts[0]["copies"].as_array().unwrap();
            assert_eq!(copies[0]["shown"], true);
            assert_eq!(copies[0]["integrity"], "verified");
            assert!(copies[1]["path"]
                .as_str()
                .unwrap()
                .ends_with("lookup-events.json"));
            assert!(copies[1]["differences"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["path"] == "sourceIPAddress"));
        }
        // aws-cli's own reading, where the case says what it is.
        if let Some(aws_cli) = expected["overall_aws_cli"].as_str() {
            let (code, _, stderr) = verify(&dir, true);
            let expected_code = if aws_cli == "intact" { 0 } else { 1 };
            assert_eq!(code, expected_code, "{name} in aws-cli mode: {stderr}");
        }
    }
}
