//! Pages of rows for the event table.

use trailscope_model::Timestamp;

use crate::field::Field;
use crate::row::Tri;
use crate::store::{Integrity, Store};

/// One event as the table shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowView {
    /// The row's index in the store (stable while the store only grows).
    pub row: u32,
    /// `eventTime`.
    pub time: Option<Timestamp>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// The caller as people read it.
    pub user: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// `errorCode`, or `errorMessage` when there is no code (console sign-in failures).
    pub error: Option<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `readOnly`.
    pub read_only: Option<bool>,
    /// The integrity of the event's file, once verified.
    pub integrity: Option<Integrity>,
}

/// Which end of time a page starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeOrder {
    /// Oldest first (events without a time come first).
    OldestFirst,
    /// Newest first, as the console lists events (events without a time come last).
    NewestFirst,
}

impl Store {
    /// The table row for store row `row`.
    pub fn row_view(&self, row: u32) -> RowView {
        let r = row as usize;
        let get = |field: Field| self.value(field, r).map(str::to_string);
        RowView {
            row,
            time: self.time_at(r),
            event_name: get(Field::EventName),
            event_source: get(Field::EventSource),
            user: get(Field::User),
            source_ip: get(Field::SourceIp),
            region: get(Field::AwsRegion),
            error: get(Field::ErrorCode).or_else(|| get(Field::ErrorMessage)),
            event_id: self.event_id(r).map(str::to_string),
            read_only: match self.read_only(r) {
                Tri::Unknown => None,
                t => t.to_option(),
            },
            integrity: self.integrity(r),
        }
    }

    /// `limit` rows starting at `offset`, in time order.
    pub fn page(&mut self, offset: usize, limit: usize, order: TimeOrder) -> Vec<RowView> {
        let sorted = self.time_order();
        let rows: Vec<u32> = match order {
            TimeOrder::OldestFirst => sorted.iter().skip(offset).take(limit).copied().collect(),
            TimeOrder::NewestFirst => sorted
                .iter()
                .rev()
                .skip(offset)
                .take(limit)
                .copied()
                .collect(),
        };
        rows.into_iter().map(|r| self.row_view(r)).collect()
    }
}
