//! Caps that keep hostile input from exhausting memory or time.

/// Largest digest file read, as stored and decompressed. A digest names the log files of one
/// hour of one region (a few hundred bytes each), so real ones are kilobytes; a digest-named
/// file beyond this is refused by its size before it is read.
pub const MAX_DIGEST_BYTES: usize = 16 << 20;

/// Caps applied while reading one file. Hitting one is a typed error for that file alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most decompressed bytes one file (or archive entry) may produce.
    pub max_decompressed_bytes: u64,
    /// Highest decompressed-to-compressed ratio allowed once [`Limits::ratio_check_after_bytes`]
    /// have been produced. Real CloudTrail JSON compresses 10-30x; a deflate bomb reaches 1000x.
    pub max_compression_ratio: u64,
    /// The ratio is only judged after this much output, so small files are never flagged.
    pub ratio_check_after_bytes: u64,
    /// Deepest allowed JSON nesting.
    pub max_depth: u32,
    /// Largest allowed single record, in bytes. CloudTrail caps events at 256 KB; exports that
    /// wrap them stay far below this.
    pub max_record_bytes: usize,
    /// Most records one file may hold.
    pub max_records_per_file: u64,
    /// Most entries read from one ZIP archive.
    pub max_archive_entries: u64,
    /// How deep ZIP archives may nest inside ZIP archives.
    pub max_archive_depth: u8,
    /// Largest nested ZIP archive read into memory to open it.
    pub max_nested_archive_bytes: u64,
    /// Most decompressed bytes all the entries of one archive may produce together.
    pub max_archive_decompressed_bytes: u64,
    /// An archive entry may always produce this much, whatever its compressed size; beyond it,
    /// the ratio is judged from the first byte.
    pub entry_ratio_floor_bytes: u64,
    /// Longest run of whitespace accepted: real exports indent, they do not pad with megabytes.
    pub max_whitespace_run: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 8 << 30,
            max_compression_ratio: 250,
            // Judged against the compressed bytes fed so far, in steps of at most 256 KiB
            // (ingest.rs), so a bomb is stopped within about 64 MiB of output whatever size of
            // pieces the caller feeds; real CloudTrail gzip compresses 10-30x.
            ratio_check_after_bytes: 64 << 20,
            max_depth: 64,
            max_record_bytes: 8 << 20,
            max_records_per_file: 20_000_000,
            max_archive_entries: 1_000_000,
            max_archive_depth: 3,
            max_nested_archive_bytes: 64 << 20,
            max_archive_decompressed_bytes: 8 << 30,
            entry_ratio_floor_bytes: 1 << 20,
            max_whitespace_run: 16 << 20,
        }
    }
}

impl Limits {
    /// Why `decompressed` bytes out of `stored` compressed ones are refused, if they are: more
    /// than [`Limits::max_decompressed_bytes`], or past [`Limits::ratio_check_after_bytes`] a
    /// ratio above [`Limits::max_compression_ratio`] (a deflate bomb).
    pub fn refuses(&self, decompressed: u64, stored: u64) -> Option<String> {
        if decompressed > self.max_decompressed_bytes {
            return Some(format!(
                "it decompresses to more than {} bytes",
                self.max_decompressed_bytes
            ));
        }
        if decompressed > self.ratio_check_after_bytes
            && decompressed / stored.max(1) > self.max_compression_ratio
        {
            return Some(format!(
                "decompression bomb: {decompressed} bytes out of {stored} compressed (more than {}:1)",
                self.max_compression_ratio
            ));
        }
        None
    }
}
