//! Finds the CloudTrail events inside one JSON record, whatever envelope wraps them.
//!
//! A record may be a bare event, an EventBridge event (`detail`), a lookup-events entry
//! (`CloudTrailEvent` as a JSON string), a CloudWatch Logs event (`message` as a JSON string), or a
//! wrapper holding more of these (`Records`, `logEvents`, `Events`, `events`, `data`). Envelopes nest
//! at most [`MAX_ENVELOPE_DEPTH`] deep.

use serde_json::value::RawValue;

use crate::event::{Envelope, Event, EventRecord, EventTime, TimeSource};
use crate::time::{epoch_number_to_timestamp, parse_event_time, TimeQuality};

/// How many envelopes may wrap an event (StreamAlert's `data` → `Records` → event is three).
pub const MAX_ENVELOPE_DEPTH: u8 = 6;

/// Why a record yielded no event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record is not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is valid but holds no CloudTrail event.
    #[error("not a CloudTrail event ({0})")]
    NotAnEvent(String),
    /// A string that should hold an event's JSON does not.
    #[error("{field} does not hold a JSON event: {source}")]
    BadEmbeddedJson {
        /// `CloudTrailEvent` or `message`.
        field: &'static str,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// Envelopes nested deeper than [`MAX_ENVELOPE_DEPTH`].
    #[error("envelopes nested deeper than {MAX_ENVELOPE_DEPTH} levels")]
    TooDeep,
}

/// What a record turned out to hold, besides the events handed to the callback.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Events handed to the callback.
    pub events: u64,
    /// The record is a CloudTrail digest (no events, but a known kind).
    pub digest: bool,
    /// The record is `list-public-keys` output.
    pub public_keys: bool,
    /// The record is a digest-signature sidecar (`{key: signature}`, S3 metadata, `head-object`).
    pub signatures: bool,
    /// Children of a wrapper that held no event (reported, not fatal to the wrapper).
    pub skipped_children: u64,
}

/// A time an envelope offers in case the event has none.
#[derive(Clone, Copy, Debug)]
enum Fallback<'t> {
    None,
    Text(&'t str),
    EpochMillis(&'t str),
}

/// Parses `text` and hands every event in it to `emit`. `emit` errors abort and are returned
/// through `Err(Ok(e))`; record problems come back as `Err(Err(RecordError))`.
pub fn unwrap_record<E>(
    text: &str,
    emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
) -> Result<Found, Result<E, RecordError>> {
    let mut found = Found::default();
    visit(text, Envelope::Direct, Fallback::None, 0, emit, &mut found)?;
    Ok(found)
}

fn visit<E>(
    text: &str,
    envelope: Envelope,
    fallback: Fallback<'_>,
    depth: u8,
    emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    found: &mut Found,
) -> Result<(), Result<E, RecordError>> {
    if depth > MAX_ENVELOPE_DEPTH {
        return Err(Err(RecordError::TooDeep));
    }
    // serde would read a JSON array into the record's fields by position: only objects qualify.
    if !text.trim_start().starts_with('{') {
        serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| Err(e.into()))?;
        return Err(Err(RecordError::NotAnEvent(describe_object(text))));
    }
    let record: EventRecord<'_> = serde_json::from_str(text).map_err(|e| Err(e.into()))?;
    if looks_like_event(&record) {
        let time = resolve_time(&record, fallback);
        found.events += 1;
        return emit(Event {
            record,
            raw: text,
            time,
            envelope,
        })
        .map_err(Ok);
    }
    if let Some(detail) = record.detail {
        let fallback = record.time.as_str().map_or(Fallback::None, Fallback::Text);
        return visit(
            detail.get(),
            Envelope::EventBridge,
            fallback,
            depth + 1,
            emit,
            found,
        );
    }
    if let Some(inner) = record.cloudtrail_event.as_str() {
        let fallback = record
            .lookup_event_time
            .as_str()
            .map_or(Fallback::None, Fallback::Text);
        return visit_embedded(
            inner,
            "CloudTrailEvent",
            Envelope::LookupEvents,
            fallback,
            depth,
            emit,
            found,
        );
    }
    if record.lookup_event_id.as_str().is_some() || record.lookup_event_name.as_str().is_some() {
        // A lookup-events entry without its CloudTrailEvent: build the event from the summary.
        let time = resolve_lookup_summary_time(&record);
        let summary = lookup_summary(record);
        found.events += 1;
        return emit(Event {
            record: summary,
            raw: text,
            time,
            envelope: Envelope::LookupEvents,
        })
        .map_err(Ok);
    }
    if let Some(message) = record.message.as_str() {
        let fallback = record
            .timestamp
            .as_str()
            .map_or(Fallback::None, Fallback::EpochMillis);
        return visit_embedded(
            message,
            "message",
            Envelope::CloudWatchLogs,
            fallback,
            depth,
            emit,
            found,
        );
    }
    for list in [
        record.nested_records,
        record.nested_log_events,
        record.nested_lookup_events,
        record.events,
    ]
    .into_iter()
    .flatten()
    {
        let children: Vec<&RawValue> = match serde_json::from_str(list.get()) {
            Ok(children) => children,
            Err(_) => continue, // not an array: not a wrapper after all
        };
        for child in children {
            match visit(
                child.get(),
                envelope,
                Fallback::None,
                depth + 1,
                emit,
                found,
            ) {
                Ok(()) => {}
                Err(Ok(e)) => return Err(Ok(e)),
                Err(Err(_)) => found.skipped_children += 1,
            }
        }
        return Ok(());
    }
    if let Some(data) = record.data {
        return visit(data.get(), envelope, Fallback::None, depth + 1, emit, found);
    }
    if record.digest_s3_object.as_str().is_some() || record.log_files.is_some() {
        found.digest = true;
        return Ok(());
    }
    if record.public_key_list.is_some() {
        found.public_keys = true;
        return Ok(());
    }
    if depth == 0
        && (looks_like_signature_metadata(text)
            || text.contains("CloudTrail-Digest_") && looks_like_signature_map(text))
    {
        found.signatures = true;
        return Ok(());
    }
    Err(Err(RecordError::NotAnEvent(describe_object(text))))
}

fn visit_embedded<E>(
    inner: &str,
    field: &'static str,
    envelope: Envelope,
    fallback: Fallback<'_>,
    depth: u8,
    emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    found: &mut Found,
) -> Result<(), Result<E, RecordError>> {
    if !inner.trim_start().starts_with('{') {
        let source = serde_json::from_str::<serde::de::IgnoredAny>(inner)
            .err()
            .unwrap_or_else(|| serde::de::Error::custom("a JSON value other than an object"));
        return Err(Err(RecordError::BadEmbeddedJson { field, source }));
    }
    match visit(inner, envelope, fallback, depth + 1, emit, found) {
        Err(Err(RecordError::Json(source))) => {
            Err(Err(RecordError::BadEmbeddedJson { field, source }))
        }
        other => other,
    }
}

/// A record is an event if it names an action or carries an event ID.
fn looks_like_event(r: &EventRecord<'_>) -> bool {
    r.event_name.as_str().is_some()
        || r.event_source.as_str().is_some()
        || r.event_id.as_str().is_some()
}

fn resolve_time(r: &EventRecord<'_>, fallback: Fallback<'_>) -> Option<EventTime> {
    if let Some(t) = r.event_time.as_str().and_then(read_time) {
        return Some(EventTime {
            at: t.0,
            quality: t.1,
            source: TimeSource::EventTime,
        });
    }
    let from_envelope = match fallback {
        Fallback::None => None,
        Fallback::Text(s) => read_time(s),
        Fallback::EpochMillis(s) => s
            .parse::<f64>()
            .ok()
            .and_then(epoch_number_to_timestamp)
            .map(|t| (t, TimeQuality::FromEpochNumber)),
    };
    if let Some((at, quality)) = from_envelope {
        return Some(EventTime {
            at,
            quality,
            source: TimeSource::Envelope,
        });
    }
    r.logstash_timestamp
        .as_str()
        .and_then(read_time)
        .map(|(at, quality)| EventTime {
            at,
            quality,
            source: TimeSource::LogstashTimestamp,
        })
}

/// A time string, or a number of epoch seconds/milliseconds written as text.
fn read_time(text: &str) -> Option<(crate::time::Timestamp, TimeQuality)> {
    parse_event_time(text).or_else(|| {
        let first = text.trim().as_bytes().first()?;
        if !first.is_ascii_digit() {
            return None;
        }
        text.trim()
            .parse::<f64>()
            .ok()
            .and_then(epoch_number_to_timestamp)
            .map(|t| (t, TimeQuality::FromEpochNumber))
    })
}

fn resolve_lookup_summary_time(r: &EventRecord<'_>) -> Option<EventTime> {
    r.lookup_event_time
        .as_str()
        .and_then(read_time)
        .map(|(at, quality)| EventTime {
            at,
            quality,
            source: TimeSource::Envelope,
        })
}

fn lookup_summary(r: EventRecord<'_>) -> EventRecord<'_> {
    let mut summary = EventRecord {
        event_id: r.lookup_event_id,
        event_name: r.lookup_event_name,
        event_source: r.lookup_event_source,
        event_time: r.lookup_event_time,
        read_only: r.lookup_read_only,
        ..EventRecord::default()
    };
    let user = r.lookup_username;
    let key = r.lookup_access_key_id;
    if user.as_str().is_some() || key.as_str().is_some() {
        summary.user_identity.0 = Some(crate::event::UserIdentity {
            user_name: user,
            access_key_id: key,
            ..Default::default()
        });
    }
    summary
}

/// `{"<digest key>": "<hex signature>"}`: the flat signature sidecar.
/// S3 object metadata of a digest, as `head-object` prints it (`{"Metadata": {"signature": ...}}`)
/// or bare (`{"signature": ..., "signature-algorithm": ...}`): a `signature` or
/// `signature-algorithm` key holding a string, where CloudTrail writes them. A file that only
/// mentions the words (a test's `expected.json`, a report) is not one.
fn looks_like_signature_metadata(text: &str) -> bool {
    let Ok(object) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
    else {
        return false;
    };
    let has_signature = |m: &serde_json::Map<String, serde_json::Value>| {
        ["signature", "signature-algorithm", "x-amz-meta-signature"]
            .iter()
            .any(|k| m.get(*k).is_some_and(serde_json::Value::is_string))
    };
    match object.get("Metadata") {
        Some(serde_json::Value::Object(metadata)) => has_signature(metadata),
        _ => has_signature(&object),
    }
}

fn looks_like_signature_map(text: &str) -> bool {
    serde_json::from_str::<std::collections::BTreeMap<String, serde_json::Value>>(text).is_ok_and(
        |m| {
            !m.is_empty()
                && m.iter().all(|(k, v)| {
                    k.contains("CloudTrail-Digest")
                        && v.as_str()
                            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
                })
        },
    )
}

/// A short description of an unrecognised object: its first keys.
fn describe_object(text: &str) -> String {
    let keys: Vec<String> =
        serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
            .map(|m| m.into_keys().take(5).collect())
            .unwrap_or_default();
    if keys.is_empty() {
        let t = text.trim_start();
        match t.as_bytes().first() {
            Some(b'{') => "an empty object".into(),
            Some(b'[') => "an array".into(),
            Some(b'"') => "a string".into(),
            _ => "a scalar".into(),
        }
    } else {
        format!("an object with keys {}", keys.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = (String, Envelope, Option<String>, Option<TimeSource>);

    fn events(text: &str) -> Result<Vec<Seen>, String> {
        let mut got = Vec::new();
        let res = unwrap_record::<()>(text, &mut |e| {
            got.push((
                e.record.event_name.as_str().unwrap_or("-").to_string(),
                e.envelope,
                e.time.map(|t| t.at.to_string()),
                e.time.map(|t| t.source),
            ));
            Ok(())
        });
        match res {
            Ok(_) => Ok(got),
            Err(Err(e)) => Err(e.to_string()),
            Err(Ok(())) => unreachable!(),
        }
    }

    #[test]
    fn unwraps_every_envelope() {
        let bare = r#"{"eventName":"A","eventTime":"2024-01-01T00:00:00Z"}"#;
        assert_eq!(
            events(bare).unwrap(),
            vec![(
                "A".into(),
                Envelope::Direct,
                Some("2024-01-01T00:00:00Z".into()),
                Some(TimeSource::EventTime)
            )]
        );

        let bridge = r#"{"detail-type":"AWS API Call via CloudTrail","time":"2024-01-01T00:00:05Z","detail":{"eventName":"B"}}"#;
        assert_eq!(
            events(bridge).unwrap(),
            vec![(
                "B".into(),
                Envelope::EventBridge,
                Some("2024-01-01T00:00:05Z".into()),
                Some(TimeSource::Envelope)
            )]
        );

        let lookup = r#"{"EventId":"1","EventTime":"2022-02-08 09:23:37+11:00","CloudTrailEvent":"{\"eventName\":\"C\",\"eventTime\":\"2022-02-07T22:23:37Z\"}"}"#;
        assert_eq!(
            events(lookup).unwrap(),
            vec![(
                "C".into(),
                Envelope::LookupEvents,
                Some("2022-02-07T22:23:37Z".into()),
                Some(TimeSource::EventTime)
            )]
        );

        let cwl = r#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1704067200000,"message":"{\"eventName\":\"D\"}"},{"message":"{\"eventName\":\"E\"}"}]}"#;
        let got = events(cwl).unwrap();
        assert_eq!(
            got[0],
            (
                "D".into(),
                Envelope::CloudWatchLogs,
                Some("2024-01-01T00:00:00Z".into()),
                Some(TimeSource::Envelope)
            )
        );
        assert_eq!(got[1].0, "E");

        let wrapped =
            r#"{"data":{"Records":[{"eventName":"F"},{"eventName":"G"}]},"description":"x"}"#;
        let names: Vec<String> = events(wrapped).unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["F", "G"]);

        let logstash = r#"{"eventName":"H","@timestamp":"2020-09-14T00:44:23.000Z"}"#;
        assert_eq!(
            events(logstash).unwrap()[0].3,
            Some(TimeSource::LogstashTimestamp)
        );
    }

    #[test]
    fn builds_an_event_from_a_lookup_summary() {
        let got =
            events(r#"{"EventId":"x","EventName":"Z","EventTime":1709167272.0,"Username":"u"}"#)
                .unwrap();
        assert_eq!(
            got,
            vec![(
                "Z".into(),
                Envelope::LookupEvents,
                Some("2024-02-29T00:41:12Z".into()),
                Some(TimeSource::Envelope)
            )]
        );
    }

    #[test]
    fn explains_what_is_not_an_event() {
        assert_eq!(
            events(r#"{"foo":1,"bar":2}"#).unwrap_err(),
            "not a CloudTrail event (an object with keys bar, foo)"
        );
        assert!(events(r#"{"message":"not json"}"#)
            .unwrap_err()
            .starts_with("message does not hold a JSON event"));
        assert!(events(r#"{"eventName":"x",}"#)
            .unwrap_err()
            .starts_with("invalid JSON"));
        assert_eq!(
            events("[1,2]").unwrap_err(),
            "not a CloudTrail event (an array)"
        );
        assert_eq!(
            events("12").unwrap_err(),
            "not a CloudTrail event (a scalar)"
        );
        let mut deep = r#"{"eventName":"deep"}"#.to_string();
        for _ in 0..10 {
            deep = format!(r#"{{"data":{deep}}}"#);
        }
        assert_eq!(events(&deep).unwrap_err(), RecordError::TooDeep.to_string());
    }
}
