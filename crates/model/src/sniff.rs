//! Telling what a file is from its first bytes: an archive or not, text or binary, a timestamped log
//! line.

use crate::gzip::starts_gzip;

/// How a file's raw bytes are packaged, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packaging {
    /// gzip (one or more members).
    Gzip,
    /// A ZIP archive; open it with [`crate::ArchiveTree`].
    Zip,
    /// Anything else: read as text.
    Plain,
}

/// Classifies the first bytes of a file (at least 4 are needed to recognise a ZIP archive).
pub fn packaging(first_bytes: &[u8]) -> Packaging {
    if starts_gzip(first_bytes) {
        Packaging::Gzip
    } else if first_bytes.starts_with(b"PK\x03\x04") || first_bytes.starts_with(b"PK\x05\x06") {
        Packaging::Zip
    } else {
        Packaging::Plain
    }
}

/// `2024-02-29T00:00:00.000Z {"eventVersion":...`: a line of CloudWatch Logs' S3 export.
pub(crate) fn is_timestamped_json(text: &[u8]) -> bool {
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let date_like = line.get(..11).is_some_and(|d| {
        d.iter().take(4).all(u8::is_ascii_digit)
            && d.get(4) == Some(&b'-')
            && d.get(10) == Some(&b'T')
    });
    date_like && memchr::memmem::find(line, b" {").is_some()
}

pub(crate) fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    // Allow a multi-byte character cut at the end of the sniffed window.
    match std::str::from_utf8(head) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    }
}
