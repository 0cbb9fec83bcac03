//! Reading every input shape through the public API, and failing well on hostile input.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;
use trailscope_model::{
    ingest_bytes, DeferredHashes, Envelope, Event, EventSink, FileIngestor, FileKind, FileOutcome,
    IngestError, Limits, TimeSource,
};

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    name: String,
    id: String,
    time: Option<String>,
    envelope: Envelope,
}

#[derive(Default)]
struct Collect(Vec<Seen>);

impl EventSink for Collect {
    type Error = std::convert::Infallible;
    fn accept(&mut self, e: &Event<'_>) -> Result<(), Self::Error> {
        self.0.push(Seen {
            name: e.record.event_name.as_str().unwrap_or("").into(),
            id: e.record.event_id.as_str().unwrap_or("").into(),
            time: e.time.map(|t| t.at.to_string()),
            envelope: e.envelope,
        });
        Ok(())
    }
}

fn read(bytes: &[u8]) -> (FileOutcome, Vec<Seen>) {
    read_with(bytes, Limits::default())
}

fn read_with(bytes: &[u8], limits: Limits) -> (FileOutcome, Vec<Seen>) {
    let mut sink = Collect::default();
    let outcome = ingest_bytes(bytes, limits, &mut sink);
    (outcome, sink.0)
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn event(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","userName":"u{i}"}},"eventTime":"2024-02-28T21:{:02}:00Z","eventSource":"iam.amazonaws.com","eventName":"E{i}","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.{i}","eventID":"id-{i}","readOnly":false,"eventType":"AwsApiCall"}}"#,
        i % 60
    )
}

fn s3_log(n: usize) -> String {
    let records: Vec<String> = (0..n).map(event).collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

fn names(seen: &[Seen]) -> Vec<&str> {
    seen.iter().map(|s| s.name.as_str()).collect()
}

#[track_caller]
fn assert_loaded(outcome: &FileOutcome, kind: FileKind, events: u64) {
    assert_eq!(outcome.error, None, "{outcome:?}");
    assert_eq!(outcome.kind, kind, "{outcome:?}");
    assert_eq!(outcome.events, events, "{outcome:?}");
}

#[test]
fn s3_log_files_plain_and_gzip() {
    let text = s3_log(3);
    for bytes in [text.clone().into_bytes(), gz(text.as_bytes())] {
        let (outcome, seen) = read(&bytes);
        assert_loaded(&outcome, FileKind::CloudTrailLog, 3);
        assert_eq!(names(&seen), ["E0", "E1", "E2"]);
        assert_eq!(seen[1].time.as_deref(), Some("2024-02-28T21:01:00Z"));
        assert_eq!(outcome.text_bytes, text.len() as u64);
    }
    let (outcome, _) = read(br#"{"Records":[]}"#);
    assert_loaded(&outcome, FileKind::CloudTrailLog, 0);
}

#[test]
fn insights_and_digest_files() {
    let insight = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"1","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]}"#;
    let (outcome, seen) = read(&gz(insight.as_bytes()));
    assert_loaded(&outcome, FileKind::Insights, 1);
    assert_eq!(seen[0].id, "i1");

    let digest = r#"{"awsAccountId":"1","digestStartTime":"2024-02-28T20:47:12Z","digestEndTime":"2024-02-28T21:47:12Z","digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}"#;
    let (outcome, seen) = read(&gz(digest.as_bytes()));
    assert_loaded(&outcome, FileKind::Digest, 0);
    assert!(seen.is_empty());
}

#[test]
fn lookup_events_output_and_lines() {
    let inner = event(7).replace('"', "\\\"");
    let output = format!(
        r#"{{"Events":[{{"EventId":"id-7","EventName":"E7","ReadOnly":"false","EventTime":"2024-02-29T08:07:00+11:00","EventSource":"iam.amazonaws.com","Username":"u7","Resources":[],"CloudTrailEvent":"{inner}"}}],"NextToken":"x"}}"#
    );
    let (outcome, seen) = read(output.as_bytes());
    assert_loaded(&outcome, FileKind::LookupEvents, 1);
    assert_eq!(seen[0].envelope, Envelope::LookupEvents);
    assert_eq!(seen[0].time.as_deref(), Some("2024-02-28T21:07:00Z"));

    let line = format!(r#"{{"EventId":"id-7","EventName":"E7","CloudTrailEvent":"{inner}"}}"#);
    let lines = format!("{line}\n{line}\n");
    let (outcome, seen) = read(lines.as_bytes());
    assert_loaded(&outcome, FileKind::LookupEvents, 2);
    assert_eq!(names(&seen), ["E7", "E7"]);
}

#[test]
fn one_event_per_line_and_arrays() {
    let ndjson = format!("{}\n{}\r\n\n{}\n", event(1), event(2), event(3));
    let (outcome, seen) = read(ndjson.as_bytes());
    assert_loaded(&outcome, FileKind::Ndjson, 3);
    assert_eq!(names(&seen), ["E1", "E2", "E3"]);

    let array = format!("[\n  {},\n  {}\n]", event(1), event(2));
    let (outcome, _) = read(array.as_bytes());
    assert_loaded(&outcome, FileKind::JsonArray, 2);

    let (outcome, _) = read(event(4).as_bytes());
    assert_loaded(&outcome, FileKind::JsonEvent, 1);
}

#[test]
fn eventbridge_and_cloudwatch_envelopes() {
    let bridge = format!(
        r#"{{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"1","time":"2024-02-28T21:01:00Z","region":"us-east-1","resources":[],"detail":{}}}"#,
        event(1)
    );
    let (outcome, seen) = read(bridge.as_bytes());
    assert_loaded(&outcome, FileKind::EventBridge, 1);
    assert_eq!(seen[0].envelope, Envelope::EventBridge);
    let (outcome, _) = read(format!("{bridge}\n{bridge}\n").as_bytes());
    assert_loaded(&outcome, FileKind::EventBridge, 2);

    let msg = event(2).replace('"', "\\\"");
    let subscription = format!(
        r#"{{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{{"id":"1","timestamp":1709156460000,"message":"{msg}"}},{{"id":"2","timestamp":1709156460000,"message":"{msg}"}}]}}"#
    );
    let (outcome, seen) = read(&gz(subscription.as_bytes()));
    assert_loaded(&outcome, FileKind::CloudWatchLogs, 2);
    assert_eq!(seen[0].envelope, Envelope::CloudWatchLogs);

    let filtered = format!(
        r#"{{"events":[{{"logStreamName":"s","timestamp":1,"message":"{msg}","ingestionTime":2,"eventId":"3"}}],"searchedLogStreams":[]}}"#
    );
    let (outcome, _) = read(filtered.as_bytes());
    assert_loaded(&outcome, FileKind::CloudWatchLogs, 1);
}

#[test]
fn cloudwatch_logs_export_lines() {
    let lines = format!(
        "2024-02-28T21:01:00.000Z {}\n2024-02-28T21:02:00.000Z {}\n",
        event(1),
        event(2)
    );
    for bytes in [lines.clone().into_bytes(), gz(lines.as_bytes())] {
        for chunk in [3, 17, 10_000] {
            let (outcome, seen) = feed_in_chunks(&bytes, &[chunk]);
            assert_loaded(&outcome, FileKind::CloudWatchLogs, 2);
            assert_eq!(names(&seen), ["E1", "E2"]);
        }
    }
}

#[test]
fn event_history_csv() {
    let csv = "\u{feff}Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,AWS region,Error code,Source IP address,Event source,Read-only\r\n\
        id-1,2024-02-28T21:01:00Z,alice,CreateUser,AWS::IAM::User,bob,AKIAEXAMPLE,us-east-1,,192.0.2.1,iam.amazonaws.com,false\r\n\
        id-2,2024-02-28T21:02:00Z,root,\"ConsoleLogin\",,,,us-east-1,\"Failed, badly\",192.0.2.2,signin.amazonaws.com,false\r\n";
    for bytes in [csv.as_bytes().to_vec(), gz(csv.as_bytes())] {
        let (outcome, seen) = read(&bytes);
        assert_loaded(&outcome, FileKind::EventHistoryCsv, 2);
        assert_eq!(names(&seen), ["CreateUser", "ConsoleLogin"]);
        assert_eq!(seen[0].envelope, Envelope::EventHistoryCsv);
        assert_eq!(seen[1].time.as_deref(), Some("2024-02-28T21:02:00Z"));
    }
}

#[test]
fn times_that_need_care_are_kept_and_counted() {
    let lines = [
        r#"{"eventName":"A","eventID":"1","@timestamp":"2020-09-14T00:44:23.000Z"}"#,
        r#"{"eventName":"B","eventID":"2","eventTime":"2025-01-21 17:49:47.000000000"}"#,
        r#"{"eventName":"C","eventID":"3","eventTime":"..."}"#,
        r#"{"eventName":"D","eventID":"4","eventTime":"2022-02-08 09:23:37+11:00"}"#,
    ]
    .join("\n");
    let (outcome, seen) = read(lines.as_bytes());
    assert_loaded(&outcome, FileKind::Ndjson, 4);
    assert_eq!(seen[2].time, None);
    let notes = outcome.time_notes;
    assert_eq!(
        (
            notes.missing,
            notes.assumed_utc,
            notes.converted_from_offset,
            notes.from_logstash_timestamp
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(notes.describe().len(), 4);
}

#[test]
fn bad_lines_are_skipped_and_reported() {
    let lines = format!(
        "{}\n{{\"eventName\":\"x\",}}\n{{\"foo\":1}}\n{}\n",
        event(1),
        event(2)
    );
    let (outcome, seen) = read(lines.as_bytes());
    assert_loaded(&outcome, FileKind::Ndjson, 2);
    assert_eq!(names(&seen), ["E1", "E2"]);
    assert_eq!(outcome.skipped_records, 2);
    assert!(
        outcome.skipped_examples[0].starts_with("record 2 (line 2): invalid JSON"),
        "{:?}",
        outcome.skipped_examples
    );
    assert!(
        outcome.skipped_examples[1].contains("not a CloudTrail event (an object with keys foo)")
    );
}

#[track_caller]
fn assert_fails(bytes: &[u8], expected: &str) {
    let (outcome, _) = read(bytes);
    let err = outcome
        .error
        .clone()
        .unwrap_or_else(|| panic!("no error for {outcome:?}"));
    assert!(
        err.to_string().contains(expected),
        "got {err:?}, expected {expected:?}"
    );
}

#[test]
fn broken_and_hostile_input_gets_a_clear_error() {
    let log = gz(s3_log(50).as_bytes());
    assert_fails(b"", "the file is empty");
    assert_fails(b" \n\t ", "the file is empty");
    assert_fails(&gz(b""), "the file is empty");
    assert_fails(
        &log[..log.len() / 2],
        "truncated gzip stream: input ends inside the compressed data",
    );
    assert_fails(
        &log[..log.len() - 4],
        "truncated gzip stream: input ends inside the trailer",
    );
    let mut corrupt = log.clone();
    let n = corrupt.len();
    corrupt[n - 7] ^= 1;
    assert_fails(&corrupt, "fails its integrity check (CRC-32 mismatch)");
    assert_fails(
        b"\x00\x01\x02\x03binary",
        "binary data, not gzip, ZIP, JSON or CSV (first bytes 00 01 02 03",
    );
    assert_fails(b"\xff\xfe{\x00", "UTF-16 text");
    assert_fails(
        b"hello world\nthis is text",
        "text that is neither JSON nor a CloudTrail CSV (it starts with \"hello world\")",
    );
    assert_fails(
        br#"{"Records":[{"eventName":"x"},{"eventName":"y"]}"#,
        "invalid JSON: unexpected ']'",
    );
    assert_fails(
        br#"{"Records":[{"eventName":"x"}"#,
        "truncated JSON: the text ends inside an array",
    );
    assert_fails(br#"{"foo":1,"bar":[2]}"#, "no CloudTrail events: 1 record and none is an event; record 1 (line 1): not a CloudTrail event (an object with keys bar, foo)");
    assert_fails(b"42", "text that is neither JSON nor a CloudTrail CSV");
    assert_fails(b"{\"a\":1}\n42\n", "the top level holds a number");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_fails(deep.as_bytes(), "JSON nested deeper than 64 levels");
    let long = format!(
        r#"{{"Records":[{{"eventName":"{}"}}]}}"#,
        "x".repeat(9 << 20)
    );
    assert_fails(
        long.as_bytes(),
        "a single record is larger than 8388608 bytes",
    );
}

#[test]
fn decompression_bombs_are_stopped() {
    let limits = Limits {
        ratio_check_after_bytes: 1 << 20,
        ..Limits::default()
    };
    let mut bomb = b"{\"Records\":[".to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 8 << 20));
    let (outcome, _) = read_with(&gz(&bomb), limits);
    assert!(
        matches!(outcome.error, Some(IngestError::Bomb { limit: 250, .. })),
        "{outcome:?}"
    );

    let limits = Limits {
        max_decompressed_bytes: 1000,
        ..Limits::default()
    };
    let (outcome, _) = read_with(&gz(s3_log(50).as_bytes()), limits);
    assert_eq!(outcome.error, Some(IngestError::TooLarge { limit: 1000 }));

    let limits = Limits {
        max_records_per_file: 3,
        ..Limits::default()
    };
    let (outcome, _) = read_with(s3_log(5).as_bytes(), limits);
    assert_eq!(outcome.error, Some(IngestError::TooManyRecords(3)));
}

#[test]
fn odd_gzip_framing_is_read_and_noted() {
    let mut two = gz(s3_log(2).as_bytes());
    two.extend(gz(s3_log(3).as_bytes()));
    let (outcome, seen) = read(&two);
    assert_eq!(outcome.error, None);
    assert_eq!(seen.len(), 5);
    assert_eq!(
        outcome.warnings,
        ["the gzip file has more than one member; all were read"]
    );

    let mut trailing = gz(s3_log(2).as_bytes());
    trailing.extend_from_slice(b"junk");
    let (outcome, _) = read(&trailing);
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.warnings,
        ["4 bytes after the end of the gzip data were ignored"]
    );
}

#[test]
fn time_sources_are_recorded() {
    let mut sink = Vec::new();
    struct Sources<'s>(&'s mut Vec<Option<TimeSource>>);
    impl EventSink for Sources<'_> {
        type Error = std::convert::Infallible;
        fn accept(&mut self, e: &Event<'_>) -> Result<(), Self::Error> {
            self.0.push(e.time.map(|t| t.source));
            Ok(())
        }
    }
    ingest_bytes(
        br#"[{"eventName":"a","@timestamp":"2020-09-14T00:44:23.000Z"},{"eventName":"b"}]"#,
        Limits::default(),
        &mut Sources(&mut sink),
    );
    assert_eq!(sink, vec![Some(TimeSource::LogstashTimestamp), None]);
}

#[test]
fn sink_refusal_fails_the_file() {
    struct Full;
    impl EventSink for Full {
        type Error = &'static str;
        fn accept(&mut self, _: &Event<'_>) -> Result<(), Self::Error> {
            Err("the store is full")
        }
    }
    let outcome = ingest_bytes(s3_log(2).as_bytes(), Limits::default(), &mut Full);
    assert_eq!(
        outcome.error,
        Some(IngestError::Sink("the store is full".into()))
    );
}

fn feed_in_chunks(bytes: &[u8], sizes: &[usize]) -> (FileOutcome, Vec<Seen>) {
    let mut sink = Collect::default();
    let mut ingestor = FileIngestor::new(Limits::default());
    match feed_chunks(&mut ingestor, bytes, sizes, &mut sink) {
        Err(e) => (ingestor.fail(e), sink.0),
        Ok(()) => (ingestor.finish(&mut sink), sink.0),
    }
}

/// Feeds `bytes` in chunks of `sizes` (cycled), up to the first error.
fn feed_chunks(
    ingestor: &mut FileIngestor,
    bytes: &[u8],
    sizes: &[usize],
    sink: &mut Collect,
) -> Result<(), trailscope_model::IngestError> {
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        ingestor.feed(chunk, sink)?;
    }
    Ok(())
}

/// What a read means: its kind, events, the kind of error (the gzip decoder may notice damage a
/// few bytes later in one chunking than in another, so positions and messages are left out),
/// and how its hash read.
fn essence((o, seen): (FileOutcome, Vec<Seen>)) -> (FileKind, u64, String, String, Vec<Seen>) {
    let variant = |debug: String| {
        debug
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let error = match &o.error {
        Some(IngestError::Gzip(g)) => format!("Gzip/{}", variant(format!("{g:?}"))),
        Some(e) => variant(format!("{e:?}")),
        None => String::new(),
    };
    let read = o
        .log_hash
        .map(|h| variant(format!("{:?}", h.read)))
        .unwrap_or_default();
    // A failed file keeps no event, so what was handed over before the failure does not count.
    let seen = if o.error.is_some() { Vec::new() } else { seen };
    let events = if o.error.is_some() { 0 } else { o.events };
    (o.kind, events, error, read, seen)
}

proptest! {
    #[test]
    fn chunking_never_changes_the_result(sizes in prop::collection::vec(1usize..200, 1..8), gzip: bool, n in 0usize..6) {
        let text = s3_log(n);
        let bytes = if gzip { gz(text.as_bytes()) } else { text.into_bytes() };
        let whole = read(&bytes);
        let chunked = feed_in_chunks(&bytes, &sizes);
        prop_assert_eq!(whole, chunked);
    }

    /// Arbitrary bytes never panic, and how they are chunked never changes what they read as.
    #[test]
    fn arbitrary_bytes_read_the_same_in_any_chunking(bytes in prop::collection::vec(any::<u8>(), 0..400), sizes in prop::collection::vec(1usize..64, 1..4)) {
        prop_assert_eq!(essence(feed_in_chunks(&bytes, &sizes)), essence(read(&bytes)));
        let mut framed = b"{\"Records\":[".to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert_eq!(essence(feed_in_chunks(&framed, &sizes)), essence(read(&framed)));
        let zipped = gz(&framed);
        prop_assert_eq!(essence(feed_in_chunks(&zipped, &sizes)), essence(read(&zipped)));
    }

    /// Damaged log files never panic, and read the same in any chunking.
    #[test]
    fn mutated_logs_read_the_same_in_any_chunking(flips in prop::collection::vec((0usize..2000, any::<u8>()), 1..5), sizes in prop::collection::vec(1usize..300, 1..4)) {
        let mut bytes = gz(s3_log(5).as_bytes());
        for (at, value) in flips {
            let n = bytes.len();
            bytes[at % n] = value;
        }
        prop_assert_eq!(essence(feed_in_chunks(&bytes, &sizes)), essence(read(&bytes)));
    }
}

#[test]
fn gzip_files_are_hashed_while_read() {
    use sha2::{Digest, Sha256};
    let text = s3_log(4);
    let (outcome, _) = read(&gz(text.as_bytes()));
    let hash = outcome.log_hash.expect("a gzip file is hashed");
    assert_eq!(
        hash.sha256_hex,
        trailscope_model::hex_lower(&Sha256::digest(text.as_bytes()))
    );
    assert_eq!(hash.read, trailscope_model::LogRead::Complete);
    assert_eq!(outcome.kept_bytes, None);

    // A file whose JSON fails still gets its whole hash (verification does not parse JSON).
    let broken = format!("{}{{", text);
    let (outcome, _) = read(&gz(broken.as_bytes()));
    assert!(
        matches!(outcome.error, Some(IngestError::Json(_))),
        "{:?}",
        outcome.error
    );
    assert_eq!(
        outcome.log_hash.unwrap().sha256_hex,
        trailscope_model::hex_lower(&Sha256::digest(broken.as_bytes()))
    );

    // A digest keeps its exact bytes, for the signature.
    let digest = r#"{"digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","logFiles":[]}"#;
    let (outcome, _) = read(&gz(digest.as_bytes()));
    assert_eq!(outcome.kind, FileKind::Digest);
    assert_eq!(outcome.kept_bytes.as_deref(), Some(digest.as_bytes()));

    // Key lists and signature sidecars are recognised and kept.
    let keys = r#"{"PublicKeyList":[{"Value":"AAAA","Fingerprint":"ab"}]}"#;
    let (outcome, _) = read(keys.as_bytes());
    assert_eq!(
        (outcome.kind, outcome.error.is_none()),
        (FileKind::PublicKeys, true)
    );
    assert_eq!(outcome.kept_bytes.as_deref(), Some(keys.as_bytes()));
    let sidecar = r#"{"AWSLogs/1/CloudTrail-Digest/r/2024/01/01/1_CloudTrail-Digest_r_t_r_20240101T000000Z.json.gz":"0a1b"}"#;
    let (outcome, _) = read(sidecar.as_bytes());
    assert_eq!(
        (outcome.kind, outcome.error.is_none()),
        (FileKind::DigestSignatures, true)
    );
    let head = r#"{"AcceptRanges":"bytes","ContentLength":1,"Metadata":{"signature":"0a","signature-algorithm":"SHA256withRSA"}}"#;
    assert_eq!(read(head.as_bytes()).0.kind, FileKind::DigestSignatures);

    // Truncation is judged as aws-cli judges it, even though the file fails to load.
    let full = gz(text.as_bytes());
    let (outcome, _) = read(&full[..full.len() - 8]);
    assert!(
        matches!(outcome.error, Some(IngestError::Gzip(_))),
        "{:?}",
        outcome.error
    );
    assert_eq!(
        outcome.log_hash.unwrap().read,
        trailscope_model::LogRead::TrailerMissing
    );
}

/// Reads `bytes` with the first member's hash left to the caller (at most `max` bytes of it),
/// then finishes the hash outside with `sha2`, as the page does with WebCrypto.
fn read_deferring(bytes: &[u8], sizes: &[usize], max: usize) -> (FileOutcome, Vec<Seen>) {
    use sha2::{Digest, Sha256};
    let mut sink = Collect::default();
    let mut ingestor = FileIngestor::new(Limits::default()).deferring_hash(max);
    // A failed feed ends with `fail`, which hashes whatever is pending itself.
    if let Err(e) = feed_chunks(&mut ingestor, bytes, sizes, &mut sink) {
        return (ingestor.fail(e), sink.0);
    }
    let (mut outcome, deferred) = ingestor.finish_deferring_hash(&mut sink);
    let outside = |b: &[u8]| trailscope_model::hex_lower(&Sha256::digest(b));
    if let Some(pending) = deferred.log {
        assert_eq!(outcome.log_hash, None, "the caller sets the hash");
        let hex = pending.first_member.as_deref().map(outside);
        outcome.log_hash = Some(pending.into_hash(hex));
    }
    if let Some(stored) = deferred.stored {
        assert_eq!(
            outcome.stored_sha256, None,
            "the caller sets the stored hash"
        );
        outcome.stored_sha256 = Some(DeferredHashes::stored_sha256(
            &stored,
            Some(outside(&stored)),
        ));
    }
    (outcome, sink.0)
}

proptest! {
    /// A hash finished outside is the hash `finish` takes: for whole, damaged, truncated and
    /// multi-member gzip files, plain text, in any chunking, and whether the first member fits
    /// under the cap or is hashed here past it.
    #[test]
    fn a_hash_finished_by_the_caller_is_the_hash_finish_takes(
        n in 0usize..6,
        cut in 0usize..64,
        flip in proptest::option::of((0usize..2000, any::<u8>())),
        members in 1usize..3,
        gzip: bool,
        max in prop_oneof![Just(0usize), Just(64), Just(1 << 20)],
        sizes in prop::collection::vec(1usize..300, 1..4),
    ) {
        let text = s3_log(n);
        let mut bytes = if gzip { gz(text.as_bytes()) } else { text.clone().into_bytes() };
        if gzip && members > 1 {
            bytes.extend_from_slice(&gz(text.as_bytes()));
        }
        if let Some((at, value)) = flip {
            let len = bytes.len();
            bytes[at % len] = value;
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        let deferred = read_deferring(&bytes, &sizes, max);
        let whole = feed_in_chunks(&bytes, &sizes);
        prop_assert_eq!(deferred, whole);
    }
}

#[test]
fn a_deferred_hash_hands_over_the_first_member_only_while_it_is_under_the_cap() {
    let text = s3_log(3);
    let bytes = gz(text.as_bytes());
    let mut sink = Collect::default();
    let mut ingestor = FileIngestor::new(Limits::default()).deferring_hash(1 << 20);
    ingestor.feed(&bytes, &mut sink).unwrap();
    let (outcome, deferred) = ingestor.finish_deferring_hash(&mut sink);
    let pending = deferred
        .log
        .expect("a gzip log's hash is left to the caller");
    assert_eq!(pending.first_member.as_deref(), Some(text.as_bytes()));
    assert_eq!(deferred.stored.as_deref(), Some(&bytes[..]));
    assert_eq!((outcome.log_hash, outcome.events), (None, 3));
    assert_eq!(outcome.stored_sha256, None);

    // Over the cap, the bytes are hashed here and nothing is handed over.
    let mut ingestor = FileIngestor::new(Limits::default()).deferring_hash(16);
    ingestor.feed(&bytes, &mut sink).unwrap();
    let (outcome, deferred) = ingestor.finish_deferring_hash(&mut sink);
    assert!(deferred.log.is_none() && deferred.stored.is_none());
    let whole = read(&bytes).0;
    assert_eq!(outcome.log_hash, whole.log_hash);
    assert_eq!(outcome.stored_sha256, whole.stored_sha256);
    assert!(outcome.log_hash.is_some());
}
