//! Where objects are: S3 bucket and key, rebuilt from local paths, and the parts of a digest's key.
//!
//! A download keeps S3 keys as paths, below whatever folder the user picked: the bucket folder,
//! `AWSLogs/...` itself, or a parent. An object `(bucket, key)` is found at a local path that ends
//! with `bucket/key`, or, when the bucket folder was not kept, with `key`.

use std::collections::HashMap;

/// Where a local file sits, as S3 would name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The path component before the key, if there is one (the bucket folder, when kept).
    pub bucket: Option<String>,
    /// The S3 key: from the key prefix or `AWSLogs/` on.
    pub key: String,
}

/// Local paths indexed by their file name, to find objects by bucket and key.
#[derive(Clone, Debug, Default)]
pub struct PathIndex {
    by_name: HashMap<String, Vec<usize>>,
    paths: Vec<String>,
}

impl PathIndex {
    /// Adds a path (with `/` separators); returns its number.
    pub fn add(&mut self, path: &str) -> usize {
        let id = self.paths.len();
        let path = path
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        self.by_name.entry(name).or_default().push(id);
        self.paths.push(path);
        id
    }

    /// The path with this number.
    pub fn path(&self, id: usize) -> Option<&str> {
        self.paths.get(id).map(String::as_str)
    }

    /// The file holding object `(bucket, key)`: a path ending in `bucket/key` wins over one
    /// ending in `key` alone.
    pub fn find(&self, bucket: &str, key: &str) -> Option<usize> {
        let name = key.rsplit('/').next().unwrap_or(key);
        let candidates = self.by_name.get(name)?;
        let full = format!("{bucket}/{key}");
        let exact = candidates.iter().copied().find(|&id| {
            self.path(id)
                .is_some_and(|p| p == full || p.ends_with(&format!("/{full}")))
        });
        if exact.is_some() {
            return exact;
        }
        // The bucket folder was not kept, or has another name (a download folder): the key
        // alone decides.
        candidates.iter().copied().find(|&id| {
            self.path(id)
                .is_some_and(|p| p == key || p.ends_with(&format!("/{key}")))
        })
    }

    /// Where the file at `id` sits, given the key prefix (`P/` before `AWSLogs/`, possibly empty)
    /// its trail uses.
    pub fn locate(&self, id: usize, prefix: &str) -> Option<Located> {
        let path = self.path(id)?;
        let at = find_awslogs(path)?;
        let (before, from_awslogs) = path.split_at(at);
        let before = before.trim_end_matches('/');
        let (bucket_part, key) = if prefix.is_empty() {
            (before, from_awslogs.to_string())
        } else {
            let p = prefix.trim_end_matches('/');
            match before.strip_suffix(p) {
                Some(rest) => (rest.trim_end_matches('/'), format!("{p}/{from_awslogs}")),
                None => (before, from_awslogs.to_string()),
            }
        };
        let bucket = bucket_part
            .rsplit('/')
            .next()
            .filter(|b| !b.is_empty())
            .map(str::to_string);
        Some(Located { bucket, key })
    }
}

/// Byte position of the `AWSLogs/` path component.
pub fn find_awslogs(path: &str) -> Option<usize> {
    if path.starts_with("AWSLogs/") {
        return Some(0);
    }
    path.find("/AWSLogs/").map(|i| i + 1)
}

/// The parts of a digest object's key (`integrity-validation.md` §1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestKey {
    /// The key prefix before `AWSLogs/` (empty when none), without the trailing `/`.
    pub prefix: String,
    /// The organization ID level of an organization trail.
    pub org_id: Option<String>,
    /// The account (the member account for organization trails).
    pub account: String,
    /// The region the digest was delivered from.
    pub source_region: String,
    /// The trail name.
    pub trail: String,
    /// The trail's home region.
    pub home_region: String,
    /// `YYYYMMDDTHHMMSSZ` from the name: the digest's end time.
    pub name_date: String,
    /// A backfill digest (`_backfill.json.gz`).
    pub backfill: bool,
}

impl DigestKey {
    /// Parses a digest key; `None` for anything that is not one.
    pub fn parse(key: &str) -> Option<Self> {
        let at = find_awslogs(key)?;
        let prefix = key.get(..at)?.trim_end_matches('/').to_string();
        let rest = key.get(at + "AWSLogs/".len()..)?;
        let mut parts: Vec<&str> = rest.split('/').collect();
        let org_id = match parts.first() {
            Some(p) if p.starts_with("o-") => {
                let org = (*p).to_string();
                parts.remove(0);
                Some(org)
            }
            _ => None,
        };
        // account / CloudTrail-Digest / region / YYYY / MM / DD / name
        let [account, "CloudTrail-Digest", region, y, m, d, name] = parts.as_slice() else {
            return None;
        };
        if ![y, m, d]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let (stem, backfill) = match name.strip_suffix("_backfill.json.gz") {
            Some(stem) => (stem, true),
            None => (name.strip_suffix(".json.gz")?, false),
        };
        let head = format!("{account}_CloudTrail-Digest_{region}_");
        let middle_and_date = stem.strip_prefix(&head)?;
        let (middle, name_date) = middle_and_date.rsplit_once('_')?;
        if name_date.len() != 16
            || !name_date.ends_with('Z')
            || name_date.as_bytes().get(8) != Some(&b'T')
        {
            return None;
        }
        let (trail, home_region) = middle.rsplit_once('_')?;
        if trail.is_empty() || home_region.is_empty() {
            return None;
        }
        Some(DigestKey {
            prefix,
            org_id,
            account: (*account).to_string(),
            source_region: (*region).to_string(),
            trail: trail.to_string(),
            home_region: home_region.to_string(),
            name_date: name_date.to_string(),
            backfill,
        })
    }

    /// The trail this digest belongs to: everything but its time.
    pub fn trail_id(&self) -> TrailId {
        TrailId {
            prefix: self.prefix.clone(),
            org_id: self.org_id.clone(),
            account: self.account.clone(),
            source_region: self.source_region.clone(),
            trail: self.trail.clone(),
            home_region: self.home_region.clone(),
        }
    }
}

/// One trail in one source region: what one `aws cloudtrail validate-logs` run covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrailId {
    /// Key prefix.
    pub prefix: String,
    /// Organization ID, for organization trails.
    pub org_id: Option<String>,
    /// Account.
    pub account: String,
    /// Source region.
    pub source_region: String,
    /// Trail name.
    pub trail: String,
    /// Home region.
    pub home_region: String,
}

impl std::fmt::Display for TrailId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trail {} of account {} (home {}), delivered from {}",
            self.trail, self.account, self.home_region, self.source_region
        )?;
        if let Some(org) = &self.org_id {
            write!(f, ", organization {org}")?;
        }
        if !self.prefix.is_empty() {
            write!(f, ", prefix {}", self.prefix)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/28/123456789012_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240228T214712Z.json.gz";

    #[test]
    fn parses_digest_keys() {
        let k = DigestKey::parse(KEY).unwrap();
        assert_eq!(
            (
                k.account.as_str(),
                k.trail.as_str(),
                k.home_region.as_str(),
                k.name_date.as_str(),
                k.backfill
            ),
            (
                "123456789012",
                "management-events",
                "us-east-1",
                "20240228T214712Z",
                false
            )
        );
        let k = DigestKey::parse(&format!(
            "audit/ct/{}",
            KEY.replace(".json.gz", "_backfill.json.gz")
        ))
        .unwrap();
        assert_eq!((k.prefix.as_str(), k.backfill), ("audit/ct", true));
        let org = KEY.replace("AWSLogs/", "AWSLogs/o-abc123/");
        assert_eq!(
            DigestKey::parse(&org).unwrap().org_id.as_deref(),
            Some("o-abc123")
        );
        let underscored = KEY.replace("management-events", "my_trail_name");
        assert_eq!(
            DigestKey::parse(&underscored).unwrap().trail,
            "my_trail_name"
        );
        assert!(DigestKey::parse("AWSLogs/1/CloudTrail/us-east-1/2024/02/28/1_CloudTrail_us-east-1_20240228T2103Z_x.json.gz").is_none());
    }

    #[test]
    fn finds_objects_below_any_root() {
        let mut index = PathIndex::default();
        let a = index.add(&format!("s3/example-bucket/{KEY}"));
        assert_eq!(index.find("example-bucket", KEY), Some(a));
        assert_eq!(
            index.find("other-bucket", KEY),
            Some(a),
            "a path without the right bucket still holds the key"
        );
        assert_eq!(
            index.locate(a, "").unwrap(),
            Located {
                bucket: Some("example-bucket".into()),
                key: KEY.into()
            }
        );
        let mut index = PathIndex::default();
        let b = index.add(KEY);
        assert_eq!(index.find("example-bucket", KEY), Some(b));
        assert_eq!(index.locate(b, "").unwrap().bucket, None);
        let mut index = PathIndex::default();
        let c = index.add(&format!("dl/bkt/audit/ct/{KEY}"));
        assert_eq!(
            index.locate(c, "audit/ct").unwrap(),
            Located {
                bucket: Some("bkt".into()),
                key: format!("audit/ct/{KEY}")
            }
        );
        // Two buckets holding the same key: the bucket folder decides.
        let mut index = PathIndex::default();
        let old = index.add(&format!("old-bucket/{KEY}"));
        let new = index.add(&format!("new-bucket/{KEY}"));
        assert_eq!(index.find("new-bucket", KEY), Some(new));
        assert_eq!(index.find("old-bucket", KEY), Some(old));
    }
}
