//! Digest files: their fields, the string CloudTrail signs, and the RSA check.

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use trailscope_model::hex_lower;

/// The fields of a digest file that validation reads. `Option` marks fields whose presence
/// aws-cli checks; a JSON `null` is present.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestFile {
    /// `digestStartTime`.
    #[serde(default, deserialize_with = "present")]
    pub digest_start_time: Option<Option<String>>,
    /// `digestEndTime`.
    #[serde(default, deserialize_with = "present")]
    pub digest_end_time: Option<Option<String>>,
    /// `digestS3Bucket`.
    #[serde(default, rename = "digestS3Bucket", deserialize_with = "present")]
    pub digest_s3_bucket: Option<Option<String>>,
    /// `digestS3Object`.
    #[serde(default, rename = "digestS3Object", deserialize_with = "present")]
    pub digest_s3_object: Option<Option<String>>,
    /// `digestPublicKeyFingerprint`.
    #[serde(default, deserialize_with = "present")]
    pub digest_public_key_fingerprint: Option<Option<String>>,
    /// `previousDigestSignature`.
    #[serde(default, deserialize_with = "present")]
    pub previous_digest_signature: Option<Option<String>>,
    /// `previousDigestS3Bucket`.
    #[serde(default, rename = "previousDigestS3Bucket")]
    pub previous_digest_s3_bucket: Option<String>,
    /// `previousDigestS3Object`.
    #[serde(default, rename = "previousDigestS3Object")]
    pub previous_digest_s3_object: Option<String>,
    /// `previousDigestHashValue`.
    #[serde(default)]
    pub previous_digest_hash_value: Option<String>,
    /// `awsAccountId`.
    #[serde(default)]
    pub aws_account_id: Option<String>,
    /// `newestEventTime`.
    #[serde(default)]
    pub newest_event_time: Option<String>,
    /// `oldestEventTime`.
    #[serde(default)]
    pub oldest_event_time: Option<String>,
    /// `logFiles` (aws-cli does not require it; absent reads as none).
    #[serde(default)]
    pub log_files: Option<Vec<LogEntry>>,
}

/// Deserialises a field so that a present `null` is `Some(None)` and an absent field is `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(Some(value.and_then(|v| match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    })))
}

/// One entry of `logFiles`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogEntry {
    /// `s3Bucket`.
    #[serde(rename = "s3Bucket", default)]
    pub s3_bucket: String,
    /// `s3Object`.
    #[serde(rename = "s3Object", default)]
    pub s3_object: String,
    /// `hashValue`: lowercase hex SHA-256 of the decompressed log file.
    #[serde(rename = "hashValue", default)]
    pub hash_value: String,
    /// `oldestEventTime`.
    #[serde(rename = "oldestEventTime", default)]
    pub oldest_event_time: Option<String>,
    /// `newestEventTime`.
    #[serde(rename = "newestEventTime", default)]
    pub newest_event_time: Option<String>,
}

impl DigestFile {
    /// Parses a digest's decompressed bytes, strictly: a field that appears twice makes the
    /// digest unreadable (two `logFiles` arrays, say, would mean different things to different
    /// readers of one signed file).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        serde_json::from_str(text).ok()
    }

    /// Parses a digest as Python's `json.loads` does, which aws-cli uses: a repeated key reads
    /// its last value.
    pub fn parse_lenient(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        serde_json::from_value(value).ok()
    }

    /// Whether the six fields aws-cli requires are present (`integrity-validation.md` §2).
    pub fn has_required_fields(&self) -> bool {
        self.digest_public_key_fingerprint.is_some()
            && self.digest_s3_bucket.is_some()
            && self.digest_s3_object.is_some()
            && self.previous_digest_signature.is_some()
            && self.digest_end_time.is_some()
            && self.digest_start_time.is_some()
    }

    /// A present field's text (`None` also for a JSON `null`).
    pub fn text(field: &Option<Option<String>>) -> Option<&str> {
        field.as_ref().and_then(|f| f.as_deref())
    }
}

/// The data-signing string (`integrity-validation.md` §5): end time, `bucket/key`, the SHA-256 of
/// the decompressed digest, and the previous signature (`null` for a starting digest), joined
/// by single line feeds.
pub fn string_to_sign(
    end_time: &str,
    bucket: &str,
    key: &str,
    digest_sha256_hex: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end_time}\n{bucket}/{key}\n{digest_sha256_hex}\n{}",
        previous_signature.unwrap_or("null")
    )
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_lower(&Sha256::digest(bytes))
}

/// Why a signature string cannot be used, in aws-cli's (Python's) words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// An odd number of hex digits.
    #[error("Odd-length string")]
    OddLength,
    /// A character that is not a hex digit.
    #[error("Non-hexadecimal digit found")]
    NotHex,
}

/// Decodes hex in either case, as `binascii.unhexlify` does.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    let digit = |c: u8| -> Result<u8, HexError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(HexError::NotHex),
        }
    };
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Ok(digit(*hi)? << 4 | digit(*lo)?),
            _ => Err(HexError::OddLength),
        })
        .collect()
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message`, strictly: only a SHA-256 DigestInfo, and only
/// a signature of the modulus' length whose value is below the modulus (as AWS CLI v2 checks;
/// aws-cli v1 accepts other hashes and `s ≥ n`, `integrity-validation.md` §4).
pub fn verify_signature(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let size = key.size();
    if signature.len() != size {
        return false;
    }
    if BigUint::from_bytes_be(signature) >= *key.n() {
        return false;
    }
    let hashed = Sha256::digest(message);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_exactly_what_cloudtrail_signs() {
        assert_eq!(
            string_to_sign("2024-02-28T21:47:12Z", "b", "k/d.json.gz", "ab", None),
            "2024-02-28T21:47:12Z\nb/k/d.json.gz\nab\nnull"
        );
        assert_eq!(
            string_to_sign("t", "b", "k", "h", Some("ff00")),
            "t\nb/k\nh\nff00"
        );
    }

    #[test]
    fn hex_errors_match_python() {
        assert_eq!(decode_hex("0aFf"), Ok(vec![0x0a, 0xff]));
        assert_eq!(decode_hex("abc"), Err(HexError::OddLength));
        assert_eq!(decode_hex("zz"), Err(HexError::NotHex));
        assert_eq!(HexError::OddLength.to_string(), "Odd-length string");
    }

    #[test]
    fn reads_required_fields_and_nulls() {
        let d = DigestFile::parse(br#"{"digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","digestPublicKeyFingerprint":"e","previousDigestSignature":null,"logFiles":[]}"#).unwrap();
        assert!(d.has_required_fields());
        assert_eq!(DigestFile::text(&d.previous_digest_signature), None);
        let d = DigestFile::parse(br#"{"digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","digestPublicKeyFingerprint":"e","previousDigestSignature":null}"#).unwrap();
        assert!(!d.has_required_fields());
        assert!(DigestFile::parse(b"not json").is_none());
    }

    #[test]
    fn a_repeated_field_is_unreadable_except_to_aws_cli() {
        let twice = br#"{"digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","digestPublicKeyFingerprint":"e","previousDigestSignature":null,"logFiles":[{"s3Object":"x"}],"logFiles":[]}"#;
        assert!(DigestFile::parse(twice).is_none());
        let lenient = DigestFile::parse_lenient(twice).unwrap();
        assert_eq!(lenient.log_files.map(|l| l.len()), Some(0));
    }
}
