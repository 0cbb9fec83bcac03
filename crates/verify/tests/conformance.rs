//! The 51 reference cases in `../shared/validation-cases` (when present), with the verdicts
//! aws-cli itself gave. In aws-cli mode every file's verdict, the order, the notices, the counts
//! and the exit code must match aws-cli's (with AWS CLI v2's cryptography where v1 and v2
//! differ). In Trailscope's own mode, the cases where aws-cli is lenient (`aws_cli_quirk`) must
//! show the behaviour the README documents.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use trailscope_model::Timestamp;
use trailscope_verify::{verify, Mode, Options, PublicKeys, Report, Signatures, VerifyInputs};

fn cases_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/validation-cases");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("../shared/validation-cases is absent; conformance test skipped");
        None
    }
}

struct Case {
    name: String,
    expected: Value,
    inputs: VerifyInputs,
    options: Options,
}

/// Loads a case: the trail under `s3/`, the keys, and the signatures from `sidecar`.
fn load(dir: &Path, sidecar: Option<&str>) -> Case {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let mut inputs = VerifyInputs::new();
    let root = dir.join("s3");
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            inputs.add_file(&rel, &std::fs::read(entry.path()).unwrap());
        }
    }
    inputs.trusted_keys =
        PublicKeys::from_json(&std::fs::read(dir.join("public-keys.json")).unwrap()).unwrap();
    let mut signatures = Signatures::default();
    if let Some(name) = sidecar {
        let path = dir.join(name);
        if path.exists() {
            let _ = signatures.add_json(&std::fs::read(&path).unwrap(), name);
        }
    }
    inputs.signatures = signatures;
    let argv: Vec<String> = serde_json::from_value(expected["argv"].clone()).unwrap();
    let arg = |flag: &str| {
        argv.iter()
            .position(|a| a == flag)
            .map(|i| argv[i + 1].clone())
    };
    let options = Options {
        start: arg("--start-time").and_then(|t| Timestamp::parse_rfc3339(&t)),
        end: arg("--end-time").and_then(|t| Timestamp::parse_rfc3339(&t)),
        mode: Mode::AwsCli,
        checked_at: None,
    };
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        expected,
        inputs,
        options,
    }
}

fn cases() -> Vec<PathBuf> {
    let Some(dir) = cases_dir() else {
        return Vec::new();
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    cases
}

fn lines(report: &Report) -> Vec<(String, bool, String, String, String)> {
    report
        .results
        .iter()
        .map(|r| {
            let kind = match r.object {
                trailscope_verify::ObjectType::Digest => "digest",
                trailscope_verify::ObjectType::Log => "log",
            };
            (
                kind.to_string(),
                r.backfill,
                r.bucket.clone(),
                r.key.clone(),
                r.verdict.clone(),
            )
        })
        .collect()
}

fn expected_lines(results: &Value) -> Vec<(String, bool, String, String, String)> {
    results
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] != "gap")
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_string(),
                r["backfill"].as_bool().unwrap_or(false),
                r["bucket"].as_str().unwrap().to_string(),
                r["key"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// In aws-cli mode every case reproduces aws-cli file for file, with either sidecar: the
/// S3 metadata aws-cli read, or the flat `{key: signature}` map a user would build.
#[test]
fn aws_cli_verdicts_are_reproduced() {
    let mut checked = 0;
    for dir in cases() {
        for sidecar in ["s3-metadata.json", "signatures.json"] {
            let case = load(&dir, Some(sidecar));
            let context = format!("case {} with {sidecar}", case.name);
            // Where v1 and v2 crypto differ, we follow v2.
            let oracle = if case.expected.get("oracle_awscli_v2_crypto").is_some() {
                &case.expected["oracle_awscli_v2_crypto"]
            } else {
                &case.expected
            };
            let report = verify(&case.inputs, &case.options);
            assert_eq!(
                i64::from(report.exit_code()),
                oracle["exit_code"].as_i64().unwrap(),
                "{context}: exit code"
            );
            assert_eq!(
                report.fatal.as_deref(),
                case.expected["fatal_error"].as_str(),
                "{context}: fatal error"
            );
            assert_eq!(
                lines(&report),
                expected_lines(&oracle["results"]),
                "{context}"
            );
            let expected_notices: Vec<String> = case.expected["stderr"]
                .as_str()
                .unwrap_or("")
                .lines()
                .filter(|l| l.contains("No log files were delivered"))
                .map(str::to_string)
                .collect();
            assert_eq!(report.notices, expected_notices, "{context}: notices");
            if let Some(summary) = case
                .expected
                .get("summary")
                .filter(|_| case.expected.get("oracle_awscli_v2_crypto").is_none())
            {
                let s = &report.summary;
                let count = |path: &[&str]| {
                    path.iter()
                        .fold(summary, |v, k| &v[*k])
                        .as_u64()
                        .unwrap_or(0)
                };
                assert_eq!(s.digests.valid, count(&["digest", "valid"]), "{context}");
                assert_eq!(s.digests.total(), count(&["digest", "total"]), "{context}");
                assert_eq!(
                    s.backfill_digests.valid,
                    count(&["backfill_digest", "valid"]),
                    "{context}"
                );
                assert_eq!(
                    s.backfill_digests.total(),
                    count(&["backfill_digest", "total"]),
                    "{context}"
                );
                assert_eq!(s.logs.valid, count(&["log", "valid"]), "{context}");
                assert_eq!(s.logs.total(), count(&["log", "total"]), "{context}");
                if let Some(found) = summary.get("found").and_then(Value::as_array) {
                    let ours = s
                        .found
                        .as_ref()
                        .map(|f| vec![f.start.clone(), f.end.clone()]);
                    let theirs: Vec<String> = found
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(ours, Some(theirs), "{context}: found");
                }
            }
        }
        checked += 1;
    }
    if cases_dir().is_some() {
        assert_eq!(checked, 51, "every case");
    }
}

fn strict(dir: &Path, sidecar: Option<&str>) -> (Case, Report) {
    let mut case = load(dir, sidecar);
    case.options.mode = Mode::Strict;
    let report = verify(&case.inputs, &case.options);
    (case, report)
}

fn verdicts(report: &Report) -> Vec<String> {
    report.results.iter().map(|r| r.verdict.clone()).collect()
}

fn kinds(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.kind).collect()
}

#[test]
fn lenient_aws_cli_cases_get_the_documented_strict_behaviour() {
    let Some(root) = cases_dir() else { return };
    let all_valid = |r: &Report| r.results.iter().all(|x| x.verdict == "valid");

    // Missing gzip trailer: content matches, valid, with a finding.
    let (_, r) = strict(&root.join("log_truncated_trailer"), Some("signatures.json"));
    assert!(all_valid(&r));
    assert!(kinds(&r).contains(&"log_gzip_trailer_missing"));

    // Data after a digest's gzip stream: the signed content is intact; valid with a finding.
    let (_, r) = strict(
        &root.join("digest_trailing_garbage"),
        Some("signatures.json"),
    );
    assert!(all_valid(&r));
    assert!(kinds(&r).contains(&"digest_trailing_data"));

    // Non-canonical and SHA-512 signatures: invalid, as AWS CLI v2 says.
    for case in ["signature_plus_modulus", "signature_sha512_by_legit_key"] {
        let (_, r) = strict(&root.join(case), Some("signatures.json"));
        assert_eq!(
            r.results
                .iter()
                .filter(|x| x.verdict == "INVALID: signature verification failed")
                .count(),
            1,
            "{case}"
        );
    }

    // SPKI keys are accepted and reported.
    let (_, r) = strict(&root.join("public_keys_spki"), Some("signatures.json"));
    assert!(all_valid(&r));
    assert!(kinds(&r).contains(&"key_spki"));

    // No trusted keys: every digest is unverifiable, never valid (aws-cli aborts instead), and
    // the report says which keys to supply.
    let (_, r) = strict(&root.join("public_keys_empty"), Some("signatures.json"));
    assert!(!r.has_invalid());
    assert!(r
        .results
        .iter()
        .all(|x| x.verdict == "UNVERIFIABLE: no trusted public keys were given"));
    assert!(kinds(&r).contains(&"no_public_keys"));
    assert_eq!(r.overall(), trailscope_verify::Overall::Unproven);
    assert!(
        r.headline()
            .contains("aws cloudtrail list-public-keys --start-time"),
        "{}",
        r.headline()
    );

    // Only the newest signature given: the chain vouches for every older digest.
    let (_, r) = strict(
        &root.join("signatures_only_newest"),
        Some("signatures.json"),
    );
    assert!(all_valid(&r), "{:?}", verdicts(&r));
    assert!(kinds(&r).contains(&"signature_from_chain"));

    // No signature at all: the newest digest is unverifiable, never valid; the rest verify.
    let (_, r) = strict(&root.join("signatures_none"), None);
    let digests: Vec<&str> = r
        .results
        .iter()
        .filter(|x| x.object == trailscope_verify::ObjectType::Digest)
        .map(|x| x.verdict.as_str())
        .collect();
    assert!(digests[0].starts_with("UNVERIFIABLE: signature not available"));
    assert!(digests[1..].iter().all(|v| *v == "valid"));
    assert!(!r.has_invalid());

    // Newest digest deleted: a warning against the window's end.
    let (_, r) = strict(&root.join("digest_deleted_newest"), Some("signatures.json"));
    assert!(
        r.findings.iter().any(|f| f.kind == "newest_digest"
            && f.severity == trailscope_verify::IntegritySeverity::Warning),
        "{:?}",
        r.findings
    );

    // Two consecutive digests deleted: the missing link and the uncovered time are reported.
    let (_, r) = strict(
        &root.join("digest_deleted_two_consecutive"),
        Some("signatures.json"),
    );
    assert!(kinds(&r).contains(&"digest_missing"));
    assert!(kinds(&r).contains(&"coverage_gap"));

    // A log file no digest names.
    let (_, r) = strict(
        &root.join("log_extra_unreferenced"),
        Some("signatures.json"),
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.kind == "log_not_covered" && f.message.contains("Xtra0000Injected")));
    assert_eq!(r.summary.logs_not_covered, 1);

    // An edited key value under a genuine fingerprint.
    let (_, r) = strict(
        &root.join("public_key_value_mismatch"),
        Some("signatures.json"),
    );
    assert!(kinds(&r).contains(&"key_fingerprint_mismatch"));
    assert!(r.has_invalid());

    // The key list is the trust anchor: an injected key verifies, and is listed as used.
    let (_, r) = strict(
        &root.join("public_keys_attacker_injected"),
        Some("signatures.json"),
    );
    assert!(
        r.summary
            .keys_used
            .iter()
            .any(|k| k.starts_with("2af03e73")),
        "{:?}",
        r.summary.keys_used
    );
}

#[test]
fn strict_mode_never_calls_tampered_files_valid() {
    // Every case aws-cli calls invalid stays invalid (or unverifiable) in our mode, except
    // where the file itself is untouched and only its proof moved: the SPKI key encoding, which
    // we accept on purpose, and signatures missing from the metadata, which the next digest's
    // record supplies (the digest's content is what the signature proves).
    const FILE_UNTOUCHED: [&str; 4] = [
        "public_keys_spki",
        "signature_missing",
        "signatures_only_newest",
        "signatures_none",
    ];
    for dir in cases() {
        let (case, r) = strict(&dir, Some("s3-metadata.json"));
        if FILE_UNTOUCHED.contains(&case.name.as_str()) {
            continue;
        }
        for expected in case.expected["results"].as_array().unwrap() {
            if expected["verdict"] == "valid" || expected["type"] == "gap" {
                continue;
            }
            let ours = r.results.iter().find(|x| {
                x.key == expected["key"].as_str().unwrap()
                    && x.bucket == expected["bucket"].as_str().unwrap()
            });
            if let Some(ours) = ours {
                assert_ne!(ours.verdict, "valid", "case {}: {}", case.name, ours.key);
            }
        }
    }
}

/// The overall verdict an auditor would cite, for every reference case in Trailscope's own mode:
/// only the untouched trails (and those whose file is untouched while only its proof moved,
/// or whose damage aws-cli ignores and Trailscope reports) read as intact.
#[test]
fn the_headline_follows_the_worst_finding() {
    const INTACT: &[&str] = &[
        "baseline",
        "variant_logging_gap",
        "variant_backfill",
        "variant_org_trail",
        "variant_s3_prefix",
        "variant_bucket_change",
        "variant_window_subset",
        "public_keys_cli_v2_format",
        "log_recompressed",
        "signature_uppercase",
        // Quirks kept with a warning: the signed content is intact.
        "log_truncated_trailer",
        "digest_trailing_garbage",
        // The same RSA key, re-wrapped; its fingerprint still names it.
        "public_keys_spki",
        // The signature comes from the next digest's record instead of the metadata.
        "signature_missing",
        "signatures_only_newest",
    ];
    const UNPROVEN: &[&str] = &[
        "public_keys_empty",
        "log_extra_unreferenced",
        "digest_deleted_newest",
        "signatures_none",
    ];
    let mut seen = 0;
    for dir in cases() {
        let (case, r) = strict(&dir, Some("signatures.json"));
        let expected = if INTACT.contains(&case.name.as_str()) {
            trailscope_verify::Overall::Intact
        } else if UNPROVEN.contains(&case.name.as_str()) {
            trailscope_verify::Overall::Unproven
        } else {
            trailscope_verify::Overall::NotIntact
        };
        assert_eq!(
            r.overall(),
            expected,
            "case {}: {}",
            case.name,
            r.headline()
        );
        assert_eq!(
            r.exit_code(),
            u8::from(expected != trailscope_verify::Overall::Intact),
            "case {}",
            case.name
        );
        if expected == trailscope_verify::Overall::NotIntact {
            assert!(
                r.headline().starts_with("Tampering or damage found"),
                "{}",
                r.headline()
            );
        }
        seen += 1;
    }
    if cases_dir().is_some() {
        assert_eq!(seen, 51);
    }
}
