//! Offline CloudTrail log file integrity validation: what `aws cloudtrail validate-logs` does,
//! without the bucket, the network or the clock, and stricter where aws-cli is lenient.
//!
//! Give [`VerifyInputs`] the downloaded files (digests by their bytes, log files by the
//! [`trailscope_model::LogHash`] computed while streaming them), the trusted [`PublicKeys`] and
//! any [`Signatures`] sidecar; [`verify`] walks every trail's digest chain the way aws-cli does
//! (`integrity-validation.md` §9) and returns a [`Report`]: a [`Verdict`] per digest and log file
//! in aws-cli's words, the [`IntegrityFinding`]s aws-cli does not make, and a [`Summary`].
//!
//! ```
//! use trailscope_verify::{verify, Options, VerifyInputs};
//!
//! let inputs = VerifyInputs::new();
//! let report = verify(&inputs, &Options::default());
//! assert!(report.results.is_empty() && !report.has_invalid());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod digest;
mod findings;
mod inputs;
mod keys;
mod layout;
mod listing;
mod render;
mod report;
mod run;
mod signatures;
mod walk;
mod window;

pub use digest::{
    decode_hex, sha256_hex, string_to_sign, verify_signature, DigestFile, HexError, LogEntry,
};
pub use inputs::{
    is_digest_path, Content, DigestBytes, EvidenceKeyList, VerifyInputs, MAX_DIGEST_BYTES,
};
pub use keys::{
    KeyEncoding, KeyError, KeyFileError, KeyLookup, PublicKey, PublicKeys, SigningTime,
    UntrustedKey, MAX_KEY_FILE_BYTES,
};
pub use layout::{DigestKey, Located, PathIndex, TrailId};
pub use listing::{Mode, Options};
pub use render::{InputFile, RunInfo};
pub use report::{
    Counts, EvidenceKeyListReport, FileResult, IntegrityFinding, IntegritySeverity, KeyReport,
    LogIntegrity, ObjectType, Overall, Range, Report, Summary, Verdict,
};
pub use run::verify;
pub use signatures::{SignatureFileError, SignatureMeta, Signatures};
pub use window::TimeWindow;
