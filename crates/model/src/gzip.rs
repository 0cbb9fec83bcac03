//! A push-driven gzip decoder that knows where each member ends.
//!
//! The inflate itself is flate2's; what is ours is the member framing. Ingest needs every member
//! decoded (as `gunzip` does), while integrity validation needs the first member alone and must
//! notice bytes after it (`integrity-validation.md` §7), so the decoder reports members and
//! trailing data instead of hiding them. Input arrives in chunks of any size, so the page's worker
//! can feed it slices of a `File` and stay responsive.

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Output chunk size: big enough to amortize the inflate call, small enough to stay in cache.
const OUTPUT_CHUNK: usize = 64 * 1024;
/// A header longer than this (file name plus comment plus extra field) is treated as hostile.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What went wrong while decoding a gzip stream. Positions are offsets in the compressed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GzipError {
    /// The first bytes are not the gzip magic number.
    #[error("not a gzip stream")]
    NotGzip,
    /// A member header is malformed.
    #[error("invalid gzip header in member {member}: {reason}")]
    BadHeader {
        /// Zero-based member index.
        member: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The deflate data is corrupt.
    #[error("corrupt deflate data in member {member} near compressed byte {offset}: {message}")]
    Corrupt {
        /// Zero-based member index.
        member: u32,
        /// Compressed offset where the decoder gave up.
        offset: u64,
        /// The inflater's message.
        message: String,
    },
    /// The CRC-32 or length in a member's trailer does not match its content.
    #[error("gzip member {member} fails its integrity check ({what} mismatch)")]
    TrailerMismatch {
        /// Zero-based member index.
        member: u32,
        /// `CRC-32` or `length`.
        what: &'static str,
    },
    /// The input ended inside a member.
    #[error("truncated gzip stream: input ends inside the {part} of member {member}")]
    Truncated {
        /// Zero-based member index.
        member: u32,
        /// `header`, `compressed data` or `trailer`.
        part: &'static str,
    },
}

/// Where the decoder stands. `MemberEnd` is the only state in which the stream may end cleanly.
#[derive(Debug)]
enum State {
    Header(Vec<u8>),
    Body,
    Trailer(Vec<u8>),
    MemberEnd,
    /// Bytes after the last member that do not start another member.
    Trailing,
}

/// Facts about a stream that decoded without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GzipSummary {
    /// Number of complete members.
    pub members: u32,
    /// Bytes after the last member that are not gzip data (0 for a clean stream).
    pub trailing_bytes: u64,
    /// Decompressed bytes, all members together.
    pub decompressed_bytes: u64,
    /// Compressed bytes consumed, including trailing bytes.
    pub compressed_bytes: u64,
    /// Whether the last member stopped after its deflate data, without the 8-byte trailer.
    /// Only [`Gunzip::finish_lenient`] can report this; [`Gunzip::finish`] calls it an error.
    pub trailer_missing: bool,
}

/// Incremental gzip decoder. Feed it compressed chunks with [`Gunzip::feed`]; it hands each
/// decompressed chunk to a callback together with the index of the member it belongs to.
#[derive(Debug)]
pub struct Gunzip {
    state: State,
    inflate: Decompress,
    crc: Crc,
    member: u32,
    members_done: u32,
    compressed: u64,
    decompressed: u64,
    trailing: u64,
    out: Vec<u8>,
}

impl Default for Gunzip {
    fn default() -> Self {
        Self::new()
    }
}

impl Gunzip {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Gunzip {
            state: State::Header(Vec::new()),
            inflate: Decompress::new(false),
            crc: Crc::new(),
            member: 0,
            members_done: 0,
            compressed: 0,
            decompressed: 0,
            trailing: 0,
            out: vec![0; OUTPUT_CHUNK],
        }
    }

    /// Decompressed bytes produced so far.
    pub fn decompressed_bytes(&self) -> u64 {
        self.decompressed
    }

    /// Compressed bytes consumed so far.
    pub fn compressed_bytes(&self) -> u64 {
        self.compressed
    }

    /// Decodes `input`, calling `sink(member, bytes)` for every decompressed chunk. An error from
    /// the sink stops decoding and is returned as [`FeedError::Sink`].
    pub fn feed<E>(
        &mut self,
        mut input: &[u8],
        sink: &mut impl FnMut(u32, &[u8]) -> Result<(), E>,
    ) -> Result<(), FeedError<E>> {
        loop {
            match &mut self.state {
                State::Header(buf) => {
                    if input.is_empty() {
                        return Ok(());
                    }
                    let take = input
                        .len()
                        .min(MAX_HEADER_BYTES.saturating_sub(buf.len()).max(1));
                    let (head, rest) = input.split_at(take);
                    let before = buf.len();
                    buf.extend_from_slice(head);
                    match parse_header(buf) {
                        HeaderParse::NeedMore if buf.len() >= MAX_HEADER_BYTES => {
                            return Err(FeedError::Gzip(GzipError::BadHeader {
                                member: self.member,
                                reason: "header longer than 64 KiB",
                            }));
                        }
                        HeaderParse::NeedMore => {
                            self.compressed += take as u64;
                            input = rest;
                        }
                        HeaderParse::Invalid(reason) => {
                            if self.members_done == 0 {
                                return Err(FeedError::Gzip(if before == 0 && !starts_gzip(buf) {
                                    GzipError::NotGzip
                                } else {
                                    GzipError::BadHeader {
                                        member: self.member,
                                        reason,
                                    }
                                }));
                            }
                            // Not a second member after all: everything from here is trailing data.
                            self.trailing += buf.len() as u64;
                            self.compressed += take as u64;
                            self.state = State::Trailing;
                            input = rest;
                        }
                        HeaderParse::Complete(len) => {
                            // Bytes of this chunk beyond the header belong to the deflate data.
                            let used_here = len - before;
                            self.compressed += used_here as u64;
                            input = input.get(used_here..).unwrap_or_default();
                            self.inflate.reset(false);
                            self.crc.reset();
                            self.state = State::Body;
                        }
                    }
                }
                State::Body => {
                    let in_before = self.inflate.total_in();
                    let out_before = self.inflate.total_out();
                    let status = self
                        .inflate
                        .decompress(input, &mut self.out, FlushDecompress::None)
                        .map_err(|e| {
                            // zlib-rs may report damage on the call after the one that met it,
                            // as "repeated call with bad state": say what it means.
                            let message = e.to_string();
                            let message = if message.contains("bad state") {
                                "deflate decompression error: invalid deflate data".to_string()
                            } else {
                                message
                            };
                            FeedError::Gzip(GzipError::Corrupt {
                                member: self.member,
                                offset: self.compressed,
                                message,
                            })
                        })?;
                    let consumed =
                        usize::try_from(self.inflate.total_in() - in_before).unwrap_or(0);
                    let produced =
                        usize::try_from(self.inflate.total_out() - out_before).unwrap_or(0);
                    let chunk = self.out.get(..produced).unwrap_or_default();
                    self.crc.update(chunk);
                    self.compressed += consumed as u64;
                    self.decompressed += produced as u64;
                    input = input.get(consumed..).unwrap_or_default();
                    if !chunk.is_empty() {
                        sink(self.member, chunk).map_err(FeedError::Sink)?;
                    }
                    match status {
                        Status::StreamEnd => self.state = State::Trailer(Vec::with_capacity(8)),
                        // The output buffer filled up: there may be more output without more input.
                        _ if produced == self.out.len() => {}
                        _ if input.is_empty() || (consumed == 0 && produced == 0) => return Ok(()),
                        _ => {}
                    }
                }
                State::Trailer(buf) => {
                    if input.is_empty() {
                        return Ok(());
                    }
                    let take = input.len().min(8 - buf.len());
                    let (head, rest) = input.split_at(take);
                    buf.extend_from_slice(head);
                    self.compressed += take as u64;
                    input = rest;
                    if let Some(&[c0, c1, c2, c3, s0, s1, s2, s3]) = buf.get(..8) {
                        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
                        let size = u32::from_le_bytes([s0, s1, s2, s3]);
                        if crc != self.crc.sum() {
                            return Err(FeedError::Gzip(GzipError::TrailerMismatch {
                                member: self.member,
                                what: "CRC-32",
                            }));
                        }
                        if size != self.crc.amount() {
                            return Err(FeedError::Gzip(GzipError::TrailerMismatch {
                                member: self.member,
                                what: "length",
                            }));
                        }
                        self.members_done += 1;
                        self.member += 1;
                        self.state = State::MemberEnd;
                    }
                }
                State::MemberEnd => {
                    let Some(&first) = input.first() else {
                        return Ok(());
                    };
                    if first == 0x1f {
                        self.state = State::Header(Vec::new());
                    } else {
                        self.state = State::Trailing;
                    }
                }
                State::Trailing => {
                    self.trailing += input.len() as u64;
                    self.compressed += input.len() as u64;
                    return Ok(());
                }
            }
        }
    }

    /// Ends the stream, requiring every member to be complete, trailer included.
    pub fn finish(&self) -> Result<GzipSummary, GzipError> {
        let summary = self.finish_lenient()?;
        if summary.trailer_missing {
            return Err(GzipError::Truncated {
                member: self.member,
                part: "trailer",
            });
        }
        Ok(summary)
    }

    /// Ends the stream like [`Gunzip::finish`], except that a last member whose deflate data is
    /// complete but whose 8-byte trailer is absent is accepted and flagged: the content is whole,
    /// and aws-cli accepts such log files (`integrity-validation.md` §7).
    pub fn finish_lenient(&self) -> Result<GzipSummary, GzipError> {
        let mut summary = GzipSummary {
            members: self.members_done,
            trailing_bytes: self.trailing,
            decompressed_bytes: self.decompressed,
            compressed_bytes: self.compressed,
            trailer_missing: false,
        };
        match &self.state {
            State::MemberEnd | State::Trailing => Ok(summary),
            State::Header(buf) if buf.is_empty() && self.members_done == 0 => {
                Err(GzipError::Truncated {
                    member: 0,
                    part: "header",
                })
            }
            State::Header(buf) if self.members_done == 0 || starts_gzip(buf) => {
                Err(GzipError::Truncated {
                    member: self.member,
                    part: "header",
                })
            }
            State::Header(buf) => {
                summary.trailing_bytes += buf.len() as u64;
                Ok(summary)
            }
            State::Body => Err(GzipError::Truncated {
                member: self.member,
                part: "compressed data",
            }),
            State::Trailer(buf) if buf.is_empty() => {
                summary.members += 1;
                summary.trailer_missing = true;
                Ok(summary)
            }
            State::Trailer(_) => Err(GzipError::Truncated {
                member: self.member,
                part: "trailer",
            }),
        }
    }
}

/// Either the gzip stream is bad, or the consumer of its output refused it.
#[derive(Debug)]
pub enum FeedError<E> {
    /// The compressed data is malformed.
    Gzip(GzipError),
    /// The output callback returned an error.
    Sink(E),
}

/// Whether `bytes` start with the gzip magic number.
pub fn starts_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

enum HeaderParse {
    NeedMore,
    Invalid(&'static str),
    Complete(usize),
}

/// RFC 1952 §2.3: a fixed 10-byte header, then optional extra field, name, comment and CRC-16.
fn parse_header(buf: &[u8]) -> HeaderParse {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let (Some(&id1), Some(&id2)) = (buf.first(), buf.get(1)) else {
        return if buf.first().is_some_and(|&b| b != 0x1f) {
            HeaderParse::Invalid("bad magic number")
        } else {
            HeaderParse::NeedMore
        };
    };
    if id1 != 0x1f || id2 != 0x8b {
        return HeaderParse::Invalid("bad magic number");
    }
    let Some(&method) = buf.get(2) else {
        return HeaderParse::NeedMore;
    };
    if method != 8 {
        return HeaderParse::Invalid("compression method is not deflate");
    }
    let Some(&flags) = buf.get(3) else {
        return HeaderParse::NeedMore;
    };
    if flags & 0xe0 != 0 {
        return HeaderParse::Invalid("reserved flag bits set");
    }
    let mut pos = 10;
    if buf.len() < pos {
        return HeaderParse::NeedMore;
    }
    if flags & FEXTRA != 0 {
        let (Some(&lo), Some(&hi)) = (buf.get(pos), buf.get(pos + 1)) else {
            return HeaderParse::NeedMore;
        };
        pos += 2 + usize::from(u16::from_le_bytes([lo, hi]));
        if buf.len() < pos {
            return HeaderParse::NeedMore;
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match buf.get(pos..).and_then(|rest| memchr::memchr(0, rest)) {
                Some(nul) => pos += nul + 1,
                None => return HeaderParse::NeedMore,
            }
        }
    }
    if flags & FHCRC != 0 {
        let (Some(header), Some(&[lo, hi])) = (buf.get(..pos), buf.get(pos..pos + 2)) else {
            return HeaderParse::NeedMore;
        };
        // RFC 1952: the two low bytes of the CRC-32 of the header before it. zlib checks it
        // ("header crc mismatch"), so aws-cli calls such a log `invalid format`.
        let mut crc = Crc::new();
        crc.update(header);
        if crc.sum() & 0xffff != u32::from(u16::from_le_bytes([lo, hi])) {
            return HeaderParse::Invalid("header CRC-16 mismatch");
        }
        pos += 2;
    }
    HeaderParse::Complete(pos)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Decodes `input` fed in chunks of `chunk` bytes; returns per-member output and the summary.
    fn decode(input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, Result<GzipSummary, GzipError>) {
        let mut gunzip = Gunzip::new();
        let mut members: Vec<Vec<u8>> = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            let res = gunzip.feed(piece, &mut |m, bytes| -> Result<(), ()> {
                let m = m as usize;
                if members.len() <= m {
                    members.resize(m + 1, Vec::new());
                }
                members[m].extend_from_slice(bytes);
                Ok(())
            });
            if let Err(FeedError::Gzip(e)) = res {
                return (members, Err(e));
            }
        }
        (members, gunzip.finish())
    }

    #[test]
    fn decodes_one_member_in_any_chunking() {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let compressed = gz(&data);
        for chunk in [1, 7, 4096, compressed.len()] {
            let (members, summary) = decode(&compressed, chunk);
            assert_eq!(members, vec![data.clone()], "chunk {chunk}");
            let summary = summary.unwrap();
            assert_eq!(summary.members, 1);
            assert_eq!(summary.trailing_bytes, 0);
            assert_eq!(summary.decompressed_bytes, data.len() as u64);
        }
    }

    #[test]
    fn keeps_members_apart() {
        let mut input = gz(b"first");
        input.extend(gz(b"second"));
        let (members, summary) = decode(&input, 3);
        assert_eq!(members, vec![b"first".to_vec(), b"second".to_vec()]);
        assert_eq!(summary.unwrap().members, 2);
    }

    #[test]
    fn counts_trailing_garbage() {
        let mut input = gz(b"{}");
        input.extend_from_slice(b"garbage");
        let (_, summary) = decode(&input, 1000);
        assert_eq!(summary.unwrap().trailing_bytes, 7);
        // A trailing byte that looks like the start of a member but is not one.
        let mut input = gz(b"{}");
        input.extend_from_slice(&[0x1f, 0x00, 0x01]);
        let (_, summary) = decode(&input, 1);
        assert_eq!(summary.unwrap().trailing_bytes, 3);
    }

    #[test]
    fn reports_truncation_by_part() {
        let compressed = gz(&vec![b'a'; 100_000]);
        let (_, r) = decode(&compressed[..5], 100);
        assert_eq!(
            r,
            Err(GzipError::Truncated {
                member: 0,
                part: "header"
            })
        );
        let (_, r) = decode(&compressed[..compressed.len() / 2], 100);
        assert_eq!(
            r,
            Err(GzipError::Truncated {
                member: 0,
                part: "compressed data"
            })
        );
        let (_, r) = decode(&compressed[..compressed.len() - 3], 100);
        assert_eq!(
            r,
            Err(GzipError::Truncated {
                member: 0,
                part: "trailer"
            })
        );
        let (_, r) = decode(&compressed[..compressed.len() - 8], 100);
        assert_eq!(
            r,
            Err(GzipError::Truncated {
                member: 0,
                part: "trailer"
            })
        );
        let (_, r) = decode(&[], 100);
        assert_eq!(
            r,
            Err(GzipError::Truncated {
                member: 0,
                part: "header"
            })
        );
    }

    #[test]
    fn lenient_finish_accepts_a_missing_trailer_only() {
        let compressed = gz(b"hello world");
        let mut gunzip = Gunzip::new();
        gunzip
            .feed(&compressed[..compressed.len() - 8], &mut |_, _| {
                Ok::<(), ()>(())
            })
            .unwrap();
        let summary = gunzip.finish_lenient().unwrap();
        assert!(summary.trailer_missing);
        assert_eq!(summary.members, 1);
        assert!(matches!(gunzip.finish(), Err(GzipError::Truncated { .. })));
    }

    #[test]
    fn checks_the_header_crc16() {
        // A header with FNAME and FHCRC, as RFC 1952 lays it out, then a deflate body.
        let body = gz(b"{\"Records\":[]}");
        let deflate = &body[10..body.len()];
        let mut header = vec![0x1f, 0x8b, 8, 8 | 2, 0, 0, 0, 0, 0, 255];
        header.extend_from_slice(b"log.json\0");
        let mut crc = Crc::new();
        crc.update(&header);
        let good = (crc.sum() & 0xffff) as u16;
        for (crc16, ok) in [(good, true), (good ^ 1, false)] {
            let mut file = header.clone();
            file.extend_from_slice(&crc16.to_le_bytes());
            file.extend_from_slice(deflate);
            for chunk in [1, 3, 1000] {
                let (members, result) = decode(&file, chunk);
                if ok {
                    assert_eq!(members, vec![b"{\"Records\":[]}".to_vec()], "chunk {chunk}");
                    assert!(result.is_ok());
                } else {
                    assert_eq!(
                        result,
                        Err(GzipError::BadHeader {
                            member: 0,
                            reason: "header CRC-16 mismatch"
                        }),
                        "chunk {chunk}"
                    );
                }
            }
        }
    }

    #[test]
    fn detects_crc_and_deflate_corruption() {
        let mut compressed = gz(b"hello world, hello world");
        let n = compressed.len();
        compressed[n - 6] ^= 0xff;
        assert_eq!(
            decode(&compressed, 100).1,
            Err(GzipError::TrailerMismatch {
                member: 0,
                what: "CRC-32"
            })
        );
        let (_, r) = decode(b"plain text", 100);
        assert_eq!(r, Err(GzipError::NotGzip));
        let mut bad = gz(b"x");
        bad[10] = 0xff; // invalid block type
        assert!(matches!(
            decode(&bad, 100).1,
            Err(GzipError::Corrupt { .. })
        ));
    }

    #[test]
    fn parses_optional_header_fields() {
        let mut enc = flate2::GzBuilder::new()
            .filename("trail.json")
            .comment("note")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        enc.write_all(b"payload").unwrap();
        let compressed = enc.finish().unwrap();
        for chunk in [1, 3, 100] {
            let (members, summary) = decode(&compressed, chunk);
            assert_eq!(members, vec![b"payload".to_vec()]);
            assert!(summary.is_ok());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512), chunk in 1usize..64) {
            let _ = decode(&bytes, chunk);
            let mut prefixed = vec![0x1f, 0x8b, 8, 0];
            prefixed.extend_from_slice(&bytes);
            let _ = decode(&prefixed, chunk);
        }
    }
}
