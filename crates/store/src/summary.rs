//! Totals over everything loaded: what the page shows above the table.

use trailscope_model::Timestamp;

use crate::dict::{DictColumn, ABSENT};
use crate::field::Field;
use crate::row::NO_TIME;
use crate::store::Store;

/// What was loaded, in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Unique events stored.
    pub events: u64,
    /// Events dropped because an identical event was already stored.
    pub duplicates: u64,
    /// Events without a usable time.
    pub events_without_time: u64,
    /// Events whose copies in different files disagree (every copy is kept).
    pub conflicts: u64,
    /// Earliest event time.
    pub first_event_time: Option<Timestamp>,
    /// Latest event time.
    pub last_event_time: Option<Timestamp>,
    /// Distinct accounts, sorted.
    pub accounts: Vec<String>,
    /// Distinct regions, sorted.
    pub regions: Vec<String>,
    /// Files read (archives count once per entry).
    pub files: u64,
    /// Files that failed.
    pub failed_files: u64,
    /// Helper files that are not CloudTrail data ([`crate::FileEntry::is_not_cloudtrail`]):
    /// listed, not counted as failed.
    pub not_cloudtrail_files: u64,
    /// Log files only hashed for verification, their events not read (verify-only loads).
    pub hashed_only_files: u64,
    /// Files that loaded but had skipped records or warnings.
    pub files_with_warnings: u64,
    /// Bytes read as stored (compressed).
    pub stored_bytes: u64,
    /// Bytes of text after decompression.
    pub text_bytes: u64,
}

impl Store {
    /// Totals over all loaded files and events.
    pub fn totals(&self) -> Totals {
        let mut t = Totals {
            events: self.len() as u64,
            conflicts: self.conflict_count(),
            ..Totals::default()
        };
        let mut first = i64::MAX;
        let mut last = i64::MIN;
        for &time in &self.time {
            if time == NO_TIME {
                t.events_without_time += 1;
            } else {
                first = first.min(time);
                last = last.max(time);
            }
        }
        if first <= last {
            t.first_event_time = Some(Timestamp::from_unix_millis(first));
            t.last_event_time = Some(Timestamp::from_unix_millis(last));
        }
        t.accounts = distinct_values(self.column(Field::Account));
        t.regions = distinct_values(self.column(Field::AwsRegion));
        for file in self.files() {
            t.files += 1;
            t.duplicates += file.duplicates;
            t.stored_bytes += file.summary.stored_bytes;
            t.text_bytes += file.summary.text_bytes;
            if file.summary.kind == trailscope_model::FileKind::HashedOnly {
                t.hashed_only_files += 1;
            }
            if file.is_not_cloudtrail() {
                t.not_cloudtrail_files += 1;
            } else if file.summary.error.is_some() {
                t.failed_files += 1;
            } else if file.summary.skipped_records > 0 || !file.summary.warnings.is_empty() {
                t.files_with_warnings += 1;
            }
        }
        t
    }
}

/// The values a column actually holds in some row, sorted.
pub(crate) fn distinct_values(column: &DictColumn) -> Vec<String> {
    let mut used = vec![false; column.distinct() + 1];
    for &code in column.codes() {
        if let Some(slot) = used.get_mut(code as usize) {
            *slot = true;
        }
    }
    let mut values: Vec<String> = used
        .iter()
        .enumerate()
        .filter(|&(code, &u)| u && code as u32 != ABSENT)
        .filter_map(|(code, _)| column.value(code as u32).map(str::to_string))
        .collect();
    values.sort();
    values
}
