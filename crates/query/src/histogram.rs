//! The timeline: selected events per time bucket, split by read/write and by error.

use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Store, Tri, ABSENT};

use trailscope_store::RowSet;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Bucket widths to choose from, in milliseconds: round steps people read easily.
const STEPS: &[i64] = &[
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    3 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
    90 * DAY,
    180 * DAY,
    365 * DAY,
];

/// Most buckets a histogram has (the step ladder grows at most 3x, so a span fills at least
/// a third of this: 40 to 120 buckets).
pub const MAX_BUCKETS: i64 = 120;

/// Fewest buckets a histogram has: events within a few seconds are drawn as bars on an axis of
/// this many smallest steps around them, not as one bar as wide as the chart.
pub const MIN_BUCKETS: i64 = 40;

/// One bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the bucket, milliseconds since the epoch (UTC).
    pub start: i64,
    /// Events in it.
    pub count: u64,
    /// Of those, `readOnly: true`.
    pub read: u64,
    /// Of those, `readOnly: false` (events without `readOnly` are neither).
    pub write: u64,
    /// Of those, with an error code or message.
    pub errors: u64,
}

/// Selected events over time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bucket width in milliseconds (aligned to multiples of it since the epoch, UTC).
    pub step: i64,
    /// Consecutive buckets from the first selected event's to the last's.
    pub buckets: Vec<Bucket>,
    /// Selected events without a time (in no bucket).
    pub without_time: u64,
}

/// The smallest step that covers `first..=last` in at most [`MAX_BUCKETS`] buckets.
pub fn step_for(first: i64, last: i64) -> i64 {
    let last_step = STEPS.last().copied().unwrap_or(DAY);
    STEPS
        .iter()
        .copied()
        .find(|&step| last.div_euclid(step) - first.div_euclid(step) < MAX_BUCKETS)
        .unwrap_or_else(|| {
            // Beyond the ladder (centuries of events): whole multiples of its last step.
            let span = last.saturating_sub(first) / last_step + 1;
            last_step.saturating_mul(span / MAX_BUCKETS + 1)
        })
}

/// Bits kept per selected event between the two passes.
const READ: u8 = 1;
const WRITE: u8 = 2;
const ERROR: u8 = 4;

/// The histogram of `selection`.
pub fn histogram(store: &Store, selection: &RowSet) -> Histogram {
    let (code, message) = (
        store.column(Field::ErrorCode).codes(),
        store.column(Field::ErrorMessage).codes(),
    );
    // One pass over the rows gathers what the buckets need; the range is known only after it.
    let mut events: Vec<(i64, u8)> = Vec::new();
    let mut without_time = 0u64;
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for row in selection.iter() {
        let Some(t) = store.time_at(row) else {
            without_time += 1;
            continue;
        };
        let t = t.unix_millis();
        first = first.min(t);
        last = last.max(t);
        let mut bits = match store.read_only(row) {
            Tri::Yes => READ,
            Tri::No => WRITE,
            Tri::Unknown => 0,
        };
        if code.get(row).is_some_and(|&c| c != ABSENT)
            || message.get(row).is_some_and(|&c| c != ABSENT)
        {
            bits |= ERROR;
        }
        events.push((t, bits));
    }
    if first > last {
        return Histogram {
            step: STEPS.first().copied().unwrap_or(SECOND),
            buckets: Vec::new(),
            without_time,
        };
    }
    let step = step_for(first, last);
    let spanned = last.div_euclid(step) - first.div_euclid(step) + 1;
    // Too few buckets (only at the smallest step): pad both sides evenly.
    let padding = (MIN_BUCKETS - spanned).max(0);
    let base = first.div_euclid(step) - padding / 2;
    let n = (spanned + padding) as usize;
    let mut buckets: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: (base + i as i64) * step,
            ..Bucket::default()
        })
        .collect();
    for (t, bits) in events {
        let Some(b) = buckets.get_mut((t.div_euclid(step) - base) as usize) else {
            continue;
        };
        b.count += 1;
        b.read += u64::from(bits & READ != 0);
        b.write += u64::from(bits & WRITE != 0);
        b.errors += u64::from(bits & ERROR != 0);
    }
    Histogram {
        step,
        buckets,
        without_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_within_one_second_sit_on_an_axis_of_40_seconds() {
        let mut store = Store::new();
        let records: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"eventID":"e{i}","eventName":"X","eventTime":"2024-03-01T10:00:00.{i}00Z"}}"#))
            .collect();
        let file = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        store.load("a.json", |batch| {
            trailscope_model::ingest_bytes(
                file.as_bytes(),
                trailscope_model::Limits::default(),
                batch,
            )
        });
        let all = RowSet::full(store.len());
        let h = histogram(&store, &all);
        assert_eq!(h.step, SECOND);
        assert_eq!(h.buckets.len() as i64, MIN_BUCKETS);
        let filled: Vec<&Bucket> = h.buckets.iter().filter(|b| b.count > 0).collect();
        assert_eq!(filled.len(), 1);
        assert_eq!(filled[0].count, 3);
        assert_eq!(
            filled[0].start,
            trailscope_model::Timestamp::parse_rfc3339("2024-03-01T10:00:00Z")
                .unwrap()
                .unix_millis()
        );
        let at = h.buckets.iter().position(|b| b.count > 0).unwrap() as i64;
        assert_eq!(at, (MIN_BUCKETS - 1) / 2, "in the middle");
    }

    #[test]
    fn steps_give_40_to_120_buckets() {
        let start = 1_709_164_800_000;
        for span in [
            50_000i64,
            90_000,
            3_600_000,
            5 * 3_600_000,
            86_400_000,
            3 * 86_400_000,
            40 * 86_400_000,
            400 * 86_400_000,
            4000 * 86_400_000,
        ] {
            let step = step_for(start, start + span);
            let buckets = (start + span) / step - start / step + 1;
            assert!((40..=120).contains(&buckets), "{span}: {step} -> {buckets}");
        }
        assert_eq!(step_for(start, start), 1_000);
        let huge = step_for(0, 1_000 * 365 * 86_400_000);
        assert!(1_000 * 365 * 86_400_000 / huge < MAX_BUCKETS);
    }
}
