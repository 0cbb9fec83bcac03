//! Hostile archives and streams: each is refused early, with the error that names it, and in
//! bounded time and memory (issue: hostile input). Native only: they build inputs of hundreds
//! of megabytes and time themselves.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Cursor, Read, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use trailscope_model::{
    ingest_bytes, Event, EventSink, FileIngestor, IngestError, Limits, ZipWalker,
};
use trailscope_model::{nesting_error, read_nested};

struct Count(u64);
impl EventSink for Count {
    type Error = std::convert::Infallible;
    fn accept(&mut self, _: &Event<'_>) -> Result<(), Self::Error> {
        self.0 += 1;
        Ok(())
    }
}

fn gz_of(mut produce: impl FnMut(&mut dyn Write)) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    produce(&mut enc);
    enc.finish().unwrap()
}

/// Feeds `bytes` in 4 MiB pieces, as the page does.
fn feed_in_pieces(bytes: &[u8]) -> (Result<(), IngestError>, u64) {
    let mut ingestor = FileIngestor::new(Limits::default());
    let mut sink = Count(0);
    for piece in bytes.chunks(4 << 20) {
        if let Err(e) = ingestor.feed(piece, &mut sink) {
            return (Err(e), ingestor.stored_bytes());
        }
    }
    let outcome = ingestor.finish(&mut sink);
    (outcome.error.map_or(Ok(()), Err), 0)
}

#[test]
fn a_gzip_bomb_is_stopped_within_its_first_hundred_megabytes() {
    // 4 GiB of zeros: about 4 MB of gzip.
    let bomb = gz_of(|w| {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..4096 {
            w.write_all(&zeros).unwrap();
        }
    });
    let mut ingestor = FileIngestor::new(Limits::default());
    let mut sink = Count(0);
    let mut error = None;
    for piece in bomb.chunks(4 << 20) {
        if let Err(e) = ingestor.feed(piece, &mut sink) {
            error = Some(e);
            break;
        }
    }
    match error {
        Some(IngestError::Bomb { decompressed, .. }) => {
            assert!(
                decompressed < 128 << 20,
                "inflated {decompressed} bytes first"
            )
        }
        other => panic!("expected a bomb, got {other:?}"),
    }
}

#[test]
fn whitespace_padding_is_refused_early() {
    // 64 MiB of spaces: below the bomb ratio at this level, and no data at all.
    let padding = gz_of(|w| {
        let blanks = vec![b' '; 1 << 20];
        w.write_all(b"{\"Records\":[").unwrap();
        for _ in 0..64 {
            w.write_all(&blanks).unwrap();
        }
    });
    let (result, _) = feed_in_pieces(&padding);
    assert!(
        matches!(result, Err(IngestError::Padding { .. })),
        "{result:?}"
    );
    // Plain text: blanks from the start read as an empty file at once; blanks after a start,
    // as padding once the run passes the cap.
    let blank = vec![b'\n'; 20 << 20];
    let outcome = ingest_bytes(&blank, Limits::default(), &mut Count(0));
    assert_eq!(outcome.error, Some(IngestError::Empty));
    let mut padded = b"{\"Records\":[".to_vec();
    padded.extend(vec![b'\n'; 20 << 20]);
    let outcome = ingest_bytes(&padded, Limits::default(), &mut Count(0));
    assert!(
        matches!(outcome.error, Some(IngestError::Padding { .. })),
        "{:?}",
        outcome.error
    );
}

/// A ZIP whose central directory names one compressed chunk many times.
fn overlapping_zip(entries: u16) -> Vec<u8> {
    let data = vec![b'A'; 10 << 20];
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
    deflated.write_all(&data).unwrap();
    let deflated = deflated.finish().unwrap();
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    let name = b"x.json";
    let mut out = Vec::new();
    // Local header.
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&deflated);
    let cd_start = out.len() as u32;
    for i in 0..entries {
        let entry_name = format!("e{i:05}.json");
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(entry_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&0u32.to_le_bytes()); // every entry at offset 0
        out.extend_from_slice(entry_name.as_bytes());
    }
    let cd_len = out.len() as u32 - cd_start;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn overlapping_zip_entries_are_refused_when_opened() {
    let started = std::time::Instant::now();
    let err = ZipWalker::open(Cursor::new(overlapping_zip(2000)), Limits::default())
        .err()
        .expect("refused");
    assert!(started.elapsed().as_secs() < 5);
    match err {
        IngestError::Archive(message) => assert!(message.contains("overlap"), "{message}"),
        other => panic!("{other:?}"),
    }
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    out.into_inner()
}

#[test]
fn a_zip_entry_out_of_proportion_with_its_size_fails_from_the_first_bytes() {
    let zeros = vec![0u8; 64 << 20];
    let archive = zip_of(&[("bomb.json", &zeros)], zip::CompressionMethod::Deflated);
    let mut walker = ZipWalker::open(Cursor::new(archive), Limits::default()).unwrap();
    let mut entry = walker.next_entry().unwrap().unwrap();
    let mut read = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let error = loop {
        match entry.reader.read(&mut buf) {
            Ok(0) => panic!("read {read} bytes without a refusal"),
            Ok(n) => read += n,
            Err(e) => break e,
        }
    };
    // 64 MiB of zeros deflate to about 64 KB: 250:1 allows about 16 MB.
    assert!(read < 20 << 20, "read {read} bytes first");
    assert!(error.to_string().contains("ZIP bomb"), "{error}");
}

#[test]
fn a_large_zip_inside_a_zip_is_refused_with_a_way_out() {
    let inner = zip_of(
        &[("big.json", &vec![b'x'; 70 << 20])],
        zip::CompressionMethod::Stored,
    );
    let err = read_nested(
        inner[..4].to_vec(),
        &mut Cursor::new(inner[4..].to_vec()),
        &Limits::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("unpack the outer archive"),
        "{err}"
    );
    let small = zip_of(&[("a.json", b"{}")], zip::CompressionMethod::Stored);
    assert!(read_nested(
        small[..4].to_vec(),
        &mut Cursor::new(small[4..].to_vec()),
        &Limits::default()
    )
    .is_ok());
    assert!(nesting_error(3, &Limits::default()).is_some());
    assert!(nesting_error(2, &Limits::default()).is_none());
}
