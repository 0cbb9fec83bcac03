//! What verification works on: the files of a downloaded trail, read once.

use trailscope_model::parts::{FeedError, Gunzip, GzipError};
use trailscope_model::{LogHash, LogHasher};

use crate::keys::PublicKeys;
use crate::layout::{find_awslogs, DigestKey, PathIndex};
use crate::signatures::Signatures;

/// Largest digest file accepted, as stored and decompressed: real ones are kilobytes (one entry
/// per log file of an hour), so anything near this is refused before it is read.
pub const MAX_DIGEST_BYTES: usize = trailscope_model::MAX_DIGEST_BYTES;

/// A digest file as read.
#[derive(Clone, Debug)]
pub struct DigestBytes {
    /// The decompressed first gzip member, or why it cannot be read (aws-cli: invalid format).
    pub content: Result<Vec<u8>, String>,
    /// Bytes after the first gzip member (aws-cli ignores them, `integrity-validation.md` §8).
    pub trailing_data: bool,
}

impl DigestBytes {
    /// A digest read by the ingest pipeline: its first gzip member (if kept) and how the gzip
    /// stream read. A one-shot inflate fails on anything but a complete first member.
    pub fn from_first_member(
        first_member: Option<Vec<u8>>,
        hash: &trailscope_model::LogHash,
    ) -> Self {
        let content = match (&hash.read, first_member) {
            (trailscope_model::LogRead::Complete, Some(bytes)) => Ok(bytes),
            (trailscope_model::LogRead::Complete, None) => Err("the digest is too large".into()),
            (trailscope_model::LogRead::Invalid(e), _) => Err(e.clone()),
            (_, _) => Err("truncated gzip stream".into()),
        };
        DigestBytes {
            content,
            trailing_data: hash.trailing_data,
        }
    }

    /// A digest file refused unread: it is `size_bytes` long as stored.
    pub fn too_large(size_bytes: u64) -> Self {
        DigestBytes {
            content: Err(format!(
                "the digest file is {size_bytes} bytes; digests are kilobytes (at most {MAX_DIGEST_BYTES} read)"
            )),
            trailing_data: false,
        }
    }

    /// Reads a digest object's bytes as stored.
    pub fn from_stored(bytes: &[u8]) -> Self {
        if bytes.len() > MAX_DIGEST_BYTES {
            return DigestBytes::too_large(bytes.len() as u64);
        }
        let mut gunzip = Gunzip::new();
        let mut out = Vec::new();
        let fed = gunzip.feed(bytes, &mut |member, chunk| {
            if member > 0 {
                return Ok(());
            }
            if out.len() + chunk.len() > MAX_DIGEST_BYTES {
                return Err("the digest decompresses to more than the digest size limit");
            }
            out.extend_from_slice(chunk);
            Ok(())
        });
        let content = match fed {
            // Damage in a later member is data after the first one, which a one-shot inflate
            // never looks at.
            Err(FeedError::Gzip(
                GzipError::Corrupt { member: 1.., .. }
                | GzipError::TrailerMismatch { member: 1.., .. },
            )) => Ok(out),
            Err(FeedError::Gzip(e)) => Err(e.to_string()),
            Err(FeedError::Sink(e)) => Err(e.to_string()),
            Ok(()) => match gunzip.finish() {
                // A later member cut short is trailing data for a one-shot inflate.
                Ok(_) | Err(GzipError::Truncated { member: 1.., .. }) => Ok(out),
                Err(e) => Err(e.to_string()),
            },
        };
        let trailing_data = match gunzip.finish_lenient() {
            Ok(s) => s.members > 1 || s.trailing_bytes > 0,
            Err(_) => gunzip.compressed_bytes() < bytes.len() as u64 || content.is_ok(),
        };
        DigestBytes {
            content,
            trailing_data,
        }
    }
}

/// What a local file holds, for verification.
#[derive(Clone, Debug)]
pub enum Content {
    /// A digest file (named like one).
    Digest(DigestBytes),
    /// Anything else, hashed as a log file would be.
    Log(LogHash),
}

/// A key list found among the evidence (the dropped or walked files). It is never a trust
/// anchor: whoever could write the bucket could have put it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceKeyList {
    /// Where it was found.
    pub path: String,
    /// The fingerprints it lists (empty when it does not read).
    pub fingerprints: Vec<String>,
}

/// The files, keys and signatures a verification reads.
///
/// The two kinds of input never mix: the *evidence* (digests, log files, signature sidecars and
/// any key list that came with them) is what is being judged; the *trust anchor*
/// ([`VerifyInputs::trusted_keys`]) is what the user vouches for, from outside the evidence
/// (`aws cloudtrail list-public-keys` output they supplied as keys).
#[derive(Clone, Debug, Default)]
pub struct VerifyInputs {
    pub(crate) paths: PathIndex,
    pub(crate) contents: Vec<Content>,
    /// The trusted public keys: only ever what the user supplied as keys, never a file found
    /// among the evidence.
    pub trusted_keys: PublicKeys,
    /// Key lists found among the evidence: listed and reported, never used to verify.
    pub evidence_key_lists: Vec<EvidenceKeyList>,
    /// Digest signatures from sidecar files (evidence: a signature only counts once a trusted
    /// key verifies it).
    pub signatures: Signatures,
    /// Files known to hold events: one that no digest names is not covered by any proof,
    /// whatever its name.
    pub(crate) with_events: std::collections::BTreeSet<usize>,
}

/// Whether a path names a digest file (by its key's shape).
pub fn is_digest_path(path: &str) -> bool {
    find_awslogs(path)
        .and_then(|at| path.get(at..))
        .and_then(DigestKey::parse)
        .is_some()
}

impl VerifyInputs {
    /// Empty inputs.
    pub fn new() -> Self {
        VerifyInputs::default()
    }

    /// Adds a file by its path and bytes as stored: a digest if its path names one, else it is
    /// hashed like a log file.
    pub fn add_file(&mut self, path: &str, bytes: &[u8]) {
        if is_digest_path(path) {
            self.add_digest(path, DigestBytes::from_stored(bytes));
        } else {
            let mut hasher = LogHasher::new();
            hasher.feed(bytes);
            self.add_log(path, hasher.finish());
        }
    }

    /// Adds a digest file.
    pub fn add_digest(&mut self, path: &str, digest: DigestBytes) {
        self.paths.add(path);
        self.contents.push(Content::Digest(digest));
    }

    /// Adds a log file (or any other file) with its hash, computed while streaming it.
    pub fn add_log(&mut self, path: &str, hash: LogHash) {
        self.paths.add(path);
        self.contents.push(Content::Log(hash));
    }

    /// Adds a file that holds events (whatever its name or shape), with its hash: its events
    /// are only proven if a verified digest names it.
    pub fn add_event_file(&mut self, path: &str, hash: LogHash) {
        let id = self.paths.add(path);
        self.contents.push(Content::Log(hash));
        self.with_events.insert(id);
    }

    /// Records a key list found among the evidence (it is reported, never trusted).
    pub fn add_evidence_key_list(&mut self, path: &str, bytes: &[u8]) {
        let fingerprints = PublicKeys::from_json(bytes)
            .map(|keys| keys.iter().map(|k| k.fingerprint.clone()).collect())
            .unwrap_or_default();
        self.evidence_key_lists.push(EvidenceKeyList {
            path: path.to_string(),
            fingerprints,
        });
    }

    /// Number of files added.
    pub fn len(&self) -> usize {
        self.contents.len()
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.contents.is_empty()
    }

    pub(crate) fn content(&self, id: usize) -> Option<&Content> {
        self.contents.get(id)
    }
}
