//! The SHA-256 that CloudTrail signs for a log file: over the decompressed bytes of the first
//! gzip member, with aws-cli's reading of damaged gzip (`integrity-validation.md` §7).

use sha2::{Digest, Sha256};

use crate::gzip::{FeedError, Gunzip, GzipError};

/// How the gzip stream of a log file read, for the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogRead {
    /// The first member is complete, trailer included.
    Complete,
    /// The deflate data of the first member is complete but its 8-byte trailer is missing or
    /// cut: aws-cli never requires the member's end, so the content hash decides.
    TrailerMissing,
    /// The input ends inside the first member's header or deflate data: the hash covers what
    /// was decompressed (aws-cli hashes partial output too).
    Truncated,
    /// Not gzip, corrupt deflate data, or a CRC or length that does not match.
    Invalid(String),
}

/// What hashing a log file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHash {
    /// Lowercase hex SHA-256 of the first member's decompressed bytes (possibly partial).
    pub sha256_hex: String,
    /// How the stream read.
    pub read: LogRead,
    /// Bytes (garbage or further members) after the first member.
    pub trailing_data: bool,
    /// Decompressed bytes of the first member.
    pub decompressed_bytes: u64,
}

/// Hashes a log file pushed in chunks.
pub struct LogHasher {
    gunzip: Gunzip,
    sha: Sha256,
    member0_bytes: u64,
    later_members: bool,
    error: Option<GzipError>,
    /// The first member's bytes, not yet hashed, while under `keep_max` (see [`LogHasher::keeping`]).
    kept: Option<Vec<u8>>,
    keep_max: usize,
    /// The caps ingest applies: a decompression bomb is refused here too, not hashed for hours.
    limits: crate::Limits,
    stored_bytes: u64,
    decompressed_bytes: u64,
    whitespace_run: u64,
    refused: Option<String>,
}

impl Default for LogHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl LogHasher {
    /// A hasher at the start of a file.
    pub fn new() -> Self {
        LogHasher {
            gunzip: Gunzip::new(),
            sha: Sha256::new(),
            member0_bytes: 0,
            later_members: false,
            error: None,
            kept: None,
            keep_max: 0,
            limits: crate::Limits::default(),
            stored_bytes: 0,
            decompressed_bytes: 0,
            whitespace_run: 0,
            refused: None,
        }
    }

    /// A hasher with other caps than the default ones.
    pub fn with_limits(limits: crate::Limits) -> Self {
        LogHasher {
            limits,
            ..LogHasher::new()
        }
    }

    /// A hasher that keeps the first member's bytes (up to `max`) instead of hashing them, so
    /// the caller can hash them with a faster SHA-256 (in the browser, WebCrypto's native one
    /// is several times faster than any wasm); past `max` it hashes them itself.
    pub fn keeping(max: usize) -> Self {
        LogHasher {
            kept: Some(Vec::new()),
            keep_max: max,
            ..LogHasher::new()
        }
    }

    /// Feeds the next chunk of the file as stored.
    pub fn feed(&mut self, chunk: &[u8]) {
        // In steps, so the bomb ratio is judged against what was fed so far (see ingest.rs).
        for step in chunk.chunks(256 * 1024) {
            self.feed_step(step);
        }
    }

    fn feed_step(&mut self, chunk: &[u8]) {
        if self.error.is_some() || self.refused.is_some() {
            return;
        }
        self.stored_bytes += chunk.len() as u64;
        let (sha, bytes, later, kept, max) = (
            &mut self.sha,
            &mut self.member0_bytes,
            &mut self.later_members,
            &mut self.kept,
            self.keep_max,
        );
        let (limits, stored, total, refused, blanks) = (
            self.limits,
            self.stored_bytes,
            &mut self.decompressed_bytes,
            &mut self.refused,
            &mut self.whitespace_run,
        );
        let result = self.gunzip.feed::<()>(chunk, &mut |member, out| {
            *total += out.len() as u64;
            if let Some(why) = limits.refuses(*total, stored) {
                *refused = Some(why);
                return Err(());
            }
            // The same padding cap as ingest: a log file is never megabytes of blanks.
            if out.iter().any(|b| !b.is_ascii_whitespace()) {
                *blanks = out
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count() as u64;
            } else {
                *blanks += out.len() as u64;
            }
            if *blanks > limits.max_whitespace_run {
                *refused = Some(format!(
                    "more than {} bytes of whitespace in a row: not a log file",
                    limits.max_whitespace_run
                ));
                return Err(());
            }
            if member == 0 {
                match kept {
                    Some(k) if k.len() + out.len() <= max => k.extend_from_slice(out),
                    Some(k) => {
                        sha.update(&k);
                        sha.update(out);
                        *kept = None;
                    }
                    None => sha.update(out),
                }
                *bytes += out.len() as u64;
            } else {
                *later = true;
            }
            Ok(())
        });
        if let Err(FeedError::Gzip(e)) = result {
            self.error = Some(e);
        }
    }

    /// Ends the file.
    pub fn finish(self) -> LogHash {
        self.finish_kept().into_hash(None)
    }

    /// Ends the file, handing back the first member's bytes if they were kept unhashed.
    pub fn finish_kept(mut self) -> KeptLog {
        let (read, trailing_data) = match self.refused.take() {
            Some(why) => (LogRead::Invalid(why), false),
            None => classify(self.error.as_ref(), &self.gunzip, self.later_members),
        };
        KeptLog {
            first_member: self.kept.take(),
            sha: self.sha,
            read,
            trailing_data,
            decompressed_bytes: self.member0_bytes,
        }
    }
}

/// A log file read by a [`LogHasher::keeping`]: its first member's bytes if they are still to
/// be hashed, and how its gzip stream read.
pub struct KeptLog {
    /// The first member's decompressed bytes, when they were kept instead of hashed.
    pub first_member: Option<Vec<u8>>,
    sha: Sha256,
    read: LogRead,
    trailing_data: bool,
    decompressed_bytes: u64,
}

impl KeptLog {
    /// The log hash, given the SHA-256 of [`KeptLog::first_member`] (lowercase hex) when the
    /// caller computed it; with `None` the bytes are hashed here.
    pub fn into_hash(self, sha256_of_first_member: Option<String>) -> LogHash {
        let sha256_hex = match (self.first_member, sha256_of_first_member) {
            (Some(_), Some(hex)) => hex,
            (Some(bytes), None) => {
                let mut sha = self.sha;
                sha.update(&bytes);
                hex_lower(&sha.finalize())
            }
            (None, _) => hex_lower(&self.sha.finalize()),
        };
        LogHash {
            sha256_hex,
            read: self.read,
            trailing_data: self.trailing_data,
            decompressed_bytes: self.decompressed_bytes,
        }
    }
}

/// The hash of a log file's first gzip member, taken while the file is read for its events:
/// the ingestor passes it every decompressed chunk.
#[derive(Clone, Default)]
pub(crate) struct HashTap {
    sha: Sha256,
    member0_bytes: u64,
    later_members: bool,
    /// The first member's bytes while they are small (a digest file needs them whole).
    kept: Vec<u8>,
    kept_all: bool,
    /// The first member's bytes left for the caller to hash, while under `defer_max`
    /// ([`HashTap::deferring`]); `None` once they are hashed here.
    deferred: Option<Vec<u8>>,
    defer_max: usize,
}

/// First-member bytes kept for a possible digest file (as long as the file may be one).
const KEEP_BYTES: usize = crate::limits::MAX_DIGEST_BYTES;

impl HashTap {
    pub(crate) fn new() -> Self {
        HashTap {
            kept_all: true,
            ..HashTap::default()
        }
    }

    /// A tap that leaves the first member's hashing to the caller while it is under `max` bytes
    /// (see [`crate::FileIngestor::deferring_hash`]); past that it hashes them itself.
    pub(crate) fn deferring(max: usize) -> Self {
        HashTap {
            deferred: Some(Vec::new()),
            defer_max: max,
            ..HashTap::new()
        }
    }

    /// Whether the caller is to finish the hash ([`HashTap::finish_deferred`]).
    pub(crate) fn defers(&self) -> bool {
        self.deferred.is_some()
    }

    /// The file cannot be a digest (it holds events): its bytes need not be kept.
    pub(crate) fn stop_keeping(&mut self) {
        if self.kept_all {
            self.kept_all = false;
            self.kept = Vec::new();
        }
    }

    pub(crate) fn update(&mut self, member: u32, bytes: &[u8]) {
        if member > 0 {
            self.later_members = true;
            return;
        }
        match &mut self.deferred {
            Some(deferred) if deferred.len() + bytes.len() <= self.defer_max => {
                deferred.extend_from_slice(bytes);
            }
            Some(deferred) => {
                // Too large to hand over: hashed here from now on, what was kept first.
                self.sha.update(&deferred[..]);
                self.deferred = None;
                self.sha.update(bytes);
            }
            None => self.sha.update(bytes),
        }
        self.member0_bytes += bytes.len() as u64;
        if self.kept_all && self.kept.len() + bytes.len() <= KEEP_BYTES {
            self.kept.extend_from_slice(bytes);
        } else {
            self.kept_all = false;
            self.kept = Vec::new();
        }
    }

    /// Like [`HashTap::finish`], with the hash left for the caller: [`KeptLog::into_hash`] ends
    /// it, over the first member's bytes if the tap still holds them.
    pub(crate) fn finish_deferred(
        mut self,
        error: Option<&GzipError>,
        gunzip: &Gunzip,
    ) -> (KeptLog, Option<Vec<u8>>) {
        let (read, trailing_data) = classify(error, gunzip, self.later_members);
        let kept = self.kept_all.then(|| std::mem::take(&mut self.kept));
        (
            KeptLog {
                first_member: self.deferred,
                sha: self.sha,
                read,
                trailing_data,
                decompressed_bytes: self.member0_bytes,
            },
            kept,
        )
    }

    /// The hash, judged as aws-cli would, and the first member's bytes if all were kept.
    pub(crate) fn finish(
        self,
        error: Option<&GzipError>,
        gunzip: &Gunzip,
    ) -> (LogHash, Option<Vec<u8>>) {
        let (kept_log, kept) = self.finish_deferred(error, gunzip);
        (kept_log.into_hash(None), kept)
    }
}

/// How a log's gzip stream read (`integrity-validation.md` §7): `error` is the decoder's, if it
/// stopped; later members are data after the first one.
fn classify(error: Option<&GzipError>, gunzip: &Gunzip, later_members: bool) -> (LogRead, bool) {
    let mut trailing_data = later_members;
    let read = match error {
        Some(GzipError::Truncated {
            member: 0,
            part: "trailer",
        }) => LogRead::TrailerMissing,
        Some(GzipError::Truncated { member: 0, .. }) => LogRead::Truncated,
        // A broken later member is data after the first one.
        Some(GzipError::Truncated { .. } | GzipError::BadHeader { member: 1.., .. }) => {
            trailing_data = true;
            LogRead::Complete
        }
        Some(
            GzipError::Corrupt { member: 1.., .. } | GzipError::TrailerMismatch { member: 1.., .. },
        ) => {
            trailing_data = true;
            LogRead::Complete
        }
        Some(e) => LogRead::Invalid(e.to_string()),
        None => match gunzip.finish_lenient() {
            Ok(summary) => {
                trailing_data |= summary.trailing_bytes > 0 || summary.members > 1;
                if summary.trailer_missing && summary.members <= 1 {
                    LogRead::TrailerMissing
                } else {
                    LogRead::Complete
                }
            }
            Err(GzipError::Truncated {
                member: 0,
                part: "trailer",
            }) => LogRead::TrailerMissing,
            Err(GzipError::Truncated { member: 0, .. }) => LogRead::Truncated,
            Err(GzipError::Truncated { .. }) => {
                trailing_data = true;
                LogRead::Complete
            }
            Err(e) => LogRead::Invalid(e.to_string()),
        },
    };
    (read, trailing_data)
}

/// Lowercase hex.
pub fn hex_lower(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 15));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn hash(bytes: &[u8]) -> LogHash {
        let mut h = LogHasher::new();
        for chunk in bytes.chunks(7) {
            h.feed(chunk);
        }
        h.finish()
    }

    fn sha(data: &[u8]) -> String {
        hex_lower(&Sha256::digest(data))
    }

    #[test]
    fn reads_as_aws_cli_does() {
        let data = b"{\"Records\":[]}".repeat(100);
        let file = gz(&data);
        let h = hash(&file);
        assert_eq!(
            (h.sha256_hex.as_str(), &h.read, h.trailing_data),
            (sha(&data).as_str(), &LogRead::Complete, false)
        );

        let h = hash(&file[..file.len() - 8]);
        assert_eq!(
            (h.sha256_hex.as_str(), &h.read),
            (sha(&data).as_str(), &LogRead::TrailerMissing)
        );

        let h = hash(&file[..file.len() / 2]);
        assert_eq!(h.read, LogRead::Truncated);
        assert_ne!(h.sha256_hex, sha(&data));

        let mut two = file.clone();
        two.extend(gz(b"more"));
        let h = hash(&two);
        assert_eq!(
            (h.sha256_hex.as_str(), h.trailing_data),
            (sha(&data).as_str(), true)
        );

        let mut garbage = file.clone();
        garbage.extend_from_slice(b"xyz");
        assert!(hash(&garbage).trailing_data);

        let mut crc = file.clone();
        let n = crc.len();
        crc[n - 6] ^= 1;
        assert!(matches!(hash(&crc).read, LogRead::Invalid(_)));
        assert!(matches!(hash(&data).read, LogRead::Invalid(_)));
    }

    proptest::proptest! {
        /// Keeping the bytes for another SHA-256 changes nothing about the verdict, whatever the
        /// limit and however the file is damaged.
        #[test]
        fn keeping_gives_the_same_hash(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..3000),
            max in 0usize..4000,
            cut in 0usize..4000,
            chunk in 1usize..600,
        ) {
            let file = gz(&data);
            let file = &file[..cut.min(file.len())];
            let mut kept = LogHasher::keeping(max);
            for c in file.chunks(chunk) {
                kept.feed(c);
            }
            let kept = kept.finish_kept();
            let outside = kept.first_member.as_deref().map(sha);
            let expected = hash(file);
            proptest::prop_assert_eq!(kept.into_hash(outside), expected.clone());
            let mut again = LogHasher::keeping(max);
            again.feed(file);
            proptest::prop_assert_eq!(again.finish_kept().into_hash(None), expected);
        }
    }
}
