//! `trailscope verify` end to end on generated signed trails (and, when present, a reference case).
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailscope_testgen::{signed_trail, SignedTrail, SignedTrailSpec};

fn write_trail(dir: &Path, trail: &SignedTrail) -> (PathBuf, PathBuf, PathBuf) {
    let root = dir.join("download");
    for (path, bytes) in &trail.files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    let keys = dir.join("public-keys.json");
    std::fs::write(&keys, &trail.public_keys_json).unwrap();
    let sigs = dir.join("signatures.json");
    std::fs::write(&sigs, &trail.signatures_json).unwrap();
    (root, keys, sigs)
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_sound_trail_verifies_and_a_tampered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut trail = signed_trail(&SignedTrailSpec::default());
    let (root, keys, sigs) = write_trail(dir.path(), &trail);
    let (code, out, _) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--signatures".as_ref(),
        sigs.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 4 + 8);
    assert!(results.iter().all(|r| r["verdict"] == "valid"));
    assert_eq!(results[0]["type"], "digest");
    assert_eq!(results[0]["bucket"], "test-trail-bucket");
    assert_eq!(report["summary"]["digests"]["valid"], 4);

    // Text output reads like aws-cli's.
    let (_, text, _) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--signatures".as_ref(),
        sigs.as_os_str(),
    ]);
    assert!(
        text.starts_with("Digest file\ts3://test-trail-bucket/AWSLogs/"),
        "{text}"
    );
    assert!(
        text.contains("4/4 digest files valid\n8/8 log files valid\n"),
        "{text}"
    );

    // One log file changed.
    let log = trail.digests[2].logs[1].clone();
    let bucket = trail.bucket.clone();
    let bytes = trail.file_mut(&log).unwrap();
    let n = bytes.len();
    bytes[n - 7] ^= 1;
    std::fs::write(root.join(format!("{bucket}/{log}")), &*bytes).unwrap();
    let (code, out, _) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--signatures".as_ref(),
        sigs.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    let bad = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == log.as_str())
        .unwrap();
    assert_eq!(bad["verdict"], "INVALID: invalid format");
}

#[test]
fn without_signatures_the_chain_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let trail = signed_trail(&SignedTrailSpec::default());
    let (root, keys, _) = write_trail(dir.path(), &trail);
    let (code, out, _) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "unverifiable is not invalid");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(report["results"][0]["verdict"]
        .as_str()
        .unwrap()
        .starts_with("UNVERIFIABLE"));
    assert_eq!(report["summary"]["digests"]["valid"], 3);
    assert_eq!(report["summary"]["digests"]["unverifiable"], 1);
    // aws-cli's reading: nothing verifies without metadata.
    let (code, _, _) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--aws-cli-compat".as_ref(),
    ]);
    assert_eq!(code, 1);
}

#[test]
fn usage_errors_exit_with_two() {
    let dir = tempfile::tempdir().unwrap();
    let trail = signed_trail(&SignedTrailSpec::default());
    let (root, keys, _) = write_trail(dir.path(), &trail);
    let (code, _, _) = run(&[root.as_os_str()]);
    assert_eq!(code, 2, "--public-keys is required");
    let (code, _, err) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--start-time".as_ref(),
        "yesterday".as_ref(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--start-time"), "{err}");
    let (code, _, err) = run(&[root.as_os_str(), "--public-keys".as_ref(), root.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let (code, _, err) = run(&[root.as_os_str(), "--public-keys".as_ref(), bad.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("list-public-keys"), "{err}");
}

#[test]
fn a_reference_case_through_the_cli() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/validation-cases/digest_deleted_middle");
    if !case.is_dir() {
        return;
    }
    let (code, out, _) = run(&[
        case.join("s3").as_os_str(),
        "--public-keys".as_ref(),
        case.join("public-keys.json").as_os_str(),
        "--signatures".as_ref(),
        case.join("s3-metadata.json").as_os_str(),
        "--start-time".as_ref(),
        "2024-02-28T20:47:12Z".as_ref(),
        "--end-time".as_ref(),
        "2024-02-29T04:47:12Z".as_ref(),
        "--json".as_ref(),
        "--aws-cli-compat".as_ref(),
    ]);
    assert_eq!(code, 1);
    let ours: Value = serde_json::from_str(&out).unwrap();
    let expected: Value =
        serde_json::from_slice(&std::fs::read(case.join("expected.json")).unwrap()).unwrap();
    let pick = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] != "gap")
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_string(),
                    r["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(pick(&ours["results"]), pick(&expected["results"]));
}
