//! Signed trails made by the test generator with test keys: every kind of trail verifies, and
//! every kind of tampering is caught. Needs nothing from `../shared`.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;

use proptest::prelude::*;
use trailscope_testgen::{public_keys_json, signed_trail, SignedTrail, SignedTrailSpec, TestKey};
use trailscope_verify::{
    verify, Mode, ObjectType, Options, PublicKeys, Report, Signatures, VerifyInputs,
};

fn inputs(trail: &SignedTrail, signatures: Option<&str>) -> VerifyInputs {
    let mut inputs = VerifyInputs::new();
    for (path, bytes) in &trail.files {
        inputs.add_file(&format!("download/{path}"), bytes);
    }
    inputs.trusted_keys = PublicKeys::from_json(trail.public_keys_json.as_bytes()).unwrap();
    if let Some(json) = signatures {
        let mut s = Signatures::default();
        s.add_json(json.as_bytes(), "signatures.json").unwrap();
        inputs.signatures = s;
    }
    inputs
}

fn run(trail: &SignedTrail) -> Report {
    verify(
        &inputs(trail, Some(&trail.signatures_json)),
        &Options::default(),
    )
}

fn verdict_of<'r>(report: &'r Report, key: &str) -> &'r str {
    report
        .results
        .iter()
        .find(|r| r.key == key)
        .map(|r| r.verdict.as_str())
        .unwrap_or_else(|| panic!("{key} not in the report"))
}

fn all_valid(report: &Report) -> bool {
    !report.results.is_empty() && report.results.iter().all(|r| r.verdict == "valid")
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_kind_of_trail_verifies() {
    let specs = [
        SignedTrailSpec::default(),
        SignedTrailSpec {
            prefix: Some("audit/cloudtrail".into()),
            ..Default::default()
        },
        SignedTrailSpec {
            org_id: Some("o-a1b2c3d4e5".into()),
            ..Default::default()
        },
        SignedTrailSpec {
            backfill_hours: vec![1, 2],
            ..Default::default()
        },
        SignedTrailSpec {
            logs_per_hour: 0,
            hours: 2,
            ..Default::default()
        },
        SignedTrailSpec {
            rotate_at: None,
            hours: 6,
            ..Default::default()
        },
    ];
    for spec in specs {
        let trail = signed_trail(&spec);
        let report = run(&trail);
        assert!(all_valid(&report), "{spec:?}: {:?}", report.results);
        let expected_digests = spec.hours + spec.backfill_hours.len();
        assert_eq!(
            report
                .results
                .iter()
                .filter(|r| r.object == ObjectType::Digest)
                .count(),
            expected_digests,
            "{spec:?}"
        );
        assert_eq!(
            report.summary.logs.valid as usize,
            spec.hours * spec.logs_per_hour + spec.backfill_hours.len()
        );
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.kind == "newest_digest" || f.kind == "signature_from_chain"),
            "{:?}",
            report.findings
        );
        assert!(report
            .log_integrity
            .iter()
            .all(|(_, s)| *s == trailscope_verify::LogIntegrity::Verified));
    }
}

#[test]
fn every_kind_of_tampering_is_caught() {
    let base = signed_trail(&SignedTrailSpec::default());
    let d = |i: usize| base.digests[i].key.clone();
    let log = base.digests[1].logs[0].clone();

    let mut t = base.clone();
    let bytes = t.file_mut(&log).unwrap();
    *bytes = gz(b"{\"Records\":[]}");
    assert_eq!(
        verdict_of(&run(&t), &log),
        "INVALID: hash value doesn't match"
    );

    let mut t = base.clone();
    t.remove(&log);
    assert_eq!(verdict_of(&run(&t), &log), "INVALID: not found");

    let mut t = base.clone();
    t.file_mut(&log).unwrap().extend_from_slice(b"junk");
    assert_eq!(
        verdict_of(&run(&t), &log),
        "INVALID: unexpected data after end of compressed stream"
    );

    let mut t = base.clone();
    let bytes = t.file_mut(&log).unwrap();
    let n = bytes.len();
    bytes[n - 7] ^= 0x40; // the CRC
    assert_eq!(verdict_of(&run(&t), &log), "INVALID: invalid format");

    // A digest edited (a log file hidden from it).
    let mut t = base.clone();
    let digest = d(1);
    let bytes = t.file_mut(&digest).unwrap();
    let json = trailscope_model_gunzip(bytes);
    *bytes = gz(json
        .replacen("\"logFiles\":[{", "\"logFiles\":[{\"x\":1,", 1)
        .as_bytes());
    assert_eq!(
        verdict_of(&run(&t), &digest),
        "INVALID: signature verification failed"
    );

    // A digest deleted from the middle: reported where the chain expects it, and as a finding.
    let mut t = base.clone();
    t.remove(&d(2));
    let r = run(&t);
    assert_eq!(verdict_of(&r, &d(2)), "INVALID: not found");
    assert!(r.findings.iter().any(|f| f.kind == "digest_missing"));
    // Its log files are now covered by nothing.
    assert!(r.findings.iter().any(|f| f.kind == "log_not_covered"));

    // Two signatures swapped.
    let mut t = base.clone();
    let (a, b) = (
        t.digests[1].signature.clone(),
        t.digests[2].signature.clone(),
    );
    t.digests[1].signature = b;
    t.digests[2].signature = a;
    let sidecar = t.signatures_for(&t.digests.iter().map(|d| d.key.as_str()).collect::<Vec<_>>());
    let r = verify(&inputs(&t, Some(&sidecar)), &Options::default());
    assert_eq!(
        verdict_of(&r, &d(1)),
        "INVALID: signature verification failed"
    );
    assert_eq!(
        verdict_of(&r, &d(2)),
        "INVALID: signature verification failed"
    );

    // A digest re-signed by an attacker under their own fingerprint.
    let attacker = TestKey::attacker();
    let mut t = base.clone();
    let digest = d(3);
    let json = trailscope_model_gunzip(t.file_mut(&digest).unwrap());
    let genuine = TestKey::b().fingerprint;
    let forged = json.replace(&genuine, &attacker.fingerprint);
    *t.file_mut(&digest).unwrap() = gz(forged.as_bytes());
    let r = run(&t);
    assert_eq!(
        verdict_of(&r, &digest),
        format!(
            "INVALID: public key not found in region us-east-1 for fingerprint {}",
            attacker.fingerprint
        )
    );
    // ... and trusted only if the user adds the attacker's key: the key list is the trust anchor.
    let keys = public_keys_json(&[&TestKey::a(), &TestKey::b(), &attacker]);
    let mut i = inputs(&t, Some(&t.signatures_json));
    i.trusted_keys = PublicKeys::from_json(keys.as_bytes()).unwrap();
    assert_eq!(
        verdict_of(&verify(&i, &Options::default()), &digest),
        "INVALID: signature verification failed"
    );

    // A digest copied to another name.
    let mut t = base.clone();
    let bytes = t.file_mut(&d(1)).unwrap().clone();
    let moved = d(1).replace("T0200", "T0159");
    t.files.push((format!("{}/{moved}", t.bucket), bytes));
    t.remove(&d(1));
    let r = run(&t);
    assert_eq!(verdict_of(&r, &d(1)), "INVALID: not found");
}

fn trailscope_model_gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn without_a_sidecar_the_chain_vouches_and_the_newest_is_unverifiable() {
    let trail = signed_trail(&SignedTrailSpec {
        hours: 5,
        ..Default::default()
    });
    let r = verify(&inputs(&trail, None), &Options::default());
    let digests: Vec<&str> = r
        .results
        .iter()
        .filter(|r| r.object == ObjectType::Digest)
        .map(|r| r.verdict.as_str())
        .collect();
    assert!(digests[0].starts_with("UNVERIFIABLE"), "{digests:?}");
    assert!(digests[1..].iter().all(|v| *v == "valid"), "{digests:?}");
    // The newest digest's log files are not proven.
    let newest_logs = &trail.digests.last().unwrap().logs;
    for (path, status) in &r.log_integrity {
        if newest_logs.iter().any(|l| path.ends_with(l.as_str())) {
            assert_eq!(
                *status,
                trailscope_verify::LogIntegrity::Unverified,
                "{path}"
            );
        }
    }
    // In aws-cli mode every digest fails for want of its metadata.
    let r = verify(
        &inputs(&trail, None),
        &Options {
            mode: Mode::AwsCli,
            ..Options::default()
        },
    );
    assert!(r
        .results
        .iter()
        .all(|r| r.verdict == "INVALID: signature verification failed"));
    // ... which is aws-cli's verdict on missing metadata, not a sign of tampering: the
    // headline says so, and each digest has a finding saying why it is INVALID.
    assert_eq!(r.summary.digests_without_signature, 5);
    let headline = r.headline();
    assert!(
        headline.starts_with("Not verified: no signature was supplied for 5 digests"),
        "{headline}"
    );
    assert!(!headline.contains("Tampering"), "{headline}");
    assert!(
        r.only_signatures_missing(),
        "shown as unproven, not as tampering"
    );
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.kind == "signature_not_supplied")
            .count(),
        5
    );
    // With a real problem besides, the headline is tampering and counts the two apart.
    let mut signatures: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&trail.signatures_json).unwrap();
    let newest = signatures.keys().max().unwrap().clone();
    signatures.remove(&newest);
    let mut tampered = trail.clone();
    let log = tampered.digests[0].logs[0].clone();
    *tampered.file_mut(&log).unwrap() = gz(b"{\"Records\":[]}");
    let r = verify(
        &inputs(
            &tampered,
            Some(&serde_json::to_string(&signatures).unwrap()),
        ),
        &Options {
            mode: Mode::AwsCli,
            ..Options::default()
        },
    );
    let headline = r.headline();
    assert!(
        !r.only_signatures_missing(),
        "a tampered log file is tampering"
    );
    assert_eq!(r.summary.digests_without_signature, 1, "{headline}");
    assert!(
        headline.starts_with("Tampering or damage found: "),
        "{headline}"
    );
    assert!(
        headline.contains("1 digest without a signature (INVALID to aws-cli)"),
        "{headline}"
    );
}

fn small_trail() -> SignedTrail {
    signed_trail(&SignedTrailSpec {
        hours: 1,
        logs_per_hour: 2,
        events_per_log: 3,
        rotate_at: None,
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any change to a byte of a log file's content is caught.
    #[test]
    fn any_changed_log_byte_is_caught(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut trail = small_trail();
        let log = trail.digests[0].logs[0].clone();
        let mut json = trailscope_model_gunzip(trail.file_mut(&log).unwrap()).into_bytes();
        let i = at.index(json.len());
        json[i] ^= flip;
        *trail.file_mut(&log).unwrap() = gz(&json);
        let report = run(&trail);
        prop_assert_ne!(verdict_of(&report, &log), "valid");
    }

    /// Any change to a byte of a digest's content is caught.
    #[test]
    fn any_changed_digest_byte_is_caught(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut trail = small_trail();
        let digest = trail.digests[0].key.clone();
        let mut json = trailscope_model_gunzip(trail.file_mut(&digest).unwrap()).into_bytes();
        let i = at.index(json.len());
        json[i] ^= flip;
        *trail.file_mut(&digest).unwrap() = gz(&json);
        let report = run(&trail);
        let v = report.results.iter().find(|r| r.object == ObjectType::Digest).map(|r| r.verdict.clone());
        prop_assert_ne!(v.as_deref(), Some("valid"));
    }

    /// Any change to a byte of a stored digest or log (compressed form) never yields a valid
    /// verdict for changed content: either the content is unchanged (gzip header fields), or
    /// the file is caught.
    #[test]
    fn stored_bytes_changes_never_pass_changed_content(file in 0usize..3, at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut trail = small_trail();
        let key = if file == 0 { trail.digests[0].key.clone() } else { trail.digests[0].logs[file - 1].clone() };
        let original = trailscope_model_gunzip(trail.file_mut(&key).unwrap());
        let bytes = trail.file_mut(&key).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        let mut changed = String::new();
        let same = {
            use std::io::Read;
            let mut d = flate2::read::GzDecoder::new(&bytes[..]);
            d.read_to_string(&mut changed).is_ok() && changed == original
        };
        let report = run(&trail);
        let v = report.results.iter().find(|r| r.key == key).map(|r| r.verdict.clone()).unwrap_or_default();
        if !same {
            prop_assert_ne!(v, "valid");
        }
    }

    /// The string to sign has exactly four lines, in order, and nothing else.
    #[test]
    fn string_to_sign_round_trips(end in "[0-9TZ:-]{1,24}", bucket in "[a-z0-9.-]{3,20}", key in "[A-Za-z0-9/_.-]{1,80}", hash in "[0-9a-f]{64}", prev in proptest::option::of("[0-9a-f]{2,600}")) {
        let s = trailscope_verify::string_to_sign(&end, &bucket, &key, &hash, prev.as_deref());
        let parts: Vec<&str> = s.split('\n').collect();
        prop_assert_eq!(parts.len(), 4);
        prop_assert_eq!(parts[0], end.as_str());
        prop_assert_eq!(parts[1], format!("{bucket}/{key}"));
        prop_assert_eq!(parts[2], hash.as_str());
        prop_assert_eq!(parts[3], prev.as_deref().unwrap_or("null"));
    }
}
