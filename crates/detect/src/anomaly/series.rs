//! Per-minute event series keyed by API (and error code), built from the store's columns.

use hashbrown::HashMap;
use trailscope_store::{Field, Store, Tri};

use super::InsightType;

pub(crate) const MINUTE: i64 = 60_000;

/// Which series an event belongs to: dictionary codes of region, source, name (and error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SeriesKey {
    pub(crate) kind: InsightType,
    pub(crate) region: u32,
    pub(crate) source: u32,
    pub(crate) name: u32,
    pub(crate) error: u32,
}

/// One series: its events' minutes (sorted) and rows (in the same order).
pub(crate) struct Series {
    pub(crate) minutes: Vec<i64>,
    pub(crate) rows: Vec<u32>,
}

impl Series {
    /// Events in minutes `[from, to)`.
    pub(crate) fn count(&self, from: i64, to: i64) -> u64 {
        let a = self.minutes.partition_point(|&m| m < from);
        let b = self.minutes.partition_point(|&m| m < to);
        b.saturating_sub(a) as u64
    }

    /// Rows in minutes `[from, to)`.
    pub(crate) fn rows_in(&self, from: i64, to: i64) -> &[u32] {
        let a = self.minutes.partition_point(|&m| m < from);
        let b = self.minutes.partition_point(|&m| m < to);
        self.rows.get(a..b).unwrap_or_default()
    }
}

/// The key of `row` for each insight type it counts towards. Call rates count write management
/// events (`readOnly` false; `managementEvent` true or absent, as older records lack it); error
/// rates count every event with an `errorCode`. Insights events count towards nothing.
pub(crate) fn keys_of(store: &Store, row: usize) -> [Option<SeriesKey>; 2] {
    if store.is_insight(row) {
        return [None, None];
    }
    let code = |f: Field| store.column(f).codes().get(row).copied().unwrap_or(0);
    let base = SeriesKey {
        kind: InsightType::ApiCallRateInsight,
        region: code(Field::AwsRegion),
        source: code(Field::EventSource),
        name: code(Field::EventName),
        error: 0,
    };
    let call =
        (store.read_only(row) == Tri::No && store.management_event(row) != Tri::No).then_some(base);
    let error_code = code(Field::ErrorCode);
    let error = (error_code != 0).then_some(SeriesKey {
        kind: InsightType::ApiErrorRateInsight,
        error: error_code,
        ..base
    });
    [call, error]
}

/// Every series of the store, and the sorted minutes in which the store has any event at all
/// (minutes with no event anywhere are gaps in the logs, not quiet minutes).
pub(crate) fn collect(store: &Store) -> (HashMap<SeriesKey, Series>, Vec<i64>) {
    let mut by_key: HashMap<SeriesKey, Vec<(i64, u32)>> = HashMap::new();
    let mut covered: Vec<i64> = Vec::new();
    for row in 0..store.len() {
        let Some(t) = store.time_at(row) else {
            continue;
        };
        let minute = t.unix_millis().div_euclid(MINUTE);
        covered.push(minute);
        for key in keys_of(store, row).into_iter().flatten() {
            by_key.entry(key).or_default().push((minute, row as u32));
        }
    }
    covered.sort_unstable();
    covered.dedup();
    let series = by_key
        .into_iter()
        .map(|(key, mut events)| {
            events.sort_unstable();
            let (minutes, rows) = events.into_iter().unzip();
            (key, Series { minutes, rows })
        })
        .collect();
    (series, covered)
}

/// Covered minutes in `[from, to)`.
pub(crate) fn covered_between(covered: &[i64], from: i64, to: i64) -> u64 {
    let a = covered.partition_point(|&m| m < from);
    let b = covered.partition_point(|&m| m < to);
    b.saturating_sub(a) as u64
}
