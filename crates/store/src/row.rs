//! What the store keeps of one event, extracted once, where the event is parsed.

use trailscope_model::Event;
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

use crate::field::FIELD_COUNT;

/// Sentinel for "no time" in the time column.
pub(crate) const NO_TIME: i64 = i64::MIN;

// Flag bits: read-only, MFA, management (2 bits each: 0 no, 1 yes, 2 unknown), Insights.
pub(crate) const READ_ONLY_SHIFT: u8 = 0;
pub(crate) const MFA_SHIFT: u8 = 2;
pub(crate) const MANAGEMENT_SHIFT: u8 = 4;
pub(crate) const INSIGHT_BIT: u8 = 1 << 6;
/// Set by the store (never by a batch): the event has conflicting copies.
pub(crate) const CONFLICT_BIT: u8 = 1 << 7;

/// A tri-state flag column value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    /// `false`.
    No = 0,
    /// `true`.
    Yes = 1,
    /// Absent.
    Unknown = 2,
}

impl From<Option<bool>> for Tri {
    fn from(v: Option<bool>) -> Self {
        match v {
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Unknown,
        }
    }
}

impl Tri {
    /// As an option.
    pub fn to_option(self) -> Option<bool> {
        match self {
            Tri::Yes => Some(true),
            Tri::No => Some(false),
            Tri::Unknown => None,
        }
    }

    pub(crate) fn from_bits(v: u8) -> Tri {
        match v & 3 {
            0 => Tri::No,
            1 => Tri::Yes,
            _ => Tri::Unknown,
        }
    }
}

/// One event's columns, borrowed from the parsed record.
pub(crate) struct RowValues<'e> {
    pub(crate) time: i64,
    pub(crate) flags: u8,
    pub(crate) strings: [Option<std::borrow::Cow<'e, str>>; FIELD_COUNT],
    pub(crate) event_id: Option<&'e str>,
    pub(crate) key: u128,
}

/// Extracts the stored values of `event`.
pub(crate) fn extract<'e>(event: &'e Event<'e>) -> RowValues<'e> {
    use std::borrow::Cow::Borrowed;
    let r = &event.record;
    let id = r.identity();
    let mut flags = (Tri::from(r.read_only.0) as u8) << READ_ONLY_SHIFT
        | (Tri::from(r.mfa_used()) as u8) << MFA_SHIFT
        | (Tri::from(r.management_event.0) as u8) << MANAGEMENT_SHIFT;
    if r.is_insight() {
        flags |= INSIGHT_BIT;
    }
    let b = |v: Option<&'e str>| v.map(Borrowed);
    // In `Field` order.
    let strings = [
        b(r.api_name()),
        b(r.api_source()),
        b(r.aws_region.as_str()),
        b(r.source_ip_address.as_str()),
        r.user_display(),
        b(id.and_then(|i| i.identity_type.as_str())),
        b(id.and_then(|i| i.arn.as_str())),
        b(id.and_then(|i| i.access_key_id.as_str())),
        b(r.session_issuer().and_then(|s| s.arn.as_str())),
        b(r.account_id()),
        b(r.error_code.as_str()),
        b(r.error_message.as_str()),
        b(r.user_agent.as_str()),
        b(r.event_type.as_str()),
        b(r.event_category.as_str()),
    ];
    let time = event.time.map_or(NO_TIME, |t| t.at.unix_millis());
    RowValues {
        time,
        flags,
        strings,
        event_id: r.event_id.as_str(),
        key: dedupe_key(event, time),
    }
}

/// The dedupe key of an event (see [`dedupe_key`]).
pub(crate) fn event_key(event: &Event<'_>) -> u128 {
    let time = event.time.map_or(NO_TIME, |t| t.at.unix_millis());
    dedupe_key(event, time)
}

/// Two records are the same event when they share `eventID`, time, name and source. CloudTrail
/// gives every event its own ID, so copies of one event (an S3 log file and a lookup-events export
/// of the same day) merge; fixtures that reuse an ID for different events stay apart. Records
/// without an ID merge only when their JSON is byte-identical.
fn dedupe_key(event: &Event<'_>, time: i64) -> u128 {
    let r = &event.record;
    match r.event_id.non_empty() {
        Some(id) => {
            let mut hasher = Xxh3::new();
            hasher.update(id.as_bytes());
            hasher.update(&[0]);
            hasher.update(&time.to_le_bytes());
            hasher.update(r.event_name.as_str().unwrap_or("").as_bytes());
            hasher.update(&[0]);
            hasher.update(r.event_source.as_str().unwrap_or("").as_bytes());
            hasher.digest128()
        }
        None => xxh3_128(event.raw.as_bytes()) ^ 1,
    }
}
