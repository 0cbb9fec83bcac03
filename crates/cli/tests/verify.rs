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
    // Unverifiable is not invalid, but not intact either: the newest digest is not proven.
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["overall"], "unproven");
    assert_eq!(report["exit_code"], 1);
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

/// Every reference case through the CLI in aws-cli mode, as a user would run it: aws-cli's
/// verdict for every file, its exit code (255 and its message when it aborts), with the
/// S3 metadata aws-cli read or the flat signature map.
#[test]
fn every_reference_case_matches_aws_cli_through_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/validation-cases");
    if !root.is_dir() {
        eprintln!("../shared/validation-cases is absent; skipped");
        return;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 51);
    for case in cases {
        let expected: Value =
            serde_json::from_slice(&std::fs::read(case.join("expected.json")).unwrap()).unwrap();
        // Where aws-cli v1 and v2 disagree on the cryptography, v2 is followed.
        let oracle = expected.get("oracle_awscli_v2_crypto").unwrap_or(&expected);
        let argv: Vec<String> = serde_json::from_value(expected["argv"].clone()).unwrap();
        let arg = |flag: &str| {
            argv.iter()
                .position(|a| a == flag)
                .map(|i| argv[i + 1].clone())
        };
        for sidecar in ["s3-metadata.json", "signatures.json"] {
            let mut args: Vec<std::ffi::OsString> = vec![
                case.join("s3").into(),
                "--public-keys".into(),
                case.join("public-keys.json").into(),
                "--signatures".into(),
                case.join(sidecar).into(),
                "--aws-cli-compat".into(),
                "--json".into(),
            ];
            for flag in ["--start-time", "--end-time"] {
                if let Some(value) = arg(flag) {
                    args.push(flag.into());
                    args.push(value.into());
                }
            }
            let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let (code, out, err) = run(&refs);
            let context = format!("{} with {sidecar}", case.display());
            assert_eq!(
                i64::from(code),
                oracle["exit_code"].as_i64().unwrap(),
                "{context}: {err}"
            );
            if let Some(fatal) = expected["fatal_error"].as_str() {
                assert!(err.contains(fatal), "{context}: {err}");
            }
            let ours: Value = serde_json::from_str(&out).unwrap();
            let pick = |v: &Value| -> Vec<(String, bool, String, String)> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["type"] != "gap")
                    .map(|r| {
                        (
                            r["type"].as_str().unwrap().to_string(),
                            r["backfill"].as_bool().unwrap_or(false),
                            r["key"].as_str().unwrap().to_string(),
                            r["verdict"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            };
            assert_eq!(
                pick(&ours["results"]),
                pick(&oracle["results"]),
                "{context}"
            );
        }
    }
}

/// Hostile files in a trail cost bounded time: a digest-named file of gigabytes is refused by
/// its size before it is read, and a log file that is a decompression bomb is stopped by the
/// ingest caps (issue: bounded work on hostile trails).
#[test]
fn hostile_files_are_refused_quickly() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let trail = signed_trail(&SignedTrailSpec::default());
    let (root, keys, sigs) = write_trail(dir.path(), &trail);
    let newest = trail
        .digests
        .iter()
        .rfind(|d| !d.backfill)
        .unwrap()
        .key
        .clone();
    let huge_key = newest.replace("T040000Z", "T050000Z");
    assert_ne!(huge_key, newest);
    let huge = root.join(format!("{}/{huge_key}", trail.bucket));
    std::fs::create_dir_all(huge.parent().unwrap()).unwrap();
    // Sparse: 4 GiB on disk costs nothing, reading it would.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    // 2 GiB of zeros, gzipped to about 2 MB.
    let bomb = root.join(format!("{}/AWSLogs/bomb.json.gz", trail.bucket));
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::best(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..2048 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap();
    let started = std::time::Instant::now();
    let (code, out, err) = run(&[
        root.as_os_str(),
        "--public-keys".as_ref(),
        keys.as_os_str(),
        "--signatures".as_ref(),
        sigs.as_os_str(),
        "--json".as_ref(),
    ]);
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let huge_result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == huge_key.as_str())
        .unwrap();
    assert_eq!(huge_result["verdict"], "INVALID: invalid format");
}
