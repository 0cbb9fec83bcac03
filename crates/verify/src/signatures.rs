//! Digest signatures. CloudTrail keeps a digest's signature in its S3 object metadata
//! (`x-amz-meta-signature`), which a plain download loses (`integrity-validation.md` §3), so users
//! bring it back in a sidecar file; without one, the chain itself vouches for each older digest.

use std::collections::BTreeMap;

use serde_json::Value;

/// Largest signature sidecar read: a year of hourly digests of one region is about 6 MB.
pub const MAX_SIGNATURE_FILE_BYTES: usize = 64 << 20;

/// The S3 metadata of one digest object that validation reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureMeta {
    /// `signature`: hex.
    pub signature: Option<String>,
    /// `signature-algorithm` (aws-cli requires it present but never reads it).
    pub algorithm: Option<String>,
    /// `backfill-generation-timestamp`, on backfill digests.
    pub backfill_generation: Option<String>,
    /// Whether the sidecar gave the object's metadata (S3 metadata, `head-object` output), so
    /// that a field it lacks was absent on the object. A flat `{key: signature}` map gives the
    /// signature alone and says nothing about the rest.
    pub full_metadata: bool,
}

/// Signatures by digest object, from any number of sidecar files.
#[derive(Clone, Debug, Default)]
pub struct Signatures {
    /// (bucket if the sidecar names it, key) → metadata.
    by_object: BTreeMap<(Option<String>, String), SignatureMeta>,
    /// `head-object` outputs whose object is known only from their file name.
    unkeyed: Vec<(String, SignatureMeta)>,
}

/// The sidecar is not a signature file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a signature file: {0}")]
pub struct SignatureFileError(pub String);

impl Signatures {
    /// Reads a sidecar: a flat map `{key: hex}`, a map of metadata `{key: {signature, ...}}` or
    /// `{bucket: {key: {...}}}` (the validation cases' `s3-metadata.json`), a map of `head-object`
    /// outputs `{key: {"Metadata": {...}}}`, or one `head-object` output, which applies to the
    /// digest whose file name `file_name` contains.
    pub fn add_json(&mut self, bytes: &[u8], file_name: &str) -> Result<usize, SignatureFileError> {
        if bytes.len() > MAX_SIGNATURE_FILE_BYTES {
            return Err(SignatureFileError(format!(
                "it is {} bytes; signature files hold about 700 bytes per digest (at most {MAX_SIGNATURE_FILE_BYTES} read)",
                bytes.len()
            )));
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| SignatureFileError(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(SignatureFileError("the top level is not an object".into()));
        };
        if let Some(meta) = metadata_of(&Value::Object(map.clone())) {
            self.unkeyed.push((file_name.to_string(), meta));
            return Ok(1);
        }
        let before = self.by_object.len();
        for (k, v) in &map {
            match v {
                Value::String(s) => {
                    let meta = SignatureMeta {
                        signature: Some(s.clone()),
                        ..Default::default()
                    };
                    self.by_object.insert((None, k.clone()), meta);
                }
                Value::Object(inner) => {
                    if let Some(meta) = metadata_of(v) {
                        self.by_object.insert((None, k.clone()), meta);
                    } else {
                        for (key, meta) in inner {
                            if let Some(meta) = metadata_of(meta) {
                                self.by_object.insert((Some(k.clone()), key.clone()), meta);
                            } else if let Value::String(s) = meta {
                                let meta = SignatureMeta {
                                    signature: Some(s.clone()),
                                    ..Default::default()
                                };
                                self.by_object.insert((Some(k.clone()), key.clone()), meta);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let added = self.by_object.len() - before;
        if added == 0 && !map.is_empty() {
            return Err(SignatureFileError("no digest signature in it".into()));
        }
        Ok(added)
    }

    /// Adds another set; its signatures win over these where both give one.
    pub fn extend(&mut self, other: Signatures) {
        self.by_object.extend(other.by_object);
        self.unkeyed.extend(other.unkeyed);
    }

    /// The metadata for a digest object, if a sidecar gave it.
    pub fn find(&self, bucket: &str, key: &str) -> Option<&SignatureMeta> {
        if let Some(meta) = self
            .by_object
            .get(&(Some(bucket.to_string()), key.to_string()))
        {
            return Some(meta);
        }
        if let Some(meta) = self.by_object.get(&(None, key.to_string())) {
            return Some(meta);
        }
        let name = key.rsplit('/').next().unwrap_or(key);
        let stem = name.trim_end_matches(".gz").trim_end_matches(".json");
        self.unkeyed
            .iter()
            .rev()
            .find(|(file, _)| file.contains(stem))
            .map(|(_, meta)| meta)
    }

    /// Whether no signature was given.
    pub fn is_empty(&self) -> bool {
        self.by_object.is_empty() && self.unkeyed.is_empty()
    }
}

/// Metadata from `{"signature": ...}` or `{"Metadata": {"signature": ...}}`.
fn metadata_of(value: &Value) -> Option<SignatureMeta> {
    let obj = value.as_object()?;
    let meta = match obj.get("Metadata") {
        Some(Value::Object(m)) => m,
        _ => obj,
    };
    let text = |name: &str| meta.get(name).and_then(Value::as_str).map(str::to_string);
    let signature = text("signature").or_else(|| text("x-amz-meta-signature"));
    // Metadata without a signature is still metadata: aws-cli fails such a digest.
    const FIELDS: [&str; 6] = [
        "signature",
        "x-amz-meta-signature",
        "signature-algorithm",
        "x-amz-meta-signature-algorithm",
        "backfill-generation-timestamp",
        "x-amz-meta-backfill-generation-timestamp",
    ];
    if !FIELDS
        .iter()
        .any(|f| meta.get(*f).is_some_and(Value::is_string))
    {
        return None;
    }
    Some(SignatureMeta {
        signature,
        algorithm: text("signature-algorithm").or_else(|| text("x-amz-meta-signature-algorithm")),
        backfill_generation: text("backfill-generation-timestamp")
            .or_else(|| text("x-amz-meta-backfill-generation-timestamp")),
        full_metadata: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_sidecar_shape() {
        let mut s = Signatures::default();
        assert_eq!(
            s.add_json(br#"{"AWSLogs/1/a.json.gz":"abcd"}"#, "signatures.json"),
            Ok(1)
        );
        assert_eq!(s.add_json(br#"{"bkt":{"AWSLogs/1/b.json.gz":{"signature":"ef","signature-algorithm":"SHA256withRSA"}}}"#, "s3-metadata.json"), Ok(1));
        assert_eq!(s.add_json(br#"{"AcceptRanges":"bytes","Metadata":{"signature":"99","signature-algorithm":"SHA256withRSA"}}"#, "1_CloudTrail-Digest_r_t_r_20240101T000000Z.head.json"), Ok(1));
        assert_eq!(
            s.find("x", "AWSLogs/1/a.json.gz")
                .and_then(|m| m.signature.as_deref()),
            Some("abcd")
        );
        assert_eq!(
            s.find("bkt", "AWSLogs/1/b.json.gz")
                .and_then(|m| m.algorithm.as_deref()),
            Some("SHA256withRSA")
        );
        // A flat map says nothing about the other metadata.
        let flat = s.find("x", "AWSLogs/1/a.json.gz").unwrap();
        assert!(!flat.full_metadata && flat.algorithm.is_none());
        assert!(s.find("bkt", "AWSLogs/1/b.json.gz").unwrap().full_metadata);
        assert!(s.find("other", "AWSLogs/1/b.json.gz").is_none());
        let key = "AWSLogs/1/CloudTrail-Digest/r/2024/01/01/1_CloudTrail-Digest_r_t_r_20240101T000000Z.json.gz";
        assert_eq!(
            s.find("bkt", key).and_then(|m| m.signature.as_deref()),
            Some("99")
        );
        assert!(s.add_json(br#"{"a":1}"#, "x.json").is_err());
        // An empty map, and metadata without signatures, are sidecars that sign nothing.
        assert_eq!(s.add_json(b"{}", "signatures.json"), Ok(0));
        let mut unsigned = Signatures::default();
        assert_eq!(
            unsigned.add_json(
                br#"{"bkt":{"AWSLogs/1/c.json.gz":{"signature-algorithm":"SHA256withRSA"}}}"#,
                "s3-metadata.json"
            ),
            Ok(1)
        );
        assert_eq!(
            unsigned
                .find("bkt", "AWSLogs/1/c.json.gz")
                .unwrap()
                .signature,
            None
        );
        assert!(s.add_json(b"[1]", "x.json").is_err());
    }
}
