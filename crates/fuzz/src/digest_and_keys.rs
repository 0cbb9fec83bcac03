//! Digest parsing (strict and aws-cli's reading), key lists and signature sidecars, and a whole
//! verification over a digest the fuzzer writes: never a panic, and a digest no trusted key
//! signed is never valid.
use trailscope_verify::{
    verify, DigestBytes, DigestFile, Mode, Options, PublicKeys, Signatures, VerifyInputs,
};

const KEY: &str = r#"{"PublicKeyList":[{"ValidityStartTime":1700000000.0,"ValidityEndTime":1800000000.0,"Value":"MIIBCgKCAQEAvUElEti8hLiW0XlubPWJvjJbHj344oXGugGsInBABbMaGhruch0XvXocYq5LGzNxtvEpDlvFPdSdNvTiuQgwkbrmn/8iPqxzETKMTcMmZZEpGbgyPCGw/jFXoe2EiqhIkEKczv/3mdLNsf+9BKujqKnEeQsX2r0POa/GbUUazMmXIqtJwEjaF+4k33D9L6nO3eKcAf9ya864htrOzsG1ev3OQSyuSFrS5BOQD5uo8QMpUVoOzGH3kwVy2H80l6C6YvKTgLz19ixwtiB9diuCabr648PS/uaQ8On8jGag2kMua17FrYhiMcTHUaYxF0C9lgkOpBRtynv995YnYSW31wIDAQAB","Fingerprint":"00"}]}"#;

const DIGEST_PATH: &str = "bucket/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T010000Z.json.gz";

pub fn digest_and_keys(data: &[u8]) {
    let _ = DigestFile::parse(data);
    let _ = DigestFile::parse_lenient(data);
    let _ = PublicKeys::from_json(data);
    let mut sidecar = Signatures::default();
    let _ = sidecar.add_json(data, "signatures.json");
    for mode in [Mode::Strict, Mode::AwsCli] {
        let mut inputs = VerifyInputs::new();
        if let Ok(keys) = PublicKeys::from_json(KEY.as_bytes()) {
            inputs.trusted_keys = keys;
        }
        inputs.add_digest(
            DIGEST_PATH,
            DigestBytes {
                content: Ok(data.to_vec()),
                trailing_data: false,
            },
        );
        inputs.add_file(
            "bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/29/x.json.gz",
            data,
        );
        let report = verify(
            &inputs,
            &Options {
                mode,
                ..Options::default()
            },
        );
        // Nothing here carries a signature the trusted key made.
        assert!(
            report.results.iter().all(|r| r.object != trailscope_verify::ObjectType::Digest || !r.outcome.is_valid()),
            "a digest read as valid"
        );
        let _ = report.to_json(None);
        let _ = report.headline();
    }
}
